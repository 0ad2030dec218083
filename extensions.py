"""The Flask extensions, created once and wired in `create_app`: blueprints
import them from here, never from app.py."""
from __future__ import annotations

from flask import has_request_context
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

LANGUAGES = ('en', 'da', 'sv')

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def user_or_address() -> str:
    """Rate-limit key for signed-in actions: the account (many citizens share
    a job centre's or a home's address), else the client address (behind a
    proxy only with TRUST_PROXY, which makes ProxyFix set it)."""
    if has_request_context() and current_user.is_authenticated:
        return f'user:{current_user.id}'
    return get_remote_address()
