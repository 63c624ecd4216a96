"""Task bodies of ``periodic_report`` and ``adhoc_audit`` (also used by the CLI and the demo).

Periodic report::

    specs = plan_reports(run_date, params)                 # which reports are due / asked for
    built = produce_report(engine, spec)                   # figures, charts, files, audit_runs, documents
    sent = send_report(engine, built)                      # mail, exactly once per report and recipient

Ad-hoc audit::

    request = validate_audit(engine, params)               # everything checked first (AuditParamsError)
    built = produce_audit(engine, request, run_key=...)    # detect(persist=False), files, audit_runs
    sent = send_report(engine, built)

Files land under ``output_path("reports", <period>[, <province>])`` and
``output_path("audits", <run>)``; the figures travel between tasks in the report's JSON file, the
task results (XCom) carry only keys and URLs under the outputs location (never a local path: ``send``
may run in another process or on another worker and reads every file through ``ObjectStoragePath``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from fingertip import config
from fingertip.reports import labels
from fingertip.reports.jsonout import read_submission
from fingertip.reports.model import (
    AnyFigures,
    AuditInfo,
    BuiltReport,
    ChartInfo,
    ChartRef,
    FileInfo,
    ReportFigures,
    ReportMeta,
    ReportSpec,
    SentReport,
    SubmissionReport,
    is_audit,
)
from fingertip.reports.periods import KINDS, REPORT_KINDS, PeriodError, due_date, due_reports, parse_period
from fingertip.reports.settings import FORMATS, default_recipients, load_settings, parse_recipients
from fingertip.store import schema

log = logging.getLogger(__name__)



class ReportParamsError(ValueError):
    """Bad periodic-report parameters (Chinese and English message)."""


# --- audit_runs ---------------------------------------------------------------------------------

def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def start_run(engine: sa.Engine, *, run_key: str, kind: str, period_start: dt.date | None = None,
              period_end: dt.date | None = None, params: dict | None = None, sample_rate: float | None = None,
              sample_seed: int | None = None) -> int:
    """Create (or, on a re-run, reset) the ``audit_runs`` row of ``run_key``; returns its id."""
    t = schema.audit_runs
    values = {"kind": kind, "period_start": period_start, "period_end": period_end, "params": params,
              "sample_rate": sample_rate, "sample_seed": sample_seed, "status": "running", "summary": None,
              "started_at": _now(), "finished_at": None}
    with engine.begin() as conn:
        rid = conn.execute(sa.select(t.c.id).where(t.c.run_key == run_key)).scalar_one_or_none()
        if rid is None:
            rid = conn.execute(t.insert().values(run_key=run_key, **values).returning(t.c.id)).scalar_one()
        else:
            conn.execute(t.update().where(t.c.id == rid).values(**values))
    return int(rid)


def finish_run(engine: sa.Engine, run_id: int, *, status: str, summary: dict | None) -> None:
    with engine.begin() as conn:
        conn.execute(schema.audit_runs.update().where(schema.audit_runs.c.id == run_id)
                     .values(status=status, summary=summary, finished_at=_now()))


# --- planning -----------------------------------------------------------------------------------

def report_key(kind: str, period_label: str, province: str | None = None) -> str:
    return f"report:{kind}:{period_label}" + (f":{province}" if province else "")


def _formats(value: Any, default: list[str]) -> list[str]:
    formats = [f for f in (value or default)]
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ReportParamsError(f"未知输出格式 {bad} / unknown format(s) {bad} (allowed: {', '.join(FORMATS)})")
    return formats


def plan_reports(run_date: dt.date, params: dict | None = None) -> list[ReportSpec]:
    """Report specs for a run: the params' report when ``period`` or ``kind`` is given, else the
    reports the settings' cadences make due on ``run_date`` (previous month / quarter / year)."""
    params = params or {}
    settings = load_settings()
    formats = _formats(params.get("formats"), settings["formats"])
    recipients = parse_recipients(params.get("recipients"))
    if recipients:  # checked before anything is produced
        from fingertip.notifications.message import validate_addresses

        try:
            recipients = validate_addresses(recipients)
        except ValueError as exc:
            raise ReportParamsError(str(exc)) from exc
    province = params.get("province") or None
    kind = params.get("kind") or None
    if kind is not None and kind not in REPORT_KINDS:
        raise ReportParamsError(f"未知报告类型 {kind!r} / unknown report kind {kind!r} ({', '.join(REPORT_KINDS)})")
    if province is not None and not re.fullmatch(r"[0-9]{2}0000", str(province), re.ASCII):
        raise ReportParamsError(f"省级行政区划代码 {province!r} 无效 / province must be a PP0000 division code")
    if kind == "self_inspection" and not province:
        raise ReportParamsError("自查自评报告需要指定省份（province）/ a self_inspection report needs a province")
    if params.get("period") or kind:
        if params.get("period"):
            try:
                period = parse_period(params["period"], kind if kind in KINDS else None)
            except PeriodError as exc:
                raise ReportParamsError(str(exc)) from exc
        else:
            from fingertip.reports.periods import previous_period

            period = previous_period(kind if kind in KINDS else "quarterly", run_date)
        kind = kind or ("self_inspection" if province else period.kind)
        periods = [(kind, period)]
    else:
        periods = [(p.kind, p) for p in due_reports(run_date, settings["cadences"])]
    return [{"kind": k, "period": p.label, "province": province if k == "self_inspection" else None,
             "recipients": recipients, "formats": formats,
             "key": report_key(k, p.label, province if k == "self_inspection" else None)}
            for k, p in periods]


