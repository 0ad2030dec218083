"""Time reserved for summons only or self-booking only: examples and
properties against the slot engine and the automatic distribution."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, strategies as st

from scheduling.availability import (AvailabilityCalendar, CaseworkerAvailabilityInput,
                                     WeeklySchedule)
from scheduling.distribution import distribute
from scheduling.reserved import (SELF_BOOKING, SUMMONS, ReservedTime, for_purpose,
                                 other_purpose_windows)
from scheduling.slots import caseworker_starts
from tests.scheduling.test_distribution import PROPERTIES, scenarios

UTC = dt.timezone.utc
CPH = ZoneInfo('Europe/Copenhagen')
T = dt.time
MONDAY = dt.date(2026, 3, 2)
LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=UTC)
WORKWEEK = WeeklySchedule.for_weekdays(range(5), [(T(8), T(16))])


def starts(calendar, caseworker, purpose_reserved=None, purpose=SUMMONS, share=100,
           duration=60, reporting=0):
    if purpose_reserved is not None:
        [caseworker] = for_purpose(calendar, [caseworker],
                                   {caseworker.caseworker_id: purpose_reserved}, purpose)
    return caseworker_starts(calendar, caseworker, now=LONG_AGO, duration_minutes=duration,
                             reporting_minutes=reporting, share_percent=share)


def test_two_days_for_summons_and_two_for_self_booking():
    calendar = AvailabilityCalendar(CPH, MONDAY, MONDAY + dt.timedelta(days=4))
    anna = CaseworkerAvailabilityInput('anna', WORKWEEK)
    week = [ReservedTime(SUMMONS, weekday=0), ReservedTime(SUMMONS, weekday=1),
            ReservedTime(SELF_BOOKING, weekday=2), ReservedTime(SELF_BOOKING, weekday=3)]
    summons_days = {s.astimezone(CPH).date().weekday() for s in starts(calendar, anna, week)}
    booking_days = {s.astimezone(CPH).date().weekday()
                    for s in starts(calendar, anna, week, SELF_BOOKING)}
    assert summons_days == {0, 1, 4} and booking_days == {2, 3, 4}   # Friday is for both


def test_a_time_of_day_in_a_date_range_and_the_share_base_unchanged():
    calendar = AvailabilityCalendar(CPH, MONDAY, MONDAY + dt.timedelta(days=1))
    anna = CaseworkerAvailabilityInput('anna', WORKWEEK)
    mornings = [ReservedTime(SELF_BOOKING, first_day=MONDAY, last_day=MONDAY,
                             start=T(8), end=T(12))]
    found = starts(calendar, anna, mornings, share=50)
    monday = [s.astimezone(CPH) for s in found if s.astimezone(CPH).date() == MONDAY]
    assert monday[0].time() == T(12) and monday[-1].time() == T(15)
    # Tuesday is not in the range; 50 % of 8 hours still fits a 60-minute meeting.
    assert any(s.astimezone(CPH).date() == MONDAY + dt.timedelta(days=1) for s in found)
    # Reporting time may not reach into the reserved morning either.
    evening = [ReservedTime(SELF_BOOKING, start=T(15), end=T(16))]
    late = starts(calendar, anna, evening, reporting=15)
    assert max(s.astimezone(CPH).time() for s in late) == T(13, 45)


def test_invalid_reservations_are_refused():
    for bad in (dict(purpose='both'), dict(purpose=SUMMONS, weekday=7),
                dict(purpose=SUMMONS, first_day=MONDAY, last_day=MONDAY - dt.timedelta(days=1)),
                dict(purpose=SUMMONS, start=T(12), end=T(8))):
        with pytest.raises(ValueError):
            ReservedTime(**bad)
    with pytest.raises(ValueError):
        other_purpose_windows(AvailabilityCalendar(CPH, MONDAY, MONDAY), [], 'other')


@st.composite
def reservations(draw, days):
    items = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.one_of(st.none(), st.integers(0, 23 * 60).map(
            lambda m: T(m // 60, m % 60))))
        end = None
        if start is not None and draw(st.booleans()):
            minute = start.hour * 60 + start.minute + draw(st.integers(5, 300))
            end = T(min(minute, 1439) // 60, min(minute, 1439) % 60) if minute < 1440 else None
        first = draw(st.one_of(st.none(), st.sampled_from(days)))
        last = draw(st.one_of(st.none(), st.sampled_from([d for d in days
                                                          if first is None or d >= first])))
        items.append(ReservedTime(draw(st.sampled_from([SUMMONS, SELF_BOOKING])),
                                  weekday=draw(st.one_of(st.none(), st.integers(0, 6))),
                                  first_day=first, last_day=last, start=start,
                                  end=end if end is None or start < end else None))
    return items


@st.composite
def reserved_scenarios(draw):
    s = draw(scenarios(group=False))
    days = [s['first_day'] + dt.timedelta(days=i)
            for i in range((s['last_day'] - s['first_day']).days + 1)]
    s['reserved'] = {c.caseworker_id: draw(reservations(days)) for c in s['caseworkers']}
    s['purpose'] = draw(st.sampled_from([SUMMONS, SELF_BOOKING]))
    return s


def overlaps(start, minutes, windows):
    end = start + dt.timedelta(minutes=minutes)
    return any(a < end and start < b for a, b in windows)


@given(reserved_scenarios())
@PROPERTIES
def test_free_time_reserved_for_the_other_purpose_is_not_offered_and_nothing_else_goes(s):
    calendar = AvailabilityCalendar(s['zone'], s['first_day'], s['last_day'],
                                    s['organisation_closing_days'])
    total = s['duration_minutes'] + s['reporting_minutes']
    kept = for_purpose(calendar, s['caseworkers'], s['reserved'], s['purpose'])
    for before, after in zip(s['caseworkers'], kept):
        windows = other_purpose_windows(calendar, s['reserved'][before.caseworker_id],
                                        s['purpose'])
        query = dict(now=s['now'], duration_minutes=s['duration_minutes'],
                     reporting_minutes=s['reporting_minutes'],
                     share_percent=before.auto_share_percent)
        plain = caseworker_starts(calendar, before, **query)
        reserved = caseworker_starts(calendar, after, **query)
        assert reserved == [x for x in plain if not overlaps(x, total, windows)]


@given(reserved_scenarios())
@PROPERTIES
def test_the_distribution_places_no_summons_in_self_booking_time(s):
    calendar = AvailabilityCalendar(s['zone'], s['first_day'], s['last_day'],
                                    s['organisation_closing_days'])
    caseworkers = for_purpose(calendar, s['caseworkers'], s['reserved'], SUMMONS)
    result = distribute(s['citizens'], caseworkers, calendar=calendar, now=s['now'],
                        duration_minutes=s['duration_minutes'],
                        reporting_minutes=s['reporting_minutes'], room=s['room'])
    for placement in result.placements:
        [cid] = placement.caseworker_ids
        windows = other_purpose_windows(calendar, s['reserved'][cid], SUMMONS)
        assert not overlaps(placement.start, s['duration_minutes'] + s['reporting_minutes'],
                            windows)
