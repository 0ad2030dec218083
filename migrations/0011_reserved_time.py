"""Time reserved for summons only or for citizens' self-booking only."""
from peewee import *


def up(migrator, db):
    class Organisation(Model):
        class Meta:
            database = db
            table_name = 'organisation'

    class Team(Model):
        class Meta:
            database = db
            table_name = 'team'

    class Caseworker(Model):
        class Meta:
            database = db
            table_name = 'caseworker'

    class ReservedTime(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        team = ForeignKeyField(Team, null=True, on_delete='CASCADE')
        caseworker = ForeignKeyField(Caseworker, null=True, on_delete='CASCADE')
        purpose = CharField(max_length=16)
        weekday = IntegerField(null=True)
        first_day = DateField(null=True)
        last_day = DateField(null=True)
        start = TimeField(null=True)
        end = TimeField(null=True)

        class Meta:
            database = db
            table_name = 'reserved_time'
            indexes = ((('organisation', 'team'), False), (('organisation', 'caseworker'), False))
    db.create_tables([ReservedTime])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('reserved_time'))
