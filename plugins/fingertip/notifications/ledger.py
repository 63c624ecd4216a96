"""The notification ledger: exactly-once mail delivery on the ``notifications`` table.

One row per notification and recipient, keyed by ``notification_key`` (unique). Life of a row::

    enqueue ──► queued ──claim──► sending ──ok──► sent
                  ▲                  │
                  │                  ├─ temporary error ──► failed (retried while attempts < max)
                  └──── (next deliver / task retry)
                                     └─ permanent error ──► failed, attempts = max (never retried)

* :func:`enqueue` is idempotent on the key (``INSERT … ON CONFLICT DO NOTHING``): enqueueing the
  same key again returns the existing row's id and changes nothing, so task re-runs never queue a
  second mail.
* :func:`deliver` sends every due row. Each row is *claimed* with a conditional UPDATE
  (``status → sending, attempts + 1`` only if status and attempts are still what was read), in its
  own committed transaction, before anything is sent: of two concurrent deliverers only one wins
  the claim, so a row is never sent twice by two workers.
* While a row is ``sending``, ``sent_at`` holds the time of the claim (the lease start); once the
  row is ``sent`` it holds the time the server accepted the message. A row left in ``sending``
  longer than the lease (``[fingertip] mail_lease_minutes``, 15 by default: the process died between
  claim and the final update) is claimed again and resent **with the same Message-ID** (derived from the key), so the
  receiving side can drop the duplicate. That window — the server accepted the message but the
  ledger update was lost — is the only way a message can go out twice. A :func:`deliver` of explicit
  keys (a send task) that finds one of its rows ``sending`` within the lease raises
  :class:`MailInProgress` instead of succeeding, so the task retries until the row is sent.

Payloads hold paths, not bytes: ``{"text", "html", "attachments": [{"filename", "path",
"mime_type"}], "inline_images": [{"cid", "path", "mime_type"}], "to", "cc", "reply_to",
"headers"}``; documents are already stored under the outputs folder. ``to``/``cc`` are the header
lists (who the recipients see); the envelope recipient is always the row's own ``recipient``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from fingertip import config
from fingertip.notifications.message import (
    Attachment,
    Email,
    InlineImage,
    build_mime,
    message_id_for,
    validate_addresses,
)
from fingertip.notifications.smtp import (
    DEFAULT_CONN_ID,
    MailConfigError,
    MailPermanentError,
    MailTemporaryError,
    SmtpTransport,
)
from fingertip.store import ops, schema

log = logging.getLogger(__name__)

N = schema.notifications


def _max_length(column: sa.Column) -> int:
    """The declared length of a string column."""
    if not isinstance(column.type, sa.String) or column.type.length is None:
        raise TypeError(f"{column} is not a string column of bounded length")
    return column.type.length


KEY_MAX = _max_length(N.c.notification_key)  # 200
SUBJECT_MAX = _max_length(N.c.subject)        # 500
KIND_MAX = _max_length(N.c.kind)
DEFAULT_LEASE = dt.timedelta(minutes=15)
DEFAULT_MAX_ATTEMPTS = 5
DUE_STATUSES = ("queued", "failed")



class MailInProgress(MailTemporaryError):
    """A requested notification is claimed (``sending``) by another delivery that has not finished:
    not delivered as far as the ledger knows; retry after the lease."""


# -- helpers -----------------------------------------------------------------------------------

def utcnow() -> dt.datetime:
    """Naive UTC, as the store keeps timestamps."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        raise TypeError(f"expected a datetime, got {value!r}")
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def fit_key(key: str) -> str:
    """The key as stored: unchanged up to 200 characters, else a prefix plus a hash of the whole
    (deterministic, so the same long key always maps to the same row)."""
    if not isinstance(key, str) or not key.strip():
        raise ValueError("notification key must be a non-empty string")
    if len(key) <= KEY_MAX:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return f"{key[:KEY_MAX - 17]}#{digest}"


def recipient_key(key: str, recipient: str) -> str:
    """The ledger key of one recipient of a mail: ``{key}:{recipient}`` (address lower-cased)."""
    return fit_key(f"{key}:{recipient.lower()}")


