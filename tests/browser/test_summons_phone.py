"""The summons wizard on a 390 px phone: every step usable without sideways
scrolling of the page, htmx redraws working, and no serious axe violation."""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from models import Meeting, MeetingParticipant, PendingSummons, User
from tests.browser.layout_support import scrolls_sideways
from tests.conftest import PASSWORD
from tests.test_offers_support import make_caseworker, make_citizen, next_monday  # noqa: F401

pytestmark = pytest.mark.browser

BLOCKING = ('serious', 'critical')


def assert_accessible(axe, page, name):
    results = axe.run(page)
    blocking = [v for v in results.response['violations'] if v['impact'] in BLOCKING]
    assert not blocking, f'{name}: ' + '; '.join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        f"{[n['target'] for n in v['nodes']][:5]}" for v in blocking)


def test_summon_three_citizens_on_a_phone(page, jobcentre, make_user):
    from models import Team
    org = jobcentre
    team = Team.create(organisation=org, name='Dagpenge', address='Jobvej 1', postcode='8000',
                       city='Aarhus C')
    make_caseworker(org, team, make_user, 'Karen Vejleder')
    names = ('Anna Andersen', 'Bent Berg', 'Carla Clausen')
    cprs = ('0101901111', '0202902222', '0303903333')
    for name, cpr in zip(names, cprs):
        make_citizen(org, make_user, name, cpr=cpr)
    planner = make_user(org, User.PLANNER, name='Peter Planlægger')
    axe = Axe()

    page.goto('/')
    page.get_by_role('link', name=re.compile('I am staff')).click()
    page.get_by_label('Email').fill(planner.email)
    page.get_by_label('Password').fill(PASSWORD)
    page.get_by_role('button', name='Log in', exact=True).click()
    expect(page.get_by_role('heading', level=1)).to_have_text(f'Hello, {planner.name}')

    page.goto('/summons/')
    expect(page.get_by_role('heading', level=1)).to_have_text('Summon citizens')
    assert_accessible(axe, page, 'start page')
    page.get_by_role('button', name='New summons').click()
    expect(page.get_by_role('heading', level=2, name='Step 1 of 3: the meeting')).to_be_visible()
    # The team redraws the caseworkers through htmx.
    with page.expect_response(re.compile(r'/frame\?')):
        page.get_by_label('Meeting type', exact=True).select_option(label='Job interview')
    with page.expect_response(re.compile(r'/frame\?')):
        page.get_by_label('Team', exact=True).select_option(label='Dagpenge')
    page.get_by_label('Karen Vejleder', exact=True).check()
    page.get_by_label('30 minutes', exact=True).check()
    page.get_by_label('Earliest summons date').fill(next_monday(org).isoformat())
    assert not scrolls_sideways(page)
    assert_accessible(axe, page, 'step 1')
    # Save for later, and resume from the start page with every field kept.
    page.get_by_role('button', name='Save for later').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Summon citizens')
    expect(page.get_by_role('status')).to_have_text('The summons is saved as a draft.')
    expect(page.locator('#wizard')).to_have_count(0)
    page.get_by_role('link', name='Resume').click()
    expect(page.get_by_label('Karen Vejleder', exact=True)).to_be_checked()
    expect(page.get_by_label('30 minutes', exact=True)).to_be_checked()
    page.get_by_role('button', name='Next: citizens').click()

    expect(page.get_by_role('heading', level=2, name='Step 2 of 3: citizens')).to_be_visible()
    page.get_by_label('Rows from a spreadsheet').fill(
        'Navn\tPersonnr.\n' + '\n'.join(f'{n}\t{c[:6]}-{c[6:]}' for n, c in zip(names, cprs))
        + '\nUkendt\t111111-1111')
    page.get_by_role('button', name='Add the list').click()
    expect(page.get_by_role('alert')).to_contain_text(
        'Line 5: no citizen with CPR number 111111-xxxx is known.')
    expect(page.locator('.citizen-table tbody tr')).to_have_count(3)
    assert not scrolls_sideways(page)
    assert_accessible(axe, page, 'step 2')
    # Unticking a row posts just that row (htmx) and keeps the page.
    bent = page.get_by_role('row', name=re.compile('Bent Berg'))
    with page.expect_response(re.compile(r'/citizens/\d+')):
        bent.get_by_label('Summon Bent Berg').uncheck()
    expect(page.get_by_role('row', name=re.compile('Bent Berg'))).to_have_class('not-selected')
    page.get_by_role('button', name='Next: review the times').click()

    expect(page.get_by_role('heading', level=2, name='Step 3 of 3: review and summon')).to_be_visible()
    expect(page.locator('.counts')).to_contain_text('2 citizens placed')
    assert not scrolls_sideways(page)
    assert_accessible(axe, page, 'step 3')
    page.get_by_label('Summon Carla Clausen').uncheck()
    page.get_by_role('button', name='Summon now').click()
    expect(page.get_by_role('heading', level=1)).to_have_text('Summons sent')
    expect(page.locator('.counts')).to_contain_text('1 meeting made')
    # Carla (unticked here) and Bent (unticked on step 2) wait on the pending list.
    expect(page.locator('.counts')).to_contain_text('2 citizens put on the pending list')
    assert_accessible(axe, page, 'result')
    assert page.js_errors == []
    assert Meeting.select().count() == 1
    assert [p.citizen.name for p in MeetingParticipant.select()] == ['Anna Andersen']
    assert sorted(p.citizen.name for p in PendingSummons.select()) == ['Bent Berg',
                                                                        'Carla Clausen']
