"""Fixtures in the flaskr style: `app`, `client`, `runner`, and helpers that
make organisations and users and log them in.

Every test gets its own database: a copy of a migrated template (a file copy
on SQLite; `CREATE DATABASE ... TEMPLATE` on PostgreSQL when
TEST_DATABASE_URL=postgresql://... names a server).
"""
from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from urllib.parse import urlparse, urlunparse

# Before anything imports tasks.py: the queue and secret key live here.
_INSTANCE = tempfile.mkdtemp(prefix='planpool-test-')
os.environ['PLANPOOL_INSTANCE'] = _INSTANCE
for _name in ('DATABASE_URL', 'REDIS_URL', 'HUEY_URL', 'VONAGE_API_KEY',
              'VONAGE_API_SECRET', 'VONAGE_SIGNATURE_SECRET', 'SMTP_HOST', 'CALDAV_URL'):
    os.environ.pop(_name, None)

import pytest  # noqa: E402
from flask import g, request_started  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

import tasks  # noqa: E402
from app import create_app  # noqa: E402
from models import Organisation, User, UserSession, db, make_database  # noqa: E402

tasks.huey.immediate = True

# No per-example time limit: speed is measured in `make bench`, and a
# deadline only makes property tests flaky on a busy machine.
from hypothesis import settings  # noqa: E402

settings.register_profile('planpool', deadline=None)
settings.load_profile('planpool')

TEST_DATABASE_URL = os.environ.get('TEST_DATABASE_URL', '')
ON_POSTGRES = TEST_DATABASE_URL.startswith('postgres')
_counter = itertools.count()


def _pg_admin_url(url: str, dbname: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path='/' + dbname))


def _pg_execute(sql: str) -> None:
    import psycopg2
    conn = psycopg2.connect(_pg_admin_url(TEST_DATABASE_URL, 'postgres'))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def migrate(url: str) -> None:
    from migrations import upgrade
    db.initialize(make_database(url))
    db.connect(reuse_if_open=True)
    upgrade()
    db.close()


@pytest.fixture(scope='session')
def template_database():
    if ON_POSTGRES:
        name = f'planpool_template_{os.getpid()}'
        _pg_execute(f'DROP DATABASE IF EXISTS {name}')
        _pg_execute(f'CREATE DATABASE {name}')
        migrate(_pg_admin_url(TEST_DATABASE_URL, name))
        if not db.is_closed():
            db.close()
        db.obj.close_all()
        yield name
        _pg_execute(f'DROP DATABASE IF EXISTS {name}')
    else:
        path = os.path.join(_INSTANCE, 'template.sqlite3')
        migrate('sqlite:///' + path)
        yield path


@pytest.fixture
def database_url(template_database, tmp_path):
    if ON_POSTGRES:
        name = f'planpool_test_{os.getpid()}_{next(_counter)}'
        _pg_execute(f'CREATE DATABASE {name} TEMPLATE {template_database}')
        yield _pg_admin_url(TEST_DATABASE_URL, name)
        if not db.is_closed():
            db.close()
        if hasattr(db.obj, 'close_all'):
            db.obj.close_all()
        _pg_execute(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')
    else:
        path = tmp_path / 'planpool.sqlite3'
        shutil.copy(template_database, path)
        yield f'sqlite:///{path}'


@pytest.fixture
def app_config():
    """Override per test module: e.g. turn CSRF or rate limits back on.

    Development mode lets the tests post unsigned webhooks; a module that
    overrides this runs as production does (webhooks need a signature)."""
    return {'DEV_MODE': True}


class EnglishClient(FlaskClient):
    """Tests run in English (rule 7): a browser that asks for it, so an
    organisation's default language does not decide what the pages say."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault('HTTP_ACCEPT_LANGUAGE', 'en')


@pytest.fixture
def app(database_url, app_config):
    config = {'TESTING': True, 'DATABASE_URL': database_url,
              'WTF_CSRF_ENABLED': False, 'RATELIMIT_ENABLED': False,
              'SERVER_NAME': None}
    config.update(app_config)
    app = create_app(config)

    @request_started.connect_via(app)
    def _fresh_g(sender, **extra):
        # Requests reuse the app context held below, and with it `g`: without
        # this one request's cached user, locale and CSRF token leak into the
        # next (another client's, too). In production each request has its own.
        for name in list(g):
            g.pop(name)

    app.test_client_class = EnglishClient
    with app.app_context():
        db.connect(reuse_if_open=True)
        yield app
        if not db.is_closed():
            db.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- data helpers --------------------------------------------------------

_ORGS = {
    'planner': dict(kind=Organisation.PLANNER, country='DK',
                    timezone='Europe/Copenhagen', language='da',
                    sms_sender='Jobcenter', phone='+4570100100'),
    'pool': dict(kind=Organisation.POOL, country='SE',
                 timezone='Europe/Stockholm', language='sv',
                 sms_sender='Bemanning', phone='+46812345678'),
}
PASSWORD = 'correct horse battery'


@pytest.fixture
def make_org(app):
    def make(kind='planner', name=None):
        n = next(_counter)
        return Organisation.create(name=name or f'Org {n}', slug=f'org-{n}',
                                   **_ORGS[kind])
    return make


@pytest.fixture
def make_user(app):
    def make(org, role, **fields):
        n = next(_counter)
        defaults = {'name': f'{role.title()} {n}'}
        if role in User.STAFF_ROLES:
            defaults['email'] = f'{role}{n}@example.test'
        if role == User.SUBSTITUTE:
            defaults['username'] = f'sub{n}'
            defaults['phone'] = f'+4670{n:07d}'
        if role == User.CITIZEN:
            defaults['cpr'] = f'0101{n % 100:02d}{n % 10000:04d}'
            defaults['phone'] = f'+452010{n % 10000:04d}'
        defaults.update(fields)
        user = User(organisation=org, role=role, **defaults)
        if role != User.CITIZEN:
            user.set_password(PASSWORD)
        user.save()
        return user
    return make


@pytest.fixture
def login(client):
    """Log a user in directly (a real server-side session, no form)."""
    def do(user, test_client=None):
        token = UserSession.open(user)
        with (test_client or client).session_transaction() as session:
            session['_user_id'] = token
            session['_fresh'] = True
        return token
    return do


@pytest.fixture
def jobcentre(make_org):
    return make_org('planner', 'Jobcenter Testby')


@pytest.fixture
def municipality(make_org):
    return make_org('pool', 'Testby kommun')


@pytest.fixture
def admin(jobcentre, make_user, login):
    """The job centre's administrator, logged in."""
    user = make_user(jobcentre, User.ADMIN)
    login(user)
    return user
