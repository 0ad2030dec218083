"""The inbound "Ja" / "Nej" path of the pool: an SMS from a substitute
answers one of their open requests (or gets a short help text).

tasks.dispatch_inbound offers each received SMS to `handle_sms`; from the
webhook to the booking every step is a plain call.
"""
from __future__ import annotations

import datetime as dt
import logging

from flask_babel import force_locale, gettext as _

from models import Message, Organisation, ShiftRequest, Unit, User, Vacancy, utcnow
from pool import staffing
from scheduling import sms_replies
from scheduling.localtime import naive_utc

log = logging.getLogger('planpool.replies')

AUTO_REPLIES_PER_HOUR = 3     # help texts to one number: no SMS ping-pong


# --- inbound SMS -------------------------------------------------------------------

def _reply(user: User, text_for) -> Message | None:
    """An automatic reply, at most a few an hour to one number (no SMS
    ping-pong with an auto-responder). Outbound kind REPLY: it answers an
    inbound SMS, so it never counts as what the substitute replies to."""
    recent = Message.select().where(
        Message.user == user, Message.direction == Message.OUT,
        Message.kind == Message.REPLY,
        Message.created_at > utcnow() - dt.timedelta(hours=1)).count()
    if recent >= AUTO_REPLIES_PER_HOUR:
        log.info('no more automatic replies to user %s this hour', user.id)
        return None
    with force_locale(staffing.language_of(user)):
        text = text_for()
    return staffing.send_sms(user, text, kind=Message.REPLY)


def _code_list(requests) -> str:
    return '; '.join(f'{r.code} {r.vacancy.unit.name} {staffing.vacancy_when(r.vacancy)}'
                     for r in requests)


def handle_sms(message: Message, user: User | None) -> bool:
    """Answers to requests from the organisation's substitutes. Not taken:
    other senders (an unknown number is logged by notify, never answered)."""
    if user is None or user.role != User.SUBSTITUTE:
        return False
    org = user.organisation
    if org.kind != Organisation.POOL:
        return False
    at = staffing.now()
    staffing.expire(org, at)
    reply = sms_replies.parse(message.body)
    phone = org.phone or org.name
    waiting = _open_requests(user)
    yes = reply.kind == sms_replies.YES
    if reply.kind == sms_replies.OTHER:
        _help_unreadable(user, waiting, phone)
    elif reply.code:
        _answer_by_code(user, reply.code, yes, waiting, phone, at)
    else:
        _answer_without_code(user, yes, waiting, phone, at)
    return True


def _open_requests(user: User) -> list[ShiftRequest]:
    """The substitute's open requests, oldest first, with vacancy and unit."""
    return list(ShiftRequest.select(ShiftRequest, Vacancy, Unit)
                .join(Vacancy).join(Unit)
                .where(ShiftRequest.user == user, ShiftRequest.status == ShiftRequest.OPEN)
                .order_by(ShiftRequest.sent_at, ShiftRequest.id))


def _help_unreadable(user: User, waiting: list[ShiftRequest], phone: str) -> None:
    """Neither JA nor NEJ: how to answer the oldest open request, if any;
    the code only when several are open (as their request SMS asked)."""
    if len(waiting) == 1:
        _reply(user, lambda: _('We could not read your answer. Reply JA or NEJ. For anything '
                               'else call %(phone)s.', phone=phone))
    elif waiting:
        _reply(user, lambda: _('We could not read your answer. Reply JA or NEJ with the '
                               'code, for example JA %(code)s. For anything else call '
                               '%(phone)s.', code=waiting[0].code, phone=phone))
    else:
        _help_nothing_open(user, phone)


def _help_nothing_open(user: User, phone: str) -> None:
    """No request to answer: after a planner's manual message the number is
    not read; otherwise it only reads JA or NEJ."""
    if _answering_manual(user):
        _reply(user, lambda: _('This number is not read, so nobody will see your message. '
                               'Call the staffing centre on %(phone)s.', phone=phone))
    else:
        _reply(user, lambda: _('You have no request to answer. This number only reads JA '
                               'or NEJ. For anything else call %(phone)s.', phone=phone))


def _answer_by_code(user: User, code: str, yes: bool, waiting: list[ShiftRequest],
                    phone: str, at: dt.datetime) -> None:
    """JA or NEJ with a code: the open request with that code, else the
    latest with it (the answer then says filled, expired or answered)."""
    target = next((r for r in waiting if r.code == code), None) or (
        ShiftRequest.select().where(ShiftRequest.user == user, ShiftRequest.code == code)
        .order_by(ShiftRequest.sent_at.desc(), ShiftRequest.id.desc()).first())
    if target is None:
        _reply(user, lambda: (_('No request has the code %(code)s. Your open requests: '
                                '%(list)s', code=code, list=_code_list(waiting))
                              if waiting else
                              _('No request has the code %(code)s, and you have no request '
                                'to answer. Questions? Call %(phone)s.',
                                code=code, phone=phone)))
        return
    staffing.answer(target, yes, via='sms', at=at)


def _answer_without_code(user: User, yes: bool, waiting: list[ShiftRequest], phone: str,
                         at: dt.datetime) -> None:
    """JA or NEJ alone: it answers the one open request; with several the
    substitute is asked for the code."""
    if len(waiting) == 1:
        staffing.answer(waiting[0], yes, via='sms', at=at)
    elif len(waiting) > 1:
        _reply(user, lambda: _('You have %(count)s requests. Answer each with its code, for '
                               'example JA %(code)s: %(list)s', count=len(waiting),
                               code=waiting[0].code, list=_code_list(waiting)))
    else:
        # The request most likely answered: the latest, while its shift is to come.
        latest = (ShiftRequest.select().join(Vacancy)
                  .where(ShiftRequest.user == user, Vacancy.ends_at > naive_utc(at))
                  .order_by(ShiftRequest.sent_at.desc(), ShiftRequest.id.desc()).first())
        if latest is not None and not _answering_manual(user, since=latest.sent_at):
            staffing.answer(latest, yes, via='sms', at=at)   # says filled, expired or answered
        else:
            _help_nothing_open(user, phone)


def _answering_manual(user: User, since: dt.datetime | None = None) -> bool:
    """Is the latest SMS we sent this substitute (not counting automatic
    replies and login codes) a planner's manual message?"""
    last = (Message.select(Message.kind, Message.created_at)
            .where(Message.user == user, Message.direction == Message.OUT,
                   Message.channel == Message.SMS,
                   Message.kind.in_((Message.AUTOMATIC, Message.MANUAL)))
            .order_by(Message.id.desc()).first())
    if last is None or last.kind != Message.MANUAL:
        return False
    return since is None or last.created_at >= since
