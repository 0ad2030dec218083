"""The worker's front door for the services: hand rows already written (a
message, a calendar sync) to a background task.

Services never import tasks.py (it imports them): `tasks.init_app` connects
the Huey tasks here by name. A row is always written first, in the
transaction of the change it reports, and its job starts once that
transaction commits; a job that cannot be handed over then (the process dies
after the commit, queue down, no worker connected) is picked up by the
periodic sweep.
"""
from __future__ import annotations

import logging
from typing import Callable

from models import db

log = logging.getLogger('planpool.queue')

# Job name -> the task that runs it, given by tasks.init_app.
jobs: dict[str, Callable] = {}


def connect(**tasks: Callable) -> None:
    jobs.update(tasks)


def enqueue(job: str, *args) -> None:
    """Start `job` once the outermost open transaction commits (at once
    outside one): a worker could not see its rows before. A rolled back
    transaction starts nothing."""
    db.after_commit(lambda: _start(job, args))


def _start(job: str, args: tuple) -> None:
    task = jobs.get(job)
    if task is None:
        log.info('no worker connected: %s%s left to the sweep', job, args[:1])
        return
    try:
        task(*args)
    except Exception:   # queue down: the rows stay queued, the sweep retries
        log.exception('could not enqueue %s%s', job, args[:1])
