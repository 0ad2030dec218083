"""Target-group rules and the booking rules of online offers (pure)."""
import datetime as dt

import pytest
from hypothesis import assume, given, settings, strategies as st

from scheduling.rules import (AGE, ALL, ANY, CONTACT_GROUP, CONTACT_GROUPS, EQ, GE, LE, MARKING,
                              NE, ONE_OF, CitizenFacts, OfferPeriod, Rule, RuleGroup, RuleSet,
                              age_on, birth_date_from_id, clamp_week, day_capacity,
                              first_free_order, is_open, matches, matching, may_cancel, may_rebook,
                              meeting_days, normalised, parse_markings, parse_week,
                              period_problems, rebook_days, rule_matches, starts_by_day, validate)

DAY = dt.date(2026, 6, 15)
MARKS = ('Unge 30+', 'Projekt Nord', 'Sprog', 'Stat 1')

# --- strategies --------------------------------------------------------------

dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
facts = st.builds(CitizenFacts,
                  birth_date=st.one_of(st.none(), st.dates(min_value=dt.date(1900, 1, 1),
                                                           max_value=DAY)),
                  contact_group=st.sampled_from(CONTACT_GROUPS + ('',)),
                  markings=st.frozensets(st.sampled_from(MARKS), max_size=3))


@st.composite
def rules(draw):
    kind = draw(st.sampled_from((AGE, CONTACT_GROUP, MARKING)))
    condition = draw(st.sampled_from((EQ, NE, GE, LE, ONE_OF) if kind == AGE
                                     else (EQ, NE, ONE_OF)))
    pool = {AGE: st.integers(0, 100).map(str), CONTACT_GROUP: st.sampled_from(CONTACT_GROUPS),
            MARKING: st.sampled_from(MARKS)}[kind]
    count = draw(st.integers(1, 4)) if condition == ONE_OF else 1
    return Rule(kind, condition, tuple(draw(st.lists(pool, min_size=count, max_size=count,
                                                      unique=True))))


groups = st.builds(RuleGroup, join=st.sampled_from((ALL, ANY)),
                   rules=st.lists(rules(), min_size=1, max_size=4).map(tuple))
rule_sets = st.builds(RuleSet, join=st.sampled_from((ALL, ANY)),
                      groups=st.lists(groups, min_size=1, max_size=4).map(tuple))


# --- properties --------------------------------------------------------------

@given(rule_sets)
def test_generated_rule_sets_are_valid_and_survive_json(rule_set):
    assert validate(rule_set) == []
    assert RuleSet.from_json(rule_set.to_json()) == rule_set
    assert normalised(rule_set) == rule_set


@given(rule_sets, facts)
def test_groups_join_like_all_and_any(rule_set, citizen):
    per_group = [RuleSet(ALL, (g,)) for g in rule_set.groups]
    results = [matches(one, citizen, DAY) for one in per_group]
    expected = all(results) if rule_set.join == ALL else any(results)
    assert matches(rule_set, citizen, DAY) == expected


@given(groups, facts)
def test_rules_in_a_group_join_like_all_and_any(group, citizen):
    results = [rule_matches(r, citizen, DAY) for r in group.rules]
    expected = all(results) if group.join == ALL else any(results)
    assert matches(RuleSet(ANY, (group,)), citizen, DAY) == expected


@given(rule_sets, facts, st.randoms())
def test_order_of_rules_and_groups_does_not_matter(rule_set, citizen, rnd):
    shuffled = [RuleGroup(g.join, tuple(rnd.sample(g.rules, len(g.rules))))
                for g in rule_set.groups]
    rnd.shuffle(shuffled)
    assert matches(RuleSet(rule_set.join, tuple(shuffled)), citizen, DAY) == \
        matches(rule_set, citizen, DAY)


@given(rules(), facts)
def test_not_equal_is_the_negation_of_equal_when_the_fact_is_known(rule, citizen):
    assume(rule.condition in (EQ, NE))
    assume(rule.type != AGE or citizen.birth_date is not None)
    eq, ne = Rule(rule.type, EQ, rule.values), Rule(rule.type, NE, rule.values)
    assert rule_matches(eq, citizen, DAY) != rule_matches(ne, citizen, DAY)


@given(rules(), facts)
def test_one_of_a_single_value_is_equal(rule, citizen):
    one = Rule(rule.type, ONE_OF, rule.values[:1])
    assert rule_matches(one, citizen, DAY) == rule_matches(
        Rule(rule.type, EQ, rule.values[:1]), citizen, DAY)


