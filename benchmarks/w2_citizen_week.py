"""W2 (citizen): the day-and-time page of a 50-caseworker team offer, one
week, a full HTTP request through the app.

The W1 data is written the way the staff W2 writes it (50 caseworkers,
Mon-Fri 08:00-16:00 with two pauses, 10 % absence days, 6,000 meetings over
eight weeks, 2,000 citizens); on top come an online offer (team model,
"first free", 45 + 15 minutes on the 15-minute grid) with all 50
caseworkers and a rule, and a citizen who matches it. The citizen asks for
one week of the offer: session, rules evaluated on the server, queries,
engine and template, as the phone gets it.

`median_ms` is the page as most citizens get it: the caseworkers' fixed
availability (hours, pauses, absences, closing days, reservations) from
the process's cache, the meetings read fresh. `uncached_ms` is the same
page with that cache emptied before each request, as right after staff
changed any of those tables.
"""
from __future__ import annotations

import datetime as dt
import json
import os

from . import DEFAULT_REPEAT, fresh_app, measure, report
from .w1_slot_search import CASEWORKERS, DURATION, FIRST_DAY, REPORTING, WEEKS, build_workload
from .w2_team_week import SHIFT, WEEK_SHOWN, _populate

RULES = {'join': 'all', 'groups': [{'join': 'all', 'rules': [
    {'type': 'contact_group', 'condition': 'eq', 'values': ['dagpenge']},
    {'type': 'age', 'condition': 'ge', 'values': ['30']}]}]}


def _offer_and_citizen(team_id: int) -> tuple[int, str]:
    """The offer over W1's eight weeks and a matching citizen's session."""
    from models import (Caseworker, CitizenProfile, MeetingType, OfferCaseworker, OnlineOffer,
                        Organisation, User, UserSession, db)
    with db.atomic():
        org = Organisation.get(Organisation.slug == 'bench')
        first = FIRST_DAY + SHIFT
        offer = OnlineOffer.create(
            organisation=org, number=1, team=team_id,
            meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'),
            duration_minutes=DURATION, reporting_minutes=REPORTING, model='team',
            title='Jobsamtale', active=True, description='Book din jobsamtale.',
            bookable_from=dt.date.today(), earliest_meeting=first,
            end_date=first + dt.timedelta(weeks=WEEKS, days=-1), rules=json.dumps(RULES))
        OfferCaseworker.insert_many([{'offer': offer.id, 'caseworker': c.id}
                                     for c in Caseworker.select(Caseworker.id)]).execute()
        citizen = User.get(User.role == User.CITIZEN, User.name == 'Borger 0')
        CitizenProfile.create(user=citizen, organisation=org, contact_group='dagpenge')
        token = UserSession.open(citizen)
    return offer.id, token


def run(repeat: int = DEFAULT_REPEAT) -> str:
    app = fresh_app()
    from models import Meeting, db
    from planner.loading import forget_fixed_availability

    with app.app_context():
        db.connect(reuse_if_open=True)
        team_id, _admin = _populate(build_workload())
        offer_id, token = _offer_and_citizen(team_id)
        meetings = Meeting.select().count()
        db.close()
    client = app.test_client()
    with client.session_transaction() as session:
        session['_user_id'] = token
    year, week, _ = WEEK_SHOWN.isocalendar()
    url = f'/my/book/{offer_id}/time?week={year}-W{week:02d}'

    def request():
        response = client.get(url, headers={'Accept-Language': 'da'})
        assert response.status_code == 200, response.status_code
        assert b'time-list' in response.data
        return response

    if os.environ.get('PROFILE'):
        import cProfile
        request()       # templates compiled and catalogues loaded: not in the profile
        cProfile.runctx('for _ in range(5): request()', globals(), locals(),
                        sort='cumulative')
    median_ms, response = measure(request, repeat=repeat)
    times = response.data.count(b'/confirm?start=')

    def first_asked():
        # As when staff have just changed hours, absences, closing days or
        # reservations: the fixed availability is read again.
        forget_fixed_availability()
        return request()
    uncached_ms, _response = measure(first_asked, repeat=repeat)
    return report('W2', median_ms, page='citizen_week', caseworkers=CASEWORKERS,
                  weeks_of_data=WEEKS, meetings=meetings, times_shown=times,
                  bytes=len(response.data), uncached_ms=f'{uncached_ms:.2f}')
