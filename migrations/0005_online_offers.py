"""Planner: online offers with their caseworkers, citizens' profiles for
target-group rules, the rights-and-duties text, and what each meeting's
citizen may do (fixed when booked)."""
from peewee import *


def up(migrator, db):
    class Caseworker(Model):
        class Meta:
            database = db
            table_name = 'caseworker'

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

    class TypeVariant(Model):
        class Meta:
            database = db
            table_name = 'type_variant'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class CitizenProfile(Model):
        user = ForeignKeyField(User, unique=True, on_delete='CASCADE')
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        contact_group = CharField(max_length=40, default='')
        markings = TextField(default='')
        caseworker = ForeignKeyField(Caseworker, null=True, on_delete='SET NULL')
        class Meta:
            database = db
            table_name = 'citizen_profile'
    db.create_tables([CitizenProfile])

    class OnlineOffer(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        number = IntegerField(null=True)
        team = ForeignKeyField(Team, on_delete='CASCADE')
        meeting_type = ForeignKeyField(MeetingType, on_delete='RESTRICT')
        variant = ForeignKeyField(TypeVariant, null=True, on_delete='SET NULL')
        duration_minutes = IntegerField(default=45)
        reporting_minutes = IntegerField(default=0)
        note = TextField(default='')
        model = CharField(max_length=8, default='team')
        title = CharField(max_length=200, default='')
        active = BooleanField(default=False)
        description = TextField(default='')
        show_caseworker = BooleanField(default=True)
        bookable_from = DateField(null=True)
        earliest_meeting = DateField(null=True)
        end_date = DateField(null=True)
        allow_cancel = BooleanField(default=True)
        allow_rebook = BooleanField(default=True)
        rebook_days_before = IntegerField(default=1)
        rules = TextField(default='')
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL')
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'online_offer'
            indexes = ((('organisation', 'number'), True),)
    db.create_tables([OnlineOffer])

    class OfferCaseworker(Model):
        offer = ForeignKeyField(OnlineOffer, on_delete='CASCADE')
        caseworker = ForeignKeyField(Caseworker, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'offer_caseworker'
            indexes = ((('offer', 'caseworker'), True),)
    db.create_tables([OfferCaseworker])

    migrator.migrate(migrator.add_column('organisation', 'rights_and_duties', TextField(default='')))
    migrator.migrate(migrator.add_column('meeting', 'citizen_can_cancel', BooleanField(default=False)))
    migrator.migrate(migrator.add_column('meeting', 'citizen_can_rebook', BooleanField(default=False)))
    migrator.migrate(migrator.add_column('meeting', 'rebook_days_before', IntegerField(default=1)))
    migrator.migrate(migrator.add_column('meeting', 'show_caseworker', BooleanField(default=True)))
    migrator.migrate(migrator.add_column('meeting', 'hold_by', DateField(null=True)))
    migrator.migrate(migrator.add_column('meeting', 'revision', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('meeting', 'offer_id', ForeignKeyField(OnlineOffer, field=OnlineOffer.id, null=True, on_delete='SET NULL')))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('meeting', 'meeting_offer_id'))
    migrator.migrate(migrator.drop_column('meeting', 'offer_id'))
    migrator.migrate(migrator.drop_column('meeting', 'revision'))
    migrator.migrate(migrator.drop_column('meeting', 'hold_by'))
    migrator.migrate(migrator.drop_column('meeting', 'show_caseworker'))
    migrator.migrate(migrator.drop_column('meeting', 'rebook_days_before'))
    migrator.migrate(migrator.drop_column('meeting', 'citizen_can_rebook'))
    migrator.migrate(migrator.drop_column('meeting', 'citizen_can_cancel'))
    migrator.migrate(migrator.drop_column('organisation', 'rights_and_duties'))
    migrator.migrate(migrator.drop_table('offer_caseworker'))
    migrator.migrate(migrator.drop_table('online_offer'))
    migrator.migrate(migrator.drop_table('citizen_profile'))
