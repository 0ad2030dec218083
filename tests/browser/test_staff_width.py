"""No staff page scrolls sideways on a 1280 px screen: every GET page of the
staff areas, found in the URL map, on the demo data (ids of demo rows fill
the URLs), plus a summons with citizens on steps 2 and 3. Neither the page
nor a box in it scrolls sideways."""
from __future__ import annotations

import pytest

import demo
from models import (Absence, Caseworker, CaseworkerTeam, ClosingDay, Competence, Meeting, Message, OnlineOffer,
                    Organisation, Qualification, Room, SummonsTemplate, Team, TypeVariant, Unit,
                    User, UserSession, Vacancy)
from planner import summons

pytestmark = pytest.mark.browser

DESKTOP = {'width': 1280, 'height': 800}
# Not staff pages: sign-in, citizens' and substitutes' own pages, webhooks,
# the calendar feed file and the static files.
NOT_STAFF = ('auth', 'main', 'citizen', 'pool_me', 'webhooks', 'static', 'calendar_feed')
QUERIES = {'followup.letters': 'meeting={meeting_id}&all=1'}

# Boxes of the page that scroll sideways themselves (a table in a scrolling
# box hides its last columns just as well as a wide page does).
SCROLLING_BOXES_JS = """
() => Array.from(document.querySelectorAll('body *'))
  .filter(e => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowX)
               && !e.closest('.visually-hidden')    // 1 px boxes for screen readers
               && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
  .map(e => `${e.tagName.toLowerCase()}.${e.className}: ${e.scrollWidth}px in ${e.clientWidth}px`)
"""
# The widest element that sticks out on the right, to name in a failure.
WIDEST_JS = """
() => Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right)
  .slice(0, 3).map(e => e.outerHTML.slice(0, 100))
"""


def _first(query):
    row = query.order_by(query.model.id).first()
    return row.id if row is not None else None


def _ids(jc: Organisation, pool: Organisation, draft_id: int) -> dict:
    """URL argument -> a demo row of the right organisation ('user_id' is a
    citizen in the job centre, a substitute in the pool)."""
    booked = Meeting.select().where(Meeting.organisation == jc, Meeting.status == Meeting.BOOKED)
    return {
        'absence_id': _first(Absence.select().join(Caseworker)
                             .where(Caseworker.organisation == jc)),
        'caseworker_id': _first(Caseworker.select().where(Caseworker.organisation == jc)),
        'citizen': _first(User.select().where(User.organisation == jc,
                                              User.role == User.CITIZEN)),
        'substitute': _first(User.select().where(User.organisation == pool,
                                                 User.role == User.SUBSTITUTE)),
        'day_id': _first(ClosingDay.select().where(ClosingDay.organisation == jc)),
        'competence_id': _first(Competence.select().where(Competence.organisation == jc)),
        'room_id': _first(Room.select().where(Room.organisation == jc)),
        'team_id': _first(Team.select().where(Team.organisation == jc)),
        'template_id': _first(SummonsTemplate.select()
                              .where(SummonsTemplate.organisation == jc)),
        'variant_id': _first(TypeVariant.select().where(TypeVariant.organisation == jc)),
        'meeting_id': _first(booked),
        'message_id': _first(Message.select().where(Message.organisation == jc)),
        'offer_id': _first(OnlineOffer.select().where(OnlineOffer.organisation == jc)),
        'draft_id': draft_id,
        'qualification_id': _first(Qualification.select()
                                   .where(Qualification.organisation == pool)),
        'unit_id': _first(Unit.select().where(Unit.organisation == pool)),
        'vacancy_id': _first(Vacancy.select().where(Vacancy.organisation == pool)),
    }


