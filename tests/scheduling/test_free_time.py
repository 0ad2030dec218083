"""Free time, planned time and room seats: examples."""
import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st

from scheduling.availability import (BookedMeeting, CaseworkerAvailabilityInput, RoomBooking,
                                     WeeklySchedule, bookable_minutes_by_day, free_intervals,
                                     planned_intervals, room_free_intervals)

CPH = ZoneInfo('Europe/Copenhagen')
UTC = dt.timezone.utc
T = dt.time
MONDAY = dt.date(2026, 3, 2)
SCHEDULE = WeeklySchedule.for_weekdays(range(5), [(T(8), T(16))],
                                       [(T(10), T(10, 15)), (T(12), T(12, 30))])


def local(day, hour, minute=0):
    return dt.datetime.combine(day, T(hour, minute), tzinfo=CPH).astimezone(UTC)


def test_planned_time_is_hours_minus_pauses():
    assert planned_intervals(SCHEDULE, zone=CPH, first_day=MONDAY, last_day=MONDAY) == [
        (local(MONDAY, 8), local(MONDAY, 10)), (local(MONDAY, 10, 15), local(MONDAY, 12)),
        (local(MONDAY, 12, 30), local(MONDAY, 16))]


def test_bookable_minutes_per_day_on_dst_sundays():
    every_day = WeeklySchedule.for_weekdays(range(7), [(T(1), T(4)), (T(8), T(16))])
    minutes = bookable_minutes_by_day(every_day, zone=CPH, first_day=dt.date(2026, 3, 28),
                                      last_day=dt.date(2026, 3, 29))
    assert minutes == {dt.date(2026, 3, 28): 11 * 60, dt.date(2026, 3, 29): 10 * 60}
    minutes = bookable_minutes_by_day(every_day, zone=CPH, first_day=dt.date(2026, 10, 25),
                                      last_day=dt.date(2026, 10, 25))
    assert minutes == {dt.date(2026, 10, 25): 12 * 60}


def test_free_time_subtracts_everything():
    tuesday, wednesday = MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=2)
    cw = CaseworkerAvailabilityInput(
        caseworker_id=7, schedule=SCHEDULE,
        meetings=[BookedMeeting(local(MONDAY, 8, 30), local(MONDAY, 9), reporting_minutes=15)],
        absences=[(local(tuesday, 0), local(tuesday, 11))],
        closing_days={wednesday})
    free = free_intervals(cw, zone=CPH, first_day=MONDAY, last_day=wednesday + dt.timedelta(days=1),
                          organisation_closing_days=set())
    assert free[:4] == [
        (local(MONDAY, 8), local(MONDAY, 8, 30)), (local(MONDAY, 9, 15), local(MONDAY, 10)),
        (local(MONDAY, 10, 15), local(MONDAY, 12)), (local(MONDAY, 12, 30), local(MONDAY, 16))]
    assert free[4:6] == [(local(tuesday, 11), local(tuesday, 12)),
                         (local(tuesday, 12, 30), local(tuesday, 16))]
    assert all(start.astimezone(CPH).date() != wednesday for start, _ in free)
    assert free[6][0] == local(wednesday + dt.timedelta(days=1), 8)


def test_room_with_unlimited_capacity_is_always_free():
    window = (local(MONDAY, 8), local(MONDAY, 16))
    bookings = [RoomBooking(local(MONDAY, 9), local(MONDAY, 10), seats=500)]
    assert room_free_intervals(bookings, capacity=None, window=window) == [window]


def test_room_seats_with_overbooking():
    window = (local(MONDAY, 8), local(MONDAY, 12))
    bookings = [RoomBooking(local(MONDAY, 9), local(MONDAY, 11), seats=2),
                RoomBooking(local(MONDAY, 10), local(MONDAY, 12), seats=1)]
    # Capacity 2: full 09-11. With one extra seat: full only 10-11.
    assert room_free_intervals(bookings, capacity=2, window=window) == [
        (local(MONDAY, 8), local(MONDAY, 9)), (local(MONDAY, 11), local(MONDAY, 12))]
    assert room_free_intervals(bookings, capacity=2, overbooking_seats=1, window=window) == [
        (local(MONDAY, 8), local(MONDAY, 10)), (local(MONDAY, 11), local(MONDAY, 12))]
    # A group of two needs two seats left.
    assert room_free_intervals(bookings, capacity=2, overbooking_seats=1, seats_needed=2,
                               window=window) == [
        (local(MONDAY, 8), local(MONDAY, 9)), (local(MONDAY, 11), local(MONDAY, 12))]
    assert room_free_intervals([], capacity=1, seats_needed=2, window=window) == []


