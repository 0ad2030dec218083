"""Waiting for a page to be still before checking it (no tests here).

The text a test waits for can be on the page before its stylesheets have
arrived (a page's own stylesheet sits in the body, and a swap that brings a
new one loads it afterwards): boxes measured then are the unstyled ones. An
htmx swap is done only once it has settled."""
from __future__ import annotations

HTMX_BUSY = '.htmx-request, .htmx-swapping, .htmx-settling'
STYLESHEETS_LOADED = ("() => Array.from(document.querySelectorAll('link[rel=stylesheet]'))"
                      ".every(link => link.sheet)")


def settled(page):
    """The page, once its document and stylesheets have loaded and htmx has
    swapped and settled (new content has its listeners)."""
    page.wait_for_load_state('load')
    page.wait_for_function(f"() => !document.querySelector('{HTMX_BUSY}')")
    page.wait_for_function(STYLESHEETS_LOADED)
    page.wait_for_timeout(50)   # past htmx's settle delay: new content is processed
    return page


def scrolls_sideways(page) -> bool:
    """Whether the page is wider than the window (a phone would scroll it)."""
    return settled(page).evaluate(
        'document.documentElement.scrollWidth > window.innerWidth')
