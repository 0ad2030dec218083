"""The audit trail: logins and failed logins (UTC, IP, never a CPR number),
staff reading citizens' and substitutes' data (one event per page view),
and the administrators' search of their own organisation's log."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from models import (AuditEvent, Meeting, MeetingParticipant, MeetingType, Message, PendingSummons,
                    Team, User, utcnow)
from tests.conftest import PASSWORD

UTC = dt.timezone.utc


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id))


def audit_text_columns() -> list[str]:
    """Every text value of every audit event (to look for what must not be there)."""
    columns = [f for f in AuditEvent._meta.sorted_fields
               if f.field_type in ('VARCHAR', 'TEXT')]
    return [value for row in AuditEvent.select(*columns).tuples() for value in row if value]


def shown_event_ids(response) -> list[int]:
    return [int(n) for n in re.findall(r'id="audit-event-(\d+)"', response.get_data(as_text=True))]


# --- logins ------------------------------------------------------------------------

def test_a_staff_login_is_logged_in_utc_with_the_ip(client, jobcentre, make_user):
    planner = make_user(jobcentre, User.PLANNER)
    before = utcnow()
    response = client.post('/login', data={'email': planner.email, 'password': PASSWORD},
                           environ_base={'REMOTE_ADDR': '192.0.2.7'})
    after = utcnow()
    assert response.status_code == 303
    [event] = events('login')
    assert event.actor_id == planner.id and event.organisation_id == jobcentre.id
    assert event.ip == '192.0.2.7' and event.detail == 'password'
    # Stored as naive UTC: between two UTC readings, not an hour or two off.
    assert event.at.tzinfo is None and before <= event.at <= after


def test_failed_staff_and_substitute_logins_name_the_account_masked(
        client, jobcentre, municipality, make_user):
    planner = make_user(jobcentre, User.PLANNER, email='annelise.planner@example.test')
    substitute = make_user(municipality, User.SUBSTITUTE, username='dorthea')
    client.post('/login', data={'email': planner.email, 'password': 'wrong password'},
                environ_base={'REMOTE_ADDR': '198.51.100.4'})
    client.post('/login', data={'email': 'nobody.known@example.test', 'password': 'x'})
    client.post('/login/substitute', data={'username': 'dorthea', 'password': 'wrong'})

    known, unknown, sub = events('login_failed')
    assert (known.object_type, known.object_id) == ('User', planner.id)
    assert known.organisation_id == jobcentre.id          # its admins see it
    assert known.actor_id is None and known.ip == '198.51.100.4'
    assert known.detail == 'staff an•••@example.test'
    assert 'annelise' not in known.detail
    assert unknown.organisation_id is None and unknown.object_id is None
    assert unknown.detail == 'staff no•••@example.test'
    assert (sub.object_id, sub.organisation_id) == (substitute.id, municipality.id)
    assert sub.detail == 'substitute do•••'
    assert all(abs(e.at - utcnow()) < dt.timedelta(minutes=1) for e in (known, unknown, sub))


def test_citizen_logins_and_failures_never_log_a_cpr_number(client, jobcentre, make_user):
    citizen = make_user(jobcentre, User.CITIZEN, cpr='0101901234', phone='+4520304050')
    no_phone = make_user(jobcentre, User.CITIZEN, cpr='0202905678', phone=None)
    client.post('/login/citizen', data={'cpr': '020290-5678'})        # no phone
    client.post('/login/citizen', data={'cpr': '030390-9999'})        # unknown
    client.post('/login/citizen', data={'cpr': '010190-1234'})        # code sent
    client.post('/login/code', data={'code': '000000'})                # wrong code (likely)
    code = re.search(r'\d{6}', Message.get(Message.user == citizen,
                                           Message.kind == Message.CODE).body).group()
    if code == '000000':   # one in a million: the "wrong" code was right
        pytest.skip('the random code was 000000')
    client.post('/login/code', data={'code': code})

    failed = events('login_failed')
    assert [e.detail for e in failed] == ['citizen no mobile number', 'citizen unknown CPR number']
    assert failed[0].object_id == no_phone.id and failed[1].object_id is None
    [wrong_code] = events('code_failed')
    assert wrong_code.object_id == citizen.id and wrong_code.organisation_id == jobcentre.id
    [login] = events('login')
    assert login.actor_id == citizen.id and login.detail == 'sms'
    logged = ' '.join(audit_text_columns())
    for number in ('0101901234', '010190-1234', '0202905678', '020290-5678', '0303909999',
                   '030390-9999', '1234', '5678', '9999'):
        assert number not in logged


# --- reads of personal data ---------------------------------------------------------------

def _group_meeting(org, caseworker_user, citizens, *, days=3):
    from models import Caseworker, CaseworkerTeam
    team = Team.create(organisation=org, name='Dagpenge')
    cw = Caseworker.create(user=caseworker_user, organisation=org)
    CaseworkerTeam.create(caseworker=cw, team=team)
    start = (utcnow() + dt.timedelta(days=days)).replace(hour=9, minute=0, second=0,
                                                        microsecond=0)
    meeting = Meeting.create(organisation=org, team=team, caseworker=cw, form=Meeting.GROUP,
                             meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'),
                             starts_at=start, ends_at=start + dt.timedelta(hours=1))
    for citizen in citizens:
        MeetingParticipant.create(meeting=meeting, citizen=citizen)
    return meeting


def test_opening_a_meeting_logs_one_read_whatever_the_number_of_citizens(
        client, login, jobcentre, make_user):
    caseworker = make_user(jobcentre, User.CASEWORKER, name='Karen Vejleder')
    citizens = [make_user(jobcentre, User.CITIZEN, name=f'Borger {i}') for i in range(3)]
    meeting = _group_meeting(jobcentre, caseworker, citizens)
    login(caseworker)
    response = client.get(f'/calendar/meeting/{meeting.id}')
    assert response.status_code == 200 and 'Borger 2' in text(response)
    assert response.headers['Cache-Control'] == 'no-store'
    [read] = events('meeting_read')
    assert (read.actor_id, read.object_type, read.object_id) == (
        caseworker.id, 'Meeting', meeting.id)
    assert read.detail == '3 citizens'
    client.get(f'/calendar/meeting/{meeting.id}')
    assert len(events('meeting_read')) == 2


def test_cancelling_a_meeting_from_the_calendar_is_logged(client, login, jobcentre, make_user):
    caseworker = make_user(jobcentre, User.CASEWORKER)
    meeting = _group_meeting(jobcentre, caseworker, [make_user(jobcentre, User.CITIZEN)])
    login(caseworker)
    response = client.post(f'/calendar/meeting/{meeting.id}', data={'action': 'cancel'})
    assert response.status_code == 303
    [cancelled] = events('meeting_cancelled')
    assert (cancelled.actor_id, cancelled.object_id) == (caseworker.id, meeting.id)


def test_the_pending_list_logs_one_read_per_view(client, login, jobcentre, make_user):
    planner = make_user(jobcentre, User.PLANNER)
    for i in range(4):
        PendingSummons.create(organisation=jobcentre,
                              citizen=make_user(jobcentre, User.CITIZEN, name=f'Venter {i}'))
    login(planner)
    response = client.get('/summons/pending/')
    assert response.status_code == 200 and 'Venter 3' in text(response)
    [read] = events('pending_read')
    assert read.actor_id == planner.id and read.detail == '4 citizens'


def test_summons_citizen_lists_log_one_read_per_view(client, login, jobcentre, make_user):
    from tests.summons_support import draft_with, make_citizens, make_team
    centre = make_team(jobcentre, make_user, 2)
    draft = draft_with(centre, make_citizens(jobcentre, make_user, 5),
                       now=dt.datetime.now(UTC))
    login(centre.planner)
    response = client.get(f'/summons/{draft.id}/citizens')
    assert response.status_code == 200
    [read] = events('summons_citizens_read')
    assert (read.actor_id, read.object_type, read.object_id, read.detail) == (
        centre.planner.id, 'SummonsDraft', draft.id, '5 citizens')


def test_a_substitutes_profile_read_and_change_are_logged(client, login, municipality,
                                                          make_user):
    planner = make_user(municipality, User.PLANNER)
    dora = make_user(municipality, User.SUBSTITUTE, name='Dora Vikarie')
    login(planner)
    assert client.get('/pool/substitutes/').status_code == 200
    assert client.get(f'/pool/substitutes/{dora.id}').status_code == 200
    response = client.post(f'/pool/substitutes/{dora.id}', data={
        'name': 'Dora Vikarie', 'username': dora.username, 'phone': '070-123 45 67',
        'email': '', 'language': '', 'active': 'y'}, environ_base={'REMOTE_ADDR': '10.0.0.9'})
    assert response.status_code == 303
    [listed] = events('substitutes_read')
    assert listed.actor_id == planner.id and listed.object_id is None
    [read] = events('substitute_read')
    assert (read.object_type, read.object_id) == ('User', dora.id)
    [saved] = events('substitute_saved')
    assert saved.object_id == dora.id and saved.ip == '10.0.0.9'


# --- the administrators' search ------------------------------------------------------------

@pytest.fixture
def admin(jobcentre, make_user):
    return make_user(jobcentre, User.ADMIN, name='Ada Admin')


def _event(org, action, *, at, actor=None, obj=None, detail=''):
    event = AuditEvent.record(action, actor=actor, organisation=org, obj=obj, detail=detail)
    event.at = at
    event.save()
    return event


def test_the_audit_log_is_in_the_admin_menu_and_for_admins_only(
        client, login, jobcentre, municipality, admin, make_user):
    login(admin)
    assert 'href="/admin/audit/"' in text(client.get('/admin/'))
    assert client.get('/admin/audit/').status_code == 200
    for role in (User.PLANNER, User.CASEWORKER):
        login(make_user(jobcentre, role))
        assert client.get('/admin/audit/').status_code == 403
    login(make_user(jobcentre, User.CITIZEN))
    assert client.get('/admin/audit/').status_code == 403
    # A pool's administrators have a log too (substitutes' profiles).
    login(make_user(municipality, User.ADMIN))
    assert client.get('/admin/audit/').status_code == 200
    client.post('/logout')
    assert client.get('/admin/audit/').status_code == 302


def test_an_admin_sees_only_their_own_organisations_events(
        client, login, jobcentre, make_org, make_user, admin):
    other = make_org('planner', 'Jobcenter Andetby')
    stranger = make_user(other, User.CASEWORKER, name='Fremmed Vejleder')
    now = utcnow()
    mine = _event(jobcentre, 'meeting_read', at=now, actor=admin, detail='ours')
    theirs = _event(other, 'meeting_read', at=now, actor=stranger, detail='theirs')
    homeless = _event(None, 'login_failed', at=now, detail='staff xx•••@example.test')
    login(admin)
    response = client.get('/admin/audit/')
    shown = shown_event_ids(response)
    assert mine.id in shown and theirs.id not in shown and homeless.id not in shown
    assert 'Fremmed Vejleder' not in text(response)
    # Not even by naming it in the search.
    response = client.get('/admin/audit/', query_string={'actor': 'Fremmed'})
    assert shown_event_ids(response) == []


def test_the_search_filters_by_local_dates_action_actor_object_and_text(
        client, login, jobcentre, make_user, admin):
    karen = make_user(jobcentre, User.CASEWORKER, name='Karen Vejleder')
    ole = make_user(jobcentre, User.CASEWORKER, name='Ole Olsen')
    citizen = make_user(jobcentre, User.CITIZEN)
    # 23:30 UTC on Saturday 28 March 2026 is 00:30 on Sunday 29 March in
    # Copenhagen (and that night the clocks go forward).
    late = _event(jobcentre, 'meeting_read', at=dt.datetime(2026, 3, 28, 23, 30),
                  actor=karen, detail='3 citizens')
    early = _event(jobcentre, 'citizen_read', at=dt.datetime(2026, 3, 28, 22, 59),
                   actor=ole, obj=citizen)
    summer = _event(jobcentre, 'meeting_read', at=dt.datetime(2026, 3, 29, 21, 59),
                    actor=ole, detail='7 citizens')
    next_day = _event(jobcentre, 'meeting_read', at=dt.datetime(2026, 3, 29, 22, 0),
                      actor=karen, detail='1 citizens')
    login(admin)

    def search(**args):
        response = client.get('/admin/audit/', query_string=args)
        assert response.status_code == 200
        return shown_event_ids(response)

    # Sunday 29 March, local: 23:00 UTC Saturday (CET) to 22:00 UTC Sunday (CEST).
    assert search(date_from='2026-03-29', date_to='2026-03-29') == [summer.id, late.id]
    assert search(date_from='2026-03-28', date_to='2026-03-28') == [early.id]
    # 22:00 UTC on Sunday is already Monday 30 March in Copenhagen.
    assert search(date_from='2026-03-30', date_to='2026-03-30') == [next_day.id]
    assert search(date_to='2026-03-29') == [summer.id, late.id, early.id]
    assert search(action='citizen_read') == [early.id]
    assert search(actor='karen', date_to='2026-03-30') == [next_day.id, late.id]
    assert search(actor='OLE olsen', date_to='2026-03-30') == [summer.id, early.id]
    assert search(object_type='User', object_id=citizen.id) == [early.id]
    assert search(text='7 cit') == [summer.id]
    # A field with an error does not filter (and says why).
    response = client.get('/admin/audit/', query_string={
        'date_from': '2026-03-30', 'date_to': '2026-03-28', 'action': 'citizen_read'})
    assert 'The end date is before the start date.' in text(response)
    # The local time is shown, the UTC time beside it.
    page = text(client.get('/admin/audit/', query_string={'action': 'citizen_read'}))
    assert '2026-03-28 22:59:00 UTC' in page
    assert '28 Mar 2026, 23:59' in page      # 23:59 CET, the day before the month
    assert 'datetime="2026-03-28T22:59:00Z"' in page
    assert 'By Ole Olsen, caseworker' in page
    assert f'Concerning: Person #{citizen.id}' in page


def test_the_log_pages_by_fifty_newest_first(client, login, jobcentre, admin):
    start = dt.datetime(2026, 11, 2, 8, 0)
    made = [_event(jobcentre, 'meeting_read', at=start + dt.timedelta(minutes=i),
                   actor=admin, detail=f'row {i}').id for i in range(120)]
    login(admin)
    first = client.get('/admin/audit/', query_string={'action': 'meeting_read'})
    assert shown_event_ids(first) == made[::-1][:50]
    assert '120 events' in text(first) and 'Page 1 of 3' in text(first)
    assert '?action=meeting_read&amp;page=2' in first.get_data(as_text=True)
    third = client.get('/admin/audit/', query_string={'action': 'meeting_read', 'page': 3})
    assert shown_event_ids(third) == made[::-1][100:]
    beyond = client.get('/admin/audit/', query_string={'action': 'meeting_read', 'page': 99})
    assert shown_event_ids(beyond) == made[::-1][100:]
    # Reading the log is in the log.
    assert len(events('audit_read')) == 3


@pytest.mark.parametrize('language, expected, english', [
    ('da', ['3 borgere', 'med adgangskode', '8. dec. 2030 09:00', 'side 2, 50 vist'],
     ['3 citizens', 'password', 'Dec 8, 2030', 'page 2, 50 events']),
    ('sv', ['3 invånare', 'med lösenord', '8 dec. 2030 09:00', 'sida 2, 50 visade'],
     ['3 citizens', 'password', 'Dec 8, 2030', 'page 2, 50 events']),
])
def test_the_details_and_times_read_in_the_pages_language(client, login, jobcentre, admin,
                                                          language, expected, english):
    at = dt.datetime(2030, 12, 8, 8)     # 09:00 in Copenhagen
    _event(jobcentre, 'meeting_read', at=at, detail='3 citizens')
    _event(jobcentre, 'login', at=at, detail='password')
    _event(jobcentre, 'audit_read', at=at, detail='page 2, 50 events')
    login(admin)
    page = text(client.get('/admin/audit/', headers={'Accept-Language': language}))
    for shown in expected:
        assert shown in page
    details = re.findall(r'class="audit-detail">([^<]*)<', page)
    for hidden in english:
        assert hidden not in details and hidden not in page.replace('UTC', '')
