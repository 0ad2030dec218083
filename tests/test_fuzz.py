"""Fuzzing: every form of the app and the SMS webhooks, fed generated input.

The forms are found, not listed: every route that takes POST (from the URL
map) is fuzzed through the form a signed-in user allowed to use it actually
sees (pages crawled once, their HTML read for the names of inputs, selects,
textareas and buttons). Hypothesis fills those names with valid-looking
values (dates, times, numbers, options the page offers, CPR and phone
numbers) or junk (empty, very long, NUL, RTL and zero-width characters,
injection strings, ids of other organisations' objects, missing fields,
repeated fields). Each example starts from the same small world (two job
centres and a substitute pool with one of everything) and must end with no
5xx anywhere on the way (redirects followed) and a database that is still
consistent (`fuzz_support.problems`: foreign keys, no NUL, lengths and
integers PostgreSQL would refuse, CPR and phone numbers normalised, no
meeting without its citizen, no caseworker in two meetings at once, no
backwards spans or negative counts, no links across organisations, no
cycles in trees, JSON columns that parse).

The webhooks get generated parameters as query strings, forms and JSON:
refused with 403 without a valid signature (nothing stored), and with one
answered 204 or 400, the inbound handlers running to the end on any text.

Bounded: derandomized (the same examples on every run), a few dozen
examples per form.
"""
from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import sqlite3
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode, urlparse

import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from vonage import Auth
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

import tasks
from app import create_app
from models import (Caseworker, CaseworkerTeam, Meeting, MeetingParticipant, Message, Team, User,
                    UserSession, db, make_database, utcnow)
from tests.access_matrix_support import (ALLOW, PUBLIC, ROLE, build_world, expected, fingerprint,
                                         url_values)
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL, _pg_admin_url, _pg_execute
from tests.fuzz_support import (Knowledge, as_request_data, form_data, htmx_headers, nasty_text,
                                problems, read_forms)

SIGNATURE_SECRET = 'fuzz-signature-secret'
# FUZZ_EXAMPLES=200 for a longer hunt; FUZZ_SHRINK=0 to report failures unshrunk.
EXAMPLES = int(os.environ.get('FUZZ_EXAMPLES', '20'))
PHASES = [Phase.explicit, Phase.generate] + (
    [Phase.shrink] if os.environ.get('FUZZ_SHRINK', '1') != '0' else [])
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                print_blob=False, phases=PHASES,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much,
                                       HealthCheck.function_scoped_fixture])

# Who crawls the pages for forms, in this order: the first allowed to post
# a form is the one who fuzzes it.
CRAWLERS = ('planner', 'admin', 'caseworker', 'citizen', 'citizen+free', 'substitute',
            'pool_planner', 'pool_admin', 'anonymous', 'anonymous+code')

# Routes that only take a signed webhook, fuzzed on their own below.
WEBHOOKS = ('webhooks.inbound', 'webhooks.delivery')


def _post_endpoints() -> list[str]:
    """Every endpoint that takes POST, read without a database."""
    from app import blueprint_modules
    bare = Flask('app')
    for module in blueprint_modules():
        bare.register_blueprint(module.bp)
    return sorted({rule.endpoint for rule in bare.url_map.iter_rules()
                   if 'POST' in rule.methods and rule.endpoint not in WEBHOOKS})


FORMS = _post_endpoints()

@dataclass
class Spare:
    """Objects the world of the access matrix lacks for some forms to show:
    things free to delete, a vacancy nobody was asked about yet, a summons
    whose notice failed (the follow-up list offers a Sync), a meeting the
    citizen booked through the online offer (and may move)."""
    team: Team
    room: object
    caseworker: Caseworker
    unit: object
    vacancy: object


