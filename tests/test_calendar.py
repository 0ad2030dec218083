"""Staff calendar and the single-meeting booking path, through HTTP."""
import datetime as dt
import re

import pytest

from models import (Absence, Caseworker, CaseworkerTeam, ClosingDay, Meeting, MeetingParticipant,
                    MeetingType, Message, Pause, ReservedTime, Room, RoomTeam, Team, User,
                    WorkingHours, db)
from planner import booking

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
    # The week is read as on the pool board and the citizen's time page:
    # a lower-case w or a date in the week.
    for week in ('2026-w50', '2026-12-09'):
        same = client.get(f"/calendar/caseworker/{setup['cw'].id}?week={week}")
        assert 'Closed: Personaledag' in same.get_data(as_text=True), week
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
    confirm = client.get(f'/calendar/meeting/{meeting.id}?action=cancel')
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


def _team_cells(html):
    """{caseworker id: [the HTML of each day's cell]} of a team week."""
    return {int(cw): re.findall(r'<td>(.*?)</td>', row)
            for cw, row in re.findall(r'<tr data-cw="(\d+)">(.*?)</tr>', html, re.S)}


def test_team_week_shows_members_side_by_side(client, login, setup, make_user):
    other = make_user(setup['org'], User.CASEWORKER, name='Ole Olsen')
    cw2 = Caseworker.create(user=other, organisation=setup['org'])
    CaseworkerTeam.create(caseworker=cw2, team=setup['team'])
    WorkingHours.create(caseworker=cw2, weekday=0, start=dt.time(9), end=dt.time(11))
    login(setup['admin'])
    html = client.get(f"/calendar/team/{setup['team'].id}?week=2026-W50").get_data(as_text=True)
    assert 'Karen Vejleder' in html and 'Ole Olsen' in html
    assert '<th id="day0" scope="col" data-d="2026-12-07">Monday 7 December</th>' in html
    cells = _team_cells(html)
    karen, ole = cells[setup['cw'].id], cells[cw2.id]
    assert len(karen) == len(ole) == 5
    # Each day lists its free periods (Karen's lunch between them). Without
    # script they are one link to that caseworker's day, where every free
    # quarter hour opens a summons; calendar.js makes each period a link to
    # a summons for it (data-new, named from data-free).
    assert (f'href="/calendar/caseworker/{setup["cw"].id}?day=2026-12-07"' in karen[0]
            and '<b>Free time</b> 08:00–12:00, 12:30–16:00</a>' in karen[0])
    assert '<b>Free time</b> 09:00–11:00</a>' in ole[0]
    assert 'data-new="/summons/"' in html
    assert 'data-free="%(who)s, %(day)s %(start)s to %(end)s, free"' in html
    # Ole works on Mondays only: no free time on his Tuesday.
    assert ole[1] == ''
    day_page = client.get(f'/calendar/caseworker/{cw2.id}?day=2026-12-07').get_data(as_text=True)
    assert (f'href="/summons/?caseworker={cw2.id}&amp;date=2026-12-07&amp;time=09:00"'
            in day_page)


def test_team_week_labels_each_pause_where_it_is(client, login, setup):
    # Karen's pauses: lunch (Frokost) every weekday, an unnamed one and one
    # named with markup on Monday.
    Pause.create(caseworker=setup['cw'], weekday=0, start=dt.time(10), end=dt.time(10, 15),
                 label='')
    Pause.create(caseworker=setup['cw'], weekday=0, start=dt.time(14), end=dt.time(14, 10),
                 label='<Kaffe>')
    ClosingDay.create(organisation=setup['org'], date=MONDAY + dt.timedelta(days=2),
                      name='Temadag')
    Absence.create(caseworker=setup['cw'],   # all of Thursday's hours (Copenhagen)
                   starts_at=dt.datetime(2026, 12, 10, 6, tzinfo=dt.timezone.utc),
                   ends_at=dt.datetime(2026, 12, 10, 16, tzinfo=dt.timezone.utc))
    _book(setup, dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.timezone.utc))   # 10:30 local
    login(setup['admin'])
    html = client.get(f"/calendar/team/{setup['team'].id}?week=2026-W50").get_data(as_text=True)
    monday, tuesday, wednesday, thursday, friday = _team_cells(html)[setup['cw'].id]
    # In time order with the meetings, named as typed (escaped), before the free times.
    # (A pause's <i> follows a tag; a meeting's <i> inside it follows its type.)
    assert re.findall(r'(?:^|(?<=>))<i>[^<]*</i>|<a href="[^"]*\d">[^<]*|<a class="fr"', monday) == [
        '<i>10:00–10:15 Pause</i>',
        f'<a href="/calendar/meeting/{Meeting.get().id}">10:30–11:15 Job interview',
        '<i>12:00–12:30 Frokost</i>',
        '<i>14:00–14:10 &lt;Kaffe&gt;</i>', '<a class="fr"']
    assert tuesday.startswith('<i>12:00–12:30 Frokost</i><a class="fr"')
    # The closed day shows its closing only; an absence that takes the day,
    # no pause inside it.
    assert wednesday == '<span class="x">Closed: Temadag</span>'
    assert '<i>' not in thursday and 'Absent' in thursday
    assert friday.startswith('<i>12:00–12:30 Frokost</i>')


