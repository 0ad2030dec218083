"""Pieces of the fuzz tests (no tests here): a reader that collects the
fields every form of a page has, hypothesis strategies that fill them with
valid-looking values and junk, and `problems()`, the consistency checks run
on the whole database after every generated request.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser

from hypothesis import strategies as st
from peewee import CharField, ForeignKeyField, IntegerField, SqliteDatabase, TextField

from common.validators import normalise_cpr
from models import (ALL_MODELS, Absence, Availability, Caseworker, CaseworkerTeam, CitizenAbsence,
                    CitizenProfile, Competence, Meeting, MeetingCaseworker, MeetingParticipant,
                    Message, OfferCaseworker, OnlineOffer, Organisation, Pause, PendingSummons,
                    PoolSettings, Qualification, Room, RoomTeam, ShiftRequest,
                    SubstituteQualification, SubstituteUnit, SummonsDraft, SummonsDraftCitizen,
                    SummonsTemplate, Team, TypeVariant, TypeVariantTeam, Unit, User, Vacancy,
                    VacancyQualification, WorkingHours, db)

# --- the forms of a page ---------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str                    # input type, 'select', 'textarea' or 'submit'
    options: list = field(default_factory=list)   # select / radio / checkbox / button values
    value: str = ''              # what the page filled in
    multiple: bool = False       # a multi-select, or several checkboxes of one name
    chosen: list = field(default_factory=list)    # options selected or checked on the page

    @property
    def default(self):
        """What a browser sends for it untouched (OMIT: nothing)."""
        if self.kind == 'submit':
            return self.options[0] if self.options else OMIT
        if self.kind in ('checkbox', 'radio') or (self.kind == 'select' and self.multiple):
            return list(self.chosen) if self.chosen else OMIT
        if self.kind == 'select':
            return self.chosen[0] if self.chosen else (self.options[0] if self.options else '')
        if self.kind == 'file':
            return OMIT
        return self.value


@dataclass
class Form:
    action: str                  # the URL it goes to (the page's own when blank)
    method: str = 'post'
    fields: dict = field(default_factory=dict)     # name -> Field
    targets: list = field(default_factory=list)    # ids its htmx requests fill

    def add(self, name, kind, value='', option=None, multiple=False, chosen=False):
        f = self.fields.get(name)
        if f is None:
            f = self.fields[name] = Field(name, kind, value=value, multiple=multiple)
        elif f.kind == 'checkbox' and kind == 'checkbox':
            f.multiple = True
        if option is not None and option not in f.options:
            f.options.append(option)
        if chosen and option is not None:
            f.chosen.append(option)
        return f


class FormFields(HTMLParser):
    """Every <form> of a page: where it goes, how, and the name, kind,
    offered values and the page's own values of each input, select, textarea
    and named button. A button with its own `formaction` posts the same
    fields elsewhere."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._elsewhere: list[tuple[str, str | None, str]] = []
        self._select: Field | None = None
        self._option: list | None = None      # [text, selected] of an option without value
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else '') for k, v in attrs}
        form = self._form
        if tag == 'form':
            self._form = Form(a.get('action') or self.page_url,
                              method=(a.get('method') or 'get').lower())
            self._elsewhere = []
            form = self._form
        if form is None:
            return
        target = a.get('hx-target', '')
        if target.startswith('#') and target[1:] not in form.targets:
            form.targets.append(target[1:])
        name = a.get('name')
        kind = (a.get('type') or ('submit' if tag == 'button' else 'text')).lower()
        if tag in ('input', 'button') and kind == 'submit':
            if a.get('formaction'):
                self._elsewhere.append((a['formaction'], name, a.get('value', '')))
            elif name:
                form.add(name, 'submit', option=a.get('value', ''))
        elif tag == 'input' and name and kind not in ('button', 'image', 'reset'):
            if kind in ('checkbox', 'radio'):
                form.add(name, kind, option=a.get('value') or 'on', chosen='checked' in a)
            else:
                form.add(name, kind, value=a.get('value', ''))
        elif tag == 'select' and name:
            self._select = form.add(name, 'select', multiple='multiple' in a)
        elif tag == 'option' and self._select is not None:
            if 'value' in a:
                self._select.options.append(a['value'])
                if 'selected' in a:
                    self._select.chosen.append(a['value'])
            else:
                self._option = ['', 'selected' in a]
        elif tag == 'textarea' and name:
            self._textarea = form.add(name, 'textarea')
            self._textarea.value = ''

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data
        if self._option is not None:
            self._option[0] += data

    def handle_endtag(self, tag):
        if tag == 'option' and self._option is not None:
            if self._select is not None:
                text, selected = self._option[0].strip(), self._option[1]
                self._select.options.append(text)
                if selected:
                    self._select.chosen.append(text)
            self._option = None
        elif tag == 'select':
            self._select = None
        elif tag == 'textarea' and self._textarea is not None:
            # The HTML parser keeps the newline a browser drops after <textarea>.
            value = self._textarea.value
            self._textarea.value = value[2:] if value.startswith('\r\n') else \
                value[1:] if value.startswith('\n') else value
            self._textarea = None
        elif tag == 'form' and self._form is not None:
            self.forms.append(self._form)
            for action, name, value in self._elsewhere:
                other = Form(action, 'post', dict(self._form.fields), self._form.targets)
                if name:
                    other.fields[name] = Field(name, 'submit', options=[value])
                self.forms.append(other)
            self._form = None


