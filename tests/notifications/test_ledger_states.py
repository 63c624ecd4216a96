"""The ledger's end state on the database row for every outcome, against a real SMTP server.

Each test asserts the row (``status``, ``attempts``, ``last_error``, ``sent_at``, ``message_id``)
after one or more ``deliver`` calls, the report's counts and what the server received. Expected
values come from the ledger's documented life cycle (module docstring), not from its code.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from tests.notifications.helpers import CONN_ID, FAST
from tests.store_templates import store_engine_fixtures

from fingertip.notifications import Email, InlineImage, MailPermanentError, MailTemporaryError, ledger, message_id_for
from fingertip.store import schema

N = schema.notifications

# one migrated store per backend for the module, an empty copy per test (tests/store_templates.py)
_migrated_store, store_engine = store_engine_fixtures()
NOW = dt.datetime(2026, 11, 2, 1, 0, 0)  # naive UTC, as stored
PAYLOAD = {"text": "请于 2026-12-01 前发布关停公告。"}
KEY = "reminder:case-7:announce:a@x.cn"


def row(engine, key=KEY):
    with engine.connect() as conn:
        return conn.execute(sa.select(N).where(N.c.notification_key == key)).one()


def queue(engine, key=KEY, recipient="a@x.cn", **kw):
    return ledger.enqueue(engine, key=key, recipient=recipient, subject="【提醒】关停公告即将到期", kind="reminder",
                          payload=kw.pop("payload", PAYLOAD), now=NOW - dt.timedelta(hours=1), **kw)


def state(r):
    return r.status, r.attempts, r.last_error, r.sent_at


def set_row(engine, key=KEY, **values):
    with engine.begin() as conn:
        conn.execute(sa.update(N).where(N.c.notification_key == key).values(**values))


def test_sent(store_engine, smtp_server, smtp_conn):
    queue(store_engine)
    report = ledger.deliver(store_engine, now=NOW, **FAST)
    r = row(store_engine)
    assert state(r) == ("sent", 1, None, NOW)
    assert r.message_id == message_id_for(KEY)
    assert (report.sent, report.failed_temporary, report.failed_permanent, report.skipped) == (1, 0, 0, 0)
    assert [d["outcome"] for d in report.details] == ["sent"]
    assert report.details[0]["message_id"] == message_id_for(KEY)
    assert [m.rcpt_tos for m in smtp_server.messages] == [["a@x.cn"]]
    assert smtp_server.messages[0].msg["Message-ID"] == message_id_for(KEY)
    again = ledger.deliver(store_engine, keys=[KEY], now=NOW + dt.timedelta(hours=1), **FAST)
    assert (again.sent, again.already_sent) == (0, 1)
    assert again.details[0]["outcome"] == "already_sent"
    assert state(row(store_engine)) == ("sent", 1, None, NOW)
    assert len(smtp_server.messages) == 1


def test_temporary_failure(sqlite_store, smtp_server, smtp_conn):
    queue(sqlite_store)
    smtp_server.refuse["a@x.cn"] = "451 4.3.0 try later"
    with pytest.raises(MailTemporaryError) as exc:
        ledger.deliver(sqlite_store, now=NOW, **FAST)
    r = row(sqlite_store)
    assert (r.status, r.attempts, r.sent_at) == ("failed", 1, None)
    assert "451" in r.last_error
    report = exc.value.report
    assert (report.sent, report.failed_temporary, report.failed_permanent) == (0, 1, 0)
    assert report.details[0]["attempts"] == 1
    assert f"{KEY}: " in str(exc.value)
    # the next run sends it: attempts counts both
    smtp_server.refuse.clear()
    ledger.deliver(sqlite_store, now=NOW + dt.timedelta(minutes=5), **FAST)
    assert state(row(sqlite_store)) == ("sent", 2, None, NOW + dt.timedelta(minutes=5))


def test_temporary_failure_exactly_at_max_attempts_gives_up(store_engine, smtp_server, smtp_conn):
    queue(store_engine)
    smtp_server.refuse["a@x.cn"] = "451 4.3.0 try later"
    with pytest.raises(MailTemporaryError):
        ledger.deliver(store_engine, now=NOW, max_attempts=2, **FAST)
    assert row(store_engine).attempts == 1
    report = ledger.deliver(store_engine, now=NOW, max_attempts=2, **FAST)  # no raise: given up
    r = row(store_engine)
    assert (r.status, r.attempts, r.sent_at) == ("failed", 2, None)
    assert r.last_error.startswith("gave up after 2 attempts: ")
    assert "451" in r.last_error
    assert (report.failed_temporary, report.failed_permanent) == (0, 1)
    # never tried again, and reported as failed for good when asked for by key
    smtp_server.refuse.clear()
    again = ledger.deliver(store_engine, keys=[KEY], now=NOW, max_attempts=2, **FAST)
    assert (again.sent, again.failed_permanent) == (0, 1)
    assert again.details[0]["previously"] is True
    assert again.details[0]["error"] == r.last_error
    assert ledger.deliver(store_engine, now=NOW, max_attempts=2, **FAST).details == []
    assert smtp_server.messages == []
    with pytest.raises(MailPermanentError, match=KEY):
        ledger.deliver(store_engine, keys=[KEY], now=NOW, max_attempts=2, raise_on_permanent=True, **FAST)
    # one more allowed attempt: due again
    assert ledger.deliver(store_engine, now=NOW, max_attempts=3, **FAST).sent == 1
    assert state(row(store_engine)) == ("sent", 3, None, NOW)


def test_permanent_failure_uses_up_the_attempts(sqlite_store, smtp_server, smtp_conn):
    queue(sqlite_store)
    smtp_server.refuse["a@x.cn"] = "550 5.1.1 no such user"
    report = ledger.deliver(sqlite_store, now=NOW, **FAST)
    r = row(sqlite_store)
    assert (r.status, r.attempts, r.sent_at) == ("failed", ledger.DEFAULT_MAX_ATTEMPTS, None)
    assert "550" in r.last_error and not r.last_error.startswith("gave up")
    assert (report.failed_permanent, report.failed_temporary) == (1, 0)
    assert report.details[0]["attempts"] == 1
    with pytest.raises(MailPermanentError, match="1 notification"):
        ledger.deliver(sqlite_store, keys=[KEY], now=NOW, raise_on_permanent=True, **FAST)


def test_server_down_first_row_attempted_the_rest_not(sqlite_store, smtp_conn):
    queue(sqlite_store)
    queue(sqlite_store, key="second", recipient="b@x.cn")
    with pytest.raises(MailTemporaryError) as exc:
        ledger.deliver(sqlite_store, now=NOW, **FAST)
    first = row(sqlite_store)
    assert (first.status, first.attempts, first.sent_at) == ("failed", 1, None)
    assert "refused" in first.last_error
    second = row(sqlite_store, "second")
    assert (second.status, second.attempts, second.sent_at) == ("failed", 0, None)
    assert second.last_error.startswith("not attempted: ")
    report = exc.value.report
    assert (report.failed_temporary, report.deferred) == (2, 1)
    assert report.details[1]["deferred"] is True


def test_stuck_sending_exactly_at_max_attempts_is_abandoned(store_engine, smtp_server, smtp_conn):
    queue(store_engine)
    claimed = NOW - dt.timedelta(minutes=16)
    set_row(store_engine, status="sending", attempts=3, sent_at=claimed, message_id=message_id_for(KEY))
    report = ledger.deliver(store_engine, now=NOW, max_attempts=3, **FAST)
    r = row(store_engine)
    assert (r.status, r.attempts) == ("failed", 3)
    assert r.last_error.startswith("abandoned while sending after 3 attempts (lease expired)")
    assert message_id_for(KEY) in r.last_error
    assert (report.failed_permanent, report.sent) == (1, 0)
    assert report.details[0]["outcome"] == "failed_permanent"
    assert smtp_server.messages == []


def test_stuck_sending_below_max_attempts_is_resent(sqlite_store, smtp_server, smtp_conn):
    queue(sqlite_store)
    set_row(sqlite_store, status="sending", attempts=2, sent_at=NOW - dt.timedelta(minutes=15),
            message_id=message_id_for(KEY))
    report = ledger.deliver(sqlite_store, now=NOW, max_attempts=3, **FAST)
    assert report.sent == 1
    assert state(row(sqlite_store)) == ("sent", 3, None, NOW)
    assert smtp_server.messages[0].msg["Message-ID"] == message_id_for(KEY)


def test_sending_within_the_lease_is_left_alone(sqlite_store, smtp_server, smtp_conn):
    queue(sqlite_store)
    claimed = NOW - dt.timedelta(minutes=14)
    set_row(sqlite_store, status="sending", attempts=1, sent_at=claimed)
    # asked for by key: not sent, not changed, and the call says so (MailInProgress, a temporary error)
    with pytest.raises(ledger.MailInProgress) as exc:
        ledger.deliver(sqlite_store, keys=[KEY], now=NOW, **FAST)
    report = exc.value.report
    assert (report.sent, report.skipped) == (0, 1)
    assert report.details[0]["outcome"] == "in_progress"
    assert report.in_progress == 1
    assert state(row(sqlite_store)) == ("sending", 1, None, claimed)
    # all due rows: nothing due, nothing raised
    assert ledger.deliver(sqlite_store, now=NOW, **FAST).details == []
    # a custom lease: now it has expired
    assert ledger.deliver(sqlite_store, now=NOW, lease=dt.timedelta(minutes=10), **FAST).sent == 1


def test_not_due_yet(sqlite_store, smtp_server, smtp_conn):
    later = NOW + dt.timedelta(days=1)
    queue(sqlite_store, not_before=later)
    report = ledger.deliver(sqlite_store, keys=[KEY], now=NOW, **FAST)
    assert (report.sent, report.skipped) == (0, 1)
    assert report.details[0]["outcome"] == "not_due"
    assert report.details[0]["not_before"] == later.isoformat()
    assert state(row(sqlite_store)) == ("queued", 0, None, None)
    assert ledger.deliver(sqlite_store, now=later, **FAST).sent == 1  # due exactly at not_before


def test_cc_and_inline_images_through_the_whole_path(sqlite_store, smtp_server, smtp_conn, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    email = Email(subject="【通知】关停", to=["a@x.cn"], cc=["b@x.cn"], text="正文",
                  html='<p><img src="cid:logo"></p>', inline_images=[InlineImage("logo", path=str(logo))],
                  headers={"X-Fingertip-Case": "case-7"})
    report = ledger.send_once(sqlite_store, key="notice:7", email=email, kind="notice", now=NOW, **FAST)
    assert report.sent == 2
    keys = {"a@x.cn": ledger.recipient_key("notice:7", "a@x.cn"), "b@x.cn": ledger.recipient_key("notice:7", "b@x.cn")}
    for address, key in keys.items():
        r = row(sqlite_store, key)
        assert state(r) == ("sent", 1, None, NOW)
        assert r.recipient == address
        assert r.payload["cc"] == ["b@x.cn"] and r.payload["to"] == ["a@x.cn"]
        assert r.payload["inline_images"] == [{"cid": "logo", "path": str(logo), "mime_type": "image/png"}]
        (received,) = smtp_server.to(address)
        msg = received.msg
        assert msg["To"] == "a@x.cn" and msg["Cc"] == "b@x.cn"
        assert msg["X-Fingertip-Case"] == "case-7"
        images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
        assert len(images) == 1 and images[0]["Content-ID"] == "<logo>"
        assert images[0].get_payload(decode=True) == logo.read_bytes()
    # re-run: nothing new
    again = ledger.send_once(sqlite_store, key="notice:7", email=email, kind="notice", now=NOW, **FAST)
    assert (again.sent, again.already_sent) == (0, 2)
    assert len(smtp_server.messages) == 2


@pytest.mark.parametrize("subject", ["标题\r注入", "标题\nBcc: evil@x.cn", "标题\r\nBcc: evil@x.cn"])
def test_header_injection_in_the_subject_is_refused_before_queueing(sqlite_store, subject):
    with pytest.raises(ValueError, match="one line"):
        ledger.enqueue(sqlite_store, key="k", recipient="a@x.cn", subject=subject, kind="notice", payload=PAYLOAD)
    with pytest.raises(ValueError, match="one line"):
        ledger.enqueue_many(sqlite_store, [{"key": "k", "recipient": "a@x.cn", "subject": subject, "kind": "notice",
                                            "payload": PAYLOAD}])
    with sqlite_store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(N)).scalar_one() == 0


@pytest.mark.parametrize("recipient", ["a@x.cn\r\nBcc: evil@x.cn", "a@x.cn\nb@x.cn", "a@x.cn, b@x.cn"])
def test_header_injection_in_the_recipient_is_refused(sqlite_store, recipient):
    with pytest.raises(ValueError):
        ledger.enqueue(sqlite_store, key="k", recipient=recipient, subject="s", kind="notice", payload=PAYLOAD)


def test_header_injection_in_a_stored_payload_fails_permanently_without_sending(sqlite_store, smtp_server,
                                                                                smtp_conn):
    queue(sqlite_store, payload={"text": "x", "headers": {"X-Case": "7\r\nBcc: evil@x.cn"}})
    report = ledger.deliver(sqlite_store, now=NOW, **FAST)
    r = row(sqlite_store)
    assert (r.status, r.attempts, r.sent_at) == ("failed", ledger.DEFAULT_MAX_ATTEMPTS, None)
    assert r.last_error.startswith("cannot build the message: ValueError: ")
    assert "one line" in r.last_error
    assert report.failed_permanent == 1
    assert smtp_server.messages == []


def test_missing_inline_image_file_is_temporary(sqlite_store, smtp_server, smtp_conn, tmp_path):
    queue(sqlite_store, payload={"text": "x", "html": "<img src=\"cid:logo\">",
                                 "inline_images": [{"cid": "logo", "path": str(tmp_path / "gone.png")}]})
    with pytest.raises(MailTemporaryError):
        ledger.deliver(sqlite_store, now=NOW, **FAST)
    r = row(sqlite_store)
    assert (r.status, r.attempts, r.sent_at) == ("failed", 1, None)
    assert r.last_error.startswith("cannot build the message: FileNotFoundError: ")


def test_enqueue_many(sqlite_store):
    rows = [{"key": f"k{i}", "recipient": f"u{i}@x.cn", "subject": f"s{i}", "kind": "digest", "payload": PAYLOAD}
            for i in range(3)]
    assert ledger.enqueue_many(sqlite_store, rows) == (3, 0)
    assert ledger.enqueue_many(sqlite_store, rows[1:] + [{**rows[0], "key": "k9", "case_id": None}]) == (1, 2)
    with sqlite_store.connect() as conn:
        stored = conn.execute(sa.select(N).order_by(N.c.id)).all()
    assert [(r.notification_key, r.recipient, r.status, r.attempts, r.channel, r.case_id, r.not_before)
            for r in stored] == [("k0", "u0@x.cn", "queued", 0, "email", None, None),
                                 ("k1", "u1@x.cn", "queued", 0, "email", None, None),
                                 ("k2", "u2@x.cn", "queued", 0, "email", None, None),
                                 ("k9", "u0@x.cn", "queued", 0, "email", None, None)]
    assert ledger.status_counts(sqlite_store) == {"queued": 4}
    assert ledger.status_counts(sqlite_store, kind="other") == {}


def test_enqueue_many_is_one_transaction(sqlite_store):
    rows = [{"key": "ok", "recipient": "a@x.cn", "subject": "s", "kind": "digest", "payload": PAYLOAD},
            {"key": "bad", "recipient": "not an address", "subject": "s", "kind": "digest", "payload": PAYLOAD}]
    with pytest.raises(ValueError):
        ledger.enqueue_many(sqlite_store, rows)
    assert ledger.status_counts(sqlite_store) == {}


def test_delivery_report_merge_and_summary():
    class Row:
        id, notification_key, recipient, kind = 1, "k1", "a@x.cn", "notice"

    a = ledger.DeliveryReport(sent=1, already_sent=2, failed_temporary=3, failed_permanent=4, skipped=5, deferred=6,
                              in_progress=7)
    a.add("sent", Row, message_id="<m1>")
    b = ledger.DeliveryReport(sent=10, already_sent=20, failed_temporary=30, failed_permanent=40, skipped=50,
                              deferred=60, in_progress=70)
    b.add("failed_temporary", Row, error="boom", attempts=2)
    merged = a.merge(b)
    assert merged is a
    assert (a.sent, a.already_sent, a.failed_temporary, a.failed_permanent, a.skipped, a.deferred, a.in_progress) == \
        (11, 22, 33, 44, 55, 66, 77)
    assert a.details == [
        {"id": 1, "key": "k1", "recipient": "a@x.cn", "kind": "notice", "outcome": "sent", "message_id": "<m1>",
         "error": None},
        {"id": 1, "key": "k1", "recipient": "a@x.cn", "kind": "notice", "outcome": "failed_temporary",
         "message_id": None, "error": "boom", "attempts": 2},
    ]
    assert a.summary() == ("sent 11, already sent 22, failed temporarily 33 (deferred 66), "
                           "failed permanently 44, skipped 55 (in progress 77)")
    assert a.as_dict()["failed_permanent"] == 44 and len(a.as_dict()["details"]) == 2


def test_enqueue_validation(sqlite_store):
    def enq(**kw):
        args = {"key": "k", "recipient": "a@x.cn", "subject": "s", "kind": "notice", "payload": PAYLOAD, **kw}
        return ledger.enqueue(sqlite_store, **args)

    with pytest.raises(ValueError, match="needs a subject"):
        enq(subject="  ")
    with pytest.raises(ValueError, match=f"subject longer than {ledger.SUBJECT_MAX} characters"):
        enq(subject="长" * (ledger.SUBJECT_MAX + 1))
    with pytest.raises(ValueError, match="invalid notification kind ''"):
        enq(kind="")
    with pytest.raises(ValueError, match="invalid notification kind"):
        enq(kind="k" * (ledger.KIND_MAX + 1))
    with pytest.raises(ValueError, match="non-empty string"):
        enq(key=" ")
    with pytest.raises(ValueError, match="'html' must be a string"):
        enq(payload={"text": "x", "html": 3})
    with pytest.raises(ValueError, match="inline image"):
        enq(payload={"text": "x", "inline_images": [{"cid": "c"}]})
    with pytest.raises(ValueError, match="JSON-serialisable"):
        enq(payload={"text": "x", "when": dt.date(2026, 1, 1)})
    enq(subject="长" * ledger.SUBJECT_MAX, kind="k" * ledger.KIND_MAX)  # exactly at the limits
    assert row(sqlite_store, "k").subject == "长" * ledger.SUBJECT_MAX


def test_a_date_or_text_where_a_datetime_belongs_is_refused_with_a_type_error(sqlite_store):
    # the contract (enqueue/deliver signatures): not_before and now are datetimes, aware or naive UTC; a
    # calendar date or a string is a caller's mistake refused up front, before anything is queued or sent
    args = {"key": "k", "recipient": "a@x.cn", "subject": "s", "kind": "notice", "payload": PAYLOAD}
    for wrong in (dt.date(2026, 12, 1), "2026-12-01 08:00:00"):
        with pytest.raises(TypeError, match="expected a datetime"):
            ledger.enqueue(sqlite_store, **args, not_before=wrong)
        with pytest.raises(TypeError, match="expected a datetime"):
            ledger.enqueue(sqlite_store, **args, now=wrong)
        with pytest.raises(TypeError, match="expected a datetime"):
            ledger.deliver(sqlite_store, now=wrong, **FAST)
    with sqlite_store.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(N)).scalar_one() == 0


def test_fit_key_bounds():
    exact = "k" * ledger.KEY_MAX
    assert ledger.fit_key(exact) == exact
    longer = exact + "k"
    fitted = ledger.fit_key(longer)
    assert len(fitted) == ledger.KEY_MAX == 200
    assert fitted.startswith("k" * 183 + "#") and fitted != ledger.fit_key(exact + "j")
    assert ledger.recipient_key("n:1", "A@X.CN") == "n:1:a@x.cn"


def test_kind_and_prefix_filters(sqlite_store, smtp_server, smtp_conn):
    ledger.enqueue(sqlite_store, key="100%_a", recipient="a@x.cn", subject="s", kind="notice", payload=PAYLOAD)
    ledger.enqueue(sqlite_store, key="100xxa", recipient="b@x.cn", subject="s", kind="notice", payload=PAYLOAD)
    ledger.enqueue(sqlite_store, key="200", recipient="c@x.cn", subject="s", kind="digest", payload=PAYLOAD)
    assert ledger.deliver(sqlite_store, key_prefix="100%_", now=NOW, **FAST).sent == 1
    assert [m.rcpt_tos for m in smtp_server.messages] == [["a@x.cn"]]
    assert ledger.deliver(sqlite_store, kind="digest", now=NOW, **FAST).sent == 1
    assert ledger.status_counts(sqlite_store) == {"sent": 2, "queued": 1}
    assert ledger.status_counts(sqlite_store, kind="notice") == {"sent": 1, "queued": 1}


def test_requeue_only_failed_rows(sqlite_store, smtp_server, smtp_conn):
    queue(sqlite_store, key="a", recipient="a@x.cn")
    queue(sqlite_store, key="b", recipient="b@x.cn")
    smtp_server.refuse["a@x.cn"] = "550 5.1.1 no such user"
    ledger.deliver(sqlite_store, now=NOW, **FAST)
    assert ledger.requeue(sqlite_store, ["a", "b", "missing"]) == 1
    assert state(row(sqlite_store, "a")) == ("queued", 0, None, None)
    assert row(sqlite_store, "b").status == "sent"


def test_unknown_connection_fails_loudly(sqlite_store):
    queue(sqlite_store)
    with pytest.raises(Exception, match="nope"):
        ledger.deliver(sqlite_store, smtp_conn_id="nope", now=NOW)
    assert state(row(sqlite_store)) == ("queued", 0, None, None)


def test_conn_id_constant():
    assert CONN_ID == "smtp_test"
