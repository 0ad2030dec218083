"""The follow-up list (/summons/follow-up/): counts, search, Sync and letters.

Summoned meetings are built directly with the models (not through the
wizard): Meeting with summoned_at, MeetingParticipant, Message rows in
every state, CalendarSync rows."""
from __future__ import annotations

import datetime as dt
import io
import re
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from pypdf import PdfReader

import tasks
from models import (CalendarSync, Caseworker, CaseworkerTeam, CitizenProfile, Meeting,
                    MeetingCaseworker, MeetingParticipant, MeetingType, Message, Room, Team, User,
                    db, utcnow)
from planner import booking, followup

CLOSED_CALDAV = {'CALDAV_URL': 'http://127.0.0.1:9/dav/', 'CALDAV_TIMEOUT': '2'}


@pytest.fixture(autouse=True)
def empty_schedule():
    tasks.huey.flush()
    yield
    tasks.huey.flush()


@pytest.fixture
def world(jobcentre, make_user):
    org = jobcentre
    org.rights_and_duties = 'Du skal møde op til samtalen.'
    org.save()
    centre = Team.create(organisation=org, name='Jobcenter', address='Jobvej 1',
                         postcode='8000', city='Aarhus C', phone='+4570101010')
    young = Team.create(organisation=org, parent=centre, name='Ungeteam')
    adults = Team.create(organisation=org, name='Voksenteam', position=1,
                         address='Torvet 2', postcode='8000', city='Aarhus C')

    def caseworker(name, team):
        user = make_user(org, User.CASEWORKER, name=name)
        cw = Caseworker.create(user=user, organisation=org, initials=name[:2].upper())
        CaseworkerTeam.create(caseworker=cw, team=team)
        return cw

    today = booking.local_today(org, dt.datetime.now(dt.timezone.utc))
    return SimpleNamespace(
        org=org, centre=centre, young=young, adults=adults, today=today,
        anna=caseworker('Anna Andersen', young), bo=caseworker('Bo Berg', adults),
        planner=make_user(org, User.PLANNER), admin=make_user(org, User.ADMIN),
        jobsamtale=MeetingType.get(MeetingType.code == 'jobsamtale'),
        info=MeetingType.get(MeetingType.code == 'informationsmode'))


@pytest.fixture
def citizen(world, make_user):
    def make(name, **fields):
        fields.setdefault('language', 'en')
        return make_user(world.org, User.CITIZEN, name=name, **fields)
    return make


def summon(w, citizens, *, days=3, hour=10, team=None, cw=None, meeting_type=None,
           attendance=Meeting.IN_PERSON, form=Meeting.INDIVIDUAL, summoned_days_ago=1,
           others=(), org=None, show_caseworker=True, summoned=True):
    org = org or w.org
    start = dt.datetime.combine(w.today + dt.timedelta(days=days), dt.time(hour),
                                tzinfo=org.zone).astimezone(dt.timezone.utc).replace(tzinfo=None)
    meeting = Meeting.create(
        organisation=org, team=team or w.young, meeting_type=meeting_type or w.jobsamtale,
        caseworker=cw or w.anna, form=form, attendance=attendance, starts_at=start,
        ends_at=start + dt.timedelta(minutes=45), show_caseworker=show_caseworker,
        summoned_at=(utcnow() - dt.timedelta(days=summoned_days_ago)) if summoned else None)
    for other in others:
        MeetingCaseworker.create(meeting=meeting, caseworker=other)
    for person in citizens:
        MeetingParticipant.create(meeting=meeting, citizen=person)
    return meeting


def notice(meeting, person, status, *, channel=Message.SMS, error='', recipient=None):
    if recipient is None:
        recipient = person.phone if channel == Message.SMS else person.email
    return Message.create(
        organisation=meeting.organisation_id, user=person, channel=channel,
        direction=Message.OUT, recipient=recipient or '', body='Du er indkaldt til et møde',
        subject='Indkaldelse' if channel == Message.EMAIL else '', status=status,
        last_error=error, meeting=meeting, attempts=5 if status == Message.FAILED else 0,
        provider='outbox' if status in (Message.SENT, Message.DELIVERED) else '',
        provider_id=f'outbox-x{person.id}-{meeting.id}-{channel}'
        if status in (Message.SENT, Message.DELIVERED) else None)


def text(response) -> str:
    return response.get_data(as_text=True)


def rows(html: str) -> dict[int, str]:
    """{participant id: the row's HTML} of a follow-up page."""
    return {int(pid): body for pid, body in
            re.findall(r'<tr id="followup-row-(\d+)"(.*?)</tr>', html, re.S)}


