"""A real Radicale (CalDAV) server on 127.0.0.1 for tests.

`radicale` fixture: a server on a free port with its storage in tmp_path,
no authentication (any login is accepted; the "authenticated" rights let it
write every calendar, as a service account would). `stop()` and `start()`
again keep the port and the storage, for outage tests. Every wait is bounded.

`events(calendar_url)` reads a calendar back with the caldav library's own
client (a REPORT, not the code under test).
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.server_process import terminate, wait_until_closed

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class RadicaleServer:
    def __init__(self, root: Path, port: int | None = None):
        self.root = Path(root)
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.root.mkdir(parents=True, exist_ok=True)
        self.config = self.root / 'config'
        self.log = self.root / 'radicale.log'
        self.config.write_text(
            '[server]\n'
            f'hosts = 127.0.0.1:{self.port}\n'
            '[auth]\n'
            'type = none\n'
            '[rights]\n'
            'type = authenticated\n'
            '[storage]\n'
            f'filesystem_folder = {self.root / "collections"}\n'
            '[logging]\n'
            'level = warning\n')

    @property
    def url(self) -> str:
        return f'http://127.0.0.1:{self.port}'

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            with open(self.log, 'ab') as log:
                self.process = subprocess.Popen(
                    [sys.executable, '-m', 'radicale', '--config', str(self.config)],
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            if self._wait_until_answering(deadline):
                return
            # A restart can find the port still held for a moment: try again.
            self._terminate()
            if time.monotonic() >= deadline:
                raise RuntimeError(f'Radicale did not start on {self.url}:\n'
                                   + self.log.read_text(errors='replace')[-3000:])
            time.sleep(0.2)

    def _wait_until_answering(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url + '/.web/', timeout=1) as response:
                    if response.status < 500:
                        return True
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        self._terminate()
        wait_until_closed(self.port, STOP_TIMEOUT, 'Radicale')

    def _terminate(self) -> None:
        terminate(self.process, STOP_TIMEOUT)
        self.process = None


def events(calendar_url: str) -> list:
    """The calendar's events as icalendar VEVENTs ([] when there is no
    calendar), read with the caldav library's client."""
    import caldav
    from caldav.lib import error
    from icalendar import Calendar

    with caldav.DAVClient(url=calendar_url, username='reader', password='x',
                          timeout=10, enable_rfc6764=False) as client:
        calendar = client.calendar(url=calendar_url)
        try:
            found = calendar.events()
        except error.NotFoundError:
            return []
        out = []
        for item in found:
            parsed = Calendar.from_ical(item.data)
            out.extend(parsed.walk('VEVENT'))
        return out


@pytest.fixture
def radicale(tmp_path):
    server = RadicaleServer(tmp_path / 'radicale')
    server.start()
    yield server
    server._terminate()
