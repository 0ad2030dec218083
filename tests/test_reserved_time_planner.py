"""Time reserved for summons only or self-booking only, loaded from the
database: the summons distribution and its free times skip self-booking
time, the citizens' free starts skip summons time."""
import datetime as dt
import json

from models import MeetingParticipant, ReservedTime
from planner import summons
from planner.loading import free_starts
from tests.summons_support import (CPH, MONDAY, NOW, TUESDAY, centre, draft_with,  # noqa: F401
                                   frame_for, make_citizens)


def days_of(starts):
    return {s.astimezone(CPH).date() for s in starts}


def test_summons_skip_self_booking_time_and_citizens_skip_summons_time(centre, make_user):
    anne, bent, carla = centre.caseworkers
    # The team keeps Mondays for self-booking; Bent keeps Tuesday mornings for summons.
    ReservedTime.create(organisation=centre.org, team=centre.team, weekday=0,
                        purpose=ReservedTime.SELF_BOOKING)
    ReservedTime.create(organisation=centre.org, caseworker=bent, first_day=TUESDAY,
                        last_day=TUESDAY, start=dt.time(8), end=dt.time(12),
                        purpose=ReservedTime.SUMMONS)
    people = make_citizens(centre.org, make_user, 8)
    draft = draft_with(centre, people, frame_for(centre, earliest_date=MONDAY),
                       due_dates={c.id: MONDAY for c in people})
    proposal = summons.propose(draft, NOW)
    assert proposal.placed == 8
    review = summons.review_rows(draft)
    assert all(r.start.astimezone(CPH).date() > MONDAY for r in review)
    assert all(r.late for r in review)           # Monday's deadline: only self-booking time
    # "Show free times" for a fixed time skips Monday as well.
    frame = frame_for(centre)
    assert all(not starts for _cw, starts in summons.free_times(centre.org, frame, MONDAY, NOW))

    starts, _calendar, _inputs = free_starts(centre.org, centre.team, [anne, bent], MONDAY,
                                             TUESDAY, now=NOW, duration_minutes=45)
    assert MONDAY in days_of(starts[anne.id]) and MONDAY in days_of(starts[bent.id])
    bent_tuesday = [s.astimezone(CPH).time() for s in starts[bent.id]
                    if s.astimezone(CPH).date() == TUESDAY]
    assert bent_tuesday and min(bent_tuesday) >= dt.time(12)
    assert min(s.astimezone(CPH).time() for s in starts[anne.id]
               if s.astimezone(CPH).date() == TUESDAY) == dt.time(8)
    # The late proof reads the same reservations: Monday counts as no free time.
    summons.set_ticked(draft, {r.id for r in review})
    result = summons.summon(draft, centre.planner, NOW)
    assert result.meetings == 8 and len(result.late_ids) == 8
    for line in MeetingParticipant.select().where(MeetingParticipant.id.in_(result.late_ids)):
        proof = json.loads(line.late_evidence)
        assert [c['free'] for c in proof['caseworkers']] == [0, 0, 0]
