"""Pool: units, qualifications, substitutes' training and availability,
vacancies, shift requests, call outcomes, per-organisation settings."""
from peewee import *


def up(migrator, db):
    class Message(Model):
        class Meta:
            database = db
            table_name = 'message'

    class Organisation(Model):
        class Meta:
            database = db
            table_name = 'organisation'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Availability(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        starts_at = DateTimeField()
        ends_at = DateTimeField()
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'availability'
            indexes = ((('user', 'starts_at'), False),)
    db.create_tables([Availability])

    class Unit(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        parent = ForeignKeyField('self', null=True, on_delete='RESTRICT')
        position = IntegerField(default=0)
        name = CharField(max_length=120)
        address = CharField(max_length=200, default='')
        postcode = CharField(max_length=10, default='')
        city = CharField(max_length=80, default='')
        phone = CharField(max_length=20, default='')
        class Meta:
            database = db
            table_name = 'unit'
            indexes = ((('organisation', 'parent', 'position'), False),)
    db.create_tables([Unit])

    class Vacancy(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        unit = ForeignKeyField(Unit, on_delete='RESTRICT')
        starts_at = DateTimeField()
        ends_at = DateTimeField()
        note = TextField(default='')
        status = CharField(max_length=12, default='open')
        substitute = ForeignKeyField(User, null=True, on_delete='SET NULL')
        booked_at = DateTimeField(null=True)
        booked_via = CharField(max_length=8, default='')
        answer_deadline = DateTimeField(null=True)
        waves = IntegerField(default=0)
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        cancelled_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'vacancy'
            indexes = ((('organisation', 'starts_at'), False), (('organisation', 'status'), False), (('substitute', 'starts_at'), False))
    db.create_tables([Vacancy])

    class CallOutcome(Model):
        vacancy = ForeignKeyField(Vacancy, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        outcome = CharField(max_length=12)
        called_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        at = DateTimeField()
        class Meta:
            database = db
            table_name = 'call_outcome'
            indexes = ((('vacancy', 'at'), False), (('user', 'at'), False))
    db.create_tables([CallOutcome])

    class PoolSettings(Model):
        organisation = ForeignKeyField(Organisation, unique=True, on_delete='CASCADE')
        requests_per_wave = IntegerField(default=5)
        answer_minutes = IntegerField(default=60)
        class Meta:
            database = db
            table_name = 'pool_settings'
    db.create_tables([PoolSettings])

    class Qualification(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        name = CharField(max_length=120)
        class Meta:
            database = db
            table_name = 'qualification'
            indexes = ((('organisation', 'name'), True),)
    db.create_tables([Qualification])

    class ShiftRequest(Model):
        vacancy = ForeignKeyField(Vacancy, on_delete='CASCADE')
        user = ForeignKeyField(User, on_delete='CASCADE')
        wave = IntegerField(default=1)
        code = CharField(max_length=8)
        status = CharField(max_length=12, default='open')
        sent_at = DateTimeField()
        deadline = DateTimeField()
        answered_at = DateTimeField(null=True)
        answered_via = CharField(max_length=8, default='')
        message = ForeignKeyField(Message, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'shift_request'
            indexes = ((('vacancy', 'user'), True), (('user', 'status'), False), (('user', 'sent_at'), False))
    db.create_tables([ShiftRequest])

    class SubstituteQualification(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        qualification = ForeignKeyField(Qualification, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'substitute_qualification'
            indexes = ((('user', 'qualification'), True),)
    db.create_tables([SubstituteQualification])

    class SubstituteUnit(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        unit = ForeignKeyField(Unit, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'substitute_unit'
            indexes = ((('user', 'unit'), True),)
    db.create_tables([SubstituteUnit])

    class VacancyQualification(Model):
        vacancy = ForeignKeyField(Vacancy, on_delete='CASCADE')
        qualification = ForeignKeyField(Qualification, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'vacancy_qualification'
            indexes = ((('vacancy', 'qualification'), True),)
    db.create_tables([VacancyQualification])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('vacancy_qualification'))
    migrator.migrate(migrator.drop_table('substitute_unit'))
    migrator.migrate(migrator.drop_table('substitute_qualification'))
    migrator.migrate(migrator.drop_table('shift_request'))
    migrator.migrate(migrator.drop_table('qualification'))
    migrator.migrate(migrator.drop_table('pool_settings'))
    migrator.migrate(migrator.drop_table('call_outcome'))
    migrator.migrate(migrator.drop_table('vacancy'))
    migrator.migrate(migrator.drop_table('unit'))
    migrator.migrate(migrator.drop_table('availability'))
