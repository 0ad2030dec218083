"""The one write path of the substitute pool, shared by the web pages and
the SMS handler: availability, vacancies, direct bookings, request waves and
their answers, call outcomes, stopping a vacancy, manual messages.

No double booking, ever (DESIGN rule 3): a booking or an answer is decided
inside one transaction that holds the vacancy's and then the substitute's
lock (SQLite: the write lock taken at BEGIN IMMEDIATE; PostgreSQL: SELECT ...
FOR UPDATE), re-checks the substitute against the pure rules
(`scheduling.staffing`), and moves the vacancy to BOOKED with a conditional
update, so two deciders can never both win. The SMS that a decision sends are
Message rows written in the same transaction and handed to the queue once it
has committed (rule 4): a crash in between leaves them for the sweep.
"""
from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from flask_babel import (force_locale, format_date, gettext as _,
                         lazy_gettext as _l)
from peewee import fn

from messaging import dates, outbox
from models import (AuditEvent, Availability, CallOutcome, Message, Organisation, PoolSettings,
                    Qualification, ShiftRequest, SubstituteQualification, SubstituteUnit, Unit,
                    User, Vacancy, VacancyQualification, db, lock_row, utcnow)
from scheduling import staffing as core
from scheduling.localtime import as_utc, naive_utc

MAX_REPEAT = dt.timedelta(days=366)


def now() -> dt.datetime:
    """The current instant, naive UTC. Everything here takes `now` from the
    caller; the pages call this (tests replace it to fix the clock)."""
    return utcnow()


