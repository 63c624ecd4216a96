"""
### Validate staged inventory batches (台账校验) — quality gate

Runs whenever `import_inventory` stages a batch (asset `fingertip://ingest/inventory_staged`).
Each staged batch (`import_batches.status = 'staged'`) is validated in its own mapped task (named by
its file) with the Great Expectations suites in `fingertip/resources/expectations/` (sponsor, app, account and
work-group suites; custom expectations for credit codes, division codes, filing numbers, dates,
duplicates and conflicts with the stored inventory):

* every failing row goes to `quarantined_rows` with the submitted value verbatim and the reason in
  Chinese and English; the good rows are promoted into `sponsors`, `apps`, `accounts`, `work_groups`
  with a change history in `inventory_history`;
* **quality gate**: a batch is *rejected* (nothing promoted, `import_batches.status = 'rejected'`,
  `message` in Chinese and English) when any *critical* expectation fails (e.g. a required column
  is missing, credit codes mangled by Excel) or when more than the allowed share of rows fails —
  5 % by default, Airflow Variable `fingertip_quality_max_bad_share` (e.g. `0.1`);
* the `gate` task of a rejected batch **fails** (`QualityGateRejected`, no retries) with that
  message and the batch's own downstream work stops; the good batches of the same run are still
  promoted, Data Docs still built, and the asset `fingertip://quality/inventory_validated` is
  emitted when at least one batch was promoted; then the last task, `outcome`, **fails** so the
  run ends red (failed) whenever a batch was rejected or could not be validated;
* the rejection report for the submitting unit (XLSX, a Chinese reason per row) lands in
  `out/quality/<batch id>/`, Data Docs in `out/quality/data_docs/index.html` (built on every run,
  whatever the verdicts).

Manual runs (Trigger DAG w/ config) can re-validate given batches, whatever their status, and
override the allowed share for that run: `{"batch_ids": [12], "max_bad_share": 0.1}` — e.g. after
the office accepted a file with more faulty rows than usual.

A separate `check_sources` task flags ingested snapshots whose row count fell by more than 20 %
against the previous one (`drift_findings`; a warning in the log) and runs the lighter suites
(`store_listings`, `filings`, `account_activity`) on the run day's ingested rows (reported in the
log and in Data Docs; nothing is quarantined).

The `validate` step is `ValidateInventoryOperator` (`fingertip.operators`, see `docs/operators.md`),
mapped over the pending batches; its **Fingertip output** link opens `out/quality/<batch id>/`.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from fingertip.assets import INVENTORY_STAGED, INVENTORY_VALIDATED
from fingertip.operators import ValidateInventoryOperator
from fingertip.runtime import START_DATE, default_args


@dag(
    dag_id="validate_inventory",
    schedule=[INVENTORY_STAGED],
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retries=1, retry_minutes=2, exponential=False),
    tags=["fingertip", "quality", "inventory"],
    doc_md=__doc__,
    params={
        "batch_ids": Param([], type="array", items={"type": "integer"},
                           description="re-validate these import batches (empty: every staged batch)"),
        "max_bad_share": Param(None, type=["null", "number"], minimum=0, maximum=1,
                               description="allowed share of bad rows for this run (empty: the Variable)"),
    },
)
def validate_inventory():
    @task
    def pending(**context) -> list[dict]:
        from fingertip.quality.validate import pending_batches
        from fingertip.runtime import store_engine

        return pending_batches(store_engine(), batch_ids=context["params"].get("batch_ids") or None)

    @task(map_index_template="{{ map_label }}", retries=0)
    def gate(verdict: dict) -> dict:
        from fingertip.quality.validate import QualityGateRejected
        from fingertip.runtime import label_map_index

        label_map_index(verdict["file_name"])
        if verdict["status"] == "rejected":
            raise QualityGateRejected(f"{verdict['message_zh']}\n{verdict['message_en']}")
        return {"batch_id": verdict["batch_id"], "good_rows": verdict["good_rows"], "bad_rows": verdict["bad_rows"]}

    @task(trigger_rule="all_done")
    def data_docs() -> str:
        from fingertip.config import output_path
        from fingertip.quality.suites import build_data_docs, load_results

        load_results(list(output_path("quality").glob("*/gx_result_*.json")))
        return build_data_docs()

    @task(outlets=[INVENTORY_VALIDATED], trigger_rule="all_done")
    def publish(verdicts: list[dict]) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        verdicts = [v for v in verdicts if v]
        promoted = [v["batch_id"] for v in verdicts if v["status"] == "promoted"]
        rejected = [v["batch_id"] for v in verdicts if v["status"] == "rejected"]
        if not promoted:
            raise AirflowSkipException(f"no batch promoted (rejected: {rejected}); no asset event")
        return {"promoted": promoted, "rejected": rejected}

    @task
    def check_sources(**context) -> dict:
        from fingertip.quality.drift import check_drift
        from fingertip.quality.ingested import validate_ingested
        from fingertip.runtime import interval_day, store_engine

        engine, day = store_engine(), interval_day(context)
        return {"drift": check_drift(engine, day), "ingested": validate_ingested(engine, day)}

    @task(trigger_rule="all_done", retries=0)
    def outcome(batches: list[dict], verdicts: list[dict]) -> dict:
        """The run's colour: failed (red) when a batch was rejected or has no verdict (its validate task
        failed: Airflow passes on only the verdicts that exist), after the good batches were promoted,
        Data Docs built and the asset published."""
        from fingertip.quality.validate import run_outcome

        return run_outcome(list(batches), list(verdicts))

    batches = pending()
    verdicts = ValidateInventoryOperator.partial(
        task_id="validate", pool="governance_store", map_index_template="{{ map_label }}",
        max_bad_share="{{ params.max_bad_share }}",
    ).expand(batch=batches).output
    gates = gate.expand(verdict=verdicts)
    sources = check_sources()
    docs = data_docs()
    [gates, sources] >> docs
    published = publish(verdicts)
    gates >> published
    [docs, published] >> outcome(batches, verdicts)


validate_inventory()
