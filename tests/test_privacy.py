"""A citizen's data: the export they download, and the erasure an
administrator makes once their meetings have passed (meetings kept,
anonymised, for statistics)."""
from __future__ import annotations

import datetime as dt
import html
import json

import pytest

from messaging import outbox
from models import (AuditEvent, Caseworker, CaseworkerTeam, CitizenAbsence, CitizenProfile,
                    Meeting, MeetingParticipant, MeetingType, Message, OneTimeCode, PendingSummons,
                    SummonsDraft, SummonsDraftCitizen, Team, TrustedDevice, User, UserSession,
                    utcnow)
from planner import privacy

METTE_CPR = '0512884321'


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def text_values(model) -> list[str]:
    """Every text value stored in a table."""
    columns = [f for f in model._meta.sorted_fields if f.field_type in ('VARCHAR', 'TEXT')]
    return [value for row in model.select(*columns).tuples() for value in row if value]


class World:
    pass


def _meeting(w, start, citizens, *, form=Meeting.INDIVIDUAL, note=''):
    meeting = Meeting.create(organisation=w.org, team=w.team, caseworker=w.caseworker,
                             meeting_type=w.meeting_type, form=form, starts_at=start,
                             ends_at=start + dt.timedelta(minutes=45), note=note)
    for citizen in citizens:
        MeetingParticipant.create(meeting=meeting, citizen=citizen)
    return meeting


@pytest.fixture
def world(jobcentre, make_user):
    """Mette (profile, absence, a past individual meeting, a past group
    meeting with Sune, messages, a pending summons) and Sune, of one job
    centre; an administrator and a planner."""
    w = World()
    w.org = org = jobcentre
    w.team = Team.create(organisation=org, name='Dagpenge', address='Jobvej 1',
                         postcode='8000', city='Aarhus C')
    w.caseworker = Caseworker.create(
        user=make_user(org, User.CASEWORKER, name='Karen Vejleder'), organisation=org)
    CaseworkerTeam.create(caseworker=w.caseworker, team=w.team)
    w.meeting_type = MeetingType.get(MeetingType.code == 'jobsamtale')
    w.admin = make_user(org, User.ADMIN, name='Ada Admin')
    w.planner = make_user(org, User.PLANNER, name='Pia Planner')
    w.mette = make_user(org, User.CITIZEN, name='Mette Hansen', cpr=METTE_CPR,
                        phone='+4520304050', email='mette.hansen@example.test', language='en')
    w.sune = make_user(org, User.CITIZEN, name='Sune Sørensen', cpr='0202905678',
                       phone='+4520607080')
    CitizenProfile.create(user=w.mette, organisation=org, contact_group='dagpenge',
                          markings='Sygemeldt\nLedig', due_date=dt.date(2026, 1, 9),
                          caseworker=w.caseworker)
    CitizenAbsence.create(citizen=w.mette, first_day=dt.date(2026, 7, 1),
                          last_day=dt.date(2026, 7, 14), reason='Sommerferie')
    past = utcnow().replace(microsecond=0) - dt.timedelta(days=20)
    w.individual = _meeting(w, past, [w.mette], note='Mette Hansen brings her CV')
    w.group = _meeting(w, past + dt.timedelta(days=1), [w.mette, w.sune], form=Meeting.GROUP)
    w.sunes_own = _meeting(w, past + dt.timedelta(days=2), [w.sune])
    w.sms = outbox.queue_sms(org, w.mette.phone, 'Kære Mette Hansen, du er indkaldt.',
                             user=w.mette, meeting=w.individual)
    w.mail = outbox.queue_email(org, w.mette.email, 'Indkaldelse til Mette Hansen',
                                'Hej Mette Hansen', user=w.mette)
    w.code = outbox.queue_sms(org, w.mette.phone, '918273 is your Planpool code.',
                              user=w.mette, kind=Message.CODE)
    w.reply = Message.create(organisation=org, user=None, channel=Message.SMS,
                             direction=Message.IN, kind=Message.REPLY, recipient='Jobcenter',
                             sender=w.mette.phone, body='Jeg kommer, Mette',
                             status=Message.RECEIVED)
    w.sunes_sms = outbox.queue_sms(org, w.sune.phone, 'Kære Sune, du er indkaldt.',
                                   user=w.sune, meeting=w.sunes_own)
    PendingSummons.create(organisation=org, citizen=w.mette, team=w.team,
                          meeting_type=w.meeting_type, deadline=dt.date(2027, 2, 1))
    draft = SummonsDraft.create(organisation=org, created_by=w.planner)
    SummonsDraftCitizen.create(draft=draft, citizen=w.mette, deadline=dt.date(2027, 2, 5))
    SummonsDraftCitizen.create(draft=draft, citizen=w.sune, position=1)
    AuditEvent.record('meeting_read', actor=w.caseworker.user, obj=w.individual,
                      detail='1 citizens')
    AuditEvent.record('meeting_read', actor=w.caseworker.user, obj=w.sunes_own,
                      detail='1 citizens')
    return w


