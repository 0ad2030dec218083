"""The bulk writes of models.py (a summons of thousands): insert_rows keeps
the order of the rows in its ids and fills defaults, update_rows puts every
value in its own column whatever order the fields are named in, NULLs
included (PostgreSQL types them by the column)."""
from __future__ import annotations

import datetime as dt

from models import (Message, SummonsDraft, SummonsDraftCitizen, User, insert_rows, update_rows,
                    utcnow)


def test_insert_rows_returns_the_ids_in_row_order_across_statements(jobcentre, make_user):
    citizen = make_user(jobcentre, User.CITIZEN)
    stamp = utcnow().replace(microsecond=0)
    rows = [dict(organisation=jobcentre.id, user=citizen.id if n % 2 else None,
                 channel=Message.SMS, direction=Message.OUT, recipient=f'+4520{n:06d}',
                 body=f'Besked {n}', status=Message.QUEUED, created_at=stamp)
            for n in range(23)]
    ids = insert_rows(Message, rows, batch=5)
    assert len(ids) == len(set(ids)) == 23 and ids == sorted(ids)
    stored = {m.id: m for m in Message.select().where(Message.id.in_(ids))}
    for row_id, row in zip(ids, rows):
        message = stored[row_id]
        assert (message.recipient, message.body, message.user_id, message.created_at) == (
            row['recipient'], row['body'], row['user'], stamp)
        # Left out: the fields' defaults.
        assert (message.kind, message.attempts, message.last_error, message.subject) == (
            Message.AUTOMATIC, 0, '', '')
        assert message.updated_at is not None and message.next_attempt_at is None


def test_insert_rows_without_returning_and_with_nothing(jobcentre):
    assert insert_rows(Message, []) == []
    rows = [dict(organisation=jobcentre.id, channel=Message.EMAIL, direction=Message.OUT,
                 recipient=f'borger{n}@example.test', body='Hej', status=Message.QUEUED)
            for n in range(3)]
    assert insert_rows(Message, rows, returning=False) == []
    assert Message.select().where(Message.channel == Message.EMAIL).count() == 3


def test_update_rows_puts_each_value_in_its_column(jobcentre, make_user):
    planner = make_user(jobcentre, User.PLANNER)
    draft = SummonsDraft.create(organisation=jobcentre, created_by=planner)
    citizens = [make_user(jobcentre, User.CITIZEN) for _ in range(4)]
    insert_rows(SummonsDraftCitizen, [dict(draft=draft.id, citizen=c.id, position=n,
                                           problem='old', late=True)
                                      for n, c in enumerate(citizens)], returning=False)
    rows = list(SummonsDraftCitizen.select().order_by(SummonsDraftCitizen.position))
    start = dt.datetime(2026, 3, 2, 8, 0)
    # Named out of the model's order, with NULLs, booleans and a date.
    update_rows(SummonsDraftCitizen, ['problem', 'late', 'proposed_start', 'deadline'],
                [(row.id, f'p{n}', False, start + dt.timedelta(hours=n) if n % 2 else None,
                  dt.date(2026, 3, 6 + n)) for n, row in enumerate(rows)])
    fresh = list(SummonsDraftCitizen.select().order_by(SummonsDraftCitizen.position))
    assert [(r.problem, r.late, r.proposed_start, r.deadline) for r in fresh] == [
        (f'p{n}', False, start + dt.timedelta(hours=n) if n % 2 else None,
         dt.date(2026, 3, 6 + n)) for n in range(4)]
    assert {r.position for r in fresh} == {0, 1, 2, 3}      # other columns untouched
    update_rows(SummonsDraftCitizen, ['problem'], [])       # nothing to do
