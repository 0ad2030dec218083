"""Login codes: a row without a user stands in for a number or name we do
not know, so that logging in does the same work for everyone."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.drop_not_null('one_time_code', 'user_id'))


def down(migrator, db):
    db.execute_sql('DELETE FROM one_time_code WHERE user_id IS NULL')
    migrator.migrate(migrator.add_not_null('one_time_code', 'user_id'))