def names_in(html: str) -> set[str]:
    found = set()
    for body in rows(html).values():
        match = re.search(r'data-label="Citizen">([^<]+?) <span', body)
        found.add(match.group(1).strip())
    return found


def count(html: str, which: str) -> int:
    return int(re.search(rf'<strong id="count-{which}">(\d+)</strong>', html).group(1))


def count_link(html: str, which: str) -> str:
    link = re.search(rf'<a href="([^"]+)"[^>]*><strong id="count-{which}">', html).group(1)
    return link.replace('&amp;', '&')


def pid(meeting, person) -> int:
    return MeetingParticipant.get(MeetingParticipant.meeting == meeting,
                                  MeetingParticipant.citizen == person).id


# --- counts and states ---------------------------------------------------------

def test_counts_at_the_top_and_their_links(client, login, world, citizen, make_org,
                                           make_user):
    w = world
    ok, failed, waiting = citizen('Asta Ok'), citizen('Bent Fejl'), citizen('Carl Venter')
    nobody = citizen('Dorte Uden', phone=None)
    by_letter, printed = citizen('Erik Brev'), citizen('Frida Printet')
    old = citizen('Gorm Fortid')
    m_ok = summon(w, [ok])
    notice(m_ok, ok, Message.SENT)
    notice(m_ok, ok, Message.DELIVERED, channel=Message.EMAIL, recipient='asta@example.test')
    m_failed = summon(w, [failed], days=4)
    notice(m_failed, failed, Message.SENT, channel=Message.EMAIL, recipient='b@example.test')
    notice(m_failed, failed, Message.FAILED, error='Vonage status 4: Bad Credentials')
    m_wait = summon(w, [waiting], days=5)
    notice(m_wait, waiting, Message.QUEUED)
    summon(w, [nobody], days=6)
    summon(w, [by_letter], days=7, attendance=Meeting.LETTER)
    m_printed = summon(w, [printed], days=8, attendance=Meeting.LETTER)
    MeetingParticipant.update(letter_printed_at=utcnow()).where(
        MeetingParticipant.meeting == m_printed).execute()
    m_old = summon(w, [old], days=-2)                   # over: no longer counted
    notice(m_old, old, Message.FAILED, error='Vonage status 4: Bad Credentials')
    summon(w, [citizen('Hans Ikke Indkaldt')], summoned=False)   # booked, not summoned
    # Another organisation's summons never shows.
    other_org = make_org('planner')
    other_team = Team.create(organisation=other_org, name='Andet team')
    stranger = make_user(other_org, User.CITIZEN, name='Ida Fremmed')
    other = summon(w, [stranger], team=other_team, org=other_org,
                   cw=Caseworker.create(user=make_user(other_org, User.CASEWORKER),
                                        organisation=other_org))
    notice(other, stranger, Message.FAILED, error='Vonage status 4: Bad Credentials')

    login(w.planner)
    html = text(client.get('/summons/follow-up/'))
    assert count(html, 'citizen') == 4
    assert 'Calendar sync is off' in html                   # no CALDAV_URL in tests
    assert names_in(html) == {'Asta Ok', 'Bent Fejl', 'Carl Venter', 'Dorte Uden',
                              'Erik Brev', 'Frida Printet'}
    assert 'Ida Fremmed' not in html and 'Hans Ikke Indkaldt' not in html
    assert 'Gorm Fortid' not in html                        # before today: outside the range

    link = count_link(html, 'citizen')
    query = parse_qs(urlsplit(link).query, keep_blank_values=True)
    assert query['status'] == ['not_delivered'] and query['date_to'] == ['']
    filtered = text(client.get(link))
    assert names_in(filtered) == {'Bent Fejl', 'Carl Venter', 'Dorte Uden', 'Erik Brev'}
    assert '4 citizens summoned' in filtered

    states = rows(html)
    assert 'Delivered' in states[pid(m_ok, ok)]
    assert 'Not delivered' in states[pid(m_failed, failed)]
    assert 'On its way' in states[pid(m_wait, waiting)]
    assert 'Letter printed' in states[pid(m_printed, printed)]
    # Masked CPR only.
    assert ok.masked_cpr in html and ok.cpr not in html


