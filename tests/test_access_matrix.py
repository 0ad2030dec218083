"""Who may do what, for every route of the app: the access-control matrix.

The routes come from the URL map, so a new route without an expectation
fails `test_every_route_has_an_expectation`. Each route is requested by nine
roles (anonymous, a citizen, a substitute, a caseworker, a planner and an
administrator of one job centre, the pool's planner and administrator, and an
administrator of another job centre), with GET and, where the route takes it,
POST. URL ids are real objects of the first job centre or the pool, so a
stranger asks for something that exists. A POST sends what the page itself
offers (its own form, read from the page an allowed user sees), so a refused
POST would have done something had it been let through.

Expected: allowed (2xx, or 3xx that is not a login page), refused (403/404)
or sent to a login page; never a 500; a refused request changes nothing in
the database (every table compared).

Object-level checks (ids of other people and organisations in URLs and form
fields) follow the matrix.
"""
from __future__ import annotations

import datetime as dt
import html
import itertools
import os
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from urllib.parse import urlencode, urlparse

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

import tasks
from app import create_app
from models import Meeting, UserSession, db, make_database
from tests.access_matrix_support import (ALLOW, DENY, JOB_CENTRE, LOGIN, PUBLIC, ROLES, SIGNED,
                                         TOKEN, build_world, changed_tables, expected, fingerprint,
                                         forms_by_action, row_counts, rule_for, url_values)
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL, _pg_admin_url, _pg_execute

# Webhooks are signed in production: without a secret they would accept anything.
SIGNATURE_SECRET = 'matrix-signature-secret'


def _routes() -> list[str]:
    """Endpoints of every blueprint, read without a database (for parametrising);
    `test_every_route_has_an_expectation` checks this is the app's whole URL map."""
    from app import blueprint_modules
    bare = Flask('app')
    for module in blueprint_modules():
        bare.register_blueprint(module.bp)
    return sorted({rule.endpoint for rule in bare.url_map.iter_rules()})


ENDPOINTS = _routes()
METHODS = ('GET', 'POST')

def NO_QUERY(world):
    return {}


def _availability_day(world):
    return world.p.org.local(world.p.availability.starts_at).date().isoformat()


# Where the form that posts to a route is shown, when not on the route's own
# page as it is: (endpoint of the page, its query string from the world).
FORM_SOURCES = {
    'absence.delete': ('absence.show', lambda w: {'confirm': 'delete'}),
    'absence.resolve': ('absence.show', NO_QUERY),
    'admin_caseworkers.hours_copy_monday': ('admin_caseworkers.hours', NO_QUERY),
    'admin_caseworkers.pauses_copy_from': ('admin_caseworkers.pauses', NO_QUERY),
    'admin_caseworkers.pauses_copy_monday': ('admin_caseworkers.pauses', NO_QUERY),
    'admin_closing_days.import_holidays': ('admin_closing_days.index', NO_QUERY),
    'admin_teams.move': ('admin_teams.index', NO_QUERY),
    'calendar.meeting': ('calendar.meeting', lambda w: {'action': 'cancel'}),
    'calendar_feed.page': ('calendar_feed.page', lambda w: {'confirm': 'new'}),
    'followup.printed': ('followup.letters', lambda w: {'meeting': w.a.meeting.id, 'all': '1'}),
    'followup.sync': ('followup.index', NO_QUERY),
    'pending.act': ('pending.index', NO_QUERY),
    'pending.delete': ('pending.delete', lambda w: {'ids': w.a.pending.id}),
    'pool_me.add_availability': ('pool_me.availability', NO_QUERY),
    'pool_me.answer': ('pool_me.requests', NO_QUERY),
    'pool_me.copy_week': ('pool_me.availability', lambda w: {'day': _availability_day(w)}),
    'pool_me.remove_availability': ('pool_me.availability', lambda w: {
        'day': _availability_day(w), 'remove': w.p.availability.id}),
    'pool_units.move': ('pool_units.index', NO_QUERY),
    'pool_vacancies.book': ('pool_vacancies.show', NO_QUERY),
    'pool_vacancies.send_requests': ('pool_vacancies.show', NO_QUERY),
    'summons.row': ('summons.step2', NO_QUERY),
    'main.set_language': ('main.index', NO_QUERY),
    'auth.logout': ('main.index', NO_QUERY),
}


def _day_after_availability(world):
    """The day after the substitute's registered day: in the future, and free."""
    return (dt.date.fromisoformat(_availability_day(world)) + dt.timedelta(days=1)).isoformat()


def _in_two_weeks(world, days=1):
    """A date `days` after the world's meeting (a Monday two weeks ahead)."""
    return (world.a.org.local(world.a.meeting.starts_at).date()
            + dt.timedelta(days=days)).isoformat()


