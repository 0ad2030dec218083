"""When is a caseworker free, and when does a room have seats left?

Free time = bookable hours of the weekday - its fixed pauses - closing days
(organisation and team, whole local days) - absences - existing meetings
including their reporting time (a meeting ``[start, end)`` with R minutes of
reporting blocks ``[start, end + R)``).

Instants follow `scheduling.localtime`: aware datetimes or naive UTC in,
aware UTC out; hours and pauses are wall-clock times of the organisation's
zone. The engine works to the minute: seconds of busy instants round outward
(a meeting ending 10:00:30 blocks 10:00-10:01).
"""
from __future__ import annotations

import datetime as dt
import functools
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Collection, Hashable, Iterable, Iterator, Mapping, NamedTuple, Sequence
from zoneinfo import ZoneInfo

from .intervals import merge, subtract_sorted
from .localtime import (as_utc, from_minute, local_days, minute_of_day, resolve_zone,
                        to_minute_ceil, to_minute_floor)

MAX_PAUSES_PER_DAY = 4

WallRange = tuple[dt.time, dt.time]
Instants = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class WeeklySchedule:
    """A caseworker's week: bookable hours and fixed pauses per weekday.

    Keys are weekdays, 0 = Monday ... 6 = Sunday; values are lists of
    ``(start, end)`` local wall-clock times, end exclusive. A weekday without
    hours is not bookable. Run `validate_schedule` before saving one; the
    engine itself tolerates invalid ranges (an end before its start is empty).
    """
    hours: Mapping[int, Sequence[WallRange]] = field(default_factory=dict)
    pauses: Mapping[int, Sequence[WallRange]] = field(default_factory=dict)

    @classmethod
    def for_weekdays(cls, weekdays: Iterable[int], hours: Sequence[WallRange],
                     pauses: Sequence[WallRange] = ()) -> 'WeeklySchedule':
        """The same hours and pauses on each of `weekdays` (e.g. ``range(5)``)."""
        weekdays = list(weekdays)
        return cls(hours={d: list(hours) for d in weekdays},
                   pauses={d: list(pauses) for d in weekdays if pauses})

    def day_key(self, weekday: int) -> tuple:
        """Hashable minutes-after-midnight form of one weekday (a cache key)."""
        return (tuple((minute_of_day(s), minute_of_day(e)) for s, e in self.hours.get(weekday, ())),
                tuple((minute_of_day(s), minute_of_day(e)) for s, e in self.pauses.get(weekday, ())))

    @functools.cached_property
    def day_keys(self) -> tuple[tuple, ...]:
        """`day_key` of Monday ... Sunday, computed once per schedule (a team
        whose caseworkers share one schedule object computes it once)."""
        return tuple(self.day_key(w) for w in range(7))


class ScheduleProblem(NamedTuple):
    """One problem of a WeeklySchedule: the weekday and a code (see CODES)."""
    weekday: int
    code: str


INVALID_WEEKDAY = 'invalid_weekday'
HOURS_END_BEFORE_START = 'hours_end_before_start'
HOURS_OVERLAP = 'hours_overlap'
PAUSE_END_BEFORE_START = 'pause_end_before_start'
PAUSES_OVERLAP = 'pauses_overlap'
PAUSE_OUTSIDE_HOURS = 'pause_outside_hours'
TOO_MANY_PAUSES = 'too_many_pauses'
CODES = (INVALID_WEEKDAY, HOURS_END_BEFORE_START, HOURS_OVERLAP, PAUSE_END_BEFORE_START,
         PAUSES_OVERLAP, PAUSE_OUTSIDE_HOURS, TOO_MANY_PAUSES)