def read_forms(page_url: str, html: str) -> list[Form]:
    reader = FormFields(page_url)
    reader.feed(html)
    reader.close()
    return reader.forms


# --- values ------------------------------------------------------------------------------

OMIT = object()    # leave the field out of the request

NASTY = [
    '', ' ', '\x00', 'a\x00b', '\x1b[31m', '\x85', '\u202egnp.exe', 'x\u200by', '\ufeff',
    '\u200b', '\u200e\u2060', '\u00a0\u3000', '\u200f\u0645\u0631\u062d\u0628\u0627',
    '\U0001F600\U0001F4A9', 'Z\u0351\u036b\u0343\u036a\u0302', '\u0661\u0662', '\uff11\uff12',
    "' OR '1'='1", "1; DROP TABLE meeting; --", "Robert'); DROP TABLE user;--",
    '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', '{{ 7*7 }}', '%(x)s %s {0}',
    '../../etc/passwd', 'javascript:alert(1)', '\r\n\t', 'ÆØÅ æøå ÄÖ',
    '-1', '0', '-0', '00', '+5', '1.5', '1e309', 'NaN', '-inf', '0x10', '2147483648',
    '-2147483649', '9223372036854775808', '99999999999999999999999999',
    '2024-02-30', '0000-00-00', '0001-01-01', '9999-12-31', '10000-01-01', '31-12-2026',
    '2026-13-01', '24:00', '23:60', '-01:00', '99:99', '7', '25:00:00',
    'true', 'null', '[]', '{}', 'None', 'on', 'off',
]


def nasty_text():
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(st.characters(exclude_categories=('Cs',)), max_size=40),
        st.text(st.characters(exclude_categories=('Cs',)), min_size=250, max_size=400),
        st.integers(min_value=1, max_value=6).map(lambda n: 'x' * (10 ** n)))


@dataclass
class Knowledge:
    """What a valid-looking value may name: ids of real objects (the user's
    organisation's and other organisations') and citizens' CPR numbers."""
    today: dt.date
    ids: list                   # every id of every object of the world
    cprs: list                  # citizens' CPR numbers, ours and others'