def _staff_pages(app, ids: dict) -> list[tuple[str, str]]:
    """(endpoint, path) of every staff GET route whose arguments demo rows fill."""
    pages = []
    for rule in app.url_map.iter_rules():
        if 'GET' not in rule.methods or rule.endpoint.split('.')[0] in NOT_STAFF:
            continue
        pool_route = rule.endpoint.startswith('pool')
        values = {}
        for name in rule.arguments:
            key = name if name != 'user_id' else ('substitute' if pool_route else 'citizen')
            values[name] = ids.get(key)
        if any(value is None for value in values.values()):
            continue
        path = rule.build(values, append_unknown=False)[1]
        query = QUERIES.get(rule.endpoint, '').format(**ids)
        pages.append((rule.endpoint, path + ('?' + query if query else '')))
    return sorted(pages)


def _summons_with_citizens(jc: Organisation, planner: User) -> int:
    """A draft by the planner with twelve citizens, proposed: steps 2 and 3 full."""
    team = Team.get(Team.organisation == jc, Team.name == 'Dagpenge')
    staff = [link.caseworker_id for link in
             CaseworkerTeam.select().where(CaseworkerTeam.team == team)]
    template = SummonsTemplate.get(SummonsTemplate.organisation == jc,
                                   SummonsTemplate.name == 'Jobsamtale 45 min')
    frame = summons.SummonsFrame.from_template(template.preset)
    frame.team_id, frame.caseworker_ids = team.id, staff
    draft = summons.new_draft(jc, planner, frame)
    citizens = User.select().where(User.organisation == jc, User.role == User.CITIZEN,
                                   User.cpr != '').order_by(User.id).limit(12)
    summons.add_citizens(draft, [(c, None) for c in citizens])
    summons.propose(draft)
    return draft.id


def _log_in(app, context, live_server, user) -> None:
    client = app.test_client()
    token = UserSession.open(user)
    with client.session_transaction() as session:
        session['_user_id'] = token
        session['_fresh'] = True
    cookie = client.get_cookie(app.config['SESSION_COOKIE_NAME'])
    context.add_cookies([{'name': cookie.key, 'value': cookie.value, 'url': live_server}])


@pytest.mark.parametrize('locale', ['da-DK', 'en-GB'])
def test_no_staff_page_scrolls_sideways_at_1280px(app, browser, live_server, locale):
    demo.seed()
    jc = Organisation.get(Organisation.kind == Organisation.PLANNER)
    pool = Organisation.get(Organisation.kind == Organisation.POOL)
    people = {kind: [User.get(User.organisation == org, User.role == role)
                     for role in (User.PLANNER, User.ADMIN)]
              for kind, org in (('jc', jc), ('pool', pool))}
    draft_id = _summons_with_citizens(jc, people['jc'][0])
    pages = _staff_pages(app, _ids(jc, pool, draft_id))
    contexts = {}
    for kind, users in people.items():
        for user in users:
            context = browser.new_context(base_url=live_server, viewport=DESKTOP, locale=locale)
            context.set_default_timeout(10_000)
            _log_in(app, context, live_server, user)
            contexts[kind, user.role] = context.new_page()
    wide, seen = [], []
    for endpoint, path in pages:
        kind = 'pool' if endpoint.startswith('pool') else 'jc'
        for role in (User.PLANNER, User.ADMIN):      # the summons drafts are the planner's
            page = contexts[kind, role]
            response = page.goto(path)
            if response.status != 403:
                break
        if response.status != 200 or 'text/html' not in response.headers.get('content-type', ''):
            continue
        page.wait_for_load_state('load')
        seen.append(endpoint)
        scroll, client = page.evaluate('[document.documentElement.scrollWidth, '
                                       'document.documentElement.clientWidth]')
        if scroll > client:
            wide.append(f'{path}: {scroll}px in {client}px, {page.evaluate(WIDEST_JS)}')
        boxes = page.evaluate(SCROLLING_BOXES_JS)
        if boxes:
            wide.append(f'{path}: {boxes}')
    for page in contexts.values():
        page.context.close()
    # The pages the issue names are among those checked.
    assert {'summons.step2', 'summons.step3', 'calendar.team', 'pool_board.index',
            'admin_caseworkers.hours', 'followup.letters'} <= set(seen), seen
    assert len(seen) >= 60, seen
    assert wide == [], '\n'.join(wide)
