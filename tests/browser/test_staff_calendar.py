"""The staff calendars at a desk (1280x800) and on a phone (390x844): the
working hours on the first screen, readable meetings that open in place, a
team week of ten that fits the screen, and no serious axe finding in en, da
and sv."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from babel.dates import format_date
from playwright.sync_api import expect

from models import (Caseworker, CaseworkerTeam, MeetingType, Pause, ReservedTime, Room, RoomTeam,
                    Team, User, WorkingHours)
from planner import booking
from tests.browser.layout_support import settled
from tests.browser.test_axe_pages import axe, blocking_violations, log_in  # noqa: F401
from tests.test_offers_support import next_monday

pytestmark = pytest.mark.browser

DESK = {'width': 1280, 'height': 800}
PHONE = {'width': 390, 'height': 844}


@pytest.fixture
def team_week(jobcentre, make_user):
    """Ten caseworkers working 08:30-15:15 with lunch, a room, and one
    meeting for the first of them on next Monday at 09:00."""
    team = Team.create(organisation=jobcentre, name='Dagpenge', address='Jobvej 1',
                       postcode='8000', city='Aarhus C')
    room = Room.create(organisation=jobcentre, name='Lokale 2', capacity=4)
    RoomTeam.create(room=room, team=team)
    caseworkers = []
    for i in range(10):
        user = make_user(jobcentre, User.CASEWORKER, name=f'Vejleder {i:02d}')
        cw = Caseworker.create(user=user, organisation=jobcentre, initials=f'V{i}')
        CaseworkerTeam.create(caseworker=cw, team=team)
        for weekday in range(5):
            WorkingHours.create(caseworker=cw, weekday=weekday, start=dt.time(8, 30),
                                end=dt.time(15, 15))
            Pause.create(caseworker=cw, weekday=weekday, start=dt.time(12),
                         end=dt.time(12, 30), label='Frokost')
        caseworkers.append(cw)
    citizen = make_user(jobcentre, User.CITIZEN, name='Mette Borger', cpr='0101901234')
    monday = next_monday(jobcentre)
    meeting = booking.book(booking.MeetingRequest(
        organisation=jobcentre, team=team,
        meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'),
        caseworker=caseworkers[0], room=room,
        starts_at=dt.datetime.combine(monday, dt.time(9), tzinfo=jobcentre.zone),
        duration_minutes=45, reporting_minutes=15, citizens=(citizen,)))
    return dict(team=team, room=room, caseworkers=caseworkers, monday=monday,
                meeting=meeting, org=jobcentre)


def _open(page, app, live_server, user, path, size):
    page.set_viewport_size(size)
    log_in(page, app, live_server, user)
    response = page.goto(path)
    assert response.status == 200, path
    settled(page)


def test_caseworker_week_at_a_desk_shows_the_day_and_opens_a_meeting(
        page, app, live_server, make_user, team_week):
    admin = make_user(team_week['org'], User.ADMIN, language='en')
    cw = team_week['caseworkers'][0]
    _open(page, app, live_server, admin,
          f"/calendar/caseworker/{cw.id}?date={team_week['monday']}", DESK)
    axis = page.locator('.cal-axis .cal-hour')
    expect(axis.first).to_have_text('08:00')
    expect(axis.filter(has_text='00:00')).to_have_count(0)
    eight = axis.first.bounding_box()
    assert 0 <= eight['y'] and eight['y'] + eight['height'] <= DESK['height'], eight
    # The meeting reads as text in its block.
    block = page.locator('#calendar-grid a.cal-meeting').first
    expect(block).to_have_text('09:00–09:45 Job interview · Lokale 2 · MB 010190')
    assert block.bounding_box()['height'] >= 30
    expect(page.locator('#calendar-grid .cal-pause').first).to_have_text('Frokost')
    block.click()
    details = page.locator('#cal-details')
    expect(details).to_contain_text('Mette Borger')
    expect(details.get_by_role('link', name='Cancel the meeting…')).to_be_visible()
    assert '/calendar/caseworker/' in page.url        # opened in place
    # The whole day on request.
    page.get_by_role('link', name='Whole day').click()
    expect(page.locator('.cal-axis .cal-hour').first).to_have_text('00:00')


def _shown_text(chip):
    """The text of a team week chip without its parts hidden until focus."""
    return chip.evaluate("e => { const c = e.cloneNode(true); "
                         "c.querySelectorAll('i').forEach(i => i.remove()); "
                         "return c.textContent; }")


def test_team_week_of_ten_fits_a_desk_screen(page, app, live_server, make_user, team_week):
    admin = make_user(team_week['org'], User.ADMIN, language='en')
    _open(page, app, live_server, admin,
          f"/calendar/team/{team_week['team'].id}?date={team_week['monday']}", DESK)
    expect(page.locator('table.tw tbody tr')).to_have_count(10)
    expect(page.locator('table.tw thead th')).to_have_count(5)
    assert page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')
    week = page.locator('.tw-scroll')
    assert week.evaluate('e => e.scrollWidth <= e.clientWidth')
    # The meeting reads as its times and type, not cut off, inside the screen.
    chip = page.locator('table.tw td > a:not(.fr)').first
    assert _shown_text(chip) == '09:00–09:45 Job interview'
    assert chip.evaluate('e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight')
    box = chip.bounding_box()
    assert box['x'] >= 0 and box['x'] + box['width'] <= DESK['width'] and box['width'] > 100
    # Its whole label shows on the pointer and on focus.
    hidden = chip.locator('i')
    assert hidden.bounding_box()['width'] <= 1
    chip.hover()
    expect(chip).to_contain_text('09:00–09:45 Job interview · Lokale 2 · MB 010190')
    assert hidden.bounding_box()['width'] > 50
    page.mouse.move(0, 0)
    chip.focus()
    assert hidden.bounding_box()['width'] > 50
    # Free periods became links to a summons for them.
    first_free = page.locator('table.tw p.fr a').first
    expect(first_free).to_have_attribute('href', f"/summons/?caseworker="
                                         f"{team_week['caseworkers'][0].id}&date="
                                         f"{team_week['monday']}&time=08:30"
                                         f"&team={team_week['team'].id}&duration=30")


def test_team_week_names_each_block_with_time_caseworker_citizen_and_type(
        page, app, live_server, make_user, team_week):
    admin = make_user(team_week['org'], User.ADMIN, language='en')
    _open(page, app, live_server, admin,
          f"/calendar/team/{team_week['team'].id}?date={team_week['monday']}", DESK)
    monday = format_date(team_week['monday'], 'EEEE d MMMM', locale='en')
    chip = page.locator('table.tw td > a:not(.fr)').first
    expect(chip).to_have_accessible_name(
        '09:00–09:45 Job interview · Lokale 2 · MB 010190 · Vejleder 00')
    free = page.locator('table.tw p.fr a').first
    expect(free).to_have_accessible_name(f'Vejleder 00, {monday} 08:30 to 09:00, free')
    # Arrow keys: down a day's list, to the next day, to the caseworker below.
    tuesday = format_date(team_week['monday'] + dt.timedelta(days=1), 'EEEE d MMMM',
                          locale='en')
    focused = page.locator(':focus')
    chip.focus()
    page.keyboard.press('ArrowDown')
    expect(focused).to_have_accessible_name(f'Vejleder 00, {monday} 08:30 to 09:00, free')
    page.keyboard.press('ArrowRight')
    expect(focused).to_have_accessible_name(f'Vejleder 00, {tuesday} 08:30 to 12:00, free')
    page.keyboard.press('ArrowDown')
    page.keyboard.press('ArrowDown')
    expect(focused).to_have_accessible_name(f'Vejleder 01, {tuesday} 08:30 to 12:00, free')
    page.keyboard.press('ArrowLeft')
    expect(focused).to_have_accessible_name(f'Vejleder 01, {monday} 08:30 to 12:00, free')
    page.keyboard.press('ArrowUp')
    expect(focused).to_have_accessible_name(f'Vejleder 00, {monday} 12:30 to 15:15, free')


def test_team_week_without_script_reaches_a_summons_from_a_free_time(
        browser, app, live_server, make_user, team_week):
    """Without JavaScript a day's free times are one link to that
    caseworker's day, where each free quarter hour opens a summons."""
    admin = make_user(team_week['org'], User.ADMIN, language='en')
    context = browser.new_context(base_url=live_server, viewport=DESK,
                                  java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, app, live_server, admin)
        page.goto(f"/calendar/team/{team_week['team'].id}?date={team_week['monday']}")
        cw = team_week['caseworkers'][1]
        monday = format_date(team_week['monday'], 'EEEE d MMMM', locale='en')
        free = page.get_by_role('link', name=re.compile(r'^Free time 08:30–12:00, 12:30–15:15 '
                                                        rf'Vejleder 01 {monday}$'))
        expect(free).to_have_attribute(
            'href', f"/calendar/caseworker/{cw.id}?day={team_week['monday']}")
        free.click()
        with page.expect_request(re.compile(r'/summons/[?]')) as asked:
            page.get_by_role('link', name=f'{monday} 10:15, free').click()
        assert (f"caseworker={cw.id}&date={team_week['monday']}&time=10:15"
                in asked.value.url), asked.value.url
        expect(page).to_have_url(re.compile(r'/summons/new/frame[?].*prefilled=1'))
    finally:
        context.close()


