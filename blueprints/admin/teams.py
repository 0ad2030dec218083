"""Administration: the team tree (create, edit, reorder, move, delete)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, request
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from blueprints.admin.home import section
from blueprints.baseform import Form
from blueprints.forms import (ADMIN_PANEL, address_errors, check_address, check_email, check_phone,
                              children_by_parent, delete_unless_blocked, move_among_siblings,
                              org_id, parent_choices, save_in_tree, scoped_row, strip, subtrees,
                              validate_in_tree)
from models import Team
from web import get_in_org, job_centre_admin, render, see_other

bp = Blueprint('admin_teams', __name__, url_prefix='/admin/teams')
section('admin_teams.index', _l('Teams'), 30)


class TeamForm(Form):
    name = StringField(_l('Name'), filters=[strip], validators=[
        DataRequired(_l('Enter a name.')), Length(max=120)])
    parent = SelectField(_l('Place under'), choices=[], validate_choice=False)
    address = StringField(_l('Address'), filters=[strip], validators=[Length(max=200)],
                          description=_l('Shown to citizens in summons, unless a room '
                                         'with its own address is chosen.'))
    postcode = StringField(_l('Postcode'), filters=[strip], validators=[Length(max=10)])
    city = StringField(_l('City'), filters=[strip], validators=[Length(max=80)])
    email = StringField(_l('Email'), filters=[strip], validators=[Length(max=254)])
    phone = StringField(_l('Phone'), filters=[strip], validators=[Length(max=30)])
    description = TextAreaField(_l('Description'), validators=[Length(max=4000)],
                                description=_l('Only administrators can read this.'))

    def validate_email(self, field):
        check_email(field)

    def validate_phone(self, field):
        check_phone(field)


def _tree_with_subtrees():
    """The tree, and for each team the ids of its sub-teams (all levels)."""
    tree = Team.tree(org_id())
    return tree, subtrees(tree)


@bp.route('/')
@job_centre_admin
def index():
    tree, below = _tree_with_subtrees()
    children = children_by_parent(tree)
    targets = {team.id: parent_choices(tree, below[team.id] | {team.id})
               for team, _depth in tree}
    return render('admin/teams/index.html', {'team-tree': 'tree'}, panel=ADMIN_PANEL,
                  tree=tree, children=children, targets=targets)


def _save(form, team, tree, below):
    """Validate the posted form into `team`; True when saved."""
    valid, parent = validate_in_tree(
        form, team, tree, below,
        _('A team cannot be placed under itself or one of its sub-teams.'))
    check_address(form, required=True)
    if address_errors(form):
        valid = False
    if not valid or request.args.get('check'):
        return False
    save_in_tree(team, form, ('name', 'address', 'postcode', 'city', 'email', 'phone',
                              'description'), parent)
    return True


def _form_page(form, team, template_title):
    return render('admin/teams/form.html', {'team-form': 'form'}, panel=ADMIN_PANEL,
                  field_block='form', form=form, team=team, title=template_title)


@bp.route('/new', methods=['GET', 'POST'])
@job_centre_admin
def create():
    tree, below = _tree_with_subtrees()
    team = Team()
    form = TeamForm()
    if request.method == 'POST':
        if _save(form, team, tree, below):
            flash(_('Team %(name)s created.', name=team.name), 'success')
            return see_other('.index')
    else:
        parent = scoped_row(Team, request.args.get('parent', ''))
        form.parent.choices = parent_choices(tree)
        form.parent.data = str(parent.id) if parent else ''
    return _form_page(form, team, _('New team'))


@bp.route('/<int:team_id>/edit', methods=['GET', 'POST'])
@job_centre_admin
def edit(team_id):
    team = get_in_org(Team, team_id)
    tree, below = _tree_with_subtrees()
    if request.method == 'POST':
        form = TeamForm()
        if _save(form, team, tree, below):
            flash(_('Team %(name)s saved.', name=team.name), 'success')
            return see_other('.index')
    else:
        form = TeamForm(obj=team)
        form.parent.choices = parent_choices(tree, below[team.id] | {team.id})
        form.parent.data = str(team.parent_id or '')
    return _form_page(form, team, _('Edit team %(name)s', name=team.name))


@bp.route('/<int:team_id>/move', methods=['POST'])
@job_centre_admin
def move(team_id):
    """Up or down among its siblings, or under another team."""
    team = get_in_org(Team, team_id)
    direction = request.form.get('direction', '')
    if direction in ('up', 'down'):
        move_among_siblings(team, direction)
    elif 'parent' in request.form:
        parent = scoped_row(Team, request.form['parent'])
        try:
            team.move_under(parent)
        except ValueError:
            flash(_('A team cannot be placed under itself or one of its sub-teams.'),
                  'error')
        else:
            flash(_('%(name)s moved under %(parent)s.', name=team.name,
                    parent=parent.name) if parent else
                  _('%(name)s moved to the top level.', name=team.name), 'success')
    else:
        abort(400)
    return see_other('.index')


BLOCKER_LABELS = {
    'teams': _l('Sub-teams: %(names)s.'),
    'caseworkers': _l('Caseworkers: %(names)s.'),
    'rooms': _l('Rooms: %(names)s.'),
}


def _blocker_lines(team) -> list[str]:
    blockers = team.delete_blockers()
    if not blockers:
        return []
    lines = [_('%(name)s cannot be deleted while it has sub-teams, caseworkers, '
               'rooms or meetings:', name=team.name)]
    for kind, label in BLOCKER_LABELS.items():
        if kind in blockers:
            lines.append(label % {'names': ', '.join(blockers[kind])})
    if 'meetings' in blockers:
        lines.append(_('Meetings: %(count)d (past or booked).',
                       count=len(blockers['meetings'])))
    return lines


@bp.route('/<int:team_id>/delete', methods=['GET', 'POST'])
@job_centre_admin
def delete(team_id):
    team = get_in_org(Team, team_id)
    blockers = _blocker_lines(team)
    if request.method == 'POST':
        return delete_unless_blocked(team, bool(blockers),
                                     _('Team %(name)s deleted.', name=team.name),
                                     see_other('.delete', team_id=team.id))
    return render('admin/teams/delete.html', panel=ADMIN_PANEL, team=team, blockers=blockers)
