"""Summoning citizens (indkaldelse): the wizard's data and "Summon now".

Step 1 is a `SummonsFrame` (JSON on the draft), step 2 the draft's citizen
rows with their dates, step 3 the proposals `propose` writes on those rows;
`summon` books them through `booking.create_meetings`, the write path of
every meeting. Views and the W3 benchmark call only this module;
the placing itself is `scheduling.distribution` (pure).
"""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields
from typing import Iterable

from flask_babel import gettext as _
from peewee import fn

from models import (AuditEvent, Caseworker, CaseworkerTeam, CitizenAbsence, CitizenProfile,
                    Meeting, MeetingParticipant, MeetingType, Organisation, PendingSummons, Room,
                    RoomTeam, SummonsDraft, SummonsDraftCitizen, Team, TypeVariant,
                    TypeVariantMeetingType, TypeVariantTeam, User, db, id_of, insert_rows,
                    mask_cpr, prepared, update_rows, utcnow)
from planner import booking, late_proof
from planner.booking import BookingError
from planner.loading import (caseworker_inputs, organisation_closing_days, reserved_for,
                             room_bookings, utc_window)
from scheduling import distribution, reserved
from scheduling.availability import AvailabilityCalendar, room_free_intervals
from scheduling.localtime import as_utc, naive_utc
from scheduling.slots import ROOM_FULL, STAFF_GRID_MINUTES, caseworker_starts

INDIVIDUAL, GROUP = Meeting.INDIVIDUAL, Meeting.GROUP
SEATS_FROM_ROOM, SEATS_FIXED, SEATS_ALL = 'room', 'fixed', 'all'
AUTOMATIC, FIXED_TIME = 'auto', 'fixed'
DEADLINE_DUE, DEADLINE_DAYS_BEFORE, DEADLINE_FIXED = 'due', 'days_before', 'fixed'
DURATION_PRESETS = (15, 30, 45, 60, 90, 120)
ATTENDANCES = (Meeting.IN_PERSON, Meeting.LETTER, Meeting.OTHER, Meeting.PHONE)
# Automatic distribution looks this far past the earliest date (W3: 12 weeks),
# and further when deadlines lie later, up to the hard limit.
HORIZON = dt.timedelta(weeks=12)
MAX_HORIZON = dt.timedelta(weeks=26)


@dataclass
class SummonsFrame:
    """Step 1 (and step 2's deadline settings) of a summons."""
    meeting_type_id: int | None = None
    variant_id: int | None = None
    form: str = INDIVIDUAL
    group_seats: str = SEATS_FROM_ROOM       # group: room / fixed N + M / all in one
    per_meeting: int | None = None           # group, fixed: N citizens per meeting
    rebooking_seats: int = 0                 # group, fixed: M seats kept for rebooking
    attendance: str = Meeting.IN_PERSON
    team_id: int | None = None
    room_id: int | None = None
    caseworker_ids: list[int] = field(default_factory=list)
    duration_minutes: int = 45
    reporting_minutes: int = 0
    distribution: str = AUTOMATIC
    earliest_date: dt.date | None = None     # automatic: earliest summons date
    fixed_start: dt.datetime | None = None   # fixed: local wall-clock start (naive)
    rebooking_allowed: bool = True
    rebooking_days_before: int = 1
    note: str = ''
    deadline_mode: str = DEADLINE_DUE
    deadline_days_before: int = 0
    deadline_fixed: dt.date | None = None

    def to_json(self) -> str:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, (dt.date, dt.datetime)):
                data[key] = value.isoformat()
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> 'SummonsFrame':
        """Tolerant: unknown keys are dropped, unreadable values fall back."""
        try:
            data = json.loads(text or '{}')
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        frame = cls()
        for f in fields(cls):
            if f.name in data:
                try:
                    setattr(frame, f.name, _read_value(f.name, getattr(frame, f.name),
                                                       data[f.name]))
                except (TypeError, ValueError):
                    pass     # keeps the default
        return frame

    @classmethod
    def from_template(cls, preset: dict) -> 'SummonsFrame':
        """A frame filled from a summons template's `preset` (models.SummonsTemplate)."""
        frame = cls()
        code = preset.get('meeting_type')
        if code:
            row = MeetingType.get_or_none(MeetingType.code == str(code))
            frame.meeting_type_id = row.id if row else None
        for key, name in (('variant', 'variant_id'), ('team', 'team_id'), ('room', 'room_id'),
                          ('duration_minutes', 'duration_minutes'),
                          ('reporting_minutes', 'reporting_minutes'),
                          ('rebooking_days_before', 'rebooking_days_before')):
            value = preset.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                setattr(frame, name, value)
        if preset.get('form') in (INDIVIDUAL, GROUP):
            frame.form = preset['form']
        if preset.get('attendance') in ATTENDANCES:
            frame.attendance = preset['attendance']
        if isinstance(preset.get('rebooking_allowed'), bool):
            frame.rebooking_allowed = preset['rebooking_allowed']
        if isinstance(preset.get('note'), str):
            frame.note = preset['note'][:2000]
        return frame


_OPTIONAL_INTS = ('meeting_type_id', 'variant_id', 'team_id', 'room_id', 'per_meeting')


def _read_value(name: str, default, value):
    """One stored frame value in the field's own type (ValueError if not)."""
    if name in ('earliest_date', 'deadline_fixed'):
        return dt.date.fromisoformat(value) if value else None
    if name == 'fixed_start':
        return dt.datetime.fromisoformat(value) if value else None
    if name == 'caseworker_ids':
        if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ValueError(name)
        return list(value)
    if name in _OPTIONAL_INTS and value is None:
        return None
    if name in _OPTIONAL_INTS or isinstance(default, int) and not isinstance(default, bool):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(name)
        return value
    if not isinstance(value, type(default)):
        raise ValueError(name)
    return value


# --- drafts --------------------------------------------------------------------

def new_draft(organisation: Organisation, actor: User,
              frame: SummonsFrame | None = None) -> SummonsDraft:
    return SummonsDraft.create(organisation=organisation, created_by=actor,
                               frame=(frame or SummonsFrame()).to_json())


def get_draft(actor: User, draft_id: int) -> SummonsDraft | None:
    """The actor's own draft in their organisation (None for anybody else's)."""
    if not 0 < draft_id < 2 ** 63:
        return None
    return SummonsDraft.get_or_none(SummonsDraft.id == draft_id,
                                    SummonsDraft.created_by == actor,
                                    SummonsDraft.organisation == actor.organisation_id)


