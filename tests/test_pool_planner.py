"""The staffing centre's pages over HTTP: units, qualifications, substitutes,
vacancies (eligible list with reasons, direct booking, requests, call list,
stop), manual messages, settings; organisation scoping everywhere."""
from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl

import pytest
import responses

from models import (AuditEvent, CallOutcome, Message, Organisation, Qualification, ShiftRequest,
                    SubstituteQualification, SubstituteUnit, Unit, User, UserSession, Vacancy,
                    VacancyQualification)
from pool import staffing
from tests.test_pool_support import (TODAY, _empty_schedule, clock, last_message_id,  # noqa: F401
                                     local, make_available, pool, qualify, texts_to, vacancy)

TOMORROW = TODAY + dt.timedelta(days=1)


@pytest.fixture
def planner(pool, login):
    login(pool['planner'])
    return pool['planner']


@pytest.fixture
def other_org(make_org, make_user):
    org = make_org('pool', 'Annan kommun')
    unit = Unit.create(organisation=org, name='Elsewhere')
    qual = Qualification.create(organisation=org, name='Other licence')
    sub = make_user(org, User.SUBSTITUTE, name='Outsider')
    return dict(org=org, unit=unit, qual=qual, sub=sub,
                vacancy=Vacancy.create(organisation=org, unit=unit,
                                       starts_at=dt.datetime(2030, 6, 1, 6),
                                       ends_at=dt.datetime(2030, 6, 1, 14)))


# --- access ----------------------------------------------------------------------

@pytest.mark.parametrize('path', ['/pool/', '/pool/units/', '/pool/qualifications/',
                                  '/pool/substitutes/', '/pool/vacancies/', '/pool/vacancies/new',
                                  '/pool/messages/', '/pool/settings'])
def test_planner_pages_render_and_are_for_pool_staff_only(client, pool, planner, login,
                                                           jobcentre, make_user, path):
    assert client.get(path).status_code == 200
    page = client.get(path, headers={'HX-Target': 'pool-panel'}).get_data(as_text=True)
    assert page.lstrip().startswith('<div id="pool-panel"')
    login(pool['subs'][0])
    assert client.get(path).status_code == 403
    login(make_user(jobcentre, User.PLANNER))
    assert client.get(path).status_code == 403


def test_other_organisations_ids_are_404_in_urls(client, planner, other_org):
    for path in (f'/pool/units/{other_org["unit"].id}/edit',
                 f'/pool/qualifications/{other_org["qual"].id}/edit',
                 f'/pool/substitutes/{other_org["sub"].id}',
                 f'/pool/vacancies/{other_org["vacancy"].id}',
                 f'/pool/vacancies/{other_org["vacancy"].id}/calls',
                 f'/pool/vacancies/{other_org["vacancy"].id}/stop'):
        assert client.get(path).status_code == 404, path
    assert client.post(f'/pool/vacancies/{other_org["vacancy"].id}/stop').status_code == 404
    assert Vacancy.get_by_id(other_org['vacancy'].id).status == Vacancy.OPEN


def test_the_planner_itself_is_not_a_substitute(client, pool, planner):
    assert client.get(f'/pool/substitutes/{planner.id}').status_code == 404


# --- units and qualifications ----------------------------------------------------

