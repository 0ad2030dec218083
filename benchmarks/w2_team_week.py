"""W2 (staff): the team-week calendar page of W1's team, a full HTTP request.

The W1 data (50 caseworkers, Mon-Fri 08:00-16:00 with two pauses, 10 %
absence days, 6,000 meetings over eight weeks, each with a citizen; two days a
week reserved for summons and two for self-booking) is written
to a fresh SQLite database; an admin then asks the app for one week of the
team through the Flask test client: routing, session, queries, engine and
template, as a browser would get it.
"""
from __future__ import annotations

import datetime as dt
import os

from . import DEFAULT_REPEAT, fresh_app, measure, report
from .w1_slot_search import CASEWORKERS, FIRST_DAY, HOURS, PAUSES, WEEKS, ZONE, build_workload

CITIZENS = 2000
# W1's eight weeks are moved (by whole weeks) to start next Monday, so the
# week shown lies in the future and its free times are offered.
_today = dt.date.today()
SHIFT = (_today + dt.timedelta(days=7 - _today.weekday())) - FIRST_DAY
WEEK_SHOWN = FIRST_DAY + SHIFT + dt.timedelta(weeks=3)


def _populate(workload, shift: dt.timedelta = SHIFT) -> tuple[int, str]:
    """Write the W1 data moved by `shift`; return (team id, admin session token)."""
    from models import (Absence, Caseworker, CaseworkerTeam, Meeting, MeetingParticipant,
                        MeetingType, Organisation, Pause, ReservedTime, Team, User, UserSession,
                        WorkingHours, db)
    with db.atomic():
        org = Organisation.create(name='Jobcenter Bench', slug='bench', kind='planner',
                                  country='DK', timezone=str(ZONE), language='da',
                                  sms_sender='Jobcenter')
        team = Team.create(organisation=org, name='Dagpenge')
        admin = User.create(organisation=org, role=User.ADMIN, name='Admin',
                            email='admin@bench.test')
        User.insert_many([dict(organisation=org.id, role=User.CASEWORKER,
                               name=f'Vejleder {i:02d}', email=f'cw{i}@bench.test')
                          for i in range(CASEWORKERS)]).execute()
        users = list(User.select().where(User.role == User.CASEWORKER).order_by(User.id))
        Caseworker.insert_many([dict(user=u.id, organisation=org.id, initials=f'V{i:02d}')
                                for i, u in enumerate(users)]).execute()
        caseworkers = list(Caseworker.select().order_by(Caseworker.id))
        CaseworkerTeam.insert_many([dict(caseworker=c.id, team=team.id)
                                    for c in caseworkers]).execute()
        WorkingHours.insert_many([dict(caseworker=c.id, weekday=d, start=HOURS[0], end=HOURS[1])
                                  for c in caseworkers for d in range(5)]).execute()
        Pause.insert_many([dict(caseworker=c.id, weekday=d, start=s, end=e, label='Pause')
                           for c in caseworkers for d in range(5) for s, e in PAUSES]).execute()
        for cw_input in workload['caseworkers']:
            cw = caseworkers[cw_input.caseworker_id]
            if cw_input.absences:
                Absence.insert_many([dict(caseworker=cw.id, starts_at=s + shift,
                                          ends_at=e + shift)
                                     for s, e in cw_input.absences]).execute()
        User.insert_many([dict(organisation=org.id, role=User.CITIZEN, name=f'Borger {i}',
                               cpr=f'{1 + i % 28:02d}{1 + i % 12:02d}80{i:04d}')
                          for i in range(CITIZENS)]).execute()
        citizen_ids = [u.id for u in User.select(User.id).where(User.role == User.CITIZEN)]
        kind = MeetingType.get(MeetingType.code == 'jobsamtale')
        rows = [dict(organisation=org.id, team=team.id, meeting_type=kind.id,
                     caseworker=caseworkers[c.caseworker_id].id, starts_at=m.start + shift,
                     ends_at=m.end + shift, reporting_minutes=m.reporting_minutes)
                for c in workload['caseworkers'] for m in c.meetings]
        for i in range(0, len(rows), 500):
            Meeting.insert_many(rows[i:i + 500]).execute()
        meeting_ids = [m.id for m in Meeting.select(Meeting.id).order_by(Meeting.id)]
        participants = [dict(meeting=mid, citizen=citizen_ids[i % len(citizen_ids)])
                        for i, mid in enumerate(meeting_ids)]
        for i in range(0, len(participants), 500):
            MeetingParticipant.insert_many(participants[i:i + 500]).execute()
        # The job centre of the Planner deck: two days a week for summons,
        # two for self-booking (each cell of those days carries a mark).
        ReservedTime.insert_many([dict(organisation=org.id, team=team.id, weekday=day,
                                       purpose=purpose)
                                  for day, purpose in ((0, ReservedTime.SUMMONS),
                                                       (1, ReservedTime.SUMMONS),
                                                       (3, ReservedTime.SELF_BOOKING),
                                                       (4, ReservedTime.SELF_BOOKING))]).execute()
        token = UserSession.open(admin)
    return team.id, token


def run(repeat: int = DEFAULT_REPEAT) -> str:
    app = fresh_app()
    from models import Meeting, db

    with app.app_context():
        db.connect(reuse_if_open=True)
        team_id, token = _populate(build_workload())
        meetings = Meeting.select().count()
        db.close()
    client = app.test_client()
    with client.session_transaction() as session:
        session['_user_id'] = token
    year, week, _ = WEEK_SHOWN.isocalendar()
    url = f'/calendar/team/{team_id}?week={year}-W{week:02d}'

    def request():
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response

    if os.environ.get('PROFILE'):
        import cProfile
        cProfile.runctx('for _ in range(5): request()', globals(), locals(),
                        sort='cumulative')
    median_ms, response = measure(request, repeat=repeat)
    return report('W2', median_ms, page='staff_team_week', caseworkers=CASEWORKERS,
                  weeks_of_data=WEEKS, meetings=meetings, bytes=len(response.data))
