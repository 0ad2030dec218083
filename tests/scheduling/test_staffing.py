"""Vacancy eligibility, fair order, request or direct booking, and the
wall-clock helpers of substitutes' availability.

The property tests compare the engine with a reference that checks every
minute of a shift and every booking with plain datetime arithmetic, so it
shares no code path with the engine's bisection and minute counts.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from scheduling.staffing import (BOOKED_OVERLAP, DIRECT, END_BEFORE_START, MISSING_QUALIFICATION,
                                 NO_MOBILE, NOT_AVAILABLE, NOT_TRAINED, PRESETS, REQUEST,
                                 TOO_LITTLE_REST, TOO_LONG, Booking, Candidate, Reason, Shift,
                                 assess, assess_all, booking_mode, check_wall_range, eligible,
                                 local_days_of, move_by_days, overlapping, wall_range, weekly)

UTC = dt.timezone.utc
STOCKHOLM = ZoneInfo('Europe/Stockholm')
NOW = dt.datetime(2026, 5, 4, 6, 0, tzinfo=UTC)      # Monday 08:00 in Stockholm
UNIT, OTHER_UNIT = 10, 11
MEDICATION, LICENCE = 1, 2


def local(day: int, hour: int, minute: int = 0, month: int = 5) -> dt.datetime:
    """An aware instant from Stockholm wall-clock time in 2026."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=STOCKHOLM)


def shift(start, end, unit=UNIT, quals=(), vacancy_id=None) -> Shift:
    return Shift(start, end, unit, frozenset(quals), vacancy_id)


def candidate(sid=1, units=(UNIT,), quals=(), availability=(), bookings=(),
              last_offered=None, mobile=True) -> Candidate:
    return Candidate(sid, frozenset(units), frozenset(quals), list(availability),
                     list(bookings), last_offered, mobile)


EVENING = shift(local(6, 15), local(6, 22))
AVAILABLE_WEDNESDAY = [(local(6, 7), local(6, 23))]


# --- eligibility ------------------------------------------------------------------

def test_trained_qualified_available_and_free_is_eligible():
    result = assess(candidate(quals=(MEDICATION,), availability=AVAILABLE_WEDNESDAY),
                    shift(local(6, 15), local(6, 22), quals=(MEDICATION,)), NOW)
    assert result.eligible and result.reasons == ()


def test_every_reason_is_given_at_once():
    sub = candidate(units=(OTHER_UNIT,), quals=(LICENCE,), availability=[],
                    bookings=[Booking(local(6, 16), local(6, 20))], mobile=False)
    result = assess(sub, shift(local(6, 15), local(6, 22), quals=(MEDICATION, LICENCE)), NOW)
    assert [r.code for r in result.reasons] == [
        NOT_TRAINED, MISSING_QUALIFICATION, NOT_AVAILABLE, BOOKED_OVERLAP, NO_MOBILE]
    assert result.reasons[1] == Reason(MISSING_QUALIFICATION, (MEDICATION,))
    assert result.reasons[3].detail == (local(6, 16).astimezone(UTC), local(6, 20).astimezone(UTC))


def test_available_for_only_part_of_the_shift_is_not_available():
    sub = candidate(availability=[(local(6, 15), local(6, 21, 59))])
    assert [r.code for r in assess(sub, EVENING, NOW).reasons] == [NOT_AVAILABLE]
    sub = candidate(availability=[(local(6, 15, 1), local(6, 22))])
    assert [r.code for r in assess(sub, EVENING, NOW).reasons] == [NOT_AVAILABLE]


def test_touching_ranges_cover_a_night_across_midnight():
    night = shift(local(6, 22), local(7, 7))
    sub = candidate(availability=[(local(7, 0), local(7, 8)), (local(6, 20), local(7, 0))])
    assert assess(sub, night, NOW).eligible
    gap = candidate(availability=[(local(6, 20), local(6, 23, 59)), (local(7, 0), local(7, 8))])
    assert not assess(gap, night, NOW).eligible