def test_units_tree_with_address_move_and_delete(client, pool, planner):
    response = client.post('/pool/units/new', data={
        'name': 'Kvarnbacken', 'parent': pool['north'].id, 'address': 'Kvarnvägen 3',
        'postcode': '68131', 'city': '', 'phone': '0550-123 45'})
    assert response.status_code == 303
    unit = Unit.get(Unit.name == 'Kvarnbacken')
    assert (unit.parent_id, unit.postcode, unit.city, unit.phone) == (
        pool['north'].id, '681 31', 'Kristinehamn', '+4655012345')
    page = client.get('/pool/units/').get_data(as_text=True).split('id="unit-tree"')[1]
    assert page.index('Hemtjänst Norr') < page.index('Kvarnbacken') < page.index('Solgläntan')
    # A unit cannot go under its own sub-unit.
    response = client.post(f'/pool/units/{pool["north"].id}/edit', data={
        'name': 'Hemtjänst Norr', 'parent': unit.id})
    assert response.status_code == 200
    assert 'cannot be placed under itself' in response.get_data(as_text=True)
    # Up and down among siblings.
    client.post(f'/pool/units/{pool["south"].id}/move', data={'direction': 'up'})
    assert [u.name for u, _d in Unit.tree(pool['org'])][:2] == ['Solgläntan', 'Hemtjänst Norr']
    assert client.post(f'/pool/units/{unit.id}/move', data={'direction': 'sideways'}
                       ).status_code == 400
    # Delete: blocked by the sub-unit, then asks, then deletes.
    page = client.get(f'/pool/units/{pool["north"].id}/delete').get_data(as_text=True)
    assert 'Sub-units: Kvarnbacken.' in page
    client.post(f'/pool/units/{pool["north"].id}/delete')
    assert Unit.get_or_none(Unit.id == pool['north'].id) is not None
    page = client.get(f'/pool/units/{unit.id}/delete').get_data(as_text=True)
    assert 'Delete Kvarnbacken?' in page
    assert client.post(f'/pool/units/{unit.id}/delete').status_code == 303
    assert Unit.get_or_none(Unit.id == unit.id) is None


def test_unit_with_vacancies_is_not_deleted(client, pool, planner):
    vacancy(pool['org'], pool['south'], local(TOMORROW, 7), local(TOMORROW, 15), planner)
    page = client.get(f'/pool/units/{pool["south"].id}/delete').get_data(as_text=True)
    assert 'Vacancies: 1 (past or coming).' in page
    client.post(f'/pool/units/{pool["south"].id}/delete')
    assert Unit.get_or_none(Unit.id == pool['south'].id) is not None


def test_unit_address_all_or_none_and_postcode_checked(client, pool, planner):
    response = client.post('/pool/units/new', data={'name': 'X', 'postcode': '99999'})
    page = response.get_data(as_text=True)
    assert 'Postcode 999 99 does not exist.' in page
    assert 'Enter the address too, or clear the postcode and city.' in page
    assert client.get('/pool/postcode?postcode=68130').get_data(as_text=True).count(
        'Kristinehamn') >= 1


def test_unit_parent_from_another_organisation_is_404(client, planner, other_org):
    response = client.post('/pool/units/new', data={'name': 'Sneaky',
                                                    'parent': other_org['unit'].id})
    assert response.status_code == 404
    assert Unit.get_or_none(Unit.name == 'Sneaky') is None


def test_qualifications_unique_edit_delete(client, pool, planner):
    assert client.post('/pool/qualifications/', data={'name': 'Truckkort'}).status_code == 303
    response = client.post('/pool/qualifications/', data={'name': 'körkort'})
    assert 'Name must be unique' in response.get_data(as_text=True)
    qualify(pool['subs'][0], pool['licence'])
    page = client.get(f'/pool/qualifications/{pool["licence"].id}/delete').get_data(as_text=True)
    assert '1 substitutes hold it' in page
    client.post(f'/pool/qualifications/{pool["licence"].id}/delete')
    assert SubstituteQualification.select().count() == 0


# --- substitutes ---------------------------------------------------------------------

def substitute_form(**fields):
    data = {'name': 'Dora Dahl', 'username': 'dora', 'phone': '070-123 45 67',
            'email': '', 'language': '', 'active': 'y', 'password': 'a long password 1'}
    data.update(fields)
    return data


def test_create_substitute_with_units_and_qualifications(client, pool, planner):
    response = client.post('/pool/substitutes/new', data=substitute_form(
        units=[pool['north'].id, pool['south'].id], qualifications=[pool['licence'].id]))
    assert response.status_code == 303
    dora = User.get(User.username == 'dora')
    assert (dora.role, dora.phone, dora.organisation_id, dora.language) == (
        User.SUBSTITUTE, '+46701234567', pool['org'].id, None)
    assert dora.check_password('a long password 1')
    assert {link.unit_id for link in dora.unit_links} == {pool['north'].id, pool['south'].id}
    assert [link.qualification_id for link in dora.qualification_links] == [pool['licence'].id]
    assert AuditEvent.get(AuditEvent.action == 'substitute_saved').object_id == dora.id


