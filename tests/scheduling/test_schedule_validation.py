"""validate_schedule: the problem codes the admin forms show."""
import datetime as dt

from scheduling.availability import ScheduleProblem, WeeklySchedule, validate_schedule

T = dt.time
HOURS = [(T(8), T(16))]


def problems(hours=None, pauses=None):
    return validate_schedule(WeeklySchedule(hours={0: HOURS} if hours is None else hours,
                                            pauses=pauses or {}))


def test_valid_schedule_has_no_problems():
    schedule = WeeklySchedule.for_weekdays(range(5), HOURS, [(T(10), T(10, 15)), (T(12), T(12, 30))])
    assert validate_schedule(schedule) == []


def test_touching_pauses_and_pause_at_the_edge_are_fine():
    assert problems(pauses={0: [(T(8), T(8, 30)), (T(8, 30), T(9)), (T(15, 30), T(16))]}) == []


def test_overlapping_pauses():
    assert problems(pauses={0: [(T(10), T(11)), (T(10, 30), T(11, 30))]}) == [(0, 'pauses_overlap')]


def test_pause_outside_bookable_hours():
    assert problems(pauses={0: [(T(7, 30), T(8, 15))]}) == [(0, 'pause_outside_hours')]
    assert problems(pauses={0: [(T(16), T(16, 30))]}) == [(0, 'pause_outside_hours')]
    assert problems(hours={}, pauses={2: [(T(12), T(12, 30))]}) == [(2, 'pause_outside_hours')]


def test_pause_spanning_two_hour_ranges_is_outside():
    hours = {0: [(T(8), T(12)), (T(12), T(16))]}
    assert problems(hours=hours, pauses={0: [(T(11, 30), T(12, 30))]}) == [(0, 'pause_outside_hours')]


def test_end_before_start():
    assert problems(hours={1: [(T(16), T(8))]}) == [(1, 'hours_end_before_start')]
    assert problems(hours={1: [(T(8), T(8))]}) == [(1, 'hours_end_before_start')]
    assert problems(pauses={0: [(T(12), T(11))]}) == [(0, 'pause_end_before_start')]


def test_overlapping_hours():
    assert problems(hours={0: [(T(8), T(12)), (T(11), T(16))]}) == [(0, 'hours_overlap')]


def test_fifth_pause():
    four = [(T(9), T(9, 5)), (T(10), T(10, 5)), (T(11), T(11, 5)), (T(12), T(12, 5))]
    assert problems(pauses={0: four}) == []
    assert problems(pauses={0: four + [(T(13), T(13, 5))]}) == [(0, 'too_many_pauses')]


def test_invalid_weekday():
    assert problems(hours={7: HOURS}) == [(7, 'invalid_weekday')]


def test_problems_sorted_by_weekday_and_are_named_tuples():
    result = problems(hours={3: [(T(9), T(8))], 0: HOURS},
                      pauses={0: [(T(7), T(7, 30)), (T(7, 10), T(7, 20))]})
    assert result == [(0, 'pauses_overlap'), (0, 'pause_outside_hours'),
                      (3, 'hours_end_before_start')]
    assert result[0] == ScheduleProblem(weekday=0, code='pauses_overlap')