def test_naive_utc_and_aware_instants_mean_the_same():
    naive = [(local(6, 7).astimezone(UTC).replace(tzinfo=None),
              local(6, 23).astimezone(UTC).replace(tzinfo=None))]
    assert assess(candidate(availability=naive), EVENING, NOW).eligible


@pytest.mark.parametrize('booking, ok', [
    (Booking(local(5, 23), local(6, 4)), True),        # ends exactly 11 h before
    (Booking(local(5, 23), local(6, 4, 1)), False),    # 10 h 59 min of rest
    (Booking(local(7, 9), local(7, 17)), True),        # starts exactly 11 h after
    (Booking(local(7, 8, 59), local(7, 17)), False),
    (Booking(local(6, 7), local(6, 15)), False),       # touching: no rest at all
])
def test_at_least_eleven_hours_of_rest_to_neighbouring_shifts(booking, ok):
    sub = candidate(availability=AVAILABLE_WEDNESDAY, bookings=[booking])
    result = assess(sub, EVENING, NOW)
    assert result.eligible == ok
    if not ok:
        assert [r.code for r in result.reasons] == [TOO_LITTLE_REST]


def test_overlap_is_named_before_rest():
    sub = candidate(availability=AVAILABLE_WEDNESDAY, bookings=[
        Booking(local(6, 8), local(6, 12)), Booking(local(6, 21), local(6, 23))])
    assert [r.code for r in assess(sub, EVENING, NOW).reasons] == [
        BOOKED_OVERLAP, TOO_LITTLE_REST]


def test_the_shift_itself_does_not_block_its_holder():
    sub = candidate(availability=AVAILABLE_WEDNESDAY,
                    bookings=[Booking(local(6, 15), local(6, 22), 77)])
    assert not assess(sub, EVENING, NOW).eligible
    assert assess(sub, shift(local(6, 15), local(6, 22), vacancy_id=77), NOW).eligible


def test_eligible_leaves_out_the_others():
    subs = [candidate(1, availability=AVAILABLE_WEDNESDAY),
            candidate(2, units=(OTHER_UNIT,), availability=AVAILABLE_WEDNESDAY),
            candidate(3, quals=(), availability=AVAILABLE_WEDNESDAY),
            candidate(4)]
    result = eligible(subs, shift(local(6, 15), local(6, 22)), NOW)
    assert [a.substitute_id for a in result] == [1, 3]
    result = eligible(subs, shift(local(6, 15), local(6, 22), quals=(LICENCE,)), NOW)
    assert result == []


# --- fair order ---------------------------------------------------------------------

def test_fewest_booked_hours_in_the_last_28_days_first():
    past = [Booking(local(28, 7, month=4), local(28, 15, month=4))]          # 8 h, inside
    longer = past + [Booking(local(29, 7, month=4), local(29, 11, month=4))]  # 12 h
    old = [Booking(local(1, 7, month=4), local(1, 23, month=4))]              # > 28 days ago
    future = [Booking(local(20, 7), local(20, 23))]                           # not yet worked
    subs = [candidate(1, availability=AVAILABLE_WEDNESDAY, bookings=longer),
            candidate(2, availability=AVAILABLE_WEDNESDAY, bookings=past),
            candidate(3, availability=AVAILABLE_WEDNESDAY, bookings=old + future)]
    result = eligible(subs, EVENING, NOW)
    assert [(a.substitute_id, a.booked_hours) for a in result] == [(3, 0), (2, 8), (1, 12)]


def test_window_edge_counts_only_the_part_inside():
    edge = NOW - dt.timedelta(days=28)
    sub = candidate(availability=AVAILABLE_WEDNESDAY,
                    bookings=[Booking(edge - dt.timedelta(hours=2), edge + dt.timedelta(hours=3))])
    assert assess(sub, EVENING, NOW).booked_minutes == 180


