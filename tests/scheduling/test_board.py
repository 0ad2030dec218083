"""The board's days and its free-substitute counts, checked against a
reference that asks the booking engine itself (`Candidate.available_for`)
about every day's day, evening and night shift."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st

from scheduling.board import (DAY, MONTH, PERIODS, WEEK, available_counts, bounds, days_of,
                              local, parse_day, parse_month, shifts_window, step)
from scheduling.localtime import to_minute_ceil, to_minute_floor
from scheduling.rules import parse_week
from scheduling.staffing import PRESETS, Booking, Candidate, Shift, assess, wall_range

ZONE = ZoneInfo('Europe/Stockholm')
TODAY = dt.date(2030, 5, 8)     # a Wednesday


def test_views_parse_their_parameter_and_fall_back_to_today():
    assert parse_week('2030-W19', TODAY) == dt.date(2030, 5, 6)
    assert parse_week('2030-05-12', TODAY) == dt.date(2030, 5, 6)
    assert parse_week('2030-W99', TODAY) == parse_week('', TODAY) == dt.date(2030, 5, 6)
    assert parse_month('2030-02', TODAY) == dt.date(2030, 2, 1)
    assert parse_month('2030-13', TODAY) == parse_month(None, TODAY) == dt.date(2030, 5, 1)
    assert parse_day('2030-12-31', TODAY) == dt.date(2030, 12, 31)
    assert parse_day('31/12', TODAY) == TODAY
    # Dates at the ends of the calendar would overflow a step or a bound.
    assert parse_day('9999-12-31', TODAY) == parse_day('0001-01-01', TODAY) == TODAY
    assert parse_month('9999-12', TODAY) == dt.date(2030, 5, 1)
    assert parse_week('9999-W52', TODAY) == parse_week('0001-01-01', TODAY) == dt.date(2030, 5, 6)


def test_days_and_steps_of_each_view():
    monday = dt.date(2030, 5, 6)
    assert days_of(WEEK, monday) == [monday + dt.timedelta(days=i) for i in range(7)]
    assert len(days_of(MONTH, dt.date(2030, 2, 1))) == 28
    assert len(days_of(MONTH, dt.date(2032, 2, 1))) == 29
    assert days_of(DAY, TODAY) == [TODAY]
    assert step(MONTH, dt.date(2030, 12, 1), 1) == dt.date(2031, 1, 1)
    assert step(MONTH, dt.date(2030, 1, 1), -1) == dt.date(2029, 12, 1)
    assert step(WEEK, monday, -1) == dt.date(2030, 4, 29)
    assert step(DAY, TODAY, 1) == dt.date(2030, 5, 9)


def test_a_dst_week_runs_from_local_midnight_to_local_midnight():
    days = days_of(WEEK, dt.date(2030, 3, 25))       # clocks go forward on the Sunday
    first, after = bounds(days, ZONE)
    assert (first, after) == (dt.datetime(2030, 3, 24, 23, tzinfo=dt.timezone.utc),
                              dt.datetime(2030, 3, 31, 22, tzinfo=dt.timezone.utc))
    # 00:30 on the Monday after is 22:30 UTC on the Sunday: the next day.
    assert local(dt.datetime(2030, 3, 31, 22, 30), ZONE).date() == dt.date(2030, 4, 1)


def _instant(day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE)


def test_touching_ranges_join_and_a_minute_short_does_not_count():
    day = dt.date(2030, 10, 26)                      # the night the clocks go back
    night = day + dt.timedelta(days=1)
    ranges = [
        (1, _instant(day, 22), _instant(night, 0)),  # a night in two touching pieces
        (1, _instant(night, 0), _instant(night, 7)),
        (2, _instant(day, 7), _instant(day, 14, 59)),     # a minute short of the day
        (3, _instant(day, 6), _instant(day, 22)),         # day and evening
        (3, _instant(day, 6), _instant(day, 9)),          # overlapping, same person
    ]
    counts = available_counts(ranges, [day, night], ZONE)
    assert counts[day] == {'day': 1, 'evening': 1, 'night': 1}
    assert counts[night] == dict.fromkeys(PERIODS, 0)


HOURS = st.integers(0, 4 * 24 - 1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), HOURS, st.integers(1, 30)), max_size=14))
def test_counts_agree_with_the_booking_rule(pieces):
    """Random ranges of four substitutes over four days around a DST change."""
    first_day = dt.date(2030, 3, 29)
    days = days_of(DAY, first_day) + [first_day + dt.timedelta(days=i) for i in (1, 2, 3)]
    start_of = dt.datetime(2030, 3, 28, 23, tzinfo=dt.timezone.utc)   # 29 March 00:00
    ranges = [(user, start_of + dt.timedelta(hours=h), start_of + dt.timedelta(hours=h + n))
              for user, h, n in pieces]
    expected = {day: dict.fromkeys(PERIODS, 0) for day in days}
    for user in range(1, 5):
        candidate = Candidate(user, availability=[(s, e) for u, s, e in ranges if u == user])
        for day in days:
            for period in PERIODS:
                start, end = wall_range(day, *PRESETS[period], ZONE)
                if candidate.available_for(to_minute_floor(start), to_minute_ceil(end)):
                    expected[day][period] += 1
    assert available_counts(ranges, days, ZONE) == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), HOURS, st.integers(1, 30)), max_size=14),
       st.lists(st.tuples(st.integers(1, 4), HOURS, st.integers(1, 12)), max_size=6))
def test_counts_with_bookings_agree_with_the_assessment(pieces, shifts):
    """With booked shifts too: free for a shift is what `assess` finds
    eligible (available for all of it, no overlap, the rest kept)."""
    first_day = dt.date(2030, 3, 29)
    days = [first_day + dt.timedelta(days=i) for i in range(4)]
    start_of = dt.datetime(2030, 3, 28, 23, tzinfo=dt.timezone.utc)
    ranges = [(user, start_of + dt.timedelta(hours=h), start_of + dt.timedelta(hours=h + n))
              for user, h, n in pieces]
    booked = [(user, start_of + dt.timedelta(hours=h), start_of + dt.timedelta(hours=h + n))
              for user, h, n in shifts]
    expected = {day: dict.fromkeys(PERIODS, 0) for day in days}
    for user in range(1, 5):
        candidate = Candidate(user, unit_ids={1},
                              availability=[(s, e) for u, s, e in ranges if u == user],
                              bookings=[Booking(s, e, None) for u, s, e in booked if u == user])
        for day in days:
            for period in PERIODS:
                start, end = wall_range(day, *PRESETS[period], ZONE)
                if assess(candidate, Shift(start, end, 1), start_of).eligible:
                    expected[day][period] += 1
    assert available_counts(ranges, days, ZONE, booked=booked) == expected


def test_the_availability_window_runs_from_the_first_day_shift_to_the_last_night():
    days = days_of(WEEK, dt.date(2030, 5, 6))
    assert shifts_window(days, ZONE) == (
        dt.datetime(2030, 5, 6, 5, tzinfo=dt.timezone.utc),
        dt.datetime(2030, 5, 13, 5, tzinfo=dt.timezone.utc))
