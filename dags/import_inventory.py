"""
### Import inventory spreadsheets (台账)

Every 30 minutes. Looks in the inbox folder (`FINGERTIP_INBOX_URL`, default `data/inbox/`) for
spreadsheets submitted by units — XLSX, or CSV in UTF-8, UTF-8 with BOM or GBK/GB18030, with the
Chinese column names units use and their common synonyms. Each file is one import batch, identified
by its SHA-256 checksum: the same file is never imported twice. Rows are parsed and staged in
`inventory_staging` (validation is the next step); the file is moved to `processed/` or, when it
cannot be read at all, to `rejected/`, with a JSON report beside it. Emits
`fingertip://ingest/inventory_staged` when at least one batch was staged.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from fingertip.assets import INVENTORY_STAGED
from fingertip.runtime import START_DATE, cron, default_args


@dag(
    dag_id="import_inventory",
    schedule=cron("*/30 * * * *"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retries=1, retry_minutes=2, exponential=False),
    tags=["fingertip", "ingest", "inventory"],
    doc_md=__doc__,
)
def import_inventory():
    @task
    def list_inbox() -> list[str]:
        from fingertip.inventory import inbox_url
        from fingertip.inventory.importer import scan_inbox

        files = [str(p) for p in scan_inbox(inbox_url())]  # URLs: the mapped tasks may run on other workers
        if not files:
            from airflow.sdk.exceptions import AirflowSkipException

            # said in the run's result (skipped, with the location), never a green run that imported nothing
            raise AirflowSkipException(f"no spreadsheet waiting in the inbox {inbox_url()}: nothing to import")
        return files

    @task(map_index_template="{{ map_label }}", pool="governance_store")
    def import_file(path: str, **context) -> dict:
        import os

        from fingertip.inventory.importer import import_file as run
        from fingertip.runtime import label_map_index, store_engine

        label_map_index(os.path.basename(path))
        return run(store_engine(), path).report

    @task(outlets=[INVENTORY_STAGED])
    def summarise(reports: list[dict]) -> dict:
        from collections import Counter

        reports = list(reports)
        by_status = Counter(r.get("status") for r in reports)
        return {"files": len(reports), **by_status}

    summarise(import_file.expand(path=list_inbox()))


import_inventory()