def frame_of(draft: SummonsDraft) -> SummonsFrame:
    return SummonsFrame.from_json(draft.frame)


def save_frame(draft: SummonsDraft, frame: SummonsFrame) -> None:
    draft.frame, draft.updated_at = frame.to_json(), utcnow()
    draft.save(only=[SummonsDraft.frame, SummonsDraft.updated_at])


# --- step 1: the frame -------------------------------------------------------------

@dataclass
class Choices:
    teams: list
    meeting_types: list
    variants: list
    rooms: list
    caseworkers: list


def _team_caseworkers(team_id: int | None) -> list[Caseworker]:
    """The team's caseworkers who can be summoned to, by name."""
    if not team_id:
        return []
    return list(Caseworker.select(Caseworker, User).join(User)
                .switch(Caseworker).join(CaseworkerTeam)
                .where(CaseworkerTeam.team == team_id, Caseworker.can_be_summoned == True,  # noqa: E712
                       User.active == True)  # noqa: E712
                .order_by(User.name, Caseworker.id))


def choices(organisation: Organisation, frame: SummonsFrame) -> Choices:
    """What step 1 may offer: variants tied to the chosen team and type,
    rooms the team may use, the team's caseworkers."""
    teams = [team for team, _depth in Team.tree(organisation)]
    variants = []
    if frame.team_id and frame.meeting_type_id:
        variants = list(TypeVariant.select()
                        .join(TypeVariantTeam).switch(TypeVariant)
                        .join(TypeVariantMeetingType)
                        .where(TypeVariant.organisation == organisation,
                               TypeVariantTeam.team == frame.team_id,
                               TypeVariantMeetingType.meeting_type == frame.meeting_type_id)
                        .order_by(TypeVariant.name).distinct())
    rooms = []
    if frame.team_id:
        rooms = list(Room.select().join(RoomTeam)
                     .where(Room.organisation == organisation, Room.can_host == True,  # noqa: E712
                            RoomTeam.team == frame.team_id).order_by(Room.name))
    return Choices(teams=teams,
                   meeting_types=list(MeetingType.select().order_by(MeetingType.position,
                                                                     MeetingType.id)),
                   variants=variants, rooms=rooms,
                   caseworkers=_team_caseworkers(frame.team_id))


@dataclass
class FrameObjects:
    team: Team
    meeting_type: MeetingType
    variant: TypeVariant | None
    room: Room | None
    caseworkers: list[Caseworker]          # by name


def frame_objects(organisation: Organisation, frame: SummonsFrame) -> FrameObjects | None:
    """The rows a valid frame names (None when one is missing)."""
    team = Team.get_or_none(Team.id == frame.team_id, Team.organisation == organisation) \
        if frame.team_id else None
    meeting_type = MeetingType.get_or_none(MeetingType.id == frame.meeting_type_id) \
        if frame.meeting_type_id else None
    if team is None or meeting_type is None:
        return None
    variant = TypeVariant.get_or_none(TypeVariant.id == frame.variant_id,
                                      TypeVariant.organisation == organisation) \
        if frame.variant_id else None
    room = Room.get_or_none(Room.id == frame.room_id, Room.organisation == organisation) \
        if frame.room_id else None
    wanted = set(frame.caseworker_ids)
    caseworkers = [c for c in _team_caseworkers(team.id) if c.id in wanted]
    return FrameObjects(team, meeting_type, variant, room, caseworkers)


def seats_of(frame: SummonsFrame, room: Room | None) -> tuple[int | None, int]:
    """(citizens per meeting, seats kept for rebooking) of a group meeting;
    None citizens: everyone in one meeting."""
    if frame.form != GROUP:
        return 1, 0
    if frame.group_seats == SEATS_FROM_ROOM:
        if room is None or room.capacity is None:
            return None, 0
        return room.capacity, (room.extra_seats if room.allow_overbooking else 0)
    if frame.group_seats == SEATS_FIXED:
        return frame.per_meeting, max(0, frame.rebooking_seats or 0)
    return None, 0


def room_seats_for(room: Room, form: str) -> int | None:
    """Seats a summons may fill in the room (None: unlimited). Individual
    meetings leave the overbooking seats free for rebooking; a group meeting
    counts them, as it keeps them as its rebooking seats (`seats_of`)."""
    return booking.room_seats(room, overbooking=form == GROUP)


def _room_input(room: Room | None, first_day: dt.date, last_day: dt.date,
                organisation: Organisation, form: str) -> distribution.RoomInput | None:
    if room is None:
        return None
    start, end = utc_window(organisation, first_day, last_day)
    return distribution.RoomInput(bookings=room_bookings(room, start, end),
                                  capacity=room_seats_for(room, form))


def local_today(organisation: Organisation, now: dt.datetime) -> dt.date:
    return as_utc(now).astimezone(organisation.zone).date()


def frame_problems(organisation: Organisation, frame: SummonsFrame,
                   now: dt.datetime) -> dict[str, str]:
    """{field: message} of what keeps step 1 from being used; {} when fine."""
    problems: dict[str, str] = {}
    room = _choice_problems(organisation, frame, problems)
    _number_problems(frame, problems)
    if frame.form == GROUP:
        _group_seat_problems(frame, room, problems)
    _distribution_problems(organisation, frame, now, problems)
    return problems


def _choice_problems(organisation: Organisation, frame: SummonsFrame,
                     problems: dict[str, str]) -> Room | None:
    """Type, team, variant, room, form, attendance and caseworkers: each one
    of those step 1 offers. Returns the chosen room when it may be used."""
    if not frame.meeting_type_id or MeetingType.get_or_none(
            MeetingType.id == frame.meeting_type_id) is None:
        problems['meeting_type_id'] = _('Choose a meeting type.')
    team = Team.get_or_none(Team.id == frame.team_id, Team.organisation == organisation) \
        if frame.team_id else None
    if team is None:
        problems['team_id'] = _('Choose a team.')
    offered = choices(organisation, frame)
    if frame.variant_id and frame.variant_id not in {v.id for v in offered.variants}:
        problems['variant_id'] = _('This variant is not used by the chosen team and '
                                   'meeting type.')
    room = None
    if frame.room_id:
        room = next((r for r in offered.rooms if r.id == frame.room_id), None)
        if room is None:
            problems['room_id'] = _('The team may not use this room, or it cannot host '
                                    'meetings.')
    if frame.form not in (INDIVIDUAL, GROUP):
        problems['form'] = _('Choose individual or group meetings.')
    if frame.attendance not in ATTENDANCES:
        problems['attendance'] = _('Choose how the meeting is held.')
    team_ids = {c.id for c in offered.caseworkers}
    if not frame.caseworker_ids:
        problems['caseworker_ids'] = _('Choose at least one caseworker.')
    elif not set(frame.caseworker_ids) <= team_ids:
        problems['caseworker_ids'] = _('Choose caseworkers of the team who can be summoned to.')
    return room


