"""The mail ledger's rows for every outcome of a delivery, against a real SMTP server.

A table of outcomes (server reply × attempts already made × ``max_attempts``) with the row each one
must leave (``status``, ``attempts``, ``last_error``, ``sent_at``), worked out from the life cycle in
the module docstring of ``fingertip.notifications.ledger``: a temporary error is retried while
``attempts < max_attempts`` and given up exactly at ``max_attempts``; a permanent one uses up the
attempts at once. Then the rows and mails of ``cc``, reply-to, inline images, attachments and
header-injection characters through the whole path (``send_once`` → ledger → SMTP → parsed MIME),
races settled by the conditional claim, and what the ledger tells the operator in its log.

One migrated store per module (``tests/store_templates.py``): each test starts from an empty copy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

import pytest
import sqlalchemy as sa

# The SMTP transport imports the Airflow SMTP provider on first use; importing it here (at collection)
# means ``make mutation``'s forked children inherit it instead of importing Airflow once per mutant.
from airflow.providers.smtp.hooks.smtp import SmtpHook  # noqa: F401
from tests.notifications.helpers import FAST
from tests.store_templates import store_engine_fixtures

from fingertip.notifications import (
    Attachment,
    Email,
    InlineImage,
    MailPermanentError,
    MailTemporaryError,
    ledger,
)

N = ledger.N
NOW = dt.datetime(2026, 11, 2, 1, 0, 0)  # naive UTC, as stored
KEY = "reminder:case-7:announce:a@x.cn"
SUBJECT = "【提醒】关停公告即将到期"
LOGGER = "fingertip.notifications.ledger"


_migrated_store, store_engine = store_engine_fixtures()


@pytest.fixture
def store(store_engine):
    return store_engine


def mid(key: str) -> str:
    """The documented Message-ID of a key: ``<sha256(key)[:32]@fingertip.local>``."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@fingertip.local>"


def row(engine, key=KEY):
    with engine.connect() as conn:
        return conn.execute(sa.select(N).where(N.c.notification_key == key)).one()


def state(r):
    return r.status, r.attempts, r.last_error, r.sent_at


def queue(engine, key=KEY, recipient="a@x.cn", **kw):
    return ledger.enqueue(engine, key=key, recipient=recipient, subject=SUBJECT, kind="reminder",
                          payload=kw.pop("payload", {"text": "请于 2026-12-01 前发布关停公告。"}),
                          now=NOW - dt.timedelta(hours=1), **kw)


def set_row(engine, key=KEY, **values):
    with engine.begin() as conn:
        conn.execute(sa.update(N).where(N.c.notification_key == key).values(**values))


def ledger_log(caplog, level=logging.DEBUG):
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == LOGGER and r.levelno >= level]


# -- one table of outcomes ---------------------------------------------------------------------------

T451 = "451 4.3.0 try later"
P550 = "550 5.1.1 no such user"
D554 = "554 5.7.1 rejected by policy"
D452 = "452 4.3.1 insufficient storage"

