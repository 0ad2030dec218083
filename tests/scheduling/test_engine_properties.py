"""Property tests of the availability engine against a minute-by-minute reference.

The reference reads every minute of the range through zoneinfo on its own
(local date, wall time, weekday), with none of the engine's interval or
segment arithmetic, so it shares no code path with the engine.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, replace
from functools import cached_property
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings, strategies as st

from scheduling.availability import (AvailabilityCalendar, BookedMeeting,
                                     CaseworkerAvailabilityInput, WeeklySchedule, free_intervals)
from scheduling.localtime import from_minute, to_minute_floor
from scheduling.slots import bookable_starts, caseworker_starts

UTC = dt.timezone.utc
# Whole-hour DST (Copenhagen, Stockholm), half-hour offsets (St John's) and a
# half-hour DST shift (Lord Howe) exercise the local-grid alignment.
ZONES = ['Europe/Copenhagen', 'Europe/Stockholm', 'America/St_Johns', 'Australia/Lord_Howe',
         'Asia/Kolkata', 'UTC']
ANCHORS = [dt.date(2026, 3, 27), dt.date(2026, 10, 23), dt.date(2026, 6, 10),
           dt.date(2026, 10, 30), dt.date(2026, 4, 2), dt.date(2026, 10, 1)]
ENGINE = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REFERENCE = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def wall(minute_of_day: int) -> dt.time:
    return dt.time(minute_of_day // 60, minute_of_day % 60)


wall_minute = st.one_of(st.integers(0, 1439), st.integers(50, 250))   # often around DST hours
any_range = st.tuples(wall_minute, wall_minute).map(lambda r: tuple(sorted(r)) if r[0] != r[1] else r)
office_range = st.tuples(st.integers(360, 720), st.integers(120, 600)).map(
    lambda r: (r[0], min(1439, r[0] + r[1])))
short_range = st.tuples(wall_minute, st.integers(1, 60)).map(lambda r: (r[0], min(1439, r[0] + r[1])))


@st.composite
def schedules(draw):
    hours, pauses = {}, {}
    for weekday in range(7):
        ranges = draw(st.lists(st.one_of(office_range, any_range), max_size=2))
        if ranges:
            hours[weekday] = [(wall(a), wall(b)) for a, b in ranges]
        day_pauses = draw(st.lists(st.one_of(short_range, any_range), max_size=4))
        if day_pauses:
            pauses[weekday] = [(wall(a), wall(b)) for a, b in day_pauses]
    return WeeklySchedule(hours=hours, pauses=pauses)


@dataclass(frozen=True)
class Scenario:
    zone: str
    first_day: dt.date
    last_day: dt.date
    caseworker: CaseworkerAvailabilityInput
    organisation_closing_days: frozenset
    now: dt.datetime
    min_notice: dt.timedelta
    duration: int
    reporting: int
    grid: int
    share: str

    def query(self, **changes):
        arguments = dict(zone=self.zone, first_day=self.first_day, last_day=self.last_day,
                         now=self.now, min_notice=self.min_notice,
                         duration_minutes=self.duration, reporting_minutes=self.reporting,
                         grid_minutes=self.grid, share=self.share,
                         organisation_closing_days=self.organisation_closing_days)
        arguments.update(changes)
        return arguments

    def starts(self, caseworker=None, **changes):
        caseworker = caseworker or self.caseworker
        return bookable_starts([caseworker], **self.query(**changes))[caseworker.caseworker_id]

    @property
    def share_percent(self):
        return (self.caseworker.max_share_percent if self.share == 'max'
                else self.caseworker.auto_share_percent)

    @cached_property
    def facts(self) -> 'MinuteFacts':
        return MinuteFacts(self)


@st.composite
def scenarios(draw):
    zone = draw(st.sampled_from(ZONES))
    first_day = draw(st.sampled_from(ANCHORS)) + dt.timedelta(days=draw(st.integers(0, 3)))
    last_day = first_day + dt.timedelta(days=draw(st.integers(0, 4)))
    days = [first_day + dt.timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    base = to_minute_floor(dt.datetime.combine(first_day, dt.time(), tzinfo=UTC)) - 24 * 60
    span = (len(days) + 2) * 24 * 60
    naive = draw(st.booleans())

    def instant(minute):
        moment = from_minute(minute)
        return moment.replace(tzinfo=None) if naive else moment

    meetings = []
    for offset, length, reporting in draw(st.lists(st.tuples(
            st.integers(0, span), st.integers(1, 180), st.integers(0, 30)), max_size=8)):
        meetings.append(BookedMeeting(instant(base + offset), instant(base + offset + length),
                                      reporting))
    absences = [(instant(base + offset), instant(base + offset + length)) for offset, length in
                draw(st.lists(st.tuples(st.integers(0, span), st.integers(1, 900)), max_size=3))]
    max_share = draw(st.sampled_from([0, 30, 50, 75, 100, 100, 100, 100]))
    caseworker = CaseworkerAvailabilityInput(
        caseworker_id=draw(st.sampled_from([1, 'cw-1'])), schedule=draw(schedules()),
        absences=absences, meetings=meetings,
        closing_days=frozenset(draw(st.sets(st.sampled_from(days), max_size=2))),
        max_share_percent=max_share,
        auto_share_percent=draw(st.sampled_from([max_share, max_share, max_share * 3 // 4, 0])))
    return Scenario(
        zone=zone, first_day=first_day, last_day=last_day, caseworker=caseworker,
        organisation_closing_days=frozenset(draw(st.sets(st.sampled_from(days), max_size=1))),
        now=instant(base + draw(st.one_of(st.integers(0, 24 * 60), st.integers(0, span)))),
        min_notice=dt.timedelta(minutes=draw(st.sampled_from([0, 0, 30, 120]))),
        duration=draw(st.integers(5, 150)), reporting=draw(st.sampled_from([0, 0, 15, 30])),
        grid=draw(st.sampled_from([5, 15, 30, 60, 60])), share=draw(st.sampled_from(['max', 'auto'])))


def minutes_of(moment):
    return to_minute_floor(moment)


class MinuteFacts:
    """Per-minute truth of a scenario, read through zoneinfo one minute at a time."""

    def __init__(self, scenario: Scenario):
        zone = ZoneInfo(scenario.zone)
        cw = scenario.caseworker
        self.low = to_minute_floor(dt.datetime.combine(
            scenario.first_day - dt.timedelta(days=2), dt.time(), tzinfo=UTC))
        self.high = to_minute_floor(dt.datetime.combine(
            scenario.last_day + dt.timedelta(days=3), dt.time(), tzinfo=UTC))
        self.local = {}
        self.in_hours = set()      # wall time inside hours and outside pauses, date in range
        self.in_pause = set()
        self.closed = set()
        self.bookable = Counter()  # planned minutes per local date
        closed_days = scenario.organisation_closing_days | cw.closing_days
        for minute in range(self.low, self.high):
            local = from_minute(minute).astimezone(zone)
            day, of_day = local.date(), local.hour * 60 + local.minute
            self.local[minute] = (day, of_day)
            if not scenario.first_day <= day <= scenario.last_day:
                continue
            weekday = day.weekday()
            hours = any(a.hour * 60 + a.minute <= of_day < b.hour * 60 + b.minute
                        for a, b in cw.schedule.hours.get(weekday, ()))
            pause = any(a.hour * 60 + a.minute <= of_day < b.hour * 60 + b.minute
                        for a, b in cw.schedule.pauses.get(weekday, ()))
            if pause:
                self.in_pause.add(minute)
            if hours and not pause:
                self.in_hours.add(minute)
                self.bookable[day] += 1
            if day in closed_days:
                self.closed.add(minute)
        self.meeting_busy = set()
        self.booked = Counter()
        for meeting in cw.meetings:
            start, end = minutes_of(meeting.start), minutes_of(meeting.end)
            self.meeting_busy.update(range(start, end + meeting.reporting_minutes))
            if start in self.local:
                self.booked[self.local[start][0]] += end - start
        self.absent = set()
        for start, end in cw.absences:
            self.absent.update(range(minutes_of(start), minutes_of(end)))

    def free(self, minute):
        return (minute in self.in_hours and minute not in self.closed
                and minute not in self.meeting_busy and minute not in self.absent)

    def expected_starts(self, scenario: Scenario) -> list[int]:
        total = scenario.duration + scenario.reporting
        earliest = minutes_of(scenario.now + scenario.min_notice)
        if (scenario.now + scenario.min_notice).replace(tzinfo=None).second or \
                (scenario.now + scenario.min_notice).microsecond:
            earliest += 1
        run = 0
        result = []
        for minute in range(self.high - 1, self.low - 1, -1):
            run = run + 1 if self.free(minute) else 0
            day, of_day = self.local[minute]
            if (run >= total and of_day % scenario.grid == 0 and minute >= earliest
                    and (self.booked[day] + scenario.duration) * 100
                    <= scenario.share_percent * self.bookable[day]):
                result.append(minute)
        return result[::-1]


# --- the reference, whole ---------------------------------------------------------

@REFERENCE
@given(scenarios())
def test_starts_equal_the_minute_by_minute_reference(scenario):
    assert [minutes_of(s) for s in scenario.starts()] == scenario.facts.expected_starts(scenario)


@REFERENCE
@given(scenarios())
def test_free_intervals_equal_the_reference(scenario):
    free = free_intervals(scenario.caseworker, zone=scenario.zone, first_day=scenario.first_day,
                          last_day=scenario.last_day,
                          organisation_closing_days=scenario.organisation_closing_days)
    covered = {m for s, e in free for m in range(minutes_of(s), minutes_of(e))}
    facts = scenario.facts
    assert covered == {m for m in range(facts.low, facts.high) if facts.free(m)}


# --- one rule at a time -------------------------------------------------------------

@REFERENCE
@given(scenarios())
def test_no_start_overlaps_a_pause_absence_closing_day_or_meeting(scenario):
    facts = scenario.facts
    total = scenario.duration + scenario.reporting
    for start in scenario.starts():
        for minute in range(minutes_of(start), minutes_of(start) + total):
            assert minute not in facts.in_pause
            assert minute not in facts.absent
            assert minute not in facts.closed
            assert minute not in facts.meeting_busy


@REFERENCE
@given(scenarios())
def test_every_start_lies_inside_bookable_hours_of_one_day_in_range(scenario):
    facts = scenario.facts
    total = scenario.duration + scenario.reporting
    for start in scenario.starts():
        first = minutes_of(start)
        assert all(m in facts.in_hours for m in range(first, first + total))
        assert scenario.first_day <= facts.local[first][0] <= scenario.last_day
        assert facts.local[first][0] == facts.local[first + total - 1][0]


@REFERENCE
@given(scenarios())
def test_shares_are_respected(scenario):
    facts = scenario.facts
    for start in scenario.starts():
        day = facts.local[minutes_of(start)][0]
        booked_after = facts.booked[day] + scenario.duration
        assert booked_after * 100 <= scenario.share_percent * facts.bookable[day]


@ENGINE
@given(scenarios())
def test_starts_are_on_the_local_grid_not_before_now_and_ascending(scenario):
    zone = ZoneInfo(scenario.zone)
    result = scenario.starts()
    assert result == sorted(result) and len(set(result)) == len(result)
    for start in result:
        assert start.tzinfo is UTC and start.second == 0
        local = start.astimezone(zone)
        assert (local.hour * 60 + local.minute) % scenario.grid == 0
        assert start >= (scenario.now + scenario.min_notice
                         if scenario.now.tzinfo else
                         (scenario.now + scenario.min_notice).replace(tzinfo=UTC))


# --- monotonicity -------------------------------------------------------------------

@ENGINE
@given(scenarios(), st.data())
def test_removing_a_meeting_never_removes_a_start(scenario, data):
    meetings = list(scenario.caseworker.meetings)
    if not meetings:
        return
    del meetings[data.draw(st.integers(0, len(meetings) - 1))]
    fewer = replace(scenario.caseworker, meetings=meetings)
    assert set(scenario.starts()) <= set(scenario.starts(fewer))


@ENGINE
@given(scenarios(), st.integers(-600, 4000), st.integers(1, 600))
def test_adding_an_absence_never_adds_a_start(scenario, offset, length):
    start = dt.datetime.combine(scenario.first_day, dt.time(), tzinfo=UTC) + dt.timedelta(minutes=offset)
    more = replace(scenario.caseworker, absences=[*scenario.caseworker.absences,
                                                  (start, start + dt.timedelta(minutes=length))])
    assert set(scenario.starts(more)) <= set(scenario.starts())


@ENGINE
@given(scenarios())
def test_auto_share_offers_no_more_than_max_share(scenario):
    assert set(scenario.starts(share='auto')) <= set(scenario.starts(share='max'))


@ENGINE
@given(scenarios())
def test_coarser_grid_offers_a_subset_of_the_staff_grid(scenario):
    assert set(scenario.starts(grid_minutes=60)) <= set(scenario.starts(grid_minutes=15))
    assert set(scenario.starts(grid_minutes=15)) <= set(scenario.starts(grid_minutes=5))


@settings(ENGINE, max_examples=40)
@given(st.lists(scenarios(), min_size=2, max_size=4))
def test_many_caseworkers_at_once_equal_each_alone(batch):
    first = batch[0]
    caseworkers = [replace(s.caseworker, caseworker_id=i) for i, s in enumerate(batch)]
    together = bookable_starts(caseworkers, **first.query())
    calendar = AvailabilityCalendar(first.zone, first.first_day, first.last_day,
                                    first.organisation_closing_days)
    for cw in caseworkers:
        alone = caseworker_starts(
            calendar, cw, now=first.now, min_notice=first.min_notice,
            duration_minutes=first.duration, reporting_minutes=first.reporting,
            grid_minutes=first.grid,
            share_percent=cw.max_share_percent if first.share == 'max' else cw.auto_share_percent)
        assert together[cw.caseworker_id] == alone == first.starts(cw)


# --- rooms --------------------------------------------------------------------------

@ENGINE
@given(scenarios(), st.lists(st.tuples(st.integers(-200, 6000), st.integers(0, 300)), max_size=4))
def test_room_restricts_starts_to_meetings_inside_one_free_interval(scenario, raw_rooms):
    base = dt.datetime.combine(scenario.first_day, dt.time(), tzinfo=UTC)
    room_free = [(base + dt.timedelta(minutes=o), base + dt.timedelta(minutes=o + n))
                 for o, n in raw_rooms]
    meeting = dt.timedelta(minutes=scenario.duration)
    without_room = scenario.starts()
    with_room = scenario.starts(room_free=room_free)
    expected = [s for s in without_room if any(a <= s and s + meeting <= b for a, b in room_free)]
    assert with_room == expected
