"""The mail catcher's stall file (``make cluster``'s mail-send fault): while it exists every SMTP session
is held at RCPT — the sender is mid-send, nothing is delivered —, each held session is recorded in
``<stall file>.reached``, and removing the file ends the session with 421, still without a message."""

from __future__ import annotations

import json
import smtplib
import threading
import time

from fingertip_dev.mailcatcher import MailCatcher

MESSAGE = "From: a@x.cn\r\nTo: b@x.cn\r\nSubject: t\r\nMessage-ID: <m1@x>\r\n\r\nbody\r\n"


def _send(port, outcome):
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.sendmail("a@x.cn", ["b@x.cn"], MESSAGE)
        outcome.append("sent")
    except smtplib.SMTPException as exc:
        outcome.append(exc)


def test_a_held_session_delivers_nothing_and_the_next_one_does(tmp_path):
    stall = tmp_path / "stall"
    reached = tmp_path / "stall.reached"
    with MailCatcher(tmp_path / "mail", port=0, stall_file=stall) as catcher:
        stall.write_text("hold")
        outcome: list = []
        sender = threading.Thread(target=_send, args=(catcher.port, outcome))
        sender.start()
        deadline = time.monotonic() + 20
        while not reached.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reached.exists()
        time.sleep(0.3)
        assert sender.is_alive() and outcome == [] and catcher.messages() == []  # held mid-send
        held = [json.loads(line) for line in reached.read_text().splitlines()]
        assert [h["rcpt"] for h in held] == ["b@x.cn"]
        stall.unlink()
        sender.join(20)
        assert len(outcome) == 1 and isinstance(outcome[0], smtplib.SMTPException)
        assert catcher.messages() == []
        again: list = []
        _send(catcher.port, again)
        assert again == ["sent"]
        assert [m["message_id"] for m in catcher.messages()] == ["<m1@x>"]


def test_without_the_file_nothing_is_held(tmp_path):
    with MailCatcher(tmp_path / "mail", port=0, stall_file=tmp_path / "stall") as catcher:
        outcome: list = []
        _send(catcher.port, outcome)
        assert outcome == ["sent"] and not (tmp_path / "stall.reached").exists()
