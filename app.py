"""Planpool: `create_app()` builds the Flask app from the environment."""
from __future__ import annotations

import hashlib
import logging
import os
import secrets
import stat

from flask import Flask, current_app, g, has_request_context, request, session, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from htmx_flask import Htmx
from markupsafe import Markup
from peewee import InterfaceError, OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from werkzeug.security import safe_join

import cli
import tasks
from blueprints import auth, main, messages, webhooks
from blueprints.admin import (absence, audit, caseworkers, citizens, closing_days, competences,
                              home as admin_home, meeting_types, postcodes, reserved_time, rooms,
                              sms, summons_templates, teams, variants)
from blueprints.planner import calendar, calendar_feed, citizen, followup, offers, pending, summons
from blueprints.pool import (board as pool_board, home as pool_home, me as pool_me,
                             messages as pool_messages, qualifications, substitutes, units,
                             vacancies)
from extensions import LANGUAGES, babel, csrf, limiter, login_manager
from messaging import dates
from models import UserSession, db, make_database, mask_phone
from planner import loading, summons as summons_service
from web import error_page

# Every blueprint, registered in this order (endpoint names are the `bp` names).
BLUEPRINT_MODULES = (
    absence, admin_home, audit, caseworkers, citizens, closing_days, competences,
    meeting_types, postcodes, reserved_time, rooms, sms, summons_templates, teams, variants,
    auth, calendar, calendar_feed, citizen, followup, main, messages, offers, pending,
    pool_board, pool_home, pool_me, pool_messages, qualifications, substitutes, units, vacancies,
    summons, webhooks,
)


def _secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else generated once into instance/."""
    if os.environ.get('SECRET_KEY'):
        return os.environ['SECRET_KEY']
    path = os.path.join(instance_path, 'secret_key')
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as fh:
            fh.write(secrets.token_hex(32))
    with open(path) as fh:
        return fh.read().strip()


def load_config(instance_path: str) -> dict:
    env = os.environ.get
    redis_url = env('REDIS_URL')
    return {
        'SECRET_KEY': _secret_key(instance_path),
        'DATABASE_URL': env('DATABASE_URL') or
        'sqlite:///' + os.path.join(instance_path, 'planpool.sqlite3'),
        'RATELIMIT_STORAGE_URI': env('RATELIMIT_STORAGE_URI') or redis_url or 'memory://',
        'RATELIMIT_ENABLED': env('RATELIMIT_ENABLED', 'true').lower() != 'false',
        'RATELIMIT_HEADERS_ENABLED': True,
        # Shared storage down (Redis restarting): count in this process's
        # memory meanwhile instead of failing every limited request.
        'RATELIMIT_IN_MEMORY_FALLBACK_ENABLED': True,
        'VONAGE_API_KEY': env('VONAGE_API_KEY'),
        'VONAGE_API_SECRET': env('VONAGE_API_SECRET'),
        'VONAGE_SIGNATURE_SECRET': env('VONAGE_SIGNATURE_SECRET'),
        'VONAGE_SIGNATURE_METHOD': env('VONAGE_SIGNATURE_METHOD', 'md5'),
        'VONAGE_WEBHOOK_MAX_AGE': env('VONAGE_WEBHOOK_MAX_AGE'),  # seconds; default 25 h
        'SMTP_HOST': env('SMTP_HOST'),
        'SMTP_PORT': env('SMTP_PORT', '587'),
        'SMTP_USERNAME': env('SMTP_USERNAME'),
        'SMTP_PASSWORD': env('SMTP_PASSWORD'),
        'SMTP_STARTTLS': env('SMTP_STARTTLS', 'true'),
        'MAIL_FROM': env('MAIL_FROM', 'Planpool <no-reply@planpool.invalid>'),
        # Caseworkers' calendars (calendar_sync): off while CALDAV_URL is unset.
        'CALDAV_URL': env('CALDAV_URL'),
        'CALDAV_USERNAME': env('CALDAV_USERNAME'),
        'CALDAV_PASSWORD': env('CALDAV_PASSWORD'),
        'CALDAV_TIMEOUT': env('CALDAV_TIMEOUT', '10'),   # seconds per request
        # Cookies: HttpOnly + SameSite always; Secure when served over HTTPS
        # (set PREFERRED_URL_SCHEME=https behind a TLS-terminating proxy).
        'PREFERRED_URL_SCHEME': env('PREFERRED_URL_SCHEME', 'http'),
        'SESSION_COOKIE_HTTPONLY': True,
        'SESSION_COOKIE_SAMESITE': 'Lax',
        'SESSION_COOKIE_SECURE': env('PREFERRED_URL_SCHEME') == 'https',
        'SESSION_COOKIE_NAME': 'planpool_session',
        'REMEMBER_COOKIE_HTTPONLY': True,
        'REMEMBER_COOKIE_SAMESITE': 'Lax',
        'REMEMBER_COOKIE_SECURE': env('PREFERRED_URL_SCHEME') == 'https',
        'MAX_CONTENT_LENGTH': 5 * 1024 * 1024,   # uploads (spreadsheets) fit
        'MAX_FORM_MEMORY_SIZE': 200 * 1024,      # one text field
        'WTF_CSRF_TIME_LIMIT': None,             # valid for the session's life
        'BABEL_DEFAULT_LOCALE': 'en',
        'BABEL_TRANSLATION_DIRECTORIES': 'translations',
        'TRUST_PROXY': env('TRUST_PROXY', '').lower() in ('1', 'true', 'yes'),
        # Development and demo only (`make run`): unsigned webhooks accepted.
        'DEV_MODE': env('PLANPOOL_DEV', '').lower() in ('1', 'true', 'yes'),
    }


def select_locale():
    """User's explicit choice, else the browser, else the organisation."""
    if not has_request_context():  # background work sets its locale explicitly
        return 'en'
    chosen = session.get('lang')
    if chosen in LANGUAGES:
        return chosen
    if current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    best = request.accept_languages.best_match(LANGUAGES)
    if best:
        return best
    if current_user.is_authenticated:
        return current_user.organisation.language
    return 'en'


