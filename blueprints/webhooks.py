"""Vonage webhooks: inbound SMS and delivery receipts (SMS API format).

Vonage sends GET query strings or POST form / JSON bodies. Unsigned, forged or
stale requests get 403 and nothing is stored; without a signature secret every
request does, except in development mode (PLANPOOL_DEV=1). Malformed requests get 400; Vonage retries anything but 2xx for 24
hours, so a known duplicate or an unknown reference still answers 204.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, request

from common.validators import normalise_phone
from extensions import csrf, limiter
from integrations.sms import check_signature
from messaging import outbox

bp = Blueprint('webhooks', __name__, url_prefix='/webhooks/vonage')
csrf.exempt(bp)  # authenticated by Vonage's signature instead


def _clean(value) -> str:
    # PostgreSQL text cannot hold NUL; nothing legitimate carries one.
    return str(value).replace('\x00', '')


def _is_text(value: str) -> bool:
    try:
        value.encode('utf-8')
    except UnicodeEncodeError:
        return False
    return True


def _params() -> dict:
    if request.method == 'GET':
        data = request.args.to_dict()
    elif request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            abort(400)
        data = {str(k): ('true' if v else 'false') if isinstance(v, bool) else str(v)
                for k, v in data.items() if isinstance(v, (str, int, float))}
        # JSON may carry a lone surrogate ("\ud800"): no text at all, and
        # nothing the database can store.
        if not all(_is_text(k) and _is_text(v) for k, v in data.items()):
            abort(400)
    else:
        data = request.form.to_dict()
    if not check_signature(current_app.config, dict(data)):
        abort(403)
    return data


MAX_PARTS = 30   # a long SMS in more parts than this is no reply


def _part(data: dict) -> outbox.Part | None:
    """Where this SMS sits in a long one (Vonage's concat fields), if it is
    a part of one."""
    if (data.get('concat') or '').strip().lower() != 'true':
        return None
    ref = _clean(data.get('concat-ref') or '').strip()
    try:
        number = int(data.get('concat-part') or '')
        total = int(data.get('concat-total') or '')
    except ValueError:
        abort(400)
    if not ref or len(ref) > 40 or not 1 <= number <= total <= MAX_PARTS:
        abort(400)
    return outbox.Part(ref, number, total)


@bp.route('/inbound', methods=['GET', 'POST'])
@limiter.limit('600 per minute')
def inbound():
    data = _params()
    message_id = _clean(data.get('messageId') or '').strip()
    msisdn = _clean(data.get('msisdn') or '').strip()
    if not message_id or not msisdn or len(message_id) > 80:
        abort(400)
    sender = normalise_phone('+' + msisdn.lstrip('+')) or msisdn[:20]
    message = outbox.receive_sms(provider_id=message_id, sender=sender,
                                 recipient=_clean(data.get('to') or '')[:20],
                                 text=_clean(data.get('text') or '')[:2000],
                                 part=_part(data))
    if message is None:
        current_app.logger.info('inbound SMS %s seen before: ignored', message_id)
    return '', 204


@bp.route('/delivery', methods=['GET', 'POST'])
@limiter.limit('600 per minute')
def delivery():
    data = _params()
    found = outbox.apply_delivery_receipt(
        _clean(data.get('client-ref') or ''), _clean(data.get('status') or ''),
        _clean(data.get('err-code') or '')[:20], _clean(data.get('messageId') or ''))
    if not found:
        current_app.logger.info('delivery receipt for unknown client-ref %r ignored',
                                data.get('client-ref', '')[:40])
    return '', 204
