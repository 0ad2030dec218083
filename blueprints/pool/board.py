"""The staffing board: units down the side, days across (a week, a month, or
one day on a phone), every vacancy as a block in its state, and per day how
many substitutes are free for a day, evening or night shift.

One page is a fixed number of queries whatever it holds: the unit tree, the
window's vacancies with their substitutes' names, and the availability
across the window (counted in `scheduling.board`).
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from flask import Blueprint, request, url_for
from flask_babel import format_date, gettext as _
from peewee import JOIN

from blueprints.pool.home import POOL_PANEL, VACANCY_STATUS, org
from blueprints.pool.me import PRESET_LABELS
from messaging import dates
from models import Availability, Qualification, Unit, User, Vacancy, VacancyQualification, db
from pool import staffing
from scheduling import board, rules, staffing as core
from scheduling.localtime import naive_utc
from web import pool_staff, render

bp = Blueprint('pool_board', __name__, url_prefix='/pool/board')

class Block(NamedTuple):
    id: int
    status: str
    time: str        # "07:00–15:00", local
    name: str        # the booked substitute's, else ''


class Day(NamedTuple):
    date: dt.date
    iso: str
    label: str
    today: bool
    weekend: bool


def _view(args, today: dt.date) -> tuple[str, dt.date]:
    """(view, its first day) from ?day=, ?month= or ?week= (the default)."""
    if args.get('day'):
        return board.DAY, board.parse_day(args['day'], today)
    if args.get('month'):
        return board.MONTH, board.parse_month(args['month'], today)
    return board.WEEK, rules.parse_week(args.get('week'), today)


def _param(view: str, first: dt.date) -> dict:
    if view == board.MONTH:
        return {'month': first.strftime('%Y-%m')}
    if view == board.DAY:
        return {'day': first.isoformat()}
    return {'week': rules.week_id(first)}


def _board_url(view: str, first: dt.date, keep: dict) -> str:
    """The board's URL for the view; `keep`: the unit and qualification chosen."""
    return url_for('.index', **_param(view, first), **{k: v for k, v in keep.items() if v})


def _units(tree: list, value: str | None) -> tuple[Unit | None, list]:
    """The chosen unit (None: all) and the rows shown: it and its sub-units."""
    chosen = next((u for u, _depth in tree if value and str(u.id) == value), None)
    if chosen is None:
        return None, tree
    start = next(i for i, (u, _depth) in enumerate(tree) if u.id == chosen.id)
    depth = tree[start][1]
    end = next((i for i in range(start + 1, len(tree)) if tree[i][1] <= depth), len(tree))
    return chosen, [(u, d - depth) for u, d in tree[start:end]]


def _blocks(unit_ids: list[int], days: list[dt.date], zone, filtered: bool,
            qualification_id: int | None) -> dict:
    """{(unit id, day): [Block]} of the shifts starting on the days."""
    start, end = board.bounds(days, zone)
    query = (Vacancy.select(Vacancy.id, Vacancy.unit, Vacancy.starts_at, Vacancy.ends_at,
                            Vacancy.status, User.name)
             .join(User, JOIN.LEFT_OUTER, on=(Vacancy.substitute == User.id))
             .where(Vacancy.organisation == org(), Vacancy.starts_at >= naive_utc(start),
                    Vacancy.starts_at < naive_utc(end))
             .order_by(Vacancy.starts_at, Vacancy.id))
    if filtered:
        query = query.where(Vacancy.unit.in_(unit_ids))
    if qualification_id:
        query = query.where(Vacancy.id.in_(VacancyQualification.select(
            VacancyQualification.vacancy).where(
            VacancyQualification.qualification == qualification_id)))
    cells: dict = {}
    for vacancy_id, unit_id, starts, ends, status, name in query.tuples():
        local_start, local_end = board.local(starts, zone), board.local(ends, zone)
        cells.setdefault((unit_id, local_start.date()), []).append(Block(
            vacancy_id, status, f'{local_start:%H:%M}–{local_end:%H:%M}',
            name if status == Vacancy.BOOKED and name else ''))
    return cells


