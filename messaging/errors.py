"""Why an outbound message has not gone through, in words staff can act on.

`last_error` keeps a short technical note (the provider's status code, never
its raw answer); these are the words the follow-up list and the message log
show instead.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _

from models import Message

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
