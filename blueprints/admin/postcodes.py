"""City lookup for the address forms: the postcode field asks on change."""
from __future__ import annotations

from flask import Blueprint

from blueprints.forms import city_lookup
from web import job_centre_admin

bp = Blueprint('admin_postcodes', __name__, url_prefix='/admin/postcodes')


@bp.route('/city')
@job_centre_admin
def city():
    """The team and room forms' city lookup."""
    return city_lookup()
