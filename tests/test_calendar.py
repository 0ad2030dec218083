"""Staff calendar and the single-meeting booking path, through HTTP."""
import datetime as dt

import pytest

from models import (Caseworker, CaseworkerTeam, ClosingDay, Meeting, MeetingType, Message, Pause,
                    Team, User, WorkingHours)

MONDAY = dt.date(2026, 12, 7)   # ISO week 2026-W50


@pytest.fixture
def setup(jobcentre, make_user):
    team = Team.create(organisation=jobcentre, name='Dagpenge', address='Jobvej 1',
                       postcode='8000', city='Aarhus C')
    user = make_user(jobcentre, User.CASEWORKER, name='Karen Vejleder')
    cw = Caseworker.create(user=user, organisation=jobcentre, initials='KV')
    CaseworkerTeam.create(caseworker=cw, team=team)
    for weekday in range(5):
        WorkingHours.create(caseworker=cw, weekday=weekday, start=dt.time(8), end=dt.time(16))
        Pause.create(caseworker=cw, weekday=weekday, start=dt.time(12),
                     end=dt.time(12, 30), label='Frokost')
    citizen = make_user(jobcentre, User.CITIZEN, name='Mette Borger', cpr='0101901234',
                        language='en')
    admin = make_user(jobcentre, User.ADMIN)
    return dict(team=team, cw=cw, citizen=citizen, admin=admin, org=jobcentre)


def _now(monkeypatch, when):
    import blueprints.planner.calendar as cal
    from planner import booking
    monkeypatch.setattr(cal, 'utcnow', lambda: when)


def test_week_shows_hours_pause_and_free_times(client, login, setup):
    login(setup['admin'])
    page = client.get(f"/calendar/caseworker/{setup['cw'].id}?week=2026-W50")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'Frokost' in html
    assert 'Monday 7 December 08:00, free' in html
    assert 'Monday 7 December 12:00, free' not in html   # the lunch pause
    assert 'Saturday 12 December' not in html             # weekend hidden by default
    assert 'Monday 7 December 16:00, free' not in html    # end of bookable hours
    # A free time starts a summons at that time with that caseworker.
    cw = setup['cw'].id
    assert f'href="/summons/?caseworker={cw}&amp;date=2026-12-07&amp;time=08:00"' in html


def test_closing_day_and_week_navigation(client, login, setup):
    ClosingDay.create(organisation=setup['org'], date=MONDAY + dt.timedelta(days=1),
                      name='Personaledag')
    login(setup['admin'])
    html = client.get(f"/calendar/caseworker/{setup['cw'].id}?week=2026-W50").get_data(as_text=True)
    assert 'Closed: Personaledag' in html
    assert 'Tuesday 8 December 09:00, free' not in html
    assert 'week=2026-W51' in html and 'week=2026-W49' in html
    # htmx asks for the grid only
    fragment = client.get(f"/calendar/caseworker/{setup['cw'].id}?week=2026-W51",
                          headers={'HX-Request': 'true', 'HX-Target': 'calendar-grid'})
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="calendar-grid"')
    assert '<html' not in body
    assert 'HX-Request' in fragment.headers.get('Vary', '')