def _dates(k: Knowledge, good: bool):
    if good:
        return st.integers(1, 60).map(lambda d: k.today + dt.timedelta(days=d))
    return st.one_of(st.integers(-400, 4000).map(lambda d: k.today + dt.timedelta(days=d)),
                     st.sampled_from([dt.date.min, dt.date.max, dt.date(1, 1, 2),
                                      dt.date(9999, 12, 27)]))


def _times(hours=(6, 20)):
    return st.builds(dt.time, st.integers(*hours), st.sampled_from([0, 5, 15, 30, 45]))


def _cprs(k: Knowledge, good: bool):
    if good:
        return st.sampled_from(k.cprs)
    return st.one_of(
        st.builds(lambda d, n: f'{d:%d%m%y}{n:04d}',
                  st.dates(dt.date(1940, 1, 1), dt.date(2009, 12, 31)), st.integers(0, 9999)),
        st.builds(lambda d, n: f'{d:%d%m%y}-{n:04d}',
                  st.dates(dt.date(1940, 1, 1), dt.date(2009, 12, 31)), st.integers(0, 9999)),
        st.sampled_from(['0101011234', '3102801234', '010180-123', '19800101-1234']))


def _words():
    return st.sampled_from(['Karen', 'Mødelokale 2', 'Dagpenge', 'Unge under 30', 'Ja',
                            'Nej', 'Hemtjänst Syd', 'Jobvej 5', 'Aarhus C', 'note',
                            'Ja 4821', 'Personnr.\n0101801234'])


def valid_value(f: Field, k: Knowledge):
    """A value the field's page could have sent, or one a person would type
    that should be accepted."""
    if f.options:
        choices = st.sampled_from(f.options)
        if f.multiple or f.kind == 'checkbox':
            return st.lists(choices, min_size=0, max_size=len(f.options), unique=True)
        return choices
    if f.kind == 'hidden':
        return st.just(f.value)
    if f.kind == 'file':
        return st.sampled_from([b'', b'Personnr.\n0101801234\n', b'PK\x03\x04junk',
                                b'\x00' * 64]).map(lambda b: (io.BytesIO(b), 'list.xlsx'))
    good = _typed(f, k, good=True)
    return st.one_of(good, good, st.just(f.value), st.just(''))


def wrong_value(f: Field, k: Knowledge):
    """A value of the right shape that a form should refuse or cope with: a
    date years away, an end before a start, a negative number, a CPR number
    nobody has, an address in the wrong country."""
    return _typed(f, k, good=False)


