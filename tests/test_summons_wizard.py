"""The summons wizard through HTTP: the frame, the citizens, the review,
"Summon now", and the calendar's way in."""
import datetime as dt
import html as html_lib
import io
import re

import pytest
from pypdf import PdfReader

from models import (Meeting, MeetingCaseworker, MeetingParticipant, MeetingType, PendingSummons,
                    Room, RoomTeam, SummonsDraft, SummonsDraftCitizen, TypeVariant, User)
from planner import summons
from tests.test_offers_support import (make_caseworker, make_citizen, next_monday,  # noqa: F401
                                       world)

CPRS = ('0101901111', '0202902222', '0303903333', '0404904444', '0505905555')
NAMES = ('Anna Andersen', 'Bent Berg', 'Carla Clausen', 'Dorte Dam', 'Erik Eriksen')


@pytest.fixture
def citizens(world, make_user):
    return [make_citizen(world['org'], make_user, name, cpr=cpr)
            for name, cpr in zip(NAMES, CPRS)]


def _jobsamtale():
    return MeetingType.get(MeetingType.code == 'jobsamtale')


def frame_data(w, **extra):
    data = dict(meeting_type_id=_jobsamtale().id, team_id=w['team'].id, variant_id=0,
                meeting_form='individual', group_seats='room', per_meeting='',
                rebooking_seats=0, attendance='in_person', room_id=0,
                caseworker_ids=[w['karen'].id, w['ole'].id], duration='45', duration_other='',
                reporting_minutes=0, distribution='auto',
                earliest_date=next_monday(w['org']).isoformat(), fixed_date='', fixed_time='',
                rebooking_allowed='y', rebooking_days_before=1, note='Husk CV', action='next')
    data.update(extra)
    return data


def _text(response) -> str:
    return response.get_data(as_text=True)


def _new_draft(client) -> str:
    r = client.post('/summons/', data={'action': 'new'})
    assert r.status_code == 303
    assert re.search(r'/summons/\d+/frame$', r.headers['Location'])
    return r.headers['Location'].rsplit('/', 1)[0]


def _paste(cprs, names=NAMES) -> str:
    lines = ['Navn\tPersonnr.'] + [f'{n}\t{c[:6]}-{c[6:]}' for n, c in zip(names, cprs)]
    return '\n'.join(lines)


def test_happy_path_paste_review_untick_and_summon(client, login, world, citizens):
    w = world
    login(w['planner'])
    base = _new_draft(client)
    page = client.get(base + '/frame')
    html = _text(page)
    assert page.status_code == 200 and 'Step 1 of 3' in html and 'Show free times' in html

    r = client.post(base + '/frame', data=frame_data(w))
    assert r.status_code == 303 and r.headers['Location'].endswith('/citizens')
    html = _text(client.get(base + '/citizens'))
    assert 'Step 2 of 3' in html and 'Nobody is on the list yet' in html
    assert 'Karen Vejleder, Ole Olsen' in html      # what step 1 chose

    r = client.post(base + '/citizens', data={'action': 'paste', 'text': _paste(CPRS)})
    assert r.status_code == 303
    html = _text(client.get(r.headers['Location']))
    assert '5 citizens added to the list.' in html
    assert '5 citizens on the list' in html and '5 selected' in html
    for name, cpr in zip(NAMES, CPRS):
        assert name in html and f'{cpr[:6]}-xxxx' in html
        assert cpr not in html                      # never the full CPR number

    r = client.post(base + '/citizens', data={'action': 'next'})
    assert r.status_code == 303 and r.headers['Location'].endswith('/review')
    html = _text(client.get(base + '/review'))
    assert 'Step 3 of 3' in html
    assert '5 citizens placed' in html and '0 with no free time' in html
    assert '5 ticked to summon' in html
    assert html.count('Late: after the deadline') == 0

    rows = list(SummonsDraftCitizen.select().order_by(SummonsDraftCitizen.position))
    bent = next(row for row in rows if row.citizen_id == citizens[1].id)
    ticked = [row.id for row in rows if row.id != bent.id]
    r = client.post(base + '/review', data={'action': 'summon', 'ticked': ticked})
    assert r.status_code == 303 and r.headers['Location'].endswith('/summons/result')
    html = _text(client.get(r.headers['Location']))
    assert '4 meetings made' in html
    assert '1 citizen put on the pending list' in html

    meetings = list(Meeting.select())
    assert len(meetings) == 4
    assert all(m.summoned_at is not None and m.note == 'Husk CV' for m in meetings)
    assert all(m.caseworker_id in (w['karen'].id, w['ole'].id) for m in meetings)
    summoned = {p.citizen_id for p in MeetingParticipant.select()}
    assert summoned == {c.id for c in citizens} - {citizens[1].id}
    pending = list(PendingSummons.select())
    assert [p.citizen_id for p in pending] == [citizens[1].id]
    # Every meeting starts on or after the earliest summons date.
    monday = next_monday(w['org'])
    assert all(w['org'].local(m.starts_at).date() >= monday for m in meetings)


