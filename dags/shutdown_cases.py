"""
### Shutdown cases (关停注销)

Daily at 06:00 Beijing time **and** whenever detection publishes new findings
(`fingertip://rules/findings`). Advances every shutdown case of apps, official accounts and work
groups through *proposed → approved | rejected → announced → service stopped → data disposed →
delisting verified → closed*, every transition recorded in `case_events` (who, when, why).

1. **open_cases** — cancels proposed/approved cases whose target recovered (finding resolved),
   reopens closed cases whose target was relisted, opens one case per target from open findings of
   rules with `actions: [propose_shutdown]`, plus cases and disposal confirmations given in the run's
   conf (`open_cases`, `confirm_disposal`).
2. **request_approvals** → **approve_case** (mapped, human-in-the-loop): one request per proposed
   case not already waiting in an earlier run. Answer in *Required Actions* or over the REST API
   (`docs/shutdown.md`); the responding user is recorded as the approver. Unanswered requests time
   out after `approval.response_timeout_hours` and are asked again (escalated after repeated timeouts).
   `approve_case` is `CaseApprovalOperator` (`fingertip.operators`, see `docs/operators.md`); its
   **Fingertip output** link opens the case's folder `<outputs>/cases/<case>/`.
3. **announce** — for approved cases with a live successor channel: the GB/T 9704 announcement
   (DOCX/PDF/HTML/Markdown) and the data-disposal checklist (XLSX/DOCX) in `<outputs>/cases/<case>/`;
   otherwise the case is blocked with the reason. **announce_decided** does the same right after
   this run's approvals.
4. **advance** (stop after the last service day, data disposed once confirmed), **verify_delisting**
   (store, platform and filing checks over HTTP, pool `source_feeds`), **reminders** (milestone
   e-mails queued once in the ledger) and **deliver_reminders**; **summary** emits
   `fingertip://lifecycle/shutdown_cases`.

Params: `dry_run` prints every live case's timeline and changes nothing; `demo_auto_approve`
approves without a human **only** when `FINGERTIP_DEMO=1` (recorded as `demo-auto-approval`).
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import AssetOrTimeSchedule, Param, dag, task

from fingertip.assets import FINDINGS, SHUTDOWN_CASES
from fingertip.operators import CaseApprovalOperator
from fingertip.runtime import START_DATE, cron, default_args


def _approval_timeout() -> dt.timedelta:
    """``approval.response_timeout_hours`` of fingertip/resources/policy/shutdown.yaml (a small YAML read)."""
    from fingertip.lifecycle.settings import load_settings

    return dt.timedelta(hours=load_settings().approval_timeout_hours)


@dag(
    dag_id="shutdown_cases",
    schedule=AssetOrTimeSchedule(timetable=cron("0 6 * * *"), assets=FINDINGS),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=4,  # a run waiting for approvals must not hold back the next day's run
    default_args=default_args(retries=1, retry_minutes=5),
    params={
        "dry_run": Param(False, type="boolean", description="print the timelines, change nothing"),
        "demo_auto_approve": Param(False, type="boolean",
                                   description="demo only: approve without a human (needs FINGERTIP_DEMO=1)"),
        "case_keys": Param([], type="array", items={"type": "string"},
                           description="dry run: only these cases (default: every live case)"),
        "open_cases": Param([], type="array", description='ops cases: [{"target_type": "app", "target_key": '
                            '"…", "reason": "…", "successor": "app:…", "actor": "…"}]'),
        "only_rules": Param([], type="array", items={"type": "string"},
                            description="open cases only from findings of these proposing rules (default: all)"),
        "max_new_cases": Param(None, type=["null", "integer"], minimum=1,
                               description="open at most this many cases from findings in this run "
                                           "(default: approval.max_new_cases_per_run of shutdown.yaml)"),
        "confirm_disposal": Param([], type="array",
                                  description='[{"case_key": "…", "actor": "…", "evidence": "…"}]'),
    },
    tags=["fingertip", "lifecycle"],
    doc_md=__doc__,
)
def shutdown_cases():  # noqa: C901 — a DAG body: the count is the sum of its nine one-branch task callables
    @task(pool="governance_store")
    def open_cases(params=None, **context) -> dict:
        from fingertip.lifecycle import tasks, timeline
        from fingertip.lifecycle.settings import load_settings
        from fingertip.runtime import interval_day, store_engine

        day, settings = interval_day(context), load_settings()
        if params["dry_run"]:
            plans = timeline.dry_run(store_engine(), day=day, settings=settings, case_keys=params["case_keys"] or None)
            print(timeline.render_text(plans) or "no live cases")
            return {"dry_run": True, "cases": len(plans)}
        return tasks.open_cases(store_engine(), day=day, settings=settings,
                                conf={"open_cases": params["open_cases"],
                                      "confirm_disposal": params["confirm_disposal"],
                                      "only_rules": params["only_rules"],
                                      "max_new_cases": params["max_new_cases"]})

    @task(pool="governance_store")
    def request_approvals(opened: dict, params=None, **context) -> list[dict]:
        from fingertip.lifecycle.approval import request_approvals as requests_for_run
        from fingertip.lifecycle.settings import load_settings
        from fingertip.runtime import interval_day, store_engine

        if opened.get("dry_run"):
            return []
        return requests_for_run(store_engine(), settings=load_settings(), run_id=context["run_id"],
                                day=interval_day(context), demo_auto_approve=params["demo_auto_approve"])

    @task(pool="governance_store", trigger_rule="all_done")
    def announce_decided(params=None, **context) -> dict:
        from fingertip.lifecycle import tasks
        from fingertip.lifecycle.settings import load_settings
        from fingertip.runtime import interval_day, store_engine

        if params["dry_run"]:
            return {}
        return tasks.announce_approved(store_engine(), day=interval_day(context), settings=load_settings())

    @task(pool="governance_store")
    def announce(_requested: list, params=None, **context) -> dict:
        from fingertip.lifecycle import tasks
        from fingertip.lifecycle.settings import load_settings
        from fingertip.runtime import interval_day, store_engine

        if params["dry_run"]:
            return {}
        return tasks.announce_approved(store_engine(), day=interval_day(context), settings=load_settings())

    @task(pool="governance_store")
    def advance(_announced: dict, params=None, **context) -> dict:
        from fingertip.lifecycle import tasks
        from fingertip.runtime import interval_day, store_engine

        if params["dry_run"]:
            return {}
        return tasks.advance_dates(store_engine(), day=interval_day(context))

    @task(pool="source_feeds")
    def verify_delisting(_advanced: dict, params=None, **context) -> dict:
        from fingertip.lifecycle.settings import load_settings
        from fingertip.lifecycle.verification import verify_cases
        from fingertip.runtime import interval_day, store_engine

        if params["dry_run"]:
            return {}
        return verify_cases(store_engine(), day=interval_day(context), settings=load_settings())

    @task(pool="governance_store")
    def reminders(_verified: dict, params=None) -> dict:
        from fingertip.lifecycle.reminders import enqueue_reminders
        from fingertip.lifecycle.settings import load_settings
        from fingertip.runtime import store_engine

        if params["dry_run"]:
            return {}
        return enqueue_reminders(store_engine(), settings=load_settings())

    @task(retries=0)
    def deliver_reminders(_queued: dict, params=None) -> dict:
        from fingertip.lifecycle.reminders import deliver
        from fingertip.runtime import store_engine

        if params["dry_run"]:
            return {}
        return deliver(store_engine())

    @task(outlets=[SHUTDOWN_CASES], trigger_rule="all_done")
    def summary(_delivered: dict) -> dict:
        from fingertip.lifecycle.tasks import summary as case_summary
        from fingertip.runtime import store_engine

        return case_summary(store_engine())

    opened = open_cases()
    requested = request_approvals(opened)
    decided = CaseApprovalOperator.partial(
        task_id="approve_case", response_timeout=_approval_timeout(), map_index_template="{{ task.case_key }}",
    ).expand_kwargs(requested)
    decided >> announce_decided()
    summary(deliver_reminders(reminders(verify_delisting(advance(announce(requested))))))


shutdown_cases()
