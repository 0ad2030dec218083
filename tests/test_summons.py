"""The summons write path (summons.py): step 1's frame, step 2's citizens and
deadlines, step 3's proposals, "Summon now" and the pending list.

Every call gets `now` explicitly (NOW: Monday 1 March 2027, 08:00 in
Copenhagen), so the first day automatic distribution may use is Tuesday."""
import datetime as dt
import json
import threading

import pytest

from models import (CitizenAbsence, CitizenProfile, Meeting, MeetingCaseworker, MeetingParticipant,
                    MeetingType, Message, PendingSummons, Room, RoomTeam, SummonsDraft,
                    SummonsDraftCitizen, SummonsTemplate, Team, TypeVariant, User, db)
from planner import booking, summons
from planner.booking import BookingError
from planner.loading import caseworker_inputs
from scheduling.localtime import as_utc, naive_utc
from tests.summons_support import (CPH, MONDAY, NOW, TUESDAY, busy_by_caseworker,  # noqa: F401
                                   centre, draft_with, frame_for, local, make_citizens, make_team,
                                   overlaps)

WEDNESDAY = MONDAY + dt.timedelta(days=2)
THURSDAY = MONDAY + dt.timedelta(days=3)
FRIDAY = MONDAY + dt.timedelta(days=4)


def meetings_of(citizen) -> list[Meeting]:
    return list(Meeting.select().join(MeetingParticipant)
                .where(MeetingParticipant.citizen == citizen).order_by(Meeting.starts_at))


def book_one(centre, caseworker, start, citizen, *, duration=45, reporting=0, room=None):
    """A meeting booked the ordinary way (the calendar's write path)."""
    return booking.book(booking.MeetingRequest(
        organisation=centre.org, team=centre.team, meeting_type=centre.meeting_type,
        caseworker=caseworker, starts_at=start, duration_minutes=duration,
        reporting_minutes=reporting, citizens=(citizen,), room=room), now=NOW,
        send_notifications=False)


def past_meeting(centre, caseworker, citizen, start, *, status=Meeting.HELD):
    """A meeting in the past (booking.book refuses the past)."""
    meeting = Meeting.create(organisation=centre.org, team=centre.team,
                             meeting_type=centre.meeting_type, caseworker=caseworker,
                             starts_at=naive_utc(start),
                             ends_at=naive_utc(start + dt.timedelta(minutes=45)), status=status)
    MeetingParticipant.create(meeting=meeting, citizen=citizen)
    return meeting


# --- step 1: the frame ---------------------------------------------------------------

def test_frame_json_round_trip():
    frame = summons.SummonsFrame(
        meeting_type_id=3, variant_id=7, form=summons.GROUP, group_seats=summons.SEATS_FIXED,
        per_meeting=4, rebooking_seats=1, attendance=Meeting.PHONE, team_id=11, room_id=5,
        caseworker_ids=[9, 2], duration_minutes=60, reporting_minutes=15,
        distribution=summons.FIXED_TIME, earliest_date=dt.date(2027, 3, 2),
        fixed_start=dt.datetime(2027, 3, 3, 10, 5), rebooking_allowed=False,
        rebooking_days_before=3, note='Husk CV – og sygesikringskort (æøå)',
        deadline_mode=summons.DEADLINE_FIXED, deadline_days_before=2,
        deadline_fixed=dt.date(2027, 3, 26))
    text = frame.to_json()
    assert json.loads(text)['fixed_start'] == '2027-03-03T10:05:00'
    assert summons.SummonsFrame.from_json(text) == frame
    # A default frame survives too.
    assert summons.SummonsFrame.from_json(summons.SummonsFrame().to_json()) == \
        summons.SummonsFrame()


@pytest.mark.parametrize('junk', [None, '', 'not json', '[1, 2]', '"frame"', '42', 'null',
                                  '{"unknown": 1, "also_unknown": [1]}'])
def test_frame_from_json_falls_back_to_the_defaults_on_junk(junk):
    assert summons.SummonsFrame.from_json(junk) == summons.SummonsFrame()


def test_frame_from_json_keeps_what_it_can_read():
    frame = summons.SummonsFrame.from_json(json.dumps({
        'earliest_date': '31-12-2027', 'fixed_start': 'soon', 'deadline_fixed': 20270326,
        'caseworker_ids': [1, 'x'], 'duration_minutes': 30, 'team_id': 4,
        'note': 'Husk CV'}))
    assert frame.earliest_date is None and frame.fixed_start is None
    assert frame.deadline_fixed is None and frame.caseworker_ids == []
    assert (frame.duration_minutes, frame.team_id, frame.note) == (30, 4, 'Husk CV')


def test_frame_from_json_wrong_types_fall_back_and_step1_does_not_crash(jobcentre):
    """'Unreadable values fall back' (from_json's promise): a number stored as
    text or a list stored as a string must not reach the checks and the
    deadline arithmetic as it is."""
    frame = summons.SummonsFrame.from_json(json.dumps({
        'form': 'group', 'group_seats': 'fixed', 'per_meeting': '4', 'rebooking_seats': 'x',
        'duration_minutes': 'abc', 'team_id': 'junk', 'caseworker_ids': '12',
        'deadline_mode': 'days_before', 'deadline_days_before': 'x'}))
    assert frame.per_meeting is None
    assert frame.rebooking_seats == 0
    assert frame.duration_minutes == 45
    assert frame.team_id is None
    assert frame.caseworker_ids == []          # not [1, 2] from the characters of '12'
    assert frame.deadline_days_before == 0
    problems = summons.frame_problems(jobcentre, frame, NOW)    # no TypeError
    assert 'team_id' in problems
    assert summons.deadline_for(frame, FRIDAY) == FRIDAY


def test_frame_from_a_summons_template(centre):
    variant = TypeVariant.create(organisation=centre.org, name='Unge under 30')
    cv = MeetingType.get(MeetingType.code == 'cv_samtale')
    variant.set_links([cv], [centre.team])
    preset = json.dumps({
        'meeting_type': 'cv_samtale', 'variant': variant.id, 'team': centre.team.id,
        'room': centre.room.id, 'form': 'group', 'attendance': 'phone', 'duration_minutes': 60,
        'reporting_minutes': 15, 'rebooking_allowed': False, 'rebooking_days_before': 3,
        'note': 'Husk CV'})
    template = SummonsTemplate.create(organisation=centre.org, name='CV-værksted', fields=preset)
    frame = summons.SummonsFrame.from_template(template.preset)
    assert frame == summons.SummonsFrame(
        meeting_type_id=cv.id, variant_id=variant.id, team_id=centre.team.id,
        room_id=centre.room.id, form=summons.GROUP, attendance=Meeting.PHONE,
        duration_minutes=60, reporting_minutes=15, rebooking_allowed=False,
        rebooking_days_before=3, note='Husk CV')
    # With caseworkers chosen, the preset is a valid step 1.
    frame.caseworker_ids = centre.caseworker_ids
    assert summons.frame_problems(centre.org, frame, NOW) == {}


def test_frame_from_a_template_ignores_junk_values(jobcentre):
    template = SummonsTemplate.create(organisation=jobcentre, name='Rod', fields=json.dumps({
        'meeting_type': 'no_such_type', 'team': True, 'room': 'x', 'duration_minutes': '30',
        'reporting_minutes': -5, 'form': 'panel', 'attendance': 'carrier pigeon',
        'rebooking_allowed': 'yes', 'note': 7}))
    assert summons.SummonsFrame.from_template(template.preset) == summons.SummonsFrame()
    broken = SummonsTemplate.create(organisation=jobcentre, name='Broken', fields='{oops')
    assert summons.SummonsFrame.from_template(broken.preset) == summons.SummonsFrame()


