"""Human approval of proposed cases with Airflow's human-in-the-loop (HITL) operators.

One approval request per case: ``request_approvals`` picks the ``proposed`` cases that have no
request pending (``details.approval.status == "pending"`` with a deadline not yet passed, asked by
an earlier run) and marks them pending; the DAG maps :class:`CaseApprovalOperator` over them. The
task waits in ``awaiting_input`` (no worker slot) until someone answers in the UI (Required Actions)
or over the REST API; its completion method :meth:`CaseApprovalOperator.execute_complete` writes the
decision — ``proposed → approved`` or ``→ rejected`` with the responding user as ``actor`` and the
comment as reason — into ``case_events``.

Timeouts: a request not answered within ``approval.response_timeout_hours`` ends without a decision
(the case stays ``proposed``, a note is written, the request is marked ``timed_out``) and the next
run asks again; from ``escalate_after_timeouts`` timeouts on, each re-ask also queues an escalation
e-mail to the ops mailbox and the escalation recipients. A pending request whose deadline passed
without any answer being recorded (its run was killed or cleared) counts as timed out too.

Demo only: with the DAG param ``demo_auto_approve`` *and* ``FINGERTIP_DEMO=1`` in the environment,
cases are approved without a human, recorded as ``demo-auto-approval`` with the reason
:data:`DEMO_REASON`; without the variable the param is ignored (with a warning).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from fingertip.lifecycle import cases
from fingertip.lifecycle.settings import Settings

log = logging.getLogger(__name__)

APPROVE = "批准"
REJECT = "驳回"
OPTIONS = [APPROVE, REJECT]
DEMO_ACTOR = "demo-auto-approval"
DEMO_REASON = "演示环境自动批准（仅用于演示）"
STALE_GRACE = dt.timedelta(hours=1)
TARGET_ZH = {"app": "政务应用", "account": "政务公众账号", "work_group": "工作群组", "sponsor": "主办单位"}


def demo_enabled(requested: bool) -> bool:
    """Auto-approval only when asked for AND the environment is a demo (``FINGERTIP_DEMO=1``)."""
    if not requested:
        return False
    if os.environ.get("FINGERTIP_DEMO") != "1":
        log.warning("demo_auto_approve was requested but FINGERTIP_DEMO is not 1: ignored, approvals go to people")
        return False
    return True


def _body(conn: sa.Connection, case: dict[str, Any], settings: Settings, day: dt.date) -> str:
    from fingertip.lifecycle.timeline import case_timeline

    t = case_timeline(conn, case, day=day, settings=settings)
    d = case.get("details") or {}
    ev = d.get("finding_evidence") or {}
    evidence = "\n".join(f"- `{k}`: {v}" for k, v in list(ev.items())[:12]) or "- （无）"
    succ = t["successor"]
    succ_line = (f"{succ['kind']}:{succ['key']} {succ['name'] or ''} {succ['url'] or ''}" if succ["ok"]
                 else f"⚠ {t['blocked']}")
    return (
        f"**关停对象**：{TARGET_ZH.get(case['target_type'], case['target_type'])}“{t['target_name']}”"
        f"（`{case['target_type']}:{case['target_key']}`）\n\n"
        f"**主办单位**：{t['sponsor']}\n\n"
        f"**理由**：{case.get('reason') or ''}\n\n"
        f"**规则**：`{d.get('rule_id', '人工提出')}` {d.get('article') or ''}\n\n"
        f"**证据**：\n{evidence}\n\n"
        f"**继任渠道**：{succ_line}\n\n"
        f"**如今日批准**：公告 {t['announcement']}，停止服务 {t['last_service_day']}（提前 {t['notice_days']} 日），"
        f"数据处置截止 {t['disposal_deadline']}，下架核验自 {t['verification']['from']} 起。\n\n"
        f"选择“{APPROVE}”或“{REJECT}”，并在“意见”中填写理由；如需更换继任渠道，在“继任渠道”中填写 `app:<编号>` 或 "
        f"`account:<编号>`。"
    )


def request_approvals(engine: sa.Engine, *, settings: Settings, run_id: str, day: dt.date,
                      now: dt.datetime | None = None, demo_auto_approve: bool = False) -> list[dict[str, Any]]:
    """The approval requests of this run: ``[{"case_key", "subject", "body"}]`` (kwargs of the mapped HITL task)."""
    from fingertip.lifecycle import reminders

    now = now or cases.utcnow()
    auto = demo_enabled(demo_auto_approve)
    requests: list[dict[str, Any]] = []
    with engine.connect() as conn:
        proposed = cases.list_cases(conn, ("proposed",))
    # Bounded queue: open requests (of earlier runs, or of this run when it is retried) hold their slots;
    # the oldest other proposed cases are asked up to settings.max_open_approvals, the rest wait "queued".
    free = settings.max_open_approvals - sum(1 for case in proposed if _holds_slot(case, run_id, now))
    queued: list[dict[str, Any]] = []
    for case in proposed:
        approval = (case.get("details") or {}).get("approval") or {}
        if not auto and not _holds_slot(case, run_id, now):
            if free <= 0:
                queued.append(case)
                continue
            free -= 1
        if auto:
            log.warning("!!! DEMO AUTO-APPROVAL of case %s (%s:%s) — FINGERTIP_DEMO=1; never use in production !!!",
                        case["case_key"], case["target_type"], case["target_key"])
            apply_decision(engine, case["case_key"], approved=True, actor=DEMO_ACTOR, comment=DEMO_REASON,
                           evidence={"demo": True, "run_id": run_id})
            continue
        timeouts = int(approval.get("timeouts", 0))
        if approval.get("status") == "pending":
            deadline = dt.datetime.fromisoformat(approval["timeout_at"])
            if approval.get("run_id") != run_id and now < deadline + STALE_GRACE:
                continue  # asked by an earlier run that is still waiting
            if approval.get("run_id") != run_id:
                timeouts += 1  # the earlier request lapsed without a recorded answer
        timeout_at = now + dt.timedelta(hours=settings.approval_timeout_hours)
        with engine.begin() as conn:
            # claim: only if nobody touched the case since we read it (two runs racing ask once)
            details = {**(case.get("details") or {}), "approval": {
                "status": "pending", "run_id": run_id, "requested_at": now.isoformat(),
                "timeout_at": timeout_at.isoformat(), "timeouts": timeouts,
                "asked": int(approval.get("asked", 0)) + (0 if approval.get("run_id") == run_id else 1)}}
            claimed = conn.execute(sa.update(cases.T).where(cases.T.c.id == case["id"], cases.T.c.state == "proposed",
                                                        cases.T.c.updated_at == case["updated_at"])
                                   .values(details=details, updated_at=cases.utcnow_precise())).rowcount == 1
            if not claimed:
                log.info("case %s changed meanwhile (another run asked or decided): not asked here", case["case_key"])
                continue
            fresh = cases.get_case(conn, case["id"])
            body = _body(conn, fresh, settings, day)
            target = cases.target_row(conn, case["target_type"], case["target_key"])
            name = target["name"] if target is not None else case["target_key"]
        if timeouts >= settings.escalate_after_timeouts:
            reminders.enqueue_escalation(engine, case, settings=settings, timeouts=timeouts)
        prefix = f"【第{timeouts + 1}次请求】" if timeouts else ""
        requests.append({"case_key": case["case_key"],
                         "subject": f"{prefix}关停审批：{name}（{case['case_key']}）"[:200], "body": body})
    if queued:
        _mark_queued(engine, queued, limit=settings.max_open_approvals)
    return requests


def _holds_slot(case: dict[str, Any], run_id: str, now: dt.datetime) -> bool:
    """An open approval request: asked by this run, or by an earlier run and not lapsed."""
    approval = (case.get("details") or {}).get("approval") or {}
    if approval.get("status") != "pending":
        return False
    if approval.get("run_id") == run_id:
        return True
    return now < dt.datetime.fromisoformat(approval["timeout_at"]) + STALE_GRACE


def _mark_queued(engine: sa.Engine, waiting: list[dict[str, Any]], *, limit: int) -> None:
    """Proposed cases beyond the queue's bound: ``details.approval.status = "queued"`` with their place."""
    log.info("%d proposed case(s) wait for a free approval slot (at most %d open requests: "
             "approval.max_open_requests)", len(waiting), limit)
    with engine.begin() as conn:
        for place, case in enumerate(waiting, start=1):
            approval = (case.get("details") or {}).get("approval") or {}
            if approval.get("status") == "queued" and approval.get("place") == place:
                continue
            conn.execute(sa.update(cases.T).where(cases.T.c.id == case["id"], cases.T.c.state == "proposed",
                                                  cases.T.c.updated_at == case["updated_at"])
                         .values(details={**(case.get("details") or {}),
                                          "approval": {**approval, "status": "queued", "place": place}},
                                 updated_at=cases.utcnow_precise()))


