"""A citizen on a phone: Danish, CPR + SMS code, home page, log out.

Every form here is submitted through hx-boost with CSRF protection on, so a
pass also proves the CSRF tokens survive boosted navigation.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from models import Message, User
from tests.browser.menu_support import open_menu

pytestmark = pytest.mark.browser


def latest_code(phone: str) -> str:
    sms = (Message.select()
           .where(Message.kind == Message.CODE, Message.recipient == phone)
           .order_by(Message.id.desc()).first())
    assert sms is not None, f'no code SMS to {phone}'
    code = sms.body[:6]
    assert code.isdigit(), sms.body
    return code


def test_citizen_switches_to_danish_logs_in_with_sms_code_and_out(
        page, live_server, jobcentre, make_user):
    citizen = make_user(jobcentre, User.CITIZEN, name='Mette Borger')
    posts = []
    page.on('request', lambda r: posts.append(r) if r.method == 'POST' else None)
    rejected = []
    page.on('response', lambda r: rejected.append(r.url) if r.status == 400 else None)

    page.goto('/')
    html = page.locator('html')
    expect(html).to_have_attribute('lang', 'en')
    expect(page.get_by_role('heading', level=1)).to_have_text('Welcome to Planpool')

    # The visible language switcher.
    page.get_by_label('Language').select_option(label='Dansk')
    page.get_by_role('button', name='Change').click()
    expect(html).to_have_attribute('lang', 'da')
    expect(page.get_by_role('heading', level=1)).to_have_text('Velkommen til Planpool')
    expect(page.get_by_label('Sprog')).to_have_value('da')

    page.get_by_role('link', name=re.compile('Jeg er borger')).click()
    expect(page).to_have_url(f'{live_server}/login/citizen')
    expect(page.get_by_role('heading', level=1)).to_have_text('Log ind med dit CPR-nummer')
    page.get_by_label('CPR-nummer').fill(f'{citizen.cpr[:6]}-{citizen.cpr[6:]}')
    page.get_by_role('button', name='Send mig en kode').click()

    expect(page).to_have_url(f'{live_server}/login/code')
    expect(page.get_by_role('heading', level=1)).to_have_text("Indtast koden fra sms'en")
    page.get_by_label("Kode fra sms'en").fill(latest_code(citizen.phone))
    page.get_by_role('button', name='Log ind', exact=True).click()

    expect(page).to_have_url(f'{live_server}/')
    expect(page.get_by_role('heading', level=1)).to_have_text('Hej, Mette Borger')
    expect(html).to_have_attribute('lang', 'da')
    # The citizen's home: the next meeting and what there is to book.
    expect(page.get_by_role('heading', level=2, name='Dit næste møde')).to_be_visible()
    expect(page.get_by_role('heading', level=2, name='Book et møde')).to_be_visible()

    # Log out with the token from the hx-headers only: the form's own hidden
    # field goes, so the request must carry a header that is valid for the
    # session that began at log-in.
    page.locator('.logout-form input[name=csrf_token]').evaluate('e => e.remove()')
    open_menu(page)
    page.get_by_role('button', name='Log ud').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Velkommen til Planpool')
    expect(page.get_by_role('status')).to_have_text('Du er logget ud.')
    expect(page.get_by_role('button', name='Log ud')).to_have_count(0)

    # The form posts went through htmx (boosted), carrying the CSRF header.
    paths = {re.sub(r'^https?://[^/]+', '', r.url): r for r in posts}
    assert set(paths) >= {'/language', '/login/citizen', '/login/code', '/logout'}
    for path in ('/login/citizen', '/login/code', '/logout'):
        headers = paths[path].headers
        assert headers.get('hx-request') == 'true', path
        assert headers.get('hx-boosted') == 'true', path
        assert headers.get('x-csrftoken'), path
    assert rejected == []
    assert page.js_errors == []

    # Really logged out: no home page, the staff log wants a login.
    page.goto('/')
    expect(page.get_by_role('heading', level=1)).to_have_text('Velkommen til Planpool')
    expect(page.get_by_text('Mette Borger')).to_have_count(0)
    page.goto('/messages/')
    expect(page).to_have_url(re.compile(r'/login\?next='))


def test_posts_without_a_csrf_token_are_refused(page, live_server):
    page.goto('/')
    response = page.request.post(f'{live_server}/language', form={'lang': 'da'},
                                 max_redirects=0)
    assert response.status == 400
    page.reload()
    expect(page.locator('html')).to_have_attribute('lang', 'en')
