"""A small governance store written row by row for the console tests (expected values are these rows).

Names carry what a hostile or careless submitter might put in: markup, template syntax, formula
prefixes and a bidi override, so every page and export is checked against them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from fingertip.store import schema

NOW = dt.datetime(2026, 12, 1, 2, 0, 0)  # naive UTC = 10:00 Beijing time
DAY = dt.date(2026, 12, 1)
HOSTILE_APP = '<script>alert("x")</script>{{ 7*7 }}\u202e政务'
FORMULA_TITLE = "=HYPERLINK(\"http://evil\")"
PROV = {"11": "北京市", "44": "广东省"}


def fid(n: int) -> str:
    return hashlib.sha256(f"finding-{n}".encode()).hexdigest()


def _prov(**kw: Any) -> dict[str, Any]:
    return {"source": "console-test", "fetched_at": NOW, "request_fingerprint": "0" * 64, **kw}


#: findings: (n, rule, article, severity, state, division, target key)
FINDINGS = [
    (1, "app.no_complaint_channel", "opinions-7", "high", "open", "110101", "APP-1"),
    (2, "app.no_complaint_channel", "opinions-7", "high", "open", "440103", "APP-2"),
    (3, "app.zombie", "opinions-9", "medium", "acknowledged", "440103", "APP-2"),
    (4, "account.inactive", "opinions-9", "low", "resolved", "110101", "ACC-1"),
    (5, "account.no_interaction", "opinions-9", "low", "open", "440103", "ACC-1"),
    (6, "app.zombie", "opinions-9", "medium", "waived", "110101", "APP-1"),
]


def seed(url: str, outputs: Path) -> dict[str, Any]:
    """Fill a migrated store at ``url``; files under ``outputs`` (the outputs root). Returns ids."""
    from fingertip.store.engine import create_store_engine

    engine = create_store_engine(url)
    case_dir = outputs / "cases" / "CASE-1"
    case_dir.mkdir(parents=True, exist_ok=True)
    ann = case_dir / "announcement.pdf"
    ann.write_bytes(b"%PDF-1.4 test announcement\n")
    (outputs / "reports" / "2026-11").mkdir(parents=True, exist_ok=True)
    (outputs / "reports" / "2026-11" / "report.xlsx").write_bytes(b"PK fake workbook")
    (outputs / "quality" / "data_docs").mkdir(parents=True, exist_ok=True)
    (outputs / "quality" / "data_docs" / "index.html").write_text("<html><body>Data Docs</body></html>")
    (outputs / "quality" / "1").mkdir(parents=True, exist_ok=True)
    (outputs / "quality" / "1" / "rejection.xlsx").write_bytes(b"PK rejection")
    secret = outputs.parent / "secret.txt"
    secret.write_text("top secret")
    with engine.begin() as conn:
        conn.execute(sa.insert(schema.divisions), [
            {"code": "110000", "name": "北京市", "level": "province", "province_code": "110000", "snapshot": "t"},
            {"code": "440000", "name": "广东省", "level": "province", "province_code": "440000", "snapshot": "t"}])
        conn.execute(sa.insert(schema.sponsors), [
            _prov(id=1, credit_code="11100000000000001X", name="北京市某局", division_code="110101",
                  level="provincial", nature="机关"),
            _prov(id=2, credit_code="11440000000000002X", name="广州市某局", division_code="440103",
                  level="prefectural", nature="机关")])
        conn.execute(sa.insert(schema.apps), [
            _prov(id=1, app_key="APP-1", name=HOSTILE_APP, kind="app", sponsor_id=1, division_code="110101"),
            _prov(id=2, app_key="APP-2", name="广州政务通", kind="mini_program", sponsor_id=2, division_code="440103")])
        conn.execute(sa.insert(schema.accounts), [
            _prov(id=1, account_key="ACC-1", platform="weibo", platform_account_id="w1", name="@广州发布",
                  sponsor_id=2, division_code="440103")])
        conn.execute(sa.insert(schema.store_listings), [
            _prov(id=1, store="huawei", store_app_id="com.example.app1", app_id=1, name=HOSTILE_APP, downloads=300,
                  first_seen_at=NOW)])
        conn.execute(sa.insert(schema.listing_snapshots), [
            _prov(listing_id=1, snapshot_date=DAY - dt.timedelta(days=i), present=True, downloads=300 - 10 * i)
            for i in range(5)])
        rows = []
        for n, rule, article, sev, state, div, key in FINDINGS:
            ttype = "account" if key.startswith("ACC") else "app"
            rows.append({"id": fid(n), "rule_id": rule, "target_type": ttype, "target_key": key, "severity": sev,
                         "state": state, "title_zh": FORMULA_TITLE if n == 1 else f"问题{n}：{HOSTILE_APP}",
                         "basis": "《意见》", "article": article, "evidence": {"facts": {"n": n}, "threshold": 30},
                         "check_date": DAY - dt.timedelta(days=n % 3), "division_code": div,
                         "sponsor_id": 1 if div.startswith("11") else 2, "first_seen_at": NOW - dt.timedelta(days=n),
                         "last_seen_at": NOW - dt.timedelta(hours=n), "created_at": NOW, "updated_at": NOW,
                         "acknowledged_by": "someone" if state == "acknowledged" else None,
                         "acknowledged_at": NOW if state == "acknowledged" else None})
        conn.execute(sa.insert(schema.findings), rows)
        conn.execute(sa.insert(schema.waivers), [{"finding_id": fid(6), "reason": "整改中", "approver": "李四",
                                                  "granted_at": NOW, "expires_at": NOW + dt.timedelta(days=30)}])
        conn.execute(sa.insert(schema.inspections), [
            {"check_date": DAY - dt.timedelta(days=d), "target_type": "app", "target_key": f"APP-{i}",
             "division_code": div, "province_code": div[:2] + "0000", "sponsor_id": i, "score": 80,
             "passed": (i + d) % 2 == 0, "outcome": "passed" if (i + d) % 2 == 0 else "failed", "vetoes": [],
             "deductions": {}, "risk_tier": "low"}
            for d in range(3) for i, div in ((1, "110101"), (2, "440103"))] + [
            {"check_date": DAY, "target_type": "account", "target_key": "ACC-1", "division_code": "440103",
             "province_code": "440000", "sponsor_id": 2, "score": 0, "passed": False, "outcome": "no_data",
             "vetoes": [], "deductions": {}, "risk_tier": "low"}])
        conn.execute(sa.insert(schema.shutdown_cases), [
            {"id": 1, "case_key": "CASE-1", "target_type": "app", "target_key": "APP-1", "finding_id": fid(6),
             "state": "proposed", "opened_by": "detector", "reason": HOSTILE_APP, "created_at": NOW,
             "updated_at": NOW, "details": {"approval": {"status": "pending", "run_id": "manual__2026-12-01"}}}])
        conn.execute(sa.insert(schema.case_events), [
            {"case_id": 1, "from_state": None, "to_state": "proposed", "actor": "detector", "occurred_at": NOW}])
        conn.execute(sa.insert(schema.audit_runs), [
            {"id": 1, "run_key": "periodic_report/2026-11", "kind": "periodic", "period_start": dt.date(2026, 11, 1),
             "period_end": dt.date(2026, 11, 30), "status": "succeeded", "started_at": NOW, "finished_at": NOW}])
        conn.execute(sa.insert(schema.documents), [
            {"id": 1, "doc_kind": "announcement", "doc_format": "pdf", "case_id": 1, "audit_run_id": None, "path": ann.as_uri(),
             "sha256": "0" * 64, "size_bytes": ann.stat().st_size, "created_at": NOW},
            {"id": 2, "doc_kind": "report", "doc_format": "txt", "case_id": None, "audit_run_id": 1, "path": secret.as_uri(),
             "sha256": "0" * 64, "size_bytes": 10, "created_at": NOW}])
        conn.execute(sa.insert(schema.import_batches), [
            {"id": 1, "file_name": "=cmd|' /C calc'!A0.xlsx", "checksum": "a" * 64, "submitting_unit": "广州市某局",
             "entity_type": "app", "received_at": NOW, "status": "rejected", "row_count": 3, "good_rows": 1,
             "bad_rows": 2, "message": "两行不合格", "created_at": NOW, "updated_at": NOW}])
        conn.execute(sa.insert(schema.quarantined_rows), [
            {"batch_id": 1, "row_number": r, "column_name": "name", "expectation": "not_null", "raw_value": v,
             "reason_zh": "名称为空", "reason_en": "name is empty", "created_at": NOW}
            for r, v in ((2, ""), (3, "<b>x</b>"))])
    engine.dispose()
    return {"finding_open": fid(2), "finding_waived": fid(6), "finding_formula": fid(1)}
