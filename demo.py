"""Demo data for `flask --app app seed-demo` (demo passwords: demo data only)."""
from __future__ import annotations

import datetime as dt
import random

from faker import Faker

from common.validators import normalise_cpr
from models import (Caseworker, CaseworkerTeam, CitizenAbsence, CitizenProfile, ClosingDay,
                    Meeting, MeetingParticipant, MeetingType, OfferCaseworker, OnlineOffer,
                    Organisation, Pause, Qualification, Room, RoomTeam, SubstituteQualification,
                    SubstituteUnit, SummonsTemplate, Team, Unit, User, Vacancy, WorkingHours, db,
                    utcnow)
from planner import booking
from planner.loading import caseworker_inputs, organisation_closing_days
from pool import staffing
from scheduling.rules import AGE, CONTACT_GROUP, EQ, GE, Rule, RuleGroup, RuleSet
from scheduling.slots import bookable_starts
from scheduling.staffing import PRESETS, wall_range

DEMO_PASSWORD = 'demo-password'  # nosec B105  # the demo accounts' published password (README)
SEED = 20261122


def _cpr(fake: Faker, rng: random.Random) -> str:
    born = fake.date_of_birth(minimum_age=18, maximum_age=66)
    while True:
        candidate = f'{born:%d%m%y}{rng.randint(0, 9999):04d}'
        cpr = normalise_cpr(candidate)
        if cpr and not User.select().where(User.cpr == cpr).exists():
            return cpr


def _person(fake: Faker) -> str:
    """A first and last name: Faker's name() may add titles (Dr., Univ.Prof.)."""
    return f'{fake.first_name()} {fake.last_name()}'


def _staff(org, role, name, email, phone=None):
    user = User(organisation=org, role=role, name=name, email=email, phone=phone)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def seed() -> list[str]:
    """Create one job centre and one municipality; return lines to print."""
    rng = random.Random(SEED)  # nosec B311  # seeded on purpose: the same demo data every run
    dk, se = Faker('da_DK'), Faker('sv_SE')
    dk.seed_instance(SEED)
    se.seed_instance(SEED)
    with db.atomic():
        jc = Organisation.create(
            name='Jobcenter Demoby', slug='jobcenter-demoby', kind=Organisation.PLANNER,
            country='DK', timezone='Europe/Copenhagen', language='da',
            sms_sender='Jobcenter', phone='+4570100100')
        _staff(jc, User.ADMIN, 'Anne Admin', 'admin@jobcenter.demo')
        _staff(jc, User.PLANNER, 'Peter Planlægger', 'planner@jobcenter.demo')
        caseworkers = [_staff(jc, User.CASEWORKER, 'Karen Vejleder',
                              'caseworker@jobcenter.demo', '+4521100001')]
        for i in range(2, 9):
            caseworkers.append(_staff(jc, User.CASEWORKER, _person(dk),
                                      f'caseworker{i}@jobcenter.demo', f'+452110{i:04d}'))
        _planner_setup(jc, caseworkers)
        User.create(organisation=jc, role=User.CITIZEN, name='Mette Borger',
                    cpr='0101901234', phone='+4520100001',
                    email='mette.borger@example.invalid')
        for i in range(2, 41):
            User.create(organisation=jc, role=User.CITIZEN, name=_person(dk),
                        cpr=_cpr(dk, rng), phone=f'+452010{i:04d}',
                        email=f'borger{i}@example.invalid' if i % 3 else None)
        _online_offer(jc)

        pool = Organisation.create(
            name='Demoby kommun – Bemanningscentrum', slug='demoby-kommun',
            kind=Organisation.POOL, country='SE', timezone='Europe/Stockholm',
            language='sv', sms_sender='46769436000', phone='+46812345678')
        _staff(pool, User.ADMIN, 'Sara Admin', 'admin@kommun.demo')
        _staff(pool, User.PLANNER, 'Lars Planerare', 'planner@kommun.demo')
        sub = User(organisation=pool, role=User.SUBSTITUTE, name='Anna Vikarie',
                   username='anna', phone='+46701000001')
        sub.set_password(DEMO_PASSWORD)
        sub.save()
        for i in range(2, 31):
            user = User(organisation=pool, role=User.SUBSTITUTE, name=_person(se),
                        username=f'vikarie{i}', phone=f'+4670100{i:04d}')
            user.set_password(DEMO_PASSWORD)
            user.save()
    _demo_meetings(jc, rng)
    _summons_setup(jc)
    _history(jc)
    _pool_setup(pool, rng)
    return [
        f'Demo data created ({dt.date.today():%Y-%m-%d}). Password for every demo account: {DEMO_PASSWORD}',
        '  Job centre admin       admin@jobcenter.demo',
        '  Job centre planner     planner@jobcenter.demo',
        '  Caseworker             caseworker@jobcenter.demo',
        '  Citizen                CPR 010190-1234 (code by SMS: see the outbox)',
        '  Online offer           "Jobsamtale for dagpengemodtagere over 30" (the citizen above may book it)',
        '  Summons                citizens have due dates, addresses, past meetings (the one they',
        '                         met last is tried first) and some holidays; three templates',
        '  Municipality admin     admin@kommun.demo',
        '  Staffing planner       planner@kommun.demo',
        '  Substitute             username anna (code by SMS on a new device)',
    ]


