"""Online offers for planners: the wizard, numbers, rules, overview, edits."""
import datetime as dt
import json
import re

import pytest

from models import (AuditEvent, Meeting, MeetingType, OfferCaseworker, OnlineOffer,
                    SummonsTemplate, Team, TypeVariant, TypeVariantMeetingType, TypeVariantTeam,
                    User)
from planner import booking
from tests.test_offers_support import next_monday  # noqa: F401
from tests.test_offers_support import (DAGPENGE_30, UTC, make_caseworker, make_offer, rules_json,
                                       world)

DETAILS = dict(model='team', duration=45, reporting=15, variant=0, note='Husk CV')


def _booking_form(monday, **extra):
    data = {'title': 'Jobsamtale for dagpenge 30+', 'active': 'y',
            'description': 'Født 1.-15.: book hos Karen', 'show_caseworker': 'y',
            'bookable_from': dt.date.today().isoformat(), 'earliest_meeting': monday.isoformat(),
            'end_date': (monday + dt.timedelta(days=4)).isoformat(), 'allow_cancel': 'y',
            'allow_rebook': 'y', 'rebook_days_before': 1, 'rules-join': 'all',
            'rules-0-join': 'all', 'rules-0-0-type': 'contact_group',
            'rules-0-0-condition': 'eq', 'rules-0-0-value': 'dagpenge',
            'rules-0-1-type': 'age', 'rules-0-1-condition': 'ge', 'rules-0-1-value': '30'}
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def _create(client, w, **extra):
    """Steps 1 and 2; returns the offer."""
    r = client.post('/offers/new?blank=1', data=dict(
        DETAILS, team=w['team'].id, caseworkers=[w['karen'].id, w['ole'].id]))
    assert r.status_code == 303
    step2 = r.headers['Location']
    r = client.post(step2, data=_booking_form(next_monday(w['org']), **extra))
    assert r.status_code == 303, r.get_data(as_text=True)
    return OnlineOffer.get_by_id(int(re.search(r'/offers/(\d+)/', step2).group(1)))


def test_wizard_steps_are_pages_and_the_offer_gets_the_next_number(client, login, world):
    w = world
    login(w['planner'])
    page = client.get('/offers/new?blank=1')
    html = page.get_data(as_text=True)
    assert 'Step 1 of 3' in html and 'Job interview' in html and 'Individual meeting' in html
    r = client.post('/offers/new?blank=1', data=dict(
        DETAILS, team=w['team'].id, caseworkers=[w['karen'].id]))
    assert r.status_code == 303
    draft = OnlineOffer.get()
    assert draft.is_draft and draft.number is None and not draft.active
    assert r.headers['Location'].endswith(f'/offers/{draft.id}/step/2')
    # A draft is not offered to anyone.
    login(w['mette'])
    assert 'Jobsamtale' not in client.get('/my/book').get_data(as_text=True)
    login(w['planner'])

    # Each step is a full page, and an htmx fragment when #wizard asks.
    full = client.get(f'/offers/{draft.id}/step/2')
    assert '<html' in full.get_data(as_text=True) and 'Step 2 of 3' in full.get_data(as_text=True)
    fragment = client.get(f'/offers/{draft.id}/step/2',
                          headers={'HX-Request': 'true', 'HX-Target': 'wizard'})
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="wizard"') and '<html' not in body

    r = client.post(f'/offers/{draft.id}/step/2', data=_booking_form(next_monday(w['org'])))
    assert r.status_code == 303 and r.headers['Location'].endswith(f'/offers/{draft.id}/step/3')
    offer = OnlineOffer.get_by_id(draft.id)
    assert offer.number == 1 and offer.active
    assert [c.caseworker_id for c in offer.caseworker_links] == [w['karen'].id]
    receipt = client.get(r.headers['Location']).get_data(as_text=True)
    assert 'Step 3 of 3' in receipt and 'Edit offer' in receipt and 'Go to overview' in receipt
    assert 'Karen Vejleder' in receipt and 'Contact group is Unemployment benefit' in receipt
    assert 'Age is at least 30' in receipt

    second = _create(client, w)
    assert second.number == 2


