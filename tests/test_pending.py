"""The pending list (afventerliste): list, summon selected, delete selected."""
import datetime as dt
import re

import pytest

from models import (AuditEvent, MeetingType, PendingSummons, SummonsDraft, SummonsDraftCitizen,
                    Team, User, utcnow)
from planner.summons import SummonsFrame


@pytest.fixture
def pending(jobcentre, make_org, make_user):
    """Three pending citizens in the job centre, one in another job centre."""
    planner = make_user(jobcentre, User.PLANNER, name='Pia Planner')
    team = Team.create(organisation=jobcentre, name='Team Dagpenge')
    jobsamtale = MeetingType.get(MeetingType.code == 'jobsamtale')
    frame = SummonsFrame(team_id=team.id, meeting_type_id=jobsamtale.id, duration_minutes=30)
    now = utcnow()
    rows = {}
    for name, cpr, reason, error, age in (
            ('Anna Andersen', '0101901111', PendingSummons.UNTICKED, '', 3),
            ('Bo Berg', '0202902222', PendingSummons.FAILED, 'The room is full.', 2),
            ('Carl Clausen', '0303903333', PendingSummons.NO_TIME, '', 1)):
        citizen = make_user(jobcentre, User.CITIZEN, name=name, cpr=cpr)
        rows[name] = PendingSummons.create(
            organisation=jobcentre, citizen=citizen, team=team, meeting_type=jobsamtale,
            frame=frame.to_json(), earliest=dt.date(2031, 3, 3), deadline=dt.date(2031, 3, 14),
            reason=reason, error=error, created_by=planner,
            created_at=now - dt.timedelta(hours=age))
    other = make_org('planner', 'Jobcenter Andetsted')
    outsider = make_user(other, User.CITIZEN, name='Otto Outsider', cpr='0404904444')
    rows['Otto Outsider'] = PendingSummons.create(
        organisation=other, citizen=outsider, reason=PendingSummons.UNTICKED,
        created_by=make_user(other, User.PLANNER))
    return dict(planner=planner, team=team, rows=rows, org=jobcentre, other=other)


def ids(p, *names):
    return [str(p['rows'][n].id) for n in names]


def test_lists_own_rows_newest_first_with_reasons(client, login, pending):
    login(pending['planner'])
    html = client.get('/summons/pending/').get_data(as_text=True)
    assert 'Otto Outsider' not in html and '040490' not in html
    assert html.index('Carl Clausen') < html.index('Bo Berg') < html.index('Anna Andersen')
    assert 'Pending list (3)' in html
    assert 'Not ticked on review' in html
    assert 'Could not be summoned: The room is full.' in html
    assert 'No free time found' in html
    assert '010190-xxxx' in html and '0101901111' not in html
    assert 'Team Dagpenge' in html and 'Job interview' in html and 'Pia Planner' in html
    assert 'Select all' in html and 'Summon selected' in html and 'Delete selected' in html
    # Created at in the organisation's local time.
    local = pending['org'].local(pending['rows']['Anna Andersen'].created_at)
    assert local.strftime('%H:%M') in html
    # Nothing ticked until "Select all".
    assert ' checked' not in html
    html = client.get('/summons/pending/?all=1').get_data(as_text=True)
    assert html.count(' checked') == 3


def test_empty_list(client, login, jobcentre, make_user):
    login(make_user(jobcentre, User.ADMIN))
    html = client.get('/summons/pending/').get_data(as_text=True)
    assert 'Nobody is waiting to be summoned.' in html and 'Summon selected' not in html


def test_anonymous_goes_to_login(client, pending):
    r = client.get('/summons/pending/')
    assert r.status_code in (302, 303) and '/login' in r.headers['Location']
    r = client.post('/summons/pending/', data={'action': 'delete', 'ids': ids(pending, 'Bo Berg')})
    assert r.status_code in (302, 303) and '/login' in r.headers['Location']
    assert PendingSummons.select().count() == 4


def test_citizens_are_forbidden(client, login, pending, make_user):
    login(make_user(pending['org'], User.CITIZEN))
    assert client.get('/summons/pending/').status_code == 403
    r = client.post('/summons/pending/delete', data={'ids': ids(pending, 'Bo Berg')})
    assert r.status_code == 403
    assert PendingSummons.select().count() == 4


def test_caseworkers_may_summon_too(client, login, pending, make_user):
    """As in the summons wizard (and the calendar's new appointment)."""
    login(make_user(pending['org'], User.CASEWORKER))
    assert 'Bo Berg' in client.get('/summons/pending/').get_data(as_text=True)


