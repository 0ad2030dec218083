"""A citizen books a meeting on a phone with the keyboard alone, from My
appointments to the receipt: Tab, Shift+Tab, Enter, Space and the arrow keys
through page.keyboard only (no clicks, no fill). On every page the focus is
always visible (an outline or a box shadow on the focused element, on screen)
and Tab leads through the whole page and out again (no keyboard trap), and
Shift+Tab leads back the same way.

The login by keyboard and a caseworker chosen with the select's button are in
test_citizen_booking; this test starts logged in on My appointments.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from models import Meeting, UserSession
from tests.browser.layout_support import settled
from tests.test_offers_support import make_offer, next_monday, world  # noqa: F401

pytestmark = pytest.mark.browser

# The focused element: what it is, its place in the page's Tab order (see
# MARK_JS; -1: not in it), whether its focus shows, whether it is on screen.
FOCUS_JS = """
() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  const s = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const shadow = s.boxShadow !== 'none' && s.boxShadow !== '';
  return {
    what: (e.tagName + ' ' + (e.id || '') + ' ' +
           (e.getAttribute('aria-label') || e.innerText || e.value || '')).trim().slice(0, 80),
    index: e.dataset.kb === undefined ? -1 : Number(e.dataset.kb),
    shown: outline || shadow,
    onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
              && r.top < window.innerHeight && r.left < window.innerWidth,
  };
}
"""
# Numbers everything Tab should reach, in document order (the app uses no
# positive tabindex), and gives their count.
MARK_JS = """
() => {
  const all = Array.from(document.querySelectorAll(
      'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), '
      + 'select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])'))
    .filter(e => { const s = getComputedStyle(e);
                   return s.visibility !== 'hidden' && s.display !== 'none'
                          && e.getClientRects().length > 0; });
  all.forEach((e, i) => { e.dataset.kb = i; });
  return all.length;
}
"""


def focus(page):
    return page.evaluate(FOCUS_JS)


def press(page, key):
    """Press a key; if it leaves the focus on an element, that focus shows."""
    page.keyboard.press(key)
    now = focus(page)
    if now is not None:
        assert now['shown'], f'{key}: no visible focus on {now["what"]} ({page.url})'
        assert now['onScreen'], f'{key}: focus off screen on {now["what"]} ({page.url})'
    return now


def is_focused(locator) -> bool:
    return locator.evaluate('e => document.activeElement === e')


def tab_to(page, locator, limit=60):
    """Tab forward until `locator` has the focus, each step's focus visible;
    then Shift+Tab and Tab again must leave and come back (no dead end)."""
    locator.wait_for()
    for _ in range(limit):
        if is_focused(locator):
            break
        press(page, 'Tab')
    else:
        raise AssertionError(f'never reached {locator} by Tab on {page.url}')
    before = focus(page)['what']
    press(page, 'Shift+Tab')
    assert not is_focused(locator), f'Shift+Tab stays on {before}'
    press(page, 'Tab')
    assert is_focused(locator), f'Tab after Shift+Tab does not return to {before}'


def no_keyboard_trap(page):
    """From wherever the focus is, Tab goes through every focusable element of
    the page in order, round to the top and on (none left out, none holding
    the focus); Shift+Tab does the same in reverse. A step outside the page
    (into the browser) between the last and the first is allowed."""
    settled(page)
    count = page.evaluate(MARK_JS)
    assert count > 0, page.url
    for key, step in (('Tab', 1), ('Shift+Tab', -1)):
        order = []
        for _ in range(count + 2):
            now = press(page, key)
            if now is not None:
                order.append((now['index'], now['what']))
        names = '\n'.join(f'{i} {w}' for i, w in order)
        assert -1 not in [i for i, _w in order], f'{page.url} {key}: outside the order\n{names}'
        assert {i for i, _w in order} == set(range(count)), \
            f'{page.url} {key}: reaches {len(set(order))} of {count}\n{names}'
        for (a, _x), (b, _y) in zip(order, order[1:]):
            assert b == (a + step) % count, f'{page.url} {key}: {a} then {b}\n{names}'


def log_in(page, app, live_server, user):
    """The citizen's session (the keyboard login is in test_citizen_booking)."""
    client = app.test_client()
    token = UserSession.open(user)
    with client.session_transaction() as session:
        session['_user_id'] = token
        session['_fresh'] = True
    cookie = client.get_cookie(app.config['SESSION_COOKIE_NAME'])
    page.context.add_cookies([{'name': cookie.key, 'value': cookie.value,
                               'url': live_server}])