def test_numbers_are_per_organisation(client, login, world, make_org, make_user):
    _create(client, world) if login(world['planner']) else None
    other = make_org('planner')
    team = Team.create(organisation=other, name='Team')
    cw = make_caseworker(other, team, make_user, 'Anden Vejleder')
    login(make_user(other, User.PLANNER))
    r = client.post('/offers/new?blank=1', data=dict(DETAILS, team=team.id, caseworkers=[cw.id]))
    r = client.post(r.headers['Location'], data=_booking_form(next_monday(other)))
    assert r.status_code == 303
    assert OnlineOffer.get(OnlineOffer.organisation == other).number == 1
    # Another organisation's team or caseworker cannot be chosen.
    r = client.post('/offers/new?blank=1', data=dict(DETAILS, team=world['team'].id,
                                                     caseworkers=[world['karen'].id]))
    assert r.status_code == 200 and 'Choose a team.' in r.get_data(as_text=True)


def test_step_1_checks_team_caseworkers_and_variant(client, login, world, make_user):
    w = world
    login(w['planner'])
    other_team = Team.create(organisation=w['org'], name='Jobparate')
    outsider = make_caseworker(w['org'], other_team, make_user, 'Ida Ude')
    r = client.post('/offers/new?blank=1', data=dict(DETAILS, team=w['team'].id))
    assert r.status_code == 200
    assert 'Choose at least one caseworker of the team.' in r.get_data(as_text=True)
    r = client.post('/offers/new?blank=1', data=dict(DETAILS, team=w['team'].id,
                                                     caseworkers=[outsider.id]))
    assert r.status_code == 200
    assert 'Choose at least one caseworker of the team.' in r.get_data(as_text=True)
    variant = TypeVariant.create(organisation=w['org'], name='Over 30')
    r = client.post('/offers/new?blank=1', data=dict(DETAILS, team=w['team'].id,
                                                     caseworkers=[w['karen'].id],
                                                     variant=variant.id))
    assert 'This variant is not set up for the team and job interviews.' in r.get_data(
        as_text=True)
    assert OnlineOffer.select().count() == 0
    TypeVariantTeam.create(variant=variant, team=w['team'])
    TypeVariantMeetingType.create(variant=variant,
                                  meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'))
    r = client.post('/offers/new?blank=1', data=dict(DETAILS, team=w['team'].id,
                                                     caseworkers=[w['karen'].id],
                                                     variant=variant.id))
    assert r.status_code == 303 and OnlineOffer.get().variant_id == variant.id


def test_choosing_a_team_redraws_its_caseworkers_and_saves_nothing(client, login, world):
    w = world
    login(w['planner'])
    r = client.post('/offers/new?blank=1', data=dict(DETAILS, team=w['team'].id,
                                                     action='refresh'),
                    headers={'HX-Request': 'true', 'HX-Target': 'caseworkers-field'})
    body = r.get_data(as_text=True)
    assert body.lstrip().startswith('<fieldset') and 'Karen Vejleder' in body
    assert 'Ole Olsen' in body and OnlineOffer.select().count() == 0
    # Without JavaScript the same button redraws the whole page.
    r = client.post('/offers/new?blank=1', data=dict(DETAILS, team=w['team'].id,
                                                     action='refresh'))
    assert '<html' in r.get_data(as_text=True) and 'Karen Vejleder' in r.get_data(as_text=True)


def test_a_template_fills_in_step_1_and_rebooking(client, login, world):
    w = world
    template = SummonsTemplate.create(
        organisation=w['org'], name='Online dagpenge', for_online_offer=True,
        fields=json.dumps({'team': w['team'].id, 'duration_minutes': 30,
                           'reporting_minutes': 10, 'rebooking_allowed': False,
                           'note': 'Fra skabelon'}))
    login(w['planner'])
    choose = client.get('/offers/new').get_data(as_text=True)
    assert 'From the template Online dagpenge' in choose and 'Blank offer' in choose
    html = client.get(f'/offers/new?template={template.id}').get_data(as_text=True)
    assert 'value="30"' in html and 'value="10"' in html and 'Fra skabelon' in html
    assert f'<option selected value="{w["team"].id}">' in html
    r = client.post(f'/offers/new?template={template.id}', data=dict(
        team=w['team'].id, caseworkers=[w['ole'].id], model='trust', duration=30, reporting=10,
        variant=0, note='Fra skabelon'))
    assert r.status_code == 303
    offer = OnlineOffer.get()
    assert offer.allow_rebook is False and offer.model == 'trust'
    assert client.get('/offers/new?template=999').status_code == 404


def test_step_2_needs_a_rule_and_a_sane_period(client, login, world):
    w = world
    login(w['planner'])
    r = client.post('/offers/new?blank=1', data=dict(
        DETAILS, team=w['team'].id, caseworkers=[w['karen'].id]))
    step2 = r.headers['Location']
    monday = next_monday(w['org'])
    no_rules = {k: v for k, v in _booking_form(monday).items() if not k.startswith('rules-0')}
    r = client.post(step2, data=no_rules)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'Add at least one rule.' in html
    r = client.post(step2, data=_booking_form(
        monday, end_date=(monday - dt.timedelta(days=1)).isoformat()))
    assert 'The end date must not be before the earliest meeting date.' in r.get_data(
        as_text=True)
    r = client.post(step2, data=_booking_form(monday, **{'rules-0-1-value': 'tredive'}))
    assert 'Enter ages as whole numbers.' in r.get_data(as_text=True)
    r = client.post(step2, data=_booking_form(monday, **{'rules-0-0-condition': 'ge'}))
    assert 'This condition does not fit the rule type.' in r.get_data(as_text=True)
    assert OnlineOffer.get().is_draft          # nothing saved


def test_rule_editor_adds_and_removes_and_counts_live(client, login, world):
    w = world
    login(w['planner'])
    r = client.post('/offers/new?blank=1', data=dict(
        DETAILS, team=w['team'].id, caseworkers=[w['karen'].id]))
    step2 = r.headers['Location']
    form = _booking_form(next_monday(w['org']))
    live = {'HX-Request': 'true', 'HX-Target': 'rules'}
    # A change in the editor (no button) redraws it with the count: Mette only.
    r = client.post(step2, data=form, headers=live)
    body = r.get_data(as_text=True)
    assert body.lstrip().startswith('<fieldset id="rules"')
    assert '1 citizen matches the rules today.' in body
    # Any group: dagpenge (Mette, Unge) or kontanthjælp (Sune).
    any_form = _booking_form(next_monday(w['org']), **{
        'rules-join': 'any', 'rules-0-1-type': None, 'rules-0-1-condition': None,
        'rules-0-1-value': None, 'rules-1-join': 'all', 'rules-1-0-type': 'contact_group',
        'rules-1-0-condition': 'one_of', 'rules-1-0-value': ['kontanthjaelp', 'sygedagpenge']})
    assert '3 citizens match the rules today.' in client.post(
        step2, data=any_form, headers=live).get_data(as_text=True)
    # Buttons: add a rule, add a group, remove one; nothing is saved.
    added = client.post(step2, data=dict(form, rules_action='add:0'), headers=live)
    assert 'rules-0-2-type' in added.get_data(as_text=True)
    grouped = client.post(step2, data=dict(form, rules_action='add_group'), headers=live)
    assert 'rules-1-0-type' in grouped.get_data(as_text=True)
    removed = client.post(step2, data=dict(form, rules_action='remove:0:1'), headers=live)
    html = removed.get_data(as_text=True)
    assert 'rules-0-1-type' not in html and '2 citizens match the rules today.' in html
    # Without JavaScript: the whole page, still nothing saved.
    full = client.post(step2, data=dict(form, rules_action='add_group'))
    assert '<html' in full.get_data(as_text=True)
    assert OnlineOffer.get().is_draft
    # A person-group marking rule offers the markings citizens have.
    from models import CitizenProfile
    CitizenProfile.update(markings='Projekt Nord').where(
        CitizenProfile.user == w['sune']).execute()
    marked = client.post(step2, data=dict(form, **{'rules-0-1-type': 'marking',
                                                   'rules-0-1-condition': 'eq'}), headers=live)
    assert '<option value="Projekt Nord">' in marked.get_data(as_text=True)


def test_overview_lists_searches_and_shows_weeks_and_citizens(client, login, world):
    w = world
    monday = next_monday(w['org'])
    offer = make_offer(w['org'], w['team'], [w['karen'], w['ole']], first_day=monday,
                       end=monday + dt.timedelta(days=4))
    make_offer(w['org'], w['team'], [w['ole']], number=2, title='Kontanthjælp', active=False,
               rules=rules_json(('all', [('contact_group', 'eq', ['kontanthjaelp'])])))
    start = dt.datetime.combine(monday, dt.time(9), tzinfo=w['org'].zone)
    booking.book_offer(offer, w['mette'], start, caseworker_id=w['karen'].id)
    login(w['planner'])

    listing = client.get('/offers/').get_data(as_text=True)
    assert 'No. 1 · Jobsamtale' in listing and 'No. 2 · Kontanthjælp' in listing
    only_active = client.get('/offers/?state=active', headers={
        'HX-Request': 'true', 'HX-Target': 'offer-list'}).get_data(as_text=True)
    assert only_active.lstrip().startswith('<section id="offer-list"')
    assert 'Kontanthjælp' not in only_active and 'Jobsamtale' in only_active
    assert 'Kontanthjælp' in client.get('/offers/?q=2').get_data(as_text=True)
    assert 'Jobsamtale' not in client.get('/offers/?q=Kontant').get_data(as_text=True)

    page = client.get(f'/offers/{offer.id}')
    html = page.get_data(as_text=True)
    assert page.headers['Cache-Control'] == 'no-store'
    # Karen: 8:00-16:00 less lunch, 45 + 15 minutes: 7 a day, one booked on Monday.
    week = monday.isocalendar()[1]
    assert f'Week {week}' in html
    row = re.search(r'<th scope="row">Karen Vejleder</th>(.*?)</tr>', html).group(1)
    assert '<td>34 / 1</td>' in row
    ole = re.search(r'<th scope="row">Ole Olsen</th>(.*?)</tr>', html).group(1)
    assert '<td>35 / 0</td>' in ole
    assert 'Booked (1)' in html and 'Mette Borger' in html and '010190-xxxx' in html
    assert '0101901234' not in html
    assert 'Match the rules but have not booked (0)' in html

    # Search by name or by CPR number: a POST, so the number stays out of URLs.
    found = client.post(f'/offers/{offer.id}', data={'citizen': '010190-1234'},
                        headers={'HX-Request': 'true', 'HX-Target': 'offer-citizens'})
    body = found.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="offer-citizens"') and 'Mette Borger' in body
    assert 'Mette' not in client.post(f'/offers/{offer.id}',
                                      data={'citizen': 'Sune'}).get_data(as_text=True) \
        .split('id="offer-citizens"')[1].split('Match the rules')[0]
    assert AuditEvent.select().where(AuditEvent.action == 'offer_citizens_read').count() >= 2


def test_matching_citizens_who_have_not_booked(client, login, world, make_user):
    from tests.test_offers_support import make_citizen
    w = world
    make_citizen(w['org'], make_user, 'Hans Hansen', cpr='0303751237')
    offer = make_offer(w['org'], w['team'], [w['karen']])
    login(w['planner'])
    html = client.get(f'/offers/{offer.id}').get_data(as_text=True)
    assert 'Match the rules but have not booked (2)' in html
    assert 'Hans Hansen · 030375-xxxx' in html and 'Sune' not in html.split('have not booked')[1]


def test_edits_apply_to_new_bookings_only_but_the_end_date_bounds_rebooking(
        client, login, world, make_user):
    w = world
    monday = next_monday(w['org'])
    offer = make_offer(w['org'], w['team'], [w['karen']], first_day=monday,
                       end=monday + dt.timedelta(days=11), allow_cancel=True, allow_rebook=True)
    meeting = booking.book_offer(offer, w['mette'], dt.datetime.combine(
        monday + dt.timedelta(days=2), dt.time(9), tzinfo=w['org'].zone))
    assert meeting.citizen_can_cancel and meeting.citizen_can_rebook
    login(w['planner'])
    r = client.post(f'/offers/{offer.id}/step/2', data=_booking_form(
        monday, allow_cancel=None, allow_rebook=None, rebook_days_before=3,
        end_date=(monday + dt.timedelta(days=4)).isoformat()))
    assert r.status_code == 303
    kept = Meeting.get_by_id(meeting.id)
    assert kept.citizen_can_cancel and kept.citizen_can_rebook and kept.rebook_days_before == 1
    # Rebooking still works, but only up to the new end date (Friday).
    choice = booking.rebook_choice(kept, w['mette'], dt.datetime.now(UTC))
    assert choice.last_day == monday + dt.timedelta(days=4)
    # A new booking gets the new permissions.
    from tests.test_offers_support import make_citizen
    hans = make_citizen(w['org'], make_user, 'Hans Hansen', cpr='0303751237')
    later = booking.book_offer(OnlineOffer.get_by_id(offer.id), hans, dt.datetime.combine(
        monday + dt.timedelta(days=3), dt.time(9), tzinfo=w['org'].zone))
    assert not later.citizen_can_cancel and not later.citizen_can_rebook
    assert later.rebook_days_before == 3
    assert OnlineOffer.get_by_id(offer.id).number == 1      # editing keeps the number


def test_rights_and_duties_text_is_per_organisation(client, login, world):
    w = world
    login(w['planner'])
    page = client.get('/offers/rights').get_data(as_text=True)
    assert 'Du skal møde op til samtalen.' in page and 'The general text' in page
    r = client.post('/offers/rights', data={'text': 'Nye regler.\nMød op.'})
    assert r.status_code == 303
    assert w['org'].__class__.get_by_id(w['org'].id).rights_and_duties == 'Nye regler.\nMød op.'


def test_only_planners_of_the_job_centre(client, login, world, make_org, make_user):
    w = world
    offer = make_offer(w['org'], w['team'], [w['karen']])
    caseworker_user = w['karen'].user
    for user, status in ((caseworker_user, 403), (w['mette'], 403)):
        login(user)
        assert client.get('/offers/').status_code == status
        assert client.get(f'/offers/{offer.id}').status_code == status
    login(make_user(make_org('planner'), User.PLANNER))
    for url in (f'/offers/{offer.id}', f'/offers/{offer.id}/step/1', f'/offers/{offer.id}/step/2',
                f'/offers/{offer.id}/step/3'):
        assert client.get(url).status_code == 404, url
    assert client.post(f'/offers/{offer.id}/step/2', data={}).status_code == 404
    login(make_user(make_org('pool'), User.PLANNER))
    assert client.get('/offers/').status_code == 403
    client.post('/logout')
    assert client.get('/offers/').status_code == 302


def test_nav_shows_online_offers_to_planners(client, login, world):
    login(world['planner'])
    assert '>Online offers</a>' in client.get('/').get_data(as_text=True)
    login(world['karen'].user)
    assert '>Online offers</a>' not in client.get('/').get_data(as_text=True)
