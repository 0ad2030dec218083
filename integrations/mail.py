"""Email: SMTP when SMTP_HOST is configured, else the outbox (a log line)."""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from . import DeliveryError

log = logging.getLogger('planpool.mail')


def stable_message_id(message, mail_from: str) -> str:
    """The same Message-ID on every attempt, so a receiving server can drop a
    retried duplicate; the creation time and the sender's domain keep it
    apart from other installations (and from a database started afresh)."""
    domain = parseaddr(mail_from)[1].rpartition('@')[2] or 'planpool.invalid'
    return (f'<planpool.{message.id}.{message.created_at:%Y%m%d%H%M%S}'
            f'@{domain}>')


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
        try:
            msg = EmailMessage()
            msg['From'], msg['To'], msg['Subject'] = sender, to, subject
            msg['Date'] = formatdate(usegmt=True)
            msg['Message-ID'] = message_id
            msg.set_content(body)
        except (ValueError, TypeError) as exc:  # e.g. a line break in a header
            raise DeliveryError(f'invalid message: {exc}') from exc
        try:
            if self.port == 465:  # implicit TLS ("SMTPS")
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.starttls and self.port != 465:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or '')
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f'{type(exc).__name__}: {exc}') from exc
        return message_id


def mailer_from_config(config) -> OutboxMail | SmtpMail:
    host = config.get('SMTP_HOST')
    if not host:
        return OutboxMail()
    return SmtpMail(host, int(config.get('SMTP_PORT') or 587),
                    config.get('SMTP_USERNAME') or None,
                    config.get('SMTP_PASSWORD') or None,
                    str(config.get('SMTP_STARTTLS', 'true')).lower() in ('1', 'true', 'yes'))
