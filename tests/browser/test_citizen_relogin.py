"""A citizen on a phone logs in, out and in again within a minute: a new code
comes, and the page says what happens when one asks too soon."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from models import Message, User
from tests.browser.menu_support import open_menu

pytestmark = pytest.mark.browser


def codes_sent(phone: str) -> list[str]:
    return [m.body[:6] for m in Message.select()
            .where(Message.kind == Message.CODE, Message.recipient == phone)
            .order_by(Message.id)]


def ask_for_a_code(page, cpr: str) -> None:
    page.goto('/login/citizen')
    page.get_by_label('CPR number').fill(cpr)
    page.get_by_role('button', name='Send me a code').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Enter the code from the SMS')


def test_log_in_out_and_in_again_within_a_minute(page, jobcentre, make_user):
    assert page.viewport_size == {'width': 390, 'height': 844}
    citizen = make_user(jobcentre, User.CITIZEN, name='Mette Borger')
    ask_for_a_code(page, citizen.cpr)
    expect(page.get_by_text('We send at most one code a minute.')).to_be_visible()
    [first] = codes_sent(citizen.phone)
    page.get_by_label('Code from the SMS').fill(first)
    page.get_by_role('button', name='Log in', exact=True).click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Hello, Mette Borger')
    open_menu(page)      # on a phone, Log out sits behind the header's menu
    page.get_by_role('button', name='Log out').click()
    expect(page.get_by_role('status')).to_have_text('You are logged out.')

    # At once again: the used code held nothing back, a new one came.
    ask_for_a_code(page, citizen.cpr)
    sent = codes_sent(citizen.phone)
    assert len(sent) == 2
    # Asking for yet another within the minute says when one can.
    page.get_by_role('button', name='Send a new code').click()
    expect(page.get_by_role('alert')).to_have_text(re.compile(
        r'The code sent a moment ago still works; you can ask for a new one in '
        r'(60|59|58|57|56|55) seconds\.'))
    assert len(codes_sent(citizen.phone)) == 2
    page.get_by_label('Code from the SMS').fill(sent[-1])
    page.get_by_role('button', name='Log in', exact=True).click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Hello, Mette Borger')
    assert page.js_errors == []


def test_a_number_we_do_not_know_is_told_the_same(page):
    ask_for_a_code(page, '311299-1234')
    page.get_by_role('button', name='Send a new code').click()
    expect(page.get_by_role('alert')).to_have_text(re.compile(
        r'The code sent a moment ago still works; you can ask for a new one in '
        r'(60|59|58|57|56|55) seconds\.'))
    assert Message.select().count() == 0
