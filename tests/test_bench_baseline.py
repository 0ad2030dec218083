"""The W0 baseline lines: printed in the runner's format, first in a run,
and the "empty" page really asks the database nothing."""
from __future__ import annotations

import logging
import re

from benchmarks import fresh_app
from benchmarks import w0_baseline as w0
from benchmarks.__main__ import workload_modules


def test_run_prints_the_static_and_the_empty_line(capsys):
    lines = w0.run(repeat=1)
    assert capsys.readouterr().out.strip().splitlines()[-2:] == lines
    assert re.fullmatch(r'W0 page=static bytes=\d+ median_ms=\d+\.\d\d', lines[0])
    assert re.fullmatch(r'W0 page=empty median_ms=\d+\.\d\d', lines[1])
    assert int(lines[0].split('bytes=')[1].split()[0]) > 1000   # the real stylesheet


def test_the_empty_page_runs_no_query(caplog):
    client = fresh_app().test_client()
    with caplog.at_level(logging.DEBUG, logger='peewee'):
        caplog.clear()
        response = client.get(w0.EMPTY_URL)
    assert response.status_code == 200
    queries = [r.getMessage() for r in caplog.records if r.name == 'peewee']
    assert queries == []


def test_runner_starts_with_the_baseline():
    assert workload_modules()[0] == ('W0', 'w0_baseline')