def test_frame_problems_of_an_empty_frame(jobcentre):
    problems = summons.frame_problems(jobcentre, summons.SummonsFrame(), NOW)
    assert {'meeting_type_id', 'team_id', 'caseworker_ids'} <= set(problems)
    assert problems['meeting_type_id'] == 'Choose a meeting type.'
    assert problems['team_id'] == 'Choose a team.'
    assert problems['caseworker_ids'] == 'Choose at least one caseworker.'


def test_a_complete_frame_has_no_problems(centre):
    assert summons.frame_problems(centre.org, frame_for(centre), NOW) == {}
    assert summons.frame_problems(centre.org, frame_for(centre, room_id=centre.room.id,
                                                        earliest_date=MONDAY), NOW) == {}


def test_frame_problems_team_and_caseworkers_of_the_organisation(centre, make_org, make_user):
    other = make_team(make_org('planner'), make_user, 1, name='Andetsted')
    problems = summons.frame_problems(centre.org, frame_for(centre, team_id=other.team.id),
                                      NOW)
    assert problems['team_id'] == 'Choose a team.'
    # A caseworker of another team, and one who cannot be summoned to.
    second = make_team(centre.org, make_user, 1, name='Sygedagpenge', planner=centre.planner)
    problems = summons.frame_problems(centre.org, frame_for(
        centre, caseworker_ids=centre.caseworker_ids + second.caseworker_ids), NOW)
    assert 'caseworker_ids' in problems
    anne = centre.caseworkers[0]
    anne.can_be_summoned = False
    anne.save()
    problems = summons.frame_problems(centre.org, frame_for(centre), NOW)
    assert 'caseworker_ids' in problems
    assert 'caseworker_ids' not in summons.frame_problems(
        centre.org, frame_for(centre, caseworker_ids=centre.caseworker_ids[1:]), NOW)


def test_frame_problems_variant_must_belong_to_team_and_type(centre, make_user):
    cv = MeetingType.get(MeetingType.code == 'cv_samtale')
    other_team = Team.create(organisation=centre.org, name='Sygedagpenge')
    wrong_type = TypeVariant.create(organisation=centre.org, name='Kun CV')
    wrong_type.set_links([cv], [centre.team])
    wrong_team = TypeVariant.create(organisation=centre.org, name='Kun sygedagpenge')
    wrong_team.set_links([centre.meeting_type], [other_team])
    right = TypeVariant.create(organisation=centre.org, name='Unge')
    right.set_links([centre.meeting_type, cv], [centre.team, other_team])
    for variant in (wrong_type, wrong_team):
        problems = summons.frame_problems(centre.org, frame_for(centre, variant_id=variant.id),
                                          NOW)
        assert problems == {'variant_id': 'This variant is not used by the chosen team and '
                                          'meeting type.'}
    assert summons.frame_problems(centre.org, frame_for(centre, variant_id=right.id), NOW) == {}
    assert [v.id for v in summons.choices(centre.org, frame_for(centre)).variants] == [right.id]


def test_frame_problems_room_the_team_may_use(centre, make_org, make_user):
    other_team = Team.create(organisation=centre.org, name='Sygedagpenge')
    theirs = Room.create(organisation=centre.org, name='Sygedagpenges lokale', capacity=8)
    RoomTeam.create(room=theirs, team=other_team)
    closed = Room.create(organisation=centre.org, name='Kantinen', capacity=40, can_host=False)
    RoomTeam.create(room=closed, team=centre.team)
    foreign_org = make_org('planner')
    foreign = Room.create(organisation=foreign_org, name='Fremmed lokale', capacity=8)
    RoomTeam.create(room=foreign, team=Team.create(organisation=foreign_org, name='X'))
    for room in (theirs, closed, foreign):
        problems = summons.frame_problems(centre.org, frame_for(centre, room_id=room.id), NOW)
        assert list(problems) == ['room_id'], room.name
    assert [r.id for r in summons.choices(centre.org, frame_for(centre)).rooms] == \
        [centre.room.id]


def test_frame_problems_group_seats(centre):
    unlimited = Room.create(organisation=centre.org, name='Salen', capacity=None)
    RoomTeam.create(room=unlimited, team=centre.team)
    group = dict(form=summons.GROUP, group_seats=summons.SEATS_FROM_ROOM)
    problems = summons.frame_problems(centre.org, frame_for(centre, room_id=unlimited.id,
                                                            **group), NOW)
    assert list(problems) == ['group_seats']
    assert list(summons.frame_problems(centre.org, frame_for(centre, **group), NOW)) == \
        ['group_seats']                                   # no room at all
    assert summons.frame_problems(centre.org, frame_for(centre, room_id=centre.room.id,
                                                        **group), NOW) == {}
    assert summons.seats_of(frame_for(centre, **group), centre.room) == (6, 0)

    # Fixed seats: N citizens plus M rebooking seats must fit the room (6).
    fixed = dict(form=summons.GROUP, group_seats=summons.SEATS_FIXED, room_id=centre.room.id)
    problems = summons.frame_problems(centre.org, frame_for(centre, per_meeting=6,
                                                            rebooking_seats=1, **fixed), NOW)
    assert list(problems) == ['per_meeting'] and '6 seats' in problems['per_meeting']
    assert summons.frame_problems(centre.org, frame_for(centre, per_meeting=5,
                                                        rebooking_seats=1, **fixed), NOW) == {}
    assert list(summons.frame_problems(centre.org, frame_for(centre, per_meeting=None, **fixed),
                                       NOW)) == ['per_meeting']
    # Overbooking seats count as room seats.
    centre.room.allow_overbooking, centre.room.extra_seats = True, 2
    centre.room.save()
    assert summons.frame_problems(centre.org, frame_for(centre, per_meeting=6,
                                                        rebooking_seats=2, **fixed), NOW) == {}
    # Without a room any number goes.
    assert summons.frame_problems(centre.org, frame_for(
        centre, form=summons.GROUP, group_seats=summons.SEATS_FIXED, per_meeting=50,
        rebooking_seats=5), NOW) == {}