def test_team_week_marks_reserved_time(client, login, setup):
    # The team keeps Monday mornings for summons (shown once, in the day's
    # head: it holds for every row); Karen keeps the whole of Tuesday 8
    # December for self-booking (in her cell); Wednesday is closed.
    ReservedTime.create(organisation=setup['org'], team=setup['team'], weekday=0,
                        start=dt.time(8), end=dt.time(12), purpose=ReservedTime.SUMMONS)
    ReservedTime.create(organisation=setup['org'], caseworker=setup['cw'],
                        first_day=MONDAY + dt.timedelta(days=1),
                        last_day=MONDAY + dt.timedelta(days=2),
                        purpose=ReservedTime.SELF_BOOKING)
    ClosingDay.create(organisation=setup['org'], date=MONDAY + dt.timedelta(days=2),
                      name='Temadag')
    login(setup['admin'])
    html = client.get(f"/calendar/team/{setup['team'].id}?week=2026-W50").get_data(as_text=True)
    assert ('<th id="day0" scope="col" data-d="2026-12-07">Monday 7 December'
            '<b>Summons only 08:00–12:00</b></th>') in html
    assert '<th id="day1" scope="col" data-d="2026-12-08">Tuesday 8 December</th>' in html
    monday, tuesday, wednesday, thursday, _friday = _team_cells(html)[setup['cw'].id]
    assert monday.startswith('<i>12:00–12:30 Frokost</i>')
    assert tuesday.startswith('<b>Self-booking only</b><i>12:00–12:30 Frokost</i>')
    assert wednesday == '<span class="x">Closed: Temadag</span>'
    assert 'only' not in thursday
    # Next week's Monday keeps its mark; Karen's Tuesday there has none.
    html = client.get(f"/calendar/team/{setup['team'].id}?week=2026-W51").get_data(as_text=True)
    assert 'Monday 14 December<b>Summons only 08:00–12:00</b></th>' in html
    assert 'only' not in _team_cells(html)[setup['cw'].id][1]


def _reservations(setup, make_user):
    """Dagpenge keeps Monday mornings for summons and Thursday afternoons
    for self-booking; Karen keeps Tuesday 8 December 10-12 for
    self-booking; her other team (Ydelse) keeps Fridays for self-booking;
    a team she is not in keeps Wednesdays for summons."""
    org, team, cw = setup['org'], setup['team'], setup['cw']
    ReservedTime.create(organisation=org, team=team, weekday=0, start=dt.time(8),
                        end=dt.time(12), purpose=ReservedTime.SUMMONS)
    ReservedTime.create(organisation=org, team=team, weekday=3, start=dt.time(14),
                        purpose=ReservedTime.SELF_BOOKING)
    ReservedTime.create(organisation=org, caseworker=cw, first_day=MONDAY + dt.timedelta(days=1),
                        last_day=MONDAY + dt.timedelta(days=1), start=dt.time(10),
                        end=dt.time(12), purpose=ReservedTime.SELF_BOOKING)
    ydelse = Team.create(organisation=org, name='Ydelse', address='Jobvej 1', postcode='8000',
                         city='Aarhus C')
    CaseworkerTeam.create(caseworker=cw, team=ydelse)
    ReservedTime.create(organisation=org, team=ydelse, weekday=4,
                        purpose=ReservedTime.SELF_BOOKING)
    elsewhere = Team.create(organisation=org, name='Sygedagpenge', address='Jobvej 1',
                            postcode='8000', city='Aarhus C')
    ReservedTime.create(organisation=org, team=elsewhere, weekday=2,
                        purpose=ReservedTime.SUMMONS)
    # Ole (Dagpenge only) works Monday to Friday 09-11.
    ole = Caseworker.create(user=make_user(org, User.CASEWORKER, name='Ole Olsen'),
                            organisation=org)
    CaseworkerTeam.create(caseworker=ole, team=team)
    for weekday in range(5):
        WorkingHours.create(caseworker=ole, weekday=weekday, start=dt.time(9), end=dt.time(11))
    return ole


def _lanes(html):
    """{the name of a calendar column: its HTML} (a day, or a caseworker on the team day)."""
    return dict(re.findall(r'<section class="cal-day" aria-label="([^"]*)">(.*?)</section>',
                           html, re.S))