# --- the export ---------------------------------------------------------------------------

def test_the_export_holds_everything_about_the_citizen_and_nothing_of_others(
        client, login, world):
    w = world
    login(w.mette)
    page = client.get('/my/appointments')
    assert 'href="/my/data.json"' in page.get_data(as_text=True)
    assert 'Download my data' in text(page)

    response = client.get('/my/data.json')
    assert response.status_code == 200
    assert response.mimetype == 'application/json'
    assert response.headers['Content-Disposition'].startswith(
        'attachment; filename="planpool-my-data-')
    assert response.headers['Cache-Control'] == 'no-store'
    raw = response.get_data(as_text=True)
    data = json.loads(raw)

    assert data['profile']['name'] == 'Mette Hansen'
    assert data['profile']['cpr'] == METTE_CPR          # their own number, in full
    assert data['profile']['phone'] == '+4520304050'
    assert data['profile']['email'] == 'mette.hansen@example.test'
    assert data['citizen_profile']['contact_group'] == 'dagpenge'
    assert data['citizen_profile']['markings'] == ['Sygemeldt', 'Ledig']
    assert data['citizen_profile']['due_date'] == '2026-01-09'
    assert data['absences'] == [{'first_day': '2026-07-01', 'last_day': '2026-07-14',
                                 'reason': 'Sommerferie'}]
    meetings = {m['booking_number']: m for m in data['meetings']}
    assert set(meetings) == {w.individual.id, w.group.id}
    individual = meetings[w.individual.id]
    assert individual['meeting_type'] == 'jobsamtale'
    assert individual['place'] == 'Jobvej 1, 8000 Aarhus C'
    assert individual['caseworker'] == 'Karen Vejleder'
    assert individual['status'] == 'booked'
    assert individual['starts_at'] == w.individual.starts_at.isoformat() + 'Z'
    assert meetings[w.group.id]['form'] == 'group'
    assert [p['deadline'] for p in data['pending_summons']] == ['2027-02-01']
    assert [d['deadline'] for d in data['summons_in_preparation']] == ['2027-02-05']
    bodies = [m['text'] for m in data['messages']]
    assert 'Kære Mette Hansen, du er indkaldt.' in bodies and 'Hej Mette Hansen' in bodies
    sms = next(m for m in data['messages'] if m['text'].startswith('Kære Mette'))
    assert sms['to'] == '+4520304050' and sms['channel'] == 'sms' and sms['status']
    # Login codes are secrets, not data to hand out.
    assert '918273' not in raw
    assert all(m['kind'] != Message.CODE for m in data['messages'])
    # Who looked at her meetings: the role, at a UTC time.
    reads = [e for e in data['audit_events'] if e['action'] == 'meeting_read']
    assert reads == [{'action': 'meeting_read', 'at': reads[0]['at'],
                      'actor_role': 'caseworker', 'about': f'Meeting {w.individual.id}'}]
    assert reads[0]['at'].endswith('Z')

    # Nothing of Sune's but his name where it is not in it at all.
    assert 'Sune' not in raw and '0202905678' not in raw and '+4520607080' not in raw
    assert w.sunes_own.id not in meetings

    [exported] = AuditEvent.select().where(AuditEvent.action == 'citizen.exported')
    assert exported.actor_id == w.mette.id and exported.object_id == w.mette.id
    assert METTE_CPR not in exported.detail


