"""Log in and out: staff (email + password), citizens (CPR + SMS code),
substitutes (username + password, plus an SMS code on a new device)."""
from __future__ import annotations

import datetime as dt
import functools
import math

from flask import Blueprint, current_app, flash, render_template, request, session
from flask_babel import format_time, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from peewee import JOIN, fn
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from blueprints.baseform import Form
from common.validators import normalise_cpr
from extensions import limiter
from messaging import outbox, queue
from models import (AuditEvent, Message, OneTimeCode, Organisation, TrustedDevice, User,
                    UserSession, db, utcnow)
from planner.privacy import mask_identifier
from web import local_path, see_other

bp = Blueprint('auth', __name__)

DEVICE_COOKIE = 'planpool_device'
LOGIN_LIMIT = '10 per minute;50 per hour'


class StaffLoginForm(Form):
    email = StringField(_l('Email'), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l('Password'), validators=[DataRequired(), Length(max=200)])


class SubstituteLoginForm(Form):
    username = StringField(_l('Username'), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l('Password'), validators=[DataRequired(), Length(max=200)])


class CitizenLoginForm(Form):
    cpr = StringField(_l('CPR number'), validators=[DataRequired(), Length(max=20)],
                      description=_l('10 digits, for example 010190-1234'))

    def validate_cpr(self, field):
        normalised = normalise_cpr(field.data)
        if normalised is None:
            raise ValidationError(_('Enter a valid CPR number (10 digits).'))
        field.data = normalised


class CodeForm(Form):
    code = StringField(_l('Code from the SMS'),
                       validators=[DataRequired(), Length(max=12)])


def _ip() -> str:
    return request.remote_addr or ''


def _start_session(user: User, *, method: str):
    """A fresh session (no fixation), the login recorded."""
    lang = session.get('lang')
    session.clear()
    if lang:
        session['lang'] = lang
    user.session_token = UserSession.open(user)
    login_user(user)
    user.last_login_at = utcnow()
    user.save(only=[User.last_login_at])
    AuditEvent.record('login', actor=user, detail=method, ip=_ip())


def _failed(action: str, detail: str = '', user: User | None = None):
    """A failed login in the audit log: the account when there is one (so
    its organisation's admins see it), else only what was typed, masked;
    never a CPR number."""
    AuditEvent.record(action, detail=detail, ip=_ip(), obj=user,
                      organisation=user.organisation_id if user is not None else None)


def _home(target: str | None = None):
    """After a login: back to the page that asked for it (a path on this
    site), else the home page."""
    target = local_path(target)
    return see_other(url=target) if target else see_other('main.index')


def _next() -> str:
    """The `next` of a login page's address, when it is a path on this site."""
    return local_path(request.args.get('next')) or ''


@bp.route('/login', methods=['GET', 'POST'])
@limiter.limit(LOGIN_LIMIT, methods=['POST'])
def login():
    """Staff: email + password."""
    if current_user.is_authenticated:
        return _home()
    form = StaffLoginForm()
    if form.validate_on_submit():
        # LOWER on the column too: addresses may be stored as typed.
        user = _find(fn.LOWER(User.email) == form.email.data.strip().lower(),
                     User.role.in_(User.STAFF_ROLES))
        # Hashed for nobody too (a blank account), and password first: an
        # unknown or inactive account costs the same time as any other.
        if (user or User()).check_password(form.password.data) and user.active:
            _start_session(user, method='password')
            return _home(_next())
        _failed('login_failed', f'staff {mask_identifier(form.email.data)}', user)
        flash(_('The email or password is not correct.'), 'error')
    return render_template('auth/login_staff.html', form=form)


@bp.route('/login/substitute', methods=['GET', 'POST'])
@limiter.limit(LOGIN_LIMIT, methods=['POST'])
def login_substitute():
    """Substitutes: username + password; a new device also needs an SMS code."""
    if current_user.is_authenticated:
        return _home()
    form = SubstituteLoginForm()
    if form.validate_on_submit():
        user = _find(fn.LOWER(User.username) == form.username.data.strip().lower(),
                     User.role == User.SUBSTITUTE)
        if (user or User()).check_password(form.password.data) and user.active:
            if TrustedDevice.is_trusted(user, _device_token(user)):
                _start_session(user, method='password+device')
                return _home(_next())
            if not user.phone:
                flash(_('Your account has no mobile number. Call the staffing '
                        'centre to have it added.'), 'error')
                return render_template('auth/login_substitute.html', form=form)
            return _send_code(user, OneTimeCode.NEW_DEVICE, after=_next())
        _failed('login_failed', f'substitute {mask_identifier(form.username.data)}', user)
        flash(_('The username or password is not correct.'), 'error')
    return render_template('auth/login_substitute.html', form=form)