# Values a user would type into a create form (over what the page offers), so
# that a refused POST is one that would have created something.
TYPED = {
    'absence.new': lambda w: {'first_day': _in_two_weeks(w, 2), 'last_day': _in_two_weeks(w, 2)},
    'admin_caseworkers.new': lambda w: {'name': 'Nina Ny', 'email': 'nina.ny@example.test',
                                        'teams': w.a.team.id},
    'admin_closing_days.create': lambda w: {'date': _in_two_weeks(w, 4), 'name': 'Ekstra'},
    'admin_competences.index': lambda w: {'name': 'Ny kompetence'},
    'admin_reserved_time.create': lambda w: {'purpose': 'summons', 'team': w.a.team.id,
                                             'weekdays': '0'},
    'admin_rooms.create': lambda w: {'name': 'Nyt lokale'},
    'admin_summons_templates.create': lambda w: {'name': 'Ny skabelon'},
    'admin_teams.create': lambda w: {'name': 'Nyt team', 'address': 'Jobvej 9',
                                     'postcode': '8000'},
    'admin_variants.create': lambda w: {'name': 'Ny variant',
                                        'meeting_types': w.a.meeting.meeting_type_id,
                                        'teams': w.a.team.id},
    'calendar.new': lambda w: {'cpr': w.a.waiting.cpr, 'date': _in_two_weeks(w, 1),
                               'start': '10:00', 'duration': '45'},
    'pool_qualifications.index': lambda w: {'name': 'Truckkort'},
    'pool_substitutes.create': lambda w: {'name': 'Nils Ny', 'username': 'nilsny',
                                          'phone': '+46701234567', 'units': w.p.unit.id,
                                          'password': 'a first password 2030'},
    'pool_units.create': lambda w: {'name': 'Ny enhet'},
    # The page offers today, whose shift presets are over by the afternoon.
    'pool_me.add_availability': lambda w: {'day': _day_after_availability(w)},
    'pool_vacancies.create': lambda w: {'date': _in_two_weeks(w, 3), 'start': '08:00',
                                        'end': '16:00', 'unit': w.p.unit.id},
    'summons.step2': lambda w: {'cpr': w.a.citizen.cpr},
    # Edits: a new name, so that an edit let through would show.
    'admin_caseworkers.shares': lambda w: {'max_share': '90', 'auto_share': '70'},
    'admin_closing_days.edit': lambda w: {'name': 'Renamed'},
    'admin_competences.edit': lambda w: {'name': 'Renamed'},
    'admin_rooms.edit': lambda w: {'name': 'Renamed'},
    'admin_summons_templates.edit': lambda w: {'name': 'Renamed'},
    'admin_teams.edit': lambda w: {'name': 'Renamed'},
    'admin_variants.edit': lambda w: {'name': 'Renamed'},
    'pool_qualifications.edit': lambda w: {'name': 'Renamed'},
    'pool_substitutes.edit': lambda w: {'name': 'Renamed'},
    'pool_units.edit': lambda w: {'name': 'Renamed'},
}

# The first allowed POST of these must change the database: proof that the
# form the matrix posts is one that does something (so a refused one is a
# real attempt, not an empty form).
MUST_WRITE = {
    'absence.delete', 'absence.new', 'absence.resolve', 'admin_caseworkers.edit',
    'admin_caseworkers.shares', 'admin_closing_days.edit', 'admin_competences.edit',
    'pool_qualifications.edit', 'pool_substitutes.edit', 'pool_units.edit',
    'admin_caseworkers.hours', 'admin_caseworkers.hours_copy_monday', 'admin_caseworkers.new',
    'admin_caseworkers.pauses', 'admin_caseworkers.pauses_copy_from',
    'admin_caseworkers.pauses_copy_monday', 'admin_closing_days.create',
    'admin_closing_days.delete', 'admin_closing_days.import_holidays', 'admin_competences.delete',
    'admin_competences.index', 'admin_reserved_time.create', 'admin_reserved_time.delete',
    'admin_rooms.create', 'admin_rooms.edit',
    'admin_summons_templates.create', 'admin_summons_templates.delete',
    'admin_summons_templates.edit', 'admin_teams.create', 'admin_teams.edit',
    'admin_variants.create', 'admin_variants.delete', 'admin_variants.edit', 'calendar.meeting',
    'calendar.new', 'calendar_feed.page', 'citizen.cancel', 'followup.printed', 'pending.delete',
    'pool.settings', 'pool_me.add_availability', 'pool_me.answer', 'pool_me.copy_week',
    'pool_me.remove_availability', 'pool_qualifications.delete', 'pool_qualifications.index',
    'pool_substitutes.create', 'pool_units.create', 'pool_vacancies.book', 'pool_vacancies.calls',
    'pool_vacancies.create', 'pool_vacancies.stop', 'summons.index', 'summons.row',
    'summons.step1', 'summons.step2',
}


def _form_data(endpoint, fields, world) -> MultiDict:
    data = MultiDict(fields)
    for name, value in (TYPED[endpoint](world) if endpoint in TYPED else {}).items():
        data.setlist(name, [str(value)])
    return data


# Query strings a route needs to show something, and whose objects they name.
QUERIES = {
    'followup.letters': (lambda world: {'meeting': world.a.meeting.id, 'all': '1'},
                         JOB_CENTRE),
    'followup.letters_pdf': (lambda world: {'meeting': world.a.meeting.id, 'all': '1'},
                             JOB_CENTRE),
}


def _query(endpoint, world) -> tuple[str, str | None]:
    if endpoint not in QUERIES:
        return '', None
    values, owner = QUERIES[endpoint]
    return '?' + urlencode(values(world)), owner


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def is_login_redirect(response) -> bool:
    return response.status_code in (301, 302, 303, 307, 308) and \
        urlparse(response.headers.get('Location', '')).path.startswith('/login')


def meets(outcome: str, method: str, response) -> bool:
    status = response.status_code
    if status >= 500:
        return False
    if outcome == ALLOW:
        if method == 'GET':
            return 200 <= status < 400 and not is_login_redirect(response)
        # A form read from a page may still be refused by validation (400) or
        # name a row an earlier allowed POST removed (404): only the gate counts.
        return status not in (401, 403, 405) and not is_login_redirect(response)
    if outcome == DENY:
        return status in (403, 404)
    if outcome == LOGIN:
        return is_login_redirect(response)
    if outcome == PUBLIC:
        return status < 400 if method == 'GET' else True
    if outcome == SIGNED:
        return status in (401, 403)
    if outcome == TOKEN:
        return status == 404
    raise AssertionError(outcome)


def _fill(app, endpoint: str, world) -> tuple[str, str | None]:
    """The route's URL with real ids, and whose objects they are."""
    values = url_values(world, endpoint)
    (rule,) = list(app.url_map.iter_rules(endpoint))
    owners = {values[arg][1] for arg in rule.arguments} - {None}
    assert len(owners) <= 1, (endpoint, owners)
    with app.test_request_context():
        from flask import url_for
        url = url_for(endpoint, **{arg: values[arg][0] for arg in rule.arguments})
    return url, (owners.pop() if owners else None)


