"""Shared data for the summons tests (no tests here): a job centre team of
caseworkers with Mon-Fri 08:00-16:00 hours and a lunch pause, a room the
team may use, citizens with valid CPR numbers, phones and e-mail addresses,
and step 1 frames. Built on tests/test_offers_support.py.

Times: `NOW` is a Monday morning in Copenhagen; pass it to every call that
takes `now`, so nothing depends on the clock."""
from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest

from common.validators import normalise_cpr
from models import (CitizenProfile, Meeting, MeetingCaseworker, MeetingType, Room, RoomTeam, Team,
                    User)
from planner import summons
from scheduling.localtime import as_utc
from tests.test_offers_support import make_caseworker, make_citizen

CPH = ZoneInfo('Europe/Copenhagen')
UTC = dt.timezone.utc
NOW = dt.datetime(2027, 3, 1, 8, 0, tzinfo=CPH)      # Monday 1 March 2027, 08:00
MONDAY = NOW.date()
TUESDAY = MONDAY + dt.timedelta(days=1)

CASEWORKER_NAMES = ('Anne Andersen', 'Bent Bech', 'Carla Carlsen', 'Dorte Dahl',
                    'Erik Eriksen', 'Frida Frost')

_citizen_numbers = itertools.count(1)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """An aware Copenhagen wall-clock time."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CPH)


def cpr_number(n: int) -> str:
    """A valid Danish CPR number (real date, 1960-1999), unique per n < 13,440."""
    day, month, year = 1 + n % 28, 1 + (n // 28) % 12, 60 + (n // 336) % 40
    serial = n % 4000          # first serial digit 0-3: born in the 1900s
    cpr = f'{day:02d}{month:02d}{year:02d}{serial:04d}'
    assert normalise_cpr(cpr) == cpr
    return cpr


@dataclass
class JobCentre:
    org: object
    team: Team
    caseworkers: list          # by name, as step 1 lists them
    room: Room
    planner: User
    meeting_type: MeetingType
    citizens: list = field(default_factory=list)

    @property
    def caseworker_ids(self) -> list[int]:
        return [c.id for c in self.caseworkers]


def make_team(org, make_user, caseworkers: int = 3, *, name: str = 'Dagpenge',
              room_capacity: int | None = 6, planner: User | None = None) -> JobCentre:
    """A team (Jobvej 1, 8000 Aarhus C) of `caseworkers` caseworkers, Mon-Fri
    08:00-16:00 with lunch 12:00-12:30, a room (Mødelokale 1) the team may
    use, and a planner."""
    team = Team.create(organisation=org, name=name, address='Jobvej 1', postcode='8000',
                       city='Aarhus C')
    staff = [make_caseworker(org, team, make_user, person)
             for person in CASEWORKER_NAMES[:caseworkers]]
    room = Room.create(organisation=org, name=f'Mødelokale 1 {name}', capacity=room_capacity,
                       address='Jobvej 3', postcode='8000', city='Aarhus C')
    RoomTeam.create(room=room, team=team)
    planner = planner or make_user(org, User.PLANNER, name='Pia Planlægger')
    return JobCentre(org=org, team=team, caseworkers=staff, room=room, planner=planner,
                     meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'))


def make_citizens(org, make_user, count: int, *, prefix: str = 'Borger',
                  due_date: dt.date | None = None, phone: bool = True, email: bool = True,
                  language: str = 'en') -> list[User]:
    """`count` citizens with profiles, valid CPR numbers, a Danish mobile
    number and an e-mail address; named '<prefix> 01', '<prefix> 02', ..."""
    people = []
    for i in range(1, count + 1):
        n = next(_citizen_numbers)
        user = make_citizen(org, make_user, f'{prefix} {i:02d}', cpr=cpr_number(n),
                            email=f'borger{n}@example.test' if email else None,
                            language=language)
        user.phone = f'+4520{n % 1000000:06d}' if phone else None
        user.save()
        if due_date is not None:
            CitizenProfile.update(due_date=due_date).where(CitizenProfile.user == user).execute()
        people.append(user)
    return people


def frame_for(centre: JobCentre, **fields) -> summons.SummonsFrame:
    """A valid step 1: individual in-person job interviews of 45 minutes by
    all the team's caseworkers, automatic distribution."""
    values = dict(meeting_type_id=centre.meeting_type.id, team_id=centre.team.id,
                  caseworker_ids=centre.caseworker_ids, duration_minutes=45)
    values.update(fields)
    return summons.SummonsFrame(**values)


def draft_with(centre: JobCentre, citizens, frame: summons.SummonsFrame | None = None, *,
               due_dates: dict | None = None, now: dt.datetime = NOW):
    """A planner's draft with step 1 filled in and these citizens on it."""
    draft = summons.new_draft(centre.org, centre.planner, frame or frame_for(centre))
    due_dates = due_dates or {}
    summons.add_citizens(draft, [(c, due_dates.get(c.id)) for c in citizens], now=now)
    return draft


def busy_by_caseworker(meetings) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    """{caseworker id: [(start, end incl. reporting)]} of booked meetings,
    group meetings counted for every caseworker holding them."""
    others = {}
    for link in MeetingCaseworker.select().where(
            MeetingCaseworker.meeting.in_([m.id for m in meetings] or [0])):
        others.setdefault(link.meeting_id, []).append(link.caseworker_id)
    busy: dict[int, list] = {}
    for m in meetings:
        if m.status != Meeting.BOOKED:
            continue
        for cid in [m.caseworker_id] + others.get(m.id, []):
            busy.setdefault(cid, []).append((as_utc(m.starts_at), as_utc(m.busy_until)))
    return {cid: sorted(spans) for cid, spans in busy.items()}


def overlaps(meetings) -> list[tuple]:
    """Pairs of one caseworker's meetings that overlap (reporting counted)."""
    found = []
    for cid, spans in busy_by_caseworker(meetings).items():
        for (s1, e1), (s2, e2) in zip(spans, spans[1:]):
            if s2 < e1:
                found.append((cid, s1, s2))
    return found


@pytest.fixture
def centre(jobcentre, make_user):
    """Team Dagpenge with three caseworkers (Anne, Bent, Carla) and a room of 6."""
    return make_team(jobcentre, make_user, 3)
