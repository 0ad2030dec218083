"""Automatic distribution of a summons list: examples and properties.

The properties check a run's result against the rules on their own: every
meeting minute is read through zoneinfo (hours, pauses, closing days,
absences), overlaps and seats are counted from the placements, and "placed
late although there was time" is answered by asking the slot engine again
from scratch, with the run's meetings booked.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from scheduling.availability import (AvailabilityCalendar, BookedMeeting,
                                     CaseworkerAvailabilityInput, RoomBooking, WeeklySchedule,
                                     bookable_minutes_by_day, room_free_intervals)
from scheduling.distribution import (CitizenToPlace, Distribution, RoomInput, at_fixed_time,
                                     distribute)
from scheduling.slots import caseworker_starts

UTC = dt.timezone.utc
CPH = ZoneInfo('Europe/Copenhagen')
T = dt.time
MONDAY = dt.date(2026, 3, 2)
LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=UTC)
WORKWEEK = WeeklySchedule.for_weekdays(range(5), [(T(8), T(16))], [(T(12), T(12, 30))])
SPRING, AUTUMN = dt.date(2026, 3, 29), dt.date(2026, 10, 25)


def local(day, hour, minute=0, fold=0):
    return dt.datetime.combine(day, T(hour, minute), tzinfo=CPH).replace(fold=fold)


def caseworker(cid='A', schedule=WORKWEEK, **fields):
    return CaseworkerAvailabilityInput(caseworker_id=cid, schedule=schedule, **fields)


def citizen(cid, earliest=MONDAY, deadline=None, last=None, away=()):
    return CitizenToPlace(cid, earliest, deadline, last, frozenset(away))


def run(citizens, caseworkers, first_day=MONDAY, last_day=MONDAY, closing=(), **query):
    query.setdefault('now', LONG_AGO)
    query.setdefault('duration_minutes', 45)
    calendar = AvailabilityCalendar(CPH, first_day, last_day, closing)
    return distribute(citizens, caseworkers, calendar=calendar, **query)


def fixed(citizens, caseworkers, start, first_day=MONDAY, last_day=MONDAY, **query):
    query.setdefault('now', LONG_AGO)
    query.setdefault('duration_minutes', 45)
    calendar = AvailabilityCalendar(CPH, first_day, last_day)
    return at_fixed_time(citizens, caseworkers, calendar=calendar, start=start, **query)


def seen(result: Distribution):
    """{citizen: (local 'YYYY-MM-DD HH:MM', caseworker ids, late)}"""
    return {p.citizen_id: (p.start.astimezone(CPH).strftime('%Y-%m-%d %H:%M'),
                           p.caseworker_ids, p.late) for p in result.placements}


def hhmm(result: Distribution):
    return {p.citizen_id: p.start.astimezone(CPH).strftime('%H:%M') for p in result.placements}


# --- individual meetings ----------------------------------------------------------------

def test_results_are_aware_utc_in_deadline_order_none_last():
    result = run([citizen('late', deadline=None), citizen('b', deadline=MONDAY + dt.timedelta(3)),
                  citizen('a', deadline=MONDAY)], [caseworker()])
    assert [p.citizen_id for p in result.placements] == ['a', 'b', 'late']
    assert hhmm(result) == {'a': '08:00', 'b': '08:45', 'late': '09:30'}
    assert all(p.start.tzinfo == UTC for p in result.placements)
    assert not any(p.late for p in result.placements) and result.unplaced == []


def test_equal_deadlines_keep_the_input_order():
    names = ['e', 'c', 'a', 'd', 'b']
    result = run([citizen(n, deadline=MONDAY) for n in names], [caseworker()],
                 duration_minutes=30)
    assert [p.citizen_id for p in result.placements] == names
    assert list(hhmm(result).values()) == ['08:00', '08:30', '09:00', '09:30', '10:00']


def test_last_met_caseworker_is_preferred():
    # A is free at 08:00, B only from 10:00: the citizen who met B gets B at 10:00.
    b = caseworker('B', meetings=[BookedMeeting(local(MONDAY, 8), local(MONDAY, 10))])
    result = run([citizen(1, deadline=MONDAY, last='B'), citizen(2, deadline=MONDAY)],
                 [caseworker('A'), b])
    assert seen(result) == {1: ('2026-03-02 10:00', ('B',), False),
                            2: ('2026-03-02 08:00', ('A',), False)}


def test_last_met_caseworker_without_time_before_the_deadline_gives_way():
    # B is away Monday and Tuesday; the deadline is Tuesday: A takes the citizen.
    b = caseworker('B', absences=[(local(MONDAY, 0), local(MONDAY + dt.timedelta(2), 0))])
    tuesday = MONDAY + dt.timedelta(1)
    result = run([citizen(1, deadline=tuesday, last='B')], [caseworker('A'), b],
                 last_day=MONDAY + dt.timedelta(4))
    assert seen(result) == {1: ('2026-03-02 08:00', ('A',), False)}
    # Without a deadline B's first start (Wednesday) wins.
    result = run([citizen(1, last='B')], [caseworker('A'), b], last_day=MONDAY + dt.timedelta(4))
    assert seen(result) == {1: ('2026-03-04 08:00', ('B',), False)}


def test_last_met_caseworker_who_is_not_chosen_is_ignored():
    result = run([citizen(1, deadline=MONDAY, last='Z')], [caseworker('A'), caseworker('B')])
    assert seen(result)[1][1] == ('A',)


def test_ties_go_to_the_first_caseworker_in_the_given_order():
    result = run([citizen(i, deadline=MONDAY) for i in range(4)],
                 [caseworker('Bo'), caseworker('Al')], duration_minutes=60)
    assert seen(result) == {0: ('2026-03-02 08:00', ('Bo',), False),
                            1: ('2026-03-02 08:00', ('Al',), False),
                            2: ('2026-03-02 09:00', ('Bo',), False),
                            3: ('2026-03-02 09:00', ('Al',), False)}


def test_reporting_time_blocks_the_caseworker_but_not_the_share():
    # 8 h - 30 min pause = 450 min; 50 % = 225 min: five 45-minute meetings
    # (reporting not counted), one every 60 minutes because of the reporting.
    cw = caseworker(auto_share_percent=50)
    result = run([citizen(i) for i in range(7)], [cw], last_day=MONDAY + dt.timedelta(1),
                 reporting_minutes=15)
    times = [seen(result)[i][0] for i in range(7)]
    assert times == ['2026-03-02 08:00', '2026-03-02 09:00', '2026-03-02 10:00',
                     '2026-03-02 11:00', '2026-03-02 12:30', '2026-03-03 08:00',
                     '2026-03-03 09:00']


def test_share_counts_meetings_already_booked():
    # 450 min, 20 % = 90 min: one 45-minute meeting is booked, one more fits.
    cw = caseworker(auto_share_percent=20,
                    meetings=[BookedMeeting(local(MONDAY, 14), local(MONDAY, 14, 45))])
    result = run([citizen(1), citizen(2)], [cw], last_day=MONDAY + dt.timedelta(1))
    assert [seen(result)[i][0] for i in (1, 2)] == ['2026-03-02 08:00', '2026-03-03 08:00']


def test_the_meeting_stays_inside_hours_and_off_pauses_on_the_five_minute_grid():
    # Existing meeting 08:00-08:47 with 3 minutes reporting: the next start is 08:50.
    cw = caseworker(meetings=[BookedMeeting(local(MONDAY, 8), local(MONDAY, 8, 47), 3)])
    result = run([citizen(i) for i in range(6)], [cw], duration_minutes=50, reporting_minutes=10)
    assert list(hhmm(result).values()) == ['08:50', '09:50', '10:50', '12:30', '13:30', '14:30']


def test_earliest_date_absent_days_closing_days_and_now_are_respected():
    tuesday, wednesday = MONDAY + dt.timedelta(1), MONDAY + dt.timedelta(2)
    result = run([citizen('early', earliest=tuesday), citizen('away', away=[MONDAY, wednesday]),
                  citizen('now')], [caseworker()], last_day=MONDAY + dt.timedelta(4),
                 closing=[tuesday], now=local(MONDAY, 15))
    assert seen(result) == {'early': ('2026-03-04 08:00', ('A',), False),
                            'away': ('2026-03-05 08:00', ('A',), False),
                            'now': ('2026-03-02 15:00', ('A',), False)}


def test_full_capacity_places_the_rest_after_their_deadline_or_not_at_all():
    # Monday holds 6 meetings of 60 min (08-12, 12:30-14:30 ... 15:30 too short for 60).
    citizens = [citizen(i, deadline=MONDAY) for i in range(9)]
    result = run(citizens, [caseworker(schedule=WeeklySchedule.for_weekdays(
        range(5), [(T(8), T(11))]))], last_day=MONDAY + dt.timedelta(1), duration_minutes=60)
    got = seen(result)
    assert [got[i] for i in range(6)] == [
        ('2026-03-02 08:00', ('A',), False), ('2026-03-02 09:00', ('A',), False),
        ('2026-03-02 10:00', ('A',), False), ('2026-03-03 08:00', ('A',), True),
        ('2026-03-03 09:00', ('A',), True), ('2026-03-03 10:00', ('A',), True)]
    assert result.unplaced == [6, 7, 8]


def test_deadline_before_the_range_or_earliest_is_late_at_once():
    result = run([citizen(1, earliest=MONDAY + dt.timedelta(1), deadline=MONDAY)],
                 [caseworker()], last_day=MONDAY + dt.timedelta(1))
    assert seen(result) == {1: ('2026-03-03 08:00', ('A',), True)}
    result = run([citizen(2, earliest=MONDAY - dt.timedelta(7), deadline=MONDAY - dt.timedelta(3))],
                 [caseworker()])
    assert seen(result) == {2: ('2026-03-02 08:00', ('A',), True)}


def test_earliest_after_the_range_is_unplaced():
    result = run([citizen(1, earliest=MONDAY + dt.timedelta(1))], [caseworker()])
    assert result.placements == [] and result.unplaced == [1]


def test_room_with_one_seat_allows_no_parallel_meetings():
    room = RoomInput(capacity=1)
    cws = [caseworker('A'), caseworker('B'), caseworker('C')]
    result = run([citizen(i) for i in range(3)], cws, duration_minutes=60, room=room)
    assert list(hhmm(result).values()) == ['08:00', '09:00', '10:00']
    # The reporting time needs no room: the next citizen may start at 08:45 with B.
    result = run([citizen(i) for i in range(3)], cws, duration_minutes=45,
                 reporting_minutes=15, room=room)
    assert seen(result) == {0: ('2026-03-02 08:00', ('A',), False),
                            1: ('2026-03-02 08:45', ('B',), False),
                            2: ('2026-03-02 09:30', ('A',), False)}
    # Without a room all three meet at 08:00.
    assert set(hhmm(run([citizen(i) for i in range(3)], cws)).values()) == {'08:00'}


def test_room_seats_already_taken_count():
    room = RoomInput(bookings=[RoomBooking(local(MONDAY, 8), local(MONDAY, 10), seats=2)],
                     capacity=3)
    cws = [caseworker('A'), caseworker('B')]
    result = run([citizen(i) for i in range(3)], cws, duration_minutes=60, room=room)
    assert seen(result) == {0: ('2026-03-02 08:00', ('A',), False),
                            1: ('2026-03-02 09:00', ('A',), False),
                            2: ('2026-03-02 10:00', ('A',), False)}


# --- DST Sundays --------------------------------------------------------------------------

def sunday_night():
    return caseworker(schedule=WeeklySchedule(hours={6: [(T(1), T(4))]}))


def test_autumn_sunday_night_has_four_hours_and_the_repeated_hour_twice():
    result = run([citizen(i, earliest=AUTUMN) for i in range(5)], [sunday_night()],
                 first_day=AUTUMN, last_day=AUTUMN, duration_minutes=60)
    starts = [p.start for p in result.placements]
    assert [s.astimezone(CPH).strftime('%H:%M%z') for s in starts] == [
        '01:00+0200', '02:00+0200', '02:00+0100', '03:00+0100']
    assert all(b - a == dt.timedelta(hours=1) for a, b in zip(starts, starts[1:]))
    assert result.unplaced == [4]


def test_spring_sunday_night_has_two_hours():
    result = run([citizen(i, earliest=SPRING) for i in range(3)], [sunday_night()],
                 first_day=SPRING, last_day=SPRING, duration_minutes=60)
    assert [p.start.astimezone(CPH).strftime('%H:%M') for p in result.placements] == [
        '01:00', '03:00']
    assert result.unplaced == [2]


@pytest.mark.parametrize('day', [SPRING, AUTUMN])
def test_dst_sunday_office_hours_keep_local_time_and_the_share(day):
    cw = caseworker(schedule=WeeklySchedule.for_weekdays(range(7), [(T(8), T(16))]),
                    auto_share_percent=25)                  # 120 of 480 minutes
    result = run([citizen(i, earliest=day - dt.timedelta(2), deadline=day) for i in range(8)],
                 [cw], first_day=day - dt.timedelta(2), last_day=day + dt.timedelta(1),
                 duration_minutes=60)
    got = seen(result)
    day_before = day - dt.timedelta(1)
    assert [got[i][0][5:] for i in range(8)] == [
        f'{d:%m-%d} {h}' for d in (day - dt.timedelta(2), day_before, day, day + dt.timedelta(1))
        for h in ('08:00', '09:00')]
    assert [got[i][2] for i in range(8)] == [False] * 6 + [True] * 2


# --- group meetings -----------------------------------------------------------------------

def test_group_meetings_fill_earliest_deadlines_first():
    citizens = [citizen(i, deadline=MONDAY + dt.timedelta(i % 3)) for i in range(7)]
    result = run(citizens, [caseworker('A'), caseworker('B')], group=True, seats_per_meeting=3,
                 duration_minutes=60)
    groups = defaultdict(list)
    for p in result.placements:
        groups[(p.group_index, p.start.astimezone(CPH).strftime('%H:%M'))].append(p.citizen_id)
        assert p.caseworker_ids == ('A', 'B')
    assert dict(groups) == {(0, '08:00'): [0, 3, 6], (1, '09:00'): [1, 4, 2],
                            (2, '10:00'): [5]}


def test_group_meeting_needs_every_chosen_caseworker_free():
    b = caseworker('B', meetings=[BookedMeeting(local(MONDAY, 8), local(MONDAY, 9, 10))])
    result = run([citizen(i) for i in range(4)], [caseworker('A'), b], group=True)
    assert {p.start.astimezone(CPH).strftime('%H:%M') for p in result.placements} == {'09:10'}
    assert {p.group_index for p in result.placements} == {0}


def test_group_citizens_who_cannot_come_wait_for_a_later_meeting():
    tuesday = MONDAY + dt.timedelta(1)
    citizens = [citizen('later', earliest=tuesday, deadline=MONDAY), citizen('away', away=[MONDAY]),
                citizen('one'), citizen('two')]
    result = run(citizens, [caseworker()], last_day=tuesday, group=True, seats_per_meeting=None)
    assert seen(result) == {'one': ('2026-03-02 08:00', ('A',), False),
                            'two': ('2026-03-02 08:00', ('A',), False),
                            'later': ('2026-03-03 08:00', ('A',), True),
                            'away': ('2026-03-03 08:00', ('A',), False)}


def test_group_seats_come_from_the_room_less_the_seats_kept():
    room = RoomInput(bookings=[RoomBooking(local(MONDAY, 8), local(MONDAY, 9), seats=3)],
                     capacity=5)
    result = run([citizen(i) for i in range(5)], [caseworker()], group=True, room=room,
                 extra_seats_per_meeting=1, duration_minutes=60)
    sizes = Counter(hhmm(result).values())
    assert sizes == {'08:00': 1, '09:00': 4}


def test_group_with_no_common_time_is_unplaced():
    b = caseworker('B', schedule=WeeklySchedule.for_weekdays(range(5), [(T(12), T(16))]))
    a = caseworker('A', schedule=WeeklySchedule.for_weekdays(range(5), [(T(8), T(12))]))
    result = run([citizen(1), citizen(2)], [a, b], group=True)
    assert result.placements == [] and result.unplaced == [1, 2]


def test_group_share_of_each_caseworker_counts():
    a = caseworker('A', auto_share_percent=25)   # 450 min -> 112: one 60-minute meeting a day
    result = run([citizen(i) for i in range(4)], [a, caseworker('B')], group=True,
                 seats_per_meeting=2, duration_minutes=60, last_day=MONDAY + dt.timedelta(1))
    assert Counter(seen(result)[i][0] for i in range(4)) == {'2026-03-02 08:00': 2,
                                                             '2026-03-03 08:00': 2}


# --- fixed date and time --------------------------------------------------------------------

def test_fixed_time_gives_each_free_caseworker_one_citizen():
    busy = caseworker('B', meetings=[BookedMeeting(local(MONDAY, 9, 30), local(MONDAY, 10))])
    citizens = [citizen('x', deadline=MONDAY + dt.timedelta(3)), citizen('y', deadline=MONDAY,
                                                                         last='C'),
                citizen('z', deadline=MONDAY + dt.timedelta(1)),
                citizen('away', deadline=MONDAY, away=[MONDAY])]
    result = fixed(citizens, [caseworker('A'), busy, caseworker('C')], local(MONDAY, 9))
    assert seen(result) == {'y': ('2026-03-02 09:00', ('C',), False),
                            'z': ('2026-03-02 09:00', ('A',), False)}
    assert result.unplaced == ['away', 'x']


def test_fixed_time_respects_the_max_share_and_the_room():
    full = caseworker('B', max_share_percent=10,   # 45 of 450 minutes: nothing more fits
                      meetings=[BookedMeeting(local(MONDAY, 14), local(MONDAY, 14, 45))])
    cws = [caseworker('A'), full, caseworker('C')]
    result = fixed([citizen(i) for i in range(3)], cws, local(MONDAY, 9))
    assert seen(result) == {0: ('2026-03-02 09:00', ('A',), False),
                            1: ('2026-03-02 09:00', ('C',), False)}
    assert result.unplaced == [2]
    result = fixed([citizen(i) for i in range(3)], cws, local(MONDAY, 9),
                   room=RoomInput(capacity=1))
    assert seen(result) == {0: ('2026-03-02 09:00', ('A',), False)}
    assert result.unplaced == [1, 2]


def test_fixed_time_group_meeting():
    citizens = [citizen(i, deadline=MONDAY + dt.timedelta(i)) for i in range(5)]
    result = fixed(citizens[::-1], [caseworker('A'), caseworker('B')], local(MONDAY, 13),
                   group=True, seats_per_meeting=3)
    assert [p.citizen_id for p in result.placements] == [0, 1, 2]
    assert {(p.group_index, p.caseworker_ids, p.late) for p in result.placements} == {
        (0, ('A', 'B'), False)}
    assert result.unplaced == [3, 4]
    # In the pause, or with one caseworker busy, nobody is placed.
    assert fixed(citizens, [caseworker('A')], local(MONDAY, 12), group=True).placements == []
    assert fixed(citizens, [caseworker('A')], local(MONDAY, 15, 30), group=True).unplaced == [
        0, 1, 2, 3, 4]


def test_fixed_time_in_the_past_or_outside_the_range_places_nobody():
    assert fixed([citizen(1)], [caseworker()], local(MONDAY, 9),
                 now=local(MONDAY, 10)).unplaced == [1]
    assert fixed([citizen(1)], [caseworker()], local(MONDAY + dt.timedelta(1), 9)).unplaced == [1]


def test_invalid_arguments_are_refused():
    with pytest.raises(ValueError):
        run([citizen(1)], [caseworker('A'), caseworker('A')])
    with pytest.raises(ValueError):
        run([citizen(1)], [caseworker()], duration_minutes=0)
    with pytest.raises(ValueError):
        run([citizen(1)], [caseworker()], group=True, seats_per_meeting=0)
    with pytest.raises(ValueError):
        run([citizen(1)], [caseworker()], extra_seats_per_meeting=-1)


def test_no_caseworkers_or_no_days_leave_everyone_unplaced():
    assert run([citizen(1), citizen(2)], []).unplaced == [1, 2]
    assert run([citizen(1)], [caseworker()], first_day=MONDAY,
               last_day=MONDAY - dt.timedelta(1)).unplaced == [1]


# --- properties -----------------------------------------------------------------------------

PROPERTIES = settings(max_examples=60, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ANCHORS = [dt.date(2026, 3, 26), dt.date(2026, 10, 22), dt.date(2026, 6, 8)]
ZONES = ['Europe/Copenhagen', 'Europe/Stockholm']


def wall(minute_of_day: int) -> dt.time:
    return dt.time(minute_of_day // 60, minute_of_day % 60)


@st.composite
def schedules(draw):
    hours, pauses = {}, {}
    for weekday in range(7):
        if draw(st.integers(0, 5)) == 0:
            continue
        first = draw(st.sampled_from([60, 420, 480, 480, 540]))
        last = min(1439, first + draw(st.integers(60, 600)))
        hours[weekday] = [(wall(first), wall(last))]
        day_pauses = []
        for _ in range(draw(st.integers(0, 2))):
            start = draw(st.integers(first, last - 1))
            day_pauses.append((wall(start), wall(min(last, start + draw(st.integers(5, 45))))))
        if day_pauses:
            pauses[weekday] = day_pauses
    return WeeklySchedule(hours=hours, pauses=pauses)


@st.composite
def scenarios(draw, group=None, crowded=False):
    """A run's arguments. `crowded`: colleagues with the same hours sharing a
    small room, many citizens, the whole range still to come."""
    zone = draw(st.sampled_from(ZONES))
    first_day = draw(st.sampled_from(ANCHORS)) + dt.timedelta(days=draw(st.integers(0, 3)))
    days = [first_day + dt.timedelta(days=i) for i in range(draw(st.integers(1, 5)))]
    zinfo = ZoneInfo(zone)

    def instant(day_offset, minute):
        moment = (dt.datetime.combine(first_day, T(), tzinfo=zinfo)
                  + dt.timedelta(days=day_offset, minutes=minute))
        return moment.astimezone(UTC).replace(tzinfo=None) if draw(st.booleans()) else moment

    caseworkers = []
    shared = draw(schedules())          # colleagues often work the same hours
    for cid in range(draw(st.sampled_from([2, 3] if crowded else [1, 2, 2, 3, 3]))):
        meetings = [BookedMeeting(instant(d, m), instant(d, m + length), reporting)
                    for d, m, length, reporting in draw(st.lists(st.tuples(
                        st.integers(-1, len(days)), st.integers(0, 1439), st.integers(5, 120),
                        st.sampled_from([0, 0, 10, 15])), max_size=4))]
        absences = [(instant(d, m), instant(d, m + length)) for d, m, length in draw(st.lists(
            st.tuples(st.integers(0, len(days)), st.integers(0, 1439), st.integers(30, 1500)),
            max_size=1))]
        caseworkers.append(CaseworkerAvailabilityInput(
            caseworker_id=f'cw{cid}',
            schedule=shared if crowded else draw(st.one_of(st.just(shared), schedules())),
            absences=absences,
            meetings=meetings, closing_days=frozenset(draw(st.sets(st.sampled_from(days),
                                                                   max_size=1))),
            max_share_percent=draw(st.sampled_from([100, 100, 60, 25])),
            auto_share_percent=draw(st.sampled_from([100, 100, 75, 50, 20]))))
    ids = [c.caseworker_id for c in caseworkers]
    citizens = []
    span = len(days)
    for cid in range(draw(st.integers(4 if crowded else 1, 14))):
        earliest = first_day + dt.timedelta(days=draw(st.integers(-1, span)))
        deadline = draw(st.one_of(st.none(), st.integers(-1, span).map(
            lambda d: first_day + dt.timedelta(days=d))))
        away = draw(st.sets(st.sampled_from(days), max_size=2))
        last = draw(st.one_of(st.none(), st.sampled_from(ids + ['gone'])))
        citizens.append(CitizenToPlace(cid, earliest, deadline, last, frozenset(away)))
    room = None
    if crowded or draw(st.integers(0, 2)):
        bookings = [RoomBooking(instant(d, m), instant(d, m + length), seats)
                    for d, m, length, seats in draw(st.lists(st.tuples(
                        st.integers(0, span - 1), st.integers(300, 1000), st.integers(15, 240),
                        st.integers(1, 3)), max_size=3))]
        room = RoomInput(bookings=bookings, capacity=draw(
            st.integers(1, 4) if crowded else st.one_of(st.none(), st.integers(1, 3),
                                                        st.integers(1, 8))))
    is_group = draw(st.booleans()) if group is None else group
    return dict(
        zone=zone, first_day=days[0], last_day=days[-1], citizens=citizens,
        caseworkers=caseworkers,
        organisation_closing_days=frozenset(draw(st.sets(st.sampled_from(days), max_size=1))),
        now=instant(draw(st.sampled_from([-1] if crowded else [-1, -1, 0, 1])),
                    draw(st.integers(0, 1439))),
        duration_minutes=draw(st.sampled_from([15, 30, 45, 50, 60, 90])),
        reporting_minutes=draw(st.sampled_from([0, 0, 15, 7])),
        group=is_group,
        seats_per_meeting=draw(st.one_of(st.none(), st.integers(1, 4))) if is_group else None,
        extra_seats_per_meeting=draw(st.integers(0, 2)) if is_group else 0,
        room=room)


SCENARIOS = st.one_of(scenarios(), scenarios(crowded=True))


def solve(s):
    calendar = AvailabilityCalendar(s['zone'], s['first_day'], s['last_day'],
                                    s['organisation_closing_days'])
    return distribute(s['citizens'], s['caseworkers'], calendar=calendar, now=s['now'],
                      duration_minutes=s['duration_minutes'],
                      reporting_minutes=s['reporting_minutes'], group=s['group'],
                      seats_per_meeting=s['seats_per_meeting'],
                      extra_seats_per_meeting=s['extra_seats_per_meeting'], room=s['room'])


def as_aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def meetings_of(result):
    """The run's meetings: (start, caseworker ids, [citizen ids])."""
    meetings = {}
    for p in result.placements:
        key = ('g', p.group_index) if p.group_index is not None else ('i', p.citizen_id)
        meetings.setdefault(key, (p.start, p.caseworker_ids, []))[2].append(p.citizen_id)
    return list(meetings.values())


