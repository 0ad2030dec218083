"""Target-group rules of online offers, and the booking rules around them.

Target groups (the deck, "Regler/filtre til udsøgning af målgruppe"): a
*rule* is a type (age, contact group, person-group marking), a condition
(=, !=, >=, <=, one of) and a criterion. Rules form *groups*; each group
joins its rules with All or Any, and the groups are joined with All or Any.
An offer needs at least one rule.

Booking rules: when an offer can be seen and which meeting dates it offers
(the end date is included, unlike the original system), and until when a
booking may be cancelled or rebooked.

Pure: plain data in, plain data out; "today" and "now" are arguments.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple, Sequence

# --- target groups -----------------------------------------------------------

AGE, CONTACT_GROUP, MARKING = 'age', 'contact_group', 'marking'
RULE_TYPES = (AGE, CONTACT_GROUP, MARKING)

EQ, NE, GE, LE, ONE_OF = 'eq', 'ne', 'ge', 'le', 'one_of'
CONDITIONS = (EQ, NE, GE, LE, ONE_OF)
# >= and <= only make sense for numbers.
CONDITIONS_BY_TYPE = {AGE: (EQ, NE, GE, LE, ONE_OF),
                      CONTACT_GROUP: (EQ, NE, ONE_OF),
                      MARKING: (EQ, NE, ONE_OF)}

ALL, ANY = 'all', 'any'
JOINS = (ALL, ANY)

# Contact groups of the Danish employment system (the deck's examples).
CONTACT_GROUPS = ('dagpenge', 'kontanthjaelp', 'arbejdsmarkedsydelse',
                  'uddannelseshjaelp', 'sygedagpenge')

MAX_AGE = 130
MAX_GROUPS = 10
MAX_RULES_PER_GROUP = 10
MAX_VALUES = 50
MAX_VALUE_LENGTH = 120


@dataclass(frozen=True)
class Rule:
    type: str
    condition: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleGroup:
    join: str = ALL
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    join: str = ALL
    groups: tuple[RuleGroup, ...] = ()

    @property
    def rule_count(self) -> int:
        return sum(len(g.rules) for g in self.groups)

    def to_json(self) -> str:
        return json.dumps({'join': self.join, 'groups': [
            {'join': g.join, 'rules': [
                {'type': r.type, 'condition': r.condition, 'values': list(r.values)}
                for r in g.rules]} for g in self.groups]}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> 'RuleSet':
        """The rule set stored as JSON; an empty rule set for empty or
        malformed text (which `validate` then reports as having no rules)."""
        try:
            data = json.loads(text or '{}')
        except ValueError:
            return cls()
        return cls.from_data(data)

    @classmethod
    def from_data(cls, data) -> 'RuleSet':
        """Build from nested dicts/lists, keeping whatever strings were given
        (validate before use); shapes that are not dicts/lists are dropped."""
        if not isinstance(data, dict):
            return cls()
        groups = []
        for group in _items(data.get('groups')):
            if not isinstance(group, dict):
                continue
            rules = []
            for rule in _items(group.get('rules')):
                if not isinstance(rule, dict):
                    continue
                values = rule.get('values')
                values = (values,) if isinstance(values, (str, int)) else _items(values)
                rules.append(Rule(str(rule.get('type') or ''),
                                  str(rule.get('condition') or ''),
                                  tuple(str(v) for v in values if not isinstance(v, (dict, list)))))
            groups.append(RuleGroup(str(group.get('join') or ALL), tuple(rules)))
        return cls(str(data.get('join') or ALL), tuple(groups))


def _items(value) -> list:
    return value if isinstance(value, list) else []


@dataclass(frozen=True)
class CitizenFacts:
    """What the rules read about one citizen. `birth_date` None: unknown."""
    birth_date: dt.date | None = None
    contact_group: str = ''
    markings: frozenset[str] = field(default_factory=frozenset)


class RuleProblem(NamedTuple):
    """Where a rule set is invalid: group and rule index (None for the whole
    set or group) and a code."""
    group: int | None
    rule: int | None
    code: str


NO_RULES = 'no_rules'
EMPTY_GROUP = 'empty_group'
TOO_MANY = 'too_many'
BAD_JOIN = 'bad_join'
UNKNOWN_TYPE = 'unknown_type'
CONDITION_NOT_ALLOWED = 'condition_not_allowed'
NO_VALUE = 'no_value'
ONE_VALUE_ONLY = 'one_value_only'
AGE_NOT_A_NUMBER = 'age_not_a_number'
AGE_OUT_OF_RANGE = 'age_out_of_range'
UNKNOWN_CONTACT_GROUP = 'unknown_contact_group'
VALUE_TOO_LONG = 'value_too_long'


def validate(rules: RuleSet, *, contact_groups: Iterable[str] = CONTACT_GROUPS
             ) -> list[RuleProblem]:
    """Problems of a rule set; empty when it can be saved and evaluated."""
    known_groups = set(contact_groups)
    problems: list[RuleProblem] = []
    if rules.join not in JOINS:
        problems.append(RuleProblem(None, None, BAD_JOIN))
    if rules.rule_count == 0:
        problems.append(RuleProblem(None, None, NO_RULES))
    if len(rules.groups) > MAX_GROUPS:
        problems.append(RuleProblem(None, None, TOO_MANY))
    for g, group in enumerate(rules.groups):
        if group.join not in JOINS:
            problems.append(RuleProblem(g, None, BAD_JOIN))
        if not group.rules:
            problems.append(RuleProblem(g, None, EMPTY_GROUP))
        if len(group.rules) > MAX_RULES_PER_GROUP:
            problems.append(RuleProblem(g, None, TOO_MANY))
        for r, rule in enumerate(group.rules):
            code = _rule_problem(rule, known_groups)
            if code:
                problems.append(RuleProblem(g, r, code))
    return problems


def _rule_problem(rule: Rule, contact_groups: set[str]) -> str | None:
    if rule.type not in RULE_TYPES:
        return UNKNOWN_TYPE
    if rule.condition not in CONDITIONS_BY_TYPE[rule.type]:
        return CONDITION_NOT_ALLOWED
    values = [v.strip() for v in rule.values]
    if not values or not all(values):
        return NO_VALUE
    if rule.condition != ONE_OF and len(values) != 1:
        return ONE_VALUE_ONLY
    if len(values) > MAX_VALUES:
        return TOO_MANY
    if any(len(v) > MAX_VALUE_LENGTH for v in values):
        return VALUE_TOO_LONG
    if rule.type == AGE:
        if not all(v.isascii() and v.isdigit() for v in values):
            return AGE_NOT_A_NUMBER
        if not all(0 <= int(v) <= MAX_AGE for v in values):
            return AGE_OUT_OF_RANGE
    if rule.type == CONTACT_GROUP and not set(values) <= contact_groups:
        return UNKNOWN_CONTACT_GROUP
    return None


def normalised(rules: RuleSet) -> RuleSet:
    """Values stripped, duplicates dropped (order kept), ages without
    leading zeros: the form a valid rule set is stored in."""
    def clean(rule: Rule) -> Rule:
        values = []
        for v in rule.values:
            v = v.strip()
            if rule.type == AGE and v.isascii() and v.isdigit():
                v = str(int(v))
            if v and v not in values:
                values.append(v)
        return Rule(rule.type, rule.condition, tuple(values))
    return RuleSet(rules.join, tuple(RuleGroup(g.join, tuple(clean(r) for r in g.rules))
                                     for g in rules.groups))


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Completed years on `day` (someone born on 29 February turns a year
    older on 1 March in common years)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def rule_matches(rule: Rule, citizen: CitizenFacts, day: dt.date) -> bool:
    """One rule for one citizen on a local date. An unknown age matches no
    age rule (not even !=): nobody is targeted by a guess."""
    if rule.type == AGE:
        if citizen.birth_date is None:
            return False
        age = age_on(citizen.birth_date, day)
        ages = [int(v) for v in rule.values]
        if rule.condition == EQ:
            return age == ages[0]
        if rule.condition == NE:
            return age != ages[0]
        if rule.condition == GE:
            return age >= ages[0]
        if rule.condition == LE:
            return age <= ages[0]
        return age in ages
    if rule.type == CONTACT_GROUP:
        if rule.condition == NE:
            return citizen.contact_group != rule.values[0]
        return citizen.contact_group in rule.values   # = is one of with one value
    if rule.type == MARKING:
        if rule.condition == NE:
            return rule.values[0] not in citizen.markings
        return not citizen.markings.isdisjoint(rule.values)
    return False


def _joined(join: str, results) -> bool:
    return all(results) if join == ALL else any(results)


def matches(rules: RuleSet, citizen: CitizenFacts, day: dt.date) -> bool:
    """Whether a citizen is in the target group on `day`. A rule set without
    rules matches nobody (an offer needs at least one rule)."""
    if rules.rule_count == 0:
        return False
    return _joined(rules.join, (
        _joined(group.join, (rule_matches(r, citizen, day) for r in group.rules))
        for group in rules.groups if group.rules))


def matching(rules: RuleSet, citizens: dict, day: dt.date) -> list:
    """Keys of `citizens` ({key: CitizenFacts}) in the target group."""
    if rules.rule_count == 0:
        return []
    return [key for key, facts in citizens.items() if matches(rules, facts, day)]


def birth_date_from_id(number: str | None) -> dt.date | None:
    """Birth date of a Danish CPR number (century from the seventh digit) or
    a Swedish personnummer; None when it is neither."""
    if not number:
        return None
    from stdnum.dk import cpr
    from stdnum.exceptions import ValidationError
    try:
        return cpr.get_birth_date(number)
    except (ValidationError, ValueError):
        pass
    from stdnum.se import personnummer
    try:
        return personnummer.get_birth_date(number)
    except (ValidationError, ValueError):
        return None


def parse_markings(text: str | None) -> frozenset[str]:
    """Person-group markings stored one per line."""
    return frozenset(line.strip() for line in (text or '').splitlines() if line.strip())


# --- when an offer can be booked -------------------------------------------

@dataclass(frozen=True)
class OfferPeriod:
    """Dates of an online offer (all local dates, all included).

    `bookable_from`: first date citizens see the offer; `earliest_meeting`:
    first date a meeting may take place; `end`: last date the offer is seen
    and last date a meeting may take place (citizens CAN book on it).
    """
    bookable_from: dt.date
    earliest_meeting: dt.date
    end: dt.date


PERIOD_END_BEFORE_EARLIEST = 'end_before_earliest'
PERIOD_END_BEFORE_BOOKABLE = 'end_before_bookable_from'


def period_problems(period: OfferPeriod) -> list[str]:
    problems = []
    if period.end < period.earliest_meeting:
        problems.append(PERIOD_END_BEFORE_EARLIEST)
    if period.end < period.bookable_from:
        problems.append(PERIOD_END_BEFORE_BOOKABLE)
    return problems


def is_open(period: OfferPeriod, day: dt.date) -> bool:
    """Whether citizens see the offer on local date `day`."""
    return period.bookable_from <= day <= period.end


def meeting_days(period: OfferPeriod, day: dt.date) -> tuple[dt.date, dt.date] | None:
    """First and last local date a meeting may be booked on, asked on `day`;
    None when the offer is closed or has no dates left."""
    if not is_open(period, day):
        return None
    first = max(day, period.earliest_meeting)
    return (first, period.end) if first <= period.end else None


def may_cancel(allowed: bool, now: dt.datetime, start: dt.datetime) -> bool:
    """A citizen may cancel a booking made with cancellation allowed until it starts."""
    return bool(allowed) and now < start


def rebook_deadline(meeting_day: dt.date, days_before: int) -> dt.date:
    """Last local date on which a meeting on `meeting_day` may be rebooked."""
    return meeting_day - dt.timedelta(days=max(days_before, 0))


def may_rebook(allowed: bool, days_before: int, meeting_day: dt.date, day: dt.date,
               now: dt.datetime, start: dt.datetime, last_day: dt.date | None) -> bool:
    """Rebooking a booking made with rebooking allowed: on or before the
    deadline, before the meeting, and while a date is left before
    `last_day` (the offer's end date or the hold-by date; None: no bound)."""
    if not allowed or now >= start or day > rebook_deadline(meeting_day, days_before):
        return False
    return last_day is None or day <= last_day


def rebook_days(day: dt.date, *, earliest: dt.date | None, end: dt.date | None,
                hold_by: dt.date | None) -> tuple[dt.date, dt.date] | None:
    """Local dates a rebooked meeting may move to, asked on `day`: from
    today (or the earliest meeting date) to the end date and the hold-by
    date, whichever comes first. None when no date is left."""
    first = max(day, earliest) if earliest else day
    bounds = [d for d in (end, hold_by) if d is not None]
    if not bounds:
        raise ValueError('rebooking needs an end date or a hold-by date')
    last = min(bounds)
    return (first, last) if first <= last else None


# --- weeks and days (the citizen's time page, the calendars, the pool board) --

FIRST_YEAR, LAST_YEAR = 1900, 9000    # a date outside is read as a typing error


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def sane_day(day: dt.date, fallback):
    """`day`, or `fallback` when its year is one nobody means (a step or a
    bound from it would overflow)."""
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else fallback


def parse_week(value: str | None, default: dt.date | None) -> dt.date | None:
    """The Monday of "2030-W19" or of the week holding "2030-05-08"; else
    (missing, not a week, a year nobody means) the Monday of `default`'s
    week, or None without a default. The web layer answers years at the
    ends of the calendar with a 400 before they get here."""
    value = (value or '').strip().upper()
    try:
        if 'W' in value:
            year, week = value.split('-W')
            day = sane_day(dt.date.fromisocalendar(int(year), int(week), 1), default)
        else:
            day = sane_day(dt.date.fromisoformat(value), default)
    except ValueError:
        day = default
    return monday_of(day) if day is not None else None


def week_id(day: dt.date) -> str:
    """"2030-W19": the ISO week holding `day`, as parse_week reads it."""
    year, week, _weekday = day.isocalendar()
    return f'{year}-W{week:02d}'


def clamp_week(monday: dt.date, first: dt.date, last: dt.date) -> dt.date:
    """The Monday of a week that overlaps [first, last], nearest to `monday`."""
    low, high = monday_of(first), monday_of(last)
    monday = monday_of(monday)
    return low if monday < low else high if monday > high else monday


def starts_by_day(starts: Iterable[dt.datetime], zone) -> dict[dt.date, list[dt.datetime]]:
    """Aware starts grouped by their local date (each list ascending, no duplicates)."""
    days: dict[dt.date, set[dt.datetime]] = {}
    local_dates: dict[dt.datetime, dt.date] = {}    # many caseworkers share a start
    for start in starts:
        day = local_dates.get(start)
        if day is None:
            day = local_dates[start] = start.astimezone(zone).date()
        days.setdefault(day, set()).add(start)
    return {day: sorted(values) for day, values in sorted(days.items())}


def first_free_order(candidates: Sequence, booked_minutes: dict) -> list:
    """Caseworkers to try for "first free": the least booked that day first,
    then in the given order (spreads the meetings over the team)."""
    position = {c: i for i, c in enumerate(candidates)}
    return sorted(candidates, key=lambda c: (booked_minutes.get(c, 0), position[c]))


def day_capacity(starts_minutes: Sequence[int], *, block_minutes: int, duration_minutes: int,
                 booked_minutes: int, bookable_minutes: int, share_percent: int) -> int:
    """How many more meetings fit in one caseworker's day: greedily from the
    earliest bookable start (optimal for equal lengths), each blocking
    `block_minutes` (meeting + reporting), and no more than the share allows."""
    count, free_from = 0, None
    for start in sorted(starts_minutes):
        if free_from is None or start >= free_from:
            count += 1
            free_from = start + block_minutes
    if duration_minutes > 0:
        room = share_percent * bookable_minutes - booked_minutes * 100
        count = min(count, max(room // (duration_minutes * 100), 0))
    return count
