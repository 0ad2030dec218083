"""Headers and hardening: security headers on public and signed-in pages,
HSTS only over HTTPS, cookie flags, the htmx configuration and history
cache, rate limits on booking, answers and Summon now (a friendly, translated
429), the limiter's storage, and bandit staying clean."""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from app import load_config
from extensions import limiter
from models import Meeting, ShiftRequest, User
from planner import calendar_sync
from pool import staffing
from tests.test_citizen import at, book_via_http, week  # noqa: F401
from tests.test_offers_support import make_citizen, world  # noqa: F401
from tests.test_pool_support import (TODAY, clock, local, make_available, pool,  # noqa: F401
                                     vacancy)

ROOT = Path(__file__).resolve().parent.parent


def text(response) -> str:
    return response.get_data(as_text=True)


def csp(response) -> dict[str, str]:
    """Content-Security-Policy as {directive: sources}."""
    parts = (p.strip() for p in response.headers['Content-Security-Policy'].split(';'))
    return {p.split()[0]: ' '.join(p.split()[1:]) for p in parts if p}


def assert_security_headers(response):
    policy = csp(response)
    assert policy['default-src'] == "'self'"
    assert policy['script-src'] == "'self'" and policy['style-src'] == "'self'"
    assert policy['object-src'] == "'none'"
    assert policy['base-uri'] == "'none'"
    assert policy['frame-ancestors'] == "'none'"
    assert policy['form-action'] == "'self'"
    assert 'unsafe-inline' not in response.headers['Content-Security-Policy']
    assert 'unsafe-eval' not in response.headers['Content-Security-Policy']
    assert response.headers['X-Content-Type-Options'] == 'nosniff'
    assert response.headers['X-Frame-Options'] == 'DENY'
    # Nothing of our URLs (ids, the feed's secret) goes to other sites.
    assert response.headers['Referrer-Policy'] in (
        'same-origin', 'no-referrer', 'strict-origin-when-cross-origin', 'strict-origin')


# --- headers -------------------------------------------------------------------

def test_public_page_has_the_security_headers_and_may_be_cached(client):
    response = client.get('/login')
    assert response.status_code == 200
    assert_security_headers(response)
    assert 'Strict-Transport-Security' not in response.headers    # plain HTTP
    assert 'no-store' not in response.headers.get('Cache-Control', '')
    assert 'HX-Request' in ', '.join(response.headers.get_all('Vary'))


def test_signed_in_pages_have_the_headers_and_are_never_stored(client, login, week):
    login(week['mette'])
    for url in ('/my/appointments', '/my/book', f"/my/book/{week['offer'].id}/time"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response)
        assert response.headers['Cache-Control'] == 'no-store', url
    login(week['planner'])
    response = client.get('/')
    assert response.status_code == 200
    assert_security_headers(response)
    assert response.headers['Cache-Control'] == 'no-store'


def test_error_pages_and_the_calendar_feed_carry_the_headers(client, world):
    missing = client.get('/no/such/page')
    assert missing.status_code == 404
    assert_security_headers(missing)
    token = calendar_sync.new_feed_token(world['karen'])
    feed = client.get(f'/calendar/feed/{token}.ics')
    assert feed.status_code == 200 and feed.headers['Content-Type'].startswith('text/calendar')
    # Nobody is signed in, yet the feed names citizens: no cache keeps it.
    assert feed.headers['Cache-Control'] == 'no-store'
    assert_security_headers(feed)


def test_hsts_only_over_https(client):
    assert 'Strict-Transport-Security' not in client.get('/login').headers
    secure = client.get('/login', base_url='https://localhost')
    assert secure.status_code == 200
    hsts = secure.headers['Strict-Transport-Security']
    max_age = int(re.search(r'max-age=(\d+)', hsts).group(1))
    assert max_age >= 31536000 and 'includeSubDomains' in hsts
    # A client's own X-Forwarded-Proto is not believed without TRUST_PROXY.
    spoofed = client.get('/login', headers={'X-Forwarded-Proto': 'https'})
    assert 'Strict-Transport-Security' not in spoofed.headers


class TestBehindATrustedProxy:
    @pytest.fixture
    def app_config(self):
        return {'TRUST_PROXY': True}

    def test_the_proxys_https_turns_hsts_on(self, client):
        response = client.get('/login', headers={'X-Forwarded-Proto': 'https'})
        assert 'max-age=31536000' in response.headers['Strict-Transport-Security']
        plain = client.get('/login', headers={'X-Forwarded-Proto': 'http'})
        assert 'Strict-Transport-Security' not in plain.headers


# --- cookies -------------------------------------------------------------------

def session_cookie(response) -> str:
    [cookie] = [h for h in response.headers.getlist('Set-Cookie')
                if h.startswith('planpool_session=')]
    return cookie


