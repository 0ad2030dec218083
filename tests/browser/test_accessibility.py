"""axe-core on the pages people meet first, and on the staff message log.

No serious or critical violation is allowed (WCAG 2 A/AA and axe's best
practices: contrast, labels, landmarks, names, language).
"""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from models import Message, User
from tests.browser.menu_support import main_nav
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

BLOCKING = ('serious', 'critical')


@pytest.fixture(scope='module')
def axe():
    return Axe()


def assert_accessible(axe, page, name):
    results = axe.run(page)
    blocking = [v for v in results.response['violations'] if v['impact'] in BLOCKING]
    assert not blocking, f'{name}: ' + '; '.join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        f"{[n['target'] for n in v['nodes']][:5]}" for v in blocking)


def test_citizen_pages_have_no_serious_axe_violations(page, axe, jobcentre, make_user):
    citizen = make_user(jobcentre, User.CITIZEN)
    page.goto('/')
    assert_accessible(axe, page, 'landing')

    page.get_by_role('link', name=re.compile('I am a citizen')).click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Log in with your CPR number')
    assert_accessible(axe, page, 'citizen login')

    # With a field error showing.
    page.get_by_label('CPR number').fill('12')
    page.get_by_role('button', name='Send me a code').click()
    expect(page.locator('#cpr-error')).to_be_visible()
    expect(page.get_by_label('CPR number')).to_have_attribute('aria-invalid', 'true')
    assert_accessible(axe, page, 'citizen login with an error')

    page.get_by_label('CPR number').fill(citizen.cpr)
    page.get_by_role('button', name='Send me a code').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Enter the code from the SMS')
    assert_accessible(axe, page, 'code')

    code = (Message.select().where(Message.kind == Message.CODE,
                                   Message.recipient == citizen.phone)
            .order_by(Message.id.desc()).first().body[:6])
    page.get_by_label('Code from the SMS').fill(code)
    page.get_by_role('button', name='Log in', exact=True).click()
    expect(page.get_by_role('heading', level=1)).to_have_text(f'Hello, {citizen.name}')
    assert_accessible(axe, page, 'citizen home')


def test_staff_login_home_and_message_log(page, axe, live_server, jobcentre, make_user):
    admin = make_user(jobcentre, User.ADMIN, name='Anne Admin')
    citizen = make_user(jobcentre, User.CITIZEN)
    from messaging import outbox
    outbox.queue_sms(jobcentre, citizen.phone, 'Reminder: your meeting is tomorrow.',
                     user=citizen)

    page.goto('/')
    page.get_by_role('link', name=re.compile('I am staff')).click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Staff login')
    assert_accessible(axe, page, 'staff login')

    page.get_by_label('Email').fill(admin.email)
    page.get_by_label('Password').fill(PASSWORD)
    page.get_by_role('button', name='Log in', exact=True).click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Hello, Anne Admin')
    assert_accessible(axe, page, 'admin home')

    main_nav(page).get_by_role('link', name='Messages').click()
    expect(page).to_have_url(f'{live_server}/messages/')
    expect(page.get_by_role('heading', level=1)).to_have_text('SMS and email log')
    table = page.get_by_role('table')
    expect(table).to_contain_text('Reminder: your meeting is tomorrow.')
    assert_accessible(axe, page, 'message log')

    # The filter is an htmx partial swap; the page stays accessible after it.
    page.get_by_label('Status').select_option('failed')
    expect(page).to_have_url(re.compile(r'status=failed'))
    expect(page.get_by_text('No messages match.')).to_be_visible()
    assert_accessible(axe, page, 'message log, filtered')
    assert page.js_errors == []