# (refusal of the recipient, DATA reply, attempts before, max_attempts)
#   → (status, attempts, last_error starts with, last_error contains, sent_at, raised, report counts)
# report counts: (sent, failed_temporary, failed_permanent)
OUTCOMES = {
    "sent at the first attempt": ((None, None, 0, 5), ("sent", 1, None, None, NOW, None, (1, 0, 0))),
    "sent at the last allowed attempt": ((None, None, 4, 5), ("sent", 5, None, None, NOW, None, (1, 0, 0))),
    "temporary, first attempt": ((T451, None, 0, 5), ("failed", 1, "SMTP server", "451", None, MailTemporaryError,
                                                      (0, 1, 0))),
    "temporary, one below the limit": ((T451, None, 3, 5), ("failed", 4, "SMTP server", "451", None,
                                                            MailTemporaryError, (0, 1, 0))),
    "temporary, exactly at the limit": ((T451, None, 4, 5), ("failed", 5, "gave up after 5 attempts: SMTP server",
                                                             "451", None, None, (0, 0, 1))),
    "temporary, a limit of one": ((T451, None, 0, 1), ("failed", 1, "gave up after 1 attempts: ", "451", None, None,
                                                       (0, 0, 1))),
    "permanent, first attempt": ((P550, None, 0, 5), ("failed", 5, "SMTP server", "550", None, None, (0, 0, 1))),
    "permanent, with a limit of three": ((P550, None, 0, 3), ("failed", 3, "SMTP server", "550", None, None,
                                                              (0, 0, 1))),
    "permanent, at the last attempt": ((P550, None, 4, 5), ("failed", 5, "SMTP server", "550", None, None, (0, 0, 1))),
    "message refused after DATA": ((None, D554, 0, 5), ("failed", 5, "SMTP server", "554 5.7.1", None, None,
                                                        (0, 0, 1))),
    "DATA deferred, one below": ((None, D452, 2, 5), ("failed", 3, "SMTP server", "452 4.3.1", None,
                                                      MailTemporaryError, (0, 1, 0))),
    "DATA deferred, at the limit": ((None, D452, 4, 5), ("failed", 5, "gave up after 5 attempts: ", "452 4.3.1", None,
                                                         None, (0, 0, 1))),
}


@pytest.mark.parametrize("case", list(OUTCOMES))
def test_outcome_table(store, smtp_server, smtp_conn, case):
    (refuse, data_reply, before, max_attempts), expected = OUTCOMES[case]
    status, attempts, error_start, error_has, sent_at, raised, counts = expected
    queue(store)
    if before:
        set_row(store, status="failed", attempts=before, last_error="earlier")
    if refuse:
        smtp_server.refuse["a@x.cn"] = refuse
    smtp_server.data_reply = data_reply
    if raised:
        with pytest.raises(raised) as exc:
            ledger.deliver(store, now=NOW, max_attempts=max_attempts, **FAST)
        report = exc.value.report
    else:
        report = ledger.deliver(store, now=NOW, max_attempts=max_attempts, **FAST)
    r = row(store)
    assert (r.status, r.attempts, r.sent_at, r.message_id) == (status, attempts, sent_at, mid(KEY))
    if error_start is None:
        assert r.last_error is None
    else:
        assert r.last_error.startswith(error_start) and error_has in r.last_error
        assert not (error_start.startswith("SMTP") and "gave up" in r.last_error)
    assert (report.sent, report.failed_temporary, report.failed_permanent) == counts
    (detail,) = report.details
    assert (detail["key"], detail["recipient"], detail["kind"], detail["message_id"]) == (KEY, "a@x.cn", "reminder",
                                                                                         mid(KEY))
    if status == "failed":
        assert detail["error"] == r.last_error and detail["attempts"] == before + 1
    delivered = [m.rcpt_tos for m in smtp_server.messages]
    assert delivered == ([["a@x.cn"]] if status == "sent" else [])
    # after the outcome: a row that can still be retried is due again, one that cannot is not
    smtp_server.refuse.clear()
    smtp_server.data_reply = None
    again = ledger.deliver(store, now=NOW + dt.timedelta(minutes=1), max_attempts=max_attempts, **FAST)
    retried = status == "failed" and attempts < max_attempts
    assert again.sent == (1 if retried else 0)
    if not retried:
        assert state(row(store)) == (status, attempts, r.last_error, sent_at)


def test_a_row_already_at_the_limit_is_not_due(store, smtp_server, smtp_conn):
    queue(store)
    set_row(store, status="failed", attempts=3, last_error="gave up after 3 attempts: x")
    assert ledger.deliver(store, now=NOW, max_attempts=3, **FAST).details == []
    report = ledger.deliver(store, keys=[KEY], now=NOW, max_attempts=3, **FAST)
    assert (report.failed_permanent, report.sent, report.skipped) == (1, 0, 0)
    assert report.details[0]["error"] == "gave up after 3 attempts: x" and report.details[0]["previously"] is True
    with pytest.raises(MailPermanentError, match=f"1 notification\\(s\\) failed permanently: {KEY}: gave up"):
        ledger.deliver(store, keys=[KEY], now=NOW, max_attempts=3, raise_on_permanent=True, **FAST)
    assert state(row(store)) == ("failed", 3, "gave up after 3 attempts: x", None)
    # a queued row with its attempts used up is reported the same way
    set_row(store, status="queued")
    assert ledger.deliver(store, keys=[KEY], now=NOW, max_attempts=3, **FAST).failed_permanent == 1
    assert smtp_server.messages == []


