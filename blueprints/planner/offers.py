"""Online offers (online tilbud) for planners: a three-step wizard (details,
target group and booking, receipt), each step a real URL; the overview with
free and booked times per caseworker and week, the booked citizens and the
matching citizens who have not booked.

An offer is saved as a draft after step 1 and gets the organisation's next
offer number when step 2 completes it. Editing an offer never touches the
meetings already booked: each keeps the permissions it was booked under;
only the end date bounds their rebooking (it is read live).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flask import Blueprint, abort, flash, g, render_template, request
from flask_babel import format_date, gettext as _, lazy_gettext as _l
from flask_login import current_user
from peewee import IntegrityError, fn
from wtforms import (BooleanField, DateField, IntegerField, RadioField, SelectField,
                     SelectMultipleField, StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints.baseform import Form
from common.validators import normalise_cpr
from models import (AuditEvent, Caseworker, CaseworkerTeam, CitizenProfile, Meeting,
                    MeetingParticipant, MeetingType, OfferCaseworker, OnlineOffer, Organisation,
                    SummonsTemplate, Team, TypeVariant, TypeVariantMeetingType, TypeVariantTeam,
                    User, db, mask_cpr, text_contains, utcnow)
from planner import booking
from planner.loading import citizen_facts, free_starts, offer_caseworkers, utc_window
from scheduling import rules
from scheduling.rules import (AGE, CONTACT_GROUP, CONTACT_GROUPS, MARKING, ONE_OF, Rule, RuleGroup,
                              RuleSet)
from web import get_in_org, job_centre_planners, render, see_other

bp = Blueprint('offers', __name__, url_prefix='/offers')

JOBSAMTALE = 'jobsamtale'     # online offers are job interviews, individual, in person
OVERVIEW_WEEKS = 6
LIST_LIMIT = 100


# --- labels -------------------------------------------------------------------

RULE_TYPE_LABELS = {AGE: _l('Age'), CONTACT_GROUP: _l('Contact group'),
                    MARKING: _l('Person-group marking')}
CONDITION_LABELS = {rules.EQ: _l('= equal to'), rules.NE: _l('≠ not equal to'),
                    rules.GE: _l('≥ at least'), rules.LE: _l('≤ at most'),
                    rules.ONE_OF: _l('one of')}
CONDITION_WORDS = {rules.EQ: _l('is'), rules.NE: _l('is not'), rules.GE: _l('is at least'),
                   rules.LE: _l('is at most'), rules.ONE_OF: _l('is one of')}
JOIN_LABELS = {rules.ALL: _l('All'), rules.ANY: _l('Any')}
CONTACT_GROUP_LABELS = {
    'dagpenge': _l('Unemployment benefit (dagpenge)'),
    'kontanthjaelp': _l('Social assistance (kontanthjælp)'),
    'arbejdsmarkedsydelse': _l('Labour market benefit (arbejdsmarkedsydelse)'),
    'uddannelseshjaelp': _l('Education benefit (uddannelseshjælp)'),
    'sygedagpenge': _l('Sickness benefit (sygedagpenge)'),
}
MODEL_LABELS = {
    OnlineOffer.TEAM_MODEL: _l('Team model: the citizen may choose any of the caseworkers, '
                               'or the first free'),
    OnlineOffer.TRUST_MODEL: _l('Trust model: the citizen chooses their own caseworker by '
                                'name'),
    OnlineOffer.CONTROL_MODEL: _l('Control model: the citizen sees only the caseworker '
                                  'assigned to them'),
}
MODEL_SHORT = {OnlineOffer.TEAM_MODEL: _l('Team model'), OnlineOffer.TRUST_MODEL: _l('Trust model'),
               OnlineOffer.CONTROL_MODEL: _l('Control model')}
PROBLEM_TEXTS = {
    rules.NO_RULES: _l('Add at least one rule.'),
    rules.EMPTY_GROUP: _l('A group needs at least one rule.'),
    rules.TOO_MANY: _l('Too many rules or groups.'),
    rules.BAD_JOIN: _l('Choose All or Any.'),
    rules.UNKNOWN_TYPE: _l('Choose a rule type.'),
    rules.CONDITION_NOT_ALLOWED: _l('This condition does not fit the rule type.'),
    rules.NO_VALUE: _l('Enter or choose a criterion.'),
    rules.ONE_VALUE_ONLY: _l('Choose one criterion, or use the condition "one of".'),
    rules.AGE_NOT_A_NUMBER: _l('Enter ages as whole numbers.'),
    rules.AGE_OUT_OF_RANGE: _l('Enter ages from 0 to 130.'),
    rules.UNKNOWN_CONTACT_GROUP: _l('Choose contact groups from the list.'),
    rules.VALUE_TOO_LONG: _l('The criterion is too long.'),
}


def _value_label(rule_type: str, value: str) -> str:
    if rule_type == CONTACT_GROUP:
        return str(CONTACT_GROUP_LABELS.get(value, value))
    return value


def describe_rules(rule_set: RuleSet) -> tuple[str, list[tuple[str, list[str]]]]:
    """(groups joined by, [(rules joined by, ['Age ≥ at least 30', ...])])."""
    groups = []
    for group in rule_set.groups:
        lines = []
        for rule in group.rules:
            values = ', '.join(_value_label(rule.type, v) for v in rule.values)
            lines.append(f'{RULE_TYPE_LABELS.get(rule.type, rule.type)} '
                         f'{CONDITION_WORDS.get(rule.condition, rule.condition)} {values}')
        groups.append((str(JOIN_LABELS.get(group.join, group.join)), lines))
    return str(JOIN_LABELS.get(rule_set.join, rule_set.join)), groups


# --- shared helpers -------------------------------------------------------------

@bp.context_processor
def _helpers():
    return {'format_date': format_date}


def _org():
    return current_user.organisation


def _today() -> dt.date:
    return booking.local_today(_org(), dt.datetime.now(dt.timezone.utc))


def _jobsamtale() -> MeetingType:
    return MeetingType.get(MeetingType.code == JOBSAMTALE)


# --- step 1: the meeting ---------------------------------------------------------

class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DetailsForm(Form):
    team = SelectField(_l('Team'), coerce=int, validators=[DataRequired()],
                       invalid_choice_message=_l('Choose a team.'),
                       invalid_value_message=_l('Choose a team.'))
    variant = SelectField(_l('Meeting type variant'), coerce=int, validators=[Optional()],
                          description=_l('Keeps target groups apart when citizens rebook.'),
                          invalid_choice_message=_l('Choose a variant from the list.'),
                          invalid_value_message=_l('Choose a variant from the list.'))
    caseworkers = MultiCheckboxField(
        _l('Caseworkers'), coerce=int,
        invalid_choice_message=_l('Choose at least one caseworker of the team.'),
        invalid_value_message=_l('Choose at least one caseworker of the team.'))
    model = RadioField(_l('Organisation model'), default=OnlineOffer.TEAM_MODEL, choices=[
        SelectChoice(key, label) for key, label in MODEL_LABELS.items()])
    duration = IntegerField(_l('Duration (minutes)'), default=45,
                            validators=[InputRequired(), NumberRange(5, 480)])
    reporting = IntegerField(_l('Reporting time after the meeting (minutes)'), default=0,
                             validators=[Optional(), NumberRange(0, 120)])
    note = TextAreaField(_l('Note to the caseworker (optional)'),
                         validators=[Length(max=2000)])

    def validate_duration(self, field):
        if field.data and field.data % 5:
            from wtforms.validators import ValidationError
            raise ValidationError(_('Use whole 5-minute steps.'))


def _details_choices(form: DetailsForm) -> None:
    org = current_user.organisation_id
    teams = list(Team.select().where(Team.organisation == org).order_by(Team.name))
    form.team.choices = [SelectChoice(0, _('Choose a team'))] + [
        SelectChoice(t.id, t.name) for t in teams]
    form.variant.choices = [SelectChoice(0, _('No variant'))] + [
        SelectChoice(v.id, v.name) for v in
        TypeVariant.select().where(TypeVariant.organisation == org).order_by(TypeVariant.name)]
    team_id = form.team.data if form.team.data in {t.id for t in teams} else None
    members = []
    if team_id:
        members = list(Caseworker.select(Caseworker, User).join(User)
                       .switch(Caseworker).join(CaseworkerTeam)
                       .where(CaseworkerTeam.team == team_id, Caseworker.organisation == org)
                       .order_by(User.name))
    form.caseworkers.choices = [SelectChoice(c.id, c.user.name) for c in members]
    form.team_chosen = bool(team_id)


def _check_details(form: DetailsForm) -> bool:
    valid = form.validate()
    if not form.team.data or form.team.data not in {c.value for c in form.team.choices}:
        if not form.team.errors:
            form.team.errors = [_('Choose a team.')]
        valid = False
    if not form.caseworkers.data and not form.caseworkers.errors:
        form.caseworkers.errors = list(form.caseworkers.errors) + [
            _('Choose at least one caseworker of the team.')]
        valid = False
    if form.variant.data and not form.variant.errors:   # not one of the list: said already
        linked = (TypeVariant.select().join(TypeVariantTeam).switch(TypeVariant)
                  .join(TypeVariantMeetingType)
                  .where(TypeVariant.id == form.variant.data,
                         TypeVariant.organisation == current_user.organisation_id,
                         TypeVariantTeam.team == form.team.data,
                         TypeVariantMeetingType.meeting_type == _jobsamtale()).exists())
        if not linked:
            form.variant.errors = list(form.variant.errors) + [
                _('This variant is not set up for the team and job interviews.')]
            valid = False
    return valid


def _save_details(form: DetailsForm, offer: OnlineOffer) -> OnlineOffer:
    with db.atomic():
        offer.organisation = current_user.organisation_id
        offer.team = form.team.data
        offer.meeting_type = _jobsamtale()
        offer.variant = form.variant.data or None
        offer.model = form.model.data
        offer.duration_minutes = form.duration.data
        offer.reporting_minutes = form.reporting.data or 0
        offer.note = form.note.data or ''
        offer.updated_at = utcnow()
        if offer.id is None:
            offer.created_by = current_user.id
        offer.save()
        OfferCaseworker.delete().where(OfferCaseworker.offer == offer).execute()
        OfferCaseworker.insert_many([{'offer': offer.id, 'caseworker': cid}
                                     for cid in form.caseworkers.data]).execute()
    return offer


def _details_page(form, offer, template=None):
    return render('offers/step1.html', {'wizard': 'wizard', 'caseworkers-field': 'caseworkers'},
                  form=form, offer=offer, template=template, kind=_jobsamtale())


def _wants_refresh() -> bool:
    """A post that only redraws the form (the team changed): nothing saved."""
    return request.form.get('action') == 'refresh'


@bp.route('/new', methods=['GET', 'POST'])
@job_centre_planners
def new():
    org = current_user.organisation_id
    templates = list(SummonsTemplate.select().where(
        SummonsTemplate.organisation == org,
        SummonsTemplate.for_online_offer == True)  # noqa: E712
        .order_by(SummonsTemplate.name))
    template = None
    template_id = request.values.get('template', type=int)
    if template_id:
        template = next((t for t in templates if t.id == template_id), None)
        if template is None:
            abort(404)
    form = DetailsForm()
    if request.method == 'GET' and template is not None:
        preset = template.preset
        if isinstance(preset.get('team'), int):
            form.team.data = preset['team']
        if isinstance(preset.get('variant'), int):
            form.variant.data = preset['variant']
        if isinstance(preset.get('duration_minutes'), int):
            form.duration.data = preset['duration_minutes']
        if isinstance(preset.get('reporting_minutes'), int):
            form.reporting.data = preset['reporting_minutes']
        form.note.data = preset.get('note') or ''
    _details_choices(form)
    if request.method == 'POST' and not _wants_refresh() and _check_details(form):
        offer = OnlineOffer(organisation=org, title='')
        if template is not None:
            preset = template.preset
            if 'rebooking_allowed' in preset:
                offer.allow_rebook = bool(preset['rebooking_allowed'])
            if isinstance(preset.get('rebooking_days_before'), int):
                offer.rebook_days_before = preset['rebooking_days_before']
        _save_details(form, offer)
        return see_other('offers.step2', offer_id=offer.id)
    if request.method == 'GET' and template is None and templates \
            and request.args.get('blank') != '1':
        return render_template('offers/new.html', templates=templates)
    return _details_page(form, None, template)


@bp.route('/<int:offer_id>/step/1', methods=['GET', 'POST'])
@job_centre_planners
def step1(offer_id):
    offer = get_in_org(OnlineOffer, offer_id)
    form = DetailsForm()
    if request.method == 'GET':
        form.team.data = offer.team_id
        form.variant.data = offer.variant_id or 0
        form.caseworkers.data = [link.caseworker_id for link in offer.caseworker_links]
        form.model.data = offer.model
        form.duration.data = offer.duration_minutes
        form.reporting.data = offer.reporting_minutes
        form.note.data = offer.note
    _details_choices(form)
    if request.method == 'POST' and not _wants_refresh() and _check_details(form):
        _save_details(form, offer)
        return see_other('offers.step2', offer_id=offer.id)
    return _details_page(form, offer)


# --- step 2: citizens see it, booking rules, target group ------------------------

class BookingForm(Form):
    title = StringField(_l('Title (shown to citizens)'),
                        validators=[DataRequired(), Length(max=200)])
    active = BooleanField(_l('Active: citizens can see and book the offer'))
    description = TextAreaField(
        _l('Description for citizens'), validators=[Length(max=4000)],
        description=_l('For example who the meeting is for, or "born on day 1 to 15 of the '
                       'month: book with Hedi".'))
    show_caseworker = BooleanField(_l("Show the caseworker's name to citizens"))
    bookable_from = DateField(_l('First date the offer can be booked'),
                              validators=[InputRequired()])
    earliest_meeting = DateField(_l('Earliest meeting date'), validators=[InputRequired()])
    end_date = DateField(_l('End date'), validators=[InputRequired()],
                         description=_l('The last date citizens see the offer and the last '
                                        'date with meetings (citizens can book on it).'))
    allow_cancel = BooleanField(_l('Citizens may cancel'))
    allow_rebook = BooleanField(_l('Citizens may rebook'))
    rebook_days_before = IntegerField(_l('Rebooking allowed until this many days before the '
                                         'meeting'), default=1,
                                      validators=[InputRequired(), NumberRange(0, 60)])

    def validate_end_date(self, field):
        from wtforms.validators import ValidationError
        if not field.data:
            return
        if self.earliest_meeting.data and field.data < self.earliest_meeting.data:
            raise ValidationError(_('The end date must not be before the earliest meeting '
                                    'date.'))
        if self.bookable_from.data and field.data < self.bookable_from.data:
            raise ValidationError(_('The end date must not be before the first date the '
                                    'offer can be booked.'))


def _posted_rules(form_data) -> RuleSet:
    """The rule editor's fields as a RuleSet (raw strings: validate it)."""
    groups = []
    for g_index in range(rules.MAX_GROUPS + 1):
        if f'rules-{g_index}-join' not in form_data:
            break
        group_rules = []
        for r_index in range(rules.MAX_RULES_PER_GROUP + 1):
            prefix = f'rules-{g_index}-{r_index}'
            if f'{prefix}-type' not in form_data:
                break
            kind = form_data.get(f'{prefix}-type', '')
            condition = form_data.get(f'{prefix}-condition', '')
            values = [v for v in form_data.getlist(f'{prefix}-value') if v.strip()]
            if kind == AGE and condition == ONE_OF:
                values = [v for text in values for v in text.replace(';', ',').split(',')
                          if v.strip()]
            elif condition != ONE_OF:
                values = values[:1]
            group_rules.append(Rule(kind, condition, tuple(values)))
        groups.append(RuleGroup(form_data.get(f'rules-{g_index}-join', rules.ALL),
                                tuple(group_rules)))
    return RuleSet(form_data.get('rules-join', rules.ALL), tuple(groups))