def apply_decision(engine: sa.Engine, case_key: str, *, approved: bool, actor: str, comment: str | None,
                   successor: str | None = None, evidence: dict[str, Any] | None = None) -> bool:
    """Record an approval decision: ``proposed → approved | rejected`` with the approver and comment."""
    from fingertip.lifecycle.successor import parse_ref

    ref = parse_ref(successor) if successor else None
    to_state = "approved" if approved else "rejected"
    verb = "审批通过" if approved else "审批驳回"
    reason = f"{verb}：{comment.strip()}" if comment and comment.strip() else verb
    with engine.begin() as conn:
        case = cases.get_case(conn, case_key)
        details = {**(case.get("details") or {})}
        details["approval"] = {**(details.get("approval") or {}), "status": "answered", "decision": to_state,
                               "by": actor, "at": cases.utcnow().isoformat(), "comment": comment}
        values: dict[str, Any] = {"details": details}
        if ref is not None:
            values.update(successor_kind=ref[0], successor_key=ref[1])
        return cases.transition(conn, case, "proposed", to_state, actor=actor, reason=reason,
                            evidence={**(evidence or {}), "successor_override": successor}, values=values)


def record_timeout(engine: sa.Engine, case_key: str, *, run_id: str | None) -> None:
    with engine.begin() as conn:
        case = cases.get_case(conn, case_key)
        approval = (case.get("details") or {}).get("approval") or {}
        if case["state"] != "proposed" or approval.get("status") != "pending":
            return
        timeouts = int(approval.get("timeouts", 0)) + 1
        cases.update_details(conn, case["id"], {"approval": {**approval, "status": "timed_out", "timeouts": timeouts}})
        cases.note(conn, case, actor=cases.SYSTEM_ACTOR,
               reason=f"审批请求超时未答复（第{timeouts}次），下次运行将重新请求 / approval request timed out",
               evidence={"run_id": run_id, "timeouts": timeouts})


