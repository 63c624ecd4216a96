"""``produce`` → ``send`` hands over URLs under the outputs location only, never a local path.

Two set-ups where a local path would break the mail task:

* outputs on a non-local fsspec file system (``memory://``, in one process as fsspec's memory file
  system is per process): the producing task's local work folder is gone when ``send`` runs;
* produce and send in two processes, the outputs a ``file://`` URL through a symbolic link (as a
  shared mount may be): the sender gets only the JSON of the task result, has its own (absent) outputs
  folder and temporary folder, and must find every file by the URLs it was handed.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.conftest import ROOT
from tests.reports.conftest import SCRIPT

from fingertip.reports.tasks import plan_reports, produce_report, send_report
from fingertip.store import schema

ATTACHED = {"report_quarterly_2026Q3.xlsx", "report_quarterly_2026Q3.docx", "report_quarterly_2026Q3.pdf"}
CHART_CIDS = {"inventory-by-province", "pass-rate-by-province", "findings-by-article"}


def _spec():
    import datetime as dt

    return plan_reports(dt.date(2026, 11, 23), {"period": "2026Q3", "kind": "quarterly"})[0]


def _strings(value, where="$"):
    """Every string in a task result, with where it is."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _strings(v, f"{where}[{i}]")
    elif isinstance(value, str):
        yield where, value


def _handed_over_urls(built: dict) -> list[str]:
    return [built["json_url"], *(f["url"] for f in built["files"]), *(c["url"] for c in built["charts"])]


def _assert_no_local_path(built: dict, local_roots: list[Path]) -> None:
    for where, text in _strings(built):
        assert not text.startswith("/"), f"{where} is a local path: {text!r}"
        for root in local_roots:
            assert str(root) not in text or text.startswith("file://"), f"{where} names {root}: {text!r}"


def _mail_parts(smtp_server) -> tuple[dict[str, bytes], set[str], str]:
    msg = BytesParser(policy=policy.default).parsebytes(smtp_server.messages[0]["data"])
    attachments = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
    cids = {p["Content-ID"].strip("<>") for p in msg.walk() if p["Content-ID"]}
    return attachments, cids, msg.get_body(preferencelist=("html",)).get_content()


@pytest.fixture
def memory_outputs(monkeypatch, tmp_path):
    """Outputs on fsspec's memory file system; report work folders in a temporary folder of the test.

    No provider registers ``memory://`` with Airflow: it is attached the way a deployment attaches a
    file system of its own (``airflow.sdk.io.attach``)."""
    import tempfile

    import fsspec
    from airflow.sdk.io import attach

    attach(protocol="memory", fs=fsspec.filesystem("memory"))

    root = f"memory://fingertip-handoff-{uuid.uuid4().hex[:8]}/out"
    monkeypatch.setenv("FINGERTIP_OUTPUT_URL", root)
    work = tmp_path / "worker-tmp"
    work.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(work))
    try:
        yield root, work
    finally:
        fs = fsspec.filesystem("memory")
        bucket = root.removeprefix("memory://").split("/")[0]
        if fs.exists(f"/{bucket}"):
            fs.rm(f"/{bucket}", recursive=True)