@given(rules(), facts)
def test_one_of_is_any_of_the_equals(rule, citizen):
    assume(rule.condition == ONE_OF)
    assert rule_matches(rule, citizen, DAY) == any(
        rule_matches(Rule(rule.type, EQ, (v,)), citizen, DAY) for v in rule.values)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=DAY), st.integers(0, 120))
def test_age_rules_agree_with_the_age(birth, limit):
    citizen = CitizenFacts(birth_date=birth)
    age = age_on(birth, DAY)
    assert rule_matches(Rule(AGE, GE, (str(limit),)), citizen, DAY) == (age >= limit)
    assert rule_matches(Rule(AGE, LE, (str(limit),)), citizen, DAY) == (age <= limit)
    # >= and <= cover everyone, and meet exactly at =.
    ge = rule_matches(Rule(AGE, GE, (str(limit),)), citizen, DAY)
    le = rule_matches(Rule(AGE, LE, (str(limit),)), citizen, DAY)
    assert ge or le
    assert (ge and le) == rule_matches(Rule(AGE, EQ, (str(limit),)), citizen, DAY)


@given(dates, dates)
def test_age_is_completed_years(birth, day):
    assume(birth <= day)
    age = age_on(birth, day)
    assert age >= 0
    # The last birthday is not after `day`, the next one is.
    def birthday(year):
        try:
            return birth.replace(year=year)
        except ValueError:            # 29 February in a common year
            return dt.date(year, 3, 1)
    assert birthday(birth.year + age) <= day
    if birth.year + age + 1 <= 9999:
        assert birthday(birth.year + age + 1) > day


@given(facts)
def test_an_unknown_age_matches_no_age_rule(citizen):
    unknown = CitizenFacts(None, citizen.contact_group, citizen.markings)
    for condition in (EQ, NE, GE, LE, ONE_OF):
        assert not rule_matches(Rule(AGE, condition, ('30',)), unknown, DAY)


@given(rule_sets, st.dictionaries(st.integers(0, 50), facts, max_size=20))
def test_matching_is_matches_for_each(rule_set, citizens):
    assert matching(rule_set, citizens, DAY) == [
        k for k, f in citizens.items() if matches(rule_set, f, DAY)]


# --- examples ----------------------------------------------------------------

def test_examples_from_the_deck():
    # "dagpengemodtagere over 30 år": contact group = dagpenge AND age >= 30.
    offer = RuleSet(ALL, (RuleGroup(ALL, (Rule(CONTACT_GROUP, EQ, ('dagpenge',)),
                                          Rule(AGE, GE, ('30',)))),))
    assert validate(offer) == []
    old = CitizenFacts(dt.date(1980, 6, 15), 'dagpenge')
    turning = CitizenFacts(dt.date(1996, 6, 16), 'dagpenge')   # 30 tomorrow
    assert matches(offer, old, DAY)
    assert not matches(offer, turning, DAY)
    assert matches(offer, turning, DAY + dt.timedelta(days=1))
    assert not matches(offer, CitizenFacts(dt.date(1980, 1, 1), 'kontanthjaelp'), DAY)
    # Control model: the marking of the caseworker's own citizens, Any with another.
    marked = RuleSet(ANY, (RuleGroup(ALL, (Rule(MARKING, EQ, ('Projekt Nord',)),)),
                           RuleGroup(ALL, (Rule(CONTACT_GROUP, ONE_OF,
                                                ('sygedagpenge', 'uddannelseshjaelp')),))))
    assert matches(marked, CitizenFacts(None, '', frozenset({'Projekt Nord'})), DAY)
    assert matches(marked, CitizenFacts(None, 'sygedagpenge'), DAY)
    assert not matches(marked, CitizenFacts(None, 'dagpenge', frozenset({'Sprog'})), DAY)


def test_validation_names_each_problem():
    assert [p.code for p in validate(RuleSet())] == ['no_rules']
    assert [p.code for p in validate(RuleSet(ALL, (RuleGroup(ALL, ()),)))] == \
        ['no_rules', 'empty_group']
    bad = RuleSet('some', (RuleGroup(ALL, (
        Rule('height', EQ, ('1',)),
        Rule(CONTACT_GROUP, GE, ('dagpenge',)),
        Rule(AGE, EQ, ()),
        Rule(AGE, EQ, ('30', '31')),
        Rule(AGE, GE, ('thirty',)),
        Rule(AGE, LE, ('200',)),
        Rule(CONTACT_GROUP, EQ, ('pensionist',)),
        Rule(MARKING, ONE_OF, ('x' * 121,)),
        Rule(AGE, GE, ('٣',)),              # a digit, but not an ASCII one
    )),))
    assert validate(bad) == [
        (None, None, 'bad_join'),
        (0, 0, 'unknown_type'), (0, 1, 'condition_not_allowed'), (0, 2, 'no_value'),
        (0, 3, 'one_value_only'), (0, 4, 'age_not_a_number'), (0, 5, 'age_out_of_range'),
        (0, 6, 'unknown_contact_group'), (0, 7, 'value_too_long'), (0, 8, 'age_not_a_number')]
    # An invalid or empty rule set matches nobody.
    assert not matches(RuleSet(), CitizenFacts(), DAY)
    assert matching(RuleSet(), {1: CitizenFacts()}, DAY) == []


