"""Issue 3's "Done when" on a 390 px phone: an administrator sets up a team,
two caseworkers with hours and pauses, a room and a closing day through the
forms; the team week shows exactly that, its free periods, labelled pauses
and the day behind them each in their own colour, the closing day closed; a free
period of the team week opens the summons wizard filled in with its team,
caseworker, day, time and the period's length; a shift-click range in a
caseworker's week gives the range's duration in step 1.

The same setup on a desktop, read back from the database, with a summons
made from the caseworker's week, is test_admin_setup; its form steps are
reused here.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from models import Caseworker, Team, User
from tests.browser.layout_support import scrolls_sideways
from tests.browser.menu_support import main_nav
from tests.browser.test_admin_setup import (ANNA, BO, CLOSING, TEAM, coming_week,
                                            create_caseworker, create_closing_day, create_room,
                                            create_team, day_cell, day_name, expect_exactly_free,
                                            expect_periods_as_named, fill_pause, free, go_to_date,
                                            log_in, open_tab, set_hours_monday_to_friday,
                                            team_row)

pytestmark = pytest.mark.browser


# Background colour and height of a team-week day cell and of each of its
# items in order: its chips, then its free periods.
CELL_JS = """
cell => [cell, ...cell.querySelectorAll(':scope > :not(p.fr), :scope > p.fr > a')].map(e => ({
  kind: e === cell ? 'cell' : (e.matches('p.fr > a') ? 'free'
                               : e.matches('i') ? 'pause' : 'other'),
  name: e.getAttribute('aria-label') || e.textContent, bg: getComputedStyle(e).backgroundColor,
  height: e.getBoundingClientRect().height}))
