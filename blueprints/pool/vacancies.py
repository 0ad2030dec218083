"""Staffing: vacancies. Register one, see who is eligible (and why the others
are not), book directly, send request waves with a deadline, work through
the call list, stop it."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from wtforms import (DateField, DateTimeLocalField, IntegerField, SelectField, SelectMultipleField,
                     TextAreaField, TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from blueprints.baseform import Form
from blueprints.forms import scoped_row, scoped_rows
from blueprints.pool.home import POOL_PANEL, VACANCY_STATUS, org
from models import (CallOutcome, PoolSettings, Qualification, ShiftRequest, Unit, User, Vacancy,
                    VacancyQualification)
from pool import staffing
from scheduling import staffing as core
from scheduling.localtime import naive_utc
from web import get_in_org, pool_staff, render, see_other

bp = Blueprint('pool_vacancies', __name__, url_prefix='/pool/vacancies')

PAGE_SIZE = 100
MAX_NOT_ELIGIBLE = 100   # shown with reasons under "Show everyone"
CALL_OUTCOMES = {CallOutcome.NO_ANSWER: _l('No answer'), CallOutcome.DECLINED: _l('Declined'),
                 CallOutcome.ACCEPTED: _l('Accepted: book')}


class VacancyForm(Form):
    unit = SelectField(_l('Unit'), choices=[], validate_choice=False,
                       validators=[DataRequired(_l('Choose a unit.'))])
    date = DateField(_l('Date'), validators=[DataRequired(_l('Enter the date.'))])
    start = TimeField(_l('Start'), validators=[DataRequired(_l('Enter the start.'))])
    end = TimeField(_l('End'), validators=[DataRequired(_l('Enter the end.'))],
                    description=_l('An end at or before the start is on the next day '
                                   '(a night shift).'))
    qualifications = SelectMultipleField(_l('Required qualifications'), choices=[],
                                         validate_choice=False)
    note = TextAreaField(_l('Note'), validators=[Length(max=2000)],
                         description=_l('For the staffing centre; not sent to substitutes.'))


class RequestsForm(Form):
    count = IntegerField(_l('Number of substitutes to ask'),
                         validators=[InputRequired(), NumberRange(1, 50)])
    deadline = DateTimeLocalField(_l('Answer by'), format='%Y-%m-%dT%H:%M',
                                  validators=[DataRequired(_l('Enter the deadline.'))])


def _unit_choices():
    return [('', _('Choose a unit'))] + [(str(u.id), '\u2003' * depth + u.name)
                                        for u, depth in Unit.tree(org())]


def _qualification_choices():
    return [(str(q.id), q.name) for q in Qualification.select()
            .where(Qualification.organisation == org()).order_by(Qualification.name)]


@bp.route('/')
@pool_staff
def index():
    at = staffing.now()
    staffing.expire(org(), at)
    status = request.args.get('status', '')
    past = request.args.get('when') == 'past'
    query = (Vacancy.select(Vacancy, Unit).join(Unit)
             .where(Vacancy.organisation == org()))
    if status in VACANCY_STATUS:
        query = query.where(Vacancy.status == status)
    else:
        status = ''
    if past:
        query = query.where(Vacancy.ends_at <= at).order_by(Vacancy.starts_at.desc())
    else:
        query = query.where(Vacancy.ends_at > at).order_by(Vacancy.starts_at, Vacancy.id)
    vacancies = list(query.limit(PAGE_SIZE))
    return render('pool/vacancies/index.html', {'vacancy-list': 'list'}, panel=POOL_PANEL,
                  vacancies=vacancies, status=status, past=past,
                  today=staffing.local_today(org(), at))


def _date_arg(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or '')
    except ValueError:
        return None


@bp.route('/new', methods=['GET', 'POST'])
@pool_staff
def create():
    form = VacancyForm()
    form.unit.choices = _unit_choices()
    form.qualifications.choices = _qualification_choices()
    if request.method == 'GET':   # prefilled from the board's empty cell
        form.unit.data = request.args.get('unit', form.unit.data)
        form.date.data = _date_arg(request.args.get('date')) or form.date.data
    if request.method == 'POST':
        # Another organisation's ids are a 404 before anything else.
        unit = scoped_row(Unit, request.form.get('unit', ''))
        quals = scoped_rows(Qualification, request.form.getlist('qualifications'))
    if form.validate_on_submit():
        try:
            vacancy = staffing.create_vacancy(
                org(), unit, form.date.data, form.start.data, form.end.data,
                {q.id: q for q in quals}.values(), form.note.data, by=current_user,
                at=staffing.now())
        except staffing.StaffingError as exc:
            form.date.errors = list(form.date.errors) + [exc.message]
        else:
            flash(_('Vacancy registered.'), 'success')
            return see_other('.show', vacancy_id=vacancy.id)
    return render('pool/vacancies/new.html', {'vacancy-form': 'form'}, panel=POOL_PANEL, form=form)


def _requests_form(vacancy, at):
    form = RequestsForm(formdata=None)
    form.count.data = PoolSettings.of(org()).requests_per_wave
    form.deadline.data = org().local(staffing.default_deadline(vacancy, at)).replace(tzinfo=None)
    return form


def _vacancy_page(vacancy, *, requests_form=None, everyone=None):
    at = staffing.now()
    staffing.expire(org(), at)
    vacancy = Vacancy.get_by_id(vacancy.id)
    everyone = request.args.get('all') == '1' if everyone is None else everyone
    fillable = vacancy.status in Vacancy.FILLABLE and vacancy.starts_at > at
    asked = {r.user_id for r in vacancy.requests}
    candidates = staffing.ranked(vacancy, at, everyone=everyone) if fillable else []
    hidden = 0
    if everyone:   # all the eligible, and the nearest misses of a large pool
        eligible_count = sum(c.assessment.eligible for c in candidates)
        hidden = max(len(candidates) - eligible_count - MAX_NOT_ELIGIBLE, 0)
        candidates = candidates[:len(candidates) - hidden]
    requests = list(ShiftRequest.select(ShiftRequest, User).join(User)
                    .where(ShiftRequest.vacancy == vacancy)
                    .order_by(ShiftRequest.wave, ShiftRequest.id))
    quals = [link.qualification.name for link in VacancyQualification.select(
        VacancyQualification, Qualification).join(Qualification).where(
        VacancyQualification.vacancy == vacancy)]
    local_start = org().local(vacancy.starts_at)
    return render(
        'pool/vacancies/show.html', {'eligible-list': 'eligible'}, panel=POOL_PANEL,
        vacancy=vacancy, mode=staffing.mode(vacancy, at), REQUEST=core.REQUEST,
        fillable=fillable, candidates=candidates,
        everyone=everyone, hidden=hidden, asked=asked, requests=requests, quals=quals,
        same_day=local_start.date() == staffing.local_today(org(), at),
        requests_form=requests_form or _requests_form(vacancy, at),
        reasons_text=staffing.reasons_text)


@bp.route('/<int:vacancy_id>')
@pool_staff
def show(vacancy_id):
    return _vacancy_page(get_in_org(Vacancy, vacancy_id))


def _substitute_from_form(field='user') -> User:
    value = request.form.get(field, '')
    if not value.isdigit():
        abort(404)
    user = get_in_org(User, int(value))       # another organisation's: 404
    if user.role != User.SUBSTITUTE:
        abort(404)
    return user


@bp.route('/<int:vacancy_id>/book', methods=['POST'])
@pool_staff
def book(vacancy_id):
    vacancy = get_in_org(Vacancy, vacancy_id)
    try:
        if request.form.get('user') == 'first':
            vacancy = staffing.book_first(vacancy, by=current_user, at=staffing.now())
        else:
            vacancy = staffing.book(vacancy, _substitute_from_form(), by=current_user,
                                    at=staffing.now())
    except staffing.StaffingError as exc:
        flash(exc.message, 'error')
    else:
        flash(_('%(name)s is booked and has been sent an SMS.', name=vacancy.substitute.name),
              'success')
    return see_other('.show', vacancy_id=vacancy.id)


@bp.route('/<int:vacancy_id>/requests', methods=['POST'])
@pool_staff
def send_requests(vacancy_id):
    vacancy = get_in_org(Vacancy, vacancy_id)
    form = RequestsForm()
    if form.validate_on_submit():
        deadline = naive_utc(form.deadline.data.replace(tzinfo=org().zone))
        try:
            sent = staffing.send_requests(vacancy, form.count.data, deadline,
                                          by=current_user, at=staffing.now())
        except staffing.StaffingError as exc:
            form.deadline.errors = list(form.deadline.errors) + [exc.message]
        else:
            flash(_('Requests sent to %(names)s.', names=', '.join(r.user.name for r in sent)),
                  'success')
            return see_other('.show', vacancy_id=vacancy.id)
    return _vacancy_page(vacancy, requests_form=form)


@bp.route('/<int:vacancy_id>/calls', methods=['GET', 'POST'])
@pool_staff
def calls(vacancy_id):
    """The call list: eligible substitutes with their numbers; the planner
    records what each call gave."""
    vacancy = get_in_org(Vacancy, vacancy_id)
    at = staffing.now()
    if request.method == 'POST':
        user = _substitute_from_form()
        outcome = request.form.get('outcome', '')
        if outcome not in CALL_OUTCOMES:
            abort(400)
        try:
            staffing.record_call(vacancy, user, outcome, by=current_user, at=at)
        except staffing.StaffingError as exc:
            flash(exc.message, 'error')
        else:
            flash(_('%(name)s is booked and has been sent an SMS.', name=user.name)
                  if outcome == CallOutcome.ACCEPTED else
                  _('Call to %(name)s noted.', name=user.name), 'success')
        return see_other('.calls', vacancy_id=vacancy.id)
    staffing.expire(org(), at)
    vacancy = Vacancy.get_by_id(vacancy.id)
    fillable = vacancy.status in Vacancy.FILLABLE and vacancy.starts_at > at
    candidates = staffing.ranked(vacancy, at) if fillable else []
    outcomes: dict[int, list] = {}
    for row in (CallOutcome.select().where(CallOutcome.vacancy == vacancy)
                .order_by(CallOutcome.at)):
        outcomes.setdefault(row.user_id, []).append(row)
    return render('pool/vacancies/calls.html', {'call-list': 'list'}, panel=POOL_PANEL,
                  vacancy=vacancy, candidates=candidates, outcomes=outcomes, fillable=fillable,
                  call_outcomes=CALL_OUTCOMES)


@bp.route('/<int:vacancy_id>/stop', methods=['GET', 'POST'])
@pool_staff
def stop(vacancy_id):
    vacancy = get_in_org(Vacancy, vacancy_id)
    if request.method == 'POST':
        try:
            staffing.stop(vacancy, by=current_user, at=staffing.now())
        except staffing.StaffingError as exc:
            flash(exc.message, 'error')
        else:
            flash(_('The vacancy is stopped. Everyone concerned has been sent an SMS.'),
                  'success')
        return see_other('.show', vacancy_id=vacancy.id)
    waiting = vacancy.requests.where(ShiftRequest.status == ShiftRequest.OPEN).count()
    return render('pool/vacancies/stop.html', panel=POOL_PANEL, vacancy=vacancy, waiting=waiting)
