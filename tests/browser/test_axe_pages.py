"""axe-core at 390 x 844 on the pages the other accessibility tests do not
reach: the substitute login, the home page of every role, the caseworker's
calendars, the pending and follow-up lists, the audit log, the citizens'
administration and the substitute's phone pages. Each page is opened by the
role that uses it, with data on it (an empty list hides most of a page), and
must have no serious or critical violation and no sideways scrolling.

Already covered elsewhere (not repeated here): landing, staff and citizen
login, the one-time code page, citizen and admin home, the message log
(test_accessibility); every citizen booking page (test_citizen_accessibility);
the summons wizard steps 1-3 and its result (test_summons_phone); the
substitute's availability calendar (test_pool_availability).
"""
from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from models import (AuditEvent, CalendarSync, Meeting, MeetingParticipant, MeetingType, Message,
                    PendingSummons, ShiftRequest, SubstituteUnit, Unit, User, UserSession, Vacancy,
                    utcnow)
from planner import booking
from tests.browser.layout_support import settled
from tests.test_offers_support import make_offer, next_monday, world  # noqa: F401

pytestmark = pytest.mark.browser

BLOCKING = ('serious', 'critical')
UTC = dt.timezone.utc


@pytest.fixture
def app_config():
    """CSRF on, and calendar sync on towards a server that is not there (the
    follow-up list then has calendars not updated to show)."""
    return {'WTF_CSRF_ENABLED': True, 'CALDAV_URL': 'http://127.0.0.1:9/',
            'CALDAV_USERNAME': 'planpool', 'CALDAV_PASSWORD': 'secret',
            'CALDAV_TIMEOUT': '1'}


@pytest.fixture(scope='module')
def axe():
    return Axe()


def blocking_violations(axe, page) -> list[str]:
    results = axe.run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            f"{[n['target'] for n in v['nodes']][:5]}"
            for v in results.response['violations'] if v['impact'] in BLOCKING]


@pytest.fixture
def places(world, municipality, make_user):  # noqa: F811
    """Something on every page: a booked meeting summoned with a failed SMS and
    a calendar not updated, a citizen on the pending list, audit lines, an
    administrator per organisation, and a substitute with an open request."""
    w = dict(world)
    org = w['org']
    w['admin'] = make_user(org, User.ADMIN, name='Ada Admin')
    monday = next_monday(org)
    offer = make_offer(org, w['team'], [w['karen'], w['ole']], first_day=monday,
                       end=monday + dt.timedelta(days=4))
    meeting = booking.book_offer(offer, w['mette'], dt.datetime.combine(
        monday + dt.timedelta(days=1), dt.time(9), tzinfo=org.zone))
    # A staff summons: told by SMS (which failed) and put in Karen's calendar
    # (which did not answer).
    kind = MeetingType.get(MeetingType.code == 'jobsamtale')
    starts = dt.datetime.combine(monday + dt.timedelta(days=2), dt.time(10),
                                 tzinfo=org.zone).astimezone(UTC).replace(tzinfo=None)
    summoned = Meeting.create(organisation=org, team=w['team'], meeting_type=kind,
                              caseworker=w['karen'], starts_at=starts,
                              ends_at=starts + dt.timedelta(minutes=45),
                              summoned_at=utcnow(), created_by=w['planner'])
    MeetingParticipant.create(meeting=summoned, citizen=w['sune'])
    Message.create(organisation=org, user=w['sune'], meeting=summoned, channel=Message.SMS,
                   direction=Message.OUT, recipient=w['sune'].phone,
                   body='Summons: job interview on Wednesday at 10:00.',
                   status=Message.FAILED, attempts=Message.MAX_ATTEMPTS,
                   last_error='The SMS provider answered 500.')
    CalendarSync.create(meeting=summoned, caseworker=w['karen'], status=CalendarSync.FAILED,
                        attempts=CalendarSync.MAX_ATTEMPTS,
                        last_error='The calendar server did not answer.')
    PendingSummons.create(organisation=org, citizen=w['unge'], team=w['team'],
                          meeting_type=kind, earliest=monday,
                          deadline=monday + dt.timedelta(days=11),
                          reason=PendingSummons.FAILED, error='No free time before the deadline.',
                          created_by=w['planner'])
    AuditEvent.record('citizen_viewed', actor=w['admin'], obj=w['mette'],
                      detail='citizen page')
    AuditEvent.record('login', actor=w['karen'].user, ip='127.0.0.1')
    w.update(meeting=meeting, summoned=summoned)

    # The substitute pool: a unit, a substitute trained there, an open request.
    pool_admin = make_user(municipality, User.ADMIN, name='Pia Poolchef')
    unit = Unit.create(organisation=municipality, name='Hemtjänst Norr',
                       address='Storgatan 1')
    anna = make_user(municipality, User.SUBSTITUTE, name='Anna Andersson',
                     phone='+46701000001', language='en')
    SubstituteUnit.create(user=anna, unit=unit)
    start = (utcnow() + dt.timedelta(days=3)).replace(hour=6, minute=0, second=0,
                                                      microsecond=0)
    vacancy = Vacancy.create(organisation=municipality, unit=unit, starts_at=start,
                             ends_at=start + dt.timedelta(hours=8), note='Morning shift',
                             answer_deadline=utcnow() + dt.timedelta(hours=12), waves=1,
                             created_by=pool_admin)
    ShiftRequest.create(vacancy=vacancy, user=anna, code='4821',
                        deadline=utcnow() + dt.timedelta(hours=12))
    w.update(pool_admin=pool_admin, substitute=anna, vacancy=vacancy)
    return w


