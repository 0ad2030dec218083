"""Dates and times read one way in each language, by the language's own
rules: Danish '23. november', Swedish '23 november', English '23 November';
whole-day absences as a date and 'whole day'; durations with plural forms."""
from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale

from integrations import caldav
from messaging import dates
from models import Absence, Caseworker, Meeting, MeetingType, Team, User
from planner import booking
from pool import staffing

NOV_23 = dt.date(2026, 11, 23)   # a Monday


@pytest.mark.parametrize('language, day_month, weekday, long', [
    ('da', '23. november', 'mandag den 23. november', '23. november 2026'),
    ('sv', '23 november', 'måndag 23 november', '23 november 2026'),
    ('en', '23 November', 'Monday 23 November', '23 November 2026'),
])
def test_day_and_month_follow_the_language(app, language, day_month, weekday, long):
    with force_locale(language):
        assert dates.text(NOV_23, 'day_month') == day_month
        assert dates.text(NOV_23, 'weekday_day_month') == weekday
        assert dates.text(NOV_23, 'date_long') == long


@pytest.mark.parametrize('language, expected', [
    ('da', 'man. 23. nov. 09:30–17:00'),
    ('sv', 'mån 23 nov. 09:30–17:00'),
    ('en', 'Mon 23 Nov 09:30–17:00'),
])
def test_a_shift_in_an_sms_reads_the_danish_date_with_its_full_stop(
        app, municipality, language, expected):
    # Stockholm: 08:30 UTC is 09:30 local.
    start = dt.datetime(2026, 11, 23, 8, 30)
    with force_locale(language):
        assert staffing.when_text(municipality, start, start + dt.timedelta(hours=7.5)) \
            == expected


@pytest.fixture
def meeting(jobcentre, make_user):
    team = Team.create(organisation=jobcentre, name='Dagpenge')   # no address, no room
    caseworker = Caseworker.create(user=make_user(jobcentre, User.CASEWORKER),
                                   organisation=jobcentre)
    start = dt.datetime(2030, 1, 14, 9)
    return Meeting.create(organisation=jobcentre, team=team, caseworker=caseworker,
                          meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'),
                          starts_at=start, ends_at=start + dt.timedelta(minutes=1))


@pytest.mark.parametrize('language, one', [
    ('en', '1 minute'), ('da', '1 minut'), ('sv', '1 minut')])
def test_a_duration_of_one_minute_is_singular(app, meeting, language, one):
    with force_locale(language):
        facts = dict(booking.receipt_facts(meeting, language))
    duration = next(v for v in facts.values() if 'minut' in v)
    assert duration == one


def test_a_notice_without_any_address_names_the_team(app, meeting, make_user):
    citizen = make_user(meeting.organisation, User.CITIZEN, language='en')
    text, _subject, body = booking.staff_notice(meeting, citizen, 'booked')
    assert 'at .' not in text and 'at Dagpenge.' in text
    assert '14 January 2030' in text


@pytest.fixture
def planner_user(jobcentre, make_user, login):
    user = make_user(jobcentre, User.PLANNER)
    login(user)
    return user


@pytest.mark.parametrize('language, one_day, days', [
    ('en', '8 Dec 2030, whole day', '8 Dec 2030 – 10 Dec 2030, whole days'),
    ('da', '8. dec. 2030, hele dagen', '8. dec. 2030 – 10. dec. 2030, hele dage'),
    ('sv', '8 dec. 2030, hela dagen', '8 dec. 2030 – 10 dec. 2030, hela dagar'),
])
def test_a_whole_day_absence_reads_as_its_date(client, jobcentre, meeting, planner_user,
                                               language, one_day, days):
    zone = jobcentre.zone

    def utc(day):
        local = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        return local.astimezone(dt.timezone.utc).replace(tzinfo=None)

    caseworker = meeting.caseworker
    single = Absence.create(caseworker=caseworker, starts_at=utc(dt.date(2030, 12, 8)),
                            ends_at=utc(dt.date(2030, 12, 9)))
    several = Absence.create(caseworker=caseworker, starts_at=utc(dt.date(2030, 12, 8)),
                             ends_at=utc(dt.date(2030, 12, 11)))
    part = Absence.create(caseworker=caseworker, starts_at=utc(dt.date(2030, 12, 8))
                          + dt.timedelta(hours=9), ends_at=utc(dt.date(2030, 12, 8))
                          + dt.timedelta(hours=12))
    headers = {'Accept-Language': language}
    page = client.get(f'/admin/absences/{single.id}', headers=headers).get_data(as_text=True)
    assert one_day in page
    assert 'AM' not in page and '00:00' not in page and '00.00' not in page
    page = client.get(f'/admin/absences/{several.id}', headers=headers).get_data(as_text=True)
    assert days in page
    page = client.get(f'/admin/absences/{part.id}', headers=headers).get_data(as_text=True)
    clock = '09:00 – 12:00'
    assert one_day.split(',')[0] + (', ' if language == 'en' else ' ') + clock in page


def test_the_absence_list_shows_the_same_style(client, jobcentre, meeting, planner_user):
    """No '12/8/30, 9:00 AM': the list reads as the absence's own page."""
    start = dt.datetime(2030, 12, 8, 8)   # 09:00 in Copenhagen
    Absence.create(caseworker=meeting.caseworker, starts_at=start,
                   ends_at=start + dt.timedelta(hours=2))
    page = client.get('/admin/absences/', headers={'Accept-Language': 'da'}).get_data(as_text=True)
    assert '8. dec. 2030 09:00 – 11:00' in page
    assert 'AM' not in page and '12/8/30' not in page


def test_a_calendar_error_counts_its_seconds_in_the_plural_only_past_one():
    assert caldav.seconds(1) == '1 second'
    assert caldav.seconds(2) == '2 seconds'
    assert caldav.seconds(0.5) == '0.5 seconds'
