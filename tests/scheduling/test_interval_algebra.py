"""Interval algebra on half-open intervals: examples and laws."""
import datetime as dt

from hypothesis import given, strategies as st

from scheduling.intervals import (covers, intersect, intersect_sorted, merge, subtract,
                                  subtract_sorted, total_length, union)

POINTS = range(-2, 42)
interval = st.tuples(st.integers(0, 40), st.integers(0, 40))   # may be empty or inverted
intervals = st.lists(interval, max_size=8)


def points(intervals):
    return {p for p in POINTS if any(s <= p < e for s, e in intervals)}


def is_normalised(intervals):
    return (all(s < e for s, e in intervals)
            and all(intervals[i][1] < intervals[i + 1][0] for i in range(len(intervals) - 1)))


def test_merge_joins_overlapping_and_touching_and_drops_empty():
    assert merge([(5, 7), (1, 3), (3, 4), (6, 9), (10, 10), (12, 11)]) == [(1, 4), (5, 9)]


def test_subtract_cuts_holes_and_edges():
    assert subtract([(0, 10)], [(2, 3), (5, 6), (9, 12)]) == [(0, 2), (3, 5), (6, 9)]
    assert subtract([(0, 10)], [(-5, 20)]) == []
    assert subtract([(0, 10), (20, 30)], []) == [(0, 10), (20, 30)]


def test_intersect_examples():
    assert intersect([(0, 10), (20, 30)], [(5, 25)]) == [(5, 10), (20, 25)]
    assert intersect([(0, 10)], [(10, 20)]) == []


def test_works_on_datetimes():
    t = dt.datetime(2026, 3, 2, 8)
    h = dt.timedelta(hours=1)
    free = subtract([(t, t + 8 * h)], [(t + 2 * h, t + 3 * h)])
    assert free == [(t, t + 2 * h), (t + 3 * h, t + 8 * h)]
    assert total_length(free) == 7 * h
    assert covers(free, (t + 4 * h, t + 5 * h))
    assert not covers(free, (t + h, t + 4 * h))


@given(intervals)
def test_merge_is_normalised_and_idempotent(a):
    merged = merge(a)
    assert is_normalised(merged)
    assert merge(merged) == merged


@given(intervals)
def test_merge_keeps_exactly_the_covered_points(a):
    assert points(merge(a)) == points(a)


@given(intervals, intervals)
def test_set_semantics(a, b):
    assert points(union(a, b)) == points(a) | points(b)
    assert points(intersect(a, b)) == points(a) & points(b)
    assert points(subtract(a, b)) == points(a) - points(b)
    for result in (union(a, b), intersect(a, b), subtract(a, b)):
        assert is_normalised(result)


@given(intervals, intervals)
def test_subtract_then_union_covers(a, b):
    assert union(subtract(a, b), b) == union(a, b)
    assert union(subtract(a, b), intersect(a, b)) == merge(a)


@given(intervals, intervals)
def test_subtracted_part_is_disjoint_from_what_was_removed(a, b):
    assert intersect(subtract(a, b), b) == []


@given(intervals, intervals)
def test_intersect_is_commutative_and_inside_both(a, b):
    both = intersect(a, b)
    assert both == intersect(b, a)
    assert subtract(both, a) == [] and subtract(both, b) == []


@given(intervals, intervals)
def test_lengths_add_up(a, b):
    assert total_length(a) == total_length(subtract(a, b)) + total_length(intersect(a, b))


@given(intervals, intervals)
def test_sorted_variants_agree_on_normalised_input(a, b):
    a, b = merge(a), merge(b)
    assert subtract_sorted(a, b) == subtract(a, b)
    assert intersect_sorted(a, b) == intersect(a, b)


@given(intervals, interval)
def test_covers_means_every_point_is_covered(a, probe):
    probe_points = points([probe])
    assert covers(a, probe) == (probe_points <= points(a))
