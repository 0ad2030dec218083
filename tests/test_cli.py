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
