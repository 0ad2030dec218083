"""Administration of the team tree, as an administrator would use it."""
from __future__ import annotations

import datetime as dt
import html
from html.parser import HTMLParser

import pytest

from models import (Caseworker, CaseworkerTeam, ClosingDay, Meeting, MeetingType, Room, RoomTeam,
                    Team, User, utcnow)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


class _TreeParser(HTMLParser):
    """{team id: parent team id} from the nested <li id="team-N"> lists."""

    def __init__(self):
        super().__init__()
        self.stack, self.parent_of, self.order = [], {}, []

    def handle_starttag(self, tag, attrs):
        if tag == 'li':
            ident = dict(attrs).get('id', '')
            team_id = int(ident[5:]) if ident.startswith('team-') else None
            if team_id is not None:
                self.parent_of[team_id] = next(
                    (t for t in reversed(self.stack) if t is not None), None)
                self.order.append(team_id)
            self.stack.append(team_id)

    def handle_endtag(self, tag):
        if tag == 'li':
            self.stack.pop()


def tree_of(response):
    parser = _TreeParser()
    parser.feed(response.get_data(as_text=True))
    return parser


ADDRESS = {'address': 'Lyngby Hovedgade 1', 'postcode': '2800', 'city': ''}


def make_team(org, name, parent=None, position=0, **fields):
    return Team.create(organisation=org, name=name, parent=parent,
                       position=position, **fields)


def post_team(client, name, parent='', **fields):
    data = {'name': name, 'parent': str(parent), **ADDRESS, 'email': '',
            'phone': '', 'description': ''}
    data.update(fields)
    return client.post('/admin/teams/new', data=data)


# --- creating -------------------------------------------------------------

def test_new_sub_team_shows_under_its_parent(client, admin, jobcentre):
    assert post_team(client, 'Jobcenter Lyngby').status_code == 303
    root = Team.get(Team.name == 'Jobcenter Lyngby')
    page = client.get('/admin/teams/new', query_string={'parent': root.id})
    assert f'<option selected value="{root.id}">' in page.get_data(as_text=True)
    response = post_team(client, 'Dagpenge', parent=root.id)
    assert response.status_code == 303
    assert response.headers['Location'].endswith('/admin/teams/')

    listing = client.get('/admin/teams/')
    child = Team.get(Team.name == 'Dagpenge')
    assert 'Team Dagpenge created.' in text(listing)
    assert tree_of(listing).parent_of == {root.id: None, child.id: root.id}


def test_city_is_filled_in_from_the_postcode(client, admin):
    post_team(client, 'Lyngby', email='lyngby@example.test', phone='45 87 00 00',
              description='Dagpenge og sygedagpenge')
    team = Team.get(Team.name == 'Lyngby')
    assert (team.postcode, team.city) == ('2800', 'Kongens Lyngby')
    assert team.phone == '+4545870000'
    assert team.description == 'Dagpenge og sygedagpenge'


@pytest.mark.parametrize('postcode, message', [
    ('9999', 'Postcode 9999 does not exist.'),
    ('280', 'A Danish postcode has four digits, for example 2800.'),
    ('28OO', 'A Danish postcode has four digits, for example 2800.'),
])
def test_bad_postcode_is_refused_at_the_field(client, admin, postcode, message):
    response = post_team(client, 'Lyngby', postcode=postcode)
    assert response.status_code == 200
    page = text(response)
    assert 'Nothing was saved' in page
    # The message sits in the postcode field's wrapper, tied to the input.
    wrapper = page[page.index('id="wrap-postcode"'):page.index('id="postcode-lookup"')]
    assert message in wrapper
    assert 'aria-invalid="true"' in wrapper
    assert not Team.select().exists()


def test_address_postcode_and_name_are_required(client, admin):
    response = post_team(client, '', address='', postcode='')
    page = text(response)
    assert 'Enter a name.' in page
    assert 'Enter the address.' in page
    assert 'Enter the postcode.' in page
    assert not Team.select().exists()


def test_bad_email_and_phone_are_refused(client, admin):
    page = text(post_team(client, 'Lyngby', email='not-an-address', phone='12'))
    assert 'Enter a valid email address.' in page
    assert 'Enter a valid phone number.' in page
    assert not Team.select().exists()


