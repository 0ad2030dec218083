"""Trusted devices, the message outbox/log, and the audit trail."""
from peewee import *


def up(migrator, db):
    class Organisation(Model):
        class Meta:
            database = db
            table_name = 'organisation'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class AuditEvent(Model):
        organisation = ForeignKeyField(Organisation, null=True, on_delete='CASCADE')
        actor = ForeignKeyField(User, null=True, on_delete='SET NULL')
        action = CharField(index=True, max_length=40)
        object_type = CharField(max_length=40, default='')
        object_id = IntegerField(null=True)
        detail = CharField(max_length=300, default='')
        ip = CharField(max_length=45, default='')
        at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'audit_event'
    db.create_tables([AuditEvent])

    class Message(Model):
        organisation = ForeignKeyField(Organisation, null=True, on_delete='CASCADE')
        user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        channel = CharField(max_length=8)
        direction = CharField(max_length=4)
        kind = CharField(max_length=16, default='automatic')
        recipient = CharField(max_length=254)
        sender = CharField(max_length=254, default='')
        subject = CharField(max_length=300, default='')
        body = TextField()
        status = CharField(index=True, max_length=12)
        attempts = IntegerField(default=0)
        next_attempt_at = DateTimeField(null=True)
        last_error = TextField(default='')
        provider = CharField(max_length=16, default='')
        provider_id = CharField(unique=True, null=True, max_length=100)
        created_at = DateTimeField(index=True)
        updated_at = DateTimeField()
        handled_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'message'
            indexes = ((('status', 'next_attempt_at'), False), (('organisation', 'created_at'), False))
    db.create_tables([Message])

    class TrustedDevice(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        token_hash = CharField(unique=True, max_length=64)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        label = CharField(max_length=200, default='')
        class Meta:
            database = db
            table_name = 'trusted_device'
    db.create_tables([TrustedDevice])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('trusted_device'))
    migrator.migrate(migrator.drop_table('message'))
    migrator.migrate(migrator.drop_table('audit_event'))
