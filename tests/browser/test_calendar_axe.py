"""axe-core on the staff calendars in every language the app speaks.

The caseworker week, the team week, the room week and day, a meeting's
details with the form that moves it, and the pool planner's board, at 1280 x 800 and at 390 x 844, in English, Danish and Swedish (the
language a user picks with the switcher, saved on the account). Each page has
something on it (a booked meeting, a meeting in the room, a booked and an open shift) and
must answer in the language asked for with no serious or critical violation.
"""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from models import (Meeting, MeetingParticipant, MeetingType, ReservedTime, Room, RoomTeam,
                    SubstituteUnit, Unit, User, Vacancy, utcnow)
from planner import booking
from tests.browser.conftest import PHONE
from tests.browser.layout_support import settled
from tests.browser.test_axe_pages import axe, blocking_violations, log_in  # noqa: F401
from tests.test_offers_support import make_offer, next_monday, world  # noqa: F401

pytestmark = pytest.mark.browser

LANGUAGES = ('en', 'da', 'sv')
VIEWPORTS = {'desktop': {'width': 1280, 'height': 800}, 'phone': PHONE}
UTC = dt.timezone.utc

# (name, who opens it, path with {placeholders} from `calendars`, text shown)
PAGES = [
    ('caseworker week', 'karen', '/calendar/caseworker/{karen}?week={week}', 'Karen Vejleder'),
    ('team week', 'karen', '/calendar/team/{team}?week={week}', 'Ole Olsen'),
    ('room week', 'planner', '/calendar/room/{room}?week={week}', 'Mødelokale 1'),
    ('room day', 'planner', '/calendar/room/{room}?day={day}', 'Mødelokale 1'),
    ('meeting move', 'planner', '/calendar/meeting/{in_room}?action=move', 'Mødelokale 1'),
    ('pool board', 'pool_planner', '/pool/board?week={week}', None),
]


def _cases():
    for name, who, path, shows in PAGES:
        for viewport in VIEWPORTS:
            for language in LANGUAGES:
                yield pytest.param(who, path, shows, (viewport, language),
                                   id=f'{name} {viewport} {language}')


@pytest.fixture
def calendars(world, municipality, make_user):  # noqa: F811
    """Next week: Karen has a booked meeting and one in Mødelokale 1; the
    team keeps Monday mornings for summons, Karen Thursday for self-booking;
    the municipality has a unit, a substitute and an open shift."""
    w = dict(world)
    org = w['org']
    monday = next_monday(org)
    offer = make_offer(org, w['team'], [w['karen'], w['ole']], first_day=monday,
                       end=monday + dt.timedelta(days=4))
    booking.book_offer(offer, w['mette'], dt.datetime.combine(
        monday + dt.timedelta(days=1), dt.time(9), tzinfo=org.zone))
    room = Room.create(organisation=org, name='Mødelokale 1', capacity=4)
    RoomTeam.create(room=room, team=w['team'])
    starts = dt.datetime.combine(monday + dt.timedelta(days=2), dt.time(10),
                                 tzinfo=org.zone).astimezone(UTC).replace(tzinfo=None)
    in_room = Meeting.create(organisation=org, team=w['team'], room=room,
                             meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'),
                             caseworker=w['karen'], starts_at=starts,
                             ends_at=starts + dt.timedelta(minutes=45), created_by=w['planner'])
    MeetingParticipant.create(meeting=in_room, citizen=w['sune'])
    ReservedTime.create(organisation=org, team=w['team'], weekday=0, start=dt.time(8),
                        end=dt.time(12), purpose=ReservedTime.SUMMONS)
    ReservedTime.create(organisation=org, caseworker=w['karen'], weekday=3,
                        purpose=ReservedTime.SELF_BOOKING)

    pool_planner = make_user(municipality, User.PLANNER, name='Lars Planerare')
    unit = Unit.create(organisation=municipality, name='Hemtjänst Norr', address='Storgatan 1')
    anna = make_user(municipality, User.SUBSTITUTE, name='Anna Andersson',
                     phone='+46701000001')
    SubstituteUnit.create(user=anna, unit=unit)
    # Tuesday: a morning shift booked for Anna, an evening shift still open.
    tuesday = dt.datetime.combine(monday + dt.timedelta(days=1), dt.time(5))
    for hour, note, booked in ((0, 'Morning shift', True), (10, 'Evening shift', False)):
        Vacancy.create(organisation=municipality, unit=unit, note=note, created_by=pool_planner,
                       starts_at=tuesday + dt.timedelta(hours=hour),
                       ends_at=tuesday + dt.timedelta(hours=hour + 8),
                       status=Vacancy.BOOKED if booked else Vacancy.OPEN,
                       substitute=anna if booked else None,
                       booked_at=utcnow() if booked else None,
                       booked_via=Vacancy.DIRECT if booked else '')
    year, week, _ = monday.isocalendar()
    w.update(room=room, pool_planner=pool_planner, week=f'{year}-W{week:02d}',
             day=(monday + dt.timedelta(days=2)).isoformat(), in_room=in_room)
    return w


@pytest.fixture
def sized_page(browser, live_server, request):
    """A fresh browser of the size asked for, in the language asked for."""
    viewport, language = request.param
    phone = viewport == 'phone'
    context = browser.new_context(base_url=live_server, viewport=VIEWPORTS[viewport],
                                  is_mobile=phone, has_touch=phone, locale=language,
                                  device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on('pageerror', lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    page.language = language
    yield page
    context.close()


def _user(calendars, who):
    value = calendars[who]
    return value.user if hasattr(value, 'user') else value


@pytest.mark.parametrize('who,path,shows,sized_page', list(_cases()), indirect=['sized_page'])
def test_calendar_has_no_serious_axe_violations(sized_page, axe, app, live_server,  # noqa: F811
                                                calendars, who, path, shows):
    page = sized_page
    language = page.language
    user = _user(calendars, who)
    # The language the switcher saves for a signed-in user.
    User.update(language=language).where(User.id == user.id).execute()
    log_in(page, app, live_server, user)
    ids = {key: getattr(value, 'id', value) for key, value in calendars.items()}
    url = path.format(**ids)
    response = page.goto(url)
    assert response.status == 200, f'{url}: {response.status}'
    expect(page.locator('html')).to_have_attribute('lang', language)
    if shows:
        expect(page.locator('main')).to_contain_text(shows)
    settled(page)
    problems = blocking_violations(axe, page)
    assert not problems, f'{url} ({language}): ' + '; '.join(problems)
    assert page.js_errors == [], url