def test_sent_rows_are_never_due_again(store, smtp_server, smtp_conn):
    queue(store)
    set_row(store, status="sent", attempts=1, sent_at=NOW, message_id=mid(KEY))
    report = ledger.deliver(store, keys=[KEY, "missing"], now=NOW, **FAST)
    assert (report.sent, report.already_sent, report.skipped) == (0, 1, 0)
    assert report.details == [{"id": 1, "key": KEY, "recipient": "a@x.cn", "kind": "reminder",
                               "outcome": "already_sent", "message_id": mid(KEY), "error": None}]
    assert state(row(store)) == ("sent", 1, None, NOW)
    assert smtp_server.messages == []


# -- leases --------------------------------------------------------------------------------------------

def test_stuck_sending_at_the_limit_is_abandoned_and_logged(store, smtp_server, smtp_conn, caplog):
    queue(store)
    claimed = NOW - dt.timedelta(minutes=15)  # exactly the lease: expired
    set_row(store, status="sending", attempts=5, sent_at=claimed, message_id=mid(KEY))
    caplog.set_level(logging.INFO, logger=LOGGER)
    report = ledger.deliver(store, now=NOW, **FAST)
    error = (f"abandoned while sending after 5 attempts (lease expired); it may or may not have reached the server "
             f"(Message-ID {mid(KEY)})")
    assert state(row(store)) == ("failed", 5, error, claimed)
    assert (report.failed_permanent, report.failed_temporary, report.sent) == (1, 0, 0)
    assert report.details[0]["error"] == error
    assert (logging.ERROR, f"mail: {KEY}: {error}") in ledger_log(caplog)
    assert smtp_server.messages == []


def test_stuck_sending_below_the_limit_is_resent_and_logged(store, smtp_server, smtp_conn, caplog):
    queue(store)
    claimed = NOW - dt.timedelta(minutes=20)
    set_row(store, status="sending", attempts=1, sent_at=claimed, message_id=mid(KEY))
    caplog.set_level(logging.INFO, logger=LOGGER)
    assert ledger.deliver(store, now=NOW, **FAST).sent == 1
    assert state(row(store)) == ("sent", 2, None, NOW)
    assert smtp_server.messages[0].msg["Message-ID"] == mid(KEY)
    logged = ledger_log(caplog, logging.WARNING)
    assert logged == [(logging.WARNING, f"mail: {KEY} was left in 'sending' since {claimed} (lease expired); "
                                        f"resending with the same Message-ID {mid(KEY)}")]


def test_sending_within_the_lease_names_the_lease_end(store, smtp_server, smtp_conn):
    queue(store)
    claimed = NOW - dt.timedelta(minutes=14, seconds=59)
    set_row(store, status="sending", attempts=1, sent_at=claimed, message_id=mid(KEY))
    with pytest.raises(ledger.MailInProgress) as exc:
        ledger.deliver(store, keys=[KEY], now=NOW, **FAST)
    report = exc.value.report
    lease_until = (claimed + dt.timedelta(minutes=15)).isoformat()
    assert (report.skipped, report.in_progress, report.sent) == (1, 1, 0)
    assert report.details[0]["lease_until"] == lease_until and report.details[0]["message_id"] == mid(KEY)
    assert f"first: {KEY} claimed until {lease_until}" in str(exc.value)
    assert state(row(store)) == ("sending", 1, None, claimed)
    assert smtp_server.messages == []


# -- races settled by the conditional updates ----------------------------------------------------------

def _on_data(server, action):
    """Run ``action`` while the SMTP server receives a message (another worker acting meanwhile)."""
    original = server.handle_DATA

    async def handle_DATA(srv, session, envelope):
        action(envelope)
        return await original(srv, session, envelope)

    server.handle_DATA = handle_DATA