def _edit_rules(rule_set: RuleSet, action: str) -> RuleSet:
    """Add or remove a rule or a group (the editor's buttons)."""
    groups = [list(g.rules) for g in rule_set.groups]
    joins = [g.join for g in rule_set.groups]
    kind, _sep, where = action.partition(':')
    parts = [int(p) for p in where.split(':') if p.isascii() and p.isdigit()]
    blank = Rule(CONTACT_GROUP, rules.EQ, ())
    if kind == 'add_group' and len(groups) < rules.MAX_GROUPS:
        groups.append([blank])
        joins.append(rules.ALL)
    elif kind == 'add' and parts and parts[0] < len(groups) \
            and len(groups[parts[0]]) < rules.MAX_RULES_PER_GROUP:
        groups[parts[0]].append(blank)
    elif kind == 'remove' and len(parts) == 2 and parts[0] < len(groups) \
            and parts[1] < len(groups[parts[0]]):
        del groups[parts[0]][parts[1]]
    elif kind == 'remove_group' and parts and parts[0] < len(groups):
        del groups[parts[0]]
        del joins[parts[0]]
    return RuleSet(rule_set.join, tuple(RuleGroup(j, tuple(r)) for j, r in zip(joins, groups)))


def _known_markings() -> list[str]:
    found = set()
    for (text,) in (CitizenProfile.select(CitizenProfile.markings)
                    .where(CitizenProfile.organisation == current_user.organisation_id,
                           CitizenProfile.markings != '').distinct().tuples()):
        found |= rules.parse_markings(text)
    return sorted(found, key=str.lower)


