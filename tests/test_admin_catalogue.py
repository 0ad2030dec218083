"""Administration of the catalogue: competences, closing days (with the public
holiday import), meeting types (locked), meeting type variants and summons
templates."""
from __future__ import annotations

import datetime as dt
import html
import json

import pytest

from models import (Caseworker, CaseworkerCompetence, ClosingDay, Competence, Meeting, MeetingType,
                    OnlineOffer, Room, RoomTeam, SummonsTemplate, Team, TypeVariant, TypeVariantMeetingType,
                    TypeVariantTeam, User)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_wrapper(page: str, name: str) -> str:
    start = page.index(f'id="wrap-{name}"')
    end = page.find('id="wrap-', start + 10)
    return page[start:end if end != -1 else None]


def mtype(code):
    return MeetingType.get(MeetingType.code == code)


@pytest.fixture
def team(jobcentre):
    return Team.create(organisation=jobcentre, name='Dagpenge')


@pytest.fixture
def other_org(make_org):
    return make_org('planner', 'Jobcenter Andet')


# --- competences -------------------------------------------------------------

def test_competence_create_edit_delete(client, admin, jobcentre, make_user):
    response = client.post('/admin/competences/', data={'name': 'Arabisk'})
    assert response.status_code == 303
    competence = Competence.get(Competence.name == 'Arabisk')
    assert 'Competence Arabisk created.' in text(client.get('/admin/competences/'))

    assert client.post(f'/admin/competences/{competence.id}/edit',
                       data={'name': 'Arabisk (tolk)'}).status_code == 303
    assert Competence.get_by_id(competence.id).name == 'Arabisk (tolk)'

    caseworker = Caseworker.create(user=make_user(jobcentre, User.CASEWORKER),
                                   organisation=jobcentre)
    CaseworkerCompetence.create(caseworker=caseworker, competence=competence)
    page = text(client.get(f'/admin/competences/{competence.id}/delete'))
    assert 'Delete Arabisk (tolk)?' in page and '1 caseworker has it' in page
    assert client.post(f'/admin/competences/{competence.id}/delete').status_code == 303
    assert not Competence.select().exists()
    assert not CaseworkerCompetence.select().exists()


def test_competence_name_is_unique_per_organisation(client, admin, jobcentre, other_org):
    Competence.create(organisation=jobcentre, name='Engelsk')
    Competence.create(organisation=other_org, name='Tysk')
    response = client.post('/admin/competences/', data={'name': ' engelsk '})
    assert response.status_code == 200
    assert 'Name must be unique' in field_wrapper(text(response), 'name')
    assert Competence.select().where(Competence.organisation == jobcentre).count() == 1
    # Another organisation's name is no clash.
    assert client.post('/admin/competences/', data={'name': 'Tysk'}).status_code == 303
    # Renaming onto an existing name is refused too.
    tysk = Competence.get(Competence.organisation == jobcentre, Competence.name == 'Tysk')
    response = client.post(f'/admin/competences/{tysk.id}/edit', data={'name': 'Engelsk'})
    assert 'Name must be unique' in text(response)
    assert Competence.get_by_id(tysk.id).name == 'Tysk'


def test_competence_of_another_organisation_is_404(client, admin, other_org):
    theirs = Competence.create(organisation=other_org, name='Fransk')
    for method, url in (('get', f'/admin/competences/{theirs.id}/edit'),
                        ('post', f'/admin/competences/{theirs.id}/edit'),
                        ('get', f'/admin/competences/{theirs.id}/delete'),
                        ('post', f'/admin/competences/{theirs.id}/delete')):
        assert getattr(client, method)(url, **({'data': {'name': 'X'}} if method == 'post' else {})
                                       ).status_code == 404, url
    assert Competence.get_by_id(theirs.id).name == 'Fransk'
    assert 'Fransk' not in text(client.get('/admin/competences/'))


# --- closing days --------------------------------------------------------------