def test_a_row_claimed_by_another_deliverer_meanwhile_is_in_progress_and_the_call_fails(store, smtp_server, smtp_conn):
    queue(store, key="k1", recipient="a@x.cn")
    queue(store, key="k2", recipient="b@x.cn")
    taken = NOW - dt.timedelta(seconds=5)

    def other_worker_claims_k2(envelope):
        if envelope.rcpt_tos == ["a@x.cn"]:
            set_row(store, "k2", status="sending", attempts=1, sent_at=taken, message_id=mid("k2"))

    _on_data(smtp_server, other_worker_claims_k2)
    # k2 is not known to be delivered: the call must not succeed (the task retries after the lease)
    with pytest.raises(ledger.MailInProgress, match="first: k2 claimed until the end of its lease") as exc:
        ledger.deliver(store, now=NOW, **FAST)
    report = exc.value.report
    assert (report.sent, report.skipped, report.in_progress, report.failed_temporary) == (1, 1, 1, 0)
    assert [(d["key"], d["outcome"]) for d in report.details] == [("k1", "sent"), ("k2", "in_progress")]
    assert state(row(store, "k1")) == ("sent", 1, None, NOW)
    assert state(row(store, "k2")) == ("sending", 1, None, taken)  # the other worker's claim is intact
    assert [m.rcpt_tos for m in smtp_server.messages] == [["a@x.cn"]]


def test_a_row_another_deliverer_confirmed_meanwhile_counts_as_already_sent(store, smtp_server, smtp_conn):
    queue(store, key="k1", recipient="a@x.cn")
    queue(store, key="k2", recipient="b@x.cn")
    done = NOW - dt.timedelta(seconds=5)

    def other_worker_sends_k2(envelope):
        if envelope.rcpt_tos == ["a@x.cn"]:
            set_row(store, "k2", status="sent", attempts=1, sent_at=done, message_id=mid("k2"))

    _on_data(smtp_server, other_worker_sends_k2)
    report = ledger.deliver(store, now=NOW, **FAST)  # k2 is known delivered: success
    assert (report.sent, report.already_sent, report.skipped, report.in_progress) == (1, 1, 0, 0)
    assert [(d["key"], d["outcome"]) for d in report.details] == [("k1", "sent"), ("k2", "already_sent")]
    assert state(row(store, "k2")) == ("sent", 1, None, done)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["a@x.cn"]]


def test_a_row_changed_while_sending_is_not_overwritten(store, smtp_server, smtp_conn, caplog):
    """The lease ran out while this worker was sending and another one claimed the row: this worker's
    'sent' must not overwrite the other's claim, and the operator is told."""
    queue(store)
    reclaimed = NOW + dt.timedelta(minutes=16)
    _on_data(smtp_server, lambda envelope: set_row(store, status="sending", attempts=2, sent_at=reclaimed))
    caplog.set_level(logging.INFO, logger=LOGGER)
    report = ledger.deliver(store, now=NOW, **FAST)
    assert report.sent == 1
    assert state(row(store)) == ("sending", 2, None, reclaimed)
    assert (logging.WARNING, f"mail: {KEY} was sent but its ledger row changed meanwhile") in ledger_log(caplog)


def test_a_stale_read_of_a_reclaimed_row_does_not_claim_it(store, smtp_server, smtp_conn):
    """ABA: the row read as 'sending since T0, attempt 1' was abandoned, requeued and claimed again
    (sending, attempt 1, since T1) before this worker's claim: same status and attempts, other claim."""
    queue(store)
    first = NOW - dt.timedelta(minutes=30)
    set_row(store, status="sending", attempts=1, sent_at=first, message_id=mid(KEY))
    with store.connect() as conn:
        stale = conn.execute(sa.select(N).where(N.c.notification_key == KEY)).one()
    second = NOW - dt.timedelta(minutes=1)
    set_row(store, status="sending", attempts=1, sent_at=second)
    assert ledger._claim(store, stale, NOW, mid(KEY)) is False
    assert state(row(store)) == ("sending", 1, None, second)
    fresh = row(store)
    assert ledger._claim(store, fresh, NOW, mid(KEY)) is True
    assert state(row(store)) == ("sending", 2, None, NOW)