def _number_problems(frame: SummonsFrame, problems: dict[str, str]) -> None:
    """Duration, reporting time and rebooking days in their ranges."""
    if not isinstance(frame.duration_minutes, int) or not 5 <= frame.duration_minutes <= 480:
        problems['duration_minutes'] = _('The duration must be 5 to 480 minutes.')
    if not isinstance(frame.reporting_minutes, int) or not 0 <= frame.reporting_minutes <= 240:
        problems['reporting_minutes'] = _('Reporting time must be 0 to 240 minutes.')
    if not isinstance(frame.rebooking_days_before, int) or frame.rebooking_days_before < 0:
        problems['rebooking_days_before'] = _('Enter a number of days, 0 or more.')


def _group_seat_problems(frame: SummonsFrame, room: Room | None,
                         problems: dict[str, str]) -> None:
    """A group meeting's seats: from a room of known size, or N citizens
    plus M rebooking seats that fit the room, or everyone in one."""
    if frame.group_seats == SEATS_FROM_ROOM:
        if room is None or room.capacity is None:
            problems['group_seats'] = _('Seats from the room size need a room with a '
                                        'known capacity.')
    elif frame.group_seats == SEATS_FIXED:
        if not frame.per_meeting or frame.per_meeting < 1:
            problems['per_meeting'] = _('Enter how many citizens each meeting takes.')
        elif room is not None and room.capacity is not None:
            seats = booking.room_seats(room)
            if frame.per_meeting + max(0, frame.rebooking_seats or 0) > seats:
                problems['per_meeting'] = _(
                    'The room has %(n)s seats: too few for the citizens and '
                    'rebooking seats of one meeting.', n=seats)
    elif frame.group_seats != SEATS_ALL:
        problems['group_seats'] = _('Choose how the seats are set.')


def _distribution_problems(organisation: Organisation, frame: SummonsFrame,
                           now: dt.datetime, problems: dict[str, str]) -> None:
    """Automatic: the earliest date not passed. Fixed time: a start on the
    5-minute steps when the chosen caseworkers and room are free (asked
    only when nothing else is wrong)."""
    if frame.distribution == AUTOMATIC:
        if frame.earliest_date is not None \
                and frame.earliest_date < local_today(organisation, now):
            problems['earliest_date'] = _('The earliest summons date has passed.')
    elif frame.distribution == FIXED_TIME:
        start = frame.fixed_start
        if start is None:
            problems['fixed_start'] = _('Choose the date and time of the meeting.')
        elif start.minute % STAFF_GRID_MINUTES or start.second:
            problems['fixed_start'] = _('Meetings start on 5-minute steps.')
        elif not problems:
            why = fixed_time_problem(organisation, frame, now)
            if why:
                problems['fixed_start'] = why
    else:
        problems['distribution'] = _('Choose automatic distribution or a fixed time.')


def _aware_fixed_start(organisation: Organisation, frame: SummonsFrame) -> dt.datetime:
    return frame.fixed_start.replace(tzinfo=organisation.zone)


def fixed_time_problem(organisation: Organisation, frame: SummonsFrame,
                       now: dt.datetime) -> str:
    """'' when at least one chosen caseworker (group: all of them) and the
    room are free at the fixed time; else why not."""
    objects = frame_objects(organisation, frame)
    if objects is None or not objects.caseworkers:
        return _('Choose the team, meeting type and caseworkers first.')
    start = _aware_fixed_start(organisation, frame)
    if as_utc(start) < as_utc(now):
        return _('The time has already passed.')
    day = start.date()
    free = _free_at(organisation, objects, frame, day, now, share='max')
    starts_utc = as_utc(start)
    free_ids = {cid for cid, starts in free.items() if starts_utc in starts}
    if frame.form == GROUP:
        if free_ids != {c.id for c in objects.caseworkers}:
            return _('Not every chosen caseworker is free at that time.')
    elif not free_ids:
        return _('None of the chosen caseworkers is free at that time.')
    if objects.room is not None:
        seats, extra = seats_of(frame, objects.room)
        needed = (seats or 1) + extra
        room_free = _room_input(objects.room, day, day, organisation, frame.form)
        end = starts_utc + dt.timedelta(minutes=frame.duration_minutes)
        window = room_free_intervals(room_free.bookings, capacity=room_free.capacity,
                                     seats_needed=needed, window=(starts_utc, end))
        if not window or window[0] != (starts_utc, end):
            return _('The room has no free seats at that time.')
    return ''


def _free_at(organisation: Organisation, objects: FrameObjects, frame: SummonsFrame,
             day: dt.date, now: dt.datetime, *, share: str = 'max',
             caseworkers: list[Caseworker] | None = None) -> dict[int, list[dt.datetime]]:
    caseworkers = objects.caseworkers if caseworkers is None else caseworkers
    calendar = AvailabilityCalendar(organisation.zone, day, day,
                                    organisation_closing_days(organisation, day, day))
    inputs = reserved_for(organisation, calendar,
                          caseworker_inputs(organisation, caseworkers, day, day, team=objects.team),
                          purpose=reserved.SUMMONS, team=objects.team)
    result = {}
    for caseworker, data in zip(caseworkers, inputs):
        percent = caseworker.max_share if share == 'max' else caseworker.auto_share
        result[caseworker.id] = caseworker_starts(
            calendar, data, now=now, duration_minutes=frame.duration_minutes,
            reporting_minutes=frame.reporting_minutes, grid_minutes=STAFF_GRID_MINUTES,
            share_percent=percent)
    return result


def free_times(organisation: Organisation, frame: SummonsFrame, day: dt.date,
               now: dt.datetime) -> list[tuple[Caseworker, list[dt.datetime]]]:
    """"Show free times": each caseworker's free 5-minute starts that local
    day (the chosen ones, or the whole team when none is chosen yet)."""
    team = Team.get_or_none(Team.id == frame.team_id, Team.organisation == organisation) \
        if frame.team_id else None
    if team is None:
        return []
    everyone = _team_caseworkers(team.id)
    chosen = [c for c in everyone if c.id in set(frame.caseworker_ids)] or everyone
    objects = FrameObjects(team, None, None, None, chosen)
    free = _free_at(organisation, objects, frame, day, now)
    return [(c, free[c.id]) for c in chosen]


