"""The rules CLI: policy errors exit 2 with file:line; dry-run explains; ack/waive change states."""

from __future__ import annotations

import datetime as dt
import os
import shutil

import sqlalchemy as sa
from tests.conftest import ROOT
from tests.helpers import run_python

from fingertip.rules.policy import default_dir
from fingertip.store import schema


def _cli(*args, env=None):
    """``python -m fingertip.rules <args>`` in a fresh process: a fork of a server that has imported Airflow's
    configuration (which the CLI imports first) and nothing of the project (tests/helpers.py)."""
    return run_python({**os.environ, "PYTHONPATH": str(ROOT / "plugins"), **(env or {})}, "-m", "fingertip.rules",
                      *args, preload=("airflow.configuration", "sqlalchemy", "yaml"))


def test_check_reports_policy_errors_with_file_and_line(tmp_path):
    d = tmp_path / "policy"
    shutil.copytree(default_dir(), d)
    rules = d / "rules" / "apps.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("family: zombie_app", "famly: zombie_app", 1),
                     encoding="utf-8")
    proc = _cli("check", env={"FINGERTIP_POLICY_DIR": str(d)})
    assert proc.returncode == 2
    assert f"{rules}:" in proc.stderr and "unknown key 'famly'" in proc.stderr
    assert _cli("check").returncode == 0


def test_dry_run_run_and_lifecycle_commands(small_store):
    url, _ = small_store
    env = {"FINGERTIP_STORE_URL": url}
    dry = _cli("dry-run", "--date", "2026-11-20", "--limit", "3", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing stored" in dry.stdout and "because" in dry.stdout and "thresholds" in dry.stdout
    from fingertip.store.engine import create_store_engine

    engine = create_store_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.findings)).scalar_one() == 0
    assert _cli("run", "--date", "2026-11-20", env=env).returncode == 0
    with engine.connect() as conn:
        fid = conn.execute(sa.select(schema.findings.c.id).order_by(schema.findings.c.id).limit(1)).scalar_one()
    assert _cli("ack", fid, "--by", "张三", env=env).returncode == 0
    again = _cli("ack", fid, "--by", "李四", env=env)
    assert again.returncode == 1 and "open" in again.stderr
    until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    assert _cli("waive", fid, "--reason", "应急值守需要", "--approver", "王主任", "--until", until,
                env=env).returncode == 0
    with engine.connect() as conn:
        assert conn.execute(sa.select(schema.findings.c.state).where(schema.findings.c.id == fid)).scalar_one() == "waived"
    shown = _cli("show", "--state", "waived", env=env)
    assert fid in shown.stdout


def test_check_refuses_a_basis_without_kind(tmp_path):
    """`fingertip rules check` refuses a basis whose kind is undeclared, naming file and line."""
    d = tmp_path / "policy"
    shutil.copytree(default_dir(), d)
    articles = d / "articles.yaml"
    text = articles.read_text(encoding="utf-8")
    lines = text.splitlines()
    at = lines.index("  opinions-5:")
    assert lines[at + 1] == "    kind: national_rule"
    articles.write_text("\n".join(lines[:at + 1] + lines[at + 2:]) + "\n", encoding="utf-8")
    proc = _cli("check", env={"FINGERTIP_POLICY_DIR": str(d)})
    assert proc.returncode == 2
    assert f"{articles}:{at + 1}: article 'opinions-5': basis kind undeclared" in proc.stderr
