"""The people of the LOAD benchmark (run by benchmarks/load.py, which seeds
the data and passes it in LOAD_FIXTURES; results go to LOAD_RESULTS). Each
person stays with one of the app servers in LOAD_HOSTS, in turn, and sends
an address of its own in X-Forwarded-For.

Everyone follows links and forms as a browser would (no JavaScript: full
pages, POST-redirect-GET followed by hand so each page is timed on its own),
reading each page for 2-6 seconds, a few more between visits:

* Citizen: My appointments; without a meeting, Book a meeting -> the offer
  -> its times (often the first ones shown, so citizens compete for them;
  sometimes another day) -> confirm -> receipt. With one: the meeting, and
  now and then rebook it or cancel it. After booking, often a new citizen
  takes over the simulated person: about a third log in (CPR number, then
  the SMS code), the others come with a prepared session.
* Caseworker: the calendar start page, the team's week (this and a later
  week), their own week and a meeting in it.
* Planner: the summons wizard end to end for 5 citizens of their list.
* Vonage: signed inbound SMS (Ja / Nej with a request code from a
  substitute, thanks from a citizen, an unknown number, a retry of the same
  message) and delivery receipts.
"""
from __future__ import annotations

import html
import itertools
import json
import os
import random
import re
import time
from collections import Counter
from http.cookiejar import Cookie
from urllib.parse import parse_qs, urlencode, urlsplit

import gevent
from locust import FastHttpUser, between, events, task

with open(os.environ['LOAD_FIXTURES']) as _fh:
    FIXTURES = json.load(_fh)
RESULTS = os.environ['LOAD_RESULTS']
USERS = int(os.environ.get('LOAD_USERS', '200'))
# The app servers: each person stays with one, spread evenly (as a proxy
# with sticky connections does).
HOSTS = os.environ.get('LOAD_HOSTS', '').split()
_HOST_TURN = itertools.count()
_ADDRESSES = itertools.count(1)
# Citizens who log in themselves (CPR, then the code from the SMS) instead
# of arriving with a prepared session.
LOGIN_SHARE = 0.3
CODE = re.compile(r'\b(\d{6})\b')

PAGES: dict[str, dict] = {}
STATUSES: Counter = Counter()
OUTCOMES: Counter = Counter()
# Citizens not seen yet: a prepared session, and the CPR and phone to log in with.
FRESH_CITIZENS = list(reversed(list(zip(FIXTURES['citizens'], FIXTURES['citizen_logins']))))
CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')
FORM = {'Content-Type': 'application/x-www-form-urlencoded'}
STOPPING: list[float] = []


@events.test_stopping.add_listener
def _stopping(**_kwargs):
    STOPPING.append(time.monotonic())


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None,
            exception=None, **_kwargs):
    status = getattr(response, 'status_code', 0) or 0
    if STOPPING and not status:
        # Cut off by the end of the run (the person was stopped mid-request):
        # no answer to time or judge; the server's access log still has it.
        OUTCOMES['requests_cut_at_stop'] += 1
        return
    page = PAGES.setdefault(name, {'times': [], 'fails': 0})
    page['times'].append(round(response_time, 2))
    if exception is not None:
        page['fails'] += 1
    STATUSES[str(status)] += 1


@events.quitting.add_listener
def _dump(environment, **_kwargs):
    with open(RESULTS, 'w') as fh:
        json.dump({'pages': PAGES, 'statuses': STATUSES, 'outcomes': OUTCOMES}, fh)