@pytest.mark.parametrize('fields, message', [
    ({'phone': '08-123 456 78'}, 'Enter a valid mobile number'),     # a landline
    ({'phone': 'call me'}, 'Enter a valid mobile number'),
    ({'phone': ''}, 'Enter a mobile number.'),
    ({'password': ''}, 'Set a first password'),
    ({'password': 'short'}, 'At least 12 characters.'),
    ({'username': 'do ra'}, 'A username has no spaces.'),
    ({'email': 'nope'}, 'Enter a valid email address.'),
])
def test_substitute_bad_input(client, pool, planner, fields, message):
    response = client.post('/pool/substitutes/new', data=substitute_form(**fields))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert User.get_or_none(User.name == 'Dora Dahl') is None


def test_username_taken_anywhere(client, pool, planner, other_org):
    response = client.post('/pool/substitutes/new',
                           data=substitute_form(username=other_org['sub'].username))
    assert 'This username is taken.' in response.get_data(as_text=True)


def test_units_and_qualifications_of_another_organisation_are_404(client, pool, planner,
                                                                  other_org):
    assert client.post('/pool/substitutes/new', data=substitute_form(
        units=[other_org['unit'].id])).status_code == 404
    assert client.post('/pool/substitutes/new', data=substitute_form(
        qualifications=[other_org['qual'].id])).status_code == 404
    assert User.get_or_none(User.username == 'dora') is None


def test_edit_keeps_the_password_and_deactivating_logs_out(client, pool, planner):
    anna = pool['subs'][0]
    anna.set_password('correct horse battery')
    anna.save()
    UserSession.open(anna)
    response = client.post(f'/pool/substitutes/{anna.id}', data=substitute_form(
        name='Anna Andersson', username=anna.username, phone='+46701000001', password='',
        active='', units=[pool['south'].id]))
    assert response.status_code == 303
    anna = User.get_by_id(anna.id)
    assert not anna.active and anna.check_password('correct horse battery')
    assert [link.unit_id for link in anna.unit_links] == [pool['south'].id]
    assert UserSession.select().where(UserSession.user == anna).count() == 0


def test_search_by_name_username_or_phone(client, pool, planner):
    page = client.get('/pool/substitutes/?q=berg').get_data(as_text=True)
    assert 'Bo Berg' in page and 'Anna Andersson' not in page
    page = client.get('/pool/substitutes/?q=0701000003').get_data(as_text=True)
    assert 'Cecilia Carlsson' in page and 'Bo Berg' not in page
    page = client.get('/pool/substitutes/?q=zzz', headers={'HX-Target': 'substitute-list'})
    html = page.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="substitute-list"')
    assert 'No substitute matches "zzz".' in html


# --- vacancies ------------------------------------------------------------------------

def test_register_a_night_shift_across_midnight(client, pool, planner):
    response = client.post('/pool/vacancies/new', data={
        'unit': pool['north'].id, 'date': TOMORROW.isoformat(), 'start': '21:30',
        'end': '07:00', 'qualifications': [pool['delegation'].id], 'note': 'Nattpass'})
    assert response.status_code == 303
    shift = Vacancy.get()
    assert (shift.starts_at, shift.ends_at) == (dt.datetime(2030, 5, 9, 19, 30),
                                                dt.datetime(2030, 5, 10, 5, 0))
    assert [link.qualification_id for link in shift.qualification_links] == [
        pool['delegation'].id]
    page = client.get(response.headers['Location']).get_data(as_text=True)
    assert 'Thu 9 May 21:30–Fri 07:00' in page and 'Läkemedelsdelegering' in page
    assert 'Direct booking' in page


@pytest.mark.parametrize('data, message', [
    ({'date': '2030-05-08', 'start': '07:00', 'end': '09:00'},
     'The shift starts in the past.'),
    ({'date': '2030-05-01', 'start': '07:00', 'end': '15:00'}, 'The shift starts in the past.'),
    ({'date': 'tomorrow', 'start': '07:00', 'end': '15:00'}, 'Enter the date.'),
    ({'date': '2030-05-09', 'start': '', 'end': '15:00'}, 'Enter the start.'),
])
def test_bad_vacancies_are_refused(client, pool, planner, data, message):
    response = client.post('/pool/vacancies/new', data={'unit': pool['north'].id, **data})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert Vacancy.select().count() == 0


