"""Shared fixtures of the pool tests: a fixed clock, a small municipality
with units, qualifications and substitutes, and SMS helpers that post to the
webhook exactly as Vonage does. (No tests here.)"""
from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

import tasks
from models import (Message, Qualification, ShiftRequest, SubstituteQualification, SubstituteUnit,
                    Unit, User, Vacancy, utcnow)
from pool import staffing

STOCKHOLM = ZoneInfo('Europe/Stockholm')
# Wednesday 8 May 2030, 08:00 in Stockholm: far from any real clock, so a
# test never depends on the hour it runs at.
NOW = dt.datetime(2030, 5, 8, 8, 0, tzinfo=STOCKHOLM)
TODAY = NOW.date()
INBOUND = '/webhooks/vonage/inbound'
_message_ids = itertools.count(1)


class Clock:
    def __init__(self, start: dt.datetime):
        self.at = start.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def __call__(self) -> dt.datetime:
        return self.at

    def advance(self, **delta) -> None:
        self.at += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """staffing.now() fixed at NOW (naive UTC); `advance` moves it."""
    fixed = Clock(NOW)
    monkeypatch.setattr(staffing, 'now', fixed)
    return fixed


@pytest.fixture(autouse=True)
def _empty_schedule():
    tasks.huey.flush()
    yield
    tasks.huey.flush()


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=STOCKHOLM)


@pytest.fixture
def pool(municipality, clock):
    """Two units (one with an address), two qualifications, a planner and
    three substitutes trained at the first unit, speaking English."""
    org = municipality
    north = Unit.create(organisation=org, name='Hemtjänst Norr', address='Storgatan 1',
                        postcode='681 30', city='Kristinehamn')
    south = Unit.create(organisation=org, name='Solgläntan', position=1)
    delegation = Qualification.create(organisation=org, name='Läkemedelsdelegering')
    licence = Qualification.create(organisation=org, name='Körkort')
    # No passwords: the tests log in directly, and hashing costs a fifth of a second each.
    planner = User.create(organisation=org, role=User.PLANNER, name='Lars Planerare',
                          email=f'planner{org.id}@example.test')
    subs = [User.create(organisation=org, role=User.SUBSTITUTE, name=name, phone=phone,
                        username=f'{name.split()[0].lower()}{org.id}', language='en')
            for name, phone in (('Anna Andersson', '+46701000001'),
                                ('Bo Berg', '+46701000002'),
                                ('Cecilia Carlsson', '+46701000003'))]
    for sub in subs:
        SubstituteUnit.create(user=sub, unit=north)
    return dict(org=org, north=north, south=south, delegation=delegation, licence=licence,
                planner=planner, subs=subs)


def make_available(user, day: dt.date, start=dt.time(0), end=dt.time(0), next_day=True):
    """Availability straight through the write path (default: the whole day)."""
    return staffing.add_availability(user, day, start, end, next_day,
                                     at=staffing.now()).added


def qualify(user, *qualifications):
    for q in qualifications:
        SubstituteQualification.create(user=user, qualification=q)


def vacancy(org, unit, start: dt.datetime, end: dt.datetime, planner, quals=()) -> Vacancy:
    local_start, local_end = start.astimezone(STOCKHOLM), end.astimezone(STOCKHOLM)
    return staffing.create_vacancy(org, unit, local_start.date(), local_start.time(),
                                   local_end.time(), quals, '', by=planner, at=staffing.now())


def inbound(user_or_phone, text: str, message_id: str | None = None) -> dict:
    """The form Vonage posts for an inbound SMS."""
    phone = getattr(user_or_phone, 'phone', user_or_phone)
    return {'msisdn': phone.lstrip('+'), 'to': '46769436000',
            'messageId': message_id or f'0B{next(_message_ids):014d}', 'text': text,
            'type': 'text', 'keyword': (text.split() or [''])[0].upper(),
            'message-timestamp': utcnow().strftime('%Y-%m-%d %H:%M:%S')}


def texts_to(user, since: int = 0) -> list[str]:
    """Bodies of the SMS sent to a user (after message id `since`), oldest first."""
    return [m.body for m in Message.select().where(
        Message.user == user, Message.direction == Message.OUT, Message.channel == Message.SMS,
        Message.id > since).order_by(Message.id)]


def last_message_id() -> int:
    return Message.select(Message.id).order_by(Message.id.desc()).scalar() or 0


def request_code(user) -> str:
    """The code of the user's latest request (the SMS shows it only when
    they have several open)."""
    return (ShiftRequest.select(ShiftRequest.code).where(ShiftRequest.user == user)
            .order_by(ShiftRequest.id.desc()).get().code)
