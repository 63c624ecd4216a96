"""The report / audit mail: key figures, charts inline (``cid:``), the files attached.

Rendered with the mail layer's templates (``fingertip/resources/templates/email/report_periodic.*.j2`` and
``audit_report.*.j2``, extending its ``base`` layouts; HTML autoescaped) and sent through its
ledger: ``ledger.send_once(engine, key=..., email=...)`` keeps one row per report and recipient, so
retries and re-runs never send twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fingertip.reports.model import (
    AnyFigures,
    AuditFigures,
    AuditInfo,
    ChartInfo,
    ChartRef,
    FileInfo,
    ReportMeta,
    is_audit,
)

EMAIL_KEY_FINDINGS = 10
ATTACH_FORMATS = ("xlsx", "docx", "pdf")


def _cid(name: str) -> str:
    return name.replace("_", "-")


def email_template(audit: AuditInfo | None) -> str:
    return "audit_summary" if audit else "report_summary"


def email_context(meta: ReportMeta, figures: AnyFigures, key_figures: list[tuple[str, str]],
                  charts: Sequence[ChartInfo] | Sequence[ChartRef], attachments: Sequence[str], *,
                  audit: AuditInfo | None = None) -> dict[str, Any]:
    """Context of the mail layer's ``report_summary`` / ``audit_summary`` templates."""
    common = {
        "title": meta["title"],
        "generated_at": meta["generated_at"],
        "key_figures": [{"label": k, "value": v} for k, v in key_figures],
        "charts": [{"cid": _cid(c["name"]), "caption": c["title_zh"]} for c in charts],
        "attachments": list(attachments),
        "summary": meta["lead"],
    }
    if is_audit(figures):
        return {**common, **_audit_context(figures, audit)}
    items = figures["key_findings"]
    highlights = [f"{f['target_type_zh']}“{f['target_name']}”（{f['province_name']}）：{f['title_zh']}"
                  f"【{f['severity_zh']}，{f['article_label']}】" for f in items[:EMAIL_KEY_FINDINGS]]
    total = figures["findings"]["open_total"]
    if total > len(highlights):
        highlights.append(f"另有 {total - len(highlights):,} 个未整改问题，见附件一张表。")
    return {**common, "period_label": f"{meta['period_label_zh']}，{meta['scope_zh']}",
            "greeting": meta.get("greeting") or "各位领导、同事", "highlights": highlights}


def _audit_context(figures: AuditFigures, audit: AuditInfo | None) -> dict[str, Any]:
    from fingertip.reports.audit import families

    fam = families()
    rate = audit["sample_rate"] if audit else None
    return {"scope": [audit["scope_zh"]] if audit else [],
            "rule_families": [fam.get(f, f) for f in (audit["families"] if audit else [])] or ["全部规则类别"],
            "sampling": {"rate": rate, "seed": audit["sample_seed"] if audit else None}
            if rate is not None and rate < 1 else None,
            "findings": [{"title": f["title_zh"], "severity": f["severity"], "target_type": f["target_type"],
                          "target_name": f["target_name"], "basis": f["basis"] or f["article_label"]}
                         for f in figures["key_findings"][:EMAIL_KEY_FINDINGS]],
            "total_findings": figures["findings"]["total"]}


def build_email(meta: ReportMeta, figures: AnyFigures, key_figures: list[tuple[str, str]],
                charts: Sequence[ChartRef], files: Sequence[FileInfo], recipients: Sequence[str], *,
                audit: AuditInfo | None = None):
    """The ``Email`` of a report and its HTML. ``files`` and ``charts`` name their files by URL under the
    outputs location (``url``); the attachments and inline images are read from there when the mail is
    built (``read_location``: ``file://``, ``s3://``, …), and the ledger keeps those URLs for a resend."""
    from fingertip.notifications import templates
    from fingertip.notifications.message import Attachment, Email, InlineImage
    from fingertip.reports.outputs import require_url

    attach = [f for f in files if f["doc_format"] in ATTACH_FORMATS]
    names = [f["name"] for f in attach]
    ctx = email_context(meta, figures, key_figures, charts, names, audit=audit)
    text, html = templates.render_pair(email_template(audit), **ctx)
    return Email(
        subject=meta["subject"], to=list(recipients), text=text, html=html,
        attachments=[Attachment(filename=f["name"], path=require_url(f["url"], what=f"attachment {f['name']!r}"))
                     for f in attach],
        inline_images=[InlineImage(cid=_cid(c["name"]), path=require_url(c["url"], what=f"chart {c['name']!r}"))
                       for c in charts],
    ), html


class MailNotDelivered(RuntimeError):
    """Some recipients could not be served yet (the task retries; the ledger never sends twice)."""


def send_report_email(engine, *, key: str, email, kind: str, audit_run_id: int | None,
                      smtp_conn_id: str = "smtp_default") -> dict:
    """Send once per recipient through the ledger; returns the delivery report as a dict.

    Raises :class:`MailNotDelivered` when a recipient failed (temporarily or permanently), so the
    Airflow task is retried / shows red; recipients already served are not sent again.
    """
    from fingertip.notifications import ledger

    report = ledger.send_once(engine, key=key, email=email, kind=kind, audit_run_id=audit_run_id,
                              smtp_conn_id=smtp_conn_id)
    out = report.as_dict()
    if report.failed_temporary or report.failed_permanent:
        raise MailNotDelivered(f"report mail {key}: {report.summary()}; errors: "
                               + "; ".join(str(d.get("error")) for d in out["details"] if d.get("error")))
    return out
