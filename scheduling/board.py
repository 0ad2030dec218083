"""The staffing board: which local days a week, a month or one day shows, on
which local day a shift lies, and how many substitutes are free for each
day's day, evening and night shift.

"Free for a shift" is the rule a booking uses (`Candidate.available_for`):
one stretch of their availability, touching ranges joined, covers the whole
shift. The shifts are the availability presets (`staffing.PRESETS`) on each
local day, so a DST day keeps 07:00-15:00 on the wall clock; a night belongs
to the day it starts.
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import Counter
from operator import itemgetter
from typing import Iterable
from zoneinfo import ZoneInfo

from .localtime import as_utc, resolve_zone, to_minute_ceil, to_minute_floor
from .rules import sane_day
from .staffing import PRESETS, conflicts, wall_range

PERIODS = ('day', 'evening', 'night')
WEEK, MONTH, DAY = 'week', 'month', 'day'


def parse_month(value: str | None, today: dt.date) -> dt.date:
    """The first day of "2030-05" (or of the month of "2030-05-08"); else of
    `today`'s month."""
    value = (value or '').strip()
    try:
        year, month = value.split('-')[:2]
        return sane_day(dt.date(int(year), int(month), 1), today.replace(day=1))
    except ValueError:
        return today.replace(day=1)


def parse_day(value: str | None, today: dt.date) -> dt.date:
    try:
        return sane_day(dt.date.fromisoformat((value or '').strip()), today)
    except ValueError:
        return today


def days_of(view: str, first: dt.date) -> list[dt.date]:
    """The days a view starting at `first` shows: 7, the month's, or one."""
    if view == WEEK:
        count = 7
    elif view == MONTH:
        count = (add_months(first, 1) - first).days
    else:
        count = 1
    return [first + dt.timedelta(days=i) for i in range(count)]


def add_months(first: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `first`'s."""
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def step(view: str, first: dt.date, steps: int) -> dt.date:
    """The first day of the view `steps` views later (or earlier)."""
    if view == MONTH:
        return add_months(first, steps)
    return first + dt.timedelta(days=steps * (7 if view == WEEK else 1))


def bounds(days: list[dt.date], zone: ZoneInfo | str) -> tuple[dt.datetime, dt.datetime]:
    """Aware UTC instants from the first day's local midnight to the one
    after the last day: the shifts starting then are the board's."""
    zone = resolve_zone(zone)
    first = dt.datetime.combine(days[0], dt.time(0), tzinfo=zone)
    after = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return first.astimezone(dt.timezone.utc), after.astimezone(dt.timezone.utc)


def local(instant: dt.datetime, zone: ZoneInfo | str) -> dt.datetime:
    """`instant` (aware or naive UTC) on the local wall clock; a shift lies
    on the local date it starts."""
    return as_utc(instant).astimezone(resolve_zone(zone))


def period_slots(days: list[dt.date], zone: ZoneInfo | str) -> list[tuple]:
    """``(start minute, end minute, day, period)`` of every day's day,
    evening and night shift, by start."""
    zone = resolve_zone(zone)
    slots = []
    for day in days:
        for period in PERIODS:
            start, end, next_day = PRESETS[period]
            first, last = wall_range(day, start, end, next_day, zone)
            slots.append((to_minute_floor(first), to_minute_ceil(last), day, period))
    slots.sort(key=lambda slot: slot[0])
    return slots


def available_counts(ranges: Iterable[tuple], days: list[dt.date], zone: ZoneInfo | str,
                     booked: Iterable[tuple] = ()) -> dict[dt.date, dict[str, int]]:
    """{day: {period: how many substitutes are free for that whole shift}}.

    `ranges`: ``(substitute id, start, end)`` of their availability (aware
    or naive UTC instants), any order, quickest by substitute and start;
    give those overlapping or touching the days (and their last night).
    `booked`: ``(substitute id, start, end)`` of their booked shifts from a
    day before the days to a day after: a substitute is not free for a
    shift that overlaps one or leaves too little rest (`staffing.conflicts`,
    the rule a booking applies)."""
    # One pass joining each substitute's overlapping or touching ranges into
    # stretches. Instants are read inward, as the booking reads them (a
    # second short never fits); many substitutes share their instants and
    # their stretches, so each is worked out once. Those with bookings are
    # counted one by one.
    ceil, floor = _Minutes(to_minute_ceil), _Minutes(to_minute_floor)
    busy: dict = {}
    for user_id, start, end in booked:     # outward, as for the booking rule
        busy.setdefault(user_id, []).append((floor[start], ceil[end], None))
    stretches: Counter = Counter()
    own: list = []
    user = stretch = None
    for user_id, start, end in sorted(ranges, key=itemgetter(0, 1)):
        first, last = ceil[start], floor[end]
        if first >= last:
            continue
        if user_id == user and first <= stretch[1]:
            stretch = (stretch[0], max(stretch[1], last))
            continue
        if user is not None:
            _keep(user, stretch, busy, stretches, own)
        user, stretch = user_id, (first, last)
    if user is not None:
        _keep(user, stretch, busy, stretches, own)
    return _covered(stretches, own, days, zone)


def _keep(user, stretch, busy, stretches: Counter, own: list) -> None:
    if user in busy:
        own.append((stretch, sorted(busy[user])))
    else:
        stretches[stretch] += 1


def _covered(stretches: Counter, own: list, days: list[dt.date], zone) -> dict:
    """Per day and period, how many of `stretches` cover the whole slot, and
    of `own` ((stretch, bookings) of one substitute) those whose bookings
    leave the slot free."""
    slots = period_slots(days, zone)
    starts = [slot[0] for slot in slots]
    counts = {day: dict.fromkeys(PERIODS, 0) for day in days}
    every = [(stretch, substitutes, ()) for stretch, substitutes in stretches.items()]
    for (start, end), substitutes, bookings in every + [(s, 1, b) for s, b in own]:
        i = bisect_left(starts, start)
        while i < len(slots) and starts[i] < end:
            slot_start, slot_end, day, period = slots[i]
            if slot_end <= end and not (bookings and any(conflicts(bookings, slot_start, slot_end))):
                counts[day][period] += substitutes
            i += 1
    return counts


class _Minutes(dict):
    """instant -> minute by `convert`, each instant converted once."""

    def __init__(self, convert):
        super().__init__()
        self.convert = convert

    def __missing__(self, instant):
        minute = self[instant] = self.convert(instant)
        return minute

def shifts_window(days: list[dt.date], zone: ZoneInfo | str) -> tuple[dt.datetime, dt.datetime]:
    """Aware UTC instants from the first day shift's start to the last
    night's end: the availability that can count lies across them."""
    zone = resolve_zone(zone)
    first = wall_range(days[0], *PRESETS[PERIODS[0]], zone)[0]
    last = wall_range(days[-1], *PRESETS[PERIODS[-1]], zone)[1]
    return first, last
