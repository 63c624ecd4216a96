"""A report mail is not lost when its sender dies mid-send (issue 14 item 7): a real sender process is
killed while the real mail catcher holds its SMTP session; the retried send must not succeed while the
mail is undelivered, and after the lease it is delivered exactly once, with the same Message-ID."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa
from tests.notifications.helpers import CONN_ID, FAST, conn_json, free_port

from fingertip.notifications import Email, MailTemporaryError, ledger, message_id_for
from fingertip.store import schema
from fingertip_dev.mailcatcher import MailCatcher

KEY = "report:quarterly:2026Q3"
RECIPIENT = "a@x.cn"
SENDER = """
import sys
from fingertip.notifications import Email, ledger
from fingertip.store.engine import create_store_engine

engine = create_store_engine(sys.argv[1])
ledger.send_once(engine, key=sys.argv[2], email=Email(subject="【报告】2026年第三季度", to=[sys.argv[3]],
                 text="见附件"), kind="report", smtp_conn_id=sys.argv[4], send_retries=0)
print("send_once returned")
"""


class _Stall:
    """Holds the first SMTP session at RCPT until released (the sender is then mid-send)."""

    def __init__(self):
        self.reached = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd API)
        if not self.release.is_set():
            self.reached.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "421 4.3.0 session ended"  # the held session never reaches DATA
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def catcher(tmp_path, monkeypatch):
    port = free_port()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_TEST", conn_json(port))
    c = MailCatcher(tmp_path / "mail", port=port)
    stall = _Stall()
    c.handler.handle_RCPT = stall.handle_RCPT  # type: ignore[attr-defined]
    c.stall = stall  # type: ignore[attr-defined]
    with c:
        yield c
    stall.release.set()


def test_sender_killed_mid_send_does_not_lose_the_mail(store_url, store_engine, catcher):
    proc = subprocess.Popen([sys.executable, "-c", SENDER, store_url, KEY, RECIPIENT, CONN_ID],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
    try:
        assert catcher.stall.reached.wait(60), proc.stderr.read().decode() if proc.poll() is not None else "no RCPT"
        os.kill(proc.pid, signal.SIGKILL)  # the sender dies between its claim and the server's acceptance
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    catcher.stall.release.set()
    time.sleep(0.2)  # the held session ends
    N = schema.notifications
    with store_engine.connect() as conn:
        row = conn.execute(sa.select(N).where(N.c.notification_key == f"{KEY}:{RECIPIENT}")).one()
    assert (row.status, row.attempts) == ("sending", 1) and catcher.messages() == []

    email = Email(subject="【报告】2026年第三季度", to=[RECIPIENT], text="见附件")
    # the task's retry within the lease: must not succeed while the mail is undelivered
    with pytest.raises(MailTemporaryError, match="being sent"):  # ledger.MailInProgress
        ledger.send_once(store_engine, key=KEY, email=email, kind="report", **FAST)
    assert catcher.messages() == []
    # a retry after the lease delivers it, with the Message-ID of the key; later retries send nothing
    later = row.sent_at + ledger.DEFAULT_LEASE + dt.timedelta(seconds=1)
    report = ledger.send_once(store_engine, key=KEY, email=email, kind="report", now=later, **FAST)
    assert report.sent == 1
    again = ledger.send_once(store_engine, key=KEY, email=email, kind="report", **FAST)
    assert again.sent == 0 and again.already_sent == 1
    (received,) = catcher.messages()
    assert received["rcpt_tos"] == [RECIPIENT]
    assert received["message_id"] == message_id_for(f"{KEY}:{RECIPIENT}")