def _match_count(rule_set: RuleSet) -> int | None:
    """Citizens of the organisation the rules select today (None: invalid)."""
    if rules.validate(rule_set):
        return None
    return len(rules.matching(rule_set, citizen_facts(_org()), _today()))


def _rules_context(rule_set: RuleSet, problems, *, show_problems: bool) -> dict:
    by_rule = defaultdict(list)
    for p in problems:
        by_rule[(p.group, p.rule)].append(str(PROBLEM_TEXTS.get(p.code, p.code)))
    markings = _known_markings()
    for group in rule_set.groups:
        for rule in group.rules:
            if rule.type == MARKING:
                markings += [v for v in rule.values if v not in markings]
    return dict(rule_set=rule_set, rule_problems=by_rule if show_problems else {},
                match_count=_match_count(rule_set), marking_options=[(m, m) for m in markings],
                rule_types=RULE_TYPE_LABELS, conditions=CONDITION_LABELS,
                conditions_by_type=rules.CONDITIONS_BY_TYPE, joins=JOIN_LABELS,
                contact_groups=[(key, CONTACT_GROUP_LABELS[key]) for key in CONTACT_GROUPS])


def _step2_page(form, offer, rule_set, problems, *, show_problems):
    return render('offers/step2.html', {'wizard': 'wizard', 'rules': 'rules'},
                  form=form, offer=offer,
                  **_rules_context(rule_set, problems, show_problems=show_problems))