def _planner_setup(jc: Organisation, users: list[User]) -> None:
    """Two teams under the job centre, hours and lunch, two rooms, holidays."""
    centre = Team.create(organisation=jc, name='Jobcenter Demoby', address='Rådhuspladsen 1',
                         postcode='8000', city='Aarhus C', phone='+4570100100')
    teams = [Team.create(organisation=jc, parent=centre, position=i, name=name,
                         address='Rådhuspladsen 1', postcode='8000', city='Aarhus C')
             for i, name in enumerate(('Dagpenge', 'Jobparate'))]
    for i, user in enumerate(users):
        initials = ''.join(part[0] for part in user.name.split())[:3].upper()
        cw = Caseworker.create(user=user, organisation=jc, initials=initials,
                               auto_share=75)
        CaseworkerTeam.create(caseworker=cw, team=teams[i % 2])
        for weekday in range(5):
            end = dt.time(14) if weekday == 4 else dt.time(15, 30)
            WorkingHours.create(caseworker=cw, weekday=weekday, start=dt.time(8, 30), end=end)
            Pause.create(caseworker=cw, weekday=weekday, start=dt.time(11, 30),
                         end=dt.time(12), label='Frokost')
    small = Room.create(organisation=jc, name='Mødelokale 1', capacity=2,
                        address='Rådhuspladsen 1, 2. sal', postcode='8000', city='Aarhus C')
    hall = Room.create(organisation=jc, name='Informationssalen', capacity=20,
                       allow_overbooking=True, extra_seats=5)
    for room in (small, hall):
        for team in teams:
            RoomTeam.create(room=room, team=team)
    this_year = dt.date.today().year
    for year in (this_year, this_year + 1):    # Danish names, as the admins' import gives
        ClosingDay.import_holidays(jc, year)


def _online_offer(jc: Organisation) -> None:
    """Citizens' profiles (contact group, markings, own caseworker), the
    rights-and-duties text and one active online offer: the Dagpenge team's
    job interviews for citizens on dagpenge aged 30 or more."""
    rng = random.Random(SEED + 4)  # nosec B311  # demo data; own seed: the rest stays as is
    dagpenge = Team.get(Team.organisation == jc, Team.name == 'Dagpenge')
    team = list(Caseworker.select().join(CaseworkerTeam)
                .where(CaseworkerTeam.team == dagpenge).order_by(Caseworker.id))
    groups = ('dagpenge', 'dagpenge', 'kontanthjaelp', 'sygedagpenge', 'uddannelseshjaelp')
    for citizen in (User.select().where(User.organisation == jc, User.role == User.CITIZEN)
                    .order_by(User.id)):
        mette = citizen.cpr == '0101901234'
        CitizenProfile.create(
            user=citizen, organisation=jc,
            contact_group='dagpenge' if mette else rng.choice(groups),
            markings='Projekt Nord' if rng.random() < 0.2 else '',
            caseworker=team[0] if mette else rng.choice(team))
    jc.rights_and_duties = (
        'Du skal møde op til samtalen på det tidspunkt, du har booket. Kan du ikke komme, '
        'skal du melde afbud eller ombooke før samtalen, eller ringe til jobcentret.\n'
        'Udebliver du uden rimelig grund, kan det få betydning for din ydelse.\n'
        'Du har ret til at tage en bisidder med til samtalen.\n'
        'Du har ret til at se de oplysninger, jobcentret har registreret om dig.')
    jc.save(only=[Organisation.rights_and_duties])
    today = jc.local(utcnow()).date()
    rules = RuleSet(groups=(RuleGroup(rules=(Rule(CONTACT_GROUP, EQ, ('dagpenge',)),
                                             Rule(AGE, GE, ('30',)))),))
    offer = OnlineOffer.create(
        organisation=jc, number=1, team=dagpenge,
        meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'),
        duration_minutes=45, reporting_minutes=15, model=OnlineOffer.TEAM_MODEL,
        title='Jobsamtale for dagpengemodtagere over 30', active=True,
        description='Book din næste jobsamtale her. Du kan vælge en bestemt vejleder '
                    'eller den første ledige.',
        bookable_from=today, earliest_meeting=today + dt.timedelta(days=1),
        end_date=today + dt.timedelta(weeks=6), rules=rules.to_json())
    OfferCaseworker.insert_many([{'offer': offer.id, 'caseworker': c.id} for c in team]).execute()


