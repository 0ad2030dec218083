"""Prepared reads (models.prepared) and the planner loaders built on them.

A prepared read builds its query once per database kind, shape and list
lengths and binds the values on each call. These tests check that it answers
exactly as the same peewee query built with the values would, call after
call, and that the loaders read a small hand-made team right.

The week: Monday 1 to Friday 5 March 2027 in Copenhagen. Anne, Bent and
Carla (team Dagpenge, Mon-Fri 08:00-16:00, lunch 12:00-12:30; Carla also in
team Unge) and Dorte (team Unge only, Mon-Wed 09:00-15:00, no pause).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from models import (Absence, CaseworkerTeam, ClosingDay, Meeting, MeetingCaseworker, Pause,
                    ReservedTime, Team, User, WorkingHours, db, prepared)
from planner import loading
from planner.loading import (_absence_rows, _booked_rows, _citizen_rows,
                             _offer_caseworker_rows, _organisation_closing_rows,
                             _reserved_rows, _weekly_rows)
from scheduling import reserved
from scheduling.availability import AvailabilityCalendar, BookedMeeting
from scheduling.localtime import naive_utc
from scheduling.rules import CitizenFacts
from tests.summons_support import MONDAY, TUESDAY, local, make_team
from tests.test_offers_support import make_caseworker, make_citizen, make_offer

WEDNESDAY, THURSDAY, FRIDAY = (MONDAY + dt.timedelta(days=n) for n in (2, 3, 4))
NEXT_MONDAY = MONDAY + dt.timedelta(days=7)


def utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A Copenhagen wall-clock time as stored: naive UTC."""
    return naive_utc(local(day, hour, minute))


@dataclass
class Week:
    org: object
    other_org: object
    team: Team
    unge: Team
    anne: object
    bent: object
    carla: object
    dorte: object
    own: Meeting          # Anne's, Monday 10:00-10:45 + 15 minutes reporting
    group: Meeting        # Bent's group meeting, Wednesday 09:00-11:00, Carla staffs it too
    absence: Absence      # Bent, Tuesday 10:00-12:00
    later_absence: Absence
    anne_reserved: ReservedTime
    team_reserved: ReservedTime
    mette: User           # dagpenge, marked 'ledig', born 1 January 1990
    sune: User            # no profile
    gone: User            # inactive
    offer: object         # Bent and Anne
    offer2: object        # Carla

    @property
    def staff(self):
        return [self.anne, self.bent, self.carla, self.dorte]


def _meetings(org, team, meeting_type, anne, bent, carla):
    own = Meeting.create(organisation=org, team=team, meeting_type=meeting_type, caseworker=anne,
                         starts_at=utc(MONDAY, 10), ends_at=utc(MONDAY, 10, 45),
                         reporting_minutes=15)
    # Cancelled, and next week's: never busy this week.
    Meeting.create(organisation=org, team=team, meeting_type=meeting_type, caseworker=anne,
                   starts_at=utc(MONDAY, 13), ends_at=utc(MONDAY, 14), status=Meeting.CANCELLED)
    Meeting.create(organisation=org, team=team, meeting_type=meeting_type, caseworker=anne,
                   starts_at=utc(NEXT_MONDAY, 9), ends_at=utc(NEXT_MONDAY, 10))
    group = Meeting.create(organisation=org, team=team, meeting_type=meeting_type,
                           caseworker=bent, form=Meeting.GROUP, seats=8,
                           starts_at=utc(WEDNESDAY, 9), ends_at=utc(WEDNESDAY, 11))
    MeetingCaseworker.create(meeting=group, caseworker=carla)
    return own, group