def select_timezone():
    if has_request_context() and current_user.is_authenticated:
        return current_user.organisation.timezone
    return 'Europe/Copenhagen'


class IdConverter(IntegerConverter):
    """`<int:...>` in URLs: a number larger than any database id matches no
    route (404) instead of failing in the database driver (500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault('max', 2 ** 63 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.environ.get('PLANPOOL_INSTANCE') or None)
    app.url_map.converters['int'] = IdConverter
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)

    if app.config['TRUST_PROXY']:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    logging.basicConfig(level=logging.INFO)
    db.initialize(make_database(app.config['DATABASE_URL']))
    # What this process cached belongs to the database it was bound to before.
    loading.forget_fixed_availability()

    csrf.init_app(app)
    Htmx(app)
    babel.init_app(app, locale_selector=select_locale,
                   timezone_selector=select_timezone)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = 'auth.login'
    login_manager.login_message = None
    login_manager.session_protection = None  # our sessions live server-side
    tasks.init_app(app)

    for module in blueprint_modules():
        app.register_blueprint(module.bp)

    _register_static_files(app)
    _register_request_hooks(app)
    _register_error_pages(app)
    cli.register(app)
    _warn_unsafe_settings(app)
    return app


def _warn_unsafe_settings(app: Flask) -> None:
    """In production, say loudly at startup what `flask check` refuses."""
    if app.config['DEV_MODE'] or app.config.get('TESTING'):
        return
    for problem in cli.production_problems(app.config):
        app.logger.error('UNSAFE PRODUCTION SETTING: %s', problem)


def blueprint_modules():
    """Every blueprint module of the app (tests build bare apps from them)."""
    return list(BLUEPRINT_MODULES)


@login_manager.user_loader
def _load_user(token):
    return UserSession.load_user(token)


# A static URL names its file's content (`?v=`), so a browser may keep the
# file for a year: a changed file has another URL.
STATIC_MAX_AGE = 365 * 24 * 3600


def _register_static_files(app: Flask) -> None:
    versions: dict[tuple[str, int], str] = {}

    def version(filename: str) -> str | None:
        """The first 12 hex digits of the file's SHA-256; None for anything
        but a regular file inside the static folder."""
        path = safe_join(app.static_folder, filename)
        try:
            found = os.stat(path) if path else None
        except OSError:
            return None
        if found is None or not stat.S_ISREG(found.st_mode):
            return None
        key = (filename, found.st_mtime_ns)
        if key not in versions:
            with open(path, 'rb') as fh:
                versions[key] = hashlib.sha256(fh.read()).hexdigest()[:12]
        return versions[key]

    @app.url_defaults
    def _static_version(endpoint, values):
        if endpoint == 'static' and 'v' not in values and values.get('filename'):
            current = version(values['filename'])
            if current:
                values['v'] = current

    def stylesheet(name: str) -> Markup:
        """A page's own stylesheet. It sits in the body (a boosted
        navigation keeps only the <title> of a new head), so it is kept over
        boosted navigations (hx-preserve): a page of the same area then never
        shows unstyled while its stylesheet is loaded again."""
        href = url_for('static', filename=f'css/{name}.css')
        return Markup('<link rel="stylesheet" id="css-%s" href="%s" hx-preserve>') % (name, href)

    app.jinja_env.globals['stylesheet'] = stylesheet
    app.extensions['static_version'] = version


def _static_cache_control(response) -> None:
    """Static files hold no personal data: cacheable by anyone, for a year
    when the URL names the current content, else checked again each time."""
    version = current_app.extensions['static_version'](request.view_args['filename'])
    if version and request.args.get('v') == version:
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = STATIC_MAX_AGE
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()

    app.jinja_env.filters.update(dates.FILTERS)   # `{{ day | date }}`: one style a language
    app.jinja_env.globals['period'] = dates.period

    @app.context_processor
    def _template_globals():
        return {'LANGUAGES': LANGUAGES, 'current_locale': str(get_locale()),
                'mask_phone': mask_phone, 'summons_pending_count': _pending_count}

    def _pending_count() -> int:
        """The pending list's count on its tab (job centre staff only)."""
        from flask_login import current_user
        return summons_service.pending_count(current_user.organisation_id)

    @app.after_request
    def _security_headers(response):
        h = response.headers
        h.setdefault('Content-Security-Policy', (
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'self'"))
        h.setdefault('X-Content-Type-Options', 'nosniff')
        # Stricter than strict-origin-when-cross-origin: other sites get no
        # referrer at all (paths hold ids, the feed URL holds its secret).
        h.setdefault('Referrer-Policy', 'same-origin')
        h.setdefault('X-Frame-Options', 'DENY')
        # Only over HTTPS (behind a proxy: TRUST_PROXY, so that ProxyFix
        # reads X-Forwarded-Proto); over plain HTTP browsers ignore it anyway.
        if request.is_secure:
            h.setdefault('Strict-Transport-Security', 'max-age=31536000; includeSubDomains')
        if request.endpoint == 'static':
            _static_cache_control(response)
            return response
        h.add('Vary', 'HX-Request')
        if getattr(g, 'personal_data', False) or current_user.is_authenticated:
            h['Cache-Control'] = 'no-store'
        return response


def _register_error_pages(app: Flask) -> None:
    page = error_page

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return page(400, _('The form expired'), _(
            'For your security the form could not be accepted. '
            'Go back, reload the page and try again.'))

    @app.errorhandler(400)
    def _bad_request(e):
        return page(400, _('Bad request'), _('The request could not be understood.'))

    @app.errorhandler(403)
    def _forbidden(e):
        return page(403, _('Not allowed'), _('You do not have access to this page.'))

    @app.errorhandler(404)
    def _not_found(e):
        return page(404, _('Page not found'), _('The page does not exist or has moved.'))

    @app.errorhandler(405)
    def _method(e):
        return page(405, _('Not allowed'), _('This address does not accept that request.'))

    @app.errorhandler(413)
    def _too_large(e):
        return page(413, _('Too much data'), _(
            'What you sent is larger than we accept. Shorten it and try again.'))

    @app.errorhandler(429)
    def _too_many(e):
        return page(429, _('Too many attempts'), _(
            'Please wait a little and try again.'))

    @app.errorhandler(500)
    def _server_error(e):
        return page(500, _('Something went wrong'), _(
            'Nothing was saved. Please try again in a moment.'))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unavailable(e):
        """The database is restarting or out of reach: a page that needs no
        database (shown as to a visitor, whose user cannot be loaded now).
        The broken connection leaves the pool at teardown; the next request
        gets a fresh one."""
        app.logger.warning('database unavailable: %s', e)
        g._login_user = login_manager.anonymous_user()
        g.personal_data = True      # still never cached
        response = page(503, _('Temporarily unavailable'), _(
            'We could not reach the database just now. Please try again in a moment; '
            'if you were saving something, check first whether it was saved.'))
        response.headers['Retry-After'] = '5'
        return response