# -- unexpected errors ---------------------------------------------------------------------------------

def test_an_unexpected_error_leaves_the_row_retryable_and_is_raised(store, smtp_server, smtp_conn, monkeypatch):
    queue(store)
    working_send = ledger.SmtpTransport.send

    def broken_send(self, msg, recipients):
        raise RuntimeError("boom")

    monkeypatch.setattr(ledger.SmtpTransport, "send", broken_send)  # a bug in the transport
    with pytest.raises(RuntimeError, match="boom"):
        ledger.deliver(store, now=NOW, **FAST)
    assert state(row(store)) == ("failed", 1, "unexpected error: RuntimeError: boom", None)
    monkeypatch.setattr(ledger.SmtpTransport, "send", working_send)
    assert ledger.deliver(store, now=NOW, **FAST).sent == 1
    assert state(row(store)) == ("sent", 2, None, NOW)


def test_the_session_is_closed_after_delivery(store, smtp_server, smtp_conn):
    quits = []

    async def handle_QUIT(server, session, envelope):
        quits.append(session.peer)
        return "221 Bye"

    smtp_server.handle_QUIT = handle_QUIT
    queue(store, key="k1", recipient="a@x.cn")
    queue(store, key="k2", recipient="b@x.cn")
    assert ledger.deliver(store, now=NOW, **FAST).sent == 2
    assert len(quits) == 1  # one session for all rows, ended with QUIT


# -- the whole path: cc, reply-to, inline images, attachments, header injection --------------------------

def test_cc_reply_to_images_and_attachments_through_the_whole_path(store, smtp_server, smtp_conn, tmp_path):
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"1" * 32)
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 32)
    table = tmp_path / "名单.dat"
    table.write_bytes(b"a,b\n1,2\n")
    email = Email(subject="【通知】关停", to=["a@x.cn"], cc=["b@x.cn", "c@x.cn"], text="正文",
                  html='<p><img src="cid:photo"><img src="cid:logo"></p>', reply_to="ops@x.cn",
                  inline_images=[InlineImage("photo", path=str(photo), mime_type="image/jpeg"),
                                 InlineImage("logo", path=str(logo))],
                  attachments=[Attachment("名单.dat", path=str(table), mime_type="text/csv")])
    report = ledger.send_once(store, key="notice:7", email=email, kind="notice", now=NOW, **FAST)
    assert (report.sent, report.failed_temporary, report.failed_permanent) == (3, 0, 0)
    for address in ("a@x.cn", "b@x.cn", "c@x.cn"):
        key = f"notice:7:{address}"
        r = row(store, key)
        assert state(r) == ("sent", 1, None, NOW)
        assert (r.recipient, r.kind, r.channel, r.message_id) == (address, "notice", "email", mid(key))
        assert r.payload == {
            "text": "正文", "html": '<p><img src="cid:photo"><img src="cid:logo"></p>',
            "attachments": [{"filename": "名单.dat", "path": str(table), "mime_type": "text/csv"}],
            "inline_images": [{"cid": "photo", "path": str(photo), "mime_type": "image/jpeg"},
                              {"cid": "logo", "path": str(logo), "mime_type": "image/png"}],
            "to": ["a@x.cn"], "cc": ["b@x.cn", "c@x.cn"], "reply_to": "ops@x.cn", "headers": {}}
        (received,) = smtp_server.to(address)
        assert received.rcpt_tos == [address]  # each envelope only its own recipient
        msg = received.msg
        assert (msg["To"], msg["Cc"], msg["Reply-To"], msg["Message-ID"]) == \
            ("a@x.cn", "b@x.cn, c@x.cn", "ops@x.cn", mid(key))
        assert msg.get_body(("html",)).get_content().strip() == '<p><img src="cid:photo"><img src="cid:logo"></p>'
        assert msg.get_body(("plain",)).get_content().strip() == "正文"
        parts = {p["Content-ID"]: p for p in msg.walk() if p["Content-ID"]}
        assert parts["<photo>"].get_content_type() == "image/jpeg"
        assert parts["<photo>"].get_payload(decode=True) == photo.read_bytes()
        assert parts["<logo>"].get_content_type() == "image/png"
        (attached,) = msg.iter_attachments()
        assert (attached.get_content_type(), attached.get_filename()) == ("text/csv", "名单.dat")
        assert attached.get_payload(decode=True) == table.read_bytes()


