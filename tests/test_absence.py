"""Absence: the meetings it hits are listed and can be moved or cancelled."""
import datetime as dt

import pytest

from models import (Absence, Caseworker, CaseworkerTeam, Meeting, MeetingType, Message, Team, User,
                    WorkingHours)
from planner import booking

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)


@pytest.fixture
def setup(jobcentre, make_user):
    team = Team.create(organisation=jobcentre, name='Dagpenge')
    cws = []
    for name in ('Karen Vejleder', 'Ole Olsen'):
        cw = Caseworker.create(user=make_user(jobcentre, User.CASEWORKER, name=name),
                               organisation=jobcentre)
        CaseworkerTeam.create(caseworker=cw, team=team)
        for weekday in range(5):
            WorkingHours.create(caseworker=cw, weekday=weekday, start=dt.time(8),
                                end=dt.time(16))
        cws.append(cw)
    citizen = make_user(jobcentre, User.CITIZEN, name='Mette Borger', language='en')
    meeting = booking.book(booking.MeetingRequest(
        organisation=jobcentre, team=team,
        meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'), caseworker=cws[0],
        starts_at=dt.datetime(2026, 12, 9, 10, tzinfo=jobcentre.zone), duration_minutes=45,
        citizens=(citizen,)), now=NOW, send_notifications=False)
    planner = make_user(jobcentre, User.PLANNER)
    return dict(team=team, karen=cws[0], ole=cws[1], citizen=citizen, meeting=meeting,
                planner=planner, org=jobcentre)


def _register(client, cw, **extra):
    data = {'caseworker': cw.id, 'first_day': '2026-12-09', 'last_day': '2026-12-09',
            'reason': 'Kursus'}
    data.update(extra)
    return client.post('/admin/absences/new', data=data)


def test_absence_lists_the_meeting_and_moves_it_to_a_colleague(client, login, setup):
    login(setup['planner'])
    response = _register(client, setup['karen'])
    assert response.status_code == 303
    page = client.get(response.headers['Location']).get_data(as_text=True)
    assert 'Mette Borger' in page and 'Ole Olsen' in page
    absence = Absence.get()
    assert setup['org'].local(absence.starts_at).hour == 0
    moved = client.post(f"/admin/absences/{absence.id}/meetings/{setup['meeting'].id}",
                        data={'action': 'colleague', 'choice': setup['ole'].id})
    assert moved.status_code == 303
    meeting = Meeting.get_by_id(setup['meeting'].id)
    assert meeting.caseworker_id == setup['ole'].id
    assert Message.select().where(Message.body.contains('has been moved')).exists()
    # The absent caseworker's calendar no longer offers the absent day.
    week = client.get(f"/calendar/caseworker/{setup['karen'].id}?week=2026-W50").get_data(as_text=True)
    assert 'Wednesday 9 December 10:00, free' not in week
    assert 'Kursus' in week


def test_move_to_another_time_and_cancel(client, login, setup):
    login(setup['planner'])
    _register(client, setup['karen'])
    _register(client, setup['ole'])       # nobody free the same day
    absence = Absence.get(Absence.caseworker == setup['karen'])
    page = client.get(f'/admin/absences/{absence.id}').get_data(as_text=True)
    assert 'No colleague in the team is free at the same time.' in page
    later = '{}@{}'.format(setup['karen'].id, '2026-12-10T07:00:00+00:00')  # 08:00 local
    client.post(f"/admin/absences/{absence.id}/meetings/{setup['meeting'].id}",
                data={'action': 'later', 'choice': later})
    meeting = Meeting.get_by_id(setup['meeting'].id)
    assert setup['org'].local(meeting.starts_at) == dt.datetime(
        2026, 12, 10, 8, tzinfo=setup['org'].zone)
    # Moved out of the absence: nothing left to resolve.
    assert 'No booked meetings fall inside the absence.' in client.get(
        f'/admin/absences/{absence.id}').get_data(as_text=True)


def test_a_move_into_busy_time_is_refused(client, login, setup):
    login(setup['planner'])
    _register(client, setup['karen'])
    _register(client, setup['ole'])
    absence = Absence.get(Absence.caseworker == setup['karen'])
    response = client.post(f"/admin/absences/{absence.id}/meetings/{setup['meeting'].id}",
                           data={'action': 'colleague', 'choice': setup['ole'].id})
    assert response.status_code == 303
    assert Meeting.get_by_id(setup['meeting'].id).caseworker_id == setup['karen'].id
    assert 'not free at that time' in client.get(response.headers['Location']).get_data(as_text=True)


def test_cancel_from_absence_page(client, login, setup):
    login(setup['planner'])
    _register(client, setup['karen'])
    absence = Absence.get()
    confirm = client.get(f"/admin/absences/{absence.id}?confirm={setup['meeting'].id}")
    assert 'Yes, cancel the meeting' in confirm.get_data(as_text=True)
    client.post(f"/admin/absences/{absence.id}/meetings/{setup['meeting'].id}",
                data={'action': 'cancel'})
    assert Meeting.get_by_id(setup['meeting'].id).status == Meeting.CANCELLED


def test_bad_input_and_other_organisations(client, login, setup, make_org, make_user):
    login(setup['planner'])
    response = _register(client, setup['karen'], first_day='2026-12-10', last_day='2026-12-09')
    assert 'The end must be after the start.' in response.get_data(as_text=True)
    assert Absence.select().count() == 0
    _register(client, setup['karen'])
    absence = Absence.get()
    stranger = make_user(make_org('planner'), User.PLANNER)
    login(stranger)
    assert client.get(f'/admin/absences/{absence.id}').status_code == 404
    assert _register(client, setup['karen']).status_code in (200, 404)
    assert Absence.select().count() == 1
    login(setup['citizen'])
    assert client.get('/admin/absences/').status_code == 403
