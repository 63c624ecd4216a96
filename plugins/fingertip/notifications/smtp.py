"""Sending prebuilt MIME messages over the Airflow SMTP provider's connection.

:class:`SmtpTransport` resolves the connection (``smtp_default`` by default) through
``airflow.providers.smtp.hooks.smtp.SmtpHook`` — host, port, SSL/STARTTLS, login, ``from_email``,
``timeout`` all come from the connection and its extras — then sends our own MIME message with
``smtplib.SMTP.send_message`` (so attachments, inline images and the Message-ID are exactly
ours, not the hook's).

Errors are classified:

* :class:`MailTemporaryError` — connection refused, timeout, DNS failure, server disconnected,
  any 4xx reply, authentication/TLS/sender problems (these are about the connection, not the
  message: once fixed, the same mail goes out). Retried here with exponential backoff, then by the
  next ``deliver`` or the Airflow task's retry;
* :class:`MailPermanentError` — a 5xx refusal of the recipient (``SMTPRecipientsRefused``) or of
  the message itself (5xx after DATA). Never retried; the error names the recipient and the
  server's reply;
* :class:`MailConfigError` — no such connection or no ``from_email``.

Passwords are never logged: log lines carry the connection id, host and port only.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_CONN_ID = "smtp_default"


class MailError(Exception):
    """Base of the mail layer's errors."""