@bp.route('/<int:offer_id>/step/2', methods=['GET', 'POST'])
@job_centre_planners
def step2(offer_id):
    offer = get_in_org(OnlineOffer, offer_id)
    form = BookingForm(obj=None)
    if request.method == 'GET':
        today = _today()
        form.title.data = offer.title
        form.active.data = offer.active if not offer.is_draft else True
        form.description.data = offer.description
        form.show_caseworker.data = offer.show_caseworker
        form.bookable_from.data = offer.bookable_from or today
        form.earliest_meeting.data = offer.earliest_meeting or today + dt.timedelta(days=1)
        form.end_date.data = offer.end_date or today + dt.timedelta(weeks=4)
        form.allow_cancel.data = offer.allow_cancel
        form.allow_rebook.data = offer.allow_rebook
        form.rebook_days_before.data = offer.rebook_days_before
        rule_set = booking.offer_rules(offer)
        if not rule_set.groups:
            rule_set = RuleSet(rules.ALL, (RuleGroup(rules.ALL, (
                Rule(CONTACT_GROUP, rules.EQ, ()),)),))
        return _step2_page(form, offer, rule_set, [], show_problems=False)

    rule_set = _posted_rules(request.form)
    # The editor's own requests (a button, or a change while htmx is on) redraw it.
    action = request.form.get('rules_action') or (
        'refresh' if request.htmx.target == 'rules' else '')
    if action:
        # Only the editor changed (a rule added, a type chosen): redraw, save nothing.
        if action != 'refresh':
            rule_set = _edit_rules(rule_set, action)
        problems = rules.validate(rule_set)
        return _step2_page(form, offer, rule_set, problems, show_problems=False)
    problems = rules.validate(rule_set)
    valid = form.validate()
    if offer.is_draft and form.end_date.data and form.end_date.data < _today():
        form.end_date.errors = list(form.end_date.errors) + [_('The end date has passed.')]
        valid = False
    if not valid or problems:
        if problems:
            flash(_('Check the target-group rules.'), 'error')
        return _step2_page(form, offer, rule_set, problems, show_problems=True)
    _complete(offer, form, rules.normalised(rule_set))
    return see_other('offers.step3', offer_id=offer.id)