def _demo_meetings(jc: Organisation, rng: random.Random) -> None:
    """Some booked meetings in the coming two weeks (no SMS for demo data)."""
    today = jc.local(utcnow()).date()
    last = today + dt.timedelta(days=14)
    caseworkers = list(Caseworker.select().where(Caseworker.organisation == jc))
    starts = bookable_starts(caseworker_inputs(jc, caseworkers, today, last),
                             zone=jc.zone, first_day=today, last_day=last,
                             now=dt.datetime.now(dt.timezone.utc), duration_minutes=45,
                             reporting_minutes=15, grid_minutes=15,
                             organisation_closing_days=organisation_closing_days(jc, today, last))
    citizens = list(User.select().where(User.organisation == jc, User.role == User.CITIZEN))
    jobsamtale = MeetingType.get(MeetingType.code == 'jobsamtale')
    for cw in caseworkers:
        team = cw.team_links.get().team
        for start in rng.sample(starts[cw.id], min(6, len(starts[cw.id]))):
            try:
                booking.book(booking.MeetingRequest(
                    organisation=jc, team=team, meeting_type=jobsamtale, caseworker=cw,
                    starts_at=start, duration_minutes=45, reporting_minutes=15,
                    citizens=(rng.choice(citizens),)), send_notifications=False)
            except booking.BookingError:
                pass  # overlaps an earlier pick


def _summons_setup(jc: Organisation) -> None:
    """What summoning needs: due dates (Fridays) on the citizens' profiles,
    some registered holidays, one emigrated and one inactive CPR number,
    and two summons templates."""
    import json
    rng = random.Random(SEED + 5)  # nosec B311  # demo data; own seed: the rest stays as is
    today = jc.local(utcnow()).date()
    friday = today + dt.timedelta(days=(4 - today.weekday()) % 7)
    profiles = list(CitizenProfile.select().join(User)
                    .where(CitizenProfile.organisation == jc).order_by(User.id))
    for i, profile in enumerate(profiles):
        profile.due_date = friday + dt.timedelta(weeks=rng.randint(1, 8))
        if i == len(profiles) - 1:
            profile.cpr_inactive_reason = 'deceased'
        elif i == len(profiles) - 2:
            profile.cpr_inactive_reason = 'emigrated'
        profile.save()
        if rng.random() < 0.15:
            first = today + dt.timedelta(days=rng.randint(3, 30))
            CitizenAbsence.create(citizen=profile.user_id, first_day=first,
                                  last_day=first + dt.timedelta(days=rng.choice((4, 6, 13))),
                                  reason='Ferie')
    SummonsTemplate.create(organisation=jc, name='Jobsamtale 45 min', fields=json.dumps({
        'meeting_type': 'jobsamtale', 'form': 'individual', 'attendance': 'in_person',
        'duration_minutes': 45, 'reporting_minutes': 15, 'rebooking_allowed': True,
        'rebooking_days_before': 1}))
    dagpenge = Team.get(Team.organisation == jc, Team.name == 'Dagpenge')
    SummonsTemplate.create(organisation=jc, name='Online jobsamtale, Dagpenge',
                           for_online_offer=True, fields=json.dumps({
                               'meeting_type': 'jobsamtale', 'team': dagpenge.id,
                               'duration_minutes': 30, 'reporting_minutes': 10,
                               'note': 'Selvbooket via online tilbud'}))
    SummonsTemplate.create(organisation=jc, name='Informationsmøde i salen', fields=json.dumps({
        'meeting_type': 'informationsmode', 'form': 'group', 'attendance': 'in_person',
        'duration_minutes': 90, 'reporting_minutes': 0, 'rebooking_allowed': True,
        'rebooking_days_before': 2}))


AARHUS = (('8000', 'Aarhus C'), ('8200', 'Aarhus N'), ('8210', 'Aarhus V'),
          ('8220', 'Brabrand'), ('8260', 'Viby J'), ('8270', 'Højbjerg'))


