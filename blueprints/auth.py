"""Log in and out: staff (email + password), citizens (CPR + SMS code),
substitutes (username + password, plus an SMS code on a new device)."""
from __future__ import annotations

import secrets

from flask import Blueprint, current_app, flash, render_template, request, session
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from peewee import fn
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from blueprints.baseform import Form
from common.validators import normalise_cpr
from extensions import limiter
from messaging import outbox
from models import AuditEvent, Message, OneTimeCode, TrustedDevice, User, UserSession, utcnow
from planner.privacy import mask_identifier
from web import local_path, see_other

bp = Blueprint('auth', __name__)

DEVICE_COOKIE = 'planpool_device'
# Compared against when the account does not exist, so that a wrong email
# costs the same time as a wrong password (no account enumeration by timing).
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))
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


def _home():
    return see_other('main.index')


@bp.route('/login', methods=['GET', 'POST'])
@limiter.limit(LOGIN_LIMIT, methods=['POST'])
def login():
    """Staff: email + password."""
    if current_user.is_authenticated:
        return _home()
    form = StaffLoginForm()
    if form.validate_on_submit():
        # LOWER on the column too: addresses may be stored as typed.
        user = User.get_or_none(fn.LOWER(User.email) == form.email.data.strip().lower(),
                                User.role.in_(User.STAFF_ROLES))
        if user is None:
            check_password_hash(_DUMMY_HASH, form.password.data)
        # Password first: an inactive account costs the same time as any other.
        elif user.check_password(form.password.data) and user.active:
            _start_session(user, method='password')
            # Back to the page that asked for the login (a path on this site).
            target = local_path(request.args.get('next'))
            return see_other(url=target) if target else _home()
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
        user = User.get_or_none(
            fn.LOWER(User.username) == form.username.data.strip().lower(),
            User.role == User.SUBSTITUTE)
        if user is None:
            check_password_hash(_DUMMY_HASH, form.password.data)
        elif user.check_password(form.password.data) and user.active:
            if TrustedDevice.is_trusted(user, _device_token(user)):
                _start_session(user, method='password+device')
                return _home()
            if not user.phone:
                flash(_('Your account has no mobile number. Call the staffing '
                        'centre to have it added.'), 'error')
                return render_template('auth/login_substitute.html', form=form)
            return _send_code(user, OneTimeCode.NEW_DEVICE)
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
        user = User.get_or_none(User.cpr == form.cpr.data,
                                User.role == User.CITIZEN)
        if user is not None and user.active and user.phone:
            return _send_code(user, OneTimeCode.CITIZEN_LOGIN)
        # Same answer, session and work whether or not we know the number
        # (no enumeration).
        _failed('login_failed', 'citizen ' + (
            'unknown CPR number' if user is None else
            'inactive' if not user.active else 'no mobile number'), user)
        _remember_challenge(_as_if_sending())
        return see_other('auth.code')
    return render_template('auth/login_citizen.html', form=form)


def _as_if_sending() -> str:
    """For a person we do not know: the queries and hashing of issuing a code
    (no row, no SMS), and a challenge of the same shape as a real one."""
    challenge = secrets.token_urlsafe(32)
    OneTimeCode.may_issue(0)
    OneTimeCode.get_or_none(OneTimeCode.challenge == challenge)
    OneTimeCode._hash(challenge, f'{secrets.randbelow(10**6):06d}')
    return challenge


def _send_code(user: User, purpose: str, challenge: str | None = None):
    """Text a fresh code unless one went out less than a minute ago. A resend
    passes the browser's challenge, which then stays as it is."""
    if OneTimeCode.may_issue(user):
        row, code = OneTimeCode.issue(user, purpose, challenge)
        text = _('%(code)s is your Planpool code. It is valid for 10 minutes. '
                 'Never give it to anyone.', code=code)
        outbox.queue_sms(user.organisation, user.phone, text, user=user,
                         kind=Message.CODE)
        challenge = row.challenge
    elif challenge is None:
        latest = (OneTimeCode.select().where(OneTimeCode.user == user,
                                             OneTimeCode.purpose == purpose)
                  .order_by(OneTimeCode.id.desc()).first())
        challenge = latest.challenge if latest else secrets.token_urlsafe(32)
    _remember_challenge(challenge)
    return see_other('auth.code')


def _remember_challenge(challenge: str) -> None:
    session['otp'] = {'challenge': challenge, 'misses': 0,
                      'sent_at': utcnow().timestamp()}


def _pending_code() -> tuple[dict | None, OneTimeCode | None]:
    pending = session.get('otp')
    if not pending:
        return None, None
    row = OneTimeCode.get_or_none(OneTimeCode.challenge == pending['challenge'])
    return pending, row


@bp.route('/login/code', methods=['GET', 'POST'])
@limiter.limit('20 per minute', methods=['POST'])
def code():
    pending, row = _pending_code()
    if pending is None:
        return see_other('main.index')
    form = CodeForm()
    if form.validate_on_submit():
        # A deactivated account's code opens nothing (no session row, no audit
        # 'login', no trusted device).
        if row is not None and row.user.active and row.check(form.code.data):
            session.pop('otp', None)
            user = row.user
            if row.purpose == OneTimeCode.NEW_DEVICE:
                token = TrustedDevice.remember(user, request.user_agent.string or '')
                response = _home()
                _start_session(user, method='password+sms')
                _set_device_cookie(response, user, token)
                return response
            _start_session(user, method='sms')
            return _home()
        pending['misses'] = pending.get('misses', 0) + 1
        session['otp'] = pending
        _failed('code_failed', 'wrong or expired code',
                row.user if row is not None else None)
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
    waited = utcnow().timestamp() - pending.get('sent_at', 0)
    if waited < OneTimeCode.RESEND_AFTER.total_seconds():
        flash(_('A code was sent a moment ago. Wait a minute before asking '
                'for a new one.'), 'error')
        return see_other('auth.code')
    flash(_('If we know you, a new code is on its way.'), 'info')
    # A deactivated account gets no more SMS, and is told no differently:
    # the challenge in the session stays the same for everyone.
    if row is None or not row.user.active:
        _as_if_sending()
        _remember_challenge(pending['challenge'])
        return see_other('auth.code')
    return _send_code(row.user, row.purpose, pending['challenge'])


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
