"""The one write path for messages: a row first, then a task (DESIGN rule 4).

Services call `queue_sms` / `queue_email` / `queue_many`; an inbound SMS is
stored by `receive_sms` and later offered by `dispatch` to the routes its
caller names (tasks.dispatch_inbound: the pool's replies).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable, Iterable

from peewee import IntegrityError

from common.validators import normalise_phone
from messaging import queue
from models import Message, Organisation, User, db, insert_rows, utcnow

log = logging.getLogger('planpool.outbox')

# A route gets (message, sender_user_or_None) and returns True when it took
# the message.
InboundRoute = Callable[[Message, User | None], bool]


def queue_sms(organisation: Organisation, to: str, text: str, *,
              user: User | None = None, kind: str = Message.AUTOMATIC,
              meeting=None, hand_over: bool = True) -> Message:
    """An SMS row, handed to the worker once the transaction commits; with
    `hand_over` False the caller hands it over itself (a login code: after
    the answer has gone out)."""
    # E.164 when the number parses (national numbers read in the
    # organisation's country); otherwise kept as given, so the failure shows.
    to = normalise_phone(to, organisation.country or 'DK') or (to or '').strip()
    message = Message.create(
        organisation=organisation, user=user, channel=Message.SMS,
        direction=Message.OUT, kind=kind, recipient=to,
        sender=organisation.sms_sender, body=text, meeting=meeting, **_initial_status(to))
    if hand_over:
        _enqueue(message)
    return message


def queue_email(organisation: Organisation, to: str, subject: str, body: str, *,
                user: User | None = None, kind: str = Message.AUTOMATIC,
                meeting=None) -> Message:
    to = (to or '').strip()
    message = Message.create(
        organisation=organisation, user=user, channel=Message.EMAIL,
        direction=Message.OUT, kind=kind, recipient=to, subject=subject,
        body=body, meeting=meeting, **_initial_status(to))
    _enqueue(message)
    return message


def queue_many(organisation: Organisation, notices: list[dict]) -> list[int]:
    """Many messages at once (a summons of thousands): rows in a few inserts,
    then ONE task sends them all. Each notice: channel, to, body, and
    optionally subject, user (id), meeting (id), kind. Inside a transaction
    the task starts once it commits."""
    rows = []
    for notice in notices:
        to = (notice.get('to') or '').strip()
        if notice['channel'] == Message.SMS:
            to = normalise_phone(to, organisation.country or 'DK') or to
        rows.append(dict(
            organisation=organisation.id, user=notice.get('user'), channel=notice['channel'],
            direction=Message.OUT, kind=notice.get('kind', Message.AUTOMATIC), recipient=to,
            sender=organisation.sms_sender if notice['channel'] == Message.SMS else '',
            subject=notice.get('subject', ''), body=notice['body'],
            meeting=notice.get('meeting'), created_at=utcnow(), updated_at=utcnow(),
            **_initial_status(to)))
    ids = insert_rows(Message, rows)
    queued = [i for i, row in zip(ids, rows) if row['status'] == Message.QUEUED]
    if queued:
        queue.enqueue('send_messages', queued)
    return ids


def _initial_status(to: str) -> dict:
    """Queued; or failed at once when there is nobody to send to, so the
    row shows as not delivered instead of wasting five attempts."""
    if not to:
        return dict(status=Message.FAILED, last_error='No recipient')
    return dict(status=Message.QUEUED)


def _enqueue(message: Message) -> None:
    if message.status == Message.QUEUED:
        queue.enqueue('send_message', message.id)


@dataclass(frozen=True)
class Part:
    """Where an inbound SMS sits in a long (concatenated) one: the provider's
    reference shared by the parts, this part's number and how many there are."""
    ref: str
    number: int
    total: int


# Parts of one long SMS arrive within seconds; the reference is a small
# counter on the phone, so only parts this close together belong together.
PART_WINDOW = dt.timedelta(hours=1)
# A part that waited this long for the others is read with those that came:
# a lost part must not lose the reply.
PART_WAIT = dt.timedelta(minutes=10)


def receive_sms(*, provider_id: str, sender: str, recipient: str, text: str,
                part: Part | None = None) -> Message | None:
    """Store an inbound SMS once (deduplicated on the provider's id) and
    hand it to the handlers; a part of a long SMS waits for the others, and
    the last to come hands on the whole text (`assemble`).

    Returns the new row, or None when this provider id was seen before.
    """
    user = _sender_user(sender)
    try:
        with db.atomic():
            message = Message.create(
                organisation=user.organisation_id if user else None, user=user,
                channel=Message.SMS, direction=Message.IN, kind=Message.REPLY,
                recipient=recipient, sender=sender, body=text,
                status=Message.PART if part else Message.RECEIVED, provider='vonage',
                provider_id=f'in:{provider_id}', concat_ref=part and part.ref,
                concat_part=part and part.number, concat_total=part and part.total)
            if part is None:
                queue.enqueue('dispatch_inbound', message.id)
    except IntegrityError:
        return None
    if part is not None:
        # After the commit: of parts arriving at once, the last to commit
        # sees them all.
        assemble(sender, part.ref, part.total)
    return message


