"""Outgoing e-mail (password resets, invitations): SMTP when SMTP_HOST is set, else the log.

Development needs no mail server: the message, link included, is written to the log.
Production never writes a message body to the log (it may hold a reset token that takes
over the account); without SMTP it logs only that a message was not sent.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Protocol

from casework.core.settings import Environment, Settings

log = logging.getLogger(__name__)


class Mailer(Protocol):
    def send(self, *, to: str, subject: str, body: str) -> None: ...


class LogMailer:
    def __init__(self, *, show_body: bool = True) -> None:
        self.show_body = show_body

    def send(self, *, to: str, subject: str, body: str) -> None:
        if not self.show_body:
            log.warning("e-mail not sent (no SMTP_HOST set) to=%s subject=%s", to, subject)
            return
        log.warning("e-mail (no SMTP_HOST set, so written here) to=%s subject=%s\n%s",
                    to, subject, body)


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, *, to: str, subject: str, body: str) -> None:
        s = self.settings
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s.smtp_from, to, subject
        message.set_content(body)
        try:
            with smtplib.SMTP(s.smtp_host or "", s.smtp_port, timeout=20) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_username:
                    password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                    smtp.login(s.smtp_username, password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException):
            # Sent after the commit: the token exists; the user can ask again.
            log.exception("could not send e-mail to %s", to)


def build_mailer(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(settings)
    return LogMailer(show_body=settings.environment != Environment.production)
