"""Task bodies of the detection DAG and the CLI: run, dry-run, write the run's outputs, print tables."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from fingertip.rules.engine import DetectionResult, Scope, detect
from fingertip.rules.model import DetectionRunSummary, FindingEvidence, FindingItem, RunOutputs
from fingertip.rules.policy import Policy, load_policy

log = logging.getLogger(__name__)


def check_policy() -> dict[str, Any]:
    """Load and check the policy files (a mistake fails with file:line)."""
    policy = load_policy()
    info = policy.describe()
    log.info("policy %s: %d rules (%d enabled), overrides for %s", info["version"], info["rules"], info["enabled"],
             info["overrides"] or "no province")
    return info


def run_detection(engine, *, check_date: dt.date, dry_run: bool = False, families: Sequence[str] | None = None,
                  scope: Scope | None = None, write_outputs: bool = True) -> DetectionRunSummary:
    """Detect, persist (unless dry run), write ``out/findings/<date>/`` and log the tables."""
    policy = load_policy()
    result = detect(engine, policy, check_date=check_date, families=families or None, scope=scope,
                    persist=not dry_run, collect=dry_run)
    summary: DetectionRunSummary = {**result.summary(), "dry_run": dry_run}
    if write_outputs:
        summary["outputs"] = write_run_outputs(result, policy, dry_run=dry_run, engine=engine)
    for line in format_tables(result, policy).splitlines():
        log.info("%s", line)
    return summary


def _finding_items(result: DetectionResult, engine) -> Iterator[FindingItem]:
    """The run's findings: collected ones, or (stored runs) those the store holds for the check date."""
    if result.findings or engine is None:
        for f in result.findings:
            yield {"id": f.id, "rule_id": f.rule_id, "title_zh": f.title_zh, "severity": f.severity,
                   "target_type": f.target_type, "target_key": f.target_key, "target_name": f.target_name,
                   "division_code": f.division_code, "basis": f.basis, "article": f.article,
                   "evidence": f.evidence, "remediation_zh": f.remediation_zh}
        return
    import sqlalchemy as sa

    from fingertip.store import schema

    t = schema.findings
    q = (sa.select(t.c.id, t.c.rule_id, t.c.title_zh, t.c.severity, t.c.state, t.c.target_type, t.c.target_key,
                   t.c.division_code, t.c.basis, t.c.article, t.c.evidence, t.c.remediation_zh)
         .where(t.c.check_date == result.check_date, t.c.state != "resolved").order_by(t.c.rule_id, t.c.target_key))
    with engine.connect() as conn:
        for row in conn.execution_options(stream_results=True, yield_per=2000).execute(q).mappings():
            evidence: FindingEvidence = row["evidence"]  # NOT NULL
            yield {"id": row["id"], "rule_id": row["rule_id"], "title_zh": row["title_zh"],
                   "severity": row["severity"], "state": row["state"], "target_type": row["target_type"],
                   "target_key": row["target_key"], "division_code": row["division_code"], "basis": row["basis"],
                   "article": row["article"], "evidence": evidence, "remediation_zh": row["remediation_zh"],
                   "target_name": evidence.get("target_name")}


def write_run_outputs(result: DetectionResult, policy: Policy, *, dry_run: bool, engine=None) -> RunOutputs:
    """``summary.json`` and ``findings.jsonl`` (one finding per line, evidence included)."""
    from fingertip.config import output_path

    folder = output_path("findings", result.check_date.isoformat() + ("-dry-run" if dry_run else ""))
    folder.mkdir(parents=True, exist_ok=True)
    summary = result.summary() | {"dry_run": dry_run, "article_labels": policy.article_labels}
    (folder / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    with (folder / "findings.jsonl").open("w", encoding="utf-8") as fh:
        for item in _finding_items(result, engine):
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    return {"summary": str(folder / "summary.json"), "findings": str(folder / "findings.jsonl")}


def format_tables(result: DetectionResult, policy: Policy) -> str:
    """Findings by rule and by article, and the pass rate, as plain-text tables."""
    out = [f"Findings on {result.check_date} ({'dry run: nothing stored' if not result.persist else 'stored'}):"]
    out.append(f"  {'rule':38} {'findings':>8}  title")
    for rule_id, n in sorted(result.by_rule.items(), key=lambda kv: -kv[1]):
        rule = policy.rules[rule_id]
        out.append(f"  {rule_id:38} {n:>8}  {rule.title_for(rule.thresholds)}")
    out.append(f"  {'article':38} {'findings':>8}  label")
    for key, n in sorted(result.by_article.items(), key=lambda kv: -kv[1]):
        out.append(f"  {key:38} {n:>8}  {policy.articles[key].label}")
    s = result.summary()
    for rule_id, n in s["insufficient_data"].items():
        out.append(f"  {rule_id:38} {n:>8}  insufficient data (no finding, no proposal)")
    out.append(f"  checked {dict(result.checked)}; inspection pass rate {s['pass_rate']} "
               f"({s['passed']}/{s['inspected']}); changes {result.changes or '-'}")
    return "\n".join(out)


def explain(result: DetectionResult, policy: Policy, *, limit: int = 20) -> str:
    """What would be flagged and why (dry runs): one block per finding, first ``limit``."""
    lines = []
    for f in result.findings[:limit]:
        facts = ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in f.evidence["facts"].items())
        lines.append(f"- [{f.severity}] {f.rule_id} {f.target_type}:{f.target_key} {f.target_name or ''}\n"
                     f"    {f.title_zh} — {f.basis}\n    because {facts}; thresholds {f.evidence['thresholds']}")
    if len(result.findings) > limit:
        lines.append(f"… and {len(result.findings) - limit} more")
    return "\n".join(lines)
