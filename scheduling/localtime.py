"""Instants as integer minutes, and the organisation's local days.

Convention of the whole package: an *instant* given to the engine is a
timezone-aware datetime (any zone) or a naive datetime meaning UTC (the
storage convention of `models.py`); instants the engine returns are always
timezone-aware UTC datetimes. Inside, instants are integer minutes since
1970-01-01 UTC, which keeps the hot loops on small ints.

Wall-clock rules (bookable hours, pauses) are read in the organisation's
zone. A wall-clock range on a local date means *every instant of that date
whose local wall time lies in the range*: on 2026-03-29 in Europe/Copenhagen
01:00-04:00 is two hours (02:00-03:00 never shows on the clock), on
2026-10-25 it is four hours (02:00-03:00 shows twice).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = dt.datetime(1970, 1, 1)
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
ONE_MINUTE = dt.timedelta(minutes=1)
MINUTES_PER_DAY = 1440


def resolve_zone(zone: ZoneInfo | str) -> ZoneInfo:
    """A ZoneInfo from a ZoneInfo or an IANA name such as 'Europe/Copenhagen'."""
    return zone if isinstance(zone, dt.tzinfo) else ZoneInfo(zone)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """The instant as an aware UTC datetime (naive input means UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def naive_utc(moment: dt.datetime) -> dt.datetime:
    """The instant as a naive UTC datetime, the form `models.py` stores."""
    return as_utc(moment).replace(tzinfo=None)


def to_minute_floor(moment: dt.datetime) -> int:
    """Minutes since the epoch, rounded down (naive input means UTC)."""
    if moment.tzinfo is None:
        return (moment - _EPOCH_NAIVE) // ONE_MINUTE
    return (moment - EPOCH) // ONE_MINUTE


def to_minute_ceil(moment: dt.datetime) -> int:
    """Minutes since the epoch, rounded up (naive input means UTC)."""
    if moment.tzinfo is None:
        return -((_EPOCH_NAIVE - moment) // ONE_MINUTE)
    return -((EPOCH - moment) // ONE_MINUTE)


def from_minute(minute: int) -> dt.datetime:
    """The aware UTC datetime of a minute count."""
    return EPOCH + dt.timedelta(minutes=minute)


def minute_of_day(wall: dt.time) -> int:
    """Minutes after local midnight of a wall-clock time (seconds are ignored)."""
    return wall.hour * 60 + wall.minute


def _offset_minutes(zone: ZoneInfo, minute: int) -> int:
    return from_minute(minute).astimezone(zone).utcoffset() // ONE_MINUTE


def _first_minute_of(zone: ZoneInfo, day: dt.date) -> int:
    # fold=0 maps a midnight inside a spring-forward gap onto the transition
    # and an ambiguous midnight onto its first occurrence: the day's first instant.
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
    return to_minute_floor(midnight)


@dataclass(frozen=True, slots=True)
class LocalDay:
    """One local calendar date of the organisation, in UTC minutes.

    `start`/`end` bound the instants whose local date is `day` (``end`` is the
    next day's start). `segments` split ``[start, end)`` where the UTC offset
    changes: ``(seg_start, seg_end, offset_minutes)``; one segment on ordinary
    days, two on DST days. `local_midnight` is 00:00 of the day counted in
    local minutes since the epoch, so an instant with offset ``o`` that shows
    wall time ``m`` (minutes after midnight) is ``local_midnight + m - o``.
    """
    day: dt.date
    start: int
    end: int
    segments: tuple[tuple[int, int, int], ...]
    local_midnight: int

    @property
    def weekday(self) -> int:
        return self.day.weekday()

    def wall_range(self, first: int, last: int) -> list[tuple[int, int]]:
        """UTC minute intervals of this day whose wall time is in [first, last).

        `first` and `last` are minutes after local midnight. The result is
        normalised; on the day clocks go back a range inside the repeated hour
        gives two intervals.
        """
        result: list[tuple[int, int]] = []
        for seg_start, seg_end, offset in self.segments:
            start = self.local_midnight + first - offset
            end = self.local_midnight + last - offset
            if start < seg_start:
                start = seg_start
            if end > seg_end:
                end = seg_end
            if start < end:
                if result and result[-1][1] == start:
                    result[-1] = (result[-1][0], end)
                else:
                    result.append((start, end))
        return result

    def offset_at(self, minute: int) -> int:
        """UTC offset in minutes of an instant inside this day."""
        for seg_start, seg_end, offset in self.segments:
            if minute < seg_end:
                return offset
        return self.segments[-1][2]

    def wall(self, minute: int) -> int:
        """The wall time of an instant as minutes after this day's midnight,
        0 before the day and 1440 after it (a meeting running past midnight
        ends at 24:00 on the day it starts)."""
        if minute <= self.start:
            return 0
        if minute >= self.end:
            return MINUTES_PER_DAY
        return minute + self.offset_at(minute) - self.local_midnight


def local_days(zone: ZoneInfo | str, first_day: dt.date, last_day: dt.date) -> list[LocalDay]:
    """The LocalDay of every date from `first_day` to `last_day` inclusive."""
    zone = resolve_zone(zone)
    count = (last_day - first_day).days + 1
    if count <= 0:
        return []
    starts = [_first_minute_of(zone, first_day + dt.timedelta(days=i)) for i in range(count + 1)]
    days = []
    for i in range(count):
        day = first_day + dt.timedelta(days=i)
        start, end = starts[i], starts[i + 1]
        days.append(LocalDay(day, start, end, _segments(zone, start, end),
                             (day.toordinal() - _EPOCH_ORDINAL) * MINUTES_PER_DAY))
    return days


def _segments(zone: ZoneInfo, start: int, end: int) -> tuple[tuple[int, int, int], ...]:
    first_offset = _offset_minutes(zone, start)
    last_offset = _offset_minutes(zone, end - 1)
    if first_offset == last_offset:
        return ((start, end, first_offset),)
    # One transition a day at most in real zones: find its first minute.
    low, high = start, end - 1   # offset(low) == first, offset(high) == last
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_minutes(zone, middle) == first_offset:
            low = middle
        else:
            high = middle
    return ((start, high, first_offset), (high, end, last_offset))
