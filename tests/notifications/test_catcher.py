"""The mail catcher: .eml files and index.jsonl, in process and as the CLI child process."""

from __future__ import annotations

import email
import json
import smtplib
from email import policy

from tests.notifications.helpers import FAST, FROM, conn_json

from fingertip.notifications import Attachment, Email, build_mime, ledger, message_id_for
from fingertip_dev.mailcatcher import MailCatcher, read_index, start_subprocess, stop_subprocess


def test_catcher_saves_eml_and_index(tmp_path, monkeypatch):
    folder = tmp_path / "mail"
    with MailCatcher(folder, port=0) as catcher:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_TEST", conn_json(catcher.port))
        msg = build_mime(Email(subject="【报告】2026年第三季度", to=["张三 <zs@x.cn>"], text="正文",
                               attachments=[Attachment("一张表.xlsx", content=b"PK\x03\x04")]),
                         FROM, message_id_for("report:1:zs@x.cn"))
        with smtplib.SMTP("127.0.0.1", catcher.port) as client:
            client.send_message(msg, to_addrs=["zs@x.cn", "bcc@x.cn"])
    entries = read_index(folder)
    assert len(entries) == 1
    entry = entries[0]
    assert entry["subject"] == "【报告】2026年第三季度"
    assert entry["rcpt_tos"] == ["zs@x.cn", "bcc@x.cn"] and entry["mail_from"] == FROM
    assert entry["message_id"] == message_id_for("report:1:zs@x.cn")
    assert entry["file"].endswith(".eml") and message_id_for("report:1:zs@x.cn")[1:33] in entry["file"]
    eml = folder / entry["file"]
    saved = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert str(saved["Subject"]) == "【报告】2026年第三季度"
    assert next(saved.iter_attachments()).get_filename() == "一张表.xlsx"
    assert next(saved.iter_attachments()).get_content() == b"PK\x03\x04"
    assert entry["size"] == eml.stat().st_size


def test_same_message_id_twice_gives_two_files(tmp_path):
    with MailCatcher(tmp_path, port=0) as catcher:
        msg = build_mime(Email(subject="s", to=["a@x.cn"], text="x"), FROM, "<same@fingertip.local>")
        with smtplib.SMTP("127.0.0.1", catcher.port) as client:
            client.send_message(msg)
            client.send_message(msg)
    files = sorted(p.name for p in tmp_path.glob("*.eml"))
    assert len(files) == 2 and len(set(files)) == 2
    assert [e["message_id"] for e in read_index(tmp_path)] == ["<same@fingertip.local>"] * 2


def test_cli_subprocess_with_the_ledger(tmp_path, monkeypatch, sqlite_store):
    """``python -m fingertip_dev mailcatcher`` as a child process, fed by the ledger."""
    folder = tmp_path / "out" / "mail"
    proc = start_subprocess(folder, port=0, log_path=tmp_path / "catcher.log")
    try:
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_TEST", conn_json(proc.catcher_port))
        ledger.send_once(sqlite_store, key="audit:7", kind="audit",
                         email=Email(subject="【专项核查】结果", to=["a@x.cn", "b@x.cn"], text="见附件"), **FAST)
        ledger.send_once(sqlite_store, key="audit:7", kind="audit",
                         email=Email(subject="【专项核查】结果", to=["a@x.cn", "b@x.cn"], text="见附件"), **FAST)
    finally:
        code = stop_subprocess(proc)
    assert code == 0
    entries = read_index(folder)
    assert sorted(e["rcpt_tos"][0] for e in entries) == ["a@x.cn", "b@x.cn"]
    assert all(e["subject"] == "【专项核查】结果" for e in entries)
    log = (tmp_path / "catcher.log").read_text(encoding="utf-8")
    assert "listening on 127.0.0.1" in log and "stopped after 2 message(s)" in log
    assert json.loads((folder / "index.jsonl").read_text(encoding="utf-8").splitlines()[0])["file"]


def test_index_keeps_odd_headers(tmp_path):
    """Raw Message-ID kept; 8-bit (SMTPUTF8) and encoded subjects decoded; the file is byte-exact."""
    raw = ("From: =?utf-8?b?5byg5LiJ?= <a@b.cn>\r\nTo: c@d.cn\r\nSubject: 直接的八位主题\r\n"
           "Message-ID: <x y/../z@h>\r\n\r\nhi\r\n").encode()
    with MailCatcher(tmp_path, port=0) as catcher:
        with smtplib.SMTP("127.0.0.1", catcher.port) as client:
            client.sendmail("a@b.cn", ["c@d.cn"], raw)
    (entry,) = read_index(tmp_path)
    assert entry["subject"] == "直接的八位主题" and entry["from"] == "张三 <a@b.cn>"
    assert entry["message_id"] == "<x y/../z@h>"
    assert "/" not in entry["file"] and entry["file"].endswith("_x_y_.._z_h.eml")
    assert (tmp_path / entry["file"]).read_bytes() == raw