def _summons_link(cw, day, time):
    return f'href="/summons/?caseworker={cw.id}&amp;date={day}&amp;time={time}'


def test_caseworker_week_and_day_show_reserved_time_and_no_summons_in_self_booking_time(
        client, login, setup, make_user):
    _reservations(setup, make_user)
    cw = setup['cw']
    login(setup['admin'])
    html = client.get(f'/calendar/caseworker/{cw.id}?week=2026-W50').get_data(as_text=True)
    monday, tuesday, wednesday, thursday, friday = _lanes(html).values()
    # A band per reservation holding the day: Karen's own and her teams'.
    assert 'role="note" aria-label="Summons only 08:00–12:00">Summons only 08:00–12:00' in monday
    assert 'cal-noted' in monday and 'cal-reserved' in monday
    assert 'Self-booking only 10:00–12:00' in tuesday
    assert 'Self-booking only 14:00–24:00' in thursday
    assert '>Self-booking only</div>' in friday                  # her other team's, all day
    assert 'only' not in wednesday and 'cal-noted' not in wednesday   # not her team's
    # Summons-only time still offers summons; self-booking time does not.
    assert _summons_link(cw, '2026-12-07', '08:00') in monday
    assert _summons_link(cw, '2026-12-08', '09:45') in tuesday
    assert _summons_link(cw, '2026-12-08', '10:00') not in tuesday
    assert _summons_link(cw, '2026-12-08', '11:45') not in tuesday
    assert _summons_link(cw, '2026-12-08', '12:30') in tuesday
    assert 'Tuesday 8 December 10:00 to 12:00, free for self-booking only' in tuesday
    assert _summons_link(cw, '2026-12-10', '13:45') in thursday
    assert 'Thursday 10 December 14:00, free' not in thursday
    assert 'Thursday 10 December 14:00 to 16:00, free for self-booking only' in thursday
    assert 'href="/summons/' not in friday
    # The day view shows the same.
    html = client.get(f'/calendar/caseworker/{cw.id}?day=2026-12-08').get_data(as_text=True)
    assert 'Self-booking only 10:00–12:00' in html
    assert 'Tuesday 8 December 10:00 to 12:00, free for self-booking only' in html
    assert _summons_link(cw, '2026-12-08', '09:45') in html
    assert _summons_link(cw, '2026-12-08', '10:00') not in html
    assert _summons_link(cw, '2026-12-08', '10:15') not in html


def test_team_day_shows_the_team_and_own_reserved_time(client, login, setup, make_user):
    ole = _reservations(setup, make_user)
    login(setup['admin'])
    base = f"/calendar/team/{setup['team'].id}"
    monday = _lanes(client.get(f'{base}?day=2026-12-07').get_data(as_text=True))
    assert all('Summons only 08:00–12:00' in lane for lane in monday.values())
    assert _summons_link(ole, '2026-12-07', '09:00') in monday['Ole Olsen']
    tuesday = _lanes(client.get(f'{base}?day=2026-12-08').get_data(as_text=True))
    assert 'Self-booking only 10:00–12:00' in tuesday['Karen Vejleder']
    assert 'only' not in tuesday['Ole Olsen']
    assert _summons_link(setup['cw'], '2026-12-08', '10:00') not in tuesday['Karen Vejleder']
    assert _summons_link(ole, '2026-12-08', '10:00') in tuesday['Ole Olsen']
    # The team's Thursday afternoon; Karen's other team's Friday is not this team's.
    thursday = _lanes(client.get(f'{base}?day=2026-12-10').get_data(as_text=True))
    assert 'Self-booking only 14:00–24:00' in thursday['Karen Vejleder']
    assert _summons_link(setup['cw'], '2026-12-10', '14:00') not in thursday['Karen Vejleder']
    friday = _lanes(client.get(f'{base}?day=2026-12-11').get_data(as_text=True))
    assert 'only' not in friday['Karen Vejleder']
    assert _summons_link(setup['cw'], '2026-12-11', '14:00') in friday['Karen Vejleder']


def test_team_week_offers_no_free_period_in_self_booking_time(client, login, setup, make_user):
    ole = _reservations(setup, make_user)
    login(setup['admin'])
    html = client.get(f"/calendar/team/{setup['team'].id}?week=2026-W50").get_data(as_text=True)
    cells = _team_cells(html)
    karen = cells[setup['cw'].id]
    assert '<b>Free time</b> 08:00–12:00, 12:30–16:00</a>' in karen[0]    # summons only
    assert '<b>Free time</b> 08:00–10:00, 12:30–16:00</a>' in karen[1]    # her own
    assert '<b>Free time</b> 08:00–12:00, 12:30–14:00</a>' in karen[3]    # the team's
    # Her other team's Friday does not hold in this team (nor does the summons check).
    assert '<b>Free time</b> 08:00–12:00, 12:30–16:00</a>' in karen[4]
    assert '<b>Free time</b> 09:00–11:00</a>' in cells[ole.id][1]


