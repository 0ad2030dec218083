"""What every blueprint shares, and only blueprints use: who may see an area
(organisation kind and role), a page or the one block of it that htmx asks
for, the 303 after a form, one page of a long list, rows of the user's own
organisation by id, and local paths for `next` links.
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
import re
from urllib.parse import urlparse

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_url
from htmx_flask import make_response
from jinja2_fragments.flask import render_block
from werkzeug.exceptions import BadRequest

from models import Organisation, User, prepared

# --- access ---------------------------------------------------------------------


# Pages for citizens alone, or substitutes alone, send a visitor to that
# role's own login; any other page to the staff login.
OWN_LOGIN = {(User.CITIZEN,): 'auth.login_citizen',
             (User.SUBSTITUTE,): 'auth.login_substitute'}


def role_required(*roles: str):
    """Logged in with one of `roles`; anonymous -> login (the page's `next`
    kept as a path), wrong role -> 403."""
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def allowed(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if roles in OWN_LOGIN and not current_user.is_authenticated:
                return redirect(login_url(OWN_LOGIN[roles], next_url=request.url))
            return allowed(*args, **kwargs)
        return wrapped
    return decorator


def area(kind: str, *roles: str):
    """Logged in with one of `roles` in an organisation of `kind` (a job
    centre or a substitute pool); anonymous -> login, anyone else -> 403."""
    def decorator(view):
        @functools.wraps(view)
        @role_required(*roles)
        def wrapped(*args, **kwargs):
            if current_user.organisation.kind != kind:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


JOB_CENTRE_STAFF = (User.ADMIN, User.PLANNER, User.CASEWORKER)

job_centre_admin = area(Organisation.PLANNER, User.ADMIN)
job_centre_planners = area(Organisation.PLANNER, User.ADMIN, User.PLANNER)
job_centre_staff = area(Organisation.PLANNER, *JOB_CENTRE_STAFF)
citizen_only = area(Organisation.PLANNER, User.CITIZEN)
pool_staff = area(Organisation.POOL, User.ADMIN, User.PLANNER)
substitute_only = area(Organisation.POOL, User.SUBSTITUTE)


def get_in_org(model, object_id):
    """Fetch a row of the current user's organisation or 404 (no IDOR)."""
    if not 0 < object_id < 2 ** 63:   # a longer number would raise in the driver
        abort(404)
    rows = _row_in_organisation.models(model, id=object_id,
                                       organisation=current_user.organisation_id)
    if not rows:
        abort(404)
    return rows[0]


@prepared
def _row_in_organisation(p, model):
    return model.select().where(model.id == p.id, model.organisation == p.organisation).limit(1)


# --- answers ----------------------------------------------------------------------

def render(template: str, blocks: Mapping[str, str] | None = None, /, *,
           panel: str | None = None, field_block: str | None = None,
           only_block: str | None = None, **context) -> str:
    """The full page, or one block of it when htmx asks for the element that
    block fills: `blocks` maps element ids to block names, and the element
    is the one named by HX-Target (never chosen by HX-Request alone).

    `panel`: the id of the area's main element, filled by the block 'panel'.
    `field_block`: the block holding a form's fields; a target 'wrap-<field>'
    (one field checked while typing) gets it. `only_block`: that block
    whatever the request (the answer to a form's check while typing).
    Templates see `fragment`, true when only a block is rendered (it then
    shows its own flash messages)."""
    block = only_block or _block_for(request.htmx.target or '', blocks or {}, panel,
                                     field_block)
    if block:
        return render_block(template, block, fragment=True, **context)
    return render_template(template, fragment=False, **context)


def _block_for(target: str, blocks: Mapping[str, str], panel: str | None,
               field_block: str | None) -> str | None:
    if target in blocks:
        return blocks[target]
    if panel is not None and target == panel:
        return 'panel'
    if field_block is not None and target.startswith('wrap-') \
            and field_block in blocks.values():
        return field_block
    return None


# The element of base.html that shows an error answer to an htmx request
# for a part of a page (htmx swaps 4xx and 5xx answers: base.html's
# responseHandling).
ERROR_REGION = 'request-error'


def error_page(status: int, title: str, text: str):
    """An error answer: the page saying what went wrong; to htmx asking for
    a part of a page, the message alone, put at the top of the page one is on
    (never a whole page inside the part). A boosted link or form gets the page,
    which htmx puts in place of the body, as a browser without JS would."""
    if request.htmx and not request.htmx.boosted:
        response = make_response(render_template('errors/_message.html', title=title,
                                                 text=text), status, retarget=f'#{ERROR_REGION}')
        response.headers['HX-Reswap'] = f'innerHTML show:#{ERROR_REGION}:top'
        return response
    return make_response(render_template('errors/error.html', status=status, title=title,
                                         text=text), status)


