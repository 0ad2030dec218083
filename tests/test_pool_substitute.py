"""A substitute's own pages over HTTP: availability (month, day, presets, own
times, weekly repeat, copy week, remove with confirmation, past days), my
shifts, requests with Yes / No, profile; full pages and htmx fragments."""
from __future__ import annotations

import datetime as dt

import pytest

from models import (Availability, ShiftRequest, SubstituteQualification, SubstituteUnit, User,
                    Vacancy)
from pool import staffing
from tests.test_pool_support import (STOCKHOLM, TODAY, _empty_schedule, clock, local,  # noqa: F401
                                     make_available, pool, texts_to, vacancy)

TOMORROW = TODAY + dt.timedelta(days=1)


@pytest.fixture
def anna(pool, login):
    login(pool['subs'][0])
    return pool['subs'][0]


def ranges(user):
    return [(r.starts_at.replace(tzinfo=dt.timezone.utc).astimezone(STOCKHOLM)
             .strftime('%m-%d %H:%M'),
             r.ends_at.replace(tzinfo=dt.timezone.utc).astimezone(STOCKHOLM)
             .strftime('%m-%d %H:%M'))
            for r in Availability.select().where(Availability.user == user)
            .order_by(Availability.starts_at)]


def add(client, **data):
    data.setdefault('day', TOMORROW.isoformat())
    return client.post('/my/availability', data=data)


# --- the month and a day --------------------------------------------------------

def test_month_calendar_marks_available_and_booked_days(client, pool, anna):
    make_available(anna, TOMORROW, dt.time(7), dt.time(15), False)
    shift = vacancy(pool['org'], pool['north'], local(TOMORROW, 7), local(TOMORROW, 15),
                    pool['planner'])
    staffing.book(shift, anna, by=pool['planner'], at=staffing.now())
    page = client.get('/my/availability').get_data(as_text=True)
    assert '<h1>My availability</h1>' in page
    assert 'May 2030' in page
    assert 'aria-label="Thursday 9 May, available, booked"' in page
    assert 'aria-label="Friday 10 May"' in page
    # Today's panel is open by default; no JavaScript needed to reach a day.
    assert 'id="day-heading">Wednesday 8 May' in page
    page = client.get(f'/my/availability?day={TOMORROW}').get_data(as_text=True)
    assert 'Booked:</strong> Hemtjänst Norr' in page and '07:00–15:00' in page


def test_a_day_is_an_htmx_fragment_by_target(client, anna):
    page = client.get(f'/my/availability?day={TOMORROW}',
                      headers={'HX-Request': 'true', 'HX-Target': 'day-panel'})
    html = page.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="day-panel"')
    assert '<html' not in html and 'Thursday 9 May' in html
    # HX-Request alone (a boosted link) still gets the whole page.
    page = client.get(f'/my/availability?day={TOMORROW}', headers={'HX-Request': 'true'})
    assert '<html' in page.get_data(as_text=True)
    assert 'HX-Request' in page.headers.get('Vary', '')


def test_other_months(client, anna):
    page = client.get('/my/availability?month=2030-06').get_data(as_text=True)
    assert 'June 2030' in page and 'Choose a day in the calendar.' in page
    page = client.get('/my/availability?month=rubbish').get_data(as_text=True)
    assert 'May 2030' in page


# --- adding times ---------------------------------------------------------------

@pytest.mark.parametrize('preset, expected', [
    ('day', [('05-09 07:00', '05-09 15:00')]),
    ('evening', [('05-09 15:00', '05-09 22:00')]),
    ('night', [('05-09 22:00', '05-10 07:00')]),
    ('whole_day', [('05-09 00:00', '05-10 00:00')]),
])
def test_presets(client, anna, preset, expected):
    response = add(client, preset=preset)
    assert response.status_code == 303
    assert response.headers['Location'] == f'/my/availability?month=2030-05&day={TOMORROW}'
    assert ranges(anna) == expected


