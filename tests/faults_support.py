"""Shared pieces of the fault tests (tests/test_faults.py; no tests here):
an SMS provider that can be switched down and up, page scrapers for the
follow-up list and the SMS log, and small servers on 127.0.0.1 that
misbehave the way real ones do."""
from __future__ import annotations

import collections
import os
import re
import threading
from urllib.parse import parse_qsl

import requests

VONAGE_URL = 'https://rest.nexmo.com/sms/json'
VONAGE = {'VONAGE_API_KEY': 'key123', 'VONAGE_API_SECRET': 'secret456'}

# How the provider fails while it is down, in turn: an error page, no
# connection in time, a refused connection. In each the SMS certainly did not
# go out, so it is tried again; a read timeout or a connection closed without
# an answer may have delivered it and is never resent by itself
# (tests/test_sms_errors.py).
OUTAGES = ('http500', 'connect_timeout', 'refused')


def _outage(kind: str):
    if kind == 'http500':
        return (500, {'Content-Type': 'text/html'}, '<html>Internal Server Error</html>')
    if kind == 'connect_timeout':
        return requests.exceptions.ConnectTimeout('Connection to rest.nexmo.com timed out')
    return requests.exceptions.ConnectionError(
        "HTTPSConnectionPool(host='rest.nexmo.com', port=443): Max retries exceeded "
        "(Caused by NewConnectionError('Failed to establish a new connection: "
        "[Errno 111] Connection refused'))")


class FlakyVonage:
    """The Vonage SMS API (mocked with `responses`): while `down`, every POST
    fails in one of the OUTAGES ways, in turn; when up, it accepts the SMS.
    Every POST is recorded per client-ref with what it got back."""

    def __init__(self, mock):
        self.down = True
        self.calls: dict[str, list[str]] = collections.defaultdict(list)
        self._lock = threading.Lock()
        self._turn = 0
        mock.add_callback('POST', VONAGE_URL, callback=self._answer)

    def _answer(self, request):
        fields = dict(parse_qsl(request.body or '', keep_blank_values=True))
        ref = fields.get('client-ref', '')
        with self._lock:
            if self.down:
                kind = OUTAGES[self._turn % len(OUTAGES)]
                self._turn += 1
            else:
                kind = 'accepted'
            self.calls[ref].append(kind)
        if kind != 'accepted':
            answer = _outage(kind)
            if isinstance(answer, Exception):
                raise answer
            return answer
        body = ('{"message-count": "1", "messages": [{"to": "%s", "message-id": '
                '"0A%014d", "status": "0", "client-ref": "%s"}]}'
                % (fields.get('to', ''), int(ref or 0), ref))
        return 200, {'Content-Type': 'application/json'}, body

    def accepted(self, ref) -> int:
        return self.calls[str(ref)].count('accepted')

    def failed(self, ref) -> int:
        return len(self.calls[str(ref)]) - self.accepted(ref)


# --- pages --------------------------------------------------------------------------

def text(response) -> str:
    return response.get_data(as_text=True)


def followup_count(html: str, which: str) -> int:
    """The number at the top of the follow-up list ('citizen' or 'calendar')."""
    return int(re.search(rf'<strong id="count-{which}">(\d+)</strong>', html).group(1))


def followup_count_link(html: str, which: str) -> str:
    link = re.search(rf'<a href="([^"]+)"[^>]*><strong id="count-{which}">', html).group(1)
    return link.replace('&amp;', '&')


def followup_rows(html: str) -> dict[int, str]:
    """{participant id: the row's HTML} of a follow-up page."""
    return {int(pid): body for pid, body in
            re.findall(r'<tr id="followup-row-(\d+)"(.*?)</tr>', html, re.S)}


def log_rows(html: str) -> list[str]:
    """The rows of the SMS and email log, newest first."""
    table = html.split('<tbody>', 1)[1].split('</tbody>', 1)[0] if '<tbody>' in html else ''
    return re.findall(r'<tr class="status-[a-z]+">(.*?)</tr>', table, re.S)


# --- a Vonage stand-in on 127.0.0.1 for other processes ---------------------------------

def make_tls_files(directory, host: str) -> tuple[str, str, str]:
    """A throwaway certificate authority and a certificate for `host` signed
    by it: (ca.pem, cert.pem, key.pem) in `directory`."""
    import datetime as dt
    import os

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'Planpool test CA')])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(hours=1))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(
              digital_signature=True, key_cert_sign=True, crl_sign=True,
              content_commitment=False, key_encipherment=False, data_encipherment=False,
              key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = [os.path.join(str(directory), name) for name in ('ca.pem', 'cert.pem', 'key.pem')]
    with open(paths[0], 'wb') as fh:
        fh.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], 'wb') as fh:
        fh.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], 'wb') as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM,
                                   serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    return paths[0], paths[1], paths[2]