def htmx_status(status: int) -> int:
    """`status` for a page shown again (a form with errors, a refused delete),
    but 200 for htmx: the answer is the form itself, swapped in place (htmx
    swaps error answers too, see error_page, but reports them as errors)."""
    return 200 if request.htmx else status


def see_other(endpoint: str | None = None, /, *, url: str | None = None,
              whole_page: bool = False, **values):
    """303 to `url_for(endpoint, **values)`, or to `url`: the browser loads
    that page with a GET after a form. With `whole_page`, an htmx request
    that would swap only a part of this page loads the whole new one
    instead (HX-Location into <body>)."""
    location = url if url is not None else url_for(endpoint, **values)
    if whole_page and request.htmx:
        return make_response('', 204, location={'path': location, 'target': 'body'})
    return redirect(location, code=303)


# --- lists ------------------------------------------------------------------------

MAX_PAGE = 10_000   # a deeper page number is read as this one


@dataclass(frozen=True)
class Page:
    rows: list
    number: int                  # 1 is the first page
    has_next: bool
    total: int | None = None     # counted lists only
    pages: int | None = None


def paginate(query, size: int, number=1, *, count: bool = False) -> Page:
    """Page `number` of `query`, `size` rows. `number` may come straight from
    the URL (see `page_number`). With `count` the rows are counted (`total` and
    `pages` known, a page past the last shows the last); without, one row
    fetched beyond the page tells whether there is a next."""
    number = page_number(number)
    if count:
        total = query.count()
        pages = max((total + size - 1) // size, 1)
        number = min(number, pages)
        return Page(list(query.paginate(number, size)), number, number < pages, total, pages)
    rows = list(query.offset((number - 1) * size).limit(size + 1))
    return Page(rows[:size], number, len(rows) > size)


def page_number(value) -> int:
    """A page number as the URL gives it: not a whole number is 1, and it
    is kept between 1 and MAX_PAGE."""
    try:
        return min(max(int(value), 1), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


# Control characters, DEL and line breaks of any kind: nothing a path holds.
_UNSAFE_IN_PATH = re.compile('[\x00-\x1f\x7f-\x9f\u2028\u2029]')


def local_path(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None (no open redirect).
    Browsers read '///x' and '/\\x' as another host, so those are refused too,
    and so is any control character or line break (no header injection)."""
    if not target or _UNSAFE_IN_PATH.search(target):
        return None
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith('/') \
            or target.startswith('//') or '\\' in target:
        return None
    return target


# --- dates in requests ----------------------------------------------------------

# Years people mean: year 1 or 9999 in a date, ?week= or ?month= made week,
# month and time zone arithmetic overflow.
YEARS = range(1900, 2200)
# A whole value that is an ISO date, week or month, maybe with a time (any field).
_ISO_DAY = re.compile(r'\s*([0-9]{4})-(?:W[0-5][0-9](?:-[1-7])?|[01][0-9](?:-[0-3][0-9])?'
                      r'(?:[T ][0-2][0-9]:[0-5][0-9](?::[0-9.]+)?(?:Z|[+-][0-9:]+)?)?)\s*')
# In a parameter named as a date: the year before the first dash as int()
# reads it ('1-W01', '+1-01'), or the compact ISO forms (20261201, 2026W491).
# Elsewhere such digits may be a phone number.
_DATE_NAME = re.compile('date|day|week|month')
_YEAR_BEFORE_DASH = re.compile(r'\s*\+?([^-]+)-')
_COMPACT_YEAR = re.compile(r'\s*([0-9]{4})[0-9W]')


class DateOutOfRange(BadRequest):
    """A date in a year nobody means: a 400 page that says so."""


def _year_in(key: str, value: str) -> int | None:
    found = _ISO_DAY.fullmatch(value)
    if not found and _DATE_NAME.search(key):
        found = _YEAR_BEFORE_DASH.match(value) or _COMPACT_YEAR.match(value)
    try:
        return int(found.group(1)) if found else None
    except ValueError:
        return None


def refuse_dates_out_of_range(pairs) -> None:
    """DateOutOfRange for any (key, value) holding a date outside YEARS."""
    for key, value in pairs:
        year = _year_in(key, value)
        if year is not None and year not in YEARS:
            raise DateOutOfRange()
