"""Administration: summons templates, presets for step 1 of a summons (and
for online offers). No field is required but the name; a template for online
offers must be a Jobsamtale, individual, in person (deck slide 91)."""
from __future__ import annotations

import json

from flask import Blueprint, flash, request
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from peewee import IntegrityError
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from blueprints.admin.home import section
from blueprints.baseform import Form
from blueprints.forms import ADMIN_PANEL, org_id, scoped_row, strip, team_choices, unique_name
from models import (Meeting, MeetingType, Room, RoomTeam, SummonsTemplate, Team, TypeVariant,
                    TypeVariantMeetingType, TypeVariantTeam, db)
from web import get_in_org, job_centre_admin, render, see_other

bp = Blueprint('admin_summons_templates', __name__,
               url_prefix='/admin/summons-templates')
section('admin_summons_templates.index', _l('Summons templates'), 60)

ONLINE_TYPE = 'jobsamtale'
FORMS = {Meeting.INDIVIDUAL: _l('Individual meeting'), Meeting.GROUP: _l('Group meeting')}
ATTENDANCE = {Meeting.IN_PERSON: _l('In person'), Meeting.LETTER: _l('Letter'),
              Meeting.OTHER: _l('Other'), Meeting.PHONE: _l('Phone')}
NOT_SET = _l('Not preset')


class TemplateForm(Form):
    name = StringField(_l('Name'), filters=[strip], validators=[
        DataRequired(_l('Enter a name.')), Length(max=120)])
    for_online_offer = BooleanField(_l('For online offers'), description=_l(
        'Online offers are always a Jobsamtale, an individual meeting, in person.'))
    meeting_type = SelectField(_l('Meeting type'), choices=[], validate_choice=False)
    variant = SelectField(_l('Meeting type variant'), choices=[], validate_choice=False)
    meeting_form = SelectField(_l('Meeting form'), choices=[], validate_choice=False)
    attendance = SelectField(_l('Attendance'), choices=[], validate_choice=False)
    team = SelectField(_l('Team'), choices=[], validate_choice=False)
    room = SelectField(_l('Room'), choices=[], validate_choice=False)
    duration_minutes = IntegerField(_l('Duration (minutes)'), validators=[
        Optional(), NumberRange(min=5, max=480)])
    reporting_minutes = IntegerField(_l('Reporting time after the meeting (minutes)'),
                                     validators=[Optional(), NumberRange(min=0, max=240)])
    rebooking_allowed = BooleanField(_l('Citizens may rebook'))
    rebooking_days_before = IntegerField(
        _l('Rebooking allowed until this many days before the meeting'),
        default=1, validators=[Optional(), NumberRange(min=0, max=365)])
    note = TextAreaField(_l('Note to the caseworker'), validators=[Length(max=2000)],
                         description=_l('Shown in the caseworker\'s calendar, not to '
                                        'the citizen.'))


def _choices(form):
    lang = str(get_locale())
    blank = [('', NOT_SET)]
    form.meeting_type.choices = blank + [
        (t.code, t.label(lang))
        for t in MeetingType.select().order_by(MeetingType.position, MeetingType.id)]
    form.variant.choices = blank + [
        (str(v.id), v.name) for v in TypeVariant.select()
        .where(TypeVariant.organisation == org_id()).order_by(TypeVariant.name)]
    form.meeting_form.choices = blank + list(FORMS.items())
    form.attendance.choices = blank + list(ATTENDANCE.items())
    form.team.choices = [(str(k), v) for k, v in team_choices(blank=NOT_SET)]
    form.room.choices = blank + [
        (str(r.id), r.name) for r in Room.select()
        .where(Room.organisation == org_id(), Room.can_host == True)  # noqa: E712
        .order_by(Room.name)]


def _check(form):
    """Field errors beyond the simple validators; the rows chosen, or None."""
    valid = form.validate()
    # Ids of another organisation are a 404 (scoped_row), like in a URL.
    variant = scoped_row(TypeVariant, request.form.get('variant', ''))
    team = scoped_row(Team, request.form.get('team', ''))
    room = scoped_row(Room, request.form.get('room', ''))
    code = form.meeting_type.data or ''
    meeting_type = MeetingType.get_or_none(MeetingType.code == code) if code else None

    def error(field, message):
        nonlocal valid
        field.errors.append(message)
        valid = False

    if code and meeting_type is None:
        error(form.meeting_type, _('Choose a meeting type from the list.'))
    if (form.meeting_form.data or '') not in ('', *FORMS):
        error(form.meeting_form, _('Choose a meeting form from the list.'))
    if (form.attendance.data or '') not in ('', *ATTENDANCE):
        error(form.attendance, _('Choose an attendance from the list.'))
    if form.name.data and not unique_name(SummonsTemplate, form.name.data,
                                          form._template if form._template.id else None):
        error(form.name, _('Name must be unique'))
    if room is not None and not room.can_host:
        error(form.room, _('This room cannot host meetings.'))
    if variant is not None:
        if meeting_type is None:
            error(form.variant, _('Choose the meeting type of the variant too.'))
        elif not TypeVariantMeetingType.select().where(
                TypeVariantMeetingType.variant == variant.id,
                TypeVariantMeetingType.meeting_type == meeting_type.id).exists():
            error(form.variant, _('This variant is not for %(type)s.',
                                  type=meeting_type.label(str(get_locale()))))
        elif team is not None and variant.team_links.exists() and \
                not variant.team_links.where(TypeVariantTeam.team == team.id).exists():
            error(form.variant, _('Team %(team)s cannot use this variant.', team=team.name))
    if room is not None and team is not None and room.team_links.exists() and \
            not room.team_links.where(RoomTeam.team == team.id).exists():
        error(form.room, _('Team %(team)s may not use this room.', team=team.name))
    if form.rebooking_allowed.data and form.rebooking_days_before.data is None \
            and not form.rebooking_days_before.errors:
        error(form.rebooking_days_before, _('Enter how many days before.'))
    if form.for_online_offer.data:
        # The deck: saved only as Jobsamtale, individual, in person.
        if code != ONLINE_TYPE:
            error(form.meeting_type, _('A template for online offers must be a '
                                       'Jobsamtale.'))
        if form.meeting_form.data != Meeting.INDIVIDUAL:
            error(form.meeting_form, _('A template for online offers must be an individual '
                               'meeting.'))
        if form.attendance.data != Meeting.IN_PERSON:
            error(form.attendance, _('A template for online offers must be in person.'))
    return valid, variant, team, room


