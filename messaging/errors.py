"""Why an outbound message has not gone through, in words staff can act on.

`last_error` keeps a short technical note (the provider's status code, never
its raw answer); these are the words the follow-up list and the message log
show instead.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _, ngettext

from integrations import caldav
from models import CalendarSync, Message

# Vonage SMS API statuses (developer.vonage.com/api-errors/sms): which ones
# another try may cure is decided in integrations.sms.
_NUMBER = {'3', '6', '22', '33'}     # invalid, unroutable, de-activated
_BARRED = {'7'}
_ACCOUNT = {'2', '4', '8', '11', '14', '15', '23', '29', '32'}   # our set-up
_TOO_LONG = {'12'}
_BUSY = {'1', '5', '9', '10'}              # throttled, internal, credit, binds


def _vonage_status(code: str) -> str:
    if code in _NUMBER:
        return _('The mobile number cannot receive SMS (invalid or not reachable). '
                 'Check the number.')
    if code in _BARRED:
        return _('The mobile number is barred from receiving SMS.')
    if code in _TOO_LONG:
        return _('The SMS is too long to be sent.')
    if code in _BUSY:
        return _('The SMS provider is busy or out of credit (code %(code)s).', code=code)
    if code in _ACCOUNT:
        return _('The SMS account is not set up correctly (code %(code)s). '
                 'Ask the administrator.', code=code)
    return _('The SMS provider refused the message (code %(code)s).', code=code)


def _vonage_http(code: str) -> str:
    if code in ('401', '403'):
        return _('The SMS account is not set up correctly (code %(code)s). '
                 'Ask the administrator.', code=f'HTTP {code}')
    return _('The SMS provider could not be reached (code %(code)s).', code=f'HTTP {code}')


def plain_error(message: Message) -> str:
    """A message's last error as staff can act on it ('' when none)."""
    error = (message.last_error or '').strip()
    sms = message.channel == Message.SMS
    if not error:
        return ''
    if message.direction == Message.IN:
        return _('The answer could not be handled: %(error)s', error=error[:300])
    if error == 'No recipient' or not (message.recipient or '').strip():
        return (_('There is no mobile number to send the SMS to.') if sms
                else _('There is no e-mail address to send to.'))
    if error.startswith(Message.STALLED):
        return (_('Sending the SMS stalled: it may or may not have reached the citizen.') if sms
                else _('Sending the e-mail stalled: it may or may not have reached the citizen.'))
    if error.startswith(Message.MAYBE_SENT):
        return _('The SMS provider did not answer in time: the SMS may have been sent. '
                 'Check with the recipient before sending it again.')
    if error.startswith('delivery receipt:'):   # 'delivery receipt: expired (err-code 5)'
        found = re.search(r'err-code ([\w-]+)', error)
        code = found.group(1) if found else '?'
        if 'expired' in error:
            return _('The phone could not be reached in time: the SMS expired '
                     '(code %(code)s).', code=code)
        return _('The phone network could not deliver the SMS (code %(code)s).', code=code)
    if sms and error.startswith('Vonage status '):
        return _vonage_status(error[len('Vonage status '):].split(':', 1)[0].strip())
    if sms and error.startswith('Vonage HTTP '):
        return _vonage_http(error[len('Vonage HTTP '):].split(':', 1)[0].strip())
    detail = error[:300]
    if sms:
        return _('The SMS could not be sent: %(error)s', error=detail)
    return _('The e-mail could not be sent: %(error)s', error=detail)


# --- calendar sync ---------------------------------------------------------------
# A sync row's note is the adapter's kind and values, then English for the
# database (integrations.caldav.error_note); these are its words on the pages.

def _calendar_reason(code: str) -> str:
    reasons = {'refused': _('connection refused'), 'unknown_host': _('unknown host name'),
               'reset': _('the connection was reset'), 'tls': _('a TLS certificate problem')}
    return reasons.get(code, code)    # else an exception's class name