def test_vacancy_unit_of_another_organisation_is_404(client, planner, other_org):
    response = client.post('/pool/vacancies/new', data={
        'unit': other_org['unit'].id, 'date': TOMORROW.isoformat(), 'start': '07:00',
        'end': '15:00'})
    assert response.status_code == 404


def test_list_by_status(client, pool, planner):
    open_one = vacancy(pool['org'], pool['north'], local(TOMORROW, 7), local(TOMORROW, 15),
                       planner)
    stopped = vacancy(pool['org'], pool['south'], local(TOMORROW, 15), local(TOMORROW, 22),
                      planner)
    staffing.stop(stopped, by=planner, at=staffing.now())
    page = client.get('/pool/vacancies/?status=open').get_data(as_text=True)
    assert f'/pool/vacancies/{open_one.id}"' in page and f'/pool/vacancies/{stopped.id}"' not in page
    page = client.get('/pool/vacancies/?status=cancelled',
                      headers={'HX-Target': 'vacancy-list'}).get_data(as_text=True)
    assert f'/pool/vacancies/{stopped.id}"' in page and 'Cancelled' in page


def test_eligible_list_in_fair_order_and_everyone_with_reasons(client, pool, planner, clock):
    anna, bo, cecilia = pool['subs']
    for sub in (anna, bo):
        make_available(sub, TODAY - dt.timedelta(days=0))
    # Bo worked last week (booked hours in the last 28 days): Anna comes first.
    worked = Vacancy.create(organisation=pool['org'], unit=pool['north'], status=Vacancy.BOOKED,
                            substitute=bo, starts_at=dt.datetime(2030, 5, 1, 6),
                            ends_at=dt.datetime(2030, 5, 1, 14))
    assert worked.id
    for sub in (anna, bo):
        make_available(sub, TOMORROW)
    qualify(anna, pool['delegation'])
    shift = vacancy(pool['org'], pool['north'], local(TOMORROW, 7), local(TOMORROW, 15),
                    planner)
    page = client.get(f'/pool/vacancies/{shift.id}').get_data(as_text=True)
    eligible = page.split('Eligible substitutes')[1]
    assert eligible.index('Anna Andersson') < eligible.index('Bo Berg')
    assert '8 h booked in 28 days' in eligible and 'Cecilia' not in eligible
    page = client.get(f'/pool/vacancies/{shift.id}?all=1',
                      headers={'HX-Target': 'eligible-list'}).get_data(as_text=True)
    assert page.lstrip().startswith('<section id="eligible-list"')
    assert 'Cecilia Carlsson' in page
    assert 'Not eligible: not available for the whole shift.' in page
    # With a qualification required, Bo lacks it.
    VacancyQualification.create(vacancy=shift, qualification=pool['delegation'])
    page = client.get(f'/pool/vacancies/{shift.id}?all=1').get_data(as_text=True)
    assert 'Not eligible: lacks Läkemedelsdelegering.' in page


def test_direct_booking_of_one_and_the_first_in_order(client, pool, planner):
    anna, bo, _c = pool['subs']
    for sub in (anna, bo):
        make_available(sub, TOMORROW)
    first = vacancy(pool['org'], pool['north'], local(TOMORROW, 7), local(TOMORROW, 15), planner)
    second = vacancy(pool['org'], pool['south'], local(TOMORROW, 7), local(TOMORROW, 15),
                     planner)
    response = client.post(f'/pool/vacancies/{first.id}/book', data={'user': bo.id})
    assert response.status_code == 303
    assert Vacancy.get_by_id(first.id).substitute_id == bo.id
    assert texts_to(bo)[-1] == ('Booking: you are booked for a shift at Hemtjänst Norr, '
                                'Storgatan 1, 681 30 Kristinehamn, Thu 9 May 07:00–15:00. '
                                'Questions? Call +46812345678.')
    assert 'Bo Berg is booked and has been sent an SMS.' in client.get(
        response.headers['Location']).get_data(as_text=True)
    # Bo is busy now; nobody else is trained at the south unit.
    page = client.get(f'/pool/vacancies/{second.id}').get_data(as_text=True)
    assert 'Nobody is eligible for this shift.' in page
    SubstituteUnit.create(user=anna, unit=pool['south'])
    client.post(f'/pool/vacancies/{second.id}/book', data={'user': 'first'})
    assert Vacancy.get_by_id(second.id).substitute_id == anna.id