class Person(FastHttpUser):
    abstract = True
    network_timeout = 120.0
    connection_timeout = 30.0
    csrf = ''
    signed_in = False

    def __init__(self, environment):
        if HOSTS:
            self.host = HOSTS[next(_HOST_TURN) % len(HOSTS)]
        super().__init__(environment)
        # Each person's own address, as the proxy passes it on (TRUST_PROXY):
        # the login limits count per person, not for the whole test.
        n = next(_ADDRESSES)
        self.address = f'10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}'

    def arrive(self) -> None:
        """People do not all click at the same instant: the first request of
        each comes 0-8 s after it is spawned (not a burst of 200 at once)."""
        gevent.sleep(random.uniform(0, 8))

    def think(self, low: float = 2.0, high: float = 6.0) -> None:
        """Reading a page before the next click."""
        gevent.sleep(random.uniform(low, high))

    def use_session(self, value: str) -> None:
        """A prepared login: the signed Flask session cookie with its token."""
        jar = self.client.cookiejar
        jar.clear()
        jar.set_cookie(Cookie(0, 'planpool_session', value, None, False,
                              urlsplit(self.host).hostname, False, False, '/', True, False,
                              None, False, None, None, {'HttpOnly': None}))
        self.csrf = ''
        self.signed_in = True

    def call(self, method: str, url: str, name: str, *, data=None, expect=(200,),
             csrf: bool = True):
        """One request, redirects not followed; anything not in `expect` fails.
        A form posted carries the CSRF token of the session (unless `csrf`
        is False: the webhook is signed instead)."""
        body = None
        if data is not None:
            pairs = list(data.items()) if isinstance(data, dict) else list(data)
            if csrf:
                pairs.append(('csrf_token', self.csrf))
            body = urlencode(pairs, doseq=True)
        headers = {'X-Forwarded-For': self.address}
        if body is not None:
            headers.update(FORM)
        with self.client.request(method, url, name=name, data=body, headers=headers,
                                 allow_redirects=False, catch_response=True) as response:
            if response.status_code in expect:
                response.success()
            elif not response.status_code:
                response.failure(f'no answer: {getattr(response, "error", None)!r}')
            else:
                response.failure(f'HTTP {response.status_code}')
        if response.status_code == 200 and not self.csrf:
            found = CSRF.search(response.text or '')
            if found:
                self.csrf = found.group(1)
        return response

    @staticmethod
    def location(response) -> str:
        headers = response.headers or {}
        value = headers.get('Location') or headers.get('location') or ''
        parts = urlsplit(value)
        return parts.path + (f'?{parts.query}' if parts.query else '')


# --- citizens -------------------------------------------------------------------------

_database = []


def sms_code(phone: str) -> str | None:
    """The newest login code texted to `phone` (the row is written in the
    same transaction that answered the CPR number)."""
    import psycopg2
    if not _database:
        connection = psycopg2.connect(os.environ['LOAD_DATABASE_URL'])
        connection.autocommit = True
        _database.append(connection)
    with _database[0].cursor() as cursor:
        cursor.execute("SELECT body FROM message WHERE recipient = %s AND kind = 'code' "
                       "ORDER BY id DESC LIMIT 1", (phone,))
        row = cursor.fetchone()
    found = CODE.search(row[0]) if row else None
    return found.group(1) if found else None