def _complete(offer: OnlineOffer, form: BookingForm, rule_set: RuleSet) -> None:
    """Save step 2; a draft gets the next offer number of the organisation."""
    for attempt in range(3):
        try:
            with db.atomic():
                if offer.is_draft:
                    if db.obj.for_update:   # PostgreSQL: one numbering at a time
                        (Organisation.select(Organisation.id)
                         .where(Organisation.id == offer.organisation_id)
                         .for_update().execute())
                    last = (OnlineOffer.select(fn.MAX(OnlineOffer.number))
                            .where(OnlineOffer.organisation == offer.organisation_id).scalar())
                    offer.number = (last or 0) + 1
                offer.title = form.title.data.strip()
                offer.active = bool(form.active.data)
                offer.description = (form.description.data or '').strip()
                offer.show_caseworker = bool(form.show_caseworker.data)
                offer.bookable_from = form.bookable_from.data
                offer.earliest_meeting = form.earliest_meeting.data
                offer.end_date = form.end_date.data
                offer.allow_cancel = bool(form.allow_cancel.data)
                offer.allow_rebook = bool(form.allow_rebook.data)
                offer.rebook_days_before = form.rebook_days_before.data
                offer.rules = rule_set.to_json()
                offer.updated_at = utcnow()
                offer.save()
            return
        except IntegrityError:    # the number was taken meanwhile (unique index)
            offer.number = None
            if attempt == 2:
                raise


