"""The substitute pool: who may take a vacant shift, in what order, and
whether it goes out as requests or as a direct booking.

A substitute is *eligible* for a shift when they are trained at its unit,
hold every qualification it requires, are available for the whole shift by
their own calendar, have no booked shift overlapping it and keep at least
11 hours of rest to their neighbouring booked shifts. Eligible substitutes are
ordered fairly: fewest booked hours in the 28 days before `now`, then the one
offered a shift longest ago (never offered first), then by id.

Shifts shorter than 4 hours and shifts starting today (the organisation's
local date) go out as requests; the others may be booked directly.

Instants follow `scheduling.localtime`: aware datetimes or naive UTC in;
inside, integer minutes since the epoch. Availability is given as instants;
the wall-clock helpers at the end turn a substitute's "from - to" on a local
day into instants (a range may end the next day) and move ranges by whole
local days (so 07:00 stays 07:00 across a DST change).
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple, Sequence
from zoneinfo import ZoneInfo

from .intervals import merge
from .localtime import as_utc, from_minute, resolve_zone, to_minute_ceil, to_minute_floor

REST = dt.timedelta(hours=11)
FAIRNESS_WINDOW = dt.timedelta(days=28)
SHORT_SHIFT = dt.timedelta(hours=4)
LONGEST_SHIFT = dt.timedelta(hours=24)

REST_MINUTES = REST // dt.timedelta(minutes=1)
FAIRNESS_MINUTES = FAIRNESS_WINDOW // dt.timedelta(minutes=1)

# Why a substitute is not eligible (stable codes; the web layer words them).
NOT_TRAINED = 'not_trained'
MISSING_QUALIFICATION = 'missing_qualification'
NOT_AVAILABLE = 'not_available'
BOOKED_OVERLAP = 'booked_overlap'
TOO_LITTLE_REST = 'too_little_rest'
NO_MOBILE = 'no_mobile'
REASONS = (NOT_TRAINED, MISSING_QUALIFICATION, NOT_AVAILABLE, BOOKED_OVERLAP,
           TOO_LITTLE_REST, NO_MOBILE)

REQUEST = 'request'
DIRECT = 'direct'


@dataclass(frozen=True)
class Shift:
    """A vacant shift: instants, its unit and the qualifications it needs.

    `vacancy_id`, when given, lets a substitute's booking of this very shift
    be ignored (re-checking a shift someone already holds)."""
    start: dt.datetime
    end: dt.datetime
    unit_id: int
    qualification_ids: frozenset = frozenset()
    vacancy_id: int | None = None
    start_minute: int = field(init=False, repr=False, compare=False)
    end_minute: int = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, 'qualification_ids', frozenset(self.qualification_ids))
        object.__setattr__(self, 'start_minute', to_minute_floor(self.start))
        object.__setattr__(self, 'end_minute', to_minute_ceil(self.end))

    @property
    def duration(self) -> dt.timedelta:
        return as_utc(self.end) - as_utc(self.start)


class Booking(NamedTuple):
    """A shift the substitute already holds."""
    start: dt.datetime
    end: dt.datetime
    vacancy_id: int | None = None


@dataclass(frozen=True)
class Candidate:
    """One substitute as the engine sees them.

    `availability`: the instants they said they can work, any order, may
    touch or overlap (a night 22:00-24:00 plus 00:00-07:00 covers a shift
    across midnight). `bookings`: their booked shifts; give those from
    28 days before `now` (the fairness window) to beyond the shifts asked
    about, plus 11 hours (the rest rule). `last_offered_at`: when they were
    last sent a request or a booking (None: never)."""
    substitute_id: int
    unit_ids: frozenset = frozenset()
    qualification_ids: frozenset = frozenset()
    availability: Sequence[tuple[dt.datetime, dt.datetime]] = ()
    bookings: Sequence[Booking] = ()
    last_offered_at: dt.datetime | None = None
    has_mobile: bool = True
    # Derived once: normalised availability in minutes and its starts for
    # bisection; bookings in minutes, by start.
    _available: tuple = field(init=False, repr=False, compare=False)
    _available_starts: tuple = field(init=False, repr=False, compare=False)
    _booked: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, 'unit_ids', frozenset(self.unit_ids))
        object.__setattr__(self, 'qualification_ids', frozenset(self.qualification_ids))
        # Outward for busy time, inward for free time: a second too little
        # availability never makes a shift fit.
        available = tuple(merge((to_minute_ceil(s), to_minute_floor(e))
                                for s, e in self.availability))
        object.__setattr__(self, '_available', available)
        object.__setattr__(self, '_available_starts', tuple(s for s, _ in available))
        booked = sorted((to_minute_floor(b[0]), to_minute_ceil(b[1]),
                         b[2] if len(b) > 2 else None) for b in self.bookings)
        object.__setattr__(self, '_booked', tuple(booked))

    def available_for(self, start_minute: int, end_minute: int) -> bool:
        """True when one available interval covers the whole range."""
        i = bisect_right(self._available_starts, start_minute) - 1
        return i >= 0 and self._available[i][1] >= end_minute

    def booked_minutes(self, window_start: int, window_end: int) -> int:
        """Minutes of booked shifts inside ``[window_start, window_end)``."""
        total = 0
        for start, end, _vacancy in self._booked:
            if start >= window_end:
                break
            overlap = min(end, window_end) - max(start, window_start)
            if overlap > 0:
                total += overlap
        return total


class Reason(NamedTuple):
    """Why not: a code from REASONS, and what it concerns: the missing
    qualification ids, or the booked shift ``(start, end)`` as aware UTC."""
    code: str
    detail: tuple = ()


@dataclass(frozen=True)
class Assessment:
    substitute_id: int
    reasons: tuple[Reason, ...]
    booked_minutes: int            # in the 28 days before `now`
    last_offered_at: dt.datetime | None

    @property
    def eligible(self) -> bool:
        return not self.reasons

    @property
    def booked_hours(self) -> float:
        return self.booked_minutes / 60


def assess(candidate: Candidate, shift: Shift, now: dt.datetime) -> Assessment:
    """Every reason `candidate` cannot take `shift` (none: eligible)."""
    reasons: list[Reason] = []
    if shift.unit_id not in candidate.unit_ids:
        reasons.append(Reason(NOT_TRAINED))
    if not shift.qualification_ids <= candidate.qualification_ids:
        reasons.append(Reason(MISSING_QUALIFICATION, tuple(sorted(
            shift.qualification_ids - candidate.qualification_ids))))
    if not candidate.available_for(shift.start_minute, shift.end_minute):
        reasons.append(Reason(NOT_AVAILABLE))
    overlap, rest = conflicts(candidate._booked, shift.start_minute, shift.end_minute,
                              shift.vacancy_id)
    if overlap:
        reasons.append(Reason(BOOKED_OVERLAP, (from_minute(overlap[0]), from_minute(overlap[1]))))
    if rest:
        reasons.append(Reason(TOO_LITTLE_REST, (from_minute(rest[0]), from_minute(rest[1]))))
    if not candidate.has_mobile:
        reasons.append(Reason(NO_MOBILE))
    now_minute = to_minute_floor(now)
    return Assessment(candidate.substitute_id, tuple(reasons),
                      candidate.booked_minutes(now_minute - FAIRNESS_MINUTES, now_minute),
                      candidate.last_offered_at)


def conflicts(booked: Sequence[tuple], start_minute: int, end_minute: int,
              vacancy_id: int | None = None) -> tuple[tuple | None, tuple | None]:
    """(overlap, rest): the first of the booked shifts ``(start, end,
    vacancy id)`` in minutes, by start, that overlaps the range, and the
    first that leaves less than REST before or after it; None for none. A
    booking of `vacancy_id` itself is no conflict."""
    overlap = rest = None
    for start, end, vacancy in booked:
        if vacancy is not None and vacancy == vacancy_id:
            continue
        if start >= end_minute + REST_MINUTES:
            break
        if end <= start_minute - REST_MINUTES:
            continue
        if start < end_minute and start_minute < end:
            overlap = overlap or (start, end)
        else:
            rest = rest or (start, end)
    return overlap, rest


_NEVER = dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)


def fair_key(assessment: Assessment) -> tuple:
    """Fewest booked minutes, then offered longest ago (never first), then id."""
    offered = assessment.last_offered_at
    return (assessment.booked_minutes, _NEVER if offered is None else as_utc(offered),
            assessment.substitute_id)


def eligible(candidates: Iterable[Candidate], shift: Shift,
             now: dt.datetime) -> list[Assessment]:
    """The eligible substitutes for `shift`, in fair order."""
    found = []
    for candidate in candidates:
        # The cheap tests first: most of a large pool fails on the unit.
        if shift.unit_id not in candidate.unit_ids:
            continue
        if not shift.qualification_ids <= candidate.qualification_ids:
            continue
        if not candidate.available_for(shift.start_minute, shift.end_minute):
            continue
        result = assess(candidate, shift, now)
        if result.eligible:
            found.append(result)
    found.sort(key=fair_key)
    return found


def assess_all(candidates: Iterable[Candidate], shift: Shift,
               now: dt.datetime) -> list[Assessment]:
    """Everyone with their reasons: the eligible first in fair order, then
    the others, fewest reasons first (the nearest misses on top)."""
    results = [assess(c, shift, now) for c in candidates]
    results.sort(key=lambda a: (len(a.reasons) > 0, len(a.reasons), fair_key(a)))
    return results


def booking_mode(start: dt.datetime, end: dt.datetime, now: dt.datetime,
                 zone: ZoneInfo | str) -> str:
    """REQUEST for shifts shorter than 4 hours or starting today (local
    date of `now`), else DIRECT."""
    zone = resolve_zone(zone)
    if as_utc(end) - as_utc(start) < SHORT_SHIFT:
        return REQUEST
    if as_utc(start).astimezone(zone).date() <= as_utc(now).astimezone(zone).date():
        return REQUEST
    return DIRECT


# --- wall-clock ranges ---------------------------------------------------------

END_BEFORE_START = 'end_before_start'
EMPTY = 'empty'
TOO_LONG = 'too_long'

# Availability presets: (from, to, ends the next day). They touch and never
# overlap, so "day" and "evening" together cover a 07:00-22:00 shift.
PRESETS = {
    'day': (dt.time(7), dt.time(15), False),
    'evening': (dt.time(15), dt.time(22), False),
    'night': (dt.time(22), dt.time(7), True),
    'whole_day': (dt.time(0), dt.time(0), True),
}


def wall_range(day: dt.date, start: dt.time, end: dt.time, next_day: bool,
               zone: ZoneInfo | str) -> tuple[dt.datetime, dt.datetime]:
    """Aware UTC instants of "from `start` on `day` to `end`" (on the next day
    when `next_day`). A wall time that does not exist on a DST day is read as
    the clock shows it after the change (02:30 -> 03:30)."""
    zone = resolve_zone(zone)
    end_day = day + dt.timedelta(days=1 if next_day else 0)
    return (_instant(day, start, zone), _instant(end_day, end, zone))


def _instant(day: dt.date, wall: dt.time, zone: ZoneInfo) -> dt.datetime:
    local = dt.datetime.combine(day, wall.replace(second=0, microsecond=0), tzinfo=zone)
    return local.astimezone(dt.timezone.utc)


def check_wall_range(start: dt.time, end: dt.time, next_day: bool,
                     longest: dt.timedelta = LONGEST_SHIFT) -> str | None:
    """None when "from `start` to `end`" is a range, else a code:
    END_BEFORE_START (the end is not after the start on the same day),
    TOO_LONG (over `longest` of wall time)."""
    first = start.hour * 60 + start.minute
    last = end.hour * 60 + end.minute + (1440 if next_day else 0)
    if last <= first:
        return END_BEFORE_START
    if dt.timedelta(minutes=last - first) > longest:
        return TOO_LONG
    return None


def move_by_days(start: dt.datetime, end: dt.datetime, days: int,
                 zone: ZoneInfo | str) -> tuple[dt.datetime, dt.datetime]:
    """The same wall-clock range `days` local days later (aware UTC)."""
    zone = resolve_zone(zone)
    shift = dt.timedelta(days=days)
    local_start = as_utc(start).astimezone(zone)
    local_end = as_utc(end).astimezone(zone)
    return (_instant(local_start.date() + shift, local_start.time(), zone),
            _instant(local_end.date() + shift, local_end.time(), zone))


def weekly(first_day: dt.date, until: dt.date) -> list[int]:
    """Day offsets 0, 7, 14, ... of the weekly repeats from `first_day` up to
    and including `until`."""
    if until < first_day:
        return [0]
    return list(range(0, (until - first_day).days + 1, 7))


def overlapping(existing: Iterable[tuple[dt.datetime, dt.datetime]],
                new: tuple[dt.datetime, dt.datetime]) -> list[tuple[dt.datetime, dt.datetime]]:
    """The ranges of `existing` that overlap `new` (touching is fine)."""
    start, end = as_utc(new[0]), as_utc(new[1])
    return [r for r in existing if as_utc(r[0]) < end and start < as_utc(r[1])]


def local_days_of(start: dt.datetime, end: dt.datetime,
                  zone: ZoneInfo | str) -> list[dt.date]:
    """The local dates a range touches (a night shows on both days)."""
    zone = resolve_zone(zone)
    first = as_utc(start).astimezone(zone).date()
    last = (as_utc(end) - dt.timedelta(microseconds=1)).astimezone(zone).date()
    return [first + dt.timedelta(days=i) for i in range(max((last - first).days, 0) + 1)]