def test_closing_day_for_the_organisation_and_for_a_team(client, admin, jobcentre, team):
    response = client.post('/admin/closing-days/new', data={
        'date': '2026-06-05', 'name': 'Fælles mødedag', 'team': ''})
    assert response.status_code == 303
    assert response.headers['Location'].endswith('/admin/closing-days/?year=2026')
    client.post('/admin/closing-days/new', data={
        'date': '2026-06-12', 'name': 'Teamdag', 'team': str(team.id)})
    days = {d.name: d for d in ClosingDay.select()}
    assert days['Fælles mødedag'].team_id is None
    assert days['Teamdag'].team_id == team.id

    page = text(client.get('/admin/closing-days/?year=2026'))
    assert 'Friday, 5 June 2026' in page and 'Fælles mødedag' in page
    assert 'The whole organisation' in page and 'Dagpenge' in page
    assert 'Teamdag' not in text(client.get('/admin/closing-days/?year=2027'))


def test_closing_day_needs_a_valid_date_and_name(client, admin):
    response = client.post('/admin/closing-days/new',
                           data={'date': '2026-02-30', 'name': '', 'team': ''})
    page = text(response)
    assert response.status_code == 200
    assert 'Not a valid date value.' in field_wrapper(page, 'date')
    assert 'Enter a name.' in field_wrapper(page, 'name')
    assert not ClosingDay.select().exists()


def test_the_same_day_twice_is_refused(client, admin, jobcentre, team):
    ClosingDay.create(organisation=jobcentre, date=dt.date(2026, 6, 5), name='A')
    response = client.post('/admin/closing-days/new',
                           data={'date': '2026-06-05', 'name': 'B', 'team': ''})
    assert 'There is already a closing day on this date' in field_wrapper(text(response), 'date')
    # ... but one team may close on a day the organisation does not, and v.v.
    assert client.post('/admin/closing-days/new', data={
        'date': '2026-06-05', 'name': 'B', 'team': str(team.id)}).status_code == 303
    assert ClosingDay.select().count() == 2


def test_closing_day_edit_and_delete(client, admin, jobcentre):
    day = ClosingDay.create(organisation=jobcentre, date=dt.date(2026, 6, 5), name='A')
    assert client.post(f'/admin/closing-days/{day.id}/edit', data={
        'date': '2026-06-06', 'name': 'B', 'team': ''}).status_code == 303
    day = ClosingDay.get_by_id(day.id)
    assert (day.date, day.name) == (dt.date(2026, 6, 6), 'B')
    assert 'Delete B (6 June 2026)?' in text(client.get(f'/admin/closing-days/{day.id}/delete'))
    assert client.post(f'/admin/closing-days/{day.id}/delete').status_code == 303
    assert not ClosingDay.select().exists()


def test_closing_day_ids_of_another_organisation_are_404(client, admin, other_org):
    theirs = ClosingDay.create(organisation=other_org, date=dt.date(2026, 1, 2), name='X')
    their_team = Team.create(organisation=other_org, name='Deres')
    assert client.get(f'/admin/closing-days/{theirs.id}/edit').status_code == 404
    assert client.post(f'/admin/closing-days/{theirs.id}/delete').status_code == 404
    assert client.post('/admin/closing-days/new', data={
        'date': '2026-03-03', 'name': 'Y', 'team': str(their_team.id)}).status_code == 404
    assert ClosingDay.select().count() == 1