def test_the_export_is_for_the_citizen_only(client, login, world):
    assert client.get('/my/data.json').status_code == 302            # log in first
    login(world.planner)
    assert client.get('/my/data.json').status_code == 403
    login(world.sune)
    data = json.loads(client.get('/my/data.json').get_data(as_text=True))
    assert data['profile']['name'] == 'Sune Sørensen'
    assert {m['booking_number'] for m in data['meetings']} == {world.group.id,
                                                                world.sunes_own.id}
    assert 'Mette' not in json.dumps(data, ensure_ascii=False)


# --- erasure --------------------------------------------------------------------------------

def test_erasure_is_refused_while_a_meeting_lies_ahead(client, login, world):
    w = world
    ahead = _meeting(w, utcnow() + dt.timedelta(days=3), [w.mette])
    login(w.admin)
    page = client.get(f'/admin/citizens/{w.mette.id}/erase')
    assert page.status_code == 200
    assert ('The personal data cannot be erased yet: 1 meeting is still booked ahead.'
            in text(page))
    assert f'action="/admin/citizens/{w.mette.id}/erase"' not in page.get_data(as_text=True)

    response = client.post(f'/admin/citizens/{w.mette.id}/erase')
    assert response.status_code == 303
    assert User.get_by_id(w.mette.id).name == 'Mette Hansen'
    assert CitizenProfile.select().where(CitizenProfile.user == w.mette).exists()
    assert not AuditEvent.select().where(AuditEvent.action == 'citizen.erased').exists()
    assert '1 meeting is still booked ahead' in text(client.get(response.headers['Location']))

    with pytest.raises(privacy.ErasureRefused) as refused:
        privacy.erase_citizen(w.mette, w.admin, utcnow())
    assert refused.value.future_meetings == 1
    # Cancelled, it no longer holds the erasure back.
    Meeting.update(status=Meeting.CANCELLED).where(Meeting.id == ahead.id).execute()
    privacy.erase_citizen(w.mette, w.admin, utcnow())
    assert User.get_by_id(w.mette.id).cpr is None


def test_a_meeting_that_has_not_ended_holds_the_erasure_back(world):
    w = world
    start = dt.datetime(2027, 5, 3, 8, 0)
    _meeting(w, start, [w.mette])                      # 08:00-08:45 UTC
    with pytest.raises(privacy.ErasureRefused):
        privacy.erase_citizen(w.mette, w.admin, start + dt.timedelta(minutes=44))
    result = privacy.erase_citizen(w.mette, w.admin, start + dt.timedelta(minutes=45))
    assert result.meetings_kept == 3


