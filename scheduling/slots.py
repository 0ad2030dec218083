"""From free time to bookable meeting starts.

A start ``s`` is bookable for a meeting of D minutes with R minutes of
reporting when

* ``[s, s + D + R)`` lies inside one free interval of the caseworker (see
  `scheduling.availability`): so it never crosses a pause, the end of the
  bookable hours, a closing day, an absence or another meeting;
* ``s`` is on the grid, counted in local wall-clock time: every 5 minutes for
  staff, the organisation's display grid for citizens (15, 30 or 60);
* ``s >= now + min_notice``, and the local date of ``s`` is in the range;
* the share holds: minutes already booked on that local date + D is at most
  share % of the date's planned bookable minutes (hours minus pauses, not
  reduced by absences: the share is of the caseworker's planned time). The
  same check serves the max meeting share (booking) and the auto-booking
  share (automatic distribution);
* when `room_free` is given, ``[s, s + D)`` lies inside one of its intervals
  (the room is not needed for the reporting time).

Instants: aware datetimes or naive UTC in, aware UTC out.
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from typing import Collection, Hashable, Iterable, Literal
from zoneinfo import ZoneInfo

from .availability import (AvailabilityCalendar, CaseworkerAvailabilityInput, Instants,
                           _CaseworkerDays)
from .intervals import merge
from .localtime import MINUTES_PER_DAY, to_minute_ceil, to_minute_floor

STAFF_GRID_MINUTES = 5
CITIZEN_GRID_CHOICES = (15, 30, 60)
DEFAULT_CITIZEN_GRID_MINUTES = 15

Share = Literal['max', 'auto']


def share_allows(booked_minutes: int, duration_minutes: int, bookable_minutes: int,
                 share_percent: int) -> bool:
    """True when a day with `booked_minutes` can take a meeting of
    `duration_minutes` without exceeding `share_percent` of `bookable_minutes`."""
    return (booked_minutes + duration_minutes) * 100 <= share_percent * bookable_minutes


def bookable_starts(caseworkers: Iterable[CaseworkerAvailabilityInput], *,
                    zone: ZoneInfo | str, first_day: dt.date, last_day: dt.date,
                    now: dt.datetime, duration_minutes: int, reporting_minutes: int = 0,
                    grid_minutes: int = STAFF_GRID_MINUTES,
                    min_notice: dt.timedelta = dt.timedelta(0),
                    share: Share = 'max',
                    organisation_closing_days: Collection[dt.date] = (),
                    room_free: Iterable[Instants] | None = None,
                    ) -> dict[Hashable, list[dt.datetime]]:
    """Bookable starts of many caseworkers on the local dates ``first_day`` to
    ``last_day`` (both included).

    `share` picks each caseworker's limit: ``'max'`` (max meeting share, for
    booking) or ``'auto'`` (auto-booking share, for automatic distribution).
    Returns ``{caseworker_id: [start, ...]}`` with every caseworker present
    (possibly with an empty list) and starts ascending, aware UTC.
    """
    calendar = AvailabilityCalendar(zone, first_day, last_day, organisation_closing_days)
    return starts_in_calendar(calendar, caseworkers, now=now,
                              duration_minutes=duration_minutes,
                              reporting_minutes=reporting_minutes, grid_minutes=grid_minutes,
                              min_notice=min_notice, share=share, room_free=room_free)


def starts_in_calendar(calendar: AvailabilityCalendar,
                       caseworkers: Iterable[CaseworkerAvailabilityInput], *,
                       now: dt.datetime, duration_minutes: int, reporting_minutes: int = 0,
                       grid_minutes: int = STAFF_GRID_MINUTES,
                       min_notice: dt.timedelta = dt.timedelta(0),
                       share: Share = 'max',
                       room_free: Iterable[Instants] | None = None,
                       ) -> dict[Hashable, list[dt.datetime]]:
    """`bookable_starts` on a prepared calendar (reuse it across calls)."""
    if share not in ('max', 'auto'):
        raise ValueError(f'share must be "max" or "auto", not {share!r}')
    _check_meeting(duration_minutes, reporting_minutes, grid_minutes)
    earliest = to_minute_ceil(now + min_notice)
    windows = _room_windows(room_free, duration_minutes)
    result: dict[Hashable, list[dt.datetime]] = {}
    for caseworker in caseworkers:
        if caseworker.caseworker_id in result:
            raise ValueError(f'caseworker {caseworker.caseworker_id!r} given twice')
        percent = (caseworker.max_share_percent if share == 'max'
                   else caseworker.auto_share_percent)
        result[caseworker.caseworker_id] = _starts(
            calendar, caseworker, duration_minutes, reporting_minutes, grid_minutes,
            earliest, percent, windows)
    return result


def caseworker_starts(calendar: AvailabilityCalendar, caseworker: CaseworkerAvailabilityInput,
                      *, now: dt.datetime, duration_minutes: int, reporting_minutes: int = 0,
                      grid_minutes: int = STAFF_GRID_MINUTES,
                      min_notice: dt.timedelta = dt.timedelta(0),
                      share_percent: int | None = None,
                      room_free: Iterable[Instants] | None = None) -> list[dt.datetime]:
    """Bookable starts of one caseworker in the calendar's date range.

    `share_percent` is the day-share limit to apply; None means the
    caseworker's max meeting share. Returns aware UTC starts, ascending.
    """
    _check_meeting(duration_minutes, reporting_minutes, grid_minutes)
    if share_percent is None:
        share_percent = caseworker.max_share_percent
    return _starts(calendar, caseworker, duration_minutes, reporting_minutes, grid_minutes,
                   to_minute_ceil(now + min_notice), share_percent,
                   _room_windows(room_free, duration_minutes))


def _check_meeting(duration_minutes: int, reporting_minutes: int, grid_minutes: int) -> None:
    if duration_minutes <= 0:
        raise ValueError('duration_minutes must be positive')
    if reporting_minutes < 0:
        raise ValueError('reporting_minutes must not be negative')
    if grid_minutes <= 0 or MINUTES_PER_DAY % grid_minutes:
        raise ValueError('grid_minutes must divide a day (5, 15, 30, 60, ...)')


def _room_windows(room_free: Iterable[Instants] | None,
                  duration_minutes: int) -> list[tuple[int, int]] | None:
    """Half-open ranges of start minutes s with [s, s + D) inside one room interval.

    Built per interval before merging, so intervals of different rooms that
    touch do not let a meeting straddle two rooms.
    """
    if room_free is None:
        return None
    return merge((to_minute_ceil(start), to_minute_floor(end) - duration_minutes + 1)
                 for start, end in room_free)


def _starts(calendar: AvailabilityCalendar, caseworker: CaseworkerAvailabilityInput,
            duration: int, reporting: int, grid: int, earliest: int, share_percent: int,
            room_windows: list[tuple[int, int]] | None) -> list[dt.datetime]:
    instant = calendar.instant
    return [instant(m) for m in start_minutes(
        calendar, calendar.caseworker_days(caseworker), duration, reporting, grid, earliest,
        share_percent, room_windows)]


def start_minutes(calendar: AvailabilityCalendar, days: _CaseworkerDays, duration: int,
                  reporting: int, grid: int, earliest: int, share_percent: int,
                  room_windows: list[tuple[int, int]] | None = None) -> list[int]:
    """`_starts` in engine minutes, ascending, for a caseworker's day view
    (`AvailabilityCalendar.caseworker_days`); `earliest` is a minute."""
    total = duration + reporting
    limit = share_percent  # (booked + D) * 100 <= limit * bookable
    room_ends = [e for _, e in room_windows] if room_windows is not None else None
    minutes: list[int] = []
    for index, day in enumerate(calendar.days):
        if day.end - total < earliest or days.is_closed(index):
            continue
        planned, bookable = days.plan(index)
        if not planned or (days.booked_minutes(index) + duration) * 100 > limit * bookable:
            continue
        segments = day.segments
        for start, end in days.free(index, planned):
            stop = end - total + 1          # starts are in [start, stop)
            if start < earliest:
                start = earliest
            if stop <= start:
                continue
            if room_windows is None:
                windows = ((start, stop),)
            else:
                windows = _clip(room_windows, room_ends, start, stop)
            for w_start, w_stop in windows:
                if len(segments) == 1:
                    offset = segments[0][2]
                    minutes.extend(range(w_start + (-(w_start + offset)) % grid, w_stop, grid))
                    continue
                for seg_start, seg_end, offset in segments:
                    low = w_start if w_start > seg_start else seg_start
                    high = w_stop if w_stop < seg_end else seg_end
                    if low < high:
                        minutes.extend(range(low + (-(low + offset)) % grid, high, grid))
    return minutes


def _clip(windows: list[tuple[int, int]], ends: list[int], start: int,
          stop: int) -> list[tuple[int, int]]:
    result = []
    for i in range(bisect_right(ends, start), len(windows)):
        w_start, w_stop = windows[i]
        if w_start >= stop:
            break
        low = w_start if w_start > start else start
        high = w_stop if w_stop < stop else stop
        if low < high:
            result.append((low, high))
    return result



class StartChecker:
    """Re-checks new meetings of one length for one caseworker, one by one.

    Each start must be bookable (see the module doc) with the meetings
    already `take`n counted: they may not overlap each other, and together
    with the day's booked minutes they must fit the share. Used to verify a
    whole batch (a summons) inside one transaction without re-reading the
    database per meeting.
    """

    def __init__(self, calendar: AvailabilityCalendar, caseworker: CaseworkerAvailabilityInput,
                 *, now: dt.datetime, duration_minutes: int, reporting_minutes: int = 0,
                 grid_minutes: int = STAFF_GRID_MINUTES, share_percent: int | None = None):
        _check_meeting(duration_minutes, reporting_minutes, grid_minutes)
        self.calendar = calendar
        self.days = calendar.caseworker_days(caseworker)
        self.duration = duration_minutes
        self.total = duration_minutes + reporting_minutes
        self.share = caseworker.max_share_percent if share_percent is None else share_percent
        # Every start that fits the free time, whatever the share: the share
        # is checked here, with the taken meetings added.
        self.starts = {to_minute_floor(s) for s in _starts(
            calendar, caseworker, duration_minutes, reporting_minutes, grid_minutes,
            to_minute_ceil(now), 10 ** 9, None)}
        self.taken_starts: list[int] = []
        self.added: dict[int, int] = {}

    def fits(self, start: dt.datetime) -> bool:
        minute = to_minute_floor(start)
        if minute not in self.starts:
            return False
        index = bisect_right(self.taken_starts, minute)
        if index and self.taken_starts[index - 1] + self.total > minute:
            return False
        if index < len(self.taken_starts) and minute + self.total > self.taken_starts[index]:
            return False
        day = self.calendar.day_index(minute)
        _, bookable = self.days.plan(day)
        booked = self.days.booked_minutes(day) + self.added.get(day, 0)
        return share_allows(booked, self.duration, bookable, self.share)

    def take(self, start: dt.datetime) -> None:
        minute = to_minute_floor(start)
        self.taken_starts.insert(bisect_right(self.taken_starts, minute), minute)
        day = self.calendar.day_index(minute)
        self.added[day] = self.added.get(day, 0) + self.duration
