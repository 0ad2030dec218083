"""Stopping the servers tests start themselves (Radicale, Redis): no tests here."""
from __future__ import annotations

import socket
import subprocess
import time


def terminate(process: subprocess.Popen | None, timeout: float) -> None:
    """Ask the process to end, kill it if it does not in time."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def wait_until_closed(port: int, timeout: float, what: str) -> None:
    """Bounded: return once 127.0.0.1:`port` refuses connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(('127.0.0.1', port)) != 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f'{what} on port {port} still answers after stop()')
