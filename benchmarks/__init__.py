"""Benchmark workloads (`python -m benchmarks`, `make bench`).

A workload is a module ``benchmarks/w<N>_<name>.py`` with a ``run(repeat)``
function that builds its own data (seeded, no database server, no network),
times its operation with `measure` and prints one line with `report`:
``ID key=value ... median_ms=<float>``.
"""
from __future__ import annotations

import gc
import statistics
import time
from typing import Any, Callable

DEFAULT_REPEAT = 15


def measure(operation: Callable[[], Any], *, repeat: int = DEFAULT_REPEAT,
            warmup: int = 1) -> tuple[float, Any]:
    """Run `operation` `warmup` times untimed, then `repeat` times timed.

    Returns ``(median milliseconds, result of the last run)``.
    """
    result = None
    for _ in range(warmup):
        result = operation()
    timings = []
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = operation()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), result


def report(workload_id: str, median_ms: float, **fields: Any) -> str:
    """Print and return the workload's line: ``ID key=value ... median_ms=<float>``."""
    parts = [workload_id, *(f'{key}={value}' for key, value in fields.items()),
             f'median_ms={median_ms:.2f}']
    line = ' '.join(parts)
    print(line, flush=True)
    return line


def fresh_app():
    """The app on a new, migrated, empty SQLite database in a temporary folder
    (no rate limits): what a workload starts from before writing its data."""
    import os
    import tempfile
    folder = tempfile.mkdtemp(prefix='planpool-bench-')
    os.environ.setdefault('PLANPOOL_INSTANCE', folder)
    from app import create_app
    from migrations import upgrade
    from models import db

    app = create_app({'DATABASE_URL': f'sqlite:///{folder}/bench.sqlite3',
                      'RATELIMIT_ENABLED': False})
    with app.app_context():
        db.connect(reuse_if_open=True)
        upgrade()
        db.close()
    return app