def _history(jc: Organisation) -> None:
    """Each citizen's postal address (letters go there) and a held meeting
    or two in the past weeks, so a summons shows "the caseworker the
    citizen met last" at work."""
    rng = random.Random(SEED + 6)  # nosec B311  # demo data; own seed: the rest stays as is
    fake = Faker('da_DK')
    fake.seed_instance(SEED + 6)
    now = utcnow()
    jobsamtale = MeetingType.get(MeetingType.code == 'jobsamtale')
    caseworkers = list(Caseworker.select().where(Caseworker.organisation == jc)
                       .order_by(Caseworker.id))
    profiles = list(CitizenProfile.select().join(User)
                    .where(CitizenProfile.organisation == jc).order_by(User.id))
    for profile in profiles:
        profile.postcode, profile.city = rng.choice(AARHUS)
        profile.address = fake.street_address()
        profile.save(only=[CitizenProfile.address, CitizenProfile.postcode,
                           CitizenProfile.city])
        for weeks_ago in sorted(rng.sample(range(2, 16), rng.randint(1, 2)), reverse=True):
            cw = profile.caseworker if profile.caseworker_id and rng.random() < 0.7 \
                else rng.choice(caseworkers)
            today = jc.local(now).date()
            day = today - dt.timedelta(days=today.weekday() - rng.randint(0, 3), weeks=weeks_ago)
            start = dt.datetime.combine(day, dt.time(rng.randint(9, 13), rng.choice((0, 30))),
                                        tzinfo=jc.zone).astimezone(dt.timezone.utc)
            start = start.replace(tzinfo=None)
            meeting = Meeting.create(
                organisation=jc, team=cw.team_links.get().team, meeting_type=jobsamtale,
                caseworker=cw, starts_at=start, ends_at=start + dt.timedelta(minutes=45),
                status=Meeting.HELD)
            MeetingParticipant.create(meeting=meeting, citizen=profile.user_id)


def _pool_setup(pool: Organisation, rng: random.Random) -> None:
    """Units with addresses, qualifications, who is trained where, three weeks
    of availability, and a few vacancies (no SMS for demo data)."""
    area = Unit.create(organisation=pool, name='Äldreomsorg', address='Södra Torggatan 2',
                       postcode='681 31', city='Kristinehamn', phone='+4655088000')
    units = [Unit.create(organisation=pool, parent=area, position=i, name=name,
                         address=address, postcode='681 30', city='Kristinehamn')
             for i, (name, address) in enumerate((
                 ('Hemtjänst Norr', 'Storgatan 12'), ('Solgläntans äldreboende', 'Vallgatan 4'),
                 ('Kvarnbackens demensboende', 'Kvarnvägen 3')))]
    quals = [Qualification.create(organisation=pool, name=name) for name in (
        'Läkemedelsdelegering', 'Insulindelegering', 'Körkort')]
    subs = list(User.select().where(User.organisation == pool, User.role == User.SUBSTITUTE)
                .order_by(User.id))
    now = utcnow()
    today = pool.local(now).date()
    for i, sub in enumerate(subs):
        for unit in units if i == 0 else rng.sample(units, rng.randint(1, 2)):
            SubstituteUnit.create(user=sub, unit=unit)
        for qual in quals if i == 0 else [q for q in quals if rng.random() < 0.4]:
            SubstituteQualification.create(user=sub, qualification=qual)
        for offset in range(21):
            if (i, offset) == (0, 1) or rng.random() < 0.55:
                # Anna works tomorrow's day shift (booked below).
                preset = 'day' if (i, offset) == (0, 1) else rng.choice(
                    ['day', 'day', 'evening', 'night', 'whole_day'])
                start, end, next_day = PRESETS[preset]
                try:
                    staffing.add_availability(sub, today + dt.timedelta(days=offset), start,
                                              end, next_day, at=now)
                except staffing.StaffingError:
                    pass   # that time has passed today
    planner = User.get(User.organisation == pool, User.role == User.PLANNER)
    for days, unit, (start, end, next_day) in (
            (2, units[0], PRESETS['day']), (3, units[1], PRESETS['evening']),
            (4, units[2], PRESETS['night'])):
        s, e = wall_range(today + dt.timedelta(days=days), start, end, next_day, pool.zone)
        Vacancy.create(organisation=pool, unit=unit, created_by=planner,
                       starts_at=s.replace(tzinfo=None), ends_at=e.replace(tzinfo=None))
    s, e = wall_range(today + dt.timedelta(days=1), dt.time(7), dt.time(15), False, pool.zone)
    Vacancy.create(organisation=pool, unit=units[1], status=Vacancy.BOOKED, substitute=subs[0],
                   booked_at=now, booked_via=Vacancy.DIRECT, created_by=planner,
                   starts_at=s.replace(tzinfo=None), ends_at=e.replace(tzinfo=None))