def test_direct_booking_refuses_the_ineligible_and_short_or_same_day_shifts(
        client, pool, planner, other_org):
    anna, bo, cecilia = pool['subs']
    make_available(anna, TODAY)
    make_available(anna, TOMORROW)
    short = vacancy(pool['org'], pool['north'], local(TOMORROW, 7), local(TOMORROW, 10), planner)
    today = vacancy(pool['org'], pool['north'], local(TODAY, 12), local(TODAY, 20), planner)
    long_one = vacancy(pool['org'], pool['north'], local(TOMORROW, 12), local(TOMORROW, 20),
                       planner)
    for shift in (short, today):
        response = client.post(f'/pool/vacancies/{shift.id}/book', data={'user': anna.id})
        assert 'go out as requests' in client.get(response.headers['Location']).get_data(
            as_text=True)
        assert Vacancy.get_by_id(shift.id).status == Vacancy.OPEN
    response = client.post(f'/pool/vacancies/{long_one.id}/book', data={'user': cecilia.id})
    assert 'Cecilia Carlsson cannot take this shift any more: not available' in client.get(
        response.headers['Location']).get_data(as_text=True)
    assert client.post(f'/pool/vacancies/{long_one.id}/book',
                       data={'user': other_org['sub'].id}).status_code == 404
    assert client.post(f'/pool/vacancies/{long_one.id}/book',
                       data={'user': planner.id}).status_code == 404
    assert Vacancy.get_by_id(long_one.id).status == Vacancy.OPEN


def test_requests_waves_deadline_and_next_wave(client, pool, planner, clock):
    anna, bo, cecilia = pool['subs']
    for sub in pool['subs']:
        make_available(sub, TODAY)
    client.post('/pool/settings', data={'requests_per_wave': 2, 'answer_minutes': 30})
    shift = vacancy(pool['org'], pool['north'], local(TODAY, 10), local(TODAY, 13), planner)
    page = client.get(f'/pool/vacancies/{shift.id}').get_data(as_text=True)
    assert 'value="2"' in page and 'value="2030-05-08T08:30"' in page
    response = client.post(f'/pool/vacancies/{shift.id}/requests',
                           data={'count': 2, 'deadline': '2030-05-08T10:30'})
    assert 'The deadline to answer must be before the shift starts.' in response.get_data(
        as_text=True)
    response = client.post(f'/pool/vacancies/{shift.id}/requests',
                           data={'count': 2, 'deadline': '2030-05-08T07:30'})
    assert 'The deadline to answer has passed already.' in response.get_data(as_text=True)
    assert ShiftRequest.select().count() == 0
    client.post(f'/pool/vacancies/{shift.id}/requests',
                data={'count': 2, 'deadline': '2030-05-08T08:30'})
    first_wave = {r.user_id for r in ShiftRequest.select()}
    assert len(first_wave) == 2
    clock.advance(minutes=31)
    page = client.get(f'/pool/vacancies/{shift.id}').get_data(as_text=True)
    assert 'Nobody said yes in time.' in page and 'Send the next wave of requests' in page
    assert Vacancy.get_by_id(shift.id).status == Vacancy.UNFILLED
    client.post(f'/pool/vacancies/{shift.id}/requests',
                data={'count': 2, 'deadline': '2030-05-08T09:30'})
    second = ShiftRequest.select().where(ShiftRequest.wave == 2)
    assert [r.user_id for r in second] == list({s.id for s in pool['subs']} - first_wave)
    clock.advance(minutes=60)
    response = client.post(f'/pool/vacancies/{shift.id}/requests',
                           data={'count': 2, 'deadline': '2030-05-08T09:50'})
    assert 'Nobody eligible is left to ask.' in response.get_data(as_text=True)


def test_requests_go_out_through_the_vonage_sdk(app, client, pool, planner):
    app.config.update(VONAGE_API_KEY='key123', VONAGE_API_SECRET='secret456')
    anna = pool['subs'][0]
    make_available(anna, TODAY)
    shift = vacancy(pool['org'], pool['north'], local(TODAY, 10), local(TODAY, 13), planner)
    with responses.RequestsMock() as api:
        api.post('https://rest.nexmo.com/sms/json', json={'message-count': '1', 'messages': [
            {'to': '46701000001', 'message-id': 'abc', 'status': '0'}]})
        client.post(f'/pool/vacancies/{shift.id}/requests',
                    data={'count': 1, 'deadline': '2030-05-08T09:00'})
        [call] = api.calls
    sent = dict(parse_qsl(call.request.body))
    request = ShiftRequest.get()
    assert sent['to'] == '46701000001' and sent['client-ref'] == str(request.message_id)
    assert 'Reply JA or NEJ by ' in sent['text'] and request.code not in sent['text']
    assert Message.get_by_id(request.message_id).status == Message.SENT