def test_memory_outputs_send_reads_every_file_by_url(dataset_engine, memory_outputs, smtp_server):
    from airflow.sdk import ObjectStoragePath

    root, work = memory_outputs
    built = produce_report(dataset_engine, _spec())

    # the task result is JSON (an XCom) holding URLs under the outputs location, no local path
    built = json.loads(json.dumps(built))
    urls = _handed_over_urls(built)
    assert urls and all(u.startswith(root + "/reports/2026Q3/") for u in urls), urls
    _assert_no_local_path(built, [work])
    assert {c["name"].replace("_", "-") for c in built["charts"]} >= CHART_CIDS
    # the producing task's local work folder is gone: only the outputs location holds the files
    assert list(work.iterdir()) == []
    for f in built["files"]:
        data = ObjectStoragePath(f["url"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["size_bytes"]
    with dataset_engine.connect() as conn:
        paths = conn.execute(sa.select(schema.documents.c.path)).scalars().all()
    assert sorted(paths) == sorted(f["url"] for f in built["files"])

    sent = send_report(dataset_engine, built, recipients=["central@cac.example.gov.cn"], smtp_conn_id="smtp_test")
    assert sent["delivery"]["sent"] == 1
    attachments, cids, html = _mail_parts(smtp_server)
    assert set(attachments) == ATTACHED
    for f in built["files"]:
        if f["name"] in attachments:
            assert attachments[f["name"]] == ObjectStoragePath(f["url"]).read_bytes()
    assert CHART_CIDS <= cids and SCRIPT not in html


def test_send_refuses_a_local_path(dataset_engine, memory_outputs):
    built = produce_report(dataset_engine, {**_spec(), "formats": ["json"]})
    with pytest.raises(ValueError, match="never a local path"):
        send_report(dataset_engine, {**built, "json_url": "/tmp/report.json"}, recipients=["a@cac.example.gov.cn"])
    local_chart = {**built["charts"][0], "url": "/tmp/chart.png"}
    with pytest.raises(ValueError, match="never a local path"):
        send_report(dataset_engine, {**built, "charts": [local_chart]}, recipients=["a@cac.example.gov.cn"])


_PRODUCE = """
import json, sys
import datetime as dt
from fingertip.reports.tasks import plan_reports, produce_report
from fingertip.runtime import store_engine

spec = plan_reports(dt.date(2026, 11, 23), {"period": "2026Q3", "kind": "quarterly"})[0]
print(json.dumps(produce_report(store_engine(), spec)))
"""

_SEND = """
import json, sys
from fingertip.reports.tasks import send_report
from fingertip.runtime import store_engine

built = json.loads(sys.stdin.read())
print(json.dumps(send_report(store_engine(), built, recipients=["central@cac.example.gov.cn"],
                             smtp_conn_id="smtp_test")))
"""


def _run(code: str, env: dict, cwd: Path, stdin: str | None = None) -> str:
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, input=stdin, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout.strip().splitlines()[-1]


def test_produce_and_send_in_two_processes_share_only_urls(sqlite_url, tmp_path, smtp_server):
    from tests.reports.conftest import load_dataset

    from fingertip.store import migrate
    from fingertip.store.engine import create_store_engine

    migrate.upgrade(sqlite_url)
    engine = create_store_engine(sqlite_url)
    load_dataset(engine)

    shared = tmp_path / "shared"       # the storage both "workers" see
    shared.mkdir()
    mount = tmp_path / "mnt-producer"  # how the producer reaches it: a symbolic link, as a mount may be
    mount.symlink_to(shared, target_is_directory=True)
    producer_out = mount / "out"       # created by the producer, not by the test or the sender
    base = {k: v for k, v in os.environ.items() if not k.startswith("FINGERTIP_")}
    base.update({"FINGERTIP_STORE_URL": sqlite_url, "FINGERTIP_HOME": str(ROOT),
                 "PYTHONPATH": f"{ROOT / 'plugins'}:{ROOT}", "AIRFLOW_CONN_SMTP_TEST": smtp_server.conn_json})
    producer_tmp, sender_tmp, sender_out = tmp_path / "p-tmp", tmp_path / "s-tmp", tmp_path / "sender" / "out"
    producer_tmp.mkdir()
    sender_tmp.mkdir()
    producer_cwd, sender_cwd = tmp_path / "p-cwd", tmp_path / "s-cwd"
    producer_cwd.mkdir()
    sender_cwd.mkdir()

    out = _run(_PRODUCE, {**base, "FINGERTIP_OUTPUT_URL": f"file://{producer_out}", "TMPDIR": str(producer_tmp)},
               producer_cwd)
    built = json.loads(out)
    urls = _handed_over_urls(built)
    # under the producer's configured outputs URL (not its resolved folder), and nothing local besides
    assert all(u.startswith(f"file://{producer_out}/reports/2026Q3/") for u in urls), urls
    _assert_no_local_path(built, [producer_tmp, producer_cwd, shared])
    assert (shared / "out" / "reports" / "2026Q3" / "report_quarterly_2026Q3.pdf").is_file()

    # the sender: another process, another cwd and temporary folder, outputs configured elsewhere
    sent = json.loads(_run(_SEND, {**base, "FINGERTIP_OUTPUT_URL": f"file://{sender_out}", "TMPDIR": str(sender_tmp)},
                           sender_cwd, stdin=out))
    assert sent["delivery"]["sent"] == 1
    assert not sender_out.exists() and list(sender_tmp.iterdir()) == []  # it wrote nothing of its own
    attachments, cids, html = _mail_parts(smtp_server)
    assert set(attachments) == ATTACHED
    for name, data in attachments.items():
        assert data == (shared / "out" / "reports" / "2026Q3" / name).read_bytes()
    assert CHART_CIDS <= cids and SCRIPT not in html
    engine.dispose()