def _book(setup, starts_at, minutes=45, reporting=0, room=None):
    return booking.book(booking.MeetingRequest(
        organisation=setup['org'], team=setup['team'],
        meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'), caseworker=setup['cw'],
        room=room, starts_at=starts_at, duration_minutes=minutes, reporting_minutes=reporting,
        citizens=(setup['citizen'],)), now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))


def _hours(html):
    """The hour labels on the time axis, in order."""
    return re.findall(r'class="cal-hour [^"]*">(\d\d:\d\d)<', html)


def test_week_shows_the_working_hours_and_a_whole_day_on_request(client, login, setup):
    WorkingHours.update(start=dt.time(8, 30), end=dt.time(15, 15)).execute()
    Absence.create(caseworker=setup['cw'],   # a whole day away widens nothing
                   starts_at=dt.datetime(2026, 12, 9, tzinfo=dt.timezone.utc),
                   ends_at=dt.datetime(2026, 12, 10, tzinfo=dt.timezone.utc))
    login(setup['admin'])
    url = f"/calendar/caseworker/{setup['cw'].id}?week=2026-W50"
    html = client.get(url).get_data(as_text=True)
    assert _hours(html) == ['08:00', '09:00', '10:00', '11:00', '12:00', '13:00', '14:00',
                            '15:00']
    assert 'whole=1' in html
    whole = client.get(url + '&whole=1').get_data(as_text=True)
    assert _hours(whole)[0] == '00:00' and _hours(whole)[-1] == '23:00'
    assert 'week=2026-W51&amp;whole=1' in whole          # the choice is kept across weeks


def test_a_meeting_outside_the_hours_widens_the_window(client, login, setup):
    # Booked before the hours changed: stored as it is.
    Meeting.create(organisation=setup['org'], team=setup['team'], caseworker=setup['cw'],
                   meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'),
                   starts_at=dt.datetime(2026, 12, 8, 16), ends_at=dt.datetime(2026, 12, 8, 16, 30))
    login(setup['admin'])
    html = client.get(f"/calendar/caseworker/{setup['cw'].id}?week=2026-W50").get_data(
        as_text=True)
    assert _hours(html)[0] == '08:00' and _hours(html)[-1] == '17:00'
    assert '17:00–17:30 Job' in html