def test_failed_sms_and_missing_contact_in_plain_words(client, login, world, citizen):
    w = world
    refused, receipt, nobody = citizen('Bent Fejl'), citizen('Kim Kvittering'), \
        citizen('Dorte Uden', phone=None)
    m1 = summon(w, [refused])
    notice(m1, refused, Message.FAILED, error='Vonage status 4: Bad Credentials')
    m2 = summon(w, [receipt])
    notice(m2, receipt, Message.FAILED, error='delivery receipt: expired (err-code 5)')
    m3 = summon(w, [nobody])
    login(w.planner)
    html = text(client.get('/summons/follow-up/'))
    found = rows(html)
    assert 'The SMS account is not set up correctly (code 4)' in found[pid(m1, refused)]
    assert 'The phone could not be reached in time: the SMS expired (code 5).' \
        in found[pid(m2, receipt)]
    row = found[pid(m3, nobody)]
    assert 'No phone or e-mail: send a letter.' in row
    assert f'/summons/follow-up/letters?meeting={m3.id}&amp;citizen={nobody.id}' in row
    assert 'Sync' not in row.split('followup-actions')[1]   # nothing to send again
    assert 'Sync' in found[pid(m1, refused)].split('followup-actions')[1]


# --- search --------------------------------------------------------------------

def test_search_by_date_team_caseworker_type_and_status(client, login, world, citizen):
    w = world
    c = {name: citizen(name) for name in ('Near', 'Far', 'Later', 'Adult', 'Group', 'Info')}
    m_near = summon(w, [c['Near']], days=1, summoned_days_ago=10)
    notice(m_near, c['Near'], Message.SENT)
    m_far = summon(w, [c['Far']], days=27)
    notice(m_far, c['Far'], Message.FAILED, error='Vonage status 9: Partner quota exceeded')
    m_later = summon(w, [c['Later']], days=40)
    notice(m_later, c['Later'], Message.SENT)
    m_adult = summon(w, [c['Adult']], days=2, team=w.adults, cw=w.bo)
    notice(m_adult, c['Adult'], Message.SENT)
    m_group = summon(w, [c['Group']], days=3, team=w.centre, cw=w.bo, others=[w.anna],
                     form=Meeting.GROUP)
    notice(m_group, c['Group'], Message.SENT)
    m_info = summon(w, [c['Info']], days=4, meeting_type=w.info, team=w.adults, cw=w.bo)
    notice(m_info, c['Info'], Message.SENT)
    login(w.planner)

    def shown(**args):
        response = client.get('/summons/follow-up/', query_string=args)
        assert response.status_code == 200
        return names_in(text(response))

    # Default: meetings from today, four weeks.
    assert shown() == {'Near', 'Far', 'Adult', 'Group', 'Info'}
    # An empty end date: no end.
    assert 'Later' in shown(date_from=w.today.isoformat(), date_to='')
    day = w.today + dt.timedelta(days=27)
    assert shown(date_from=day.isoformat(), date_to=day.isoformat()) == {'Far'}
    # Summons date: Near was summoned ten days ago, the others yesterday.
    ago = (w.today - dt.timedelta(days=10)).isoformat()
    assert shown(kind='summons', date_from=ago, date_to=ago) == {'Near'}
    assert shown(kind='meeting', date_from=ago, date_to=ago) == set()
    # Team: a team covers its sub-teams.
    assert shown(team=w.young.id) == {'Near', 'Far'}
    assert shown(team=w.centre.id) == {'Near', 'Far', 'Group'}
    assert shown(team=w.adults.id) == {'Adult', 'Info'}
    # Caseworkers: also the other caseworkers of a group meeting.
    assert shown(caseworker=[w.anna.id]) == {'Near', 'Far', 'Group'}
    assert shown(caseworker=[w.bo.id]) == {'Adult', 'Group', 'Info'}
    assert shown(caseworker=[w.anna.id, w.bo.id]) == {'Near', 'Far', 'Adult', 'Group', 'Info'}
    # Meeting type.
    assert shown(meeting_type=w.info.id) == {'Info'}
    # Status.
    assert shown(status='not_delivered') == {'Far'}
    assert shown(citizen='not_delivered') == {'Far'}     # the short form of the link
    assert shown(status='not_delivered', team=w.adults.id) == set()
    assert shown(status='not_synced') == set()          # calendar sync is off here
    # A team of another organisation or nonsense is refused at the field, not a crash.
    page = client.get('/summons/follow-up/', query_string={'team': 'x', 'date_from': 'soon'})
    assert page.status_code == 200
    assert 'Not a valid date value' in text(page)
    # The search survives in the pager links (bookmarkable GET).
    for n in range(55):
        extra = citizen(f'Many {n:02d}')
        notice(summon(w, [extra], days=5), extra, Message.FAILED, error='Vonage status 1: x')
    html = text(client.get('/summons/follow-up/', query_string={'status': 'not_delivered'}))
    assert len(rows(html)) == 50
    assert 'Page 1 of 2' in html
    next_link = re.search(r'href="([^"]+page=2[^"]*)"', html).group(1).replace('&amp;', '&')
    assert 'status=not_delivered' in next_link
    second = text(client.get(next_link))
    assert len(rows(second)) == 6
    assert not set(rows(html)) & set(rows(second))


