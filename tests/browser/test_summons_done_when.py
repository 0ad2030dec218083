"""Issue 5, "Done when", end to end on a phone: a planner summons 30 citizens
from a pasted spreadsheet list while the calendar server is down; 28 are
summoned and told by SMS, 2 wait on the pending list; the follow-up list
counts the caseworker calendars not updated and says why; with the server
back, Sync and the sweep bring every calendar up to date, and the calendar
server holds exactly one event per meeting."""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from playwright.sync_api import expect

import tasks
from common.validators import normalise_cpr
from integrations import ics
from integrations.caldav import calendar_url_for
from models import (CalendarSync, CitizenProfile, Meeting, MeetingParticipant, Message,
                    PendingSummons, Team, User, utcnow)
from tests.browser.layout_support import scrolls_sideways, settled
from tests.browser.menu_support import main_nav
from tests.conftest import PASSWORD
from tests.radicale_server import events, radicale  # noqa: F401
from tests.test_offers_support import make_caseworker, make_citizen

pytestmark = pytest.mark.browser

UTC = dt.timezone.utc
CITIZENS = 30
SURNAMES = ('Holm', 'Lund', 'Kjær', 'Berg', 'Dahl', 'Juhl')


def citizen_name(i: int) -> str:
    return f'Borger {i:02d} {SURNAMES[i % len(SURNAMES)]}'


UNTICKED = (citizen_name(7), citizen_name(19))
CASEWORKERS = ('Anne Andersen', 'Bent Bech', 'Carla Carlsen')


@pytest.fixture
def app_config(radicale):  # noqa: F811
    """CSRF on (as in production) and calendar sync to the real server."""
    return {'WTF_CSRF_ENABLED': True, 'CALDAV_URL': radicale.url + '/',
            'CALDAV_USERNAME': 'planpool', 'CALDAV_PASSWORD': 'secret',
            'CALDAV_TIMEOUT': '2'}


def cpr_number(n: int) -> str:
    """A valid Danish CPR number (a real date in the 1900s), unique per n."""
    cpr = f'{1 + n % 28:02d}{1 + n // 28 % 12:02d}{70 + n % 25:02d}{n:04d}'
    assert normalise_cpr(cpr) == cpr
    return cpr


