"""Administration of meeting rooms, as an administrator would use it."""
from __future__ import annotations

import datetime as dt
import html

import pytest

from models import Meeting, MeetingType, Room, RoomTeam, Team, User, utcnow


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_wrapper(page: str, name: str) -> str:
    """The HTML of one field's wrapper (its label, input and message)."""
    start = page.index(f'id="wrap-{name}"')
    end = page.find('id="wrap-', start + 10)
    return page[start:end if end != -1 else None]


@pytest.fixture
def team(jobcentre):
    return Team.create(organisation=jobcentre, name='Dagpenge')


def post_room(client, url='/admin/rooms/new', **fields):
    data = {'name': 'Mødelokale 1', 'capacity': '', 'extra_seats': '',
            'address': '', 'postcode': '', 'city': '', 'can_host': 'y',
            'comment': ''}
    data.update(fields)
    return client.post(url, data=data)


def meeting(org, team, room, *, starts_in, minutes=30, status=Meeting.BOOKED):
    start = utcnow() + starts_in
    return Meeting.create(organisation=org, team=team, room=room,
                          meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'),
                          starts_at=start, ends_at=start + dt.timedelta(minutes=minutes),
                          status=status)


def test_create_a_room_with_everything(client, admin, team, jobcentre):
    other = Team.create(organisation=jobcentre, name='Ydelse')
    response = post_room(client, capacity='12', allow_overbooking='y', extra_seats='3',
                         address='Jernbanevej 5', postcode='8000', comment='Projektor',
                         teams=[str(team.id), str(other.id)])
    assert response.status_code == 303
    room = Room.get(Room.name == 'Mødelokale 1')
    assert (room.capacity, room.allow_overbooking, room.extra_seats) == (12, True, 3)
    assert (room.address, room.postcode, room.city) == ('Jernbanevej 5', '8000', 'Aarhus C')
    assert room.can_host and room.comment == 'Projektor'
    assert {link.team_id for link in room.team_links} == {team.id, other.id}

    listing = text(client.get('/admin/rooms/'))
    assert 'Room Mødelokale 1 created.' in listing
    assert '12 people' in listing and '3 extra seats' in listing
    assert 'Jernbanevej 5, 8000 Aarhus C' in listing
    assert 'Dagpenge, Ydelse' in listing


def test_blank_capacity_means_unlimited(client, admin):
    post_room(client, can_host='')
    room = Room.get()
    assert room.capacity is None and not room.can_host
    listing = text(client.get('/admin/rooms/'))
    assert 'Unlimited capacity' in listing and 'Not for meetings' in listing


def test_duplicate_name_is_refused_at_the_field(client, admin, jobcentre, make_org):
    Room.create(organisation=jobcentre, name='Mødelokale 1')
    response = post_room(client, name='mødelokale 1')
    page = text(response)
    assert response.status_code == 200
    assert 'Name must be unique' in field_wrapper(page, 'name')
    assert 'Nothing was saved' in page
    assert Room.select().count() == 1
    # Another organisation may use the same name.
    Room.create(organisation=make_org('planner'), name='Mødelokale 2')
    assert post_room(client, name='Mødelokale 2').status_code == 303


@pytest.mark.parametrize('fields, field, message', [
    ({'address': 'Jernbanevej 5'}, 'postcode', 'Enter the postcode too, or clear the address.'),
    ({'postcode': '8000'}, 'address', 'Enter the address too, or clear the postcode and city.'),
    ({'address': 'Jernbanevej 5', 'postcode': '9999'}, 'postcode', 'Postcode 9999 does not exist.'),
    ({'address': 'Jernbanevej 5', 'postcode': '800'}, 'postcode',
     'A Danish postcode has four digits'),
    ({'allow_overbooking': 'y', 'extra_seats': '2'}, 'allow_overbooking',
     'Overbooking needs a maximum capacity'),
    ({'allow_overbooking': 'y', 'capacity': '10'}, 'extra_seats', 'Enter how many extra seats.'),
    ({'capacity': '10', 'extra_seats': '2'}, 'extra_seats', 'Tick "Accept overbooking"'),
    ({'capacity': '0'}, 'capacity', 'Number must be between 1 and 10000.'),
    ({'capacity': 'many'}, 'capacity', 'Not a valid integer value.'),
    ({'name': ''}, 'name', 'Enter a name.'),
])
def test_bad_input_is_refused_at_the_field(client, admin, fields, field, message):
    response = post_room(client, **fields)
    assert response.status_code == 200
    assert message in field_wrapper(text(response), field)
    assert not Room.select().exists()


def test_edit_clears_the_address_and_teams(client, admin, team, jobcentre):
    room = Room.create(organisation=jobcentre, name='Lokale', address='Vej 1',
                       postcode='8000', city='Aarhus C', capacity=5)
    RoomTeam.create(room=room, team=team)
    form = text(client.get(f'/admin/rooms/{room.id}/edit'))
    assert 'value="Lokale"' in form and 'checked' in field_wrapper(form, 'teams')
    response = post_room(client, url=f'/admin/rooms/{room.id}/edit', name='Lokale',
                         capacity='')
    assert response.status_code == 303
    room = Room.get_by_id(room.id)
    assert (room.address, room.postcode, room.city, room.capacity) == ('', '', '', None)
    assert not room.team_links.exists()


