"""Schema migrations: an old database upgrades without losing rows, and the
migrations produce exactly the schema the models describe."""
import datetime as dt

import pytest
from playhouse.schema_diff import diff_models

from migrations import runner
from models import ALL_MODELS, Organisation, User, db, make_database


@pytest.fixture
def empty_database(tmp_path):
    from tests.conftest import ON_POSTGRES
    if ON_POSTGRES:
        pytest.skip('uses a scratch SQLite file; the PostgreSQL run migrates its template')
    url = f'sqlite:///{tmp_path / "old.sqlite3"}'
    db.initialize(make_database(url))
    db.connect()
    yield url
    db.close()


def test_upgrade_from_the_first_migration_keeps_rows(empty_database):
    migrations = [m.name for m in runner().status()]
    assert len(migrations) >= 2
    runner().up(target=migrations[0])
    # Rows written by an installation that only had the first migration.
    db.execute_sql(
        "INSERT INTO organisation (name, slug, kind, country, timezone, language,"
        " sms_sender, phone, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ('Jobcenter Gammel', 'gammel', 'planner', 'DK', 'Europe/Copenhagen', 'da',
         'Jobcenter', '', dt.datetime(2026, 1, 5)))
    db.execute_sql(
        'INSERT INTO "user" (organisation_id, role, name, email, active, created_at)'
        " VALUES (1, 'admin', 'Old Admin', 'old@example.test', 1, ?)",
        (dt.datetime(2026, 1, 5),))

    applied = runner().up()
    assert applied == migrations[1:]

    org = Organisation.get(Organisation.slug == 'gammel')
    admin = User.get(User.email == 'old@example.test')
    assert admin.organisation_id == org.id and admin.name == 'Old Admin'
    assert all(m.applied for m in runner().status())
    assert runner().up() == []  # idempotent


def test_migrations_match_the_models(empty_database):
    runner().up()
    # A model change without a migration makes this diff non-empty.
    assert not diff_models(db.obj, ALL_MODELS)


def test_db_upgrade_command(app, runner):
    result = runner.invoke(args=['db', 'upgrade'])
    assert result.exit_code == 0, result.output
    assert 'up to date' in result.output
    status = runner.invoke(args=['db', 'status'])
    assert '[x] 0001_people' in status.output
