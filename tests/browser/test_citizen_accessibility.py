"""axe-core on every citizen page at 390x844 (and the planner's offer pages):
no serious or critical violations, no sideways scrolling."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from models import Meeting, MeetingParticipant, MeetingType, OnlineOffer
from planner import booking
from tests.browser.layout_support import settled
from tests.browser.test_citizen_booking import citizen_login
from tests.conftest import PASSWORD
from tests.test_offers_support import make_citizen, make_offer, next_monday, world  # noqa: F401

pytestmark = pytest.mark.browser

BLOCKING = ('serious', 'critical')


@pytest.fixture(scope='module')
def axe():
    return Axe()


def check(axe, page, name):
    settled(page)      # not while a boosted request dims the buttons
    results = axe.run(page)
    blocking = [v for v in results.response['violations'] if v['impact'] in BLOCKING]
    assert not blocking, f'{name}: ' + '; '.join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        f"{[n['target'] for n in v['nodes']][:5]}" for v in blocking)
    assert page.evaluate('document.documentElement.scrollWidth') <= 390, f'{name}: too wide'
    assert page.js_errors == [], name


def test_every_citizen_page(page, axe, live_server, world, make_user):
    w = world
    monday = next_monday(w['org'])
    offer = make_offer(w['org'], w['team'], [w['karen'], w['ole']], first_day=monday,
                       end=monday + dt.timedelta(days=11))
    trust = make_offer(w['org'], w['team'], [w['karen'], w['ole']], number=2, model='trust',
                       title='Samtale med din egen vejleder', first_day=monday,
                       end=monday + dt.timedelta(days=4))
    # A past meeting and a staff-booked one, so My appointments has both lists.
    kind = MeetingType.get(MeetingType.code == 'jobsamtale')
    past = Meeting.create(organisation=w['org'], team=w['team'], meeting_type=kind,
                          caseworker=w['karen'], starts_at=dt.datetime(2026, 1, 5, 9),
                          ends_at=dt.datetime(2026, 1, 5, 9, 45), status=Meeting.HELD)
    MeetingParticipant.create(meeting=past, citizen=w['mette'])

    citizen_login(page, w['mette'])
    page.goto('/my/appointments')
    check(axe, page, 'my appointments, nothing upcoming')
    page.goto('/my/book')
    check(axe, page, 'book a meeting')
    page.get_by_role('link', name=offer.title).click()
    expect(page.get_by_role('link', name='Next: choose a day and time')).to_be_visible()
    settled(page)
    check(axe, page, 'offer description')
    page.get_by_role('link', name='Next: choose a day and time').click()
    expect(page.get_by_role('heading', level=2)).to_contain_text('Week')
    settled(page)
    check(axe, page, 'day and time')
    page.get_by_role('link', name='Next week').click()          # htmx swap of the week
    expect(page.get_by_role('heading', level=2)).to_contain_text(
        f'Week {monday.isocalendar()[1] + 1}')
    settled(page)
    check(axe, page, 'day and time, next week')
    page.get_by_label('Caseworker').select_option(label='Ole Olsen')
    expect(page).to_have_url(re.compile('caseworker='))
    settled(page)
    check(axe, page, 'day and time, one caseworker')
    page.goto(f'/my/book/{trust.id}/time')
    check(axe, page, 'trust model before choosing')
    page.goto(f'/my/book/{offer.id}/time')
    page.locator('.time-list a').first.click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Confirm your booking')
    check(axe, page, 'confirm')
    page.get_by_role('button', name='Book the meeting').click()
    expect(page.locator('#accept-error')).to_be_visible()
    check(axe, page, 'confirm with an error')
    page.get_by_label('I have read my rights and duties').check()
    page.get_by_role('button', name='Book the meeting').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Receipt')
    check(axe, page, 'receipt')
    page.emulate_media(media='print')
    check(axe, page, 'receipt printed')
    page.emulate_media(media='screen')
    meeting = Meeting.get(Meeting.offer == offer)
    page.goto('/my/appointments')
    check(axe, page, 'my appointments')
    page.goto(f'/my/appointments/{meeting.id}')
    check(axe, page, 'meeting')
    page.get_by_role('link', name='Rebook').click()
    expect(page.get_by_text('Choose a new day and time.')).to_be_visible()
    settled(page)
    check(axe, page, 'rebook: day and time')
    page.locator('.time-list a').last.click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Confirm your new time')
    check(axe, page, 'rebook: confirm')
    page.goto(f'/my/appointments/{meeting.id}/cancel')
    check(axe, page, 'cancel: are you sure')

    # A time taken meanwhile: the message above fresh times.
    hans = make_citizen(w['org'], make_user, 'Hans Hansen', cpr='0303751237')
    page.goto(f'/my/book/{trust.id}/time?caseworker={w["ole"].id}')
    page.locator('.time-list a').first.click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Confirm your booking')
    start = re.search(r'start=([^&]+)', page.url).group(1).replace('%3A', ':')
    booking.book_offer(OnlineOffer.get_by_id(trust.id), hans,
                       dt.datetime.strptime(start, '%Y-%m-%dT%H:%MZ').replace(
                           tzinfo=dt.timezone.utc), caseworker_id=w['ole'].id)
    page.get_by_label('I have read my rights and duties').check()
    page.get_by_role('button', name='Book the meeting').click()
    expect(page.get_by_role('alert')).to_have_text(
        'That time was just taken. Please choose another.')
    check(axe, page, 'time taken')
    page.goto('/my/appointments/999999')
    check(axe, page, 'not found')


def test_the_planners_offer_pages(page, axe, live_server, world):
    w = world
    monday = next_monday(w['org'])
    offer = make_offer(w['org'], w['team'], [w['karen'], w['ole']], first_day=monday,
                       end=monday + dt.timedelta(days=11))
    booking.book_offer(offer, w['mette'], dt.datetime.combine(
        monday, dt.time(9), tzinfo=w['org'].zone))
    page.goto('/login')
    page.get_by_label('Email').fill(w['planner'].email)
    page.get_by_label('Password').fill(PASSWORD)
    page.get_by_role('button', name='Log in', exact=True).click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Hello, Peter Planlægger')
    for name, url in (('overview', '/offers/'), ('offer', f'/offers/{offer.id}'),
                      ('new', '/offers/new'), ('step 1', f'/offers/{offer.id}/step/1'),
                      ('step 2', f'/offers/{offer.id}/step/2'),
                      ('step 3', f'/offers/{offer.id}/step/3'), ('rights', '/offers/rights')):
        page.goto(url)
        check(axe, page, name)
    page.goto(f'/offers/{offer.id}/step/2')
    page.get_by_label('Title (shown to citizens)').fill('')
    page.get_by_role('button', name='Save the offer').click()
    expect(page.locator('#title-error')).to_be_visible()
    check(axe, page, 'step 2 with an error')
