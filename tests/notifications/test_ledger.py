"""Exactly-once delivery through the ledger, on SQLite and PostgreSQL, against a real SMTP server."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa
from tests.notifications.helpers import CONN_ID, FAST, FROM, RecordingServer
from tests.store_templates import store_engine_fixtures

from fingertip.notifications import (
    Attachment,
    Email,
    MailPermanentError,
    MailTemporaryError,
    ledger,
    message_id_for,
)
from fingertip.store import schema

N = schema.notifications

# one migrated store per backend for the module, an empty copy per test (tests/store_templates.py)
_migrated_store, store_engine = store_engine_fixtures()
PAYLOAD = {"text": "请于 2026-12-01 前发布关停公告。", "html": "<p>请于 2026-12-01 前发布关停公告。</p>"}


def row(engine, key):
    with engine.connect() as conn:
        return conn.execute(sa.select(N).where(N.c.notification_key == key)).one()


def rows(engine):
    with engine.connect() as conn:
        return conn.execute(sa.select(N).order_by(N.c.id)).all()


def queue(engine, key="reminder:case-1:announce:a@x.cn", recipient="a@x.cn", **kw):
    return ledger.enqueue(engine, key=key, recipient=recipient, subject="【提醒】关停公告即将到期", kind="reminder",
                          payload=kw.pop("payload", PAYLOAD), **kw)


def test_enqueue_is_idempotent(store_engine):
    first = queue(store_engine)
    again = ledger.enqueue(store_engine, key="reminder:case-1:announce:a@x.cn", recipient="other@x.cn",
                           subject="different", kind="reminder", payload={"text": "changed"})
    assert again == first
    (only,) = rows(store_engine)
    assert (only.recipient, only.subject, only.status, only.attempts) == ("a@x.cn", "【提醒】关停公告即将到期", "queued", 0)
    assert only.payload["text"] == PAYLOAD["text"]


def test_enqueue_inside_callers_transaction(store_engine):
    with store_engine.connect() as conn:
        trans = conn.begin()
        queue(conn)
        trans.rollback()
    assert rows(store_engine) == []


def test_enqueue_rejects_bad_input(sqlite_store):
    with pytest.raises(ValueError, match="Invalid e-mail address"):
        queue(sqlite_store, recipient="not-an-address")
    with pytest.raises(ValueError, match="text"):
        queue(sqlite_store, payload={"html": "<p>only html</p>"})
    with pytest.raises(ValueError, match="paths, not bytes"):
        queue(sqlite_store, payload={"text": "x", "attachments": [{"filename": "a.pdf"}]})
    assert rows(sqlite_store) == []


def test_long_keys_are_shortened_deterministically(sqlite_store):
    key = "report:" + "x" * 300
    a = queue(sqlite_store, key=key)
    b = queue(sqlite_store, key=key)
    assert a == b
    stored = rows(sqlite_store)[0].notification_key
    assert len(stored) == 200 and stored == ledger.fit_key(key)


def test_deliver_twice_sends_once(store_engine, smtp_server, smtp_conn):
    queue(store_engine)
    first = ledger.deliver(store_engine, **FAST)
    second = ledger.deliver(store_engine, **FAST)
    keyed = ledger.deliver(store_engine, keys=["reminder:case-1:announce:a@x.cn"], **FAST)
    assert (first.sent, second.sent, keyed.sent, keyed.already_sent) == (1, 0, 0, 1)
    assert len(smtp_server.messages) == 1
    got = smtp_server.messages[0]
    assert got.rcpt_tos == ["a@x.cn"]
    assert str(got.msg["Subject"]) == "【提醒】关停公告即将到期"
    r = row(store_engine, "reminder:case-1:announce:a@x.cn")
    assert (r.status, r.attempts, r.last_error) == ("sent", 1, None)
    assert r.message_id == message_id_for("reminder:case-1:announce:a@x.cn") == got.msg["Message-ID"]
    assert r.sent_at is not None


def test_not_before_is_respected(store_engine, smtp_server, smtp_conn):
    due = dt.datetime(2026, 12, 1, 0, 0)
    queue(store_engine, not_before=due)
    early = ledger.deliver(store_engine, now=due - dt.timedelta(hours=1), **FAST)
    assert early.sent == 0 and smtp_server.messages == []
    keyed = ledger.deliver(store_engine, keys=["reminder:case-1:announce:a@x.cn"],
                           now=due - dt.timedelta(hours=1), **FAST)
    assert keyed.skipped == 1 and keyed.details[0]["outcome"] == "not_due"
    on_time = ledger.deliver(store_engine, now=due, **FAST)
    assert on_time.sent == 1 and len(smtp_server.messages) == 1


def test_aware_not_before_is_stored_as_utc(sqlite_store):
    beijing = dt.timezone(dt.timedelta(hours=8))
    queue(sqlite_store, not_before=dt.datetime(2026, 12, 1, 8, 0, tzinfo=beijing))
    assert rows(sqlite_store)[0].not_before == dt.datetime(2026, 12, 1, 0, 0)


def test_send_once_partial_refusal(store_engine, smtp_server, smtp_conn, tmp_path):
    """550 for one recipient: permanent for that row, the others are still sent; a re-run sends nothing."""
    smtp_server.refuse["gone@x.cn"] = "550 5.1.1 <gone@x.cn>: mailbox unavailable"
    pdf = tmp_path / "报告.pdf"
    pdf.write_bytes(b"%PDF-1.4 test")
    email = Email(subject="【报告】2026年第三季度", to=["a@x.cn", "gone@x.cn"], cc=["c@x.cn"], text="见附件",
                  attachments=[Attachment("2026年第三季度报告.pdf", path=str(pdf))])
    report = ledger.send_once(store_engine, key="report:2026Q3", email=email, kind="report", **FAST)
    assert (report.sent, report.failed_permanent, report.failed_temporary) == (2, 1, 0)
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == ["a@x.cn", "c@x.cn"]
    refused = row(store_engine, "report:2026Q3:gone@x.cn")
    assert refused.status == "failed" and refused.attempts == 5
    assert "gone@x.cn" in refused.last_error and "550" in refused.last_error
    detail = next(d for d in report.details if d["recipient"] == "gone@x.cn")
    assert "550 5.1.1" in detail["error"]
    # the header shows every recipient, each envelope only its own
    assert smtp_server.messages[0].msg["To"].addresses[1].addr_spec == "gone@x.cn"
    assert next(smtp_server.messages[0].msg.iter_attachments()).get_content() == b"%PDF-1.4 test"

    again = ledger.send_once(store_engine, key="report:2026Q3", email=email, kind="report", **FAST)
    assert (again.sent, again.already_sent, again.failed_permanent) == (0, 2, 1)
    assert len(smtp_server.messages) == 2
    with pytest.raises(MailPermanentError, match="gone@x.cn"):
        ledger.send_once(store_engine, key="report:2026Q3", email=email, kind="report", raise_on_permanent=True,
                         **FAST)


def test_server_down_then_up_sends_exactly_once(store_engine, smtp_port, smtp_conn):
    queue(store_engine, key="k1", recipient="a@x.cn")
    queue(store_engine, key="k2", recipient="b@x.cn")
    with pytest.raises(MailTemporaryError, match="refused the connection") as info:
        ledger.deliver(store_engine, **FAST)
    report = info.value.report
    assert report.failed_temporary == 2 and report.deferred == 1 and report.sent == 0
    first, second = rows(store_engine)
    assert (first.status, first.attempts) == ("failed", 1)
    assert (second.status, second.attempts) == ("failed", 0)  # not tried: server unreachable
    assert "refused the connection" in first.last_error and "not attempted" in second.last_error

    server = RecordingServer("127.0.0.1", smtp_port).start()
    try:
        ok = ledger.deliver(store_engine, **FAST)
        again = ledger.deliver(store_engine, **FAST)
    finally:
        server.stop()
    assert (ok.sent, again.sent) == (2, 0)
    assert sorted(r for m in server.messages for r in m.rcpt_tos) == ["a@x.cn", "b@x.cn"]
    assert [(r.status, r.attempts, r.last_error) for r in rows(store_engine)] == [("sent", 2, None), ("sent", 1, None)]


def test_temporary_refusal_then_success(sqlite_store, smtp_server, smtp_conn):
    smtp_server.refuse["a@x.cn"] = "451 4.3.0 try again later"
    queue(sqlite_store)
    with pytest.raises(MailTemporaryError, match="451"):
        ledger.deliver(sqlite_store, **FAST)
    assert row(sqlite_store, "reminder:case-1:announce:a@x.cn").status == "failed"
    del smtp_server.refuse["a@x.cn"]
    assert ledger.deliver(sqlite_store, **FAST).sent == 1
    assert len(smtp_server.messages) == 1


def test_gives_up_after_max_attempts(sqlite_store, smtp_server, smtp_conn):
    smtp_server.refuse["a@x.cn"] = "451 4.3.0 try again later"
    queue(sqlite_store)
    with pytest.raises(MailTemporaryError):
        ledger.deliver(sqlite_store, max_attempts=2, **FAST)
    final = ledger.deliver(sqlite_store, max_attempts=2, **FAST)  # second attempt: gives up, no raise
    assert final.failed_permanent == 1 and "gave up after 2 attempts" in final.details[0]["error"]
    assert ledger.deliver(sqlite_store, max_attempts=2, **FAST).details == []  # never tried again
    assert smtp_server.messages == []


def test_concurrent_deliverers_send_once(store_engine, smtp_server, smtp_conn):
    keys = [f"digest:2026-11:{i:02d}" for i in range(12)]
    for i, key in enumerate(keys):
        queue(store_engine, key=key, recipient=f"unit{i}@x.cn")
    reports, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            reports.append(ledger.deliver(store_engine, **FAST))
        except Exception as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # A deliverer that lost a claim to a send the other had not confirmed when it finished must not
    # report success (its task retries); anything else is an error.
    lost = [e for e in errors if isinstance(e, ledger.MailInProgress)]
    assert [e for e in errors if not isinstance(e, ledger.MailInProgress)] == []
    assert sum(r.sent for r in reports) + sum(e.report.sent for e in lost) == 12
    retry = ledger.deliver(store_engine, **FAST)  # the retry of a task that saw "in progress"
    assert retry.sent == 0 and retry.in_progress == 0
    rcpts = sorted(r for m in smtp_server.messages for r in m.rcpt_tos)
    assert rcpts == sorted(f"unit{i}@x.cn" for i in range(12))  # each exactly once
    assert {(r.status, r.attempts) for r in rows(store_engine)} == {("sent", 1)}


def test_stuck_sending_row_is_resent_after_lease_with_same_message_id(store_engine, smtp_server, smtp_conn):
    key = "reminder:case-1:announce:a@x.cn"
    queue(store_engine)
    claimed_at = dt.datetime(2026, 11, 23, 8, 0)
    with store_engine.begin() as conn:  # a deliverer claimed the row, then died
        conn.execute(sa.update(N).where(N.c.notification_key == key).values(
            status="sending", attempts=1, sent_at=claimed_at, message_id=message_id_for(key)))
    with pytest.raises(ledger.MailInProgress, match="being sent") as raised:  # never a success while unsent
        ledger.deliver(store_engine, keys=[key], now=claimed_at + dt.timedelta(minutes=5), **FAST)
    within = raised.value.report
    assert within.sent == 0 and within.in_progress == 1 and within.details[0]["outcome"] == "in_progress"
    assert smtp_server.messages == []
    after = ledger.deliver(store_engine, now=claimed_at + dt.timedelta(minutes=16), **FAST)
    assert after.sent == 1
    assert smtp_server.messages[0].msg["Message-ID"] == message_id_for(key)
    r = row(store_engine, key)
    assert (r.status, r.attempts) == ("sent", 2)


def test_missing_attachment_is_temporary(sqlite_store, smtp_server, smtp_conn, tmp_path):
    path = tmp_path / "later.xlsx"
    queue(sqlite_store, payload={"text": "x", "attachments": [{"filename": "表.xlsx", "path": path.as_uri()}]})
    with pytest.raises(MailTemporaryError, match="later.xlsx"):
        ledger.deliver(sqlite_store, **FAST)
    path.write_bytes(b"PK-now-it-exists")
    assert ledger.deliver(sqlite_store, **FAST).sent == 1
    assert next(smtp_server.messages[0].msg.iter_attachments()).get_content() == b"PK-now-it-exists"


def test_missing_connection_is_a_clear_error_and_claims_nothing(sqlite_store):
    queue(sqlite_store)
    from fingertip.notifications import MailConfigError

    with pytest.raises(MailConfigError, match="smtp_nowhere"):
        ledger.deliver(sqlite_store, smtp_conn_id="smtp_nowhere")
    r = rows(sqlite_store)[0]
    assert (r.status, r.attempts) == ("queued", 0)


def test_send_once_checks_before_queueing(sqlite_store, tmp_path):
    with pytest.raises(ValueError, match="Invalid e-mail address"):
        ledger.send_once(sqlite_store, key="r", kind="report",
                         email=Email(subject="s", to=["ok@x.cn", "bad@"], text="x"), smtp_conn_id=CONN_ID)
    with pytest.raises(FileNotFoundError):
        ledger.send_once(sqlite_store, key="r", kind="report", smtp_conn_id=CONN_ID,
                         email=Email(subject="s", to=["ok@x.cn"], text="x",
                                     attachments=[Attachment("a.pdf", path=str(tmp_path / "nope.pdf"))]))
    with pytest.raises(ValueError, match="paths"):
        ledger.send_once(sqlite_store, key="r", kind="report", smtp_conn_id=CONN_ID,
                         email=Email(subject="s", to=["ok@x.cn"], text="x",
                                     attachments=[Attachment("a.pdf", content=b"x")]))
    assert rows(sqlite_store) == []


def test_from_address_comes_from_the_connection(sqlite_store, smtp_server, smtp_conn):
    queue(sqlite_store)
    ledger.deliver(sqlite_store, sender_name="指尖治理平台", **FAST)
    got = smtp_server.messages[0]
    assert got.mail_from == FROM
    assert got.msg["From"].addresses[0].display_name == "指尖治理平台"


def test_requeue_and_status_counts(store_engine, smtp_server, smtp_conn):
    smtp_server.refuse["gone@x.cn"] = "550 5.1.1 no such user"
    queue(store_engine, key="r:gone", recipient="gone@x.cn")
    queue(store_engine, key="r:ok", recipient="ok@x.cn")
    ledger.deliver(store_engine, **FAST)
    assert ledger.status_counts(store_engine) == {"failed": 1, "sent": 1}
    del smtp_server.refuse["gone@x.cn"]  # the address was fixed on the server side
    assert ledger.requeue(store_engine, ["r:gone", "r:ok"]) == 1  # the sent row is not touched
    assert ledger.deliver(store_engine, **FAST).sent == 1
    assert ledger.status_counts(store_engine, kind="reminder") == {"sent": 2}
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == ["gone@x.cn", "ok@x.cn"]


def test_message_refused_after_data(sqlite_store, smtp_server, smtp_conn):
    smtp_server.data_reply = "554 5.7.1 message rejected by policy"
    queue(sqlite_store)
    report = ledger.deliver(sqlite_store, **FAST)  # permanent: reported, not raised
    assert report.failed_permanent == 1 and "554 5.7.1" in report.details[0]["error"]
    smtp_server.data_reply = "452 4.3.1 insufficient system storage"
    ledger.requeue(sqlite_store, ["reminder:case-1:announce:a@x.cn"])
    with pytest.raises(MailTemporaryError, match="452"):
        ledger.deliver(sqlite_store, **FAST)
    assert smtp_server.messages == []
