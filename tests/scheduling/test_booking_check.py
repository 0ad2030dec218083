"""The one re-check before meetings are written (`scheduling.slots.BookingCheck`).

Two properties carry it: a meeting checked alone gets the answer of
`caseworker_starts` and `room_free_intervals` (a single booking), and a
meeting checked after others were placed gets the answer it would get had
those been stored meetings and room bookings all along (a summons).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import assume, given, settings, strategies as st

from scheduling.availability import (AvailabilityCalendar, BookedMeeting,
                                     CaseworkerAvailabilityInput, RoomBooking, WeeklySchedule,
                                     room_free_intervals)
from scheduling.localtime import as_utc
from scheduling.slots import (PAST, ROOM_FULL, TAKEN, BookingCheck, NewMeeting,
                              caseworker_starts)
from tests.scheduling.test_engine_properties import ENGINE, scenarios

UTC = dt.timezone.utc


def calendar_of(scenario) -> AvailabilityCalendar:
    return AvailabilityCalendar(scenario.zone, scenario.first_day, scenario.last_day,
                                scenario.organisation_closing_days)


def candidate(scenario, data, starts) -> dt.datetime:
    """A start to ask about: a bookable one, one near it, any minute of the
    range, or one between minutes."""
    base = dt.datetime.combine(scenario.first_day, dt.time(), tzinfo=UTC) - dt.timedelta(days=1)
    kinds = ['any', 'seconds'] + (['free', 'near'] if starts else [])
    kind = data.draw(st.sampled_from(kinds))
    if kind == 'free':
        return data.draw(st.sampled_from(starts))
    if kind == 'near':
        return data.draw(st.sampled_from(starts)) + dt.timedelta(
            minutes=data.draw(st.integers(-90, 90)))
    moment = base + dt.timedelta(minutes=data.draw(st.integers(0, 8 * 1440)))
    if kind == 'seconds':
        moment += dt.timedelta(seconds=data.draw(st.integers(1, 59)))
    return moment


def meeting(scenario, start, caseworker_ids=None, **changes) -> NewMeeting:
    values = dict(caseworker_ids=caseworker_ids or (scenario.caseworker.caseworker_id,),
                  start=start, duration_minutes=scenario.duration,
                  reporting_minutes=scenario.reporting, grid_minutes=scenario.grid,
                  share=scenario.share)
    values.update(changes)
    return NewMeeting(**values)


@settings(ENGINE, max_examples=60)
@given(scenarios(), st.data())
def test_a_meeting_alone_is_free_exactly_at_the_bookable_starts(scenario, data):
    calendar = calendar_of(scenario)
    starts = caseworker_starts(calendar, scenario.caseworker, now=scenario.now,
                               duration_minutes=scenario.duration,
                               reporting_minutes=scenario.reporting,
                               grid_minutes=scenario.grid, share_percent=scenario.share_percent)
    check = BookingCheck(calendar, [scenario.caseworker], now=scenario.now)
    for _ in range(6):
        start = candidate(scenario, data, starts)
        expected = PAST if start < as_utc(scenario.now) else '' if start in starts else TAKEN
        assert check.problem(meeting(scenario, start)) == expected


@st.composite
def new_meetings(draw, scenario, starts, caseworker_ids):
    """A batch to place: starts near the free ones, mixed lengths."""
    batch = []
    for _ in range(draw(st.integers(1, 8))):
        start = draw(st.sampled_from(starts)) + dt.timedelta(
            minutes=draw(st.sampled_from([0, 0, 0, 5, 15, 30, -30, 60])))
        batch.append(NewMeeting(
            caseworker_ids=tuple(draw(st.lists(st.sampled_from(caseworker_ids), min_size=1,
                                               max_size=2, unique=True))),
            start=start, duration_minutes=draw(st.sampled_from([scenario.duration, 15, 45])),
            reporting_minutes=draw(st.sampled_from([scenario.reporting, 0, 15])),
            grid_minutes=draw(st.sampled_from([5, scenario.grid])), share=scenario.share,
            seats=draw(st.integers(1, 3)), room_seats=draw(st.sampled_from([None, 1, 2, 3, 4]))))
    return batch


def stored(meeting_: NewMeeting) -> BookedMeeting:
    end = meeting_.start + dt.timedelta(minutes=meeting_.duration_minutes)
    return BookedMeeting(meeting_.start, end, meeting_.reporting_minutes)


@settings(ENGINE, max_examples=40)
@given(scenarios(), st.data())
def test_placed_meetings_count_as_if_they_had_been_stored(scenario, data):
    """Each verdict of a batch equals the verdict of a fresh check whose
    caseworkers and room hold the meetings accepted before it."""
    calendar = calendar_of(scenario)
    first = scenario.caseworker
    # A second caseworker: the same week with only some of the meetings.
    second = replace(first, caseworker_id='second',
                     meetings=data.draw(st.lists(st.sampled_from(first.meetings), unique=True))
                     if first.meetings else ())
    starts = caseworker_starts(calendar, second, now=scenario.now,
                               duration_minutes=scenario.duration, share_percent=100)
    assume(starts)
    room = [RoomBooking(s, s + dt.timedelta(minutes=30), n) for s, n in data.draw(st.lists(
        st.tuples(st.sampled_from(starts), st.integers(1, 3)), max_size=3))]
    batch = data.draw(new_meetings(scenario, starts, [first.caseworker_id, 'second']))
    check = BookingCheck(calendar, [first, second], now=scenario.now, room_bookings=room)
    accepted: list[NewMeeting] = []
    for new in batch:
        held = {cid: [stored(m) for m in accepted if cid in m.caseworker_ids]
                for cid in (first.caseworker_id, 'second')}
        fresh = BookingCheck(
            calendar, [replace(cw, meetings=list(cw.meetings) + held[cw.caseworker_id])
                       for cw in (first, second)],
            now=scenario.now,
            room_bookings=room + [RoomBooking(m.start, stored(m).end, m.seats) for m in accepted])
        expected = fresh.problem(new)
        assert check.place(new) == expected
        if not expected:
            accepted.append(new)
    # Nothing accepted overlaps for a caseworker, reporting time included.
    for cid in (first.caseworker_id, 'second'):
        spans = sorted((m.start, stored(m).end + dt.timedelta(minutes=m.reporting_minutes))
                       for m in accepted if cid in m.caseworker_ids)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


@settings(ENGINE, max_examples=40)
@given(scenarios(), st.data())
def test_the_room_is_checked_as_room_free_intervals_does(scenario, data):
    calendar = calendar_of(scenario)
    base = dt.datetime.combine(scenario.first_day, dt.time(8), tzinfo=UTC)
    bookings = [RoomBooking(base + dt.timedelta(minutes=o), base + dt.timedelta(minutes=o + n), k)
                for o, n, k in data.draw(st.lists(st.tuples(
                    st.integers(-1500, 3000), st.integers(1, 300), st.integers(1, 4)),
                    max_size=5))]
    check = BookingCheck(calendar, [scenario.caseworker], now=scenario.now,
                         room_bookings=bookings)
    for _ in range(4):
        start = base + dt.timedelta(minutes=data.draw(st.integers(-1500, 3000)))
        seats, limit = data.draw(st.integers(1, 4)), data.draw(st.sampled_from([None, 1, 3, 5]))
        window = (start, start + dt.timedelta(minutes=scenario.duration))
        free = room_free_intervals(bookings, capacity=limit, seats_needed=seats, window=window)
        verdict = check.problem(meeting(scenario, start, seats=seats, room_seats=limit))
        if start < as_utc(scenario.now):
            assert verdict == PAST
        else:
            assert (verdict == ROOM_FULL) == (not free or free[0] != window)


# --- examples -------------------------------------------------------------------------

WEEK = WeeklySchedule.for_weekdays(range(5), [(dt.time(8), dt.time(16))])
MONDAY = dt.date(2026, 3, 2)
NOW = dt.datetime(2026, 3, 1, tzinfo=UTC)


def at(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(MONDAY, dt.time(hour, minute, second), tzinfo=UTC)


def two_caseworkers(**shares) -> BookingCheck:
    calendar = AvailabilityCalendar('UTC', MONDAY, MONDAY)
    return BookingCheck(calendar, [CaseworkerAvailabilityInput('a', WEEK, **shares),
                                   CaseworkerAvailabilityInput('b', WEEK)], now=NOW,
                        room_bookings=[RoomBooking(at(9), at(10), 2)])


def test_a_group_meeting_needs_every_caseworker_free():
    check = two_caseworkers()
    assert check.place(NewMeeting(('b',), at(10), 60)) == ''
    assert check.problem(NewMeeting(('a', 'b'), at(10, 30), 30)) == TAKEN
    assert check.place(NewMeeting(('a', 'b'), at(11), 30)) == ''
    assert check.problem(NewMeeting(('a',), at(11, 15), 30)) == TAKEN
    assert check.problem(NewMeeting(('nobody',), at(13), 30)) == TAKEN


def test_reporting_time_and_the_share_count_for_placed_meetings():
    check = two_caseworkers(max_share_percent=25)          # 2 of 8 hours
    assert check.place(NewMeeting(('a',), at(8), 60, reporting_minutes=30)) == ''
    assert check.problem(NewMeeting(('a',), at(9, 25), 30)) == TAKEN
    assert check.place(NewMeeting(('a',), at(9, 30), 60)) == ''
    assert check.problem(NewMeeting(('a',), at(14), 5)) == TAKEN       # share used up
    assert check.problem(NewMeeting(('a',), at(14), 5, share='auto')) == ''


def test_refusals_come_in_order_past_room_taken():
    check = two_caseworkers()
    late = dt.datetime(2026, 3, 2, 9, tzinfo=UTC)
    passed = BookingCheck(AvailabilityCalendar('UTC', MONDAY, MONDAY), [], now=late)
    assert passed.problem(NewMeeting(('a',), at(8), 30, room_seats=1)) == PAST
    assert check.problem(NewMeeting(('nobody',), at(9), 30, seats=2, room_seats=3)) == ROOM_FULL
    assert check.problem(NewMeeting(('a',), at(9), 30, seats=1, room_seats=3)) == ''
    assert check.problem(NewMeeting(('a',), at(9), 30, seats=2, room_seats=None)) == ''


def test_a_start_between_minutes_is_never_free():
    check = two_caseworkers()
    assert check.problem(NewMeeting(('a',), at(10, 0, 30), 30)) == TAKEN
    assert check.problem(NewMeeting(('a',), at(10, 5), 30)) == ''
    assert check.problem(NewMeeting(('a',), at(10, 5), 30, grid_minutes=15)) == TAKEN


def test_seats_of_placed_meetings_fill_the_room():
    check = two_caseworkers()
    assert check.place(NewMeeting(('a',), at(12), 30, seats=2, room_seats=3)) == ''
    assert check.problem(NewMeeting(('b',), at(12, 15), 30, seats=2, room_seats=3)) == ROOM_FULL
    assert check.place(NewMeeting(('b',), at(12, 15), 30, seats=1, room_seats=3)) == ''
