"""SMS: Vonage when credentials are configured, else the outbox (a log line)."""
from __future__ import annotations

import logging

from . import DeliveryError

log = logging.getLogger('planpool.sms')


class OutboxSms:
    """Embedded default: the message stays readable in the Message table."""
    name = 'outbox'

    def send(self, *, to: str, sender: str, text: str, client_ref: str) -> str:
        log.warning('OUTBOX SMS to %s from %s: %s', to, sender, text)
        return f'outbox-{client_ref}'


class VonageSms:
    name = 'vonage'

    def __init__(self, api_key: str, api_secret: str | None = None,
                 signature_secret: str | None = None, signature_method='md5',
                 timeout: int = 10):
        from vonage import Auth, HttpClientOptions, Vonage
        auth = Auth(api_key=api_key, api_secret=api_secret,
                    signature_secret=signature_secret,
                    signature_method=signature_method)
        self.client = Vonage(auth, HttpClientOptions(timeout=timeout,
                                                     max_retries=0))

    def send(self, *, to: str, sender: str, text: str, client_ref: str) -> str:
        from vonage_http_client.errors import HttpRequestError
        from vonage_sms import SmsMessage
        from vonage_sms.errors import SmsError
        import requests

        # Vonage wants the number without '+'; client-ref carries our id so
        # delivery receipts find the row again.
        message = SmsMessage(to=to.lstrip('+'), from_=sender, text=text,
                             client_ref=client_ref,
                             type='unicode' if not _is_gsm(text) else 'text')
        try:
            response = self.client.sms.send(message)
        except (SmsError, HttpRequestError, requests.RequestException) as exc:
            raise DeliveryError(str(exc)) from exc
        except Exception as exc:  # SDK errors without a common base class
            raise DeliveryError(f'{type(exc).__name__}: {exc}') from exc
        return response.messages[0].message_id


# GSM 03.38 basic set (Danish and Swedish letters are in it).
_GSM = set('@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?'
           '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà'
           '^{}\\[~]|€')


def _is_gsm(text: str) -> bool:
    return all(c in _GSM for c in text)


def sender_from_config(config) -> OutboxSms | VonageSms:
    key = config.get('VONAGE_API_KEY')
    if not key:
        return OutboxSms()
    return VonageSms(key, config.get('VONAGE_API_SECRET') or None,
                     config.get('VONAGE_SIGNATURE_SECRET') or None,
                     config.get('VONAGE_SIGNATURE_METHOD') or 'md5')


def check_signature(config, params: dict) -> bool:
    """Vonage signed webhook: True when valid or when no secret is configured."""
    secret = config.get('VONAGE_SIGNATURE_SECRET')
    if not secret:
        return True
    if 'sig' not in params:
        return False
    from vonage import Auth
    auth = Auth(api_key=config.get('VONAGE_API_KEY') or 'unset',
                signature_secret=secret,
                signature_method=config.get('VONAGE_SIGNATURE_METHOD') or 'md5')
    return auth.check_signature(dict(params))
