"""A citizen rebooking or cancelling a seat of a group meeting moves only
themselves: into a free seat of another meeting of the same team, type and
variant before the hold-by date. The others keep their meeting, untouched
and not told (nothing changed for them)."""
import datetime as dt
import threading

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from models import (AuditEvent, Meeting, MeetingParticipant, Message, TypeVariant,
                    TypeVariantMeetingType, TypeVariantTeam, db)
from planner import booking, summons
from planner.booking import BookingError
from planner.loading import room_bookings
from scheduling.localtime import as_utc
from tests.summons_support import (NOW, centre, draft_with, frame_for, make_citizens,  # noqa: F401
                                   make_team)

WEDNESDAY = NOW.date() + dt.timedelta(days=2)
FRIDAY = NOW.date() + dt.timedelta(days=4)


def summon_group(centre, people, start: dt.datetime, *, now=NOW, seats=4, rebooking=1,
                 hold_by=None, variant=None) -> Meeting:
    """A fixed-time group meeting summoned the planner's way, rebooking allowed."""
    fields = dict(deadline_mode=summons.DEADLINE_FIXED, deadline_fixed=hold_by) if hold_by \
        else {}
    frame = frame_for(centre, form=summons.GROUP, group_seats=summons.SEATS_FIXED,
                      per_meeting=seats, rebooking_seats=rebooking, room_id=centre.room.id,
                      distribution=summons.FIXED_TIME, fixed_start=start,
                      rebooking_allowed=True, rebooking_days_before=1,
                      variant_id=variant.id if variant else None, **fields)
    draft = draft_with(centre, people, frame, now=now)
    summons.apply_deadlines(draft)
    summons.propose(draft, now)
    result = summons.summon(draft, centre.planner, now)
    assert result.meetings == 1, result.failed
    return Meeting.select().order_by(Meeting.id.desc()).get()


def booked_ids(meeting: Meeting) -> set[int]:
    return {p.citizen_id for p in MeetingParticipant.select().where(
        MeetingParticipant.meeting == meeting.id,
        MeetingParticipant.status == MeetingParticipant.BOOKED)}


def mine(citizen) -> Meeting:
    return booking.citizen_meeting(
        MeetingParticipant.get(MeetingParticipant.citizen == citizen.id,
                               MeetingParticipant.status == MeetingParticipant.BOOKED)
        .meeting_id, citizen)


@pytest.fixture
def two_meetings(centre, make_user):
    """Wednesday 09:00: Anna, Bo, Cai (4 seats + 1 for rebooking); Friday
    14:00: Dina (the same)."""
    first_three = make_citizens(centre.org, make_user, 3, prefix='Onsdag')
    dina = make_citizens(centre.org, make_user, 1, prefix='Fredag')
    wednesday = summon_group(centre, first_three, dt.datetime.combine(WEDNESDAY, dt.time(9)))
    friday = summon_group(centre, dina, dt.datetime.combine(FRIDAY, dt.time(14)))
    Message.delete().execute()
    return dict(centre=centre, people=first_three, dina=dina[0], wednesday=wednesday,
                friday=friday)


def test_rebooking_a_group_seat_moves_only_that_citizen(two_meetings):
    w = two_meetings
    anna, bo, cai = w['people']
    wednesday, friday = w['wednesday'], w['friday']
    meeting = mine(anna)
    # She is offered seats in the other meeting, never a caseworker's free times.
    with pytest.raises(BookingError) as refused:
        booking.rebook_choice(meeting, anna, NOW)
    assert refused.value.code == 'group'
    seats = booking.seat_choice(meeting, anna, NOW)
    assert [(s.meeting.id, s.free) for s in seats] == [(friday.id, 4)]

    week = (as_utc(NOW), as_utc(NOW) + dt.timedelta(days=7))
    held_before = [b.seats for b in room_bookings(w['centre'].room, *week)]

    moved = booking.move_seat(meeting, anna, friday.id, now=NOW)

    assert moved.id == friday.id
    again = Meeting.get_by_id(wednesday.id)
    assert (again.starts_at, again.status, again.revision) == \
        (wednesday.starts_at, Meeting.BOOKED, wednesday.revision)
    assert booked_ids(again) == {bo.id, cai.id}
    assert booked_ids(friday) == {anna.id, w['dina'].id}
    # Only she is told, and the receipt says moved.
    assert {m.user_id for m in Message.select()} == {anna.id}
    assert all(m.body.startswith('Moved:') for m in Message.select()
               .where(Message.channel == Message.SMS))
    # Her seat took Friday's rebooking seat: the room holds as many seats as before.
    friday_now = Meeting.get_by_id(friday.id)
    assert (friday_now.seats, friday_now.rebooking_seats) == (5, 0)
    # (a group meeting holds its offered seats in the room, filled or not)
    assert [b.seats for b in room_bookings(w['centre'].room, *week)] == held_before == [5, 5]


