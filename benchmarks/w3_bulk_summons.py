"""W3 bulk summons: 2,000 citizens with deadlines, 25 caseworkers, 12 weeks.

One team of 25 caseworkers, Mon-Fri 08:00-16:00 local with two pauses, an
auto-booking share of 75 %, about 3,000 existing meetings and a few absence
days; 2,000 citizens whose due dates (Fridays) spread over the twelve weeks,
some with a caseworker they met before and some with days away. Individual
45-minute meetings with 15 minutes of reporting, distributed automatically.

Timed: the pure distribution (`scheduling.distribution.distribute` on plain
data, `median_ms`). The twelve weeks include the spring DST change, and
instants are naive UTC as they come out of the database.
"""
from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from scheduling.availability import (AvailabilityCalendar, BookedMeeting,
                                     CaseworkerAvailabilityInput, WeeklySchedule)
from scheduling.distribution import CitizenToPlace, distribute

from . import DEFAULT_REPEAT, measure, report

ZONE = ZoneInfo('Europe/Copenhagen')
FIRST_DAY = dt.date(2026, 3, 2)   # a Monday
WEEKS = 12
CASEWORKERS = 25
CITIZENS = 2000
MEETINGS_PER_DAY = 2              # existing meetings per caseworker and working day
ABSENCE_SHARE = 0.05
AUTO_SHARE = 75
LAST_MET_SHARE = 0.3              # citizens who met one of the caseworkers before
AWAY_SHARE = 0.1                  # citizens with a few days away
HOURS = (dt.time(8), dt.time(16))
PAUSES = ((dt.time(10), dt.time(10, 15)), (dt.time(12), dt.time(12, 30)))
DURATION, REPORTING = 45, 15
NOW = dt.datetime(2026, 2, 27, 12, 0, tzinfo=dt.timezone.utc)


def _naive_utc(day: dt.date, minute_of_day: int) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(), tzinfo=ZONE) + dt.timedelta(minutes=minute_of_day)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def working_days(first_day: dt.date = FIRST_DAY) -> list[dt.date]:
    return [first_day + dt.timedelta(days=i) for i in range(WEEKS * 7)
            if (first_day + dt.timedelta(days=i)).weekday() < 5]


def build_workload(seed: int = 3, first_day: dt.date = FIRST_DAY) -> dict:
    """The W3 caseworkers and citizens, deterministic for a seed.

    Caseworker ids are 0..24 (in name order), citizen ids 0..1999."""
    rng = random.Random(seed)
    last_day = first_day + dt.timedelta(weeks=WEEKS, days=-1)
    workdays = working_days(first_day)
    schedule = WeeklySchedule.for_weekdays(range(5), [HOURS], PAUSES)
    day_start, day_end = HOURS[0].hour * 60, HOURS[1].hour * 60
    pauses = [(s.hour * 60 + s.minute, e.hour * 60 + e.minute) for s, e in PAUSES]

    caseworkers = []
    for cw in range(CASEWORKERS):
        absent = {day for day in workdays if rng.random() < ABSENCE_SHARE}
        meetings = []
        for day in workdays:
            if day in absent:
                continue
            taken = list(pauses)
            placed = 0
            while placed < MEETINGS_PER_DAY:
                start = day_start + 15 * rng.randrange((day_end - day_start - 60) // 15 + 1)
                end = start + DURATION + REPORTING
                if any(start < t_end and t_start < end for t_start, t_end in taken):
                    continue
                taken.append((start, end))
                meetings.append(BookedMeeting(_naive_utc(day, start),
                                              _naive_utc(day, start + DURATION), REPORTING))
                placed += 1
        caseworkers.append(CaseworkerAvailabilityInput(
            caseworker_id=cw, schedule=schedule,
            absences=[(_naive_utc(day, 0), _naive_utc(day + dt.timedelta(days=1), 0))
                      for day in sorted(absent)],
            meetings=sorted(meetings, key=lambda m: m.start), auto_share_percent=AUTO_SHARE))

    fridays = [day for day in workdays if day.weekday() == 4]
    citizens = []
    for cid in range(CITIZENS):
        due = rng.choice(fridays)
        away = frozenset()
        if rng.random() < AWAY_SHARE:
            first_away = rng.choice(workdays)
            away = frozenset(first_away + dt.timedelta(days=i) for i in range(rng.randint(1, 10)))
        citizens.append(CitizenToPlace(
            citizen_id=cid, earliest=first_day, deadline=due,
            last_caseworker_id=(rng.randrange(CASEWORKERS) if rng.random() < LAST_MET_SHARE
                                else None),
            absent_days=away))
    return dict(citizens=citizens, caseworkers=caseworkers, first_day=first_day,
                last_day=last_day, now=NOW)


def distribute_workload(workload: dict):
    """One pure distribution of the workload (a fresh calendar each time)."""
    calendar = AvailabilityCalendar(ZONE, workload['first_day'], workload['last_day'])
    return distribute(workload['citizens'], workload['caseworkers'], calendar=calendar,
                      now=workload['now'], duration_minutes=DURATION,
                      reporting_minutes=REPORTING)


def run(repeat: int = DEFAULT_REPEAT) -> str:
    workload = build_workload()
    median_ms, result = measure(lambda: distribute_workload(workload), repeat=repeat)
    late = sum(p.late for p in result.placements)
    meetings = sum(len(c.meetings) for c in workload['caseworkers'])
    return report('W3', median_ms, citizens=len(workload['citizens']),
                  caseworkers=len(workload['caseworkers']), weeks=WEEKS, meetings=meetings,
                  placed=len(result.placements), late=late, unplaced=len(result.unplaced))