def test_an_inline_image_stored_without_a_type_goes_out_as_png(store, smtp_server, smtp_conn, tmp_path):
    logo = tmp_path / "logo"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n")
    queue(store, payload={"text": "x", "html": '<img src="cid:logo">',
                          "inline_images": [{"cid": "logo", "path": str(logo)}]})
    assert ledger.deliver(store, now=NOW, **FAST).sent == 1
    (part,) = [p for p in smtp_server.messages[0].msg.walk() if p["Content-ID"] == "<logo>"]
    assert part.get_content_type() == "image/png"


@pytest.mark.parametrize("subject", ["标题\r注入", "标题\nBcc: evil@x.cn", "标题\r\nBcc: evil@x.cn"])
def test_line_breaks_in_the_subject_of_an_email_never_reach_a_header(store, smtp_server, smtp_conn, subject):
    email = Email(subject=subject, to=["a@x.cn"], text="x")
    assert ledger.send_once(store, key="n:1", email=email, kind="notice", now=NOW, **FAST).sent == 1
    one_line = " ".join(subject.splitlines())
    assert row(store, "n:1:a@x.cn").subject == one_line
    (received,) = smtp_server.messages
    assert received.rcpt_tos == ["a@x.cn"]
    assert received.msg["Subject"] == one_line and received.msg["Bcc"] is None
    header_lines = received.raw.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert [h for h in header_lines if h.lower().startswith(b"bcc")] == []


@pytest.mark.parametrize("field", ["to", "cc"])
def test_line_breaks_in_an_address_are_refused_before_queueing(store, field):
    addresses = {"to": ["a@x.cn"], "cc": [], field: ["b@x.cn\r\nBcc: evil@x.cn"]}
    with pytest.raises(ValueError):
        email = Email(subject="s", text="x", **addresses)
        ledger.send_once(store, key="n:1", email=email, kind="notice", now=NOW, **FAST)
    assert ledger.status_counts(store) == {}


def test_line_breaks_in_a_header_fail_for_good_without_sending(store, smtp_server, smtp_conn):
    email = Email(subject="s", to=["a@x.cn"], text="x", headers={"X-Case": "7\r\nBcc: evil@x.cn"})
    report = ledger.send_once(store, key="n:1", email=email, kind="notice", now=NOW, **FAST)
    r = row(store, "n:1:a@x.cn")
    assert (r.status, r.attempts, r.sent_at) == ("failed", ledger.DEFAULT_MAX_ATTEMPTS, None)
    assert r.last_error.startswith("cannot build the message: ValueError: ")
    assert (report.failed_permanent, report.sent) == (1, 0)
    assert smtp_server.messages == []


# -- enqueue -------------------------------------------------------------------------------------------