def test_presets_next_to_each_other_are_fine(client, anna):
    for preset in ('day', 'evening', 'night'):
        assert add(client, preset=preset).status_code == 303
    assert len(ranges(anna)) == 3


def test_own_time_and_a_night_that_ends_the_next_day(client, anna):
    assert add(client, start='06:30', end='12:15').status_code == 303
    assert add(client, start='21:00', end='06:00', next_day='y').status_code == 303
    assert ranges(anna) == [('05-09 06:30', '05-09 12:15'), ('05-09 21:00', '05-10 06:00')]
    page = client.get(f'/my/availability?day={TOMORROW}').get_data(as_text=True)
    assert '21:00–06:00 (ends the next day)' in page
    page = client.get(f'/my/availability?day={TOMORROW + dt.timedelta(days=1)}').get_data(
        as_text=True)
    assert '21:00–06:00 (from the day before)' in page


@pytest.mark.parametrize('data, message', [
    ({'start': '16:00', 'end': '08:00'},
     'The time ends before it starts. For a night that ends the next morning, tick '
     '&#34;Ends the next day&#34;.'),
    ({'start': '08:00', 'end': '08:00'}, 'The time ends before it starts.'),
    ({'start': '08:00', 'end': '09:00', 'next_day': 'y'}, 'One time can last at most 24 hours.'),
    ({'start': '', 'end': '09:00'}, 'Enter when you can start, or tap a preset.'),
    ({'start': '8 o&#39;clock', 'end': '09:00'}, 'Not a valid time value.'),
    ({'day': '2030-05-07', 'preset': 'day'}, 'Days that have passed cannot be changed.'),
])
def test_bad_times_are_explained_and_nothing_is_saved(client, anna, data, message):
    response = add(client, **data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert ranges(anna) == []


def test_overlapping_times_are_refused_with_the_one_in_the_way(client, anna):
    add(client, preset='day')
    response = add(client, start='14:00', end='18:00')
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'This overlaps the time you already registered: Thu 9 May 07:00–15:00.' in page
    assert 'id="day-heading">Thursday 9 May' in page     # the day she was on, not today
    assert len(ranges(anna)) == 1


def test_todays_time_that_has_passed_is_refused(client, anna):
    response = add(client, day=TODAY.isoformat(), start='06:00', end='07:30')
    assert response.status_code == 200
    assert 'That time has already passed.' in response.get_data(as_text=True)
    assert add(client, day=TODAY.isoformat(), start='06:00', end='09:00').status_code == 303


def test_unknown_preset_is_400(client, anna):
    assert add(client, preset='siesta').status_code == 400


def test_weekly_repeat_until_a_date_skips_weeks_that_overlap(client, anna):
    add(client, day=(TOMORROW + dt.timedelta(days=14)).isoformat(), start='12:00', end='13:00')
    response = add(client, preset='day', until='2030-06-06')
    assert response.status_code == 303
    assert ranges(anna) == [('05-09 07:00', '05-09 15:00'), ('05-16 07:00', '05-16 15:00'),
                            ('05-23 12:00', '05-23 13:00'), ('05-30 07:00', '05-30 15:00'),
                            ('06-06 07:00', '06-06 15:00')]
    page = client.get(response.headers['Location']).get_data(as_text=True)
    assert 'Saved: 4 times added.' in page
    assert 'Not added, because you already have a time then or the day has passed: ' \
           'Thu 23 May.' in page


def test_repeat_for_more_than_a_year_is_refused(client, anna):
    response = add(client, preset='day', until='2031-06-01')
    assert response.status_code == 200
    assert 'Repeat for at most a year.' in response.get_data(as_text=True)


def test_copy_a_week_to_the_next(client, anna):
    monday = TODAY - dt.timedelta(days=TODAY.weekday())          # 6 May
    make_available(anna, TOMORROW, dt.time(7), dt.time(15), False)
    make_available(anna, TOMORROW + dt.timedelta(days=2), dt.time(22), dt.time(7), True)
    make_available(anna, TOMORROW + dt.timedelta(days=7), dt.time(8), dt.time(9), False)
    response = client.post('/my/availability/copy-week', data={'monday': monday.isoformat()})
    assert response.status_code == 303
    assert response.headers['Location'].endswith('day=2030-05-13')
    assert ranges(anna) == [('05-09 07:00', '05-09 15:00'), ('05-11 22:00', '05-12 07:00'),
                            ('05-16 08:00', '05-16 09:00'), ('05-18 22:00', '05-19 07:00')]
    page = client.get(response.headers['Location']).get_data(as_text=True)
    assert 'Not added, because you already have a time then' in page   # 16 May overlaps
    assert client.post('/my/availability/copy-week',
                       data={'monday': TOMORROW.isoformat()}).status_code == 400


# --- removing -----------------------------------------------------------------------

def test_remove_asks_first_then_removes(client, anna):
    [row] = make_available(anna, TOMORROW, dt.time(7), dt.time(15), False)
    page = client.get(f'/my/availability?day={TOMORROW}&remove={row.id}').get_data(as_text=True)
    assert 'Remove 07:00–15:00?' in page
    assert f'action="/my/availability/{row.id}/remove"' in page
    assert Availability.select().count() == 1
    response = client.post(f'/my/availability/{row.id}/remove', data={'day': TOMORROW})
    assert response.status_code == 303
    assert Availability.select().count() == 0


def test_past_days_are_read_only(client, anna, clock):
    [row] = make_available(anna, TOMORROW, dt.time(7), dt.time(15), False)
    clock.advance(days=2)
    page = client.get(f'/my/availability?day={TOMORROW}').get_data(as_text=True)
    assert 'Days that have passed cannot be changed.' in page
    assert 'Add time' not in page and '>Remove<' not in page
    response = client.post(f'/my/availability/{row.id}/remove', data={'day': TOMORROW})
    assert Availability.select().count() == 1
    assert 'Days that have passed cannot be changed.' in client.get(
        response.headers['Location']).get_data(as_text=True)


def test_someone_elses_time_is_404(client, pool, anna):
    [row] = make_available(pool['subs'][1], TOMORROW)
    assert client.post(f'/my/availability/{row.id}/remove').status_code == 404
    page = client.get(f'/my/availability?day={TOMORROW}&remove={row.id}').get_data(as_text=True)
    assert 'Remove 00:00' not in page


# --- shifts, requests, profile ---------------------------------------------------

def test_my_shifts_coming_and_past(client, pool, anna, clock):
    make_available(anna, TOMORROW)
    make_available(anna, TOMORROW + dt.timedelta(days=3))
    make_available(anna, TOMORROW + dt.timedelta(days=4))   # the night goes on
    early = vacancy(pool['org'], pool['north'], local(TOMORROW, 7), local(TOMORROW, 15),
                    pool['planner'])
    late = vacancy(pool['org'], pool['south'], local(TOMORROW + dt.timedelta(days=3), 22),
                   local(TOMORROW + dt.timedelta(days=4), 6), pool['planner'])
    SubstituteUnit.create(user=anna, unit=pool['south'])
    for shift in (early, late):
        staffing.book(shift, anna, by=pool['planner'], at=staffing.now())
    page = client.get('/my/shifts').get_data(as_text=True)
    assert page.index('Thu 9 May 07:00–15:00') < page.index('Sun 12 May 22:00–Mon 06:00')
    assert 'Storgatan 1, 681 30 Kristinehamn' in page
    clock.advance(days=2)
    page = client.get('/my/shifts').get_data(as_text=True)
    past = page.split('<h2>Past</h2>')[1]
    assert 'Thu 9 May 07:00–15:00 · Hemtjänst Norr' in past
    assert 'Sun 12 May' not in past


def test_requests_page_answers_yes_on_the_web(client, pool, anna):
    make_available(anna, TODAY)
    shift = vacancy(pool['org'], pool['north'], local(TODAY, 10), local(TODAY, 13),
                    pool['planner'])
    staffing.send_requests(shift, 1, local(TODAY, 9, 30), by=pool['planner'],
                           at=staffing.now())
    page = client.get('/my/requests').get_data(as_text=True)
    assert 'Answer by Wed 8 May 09:30' in page
    assert 'Requests <span class="count">1</span>' in page       # the nav shows it
    request = ShiftRequest.get()
    response = client.post(f'/my/requests/{request.id}', data={'answer': 'yes'})
    assert response.status_code == 303 and response.headers['Location'] == '/my/shifts'
    assert Vacancy.get_by_id(shift.id).substitute_id == anna.id
    assert 'You got the shift.' in client.get('/my/shifts').get_data(as_text=True)
    assert texts_to(anna)[-1].startswith('You got the shift at Hemtjänst Norr')
    page = client.get('/my/requests').get_data(as_text=True)
    assert 'No requests to answer right now.' in page and 'Yes: got the shift' in page


def test_requests_page_no_and_bad_answers(client, pool, anna):
    make_available(anna, TODAY)
    shift = vacancy(pool['org'], pool['north'], local(TODAY, 10), local(TODAY, 13),
                    pool['planner'])
    [request] = staffing.send_requests(shift, 1, local(TODAY, 9, 30), by=pool['planner'],
                                       at=staffing.now())
    assert client.post(f'/my/requests/{request.id}', data={'answer': 'maybe'}).status_code == 400
    response = client.post(f'/my/requests/{request.id}', data={'answer': 'no'})
    assert response.headers['Location'] == '/my/requests'
    assert 'You said no. Thank you for answering.' in client.get('/my/requests').get_data(
        as_text=True)
    assert ShiftRequest.get_by_id(request.id).answered_via == 'web'


def test_someone_elses_request_is_404(app, client, pool, anna, login):
    bo = pool['subs'][1]
    make_available(bo, TODAY)
    shift = vacancy(pool['org'], pool['north'], local(TODAY, 10), local(TODAY, 13),
                    pool['planner'])
    [request] = staffing.send_requests(shift, 1, local(TODAY, 9, 30), by=pool['planner'],
                                       at=staffing.now())
    assert request.user_id == bo.id
    assert client.post(f'/my/requests/{request.id}', data={'answer': 'yes'}).status_code == 404
    assert Vacancy.get_by_id(shift.id).status == Vacancy.REQUESTED


def test_profile_lists_units_and_qualifications_read_only(client, pool, anna):
    SubstituteQualification.create(user=anna, qualification=pool['licence'])
    page = client.get('/my/profile').get_data(as_text=True)
    assert 'Hemtjänst Norr</strong>, Storgatan 1, 681 30 Kristinehamn' in page
    assert 'Körkort' in page and '+46701000001' in page
    assert '<form' not in page.split('<main')[1].split('</main>')[0]


@pytest.mark.parametrize('path', ['/my/availability', '/my/shifts', '/my/requests',
                                  '/my/profile'])
def test_only_substitutes(client, pool, login, path):
    login(pool['planner'])
    assert client.get(path).status_code == 403


@pytest.mark.parametrize('path', ['/my/availability', '/my/shifts', '/my/requests'])
def test_anonymous_goes_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and '/login' in response.headers['Location']


def test_a_substitute_of_a_job_centre_has_no_pool_pages(client, jobcentre, make_user, login):
    login(make_user(jobcentre, User.SUBSTITUTE))
    assert client.get('/my/availability').status_code == 403


@pytest.mark.parametrize('path', ['/my/shifts', '/my/requests', '/my/profile'])
def test_each_page_is_also_an_htmx_fragment(client, anna, path):
    html = client.get(path, headers={'HX-Target': 'pool-panel'}).get_data(as_text=True)
    assert html.lstrip().startswith('<div id="pool-panel"') and '<html' not in html
    assert '<html' in client.get(path).get_data(as_text=True)
