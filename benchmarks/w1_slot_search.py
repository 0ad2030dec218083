"""W1 slot search: every bookable start of one team over eight weeks.

50 caseworkers, Mon-Fri 08:00-16:00 local with two pauses, 10 % of their
working days absent, 6,000 existing meetings; all starts on the 15-minute
citizen grid for a 45-minute meeting with 15 minutes of reporting. Times the
engine only (`scheduling.slots.bookable_starts` on plain data).

The eight weeks include the spring DST change, and instants are naive UTC as
they come out of the database.
"""
from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from scheduling.availability import BookedMeeting, CaseworkerAvailabilityInput, WeeklySchedule
from scheduling.slots import bookable_starts

from . import DEFAULT_REPEAT, measure, report

ZONE = ZoneInfo('Europe/Copenhagen')
FIRST_DAY = dt.date(2026, 3, 2)   # a Monday
WEEKS = 8
CASEWORKERS = 50
MEETINGS = 6000
ABSENCE_SHARE = 0.10
HOURS = (dt.time(8), dt.time(16))
PAUSES = ((dt.time(10), dt.time(10, 15)), (dt.time(12), dt.time(12, 30)))
MEETING_KINDS = ((30, 0), (45, 15), (60, 0), (30, 15), (45, 0))  # (minutes, reporting)
DURATION, REPORTING, GRID = 45, 15, 15
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


def _naive_utc(day: dt.date, minute_of_day: int) -> dt.datetime:
    # Aware arithmetic inside one zone is wall-clock arithmetic.
    local = dt.datetime.combine(day, dt.time(), tzinfo=ZONE) + dt.timedelta(minutes=minute_of_day)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def build_workload(seed: int = 1) -> dict:
    """The W1 caseworkers and query arguments, deterministic for a seed."""
    rng = random.Random(seed)
    last_day = FIRST_DAY + dt.timedelta(weeks=WEEKS, days=-1)
    workdays = [FIRST_DAY + dt.timedelta(days=i) for i in range(WEEKS * 7)
                if (FIRST_DAY + dt.timedelta(days=i)).weekday() < 5]
    schedule = WeeklySchedule.for_weekdays(range(5), [HOURS], PAUSES)
    slots = [(cw, day) for cw in range(CASEWORKERS) for day in workdays]
    absent = set(rng.sample(slots, round(len(slots) * ABSENCE_SHARE)))
    present = [slot for slot in slots if slot not in absent]

    day_start, day_end = HOURS[0].hour * 60, HOURS[1].hour * 60
    taken: dict[tuple[int, dt.date], list[tuple[int, int]]] = {
        slot: [(p[0].hour * 60 + p[0].minute, p[1].hour * 60 + p[1].minute) for p in PAUSES]
        for slot in present}
    meetings: dict[int, list[BookedMeeting]] = {cw: [] for cw in range(CASEWORKERS)}
    placed = 0
    while placed < MEETINGS:
        slot = rng.choice(present)
        minutes, reporting = rng.choice(MEETING_KINDS)
        start = day_start + 5 * rng.randrange((day_end - day_start - minutes - reporting) // 5 + 1)
        end = start + minutes + reporting
        if any(start < t_end and t_start < end for t_start, t_end in taken[slot]):
            continue
        taken[slot].append((start, end))
        cw, day = slot
        meetings[cw].append(BookedMeeting(_naive_utc(day, start),
                                          _naive_utc(day, start + minutes), reporting))
        placed += 1

    absences: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {cw: [] for cw in range(CASEWORKERS)}
    for cw, day in sorted(absent):
        absences[cw].append((_naive_utc(day, 0), _naive_utc(day + dt.timedelta(days=1), 0)))

    caseworkers = [CaseworkerAvailabilityInput(
        caseworker_id=cw, schedule=schedule, absences=absences[cw],
        meetings=sorted(meetings[cw], key=lambda m: m.start))
        for cw in range(CASEWORKERS)]
    return dict(caseworkers=caseworkers, zone=ZONE, first_day=FIRST_DAY, last_day=last_day,
                now=NOW, duration_minutes=DURATION, reporting_minutes=REPORTING,
                grid_minutes=GRID)


def run(repeat: int = DEFAULT_REPEAT) -> str:
    workload = build_workload()
    kwargs = dict(workload)
    caseworkers = kwargs.pop('caseworkers')
    median_ms, result = measure(lambda: bookable_starts(caseworkers, **kwargs), repeat=repeat)
    starts = sum(len(s) for s in result.values())
    meetings = sum(len(c.meetings) for c in caseworkers)
    return report('W1', median_ms, caseworkers=len(caseworkers), weeks=WEEKS,
                  meetings=meetings, starts=starts)
