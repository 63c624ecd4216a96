"""Report files and the report mail: content checked against the store, hostile names escaped,
sent exactly once to a real SMTP server."""

from __future__ import annotations

import json
import zipfile
from email import policy
from email.parser import BytesParser
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.reports.conftest import ATSUM, HOSTILE, HYPERLINK, SCRIPT, file_path, pdf_text, squash

from fingertip.reports.tasks import plan_reports, produce_report, send_report
from fingertip.store import schema


def _spec(**kw):
    params = {"period": "2026Q3", "kind": "quarterly", **kw}
    return plan_reports(__import__("datetime").date(2026, 11, 23), params)[0]


def _docx_text(path) -> str:
    import docx

    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def _files(built) -> dict[str, Path]:
    return {f["doc_format"]: file_path(f["url"]) for f in built["files"]}


def test_plan_reports_params():
    from fingertip.reports.tasks import ReportParamsError

    assert _spec()["key"] == "report:quarterly:2026Q3"
    spec = plan_reports(__import__("datetime").date(2026, 11, 23),
                        {"period": "2026Q3", "kind": "self_inspection", "province": "440000"})[0]
    assert (spec["kind"], spec["province"], spec["key"]) == ("self_inspection", "440000",
                                                             "report:self_inspection:2026Q3:440000")
    with pytest.raises(ReportParamsError, match="需要指定省份"):
        plan_reports(__import__("datetime").date(2026, 11, 23), {"kind": "self_inspection"})
    with pytest.raises(ReportParamsError, match="bad@"):
        plan_reports(__import__("datetime").date(2026, 11, 23), {"period": "2026Q3", "recipients": ["bad@"]})
    with pytest.raises(ReportParamsError, match="unknown format"):
        plan_reports(__import__("datetime").date(2026, 11, 23), {"period": "2026Q3", "formats": ["exe"]})


@pytest.mark.parametrize("params", [{"period": "２０２６Q３"}, {"period": "２０２６"}, {"kind": "self_inspection",
                                    "period": "2026Q3", "province": "４４００００"}])
def test_plan_reports_refuses_full_width(params):
    """Full-width digits in the period or the province code are refused before anything is produced."""
    from fingertip.reports.tasks import ReportParamsError

    with pytest.raises(ReportParamsError):
        plan_reports(__import__("datetime").date(2026, 11, 23), params)


def test_report_files_escape_and_match_store(dataset_engine, outputs):
    built = produce_report(dataset_engine, _spec())
    files = _files(built)
    assert set(files) == {"xlsx", "docx", "pdf", "json", "md", "html"}
    assert files["pdf"].parent == outputs / "reports" / "2026Q3"

    # XLSX: 总表 first, a sheet per topic; hostile names stored as text, no formula anywhere
    import openpyxl

    wb = openpyxl.load_workbook(files["xlsx"])
    assert wb.sheetnames[0] == "总表" and "合格率-按地区" in wb.sheetnames and "重点问题清单" in wb.sheetnames
    cells = {c.value: c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for name in HOSTILE:
        assert name in cells, name
        assert cells[name].data_type == "s"
    with zipfile.ZipFile(files["xlsx"]) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml
    rows = {r[1]: r for r in wb["在册-按地区"].iter_rows(min_row=2, values_only=True)}
    with dataset_engine.connect() as conn:
        gd = conn.execute(sa.select(sa.func.count()).select_from(schema.apps).where(
            schema.apps.c.division_code.like("44%"), schema.apps.c.status != "closed")).scalar_one()
    assert rows["广东省"][2] == gd == 2 and rows["广东省"][5] == 5
    rates = {r[1]: r[5] for r in wb["合格率-按地区"].iter_rows(min_row=2, values_only=True)}
    assert rates == {"北京市": 50.0, "广东省": 75.0}

    # DOCX and PDF: the names as literal text
    text = _docx_text(files["docx"])
    assert "关于2026年第三季度" in text and "合格率" in text
    for name in HOSTILE:
        assert name in text
    ptext = squash(pdf_text(files["pdf"]))
    assert "政务移动互联网应用程序" in ptext and "66.7%" in ptext
    for name in HOSTILE:
        assert squash(name) in ptext, name

    # JSON: valid against the schema, names as data
    doc = json.loads(files["json"].read_text(encoding="utf-8"))
    from fingertip.reports.jsonout import validate_submission

    validate_submission(doc)
    assert doc["schema_version"] == "1.0" and doc["report"]["key"] == "report:quarterly:2026Q3"
    assert doc["figures"]["inspections"]["pass_rate"] == 0.6667
    assert {k["target_name"] for k in doc["figures"]["key_findings"]} >= set(HOSTILE)

    # HTML and Markdown: escaped
    html = files["html"].read_text(encoding="utf-8")
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = files["md"].read_text(encoding="utf-8")
    assert "<script>" not in md

    # audit_runs and documents; a re-run reuses both rows
    with dataset_engine.connect() as conn:
        run = conn.execute(sa.select(schema.audit_runs).where(schema.audit_runs.c.run_key == "report:quarterly:2026Q3")).one()
        docs = conn.execute(sa.select(schema.documents.c.doc_format).where(schema.documents.c.audit_run_id == run.id)).scalars().all()
    assert (run.kind, run.status, str(run.period_start), str(run.period_end)) == (
        "periodic", "succeeded", "2026-07-01", "2026-09-30")
    assert sorted(docs) == ["docx", "html", "json", "md", "pdf", "xlsx"]
    again = produce_report(dataset_engine, _spec())
    assert again["audit_run_id"] == built["audit_run_id"]
    with dataset_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.documents)).scalar_one() == 6
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.audit_runs)).scalar_one() == 1


