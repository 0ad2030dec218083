"""HTML to PDF (WeasyPrint), for documents people print or post.

The HTML and its style sheet are handed over as text: nothing is fetched,
neither files nor URLs, so a document cannot pull in what it should not
(and templates keep no inline <style>, as the pages' CSP wants)."""
from __future__ import annotations

from weasyprint import CSS, HTML, URLFetcher


def html_to_pdf(html: str, css: str = '') -> bytes:
    # No protocol allowed: every fetch fails (fail closed).
    fetcher = URLFetcher(allowed_protocols=())
    sheets = [CSS(string=css, url_fetcher=fetcher)] if css else []
    return HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=sheets)
