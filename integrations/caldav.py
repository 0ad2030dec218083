"""CalDAV: one meeting event in one caseworker's calendar.

A thin adapter over the `caldav` library's client (authentication, session,
timeouts), speaking plain WebDAV to an explicit URL per event:
`<calendar url>/<quoted uid>.ics`. The resource name follows from the
meeting's stable UID, so putting an event twice overwrites it instead of
adding a second one, and deleting a missing event is no error.

Before each write the calendar collection is looked up (PROPFIND): a
missing one is created (MKCALENDAR, and its parent with MKCOL when the server
wants that first), and a server that does not answer like a CalDAV server
is a failure, even when it says "200 OK".

Every failure raises `integrations.DeliveryError` with a message in plain
English and its kind and values as data; `error_note` writes both on the
sync row, and the pages say it in the reader's language from the kind
(`messaging.errors.calendar_error`).
"""
from __future__ import annotations

import json
import logging
import socket
import threading
import weakref
from urllib.parse import quote, urlsplit, urlunsplit

from caldav import DAVClient
from caldav.lib import error as dav_error
from caldav.lib.http_sync import requests as http

from integrations import DeliveryError

log = logging.getLogger('planpool.caldav')

DEFAULT_TIMEOUT = 10.0
CALENDAR_PATH = 'planpool/'

_DAV = '{DAV:}'
_CALDAV = '{urn:ietf:params:xml:ns:caldav}'
_PROPFIND_BODY = ('<?xml version="1.0" encoding="utf-8"?>'
                  '<d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/></d:prop>'
                  '</d:propfind>')
_MKCALENDAR_BODY = ('<?xml version="1.0" encoding="utf-8"?>'
                    '<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
                    '<d:set><d:prop><d:displayname>Planpool</d:displayname>'
                    '<c:supported-calendar-component-set><c:comp name="VEVENT"/>'
                    '</c:supported-calendar-component-set></d:prop></d:set>'
                    '</c:mkcalendar>')


class ServerUnreachable(DeliveryError):
    """No answer at all (refused, timed out, unknown host): the server, not
    the one calendar, is the problem."""


def seconds(value: float) -> str:
    """'1 second', '2.5 seconds': these errors are stored in English (the
    adapter has no language), but with the right plural."""
    return f'{value:g} second' if value == 1 else f'{value:g} seconds'


def calendar_url_for(base_url: str, email: str) -> str:
    """`<base>/<url-quoted e-mail>/planpool/`: a caseworker's own calendar
    under the server's root (CALDAV_URL)."""
    return f"{base_url.rstrip('/')}/{quote(email.strip(), safe='')}/{CALENDAR_PATH}"


def event_url(calendar_url: str, uid: str) -> str:
    return _collection(calendar_url) + quote(uid, safe='') + '.ics'


def _collection(url: str) -> str:
    return url if url.endswith('/') else url + '/'


def _parent(url: str) -> str | None:
    parts = urlsplit(_collection(url))
    path = parts.path.rstrip('/')
    if not path:
        return None
    parent = path.rsplit('/', 1)[0] + '/'
    return urlunsplit(parts._replace(path=parent))


def _where(url: str) -> str:
    """The server part of a URL, for messages (no credentials, no path)."""
    parts = urlsplit(url)
    return parts.hostname + (f':{parts.port}' if parts.port else '') if parts.hostname else url


class DeadlinePassed(ServerUnreachable):
    """The server kept the connection busy past the whole-request deadline."""


def _tracked_adapter(sockets: weakref.WeakSet):
    """A requests adapter whose connections put their sockets in `sockets`,
    so a watchdog can cut off a request that outlives its deadline (the
    per-read timeout never fires while a server sends a byte now and then).
    None when the HTTP library is not requests (no whole-request deadline)."""
    from caldav.lib import http_sync
    if not getattr(http_sync, 'USE_REQUESTS', False):
        return None
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    def tracked(pool_class, connection_class):
        def connect(self):
            connection_class.connect(self)
            sockets.add(self.sock)
        connection = type('Tracked' + connection_class.__name__, (connection_class,),
                          {'connect': connect})
        return type('Tracked' + pool_class.__name__, (pool_class,),
                    {'ConnectionCls': connection})

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {
                'http': tracked(HTTPConnectionPool, HTTPConnection),
                'https': tracked(HTTPSConnectionPool, HTTPSConnection)}
    return Adapter()


