"""Stylesheets and scripts: named by their content, so that a browser keeps
them between pages (a phone on a slow line fetches each once), and never
marked private like the pages that hold personal data."""
from __future__ import annotations

import html
import os
import re

from flask import url_for

from models import User
from tests.test_offers_support import world  # noqa: F401

YEAR = 'public, max-age=31536000, immutable'


def assets(page) -> list[str]:
    body = page.get_data(as_text=True)
    return [html.unescape(href) for href in
            re.findall(r'<link rel="stylesheet"[^>]* href="([^"]+)"', body)
            + re.findall(r'<script src="([^"]+)"', body)]


def test_a_signed_in_citizen_keeps_the_stylesheets_and_scripts_for_a_year(
        client, login, world):  # noqa: F811
    login(world['mette'])
    page = client.get('/my/appointments')
    assert page.headers['Cache-Control'] == 'no-store'      # the page is personal
    found = assets(page)
    assert any(a.startswith('/static/css/citizen.css?v=') for a in found), found
    assert any(a.startswith('/static/js/htmx') for a in found), found
    for url in found:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers['Cache-Control'] == YEAR, url
        assert 'Set-Cookie' not in response.headers, url


def test_a_pages_own_stylesheet_is_kept_over_boosted_navigations(client, login, world):  # noqa: F811
    login(world['mette'])
    body = client.get('/my/appointments').get_data(as_text=True)
    assert re.search(r'<link rel="stylesheet" id="css-citizen" href="/static/css/citizen\.css'
                     r'\?v=\w+" hx-preserve>', body), body[:2000]


def test_an_address_without_the_current_version_is_checked_again(client, login, make_user,
                                                                 jobcentre):
    login(make_user(jobcentre, User.CASEWORKER))
    for url in ('/static/css/app.css', '/static/css/app.css?v=0123456789ab'):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers['Cache-Control'] == 'no-cache', url
        assert response.headers.get('ETag'), url     # so the check is a cheap 304


def test_a_changed_file_gets_a_new_address(app, client, tmp_path, monkeypatch):
    (tmp_path / 'css').mkdir()
    sheet = tmp_path / 'css' / 'sheet.css'
    sheet.write_text('main { color: black; }')
    monkeypatch.setattr(app, 'static_folder', str(tmp_path))
    with app.test_request_context():
        before = url_for('static', filename='css/sheet.css')
        sheet.write_text('main { color: navy; }')
        os.utime(sheet, ns=(1, os.stat(sheet).st_mtime_ns + 1_000_000))
        after = url_for('static', filename='css/sheet.css')
    assert before != after and after.startswith('/static/css/sheet.css?v=')
    assert client.get(after).headers['Cache-Control'] == YEAR
    assert client.get(before).headers['Cache-Control'] == 'no-cache'
    assert client.get(after).get_data(as_text=True) == 'main { color: navy; }'


def test_a_path_out_of_the_static_folder_is_neither_served_nor_read(app, client, tmp_path,
                                                                    monkeypatch):
    (tmp_path / 'static').mkdir()
    (tmp_path / 'secret.txt').write_text('not for the web')
    monkeypatch.setattr(app, 'static_folder', str(tmp_path / 'static'))
    assert app.extensions['static_version']('../secret.txt') is None
    assert app.extensions['static_version']('.') is None              # a folder
    response = client.get('/static/%2e%2e/secret.txt')
    assert response.status_code == 404
    assert b'not for the web' not in response.data
