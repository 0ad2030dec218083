"""Administration of reserved time: list, add (one row per weekday chosen)
and remove, per team or caseworker, with the rules across fields refused
at the field they concern; every change in the audit log."""
from __future__ import annotations

import datetime as dt

import pytest

from models import AuditEvent, ReservedTime, Team
from tests.test_admin_catalogue import field_wrapper, text
from tests.test_offers_support import make_caseworker

URL = '/admin/reserved-time/'


@pytest.fixture
def team(jobcentre):
    return Team.create(organisation=jobcentre, name='Dagpenge')


def test_add_for_a_team_on_weekdays_and_for_a_caseworker_in_a_date_range(
        client, admin, jobcentre, team, make_user):
    karen = make_caseworker(jobcentre, team, make_user, 'Karen Vejleder')
    assert 'Reserved time' in text(client.get('/admin/'))
    response = client.post(URL + 'new', data={
        'purpose': 'summons', 'team': team.id, 'caseworker': '', 'weekdays': ['0', '1'],
        'start': '08:00', 'end': '12:00'})
    assert response.status_code == 303
    assert '2 reservations added.' in text(client.get(response.headers['Location']))
    client.post(URL + 'new', data={
        'purpose': 'self_booking', 'team': '', 'caseworker': karen.id,
        'first_day': '2027-03-01', 'last_day': '2027-03-05'})
    rows = list(ReservedTime.select().order_by(ReservedTime.id))
    assert [(r.purpose, r.team_id, r.caseworker_id, r.weekday) for r in rows] == [
        ('summons', team.id, None, 0), ('summons', team.id, None, 1),
        ('self_booking', None, karen.id, None)]
    assert rows[0].start == dt.time(8) and rows[0].end == dt.time(12)
    assert rows[2].first_day == dt.date(2027, 3, 1) and rows[2].start is None
    page = text(client.get(URL))
    assert 'Summons only' in page and 'Every Monday' in page and '08:00–12:00' in page
    assert 'Self-booking only' in page and 'Karen Vejleder' in page and 'the whole day' in page
    assert AuditEvent.select().where(AuditEvent.action == 'reserved_time_created').count() == 3


def test_rules_across_fields_are_refused_and_nothing_is_saved(client, admin, team, jobcentre,
                                                              make_user):
    karen = make_caseworker(jobcentre, team, make_user, 'Karen Vejleder')
    page = text(client.post(URL + 'new', data={
        'team': team.id, 'caseworker': karen.id, 'first_day': '2027-03-05',
        'last_day': '2027-03-01', 'start': '12:00'}))
    assert 'Nothing was saved.' in page
    assert 'Choose what the time is for.' in page
    assert 'Choose a team or a caseworker (one of them).' in field_wrapper(page, 'team')
    assert 'The last day must not be before the first.' in field_wrapper(page, 'last_day')
    assert 'Give both times of day, or neither.' in field_wrapper(page, 'end')
    page = text(client.post(URL + 'new', data={'purpose': 'summons', 'team': team.id,
                                               'start': '12:00', 'end': '08:00'}))
    assert 'Choose weekdays, a date range, or both.' in page
    assert 'The end must be after the start.' in field_wrapper(page, 'end')
    assert not ReservedTime.select().exists()


def test_remove_asks_first_and_is_audited(client, admin, jobcentre, team):
    row = ReservedTime.create(organisation=jobcentre, team=team, weekday=2,
                              purpose=ReservedTime.SELF_BOOKING)
    page = text(client.get(f'{URL}{row.id}/delete'))
    assert 'Remove this reservation?' in page and 'Every Wednesday' in page
    assert ReservedTime.select().count() == 1            # asking removes nothing
    response = client.post(f'{URL}{row.id}/delete')
    assert response.status_code == 303
    assert 'Reservation removed.' in text(client.get(response.headers['Location']))
    assert not ReservedTime.select().exists()
    assert AuditEvent.get(AuditEvent.action == 'reserved_time_deleted').object_id == row.id


def test_another_organisations_team_and_reservation_are_404(client, admin, make_org, team):
    other = make_org(name='Andet Jobcenter')
    theirs = Team.create(organisation=other, name='Deres')
    row = ReservedTime.create(organisation=other, team=theirs, weekday=0,
                              purpose=ReservedTime.SUMMONS)
    assert client.post(URL + 'new', data={'purpose': 'summons', 'team': theirs.id,
                                          'weekdays': '0'}).status_code == 404
    assert client.post(f'{URL}{row.id}/delete').status_code == 404
    assert ReservedTime.select().count() == 1
