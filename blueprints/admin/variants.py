"""Administration: meeting type variants, which keep target groups apart on
rebooking (team + meeting type + variant must match)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, request
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from peewee import IntegrityError
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from blueprints.admin.home import section
from blueprints.baseform import Form
from blueprints.forms import (ADMIN_PANEL, check_unique_name, meetings_blocking, org_id,
                              scoped_rows, strip, team_choices)
from models import (Meeting, MeetingType, OnlineOffer, SummonsTemplate, Team, TypeVariant,
                    TypeVariantMeetingType, TypeVariantTeam, db, utcnow)
from web import get_in_org, job_centre_admin, render, see_other

bp = Blueprint('admin_variants', __name__, url_prefix='/admin/variants')
section('admin_variants.index', _l('Meeting type variants'), 80)


class VariantForm(Form):
    name = StringField(_l('Name'), filters=[strip], validators=[
        DataRequired(_l('Enter a name.')), Length(max=120)],
        description=_l('For example "Under 30". Unique in the job centre.'))
    meeting_types = SelectMultipleField(_l('Meeting types'), choices=[], coerce=int,
                                        validate_choice=False,
                                        description=_l('Choose at least one.'))
    teams = SelectMultipleField(_l('Teams that can use the variant'), choices=[],
                                coerce=int, validate_choice=False)


def _type_choices():
    lang = str(get_locale())
    return [(t.id, t.label(lang))
            for t in MeetingType.select().order_by(MeetingType.position, MeetingType.id)]


def _posted_meeting_types():
    """The system types for posted ids; an unknown id is a 404."""
    rows = []
    for value in request.form.getlist('meeting_types'):
        value = value.strip()
        row = MeetingType.get_or_none(MeetingType.id == int(value)) \
            if value.isascii() and value.isdigit() and len(value) <= 18 else None
        if row is None:
            abort(404)
        rows.append(row)
    return rows


def _links(variants):
    ids = [v.id for v in variants]
    lang = str(get_locale())
    types, teams = {}, {}
    for link in (TypeVariantMeetingType.select(TypeVariantMeetingType, MeetingType)
                 .join(MeetingType).where(TypeVariantMeetingType.variant.in_(ids))
                 .order_by(MeetingType.position)):
        types.setdefault(link.variant_id, []).append(link.meeting_type.label(lang))
    for link in (TypeVariantTeam.select(TypeVariantTeam, Team).join(Team)
                 .where(TypeVariantTeam.variant.in_(ids)).order_by(Team.name)):
        teams.setdefault(link.variant_id, []).append(link.team.name)
    return types, teams


@bp.route('/')
@job_centre_admin
def index():
    variants = list(TypeVariant.select().where(TypeVariant.organisation == org_id())
                    .order_by(TypeVariant.name))
    types, teams = _links(variants)
    return render('admin/variants/index.html', panel=ADMIN_PANEL, variants=variants, types=types,
                  teams=teams)


def _save(form, variant) -> bool:
    form.meeting_types.choices = _type_choices()
    form.teams.choices = team_choices()
    meeting_types = _posted_meeting_types()
    teams = scoped_rows(Team, request.form.getlist('teams'))   # theirs: 404
    valid = form.validate()
    if form.name.data and not check_unique_name(form, variant):
        valid = False
    if not meeting_types:
        form.meeting_types.errors.append(_('Choose at least one meeting type.'))
        valid = False
    if not valid or request.args.get('check'):
        return False
    variant.organisation = org_id()
    variant.name = form.name.data
    try:
        with db.atomic():
            variant.save()
            variant.set_links(meeting_types, teams)
    except IntegrityError:
        form.name.errors.append(_('Name must be unique'))
        return False
    return True


def _form_page(form, variant, title):
    return render('admin/variants/form.html', {'variant-form': 'form'}, panel=ADMIN_PANEL,
                  field_block='form', form=form, variant=variant, title=title)


@bp.route('/new', methods=['GET', 'POST'])
@job_centre_admin
def create():
    variant = TypeVariant()
    form = VariantForm()
    if request.method == 'POST':
        if _save(form, variant):
            flash(_('Variant %(name)s created.', name=variant.name), 'success')
            return see_other('.index')
    else:
        form.meeting_types.choices = _type_choices()
        form.teams.choices = team_choices()
    return _form_page(form, variant, _('New meeting type variant'))


@bp.route('/<int:variant_id>/edit', methods=['GET', 'POST'])
@job_centre_admin
def edit(variant_id):
    variant = get_in_org(TypeVariant, variant_id)
    if request.method == 'POST':
        form = VariantForm()
        if _save(form, variant):
            flash(_('Variant %(name)s saved.', name=variant.name), 'success')
            return see_other('.index')
    else:
        form = VariantForm(obj=variant)
        form.meeting_types.choices = _type_choices()
        form.teams.choices = team_choices()
        form.meeting_types.data = [link.meeting_type_id for link in variant.type_links]
        form.teams.data = [link.team_id for link in variant.team_links]
    return _form_page(form, variant, _('Edit variant %(name)s', name=variant.name))


def _blockers(variant) -> list[str]:
    """Booked meetings ahead keep their variant: rebooking depends on it. Open
    online offers and summons templates would silently lose it (the column is
    SET NULL, a template holds its id), so they block the delete too."""
    meetings = meetings_blocking(
        _('%(name)s cannot be deleted while booked meetings use it: citizens '
          'rebook by it. Rebook or cancel them first:', name=variant.name),
        Meeting.select(Meeting, MeetingType).join(MeetingType)
        .where(Meeting.variant == variant.id, Meeting.status == Meeting.BOOKED,
               Meeting.ends_at > utcnow())
        .order_by(Meeting.starts_at))
    return meetings + _other_uses(variant)


def _offer_name(offer) -> str:
    number = (_('Online offer %(n)s', n=offer.number) if offer.number
              else _('New online offer (draft)'))
    return f'{number} ({offer.title})' if offer.title else number


def _other_uses(variant) -> list[str]:
    """Lines naming the open online offers and the summons templates that
    use `variant`; none when nothing does."""
    offers = [_offer_name(o) for o in OnlineOffer.select().where(
        OnlineOffer.organisation == variant.organisation_id, OnlineOffer.variant == variant.id,
        OnlineOffer.end_date.is_null() | (OnlineOffer.end_date >= utcnow().date()))
        .order_by(OnlineOffer.number, OnlineOffer.id)]
    templates = [t.name for t in SummonsTemplate.select().where(
        SummonsTemplate.organisation == variant.organisation_id).order_by(SummonsTemplate.name)
        if str(t.preset.get('variant', '')) == str(variant.id)]
    if not offers and not templates:
        return []
    lines = [_('%(name)s is in use and cannot be deleted. Choose another variant there '
               'first:', name=variant.name)]
    if offers:
        lines.append(_('Online offers: %(names)s.', names=', '.join(offers)))
    if templates:
        lines.append(_('Summons templates: %(names)s.', names=', '.join(templates)))
    return lines


@bp.route('/<int:variant_id>/delete', methods=['GET', 'POST'])
@job_centre_admin
def delete(variant_id):
    """GET asks for confirmation; POST deletes unless something uses it."""
    variant = get_in_org(TypeVariant, variant_id)
    blockers = _blockers(variant)
    if request.method == 'POST' and not blockers:
        try:
            with db.atomic():
                variant.delete_instance()
        except IntegrityError:
            # Referred to by something that forbids it (and rolled back).
            blockers = [_('%(name)s is still in use elsewhere and cannot be deleted.',
                          name=variant.name)]
        else:
            flash(_('Variant %(name)s deleted.', name=variant.name), 'success')
            return see_other('.index')
    elif request.method == 'POST':
        return see_other('.delete', variant_id=variant.id)
    return render('admin/variants/delete.html', panel=ADMIN_PANEL, variant=variant,
                  blockers=blockers)