def test_pool_organisation_is_forbidden(client, login, municipality, make_user):
    login(make_user(municipality, User.PLANNER))
    assert client.get('/summons/pending/').status_code == 403


def test_nothing_selected_says_so(client, login, pending):
    login(pending['planner'])
    for action in ('summon', 'delete'):
        r = client.post('/summons/pending/', data={'action': action})
        assert r.status_code == 303 and r.headers['Location'].endswith('/summons/pending/')
        html = client.get(r.headers['Location']).get_data(as_text=True)
        assert 'Select at least one citizen first.' in html
    assert PendingSummons.select().count() == 4
    assert SummonsDraft.select().count() == 0


def test_delete_asks_first_then_removes_only_the_selected(client, login, pending):
    login(pending['planner'])
    r = client.post('/summons/pending/', data={
        'action': 'delete', 'ids': ids(pending, 'Anna Andersen', 'Carl Clausen')})
    assert r.status_code == 303
    assert PendingSummons.select().count() == 4          # nothing gone yet
    confirm = client.get(r.headers['Location'])
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert 'Anna Andersen' in html and 'Carl Clausen' in html and 'Bo Berg' not in html
    assert '010190-xxxx' in html and '0101901111' not in html
    assert 'Remove these 2 citizens from the pending list?' in html
    assert 'name="csrf_token"' in html
    posted = re.findall(r'name="ids" value="(\d+)"', html)
    r = client.post('/summons/pending/delete', data={'ids': posted})
    assert r.status_code == 303 and r.headers['Location'].endswith('/summons/pending/')
    html = client.get(r.headers['Location']).get_data(as_text=True)
    assert '2 citizens were removed from the pending list.' in html
    left = {p.citizen.name for p in PendingSummons.select()}
    assert left == {'Bo Berg', 'Otto Outsider'}
    assert AuditEvent.select().where(AuditEvent.action == 'pending_deleted').count() == 1


def test_another_organisations_rows_are_ignored(client, login, pending):
    """Ids of another organisation's rows in the form change nothing (no IDOR)."""
    login(pending['planner'])
    otto = ids(pending, 'Otto Outsider')
    # On the confirmation page the outsider is not named.
    r = client.get('/summons/pending/delete', query_string={
        'ids': otto + ids(pending, 'Bo Berg')})
    html = r.get_data(as_text=True)
    assert 'Bo Berg' in html and 'Otto Outsider' not in html
    # Deleting only the outsider's row: nothing selected, nothing removed.
    r = client.post('/summons/pending/delete', data={'ids': otto})
    assert r.status_code == 303
    assert 'Select at least one citizen first.' in client.get(
        r.headers['Location']).get_data(as_text=True)
    r = client.post('/summons/pending/delete', data={'ids': otto + ids(pending, 'Bo Berg')})
    assert r.status_code == 303
    assert {p.citizen.name for p in PendingSummons.select()} == {
        'Anna Andersen', 'Carl Clausen', 'Otto Outsider'}
    # Junk ids are ignored too.
    r = client.post('/summons/pending/delete', data={'ids': ['x', '-1', str(2 ** 70)]})
    assert r.status_code == 303
    assert PendingSummons.select().count() == 3


def test_summon_selected_makes_a_draft_with_those_citizens(app, client, login, pending):
    login(pending['planner'])
    r = client.post('/summons/pending/', data={
        'action': 'summon',
        'ids': ids(pending, 'Anna Andersen', 'Bo Berg', 'Otto Outsider')})
    assert r.status_code == 303
    draft = SummonsDraft.get()
    assert draft.organisation_id == pending['org'].id
    assert draft.created_by_id == pending['planner'].id
    names = {row.citizen.name for row in
             SummonsDraftCitizen.select().where(SummonsDraftCitizen.draft == draft)}
    assert names == {'Anna Andersen', 'Bo Berg'}
    # The frame the citizens were pending for comes along.
    from planner.summons import frame_of
    assert frame_of(draft).team_id == pending['team'].id
    if 'summons.step1' in app.view_functions:
        with app.test_request_context():
            from flask import url_for
            assert r.headers['Location'].endswith(url_for('summons.step1', draft_id=draft.id))
    # Nothing of the other job centre's list was touched.
    assert PendingSummons.get_by_id(pending['rows']['Otto Outsider'].id)
