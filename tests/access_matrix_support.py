"""Shared pieces of the access-control matrix (no tests here): one small world
of two job centres and a substitute pool, the roles that log in to it, the
expected outcome of every route for every role, a form reader that posts what
the pages themselves offer, and a fingerprint of the whole database.

The world is built with plain model calls and the write paths (booking,
staffing, summons) the views use; staff accounts get no password (the tests
log in directly), so it is cheap enough to build once per route.
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import itertools
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlparse

from common.validators import normalise_cpr
from models import (Absence, AuditEvent, Availability, Caseworker, CaseworkerTeam, CitizenProfile,
                    ClosingDay, Competence, Meeting, MeetingType, Message, OfferCaseworker,
                    OnlineOffer, Organisation, Pause, PendingSummons, Qualification, ReservedTime,
                    Room, RoomTeam, ShiftRequest, SubstituteUnit, SummonsDraftCitizen, SummonsTemplate,
                    Team, TypeVariant, TypeVariantMeetingType, TypeVariantTeam, Unit, User,
                    UserSession, WorkingHours, db, utcnow)
from planner import booking, summons
from pool import staffing
from tests.test_offers_support import DAGPENGE_30

UTC = dt.timezone.utc
_serial = itertools.count(1)

# --- roles -------------------------------------------------------------------------

JOB_CENTRE, OTHER_JOB_CENTRE, POOL = 'A', 'B', 'P'
KIND = {JOB_CENTRE: Organisation.PLANNER, OTHER_JOB_CENTRE: Organisation.PLANNER,
        POOL: Organisation.POOL}


@dataclass(frozen=True)
class Role:
    name: str
    user_role: str | None      # None: anonymous
    org: str | None            # which organisation of the world

    @property
    def kind(self):
        return KIND.get(self.org)


ROLES = (
    Role('anonymous', None, None),
    Role('citizen', User.CITIZEN, JOB_CENTRE),
    Role('substitute', User.SUBSTITUTE, POOL),
    Role('caseworker', User.CASEWORKER, JOB_CENTRE),
    Role('planner', User.PLANNER, JOB_CENTRE),
    Role('admin', User.ADMIN, JOB_CENTRE),
    Role('pool_planner', User.PLANNER, POOL),
    Role('pool_admin', User.ADMIN, POOL),
    Role('other_admin', User.ADMIN, OTHER_JOB_CENTRE),
)
ROLE = {r.name: r for r in ROLES}

# --- expected outcomes ---------------------------------------------------------------

ALLOW = 'allowed'          # 2xx, or 3xx that is not a login page
DENY = 'denied'            # 403 or 404
LOGIN = 'login'            # a redirect to a login page
PUBLIC = 'public'          # anybody: 2xx or 3xx (login pages, the landing page)
SIGNED = 'signed'          # webhooks: 401/403 without a valid signature, for everybody
TOKEN = 'token'            # the calendar feed: 404 for a token that is not one

JC, PL = Organisation.PLANNER, Organisation.POOL
JC_ADMIN = {(User.ADMIN, JC)}
JC_MANAGERS = {(User.ADMIN, JC), (User.PLANNER, JC)}
JC_STAFF = {(User.ADMIN, JC), (User.PLANNER, JC), (User.CASEWORKER, JC)}
POOL_STAFF = {(User.ADMIN, PL), (User.PLANNER, PL)}
ANY_MANAGERS = JC_MANAGERS | POOL_STAFF

# First match wins. A set: who may (user role, organisation kind); a string:
# the same outcome for everybody. Every endpoint must match one rule.
RULES = (
    ('static', PUBLIC),
    ('auth.*', PUBLIC),
    ('main.*', PUBLIC),
    ('webhooks.*', SIGNED),
    ('calendar_feed.feed', TOKEN),
    ('admin.index', {(User.ADMIN, JC), (User.ADMIN, PL)}),  # each kind's own sections
    ('admin_audit.*', {(User.ADMIN, JC), (User.ADMIN, PL)}),  # each one's own log
    ('admin_sms.*', {(User.ADMIN, JC), (User.ADMIN, PL)}),  # each one's own sender
    ('absence.*', JC_MANAGERS),
    ('admin_*', JC_ADMIN),
    ('calendar.*', JC_STAFF),
    ('calendar_feed.*', JC_STAFF),
    ('summons.*', JC_STAFF),
    ('pending.*', JC_STAFF),
    ('followup.*', JC_STAFF),
    ('offers.*', JC_MANAGERS),
    ('messages.*', ANY_MANAGERS),  # each organisation's own message log
    ('citizen.*', {(User.CITIZEN, JC)}),
    ('pool_me.*', {(User.SUBSTITUTE, PL)}),
    ('pool.*', POOL_STAFF),
    ('pool_*', POOL_STAFF),
)

# (endpoint, role name) -> outcome, where the rule above is not the whole story.
EXCEPTIONS = {
    # A summons draft belongs to the staff member who made it (the planner).
    **{(f'summons.{step}', who): DENY for step in ('step1', 'step2', 'step3', 'row')
       for who in ('caseworker', 'admin')},
    # "My calendar feed" is a caseworker's own: nobody else has one.
    **{('calendar_feed.mine', who): DENY for who in ('planner', 'admin', 'other_admin')},
}


def rule_for(endpoint: str):
    for pattern, outcome in RULES:
        if fnmatch.fnmatchcase(endpoint, pattern):
            return outcome
    return None


def expected(endpoint: str, role: Role, owner: str | None) -> str:
    """The outcome for `role` on `endpoint` whose URL names objects of the
    organisation `owner` (None: no object in the URL)."""
    if (endpoint, role.name) in EXCEPTIONS:
        return EXCEPTIONS[endpoint, role.name]
    rule = rule_for(endpoint)
    if isinstance(rule, str):
        return rule
    if role.user_role is None:
        return LOGIN
    if (role.user_role, role.kind) not in rule:
        return DENY
    if owner is not None and owner != role.org:
        return DENY          # another organisation's object: never shown, never changed
    return ALLOW


# --- the world -----------------------------------------------------------------------

def valid_cpr(born: dt.date) -> str:
    """A CPR number that passes validation, born on `born` (unique serial)."""
    while True:
        cpr = f'{born:%d%m%y}{next(_serial) % 4000:04d}'
        if normalise_cpr(cpr) == cpr and not User.select().where(User.cpr == cpr).exists():
            return cpr


def _org(name: str, kind: str) -> Organisation:
    n = next(_serial)
    if kind == Organisation.PLANNER:
        return Organisation.create(name=name, slug=f'matrix-{n}', kind=kind, country='DK',
                                   timezone='Europe/Copenhagen', language='da',
                                   sms_sender='Jobcenter', phone='+4570100100',
                                   rights_and_duties='Du skal møde op.')
    return Organisation.create(name=name, slug=f'matrix-{n}', kind=kind, country='SE',
                               timezone='Europe/Stockholm', language='sv',
                               sms_sender='Bemanning', phone='+46812345678')


def staff(org, role: str, name: str) -> User:
    """A staff account without a password (tests log in directly)."""
    n = next(_serial)
    return User.create(organisation=org, role=role, name=name,
                       email=f'{role}{n}.{org.id}@example.test', language='en')


def citizen(org, name: str, *, group: str = 'dagpenge', caseworker=None) -> User:
    n = next(_serial)
    user = User.create(organisation=org, role=User.CITIZEN, name=name, language='en',
                       cpr=valid_cpr(dt.date(1980, 1 + n % 12, 1 + n % 28)),
                       phone=f'+4520{n % 1000000:06d}', email=f'borger{n}@example.test')
    CitizenProfile.create(user=user, organisation=org, contact_group=group,
                          caseworker=caseworker)
    return user


def substitute(org, name: str, unit: Unit) -> User:
    n = next(_serial)
    user = User.create(organisation=org, role=User.SUBSTITUTE, name=name, language='en',
                       username=f'vikarie{n}', phone=f'+4670{n % 10000000:07d}')
    SubstituteUnit.create(user=user, unit=unit)
    return user


def caseworker(org, team: Team, name: str) -> Caseworker:
    cw = Caseworker.create(user=staff(org, User.CASEWORKER, name), organisation=org,
                           initials=''.join(p[0] for p in name.split()))
    CaseworkerTeam.create(caseworker=cw, team=team)
    for weekday in range(5):
        WorkingHours.create(caseworker=cw, weekday=weekday, start=dt.time(8),
                            end=dt.time(16))
        Pause.create(caseworker=cw, weekday=weekday, start=dt.time(12),
                     end=dt.time(12, 30), label='Frokost')
    return cw


def next_weekday(org, weeks: int = 1, weekday: int = 0) -> dt.date:
    today = dt.datetime.now(UTC).astimezone(org.zone).date()
    return today + dt.timedelta(days=7 * weeks - today.weekday() + weekday)


@dataclass
class JobCentreWorld:
    org: Organisation
    team: Team
    caseworker: Caseworker
    room: Room
    planner: User
    admin: User
    citizen: User
    waiting: User              # on the planner's draft and the pending list
    meeting: Meeting
    offer: OnlineOffer
    draft: object
    draft_row: SummonsDraftCitizen
    pending: PendingSummons
    absence: Absence
    competence: Competence
    closing_day: ClosingDay
    reserved: ReservedTime
    variant: TypeVariant
    template: SummonsTemplate
    message: Message


def job_centre(name: str, people=('Mette Borger', 'Sune Venter'),
               staff_names=('Karen Vejleder', 'Ole Olsen')) -> JobCentreWorld:
    """A job centre with one of everything its pages name by id; `people`
    names its two citizens (one with a meeting, one waiting to be summoned),
    `staff_names` its two caseworkers."""
    org = _org(name, Organisation.PLANNER)
    jobsamtale = MeetingType.get(MeetingType.code == 'jobsamtale')
    team = Team.create(organisation=org, name='Dagpenge', address='Jobvej 1',
                       postcode='8000', city='Aarhus C')
    cw = caseworker(org, team, staff_names[0])
    caseworker(org, team, staff_names[1])     # another to copy pauses from
    room = Room.create(organisation=org, name='Mødelokale 1', capacity=6,
                       address='Jobvej 3', postcode='8000', city='Aarhus C')
    RoomTeam.create(room=room, team=team)
    planner = staff(org, User.PLANNER, 'Pia Planlægger')
    admin = staff(org, User.ADMIN, 'Aase Admin')
    person = citizen(org, people[0], caseworker=cw)
    waiting = citizen(org, people[1])

    monday = next_weekday(org, 2)
    meeting = booking.book(booking.MeetingRequest(
        organisation=org, team=team, meeting_type=jobsamtale, caseworker=cw, room=room,
        starts_at=dt.datetime.combine(monday, dt.time(10), tzinfo=org.zone),
        duration_minutes=45, citizens=(person,), attendance=Meeting.IN_PERSON,
        created_by=planner, citizen_can_cancel=True, citizen_can_rebook=True))
    # As if a summons made it: the follow-up list and its letters show it.
    Meeting.update(summoned_at=utcnow()).where(Meeting.id == meeting.id).execute()

    today = dt.datetime.now(UTC).astimezone(org.zone).date()
    offer = OnlineOffer.create(
        organisation=org, number=1, team=team, meeting_type=jobsamtale,
        duration_minutes=45, reporting_minutes=0, title='Jobsamtale', active=True,
        description='Book your job interview here.', bookable_from=today,
        earliest_meeting=today, end_date=today + dt.timedelta(weeks=6), rules=DAGPENGE_30)
    OfferCaseworker.create(offer=offer, caseworker=cw)

    frame = summons.SummonsFrame(meeting_type_id=jobsamtale.id, team_id=team.id,
                                 caseworker_ids=[cw.id], duration_minutes=45)
    draft = summons.new_draft(org, planner, frame)
    summons.add_citizens(draft, [(waiting, None)])
    draft_row = SummonsDraftCitizen.get(SummonsDraftCitizen.draft == draft)
    pending = PendingSummons.create(organisation=org, citizen=waiting, team=team,
                                    meeting_type=jobsamtale, frame=frame.to_json(),
                                    created_by=planner)
    # Absent the morning of the meeting, so the absence page offers to move it.
    start = dt.datetime.combine(monday, dt.time(8), tzinfo=org.zone).astimezone(UTC)
    absence = Absence.create(caseworker=cw, starts_at=start.replace(tzinfo=None),
                             ends_at=(start + dt.timedelta(hours=4)).replace(tzinfo=None),
                             reason='Kursus')
    competence = Competence.create(organisation=org, name='Unge')
    closing_day = ClosingDay.create(organisation=org, date=monday + dt.timedelta(days=3),
                                    name='Lukkedag')
    # Far ahead, so that no booking or summons of the matrix meets it.
    reserved = ReservedTime.create(organisation=org, team=team, purpose=ReservedTime.SUMMONS,
                                   first_day=monday + dt.timedelta(days=200),
                                   last_day=monday + dt.timedelta(days=200))
    variant = TypeVariant.create(organisation=org, name='Dagpenge-variant')
    TypeVariantMeetingType.create(variant=variant, meeting_type=jobsamtale)
    TypeVariantTeam.create(variant=variant, team=team)
    template = SummonsTemplate.create(organisation=org, name='Standard',
                                      fields='{"meeting_type": "jobsamtale"}')
    message = Message.select().where(Message.organisation == org).order_by(Message.id).first()
    assert message is not None, 'booking notifies the citizen'
    return JobCentreWorld(org=org, team=team, caseworker=cw, room=room, planner=planner,
                          admin=admin, citizen=person, waiting=waiting, meeting=meeting,
                          offer=offer, draft=draft, draft_row=draft_row, pending=pending, absence=absence,
                          competence=competence, closing_day=closing_day, reserved=reserved,
                          variant=variant,
                          template=template, message=message)


@dataclass
class PoolWorld:
    org: Organisation
    unit: Unit
    qualification: Qualification
    planner: User
    admin: User
    substitute: User
    availability: Availability
    vacancy: object
    request: ShiftRequest


def pool(name: str) -> PoolWorld:
    """A substitute pool: a unit, a qualification, a substitute available on a
    day with a vacancy, and a request for that vacancy waiting for an answer."""
    org = _org(name, Organisation.POOL)
    unit = Unit.create(organisation=org, name='Hemtjänst Norr', address='Storgatan 1',
                       postcode='681 30', city='Kristinehamn')
    qualification = Qualification.create(organisation=org, name='Körkort')
    planner = staff(org, User.PLANNER, 'Lars Planerare')
    admin = staff(org, User.ADMIN, 'Agneta Admin')
    sub = substitute(org, 'Anna Andersson', unit)
    at = staffing.now()
    day = next_weekday(org, 1, 2)
    availability = staffing.add_availability(sub, day, dt.time(0), dt.time(0), True,
                                             at=at).added[0]
    vacancy = staffing.create_vacancy(org, unit, day, dt.time(8), dt.time(12), [], '',
                                      by=planner, at=at)
    deadline = at + dt.timedelta(hours=12)
    request = staffing.send_requests(vacancy, 1, deadline, by=planner, at=at)[0]
    return PoolWorld(org=org, unit=unit, qualification=qualification, planner=planner,
                     admin=admin, substitute=sub, availability=availability,
                     vacancy=vacancy, request=request)


@dataclass
class World:
    a: JobCentreWorld
    b: JobCentreWorld
    p: PoolWorld
    users: dict = field(default_factory=dict)    # role name -> User

    def user(self, role: Role) -> User | None:
        return self.users.get(role.name)


def build_world() -> World:
    a = job_centre('Jobcenter A')
    b = job_centre('Jobcenter B', people=('Bodil Bech', 'Bjarne Berg'),
                   staff_names=('Birthe Bonde', 'Bent Bro'))
    p = pool('Testby kommun')
    world = World(a=a, b=b, p=p)
    world.users = {'citizen': a.citizen, 'substitute': p.substitute,
                   'caseworker': a.caseworker.user, 'planner': a.planner, 'admin': a.admin,
                   'pool_planner': p.planner, 'pool_admin': p.admin, 'other_admin': b.admin}
    return world


def url_values(world: World, endpoint: str = '') -> dict:
    """URL parameter -> (value, organisation it belongs to) for `endpoint`.
    The ids are the first job centre's and the pool's: everybody else is a
    stranger to them."""
    a, p = world.a, world.p
    values = {
        'absence_id': (a.absence.id, JOB_CENTRE),
        'meeting_id': (a.meeting.id, JOB_CENTRE),
        'caseworker_id': (a.caseworker.id, JOB_CENTRE),
        'day_id': (a.closing_day.id, JOB_CENTRE),
        'reserved_id': (a.reserved.id, JOB_CENTRE),
        'competence_id': (a.competence.id, JOB_CENTRE),
        'room_id': (a.room.id, JOB_CENTRE),
        'template_id': (a.template.id, JOB_CENTRE),
        'team_id': (a.team.id, JOB_CENTRE),
        'variant_id': (a.variant.id, JOB_CENTRE),
        'offer_id': (a.offer.id, JOB_CENTRE),
        'draft_id': (a.draft.id, JOB_CENTRE),
        'row_id': (a.draft_row.id, JOB_CENTRE),
        'message_id': (a.message.id, JOB_CENTRE),
        'request_id': (p.request.id, POOL),
        'availability_id': (p.availability.id, POOL),
        'qualification_id': (p.qualification.id, POOL),
        'user_id': (p.substitute.id, POOL),
        'unit_id': (p.unit.id, POOL),
        'vacancy_id': (p.vacancy.id, POOL),
        'token': ('not-a-real-feed-token', None),
        'filename': ('css/app.css', None),
    }
    if endpoint.startswith('admin_citizens.'):      # a citizen's account, not a substitute's
        values['user_id'] = (a.citizen.id, JOB_CENTRE)
    return values


# --- forms, read from the pages --------------------------------------------------------

class FormReader(HTMLParser):
    """Every <form method=post>: the address it posts to and the values a
    browser sends on pressing its first submit button (checked boxes, selected
    options); a button with its own `formaction` is one more form."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._form = None          # [action, fields, buttons]
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'form':
            if (a.get('method') or 'get').lower() == 'post':
                self._form = [a.get('action') or '', [], []]
            return
        if self._form is None:
            return
        fields, buttons = self._form[1], self._form[2]
        name = a.get('name')
        kind = (a.get('type') or ('submit' if tag == 'button' else 'text')).lower()
        if tag in ('input', 'button') and kind == 'submit':
            buttons.append((name, a.get('value') or '', a.get('formaction')))
        elif tag == 'input' and name:
            if kind in ('checkbox', 'radio'):
                if 'checked' in a:
                    fields.append((name, a.get('value') or 'on'))
            elif kind not in ('file', 'button', 'image', 'reset'):
                fields.append((name, a.get('value') or ''))
        elif tag == 'select' and name:
            self._select = [name, 'multiple' in a, None, False]   # name, multiple, first, any
        elif tag == 'option' and self._select is not None:
            value = a.get('value', '')
            if self._select[2] is None:
                self._select[2] = value
            if 'selected' in a:
                fields.append((self._select[0], value))
                self._select[3] = True
        elif tag == 'textarea' and name:
            self._textarea = [name, '']

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if self._form is None:
            return
        if tag == 'form':
            action, fields, buttons = self._form
            plain = [b for b in buttons if not b[2]]
            pressed = [(plain[0][0], plain[0][1])] if plain and plain[0][0] else []
            self.forms.append((action, fields + pressed))
            for name, value, formaction in buttons:
                if formaction:
                    self.forms.append((formaction, fields + ([(name, value)] if name else [])))
            self._form = None
        elif tag == 'select' and self._select is not None:
            name, multiple, first, chosen = self._select
            if not chosen and not multiple and first is not None:
                self._form[1].append((name, first))
            self._select = None
        elif tag == 'textarea' and self._textarea is not None:
            name, value = self._textarea   # a browser drops the newline after the tag
            self._form[1].append((name, value[2:] if value.startswith('\r\n') else
                                  value[1:] if value.startswith('\n') else value))
            self._textarea = None


