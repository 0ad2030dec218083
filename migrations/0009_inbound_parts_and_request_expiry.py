"""Parts of long inbound SMS (read together once all have come), what
happens when a shift request's time to answer runs out, and the calendar a
synced event was put in."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('message', 'concat_ref', CharField(max_length=40, null=True)))
    migrator.migrate(migrator.add_column('message', 'concat_part', IntegerField(null=True)))
    migrator.migrate(migrator.add_column('message', 'concat_total', IntegerField(null=True)))
    migrator.migrate(migrator.add_index('message', ('sender', 'concat_ref'), False))
    migrator.migrate(migrator.add_column('pool_settings', 'expiry_sms', CharField(max_length=12, default='expired')))
    migrator.migrate(migrator.add_column('pool_settings', 'next_wave_on_expiry', BooleanField(default=False)))
    migrator.migrate(migrator.add_column('calendar_sync', 'synced_url', CharField(max_length=300, default='')))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('calendar_sync', 'synced_url'))
    migrator.migrate(migrator.drop_column('pool_settings', 'next_wave_on_expiry'))
    migrator.migrate(migrator.drop_column('pool_settings', 'expiry_sms'))
    migrator.migrate(migrator.drop_index('message', 'message_sender_concat_ref'))
    migrator.migrate(migrator.drop_column('message', 'concat_total'))
    migrator.migrate(migrator.drop_column('message', 'concat_part'))
    migrator.migrate(migrator.drop_column('message', 'concat_ref'))
