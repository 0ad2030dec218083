"""Interval algebra on half-open intervals ``[start, end)``.

An interval is a ``(start, end)`` tuple of mutually comparable values: integer
minutes inside the engine, datetimes at its edges (the functions only compare
and never subtract, except `total_length`). ``start >= end`` is empty.

A *normalised* list is sorted by start, holds no empty intervals, and no two of
its intervals overlap or touch (``[1, 3)`` and ``[3, 5)`` become ``[1, 5)``).
Every public function accepts any list and returns a normalised one; the
``*_sorted`` variants skip the normalising of their inputs for hot loops and
require normalised inputs.
"""
from __future__ import annotations

from typing import Iterable, Sequence

Interval = tuple  # (start, end), half-open


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Normalise: sort, drop empty intervals, join overlapping or touching ones."""
    result: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if result and start <= result[-1][1]:
            if end > result[-1][1]:
                result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return result


def union(*interval_lists: Iterable[Interval]) -> list[Interval]:
    """Everything covered by any of the lists, normalised."""
    return merge(i for intervals in interval_lists for i in intervals)


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """What both `a` and `b` cover, normalised."""
    return intersect_sorted(merge(a), merge(b))


def subtract(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """What `a` covers and `b` does not, normalised."""
    return subtract_sorted(merge(a), merge(b))


def intersect_sorted(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """`intersect` for normalised inputs (linear, no sorting)."""
    result: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        a_start, a_end = a[i]
        b_start, b_end = b[j]
        start = a_start if a_start > b_start else b_start
        end = a_end if a_end < b_end else b_end
        if start < end:
            result.append((start, end))
        if a_end < b_end:
            i += 1
        else:
            j += 1
    return result


def subtract_sorted(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """`subtract` for normalised inputs (linear, no sorting)."""
    if not b:
        return list(a)
    result: list[Interval] = []
    j = 0
    n = len(b)
    for start, end in a:
        # Cut pieces out of [start, end) with every b interval that overlaps it.
        while j < n and b[j][1] <= start:
            j += 1
        k = j
        while k < n and b[k][0] < end:
            b_start, b_end = b[k]
            if b_start > start:
                result.append((start, b_start))
            if b_end > start:
                start = b_end
            if start >= end:
                break
            k += 1
        if start < end:
            result.append((start, end))
    return result


def covers(intervals: Iterable[Interval], interval: Interval) -> bool:
    """True when `interval` lies inside the union of `intervals` (empty: True)."""
    start, end = interval
    if start >= end:
        return True
    for i_start, i_end in merge(intervals):
        if i_start <= start and end <= i_end:
            return True
    return False


def total_length(intervals: Iterable[Interval]):
    """Sum of the lengths of the union (numbers: a number; datetimes: a timedelta)."""
    merged = merge(intervals)
    if not merged:
        return 0
    total = merged[0][1] - merged[0][0]
    for start, end in merged[1:]:
        total += end - start
    return total
