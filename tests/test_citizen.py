"""The citizen's pages: offers they match, week by week, confirm, receipt,
My appointments, .ics, rebook and cancel; bad input changes nothing."""
import datetime as dt
import re
from html import unescape

import pytest
from icalendar import Calendar

from models import (AuditEvent, CitizenProfile, Meeting, MeetingParticipant, MeetingType, Message,
                    OnlineOffer, Room, TypeVariant, User, WorkingHours)
from planner import booking
from tests.test_offers_support import next_monday  # noqa: F401
from tests.test_offers_support import (UTC, make_caseworker, make_citizen, make_offer, rules_json,
                                       world)

TAKEN = 'That time was just taken. Please choose another.'


def confirm_links(html: str) -> list[str]:
    return [unescape(u) for u in re.findall(r'href="(/my/[^"]*confirm\?[^"]*)"', html)]


def shown_times(html: str) -> list[str]:
    """HH:MM of the free times listed."""
    section = html.split('class="time-list"')[1].split('</ul>')[0] if 'time-list' in html else ''
    return re.findall(r'</span>(\d\d:\d\d)', section)


def at(org, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=org.zone)


def start_param(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%MZ')


def flash_text(client, response) -> str:
    assert response.status_code == 303, response.status_code
    return client.get(response.headers['Location']).get_data(as_text=True)


@pytest.fixture
def week(world):
    """The offer: next week Monday to Friday, Karen and Ole, team model."""
    monday = next_monday(world['org'])
    offer = make_offer(world['org'], world['team'], [world['karen'], world['ole']],
                       first_day=monday, end=monday + dt.timedelta(days=4))
    return dict(world, offer=offer, monday=monday)


def book_via_http(client, offer, start, caseworker=None, accept=True):
    data = {'start': start_param(start), 'accept': 'y' if accept else ''}
    if caseworker:
        data['caseworker'] = caseworker.id
    return client.post(f'/my/book/{offer.id}/confirm', data=data)


# --- who sees which offer ------------------------------------------------------

def test_citizens_see_only_the_offers_they_match(client, login, week):
    w = week
    kontant = make_offer(w['org'], w['team'], [w['ole']], number=2, title='Kontanthjælp',
                         rules=rules_json(('all', [('contact_group', 'eq', ['kontanthjaelp'])])))
    make_offer(w['org'], w['team'], [w['ole']], number=3, title='Lukket', active=False)
    make_offer(w['org'], w['team'], [w['ole']], number=4, title='Senere',
               bookable_from=w['monday'] + dt.timedelta(days=1))
    make_offer(w['org'], w['team'], [w['ole']], number=5, title='Udløbet',
               bookable_from=w['monday'] - dt.timedelta(days=30),
               first_day=w['monday'] - dt.timedelta(days=30),
               end=w['monday'] - dt.timedelta(days=8))
    login(w['mette'])
    page = client.get('/my/book').get_data(as_text=True)
    assert 'Jobsamtale for dagpengemodtagere over 30' in page
    for hidden in ('Kontanthjælp', 'Lukket', 'Senere', 'Udløbet'):
        assert hidden not in page
    # Asking for an offer one does not match: a clear message, nothing else.
    for url in (f'/my/book/{kontant.id}', f'/my/book/{kontant.id}/time',
                f'/my/book/{kontant.id}/confirm?start=2030-01-01T08:00Z'):
        html = flash_text(client, client.get(url))
        assert 'This meeting is not offered to you.' in html and 'Kontanthjælp' not in html
    r = book_via_http(client, kontant, at(w['org'], w['monday'], 9))
    assert 'This meeting is not offered to you.' in flash_text(client, r)
    assert Meeting.select().count() == 0

    login(w['sune'])
    assert 'Kontanthjælp' in client.get('/my/book').get_data(as_text=True)
    login(w['unge'])
    assert 'There are no meetings you can book right now.' in client.get(
        '/my/book').get_data(as_text=True)


def test_offers_of_another_organisation_are_404(client, login, week, make_org, make_user):
    stranger = make_user(make_org('planner'), User.CITIZEN)
    login(stranger)
    assert client.get(f"/my/book/{week['offer'].id}").status_code == 404
    assert client.get(f"/my/book/{week['offer'].id}/time").status_code == 404


# --- the week of free times ----------------------------------------------------

def test_week_page_offers_days_with_free_times_and_the_times_of_one(client, login, world):
    w = world
    monday = next_monday(w['org'])
    WorkingHours.delete().where(WorkingHours.caseworker == w['ole'].id,
                                WorkingHours.weekday != 0).execute()
    WorkingHours.delete().where(WorkingHours.caseworker == w['karen'].id,
                                WorkingHours.weekday.not_in([0, 2])).execute()
    offer = make_offer(w['org'], w['team'], [w['karen'], w['ole']], first_day=monday,
                       end=monday + dt.timedelta(days=8))
    login(w['mette'])
    html = client.get(f'/my/book/{offer.id}/time').get_data(as_text=True)
    week = monday.isocalendar()[1]
    assert f'Week {week}:' in html
    # Monday and Wednesday can be chosen, Tuesday cannot; no weekend.
    assert re.search(r'<a href="[^"]*day=' + monday.isoformat(), html)
    tuesday = monday + dt.timedelta(days=1)
    assert not re.search(r'<a href="[^"]*day=' + tuesday.isoformat(), html)
    assert 'No free times' in html and 'Saturday' not in html
    # Monday is chosen: union of Karen and Ole on the 15-minute grid.
    times = shown_times(html)
    assert times[0] == '08:00' and '11:00' in times and '11:15' not in times
    assert '12:30' in times and '15:00' in times and '15:15' not in times
    assert len(times) == 24
    assert all(t[3:] in ('00', '15', '30', '45') for t in times)
    # First week: no previous; the next week is there (the offer ends on its Tuesday).
    assert 'is-off">Previous week' in html
    next_week = re.search(r'<a class="button-secondary" href="([^"]*)"[^>]*>Next week', html)
    assert next_week
    later = client.get(unescape(next_week.group(1))).get_data(as_text=True)
    assert f'Week {week + 1}:' in later and shown_times(later) and 'Previous week</a>' in later
    # htmx asks for the week only.
    part = client.get(f'/my/book/{offer.id}/time?day={monday + dt.timedelta(days=2)}',
                      headers={'HX-Request': 'true', 'HX-Target': 'times'})
    body = part.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="times"') and '<html' not in body
    assert 'Free times on Wednesday' in body


def test_times_follow_the_organisations_grid(client, login, week):
    w = week
    w['org'].display_grid_minutes = 30
    w['org'].save()
    login(w['mette'])
    times = shown_times(client.get(f"/my/book/{w['offer'].id}/time").get_data(as_text=True))
    assert times and all(t.endswith((':00', ':30')) for t in times)
    # A start off the grid is refused.
    r = book_via_http(client, w['offer'], at(w['org'], w['monday'], 9, 15), w['karen'])
    assert TAKEN in flash_text(client, r) and Meeting.select().count() == 0


def test_citizens_can_book_on_the_end_date(client, login, week):
    w = week
    end = w['monday'] + dt.timedelta(days=2)
    OnlineOffer.update(end_date=end).where(OnlineOffer.id == w['offer'].id).execute()
    login(w['mette'])
    html = client.get(f"/my/book/{w['offer'].id}/time?day={end}").get_data(as_text=True)
    assert 'Free times on Wednesday' in html and '15:00' in shown_times(html)
    thursday = end + dt.timedelta(days=1)
    assert not re.search(r'<a href="[^"]*day=' + thursday.isoformat(), html)
    r = book_via_http(client, w['offer'], at(w['org'], end, 15))
    assert r.status_code == 303 and '/receipt' in r.headers['Location']
    assert Meeting.get().starts_at == at(w['org'], end, 15).astimezone(UTC).replace(tzinfo=None)


# --- confirm and receipt ---------------------------------------------------------

def test_confirm_shows_the_rights_in_full_and_requires_the_checkbox(client, login, week):
    w = week
    login(w['mette'])
    html = client.get(f"/my/book/{w['offer'].id}/time").get_data(as_text=True)
    link = confirm_links(html)[0]
    page = client.get(link).get_data(as_text=True)
    assert 'Du skal møde op til samtalen.\nDu kan tage en bisidder med.' in page
    assert 'I have read my rights and duties' in page and 'type="checkbox"' in page
    assert 'The first free caseworker' in page and 'Jobvej 1, 8000 Aarhus C' in page
    start = re.search(r'start=([^&]+)', link).group(1)
    r = client.post(link, data={'start': start})
    assert r.status_code == 200
    assert 'Tick the box to confirm that you have read your rights and duties.' in \
        r.get_data(as_text=True)
    assert Meeting.select().count() == 0 and Message.select().count() == 0


def test_booking_keeps_the_offers_permissions_and_sends_a_receipt(client, login, week):
    w = week
    login(w['mette'])
    start = at(w['org'], w['monday'], 9)
    r = book_via_http(client, w['offer'], start, w['karen'])
    assert r.status_code == 303
    meeting = Meeting.get()
    assert r.headers['Location'].endswith(f'/my/appointments/{meeting.id}/receipt')
    assert meeting.offer_id == w['offer'].id and meeting.caseworker_id == w['karen'].id
    assert meeting.citizen_can_cancel and meeting.citizen_can_rebook
    assert meeting.rebook_days_before == 1 and meeting.show_caseworker
    assert meeting.reporting_minutes == 15 and meeting.created_by_id == w['mette'].id
    assert [p.citizen_id for p in meeting.participants] == [w['mette'].id]
    receipt = client.get(r.headers['Location']).get_data(as_text=True)
    assert 'Your meeting is booked.' in receipt and 'Karen Vejleder' in receipt
    assert 'Add to calendar' in receipt and 'Du kan tage en bisidder med.' in receipt
    sms = Message.get(Message.channel == 'sms')
    assert sms.body.startswith('Booked: Jobsamtale for dagpengemodtagere over 30')
    assert 'Jobvej 1' in sms.body and len(sms.body) <= 160
    email = Message.get(Message.channel == 'email')
    assert email.recipient == 'mette@example.test' and email.subject.startswith('Receipt')
    assert 'Karen Vejleder' in email.body and 'Du skal møde op til samtalen.' in email.body
    assert '0101901234' not in sms.body + email.body
    assert AuditEvent.get(AuditEvent.action == 'self_booked').actor_id == w['mette'].id
    # One booking per offer: the offer leaves "Book a meeting"; a second try is refused.
    assert 'Jobsamtale for dagpenge' not in client.get('/my/book').get_data(as_text=True)
    again = book_via_http(client, w['offer'], at(w['org'], w['monday'], 11), w['karen'])
    assert 'You have already booked this meeting.' in flash_text(client, again)
    assert Meeting.select().count() == 1


def test_no_email_receipt_without_an_email_address(client, login, week):
    w = week
    User.update(email=None).where(User.id == w['mette'].id).execute()
    login(w['mette'])
    book_via_http(client, w['offer'], at(w['org'], w['monday'], 9))
    assert [m.channel for m in Message.select()] == ['sms']


def test_a_time_outside_the_offer_is_refused(client, login, week):
    w = week
    login(w['mette'])
    for day in (w['monday'] - dt.timedelta(days=1), w['monday'] + dt.timedelta(days=5)):
        r = book_via_http(client, w['offer'], at(w['org'], day, 9), w['karen'])
        assert 'That time is outside the period you can book in.' in flash_text(client, r)
    assert Meeting.select().count() == 0
    r = client.post(f"/my/book/{w['offer'].id}/confirm", data={'start': 'soon', 'accept': 'y'})
    assert 'Choose a day and a time first.' in flash_text(client, r)
    assert Meeting.select().count() == 0 and Message.select().count() == 0


def test_a_time_just_taken_sends_the_citizen_back_to_fresh_times(
        client, login, week, make_user):
    w = week
    OnlineOffer.update(model='trust').where(OnlineOffer.id == w['offer'].id).execute()
    hans = make_citizen(w['org'], make_user, 'Hans Hansen', cpr='0303751237')
    start = at(w['org'], w['monday'], 9)
    login(w['mette'])
    link = f"/my/book/{w['offer'].id}/confirm?start={start_param(start)}&caseworker={w['karen'].id}"
    assert client.get(link).status_code == 200
    booking.book_offer(OnlineOffer.get_by_id(w['offer'].id), hans, start,
                       caseworker_id=w['karen'].id)
    assert TAKEN in flash_text(client, client.get(link))      # opening it again
    r = book_via_http(client, w['offer'], start, w['karen'])
    assert f"caseworker={w['karen'].id}" in r.headers['Location']
    html = flash_text(client, r)
    assert TAKEN in html
    times = shown_times(html)
    assert '09:00' not in times and '08:45' not in times
    assert '08:00' in times and '10:00' in times
    assert Meeting.select().count() == 1
    assert MeetingParticipant.get().citizen_id == hans.id
    assert not Message.select().where(Message.user == w['mette'].id).exists()


def test_first_free_gives_the_time_to_a_colleague(client, login, week, make_user):
    w = week
    hans = make_citizen(w['org'], make_user, 'Hans Hansen', cpr='0303751237')
    start = at(w['org'], w['monday'], 9)
    booking.book_offer(w['offer'], hans, start, caseworker_id=w['karen'].id)
    login(w['mette'])
    assert '09:00' in shown_times(client.get(
        f"/my/book/{w['offer'].id}/time").get_data(as_text=True))
    book_via_http(client, w['offer'], start)
    mine = Meeting.select().join(MeetingParticipant).where(
        MeetingParticipant.citizen == w['mette']).get()
    assert mine.caseworker_id == w['ole'].id


# --- organisation models -------------------------------------------------------

def test_control_model_offers_only_the_assigned_caseworker(client, login, week, make_user):
    w = week
    OnlineOffer.update(model='control').where(OnlineOffer.id == w['offer'].id).execute()
    WorkingHours.delete().where(WorkingHours.caseworker == w['karen'].id,
                                WorkingHours.weekday != 1).execute()
    login(w['mette'])       # assigned to Karen, who works on Tuesdays only
    html = client.get(f"/my/book/{w['offer'].id}/time").get_data(as_text=True)
    assert 'id="caseworker"' not in html
    assert 'Free times on Tuesday' in html
    assert not re.search(r'<a href="[^"]*day=' + w['monday'].isoformat(), html)
    r = book_via_http(client, w['offer'], at(w['org'], w['monday'], 9), w['ole'])
    assert 'This meeting is not offered to you.' in flash_text(client, r)
    assert Meeting.select().count() == 0
    # A citizen without an assigned caseworker of the offer does not see it.
    hans = make_citizen(w['org'], make_user, 'Hans Hansen', cpr='0303751237')
    login(hans)
    assert 'Jobsamtale' not in client.get('/my/book').get_data(as_text=True)


def test_trust_model_lets_the_citizen_choose_by_name(client, login, week):
    w = week
    OnlineOffer.update(model='trust').where(OnlineOffer.id == w['offer'].id).execute()
    login(w['mette'])
    html = client.get(f"/my/book/{w['offer'].id}/time").get_data(as_text=True)
    assert 'Choose your own caseworker.' in html and 'The first free caseworker' not in html
    assert 'Choose your caseworker to see the free times.' in html and not shown_times(html)
    html = client.get(f"/my/book/{w['offer'].id}/time?caseworker={w['ole'].id}").get_data(
        as_text=True)
    assert shown_times(html) and 'Ole Olsen</span>' in html
    assert f'caseworker={w["ole"].id}' in confirm_links(html)[0]
    r = book_via_http(client, w['offer'], at(w['org'], w['monday'], 9))
    assert 'Choose your caseworker first.' in flash_text(client, r)
    r = book_via_http(client, w['offer'], at(w['org'], w['monday'], 9), w['ole'])
    assert r.status_code == 303 and Meeting.get().caseworker_id == w['ole'].id


def test_the_caseworkers_name_is_hidden_when_the_offer_says_so(client, login, week):
    w = week
    OnlineOffer.update(show_caseworker=False).where(OnlineOffer.id == w['offer'].id).execute()
    login(w['mette'])
    r = book_via_http(client, w['offer'], at(w['org'], w['monday'], 9), w['karen'])
    meeting = Meeting.get()
    for url in (r.headers['Location'], '/my/appointments', f'/my/appointments/{meeting.id}'):
        assert 'Karen' not in client.get(url).get_data(as_text=True), url
    assert 'Karen' not in client.get(f'/my/appointments/{meeting.id}/meeting.ics').get_data(
        as_text=True)


# --- My appointments, details, .ics -------------------------------------------

def test_my_appointments_upcoming_and_past_with_the_place(client, login, week):
    w = week
    org = w['org']
    kind = MeetingType.get(MeetingType.code == 'jobsamtale')
    room = Room.create(organisation=org, name='Lokale 2', address='Havnegade 5',
                       postcode='8000', city='Aarhus C')
    bare_room = Room.create(organisation=org, name='Lokale 3')
    now = dt.datetime.now(UTC).replace(tzinfo=None, microsecond=0)

    def meeting(start, **fields):
        m = Meeting.create(organisation=org, team=w['team'], meeting_type=kind,
                           caseworker=w['karen'], starts_at=start,
                           ends_at=start + dt.timedelta(minutes=30), **fields)
        MeetingParticipant.create(meeting=m, citizen=w['mette'])
        return m

    in_room = meeting(now + dt.timedelta(days=3), room=room)
    no_address = meeting(now + dt.timedelta(days=4), room=bare_room)
    past = meeting(now - dt.timedelta(days=3))
    cancelled = meeting(now + dt.timedelta(days=5), status=Meeting.CANCELLED)
    login(w['mette'])
    html = client.get('/my/appointments').get_data(as_text=True)
    upcoming, older = html.split('Past and cancelled meetings')
    assert 'Havnegade 5, 8000 Aarhus C' in upcoming          # the room's address
    assert 'Jobvej 1, 8000 Aarhus C' in upcoming             # else the team's
    assert f'/my/appointments/{in_room.id}"' in upcoming
    assert f'/my/appointments/{no_address.id}"' in upcoming
    assert f'/my/appointments/{past.id}"' not in html         # no details once held
    assert 'Cancelled' in older and f'/my/appointments/{cancelled.id}"' not in upcoming
    details = client.get(f'/my/appointments/{in_room.id}').get_data(as_text=True)
    assert 'Havnegade 5' in details and 'Karen Vejleder' in details
    # Booked by staff: no self-service rebooking or cancelling.
    assert '>Rebook<' not in details and 'Cancel the meeting' not in details
    assert 'This meeting is over.' in client.get(
        f'/my/appointments/{past.id}').get_data(as_text=True)


def test_ics_has_a_stable_uid_and_follows_a_rebooking(client, login, week):
    w = week
    login(w['mette'])
    book_via_http(client, w['offer'], at(w['org'], w['monday'] + dt.timedelta(days=2), 9),
                  w['karen'])
    meeting = Meeting.get()
    r = client.get(f'/my/appointments/{meeting.id}/meeting.ics')
    assert r.status_code == 200 and r.mimetype == 'text/calendar'
    assert 'attachment' in r.headers['Content-Disposition']
    first = Calendar.from_ical(r.data).walk('VEVENT')[0]
    assert first['SUMMARY'] == 'Jobsamtale for dagpengemodtagere over 30'
    assert 'Jobvej 1' in str(first['LOCATION'])
    assert first.decoded('DTSTART') == at(w['org'], w['monday'] + dt.timedelta(days=2), 9)
    again = Calendar.from_ical(client.get(f'/my/appointments/{meeting.id}/meeting.ics').data)
    assert again.walk('VEVENT')[0]['UID'] == first['UID']
    new_start = at(w['org'], w['monday'] + dt.timedelta(days=3), 10)
    r = client.post(f'/my/appointments/{meeting.id}/rebook/confirm',
                    data={'start': start_param(new_start), 'caseworker': w['ole'].id})
    assert r.status_code == 303
    moved = Calendar.from_ical(client.get(
        f'/my/appointments/{meeting.id}/meeting.ics').data).walk('VEVENT')[0]
    assert moved['UID'] == first['UID'] and int(moved['SEQUENCE']) == 1
    assert moved.decoded('DTSTART') == new_start


def test_another_citizens_meeting_is_not_found(client, login, week):
    w = week
    booking.book_offer(w['offer'], w['mette'], at(w['org'], w['monday'], 9))
    meeting = Meeting.get()
    login(w['sune'])
    start = start_param(at(w['org'], w['monday'], 10))
    for url in ('', '/receipt', '/meeting.ics', '/cancel', '/rebook',
                f'/rebook/confirm?start={start}'):
        assert client.get(f'/my/appointments/{meeting.id}{url}').status_code == 404, url
    assert client.post(f'/my/appointments/{meeting.id}/cancel').status_code == 404
    assert client.post(f'/my/appointments/{meeting.id}/rebook/confirm',
                       data={'start': start}).status_code == 404
    fresh = Meeting.get_by_id(meeting.id)
    assert fresh.status == Meeting.BOOKED and fresh.starts_at == meeting.starts_at
    login(w['planner'])
    assert client.get('/my/appointments').status_code == 403
    assert client.get('/my/book').status_code == 403


# --- rebooking ----------------------------------------------------------------

def test_rebooking_moves_the_meeting_within_the_offer(client, login, week):
    w = week
    login(w['mette'])
    book_via_http(client, w['offer'], at(w['org'], w['monday'] + dt.timedelta(days=2), 9),
                  w['karen'])
    meeting = Meeting.get()
    details = client.get(f'/my/appointments/{meeting.id}').get_data(as_text=True)
    assert '>Rebook<' in details
    page = client.get(f'/my/appointments/{meeting.id}/rebook').get_data(as_text=True)
    assert 'Choose a new day and time.' in page and confirm_links(page)
    link = [u for u in confirm_links(page) if '/rebook/confirm' in u][0]
    assert client.get(link).status_code == 200
    new_start = at(w['org'], w['monday'] + dt.timedelta(days=3), 10)
    r = client.post(f'/my/appointments/{meeting.id}/rebook/confirm',
                    data={'start': start_param(new_start)})
    assert r.status_code == 303 and r.headers['Location'].endswith('/receipt?done=moved')
    receipt = client.get(r.headers['Location']).get_data(as_text=True)
    assert 'Your meeting is moved.' in receipt and 'Your meeting is booked.' not in receipt
    moved = Meeting.get_by_id(meeting.id)
    assert moved.starts_at == new_start.astimezone(UTC).replace(tzinfo=None)
    assert moved.revision == 1 and Meeting.select().count() == 1
    assert moved.citizen_can_cancel and moved.offer_id == w['offer'].id
    assert Message.select().where(Message.body.startswith('Moved:')).count() == 1
    assert AuditEvent.select().where(AuditEvent.action == 'self_rebooked').count() == 1


def test_rebooking_to_the_first_free_caseworker_says_who_before_confirming(
        client, login, week, make_user):
    w = week
    org = w['org']
    booking.book_offer(w['offer'], w['mette'], at(org, w['monday'], 9),
                       caseworker_id=w['karen'].id)
    meeting = Meeting.get()
    # Karen is busy Wednesday 10:00: the first free caseworker then is Ole.
    hans = make_citizen(org, make_user, 'Hans Hansen', cpr='0303751237')
    wednesday_ten = at(org, w['monday'] + dt.timedelta(days=2), 10)
    booking.book_offer(w['offer'], hans, wednesday_ten, caseworker_id=w['karen'].id)
    login(w['mette'])
    page = client.get(f'/my/appointments/{meeting.id}/rebook/confirm'
                      f'?start={start_param(wednesday_ten)}').get_data(as_text=True)
    assert 'You will meet another caseworker: Ole Olsen.' in page
    assert f'name="caseworker" type="hidden" value="{w["ole"].id}"' in page
    # The same caseworker as now: nothing to warn about.
    same = client.get(f'/my/appointments/{meeting.id}/rebook/confirm'
                      f'?start={start_param(at(org, w["monday"] + dt.timedelta(days=3), 10))}'
                      ).get_data(as_text=True)
    assert 'You will meet another caseworker' not in same
    r = client.post(f'/my/appointments/{meeting.id}/rebook/confirm',
                    data={'start': start_param(wednesday_ten), 'caseworker': w['ole'].id})
    assert r.status_code == 303
    assert Meeting.get_by_id(meeting.id).caseworker_id == w['ole'].id


def test_home_shows_the_next_meeting_with_its_actions_and_the_offers(client, login, week):
    w = week
    login(w['mette'])
    home = client.get('/').get_data(as_text=True)
    assert 'You have no upcoming meetings.' in home
    assert f'href="/my/book/{w["offer"].id}"' in home
    assert 'Jobsamtale for dagpengemodtagere over 30' in home
    other = make_offer(w['org'], w['team'], [w['ole']], number=2, title='CV-værksted',
                       allow_cancel=True, allow_rebook=True)
    booking.book_offer(other, w['mette'], at(w['org'], w['monday'] + dt.timedelta(days=1), 9),
                       caseworker_id=w['ole'].id)
    meeting = Meeting.get()
    home = client.get('/').get_data(as_text=True)
    assert 'CV-værksted' in home and booking.local_when(meeting) in home
    assert f'href="/my/appointments/{meeting.id}/rebook"' in home
    assert f'href="/my/appointments/{meeting.id}/cancel"' in home
    # The offer booked is under the meeting now, the other one still to book.
    assert f'href="/my/book/{other.id}"' not in home
    assert f'href="/my/book/{w["offer"].id}"' in home


def test_rebooking_after_the_deadline_is_refused(client, login, week):
    w = week
    org = w['org']
    for weekday in (5, 6):
        WorkingHours.create(caseworker=w['karen'], weekday=weekday, start=dt.time(8),
                            end=dt.time(16))
    tomorrow = booking.local_today(org, dt.datetime.now(UTC)) + dt.timedelta(days=1)
    OnlineOffer.update(earliest_meeting=tomorrow, rebook_days_before=2).where(
        OnlineOffer.id == w['offer'].id).execute()
    booking.book_offer(OnlineOffer.get_by_id(w['offer'].id), w['mette'],
                       at(org, tomorrow, 10), caseworker_id=w['karen'].id)
    meeting = Meeting.get()
    login(w['mette'])
    details = client.get(f'/my/appointments/{meeting.id}').get_data(as_text=True)
    assert 'The deadline for rebooking this meeting has passed.' in details
    assert f'/my/appointments/{meeting.id}/rebook"' not in details
    html = flash_text(client, client.get(f'/my/appointments/{meeting.id}/rebook'))
    assert 'The deadline for rebooking this meeting has passed.' in html
    r = client.post(f'/my/appointments/{meeting.id}/rebook/confirm',
                    data={'start': start_param(at(org, w['monday'] + dt.timedelta(days=3), 10))})
    assert 'The deadline for rebooking this meeting has passed.' in flash_text(client, r)
    assert Meeting.get_by_id(meeting.id).starts_at == meeting.starts_at
    assert Meeting.get_by_id(meeting.id).revision == 0


def test_rebooking_stays_with_the_same_team_type_and_variant(week, make_user):
    w = week
    org = w['org']
    over30 = TypeVariant.create(organisation=org, name='Over 30')
    under30 = TypeVariant.create(organisation=org, name='Under 30')
    OnlineOffer.update(variant=over30).where(OnlineOffer.id == w['offer'].id).execute()
    from models import OfferCaseworker
    OfferCaseworker.delete().where(OfferCaseworker.caseworker == w['ole'].id).execute()
    mads = make_caseworker(org, w['team'], make_user, 'Mads Madsen')
    make_offer(org, w['team'], [w['ole']], number=2, variant=under30,
               first_day=w['monday'], end=w['monday'] + dt.timedelta(days=4))
    make_offer(org, w['team'], [mads], number=3, variant=over30,
               first_day=w['monday'], end=w['monday'] + dt.timedelta(days=4))
    meeting = booking.book_offer(OnlineOffer.get_by_id(w['offer'].id), w['mette'],
                                 at(org, w['monday'] + dt.timedelta(days=2), 9))
    choice = booking.rebook_choice(meeting, w['mette'], dt.datetime.now(UTC))
    names = sorted(c.name for c in choice.caseworkers)
    assert names == ['Karen Vejleder', 'Mads Madsen']      # not Ole (another variant)
    with pytest.raises(booking.BookingError) as refused:
        booking.rebook(meeting, w['mette'], at(org, w['monday'] + dt.timedelta(days=3), 9),
                       caseworker_id=w['ole'].id)
    assert refused.value.code == 'not_offered'
    moved = booking.rebook(meeting, w['mette'], at(org, w['monday'] + dt.timedelta(days=3), 9),
                           caseworker_id=mads.id)
    assert moved.caseworker_id == mads.id


# --- cancelling ---------------------------------------------------------------------

def test_cancel_asks_first_then_cancels_and_sends_a_receipt(client, login, week):
    w = week
    login(w['mette'])
    book_via_http(client, w['offer'], at(w['org'], w['monday'], 9))
    meeting = Meeting.get()
    page = client.get(f'/my/appointments/{meeting.id}/cancel').get_data(as_text=True)
    assert 'Yes, cancel the meeting' in page and 'No, keep it' in page
    assert Meeting.get_by_id(meeting.id).status == Meeting.BOOKED
    r = client.post(f'/my/appointments/{meeting.id}/cancel')
    assert 'Your meeting is cancelled.' in flash_text(client, r)
    assert Meeting.get_by_id(meeting.id).status == Meeting.CANCELLED
    assert Message.select().where(Message.body.startswith('Cancelled:')).count() == 1
    # Twice: refused, nobody told twice.
    r = client.post(f'/my/appointments/{meeting.id}/cancel')
    assert r.status_code == 303
    assert Message.select().where(Message.body.startswith('Cancelled:')).count() == 1
    # The offer can be booked again.
    assert 'Jobsamtale for dagpenge' in client.get('/my/book').get_data(as_text=True)


def test_cancel_follows_the_permission_the_booking_was_made_under(client, login, week):
    w = week
    OnlineOffer.update(allow_cancel=False).where(OnlineOffer.id == w['offer'].id).execute()
    booking.book_offer(OnlineOffer.get_by_id(w['offer'].id), w['mette'],
                       at(w['org'], w['monday'], 9))
    meeting = Meeting.get()
    OnlineOffer.update(allow_cancel=True).where(OnlineOffer.id == w['offer'].id).execute()
    login(w['mette'])
    assert 'Cancel the meeting' not in client.get(
        f'/my/appointments/{meeting.id}').get_data(as_text=True)
    html = flash_text(client, client.get(f'/my/appointments/{meeting.id}/cancel'))
    assert 'This meeting cannot be cancelled here.' in html
    r = client.post(f'/my/appointments/{meeting.id}/cancel')
    assert 'This meeting cannot be cancelled here.' in flash_text(client, r)
    assert Meeting.get_by_id(meeting.id).status == Meeting.BOOKED


# --- weight ---------------------------------------------------------------------------

def test_citizen_pages_carry_no_script_but_htmx(client, login, week, capsys):
    w = week
    login(w['mette'])
    pages = {'book': '/my/book', 'offer': f"/my/book/{w['offer'].id}",
             'time': f"/my/book/{w['offer'].id}/time"}
    time_page = client.get(pages['time']).get_data(as_text=True)
    pages['confirm'] = confirm_links(time_page)[0]
    sizes = {}

    def measure(names):
        for name in names:
            r = client.get(pages[name])
            assert r.status_code == 200, name
            html = r.get_data(as_text=True)
            scripts = re.findall(r'<script[^>]*>', html)
            assert len(scripts) == 1 and scripts[0].startswith(
                '<script src="/static/js/htmx-2.0.11.min.js?v='), (name, scripts)
            tags = ''.join(re.findall(r'<[^>]+>', re.sub(r'"[^"]*"', '""', html)))
            assert not re.search(r'\son[a-z]+=', tags), name     # no inline handlers
            sizes[name] = len(r.data)

    measure(['book', 'offer', 'time', 'confirm'])
    booking.book_offer(w['offer'], w['mette'], at(w['org'], w['monday'] + dt.timedelta(days=2),
                                                    9))
    meeting = Meeting.get()
    pages.update({'appointments': '/my/appointments', 'meeting': f'/my/appointments/{meeting.id}',
                  'receipt': f'/my/appointments/{meeting.id}/receipt',
                  'rebook': f'/my/appointments/{meeting.id}/rebook',
                  'cancel': f'/my/appointments/{meeting.id}/cancel'})
    measure(['appointments', 'meeting', 'receipt', 'rebook', 'cancel'])
    with capsys.disabled():
        print('\ncitizen page bytes:', ', '.join(f'{k}={v}' for k, v in sizes.items()))
    assert max(sizes.values()) < 20_000


def test_the_demo_citizen_can_book_the_demo_offer(client, login, runner):
    assert runner.invoke(args=['seed-demo']).exit_code == 0
    mette = User.get(User.cpr == '0101901234')
    login(mette)
    html = client.get('/my/book').get_data(as_text=True)
    assert 'Jobsamtale for dagpengemodtagere over 30' in html
    offer = OnlineOffer.get()
    assert confirm_links(client.get(f'/my/book/{offer.id}/time').get_data(as_text=True))
    assert CitizenProfile.select().count() == User.select().where(
        User.role == User.CITIZEN, User.organisation == mette.organisation_id).count()


def test_a_danish_citizen_books_in_danish(client, login, week):
    w = week
    User.update(language='da').where(User.id == w['mette'].id).execute()
    login(w['mette'])
    with client.session_transaction() as session:
        session['lang'] = 'da'
    html = client.get(f"/my/book/{w['offer'].id}/time").get_data(as_text=True)
    assert 'Ledige tider' in html and 'Næste uge' in html
    page = client.get(confirm_links(html)[0]).get_data(as_text=True)
    assert 'Jeg har læst mine rettigheder og pligter' in page and 'Book mødet' in page
    r = book_via_http(client, w['offer'], at(w['org'], w['monday'], 14), w['karen'])
    assert 'Kvittering' in client.get(r.headers['Location']).get_data(as_text=True)
    sms = Message.get(Message.channel == 'sms')
    assert sms.body.startswith('Booket: ') and '14:00' in sms.body   # the clock of every page
    email = Message.get(Message.channel == 'email')
    assert 'Dine rettigheder og pligter' in email.body and 'mandag' in email.body
