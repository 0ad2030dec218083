import datetime as dt
import re

from common.validators import normalise_cpr, normalise_phone
from models import (CaseworkerTeam, CitizenProfile, ClosingDay, MeetingType, Organisation,
                    SummonsTemplate, Team, User)
from planner import summons


def test_seed_demo_creates_working_accounts_once(app, runner, client):
    result = runner.invoke(args=['seed-demo', '--if-empty'])
    assert result.exit_code == 0, result.output
    assert 'admin@jobcenter.demo' in result.output
    assert Organisation.select().count() == 2
    citizens = list(User.select().where(User.role == User.CITIZEN))
    assert len(citizens) >= 10
    # Every generated identity is valid by the same rules as the forms.
    assert all(normalise_cpr(c.cpr) == c.cpr for c in citizens)
    assert all(normalise_phone(u.phone) == u.phone
               for u in User.select().where(User.phone.is_null(False)))

    again = runner.invoke(args=['seed-demo', '--if-empty'])
    assert 'skipped' in again.output
    assert Organisation.select().count() == 2

    import demo
    response = client.post('/login', data={'email': 'admin@jobcenter.demo',
                                           'password': demo.DEMO_PASSWORD})
    assert response.status_code == 303
    assert 'Anne Admin' in client.get('/').get_data(as_text=True)


def test_the_demo_shows_what_the_product_does(app, runner):
    assert runner.invoke(args=['seed-demo']).exit_code == 0
    jc = Organisation.get(Organisation.kind == Organisation.PLANNER)
    pool = Organisation.get(Organisation.kind == Organisation.POOL)
    # Plain names, Danish closing days, a template for online offers.
    names = [u.name for u in User.select()]
    assert not [n for n in names if re.search(r'\.|\b(Dr|Prof|Hr|Fru)\b', n)], names
    closing = {d.name for d in ClosingDay.select().where(ClosingDay.organisation == jc)}
    assert {'Nytårsdag', 'Juledag'} <= closing and 'Christmas Day' not in closing
    assert SummonsTemplate.select().where(SummonsTemplate.organisation == jc,
                                          SummonsTemplate.for_online_offer == True  # noqa: E712
                                          ).exists()
    # The staffing centre sends from a number, so Ja and Nej come back.
    assert pool.sms_sender.isdigit()
    # Letters have somewhere to go.
    assert not CitizenProfile.select().where(CitizenProfile.address == '').exists()
    # A summons tries the caseworker each citizen met last.
    team = Team.get(Team.organisation == jc, Team.name == 'Dagpenge')
    staff = [link.caseworker_id for link in CaseworkerTeam.select()
             .where(CaseworkerTeam.team == team)]
    planner = User.get(User.organisation == jc, User.role == User.PLANNER)
    jobsamtale = MeetingType.get(MeetingType.code == 'jobsamtale')
    frame = summons.SummonsFrame(meeting_type_id=jobsamtale.id, team_id=team.id,
                                 caseworker_ids=staff, duration_minutes=45)
    citizens = list(User.select().where(User.organisation == jc, User.role == User.CITIZEN)
                    .order_by(User.id).limit(12))
    draft = summons.new_draft(jc, planner, frame)
    summons.add_citizens(draft, [(c, None) for c in citizens])
    now = dt.datetime.now(dt.timezone.utc)
    last = summons._last_caseworkers([c.id for c in citizens], now)
    met_here = [c.id for c in citizens if last.get(c.id) in staff]
    assert met_here, 'no citizen met a caseworker of the team before'
    summons.propose(draft, now)
    rows = {r.name: r.caseworker_id for r in summons.review_rows(draft)}
    by_name = {c.id: c.name for c in citizens}
    assert {by_name[i]: rows.get(by_name[i]) for i in met_here} == \
        {by_name[i]: last[i] for i in met_here}


def test_outbox_command_prints_newest_messages(app, runner, jobcentre):
    from messaging import outbox
    outbox.queue_sms(jobcentre, '+4520000009', 'Husk dit møde i morgen')
    result = runner.invoke(args=['outbox'])
    assert 'Husk dit møde i morgen' in result.output


PRODUCTION_ENV = {'SECRET_KEY': 'a-long-random-value', 'DATABASE_URL': 'postgresql://db/planpool'}


def test_check_fails_in_production_and_names_every_missing_setting(app, runner, monkeypatch):
    for name in PRODUCTION_ENV:
        monkeypatch.delenv(name, raising=False)
    app.config.update(DEV_MODE=False, VONAGE_SIGNATURE_SECRET=None)
    result = runner.invoke(args=['check'])
    assert result.exit_code == 1
    for name in ('SECRET_KEY', 'DATABASE_URL', 'VONAGE_SIGNATURE_SECRET'):
        assert name in result.output


def test_check_names_only_the_missing_signature_secret(app, runner, monkeypatch):
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    app.config.update(DEV_MODE=False, VONAGE_SIGNATURE_SECRET=None)
    result = runner.invoke(args=['check'])
    assert result.exit_code == 1
    assert 'VONAGE_SIGNATURE_SECRET' in result.output
    assert 'SECRET_KEY is' not in result.output and 'DATABASE_URL' not in result.output


def test_check_passes_when_production_is_configured(app, runner, monkeypatch):
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    app.config.update(DEV_MODE=False, VONAGE_SIGNATURE_SECRET='sig-secret')
    result = runner.invoke(args=['check'])
    assert result.exit_code == 0, result.output
    assert 'missing' not in result.output


def test_check_reports_but_does_not_fail_in_development_mode(app, runner, monkeypatch):
    monkeypatch.delenv('SECRET_KEY', raising=False)
    app.config.update(DEV_MODE=True, VONAGE_SIGNATURE_SECRET=None)
    result = runner.invoke(args=['check'])
    assert result.exit_code == 0
    assert 'VONAGE_SIGNATURE_SECRET' in result.output


def test_production_startup_logs_the_missing_secret(database_url, monkeypatch, caplog):
    from app import create_app
    monkeypatch.delenv('VONAGE_SIGNATURE_SECRET', raising=False)
    monkeypatch.delenv('PLANPOOL_DEV', raising=False)
    with caplog.at_level('ERROR'):
        create_app({'DATABASE_URL': database_url})
    assert any('VONAGE_SIGNATURE_SECRET' in r.getMessage() and r.levelname == 'ERROR'
               for r in caplog.records)
    caplog.clear()
    monkeypatch.setenv('PLANPOOL_DEV', '1')
    create_app({'DATABASE_URL': database_url})
    assert not any('VONAGE_SIGNATURE_SECRET' in r.getMessage() for r in caplog.records)
