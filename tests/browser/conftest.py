"""Browser tests: the app on a real HTTP server, driven by Debian's Chromium.

Each test gets its own migrated database (the `app` fixture), served by
werkzeug in a background thread. CSRF protection is ON here, as in production.
Peewee keeps connection state per thread: the server's request threads
connect in `before_request`, the test thread keeps the one the `app` fixture
opened, and both see the same SQLite file.
"""
from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update',
                 '--disable-sync']
PHONE = {'width': 390, 'height': 844}


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f'{CHROMIUM} not installed (make system-deps)')
    for item in items:
        if 'browser' in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def app_config():
    return {'WTF_CSRF_ENABLED': True}


@pytest.fixture
def live_server(app):
    """Base URL of the app served on 127.0.0.1 (a free port) for this test."""
    server = make_server('127.0.0.1', 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name='live-server',
                              daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{server.server_port}'
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope='session')
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_locale():
    """The browser's language (Accept-Language); parametrize to change it."""
    return 'en-GB'


@pytest.fixture
def page(browser, live_server, browser_locale):
    """A fresh phone-sized browser (no cookies) pointed at the live server."""
    context = browser.new_context(base_url=live_server, viewport=PHONE,
                                  is_mobile=True, has_touch=True,
                                  locale=browser_locale, device_scale_factor=1)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on('pageerror', lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()