def test_a_page_takes_a_fixed_number_of_queries(client, login, world, citizen, monkeypatch):
    w = world
    login(w.planner)

    def queries_for_page() -> int:
        executed = []
        original = db.obj.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            executed.append(sql)
            return original(sql, params, *args, **kwargs)
        monkeypatch.setattr(db.obj, 'execute_sql', counting)
        try:
            assert client.get('/summons/follow-up/').status_code == 200
        finally:
            monkeypatch.setattr(db.obj, 'execute_sql', original)
        return len(executed)

    first = citizen('Først')
    notice(summon(w, [first]), first, Message.SENT)
    few = queries_for_page()
    for n in range(12):
        people = [citizen(f'Borger {n}-{k}') for k in range(3)]
        meeting = summon(w, people, days=2 + n, form=Meeting.GROUP, others=[w.bo])
        for person in people:
            notice(meeting, person, Message.FAILED, error='Vonage status 4: Bad Credentials')
            notice(meeting, person, Message.SENT, channel=Message.EMAIL,
                   recipient='x@example.test')
    many = queries_for_page()
    assert many == few


# --- Sync ------------------------------------------------------------------------

def test_sync_sends_the_failed_sms_again_and_the_count_drops(client, login, world, citizen):
    w = world
    bent = citizen('Bent Fejl', email='bent@example.test')
    meeting = summon(w, [bent])
    failed = notice(meeting, bent, Message.FAILED, error='Vonage status 4: Bad Credentials')
    sent = notice(meeting, bent, Message.SENT, channel=Message.EMAIL)
    sent_before = Message.get_by_id(sent.id)
    login(w.planner)
    html = text(client.get('/summons/follow-up/?status=not_delivered'))
    assert count(html, 'citizen') == 1

    back = '/summons/follow-up/?status=not_delivered&team=' + str(w.young.id)
    response = client.post(f'/summons/follow-up/meetings/{meeting.id}/sync',
                           data={'next': back, 'row': [pid(meeting, bent)]})
    assert response.status_code == 303
    assert response.headers['Location'].endswith(back)
    again = Message.get_by_id(failed.id)
    assert again.status == Message.SENT and again.provider == 'outbox'
    assert again.attempts == 1 and again.last_error == ''
    assert Message.select().count() == 2                  # the same rows, none added
    after = Message.get_by_id(sent.id)
    assert (after.status, after.updated_at, after.provider_id) == (
        sent_before.status, sent_before.updated_at, sent_before.provider_id)
    page = text(client.get(back))
    assert '1 notice is being sent to the citizen again.' in page
    assert count(page, 'citizen') == 0
    assert names_in(page) == set()
    assert 'Delivered' in rows(text(client.get('/summons/follow-up/')))[pid(meeting, bent)]

    # A second Sync sends nothing twice.
    client.post(f'/summons/follow-up/meetings/{meeting.id}/sync', data={'next': back})
    assert Message.select().count() == 2
    assert Message.get_by_id(failed.id).attempts == 1
    assert 'There was no notice to send again.' in text(client.get(back))


def test_sync_goes_to_the_corrected_number_and_skips_nobody(client, login, world, citizen):
    w = world
    fixed = citizen('Rettet Nummer', phone=None)
    meeting = summon(w, [fixed])
    lost = notice(meeting, fixed, Message.FAILED, error='No recipient', recipient='')
    login(w.planner)
    assert 'There is no mobile number to send the SMS to.' in text(
        client.get('/summons/follow-up/'))
    # Still no number: nothing is sent (a letter is the way).
    client.post(f'/summons/follow-up/meetings/{meeting.id}/sync', data={})
    assert Message.get_by_id(lost.id).status == Message.FAILED
    # The number was corrected since: the notice goes there.
    User.update(phone='+4520998877').where(User.id == fixed.id).execute()
    client.post(f'/summons/follow-up/meetings/{meeting.id}/sync', data={})
    row = Message.get_by_id(lost.id)
    assert row.status == Message.SENT and row.recipient == '+4520998877'