def log_in(page, app, live_server, user):
    """A real server-side session for `user`, as the login forms leave it
    (the forms themselves are checked in test_accessibility)."""
    client = app.test_client()
    token = UserSession.open(user)
    with client.session_transaction() as session:
        session['_user_id'] = token
        session['_fresh'] = True
    cookie = client.get_cookie(app.config['SESSION_COOKIE_NAME'])
    page.context.add_cookies([{'name': cookie.key, 'value': cookie.value,
                               'url': live_server}])


# (who, path with {placeholders} from `places`, text the page must show)
PAGES = [
    (None, '/login/substitute', 'Username'),
    ('karen', '/', 'Hello, Karen Vejleder'),
    ('planner', '/', 'Hello, Peter Planlægger'),
    ('substitute', '/', 'Hello, Anna Andersson'),
    ('pool_admin', '/', 'Hello, Pia Poolchef'),
    ('planner', '/calendar/', 'Calendars'),
    ('karen', '/calendar/caseworker/{karen}?date={day}', 'Karen Vejleder'),
    ('karen', '/calendar/team/{team}?date={day}', 'Dagpenge'),
    ('karen', '/calendar/meeting/{summoned}', 'Sune Andersen'),
    ('planner', '/summons/pending/', 'Unge Ung'),
    ('planner', '/summons/follow-up/', 'Sune Andersen'),
    ('planner', '/summons/follow-up/?calendar=not_synced', 'Sune Andersen'),
    ('admin', '/admin/audit/', 'Ada Admin'),
    ('admin', '/admin/audit/?actor=Karen&action=login', 'Karen Vejleder'),
    ('admin', '/admin/audit/?object_id=x', 'Not a valid integer value.'),
    ('admin', '/admin/citizens/', 'Find a citizen'),
    ('admin', '/admin/citizens/{mette}', 'Mette Borger'),
    ('admin', '/admin/citizens/{sune}/erase', 'cannot be erased yet'),
    ('admin', '/admin/citizens/{unge}/erase', 'Erase the personal data of Unge Ung'),
    ('substitute', '/my/requests', 'Hemtjänst Norr'),
    ('substitute', '/my/shifts', 'shifts'),
    ('substitute', '/my/profile', 'Anna Andersson'),
]


# What sticks out of a phone's width (positioned elements escape scrolling boxes).
WIDEST_JS = """
() => Array.from(document.querySelectorAll('body *'))
  .filter(e => getComputedStyle(e).position !== 'static'
               && e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 5).map(e => e.outerHTML.slice(0, 80))
"""


def _user(places, who):
    value = places[who]
    return value.user if hasattr(value, 'user') else value


@pytest.mark.parametrize('who,path,shows', PAGES,
                         ids=[f'{who or "anonymous"} {path}' for who, path, _s in PAGES])
def test_page_has_no_serious_axe_violations(page, axe, app, live_server, places,
                                            who, path, shows):
    if who is not None:
        log_in(page, app, live_server, _user(places, who))
    ids = {key: getattr(value, 'id', value) for key, value in places.items()}
    url = path.format(day=next_monday(places['org']).isoformat(), **ids)
    response = page.goto(url)
    assert response.status == 200, f'{url}: {response.status}'
    expect(page.locator('main')).to_contain_text(shows)
    settled(page)
    problems = blocking_violations(axe, page)
    assert not problems, f'{url}: ' + '; '.join(problems)
    width = page.evaluate('Math.max(document.documentElement.scrollWidth, '
                          'document.body.scrollWidth)')
    wide = page.evaluate(WIDEST_JS)
    assert width <= 390, f'{url} is {width}px wide on a phone: {wide}'
    assert page.js_errors == [], url


def test_citizen_search_results(page, axe, app, live_server, places):
    """The citizen search is a POST (no CPR number in the URL): its results."""
    log_in(page, app, live_server, places['admin'])
    page.goto('/admin/citizens/')
    page.get_by_label('Name, birth date or CPR number').fill('Mette')
    page.get_by_role('button', name='Search').click()
    expect(page.get_by_role('link', name='Mette Borger')).to_be_visible()
    settled(page)
    problems = blocking_violations(axe, page)
    assert not problems, 'citizen search: ' + '; '.join(problems)

    assert page.js_errors == []