class Citizen(Person):
    wait_time = between(3, 8)
    weight = 1

    def on_start(self):
        self.take_over()
        self.arrive()

    def take_over(self) -> None:
        """A citizen not seen yet, while there are any (some log in, the
        others arrive signed in); else go on as before."""
        if FRESH_CITIZENS:
            session, account = FRESH_CITIZENS.pop()
            if random.random() >= LOGIN_SHARE or not self.log_in(account):
                self.use_session(session)
        elif not self.signed_in:
            self.use_session(random.choice(FIXTURES['citizens']))

    def log_in(self, account: dict) -> bool:
        """CPR number, then the code the SMS brought (read from the outbox:
        no phone here)."""
        self.client.cookiejar.clear()
        self.csrf, self.signed_in = '', False
        self.call('GET', '/login/citizen', 'login_citizen')
        self.think(3, 8)                   # typing the CPR number
        asked = self.call('POST', '/login/citizen', 'login_citizen_cpr',
                          data={'cpr': account['cpr']}, expect=(303,))
        code = sms_code(account['phone']) if asked.status_code == 303 else None
        if code is None:
            OUTCOMES['citizen_login_no_code'] += 1
            return False
        self.call('GET', '/login/code', 'login_code')
        self.think(5, 12)                  # the SMS arrives, the code is typed
        done = self.call('POST', '/login/code', 'login_code_post', data={'code': code},
                         expect=(303,))
        if done.status_code != 303 or self.location(done).startswith('/login'):
            OUTCOMES['citizen_login_refused'] += 1
            return False
        OUTCOMES['citizen_logged_in'] += 1
        self.csrf, self.signed_in = '', True     # a new session: a new token
        return True

    @task
    def visit(self):
        page = self.call('GET', '/my/appointments', 'my_appointments')
        upcoming = re.findall(r'href="/my/appointments/(\d+)"', page.text or '')
        self.think()
        if upcoming:
            self.manage(upcoming[0])
        else:
            self.book()

    def book(self) -> None:
        page = self.call('GET', '/my/book', 'my_offers')
        offers = re.findall(r'href="(/my/book/\d+)"', page.text or '')
        if not offers:
            OUTCOMES['citizen_no_offer'] += 1
            return
        self.think()
        self.call('GET', offers[0], 'my_offer')
        self.think()
        times = self.call('GET', offers[0] + '/time', 'my_times')
        links = self.confirm_links(times.text, 'book')
        if random.random() < 0.4:
            days = [html.unescape(u) for u in
                    re.findall(r'href="(/my/book/\d+/time\?[^"]*day=[^"]*)"', times.text or '')]
            if days:
                self.think()
                times = self.call('GET', random.choice(days), 'my_times')
                links = self.confirm_links(times.text, 'book')
        else:
            links = links[:3]     # the first times shown: citizens compete for them
        if not links:
            OUTCOMES['citizen_no_time'] += 1
            return
        link = random.choice(links)
        self.think()
        confirm = self.call('GET', link, 'my_confirm', expect=(200, 303))
        if confirm.status_code == 303:
            OUTCOMES['citizen_time_gone_before_confirm'] += 1
            return
        self.think(1, 4)     # reading the rights and duties
        form = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
        form['accept'] = 'y'
        posted = self.call('POST', link, 'my_book', data=form, expect=(303,))
        where = self.location(posted)
        if where.endswith('/receipt'):
            OUTCOMES['citizen_booked'] += 1
            self.call('GET', where, 'my_receipt')
            if random.random() < 0.5:
                self.take_over()
        elif '/time' in where:
            OUTCOMES['citizen_time_taken'] += 1
        elif where.endswith('/appointments'):
            OUTCOMES['citizen_already_booked'] += 1
        else:
            OUTCOMES['citizen_refused_other'] += 1

    @staticmethod
    def confirm_links(text: str | None, kind: str) -> list[str]:
        pattern = (r'href="(/my/book/\d+/confirm\?[^"]+)"' if kind == 'book'
                   else r'href="(/my/appointments/\d+/rebook/confirm\?[^"]+)"')
        return [html.unescape(u) for u in re.findall(pattern, text or '')]

    def manage(self, meeting_id: str) -> None:
        base = f'/my/appointments/{meeting_id}'
        self.call('GET', base, 'my_meeting')
        choice = random.random()
        if choice < 0.25:
            self.think()
            self.rebook(base)
        elif choice < 0.35:
            self.think()
            page = self.call('GET', base + '/cancel', 'my_cancel_page', expect=(200, 303))
            if page.status_code == 200:
                self.think()
                done = self.call('POST', base + '/cancel', 'my_cancel', data={},
                                 expect=(303,))
                if self.location(done).endswith('/my/appointments'):
                    OUTCOMES['citizen_cancelled'] += 1
        elif choice < 0.5:
            self.call('GET', base + '/meeting.ics', 'my_ics')
        if random.random() < 0.3:
            self.take_over()

    def rebook(self, base: str) -> None:
        page = self.call('GET', base + '/rebook', 'my_rebook_times', expect=(200, 303))
        links = self.confirm_links(page.text, 'rebook') if page.status_code == 200 else []
        if not links:
            return
        link = random.choice(links[:5])
        self.think()
        confirm = self.call('GET', link, 'my_rebook_confirm', expect=(200, 303))
        if confirm.status_code == 303:
            OUTCOMES['citizen_time_gone_before_confirm'] += 1
            return
        self.think()
        form = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
        posted = self.call('POST', link, 'my_rebook', data=form, expect=(303,))
        if self.location(posted).endswith('/receipt'):
            OUTCOMES['citizen_rebooked'] += 1
        else:
            OUTCOMES['citizen_rebook_refused'] += 1