@pytest.fixture
def week(jobcentre, make_user, make_org):
    centre = make_team(jobcentre, make_user, 3)
    org, team = centre.org, centre.team
    anne, bent, carla = centre.caseworkers
    unge = Team.create(organisation=org, name='Unge', address='Jobvej 2', postcode='8000',
                       city='Aarhus C')
    dorte = make_caseworker(org, unge, make_user, 'Dorte Dahl', hours=(dt.time(9), dt.time(15)),
                            weekdays=range(3), pause=None)
    CaseworkerTeam.create(caseworker=carla, team=unge)
    own, group = _meetings(org, team, centre.meeting_type, anne, bent, carla)
    absence = Absence.create(caseworker=bent, starts_at=utc(TUESDAY, 10),
                             ends_at=utc(TUESDAY, 12))
    later = Absence.create(caseworker=bent, starts_at=utc(NEXT_MONDAY, 8),
                           ends_at=utc(NEXT_MONDAY, 16))
    other_org = make_org('planner', 'Jobcenter Andetby')
    ClosingDay.create(organisation=org, date=THURSDAY, name='Lukket')
    ClosingDay.create(organisation=org, date=NEXT_MONDAY, name='Senere')
    ClosingDay.create(organisation=org, team=unge, date=WEDNESDAY, name='Teamdag')
    ClosingDay.create(organisation=org, team=team, date=NEXT_MONDAY, name='Teamdag')
    ClosingDay.create(organisation=other_org, date=FRIDAY, name='Andetby lukket')
    anne_reserved = ReservedTime.create(organisation=org, caseworker=anne,
                                        purpose=ReservedTime.SELF_BOOKING, weekday=0,
                                        first_day=MONDAY, last_day=FRIDAY,
                                        start=dt.time(14), end=dt.time(16))
    team_reserved = ReservedTime.create(organisation=org, team=team,
                                        purpose=ReservedTime.SUMMONS, first_day=FRIDAY,
                                        last_day=FRIDAY)
    ReservedTime.create(organisation=org, team=unge, purpose=ReservedTime.SUMMONS,
                        first_day=NEXT_MONDAY, last_day=NEXT_MONDAY)
    mette = make_citizen(org, make_user, 'Mette Borger', cpr='0101901234', markings=('ledig',))
    sune = make_user(org, User.CITIZEN, name='Sune Uden Profil', cpr='0202851235')
    gone = make_citizen(org, make_user, 'Gone Borger', cpr='0303801236')
    gone.active = False
    gone.save()
    make_citizen(other_org, make_user, 'Anden Borger', cpr='0404701237')
    offer = make_offer(org, team, [bent, anne], first_day=MONDAY)
    offer2 = make_offer(org, team, [carla], number=2, first_day=MONDAY)
    return Week(org, other_org, team, unge, anne, bent, carla, dorte, own, group, absence,
                later, anne_reserved, team_reserved, mette, sune, gone, offer, offer2)


@pytest.fixture
def executed(monkeypatch):
    """The (sql, params) of every statement sent from here on."""
    sent = []
    original = db.obj.execute_sql

    def spy(sql, params=None, *args, **kwargs):
        sent.append((sql, tuple(params or ())))
        return original(sql, params, *args, **kwargs)

    monkeypatch.setattr(db.obj, 'execute_sql', spy)
    return sent


def unprepared(read, *shape, **values) -> list[tuple]:
    """The rows of the same query with the values written in by peewee."""
    return db.execute(read.__wrapped__(SimpleNamespace(**values), *shape)).fetchall()


# --- 1. the same rows as the unprepared query, call after call ------------------

def ids(*rows) -> list[int]:
    return [row.id for row in rows]


