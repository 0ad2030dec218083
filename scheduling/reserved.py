"""Time reserved for one purpose: summons only or self-booking only (pure).

A job centre may keep, say, two days a week for summons and two for
citizens' self-booking. A reservation names its purpose, the local days it
holds (a weekday, a date range, or both) and optionally a time of day; the
loader resolves a team's reservation to its caseworkers. Free time reserved
for the other purpose is not offered: `for_purpose` hands the engine each
caseworker with that time added as busy (like an absence, so the day's
bookable time and so the shares stay as they were). The slot engine, the
automatic distribution and the citizens' offers all read the same inputs.

Instants: aware datetimes or naive UTC in, aware UTC out.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Hashable, Mapping, Sequence

from .availability import AvailabilityCalendar, CaseworkerAvailabilityInput, Instants

SUMMONS, SELF_BOOKING = 'summons', 'self_booking'
PURPOSES = (SUMMONS, SELF_BOOKING)


@dataclass(frozen=True)
class ReservedTime:
    purpose: str                         # SUMMONS or SELF_BOOKING: the time's only use
    weekday: int | None = None           # 0 = Monday; None: every day of the range
    first_day: dt.date | None = None     # local dates, both included; None: open-ended
    last_day: dt.date | None = None
    start: dt.time | None = None         # local time of day; None: the whole day
    end: dt.time | None = None           # None: until midnight

    def __post_init__(self):
        if self.purpose not in PURPOSES:
            raise ValueError(f'purpose must be one of {PURPOSES}, not {self.purpose!r}')
        if self.weekday is not None and not 0 <= self.weekday <= 6:
            raise ValueError('weekday must be 0 (Monday) to 6 (Sunday)')
        if self.first_day and self.last_day and self.first_day > self.last_day:
            raise ValueError('first_day must not be after last_day')
        if self.start and self.end and self.start >= self.end:
            raise ValueError('start must be before end')

    def holds(self, day: dt.date) -> bool:
        """Does the reservation cover (part of) this local date?"""
        return ((self.weekday is None or day.weekday() == self.weekday)
                and (self.first_day is None or day >= self.first_day)
                and (self.last_day is None or day <= self.last_day))


def other_purpose_windows(calendar: AvailabilityCalendar, reserved: Sequence[ReservedTime],
                          purpose: str) -> list[Instants]:
    """The instants of the calendar's days reserved for anything but `purpose`."""
    if purpose not in PURPOSES:
        raise ValueError(f'purpose must be one of {PURPOSES}, not {purpose!r}')
    zone = calendar.zone
    windows = []
    for day in calendar.days:
        for item in reserved:
            if item.purpose == purpose or not item.holds(day.day):
                continue
            start = dt.datetime.combine(day.day, item.start or dt.time(), tzinfo=zone)
            end = (dt.datetime.combine(day.day, item.end, tzinfo=zone) if item.end
                   else dt.datetime.combine(day.day + dt.timedelta(days=1), dt.time(),
                                            tzinfo=zone))
            windows.append((start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)))
    return windows


def for_purpose(calendar: AvailabilityCalendar,
                caseworkers: Sequence[CaseworkerAvailabilityInput],
                reserved: Mapping[Hashable, Sequence[ReservedTime]],
                purpose: str) -> list[CaseworkerAvailabilityInput]:
    """The caseworkers as `purpose` may use them: time reserved for the
    other purpose is busy. `reserved` maps caseworker id to the
    reservations that apply to them (their own and their team's)."""
    result = []
    # A team's reservations hold for each of its caseworkers alike: their
    # windows are worked out once per set of reservations, not per person.
    windows_of: dict[tuple, list[Instants]] = {}
    for caseworker in caseworkers:
        items = tuple(reserved.get(caseworker.caseworker_id, ()))
        windows = windows_of.get(items)
        if windows is None:
            windows = windows_of[items] = other_purpose_windows(calendar, items, purpose)
        result.append(replace(caseworker, absences=list(caseworker.absences) + windows)
                      if windows else caseworker)
    return result