# --- step 2: the citizens ------------------------------------------------------------

def default_earliest(organisation: Organisation, frame: SummonsFrame,
                     now: dt.datetime) -> dt.date:
    """The frame's earliest summons date, else tomorrow (local)."""
    return frame.earliest_date or local_today(organisation, now) + dt.timedelta(days=1)


def deadline_for(frame: SummonsFrame, due_date: dt.date | None) -> dt.date | None:
    """The hold-by date step 2's settings give a citizen with this due date."""
    if frame.deadline_mode == DEADLINE_FIXED and frame.deadline_fixed:
        return frame.deadline_fixed
    if due_date is None:
        return None
    if frame.deadline_mode == DEADLINE_DAYS_BEFORE:
        return due_date - dt.timedelta(days=max(0, frame.deadline_days_before or 0))
    return due_date


def add_citizens(draft: SummonsDraft, entries: Iterable[tuple[User, dt.date | None]],
                 *, now: dt.datetime | None = None) -> tuple[int, list[User]]:
    """Put citizens on the draft: (how many were added, those already on it).

    A citizen's due date comes from the list, else from their profile."""
    now = now or utcnow()
    frame = frame_of(draft)
    org = draft.organisation
    entries = [(user, due) for user, due in entries
               if user.organisation_id == org.id and user.role == User.CITIZEN]
    present = {row.citizen_id for row in SummonsDraftCitizen
               .select(SummonsDraftCitizen.citizen).where(SummonsDraftCitizen.draft == draft)}
    profile_due = {row.user_id: row.due_date for row in CitizenProfile
                   .select(CitizenProfile.user, CitizenProfile.due_date)
                   .where(CitizenProfile.user.in_([u.id for u, _ in entries]))} \
        if entries else {}
    position = (SummonsDraftCitizen.select(fn.MAX(SummonsDraftCitizen.position))
                .where(SummonsDraftCitizen.draft == draft).scalar() or 0)
    earliest = default_earliest(org, frame, now)
    rows, duplicates = [], []
    for user, due in entries:
        if user.id in present:
            duplicates.append(user)
            continue
        present.add(user.id)
        position += 1
        due = due or profile_due.get(user.id)
        rows.append({'draft': draft.id, 'citizen': user.id, 'position': position,
                     'earliest': earliest, 'due_date': due,
                     'deadline': deadline_for(frame, due)})
    insert_rows(SummonsDraftCitizen, rows, returning=False)
    return len(rows), duplicates


def add_pending(draft: SummonsDraft, pending: list[PendingSummons]) -> None:
    """Citizens of pending-list rows onto a draft, keeping their dates."""
    rows = []
    for position, item in enumerate(pending, start=1):
        rows.append({'draft': draft.id, 'citizen': item.citizen_id, 'position': position,
                     'earliest': item.earliest, 'deadline': item.deadline,
                     'deadline_by_hand': item.deadline is not None, 'pending': item.id})
    insert_rows(SummonsDraftCitizen, rows, returning=False)


def apply_deadlines(draft: SummonsDraft) -> None:
    """Hold-by dates from step 2's settings for every row not set by hand."""
    frame = frame_of(draft)
    rows = list(SummonsDraftCitizen.select(SummonsDraftCitizen.id, SummonsDraftCitizen.due_date,
                                           SummonsDraftCitizen.deadline)
                .where(SummonsDraftCitizen.draft == draft,
                       SummonsDraftCitizen.deadline_by_hand == False))  # noqa: E712
    changed = []
    for row in rows:
        deadline = deadline_for(frame, row.due_date)
        if deadline != row.deadline:
            row.deadline = deadline
            changed.append(row)
    update_rows(SummonsDraftCitizen, ['deadline'], [(row.id, row.deadline) for row in changed])


@dataclass
class CitizenRow:
    id: int
    user_id: int
    name: str
    masked_cpr: str
    appointments: int
    absences: list
    earliest: dt.date | None
    due_date: dt.date | None
    deadline: dt.date | None
    deadline_by_hand: bool
    selected: bool
    absence_on_earliest: bool


def citizen_rows(draft: SummonsDraft, now: dt.datetime | None = None) -> list[CitizenRow]:
    """Step 2's table in list order, in four queries whatever its length."""
    now = now or utcnow()
    rows = list(SummonsDraftCitizen.select(SummonsDraftCitizen, User)
                .join(User, on=(SummonsDraftCitizen.citizen == User.id))
                .where(SummonsDraftCitizen.draft == draft)
                .order_by(SummonsDraftCitizen.position, SummonsDraftCitizen.id))
    ids = [row.citizen_id for row in rows]
    appointments = _appointment_counts(ids, now)
    absences = _absences(ids, local_today(draft.organisation, now))
    result = []
    for row in rows:
        away = absences.get(row.citizen_id, [])
        result.append(CitizenRow(
            id=row.id, user_id=row.citizen_id, name=row.citizen.name,
            masked_cpr=mask_cpr(row.citizen.cpr), appointments=appointments.get(row.citizen_id, 0),
            absences=away, earliest=row.earliest, due_date=row.due_date, deadline=row.deadline,
            deadline_by_hand=row.deadline_by_hand, selected=row.selected,
            absence_on_earliest=bool(row.earliest) and any(
                first <= row.earliest <= last for first, last in away)))
    return result


def _appointment_counts(user_ids: list[int], now: dt.datetime) -> dict[int, int]:
    """Booked meetings not yet held, per citizen."""
    if not user_ids:
        return {}
    query = (MeetingParticipant.select(MeetingParticipant.citizen, fn.COUNT(Meeting.id))
             .join(Meeting)
             .where(MeetingParticipant.citizen.in_(user_ids),
                    MeetingParticipant.status == MeetingParticipant.BOOKED,
                    Meeting.status == Meeting.BOOKED, Meeting.ends_at > naive_utc(as_utc(now)))
             .group_by(MeetingParticipant.citizen))
    return dict(query.tuples())


def _absences(user_ids: list[int], from_day: dt.date,
              until_day: dt.date | None = None) -> dict[int, list[tuple]]:
    """Registered absences not over before `from_day` (and begun by
    `until_day` when given), per citizen, earliest first."""
    result = defaultdict(list)
    if user_ids:
        query = (CitizenAbsence.select(CitizenAbsence.citizen, CitizenAbsence.first_day,
                                       CitizenAbsence.last_day)
                 .where(CitizenAbsence.citizen.in_(user_ids),
                        CitizenAbsence.last_day >= from_day))
        if until_day is not None:
            query = query.where(CitizenAbsence.first_day <= until_day)
        for cid, first, last in query.order_by(CitizenAbsence.first_day).tuples():
            result[cid].append((first, last))
    return result