def _check_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        raise ValueError("payload must be a mapping with at least 'text'")
    data = dict(payload)
    if not isinstance(data.get("text"), str) or not data["text"].strip():
        raise ValueError("payload needs a non-empty plain-text body 'text' (every mail has a text version)")
    if data.get("html") is not None and not isinstance(data["html"], str):
        raise ValueError("payload 'html' must be a string")
    for item in data.get("attachments") or []:
        if not isinstance(item, Mapping) or not item.get("filename") or not item.get("path"):
            raise ValueError(f"payload attachment {item!r} needs 'filename' and 'path' (paths, not bytes)")
    for item in data.get("inline_images") or []:
        if not isinstance(item, Mapping) or not item.get("cid") or not item.get("path"):
            raise ValueError(f"payload inline image {item!r} needs 'cid' and 'path' (paths, not bytes)")
    try:
        json.dumps(data)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"payload must be JSON-serialisable: {exc}") from None
    return data


def payload_from_email(email: Email) -> dict[str, Any]:
    """The ledger payload of an :class:`Email` (attachments and images must be paths)."""
    attachments = []
    for att in email.attachments:
        if att.path is None:
            raise ValueError(f"attachment {att.filename!r} has bytes only; the ledger stores paths — write it "
                             "under the outputs folder first (fingertip.config.output_path)")
        attachments.append({"filename": att.filename, "path": att.path, "mime_type": att.mime_type})
    images = []
    for img in email.inline_images:
        if img.path is None:
            raise ValueError(f"inline image {img.cid!r} has bytes only; the ledger stores paths")
        images.append({"cid": img.cid, "path": img.path, "mime_type": img.mime_type})
    return {"text": email.text, "html": email.html, "attachments": attachments, "inline_images": images,
            "to": validate_addresses(list(email.to)), "cc": validate_addresses(list(email.cc)),
            "reply_to": email.reply_to, "headers": dict(email.headers or {})}


def email_from_row(subject: str, recipient: str, payload: Mapping[str, Any]) -> Email:
    """Rebuild the :class:`Email` a ledger row stands for."""
    data = _check_payload(payload or {})
    return Email(
        subject=subject,
        to=list(data.get("to") or [recipient]),
        text=data["text"],
        html=data.get("html"),
        attachments=[Attachment(a["filename"], path=a["path"], mime_type=a.get("mime_type"))
                     for a in data.get("attachments") or []],
        inline_images=[InlineImage(i["cid"], path=i["path"], mime_type=i.get("mime_type") or "image/png")
                       for i in data.get("inline_images") or []],
        cc=list(data.get("cc") or []),
        reply_to=data.get("reply_to"),
        headers=dict(data.get("headers") or {}),
    )


class _Tx:
    """``with _Tx(engine_or_conn) as conn``: a new transaction on an engine, or the caller's connection."""

    def __init__(self, target: Engine | Connection) -> None:
        self.target = target
        self._cm: AbstractContextManager[Connection] | None = None

    def __enter__(self) -> Connection:
        if isinstance(self.target, Connection):
            return self.target
        self._cm = self.target.begin()
        return self._cm.__enter__()

    def __exit__(self, *exc) -> Any:
        if self._cm is not None:
            return self._cm.__exit__(*exc)
        return None


# -- enqueue -----------------------------------------------------------------------------------

