"""The staffing board over HTTP: who may see it, vacancies as blocks in their
state, free substitutes per day and shift, the prefilled "new vacancy" of an
empty cell, an SMS "Ja" showing as booked, DST weeks, and a fixed number of
queries however much the window holds."""
from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from models import (Availability, ShiftRequest, SubstituteUnit, Unit, User, Vacancy,
                    VacancyQualification, db)
from scheduling.localtime import naive_utc
from scheduling.staffing import wall_range
from tests.test_pool_support import (INBOUND, STOCKHOLM, TODAY, _empty_schedule,  # noqa: F401
                                     clock, inbound, local, make_available, pool, qualify)
from tests.test_pool_flow import asked  # noqa: F401

TOMORROW = TODAY + dt.timedelta(days=1)
WEEK = '2030-W19'            # Monday 6 - Sunday 12 May 2030, TODAY is the Wednesday


@pytest.fixture
def planner(pool, login):
    login(pool['planner'])
    return pool['planner']


def board(client, **args) -> str:
    response = client.get('/pool/board/', query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def blocks(page: str) -> dict[int, str]:
    """{vacancy id: the block's text} of every vacancy block on the page."""
    found = re.findall(r'<a class="shift s-(\w+)" href="/pool/vacancies/(\d+)">(.*?)</a>', page)
    # What a screen reader reads: a month's short marks are hidden from it.
    found = [(status, vid, re.sub(r'<i aria-hidden="true">.*?</i>', '', text))
             for status, vid, text in found]
    return {int(vid): status + ' ' + ' '.join(re.sub(r'<[^>]+>', ' ', text).split())
            for status, vid, text in found}


def row_cells(page: str, unit_name: str) -> list[str]:
    """The day cells of a unit's row in the week or month grid."""
    row = page.split(f'>{unit_name}</th>', 1)[1].split('</tr>', 1)[0]
    return re.findall(r'<td[^>]*>(.*?)</td>', row, re.S)


def free_rows(page: str) -> dict[str, list[int]]:
    """{'Day': [count per day], 'Evening': ..., 'Night': ...} of the grid."""
    rows = re.findall(r'<tr class="free">(.*?)</tr>', page, re.S)
    out = {}
    for row in rows:
        label = re.search(r'</span>(\w+)', row).group(1)
        out[label] = [int(n) for n in re.findall(r'<td>(\d+)</td>', row)]
    return out


def make(org, unit, start, hours=8, status=Vacancy.OPEN, substitute=None) -> Vacancy:
    start_utc = start.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return Vacancy.create(organisation=org, unit=unit, starts_at=start_utc,
                          ends_at=start_utc + dt.timedelta(hours=hours), status=status,
                          substitute=substitute)


# --- access ----------------------------------------------------------------------

def test_the_board_is_for_pool_planners_and_admins_only(client, pool, login, make_user,
                                                         jobcentre):
    assert client.get('/pool/board/').status_code == 302          # anonymous: log in
    login(pool['planner'])
    assert client.get('/pool/board/').status_code == 200
    assert client.get('/pool/board?week=2030-W19').status_code == 200
    login(make_user(pool['org'], User.ADMIN))
    assert client.get('/pool/board/?month=2030-05').status_code == 200
    login(pool['subs'][0])
    assert client.get('/pool/board/').status_code == 403
    for role in (User.PLANNER, User.ADMIN, User.CASEWORKER):
        login(make_user(jobcentre, role))
        assert client.get('/pool/board/').status_code == 403


def test_the_navigation_links_to_the_board(client, planner):
    page = client.get('/pool/').get_data(as_text=True)
    assert 'href="/pool/board/"' in page and '>Board<' in page


def test_another_organisations_units_and_vacancies_never_show(client, pool, planner, make_org):
    other = make_org('pool', 'Annan kommun')
    elsewhere = Unit.create(organisation=other, name='Elsewhere')
    theirs = make(other, elsewhere, local(TOMORROW, 7))
    for args in ({'week': WEEK}, {'month': '2030-05'}, {'day': TOMORROW.isoformat()},
                 {'week': WEEK, 'unit': elsewhere.id}):
        page = board(client, **args)
        assert 'Elsewhere' not in page and theirs.id not in blocks(page)
        assert 'Hemtjänst Norr' in page and 'Solgläntan' in page


# --- blocks ----------------------------------------------------------------------

def test_every_state_shows_with_its_word_time_and_the_booked_name(client, pool, planner):
    org, north, south = pool['org'], pool['north'], pool['south']
    anna = pool['subs'][0]
    made = {
        'open': make(org, north, local(TOMORROW, 7)),
        'requested': make(org, north, local(TOMORROW, 15), 7, Vacancy.REQUESTED),
        'booked': make(org, south, local(TOMORROW, 22), 9, Vacancy.BOOKED, anna),
        'unfilled': make(org, south, local(TODAY, 15), 7, Vacancy.UNFILLED),
        'cancelled': make(org, north, local(TODAY, 7), 8, Vacancy.CANCELLED),
    }
    # Still waiting for an answer (else it would be unfilled by now).
    ShiftRequest.create(vacancy=made['requested'], user=anna, code='1234',
                        deadline=dt.datetime(2030, 5, 9, 10))
    expected = {'open': 'open Open 07:00–15:00', 'requested': 'requested Requested 15:00–22:00',
                'booked': 'booked Booked 22:00–07:00 Anna Andersson',
                'unfilled': 'unfilled Unfilled 15:00–22:00',
                'cancelled': 'cancelled Cancelled 07:00–15:00'}
    for args in ({'week': WEEK}, {'month': '2030-05'}):
        shown = blocks(board(client, **args))
        assert {v.id: shown.get(v.id) for v in made.values()} == {
            made[s].id: expected[s] for s in made}
    page = board(client, week=WEEK)
    wednesday, thursday = 2, 3
    assert made['booked'].id in blocks(row_cells(page, 'Solgläntan')[thursday])
    assert made['unfilled'].id in blocks(row_cells(page, 'Solgläntan')[wednesday])
    day = board(client, day=TOMORROW.isoformat())
    assert set(blocks(day)) == {made['open'].id, made['requested'].id, made['booked'].id}


def test_only_the_windows_shifts_show_and_the_steps_move_it(client, pool, planner):
    org, north = pool['org'], pool['north']
    before = make(org, north, local(dt.date(2030, 5, 5), 22))    # Sunday before the week
    inside = make(org, north, local(dt.date(2030, 5, 12), 23))   # its last evening
    after = make(org, north, local(dt.date(2030, 5, 13), 0))
    page = board(client, week=WEEK)
    assert set(blocks(page)) == {inside.id}
    assert 'href="/pool/board/?week=2030-W18"' in page and 'href="/pool/board/?week=2030-W20"' in page
    assert set(blocks(board(client, week='2030-05-13'))) == {after.id}
    assert set(blocks(board(client, month='2030-05'))) == {before.id, inside.id, after.id}
    month = board(client, month='2030-05')
    assert 'href="/pool/board/?month=2030-04"' in month and 'href="/pool/board/?month=2030-06"' in month
    assert len(row_cells(month, 'Hemtjänst Norr')) == 31
    day = board(client, day='2030-05-12')
    assert set(blocks(day)) == {inside.id}
    assert 'href="/pool/board/?day=2030-05-11"' in day and 'href="/pool/board/?day=2030-05-13"' in day
    assert 'href="/pool/board/?week=2030-W19"' in board(client, week='junk')   # today's week
    for args in ({'day': '9999-12-31'}, {'month': '9999-12'}, {'week': '0001-W01'}):
        refused = client.get('/pool/board/', query_string=args)   # a clear 400, never a 500
        assert refused.status_code == 400 and 'Date out of range' in refused.get_data(as_text=True)


def test_units_show_as_their_tree_and_the_filter_keeps_a_subtree(client, pool, planner):
    org, north, south = pool['org'], pool['north'], pool['south']
    Unit.create(organisation=org, name='Avdelning 1', parent=north)
    shift = make(org, south, local(TOMORROW, 7))
    page = board(client, week=WEEK)
    assert re.search(r'class="unit depth-1">Avdelning 1<', page)
    assert page.index('Hemtjänst Norr</th>') < page.index('Avdelning 1</th>') \
        < page.index('Solgläntan</th>')
    page = board(client, week=WEEK, unit=north.id)
    assert 'Hemtjänst Norr</th>' in page and 'Avdelning 1</th>' in page
    assert 'Solgläntan</th>' not in page and shift.id not in blocks(page)
    assert f'<option value="{north.id}" selected>' in page


# --- free substitutes ------------------------------------------------------------

def test_free_substitutes_per_day_and_shift_by_the_booking_rule(client, pool, planner,
                                                                make_user, make_org):
    anna, bo, cecilia = pool['subs']
    make_available(anna, TOMORROW)                                   # 00-24: day, evening
    make_available(bo, TOMORROW, dt.time(7), dt.time(15), False)     # day only
    make_available(bo, TODAY, dt.time(15), dt.time(21, 59), False)   # a minute short
    # A night from two touching ranges: 22-24 and 00-07.
    make_available(cecilia, TOMORROW, dt.time(22), dt.time(0), True)
    make_available(cecilia, TOMORROW + dt.timedelta(days=1), dt.time(0), dt.time(7), False)
    gone = make_user(pool['org'], User.SUBSTITUTE, active=False)
    make_available(gone, TOMORROW)
    outsider = make_user(make_org('pool'), User.SUBSTITUTE)
    make_available(outsider, TOMORROW)

    free = free_rows(board(client, week=WEEK))
    assert free == {'Day': [0, 0, 0, 2, 0, 0, 0], 'Evening': [0, 0, 0, 1, 0, 0, 0],
                    'Night': [0, 0, 0, 1, 0, 0, 0]}
    day = board(client, day=TOMORROW.isoformat())
    found = dict(re.findall(r'<dt>Free: (\w+) [\d–]+</dt><dd>(\d+)</dd>', day))
    assert found == {'Day': '2', 'Evening': '1', 'Night': '1'}

    # With a unit chosen: only those trained at it (Cecilia is moved away).
    SubstituteUnit.delete().where(SubstituteUnit.user == cecilia).execute()
    SubstituteUnit.create(user=cecilia, unit=pool['south'])
    north = free_rows(board(client, week=WEEK, unit=pool['north'].id))
    assert (north['Day'][3], north['Evening'][3], north['Night'][3]) == (2, 1, 0)
    south = free_rows(board(client, week=WEEK, unit=pool['south'].id))
    assert (south['Day'][3], south['Evening'][3], south['Night'][3]) == (0, 0, 1)


def test_a_booked_substitute_is_not_free_then_nor_too_close_to_it(client, pool, planner):
    anna, bo, cecilia = pool['subs']
    for sub in pool['subs']:
        make_available(sub, TOMORROW)                        # 00-24: day and evening
        make_available(sub, TOMORROW + dt.timedelta(days=1))
    # Anna works Thursday's day shift: not free for it, nor for the evening
    # after it (11 hours of rest), but free again on Friday morning.
    make(pool['org'], pool['south'], local(TOMORROW, 7), status=Vacancy.BOOKED, substitute=anna)
    # Bo's shift was cancelled, Cecilia's lies days away: both stay free.
    make(pool['org'], pool['north'], local(TOMORROW, 7), status=Vacancy.CANCELLED, substitute=bo)
    make(pool['org'], pool['north'], local(TODAY - dt.timedelta(days=2), 7),
         status=Vacancy.BOOKED, substitute=cecilia)
    free = free_rows(board(client, week=WEEK))
    assert (free['Day'][3], free['Evening'][3], free['Night'][3]) == (2, 2, 2)
    assert (free['Day'][4], free['Evening'][4]) == (3, 3)
    day = board(client, day=TOMORROW.isoformat())
    assert dict(re.findall(r'<dt>Free: (\w+) [\d–]+</dt><dd>(\d+)</dd>', day))['Day'] == '2'
    month = free_rows(board(client, month='2030-05'))
    assert (month['Day'][TOMORROW.day - 1], month['Day'][TOMORROW.day]) == (2, 3)


def test_a_qualification_chosen_counts_and_shows_only_what_needs_it(client, pool, planner):
    anna, bo, cecilia = pool['subs']
    for sub in pool['subs']:
        make_available(sub, TOMORROW)
    qualify(bo, pool['licence'])
    qualify(cecilia, pool['licence'], pool['delegation'])
    needs = make(pool['org'], pool['north'], local(TOMORROW, 7))
    VacancyQualification.create(vacancy=needs, qualification=pool['licence'])
    plain = make(pool['org'], pool['north'], local(TOMORROW, 15), hours=7)
    assert free_rows(board(client, week=WEEK))['Day'][3] == 3
    page = board(client, week=WEEK, qualification=pool['licence'].id)
    assert free_rows(page)['Day'][3] == 2                          # Bo and Cecilia
    assert set(blocks(page)) == {needs.id}
    assert 'Only those holding Körkort count' in page
    assert f'qualification={pool["licence"].id}' in page.split('rel="next"')[0]   # kept
    # With a unit too: trained there and qualified.
    SubstituteUnit.delete().where(SubstituteUnit.user == cecilia).execute()
    both = board(client, week=WEEK, qualification=pool['licence'].id, unit=pool['north'].id)
    assert free_rows(both)['Day'][3] == 1
    assert set(blocks(board(client, week=WEEK))) == {needs.id, plain.id}
    # Another organisation's qualification is no filter.
    assert free_rows(board(client, week=WEEK, qualification=999999))['Day'][3] == 3


# --- creating from an empty cell -------------------------------------------------

def test_an_empty_cell_opens_the_new_vacancy_form_prefilled(client, pool, planner):
    make(pool['org'], pool['north'], local(TOMORROW, 7))
    page = board(client, week=WEEK)
    cells = row_cells(page, 'Hemtjänst Norr')
    assert 'class="add"' not in cells[3]                   # a cell with a shift
    link = re.search(r'href="([^"]+)"', cells[4]).group(1)
    friday = (TOMORROW + dt.timedelta(days=1)).isoformat()
    assert html.unescape(link) == f'/pool/vacancies/new?unit={pool["north"].id}&date={friday}'
    form = client.get(html.unescape(link)).get_data(as_text=True)
    assert f'<option selected value="{pool["north"].id}">' in form
    assert f'value="{friday}"' in form
    assert 'value="junk"' not in client.get('/pool/vacancies/new?date=junk').get_data(as_text=True)
    day = board(client, day=TOMORROW.isoformat())
    assert f'/pool/vacancies/new?unit={pool["south"].id}&amp;date={TOMORROW}' in day


# --- booked by SMS ---------------------------------------------------------------

def test_a_vacancy_booked_by_an_sms_ja_shows_booked_with_the_name(client, pool, asked,
                                                                  planner):
    anna, shift = pool['subs'][0], asked      # asked by SMS: Anna and Bo
    assert blocks(board(client, day=TODAY.isoformat()))[shift.id] == \
        'requested Requested 10:00–13:00'
    assert client.post(INBOUND, data=inbound(anna, 'Ja')).status_code == 204
    for args in ({'day': TODAY.isoformat()}, {'week': WEEK}, {'month': '2030-05'}):
        assert blocks(board(client, **args))[shift.id] == \
            'booked Booked 10:00–13:00 Anna Andersson'


# --- DST -------------------------------------------------------------------------

@pytest.mark.parametrize('week, sunday', [('2030-W13', dt.date(2030, 3, 31)),
                                          ('2030-W43', dt.date(2030, 10, 27))])
def test_dst_weeks_place_shifts_and_counts_on_their_local_day(client, pool, planner, week,
                                                              sunday):
    org, north = pool['org'], pool['north']
    saturday_night = make(org, north, local(sunday - dt.timedelta(days=1), 22), 9)
    sunday_day = make(org, north, local(sunday, 7))
    sunday_late = make(org, north, local(sunday, 23, 30), 7)
    monday_early = make(org, north, local(sunday + dt.timedelta(days=1), 0, 30), 6)
    # 07-15 on the wall clock that Sunday (written directly: March is past).
    start, end = wall_range(sunday, dt.time(7), dt.time(15), False, STOCKHOLM)
    Availability.create(user=pool['subs'][0], starts_at=naive_utc(start), ends_at=naive_utc(end))
    page = board(client, week=week)
    cells = row_cells(page, 'Hemtjänst Norr')
    assert set(blocks(cells[5])) == {saturday_night.id}
    assert set(blocks(cells[6])) == {sunday_day.id, sunday_late.id}
    assert monday_early.id not in blocks(page)
    assert blocks(cells[6])[sunday_day.id].endswith('07:00–15:00')
    assert free_rows(page)['Day'] == [0, 0, 0, 0, 0, 0, 1]


# --- queries ---------------------------------------------------------------------

def _statements(client, monkeypatch, **args) -> list[str]:
    statements = []
    real_execute = db.obj.execute_sql
    monkeypatch.setattr(db.obj, 'execute_sql',
                        lambda sql, *a, **k: statements.append(sql) or real_execute(sql, *a, **k))
    board(client, **args)
    monkeypatch.undo()
    return statements


def test_a_fixed_number_of_queries_with_few_or_many_shifts(client, pool, planner, monkeypatch,
                                                          make_user):
    org = pool['org']
    make(org, pool['north'], local(TOMORROW, 7), status=Vacancy.BOOKED,
         substitute=pool['subs'][0])
    make_available(pool['subs'][1], TOMORROW)
    few = {view: len(_statements(client, monkeypatch, **{view: value}))
           for view, value in (('week', WEEK), ('month', '2030-05'), ('day', str(TOMORROW)))}
    units = [Unit.create(organisation=org, name=f'Avdelning {i}', parent=pool['north'])
             for i in range(8)]
    subs = [make_user(org, User.SUBSTITUTE) for _ in range(10)]
    for i in range(60):
        day = dt.date(2030, 5, 1 + i % 31)
        make(org, units[i % 8], local(day, 7 + i % 3 * 8), status=Vacancy.BOOKED,
             substitute=subs[i % 10])
        make_available(subs[i % 10], day)
    many = {view: len(_statements(client, monkeypatch, **{view: value}))
            for view, value in (('week', WEEK), ('month', '2030-05'), ('day', str(TOMORROW)))}
    assert many == few
    assert max(few.values()) <= 10, few
    assert len(blocks(board(client, month='2030-05'))) == 61


# --- benchmark -------------------------------------------------------------------

def test_the_w5_benchmark_prints_its_line(app, monkeypatch, capsys):
    from benchmarks import w5_pool_board as w5
    monkeypatch.setattr(w5, 'SUBSTITUTES', 200)     # the real run builds 5,000
    line = w5.run(repeat=1)
    assert capsys.readouterr().out.strip().endswith(line)
    assert re.fullmatch(r'W5 page=pool_board units=40 substitutes=200 weeks=4 vacancies=\d+ '
                        r'availability=\d+ bytes=\d+ median_ms=[\d.]+', line)
