"""Administration: the meeting types, a locked system list (seeded by a
migration). Read only: this blueprint has no route that accepts a POST."""
from __future__ import annotations

from flask import Blueprint
from flask_babel import get_locale, lazy_gettext as _l

from blueprints.admin.home import section
from blueprints.forms import planner_admin, render
from models import MeetingType

bp = Blueprint('admin_meeting_types', __name__, url_prefix='/admin/meeting-types')
section('admin_meeting_types.index', _l('Meeting types'), 70)


@bp.route('/')
@planner_admin
def index():
    types = list(MeetingType.select().order_by(MeetingType.position, MeetingType.id))
    return render('admin/meeting_types/index.html', types=types,
                  lang=str(get_locale()))
