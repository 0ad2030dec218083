"""The header's menu in browser tests (no tests here): on a phone the links
and Log out sit behind Menu; on a wide screen they are always shown."""
from __future__ import annotations


def open_menu(page) -> None:
    """Open the header's menu when it is folded (a phone) and still closed,
    once htmx has swapped in the page asked for (a swap closes the menu)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    button = page.locator('.menu-button')
    if button.is_visible() and not page.locator('#menu-toggle').is_checked():
        button.click()
        page.locator('.site-menu .site-nav').wait_for(state='visible')


def main_nav(page):
    """The main navigation, its menu opened first."""
    open_menu(page)
    return page.get_by_role('navigation', name='Main')