def test_a_citizen_books_with_the_keyboard_alone(page, app, live_server, world):
    w = world
    monday = next_monday(w['org'])
    offer = make_offer(w['org'], w['team'], [w['karen'], w['ole']], first_day=monday,
                       end=monday + dt.timedelta(days=4), title='Jobsamtale')
    log_in(page, app, live_server, w['mette'])
    page.goto('/my/appointments')
    expect(page.get_by_role('heading', level=1)).to_have_text('My appointments')
    no_keyboard_trap(page)

    # My appointments -> Book a meeting (the page's own button, not the menu).
    page.evaluate('window.scrollTo(0, 0)')
    tab_to(page, page.locator('main').get_by_role('link', name='Book a meeting'))
    press(page, 'Enter')
    expect(page.get_by_role('heading', level=1)).to_have_text('Book a meeting')
    no_keyboard_trap(page)

    # The type of meeting.
    tab_to(page, page.get_by_role('link', name='Jobsamtale'))
    press(page, 'Enter')
    expect(page.get_by_role('link', name='Next: choose a day and time')).to_be_visible()
    no_keyboard_trap(page)
    tab_to(page, page.get_by_role('link', name='Next: choose a day and time'))
    press(page, 'Enter')
    expect(page.get_by_role('heading', level=2)).to_contain_text('Week')
    no_keyboard_trap(page)

    # The caseworker with the arrow keys: the free times follow (htmx) and the
    # focus stays on the select.
    select = page.get_by_label('Caseworker')
    tab_to(page, select)
    with page.expect_response(re.compile(rf'/my/book/{offer.id}/time\?caseworker=')):
        press(page, 'ArrowDown')
    expect(page).to_have_url(re.compile(f"caseworker={w['karen'].id}"))
    expect(page.get_by_role('heading', level=2)).to_contain_text('Week')
    settled(page)
    assert is_focused(select), f'focus lost after the swap: {focus(page)}'
    no_keyboard_trap(page)

    # Tuesday, then its 09:00.
    tab_to(page, page.get_by_role('link', name=re.compile('^Tuesday')))
    press(page, 'Enter')
    expect(page.get_by_role('heading', level=3)).to_contain_text('Free times on Tuesday')
    settled(page)
    no_keyboard_trap(page)
    tab_to(page, page.locator('.time-list').get_by_role('link', name=re.compile('09:00')))
    press(page, 'Enter')
    expect(page.get_by_role('heading', level=1)).to_have_text('Confirm your booking')
    expect(page.get_by_text('Karen Vejleder')).to_be_visible()
    no_keyboard_trap(page)

    # Rights and duties accepted with Space, booked with Enter.
    accept = page.get_by_label('I have read my rights and duties')
    tab_to(page, accept)
    press(page, 'Space')
    expect(accept).to_be_checked()
    tab_to(page, page.get_by_role('button', name='Book the meeting'))
    press(page, 'Enter')
    expect(page.get_by_role('heading', level=1)).to_have_text('Receipt')
    expect(page.get_by_text('Your meeting is booked.')).to_be_visible()
    no_keyboard_trap(page)

    meeting = Meeting.get()
    assert (meeting.caseworker_id, meeting.offer_id) == (w['karen'].id, offer.id)
    local = w['org'].local(meeting.starts_at)
    assert (local.date(), local.time()) == (monday + dt.timedelta(days=1), dt.time(9))
    assert page.js_errors == []