def test_inline_check_validates_without_saving(client, admin):
    response = client.post('/admin/teams/new?check=1',
                           data={'name': 'Lyngby', 'parent': '', **ADDRESS},
                           headers={'HX-Request': 'true', 'HX-Target': 'wrap-name'})
    assert response.status_code == 200
    assert '<html' not in response.get_data(as_text=True)   # the form block only
    assert 'id="wrap-name"' in response.get_data(as_text=True)
    assert not Team.select().exists()


def test_postcode_lookup_fills_the_city(client, admin):
    response = client.get('/admin/postcodes/city', query_string={'postcode': '8000'})
    page = text(response)
    assert 'id="wrap-city"' in page and 'value="Aarhus C"' in page
    assert 'hx-swap-oob="true"' in page
    bad = text(client.get('/admin/postcodes/city', query_string={'postcode': '0000'}))
    assert 'Postcode 0000 does not exist.' in bad and 'value=""' in bad


def test_postcode_lookup_in_sweden(client, make_org, make_user, login):
    org = make_org('planner')
    org.country = 'SE'
    org.save()
    login(make_user(org, User.ADMIN))
    page = text(client.get('/admin/postcodes/city', query_string={'postcode': '11455'}))
    assert 'value="Stockholm"' in page and '114 55 is Stockholm.' in page
    bad = text(client.get('/admin/postcodes/city', query_string={'postcode': '2800'}))
    assert 'A Swedish postcode has five digits' in bad


# --- editing and moving ---------------------------------------------------

def test_edit_saves_and_keeps_place(client, admin, jobcentre):
    root = make_team(jobcentre, 'Root', **ADDRESS)
    team = make_team(jobcentre, 'Old name', parent=root, **ADDRESS)
    form = text(client.get(f'/admin/teams/{team.id}/edit'))
    assert 'value="Old name"' in form
    response = client.post(f'/admin/teams/{team.id}/edit', data={
        'name': 'New name', 'parent': str(root.id), 'address': 'Vej 2',
        'postcode': '8000', 'city': 'ignored'})
    assert response.status_code == 303
    team = Team.get_by_id(team.id)
    assert (team.name, team.parent_id, team.city) == ('New name', root.id, 'Aarhus C')


def test_a_team_cannot_go_under_its_own_sub_team(client, admin, jobcentre):
    root = make_team(jobcentre, 'Root', **ADDRESS)
    child = make_team(jobcentre, 'Child', parent=root, **ADDRESS)
    response = client.post(f'/admin/teams/{root.id}/edit', data={
        'name': 'Root', 'parent': str(child.id), **ADDRESS})
    assert 'cannot be placed under itself or one of its sub-teams' in text(response)
    assert Team.get_by_id(root.id).parent_id is None
    # ... nor by the "Move under" control.
    response = client.post(f'/admin/teams/{root.id}/move', data={'parent': str(child.id)},
                           follow_redirects=True)
    assert 'cannot be placed under itself' in text(response)
    assert Team.get_by_id(root.id).parent_id is None
    # The control does not offer it either.
    listing = text(client.get('/admin/teams/'))
    select = listing[listing.index(f'id="under-{root.id}"'):]
    select = select[:select.index('</select>')]
    assert f'value="{child.id}"' not in select


def test_move_up_and_down_by_buttons(client, admin, jobcentre):
    a = make_team(jobcentre, 'A', position=0)
    b = make_team(jobcentre, 'B', position=1)
    c = make_team(jobcentre, 'C', position=2)
    assert tree_of(client.get('/admin/teams/')).order == [a.id, b.id, c.id]

    response = client.post(f'/admin/teams/{c.id}/move', data={'direction': 'up'})
    assert response.status_code == 303
    assert tree_of(client.get('/admin/teams/')).order == [a.id, c.id, b.id]
    client.post(f'/admin/teams/{a.id}/move', data={'direction': 'down'})
    assert tree_of(client.get('/admin/teams/')).order == [c.id, a.id, b.id]
    # The first cannot move further up: said, and nothing changes.
    page = text(client.post(f'/admin/teams/{c.id}/move', data={'direction': 'up'},
                            follow_redirects=True))
    assert 'C is already first.' in page
    assert tree_of(client.get('/admin/teams/')).order == [c.id, a.id, b.id]


