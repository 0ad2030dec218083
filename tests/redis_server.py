"""A real Redis server (Debian's redis-server) on 127.0.0.1 for tests.

`redis_server` fixture: a server on a free port, nothing written to disk,
its folder in tmp_path. `stop()` and `start()` again keep the port, for
outage tests. Every wait is bounded.

Without /usr/bin/redis-server the tests that need it skip, on a developer's
machine only: under CI (the environment variable CI set, as `.ci/run` does,
which installs the package) a missing server is a failure, never a skip.
"""
from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.server_process import terminate, wait_until_closed

REDIS_SERVER = '/usr/bin/redis-server'
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class RedisServer:
    def __init__(self, root: Path, port: int | None = None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.log = self.root / 'redis.log'
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f'redis://127.0.0.1:{self.port}/0'

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def client(self):
        import redis
        return redis.Redis(host='127.0.0.1', port=self.port, socket_timeout=5)

    def start(self) -> None:
        if self.running:
            return
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            with open(self.log, 'ab') as log:
                self.process = subprocess.Popen(
                    [REDIS_SERVER, '--bind', '127.0.0.1', '--port', str(self.port),
                     '--dir', str(self.root), '--save', '', '--appendonly', 'no',
                     '--protected-mode', 'yes'],
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            if self._wait_until_answering(deadline):
                return
            # A restart can find the port still held for a moment: try again.
            self._terminate()
            if time.monotonic() >= deadline:
                raise RuntimeError(f'redis-server did not start on port {self.port}:\n'
                                   + self.log.read_text(errors='replace')[-3000:])
            time.sleep(0.2)

    def _wait_until_answering(self, deadline: float) -> bool:
        import redis
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if self.client().ping():
                    return True
            except redis.RedisError:
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Gone, as a crashed or restarting Redis is: the port refuses."""
        self._terminate()
        wait_until_closed(self.port, STOP_TIMEOUT, 'Redis')

    def _terminate(self) -> None:
        terminate(self.process, STOP_TIMEOUT)
        self.process = None


def require_redis_server() -> None:
    """Skip without redis-server, except under CI, where that is a failure."""
    if os.path.exists(REDIS_SERVER):
        return
    if os.environ.get('CI'):
        pytest.fail(f'{REDIS_SERVER} is missing: CI installs the Debian package redis-server')
    pytest.skip(f'{REDIS_SERVER} is not installed (Debian package redis-server)')


@pytest.fixture
def redis_server(tmp_path):
    require_redis_server()
    server = RedisServer(tmp_path / 'redis')
    server.start()
    yield server
    server._terminate()