def test_sync_tells_a_citizen_the_summons_never_told_once(client, login, world, citizen):
    w = world
    later = citizen('Nyt Nummer', phone=None)
    meeting = summon(w, [later])
    login(w.planner)
    row = rows(text(client.get('/summons/follow-up/')))[pid(meeting, later)]
    assert 'No phone or e-mail: send a letter.' in row
    assert 'Sync' not in row.split('followup-actions')[1]
    # The citizen has a number now: Sync sends the summons, once.
    User.update(phone='+4520112233', email='nyt@example.test').where(
        User.id == later.id).execute()
    row = rows(text(client.get('/summons/follow-up/')))[pid(meeting, later)]
    assert 'No notice has been sent to the citizen.' in row
    assert 'Sync' in row.split('followup-actions')[1]
    for _ in range(2):
        client.post(f'/summons/follow-up/meetings/{meeting.id}/sync', data={})
    sent = list(Message.select().where(Message.meeting == meeting).order_by(Message.channel))
    assert [(m.channel, m.status) for m in sent] == [(Message.EMAIL, Message.SENT),
                                                     (Message.SMS, Message.SENT)]
    assert sent[1].recipient == '+4520112233' and 'summoned' in sent[1].body
    assert 'Delivered' in rows(text(client.get('/summons/follow-up/')))[pid(meeting, later)]
    # A cancelled meeting is never summoned afresh.
    other = citizen('Aflyst Møde')
    gone = summon(w, [other], days=5)
    Meeting.update(status=Meeting.CANCELLED).where(Meeting.id == gone.id).execute()
    client.post(f'/summons/follow-up/meetings/{gone.id}/sync', data={})
    assert not Message.select().where(Message.meeting == gone).exists()


def test_group_meeting_sync_covers_every_participant_and_swaps_the_rows(
        client, login, world, citizen):
    w = world
    people = [citizen(f'Deltager {n}') for n in range(3)]
    meeting = summon(w, people, form=Meeting.GROUP, others=[w.bo], team=w.centre)
    notices = [notice(meeting, people[0], Message.FAILED, error='Vonage status 4: x'),
               notice(meeting, people[1], Message.FAILED, error='Vonage status 4: x'),
               notice(meeting, people[2], Message.SENT)]
    login(w.planner)
    html = text(client.get('/summons/follow-up/'))
    assert len(rows(html)) == 3
    assert 'Anna Andersen, Bo Berg' in html
    ids = [pid(meeting, p) for p in people]
    response = client.post(
        f'/summons/follow-up/meetings/{meeting.id}/sync',
        data={'next': '/summons/follow-up/', 'row': ids[:2] + [ids[2]]},
        headers={'HX-Request': 'true', 'HX-Target': f'followup-meeting-{meeting.id}'})
    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith(f'<tbody id="followup-meeting-{meeting.id}"')
    assert '<html' not in body
    assert set(rows(body)) == set(ids)
    assert all('Delivered' in r for r in rows(body).values())
    assert [Message.get_by_id(n.id).status for n in notices] == [Message.SENT] * 3
    assert Message.select().count() == 3
    # The counts at the top come along out of band, now at 0.
    assert 'id="followup-counts" class="followup-counts" hx-swap-oob="true"' in body
    assert '<strong id="count-citizen">0</strong>' in body


@pytest.mark.parametrize('app_config', [CLOSED_CALDAV])
def test_calendar_state_count_and_sync(client, login, world, citizen):
    w = world
    asta, bent = citizen('Asta Kalender'), citizen('Bent Kalender')
    m_ok = summon(w, [asta])
    notice(m_ok, asta, Message.SENT)
    CalendarSync.create(meeting=m_ok, caseworker=w.anna, status=CalendarSync.SYNCED,
                        synced_revision=0)
    m_bad = summon(w, [bent], days=4, form=Meeting.GROUP, others=[w.bo])
    notice(m_bad, bent, Message.SENT)
    CalendarSync.create(meeting=m_bad, caseworker=w.anna, status=CalendarSync.FAILED,
                        attempts=6, last_error='The calendar server refused the password.')
    CalendarSync.create(meeting=m_bad, caseworker=w.bo, status=CalendarSync.SYNCED,
                        synced_revision=0)
    login(w.planner)
    html = text(client.get('/summons/follow-up/'))
    assert count(html, 'calendar') == 1
    assert count(html, 'citizen') == 0
    found = rows(html)
    assert 'Updated' in found[pid(m_ok, asta)]
    assert 'Not updated' in found[pid(m_bad, bent)]
    # A note without a kind (kept from before kinds were) reads as a plain sentence.
    assert 'The calendar could not be updated.' in found[pid(m_bad, bent)]
    assert 'refused the password' not in found[pid(m_bad, bent)]
    filtered = text(client.get(count_link(html, 'calendar')))
    assert names_in(filtered) == {'Bent Kalender'}

    # Sync tries the failed calendar again from a fresh count (the server at
    # CALDAV_URL does not answer, so it waits for the next retry).
    client.post(f'/summons/follow-up/meetings/{m_bad.id}/sync', data={})
    row = CalendarSync.get(CalendarSync.meeting == m_bad, CalendarSync.caseworker == w.anna)
    assert row.status == CalendarSync.QUEUED and row.attempts == 1
    assert row.next_attempt_at is not None
    page = text(client.get('/summons/follow-up/'))
    assert 'Waiting to be updated' in rows(page)[pid(m_bad, bent)]
    assert count(page, 'calendar') == 1
    # The synced calendar was left alone.
    assert CalendarSync.get(CalendarSync.meeting == m_bad,
                            CalendarSync.caseworker == w.bo).status == CalendarSync.SYNCED