def _spare(world) -> Spare:
    from models import Room, Unit
    from pool import staffing
    a, p = world.a, world.p
    team = Team.create(organisation=a.org, name='Tomt team')
    room = Room.create(organisation=a.org, name='Ledigt lokale')
    other = (Caseworker.select().where(Caseworker.organisation == a.org,
                                       Caseworker.id != a.caseworker.id).get())
    unit = Unit.create(organisation=p.org, name='Tom enhet')
    at = staffing.now()
    vacancy = staffing.create_vacancy(p.org, p.unit, p.vacancy.starts_at.date()
                                      + dt.timedelta(days=1), dt.time(13), dt.time(16), [], '',
                                      by=p.planner, at=at)
    Message.update(status=Message.FAILED, last_error='provider down').where(
        Message.meeting == a.meeting.id).execute()
    # As if booked through the online offer: the citizen may move it.
    Meeting.update(offer=a.offer.id).where(Meeting.id == a.meeting.id).execute()
    return Spare(team=team, room=room, caseworker=other, unit=unit, vacancy=vacancy)


def _extra_pages(world, spare) -> list[tuple[str, dict, dict]]:
    """(endpoint, URL ids over the world's, query) of pages whose forms show
    only with a query string (a confirmation, a day) or for other objects."""
    a, p = world.a, world.p
    day = p.org.local(p.availability.starts_at).date().isoformat()
    return [
        ('absence.show', {}, {'confirm': 'delete'}),
        ('calendar.meeting', {}, {'confirm': 'cancel'}),
        ('calendar_feed.page', {}, {'confirm': 'new'}),
        ('followup.letters', {}, {'meeting': a.meeting.id, 'all': '1'}),
        ('pending.delete', {}, {'ids': a.pending.id}),
        ('pool_me.availability', {}, {'day': day}),
        ('pool_me.availability', {}, {'day': day, 'remove': p.availability.id}),
        ('admin_teams.delete', {'team_id': spare.team.id}, {}),
        ('admin_rooms.delete', {'room_id': spare.room.id}, {}),
        ('admin_caseworkers.delete', {'caseworker_id': spare.caseworker.id}, {}),
        ('admin_citizens.erase', {'user_id': a.waiting.id}, {}),
        ('admin_citizens.address', {'user_id': a.waiting.id}, {}),
        ('pool_units.delete', {'unit_id': spare.unit.id}, {}),
        ('pool_vacancies.show', {'vacancy_id': spare.vacancy.id}, {}),
    ]


# Clients that need a step before the form shows: someone who has asked
# for a login code (the code page and its "send again").
def _asked_for_code(fuzz, client):
    response = client.post('/login/citizen', data={'cpr': fuzz.world.a.citizen.cpr})
    assert response.status_code == 303, response.status_code


PRELUDES = {'anonymous+code': _asked_for_code}


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get('href') if tag == 'a' else None
        if href and href.startswith('/') and '?' in href:
            self.hrefs.append(href)


@dataclass
class Fuzz:
    app: Flask
    world: object
    url: str                # the world's database
    tokens: dict            # role name -> session token
    forms: dict             # (method, endpoint) -> [(role name, Form)]
    knowledge: Knowledge
    spare: Spare = None


def _close_database():
    if not db.is_closed():
        db.close()
    if hasattr(db.obj, 'close_all'):
        db.obj.close_all()


def _client(fuzz: Fuzz, role: str):
    """A browser signed in as `role` (directly, with its session token)."""
    client = fuzz.app.test_client()
    client.environ_base['HTTP_ACCEPT_LANGUAGE'] = 'en'
    if role in fuzz.tokens:
        with client.session_transaction() as session:
            session['_user_id'] = fuzz.tokens[role]
            session['_fresh'] = True
    if role in PRELUDES:
        PRELUDES[role](fuzz, client)
    return client


def _base(role: str) -> str:
    """'citizen+free' is a citizen (the access matrix's role)."""
    return role.split('+')[0]


def _endpoint_of(app, url: str, method: str) -> str | None:
    adapter = app.url_map.bind('localhost')
    try:
        endpoint, _args = adapter.match(urlparse(url).path, method=method)
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return None
    return endpoint