def test_a_full_meeting_or_another_variant_is_not_offered(centre, make_user):
    over30 = TypeVariant.create(organisation=centre.org, name='Over 30')
    TypeVariantMeetingType.create(variant=over30, meeting_type=centre.meeting_type)
    TypeVariantTeam.create(variant=over30, team=centre.team)
    anna = make_citizens(centre.org, make_user, 1, prefix='Anna')[0]
    summon_group(centre, [anna], dt.datetime.combine(WEDNESDAY, dt.time(9)))
    others = make_citizens(centre.org, make_user, 3, prefix='Fuld')
    full = summon_group(centre, others, dt.datetime.combine(FRIDAY, dt.time(9)), seats=3,
                        rebooking=0)
    summon_group(centre, make_citizens(centre.org, make_user, 1, prefix='Variant'),
                 dt.datetime.combine(FRIDAY, dt.time(13)), variant=over30)
    assert booking.seat_choice(mine(anna), anna, NOW) == []
    with pytest.raises(BookingError) as refused:
        booking.move_seat(mine(anna), anna, full.id, now=NOW)
    assert refused.value.code == 'taken'
    assert booked_ids(full) == {c.id for c in others}


def test_no_seat_after_the_hold_by_date(centre, make_user):
    anna = make_citizens(centre.org, make_user, 1, prefix='Anna')[0]
    summon_group(centre, [anna], dt.datetime.combine(WEDNESDAY, dt.time(9)),
                 hold_by=WEDNESDAY + dt.timedelta(days=1))
    later = summon_group(centre, make_citizens(centre.org, make_user, 1, prefix='Senere'),
                         dt.datetime.combine(FRIDAY, dt.time(9)))
    assert booking.seat_choice(mine(anna), anna, NOW) == []
    with pytest.raises(BookingError):
        booking.move_seat(mine(anna), anna, later.id, now=NOW)


def test_cancelling_a_group_seat_leaves_the_meeting_to_the_others(two_meetings):
    w = two_meetings
    anna, bo, cai = w['people']
    meeting = mine(anna)
    meeting.citizen_can_cancel = True
    Meeting.update(citizen_can_cancel=True).where(Meeting.id == meeting.id).execute()
    booking.cancel_by_citizen(meeting, anna, now=NOW)
    again = Meeting.get_by_id(w['wednesday'].id)
    assert again.status == Meeting.BOOKED and booked_ids(again) == {bo.id, cai.id}
    assert {m.user_id for m in Message.select()} == {anna.id}
    assert not booking.may_cancel(booking.citizen_meeting(meeting.id, anna), NOW)