def _secrets(world, role) -> list[str]:
    """What a refused page must not show: other people's names and the CPR."""
    a = world.a
    names = [a.citizen.name, a.citizen.cpr, a.waiting.name,
             world.p.substitute.name]
    own = world.user(role)
    return [n for n in names if own is None or n != own.name]


@dataclass
class Matrix:
    app: Flask
    world: object
    tokens: dict          # role name -> session token (the sessions are in the world)


@pytest.fixture(scope='module')
def matrix(template_database, tmp_path_factory):
    """The app and the world, built once per module into a database that
    every route's test then gets a fresh copy of (`matrix_db`)."""
    folder = tmp_path_factory.mktemp('matrix')
    if ON_POSTGRES:
        name = f'planpool_matrix_{os.getpid()}'
        _pg_execute(f'DROP DATABASE IF EXISTS {name}')
        _pg_execute(f'CREATE DATABASE {name} TEMPLATE {template_database}')
        url = _pg_admin_url(TEST_DATABASE_URL, name)
    else:
        name = str(folder / 'world.sqlite3')
        shutil.copy(template_database, name)
        url = f'sqlite:///{name}'
    app = create_app({'TESTING': True, 'DATABASE_URL': url, 'WTF_CSRF_ENABLED': False,
                      'RATELIMIT_ENABLED': False, 'SERVER_NAME': None,
                      'VONAGE_SIGNATURE_SECRET': SIGNATURE_SECRET})
    with app.app_context():
        db.connect(reuse_if_open=True)
        world = build_world()
        tokens = {role.name: UserSession.open(world.user(role))
                  for role in ROLES if world.user(role) is not None}
        _close_database()
    if not ON_POSTGRES:
        with closing(sqlite3.connect(name)) as conn:   # everything into the one file
            conn.execute('PRAGMA wal_checkpoint(TRUNCATE)')
    yield Matrix(app=app, world=world, tokens=tokens)
    if ON_POSTGRES:
        _pg_execute(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')


def _close_database():
    if not db.is_closed():
        db.close()
    if hasattr(db.obj, 'close_all'):
        db.obj.close_all()


_copies = itertools.count()


@pytest.fixture
def matrix_db(matrix, tmp_path):
    """A fresh copy of the world for one route (allowed POSTs do change it)."""
    if ON_POSTGRES:
        name = f'planpool_matrix_{os.getpid()}_{next(_copies)}'
        _pg_execute(f'CREATE DATABASE {name} TEMPLATE planpool_matrix_{os.getpid()}')
        url = _pg_admin_url(TEST_DATABASE_URL, name)
    else:
        path = tmp_path / 'matrix.sqlite3'
        shutil.copy(matrix.app.config['DATABASE_URL'][len('sqlite:///'):], path)
        url = f'sqlite:///{path}'
    db.initialize(make_database(url))
    tasks.init_app(matrix.app)    # background tasks (run at once) use this app
    yield matrix
    _close_database()
    if ON_POSTGRES:
        _pg_execute(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')


def _clients(matrix) -> dict:
    clients = {}
    for role in ROLES:
        client = matrix.app.test_client()
        client.environ_base['HTTP_ACCEPT_LANGUAGE'] = 'en'
        if role.name in matrix.tokens:
            with client.session_transaction() as session:
                session['_user_id'] = matrix.tokens[role.name]
                session['_fresh'] = True
        clients[role.name] = client
    return clients


@pytest.mark.parametrize('endpoint', ENDPOINTS)
def test_route_matrix(matrix_db, endpoint):
    """Every role, GET and POST, on one route: the expected outcome, no 500,
    and nothing changed by a refused request."""
    app, world = matrix_db.app, matrix_db.world
    (rule,) = list(app.url_map.iter_rules(endpoint))
    url, owner = _fill(app, endpoint, world)
    query, query_owner = _query(endpoint, world)
    url, owner = url + query, owner or query_owner
    path = urlparse(url).path
    methods = [m for m in METHODS if m in rule.methods]
    clients = _clients(matrix_db)
    outcomes = {role.name: expected(endpoint, role, owner) for role in ROLES}
    refused = [r for r in ROLES if outcomes[r.name] not in (ALLOW, PUBLIC)]
    allowed = [r for r in ROLES if outcomes[r.name] in (ALLOW, PUBLIC)]
    failures = []
    forms = {}

    def request(role, method, data=None):
        counts = row_counts() if role in refused else None
        client = clients[role.name]
        response = client.get(url) if method == 'GET' else client.post(url, data=data)
        outcome = outcomes[role.name]
        if not meets(outcome, method, response):
            failures.append(f'{method} {url} as {role.name}: expected {outcome}, got '
                            f'{response.status_code} {response.headers.get("Location", "")}')
        elif counts is not None:
            if changed_tables(counts, row_counts()):
                failures.append(f'{method} {url} as {role.name} ({outcome}) added or removed '
                                f'rows of {changed_tables(counts, row_counts())}')
            leaked = [s for s in _secrets(world, role) if s in text(response)]
            if leaked:
                failures.append(f'{method} {url} as {role.name} ({outcome}) shows {leaked}')
        return response

    def unchanged(before, what):
        changed = changed_tables(before, fingerprint())
        if changed:
            failures.append(f'{what} on {url} changed rows of {changed}')

    # Refused GETs first, so that nothing an allowed user does shapes their answers.
    if 'GET' in methods:
        before = fingerprint()
        for role in refused:
            request(role, 'GET')
        unchanged(before, 'refused GETs')
        for role in allowed:
            response = request(role, 'GET')
            if response.status_code == 200 and response.mimetype == 'text/html':   # not a PDF
                for action, fields in forms_by_action(url, response.get_data(as_text=True)).items():
                    forms.setdefault(action, fields)

    if 'POST' in methods:
        # A form the route's own page shows only when asked (a confirmation)
        # is the one to post, not another form of the plain page.
        if path not in forms or FORM_SOURCES.get(endpoint, ('',))[0] == endpoint:
            forms.update(_source_forms(app, endpoint, world, clients, outcomes, path))
        data = _form_data(endpoint, forms.get(path, []), world)
        before = fingerprint()
        for role in refused:
            request(role, 'POST', data)
        unchanged(before, 'refused POSTs')
        for n, role in enumerate(allowed):
            before = fingerprint() if n == 0 else None
            response = request(role, 'POST', data)
            if n == 0 and endpoint in MUST_WRITE and not changed_tables(before, fingerprint()):
                failures.append(f'POST {url} as {role.name} changed nothing: the form posted '
                                f'is no real attempt ({response.status_code}, {sorted(data)})')

    assert not failures, '\n'.join(failures)


def _source_forms(app, endpoint, world, clients, outcomes, path) -> dict:
    """The form that posts to `path`, read from the page that shows it, as
    the first allowed user sees it."""
    if endpoint not in FORM_SOURCES:
        return {}
    source, query = FORM_SOURCES[endpoint]
    url, _owner = _fill(app, source, world)
    query = query(world)
    url += '?' + urlencode(query) if query else ''
    for role in ROLES:
        if outcomes[role.name] in (ALLOW, PUBLIC) and role.user_role:
            page = clients[role.name].get(url)
            if page.status_code == 200:
                found = forms_by_action(url, page.get_data(as_text=True))
                if path in found:
                    return {path: found[path]}
    return {}


def test_every_route_has_an_expectation(matrix_db):
    """The app's whole URL map is in the matrix, each route has a rule, and
    every URL parameter can be filled with a real object."""
    app, world = matrix_db.app, matrix_db.world
    endpoints = sorted({rule.endpoint for rule in app.url_map.iter_rules()})
    assert endpoints == ENDPOINTS
    missing = [e for e in endpoints if rule_for(e) is None]
    assert not missing, f'routes without an expected outcome: {missing}'
    unfilled = sorted({(rule.endpoint, arg) for rule in app.url_map.iter_rules()
                       for arg in rule.arguments
                       if arg not in url_values(world, rule.endpoint)})
    assert not unfilled, f'URL parameters the matrix cannot fill: {unfilled}'
    checks = sum(len([m for m in METHODS if m in rule.methods]) * len(ROLES)
                 for rule in app.url_map.iter_rules())
    print(f'access matrix: {len(endpoints)} routes x {len(ROLES)} roles = '
          f'{len(endpoints) * len(ROLES)} route-role pairs, {checks} requests checked')
    assert checks > 1000


# --- object-level checks: other people's and other organisations' ids ----------------

def _client(app, user):
    client = app.test_client()
    client.environ_base['HTTP_ACCEPT_LANGUAGE'] = 'en'
    if user is not None:
        token = UserSession.open(user)
        with client.session_transaction() as session:
            session['_user_id'] = token
            session['_fresh'] = True
    return client


def _url(app, endpoint, **values) -> str:
    with app.test_request_context():
        from flask import url_for
        return url_for(endpoint, **values)


def _page_form(client, page_url, action=None) -> MultiDict:
    """The fields of the form on `page_url` that posts to `action` (default:
    the page itself), as the browser would send them."""
    response = client.get(page_url)
    assert response.status_code == 200, (page_url, response.status_code)
    forms = forms_by_action(page_url, response.get_data(as_text=True))
    path = urlparse(action or page_url).path
    assert path in forms, f'no form posting to {path} on {page_url}: {sorted(forms)}'
    return MultiDict(forms[path])


def _with(data: MultiDict, **fields) -> MultiDict:
    data = MultiDict(data)
    for name, value in fields.items():
        data.setlist(name, [str(v) for v in (value if isinstance(value, list) else [value])])
    return data


def _refused(response) -> bool:
    """A form error on the page (200/422), or 400/404: anything but a success."""
    if response.status_code in (400, 404):
        return True
    body = text(response)
    return response.status_code in (200, 422) and (
        'Nothing was saved' in body or 'class="error' in body or 'field-error' in body
        or 'Not a valid choice' in body)


class Attempts:
    """Posts that must be refused and change nothing; failures collected."""

    def __init__(self):
        self.failures = []
        self.count = 0

    def post(self, client, url, data, what):
        before = fingerprint()
        response = client.post(url, data=data)
        self.count += 1
        if response.status_code >= 500 or not _refused(response):
            self.failures.append(f'{what}: POST {url} answered {response.status_code} '
                                 f'{response.headers.get("Location", "")}')
        changed = changed_tables(before, fingerprint())
        if changed:
            self.failures.append(f'{what}: POST {url} changed rows of {changed}')
        return response

    def get(self, client, url, what, status=(404,)):
        before = fingerprint()
        response = client.get(url)
        self.count += 1
        if response.status_code not in status:
            self.failures.append(f'{what}: GET {url} answered {response.status_code}')
        changed = changed_tables(before, fingerprint())
        if changed:
            self.failures.append(f'{what}: GET {url} changed rows of {changed}')
        return response

    def check(self):
        assert not self.failures, '\n'.join(self.failures)
        assert self.count


def _second_meeting(centre, name):
    """Another citizen of the job centre with a meeting of their own."""
    from planner import booking
    from tests.access_matrix_support import citizen, next_weekday
    person = citizen(centre.org, name, caseworker=centre.caseworker)
    day = next_weekday(centre.org, 2, 1)
    meeting = booking.book(booking.MeetingRequest(
        organisation=centre.org, team=centre.team, meeting_type=centre.meeting.meeting_type,
        caseworker=centre.caseworker, room=centre.room,
        starts_at=dt.datetime.combine(day, dt.time(10), tzinfo=centre.org.zone),
        duration_minutes=45, citizens=(person,), created_by=centre.planner,
        citizen_can_cancel=True, citizen_can_rebook=True))
    return person, meeting


def test_a_citizen_never_reaches_another_citizens_meeting(matrix_db):
    app, world = matrix_db.app, matrix_db.world
    with app.app_context():
        neighbour, theirs = _second_meeting(world.a, 'Nabo Nielsen')
    _stranger, foreign = world.b.citizen, world.b.meeting     # another job centre's
    client = _client(app, world.a.citizen)
    attempts = Attempts()
    for meeting, whose in ((theirs, 'a neighbour'), (foreign, 'another job centre')):
        for endpoint in ('citizen.meeting', 'citizen.receipt', 'citizen.ics_file',
                         'citizen.cancel', 'citizen.rebook', 'citizen.rebook_confirm'):
            url = _url(app, endpoint, meeting_id=meeting.id)
            response = attempts.get(client, url, f"{whose}'s meeting")
            assert 'Nabo Nielsen' not in text(response)
        for endpoint in ('citizen.cancel', 'citizen.rebook_confirm'):
            attempts.post(client, _url(app, endpoint, meeting_id=meeting.id),
                          MultiDict({'start': '', 'accept': 'y'}), f"{whose}'s meeting")
    attempts.check()
    assert Meeting.get_by_id(theirs.id).status == Meeting.BOOKED
    assert Meeting.get_by_id(foreign.id).status == Meeting.BOOKED
    # ... while each citizen opens their own meeting, and sees nobody else's name.
    mine = client.get(_url(app, 'citizen.meeting', meeting_id=world.a.meeting.id))
    assert mine.status_code == 200 and 'Nabo Nielsen' not in text(mine)
    own = _client(app, neighbour).get(_url(app, 'citizen.meeting', meeting_id=theirs.id))
    assert own.status_code == 200 and 'Mette Borger' not in text(own)


def test_admin_forms_refuse_another_organisations_teams_caseworkers_and_rooms(matrix_db):
    """Ids of job centre B posted in job centre A's admin forms: a form error
    or 404, and nothing saved."""
    app, world = matrix_db.app, matrix_db.world
    a, b = world.a, world.b
    from models import Pause
    Pause.create(caseworker=b.caseworker, weekday=0, start=dt.time(14),
                 end=dt.time(14, 15), label='Only in B')    # a copy would show
    admin = _client(app, a.admin)
    attempts = Attempts()

    url = _url(app, 'admin_caseworkers.new')
    form = _with(_page_form(admin, url), name='Nina Ny', email='nina.ny@example.test')
    attempts.post(admin, url, _with(form, teams=b.team.id), "B's team for a new caseworker")

    url = _url(app, 'admin_caseworkers.edit', caseworker_id=a.caseworker.id)
    form = _page_form(admin, url)
    attempts.post(admin, url, _with(form, teams=[a.team.id, b.team.id]), "B's team")
    attempts.post(admin, url, _with(form, competences=b.competence.id), "B's competence")

    url = _url(app, 'admin_caseworkers.pauses', caseworker_id=a.caseworker.id)
    copy = _url(app, 'admin_caseworkers.pauses_copy_from', caseworker_id=a.caseworker.id)
    attempts.post(admin, copy, _with(_page_form(admin, url, copy), source=b.caseworker.id),
                  "pauses copied from B's caseworker")

    url = _url(app, 'admin_rooms.create')
    attempts.post(admin, url, _with(_page_form(admin, url), name='Nyt lokale',
                                    teams=b.team.id), "B's team may use a new room")
    url = _url(app, 'admin_rooms.edit', room_id=a.room.id)
    attempts.post(admin, url, _with(_page_form(admin, url), teams=b.team.id),
                  "B's team may use A's room")

    url = _url(app, 'admin_teams.create')
    attempts.post(admin, url, _with(_page_form(admin, url), name='Nyt team',
                                    address='Jobvej 9', postcode='8000', parent=b.team.id),
                  "a new team under B's team")
    url = _url(app, 'admin_teams.edit', team_id=a.team.id)
    attempts.post(admin, url, _with(_page_form(admin, url), parent=b.team.id),
                  "A's team moved under B's team")

    url = _url(app, 'admin_variants.edit', variant_id=a.variant.id)
    attempts.post(admin, url, _with(_page_form(admin, url), teams=b.team.id),
                  "B's team for A's variant")

    url = _url(app, 'admin_closing_days.create')
    attempts.post(admin, url, _with(_page_form(admin, url), name='Ekstra',
                                    date=_in_two_weeks(world, 4), team=b.team.id),
                  "a closing day for B's team")

    url = _url(app, 'admin_summons_templates.create')
    form = _with(_page_form(admin, url), name='Ny skabelon')
    attempts.post(admin, url, _with(form, team=b.team.id), "B's team in a template")
    attempts.post(admin, url, _with(form, room=b.room.id), "B's room in a template")
    attempts.post(admin, url, _with(form, variant=b.variant.id), "B's variant in a template")
    attempts.check()
    assert [p.label for p in a.caseworker.pauses] .count('Only in B') == 0


def test_calendar_absence_and_offers_refuse_another_organisations_ids(matrix_db):
    app, world = matrix_db.app, matrix_db.world
    a, b = world.a, world.b
    planner = _client(app, a.planner)
    attempts = Attempts()

    url = _url(app, 'calendar.new')
    form = _with(_page_form(planner, url), cpr=a.waiting.cpr, date=_in_two_weeks(world, 1),
                 start='10:00', duration='45', team=a.team.id, caseworker=a.caseworker.id)
    attempts.post(planner, url, _with(form, team=b.team.id), "B's team in a booking")
    attempts.post(planner, url, _with(form, caseworker=b.caseworker.id),
                  "B's caseworker in a booking")
    attempts.post(planner, url, _with(form, room=b.room.id), "B's room in a booking")
    attempts.post(planner, url, _with(form, cpr=b.waiting.cpr), "B's citizen in a booking")
    attempts.get(planner, url + '?' + urlencode({'caseworker': b.caseworker.id}),
                 "B's caseworker prefilled")
    attempts.get(planner, url + '?' + urlencode({'room': b.room.id}), "B's room prefilled")
    for endpoint, key, value in (('calendar.caseworker', 'caseworker_id', b.caseworker.id),
                                 ('calendar.team', 'team_id', b.team.id),
                                 ('calendar.room', 'room_id', b.room.id),
                                 ('calendar.meeting', 'meeting_id', b.meeting.id),
                                 ('calendar_feed.page', 'caseworker_id', b.caseworker.id)):
        attempts.get(planner, _url(app, endpoint, **{key: value}), f"B's {key}")

    url = _url(app, 'absence.new')
    attempts.post(planner, url, _with(_page_form(planner, url),
                                      caseworker=b.caseworker.id,
                                      first_day=_in_two_weeks(world, 2),
                                      last_day=_in_two_weeks(world, 2)),
                  "B's caseworker made absent")

    url = _url(app, 'offers.step1', offer_id=a.offer.id)
    form = _page_form(planner, url)
    attempts.post(planner, url, _with(form, team=b.team.id, action='next'),
                  "B's team for A's offer")
    attempts.post(planner, url, _with(form, caseworkers=b.caseworker.id, action='next'),
                  "B's caseworker for A's offer")
    attempts.check()
    assert not Meeting.select().where(Meeting.organisation == a.org,
                                      Meeting.id != a.meeting.id).exists()


def test_summons_refuse_another_organisations_ids_and_another_planners_draft(matrix_db):
    app, world = matrix_db.app, matrix_db.world
    a, b = world.a, world.b
    from models import SummonsDraft, SummonsDraftCitizen
    from tests.access_matrix_support import staff
    planner = _client(app, a.planner)
    attempts = Attempts()
    draft = a.draft.id

    url = _url(app, 'summons.step1', draft_id=draft)
    original = _page_form(planner, url)
    too_large = 2 ** 70       # no row has it, and the database cannot even look it up
    for field, value in (('team_id', b.team.id), ('caseworker_ids', b.caseworker.id),
                         ('room_id', b.room.id), ('variant_id', b.variant.id),
                         ('team_id', too_large), ('caseworker_ids', too_large),
                         ('room_id', too_large), ('meeting_type_id', too_large)):
        # "Save for later" keeps a draft without checking it; "Next" checks it.
        for action in ('save', 'next', 'free_times'):
            response = planner.post(url, data=_with(original, action=action, **{field: value}))
            stored = summons_frame(SummonsDraft.get_by_id(draft).frame)
            if value in (stored.team_id, stored.room_id, stored.variant_id,
                         stored.meeting_type_id) or value in stored.caseworker_ids:
                attempts.failures.append(f'{field} {value} kept in the draft ({action})')
            if action == 'next' and not _refused(response):
                attempts.failures.append(f'{field} {value} not refused on Next: '
                                         f'{response.status_code}')
            planner.post(url, data=_with(original, action='save'))
        # The part of step 1 that depends on the team, redrawn for the value.
        response = planner.get(url + '?' + urlencode(_with(original, **{field: value})),
                               headers={'HX-Target': 'frame-dependent', 'HX-Request': 'true'})
        if response.status_code != 200 or 'Birthe Bonde' in text(response):
            attempts.failures.append(f'step 1 redrawn for {field} {value}: '
                                     f'{response.status_code}')
    planner.post(url, data=_with(original, action='save'))
    assert summons_frame(SummonsDraft.get_by_id(draft).frame).team_id == a.team.id
    url = _url(app, 'summons.step2', draft_id=draft)
    attempts.post(planner, url, MultiDict({'action': 'add_one', 'cpr': b.waiting.cpr}),
                  "B's citizen added to A's summons by CPR")
    planner.post(url, data=MultiDict({'action': 'add_one', 'cpr': a.citizen.cpr}))
    assert SummonsDraftCitizen.select().where(SummonsDraftCitizen.draft == draft,
                                              SummonsDraftCitizen.citizen == a.citizen).exists()
    for query in ({'team': b.team.id}, {'caseworker': b.caseworker.id}, {'room': b.room.id}):
        attempts.get(planner, _url(app, 'summons.index') + '?' + urlencode(query),
                     f'a summons prefilled with {query} of B')
    attempts.post(planner, _url(app, 'summons.index'),
                  MultiDict({'action': 'template', 'template': b.template.id}), "B's template")
    attempts.post(planner, _url(app, 'summons.index'),
                  MultiDict({'action': 'discard', 'draft': b.draft.id}), "B's draft discarded")

    # Another planner of the same job centre: the draft is not theirs.
    colleague = _client(app, staff(a.org, 'planner', 'Kim Kollega'))
    for step in ('step1', 'step2', 'step3'):
        url = _url(app, f'summons.{step}', draft_id=draft)
        attempts.get(colleague, url, "a colleague's draft")
        attempts.post(colleague, url, MultiDict({'action': 'save'}), "a colleague's draft")
    attempts.post(colleague, _url(app, 'summons.row', draft_id=draft, row_id=a.draft_row.id),
                  MultiDict({'selected': 'y'}), "a row of a colleague's draft")
    attempts.post(colleague, _url(app, 'summons.index'),
                  MultiDict({'action': 'discard', 'draft': draft}), "a colleague's draft discarded")
    attempts.check()
    assert SummonsDraft.get_or_none(SummonsDraft.id == draft) is not None
    assert SummonsDraft.get_by_id(b.draft.id) is not None


def summons_frame(text_value):
    from planner import summons
    return summons.SummonsFrame.from_json(text_value)


def test_pending_and_follow_up_ignore_another_organisations_ids(matrix_db):
    app, world = matrix_db.app, matrix_db.world
    a, b = world.a, world.b
    from models import MeetingParticipant, PendingSummons, SummonsDraft, SummonsDraftCitizen
    planner = _client(app, a.planner)
    attempts = Attempts()
    index = _url(app, 'pending.index')

    # Only B's row: nothing selected, nothing made.
    response = planner.post(index, data=MultiDict([('action', 'summon'), ('ids', b.pending.id)]))
    assert response.status_code == 303 and response.headers['Location'].endswith(index)
    # A's and B's rows: the summons gets A's citizen only.
    drafts = SummonsDraft.select().count()
    response = planner.post(index, data=MultiDict([('action', 'summon'), ('ids', b.pending.id),
                                                   ('ids', a.pending.id)]))
    assert response.status_code == 303
    assert SummonsDraft.select().count() == drafts + 1
    newest = SummonsDraft.select().order_by(SummonsDraft.id.desc()).first()
    assert [r.citizen_id for r in newest.citizens] == [a.waiting.id]
    # Deleting B's row: its confirmation page does not name it, and the POST keeps it.
    page = planner.get(_url(app, 'pending.delete') + '?' + urlencode({'ids': b.pending.id}))
    assert page.status_code == 303 or b.waiting.name not in text(page)
    planner.post(_url(app, 'pending.delete'), data=MultiDict({'ids': b.pending.id}))
    assert PendingSummons.get_or_none(PendingSummons.id == b.pending.id) is not None
    assert b.waiting.name not in text(planner.get(index))

    # Follow-up: B's meeting cannot be synced, nor its letters read or marked printed.
    Meeting.update(summoned_at=Meeting.created_at).where(Meeting.id == b.meeting.id).execute()
    attempts.post(planner, _url(app, 'followup.sync', meeting_id=b.meeting.id), MultiDict(),
                  "B's meeting synced")
    letters = planner.get(_url(app, 'followup.letters') + '?' + urlencode(
        {'meeting': b.meeting.id, 'all': '1'}))
    assert letters.status_code == 404 and b.citizen.name not in text(letters)
    participant = MeetingParticipant.get(MeetingParticipant.meeting == b.meeting)
    planner.post(_url(app, 'followup.printed'), data=MultiDict({'participant': participant.id}))
    assert MeetingParticipant.get_by_id(participant.id).letter_printed_at is None
    attempts.check()
    assert not SummonsDraftCitizen.select().join(SummonsDraft).where(
        SummonsDraft.organisation == a.org, SummonsDraftCitizen.citizen == b.waiting).exists()


def test_a_substitute_never_answers_another_substitutes_request(matrix_db):
    from models import Availability, ShiftRequest, Vacancy
    from pool import staffing
    from tests.access_matrix_support import substitute
    app, world = matrix_db.app, matrix_db.world
    p = world.p
    at = staffing.now()
    day = p.org.local(p.vacancy.starts_at).date()
    with app.app_context():
        other = substitute(p.org, 'Bo Berg', p.unit)
        theirs_available = staffing.add_availability(other, day, dt.time(0), dt.time(0), True,
                                                     at=at).added[0]
        (theirs,) = staffing.send_requests(p.vacancy, 1, at + dt.timedelta(hours=6),
                                           by=p.planner, at=at)
    assert theirs.user_id == other.id
    client = _client(app, p.substitute)
    attempts = Attempts()
    for answer in ('yes', 'no'):
        attempts.post(client, _url(app, 'pool_me.answer', request_id=theirs.id),
                      MultiDict({'answer': answer}), "another substitute's request")
    attempts.post(client, _url(app, 'pool_me.remove_availability',
                               availability_id=theirs_available.id),
                  MultiDict({'day': day.isoformat()}), "another substitute's availability")
    attempts.check()
    assert ShiftRequest.get_by_id(theirs.id).status == ShiftRequest.OPEN
    assert Vacancy.get_by_id(p.vacancy.id).substitute is None
    assert Availability.get_or_none(Availability.id == theirs_available.id) is not None
    # The page offers answers to the substitute's own request only.
    forms = forms_by_action('/', client.get(_url(app, 'pool_me.requests')).get_data(as_text=True))
    assert _url(app, 'pool_me.answer', request_id=p.request.id) in forms
    assert _url(app, 'pool_me.answer', request_id=theirs.id) not in forms


def test_pool_forms_refuse_another_pools_units_and_substitutes(matrix_db):
    from tests.access_matrix_support import pool
    app, world = matrix_db.app, matrix_db.world
    with app.app_context():
        p, other = world.p, pool('Annan kommun')
    planner = _client(app, p.planner)
    attempts = Attempts()

    url = _url(app, 'pool_vacancies.create')
    attempts.post(planner, url, _with(_page_form(planner, url), unit=other.unit.id,
                                      date=_in_two_weeks(world, 3), start='08:00', end='16:00'),
                  "another pool's unit for a vacancy")
    attempts.post(planner, url, _with(_page_form(planner, url), unit=p.unit.id,
                                      qualifications=other.qualification.id,
                                      date=_in_two_weeks(world, 3), start='08:00', end='16:00'),
                  "another pool's qualification for a vacancy")
    url = _url(app, 'pool_substitutes.create')
    attempts.post(planner, url, _with(_page_form(planner, url), name='Nils Ny',
                                      username='nilsny', phone='+46701234567',
                                      password='a first password 2030', units=other.unit.id),
                  "another pool's unit for a substitute")
    url = _url(app, 'pool_substitutes.edit', user_id=p.substitute.id)
    attempts.post(planner, url, _with(_page_form(planner, url),
                                      qualifications=other.qualification.id),
                  "another pool's qualification for a substitute")
    for endpoint in ('pool_vacancies.book', 'pool_vacancies.calls'):
        attempts.post(planner, _url(app, endpoint, vacancy_id=p.vacancy.id),
                      MultiDict({'user': other.substitute.id, 'outcome': 'accepted'}),
                      "another pool's substitute booked")
    attempts.get(planner, _url(app, 'pool_substitutes.edit', user_id=other.substitute.id),
                 "another pool's substitute")
    attempts.check()


def test_ids_that_are_no_row_are_404_never_500(matrix_db):
    """Every route with an id in its URL, for a user allowed there: an id of
    no row (0, one past the last, and one too large for the database) is 404."""
    app, world = matrix_db.app, matrix_db.world
    clients = _clients(matrix_db)
    failures, checked = [], 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        values = url_values(world, rule.endpoint)
        ints = [a for a in rule.arguments if isinstance(values[a][0], int)]
        if not ints:
            continue
        _url_, owner = _fill(app, rule.endpoint, world)
        role = next((r for r in ROLES if expected(rule.endpoint, r, owner) == ALLOW), None)
        assert role is not None, rule.endpoint
        for arg in ints:
            for wrong in (0, 10 ** 6, 2 ** 63, 2 ** 70):
                url = _url(app, rule.endpoint, **{a: (wrong if a == arg else values[a][0])
                                                  for a in rule.arguments})
                for method in [m for m in METHODS if m in rule.methods]:
                    before = row_counts()
                    checked += 1
                    try:
                        response = clients[role.name].open(url, method=method)
                    except Exception as exc:     # a 500 in production
                        failures.append(f'{method} {url} as {role.name}: {exc!r}')
                        continue
                    if response.status_code != 404:
                        failures.append(f'{method} {url} as {role.name}: '
                                        f'{response.status_code}')
                    elif changed_tables(before, row_counts()):
                        failures.append(f'{method} {url} as {role.name} changed '
                                        f'{changed_tables(before, row_counts())}')
    assert not failures, '\n'.join(failures)
    assert checked > 200


def test_ids_in_forms_and_query_strings_that_are_no_row_never_500(matrix_db):
    """Ids too large for the database in query strings and form fields that
    name rows: refused or ignored, never a 500, nothing saved."""
    app, world = matrix_db.app, matrix_db.world
    a, p = world.a, world.p
    big = 2 ** 70
    planner, admin, pool_planner = (_client(app, u) for u in (a.planner, a.admin, p.planner))
    day = _in_two_weeks(world, 2)
    gets = [
        (planner, '/calendar/', {'team': big}),
        (planner, '/calendar/new', {'caseworker': big}),
        (planner, '/calendar/new', {'room': big}),
        (planner, '/calendar/new', {'team': big}),
        (planner, '/summons/', {'team': big}),
        (planner, '/summons/', {'caseworker': big}),
        (planner, '/summons/', {'room': big}),
        (planner, '/summons/follow-up/', {'team': big, 'caseworker': big, 'meeting_type': big}),
        (planner, '/summons/follow-up/letters', {'meeting': big}),
        (planner, '/summons/follow-up/letters', {'meeting': a.meeting.id, 'citizen': big}),
        (planner, '/summons/pending/delete', {'ids': big}),
        (pool_planner, '/pool/vacancies/', {'unit': big}),
    ]
    posts = [
        (planner, '/summons/pending/', {'ids': big, 'action': 'summon'}),
        (planner, '/summons/pending/delete', {'ids': big}),
        (planner, '/summons/follow-up/letters/printed', {'participant': big}),
        (planner, '/summons/', {'action': 'template', 'template': big}),
        (planner, '/summons/', {'action': 'discard', 'draft': big}),
        (planner, f'/summons/{a.draft.id}/review', {'action': 'change', 'row_id': big}),
        (planner, f'/summons/{a.draft.id}/citizens', {'action': 'remove', 'row_id': big}),
        (planner, '/calendar/new', {'team': big, 'caseworker': big, 'room': big,
                                    'meeting_type': big, 'cpr': a.waiting.cpr, 'date': day,
                                    'start': '10:00', 'duration': '45'}),
        (planner, '/admin/absences/new', {'caseworker': big, 'first_day': day, 'last_day': day}),
        (planner, f'/offers/{a.offer.id}/step/1', {'team': big, 'caseworkers': big,
                                                   'variant': big, 'action': 'next'}),
        (planner, '/offers/new', {'team': big, 'variant': big, 'action': 'next'}),
        (planner, f'/offers/{a.offer.id}', {'citizen': big}),
        (admin, '/admin/teams/new', {'name': 'x', 'address': 'Jobvej 9', 'postcode': '8000',
                                     'parent': big}),
        (admin, '/admin/rooms/new', {'name': 'x', 'teams': big}),
        (admin, '/admin/closing-days/new', {'name': 'x', 'date': day, 'team': big}),
        (admin, '/admin/summons-templates/new', {'name': 'x', 'team': big, 'room': big,
                                                 'variant': big, 'meeting_type': big}),
        (admin, '/admin/variants/new', {'name': 'x', 'teams': big, 'meeting_types': big}),
        (admin, f'/admin/caseworkers/{a.caseworker.id}', {'teams': big, 'competences': big}),
        (admin, f'/admin/caseworkers/{a.caseworker.id}/pauses/copy-from', {'source': big}),
        (pool_planner, f'/pool/vacancies/{p.vacancy.id}/book', {'user': big}),
        (pool_planner, f'/pool/vacancies/{p.vacancy.id}/calls', {'user': big,
                                                                 'outcome': 'accepted'}),
        (pool_planner, '/pool/vacancies/new', {'unit': big, 'qualifications': big, 'date': day,
                                               'start': '08:00', 'end': '12:00'}),
        (pool_planner, '/pool/substitutes/new', {'units': big, 'qualifications': big,
                                                 'name': 'x', 'username': 'xx',
                                                 'phone': '+46701234567',
                                                 'password': 'a long password 12345'}),
        (pool_planner, '/pool/messages/', {'unit': big, 'qualification': big, 'audience': 'unit',
                                           'text': 'Hej', 'action': 'preview'}),
        (pool_planner, '/pool/units/new', {'name': 'x', 'parent': big}),
    ]
    failures = []
    for client, path, data in [(c, u + '?' + urlencode(d), None) for c, u, d in gets] + posts:
        before = fingerprint()
        try:
            response = client.get(path) if data is None else client.post(path, data=data)
        except Exception as exc:       # a 500 in production
            failures.append(f'{path} {data}: {exc!r}')
            continue
        if response.status_code >= 500:
            failures.append(f'{path} {data}: {response.status_code}')
        changed = changed_tables(before, fingerprint())
        if changed:
            failures.append(f'{path} {data}: changed rows of {changed}')
    assert not failures, '\n'.join(failures)