def _actor(user: Any) -> str:
    if isinstance(user, dict):
        return str(user.get("name") or user.get("id") or "unknown")
    if user is not None:
        return str(getattr(user, "name", None) or getattr(user, "id", None) or user)
    return "hitl-timeout-default"


def _operator_base():
    from airflow.providers.standard.operators.hitl import HITLOperator

    return HITLOperator


def _output_link():
    from fingertip.links import FingertipOutputLink

    return FingertipOutputLink()


def _with_case_output(result: dict[str, Any]) -> dict[str, Any]:
    from fingertip.links import with_output

    return with_output(result, "cases", result["case_key"])


if TYPE_CHECKING:
    from airflow.providers.standard.operators.hitl import HITLOperator as _ApprovalBase
else:
    _ApprovalBase = _operator_base()


class CaseApprovalOperator(_ApprovalBase):
    """Approve or reject one shutdown case (mapped over the cases of a run).

    Options ``批准`` / ``驳回``; form fields ``comment`` (意见) and ``successor`` (继任渠道, optional
    ``kind:key``). The decision is written to the store by :meth:`execute_complete`, so it is recorded
    however the answer arrived (UI, REST API). A timeout ends the task successfully without a decision.
    """

    template_fields = ("subject", "body", "case_key")
    # "Fingertip output" → cases/<case>/ (announcement, disposal checklist) or the console's case page
    operator_extra_links = (_output_link(),)

    def __init__(self, *, case_key: str, **kwargs: Any) -> None:
        from airflow.sdk import Param

        # The form fields of the request. Always these (the DAG's own params are not form fields);
        # source="task" or HITLOperator filters them out.
        kwargs["params"] = {
            "comment": Param("", type="string", title="意见", description="审批意见（必填理由）", source="task"),
            "successor": Param("", type="string", title="继任渠道", source="task",
                               description="可选：更换继任渠道，如 app:APP-001 或 account:ACC-001"),
        }
        super().__init__(options=list(OPTIONS), multiple=False, **kwargs)
        self.case_key = case_key

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        from fingertip.runtime import store_engine

        engine = store_engine()
        run_id = getattr(context.get("dag_run"), "run_id", None) if hasattr(context, "get") else None
        if "error" in event:
            if event.get("error_type") == "timeout":
                log.warning("approval of case %s timed out; it will be asked again", self.case_key)
                record_timeout(engine, self.case_key, run_id=run_id)
                return _with_case_output({"case_key": self.case_key, "outcome": "timed_out"})
            return super().execute_complete(context, event)  # raises HITLTriggerEventError
        payload = super().execute_complete(context, event)
        chosen = payload["chosen_options"][0]
        params_input = payload.get("params_input") or {}
        actor = _actor(payload.get("responded_by_user"))
        responded_at = payload.get("responded_at")
        approved = chosen == APPROVE
        changed = apply_decision(
            engine, self.case_key, approved=approved, actor=actor, comment=params_input.get("comment"),
            successor=params_input.get("successor") or None,
            evidence={"hitl": {"run_id": run_id, "task_id": self.task_id,
                               "map_index": getattr(context.get("ti"), "map_index", None),
                               "responded_at": responded_at.isoformat() if hasattr(responded_at, "isoformat")
                               else responded_at, "chosen": chosen, "timedout": bool(event.get("timedout"))}})
        log.info("case %s %s by %s", self.case_key, "approved" if approved else "rejected", actor)
        return _with_case_output({"case_key": self.case_key, "outcome": "approved" if approved else "rejected",
                                  "actor": actor, "recorded": changed})
