"""The staff calendar: a week for one caseworker, one room or a whole team,
and "New appointment" from a free time."""
from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass, field, replace

from flask import Blueprint, abort, flash, g, render_template, request, url_for
from flask_babel import format_date, get_locale, gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from markupsafe import Markup, escape
from peewee import JOIN
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from blueprints.baseform import Form
from common.validators import normalise_cpr
from messaging import dates
from models import (Absence, AuditEvent, Caseworker, CaseworkerTeam, ClosingDay, Meeting,
                    MeetingParticipant, MeetingType, Organisation, Pause, Room, RoomTeam, Team,
                    User, mask_cpr, prepared, utcnow)
from planner import booking, followup
from planner.loading import (LONGEST_MEETING, KeptWhileUnchanged, caseworker_inputs, read_date,
                             read_instant, reservations_of, team_reservations, utc_window,
                             weekly_schedules)
from scheduling import reserved, rules
from scheduling.availability import AvailabilityCalendar, BookedMeeting
from scheduling.intervals import intersect_sorted, merge, subtract_sorted
from scheduling.localtime import (as_utc, from_minute, minute_of_day, to_minute_ceil,
                                  to_minute_floor)
from web import get_in_org, job_centre_staff, render, see_other

bp = Blueprint('calendar', __name__, url_prefix='/calendar')

SLOT_MINUTES = 15                 # one free-time button per quarter hour
DEFAULT_HOURS = (8 * 60, 16 * 60)  # shown when nobody has hours that week
GRID = {'calendar-grid': 'grid'}   # htmx moving to another week redraws only the grid


# --- weeks -----------------------------------------------------------------

def _today() -> dt.date:
    return current_user.organisation.local(utcnow()).date()


def _this_week() -> dt.date:
    """Today; at the weekend the coming week is what matters."""
    day = _today()
    return day + dt.timedelta(days=7 - day.weekday()) if day.weekday() >= 5 else day


@dataclass
class Block:
    """Something on a day, in local minutes after midnight."""
    kind: str          # free, kept, meeting, pause, absence, reserved, closed
    start: int
    end: int
    label: str = ''
    aria: str = ''
    url: str = ''
    place: str = ''    # grid placement classes, set by `place`
    type_id: int = 0   # a meeting's type (the team day's filter)
    track: int = 0     # a reservation's band: 0 at the lane's edge, 1 beside it, ...


def place(lanes_by_owner, top: int, bottom: int) -> None:
    """Set each block's grid placement classes (the rows of a day's column,
    see calendar-grid.css). Blocks are cut to the hours shown (an absence of
    a whole day shows inside them)."""
    for lanes in lanes_by_owner:
        for lane in lanes:
            shown = []
            for b in lane.blocks:
                start, end = max(b.start, top), min(b.end, bottom)
                if end <= start and b.kind != 'closed':
                    continue
                first, span = (start - top) // 5 + 1, max((end - start) // 5, 1)
                b.place = f'rs-{first} rn-{span}'
                shown.append(b)
            lane.blocks = shown


@dataclass
class DayLane:
    day: dt.date
    blocks: list[Block] = field(default_factory=list)
    closed: str = ''      # name of the closing day, if closed
    title: str = ''       # the column's name when it is not the day's (team day)
    reserved: int = 0     # bands of reserved time side by side at its edge


def _local_minutes(moment: dt.datetime, zone, day: dt.date) -> int:
    """Local minutes after midnight of `day` (clamped to the day)."""
    local = as_utc(moment).astimezone(zone)
    if local.date() < day:
        return 0
    if local.date() > day:
        return 24 * 60
    return local.hour * 60 + local.minute


_HM = tuple(f'{m // 60:02d}:{m % 60:02d}' for m in range(24 * 60 + 1))   # '00:00'..'24:00'


def _hm(minutes: int) -> str:
    return _HM[minutes] if 0 <= minutes <= 24 * 60 else f'{minutes // 60:02d}:{minutes % 60:02d}'


def _day_label(day: dt.date) -> str:
    return _day_labels(day, str(get_locale()))


@functools.lru_cache(maxsize=512)
def _day_labels(day: dt.date, locale: str) -> str:
    return dates.text(day, 'weekday_day_month')


