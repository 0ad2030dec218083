"""Planner: summons drafts, the pending list, calendar sync rows, group
meetings with several caseworkers, citizens' absences and CPR status, and
the meeting a notice is about."""
from peewee import *


def up(migrator, db):
    class Caseworker(Model):
        class Meta:
            database = db
            table_name = 'caseworker'

    class Meeting(Model):
        class Meta:
            database = db
            table_name = 'meeting'

    class MeetingType(Model):
        class Meta:
            database = db
            table_name = 'meeting_type'

    class Organisation(Model):
        class Meta:
            database = db
            table_name = 'organisation'

    class Team(Model):
        class Meta:
            database = db
            table_name = 'team'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class CalendarSync(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        caseworker = ForeignKeyField(Caseworker, on_delete='CASCADE')
        status = CharField(index=True, max_length=12, default='queued')
        wanted_revision = IntegerField(default=0)
        synced_revision = IntegerField(null=True)
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(null=True)
        last_error = TextField(default='')
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'calendar_sync'
            indexes = ((('meeting', 'caseworker'), True), (('status', 'next_attempt_at'), False))
    db.create_tables([CalendarSync])

    class CitizenAbsence(Model):
        citizen = ForeignKeyField(User, on_delete='CASCADE')
        first_day = DateField()
        last_day = DateField()
        reason = CharField(max_length=200, default='')
        class Meta:
            database = db
            table_name = 'citizen_absence'
            indexes = ((('citizen', 'first_day'), False),)
    db.create_tables([CitizenAbsence])

    class MeetingCaseworker(Model):
        meeting = ForeignKeyField(Meeting, on_delete='CASCADE')
        caseworker = ForeignKeyField(Caseworker, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'meeting_caseworker'
            indexes = ((('meeting', 'caseworker'), True),)
    db.create_tables([MeetingCaseworker])

    class PendingSummons(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        citizen = ForeignKeyField(User, on_delete='CASCADE')
        team = ForeignKeyField(Team, null=True, on_delete='SET NULL')
        meeting_type = ForeignKeyField(MeetingType, null=True, on_delete='SET NULL')
        frame = TextField(default='{}')
        earliest = DateField(null=True)
        deadline = DateField(null=True)
        reason = CharField(max_length=12, default='unticked')
        error = TextField(default='')
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'pending_summons'
    db.create_tables([PendingSummons])

    class SummonsDraft(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        created_by = ForeignKeyField(User, on_delete='CASCADE')
        frame = TextField(default='{}')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'summons_draft'
    db.create_tables([SummonsDraft])

    class SummonsDraftCitizen(Model):
        draft = ForeignKeyField(SummonsDraft, on_delete='CASCADE')
        citizen = ForeignKeyField(User, on_delete='CASCADE')
        position = IntegerField(default=0)
        selected = BooleanField(default=True)
        earliest = DateField(null=True)
        due_date = DateField(null=True)
        deadline = DateField(null=True)
        deadline_by_hand = BooleanField(default=False)
        proposed_start = DateTimeField(null=True)
        proposed_caseworker = ForeignKeyField(Caseworker, null=True, on_delete='SET NULL')
        proposed_group = IntegerField(null=True)
        late = BooleanField(default=False)
        problem = CharField(max_length=300, default='')
        in_review = BooleanField(default=True)
        pending = ForeignKeyField(PendingSummons, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'summons_draft_citizen'
            indexes = ((('draft', 'citizen'), True),)
    db.create_tables([SummonsDraftCitizen])

    migrator.migrate(migrator.add_column('caseworker', 'calendar_url', CharField(max_length=300, default='')))
    migrator.migrate(migrator.add_column('caseworker', 'feed_token', CharField(unique=True, null=True, max_length=64)))
    migrator.migrate(migrator.add_column('meeting', 'summoned_at', DateTimeField(null=True)))
    migrator.migrate(migrator.add_column('meeting', 'late', BooleanField(default=False)))
    migrator.migrate(migrator.add_column('meeting', 'seats', IntegerField(null=True)))
    migrator.migrate(migrator.add_column('meeting', 'rebooking_seats', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('citizen_profile', 'cpr_inactive_reason', CharField(max_length=40, default='')))
    migrator.migrate(migrator.add_column('citizen_profile', 'due_date', DateField(null=True)))
    migrator.migrate(migrator.add_column('meeting_participant', 'letter_printed_at', DateTimeField(null=True)))
    migrator.migrate(migrator.add_column('message', 'meeting_id', ForeignKeyField(Meeting, field=Meeting.id, null=True, on_delete='SET NULL')))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('message', 'message_meeting_id'))
    migrator.migrate(migrator.drop_index('caseworker', 'caseworker_feed_token'))
    migrator.migrate(migrator.drop_column('message', 'meeting_id'))
    migrator.migrate(migrator.drop_column('meeting_participant', 'letter_printed_at'))
    migrator.migrate(migrator.drop_column('citizen_profile', 'due_date'))
    migrator.migrate(migrator.drop_column('citizen_profile', 'cpr_inactive_reason'))
    migrator.migrate(migrator.drop_column('meeting', 'rebooking_seats'))
    migrator.migrate(migrator.drop_column('meeting', 'seats'))
    migrator.migrate(migrator.drop_column('meeting', 'late'))
    migrator.migrate(migrator.drop_column('meeting', 'summoned_at'))
    migrator.migrate(migrator.drop_column('caseworker', 'feed_token'))
    migrator.migrate(migrator.drop_column('caseworker', 'calendar_url'))
    migrator.migrate(migrator.drop_table('summons_draft_citizen'))
    migrator.migrate(migrator.drop_table('summons_draft'))
    migrator.migrate(migrator.drop_table('pending_summons'))
    migrator.migrate(migrator.drop_table('meeting_caseworker'))
    migrator.migrate(migrator.drop_table('citizen_absence'))
    migrator.migrate(migrator.drop_table('calendar_sync'))