def _cases(w: Week) -> dict:
    """Per prepared read: (shape, values) calls in a row; consecutive calls of
    one statement have different answers, so a reused value would show."""
    org = w.org.id
    start, end = loading.utc_window(w.org, MONDAY, FRIDAY)
    next_start, next_end = loading.utc_window(w.org, NEXT_MONDAY, NEXT_MONDAY)
    return {
        '_weekly_rows': [
            ((WorkingHours,), dict(ids=ids(w.anne))), ((WorkingHours,), dict(ids=ids(w.dorte))),
            ((WorkingHours,), dict(ids=ids(w.anne, w.bent, w.dorte))),
            ((WorkingHours,), dict(ids=ids(w.dorte, w.carla, w.bent))),
            ((WorkingHours,), dict(ids=[])), ((Pause,), dict(ids=ids(w.bent))),
            ((Pause,), dict(ids=ids(w.dorte)))],
        '_organisation_closing_rows': [
            ((), dict(organisation=org, first=MONDAY, last=FRIDAY)),
            ((), dict(organisation=org, first=MONDAY, last=WEDNESDAY)),
            ((), dict(organisation=org, first=MONDAY, last=NEXT_MONDAY)),
            ((), dict(organisation=w.other_org.id, first=MONDAY, last=FRIDAY))],
        '_absence_rows': [
            ((), dict(ids=ids(w.bent), start=start, end=end)),
            ((), dict(ids=ids(w.bent), start=next_start, end=next_end)),
            ((), dict(ids=ids(w.anne), start=start, end=end)),
            ((), dict(ids=ids(w.anne, w.bent, w.carla), start=start, end=next_end)),
            ((), dict(ids=ids(w.anne, w.carla, w.dorte), start=start, end=next_end)),
            ((), dict(ids=[], start=start, end=next_end))],
        '_booked_rows': [
            ((True, False), dict(ids=ids(w.anne), start=start, end=end)),
            ((True, False), dict(ids=ids(w.bent), start=start, end=end)),
            ((True, False), dict(ids=ids(w.carla), start=start, end=end)),
            ((True, False), dict(ids=ids(w.anne, w.bent, w.carla), start=start, end=end)),
            ((True, False), dict(ids=ids(w.anne, w.bent, w.carla), start=start, end=next_end)),
            ((True, False), dict(ids=[], start=start, end=next_end)),
            ((False, False), dict(ids=ids(w.anne, w.bent, w.carla), start=start, end=end)),
            ((True, True), dict(ids=ids(w.anne, w.bent, w.carla), start=start, end=end,
                                exclude=w.group.id)),
            ((True, True), dict(ids=ids(w.anne, w.bent, w.carla), start=start, end=end,
                                exclude=w.own.id)),
            ((False, True), dict(ids=ids(w.carla), start=start, end=end, exclude=w.own.id)),
            ((False, True), dict(ids=ids(w.carla), start=start, end=end, exclude=w.group.id))],
        '_team_rows': [
            ((), dict(ids=ids(w.carla))), ((), dict(ids=ids(w.dorte))),
            ((), dict(ids=ids(w.anne, w.carla, w.dorte))),
            ((), dict(ids=ids(w.anne, w.bent, w.dorte))), ((), dict(ids=[]))],
        '_team_closing_rows': [
            ((), dict(teams=ids(w.unge), first=MONDAY, last=FRIDAY)),
            ((), dict(teams=ids(w.team), first=MONDAY, last=NEXT_MONDAY)),
            ((), dict(teams=ids(w.unge), first=MONDAY, last=NEXT_MONDAY)),
            ((), dict(teams=ids(w.team, w.unge), first=MONDAY, last=NEXT_MONDAY)),
            ((), dict(teams=[], first=MONDAY, last=NEXT_MONDAY))],
        '_reserved_rows': [
            ((), dict(organisation=org, ids=ids(w.anne), teams=[0], first=MONDAY, last=FRIDAY)),
            ((), dict(organisation=org, ids=ids(w.bent), teams=ids(w.team), first=MONDAY,
                      last=FRIDAY)),
            ((), dict(organisation=org, ids=ids(w.bent), teams=ids(w.unge), first=MONDAY,
                      last=NEXT_MONDAY)),
            ((), dict(organisation=org, ids=ids(w.anne, w.bent, w.carla),
                      teams=ids(w.team, w.unge), first=MONDAY, last=NEXT_MONDAY)),
            ((), dict(organisation=org, ids=[], teams=ids(w.team), first=MONDAY,
                      last=NEXT_MONDAY)),
            ((), dict(organisation=w.other_org.id, ids=[], teams=ids(w.team), first=MONDAY,
                      last=NEXT_MONDAY)),
            ((), dict(organisation=org, ids=[], teams=[], first=MONDAY, last=NEXT_MONDAY))],
        '_citizen_rows': [
            ((False,), dict(organisation=org)), ((False,), dict(organisation=w.other_org.id)),
            ((True,), dict(organisation=org, ids=ids(w.mette))),
            ((True,), dict(organisation=org, ids=ids(w.sune))),
            ((True,), dict(organisation=org, ids=ids(w.mette, w.gone, w.sune))),
            ((True,), dict(organisation=org, ids=[]))],
        '_offer_caseworker_rows': [
            ((), dict(ids=[w.offer.id])), ((), dict(ids=[w.offer2.id])),
            ((), dict(ids=[w.offer2.id, 0, w.offer.id])), ((), dict(ids=[]))],
    }


ORDERED = {'_weekly_rows', '_offer_caseworker_rows'}    # their queries sort the rows


@pytest.mark.parametrize('name', ['_weekly_rows', '_organisation_closing_rows', '_absence_rows',
                                  '_booked_rows', '_team_rows', '_team_closing_rows',
                                  '_reserved_rows', '_citizen_rows', '_offer_caseworker_rows'])