def test_move_under_another_team_and_back_to_the_top(client, admin, jobcentre):
    a = make_team(jobcentre, 'A', position=0)
    b = make_team(jobcentre, 'B', position=1)
    page = text(client.post(f'/admin/teams/{b.id}/move', data={'parent': str(a.id)},
                            follow_redirects=True))
    assert 'B moved under A.' in page
    assert tree_of(client.get('/admin/teams/')).parent_of[b.id] == a.id
    client.post(f'/admin/teams/{b.id}/move', data={'parent': ''})
    assert tree_of(client.get('/admin/teams/')).parent_of[b.id] is None


def test_move_returns_the_tree_fragment_to_htmx(client, admin, jobcentre):
    a = make_team(jobcentre, 'A', position=0)
    b = make_team(jobcentre, 'B', position=1)
    headers = {'HX-Request': 'true', 'HX-Target': 'team-tree'}
    response = client.post(f'/admin/teams/{b.id}/move', data={'direction': 'up'},
                           headers=headers, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="team-tree">')
    assert '<html' not in body and 'B moved up.' in body
    assert tree_of(response).order == [b.id, a.id]


def test_pages_are_also_htmx_fragments(client, admin, jobcentre):
    team = make_team(jobcentre, 'A')
    for url in ('/admin/teams/', '/admin/teams/new', f'/admin/teams/{team.id}/edit',
                f'/admin/teams/{team.id}/delete'):
        full = client.get(url)
        assert full.status_code == 200 and '<html' in full.get_data(as_text=True)
        part = client.get(url, headers={'HX-Request': 'true', 'HX-Target': 'admin-panel'})
        body = part.get_data(as_text=True)
        assert part.status_code == 200 and '<html' not in body
        assert body.lstrip().startswith('<div id="admin-panel">')
        assert 'Vary' in part.headers and 'HX-Request' in part.headers['Vary']


# --- deleting -------------------------------------------------------------

def test_delete_asks_first_then_deletes(client, admin, jobcentre):
    team = make_team(jobcentre, 'Ydelse')
    ClosingDay.create(organisation=jobcentre, team=team, date=dt.date(2026, 6, 5),
                      name='Teamdag')
    page = text(client.get(f'/admin/teams/{team.id}/delete'))
    assert 'Delete Ydelse?' in page
    assert 'type="submit"' in page and '>Delete</button>' in page and 'Cancel' in page
    assert Team.get_or_none(Team.id == team.id) is not None   # GET changes nothing
    response = client.post(f'/admin/teams/{team.id}/delete')
    assert response.status_code == 303
    assert Team.get_or_none(Team.id == team.id) is None
    assert 'Team Ydelse deleted.' in text(client.get('/admin/teams/'))


def test_delete_is_refused_while_the_team_is_in_use(client, admin, jobcentre, make_user):
    team = make_team(jobcentre, 'Dagpenge')
    make_team(jobcentre, 'Under 30', parent=team)
    worker = make_user(jobcentre, User.CASEWORKER, name='Lotte Jensen')
    caseworker = Caseworker.create(user=worker, organisation=jobcentre)
    CaseworkerTeam.create(caseworker=caseworker, team=team)
    room = Room.create(organisation=jobcentre, name='Mødelokale 1')
    RoomTeam.create(room=room, team=team)

    page = text(client.get(f'/admin/teams/{team.id}/delete'))
    assert 'Dagpenge cannot be deleted' in page
    assert 'Sub-teams: Under 30.' in page
    assert 'Caseworkers: Lotte Jensen.' in page
    assert 'Rooms: Mødelokale 1.' in page
    assert '>Delete</button>' not in page

    response = client.post(f'/admin/teams/{team.id}/delete', follow_redirects=True)
    assert response.status_code == 200
    assert 'Sub-teams: Under 30.' in text(response)
    assert Team.get_or_none(Team.id == team.id) is not None


def test_delete_is_refused_while_meetings_use_the_team(client, admin, jobcentre):
    team = make_team(jobcentre, 'Dagpenge')
    start = utcnow() - dt.timedelta(days=30)
    Meeting.create(organisation=jobcentre, team=team,
                   meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'),
                   starts_at=start, ends_at=start + dt.timedelta(minutes=30),
                   status=Meeting.HELD)
    response = client.post(f'/admin/teams/{team.id}/delete', follow_redirects=True)
    assert response.status_code == 200
    assert 'Meetings: 1' in text(response)
    assert Team.get_or_none(Team.id == team.id) is not None


# --- who may ----------------------------------------------------------------

@pytest.mark.parametrize('role', [User.PLANNER, User.CASEWORKER, User.CITIZEN])
def test_other_roles_get_403(client, jobcentre, make_user, login, role):
    team = make_team(jobcentre, 'A')
    login(make_user(jobcentre, role))
    for method, url in (('get', '/admin/teams/'), ('get', '/admin/teams/new'),
                        ('post', '/admin/teams/new'),
                        ('post', f'/admin/teams/{team.id}/edit'),
                        ('post', f'/admin/teams/{team.id}/move'),
                        ('post', f'/admin/teams/{team.id}/delete'),
                        ('get', '/admin/postcodes/city?postcode=2800')):
        assert getattr(client, method)(url).status_code == 403, url
    assert Team.select().count() == 1


def test_anonymous_goes_to_the_login(client, jobcentre):
    response = client.get('/admin/teams/')
    assert response.status_code == 302 and '/login' in response.headers['Location']


def test_pool_administrator_gets_403(client, municipality, make_user, login):
    login(make_user(municipality, User.ADMIN))
    assert client.get('/admin/teams/').status_code == 403


def test_another_organisations_team_is_404(client, admin, jobcentre, make_org):
    other = make_org('planner', 'Jobcenter Andet')
    theirs = make_team(other, 'Theirs')
    mine = make_team(jobcentre, 'Mine')
    assert client.get(f'/admin/teams/{theirs.id}/edit').status_code == 404
    assert client.get(f'/admin/teams/{theirs.id}/delete').status_code == 404
    assert client.post(f'/admin/teams/{theirs.id}/delete').status_code == 404
    assert client.post(f'/admin/teams/{theirs.id}/move',
                       data={'direction': 'up'}).status_code == 404
    assert client.get('/admin/teams/new', query_string={'parent': theirs.id}).status_code == 404
    # Ids posted in form fields too: the parent of a new or edited team ...
    assert post_team(client, 'Sneaky', parent=theirs.id).status_code == 404
    assert client.post(f'/admin/teams/{mine.id}/edit', data={
        'name': 'Mine', 'parent': str(theirs.id), **ADDRESS}).status_code == 404
    # ... and the target of "Move under".
    assert client.post(f'/admin/teams/{mine.id}/move',
                       data={'parent': str(theirs.id)}).status_code == 404
    assert Team.get_by_id(mine.id).parent_id is None
    assert not Team.select().where(Team.name == 'Sneaky').exists()
    assert 'Theirs' not in text(client.get('/admin/teams/'))


def test_teams_are_in_the_admin_navigation(client, admin):
    page = text(client.get('/admin/'))
    assert 'href="/admin/teams/"' in page


def test_absurd_ids_are_404_not_500(client, admin, jobcentre):
    big = '9' * 25
    assert client.get(f'/admin/teams/{big}/edit').status_code == 404
    assert client.post(f'/admin/teams/{big}/delete').status_code == 404
    assert post_team(client, 'X', parent=big).status_code == 404
    assert post_team(client, 'X', parent='-1').status_code == 404
    assert post_team(client, 'X', parent='²').status_code == 404
    assert not Team.select().exists()


def test_postcode_lists_and_formats():
    from common import postcodes
    assert postcodes.city('DK', '2800') == 'Kongens Lyngby'
    assert postcodes.city('DK', 'DK-8000') == 'Aarhus C'
    assert postcodes.city('SE', '11455') == postcodes.city('SE', 'SE-114 55') == 'Stockholm'
    assert postcodes.normalise('SE', '41105') == '411 05'
    assert postcodes.lookup('DK', '\u0662\u0668\u0660\u0660').error == 'malformed'
    assert postcodes.lookup('SE', '1145').error == 'malformed'
    assert postcodes.lookup('DK', '0001').error == 'unknown'
    # The shipped lists are whole: about 1,100 Danish and 16,000 Swedish codes.
    assert 1000 < len(postcodes._table('DK')) < 1300
    assert len(postcodes._table('SE')) > 10000
