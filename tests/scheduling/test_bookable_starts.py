"""Bookable starts: examples, DST Sundays, shares, notice, grids, rooms."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from scheduling.availability import (AvailabilityCalendar, BookedMeeting,
                                     CaseworkerAvailabilityInput, WeeklySchedule)
from scheduling.slots import bookable_starts, caseworker_starts, share_allows

CPH = ZoneInfo('Europe/Copenhagen')
T = dt.time
MONDAY = dt.date(2026, 3, 2)
LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
WORKWEEK = WeeklySchedule.for_weekdays(range(5), [(T(8), T(16))], [(T(12), T(12, 30))])


def local(day, hour, minute=0, fold=0):
    return dt.datetime.combine(day, T(hour, minute), tzinfo=CPH).replace(fold=fold)


def caseworker(schedule=WORKWEEK, **fields):
    return CaseworkerAvailabilityInput(caseworker_id=fields.pop('caseworker_id', 1),
                                       schedule=schedule, **fields)


def starts(cw=None, first_day=MONDAY, last_day=MONDAY, **query):
    query.setdefault('now', LONG_AGO)
    query.setdefault('duration_minutes', 45)
    query.setdefault('reporting_minutes', 15)
    query.setdefault('grid_minutes', 15)
    cw = cw or caseworker()
    return bookable_starts([cw], zone=CPH, first_day=first_day, last_day=last_day,
                           **query)[cw.caseworker_id]


def wall(result):
    return [s.astimezone(CPH).strftime('%H:%M') for s in result]


def quarter_hours(first, last):
    h, m = map(int, first.split(':'))
    out = []
    while f'{h:02}:{m:02}' <= last:
        out.append(f'{h:02}:{m:02}')
        h, m = (h + 1, 0) if m == 45 else (h, m + 15)
    return out


def test_plain_day_respects_pause_and_end_of_hours():
    # 45 + 15 minutes: last start before the pause 11:00, after it 12:30, last 15:00.
    assert wall(starts()) == quarter_hours('08:00', '11:00') + quarter_hours('12:30', '15:00')


def test_results_are_aware_utc_and_ascending():
    result = starts()
    assert all(s.tzinfo == dt.timezone.utc for s in result)
    assert result == sorted(result)
    assert result[0] == dt.datetime(2026, 3, 2, 7, tzinfo=dt.timezone.utc)


def test_meeting_blocks_its_reporting_time_too():
    meeting = BookedMeeting(local(MONDAY, 9), local(MONDAY, 9, 45), reporting_minutes=15)
    result = wall(starts(caseworker(meetings=[meeting])))
    assert '08:00' in result and '08:15' not in result   # 08:15 + 60 would run into 09:00
    assert '09:45' not in result                          # reporting until 10:00
    assert '10:00' in result


def test_staff_grid_is_five_minutes():
    result = wall(starts(grid_minutes=5, duration_minutes=30, reporting_minutes=0))
    assert result[:3] == ['08:00', '08:05', '08:10']
    assert '11:30' in result and '11:35' not in result


def test_citizen_grids_of_30_and_60():
    assert wall(starts(grid_minutes=60))[:4] == ['08:00', '09:00', '10:00', '11:00']
    assert wall(starts(grid_minutes=30))[:3] == ['08:00', '08:30', '09:00']


def test_grid_follows_local_wall_clock_in_half_hour_offset_zones():
    zone = ZoneInfo('Asia/Kolkata')   # UTC+05:30
    cw = caseworker(schedule=WeeklySchedule.for_weekdays(range(7), [(T(9), T(12))]))
    result = bookable_starts([cw], zone=zone, first_day=MONDAY, last_day=MONDAY, now=LONG_AGO,
                             duration_minutes=60, grid_minutes=60)[1]
    assert [s.astimezone(zone).strftime('%H:%M') for s in result] == ['09:00', '10:00', '11:00']


def test_never_before_now_plus_notice():
    now = local(MONDAY, 10, 7)
    assert wall(starts(now=now))[0] == '10:15'
    assert wall(starts(now=now, min_notice=dt.timedelta(minutes=30)))[0] == '10:45'
    # 11:15 + 60 minutes would run into the 12:00 pause.
    assert wall(starts(now=now, min_notice=dt.timedelta(hours=1)))[0] == '12:30'
    assert starts(now=local(MONDAY, 16)) == []


def test_date_range_includes_its_last_day():
    result = starts(first_day=MONDAY, last_day=MONDAY + dt.timedelta(days=6))
    days = sorted({s.astimezone(CPH).date() for s in result})
    assert days == [MONDAY + dt.timedelta(days=i) for i in range(5)]
    assert starts(first_day=MONDAY + dt.timedelta(days=1), last_day=MONDAY) == []


def test_closing_days_of_organisation_and_team():
    tuesday = MONDAY + dt.timedelta(days=1)
    week = dict(first_day=MONDAY, last_day=MONDAY + dt.timedelta(days=4))
    cw = caseworker(closing_days={tuesday})
    result = starts(cw, organisation_closing_days={MONDAY}, **week)
    days = {s.astimezone(CPH).date() for s in result}
    assert MONDAY not in days and tuesday not in days and len(days) == 3


def test_absence_is_subtracted_to_the_minute():
    absence = (local(MONDAY, 9, 10), local(MONDAY, 13))
    assert wall(starts(caseworker(absences=[absence])))[:2] == ['08:00', '13:00']


def test_busy_seconds_round_outward():
    meeting = BookedMeeting(local(MONDAY, 8, 59) + dt.timedelta(seconds=30),
                            local(MONDAY, 9, 44) + dt.timedelta(seconds=30))
    result = wall(starts(caseworker(meetings=[meeting]), grid_minutes=5,
                         duration_minutes=10, reporting_minutes=0))
    assert '08:45' in result and '08:50' not in result and '09:40' not in result
    assert '09:45' in result


def test_naive_utc_and_aware_inputs_agree():
    meeting = BookedMeeting(local(MONDAY, 9), local(MONDAY, 9, 45), 15)
    naive = BookedMeeting(*(m.astimezone(dt.timezone.utc).replace(tzinfo=None)
                            for m in (meeting.start, meeting.end)), 15)
    now = local(MONDAY, 8, 20)
    assert starts(caseworker(meetings=[meeting]), now=now) == starts(
        caseworker(meetings=[naive]), now=now.astimezone(dt.timezone.utc).replace(tzinfo=None))


# --- shares -----------------------------------------------------------------

def test_share_allows_is_inclusive():
    assert share_allows(195, 45, 480, 50)        # 240 == 50 % of 480
    assert not share_allows(200, 45, 480, 50)


def test_day_share_caps_booked_meeting_time():
    # Bookable 08-16 minus a 30-minute pause = 450 minutes; 50 % = 225.
    meetings = [BookedMeeting(local(MONDAY, 8), local(MONDAY, 9, 30))]   # 90 minutes booked
    cw = caseworker(meetings=meetings, max_share_percent=50, auto_share_percent=30)
    assert starts(cw, duration_minutes=135, reporting_minutes=0)          # 225 <= 225
    assert starts(cw, duration_minutes=140, reporting_minutes=0) == []    # 230 > 225
    # Auto share 30 % = 135: 90 + 45 fits, 90 + 50 does not.
    assert starts(cw, share='auto', duration_minutes=45, reporting_minutes=0)
    assert starts(cw, share='auto', duration_minutes=50, reporting_minutes=0) == []


def test_reporting_time_does_not_count_towards_the_share():
    meetings = [BookedMeeting(local(MONDAY, 8), local(MONDAY, 9, 30), reporting_minutes=60)]
    cw = caseworker(meetings=meetings, max_share_percent=50)
    assert starts(cw, duration_minutes=135, reporting_minutes=30)


def test_share_is_counted_per_local_day():
    tuesday = MONDAY + dt.timedelta(days=1)
    meetings = [BookedMeeting(local(MONDAY, 8), local(MONDAY, 11))]
    cw = caseworker(meetings=meetings, max_share_percent=50)
    result = starts(cw, last_day=tuesday, duration_minutes=60, reporting_minutes=0)
    assert {s.astimezone(CPH).date() for s in result} == {tuesday}


def test_caseworker_starts_takes_an_explicit_share():
    calendar = AvailabilityCalendar(CPH, MONDAY, MONDAY)
    cw = caseworker(meetings=[BookedMeeting(local(MONDAY, 8), local(MONDAY, 11))])
    query = dict(now=LONG_AGO, duration_minutes=60, grid_minutes=15)
    assert caseworker_starts(calendar, cw, **query)
    assert caseworker_starts(calendar, cw, share_percent=50, **query) == []


# --- DST Sundays ----------------------------------------------------------------

SUNDAY_HOURS = WeeklySchedule(hours={6: [(T(8), T(16))]})
NIGHT_HOURS = WeeklySchedule(hours={6: [(T(1), T(4))]})
SPRING, AUTUMN = dt.date(2026, 3, 29), dt.date(2026, 10, 25)


@pytest.mark.parametrize('day', [SPRING, AUTUMN])
def test_dst_sunday_day_hours_give_eight_hours_of_starts(day):
    result = starts(caseworker(schedule=SUNDAY_HOURS), first_day=day, last_day=day,
                    duration_minutes=60, reporting_minutes=0, grid_minutes=60)
    assert wall(result) == ['08:00', '09:00', '10:00', '11:00', '12:00', '13:00', '14:00', '15:00']
    assert result[0] == local(day, 8)


def test_spring_forward_night_range_skips_the_missing_hour():
    result = starts(caseworker(schedule=NIGHT_HOURS), first_day=SPRING, last_day=SPRING,
                    duration_minutes=60, reporting_minutes=0, grid_minutes=60)
    assert wall(result) == ['01:00', '03:00']
    assert result[1] - result[0] == dt.timedelta(hours=1)


def test_spring_forward_meeting_may_run_across_the_jump():
    # 01:30 CET + 60 minutes ends 03:30 CEST: still inside 01:00-04:00 on the clock.
    result = starts(caseworker(schedule=NIGHT_HOURS), first_day=SPRING, last_day=SPRING,
                    duration_minutes=60, reporting_minutes=0, grid_minutes=30)
    assert wall(result) == ['01:00', '01:30', '03:00']


def test_fall_back_night_range_offers_the_repeated_hour_twice():
    result = starts(caseworker(schedule=NIGHT_HOURS), first_day=AUTUMN, last_day=AUTUMN,
                    duration_minutes=60, reporting_minutes=0, grid_minutes=60)
    assert wall(result) == ['01:00', '02:00', '02:00', '03:00']
    # (Aware datetimes in a fold never compare equal across zones: compare in UTC.)
    assert result[1] == local(AUTUMN, 2, fold=0).astimezone(dt.timezone.utc)
    assert result[2] == local(AUTUMN, 2, fold=1).astimezone(dt.timezone.utc)
    assert result[2] - result[1] == dt.timedelta(hours=1)


def test_pause_in_the_repeated_hour_applies_to_both_occurrences():
    schedule = WeeklySchedule(hours={6: [(T(1), T(4))]}, pauses={6: [(T(2), T(2, 30))]})
    result = starts(caseworker(schedule=schedule), first_day=AUTUMN, last_day=AUTUMN,
                    duration_minutes=30, reporting_minutes=0, grid_minutes=30)
    assert wall(result) == ['01:00', '01:30', '02:30', '02:30', '03:00', '03:30']


def test_week_across_the_dst_change_keeps_local_eight_oclock():
    result = starts(first_day=dt.date(2026, 3, 27), last_day=dt.date(2026, 3, 30),
                    duration_minutes=60, reporting_minutes=0, grid_minutes=60)
    firsts = {}
    for s in result:
        firsts.setdefault(s.astimezone(CPH).date(), s)
    assert [f.astimezone(CPH).time() for f in firsts.values()] == [T(8), T(8)]
    assert [f.hour for f in firsts.values()] == [7, 6]   # UTC hour moves with the clock


# --- many caseworkers, rooms, arguments -------------------------------------------

def test_many_caseworkers_each_get_their_own_answer():
    late = WeeklySchedule.for_weekdays(range(5), [(T(12), T(14))])
    result = bookable_starts(
        [caseworker(caseworker_id='a'), caseworker(caseworker_id='b', schedule=late),
         caseworker(caseworker_id='c', closing_days={MONDAY})],
        zone='Europe/Copenhagen', first_day=MONDAY, last_day=MONDAY, now=LONG_AGO,
        duration_minutes=60, grid_minutes=60)
    assert wall(result['b']) == ['12:00', '13:00']
    assert len(result['a']) > 2
    assert result['c'] == []


def test_room_must_be_free_for_the_meeting_but_not_the_reporting():
    room_free = [(local(MONDAY, 9), local(MONDAY, 10)), (local(MONDAY, 10), local(MONDAY, 11))]
    result = wall(starts(room_free=room_free, duration_minutes=45, reporting_minutes=15))
    # Two touching intervals (two rooms) do not host a meeting straddling 10:00.
    assert result == ['09:00', '09:15', '10:00', '10:15']


def test_invalid_arguments_are_refused():
    with pytest.raises(ValueError):
        starts(grid_minutes=7)
    with pytest.raises(ValueError):
        starts(duration_minutes=0)
    with pytest.raises(ValueError):
        starts(share='half')
    with pytest.raises(ValueError):
        bookable_starts([caseworker(), caseworker()], zone=CPH, first_day=MONDAY,
                        last_day=MONDAY, now=LONG_AGO, duration_minutes=30)