def test_import_danish_public_holidays(client, admin, jobcentre):
    # One date is there already (organisation-wide): it is skipped, not doubled.
    ClosingDay.create(organisation=jobcentre, date=dt.date(2026, 12, 26), name='Lukket')
    response = client.post('/admin/closing-days/import', data={'year': '2026'})
    assert response.status_code == 303
    assert response.headers['Location'].endswith('?year=2026')
    days = {d.date: d.name for d in ClosingDay.select().where(
        ClosingDay.organisation == jobcentre)}
    assert days[dt.date(2026, 12, 25)] == 'Juledag'
    assert days[dt.date(2026, 4, 3)] == 'Langfredag'
    assert days[dt.date(2026, 12, 26)] == 'Lukket'
    assert dt.date(2026, 12, 24) not in days   # not a public holiday
    assert len(days) == 10
    page = text(client.get('/admin/closing-days/?year=2026'))
    assert '9 public holidays in 2026 added.' in page
    assert '1 date already had a closing day and was skipped: Anden juledag.' in page

    # Importing again adds nothing.
    client.post('/admin/closing-days/import', data={'year': '2026'})
    assert ClosingDay.select().count() == 10


def test_import_with_the_days_offices_close(client, admin, jobcentre):
    client.post('/admin/closing-days/import', data={'year': '2026', 'more': 'y'})
    names = {d.date: d.name for d in ClosingDay.select()}
    assert names[dt.date(2026, 12, 24)] == 'Juleaftensdag'
    assert names[dt.date(2026, 6, 5)] == 'Grundlovsdag'


def test_import_swedish_holidays_in_a_swedish_organisation(client, make_org, make_user,
                                                           login):
    org = make_org('planner', 'Arbetsförmedlingen Test')
    org.country, org.timezone = 'SE', 'Europe/Stockholm'
    org.save()
    login(make_user(org, User.ADMIN))
    client.post('/admin/closing-days/import', data={'year': '2026'})
    names = {d.date: d.name for d in ClosingDay.select()}
    assert names[dt.date(2026, 6, 6)] == 'Nationaldagen'
    assert names[dt.date(2026, 12, 25)] == 'Juldagen'
    # Ordinary Sundays are no closing days.
    assert dt.date(2026, 3, 1) not in names


@pytest.mark.parametrize('year', ['', 'abc', '1800', '99999'])
def test_import_refuses_a_bad_year(client, admin, year):
    response = client.post('/admin/closing-days/import', data={'year': year},
                           follow_redirects=True)
    assert response.status_code == 200
    assert 'Choose a year between 2000 and 2100.' in text(response)
    assert not ClosingDay.select().exists()


# --- meeting types -------------------------------------------------------------

def test_meeting_types_are_listed_locked(client, admin):
    page = text(client.get('/admin/meeting-types/'))
    for name in ('Job interview', 'CV meeting', 'Information meeting',
                 'Sickness follow-up meeting', 'Contact meeting'):
        assert name in page
    assert 'Jobsamtale' in page and 'Sygeopfølgningssamtale' in page
    assert page.count('System (locked)') == 5
    # No way to change them: no form, no edit or delete control.
    assert '<form method="post"' not in page.split('id="admin-panel"')[1]
    assert 'meeting-types/1/' not in page and '>Edit' not in page and '>Delete' not in page


def test_meeting_types_show_in_the_chosen_language(client, admin):
    client.environ_base['HTTP_ACCEPT_LANGUAGE'] = 'da'
    page = text(client.get('/admin/meeting-types/'))
    assert '<strong>Jobsamtale</strong>' in page


def test_meeting_types_cannot_be_changed_by_post(client, admin):
    before = [(t.code, t.name_da, t.name_en, t.name_sv) for t in MeetingType.select()]
    job = mtype('jobsamtale')
    for url in ('/admin/meeting-types/', f'/admin/meeting-types/{job.id}',
                f'/admin/meeting-types/{job.id}/edit',
                f'/admin/meeting-types/{job.id}/delete', '/admin/meeting-types/new'):
        response = client.post(url, data={'name_en': 'Hacked', 'code': 'x'})
        assert response.status_code in (404, 405), url
    assert [(t.code, t.name_da, t.name_en, t.name_sv) for t in MeetingType.select()] == before


# --- meeting type variants ----------------------------------------------------

def post_variant(client, url='/admin/variants/new', name='Under 30', types=('jobsamtale',),
                 teams=()):
    return client.post(url, data={
        'name': name, 'meeting_types': [str(mtype(c).id) for c in types],
        'teams': [str(t.id) for t in teams]})


