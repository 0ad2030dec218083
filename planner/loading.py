"""Load Planner data for the pure availability engine (`scheduling/`).

Every loader takes a whole set of caseworkers and a date range and runs a
fixed number of queries bounded by both (no query per day or per caseworker).
"""
from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from dataclasses import replace
from typing import Iterable, NamedTuple, Sequence

from peewee import JOIN, Case, fn

from models import (Absence, Caseworker, CaseworkerTeam, CitizenProfile, ClosingDay, Meeting,
                    MeetingCaseworker, MeetingParticipant, OfferCaseworker, Organisation, Pause,
                    ReservedTime, Room, Team, User, WorkingHours, id_of, planning_revision,
                    prepared)
from scheduling.availability import (AvailabilityCalendar, BookedMeeting,
                                     CaseworkerAvailabilityInput, RoomBooking, WeeklySchedule)
from scheduling import reserved
from scheduling.localtime import naive_utc
from scheduling.rules import CitizenFacts, birth_date_from_id, parse_markings
from scheduling.slots import starts_in_calendar

# Meetings are shorter than this; a meeting starting this long before the
# window cannot reach into it (keeps the query on the starts_at index).
LONGEST_MEETING = dt.timedelta(hours=24)


def utc_window(organisation: Organisation, first_day: dt.date,
               last_day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Naive-UTC bounds of the local dates first_day..last_day (inclusive)."""
    zone = organisation.zone
    start = dt.datetime.combine(first_day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return naive_utc(start), naive_utc(end)


class KeptWhileUnchanged:
    """Values worked out from caseworkers' fixed availability (hours,
    pauses, absences, closing days, reservations), kept in this process
    while the planning revision stands: citizens ask the same weeks of the
    same offers over and over, and staff change those tables now and then
    (each write raises the revision, in whichever process it is made).
    Meetings are never kept. The values are shared: nobody changes them."""

    every: list['KeptWhileUnchanged'] = []

    def __init__(self, size: int):
        self._size = size
        self._values: dict[tuple, object] = {}
        self._lock = threading.Lock()
        KeptWhileUnchanged.every.append(self)

    def get(self, key: tuple, work_out):
        # The revision is read before the tables: what is kept under it is
        # never older than it.
        key = (planning_revision(), *key)
        found = self._values.get(key)
        if found is None:
            found = work_out()
            with self._lock:
                while len(self._values) >= self._size:
                    del self._values[next(iter(self._values))]    # the oldest
                self._values[key] = found
        return found

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


_SELF_BOOKING_FIXED = KeptWhileUnchanged(128)
_WEEKLY_SCHEDULES = KeptWhileUnchanged(256)


def forget_fixed_availability() -> None:
    """Empty this process's caches (when it is bound to another database)."""
    for kept in KeptWhileUnchanged.every:
        kept.clear()


# The loaders' queries are prepared reads (models.prepared): their rows come
# as the driver returns them, without peewee's per-row conversion; the hot
# loaders read thousands of rows and convert the few columns that need it.

@prepared
def _weekly_rows(p, model):
    """(caseworker id, weekday, start, end) of WorkingHours or Pause, stored text."""
    return (model.select(model.caseworker, model.weekday, model.start.coerce(False),
                         model.end.coerce(False))
            .where(model.caseworker.in_(p.ids))
            .order_by(model.caseworker, model.weekday, model.start))