LINK_DEPTH = 2     # a week's day, then a time on it
MAX_VARIANTS = 6   # differently shaped forms fuzzed per route


def _crawl(fuzz: Fuzz, clients) -> dict:
    """{(method, endpoint): [(role, Form)]}: every GET page as every role allowed to
    see it (URL ids from the world), and links with a query string up to
    two steps on (a day, then a chosen time), read for forms."""
    app, world = fuzz.app, fuzz.world
    values = {k: v[0] for k, v in url_values(world).items()}
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if 'GET' not in rule.methods or rule.endpoint == 'static' \
                or not all(arg in values for arg in rule.arguments):
            continue
        pages.append((rule.endpoint, {}, {}))
    pages += _extra_pages(world, fuzz.spare)
    with app.test_request_context():
        from flask import url_for
        urls = []
        for endpoint, ids, query in pages:
            rule = next(app.url_map.iter_rules(endpoint))
            url = url_for(endpoint, **{a: ids.get(a, values.get(a)) for a in rule.arguments})
            urls.append((endpoint, url + ('?' + urlencode(query) if query else '')))
    found, seen = {}, set()

    def visit(role, url, depth):
        response = clients[role].get(url)
        if response.status_code != 200 or response.mimetype != 'text/html':
            return
        html = response.get_data(as_text=True)
        for form in read_forms(url, html):
            method = form.method.upper()
            endpoint = _endpoint_of(app, form.action, method)
            if endpoint is None or endpoint in WEBHOOKS or \
                    expected(endpoint, ROLE[_base(role)], None) not in (ALLOW, PUBLIC):
                continue
            # Forms with other fields or buttons (a row's "Change" and the
            # page's "Summon now") are each fuzzed; the same form on another
            # row is not.
            shape = (frozenset(form.fields), tuple(sorted(
                (f.name, tuple(f.options)) for f in form.fields.values() if f.kind == 'submit')))
            variants = found.setdefault((method, endpoint), {})
            if shape not in variants and len(variants) < MAX_VARIANTS:
                variants[shape] = (role, form)
        if depth >= LINK_DEPTH:
            return
        links = Links()
        links.feed(html)
        for href in links.hrefs:
            key = (role, _endpoint_of(app, href, 'GET'), tuple(sorted(
                k.split('=')[0] for k in urlparse(href).query.split('&'))))
            if key[1] is not None and key not in seen:
                seen.add(key)
                visit(role, href, depth + 1)

    for role in CRAWLERS:
        for endpoint, url in urls:
            if expected(endpoint, ROLE[_base(role)], None) in (ALLOW, PUBLIC):
                visit(role, url, 0)
    return {key: list(variants.values()) for key, variants in found.items()}


def _knowledge(world) -> Knowledge:
    ids = set()
    for part in (world.a, world.b, world.p):
        for value in vars(part).values():
            if hasattr(value, 'id') and isinstance(value.id, int):
                ids.add(value.id)
    cprs = [world.a.citizen.cpr, world.a.waiting.cpr, world.b.citizen.cpr, world.b.waiting.cpr]
    today = dt.datetime.now(dt.timezone.utc).astimezone(world.a.org.zone).date()
    return Knowledge(today=today, ids=sorted(ids | {0, 1, 2}), cprs=cprs)


