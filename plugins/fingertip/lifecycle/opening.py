"""Opening cases: from findings of rules with the ``propose_shutdown`` action, or by ops staff.

One case per target: a target with a live case (any state but rejected/cancelled) gets no second
one. A finding whose case was rejected or cancelled does not propose again — unless the finding was
resolved and has come back since (its ``reopened_count`` grew).

Cancelling on recovery: a case still ``proposed`` or ``approved`` whose proposing finding is resolved
(the rules engine resolves a finding when its condition clears) is cancelled.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from fingertip.lifecycle import cases
from fingertip.lifecycle import successor as succ
from fingertip.lifecycle.settings import Settings
from fingertip.store import schema

log = logging.getLogger(__name__)
F = schema.findings
#: Target types a finding can propose a shutdown for (the documents cover apps, accounts, work groups).
AUTO_TARGET_TYPES = ("app", "account", "work_group")


def proposing_rule_ids(policy: Any = None) -> list[str]:
    """Rule ids whose policy carries ``actions: [propose_shutdown]`` (empty if the rules engine is absent)."""
    try:
        from fingertip.rules import load_policy
    except ImportError:
        log.warning("fingertip.rules is not importable: no rule proposes shutdowns")
        return []
    policy = policy or load_policy()
    return list(policy.rules_with_action("propose_shutdown"))


def _reason(f: Any) -> str:
    return f"{f['title_zh']}（依据：{f['basis']}）"


def open_from_findings(engine: sa.Engine, *, rule_ids: Iterable[str] | None = None, settings: Settings,
                       day: dt.date, actor: str = cases.SYSTEM_ACTOR, limit: int | None = None) -> dict[str, Any]:
    """Open a case for every open/acknowledged finding of a proposing rule that has none yet."""
    rule_ids = sorted(set(proposing_rule_ids() if rule_ids is None else rule_ids))
    summary: dict[str, Any] = {"rules": rule_ids, "findings": 0, "opened": [], "existing": 0, "skipped": []}
    if not rule_ids:
        return summary
    with engine.connect() as conn:
        findings = [dict(r) for r in conn.execute(
            sa.select(F).where(F.c.rule_id.in_(rule_ids), F.c.state.in_(("open", "acknowledged")),
                               F.c.target_type.in_(AUTO_TARGET_TYPES)).order_by(F.c.first_seen_at, F.c.id)
        ).mappings()]
        previous: dict[str, list[dict]] = {}
        for row in conn.execute(sa.select(cases.T.c.finding_id, cases.T.c.state, cases.T.c.details)
                                .where(cases.T.c.finding_id.in_([f["id"] for f in findings] or [""]))).mappings():
            previous.setdefault(row["finding_id"], []).append(dict(row))
    summary["findings"] = len(findings)
    for f in findings:
        if limit and len(summary["opened"]) >= limit:
            summary["limited"] = True
            break
        earlier = previous.get(f["id"], [])
        if any(e["state"] in cases.LIVE for e in earlier):
            summary["existing"] += 1
            continue
        if earlier and max((e["details"] or {}).get("finding_reopened_count", 0) for e in earlier) >= \
                (f["reopened_count"] or 0):
            summary["skipped"].append({"finding": f["id"], "why": "an earlier case of this finding was "
                                       "rejected or cancelled and the finding has not come back since"})
            continue
        with engine.begin() as conn:
            target = cases.target_row(conn, f["target_type"], f["target_key"])
            if target is None:
                summary["skipped"].append({"finding": f["id"], "why": "target not in the inventory"})
                continue
            suggestion = succ.suggest(conn, f["target_type"], dict(target), day=day,
                                      max_silence_days=settings.account_max_silence_days)
            case, created = cases.open_case(
                conn, target_type=f["target_type"], target_key=f["target_key"], opened_by=actor, reason=_reason(f),
                finding_id=f["id"], successor=suggestion,
                details={"rule_id": f["rule_id"], "article": f["article"], "basis": f["basis"],
                         "title_zh": f["title_zh"], "remediation_zh": f["remediation_zh"],
                         "severity": f["severity"], "finding_evidence": f["evidence"],
                         "finding_reopened_count": f["reopened_count"] or 0,
                         "successor_suggested": bool(suggestion)},
                evidence={"finding_id": f["id"], "rule_id": f["rule_id"], "check_date": str(f["check_date"])})
        if created:
            summary["opened"].append(case["case_key"])
        else:
            summary["existing"] += 1
    log.info("cases from findings: %d findings of %d rule(s), %d opened, %d already had a case",
             summary["findings"], len(rule_ids), len(summary["opened"]), summary["existing"])
    return summary


def open_by_ops(engine: sa.Engine, *, target_type: str, target_key: str, actor: str, reason: str,
                successor: str | None = None, day: dt.date | None = None, settings: Settings | None = None
                ) -> tuple[dict[str, Any], bool]:
    """Ops staff open a case by hand (CLI, DAG conf). The successor is ``kind:key`` or suggested."""
    if not actor or not actor.strip():
        raise cases.CaseError("the opening user (actor) is required")
    if not reason or not reason.strip():
        raise cases.CaseError("a reason is required (关停理由)")
    ref = succ.parse_ref(successor)
    with engine.begin() as conn:
        target = cases.target_row(conn, target_type, target_key)
        if target is None:
            raise cases.CaseError(f"{target_type} {target_key!r} is not in the inventory (目标不在台账中)")
        if ref is None and day is not None:
            ref = succ.suggest(conn, target_type, dict(target), day=day,
                               max_silence_days=settings.account_max_silence_days if settings else 14)
        return cases.open_case(conn, target_type=target_type, target_key=target_key, opened_by=actor.strip(),
                               reason=reason.strip(), successor=ref, details={"opened_manually": True},
                               evidence={"source": "ops"})


def cancel_recovered(engine: sa.Engine, *, actor: str = cases.SYSTEM_ACTOR) -> list[str]:
    """Cancel proposed/approved cases whose proposing finding has been resolved (target recovered)."""
    cancelled = []
    with engine.connect() as conn:
        rows = conn.execute(sa.select(cases.T.c.id, cases.T.c.case_key, cases.T.c.state, F.c.id.label("fid"), F.c.state.label("fstate"),
                                      F.c.resolved_at)
                            .join(F, F.c.id == cases.T.c.finding_id)
                            .where(cases.T.c.state.in_(("proposed", "approved")), F.c.state == "resolved")).mappings().all()
    for row in rows:
        with engine.begin() as conn:
            if cases.transition(conn, row["id"], row["state"], "cancelled", actor=actor,
                                reason="目标已恢复正常（触发关停的问题已解决），公告前撤销案件 / target recovered before "
                                   "announcement: its proposing finding is resolved",
                                evidence={"finding_id": row["fid"], "finding_state": row["fstate"],
                                      "resolved_at": str(row["resolved_at"])}):
                cancelled.append(row["case_key"])
    return cancelled