class CalDAV:
    """One connection setup (credentials, timeout) for many events; clients
    are kept per server, so a batch reuses its connections.

    `timeout` bounds each connect and read; a whole request (connect, send,
    every read of the answer) is cut off after `DEADLINE_FACTOR` times that."""

    DEADLINE_FACTOR = 3

    def __init__(self, *, username: str | None = None, password: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT):
        self.username = username or None
        self.password = password if username else None
        self.timeout = timeout
        self._clients: dict[str, DAVClient] = {}
        self._known_calendars: set[str] = set()
        self._sockets: weakref.WeakSet = weakref.WeakSet()

    # --- the two operations ---------------------------------------------------

    def put_event(self, calendar_url: str, uid: str, ics: bytes) -> None:
        """Create or overwrite the event with this UID (idempotent)."""
        self._ensure_calendar(calendar_url)
        url = event_url(calendar_url, uid)
        response = self._request('PUT', url, ics,
                                 {'Content-Type': 'text/calendar; charset=utf-8'})
        if response.status not in (200, 201, 204):
            raise _refused('store', response, url)

    def delete_event(self, calendar_url: str, uid: str) -> None:
        """Remove the event with this UID; an event (or calendar) that is not
        there any more is fine."""
        if not self._calendar_exists(calendar_url):
            return
        url = event_url(calendar_url, uid)
        response = self._request('DELETE', url)
        if response.status in (200, 202, 204, 404, 410):
            return
        raise _refused('delete', response, url)

    def close(self) -> None:
        for client in self._clients.values():
            try:
                client.close()
            except Exception:  # closing is best effort
                log.debug('closing a CalDAV client failed', exc_info=True)
        self._clients.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the calendar collection ------------------------------------------

    def _calendar_exists(self, calendar_url: str) -> bool:
        """True for a calendar collection, False when nothing is there;
        DeliveryError for anything else."""
        url = _collection(calendar_url)
        if url in self._known_calendars:
            return True
        response = self._request('PROPFIND', url, _PROPFIND_BODY,
                                 {'Depth': '0', 'Content-Type': 'application/xml; charset=utf-8'})
        if response.status in (404, 410):
            return False
        if response.status != 207 or response.tree is None:
            if response.status >= 400:
                raise _refused('open', response, url)
            raise DeliveryError(
                f'The server at {_where(url)} did not answer like a CalDAV calendar server '
                f'(HTTP {response.status} without a calendar description).',
                kind='not_caldav', server=_where(url), status=response.status)
        types = response.tree.iter(f'{_DAV}resourcetype')
        if not any(t.find(f'{_CALDAV}calendar') is not None for t in types):
            raise DeliveryError(f'{url} exists on the calendar server but is not a calendar.',
                                kind='not_calendar', url=url)
        self._known_calendars.add(url)
        return True

    def _ensure_calendar(self, calendar_url: str) -> None:
        if self._calendar_exists(calendar_url):
            return
        url = _collection(calendar_url)
        response = self._request('MKCALENDAR', url, _MKCALENDAR_BODY,
                                 {'Content-Type': 'application/xml; charset=utf-8'})
        if response.status == 409 and _parent(url):
            # The parent collection (the person's home) is missing: make it.
            parent = self._request('MKCOL', _parent(url))
            if parent.status not in (201, 405):     # 405: it exists after all
                raise _refused('create_folder', parent, _parent(url))
            response = self._request('MKCALENDAR', url, _MKCALENDAR_BODY,
                                     {'Content-Type': 'application/xml; charset=utf-8'})
        if response.status not in (200, 201, 405):  # 405: made meanwhile
            raise _refused('create', response, url)
        if not self._calendar_exists(url):
            raise DeliveryError(f'The calendar server at {_where(url)} said it created '
                                f'the calendar {url}, but it is not there.',
                                kind='not_created', server=_where(url), url=url)

    # --- HTTP ------------------------------------------------------------------

    def _client(self, url: str) -> DAVClient:
        parts = urlsplit(url)
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            raise DeliveryError(f'"{url}" is not a calendar address (http:// or https://).',
                                kind='bad_url', url=url)
        key = f'{parts.scheme}://{parts.netloc}/'
        client = self._clients.get(key)
        if client is None:
            client = DAVClient(url=key, username=self.username, password=self.password,
                               timeout=self.timeout, enable_rfc6764=False)
            adapter = _tracked_adapter(self._sockets)
            if adapter is not None:
                client.session.mount('http://', adapter)
                client.session.mount('https://', adapter)
            self._clients[key] = client
        return client

    def _cut_off(self, key: str, fired: threading.Event) -> None:
        """Deadline passed: shut every socket of this connection setup (the
        request in progress fails at once) and forget the client."""
        fired.set()
        for sock in list(self._sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        client = self._clients.pop(key, None)
        if client is not None:
            try:
                client.close()
            except Exception:  # closing is best effort
                log.debug('closing a CalDAV client failed', exc_info=True)

    def _request(self, method: str, url: str, body: str | bytes = '',
                 headers: dict | None = None):
        where = _where(url)
        deadline = self.timeout * self.DEADLINE_FACTOR
        fired = threading.Event()
        client = self._client(url)
        watchdog = threading.Timer(deadline, self._cut_off,
                                   (f'{urlsplit(url).scheme}://{urlsplit(url).netloc}/', fired))
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._send(client, method, url, body, headers, where)
        except DeliveryError as exc:
            if fired.is_set():
                raise DeadlinePassed(f'The calendar server at {where} did not finish '
                                     f'answering within {seconds(deadline)}.',
                                     kind='deadline', server=where,
                                     seconds=f'{deadline:g}') from exc
            raise
        finally:
            watchdog.cancel()

    def _send(self, client: DAVClient, method: str, url: str, body, headers, where: str):
        """One request; every failure as a DeliveryError in plain words."""
        try:
            return client.request(url, method, body, headers or {})
        except DeliveryError:
            raise
        except http.exceptions.Timeout as exc:
            raise ServerUnreachable(f'The calendar server at {where} did not answer within '
                                    f'{seconds(self.timeout)}.', kind='timeout', server=where,
                                    seconds=f'{self.timeout:g}') from exc
        except http.exceptions.ConnectionError as exc:
            # Connected, but the answer was no answer: say so, not "could not connect".
            text = str(exc).lower()
            if 'status line' in text or 'badstatusline' in text:
                raise ServerUnreachable(f'The calendar server at {where} answered with '
                                        f'something that is not HTTP: is CALDAV_URL the '
                                        f'right address and port?',
                                        kind='not_http', server=where) from exc
            if 'closed connection without response' in text:
                raise ServerUnreachable(f'The calendar server at {where} closed the '
                                        f'connection without answering.',
                                        kind='closed', server=where) from exc
            reason = _reason(exc)
            raise ServerUnreachable(f'Could not connect to the calendar server at {where} '
                                    f'({REASONS.get(reason, reason)}).',
                                    kind='connect', server=where, reason=reason) from exc
        except dav_error.AuthorizationError as exc:
            raise DeliveryError(f'The calendar server at {where} refused the login or '
                                f'access (check CALDAV_USERNAME and CALDAV_PASSWORD).',
                                kind='login', server=where) from exc
        except dav_error.RateLimitError as exc:
            raise DeliveryError(f'The calendar server at {where} is busy and asked us to '
                                f'try again later.', kind='busy', server=where) from exc
        except http.exceptions.RequestException as exc:
            reason = _reason(exc)
            raise DeliveryError(f'Talking to the calendar server at {where} failed '
                                f'({REASONS.get(reason, reason)}).',
                                kind='failed', server=where, reason=reason) from exc
        except Exception as exc:   # e.g. a body announced as XML that is not XML
            raise DeliveryError(f'The calendar server at {where} sent an answer that '
                                f'could not be read ({type(exc).__name__}).',
                                kind='unreadable', server=where,
                                name=type(exc).__name__) from exc


# Why a connection failed: a code (else the exception's class name), and
# its words in the English message.
REASONS = {'refused': 'connection refused', 'unknown_host': 'unknown host name',
           'reset': 'the connection was reset', 'tls': 'a TLS certificate problem'}


def _reason(exc: Exception) -> str:
    text = str(exc).lower()
    if 'refused' in text:
        return 'refused'
    if 'name or service not known' in text or 'nodename nor servname' in text \
            or 'name resolution' in text:
        return 'unknown_host'
    if 'reset' in text:
        return 'reset'
    if 'ssl' in text or 'certificate' in text:
        return 'tls'
    return type(exc).__name__


# What the server refused to do (the `action` of a 'refused' error).
ACTIONS = {'store': 'did not store the event', 'delete': 'did not delete the event',
           'open': 'did not open the calendar',
           'create_folder': 'did not create the calendar folder',
           'create': 'did not create the calendar'}


def _refused(action: str, response, url: str) -> DeliveryError:
    reason = (getattr(response, 'reason', '') or '').strip()
    status = f'HTTP {response.status}' + (f' {reason}' if reason else '')
    return DeliveryError(f'The calendar server at {_where(url)} {ACTIONS[action]} ({status}).',
                         kind='refused', action=action, server=_where(url),
                         status=response.status)


# --- the note a failed sync leaves on its row ----------------------------------------

def error_note(exc: Exception) -> str:
    """'[kind {values}] English message', or the message alone for an error
    without a kind: the row keeps the English for whoever reads the
    database, and the kind and values for the pages."""
    kind = getattr(exc, 'kind', '')
    if not kind:
        return str(exc)
    values = json.dumps(getattr(exc, 'params', {}), ensure_ascii=False, sort_keys=True,
                        separators=(',', ':'))
    return f'[{kind} {values}] {exc}'


def read_note(note: str) -> tuple[str, dict[str, str]] | None:
    """(kind, values) of an `error_note`; None for a note without a kind."""
    note = note or ''
    head, _space, rest = note[1:].partition(' ')
    if not note.startswith('[') or not head.replace('_', '').isalpha():
        return None
    try:
        values, end = json.JSONDecoder().raw_decode(rest)
    except ValueError:
        return None
    if not isinstance(values, dict) or not rest[end:].startswith(']'):
        return None
    return head, {str(key): str(value) for key, value in values.items()}


def from_config(config) -> CalDAV:
    """A CalDAV connection from CALDAV_USERNAME / CALDAV_PASSWORD / CALDAV_TIMEOUT."""
    return CalDAV(username=config.get('CALDAV_USERNAME'),
                  password=config.get('CALDAV_PASSWORD'),
                  timeout=timeout_of(config))


def timeout_of(config) -> float:
    try:
        value = float(config.get('CALDAV_TIMEOUT') or DEFAULT_TIMEOUT)
    except (TypeError, ValueError):
        return DEFAULT_TIMEOUT
    return value if 0 < value <= 300 else DEFAULT_TIMEOUT
