"""A revision number of caseworkers' fixed availability (hours, pauses,
absences, closing days, reservations, team membership), raised by triggers
on every write to those tables, so that every app process can tell whether
what it has cached of them is still current."""
from peewee import *

# As models.FIXED_AVAILABILITY_TABLES was when this ran (frozen here).
TABLES = ('working_hours', 'pause', 'absence', 'closing_day', 'reserved_time',
          'caseworker_team')


def up(migrator, db):
    class PlanningRevision(Model):
        value = BigIntegerField(default=0)

        class Meta:
            database = db
            table_name = 'planning_revision'
    db.create_tables([PlanningRevision])
    PlanningRevision.insert(id=1, value=0).execute()
    if isinstance(db, PostgresqlDatabase):
        # Once per statement: a bulk write raises it once, and only staff's
        # writes to these tables wait for the row.
        db.execute_sql('CREATE FUNCTION raise_planning_revision() RETURNS trigger '
                       'LANGUAGE plpgsql AS $$ BEGIN '
                       'UPDATE planning_revision SET value = value + 1; RETURN NULL; END $$')
        for table in TABLES:
            db.execute_sql(f'CREATE TRIGGER {table}_raises_planning_revision '
                           f'AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" '
                           f'FOR EACH STATEMENT EXECUTE FUNCTION raise_planning_revision()')
    else:
        # SQLite has row triggers only.
        for table in TABLES:
            for event in ('INSERT', 'UPDATE', 'DELETE'):
                trigger = f'{table}_{event.lower()}_raises_planning_revision'
                raise_it = 'UPDATE planning_revision SET value = value + 1'
                db.execute_sql(f'CREATE TRIGGER {trigger} AFTER {event} ON "{table}" BEGIN {raise_it}; END')  # nosec B608  # names from the constants above, no input


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for table in TABLES:
            db.execute_sql(f'DROP TRIGGER IF EXISTS {table}_raises_planning_revision ON "{table}"')
        db.execute_sql('DROP FUNCTION IF EXISTS raise_planning_revision()')
    else:
        for table in TABLES:
            for event in ('insert', 'update', 'delete'):
                db.execute_sql(f'DROP TRIGGER IF EXISTS {table}_{event}_raises_planning_revision')
    migrator.migrate(migrator.drop_table('planning_revision'))