def test_book_from_a_free_time_then_the_slot_is_gone(client, login, setup):
    login(setup['admin'])
    cw = setup['cw']
    form_page = client.get(f'/calendar/new?caseworker={cw.id}&date=2026-12-08&start=10:00&end=12:00')
    assert 'value="10:00"' in form_page.get_data(as_text=True)
    jobsamtale = MeetingType.get(MeetingType.code == 'jobsamtale')
    response = client.post('/calendar/new', data={
        'team': setup['team'].id, 'caseworker': cw.id, 'room': 0,
        'meeting_type': jobsamtale.id, 'attendance': 'in_person', 'date': '2026-12-08',
        'start': '10:00', 'duration': 45, 'reporting': 15, 'cpr': '010190-1234', 'note': ''})
    assert response.status_code == 303
    meeting = Meeting.get()
    assert meeting.caseworker_id == cw.id and meeting.reporting_minutes == 15
    sms = Message.get(Message.recipient == setup['citizen'].phone)
    assert 'Jobvej 1' in sms.body
    html = client.get(response.headers['Location']).get_data(as_text=True)
    assert 'MB 010190' in html                              # initials + six CPR digits
    assert '0101901234' not in html
    assert 'Tuesday 8 December 10:00, free' not in html
    assert 'Tuesday 8 December 10:45, free' not in html     # reporting time
    assert 'Tuesday 8 December 11:00, free' in html

    # The same time again is refused with a message at the field; nothing saved.
    again = client.post('/calendar/new', data={
        'team': setup['team'].id, 'caseworker': cw.id, 'room': 0,
        'meeting_type': jobsamtale.id, 'attendance': 'in_person', 'date': '2026-12-08',
        'start': '10:30', 'duration': 30, 'reporting': 0, 'cpr': '010190-1234', 'note': ''})
    assert again.status_code == 200
    assert 'not free at that time' in again.get_data(as_text=True)
    assert Meeting.select().count() == 1


def test_cancel_needs_confirmation_and_notifies(client, login, setup):
    from planner import booking
    login(setup['admin'])
    meeting = booking.book(booking.MeetingRequest(
        organisation=setup['org'], team=setup['team'],
        meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'), caseworker=setup['cw'],
        starts_at=dt.datetime(2026, 12, 9, 9, tzinfo=setup['org'].zone), duration_minutes=30,
        citizens=(setup['citizen'],)), now=dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc))
    page = client.get(f'/calendar/meeting/{meeting.id}')
    assert 'Cancel the meeting' in page.get_data(as_text=True)
    confirm = client.get(f'/calendar/meeting/{meeting.id}?confirm=cancel')
    assert 'Yes, cancel the meeting' in confirm.get_data(as_text=True)
    assert Meeting.get_by_id(meeting.id).status == Meeting.BOOKED
    done = client.post(f'/calendar/meeting/{meeting.id}', data={'action': 'cancel'})
    assert done.status_code == 303
    assert Meeting.get_by_id(meeting.id).status == Meeting.CANCELLED
    assert Message.select().where(Message.body.contains('cancelled')).exists()


def test_other_organisation_and_citizen_are_kept_out(client, login, setup, make_org, make_user):
    other_admin = make_user(make_org('planner'), User.ADMIN)
    login(other_admin)
    assert client.get(f"/calendar/caseworker/{setup['cw'].id}").status_code == 404
    assert client.get(f"/calendar/team/{setup['team'].id}").status_code == 404
    login(setup['citizen'])
    assert client.get(f"/calendar/caseworker/{setup['cw'].id}").status_code == 403


def test_team_week_shows_members_side_by_side(client, login, setup, make_user):
    other = make_user(setup['org'], User.CASEWORKER, name='Ole Olsen')
    cw2 = Caseworker.create(user=other, organisation=setup['org'])
    CaseworkerTeam.create(caseworker=cw2, team=setup['team'])
    WorkingHours.create(caseworker=cw2, weekday=0, start=dt.time(9), end=dt.time(11))
    login(setup['admin'])
    html = client.get(f"/calendar/team/{setup['team'].id}?week=2026-W50").get_data(as_text=True)
    assert 'Karen Vejleder' in html and 'Ole Olsen' in html
    # The overview shows whole free periods, each opening New appointment for it.
    assert 'Monday 7 December 08:00 to 12:00, free' in html     # Karen, until lunch
    assert 'Monday 7 December 09:00 to 11:00, free' in html     # Ole
    assert 'Tuesday 8 December 09:00 to 11:00, free' not in html
    # A whole free period starts a summons for its length (08:00 to 12:00).
    assert (f"/summons/?caseworker={setup['cw'].id}&amp;date=2026-12-07&amp;time=08:00"
            f"&amp;team={setup['team'].id}&amp;duration=240") in html