def test_erasure_leaves_no_trace_of_the_person_but_keeps_the_meetings(
        client, login, world, make_user):
    w = world
    mette_client = client.application.test_client()
    login(w.mette, mette_client)
    assert mette_client.get('/my/appointments').status_code == 200
    OneTimeCode.issue(w.mette, OneTimeCode.CITIZEN_LOGIN)
    TrustedDevice.remember(w.mette, 'phone')
    meetings_before = Meeting.select().count()
    participants_before = MeetingParticipant.select().count()
    messages_before = Message.select().count()
    sms_before = Message.get_by_id(w.sms.id)

    login(w.admin)
    page = client.get(f'/admin/citizens/{w.mette.id}/erase')
    assert 'Erase the personal data of Mette Hansen (051288-xxxx)?' in text(page)
    response = client.post(f'/admin/citizens/{w.mette.id}/erase',
                           environ_base={'REMOTE_ADDR': '192.0.2.44'})
    assert response.status_code == 303
    assert response.headers['Location'].endswith(f'/admin/citizens/{w.mette.id}')
    shown = text(client.get(response.headers['Location']))
    assert "The citizen's personal data is erased. Their 2 meetings are kept" in shown
    assert f'Erased citizen #{w.mette.id}' in shown and 'Erase personal data' not in shown

    mette = User.get_by_id(w.mette.id)
    assert mette.name == f'Erased citizen #{mette.id}'
    assert (mette.cpr, mette.phone, mette.email, mette.active) == (None, None, None, False)
    for model, column in ((UserSession, UserSession.user), (OneTimeCode, OneTimeCode.user),
                          (TrustedDevice, TrustedDevice.user),
                          (CitizenProfile, CitizenProfile.user),
                          (CitizenAbsence, CitizenAbsence.citizen),
                          (PendingSummons, PendingSummons.citizen),
                          (SummonsDraftCitizen, SummonsDraftCitizen.citizen)):
        assert not model.select().where(column == mette.id).exists(), model.__name__
    # Logged out everywhere, and the CPR number opens nothing any more.
    assert mette_client.get('/my/appointments').status_code == 302

    # No trace in any text column of the tables that held her.
    traces = ['Mette Hansen', 'Mette', METTE_CPR, '051288-4321', '+4520304050', '20304050',
              'mette.hansen@example.test']
    for model in (User, Message, AuditEvent, Meeting, CitizenProfile, PendingSummons):
        stored = ' '.join(text_values(model)).lower()
        for trace in traces:
            assert trace.lower() not in stored, (model.__name__, trace)

    # Her messages keep what statistics need; others' are untouched.
    assert Message.select().count() == messages_before
    sms = Message.get_by_id(w.sms.id)
    assert (sms.body, sms.recipient, sms.user_id, sms.channel) == (
        '[erased]', '[erased]', mette.id, Message.SMS)
    assert (sms.status, sms.created_at) == (sms_before.status, sms_before.created_at)
    assert Message.get_by_id(w.reply.id).sender == '[erased]'
    assert Message.get_by_id(w.sunes_sms.id).body == 'Kære Sune, du er indkaldt.'
    # The meetings are still there and still counted, hers anonymised.
    assert Meeting.select().count() == meetings_before
    assert MeetingParticipant.select().count() == participants_before
    assert MeetingParticipant.select().where(MeetingParticipant.citizen == mette.id).count() == 2
    assert Meeting.get_by_id(w.individual.id).note == '[erased] brings her CV'
    sune = User.get_by_id(w.sune.id)
    assert (sune.name, sune.cpr, sune.active) == ('Sune Sørensen', '0202905678', True)
    assert SummonsDraftCitizen.select().where(SummonsDraftCitizen.citizen == sune).exists()

    [erased] = AuditEvent.select().where(AuditEvent.action == 'citizen.erased')
    assert (erased.actor_id, erased.object_type, erased.object_id) == (
        w.admin.id, 'User', mette.id)
    assert erased.ip == '192.0.2.44' and erased.organisation_id == w.org.id
    # Her own logins no longer say where she was.
    assert not AuditEvent.select().where(AuditEvent.actor == mette.id,
                                         AuditEvent.ip != '').exists()


def test_only_the_organisations_administrators_may_erase(client, login, world, make_org,
                                                         make_user):
    w = world
    url = f'/admin/citizens/{w.mette.id}'
    for user in (w.planner, w.caseworker.user, w.sune):
        login(user)
        for path in (url, url + '/erase', '/admin/citizens/'):
            assert client.get(path).status_code == 403, (user.role, path)
        assert client.post(url + '/erase').status_code == 403
    login(make_user(make_org('planner'), User.ADMIN))
    assert client.get(url).status_code == 404
    assert client.post(url + '/erase').status_code == 404
    # A staff member is not a citizen: not erased here either.
    login(w.admin)
    assert client.get(f'/admin/citizens/{w.planner.id}').status_code == 404
    assert client.post(f'/admin/citizens/{w.planner.id}/erase').status_code == 404
    assert User.get_by_id(w.mette.id).name == 'Mette Hansen'
    assert not AuditEvent.select().where(AuditEvent.action == 'citizen.erased').exists()