def test_step_1_refuses_variant_of_another_team_no_caseworker_and_a_small_room(
        client, login, world):
    w = world
    login(w['planner'])
    base = _new_draft(client)
    variant = TypeVariant.create(organisation=w['org'], name='Over 30')   # tied to nothing
    r = client.post(base + '/frame', data=frame_data(w, variant_id=variant.id))
    assert r.status_code == 200
    assert 'This variant is not used by the chosen team and meeting type.' in _text(r)
    assert 'Please correct the fields marked below.' in _text(r)

    r = client.post(base + '/frame', data=frame_data(w, caseworker_ids=[]))
    assert r.status_code == 200 and 'Choose at least one caseworker.' in _text(r)

    room = Room.create(organisation=w['org'], name='Lokale 2', capacity=2)
    RoomTeam.create(room=room, team=w['team'])
    r = client.post(base + '/frame', data=frame_data(
        w, meeting_form='group', group_seats='fixed', per_meeting=3, rebooking_seats=1,
        room_id=room.id))
    html = _text(r)
    assert r.status_code == 200 and 'The room has 2 seats' in html
    # Every field keeps what was entered.
    assert 'value="3"' in html and 'Lokale 2 (2 seats)' in html
    assert re.search(r'value="group"[^>]*checked|checked[^>]*value="group"', html)
    assert summons.frame_of(SummonsDraft.get()).team_id is None   # nothing saved

    # Without a team the caseworkers and variants wait for one.
    r = client.post(base + '/frame', data=frame_data(w, team_id=0, caseworker_ids=[]))
    assert 'Choose a team.' in _text(r)


def test_team_change_redraws_the_dependent_choices(client, login, world, make_user):
    w = world
    login(w['planner'])
    from models import Team
    other = Team.create(organisation=w['org'], name='Jobparate')
    ida = make_caseworker(w['org'], other, make_user, 'Ida Ude')
    base = _new_draft(client)
    # htmx asks for the dependent part only, with the newly chosen team.
    r = client.get(base + f'/frame?team_id={other.id}&meeting_type_id={_jobsamtale().id}',
                   headers={'HX-Request': 'true', 'HX-Target': 'frame-dependent'})
    html = _text(r)
    assert html.lstrip().startswith('<div id="frame-dependent"') and '<html' not in html
    assert 'Ida Ude' in html and 'Karen Vejleder' not in html
    # Without JavaScript: "Update choices" posts the form and saves nothing.
    r = client.post(base + '/frame', data=frame_data(w, action='refresh', team_id=other.id))
    assert r.status_code == 200 and 'Ida Ude' in _text(r)
    assert summons.frame_of(SummonsDraft.get()).team_id is None


def test_bad_paste_rows_are_reported_by_line_and_good_rows_kept(client, login, world,
                                                               citizens):
    w = world
    login(w['planner'])
    base = _new_draft(client)
    assert client.post(base + '/frame', data=frame_data(w)).status_code == 303
    text = '\n'.join(['Personnr.', '010190-1111', '310290-1234', '020290-2222',
                      '111111-1111'])
    r = client.post(base + '/citizens', data={'action': 'paste', 'text': text})
    html = _text(r)
    assert r.status_code == 200
    assert 'Line 3: 310290-xxxx is not a valid CPR number' in html
    assert 'Line 5: no citizen with CPR number 111111-xxxx is known.' in html
    assert '2 citizens added to the list.' in html
    assert '2 citizens on the list' in html
    assert {row.citizen_id for row in SummonsDraftCitizen.select()} == {
        citizens[0].id, citizens[1].id}