def read_date(value) -> dt.date:
    """A stored date (a raw row's value): SQLite hands back text."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def weekly_schedules(caseworker_ids: list[int]) -> dict[int, WeeklySchedule]:
    """{caseworker id: WeeklySchedule}; caseworkers with the same hours and
    pauses share one schedule object (the engine caches per schedule).
    Kept while the planning revision stands (shared: not to be changed)."""
    ids = list(caseworker_ids)
    return _WEEKLY_SCHEDULES.get((tuple(ids),), lambda: _read_weekly_schedules(ids))


def _read_weekly_schedules(caseworker_ids: list[int]) -> dict[int, WeeklySchedule]:
    hours: dict[int, dict] = defaultdict(lambda: defaultdict(list))
    pauses: dict[int, dict] = defaultdict(lambda: defaultdict(list))
    # Plain tuples (no model rows), each distinct stored time parsed once:
    # a team of 50 has hundreds of rows but a handful of times.
    times: dict = {}

    def wall(value):
        parsed = times.get(value)
        if parsed is None:
            parsed = times[value] = WorkingHours.start.python_value(value)
        return parsed

    for model, into in ((WorkingHours, hours), (Pause, pauses)):
        for cid, weekday, start, end in _weekly_rows.rows(model, ids=caseworker_ids):
            into[cid][weekday].append((wall(start), wall(end)))
    shared: dict[tuple, WeeklySchedule] = {}
    result = {}
    for cid in caseworker_ids:
        own_hours, own_pauses = dict(hours[cid]), dict(pauses[cid])
        key = (tuple((d, tuple(r)) for d, r in own_hours.items()),
               tuple((d, tuple(r)) for d, r in own_pauses.items()))
        schedule = shared.get(key)
        if schedule is None:
            schedule = shared[key] = WeeklySchedule(hours=own_hours, pauses=own_pauses)
        result[cid] = schedule
    return result


def read_instant(value) -> dt.datetime:
    """A stored instant (a raw row's value) as a naive UTC datetime. SQLite
    hands back text; fromisoformat reads it far faster than the field's
    generic parser."""
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


@prepared
def _organisation_closing_rows(p):
    return ClosingDay.select(ClosingDay.date).where(
        ClosingDay.organisation == p.organisation, ClosingDay.team.is_null(),
        ClosingDay.date.between(p.first, p.last))


def organisation_closing_days(organisation: Organisation, first_day: dt.date,
                              last_day: dt.date) -> set[dt.date]:
    return {read_date(day) for day, in _organisation_closing_rows.rows(
        organisation=organisation.id, first=first_day, last=last_day)}


def caseworker_inputs(organisation: Organisation, caseworkers: Iterable[Caseworker],
                      first_day: dt.date, last_day: dt.date, *,
                      team: Team | None = None,
                      exclude_meeting_id: int | None = None,
                      absences: dict | None = None,
                      own_meetings: dict | None = None,
                      closing_days: dict | None = None,
                      ) -> list[CaseworkerAvailabilityInput]:
    """Engine input for each caseworker over the local dates (inclusive).

    Team closing days: those of `team` when the question is asked for one
    team, else those of every team the caseworker belongs to.
    `exclude_meeting_id` leaves one meeting out (when it is being moved).
    A caller that has read the window's absences ({caseworker id: [(start,
    end)]}), the caseworkers' own booked meetings ({caseworker id:
    [BookedMeeting]}) or their team closing days ({caseworker id: dates})
    already passes them, and they are not read again.
    """
    fixed = fixed_inputs(organisation, caseworkers, first_day, last_day, team=team,
                         absences=absences, closing_days=closing_days)
    return with_meetings(organisation, fixed, first_day, last_day,
                         exclude_meeting_id=exclude_meeting_id, own_meetings=own_meetings)


def fixed_inputs(organisation: Organisation, caseworkers: Iterable[Caseworker],
                 first_day: dt.date, last_day: dt.date, *,
                 team: Team | None = None, absences: dict | None = None,
                 closing_days: dict | None = None) -> list[CaseworkerAvailabilityInput]:
    """`caseworker_inputs` without the meetings: hours, pauses, absences and
    closing days, which no booking writes (so a booking reads them before
    it takes its locks; `with_meetings` adds the meetings under them)."""
    caseworkers = list(caseworkers)
    ids = [c.id for c in caseworkers]
    if not ids:
        return []
    window_start, window_end = utc_window(organisation, first_day, last_day)
    schedules = weekly_schedules(ids)
    if absences is None:
        absences = _absences(ids, window_start, window_end)
    if closing_days is None:
        closing_days = _team_closing_days(ids, first_day, last_day, team)
    return [CaseworkerAvailabilityInput(
        caseworker_id=c.id, schedule=schedules[c.id], absences=absences.get(c.id, ()),
        closing_days=closing_days.get(c.id, frozenset()), max_share_percent=c.max_share,
        auto_share_percent=c.auto_share)
        for c in caseworkers]


def with_meetings(organisation: Organisation, inputs: list[CaseworkerAvailabilityInput],
                  first_day: dt.date, last_day: dt.date, *,
                  exclude_meeting_id: int | None = None,
                  own_meetings: dict | None = None) -> list[CaseworkerAvailabilityInput]:
    """`fixed_inputs` of these dates with the caseworkers' booked meetings as
    stored now, in one query (`own_meetings`: their own, already read)."""
    if not inputs:
        return []
    window_start, window_end = utc_window(organisation, first_day, last_day)
    meetings = _booked_meetings([i.caseworker_id for i in inputs], window_start, window_end,
                                exclude_meeting_id, own=own_meetings)
    return [replace(i, meetings=meetings[i.caseworker_id]) for i in inputs]


@prepared
def _absence_rows(p):
    return (Absence.select(Absence.caseworker, Absence.starts_at.coerce(False),
                           Absence.ends_at.coerce(False))
            .where(Absence.caseworker.in_(p.ids), Absence.starts_at < p.end,
                   Absence.ends_at > p.start))


def _absences(ids: list[int], window_start: dt.datetime,
              window_end: dt.datetime) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    """{caseworker id: [(start, end)]} of absences reaching into the window."""
    absences = defaultdict(list)
    for cid, starts_at, ends_at in _absence_rows.rows(ids=ids, start=window_start,
                                                      end=window_end):
        absences[cid].append((read_instant(starts_at), read_instant(ends_at)))
    return absences


@prepared
def _booked_rows(p, with_own: bool, excluding: bool):
    """(caseworker id, start, end, reporting minutes) of booked meetings
    starting in [p.start, p.end): the caseworkers' own (`with_own`) and
    those they staff with others, leaving out p.exclude (`excluding`)."""
    own_query = (Meeting.select(Meeting.caseworker, Meeting.starts_at.coerce(False),
                                Meeting.ends_at.coerce(False), Meeting.reporting_minutes)
                 .where(Meeting.caseworker.in_(p.ids)))
    # The other caseworkers of group meetings are just as busy.
    staffed = (Meeting.select(MeetingCaseworker.caseworker, Meeting.starts_at.coerce(False),
                              Meeting.ends_at.coerce(False), Meeting.reporting_minutes)
               .join(MeetingCaseworker, on=(MeetingCaseworker.meeting == Meeting.id))
               .where(MeetingCaseworker.caseworker.in_(p.ids)))
    queries = []
    for query in ((own_query, staffed) if with_own else (staffed,)):
        query = query.where(Meeting.status == Meeting.BOOKED, Meeting.starts_at < p.end,
                            Meeting.starts_at >= p.start)
        if excluding:
            query = query.where(Meeting.id != p.exclude)
        queries.append(query)
    # One round trip (UNION ALL keeps a meeting found by both queries twice,
    # as two queries would).
    return queries[0] if len(queries) == 1 else queries[0] + queries[1]


def _booked_meetings(ids: list[int], window_start: dt.datetime, window_end: dt.datetime,
                     exclude_meeting_id: int | None,
                     own: dict | None = None) -> dict[int, list[BookedMeeting]]:
    """{caseworker id: [BookedMeeting]} of booked meetings reaching into the
    window: their own (read here unless given), then those they staff with
    others."""
    meetings = defaultdict(list, {cid: list(rows) for cid, rows in (own or {}).items()})
    excluding = exclude_meeting_id is not None
    values = dict(ids=ids, start=window_start - LONGEST_MEETING, end=window_end)
    if excluding:
        values['exclude'] = exclude_meeting_id
    # Caseworkers of a team share most start and end times: one BookedMeeting
    # per distinct (start, end, reporting), its instants read once.
    shared: dict[tuple, BookedMeeting] = {}
    for cid, starts_at, ends_at, reporting in _booked_rows.rows(own is None, excluding,
                                                                **values):
        meeting = shared.get((starts_at, ends_at, reporting))
        if meeting is None:
            meeting = shared[starts_at, ends_at, reporting] = BookedMeeting(
                read_instant(starts_at), read_instant(ends_at), reporting)
        meetings[cid].append(meeting)
    return meetings


@prepared
def _team_rows(p):
    return (CaseworkerTeam.select(CaseworkerTeam.caseworker, CaseworkerTeam.team)
            .where(CaseworkerTeam.caseworker.in_(p.ids)))


def _teams_of(ids: list[int]) -> dict[int, set[int]]:
    """{caseworker id: ids of their teams}."""
    teams_of = defaultdict(set)
    for cid, team_id in _team_rows.rows(ids=ids):
        teams_of[cid].add(team_id)
    return teams_of


@prepared
def _team_closing_rows(p):
    return (ClosingDay.select(ClosingDay.team, ClosingDay.date)
            .where(ClosingDay.team.in_(p.teams), ClosingDay.date.between(p.first, p.last)))


def _team_closing_days(ids: list[int], first_day: dt.date, last_day: dt.date,
                       team: Team | None) -> dict[int, frozenset[dt.date]]:
    """{caseworker id: closing days} of `team`, or without one of every team
    the caseworker belongs to."""
    teams_of = {cid: {team.id} for cid in ids} if team is not None else _teams_of(ids)
    team_ids = set().union(*teams_of.values()) if teams_of else set()
    closed_by_team = defaultdict(set)
    if team_ids:
        for team_id, day in _team_closing_rows.rows(teams=list(team_ids), first=first_day,
                                                     last=last_day):
            closed_by_team[team_id].add(read_date(day))
    return {cid: frozenset().union(*(closed_by_team[t] for t in teams_of[cid]))
            for cid in ids}


def reserved_for(organisation: Organisation, calendar: AvailabilityCalendar,
                 inputs: list[CaseworkerAvailabilityInput], *, purpose: str,
                 team: Team | None = None) -> list[CaseworkerAvailabilityInput]:
    """The engine inputs as `purpose` (reserved.SUMMONS or SELF_BOOKING) may
    use them: time reserved for the other purpose is busy. Reservations of
    each caseworker and of `team` (without one: of their teams); two queries."""
    applying = reservations_of(organisation, calendar, [i.caseworker_id for i in inputs],
                               team=team)
    return reserved.for_purpose(calendar, inputs, applying, purpose) if applying else inputs


@prepared
def _reserved_rows(p):
    """Reservations of caseworkers p.ids or teams p.teams holding a day of
    p.first..p.last."""
    return ReservedTime.select().where(
        ReservedTime.organisation == p.organisation,
        ReservedTime.caseworker.in_(p.ids) | ReservedTime.team.in_(p.teams),
        ReservedTime.first_day.is_null() | (ReservedTime.first_day <= p.last),
        ReservedTime.last_day.is_null() | (ReservedTime.last_day >= p.first))


def reservations_of(organisation: Organisation, calendar: AvailabilityCalendar,
                    ids: Sequence[int], *, team: Team | None = None, own_only: bool = False
                    ) -> dict[int, list[reserved.ReservedTime]]:
    """Per caseworker id the reservations over the calendar's days that
    apply to them: their own and `team`'s (without one: their teams'), or
    with `own_only` their own only."""
    ids = list(ids)
    if not ids or not calendar.days:
        return {}
    first_day, last_day = calendar.days[0].day, calendar.days[-1].day
    if own_only:
        teams_of = {cid: set() for cid in ids}
    elif team is not None:
        teams_of = {cid: {team.id} for cid in ids}
    else:
        teams_of = _teams_of(ids)
    team_ids = list(set().union(*teams_of.values())) if teams_of else []
    by_team, by_caseworker = defaultdict(list), defaultdict(list)
    for row in _reserved_rows.models(organisation=id_of(organisation), ids=ids,
                                     teams=team_ids or [0], first=first_day, last=last_day):
        item = reserved.ReservedTime(row.purpose, row.weekday, row.first_day, row.last_day,
                                     row.start, row.end)
        if row.caseworker_id:
            by_caseworker[row.caseworker_id].append(item)
        else:
            by_team[row.team_id].append(item)
    return {cid: by_caseworker[cid] + [item for t in teams_of[cid] for item in by_team[t]]
            for cid in ids}


def team_reservations(organisation: Organisation, team: Team, first_day: dt.date,
                      last_day: dt.date) -> list[reserved.ReservedTime]:
    """The team's own reservations holding any day of the range."""
    return [reserved.ReservedTime(row.purpose, row.weekday, row.first_day, row.last_day,
                                  row.start, row.end)
            for row in _team_reserved_rows.models(organisation=id_of(organisation),
                                                  team=id_of(team), first=first_day,
                                                  last=last_day)]