def after_run(s, result):
    """The caseworkers and room as they are once the run's meetings are booked."""
    duration, reporting = s['duration_minutes'], s['reporting_minutes']
    added = defaultdict(list)
    room_added = []
    for start, ids, people in meetings_of(result):
        for cid in ids:
            added[cid].append(BookedMeeting(start, start + dt.timedelta(minutes=duration),
                                            reporting))
        room_added.append(RoomBooking(start, start + dt.timedelta(minutes=duration),
                                      len(people) + s['extra_seats_per_meeting']))
    caseworkers = [replace(c, meetings=list(c.meetings) + added[c.caseworker_id])
                   for c in s['caseworkers']]
    room = s['room'] and RoomInput(list(s['room'].bookings) + room_added, s['room'].capacity)
    return caseworkers, room


def left_starts(s, result, seats_needed):
    """Start minutes still free for every chosen caseworker / for any one of
    them, from scratch, once the run's meetings are booked."""
    caseworkers, room = after_run(s, result)
    calendar = AvailabilityCalendar(s['zone'], s['first_day'], s['last_day'],
                                    s['organisation_closing_days'])
    room_free = None
    if room is not None:
        room_free = room_free_intervals(
            room.bookings, capacity=room.capacity, seats_needed=seats_needed,
            window=(calendar.instant(calendar.start),
                    calendar.instant(calendar.end + s['duration_minutes'])))
    return {c.caseworker_id: caseworker_starts(
        calendar, c, now=s['now'], duration_minutes=s['duration_minutes'],
        reporting_minutes=s['reporting_minutes'], grid_minutes=5,
        share_percent=c.auto_share_percent, room_free=room_free) for c in caseworkers}


