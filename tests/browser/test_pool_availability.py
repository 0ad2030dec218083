"""A substitute on a phone (390 x 844): logs in with password and SMS code,
opens a day in the month calendar, adds the day preset and an evening of her
own every week, removes one after confirming; every control is a finger's
size and nothing scrolls sideways. CSRF protection is on."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from models import Availability, Message, SubstituteUnit, Unit, User
from pool import staffing
from tests.browser.layout_support import settled
from tests.browser.menu_support import main_nav
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_phone_layout import MIN_TARGET, TARGETS_JS
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

NOW = dt.datetime(2030, 5, 8, 6, 0)          # Wednesday 08:00 in Stockholm (naive UTC)
TOMORROW = dt.date(2030, 5, 9)


def local_ranges(user):
    zone = user.organisation.zone
    return [(r.starts_at.replace(tzinfo=dt.timezone.utc).astimezone(zone).strftime('%d %H:%M'),
             r.ends_at.replace(tzinfo=dt.timezone.utc).astimezone(zone).strftime('%d %H:%M'))
            for r in Availability.select().where(Availability.user == user)
            .order_by(Availability.starts_at)]


def assert_fits_a_phone(page):
    width = settled(page).evaluate('Math.max(document.documentElement.scrollWidth, '
                                   'document.body.scrollWidth)')
    assert width <= 390, f'{page.url} is {width}px wide'
    # A check box's target is its row with the label (.check, 44 px tall).
    small = [f"{t['height']:.1f}px {t['html']}" for t in page.evaluate(TARGETS_JS)
             if t['height'] < MIN_TARGET - 0.5 and 'type="checkbox"' not in t['html']]
    rows = page.evaluate("() => Array.from(document.querySelectorAll('.check'))"
                         ".map(e => e.getBoundingClientRect().height)")
    small += [f'{h:.1f}px check box row' for h in rows if h < MIN_TARGET - 0.5]
    assert not small, '\n'.join(small)


@pytest.fixture(scope='module')
def axe():
    from axe_playwright_python.sync_playwright import Axe
    return Axe()


def test_substitute_registers_availability_on_a_phone(page, live_server, municipality,
                                                      make_user, monkeypatch, axe):
    monkeypatch.setattr(staffing, 'now', lambda: NOW)
    anna = make_user(municipality, User.SUBSTITUTE, name='Anna Andersson', username='anna',
                     phone='+46701000001', language='en')
    SubstituteUnit.create(user=anna, unit=Unit.create(organisation=municipality,
                                                      name='Hemtjänst Norr'))

    # Password, then the code sent by SMS to this new phone.
    page.goto('/login/substitute')
    page.get_by_label('Username').fill('anna')
    page.get_by_label('Password').fill(PASSWORD)
    page.get_by_role('button', name='Log in').click()
    expect(page).to_have_url(f'{live_server}/login/code')
    code = re.search(r'\d{6}', Message.select().where(Message.kind == Message.CODE)
                     .order_by(Message.id.desc()).get().body).group(0)
    page.get_by_label('Code from the SMS').fill(code)
    page.get_by_role('button', name='Log in', exact=True).click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Hello, Anna Andersson')

    main_nav(page).get_by_role('link', name='Availability').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('My availability')
    expect(page.get_by_role('heading', name='May 2030')).to_be_visible()
    assert_fits_a_phone(page)

    # A tap on tomorrow opens its times (an htmx swap of the day panel).
    page.get_by_role('link', name='Thursday 9 May').click()
    panel = page.locator('#day-panel')
    expect(panel.get_by_role('heading', level=2)).to_have_text('Thursday 9 May')
    expect(panel).to_contain_text('No times registered on this day.')
    expect(page).to_have_url(re.compile(r'day=2030-05-09'))
    assert_accessible(axe, page, 'availability with a day open')

    # One tap on the "Day" preset.
    panel.get_by_role('button', name=re.compile(r'^Day 07:00–15:00')).click()
    expect(page.get_by_role('status')).to_have_text('Saved.')
    expect(page.locator('#day-panel .range')).to_have_text(['07:00–15:00'])
    assert local_ranges(anna) == [('09 07:00', '09 15:00')]

    # An evening of her own, every Thursday for three weeks.
    panel = page.locator('#day-panel')
    panel.get_by_label('From').fill('16:00')
    panel.get_by_label('To').fill('21:30')
    panel.get_by_label('Repeat every week until').fill('2030-05-23')
    panel.get_by_role('button', name='Add time').click()
    expect(page.get_by_role('status')).to_have_text('Saved: 3 times added.')
    assert local_ranges(anna) == [('09 07:00', '09 15:00'), ('09 16:00', '09 21:30'),
                                  ('16 16:00', '16 21:30'), ('23 16:00', '23 21:30')]

    # An overlapping time is explained, and nothing is saved.
    panel = page.locator('#day-panel')
    panel.get_by_label('From').fill('14:00')
    panel.get_by_label('To').fill('17:00')
    panel.get_by_role('button', name='Add time').click()
    expect(page.get_by_text('This overlaps the time you already registered')).to_be_visible()
    assert_accessible(axe, page, 'availability with an error')
    assert len(local_ranges(anna)) == 4

    # The month shows the available days; removing asks first. (Each step
    # waits for what only the new page shows: the old one has the same month.)
    main_nav(page).get_by_role('link', name='Availability').click()
    heading = page.locator('#day-panel').get_by_role('heading', level=2)
    expect(heading).to_have_text('Wednesday 8 May')            # today, by default
    page.get_by_role('link', name='Thursday 16 May, available').click()
    expect(heading).to_have_text('Thursday 16 May')
    page.locator('#day-panel').get_by_role('link', name=re.compile('^Remove')).click()
    expect(page.get_by_text('Remove 16:00–21:30?')).to_be_visible()
    assert len(local_ranges(anna)) == 4
    # The form's answer is a new page (a boosted one): the page's stylesheet
    # stays as it was instead of being loaded again, so the month never
    # shows unstyled in between.
    page.evaluate("window.poolStylesheet = document.getElementById('css-pool')")
    page.locator('#day-panel').get_by_role('button', name='Remove').click()
    expect(page.get_by_role('status')).to_have_text('Removed.')
    assert page.evaluate("document.getElementById('css-pool') === window.poolStylesheet"
                         " && window.poolStylesheet.sheet !== null")
    assert ('16 16:00', '16 21:30') not in local_ranges(anna)
    assert_fits_a_phone(page)
    assert page.js_errors == []