# --- producing ----------------------------------------------------------------------------------

def _beijing_today() -> dt.date:
    import zoneinfo

    from fingertip.runtime import TIMEZONE

    return dt.datetime.now(zoneinfo.ZoneInfo(TIMEZONE)).date()


def report_meta(spec: ReportSpec, figures: ReportFigures, settings: dict) -> ReportMeta:
    period = parse_period(spec["period"])
    kind = spec["kind"]
    province_name = figures["province_name"]
    scope_zh = province_name or "全国"
    if kind == "self_inspection":
        title = f"{province_name}{period.label_zh}政务移动互联网应用程序和公众账号治理自查自评报告"
        issuer = f"{province_name}网信办"
        subtitle = "（自查自评）"
    else:
        title = f"关于{period.label_zh}政务移动互联网应用程序和公众账号治理情况的报告"
        issuer = settings["issuer"]
        subtitle = f"（{period.kind_zh}报告）"
    due = due_date(period) if kind == "annual" else None
    if due:
        subtitle = f"（{period.kind_zh}报告，报送截止日期：{due.year}年{due.month}月{due.day}日）"
    today = _beijing_today()
    return {
        "key": spec["key"], "kind": kind, "kind_zh": labels.REPORT_KINDS.get(kind, kind), "title": title,
        "subtitle": subtitle, "issuer": issuer, "addressee": "中央网信办：", "doc_date": today.isoformat(),
        "period": period.to_dict(), "period_label_zh": period.label_zh, "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(), "scope_zh": scope_zh, "province": spec.get("province"),
        "due_date": due.isoformat() if due else None,
        "generated_at": dt.datetime.now(ZoneInfo(config.timezone())).replace(microsecond=0).isoformat(),
        "subject": f"【指尖治理】{title}",
        "lead": f"现将{scope_zh}{period.label_zh}（{period.start}至{period.end}）政务应用程序、公众账号和工作群组"
                f"治理情况报送如下，详见附件。",
        "attachments_note": ["一张表（XLSX）"],
    }


def _stem(spec: ReportSpec) -> str:
    province = spec["province"]
    parts = [spec["kind"], spec["period"]] + ([province] if province else [])
    return "report_" + "_".join(parts)


