"""W1 with the database (`scope=with_db`): W1's question asked the way the
pages ask it.

The same 50 caseworkers, eight weeks, 6,000 meetings, pauses and absence
days as W1, written to SQLite as W2 writes them but on W1's own dates (so
the search finds exactly W1's starts); timed: loading the team's engine input through
`planner.loading.caseworker_inputs` (the loader every page uses) plus every
bookable start of the eight weeks (`scheduling.slots.starts_in_calendar`).
This is the scope of a peer's figure that includes its own queries; W1
alone is the engine on data already in memory.
"""
from __future__ import annotations

import datetime as dt

from . import DEFAULT_REPEAT, fresh_app, measure, report
from .w1_slot_search import (CASEWORKERS, DURATION, FIRST_DAY, GRID, NOW, REPORTING, WEEKS,
                             build_workload)
from .w2_team_week import _populate


def run(repeat: int = DEFAULT_REPEAT) -> str:
    app = fresh_app()
    from models import Caseworker, Meeting, Organisation, Team, db
    from planner.loading import caseworker_inputs, organisation_closing_days
    from scheduling.availability import AvailabilityCalendar
    from scheduling.slots import starts_in_calendar

    first_day, last_day = FIRST_DAY, FIRST_DAY + dt.timedelta(weeks=WEEKS, days=-1)
    with app.app_context():
        db.connect(reuse_if_open=True)
        team_id, _admin = _populate(build_workload(), shift=dt.timedelta(0))
        meetings = Meeting.select().count()
        team = Team.get_by_id(team_id)
        org = Organisation.get_by_id(team.organisation_id)
        caseworkers = list(Caseworker.select().where(Caseworker.organisation == org)
                           .order_by(Caseworker.id))

        def search():
            calendar = AvailabilityCalendar(
                org.zone, first_day, last_day,
                organisation_closing_days(org, first_day, last_day))
            inputs = caseworker_inputs(org, caseworkers, first_day, last_day, team=team)
            return starts_in_calendar(calendar, inputs, now=NOW, duration_minutes=DURATION,
                                      reporting_minutes=REPORTING, grid_minutes=GRID)

        median_ms, result = measure(search, repeat=repeat)
        db.close()
    starts = sum(len(s) for s in result.values())
    return report('W1', median_ms, scope='with_db', caseworkers=CASEWORKERS, weeks=WEEKS,
                  meetings=meetings, starts=starts)
