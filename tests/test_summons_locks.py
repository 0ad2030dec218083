"""Summon now and a proposal at the same time cannot deadlock (PostgreSQL).

Writing a proposal (step 2's "Next") points draft rows at caseworkers, and
PostgreSQL's foreign-key check takes a KEY SHARE lock on each caseworker row
it points at, in whatever order the rows come. "Summon now" locks all its
caseworkers in id order; had it used FOR UPDATE (which conflicts with KEY
SHARE), a proposal holding a later caseworker and waiting for an earlier one
would deadlock with it, and one of the two would fail (a 503 page; found by
the load benchmark). Summon now takes FOR NO KEY UPDATE, which still keeps
bookings out (they lock the caseworker FOR UPDATE) but lets the references
through.
"""
import threading
import time

import pytest

from models import Meeting, SummonsDraftCitizen, db
from planner import summons
from tests.conftest import ON_POSTGRES
from tests.summons_support import NOW, draft_with, make_citizens, make_team

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason='row locks: PostgreSQL only')


def test_summon_now_and_a_proposal_written_meanwhile_both_finish(app, jobcentre, make_user):
    centre = make_team(jobcentre, make_user, caseworkers=2)
    first, second = sorted(centre.caseworkers, key=lambda c: c.id)
    summoned, listed = make_citizens(jobcentre, make_user, 1), \
        make_citizens(jobcentre, make_user, 2, prefix='Liste')
    draft = draft_with(centre, summoned)
    summons.propose(draft, NOW)
    other = draft_with(centre, listed)
    rows = list(SummonsDraftCitizen.select().where(SummonsDraftCitizen.draft == other)
                .order_by(SummonsDraftCitizen.id))
    held, errors, done = threading.Event(), [], []

    def proposal():
        # As propose's bulk update: the later caseworker first, then the earlier.
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                with db.atomic():
                    SummonsDraftCitizen.update(proposed_caseworker=second.id).where(
                        SummonsDraftCitizen.id == rows[0].id).execute()
                    held.set()
                    time.sleep(1.0)          # Summon now runs into the lock meanwhile
                    SummonsDraftCitizen.update(proposed_caseworker=first.id).where(
                        SummonsDraftCitizen.id == rows[1].id).execute()
                done.append('proposal')
            except Exception as exc:         # a deadlock aborts one of the two
                errors.append(repr(exc))
            finally:
                db.close()

    def summon_now():
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                held.wait(10)
                result = summons.summon(summons.get_draft(centre.planner, draft.id),
                                        centre.planner, NOW)
                done.append(f'summon:{result.meetings}')
            except Exception as exc:
                errors.append(repr(exc))
            finally:
                db.close()

    threads = [threading.Thread(target=proposal), threading.Thread(target=summon_now)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(done) == ['proposal', 'summon:1']
    assert Meeting.select().where(Meeting.summoned_at.is_null(False)).count() == 1
    assert {r.proposed_caseworker_id for r in SummonsDraftCitizen.select().where(
        SummonsDraftCitizen.draft == other)} == {first.id, second.id}
