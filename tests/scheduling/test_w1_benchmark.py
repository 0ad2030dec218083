"""The W1 benchmark builds the workload it promises and prints its line."""
import re

from benchmarks import w1_slot_search
from benchmarks.__main__ import workload_modules


def test_workload_has_the_promised_shape():
    workload = w1_slot_search.build_workload()
    caseworkers = workload['caseworkers']
    assert len(caseworkers) == 50
    assert sum(len(c.meetings) for c in caseworkers) == 6000
    absent_days = sum(len(c.absences) for c in caseworkers)
    assert absent_days == 200   # 10 % of 50 caseworkers x 40 working days
    assert (workload['last_day'] - workload['first_day']).days + 1 == 8 * 7


def test_run_prints_one_line_with_the_median(capsys):
    line = w1_slot_search.run(repeat=1)
    assert capsys.readouterr().out.strip() == line
    assert re.fullmatch(r'W1 caseworkers=50 weeks=8 meetings=6000 starts=\d+ median_ms=\d+\.\d+', line)


def test_runner_finds_the_workload_modules():
    assert ('W1', 'w1_slot_search') in workload_modules()