@bp.route('/login/citizen', methods=['GET', 'POST'])
@limiter.limit(LOGIN_LIMIT, methods=['POST'])
def login_citizen():
    """Citizens: CPR number, then a code sent by SMS to their registered phone."""
    if current_user.is_authenticated:
        return _home()
    form = CitizenLoginForm()
    if form.validate_on_submit():
        refusal = _codes_refused(session.get('otp'), hourly_only=True)
        if refusal:
            flash(refusal, 'error')
            return render_template('auth/login_citizen.html', form=form)
        user = _find(User.cpr == form.cpr.data, User.role == User.CITIZEN)
        if user is not None and user.active and user.phone:
            return _send_code(user, OneTimeCode.CITIZEN_LOGIN, after=_next())
        # Same answer, session and work whether or not we know the number
        # (no enumeration): a stand-in code row, an audit row for the SMS row.
        return _send_code(None, OneTimeCode.CITIZEN_LOGIN, after=_next(), why='citizen ' + (
            'unknown CPR number' if user is None else
            'inactive' if not user.active else 'no mobile number'), seen=user)
    return render_template('auth/login_citizen.html', form=form)


def _find(*where) -> User | None:
    """One account with its organisation, in one query (known or not, the
    same query)."""
    return User.select(User, Organisation).join(Organisation).where(*where).first()


def _send_code(user: User | None, purpose: str, challenge: str | None = None, *,
               after: str = '', why: str = '', seen: User | None = None):
    """Text a fresh code unless the resend limit says no (one a minute, five
    an hour). A resend passes the browser's challenge, which then stays as it
    is. Nobody (`user` None), a refusal and a real code cost the same queries
    and writes: one code row and one row of record (the SMS, or the audit,
    naming the account `seen` when there is one). `after`: the page to open
    once the code is entered."""
    with db.atomic():
        challenge, code = OneTimeCode.claim(user, purpose, challenge)
        if code is None:
            _failed('login_failed' if user is None else 'code_withheld',
                    why or 'a code went out less than a minute ago, or five this hour',
                    user if user is not None else seen)
        else:
            text = _('%(code)s is your Planpool code. It is valid for 10 minutes. '
                     'Never give it to anyone.', code=code)
            message = outbox.queue_sms(user.organisation, user.phone, text, user=user,
                                       kind=Message.CODE, hand_over=False)
    _remember_challenge(challenge, after)
    response = see_other('auth.code')
    if code is not None:
        # Handed to the worker once the answer has gone out: the time it takes
        # must not tell a known person from an unknown one.
        response.call_on_close(functools.partial(queue.enqueue, 'send_message', message.id))
    return response


def _remember_challenge(challenge: str, after: str) -> None:
    """The browser's challenge, and when it asked for codes within the hour
    (kept across a new login until one succeeds: the session's own count)."""
    now = utcnow().timestamp()
    session['otp'] = {'challenge': challenge, 'misses': 0, 'sent_at': now,
                      'asked': _asked(session.get('otp'), now) + [now], 'next': after}


def _asked(pending: dict | None, now: float) -> list[float]:
    return [t for t in (pending or {}).get('asked', [])
            if now - t < OneTimeCode.KEPT_FOR.total_seconds()]


def _codes_refused(pending: dict | None, *, hourly_only: bool = False) -> str | None:
    """Why this browser cannot have a new code now, and when it can: read
    from the session alone, so the answer is the same whether or not we know
    the person (for whom the database keeps the same limits)."""
    now = utcnow().timestamp()
    asked = _asked(pending, now)
    if len(asked) >= OneTimeCode.MAX_PER_HOUR:
        at = dt.datetime.fromtimestamp(asked[0] + OneTimeCode.KEPT_FOR.total_seconds(),
                                       dt.timezone.utc)
        return _('You have asked for %(count)s codes within an hour, the most we send. '
                 'You can ask for a new code at %(time)s.', count=len(asked),
                 time=format_time(at, 'HH:mm'))
    wait = OneTimeCode.RESEND_AFTER.total_seconds() - (now - (pending or {}).get('sent_at', 0))
    if not hourly_only and wait > 0:
        return _('We send at most one code a minute. The code sent a moment ago still works; '
                 'you can ask for a new one in %(seconds)s seconds.', seconds=math.ceil(wait))
    return None