def test_the_request_sms_asks_for_the_code_only_with_several_open(pool, planner):
    anna = pool['subs'][0]
    make_available(anna, TODAY)
    morning = vacancy(pool['org'], pool['north'], local(TODAY, 10), local(TODAY, 12), planner)
    evening = vacancy(pool['org'], pool['north'], local(TODAY, 17), local(TODAY, 19), planner)
    at = staffing.now()
    [first] = staffing.send_requests(morning, 1, local(TODAY, 9, 30), by=planner, at=at)
    [second] = staffing.send_requests(evening, 1, local(TODAY, 9, 30), by=planner, at=at)
    plain, coded = texts_to(anna)
    assert 'Reply JA or NEJ by ' in plain and first.code not in plain
    assert f'Reply JA {second.code} or NEJ {second.code} by ' in coded


def test_call_list_with_outcomes(client, pool, planner):
    anna, bo, _c = pool['subs']
    for sub in (anna, bo):
        make_available(sub, TODAY)
    shift = vacancy(pool['org'], pool['north'], local(TODAY, 9), local(TODAY, 17), planner)
    page = client.get(f'/pool/vacancies/{shift.id}').get_data(as_text=True)
    assert 'class="button" href="/pool/vacancies/%d/calls"' % shift.id in page  # same day
    page = client.get(f'/pool/vacancies/{shift.id}/calls').get_data(as_text=True)
    assert 'href="tel:+46701000001"' in page and 'href="tel:+46701000002"' in page
    client.post(f'/pool/vacancies/{shift.id}/calls', data={'user': anna.id,
                                                           'outcome': 'no_answer'})
    client.post(f'/pool/vacancies/{shift.id}/calls', data={'user': bo.id, 'outcome': 'declined'})
    page = client.get(f'/pool/vacancies/{shift.id}/calls').get_data(as_text=True)
    assert 'No answer' in page and 'Declined' in page
    assert client.post(f'/pool/vacancies/{shift.id}/calls',
                       data={'user': bo.id, 'outcome': 'maybe'}).status_code == 400
    before = last_message_id()
    response = client.post(f'/pool/vacancies/{shift.id}/calls', data={'user': anna.id,
                                                                      'outcome': 'accepted'})
    assert response.status_code == 303
    shift = Vacancy.get_by_id(shift.id)
    assert (shift.status, shift.substitute_id, shift.booked_via) == (
        Vacancy.BOOKED, anna.id, Vacancy.CALL)
    assert texts_to(anna, since=before)[0].startswith('Booking: you are booked')
    assert [c.outcome for c in CallOutcome.select().order_by(CallOutcome.id)] == [
        'no_answer', 'declined', 'accepted']


def test_an_accepted_call_for_someone_ineligible_books_nothing(client, pool, planner):
    cecilia = pool['subs'][2]   # no availability
    shift = vacancy(pool['org'], pool['north'], local(TODAY, 9), local(TODAY, 17), planner)
    response = client.post(f'/pool/vacancies/{shift.id}/calls',
                           data={'user': cecilia.id, 'outcome': 'accepted'})
    assert 'cannot take this shift any more' in client.get(
        response.headers['Location']).get_data(as_text=True)
    assert Vacancy.get_by_id(shift.id).status == Vacancy.OPEN
    assert CallOutcome.select().count() == 0