def test_malformed_json_is_an_empty_rule_set():
    for text in ('', 'null', '[1]', '{"groups": 3}', 'not json', '{"groups": [1, {"rules": [2]}]}'):
        rule_set = RuleSet.from_json(text)
        assert rule_set.rule_count == 0
    odd = RuleSet.from_json('{"groups": [{"rules": [{"type": "age", "condition": "ge", '
                            '"values": 30}]}]}')
    assert odd.groups[0].rules[0].values == ('30',)


def test_normalised_strips_and_drops_duplicates():
    rule_set = RuleSet(ALL, (RuleGroup(ANY, (Rule(AGE, ONE_OF, (' 030', '30', '31 ')),
                                             Rule(MARKING, EQ, (' Sprog ',)))),))
    assert normalised(rule_set).groups[0].rules == (
        Rule(AGE, ONE_OF, ('30', '31')), Rule(MARKING, EQ, ('Sprog',)))


def test_birth_dates_from_cpr_and_personnummer():
    assert birth_date_from_id('0101901234') == dt.date(1990, 1, 1)
    assert birth_date_from_id('0101014234') == dt.date(2001, 1, 1)   # 7th digit 4: 2000s
    assert birth_date_from_id('3102901234') is None
    assert birth_date_from_id('') is None and birth_date_from_id(None) is None
    assert birth_date_from_id('8112189876') == dt.date(1981, 12, 18)


def test_markings_are_lines():
    assert parse_markings(' Sprog\n\nProjekt Nord \n') == frozenset({'Sprog', 'Projekt Nord'})
    assert parse_markings(None) == frozenset()


# --- booking rules -------------------------------------------------------------

PERIOD = OfferPeriod(bookable_from=dt.date(2026, 6, 1), earliest_meeting=dt.date(2026, 6, 8),
                     end=dt.date(2026, 6, 26))


def test_the_end_date_is_included():
    assert is_open(PERIOD, PERIOD.end)
    assert not is_open(PERIOD, PERIOD.end + dt.timedelta(days=1))
    assert not is_open(PERIOD, PERIOD.bookable_from - dt.timedelta(days=1))
    assert meeting_days(PERIOD, dt.date(2026, 6, 2)) == (dt.date(2026, 6, 8), PERIOD.end)
    assert meeting_days(PERIOD, dt.date(2026, 6, 20)) == (dt.date(2026, 6, 20), PERIOD.end)
    assert meeting_days(PERIOD, PERIOD.end) == (PERIOD.end, PERIOD.end)
    assert meeting_days(PERIOD, dt.date(2026, 5, 31)) is None


@given(dates, dates, dates, dates)
def test_meeting_days_lie_inside_the_period(bookable_from, earliest, end, day):
    period = OfferPeriod(bookable_from, earliest, end)
    days = meeting_days(period, day)
    if days is None:
        assert not is_open(period, day) or max(day, earliest) > end
    else:
        first, last = days
        assert day <= first <= last == end and first >= earliest
        assert not period_problems(period) or earliest > end or bookable_from > end


def test_period_problems():
    assert period_problems(PERIOD) == []
    assert period_problems(OfferPeriod(dt.date(2026, 6, 1), dt.date(2026, 6, 9),
                                       dt.date(2026, 6, 8))) == ['end_before_earliest']
    assert period_problems(OfferPeriod(dt.date(2026, 6, 10), dt.date(2026, 6, 1),
                                       dt.date(2026, 6, 8))) == ['end_before_bookable_from']


def test_cancel_and_rebook_deadlines():
    utc = dt.timezone.utc
    start = dt.datetime(2026, 6, 17, 8, tzinfo=utc)       # a Wednesday meeting
    meeting_day = dt.date(2026, 6, 17)
    before = dt.datetime(2026, 6, 16, 20, tzinfo=utc)
    assert may_cancel(True, before, start) and not may_cancel(False, before, start)
    assert not may_cancel(True, start, start)
    # One day before: Tuesday is the last day to rebook.
    assert may_rebook(True, 1, meeting_day, dt.date(2026, 6, 16), before, start, None)
    assert not may_rebook(True, 1, meeting_day, dt.date(2026, 6, 17), before, start, None)
    assert not may_rebook(True, 2, meeting_day, dt.date(2026, 6, 16), before, start, None)
    assert may_rebook(True, 0, meeting_day, dt.date(2026, 6, 17), before, start, None)
    assert not may_rebook(False, 1, meeting_day, dt.date(2026, 6, 10), before, start, None)
    # The end date (or hold-by date) has passed: nothing left to move to.
    assert not may_rebook(True, 1, meeting_day, dt.date(2026, 6, 16), before, start,
                          dt.date(2026, 6, 15))