def test_room_bookings_outside_the_window_and_naive_utc():
    window = (dt.datetime(2026, 3, 2, 8), dt.datetime(2026, 3, 2, 10))   # naive UTC
    bookings = [RoomBooking(dt.datetime(2026, 3, 2, 6), dt.datetime(2026, 3, 2, 9)),
                RoomBooking(dt.datetime(2026, 3, 2, 9, 30), dt.datetime(2026, 3, 2, 11))]
    assert room_free_intervals(bookings, capacity=1, window=window) == [
        (dt.datetime(2026, 3, 2, 9, tzinfo=UTC), dt.datetime(2026, 3, 2, 9, 30, tzinfo=UTC))]


booking = st.tuples(st.integers(0, 30), st.integers(1, 12), st.integers(0, 3))


@given(st.lists(booking, max_size=8), st.one_of(st.none(), st.integers(0, 5)),
       st.integers(0, 2), st.integers(1, 4), st.integers(0, 20), st.integers(1, 40))
def test_room_free_means_enough_seats_at_every_minute(raw, capacity, extra, needed, w_start, w_len):
    base = dt.datetime(2026, 3, 2, tzinfo=UTC)
    at = lambda minute: base + dt.timedelta(minutes=minute)  # noqa: E731
    bookings = [RoomBooking(at(s), at(s + length), seats) for s, length, seats in raw]
    window = (at(w_start), at(w_start + w_len))
    free = room_free_intervals(bookings, capacity=capacity, overbooking_seats=extra,
                               seats_needed=needed, window=window)
    for minute in range(w_start - 2, w_start + w_len + 2):
        used = sum(seats for s, length, seats in raw if s <= minute < s + length)
        expected = (w_start <= minute < w_start + w_len
                    and (capacity is None or used + needed <= capacity + extra))
        assert any(s <= at(minute) < e for s, e in free) == expected


def test_a_calendar_asked_again_gives_the_same_free_time_and_stays_bounded(monkeypatch):
    """A calendar kept between questions remembers meetings' minutes: the
    same meetings give the same free time the second time, new meetings
    count, and it forgets rather than grows past its bound."""
    from scheduling import availability
    monkeypatch.setattr(availability, '_MEETINGS_REMEMBERED', 3)
    calendar = availability.AvailabilityCalendar(CPH, MONDAY, MONDAY + dt.timedelta(days=4))

    def free_on_monday(meetings):
        days = calendar.caseworker_days(CaseworkerAvailabilityInput(
            caseworker_id=1, schedule=SCHEDULE, meetings=meetings))
        planned, _minutes = days.plan(0)
        return days.free(0, planned), days.booked_minutes(0)

    nine = BookedMeeting(local(MONDAY, 9), local(MONDAY, 9, 30), 15)
    first = free_on_monday([nine])
    assert first == free_on_monday([nine])
    assert first[1] == 30
    # Busy 09:00-09:45 (reporting included), free again until the 10:00 pause.
    assert [(calendar.instant(s), calendar.instant(e)) for s, e in first[0][:2]] == [
        (local(MONDAY, 8), local(MONDAY, 9)), (local(MONDAY, 9, 45), local(MONDAY, 10))]
    later = [BookedMeeting(local(MONDAY + dt.timedelta(days=d), 13), local(
        MONDAY + dt.timedelta(days=d), 14)) for d in range(5)]
    free, booked = free_on_monday([nine] + later)
    assert booked == 30 + 60
    assert len(calendar._meetings) <= 3
    assert free_on_monday([nine]) == first