@pytest.fixture(scope='module')
def fuzz(template_database, tmp_path_factory):
    """The app and the world, built once per module; the forms read from
    its pages. Each route's test fuzzes a copy (`fuzz_db`)."""
    folder = tmp_path_factory.mktemp('fuzz')
    if ON_POSTGRES:
        name = f'planpool_fuzz_{os.getpid()}'
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
    tasks.init_app(app)
    with app.app_context():
        db.connect(reuse_if_open=True)
        world = build_world()
        spare = _spare(world)
        tokens = {role: UserSession.open(user) for role, user in world.users.items()}
        # A citizen with no meeting yet, who may book one.
        tokens['citizen+free'] = UserSession.open(world.a.waiting)
        _close_database()
    fuzz = Fuzz(app=app, world=world, url=url, tokens=tokens, forms={},
                knowledge=_knowledge(world), spare=spare)
    # The crawl reads pages only; it runs on a copy all the same, so the
    # world every example starts from is exactly the one built above.
    crawl_url = _copy_world(fuzz, folder / 'crawl.sqlite3')
    clients = {role: _client(fuzz, role) for role in CRAWLERS}
    fuzz.forms = _crawl(fuzz, clients)
    _drop_copy(crawl_url)
    db.initialize(make_database(url))
    yield fuzz
    print(f'\nfuzzing: {dict(STATS)}')
    _close_database()
    if ON_POSTGRES:
        _pg_execute(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')


_copies = itertools.count()


def _copy_world(fuzz: Fuzz, path) -> str:
    """A fresh copy of the world's database, made the current one."""
    _close_database()
    if ON_POSTGRES:
        name = f'planpool_fuzz_{os.getpid()}_{next(_copies)}'
        _pg_execute(f'CREATE DATABASE {name} TEMPLATE planpool_fuzz_{os.getpid()}')
        url = _pg_admin_url(TEST_DATABASE_URL, name)
    else:
        source = fuzz.url[len('sqlite:///'):]
        with closing(sqlite3.connect(source)) as conn:   # everything into the one file
            conn.execute('PRAGMA wal_checkpoint(TRUNCATE)')
        for suffix in ('', '-wal', '-shm'):
            if os.path.exists(f'{path}{suffix}'):
                os.remove(f'{path}{suffix}')
        shutil.copy(source, path)
        url = f'sqlite:///{path}'
    db.initialize(make_database(url))
    return url


def _drop_copy(url: str) -> None:
    _close_database()
    if ON_POSTGRES:
        _pg_execute(f'DROP DATABASE IF EXISTS {urlparse(url).path.lstrip("/")} WITH (FORCE)')


class Restorer:
    """Every example from the same world: a fresh file per example on
    SQLite; on PostgreSQL (a database per copy is too slow per example) one
    copy per route, where the examples' changes add up."""

    def __init__(self, fuzz, tmp_path):
        self.fuzz, self.path = fuzz, tmp_path / 'example.sqlite3'
        self.url = _copy_world(fuzz, self.path)

    def __call__(self):
        if not ON_POSTGRES:
            self.url = _copy_world(self.fuzz, self.path)

    def close(self):
        _drop_copy(self.url)


def _fingerprint() -> dict:
    db.connect(reuse_if_open=True)
    try:
        return fingerprint()
    finally:
        db.close()


def _consistent(what: str) -> None:
    db.connect(reuse_if_open=True)
    try:
        found = problems()
    finally:
        db.close()
    assert not found, f'{what} left the database inconsistent:\n' + '\n'.join(found[:20])


XSS = ('<script>alert(1)</script>', '<img src=x onerror=alert(1)>')
STATS = Counter()


def _check_response(response, what: str) -> None:
    for r in [*response.history, response]:
        assert r.status_code < 500, f'{what}: {r.status_code} at {r.request.path}'
        if r.mimetype == 'text/html':
            body = r.get_data(as_text=True)
            assert not any(x in body for x in XSS), f'{what}: markup shown unescaped'


# --- every form ------------------------------------------------------------------------

def test_every_route_that_takes_post_has_a_form(fuzz):
    """Each route fuzzed below is reached through a form some page offers
    (a route without one would be fuzzed with no fields at all)."""
    missing = [e for e in FORMS if ('POST', e) not in fuzz.forms]
    assert not missing, f'no page shows a form posting to {missing}'


@pytest.mark.parametrize('endpoint', FORMS)
def test_form_survives_generated_input(fuzz, endpoint, tmp_path):
    if ('POST', endpoint) not in fuzz.forms:
        pytest.fail(f'no page shows a form posting to {endpoint}')
    variants = fuzz.forms['POST', endpoint]
    restore = Restorer(fuzz, tmp_path)
    statuses, wrote = Counter(), Counter()
    start = _fingerprint()

    @FUZZ
    @given(case=st.sampled_from(variants).flatmap(lambda variant: st.tuples(
        st.just(variant), form_data(variant[1], fuzz.knowledge), htmx_headers(variant[1]))))
    def run(case):
        (role, form), values, headers = case
        restore()
        before = _fingerprint() if ON_POSTGRES else start
        client = _client(fuzz, role)
        data = as_request_data(values)
        what = f'POST {form.action} as {role} with {data!r:.2000} {headers}'
        response = client.post(form.action, data=data, headers=headers,
                               follow_redirects=True)
        status = (response.history[0] if response.history else response).status_code
        statuses[status] += 1
        _check_response(response, what)
        _consistent(what)
        wrote[status] += _fingerprint() != before

    try:
        run()
    finally:
        restore.close()
    STATS['forms'] += len(variants)
    STATS['routes'] += 1
    STATS['examples'] += sum(statuses.values())
    STATS['examples that changed the database'] += sum(wrote.values())
    print(f'{endpoint} as {variants[0][0]}: {len(variants)} form(s), '
          f'{dict(sorted(statuses.items()))}, changed the database: {sum(wrote.values())} '
          f'({dict(+wrote)})')
    # The form was really used: some example got past the gate.
    assert set(statuses) - {401, 403}, f'{endpoint}: every example refused: {statuses}'


def test_search_forms_survive_generated_input(fuzz, tmp_path):
    """The forms that GET (searches, filters, week pickers): any query string
    their fields could make gives a page, never a 5xx, and changes nothing
    but the audit log."""
    searches = [(e, role, form) for (m, e), variants in sorted(fuzz.forms.items(), key=str)
                if m == 'GET' for role, form in variants]
    assert len(searches) >= 5, 'the crawl found the search forms'
    restore = Restorer(fuzz, tmp_path)
    try:
        for endpoint, role, form in searches:
            statuses = Counter()

            @FUZZ
            @given(values=form_data(form, fuzz.knowledge))
            def run(values):
                client = _client(fuzz, role)
                data = {k: v for k, v in as_request_data(values).items()
                        if not isinstance(v, tuple)}
                what = f'GET {form.action} as {role} with {data!r:.2000}'
                response = client.get(urlparse(form.action).path, query_string=data,
                                      follow_redirects=True)
                statuses[response.status_code] += 1
                _check_response(response, what)

            run()
            _consistent(f'searching with {endpoint}')
            STATS['search forms'] += 1
            STATS['examples'] += sum(statuses.values())
            print(f'GET {endpoint} as {role}: {len(form.fields)} fields, '
                  f'{dict(sorted(statuses.items()))}')
    finally:
        restore.close()


def test_world_starts_consistent(fuzz, tmp_path):
    """The checks hold on the world the examples start from (else every
    example would fail for nothing it did)."""
    restore = Restorer(fuzz, tmp_path)
    try:
        _consistent('building the world')
    finally:
        restore.close()


# --- the consistency checks can fail ------------------------------------------------------

def test_consistency_checks_find_planted_garbage(fuzz, tmp_path):
    """Each kind of damage the fuzzing looks for is found when planted."""
    restore = Restorer(fuzz, tmp_path)
    a, b = fuzz.world.a, fuzz.world.b
    plants = {
        'NUL character': lambda: Team.update(name='Dag\x00penge').where(
            Team.id == a.team.id).execute(),
        'characters long': lambda: Team.update(postcode='8' * 11).where(
            Team.id == a.team.id).execute(),
        'integer range': lambda: Caseworker.update(max_share=2 ** 40).where(
            Caseworker.id == a.caseworker.id).execute(),
        'malformed CPR': lambda: User.update(cpr='3113991234').where(
            User.id == a.citizen.id).execute(),
        'not E.164': lambda: User.update(phone='20 12 34 56').where(
            User.id == a.citizen.id).execute(),
        'with 0 citizens': lambda: MeetingParticipant.delete().where(
            MeetingParticipant.meeting == a.meeting.id).execute(),
        'at the same time': lambda: Meeting.insert(
            {**{f.name: getattr(a.meeting, f.name) for f in Meeting._meta.sorted_fields
                if f.name != 'id'}, 'form': Meeting.GROUP}).execute(),
        'not after its start': lambda: Meeting.update(ends_at=a.meeting.starts_at).where(
            Meeting.id == a.meeting.id).execute(),
        "is organisation": lambda: Meeting.update(room=b.room.id).where(
            Meeting.id == a.meeting.id).execute(),
        'links organisation': lambda: CaseworkerTeam.create(caseworker=a.caseworker.id,
                                                            team=b.team.id),
        'cycle of parents': lambda: Team.update(parent=a.team.id).where(
            Team.id == a.team.id).execute(),
        'has no name': lambda: Team.update(name=' ').where(Team.id == a.team.id).execute(),
        'capacity -1': lambda: a.room.__class__.update(capacity=-1).where(
            a.room.__class__.id == a.room.id).execute(),
        'not JSON': lambda: a.template.__class__.update(fields='{oops').where(
            a.template.__class__.id == a.template.id).execute(),
    }
    if ON_POSTGRES:    # PostgreSQL itself refuses these (the checks are for SQLite)
        for refused in ('NUL character', 'characters long', 'integer range'):
            del plants[refused]
    db.connect(reuse_if_open=True)
    try:
        assert problems() == []
        for expect, plant in plants.items():
            with db.atomic() as transaction:
                plant()
                found = problems()
                transaction.rollback()
            assert any(expect in p for p in found), (expect, found)
            assert problems() == []
    finally:
        db.close()
        restore.close()


# --- the SMS webhooks ---------------------------------------------------------------------

INBOUND = '/webhooks/vonage/inbound'
DELIVERY = '/webhooks/vonage/delivery'
INBOUND_KEYS = ('msisdn', 'to', 'messageId', 'text', 'type', 'keyword', 'message-timestamp',
                'concat', 'concat-ref', 'concat-total', 'concat-part', 'data', 'udh')
DELIVERY_KEYS = ('msisdn', 'to', 'network-code', 'messageId', 'price', 'status', 'scts',
                 'err-code', 'api-key', 'client-ref', 'message-timestamp')


def _sign(params: dict) -> dict:
    """Signed as Vonage does (see tests/test_webhooks.py)."""
    signed = dict(params, timestamp=str(int(time.time())), nonce='f00dcafe')
    signed['sig'] = Auth(api_key='key123', signature_secret=SIGNATURE_SECRET,
                         signature_method='md5').sign_params(dict(signed))
    return signed


def _sms_texts(fuzz):
    code = fuzz.world.p.request.code
    return st.one_of(st.sampled_from(['Ja', 'Nej', 'JA', 'nej', ' ja ', f'Ja {code}',
                                      f'NEJ {code}', 'Ja 0000', 'Ja tak!', 'Nej 1 2 3',
                                      'STOP', 'jaaa', 'J a', f'{code}']),
                     nasty_text())


def _phones(fuzz):
    w = fuzz.world
    known = [u.phone for u in (w.p.substitute, w.a.citizen, w.b.citizen) if u.phone]
    return st.one_of(st.sampled_from(known + [p.lstrip('+') for p in known]),
                     st.sampled_from(['4520000000', '+', '0', '46701234567']), nasty_text())


def _inbound_params(fuzz, junk):
    hex_id = st.text('0123456789ABCDEF', min_size=1, max_size=20)
    message_id = st.one_of(hex_id, hex_id, hex_id, nasty_text())
    if not junk:
        return st.fixed_dictionaries({'msisdn': _phones(fuzz), 'to': st.just('4570100100'),
                                      'messageId': message_id, 'text': _sms_texts(fuzz),
                                      'type': st.sampled_from(['text', 'unicode', 'binary'])})
    return st.dictionaries(st.one_of(st.sampled_from(INBOUND_KEYS), nasty_text()),
                           st.one_of(_sms_texts(fuzz), _phones(fuzz), message_id),
                           max_size=8)


def _delivery_params(fuzz, junk):
    sent = Message.select(Message.id).where(Message.direction == Message.OUT)
    refs = st.one_of(st.sampled_from([str(m.id) for m in sent] or ['1']), nasty_text())
    statuses = st.one_of(st.sampled_from(['delivered', 'failed', 'expired', 'rejected',
                                          'accepted', 'buffered', 'unknown', 'DELIVERED']),
                         nasty_text())
    if not junk:
        return st.fixed_dictionaries({'client-ref': refs, 'status': statuses,
                                      'messageId': st.text('0123456789ABCDEF', max_size=20),
                                      'err-code': st.sampled_from(['0', '1', '99', ''])})
    return st.dictionaries(st.one_of(st.sampled_from(DELIVERY_KEYS), nasty_text()),
                           st.one_of(refs, statuses, nasty_text()), max_size=8)


def _json_value():
    """Any JSON: a scalar, a list or an object, nested once or twice."""
    leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | nasty_text()
    nested = st.lists(leaves, max_size=3) | st.dictionaries(st.text(max_size=5), leaves,
                                                            max_size=3)
    return st.one_of(leaves, nested, st.lists(nested, max_size=2),
                     st.dictionaries(st.sampled_from(INBOUND_KEYS + DELIVERY_KEYS), nested,
                                     max_size=4))


def _send(client, url, how, params):
    if how == 'get':
        return client.get(url, query_string=params)
    if how == 'form':
        return client.post(url, data=params)
    return client.post(url, json=params)


def _stored_messages() -> int:
    db.connect(reuse_if_open=True)
    try:
        return Message.select().count()
    finally:
        db.close()


@pytest.mark.parametrize('url', [INBOUND, DELIVERY])
def test_webhook_without_a_valid_signature_is_refused(fuzz, tmp_path, url):
    """Anything unsigned, badly signed or not even parameters: 400 or 403,
    nothing stored."""
    restore = Restorer(fuzz, tmp_path)
    params = _inbound_params(fuzz, True) if url == INBOUND else _delivery_params(fuzz, True)
    bodies = st.one_of(
        st.tuples(st.sampled_from(['get', 'form', 'json']), params),
        st.tuples(st.just('json'), _json_value()),
        st.tuples(st.just('raw'), st.binary(max_size=200)))
    forge = st.sampled_from(['none', 'zeros', 'stale', 'other-secret', 'wrong-type'])
    seen = Counter()

    @FUZZ
    @given(body=bodies, how_signed=forge)
    def run(body, how_signed):
        restore()
        client = _client(fuzz, 'anonymous')
        how, payload = body
        if isinstance(payload, dict) and how != 'json':
            payload = {k: v for k, v in payload.items() if k not in ('sig', 'timestamp')}
            if how_signed == 'zeros':
                payload = dict(payload, timestamp=str(int(time.time())), sig='0' * 32)
            elif how_signed == 'stale':
                payload = _sign(payload)
                payload['timestamp'] = str(int(payload['timestamp']) - 3600)
            elif how_signed == 'other-secret':
                payload = dict(payload, timestamp=str(int(time.time())))
                payload['sig'] = Auth(api_key='k', signature_secret='not-ours').sign_params(
                    dict(payload))
        before = _stored_messages()
        if how == 'raw':
            response = client.post(url, data=payload, content_type='application/json')
        else:
            response = _send(client, url, how, payload)
        seen[response.status_code] += 1
        assert response.status_code in (400, 403), (how, payload, response.status_code)
        assert _stored_messages() == before
        _consistent(f'{url} {how} {payload!r:.300}')

    try:
        run()
    finally:
        restore.close()
    STATS['webhook examples'] += sum(seen.values())
    print(f'{url} unsigned: {dict(seen)}')


@pytest.mark.parametrize('url', [INBOUND, DELIVERY])
def test_signed_webhook_with_generated_input(fuzz, tmp_path, url):
    """Signed requests with valid-looking or junk parameters, in each format:
    204 or 400, never a 5xx; an inbound SMS, whatever it says, is stored once
    and handled to the end (no handler error kept on it)."""
    restore = Restorer(fuzz, tmp_path)
    seen = Counter()
    params = (st.booleans().flatmap(lambda junk: _inbound_params(fuzz, junk)) if url == INBOUND
              else st.booleans().flatmap(lambda junk: _delivery_params(fuzz, junk)))

    @FUZZ
    @given(params=params, how=st.sampled_from(['get', 'form', 'json']))
    def run(params, how):
        restore()
        client = _client(fuzz, 'anonymous')
        payload = {k: v for k, v in params.items() if k not in ('sig', 'timestamp', 'nonce')}
        signed = _sign(payload)
        before = _stored_messages()
        response = _send(client, url, how, signed)
        seen[response.status_code] += 1
        what = f'{url} {how} {signed!r:.500}'
        assert response.status_code in (204, 400), (what, response.status_code)
        db.connect(reuse_if_open=True)
        try:
            inbound = list(Message.select().where(Message.direction == Message.IN,
                                                  Message.created_at >= utcnow()
                                                  - dt.timedelta(minutes=5)))
            if url == INBOUND and response.status_code == 204:
                assert Message.select().count() >= before
                for message in inbound:
                    assert message.last_error == '', (what, message.last_error)
                    assert message.handled_at is not None, what
        finally:
            db.close()
        _consistent(what)

    try:
        run()
    finally:
        restore.close()
    STATS['webhook examples'] += sum(seen.values())
    print(f'{url} signed: {dict(seen)}')
    assert seen[204], 'no generated request was accepted'


# --- what the fuzzing found, pinned ---------------------------------------------------------

@pytest.mark.parametrize('value', ['Unge\x00', 'Un\x1bge', '\x85', 'a\x7fb', '\x0b'])
def test_control_characters_in_forms_and_query_strings_are_refused(
        client, login, jobcentre, make_user, value):
    from models import Competence
    login(make_user(jobcentre, User.ADMIN))
    assert client.post('/admin/competences/', data={'name': value}).status_code == 400
    assert client.get('/admin/citizens/', query_string={'q': value}).status_code == 400
    assert Competence.select().count() == 0


def test_tabs_and_line_breaks_still_pass(client, login, jobcentre, make_user):
    from models import Competence
    login(make_user(jobcentre, User.ADMIN))
    assert client.post('/admin/competences/', data={'name': 'Unge\tunder 30\r\n'}
                       ).status_code == 303
    assert [c.name for c in Competence.select()] == ['Unge\tunder 30']


def test_a_name_of_invisible_characters_is_no_name(client, login, jobcentre, make_user):
    from models import Competence
    login(make_user(jobcentre, User.ADMIN))
    response = client.post('/admin/competences/', data={'name': '\u200b\ufeff\u200f'})
    assert response.status_code == 200 and 'Enter a name.' in response.get_data(as_text=True)
    assert client.post('/admin/competences/', data={'name': '\u200bUnge\u200e '}
                       ).status_code == 303
    assert [c.name for c in Competence.select()] == ['Unge']
