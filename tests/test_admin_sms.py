"""The organisation's SMS sender, set by its administrator: a number people
can answer, or a name they cannot (the staffing overview says so)."""
from __future__ import annotations

import html

import pytest

from models import AuditEvent, Organisation, User


@pytest.fixture
def pool_admin(municipality, make_user, login):
    Organisation.update(sms_sender='Bemanning').where(
        Organisation.id == municipality.id).execute()
    admin = make_user(municipality, User.ADMIN, name='Sara Admin')
    login(admin)
    return admin


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def sender_of(org) -> str:
    return Organisation.get_by_id(org.id).sms_sender


def test_a_name_as_sender_is_explained_and_replaced_by_a_number(client, pool_admin,
                                                                municipality):
    overview = text(client.get('/pool/'))
    assert 'Substitutes cannot answer an SMS sent from a name' in overview
    assert '/admin/sms/' in overview              # the admin is led to the page that fixes it
    page = text(client.get('/admin/sms/'))
    assert 'nobody can answer them' in page and 'value="Bemanning"' in page
    response = client.post('/admin/sms/', data={'sender': '070-123 45 67'})
    assert response.status_code == 303
    assert sender_of(municipality) == '46701234567'     # read as a Swedish number
    assert 'people can answer them' in text(client.get('/admin/sms/'))
    assert 'Substitutes cannot answer' not in text(client.get('/pool/'))
    assert AuditEvent.select().where(AuditEvent.action == 'sms_sender_changed').count() == 1


@pytest.mark.parametrize('posted, message', [
    ('', 'Enter a phone number or a name.'),
    ('070-12', 'Enter a valid phone number'),
    ('Bemanningscentrum', 'at most 11 characters'),
    ('+46 70 123 45 67 999 9', 'Enter a valid phone number'),
])
def test_a_sender_no_network_carries_is_refused(client, pool_admin, municipality,
                                                 posted, message):
    response = client.post('/admin/sms/', data={'sender': posted})
    assert response.status_code == 200
    assert message in text(response) and 'Nothing was saved' in text(response)
    assert sender_of(municipality) == 'Bemanning'


def test_a_name_is_kept_as_typed(client, pool_admin, municipality):
    assert client.post('/admin/sms/', data={'sender': 'Kommun 2'}).status_code == 303
    assert sender_of(municipality) == 'Kommun 2'


def test_only_administrators_set_the_sender(client, municipality, make_user, login):
    login(make_user(municipality, User.PLANNER))
    assert client.post('/admin/sms/', data={'sender': '0701234567'}).status_code == 403
    assert 'Ask your administrator' in text(client.get('/pool/'))
