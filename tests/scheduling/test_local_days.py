"""Local days and wall-clock ranges in UTC minutes, DST days included."""
import datetime as dt
from zoneinfo import ZoneInfo

from scheduling.localtime import (as_utc, from_minute, local_days, naive_utc, to_minute_ceil,
                                  to_minute_floor)

CPH = ZoneInfo('Europe/Copenhagen')
UTC = dt.timezone.utc


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def as_datetimes(intervals):
    return [(from_minute(s), from_minute(e)) for s, e in intervals]


def test_spring_forward_day_has_23_hours_and_two_segments():
    day, = local_days(CPH, dt.date(2026, 3, 29), dt.date(2026, 3, 29))
    assert (from_minute(day.start), from_minute(day.end)) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    assert day.end - day.start == 23 * 60
    assert [(s, e, o) for s, e, o in day.segments][0][2] == 60
    assert from_minute(day.segments[1][0]) == utc(2026, 3, 29, 1)
    assert day.segments[1][2] == 120


def test_fall_back_day_has_25_hours():
    day, = local_days(CPH, dt.date(2026, 10, 25), dt.date(2026, 10, 25))
    assert day.end - day.start == 25 * 60
    assert from_minute(day.segments[1][0]) == utc(2026, 10, 25, 1)


def test_ordinary_day_has_one_segment():
    day, = local_days(CPH, dt.date(2026, 6, 1), dt.date(2026, 6, 1))
    assert day.end - day.start == 24 * 60
    assert len(day.segments) == 1


def test_working_hours_keep_their_length_on_dst_days():
    for date in (dt.date(2026, 3, 29), dt.date(2026, 10, 25)):
        day, = local_days(CPH, date, date)
        (start, end), = day.wall_range(8 * 60, 16 * 60)
        assert end - start == 8 * 60
        assert from_minute(start).astimezone(CPH).time() == dt.time(8)


def test_night_range_on_dst_days_follows_the_wall_clock():
    spring, = local_days(CPH, dt.date(2026, 3, 29), dt.date(2026, 3, 29))
    # 01:00-04:00 on the clock: 02:00-03:00 never shows, so two hours.
    assert as_datetimes(spring.wall_range(60, 240)) == [(utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))]
    autumn, = local_days(CPH, dt.date(2026, 10, 25), dt.date(2026, 10, 25))
    # 02:00-03:00 shows twice, so four hours.
    assert as_datetimes(autumn.wall_range(60, 240)) == [(utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))]
    # A range inside the repeated hour happens twice.
    assert as_datetimes(autumn.wall_range(135, 165)) == [
        (utc(2026, 10, 25, 0, 15), utc(2026, 10, 25, 0, 45)),
        (utc(2026, 10, 25, 1, 15), utc(2026, 10, 25, 1, 45))]
    # A range inside the missing hour is empty.
    assert spring.wall_range(135, 165) == []


def test_minute_conversion_rounds_and_accepts_naive_utc():
    moment = dt.datetime(2026, 3, 2, 8, 0, 30)
    assert to_minute_ceil(moment) == to_minute_floor(moment) + 1
    assert to_minute_floor(moment) == to_minute_floor(moment.replace(tzinfo=UTC))
    assert to_minute_floor(moment.replace(tzinfo=UTC).astimezone(CPH)) == to_minute_floor(moment)
    exact = dt.datetime(2026, 3, 2, 8)
    assert to_minute_ceil(exact) == to_minute_floor(exact)
    assert from_minute(to_minute_floor(exact)) == exact.replace(tzinfo=UTC)
    assert as_utc(exact) == exact.replace(tzinfo=UTC)
    assert naive_utc(dt.datetime(2026, 3, 2, 9, tzinfo=CPH)) == exact


def test_wall_time_of_an_instant_on_ordinary_and_dst_days():
    june, = local_days(CPH, dt.date(2026, 6, 1), dt.date(2026, 6, 1))
    assert june.wall(to_minute_floor(utc(2026, 6, 1, 7))) == 9 * 60     # summer time
    assert june.wall(june.start - 30) == 0                                # before the day
    assert june.wall(june.end + 30) == 24 * 60                            # after it
    autumn, = local_days(CPH, dt.date(2026, 10, 25), dt.date(2026, 10, 25))
    # After the clocks went back, 10:00 local is 09:00 UTC.
    assert autumn.wall(to_minute_floor(utc(2026, 10, 25, 9))) == 10 * 60
    assert autumn.wall(to_minute_floor(utc(2026, 10, 25, 0, 30))) == 2 * 60 + 30
