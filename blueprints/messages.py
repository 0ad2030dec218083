"""The SMS and email log: every message and its delivery status, for staff."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from messaging.errors import plain_error
from models import AuditEvent, Message, User
from web import get_in_org, paginate, render, role_required

bp = Blueprint('messages', __name__, url_prefix='/messages')

PAGE_SIZE = 50
FILTERS = ('channel', 'status')
STATUS_LABELS = {
    Message.QUEUED: _l('Queued'), Message.SENDING: _l('Sending'),
    Message.SENT: _l('Sent'), Message.DELIVERED: _l('Delivered'),
    Message.FAILED: _l('Failed'), Message.RECEIVED: _l('Received'),
}
CHANNEL_LABELS = {Message.SMS: _l('SMS'), Message.EMAIL: _l('Email')}


def _filters() -> dict:
    """The recognised filters only: they are echoed into the pager links."""
    args = {k: request.args.get(k, '') for k in FILTERS}
    return {k: v for k, v in args.items()
            if v in (CHANNEL_LABELS if k == 'channel' else STATUS_LABELS)}


def _filtered(filters: dict):
    # A long inbound SMS is listed once, whole, not part by part.
    query = Message.for_organisation(current_user.organisation_id).where(
        Message.status != Message.PART)
    if 'channel' in filters:
        query = query.where(Message.channel == filters['channel'])
    if 'status' in filters:
        query = query.where(Message.status == filters['status'])
    return query.order_by(Message.created_at.desc(), Message.id.desc())


@bp.route('/')
@role_required(User.ADMIN, User.PLANNER)
def index():
    filters = _filters()
    page = paginate(_filtered(filters), PAGE_SIZE, request.args.get('page'))
    context = dict(messages=page.rows, has_next=page.has_next,
                   page=page.number, status_labels=STATUS_LABELS,
                   channel_labels=CHANNEL_LABELS,
                   show_numbers=current_user.role == User.ADMIN,
                   filter_args=filters, plain_error=plain_error)
    return render('messages/index.html', {'message-table': 'table'}, **context)


@bp.route('/<int:message_id>')
@role_required(User.ADMIN, User.PLANNER)
def show(message_id):
    message = get_in_org(Message, message_id)
    AuditEvent.record('message.view', actor=current_user._get_current_object(),
                      obj=message, ip=request.remote_addr or '')
    return render_template('messages/show.html', message=message,
                           status_labels=STATUS_LABELS,
                           channel_labels=CHANNEL_LABELS, plain_error=plain_error,
                           show_numbers=current_user.role == User.ADMIN)
