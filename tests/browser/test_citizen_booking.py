"""On a phone: a planner creates an online offer with a rule; a matching
citizen logs in with an SMS code, books, downloads the .ics, rebooks and
cancels; a citizen outside the target group never sees the offer. And the
whole booking done with the keyboard alone."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from models import Meeting, Message, OnlineOffer
from tests.browser.layout_support import scrolls_sideways, settled
from tests.browser.menu_support import main_nav, open_menu
from tests.conftest import PASSWORD
from tests.test_offers_support import make_offer, next_monday, world  # noqa: F401

pytestmark = pytest.mark.browser


def latest_code(phone: str) -> str:
    sms = (Message.select().where(Message.kind == Message.CODE, Message.recipient == phone)
           .order_by(Message.id.desc()).first())
    assert sms is not None
    return sms.body[:6]


def citizen_login(page, citizen):
    page.goto('/login/citizen')
    page.get_by_label('CPR number').fill(citizen.cpr)
    page.get_by_role('button', name='Send me a code').click()
    expect(page).to_have_url(re.compile('/login/code$'))
    page.get_by_label('Code from the SMS').fill(latest_code(citizen.phone))
    page.get_by_role('button', name='Log in', exact=True).click()
    expect(page.get_by_role('heading', level=1)).to_have_text(f'Hello, {citizen.name}')


def log_out(page):
    open_menu(page)
    page.get_by_role('button', name='Log out').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Welcome to Planpool')


def no_sideways_scroll(page):
    assert not scrolls_sideways(page), page.url


def test_planner_offers_citizen_books_rebooks_and_cancels(page, live_server, world):
    w = world
    monday = next_monday(w['org'])

    # The planner: a three-step wizard with a target-group rule.
    page.goto('/login')
    page.get_by_label('Email').fill(w['planner'].email)
    page.get_by_label('Password').fill(PASSWORD)
    page.get_by_role('button', name='Log in', exact=True).click()
    expect(page.get_by_role('heading', level=1)).to_have_text(f"Hello, {w['planner'].name}")
    main_nav(page).get_by_role('link', name='Online offers').click()
    page.get_by_role('link', name='Create online offer').click()
    expect(page.get_by_role('heading', level=2)).to_have_text('Step 1 of 3: the meeting')
    settled(page)
    page.get_by_label('Team', exact=True).select_option(label='Dagpenge')
    page.get_by_label('Karen Vejleder').check()           # drawn by htmx for the team
    settled(page)
    page.get_by_label('Ole Olsen').check()
    page.get_by_label('Duration (minutes)').fill('45')
    page.get_by_label('Reporting time after the meeting (minutes)').fill('15')
    no_sideways_scroll(page)
    page.get_by_role('button', name='Next: citizens and booking').click()
    expect(page.get_by_role('heading', level=2)).to_have_text(
        'Step 2 of 3: citizens and booking')
    expect(page).to_have_url(re.compile(r'/offers/\d+/step/2$'))
    settled(page)
    page.get_by_label('Title (shown to citizens)').fill('Jobsamtale 30+')
    page.get_by_label('Description for citizens').fill('For dagpengemodtagere over 30 år.')
    page.get_by_label('Earliest meeting date').fill(monday.isoformat())
    page.get_by_label('End date').fill((monday + dt.timedelta(days=4)).isoformat())
    rules = page.locator('#rules')
    rules.get_by_label('Criterion').select_option('dagpenge')
    expect(rules.get_by_role('status')).to_have_text('2 citizens match the rules today.')
    settled(page)
    rules.get_by_role('button', name='Add a rule to group 1').click()
    expect(page.locator('#rules-0-1-type')).to_be_visible()
    settled(page)
    page.locator('#rules-0-1-type').select_option('age')
    expect(page.locator('#rules-0-1-condition')).to_contain_text('≥ at least')
    settled(page)
    page.locator('#rules-0-1-condition').select_option('ge')
    settled(page)
    page.locator('#rules-0-1-value').fill('30')
    page.locator('#rules-0-1-value').press('Tab')        # change: the count follows
    expect(rules.get_by_role('status')).to_have_text('1 citizen matches the rules today.')
    settled(page)
    no_sideways_scroll(page)
    page.get_by_role('button', name='Save the offer').click()
    expect(page.get_by_role('heading', level=2)).to_have_text('Step 3 of 3: receipt')
    expect(page.get_by_role('heading', level=1)).to_have_text('Online offer 1')
    expect(page.get_by_text('Age is at least 30')).to_be_visible()
    page.get_by_role('link', name='Go to overview').click()
    expect(page.get_by_role('heading', level=2, name=re.compile('No. 1 · Jobsamtale'))) \
        .to_be_visible()
    offer = OnlineOffer.get()
    assert offer.number == 1 and offer.active
    log_out(page)

    # Outside the target group: the offer never shows.
    citizen_login(page, w['sune'])
    main_nav(page).get_by_role('link', name='Book a meeting').click()
    expect(page.get_by_text('There are no meetings you can book right now.')).to_be_visible()
    log_out(page)

    # Mette matches: book, see it, .ics, rebook, cancel.
    citizen_login(page, w['mette'])
    main_nav(page).get_by_role('link', name='Book a meeting').click()
    page.get_by_role('link', name='Jobsamtale 30+').click()
    expect(page.get_by_text('For dagpengemodtagere over 30 år.')).to_be_visible()
    page.get_by_role('link', name='Next: choose a day and time').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Jobsamtale 30+')
    page.get_by_role('link', name=re.compile('^Wednesday')).click()      # htmx swap
    expect(page.get_by_role('heading', level=3)).to_contain_text('Free times on Wednesday')
    settled(page)
    expect(page).to_have_url(re.compile('day=' + (monday + dt.timedelta(days=2)).isoformat()))
    no_sideways_scroll(page)
    page.locator('.time-list').get_by_role('link', name=re.compile('10:00')).click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Confirm your booking')
    expect(page.get_by_text('Du kan tage en bisidder med.')).to_be_visible()
    page.get_by_label('I have read my rights and duties').check()
    page.get_by_role('button', name='Book the meeting').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Receipt')
    expect(page.get_by_text('Your meeting is booked.')).to_be_visible()
    meeting = Meeting.get()

    with page.expect_download() as download:
        page.get_by_role('link', name='Add to calendar').click()
    event = Calendar.from_ical(open(download.value.path(), 'rb').read()).walk('VEVENT')[0]
    assert str(event['SUMMARY']) == 'Jobsamtale 30+' and 'Jobvej 1' in str(event['LOCATION'])
    uid = str(event['UID'])

    main_nav(page).get_by_role('link', name='My appointments').click()
    upcoming = page.locator('section', has=page.get_by_role('heading', name='Upcoming meetings'))
    expect(upcoming).to_contain_text('Jobvej 1, 8000 Aarhus C')
    upcoming.get_by_role('link', name='Jobsamtale 30+').click()
    page.get_by_role('link', name='Rebook').click()
    expect(page.get_by_text('Choose a new day and time.')).to_be_visible()
    page.get_by_role('link', name=re.compile('^Thursday')).click()
    expect(page.get_by_role('heading', level=3)).to_contain_text('Free times on Thursday')
    settled(page)
    page.locator('.time-list').get_by_role('link', name=re.compile('13:00')).click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Confirm your new time')
    page.get_by_role('button', name='Move my meeting').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Receipt')
    expect(page.get_by_text(re.compile('Thursday'))).to_be_visible()
    moved = Meeting.get_by_id(meeting.id)
    assert moved.revision == 1 and moved.starts_at != meeting.starts_at
    with page.expect_download() as download:
        page.get_by_role('link', name='Add to calendar').click()
    again = Calendar.from_ical(open(download.value.path(), 'rb').read()).walk('VEVENT')[0]
    assert str(again['UID']) == uid and int(again['SEQUENCE']) == 1

    main_nav(page).get_by_role('link', name='My appointments').click()
    page.get_by_role('link', name='Jobsamtale 30+').click()
    page.get_by_role('link', name='Cancel the meeting').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Cancel the meeting?')
    page.get_by_role('button', name='Yes, cancel the meeting').click()
    expect(page.get_by_role('status')).to_contain_text('Your meeting is cancelled.')
    assert Meeting.get_by_id(meeting.id).status == Meeting.CANCELLED
    bodies = [m.body for m in Message.select().where(Message.user == w['mette'].id,
                                                      Message.channel == 'sms')
              if m.kind != Message.CODE]
    assert [b.split(':')[0] for b in bodies] == ['Booked', 'Moved', 'Cancelled']
    assert page.js_errors == []


def focused(page) -> str:
    return page.evaluate("""() => {
        const e = document.activeElement;
        return e ? (e.tagName + ' ' + (e.id || '') + ' ' + (e.innerText || e.value || '')).trim()
                 : '';
    }""")


def tab_to(page, locator, limit=80):
    """Press Tab until `locator` has the focus (as a keyboard user would)."""
    locator.wait_for()
    for _ in range(limit):
        if locator.evaluate('e => document.activeElement === e'):
            return
        page.keyboard.press('Tab')
    raise AssertionError(f'never reached {locator} by Tab; focus on {focused(page)}')


def test_the_whole_booking_by_keyboard_alone(page, live_server, world):
    w = world
    monday = next_monday(w['org'])
    make_offer(w['org'], w['team'], [w['karen'], w['ole']], first_day=monday,
               end=monday + dt.timedelta(days=4), title='Jobsamtale')
    page.goto('/login/citizen')
    tab_to(page, page.get_by_label('CPR number'))
    page.keyboard.type(w['mette'].cpr)
    page.keyboard.press('Enter')
    expect(page).to_have_url(re.compile('/login/code$'))
    tab_to(page, page.get_by_label('Code from the SMS'))
    page.keyboard.type(latest_code(w['mette'].phone))
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', level=1)).to_have_text('Hello, Mette Borger')

    # On a phone the links sit behind Menu: open it with the keyboard too.
    tab_to(page, page.locator('#menu-toggle'))
    page.keyboard.press('Space')
    tab_to(page, main_nav(page).get_by_role('link', name='Book a meeting'))
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', level=1)).to_have_text('Book a meeting')
    tab_to(page, page.get_by_role('link', name='Jobsamtale'))
    page.keyboard.press('Enter')
    tab_to(page, page.get_by_role('link', name='Next: choose a day and time'))
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', level=2)).to_contain_text('Week')
    # A caseworker by name, with the keyboard on the select and its button.
    tab_to(page, page.get_by_label('Caseworker'))
    page.keyboard.press('ArrowDown')          # Karen Vejleder
    tab_to(page, page.get_by_role('button', name='Show free times'))
    page.keyboard.press('Enter')
    expect(page).to_have_url(re.compile(f"caseworker={w['karen'].id}"))
    tab_to(page, page.get_by_role('link', name=re.compile('^Tuesday')))
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', level=3)).to_contain_text('Free times on Tuesday')
    tab_to(page, page.locator('.time-list').get_by_role('link', name=re.compile('09:00')))
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', level=1)).to_have_text('Confirm your booking')
    expect(page.get_by_text('Karen Vejleder')).to_be_visible()
    # Forgetting the box: the message, and nothing booked.
    tab_to(page, page.get_by_role('button', name='Book the meeting'))
    page.keyboard.press('Enter')
    expect(page.get_by_text('Tick the box to confirm')).to_be_visible()
    assert Meeting.select().count() == 0
    tab_to(page, page.get_by_label('I have read my rights and duties'))
    page.keyboard.press('Space')
    expect(page.get_by_label('I have read my rights and duties')).to_be_checked()
    tab_to(page, page.get_by_role('button', name='Book the meeting'))
    page.keyboard.press('Enter')
    expect(page.get_by_role('heading', level=1)).to_have_text('Receipt')
    meeting = Meeting.get()
    assert meeting.caseworker_id == w['karen'].id
    local = w['org'].local(meeting.starts_at)
    assert local.date() == monday + dt.timedelta(days=1) and local.hour == 9
    assert page.js_errors == []