# --- caseworkers ---------------------------------------------------------------------

CASEWORKER_ACCOUNTS = itertools.cycle(FIXTURES['caseworkers'])


class Caseworker(Person):
    wait_time = between(5, 15)
    fixed_count = min(len(FIXTURES['caseworkers']), max(1, round(USERS * 0.10)))

    def on_start(self):
        account = next(CASEWORKER_ACCOUNTS)
        self.caseworker_id = account['caseworker_id']
        self.use_session(account['cookie'])
        self.arrive()

    @task
    def weeks(self):
        team, weeks = FIXTURES['team_id'], FIXTURES['weeks']
        start = self.call('GET', '/calendar/', 'calendar_start', expect=(303,))
        if self.location(start):
            self.call('GET', self.location(start), 'caseworker_week')   # their own week
        self.think()
        self.call('GET', f'/calendar/team/{team}?week={weeks[0]}', 'team_week')
        self.think(2, 5)
        self.call('GET', f'/calendar/team/{team}?week={random.choice(weeks[1:])}', 'team_week')
        self.think(2, 5)
        own = self.call('GET', f'/calendar/caseworker/{self.caseworker_id}'
                               f'?week={random.choice(weeks)}', 'caseworker_week')
        meetings = re.findall(r'href="(/calendar/meeting/\d+)"', own.text or '')
        if meetings:
            self.think()
            self.call('GET', random.choice(meetings), 'calendar_meeting')


# --- planners ------------------------------------------------------------------------------

PLANNER_ACCOUNTS = itertools.cycle(FIXTURES['planners'])
LIST_SIZE = 5


class Planner(Person):
    wait_time = between(3, 8)
    fixed_count = min(len(FIXTURES['planners']), max(1, round(USERS * 0.05)))

    def on_start(self):
        account = next(PLANNER_ACCOUNTS)
        self.people = itertools.cycle(account['citizens'])
        self.use_session(account['cookie'])
        self.arrive()

    @task
    def summon_a_list(self):
        self.call('GET', '/summons/', 'summons_index')
        self.think()
        new = self.call('POST', '/summons/', 'summons_new', data={'action': 'new'},
                        expect=(303,))
        frame_url = self.location(new)
        if not frame_url.endswith('/frame'):
            return
        base = frame_url.rsplit('/', 1)[0]
        self.call('GET', frame_url, 'summons_step1')
        self.think(2, 5)
        frame = [('meeting_type_id', FIXTURES['meeting_type_id']),
                 ('team_id', FIXTURES['team_id']), ('variant_id', 0),
                 ('meeting_form', 'individual'), ('group_seats', 'room'), ('per_meeting', ''),
                 ('rebooking_seats', 0), ('attendance', 'in_person'), ('room_id', 0),
                 *[('caseworker_ids', c) for c in FIXTURES['caseworker_ids']],
                 ('duration', '45'), ('duration_other', ''), ('reporting_minutes', 15),
                 # Lists for different weeks: from a day of the next two weeks on.
                 ('distribution', 'auto'),
                 ('earliest_date', random.choice(FIXTURES['summons_days'])),
                 ('fixed_date', ''), ('fixed_time', ''), ('rebooking_allowed', 'y'),
                 ('rebooking_days_before', 1), ('note', ''), ('action', 'next')]
        saved = self.call('POST', frame_url, 'summons_frame', data=frame, expect=(303,))
        if not self.location(saved).endswith('/citizens'):
            OUTCOMES['summons_frame_refused'] += 1
            return
        self.call('GET', base + '/citizens', 'summons_step2')
        self.think()
        people = [next(self.people) for _ in range(LIST_SIZE)]
        text = '\n'.join(['Navn\tPersonnr.'] + [f"{p['name']}\t{p['cpr'][:6]}-{p['cpr'][6:]}"
                                                for p in people])
        self.call('POST', base + '/citizens', 'summons_paste',
                  data={'action': 'paste', 'text': text}, expect=(303,))
        self.call('GET', base + '/citizens', 'summons_step2')
        self.think()
        proposed = self.call('POST', base + '/citizens', 'summons_propose',
                             data={'action': 'next'}, expect=(303,))
        if not self.location(proposed).endswith('/review'):
            OUTCOMES['summons_propose_refused'] += 1
            return
        review = self.call('GET', base + '/review', 'summons_review')
        ticked = re.findall(r'name="ticked" value="(\d+)" form="summon-form" checked',
                            review.text or '')
        self.think(2, 5)
        made = self.call('POST', base + '/review', 'summons_summon',
                         data=[('action', 'summon')] + [('ticked', t) for t in ticked],
                         expect=(303,))
        where = self.location(made)
        if where.endswith('/summons/result'):
            OUTCOMES['summons_made'] += 1
            page = self.call('GET', where, 'summons_result')
            for count, what in re.findall(r'(\d+) (meetings? made|citizens? put on the pending)',
                                          page.text or ''):
                OUTCOMES['summons_meetings' if 'made' in what else 'summons_to_pending'] += \
                    int(count)
        else:
            OUTCOMES['summons_refused'] += 1