# --- step 3: receipt ------------------------------------------------------------

def _offer_facts(offer: OnlineOffer) -> dict:
    caseworkers = offer_caseworkers([offer.id]).get(offer.id, [])
    join, groups = describe_rules(booking.offer_rules(offer))
    return dict(caseworkers=caseworkers, rules_join=join, rule_groups=groups,
                model_label=MODEL_LABELS.get(offer.model, offer.model), kind=offer.meeting_type)


@bp.route('/<int:offer_id>/step/3')
@job_centre_planners
def step3(offer_id):
    offer = get_in_org(OnlineOffer, offer_id)
    if offer.is_draft:
        return see_other('offers.step2', offer_id=offer.id)
    return render('offers/step3.html', {'wizard': 'wizard'}, offer=offer, **_offer_facts(offer))


# --- overview -------------------------------------------------------------------

def _offer_list():
    q = (request.args.get('q') or '').strip()[:100]
    state = request.args.get('state', '')
    query = (OnlineOffer.select(OnlineOffer, Team).join(Team)
             .where(OnlineOffer.organisation == current_user.organisation_id))
    if q:
        condition = text_contains(OnlineOffer.title, q)
        if q.isascii() and q.isdigit() and len(q) < 10:
            condition |= OnlineOffer.number == int(q)
        query = query.where(condition)
    if state == 'active':
        query = query.where(OnlineOffer.active == True,  # noqa: E712
                            OnlineOffer.number.is_null(False))
    elif state == 'inactive':
        query = query.where(OnlineOffer.active == False,  # noqa: E712
                            OnlineOffer.number.is_null(False))
    elif state == 'draft':
        query = query.where(OnlineOffer.number.is_null())
    else:
        state = ''
    offers = list(query.order_by(OnlineOffer.number.desc(nulls='first'), OnlineOffer.id.desc())
                  .limit(LIST_LIMIT))
    return dict(offers=offers, q=q, state=state)


@bp.route('/')
@job_centre_planners
def index():
    return render('offers/index.html', {'offer-list': 'list'}, selected=None,
                  **_offer_list())


