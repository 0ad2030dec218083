"""An administrator sets up a job centre from nothing, through the forms only,
and the staff calendar shows exactly what was set up (issue 3, "Done when").

Nothing is written to the database directly except the administrator's own
account and one citizen (citizens are not administered here); the rest is
typed and clicked in a desktop-sized Chromium, as a new user would, and read
back from the database only at the end.
"""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from playwright.sync_api import expect

from models import (Caseworker, CaseworkerTeam, ClosingDay, Meeting, Pause, Room, Team, User,
                    WorkingHours)
from scheduling.localtime import as_utc
from tests.browser.menu_support import main_nav
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

DESKTOP = {'width': 1280, 'height': 900}
ZONE = ZoneInfo('Europe/Copenhagen')      # the job centre fixture's time zone

TEAM = 'Jobcenter Aarhus Nord'
ANNA, BO = 'Anna Andersen', 'Bo Berg'
ROOM = 'Mødelokale 1'
CLOSING = 'Team day'
CITIZEN, CITIZEN_CPR = 'Carla Holm Christensen', '1203851234'


@pytest.fixture
def desktop(browser, live_server):
    """A fresh desktop-sized browser (the `page` fixture is a phone)."""
    context = browser.new_context(base_url=live_server, viewport=DESKTOP,
                                  locale='en-GB', device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on('pageerror', lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()


def coming_week() -> tuple[dt.date, dt.date]:
    """Monday of the week after next, and that week's Wednesday (a closing
    day wholly in the future: no free time of the week has passed yet)."""
    today = dt.datetime.now(ZONE).date()
    monday = today + dt.timedelta(days=14 - today.weekday())
    return monday, monday + dt.timedelta(days=2)


def day_name(day: dt.date) -> str:
    """How the calendar names a day in its accessible names."""
    return format_date(day, 'EEEE d MMMM', locale='en')


def free(day: dt.date, start: str, end: str | None = None, *, who: str | None = None) -> str:
    """Accessible name of a free item: a quarter of a caseworker's day, or a
    team-week period from `start` to `end`, which names its caseworker `who`."""
    if end is None:
        return f'{day_name(day)} {start}, free'
    return f'{who}, {day_name(day)} {start} to {end}, free'


# --- steps a new administrator takes ---------------------------------------

def log_in(page, user):
    page.goto('/')
    page.get_by_role('link', name=re.compile('I am staff')).click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Staff login')
    page.get_by_label('Email').fill(user.email)
    page.get_by_label('Password').fill(PASSWORD)
    page.get_by_role('button', name='Log in', exact=True).click()
    expect(page.get_by_role('heading', level=1)).to_have_text(f'Hello, {user.name}')


def admin_section(page, name):
    main_nav(page).get_by_role(
        'link', name='Administration').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Administration')
    page.get_by_role('navigation', name='Administration').get_by_role(
        'link', name=name).click()


def create_team(page):
    admin_section(page, 'Teams')
    expect(page.get_by_text('No teams yet.')).to_be_visible()
    page.get_by_role('link', name='New team').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('New team')
    page.get_by_label('Name').fill(TEAM)
    page.get_by_label('Address').fill('Paludan-Müllers Vej 4')
    page.get_by_label('Postcode').fill('8000')
    page.get_by_label('Postcode').blur()       # the city is looked up on change
    expect(page.get_by_label('City')).to_have_value('Aarhus C')
    expect(page.locator('#postcode-lookup')).to_have_text('8000 is Aarhus C.')
    page.get_by_role('button', name='Save').click()
    expect(page.get_by_role('status')).to_have_text(f'Team {TEAM} created.')
    tree = page.locator('#team-tree')
    expect(tree.get_by_role('link', name=TEAM, exact=True)).to_be_visible()
    expect(tree).to_contain_text('Aarhus C')


def create_caseworker(page, name, email, initials):
    admin_section(page, 'Caseworkers')
    page.get_by_role('link', name='New caseworker').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('New caseworker')
    page.get_by_label('Name', exact=True).fill(name)
    page.get_by_label('Email').fill(email)
    page.get_by_label('Initials').fill(initials)
    page.get_by_role('group', name='Teams').get_by_label(TEAM).check()
    page.get_by_role('button', name='Create caseworker').click()
    expect(page.get_by_role('status')).to_have_text(
        f'Caseworker {name} created. Now set the bookable hours.')
    expect(page.get_by_role('heading', level=1)).to_have_text(f'{name} ({initials})')
    expect(page.get_by_role('heading', level=2)).to_have_text('Bookable hours')


def weekday_group(page, name):
    return page.get_by_role('group', name=name, exact=True)


def set_hours_monday_to_friday(page, start, end):
    """Monday's hours copied to Tuesday-Friday; the weekend stays closed."""
    monday = weekday_group(page, 'Monday')
    monday.get_by_label('From').fill(start)
    monday.get_by_label('To').fill(end)
    page.get_by_role('button', name='Copy Monday to Tuesday–Friday').click()
    expect(page.get_by_role('status')).to_have_text(
        'Monday’s hours were copied to Tuesday to Friday.')
    for day in ('Tuesday', 'Wednesday', 'Thursday', 'Friday'):
        expect(weekday_group(page, day).get_by_label('From')).to_have_value(start)
        expect(weekday_group(page, day).get_by_label('To')).to_have_value(end)
    for day in ('Saturday', 'Sunday'):
        expect(weekday_group(page, day).get_by_label('From')).to_have_value('')
    page.get_by_role('button', name='Save hours').click()
    expect(page.get_by_role('status')).to_have_text('Bookable hours saved.')
    expect(weekday_group(page, 'Friday').get_by_label('To')).to_have_value(end)
    expect(weekday_group(page, 'Saturday').get_by_label('From')).to_have_value('')


def open_tab(page, name):
    page.get_by_role('navigation', name='Caseworker sections').get_by_role(
        'link', name=name).click()
    expect(page.get_by_role('heading', level=2)).to_have_text(name)


def fill_pause(page, day, n, start, end, label):
    which = f'pause {n}, {day}'
    page.get_by_label(f'From {which}').fill(start)
    page.get_by_label(f'To {which}').fill(end)
    page.get_by_label(f'Label (optional) {which}').fill(label)


def create_room(page):
    admin_section(page, 'Rooms')
    page.get_by_role('link', name='New room').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('New room')
    page.get_by_label('Name').fill(ROOM)
    page.get_by_label('Maximum capacity').fill('4')
    page.get_by_role('group', name='Teams that may use the room').get_by_label(TEAM).check()
    page.get_by_role('button', name='Save').click()
    expect(page.get_by_role('status')).to_have_text(f'Room {ROOM} created.')
    card = page.locator('.card', has=page.get_by_role('heading', name=ROOM))
    expect(card).to_contain_text('4 people')
    expect(card).to_contain_text(f'Teams: {TEAM}')


def create_closing_day(page, day):
    admin_section(page, 'Closing days')
    page.get_by_role('link', name='New closing day').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('New closing day')
    page.get_by_label('Date').fill(day.isoformat())
    page.get_by_label('Name').fill(CLOSING)
    page.get_by_label('Closed for').select_option(label=TEAM)
    page.get_by_role('button', name='Save').click()
    expect(page.get_by_role('status')).to_have_text(f'Closing day {CLOSING} created.')
    expect(page.get_by_role('heading', level=1)).to_have_text(f'Closing days {day.year}')
    card = page.locator('.card', has_text=CLOSING)
    expect(card).to_contain_text(format_date(day, 'full', locale='en_GB'))
    expect(card).to_contain_text(TEAM)


def open_team_week(page, day):
    main_nav(page).get_by_role('link', name='Calendar').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Calendars')
    page.get_by_role('region', name='Teams').get_by_role('link', name=TEAM).click()
    expect(page.get_by_role('heading', level=1)).to_have_text(TEAM)
    go_to_date(page, day)


def go_to_date(page, day):
    monday = day - dt.timedelta(days=day.weekday())
    page.get_by_label('Go to date').fill(day.isoformat())
    page.get_by_role('button', name='Show').click()
    expect(page).to_have_url(re.compile(rf'date={day.isoformat()}'))
    expect(page.locator('.cal-title')).to_have_text(
        f'Week {monday.isocalendar()[1]} · {format_date(monday, "d MMMM y", locale="en")}')


def free_names(scope):
    """Accessible names of every free item in `scope`, in page order."""
    return scope.locator('a.cal-free, p.fr > a').evaluate_all(
        'els => els.map(e => e.getAttribute("aria-label"))')


def team_row(page, who):
    """A caseworker's row of the team week."""
    return page.locator('table.tw tbody tr').filter(
        has=page.get_by_role('rowheader', name=who, exact=True))


def day_cell(row, day: dt.date):
    """The cell of `day` (a weekday) in a team-week row, Monday first."""
    return row.locator('td').nth(day.weekday())


PERIODS_JS = """
els => els.map(e => [e.getAttribute('aria-label'), e.textContent, e.getAttribute('href')])
"""


def expect_periods_as_named(row):
    """Each free period of a team-week row shows the times its name says and
    opens a summons for that start and the whole period's length."""
    periods = row.locator('p.fr a').evaluate_all(PERIODS_JS)
    assert periods
    for name, text, href in periods:
        start, end = re.search(r' (\d\d:\d\d) to (\d\d:\d\d), free$', name).groups()
        assert text == f'{start}–{end}', (name, text)
        minutes = (int(end[:2]) * 60 + int(end[3:])) - (int(start[:2]) * 60 + int(start[3:]))
        assert f'&time={start}&' in href and href.endswith(f'&duration={minutes}'), (name, href)


def expect_exactly_free(scope, names):
    """These free items and no others, each one shown (has a box on screen)."""
    expect(scope.get_by_role('link', name=re.compile(r', free$'))).to_have_count(len(names))
    for name in names:
        expect(scope.get_by_role('link', name=name, exact=True)).to_be_visible()
    assert free_names(scope) == names


# --- the tests ---------------------------------------------------------------

def test_admin_sets_up_a_team_and_the_team_calendar_shows_exactly_that(
        desktop, jobcentre, make_user):
    page = desktop
    admin = make_user(jobcentre, User.ADMIN, name='Ada Admin')
    make_user(jobcentre, User.CITIZEN, name=CITIZEN, cpr=CITIZEN_CPR)
    monday, closed = coming_week()
    week = [monday + dt.timedelta(days=i) for i in range(5)]
    open_days = [d for d in week if d != closed]

    log_in(page, admin)
    create_team(page)

    # Anna: 08:00-16:00 with a lunch pause, both copied from Monday.
    create_caseworker(page, ANNA, 'anna.andersen@jobcenter.example', 'AA')
    set_hours_monday_to_friday(page, '08:00', '16:00')
    open_tab(page, 'Pauses')
    expect(page.locator('#pauses-0')).to_have_attribute('open', '')   # Monday, to fill in
    fill_pause(page, 'Monday', 1, '12:00', '12:30', 'Lunch')
    page.get_by_role('button', name='Copy Monday to Tuesday–Friday').click()
    expect(page.get_by_role('status')).to_have_text(
        'Monday’s pauses were copied to Tuesday to Friday.')
    for day in ('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'):
        expect(page.locator('details summary', has_text=day)).to_have_text(
            f'{day} 08:00–16:00 · Lunch 12:00–12:30')
    expect(page.get_by_text('Saturday: not bookable')).to_be_visible()
    expect(page.get_by_text('Sunday: not bookable')).to_be_visible()

    # Bo: 09:00-12:00. Anna's lunch does not fit his hours: refused, named.
    create_caseworker(page, BO, 'bo.berg@jobcenter.example', 'BB')
    set_hours_monday_to_friday(page, '09:00', '12:00')
    open_tab(page, 'Pauses')
    page.get_by_label('Copy from caseworker').select_option(label=f'{ANNA} (AA)')
    page.get_by_role('button', name='Copy pauses').click()
    expect(page.locator('#source-error')).to_have_text(
        f'The pauses of {ANNA} fall outside this caseworker’s bookable hours on '
        'Monday, Tuesday, Wednesday, Thursday, Friday. Nothing was copied.')
    # His own: a coffee break on Mondays only.
    fill_pause(page, 'Monday', 1, '10:30', '10:45', 'Coffee')
    page.get_by_role('button', name='Save pauses').click()
    expect(page.get_by_role('status')).to_have_text('Pauses saved.')
    expect(page.locator('details summary', has_text='Monday')).to_have_text(
        'Monday 09:00–12:00 · Coffee 10:30–10:45')
    expect(page.locator('details summary', has_text='Tuesday')).to_have_text(
        'Tuesday 09:00–12:00 · no pauses')

    create_room(page)
    create_closing_day(page, closed)

    # --- the team calendar shows exactly that --------------------------------
    open_team_week(page, closed)
    anna_row, bo_row = team_row(page, ANNA), team_row(page, BO)
    expect(page.locator('table.tw tbody tr')).to_have_count(2)
    expect(anna_row.get_by_role('rowheader', name=ANNA)).to_be_visible()
    expect(bo_row.get_by_role('rowheader', name=BO)).to_be_visible()
    expect(page.locator('table.tw thead th').nth(closed.weekday())).to_have_text(day_name(closed))
    for row in (anna_row, bo_row):
        expect(row.locator('td > .x')).to_have_text([f'Closed: {CLOSING}'])
        expect(day_cell(row, closed).locator('.x')).to_be_visible()
    expect_exactly_free(anna_row, [
        name for d in open_days
        for name in (free(d, '08:00', '12:00', who=ANNA), free(d, '12:30', '16:00', who=ANNA))])
    expect_exactly_free(bo_row, [free(monday, '09:00', '10:30', who=BO),
                                 free(monday, '10:45', '12:00', who=BO)]
                        + [free(d, '09:00', '12:00', who=BO) for d in open_days[1:]])
    # The pauses, labelled, where they are; none on the closed day.
    expect(anna_row.locator('td > i')).to_have_text(['12:00–12:30 Lunch'] * 4)
    for d in open_days:
        expect(day_cell(anna_row, d).locator('i')).to_have_text('12:00–12:30 Lunch')
    expect(bo_row.locator('td > i')).to_have_text(['10:30–10:45 Coffee'])
    expect(day_cell(bo_row, monday).locator('i')).to_have_text('10:30–10:45 Coffee')
    for row in (anna_row, bo_row):
        expect(day_cell(row, closed).locator('a, i')).to_have_count(0)
        expect_periods_as_named(row)
    expect(page.get_by_text('Choose a free time to book it.')).to_be_visible()

    # --- one caseworker's week: book a meeting from a free time ------------
    anna_row.get_by_role('link', name=ANNA, exact=True).click()
    expect(page.get_by_role('heading', level=1)).to_have_text(f'{ANNA} (AA)')
    expect(page.locator('.cal-title')).to_contain_text(f'Week {monday.isocalendar()[1]}')
    grid = page.locator('#calendar-grid')
    expect(grid.get_by_role('region', name=day_name(closed))).to_contain_text(
        f'Closed: {CLOSING}')
    tuesday = week[1]
    day_column = grid.get_by_role('region', name=day_name(tuesday))
    quarters = [f'{h:02d}:{m:02d}' for h in range(8, 16) for m in (0, 15, 30, 45)
                if not (12 * 60 <= h * 60 + m < 12 * 60 + 30)]
    expect_exactly_free(day_column, [free(tuesday, q) for q in quarters])

    day_column.get_by_role('link', name=free(tuesday, '10:00'), exact=True).click()
    # A free time starts a summons for that time, caseworker and team.
    expect(page.get_by_role('heading', level=1)).to_have_text('New summons')
    expect(page).to_have_url(re.compile(r'/summons/new/frame[?]'))
    expect(page.get_by_text('Filled in from the calendar')).to_be_visible()
    expect(page.get_by_label('Team', exact=True)).to_have_value(str(Team.get(Team.name == TEAM).id))
    expect(page.get_by_label(ANNA, exact=True)).to_be_checked()
    expect(page.get_by_label('Date', exact=True)).to_have_value(tuesday.isoformat())
    expect(page.get_by_label('Start', exact=True)).to_have_value('10:00')
    # The meeting type redraws the choices that depend on it (htmx): wait for that.
    with page.expect_response(re.compile(r'/summons/new/frame[?]')):
        page.get_by_label('Meeting type', exact=True).select_option(label='Job interview')
    page.get_by_label('Room (optional)').select_option(label=f'{ROOM} (4 seats)')
    page.get_by_label('30 minutes', exact=True).check()
    page.get_by_role('button', name='Next: citizens').click()
    expect(page.get_by_role('heading', level=2)).to_have_text('Step 2 of 3: citizens')
    page.get_by_label('CPR number', exact=True).fill(f'{CITIZEN_CPR[:6]}-{CITIZEN_CPR[6:]}')
    page.get_by_role('button', name='Add', exact=True).click()
    expect(page.get_by_role('status')).to_have_text(f'{CITIZEN} added to the list.')
    page.get_by_role('button', name='Next: review the times').click()
    expect(page.get_by_role('heading', level=2)).to_have_text('Step 3 of 3: review and summon')
    expect(page.locator('.counts')).to_contain_text('1 citizen placed')
    expect(page.get_by_role('row', name=re.compile(CITIZEN))).to_contain_text('10:00')
    page.get_by_role('button', name='Summon now').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Summons sent')
    expect(page.locator('.counts')).to_contain_text('1 meeting made')

    main_nav(page).get_by_role('link', name='Calendar').click()
    page.get_by_role('region', name='Caseworkers').get_by_role('link', name=ANNA).click()
    go_to_date(page, tuesday)
    expect(page.get_by_role('heading', level=1)).to_have_text(f'{ANNA} (AA)')
    day_column = page.locator('#calendar-grid').get_by_role('region', name=day_name(tuesday))
    meeting = day_column.get_by_role('link', name=re.compile(
        rf'^{day_name(tuesday)} 10:00 to 10:30, meeting: 10:00–10:30 .+ · CHC 120385$'))
    expect(meeting).to_be_visible()
    expect(meeting).to_contain_text('CHC 120385')
    expect(day_column).not_to_contain_text(CITIZEN_CPR[6:])    # never the last four
    expect_exactly_free(day_column, [free(tuesday, q) for q in quarters
                                     if q not in ('10:00', '10:15')])
    assert page.js_errors == []

    # --- read back: what the forms stored ------------------------------------
    team = Team.get(Team.name == TEAM)
    assert (team.address, team.postcode, team.city) == ('Paludan-Müllers Vej 4', '8000',
                                                          'Aarhus C')
    anna = Caseworker.get(Caseworker.initials == 'AA')
    bo = Caseworker.get(Caseworker.initials == 'BB')
    assert sorted((h.weekday, h.start, h.end) for h in anna.working_hours) == [
        (d, dt.time(8), dt.time(16)) for d in range(5)]
    assert sorted((p.weekday, p.start, p.end, p.label) for p in
                  Pause.select().where(Pause.caseworker == anna)) == [
        (d, dt.time(12), dt.time(12, 30), 'Lunch') for d in range(5)]
    assert sorted((p.weekday, p.start, p.end, p.label) for p in
                  Pause.select().where(Pause.caseworker == bo)) == [
        (0, dt.time(10, 30), dt.time(10, 45), 'Coffee')]
    assert [(c.date, c.team_id) for c in ClosingDay.select()] == [(closed, team.id)]
    room = Room.get(Room.name == ROOM)
    booked = Meeting.get()
    assert (booked.caseworker_id, booked.team_id, booked.room_id, booked.status) == (
        anna.id, team.id, room.id, Meeting.BOOKED)
    assert as_utc(booked.starts_at) == dt.datetime.combine(
        tuesday, dt.time(10), tzinfo=ZONE).astimezone(dt.timezone.utc)


# --- choosing free times in a caseworker's week ------------------------------

@pytest.fixture
def caseworker_week(desktop, jobcentre, make_user):
    """A caseworker bookable Monday to Friday 08:00-16:00 (made directly: the
    setup through the forms is the test above), and the administrator on that
    caseworker's week, reached by the links a user would follow."""
    team = Team.create(organisation=jobcentre, name=TEAM, address='Paludan-Müllers Vej 4',
                       postcode='8000', city='Aarhus C')
    user = make_user(jobcentre, User.CASEWORKER, name=ANNA)
    anna = Caseworker.create(user=user, organisation=jobcentre, initials='AA')
    CaseworkerTeam.create(caseworker=anna, team=team)
    for weekday in range(5):
        WorkingHours.create(caseworker=anna, weekday=weekday, start=dt.time(8),
                            end=dt.time(16))
    admin = make_user(jobcentre, User.ADMIN, name='Ada Admin')
    monday, _closed = coming_week()
    page = desktop
    log_in(page, admin)
    main_nav(page).get_by_role('link', name='Calendar').click()
    page.get_by_role('region', name='Caseworkers').get_by_role('link', name=ANNA).click()
    expect(page.get_by_role('heading', level=1)).to_have_text(f'{ANNA} (AA)')
    go_to_date(page, monday)
    return dict(page=page, monday=monday, team=team, caseworker=anna)


def test_shift_click_range_starts_a_summons_with_its_duration(caseworker_week):
    page, monday = caseworker_week['page'], caseworker_week['monday']
    tuesday = monday + dt.timedelta(days=1)
    column = page.locator('#calendar-grid').get_by_role('region', name=day_name(tuesday))
    first = column.get_by_role('link', name=free(tuesday, '09:30'), exact=True)
    last = column.get_by_role('link', name=free(tuesday, '10:45'), exact=True)
    start_url = page.url
    expect(page.locator('#calendar-grid')).to_contain_text(
        'To book a longer period, hold Shift and choose its first free time, then its last.')

    # Shift and the first free time marks it, and stays on the week.
    first.click(modifiers=['Shift'])
    expect(first).to_have_class(re.compile(r'\bis-selected\b'))
    assert page.url == start_url
    # Shift and the last: a summons for 09:30 to 11:00.
    last.click(modifiers=['Shift'])
    expect(page.get_by_role('heading', level=1)).to_have_text('New summons')
    expect(page).to_have_url(re.compile(r'/summons/new/frame[?]'))
    expect(page.get_by_label(ANNA, exact=True)).to_be_checked()
    expect(page.get_by_label('Team', exact=True)).to_have_value(
        str(caseworker_week['team'].id))
    expect(page.get_by_label('Date', exact=True)).to_have_value(tuesday.isoformat())
    expect(page.get_by_label('Start', exact=True)).to_have_value('09:30')
    expect(page.get_by_label('90 minutes', exact=True)).to_be_checked()
    assert len(page.context.pages) == 1        # no browser window of its own
    assert page.js_errors == []


def test_keyboard_only_tab_to_a_free_time_and_enter(caseworker_week):
    page, monday = caseworker_week['page'], caseworker_week['monday']
    on_free_time = 'document.activeElement.matches("a.cal-free")'
    for _press in range(80):
        page.keyboard.press('Tab')
        if page.evaluate(on_free_time):
            break
    else:
        pytest.fail('no free time is reachable with Tab')
    focused = page.locator('a.cal-free:focus')
    expect(focused).to_be_visible()
    # The first free time of the week, announced by day, time and "free".
    expect(focused).to_have_accessible_name(free(monday, '08:00'))
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', level=1)).to_have_text('New summons')
    expect(page.get_by_label('Date', exact=True)).to_have_value(monday.isoformat())
    expect(page.get_by_label('Start', exact=True)).to_have_value('08:00')
    expect(page.get_by_label('45 minutes', exact=True)).to_be_checked()
    assert page.js_errors == []