def _free_slots(start: int, end: int, label: str, url_for_slot) -> list[Block]:
    """Quarter-hour buttons covering a free interval (ragged ends kept).
    `label` names the day."""
    template = _texts()['free_slot']
    blocks = []
    cursor = start
    while cursor < end:
        stop = min(end, (cursor // SLOT_MINUTES + 1) * SLOT_MINUTES)
        blocks.append(Block('free', cursor, stop, _hm(cursor),
                            template % dict(day=label, time=_hm(cursor)),
                            url_for_slot(cursor, stop, end, False)))
        cursor = stop
    return blocks


def _texts() -> dict[str, str]:
    """Translated templates, looked up once per request (hot loops below)."""
    if 'calendar_texts' not in g:
        g.calendar_texts = {'free_slot': _('%(day)s %(time)s, free'),
                            'free_range': _('%(day)s %(start)s to %(end)s, free'),
                            'pause_aria': _('%(start)s to %(end)s, %(label)s'),
                            'kept': _('%(day)s %(start)s to %(end)s, free for self-booking '
                                      'only'),
                            'summons': _('Summons only'),
                            'self_booking': _('Self-booking only'),
                            'Pause': _('Pause'), 'pause': _('pause')}
    return g.calendar_texts


def _new_url(base: str, **params) -> str:
    """`url_for('summons.index', ...)` without its cost per free slot (the
    values are numbers, ISO dates and HH:MM: nothing to escape). A free time
    opens a summons with the team, date, time, caseworker or room and, for a
    whole free period, its duration filled in."""
    return base + '?' + '&'.join(f'{k}={v}' for k, v in params.items() if v is not None)


# --- loading a week ----------------------------------------------------------

@dataclass(slots=True)
class MeetingRow:
    """The few fields a calendar shows of a meeting (no full model rows: a
    team week holds hundreds of meetings)."""
    id: int
    caseworker_id: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    meeting_type_id: int
    room_id: int | None
    reporting_minutes: int
    seats: int | None                              # a group meeting's seats
    citizens: list = field(default_factory=list)   # [(name, cpr)]


@prepared
def _booked_in_window(p, by: str):
    """Booked meetings of the caseworkers (`by` 'caseworker') or rooms
    ('room') p.ids reaching into [p.start, p.end), with their citizens (a
    meeting with several citizens comes in several rows). Bounded on both
    sides of the start's index: the rows read are those of the window, not
    every earlier meeting."""
    return (Meeting.select(Meeting.id, Meeting.caseworker, Meeting.starts_at, Meeting.ends_at,
                           Meeting.meeting_type, Meeting.room, Meeting.reporting_minutes,
                           Meeting.seats, User.name, User.cpr)
            .join(MeetingParticipant, JOIN.LEFT_OUTER, on=(
                (MeetingParticipant.meeting == Meeting.id)
                & (MeetingParticipant.status == MeetingParticipant.BOOKED)))
            .join(User, JOIN.LEFT_OUTER, on=(User.id == MeetingParticipant.citizen))
            .where(getattr(Meeting, by).in_(p.ids), Meeting.status == Meeting.BOOKED,
                   Meeting.starts_at < p.end, Meeting.starts_at >= p.earliest,
                   Meeting.ends_at > p.start)
            .order_by(Meeting.starts_at, Meeting.id, MeetingParticipant.id))


def _meeting_rows(by: str, ids: list[int], window, key) -> dict:
    """Booked meetings of caseworkers or rooms (see `_booked_in_window`) in
    the UTC `window`, grouped by `key`; read raw: a team week has hundreds."""
    by_id = {}
    row = None
    for (meeting_id, caseworker_id, starts_at, ends_at, type_id, room_id, reporting, seats,
         name, cpr) in _booked_in_window.rows(by, ids=ids, start=window[0], end=window[1],
                                              earliest=window[0] - LONGEST_MEETING):
        # A meeting's rows come one after the other (ordered by meeting).
        if row is None or row.id != meeting_id:
            row = by_id[meeting_id] = MeetingRow(
                meeting_id, caseworker_id, read_instant(starts_at), read_instant(ends_at),
                type_id, room_id, reporting, seats, [] if name is None else [(name, cpr)])
        elif name is not None:
            row.citizens.append((name, cpr))
    grouped = defaultdict(list)
    for row in by_id.values():
        grouped[key(row)].append(row)
    return grouped


def _citizen_tag(name: str, cpr: str | None) -> str:
    """Initials and the first six CPR digits, as the deck's calendar shows."""
    initials = ''.join([part[0] for part in name.split()])[:3].upper()
    return f'{initials} {mask_cpr(cpr)[:6]}'.strip()


@functools.lru_cache(maxsize=64)
def _type_labels(language: str) -> dict[int, str]:
    return {t.id: t.label(language) for t in MeetingType.select()}


def _room_names(org) -> dict[int, str]:
    """{room id: name} of the organisation's rooms (one query per page)."""
    if 'calendar_rooms' not in g:
        g.calendar_rooms = dict(Room.select(Room.id, Room.name)
                                .where(Room.organisation == org).tuples())
    return g.calendar_rooms


def _meeting_parts(meeting: MeetingRow, rooms) -> list[str]:
    """['Lokale 2', 'MB 010190']: room and citizens (a group: '3/8')."""
    parts = [rooms[meeting.room_id]] if meeting.room_id in rooms else []
    if meeting.seats:
        parts.append(f'{len(meeting.citizens)}/{meeting.seats}')
    else:
        parts += [_citizen_tag(name, cpr) for name, cpr in meeting.citizens]
    return parts


def _meeting_label(meeting: MeetingRow, start: int, end: int, labels, rooms) -> str:
    """'09:00–09:45 Jobsamtale · Lokale 2 · MB 010190' (a group: '3/8')."""
    return ' · '.join([f'{_hm(start)}–{_hm(end)} {labels[meeting.meeting_type_id]}',
                       *_meeting_parts(meeting, rooms)])


def _meeting_block(meeting: MeetingRow, zone, day, day_label, labels, aria_template,
                   rooms=None) -> list[Block]:
    """The meeting's block, and its reporting time after it when it has some."""
    start = _local_minutes(meeting.starts_at, zone, day)
    end = _local_minutes(meeting.ends_at, zone, day)
    label = _meeting_label(meeting, start, end, labels, rooms or {})
    blocks = [Block('meeting', start, max(end, start + 5), label,
                    aria_template % dict(day=day_label, start=_hm(start), end=_hm(end),
                                         what=label),
                    f'{_meeting_base()}{meeting.id}', type_id=meeting.meeting_type_id)]
    if meeting.reporting_minutes:
        blocks.append(Block('reporting', end, min(end + meeting.reporting_minutes, 24 * 60)))
    return blocks


def _meeting_base() -> str:
    return _id_url('calendar.meeting', 'meeting_id')


def _id_url(endpoint: str, key: str) -> str:
    """The URL of `endpoint` with the id `key` left off its end, to append
    ids to in loops (url_for costs too much per block of a team week)."""
    return url_for(endpoint, **{key: 0})[:-1]


def caseworker_lanes(org, caseworkers, days, *, team=None, language='en'):
    """({caseworker id: [DayLane]} for the local dates in `days`, their
    working hours (see `working_window`)); free time as quarter-hour
    buttons, reserved time as a band. The reservations are each
    caseworker's own and `team`'s (without one: those of their teams)."""
    new_base = url_for('summons.index')
    first, last = days[0], days[-1]
    inputs = {i.caseworker_id: i for i in caseworker_inputs(
        org, caseworkers, first, last, team=team)}
    hours = working_window(inputs.values(), days)
    week = _week_facts(org, caseworkers, days, team, language)
    calendar = AvailabilityCalendar(org.zone, first, last, set(week.org_closed))
    week.reserved = reservations_of(org, calendar, [c.id for c in caseworkers], team=team)
    # Free time that has passed cannot be booked: show it as not free.
    now_minute = to_minute_ceil(dt.datetime.now(dt.timezone.utc))
    result = {}
    for caseworker in caseworkers:
        days_view = calendar.caseworker_days(inputs[caseworker.id])
        kept = _self_booking_minutes(calendar, week.reserved.get(caseworker.id, ()))
        lanes = []
        for index, day in enumerate(calendar.days):
            closed = week.closed(caseworker, day.day)
            if closed is not None:
                lanes.append(DayLane(day.day, [Block('closed', 0, 0, closed)], closed))
                continue
            planned, _minutes = days_view.plan(index)
            free = [(max(s, now_minute), e) for s, e in days_view.free(index, planned)
                    if e > now_minute] if planned else []
            lane = DayLane(day.day, _free_blocks(
                org, day.day, free, kept, week.day_labels[day.day],
                _slot_url_maker(new_base, caseworker, day.day, team)))
            notes = week.reserved_blocks(caseworker, day.day)
            lane.blocks += week.busy_blocks(caseworker, day) + notes
            lane.reserved = 1 + max(b.track for b in notes) if notes else 0
            lane.blocks.sort(key=lambda b: (b.start, b.end))
            lanes.append(lane)
        result[caseworker.id] = lanes
    return result, hours


def _self_booking_minutes(calendar: AvailabilityCalendar, items) -> list[tuple[int, int]]:
    """The engine minutes of the calendar's days that the reservations
    `items` keep for self-booking only: a summons there is refused (the
    summons check reads the same windows, `reserved.other_purpose_windows`).
    Worked out per reservation and day, not per quarter hour."""
    if not any(item.purpose == reserved.SELF_BOOKING for item in items):
        return []
    return merge((to_minute_floor(s), to_minute_ceil(e))
                 for s, e in reserved.other_purpose_windows(calendar, items, reserved.SUMMONS))


def _free_blocks(org, day: dt.date, free, kept, label: str, slot_url) -> list[Block]:
    """Quarter-hour buttons over the free engine-minute intervals `free`
    (normalised), but not inside `kept` (self-booking only): free time
    there is a note, as no summons may use it. `label` names the day."""
    offered, held = (subtract_sorted(free, kept), intersect_sorted(free, kept)) if kept \
        else (free, [])
    blocks = []
    for s, e in offered:
        blocks += _free_slots(_local_minutes(from_minute(s), org.zone, day),
                              _local_minutes(from_minute(e), org.zone, day), label, slot_url)
    template = _texts()['kept']
    for s, e in held:
        start = _local_minutes(from_minute(s), org.zone, day)
        end = _local_minutes(from_minute(e), org.zone, day)
        blocks.append(Block('kept', start, end, f'{_hm(start)}–{_hm(end)}',
                            template % dict(day=label, start=_hm(start), end=_hm(end))))
    return blocks


def _slot_url_maker(new_base: str, caseworker, day: dt.date, team):
    """A free slot's link: a new summons with this caseworker at that time."""
    def slot_url(start, stop, free_end, whole):
        return _new_url(new_base, caseworker=caseworker.id, date=day.isoformat(),
                        time=_hm(start), team=team.id if team else None,
                        duration=free_end - start if whole else None)
    return slot_url


@dataclass
class _WeekFacts:
    """What the caseworkers' lanes of a week show besides free time, loaded
    once for all of them."""
    org: Organisation
    org_closed: dict           # {date: name}
    team_closed: dict          # {team id: {date: name}}
    teams_of: dict             # {caseworker id: {team id}}
    pauses: dict               # {(caseworker id, weekday): [Pause]}
    absences: dict             # {caseworker id: [Absence]}
    meetings: dict             # {caseworker id: [MeetingRow]}
    labels: dict               # {meeting type id: label}
    day_labels: dict           # {date: label}
    meeting_aria: str
    reserved: dict = field(default_factory=dict)   # {caseworker id: [reserved.ReservedTime]}

    def closed(self, caseworker, day: dt.date) -> str | None:
        """The closing day's name ('Closed' if it has none), or None when open."""
        names = [self.org_closed.get(day)] + [self.team_closed[t].get(day)
                                              for t in self.teams_of[caseworker.id]]
        closed = [n for n in names if n is not None]
        return (closed[0] or _('Closed')) if closed else None

    def busy_blocks(self, caseworker, day) -> list[Block]:
        """Pauses, absence and meetings of one caseworker's day."""
        blocks = []
        texts = _texts()
        for p in self.pauses[(caseworker.id, day.weekday)]:
            start, end = p.start.hour * 60 + p.start.minute, p.end.hour * 60 + p.end.minute
            blocks.append(Block('pause', start, end, p.label or texts['Pause'],
                                texts['pause_aria'] % dict(start=_hm(start), end=_hm(end),
                                                           label=p.label or texts['pause'])))
        for a in self.absences[caseworker.id]:
            start = _local_minutes(a.starts_at, self.org.zone, day.day)
            end = _local_minutes(a.ends_at, self.org.zone, day.day)
            if start < end:
                blocks.append(Block('absence', start, end, a.reason or _('Absent'),
                                    _('%(start)s to %(end)s, absent', start=_hm(start),
                                      end=_hm(end))))
        for m in self.meetings_on.get((caseworker.id, day.day), ()):
            blocks += _meeting_block(m, self.org.zone, day.day, self.day_labels[day.day],
                                     self.labels, self.meeting_aria, _room_names(self.org))
        return blocks

    def reserved_blocks(self, caseworker, day: dt.date) -> list[Block]:
        """A band for each reservation holding the day: its purpose and,
        unless it takes the whole day, its times."""
        blocks = []
        for item in self.reserved.get(caseworker.id, ()):
            if item.holds(day):
                first, last, text = _reserved_text(item, _texts())
                blocks.append(Block('reserved', first, last, text, text))
        return _side_by_side(blocks)

    @functools.cached_property
    def meetings_on(self) -> dict:
        """{(caseworker id, local date): [MeetingRow]}, the day a meeting starts."""
        grouped = defaultdict(list)
        for caseworker_id, rows in self.meetings.items():
            for m in rows:
                grouped[(caseworker_id, self.org.local(m.starts_at).date())].append(m)
        return grouped


# Overlapping reservations (a caseworker's own and a team's) get a band each,
# side by side; more than this many share the last one.
_RESERVED_TRACKS = 3


def _side_by_side(bands: list[Block]) -> list[Block]:
    """The bands in time order, each on the first track free when it starts."""
    bands.sort(key=lambda b: (b.start, b.end))
    track_ends: list[int] = []
    for band in bands:
        track = next((i for i, end in enumerate(track_ends) if end <= band.start),
                     len(track_ends))
        if track == len(track_ends):
            track_ends.append(band.end)
        else:
            track_ends[track] = band.end
        band.track = min(track, _RESERVED_TRACKS - 1)
    return bands


def _week_facts(org, caseworkers, days, team, language) -> _WeekFacts:
    first, last = days[0], days[-1]
    window = utc_window(org, first, last)
    ids = [c.id for c in caseworkers]
    closing = ClosingDay.select().where(
        ClosingDay.organisation == org, ClosingDay.date.between(first, last))
    org_closed = {c.date: c.name for c in closing if c.team_id is None}
    team_closed = defaultdict(dict)
    for c in closing:
        if c.team_id is not None:
            team_closed[c.team_id][c.date] = c.name
    teams_of = defaultdict(set)
    if team is not None:
        teams_of = defaultdict(lambda: {team.id})
    else:
        for link in CaseworkerTeam.select().where(CaseworkerTeam.caseworker.in_(ids)):
            teams_of[link.caseworker_id].add(link.team_id)
    pauses = defaultdict(list)
    for p in Pause.select().where(Pause.caseworker.in_(ids)):
        pauses[(p.caseworker_id, p.weekday)].append(p)
    absences = defaultdict(list)
    for a in Absence.select().where(Absence.caseworker.in_(ids),
                                    Absence.starts_at < window[1],
                                    Absence.ends_at > window[0]):
        absences[a.caseworker_id].append(a)
    meetings = _meeting_rows('caseworker', ids, window, key=lambda m: m.caseworker_id)
    return _WeekFacts(org, org_closed, team_closed, teams_of, pauses, absences, meetings,
                      labels=_type_labels(language),
                      day_labels={day: _day_label(day) for day in days},
                      meeting_aria=_('%(day)s %(start)s to %(end)s, meeting: %(what)s'))


def working_window(inputs, days) -> tuple[int, int] | None:
    """Earliest start and latest end of the working hours of `inputs` (engine
    input per caseworker) on the weekdays of `days`, in local minutes."""
    return hours_window((i.schedule for i in inputs), days)


def hours_window(schedules, days) -> tuple[int, int] | None:
    """The same for weekly schedules."""
    weekdays = {day.weekday() for day in days}
    ranges = [(minute_of_day(s), minute_of_day(e)) for schedule in schedules
              for weekday, hours in schedule.hours.items() if weekday in weekdays
              for s, e in hours]
    if not ranges:
        return None
    return min(s for s, _e in ranges), max(e for _s, e in ranges)


def _bounds(lanes_by_owner, hours=None) -> tuple[int, int]:
    """First and last minute shown, in whole hours: the working hours
    (`hours`; 08-16 when nobody works) and any meeting outside them. With
    ?whole=1 the whole day."""
    if request.args.get('whole') == '1':
        return 0, 24 * 60
    first, last = hours or DEFAULT_HOURS
    starts, ends = [first], [last]
    for lanes in lanes_by_owner:
        for lane in lanes:
            for b in lane.blocks:
                if b.kind in ('meeting', 'reporting'):
                    starts.append(b.start)
                    ends.append(b.end)
    return min(starts) // 60 * 60, min(-(-max(ends) // 60) * 60, 24 * 60)


def _asked_week() -> tuple[dt.date, bool, list[dt.date]]:
    """The week the URL asks for (?week= or a ?date= in it; this week by
    default): its Monday, whether the weekend shows, and the days shown."""
    monday = rules.parse_week(request.args.get('week') or request.args.get('date'),
                              _this_week())
    weekend = request.args.get('weekend') == '1'
    return monday, weekend, [monday + dt.timedelta(days=i) for i in range(7 if weekend else 5)]


def _week_context(monday, weekend):
    return dict(monday=monday, week=rules.week_id(monday), weekend=weekend,
                prev_week=rules.week_id(monday - dt.timedelta(days=7)),
                next_week=rules.week_id(monday + dt.timedelta(days=7)),
                this_week=rules.week_id(_this_week()),
                whole=request.args.get('whole') == '1',
                day_label=_day_label, hm=_hm, format_date=format_date,
                timedelta=dt.timedelta)


def _language() -> str:
    from flask_babel import get_locale
    return str(get_locale())


# --- the team week -------------------------------------------------------------
# A table: a row per caseworker, a cell per day with its meetings, pauses and
# absences as chips in time order, then its free periods. The cells are formatted here, not by a
# template loop: a team week holds hundreds of meetings (benchmarks W2).

# A meeting shows its times and type; the <i> part (room, citizens,
# caseworker) shows when it has the pointer or the focus and is always part
# of its name. Free times are the other links of a cell (a.fr). Filled with
# %: URL prefix, id, start, end, type, ' · room · citizens', ' · caseworker'.
_CHIP = '<a href="%s%d">%s–%s %s<i>%s · %s</i></a>'
# Without script a day's free periods are one link to the caseworker's day,
# where every free quarter hour opens a summons; calendar.js makes each
# period a link to a summons for it.
_FREE = ('<a class="fr" id="f{cw}-{day}" href="{url}{cw}?day={date}" '
         'aria-labelledby="f{cw}-{day} cw-{cw} day{day}"><b>{label}</b> {periods}</a>')
_NOTE = '<span class="{kind}">{text}</span>'
# A pause: its times and name as the administrator typed it. Not a link (it
# books nothing); a bare <i> as a team week holds hundreds (benchmarks W2).
_PAUSE = '<i>%s–%s %s</i>'


@dataclass
class _TeamWeek:
    """What the cells of a team week are made of, loaded once for everyone."""
    calendar: AvailabilityCalendar
    inputs: dict           # {caseworker id: engine input}
    meetings: dict         # {caseworker id: [MeetingRow]}
    absences: dict         # {caseworker id: [(first minute, end minute, reason)]}
    pauses: dict           # {(caseworker id, weekday): [(wall start, wall end, html)]}
    closed: dict           # {date: name}: the organisation's and the team's closing days
    labels: dict           # {meeting type id: label, escaped for HTML}
    rooms: dict            # {room id: name, escaped for HTML}
    meeting_type: int | None   # only meetings of this type show
    now: int               # free time before this minute does not show
    texts: dict            # escaped words of the cells
    urls: dict             # URL prefixes ('meeting', 'day')
    reserved: dict = field(default_factory=dict)   # {caseworker id: [reserved.ReservedTime]}
    # Engine minutes kept for self-booking only (no summons: no free period
    # shown): the team's, and per caseworker with their own the union.
    team_kept: list = field(default_factory=list)
    kept: dict = field(default_factory=dict)


def _team_week(org, team, members, days, meeting_type, language,
               team_reserved=()) -> _TeamWeek:
    first, last = days[0], days[-1]
    window = utc_window(org, first, last)
    ids = [cw.id for cw in members]
    closed = {}   # the organisation's name of a day before the team's
    for date, name, team_id in sorted(
            _closing_rows_shown.rows(organisation=org.id, team=team.id, first=first, last=last),
            key=lambda row: row[2] is not None):
        closed.setdefault(read_date(date), name or _('Closed'))
    absences = _team_absences(ids, window, _('Absent'))
    meetings = _meeting_rows('caseworker', ids, window, key=lambda m: m.caseworker_id)
    with_rooms = any(m.room_id for rows in meetings.values() for m in rows)
    # The engine's input from the same rows: nothing is read twice. The
    # calendar closes the team's closing days with the organisation's.
    inputs = caseworker_inputs(
        org, members, first, last, team=team, closing_days={},
        absences={cid: [(from_minute(s), from_minute(e)) for s, e, _r in rows]
                  for cid, rows in absences.items()},
        own_meetings={cid: [BookedMeeting(m.starts_at, m.ends_at, m.reporting_minutes)
                            for m in rows] for cid, rows in meetings.items()})
    calendar = AvailabilityCalendar(org.zone, first, last, set(closed))
    own = reservations_of(org, calendar, ids, own_only=True)
    team_kept = _self_booking_minutes(calendar, team_reserved)
    return _TeamWeek(
        calendar=calendar, inputs={i.caseworker_id: i for i in inputs}, meetings=meetings,
        absences=absences, pauses=_team_pauses(ids), closed=closed,
        labels={i: str(escape(label)) for i, label in _type_labels(language).items()},
        rooms={i: str(escape(name)) for i, name in _room_names(org).items()} if with_rooms
        else {},
        meeting_type=meeting_type, now=to_minute_ceil(utcnow()),
        texts={'free': str(escape(_('Free time'))),
               'summons': str(escape(_('Summons only'))),
               'self_booking': str(escape(_('Self-booking only')))},
        urls={'meeting': _meeting_base(), 'day': _id_url('calendar.caseworker', 'caseworker_id')},
        reserved=own, team_kept=team_kept,
        kept={cid: merge(_self_booking_minutes(calendar, items) + team_kept)
              for cid, items in own.items() if items})


@prepared
def _closing_rows_shown(p):
    """(date, name, team id) of the organisation's and the team's closing days."""
    return (ClosingDay.select(ClosingDay.date, ClosingDay.name, ClosingDay.team)
            .where(ClosingDay.organisation == p.organisation,
                   ClosingDay.date.between(p.first, p.last),
                   ClosingDay.team.is_null() | (ClosingDay.team == p.team)))


@prepared
def _team_absence_rows(p):
    return (Absence.select(Absence.caseworker, Absence.starts_at, Absence.ends_at, Absence.reason)
            .where(Absence.caseworker.in_(p.ids), Absence.starts_at < p.end,
                   Absence.ends_at > p.start))


@prepared
def _team_pause_rows(p):
    return (Pause.select(Pause.caseworker, Pause.weekday, Pause.start, Pause.end, Pause.label)
            .where(Pause.caseworker.in_(p.ids)))


def _team_absences(ids, window, absent: str) -> dict:
    """{caseworker id: [(first minute, end minute, reason or `absent`)]}."""
    absences = defaultdict(list)
    for cid, starts_at, ends_at, reason in _team_absence_rows.rows(
            ids=ids, start=window[0], end=window[1]):
        absences[cid].append((to_minute_floor(read_instant(starts_at)),
                              to_minute_ceil(read_instant(ends_at)), reason or absent))
    return absences


_PAUSE_CHIPS = KeptWhileUnchanged(64)


def _team_pauses(ids) -> dict:
    """{(caseworker id, weekday): [(wall start, wall end, chip)]}, kept
    while the planning revision stands (per language: a chip's words)."""
    unnamed = str(escape(_('Pause')))
    return _PAUSE_CHIPS.get((tuple(ids), unnamed), lambda: _read_team_pauses(ids, unnamed))


def _read_team_pauses(ids, unnamed: str) -> dict:
    """`_team_pauses` read raw: a big team has hundreds of pauses but a
    handful of times and names."""
    pauses, times, chips = defaultdict(list), {}, {}
    for cid, weekday, start, end, label in _team_pause_rows.rows(ids=ids):
        for value in (start, end):
            if value not in times:
                wall = Pause.start.python_value(value)
                times[value] = wall.hour * 60 + wall.minute
        first, last = times[start], times[end]
        key = (first, last, label)
        if key not in chips:
            chips[key] = _PAUSE % (_HM[first], _HM[last], escape(label) if label else unnamed)
        pauses[(cid, weekday)].append((first, last, chips[key]))
    return dict(pauses)     # shared while kept: a missing key must not add one


def _team_cells(week: _TeamWeek, caseworker) -> Markup:
    """The cells (<td>) of one caseworker's row, a day each."""
    calendar = week.calendar
    view = calendar.caseworker_days(week.inputs[caseworker.id])
    items = defaultdict(list)          # {day index: [(wall minute, html)]}
    _team_chips(week, week.meetings.get(caseworker.id, ()), escape(caseworker.user.name),
                items)
    for start, end, reason in week.absences.get(caseworker.id, ()):
        for index, day in enumerate(calendar.days):
            if start < day.end and end > day.start:
                items[index].append(_team_absence(view, index, day, start, end, reason))
    _team_pause_chips(week, caseworker.id, items)
    _team_reserved(week, caseworker.id, items)
    cells = []
    for index, day in enumerate(calendar.days):
        cells.append('<td>')
        if day.day in week.closed:
            cells.append(_NOTE.format(kind='x', text=escape(
                _('Closed: %(name)s', name=week.closed[day.day]))))
        else:
            cells += [chip for _minute, chip in sorted(items[index])]
            cells.append(_team_free(week, view, index, day, caseworker.id))
        cells.append('</td>')
    return Markup(''.join(cells))  # nosec B704  # each value escaped when put in


def _team_chips(week: _TeamWeek, meetings, who: str, items) -> None:
    """Add each meeting's (wall minute, chip) to `items` of its day; `who`
    (escaped) ends its name. The hot loop of the page: plain strings."""
    days, index_of, url, labels = week.calendar.days, week.calendar.day_index, \
        week.urls['meeting'], week.labels
    rooms = week.rooms
    for meeting in meetings:
        if week.meeting_type and meeting.meeting_type_id != week.meeting_type:
            continue
        start = to_minute_floor(meeting.starts_at)
        index = index_of(start)
        if index is None:
            continue
        day = days[index]
        first = day.wall(start)
        # As _meeting_parts, written out: ~750 chips a week (rooms escaped).
        more = f' · {rooms[meeting.room_id]}' if meeting.room_id in rooms else ''
        if meeting.seats:
            more += f' · {len(meeting.citizens)}/{meeting.seats}'
        else:
            for name, cpr in meeting.citizens:
                more += f' · {escape(_citizen_tag(name, cpr))}'
        items[index].append((first, _CHIP % (
            url, meeting.id, _HM[first], _HM[day.wall(to_minute_ceil(meeting.ends_at))],
            labels[meeting.meeting_type_id], more, who)))


def _team_pause_chips(week: _TeamWeek, caseworker_id: int, items) -> None:
    """Add each day's pauses to `items`, but not those an absence takes."""
    absences = week.absences.get(caseworker_id, ())
    for index, day in enumerate(week.calendar.days):
        for first, last, chip in week.pauses.get((caseworker_id, day.weekday), ()):
            spans = day.wall_range(first, last) if absences else ()
            if spans and all(any(a <= s and e <= b for a, b, _r in absences)
                             for s, e in spans):
                continue
            items[index].append((first, chip))


def _reserved_text(item, texts: dict) -> tuple[int, int, str]:
    """(first, end wall minute, text) of time kept for one purpose:
    'Summons only 08:00–12:00' (`texts` names the purposes; the hours
    unless it takes the whole day)."""
    first = item.start.hour * 60 + item.start.minute if item.start else 0
    last = item.end.hour * 60 + item.end.minute if item.end else 24 * 60
    text = texts[item.purpose]
    if item.start or item.end:
        text = f'{text} {_HM[first]}–{_HM[last]}'
    return first, last, text


def _reserved_note(item, texts: dict) -> tuple[int, str]:
    """(wall minute, note) of the team week: the text in a bare <b>
    (`texts` escaped)."""
    first, _last, text = _reserved_text(item, texts)
    return first, f'<b>{text}</b>'


def _team_reserved(week: _TeamWeek, caseworker_id: int, items) -> None:
    """Add the caseworker's own reserved time to `items` of the days it
    holds (the team's shows once, in the day's column head)."""
    for item in week.reserved.get(caseworker_id, ()):
        first, note = _reserved_note(item, week.texts)
        for index, day in enumerate(week.calendar.days):
            if item.holds(day.day):
                items[index].append((first, note))


def _team_heads(team_reserved, days) -> dict:
    """{date: Markup} the team's reserved time of each day, for the column
    heads: it holds for every row alike, so it shows once (benchmarks W2)."""
    texts = {'summons': str(escape(_('Summons only'))),
             'self_booking': str(escape(_('Self-booking only')))}
    notes = [(item, _reserved_note(item, texts)[1]) for item in team_reserved]
    return {day: Markup(''.join(note for item, note in notes  # nosec B704  # escaped words
                                if item.holds(day)))
            for day in days}


def _team_absence(view, index: int, day, start: int, end: int, reason: str):
    """An absence on one day: its reason, and its times unless it takes the
    day's whole working hours."""
    planned, _minutes = view.plan(index)
    text = reason
    if not all(start <= s and e <= end for s, e in planned):
        text = f'{_hm(day.wall(start))}–{_hm(day.wall(end))} {reason}'
    return day.wall(start), _NOTE.format(kind='a', text=escape(text))


def _team_free(week: _TeamWeek, view, index: int, day, caseworker_id: int) -> str:
    """The day's free periods from now on ('' when there are none), but
    not those kept for self-booking only: each leads to a summons."""
    planned, _minutes = view.plan(index)
    if not planned:
        return ''
    free = view.free(index, planned)
    kept = week.kept.get(caseworker_id, week.team_kept)
    if kept and free:
        free = subtract_sorted(free, kept)
    periods = [f'{_HM[day.wall(max(s, week.now))]}–{_HM[day.wall(e)]}'
               for s, e in free if e > week.now]
    if not periods:
        return ''
    return _FREE.format(cw=caseworker_id, day=index, url=week.urls['day'],
                        date=day.day.isoformat(), label=week.texts['free'],
                        periods=', '.join(periods))


# --- pages -------------------------------------------------------------------

@bp.route('/')
@job_centre_staff
def index():
    org = current_user.organisation_id
    mine = Caseworker.get_or_none(Caseworker.user == current_user.id)
    if mine is not None and not request.args:
        return see_other('calendar.caseworker', caseworker_id=mine.id)
    teams = list(Team.select().where(Team.organisation == org).order_by(Team.name))
    caseworkers = list(Caseworker.select(Caseworker, User).join(User)
                       .where(Caseworker.organisation == org).order_by(User.name))
    rooms = list(Room.select().where(Room.organisation == org).order_by(Room.name))
    return render_template('calendar/index.html', teams=teams,
                           caseworkers=caseworkers, rooms=rooms)


def _now_line(org, days, top: int, bottom: int) -> tuple[dt.date, str] | None:
    """(today, placement class) of the "now" line when today is shown."""
    now = org.local(utcnow())
    minute = now.hour * 60 + now.minute
    if now.date() not in days or not top <= minute < bottom:
        return None
    return now.date(), f'rs-{(minute - top) // 5 + 1}'


def _asked_day() -> dt.date | None:
    """The one day of ?day=YYYY-MM-DD (the day view), else None."""
    try:
        return dt.date.fromisoformat(request.args.get('day') or '')
    except ValueError:
        return None


def _asked_days() -> tuple[dt.date, bool, list[dt.date], dt.date | None]:
    """(Monday, weekend shown, the days shown, the day of a day view or None)."""
    monday, weekend, days = _asked_week()
    day = _asked_day()
    if day is not None:
        monday, days = rules.monday_of(day), [day]
    return monday, weekend, days, day


def _day_context(day: dt.date | None) -> dict:
    if day is None:
        return dict(day_view=None)
    return dict(day_view=day, prev_day=day - dt.timedelta(days=1),
                next_day=day + dt.timedelta(days=1))


@bp.route('/caseworker/<int:caseworker_id>')
@job_centre_staff
def caseworker(caseworker_id):
    cw = get_in_org(Caseworker, caseworker_id)
    monday, weekend, days, day = _asked_days()
    by_caseworker, hours = caseworker_lanes(cw.organisation, [cw], days, language=_language())
    lanes = by_caseworker[cw.id]
    top, bottom = _bounds([lanes], hours)
    place([lanes], top, bottom)
    return render('calendar/caseworker.html', GRID, owner=cw, lanes=lanes, top=top,
                  bottom=bottom, now_line=_now_line(cw.organisation, days, top, bottom),
                  day_url=lambda d: url_for('calendar.caseworker', caseworker_id=cw.id,
                                            day=d.isoformat()),
                  **_week_context(monday, weekend), **_day_context(day))


@prepared
def _team_members(p):
    # Only the columns the page and the engine use (fifty rows in a big team).
    return (Caseworker.select(Caseworker.id, Caseworker.max_share, Caseworker.auto_share,
                              User.id, User.name)
            .join(User).switch(Caseworker).join(CaseworkerTeam)
            .where(CaseworkerTeam.team == p.team).order_by(User.name))


@bp.route('/team/<int:team_id>')
@job_centre_staff
def team(team_id):
    team = get_in_org(Team, team_id)
    monday, weekend, days, day = _asked_days()
    everyone = _team_members.models(team=team.id)
    chosen = request.args.get('caseworker', type=int)
    members = [cw for cw in everyone if chosen in (None, cw.id)]
    meeting_type = request.args.get('type', type=int)
    context = dict(owner=team, everyone=everyone, chosen=chosen, meeting_type=meeting_type,
                   types=_type_labels(_language()), days=days,
                   **_week_context(monday, weekend), **_day_context(day))
    if day is not None:
        return _team_day(team, members, day, context)
    rows = []
    team_reserved = team_reservations(team.organisation_id, team, days[0], days[-1])
    if members:
        # The user's organisation is the team's (get_in_org) and already loaded.
        week = _team_week(current_user.organisation, team, members, days, meeting_type,
                          _language(), team_reserved)
        rows = [(cw, _team_cells(week, cw)) for cw in members]
    return render('calendar/team.html', GRID, rows=rows,
                  heads=_team_heads(team_reserved, days),
                  caseworker_url=_id_url('calendar.caseworker', 'caseworker_id'), **context)


def _team_day(team, members, day, context):
    """One day of the team: the caseworkers side by side, as columns."""
    lanes, hours = caseworker_lanes(team.organisation, members, [day], team=team,
                                    language=_language())
    top, bottom = _bounds(lanes.values(), hours)
    place(lanes.values(), top, bottom)
    columns = [replace(lanes[cw.id][0], title=cw.user.name) for cw in members]
    return render('calendar/team.html', GRID, rows=members, columns=columns, top=top,
                  bottom=bottom, **context)


def _room_closed(org, team_ids: list[int], days) -> dict[dt.date, str]:
    """{date: name} of the days nobody books the room: the organisation's
    closing days, and the days every team that uses the room is closed."""
    rows = ClosingDay.select().where(
        ClosingDay.organisation == org, ClosingDay.date.between(days[0], days[-1]),
        ClosingDay.team.is_null() | ClosingDay.team.in_(team_ids or [0]))
    closed, by_team = {}, defaultdict(dict)
    for c in rows:
        if c.team_id is None:
            closed[c.date] = c.name or _('Closed')
        else:
            by_team[c.team_id][c.date] = c.name or _('Closed')
    for day in days:
        if team_ids and day not in closed and all(day in by_team[t] for t in team_ids):
            closed[day] = by_team[team_ids[0]][day]
    return closed


def _room_hours(team_ids: list[int], days) -> tuple[int, int] | None:
    """The working hours of the caseworkers of the room's teams: the room is
    used when they work (the window the caseworker and team views show)."""
    ids = [cid for (cid,) in CaseworkerTeam.select(CaseworkerTeam.caseworker).distinct()
           .where(CaseworkerTeam.team.in_(team_ids or [0])).tuples()]
    return hours_window(weekly_schedules(ids).values(), days) if ids else None


def _room_lane(room, day, meetings, seats, hours, texts) -> DayLane:
    """One day of a room: its meetings (time, type, seats in use) and the
    free times within the hours while a seat is left."""
    org, lane, busy = room.organisation, DayLane(day), []
    for m in meetings:
        block, *reporting = _meeting_block(m, org.zone, day, _day_label(day), texts['labels'],
                                           texts['aria'])
        lane.blocks += reporting
        used = len(m.citizens)
        if seats is not None:
            block.label += ' ' + _('(%(used)s of %(seats)s seats)', used=used, seats=seats)
        lane.blocks.append(block)
        if seats is None or used >= seats:
            busy.append((block.start, block.end))
    cursor, closing = hours
    now_local = org.local(utcnow())
    if day < now_local.date():
        cursor = closing
    elif day == now_local.date():
        cursor = max(cursor, now_local.hour * 60 + now_local.minute)
    for start, end in sorted(busy) + [(closing, closing)]:
        if min(start, closing) > cursor:
            lane.blocks += _free_slots(
                cursor, min(start, closing), _day_label(day),
                lambda s, e, fe, whole: _new_url(texts['new'], room=room.id,
                                                 date=day.isoformat(), time=_hm(s)))
        cursor = max(cursor, end)
    lane.blocks.sort(key=lambda b: (b.start, b.end))
    return lane


@bp.route('/room/<int:room_id>')
@job_centre_staff
def room(room_id):
    room = get_in_org(Room, room_id)
    org = room.organisation
    monday, weekend, days, day = _asked_days()
    team_ids = [t for (t,) in RoomTeam.select(RoomTeam.team)
                .where(RoomTeam.room == room).tuples()]
    closed = _room_closed(org, team_ids, days)
    hours = _room_hours(team_ids, days) or DEFAULT_HOURS
    window = utc_window(org, days[0], days[-1])
    meetings = _meeting_rows('room', [room.id], window,
                             key=lambda m: org.local(m.starts_at).date())
    seats = booking.room_seats(room)
    texts = dict(labels=_type_labels(_language()), new=url_for('summons.index'),
                 aria=_('%(day)s %(start)s to %(end)s, meeting: %(what)s'))
    lanes = [DayLane(d, [Block('closed', 0, 0, closed[d])], closed[d]) if d in closed
             else _room_lane(room, d, meetings[d], seats, hours, texts) for d in days]
    top, bottom = _bounds([lanes], hours)
    place([lanes], top, bottom)
    return render('calendar/room.html', GRID, owner=room, lanes=lanes, top=top, bottom=bottom,
                  seats=seats, now_line=_now_line(org, days, top, bottom),
                  day_url=lambda d: url_for('calendar.room', room_id=room.id,
                                            day=d.isoformat()),
                  **_week_context(monday, weekend), **_day_context(day))


# --- new appointment (one citizen, by CPR) ----------------------------------

def five_minute_step(field) -> None:
    if field.data and field.data.minute % 5:
        raise ValidationError(_('Meetings start on 5-minute steps (e.g. 10:05).'))


DURATIONS = (15, 30, 45, 60, 90, 120)


class NewAppointmentForm(Form):
    team = SelectField(_l('Team'), coerce=int, validators=[DataRequired()])
    caseworker = SelectField(_l('Caseworker'), coerce=int, validators=[DataRequired()])
    room = SelectField(_l('Room'), coerce=int, validators=[Optional()])
    meeting_type = SelectField(_l('Meeting type'), coerce=int, validators=[DataRequired()])
    attendance = SelectField(_l('Attendance'), choices=[
        SelectChoice(Meeting.IN_PERSON, _l('In person')), SelectChoice(Meeting.PHONE, _l('Phone')),
        SelectChoice(Meeting.LETTER, _l('Letter')), SelectChoice(Meeting.OTHER, _l('Other'))])
    date = DateField(_l('Date'), validators=[DataRequired()])
    start = TimeField(_l('Start'), validators=[DataRequired()])
    duration = IntegerField(_l('Duration (minutes)'),
                            validators=[DataRequired(), NumberRange(5, 480)])
    reporting = IntegerField(_l('Reporting time after the meeting (minutes)'), default=0,
                             validators=[Optional(), NumberRange(0, 120)])
    cpr = StringField(_l('Citizen CPR number'), validators=[DataRequired(), Length(max=20)])
    note = TextAreaField(_l('Note to the caseworker'), validators=[Length(max=2000)])

    def validate_start(self, field):
        five_minute_step(field)

    def validate_cpr(self, field):
        cpr = normalise_cpr(field.data)
        if cpr is None:
            raise ValidationError(_('Enter a valid CPR number (10 digits).'))
        citizen = User.get_or_none(User.cpr == cpr, User.role == User.CITIZEN,
                                   User.organisation == current_user.organisation_id)
        if citizen is None:
            raise ValidationError(_('No citizen with this CPR number is registered.'))
        self.citizen = citizen


def _choices(form):
    org = current_user.organisation_id
    form.team.choices = [SelectChoice(t.id, t.name) for t in
                         Team.select().where(Team.organisation == org).order_by(Team.name)]
    form.caseworker.choices = [SelectChoice(c.id, c.user.name) for c in
                               Caseworker.select(Caseworker, User).join(User)
                               .where(Caseworker.organisation == org).order_by(User.name)]
    form.room.choices = [SelectChoice(0, _('No room'))] + [
        SelectChoice(r.id, r.name) for r in Room.select().where(Room.organisation == org,
                                                    Room.can_host == True)  # noqa: E712
        .order_by(Room.name)]
    language = _language()
    form.meeting_type.choices = [SelectChoice(t.id, t.label(language)) for t in
                                 MeetingType.select().order_by(MeetingType.position)]


def _prefill(form):
    """Fill from the free time that was clicked (URL parameters)."""
    args = request.args
    cw = room = None
    if args.get('caseworker', type=int):
        cw = get_in_org(Caseworker, args.get('caseworker', type=int))
        form.caseworker.data = cw.id
        team_ids = [link.team_id for link in cw.team_links]
        if args.get('team', type=int) in team_ids:
            form.team.data = args.get('team', type=int)
        elif team_ids:
            form.team.data = team_ids[0]
    if args.get('room', type=int):
        room = get_in_org(Room, args.get('room', type=int))
        form.room.data = room.id
        links = [link.team_id for link in room.team_links]
        if links:
            form.team.data = links[0]
    try:
        if args.get('date'):
            form.date.data = dt.date.fromisoformat(args['date'])
        if args.get('start'):
            form.start.data = dt.time.fromisoformat(args['start'])
        if args.get('start') and args.get('end'):
            start = dt.time.fromisoformat(args['start'])
            end = dt.time.fromisoformat(args['end'])
            minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
            if args.get('range') == '1' and minutes > 0:
                form.duration.data = minutes
    except ValueError:
        pass
    if not form.duration.data:
        form.duration.data = 45


@bp.route('/new', methods=['GET', 'POST'])
@job_centre_staff
def new():
    form = NewAppointmentForm()
    _choices(form)
    if request.method == 'GET':
        _prefill(form)
    if form.validate_on_submit():
        org = current_user.organisation
        team = get_in_org(Team, form.team.data)
        cw = get_in_org(Caseworker, form.caseworker.data)
        room = get_in_org(Room, form.room.data) if form.room.data else None
        if not CaseworkerTeam.select().where(CaseworkerTeam.caseworker == cw,
                                             CaseworkerTeam.team == team).exists():
            form.caseworker.errors.append(_('The caseworker does not work for this team.'))
        elif room is not None and not RoomTeam.select().where(
                RoomTeam.room == room, RoomTeam.team == team).exists():
            form.room.errors.append(_('This team may not use the room.'))
        else:
            starts = dt.datetime.combine(form.date.data, form.start.data, tzinfo=org.zone)
            try:
                meeting = booking.book(booking.MeetingRequest(
                    organisation=org, team=team,
                    meeting_type=MeetingType.get_by_id(form.meeting_type.data),
                    caseworker=cw, room=room, starts_at=starts,
                    duration_minutes=form.duration.data,
                    reporting_minutes=form.reporting.data or 0,
                    citizens=(form.citizen,), attendance=form.attendance.data,
                    note=form.note.data or '', created_by=current_user))
            except booking.BookingError as exc:
                form.start.errors.append(exc.message)
            else:
                _audit('meeting_booked', meeting)
                flash(_('The meeting is booked and the citizen has been notified.'), 'info')
                return see_other('calendar.caseworker', caseworker_id=cw.id,
                                 week=rules.week_id(form.date.data),
                                 _anchor=f'meeting-{meeting.id}')
    return render_template('calendar/new.html', form=form)


@bp.route('/meeting/<int:meeting_id>/staff', methods=['POST'])
@job_centre_staff
def add_staff(meeting_id):
    """One more caseworker on the meeting: it goes into their calendar."""
    meeting = get_in_org(Meeting, meeting_id)
    caseworker = get_in_org(Caseworker, request.form.get('caseworker', type=int) or 0)
    try:
        booking.add_caseworker(meeting, caseworker)
    except booking.BookingError as exc:
        flash(exc.message, 'error')
    else:
        _audit('meeting_staff_added', meeting, f'caseworker {caseworker.id}')
        flash(_('%(name)s now holds the meeting too.', name=caseworker.user.name), 'info')
    return see_other('calendar.meeting', meeting_id=meeting.id)


def _audit(action: str, meeting: Meeting, detail: str = '') -> None:
    """Who read or changed a meeting, and so its citizens' data."""
    AuditEvent.record(action, actor=current_user._get_current_object(), obj=meeting,
                      detail=detail, ip=request.remote_addr or '')


# --- one meeting: its details and what staff may do with it -----------------

MEETING_ACTIONS = ('cancel', 'move', 'resend')


class MoveForm(Form):
    """Another caseworker of the meeting's team and/or another time."""
    caseworker = SelectField(_l('Caseworker'), coerce=int, validators=[DataRequired()])
    date = DateField(_l('Date'), validators=[DataRequired()])
    start = TimeField(_l('Start'), validators=[DataRequired()])

    def validate_start(self, field):
        five_minute_step(field)


def _move_form(meeting: Meeting) -> MoveForm:
    form = MoveForm(prefix='move')
    form.caseworker.choices = [SelectChoice(c.id, c.user.name) for c in
                               Caseworker.select(Caseworker, User).join(User)
                               .switch(Caseworker).join(CaseworkerTeam)
                               .where(CaseworkerTeam.team == meeting.team_id)
                               .order_by(User.name)]
    if request.method == 'GET':
        local = meeting.organisation.local(meeting.starts_at)
        form.caseworker.data = meeting.caseworker_id
        form.date.data, form.start.data = local.date(), local.time()
    return form


def _week_of(meeting: Meeting) -> str:
    """The calendar page of the meeting's caseworker and week."""
    if not meeting.caseworker_id:
        return url_for('calendar.index')
    day = meeting.organisation.local(meeting.starts_at).date()
    return url_for('calendar.caseworker', caseworker_id=meeting.caseworker_id,
                   week=rules.week_id(day), _anchor=f'meeting-{meeting.id}')


def _do_move(meeting: Meeting, form: MoveForm) -> bool:
    """Move through the one staff path (`booking.move` re-checks the new
    time inside its transaction); a refusal shows at the time field."""
    if not form.validate():
        return False
    org = meeting.organisation
    caseworker = get_in_org(Caseworker, form.caseworker.data)
    starts = dt.datetime.combine(form.date.data, form.start.data, tzinfo=org.zone)
    try:
        booking.move(meeting, caseworker=caseworker, starts_at=starts)
    except booking.BookingError as exc:
        form.start.errors.append(exc.message)
        return False
    _audit('meeting_moved', meeting, f'to {starts.isoformat()} caseworker {caseworker.id}')
    flash(_('The meeting is moved and the citizen has been notified.'), 'info')
    return True


def _do_resend(meeting: Meeting) -> None:
    """The follow-up list's resend: undelivered notices go out again (the
    same rows, never a second message); nothing when all were delivered."""
    sent = followup.resend_notices(meeting)
    _audit('meeting_notices_resent', meeting, f'{sent} notices')
    if sent:
        flash(ngettext('%(num)d notice is being sent to the citizen again.',
                       '%(num)d notices are being sent to the citizens again.', sent), 'info')
    else:
        flash(_('There was no notice to send again.'), 'info')


def _act(meeting: Meeting, action: str, form: MoveForm):
    """Run a posted action; the page to go to after it, or None to show the
    details again (a refusal, or htmx keeping the panel in place)."""
    if meeting.status != Meeting.BOOKED:
        flash(_('This meeting has been cancelled.'), 'error')
        return None
    if action == 'cancel':
        booking.cancel(meeting)
        _audit('meeting_cancelled', meeting)
        flash(_('The meeting is cancelled and the citizen has been notified.'), 'info')
    elif action == 'move':
        if not _do_move(meeting, form):
            return None
    else:
        _do_resend(meeting)
        return url_for('calendar.meeting', meeting_id=meeting.id)
    return _week_of(meeting)


@bp.route('/meeting/<int:meeting_id>', methods=['GET', 'POST'])
@job_centre_staff
def meeting(meeting_id):
    """The meeting's details, whole or in the calendar's panel (htmx), with
    cancel, move and resend; each posts here and, in the panel, answers
    with the panel again and tells the calendar to redraw."""
    meeting = get_in_org(Meeting, meeting_id)
    form = _move_form(meeting)
    shown = request.args.get('action') if request.args.get('action') in MEETING_ACTIONS else None
    status, headers = 200, {}
    if request.method == 'POST':
        shown = request.form.get('action')
        if shown not in MEETING_ACTIONS:
            abort(400)
        target = _act(meeting, shown, form)
        if target is not None and request.htmx.target != 'cal-details':
            return see_other(url=target)
        status = 200 if target is not None or request.htmx else 422
        if target is not None:
            shown, headers = None, {'HX-Trigger': 'calendar-changed'}
    citizens = [p.citizen for p in meeting.participants
                .where(MeetingParticipant.status == MeetingParticipant.BOOKED)]
    g.personal_data = True
    _audit('meeting_read', meeting, f'{len(citizens)} citizens')
    holders = meeting.caseworker_ids()
    staff = {c.id: c for c in Caseworker.select(Caseworker, User).join(User)
             .where(Caseworker.organisation == meeting.organisation_id).order_by(User.name)}
    page = render('calendar/meeting.html', {'cal-details': 'details'}, meeting=meeting,
                  citizens=citizens, holders=[staff[i] for i in holders if i in staff],
                  others=[c for i, c in staff.items() if i not in holders],
                  when=booking.local_when(meeting), place=meeting.place(),
                  shown=shown, form=form, may_open_citizen=current_user.role == User.ADMIN,
                  language=_language(), back=_week_of(meeting))
    return page, status, headers
