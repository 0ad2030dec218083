"""The W4 benchmark builds the workload it promises and prints its line."""
from __future__ import annotations

import re

from benchmarks import w4_shift_matching as w4
from benchmarks.__main__ import workload_modules
from scheduling.staffing import assess_all, eligible


def test_workload_has_the_promised_shape_and_a_sensible_answer():
    workload = w4.build_workload()
    candidates = workload['candidates']
    assert len(candidates) == 5000
    days = {r[0].date() for c in candidates[:50] for r in c.availability}
    assert max(days) - min(days) >= w4.dt.timedelta(days=58)
    result = eligible(candidates, workload['shift'], workload['now'])
    assert 0 < len(result) < 500
    sample = candidates[:400]
    assert eligible(sample, workload['shift'], workload['now']) == [
        a for a in assess_all(sample, workload['shift'], workload['now']) if a.eligible]


def test_run_prints_one_line_with_the_median(app, monkeypatch, capsys):
    # A small run: the real one takes a few seconds to build.
    monkeypatch.setattr(w4, 'SUBSTITUTES', 300)
    monkeypatch.setattr(w4, 'REQUESTS', 10)
    monkeypatch.setattr(w4, 'WAVES', 1)
    line = w4.run(repeat=1)
    assert capsys.readouterr().out.strip().endswith(line)
    assert re.fullmatch(r'W4 substitutes=300 days=60 ranges=\d+ eligible=\d+ '
                        r'all_ms=\d+\.\d+ sms=10 sms_per_s=\d+ median_ms=\d+\.\d+', line)


def test_runner_finds_the_workload():
    assert ('W4', 'w4_shift_matching') in workload_modules()