def _typed(f: Field, k: Knowledge, *, good: bool):
    name = f.name.lower()
    if f.kind == 'datetime-local':
        return st.builds(dt.datetime.combine, _dates(k, good), _times()).map(
            lambda d: d.strftime('%Y-%m-%dT%H:%M'))
    if 'week' in name:
        return (_dates(k, good).map(lambda d: '{}-W{:02d}'.format(*d.isocalendar()[:2])) if good
                else st.sampled_from(['0001-W01', '9999-W52', '1-W01', '2026-W60', '2026-W00',
                                      'W']))
    if 'month' in name:
        return (_dates(k, good).map(lambda d: f'{d:%Y-%m}') if good
                else st.sampled_from(['0001-01', '9999-12', '1-1', '10000-01', '2026-13',
                                      '-1-1']))
    if f.kind == 'date' or 'date' in name or 'day' in name or name in ('earliest', 'deadline'):
        return _dates(k, good).map(dt.date.isoformat)
    if f.kind == 'time' or 'start' in name or 'end' in name or 'time' in name:
        hours = ((7, 11) if 'start' in name else (12, 20) if 'end' in name else (6, 20)) \
            if good else (0, 23)
        return _times(hours).map(lambda t: t.strftime('%H:%M'))
    if f.kind == 'number' or 'minutes' in name or 'share' in name or name in (
            'capacity', 'duration', 'seats', 'count', 'extra_seats', 'reporting'):
        if not good:
            return st.integers(-100, 100000).map(str)
        if 'share' in name:
            return st.integers(0, 100).map(str)
        if 'duration' in name or 'minutes' in name:
            return st.sampled_from(['15', '30', '45', '60', '90'])
        return st.integers(0, 12).map(str)
    if 'cpr' in name or 'person' in name:
        return _cprs(k, good)
    if f.kind == 'tel' or 'phone' in name or name == 'msisdn':
        return st.sampled_from(['+4520123456', '20 12 34 56', '+46701234567', '070-123 45 67']
                               if good else ['12', '+4599999999999', '+1 555 0100', 'ring mig'])
    if f.kind == 'email' or 'email' in name:
        return (st.integers(1, 10 ** 6).map(lambda n: f'nina{n}@example.test') if good
                else st.sampled_from(['a@b', 'no-at-sign', '@x.dk', 'a b@c.dk', 'x@.dk']))
    if f.kind == 'password':
        return st.sampled_from(['correct horse battery staple', 'Sommer2026!Sommer2026!']
                               if good else ['short', '', 'x' * 300])
    if 'postcode' in name:
        return st.sampled_from(['8000', '2800', '114 55', '68130'] if good
                               else ['0000', 'ABCD', '99999', '1'])
    if 'url' in name:
        return st.sampled_from(['', 'http://127.0.0.1:1/cal/'] if good
                               else ['ftp://x', 'not a url', 'javascript:alert(1)'])
    if f.kind == 'textarea':
        return st.one_of(_words(), st.lists(_cprs(k, good), max_size=5).map(
            lambda cprs: '\n'.join(['Personnr.', *cprs])))
    return _words()


def junk_value(f: Field, k: Knowledge):
    """Anything: a wrong value of the right shape, an id of something (ours
    or another organisation's), junk, nothing, or the field several times."""
    valid = valid_value(f, k)
    ids = st.sampled_from(k.ids).map(str)
    return st.one_of(wrong_value(f, k), ids, nasty_text(), st.just(OMIT),
                     st.lists(st.one_of(valid, ids, nasty_text()), min_size=2, max_size=4))


@st.composite
def form_data(draw, form: Form, k: Knowledge):
    """Values for the fields of `form`, in one of four shapes: the page's own
    values with a few changed to other valid-looking ones; the same with a
    few changed to junk; every field valid-looking; every field anything."""
    names = sorted(form.fields)
    shape = draw(st.sampled_from(['tweak', 'break', 'valid', 'chaos']))
    values = {n: form.fields[n].default for n in names}
    if shape in ('tweak', 'break') and names:
        changed = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    else:
        changed = names
    for n in changed:
        f = form.fields[n]
        if shape in ('tweak', 'valid'):
            values[n] = draw(valid_value(f, k))
        elif shape == 'break':
            values[n] = draw(junk_value(f, k))
        else:
            values[n] = draw(st.one_of(valid_value(f, k), junk_value(f, k)))
    return values


def htmx_headers(form: Form):
    """No htmx, or an htmx request aimed at an element the form fills (or a
    field's own check, `wrap-<name>`)."""
    targets = form.targets + [f'wrap-{n}' for n in sorted(form.fields)][:3]
    return st.one_of(st.just({}), st.sampled_from(targets or ['x']).map(
        lambda t: {'HX-Request': 'true', 'HX-Target': t}))


def as_request_data(values: dict) -> dict:
    """{name: value or list} for the test client (files as (stream, name))."""
    data = {}
    for name, value in values.items():
        if value is OMIT:
            continue
        if isinstance(value, list):
            data[name] = list(value)
        elif isinstance(value, tuple):
            stream, filename = value
            stream.seek(0)
            data[name] = (io.BytesIO(stream.getvalue()), filename)
        else:
            data[name] = value
    return data


# --- consistency of the database -----------------------------------------------------

