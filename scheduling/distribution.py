"""Bulk summons: place a list of citizens on free meeting starts (pure).

Automatic distribution (DESIGN.md, the Danish deck's "automatisk fordeling"):

* Citizens are taken by hold-by deadline, earliest first; those without a
  deadline go last (input order breaks ties).
* Individual meetings: when the caseworker the citizen last met is among the
  chosen ones and has a free start on or before the deadline, the citizen
  gets that caseworker's first one; otherwise the earliest free start with
  any chosen caseworker (ties by the order of `caseworkers`, i.e. by name).
* Group meetings: every chosen caseworker attends every meeting; the
  earliest deadlines fill the earliest meeting, up to `seats_per_meeting`
  citizens (None: everyone in one meeting); a citizen who may not come on
  a meeting's day (earliest date later, away) waits for a later meeting.
* Never before a citizen's earliest summons date, never on a day the citizen
  is registered absent; starts on the 5-minute staff grid; the auto-booking
  share of each caseworker's day; room seats when a room is given.
* When capacity runs out, the rest are placed after their deadline and
  marked `late`; a citizen with no free start at all in the calendar's range
  is `unplaced`.

Instants: aware datetimes or naive UTC in, aware UTC out.

How it stays fast: every caseworker keeps a sorted list of their remaining
starts (integer minutes). All meetings of one run have the same length, so
placing a meeting at ``s`` deletes exactly the starts in ``(s - T, s + T)``
(T = duration + reporting) and, when the day's share is used up, the rest
of that day's starts; a citizen's earliest start is a bisect. Room seats are
counted per minute; a start whose room is full is dropped for good (seats
only fill up during a run).
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Hashable, Sequence

from .availability import AvailabilityCalendar, CaseworkerAvailabilityInput, RoomBooking
from .localtime import to_minute_ceil, to_minute_floor
from .slots import STAFF_GRID_MINUTES, _check_meeting, share_allows, start_minutes


@dataclass(frozen=True)
class CitizenToPlace:
    citizen_id: Hashable
    earliest: dt.date                       # local date: no meeting before it
    deadline: dt.date | None = None         # hold-by date: meeting's local date <= it
    last_caseworker_id: Hashable | None = None
    absent_days: frozenset = frozenset()    # local dates the citizen is away


@dataclass(frozen=True)
class RoomInput:
    """The chosen room: existing bookings (seats) and the seats summons may fill.

    `capacity` None is unlimited. Overbooking seats are not filled by
    summons: they are kept for rebooking."""
    bookings: Sequence[RoomBooking] = ()
    capacity: int | None = None


@dataclass(frozen=True)
class Placement:
    citizen_id: Hashable
    start: dt.datetime                      # aware UTC
    caseworker_ids: tuple                   # individual: one; group: all chosen
    group_index: int | None = None          # group meetings: same index, same meeting
    late: bool = False                      # after the citizen's deadline


@dataclass
class Distribution:
    placements: list[Placement] = field(default_factory=list)
    unplaced: list[Hashable] = field(default_factory=list)   # no free start at all


_NEVER = float('inf')


def distribute(citizens: Sequence[CitizenToPlace],
               caseworkers: Sequence[CaseworkerAvailabilityInput], *,
               calendar: AvailabilityCalendar, now: dt.datetime,
               duration_minutes: int, reporting_minutes: int = 0,
               group: bool = False, seats_per_meeting: int | None = None,
               extra_seats_per_meeting: int = 0,
               room: RoomInput | None = None,
               grid_minutes: int = STAFF_GRID_MINUTES) -> Distribution:
    """Automatic distribution over the calendar's days (see the module doc).

    `caseworkers` in tie-break order (by name). The auto-booking share
    (`auto_share_percent`) limits each caseworker's day, counting what is
    already booked and what this distribution adds. A group meeting takes
    one room seat per citizen plus `extra_seats_per_meeting` (seats kept
    for rebooking)."""
    _check_arguments(caseworkers, duration_minutes, reporting_minutes, grid_minutes,
                     seats_per_meeting, extra_seats_per_meeting)
    run = _Run(calendar, duration_minutes, reporting_minutes, room)
    ordered = _in_deadline_order(citizens)
    if not caseworkers or not calendar.days:
        return Distribution(unplaced=[c.citizen_id for c in ordered])
    earliest = to_minute_ceil(now)
    lanes = [_Lane(run, cw, cw.auto_share_percent, earliest, grid_minutes)
             for cw in caseworkers]
    if group:
        return _distribute_group(run, lanes, ordered, seats_per_meeting,
                                 extra_seats_per_meeting)
    return _distribute_individual(run, lanes, ordered)


def at_fixed_time(citizens: Sequence[CitizenToPlace],
                  caseworkers: Sequence[CaseworkerAvailabilityInput], *,
                  calendar: AvailabilityCalendar, now: dt.datetime, start: dt.datetime,
                  duration_minutes: int, reporting_minutes: int = 0,
                  group: bool = False, seats_per_meeting: int | None = None,
                  extra_seats_per_meeting: int = 0,
                  room: RoomInput | None = None) -> Distribution:
    """Fixed date and time: individual meetings give each chosen caseworker
    free at `start` (max meeting share) one citizen, in deadline order; a
    group meeting takes up to `seats_per_meeting` citizens when every chosen
    caseworker is free. Citizens absent that day or whose earliest date is
    later are skipped; everyone not placed is in `unplaced` ("N citizens
    remain"). Nobody is `late` here: the planner chose the time."""
    _check_arguments(caseworkers, duration_minutes, reporting_minutes, STAFF_GRID_MINUTES,
                     seats_per_meeting, extra_seats_per_meeting)
    ordered = _in_deadline_order(citizens)
    result = Distribution()
    run = _Run(calendar, duration_minutes, reporting_minutes, room)
    minute = to_minute_floor(start)
    index = calendar.day_index(minute)
    if index is None or minute < to_minute_ceil(now) or not caseworkers:
        result.unplaced = [c.citizen_id for c in ordered]
        return result
    date = calendar.days[index].day
    free = [cw for cw in caseworkers if _free_at(run, cw, index, minute)]
    eligible = [c for c in ordered if c.earliest <= date and date not in c.absent_days]
    seats = run.room.free_seats(minute)
    moment = calendar.instant(minute)
    chosen: list[tuple[CitizenToPlace, tuple]] = []
    group_index = None
    if group:
        if len(free) == len(caseworkers):
            size = min(_NEVER if seats_per_meeting is None else seats_per_meeting,
                       seats - extra_seats_per_meeting)
            ids = tuple(cw.caseworker_id for cw in caseworkers)
            chosen = [(c, ids) for c in eligible[:max(0, int(min(size, len(eligible))))]]
            group_index = 0 if chosen else None
    else:
        open_ids = [cw.caseworker_id for cw in free]
        meetings = min(seats, len(free))           # one room seat each
        for citizen in eligible:
            if len(chosen) >= meetings:
                break
            pick = (citizen.last_caseworker_id if citizen.last_caseworker_id in open_ids
                    else open_ids[0])
            open_ids.remove(pick)
            chosen.append((citizen, (pick,)))
    placed = set()
    for citizen, ids in chosen:
        result.placements.append(Placement(citizen.citizen_id, moment, ids, group_index))
        placed.add(id(citizen))
    result.unplaced = [c.citizen_id for c in ordered if id(c) not in placed]
    return result


# --- shared state of one run ---------------------------------------------------------

def _check_arguments(caseworkers, duration, reporting, grid, seats_per_meeting,
                     extra_seats) -> None:
    _check_meeting(duration, reporting, grid)
    if seats_per_meeting is not None and seats_per_meeting < 1:
        raise ValueError('seats_per_meeting must be at least 1 (None: everyone in one)')
    if extra_seats < 0:
        raise ValueError('extra_seats_per_meeting must not be negative')
    seen = set()
    for cw in caseworkers:
        if cw.caseworker_id in seen:
            raise ValueError(f'caseworker {cw.caseworker_id!r} given twice')
        seen.add(cw.caseworker_id)


def _in_deadline_order(citizens: Sequence[CitizenToPlace]) -> list[CitizenToPlace]:
    """Earliest deadline first, no deadline last; stable for ties."""
    return sorted(citizens, key=lambda c: (c.deadline is None, c.deadline or dt.date.min))


class _Run:
    """What one run shares: the calendar, the meeting's length, the room."""

    def __init__(self, calendar: AvailabilityCalendar, duration: int, reporting: int,
                 room: RoomInput | None):
        self.calendar = calendar
        self.duration = duration
        self.total = duration + reporting
        self.room = _Seats(room, calendar, duration)
        self.first_ordinal = calendar.first_day.toordinal()

    def day_start(self, date: dt.date) -> int | float:
        """First minute of a local date, clipped to the calendar."""
        offset = date.toordinal() - self.first_ordinal
        if offset <= 0:
            return self.calendar.start
        if offset >= len(self.calendar.days):
            return _NEVER
        return self.calendar.days[offset].start

    def day_end(self, date: dt.date | None) -> int | float:
        """Minute after a local date (no date: never), clipped to the calendar."""
        if date is None:
            return _NEVER
        offset = date.toordinal() - self.first_ordinal
        if offset < 0:
            return self.calendar.start
        if offset >= len(self.calendar.days):
            return self.calendar.end
        return self.calendar.days[offset].end


class _Seats:
    """Seats of the chosen room taken per minute (existing bookings + this run).

    Covers the calendar's minutes plus one meeting's length past its end; no
    room or an unlimited one has seats everywhere."""

    def __init__(self, room: RoomInput | None, calendar: AvailabilityCalendar, duration: int):
        self.capacity = room.capacity if room is not None else None
        self.duration = duration
        if self.capacity is None:
            return
        self.base = calendar.start
        length = max(0, calendar.end - calendar.start) + duration
        changes = [0] * (length + 1)
        for booking in room.bookings:
            start = max(to_minute_floor(booking.start) - self.base, 0)
            end = min(to_minute_ceil(booking.end) - self.base, length)
            if start < end and booking.seats:
                changes[start] += booking.seats
                changes[end] -= booking.seats
        used, total = [], 0
        for change in changes[:length]:
            total += change
            used.append(total)
        self.used = used

    def free_seats(self, minute: int) -> int | float:
        """Seats free during the whole meeting starting at `minute`."""
        if self.capacity is None:
            return _NEVER
        offset = minute - self.base
        return self.capacity - max(self.used[offset:offset + self.duration])

    def take(self, minute: int, seats: int) -> None:
        if self.capacity is None:
            return
        used = self.used
        for offset in range(minute - self.base, minute - self.base + self.duration):
            used[offset] += seats


class _Lane:
    """One caseworker's remaining starts (sorted minutes) and day shares."""

    __slots__ = ('run', 'caseworker_id', 'starts', 'days', 'booked', 'percent')

    def __init__(self, run: _Run, caseworker: CaseworkerAvailabilityInput, percent: int,
                 earliest: int, grid: int):
        self.run = run
        self.caseworker_id = caseworker.caseworker_id
        self.days = run.calendar.caseworker_days(caseworker)
        self.booked = dict(self.days.booked)
        self.percent = percent
        self.starts = start_minutes(run.calendar, self.days, run.duration,
                                    run.total - run.duration, grid, earliest, percent)

    def first(self, low, high, absent: frozenset) -> int | None:
        """The first remaining start in [low, high) that is not on an absent
        day and has a room seat; None when there is none."""
        starts = self.starts
        seats = self.run.room
        calendar = self.run.calendar
        i = bisect_left(starts, low)
        while i < len(starts):
            start = starts[i]
            if start >= high:
                return None
            if absent:
                day = calendar.days[calendar.day_index(start)]
                if day.day in absent:
                    i = bisect_left(starts, day.end, i)
                    continue
            if seats.capacity is not None and seats.free_seats(start) < 1:
                del starts[i]      # the room only fills up during a run
                continue
            return start
        return None

    def book(self, start: int, index: int) -> bool:
        """Take the meeting at `start` (on day `index`): drop the starts it
        overlaps, and the day's starts when its share is used up. Returns
        whether the day can still take a meeting."""
        run = self.run
        starts = self.starts
        del starts[bisect_right(starts, start - run.total):bisect_left(starts, start + run.total)]
        booked = self.booked[index] = self.booked.get(index, 0) + run.duration
        _, bookable = self.days.plan(index)
        if share_allows(booked, run.duration, bookable, self.percent):
            return True
        day = run.calendar.days[index]
        del starts[bisect_left(starts, day.start):bisect_left(starts, day.end)]
        return False


def _free_at(run: _Run, caseworker: CaseworkerAvailabilityInput, index: int,
             minute: int) -> bool:
    """Can the caseworker take a meeting at `minute` on day `index` (max share)?"""
    days = run.calendar.caseworker_days(caseworker)
    if days.is_closed(index):
        return False
    planned, bookable = days.plan(index)
    if not planned or not share_allows(days.booked_minutes(index), run.duration, bookable,
                                       caseworker.max_share_percent):
        return False
    end = minute + run.total
    return any(start <= minute and end <= stop for start, stop in days.free(index, planned))


# --- individual meetings -------------------------------------------------------------

def _distribute_individual(run: _Run, lanes: list[_Lane],
                           ordered: list[CitizenToPlace]) -> Distribution:
    result = Distribution()
    by_id = {lane.caseworker_id: lane for lane in lanes}
    calendar = run.calendar
    for citizen in ordered:
        low = run.day_start(citizen.earliest)
        if low == _NEVER:
            result.unplaced.append(citizen.citizen_id)
            continue
        absent = citizen.absent_days
        deadline_end = run.day_end(citizen.deadline)
        lane = start = None
        last = by_id.get(citizen.last_caseworker_id)
        if last is not None:
            start = last.first(low, deadline_end, absent)
            if start is not None:
                lane = last
        if lane is None:
            lane, start = _earliest(lanes, low, deadline_end, absent)
        if lane is None and deadline_end != _NEVER:
            lane, start = _earliest(lanes, max(low, deadline_end), _NEVER, absent)
        if lane is None:
            result.unplaced.append(citizen.citizen_id)
            continue
        index = calendar.day_index(start)
        lane.book(start, index)
        run.room.take(start, 1)
        late = citizen.deadline is not None and calendar.days[index].day > citizen.deadline
        result.placements.append(Placement(citizen.citizen_id, calendar.instant(start),
                                           (lane.caseworker_id,), None, late))
    return result


def _earliest(lanes: list[_Lane], low, high, absent) -> tuple[_Lane | None, int | None]:
    """The lane with the earliest start in [low, high); ties to the first lane."""
    best_lane, best = None, high
    for lane in lanes:
        start = lane.first(low, best, absent)
        if start is not None:
            best_lane, best = lane, start
    return (best_lane, best) if best_lane is not None else (None, None)


# --- group meetings ------------------------------------------------------------------

def _distribute_group(run: _Run, lanes: list[_Lane], ordered: list[CitizenToPlace],
                      seats_per_meeting: int | None, extra_seats: int) -> Distribution:
    result = Distribution()
    calendar = run.calendar
    common = set(lanes[0].starts)
    for lane in lanes[1:]:
        common.intersection_update(lane.starts)
    common = sorted(common)
    ids = tuple(lane.caseworker_id for lane in lanes)
    per_meeting = _NEVER if seats_per_meeting is None else seats_per_meeting
    waiting = list(ordered)
    meetings = 0
    i = 0
    while waiting and i < len(common):
        start = common[i]
        index = calendar.day_index(start)
        day = calendar.days[index]
        free = run.room.free_seats(start) - extra_seats
        # A meeting of N offered seats holds all N in the room, filled or
        # not, so it needs them all free; everyone-in-one takes what is free.
        size = free if seats_per_meeting is None else (per_meeting if per_meeting <= free else 0)
        if size < 1:
            i += 1
            continue
        taken, kept = [], []
        for citizen in waiting:
            if (len(taken) < size and citizen.earliest <= day.day
                    and day.day not in citizen.absent_days):
                taken.append(citizen)
            else:
                kept.append(citizen)
        if not taken:
            # Who may come depends on the date only: nobody may come today.
            i = bisect_left(common, day.end, i)
            continue
        waiting = kept
        moment = calendar.instant(start)
        for citizen in taken:
            late = citizen.deadline is not None and day.day > citizen.deadline
            result.placements.append(Placement(citizen.citizen_id, moment, ids, meetings, late))
        meetings += 1
        run.room.take(start, (len(taken) if seats_per_meeting is None else size) + extra_seats)
        day_open = all([lane.book(start, index) for lane in lanes])
        del common[bisect_right(common, start - run.total):bisect_left(common, start + run.total)]
        if not day_open:
            del common[bisect_left(common, day.start):bisect_left(common, day.end)]
        i = bisect_left(common, start)
    result.unplaced = [c.citizen_id for c in waiting]
    return result