def _save(form, template) -> bool:
    form._template = template
    _choices(form)
    valid, variant, team, room = _check(form)
    if not valid or request.args.get('check'):
        return False
    rebooking = bool(form.rebooking_allowed.data)
    preset = {
        'meeting_type': form.meeting_type.data or None,
        'variant': variant.id if variant else None,
        'form': form.meeting_form.data or None,
        'attendance': form.attendance.data or None,
        'team': team.id if team else None,
        'room': room.id if room else None,
        'duration_minutes': form.duration_minutes.data,
        'reporting_minutes': form.reporting_minutes.data,
        'rebooking_allowed': rebooking,
        'rebooking_days_before': form.rebooking_days_before.data if rebooking else None,
        'note': form.note.data or '',
    }
    template.organisation = org_id()
    template.name = form.name.data
    template.for_online_offer = bool(form.for_online_offer.data)
    template.fields = json.dumps(preset, ensure_ascii=False, sort_keys=True)
    try:
        with db.atomic():
            template.save()
    except IntegrityError:
        form.name.errors.append(_('Name must be unique'))
        return False
    return True


def _load(template) -> TemplateForm:
    """The form filled from a saved template; ids that no longer exist (a
    deleted team or room) come back blank."""
    preset = template.preset
    form = TemplateForm(formdata=None)
    _choices(form)
    form.name.data = template.name
    form.for_online_offer.data = template.for_online_offer
    for name in ('meeting_type', 'variant', 'form', 'attendance', 'team', 'room'):
        field = getattr(form, 'meeting_form' if name == 'form' else name)
        value = '' if preset.get(name) is None else str(preset[name])
        field.data = value if value in {str(v) for v, _label in field.choices} else ''
    for name in ('duration_minutes', 'reporting_minutes', 'rebooking_days_before'):
        value = preset.get(name)
        getattr(form, name).data = value if isinstance(value, int) else None
    form.rebooking_allowed.data = bool(preset.get('rebooking_allowed'))
    if not form.rebooking_allowed.data:
        form.rebooking_days_before.data = 1
    form.note.data = preset.get('note') or ''
    return form


def _form_page(form, template, title):
    return render('admin/summons_templates/form.html', {'template-form': 'form'},
                  panel=ADMIN_PANEL, field_block='form', form=form, template=template, title=title)


@bp.route('/')
@job_centre_admin
def index():
    templates = list(SummonsTemplate.select()
                     .where(SummonsTemplate.organisation == org_id())
                     .order_by(SummonsTemplate.name))
    lang = str(get_locale())
    types = {t.code: t.label(lang) for t in MeetingType.select()}
    teams = {t.id: t.name for t in Team.select().where(Team.organisation == org_id())}
    return render('admin/summons_templates/index.html', panel=ADMIN_PANEL, templates=templates,
                  types=types, teams=teams, forms=FORMS, attendance=ATTENDANCE)


@bp.route('/new', methods=['GET', 'POST'])
@job_centre_admin
def create():
    template = SummonsTemplate()
    if request.method == 'POST':
        form = TemplateForm()
        if _save(form, template):
            flash(_('Template %(name)s created.', name=template.name), 'success')
            return see_other('.index')
    else:
        form = TemplateForm()
        _choices(form)
    return _form_page(form, template, _('New summons template'))


@bp.route('/<int:template_id>/edit', methods=['GET', 'POST'])
@job_centre_admin
def edit(template_id):
    template = get_in_org(SummonsTemplate, template_id)
    if request.method == 'POST':
        form = TemplateForm()
        if _save(form, template):
            flash(_('Template %(name)s saved.', name=template.name), 'success')
            return see_other('.index')
    else:
        form = _load(template)
    return _form_page(form, template, _('Edit template %(name)s', name=template.name))


@bp.route('/<int:template_id>/delete', methods=['GET', 'POST'])
@job_centre_admin
def delete(template_id):
    template = get_in_org(SummonsTemplate, template_id)
    if request.method == 'POST':
        template.delete_instance()
        flash(_('Template %(name)s deleted.', name=template.name), 'success')
        return see_other('.index')
    return render('admin/summons_templates/delete.html', panel=ADMIN_PANEL, template=template)
