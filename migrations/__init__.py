"""Schema migrations: numbered scripts in this folder, applied in order.

Each script holds frozen copies of the tables it creates (never the live
models), so an old database upgrades the same way years later. Generate a new
one after changing models.py with (from the project folder)
`python -m playhouse.migrations instance/planpool.sqlite3 generate <name> models:ALL_MODELS`.
"""
import os

from playhouse.migrations import Runner

from models import db

DIRECTORY = os.path.dirname(os.path.abspath(__file__))


def runner() -> Runner:
    return Runner(db.obj, DIRECTORY)


def upgrade(target: str | None = None) -> list[str]:
    return runner().up(target)
