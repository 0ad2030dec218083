"""Staffing: substitutes (accounts with role substitute) with the units they
are trained at and their qualifications; a list with a search."""
from __future__ import annotations

from flask import Blueprint, abort, flash, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from peewee import IntegrityError, fn
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from blueprints.baseform import Form
from blueprints.forms import check_email, scoped_rows, strip
from blueprints.main import LANGUAGE_NAMES
from blueprints.pool.home import POOL_PANEL, org
from common.validators import is_mobile, normalise_phone
from extensions import LANGUAGES
from models import (AuditEvent, Qualification, SubstituteQualification, SubstituteUnit, Unit, User,
                    UserSession, Vacancy, db, text_contains)
from pool import staffing
from web import get_in_org, paginate, pool_staff, render, see_other

bp = Blueprint('pool_substitutes', __name__, url_prefix='/pool/substitutes')

MIN_PASSWORD = 12
PAGE_SIZE = 50


class SubstituteForm(Form):
    name = StringField(_l('Name'), filters=[strip], validators=[
        DataRequired(_l('Enter a name.')), Length(max=200)])
    username = StringField(_l('Username'), filters=[strip], validators=[
        DataRequired(_l('Enter a username.')), Length(max=64)],
        description=_l('What the substitute logs in with.'))
    phone = StringField(_l('Mobile number'), filters=[strip], validators=[
        DataRequired(_l('Enter a mobile number.')), Length(max=30)],
        description=_l('Requests, bookings and login codes go here by SMS.'))
    email = StringField(_l('Email'), filters=[strip], validators=[Optional(), Length(max=254)])
    language = SelectField(_l('Language of SMS and pages'), choices=[])
    units = SelectMultipleField(_l('Trained at'), choices=[], validate_choice=False)
    qualifications = SelectMultipleField(_l('Qualifications'), choices=[],
                                         validate_choice=False)
    active = BooleanField(_l('Active'), default=True,
                          description=_l('Inactive substitutes cannot log in and get no SMS.'))
    password = PasswordField(_l('Password'), [Optional(), Length(
        min=MIN_PASSWORD, max=200, message=_l('At least %(min)d characters.', min=MIN_PASSWORD))])

    def validate_phone(self, field):
        number = normalise_phone(field.data, org().country)
        if number is None or not is_mobile(number):
            raise ValidationError(_('Enter a valid mobile number, for example 070-123 45 67.'))
        field.data = number

    def validate_email(self, field):
        check_email(field)

    def validate_username(self, field):
        if any(c.isspace() for c in field.data):
            raise ValidationError(_('A username has no spaces.'))


def _choices(form):
    form.language.choices = [SelectChoice('', _('As the organisation'))] + [
        SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]
    form.units.choices = [(str(u.id), '\u2003' * depth + u.name) for u, depth in Unit.tree(org())]
    form.qualifications.choices = [
        (str(q.id), q.name) for q in Qualification.select()
        .where(Qualification.organisation == org()).order_by(Qualification.name)]


def _search(query: str):
    rows = User.select().where(User.organisation == org(), User.role == User.SUBSTITUTE)
    for word in query.split()[:5]:
        digits = ''.join(c for c in word if c.isdigit())
        match = (text_contains(User.name, word) | text_contains(User.username, word)
                 | text_contains(User.email, word))
        if len(digits) >= 3:
            match |= text_contains(User.phone, digits.lstrip('0'))
        rows = rows.where(match)
    return rows.order_by(User.active.desc(), User.name, User.id)


@bp.route('/')
@pool_staff
def index():
    query = request.args.get('q', '')[:100].strip()
    page = paginate(_search(query), PAGE_SIZE)
    _audit_read('substitutes_read', detail=f'{len(page.rows)} substitutes')
    units, quals = {}, {}
    ids = [u.id for u in page.rows]
    for link in SubstituteUnit.select(SubstituteUnit, Unit).join(Unit).where(
            SubstituteUnit.user.in_(ids)):
        units.setdefault(link.user_id, []).append(link.unit.name)
    for link in SubstituteQualification.select(SubstituteQualification, Qualification).join(
            Qualification).where(SubstituteQualification.user.in_(ids)):
        quals.setdefault(link.user_id, []).append(link.qualification.name)
    return render('pool/substitutes/index.html', {'substitute-list': 'list'}, panel=POOL_PANEL,
                  substitutes=page.rows, more=page.has_next, query=query,
                  units=units, quals=quals)


