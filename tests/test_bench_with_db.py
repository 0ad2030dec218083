"""W1 scope=with_db: W1's team written to the database and loaded back
through `planner.loading` (as the pages load it) finds exactly the starts
the engine finds on W1's data in memory, and the runner prints both W1
lines."""
from __future__ import annotations

import re

from benchmarks import w1_slot_search, w1_with_db
from benchmarks.__main__ import workload_modules
from scheduling.slots import bookable_starts

LINE = (r'W1 scope=with_db caseworkers=50 weeks=8 meetings=6000 starts=(\d+) '
        r'median_ms=\d+\.\d\d')


def test_loaded_from_the_database_the_team_has_the_engine_lines_starts(capsys):
    line = w1_with_db.run(repeat=1)
    assert capsys.readouterr().out.strip().splitlines()[-1] == line
    match = re.fullmatch(LINE, line)
    assert match, line
    workload = w1_slot_search.build_workload()
    caseworkers = workload.pop('caseworkers')
    in_memory = sum(len(s) for s in bookable_starts(caseworkers, **workload).values())
    assert int(match.group(1)) == in_memory


def test_runner_prints_the_engine_line_then_the_database_line():
    assert [m for m in workload_modules() if m[0] == 'W1'] == [
        ('W1', 'w1_slot_search'), ('W1', 'w1_with_db')]