def test_frame_problems_fixed_time(centre, make_user):
    anne, bent, carla = centre.caseworkers
    fixed = dict(distribution=summons.FIXED_TIME)

    def problems(start, **fields):
        frame = frame_for(centre, fixed_start=start, **dict(fixed, **fields))
        return summons.frame_problems(centre.org, frame, NOW)

    assert problems(dt.datetime(2027, 3, 2, 10, 0)) == {}
    assert problems(None) == {'fixed_start': 'Choose the date and time of the meeting.'}
    assert problems(dt.datetime(2027, 3, 2, 10, 3)) == {
        'fixed_start': 'Meetings start on 5-minute steps.'}
    nobody = 'None of the chosen caseworkers is free at that time.'
    assert problems(dt.datetime(2027, 3, 2, 12, 10)) == {'fixed_start': nobody}   # lunch
    assert problems(dt.datetime(2027, 3, 2, 7, 0)) == {'fixed_start': nobody}     # before hours
    assert problems(dt.datetime(2027, 3, 2, 15, 30)) == {'fixed_start': nobody}   # runs past 16
    assert problems(dt.datetime(2027, 3, 6, 10, 0)) == {'fixed_start': nobody}    # Saturday
    assert problems(dt.datetime(2027, 2, 26, 10, 0)) == {
        'fixed_start': 'The time has already passed.'}
    # Everyone booked at that time: nobody free; one free is enough for individual ones.
    citizens = make_citizens(centre.org, make_user, 3, prefix='Optaget')
    for caseworker, citizen in zip((anne, bent), citizens):
        book_one(centre, caseworker, local(TUESDAY, 10, 15), citizen)
    assert problems(dt.datetime(2027, 3, 2, 10, 0)) == {}             # Carla is free
    book_one(centre, carla, local(TUESDAY, 9, 30), citizens[2])       # 09:30-10:15
    assert problems(dt.datetime(2027, 3, 2, 10, 0)) == {'fixed_start': nobody}
    # A group meeting needs every chosen caseworker.
    group = dict(form=summons.GROUP, group_seats=summons.SEATS_ALL)
    assert problems(dt.datetime(2027, 3, 3, 10, 0), **group) == {}
    assert problems(dt.datetime(2027, 3, 2, 8, 0), caseworker_ids=[anne.id, carla.id],
                    **group) == {}
    assert problems(dt.datetime(2027, 3, 2, 9, 0), caseworker_ids=[anne.id, carla.id],
                    **group) == {'fixed_start': 'Not every chosen caseworker is free at that time.'}


def test_frame_problems_earliest_date(centre):
    assert summons.frame_problems(centre.org, frame_for(
        centre, earliest_date=MONDAY - dt.timedelta(days=1)), NOW) == {
        'earliest_date': 'The earliest summons date has passed.'}
    assert summons.frame_problems(centre.org, frame_for(centre, earliest_date=MONDAY), NOW) == {}
    # "Today" is the organisation's: 00:30 in Copenhagen is still the evening before in UTC.
    just_after_midnight = dt.datetime(2027, 3, 1, 0, 30, tzinfo=CPH)
    assert summons.frame_problems(centre.org, frame_for(centre, earliest_date=MONDAY),
                                  just_after_midnight) == {}


# --- drafts ---------------------------------------------------------------------------

def test_drafts_belong_to_their_planner(centre, make_user, make_org):
    draft = summons.new_draft(centre.org, centre.planner, frame_for(centre))
    assert summons.get_draft(centre.planner, draft.id).id == draft.id
    colleague = make_user(centre.org, User.PLANNER)
    outsider = make_user(make_org('planner'), User.PLANNER)
    assert summons.get_draft(colleague, draft.id) is None
    assert summons.get_draft(outsider, draft.id) is None
    assert summons.get_draft(centre.planner, 0) is None
    assert summons.get_draft(centre.planner, 2 ** 70) is None
    frame = summons.frame_of(draft)
    assert frame == frame_for(centre)
    frame.note = 'Ny note'
    summons.save_frame(draft, frame)
    assert summons.frame_of(SummonsDraft.get_by_id(draft.id)).note == 'Ny note'


# --- step 2: citizens and deadlines ---------------------------------------------------

def test_add_citizens_reports_duplicates_and_ignores_outsiders(centre, make_user, make_org):
    a, b, c = make_citizens(centre.org, make_user, 3)
    foreign = make_citizens(make_org('planner'), make_user, 1, prefix='Fremmed')[0]
    colleague = make_user(centre.org, User.CASEWORKER)
    draft = summons.new_draft(centre.org, centre.planner, frame_for(centre))
    added, again = summons.add_citizens(draft, [(a, None), (b, None), (a, None),
                                                (foreign, None), (colleague, None)], now=NOW)
    assert (added, [u.id for u in again]) == (2, [a.id])
    added, again = summons.add_citizens(draft, [(b, None), (c, None)], now=NOW)
    assert (added, [u.id for u in again]) == (1, [b.id])
    rows = summons.citizen_rows(draft, NOW)
    assert [r.user_id for r in rows] == [a.id, b.id, c.id]          # the order added
    assert all(r.selected for r in rows)
    assert all(r.earliest == TUESDAY for r in rows)                 # tomorrow by default


def test_add_citizens_due_date_from_the_list_else_the_profile(centre, make_user):
    listed, profiled, neither = make_citizens(centre.org, make_user, 3)
    CitizenProfile.update(due_date=dt.date(2027, 3, 19)).where(
        CitizenProfile.user.in_([listed.id, profiled.id])).execute()
    draft = summons.new_draft(centre.org, centre.planner,
                              frame_for(centre, earliest_date=WEDNESDAY))
    summons.add_citizens(draft, [(listed, dt.date(2027, 3, 12)), (profiled, None),
                                 (neither, None)], now=NOW)
    rows = {r.user_id: r for r in summons.citizen_rows(draft, NOW)}
    assert rows[listed.id].due_date == dt.date(2027, 3, 12)
    assert rows[profiled.id].due_date == dt.date(2027, 3, 19)
    assert rows[neither.id].due_date is None
    # Default deadline mode: the due date is the hold-by date.
    assert rows[listed.id].deadline == dt.date(2027, 3, 12)
    assert rows[neither.id].deadline is None
    assert {r.earliest for r in rows.values()} == {WEDNESDAY}        # the frame's date
    assert not any(r.deadline_by_hand for r in rows.values())


def test_apply_deadlines_modes_and_rows_set_by_hand(centre, make_user):
    due, no_due, by_hand = make_citizens(centre.org, make_user, 3)
    draft = draft_with(centre, [due, no_due, by_hand],
                       due_dates={due.id: dt.date(2027, 3, 19), by_hand.id: dt.date(2027, 3, 19)})
    ids = {r.user_id: r.id for r in summons.citizen_rows(draft, NOW)}
    assert summons.update_row(draft, ids[by_hand.id], deadline=dt.date(2027, 3, 10))

    def deadlines():
        return {r.user_id: r.deadline for r in summons.citizen_rows(draft, NOW)}

    def settings(**fields):
        frame = summons.frame_of(draft)
        for name, value in fields.items():
            setattr(frame, name, value)
        summons.save_frame(draft, frame)
        summons.apply_deadlines(draft)

    settings(deadline_mode=summons.DEADLINE_DAYS_BEFORE, deadline_days_before=4)
    assert deadlines() == {due.id: dt.date(2027, 3, 15), no_due.id: None,
                           by_hand.id: dt.date(2027, 3, 10)}
    settings(deadline_mode=summons.DEADLINE_FIXED, deadline_fixed=dt.date(2027, 3, 26))
    assert deadlines() == {due.id: dt.date(2027, 3, 26), no_due.id: dt.date(2027, 3, 26),
                           by_hand.id: dt.date(2027, 3, 10)}
    settings(deadline_mode=summons.DEADLINE_DUE)
    assert deadlines() == {due.id: dt.date(2027, 3, 19), no_due.id: None,
                           by_hand.id: dt.date(2027, 3, 10)}
    rows = {r.user_id: r for r in summons.citizen_rows(draft, NOW)}
    assert rows[by_hand.id].deadline_by_hand and not rows[due.id].deadline_by_hand
    # Cleared by hand: the settings apply to that row again.
    summons.update_row(draft, ids[by_hand.id], clear_deadline=True)
    summons.apply_deadlines(draft)
    assert deadlines()[by_hand.id] == dt.date(2027, 3, 19)