def test_variant_create_shows_types_and_teams(client, admin, team):
    response = post_variant(client, types=('jobsamtale', 'kontaktsamtale'), teams=[team])
    assert response.status_code == 303
    variant = TypeVariant.get(TypeVariant.name == 'Under 30')
    assert {l.meeting_type.code for l in variant.type_links} == {'jobsamtale', 'kontaktsamtale'}
    assert [l.team_id for l in variant.team_links] == [team.id]
    page = text(client.get('/admin/variants/'))
    assert 'Variant Under 30 created.' in page
    assert 'Job interview, Contact meeting' in page and 'Dagpenge' in page


def test_variant_name_must_be_unique(client, admin, jobcentre, other_org):
    TypeVariant.create(organisation=jobcentre, name='Under 30')
    TypeVariant.create(organisation=other_org, name='Over 30')
    response = post_variant(client, name='Under 30')
    assert response.status_code == 200
    page = text(response)
    assert 'Name must be unique' in field_wrapper(page, 'name')
    assert TypeVariant.select().where(TypeVariant.organisation == jobcentre).count() == 1
    assert post_variant(client, name='Over 30').status_code == 303


def test_variant_needs_a_meeting_type(client, admin):
    response = post_variant(client, types=())
    assert 'Choose at least one meeting type.' in field_wrapper(text(response), 'meeting_types')
    assert not TypeVariant.select().exists()


def test_variant_edit_replaces_links(client, admin, jobcentre, team):
    variant = TypeVariant.create(organisation=jobcentre, name='Under 30')
    TypeVariantMeetingType.create(variant=variant, meeting_type=mtype('jobsamtale'))
    TypeVariantTeam.create(variant=variant, team=team)
    form = text(client.get(f'/admin/variants/{variant.id}/edit'))
    assert 'checked' in field_wrapper(form, 'meeting_types')
    assert post_variant(client, url=f'/admin/variants/{variant.id}/edit', name='Under 30',
                        types=('cv_samtale',)).status_code == 303
    assert [l.meeting_type.code for l in variant.type_links] == ['cv_samtale']
    assert not variant.team_links.exists()


def test_variant_ids_of_another_organisation_are_404(client, admin, jobcentre, team,
                                                    other_org):
    theirs = TypeVariant.create(organisation=other_org, name='Deres')
    their_team = Team.create(organisation=other_org, name='Deres team')
    assert client.get(f'/admin/variants/{theirs.id}/edit').status_code == 404
    assert client.post(f'/admin/variants/{theirs.id}/delete').status_code == 404
    assert post_variant(client, teams=[team, their_team]).status_code == 404
    assert client.post('/admin/variants/new', data={
        'name': 'X', 'meeting_types': ['99999']}).status_code == 404
    assert not TypeVariant.select().where(TypeVariant.organisation == jobcentre).exists()
    assert TypeVariant.get_or_none(TypeVariant.id == theirs.id) is not None


def test_variant_delete_asks_and_is_refused_while_booked(client, admin, jobcentre, team):
    variant = TypeVariant.create(organisation=jobcentre, name='Under 30')
    page = text(client.get(f'/admin/variants/{variant.id}/delete'))
    assert 'Delete Under 30?' in page and '>Delete</button>' in page
    start = dt.datetime(2031, 3, 3, 9, 0)
    Meeting.create(organisation=jobcentre, team=team, meeting_type=mtype('jobsamtale'),
                   variant=variant, starts_at=start, ends_at=start + dt.timedelta(hours=1))
    page = text(client.get(f'/admin/variants/{variant.id}/delete'))
    assert 'Under 30 cannot be deleted while booked meetings use it' in page
    assert 'Job interview, 3 Mar 2031' in page
    client.post(f'/admin/variants/{variant.id}/delete')
    assert TypeVariant.get_or_none(TypeVariant.id == variant.id) is not None
    Meeting.update(status=Meeting.CANCELLED).execute()
    assert client.post(f'/admin/variants/{variant.id}/delete').status_code == 303
    assert TypeVariant.get_or_none(TypeVariant.id == variant.id) is None


