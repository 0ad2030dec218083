"""The SMS and email log: every message and its delivery status, for staff."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2_fragments.flask import render_block

from access import get_in_org, role_required
from models import Message, User

bp = Blueprint('messages', __name__, url_prefix='/messages')

PAGE_SIZE = 50
STATUS_LABELS = {
    Message.QUEUED: _l('Queued'), Message.SENDING: _l('Sending'),
    Message.SENT: _l('Sent'), Message.DELIVERED: _l('Delivered'),
    Message.FAILED: _l('Failed'), Message.RECEIVED: _l('Received'),
}
CHANNEL_LABELS = {Message.SMS: _l('SMS'), Message.EMAIL: _l('Email')}


def _filtered():
    query = Message.for_organisation(current_user.organisation_id)
    channel = request.args.get('channel')
    status = request.args.get('status')
    if channel in CHANNEL_LABELS:
        query = query.where(Message.channel == channel)
    if status in STATUS_LABELS:
        query = query.where(Message.status == status)
    return query.order_by(Message.created_at.desc(), Message.id.desc())


@bp.route('/')
@role_required(User.ADMIN, User.PLANNER)
def index():
    try:
        page = max(int(request.args.get('page', 1)), 1)
    except ValueError:
        page = 1
    rows = list(_filtered().paginate(page, PAGE_SIZE + 1))
    context = dict(messages=rows[:PAGE_SIZE], has_next=len(rows) > PAGE_SIZE,
                   page=page, status_labels=STATUS_LABELS,
                   channel_labels=CHANNEL_LABELS,
                   show_numbers=current_user.role == User.ADMIN,
                   filter_args={k: v for k, v in request.args.items() if k != 'page'})
    if request.headers.get('HX-Target') == 'message-table':
        return render_block('messages/index.html', 'table', **context)
    return render_template('messages/index.html', **context)


@bp.route('/<int:message_id>')
@role_required(User.ADMIN, User.PLANNER)
def show(message_id):
    message = get_in_org(Message, message_id)
    return render_template('messages/show.html', message=message,
                           status_labels=STATUS_LABELS,
                           channel_labels=CHANNEL_LABELS,
                           show_numbers=current_user.role == User.ADMIN)
