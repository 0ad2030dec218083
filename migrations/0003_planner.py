"""Planner: teams, caseworkers, hours, pauses, absences, rooms, closing days,
meeting types (the locked system list, seeded here), variants, meetings."""
from peewee import *


SYSTEM_MEETING_TYPES = [
    ('jobsamtale', 'Jobsamtale', 'Job interview', 'Jobbsamtal'),
    ('cv_samtale', 'CV-samtale', 'CV meeting', 'CV-samtal'),
    ('informationsmode', 'Informationsmøde', 'Information meeting', 'Informationsmöte'),
    ('sygeopfolgning', 'Sygeopfølgningssamtale', 'Sickness follow-up meeting',
     'Sjukuppföljningssamtal'),
    ('kontaktsamtale', 'Kontaktsamtale', 'Contact meeting', 'Kontaktsamtal'),
]


def up(migrator, db):
    class Organisation(Model):
        class Meta:
            database = db
            table_name = 'organisation'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Caseworker(Model):
        user = ForeignKeyField(User, unique=True, on_delete='CASCADE')
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        initials = CharField(max_length=10, default='')
        work_phone = CharField(max_length=20, default='')
        can_be_summoned = BooleanField(default=True)
        comment = TextField(default='')
        max_share = IntegerField(default=100)
        auto_share = IntegerField(default=100)
        class Meta:
            database = db
            table_name = 'caseworker'
    db.create_tables([Caseworker])

    class Absence(Model):
        caseworker = ForeignKeyField(Caseworker, on_delete='CASCADE')
        starts_at = DateTimeField()
        ends_at = DateTimeField()
        reason = CharField(max_length=200, default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'absence'
            indexes = ((('caseworker', 'starts_at', 'ends_at'), False),)
    db.create_tables([Absence])

    class Competence(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        name = CharField(max_length=120)
        class Meta:
            database = db
            table_name = 'competence'
            indexes = ((('organisation', 'name'), True),)
    db.create_tables([Competence])

    class CaseworkerCompetence(Model):
        caseworker = ForeignKeyField(Caseworker, on_delete='CASCADE')
        competence = ForeignKeyField(Competence, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'caseworker_competence'
            indexes = ((('caseworker', 'competence'), True),)
    db.create_tables([CaseworkerCompetence])

    class Team(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        parent = ForeignKeyField('self', null=True, on_delete='RESTRICT')
        position = IntegerField(default=0)
        name = CharField(max_length=120)
        address = CharField(max_length=200, default='')
        postcode = CharField(max_length=10, default='')
        city = CharField(max_length=80, default='')
        email = CharField(max_length=254, default='')
        phone = CharField(max_length=20, default='')
        description = TextField(default='')
        class Meta:
            database = db
            table_name = 'team'
            indexes = ((('organisation', 'parent', 'position'), False),)
    db.create_tables([Team])

    class CaseworkerTeam(Model):
        caseworker = ForeignKeyField(Caseworker, on_delete='CASCADE')
        team = ForeignKeyField(Team, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'caseworker_team'
            indexes = ((('caseworker', 'team'), True),)
    db.create_tables([CaseworkerTeam])

    class ClosingDay(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        team = ForeignKeyField(Team, null=True, on_delete='CASCADE')
        date = DateField()
        name = CharField(max_length=120, default='')
        class Meta:
            database = db
            table_name = 'closing_day'
            indexes = ((('organisation', 'date'), False),)
    db.create_tables([ClosingDay])

    class MeetingType(Model):
        code = CharField(unique=True, max_length=40)
        name_da = CharField(max_length=80)
        name_en = CharField(max_length=80)
        name_sv = CharField(max_length=80)
        position = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'meeting_type'
    db.create_tables([MeetingType])

    class TypeVariant(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        name = CharField(max_length=120)
        class Meta:
            database = db
            table_name = 'type_variant'
            indexes = ((('organisation', 'name'), True),)
    db.create_tables([TypeVariant])

    class Room(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        name = CharField(max_length=120)
        capacity = IntegerField(null=True)
        allow_overbooking = BooleanField(default=False)
        extra_seats = IntegerField(default=0)
        address = CharField(max_length=200, default='')
        postcode = CharField(max_length=10, default='')
        city = CharField(max_length=80, default='')
        can_host = BooleanField(default=True)
        comment = TextField(default='')
        class Meta:
            database = db
            table_name = 'room'
            indexes = ((('organisation', 'name'), True),)
    db.create_tables([Room])

    class Meeting(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        team = ForeignKeyField(Team, on_delete='RESTRICT')
        meeting_type = ForeignKeyField(MeetingType, on_delete='RESTRICT')
        variant = ForeignKeyField(TypeVariant, null=True, on_delete='SET NULL')
        caseworker = ForeignKeyField(Caseworker, null=True, on_delete='RESTRICT')
        room = ForeignKeyField(Room, null=True, on_delete='RESTRICT')
        form = CharField(max_length=12, default='individual')
        attendance = CharField(max_length=12, default='in_person')
        starts_at = DateTimeField()
        ends_at = DateTimeField()
        reporting_minutes = IntegerField(default=0)
        status = CharField(max_length=12, default='booked')
        note = TextField(default='')
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'meeting'
            indexes = ((('caseworker', 'starts_at'), False), (('room', 'starts_at'), False), (('organisation', 'starts_at'), False))
    db.create_tables([Meeting])

    class MeetingParticipant(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        citizen = ForeignKeyField(User, on_delete='CASCADE')
        status = CharField(max_length=12, default='booked')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'meeting_participant'
            indexes = ((('meeting', 'citizen'), True), (('citizen', 'status'), False))
    db.create_tables([MeetingParticipant])

    class Pause(Model):
        caseworker = ForeignKeyField(Caseworker, on_delete='CASCADE')
        weekday = IntegerField()
        start = TimeField()
        end = TimeField()
        label = CharField(max_length=60, default='')
        class Meta:
            database = db
            table_name = 'pause'
            indexes = ((('caseworker', 'weekday'), False),)
    db.create_tables([Pause])

    class RoomTeam(Model):
        room = ForeignKeyField(Room, on_delete='CASCADE')
        team = ForeignKeyField(Team, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'room_team'
            indexes = ((('room', 'team'), True),)
    db.create_tables([RoomTeam])

    class SummonsTemplate(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        name = CharField(max_length=120)
        for_online_offer = BooleanField(default=False)
        fields = TextField(default='{}')
        class Meta:
            database = db
            table_name = 'summons_template'
            indexes = ((('organisation', 'name'), True),)
    db.create_tables([SummonsTemplate])

    class TypeVariantMeetingType(Model):
        variant = ForeignKeyField(TypeVariant, on_delete='CASCADE')
        meeting_type = ForeignKeyField(MeetingType, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'type_variant_meeting_type'
            indexes = ((('variant', 'meeting_type'), True),)
    db.create_tables([TypeVariantMeetingType])

    class TypeVariantTeam(Model):
        variant = ForeignKeyField(TypeVariant, on_delete='CASCADE')
        team = ForeignKeyField(Team, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'type_variant_team'
            indexes = ((('variant', 'team'), True),)
    db.create_tables([TypeVariantTeam])

    class WorkingHours(Model):
        caseworker = ForeignKeyField(Caseworker, on_delete='CASCADE')
        weekday = IntegerField()
        start = TimeField()
        end = TimeField()
        class Meta:
            database = db
            table_name = 'working_hours'
            indexes = ((('caseworker', 'weekday'), True),)
    db.create_tables([WorkingHours])

    migrator.migrate(migrator.add_column('organisation', 'display_grid_minutes', IntegerField(default=15)))

    MeetingType.insert_many([
        {'code': code, 'name_da': da, 'name_en': en, 'name_sv': sv, 'position': i}
        for i, (code, da, en, sv) in enumerate(SYSTEM_MEETING_TYPES)]).execute()


def down(migrator, db):
    migrator.migrate(migrator.drop_column('organisation', 'display_grid_minutes'))
    migrator.migrate(migrator.drop_table('working_hours'))
    migrator.migrate(migrator.drop_table('type_variant_team'))
    migrator.migrate(migrator.drop_table('type_variant_meeting_type'))
    migrator.migrate(migrator.drop_table('summons_template'))
    migrator.migrate(migrator.drop_table('room_team'))
    migrator.migrate(migrator.drop_table('pause'))
    migrator.migrate(migrator.drop_table('meeting_participant'))
    migrator.migrate(migrator.drop_table('meeting'))
    migrator.migrate(migrator.drop_table('room'))
    migrator.migrate(migrator.drop_table('type_variant'))
    migrator.migrate(migrator.drop_table('meeting_type'))
    migrator.migrate(migrator.drop_table('closing_day'))
    migrator.migrate(migrator.drop_table('caseworker_team'))
    migrator.migrate(migrator.drop_table('team'))
    migrator.migrate(migrator.drop_table('caseworker_competence'))
    migrator.migrate(migrator.drop_table('competence'))
    migrator.migrate(migrator.drop_table('absence'))
    migrator.migrate(migrator.drop_table('caseworker'))