# --- Vonage ------------------------------------------------------------------------------------

class Vonage(Person):
    """The SMS provider posting what people text back (signed as Vonage signs)."""
    wait_time = between(3, 9)
    fixed_count = max(1, round(USERS * 0.10))
    numbers = itertools.count(1)

    def on_start(self):
        from vonage import Auth
        sms = FIXTURES['sms']
        self.auth = Auth(api_key='load', signature_secret=sms['secret'],
                         signature_method='md5')
        self.sent: list[dict] = []
        self.arrive()

    def signed(self, params: dict) -> dict:
        params = dict(params, timestamp=str(int(time.time())),
                      nonce=f'{random.getrandbits(32):08x}')
        params['sig'] = self.auth.sign_params(dict(params))
        return params

    def inbound(self, msisdn: str, text: str) -> dict:
        return self.signed({
            'msisdn': msisdn, 'to': '4570100100', 'text': text, 'type': 'text',
            'messageId': f'LOAD{os.getpid()}{next(self.numbers):010d}',
            'keyword': (text.split() or [''])[0].upper(),
            'message-timestamp': time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())})

    @task
    def post(self):
        sms = FIXTURES['sms']
        roll = random.random()
        if roll < 0.1 and self.sent:
            params, name = random.choice(self.sent), 'sms_inbound_retry'   # Vonage retrying
        elif roll < 0.2 and sms['request_messages']:
            params = self.signed({'msisdn': '46701000001', 'to': 'Bemanning',
                                  'client-ref': str(random.choice(sms['request_messages'])),
                                  'messageId': f'D{random.getrandbits(40):012x}',
                                  'status': 'delivered', 'err-code': '0'})
            self.call('POST', '/webhooks/vonage/delivery', 'sms_delivery', data=params,
                      expect=(204,), csrf=False)
            return
        else:
            if roll < 0.7:
                answer = random.choice(sms['answers'])
                word = 'Ja' if random.random() < 0.7 else 'Nej'
                params = self.inbound(answer['msisdn'], f"{word} {answer['code']}")
            elif roll < 0.85:
                params = self.inbound(random.choice(sms['citizen_phones']), 'Tak, jeg kommer')
            else:
                params = self.inbound(f'4591{random.randrange(10 ** 6):06d}', 'Hvem er dette?')
            self.sent.append(params)
            name = 'sms_inbound'
        if random.random() < 0.3:
            self.call('GET', '/webhooks/vonage/inbound?' + urlencode(params), name,
                      expect=(204,))
        else:
            self.call('POST', '/webhooks/vonage/inbound', name, data=params, expect=(204,),
                      csrf=False)
