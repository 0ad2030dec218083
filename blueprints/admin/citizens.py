"""Administration: find a citizen (by name, birth date or CPR number, posted:
a CPR number never goes into a URL), see what Planpool holds about them,
and erase their personal data once their meetings have passed."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, g, request
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from blueprints.admin.audit import action_label
from blueprints.admin.home import section
from blueprints.baseform import Form
from blueprints.forms import ADMIN_PANEL, SHOW_MEETINGS, meeting_label, org_id, strip
from common.validators import normalise_cpr
from models import (AuditEvent, CitizenProfile, Meeting, MeetingParticipant, MeetingType, Message,
                    PendingSummons, User, text_contains, utcnow)
from planner import privacy
from planner.citizen_import import ADDRESS_CHANGED
from web import Page, get_in_org, job_centre_admin, paginate, render, see_other

bp = Blueprint('admin_citizens', __name__, url_prefix='/admin/citizens')
section('admin_citizens.index', _l('Citizens'), 15)

RESULTS = 50
EVENTS_SHOWN = 20


class SearchForm(Form):
    query = StringField(_l('Name, birth date or CPR number'), filters=[strip], validators=[
        DataRequired(_l('Enter a name, a birth date (ddmmyy) or a CPR number.')),
        Length(max=100)],
        description=_l('For example "Anna Jensen", 010190 or 010190-1234.'))


class EraseForm(Form):
    pass


class AddressForm(Form):
    """The postal address the summons letters go to (the window envelope)."""
    address = StringField(_l('Street and number'), filters=[strip], validators=[Length(max=200)])
    postcode = StringField(_l('Postcode'), filters=[strip], validators=[Length(max=10)])
    city = StringField(_l('Town'), filters=[strip], validators=[Length(max=80)])


def _now() -> dt.datetime:
    return utcnow()


def _audit(action: str, obj=None, detail: str = '') -> None:
    AuditEvent.record(action, actor=current_user._get_current_object(), obj=obj,
                      detail=detail, ip=request.remote_addr or '')


def _search(text: str) -> tuple[Page, str]:
    """Citizens of the organisation matching a CPR number (exactly), a birth
    date (the first six digits) or the words of a name; and how it searched."""
    citizens = User.select().where(User.organisation == org_id(),
                                   User.role == User.CITIZEN)
    cpr = normalise_cpr(text)
    digits = ''.join(c for c in text if c.isdigit())
    if cpr is not None:
        citizens, how = citizens.where(User.cpr == cpr), 'CPR number'
    elif len(digits) == 6 and not any(c.isalpha() for c in text):
        citizens, how = citizens.where(User.cpr.startswith(digits)), 'birth date'
    else:
        for word in text.split()[:5]:
            citizens = citizens.where(text_contains(User.name, word))
        how = 'name'
    return paginate(citizens.order_by(User.name, User.id), RESULTS), how


@bp.route('/', methods=['GET', 'POST'])
@job_centre_admin
def index():
    """The search. A POST that only reads: the CPR number stays out of URLs
    and browser history."""
    g.personal_data = True
    form = SearchForm()
    found = None
    if request.method == 'POST' and form.validate():
        found, how = _search(form.query.data)
        _audit('citizens_searched', detail=f'by {how}, {len(found.rows)} found')
        if how != 'name':
            form.query.data = ''   # a CPR number is not shown back, even to who typed it
    return render('admin/citizens/index.html', panel=ADMIN_PANEL, form=form,
                  found=found and found.rows, more=found is not None and found.has_next)


def _citizen(user_id: int) -> User:
    user = get_in_org(User, user_id)
    if user.role != User.CITIZEN:
        abort(404)
    return user


def _erased(user: User) -> bool:
    return user.name == privacy.erased_name(user.id) and not user.cpr


@bp.route('/<int:user_id>')
@job_centre_admin
def show(user_id):
    g.personal_data = True
    user = _citizen(user_id)
    now = _now()
    links = MeetingParticipant.select().where(MeetingParticipant.citizen == user)
    ahead = privacy.future_meetings(user, now).count()
    facts = dict(
        meetings=links.count(), ahead=ahead,
        messages=Message.select().where(Message.user == user).count(),
        pending=PendingSummons.select().where(PendingSummons.citizen == user).count(),
        profile=CitizenProfile.get_or_none(CitizenProfile.user == user))
    events = list(privacy.events_about(user).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                  .limit(EVENTS_SHOWN))
    _audit('citizen_read', user)
    return render('admin/citizens/show.html', panel=ADMIN_PANEL, citizen=user, erased=_erased(user),
                  events=events, action_label=action_label, **facts)


@bp.route('/<int:user_id>/address', methods=['GET', 'POST'])
@job_centre_admin
def address(user_id):
    """The citizen's postal address, for letters that are posted."""
    g.personal_data = True
    user = _citizen(user_id)
    if _erased(user):
        abort(404)
    profile = CitizenProfile.get_or_none(CitizenProfile.user == user)
    form = AddressForm(obj=profile)
    if form.validate_on_submit():
        if profile is None:
            profile = CitizenProfile(user=user, organisation=user.organisation_id)
        form.populate_obj(profile)
        profile.save()
        _audit(ADDRESS_CHANGED, user)
        flash(_('The postal address of %(name)s is saved.', name=user.name), 'info')
        return see_other('admin_citizens.show', user_id=user.id)
    return render('admin/citizens/address.html', panel=ADMIN_PANEL, citizen=user, form=form)


@bp.route('/<int:user_id>/erase', methods=['GET', 'POST'])
@job_centre_admin
def erase(user_id):
    """The confirmation, then the erasure (refused while meetings lie ahead)."""
    g.personal_data = True
    user = _citizen(user_id)
    form = EraseForm()
    if request.method == 'POST':
        if not form.validate():
            abort(400)
        try:
            result = privacy.erase_citizen(user, current_user._get_current_object(), _now(),
                                           ip=request.remote_addr or '')
        except privacy.ErasureRefused as refused:
            flash(_refusal(refused.future_meetings), 'error')
            return see_other('.erase', user_id=user.id)
        flash(ngettext("The citizen's personal data is erased. Their %(num)d meeting is "
                       'kept, without their name, for statistics.',
                       "The citizen's personal data is erased. Their %(num)d meetings are "
                       'kept, without their name, for statistics.', result.meetings_kept),
              'success')
        return see_other('.show', user_id=user.id)
    if _erased(user):
        flash(_("This citizen's personal data is already erased."), 'info')
        return see_other('.show', user_id=user.id)
    ahead = list(privacy.future_meetings(user, _now()).switch(Meeting).join(MeetingType)
                 .select(Meeting, MeetingType).order_by(Meeting.starts_at)
                 .limit(SHOW_MEETINGS + 1))
    count = privacy.future_meetings(user, _now()).count() if ahead else 0
    _audit('citizen_read', user, 'erase confirmation')
    return render('admin/citizens/erase.html', panel=ADMIN_PANEL, citizen=user, form=form,
                  refusal=_refusal(count) if count else '',
                  ahead=[meeting_label(m) for m in ahead[:SHOW_MEETINGS]],
                  more=max(count - SHOW_MEETINGS, 0))


def _refusal(count: int) -> str:
    return ngettext(
        'The personal data cannot be erased yet: %(num)d meeting is still booked ahead. '
        'Cancel it or wait until it has passed.',
        'The personal data cannot be erased yet: %(num)d meetings are still booked ahead. '
        'Cancel them or wait until they have passed.', count)
