"""Vonage webhooks: inbound SMS and delivery receipts (SMS API format).

Vonage sends GET query strings or POST form / JSON bodies. With a signature
secret configured, unsigned or forged requests get 403 and nothing is stored.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, request

import notify
from app import csrf, limiter
from integrations.sms import check_signature
from validators import normalise_phone

bp = Blueprint('webhooks', __name__, url_prefix='/webhooks/vonage')
csrf.exempt(bp)  # authenticated by Vonage's signature instead


def _params() -> dict:
    if request.method == 'GET':
        data = request.args.to_dict()
    elif request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            abort(400)
        data = {k: v for k, v in data.items() if isinstance(v, (str, int, float))}
        data = {k: str(v) for k, v in data.items()}
    else:
        data = request.form.to_dict()
    if not check_signature(current_app.config, dict(data)):
        abort(403)
    return data


@bp.route('/inbound', methods=['GET', 'POST'])
@limiter.limit('600 per minute')
def inbound():
    data = _params()
    message_id = data.get('messageId')
    msisdn = data.get('msisdn')
    if not message_id or not msisdn or len(message_id) > 80:
        abort(400)
    sender = normalise_phone('+' + msisdn.lstrip('+')) or msisdn[:20]
    notify.receive_sms(provider_id=message_id, sender=sender,
                       recipient=(data.get('to') or '')[:20],
                       text=(data.get('text') or '')[:2000])
    return '', 204


@bp.route('/delivery', methods=['GET', 'POST'])
@limiter.limit('600 per minute')
def delivery():
    data = _params()
    notify.apply_delivery_receipt(data.get('client-ref', ''), data.get('status', ''),
                                  data.get('err-code', ''), data.get('messageId', ''))
    return '', 204