def _week_table(offer: OnlineOffer, caseworkers, start_monday: dt.date | None):
    """Per caseworker and week: meetings that still fit (free) and meetings
    booked through the offer; with totals."""
    org = _org()
    now = dt.datetime.now(dt.timezone.utc)
    today = booking.local_today(org, now)
    period = booking.offer_period(offer)
    if period is None or not caseworkers:
        return None
    # Weeks from today (or the earliest meeting date); an offer that has ended
    # shows its own weeks (bookings only).
    first = max(period.earliest_meeting, today) if period.end >= today \
        else period.earliest_meeting
    first_monday = rules.monday_of(first)
    last_monday = rules.monday_of(period.end)
    monday = start_monday if start_monday and first_monday <= start_monday <= last_monday \
        else first_monday
    weeks = []
    while monday <= last_monday and len(weeks) < OVERVIEW_WEEKS:
        weeks.append(monday)
        monday += dt.timedelta(days=7)
    if not weeks:
        return None
    free = _free_per_week(offer, caseworkers, weeks, period, today, now)
    booked = _booked_per_week(offer, weeks)
    rows = []
    for cw in caseworkers:
        cells = [(free[(cw.id, w)], booked[(cw.id, w)]) for w in weeks]
        rows.append(dict(caseworker=cw, cells=cells, free=sum(c[0] for c in cells),
                         booked=sum(c[1] for c in cells)))
    totals = [(sum(r['cells'][i][0] for r in rows), sum(r['cells'][i][1] for r in rows))
              for i in range(len(weeks))]
    prev_monday = weeks[0] - dt.timedelta(days=7 * OVERVIEW_WEEKS)
    next_monday = weeks[-1] + dt.timedelta(days=7)
    return dict(weeks=[(w, w.isocalendar()[1]) for w in weeks], rows=rows, totals=totals,
                free=sum(t[0] for t in totals), booked=sum(t[1] for t in totals),
                prev=max(prev_monday, first_monday).isoformat() if weeks[0] > first_monday
                else None,
                next=next_monday.isoformat() if next_monday <= last_monday else None)