def _enqueue(conn: Connection, *, key: str, recipient: str, subject: str, kind: str, payload: Mapping[str, Any],
             case_id: int | None, audit_run_id: int | None, not_before: dt.datetime | None,
             channel: str, now: dt.datetime | None) -> tuple[int, bool]:
    key = fit_key(key)
    addrs = validate_addresses([recipient])
    if len(addrs) != 1:
        raise ValueError(f"exactly one recipient per ledger row, got {recipient!r}")
    if not isinstance(subject, str) or not subject.strip():
        raise ValueError("notification needs a subject")
    if "\n" in subject or "\r" in subject:
        raise ValueError("notification subject must be one line")
    if len(subject) > SUBJECT_MAX:
        raise ValueError(f"subject longer than {SUBJECT_MAX} characters")
    if not kind or len(kind) > KIND_MAX:
        raise ValueError(f"invalid notification kind {kind!r}")
    row = {
        "notification_key": key, "channel": channel, "recipient": addrs[0], "subject": subject, "kind": kind,
        "case_id": case_id, "audit_run_id": audit_run_id, "status": "queued", "attempts": 0,
        "payload": _check_payload(payload), "not_before": _naive_utc(not_before),
        "queued_at": _naive_utc(now) or utcnow(),
    }
    existing = conn.execute(sa.select(N.c.id).where(N.c.notification_key == key)).scalar_one_or_none()
    if existing is not None:
        return int(existing), False
    ops.upsert(conn, N, [row], key=["notification_key"], update=())
    new_id = conn.execute(sa.select(N.c.id).where(N.c.notification_key == key)).scalar_one()
    return int(new_id), True


def enqueue(engine_or_conn: Engine | Connection, *, key: str, recipient: str, subject: str, kind: str,
            payload: Mapping[str, Any], case_id: int | None = None, audit_run_id: int | None = None,
            not_before: dt.datetime | None = None, channel: str = "email",
            now: dt.datetime | None = None) -> int:
    """Queue one notification for one recipient; return its ledger id.

    Idempotent on ``key``: a second call with the same key returns the existing id and changes
    nothing (not even a different payload or date). ``not_before`` (aware, or naive UTC) delays
    delivery (reminders). Keys longer than 200 characters are shortened deterministically
    (:func:`fit_key`). Raises ``ValueError`` for a bad address, subject or payload.
    """
    with _Tx(engine_or_conn) as conn:
        row_id, created = _enqueue(conn, key=key, recipient=recipient, subject=subject, kind=kind,
                                   payload=payload, case_id=case_id, audit_run_id=audit_run_id,
                                   not_before=not_before, channel=channel, now=now)
    if created:
        log.info("mail: queued %s notification %s for %s", kind, fit_key(key), recipient)
    return row_id


