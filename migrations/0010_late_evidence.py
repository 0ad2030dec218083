"""Why a summoned citizen got a meeting after their hold-by date: the
caseworkers' free time checked again once the summons was written."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('meeting_participant', 'late_evidence', TextField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('meeting_participant', 'late_evidence'))
