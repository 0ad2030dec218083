"""Several app servers and workers on one Redis, as the README's production
setup runs them: real processes (gunicorn, `flask worker`) and a real
redis-server on 127.0.0.1.

* A task queued by one app process is run by a consumer in another, and the
  citizen who asked for the code finishes the login on the other app server.
* With two consumers on the queue (and every task queued twice, as a sweep
  and the original can overlap) each SMS reaches the provider once.
* A rate limit is counted across two app processes: the limit holds for
  their sum, not for each.
* Redis stopped: the app keeps answering (the limits count in memory and
  still hold; the SMS row waits in the outbox), and after Redis is back the
  sweep sends it, once.

Marked `system`; every wait is bounded. Without /usr/bin/redis-server they
skip, except under CI (tests/redis_server.py).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import requests

from messaging import outbox, queue
from models import Message, User, db
from tests.faults_support import (ROOT, VONAGE, SlowVonage, app_env, bin_path, free_port, kill,
                                  start, wait_until)
from tests.redis_server import redis_server  # noqa: F401

pytestmark = pytest.mark.system

QUEUE_KEY = 'huey.redis.planpool'      # RedisHuey's list for the queue named 'planpool'
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LOGIN_LIMIT = 10                       # per minute and address (blueprints/auth.py)


class Cluster:
    """App servers and consumers of one deployment: one database, one Redis,
    SMS through the Vonage SDK to a stand-in provider on 127.0.0.1."""

    def __init__(self, tmp_path, database_url, redis_url):
        self.tmp = tmp_path
        self.provider = SlowVonage(tmp_path, delay=0.05)
        self.env = app_env(tmp_path / 'instance', database_url, REDIS_URL=redis_url,
                           **VONAGE, **self.provider.env())
        (tmp_path / 'instance').mkdir(exist_ok=True)
        self.processes: list[subprocess.Popen] = []

    def app_server(self, name: str) -> str:
        port = free_port()
        self.processes.append(start(
            [bin_path('gunicorn'), '--bind', f'127.0.0.1:{port}', '--workers', '1',
             '--threads', '2', '--timeout', '60', 'app:create_app()'],
            self.env, self.tmp / f'{name}.log'))
        base = f'http://127.0.0.1:{port}'

        def up():
            try:
                return requests.get(base + '/login', timeout=5).status_code == 200
            except requests.RequestException:
                return False
        wait_until(up, 60, 0.2, f'app server {name} to answer')
        return base

    def consumer(self, name: str) -> None:
        self.processes.append(start([bin_path('flask'), '--app', 'app', 'worker',
                                     '--workers', '2'], self.env, self.tmp / f'{name}.log'))

    def log(self, name: str) -> str:
        return (self.tmp / f'{name}.log').read_text(errors='replace')

    def enqueue_from_another_process(self, call: str) -> None:
        subprocess.run([sys.executable, '-c', f'import tasks; {call}'], env=self.env,
                       cwd=ROOT, check=True, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def close(self) -> None:
        for process in self.processes:
            kill(process)
        self.provider.close()


@pytest.fixture
def cluster(app, database_url, redis_server, tmp_path):  # noqa: F811
    made = Cluster(tmp_path, database_url, redis_server.url)
    yield made
    made.close()


def csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    assert page.status_code == 200, page.text[:300]
    return CSRF.search(page.text).group(1)


def ask_for_code(session: requests.Session, base: str, cpr: str) -> requests.Response:
    token = csrf(session, base + '/login/citizen')
    return session.post(base + '/login/citizen', data={'cpr': cpr, 'csrf_token': token},
                        allow_redirects=False, timeout=30)


def code_message(citizen: User) -> Message:
    db.connect(reuse_if_open=True)
    return (Message.select().where(Message.recipient == citizen.phone,
                                   Message.kind == Message.CODE)
            .order_by(Message.id.desc()).first())


def status_of(message_id: int) -> str:
    db.connect(reuse_if_open=True)
    return Message.get_by_id(message_id).status


def test_a_task_queued_by_one_app_server_is_run_by_a_consumer_of_another(
        cluster, redis_server, jobcentre, make_user):  # noqa: F811
    citizen = make_user(jobcentre, User.CITIZEN)
    first, second = cluster.app_server('app-1'), cluster.app_server('app-2')
    browser = requests.Session()

    answer = ask_for_code(browser, first, citizen.cpr)
    assert answer.status_code == 303 and answer.headers['Location'].endswith('/login/code')
    message = code_message(citizen)
    assert message.status == Message.QUEUED
    # The app server puts the task on the shared queue once the answer is
    # out (a login code is handed over after the response); nobody runs it yet.
    wait_until(lambda: redis_server.client().llen(QUEUE_KEY) == 1, 10, 0.05,
               'the app server to queue the task')
    assert redis_server.client().llen(QUEUE_KEY) == 1

    cluster.consumer('worker-1')
    wait_until(lambda: status_of(message.id) == Message.SENT, 60, 0.1,
               'the consumer to send the code')
    assert cluster.provider.counts()[str(message.id)] == 1
    assert 'send_message: ' in cluster.log('worker-1')
    assert redis_server.client().llen(QUEUE_KEY) == 0

    # The citizen types the code on whichever server the proxy picks next.
    code = re.search(r'\b(\d{6})\b', Message.get_by_id(message.id).body).group(1)
    token = csrf(browser, second + '/login/code')
    done = browser.post(second + '/login/code', data={'code': code, 'csrf_token': token},
                        allow_redirects=False, timeout=30)
    assert done.status_code == 303
    mine = browser.get(second + '/my/appointments', allow_redirects=False, timeout=30)
    assert mine.status_code == 200 and citizen.name in mine.text


def test_two_consumers_send_each_sms_once(cluster, redis_server, jobcentre,  # noqa: F811
                                          monkeypatch):
    # This process writes the rows only: the consumers get them from the
    # other process below (no task of this test process sends them).
    monkeypatch.setattr(queue, 'jobs', {})
    with db.atomic():
        ids = outbox.queue_many(jobcentre, [
            dict(channel=Message.SMS, to=f'+4520{i:06d}', body=f'Indkaldelse {i}')
            for i in range(40)])
    cluster.consumer('worker-1')
    cluster.consumer('worker-2')
    # Both are listening before the work arrives (else the first to boot
    # could take it all).
    wait_until(lambda: all('Huey consumer started' in cluster.log(n)
                           for n in ('worker-1', 'worker-2')), 60, 0.1, 'both consumers')
    # Every message on the queue twice, as a sweep and the original task
    # can overlap.
    cluster.enqueue_from_another_process(
        f'ids = {json.dumps(ids)}\n'
        'for i in ids + ids: tasks.send_message(i)')

    def all_sent():
        db.connect(reuse_if_open=True)
        return Message.select().where(Message.id.in_(ids),
                                      Message.status == Message.SENT).count() == len(ids)
    wait_until(all_sent, 90, 0.1, 'two consumers to send 40 SMS')
    wait_until(lambda: redis_server.client().llen(QUEUE_KEY) == 0, 30, 0.1,
               'the queue to be empty')
    # Both consumers took tasks off the one queue...
    for name in ('worker-1', 'worker-2'):
        assert cluster.log(name).count('send_message: ') >= 5, cluster.log(name)[-2000:]
    # ... and once all 80 tasks are done, each SMS went out exactly once.
    wait_until(lambda: sum(cluster.log(n).count('send_message: ')
                           for n in ('worker-1', 'worker-2')) >= 160, 30, 0.1,
               'all 80 tasks to finish')
    seen = cluster.provider.counts()
    assert set(seen) == {str(i) for i in ids}
    assert all(seen[str(i)] == 1 for i in ids), seen


def test_a_rate_limit_holds_for_the_sum_of_two_app_servers(cluster, jobcentre):
    first, second = cluster.app_server('app-1'), cluster.app_server('app-2')
    # Unknown numbers: someone trying CPR numbers, alternating between the
    # servers behind the proxy (the same address reaches both), each try in a
    # new browser session (one session's own count would stop it sooner).
    answers = [ask_for_code(requests.Session(), (first, second)[n % 2], f'0101{70 + n:02d}1234')
               for n in range(LOGIN_LIMIT + 2)]
    assert [a.status_code for a in answers[:LOGIN_LIMIT]] == [303] * LOGIN_LIMIT
    # Each server saw six: only their sum is over the limit.
    assert [a.status_code for a in answers[LOGIN_LIMIT:]] == [429, 429]


def test_without_redis_the_app_answers_and_the_sweep_catches_up(
        cluster, redis_server, jobcentre, make_user):  # noqa: F811
    citizen = make_user(jobcentre, User.CITIZEN)
    base = cluster.app_server('app-1')
    cluster.consumer('worker-1')
    browser = requests.Session()
    assert browser.get(base + '/login/citizen', timeout=30).status_code == 200

    redis_server.stop()
    answer = ask_for_code(browser, base, citizen.cpr)
    assert answer.status_code == 303 and answer.headers['Location'].endswith('/login/code')
    assert browser.get(base + '/login/code', timeout=30).status_code == 200
    message = code_message(citizen)
    assert message.status == Message.QUEUED          # waits in the outbox
    # The login limit still holds, counted in the server's memory meanwhile.
    answers = [ask_for_code(requests.Session(), base, f'0101{70 + n:02d}1234')
               for n in range(LOGIN_LIMIT)]
    assert [a.status_code for a in answers] == [303] * (LOGIN_LIMIT - 1) + [429]
    assert status_of(message.id) == Message.QUEUED
    assert 'could not enqueue send_message' in cluster.log('app-1')

    redis_server.start()          # back, empty: the task that failed is not in it
    # The worker's once-a-minute sweep finds the row and sends it.
    wait_until(lambda: status_of(message.id) == Message.SENT, 90, 0.2,
               'the sweep to send the code after Redis is back')
    assert cluster.provider.counts()[str(message.id)] == 1
    assert 'sweep' in cluster.log('worker-1')
    assert browser.get(base + '/login/citizen', timeout=30).status_code == 200