@pytest.mark.parametrize('sunday', [dt.date(2026, 3, 29), dt.date(2026, 10, 25)])
def test_summer_time_days_keep_local_hours(client, login, setup, monkeypatch, sunday):
    """The last Sundays of March and October: the meeting stays at 09:00
    local time and the hours shown stay 08-16."""
    WorkingHours.create(caseworker=setup['cw'], weekday=6, start=dt.time(8), end=dt.time(16))
    _now(monkeypatch, dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    _book(setup, dt.datetime.combine(sunday, dt.time(9), tzinfo=setup['org'].zone))
    login(setup['admin'])
    html = client.get(f"/calendar/caseworker/{setup['cw'].id}?date={sunday}&weekend=1"
                      ).get_data(as_text=True)
    assert '09:00–09:45 Job' in html
    assert _hours(html)[0] == '08:00' and _hours(html)[-1] == '15:00'


def test_meeting_block_is_labelled_and_opens_its_details_in_place(client, login, setup):
    room = Room.create(organisation=setup['org'], name='Lokale 2', capacity=4)
    RoomTeam.create(room=room, team=setup['team'])
    meeting = _book(setup, dt.datetime(2026, 12, 9, 10, tzinfo=setup['org'].zone),
                    reporting=15, room=room)
    login(setup['admin'])
    html = client.get(f"/calendar/caseworker/{setup['cw'].id}?week=2026-W50").get_data(
        as_text=True)
    assert '10:00–10:45 Job interview · Lokale 2 · MB 010190' in html
    assert 'cal-reporting' in html and 'Frokost' in html
    team = client.get(f"/calendar/team/{setup['team'].id}?week=2026-W50").get_data(
        as_text=True)
    # The team week: times and type, and (shown on focus or pointer, always
    # in the link's name) the room, citizen and caseworker.
    assert (f'<a href="/calendar/meeting/{meeting.id}">10:00–10:45 Job interview'
            '<i> · Lokale 2 · MB 010190 · Karen Vejleder</i></a>') in team
    fragment = client.get(f'/calendar/meeting/{meeting.id}',
                          headers={'HX-Request': 'true', 'HX-Target': 'cal-details'})
    body = fragment.get_data(as_text=True)
    assert '<html' not in body and 'Mette Borger' in body and 'Cancel the meeting' in body


def _count_queries(monkeypatch, client, url):
    statements = []
    real_execute = db.obj.execute_sql
    monkeypatch.setattr(db.obj, 'execute_sql',
                        lambda sql, *a, **k: statements.append(sql) or real_execute(sql, *a, **k))
    assert client.get(url).status_code == 200
    monkeypatch.undo()
    return len(statements)


def test_calendar_queries_do_not_grow_with_the_meetings(client, login, setup, monkeypatch,
                                                        make_user):
    room = Room.create(organisation=setup['org'], name='Lokale 2', capacity=4)
    RoomTeam.create(room=room, team=setup['team'])
    login(setup['admin'])
    urls = [f"/calendar/caseworker/{setup['cw'].id}?week=2026-W50",
            f"/calendar/team/{setup['team'].id}?week=2026-W50",
            f"/calendar/team/{setup['team'].id}?day=2026-12-07",
            f"/calendar/caseworker/{setup['cw'].id}?day=2026-12-07",
            f'/calendar/room/{room.id}?week=2026-W50']
    _book(setup, dt.datetime(2026, 12, 7, 8, tzinfo=setup['org'].zone), room=room)
    for url in urls:          # warm caches (meeting type labels, translations)
        client.get(url)
    few = [_count_queries(monkeypatch, client, url) for url in urls]
    for i in range(12):
        citizen = make_user(setup['org'], User.CITIZEN, name=f'Borger {i}',
                            cpr=f'02029{i:05d}')
        day = MONDAY + dt.timedelta(days=i % 5)
        hour = 9 + i // 5 * 2
        booking.book(booking.MeetingRequest(
            organisation=setup['org'], team=setup['team'],
            meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'),
            caseworker=setup['cw'], room=room,
            starts_at=dt.datetime.combine(day, dt.time(hour), tzinfo=setup['org'].zone),
            duration_minutes=30, citizens=(citizen,)),
            now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    many = [_count_queries(monkeypatch, client, url) for url in urls]
    assert many == few


def test_day_view_shows_one_day_with_the_days_around_it(client, login, setup, monkeypatch):
    _now(monkeypatch, dt.datetime(2026, 12, 8, 9, 7, tzinfo=dt.timezone.utc))   # 10:07 local
    login(setup['admin'])
    html = client.get(f"/calendar/caseworker/{setup['cw'].id}?day=2026-12-08").get_data(
        as_text=True)
    assert 'Tuesday 8 December' in html and 'Wednesday 9 December' not in html
    assert 'day=2026-12-07' in html and 'day=2026-12-09' in html
    assert 'cal-day-view' in html
    assert 'class="cal-now rs-26"' in html      # 10:05 is line 26 from 08:00
    week = client.get(f"/calendar/caseworker/{setup['cw'].id}?week=2026-W50").get_data(
        as_text=True)
    assert f"/calendar/caseworker/{setup['cw'].id}?day=2026-12-09" in week


def test_team_filters_and_one_day_with_caseworkers_side_by_side(client, login, setup,
                                                                make_user):
    other = make_user(setup['org'], User.CASEWORKER, name='Ole Olsen')
    cw2 = Caseworker.create(user=other, organisation=setup['org'])
    CaseworkerTeam.create(caseworker=cw2, team=setup['team'])
    WorkingHours.create(caseworker=cw2, weekday=0, start=dt.time(9), end=dt.time(11))
    _book(setup, dt.datetime(2026, 12, 7, 10, tzinfo=setup['org'].zone))
    login(setup['admin'])
    base = f"/calendar/team/{setup['team'].id}"
    only = client.get(f"{base}?week=2026-W50&caseworker={cw2.id}").get_data(as_text=True)
    assert 'id="cw-%d"' % cw2.id in only and 'id="cw-%d"' % setup['cw'].id not in only
    other_type = MeetingType.get(MeetingType.code != 'jobsamtale')
    assert '>10:00–10:45 Job interview<i>' in client.get(f'{base}?week=2026-W50').get_data(
        as_text=True)
    assert '>10:00–10:45 Job interview<i>' not in client.get(
        f'{base}?week=2026-W50&type={other_type.id}').get_data(as_text=True)
    day = client.get(f'{base}?day=2026-12-07').get_data(as_text=True)
    assert 'aria-label="Karen Vejleder"' in day and 'aria-label="Ole Olsen"' in day
    assert 'Monday 7 December 09:00, free' in day                 # a quarter of Ole's
    assert '10:00–10:45 Job interview · MB 010190' in day
    assert f'{base}?day=2026-12-08' in client.get(f'{base}?week=2026-W50').get_data(
        as_text=True)


# --- the meeting's actions: move, send the notice again, open the citizen ---------

def _meeting_at(setup, hour=9, day=9):
    return _book(setup, dt.datetime(2026, 12, day, hour, tzinfo=setup['org'].zone), minutes=30)


def _panel(client, url, data=None):
    """An htmx request answered into the calendar's details panel."""
    headers = {'HX-Request': 'true', 'HX-Target': 'cal-details'}
    if data is None:
        return client.get(url, headers=headers)
    return client.post(url, data=data, headers=headers)


def test_move_from_the_details_notifies_and_refuses_a_busy_time(client, login, setup, make_user,
                                                                monkeypatch):
    _now(monkeypatch, dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc))
    ole = Caseworker.create(user=make_user(setup['org'], User.CASEWORKER, name='Ole Olsen'),
                            organisation=setup['org'])
    CaseworkerTeam.create(caseworker=ole, team=setup['team'])
    for weekday in range(5):
        WorkingHours.create(caseworker=ole, weekday=weekday, start=dt.time(8), end=dt.time(16))
    meeting = _meeting_at(setup)
    busy = _meeting_at(setup, hour=13)
    login(setup['admin'])
    url = f'/calendar/meeting/{meeting.id}'
    assert 'Move the meeting…' in client.get(url).get_data(as_text=True)
    form = client.get(url + '?action=move').get_data(as_text=True)
    assert 'value="2026-12-09"' in form and 'value="09:00"' in form and 'Ole Olsen' in form

    # Onto Karen's other meeting: refused at the field, nothing changes.
    refused = client.post(url, data={'action': 'move', 'move-caseworker': setup['cw'].id,
                                     'move-date': '2026-12-09', 'move-start': '13:00'})
    assert refused.status_code == 422
    assert 'not free at that time' in refused.get_data(as_text=True)
    assert Meeting.get_by_id(meeting.id).starts_at == dt.datetime(2026, 12, 9, 8)
    sms_before = Message.select().count()

    # Without JavaScript: a plain form post, then the new week of the calendar.
    moved = client.post(url, data={'action': 'move', 'move-caseworker': ole.id,
                                   'move-date': '2026-12-10', 'move-start': '11:00'})
    assert moved.status_code == 303
    assert moved.headers['Location'].startswith(f'/calendar/caseworker/{ole.id}?week=2026-W50')
    after = Meeting.get_by_id(meeting.id)
    assert (after.caseworker_id, after.starts_at) == (ole.id, dt.datetime(2026, 12, 10, 10))
    assert Message.select().count() > sms_before                   # the citizen is told
    assert Meeting.get_by_id(busy.id).starts_at == dt.datetime(2026, 12, 9, 12)

    # In place: the panel comes back with the news and the grid is told to redraw.
    again = _panel(client, url, {'action': 'move', 'move-caseworker': setup['cw'].id,
                                 'move-date': '2026-12-10', 'move-start': '14:00'})
    body = again.get_data(as_text=True)
    assert again.status_code == 200 and '<html' not in body
    assert 'The meeting is moved' in body and again.headers['HX-Trigger'] == 'calendar-changed'
    assert Meeting.get_by_id(meeting.id).caseworker_id == setup['cw'].id


def test_the_panel_actions_stay_in_the_panel(client, login, setup, monkeypatch):
    _now(monkeypatch, dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc))
    meeting = _meeting_at(setup)
    login(setup['admin'])
    body = _panel(client, f'/calendar/meeting/{meeting.id}').get_data(as_text=True)
    assert f'hx-get="/calendar/meeting/{meeting.id}?action=move" hx-target="#cal-details"' in body
    assert f'hx-post="/calendar/meeting/{meeting.id}" hx-target="#cal-details"' in body
    # The whole page (no JavaScript) has plain links and forms only.
    page = client.get(f'/calendar/meeting/{meeting.id}').get_data(as_text=True)
    assert 'hx-target="#cal-details"' not in page
    assert f'href="/calendar/meeting/{meeting.id}?action=cancel"' in page
    confirm = _panel(client, f'/calendar/meeting/{meeting.id}?action=cancel').get_data(
        as_text=True)
    assert 'Yes, cancel the meeting' in confirm
    done = _panel(client, f'/calendar/meeting/{meeting.id}', {'action': 'cancel'})
    assert done.headers['HX-Trigger'] == 'calendar-changed'
    assert 'The meeting is cancelled' in done.get_data(as_text=True)
    assert Meeting.get_by_id(meeting.id).status == Meeting.CANCELLED
    # Nothing more to do with a cancelled meeting: said, not crashed.
    late = client.post(f'/calendar/meeting/{meeting.id}', data={'action': 'move'})
    assert late.status_code == 422 and 'has been cancelled' in late.get_data(as_text=True)