def test_a_prepared_read_answers_as_the_unprepared_query_call_after_call(week, name):
    read = getattr(loading, name)
    same = (lambda rows: rows) if name in ORDERED else Counter
    previous = None
    for shape, values in _cases(week)[name]:
        expected = unprepared(read, *shape, **values)
        assert same(read.rows(*shape, **values)) == same(expected), (shape, values)
        lengths = sorted((k, len(v)) for k, v in values.items() if isinstance(v, list))
        if lengths and not any(n for _k, n in lengths):
            assert expected == []         # an empty IN matches nothing
        statement = (shape, lengths)
        if previous and previous[0] == statement:
            assert same(expected) != same(previous[1]), 'cases cannot tell the calls apart'
        previous = (statement, expected)


def test_lists_of_one_three_and_no_ids_each_get_their_own_rows(week):
    anne, bent, carla, dorte = (c.id for c in week.staff)
    for chosen in ([anne], [anne, bent, dorte], [], [dorte], [carla, bent, anne], [], [bent]):
        assert {row[0] for row in _weekly_rows.rows(WorkingHours, ids=chosen)} == set(chosen)


def test_the_query_is_built_once_per_shape_and_list_lengths(week):
    built = []

    def build(p, model):
        built.append(model)
        return _weekly_rows.__wrapped__(p, model)

    read = prepared(build)
    anne, bent, carla, dorte = (c.id for c in week.staff)
    for chosen in ([anne], [dorte], [bent], [anne, bent, carla], [dorte, carla, bent]):
        assert {row[0] for row in read.rows(WorkingHours, ids=chosen)} == set(chosen)
    assert built == [WorkingHours, WorkingHours]         # one statement per list length
    assert {row[0] for row in read.rows(Pause, ids=[bent])} == {bent}
    assert built == [WorkingHours, WorkingHours, Pause]  # another shape, another statement


# --- 2. the shape chooses the form -------------------------------------------------

def test_booked_rows_shape_chooses_own_meetings_and_the_excluded_one(week, executed):
    start, end = loading.utc_window(week.org, MONDAY, FRIDAY)
    people = dict(ids=[week.anne.id, week.bent.id, week.carla.id], start=start, end=end)
    own = (week.anne.id, utc(MONDAY, 10), utc(MONDAY, 10, 45), 15)

    def group_of(who):
        return (who.id, utc(WEDNESDAY, 9), utc(WEDNESDAY, 11), 0)

    def read(with_own, excluding, **more):
        executed.clear()
        rows = _booked_rows.rows(with_own, excluding, **people, **more)
        (sql, _params), = executed
        return sorted((cid, loading.read_instant(s), loading.read_instant(e), r)
                      for cid, s, e, r in rows), sql

    both, both_sql = read(True, False)
    assert both == sorted([own, group_of(week.bent), group_of(week.carla)])
    staffed, staffed_sql = read(False, False)
    assert staffed == [group_of(week.carla)]
    without_group, excluding_sql = read(True, True, exclude=week.group.id)
    assert without_group == [own]        # left out of both halves: Bent's own, Carla's staffed
    assert read(True, True, exclude=week.own.id)[0] == sorted([group_of(week.bent),
                                                               group_of(week.carla)])
    staffed_without, staffed_excluding_sql = read(False, True, exclude=week.group.id)
    assert staffed_without == []
    assert len({both_sql, staffed_sql, excluding_sql, staffed_excluding_sql}) == 4
    assert 'UNION' in both_sql.upper() and 'UNION' not in staffed_sql.upper()


def test_citizen_rows_shape_chooses_all_or_some(week, executed):
    every = _citizen_rows.rows(False, organisation=week.org.id)
    all_sql = executed[-1][0]
    some = _citizen_rows.rows(True, organisation=week.org.id, ids=[week.sune.id, week.gone.id])
    assert executed[-1][0] != all_sql
    assert {row[0] for row in every} == {week.mette.id, week.sune.id}
    assert [row[0] for row in some] == [week.sune.id]


# --- 3. values that would change the query are refused ------------------------------

def fresh(read):
    """The same build as a new prepared read: nothing cached yet (the
    loaders' reads keep their statements from test to test)."""
    return prepared(read.__wrapped__)


@pytest.mark.parametrize('call', [
    lambda w: fresh(_absence_rows).rows(ids=[w.bent.id], start=None, end=utc(FRIDAY, 23)),
    lambda w: fresh(_booked_rows).rows(True, True, ids=[w.anne.id], start=utc(MONDAY, 0),
                                       end=utc(FRIDAY, 23), exclude=None),
    lambda w: fresh(_organisation_closing_rows).rows(organisation=w.org, first=MONDAY,
                                                     last=FRIDAY),
    lambda w: fresh(_reserved_rows).models(organisation=w.org, ids=[w.anne.id], teams=[0],
                                           first=MONDAY, last=FRIDAY),
], ids=['None', 'None for exclude', 'organisation row', 'organisation row (models)'])
def test_none_or_a_model_instance_as_a_value_is_a_type_error(week, executed, call):
    executed.clear()
    with pytest.raises(TypeError, match='must be a plain value'):
        call(week)
    assert executed == []      # refused before anything reaches the database