def test_apply_deadlines_clears_fixed_dates_of_citizens_without_due_date(centre, make_user):
    """Only rows whose new deadline is empty change: the database must take
    a batch of NULL dates (PostgreSQL types an all-NULL CASE as text)."""
    people = make_citizens(centre.org, make_user, 3)
    draft = draft_with(centre, people)
    frame = summons.frame_of(draft)
    frame.deadline_mode, frame.deadline_fixed = summons.DEADLINE_FIXED, dt.date(2027, 3, 26)
    summons.save_frame(draft, frame)
    summons.apply_deadlines(draft)
    assert {r.deadline for r in summons.citizen_rows(draft, NOW)} == {dt.date(2027, 3, 26)}
    frame.deadline_mode = summons.DEADLINE_DUE
    summons.save_frame(draft, frame)
    summons.apply_deadlines(draft)
    assert {r.deadline for r in summons.citizen_rows(draft, NOW)} == {None}


def test_citizen_rows_appointments_and_absences(centre, make_user):
    anne = centre.caseworkers[0]
    busy, away, later_away = make_citizens(centre.org, make_user, 3)
    book_one(centre, anne, local(WEDNESDAY, 10), busy)                      # counts
    cancelled = book_one(centre, anne, local(THURSDAY, 10), busy)
    booking.cancel(cancelled, send_notifications=False)                     # does not
    past_meeting(centre, anne, busy, local(MONDAY - dt.timedelta(days=7), 10))   # nor this
    CitizenAbsence.create(citizen=away, first_day=dt.date(2027, 2, 1),
                          last_day=dt.date(2027, 2, 10))                    # over
    CitizenAbsence.create(citizen=away, first_day=MONDAY, last_day=dt.date(2027, 3, 5))
    CitizenAbsence.create(citizen=later_away, first_day=dt.date(2027, 3, 10),
                          last_day=dt.date(2027, 3, 12))
    draft = draft_with(centre, [busy, away, later_away])
    rows = {r.user_id: r for r in summons.citizen_rows(draft, NOW)}
    assert rows[busy.id].appointments == 1
    assert rows[away.id].appointments == 0
    assert rows[busy.id].absences == []
    assert rows[away.id].absences == [(MONDAY, dt.date(2027, 3, 5))]
    assert rows[later_away.id].absences == [(dt.date(2027, 3, 10), dt.date(2027, 3, 12))]
    assert rows[away.id].absence_on_earliest                 # away on Tuesday
    assert not rows[later_away.id].absence_on_earliest
    assert not rows[busy.id].absence_on_earliest
    assert rows[busy.id].name == busy.name
    assert rows[busy.id].masked_cpr == busy.cpr[:6] + '-xxxx'
    # Moving the earliest date past the absence clears the flag.
    summons.update_row(draft, rows[away.id].id, earliest=dt.date(2027, 3, 8))
    row = next(r for r in summons.citizen_rows(draft, NOW) if r.user_id == away.id)
    assert not row.absence_on_earliest


def test_rows_of_another_draft_are_out_of_reach(centre, make_user):
    a, b = make_citizens(centre.org, make_user, 2)
    mine = draft_with(centre, [a])
    theirs = draft_with(centre, [b])
    their_row = summons.citizen_rows(theirs, NOW)[0].id
    assert summons.update_row(mine, their_row, selected=False) is False
    assert summons.remove_rows(mine, [their_row]) == 0
    assert summons.citizen_rows(theirs, NOW)[0].selected
    assert summons.remove_rows(theirs, [their_row]) == 1


# --- propose and summon -----------------------------------------------------------------

def test_automatic_individual_summons_of_thirty(centre, make_user):
    anne, bent, carla = centre.caseworkers
    people = make_citizens(centre.org, make_user, 30)
    outsider = make_citizens(centre.org, make_user, 1, prefix='Anden')[0]
    existing = book_one(centre, anne, local(TUESDAY, 9), outsider, reporting=15)
    due = {c.id: TUESDAY for c in people[:24]}                   # more than Tuesday holds
    due.update({c.id: dt.date(2027, 3, 19) for c in people[24:28]})
    draft = draft_with(centre, people, frame_for(centre, reporting_minutes=15), due_dates=due)

    proposal = summons.propose(draft, NOW)
    assert (proposal.placed, proposal.unplaced) == (30, 0)
    assert proposal.late >= 1                        # Tuesday is full: some after the deadline
    review = summons.review_rows(draft)
    assert len(review) == 30 and all(r.start is not None and r.ticked for r in review)
    assert [r.start for r in review] == sorted(r.start for r in review)
    assert sum(r.late for r in review) == proposal.late

    deadline_of = {r.user_id: r.deadline for r in summons.citizen_rows(draft, NOW)}
    unticked = [people[28], people[29]]              # no deadline: placed last
    row_of = {r.name: r.id for r in review}
    summons.set_ticked(draft, {r.id for r in review} - {row_of[c.name] for c in unticked})
    result = summons.summon(draft, centre.planner, NOW)

    assert (result.meetings, result.pending, result.failed, result.remaining) == (28, 2, [], 0)
    assert result.letters == []
    assert SummonsDraft.get_or_none(SummonsDraft.id == draft.id) is None
    assert not SummonsDraftCitizen.select().where(SummonsDraftCitizen.draft == draft.id).exists()
    made = list(Meeting.select().where(Meeting.id.in_(result.meeting_ids)))
    assert len(made) == 28
    for citizen in people[:28]:
        [meeting] = meetings_of(citizen)
        assert meeting.id in result.meeting_ids
        assert meeting.status == Meeting.BOOKED and meeting.summoned_at is not None
        assert meeting.hold_by == deadline_of[citizen.id]
        start = centre.org.local(meeting.starts_at)
        assert meeting.late == bool(meeting.hold_by and start.date() > meeting.hold_by)
        assert start.date() >= TUESDAY and start.weekday() < 5
        assert start.minute % 5 == 0
        assert dt.time(8) <= start.time()
        assert (start + dt.timedelta(minutes=60)).time() <= dt.time(16)
        assert not dt.time(11, 0) < start.time() < dt.time(12, 30)   # lunch 12:00-12:30
        assert meeting.ends_at - meeting.starts_at == dt.timedelta(minutes=45)
        assert meeting.reporting_minutes == 15
        assert (meeting.team_id, meeting.meeting_type_id) == (centre.team.id,
                                                             centre.meeting_type.id)
        assert meeting.caseworker_id in centre.caseworker_ids
        assert meeting.form == Meeting.INDIVIDUAL and meeting.attendance == Meeting.IN_PERSON
        assert meeting.created_by_id == centre.planner.id
        assert [p.citizen_id for p in meeting.participants] == [citizen.id]
    assert sum(m.late for m in made) == sum(
        1 for r in review if r.late and r.name not in {c.name for c in unticked})
    # Everybody's calendar holds: nothing overlaps, the older meeting included.
    everything = list(Meeting.select())
    assert existing in everything and overlaps(everything) == []
    assert {m.caseworker_id for m in made} == set(centre.caseworker_ids)

    # SMS and e-mail, each about its meeting, sent by the outbox.
    for citizen in people[:28]:
        [meeting] = meetings_of(citizen)
        notices = list(Message.select().where(Message.user == citizen)
                       .order_by(Message.channel))
        assert [(m.channel, m.recipient) for m in notices] == [
            (Message.EMAIL, citizen.email), (Message.SMS, citizen.phone)]
        for message in notices:
            assert message.meeting_id == meeting.id
            assert message.status == Message.SENT
            assert message.body.startswith('You are summoned to a meeting (Job interview)')
            assert 'Jobvej 1' in message.body and citizen.cpr not in message.body

    # The unticked ones wait on the pending list, told nothing.
    waiting = list(PendingSummons.select().order_by(PendingSummons.id))
    assert [(p.citizen_id, p.reason) for p in waiting] == [
        (c.id, PendingSummons.UNTICKED) for c in unticked]
    assert all(p.team_id == centre.team.id and p.meeting_type_id == centre.meeting_type.id
               and p.created_by_id == centre.planner.id for p in waiting)
    assert summons.SummonsFrame.from_json(waiting[0].frame) == frame_for(centre,
                                                                          reporting_minutes=15)
    assert all(p.earliest == TUESDAY for p in waiting)
    assert summons.pending_count(centre.org) == 2
    for citizen in unticked:
        assert meetings_of(citizen) == []
        assert not Message.select().where(Message.user == citizen).exists()