def test_variant_delete_is_refused_while_an_offer_or_template_uses_it(client, admin, jobcentre,
                                                                     team):
    variant = TypeVariant.create(organisation=jobcentre, name='Under 30')
    offer = OnlineOffer.create(organisation=jobcentre, team=team, number=4, title='Unge',
                               meeting_type=mtype('jobsamtale'), variant=variant, active=True)
    SummonsTemplate.create(organisation=jobcentre, name='Første samtale',
                           fields=json.dumps({'variant': variant.id}))
    page = text(client.get(f'/admin/variants/{variant.id}/delete'))
    assert 'Under 30 is in use and cannot be deleted' in page
    assert 'Online offers: Online offer 4 (Unge).' in page
    assert 'Summons templates: Første samtale.' in page
    assert '>Delete</button>' not in page
    response = client.post(f'/admin/variants/{variant.id}/delete')
    assert response.status_code == 303
    assert TypeVariant.get_or_none(TypeVariant.id == variant.id) is not None
    assert OnlineOffer.get_by_id(offer.id).variant_id == variant.id
    danish = text(client.get(f'/admin/variants/{variant.id}/delete',
                             headers={'Accept-Language': 'da'}))
    assert 'Under 30 er i brug og kan ikke slettes' in danish and 'is in use' not in danish
    # Once the offer has ended and the template is gone, it can be deleted.
    OnlineOffer.update(end_date=dt.date(2020, 1, 31)).execute()
    SummonsTemplate.delete().execute()
    assert '>Delete</button>' in text(client.get(f'/admin/variants/{variant.id}/delete'))
    assert client.post(f'/admin/variants/{variant.id}/delete').status_code == 303
    assert TypeVariant.get_or_none(TypeVariant.id == variant.id) is None
    assert OnlineOffer.get_by_id(offer.id).variant_id is None


# --- summons templates ----------------------------------------------------------

TEMPLATE = {'name': 'Dagpenge, første samtale', 'meeting_type': 'jobsamtale',
            'meeting_form': 'individual', 'attendance': 'in_person',
            'duration_minutes': '45', 'reporting_minutes': '15',
            'rebooking_allowed': 'y', 'rebooking_days_before': '2',
            'note': 'Husk CV'}


def post_template(client, url='/admin/summons-templates/new', **fields):
    data = {**TEMPLATE, 'variant': '', 'team': '', 'room': ''}
    data.update(fields)
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def test_template_stores_the_step_one_fields(client, admin, jobcentre, team):
    variant = TypeVariant.create(organisation=jobcentre, name='Under 30')
    TypeVariantMeetingType.create(variant=variant, meeting_type=mtype('jobsamtale'))
    room = Room.create(organisation=jobcentre, name='Lokale 1')
    response = post_template(client, team=str(team.id), room=str(room.id),
                             variant=str(variant.id))
    assert response.status_code == 303
    template = SummonsTemplate.get()
    assert not template.for_online_offer
    assert json.loads(template.fields) == {
        'meeting_type': 'jobsamtale', 'variant': variant.id, 'form': 'individual',
        'attendance': 'in_person', 'team': team.id, 'room': room.id,
        'duration_minutes': 45, 'reporting_minutes': 15, 'rebooking_allowed': True,
        'rebooking_days_before': 2, 'note': 'Husk CV'}
    page = text(client.get('/admin/summons-templates/'))
    assert 'Template Dagpenge, første samtale created.' in page
    assert 'Job interview · Individual meeting · In person' in page
    # The edit form comes back filled in.
    form = text(client.get(f'/admin/summons-templates/{template.id}/edit'))
    assert f'<option selected value="{room.id}">Lokale 1</option>' in form
    assert 'value="45"' in form and 'Husk CV' in form