def test_then_longest_since_last_offered_never_offered_first_then_id():
    offered = [NOW - dt.timedelta(hours=1), NOW - dt.timedelta(days=3), None,
               NOW - dt.timedelta(days=3), None]
    subs = [candidate(i + 1, availability=AVAILABLE_WEDNESDAY, last_offered=o)
            for i, o in enumerate(offered)]
    assert [a.substitute_id for a in eligible(subs, EVENING, NOW)] == [3, 5, 2, 4, 1]


def test_assess_all_puts_eligible_first_then_nearest_misses():
    subs = [candidate(1, units=(), quals=(), availability=[]),               # 2 reasons
            candidate(2, availability=[]),                                   # 1 reason
            candidate(3, availability=AVAILABLE_WEDNESDAY)]
    assert [a.substitute_id for a in assess_all(subs, EVENING, NOW)] == [3, 2, 1]


# --- request or direct booking ----------------------------------------------------

@pytest.mark.parametrize('start, end, expected', [
    (local(4, 12), local(4, 15), REQUEST),        # 3 h today
    (local(4, 12), local(4, 20), REQUEST),        # long, but today
    (local(4, 23), local(5, 7), REQUEST),         # starts today, ends tomorrow
    (local(5, 7), local(5, 10), REQUEST),         # short, tomorrow
    (local(5, 7), local(5, 10, 59), REQUEST),
    (local(5, 7), local(5, 11), DIRECT),          # exactly 4 h, tomorrow
    (local(5, 0, 0), local(5, 8), DIRECT),        # just after local midnight
])
def test_short_or_same_day_shifts_go_out_as_requests(start, end, expected):
    assert booking_mode(start, end, NOW, STOCKHOLM) == expected


def test_today_is_the_organisations_local_date():
    # 23:30 UTC on 3 May is already 4 May in Stockholm.
    now = dt.datetime(2026, 5, 3, 23, 30, tzinfo=UTC)
    assert booking_mode(local(4, 8), local(4, 16), now, STOCKHOLM) == REQUEST
    assert booking_mode(local(4, 8), local(4, 16), now, 'UTC') == DIRECT


def test_a_dst_night_shift_is_measured_in_real_hours():
    # 29 March 2026: clocks go forward; 00:00-04:00 wall time is 3 real hours.
    now = dt.datetime(2026, 3, 20, tzinfo=UTC)
    assert booking_mode(local(29, 0, month=3), local(29, 4, month=3), now, STOCKHOLM) == REQUEST
    # 25 October 2026: clocks go back; 00:00-03:30 wall time is 4.5 real hours.
    now = dt.datetime(2026, 10, 20, tzinfo=UTC)
    assert booking_mode(local(25, 0, month=10), local(25, 3, 30, month=10), now,
                        STOCKHOLM) == DIRECT


# --- wall-clock helpers ---------------------------------------------------------------

def test_presets_touch_and_never_overlap():
    day = dt.date(2026, 5, 6)
    ranges = [wall_range(day, *PRESETS[name], STOCKHOLM) for name in ('day', 'evening', 'night')]
    assert ranges[0][1] == ranges[1][0] and ranges[1][1] == ranges[2][0]
    assert ranges[2][1] == wall_range(day + dt.timedelta(days=1), *PRESETS['day'], STOCKHOLM)[0]
    whole = wall_range(day, *PRESETS['whole_day'], STOCKHOLM)
    assert whole[1] - whole[0] == dt.timedelta(hours=24)
    for name, (start, end, next_day) in PRESETS.items():
        assert check_wall_range(start, end, next_day) is None, name