def test_summons_go_to_the_caseworker_the_citizen_met_last(centre, make_user):
    anne, bent, carla = centre.caseworkers
    regular, new = make_citizens(centre.org, make_user, 2)
    past_meeting(centre, anne, regular, local(dt.date(2027, 1, 4), 10))
    past_meeting(centre, carla, regular, local(dt.date(2027, 2, 1), 10))   # the last one
    draft = draft_with(centre, [regular, new])
    summons.propose(draft, NOW)
    chosen = {r.name: r.caseworker_id for r in summons.review_rows(draft)}
    assert chosen[regular.name] == carla.id
    summons.summon(draft, centre.planner, NOW)
    assert [m.caseworker_id for m in meetings_of(regular) if m.status == Meeting.BOOKED
            and m.summoned_at] == [carla.id]


def test_no_summons_on_a_day_the_citizen_is_away(centre, make_user):
    away = make_citizens(centre.org, make_user, 1)[0]
    CitizenAbsence.create(citizen=away, first_day=TUESDAY, last_day=THURSDAY)
    draft = draft_with(centre, [away])
    summons.propose(draft, NOW)
    [row] = summons.review_rows(draft)
    assert row.start.astimezone(CPH).date() == FRIDAY


@pytest.mark.parametrize('form', [summons.INDIVIDUAL, summons.GROUP])
def test_automatic_distribution_keeps_to_the_auto_booking_share(jobcentre, make_user, form):
    """Auto-booking share 50 %: automatic summons fill at most half of each
    caseworker's bookable day (7.5 hours), the rest stays for rebooking."""
    centre = make_team(jobcentre, make_user, 2)
    for caseworker in centre.caseworkers:
        caseworker.auto_share = 50
        caseworker.save()
    people = make_citizens(centre.org, make_user, 12)
    seats = dict(group_seats=summons.SEATS_FIXED, per_meeting=2) if form == summons.GROUP else {}
    draft = draft_with(centre, people, frame_for(centre, form=form, duration_minutes=60, **seats))
    assert summons.propose(draft, NOW).placed == 12
    summons.summon(draft, centre.planner, NOW)
    minutes = {}
    for cid, spans in busy_by_caseworker(list(Meeting.select())).items():
        for start, end in spans:
            key = (cid, start.astimezone(CPH).date())
            minutes[key] = minutes.get(key, 0) + (end - start).total_seconds() / 60
    assert minutes and max(minutes.values()) <= 0.5 * 450, minutes


def test_a_time_taken_meanwhile_is_not_booked_and_the_rest_are(centre, make_user):
    anne, bent, carla = centre.caseworkers
    people = make_citizens(centre.org, make_user, 6)
    outsider = make_citizens(centre.org, make_user, 1, prefix='Hurtig')[0]
    draft = draft_with(centre, people)
    summons.propose(draft, NOW)
    review = summons.review_rows(draft)
    lost = review[0]
    caseworker = next(c for c in centre.caseworkers if c.id == lost.caseworker_id)
    # Someone books that very time through the calendar before "Summon now".
    taken = book_one(centre, caseworker, lost.start, outsider)
    result = summons.summon(draft, centre.planner, NOW)
    assert result.meetings == 5 and result.remaining == 0
    assert result.failed == [(lost.name, 'The time was taken meanwhile.')]
    assert result.pending == 1
    loser = next(c for c in people if c.name == lost.name)
    assert meetings_of(loser) == []
    [waiting] = PendingSummons.select()
    assert (waiting.citizen_id, waiting.reason) == (loser.id, PendingSummons.FAILED)
    assert waiting.error == 'The time was taken meanwhile.'
    assert not Message.select().where(Message.user == loser).exists()
    for citizen in people:
        if citizen.id != loser.id:
            assert len(meetings_of(citizen)) == 1
            assert Message.select().where(Message.user == citizen,
                                          Message.meeting.is_null(False)).count() == 2
    assert overlaps(list(Meeting.select())) == []
    assert Meeting.get_by_id(taken.id).status == Meeting.BOOKED
    assert SummonsDraft.get_or_none(SummonsDraft.id == draft.id) is None


def test_summon_now_twice_at_once_books_once_and_lists_nobody_as_failed(app, centre, make_user,
                                                                       monkeypatch):
    """A double click on "Summon now": two requests for one draft at once.
    The one that loses the race must not put the citizens the other just
    summoned on the pending list as failed (nor tell anybody twice)."""
    people = make_citizens(centre.org, make_user, 3)
    draft = draft_with(centre, people)
    summons.propose(draft, NOW)
    read_rows = summons._selected_rows
    both_read = threading.Barrier(2)

    def rows_then_wait(some_draft):
        rows = read_rows(some_draft)
        try:      # let the other request read too, unless it cannot get that far
            both_read.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass
        return rows

    monkeypatch.setattr(summons, '_selected_rows', rows_then_wait)
    results = []

    def request():
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                mine = SummonsDraft.get_by_id(draft.id)
                results.append(summons.summon(mine, centre.planner, NOW))
            except BookingError as exc:
                results.append(exc.code)
            finally:
                db.close()

    db.close()
    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.connect(reuse_if_open=True)
    assert len(results) == 2
    made = [r for r in results if isinstance(r, summons.SummonResult) and r.meetings]
    assert len(made) == 1 and made[0].meetings == 3
    assert Meeting.select().count() == 3
    assert [(p.citizen.name, p.reason, p.error) for p in PendingSummons.select()] == []
    assert Message.select().count() == 6


def test_fixed_time_individual_books_one_each_and_keeps_the_rest(make_user, jobcentre):
    centre = make_team(jobcentre, make_user, 2)
    people = make_citizens(centre.org, make_user, 5)
    due = {people[2].id: dt.date(2027, 3, 5), people[4].id: dt.date(2027, 3, 12),
           people[0].id: dt.date(2027, 3, 26)}
    frame = frame_for(centre, distribution=summons.FIXED_TIME,
                      fixed_start=dt.datetime(2027, 3, 2, 10, 0))
    draft = draft_with(centre, people, frame, due_dates=due)
    assert summons.frame_problems(centre.org, frame, NOW) == {}
    proposal = summons.propose(draft, NOW)
    assert (proposal.placed, proposal.late, proposal.unplaced) == (2, 0, 3)
    placed = [r for r in summons.review_rows(draft) if r.start]
    assert {r.name for r in placed} == {people[2].name, people[4].name}    # earliest deadlines
    assert {r.caseworker_id for r in placed} == set(centre.caseworker_ids)
    result = summons.summon(draft, centre.planner, NOW)
    assert (result.meetings, result.pending, result.failed, result.remaining) == (2, 0, [], 3)
    made = list(Meeting.select())
    assert len(made) == 2
    assert {centre.org.local(m.starts_at).replace(tzinfo=None) for m in made} == {
        dt.datetime(2027, 3, 2, 10, 0)}
    assert {m.caseworker_id for m in made} == set(centre.caseworker_ids)
    # Back to step 1 with the frame as it was and the three others, proposals cleared.
    kept = summons.get_draft(centre.planner, draft.id)
    assert kept is not None and summons.frame_of(kept) == frame
    rows = summons.citizen_rows(kept, NOW)
    assert {r.user_id for r in rows} == {people[0].id, people[1].id, people[3].id}
    assert all(r.selected for r in rows)
    assert all(r.start is None and r.ticked for r in summons.review_rows(kept))
    assert PendingSummons.select().count() == 0
    # The next meeting: one more hour, two more citizens, one remains.
    frame.fixed_start = dt.datetime(2027, 3, 2, 11, 0)
    summons.save_frame(kept, frame)
    assert summons.frame_problems(centre.org, frame, NOW) == {}
    summons.propose(kept, NOW)
    again = summons.summon(kept, centre.planner, NOW)
    assert (again.meetings, again.remaining) == (2, 1)
    assert meetings_of(people[0])                    # deadline first, then list order
    assert overlaps(list(Meeting.select())) == []