def test_administrators_find_citizens_by_posted_cpr_name_or_birth_date(client, login, world):
    w = world
    login(w.admin)
    page = client.get('/admin/citizens/')
    assert page.status_code == 200 and 'method="post"' in page.get_data(as_text=True)
    assert 'href="/admin/citizens/"' in text(client.get('/admin/'))

    by_cpr = client.post('/admin/citizens/', data={'query': '051288-4321'})
    shown = text(by_cpr)
    assert 'Mette Hansen' in shown and '051288-xxxx' in shown
    # Shown masked only, not even in the search field it was typed into.
    assert METTE_CPR not in shown and '051288-4321' not in shown
    assert 'Sune' not in shown
    assert f'/admin/citizens/{w.mette.id}' in shown
    by_name = text(client.post('/admin/citizens/', data={'query': 'sune'}))
    assert 'Sune Sørensen' in by_name and 'Mette' not in by_name
    by_birth = text(client.post('/admin/citizens/', data={'query': '020290'}))
    assert 'Sune Sørensen' in by_birth and 'Mette' not in by_birth
    assert 'No citizen matches' in text(client.post('/admin/citizens/',
                                                    data={'query': '030390-1234'}))
    searches = list(AuditEvent.select().where(AuditEvent.action == 'citizens_searched')
                    .order_by(AuditEvent.id))
    assert [e.detail for e in searches] == ['by CPR number, 1 found', 'by name, 1 found',
                                            'by birth date, 1 found',
                                            'by CPR number, 0 found']

    page = text(client.get(f'/admin/citizens/{w.mette.id}'))
    assert 'Mette Hansen' in page and '051288-xxxx' in page and METTE_CPR not in page
    assert AuditEvent.select().where(AuditEvent.action == 'citizen_read',
                                     AuditEvent.object_id == w.mette.id).count() == 1


def test_an_administrator_sets_the_postal_address_the_letters_use(client, login, world,
                                                                  make_org, make_user):
    w = world
    url = f'/admin/citizens/{w.mette.id}/address'
    login(w.admin)
    shown = text(client.get(f'/admin/citizens/{w.mette.id}'))
    assert 'None: summons letters cannot be posted' in shown
    too_long = client.post(url, data={'address': 'x' * 201, 'postcode': '8000',
                                      'city': 'Aarhus C'})
    assert too_long.status_code == 200
    assert 'Field cannot be longer than 200 characters.' in text(too_long)
    saved = client.post(url, data={'address': ' Søndergade 12, 2. tv ', 'postcode': '8000',
                                   'city': 'Aarhus C'})
    assert saved.status_code == 303
    profile = CitizenProfile.get(CitizenProfile.user == w.mette)
    assert (profile.address, profile.postcode, profile.city) == \
        ('Søndergade 12, 2. tv', '8000', 'Aarhus C')
    assert AuditEvent.select().where(AuditEvent.action == 'citizen_address_changed').exists()
    assert 'Søndergade 12, 2. tv' in text(client.get(f'/admin/citizens/{w.mette.id}'))
    # Only the organisation's administrators.
    for user in (w.planner, w.caseworker.user, w.sune):
        login(user)
        assert client.post(url, data={'address': 'Andetsteds 1'}).status_code == 403
    login(make_user(make_org('planner'), User.ADMIN))
    assert client.post(url, data={'address': 'Andetsteds 1'}).status_code == 404
    assert CitizenProfile.get(CitizenProfile.user == w.mette).address == 'Søndergade 12, 2. tv'