@prepared
def _team_reserved_rows(p):
    return (ReservedTime.select().where(
        ReservedTime.organisation == p.organisation, ReservedTime.team == p.team,
        ReservedTime.first_day.is_null() | (ReservedTime.first_day <= p.last),
        ReservedTime.last_day.is_null() | (ReservedTime.last_day >= p.first))
        .order_by(ReservedTime.start, ReservedTime.id))


def room_bookings(room: Room, window_start: dt.datetime, window_end: dt.datetime,
                  *, exclude_meeting_id: int | None = None) -> list[RoomBooking]:
    """Seats taken in a room: a meeting takes one seat per participant, a
    group meeting at least the seats it offers (filled or not), and both
    keep their rebooking seats."""
    taken = fn.COUNT(MeetingParticipant.id)
    held = Case(None, [(Meeting.seats > taken, Meeting.seats)], taken)
    query = (Meeting.select(Meeting.id, Meeting.starts_at, Meeting.ends_at,
                            (held + Meeting.rebooking_seats).alias('seats'))
             .join(MeetingParticipant, JOIN.LEFT_OUTER, on=(
                 (MeetingParticipant.meeting == Meeting.id)
                 & (MeetingParticipant.status == MeetingParticipant.BOOKED)))
             .where(Meeting.room == room, Meeting.status == Meeting.BOOKED,
                    Meeting.starts_at < window_end,
                    Meeting.starts_at >= window_start - LONGEST_MEETING)
             .group_by(Meeting.id, Meeting.starts_at, Meeting.ends_at,
                       Meeting.seats, Meeting.rebooking_seats))
    if exclude_meeting_id is not None:
        query = query.where(Meeting.id != exclude_meeting_id)
    return [RoomBooking(row.starts_at, row.ends_at, row.seats) for row in query]


