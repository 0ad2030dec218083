"""SMS: Vonage when credentials are configured, else the outbox (a log line)."""
from __future__ import annotations

import logging
import time

import requests

from . import DeliveryError, MaybeSentError, PermanentDeliveryError

log = logging.getLogger('planpool.sms')

# Vonage retries an unanswered webhook for 24 hours and, it seems, keeps the
# first push's `timestamp`; a signed request older than this is refused as a
# replay. Inbound SMS are deduplicated on messageId and receipts are
# idempotent, so a replay inside the window changes nothing either.
WEBHOOK_MAX_AGE = 25 * 3600
WEBHOOK_MAX_SKEW = 5 * 60   # a timestamp this far in the future is refused


class OutboxSms:
    """Embedded default: the message stays readable in the Message table."""
    name = 'outbox'

    def send(self, *, to: str, sender: str, text: str, client_ref: str) -> str:
        log.warning('OUTBOX SMS to %s from %s: %s', to, sender, text)
        return f'outbox-{client_ref}'


class VonageSms:
    """The Vonage SMS API through the official SDK.

    Requests are authenticated with the API secret when one is configured,
    else signed with the signature secret.
    """
    name = 'vonage'

    def __init__(self, api_key: str, api_secret: str | None = None,
                 signature_secret: str | None = None, signature_method='md5',
                 timeout: int = 10):
        from vonage import Auth, HttpClientOptions, Vonage
        self.signed = not api_secret
        auth = Auth(api_key=api_key, api_secret=api_secret,
                    signature_secret=signature_secret if self.signed else None,
                    signature_method=signature_method)
        # No retries inside one attempt: a connection closed without an
        # answer may come after Vonage took the SMS, and the SDK re-posts on
        # that up to `pool_maxsize` times. A failed attempt goes back to the
        # queue (with backoff) instead, where a delivery receipt can still win.
        self.client = Vonage(auth, HttpClientOptions(timeout=timeout, max_retries=0,
                                                     pool_connections=1, pool_maxsize=1))

    def send(self, *, to: str, sender: str, text: str, client_ref: str) -> str:
        from vonage_sms import SmsMessage

        try:
            # Vonage wants the number without '+'; client-ref carries our id
            # so delivery receipts find the row again.
            message = SmsMessage(to=to.lstrip('+'), from_=sender, text=text,
                                 client_ref=client_ref,
                                 type='text' if _is_gsm(text) else 'unicode')
            # Sms.send() would sign the unset (None) fields too, which Vonage
            # never receives, so a signed request could not verify: post the
            # set fields through the SDK's own HTTP client instead.
            http = self.client.http_client
            data = http.post(http.rest_host, '/sms/json',
                             message.model_dump(by_alias=True, exclude_none=True),
                             'signature' if self.signed else 'basic', 'form')
        except Exception as exc:  # SDK, HTTP and connection errors alike
            raise classify_failure(exc) from exc
        parts = (data or {}).get('messages') or []
        if not parts:
            raise DeliveryError('Vonage answered without messages')
        for part in parts:
            status = str(part.get('status'))
            if status != '0':
                error = 'Vonage status {}: {}'.format(status, str(part.get('error-text', ''))[:100])
                raise (DeliveryError if status in TEMPORARY_STATUSES
                       else PermanentDeliveryError)(error)
        return parts[0].get('message-id') or None


# Vonage SMS API statuses worth another try (developer.vonage.com/api-errors/sms):
# throttled, internal error, out of credit (top up and retry), too many binds.
# Every other status (invalid or barred number, account set-up) repeats itself.
TEMPORARY_STATUSES = frozenset({'1', '5', '9', '10'})


def classify_failure(exc: Exception) -> DeliveryError:
    """An exception of one send attempt as a DeliveryError: temporary
    (never reached Vonage, or Vonage asks to come back), permanent (Vonage
    refuses this request as it is) or maybe sent (the request went out and no
    answer came back: Vonage has no idempotency key, so it is not repeated).
    Only the status code is kept, never the provider's answer body."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return DeliveryError('Could not connect to Vonage (timeout)')
    if isinstance(exc, requests.exceptions.Timeout):   # read timeout: sent, unanswered
        return MaybeSentError('Vonage did not answer in time')
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc)
        if any(word in text for word in ('RemoteDisconnected', 'Connection aborted',
                                         'ConnectionResetError')):
            return MaybeSentError('Vonage closed the connection without an answer')
        return DeliveryError('Could not connect to Vonage')
    response = getattr(exc, 'response', None)
    code = getattr(response, 'status_code', None)
    if isinstance(code, int):
        error = f'Vonage HTTP {code}'
        if code == 429 or code >= 500:
            return DeliveryError(error)
        return PermanentDeliveryError(error)
    return DeliveryError(f'{type(exc).__name__}: {exc}'[:300])


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


def check_signature(config, params: dict, now: float | None = None) -> bool:
    """Vonage signed webhook: True when valid.

    Without a secret every request is refused, unless the app runs in the
    explicit development mode (DEV_MODE, from PLANPOOL_DEV=1). Valid means the `sig` matches the other parameters and the signed
    `timestamp` is recent (see WEBHOOK_MAX_AGE, or VONAGE_WEBHOOK_MAX_AGE in
    seconds).
    """
    secret = config.get('VONAGE_SIGNATURE_SECRET')
    if not secret:
        if config.get('DEV_MODE'):
            return True
        log.error('Vonage webhook refused: VONAGE_SIGNATURE_SECRET is not set')
        return False
    sig = params.get('sig')
    if not sig or not isinstance(sig, str):
        log.warning('Vonage webhook without signature refused')
        return False
    from vonage import Auth
    auth = Auth(api_key=config.get('VONAGE_API_KEY') or 'unset',
                signature_secret=secret,
                signature_method=config.get('VONAGE_SIGNATURE_METHOD') or 'md5')
    try:
        timestamp = int(str(params.get('timestamp', '')))
    except ValueError:
        log.warning('Vonage webhook without a valid timestamp refused')
        return False
    try:
        valid = auth.check_signature(
            {k: v for k, v in params.items() if isinstance(v, str)})
    except Exception:  # malformed input must not become a 500
        log.exception('Vonage webhook signature could not be checked')
        return False
    if not valid:
        log.warning('Vonage webhook with a wrong signature refused')
        return False
    now = time.time() if now is None else now
    max_age = int(config.get('VONAGE_WEBHOOK_MAX_AGE') or WEBHOOK_MAX_AGE)
    if not now - max_age <= timestamp <= now + WEBHOOK_MAX_SKEW:
        log.warning('Vonage webhook signed at %s refused as a replay', timestamp)
        return False
    return True