class SlowVonage:
    """rest.nexmo.com for another process, without any network: an HTTPS
    proxy on 127.0.0.1 (the process gets HTTPS_PROXY and REQUESTS_CA_BUNDLE)
    that answers the tunnelled Vonage SMS API itself, taking `delay` seconds
    per SMS. `received` lists the client-refs in the order the requests
    arrived. The `hold_at`-th request is held (not answered) until
    `release()`: `held` is then its client-ref."""

    HOST = 'rest.nexmo.com'

    def __init__(self, directory, delay: float = 0.1, hold_at: int | None = None):
        import http.server
        import socketserver
        import ssl
        import time

        self.ca_file, cert, key = make_tls_files(directory, self.HOST)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.delay = delay
        self.received: list[str] = []
        self.hold_at, self.held = hold_at, None
        self._released = threading.Event()
        self.lock = threading.Lock()
        fake = self

        class Api(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def do_POST(self):
                length = int(self.headers.get('Content-Length') or 0)
                fields = dict(parse_qsl(self.rfile.read(length).decode(),
                                        keep_blank_values=True))
                ref = fields.get('client-ref', '')
                with fake.lock:
                    fake.received.append(ref)
                    number = len(fake.received)
                    if number == fake.hold_at:
                        fake.held = ref
                if number == fake.hold_at:
                    fake._released.wait(30)
                time.sleep(fake.delay)
                body = ('{"message-count": "1", "messages": [{"to": "%s", '
                        '"message-id": "0B%014d", "status": "0", "client-ref": "%s"}]}'
                        % (fields.get('to', ''), number, ref)).encode()
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Proxy(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def do_CONNECT(self):
                if self.path.split(':')[0] != fake.HOST:
                    self.send_error(403)      # nowhere else: no network
                    return
                self.send_response(200, 'Connection established')
                self.end_headers()
                self.close_connection = True
                try:
                    tls = context.wrap_socket(self.connection, server_side=True)
                    Api(tls, self.client_address, self.server)
                except (OSError, ssl.SSLError):
                    pass          # the client went away (killed): nothing to answer

            def log_message(self, *args):
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.server = Server(('127.0.0.1', 0), Proxy)
        self.proxy_url = f'http://127.0.0.1:{self.server.server_address[1]}'
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def env(self) -> dict:
        """What a process needs to send its SMS here."""
        return {'HTTPS_PROXY': self.proxy_url, 'https_proxy': self.proxy_url,
                'REQUESTS_CA_BUNDLE': self.ca_file, 'NO_PROXY': '', 'no_proxy': ''}

    def counts(self) -> collections.Counter:
        with self.lock:
            return collections.Counter(self.received)

    def release(self) -> None:
        self._released.set()

    def close(self):
        self._released.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


# --- processes ------------------------------------------------------------------------

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # the repository


def wait_until(predicate, timeout: float, interval: float = 0.02, what: str = 'condition'):
    """Poll `predicate` until it returns something true; fail after `timeout` s."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out after {timeout} s waiting for {what}')
        time.sleep(interval)


def app_env(instance_dir, database_url: str, **extra) -> dict:
    """The environment of a Planpool process of its own (worker, server)."""
    import os
    env = {k: v for k, v in os.environ.items()
           if k not in ('DATABASE_URL', 'REDIS_URL', 'HUEY_URL', 'VONAGE_API_KEY',
                        'VONAGE_API_SECRET', 'VONAGE_SIGNATURE_SECRET', 'SMTP_HOST',
                        'CALDAV_URL', 'TEST_DATABASE_URL')}
    env.update(PLANPOOL_INSTANCE=str(instance_dir), DATABASE_URL=database_url,
               SECRET_KEY='fault-test-secret-key', PYTHONUNBUFFERED='1')
    env.update(extra)
    return env


def start(args: list[str], env: dict, log_path):
    """A child process in its own process group, output to `log_path`."""
    import subprocess
    log = open(log_path, 'ab')
    try:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    finally:
        log.close()


def kill(process, sig=None) -> None:
    """SIGKILL (or `sig`) to the child's whole process group; reaped."""
    import os
    import signal
    import subprocess
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig or signal.SIGKILL)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def bin_path(name: str) -> str:
    """A console script of the running Python's environment (e.g. flask)."""
    import os
    import sys
    return os.path.join(os.path.dirname(sys.executable), name)


# --- a PostgreSQL server of the test's own --------------------------------------------

def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def postgres_bin() -> str | None:
    """The newest PostgreSQL server binaries installed (Debian's layout)."""
    import glob
    import os
    found = [os.path.dirname(p) for p in glob.glob('/usr/lib/postgresql/*/bin/pg_ctl')
             if os.path.exists(os.path.join(os.path.dirname(p), 'initdb'))]
    found.sort(key=lambda p: int(p.split('/')[-2]) if p.split('/')[-2].isdigit() else 0)
    return found[-1] if found else None


class PostgresServer:
    """A throwaway PostgreSQL cluster on 127.0.0.1 that a test may restart.
    As root it runs as the unprivileged `postgres` user (initdb refuses
    root), as .ci/run does. `why_not()` says why it cannot run here."""

    def __init__(self):
        import os
        import tempfile
        self.bin = postgres_bin()
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix='planpool-pg-')
        self.data = os.path.join(self.dir, 'data')
        self.log = os.path.join(self.dir, 'log')

    @staticmethod
    def why_not() -> str:
        import os
        import pwd
        if postgres_bin() is None:
            return 'PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are not installed'
        if os.geteuid() == 0:
            try:
                pwd.getpwnam('postgres')
            except KeyError:
                return 'running as root and there is no postgres user to run the server as'
        return ''

    def url(self, dbname: str = 'postgres') -> str:
        return f'postgresql://postgres@127.0.0.1:{self.port}/{dbname}'

    def _run(self, *args: str, timeout: float = 60) -> None:
        import os
        import subprocess
        command = list(args)
        if os.geteuid() == 0:
            command = ['runuser', '-u', 'postgres', '--'] + command
        subprocess.run(command, check=True, timeout=timeout, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)

    def _ctl(self, *args: str) -> None:
        import os
        self._run(os.path.join(self.bin, 'pg_ctl'), '-D', self.data, '-l', self.log,
                  '-w', '-t', '30', *args)

    def start(self) -> None:
        import os
        import shutil
        if os.geteuid() == 0:
            shutil.chown(self.dir, 'postgres')
        self._run(os.path.join(self.bin, 'initdb'), '-D', self.data, '-U', 'postgres',
                  '--auth=trust', '-E', 'UTF8')
        self._start()

    def _start(self) -> None:
        self._ctl('-o', f'-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off '
                        f'-c full_page_writes=off -c synchronous_commit=off', 'start')

    def restart(self, down_for: float = 0) -> None:
        """Stop (fast: open sessions are cut off, transactions rolled back)
        and start again, after `down_for` seconds without a server."""
        import time
        if not down_for:
            self._ctl('-m', 'fast', 'restart')
            return
        self._ctl('-m', 'fast', 'stop')
        time.sleep(down_for)
        self._start()

    def execute(self, sql: str, dbname: str = 'postgres') -> None:
        import psycopg2
        conn = psycopg2.connect(self.url(dbname))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()

    def stop(self, keep_log=None) -> None:
        """Stop at once and remove the cluster; its log copied to `keep_log`."""
        import os
        import shutil
        if keep_log is not None and os.path.exists(self.log):
            shutil.copy(self.log, keep_log)
        try:
            if os.path.exists(os.path.join(self.data, 'postmaster.pid')):
                self._ctl('-m', 'immediate', 'stop')
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