def test_send_the_notice_again_from_the_details(client, login, setup, monkeypatch):
    _now(monkeypatch, dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc))
    meeting = _meeting_at(setup)
    [notice] = Message.select().where(Message.meeting == meeting.id,
                                      Message.channel == Message.SMS)
    Message.update(status=Message.FAILED, attempts=5, last_error='Vonage status 4').where(
        Message.id == notice.id).execute()
    count = Message.select().count()
    login(setup['admin'])
    url = f'/calendar/meeting/{meeting.id}'
    response = client.post(url, data={'action': 'resend'})
    assert response.status_code == 303 and response.headers['Location'] == url
    assert '1 notice is being sent to the citizen again.' in client.get(url).get_data(
        as_text=True)
    again = Message.get_by_id(notice.id)
    assert again.status == Message.SENT and again.attempts == 1
    assert Message.select().count() == count                      # the same row, none added
    twice = _panel(client, url, {'action': 'resend'}).get_data(as_text=True)
    assert 'There was no notice to send again.' in twice
    assert Message.get_by_id(notice.id).attempts == 1


def test_the_citizen_opens_from_the_details_for_those_who_may(client, login, setup, make_user):
    meeting = _meeting_at(setup)
    citizen = setup['citizen']
    login(setup['admin'])
    page = client.get(f'/calendar/meeting/{meeting.id}').get_data(as_text=True)
    assert f'href="/admin/citizens/{citizen.id}"' in page
    assert client.get(f'/admin/citizens/{citizen.id}').status_code == 200
    login(setup['cw'].user)             # a caseworker has no citizen page to go to
    page = client.get(f'/calendar/meeting/{meeting.id}').get_data(as_text=True)
    assert 'Mette Borger' in page and f'/admin/citizens/{citizen.id}' not in page


