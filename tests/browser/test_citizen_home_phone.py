"""On a phone (390 x 844): the citizen's home shows the next meeting with
Rebook and the meetings to book as big buttons under a one-row header; a
citizen rebooks their seat of a group meeting into another meeting, and the
others on it keep theirs. The header's menu works without JavaScript too."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from models import Meeting, MeetingParticipant, Message
from planner import booking
from tests.browser.conftest import PHONE
from tests.browser.menu_support import main_nav, open_menu
from tests.browser.test_citizen_booking import citizen_login
from tests.summons_support import centre, make_citizens  # noqa: F401
from tests.test_group_rebooking import booked_ids, summon_group
from tests.test_offers_support import make_offer, rules_json

pytestmark = pytest.mark.browser

HEADER_SHARE = 0.08     # of the first screen's height


@pytest.fixture
def info_meetings(centre, make_user):
    """Two group information meetings next week (Wednesday 09:00 with three
    citizens, Friday 14:00 with one) and an offer every citizen matches."""
    now = dt.datetime.now(dt.timezone.utc)
    today = booking.local_today(centre.org, now)
    monday = today + dt.timedelta(days=7 - today.weekday())
    people = make_citizens(centre.org, make_user, 3, prefix='Info')
    first = summon_group(centre, people, dt.datetime.combine(monday + dt.timedelta(days=2),
                                                            dt.time(9)), now=now)
    second = summon_group(centre, make_citizens(centre.org, make_user, 1, prefix='Anden'),
                          dt.datetime.combine(monday + dt.timedelta(days=4), dt.time(14)),
                          now=now)
    make_offer(centre.org, centre.team, centre.caseworkers[:1], title='CV-værksted',
               rules=rules_json(('all', [('contact_group', 'eq', ['dagpenge'])])))
    return dict(people=people, first=first, second=second)


def header_height(page) -> float:
    return page.locator('.site-header').bounding_box()['height']


def test_home_and_rebooking_a_group_seat_on_a_phone(page, info_meetings):
    w = info_meetings
    anna, first, second = w['people'][0], w['first'], w['second']
    citizen_login(page, anna)

    # One compact row of header; the next meeting and the offers right below.
    assert header_height(page) <= HEADER_SHARE * PHONE['height']
    expect(page.get_by_role('link', name='My appointments', exact=True)).to_be_hidden()
    next_meeting = page.locator('.next-meeting')
    expect(next_meeting).to_contain_text(booking.local_when(first))
    expect(page.get_by_role('link', name=re.compile('^CV-værksted'))).to_be_visible()
    rebook = next_meeting.get_by_role('link', name='Rebook')
    assert rebook.bounding_box()['y'] + rebook.bounding_box()['height'] <= PHONE['height']
    assert page.evaluate('document.documentElement.scrollWidth') <= PHONE['width']

    # The menu opens below the row and holds the links and Log out.
    main_nav(page)
    expect(page.get_by_role('link', name='My appointments', exact=True)).to_be_visible()
    expect(page.get_by_role('button', name='Log out')).to_be_visible()
    page.locator('.menu-button').click()
    expect(page.get_by_role('link', name='My appointments', exact=True)).to_be_hidden()

    # Rebook offers a seat in the other information meeting, not free times.
    Message.delete().execute()
    rebook.click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Job interview')
    expect(page.get_by_text('Choose a seat in another of these meetings', exact=False)) \
        .to_be_visible()
    card = page.locator('.seat-list .card').filter(has_text=booking.local_when(second))
    expect(card).to_contain_text('4 free seats')
    card.get_by_role('link', name=re.compile('^Choose this meeting')).click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Confirm your new time')
    page.get_by_role('button', name='Move my meeting').click()
    expect(page.get_by_role('status').filter(has_text='Your meeting is moved.')).to_be_visible()
    expect(page.get_by_text('Your meeting is booked.')).to_have_count(0)

    # Only she moved; the others keep their meeting and are not told.
    assert Meeting.get_by_id(first.id).starts_at == first.starts_at
    assert booked_ids(first) == {c.id for c in w['people'][1:]}
    assert anna.id in booked_ids(second)
    assert {m.user_id for m in Message.select()} == {anna.id}
    page.goto('/')
    expect(page.locator('.next-meeting')).to_contain_text(booking.local_when(second))


def test_the_menu_works_without_javascript(browser, live_server, info_meetings):
    context = browser.new_context(base_url=live_server, viewport=PHONE, is_mobile=True,
                                  has_touch=True, java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        anna = info_meetings['people'][0]
        citizen_login(page, anna)
        assert header_height(page) <= HEADER_SHARE * PHONE['height']
        open_menu(page)
        page.get_by_role('navigation', name='Main').get_by_role(
            'link', name='My appointments').click()
        expect(page.get_by_role('heading', level=1)).to_have_text('My appointments')
        open_menu(page)
        page.get_by_role('button', name='Log out').click()
        expect(page.get_by_role('heading', level=1)).to_have_text('Welcome to Planpool')
        assert MeetingParticipant.select().where(
            MeetingParticipant.citizen == anna.id).count() == 1
    finally:
        context.close()
