"""City lookup for the address forms: the postcode field asks on change."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from blueprints.forms import country, postcode_message
from common import postcodes
from web import job_centre_admin

bp = Blueprint('admin_postcodes', __name__, url_prefix='/admin/postcodes')


@bp.route('/city')
@job_centre_admin
def city():
    """The city field filled in (or emptied), plus a note at the postcode
    field swapped in out of band."""
    value = request.args.get('postcode', '')[:20]
    if not value.strip():
        return render_template('admin/_city_lookup.html', city='', message='',
                               error=False)
    found = postcodes.lookup(country(), value)
    if found.error:
        return render_template('admin/_city_lookup.html', city='', error=True,
                               message=postcode_message(found))
    return render_template('admin/_city_lookup.html', city=found.city or '',
                           error=False,
                           message=_('%(code)s is %(city)s.', code=found.postcode,
                                     city=found.city))