@pytest.mark.parametrize('language', ['en', 'da', 'sv'])
def test_calendars_have_no_serious_axe_violations(page, axe, app, live_server,  # noqa: F811
                                                  make_user, team_week, language):
    admin = make_user(team_week['org'], User.ADMIN, language=language)
    cw = team_week['caseworkers'][0]
    day = team_week['monday']
    paths = [f'/calendar/caseworker/{cw.id}?date={day}', f'/calendar/caseworker/{cw.id}?day={day}',
             f"/calendar/team/{team_week['team'].id}?date={day}",
             f"/calendar/room/{team_week['room'].id}?date={day}"]
    for size in (DESK, PHONE):
        for path in paths:
            _open(page, app, live_server, admin, path, size)
            problems = blocking_violations(axe, page)
            assert not problems, f'{path} at {size}: ' + '; '.join(problems)
    assert page.js_errors == []


def test_caseworker_day_on_a_phone_has_touch_sized_targets(page, app, live_server, make_user,
                                                          team_week):
    admin = make_user(team_week['org'], User.ADMIN, language='en')
    cw = team_week['caseworkers'][0]
    monday = team_week['monday']
    _open(page, app, live_server, admin, f'/calendar/caseworker/{cw.id}?day={monday}', PHONE)
    assert page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')
    expect(page.locator('#calendar-grid a.cal-meeting')).to_contain_text('09:00–09:45')
    targets = page.locator('#calendar-grid a.cal-free, #calendar-grid a.cal-meeting, '
                           '.cal-nav a, .cal-nav button')
    heights = targets.evaluate_all('els => els.map(e => e.getBoundingClientRect().height)')
    assert heights and min(heights) >= 44, sorted(heights)[:5]
    page.get_by_role('link', name='Next day').click()
    expect(page.locator('.cal-title')).to_contain_text('Tuesday')


