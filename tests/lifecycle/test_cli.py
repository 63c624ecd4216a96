"""The ops staff command line: open, dry-run, decide, list, show, and clear errors."""

from __future__ import annotations

import json

from fingertip.lifecycle.__main__ import main


def test_cli_open_dry_run_decide_and_show(store_engine, population, monkeypatch, capsys):
    monkeypatch.setenv("FINGERTIP_STORE_URL", store_engine.url.render_as_string(hide_password=False))
    assert main(["open", "--target", "app:APP-Z", "--reason", "僵尸应用", "--actor", "赵六", "--day", "2026-11-20"]) == 0
    key = capsys.readouterr().out.split()[1]
    assert key.startswith("SC-APP-")
    assert main(["dry-run", "--day", "2026-11-20"]) == 0
    text = capsys.readouterr().out
    assert "last service day  2026-12-20" in text and "app:APP-S" in text  # successor suggested
    assert main(["decide", key, "--approve", "--actor", "李四", "--comment", "会议决定关停"]) == 0
    capsys.readouterr()
    assert main(["show", key]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["case"]["state"] == "approved" and shown["events"][-1]["actor"] == "李四"
    assert main(["list", "--state", "approved"]) == 0 and key in capsys.readouterr().out
    # errors are one clear line, exit code 2
    assert main(["open", "--target", "app:NOPE", "--reason", "x", "--actor", "y"]) == 2
    assert "not in the inventory" in capsys.readouterr().err
    assert main(["advance", key, "--to", "closed", "--actor", "x", "--reason", "y"]) == 2
    assert "approved → closed is not allowed" in capsys.readouterr().err
