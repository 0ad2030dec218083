"""A notice is written in the transaction of the change it reports (DESIGN
rule 4): when the process fails right after the commit, before any task was
queued, the sweep still sends the notice, and only once."""
from __future__ import annotations

import datetime as dt

import pytest

import tasks
from models import Meeting, Message, db
from planner import booking
from tests.test_offers_support import next_monday
from tests.test_offers_support import make_offer, world  # noqa: F401

UTC = dt.timezone.utc


@pytest.fixture
def week(world):  # noqa: F811
    monday = next_monday(world['org'])
    offer = make_offer(world['org'], world['team'], [world['karen'], world['ole']],
                       first_day=monday, end=monday + dt.timedelta(days=4))
    return dict(world, offer=offer, monday=monday)


def at(org, day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), org.zone).astimezone(UTC)


@pytest.fixture
def dies_after_commit(monkeypatch):
    """Arm it, and the next commit goes through and then the process "dies":
    the caller gets an error and nothing queued for after the commit runs."""
    real_commit = db.obj.commit
    armed = []

    def commit():
        real_commit()
        if armed:
            armed.clear()
            db.obj._clear_commit_callbacks()   # died with the process
            raise ConnectionError('lost right after the commit')

    monkeypatch.setattr(db.obj, 'commit', commit)
    return lambda: armed.append(True)


def notices(meeting_id: int, prefix: str = '') -> list[Message]:
    """The meeting's SMS starting with `prefix`, or all its messages."""
    query = Message.select().where(Message.meeting == meeting_id)
    if prefix:
        query = query.where(Message.channel == Message.SMS, Message.body.startswith(prefix))
    return list(query)


def assert_sent_once_by_the_sweep(meeting_id: int, prefix: str) -> None:
    [sms] = notices(meeting_id, prefix)
    assert sms.status == Message.QUEUED and sms.attempts == 0   # nothing sent it yet
    tasks.sweep.call_local()
    tasks.sweep.call_local()
    [sms] = notices(meeting_id, prefix)
    assert (sms.status, sms.attempts) == (Message.SENT, 1)


def test_a_booking_receipt_survives_a_failure_right_after_the_commit(
        week, dies_after_commit):
    w = week
    dies_after_commit()
    with pytest.raises(Exception):
        booking.book_offer(w['offer'], w['mette'], at(w['org'], w['monday'], 9),
                           caseworker_id=w['karen'].id)
    meeting = Meeting.get()   # the booking itself committed
    assert meeting.status == Meeting.BOOKED
    assert_sent_once_by_the_sweep(meeting.id, 'Booked:')
    assert len(notices(meeting.id)) == 2   # and the e-mail receipt
    assert {m.status for m in notices(meeting.id)} == {Message.SENT}


def test_a_cancellation_receipt_survives_a_failure_right_after_the_commit(
        week, dies_after_commit):
    w = week
    meeting = booking.book_offer(w['offer'], w['mette'], at(w['org'], w['monday'], 9),
                                 caseworker_id=w['karen'].id)
    dies_after_commit()
    with pytest.raises(Exception):
        booking.cancel_by_citizen(Meeting.get_by_id(meeting.id), w['mette'])
    assert Meeting.get_by_id(meeting.id).status == Meeting.CANCELLED
    assert_sent_once_by_the_sweep(meeting.id, 'Cancelled:')


def test_a_rebooking_receipt_survives_a_failure_right_after_the_commit(
        week, dies_after_commit):
    w = week
    meeting = booking.book_offer(w['offer'], w['mette'], at(w['org'], w['monday'], 9),
                                 caseworker_id=w['karen'].id)
    dies_after_commit()
    with pytest.raises(Exception):
        booking.rebook(Meeting.get_by_id(meeting.id), w['mette'],
                       at(w['org'], w['monday'] + dt.timedelta(days=1), 10),
                       caseworker_id=w['karen'].id)
    assert Meeting.get_by_id(meeting.id).starts_at.day == (
        w['monday'] + dt.timedelta(days=1)).day
    assert_sent_once_by_the_sweep(meeting.id, 'Moved:')


def test_a_staff_move_tells_the_citizen_after_a_failure_right_after_the_commit(
        week, dies_after_commit):
    w = week
    meeting = booking.book_offer(w['offer'], w['mette'], at(w['org'], w['monday'], 9),
                                 caseworker_id=w['karen'].id)
    dies_after_commit()
    with pytest.raises(Exception):
        booking.move(Meeting.get_by_id(meeting.id), caseworker=w['ole'],
                     starts_at=at(w['org'], w['monday'], 11))
    assert Meeting.get_by_id(meeting.id).caseworker_id == w['ole'].id
    assert_sent_once_by_the_sweep(meeting.id, 'Your meeting')


def test_a_rolled_back_booking_sends_nothing(week):
    w = week
    with pytest.raises(RuntimeError):
        with db.atomic():
            booking.book_offer(w['offer'], w['mette'], at(w['org'], w['monday'], 9),
                               caseworker_id=w['karen'].id)
            raise RuntimeError('the caller gives up')
    assert Meeting.select().count() == 0 and Message.select().count() == 0
    assert tasks.sweep.call_local() == 0