def test_stop_a_booked_vacancy_asks_then_cancels_with_an_sms(client, pool, planner):
    anna = pool['subs'][0]
    make_available(anna, TOMORROW)
    shift = vacancy(pool['org'], pool['north'], local(TOMORROW, 7), local(TOMORROW, 15), planner)
    staffing.book(shift, anna, by=planner, at=staffing.now())
    page = client.get(f'/pool/vacancies/{shift.id}/stop').get_data(as_text=True)
    assert 'Anna Andersson is booked and will be sent a cancellation by SMS.' in page
    assert Vacancy.get_by_id(shift.id).status == Vacancy.BOOKED
    before = last_message_id()
    assert client.post(f'/pool/vacancies/{shift.id}/stop').status_code == 303
    assert Vacancy.get_by_id(shift.id).status == Vacancy.CANCELLED
    assert texts_to(anna, since=before) == [
        'Cancelled: your shift at Hemtjänst Norr, Thu 9 May 07:00–15:00 is cancelled. '
        'Questions? Call +46812345678.']


# --- manual messages -----------------------------------------------------------------

def test_manual_message_preview_then_send_to_a_unit(client, pool, planner, make_user):
    dora = make_user(pool['org'], User.SUBSTITUTE, name='Dora Dahl', language='en')
    SubstituteUnit.create(user=dora, unit=pool['south'])
    data = {'audience': 'unit', 'unit': pool['south'].id, 'text': 'Staff meeting Friday.',
            'weeks': 2}
    page = client.post('/pool/messages/', data={**data, 'action': 'preview'}).get_data(
        as_text=True)
    assert '1 substitutes will get this SMS' in page and 'Dora Dahl' in page
    assert Message.select().where(Message.kind == Message.MANUAL).count() == 0
    response = client.post('/pool/messages/', data={**data, 'action': 'send'})
    assert response.status_code == 303
    [sms] = Message.select().where(Message.kind == Message.MANUAL)
    assert sms.user_id == dora.id
    assert sms.body == ('Staff meeting Friday.\n(This SMS cannot be answered. '
                        'Call +46812345678.)')


def test_manual_message_audiences(client, pool, planner):
    anna, bo, cecilia = pool['subs']
    qualify(bo, pool['licence'])
    make_available(anna, TOMORROW)
    make_available(cecilia, TODAY + dt.timedelta(weeks=3))   # beyond two weeks

    def names(**data):
        page = client.post('/pool/messages/', data={'text': 'x', 'weeks': 2, 'action': 'preview',
                                                    **data}).get_data(as_text=True)
        return page.split('will get this SMS</h2>')[1].split('</p>')[0]

    assert 'Anna' in names(audience='all') and 'Cecilia' in names(audience='all')
    assert names(audience='qualification', qualification=pool['licence'].id).strip() == \
        '<p>Bo Berg'
    missing = names(audience='no_availability')
    assert 'Bo Berg' in missing and 'Cecilia Carlsson' in missing and 'Anna' not in missing
    page = client.post('/pool/messages/', data={'audience': 'unit', 'text': 'x',
                                                'action': 'preview'}).get_data(as_text=True)
    assert 'Choose a unit.' in page


def test_manual_message_to_another_organisations_unit_is_404(client, planner, other_org):
    assert client.post('/pool/messages/', data={
        'audience': 'unit', 'unit': other_org['unit'].id, 'text': 'x', 'action': 'send'}
    ).status_code == 404
    assert Message.select().count() == 0


def test_the_overview_warns_when_substitutes_cannot_answer(client, pool, planner):
    page = client.get('/pool/').get_data(as_text=True)
    assert 'Substitutes cannot answer an SMS sent from a name.' in page
    Organisation.update(sms_sender='46769436000').where(
        Organisation.id == pool['org'].id).execute()
    assert 'cannot answer an SMS' not in client.get('/pool/').get_data(as_text=True)


def test_a_night_shift_on_the_night_the_clocks_go_back(client, pool, planner):
    """27 October 2030: 22:00-07:00 is ten hours, and a night preset covers it."""
    anna = pool['subs'][0]
    night = dt.date(2030, 10, 26)
    make_available(anna, night, dt.time(22), dt.time(7), True)
    response = client.post('/pool/vacancies/new', data={
        'unit': pool['north'].id, 'date': night.isoformat(), 'start': '22:00', 'end': '07:00'})
    shift = Vacancy.get()
    assert shift.ends_at - shift.starts_at == dt.timedelta(hours=10)
    page = client.get(response.headers['Location']).get_data(as_text=True)
    assert 'Sat 26 Oct 22:00–Sun 07:00' in page
    assert 'Anna Andersson' in page.split('Eligible substitutes')[1]