def test_group_meetings_of_four_with_a_rebooking_seat(make_user, jobcentre):
    centre = make_team(jobcentre, make_user, 2, room_capacity=6)
    anne, bent = centre.caseworkers
    people = make_citizens(centre.org, make_user, 10)
    frame = frame_for(centre, form=summons.GROUP, group_seats=summons.SEATS_FIXED,
                      per_meeting=4, rebooking_seats=1, room_id=centre.room.id,
                      duration_minutes=90)
    assert summons.frame_problems(centre.org, frame, NOW) == {}
    draft = draft_with(centre, people, frame)
    proposal = summons.propose(draft, NOW)
    assert (proposal.placed, proposal.unplaced) == (10, 0)
    review = summons.review_rows(draft)
    sizes = {}
    for row in review:
        sizes[row.group_index] = sizes.get(row.group_index, 0) + 1
        assert row.caseworker_names == ['Anne Andersen', 'Bent Bech']
    assert sorted(sizes.values(), reverse=True) == [4, 4, 2]
    result = summons.summon(draft, centre.planner, NOW)
    assert (result.meetings, result.pending, result.failed) == (3, 0, [])
    made = list(Meeting.select().order_by(Meeting.starts_at))
    assert len(made) == 3
    seen = set()
    for meeting in made:
        members = [p.citizen_id for p in meeting.participants]
        assert 1 <= len(members) <= 4
        seen.update(members)
        assert meeting.form == Meeting.GROUP and meeting.room_id == centre.room.id
        assert (meeting.seats, meeting.rebooking_seats) == (4, 1)
        assert meeting.caseworker_id == anne.id
        assert meeting.caseworker_ids() == [anne.id, bent.id]
        assert [link.caseworker_id for link in MeetingCaseworker.select().where(
            MeetingCaseworker.meeting == meeting)] == [bent.id]
    assert seen == {c.id for c in people}
    assert overlaps(made) == []
    # Both caseworkers are busy: the engine's input shows every meeting for each.
    first_day = min(centre.org.local(m.starts_at).date() for m in made)
    last_day = max(centre.org.local(m.starts_at).date() for m in made)
    for data in caseworker_inputs(centre.org, [anne, bent], first_day, last_day,
                                  team=centre.team):
        assert sorted(as_utc(b.start) for b in data.meetings) == \
            sorted(as_utc(m.starts_at) for m in made), data.caseworker_id
    # Every participant is told about their group meeting.
    for meeting in made:
        for participant in meeting.participants:
            assert Message.select().where(Message.user == participant.citizen_id,
                                          Message.meeting == meeting.id).count() == 2


def test_group_meetings_never_overfill_the_room_with_their_rebooking_seats(jobcentre,
                                                                          make_user):
    """Room of 5, meetings of 4 + 1 rebooking seat, and another team's
    meeting takes a seat on Tuesday at 08:00: the summons neither squeezes
    5 seats into the 4 left then nor fails at "Summon now"."""
    centre = make_team(jobcentre, make_user, 2, room_capacity=5)
    other = make_team(jobcentre, make_user, 1, name='Sygedagpenge', planner=centre.planner)
    RoomTeam.create(room=centre.room, team=other.team)
    outsider = make_citizens(jobcentre, make_user, 1, prefix='Anden')[0]
    book_one(other, other.caseworkers[0], local(TUESDAY, 8), outsider, room=centre.room)
    people = make_citizens(jobcentre, make_user, 8)
    draft = draft_with(centre, people, frame_for(
        centre, form=summons.GROUP, group_seats=summons.SEATS_FIXED, per_meeting=4,
        rebooking_seats=1, room_id=centre.room.id))
    assert summons.propose(draft, NOW).placed == 8
    result = summons.summon(draft, centre.planner, NOW)
    assert result.failed == [] and result.pending == 0
    made = list(Meeting.select().where(Meeting.room == centre.room))
    seats = {m.id: len(list(m.participants)) + m.rebooking_seats for m in made}
    for meeting in made:
        at = meeting.starts_at
        used = sum(seats[m.id] for m in made if m.starts_at <= at < m.ends_at)
        assert used <= 5, (centre.org.local(at), used)
    assert sum(len(list(m.participants)) for m in made if m.form == Meeting.GROUP) == 8


def test_group_meeting_on_the_first_day_anyone_can_come(centre, make_user):
    people = make_citizens(centre.org, make_user, 3)
    for citizen in people:
        CitizenAbsence.create(citizen=citizen, first_day=TUESDAY, last_day=TUESDAY)
    draft = draft_with(centre, people, frame_for(centre, form=summons.GROUP,
                                                 group_seats=summons.SEATS_ALL))
    assert summons.propose(draft, NOW).placed == 3
    starts = {r.start for r in summons.review_rows(draft)}
    assert starts == {as_utc(local(WEDNESDAY, 8))}


def test_fixed_time_group_meeting_takes_its_seats_and_keeps_the_rest(make_user, jobcentre):
    centre = make_team(jobcentre, make_user, 2)
    people = make_citizens(centre.org, make_user, 6)
    frame = frame_for(centre, form=summons.GROUP, group_seats=summons.SEATS_FIXED,
                      per_meeting=4, rebooking_seats=1, room_id=centre.room.id,
                      distribution=summons.FIXED_TIME, fixed_start=dt.datetime(2027, 3, 3, 9, 0))
    draft = draft_with(centre, people, frame)
    assert summons.frame_problems(centre.org, frame, NOW) == {}
    proposal = summons.propose(draft, NOW)
    assert (proposal.placed, proposal.unplaced) == (4, 2)
    result = summons.summon(draft, centre.planner, NOW)
    assert (result.meetings, result.remaining, result.pending) == (1, 2, 0)
    [meeting] = Meeting.select()
    assert centre.org.local(meeting.starts_at).replace(tzinfo=None) == frame.fixed_start
    assert [p.citizen_id for p in meeting.participants.order_by(MeetingParticipant.id)] == \
        [c.id for c in people[:4]]
    assert meeting.caseworker_ids() == centre.caseworker_ids
    assert {r.user_id for r in summons.citizen_rows(draft, NOW)} == {people[4].id, people[5].id}


