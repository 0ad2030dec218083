"""Reserved time at the one write path: a citizen's booking or rebooking
cannot take summons-only time, a summons cannot be written into
self-booking-only time, even when the request is crafted; staff booking by
hand may use reserved time on purpose."""
import datetime as dt

import pytest

from models import Meeting, OnlineOffer, PendingSummons, ReservedTime
from planner import booking, summons
from tests.summons_support import (NOW, TUESDAY, centre, draft_with, frame_for,  # noqa: F401
                                   local, make_citizens)
from tests.test_citizen import at, book_via_http, flash_text, start_param, week  # noqa: F401
from tests.test_offers_support import next_monday, world  # noqa: F401

SUMMONS_ONLY = 'That time is reserved for summons only.'
SELF_BOOKING_ONLY = 'That time is reserved for self-booking only.'


def keep(org, purpose, day, **who):
    """`day` 08:00-12:00 kept for `purpose` (team= or caseworker=)."""
    return ReservedTime.create(organisation=org, purpose=purpose, first_day=day, last_day=day,
                               start=dt.time(8), end=dt.time(12), **who)


def staff_request(centre, caseworker, start, purpose=None):
    return booking.MeetingRequest(
        organisation=centre.org, team=centre.team, meeting_type=centre.meeting_type,
        caseworker=caseworker, starts_at=start, duration_minutes=45,
        created_by=centre.planner, purpose=purpose)


def test_a_crafted_self_booking_post_into_summons_time_is_refused(client, login, week):
    w = week
    keep(w['org'], ReservedTime.SUMMONS, w['monday'], team=w['team'])
    login(w['mette'])
    start = at(w['org'], w['monday'], 9)
    response = book_via_http(client, w['offer'], start, w['karen'])
    assert f"day={w['monday']}" in response.headers['Location']   # back to fresh times
    assert SUMMONS_ONLY in flash_text(client, response)
    assert Meeting.select().count() == 0
    # The afternoon is free for self-booking.
    response = book_via_http(client, w['offer'], at(w['org'], w['monday'], 13), w['karen'])
    assert response.status_code == 303 and Meeting.select().count() == 1


def test_the_service_refuses_self_booking_and_rebooking_into_summons_time(week):
    w = week
    offer = OnlineOffer.get_by_id(w['offer'].id)
    keep(w['org'], ReservedTime.SUMMONS, w['monday'], caseworker=w['karen'])
    now = dt.datetime.now(dt.timezone.utc)
    with pytest.raises(booking.BookingError) as refused:
        booking.book_offer(offer, w['mette'], at(w['org'], w['monday'], 10),
                           caseworker_id=w['karen'].id, now=now)
    assert refused.value.code == 'reserved' and SUMMONS_ONLY in refused.value.message
    # Ole keeps no time: the same start is his.
    meeting = booking.book_offer(offer, w['mette'], at(w['org'], w['monday'], 10),
                                 caseworker_id=w['ole'].id, now=now)
    tuesday = w['monday'] + dt.timedelta(days=1)
    keep(w['org'], ReservedTime.SUMMONS, tuesday, team=w['team'])
    with pytest.raises(booking.BookingError) as refused:
        booking.rebook(meeting, w['mette'], at(w['org'], tuesday, 9),
                       caseworker_id=w['ole'].id, now=now)
    assert refused.value.code == 'reserved'
    assert Meeting.get_by_id(meeting.id).starts_at == meeting.starts_at


def test_a_summons_is_not_written_into_self_booking_time(centre, make_user):
    anne, bent, _carla = centre.caseworkers
    keep(centre.org, ReservedTime.SELF_BOOKING, TUESDAY, caseworker=anne)
    nine = local(TUESDAY, 9)
    [refused] = booking.create_meetings(
        [staff_request(centre, anne, nine, ReservedTime.SUMMONS)], now=NOW)
    assert isinstance(refused, booking.BookingError) and refused.code == 'reserved'
    assert SELF_BOOKING_ONLY in refused.message
    assert Meeting.select().count() == 0
    # Staff booking by hand from the calendar may use the time on purpose.
    made = booking.book(staff_request(centre, anne, nine), now=NOW)
    assert made.caseworker_id == anne.id and Meeting.select().count() == 1


def test_summon_now_refuses_proposals_in_time_reserved_meanwhile(centre, make_user):
    people = make_citizens(centre.org, make_user, 3)
    draft = draft_with(centre, people, frame_for(centre, earliest_date=TUESDAY))
    assert summons.propose(draft, NOW).placed == 3
    rows = summons.review_rows(draft)
    wednesday = TUESDAY + dt.timedelta(days=1)
    keep(centre.org, ReservedTime.SELF_BOOKING, wednesday, team=centre.team)
    with pytest.raises(booking.BookingError) as moved:
        summons.change_proposal(draft, rows[0].id, start=local(wednesday, 9),
                                caseworker_id=centre.caseworkers[0].id, now=NOW)
    assert moved.value.code == 'reserved'
    # Self-booking time kept after the proposal: "Summon now" books none of it.
    ReservedTime.create(organisation=centre.org, team=centre.team,
                        purpose=ReservedTime.SELF_BOOKING)
    summons.set_ticked(draft, {r.id for r in rows})
    result = summons.summon(draft, centre.planner, NOW)
    assert result.meetings == 0 and Meeting.select().count() == 0
    assert [why for _name, why in result.failed] == [
        SELF_BOOKING_ONLY + ' Choose another time.'] * 3
    assert PendingSummons.select().count() == 3


def test_citizen_link_to_reserved_time_shows_fresh_times(client, login, week):
    w = week
    keep(w['org'], ReservedTime.SUMMONS, w['monday'], team=w['team'])
    login(w['mette'])
    link = (f"/my/book/{w['offer'].id}/confirm?start={start_param(at(w['org'], w['monday'], 9))}"
            f"&caseworker={w['karen'].id}")
    assert client.get(link).status_code == 303
    assert Meeting.select().count() == 0
