"""Email: SMTP when SMTP_HOST is configured, else the outbox (a log line)."""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage

from . import DeliveryError

log = logging.getLogger('planpool.mail')


class OutboxMail:
    name = 'outbox'

    def send(self, *, to: str, sender: str, subject: str, body: str,
             message_id: str) -> str:
        log.warning('OUTBOX MAIL to %s: %s', to, subject)
        return f'outbox-{message_id}'


class SmtpMail:
    name = 'smtp'

    def __init__(self, host: str, port: int = 587, username: str | None = None,
                 password: str | None = None, starttls: bool = True,
                 timeout: int = 15):
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout

    def send(self, *, to: str, sender: str, subject: str, body: str,
             message_id: str) -> str:
        msg = EmailMessage()
        msg['From'], msg['To'], msg['Subject'] = sender, to, subject
        # A stable Message-ID lets receiving servers drop a retried duplicate.
        msg['Message-ID'] = f'<{message_id}@planpool>'
        msg.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or '')
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f'{type(exc).__name__}: {exc}') from exc
        return msg['Message-ID']


def mailer_from_config(config) -> OutboxMail | SmtpMail:
    host = config.get('SMTP_HOST')
    if not host:
        return OutboxMail()
    return SmtpMail(host, int(config.get('SMTP_PORT') or 587),
                    config.get('SMTP_USERNAME') or None,
                    config.get('SMTP_PASSWORD') or None,
                    str(config.get('SMTP_STARTTLS', 'true')).lower() in ('1', 'true', 'yes'))
