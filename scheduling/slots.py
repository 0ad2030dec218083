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

`BookingCheck` asks the same of meetings about to be written, one after the
other, each counting the ones accepted before it (the re-check of every
booking, move and summons).

Instants: aware datetimes or naive UTC in, aware UTC out.
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from typing import Collection, Hashable, Iterable, Literal
from zoneinfo import ZoneInfo

from .availability import (AvailabilityCalendar, CaseworkerAvailabilityInput, Instants,
                           RoomBooking, _CaseworkerDays, room_free_intervals)
from .intervals import merge
from .localtime import MINUTES_PER_DAY, as_utc, to_minute_ceil, to_minute_floor

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


# --- the re-check before a write ------------------------------------------------

PAST, ROOM_FULL, TAKEN = 'past', 'room_full', 'taken'
_ANY_SHARE = 10 ** 9        # a share no day reaches: the free starts whatever the share


@dataclass(frozen=True)
class NewMeeting:
    """A meeting about to be written, as `BookingCheck` sees it."""
    caseworker_ids: tuple[Hashable, ...]     # everyone holding it (a group meeting: several)
    start: dt.datetime
    duration_minutes: int
    reporting_minutes: int = 0
    grid_minutes: int = STAFF_GRID_MINUTES
    share: Share = 'max'
    seats: int = 1                           # seats it takes in the room
    room_seats: int | None = None            # of the room's seats, how many it may fill


class BookingCheck:
    """The re-check of new meetings before they are written: one booking,
    one move, or a whole summons, checked one meeting after the other.

    `problem` answers '' when a meeting is free, else why not, in this order:
    ``'past'`` (it starts before `now`), ``'room_full'`` (the check has a
    room, and fewer than `seats` of the meeting's `room_seats` are free for
    ``[start, start + D)``), ``'taken'`` (its start is not bookable, see the
    module doc, for every one of its caseworkers). `place` also counts an
    accepted meeting, so the next ones are checked as if it had been in the
    input from the start: caseworkers' meetings may not overlap it (with
    reporting time), it adds to its day's share, and it takes its seats.

    A meeting checked alone gets the answer of `caseworker_starts` with the
    share given by `NewMeeting.share` and of `room_free_intervals`. Inputs
    are built for the calendar's dates once; each placed meeting costs a few
    bisections, so a summons of thousands checks quickly.
    """

    def __init__(self, calendar: AvailabilityCalendar,
                 caseworkers: Iterable[CaseworkerAvailabilityInput], *, now: dt.datetime,
                 room_bookings: Iterable[RoomBooking] | None = None):
        self.calendar = calendar
        self.now = as_utc(now)
        self.earliest = to_minute_ceil(now)
        self.lanes = {c.caseworker_id: _Lane(calendar, c) for c in caseworkers}
        self.room = None if room_bookings is None else _RoomSeats(room_bookings)

    def problem(self, meeting: NewMeeting) -> str:
        _check_meeting(meeting.duration_minutes, meeting.reporting_minutes,
                       meeting.grid_minutes)
        start = as_utc(meeting.start)
        if start < self.now:
            return PAST
        end = start + dt.timedelta(minutes=meeting.duration_minutes)
        if self.room is not None and not self.room.fits(start, end, meeting.seats,
                                                        meeting.room_seats):
            return ROOM_FULL
        minute = to_minute_floor(start)
        lanes = [self.lanes.get(cid) for cid in meeting.caseworker_ids]
        if (not lanes or minute != to_minute_ceil(start)
                or not all(lane is not None and lane.fits(minute, meeting, self.earliest)
                           for lane in lanes)):
            return TAKEN
        return ''

    def place(self, meeting: NewMeeting) -> str:
        """`problem`; when there is none, the meeting counts from now on."""
        why = self.problem(meeting)
        if not why:
            start = as_utc(meeting.start)
            for cid in meeting.caseworker_ids:
                self.lanes[cid].take(to_minute_floor(start), meeting)
            if self.room is not None:
                self.room.add(RoomBooking(
                    start, start + dt.timedelta(minutes=meeting.duration_minutes),
                    meeting.seats))
        return why


class _Lane:
    """One caseworker in a BookingCheck: the free starts of each meeting shape
    (computed once, whatever the share) and the meetings placed so far."""

    def __init__(self, calendar: AvailabilityCalendar, caseworker: CaseworkerAvailabilityInput):
        self.calendar = calendar
        self.caseworker = caseworker
        self.days = calendar.caseworker_days(caseworker)
        self.free: dict[tuple[int, int, int], set[int]] = {}
        # Placed meetings [start, end + reporting): ascending, never overlapping.
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.added: dict[int, int] = {}          # day index -> minutes placed

    def fits(self, minute: int, meeting: NewMeeting, earliest: int) -> bool:
        shape = (meeting.duration_minutes, meeting.reporting_minutes, meeting.grid_minutes)
        free = self.free.get(shape)
        if free is None:
            free = self.free[shape] = set(start_minutes(
                self.calendar, self.days, *shape, earliest, _ANY_SHARE))
        if minute not in free:
            return False
        index = bisect_right(self.starts, minute)
        if index and self.ends[index - 1] > minute:
            return False
        total = meeting.duration_minutes + meeting.reporting_minutes
        if index < len(self.starts) and minute + total > self.starts[index]:
            return False
        day = self.calendar.day_index(minute)
        _, bookable = self.days.plan(day)
        booked = self.days.booked_minutes(day) + self.added.get(day, 0)
        percent = (self.caseworker.max_share_percent if meeting.share == 'max'
                   else self.caseworker.auto_share_percent)
        return share_allows(booked, meeting.duration_minutes, bookable, percent)

    def take(self, minute: int, meeting: NewMeeting) -> None:
        index = bisect_right(self.starts, minute)
        self.starts.insert(index, minute)
        self.ends.insert(index, minute + meeting.duration_minutes + meeting.reporting_minutes)
        day = self.calendar.day_index(minute)
        self.added[day] = self.added.get(day, 0) + meeting.duration_minutes


class _RoomSeats:
    """A room's bookings in a BookingCheck plus the meetings placed, bucketed
    by the UTC date they start on (a meeting is shorter than a day)."""

    def __init__(self, bookings: Iterable[RoomBooking]):
        self.by_day: dict[dt.date, list[RoomBooking]] = defaultdict(list)
        for booking in bookings:
            self.add(booking)

    def add(self, booking: RoomBooking) -> None:
        self.by_day[as_utc(booking.start).date()].append(booking)

    def fits(self, start: dt.datetime, end: dt.datetime, seats: int,
             room_seats: int | None) -> bool:
        if room_seats is None:
            return True
        day, last = start.date() - dt.timedelta(days=1), end.date()
        near: list[RoomBooking] = []
        while day <= last:
            near += self.by_day.get(day, ())
            day += dt.timedelta(days=1)
        free = room_free_intervals(near, capacity=room_seats, seats_needed=seats,
                                   window=(start, end))
        return bool(free) and free[0] == (start, end)