def validate_schedule(schedule: WeeklySchedule, *,
                      max_pauses: int = MAX_PAUSES_PER_DAY) -> list[ScheduleProblem]:
    """Problems of a schedule as ``(weekday, code)`` pairs; empty when valid.

    Codes: ``invalid_weekday`` (key outside 0-6), ``hours_end_before_start``
    and ``pause_end_before_start`` (end not after start), ``hours_overlap``,
    ``pauses_overlap`` (touching is fine), ``pause_outside_hours`` (a pause
    not inside one range of bookable hours), ``too_many_pauses`` (more than
    `max_pauses`). Each code appears at most once per weekday; the list is
    sorted by weekday, then by the order of CODES.
    """
    problems: set[ScheduleProblem] = set()
    for weekday in set(schedule.hours) | set(schedule.pauses):
        if not (isinstance(weekday, int) and 0 <= weekday <= 6):
            problems.add(ScheduleProblem(weekday, INVALID_WEEKDAY))
            continue
        hours = list(schedule.hours.get(weekday, ()))
        pauses = list(schedule.pauses.get(weekday, ()))
        valid_hours = [(s, e) for s, e in hours if s < e]
        if len(valid_hours) < len(hours):
            problems.add(ScheduleProblem(weekday, HOURS_END_BEFORE_START))
        if _any_overlap(valid_hours):
            problems.add(ScheduleProblem(weekday, HOURS_OVERLAP))
        valid_pauses = [(s, e) for s, e in pauses if s < e]
        if len(valid_pauses) < len(pauses):
            problems.add(ScheduleProblem(weekday, PAUSE_END_BEFORE_START))
        if _any_overlap(valid_pauses):
            problems.add(ScheduleProblem(weekday, PAUSES_OVERLAP))
        if any(not any(hs <= ps and pe <= he for hs, he in valid_hours)
               for ps, pe in valid_pauses):
            problems.add(ScheduleProblem(weekday, PAUSE_OUTSIDE_HOURS))
        if len(pauses) > max_pauses:
            problems.add(ScheduleProblem(weekday, TOO_MANY_PAUSES))
    return sorted(problems, key=lambda p: (
        (0, p.weekday, '') if isinstance(p.weekday, int) else (1, 0, str(p.weekday)),
        CODES.index(p.code)))


def _any_overlap(ranges: list[WallRange]) -> bool:
    ranges = sorted(ranges)
    return any(ranges[i + 1][0] < ranges[i][1] for i in range(len(ranges) - 1))


class BookedMeeting(NamedTuple):
    """An existing meeting of a caseworker: ``[start, end)`` plus reporting time.

    It blocks the caseworker for ``[start, end + reporting_minutes)`` and
    counts ``end - start`` towards the share of the local day it starts on.
    A named tuple: a team's week loads hundreds of them per request, and a
    tuple is built several times faster than a frozen dataclass.
    """
    start: dt.datetime
    end: dt.datetime
    reporting_minutes: int = 0


@dataclass(frozen=True)
class CaseworkerAvailabilityInput:
    """Everything the engine needs to know about one caseworker.

    `closing_days` are the local dates closed for the caseworker's team(s)
    (the organisation's own closing days are passed once, to the calendar).
    `absences` are ``(start, end)`` instant ranges. The shares are percentages
    of each day's planned bookable time (hours minus pauses): at most
    `max_share_percent` of it may be booked, and automatic distribution may
    fill at most `auto_share_percent`.
    """
    caseworker_id: Hashable
    schedule: WeeklySchedule
    absences: Sequence[Instants] = ()
    meetings: Sequence[BookedMeeting] = ()
    closing_days: Collection[dt.date] = frozenset()
    max_share_percent: int = 100
    auto_share_percent: int = 100


# A calendar kept between questions remembers at most this many meetings
# (a week of a 50-caseworker team has about 750), then starts over.
_MEETINGS_REMEMBERED = 2_000


