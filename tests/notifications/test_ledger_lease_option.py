"""The ledger's lease comes from ``[fingertip] mail_lease_minutes`` (``FINGERTIP_MAIL_LEASE_MINUTES``) when
the caller gives none: a row claimed 5 minutes ago is left alone under the 15-minute default and resent
under a configured 4-minute lease (``make cluster`` shortens it so a send task retried after its worker
was killed delivers within the run)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from tests.notifications.helpers import FAST

from fingertip import config
from fingertip.notifications import ledger, message_id_for
from fingertip.store import schema

N = schema.notifications
NOW = dt.datetime(2026, 11, 2, 1, 0, 0)
KEY = "report:quarterly:2026Q3:a@x.cn"


def _claimed(engine, minutes_ago: float) -> None:
    ledger.enqueue(engine, key=KEY, recipient="a@x.cn", subject="【报告】2026年第三季度", kind="report",
                   payload={"text": "见附件"}, now=NOW - dt.timedelta(hours=1))
    with engine.begin() as conn:
        conn.execute(sa.update(N).where(N.c.notification_key == KEY)
                     .values(status="sending", attempts=1, sent_at=NOW - dt.timedelta(minutes=minutes_ago)))


def test_default_lease_is_fifteen_minutes(monkeypatch):
    monkeypatch.delenv("FINGERTIP_MAIL_LEASE_MINUTES", raising=False)
    monkeypatch.delenv("AIRFLOW__FINGERTIP__MAIL_LEASE_MINUTES", raising=False)
    assert config.mail_lease() == dt.timedelta(minutes=15) == ledger.DEFAULT_LEASE


@pytest.mark.parametrize("raw", ["0", "-1", "soon"])
def test_a_lease_that_is_not_a_positive_number_is_refused(monkeypatch, raw):
    monkeypatch.setenv("FINGERTIP_MAIL_LEASE_MINUTES", raw)
    with pytest.raises(config.ConfigurationError, match="mail_lease_minutes"):
        config.mail_lease()


def test_default_lease_leaves_a_five_minute_old_claim_alone(sqlite_store, smtp_server, smtp_conn, monkeypatch):
    monkeypatch.delenv("FINGERTIP_MAIL_LEASE_MINUTES", raising=False)
    _claimed(sqlite_store, 5)
    with pytest.raises(ledger.MailInProgress):
        ledger.deliver(sqlite_store, keys=[KEY], now=NOW, **FAST)
    assert smtp_server.messages == []


def test_configured_lease_resends_it_once_with_the_same_message_id(sqlite_store, smtp_server, smtp_conn,
                                                                   monkeypatch):
    monkeypatch.setenv("FINGERTIP_MAIL_LEASE_MINUTES", "4")
    _claimed(sqlite_store, 5)
    assert ledger.deliver(sqlite_store, keys=[KEY], now=NOW, **FAST).sent == 1
    assert ledger.deliver(sqlite_store, keys=[KEY], now=NOW, **FAST).already_sent == 1
    assert [m.msg["Message-ID"] for m in smtp_server.messages] == [message_id_for(KEY)]
