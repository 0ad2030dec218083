"""Demo data for `flask --app app seed-demo` (demo passwords: demo data only)."""
from __future__ import annotations

import datetime as dt
import random

from faker import Faker

from models import Organisation, User, db
from validators import normalise_cpr

DEMO_PASSWORD = 'demo-password'
SEED = 20261122


def _cpr(fake: Faker, rng: random.Random) -> str:
    born = fake.date_of_birth(minimum_age=18, maximum_age=66)
    while True:
        candidate = f'{born:%d%m%y}{rng.randint(0, 9999):04d}'
        cpr = normalise_cpr(candidate)
        if cpr and not User.select().where(User.cpr == cpr).exists():
            return cpr


def _staff(org, role, name, email, phone=None):
    user = User(organisation=org, role=role, name=name, email=email, phone=phone)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def seed() -> list[str]:
    """Create one job centre and one municipality; return lines to print."""
    rng = random.Random(SEED)
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
        _staff(jc, User.CASEWORKER, 'Karen Vejleder', 'caseworker@jobcenter.demo',
               '+4521100001')
        for i in range(2, 9):
            _staff(jc, User.CASEWORKER, dk.name(), f'caseworker{i}@jobcenter.demo',
                   f'+452110{i:04d}')
        User.create(organisation=jc, role=User.CITIZEN, name='Mette Borger',
                    cpr='0101901234', phone='+4520100001',
                    email='mette.borger@example.invalid')
        for i in range(2, 41):
            User.create(organisation=jc, role=User.CITIZEN, name=dk.name(),
                        cpr=_cpr(dk, rng), phone=f'+452010{i:04d}',
                        email=f'borger{i}@example.invalid' if i % 3 else None)

        pool = Organisation.create(
            name='Demoby kommun – Bemanningscentrum', slug='demoby-kommun',
            kind=Organisation.POOL, country='SE', timezone='Europe/Stockholm',
            language='sv', sms_sender='Bemanning', phone='+46812345678')
        _staff(pool, User.ADMIN, 'Sara Admin', 'admin@kommun.demo')
        _staff(pool, User.PLANNER, 'Lars Planerare', 'planner@kommun.demo')
        sub = User(organisation=pool, role=User.SUBSTITUTE, name='Anna Vikarie',
                   username='anna', phone='+46701000001')
        sub.set_password(DEMO_PASSWORD)
        sub.save()
        for i in range(2, 31):
            user = User(organisation=pool, role=User.SUBSTITUTE, name=se.name(),
                        username=f'vikarie{i}', phone=f'+4670100{i:04d}')
            user.set_password(DEMO_PASSWORD)
            user.save()
    return [
        f'Demo data created ({dt.date.today():%Y-%m-%d}). Password for every demo account: {DEMO_PASSWORD}',
        '  Job centre admin       admin@jobcenter.demo',
        '  Job centre planner     planner@jobcenter.demo',
        '  Caseworker             caseworker@jobcenter.demo',
        '  Citizen                CPR 010190-1234 (code by SMS: see the outbox)',
        '  Municipality admin     admin@kommun.demo',
        '  Staffing planner       planner@kommun.demo',
        '  Substitute             username anna (code by SMS on a new device)',
    ]