@pytest.mark.parametrize('app_config', [CLOSED_CALDAV])
def test_a_calendar_error_reads_in_the_language_of_the_page(client, login, world, citizen):
    w = world
    bent = citizen('Bent Kalender')
    meeting = summon(w, [bent])
    notice(meeting, bent, Message.SENT)
    CalendarSync.create(meeting=meeting, caseworker=w.anna, status=CalendarSync.FAILED,
                        attempts=6, last_error='')
    login(w.planner)
    # Sync tries it for real: nothing answers at CALDAV_URL.
    client.post(f'/summons/follow-up/meetings/{meeting.id}/sync', data={})
    row = CalendarSync.get(CalendarSync.meeting == meeting)
    assert 'Could not connect to the calendar server at 127.0.0.1:9' in row.last_error
    assert 'connection refused' in row.last_error          # English in the database
    english = rows(text(client.get('/summons/follow-up/')))[pid(meeting, bent)]
    assert ('Could not connect to the calendar server at 127.0.0.1:9 '
            '(connection refused).') in english
    for language, words in (
            ('da', 'Kunne ikke få forbindelse til kalenderserveren på 127.0.0.1:9 '
                   '(forbindelsen blev afvist).'),
            ('sv', 'Kunde inte ansluta till kalenderservern på 127.0.0.1:9 '
                   '(anslutningen nekades).')):
        shown = rows(text(client.get('/summons/follow-up/',
                                     headers={'Accept-Language': language})))
        assert words in shown[pid(meeting, bent)], language
        for english_words in ('connect', 'calendar server', 'refused', 'Waiting to be updated'):
            assert english_words not in shown[pid(meeting, bent)], (language, english_words)


# --- letters ---------------------------------------------------------------------

def test_letters_show_the_summons_and_mark_as_printed(client, login, world, citizen):
    w = world
    erik, else_ = citizen('Erik Brev'), citizen('Else Brev')
    texted = citizen('Tekst Modtager')
    by_letter = summon(w, [erik, else_], days=5, hour=9, attendance=Meeting.LETTER,
                       form=Meeting.GROUP, team=w.centre)
    by_sms = summon(w, [texted], days=6, show_caseworker=False)
    notice(by_sms, texted, Message.SENT)
    login(w.planner)
    html = text(client.get('/summons/follow-up/'))
    letter_link = f'/summons/follow-up/letters?meeting={by_letter.id}'
    assert letter_link in html.replace('&amp;', '&')

    page = client.get(f'/summons/follow-up/letters?meeting={by_letter.id}&meeting={by_sms.id}')
    assert page.status_code == 200
    body = text(page)
    letters = re.findall(r'<article class="letter".*?</article>', body, re.S)
    assert len(letters) == 2                       # the SMS citizen needs no letter
    first = letters[0]
    assert 'Jobcenter Testby' in first and 'Summons to a meeting' in first
    assert 'Job interview' in first and '9:00' in first
    assert 'Jobvej 1, 8000 Aarhus C' in first
    assert 'Anna Andersen' in first
    # A summons states the duties of one summoned, not the booking text
    # (which speaks of a time the citizen booked).
    assert 'You are summoned to this meeting and must attend' in first
    assert 'Du skal møde op til samtalen.' not in first
    assert {'Erik Brev', 'Else Brev'} == {n for n in ('Erik Brev', 'Else Brev')
                                         if any(n in letter for letter in letters)}
    assert 'Tekst Modtager' not in body
    assert erik.cpr not in body
    assert 'css/followup.css' in body
    css = client.get('/static/css/followup.css').get_data(as_text=True)
    assert '@media print' in css and 'break-after: page' in css

    # The SMS citizen's letter on request; no caseworker name when hidden.
    asked = text(client.get(f'/summons/follow-up/letters?meeting={by_sms.id}'
                            f'&citizen={texted.id}'))
    assert 'Tekst Modtager' in asked and 'Anna Andersen' not in asked

    # A Danish citizen reads the meeting type in Danish.
    dansk = citizen('Dansk Borger', language='da')
    summon(w, [dansk], attendance=Meeting.LETTER, days=9)
    danish = Meeting.select().order_by(Meeting.id.desc()).first()
    assert 'Jobsamtale' in text(client.get(f'/summons/follow-up/letters?meeting={danish.id}'))

    assert count(html, 'citizen') == 2
    done = client.post('/summons/follow-up/letters/printed', data={
        'participant': [pid(by_letter, erik), pid(by_letter, else_)],
        'next': f'/summons/follow-up/letters?meeting={by_letter.id}'})
    assert done.status_code == 303
    assert done.headers['Location'].endswith(f'/summons/follow-up/letters?meeting={by_letter.id}')
    printed = MeetingParticipant.get_by_id(pid(by_letter, erik)).letter_printed_at
    assert printed is not None
    assert '2 letters are marked as printed.' in text(client.get(done.headers['Location']))
    after = text(client.get('/summons/follow-up/'))
    assert count(after, 'citizen') == 1            # only the Danish letter is left
    assert 'Letter printed' in rows(after)[pid(by_letter, erik)]
    # Printing again keeps the first time.
    client.post('/summons/follow-up/letters/printed',
                data={'participant': [pid(by_letter, erik)]})
    assert MeetingParticipant.get_by_id(pid(by_letter, erik)).letter_printed_at == printed