def test_inactive_cpr_is_named_at_the_top(client, login, world, citizens):
    from models import CitizenProfile
    w = world
    CitizenProfile.update(cpr_inactive_reason='dead').where(
        CitizenProfile.user == citizens[2].id).execute()
    login(w['planner'])
    base = _new_draft(client)
    client.post(base + '/frame', data=frame_data(w))
    r = client.post(base + '/citizens', data={'action': 'paste', 'text': _paste(CPRS[:3])})
    html = _text(r)
    assert '1 citizen has an inactive CPR number and cannot be summoned' in html
    assert 'Carla Clausen (030390-xxxx)' in html
    assert SummonsDraftCitizen.select().count() == 2


def test_add_one_upload_and_row_edits(client, login, world, citizens):
    w = world
    login(w['planner'])
    base = _new_draft(client)
    client.post(base + '/frame', data=frame_data(w))
    r = client.post(base + '/citizens', data={'action': 'add_one', 'cpr': '999999-9999'})
    assert r.status_code == 200 and 'That is not a valid CPR number.' in _text(r)
    r = client.post(base + '/citizens', data={'action': 'add_one', 'cpr': '010190-1111'})
    assert r.status_code == 303
    assert 'Anna Andersen added to the list.' in _text(client.get(r.headers['Location']))
    import io
    csv = f'Personnr.;Falddato\n{CPRS[1]};2030-01-09\n'.encode()
    r = client.post(base + '/citizens', data={'action': 'upload',
                                              'file': (io.BytesIO(csv), 'liste.csv')},
                    content_type='multipart/form-data')
    assert r.status_code == 303
    bent = SummonsDraftCitizen.get(SummonsDraftCitizen.citizen == citizens[1].id)
    assert bent.due_date == dt.date(2030, 1, 11)           # the Friday of its week
    assert bent.deadline == dt.date(2030, 1, 11)

    # Deadlines three days before the due date.
    r = client.post(base + '/citizens', data={'action': 'deadlines',
                                              'deadline_mode': 'days_before',
                                              'deadline_days_before': 3})
    assert r.status_code == 303
    assert SummonsDraftCitizen.get_by_id(bent.id).deadline == dt.date(2030, 1, 8)

    # One row, through htmx: unselect it and set the deadline; only the row comes back.
    r = client.post(f'{base}/citizens/{bent.id}', data={
        'earliest': bent.earliest.isoformat(), 'earliest_was': bent.earliest.isoformat(),
        'deadline': '2030-01-04', 'deadline_was': '2030-01-08'},
        headers={'HX-Request': 'true', 'HX-Target': f'row-{bent.id}'})
    html = _text(r)
    assert html.lstrip().startswith(f'<tr id="row-{bent.id}"') and 'Set by hand' in html
    row = SummonsDraftCitizen.get_by_id(bent.id)
    assert not row.selected and row.deadline == dt.date(2030, 1, 4) and row.deadline_by_hand

    # Filters and sorting are plain links.
    html = _text(client.get(base + '/citizens?show=selected'))
    assert 'Anna Andersen' in html and 'Bent Berg' not in html and 'Reset filters' in html
    html = _text(client.get(base + '/citizens?sort=name&dir=desc'))
    assert html.index('Bent Berg') < html.index('Anna Andersen')

    # Removing asks first.
    html = _text(client.get(f'{base}/citizens?remove={bent.id}'))
    assert 'Remove Bent Berg (020290-xxxx) from the list?' in html
    assert SummonsDraftCitizen.select().count() == 2
    r = client.post(base + '/citizens', data={'action': 'remove', 'row_id': bent.id})
    assert r.status_code == 303 and SummonsDraftCitizen.select().count() == 1


def test_next_without_selected_citizens_says_so(client, login, world):
    login(world['planner'])
    base = _new_draft(client)
    client.post(base + '/frame', data=frame_data(world))
    r = client.post(base + '/citizens', data={'action': 'next'}, follow_redirects=True)
    assert 'Add at least one citizen to the list.' in _text(r)
    assert 'Step 2 of 3' in _text(r)


def test_another_planners_draft_is_404_and_citizens_403(client, login, world, make_user,
                                                        citizens):
    w = world
    login(w['planner'])
    base = _new_draft(client)
    other = make_user(w['org'], User.PLANNER)
    login(other)
    for step in ('/frame', '/citizens', '/review'):
        assert client.get(base + step).status_code == 404
    assert client.post(base + '/frame', data=frame_data(w)).status_code == 404
    assert 'unfinished' in _text(client.get('/summons/'))
    assert 'Resume' not in _text(client.get('/summons/'))
    login(citizens[0])
    assert client.get('/summons/').status_code == 403
    assert client.get(base + '/frame').status_code == 403


