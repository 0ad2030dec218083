"""Run every workload module (``w<N>_<name>.py``), then the race for one
time (``race.py``, ID RACE: PostgreSQL) and the load test (``load.py``, ID
LOAD: servers and locust, about two minutes), or those named on the command
line.

    python -m benchmarks            # all workloads
    python -m benchmarks W1 W3      # some of them
    python -m benchmarks LOAD       # only the load test (LOAD_SECONDS, LOAD_USERS)
    python -m benchmarks --repeat 5
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
import sys
from pathlib import Path

from . import DEFAULT_REPEAT

WORKLOAD_MODULE = re.compile(r'^w(\d+)_\w+$')
LAST = [('RACE', 'race'), ('LOAD', 'load')]    # after the timed workloads


def workload_modules() -> list[tuple[str, str]]:
    """``(ID, module name)`` of every workload, in numeric order."""
    found = []
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        match = WORKLOAD_MODULE.match(module.name)
        if match:
            found.append((int(match.group(1)), f'W{match.group(1)}', module.name))
    return [(workload_id, name) for _, workload_id, name in sorted(found)] + LAST


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m benchmarks')
    parser.add_argument('workloads', nargs='*', help='IDs such as W1 (default: all)')
    parser.add_argument('--repeat', type=int, default=DEFAULT_REPEAT)
    args = parser.parse_args(argv)
    wanted = {w.upper() for w in args.workloads}
    modules = workload_modules()
    unknown = wanted - {workload_id for workload_id, _ in modules}
    if unknown:
        parser.error(f'unknown workload(s): {", ".join(sorted(unknown))}')
    for workload_id, name in modules:
        if not wanted or workload_id in wanted:
            importlib.import_module(f'{__package__}.{name}').run(repeat=args.repeat)
    return 0


if __name__ == '__main__':
    sys.exit(main())