def enqueue_many(engine_or_conn: Engine | Connection, rows: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """Enqueue several notifications (keyword dicts of :func:`enqueue`) in one transaction;
    returns ``(created, already_present)``."""
    created = present = 0
    with _Tx(engine_or_conn) as conn:
        for row in rows:
            args = {"case_id": None, "audit_run_id": None, "not_before": None, "channel": "email", "now": None,
                    **row}
            _id, new = _enqueue(conn, **args)
            created += new
            present += not new
    return created, present


# -- deliver -----------------------------------------------------------------------------------

@dataclass
class DeliveryReport:
    """What one :func:`deliver` did. ``details``: one dict per row looked at (key, recipient,
    outcome, message_id, error). ``skipped``: requested rows not sent now (not due yet, being sent
    by another deliverer); ``deferred`` ⊂ failed_temporary: rows not tried because the server was
    unreachable."""

    sent: int = 0
    already_sent: int = 0
    failed_temporary: int = 0
    failed_permanent: int = 0
    details: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0
    deferred: int = 0
    in_progress: int = 0  # ⊂ skipped: requested rows claimed ('sending') and still within their lease

    def add(self, outcome: str, row: Any, *, message_id: str | None = None, error: str | None = None,
            **extra: Any) -> None:
        self.details.append({"id": row.id, "key": row.notification_key, "recipient": row.recipient,
                             "kind": row.kind, "outcome": outcome, "message_id": message_id,
                             "error": error, **extra})

    def summary(self) -> str:
        return (f"sent {self.sent}, already sent {self.already_sent}, failed temporarily {self.failed_temporary}"
                f" (deferred {self.deferred}), failed permanently {self.failed_permanent}, skipped {self.skipped}"
                f" (in progress {self.in_progress})")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def merge(self, other: DeliveryReport) -> DeliveryReport:
        for name in ("sent", "already_sent", "failed_temporary", "failed_permanent", "skipped", "deferred",
                     "in_progress"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.details.extend(other.details)
        return self


_COLUMNS = (N.c.id, N.c.notification_key, N.c.recipient, N.c.subject, N.c.kind, N.c.status, N.c.attempts,
            N.c.message_id, N.c.last_error, N.c.not_before, N.c.sent_at)


def _filters(keys: Sequence[str] | None, kind: str | None, key_prefix: str | None) -> list[Any]:
    conds: list[Any] = [N.c.channel == "email"]
    if kind is not None:
        conds.append(N.c.kind == kind)
    if key_prefix is not None:
        # startswith with autoescape: '%' and '_' in keys are literal
        conds.append(N.c.notification_key.startswith(key_prefix, autoescape=True))
    return conds


def _select_rows(conn: Connection, conds: list[Any], keys: Sequence[str] | None) -> list[Any]:
    if keys is None:
        return list(conn.execute(sa.select(*_COLUMNS).where(*conds).order_by(N.c.id)))
    rows: list[Any] = []
    for part in ops.chunks(list(keys), 500):
        rows.extend(conn.execute(sa.select(*_COLUMNS).where(*conds, N.c.notification_key.in_(part))))
    return sorted(rows, key=lambda r: r.id)


def _due_condition(now: dt.datetime, max_attempts: int, lease: dt.timedelta) -> Any:
    return sa.or_(
        sa.and_(N.c.status.in_(DUE_STATUSES), N.c.attempts < max_attempts,
                sa.or_(N.c.not_before.is_(None), N.c.not_before <= now)),
        sa.and_(N.c.status == "sending", sa.or_(N.c.sent_at.is_(None), N.c.sent_at <= now - lease)),
    )


def _claim(engine: Engine, row: Any, now: dt.datetime, message_id: str) -> bool:
    """Conditional UPDATE: take the row only if nobody changed it since it was read."""
    cond = [N.c.id == row.id, N.c.status == row.status, N.c.attempts == row.attempts]
    if row.status == "sending":
        cond.append(N.c.sent_at.is_(None) if row.sent_at is None else N.c.sent_at == row.sent_at)
    with engine.begin() as conn:
        result = conn.execute(sa.update(N).where(*cond).values(
            status="sending", attempts=N.c.attempts + 1, sent_at=now, message_id=message_id))
        return result.rowcount == 1


def _finish(engine: Engine, row: Any, claimed_attempts: int, **values: Any) -> bool:
    with engine.begin() as conn:
        result = conn.execute(sa.update(N).where(N.c.id == row.id, N.c.status == "sending",
                                                 N.c.attempts == claimed_attempts).values(**values))
        return result.rowcount == 1


def _mark_not_attempted(engine: Engine, row: Any, error: str) -> None:
    """Record why a due row was not tried (server unreachable) without counting an attempt."""
    with engine.begin() as conn:
        conn.execute(sa.update(N).where(N.c.id == row.id, N.c.status == row.status,
                                        N.c.attempts == row.attempts, N.c.status.in_(DUE_STATUSES))
                     .values(status="failed", last_error=error[:4000]))


def _lease(lease: dt.timedelta | None) -> dt.timedelta:
    """The caller's lease, else ``[fingertip] mail_lease_minutes``."""
    return config.mail_lease() if lease is None else lease


def deliver(engine: Engine, *, keys: Sequence[str] | None = None, kind: str | None = None,
            now: dt.datetime | None = None, smtp_conn_id: str = DEFAULT_CONN_ID,
            max_attempts: int = DEFAULT_MAX_ATTEMPTS, raise_on_permanent: bool = False,
            lease: dt.timedelta | None = None, key_prefix: str | None = None, send_retries: int = 2,
            retry_backoff: float = 1.0, sender_name: str | None = None) -> DeliveryReport:
    """Send every due ledger row (optionally only ``keys``, one ``kind`` or a ``key_prefix``).

    Due: ``queued``/``failed`` with ``attempts < max_attempts`` and ``not_before <= now``, or
    ``sending`` for longer than ``lease`` (resent with the same Message-ID). One SMTP session for
    all rows; each message is retried ``send_retries`` times inside this call (``retry_backoff``
    seconds, doubling). At the end raises :class:`MailTemporaryError` (carrying ``.report``) if any
    row failed temporarily and can still be retried — after all other rows were sent — so the
    Airflow task retries; permanent failures are logged and reported, and raised as
    :class:`MailPermanentError` only with ``raise_on_permanent=True``. With explicit ``keys``, rows
    already sent count as ``already_sent`` and rows that failed for good earlier count as
    ``failed_permanent`` again; a requested row still ``sending`` within its lease (another delivery is
    on it, or died mid-send) raises :class:`MailInProgress` (a temporary error) at the end: the call
    never succeeds while its mail is unconfirmed, and a retry after the lease resends it.
    """
    fixed_clock = now is not None
    now = _naive_utc(now) or utcnow()
    lease = _lease(lease)
    report = DeliveryReport()
    conds = _filters(keys, kind, key_prefix)
    due = _due_condition(now, max_attempts, lease)
    with engine.connect() as conn:
        if keys is not None:
            keys = [fit_key(k) for k in keys]
            all_rows = _select_rows(conn, conds, keys)
            due_ids = {r.id for r in _select_rows(conn, [*conds, due], keys)}
        else:
            all_rows = _select_rows(conn, [*conds, due], None)
            due_ids = {r.id for r in all_rows}

    candidates = []
    for row in all_rows:
        if row.id in due_ids:
            if row.status == "sending" and row.attempts >= max_attempts:
                error = (f"abandoned while sending after {row.attempts} attempts (lease expired); it may or may "
                         f"not have reached the server (Message-ID {row.message_id})")
                with engine.begin() as c:
                    c.execute(sa.update(N).where(N.c.id == row.id, N.c.status == "sending",
                                                 N.c.attempts == row.attempts)
                              .values(status="failed", last_error=error))
                log.error("mail: %s: %s", row.notification_key, error)
                report.failed_permanent += 1
                report.add("failed_permanent", row, message_id=row.message_id, error=error)
            else:
                candidates.append(row)
        elif row.status == "sent":
            report.already_sent += 1
            report.add("already_sent", row, message_id=row.message_id)
        elif row.status in DUE_STATUSES and row.attempts >= max_attempts:
            report.failed_permanent += 1
            report.add("failed_permanent", row, message_id=row.message_id, error=row.last_error, previously=True)
        elif row.status == "sending":
            report.skipped += 1
            report.in_progress += 1
            lease_until = row.sent_at + lease if row.sent_at else None
            report.add("in_progress", row, message_id=row.message_id,
                       lease_until=lease_until.isoformat() if lease_until else None)
        else:
            report.skipped += 1
            report.add("not_due", row, not_before=row.not_before.isoformat() if row.not_before else None)

    if keys is not None:
        missing = set(keys) - {r.notification_key for r in all_rows}
        for key in sorted(missing):
            log.warning("mail: no ledger row with key %s (kind %s)", key, kind)

    if candidates:
        transport = SmtpTransport(smtp_conn_id, retries=send_retries, backoff=retry_backoff)
        try:
            for row in candidates:
                _deliver_row(engine, transport, row, now=now, fixed_clock=fixed_clock, max_attempts=max_attempts,
                             report=report, sender_name=sender_name)
        finally:
            transport.close()
    _settle_in_progress(engine, report)

    log.info("mail: deliver (%s%s): %s", f"kind={kind}, " if kind else "",
             f"{len(keys)} keys" if keys is not None else "all due", report.summary())
    if report.failed_temporary:
        raise MailTemporaryError(f"{report.failed_temporary} notification(s) failed temporarily and will be retried "
                                 f"({report.summary()}); first error: {_first_error(report, 'failed_temporary')}",
                                 report=report)
    if report.in_progress:
        # A requested row another delivery claimed and has not finished: it may be sending right now, or
        # its process died mid-send. Either way the mail is not known to be delivered, so this call must
        # not succeed: the caller (an Airflow task) retries, and once the lease has expired the row is
        # claimed again and resent with the same Message-ID (or it is found sent by then).
        pending = [d for d in report.details if d["outcome"] == "in_progress"]
        raise MailInProgress(
            f"{report.in_progress} notification(s) are being sent by another delivery and not confirmed "
            f"({report.summary()}); first: {pending[0]['key']} claimed until "
            f"{pending[0]['lease_until'] or 'the end of its lease (claimed just now)'} "
            "(retried after the lease with the same Message-ID)", report=report)
    if raise_on_permanent and report.failed_permanent:
        raise MailPermanentError(f"{report.failed_permanent} notification(s) failed permanently: "
                                 f"{_first_error(report, 'failed_permanent')}", report=report)
    return report


def _settle_in_progress(engine: Engine, report: DeliveryReport) -> None:
    """Rows another delivery was sending: those it has confirmed sent by now count as already sent."""
    ids = [d["id"] for d in report.details if d["outcome"] == "in_progress"]
    if not ids:
        return
    with engine.connect() as conn:
        sent = set(conn.execute(sa.select(N.c.id).where(N.c.id.in_(ids), N.c.status == "sent")).scalars())
    for d in report.details:
        if d["outcome"] == "in_progress" and d["id"] in sent:
            d["outcome"] = "already_sent"
            report.in_progress -= 1
            report.skipped -= 1
            report.already_sent += 1


def _first_error(report: DeliveryReport, outcome: str) -> str:
    for d in report.details:
        if d["outcome"] == outcome:
            return f"{d['key']}: {d['error']}"
    return "-"


def _deliver_row(engine: Engine, transport: SmtpTransport, row: Any, *, now: dt.datetime, fixed_clock: bool,
                 max_attempts: int, report: DeliveryReport, sender_name: str | None) -> None:
    key = row.notification_key
    if not fixed_clock:
        now = utcnow()
    if transport.unavailable is not None:
        error = f"not attempted: {transport.unavailable}"
        _mark_not_attempted(engine, row, error)
        report.failed_temporary += 1
        report.deferred += 1
        report.add("failed_temporary", row, error=error, deferred=True)
        return
    message_id = message_id_for(key)
    if not _claim(engine, row, now, message_id):
        # Another delivery claimed the row between our read and our claim: it is being sent (or that
        # process dies mid-send), not known to be delivered, so this call must not report success.
        report.skipped += 1
        report.in_progress += 1
        report.add("in_progress", row, message_id=message_id, lease_until=None)
        log.info("mail: %s claimed by another deliverer; skipped", key)
        return
    attempts = row.attempts + 1
    if row.status == "sending":
        log.warning("mail: %s was left in 'sending' since %s (lease expired); resending with the same "
                    "Message-ID %s", key, row.sent_at, message_id)
    try:
        with engine.connect() as conn:
            payload = conn.execute(sa.select(N.c.payload).where(N.c.id == row.id)).scalar_one()
        msg = build_mime(email_from_row(row.subject, row.recipient, payload), transport.from_email, message_id,
                         sender_name=sender_name)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        # Bad payload: never going to work → permanent. Missing file: may be written again by a
        # re-run of the producing task → temporary (bounded by max_attempts).
        temporary = isinstance(exc, OSError)
        error = f"cannot build the message: {exc.__class__.__name__}: {exc}"
        _fail(engine, row, attempts, error, temporary=temporary, max_attempts=max_attempts, report=report,
              message_id=message_id)
        return
    try:
        transport.send(msg, [row.recipient])
    except MailPermanentError as exc:
        _fail(engine, row, attempts, str(exc), temporary=False, max_attempts=max_attempts, report=report,
              message_id=message_id)
        return
    except MailTemporaryError as exc:
        _fail(engine, row, attempts, str(exc), temporary=True, max_attempts=max_attempts, report=report,
              message_id=message_id)
        return
    except MailConfigError:
        raise
    except Exception as exc:  # a bug, not a delivery error: leave the row retryable, then fail loudly
        _fail(engine, row, attempts, f"unexpected error: {exc.__class__.__name__}: {exc}", temporary=True,
              max_attempts=max_attempts, report=report, message_id=message_id)
        raise
    sent_at = now if fixed_clock else utcnow()
    if not _finish(engine, row, attempts, status="sent", sent_at=sent_at, last_error=None):
        log.warning("mail: %s was sent but its ledger row changed meanwhile", key)
    report.sent += 1
    report.add("sent", row, message_id=message_id)
    log.info("mail: sent %s to %s (Message-ID %s, attempt %d)", key, row.recipient, message_id, attempts)


def _fail(engine: Engine, row: Any, attempts: int, error: str, *, temporary: bool, max_attempts: int,
          report: DeliveryReport, message_id: str) -> None:
    error = error[:4000]
    if temporary and attempts < max_attempts:
        _finish(engine, row, attempts, status="failed", last_error=error, sent_at=None)
        report.failed_temporary += 1
        report.add("failed_temporary", row, message_id=message_id, error=error, attempts=attempts)
        log.warning("mail: %s to %s failed (attempt %d/%d), will retry: %s", row.notification_key, row.recipient,
                    attempts, max_attempts, error)
        return
    if temporary:
        error = f"gave up after {attempts} attempts: {error}"
    _finish(engine, row, attempts, status="failed", last_error=error, sent_at=None,
            attempts=max(attempts, max_attempts))
    report.failed_permanent += 1
    report.add("failed_permanent", row, message_id=message_id, error=error, attempts=attempts)
    log.error("mail: %s to %s failed permanently: %s", row.notification_key, row.recipient, error)


# -- send_once ---------------------------------------------------------------------------------

def send_once(engine: Engine, *, key: str, email: Email, kind: str, case_id: int | None = None,
              audit_run_id: int | None = None, smtp_conn_id: str = DEFAULT_CONN_ID,
              not_before: dt.datetime | None = None, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
              raise_on_permanent: bool = False, now: dt.datetime | None = None,
              **deliver_kwargs: Any) -> DeliveryReport:
    """Send ``email`` exactly once per recipient: one ledger row per recipient (to + cc), keyed
    ``f"{key}:{recipient}"``, then :func:`deliver` of those rows.

    Re-running with the same ``key`` sends nothing new (``already_sent``); a partial failure
    resends only the recipients not yet served. Raises as :func:`deliver` does.
    """
    recipients = email.recipients
    if not recipients:
        raise ValueError("mail has no recipient / 邮件没有收件人")
    payload = payload_from_email(email)
    for name, path in [(a.filename, a.path) for a in email.attachments] + \
            [(i.cid, i.path) for i in email.inline_images]:  # fail before queueing when a file is missing
        if path and "://" not in path and not os.path.exists(path):
            raise FileNotFoundError(f"attachment {name!r}: {path} does not exist / 附件文件不存在")
    keys = [recipient_key(key, r) for r in recipients]
    with engine.begin() as conn:
        for rkey, recipient in zip(keys, recipients, strict=True):
            _enqueue(conn, key=rkey, recipient=recipient, subject=email.subject, kind=kind, payload=payload,
                     case_id=case_id, audit_run_id=audit_run_id, not_before=not_before, channel="email", now=now)
    return deliver(engine, keys=keys, kind=None, now=now, smtp_conn_id=smtp_conn_id, max_attempts=max_attempts,
                   raise_on_permanent=raise_on_permanent, **deliver_kwargs)


# -- inspection --------------------------------------------------------------------------------

def status_counts(engine_or_conn: Engine | Connection, *, kind: str | None = None) -> dict[str, int]:
    """Rows per status (optionally of one kind)."""
    q = sa.select(N.c.status, sa.func.count()).group_by(N.c.status)
    if kind is not None:
        q = q.where(N.c.kind == kind)
    with _Tx(engine_or_conn) as conn:
        return {status: int(n) for status, n in conn.execute(q)}


def requeue(engine: Engine, keys: Sequence[str]) -> int:
    """Operator action: give failed rows (even exhausted ones) a fresh start (attempts 0, queued).
    Never touches sent or sending rows. Returns the number of rows requeued."""
    count = 0
    with engine.begin() as conn:
        for part in ops.chunks([fit_key(k) for k in keys], 500):
            count += conn.execute(sa.update(N).where(N.c.notification_key.in_(part), N.c.status == "failed")
                                  .values(status="queued", attempts=0, last_error=None)).rowcount
    return count