def test_a_letter_can_be_posted(client, login, world, citizen):
    """Recipient's name and postal address in the window, the sender, the
    date, the subject, the room of the meeting and the rights and duties
    of a summons; no booking wording."""
    w = world
    erik = citizen('Erik Brev', language='da')
    CitizenProfile.create(user=erik, organisation=w.org, address='Søndergade 12, 2. th.',
                          postcode='8000', city='Aarhus C')
    room = Room.create(organisation=w.org, name='Mødelokale 3', capacity=4, address='Jobvej 3',
                       postcode='8000', city='Aarhus C')
    meeting = summon(w, [erik], attendance=Meeting.LETTER, team=w.centre)
    Meeting.update(room=room).where(Meeting.id == meeting.id).execute()
    login(w.planner)
    body = text(client.get(f'/summons/follow-up/letters?meeting={meeting.id}'))
    [letter] = re.findall(r'<article class="letter".*?</article>', body, re.S)
    window = re.search(r'<address class="letter-window".*?</address>', letter, re.S).group(0)
    assert all(line in window for line in ('Erik Brev', 'Søndergade 12, 2. th.', '8000 Aarhus C'))
    sender = re.search(r'<address class="letter-sender".*?</address>', letter, re.S).group(0)
    assert 'Jobcenter Testby' in sender and 'Jobvej 1' in sender and '+4570101010' in sender
    assert 'Indkaldelse til et møde: Jobsamtale' in letter
    assert 'Mødelokale 3, Jobvej 3, 8000 Aarhus C' in letter
    assert 'Du er indkaldt til mødet' in letter and 'booket' not in letter
    assert 'Med venlig hilsen' in letter        # the citizen's language, not the page's
    assert 'cannot be posted' not in body


def test_a_letter_without_a_postal_address_is_flagged(client, login, world, citizen):
    w = world
    nobody = citizen('Uden Adresse')
    meeting = summon(w, [nobody], attendance=Meeting.LETTER)
    login(w.planner)
    body = text(client.get(f'/summons/follow-up/letters?meeting={meeting.id}'))
    assert 'No postal address is registered for Uden Adresse' in body