def _write_outputs(folder, stem: str, meta: ReportMeta, figures: AnyFigures, blocks, sheets, front_extra, formats,
                   report_json: SubmissionReport) -> tuple[list, Path]:
    """Charts are already in ``figures``' folder; writes xlsx/docx/pdf/md/json in the folder's local
    work folder. Returns the files to record (local paths) and the JSON's local path."""
    from fingertip.reports import document, jsonout, workbook
    from fingertip.reports.outputs import written_document

    local = folder.local
    written = []
    if "xlsx" in formats:
        path = workbook.write_report_workbook(local / f"{stem}.xlsx", meta, figures, front_extra, sheets)
        written.append(written_document("report", "xlsx", path))
    written += document.write_documents(meta, blocks, local, stem, formats)
    # the JSON is always written: it is the hand-off of the figures to the mail task
    json_path = jsonout.write_submission(local / f"{stem}.json", report_json, figures)
    if "json" in formats:
        written.append(written_document("report", "json", json_path))
    return written, json_path


def _attachment_names(written: list) -> list[str]:
    from fingertip.reports.email import ATTACH_FORMATS

    return [Path(w.path).name for w in written if w.doc_format in ATTACH_FORMATS]


def _write_html(folder, stem: str, email_html: str, formats) -> list:
    from fingertip.reports.outputs import written_document

    if "html" not in formats:
        return []
    path = folder.local / f"{stem}.html"
    path.write_text(email_html, encoding="utf-8")
    return [written_document("report", "html", path)]


def _publish(engine, folder, written: list, charts: list[ChartInfo], json_path: Path,
             audit_run_id: int) -> tuple[list[FileInfo], list[ChartRef], str]:
    """Copy the files and charts to the outputs location (remote only), record the files in
    ``documents``; returns what the mail task gets: the files, charts and JSON by URL."""
    from fingertip.reports.outputs import record_documents

    published = folder.publish(written)
    record_documents(engine, published, audit_run_id=audit_run_id)
    files: list[FileInfo] = [{"doc_format": p.doc_format, "name": Path(w.path).name, "url": p.path,
                              "sha256": p.sha256, "size_bytes": p.size_bytes} for w, p in zip(written, published, strict=True)]
    chart_refs: list[ChartRef] = [{"name": c["name"], "title_zh": c["title_zh"], "url": folder.publish_file(c["path"])}
                                  for c in charts]
    by_local = {w.path: p.path for w, p in zip(written, published, strict=True)}
    json_url = by_local.get(str(json_path)) or folder.publish_file(json_path)
    return files, chart_refs, json_url


def produce_report(engine: sa.Engine, spec: ReportSpec, *, run_key: str | None = None,
                   timings: dict | None = None) -> BuiltReport:
    """Figures, charts and files of one periodic / self-inspection report; records the run.

    ``timings`` (optional dict) receives the seconds spent on figures, charts and documents.
    """
    import time

    timings = {} if timings is None else timings
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(timings.get(name, 0.0) + now - clock, 3)
        clock = now

    from fingertip.reports import charts as charts_mod
    from fingertip.reports import document
    from fingertip.reports.figures import compute_figures
    from fingertip.reports.outputs import ReportFolder

    settings = load_settings()
    period = parse_period(spec["period"])
    run_key = run_key or spec["key"]
    run_id = start_run(engine, run_key=run_key, kind="self_inspection" if spec["kind"] == "self_inspection" else "periodic",
                       period_start=period.start, period_end=period.end, params=dict(spec))
    try:
        figures = compute_figures(engine, period, province=spec.get("province"),
                                  document_rows=settings["document_rows"],
                                  key_findings_limit=settings["key_findings_limit"])
        lap("figures")
        meta = report_meta(spec, figures, settings)
        province = spec["province"]
        folder = ReportFolder("reports", period.label, *([province] if province else []))
        stem = _stem(spec)
        try:
            charts: list[ChartInfo] = [c.to_dict() for c in charts_mod.report_charts(figures,
                                                                                      folder.local / f"{stem}_charts")]
            lap("charts")
            blocks = document.report_blocks(meta, figures, charts, rows=settings["document_rows"])
            report_json: SubmissionReport = {
                "key": spec["key"], "kind": spec["kind"], "title": meta["title"], "issuer": meta["issuer"],
                "generated_at": meta["generated_at"], "period": meta["period"], "due_date": meta.get("due_date"),
                "scope": {"province": spec.get("province"), "province_name": figures["province_name"]},
                "sampling": None, "audit_run_id": run_id}
            written, json_path = _write_outputs(folder, stem, meta, figures, blocks, None, [], spec["formats"],
                                                report_json)
            email_html = _email_html(meta, figures, charts, _attachment_names(written))
            written += _write_html(folder, stem, email_html, spec["formats"])
            files, chart_refs, json_url = _publish(engine, folder, written, charts, json_path, run_id)
        finally:
            folder.cleanup()
        lap("documents")
        summary = {"key_figures": dict(document.key_figures(figures)), "files": [f["url"] for f in files],
                   "findings_open": figures["findings"]["open_total"],
                   "pass_rate": figures["inspections"]["pass_rate"]}
        finish_run(engine, run_id, status="succeeded", summary=summary)
    except BaseException as exc:
        finish_run(engine, run_id, status="failed", summary={"error": f"{type(exc).__name__}: {exc}"[:2000]})
        raise
    return {"key": spec["key"], "kind": spec["kind"], "audit_run_id": run_id, "mail_kind": "report",
            "json_url": json_url, "meta": meta, "charts": chart_refs, "files": files,
            "recipients": spec.get("recipients") or [], "audit": None}