def test_self_inspection_title_and_scope(dataset_engine, outputs):
    spec = plan_reports(__import__("datetime").date(2026, 11, 23),
                        {"period": "2026Q3", "kind": "self_inspection", "province": "440000", "formats": ["docx", "json"]})[0]
    built = produce_report(dataset_engine, spec)
    files = _files(built)
    assert set(files) == {"docx", "json"}
    assert files["docx"].parent == outputs / "reports" / "2026Q3" / "440000"
    text = _docx_text(files["docx"])
    assert "广东省2026年第三季度政务移动互联网应用程序和公众账号治理自查自评报告" in squash(text)
    doc = json.loads(files["json"].read_text(encoding="utf-8"))
    assert doc["report"]["kind"] == "self_inspection" and doc["figures"]["inventory"]["totals"]["all"] == 5
    assert HYPERLINK not in json.dumps(doc, ensure_ascii=False)  # Beijing's app is out of scope
    with dataset_engine.connect() as conn:
        assert conn.execute(sa.select(schema.audit_runs.c.kind)).scalar_one() == "self_inspection"


def test_annual_report_due_date(dataset_engine, outputs):
    spec = plan_reports(__import__("datetime").date(2027, 1, 1), {"period": "2026", "formats": ["json"]})[0]
    built = produce_report(dataset_engine, spec)
    doc = json.loads(_files(built)["json"].read_text(encoding="utf-8"))
    assert doc["report"]["due_date"] == "2027-01-31" and doc["report"]["kind"] == "annual"
    assert "2027年1月31日" in built["meta"]["subtitle"]


def test_mail_sent_exactly_once_with_attachments(dataset_engine, outputs, smtp_server):
    recipients = ["central@cac.example.gov.cn", "张三 <zhang@cac.example.gov.cn>"]
    built = produce_report(dataset_engine, _spec())
    first = send_report(dataset_engine, built, recipients=recipients, smtp_conn_id="smtp_test")
    assert first["delivery"]["sent"] == 2
    # a retry / re-run of the task: the ledger sends nothing again
    second = send_report(dataset_engine, built, recipients=recipients, smtp_conn_id="smtp_test")
    assert second["delivery"]["sent"] == 0 and second["delivery"]["already_sent"] == 2
    assert sorted(r for m in smtp_server.messages for r in m["to"]) == ["central@cac.example.gov.cn",
                                                                       "zhang@cac.example.gov.cn"]
    assert len(smtp_server.messages) == 2

    msg = BytesParser(policy=policy.default).parsebytes(smtp_server.messages[0]["data"])
    assert msg["Subject"] == "【指尖治理】关于2026年第三季度政务移动互联网应用程序和公众账号治理情况的报告"
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert SCRIPT not in html and "&lt;script&gt;" in html
    text = msg.get_body(preferencelist=("plain",)).get_content()
    assert "66.7%" in text
    cids = {p["Content-ID"].strip("<>") for p in msg.walk() if p["Content-ID"]}
    assert {"inventory-by-province", "pass-rate-by-province", "findings-by-article"} <= cids
    for cid in cids:
        assert f"cid:{cid}" in html
    attachments = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
    assert set(attachments) == {"report_quarterly_2026Q3.xlsx", "report_quarterly_2026Q3.docx",
                                "report_quarterly_2026Q3.pdf"}

    import docx
    import openpyxl

    wb = openpyxl.load_workbook(BytesIO(attachments["report_quarterly_2026Q3.xlsx"]))
    with dataset_engine.connect() as conn:
        open_findings = conn.execute(sa.select(sa.func.count()).select_from(schema.findings).where(
            schema.findings.c.state.in_(["open", "acknowledged"]))).scalar_one()
    by_article = list(wb["问题-按条款"].iter_rows(min_row=2, values_only=True))
    assert sum(r[2] for r in by_article) == open_findings == 4
    d = docx.Document(BytesIO(attachments["report_quarterly_2026Q3.docx"]))
    assert any(ATSUM in c.text for t in d.tables for row in t.rows for c in row.cells)
    pdf_path = outputs / "attached.pdf"
    pdf_path.write_bytes(attachments["report_quarterly_2026Q3.pdf"])
    ptext = squash(pdf_text(pdf_path))
    assert "合格率66.7%" in ptext and squash(SCRIPT) in ptext