def test_nobody_free_at_all_sends_the_citizens_to_the_pending_list(centre, make_user):
    for caseworker in centre.caseworkers:
        for hours in caseworker.working_hours:
            hours.delete_instance()
    people = make_citizens(centre.org, make_user, 2)
    draft = draft_with(centre, people)
    assert summons.frame_problems(centre.org, summons.frame_of(draft), NOW) == {}
    proposal = summons.propose(draft, NOW)
    assert (proposal.placed, proposal.unplaced) == (0, 2)
    assert [(r.start, r.problem) for r in summons.review_rows(draft)] == [
        (None, 'No free time found')] * 2
    result = summons.summon(draft, centre.planner, NOW)
    assert (result.meetings, result.pending) == (0, 2)
    assert sorted((p.citizen_id, p.reason) for p in PendingSummons.select()) == [
        (c.id, PendingSummons.NO_TIME) for c in people]
    assert Meeting.select().count() == 0 and Message.select().count() == 0


def test_citizens_deselected_on_step_2_are_not_summoned(centre, make_user):
    people = make_citizens(centre.org, make_user, 3)
    draft = draft_with(centre, people)
    rows = summons.citizen_rows(draft, NOW)
    summons.set_selected(draft, {rows[0].id, rows[2].id})
    assert [r.selected for r in summons.citizen_rows(draft, NOW)] == [True, False, True]
    assert summons.propose(draft, NOW).placed == 2
    assert {r.name for r in summons.review_rows(draft)} == {people[0].name, people[2].name}
    result = summons.summon(draft, centre.planner, NOW)
    assert (result.meetings, result.pending) == (2, 1)
    assert meetings_of(people[1]) == []
    assert not Message.select().where(Message.user == people[1]).exists()
    # Unticked on step 2: waiting on the pending list, not gone with the draft.
    assert [(p.citizen_id, p.reason) for p in PendingSummons.select()] == [
        (people[1].id, PendingSummons.UNTICKED)]


def test_letter_attendance_sends_nothing_and_lists_the_letters(centre, make_user):
    people = make_citizens(centre.org, make_user, 3)
    draft = draft_with(centre, people, frame_for(centre, attendance=Meeting.LETTER))
    summons.propose(draft, NOW)
    result = summons.summon(draft, centre.planner, NOW)
    assert result.meetings == 3
    assert sorted(result.letters) == sorted(result.meeting_ids) and len(result.letters) == 3
    assert {m.attendance for m in Meeting.select()} == {Meeting.LETTER}
    assert Message.select().count() == 0


def test_change_proposal(centre, make_user):
    people = make_citizens(centre.org, make_user, 4, due_date=THURSDAY)
    draft = draft_with(centre, people, frame_for(centre, caseworker_ids=centre.caseworker_ids[:2]))
    summons.propose(draft, NOW)
    review = summons.review_rows(draft)
    by_caseworker = {}
    for row in review:
        by_caseworker.setdefault(row.caseworker_id, []).append(row)
    first, second = next(rows for rows in by_caseworker.values() if len(rows) >= 2)[:2]
    # On top of another proposal of the same caseworker in this draft: refused.
    for clash in (first.start, first.start + dt.timedelta(minutes=20),
                  first.start - dt.timedelta(minutes=40)):
        with pytest.raises(BookingError) as refused:
            summons.change_proposal(draft, second.id, start=clash,
                                    caseworker_id=first.caseworker_id, now=NOW)
        assert refused.value.code == 'taken'
    assert next(r for r in summons.review_rows(draft) if r.id == second.id).start == second.start
    # Outside hours, in the lunch pause, in the past, or a caseworker not on
    # the summons: refused.
    for start in (local(THURSDAY, 7), local(THURSDAY, 12, 5), local(MONDAY, 7, 30)):
        with pytest.raises(BookingError):
            summons.change_proposal(draft, second.id, start=start,
                                    caseworker_id=first.caseworker_id, now=NOW)
    with pytest.raises(BookingError) as refused:
        summons.change_proposal(draft, second.id, start=local(THURSDAY, 14),
                                caseworker_id=centre.caseworkers[2].id, now=NOW)
    assert refused.value.code == 'caseworker'
    # A free time: accepted, and that is what gets booked.
    other = next(c for c in centre.caseworker_ids[:2] if c != first.caseworker_id)
    summons.change_proposal(draft, second.id, start=local(THURSDAY, 14), caseworker_id=other,
                            now=NOW)
    moved = next(r for r in summons.review_rows(draft) if r.id == second.id)
    assert (moved.start, moved.caseworker_id, moved.late) == (as_utc(local(THURSDAY, 14)),
                                                              other, False)
    # After the hold-by date (Thursday): accepted, and flagged late.
    summons.change_proposal(draft, second.id, start=local(FRIDAY, 9, 35), caseworker_id=other,
                            now=NOW)
    moved = next(r for r in summons.review_rows(draft) if r.id == second.id)
    assert (moved.start, moved.late) == (as_utc(local(FRIDAY, 9, 35)), True)
    result = summons.summon(draft, centre.planner, NOW)
    assert result.meetings == 4
    [meeting] = meetings_of(next(c for c in people if c.name == second.name))
    assert (as_utc(meeting.starts_at), meeting.caseworker_id) == (as_utc(local(FRIDAY, 9, 35)),
                                                                  other)
    assert meeting.late and meeting.hold_by == THURSDAY


def test_change_proposal_of_a_group_meeting_is_refused(centre, make_user):
    people = make_citizens(centre.org, make_user, 2)
    draft = draft_with(centre, people, frame_for(centre, form=summons.GROUP,
                                                 group_seats=summons.SEATS_ALL))
    summons.propose(draft, NOW)
    row = summons.review_rows(draft)[0]
    with pytest.raises(BookingError) as refused:
        summons.change_proposal(draft, row.id, start=local(THURSDAY, 14),
                                caseworker_id=centre.caseworker_ids[0], now=NOW)
    assert refused.value.code == 'group'


def test_free_times_of_a_day(centre, make_user):
    anne, bent, carla = centre.caseworkers
    citizen = make_citizens(centre.org, make_user, 1)[0]
    book_one(centre, anne, local(TUESDAY, 10), citizen, reporting=15)        # 10:00-11:00
    frame = frame_for(centre, caseworker_ids=[anne.id, carla.id], duration_minutes=30)
    free = summons.free_times(centre.org, frame, TUESDAY, NOW)
    assert [c.id for c, _starts in free] == [anne.id, carla.id]
    starts = {c.id: {s.astimezone(CPH).strftime('%H:%M') for s in times} for c, times in free}
    assert all(s.tzinfo is not None for _c, times in free for s in times)
    assert {'08:00', '08:05', '09:30', '11:00', '12:30', '15:30'} <= starts[anne.id]
    assert not {'09:35', '10:00', '10:55', '11:35', '12:00', '15:35'} & starts[anne.id]
    assert {'09:35', '10:00', '10:55'} <= starts[carla.id]
    assert all(int(s[-2:]) % 5 == 0 for s in starts[carla.id])
    # Nobody chosen yet: the whole team.
    everyone = summons.free_times(centre.org, frame_for(centre, caseworker_ids=[]), TUESDAY, NOW)
    assert [c.id for c, _starts in everyone] == centre.caseworker_ids
    # Today only from now on; nothing on a Saturday.
    today = dict((c.id, t) for c, t in summons.free_times(
        centre.org, frame, MONDAY, local(MONDAY, 13, 2)))
    assert min(today[carla.id]).astimezone(CPH).strftime('%H:%M') == '13:05'
    assert all(not t for _c, t in summons.free_times(centre.org, frame,
                                                      dt.date(2027, 3, 6), NOW))