INT32 = (-2 ** 31, 2 ** 31 - 1)     # PostgreSQL integer
E164 = re.compile(r'\+[1-9][0-9]{6,14}')
CONTROL = re.compile('[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]')   # not tab or line breaks
RAW = (Message,)     # SMS as received: kept as the sender wrote them
NAMED = (Team, Room, Competence, TypeVariant, Qualification, Unit, SummonsTemplate, User)


def _column_problems() -> list[str]:
    """Every stored string and integer: no NUL (PostgreSQL text cannot hold
    one), within its column's length and PostgreSQL's integer range."""
    out = []
    for model in ALL_MODELS:
        checks = [(f, f.max_length if isinstance(f, CharField) else None)
                  for f in model._meta.sorted_fields
                  if isinstance(f, (CharField, TextField, IntegerField, ForeignKeyField))]
        columns = [f for f, _ in checks]
        for row in model.select(model._meta.primary_key, *columns).tuples():
            for (f, limit), value in zip(checks, row[1:]):
                where = f'{model.__name__}#{row[0]}.{f.name}'
                if isinstance(value, str):
                    if '\x00' in value:
                        out.append(f'{where} holds a NUL character')
                    elif model not in RAW and CONTROL.search(value):
                        out.append(f'{where} holds a control character: {value[:40]!r}')
                    if limit is not None and len(value) > limit:
                        out.append(f'{where} is {len(value)} characters long (max {limit})')
                elif isinstance(value, int) and not isinstance(value, bool):
                    if not INT32[0] <= value <= INT32[1]:
                        out.append(f'{where} = {value} is out of the integer range')
    return out


def _same_org(model, left, right, left_org, right_org) -> list[str]:
    """Rows linking objects of two different organisations."""
    rows = model.select(model.id, left_org, right_org)
    rows = rows.join_from(model, left.rel_model, on=(left == left.rel_model.id)).switch(model)
    rows = rows.join_from(model, right.rel_model, on=(right == right.rel_model.id))
    return [f'{model.__name__}#{i} links organisation {a} to organisation {b}'
            for i, a, b in rows.tuples() if a != b]


def _links() -> list[str]:
    out = []
    for model, left, right, left_org, right_org in (
            (CaseworkerTeam, CaseworkerTeam.caseworker, CaseworkerTeam.team,
             Caseworker.organisation, Team.organisation),
            (RoomTeam, RoomTeam.room, RoomTeam.team, Room.organisation, Team.organisation),
            (TypeVariantTeam, TypeVariantTeam.variant, TypeVariantTeam.team,
             TypeVariant.organisation, Team.organisation),
            (OfferCaseworker, OfferCaseworker.offer, OfferCaseworker.caseworker,
             OnlineOffer.organisation, Caseworker.organisation),
            (SubstituteUnit, SubstituteUnit.user, SubstituteUnit.unit, User.organisation,
             Unit.organisation),
            (SubstituteQualification, SubstituteQualification.user,
             SubstituteQualification.qualification, User.organisation,
             Qualification.organisation),
            (VacancyQualification, VacancyQualification.vacancy,
             VacancyQualification.qualification, Vacancy.organisation,
             Qualification.organisation),
            (ShiftRequest, ShiftRequest.vacancy, ShiftRequest.user, Vacancy.organisation,
             User.organisation),
            (SummonsDraftCitizen, SummonsDraftCitizen.draft, SummonsDraftCitizen.citizen,
             SummonsDraft.organisation, User.organisation),
            (MeetingParticipant, MeetingParticipant.meeting, MeetingParticipant.citizen,
             Meeting.organisation, User.organisation),
            (MeetingCaseworker, MeetingCaseworker.meeting, MeetingCaseworker.caseworker,
             Meeting.organisation, Caseworker.organisation)):
        out += _same_org(model, left, right, left_org, right_org)
    # Rows that carry their organisation and point at objects that must share it.
    for model, refs in ((Meeting, ('team', 'caseworker', 'room', 'variant', 'offer')),
                        (OnlineOffer, ('team', 'variant')),
                        (Vacancy, ('unit', 'substitute')),
                        (PendingSummons, ('citizen', 'team')),
                        (CitizenProfile, ('user', 'caseworker')),
                        (Caseworker, ('user',)),
                        (Team, ('parent',)), (Unit, ('parent',))):
        for row in model.select():
            for ref in refs:
                target = getattr(row, ref + '_id', None)
                if target is None:
                    continue
                rel = model._meta.fields[ref].rel_model
                org = rel.select(rel.organisation).where(rel.id == target).scalar()
                if org != row.organisation_id:
                    out.append(f'{model.__name__}#{row.id}.{ref} is organisation {org}\'s, '
                               f'not {row.organisation_id}\'s')
    return out