def test_rebook_days_stop_at_the_end_or_hold_by_date():
    day = dt.date(2026, 6, 10)
    assert rebook_days(day, earliest=None, end=dt.date(2026, 6, 26), hold_by=None) == \
        (day, dt.date(2026, 6, 26))
    assert rebook_days(day, earliest=dt.date(2026, 6, 12), end=dt.date(2026, 6, 26),
                       hold_by=dt.date(2026, 6, 19)) == (dt.date(2026, 6, 12),
                                                         dt.date(2026, 6, 19))
    assert rebook_days(day, earliest=None, end=dt.date(2026, 6, 9), hold_by=None) is None
    with pytest.raises(ValueError):
        rebook_days(day, earliest=None, end=None, hold_by=None)


def test_weeks_are_clamped_to_the_period():
    first, last = dt.date(2026, 6, 10), dt.date(2026, 6, 26)
    assert clamp_week(dt.date(2026, 6, 1), first, last) == dt.date(2026, 6, 8)
    assert clamp_week(dt.date(2026, 7, 1), first, last) == dt.date(2026, 6, 22)
    assert clamp_week(dt.date(2026, 6, 17), first, last) == dt.date(2026, 6, 15)


def test_one_week_parser_for_the_calendars_the_board_and_the_time_page():
    today = dt.date(2030, 5, 8)     # a Wednesday
    for value in ('2030-W19', ' 2030-w19 ', '2030-05-12', '2030-05-06'):
        assert parse_week(value, today) == dt.date(2030, 5, 6), value
    # Missing, no week, or a year nobody means: the default's week, or None.
    for value in (None, '', 'junk', '2030-W99', '9999-W52', '0001-01-01', '1-W01'):
        assert parse_week(value, dt.date(2031, 1, 1)) == dt.date(2030, 12, 30), value
        assert parse_week(value, None) is None, value
    assert parse_week('1900-W02', None) == dt.date(1900, 1, 8)


def test_starts_group_by_local_day_across_midnight_utc():
    from zoneinfo import ZoneInfo
    zone = ZoneInfo('Europe/Copenhagen')
    utc = dt.timezone.utc
    late = dt.datetime(2026, 6, 15, 22, 30, tzinfo=utc)       # 00:30 on the 16th locally
    early = dt.datetime(2026, 6, 15, 6, tzinfo=utc)
    grouped = starts_by_day([late, early, early], zone)
    assert grouped == {dt.date(2026, 6, 15): [early], dt.date(2026, 6, 16): [late]}


def test_first_free_prefers_the_least_booked():
    assert first_free_order([3, 1, 2], {3: 90, 1: 45}) == [2, 1, 3]


def test_day_capacity_packs_greedily_and_respects_the_share():
    # 08:00-12:00 free, 45 + 15 minutes: 4 meetings fit, starts every 15 minutes.
    starts = list(range(480, 720 - 60 + 1, 15))
    assert day_capacity(starts, block_minutes=60, duration_minutes=45, booked_minutes=0,
                        bookable_minutes=240, share_percent=100) == 4
    # At 50 % of 240 minutes only two meetings of 45 minutes may be added.
    assert day_capacity(starts, block_minutes=60, duration_minutes=45, booked_minutes=0,
                        bookable_minutes=240, share_percent=50) == 2
    assert day_capacity([], block_minutes=60, duration_minutes=45, booked_minutes=0,
                        bookable_minutes=240, share_percent=100) == 0


@settings(max_examples=200)
@given(st.lists(st.integers(0, 1000), max_size=40), st.integers(1, 120))
def test_day_capacity_is_the_most_non_overlapping_meetings(starts, block):
    # Reference: the largest set of starts pairwise at least `block` apart.
    points = sorted(set(starts))
    best = [0] * (len(points) + 1)
    for i in range(len(points) - 1, -1, -1):
        j = i + 1
        while j < len(points) and points[j] < points[i] + block:
            j += 1
        best[i] = max(best[i + 1], 1 + best[j])
    assert day_capacity(starts, block_minutes=block, duration_minutes=block, booked_minutes=0,
                        bookable_minutes=10**6, share_percent=100) == best[0]