def forms_by_action(page_url: str, html: str) -> dict[str, list[tuple[str, str]]]:
    """{path the form posts to: its fields} of one page (the first form per path)."""
    reader = FormReader()
    reader.feed(html)
    found = {}
    for action, fields in reader.forms:
        target = urlparse(action) if action else urlparse(page_url)
        path = target.path or urlparse(page_url).path
        found.setdefault(path, fields)
    return found


# --- the database, all of it ------------------------------------------------------------

# Columns a request may touch without changing anything the user owns: a
# session's sliding expiry. The audit log is left out on purpose: recording a
# refused attempt is not a change.
VOLATILE = {UserSession._meta.table_name: {'last_seen_at', 'expires_at'}}
SKIP_TABLES = {AuditEvent._meta.table_name}


def fingerprint() -> dict[str, tuple[int, str]]:
    """{table: (row count, digest of every row)} of every table."""
    result = {}
    for table in sorted(db.get_tables()):
        if table in SKIP_TABLES:
            continue
        cursor = db.execute_sql(f'SELECT * FROM "{table}"')
        names = [d[0] for d in cursor.description]
        drop = {i for i, n in enumerate(names) if n in VOLATILE.get(table, ())}
        rows = sorted(repr(tuple(v for i, v in enumerate(row) if i not in drop))
                      for row in cursor.fetchall())
        result[table] = (len(rows), hashlib.sha256('\n'.join(rows).encode()).hexdigest())
    return result


def row_counts() -> dict[str, int]:
    """{table: row count} of every table, in one query (cheap enough per request)."""
    tables = [t for t in sorted(db.get_tables()) if t not in SKIP_TABLES]
    sql = ' UNION ALL '.join(f"SELECT '{t}', COUNT(*) FROM \"{t}\"" for t in tables)
    return dict(db.execute_sql(sql).fetchall())


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