def test_template_without_presets(client, admin):
    response = client.post('/admin/summons-templates/new', data={'name': 'Tom'})
    assert response.status_code == 303
    preset = SummonsTemplate.get().preset
    assert preset['meeting_type'] is None and preset['team'] is None
    assert preset['rebooking_allowed'] is False
    assert 'Nothing preset' in text(client.get('/admin/summons-templates/'))


@pytest.mark.parametrize('fields, field, message', [
    ({'meeting_type': 'cv_samtale'}, 'meeting_type',
     'A template for online offers must be a Jobsamtale.'),
    ({'meeting_form': 'group'}, 'meeting_form',
     'A template for online offers must be an individual meeting.'),
    ({'attendance': 'phone'}, 'attendance', 'A template for online offers must be in person.'),
    ({'attendance': ''}, 'attendance', 'A template for online offers must be in person.'),
])
def test_online_offer_template_must_be_jobsamtale_individual_in_person(
        client, admin, fields, field, message):
    response = post_template(client, for_online_offer='y', **fields)
    assert response.status_code == 200
    assert message in field_wrapper(text(response), field)
    assert not SummonsTemplate.select().exists()


def test_online_offer_template_saves_when_it_fits(client, admin):
    assert post_template(client, for_online_offer='y').status_code == 303
    assert SummonsTemplate.get().for_online_offer
    assert 'For online offers' in text(client.get('/admin/summons-templates/'))


@pytest.mark.parametrize('fields, field, message', [
    ({'name': ''}, 'name', 'Enter a name.'),
    ({'meeting_type': 'nonsense'}, 'meeting_type', 'Choose a meeting type from the list.'),
    ({'meeting_form': 'crowd'}, 'meeting_form', 'Choose a meeting form from the list.'),
    ({'duration_minutes': '0'}, 'duration_minutes', 'Number must be between 5 and 480.'),
    ({'duration_minutes': 'long'}, 'duration_minutes', 'Not a valid integer value.'),
    ({'rebooking_days_before': ''}, 'rebooking_days_before', 'Enter how many days before.'),
])
def test_template_bad_input_at_the_field(client, admin, fields, field, message):
    response = post_template(client, **fields)
    assert message in field_wrapper(text(response), field)
    assert not SummonsTemplate.select().exists()


def test_template_variant_must_fit_type_and_team(client, admin, jobcentre, team):
    variant = TypeVariant.create(organisation=jobcentre, name='Under 30')
    TypeVariantMeetingType.create(variant=variant, meeting_type=mtype('cv_samtale'))
    page = text(post_template(client, variant=str(variant.id)))
    assert 'This variant is not for Job interview.' in field_wrapper(page, 'variant')
    other = Team.create(organisation=jobcentre, name='Ydelse')
    TypeVariantTeam.create(variant=variant, team=other)
    page = text(post_template(client, variant=str(variant.id), meeting_type='cv_samtale',
                              team=str(team.id)))
    assert 'Team Dagpenge cannot use this variant.' in field_wrapper(page, 'variant')
    assert not SummonsTemplate.select().exists()


def test_template_room_must_host_and_allow_the_team(client, admin, jobcentre, team):
    closed = Room.create(organisation=jobcentre, name='Depot', can_host=False)
    page = text(post_template(client, room=str(closed.id)))
    assert 'This room cannot host meetings.' in field_wrapper(page, 'room')
    room = Room.create(organisation=jobcentre, name='Lokale')
    RoomTeam.create(room=room, team=Team.create(organisation=jobcentre, name='Ydelse'))
    page = text(post_template(client, room=str(room.id), team=str(team.id)))
    assert 'Team Dagpenge may not use this room.' in field_wrapper(page, 'room')
    assert not SummonsTemplate.select().exists()