def _calendar_refused(values: dict) -> str:
    words = dict(server=values.get('server', ''), status=values.get('status', ''))
    texts = {
        'store': _('The calendar server at %(server)s did not store the event '
                   '(HTTP %(status)s).', **words),
        'delete': _('The calendar server at %(server)s did not delete the event '
                    '(HTTP %(status)s).', **words),
        'open': _('The calendar server at %(server)s did not open the calendar '
                  '(HTTP %(status)s).', **words),
        'create_folder': _('The calendar server at %(server)s did not create the calendar '
                           'folder (HTTP %(status)s).', **words),
        'create': _('The calendar server at %(server)s did not create the calendar '
                    '(HTTP %(status)s).', **words),
    }
    return texts.get(values.get('action', ''),
                     _('The calendar server at %(server)s refused the change '
                       '(HTTP %(status)s).', **words))


def _calendar_wait(kind: str, values: dict) -> str:
    """The server took too long: within N seconds (a whole-number count
    picks the plural; the seconds themselves may be 2.5)."""
    seconds = values.get('seconds', '')
    count = 1 if seconds == '1' else 2
    if kind == 'deadline':
        return ngettext('The calendar server at %(server)s did not finish answering within '
                        '%(seconds)s second.',
                        'The calendar server at %(server)s did not finish answering within '
                        '%(seconds)s seconds.', count,
                        server=values.get('server', ''), seconds=seconds)
    return ngettext('The calendar server at %(server)s did not answer within %(seconds)s '
                    'second.',
                    'The calendar server at %(server)s did not answer within %(seconds)s '
                    'seconds.', count, server=values.get('server', ''), seconds=seconds)


def _calendar_server_text(kind: str, values: dict) -> str | None:
    """The words for a kind the adapter reports about the server."""
    server = values.get('server', '')
    if kind in ('connect', 'failed'):
        reason = _calendar_reason(values.get('reason', ''))
        return (_('Could not connect to the calendar server at %(server)s (%(reason)s).',
                  server=server, reason=reason) if kind == 'connect' else
                _('Talking to the calendar server at %(server)s failed (%(reason)s).',
                  server=server, reason=reason))
    if kind in ('timeout', 'deadline'):
        return _calendar_wait(kind, values)
    texts = {
        'not_http': _('The calendar server at %(server)s answered with something that is not '
                      'HTTP: is CALDAV_URL the right address and port?', server=server),
        'closed': _('The calendar server at %(server)s closed the connection without '
                    'answering.', server=server),
        'login': _('The calendar server at %(server)s refused the login or access (check '
                   'CALDAV_USERNAME and CALDAV_PASSWORD).', server=server),
        'busy': _('The calendar server at %(server)s is busy and asked us to try again later.',
                  server=server),
        'unreadable': _('The calendar server at %(server)s sent an answer that could not be '
                        'read (%(name)s).', server=server, name=values.get('name', '')),
        'not_caldav': _('The server at %(server)s did not answer like a CalDAV calendar server '
                        '(HTTP %(status)s without a calendar description).', server=server,
                        status=values.get('status', '')),
        'not_created': _('The calendar server at %(server)s said it created the calendar '
                         '%(url)s, but it is not there.', server=server,
                         url=values.get('url', '')),
    }
    return texts.get(kind)


def _calendar_other_text(kind: str, values: dict) -> str | None:
    texts = {
        'not_calendar': _('%(url)s exists on the calendar server but is not a calendar.',
                          url=values.get('url', '')),
        'bad_url': _('"%(url)s" is not a calendar address (http:// or https://).',
                     url=values.get('url', '')),
        'caseworker_gone': _('The caseworker no longer exists.'),
        'meeting_gone': _('The meeting no longer exists.'),
        'bad_address': _("The caseworker's calendar address cannot be used: check it on the "
                         "caseworker's page."),
        'internal': _('An error in Planpool stopped the update (%(name)s).',
                      name=values.get('name', '')),
    }
    return texts.get(kind)


def calendar_error(note: str) -> str:
    """A calendar sync row's note as staff read it ('' when there is none)."""
    note = (note or '').strip()
    if not note:
        return ''
    if note.startswith(CalendarSync.STALLED):
        return _('Updating the calendar stalled: it may or may not show the meeting.')
    found = caldav.read_note(note)
    kind, values = found if found else ('', {})
    if kind == 'refused':
        return _calendar_refused(values)
    text = _calendar_server_text(kind, values) or _calendar_other_text(kind, values)
    # A note from before kinds were kept: its English is not for the page.
    return text or _('The calendar could not be updated.')