def test_fixed_time_with_one_seat_leaves_the_rest_for_step_1(client, login, world, citizens):
    w = world
    login(w['planner'])
    base = _new_draft(client)
    monday = next_monday(w['org'])
    room = Room.create(organisation=w['org'], name='Lokale 1', capacity=1)
    RoomTeam.create(room=room, team=w['team'])
    data = frame_data(w, meeting_form='group', group_seats='fixed', per_meeting=1,
                      rebooking_seats=0, room_id=room.id, caseworker_ids=[w['karen'].id],
                      distribution='fixed', fixed_date=monday.isoformat(), fixed_time='10:00')
    r = client.post(base + '/frame', data=data)
    assert r.status_code == 303, _text(r)
    client.post(base + '/citizens', data={'action': 'paste', 'text': _paste(CPRS[:3])})
    r = client.post(base + '/citizens', data={'action': 'next'})
    assert r.status_code == 303
    html = _text(client.get(base + '/review'))
    assert '1 citizen placed' in html and '2 with no free time' in html
    rows = [row.id for row in SummonsDraftCitizen.select()]
    r = client.post(base + '/review', data={'action': 'summon', 'ticked': rows})
    html = _text(client.get(r.headers['Location']))
    assert '1 meeting made' in html and '2 citizens remain' in html
    assert 'Back to step 1' in html
    assert Meeting.select().count() == 1
    assert PendingSummons.select().count() == 0
    meeting = Meeting.get()
    assert w['org'].local(meeting.starts_at).strftime('%H:%M') == '10:00'
    assert meeting.room_id == room.id and meeting.form == 'group'

    # Step 1 still holds every field; the two left are still on the list.
    html = _text(client.get(base + '/frame'))
    assert f'value="{monday.isoformat()}"' in html and 'value="10:00"' in html
    assert 'Husk CV' in html
    assert re.search(r'value="fixed"[^>]*checked|checked[^>]*value="fixed"', html)
    assert SummonsDraftCitizen.select().count() == 2


def test_show_free_times_and_pick_one(client, login, world):
    w = world
    login(w['planner'])
    base = _new_draft(client)
    monday = next_monday(w['org'])
    r = client.post(base + '/frame', data=frame_data(
        w, caseworker_ids=[w['karen'].id], distribution='fixed', fixed_date=monday.isoformat(),
        action='free_times'))
    html = _text(r)
    assert r.status_code == 200 and 'Free times on' in html
    assert f'value="{monday.isoformat()}T08:00"' in html
    assert f'value="{monday.isoformat()}T12:00"' not in html        # lunch
    r = client.post(base + '/frame', data=frame_data(
        w, caseworker_ids=[w['karen'].id], distribution='fixed', fixed_date=monday.isoformat(),
        pick=f'{monday.isoformat()}T08:05'))
    html = _text(r)
    assert 'Start set to' in html and 'value="08:05"' in html
    assert summons.frame_of(SummonsDraft.get()).fixed_start is None   # not saved yet
    # "Save for later" keeps it; htmx is sent on to the start page as a whole.
    r = client.post(base + '/frame', data=frame_data(w, action='save', duration='other',
                                                      duration_other=50),
                    headers={'HX-Request': 'true', 'HX-Target': 'wizard'})
    assert r.status_code == 204 and '"path": "/summons/"' in r.headers['HX-Location']
    assert summons.frame_of(SummonsDraft.get()).duration_minutes == 50
    assert 'The summons is saved as a draft.' in _text(client.get('/summons/'))


