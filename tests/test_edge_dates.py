"""Dates at the ends of the calendar (year 1, year 9999) in links and search
forms: a page that says the date is out of range, never a server error."""
from __future__ import annotations

import pytest

from models import Caseworker, CaseworkerTeam, Room, Team, User
from tests.test_pool_support import _empty_schedule, clock, pool  # noqa: F401

OUT_OF_RANGE = 'Date out of range'


@pytest.fixture
def staff(client, login, jobcentre, make_user):
    team = Team.create(organisation=jobcentre, name='Dagpenge')
    cw = Caseworker.create(user=make_user(jobcentre, User.CASEWORKER), organisation=jobcentre,
                           initials='KV')
    CaseworkerTeam.create(caseworker=cw, team=team)
    room = Room.create(organisation=jobcentre, name='Lokale 1')
    login(make_user(jobcentre, User.ADMIN))
    return {'caseworker': cw.id, 'team': team.id, 'room': room.id}


def refused(response) -> bool:
    return response.status_code == 400 and OUT_OF_RANGE in response.get_data(as_text=True)


@pytest.mark.parametrize('kind', ['caseworker', 'team', 'room'])
@pytest.mark.parametrize('query', ['week=9999-W52', 'week=0001-W01', 'date=9999-12-31',
                                   'date=0001-01-02', 'week=1-W01', 'week=+1-W01',
                                   'date=99991231', 'date=0001-W01-1'])
def test_calendars_refuse_a_week_at_the_ends_of_time(client, staff, kind, query):
    assert refused(client.get(f'/calendar/{kind}/{staff[kind]}?{query}'))


@pytest.mark.parametrize('kind', ['caseworker', 'team', 'room'])
def test_calendars_show_the_weeks_people_mean(client, staff, kind):
    for query in ('week=1900-W02', 'week=2199-W51', 'date=2026-12-07', 'week=junk'):
        assert client.get(f'/calendar/{kind}/{staff[kind]}?{query}').status_code == 200, query


@pytest.mark.parametrize('url', ['/summons/follow-up/', '/admin/audit/'])
@pytest.mark.parametrize('query', ['date_from=0001-01-01', 'date_to=9999-12-31',
                                   'date_from=1899-12-31', 'date_to=2200-01-01'])
def test_searches_refuse_dates_at_the_ends_of_time(client, staff, url, query):
    assert refused(client.get(f'{url}?{query}'))


@pytest.mark.parametrize('url', ['/summons/follow-up/', '/admin/audit/'])
def test_searches_take_the_dates_people_mean(client, staff, url):
    response = client.get(f'{url}?date_from=1900-01-01&date_to=2199-12-31')
    assert response.status_code == 200


@pytest.mark.parametrize('query', ['day=0001-01-01', 'day=9999-12-31', 'month=0001-01',
                                   'month=9999-12', 'month=1-1', 'day=99991231'])
def test_availability_refuses_the_ends_of_time(client, pool, login, query):
    login(pool['subs'][0])
    assert refused(client.get(f'/my/availability?{query}'))


def test_availability_shows_the_first_and_last_months_allowed(client, pool, login):
    login(pool['subs'][0])
    for query in ('month=1900-01', 'month=2199-12', 'day=1900-01-01', 'day=2199-12-31'):
        assert client.get(f'/my/availability?{query}').status_code == 200, query


def test_a_form_refuses_a_date_at_the_ends_of_time(client, staff):
    from models import ClosingDay
    response = client.post('/admin/closing-days/new', data={'date': '9999-12-31',
                                                            'name': 'Lukket'})
    assert refused(response)
    assert ClosingDay.select().count() == 0


def test_digits_in_other_fields_are_not_taken_for_a_year(client, staff):
    """A phone number or a CPR number is not a date."""
    assert client.get('/admin/citizens/?q=99991231').status_code == 200
    assert client.get('/admin/citizens/?q=0101-011234').status_code == 200