# --- online offers and citizens -------------------------------------------------

def citizen_facts(organisation: Organisation, user_ids: Iterable[int] | None = None) -> dict:
    """{user id: CitizenFacts} of the organisation's active citizens (or of
    `user_ids` among them) in one query: the rules' view of each citizen."""
    values = dict(organisation=id_of(organisation))
    if user_ids is not None:
        values['ids'] = list(user_ids)
    return {user_id: CitizenFacts(birth_date_from_id(cpr), group or '', parse_markings(marks))
            for user_id, cpr, group, marks in _citizen_rows.rows(user_ids is not None, **values)}


@prepared
def _citizen_rows(p, some: bool):
    """(id, CPR, contact group, markings) of the active citizens of
    p.organisation, with `some` only those of p.ids."""
    query = (User.select(User.id, User.cpr, CitizenProfile.contact_group,
                         CitizenProfile.markings)
             .join(CitizenProfile, JOIN.LEFT_OUTER,
                   on=(CitizenProfile.user == User.id))
             .where(User.organisation == p.organisation, User.role == User.CITIZEN,
                    User.active == True))  # noqa: E712
    return query.where(User.id.in_(p.ids)) if some else query


class CaseworkerChoice(NamedTuple):
    """A caseworker as citizens choose among them: what the time pages show
    and the engine needs (a booking loads the caseworker itself)."""
    id: int
    name: str
    max_share: int
    auto_share: int

    @classmethod
    def of(cls, caseworker: Caseworker) -> 'CaseworkerChoice':
        return cls(caseworker.id, caseworker.user.name, caseworker.max_share,
                   caseworker.auto_share)


