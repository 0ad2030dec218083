"""The one Huey instance and every background task.

Huey delivers at most once, so nothing here trusts it alone: messages are
rows first, tasks are idempotent (a message is claimed before it is sent), and
`sweep` re-enqueues whatever is due but was lost. Services never import this
module: `init_app` connects the tasks to `messaging.queue`.
"""
from __future__ import annotations

import functools
import logging
import os

from flask import current_app
from huey import RedisHuey, SqliteHuey, crontab

from integrations import DeliveryError, MaybeSentError, PermanentDeliveryError
from integrations.mail import mailer_from_config, stable_message_id
from integrations.sms import sender_from_config
from messaging import outbox, queue
from models import CalendarSync, Message, db, purge_expired_logins, utcnow
from planner import calendar_sync
from pool import replies, staffing

log = logging.getLogger('planpool.tasks')

INSTANCE_DIR = os.environ.get(
    'PLANPOOL_INSTANCE', os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                      'instance'))


def _make_huey():
    url = os.environ.get('HUEY_URL') or os.environ.get('REDIS_URL')
    if url and url.startswith(('redis://', 'rediss://', 'unix://')):
        return RedisHuey('planpool', url=url)
    os.makedirs(INSTANCE_DIR, exist_ok=True)
    return SqliteHuey('planpool', filename=os.path.join(INSTANCE_DIR, 'huey.sqlite3'))


huey = _make_huey()

_flask_app = None


# Who answers an inbound SMS, asked in this order (the first that takes it wins).
INBOUND_ROUTES: tuple[outbox.InboundRoute, ...] = (replies.handle_sms,)


def init_app(app) -> None:
    """Give tasks the app whose config and database they run under, and let
    the services hand work to them."""
    global _flask_app
    _flask_app = app
    queue.connect(send_message=send_message, send_messages=send_messages,
                  dispatch_inbound=dispatch_inbound, sync_calendar=sync_calendar,
                  sync_calendar_batch=sync_calendar_batch)


def _app():
    if _flask_app is None:
        raise RuntimeError('No app: start the worker with `flask --app app worker`.')
    return _flask_app


def in_app_context(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        app = _app()
        with app.app_context():
            db.connect(reuse_if_open=True)
            return fn(*args, **kwargs)
    return wrapper


@huey.task(retries=2, retry_delay=2)
@in_app_context
def send_message(message_id: int) -> str:
    """Send one outbound message; safe to run twice (the claim decides)."""

    message = Message.get_or_none(Message.id == message_id)
    if message is None:
        # Enqueued before the creating transaction committed: try again soon.
        raise LookupError(f'message {message_id} not visible yet')
    if message.direction != Message.OUT or not message.claim():
        return message.status
    try:
        if message.channel == Message.SMS:
            sender = sender_from_config(current_app.config)
            provider_id = sender.send(to=message.recipient, sender=message.sender,
                                      text=message.body, client_ref=str(message.id))
        else:
            sender = mailer_from_config(current_app.config)
            mail_from = current_app.config['MAIL_FROM']
            provider_id = sender.send(
                to=message.recipient, sender=mail_from,
                subject=message.subject, body=message.body,
                message_id=stable_message_id(message, mail_from))
    except Exception as exc:
        # Whatever went wrong, the attempt is recorded: a row left in
        # 'sending' would only come back through the stall timeout.
        if isinstance(exc, DeliveryError):
            error = str(exc)
            log.warning('message %s attempt %s failed: %s', message.id,
                        message.attempts, exc)
        else:
            error = f'{type(exc).__name__}: {exc}'
            log.exception('message %s attempt %s failed', message.id,
                          message.attempts)
        if isinstance(exc, MaybeSentError):
            # Never repeated blindly: it could reach them twice. A delivery
            # receipt may still settle it; else staff see "may have been sent".
            error = f'{Message.MAYBE_SENT}: {exc}'
        message.mark_failed_attempt(
            error, final=isinstance(exc, (PermanentDeliveryError, MaybeSentError)))
        if message.status == Message.QUEUED:
            _schedule_retry(message)
        return message.status
    message.mark_sent(sender.name, provider_id)
    return message.status


@huey.task()
@in_app_context
def send_messages(message_ids: list[int]) -> int:
    """Send a batch (a summons): one task instead of thousands. Each message
    is claimed on its own, so a batch run twice sends nothing twice."""
    for message_id in message_ids:
        try:
            send_message.call_local(message_id)
        except LookupError:
            pass   # not visible (rolled back?): the sweep covers committed ones
    return len(message_ids)


def _retry_wait(row) -> float:
    """Seconds until an outbox row that was queued again may be retried."""
    return max((row.next_attempt_at - row.updated_at).total_seconds(), 1)


def _schedule_retry(message) -> None:
    """A timed retry; the sweep covers it when the queue loses it."""
    delay = _retry_wait(message)
    try:
        send_message.schedule((message.id,), delay=delay)
    except Exception:
        log.exception('could not schedule a retry of message %s', message.id)


@huey.task(retries=2, retry_delay=2)
@in_app_context
def dispatch_inbound(message_id: int) -> bool:
    """Run the inbound handlers for one received SMS (claimed, so once)."""
    message = Message.get_or_none(Message.id == message_id)
    if message is None:
        raise LookupError(f'message {message_id} not visible yet')
    if message.handled_at is not None:
        return False
    return outbox.dispatch(message, INBOUND_ROUTES)


@huey.task(retries=2, retry_delay=2)
@in_app_context
def sync_calendar(sync_id: int) -> str:
    """Put or delete one meeting's event in one caseworker's calendar; a
    failure is recorded on the row, never raised (calendar_sync)."""
    status = calendar_sync.sync_one(sync_id)
    row = CalendarSync.get_or_none(CalendarSync.id == sync_id)
    if row is not None and row.status == CalendarSync.QUEUED and row.next_attempt_at:
        delay = _retry_wait(row)
        try:
            sync_calendar.schedule((sync_id,), delay=delay)
        except Exception:   # the sweep covers it
            log.exception('could not schedule a retry of calendar sync %s', sync_id)
    return status


@huey.task(retries=2, retry_delay=2)
@in_app_context
def sync_calendar_batch(sync_ids: list[int]) -> dict:
    """Many calendar syncs (a summons, the sweep) in one task; retries of
    the failed ones come from the sweep."""
    return calendar_sync.sync_batch(sync_ids)


@huey.periodic_task(crontab(minute='*'))
@in_app_context
def sweep() -> int:
    """Re-enqueue messages and calendar syncs that are due (lost tasks,
    retries, stalled sends)."""
    now = utcnow()
    count = 0
    for message_id in [row.id for row in Message.due(now)]:
        send_message(message_id)
        count += 1
    count += outbox.assemble_waiting(now)   # long SMS with a part missing
    for message_id in [row.id for row in Message.undispatched(now)]:
        dispatch_inbound(message_id)
        count += 1
    for batch in calendar_sync.batches(calendar_sync.due(now)):
        sync_calendar_batch(batch)
        count += len(batch)
    return count


@huey.periodic_task(crontab(minute='17'))
@in_app_context
def purge_logins() -> dict[str, int]:
    """Hourly: delete expired sessions, spent login codes and devices no
    longer remembered (nothing else ever deletes them)."""
    return purge_expired_logins(utcnow())


@huey.periodic_task(crontab(minute='*'))
@in_app_context
def expire_requests() -> int:
    """Shift requests expire at their deadline, not when somebody next opens
    a page: substitutes are told and the vacancy moves on (staffing.expire)."""
    return staffing.expire_all(staffing.now())