@pytest.mark.parametrize('bad', ['none', 'model'])
def test_the_refusal_holds_after_the_statement_is_cached(week, bad):
    booked = fresh(_booked_rows)
    start, end = loading.utc_window(week.org, MONDAY, FRIDAY)
    values = dict(ids=[week.anne.id, week.bent.id, week.carla.id], start=start, end=end)
    assert booked.rows(True, True, exclude=week.own.id, **values)   # statement cached
    with pytest.raises(TypeError, match='must be a plain value'):
        booked.rows(True, True, exclude=None if bad == 'none' else week.own, **values)


# --- 4. models() ----------------------------------------------------------------------

def test_models_fill_in_the_joined_models_without_another_query(week, executed):
    executed.clear()
    links = _offer_caseworker_rows.models(ids=[week.offer.id, week.offer2.id])
    assert len(executed) == 1
    names = [(link.offer_id, link.caseworker.user.name) for link in links]
    assert names == [(week.offer.id, 'Anne Andersen'), (week.offer.id, 'Bent Bech'),
                     (week.offer2.id, 'Carla Carlsen')]
    assert len(executed) == 1       # caseworker and user came with the rows


def test_models_convert_the_columns_by_their_fields(week):
    rows = _reserved_rows.models(organisation=week.org.id, ids=[week.anne.id], teams=[0],
                                 first=MONDAY, last=FRIDAY)
    assert [(r.id, r.first_day, r.last_day, r.start, r.end) for r in rows] == [
        (week.anne_reserved.id, MONDAY, FRIDAY, dt.time(14), dt.time(16))]


# --- 5. read_date -----------------------------------------------------------------

def test_read_date_reads_text_and_dates(week):
    assert loading.read_date('2027-03-04') == THURSDAY
    assert loading.read_date(THURSDAY) == THURSDAY
    (stored,), = _organisation_closing_rows.rows(organisation=week.org.id, first=MONDAY,
                                                 last=FRIDAY)
    assert loading.read_date(stored) == THURSDAY      # text on SQLite, a date on PostgreSQL


# --- 6. the loaders ----------------------------------------------------------------

def _lunch(weekdays):
    return {d: [(dt.time(12), dt.time(12, 30))] for d in weekdays}


def test_caseworker_inputs_read_the_week(week):
    inputs = {i.caseworker_id: i for i in loading.caseworker_inputs(
        week.org, week.staff, MONDAY, FRIDAY)}
    anne, bent, carla, dorte = (inputs[c.id] for c in week.staff)
    assert dict(anne.schedule.hours) == {d: [(dt.time(8), dt.time(16))] for d in range(5)}
    assert dict(anne.schedule.pauses) == _lunch(range(5))
    assert dict(dorte.schedule.hours) == {d: [(dt.time(9), dt.time(15))] for d in range(3)}
    assert dict(dorte.schedule.pauses) == {}
    assert list(bent.absences) == [(utc(TUESDAY, 10), utc(TUESDAY, 12))]
    assert [list(i.absences) for i in (anne, carla, dorte)] == [[], [], []]
    assert (anne.closing_days, bent.closing_days) == (frozenset(), frozenset())
    assert carla.closing_days == dorte.closing_days == frozenset({WEDNESDAY})
    assert list(anne.meetings) == [BookedMeeting(utc(MONDAY, 10), utc(MONDAY, 10, 45), 15)]
    group = BookedMeeting(utc(WEDNESDAY, 9), utc(WEDNESDAY, 11), 0)
    assert list(bent.meetings) == list(carla.meetings) == [group]
    assert list(dorte.meetings) == []