def test_arrow_keys_move_between_times_and_days(page, app, live_server, make_user, team_week):
    admin = make_user(team_week['org'], User.ADMIN, language='en')
    cw = team_week['caseworkers'][0]
    monday = team_week['monday']
    _open(page, app, live_server, admin,
          f"/calendar/caseworker/{cw.id}?date={monday}", DESK)
    names = 'document.activeElement.getAttribute("aria-label")'
    tuesday = format_date(monday + dt.timedelta(days=1), 'EEEE d MMMM', locale='en')
    first = page.locator('#calendar-grid a.cal-free').first
    first.focus()
    start = page.evaluate(names)
    page.keyboard.press('ArrowDown')
    assert page.evaluate(names) != start and page.evaluate(names).endswith(', free')
    page.keyboard.press('ArrowUp')
    assert page.evaluate(names) == start
    page.keyboard.press('ArrowRight')
    assert page.evaluate(names).startswith(tuesday), page.evaluate(names)


def test_a_meeting_moves_in_place_and_without_javascript(page, browser, app, live_server,
                                                         make_user, team_week):
    admin = make_user(team_week['org'], User.ADMIN, language='en')
    cw = team_week['caseworkers'][0]
    week = f"/calendar/caseworker/{cw.id}?date={team_week['monday']}"
    _open(page, app, live_server, admin, week, DESK)
    page.locator('#calendar-grid a.cal-meeting').first.click()
    details = page.locator('#cal-details')
    details.get_by_role('link', name='Move the meeting…').click()
    details.get_by_label('Start').fill('10:00')
    details.get_by_role('button', name='Move the meeting').click()
    expect(details).to_contain_text('The meeting is moved')
    expect(details.get_by_role('heading', level=2)).to_be_focused()   # read from the top
    # The grid is drawn again with the meeting at its new time; the page stayed.
    expect(page.locator('#calendar-grid a.cal-meeting').first).to_have_text(
        '10:00–10:45 Job interview · Lokale 2 · MB 010190')
    assert page.url.endswith(week)
    details.get_by_role('button', name='Send the notice again').click()
    expect(details).to_contain_text('There was no notice to send again.')
    assert page.js_errors == []

    context = browser.new_context(base_url=live_server, viewport=DESK, locale='en-GB',
                                  java_script_enabled=False)
    plain = context.new_page()
    log_in(plain, app, live_server, admin)
    plain.goto(week)
    plain.locator('#calendar-grid a.cal-meeting').first.click()
    expect(plain.get_by_role('heading', level=1)).to_have_text('Job interview')
    plain.get_by_role('link', name='Move the meeting…').click()
    plain.get_by_label('Start').fill('11:00')
    plain.get_by_role('button', name='Move the meeting').click()
    expect(plain.locator('#calendar-grid a.cal-meeting').first).to_have_text(
        '11:00–11:45 Job interview · Lokale 2 · MB 010190')
    context.close()