class AvailabilityCalendar:
    """The local days of a date range in one zone, with per-day caches.

    Build one per request (or per distribution run) and use it for every
    caseworker: local-day boundaries and each distinct weekday plan (hours -
    pauses) are computed once per date, not once per caseworker.

    `first_day` and `last_day` are local dates, both included.
    """

    def __init__(self, zone: ZoneInfo | str, first_day: dt.date, last_day: dt.date,
                 organisation_closing_days: Collection[dt.date] = ()):
        self.zone = resolve_zone(zone)
        self.first_day = first_day
        self.last_day = last_day
        self.organisation_closing_days = frozenset(organisation_closing_days)
        self.days = local_days(self.zone, first_day, last_day)
        self.day_starts = [d.start for d in self.days]
        self.start = self.days[0].start if self.days else 0
        self.end = self.days[-1].end if self.days else 0
        self._plans: dict[tuple, tuple[list[tuple[int, int]], int]] = {}
        self._instants: dict[int, dt.datetime] = {}
        self._meetings: dict[BookedMeeting, tuple[int, int, int | None, int]] = {}

    def day_index(self, minute: int) -> int | None:
        """Index into `days` of the local day holding an instant (in minutes)."""
        if not self.days or minute < self.start or minute >= self.end:
            return None
        return bisect_right(self.day_starts, minute) - 1

    def plan(self, day_key: tuple, index: int) -> tuple[list[tuple[int, int]], int]:
        """Planned bookable minutes of a weekday plan on `days[index]`.

        Returns ``(intervals, minutes)``: the normalised UTC-minute intervals
        of hours minus pauses, and their total length.
        """
        key = (day_key, index)
        cached = self._plans.get(key)
        if cached is None:
            hours, pauses = day_key
            day = self.days[index]
            planned = merge(i for first, last in hours for i in day.wall_range(first, last))
            if planned and pauses:
                planned = subtract_sorted(planned, merge(
                    i for first, last in pauses for i in day.wall_range(first, last)))
            cached = (planned, sum(e - s for s, e in planned))
            self._plans[key] = cached
        return cached

    def instant(self, minute: int) -> dt.datetime:
        """The aware UTC datetime of a minute, shared between callers."""
        moment = self._instants.get(minute)
        if moment is None:
            moment = self._instants[minute] = from_minute(minute)
        return moment

    def meeting_minutes(self, meeting: BookedMeeting) -> tuple[int, int, int | None, int]:
        """``(start, busy until, index of its day or None, minutes it
        counts)`` of a meeting; a team's caseworkers share many start and
        end times, and a calendar kept between questions sees them again."""
        found = self._meetings.get(meeting)
        if found is None:
            start = to_minute_floor(meeting.start)
            end = to_minute_ceil(meeting.end)
            found = (start, end + meeting.reporting_minutes, self.day_index(start),
                     max(0, end - start))
            if len(self._meetings) >= _MEETINGS_REMEMBERED:
                self._meetings.clear()
            self._meetings[meeting] = found
        return found

    def caseworker_days(self, caseworker: CaseworkerAvailabilityInput) -> '_CaseworkerDays':
        """Per-day view of one caseworker in this calendar (minutes)."""
        return _CaseworkerDays(self, caseworker)