def _row(draft: SummonsDraft, row_id: int) -> SummonsDraftCitizen | None:
    if not 0 < row_id < 2 ** 63:
        return None
    return SummonsDraftCitizen.get_or_none(SummonsDraftCitizen.id == row_id,
                                           SummonsDraftCitizen.draft == draft)


def update_row(draft: SummonsDraft, row_id: int, *, selected: bool | None = None,
               earliest: dt.date | None = None, deadline: dt.date | None = None,
               clear_deadline: bool = False) -> bool:
    """Change one citizen's row (False when it is not on this draft)."""
    row = _row(draft, row_id)
    if row is None:
        return False
    if selected is not None:
        row.selected = selected
    if earliest is not None:
        row.earliest = earliest
    if deadline is not None or clear_deadline:
        row.deadline, row.deadline_by_hand = deadline, deadline is not None
    row.save()
    return True


def set_selected(draft: SummonsDraft, row_ids: set[int]) -> None:
    """Select exactly these rows (step 2's checkboxes)."""
    with db.atomic():
        (SummonsDraftCitizen.update(selected=SummonsDraftCitizen.id.in_(list(row_ids) or [0]))
         .where(SummonsDraftCitizen.draft == draft).execute())


def remove_rows(draft: SummonsDraft, row_ids: Iterable[int]) -> int:
    ids = [i for i in row_ids if 0 < i < 2 ** 63]
    if not ids:
        return 0
    return (SummonsDraftCitizen.delete()
            .where(SummonsDraftCitizen.draft == draft, SummonsDraftCitizen.id.in_(ids))
            .execute())


# --- step 3: proposals -------------------------------------------------------------

NO_TIME = 'no_time'


@dataclass
class Proposal:
    placed: int = 0
    late: int = 0
    unplaced: int = 0


def _selected_rows(draft: SummonsDraft) -> list[SummonsDraftCitizen]:
    return list(SummonsDraftCitizen.select(SummonsDraftCitizen, User)
                .join(User, on=(SummonsDraftCitizen.citizen == User.id))
                .where(SummonsDraftCitizen.draft == draft,
                       SummonsDraftCitizen.selected == True)  # noqa: E712
                .order_by(SummonsDraftCitizen.position, SummonsDraftCitizen.id))


def _last_caseworkers(user_ids: list[int], now: dt.datetime) -> dict[int, int]:
    """The caseworker each citizen met last (meetings already begun)."""
    result: dict[int, int] = {}
    if not user_ids:
        return result
    since = naive_utc(as_utc(now)) - dt.timedelta(days=730)
    for cid, caseworker_id in (MeetingParticipant.select(MeetingParticipant.citizen,
                                                         Meeting.caseworker)
                               .join(Meeting)
                               .where(MeetingParticipant.citizen.in_(user_ids),
                                      Meeting.status != Meeting.CANCELLED,
                                      Meeting.caseworker.is_null(False),
                                      Meeting.starts_at < naive_utc(as_utc(now)),
                                      Meeting.starts_at > since)
                               .order_by(Meeting.starts_at).tuples()):
        result[cid] = caseworker_id    # later rows overwrite: the last one wins
    return result


def _absent_days(user_ids: list[int], first_day: dt.date,
                 last_day: dt.date) -> dict[int, frozenset]:
    days = defaultdict(set)
    for cid, spans in _absences(user_ids, first_day, last_day).items():
        for first, last in spans:
            day = max(first, first_day)
            while day <= min(last, last_day):
                days[cid].add(day)
                day += dt.timedelta(days=1)
    return {cid: frozenset(d) for cid, d in days.items()}


def _frame_or_error(draft: SummonsDraft, now: dt.datetime) -> tuple[SummonsFrame, FrameObjects]:
    frame = frame_of(draft)
    problems = frame_problems(draft.organisation, frame, now)
    objects = frame_objects(draft.organisation, frame)
    if problems or objects is None:
        raise BookingError('frame', next(iter(problems.values()), _('Step 1 is not complete.')))
    return frame, objects


def propose(draft: SummonsDraft, now: dt.datetime | None = None) -> Proposal:
    """Distribute the selected citizens (automatic or fixed time) and keep
    each one's proposed meeting on its row for step 3."""
    now = now or dt.datetime.now(dt.timezone.utc)
    org = draft.organisation
    frame, objects = _frame_or_error(draft, now)
    rows = _selected_rows(draft)
    today = local_today(org, now)
    if frame.distribution == FIXED_TIME:
        first_day = last_day = frame.fixed_start.date()
    else:
        dates = [row.earliest for row in rows if row.earliest]
        first_day = max(today, min(dates)) if dates else today
        deadlines = [row.deadline for row in rows if row.deadline]
        last_day = first_day + HORIZON - dt.timedelta(days=1)
        if deadlines and max(deadlines) + dt.timedelta(weeks=4) > last_day:
            last_day = min(max(deadlines) + dt.timedelta(weeks=4),
                           first_day + MAX_HORIZON - dt.timedelta(days=1))
    ids = [row.citizen_id for row in rows]
    last_met = _last_caseworkers(ids, now)
    absent = _absent_days(ids, first_day, last_day)
    citizens = [distribution.CitizenToPlace(
        citizen_id=row.id, earliest=max(row.earliest or first_day, today),
        deadline=row.deadline, last_caseworker_id=last_met.get(row.citizen_id),
        absent_days=absent.get(row.citizen_id, frozenset())) for row in rows]
    calendar = AvailabilityCalendar(org.zone, first_day, last_day,
                                    organisation_closing_days(org, first_day, last_day))
    inputs = caseworker_inputs(org, objects.caseworkers, first_day, last_day, team=objects.team)
    inputs = reserved_for(org, calendar, inputs, purpose=reserved.SUMMONS, team=objects.team)
    seats, extra = seats_of(frame, objects.room)
    room = _room_input(objects.room, first_day, last_day, org, frame.form)
    common = dict(calendar=calendar, now=now, duration_minutes=frame.duration_minutes,
                  reporting_minutes=frame.reporting_minutes, group=frame.form == GROUP,
                  seats_per_meeting=seats, extra_seats_per_meeting=extra, room=room)
    if frame.distribution == FIXED_TIME:
        result = distribution.at_fixed_time(citizens, inputs,
                                            start=_aware_fixed_start(org, frame), **common)
    else:
        result = distribution.distribute(citizens, inputs, **common)
    by_id = {row.id: row for row in rows}
    for row in rows:
        row.proposed_start = row.proposed_caseworker = row.proposed_group = None
        row.late, row.problem, row.in_review = False, NO_TIME, True
    proposal = Proposal()
    for placement in result.placements:
        row = by_id[placement.citizen_id]
        row.proposed_start = naive_utc(as_utc(placement.start))
        row.proposed_caseworker = placement.caseworker_ids[0]
        row.proposed_group = placement.group_index
        row.late, row.problem = placement.late, ''
        proposal.placed += 1
        proposal.late += placement.late
    proposal.unplaced = len(rows) - proposal.placed
    # One statement per row, its parameters typed by the columns (a CASE
    # of NULLs would be text to PostgreSQL).
    update_rows(SummonsDraftCitizen, ['proposed_start', 'proposed_caseworker', 'proposed_group',
                                      'late', 'problem', 'in_review'],
                [(row.id, row.proposed_start, row.proposed_caseworker_id, row.proposed_group,
                  row.late, row.problem, row.in_review) for row in rows])
    return proposal