def contrast(page, locator) -> float:
    """WCAG contrast ratio of an element's text against its own background."""
    fg, bg = locator.evaluate(
        'e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]')

    def luminance(css: str) -> float:
        r, g, b = (int(v) / 255 for v in re.findall(r'\d+', css)[:3])
        return sum(w * (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4)
                   for w, c in zip((0.2126, 0.7152, 0.0722), (r, g, b)))
    light, dark = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_summon_thirty_through_a_calendar_outage(page, radicale, jobcentre,  # noqa: F811
                                                 make_user):
    # --- 1. A job centre, its team, caseworkers and citizens --------------------
    org = jobcentre
    team = Team.create(organisation=org, name='Dagpenge', address='Jobvej 1',
                       postcode='8000', city='Aarhus C')
    staff = [make_caseworker(org, team, make_user, name) for name in CASEWORKERS]
    today = dt.datetime.now(UTC).astimezone(org.zone).date()
    fridays = [today + dt.timedelta(days=(4 - today.weekday()) % 7 + 7 * w)
               for w in (2, 3, 4)]
    lines = []
    for i in range(1, CITIZENS + 1):
        name = citizen_name(i)
        cpr = cpr_number(100 + i)
        due = fridays[i % 3]
        user = make_citizen(org, make_user, name, cpr=cpr,
                            email=f'borger{i}@example.test' if i % 3 == 0 else None)
        user.phone = f'+4522{i:06d}'
        user.save()
        CitizenProfile.update(due_date=due).where(CitizenProfile.user == user).execute()
        lines.append(f'{cpr[:6]}-{cpr[6:]}\t{name}\t{due:%d-%m-%Y}')
    pasted = 'Personnr.\tNavn\tFalddato\n' + '\n'.join(lines)
    planner = make_user(org, User.PLANNER, name='Pia Planlægger')

    # The outage: the calendar server is down while the summons is made.
    radicale.stop()

    # --- 2. The planner summons through the wizard ----------------------------------
    page.goto('/login')
    page.get_by_label('Email').fill(planner.email)
    page.get_by_label('Password').fill(PASSWORD)
    page.get_by_role('button', name='Log in', exact=True).click()
    expect(page.get_by_role('heading', level=1)).to_have_text(f'Hello, {planner.name}')

    main_nav(page).get_by_role('link', name='Summon citizens').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Summon citizens')
    page.get_by_role('button', name='New summons').click()
    expect(page.get_by_role('heading', level=2, name='Step 1 of 3: the meeting')).to_be_visible()
    settled(page)
    with page.expect_response(re.compile(r'/frame\?')):
        page.get_by_label('Meeting type', exact=True).select_option(label='Job interview')
    settled(page)
    with page.expect_response(re.compile(r'/frame\?')):
        page.get_by_label('Team', exact=True).select_option(label='Dagpenge')
    settled(page)
    for name in CASEWORKERS:
        page.get_by_label(name, exact=True).check()
    page.get_by_label('30 minutes', exact=True).check()
    page.get_by_label('Automatic: spread the citizens over free times').check()
    page.get_by_role('button', name='Next: citizens').click()

    expect(page.get_by_role('heading', level=2, name='Step 2 of 3: citizens')).to_be_visible()
    page.get_by_label('Rows from a spreadsheet').fill(pasted)
    page.get_by_role('button', name='Add the list').click()
    expect(page.get_by_text('30 citizens added to the list.')).to_be_visible()
    expect(page.locator('.citizen-table tbody tr')).to_have_count(CITIZENS)
    expect(page.get_by_text('30 citizens on the list, 30 selected.')).to_be_visible()
    page.get_by_role('button', name='Next: review the times').click()

    expect(page.get_by_role('heading', level=2, name='Step 3 of 3: review and summon')) \
        .to_be_visible()
    counts = page.locator('.counts')
    expect(counts).to_contain_text('30 citizens placed')
    expect(counts).to_contain_text('0 after the deadline')
    expect(counts).to_contain_text('0 with no free time')
    expect(page.locator('.review-table tbody tr')).to_have_count(CITIZENS)
    for name in UNTICKED:
        page.get_by_label(f'Summon {name}', exact=True).uncheck()
    page.get_by_role('button', name='Summon now').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Summons sent', timeout=20_000)
    expect(page.locator('.counts')).to_contain_text('28 meetings made')
    expect(page.locator('.counts')).to_contain_text('2 citizens put on the pending list')

    meetings = list(Meeting.select().where(Meeting.summoned_at.is_null(False)))
    assert len(meetings) == 28
    assert CalendarSync.select().count() == 28
    assert CalendarSync.select().where(CalendarSync.status == CalendarSync.SYNCED).count() == 0

    # --- 3. The pending list ----------------------------------------------------------
    pending_link = main_nav(page).get_by_role('link', name=re.compile('^Pending list'))
    expect(pending_link.locator('.badge')).to_have_text('2 waiting')
    assert contrast(page, pending_link.locator('.badge')) >= 4.5    # readable on the header
    pending_link.click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Pending list (2)')
    table = page.locator('.pending-table tbody tr')
    expect(table).to_have_count(2)
    for name in UNTICKED:
        expect(table.filter(has_text=name)).to_have_count(1)
    assert sorted(p.citizen.name for p in PendingSummons.select()) == sorted(UNTICKED)
    assert not scrolls_sideways(page)

    # --- 4. The follow-up list during the outage ------------------------------------------
    main_nav(page).get_by_role('link', name='Follow-up list').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Follow-up list')
    expect(page.get_by_role('heading', level=2, name='28 citizens summoned')).to_be_visible()
    expect(page.locator('#count-citizen')).to_have_text('0')
    expect(page.locator('#count-calendar')).to_have_text('28')
    expect(page.get_by_text('caseworker calendars not updated')).to_be_visible()
    rows = page.locator('.followup-table tbody tr')
    expect(rows).to_have_count(28)
    citizen_cells = page.locator('.followup-table td.state-delivered')
    expect(citizen_cells).to_have_count(28)
    calendar_cells = page.locator('.followup-table td[data-label="Caseworker calendar"]')
    expect(calendar_cells.locator('.state-label').filter(
        has_text=re.compile(r'^Updated$'))).to_have_count(0)
    expect(calendar_cells.filter(has_text='Waiting to be updated')).to_have_count(28)
    expect(calendar_cells.filter(
        has_text=re.compile('Could not connect to the calendar server'))).to_have_count(28)
    expect(page.get_by_role('button', name=re.compile('^Sync the meeting of'))).to_have_count(28)
    assert not scrolls_sideways(page)
    # Every summoned citizen got one SMS (the outbox); those with an address, an e-mail.
    summoned = {p.citizen_id for p in MeetingParticipant.select()}
    sms = Counter(m.user_id for m in Message.select().where(
        Message.channel == Message.SMS, Message.meeting.is_null(False)))
    assert set(sms) == summoned and set(sms.values()) == {1}
    assert Message.select().where(Message.meeting.is_null(False),
                                  Message.status.not_in((Message.SENT,
                                                         Message.DELIVERED))).count() == 0

    # --- 5. The server is back: Sync on a row, then the automatic retry ------------------
    radicale.start()
    first = page.locator('.followup-table tbody').first
    with page.expect_response(re.compile(r'/follow-up/meetings/\d+/sync$')):
        first.get_by_role('button', name=re.compile('^Sync the meeting of')).click()
    settled(page)
    first = page.locator('.followup-table tbody').first
    expect(first.locator('td[data-label="Caseworker calendar"]')).to_have_text('Updated')
    expect(first.get_by_role('status')).to_have_text('Synced')
    assert CalendarSync.select().where(CalendarSync.status == CalendarSync.SYNCED).count() == 1
    # Time passes: the other retries fall due and the sweep sends them.
    CalendarSync.update(next_attempt_at=utcnow() - dt.timedelta(seconds=1)).where(
        CalendarSync.status == CalendarSync.QUEUED).execute()
    tasks.sweep()

    page.reload()
    expect(page.locator('#count-citizen')).to_have_text('0')
    expect(page.locator('#count-calendar')).to_have_text('0')
    expect(rows).to_have_count(28)
    expect(citizen_cells).to_have_count(28)
    expect(calendar_cells.locator('.state-label').filter(
        has_text=re.compile(r'^Updated$'))).to_have_count(28)
    expect(calendar_cells.filter(has_text=re.compile('Could not connect|Waiting'))) \
        .to_have_count(0)
    expect(page.get_by_role('button', name=re.compile('^Sync'))).to_have_count(0)
    page.goto('/summons/follow-up/?calendar=not_synced')
    expect(page.get_by_text('No summons match the search.')).to_be_visible()

    # --- 6. One event per meeting in each caseworker's calendar ---------------------------
    total = 0
    for cw in staff:
        found = events(calendar_url_for(radicale.url, cw.user.email))
        uids = [str(e['UID']) for e in found]
        own = [m for m in meetings if m.caseworker_id == cw.id]
        assert sorted(uids) == sorted(ics.meeting_uid(m.id, m.created_at) for m in own), \
            cw.user.name
        total += len(uids)
    assert total == 28
    assert page.js_errors == []