class _CaseworkerDays:
    """Busy intervals and booked minutes of one caseworker, indexed for days."""

    def __init__(self, calendar: AvailabilityCalendar, caseworker: CaseworkerAvailabilityInput):
        self.calendar = calendar
        schedule = caseworker.schedule
        self.day_keys = schedule.day_keys
        closed = calendar.organisation_closing_days
        if caseworker.closing_days:
            closed = closed | frozenset(caseworker.closing_days)
        self.closed = closed
        busy = []
        booked: dict[int, int] = {}
        minutes_of = calendar.meeting_minutes
        for meeting in caseworker.meetings:
            start, busy_until, index, minutes = minutes_of(meeting)
            busy.append((start, busy_until))
            if index is not None:
                booked[index] = booked.get(index, 0) + minutes
        for start, end in caseworker.absences:
            busy.append((to_minute_floor(start), to_minute_ceil(end)))
        self.busy = merge(busy)
        self.busy_starts = [s for s, _ in self.busy]
        self.busy_ends = [e for _, e in self.busy]
        self.booked = booked

    def is_closed(self, index: int) -> bool:
        return self.calendar.days[index].day in self.closed

    def plan(self, index: int) -> tuple[list[tuple[int, int]], int]:
        return self.calendar.plan(self.day_keys[self.calendar.days[index].weekday], index)

    def booked_minutes(self, index: int) -> int:
        return self.booked.get(index, 0)

    def free(self, index: int, planned: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """`planned` (of day `index`) minus absences and meetings."""
        day = self.calendar.days[index]
        low = bisect_right(self.busy_ends, day.start)
        high = bisect_left(self.busy_starts, day.end)
        if low >= high:
            return planned
        return subtract_sorted(planned, self.busy[low:high])

    def free_by_day(self) -> Iterator[tuple[int, list[tuple[int, int]]]]:
        """``(day index, free minute intervals)`` for each open day with free time."""
        for index in range(len(self.calendar.days)):
            if self.is_closed(index):
                continue
            planned, _ = self.plan(index)
            if planned:
                free = self.free(index, planned)
                if free:
                    yield index, free


def planned_intervals(schedule: WeeklySchedule, *, zone: ZoneInfo | str,
                      first_day: dt.date, last_day: dt.date) -> list[Instants]:
    """Bookable hours minus pauses on every local date in the range (inclusive).

    Ignores closing days, absences and meetings. Returns normalised aware-UTC
    ``(start, end)`` intervals.
    """
    calendar = AvailabilityCalendar(zone, first_day, last_day)
    keys = schedule.day_keys
    result = []
    for index, day in enumerate(calendar.days):
        result.extend(calendar.plan(keys[day.weekday], index)[0])
    return [(from_minute(s), from_minute(e)) for s, e in merge(result)]


def bookable_minutes_by_day(schedule: WeeklySchedule, *, zone: ZoneInfo | str,
                            first_day: dt.date, last_day: dt.date) -> dict[dt.date, int]:
    """Planned bookable minutes (hours minus pauses) of each local date: the
    base the meeting shares are percentages of."""
    calendar = AvailabilityCalendar(zone, first_day, last_day)
    keys = schedule.day_keys
    return {day.day: calendar.plan(keys[day.weekday], index)[1]
            for index, day in enumerate(calendar.days)}


def free_intervals(caseworker: CaseworkerAvailabilityInput, *, zone: ZoneInfo | str,
                   first_day: dt.date, last_day: dt.date,
                   organisation_closing_days: Collection[dt.date] = ()) -> list[Instants]:
    """A caseworker's free time on the local dates of the range (inclusive).

    Hours - pauses - closing days (organisation's and `caseworker.closing_days`)
    - absences - meetings with their reporting time. Shares are not applied
    (they limit which meetings may be added, see `scheduling.slots`).
    Returns normalised aware-UTC ``(start, end)`` intervals.
    """
    calendar = AvailabilityCalendar(zone, first_day, last_day, organisation_closing_days)
    days = calendar.caseworker_days(caseworker)
    minutes = [i for _, free in days.free_by_day() for i in free]
    return [(from_minute(s), from_minute(e)) for s, e in merge(minutes)]


@dataclass(frozen=True)
class RoomBooking:
    """Seats of a room taken over ``[start, end)`` (a group meeting takes several)."""
    start: dt.datetime
    end: dt.datetime
    seats: int = 1


def room_free_intervals(bookings: Iterable[RoomBooking], *, capacity: int | None,
                        overbooking_seats: int = 0, seats_needed: int = 1,
                        window: Instants) -> list[Instants]:
    """Where, inside `window`, a room still has `seats_needed` seats free.

    The room holds ``capacity + overbooking_seats`` seats (pass 0 extra seats
    when overbooking is not allowed); ``capacity=None`` means unlimited, so
    the whole window is free. Returns normalised aware-UTC intervals.
    """
    window_start, window_end = as_utc(window[0]), as_utc(window[1])
    if window_start >= window_end:
        return []
    if capacity is None:
        return [(window_start, window_end)]
    seats = capacity + overbooking_seats
    if seats_needed > seats:
        return []
    changes: dict[dt.datetime, int] = {}
    for booking in bookings:
        start, end = as_utc(booking.start), as_utc(booking.end)
        if start < end and booking.seats:
            changes[start] = changes.get(start, 0) + booking.seats
            changes[end] = changes.get(end, 0) - booking.seats
    free = []
    used = 0
    cursor = window_start
    for moment in sorted(changes):
        if moment > cursor:
            if used + seats_needed <= seats:
                free.append((cursor, min(moment, window_end)))
            cursor = moment
        used += changes[moment]
    if cursor < window_end and used + seats_needed <= seats:
        free.append((cursor, window_end))
    return merge(free)