@dataclass
class ReviewRow:
    id: int
    name: str
    masked_cpr: str
    start: dt.datetime | None       # aware UTC
    caseworker_id: int | None
    caseworker_names: list[str]
    room_name: str
    late: bool
    problem: str                    # for people; '' when placed
    ticked: bool
    group_index: int | None
    deadline: dt.date | None
    earliest: dt.date | None


def review_rows(draft: SummonsDraft) -> list[ReviewRow]:
    """Step 3's status list: the selected citizens with their proposals,
    in meeting order (the unplaced last)."""
    frame = frame_of(draft)
    rows = _selected_rows(draft)
    names = {c.id: c.user.name for c in _team_caseworkers(frame.team_id)}
    room = Room.get_or_none(Room.id == frame.room_id) if frame.room_id else None
    group_names = [names[i] for i in frame.caseworker_ids if i in names]
    result = []
    for row in rows:
        if row.proposed_start is None:
            start, who = None, []
        else:
            start = row.proposed_start.replace(tzinfo=dt.timezone.utc)
            who = group_names if frame.form == GROUP else \
                [names.get(row.proposed_caseworker_id, '?')]
        result.append(ReviewRow(
            id=row.id, name=row.citizen.name, masked_cpr=mask_cpr(row.citizen.cpr),
            start=start, caseworker_id=row.proposed_caseworker_id, caseworker_names=who,
            room_name=room.name if room else '', late=row.late,
            problem=_('No free time found') if row.problem == NO_TIME else row.problem,
            ticked=row.in_review, group_index=row.proposed_group,
            deadline=row.deadline, earliest=row.earliest))
    far = dt.datetime.max.replace(tzinfo=dt.timezone.utc)
    result.sort(key=lambda r: (r.start or far, r.name))
    return result


def set_ticked(draft: SummonsDraft, row_ids_ticked: set[int]) -> None:
    """Tick exactly these rows of step 3; the others go to the pending list."""
    with db.atomic():
        (SummonsDraftCitizen.update(
            in_review=SummonsDraftCitizen.id.in_(list(row_ids_ticked) or [0]))
         .where(SummonsDraftCitizen.draft == draft).execute())