def test_edit_keeps_its_own_name(client, admin, jobcentre):
    room = Room.create(organisation=jobcentre, name='Lokale')
    assert post_room(client, url=f'/admin/rooms/{room.id}/edit',
                     name='Lokale', comment='Ny').status_code == 303
    assert Room.get_by_id(room.id).comment == 'Ny'


def test_delete_asks_first(client, admin, jobcentre, team):
    room = Room.create(organisation=jobcentre, name='Lokale')
    past = meeting(jobcentre, team, room, starts_in=-dt.timedelta(days=3))
    cancelled = meeting(jobcentre, team, room, starts_in=dt.timedelta(days=3),
                        status=Meeting.CANCELLED)
    page = text(client.get(f'/admin/rooms/{room.id}/delete'))
    assert 'Delete Lokale?' in page and '>Delete</button>' in page
    assert Room.get_or_none(Room.id == room.id)
    response = client.post(f'/admin/rooms/{room.id}/delete')
    assert response.status_code == 303
    assert Room.get_or_none(Room.id == room.id) is None
    # History stays, without the room.
    assert Meeting.get_by_id(past.id).room_id is None
    assert Meeting.get_by_id(cancelled.id).room_id is None
    assert 'Room Lokale deleted.' in text(client.get('/admin/rooms/'))


def test_no_delete_while_meetings_are_booked(client, admin, jobcentre, team):
    room = Room.create(organisation=jobcentre, name='Lokale')
    when = dt.datetime(2030, 1, 14, 9, 0)   # 10:00 in Copenhagen
    Meeting.create(organisation=jobcentre, team=team, room=room,
                   meeting_type=MeetingType.get(MeetingType.code == 'cv_samtale'),
                   starts_at=when, ends_at=when + dt.timedelta(minutes=45))
    page = text(client.get(f'/admin/rooms/{room.id}/delete'))
    assert 'Lokale cannot be deleted while it has booked meetings' in page
    assert 'CV meeting, 14 Jan 2030, 10:00' in page
    assert '>Delete</button>' not in page
    response = client.post(f'/admin/rooms/{room.id}/delete', follow_redirects=True)
    assert response.status_code == 200
    assert 'cannot be deleted' in text(response)
    assert Room.get_or_none(Room.id == room.id) is not None


def test_a_meeting_in_progress_still_blocks(client, admin, jobcentre, team):
    room = Room.create(organisation=jobcentre, name='Lokale')
    meeting(jobcentre, team, room, starts_in=-dt.timedelta(minutes=10), minutes=60)
    client.post(f'/admin/rooms/{room.id}/delete')
    assert Room.get_or_none(Room.id == room.id) is not None


def test_pages_work_as_htmx_fragments(client, admin, jobcentre):
    room = Room.create(organisation=jobcentre, name='Lokale')
    for url in ('/admin/rooms/', '/admin/rooms/new', f'/admin/rooms/{room.id}/edit',
                f'/admin/rooms/{room.id}/delete'):
        part = client.get(url, headers={'HX-Request': 'true', 'HX-Target': 'admin-panel'})
        body = part.get_data(as_text=True)
        assert part.status_code == 200 and '<html' not in body, url
        assert body.lstrip().startswith('<div id="admin-panel">')
        assert '<html' in client.get(url).get_data(as_text=True)


def test_inline_check_of_the_name(client, admin, jobcentre):
    Room.create(organisation=jobcentre, name='Lokale')
    response = client.post('/admin/rooms/new?check=1', data={'name': 'Lokale'},
                           headers={'HX-Request': 'true', 'HX-Target': 'wrap-name'})
    body = text(response)
    assert '<html' not in body
    assert 'Name must be unique' in field_wrapper(body, 'name')
    assert Room.select().count() == 1


@pytest.mark.parametrize('role', [User.PLANNER, User.CASEWORKER, User.CITIZEN])
def test_other_roles_get_403(client, jobcentre, make_user, login, role):
    room = Room.create(organisation=jobcentre, name='Lokale')
    login(make_user(jobcentre, role))
    for method, url in (('get', '/admin/rooms/'), ('post', '/admin/rooms/new'),
                        ('get', f'/admin/rooms/{room.id}/edit'),
                        ('post', f'/admin/rooms/{room.id}/delete')):
        assert getattr(client, method)(url).status_code == 403, url
    assert Room.select().count() == 1


def test_another_organisations_room_or_team_is_404(client, admin, jobcentre, team,
                                                  make_org):
    other = make_org('planner')
    theirs = Room.create(organisation=other, name='Deres lokale')
    their_team = Team.create(organisation=other, name='Deres team')
    for method, url in (('get', f'/admin/rooms/{theirs.id}/edit'),
                        ('post', f'/admin/rooms/{theirs.id}/edit'),
                        ('get', f'/admin/rooms/{theirs.id}/delete'),
                        ('post', f'/admin/rooms/{theirs.id}/delete')):
        assert getattr(client, method)(url).status_code == 404, url
    assert Room.get_or_none(Room.id == theirs.id) is not None
    # A team id of theirs among the posted teams.
    response = post_room(client, teams=[str(team.id), str(their_team.id)])
    assert response.status_code == 404
    assert not Room.select().where(Room.organisation == jobcentre).exists()
    mine = Room.create(organisation=jobcentre, name='Mit')
    assert post_room(client, url=f'/admin/rooms/{mine.id}/edit', name='Mit',
                     teams=[str(their_team.id)]).status_code == 404
    assert not mine.team_links.exists()
    assert 'Deres lokale' not in text(client.get('/admin/rooms/'))