def _counts(unit_ids: list[int], days: list[dt.date], zone, filtered: bool,
            qualification_id: int | None) -> dict:
    """Free substitutes per day and shift: available for the whole shift,
    not booked then (nor too close to a booked shift), and, with a unit or
    a qualification chosen, trained at one of the units shown and holding it."""
    first, last = board.shifts_window(days, zone)
    subs = staffing.qualified_substitutes(
        org(), unit_ids if filtered else None,
        [qualification_id] if qualification_id else ()).select(User.id)
    query = (Availability.select(Availability.user, Availability.starts_at,
                                 Availability.ends_at)
             .where(Availability.user.in_(subs), Availability.starts_at <= naive_utc(last),
                    Availability.ends_at >= naive_utc(first),
                    # No range is longer than a day (staffing.check_wall_range).
                    Availability.starts_at >= naive_utc(first - 2 * core.LONGEST_SHIFT))
             .order_by(Availability.user, Availability.starts_at))
    booked = (Vacancy.select(Vacancy.substitute, Vacancy.starts_at, Vacancy.ends_at)
              .where(Vacancy.substitute.in_(subs), Vacancy.status == Vacancy.BOOKED,
                     Vacancy.starts_at < naive_utc(last + core.REST),
                     Vacancy.ends_at > naive_utc(first - core.REST),
                     Vacancy.starts_at >= naive_utc(first - core.REST - core.LONGEST_SHIFT)))
    # Tens of thousands of rows of a few hundred distinct instants: the raw
    # rows, each instant read once (not once per row, as a model row would).
    rows, shifts = db.execute(query).fetchall(), db.execute(booked).fetchall()
    read = Availability.starts_at.python_value
    instants = {v: read(v) for v in {v for rows_ in (rows, shifts)
                                     for _user, start, end in rows_ for v in (start, end)}}
    return board.available_counts(
        ((user, instants[start], instants[end]) for user, start, end in rows), days, zone,
        booked=((user, instants[start], instants[end]) for user, start, end in shifts))


def _days(days: list[dt.date], today: dt.date, month: bool) -> list[Day]:
    return [Day(d, d.isoformat(), format_date(d, 'EEE d') if month
                else dates.text(d, 'weekday_day_month_short'), d == today, d.weekday() >= 5)
            for d in days]


def _title(view: str, first: dt.date) -> str:
    if view != board.WEEK:    # "maj 2030" and "onsdag 8 maj" begin with a capital
        text = dates.text(first, 'month_year' if view == board.MONTH else 'date_full')
        return text[:1].upper() + text[1:]
    year, week, _weekday = first.isocalendar()
    return _('Week %(week)s, %(year)s', week=week, year=year)


def _period_labels() -> dict:
    return {p: (PRESET_LABELS[p], f'{core.PRESETS[p][0]:%H}–{core.PRESETS[p][1]:%H}')
            for p in board.PERIODS}


@bp.route('/', strict_slashes=False)   # /pool/board?week=... too, without a redirect
@pool_staff
def index():
    at = staffing.now()
    staffing.expire(org(), at)
    zone = org().zone
    today = staffing.local_today(org(), at)
    view, first = _view(request.args, today)
    days = board.days_of(view, first)
    tree = Unit.tree(org())
    chosen, units = _units(tree, request.args.get('unit'))
    unit_ids = [u.id for u, _depth in units]
    qualifications = list(Qualification.select(Qualification.id, Qualification.name)
                          .where(Qualification.organisation == org())
                          .order_by(Qualification.name).tuples())
    qualification_id = request.args.get('qualification', type=int)
    if qualification_id not in dict(qualifications):
        qualification_id = None
    keep = {'unit': chosen.id if chosen else None, 'qualification': qualification_id}
    return render(
        'pool/board/index.html', panel=POOL_PANEL, view=view, first=first,
        days=_days(days, today, view == board.MONTH),
        units=units, tree=tree, chosen=keep['unit'], title=_title(view, first),
        qualifications=qualifications, qualification=qualification_id,
        cells=_blocks(unit_ids, days, zone, chosen is not None, qualification_id),
        counts=_counts(unit_ids, days, zone, chosen is not None, qualification_id),
        periods=_period_labels(),
        labels={status: str(label) for status, label in VACANCY_STATUS.items()},
        param=_param(view, first),
        prev_url=_board_url(view, board.step(view, first, -1), keep),
        next_url=_board_url(view, board.step(view, first, 1), keep),
        today_url=_board_url(view, today, keep),
        view_urls={v: _board_url(v, today if today in days else first, keep)
                   for v in (board.DAY, board.WEEK, board.MONTH)},
        day_url=lambda d: _board_url(board.DAY, d, keep),
        new_url=url_for('pool_vacancies.create'))