def staff_login(client, user, **kwargs):
    from tests.conftest import PASSWORD
    response = client.post('/login', data={'email': user.email, 'password': PASSWORD},
                           **kwargs)
    assert response.status_code == 303, text(response)
    return response


def test_session_cookie_is_httponly_and_samesite_lax(client, jobcentre, make_user):
    cookie = session_cookie(staff_login(client, make_user(jobcentre, User.PLANNER)))
    assert 'HttpOnly' in cookie and 'SameSite=Lax' in cookie
    assert 'Secure' not in cookie     # plain HTTP in development: it would never come back


class TestServedOverHttps:
    @pytest.fixture
    def app_config(self, monkeypatch):
        monkeypatch.setenv('PREFERRED_URL_SCHEME', 'https')
        return {}

    def test_cookies_are_secure(self, app, client, jobcentre, make_user):
        assert app.config['SESSION_COOKIE_SECURE'] and app.config['REMEMBER_COOKIE_SECURE']
        assert app.config['REMEMBER_COOKIE_HTTPONLY']
        assert app.config['REMEMBER_COOKIE_SAMESITE'] == 'Lax'
        response = staff_login(client, make_user(jobcentre, User.PLANNER),
                               base_url='https://localhost')
        cookie = session_cookie(response)
        assert 'Secure' in cookie and 'HttpOnly' in cookie and 'SameSite=Lax' in cookie
        assert 'Strict-Transport-Security' in response.headers


# --- htmx ----------------------------------------------------------------------

def htmx_config(html: str) -> dict:
    head = html.split('</head>')[0]
    match = re.search(r"""<meta name="htmx-config" content='([^']*)'>""", head)
    assert match, 'htmx-config is read from <head> only'
    return json.loads(match.group(1))


def test_htmx_is_configured_without_eval_or_inline_styles(client, login, week):
    for html in (text(client.get('/login')), text(client.get('/'))):
        config = htmx_config(html)
        assert config['allowEval'] is False
        assert config['includeIndicatorStyles'] is False
        assert config['selfRequestsOnly'] is True
        assert config['historyCacheSize'] == 0
        scripts = re.findall(r'<script[^>]*>', html)
        assert len(scripts) == 1, scripts      # the vendored htmx, named by its content
        assert re.fullmatch(r'<script src="/static/js/htmx-2\.0\.11\.min\.js\?v=\w+" defer>',
                            scripts[0]), scripts
    # The vendored htmx knows every key (an unknown key would be ignored).
    source = (ROOT / 'static/js/htmx-2.0.11.min.js').read_text()
    defaults = source[source.index('config:{'):][:3000]
    for key in config:
        assert re.search(rf'\b{key}:', defaults), key


def test_htmx_swaps_error_answers_and_gets_them_in_a_shape_that_fits(client):
    handling = htmx_config(text(client.get('/login')))['responseHandling']
    for status in ('400', '403', '404', '429', '500', '503'):
        rule = next(r for r in handling if re.fullmatch(r['code'], status))
        assert rule['swap'] is True, status
    assert next(r for r in handling if re.fullmatch(r['code'], '204'))['swap'] is False

    # A boosted link: the page (htmx puts its body in place of the body).
    boosted = client.get('/no-such-page', headers={'HX-Request': 'true', 'HX-Boosted': 'true'})
    assert boosted.status_code == 404 and '<h1>Page not found</h1>' in text(boosted)
    assert 'HX-Retarget' not in boosted.headers
    # A part of a page: the message alone, put in the page's error region.
    part = client.get('/no-such-page', headers={'HX-Request': 'true', 'HX-Target': 'panel'})
    assert part.status_code == 404
    assert part.headers['HX-Retarget'] == '#request-error'
    assert part.headers['HX-Reswap'].startswith('innerHTML')
    assert '<html' not in text(part) and 'Page not found' in text(part)
    assert 'id="request-error"' in text(client.get('/login'))


def test_pages_with_personal_data_stay_out_of_the_htmx_history_cache(client, login, week):
    assert 'hx-history="false"' not in text(client.get('/login'))
    login(week['mette'])
    booked = book_via_http(client, week['offer'], at(week['org'], week['monday'], 9),
                           week['karen'])
    meeting_url = booked.headers['Location']
    for url in ('/my/appointments', meeting_url, '/my/book'):
        html = text(client.get(url))
        # On the wrapper that every boosted navigation replaces, so it also
        # holds after a log-in that did not reload the page.
        assert re.search(r'<div class="page"[^>]*hx-history="false"', html), url
    login(week['planner'])
    assert re.search(r'<div class="page"[^>]*hx-history="false"', text(client.get('/')))


