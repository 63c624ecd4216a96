"""Task bodies of the ``shutdown_cases`` DAG (and of the CLI's ``advance`` and the benchmark).

Each step is idempotent per day and safe against a concurrent run (guarded transitions).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa

from fingertip.lifecycle import cases, documents, opening, reminders, verification
from fingertip.lifecycle.settings import Settings, load_settings

log = logging.getLogger(__name__)


def open_cases(engine: sa.Engine, *, day: dt.date, settings: Settings, conf: dict[str, Any] | None = None,
               rule_ids: list[str] | None = None, actor: str = cases.SYSTEM_ACTOR) -> dict[str, Any]:
    """Cancel recovered cases, reopen relisted ones, open cases from findings and from the run's conf.

    ``conf``: ``open_cases`` — ``[{"target_type", "target_key", "reason", "successor"?, "actor"}]``;
    ``confirm_disposal`` — ``[{"case_key", "actor", "evidence"?}]``; ``only_rules`` — restrict the
    proposing rules to these ids; ``max_new_cases`` — open at most this many cases from findings (default:
    ``approval.max_new_cases_per_run`` of the settings, so scheduled runs are bounded too).
    """
    conf = conf or {}
    if conf.get("only_rules"):
        proposing = opening.proposing_rule_ids() if rule_ids is None else list(rule_ids)
        unknown = sorted(set(conf["only_rules"]) - set(proposing))
        if unknown:
            raise cases.CaseError(f"only_rules: {', '.join(unknown)} do not propose shutdowns "
                                  f"(proposing rules: {', '.join(proposing) or 'none'})")
        rule_ids = list(conf["only_rules"])
    out: dict[str, Any] = {"cancelled": opening.cancel_recovered(engine, actor=actor),
                           "reopened": verification.reopen_relisted(engine, day=day, settings=settings, actor=actor)}
    out["from_findings"] = opening.open_from_findings(engine, rule_ids=rule_ids, settings=settings, day=day,
                                                      actor=actor,
                                                      limit=conf.get("max_new_cases") or settings.max_new_cases_per_run)
    manual = []
    for item in conf.get("open_cases") or []:
        case, created = opening.open_by_ops(engine, target_type=item["target_type"], target_key=item["target_key"],
                                            actor=item.get("actor") or "", reason=item.get("reason") or "",
                                            successor=item.get("successor"), day=day, settings=settings)
        manual.append({"case_key": case["case_key"], "created": created})
    out["manual"] = manual
    out["disposal_confirmed"] = [confirm_disposal(engine, x["case_key"], actor=x.get("actor") or "",
                                                  evidence=x.get("evidence")) and x["case_key"]
                                 for x in conf.get("confirm_disposal") or []]
    return out


def confirm_disposal(engine: sa.Engine, case_key: str, *, actor: str, evidence: Any = None) -> bool:
    """The sponsor's signed disposal checklist came back: record it (the case moves on when stopped)."""
    if not actor or not actor.strip():
        raise cases.CaseError("confirming the data disposal needs the confirming user (actor)")
    with engine.begin() as conn:
        case = cases.get_case(conn, case_key)
        if case["state"] not in ("announced", "service_stopped"):
            raise cases.CaseError(f"case {case_key} is {case['state']}: disposal can be confirmed once announced")
        cases.update_details(conn, case["id"], {"disposal_confirmed": {"by": actor.strip(), "at": cases.utcnow().isoformat(),
                                                                       "evidence": evidence}})
        cases.note(conn, case, actor=actor.strip(), reason="数据处置清单已签字确认 / disposal checklist signed off",
                   evidence={"evidence": evidence})
    return True


def announce_approved(engine: sa.Engine, *, day: dt.date, settings: Settings, case_keys: list[str] | None = None,
                      actor: str = cases.SYSTEM_ACTOR, workers: int | None = None) -> dict[str, Any]:
    """Announce every approved case. ``workers``: rendering processes (default: 1 for a handful of
    cases, else the CPU count, at most 8)."""
    import os

    with engine.connect() as conn:
        approved = [x["case_key"] for x in cases.list_cases(conn, ("approved",), case_keys=case_keys)]
    if workers is None:
        workers = 1 if len(approved) < 20 else min(8, os.cpu_count() or 1)
    results = documents.announce_many(engine, approved, day=day, settings=settings, actor=actor, workers=workers)
    return {"approved": len(approved),
            "announced": [r["case"] for r in results if r["outcome"] == "announced"],
            "blocked": {r["case"]: r["reason"] for r in results if r["outcome"] == "blocked"},
            "failed": {r["case"]: r["error"] for r in results if r["outcome"] == "failed"},
            "documents": sum(len(r.get("documents", [])) for r in results)}


def advance_dates(engine: sa.Engine, *, day: dt.date, actor: str = cases.SYSTEM_ACTOR) -> dict[str, Any]:
    """announced → service_stopped after the last service day; service_stopped → data_disposed once the
    disposal checklist is confirmed (a light-path work group: without a checklist, by its closing record)."""
    stopped, disposed = [], []
    with engine.connect() as conn:
        live = cases.list_cases(conn, ("announced", "service_stopped"))
    for case in live:
        with engine.begin() as conn:
            if case["state"] == "announced" and case["stop_on"] is not None and day > case["stop_on"]:
                if cases.transition(conn, case, "announced", "service_stopped", actor=actor,
                                    reason=f"最后服务日 {case['stop_on']} 已过，服务停止",
                                    evidence={"stop_on": case["stop_on"].isoformat(), "day": day.isoformat()}):
                    stopped.append(case["case_key"])
                    case = cases.get_case(conn, case["id"])
            details = case.get("details") or {}
            if case["state"] == "service_stopped" and details.get("light_close"):
                # the light path: the internal closing record says what happens to the group's records
                if cases.transition(conn, case, "service_stopped", "data_disposed", actor=actor,
                                    reason="临时工作群组按内部解散记录处理群内记录（轻量关闭，无数据处置清单）",
                                    evidence={"light_close": True, "day": day.isoformat()}):
                    disposed.append(case["case_key"])
                continue
            confirmed = details.get("disposal_confirmed")
            if case["state"] == "service_stopped" and confirmed:
                if cases.transition(conn, case, "service_stopped", "data_disposed", actor=confirmed["by"],
                                    reason="数据处置已完成并签字确认", evidence=confirmed):
                    disposed.append(case["case_key"])
    return {"service_stopped": stopped, "data_disposed": disposed}


def summary(engine: sa.Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        by_state: dict[str, int] = dict(conn.execute(sa.select(cases.T.c.state, sa.func.count()).group_by(cases.T.c.state)).all())
        blocked = conn.execute(sa.select(sa.func.count()).select_from(cases.T)
                               .where(cases.T.c.blocked_reason.is_not(None), cases.T.c.state == "approved")).scalar_one()
    return {"by_state": by_state, "blocked": blocked, "total": sum(by_state.values())}


def advance_all(engine: sa.Engine, *, day: dt.date, settings: Settings | None = None,
                checker: verification.Checker | None = None, verify: bool = True,
                deliver: bool = False) -> dict[str, Any]:
    """Everything a run does except asking people: announce, stop, dispose, verify, remind."""
    settings = settings or load_settings()
    out = {"announce": announce_approved(engine, day=day, settings=settings),
           "advance": advance_dates(engine, day=day)}
    if verify:
        out["verify"] = verification.verify_cases(engine, day=day, settings=settings, checker=checker)
    out["reminders"] = reminders.enqueue_reminders(engine, settings=settings)
    if deliver:
        out["delivery"] = reminders.deliver(engine)
    out["summary"] = summary(engine)
    return out
