"""Evidence for citizens summoned after their deadline: examples and the
property that a citizen `distribute` marks late has no free start before
the deadline in the evidence (checked again from scratch)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st

from scheduling.availability import (AvailabilityCalendar, BookedMeeting,
                                     CaseworkerAvailabilityInput, WeeklySchedule,
                                     room_free_intervals)
from scheduling.late_proof import LateCitizen, late_evidence
from tests.scheduling.test_distribution import PROPERTIES, after_run, scenarios, solve

UTC = dt.timezone.utc
CPH = ZoneInfo('Europe/Copenhagen')
T = dt.time
MONDAY = dt.date(2026, 3, 2)
LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=UTC)
WORKWEEK = WeeklySchedule.for_weekdays(range(5), [(T(8), T(16))])


def local(day, hour, minute=0):
    return dt.datetime.combine(day, T(hour, minute), tzinfo=CPH)


def day_after(n):
    return MONDAY + dt.timedelta(days=n)


def evidence(caseworkers, citizens, last_day=day_after(13), **query):
    calendar = AvailabilityCalendar(CPH, MONDAY, last_day)
    query.setdefault('now', LONG_AGO)
    query.setdefault('duration_minutes', 60)
    return late_evidence(calendar, caseworkers, citizens, **query)


def booked_all_day(day):
    return BookedMeeting(local(day, 8), local(day, 16))


def test_busy_caseworkers_have_no_free_start_before_the_deadline_and_a_first_after():
    busy = [booked_all_day(day_after(d)) for d in range(3)]      # Mon-Wed full
    anna = CaseworkerAvailabilityInput('anna', WORKWEEK, meetings=busy)
    bo = CaseworkerAvailabilityInput('bo', WORKWEEK, meetings=busy + [booked_all_day(day_after(3))])
    found = evidence([anna, bo], [LateCitizen('c1', MONDAY, day_after(2))])
    first_anna, first_bo = found['c1']
    assert (first_anna.caseworker_id, first_anna.free_before_deadline) == ('anna', 0)
    assert first_anna.first_free_after == local(day_after(3), 8).astimezone(UTC)
    assert (first_bo.caseworker_id, first_bo.free_before_deadline) == ('bo', 0)
    assert first_bo.first_free_after == local(day_after(4), 8).astimezone(UTC)


def test_free_time_before_the_deadline_is_counted_and_the_first_ones_kept():
    morning = BookedMeeting(local(MONDAY, 8), local(MONDAY, 15))
    anna = CaseworkerAvailabilityInput('anna', WORKWEEK, meetings=[morning])
    [proof] = evidence([anna], [LateCitizen('c1', MONDAY, MONDAY)])['c1']
    # 15:00 is the only hour left: starts 15:00 only (60 minutes, 5-minute grid).
    assert proof.free_before_deadline == 1
    assert proof.first_free_before == (local(MONDAY, 15).astimezone(UTC),)


def test_days_the_citizen_cannot_come_do_not_count():
    anna = CaseworkerAvailabilityInput('anna', WORKWEEK)
    away = frozenset({MONDAY, day_after(1), day_after(3)})
    [proof] = evidence([anna], [LateCitizen('c1', MONDAY, day_after(1), away)])['c1']
    assert proof.free_before_deadline == 0
    assert proof.first_free_after == local(day_after(2), 8).astimezone(UTC)
    # An earliest date after the days checked leaves nothing before the deadline.
    [later] = evidence([anna], [LateCitizen('c2', day_after(2), day_after(1))])['c2']
    assert later.free_before_deadline == 0


def test_the_auto_booking_share_is_the_limit():
    # 4 of 8 hours booked Monday: 50 % auto share leaves no room, 100 % does.
    meetings = [BookedMeeting(local(MONDAY, 8), local(MONDAY, 12))]
    half = CaseworkerAvailabilityInput('half', WORKWEEK, meetings=meetings, auto_share_percent=50)
    full = CaseworkerAvailabilityInput('full', WORKWEEK, meetings=meetings, auto_share_percent=100)
    proof_half, proof_full = evidence([half, full], [LateCitizen('c1', MONDAY, MONDAY)])['c1']
    assert proof_half.free_before_deadline == 0
    assert proof_full.free_before_deadline > 0


def test_nothing_after_the_deadline_in_the_calendar_is_none():
    full = [booked_all_day(MONDAY), booked_all_day(day_after(1))]
    anna = CaseworkerAvailabilityInput('anna', WORKWEEK, meetings=full)
    [proof] = evidence([anna], [LateCitizen('c1', MONDAY, MONDAY)], last_day=day_after(1))['c1']
    assert (proof.free_before_deadline, proof.first_free_after) == (0, None)


@given(st.one_of(scenarios(group=False), scenarios(group=False, crowded=True)))
@PROPERTIES
def test_a_citizen_distribute_marks_late_has_no_free_start_before_the_deadline(s):
    result = solve(s)
    citizens = {c.citizen_id: c for c in s['citizens']}
    late = [citizens[p.citizen_id] for p in result.placements if p.late]
    if not late:
        return
    caseworkers, room = after_run(s, result)
    calendar = AvailabilityCalendar(s['zone'], s['first_day'], s['last_day'],
                                    s['organisation_closing_days'])
    room_free = None
    if room is not None:
        room_free = room_free_intervals(
            room.bookings, capacity=room.capacity,
            window=(calendar.instant(calendar.start),
                    calendar.instant(calendar.end + s['duration_minutes'])))
    found = late_evidence(
        calendar, caseworkers,
        [LateCitizen(c.citizen_id, c.earliest, c.deadline, c.absent_days) for c in late],
        now=s['now'], duration_minutes=s['duration_minutes'],
        reporting_minutes=s['reporting_minutes'], room_free=room_free)
    zone = ZoneInfo(s['zone'])
    placed = {p.citizen_id: p for p in result.placements}
    for c in late:
        proofs = found[c.citizen_id]
        assert [p.caseworker_id for p in proofs] == [cw.caseworker_id for cw in caseworkers]
        for proof in proofs:
            assert proof.free_before_deadline == 0 and proof.first_free_before == ()
            if proof.first_free_after is not None:
                day = proof.first_free_after.astimezone(zone).date()
                assert day > c.deadline and day not in c.absent_days
        # The meeting it got was free before the run: someone had it after the deadline.
        assert placed[c.citizen_id].start.astimezone(zone).date() > c.deadline