def test_night_range_on_dst_days():
    spring = wall_range(dt.date(2026, 3, 28), dt.time(22), dt.time(7), True, STOCKHOLM)
    autumn = wall_range(dt.date(2026, 10, 24), dt.time(22), dt.time(7), True, STOCKHOLM)
    assert spring[1] - spring[0] == dt.timedelta(hours=8)
    assert autumn[1] - autumn[0] == dt.timedelta(hours=10)
    gap = wall_range(dt.date(2026, 3, 29), dt.time(2, 30), dt.time(4), False, STOCKHOLM)
    assert gap[0].astimezone(STOCKHOLM).time() == dt.time(3, 30)


@pytest.mark.parametrize('start, end, next_day, code', [
    (dt.time(8), dt.time(16), False, None),
    (dt.time(16), dt.time(8), False, END_BEFORE_START),
    (dt.time(8), dt.time(8), False, END_BEFORE_START),
    (dt.time(22), dt.time(7), True, None),
    (dt.time(8), dt.time(8, 1), True, TOO_LONG),
    (dt.time(0), dt.time(0), True, None),
])
def test_check_wall_range(start, end, next_day, code):
    assert check_wall_range(start, end, next_day) == code


def test_copy_a_week_keeps_the_wall_clock_across_the_dst_change():
    start, end = wall_range(dt.date(2026, 3, 23), dt.time(7), dt.time(15), False, STOCKHOLM)
    moved = move_by_days(start, end, 7, STOCKHOLM)
    assert [m.astimezone(STOCKHOLM).replace(tzinfo=None) for m in moved] == [
        dt.datetime(2026, 3, 30, 7), dt.datetime(2026, 3, 30, 15)]
    assert moved[0] - start == dt.timedelta(days=7, hours=-1)


def test_weekly_offsets_until_a_date_inclusive():
    assert weekly(dt.date(2026, 5, 4), dt.date(2026, 5, 25)) == [0, 7, 14, 21]
    assert weekly(dt.date(2026, 5, 4), dt.date(2026, 5, 24)) == [0, 7, 14]
    assert weekly(dt.date(2026, 5, 4), dt.date(2026, 5, 1)) == [0]


def test_overlapping_ranges_touching_is_fine():
    existing = [(local(6, 7), local(6, 15)), (local(6, 15), local(6, 22))]
    assert overlapping(existing, (local(6, 22), local(7, 7))) == []
    assert overlapping(existing, (local(6, 14), local(6, 16))) == existing


def test_local_days_of_a_night():
    assert local_days_of(local(6, 22), local(7, 7), STOCKHOLM) == [
        dt.date(2026, 5, 6), dt.date(2026, 5, 7)]
    assert local_days_of(local(6, 7), local(7, 0), STOCKHOLM) == [dt.date(2026, 5, 6)]


# --- properties against a reference ----------------------------------------------------

BASE = dt.datetime(2026, 10, 23, tzinfo=UTC)    # spans the October DST change
MINUTES = st.integers(0, 3 * 1440)
ENGINE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def at(minute: int) -> dt.datetime:
    return BASE + dt.timedelta(minutes=minute)


interval = st.tuples(MINUTES, st.integers(1, 16 * 60)).map(lambda t: (at(t[0]), at(t[0] + t[1])))


@st.composite
def candidates(draw, sid):
    return Candidate(
        sid, frozenset(draw(st.sets(st.sampled_from([UNIT, OTHER_UNIT]), max_size=2))),
        frozenset(draw(st.sets(st.sampled_from([MEDICATION, LICENCE]), max_size=2))),
        draw(st.lists(interval, max_size=4)),
        [Booking(s, e) for s, e in draw(st.lists(interval, max_size=3))],
        draw(st.one_of(st.none(), interval.map(lambda i: i[0]))),
        draw(st.booleans()))


@st.composite
def scenarios(draw):
    subs = [draw(candidates(sid)) for sid in range(1, draw(st.integers(1, 8)) + 1)]
    start, end = draw(interval)
    vacancy = Shift(start, end, draw(st.sampled_from([UNIT, OTHER_UNIT])),
                    frozenset(draw(st.sets(st.sampled_from([MEDICATION, LICENCE]), max_size=2))))
    now = at(draw(MINUTES))
    return subs, vacancy, now


