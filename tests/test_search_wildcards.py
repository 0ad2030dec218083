"""`%`, `_` and `\\` typed into a search are letters, not LIKE wildcards."""
from __future__ import annotations

import pytest

from models import AuditEvent, Caseworker, User
from tests.test_pool_support import _empty_schedule, clock, pool  # noqa: F401


@pytest.fixture
def admin(client, login, jobcentre, make_user):
    user = make_user(jobcentre, User.ADMIN, name='Alma Admin')
    login(user)
    return user


@pytest.mark.parametrize('q, found', [('_', ['Ole Hansen']), ('%', []), ('\\', []),
                                      ('o_h', ['Ole Hansen']), ('karen', ['Karen Vejleder'])])
def test_caseworker_search_takes_wildcards_literally(client, admin, jobcentre, make_user,
                                                     q, found):
    for name, email in (('Karen Vejleder', 'kv@example.test'),
                        ('Ole Hansen', 'o_h@example.test')):
        Caseworker.create(user=make_user(jobcentre, User.CASEWORKER, name=name, email=email),
                          organisation=jobcentre, initials=name[:2].upper())
    html = client.get('/admin/caseworkers/', query_string={'q': q}).get_data(as_text=True)
    assert [n for n in ('Karen Vejleder', 'Ole Hansen') if n in html] == found


@pytest.mark.parametrize('q, found', [('_', ['Bo_Berg']), ('%', ['Cia 100%']),
                                      ('a%', []), ('o_b', ['Bo_Berg'])])
def test_substitute_search_takes_wildcards_literally(client, pool, login, make_user, q, found):
    for name in ('Bo_Berg', 'Cia 100%'):
        make_user(pool['org'], User.SUBSTITUTE, name=name)
    login(pool['planner'])
    html = client.get('/pool/substitutes/', query_string={'q': q}).get_data(as_text=True)
    assert [n for n in ('Bo_Berg', 'Cia 100%') if n in html] == found
    if q in ('_', '%'):
        assert not any(s.name in html for s in pool['subs'])


def test_citizen_search_takes_wildcards_literally(client, admin, jobcentre, make_user):
    make_user(jobcentre, User.CITIZEN, name='Mette Borger')
    make_user(jobcentre, User.CITIZEN, name='Anna_Lund')
    html = client.post('/admin/citizens/', data={'query': '_'}).get_data(as_text=True)
    assert 'Anna_Lund' in html and 'Mette Borger' not in html


def test_audit_search_takes_wildcards_literally(client, admin, jobcentre):
    AuditEvent.record('login_failed', detail='staff a_b', organisation=jobcentre.id)
    AuditEvent.record('login_failed', detail='staff xyz', organisation=jobcentre.id)
    html = client.get('/admin/audit/', query_string={'text': '_'}).get_data(as_text=True)
    assert 'staff a_b' in html and 'staff xyz' not in html