def test_enqueue_stores_every_column_and_logs_once(store, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    not_before = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    new_id = ledger.enqueue(store, key="k", recipient="A@X.cn", subject="s", kind="notice",
                            payload={"text": "x"}, not_before=not_before, channel="sms", now=NOW)
    again = ledger.enqueue(store, key="k", recipient="a@x.cn", subject="s2", kind="notice", payload={"text": "y"})
    assert again == new_id == row(store, "k").id
    r = row(store, "k")
    assert (r.channel, r.recipient, r.subject, r.kind, r.status, r.attempts, r.payload, r.not_before, r.queued_at,
            r.case_id, r.audit_run_id, r.sent_at, r.message_id) == \
        ("sms", "A@x.cn", "s", "notice", "queued", 0, {"text": "x"}, dt.datetime(2026, 12, 1, 0, 0), NOW,
         None, None, None, None)
    assert ledger_log(caplog) == [(logging.INFO, "mail: queued notice notification k for A@X.cn")]


def test_other_channels_are_not_delivered_as_mail(store, smtp_server, smtp_conn):
    ledger.enqueue(store, key="k", recipient="a@x.cn", subject="s", kind="notice", payload={"text": "x"},
                   channel="sms")
    assert ledger.deliver(store, now=NOW, **FAST).details == []
    assert row(store, "k").status == "queued" and smtp_server.messages == []


def test_enqueue_many_defaults_and_overrides(store):
    later = dt.datetime(2026, 12, 1)
    created, present = ledger.enqueue_many(store, [
        {"key": "a", "recipient": "a@x.cn", "subject": "s", "kind": "digest", "payload": {"text": "x"}},
        {"key": "b", "recipient": "b@x.cn", "subject": "s", "kind": "digest", "payload": {"text": "x"},
         "not_before": later, "channel": "sms", "now": NOW},
        {"key": "a", "recipient": "a@x.cn", "subject": "s", "kind": "digest", "payload": {"text": "x"}},
    ])
    assert (created, present) == (2, 1)
    a, b = row(store, "a"), row(store, "b")
    assert (a.channel, a.not_before, a.status, a.attempts) == ("email", None, "queued", 0)
    assert (b.channel, b.not_before, b.queued_at) == ("sms", later, NOW)
    with store.connect() as conn:
        trans = conn.begin()
        assert ledger.enqueue_many(conn, [{"key": "c", "recipient": "c@x.cn", "subject": "s", "kind": "digest",
                                           "payload": {"text": "x"}}]) == (1, 0)
        trans.rollback()  # in the caller's transaction
    assert ledger.status_counts(store) == {"queued": 2}


# -- what the operator reads in the task log -----------------------------------------------------------

def test_the_task_log(store, smtp_server, smtp_conn, caplog):
    queue(store)
    caplog.set_level(logging.INFO, logger=LOGGER)
    caplog.clear()
    report = ledger.deliver(store, keys=[KEY, "no-such-key"], kind="reminder", now=NOW, **FAST)
    assert report.sent == 1
    assert ledger_log(caplog) == [
        (logging.WARNING, "mail: no ledger row with key no-such-key (kind reminder)"),
        (logging.INFO, f"mail: sent {KEY} to a@x.cn (Message-ID {mid(KEY)}, attempt 1)"),
        (logging.INFO, "mail: deliver (kind=reminder, 2 keys): sent 1, already sent 0, failed temporarily 0 "
                       "(deferred 0), failed permanently 0, skipped 0 (in progress 0)"),
    ]
    caplog.clear()
    ledger.deliver(store, now=NOW, **FAST)
    assert ledger_log(caplog) == [
        (logging.INFO, "mail: deliver (all due): sent 0, already sent 0, failed temporarily 0 (deferred 0), "
                       "failed permanently 0, skipped 0 (in progress 0)")]


# -- the report ----------------------------------------------------------------------------------------

def test_merged_reports_of_two_deliveries(store, smtp_server, smtp_conn):
    queue(store, key="k1", recipient="a@x.cn")
    queue(store, key="k2", recipient="b@x.cn")
    smtp_server.refuse["b@x.cn"] = P550
    first = ledger.deliver(store, keys=["k1"], now=NOW, **FAST)
    second = ledger.deliver(store, keys=["k1", "k2"], now=NOW, **FAST)
    total = ledger.DeliveryReport().merge(first).merge(second)
    assert (total.sent, total.already_sent, total.failed_permanent, total.failed_temporary, total.skipped) == \
        (1, 1, 1, 0, 0)
    assert [(d["key"], d["outcome"]) for d in total.details] == [("k1", "sent"), ("k1", "already_sent"),
                                                                 ("k2", "failed_permanent")]
    assert total.as_dict()["details"] == total.details and total.as_dict()["sent"] == 1