def _trees() -> list[str]:
    out = []
    for model in (Team, Unit):
        parent = dict(model.select(model.id, model.parent).tuples())
        for node in parent:
            seen, at = set(), node
            while at is not None and at not in seen:
                seen.add(at)
                at = parent.get(at)
            if at is not None:
                out.append(f'{model.__name__}#{node} is in a cycle of parents')
    return out


def _overlaps(intervals: dict) -> list[str]:
    out = []
    for who, spans in intervals.items():
        spans.sort()
        for (s1, e1, m1), (s2, e2, m2) in zip(spans, spans[1:]):
            if s2 < e1:
                out.append(f'caseworker {who} holds meetings {m1} and {m2} at the same time')
    return out


def _meetings() -> list[str]:
    out = []
    booked = {m.id: m for m in Meeting.select().where(Meeting.status == Meeting.BOOKED)}
    participants = defaultdict(int)
    for link in MeetingParticipant.select().where(MeetingParticipant.status == Meeting.BOOKED):
        participants[link.meeting_id] += 1
    busy = defaultdict(list)
    for m in Meeting.select():
        if not m.starts_at < m.ends_at:
            out.append(f'Meeting#{m.id} ends at {m.ends_at}, not after its start {m.starts_at}')
        if m.reporting_minutes < 0 or m.rebooking_seats < 0 or (m.seats or 0) < 0 \
                or m.rebook_days_before < 0:
            out.append(f'Meeting#{m.id} has a negative reporting time or seat count')
    for m in booked.values():
        if m.form == Meeting.INDIVIDUAL and participants[m.id] != 1:
            out.append(f'individual Meeting#{m.id} is booked with {participants[m.id]} citizens')
        if m.caseworker_id is not None:
            busy[m.caseworker_id].append((m.starts_at, m.ends_at, m.id))
    for link in MeetingCaseworker.select():
        m = booked.get(link.meeting_id)
        if m is not None and link.caseworker_id != m.caseworker_id:
            busy[link.caseworker_id].append((m.starts_at, m.ends_at, m.id))
    return out + _overlaps(busy)


def _spans() -> list[str]:
    out = []
    for model, start, end in ((Absence, 'starts_at', 'ends_at'),
                              (Availability, 'starts_at', 'ends_at'),
                              (Vacancy, 'starts_at', 'ends_at'),
                              (WorkingHours, 'start', 'end'), (Pause, 'start', 'end'),
                              (CitizenAbsence, 'first_day', 'last_day')):
        for row in model.select():
            a, b = getattr(row, start), getattr(row, end)
            wrong = a > b if model is CitizenAbsence else not a < b
            if wrong:
                out.append(f'{model.__name__}#{row.id} runs from {a} to {b}')
    for model in (WorkingHours, Pause):
        for row in model.select().where((model.weekday < 0) | (model.weekday > 6)):
            out.append(f'{model.__name__}#{row.id} is on weekday {row.weekday}')
    pauses = defaultdict(int)
    for row in Pause.select():
        pauses[row.caseworker_id, row.weekday] += 1
    out += [f'caseworker {cw} has {n} pauses on weekday {day} (at most 4)'
            for (cw, day), n in pauses.items() if n > 4]
    return out