def _email_html(meta: ReportMeta, figures: AnyFigures, charts: list[ChartInfo], attachments: list[str],
                audit: AuditInfo | None = None) -> str:
    from fingertip.notifications import templates
    from fingertip.reports.email import email_context, email_template

    kf = _key_figures(figures, audit)
    return templates.render(f"{email_template(audit)}.html.j2",
                            **email_context(meta, figures, kf, charts, attachments, audit=audit))


def _key_figures(figures: AnyFigures, audit: AuditInfo | None) -> list[tuple[str, str]]:
    from fingertip.reports import document

    return document.audit_key_figures(figures, audit) if is_audit(figures) else document.key_figures(figures)


# --- sending ------------------------------------------------------------------------------------

def send_report(engine: sa.Engine, built: BuiltReport, *, recipients: list[str] | None = None,
                smtp_conn_id: str = "smtp_default") -> SentReport:
    """Mail a produced report or audit to its recipients, exactly once per report and recipient."""
    from fingertip.notifications.message import validate_addresses
    from fingertip.reports.email import build_email, send_report_email

    recipients = validate_addresses(recipients or built.get("recipients") or default_recipients())
    if not recipients:
        log.warning("report %s: no recipients (param, Variable or settings); nothing sent", built["key"])
        return {"key": built["key"], "recipients": [], "delivery": None}
    from fingertip.reports.outputs import require_url

    # everything comes by URL from the outputs location: this task may run in another process or worker
    figures = read_submission(require_url(built["json_url"], what="the report's JSON"))["figures"]
    email, _ = build_email(built["meta"], figures, _key_figures(figures, built.get("audit")), built["charts"],
                           built["files"], recipients, audit=built.get("audit"))
    report = send_report_email(engine, key=built["key"], email=email, kind=built.get("mail_kind", "report"),
                               audit_run_id=built["audit_run_id"], smtp_conn_id=smtp_conn_id)
    return {"key": built["key"], "recipients": recipients, "delivery": report}


# --- ad-hoc audit -------------------------------------------------------------------------------

def validate_audit(engine: sa.Engine, params: dict) -> dict:
    """Check the audit params (raises ``AuditParamsError`` listing every problem)."""
    from fingertip.reports.audit import validate_request

    clean = {k: v for k, v in (params or {}).items() if v is not None and v != [] and v != ""}
    return validate_request(engine, clean, default_recipients=default_recipients()).to_dict()


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:120] or "audit"


