from models import Message, User


def test_landing_page_offers_the_three_logins(client):
    response = client.get('/')
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '/login/citizen' in html and '/login/substitute' in html and '/login' in html


def test_staff_login_and_home(client, jobcentre, make_user):
    from tests.conftest import PASSWORD
    admin = make_user(jobcentre, User.ADMIN)
    response = client.post('/login', data={'email': admin.email, 'password': PASSWORD})
    assert response.status_code == 303
    home = client.get('/')
    assert admin.name in home.get_data(as_text=True)


def test_citizen_code_login(client, jobcentre, make_user):
    citizen = make_user(jobcentre, User.CITIZEN)
    # Closed as a WSGI server closes it once the answer went out: then the
    # code SMS is handed to the worker (immediate in tests).
    with client.post('/login/citizen', data={'cpr': citizen.cpr}) as response:
        assert response.status_code == 303
        assert Message.get(Message.recipient == citizen.phone).status == Message.QUEUED
    sms = Message.get(Message.recipient == citizen.phone)
    assert sms.status == Message.SENT and sms.provider == 'outbox'
    code = sms.body[:6]
    response = client.post('/login/code', data={'code': code})
    assert response.status_code == 303
    assert citizen.name in client.get('/').get_data(as_text=True)