def test_another_organisation_cannot_see_or_change_a_meeting(client, login, setup, make_org,
                                                              make_user):
    meeting = _meeting_at(setup)
    login(make_user(make_org('planner'), User.ADMIN))
    url = f'/calendar/meeting/{meeting.id}'
    assert client.get(url).status_code == 404
    assert client.get(url + '?action=move').status_code == 404
    for action in ('cancel', 'move', 'resend'):
        assert client.post(url, data={'action': action, 'move-caseworker': setup['cw'].id,
                                      'move-date': '2026-12-10',
                                      'move-start': '10:00'}).status_code == 404
    login(setup['citizen'])
    assert client.get(url).status_code == 403
    assert client.post(url, data={'action': 'cancel'}).status_code == 403
    stored = Meeting.get_by_id(meeting.id)
    assert (stored.status, stored.starts_at) == (Meeting.BOOKED, dt.datetime(2026, 12, 9, 8))


# --- the room's week and day --------------------------------------------------------

@pytest.fixture
def room(setup):
    room = Room.create(organisation=setup['org'], name='Lokale 2', capacity=8, extra_seats=2,
                       allow_overbooking=True)
    RoomTeam.create(room=room, team=setup['team'])
    return room


def test_room_week_keeps_the_team_closing_days(client, login, setup, room):
    """Issue 14.17: a day its only team is closed, nobody books the room."""
    ClosingDay.create(organisation=setup['org'], team=setup['team'],
                      date=MONDAY + dt.timedelta(days=1), name='Teamdag')
    login(setup['admin'])
    html = client.get(f'/calendar/room/{room.id}?week=2026-W50').get_data(as_text=True)
    assert 'Closed: Teamdag' in html
    assert 'Tuesday 8 December 09:00, free' not in html
    assert 'Wednesday 9 December 09:00, free' in html
    # Shared with a team that works that day: the room stays open.
    other = Team.create(organisation=setup['org'], name='Sygedagpenge', address='Jobvej 3',
                        postcode='8000', city='Aarhus C')
    RoomTeam.create(room=room, team=other)
    shared = client.get(f'/calendar/room/{room.id}?week=2026-W50').get_data(as_text=True)
    assert 'Closed: Teamdag' not in shared
    assert 'Tuesday 8 December 09:00, free' in shared