def change_proposal(draft: SummonsDraft, row_id: int, *, start: dt.datetime,
                    caseworker_id: int, now: dt.datetime | None = None) -> None:
    """Give one citizen of an individual summons another time or caseworker.

    Raises BookingError when the caseworker is not free then (their calendar
    and the other proposals of this draft both count)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    org = draft.organisation
    frame, objects = _frame_or_error(draft, now)
    row = _row(draft, row_id)
    if row is None:
        raise BookingError('gone', _('This citizen is no longer on the list.'))
    if frame.form == GROUP:
        raise BookingError('group', _('A group meeting is moved by changing step 1.'))
    caseworker = next((c for c in objects.caseworkers if c.id == caseworker_id), None)
    if caseworker is None:
        raise BookingError('caseworker', _('Choose one of the caseworkers of this summons.'))
    start = as_utc(start)
    day = start.astimezone(org.zone).date()
    window_start, window_end = utc_window(org, day, day)
    others = (SummonsDraftCitizen.select(SummonsDraftCitizen.proposed_start)
              .where(SummonsDraftCitizen.draft == draft, SummonsDraftCitizen.id != row.id,
                     SummonsDraftCitizen.selected == True,  # noqa: E712
                     SummonsDraftCitizen.proposed_caseworker == caseworker.id,
                     SummonsDraftCitizen.proposed_start >= window_start,
                     SummonsDraftCitizen.proposed_start < window_end))
    # The caseworker's other proposals of this draft count as booked (those
    # that still fit), then this one is checked like a booking.
    requests = [booking.MeetingRequest(
        organisation=org, team=objects.team, meeting_type=objects.meeting_type,
        caseworker=caseworker, starts_at=moment, duration_minutes=frame.duration_minutes,
        reporting_minutes=frame.reporting_minutes, purpose=reserved.SUMMONS)
        for moment in [other.proposed_start.replace(tzinfo=dt.timezone.utc)
                       for other in others] + [start]]
    refusal = booking.recheck(requests, now=now)[-1]
    if refusal is not None and refusal.code == 'reserved':
        raise refusal
    if refusal is not None:
        raise BookingError('taken', _('The caseworker is not free at that time. '
                                      'Choose another time.'))
    row.proposed_start, row.proposed_caseworker = naive_utc(start), caseworker.id
    row.late = bool(row.deadline and day > row.deadline)
    row.problem, row.in_review = '', True
    row.save()


# --- summon now --------------------------------------------------------------------

@dataclass
class SummonResult:
    meetings: int = 0
    pending: int = 0
    failed: list = field(default_factory=list)      # (citizen name, message)
    remaining: int = 0                              # fixed time: still on the draft
    meeting_ids: list = field(default_factory=list)
    letters: list = field(default_factory=list)     # meeting ids with letter attendance
    late_ids: list = field(default_factory=list)    # citizens' lines placed after the deadline


def _lock_all(caseworker_ids: list[int], room_id: int | None) -> None:
    """PostgreSQL: lock the caseworkers' and room's rows (in id order, so two
    summons cannot deadlock); SQLite holds the write lock already.

    NO KEY UPDATE, not UPDATE: it still excludes bookings (booking.py locks
    FOR UPDATE) and other summons, but not the KEY SHARE locks that rows
    pointing at a caseworker take (a proposal being written, in no particular
    order): with FOR UPDATE the two could deadlock."""
    if db.obj.for_update:
        (Caseworker.select(Caseworker.id).where(Caseworker.id.in_(sorted(caseworker_ids)))
         .order_by(Caseworker.id).for_update('FOR NO KEY UPDATE').execute())
        if room_id:
            (Room.select(Room.id).where(Room.id == room_id)
             .for_update('FOR NO KEY UPDATE').execute())


def _claim(draft: SummonsDraft, objects: FrameObjects) -> None:
    """Inside the transaction: the draft first, so a second "Summon now" of
    the same draft waits here and then finds it done (SQLite: the write lock
    is held already); then the caseworkers and the room."""
    if db.obj.for_update:
        SummonsDraft.select(SummonsDraft.id).where(SummonsDraft.id == draft.id) \
            .for_update().execute()
    if not SummonsDraft.select().where(SummonsDraft.id == draft.id).exists():
        raise BookingError('gone', _('This summons has already been made.'))
    _lock_all([c.id for c in objects.caseworkers], objects.room.id if objects.room else None)


def _pending_row(draft, row, frame, reason, error, actor, now) -> dict:
    return dict(organisation=draft.organisation_id, citizen=row.citizen_id,
                team=frame.team_id, meeting_type=frame.meeting_type_id, frame=frame.to_json(),
                earliest=row.earliest, deadline=row.deadline, reason=reason, error=error,
                created_by=actor.id, created_at=now)


def _planned_meetings(ticked: list[SummonsDraftCitizen],
                      group: bool) -> list[list[SummonsDraftCitizen]]:
    """The ticked rows by meeting, in start order: one meeting per
    individual row, one per group index for groups."""
    planned: dict = defaultdict(list)
    for row in ticked:
        planned[('g', row.proposed_group) if group else ('i', row.id)].append(row)
    return sorted(planned.values(), key=lambda members: members[0].proposed_start)


def _meeting_request(members: list[SummonsDraftCitizen], staff: list[Caseworker],
                     frame: SummonsFrame, objects: FrameObjects, organisation: Organisation,
                     actor: User) -> booking.MeetingRequest:
    """The meeting a proposal asks for, held by `staff`."""
    group = frame.form == GROUP
    seats, extra = seats_of(frame, objects.room)
    return booking.MeetingRequest(
        organisation=organisation, team=objects.team, meeting_type=objects.meeting_type,
        caseworker=staff[0], extra_caseworkers=tuple(staff[1:]),
        starts_at=members[0].proposed_start.replace(tzinfo=dt.timezone.utc),
        duration_minutes=frame.duration_minutes, reporting_minutes=frame.reporting_minutes,
        citizens=tuple(row.citizen for row in members), room=objects.room,
        variant=objects.variant, form=frame.form, attendance=frame.attendance,
        note=frame.note, created_by=actor, citizen_can_rebook=frame.rebooking_allowed,
        rebook_days_before=frame.rebooking_days_before,
        hold_by=min((r.deadline for r in members if r.deadline), default=None),
        seats=seats if group else None, rebooking_seats=extra if group else 0,
        overbooking=group, summoned=True, late=any(r.late for r in members),
        purpose=reserved.SUMMONS)


@dataclass
class _Outcome:
    """What "Summon now" did with the selected rows, inside its transaction."""
    made: list = field(default_factory=list)        # (meeting, request)
    pending: list = field(default_factory=list)     # PendingSummons rows to insert
    resolved: list = field(default_factory=list)    # draft rows dealt with


def _unselected_rows(draft: SummonsDraft) -> list[SummonsDraftCitizen]:
    return list(SummonsDraftCitizen.select()
                .where(SummonsDraftCitizen.draft == draft,
                       SummonsDraftCitizen.selected == False))  # noqa: E712


def _set_aside(draft, rows, frame, actor, stamp, outcome: _Outcome) -> None:
    """The unticked rows, and with automatic distribution those without a
    time, to the pending list (fixed time: those stay on the draft). When
    the draft is done, those unticked on step 2 go there too rather than
    leave with it."""
    aside = [(r, PendingSummons.UNTICKED) for r in rows if not r.in_review]
    unplaced = [r for r in rows if r.in_review and r.proposed_start is None]
    if frame.distribution != FIXED_TIME:
        aside += [(r, PendingSummons.NO_TIME) for r in unplaced]
    if frame.distribution != FIXED_TIME or not unplaced:
        aside += [(r, PendingSummons.UNTICKED) for r in _unselected_rows(draft)]
    for row, reason in aside:
        outcome.pending.append(_pending_row(draft, row, frame, reason, '', actor, stamp))
        outcome.resolved.append(row)


def _book_proposals(draft, rows, frame, objects, actor, now, stamp, outcome: _Outcome,
                    result: SummonResult) -> None:
    """The ticked proposals through the one write path (`booking.create_meetings`);
    those refused to the pending list with the reason."""
    ticked = [r for r in rows if r.in_review and r.proposed_start is not None]
    group, org = frame.form == GROUP, draft.organisation
    by_id = {c.id: [c] for c in objects.caseworkers}
    planned = []
    for members in _planned_meetings(ticked, group):
        # A group meeting is held by every chosen caseworker; a proposal
        # whose caseworker is no longer on the summons is not booked.
        staff = objects.caseworkers if group else \
            by_id.get(members[0].proposed_caseworker_id, [])
        planned.append((members, _meeting_request(members, staff, frame, objects, org, actor)
                        if staff else None))
    outcomes = iter(booking.create_meetings([r for _m, r in planned if r is not None], now=now))
    for members, request in planned:
        made = next(outcomes) if request is not None else None
        outcome.resolved += members
        if isinstance(made, Meeting):
            outcome.made.append((made, request))
            continue
        why = made.message if made is not None and made.code in (ROOM_FULL, 'reserved') \
            else _('The time was taken meanwhile.')
        for row in members:
            result.failed.append((row.citizen.name, why))
            outcome.pending.append(_pending_row(draft, row, frame, PendingSummons.FAILED, why,
                                                actor, stamp))


def _clear_draft(draft: SummonsDraft, frame: SummonsFrame, resolved: list) -> int:
    """Remove the rows dealt with (and their old pending rows). Fixed time
    with citizens not placed: back to step 1 with them, the proposals
    cleared; returns how many. Otherwise the draft is done and removed."""
    old_pending = [row.pending_id for row in resolved if row.pending_id]
    if old_pending:
        # A citizen on the list twice came onto the draft once: the twin rows
        # (same citizen, team and meeting type) are dealt with too.
        twins = PendingSummons.alias()
        (PendingSummons.delete()
         .where(PendingSummons.id.in_(
             PendingSummons.select(PendingSummons.id)
             .join(twins, on=((twins.citizen == PendingSummons.citizen)
                              & (twins.organisation == PendingSummons.organisation)
                              & (twins.team == PendingSummons.team)
                              & (twins.meeting_type == PendingSummons.meeting_type)))
             .where(twins.id.in_(old_pending))))
         .execute())
    if resolved:
        (SummonsDraftCitizen.delete()
         .where(SummonsDraftCitizen.id.in_([row.id for row in resolved])).execute())
    remaining = (SummonsDraftCitizen.select()
                 .where(SummonsDraftCitizen.draft == draft,
                        SummonsDraftCitizen.selected == True)  # noqa: E712
                 .count())
    if remaining and frame.distribution == FIXED_TIME:
        (SummonsDraftCitizen.update(proposed_start=None, proposed_caseworker=None,
                                    proposed_group=None, late=False, problem='',
                                    in_review=True)
         .where(SummonsDraftCitizen.draft == draft).execute())
        return remaining
    draft.delete_instance()
    return 0


def _record_late(draft: SummonsDraft, rows: list[SummonsDraftCitizen], frame: SummonsFrame,
                 objects: FrameObjects, made: list, now: dt.datetime) -> list[int]:
    """After the meetings are written: why each citizen placed after their
    deadline got no earlier time (`late_proof`). Returns their line ids."""
    late_meetings = [meeting.id for meeting, _request in made if meeting.late]
    late_rows = {row.citizen_id: row for row in rows
                 if row.late and row.deadline and row.in_review}
    if not late_meetings or not late_rows:
        return []
    today = local_today(draft.organisation, now)
    lines = []
    for pid, cid in (MeetingParticipant.select(MeetingParticipant.id, MeetingParticipant.citizen)
                     .where(MeetingParticipant.meeting.in_(late_meetings),
                            MeetingParticipant.citizen.in_(list(late_rows)))
                     .order_by(MeetingParticipant.id).tuples()):
        row = late_rows[cid]
        lines.append((pid, cid, max(row.earliest or today, today), row.deadline))
    if not lines:
        return []
    absent = _absent_days([cid for _p, cid, _e, _d in lines], min(e for _p, _c, e, _d in lines),
                          max(d for _p, _c, _e, d in lines))
    seats, extra = seats_of(frame, objects.room)
    shape = late_proof.Shape(
        frame.duration_minutes, frame.reporting_minutes, objects.room,
        room_seats_for(objects.room, frame.form) if objects.room else None,
        (seats or 1) + extra if frame.form == GROUP else 1)
    late_proof.record(draft.organisation, objects.team, objects.caseworkers,
                      [late_proof.LateLine(pid, earliest, deadline, absent.get(cid, frozenset()))
                       for pid, cid, earliest, deadline in lines], shape, now)
    return [pid for pid, _c, _e, _d in lines]


def summon(draft: SummonsDraft, actor: User, now: dt.datetime | None = None) -> SummonResult:
    """Make the ticked proposals into meetings, all checked again inside one
    transaction; tell the citizens and the caseworkers' calendars.

    A proposal whose time was taken meanwhile is not booked: that citizen
    goes to the pending list with the reason, as do the unticked ones (and,
    with automatic distribution, those without a free time). In fixed-time
    mode the unplaced stay on the draft ("N citizens remain"); otherwise the
    draft is done and removed."""
    now = now or dt.datetime.now(dt.timezone.utc)
    org = draft.organisation
    frame, objects = _frame_or_error(draft, now)
    result, outcome = SummonResult(), _Outcome()
    stamp = utcnow()
    with db.atomic():
        _claim(draft, objects)
        rows = _selected_rows(draft)
        _set_aside(draft, rows, frame, actor, stamp, outcome)
        _book_proposals(draft, rows, frame, objects, actor, now, stamp, outcome, result)
        result.late_ids = _record_late(draft, rows, frame, objects, outcome.made, now)
        # The old pending rows go first: the new ones may be their twins.
        result.remaining = _clear_draft(draft, frame, outcome.resolved)
        insert_rows(PendingSummons, outcome.pending, returning=False)
        result.meeting_ids = [meeting.id for meeting, _request in outcome.made]
        result.meetings, result.pending = len(outcome.made), len(outcome.pending)
        AuditEvent.record('summons.made', actor=actor, organisation=org,
                          detail=f'{result.meetings} meetings, {result.pending} to the '
                                 f'pending list')
        # Letter attendance: no SMS or e-mail, the letter is printed from the
        # follow-up list.
        booking.announce(outcome.made, event='summoned',
                         notify=frame.attendance != Meeting.LETTER)
    if frame.attendance == Meeting.LETTER:
        result.letters = list(result.meeting_ids)
    return result


# --- the pending list --------------------------------------------------------------

def pending_count(organisation: Organisation | int) -> int:
    """The pending list's length (its tab shows it on every staff page)."""
    return _pending_count.rows(organisation=id_of(organisation))[0][0]