def test_template_name_unique(client, admin, jobcentre):
    SummonsTemplate.create(organisation=jobcentre, name=TEMPLATE['name'])
    page = text(post_template(client))
    assert 'Name must be unique' in field_wrapper(page, 'name')
    assert SummonsTemplate.select().count() == 1


def test_template_ids_of_another_organisation_are_404(client, admin, jobcentre, other_org):
    theirs = SummonsTemplate.create(organisation=other_org, name='Deres')
    their_team = Team.create(organisation=other_org, name='T')
    their_room = Room.create(organisation=other_org, name='R')
    their_variant = TypeVariant.create(organisation=other_org, name='V')
    assert client.get(f'/admin/summons-templates/{theirs.id}/edit').status_code == 404
    assert client.post(f'/admin/summons-templates/{theirs.id}/delete').status_code == 404
    for field, row in (('team', their_team), ('room', their_room),
                       ('variant', their_variant)):
        assert post_template(client, **{field: str(row.id)}).status_code == 404, field
    assert not SummonsTemplate.select().where(
        SummonsTemplate.organisation == jobcentre).exists()


def test_template_edit_and_delete(client, admin, jobcentre):
    post_template(client)
    template = SummonsTemplate.get()
    assert post_template(client, url=f'/admin/summons-templates/{template.id}/edit',
                         duration_minutes='60', rebooking_allowed=None).status_code == 303
    preset = SummonsTemplate.get_by_id(template.id).preset
    assert preset['duration_minutes'] == 60
    assert preset['rebooking_allowed'] is False and preset['rebooking_days_before'] is None
    page = text(client.get(f'/admin/summons-templates/{template.id}/delete'))
    assert f'Delete {TEMPLATE["name"]}?' in page
    assert client.post(f'/admin/summons-templates/{template.id}/delete').status_code == 303
    assert not SummonsTemplate.select().exists()


# --- everything in this module ----------------------------------------------------

PAGES = ['/admin/competences/', '/admin/closing-days/', '/admin/closing-days/new',
         '/admin/meeting-types/', '/admin/variants/', '/admin/variants/new',
         '/admin/summons-templates/', '/admin/summons-templates/new']


@pytest.mark.parametrize('role', [User.PLANNER, User.CASEWORKER, User.CITIZEN])
def test_other_roles_get_403(client, jobcentre, make_user, login, role):
    login(make_user(jobcentre, role))
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    for url in ('/admin/competences/', '/admin/closing-days/import',
                '/admin/variants/new', '/admin/summons-templates/new'):
        assert client.post(url, data={'name': 'X', 'year': '2026'}).status_code == 403, url
    assert not Competence.select().exists() and not ClosingDay.select().exists()


def test_pages_are_full_pages_and_htmx_fragments(client, admin):
    for url in PAGES:
        full = client.get(url)
        assert full.status_code == 200 and '<html' in full.get_data(as_text=True), url
        part = client.get(url, headers={'HX-Request': 'true', 'HX-Target': 'admin-panel'})
        body = part.get_data(as_text=True)
        assert part.status_code == 200 and '<html' not in body, url
        assert body.lstrip().startswith('<div id="admin-panel">'), url


def test_sections_are_in_the_admin_navigation(client, admin):
    page = text(client.get('/admin/'))
    for url in ('/admin/competences/', '/admin/closing-days/', '/admin/meeting-types/',
                '/admin/variants/', '/admin/summons-templates/', '/admin/rooms/',
                '/admin/teams/'):
        assert f'href="{url}"' in page


def test_absurd_ids_are_404_not_500(client, admin):
    big = '9' * 25
    assert client.get(f'/admin/variants/{big}/edit').status_code == 404
    assert client.post('/admin/variants/new', data={
        'name': 'X', 'meeting_types': [big]}).status_code == 404
    assert client.post('/admin/summons-templates/new', data={
        'name': 'X', 'room': big}).status_code == 404
    assert not TypeVariant.select().exists() and not SummonsTemplate.select().exists()