def test_citizens_racing_for_the_last_seat_get_it_once(app, centre, make_user):
    """Four citizens of a Wednesday meeting rush for the one free seat on
    Friday (a full meeting but its rebooking seat): one gets it."""
    racers = make_citizens(centre.org, make_user, 4, prefix='Hurtig')
    summon_group(centre, racers, dt.datetime.combine(WEDNESDAY, dt.time(9)), seats=4,
                 rebooking=0)
    friday_people = make_citizens(centre.org, make_user, 2, prefix='Fredag')
    friday = summon_group(centre, friday_people, dt.datetime.combine(FRIDAY, dt.time(14)),
                          seats=2, rebooking=1)
    meetings = [mine(c) for c in racers]
    barrier = threading.Barrier(len(racers))
    results = []

    def worker(i):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                barrier.wait()
                booking.move_seat(meetings[i], racers[i], friday.id, now=NOW)
                results.append('ok')
            except BookingError as exc:
                results.append(exc.code)
            finally:
                db.close()

    db.close()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(racers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    db.connect(reuse_if_open=True)
    assert sorted(results) == ['ok', 'taken', 'taken', 'taken']
    assert len(booked_ids(friday)) == 3
    again = Meeting.get_by_id(friday.id)
    assert (again.seats, again.rebooking_seats) == (3, 0)


# --- property: nobody's meeting moves unless they (or staff) moved it --------------

def _where_everyone_is(citizens) -> dict[int, tuple]:
    """{citizen id: (meeting id, start, status)} of their booked seat."""
    found = {}
    for p in (MeetingParticipant.select(MeetingParticipant, Meeting).join(Meeting)
              .where(MeetingParticipant.citizen.in_([c.id for c in citizens]),
                     MeetingParticipant.status == MeetingParticipant.BOOKED)):
        found[p.citizen_id] = (p.meeting_id, p.meeting.starts_at, p.meeting.status)
    return found


@pytest.fixture
def group_week(centre, make_user):
    """Three meetings of the same kind with room for rebooking, eight citizens."""
    Meeting.update(citizen_can_cancel=True).execute()
    people = make_citizens(centre.org, make_user, 8, prefix='Borger')
    starts = [dt.datetime.combine(WEDNESDAY, dt.time(9)), dt.datetime.combine(WEDNESDAY,
                                                                              dt.time(13)),
              dt.datetime.combine(FRIDAY, dt.time(10))]
    meetings = [summon_group(centre, people[i::3], start, seats=3, rebooking=1)
                for i, start in enumerate(starts)]
    Meeting.update(citizen_can_cancel=True).execute()
    return dict(centre=centre, people=people, meetings=meetings)


def test_no_citizens_meeting_changes_unless_they_change_it(group_week):
    people, meetings = group_week['people'], group_week['meetings']
    room = group_week['centre'].room
    actions = st.lists(st.tuples(st.sampled_from(['rebook', 'cancel']),
                                 st.integers(0, len(people) - 1),
                                 st.integers(0, len(meetings) - 1)), max_size=12)

    @settings(max_examples=25, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(steps=actions)
    def check(steps):
        with db.atomic() as transaction:
            for action, who, where in steps:
                citizen = people[who]
                before = _where_everyone_is(people)
                if citizen.id not in before:
                    continue
                meeting = booking.citizen_meeting(before[citizen.id][0], citizen)
                try:
                    if action == 'rebook':
                        booking.move_seat(meeting, citizen, meetings[where].id, now=NOW)
                    else:
                        booking.cancel_by_citizen(meeting, citizen, now=NOW)
                except BookingError:
                    pass
                after = _where_everyone_is(people)
                for other in people:
                    if other.id != citizen.id:
                        assert after.get(other.id) == before.get(other.id)
                for m in meetings:
                    fresh = Meeting.get_by_id(m.id)
                    assert len(booked_ids(fresh)) <= fresh.seats + fresh.rebooking_seats
                assert all(b.seats <= room.capacity for b in room_bookings(
                    room, as_utc(NOW), as_utc(NOW) + dt.timedelta(days=7)))
            transaction.rollback()

    check()


# --- the pages --------------------------------------------------------------------

def test_the_citizen_chooses_a_seat_and_the_receipt_says_moved(client, login, centre,
                                                              make_user):
    today = booking.local_today(centre.org, dt.datetime.now(dt.timezone.utc))
    monday = today + dt.timedelta(days=7 - today.weekday())
    now = dt.datetime.now(dt.timezone.utc)
    people = make_citizens(centre.org, make_user, 3, prefix='Info')
    first = summon_group(centre, people, dt.datetime.combine(monday + dt.timedelta(days=2),
                                                            dt.time(9)), now=now)
    second = summon_group(centre, make_citizens(centre.org, make_user, 1, prefix='Anden'),
                          dt.datetime.combine(monday + dt.timedelta(days=4), dt.time(14)),
                          now=now)
    login(people[0])
    page = client.get(f'/my/appointments/{first.id}/rebook').get_data(as_text=True)
    assert 'Choose a seat in another of these meetings' in page
    assert f'seat={second.id}' in page and 'Choose a new day and time.' not in page
    confirm = client.get(f'/my/appointments/{first.id}/rebook/confirm?seat={second.id}')
    assert confirm.status_code == 200 and 'Move my meeting' in confirm.get_data(as_text=True)
    r = client.post(f'/my/appointments/{first.id}/rebook/confirm', data={'seat': second.id})
    assert r.status_code == 303 and f'/my/appointments/{second.id}/receipt' in \
        r.headers['Location']
    receipt = client.get(r.headers['Location']).get_data(as_text=True)
    assert 'Your meeting is moved.' in receipt and 'Your meeting is booked.' not in receipt
    assert Meeting.get_by_id(first.id).starts_at == first.starts_at
    assert booked_ids(first) == {people[1].id, people[2].id}
    assert AuditEvent.select().where(AuditEvent.action == 'self_rebooked').count() == 1
    listing = client.get('/my/appointments').get_data(as_text=True)
    upcoming = listing.split('id="upcoming-heading"')[1].split('aria-labelledby="past-heading"')[0]
    assert f'/my/appointments/{second.id}"' in upcoming
    assert f'/my/appointments/{first.id}"' not in upcoming