def test_caseworker_inputs_for_one_team_and_without_a_meeting(week):
    inputs = {i.caseworker_id: i for i in loading.caseworker_inputs(
        week.org, week.staff, MONDAY, FRIDAY, team=week.team, exclude_meeting_id=week.group.id)}
    assert inputs[week.carla.id].closing_days == frozenset()   # team Unge's day is not asked
    assert list(inputs[week.bent.id].meetings) == list(inputs[week.carla.id].meetings) == []
    assert len(inputs[week.anne.id].meetings) == 1
    later = {i.caseworker_id: i for i in loading.caseworker_inputs(
        week.org, week.staff, NEXT_MONDAY, NEXT_MONDAY)}
    assert list(later[week.bent.id].absences) == [(utc(NEXT_MONDAY, 8), utc(NEXT_MONDAY, 16))]
    assert later[week.anne.id].closing_days == frozenset({NEXT_MONDAY})
    assert [m.start for m in later[week.anne.id].meetings] == [utc(NEXT_MONDAY, 9)]


def test_organisation_closing_days(week):
    assert loading.organisation_closing_days(week.org, MONDAY, FRIDAY) == {THURSDAY}
    assert loading.organisation_closing_days(week.org, MONDAY, WEDNESDAY) == set()
    assert loading.organisation_closing_days(week.org, MONDAY, NEXT_MONDAY) == {THURSDAY,
                                                                              NEXT_MONDAY}
    assert loading.organisation_closing_days(week.other_org, MONDAY, FRIDAY) == {FRIDAY}


def test_reservations_of_own_and_of_the_teams(week):
    calendar = AvailabilityCalendar(week.org.zone, MONDAY, FRIDAY, {THURSDAY})
    own = reserved.ReservedTime(ReservedTime.SELF_BOOKING, 0, MONDAY, FRIDAY, dt.time(14),
                                dt.time(16))
    team = reserved.ReservedTime(ReservedTime.SUMMONS, None, FRIDAY, FRIDAY, None, None)
    ids = [c.id for c in week.staff]
    assert loading.reservations_of(week.org, calendar, ids) == {
        week.anne.id: [own, team], week.bent.id: [team], week.carla.id: [team],
        week.dorte.id: []}
    assert loading.reservations_of(week.org, calendar, ids, own_only=True) == {
        week.anne.id: [own], week.bent.id: [], week.carla.id: [], week.dorte.id: []}
    assert loading.reservations_of(week.org, calendar, ids, team=week.unge) == {
        week.anne.id: [own], week.bent.id: [], week.carla.id: [], week.dorte.id: []}
    later = AvailabilityCalendar(week.org.zone, NEXT_MONDAY, NEXT_MONDAY, set())
    unge = reserved.ReservedTime(ReservedTime.SUMMONS, None, NEXT_MONDAY, NEXT_MONDAY, None, None)
    assert loading.reservations_of(week.org, later, [week.carla.id, week.dorte.id]) == {
        week.carla.id: [unge], week.dorte.id: [unge]}


def test_citizen_facts(week):
    mette = CitizenFacts(dt.date(1990, 1, 1), 'dagpenge', frozenset({'ledig'}))
    sune = CitizenFacts(dt.date(1985, 2, 2), '', frozenset())
    assert loading.citizen_facts(week.org) == {week.mette.id: mette, week.sune.id: sune}
    assert loading.citizen_facts(week.org, [week.mette.id]) == {week.mette.id: mette}
    assert loading.citizen_facts(week.org, iter([week.sune.id, week.gone.id])) == {
        week.sune.id: sune}
    assert loading.citizen_facts(week.org, []) == {}


def test_offer_caseworkers(week):
    found = loading.offer_caseworkers([week.offer.id, week.offer2.id])
    assert {offer: [c.id for c in people] for offer, people in found.items()} == {
        week.offer.id: [week.anne.id, week.bent.id], week.offer2.id: [week.carla.id]}
    anne = found[week.offer.id][0]
    assert (anne.name, anne.max_share, anne.auto_share) == (
        week.anne.user.name, week.anne.max_share, week.anne.auto_share)
    assert loading.offer_caseworkers([]) == {}


# --- references loaded later ----------------------------------------------------------

def test_a_reference_not_loaded_with_its_row_is_fetched_once_by_id(week, executed):
    meeting = Meeting.get_by_id(week.own.id)
    executed.clear()
    assert meeting.team.name == week.team.name
    assert meeting.caseworker.id == week.anne.id
    assert len(executed) == 2                 # one query a reference
    assert meeting.team is meeting.team       # kept on the row: no query again
    assert len(executed) == 2


def test_a_reference_to_a_row_that_is_gone_says_so(week):
    meeting = Meeting.get_by_id(week.own.id)
    meeting.__data__['team'] = 10 ** 9        # as a row deleted meanwhile would leave it
    with pytest.raises(Team.DoesNotExist):
        meeting.team
