"""Phone layout at 390 x 844: touch targets of 44 px and no sideways scrolling."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PUBLIC_PAGES = ['/', '/login/citizen', '/login/substitute', '/login']
MIN_TARGET = 44
LOCALES = ['en-GB', 'da-DK', 'sv-SE']   # the browser's Accept-Language

# Every visible control a finger may hit (hidden inputs have no box).
TARGETS_JS = """
() => Array.from(document.querySelectorAll(
        'a[href], button, input:not([type=hidden]), select, textarea'))
  .map(e => {
    const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    return {html: e.outerHTML.slice(0, 120), height: r.height, width: r.width,
            shown: s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0};
  })
  .filter(t => t.shown)
"""


@pytest.mark.parametrize('browser_locale', LOCALES)
def test_touch_targets_are_at_least_44px_tall(page, browser_locale):
    small = []
    for path in PUBLIC_PAGES:
        page.goto(path)
        assert page.locator('html').get_attribute('lang') == browser_locale[:2]
        targets = page.evaluate(TARGETS_JS)
        assert targets, f'{path}: no controls found'
        small += [f"{path}: {t['height']:.1f}px {t['html']}" for t in targets
                  if t['height'] < MIN_TARGET - 0.5]
    assert not small, '\n'.join(small)


@pytest.mark.parametrize('browser_locale', LOCALES)
def test_no_horizontal_scrolling_on_a_phone(page, browser_locale):
    # Danish and Swedish words run longer than English ones.
    for path in PUBLIC_PAGES:
        page.goto(path)
        assert page.locator('html').get_attribute('lang') == browser_locale[:2]
        assert page.evaluate('window.innerWidth') == 390
        scroll_width = page.evaluate(
            'Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)')
        assert scroll_width <= 390, f'{path} is {scroll_width}px wide'
        page.mouse.wheel(200, 0)
        assert page.evaluate('window.scrollX') == 0, path


def test_phone_screenshots(page, tmp_path):
    """Full-page captures for a human to look at (kept in the test's tmp dir)."""
    for name, path in (('landing', '/'), ('citizen-login', '/login/citizen')):
        page.goto(path)
        target = tmp_path / f'{name}.png'
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 1000