"""


def set_up_through_the_forms(page):
    """Team, Anna 08-16 with lunch 12:00-12:30 every weekday, Bo 09-12 with
    coffee 10:30-10:45 on Mondays, a room, and the Wednesday closed."""
    monday, closed = coming_week()
    create_team(page)
    create_caseworker(page, ANNA, 'anna.andersen@jobcenter.example', 'AA')
    set_hours_monday_to_friday(page, '08:00', '16:00')
    open_tab(page, 'Pauses')
    fill_pause(page, 'Monday', 1, '12:00', '12:30', 'Lunch')
    page.get_by_role('button', name='Copy Monday to Tuesday–Friday').click()
    expect(page.get_by_role('status')).to_have_text(
        'Monday’s pauses were copied to Tuesday to Friday.')
    create_caseworker(page, BO, 'bo.berg@jobcenter.example', 'BB')
    set_hours_monday_to_friday(page, '09:00', '12:00')
    open_tab(page, 'Pauses')
    fill_pause(page, 'Monday', 1, '10:30', '10:45', 'Coffee')
    page.get_by_role('button', name='Save pauses').click()
    expect(page.get_by_role('status')).to_have_text('Pauses saved.')
    create_room(page)
    create_closing_day(page, closed)
    return monday, closed


def open_team_week(page, day):
    main_nav(page).get_by_role('link', name='Calendar').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Calendars')
    page.get_by_role('region', name='Teams').get_by_role('link', name=TEAM).click()
    expect(page.get_by_role('heading', level=1)).to_have_text(TEAM)
    go_to_date(page, day)


def test_admin_sets_up_a_team_on_a_phone_and_the_week_shows_it(page, jobcentre, make_user):
    admin = make_user(jobcentre, User.ADMIN, name='Ada Admin')
    log_in(page, admin)
    monday, closed = set_up_through_the_forms(page)
    week = [monday + dt.timedelta(days=i) for i in range(5)]
    open_days = [d for d in week if d != closed]
    tuesday = week[1]

    open_team_week(page, closed)
    assert not scrolls_sideways(page), 'the team week widens the page on a phone'
    anna_row, bo_row = team_row(page, ANNA), team_row(page, BO)
    expect(page.locator('table.tw tbody tr')).to_have_count(2)

    # Exactly the hours minus the pauses are free; the closed day has nothing.
    expect_exactly_free(anna_row, [
        name for d in open_days
        for name in (free(d, '08:00', '12:00', who=ANNA), free(d, '12:30', '16:00', who=ANNA))])
    expect_exactly_free(bo_row, [free(monday, '09:00', '10:30', who=BO),
                                 free(monday, '10:45', '12:00', who=BO)]
                        + [free(d, '09:00', '12:00', who=BO) for d in open_days[1:]])
    expect(anna_row.locator('td > i', has_text='Lunch')).to_have_count(4)
    expect(bo_row.locator('td > i', has_text='Coffee')).to_have_count(1)
    for row in (anna_row, bo_row):
        closed_day = day_cell(row, closed)
        expect(closed_day.locator('.x')).to_have_text(f'Closed: {CLOSING}')
        expect(closed_day.locator('a, i')).to_have_count(0)
        expect_periods_as_named(row)

    # Shading: the free periods in one colour, set apart from the labelled
    # pause and from the day's cell behind them.
    items = day_cell(anna_row, tuesday).evaluate(CELL_JS)
    cell = items[0]
    assert [i['kind'] for i in items[1:]] == ['pause', 'free', 'free'], items
    lunch, morning, afternoon = items[1:]
    assert lunch['name'] == '12:00–12:30 Lunch', items
    assert morning['bg'] == afternoon['bg'], items
    assert len({morning['bg'], lunch['bg'], cell['bg']}) == 3, (
        f"free {morning['bg']}, pause {lunch['bg']}, the day behind {cell['bg']}")
    assert min(morning['height'], lunch['height'], afternoon['height']) > 0
    # Bo's Tuesday: one free period, no pause, in the same colour.
    bo_items = day_cell(bo_row, tuesday).evaluate(CELL_JS)
    assert [i['kind'] for i in bo_items[1:]] == ['free'] and bo_items[1]['bg'] == morning['bg']

    # A free period opens the summons for it: team, caseworker, day, time and
    # the whole period's length.
    bo_row.get_by_role('link', name=free(monday, '09:00', '10:30', who=BO), exact=True).click()
    expect(page.get_by_role('heading', level=1)).to_have_text('New summons')
    expect(page).to_have_url(re.compile(r'/summons/new/frame[?]'))
    expect(page.get_by_text('Filled in from the calendar')).to_be_visible()
    team = Team.get(Team.name == TEAM)
    expect(page.get_by_label('Team', exact=True)).to_have_value(str(team.id))
    expect(page.get_by_label(BO, exact=True)).to_be_checked()
    expect(page.get_by_label(ANNA, exact=True)).not_to_be_checked()
    expect(page.get_by_label('Date', exact=True)).to_have_value(monday.isoformat())
    expect(page.get_by_label('Start', exact=True)).to_have_value('09:00')
    expect(page.get_by_label('90 minutes', exact=True)).to_be_checked()
    assert not scrolls_sideways(page)

    # Another length than the wizard's presets: "Other", with the minutes.
    page.go_back()
    expect(page.get_by_role('heading', level=1)).to_have_text(TEAM)
    team_row(page, ANNA).get_by_role(
        'link', name=free(tuesday, '12:30', '16:00', who=ANNA), exact=True).click()
    expect(page.get_by_role('heading', level=1)).to_have_text('New summons')
    expect(page.get_by_label(ANNA, exact=True)).to_be_checked()
    expect(page.get_by_label('Date', exact=True)).to_have_value(tuesday.isoformat())
    expect(page.get_by_label('Start', exact=True)).to_have_value('12:30')
    expect(page.get_by_role('group', name='Duration').get_by_label('Other', exact=True)) \
        .to_be_checked()
    expect(page.get_by_label('Other duration (minutes)')).to_have_value('210')

    # Anna's own week: shift and 13:00, shift and 14:15 -> 13:00 for 90 minutes.
    main_nav(page).get_by_role('link', name='Calendar').click()
    page.get_by_role('region', name='Caseworkers').get_by_role('link', name=ANNA).click()
    expect(page.get_by_role('heading', level=1)).to_have_text(f'{ANNA} (AA)')
    go_to_date(page, tuesday)
    column = page.locator('#calendar-grid').get_by_role('region', name=day_name(tuesday))
    first = column.get_by_role('link', name=free(tuesday, '13:00'), exact=True)
    last = column.get_by_role('link', name=free(tuesday, '14:15'), exact=True)
    week_url = page.url
    first.click(modifiers=['Shift'])
    expect(first).to_have_class(re.compile(r'\bis-selected\b'))
    assert page.url == week_url
    last.click(modifiers=['Shift'])
    expect(page.get_by_role('heading', level=1)).to_have_text('New summons')
    expect(page.get_by_label('Team', exact=True)).to_have_value(str(team.id))
    expect(page.get_by_label(ANNA, exact=True)).to_be_checked()
    expect(page.get_by_label('Date', exact=True)).to_have_value(tuesday.isoformat())
    expect(page.get_by_label('Start', exact=True)).to_have_value('13:00')
    expect(page.get_by_label('90 minutes', exact=True)).to_be_checked()
    assert not scrolls_sideways(page)
    assert page.js_errors == []
    # Only what the forms made: nothing is booked by opening the wizard.
    assert sorted(c.initials for c in Caseworker.select()) == ['AA', 'BB']