def _free_per_week(offer, caseworkers, weeks, period, today, now) -> defaultdict:
    """{(caseworker id, Monday): how many more meetings of the offer fit},
    from today on, within the offer's period."""
    org = _org()
    window_first = max(weeks[0], period.earliest_meeting)
    window_last = min(weeks[-1] + dt.timedelta(days=6), period.end)
    free = defaultdict(int)
    if not (window_first <= window_last and window_last >= today):
        return free
    starts, calendar, inputs = free_starts(
        org, offer.team, caseworkers, max(window_first, today), window_last, now=now,
        duration_minutes=offer.duration_minutes, reporting_minutes=offer.reporting_minutes)
    block = offer.duration_minutes + offer.reporting_minutes
    by_id = {i.caseworker_id: i for i in inputs}
    percent = {c.id: c.max_share for c in caseworkers}
    for cid, found in starts.items():
        days_view = calendar.caseworker_days(by_id[cid])
        per_day = defaultdict(list)
        for s in found:
            index = calendar.day_index(int(s.timestamp()) // 60)
            per_day[index].append(int(s.timestamp()) // 60)
        for index, minutes in per_day.items():
            _planned, bookable = days_view.plan(index)
            count = rules.day_capacity(
                minutes, block_minutes=block, duration_minutes=offer.duration_minutes,
                booked_minutes=days_view.booked_minutes(index), bookable_minutes=bookable,
                share_percent=percent[cid])
            free[(cid, rules.monday_of(calendar.days[index].day))] += count
    return free


def _booked_per_week(offer, weeks) -> defaultdict:
    """{(caseworker id, Monday): meetings booked through the offer}."""
    org = _org()
    booked = defaultdict(int)
    start_utc, end_utc = utc_window(org, weeks[0], weeks[-1] + dt.timedelta(days=6))
    for cid, starts_at in (Meeting.select(Meeting.caseworker, Meeting.starts_at)
                           .where(Meeting.offer == offer, Meeting.status == Meeting.BOOKED,
                                  Meeting.starts_at >= start_utc, Meeting.starts_at < end_utc)
                           .tuples()):
        booked[(cid, rules.monday_of(org.local(starts_at).date()))] += 1
    return booked


def _citizen_search(text: str):
    """(name part, CPR digits) from one search box; CPR when it parses."""
    text = (text or '').strip()[:60]
    cpr = normalise_cpr(text) if any(c.isdigit() for c in text) else None
    return text, cpr


def _citizen_lists(offer: OnlineOffer, search: str = ''):
    """Booked citizens of the offer and matching citizens who have not booked."""
    text, cpr = _citizen_search(search)

    def wanted(name: str, number: str | None) -> bool:
        if not text:
            return True
        if cpr:
            return number == cpr
        digits = ''.join(c for c in text if c.isdigit())
        if digits and len(digits) == len(text.replace('-', '').replace(' ', '')):
            return bool(number) and number.startswith(digits)
        return text.lower() in name.lower()

    org = _org()
    booked_rows = []
    booked_ids = set()
    for meeting_id, starts_at, status, user_id, name, number, caseworker_id in (
            Meeting.select(Meeting.id, Meeting.starts_at, Meeting.status, User.id, User.name,
                           User.cpr, Meeting.caseworker)
            .join(MeetingParticipant).join(User)
            .where(Meeting.offer == offer, Meeting.status != Meeting.CANCELLED,
                   MeetingParticipant.status == MeetingParticipant.BOOKED)
            .order_by(Meeting.starts_at).tuples()):
        booked_ids.add(user_id)
        if wanted(name, number):
            booked_rows.append(dict(name=name, cpr=mask_cpr(number), meeting_id=meeting_id,
                                    when=org.local(starts_at), caseworker_id=caseworker_id,
                                    status=status))
    names = {c.id: c.name for c in offer_caseworkers([offer.id]).get(offer.id, [])}
    for row in booked_rows:
        row['caseworker'] = names.get(row.pop('caseworker_id'), '')
    matching_ids = set(rules.matching(booking.offer_rules(offer), citizen_facts(org), _today()))
    waiting_ids = matching_ids - booked_ids
    waiting = []
    if waiting_ids:
        for user_id, name, number in (User.select(User.id, User.name, User.cpr)
                                      .where(User.id.in_(list(waiting_ids)))
                                      .order_by(User.name).tuples()):
            if wanted(name, number):
                waiting.append(dict(name=name, cpr=mask_cpr(number)))
    return dict(booked_citizens=booked_rows[:LIST_LIMIT], booked_total=len(booked_ids),
                waiting=waiting[:LIST_LIMIT], waiting_total=len(waiting_ids),
                waiting_shown=len(waiting), booked_shown=len(booked_rows),
                search=text, limit=LIST_LIMIT)


@bp.route('/<int:offer_id>', methods=['GET', 'POST'])
@job_centre_planners
def show(offer_id):
    """The overview with one offer open. A citizen search is a POST (a CPR
    number never goes into a URL); it reads and changes nothing else."""
    offer = get_in_org(OnlineOffer, offer_id)
    g.personal_data = True
    search = request.form.get('citizen', '') if request.method == 'POST' else ''
    lists = _citizen_lists(offer, search)
    AuditEvent.record('offer_citizens_read', actor=current_user._get_current_object(), obj=offer,
                      detail='search' if search else 'list', ip=request.remote_addr or '')
    start = request.args.get('from')
    try:
        start_monday = rules.monday_of(dt.date.fromisoformat(start)) if start else None
    except ValueError:
        start_monday = None
    facts = _offer_facts(offer)
    table = _week_table(offer, facts['caseworkers'], start_monday)
    return render('offers/index.html', {'offer-list': 'list', 'offer-detail': 'detail',
                                        'offer-citizens': 'citizens', 'offer-weeks': 'weeks'},
                  selected=offer, table=table, **facts, **lists, **_offer_list())


# --- the rights-and-duties text -------------------------------------------------

class RightsForm(Form):
    text = TextAreaField(_l('Rights and duties'), validators=[Length(max=8000)],
                         description=_l('Citizens read this in full and confirm it before '
                                        'they book. Leave it empty to use the general text.'))


@bp.route('/rights', methods=['GET', 'POST'])
@job_centre_planners
def rights():
    org = _org()
    form = RightsForm()
    if request.method == 'GET':
        form.text.data = org.rights_and_duties
    if form.validate_on_submit():
        Organisation.update(rights_and_duties=(form.text.data or '').strip()).where(
            Organisation.id == org.id).execute()
        AuditEvent.record('rights_text_changed', actor=current_user._get_current_object(),
                          ip=request.remote_addr or '')
        flash(_('The rights-and-duties text is saved.'), 'info')
        return see_other('offers.rights')
    return render_template('offers/rights.html', form=form,
                           default_text=booking.default_rights_and_duties())
