"""Outgoing mail behind one small interface, chosen by settings.

- ``OutboxMailer`` (the default) writes every message as an ``.eml`` file under
  ``<data dir>/outbox/`` and logs that it did, never what it says: invitation links are
  secrets, and no secret reaches a log.
- ``SmtpMailer`` sends through the configured SMTP server (STARTTLS by default), in a worker
  thread so the event loop never waits on the network.
Callers send after their transaction has committed (``api.db.hooks.after_commit``): a
rolled-back invitation is never mailed.
"""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import structlog

from api.settings import MailSettings, Settings

__all__ = ["Mailer", "OutboxMailer", "SmtpMailer", "create_mailer"]

logger = structlog.get_logger(__name__)


class Mailer(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None: ...


def _message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@shopdesk>"
    message.set_content(body)
    return message


class OutboxMailer:
    def __init__(self, directory: Path, sender: str) -> None:
        self.directory, self._sender = directory, sender

    async def send(self, to: str, subject: str, body: str) -> None:
        message = _message(self._sender, to, subject, body)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.directory / f"{uuid.uuid4().hex}.eml"
        await asyncio.to_thread(path.write_bytes, bytes(message))
        path.chmod(0o600)
        logger.info("mail written to the outbox", to=to, subject=subject, file=path.name)


class SmtpMailer:
    def __init__(self, settings: MailSettings) -> None:
        self._settings = settings

    def _send_blocking(self, message: EmailMessage) -> None:
        s = self._settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password or "")
            smtp.send_message(message)

    async def send(self, to: str, subject: str, body: str) -> None:
        await asyncio.to_thread(self._send_blocking,
                                _message(self._settings.sender, to, subject, body))
        logger.info("mail sent", to=to, subject=subject)


def create_mailer(settings: Settings) -> Mailer:
    if settings.mail.backend == "smtp":
        return SmtpMailer(settings.mail)
    return OutboxMailer(settings.data_dir / "outbox", settings.mail.sender)
