"""Administration of caseworkers through HTTP, as an administrator sees it:
list, create, edit (name and email locked), bookable hours, meeting shares,
pauses with their copies, delete, and who may see what."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from models import (Caseworker, CaseworkerTeam, Competence, Meeting, MeetingType, Pause, Team,
                    User, UserSession, WorkingHours, utcnow)

BASE = '/admin/caseworkers'
T = dt.time


@pytest.fixture
def teams(jobcentre):
    parent = Team.create(organisation=jobcentre, name='Unemployment benefits')
    child = Team.create(organisation=jobcentre, parent=parent, name='Young people')
    return parent, child


@pytest.fixture
def make_caseworker(jobcentre, make_user, teams):
    def make(org=None, name=None, initials='', hours=None, pauses=None, team=None):
        org = org or jobcentre
        user = make_user(org, User.CASEWORKER, **({'name': name} if name else {}))
        cw = Caseworker.create(user=user, organisation=org, initials=initials)
        if team is None and org == jobcentre:
            team = teams[0]
        if team is not None:
            CaseworkerTeam.create(caseworker=cw, team=team)
        for day, (start, end) in (hours or {}).items():
            WorkingHours.create(caseworker=cw, weekday=day, start=start, end=end)
        for day, items in (pauses or {}).items():
            for start, end, label in items:
                Pause.create(caseworker=cw, weekday=day, start=start, end=end, label=label)
        return cw
    return make


WEEKDAYS_8_16 = {d: (T(8), T(16)) for d in range(5)}


def hours_of(cw):
    return {h.weekday: (h.start, h.end) for h in
            WorkingHours.select().where(WorkingHours.caseworker == cw)}


def pauses_of(cw):
    return sorted((p.weekday, p.start, p.end, p.label) for p in
                  Pause.select().where(Pause.caseworker == cw))


def text(response):
    return response.get_data(as_text=True)


def error_near(html, element_id):
    """The error message printed for one field or fieldset (by its id)."""
    match = re.search(rf'<p class="error" id="{re.escape(element_id)}-error">([^<]*)</p>', html)
    return match.group(1) if match else None


def new_form(team_rows, **overrides):
    data = {'name': 'Hanne Hansen', 'email': 'Hanne.Hansen@Jobcenter.test',
            'initials': 'HH', 'work_phone': '33 12 34 56', 'can_be_summoned': 'y',
            'comment': 'Part time', 'teams': [str(team_rows[0].id), str(team_rows[1].id)]}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- list and create -------------------------------------------------------------

def test_list_shows_caseworkers_with_initials_and_teams(client, admin, make_caseworker, teams):
    make_caseworker(name='Lotte Jensen', initials='LJ', team=teams[1])
    page = text(client.get(BASE + '/'))
    assert 'Lotte Jensen' in page and '>LJ<' in page and 'Young people' in page
    # The admin navigation offers the area.
    assert f'href="{BASE}/"' in text(client.get('/admin/'))


def test_create_caseworker_with_account_teams_and_competences(client, admin, teams, jobcentre):
    danish = Competence.create(organisation=jobcentre, name='Arabic')
    response = client.post(BASE + '/new', data=new_form(
        teams, competences=[str(danish.id)], password='a long initial secret'))
    assert response.status_code == 303
    cw = Caseworker.get()
    assert response.headers['Location'].endswith(f'{BASE}/{cw.id}/hours')
    user = cw.user
    assert (user.name, user.email, user.role) == (
        'Hanne Hansen', 'hanne.hansen@jobcenter.test', User.CASEWORKER)
    assert user.organisation_id == jobcentre.id
    assert user.check_password('a long initial secret')
    assert (cw.initials, cw.work_phone, cw.can_be_summoned, cw.comment) == (
        'HH', '+4533123456', True, 'Part time')
    assert {link.team_id for link in cw.team_links} == {teams[0].id, teams[1].id}
    assert [link.competence_id for link in cw.competence_links] == [danish.id]
    page = text(client.get(BASE + '/'))
    assert 'Hanne Hansen' in page and '>HH<' in page
    assert 'Unemployment benefits, Young people' in page


def test_new_caseworker_without_password_cannot_log_in(client, admin, teams):
    assert client.post(BASE + '/new', data=new_form(teams)).status_code == 303
    user = User.get(User.role == User.CASEWORKER)
    assert user.password_hash is None and not user.check_password('')
    client.post('/logout')
    response = client.post('/login', data={'email': user.email, 'password': 'x' * 12})
    assert 'The email or password is not correct.' in text(response)


@pytest.mark.parametrize('overrides, field, message', [
    ({'teams': None}, 'teams', 'Choose at least one team.'),
    ({'work_phone': '12'}, 'work_phone', 'Enter a valid phone number'),
    ({'email': 'not-an-address'}, 'email', 'Enter a valid email address.'),
    ({'name': '   '}, 'name', 'Enter the name.'),
    ({'password': 'short'}, 'password', 'Use at least 12 characters.'),
])
def test_create_refuses_bad_input_at_the_field(client, admin, teams, overrides, field, message):
    response = client.post(BASE + '/new', data=new_form(teams, **overrides))
    assert response.status_code == 422
    assert message in (error_near(text(response), field) or '')
    assert Caseworker.select().count() == 0
    assert User.select().where(User.role == User.CASEWORKER).count() == 0


def test_create_refuses_an_email_any_user_has(client, admin, teams, make_org, make_user):
    other_org = make_org('pool')
    make_user(other_org, User.ADMIN, email='taken@elsewhere.test')
    response = client.post(BASE + '/new', data=new_form(teams, email='Taken@Elsewhere.test'))
    assert response.status_code == 422
    assert 'already belongs to an account' in error_near(text(response), 'email')
    assert Caseworker.select().count() == 0


def test_create_refuses_a_team_of_another_organisation(client, admin, teams, make_org):
    foreign = Team.create(organisation=make_org('planner'), name='Foreign team')
    response = client.post(BASE + '/new', data=new_form(teams, teams=[str(foreign.id)]))
    assert response.status_code == 422
    assert error_near(text(response), 'teams')
    assert Caseworker.select().count() == 0


def test_inline_check_shows_the_message_and_saves_nothing(client, admin, teams):
    response = client.post(BASE + '/new', data=new_form(teams, work_phone='12', _validate='1'),
                           headers={'HX-Request': 'true', 'HX-Target': 'work_phone-field'})
    assert response.status_code == 200
    html = text(response)
    assert 'Enter a valid phone number' in error_near(html, 'work_phone')
    assert '<html' not in html
    # A valid form is only checked, not saved.
    client.post(BASE + '/new', data=new_form(teams, _validate='1'),
                headers={'HX-Request': 'true'})
    assert Caseworker.select().count() == 0


# --- details ---------------------------------------------------------------------

def test_name_and_email_are_locked_on_edit(client, admin, make_caseworker, teams, jobcentre):
    cw = make_caseworker(name='Lotte Jensen', initials='LJ')
    old_email = cw.user.email
    page = text(client.get(f'{BASE}/{cw.id}'))
    assert re.search(r'<input id="locked-name" value="Lotte Jensen" readonly', page)
    assert re.search(rf'<input id="locked-email" value="{re.escape(old_email)}" readonly', page)
    assert 'name="name"' not in page and 'name="email"' not in page

    spoken = Competence.create(organisation=jobcentre, name='Sign language')
    response = client.post(f'{BASE}/{cw.id}', data={
        'name': 'Someone Else', 'email': 'else@example.test', 'initials': 'LOJ',
        'work_phone': '+46 8 123 456 78', 'comment': 'Mornings',
        'teams': [str(teams[1].id)], 'competences': [str(spoken.id)]})
    assert response.status_code == 303
    cw = Caseworker.get_by_id(cw.id)
    assert (cw.user.name, cw.user.email) == ('Lotte Jensen', old_email)
    assert (cw.initials, cw.work_phone, cw.can_be_summoned, cw.comment) == (
        'LOJ', '+46812345678', False, 'Mornings')
    assert [link.team_id for link in cw.team_links] == [teams[1].id]
    assert [link.competence_id for link in cw.competence_links] == [spoken.id]


def test_edit_without_a_team_is_refused(client, admin, make_caseworker, teams):
    cw = make_caseworker(initials='LJ')
    response = client.post(f'{BASE}/{cw.id}', data={'initials': 'XX'})
    assert response.status_code == 422
    assert error_near(text(response), 'teams') == 'Choose at least one team.'
    cw = Caseworker.get_by_id(cw.id)
    assert cw.initials == 'LJ' and [link.team_id for link in cw.team_links] == [teams[0].id]


def test_edit_refuses_an_invalid_phone(client, admin, make_caseworker, teams):
    cw = make_caseworker()
    response = client.post(f'{BASE}/{cw.id}', data={
        'work_phone': '+45 1', 'teams': [str(teams[0].id)], 'initials': 'NEW'})
    assert response.status_code == 422
    assert 'Enter a valid phone number' in error_near(text(response), 'work_phone')
    assert Caseworker.get_by_id(cw.id).initials == ''


def test_admin_sets_a_password_and_old_sessions_end(client, app, admin, make_caseworker,
                                                    teams):
    cw = make_caseworker()
    UserSession.open(cw.user)
    response = client.post(f'{BASE}/{cw.id}', data={
        'teams': [str(teams[0].id)], 'password': 'fresh password 123'})
    assert response.status_code == 303
    user = User.get_by_id(cw.user_id)
    assert user.check_password('fresh password 123')
    assert UserSession.select().where(UserSession.user == user).count() == 0


# --- tabs as pages and fragments ----------------------------------------------------

@pytest.mark.parametrize('tab', ['', '/hours', '/shares', '/pauses', '/delete'])
def test_each_tab_is_a_page_and_a_fragment(client, admin, make_caseworker, tab):
    cw = make_caseworker(name='Lotte Jensen')
    full = client.get(f'{BASE}/{cw.id}{tab}')
    assert full.status_code == 200
    assert '<html' in text(full) and 'id="caseworker-tabs"' in text(full)
    fragment = client.get(f'{BASE}/{cw.id}{tab}', headers={
        'HX-Request': 'true', 'HX-Target': 'caseworker-tabs'})
    html = text(fragment)
    assert fragment.status_code == 200
    assert html.lstrip().startswith('<div id="caseworker-tabs">') and '<html' not in html
    assert 'aria-current="page"' in html


def test_list_fragment_for_the_search(client, admin, make_caseworker):
    make_caseworker(name='Lotte Jensen')
    make_caseworker(name='Winnie Ketager')
    response = client.get(BASE + '/?q=winnie', headers={
        'HX-Request': 'true', 'HX-Target': 'caseworker-list'})
    html = text(response)
    assert '<html' not in html and 'Winnie Ketager' in html and 'Lotte Jensen' not in html


# --- bookable hours ----------------------------------------------------------------

def hours_form(**days):
    data = {}
    for day in range(7):
        start, end = days.get(f'd{day}', ('', ''))
        data[f'hours-{day}-start'], data[f'hours-{day}-end'] = start, end
    return data


def test_save_bookable_hours(client, admin, make_caseworker):
    cw = make_caseworker()
    response = client.post(f'{BASE}/{cw.id}/hours', data=hours_form(
        d0=('08:00', '16:00'), d2=('9.30', '14:00')))
    assert response.status_code == 303
    assert response.headers['Location'].endswith(f'{BASE}/{cw.id}/hours')
    assert hours_of(cw) == {0: (T(8), T(16)), 2: (T(9, 30), T(14))}
    page = text(client.get(f'{BASE}/{cw.id}/hours'))
    assert 'value="09:30"' in page and 'Bookable hours saved.' in page


def test_copy_monday_fills_tuesday_to_friday_not_the_weekend(client, admin, make_caseworker):
    cw = make_caseworker(hours={0: (T(9), T(12)), 3: (T(10), T(11)), 6: (T(10), T(12))})
    # As the button in the form posts it: Monday as typed, not as saved; the
    # weekend as the form shows it (Saturday typed, Sunday cleared).
    response = client.post(f'{BASE}/{cw.id}/hours/copy-monday',
                           data=hours_form(d0=('08:00', '15:30'), d5=('09:00', '11:00')))
    assert response.status_code == 303
    assert response.headers['Location'].endswith(f'{BASE}/{cw.id}/hours')
    expected = {d: (T(8), T(15, 30)) for d in range(5)}
    assert hours_of(cw) == {**expected, 5: (T(9), T(11))}
    assert 'copied to Tuesday to Friday' in text(client.get(f'{BASE}/{cw.id}/hours'))


def test_copy_monday_to_the_weekend_only_when_asked(client, admin, make_caseworker):
    cw = make_caseworker(hours={0: (T(9), T(12))})
    response = client.post(f'{BASE}/{cw.id}/hours/copy-monday',
                           data={**hours_form(d0=('08:00', '15:30')), 'weekend': '1'})
    assert response.status_code == 303
    assert hours_of(cw) == {d: (T(8), T(15, 30)) for d in range(7)}


def test_copy_monday_without_a_form_uses_saved_monday(client, admin, make_caseworker):
    cw = make_caseworker(hours={0: (T(8), T(12)), 6: (T(9), T(10))})
    assert client.post(f'{BASE}/{cw.id}/hours/copy-monday').status_code == 303
    assert hours_of(cw) == {**{d: (T(8), T(12)) for d in range(5)}, 6: (T(9), T(10))}


def test_copy_monday_needs_monday(client, admin, make_caseworker):
    cw = make_caseworker(hours={2: (T(8), T(12))})
    response = client.post(f'{BASE}/{cw.id}/hours/copy-monday', data=hours_form())
    assert response.status_code == 422
    assert 'Monday' in error_near(text(response), 'day-0')
    assert hours_of(cw) == {2: (T(8), T(12))}


@pytest.mark.parametrize('day, message', [
    (('16:00', '08:00'), 'The end must be after the start.'),
    (('08:00', ''), 'Enter both from and to, or leave both blank.'),
    (('eight', '16:00'), 'Enter times as hh:mm'),
])
def test_bad_hours_are_refused_at_the_day(client, admin, make_caseworker, day, message):
    cw = make_caseworker(hours={0: (T(9), T(12))})
    response = client.post(f'{BASE}/{cw.id}/hours',
                           data=hours_form(d0=('07:00', '15:00'), d1=day))
    assert response.status_code == 422
    assert message in error_near(text(response), 'day-1')
    assert hours_of(cw) == {0: (T(9), T(12))}


def test_hours_that_would_leave_a_pause_outside_are_refused(client, admin, make_caseworker):
    cw = make_caseworker(hours={0: (T(8), T(16))}, pauses={0: [(T(12), T(12, 30), 'Lunch')]})
    response = client.post(f'{BASE}/{cw.id}/hours', data=hours_form(d0=('08:00', '12:00')))
    assert response.status_code == 422
    assert 'pause' in error_near(text(response), 'day-0')
    assert hours_of(cw) == {0: (T(8), T(16))}


def test_each_weekday_keeps_its_own_fields(client, admin, make_caseworker):
    # A day not posted is blank; no other day's hours move into its place.
    cw = make_caseworker(hours={0: (T(9), T(12))})
    response = client.post(f'{BASE}/{cw.id}/hours', data={
        'hours-3-start': '10:00', 'hours-3-end': '14:00', 'hours-7-start': '08:00'})
    assert response.status_code == 303
    assert hours_of(cw) == {3: (T(10), T(14))}


# --- meeting shares ------------------------------------------------------------------

def test_shares_default_and_save(client, admin, make_caseworker):
    cw = make_caseworker()
    page = text(client.get(f'{BASE}/{cw.id}/shares'))
    assert re.search(r'id="max_share"[^>]*value="100"', page)
    response = client.post(f'{BASE}/{cw.id}/shares', data={'max_share': '90', 'auto_share': '75'})
    assert response.status_code == 303
    cw = Caseworker.get_by_id(cw.id)
    assert (cw.max_share, cw.auto_share) == (90, 75)


@pytest.mark.parametrize('max_share, auto_share, field, message', [
    ('0', '0', 'max_share', 'from 1 to 100'),
    ('101', '50', 'max_share', 'from 1 to 100'),
    ('', '50', 'max_share', 'from 1 to 100'),
    ('80', '90', 'auto_share', 'Cannot be more than the maximum meeting share (80 %).'),
    ('80', '-5', 'auto_share', 'from 1 to 100'),
])
def test_share_out_of_range_is_refused(client, admin, make_caseworker, max_share, auto_share,
                                       field, message):
    cw = make_caseworker()
    response = client.post(f'{BASE}/{cw.id}/shares',
                           data={'max_share': max_share, 'auto_share': auto_share})
    assert response.status_code == 422
    assert message in (error_near(text(response), field) or '')
    cw = Caseworker.get_by_id(cw.id)
    assert (cw.max_share, cw.auto_share) == (100, 100)


# --- pauses ---------------------------------------------------------------------------

def pause_form(rows):
    """rows: {(weekday, index): (label, start, end)}"""
    data = {}
    for (day, index), (label, start, end) in rows.items():
        data[f'pauses-{day}-rows-{index}-label'] = label
        data[f'pauses-{day}-rows-{index}-start'] = start
        data[f'pauses-{day}-rows-{index}-end'] = end
    return data


def test_save_pauses(client, admin, make_caseworker):
    cw = make_caseworker(hours=WEEKDAYS_8_16, pauses={4: [(T(14), T(15), 'Old')]})
    response = client.post(f'{BASE}/{cw.id}/pauses', data=pause_form({
        (0, 0): ('Lunch', '11:30', '12:00'), (0, 1): ('', '14:00', '14:15'),
        (0, 2): ('', '', ''), (1, 0): ('Team meeting', '09:00', '10:00')}))
    assert response.status_code == 303
    assert pauses_of(cw) == [(0, T(11, 30), T(12), 'Lunch'), (0, T(14), T(14, 15), ''),
                             (1, T(9), T(10), 'Team meeting')]
    page = text(client.get(f'{BASE}/{cw.id}/pauses'))
    assert 'value="Team meeting"' in page


@pytest.mark.parametrize('rows, where, message', [
    ({(0, 0): ('Lunch', '12:00', '12:30'), (0, 1): ('', '12:15', '13:00')},
     'pause-0-1', 'Overlaps another pause on this day.'),
    ({(0, 0): ('Early', '07:00', '08:30')},
     'pause-0-0', 'The pause must lie within the bookable hours (08:00–16:00).'),
    ({(5, 0): ('Saturday', '10:00', '10:30')},
     'pause-5-0', 'This day has no bookable hours'),
    ({(0, 0): ('Lunch', '12:30', '12:00')},
     'pause-0-0', 'The end must be after the start.'),
    ({(0, i): ('', f'{9 + i}:00', f'{9 + i}:15') for i in range(5)},
     'pauses-0', 'At most 4 pauses per day.'),
    ({(0, 0): ('Lunch', '12:00', '')},
     'pause-0-0', 'Enter both from and to.'),
])
def test_bad_pauses_are_refused_at_the_field(client, admin, make_caseworker, rows, where,
                                             message):
    saved = [(T(12), T(12, 30), 'Lunch')]
    cw = make_caseworker(hours=WEEKDAYS_8_16, pauses={2: saved})
    response = client.post(f'{BASE}/{cw.id}/pauses', data=pause_form(rows))
    assert response.status_code == 422
    html = text(response)
    found = error_near(html, where)
    assert found is not None and message in found, html
    assert pauses_of(cw) == [(2, T(12), T(12, 30), 'Lunch')]


def test_a_pause_row_no_form_of_ours_posts_is_refused(client, admin, make_caseworker):
    cw = make_caseworker(hours=WEEKDAYS_8_16, pauses={0: [(T(12), T(13), 'Lunch')]})
    for index in (20, '9' * 5000, '\u0663'):    # the last: 3 in Arabic-Indic digits
        response = client.post(f'{BASE}/{cw.id}/pauses', data=pause_form({
            (1, 0): ('', '09:00', '09:10'), (1, index): ('', '10:00', '10:10')}))
        assert response.status_code == 400
    assert pauses_of(cw) == [(0, T(12), T(13), 'Lunch')]


def test_copy_monday_pauses_to_days_with_hours(client, admin, make_caseworker):
    cw = make_caseworker(hours=WEEKDAYS_8_16, pauses={3: [(T(9), T(9, 30), 'Old')]})
    response = client.post(f'{BASE}/{cw.id}/pauses/copy-monday', data=pause_form({
        (0, 0): ('Lunch', '12:00', '12:30'), (0, 1): ('Mail', '15:00', '15:15')}))
    assert response.status_code == 303
    assert response.headers['Location'].endswith(f'{BASE}/{cw.id}/pauses')
    expected = [(d, T(12), T(12, 30), 'Lunch') for d in range(5)] + \
        [(d, T(15), T(15, 15), 'Mail') for d in range(5)]
    assert pauses_of(cw) == sorted(expected)


def test_copy_monday_pauses_leaves_the_weekend_unless_asked(client, admin, make_caseworker):
    every_day = {d: (T(8), T(16)) for d in range(7)}
    cw = make_caseworker(hours=every_day, pauses={6: [(T(9), T(9, 30), 'Sunday coffee')]})
    monday = pause_form({(0, 0): ('Lunch', '12:00', '12:30')})
    assert client.post(f'{BASE}/{cw.id}/pauses/copy-monday', data=monday).status_code == 303
    assert pauses_of(cw) == [(d, T(12), T(12, 30), 'Lunch') for d in range(5)] + \
        [(6, T(9), T(9, 30), 'Sunday coffee')]
    response = client.post(f'{BASE}/{cw.id}/pauses/copy-monday', data={**monday, 'weekend': '1'})
    assert response.status_code == 303
    assert pauses_of(cw) == [(d, T(12), T(12, 30), 'Lunch') for d in range(7)]


def test_copy_monday_pauses_with_monday_cleared_in_the_form(client, admin, make_caseworker):
    # Monday's rows posted empty count as posted: the saved ones are not copied.
    cw = make_caseworker(hours=WEEKDAYS_8_16, pauses={0: [(T(12), T(12, 30), 'Lunch')]})
    response = client.post(f'{BASE}/{cw.id}/pauses/copy-monday',
                           data=pause_form({(0, 0): ('', '', '')}))
    assert response.status_code == 422
    assert 'Enter Monday’s pauses first.' in error_near(text(response), 'pauses-0')
    assert pauses_of(cw) == [(0, T(12), T(12, 30), 'Lunch')]


def test_copy_monday_pauses_that_do_not_fit_another_day(client, admin, make_caseworker):
    hours = dict(WEEKDAYS_8_16)
    hours[2] = (T(8), T(12))
    cw = make_caseworker(hours=hours, pauses={0: [(T(12), T(12, 30), 'Lunch')]})
    response = client.post(f'{BASE}/{cw.id}/pauses/copy-monday')
    assert response.status_code == 422
    assert 'do not fit' in error_near(text(response), 'pauses-2')
    assert pauses_of(cw) == [(0, T(12), T(12, 30), 'Lunch')]


def test_copy_pauses_from_another_caseworker(client, admin, make_caseworker):
    source = make_caseworker(name='Winnie Ketager', hours=WEEKDAYS_8_16, pauses={
        0: [(T(12), T(12, 30), 'Lunch')], 4: [(T(14), T(15), 'Team')]})
    target = make_caseworker(hours=WEEKDAYS_8_16, pauses={1: [(T(10), T(10, 15), 'Old')]})
    page = text(client.get(f'{BASE}/{target.id}/pauses'))
    assert f'<option value="{source.id}">Winnie Ketager</option>' in page
    response = client.post(f'{BASE}/{target.id}/pauses/copy-from',
                           data={'source': str(source.id)})
    assert response.status_code == 303
    assert pauses_of(target) == [(0, T(12), T(12, 30), 'Lunch'), (4, T(14), T(15), 'Team')]
    assert len(pauses_of(source)) == 2


def test_copy_from_refuses_pauses_outside_the_hours(client, admin, make_caseworker):
    source = make_caseworker(name='Winnie Ketager', hours=WEEKDAYS_8_16,
                             pauses={1: [(T(15), T(15, 30), 'Late')]})
    target = make_caseworker(hours={d: (T(8), T(12)) for d in range(5)})
    response = client.post(f'{BASE}/{target.id}/pauses/copy-from',
                           data={'source': str(source.id)})
    assert response.status_code == 422
    assert 'Tuesday' in error_near(text(response), 'source')
    assert pauses_of(target) == []


def test_copy_from_a_caseworker_of_another_organisation_is_404(
        client, admin, make_caseworker, make_org):
    stranger = make_caseworker(org=make_org('planner'), hours=WEEKDAYS_8_16,
                               pauses={0: [(T(12), T(13), 'Lunch')]})
    target = make_caseworker(hours=WEEKDAYS_8_16)
    for source in (str(stranger.id), 'abc', '999999'):
        response = client.post(f'{BASE}/{target.id}/pauses/copy-from', data={'source': source})
        assert response.status_code == 404
    assert pauses_of(target) == []


# --- delete ----------------------------------------------------------------------------

def make_meeting(cw, starts_at, status=Meeting.BOOKED):
    return Meeting.create(organisation=cw.organisation, team=cw.team_links[0].team,
                          meeting_type=MeetingType.get(MeetingType.code == 'jobsamtale'),
                          caseworker=cw, starts_at=starts_at,
                          ends_at=starts_at + dt.timedelta(minutes=45), status=status)


def test_delete_asks_first_then_deletes(client, admin, make_caseworker):
    cw = make_caseworker(name='Lotte Jensen')
    past = make_meeting(cw, utcnow() - dt.timedelta(days=3))
    confirm = client.get(f'{BASE}/{cw.id}/delete')
    assert confirm.status_code == 200
    page = text(confirm)
    assert 'Delete Lotte Jensen?' in page and 'method="post"' in page
    assert Caseworker.get_or_none(Caseworker.id == cw.id) is not None
    response = client.post(f'{BASE}/{cw.id}/delete')
    assert response.status_code == 303 and response.headers['Location'].endswith(BASE + '/')
    assert Caseworker.get_or_none(Caseworker.id == cw.id) is None
    assert User.get_or_none(User.id == cw.user_id) is None
    assert Meeting.get_by_id(past.id).caseworker_id is None
    assert 'Caseworker Lotte Jensen deleted.' in text(client.get(BASE + '/'))
    listing = text(client.get(BASE + '/', headers={'HX-Target': 'caseworker-list'}))
    assert 'Lotte Jensen' not in listing


def test_delete_is_refused_while_meetings_are_booked(client, admin, make_caseworker):
    cw = make_caseworker(name='Lotte Jensen')
    # 2030-05-14 08:00 UTC is 10:00 in Copenhagen (summer time).
    make_meeting(cw, dt.datetime(2030, 5, 14, 8, 0))
    make_meeting(cw, dt.datetime(2030, 5, 15, 8, 0), status=Meeting.CANCELLED)
    confirm = text(client.get(f'{BASE}/{cw.id}/delete'))
    assert 'cannot be deleted' in confirm and 'Delete caseworker</button>' not in confirm
    response = client.post(f'{BASE}/{cw.id}/delete')
    assert response.status_code == 409
    html = text(response)
    assert re.search(r'<li>Job interview, 14 May 2030, 10:00</li>', html), html
    assert 'May 15' not in html   # the cancelled one does not block
    assert Caseworker.get_or_none(Caseworker.id == cw.id) is not None


# --- who may see what -----------------------------------------------------------------

def test_a_caseworker_of_another_organisation_is_404(client, admin, make_caseworker,
                                                      make_org):
    stranger = make_caseworker(org=make_org('planner'), name='Not Ours')
    for path in ('', '/hours', '/shares', '/pauses', '/delete'):
        assert client.get(f'{BASE}/{stranger.id}{path}').status_code == 404
    for path, data in (('', {'initials': 'X', 'teams': []}), ('/hours', hours_form()),
                       ('/hours/copy-monday', {}), ('/shares', {'max_share': '50'}),
                       ('/pauses', {}), ('/pauses/copy-monday', {}),
                       ('/pauses/copy-from', {}), ('/delete', {})):
        assert client.post(f'{BASE}/{stranger.id}{path}', data=data).status_code == 404
    assert Caseworker.get_by_id(stranger.id).user.name == 'Not Ours'
    assert 'Not Ours' not in text(client.get(BASE + '/'))


@pytest.mark.parametrize('role', [User.PLANNER, User.CASEWORKER, User.CITIZEN])
def test_other_roles_get_403(client, jobcentre, make_user, login, make_caseworker, role):
    cw = make_caseworker()
    login(make_user(jobcentre, role))
    for path in ('/', '/new', f'/{cw.id}', f'/{cw.id}/hours', f'/{cw.id}/pauses',
                 f'/{cw.id}/delete'):
        assert client.get(BASE + path).status_code == 403
    assert client.post(f'{BASE}/{cw.id}/delete').status_code == 403
    assert Caseworker.get_or_none(Caseworker.id == cw.id) is not None


def test_anonymous_goes_to_login(client):
    response = client.get(BASE + '/')
    assert response.status_code == 302 and '/login' in response.headers['Location']


def test_pool_administrators_have_no_caseworkers(client, municipality, make_user, login):
    login(make_user(municipality, User.ADMIN))
    assert client.get(BASE + '/').status_code == 403
    assert f'href="{BASE}/"' not in text(client.get('/admin/'))