def test_start_page_drafts_templates_and_discard(client, login, world):
    import json

    from models import SummonsTemplate
    w = world
    SummonsTemplate.create(organisation=w['org'], name='Gruppemøde 10', fields=json.dumps(
        {'meeting_type': 'jobsamtale', 'team': w['team'].id, 'duration_minutes': 60,
         'form': 'group'}))
    SummonsTemplate.create(organisation=w['org'], name='Online skabelon', for_online_offer=True)
    login(w['planner'])
    html = _text(client.get('/summons/'))
    assert 'Gruppemøde 10' in html and 'Online skabelon' not in html
    assert 'You have no unfinished summonses.' in html and 'Pending list (0)' in html
    template = SummonsTemplate.get(SummonsTemplate.name == 'Gruppemøde 10')
    r = client.post('/summons/', data={'action': 'template', 'template': template.id})
    assert r.status_code == 303
    frame = summons.frame_of(SummonsDraft.get())
    assert (frame.team_id, frame.duration_minutes, frame.form) == (w['team'].id, 60, 'group')
    html = _text(client.get(r.headers['Location']))
    assert 'value="60"' in html and 'checked' in html

    draft = SummonsDraft.get()
    html = _text(client.get('/summons/'))
    assert 'Dagpenge · Job interview' in html and 'Resume' in html
    html = _text(client.get(f'/summons/?discard={draft.id}'))
    assert 'Discard this draft' in html and SummonsDraft.select().count() == 1
    r = client.post('/summons/', data={'action': 'discard', 'draft': draft.id})
    assert r.status_code == 303 and SummonsDraft.select().count() == 0


def test_calendar_click_prefills_step_1_and_only_a_post_makes_the_draft(client, login, world):
    w = world
    login(w['planner'])
    monday = next_monday(w['org'])
    r = client.get(f"/summons/?caseworker={w['karen'].id}&date={monday.isoformat()}"
                   f"&time=09:30&duration=90")
    assert r.status_code == 303
    assert re.search(r'/summons/new/frame\?', r.headers['Location'])
    # Opening the link (a crawler, a prefetch, the back button) writes nothing.
    html = _text(client.get(r.headers['Location']))
    assert not SummonsDraft.select().exists()
    assert 'Filled in from the calendar' in html
    assert f'value="{monday.isoformat()}"' in html and 'value="09:30"' in html
    assert re.search(rf'<option (selected value="{w["team"].id}"|value="{w["team"].id}" selected)',
                     html)
    assert re.search(rf'checked[^>]*value="{w["karen"].id}"|value="{w["karen"].id}"[^>]*checked',
                     html)
    assert 'value="90"' in html
    action = html_lib.unescape(re.search(r'<form method="post" action="([^"]+)" id="frame-form"',
                                         html).group(1))
    assert action.startswith('/summons/new/frame?')
    # The form's POST makes the draft, with what the calendar filled in.
    r = client.post(action, data=frame_data(
        w, caseworker_ids=[w['karen'].id], distribution='fixed', duration='90',
        fixed_date=monday.isoformat(), fixed_time='09:30', earliest_date=''))
    assert r.status_code == 303, _text(r)
    draft = SummonsDraft.get()
    assert r.headers['Location'].endswith(f'/summons/{draft.id}/citizens')
    frame = summons.frame_of(draft)
    assert frame.team_id == w['team'].id and frame.caseworker_ids == [w['karen'].id]
    assert frame.distribution == 'fixed' and frame.duration_minutes == 90
    assert frame.fixed_start == dt.datetime.combine(monday, dt.time(9, 30))
    # Another organisation's caseworker is not found.
    assert client.get('/summons/?caseworker=999999&date=2030-01-01').status_code == 404
    assert client.get('/summons/new/frame?caseworker=999999').status_code == 404


def _to_review(client, w, cprs, **frame):
    base = _new_draft(client)
    r = client.post(base + '/frame', data=frame_data(w, **frame))
    assert r.status_code == 303, _text(r)
    client.post(base + '/citizens', data={'action': 'paste', 'text': _paste(cprs)})
    assert client.post(base + '/citizens', data={'action': 'next'}).status_code == 303
    return base


def test_a_time_taken_before_summon_now_is_named_and_goes_to_the_pending_list(
        client, login, world, citizens):
    from planner import booking
    w = world
    login(w['planner'])
    base = _to_review(client, w, CPRS[:2], caseworker_ids=[w['karen'].id])
    rows = {row.citizen_id: row for row in SummonsDraftCitizen.select()}
    anna = rows[citizens[0].id]
    # Someone books Karen at Anna's proposed time meanwhile.
    booking.book(booking.MeetingRequest(
        organisation=w['org'], team=w['team'], meeting_type=_jobsamtale(),
        caseworker=w['karen'], starts_at=anna.proposed_start.replace(tzinfo=dt.timezone.utc),
        duration_minutes=45, citizens=(citizens[4],)))
    r = client.post(base + '/review', data={'action': 'summon',
                                            'ticked': [row.id for row in rows.values()]})
    html = _text(client.get(r.headers['Location']))
    assert '1 meeting made' in html and '1 citizen could not be summoned' in html
    assert 'Anna Andersen (010190-xxxx): The time was taken meanwhile.' in html
    pending = PendingSummons.get()
    assert pending.citizen_id == citizens[0].id and pending.reason == PendingSummons.FAILED