def assemble(sender: str, ref: str, total: int, *, waited: bool = False) -> Message | None:
    """The whole of a long SMS as one RECEIVED row, handed to the handlers,
    once all its parts are in (or, `waited`, with those that came). Each
    long SMS is assembled once; a part coming after that is dropped."""
    now = utcnow()
    parts = list(Message.select().where(
        Message.direction == Message.IN, Message.status == Message.PART,
        Message.sender == sender, Message.concat_ref == ref, Message.concat_total == total,
        Message.created_at > now - PART_WINDOW).order_by(Message.concat_part, Message.id))
    waiting = [p for p in parts if p.handled_at is None]
    if not waiting:
        return None
    if len(waiting) < len(parts):   # assembled already: a late or repeated part
        _mark_parts_read(waiting, now)
        return None
    numbers = {p.concat_part: p for p in reversed(parts)}   # the first of each number
    if len(numbers) < total and not waited:
        return None
    first = numbers[min(numbers)]
    try:
        with db.atomic():
            whole = Message.create(
                organisation=first.organisation_id, user=first.user_id, channel=Message.SMS,
                direction=Message.IN, kind=Message.REPLY, recipient=first.recipient,
                sender=sender, body=''.join(numbers[n].body for n in sorted(numbers)),
                status=Message.RECEIVED, provider='vonage',
                provider_id=f'{first.provider_id}:whole')
            _mark_parts_read(parts, now)
            queue.enqueue('dispatch_inbound', whole.id)
    except IntegrityError:   # the other part arriving at once assembled it
        return None
    return whole


def _mark_parts_read(parts: list[Message], now) -> None:
    Message.update(handled_at=now).where(Message.id.in_([p.id for p in parts])).execute()


def assemble_waiting(now) -> int:
    """The sweep: long SMS whose parts have waited PART_WAIT without the rest
    are read with the parts that came. Returns how many were handed on."""
    groups = (Message.select(Message.sender, Message.concat_ref, Message.concat_total)
              .where(Message.direction == Message.IN, Message.status == Message.PART,
                     Message.handled_at.is_null(), Message.created_at <= now - PART_WAIT)
              .distinct().tuples())
    return sum(assemble(sender, ref, total, waited=True) is not None
               for sender, ref, total in list(groups))


def _sender_user(phone: str) -> User | None:
    """The active user with this phone number. When several organisations
    know the number, the one that texted it last is the likely addressee."""
    last = (Message.select(Message.user)
            .join(User, on=(Message.user == User.id))
            .where(Message.direction == Message.OUT,
                   Message.channel == Message.SMS, Message.recipient == phone,
                   User.phone == phone, User.active == True)  # noqa: E712
            .order_by(Message.id.desc()).first())
    if last is not None:
        return last.user
    return (User.select().where(User.phone == phone, User.active == True)  # noqa: E712
            .order_by(User.id).first())


def dispatch(message: Message, routes: Iterable[InboundRoute]) -> bool:
    """Offer an inbound SMS to `routes` in order, once.

    The row is claimed first (two workers never both run the handlers); a
    handler that raises is retried with backoff and given up after
    Message.MAX_ATTEMPTS, the error kept on the row. Returns True when the
    handlers ran to the end.
    """
    if not message.claim_dispatch():
        return False
    user = message.user
    try:
        for route in routes:
            if route(message, user):
                break
        else:
            if user is None:
                log.info('inbound SMS %s from unknown number: logged only',
                         message.id)
    except Exception as exc:
        log.exception('inbound SMS %s: handler failed (attempt %s)',
                      message.id, message.attempts)
        message.mark_dispatch_failed(f'{type(exc).__name__}: {exc}')
        return False
    message.mark_handled()
    return True


def apply_delivery_receipt(client_ref: str, status: str, error_code: str = '',
                           provider_id: str = '') -> bool:
    """Vonage DLR: 'delivered' -> delivered; failed/expired/rejected -> failed."""
    client_ref = (client_ref or '').strip()
    if not (client_ref.isascii() and client_ref.isdigit()) or len(client_ref) > 18:
        return False
    message_id = int(client_ref)
    message = Message.get_or_none(Message.id == message_id,
                                  Message.direction == Message.OUT,
                                  Message.channel == Message.SMS)
    if message is None:
        return False
    status = (status or '').lower()
    if status == 'delivered':
        message.status = Message.DELIVERED
    elif status in ('failed', 'expired', 'rejected', 'unknown'):
        message.status = Message.FAILED
        message.last_error = (f'delivery receipt: {status} '
                              f'(err-code {error_code or "?"})')[:2000]
    else:  # accepted / buffered: still on its way
        return True
    message.updated_at = utcnow()
    # Only these fields: a send finishing at the same moment keeps its own.
    message.save(only=[Message.status, Message.last_error, Message.updated_at])
    return True
