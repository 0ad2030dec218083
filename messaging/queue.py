"""The worker's front door for the services: hand rows already written (a
message, a calendar sync) to a background task.

Services never import tasks.py (it imports them): `tasks.init_app` connects
the Huey tasks here by name. A row is always written first, so a job that
cannot be handed over now (inside a transaction, queue down, no worker
connected) is picked up by the periodic sweep.
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
    """Start `job` now, unless a transaction is open: the worker could not see
    its rows yet, and the sweep sends them once the caller commits."""
    if db.in_transaction():
        return
    _start(job, args)


def enqueue_after_commit(job: str, *args) -> None:
    """Start `job` as soon as the open transaction commits (at once outside one)."""
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
