"""People: organisations, users, login sessions, one-time codes."""
from peewee import *


def up(migrator, db):
    class Organisation(Model):
        name = CharField(max_length=200)
        slug = CharField(unique=True, max_length=60)
        kind = CharField(max_length=16)
        country = CharField(max_length=2)
        timezone = CharField(max_length=64)
        language = CharField(max_length=8)
        sms_sender = CharField(max_length=11)
        phone = CharField(max_length=20, default='')
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'organisation'
    db.create_tables([Organisation])

    class User(Model):
        organisation = ForeignKeyField(Organisation, on_delete='CASCADE')
        role = CharField(index=True, max_length=16)
        name = CharField(max_length=200)
        email = CharField(unique=True, null=True, max_length=254)
        username = CharField(unique=True, null=True, max_length=64)
        password_hash = CharField(null=True)
        cpr = CharField(unique=True, null=True, max_length=12)
        phone = CharField(null=True, max_length=20)
        language = CharField(null=True, max_length=8)
        active = BooleanField(default=True)
        created_at = DateTimeField()
        last_login_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'user'
    db.create_tables([User])

    class OneTimeCode(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        purpose = CharField(max_length=20)
        challenge = CharField(unique=True, max_length=64)
        code_hash = CharField(max_length=64)
        created_at = DateTimeField(index=True)
        expires_at = DateTimeField()
        attempts = IntegerField(default=0)
        used_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'one_time_code'
            indexes = ((('user', 'created_at'), False),)
    db.create_tables([OneTimeCode])

    class UserSession(Model):
        token_hash = CharField(unique=True, max_length=64)
        user = ForeignKeyField(User, on_delete='CASCADE')
        created_at = DateTimeField()
        last_seen_at = DateTimeField()
        expires_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'user_session'
    db.create_tables([UserSession])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('user_session'))
    migrator.migrate(migrator.drop_table('one_time_code'))
    migrator.migrate(migrator.drop_table('user'))
    migrator.migrate(migrator.drop_table('organisation'))