@prepared
def _pending_count(p):
    return (PendingSummons.select(fn.COUNT(PendingSummons.id))
            .where(PendingSummons.organisation == p.organisation))


def pending_to_draft(organisation: Organisation, actor: User,
                     pending_ids: Iterable[int]) -> SummonsDraft | None:
    """A new draft with these pending citizens and the frame of the first;
    their pending rows go when the summons is made. None when no id is
    the organisation's."""
    ids = [i for i in pending_ids if 0 < i < 2 ** 63]
    rows = list(PendingSummons.select()
                .where(PendingSummons.organisation == organisation,
                       PendingSummons.id.in_(ids or [0]))
                .order_by(PendingSummons.created_at, PendingSummons.id))
    if not rows:
        return None
    frame = SummonsFrame.from_json(rows[0].frame)
    with db.atomic():
        draft = new_draft(organisation, actor, frame)
        seen, unique = set(), []
        for row in rows:
            if row.citizen_id not in seen:
                seen.add(row.citizen_id)
                unique.append(row)
        add_pending(draft, unique)
    return draft


def delete_pending(organisation: Organisation, pending_ids: Iterable[int]) -> int:
    ids = [i for i in pending_ids if 0 < i < 2 ** 63]
    if not ids:
        return 0
    return (PendingSummons.delete()
            .where(PendingSummons.organisation == organisation, PendingSummons.id.in_(ids))
            .execute())
