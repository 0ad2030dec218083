"""W0: the floor under every other figure, measured in the same run.

Two requests through the same app and Flask test client the W2 lines use,
with nothing of ours in them:

* ``page=static``: a stylesheet (/static/css/app.css) served by Flask's
  static route: routing, request hooks, file read, headers.
* ``page=empty``: the staff login page (/login) for a visitor without a
  session: routing, request hooks, session, CSRF token, template, and no
  database query.

A page's figure minus ``page=empty`` is roughly what its own queries and
template cost; the ratio to ``page=static`` says how far it is from the
cheapest answer the stack can give on this machine.
"""
from __future__ import annotations

import os

from . import DEFAULT_REPEAT, fresh_app, measure, report

STATIC_URL = '/static/css/app.css'
EMPTY_URL = '/login'


def _getter(client, url: str, must_contain: bytes):
    def request():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert must_contain in response.data, url
        response.close()
        return response
    return request


def run(repeat: int = DEFAULT_REPEAT) -> list[str]:
    client = fresh_app().test_client()
    static = _getter(client, STATIC_URL, b'{')
    empty = _getter(client, EMPTY_URL, b'csrf_token')
    if os.environ.get('PROFILE'):
        import cProfile
        cProfile.runctx('for _ in range(50): empty()', globals(), locals(),
                        sort='cumulative')
    static_ms, response = measure(static, repeat=repeat)
    lines = [report('W0', static_ms, page='static', bytes=len(response.data))]
    empty_ms, _response = measure(empty, repeat=repeat)
    lines.append(report('W0', empty_ms, page='empty'))
    return lines