def _audit_read(action: str, obj=None, detail: str = '') -> None:
    AuditEvent.record(action, actor=current_user._get_current_object(), obj=obj,
                      detail=detail, ip=request.remote_addr or '')


def _save(form, user) -> bool:
    units = scoped_rows(Unit, form.units.data or [])      # not ours: 404
    quals = scoped_rows(Qualification, form.qualifications.data or [])
    valid = form.validate()
    if user.id is None and not form.password.data:
        form.password.errors.append(_('Set a first password and tell it to the substitute.'))
        valid = False
    if not valid:
        return False
    try:
        with db.atomic():
            user.organisation = org()
            user.role = User.SUBSTITUTE
            for name in ('name', 'username', 'phone'):
                setattr(user, name, getattr(form, name).data)
            user.email = form.email.data or None
            user.language = form.language.data or None
            deactivated = user.id is not None and user.active and not form.active.data
            user.active = form.active.data
            if form.password.data:
                user.set_password(form.password.data)
            user.save()
            SubstituteUnit.delete().where(SubstituteUnit.user == user).execute()
            SubstituteQualification.delete().where(SubstituteQualification.user == user).execute()
            for unit in {u.id: u for u in units}.values():
                SubstituteUnit.create(user=user, unit=unit)
            for qual in {q.id: q for q in quals}.values():
                SubstituteQualification.create(user=user, qualification=qual)
            if deactivated:   # logged out everywhere at once
                UserSession.delete().where(UserSession.user == user).execute()
            AuditEvent.record('substitute_saved', actor=current_user._get_current_object(),
                              obj=user, ip=request.remote_addr or '')
    except IntegrityError:
        taken = User.select().where(fn.LOWER(User.username) == form.username.data.lower(),
                                    User.id != (user.id or 0)).exists()
        if taken:
            form.username.errors.append(_('This username is taken. Choose another.'))
        else:
            form.email.errors.append(_('This email belongs to another account.'))
        return False
    return True


@bp.route('/new', methods=['GET', 'POST'])
@pool_staff
def create():
    user = User()
    form = SubstituteForm()
    _choices(form)
    if request.method == 'POST' and _save(form, user):
        flash(_('Substitute %(name)s created.', name=user.name), 'success')
        return see_other('.edit', user_id=user.id)
    return render('pool/substitutes/form.html', {'substitute-form': 'form'}, panel=POOL_PANEL,
                  form=form, user=user, title=_('New substitute'), shifts=[])


def _substitute(user_id) -> User:
    user = get_in_org(User, user_id)
    if user.role != User.SUBSTITUTE:
        abort(404)
    return user


@bp.route('/<int:user_id>', methods=['GET', 'POST'])
@pool_staff
def edit(user_id):
    user = _substitute(user_id)
    if request.method == 'POST':
        form = SubstituteForm()
        _choices(form)
        if _save(form, user):
            flash(_('Substitute %(name)s saved.', name=user.name), 'success')
            return see_other('.edit', user_id=user.id)
    else:
        form = SubstituteForm(obj=user)
        _choices(form)
        form.language.data = user.language or ''
        form.units.data = [str(link.unit_id) for link in user.unit_links]
        form.qualifications.data = [str(link.qualification_id)
                                    for link in user.qualification_links]
        _audit_read('substitute_read', user)
    shifts = list(Vacancy.select(Vacancy, Unit).join(Unit).where(
        Vacancy.substitute == user, Vacancy.status == Vacancy.BOOKED,
        Vacancy.ends_at > staffing.now()).order_by(Vacancy.starts_at).limit(20))
    return render('pool/substitutes/form.html', {'substitute-form': 'form'}, panel=POOL_PANEL,
                  form=form, user=user, title=user.name, shifts=shifts)