# --- calendar servers that misbehave --------------------------------------------------

class BadCalendarServer:
    """A TCP server on 127.0.0.1 that reads each request and then:
    'slow'    answers a proper 207 only after `delay` seconds;
    'garbage' answers bytes that are not HTTP at all;
    'hangup'  closes the connection without a word;
    'trickle' sends a status line, then one byte every `delay` seconds for
              `duration` seconds (each read is quick: a per-read timeout never
              fires).
    'refused' is a port where nothing listens."""

    def __init__(self, kind: str, delay: float = 3.0, duration: float = 30.0):
        import socket
        self.kind, self.delay, self.duration = kind, delay, duration
        self.requests = 0
        self._stop = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.url = f'http://127.0.0.1:{self.sock.getsockname()[1]}'
        if kind == 'refused':
            self.sock.close()
            return
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        import time
        try:
            conn.settimeout(5)
            conn.recv(65536)
            self.requests += 1
            if self.kind == 'slow':
                if self._stop.wait(self.delay):
                    return
                body = (b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"/>')
                conn.sendall(b'HTTP/1.1 207 Multi-Status\r\nContent-Type: application/xml\r\n'
                             b'Content-Length: %d\r\n\r\n%s' % (len(body), body))
            elif self.kind == 'garbage':
                conn.sendall(b'\x16\x03\x01\x00\xa5 SSH-2.0-OpenSSH_9.2 \xff\xfe garbage\r\n\r\n')
            elif self.kind == 'trickle':
                conn.sendall(b'HTTP/1.1 207 Multi-Status\r\nX-Slow: ')
                ends = time.monotonic() + self.duration
                while time.monotonic() < ends and not self._stop.wait(self.delay):
                    conn.sendall(b'z')
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self._stop.set()
        try:
            self.sock.close()
        except OSError:
            pass
