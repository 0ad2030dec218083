"""Administration: the meeting types, a locked system list (seeded by a
migration). Read only: this blueprint has no route that accepts a POST."""
from __future__ import annotations

from flask import Blueprint
from flask_babel import get_locale, lazy_gettext as _l

from blueprints.admin.home import section
from blueprints.forms import ADMIN_PANEL
from models import MeetingType
from web import job_centre_admin, render

bp = Blueprint('admin_meeting_types', __name__, url_prefix='/admin/meeting-types')
section('admin_meeting_types.index', _l('Meeting types'), 70)


@bp.route('/')
@job_centre_admin
def index():
    types = list(MeetingType.select().order_by(MeetingType.position, MeetingType.id))
    return render('admin/meeting_types/index.html', panel=ADMIN_PANEL, types=types,
                  lang=str(get_locale()))
