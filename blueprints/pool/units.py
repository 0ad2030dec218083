"""Staffing: units, the places substitutes work (a tree, with addresses)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, request
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from blueprints.baseform import Form
from blueprints.forms import (address_errors, check_address, check_phone, children_by_parent,
                              delete_unless_blocked, move_among_siblings, parent_choices,
                              save_in_tree, scoped_row, strip, subtrees, validate_in_tree)
from blueprints.pool.home import POOL_PANEL, org
from models import Unit
from web import get_in_org, pool_staff, render, see_other

bp = Blueprint('pool_units', __name__, url_prefix='/pool/units')


class UnitForm(Form):
    name = StringField(_l('Name'), filters=[strip], validators=[
        DataRequired(_l('Enter a name.')), Length(max=120)])
    parent = SelectField(_l('Place under'), choices=[], validate_choice=False)
    address = StringField(_l('Address'), filters=[strip], validators=[Length(max=200)],
                          description=_l('Sent to substitutes with their bookings.'))
    postcode = StringField(_l('Postcode'), filters=[strip], validators=[Length(max=10)])
    city = StringField(_l('City'), filters=[strip], validators=[Length(max=80)])
    phone = StringField(_l('Phone'), filters=[strip], validators=[Length(max=30)])

    def validate_phone(self, field):
        check_phone(field)


def _tree_with_subtrees():
    tree = Unit.tree(org())
    return tree, subtrees(tree)


@bp.route('/')
@pool_staff
def index():
    tree = Unit.tree(org())
    children = children_by_parent(tree)
    return render('pool/units/index.html', {'unit-tree': 'tree'}, panel=POOL_PANEL, tree=tree,
                  children=children)


def _save(form, unit, tree, below) -> bool:
    valid, parent = validate_in_tree(
        form, unit, tree, below,
        _('A unit cannot be placed under itself or one of its sub-units.'))
    check_address(form, required=False)
    if address_errors(form) or not valid:
        return False
    save_in_tree(unit, form, ('name', 'address', 'postcode', 'city', 'phone'), parent)
    return True


@bp.route('/new', methods=['GET', 'POST'])
@pool_staff
def create():
    tree, below = _tree_with_subtrees()
    unit = Unit()
    form = UnitForm()
    if request.method == 'POST':
        if _save(form, unit, tree, below):
            flash(_('Unit %(name)s created.', name=unit.name), 'success')
            return see_other('.index')
    else:
        parent = scoped_row(Unit, request.args.get('parent', ''))
        form.parent.choices = parent_choices(tree)
        form.parent.data = str(parent.id) if parent else ''
    return render('pool/units/form.html', {'unit-form': 'form'}, panel=POOL_PANEL, form=form,
                  unit=unit, title=_('New unit'))


@bp.route('/<int:unit_id>/edit', methods=['GET', 'POST'])
@pool_staff
def edit(unit_id):
    unit = get_in_org(Unit, unit_id)
    tree, below = _tree_with_subtrees()
    if request.method == 'POST':
        form = UnitForm()
        if _save(form, unit, tree, below):
            flash(_('Unit %(name)s saved.', name=unit.name), 'success')
            return see_other('.index')
    else:
        form = UnitForm(obj=unit)
        form.parent.choices = parent_choices(tree, below[unit.id] | {unit.id})
        form.parent.data = str(unit.parent_id or '')
    return render('pool/units/form.html', {'unit-form': 'form'}, panel=POOL_PANEL, form=form,
                  unit=unit, title=_('Edit unit %(name)s', name=unit.name))


@bp.route('/<int:unit_id>/move', methods=['POST'])
@pool_staff
def move(unit_id):
    """Up or down among its siblings."""
    unit = get_in_org(Unit, unit_id)
    direction = request.form.get('direction', '')
    if direction not in ('up', 'down'):
        abort(400)
    move_among_siblings(unit, direction)
    return see_other('.index')


def _blocker_lines(unit) -> list[str]:
    blockers = unit.delete_blockers()
    if not blockers:
        return []
    lines = [_('%(name)s cannot be deleted while it has sub-units or vacancies:',
               name=unit.name)]
    if 'units' in blockers:
        lines.append(_('Sub-units: %(names)s.', names=', '.join(blockers['units'])))
    if 'vacancies' in blockers:
        lines.append(_('Vacancies: %(count)d (past or coming).',
                       count=len(blockers['vacancies'])))
    return lines


@bp.route('/<int:unit_id>/delete', methods=['GET', 'POST'])
@pool_staff
def delete(unit_id):
    unit = get_in_org(Unit, unit_id)
    blockers = _blocker_lines(unit)
    if request.method == 'POST':
        return delete_unless_blocked(unit, bool(blockers),
                                     _('Unit %(name)s deleted.', name=unit.name),
                                     see_other('.delete', unit_id=unit.id))
    trained = unit.substitute_links.count()
    return render('pool/units/delete.html', panel=POOL_PANEL, unit=unit, blockers=blockers,
                  trained=trained)
