"""
### Detect findings (问题发现) — the rules engine

Runs on a coherent picture: once **all three** ingestions have completed since the last detection —
app-store listings **and** filings **and** account activity (each ingestion DAG emits its asset once
per complete run) — or when validation promotes an inventory batch. Never after a single source: a
filing check on listings without the day's filings would flag apps and resolve them hours later. It evaluates the policy files in `fingertip/resources/policy/` (rules as
data: each rule cites its article, e.g. 《意见》第7条 or 国办秘函〔2019〕19号 单项否决指标) on every
app, account, work group, sponsoring unit and orphan store listing, then:

* **findings** (`findings` table): stable ids — a re-run updates, never duplicates; evidence as data
  (fact values, thresholds, data dates); states open → acknowledged → resolved (automatically when
  the condition clears) or waived (reason, approver, expiry; a lapsed waiver reopens the finding);
* **two scores** (`inspections` table): Fingertip's governance assessment of every app and account
  (the project's own scheme: any veto rule fails, otherwise 100 minus deductions, below 60 fails) and
  the 国办秘函〔2019〕19号 inspection of every account (only its single-veto items); a record whose
  data is missing is "no data" in both — counted apart, never a pass; risk tiers by user scale,
  function and use (Art. 16);
* outputs in `out/findings/<check date>/` (`summary.json`, `findings.jsonl`) and the tables of
  findings by rule and by article in the log;
* emits the asset `fingertip://rules/findings`, which the shutdown and report DAGs schedule on.

Manual runs: `{"dry_run": true}` lists what would be flagged and why and changes nothing;
`check_date` (YYYY-MM-DD) re-checks another day; `families` limits the rule families.
Provinces override thresholds in `fingertip/resources/policy/overrides/<province>.yaml`.

Built from `DetectFindingsOperator` (`fingertip.operators`, see `docs/operators.md`); its
**Fingertip output** link opens `out/findings/<check date>/` (or the console page).
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from fingertip.assets import ACCOUNT_ACTIVITY, APP_STORE_LISTINGS, FILINGS, FINDINGS, INVENTORY_VALIDATED
from fingertip.operators import DetectFindingsOperator
from fingertip.rules.catalogue import FAMILIES
from fingertip.runtime import START_DATE, default_args


@dag(
    dag_id="detect_findings",
    # a coherent day: all three ingestions complete (one event each per run), or a promoted inventory
    schedule=((APP_STORE_LISTINGS & FILINGS & ACCOUNT_ACTIVITY) | INVENTORY_VALIDATED),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retries=1, retry_minutes=5, exponential=False),
    tags=["fingertip", "rules", "detection"],
    doc_md=__doc__,
    params={
        "dry_run": Param(False, type="boolean", title="试运行（不写入）",
                         description="list what would be flagged and why; nothing is stored"),
        "check_date": Param(None, type=["null", "string"], format="date", title="检查日期",
                            description="YYYY-MM-DD (empty: the run's date)"),
        "families": Param([], type="array", title="规则类别",
                          items={"type": "string", "enum": list(FAMILIES)},
                          description="rule families to run (empty: all)"),
    },
)
def detect_findings():
    @task
    def check_policy() -> dict:
        from fingertip.rules.tasks import check_policy as check

        return check()

    detect = DetectFindingsOperator(
        task_id="detect", pool="governance_store",
        check_date="{{ params.check_date }}", dry_run="{{ params.dry_run }}", families="{{ params.families }}",
    )

    @task(outlets=[FINDINGS])
    def publish(summary: dict) -> dict:
        from airflow.exceptions import AirflowSkipException

        if summary.get("dry_run"):
            raise AirflowSkipException("dry run: nothing was stored, no asset event")
        return {k: summary[k] for k in ("check_date", "findings", "pass_rate", "changes")}

    check_policy() >> detect
    publish(detect.output)


detect_findings()