class StaffingError(Exception):
    """Why an action was refused: a stable `code` and a message for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _lock(model, row_id: int) -> None:
    """Row lock on PostgreSQL; SQLite already holds the write lock (IMMEDIATE).
    NO KEY UPDATE: deciders queue behind each other, while inserting rows that
    refer to the row (messages, audit, call outcomes) takes no part in it, so
    such inserts before the lock cannot deadlock two deciders."""
    lock_row(model, row_id, 'FOR NO KEY UPDATE')


def send_sms(user: User, text: str, kind: str = Message.AUTOMATIC) -> Message:
    """The SMS row is written in the caller's transaction and handed to the
    queue once it commits (outbox; a crash in between leaves it to the sweep)."""
    return outbox.queue_sms(user.organisation, user.phone or '', text, user=user, kind=kind)


def language_of(user: User) -> str:
    return user.language or user.organisation.language


# --- wording shared by pages and SMS -----------------------------------------

def when_text(organisation: Organisation, starts_at: dt.datetime,
              ends_at: dt.datetime) -> str:
    """'ons 6 maj 22:00–07:00' in the current language and the organisation's
    zone (a range that ends on a later day shows that day's date too)."""
    start, end = organisation.local(starts_at), organisation.local(ends_at)
    text = f"{dates.text(start, 'weekday_day_month_short')} {dates.text(start, 'time')}"
    if (end - dt.timedelta(microseconds=1)).date() > start.date() and end.time() != dt.time():
        return f"{text}–{format_date(end.date(), 'EEE')} {end_clock(start, end)}"
    return f'{text}–{end_clock(start, end)}'


def end_clock(start: dt.datetime, end: dt.datetime) -> str:
    """The end's wall time; midnight after the start's day reads 24:00."""
    if end.time() == dt.time() and end.date() == start.date() + dt.timedelta(days=1):
        return '24:00'
    return dates.text(end, 'time')


def local_text(organisation: Organisation, instant: dt.datetime) -> str:
    """'ons 8 maj 09:30': a stored instant in the organisation's time."""
    local = organisation.local(instant)
    return f"{dates.text(local, 'weekday_day_month_short')} {dates.text(local, 'time')}"


def vacancy_when(vacancy: Vacancy) -> str:
    return when_text(vacancy.organisation, vacancy.starts_at, vacancy.ends_at)


def _shift_words(vacancy: Vacancy) -> dict:
    org = vacancy.organisation
    return dict(unit=vacancy.unit.name, address=vacancy.unit.full_address or vacancy.unit.name,
                when=vacancy_when(vacancy), phone=org.phone or org.name)


# The automatic shift SMS by event, formatted with the shift's words (unit,
# address, when, phone; a request also code and deadline).
_SHIFT_TEXTS = {
    # With no other request open, a plain Ja or Nej is enough; the code
    # only tells several open requests apart.
    'request_plain': _l('Request: shift at %(unit)s, %(when)s. Reply JA or NEJ by '
                        '%(deadline)s.'),
    'request': _l('Request: shift at %(unit)s, %(when)s. Reply JA %(code)s or NEJ %(code)s '
                  'by %(deadline)s.'),
    'won': _l('You got the shift at %(unit)s, %(address)s, %(when)s. Welcome!'),
    'booked': _l('Booking: you are booked for a shift at %(unit)s, %(address)s, %(when)s. '
                 'Questions? Call %(phone)s.'),
    'not_got': _l('You did not get the shift at %(unit)s, %(when)s. It has been filled. '
                  'Thank you!'),
    'already_filled': _l('The shift at %(unit)s, %(when)s is already filled, so you did not '
                         'get it. Thank you for answering.'),
    'unfit': _l('You did not get the shift at %(unit)s, %(when)s: it clashes with your '
                'other shifts or your calendar. Questions? Call %(phone)s.'),
    'declined': _l('Thank you. We have noted that you cannot take the shift at %(unit)s, '
                   '%(when)s.'),
    'not_needed': _l('The shift at %(unit)s, %(when)s is no longer needed. You do not need '
                     'to answer.'),
    'cancelled': _l('Cancelled: your shift at %(unit)s, %(when)s is cancelled. Questions? '
                    'Call %(phone)s.'),
    'expired': _l('The time to answer the request for the shift at %(unit)s, %(when)s '
                  'has passed. Questions? Call %(phone)s.'),
    'already_answered': _l('You have already answered the request for the shift at '
                           '%(unit)s, %(when)s.'),
}


def _tell(user: User, vacancy: Vacancy, event: str, *, code: str = '',
          deadline: dt.datetime | None = None, kind: str = Message.AUTOMATIC) -> Message:
    """One of the automatic shift SMS, in the substitute's language."""
    with force_locale(language_of(user)):
        words = _shift_words(vacancy)
        if event in ('request', 'request_plain'):
            words.update(code=code, deadline=local_text(vacancy.organisation, deadline))
        if event not in _SHIFT_TEXTS:
            raise ValueError(event)
        text = str(_SHIFT_TEXTS[event]) % words   # translated here, in their language
    return send_sms(user, text, kind)


# --- availability ------------------------------------------------------------------

@dataclass
class Added:
    added: list[Availability]
    skipped: list[tuple[dt.datetime, dt.datetime]]    # overlapped or in the past


def local_today(organisation: Organisation, at: dt.datetime) -> dt.date:
    return organisation.local(at).date()


def _overlap_error(organisation: Organisation, existing) -> StaffingError:
    start, end = existing
    return StaffingError('overlap', _(
        'This overlaps the time you already registered: %(when)s. Remove that one first '
        'or choose another time.', when=when_text(organisation, naive_utc(start),
                                                  naive_utc(end))))


def add_availability(user: User, day: dt.date, start: dt.time, end: dt.time,
                     next_day: bool, *, until: dt.date | None = None,
                     at: dt.datetime) -> Added:
    """Register "from `start` to `end`" on `day` (ending the next day when
    `next_day`), repeated weekly until `until` if given. A single range that
    overlaps one already registered is refused; of a weekly repeat the
    overlapping weeks are skipped and reported."""
    org = user.organisation
    problem = core.check_wall_range(start, end, next_day)
    if problem == core.END_BEFORE_START:
        raise StaffingError(problem, _(
            'The time ends before it starts. For a night that ends the next morning, '
            'tick "Ends the next day".'))
    if problem == core.TOO_LONG:
        raise StaffingError(problem, _('One time can last at most 24 hours.'))
    today = local_today(org, at)
    if day < today:
        raise StaffingError('past', _('Days that have passed cannot be changed.'))
    if until is not None and until - day > MAX_REPEAT:
        raise StaffingError('too_far', _('Repeat for at most a year.'))
    offsets = core.weekly(day, until) if until else [0]
    ranges = [core.wall_range(day + dt.timedelta(days=o), start, end, next_day, org.zone)
              for o in offsets]
    with db.atomic():
        _lock(User, user.id)
        existing = _ranges(user, ranges[0][0], ranges[-1][1])
        if until is None:   # a single range is refused rather than skipped
            clash = core.overlapping(existing, ranges[0])
            if clash:
                raise _overlap_error(org, clash[0])
            if as_utc(ranges[0][1]) <= as_utc(at):
                raise StaffingError('past', _('That time has already passed.'))
        result = _add_ranges(user, ranges, existing, at)
    return result


def _add_ranges(user: User, ranges: list, existing: list, at: dt.datetime) -> Added:
    """Availability for each range that has not ended and overlaps none in
    `existing` (which gains each range added); the others are skipped."""
    added, skipped = [], []
    for new in ranges:
        if core.overlapping(existing, new) or as_utc(new[1]) <= as_utc(at):
            skipped.append(new)
            continue
        added.append(Availability.create(user=user, starts_at=naive_utc(new[0]),
                                         ends_at=naive_utc(new[1]), created_at=utcnow()))
        existing.append(new)
    return Added(added, skipped)


def _ranges(user: User, first: dt.datetime, last: dt.datetime) -> list:
    return [(row.starts_at.replace(tzinfo=dt.timezone.utc),
             row.ends_at.replace(tzinfo=dt.timezone.utc))
            for row in Availability.select().where(
                Availability.user == user, Availability.starts_at < naive_utc(last),
                Availability.ends_at > naive_utc(first))]


def remove_availability(user: User, availability: Availability, *, at: dt.datetime) -> None:
    if availability.user_id != user.id:
        raise StaffingError('not_yours', _('That time is not yours.'))
    if local_today(user.organisation, availability.starts_at) < local_today(user.organisation, at):
        raise StaffingError('past', _('Days that have passed cannot be changed.'))
    availability.delete_instance()


def copy_week(user: User, monday: dt.date, *, at: dt.datetime) -> Added:
    """Every range starting in the local week of `monday`, a week later.
    Ranges that would overlap one already there, or lie in the past, are
    skipped and reported."""
    org = user.organisation
    start = core.wall_range(monday, dt.time(0), dt.time(0), False, org.zone)[0]
    end = core.wall_range(monday + dt.timedelta(days=7), dt.time(0), dt.time(0), False,
                          org.zone)[0]
    with db.atomic():
        _lock(User, user.id)
        source = sorted(
            (row.starts_at, row.ends_at) for row in Availability.select().where(
                Availability.user == user, Availability.starts_at >= naive_utc(start),
                Availability.starts_at < naive_utc(end)))
        moved = [core.move_by_days(s, e, 7, org.zone) for s, e in source]
        existing = (_ranges(user, moved[0][0], max(e for _s, e in moved)) if moved
                    else [])
        result = _add_ranges(user, moved, existing, at)
    return result


# --- who can take a shift --------------------------------------------------------------

def _substitutes(org):
    return User.select().where(User.organisation == org, User.role == User.SUBSTITUTE,
                               User.active == True)  # noqa: E712


def qualified_substitutes(org, unit_ids: list[int] | None = None,
                          qualification_ids: Iterable[int] = ()):
    """Active substitutes trained at one of `unit_ids` (None: wherever)
    holding every one of `qualification_ids`: the unit and qualification
    part of who may take a shift (`core.assess`)."""
    query = _substitutes(org)
    if unit_ids is not None:
        query = query.where(User.id.in_(SubstituteUnit.select(SubstituteUnit.user).where(
            SubstituteUnit.unit.in_(unit_ids))))
    for qualification_id in qualification_ids:
        query = query.where(User.id.in_(SubstituteQualification.select(
            SubstituteQualification.user).where(
            SubstituteQualification.qualification == qualification_id)))
    return query


def vacancy_shift(vacancy: Vacancy) -> core.Shift:
    quals = [link.qualification_id for link in VacancyQualification.select(
        VacancyQualification.qualification).where(VacancyQualification.vacancy == vacancy.id)]
    return core.Shift(vacancy.starts_at, vacancy.ends_at, vacancy.unit_id, frozenset(quals),
                      vacancy.id)


def load_candidates(org: Organisation, shift: core.Shift, at: dt.datetime,
                    user_ids: list[int] | None = None) -> tuple[list[core.Candidate], dict]:
    """Engine input for the organisation's active substitutes (or `user_ids`
    of them) and the users by id. A fixed number of queries, each bounded by
    the shift, its rest margins and the fairness window."""
    users_query = _substitutes(org)
    if user_ids is not None:
        users_query = users_query.where(User.id.in_(user_ids))
    users = {u.id: u for u in users_query}
    for user in users.values():
        user.organisation = org    # no query per user when they are texted
    ids = users_query.select(User.id)
    start, end = naive_utc(shift.start), naive_utc(shift.end)

    units = defaultdict(set)
    for user_id, unit_id in SubstituteUnit.select(SubstituteUnit.user, SubstituteUnit.unit).where(
            SubstituteUnit.user.in_(ids)).tuples():
        units[user_id].add(unit_id)
    quals = defaultdict(set)
    for user_id, qual_id in SubstituteQualification.select(
            SubstituteQualification.user, SubstituteQualification.qualification).where(
            SubstituteQualification.user.in_(ids)).tuples():
        quals[user_id].add(qual_id)
    available = defaultdict(list)
    # Touching ranges count too: a night covered by 22-24 and 00-07.
    for user_id, s, e in Availability.select(
            Availability.user, Availability.starts_at, Availability.ends_at).where(
            Availability.user.in_(ids), Availability.starts_at <= end,
            Availability.ends_at >= start).tuples():
        available[user_id].append((s, e))
    booked = defaultdict(list)
    first = min(at - core.FAIRNESS_WINDOW, start - core.REST)
    last = max(at, end + core.REST)
    for user_id, s, e, vacancy_id in Vacancy.select(
            Vacancy.substitute, Vacancy.starts_at, Vacancy.ends_at, Vacancy.id).where(
            Vacancy.substitute.in_(ids), Vacancy.status == Vacancy.BOOKED,
            Vacancy.starts_at < last, Vacancy.starts_at >= first - core.LONGEST_SHIFT,
            Vacancy.ends_at > first).tuples():
        booked[user_id].append(core.Booking(s, e, vacancy_id))
    offered = last_offered(ids)
    candidates = [core.Candidate(
        user.id, frozenset(units[user.id]), frozenset(quals[user.id]), available[user.id],
        booked[user.id], offered.get(user.id), bool(user.phone)) for user in users.values()]
    return candidates, users


def last_offered(user_ids) -> dict[int, dt.datetime]:
    """When each substitute was last sent a request, booked or called."""
    latest: dict[int, dt.datetime] = {}
    queries = (
        ShiftRequest.select(ShiftRequest.user, fn.MAX(ShiftRequest.sent_at))
        .where(ShiftRequest.user.in_(user_ids)).group_by(ShiftRequest.user),
        Vacancy.select(Vacancy.substitute, fn.MAX(Vacancy.booked_at))
        .where(Vacancy.substitute.in_(user_ids), Vacancy.booked_at.is_null(False))
        .group_by(Vacancy.substitute),
        CallOutcome.select(CallOutcome.user, fn.MAX(CallOutcome.at))
        .where(CallOutcome.user.in_(user_ids)).group_by(CallOutcome.user),
    )
    for query in queries:
        for user_id, when in query.tuples():
            if isinstance(when, str):   # SQLite hands MAX() back as text
                when = dt.datetime.fromisoformat(when)
            if when is not None and (user_id not in latest or when > latest[user_id]):
                latest[user_id] = when
    return latest


@dataclass
class Ranked:
    user: User
    assessment: core.Assessment


def ranked(vacancy: Vacancy, at: dt.datetime, *, everyone: bool = False,
           exclude: set[int] = frozenset()) -> list[Ranked]:
    """Eligible substitutes in fair order; with `everyone`, the others after
    them with their reasons."""
    shift = vacancy_shift(vacancy)
    candidates, users = load_candidates(vacancy.organisation, shift, at)
    candidates = [c for c in candidates if c.substitute_id not in exclude]
    results = (core.assess_all(candidates, shift, at) if everyone
               else core.eligible(candidates, shift, at))
    return [Ranked(users[a.substitute_id], a) for a in results]


def mode(vacancy: Vacancy, at: dt.datetime) -> str:
    return core.booking_mode(vacancy.starts_at, vacancy.ends_at, at, vacancy.organisation.zone)


def _recheck(vacancy: Vacancy, user: User, at: dt.datetime) -> core.Assessment:
    shift = vacancy_shift(vacancy)
    candidates, _users = load_candidates(vacancy.organisation, shift, at, [user.id])
    if not candidates:   # deactivated or not a substitute of this organisation
        return core.Assessment(user.id, (core.Reason(core.NOT_TRAINED),), 0, None)
    return core.assess(candidates[0], shift, at)


# --- vacancies ------------------------------------------------------------------------

def create_vacancy(org, unit: Unit, day: dt.date, start: dt.time, end: dt.time,
                   qualifications, note: str, *, by: User, at: dt.datetime) -> Vacancy:
    """A vacancy from local wall-clock times; an end at or before the start
    is on the next day (a night shift)."""
    next_day = (end.hour, end.minute) <= (start.hour, start.minute)
    starts_at, ends_at = core.wall_range(day, start, end, next_day, org.zone)
    if core.check_wall_range(start, end, next_day):
        raise StaffingError('too_long', _('A shift can last at most 24 hours.'))
    if as_utc(starts_at) <= as_utc(at):
        raise StaffingError('past', _('The shift starts in the past. Check the date and time.'))
    with db.atomic():
        vacancy = Vacancy.create(organisation=org, unit=unit, starts_at=naive_utc(starts_at),
                                 ends_at=naive_utc(ends_at), note=note or '', created_by=by,
                                 created_at=utcnow())
        for qualification in qualifications:
            VacancyQualification.create(vacancy=vacancy, qualification=qualification)
        AuditEvent.record('vacancy_created', actor=by, obj=vacancy)
    return vacancy


def _fresh_locked(vacancy: Vacancy) -> Vacancy:
    _lock(Vacancy, vacancy.id)
    return Vacancy.get_by_id(vacancy.id)


def _check_fillable(vacancy: Vacancy, at: dt.datetime) -> None:
    if vacancy.status == Vacancy.BOOKED:
        raise StaffingError('booked', _('The shift is already booked.'))
    if vacancy.status == Vacancy.CANCELLED:
        raise StaffingError('cancelled', _('The vacancy has been stopped.'))
    if vacancy.starts_at <= naive_utc(at):
        raise StaffingError('started', _('The shift has already started.'))


def _withdraw_open(vacancy: Vacancy, event: str, at: dt.datetime) -> int:
    """Close the open requests of a vacancy that was filled or stopped and
    tell each substitute (`event`: not_got or not_needed)."""
    waiting = list(ShiftRequest.select(ShiftRequest, User).join(User).where(
        ShiftRequest.vacancy == vacancy.id, ShiftRequest.status == ShiftRequest.OPEN))
    ShiftRequest.update(status=ShiftRequest.WITHDRAWN).where(
        ShiftRequest.id.in_([r.id for r in waiting])).execute()
    for request in waiting:
        _tell(request.user, vacancy, event)
    return len(waiting)


def _take(vacancy: Vacancy, user: User, via: str, at: dt.datetime) -> None:
    """The conditional update that decides who has the shift (inside the
    caller's transaction, under the vacancy's lock)."""
    won = (Vacancy.update(status=Vacancy.BOOKED, substitute=user, booked_at=naive_utc(at),
                          booked_via=via)
           .where(Vacancy.id == vacancy.id, Vacancy.status.in_(Vacancy.FILLABLE))
           .execute())
    if won != 1:
        raise StaffingError('booked', _('The shift is already booked.'))
    vacancy.status, vacancy.substitute, vacancy.booked_via = Vacancy.BOOKED, user, via
    vacancy.booked_at = naive_utc(at)


def book(vacancy: Vacancy, user: User, *, by: User, at: dt.datetime,
         via: str = Vacancy.DIRECT) -> Vacancy:
    """Book `user` on the vacancy and text them (direct booking, or an
    accepted phone call). Direct booking is for shifts of 4 hours or more
    that do not start today."""
    with db.atomic():
        vacancy = _fresh_locked(vacancy)
        _lock(User, user.id)
        _check_fillable(vacancy, at)
        if via == Vacancy.DIRECT and mode(vacancy, at) != core.DIRECT:
            raise StaffingError('requests_only', _(
                'Shifts shorter than 4 hours and shifts starting today go out as requests.'))
        if user.organisation_id != vacancy.organisation_id:
            raise StaffingError('not_eligible', _('%(name)s cannot take this shift.',
                                                  name=user.name))
        assessment = _recheck(vacancy, user, at)
        if not assessment.eligible:
            raise StaffingError('not_eligible', _(
                '%(name)s cannot take this shift any more: %(reasons)s.', name=user.name,
                reasons=reasons_text(assessment.reasons)))
        _take(vacancy, user, via, at)
        _withdraw_open(vacancy, 'not_got', at)
        _tell(user, vacancy, 'booked')
        AuditEvent.record('vacancy_booked', actor=by, obj=vacancy,
                          detail=f'user {user.id} via {via}')
    return vacancy


def book_first(vacancy: Vacancy, *, by: User, at: dt.datetime) -> Vacancy:
    """Direct booking of the first substitute in fair order."""
    order = ranked(vacancy, at)
    if not order:
        raise StaffingError('nobody', _('Nobody is eligible for this shift.'))
    return book(vacancy, order[0].user, by=by, at=at)


def _new_codes(users) -> dict[int, str]:
    """For each user four digits none of their other open requests has."""
    taken = defaultdict(set)
    for user_id, code in ShiftRequest.select(ShiftRequest.user, ShiftRequest.code).where(
            ShiftRequest.user.in_([u.id for u in users]),
            ShiftRequest.status == ShiftRequest.OPEN).tuples():
        taken[user_id].add(code)
    codes = {}
    for user in users:
        code = f'{1000 + secrets.randbelow(9000)}'
        while code in taken[user.id]:
            code = f'{1000 + secrets.randbelow(9000)}'
        codes[user.id] = code
    return codes


def _with_open_requests(user_ids, at: dt.datetime) -> set[int]:
    """Those of `user_ids` with a request still open: their new request's
    SMS asks for the code."""
    return {r.user_id for r in ShiftRequest.select(ShiftRequest.user).where(
        ShiftRequest.user.in_(list(user_ids) or [0]), ShiftRequest.status == ShiftRequest.OPEN,
        ShiftRequest.deadline > naive_utc(at))}


def send_requests(vacancy: Vacancy, count: int, deadline: dt.datetime, *, by: User | None,
                  at: dt.datetime) -> list[ShiftRequest]:
    """A wave: requests to the first `count` eligible substitutes not asked
    before for this vacancy, to be answered by `deadline` (naive UTC)."""
    deadline = naive_utc(deadline)
    with db.atomic():
        vacancy = _fresh_locked(vacancy)
        _check_fillable(vacancy, at)
        if deadline <= naive_utc(at):
            raise StaffingError('deadline_past', _('The deadline to answer has passed already.'))
        if deadline > vacancy.starts_at:
            raise StaffingError('deadline_late', _(
                'The deadline to answer must be before the shift starts.'))
        asked = {r.user_id for r in ShiftRequest.select(ShiftRequest.user).where(
            ShiftRequest.vacancy == vacancy.id)}
        chosen = ranked(vacancy, at, exclude=asked)[:max(count, 0)]
        if not chosen:
            raise StaffingError('nobody', _(
                'Nobody eligible is left to ask. Use the call list, or check the reasons '
                'under "Show everyone".'))
        wave = vacancy.waves + 1
        codes = _new_codes([c.user for c in chosen])
        busy = _with_open_requests([c.user.id for c in chosen], at)
        requests = []
        for choice in chosen:
            code = codes[choice.user.id]
            event = 'request' if choice.user.id in busy else 'request_plain'
            message = _tell(choice.user, vacancy, event, code=code, deadline=deadline)
            requests.append(ShiftRequest.create(
                vacancy=vacancy, user=choice.user, wave=wave, code=code, message=message,
                sent_at=naive_utc(at), deadline=deadline))
        Vacancy.update(status=Vacancy.REQUESTED, answer_deadline=deadline, waves=wave).where(
            Vacancy.id == vacancy.id).execute()
        # `by` is None when the expiry sent the next wave by itself.
        AuditEvent.record('requests_sent', actor=by, obj=vacancy,
                          organisation=vacancy.organisation_id,
                          detail=f'wave {wave}: {len(requests)}')
    return requests


def default_deadline(vacancy: Vacancy, at: dt.datetime) -> dt.datetime:
    """The organisation's answer time from now, at the latest the shift's
    start (naive UTC, whole minutes)."""
    minutes = PoolSettings.of(vacancy.organisation).answer_minutes
    deadline = min(naive_utc(at) + dt.timedelta(minutes=minutes), vacancy.starts_at)
    return deadline.replace(second=0, microsecond=0)


# Outcomes of an answer.
WON, DECLINED, FILLED, UNFIT, EXPIRED, CANCELLED, ALREADY = (
    'won', 'declined', 'filled', 'unfit', 'expired', 'cancelled', 'already')


def answer(request: ShiftRequest, yes: bool, *, via: str, at: dt.datetime) -> str:
    """Decide one answer (web or SMS) in one transaction; the substitute
    gets the outcome by SMS. Returns an outcome constant."""
    with db.atomic():
        vacancy = _fresh_locked(request.vacancy)
        _lock(User, request.user_id)
        request = ShiftRequest.get_by_id(request.id)
        user = request.user
        told = _told_already(request, vacancy)
        outcome = _decide(request, vacancy, user, yes, via, at)
        event = {WON: 'won', FILLED: 'already_filled', UNFIT: 'unfit', EXPIRED: 'expired',
                 CANCELLED: 'not_needed', ALREADY: 'already_answered'}.get(outcome)
        if outcome == DECLINED and via == 'sms':
            event = 'declined'   # the web shows it; an SMS answer is confirmed
        elif not yes and outcome in (FILLED, CANCELLED):
            event = 'not_needed'
        if event and outcome != told:
            _tell(user, vacancy, event)
        if outcome in (WON, DECLINED, UNFIT):
            AuditEvent.record('request_answered', actor=user, obj=vacancy,
                              detail=f'{outcome} via {via}')
    return outcome


def _told_already(request: ShiftRequest, vacancy: Vacancy) -> str | None:
    """The outcome a closed request's substitute was told of when it closed
    (the winner's "not got" SMS; the expiry's "time has passed" SMS): their
    answer is noted, and never gets the same news twice."""
    if request.status == ShiftRequest.WITHDRAWN:
        return FILLED
    if (request.status == ShiftRequest.EXPIRED
            and PoolSettings.of(vacancy.organisation).expiry_sms == 'expired'):
        return EXPIRED
    return None


def _decide(request, vacancy, user, yes, via, at) -> str:
    fields = dict(answered_at=naive_utc(at), answered_via=via)
    if request.status != ShiftRequest.OPEN:
        if request.status == ShiftRequest.WITHDRAWN:
            if yes and vacancy.status == Vacancy.BOOKED:
                _lost_to_another(request, fields)
            return CANCELLED if vacancy.status == Vacancy.CANCELLED else FILLED
        if request.status == ShiftRequest.EXPIRED:
            return EXPIRED
        return ALREADY
    if request.deadline <= naive_utc(at):
        _close(request, ShiftRequest.EXPIRED, {})
        _move_on(vacancy, PoolSettings.of(vacancy.organisation), at)
        return EXPIRED
    if not yes:
        _close(request, ShiftRequest.DECLINED, fields)
        _move_on(vacancy, PoolSettings.of(vacancy.organisation), at)
        return DECLINED
    if vacancy.status not in Vacancy.FILLABLE:
        _close(request, ShiftRequest.LOST, fields)
        return CANCELLED if vacancy.status == Vacancy.CANCELLED else FILLED
    if not _recheck(vacancy, user, at).eligible:
        _close(request, ShiftRequest.LOST, fields)
        _move_on(vacancy, PoolSettings.of(vacancy.organisation), at)
        return UNFIT
    _take(vacancy, user, Vacancy.REQUEST, at)
    _close(request, ShiftRequest.ACCEPTED, fields)
    _withdraw_open(vacancy, 'not_got', at)
    return WON


def _close(request: ShiftRequest, status: str, fields: dict) -> None:
    done = (ShiftRequest.update(status=status, **fields)
            .where(ShiftRequest.id == request.id, ShiftRequest.status == ShiftRequest.OPEN)
            .execute())
    if done != 1:   # cannot happen under the vacancy lock; never decide twice
        raise StaffingError('already', _('The request was answered already.'))
    request.status = status


def _lost_to_another(request: ShiftRequest, fields: dict) -> None:
    """A Ja that came just after another substitute's won the shift: the
    request shows that they answered yes, and when."""
    (ShiftRequest.update(status=ShiftRequest.LOST, **fields)
     .where(ShiftRequest.id == request.id, ShiftRequest.status == ShiftRequest.WITHDRAWN)
     .execute())
    request.status = ShiftRequest.LOST


def expire(org, at: dt.datetime) -> int:
    """Requests past their deadline expire, each substitute is told as the
    organisation chose (PoolSettings.expiry_sms), and a requested vacancy
    without open requests moves on: the next wave when the organisation chose
    so and someone is left to ask, else unfilled (the planner decides).
    Idempotent: `expire_all` runs it on time; pages and the SMS handler run it
    before showing or deciding anything. Returns the requests expired."""
    settings = PoolSettings.of(org)
    overdue = (ShiftRequest.select(ShiftRequest.vacancy).join(Vacancy)
               .where(Vacancy.organisation == org, ShiftRequest.status == ShiftRequest.OPEN,
                      ShiftRequest.deadline <= naive_utc(at)).distinct())
    expired = sum(_expire_vacancy(vacancy_id, settings, at)
                  for (vacancy_id,) in list(overdue.tuples()))
    waiting = ShiftRequest.select(ShiftRequest.vacancy).where(
        ShiftRequest.status == ShiftRequest.OPEN)
    (Vacancy.update(status=Vacancy.UNFILLED)
     .where(Vacancy.organisation == org, Vacancy.status == Vacancy.REQUESTED,
            Vacancy.id.not_in(waiting)).execute())
    return expired


def expire_all(at: dt.datetime) -> int:
    """The periodic task: `expire` for every organisation with a request
    past its deadline, so nothing waits for somebody to open a page."""
    orgs = (Organisation.select().join(Vacancy).join(ShiftRequest)
            .where(ShiftRequest.status == ShiftRequest.OPEN,
                   ShiftRequest.deadline <= naive_utc(at)).distinct())
    return sum(expire(org, at) for org in list(orgs))


# PoolSettings.expiry_sms -> the SMS an expired request's substitute gets.
_EXPIRY_EVENTS = {'expired': 'expired', 'not_needed': 'not_needed'}


def _expire_vacancy(vacancy_id: int, settings: PoolSettings, at: dt.datetime) -> int:
    """One vacancy's overdue requests, under its lock (each expires and is
    told once, however many expirers run at once)."""
    with db.atomic():
        vacancy = _fresh_locked(Vacancy(id=vacancy_id))
        due = list(ShiftRequest.select(ShiftRequest, User).join(User).where(
            ShiftRequest.vacancy == vacancy_id, ShiftRequest.status == ShiftRequest.OPEN,
            ShiftRequest.deadline <= naive_utc(at)))
        ShiftRequest.update(status=ShiftRequest.EXPIRED).where(
            ShiftRequest.id.in_([r.id for r in due])).execute()
        event = _EXPIRY_EVENTS.get(settings.expiry_sms)
        if event and vacancy.starts_at > naive_utc(at):
            for request in due:
                _tell(request.user, vacancy, event)
        _move_on(vacancy, settings, at)
    return len(due)


def _move_on(vacancy: Vacancy, settings: PoolSettings, at: dt.datetime) -> None:
    """A requested vacancy whose requests are all answered or expired: the
    next wave if the organisation chose so, else unfilled."""
    if vacancy.status != Vacancy.REQUESTED or ShiftRequest.select().where(
            ShiftRequest.vacancy == vacancy.id, ShiftRequest.status == ShiftRequest.OPEN).exists():
        return
    if settings.next_wave_on_expiry:
        try:
            send_requests(vacancy, settings.requests_per_wave, default_deadline(vacancy, at),
                          by=None, at=at)
            return
        except StaffingError:   # nobody left to ask, or too late: the planner decides
            pass
    Vacancy.update(status=Vacancy.UNFILLED).where(
        Vacancy.id == vacancy.id, Vacancy.status == Vacancy.REQUESTED).execute()
    vacancy.status = Vacancy.UNFILLED


def record_call(vacancy: Vacancy, user: User, outcome: str, *, by: User,
                at: dt.datetime) -> CallOutcome:
    """The result of a call from the call list; "accepted" books the shift."""
    if outcome not in CallOutcome.OUTCOMES:
        raise StaffingError('outcome', _('Choose what the call gave.'))
    with db.atomic():
        _lock(Vacancy, vacancy.id)
        _lock(User, user.id)
        row = CallOutcome.create(vacancy=vacancy, user=user, outcome=outcome, called_by=by,
                                 at=naive_utc(at))
        if outcome == CallOutcome.ACCEPTED:
            book(vacancy, user, by=by, at=at, via=Vacancy.CALL)
    return row


def stop(vacancy: Vacancy, *, by: User, at: dt.datetime) -> Vacancy:
    """Stop a vacancy: open requests are withdrawn (not-needed SMS), a
    booked substitute gets a cancellation SMS."""
    with db.atomic():
        vacancy = _fresh_locked(vacancy)
        if vacancy.status == Vacancy.CANCELLED:
            return vacancy
        if vacancy.ends_at <= naive_utc(at):
            raise StaffingError('over', _('The shift is over and cannot be stopped.'))
        _withdraw_open(vacancy, 'not_needed', at)
        if vacancy.status == Vacancy.BOOKED and vacancy.substitute_id:
            _tell(vacancy.substitute, vacancy, 'cancelled')
        Vacancy.update(status=Vacancy.CANCELLED, cancelled_at=naive_utc(at)).where(
            Vacancy.id == vacancy.id).execute()
        vacancy.status = Vacancy.CANCELLED
        AuditEvent.record('vacancy_stopped', actor=by, obj=vacancy)
    return vacancy


# --- manual messages ----------------------------------------------------------------

ALL, UNIT, QUALIFICATION, NO_AVAILABILITY = 'all', 'unit', 'qualification', 'no_availability'


def audience(org, kind: str, *, unit: Unit | None = None, qualification=None,
             weeks: int = 2, at: dt.datetime | None = None):
    """Active substitutes of a manual message, by name."""
    query = _substitutes(org)
    if kind == UNIT:
        query = query.where(User.id.in_(SubstituteUnit.select(SubstituteUnit.user).where(
            SubstituteUnit.unit == unit)))
    elif kind == QUALIFICATION:
        query = query.where(User.id.in_(SubstituteQualification.select(
            SubstituteQualification.user).where(
            SubstituteQualification.qualification == qualification)))
    elif kind == NO_AVAILABILITY:
        at = naive_utc(at)
        query = query.where(~User.id.in_(Availability.select(Availability.user).where(
            Availability.ends_at > at,
            Availability.starts_at < at + dt.timedelta(weeks=weeks))))
    return query.order_by(User.name, User.id)


def send_manual(org, users, text: str, *, by: User) -> list[Message]:
    """A planner's message; it says it cannot be answered, and an answer to
    it gets the automatic "this number is not read" SMS."""
    messages = []
    with db.atomic():
        for user in users:
            with force_locale(language_of(user)):
                note = _('(This SMS cannot be answered. Call %(phone)s.)',
                         phone=org.phone or org.name)
            messages.append(send_sms(user, f'{text.strip()}\n{note}', kind=Message.MANUAL))
        AuditEvent.record('manual_sms', actor=by, detail=f'{len(messages)} recipients')
    return messages


# --- reasons in words ------------------------------------------------------------------

def reason_text(reason: core.Reason) -> str:
    if reason.code == core.NOT_TRAINED:
        return _('not trained at the unit')
    if reason.code == core.MISSING_QUALIFICATION:
        names = [q.name for q in Qualification.select(Qualification.name).where(
            Qualification.id.in_(list(reason.detail))).order_by(Qualification.name)]
        return _('lacks %(names)s', names=', '.join(names))
    if reason.code == core.NOT_AVAILABLE:
        return _('not available for the whole shift')
    if reason.code == core.BOOKED_OVERLAP:
        return _('booked at the same time')
    if reason.code == core.TOO_LITTLE_REST:
        return _('less than 11 hours of rest to another shift')
    if reason.code == core.NO_MOBILE:
        return _('no mobile number')
    return reason.code


def reasons_text(reasons) -> str:
    return '; '.join(reason_text(r) for r in reasons)
