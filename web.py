"""Role and organisation checks used by every blueprint."""
from __future__ import annotations

import functools
from urllib.parse import urlparse

from flask import abort
from flask_login import current_user, login_required


def role_required(*roles: str):
    """Logged in with one of `roles`; anonymous -> login, wrong role -> 403."""
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def get_in_org(model, object_id):
    """Fetch a row of the current user's organisation or 404 (no IDOR)."""
    if not 0 < object_id < 2 ** 63:   # a longer number would raise in the driver
        abort(404)
    row = model.get_or_none(model.id == object_id,
                            model.organisation == current_user.organisation_id)
    if row is None:
        abort(404)
    return row


def local_path(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None (no open redirect).
    Browsers read '///x' and '/\\x' as another host, so those are refused too."""
    if not target:
        return None
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith('/') \
            or target.startswith('//') or '\\' in target:
        return None
    return target