def test_overlapping_reservations_stand_side_by_side_on_a_phone(page, app, live_server,
                                                                make_user, team_week):
    """The team keeps Monday mornings for summons, the caseworker Monday
    10-12 for self-booking: both bands show in full, beside each other, and
    free times and meetings keep clear of them."""
    cw = team_week['caseworkers'][0]
    ReservedTime.create(organisation=team_week['org'], team=team_week['team'], weekday=0,
                        start=dt.time(8), end=dt.time(12), purpose=ReservedTime.SUMMONS)
    ReservedTime.create(organisation=team_week['org'], caseworker=cw, weekday=0,
                        start=dt.time(10), end=dt.time(12), purpose=ReservedTime.SELF_BOOKING)
    admin = make_user(team_week['org'], User.ADMIN)
    _open(page, app, live_server, admin,
          f"/calendar/caseworker/{cw.id}?day={team_week['monday'].isoformat()}", PHONE)
    summons = page.get_by_role('note', name='Summons only 08:00–12:00').bounding_box()
    own = page.get_by_role('note', name='Self-booking only 10:00–12:00').bounding_box()
    assert own['x'] + own['width'] <= summons['x'] or summons['x'] + summons['width'] <= own['x']
    meeting = page.locator('.cal-meeting').first.bounding_box()
    assert meeting['x'] + meeting['width'] <= min(summons['x'], own['x'])
