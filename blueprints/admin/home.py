"""The administration module's front page and navigation.

Each admin area lives in its own module (`admin_*.py`) and adds itself to the
navigation with `section(...)`; nothing here needs editing when one is added.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template
from flask_login import current_user

from models import Organisation, User
from web import role_required

bp = Blueprint('admin', __name__, url_prefix='/admin')


@dataclass(frozen=True)
class Section:
    endpoint: str
    label: object          # a lazy_gettext string
    order: int
    kinds: tuple = (Organisation.PLANNER,)


SECTIONS: list[Section] = []


def section(endpoint: str, label, order: int, kinds=(Organisation.PLANNER,)):
    SECTIONS.append(Section(endpoint, label, order, tuple(kinds)))
    SECTIONS.sort(key=lambda s: s.order)


@bp.app_context_processor
def _admin_sections():
    def admin_sections():
        if not current_user.is_authenticated or current_user.role != User.ADMIN:
            return []
        kind = current_user.organisation.kind
        return [s for s in SECTIONS if kind in s.kinds]
    return {'admin_sections': admin_sections}


@bp.route('/')
@role_required(User.ADMIN)
def index():
    return render_template('admin/index.html')
