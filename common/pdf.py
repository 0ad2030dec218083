"""HTML to PDF (WeasyPrint), for documents people print or post.

The HTML must carry everything it needs (styles inline): nothing is
fetched, neither files nor URLs, so a document cannot pull in what it
should not."""
from __future__ import annotations

from weasyprint import HTML, URLFetcher


def html_to_pdf(html: str) -> bytes:
    # No protocol allowed: every fetch fails (fail closed).
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
