"""Administration: competences (languages, specialisms) caseworkers can hold."""
from __future__ import annotations

from flask import Blueprint, flash, request
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from blueprints.admin.home import section
from blueprints.baseform import Form
from blueprints.forms import ADMIN_PANEL, org_id, save_name, strip
from models import CaseworkerCompetence, Competence
from web import get_in_org, job_centre_admin, render, see_other

bp = Blueprint('admin_competences', __name__, url_prefix='/admin/competences')
section('admin_competences.index', _l('Competences'), 25)


class CompetenceForm(Form):
    name = StringField(_l('Name'), filters=[strip], validators=[
        DataRequired(_l('Enter a name.')), Length(max=120)],
        description=_l('For example a language or a specialism.'))


def _save(form, competence) -> bool:
    """Saved, unless the form has errors or asks only to be checked (?check=1,
    while typing)."""
    return save_name(form, competence, check_only=bool(request.args.get('check')))


def _listing(form):
    competences = list(Competence.select().where(Competence.organisation == org_id())
                       .order_by(Competence.name))
    return render('admin/competences/index.html', {'competence-form': 'form'}, panel=ADMIN_PANEL,
                  field_block='form', competences=competences, form=form)


@bp.route('/', methods=['GET', 'POST'])
@job_centre_admin
def index():
    """The list, with the form for a new one on the same page."""
    form = CompetenceForm()
    if request.method == 'POST':
        competence = Competence()
        if _save(form, competence):
            flash(_('Competence %(name)s created.', name=competence.name), 'success')
            return see_other('.index')
    return _listing(form)


@bp.route('/<int:competence_id>/edit', methods=['GET', 'POST'])
@job_centre_admin
def edit(competence_id):
    competence = get_in_org(Competence, competence_id)
    form = CompetenceForm() if request.method == 'POST' else CompetenceForm(obj=competence)
    if request.method == 'POST' and _save(form, competence):
        flash(_('Competence %(name)s saved.', name=competence.name), 'success')
        return see_other('.index')
    return render('admin/competences/form.html', {'competence-form': 'form'}, panel=ADMIN_PANEL,
                  field_block='form', form=form, competence=competence)


@bp.route('/<int:competence_id>/delete', methods=['GET', 'POST'])
@job_centre_admin
def delete(competence_id):
    competence = get_in_org(Competence, competence_id)
    if request.method == 'POST':
        competence.delete_instance()   # caseworkers simply lose it
        flash(_('Competence %(name)s deleted.', name=competence.name), 'success')
        return see_other('.index')
    holders = (CaseworkerCompetence.select()
               .where(CaseworkerCompetence.competence == competence).count())
    return render('admin/competences/delete.html', panel=ADMIN_PANEL, competence=competence,
                  holders=holders)