def test_all_letters_of_a_summons_as_one_pdf(client, login, world, citizen):
    w = world
    people = [citizen(name) for name in ('Erik Brev', 'Else Brev', 'Åse Ørum')]
    for person in people:
        CitizenProfile.create(user=person, organisation=w.org, address='Torvet 1',
                              postcode='8000', city='Aarhus C')
    meeting = summon(w, people, attendance=Meeting.LETTER, form=Meeting.GROUP)
    login(w.planner)
    page = text(client.get(f'/summons/follow-up/letters?meeting={meeting.id}'))
    assert f'/summons/follow-up/letters.pdf?meeting={meeting.id}' in page.replace('&amp;', '&')
    response = client.get(f'/summons/follow-up/letters.pdf?meeting={meeting.id}')
    assert response.status_code == 200
    assert response.headers['Content-Type'] == 'application/pdf'
    assert 'attachment' in response.headers['Content-Disposition']
    pdf = PdfReader(io.BytesIO(response.get_data()))
    assert len(pdf.pages) == 3                       # one letter a page
    pages = [page.extract_text() for page in pdf.pages]
    for person, page_text in zip(sorted(people, key=lambda p: p.name), pages):
        assert person.name in page_text and 'Torvet 1' in page_text
        assert 'Summons to a meeting' in page_text
    assert client.get('/summons/follow-up/letters.pdf?meeting=999999').status_code == 404


def test_the_wizard_can_link_to_the_letters(app, world, citizen):
    from flask import url_for
    with app.test_request_context():
        url = url_for('followup.letters', meeting=[3, 5])
    assert url == '/summons/follow-up/letters?meeting=3&meeting=5'


# --- who may ---------------------------------------------------------------------

def test_other_organisation_gets_404_and_citizen_403(client, login, world, citizen,
                                                     make_org, make_user):
    w = world
    bent = citizen('Bent Fejl')
    meeting = summon(w, [bent], attendance=Meeting.LETTER)
    failed = notice(meeting, bent, Message.FAILED, error='Vonage status 4: x')

    outsider = make_user(make_org('planner'), User.ADMIN)
    login(outsider)
    assert client.get('/summons/follow-up/').status_code == 200
    assert 'Bent Fejl' not in text(client.get('/summons/follow-up/'))
    assert client.post(f'/summons/follow-up/meetings/{meeting.id}/sync').status_code == 404
    assert client.get(f'/summons/follow-up/letters?meeting={meeting.id}').status_code == 404
    client.post('/summons/follow-up/letters/printed',
                data={'participant': [pid(meeting, bent)]})
    assert MeetingParticipant.get_by_id(pid(meeting, bent)).letter_printed_at is None
    assert Message.get_by_id(failed.id).status == Message.FAILED

    login(bent)
    assert client.get('/summons/follow-up/').status_code == 403
    assert client.get(f'/summons/follow-up/letters?meeting={meeting.id}').status_code == 403
    assert client.post(f'/summons/follow-up/meetings/{meeting.id}/sync').status_code == 403

    login(make_user(make_org('pool'), User.ADMIN))
    assert client.get('/summons/follow-up/').status_code == 403

    # Staff of the job centre: planners, administrators and caseworkers.
    for user in (w.planner, w.admin, w.anna.user):
        login(user)
        assert client.get('/summons/follow-up/').status_code == 200
    # A meeting booked without a summons is not on the list: no Sync for it.
    plain = summon(w, [citizen('Ikke Indkaldt')], summoned=False)
    assert client.post(f'/summons/follow-up/meetings/{plain.id}/sync').status_code == 404


def test_sync_needs_the_csrf_token(world, citizen, app, make_user):
    app.config['WTF_CSRF_ENABLED'] = True
    bent = citizen('Bent Fejl')
    meeting = summon(world, [bent])
    notice(meeting, bent, Message.FAILED, error='Vonage status 4: x')
    client = app.test_client()
    from models import UserSession
    token = UserSession.open(world.planner)
    with client.session_transaction() as session:
        session['_user_id'] = token
    html = text(client.get('/summons/follow-up/'))
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post(f'/summons/follow-up/meetings/{meeting.id}/sync').status_code == 400
    assert Message.get(Message.user == bent).status == Message.FAILED
    ok = client.post(f'/summons/follow-up/meetings/{meeting.id}/sync',
                     data={'csrf_token': csrf})
    assert ok.status_code == 303
    assert Message.get(Message.user == bent).status == Message.SENT


def test_plain_error_words():
    def message(error, channel=Message.SMS, recipient='+4520000000'):
        return Message(channel=channel, last_error=error, recipient=recipient)
    assert followup.plain_error(message('')) == ''
    assert followup.plain_error(message(Message.STALLED + '; queued again')).startswith(
        'Sending the SMS stalled')
    assert followup.plain_error(message('ConnectionError: boom')) == \
        'The SMS could not be sent: ConnectionError: boom'
    assert followup.plain_error(message('SMTPRecipientsRefused: no', Message.EMAIL,
                                        'a@example.test')) == \
        'The e-mail could not be sent: SMTPRecipientsRefused: no'
    assert followup.plain_error(message('No recipient', Message.EMAIL, '')) == \
        'There is no e-mail address to send to.'