def produce_audit(engine: sa.Engine, request: dict, *, run_key: str) -> BuiltReport:
    """Run the rules on the request's scope (``persist=False``), write the audit report, record it."""
    from fingertip.reports import charts as charts_mod
    from fingertip.reports import document, workbook
    from fingertip.reports.audit import AuditRequest, audit_figures, run_detection
    from fingertip.reports.outputs import ReportFolder

    req = AuditRequest.from_dict(request)
    settings = load_settings()
    run_id = start_run(engine, run_key=run_key, kind="adhoc", params=req.to_dict(),
                       sample_rate=req.sample_rate, sample_seed=req.sample_seed)
    try:
        result = run_detection(engine, req)
        figures = audit_figures(engine, result)
        audit: AuditInfo = {"scope_zh": req.scope_zh(), "sampling_zh": req.sampling_zh(result.sample_weights),
                 "sample_rate": req.sample_rate,
                 "sample_seed": req.sample_seed, "families": req.families}
        today = _beijing_today()
        title = req.title or "政务移动互联网应用程序和公众账号专项核查报告"
        meta: ReportMeta = {"key": f"audit:{run_key}", "kind": "adhoc", "kind_zh": "专项核查", "title": title,
                "subtitle": "（专项核查）", "issuer": settings["issuer"], "addressee": None,
                "doc_date": today.isoformat(), "period": None, "period_label_zh": today.isoformat(),
                "period_start": today.isoformat(), "period_end": today.isoformat(), "scope_zh": audit["scope_zh"],
                "generated_at": dt.datetime.now(ZoneInfo(config.timezone())).replace(microsecond=0).isoformat(),
                "subject": f"【指尖治理】{title}（{today.isoformat()}）",
                "lead": f"按要求对以下范围开展了专项核查：{audit['scope_zh']}。{audit['sampling_zh']}。结果如下，详见附件。",
                "attachments_note": ["核查一张表（XLSX）"]}
        folder = ReportFolder("audits", _safe(run_key))
        stem = "audit_" + today.strftime("%Y%m%d")
        try:
            charts: list[ChartInfo] = [c.to_dict() for c in charts_mod.report_charts(figures,
                                                                                      folder.local / f"{stem}_charts")]
            blocks = document.audit_blocks(meta, figures, charts, audit, rows=settings["document_rows"])
            report_json: SubmissionReport = {
                "key": meta["key"], "kind": "adhoc", "title": title, "issuer": meta["issuer"],
                "generated_at": meta["generated_at"], "period": None, "due_date": None,
                "scope": {k: v for k, v in req.to_dict().items()
                          if k not in ("recipients", "formats", "sample_rate", "sample_seed", "title")},
                "sampling": {"rate": req.sample_rate, "seed": req.sample_seed,
                             **({"weights": result.sample_weights} if result.sample_weights else {})},
                "audit_run_id": run_id}
            front = [("核查范围", audit["scope_zh"]), ("抽样", audit["sampling_zh"])]
            written, json_path = _write_outputs(folder, stem, meta, figures, blocks,
                                                workbook.audit_sheets(figures), front, req.formats, report_json)
            html = _email_html(meta, figures, charts, _attachment_names(written), audit)
            written += _write_html(folder, stem, html, req.formats)
            files, chart_refs, json_url = _publish(engine, folder, written, charts, json_path, run_id)
        finally:
            folder.cleanup()
        summary = {"findings": figures["findings"]["total"], "checked": figures["checked"],
                   "pass_rate": figures["inspections"]["pass_rate"], "sampling": figures["sampling"],
                   "files": [f["url"] for f in files]}
        finish_run(engine, run_id, status="succeeded", summary=summary)
    except BaseException as exc:
        finish_run(engine, run_id, status="failed", summary={"error": f"{type(exc).__name__}: {exc}"[:2000]})
        raise
    return {"key": meta["key"], "kind": "adhoc", "audit_run_id": run_id, "mail_kind": "audit",
            "json_url": json_url, "meta": meta, "charts": chart_refs, "files": files,
            "recipients": req.recipients, "audit": audit}
