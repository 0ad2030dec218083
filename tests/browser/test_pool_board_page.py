"""The staffing board in a browser: a week at 1280 x 800 and one day on a
phone (390 x 844), no serious accessibility problem at either size, a click
on a block opening the vacancy, an empty cell opening a prefilled form, and
all of it with JavaScript off too."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from models import SubstituteUnit, Unit, User, Vacancy
from pool import staffing
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_axe_pages import log_in
from tests.browser.test_pool_availability import assert_fits_a_phone

pytestmark = pytest.mark.browser

NOW = dt.datetime(2030, 5, 8, 6, 0)          # Wednesday 08:00 in Stockholm (naive UTC)
DESKTOP = {'width': 1280, 'height': 800}


@pytest.fixture(scope='module')
def axe():
    from axe_playwright_python.sync_playwright import Axe
    return Axe()


@pytest.fixture
def staffed(municipality, make_user, monkeypatch):
    """A pool admin, a unit tree and a vacancy in every state this week."""
    monkeypatch.setattr(staffing, 'now', lambda: NOW)
    admin = make_user(municipality, User.ADMIN, name='Pia Poolchef')
    north = Unit.create(organisation=municipality, name='Hemtjänst Norr')
    ward = Unit.create(organisation=municipality, name='Avdelning 1', parent=north)
    south = Unit.create(organisation=municipality, name='Solgläntan', position=1)
    anna = make_user(municipality, User.SUBSTITUTE, name='Anna Andersson', language='en')
    SubstituteUnit.create(user=anna, unit=north)

    def shift(unit, day, hour, hours=8, **fields):
        start = dt.datetime(2030, 5, day, hour - 2)            # CEST: UTC+2
        return Vacancy.create(organisation=municipality, unit=unit, starts_at=start,
                              ends_at=start + dt.timedelta(hours=hours), **fields)
    booked = shift(north, 8, 7, status=Vacancy.BOOKED, substitute=anna,
                   booked_via=Vacancy.DIRECT)
    shift(ward, 8, 15, 7)
    shift(south, 9, 22, 9, status=Vacancy.UNFILLED)
    shift(south, 10, 7, status=Vacancy.CANCELLED)
    return dict(admin=admin, north=north, ward=ward, south=south, booked=booked)


@pytest.fixture
def desktop(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport=DESKTOP, locale='en-GB',
                                  device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def test_the_week_board_on_a_desktop(desktop, app, live_server, staffed, axe):
    log_in(desktop, app, live_server, staffed['admin'])
    desktop.goto('/pool/')
    desktop.get_by_role('link', name='Board', exact=True).click()
    expect(desktop.get_by_role('heading', level=1)).to_have_text('Board: Week 19, 2030')
    grid = desktop.locator('.board-grid')
    expect(grid.get_by_role('row', name=re.compile('Avdelning 1'))).to_contain_text(
        '15:00–22:00')
    assert_accessible(axe, desktop, 'board, week')
    # Beside its colour, every state shows an icon and a word.
    icons = desktop.evaluate('''() => Array.from(document.querySelectorAll('.board-grid .shift'))
        .map(e => [e.className, e.innerText, getComputedStyle(e, '::before').content])''')
    assert sorted((c, t.split()[0], i.split(' /')[0]) for c, t, i in icons) == [
        ('shift s-booked', 'Booked', '"✓"'), ('shift s-cancelled', 'Cancelled', '"✕"'),
        ('shift s-open', 'Open', '"○"'), ('shift s-unfilled', 'Unfilled', '"!"')]
    desktop.get_by_role('link', name='Month').click()
    expect(desktop.get_by_role('heading', level=1)).to_have_text('Board: May 2030')
    assert_accessible(axe, desktop, 'board, month')
    # The whole month fits: neither the page nor the board's box scrolls sideways.
    widths = desktop.evaluate("""() => [document.documentElement.scrollWidth,
        document.querySelector('.board-scroll').scrollWidth,
        document.querySelector('.board-scroll').clientWidth]""")
    assert widths[0] <= 1280 and widths[1] <= widths[2], widths
    booked = desktop.get_by_role('link', name=re.compile('Booked 07:00–15:00 Anna Andersson'))
    expect(booked).to_have_text(re.compile('07 AA'))             # hour and initials on screen

    desktop.get_by_role('link', name='Week', exact=True).click()
    # The week board first: the month's link would otherwise take the click,
    # and the week's answer arriving after it would push its own address.
    expect(desktop.get_by_role('heading', level=1)).to_have_text('Board: Week 19, 2030')
    desktop.get_by_role('link', name=re.compile('Booked 07:00–15:00 Anna Andersson')).click()
    expect(desktop.get_by_role('heading', level=1)).to_contain_text('Hemtjänst Norr')
    expect(desktop).to_have_url(f'{live_server}/pool/vacancies/{staffed["booked"].id}')
    expect(desktop.locator('.facts')).to_contain_text('Anna Andersson')


def test_the_day_board_on_a_phone(page, app, live_server, staffed, axe):
    log_in(page, app, live_server, staffed['admin'])
    page.goto('/pool/board/?day=2030-05-08')
    expect(page.get_by_role('heading', level=1)).to_have_text('Board: Wednesday, 8 May 2030')
    assert_fits_a_phone(page)
    assert_accessible(axe, page, 'board, one day on a phone')

    page.get_by_role('link', name='Next day').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Board: Thursday, 9 May 2030')
    expect(page.get_by_role('link', name=re.compile('Unfilled 22:00–07:00'))).to_be_visible()
    page.get_by_role('link', name='Previous day').click()
    page.get_by_role('link', name=re.compile('Booked 07:00–15:00')).click()
    expect(page).to_have_url(f'{live_server}/pool/vacancies/{staffed["booked"].id}')

    # The week and the month scroll inside their box, never the page.
    for path in ('/pool/board/?week=2030-W19', '/pool/board/?month=2030-05'):
        page.goto(path)
        width = page.evaluate('document.documentElement.scrollWidth')
        assert width <= 390, f'{path} is {width}px wide'
    page.goto('/pool/board/?week=2030-W19')
    page.get_by_role('link', name='Wed 8 May').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Board: Wednesday, 8 May 2030')
    page.get_by_role('link', name=re.compile('Booked 07:00–15:00')).click()
    expect(page).to_have_url(f'{live_server}/pool/vacancies/{staffed["booked"].id}')


def test_the_board_works_with_javascript_off(browser, app, live_server, staffed):
    context = browser.new_context(base_url=live_server, viewport=DESKTOP, locale='en-GB',
                                  java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    log_in(page, app, live_server, staffed['admin'])
    page.goto('/pool/board/?week=2030-W19')
    page.get_by_label('Unit').select_option(label='\u2003Avdelning 1')
    page.get_by_role('button', name='Show').click()
    expect(page).to_have_url(re.compile(rf'week=2030-W19&unit={staffed["ward"].id}'))
    expect(page.locator('.board-grid tbody th')).to_have_text(['Avdelning 1'])
    # Thursday's empty cell: a new vacancy there, the unit and day filled in.
    page.locator('.board-grid tbody td').nth(3).get_by_role('link').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('New vacancy')
    expect(page.get_by_label('Unit')).to_have_value(str(staffed['ward'].id))
    expect(page.get_by_label('Date')).to_have_value('2030-05-09')
    context.close()
