"""Citizens' free times come from a per-process cache of caseworkers' fixed
availability (hours, pauses, absences, closing days, reservations), valid
while the planning revision stands. The database's triggers raise it on
every write to those tables, however the write is made and from whichever
process; bookings do not raise it, and meetings are read fresh each time."""
import datetime as dt

import pytest
from playhouse.db_url import connect

from models import (FIXED_AVAILABILITY_TABLES, Absence, CaseworkerTeam, ClosingDay, Pause,
                    ReservedTime, Team, WorkingHours, planning_revision)
from planner import booking, loading
from planner.loading import free_starts
from tests.summons_support import CPH, MONDAY, NOW, TUESDAY, centre, local  # noqa: F401

UTC = dt.timezone.utc


def times_on(starts, day):
    return {s.astimezone(CPH).time() for s in starts if s.astimezone(CPH).date() == day}


def anne_starts(centre):
    anne = centre.caseworkers[0]
    starts, _calendar, _inputs = free_starts(centre.org, centre.team, [anne], MONDAY, TUESDAY,
                                             now=NOW, duration_minutes=45)
    return starts[anne.id]


def naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


# One row of each table behind fixed availability, made the way the pages make it.
ROWS = {
    'working_hours': lambda c: WorkingHours.create(caseworker=c.caseworkers[0], weekday=5,
                                                   start=dt.time(9), end=dt.time(12)),
    'pause': lambda c: Pause.create(caseworker=c.caseworkers[0], weekday=0,
                                    start=dt.time(10), end=dt.time(10, 15)),
    'absence': lambda c: Absence.create(caseworker=c.caseworkers[0],
                                        starts_at=naive(local(MONDAY, 9)),
                                        ends_at=naive(local(MONDAY, 11))),
    'closing_day': lambda c: ClosingDay.create(organisation=c.org, team=c.team, date=TUESDAY),
    'reserved_time': lambda c: ReservedTime.create(organisation=c.org, team=c.team, weekday=0,
                                                   purpose=ReservedTime.SUMMONS),
    'caseworker_team': lambda c: CaseworkerTeam.create(
        caseworker=c.caseworkers[0], team=Team.create(organisation=c.org, name='Ydelse')),
}


def test_every_table_of_fixed_availability_has_a_row_here():
    assert set(ROWS) == set(FIXED_AVAILABILITY_TABLES)


@pytest.mark.parametrize('table', sorted(ROWS))
def test_adding_changing_and_removing_a_row_raises_the_revision(centre, table):
    before = planning_revision()
    row = ROWS[table](centre)
    added = planning_revision()
    assert added > before
    row.save()
    changed = planning_revision()
    assert changed > added
    row.delete_instance()
    assert planning_revision() > changed


def test_a_booking_does_not_raise_the_revision_and_its_time_is_gone_at_once(centre):
    anne = centre.caseworkers[0]
    assert dt.time(9) in times_on(anne_starts(centre), MONDAY)
    before = planning_revision()
    booking.book(booking.MeetingRequest(
        organisation=centre.org, team=centre.team, meeting_type=centre.meeting_type,
        caseworker=anne, starts_at=local(MONDAY, 9), duration_minutes=45,
        created_by=centre.planner), now=NOW)
    assert planning_revision() == before          # staff's edits never wait for bookings
    assert dt.time(9) not in times_on(anne_starts(centre), MONDAY)


def test_writes_by_another_connection_show_in_the_next_answer(centre, database_url):
    """Another app process writes with its own connection, with plain SQL:
    the triggers raise the revision, so this process reads the tables again."""
    anne = centre.caseworkers[0]
    starts = anne_starts(centre)
    assert dt.time(9) in times_on(starts, MONDAY) and times_on(starts, TUESDAY)
    other = connect(database_url)
    mark = other.param
    try:
        with other.atomic():
            other.execute_sql(
                f'INSERT INTO absence (caseworker_id, starts_at, ends_at, reason, created_at) '
                f'VALUES ({mark}, {mark}, {mark}, {mark}, {mark})',
                (anne.id, naive(local(MONDAY, 8)), naive(local(MONDAY, 12)), 'Kursus',
                 naive(NOW)))
            other.execute_sql(
                f'INSERT INTO closing_day (organisation_id, team_id, date, name) '
                f'VALUES ({mark}, {mark}, {mark}, {mark})',
                (centre.org.id, centre.team.id, TUESDAY, 'Personaledag'))
    finally:
        other.close()
    starts = anne_starts(centre)
    assert min(times_on(starts, MONDAY)) >= dt.time(12)
    assert not times_on(starts, TUESDAY)


def test_working_hours_changed_by_another_connection_show_at_once(centre, database_url):
    anne = centre.caseworkers[0]
    assert loading.weekly_schedules([anne.id])[anne.id].hours[0] == [(dt.time(8), dt.time(16))]
    other = connect(database_url)
    try:
        other.execute_sql(f'UPDATE working_hours SET "end" = {other.param} '
                          f'WHERE caseworker_id = {other.param} AND weekday = 0',
                          ('14:00:00', anne.id))
    finally:
        other.close()
    assert loading.weekly_schedules([anne.id])[anne.id].hours[0] == [(dt.time(8), dt.time(14))]
    assert max(times_on(anne_starts(centre), MONDAY)) == dt.time(13, 15)


def test_an_unchanged_revision_answers_from_the_cache(centre, monkeypatch):
    anne_starts(centre)
    reads = []
    real = loading.fixed_inputs
    monkeypatch.setattr(loading, 'fixed_inputs', lambda *a, **k: reads.append(1) or real(*a, **k))
    first = anne_starts(centre)
    assert reads == []                                       # nothing read again
    Pause.create(caseworker=centre.caseworkers[0], weekday=0, start=dt.time(13),
                 end=dt.time(14))
    second = anne_starts(centre)
    assert reads == [1]
    assert dt.time(13) in times_on(first, MONDAY)
    assert not {t for t in times_on(second, MONDAY) if dt.time(12, 30) < t < dt.time(14)}
