"""Planner: a citizen's postal address, for summons letters."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('citizen_profile', 'address', CharField(max_length=200, default='')))
    migrator.migrate(migrator.add_column('citizen_profile', 'postcode', CharField(max_length=10, default='')))
    migrator.migrate(migrator.add_column('citizen_profile', 'city', CharField(max_length=80, default='')))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('citizen_profile', 'city'))
    migrator.migrate(migrator.drop_column('citizen_profile', 'postcode'))
    migrator.migrate(migrator.drop_column('citizen_profile', 'address'))
