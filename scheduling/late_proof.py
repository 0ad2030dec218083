"""Proof of "no free time before the deadline" for citizens summoned late (pure).

A summons places a citizen after their deadline only when no chosen
caseworker had a free start in time. The evidence is checked again from
scratch with the single-booking engine (`caseworker_starts`, with each
caseworker's auto-booking share as the distribution uses): per caseworker,
the free starts on the local days from the citizen's earliest date to the
deadline on which the citizen can come (not absent), expected none, and
the first free start after the deadline.

Run it on availability rebuilt after the summons is written, so the
meetings it made count as booked.
"""
from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Hashable, Iterable, Sequence

from .availability import AvailabilityCalendar, CaseworkerAvailabilityInput, Instants
from .slots import STAFF_GRID_MINUTES, caseworker_starts

# Free starts before the deadline kept per caseworker (the evidence shows
# that there were some, and the first ones).
KEPT_STARTS = 3


@dataclass(frozen=True)
class LateCitizen:
    citizen_id: Hashable
    earliest: dt.date                        # local date: no meeting before it
    deadline: dt.date                        # hold-by date
    absent_days: frozenset = frozenset()     # local dates the citizen is away


@dataclass(frozen=True)
class CaseworkerEvidence:
    caseworker_id: Hashable
    free_before_deadline: int                # free starts earliest..deadline (expected 0)
    first_free_before: tuple[dt.datetime, ...]   # the first of them (aware UTC)
    first_free_after: dt.datetime | None     # first free start after the deadline


class _Lane:
    """One caseworker's free starts (ascending) and their local dates."""

    def __init__(self, starts: list[dt.datetime], zone):
        self.starts = starts
        self.days = [start.astimezone(zone).date() for start in starts]

    def evidence(self, caseworker_id, citizen: LateCitizen) -> CaseworkerEvidence:
        low = bisect_left(self.days, citizen.earliest)
        high = bisect_right(self.days, citizen.deadline)
        absent = citizen.absent_days
        before = [self.starts[i] for i in range(low, high) if self.days[i] not in absent]
        after = next((self.starts[i] for i in range(max(high, low), len(self.starts))
                      if self.days[i] not in absent), None)
        return CaseworkerEvidence(caseworker_id, len(before), tuple(before[:KEPT_STARTS]),
                                  after)


def late_evidence(calendar: AvailabilityCalendar,
                  caseworkers: Sequence[CaseworkerAvailabilityInput],
                  citizens: Iterable[LateCitizen], *, now: dt.datetime,
                  duration_minutes: int, reporting_minutes: int = 0,
                  grid_minutes: int = STAFF_GRID_MINUTES,
                  room_free: Iterable[Instants] | None = None,
                  ) -> dict[Hashable, list[CaseworkerEvidence]]:
    """{citizen id: [CaseworkerEvidence per caseworker, in the given order]}.

    Each caseworker's free starts over the calendar's dates are computed
    once (auto-booking share, the room's free intervals when given), then
    cut per citizen. A first free start after the deadline is looked for
    up to the calendar's last day (None: none in the calendar)."""
    room = list(room_free) if room_free is not None else None
    lanes = [(cw.caseworker_id, _Lane(caseworker_starts(
        calendar, cw, now=now, duration_minutes=duration_minutes,
        reporting_minutes=reporting_minutes, grid_minutes=grid_minutes,
        share_percent=cw.auto_share_percent, room_free=room), calendar.zone))
        for cw in caseworkers]
    return {citizen.citizen_id: [lane.evidence(cid, citizen) for cid, lane in lanes]
            for citizen in citizens}
