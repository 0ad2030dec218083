"""Error answers show in place on a phone: htmx swaps 4xx and 5xx too.

A boosted link or form that gets an error shows the error page, as a browser
without JS would; a request for a part of a page shows the message above the
page the person is on, which stays as it was.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from models import User
from tests.browser.menu_support import open_menu
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    # As in production: CSRF and rate limits on, and an error in a view is
    # answered by the error page (not raised into the test).
    return {'WTF_CSRF_ENABLED': True, 'RATELIMIT_ENABLED': True,
            'PROPAGATE_EXCEPTIONS': False}


@pytest.fixture
def failing_page(app):
    """A page whose view fails (before the server answers anything)."""
    def broken():
        raise RuntimeError('a bug')
    app.add_url_rule('/broken-for-the-test', 'broken_for_the_test', broken)


def heading(page):
    return page.get_by_role('heading', level=1)


def add_link(page, href: str, text: str, **attributes) -> None:
    """A link on the current page, processed by htmx like the page's own."""
    page.evaluate('''([href, text, attributes]) => {
        const a = document.createElement('a');
        a.href = href;
        a.textContent = text;
        for (const [name, value] of Object.entries(attributes)) a.setAttribute(name, value);
        document.querySelector('#main').append(a);
        htmx.process(a);
    }''', [href, text, attributes])


def log_in(page, user) -> None:
    page.goto('/login')
    page.get_by_label('Email').fill(user.email)
    page.get_by_label('Password').fill(PASSWORD)
    page.get_by_role('button', name='Log in', exact=True).click()
    expect(heading(page)).to_have_text(f'Hello, {user.name}')


def boosted(requests, path) -> bool:
    return any(r.url.endswith(path) and r.headers.get('hx-boosted') == 'true'
               for r in requests)


def test_a_boosted_login_past_the_rate_limit_shows_the_429_page(page):
    requests = []
    page.on('request', lambda request: requests.append(request))
    page.goto('/login')
    for _ in range(10):
        page.get_by_label('Email').fill('nobody@example.test')
        page.get_by_label('Password').fill('not the password')
        with page.expect_response(lambda r: r.url.endswith('/login') and r.status == 200):
            page.get_by_role('button', name='Log in', exact=True).click()
        # The alert of the previous try is already there: wait until this
        # answer is swapped in (password emptied) and settled (htmx moves the
        # focus to the autofocus field then), or the next fill races it.
        expect(page.get_by_label('Password')).to_have_value('')
        expect(page.get_by_label('Email')).to_be_focused()
        expect(page.get_by_role('alert')).to_have_text('The email or password is not correct.')
    page.get_by_label('Password').fill('not the password')
    with page.expect_response(lambda r: r.url.endswith('/login') and r.status == 429):
        page.get_by_role('button', name='Log in', exact=True).click()
    expect(heading(page)).to_have_text('Too many attempts')
    expect(page.get_by_text('Please wait a little and try again.')).to_be_visible()
    assert boosted(requests, '/login')
    assert page.js_errors == []


def test_an_expired_form_shows_the_400_page(page):
    page.goto('/login')
    page.locator('form.stack input[name=csrf_token]').evaluate("e => e.value = 'expired'")
    page.get_by_label('Email').fill('nobody@example.test')
    page.get_by_label('Password').fill('not the password')
    with page.expect_response(lambda r: r.url.endswith('/login') and r.status == 400):
        page.get_by_role('button', name='Log in', exact=True).click()
    expect(heading(page)).to_have_text('The form expired')
    expect(page.get_by_text('Go back, reload the page and try again.')).to_be_visible()


def test_a_page_one_may_not_see_shows_the_403_page(page, jobcentre, make_user):
    planner = make_user(jobcentre, User.PLANNER, name='Peter Planner')
    log_in(page, planner)
    add_link(page, '/admin/', 'Administration')
    with page.expect_response(lambda r: r.url.endswith('/admin/') and r.status == 403):
        page.get_by_role('link', name='Administration').click()
    expect(heading(page)).to_have_text('Not allowed')
    expect(page.get_by_text('You do not have access to this page.')).to_be_visible()
    # Still the whole page around it: signed in, with the menu.
    open_menu(page)
    expect(page.get_by_role('button', name='Log out')).to_be_visible()


def test_a_missing_page_shows_the_404_page(page):
    page.goto('/')
    add_link(page, '/no-such-page', 'Old bookmark')
    with page.expect_response(lambda r: r.url.endswith('/no-such-page') and r.status == 404):
        page.get_by_role('link', name='Old bookmark').click()
    expect(heading(page)).to_have_text('Page not found')
    expect(page.get_by_role('link', name='Go to the front page')).to_be_visible()


def test_a_failing_page_shows_the_500_page(page, failing_page):
    page.goto('/')
    add_link(page, '/broken-for-the-test', 'Broken')
    with page.expect_response(lambda r: r.url.endswith('/broken-for-the-test')
                              and r.status == 500):
        page.get_by_role('link', name='Broken').click()
    expect(heading(page)).to_have_text('Something went wrong')
    expect(page.get_by_text('Nothing was saved. Please try again in a moment.')).to_be_visible()


def test_an_error_for_a_part_of_a_page_shows_above_the_page(page, failing_page):
    page.goto('/login')
    # A request for a part of the page (not boosted): the page stays, the
    # message shows at the top of it.
    add_link(page, '#', 'Load part', **{'hx-get': '/broken-for-the-test',
                                        'hx-target': '.stack', 'hx-boost': 'false'})
    with page.expect_response(lambda r: r.url.endswith('/broken-for-the-test')
                              and r.status == 500):
        page.get_by_role('link', name='Load part').click()
    alert = page.locator('#request-error [role=alert]')
    expect(alert).to_contain_text('Something went wrong')
    expect(alert).to_contain_text('Nothing was saved.')
    expect(heading(page)).to_have_text('Staff login')
    expect(page.get_by_label('Email')).to_be_visible()
    expect(page.locator('.site-header')).to_have_count(1)   # no page inside the page