def test_room_week_has_the_hours_of_its_teams_and_a_day_view(client, login, setup, room,
                                                             monkeypatch):
    _now(monkeypatch, dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc))
    WorkingHours.update(start=dt.time(9, 30), end=dt.time(14, 15)).execute()
    login(setup['admin'])
    url = f'/calendar/room/{room.id}'
    html = client.get(url + '?week=2026-W50').get_data(as_text=True)
    assert _hours(html) == ['09:00', '10:00', '11:00', '12:00', '13:00', '14:00']
    assert 'Monday 7 December 09:30, free' in html
    assert 'Monday 7 December 14:15, free' not in html            # the teams' hours end
    assert 'Monday 7 December 09:15, free' not in html
    assert f'{url}?day=2026-12-09' in html                         # each day opens alone
    whole = client.get(url + '?week=2026-W50&whole=1').get_data(as_text=True)
    assert _hours(whole)[0] == '00:00' and _hours(whole)[-1] == '23:00'
    day = client.get(url + '?day=2026-12-09').get_data(as_text=True)
    assert 'cal-day-view' in day and 'Wednesday 9 December 10:00, free' in day
    assert 'Thursday 10 December' not in day
    assert 'day=2026-12-08' in day and 'day=2026-12-10' in day


def test_room_shows_each_meeting_with_its_type_and_seats(client, login, setup, room, make_user,
                                                         monkeypatch):
    _now(monkeypatch, dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc))
    _book(setup, dt.datetime(2026, 12, 7, 10, tzinfo=setup['org'].zone), room=room)
    group = Meeting.create(
        organisation=setup['org'], team=setup['team'], caseworker=setup['cw'], room=room,
        meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'), form=Meeting.GROUP,
        seats=6, starts_at=dt.datetime(2026, 12, 8, 12, 30), ends_at=dt.datetime(2026, 12, 8, 13, 30))
    for i in range(3):
        MeetingParticipant.create(meeting=group, citizen=make_user(
            setup['org'], User.CITIZEN, name=f'Borger {i}', cpr=f'03039{i:05d}'))
    login(setup['admin'])
    html = client.get(f'/calendar/room/{room.id}?week=2026-W50').get_data(as_text=True)
    assert '10 seats' in html                                      # 8 and 2 for overbooking
    assert '10:00–10:45 Job interview · MB 010190 (1 of 10 seats)' in html
    assert '13:30–14:30 Job interview · 3/6 (3 of 10 seats)' in html   # taken of offered
    assert 'Tuesday 8 December 13:30, free' in html      # seats are left: the room is bookable


def test_team_week_shows_a_changed_pause_at_once_in_the_language_asked(client, login, setup):
    """The pauses' chips are kept between requests: a renamed pause shows on
    the next page, and an unnamed one says Pause in the reader's language."""
    Pause.create(caseworker=setup['cw'], weekday=1, start=dt.time(10), end=dt.time(10, 15),
                 label='')
    login(setup['admin'])
    url = f"/calendar/team/{setup['team'].id}?week=2026-W50"
    tuesday = _team_cells(client.get(url).get_data(as_text=True))[setup['cw'].id][1]
    assert tuesday.startswith('<i>10:00–10:15 Pause</i><i>12:00–12:30 Frokost</i>')
    Pause.update(label='Frugt').where(Pause.weekday == 1, Pause.start == dt.time(12)).execute()
    tuesday = _team_cells(client.get(url).get_data(as_text=True))[setup['cw'].id][1]
    assert '<i>12:00–12:30 Frugt</i>' in tuesday and 'Frokost' not in tuesday
    with client.session_transaction() as session:
        session['lang'] = 'sv'
    swedish = client.get(url).get_data(as_text=True)
    assert _team_cells(swedish)[setup['cw'].id][1].startswith('<i>10:00–10:15 Paus</i>')


def test_overlapping_reservations_get_a_band_each_side_by_side(client, login, setup):
    """Karen keeps Tuesday 10-12 for self-booking while her team keeps
    Tuesday mornings for summons: two bands beside each other, not one
    drawn over the other; a later one takes the edge again."""
    org, team, cw = setup['org'], setup['team'], setup['cw']
    ReservedTime.create(organisation=org, team=team, weekday=1, start=dt.time(8),
                        end=dt.time(12), purpose=ReservedTime.SUMMONS)
    ReservedTime.create(organisation=org, caseworker=cw, weekday=1, start=dt.time(10),
                        end=dt.time(12), purpose=ReservedTime.SELF_BOOKING)
    ReservedTime.create(organisation=org, caseworker=cw, weekday=1, start=dt.time(14),
                        end=dt.time(15), purpose=ReservedTime.SELF_BOOKING)
    login(setup['admin'])
    html = client.get(f'/calendar/caseworker/{cw.id}?day=2026-12-08').get_data(as_text=True)
    bands = dict((label, track) for track, label in re.findall(
        r'cal-reserved [^"]*cal-track-(\d)" role="note" aria-label="([^"]*)"', html))
    assert bands == {'Summons only 08:00–12:00': '0', 'Self-booking only 10:00–12:00': '1',
                     'Self-booking only 14:00–15:00': '0'}
    assert 'cal-noted cal-noted-2' in html
