"""Staffing: qualifications substitutes hold and vacancies may require
(e.g. medication delegation, driving licence)."""
from __future__ import annotations

from flask import Blueprint, flash, request
from flask_babel import gettext as _, lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from blueprints.baseform import Form
from blueprints.forms import save_name, strip
from blueprints.pool.home import POOL_PANEL, org
from models import Qualification, SubstituteQualification, Vacancy, VacancyQualification
from web import get_in_org, pool_staff, render, see_other

bp = Blueprint('pool_qualifications', __name__, url_prefix='/pool/qualifications')


class QualificationForm(Form):
    name = StringField(_l('Name'), filters=[strip], validators=[
        DataRequired(_l('Enter a name.')), Length(max=120)],
        description=_l('For example medication delegation or driving licence.'))


@bp.route('/', methods=['GET', 'POST'])
@pool_staff
def index():
    form = QualificationForm()
    if request.method == 'POST':
        qualification = Qualification()
        if save_name(form, qualification):
            flash(_('Qualification %(name)s created.', name=qualification.name), 'success')
            return see_other('.index')
    qualifications = list(Qualification.select().where(Qualification.organisation == org())
                          .order_by(Qualification.name))
    return render('pool/qualifications/index.html', {'qualification-form': 'form'},
                  panel=POOL_PANEL, qualifications=qualifications, form=form)


@bp.route('/<int:qualification_id>/edit', methods=['GET', 'POST'])
@pool_staff
def edit(qualification_id):
    qualification = get_in_org(Qualification, qualification_id)
    form = (QualificationForm() if request.method == 'POST'
            else QualificationForm(obj=qualification))
    if request.method == 'POST' and save_name(form, qualification):
        flash(_('Qualification %(name)s saved.', name=qualification.name), 'success')
        return see_other('.index')
    return render('pool/qualifications/form.html', {'qualification-form': 'form'}, panel=POOL_PANEL,
                  form=form, qualification=qualification)


@bp.route('/<int:qualification_id>/delete', methods=['GET', 'POST'])
@pool_staff
def delete(qualification_id):
    qualification = get_in_org(Qualification, qualification_id)
    if request.method == 'POST':
        qualification.delete_instance()   # holders and vacancies simply lose it
        flash(_('Qualification %(name)s deleted.', name=qualification.name), 'success')
        return see_other('.index')
    holders = (SubstituteQualification.select()
               .where(SubstituteQualification.qualification == qualification).count())
    required = (VacancyQualification.select().join(Vacancy)
                .where(VacancyQualification.qualification == qualification,
                       Vacancy.status.in_(Vacancy.FILLABLE)).count())
    return render('pool/qualifications/delete.html', panel=POOL_PANEL, qualification=qualification,
                  holders=holders, required=required)