def offer_caseworkers(offer_ids: Iterable[int]) -> dict[int, list[CaseworkerChoice]]:
    """{offer id: [CaseworkerChoice]} ordered by name, in one query (a
    citizen's every time page asks; no model rows built)."""
    result: dict[int, list[CaseworkerChoice]] = defaultdict(list)
    ids = list(offer_ids)
    if ids:
        for offer_id, *caseworker in _offer_caseworker_rows.rows(ids=ids):
            result[offer_id].append(CaseworkerChoice(*caseworker))
    return result


@prepared
def _offer_caseworker_rows(p):
    return (OfferCaseworker.select(OfferCaseworker.offer, Caseworker.id, User.name,
                                   Caseworker.max_share, Caseworker.auto_share)
            .join(Caseworker).join(User)
            .where(OfferCaseworker.offer.in_(p.ids))
            .order_by(User.name, Caseworker.id))


def free_starts(organisation: Organisation, team: Team | None,
                caseworkers: Iterable[Caseworker | CaseworkerChoice], first_day: dt.date,
                last_day: dt.date, *, now: dt.datetime, duration_minutes: int,
                reporting_minutes: int = 0,
                exclude_meeting_id: int | None = None):
    """Bookable starts for citizens: the organisation's display grid, the
    max meeting share, the team's and the organisation's closing days.

    Returns ``(starts, calendar, inputs)``: ``{caseworker id: [aware UTC
    start]}`` plus the engine calendar and inputs (for day statistics)."""
    caseworkers = list(caseworkers)
    calendar, fixed = _self_booking_fixed(organisation, team, caseworkers, first_day, last_day)
    inputs = with_meetings(organisation, fixed, first_day, last_day,
                           exclude_meeting_id=exclude_meeting_id)
    starts = starts_in_calendar(calendar, inputs, now=now, duration_minutes=duration_minutes,
                                reporting_minutes=reporting_minutes,
                                grid_minutes=organisation.display_grid_minutes, share='max')
    return starts, calendar, inputs


def _self_booking_fixed(organisation: Organisation, team: Team | None,
                        caseworkers: list[Caseworker | CaseworkerChoice], first_day: dt.date,
                        last_day: dt.date
                        ) -> tuple[AvailabilityCalendar, list[CaseworkerAvailabilityInput]]:
    """The engine calendar and the caseworkers' inputs without meetings, as
    self-booking may use them (time reserved for summons is busy)."""
    def work_out():
        calendar = AvailabilityCalendar(
            organisation.zone, first_day, last_day,
            organisation_closing_days(organisation, first_day, last_day))
        fixed = fixed_inputs(organisation, caseworkers, first_day, last_day, team=team)
        return calendar, reserved_for(organisation, calendar, fixed,
                                      purpose=reserved.SELF_BOOKING, team=team)

    return _SELF_BOOKING_FIXED.get(
        (organisation.id, organisation.timezone, team.id if team is not None else None,
         first_day, last_day, tuple((c.id, c.max_share, c.auto_share) for c in caseworkers)),
        work_out)
