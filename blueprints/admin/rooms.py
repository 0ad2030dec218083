"""Administration: meeting rooms (capacity, overbooking, address, teams)."""
from __future__ import annotations

from flask import Blueprint, flash, request
from flask_babel import gettext as _, lazy_gettext as _l
from peewee import IntegrityError
from wtforms import BooleanField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from blueprints.admin.home import section
from blueprints.baseform import Form
from blueprints.forms import (ADMIN_PANEL, address_errors, check_address, check_unique_name,
                              meetings_blocking, org_id, scoped_rows, strip, team_choices)
from models import Meeting, MeetingType, Room, RoomTeam, Team, db
from web import get_in_org, job_centre_admin, render, see_other

bp = Blueprint('admin_rooms', __name__, url_prefix='/admin/rooms')
section('admin_rooms.index', _l('Rooms'), 50)


class RoomForm(Form):
    name = StringField(_l('Name'), filters=[strip], validators=[
        DataRequired(_l('Enter a name.')), Length(max=120)],
        description=_l('Unique: it names the room in calendars and summons.'))
    capacity = IntegerField(_l('Maximum capacity'), validators=[
        Optional(), NumberRange(min=1, max=10000)],
        description=_l('How many people can be summoned to one meeting here. '
                       'Leave blank for unlimited.'))
    allow_overbooking = BooleanField(_l('Accept overbooking'))
    extra_seats = IntegerField(_l('Extra seats'), validators=[
        Optional(), NumberRange(min=1, max=1000)],
        description=_l('With overbooking: how many people beyond the capacity '
                       '(extra chairs).'))
    address = StringField(_l('Address'), filters=[strip], validators=[Length(max=200)],
                          description=_l('Address, postcode and city: all three or '
                                         'none. Without them summons show the '
                                         "team's address."))
    postcode = StringField(_l('Postcode'), filters=[strip], validators=[Length(max=10)])
    city = StringField(_l('City'), filters=[strip], validators=[Length(max=80)])
    can_host = BooleanField(_l('Can host meetings'), default=True,
                            description=_l('Only such rooms can be chosen for meetings.'))
    comment = TextAreaField(_l('Comment'), validators=[Length(max=4000)],
                            description=_l('Only administrators can read this.'))
    teams = SelectMultipleField(_l('Teams that may use the room'), choices=[],
                                coerce=int, validate_choice=False)


@bp.route('/')
@job_centre_admin
def index():
    rooms = list(Room.select().where(Room.organisation == org_id())
                 .order_by(Room.name))
    teams: dict[int, list[str]] = {}
    for link in (RoomTeam.select(RoomTeam.room, Team.name).join(Team)
                 .where(RoomTeam.room.in_([r.id for r in rooms]))
                 .order_by(Team.name)):
        teams.setdefault(link.room_id, []).append(link.team.name)
    return render('admin/rooms/index.html', panel=ADMIN_PANEL, rooms=rooms, teams=teams)


def _save(form, room) -> bool:
    form.teams.choices = team_choices()
    # Posted team ids must be this organisation's: anything else is a 404.
    teams = scoped_rows(Team, request.form.getlist('teams'))
    valid = form.validate()
    if form.name.data and not check_unique_name(form, room):
        valid = False
    if form.allow_overbooking.data:
        if form.capacity.data is None and not form.capacity.errors:
            form.allow_overbooking.errors = [
                _('Overbooking needs a maximum capacity: enter the capacity too.')]
            valid = False
        if form.extra_seats.data is None and not form.extra_seats.errors:
            form.extra_seats.errors.append(_('Enter how many extra seats.'))
            valid = False
    elif form.extra_seats.data is not None:
        form.extra_seats.errors.append(
            _('Tick "Accept overbooking" to use extra seats, or clear this field.'))
        valid = False
    check_address(form, required=False)
    if address_errors(form):
        valid = False
    if not valid or request.args.get('check'):
        return False
    room.organisation = org_id()
    room.name = form.name.data
    room.capacity = form.capacity.data
    room.allow_overbooking = bool(form.allow_overbooking.data)
    room.extra_seats = form.extra_seats.data or 0
    room.address, room.postcode, room.city = (form.address.data, form.postcode.data,
                                              form.city.data)
    room.can_host = bool(form.can_host.data)
    room.comment = form.comment.data or ''
    try:
        with db.atomic():
            room.save()
            room.set_teams(teams)
    except IntegrityError:   # the same name saved meanwhile
        form.name.errors.append(_('Name must be unique'))
        return False
    return True


def _form_page(form, room, title):
    return render('admin/rooms/form.html', {'room-form': 'form'}, panel=ADMIN_PANEL,
                  field_block='form', form=form, room=room, title=title)


@bp.route('/new', methods=['GET', 'POST'])
@job_centre_admin
def create():
    room = Room()
    form = RoomForm()
    if request.method == 'POST':
        if _save(form, room):
            flash(_('Room %(name)s created.', name=room.name), 'success')
            return see_other('.index')
    else:
        form.teams.choices = team_choices()
    return _form_page(form, room, _('New room'))


@bp.route('/<int:room_id>/edit', methods=['GET', 'POST'])
@job_centre_admin
def edit(room_id):
    room = get_in_org(Room, room_id)
    if request.method == 'POST':
        form = RoomForm()
        if _save(form, room):
            flash(_('Room %(name)s saved.', name=room.name), 'success')
            return see_other('.index')
    else:
        form = RoomForm(obj=room)
        if not room.allow_overbooking:
            form.extra_seats.data = None
        form.teams.choices = team_choices()
        form.teams.data = [link.team_id for link in room.team_links]
    return _form_page(form, room, _('Edit room %(name)s', name=room.name))


def _blockers(room) -> list[str]:
    return meetings_blocking(
        _('%(name)s cannot be deleted while it has booked meetings that have '
          'not taken place. Rebook or cancel them first:', name=room.name),
        room.active_meetings().select(Meeting, MeetingType).join(MeetingType))


@bp.route('/<int:room_id>/delete', methods=['GET', 'POST'])
@job_centre_admin
def delete(room_id):
    room = get_in_org(Room, room_id)
    if request.method == 'POST':
        name = room.name
        if room.remove():
            flash(_('Room %(name)s deleted.', name=name), 'success')
            return see_other('.index')
        return see_other('.delete', room_id=room.id)
    return render('admin/rooms/delete.html', panel=ADMIN_PANEL, room=room, blockers=_blockers(room))