def _pending_code() -> tuple[dict | None, OneTimeCode | None]:
    """The code the browser's challenge names, with its user and organisation
    (none for a stand-in) in one query."""
    pending = session.get('otp')
    if not pending:
        return None, None
    row = (OneTimeCode.select(OneTimeCode, User, Organisation)
           .join(User, JOIN.LEFT_OUTER).join(Organisation, JOIN.LEFT_OUTER)
           .where(OneTimeCode.challenge == pending['challenge']).first())
    return pending, row


@bp.route('/login/code', methods=['GET', 'POST'])
@limiter.limit('20 per minute', methods=['POST'])
def code():
    pending, row = _pending_code()
    if pending is None:
        return see_other('main.index')
    form = CodeForm()
    if form.validate_on_submit():
        # The code is checked (and the try counted) for a stand-in too. A
        # deactivated account's code opens nothing (no session row, no audit
        # 'login', no trusted device).
        user = row.user if row is not None else None
        if row is not None and row.check(form.code.data) and user is not None \
                and user.active:
            session.pop('otp', None)
            if row.purpose == OneTimeCode.NEW_DEVICE:
                token = TrustedDevice.remember(user, request.user_agent.string or '')
                response = _home(pending.get('next'))
                _start_session(user, method='password+sms')
                _set_device_cookie(response, user, token)
                return response
            _start_session(user, method='sms')
            return _home(pending.get('next'))
        pending['misses'] = pending.get('misses', 0) + 1
        session['otp'] = pending
        _failed('code_failed', 'wrong or expired code', user)
        if pending['misses'] >= OneTimeCode.MAX_ATTEMPTS or (
                row is not None and row.attempts >= OneTimeCode.MAX_ATTEMPTS):
            session.pop('otp', None)
            flash(_('Too many wrong codes. Start again to get a new code.'), 'error')
            return see_other('main.index')
        flash(_('The code is wrong or has expired.'), 'error')
    return render_template('auth/code.html', form=form)


@bp.route('/login/code/resend', methods=['POST'])
@limiter.limit('5 per minute;20 per hour')
def resend_code():
    pending, row = _pending_code()
    if pending is None:
        return see_other('main.index')
    # The same answers whether or not the person exists (no enumeration).
    refusal = _codes_refused(pending)
    if refusal:
        flash(refusal, 'error')
        return see_other('auth.code')
    flash(_('If we know you, a new code is on its way.'), 'info')
    # A deactivated account gets no more SMS, and is told no differently:
    # the challenge in the session stays the same for everyone.
    user = row.user if row is not None else None
    active = user is not None and user.active
    return _send_code(user if active else None, row.purpose if row else OneTimeCode.CITIZEN_LOGIN,
                      pending['challenge'], after=pending.get('next', ''), why='resend',
                      seen=user)


@bp.route('/logout', methods=['POST'])
def logout():
    if current_user.is_authenticated:
        AuditEvent.record('logout', actor=current_user, ip=_ip())
        UserSession.close(current_user.session_token)
        logout_user()
    lang = session.get('lang')
    session.clear()
    if lang:
        session['lang'] = lang
    flash(_('You are logged out.'), 'info')
    return see_other('main.index')


# --- remembered devices (substitutes) ----------------------------------

def _device_serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt='trusted-device')


def _device_token(user: User) -> str | None:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _device_serializer().loads(
            raw, max_age=int(TrustedDevice.LIFETIME.total_seconds()))
    except BadSignature:
        return None
    return data.get(str(user.id))


def _set_device_cookie(response, user: User, token: str):
    # One cookie per browser holding a token per account (shared tablets).
    try:
        data = _device_serializer().loads(request.cookies.get(DEVICE_COOKIE, ''))
    except BadSignature:
        data = {}
    data[str(user.id)] = token
    response.set_cookie(DEVICE_COOKIE, _device_serializer().dumps(data),
                        max_age=int(TrustedDevice.LIFETIME.total_seconds()),
                        httponly=True, samesite='Lax',
                        secure=current_app.config['SESSION_COOKIE_SECURE'])
