"""W3 bulk summons: 2,000 citizens with deadlines, 25 caseworkers, 12 weeks.

One team of 25 caseworkers, Mon-Fri 08:00-16:00 local with two pauses, an
auto-booking share of 75 %, about 3,000 existing meetings and a few absence
days; 2,000 citizens whose due dates (Fridays) spread over the twelve weeks,
some with a caseworker they met before and some with days away. Individual
45-minute meetings with 15 minutes of reporting, distributed automatically.

Two figures:

* `distribute_ms`: the pure distribution (`scheduling.distribution.distribute`
  on plain data; the twelve weeks include the spring DST change, instants are
  naive UTC as they come out of the database).
* `median_ms`: the whole summons through `summons`, distributed and written
  to the database: a fresh copy of a SQLite database holding the same data
  (moved to start next Monday), then `new_draft` -> `add_citizens` ->
  `propose` -> `summon` (meetings, participants, an SMS and an e-mail row
  per citizen, calendar sync rows; the Huey tasks are only enqueued).
  `draft_ms`, `propose_ms` and `summon_ms` split it.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import statistics
import tempfile
import time
from zoneinfo import ZoneInfo

from scheduling.availability import (AvailabilityCalendar, BookedMeeting,
                                     CaseworkerAvailabilityInput, WeeklySchedule)
from scheduling.distribution import CitizenToPlace, distribute

from . import DEFAULT_REPEAT, measure, report

ZONE = ZoneInfo('Europe/Copenhagen')
FIRST_DAY = dt.date(2026, 3, 2)   # a Monday
WEEKS = 12
CASEWORKERS = 25
CITIZENS = 2000
MEETINGS_PER_DAY = 2              # existing meetings per caseworker and working day
ABSENCE_SHARE = 0.05
AUTO_SHARE = 75
LAST_MET_SHARE = 0.3              # citizens who met one of the caseworkers before
AWAY_SHARE = 0.1                  # citizens with a few days away
HOURS = (dt.time(8), dt.time(16))
PAUSES = ((dt.time(10), dt.time(10, 15)), (dt.time(12), dt.time(12, 30)))
DURATION, REPORTING = 45, 15
NOW = dt.datetime(2026, 2, 27, 12, 0, tzinfo=dt.timezone.utc)


def _naive_utc(day: dt.date, minute_of_day: int) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(), tzinfo=ZONE) + dt.timedelta(minutes=minute_of_day)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def working_days(first_day: dt.date = FIRST_DAY) -> list[dt.date]:
    return [first_day + dt.timedelta(days=i) for i in range(WEEKS * 7)
            if (first_day + dt.timedelta(days=i)).weekday() < 5]


def build_workload(seed: int = 3, first_day: dt.date = FIRST_DAY) -> dict:
    """The W3 caseworkers and citizens, deterministic for a seed.

    Caseworker ids are 0..24 (in name order), citizen ids 0..1999."""
    rng = random.Random(seed)
    last_day = first_day + dt.timedelta(weeks=WEEKS, days=-1)
    workdays = working_days(first_day)
    schedule = WeeklySchedule.for_weekdays(range(5), [HOURS], PAUSES)
    day_start, day_end = HOURS[0].hour * 60, HOURS[1].hour * 60
    pauses = [(s.hour * 60 + s.minute, e.hour * 60 + e.minute) for s, e in PAUSES]

    caseworkers = []
    for cw in range(CASEWORKERS):
        absent = {day for day in workdays if rng.random() < ABSENCE_SHARE}
        meetings = []
        for day in workdays:
            if day in absent:
                continue
            taken = list(pauses)
            placed = 0
            while placed < MEETINGS_PER_DAY:
                start = day_start + 15 * rng.randrange((day_end - day_start - 60) // 15 + 1)
                end = start + DURATION + REPORTING
                if any(start < t_end and t_start < end for t_start, t_end in taken):
                    continue
                taken.append((start, end))
                meetings.append(BookedMeeting(_naive_utc(day, start),
                                              _naive_utc(day, start + DURATION), REPORTING))
                placed += 1
        caseworkers.append(CaseworkerAvailabilityInput(
            caseworker_id=cw, schedule=schedule,
            absences=[(_naive_utc(day, 0), _naive_utc(day + dt.timedelta(days=1), 0))
                      for day in sorted(absent)],
            meetings=sorted(meetings, key=lambda m: m.start), auto_share_percent=AUTO_SHARE))

    fridays = [day for day in workdays if day.weekday() == 4]
    citizens = []
    for cid in range(CITIZENS):
        due = rng.choice(fridays)
        away = frozenset()
        if rng.random() < AWAY_SHARE:
            first_away = rng.choice(workdays)
            away = frozenset(first_away + dt.timedelta(days=i) for i in range(rng.randint(1, 10)))
        citizens.append(CitizenToPlace(
            citizen_id=cid, earliest=first_day, deadline=due,
            last_caseworker_id=(rng.randrange(CASEWORKERS) if rng.random() < LAST_MET_SHARE
                                else None),
            absent_days=away))
    return dict(citizens=citizens, caseworkers=caseworkers, first_day=first_day,
                last_day=last_day, now=NOW)


def distribute_workload(workload: dict):
    """One pure distribution of the workload (a fresh calendar each time)."""
    calendar = AvailabilityCalendar(ZONE, workload['first_day'], workload['last_day'])
    return distribute(workload['citizens'], workload['caseworkers'], calendar=calendar,
                      now=workload['now'], duration_minutes=DURATION,
                      reporting_minutes=REPORTING)


def run(repeat: int = DEFAULT_REPEAT) -> str:
    workload = build_workload()
    distribute_ms, result = measure(lambda: distribute_workload(workload), repeat=repeat)
    late = sum(p.late for p in result.placements)
    meetings = sum(len(c.meetings) for c in workload['caseworkers'])
    full = full_path(repeat=max(3, min(repeat, 5)))
    return report('W3', full['total_ms'], citizens=len(workload['citizens']),
                  caseworkers=len(workload['caseworkers']), weeks=WEEKS, meetings=meetings,
                  placed=len(result.placements), late=late, unplaced=len(result.unplaced),
                  distribute_ms=f'{distribute_ms:.2f}', summoned=full['meetings'],
                  pending=full['pending'], draft_ms=f'{full["draft_ms"]:.2f}',
                  propose_ms=f'{full["propose_ms"]:.2f}', summon_ms=f'{full["summon_ms"]:.2f}')


# --- the whole summons through the database -------------------------------------------

def _next_monday() -> dt.date:
    today = dt.datetime.now(ZONE).date()
    return today + dt.timedelta(days=7 - today.weekday())


def cpr_number(n: int) -> str:
    """A valid Danish CPR number (a real birth date 1960-1999), unique per n < 13,440."""
    day, month, year = 1 + n % 28, 1 + (n // 28) % 12, 60 + (n // 336) % 40
    return f'{day:02d}{month:02d}{year:02d}{n % 4000:04d}'


def _populate(workload: dict):
    """Write the workload: returns (organisation id, planner id, frame)."""
    from models import (Absence, Caseworker, CaseworkerTeam, CitizenAbsence, CitizenProfile,
                        Meeting, MeetingParticipant, MeetingType, Organisation, Pause, Team, User,
                        WorkingHours, db)
    from planner import summons

    def chunks(rows, size=500):
        for i in range(0, len(rows), size):
            yield rows[i:i + size]

    first_day = workload['first_day']
    with db.atomic():
        org = Organisation.create(name='Jobcenter Bench', slug='bench-w3', kind='planner',
                                  country='DK', timezone=str(ZONE), language='da',
                                  sms_sender='Jobcenter')
        team = Team.create(organisation=org, name='Dagpenge', address='Jobvej 1',
                           postcode='8000', city='Aarhus C')
        planner = User.create(organisation=org, role=User.PLANNER, name='Pia Planlægger',
                              email='planner@bench-w3.test')
        User.insert_many([dict(organisation=org.id, role=User.CASEWORKER,
                               name=f'Vejleder {i:02d}', email=f'cw{i}@bench-w3.test')
                          for i in range(CASEWORKERS)]).execute()
        users = list(User.select().where(User.organisation == org, User.role == User.CASEWORKER)
                     .order_by(User.name))
        Caseworker.insert_many([dict(user=u.id, organisation=org.id, initials=f'V{i:02d}',
                                     auto_share=AUTO_SHARE)
                                for i, u in enumerate(users)]).execute()
        staff = list(Caseworker.select().join(User).where(Caseworker.organisation == org)
                     .order_by(User.name))
        CaseworkerTeam.insert_many([dict(caseworker=c.id, team=team.id) for c in staff]).execute()
        WorkingHours.insert_many([dict(caseworker=c.id, weekday=d, start=HOURS[0], end=HOURS[1])
                                  for c in staff for d in range(5)]).execute()
        Pause.insert_many([dict(caseworker=c.id, weekday=d, start=s, end=e, label='Pause')
                           for c in staff for d in range(5) for s, e in PAUSES]).execute()
        for rows in chunks([dict(caseworker=staff[c.caseworker_id].id, starts_at=s, ends_at=e)
                            for c in workload['caseworkers'] for s, e in c.absences]):
            Absence.insert_many(rows).execute()

        for rows in chunks([dict(organisation=org.id, role=User.CITIZEN, name=f'Borger {i:04d}',
                                 cpr=cpr_number(i), phone=f'+4520{i:06d}',
                                 email=f'borger{i}@bench-w3.test', language='da')
                            for i in range(len(workload['citizens']))]):
            User.insert_many(rows).execute()
        citizens = list(User.select(User.id).where(User.organisation == org,
                                                   User.role == User.CITIZEN).order_by(User.id))
        people = dict(zip((c.citizen_id for c in workload['citizens']),
                          (u.id for u in citizens)))
        due = {c.citizen_id: c.deadline for c in workload['citizens']}
        for rows in chunks([dict(user=uid, organisation=org.id, contact_group='dagpenge',
                                 due_date=due[cid]) for cid, uid in people.items()]):
            CitizenProfile.insert_many(rows).execute()
        away = []
        for c in workload['citizens']:
            if c.absent_days:
                away.append(dict(citizen=people[c.citizen_id], first_day=min(c.absent_days),
                                 last_day=max(c.absent_days), reason='Ferie'))
        for rows in chunks(away):
            CitizenAbsence.insert_many(rows).execute()

        kind = MeetingType.get(MeetingType.code == 'jobsamtale')
        meeting_rows = [dict(organisation=org.id, team=team.id, meeting_type=kind.id,
                             caseworker=staff[c.caseworker_id].id, starts_at=m.start,
                             ends_at=m.end, reporting_minutes=m.reporting_minutes)
                        for c in workload['caseworkers'] for m in c.meetings]
        attendees = [people[i % len(people)] for i in range(len(meeting_rows))]
        # The caseworker each citizen met before: a meeting two weeks back.
        met = dt.datetime.combine(first_day - dt.timedelta(days=14), dt.time(9), tzinfo=ZONE)
        met = met.astimezone(dt.timezone.utc).replace(tzinfo=None)
        for c in workload['citizens']:
            if c.last_caseworker_id is not None:
                meeting_rows.append(dict(
                    organisation=org.id, team=team.id, meeting_type=kind.id,
                    caseworker=staff[c.last_caseworker_id].id, starts_at=met,
                    ends_at=met + dt.timedelta(minutes=DURATION), reporting_minutes=0))
                attendees.append(people[c.citizen_id])
        ids = []
        for rows in chunks(meeting_rows):
            ids += [row[0] for row in Meeting.insert_many(rows).returning(Meeting.id)
                    .tuples().execute()]
        for rows in chunks([dict(meeting=mid, citizen=uid) for mid, uid in zip(ids, attendees)]):
            MeetingParticipant.insert_many(rows).execute()

    frame = summons.SummonsFrame(meeting_type_id=kind.id, team_id=team.id,
                                 caseworker_ids=[c.id for c in staff],
                                 duration_minutes=DURATION, reporting_minutes=REPORTING,
                                 earliest_date=first_day, deadline_mode=summons.DEADLINE_DUE)
    return org.id, planner.id, frame


def _summon_all(org_id: int, planner_id: int, frame, now: dt.datetime) -> dict:
    """One whole summons; the time of each step in milliseconds."""
    from models import Organisation, User
    from planner import summons
    timings = {}
    started = time.perf_counter()
    org = Organisation.get_by_id(org_id)
    planner = User.get_by_id(planner_id)
    citizens = list(User.select().where(User.organisation == org_id, User.role == User.CITIZEN)
                    .order_by(User.id))
    draft = summons.new_draft(org, planner, frame)
    added, _already = summons.add_citizens(draft, [(c, None) for c in citizens], now=now)
    assert added == len(citizens)
    timings['draft_ms'] = (time.perf_counter() - started) * 1000
    mark = time.perf_counter()
    proposal = summons.propose(draft, now)
    timings['propose_ms'] = (time.perf_counter() - mark) * 1000
    mark = time.perf_counter()
    result = summons.summon(draft, planner, now)
    timings['summon_ms'] = (time.perf_counter() - mark) * 1000
    timings['total_ms'] = (time.perf_counter() - started) * 1000
    assert not result.failed and result.meetings == proposal.placed, (proposal, result)
    assert result.pending == proposal.unplaced
    timings.update(meetings=result.meetings, pending=result.pending)
    return timings


def full_path(repeat: int = 3) -> dict:
    """Median timings of the whole summons, each run on a fresh copy of the
    database (the first run, untimed, warms up)."""
    folder = tempfile.mkdtemp(prefix='planpool-bench-')
    os.environ.setdefault('PLANPOOL_INSTANCE', folder)
    from app import create_app
    from migrations import upgrade
    from models import db, make_database

    original = os.path.join(folder, 'w3.sqlite3')
    app = create_app({'DATABASE_URL': f'sqlite:///{original}', 'RATELIMIT_ENABLED': False,
                      'CALDAV_URL': 'http://127.0.0.1:5232/'})
    first_day = _next_monday()
    workload = build_workload(first_day=first_day)
    now = dt.datetime.now(dt.timezone.utc)
    runs = []
    with app.app_context():
        db.connect(reuse_if_open=True)
        upgrade()
        org_id, planner_id, frame = _populate(workload)
        db.close()
        for attempt in range(repeat + 1):
            copy = os.path.join(folder, f'w3-run{attempt}.sqlite3')
            shutil.copyfile(original, copy)
            db.initialize(make_database(f'sqlite:///{copy}'))
            db.connect()
            if os.environ.get('PROFILE') and attempt == 1:
                import cProfile
                import pstats
                profile = cProfile.Profile()
                timings = profile.runcall(_summon_all, org_id, planner_id, frame, now)
                pstats.Stats(profile).sort_stats('cumulative').print_stats(40)
            else:
                timings = _summon_all(org_id, planner_id, frame, now)
            db.close()
            os.remove(copy)
            if attempt:
                runs.append(timings)
        db.initialize(make_database(f'sqlite:///{original}'))
    result = {key: statistics.median(r[key] for r in runs)
              for key in ('draft_ms', 'propose_ms', 'summon_ms', 'total_ms')}
    result.update(meetings=runs[-1]['meetings'], pending=runs[-1]['pending'])
    return result
