"""Why a summons placed a citizen after their deadline, so a planner can defend it.

Once "Summon now" has written its meetings (same transaction), availability
is rebuilt from the database through the loading code the pages use and the
single-booking engine is asked again, per chosen caseworker, for the free
starts between the citizen's earliest date and deadline on days the
citizen can come (expected none) and for the first free start after
(`scheduling.late_proof`). The evidence is kept as JSON on the citizen's
meeting line (`MeetingParticipant.late_evidence`); `explain` puts it into
plain words for the result page and the follow-up list.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from flask_babel import gettext as _, ngettext

from messaging import dates
from models import Caseworker, MeetingParticipant, Organisation, Room, Team, update_rows
from planner.loading import (caseworker_inputs, organisation_closing_days, reserved_for,
                             room_bookings, utc_window)
from scheduling import reserved
from scheduling.availability import AvailabilityCalendar, room_free_intervals
from scheduling.late_proof import LateCitizen, late_evidence

# How far past the latest deadline a first free start is looked for.
LOOK_AFTER = dt.timedelta(weeks=8)


@dataclass(frozen=True)
class LateLine:
    """A citizen's line of a meeting just made after their deadline."""
    participant_id: int
    earliest: dt.date
    deadline: dt.date
    absent_days: frozenset = frozenset()


@dataclass(frozen=True)
class Shape:
    """The summons' meetings as the engine sees them."""
    duration_minutes: int
    reporting_minutes: int = 0
    room: Room | None = None
    room_capacity: int | None = None         # seats a summons may fill (None: unlimited)
    seats_needed: int = 1


def record(organisation: Organisation, team: Team, caseworkers: list[Caseworker],
           lines: list[LateLine], shape: Shape, now: dt.datetime) -> None:
    """Check again from scratch and store the evidence on each line."""
    if not lines or not caseworkers:
        return
    first_day = min(line.earliest for line in lines)
    last_day = max(line.deadline for line in lines) + LOOK_AFTER
    calendar = AvailabilityCalendar(organisation.zone, first_day, last_day,
                                    organisation_closing_days(organisation, first_day, last_day))
    inputs = reserved_for(organisation, calendar,
                          caseworker_inputs(organisation, caseworkers, first_day, last_day,
                                            team=team), purpose=reserved.SUMMONS, team=team)
    room_free = None
    if shape.room is not None:
        start, end = utc_window(organisation, first_day, last_day)
        room_free = room_free_intervals(
            room_bookings(shape.room, start, end), capacity=shape.room_capacity,
            seats_needed=shape.seats_needed,
            window=(calendar.instant(calendar.start),
                    calendar.instant(calendar.end + shape.duration_minutes)))
    found = late_evidence(
        calendar, inputs, [LateCitizen(line.participant_id, line.earliest, line.deadline,
                                       line.absent_days) for line in lines],
        now=now, duration_minutes=shape.duration_minutes,
        reporting_minutes=shape.reporting_minutes, room_free=room_free)
    names = {c.id: c.user.name for c in caseworkers}
    update_rows(MeetingParticipant, ['late_evidence'], [
        (line.participant_id, json.dumps(dict(
            earliest=line.earliest.isoformat(), deadline=line.deadline.isoformat(),
            caseworkers=[dict(id=proof.caseworker_id, name=names[proof.caseworker_id],
                              free=proof.free_before_deadline,
                              first_free=[_iso(s) for s in proof.first_free_before],
                              first_after=_iso(proof.first_free_after))
                         for proof in found[line.participant_id]])))
        for line in lines])


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _when(organisation: Organisation, text: str) -> str:
    local = dt.datetime.fromisoformat(text).astimezone(organisation.zone)
    return dates.text(local, 'datetime')


def explain(organisation: Organisation, evidence: str | None) -> str:
    """The evidence in plain words (current language); '' when there is none."""
    try:
        data = json.loads(evidence or '')
        earliest = dates.text(dt.date.fromisoformat(data['earliest']), 'date')
        deadline = dates.text(dt.date.fromisoformat(data['deadline']), 'date')
        caseworkers = list(data['caseworkers'])
    except (ValueError, KeyError, TypeError):
        return ''
    busy = ', '.join(c['name'] for c in caseworkers if not c['free'])
    parts = [_('After the deadline %(deadline)s:', deadline=deadline)]
    if data['earliest'] > data['deadline']:
        parts.append(_('the deadline had passed before the earliest date %(first)s.',
                       first=earliest))
    elif busy and earliest == deadline:
        parts.append(_('%(names)s had no free time on %(deadline)s.', names=busy,
                       deadline=deadline))
    elif busy:
        parts.append(_('%(names)s had no free time between %(first)s and %(deadline)s.',
                       names=busy, first=earliest, deadline=deadline))
    for c in caseworkers:
        if c['free']:
            parts.append(ngettext(
                '%(name)s had %(num)d free time between %(first)s and %(deadline)s '
                '(%(when)s).',
                '%(name)s had %(num)d free times between %(first)s and %(deadline)s '
                '(first %(when)s).', c['free'], name=c['name'], first=earliest,
                deadline=deadline, when=_when(organisation, c['first_free'][0])))
        elif c['first_after']:
            parts.append(_("%(name)s's first free time was %(when)s.", name=c['name'],
                           when=_when(organisation, c['first_after'])))
        else:
            parts.append(_('%(name)s had no free time in the weeks after either.',
                           name=c['name']))
    return ' '.join(parts)
