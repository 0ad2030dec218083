"""Shared data for the online-offer and citizen tests (no tests here): a job
centre with a team of caseworkers, citizens with profiles, and an offer."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from models import (Caseworker, CaseworkerTeam, CitizenProfile, MeetingType, OfferCaseworker,
                    OnlineOffer, Pause, Team, User, WorkingHours)

UTC = dt.timezone.utc


def next_monday(org, weeks: int = 1) -> dt.date:
    today = dt.datetime.now(UTC).astimezone(org.zone).date()
    return today + dt.timedelta(days=7 * weeks - today.weekday())


def rules_json(*groups, join='all') -> str:
    return json.dumps({'join': join, 'groups': [
        {'join': g_join, 'rules': [{'type': t, 'condition': c, 'values': list(v)}
                                   for t, c, v in rule_list]}
        for g_join, rule_list in groups]})


DAGPENGE_30 = rules_json(('all', [('contact_group', 'eq', ['dagpenge']),
                                  ('age', 'ge', ['30'])]))


def make_caseworker(org, team, make_user, name, *, hours=(dt.time(8), dt.time(16)),
                    weekdays=range(5), pause=(dt.time(12), dt.time(12, 30))):
    cw = Caseworker.create(user=make_user(org, User.CASEWORKER, name=name), organisation=org,
                           initials=''.join(p[0] for p in name.split()))
    CaseworkerTeam.create(caseworker=cw, team=team)
    for weekday in weekdays:
        WorkingHours.create(caseworker=cw, weekday=weekday, start=hours[0], end=hours[1])
        if pause:
            Pause.create(caseworker=cw, weekday=weekday, start=pause[0], end=pause[1],
                         label='Frokost')
    return cw


def make_citizen(org, make_user, name, *, cpr, group='dagpenge', markings=(),
                 caseworker=None, email=None, language='en'):
    user = make_user(org, User.CITIZEN, name=name, cpr=cpr, email=email, language=language)
    CitizenProfile.create(user=user, organisation=org, contact_group=group,
                          markings='\n'.join(markings), caseworker=caseworker)
    return user


def make_offer(org, team, caseworkers, *, number=1, rules=DAGPENGE_30, model='team',
               first_day=None, end=None, duration=45, reporting=15, **fields):
    today = dt.datetime.now(UTC).astimezone(org.zone).date()
    offer = OnlineOffer.create(
        organisation=org, number=number, team=team,
        meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'),
        duration_minutes=duration, reporting_minutes=reporting, model=model,
        title=fields.pop('title', 'Jobsamtale for dagpengemodtagere over 30'),
        active=fields.pop('active', True),
        description=fields.pop('description', 'Book your job interview here.'),
        bookable_from=fields.pop('bookable_from', today),
        earliest_meeting=first_day or today, end_date=end or today + dt.timedelta(weeks=6),
        rules=rules, **fields)
    for cw in caseworkers:
        OfferCaseworker.create(offer=offer, caseworker=cw)
    return offer


@pytest.fixture
def world(jobcentre, make_user):
    """Team Dagpenge (Jobvej 1) with Karen and Ole; Mette (dagpenge, 36)
    matches the offer, Sune (kontanthjælp) and Unge (dagpenge, 20ish) do not."""
    org = jobcentre
    org.rights_and_duties = 'Du skal møde op til samtalen.\nDu kan tage en bisidder med.'
    org.save()
    team = Team.create(organisation=org, name='Dagpenge', address='Jobvej 1',
                       postcode='8000', city='Aarhus C')
    karen = make_caseworker(org, team, make_user, 'Karen Vejleder')
    ole = make_caseworker(org, team, make_user, 'Ole Olsen')
    mette = make_citizen(org, make_user, 'Mette Borger', cpr='0101901234',
                         email='mette@example.test', caseworker=karen)
    sune = make_citizen(org, make_user, 'Sune Andersen', cpr='0202851235',
                        group='kontanthjaelp')
    young = dt.date.today().replace(year=dt.date.today().year - 20)
    unge = make_citizen(org, make_user, 'Unge Ung', cpr=f'{young:%d%m%y}4321')
    planner = make_user(org, User.PLANNER, name='Peter Planlægger')
    return dict(org=org, team=team, karen=karen, ole=ole, mette=mette, sune=sune, unge=unge,
                planner=planner)