def test_templates_have_no_inline_script_style_or_eval():
    """What the CSP and allowEval=false would block, or break quietly."""
    offenders = []
    for path in sorted((ROOT / 'templates').rglob('*.html')):
        source = path.read_text()
        for pattern in (r'<script(?![^>]*\bsrc=)[^>]*>', r'\sstyle=', r'<style\b',
                        r'\son[a-z]+=', r'\shx-on[:-]', r'\shx-vars=', r"""hx-vals=['"]js:""",
                        r'javascript:'):
            if re.search(pattern, source, re.IGNORECASE):
                offenders.append(f'{path.relative_to(ROOT)}: {pattern}')
    assert offenders == []


# --- rate limits ----------------------------------------------------------------

class TestRateLimits:
    @pytest.fixture
    def app_config(self):
        return {'RATELIMIT_ENABLED': True}

    def test_booking_is_limited_per_citizen_with_a_friendly_page(self, client, login, week,
                                                                 make_user):
        w = week
        login(w['mette'])
        first = book_via_http(client, w['offer'], at(w['org'], w['monday'], 9), w['karen'])
        assert first.status_code == 303 and '/receipt' in first.headers['Location']
        for _ in range(9):     # e.g. a script asking again and again
            assert book_via_http(client, w['offer'], at(w['org'], w['monday'], 9),
                                 w['karen']).status_code in (200, 303)
        with client.session_transaction() as session:
            session['lang'] = 'da'
        refused = book_via_http(client, w['offer'], at(w['org'], w['monday'], 10), w['ole'])
        assert refused.status_code == 429
        html = text(refused)
        assert 'For mange forsøg' in html and 'Vent lidt, og prøv igen.' in html
        assert '<html lang="da">' in html and 'Traceback' not in html
        assert int(refused.headers['Retry-After']) > 0
        assert refused.headers['Cache-Control'] == 'no-store'
        assert Meeting.select().count() == 1
        # Reading is not limited, and another citizen has their own budget.
        assert client.get('/my/appointments').status_code == 200
        other = make_citizen(w['org'], make_user, 'Anden Borger', cpr='0303881234')
        login(other)
        response = book_via_http(client, w['offer'], at(w['org'], w['monday'], 10), w['ole'])
        assert response.status_code == 303 and '/receipt' in response.headers['Location']
        assert Meeting.select().count() == 2

    def test_book_rebook_and_cancel_share_one_budget(self, client, login, week):
        w = week
        login(w['mette'])
        book_via_http(client, w['offer'], at(w['org'], w['monday'], 9), w['karen'])
        meeting = Meeting.get()
        # Nine more tries without a chosen time (refused, but they count).
        for _ in range(5):
            assert client.post(f'/my/appointments/{meeting.id}/rebook/confirm',
                               data={}).status_code == 303
        for _ in range(4):
            assert client.post(f"/my/book/{w['offer'].id}/confirm",
                               data={}).status_code == 303
        response = client.post(f'/my/appointments/{meeting.id}/cancel', data={})
        assert response.status_code == 429 and 'Too many attempts' in text(response)
        assert Meeting.get_by_id(meeting.id).status == meeting.status    # not cancelled
        # The confirmation pages themselves still open.
        assert client.get(f'/my/appointments/{meeting.id}/cancel').status_code == 200

    def test_substitute_answers_are_limited(self, client, login, pool):
        anna = pool['subs'][0]
        login(anna)
        make_available(anna, TODAY)
        shift = vacancy(pool['org'], pool['north'], local(TODAY, 10), local(TODAY, 13),
                        pool['planner'])
        [request] = staffing.send_requests(shift, 1, local(TODAY, 9, 30), by=pool['planner'],
                                           at=staffing.now())
        for _ in range(30):
            assert client.post('/my/requests/999999', data={'answer': 'yes'}).status_code == 404
        response = client.post(f'/my/requests/{request.id}', data={'answer': 'yes'})
        assert response.status_code == 429 and 'Too many attempts' in text(response)
        assert ShiftRequest.get_by_id(request.id).status == ShiftRequest.OPEN
        assert client.get('/my/requests').status_code == 200

    def test_summon_now_is_limited_but_not_the_other_review_actions(self, client, login,
                                                                    world, make_user):
        login(world['planner'])
        draft = client.post('/summons/', data={'action': 'new'}).headers['Location']
        review = draft.rsplit('/', 1)[0] + '/review'
        for _ in range(5):
            assert client.post(review, data={'action': 'summon'}).status_code != 429
        refused = client.post(review, data={'action': 'summon'})
        assert refused.status_code == 429 and 'Too many attempts' in text(refused)
        for _ in range(6):
            assert client.post(review, data={'action': 'save_ticks'}).status_code == 303
        assert client.get(review).status_code != 429
        # Per person: a colleague summons on.
        colleague = make_user(world['org'], User.PLANNER)
        login(colleague)
        theirs = client.post('/summons/', data={'action': 'new'}).headers['Location']
        response = client.post(theirs.rsplit('/', 1)[0] + '/review', data={'action': 'summon'})
        assert response.status_code != 429


