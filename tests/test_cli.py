from common.validators import normalise_cpr, normalise_phone
from models import Organisation, User


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