def _numbers() -> list[str]:
    out = []
    for room in Room.select():
        if (room.capacity is not None and room.capacity < 0) or room.extra_seats < 0:
            out.append(f'Room#{room.id} has capacity {room.capacity}, '
                       f'{room.extra_seats} extra seats')
    for cw in Caseworker.select():
        if not (0 <= cw.auto_share <= 100 and 0 <= cw.max_share <= 100):
            out.append(f'Caseworker#{cw.id} has shares {cw.max_share} / {cw.auto_share}')
    for offer in OnlineOffer.select():
        if offer.duration_minutes <= 0 or offer.reporting_minutes < 0 \
                or offer.rebook_days_before < 0:
            out.append(f'OnlineOffer#{offer.id} has duration {offer.duration_minutes}, '
                       f'reporting {offer.reporting_minutes}, rebook {offer.rebook_days_before}')
    for s in PoolSettings.select():
        if s.requests_per_wave < 1 or s.answer_minutes < 1:
            out.append(f'PoolSettings#{s.id}: {s.requests_per_wave} per wave, '
                       f'{s.answer_minutes} minutes')
    for org in Organisation.select():
        if org.display_grid_minutes not in (15, 30, 60):
            out.append(f'Organisation#{org.id} shows a {org.display_grid_minutes} minute grid')
    return out


def _people() -> list[str]:
    out = []
    for user in User.select():
        if user.cpr is not None and normalise_cpr(user.cpr) != user.cpr:
            out.append(f'User#{user.id} has a malformed CPR number')
        if user.phone and not E164.fullmatch(user.phone):
            out.append(f'User#{user.id} has the phone number {user.phone!r}, not E.164')
    for model in NAMED:
        for row in model.select(model.id, model.name).tuples():
            if not visible(row[1]):
                out.append(f'{model.__name__}#{row[0]} has no name: {row[1]!r}')
    for offer in OnlineOffer.select().where(OnlineOffer.number.is_null(False)):
        if not visible(offer.title):
            out.append(f'OnlineOffer#{offer.id} has no title: {offer.title!r}')
    for model, column in ((Team, 'phone'), (Unit, 'phone'), (Caseworker, 'work_phone'),
                          (Organisation, 'phone')):
        for row_id, phone in model.select(model.id, getattr(model, column)).tuples():
            if phone and not E164.fullmatch(phone):
                out.append(f'{model.__name__}#{row_id}.{column} is {phone!r}, not E.164')
    return out


def visible(text) -> bool:
    """Something a person can see: not only spaces and invisible characters
    (zero-width spaces, direction marks)."""
    return any(not c.isspace() and unicodedata.category(c) not in ('Cf', 'Cc', 'Zs')
               for c in text or '')


def _json() -> list[str]:
    out = []
    for model, column in ((SummonsTemplate, 'fields'), (OnlineOffer, 'rules'),
                          (SummonsDraft, 'frame'), (PendingSummons, 'frame')):
        for row_id, text in model.select(model.id, getattr(model, column)).tuples():
            if not text:
                continue
            try:
                json.loads(text)
            except ValueError:
                out.append(f'{model.__name__}#{row_id}.{column} is not JSON: {text[:60]!r}')
    return out


def problems() -> list[str]:
    """Everything wrong with the database as it stands (empty: consistent)."""
    out = []
    if isinstance(db.obj, SqliteDatabase):
        out += [f'foreign key: {row}' for row in db.execute_sql('PRAGMA foreign_key_check')]
        out += [f'integrity: {row[0]}' for row in db.execute_sql('PRAGMA quick_check')
                if row[0] != 'ok']
    for check in (_column_problems, _links, _trees, _meetings, _spans, _numbers, _people,
                  _json):
        out += check()
    return out