def test_limits_use_redis_when_configured(monkeypatch, tmp_path):
    for name in ('REDIS_URL', 'RATELIMIT_STORAGE_URI'):
        monkeypatch.delenv(name, raising=False)
    assert load_config(str(tmp_path))['RATELIMIT_STORAGE_URI'] == 'memory://'
    monkeypatch.setenv('REDIS_URL', 'redis://cache.internal:6379/0')
    assert load_config(str(tmp_path))['RATELIMIT_STORAGE_URI'] == 'redis://cache.internal:6379/0'
    monkeypatch.setenv('RATELIMIT_STORAGE_URI', 'redis://limits.internal:6379/2')
    assert load_config(str(tmp_path))['RATELIMIT_STORAGE_URI'] == 'redis://limits.internal:6379/2'


class TestRedisDown:
    """Redis configured but unreachable (restarting): limits still hold, in
    this process's memory, and nobody gets an error page."""

    @pytest.fixture
    def app_config(self):
        return {'RATELIMIT_ENABLED': True,
                'RATELIMIT_STORAGE_URI': 'redis://127.0.0.1:1/0'}

    @pytest.fixture(autouse=True)
    def _forget_dead_storage(self):
        yield
        limiter._storage_dead = False

    def test_limits_fall_back_to_memory(self, app, client, planner_user):
        assert type(limiter.storage).__name__ == 'RedisStorage'
        statuses = [client.post('/login', data={'email': planner_user.email,
                                                'password': 'wrong'}).status_code
                    for _ in range(11)]
        assert statuses == [200] * 10 + [429]
        assert limiter._storage_dead


@pytest.fixture
def planner_user(jobcentre, make_user):
    return make_user(jobcentre, User.PLANNER)


# --- bandit ---------------------------------------------------------------------

def bandit_args() -> list[str]:
    """The arguments `make security` (run by `make test`) passes to bandit."""
    makefile = (ROOT / 'Makefile').read_text()
    match = re.search(r'^BANDIT_ARGS\s*:?=\s*(.+)$', makefile, re.MULTILINE)
    assert match, 'Makefile defines BANDIT_ARGS'
    assert re.search(r'^test:.*\bsecurity\b', makefile, re.MULTILINE), 'make test runs it'
    return shlex.split(match.group(1))


def run_bandit(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    bandit = Path(sys.executable).parent / 'bandit'
    return subprocess.run([str(bandit), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, 'PYTHONWARNINGS': 'ignore'})


def shipped_files() -> list[Path]:
    """The Python files bandit checks: all but tests/, benchmarks/ and the venv."""
    left_out = {'tests', 'benchmarks', '.venv'}
    return [path for path in ROOT.rglob('*.py')
            if not left_out & set(path.relative_to(ROOT).parts)]


def test_bandit_finds_nothing_at_any_level():
    """Every severity and confidence level counts (bandit's default)."""
    args = bandit_args()
    for option in ('--severity-level', '--confidence-level'):
        if option in args:
            assert args[args.index(option) + 1] in ('all', 'low'), option
    assert not [arg for arg in args if re.fullmatch(r'-[li]+', arg)], 'no -l/-i level filter'
    assert not {'-s', '--skip', '--ignore-nosec'} & set(args)
    result = run_bandit(args, ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_nosec_names_its_check_and_a_reason():
    """A false positive is silenced for its own check only, and says why."""
    bare = []
    for path in shipped_files():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if re.search(r'#\s*nosec', line) and not re.search(
                    r'#\s*nosec:?\s+B\d{3}(,\s*B\d{3})*\s+#\s*\w', line):
                bare.append(f'{path.relative_to(ROOT)}:{number}: {line.strip()}')
    assert not bare


def test_bandit_with_these_arguments_does_catch_an_issue_at_every_level(tmp_path):
    """The gate can fail: the same arguments on code that evals its input
    (high confidence), writes SQL with % (low confidence) and draws a token
    from `random` (low severity)."""
    (tmp_path / 'app.py').write_text(
        'import random\n\n\n'
        'def handle(form):\n    return eval(form["x"])\n\n\n'
        'def find(cursor, name):\n'
        '    cursor.execute("SELECT id FROM person WHERE name = \'%s\'" % name)\n\n\n'
        'def token():\n    return str(random.random())\n')
    (tmp_path / 'tests').mkdir()
    (tmp_path / 'tests' / 'test_x.py').write_text('import pickle\npickle.loads(b"")\n')
    result = run_bandit(bandit_args(), tmp_path)
    assert result.returncode == 1
    assert 'app.py' in result.stdout
    for check in ('B307', 'B608', 'B311'):
        assert check in result.stdout, check
    assert 'test_x.py' not in result.stdout      # tests/ is left out, as the Makefile says