class MailTemporaryError(MailError):
    """Delivery failed for a reason that may go away (network, 4xx, server down)."""

    def __init__(self, message: str, *, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


class MailPermanentError(MailError):
    """The server refused the recipient or the message for good (5xx)."""

    def __init__(self, message: str, *, recipients: dict[str, tuple[int, str]] | None = None,
                 report: Any = None) -> None:
        super().__init__(message)
        self.recipients = recipients or {}
        self.report = report


class MailConfigError(MailError):
    """The SMTP connection is missing or incomplete."""


def _reply_text(reply: Any) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return str(reply)


def classify(exc: BaseException, *, where: str = "SMTP server") -> MailError | None:
    """The mail error ``exc`` stands for, or None when it is not a delivery error (a bug)."""
    if isinstance(exc, MailError):
        return exc
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = {addr: (int(code), _reply_text(msg)) for addr, (code, msg) in exc.recipients.items()}
        text = "; ".join(f"{addr}: {code} {msg}" for addr, (code, msg) in refused.items())
        if refused and all(code >= 500 for code, _ in refused.values()):
            return MailPermanentError(f"{where} refused recipient(s) {text}", recipients=refused)
        return MailTemporaryError(f"{where} temporarily refused recipient(s) {text}")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailTemporaryError(f"{where}: authentication failed ({exc.smtp_code} "
                                  f"{_reply_text(exc.smtp_error)}); check the connection's login")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return MailTemporaryError(f"{where} refused the sender {exc.sender}: {exc.smtp_code} "
                                  f"{_reply_text(exc.smtp_error)}; check from_email of the connection")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return MailPermanentError(f"{where} does not support what this message needs: {exc}")
    if isinstance(exc, smtplib.SMTPResponseException):  # SMTPDataError, SMTPHeloError, ...
        code, text = int(exc.smtp_code), _reply_text(exc.smtp_error)
        if isinstance(exc, smtplib.SMTPDataError) and code >= 500:
            return MailPermanentError(f"{where} refused the message: {code} {text}")
        return MailTemporaryError(f"{where} replied {code} {text}")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return MailTemporaryError(f"{where} disconnected: {exc or 'connection closed'}")
    if isinstance(exc, smtplib.SMTPException):
        return MailTemporaryError(f"{where}: {exc.__class__.__name__}: {exc}")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return MailTemporaryError(f"{where} timed out: {exc or 'no answer'}")
    if isinstance(exc, ConnectionRefusedError):
        return MailTemporaryError(f"{where} refused the connection (is it running?): {exc}")
    if isinstance(exc, ssl.SSLError):
        return MailTemporaryError(f"{where}: TLS error {exc}; check disable_ssl/disable_tls of the connection")
    if isinstance(exc, OSError):  # DNS, unreachable, reset …
        return MailTemporaryError(f"{where}: network error {exc.__class__.__name__}: {exc}")
    return None


class SmtpTransport:
    """One SMTP session over an Airflow connection, reconnecting and retrying as needed.

    ``retries`` extra attempts per message after the first (default 2) with ``backoff`` seconds
    doubling each time (capped at ``max_backoff``). Use as a context manager.
    """

    def __init__(self, conn_id: str = DEFAULT_CONN_ID, *, retries: int = 2, backoff: float = 1.0,
                 max_backoff: float = 30.0, sleep: Callable[[float], None] = time.sleep) -> None:
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        self.conn_id = conn_id
        self.retries = max(0, int(retries))
        self.backoff = max(0.0, float(backoff))
        self.max_backoff = max_backoff
        self._sleep = sleep
        self.hook = SmtpHook(smtp_conn_id=conn_id)
        try:
            self.hook.smtp_connection = self.hook.get_connection(conn_id)
        # AirflowNotFoundException, or the secrets backend / metadata DB failing: no usable connection
        except Exception as exc:  # noqa: BLE001 — all mean MailConfigError, see above
            raise MailConfigError(f"SMTP connection {conn_id!r} is not defined ({exc.__class__.__name__}); "
                                  f"define it in airflow_settings.yaml or AIRFLOW_CONN_{conn_id.upper()}") from None
        from_email = self.hook.from_email
        if not from_email:
            raise MailConfigError(f"SMTP connection {conn_id!r} has no from_email extra")
        self.from_email: str = from_email
        self.where = f"SMTP server {self.hook.host or '?'}:{self.hook.port or '?'} ({conn_id})"
        self._client: smtplib.SMTP | None = None
        #: the last connection failure, once connecting failed after every retry
        self.unavailable: MailError | None = None  # why the server could not be reached (see send)
        self.messages_sent = 0

    # -- session ---------------------------------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        if self._client is None:
            from airflow.providers.common.compat.sdk import AirflowException

            self.hook._smtp_client = None
            try:
                self.hook.get_conn()  # builds the client, STARTTLS and login per the connection
            except AirflowException as exc:
                raise MailTemporaryError(f"{self.where}: {exc}") from exc
            # The provider keeps the connected smtplib client here; get_conn() returns the hook.
            client = self.hook._smtp_client
            if client is None:
                raise MailTemporaryError(f"{self.where}: the SMTP hook connected no client")
            self._client = client
            log.info("mail: connected to %s as %s", self.where, self.from_email)
        return self._client

    def _drop(self) -> None:
        client, self._client = self._client, None
        self.hook._smtp_client = None
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing a broken socket
                pass

    def close(self) -> None:
        client, self._client = self._client, None
        self.hook._smtp_client = None
        if client is not None:
            try:
                client.quit()
            except Exception:  # noqa: BLE001 - the server may be gone already
                try:
                    client.close()
                except Exception:  # noqa: BLE001
                    pass

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- sending ---------------------------------------------------------------------------

    def send(self, msg: EmailMessage, recipients: Sequence[str]) -> None:
        """Send ``msg`` to the envelope ``recipients``; raise a :class:`MailError` on failure.

        Temporary errors are retried ``retries`` times (reconnecting); permanent ones are not.
        If some recipients of several are refused, :class:`MailPermanentError` names them (the
        others did receive the message).
        """
        recipients = list(recipients)
        mid = msg.get("Message-ID", "?")
        for attempt in range(self.retries + 1):
            stage = "connect"
            try:
                client = self._connect()
                stage = "send"
                refused = client.send_message(msg, from_addr=self.from_email, to_addrs=recipients)
            except Exception as exc:  # classify() decides; what is not a delivery error is re-raised
                self._drop()
                error = classify(exc, where=self.where)
                if error is None:
                    raise
                if isinstance(error, MailPermanentError):
                    if error is exc:
                        raise
                    raise error from exc
                if attempt < self.retries:
                    delay = min(self.max_backoff, self.backoff * (2 ** attempt))
                    log.warning("mail: %s (Message-ID %s, attempt %d/%d); retrying in %.1f s",
                                error, mid, attempt + 1, self.retries + 1, delay)
                    if delay:
                        self._sleep(delay)
                    continue
                # Out of retries. A server we could not even connect to is unavailable for the
                # rest of this session: the ledger then stops trying the other messages.
                self.unavailable = error if stage == "connect" else None
                if error is exc:
                    raise
                raise error from exc
            self.unavailable = None
            self.messages_sent += 1
            if refused:  # some of several recipients refused; the others got it
                partly = classify(smtplib.SMTPRecipientsRefused(refused), where=self.where)
                assert partly is not None  # refused recipients always classify as a mail error
                raise partly
            return


def send_message(msg: EmailMessage, recipients: Sequence[str] | None = None, *,
                 smtp_conn_id: str = DEFAULT_CONN_ID, retries: int = 2, backoff: float = 1.0) -> None:
    """Send one prebuilt message outside the ledger (no exactly-once guarantee; tests, tools)."""
    from fingertip.notifications.message import recipients_of

    with SmtpTransport(smtp_conn_id, retries=retries, backoff=backoff) as transport:
        transport.send(msg, recipients or recipients_of(msg))
