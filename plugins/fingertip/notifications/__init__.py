"""The mail layer: messages, templates, SMTP sending, the exactly-once ledger, digests, the catcher.

Public API (see ``docs/mail.md``)::

    from fingertip.notifications import Email, Attachment, InlineImage, send_once, enqueue, deliver
    from fingertip.notifications import templates            # templates.render(name, **ctx)

Submodules import Airflow and SQLAlchemy lazily enough for DAG files to import this package at
parse time without cost; the heavy parts (the SMTP provider, aiosmtpd) load when used.
"""

from __future__ import annotations

from fingertip.notifications.message import (
    Attachment,
    Email,
    InlineImage,
    build_mime,
    message_id_for,
    parse_addresses,
    validate_addresses,
)
from fingertip.notifications.smtp import MailConfigError, MailError, MailPermanentError, MailTemporaryError

__all__ = [
    "Attachment",
    "DeliveryReport",
    "Email",
    "InlineImage",
    "MailConfigError",
    "MailError",
    "MailInProgress",
    "MailPermanentError",
    "MailTemporaryError",
    "build_mime",
    "deliver",
    "enqueue",
    "message_id_for",
    "parse_addresses",
    "send_once",
    "validate_addresses",
]


def __getattr__(name: str):
    # The ledger pulls in SQLAlchemy and the store schema: load it on first use.
    if name in ("DeliveryReport", "MailInProgress", "enqueue", "deliver", "send_once"):
        from fingertip.notifications import ledger

        return getattr(ledger, name)
    raise AttributeError(name)