def test_summons_across_the_change_to_summer_time_keep_local_hours(jobcentre, make_user):
    centre = make_team(jobcentre, make_user, 1)
    friday = dt.datetime(2027, 3, 26, 8, 0, tzinfo=CPH)          # summer time from Sunday 28
    people = make_citizens(centre.org, make_user, 12)
    draft = summons.new_draft(centre.org, centre.planner, frame_for(centre))
    summons.add_citizens(draft, [(c, None) for c in people], now=friday)
    assert summons.propose(draft, friday).placed == 12
    result = summons.summon(draft, centre.planner, friday)
    assert result.meetings == 12 and result.failed == []
    starts = sorted(centre.org.local(m.starts_at) for m in Meeting.select())
    assert starts[0].date() == dt.date(2027, 3, 29)               # Monday, summer time
    assert starts[0].strftime('%H:%M') == '08:00'
    assert starts[0].utcoffset() == dt.timedelta(hours=2)
    for start in starts:
        assert dt.time(8) <= start.time()
        assert (start + dt.timedelta(minutes=45)).time() <= dt.time(16)
    assert overlaps(list(Meeting.select())) == []


def test_a_room_of_one_seat_takes_one_meeting_at_a_time(centre, make_user):
    centre.room.capacity = 1
    centre.room.save()
    people = make_citizens(centre.org, make_user, 6)
    draft = draft_with(centre, people, frame_for(centre, room_id=centre.room.id))
    summons.propose(draft, NOW)
    result = summons.summon(draft, centre.planner, NOW)
    assert result.meetings == 6 and result.failed == []
    spans = sorted((m.starts_at, m.ends_at) for m in Meeting.select())
    assert all(m.room_id == centre.room.id for m in Meeting.select())
    for (_s1, e1), (s2, _e2) in zip(spans, spans[1:]):
        assert s2 >= e1


def test_rebooking_seats_of_a_group_meeting_stay_free_in_the_room(jobcentre, make_user):
    """Group meetings of 4 citizens + 1 rebooking seat in a room of 6: a later
    summons of another team into that room at that time finds 1 seat, not 2."""
    centre = make_team(jobcentre, make_user, 1, room_capacity=6)
    other = make_team(jobcentre, make_user, 1, name='Sygedagpenge', planner=centre.planner)
    RoomTeam.create(room=centre.room, team=other.team)
    start = dt.datetime(2027, 3, 2, 10, 0)
    fixed = dict(form=summons.GROUP, group_seats=summons.SEATS_FIXED, room_id=centre.room.id,
                 distribution=summons.FIXED_TIME, fixed_start=start)
    first = draft_with(centre, make_citizens(jobcentre, make_user, 4),
                       frame_for(centre, per_meeting=4, rebooking_seats=1, **fixed))
    summons.propose(first, NOW)
    assert summons.summon(first, centre.planner, NOW).meetings == 1
    pair = frame_for(other, per_meeting=2, rebooking_seats=0, **fixed)
    assert summons.frame_problems(jobcentre, pair, NOW) == {
        'fixed_start': 'The room has no free seats at that time.'}
    one = frame_for(other, per_meeting=1, rebooking_seats=0, **fixed)
    assert summons.frame_problems(jobcentre, one, NOW) == {}


def test_a_group_meeting_holds_its_unfilled_offered_seats_in_the_room(jobcentre, make_user):
    """A group meeting offering 4 seats (+1 rebooking) in a room of 6 summons
    only 2 citizens: its 2 empty offered seats stay held, so another team
    finds 1 seat at that time, not 3."""
    centre = make_team(jobcentre, make_user, 1, room_capacity=6)
    other = make_team(jobcentre, make_user, 1, name='Sygedagpenge', planner=centre.planner)
    RoomTeam.create(room=centre.room, team=other.team)
    start = dt.datetime(2027, 3, 2, 10, 0)
    fixed = dict(form=summons.GROUP, group_seats=summons.SEATS_FIXED, room_id=centre.room.id,
                 distribution=summons.FIXED_TIME, fixed_start=start)
    first = draft_with(centre, make_citizens(jobcentre, make_user, 2),
                       frame_for(centre, per_meeting=4, rebooking_seats=1, **fixed))
    summons.propose(first, NOW)
    assert summons.summon(first, centre.planner, NOW).meetings == 1
    [meeting] = Meeting.select()
    assert (len(list(meeting.participants)), meeting.seats) == (2, 4)
    pair = frame_for(other, per_meeting=2, rebooking_seats=0, **fixed)
    assert summons.frame_problems(jobcentre, pair, NOW) == {
        'fixed_start': 'The room has no free seats at that time.'}
    assert summons.frame_problems(
        jobcentre, frame_for(other, per_meeting=1, rebooking_seats=0, **fixed), NOW) == {}


# --- the pending list -------------------------------------------------------------------

def _pending_via_unticking(centre, people):
    draft = draft_with(centre, people, due_dates={people[0].id: dt.date(2027, 3, 19)})
    summons.propose(draft, NOW)
    summons.set_ticked(draft, set())
    result = summons.summon(draft, centre.planner, NOW)
    assert (result.meetings, result.pending) == (0, len(people))
    return list(PendingSummons.select().order_by(PendingSummons.id))


def test_pending_to_draft_and_delete_are_organisation_scoped(centre, make_user, make_org):
    people = make_citizens(centre.org, make_user, 3)
    waiting = _pending_via_unticking(centre, people)
    ids = [p.id for p in waiting]
    other_org = make_org('planner')
    other_planner = make_user(other_org, User.PLANNER)
    assert summons.pending_to_draft(other_org, other_planner, ids) is None
    assert summons.delete_pending(other_org, ids) == 0
    assert summons.pending_count(other_org) == 0
    assert summons.pending_count(centre.org) == 3

    draft = summons.pending_to_draft(centre.org, centre.planner, ids[:2] + [2 ** 70, -1])
    assert draft.organisation_id == centre.org.id and draft.created_by_id == centre.planner.id
    assert summons.frame_of(draft) == frame_for(centre)
    rows = summons.citizen_rows(draft, NOW)
    assert [r.user_id for r in rows] == [people[0].id, people[1].id]
    assert rows[0].deadline == dt.date(2027, 3, 19) and rows[0].deadline_by_hand
    assert rows[1].deadline is None and rows[0].earliest == TUESDAY
    # Summoned from the pending list: their pending rows go; the third stays.
    summons.propose(draft, NOW)
    result = summons.summon(draft, centre.planner, NOW)
    assert result.meetings == 2
    assert [p.citizen_id for p in PendingSummons.select()] == [people[2].id]
    assert summons.delete_pending(centre.org, ids) == 1
    assert summons.pending_count(centre.org) == 0
    assert summons.delete_pending(centre.org, []) == 0


def test_a_citizen_on_the_pending_list_twice_leaves_it_once_summoned(centre, make_user):
    people = make_citizens(centre.org, make_user, 2)
    _pending_via_unticking(centre, people[:1])
    waiting = _pending_via_unticking(centre, people)
    assert [p.citizen_id for p in waiting] == [people[0].id, people[0].id, people[1].id]
    draft = summons.pending_to_draft(centre.org, centre.planner, [p.id for p in waiting])
    assert [r.user_id for r in summons.citizen_rows(draft, NOW)] == [people[0].id, people[1].id]
    summons.propose(draft, NOW)
    assert summons.summon(draft, centre.planner, NOW).meetings == 2
    assert summons.pending_count(centre.org) == 0