def reference_reasons(sub: Candidate, vacancy: Shift) -> set[str]:
    reasons = set()
    if vacancy.unit_id not in sub.unit_ids:
        reasons.add(NOT_TRAINED)
    if not vacancy.qualification_ids <= sub.qualification_ids:
        reasons.add(MISSING_QUALIFICATION)
    minute = vacancy.start
    while minute < vacancy.end:
        if not any(s <= minute < e for s, e in sub.availability):
            reasons.add(NOT_AVAILABLE)
            break
        minute += dt.timedelta(minutes=1)
    rest = dt.timedelta(hours=11)
    for booked in sub.bookings:
        if booked.start < vacancy.end and vacancy.start < booked.end:
            reasons.add(BOOKED_OVERLAP)
        elif booked.end <= vacancy.start and vacancy.start - booked.end < rest:
            reasons.add(TOO_LITTLE_REST)
        elif booked.start >= vacancy.end and booked.start - vacancy.end < rest:
            reasons.add(TOO_LITTLE_REST)
    if not sub.has_mobile:
        reasons.add(NO_MOBILE)
    return reasons


def reference_booked_minutes(sub: Candidate, now: dt.datetime) -> int:
    window = (now - dt.timedelta(days=28), now)
    total = dt.timedelta()
    for booked in sub.bookings:
        overlap = min(booked.end, window[1]) - max(booked.start, window[0])
        total += max(overlap, dt.timedelta())
    return int(total.total_seconds() // 60)


@ENGINE
@given(scenarios())
def test_reasons_match_the_minute_by_minute_reference(scenario):
    subs, vacancy, now = scenario
    for sub in subs:
        result = assess(sub, vacancy, now)
        assert {r.code for r in result.reasons} == reference_reasons(sub, vacancy)
        assert result.booked_minutes == reference_booked_minutes(sub, now)


@ENGINE
@given(scenarios(), st.randoms(use_true_random=False))
def test_eligible_is_the_fair_order_of_the_reasonless_whatever_the_input_order(scenario, rng):
    subs, vacancy, now = scenario
    result = eligible(subs, vacancy, now)
    expected = sorted(
        (s for s in subs if not reference_reasons(s, vacancy)),
        key=lambda s: (reference_booked_minutes(s, now),
                       s.last_offered_at or dt.datetime.min.replace(tzinfo=UTC),
                       s.substitute_id))
    assert [a.substitute_id for a in result] == [s.substitute_id for s in expected]
    shuffled = list(subs)
    rng.shuffle(shuffled)
    assert eligible(shuffled, vacancy, now) == result
    everyone = assess_all(subs, vacancy, now)
    assert [a for a in everyone if a.eligible] == result
    assert sorted(a.substitute_id for a in everyone) == [s.substitute_id for s in subs]


@settings(max_examples=200, deadline=None)
@given(day=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)),
       start=st.integers(0, 1439), length=st.integers(1, 1440), days=st.integers(-60, 60))
def test_moving_by_days_keeps_the_wall_clock(day, start, length, days):
    first = dt.time(start // 60, start % 60)
    end_minute = start + length
    last = dt.time((end_minute // 60) % 24, end_minute % 60)
    instants = wall_range(day, first, last, end_minute >= 1440, STOCKHOLM)
    moved = move_by_days(*instants, days, STOCKHOLM)
    for original, new in zip(instants, moved):
        was, now_local = original.astimezone(STOCKHOLM), new.astimezone(STOCKHOLM)
        assert now_local.date() == was.date() + dt.timedelta(days=days)
        target = dt.datetime.combine(now_local.date(), was.time(), tzinfo=STOCKHOLM)
        # A wall time in the spring-forward gap shows as the clock after the change.
        exists = target.astimezone(UTC).astimezone(STOCKHOLM).time() == was.time()
        assume(exists)
        assert now_local.time() == was.time()