def test_changing_a_proposal_to_a_busy_time_says_why(client, login, world, citizens):
    w = world
    login(w['planner'])
    base = _to_review(client, w, CPRS[:1], caseworker_ids=[w['karen'].id])
    row = SummonsDraftCitizen.get()
    monday = next_monday(w['org'])
    r = client.post(base + '/review', data={'action': 'change', 'row_id': row.id,
                                            'date': monday.isoformat(), 'time': '12:00',
                                            'caseworker': w['karen'].id})
    html = _text(r)
    assert r.status_code == 200
    assert 'The caseworker is not free at that time. Choose another time.' in html
    assert re.search(r'<details open>', html)
    r = client.post(base + '/review', data={'action': 'change', 'row_id': row.id,
                                            'date': monday.isoformat(), 'time': '13:05',
                                            'caseworker': w['karen'].id})
    assert r.status_code == 303
    html = _text(client.get(base + '/review'))
    assert 'The time is changed.' in html and '13:05' in html
    # Removing a row from the review asks first.
    html = _text(client.get(f'{base}/review?delete={row.id}'))
    assert 'Remove Anna Andersen (010190-xxxx) from this summons?' in html
    r = client.post(base + '/review', data={'action': 'delete', 'row_id': row.id})
    assert r.status_code == 303 and SummonsDraftCitizen.select().count() == 0


def test_letter_attendance_links_to_the_printable_letters(client, login, world, citizens):
    w = world
    login(w['planner'])
    base = _to_review(client, w, CPRS[:2], attendance='letter')
    rows = [row.id for row in SummonsDraftCitizen.select()]
    r = client.post(base + '/review', data={'action': 'summon', 'ticked': rows})
    html = _text(client.get(r.headers['Location']))
    assert '2 meetings made' in html and 'Print the letters' in html
    ids = sorted(m.id for m in Meeting.select())
    assert all(f'meeting={i}' in html for i in ids)
    assert all(m.attendance == 'letter' for m in Meeting.select())
    # All the letters of the summons as one PDF, a page each.
    pdf_link = re.search(r'href="(/summons/follow-up/letters\.pdf\?[^"]+)"', html).group(1)
    pdf = client.get(pdf_link.replace('&amp;', '&'))
    assert pdf.headers['Content-Type'] == 'application/pdf'
    assert len(PdfReader(io.BytesIO(pdf.get_data())).pages) == 2


def test_fixed_time_taken_before_summon_sends_back_to_step_1(client, login, world, citizens):
    from planner import booking
    w = world
    login(w['planner'])
    monday = next_monday(w['org'])
    base = _to_review(client, w, CPRS[:1], caseworker_ids=[w['karen'].id],
                      distribution='fixed', fixed_date=monday.isoformat(), fixed_time='09:00')
    booking.book(booking.MeetingRequest(
        organisation=w['org'], team=w['team'], meeting_type=_jobsamtale(),
        caseworker=w['karen'], starts_at=dt.datetime.combine(monday, dt.time(9),
                                                             tzinfo=w['org'].zone),
        duration_minutes=45, citizens=(citizens[4],)))
    rows = [row.id for row in SummonsDraftCitizen.select()]
    r = client.post(base + '/review', data={'action': 'summon', 'ticked': rows},
                    follow_redirects=True)
    html = _text(r)
    assert 'Step 1 of 3' in html
    assert 'None of the chosen caseworkers is free at that time.' in html
    assert Meeting.select().count() == 1 and SummonsDraftCitizen.select().count() == 1


def test_room_click_prefills_room_and_its_team(client, login, world):
    w = world
    room = Room.create(organisation=w['org'], name='Lokale 3', capacity=10)
    RoomTeam.create(room=room, team=w['team'])
    login(w['planner'])
    monday = next_monday(w['org'])
    r = client.get(f'/summons/?room={room.id}&date={monday.isoformat()}&time=13:00')
    assert r.status_code == 303
    html = _text(client.get(r.headers['Location']))
    assert not SummonsDraft.select().exists()
    assert re.search(rf'<option (selected value="{w["team"].id}"|value="{w["team"].id}" selected)',
                     html)
    assert re.search(rf'<option (selected value="{room.id}"|value="{room.id}" selected)', html)