def may_come(citizen, day):
    return citizen.earliest <= day and day not in citizen.absent_days


@given(SCENARIOS)
@PROPERTIES
def test_every_citizen_is_answered_once_and_meetings_obey_the_rules(s):
    result = solve(s)
    zone = ZoneInfo(s['zone'])
    citizens = {c.citizen_id: c for c in s['citizens']}
    answered = [p.citizen_id for p in result.placements] + list(result.unplaced)
    assert sorted(answered) == sorted(citizens)
    duration, reporting = s['duration_minutes'], s['reporting_minutes']
    total = duration + reporting
    by_id = {c.caseworker_id: c for c in s['caseworkers']}
    closed = s['organisation_closing_days']
    for p in result.placements:
        c = citizens[p.citizen_id]
        assert p.start.tzinfo == UTC
        day = p.start.astimezone(zone).date()
        assert s['first_day'] <= day <= s['last_day']
        assert may_come(c, day)
        assert p.start >= as_aware(s['now'])
        assert p.late == (c.deadline is not None and day > c.deadline)
        assert p.start.astimezone(zone).minute % 5 == 0 and p.start.second == 0
        if s['group']:
            assert p.caseworker_ids == tuple(by_id) and p.group_index is not None
        else:
            assert len(p.caseworker_ids) == 1 and p.caseworker_ids[0] in by_id
            assert p.group_index is None
        # Every minute of meeting and reporting: the same local date, inside
        # hours, off pauses, not closed, not absent.
        for cid in p.caseworker_ids:
            cw = by_id[cid]
            for k in range(total):
                moment = p.start + dt.timedelta(minutes=k)
                here = moment.astimezone(zone)
                minute = here.hour * 60 + here.minute
                assert here.date() == day
                assert any(a.hour * 60 + a.minute <= minute < b.hour * 60 + b.minute
                           for a, b in cw.schedule.hours.get(day.weekday(), ()))
                assert not any(a.hour * 60 + a.minute <= minute < b.hour * 60 + b.minute
                               for a, b in cw.schedule.pauses.get(day.weekday(), ()))
                assert day not in closed and day not in cw.closing_days
                assert not any(as_aware(a) <= moment < as_aware(b) for a, b in cw.absences)

    # No caseworker is in two places at once, reporting time included.
    meetings = meetings_of(result)
    for cid, cw in by_id.items():
        busy = [(as_aware(m.start), as_aware(m.end) + dt.timedelta(minutes=m.reporting_minutes))
                for m in cw.meetings]
        new = [(start, start + dt.timedelta(minutes=total))
               for start, ids, _ in meetings if cid in ids]
        for i, (a, b) in enumerate(new):
            assert not any(x < b and a < y for x, y in busy + new[:i] + new[i + 1:])

    # The auto-booking share of every day that got a meeting.
    for cid, cw in by_id.items():
        bookable = bookable_minutes_by_day(cw.schedule, zone=zone, first_day=s['first_day'],
                                           last_day=s['last_day'])
        booked = Counter()
        for m in cw.meetings:
            booked[as_aware(m.start).astimezone(zone).date()] += (
                (as_aware(m.end) - as_aware(m.start)) // dt.timedelta(minutes=1))
        added = Counter(start.astimezone(zone).date() for start, ids, _ in meetings if cid in ids)
        for day, count in added.items():
            assert (booked[day] + count * duration) * 100 <= cw.auto_share_percent * bookable[day]

    # Group sizes and room seats.
    if s['group']:
        assert all(s['seats_per_meeting'] is None or len(people) <= s['seats_per_meeting']
                   for _, _, people in meetings)
    room = s['room']
    if room is not None and room.capacity is not None:
        _, after = after_run(s, result)
        for start, _, _ in meetings:
            for k in range(duration):
                moment = start + dt.timedelta(minutes=k)
                taken = sum(b.seats for b in after.bookings
                            if as_aware(b.start) <= moment < as_aware(b.end))
                assert taken <= room.capacity


@given(SCENARIOS)
@PROPERTIES
def test_nobody_is_late_or_unplaced_while_time_was_free_for_them(s):
    result = solve(s)
    zone = ZoneInfo(s['zone'])
    citizens = {c.citizen_id: c for c in s['citizens']}
    waiting = [(citizens[p.citizen_id], p) for p in result.placements if p.late]
    waiting += [(citizens[cid], None) for cid in result.unplaced]
    if not waiting:
        return
    # A group meeting of N offered seats holds all N in the room, filled or
    # not (everyone-in-one: at least the one citizen), and its rebooking seats.
    seats = (s['seats_per_meeting'] or 1) + s['extra_seats_per_meeting'] if s['group'] else 1
    left = left_starts(s, result, seats)
    if s['group']:
        common = set.intersection(*(set(v) for v in left.values()))
        free = {'all': sorted(common)}
    else:
        free = left
    for c, placement in waiting:
        for cid, starts in free.items():
            for start in starts:
                day = start.astimezone(zone).date()
                if not may_come(c, day):
                    continue
                # A late citizen had nothing on or before their deadline; an
                # unplaced one had nothing at all.
                assert placement is not None and day > c.deadline, (c, cid, start)
    if s['group']:
        # Nor was there a seat left in one of the run's meetings.
        capacity = s['room'].capacity if s['room'] is not None else None
        per_meeting = s['seats_per_meeting']
        _, after = after_run(s, result)
        for start, _, people in meetings_of(result):
            day = start.astimezone(zone).date()
            if per_meeting is not None and len(people) >= per_meeting:
                continue
            if capacity is not None:
                peak = max(sum(b.seats for b in after.bookings
                               if as_aware(b.start) <= start + dt.timedelta(minutes=k)
                               < as_aware(b.end)) for k in range(s['duration_minutes']))
                if peak >= capacity:
                    continue
            for c, placement in waiting:
                if may_come(c, day):
                    assert placement is not None and c.deadline < day


@given(SCENARIOS)
@PROPERTIES
def test_citizens_who_could_take_any_time_come_in_deadline_order(s):
    # Same earliest date, no days away, no caseworker met before: then
    # meetings follow the deadlines (none last).
    s['citizens'] = [replace(c, earliest=s['first_day'], absent_days=frozenset(),
                             last_caseworker_id=None) for c in s['citizens']]
    result = solve(s)
    rank = {c.citizen_id: (c.deadline is None, c.deadline or dt.date.min, i)
            for i, c in enumerate(s['citizens'])}
    placed = sorted(result.placements, key=lambda p: rank[p.citizen_id])
    assert [p.citizen_id for p in result.placements] == [p.citizen_id for p in placed]
    assert [p.start for p in placed] == sorted(p.start for p in placed)
    if s['group']:
        indexes = [p.group_index for p in placed]
        assert indexes == sorted(indexes)
    if result.unplaced and placed:
        # Those left over come after everyone placed.
        assert min(rank[c] for c in result.unplaced) > max(rank[p.citizen_id] for p in placed)


@given(SCENARIOS, st.data())
@PROPERTIES
def test_fixed_time_places_only_at_that_time_and_never_late(s, data):
    zone = ZoneInfo(s['zone'])
    calendar = AvailabilityCalendar(s['zone'], s['first_day'], s['last_day'],
                                    s['organisation_closing_days'])
    # Mostly a time when some caseworker has the hours free (shares aside).
    times = sorted({start for c in s['caseworkers'] for start in caseworker_starts(
        calendar, c, now=s['now'], duration_minutes=s['duration_minutes'],
        reporting_minutes=s['reporting_minutes'], share_percent=100)})
    if times and data.draw(st.integers(0, 4)):
        start = data.draw(st.sampled_from(times))
    else:
        start = (dt.datetime.combine(s['first_day'], T(), tzinfo=zone) + dt.timedelta(
            days=data.draw(st.integers(0, 4)),
            minutes=data.draw(st.integers(0, 287)) * 5)).astimezone(UTC)
    result = at_fixed_time(
        s['citizens'], s['caseworkers'], calendar=calendar, now=s['now'], start=start,
        duration_minutes=s['duration_minutes'], reporting_minutes=s['reporting_minutes'],
        group=s['group'], seats_per_meeting=s['seats_per_meeting'],
        extra_seats_per_meeting=s['extra_seats_per_meeting'], room=s['room'])
    citizens = {c.citizen_id: c for c in s['citizens']}
    assert sorted([p.citizen_id for p in result.placements] + result.unplaced) == sorted(citizens)
    day = start.astimezone(zone).date()
    assert all(p.start == start and not p.late and may_come(citizens[p.citizen_id], day)
               for p in result.placements)
    if s['group']:
        assert len({p.group_index for p in result.placements}) <= 1
        if s['seats_per_meeting'] is not None:
            assert len(result.placements) <= s['seats_per_meeting']
    else:
        used = [p.caseworker_ids[0] for p in result.placements]
        assert len(used) == len(set(used))
    # Whoever is placed is free then, by the max share: ask the slot engine.
    for p in result.placements:
        for cid in p.caseworker_ids:
            cw = next(c for c in s['caseworkers'] if c.caseworker_id == cid)
            free = caseworker_starts(calendar, cw, now=s['now'],
                                     duration_minutes=s['duration_minutes'],
                                     reporting_minutes=s['reporting_minutes'])
            assert start in free
    # Room seats: one per individual meeting; a group's citizens plus the kept seats.
    room = s['room']
    if room is not None and room.capacity is not None and result.placements:
        seats = len(result.placements) + (s['extra_seats_per_meeting'] if s['group'] else 0)
        for k in range(s['duration_minutes']):
            moment = start + dt.timedelta(minutes=k)
            assert seats + sum(b.seats for b in room.bookings
                               if as_aware(b.start) <= moment < as_aware(b.end)) <= room.capacity
    # The placed ones are the first in deadline order of those who could come.
    could = [c.citizen_id for c in sorted(s['citizens'], key=lambda c: (
        c.deadline is None, c.deadline or dt.date.min)) if may_come(c, day)]
    assert sorted(p.citizen_id for p in result.placements) == sorted(
        could[:len(result.placements)])


def test_fixed_time_with_few_seats_still_prefers_the_last_met_caseworker():
    result = fixed([citizen(1, last='C'), citizen(2)], [caseworker('A'), caseworker('B'),
                                                        caseworker('C')],
                   local(MONDAY, 9), room=RoomInput(capacity=1))
    assert seen(result) == {1: ('2026-03-02 09:00', ('C',), False)}
    assert result.unplaced == [2]


# --- the W3 workload ------------------------------------------------------------------------

def test_w3_workload_has_the_promised_shape_and_everyone_gets_a_time():
    from benchmarks import w3_bulk_summons
    from benchmarks.__main__ import workload_modules
    assert ('W3', 'w3_bulk_summons') in workload_modules()
    workload = w3_bulk_summons.build_workload()
    assert len(workload['citizens']) == 2000 and len(workload['caseworkers']) == 25
    assert (workload['last_day'] - workload['first_day']).days + 1 == 12 * 7
    assert all(c.deadline is not None for c in workload['citizens'])
    result = w3_bulk_summons.distribute_workload(workload)
    assert len(result.placements) == 2000 and not result.unplaced
    # Only a citizen away on every day up to the deadline may come late.
    for p in result.placements:
        if p.late:
            c = workload['citizens'][p.citizen_id]
            days = (c.deadline - c.earliest).days + 1
            assert all(c.earliest + dt.timedelta(d) in c.absent_days or
                       (c.earliest + dt.timedelta(d)).weekday() >= 5 for d in range(days))
