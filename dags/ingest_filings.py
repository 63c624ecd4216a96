"""
### Ingest ICP/APP filings

Daily at 04:00 Beijing time, two tasks of `IngestSourceOperator` (docs/operators.md), `source_feeds`
pool. For every province with inventory apps, **`icp_filings`** reads the ICP/APP filing registry
(`filing_registry` connection; MIIT fields: sponsor name and nature, entity and service numbers,
service name and type, review time, access restricted), then the bulk CSV/XLSX exports of the
registry dropped in `data/exports/filings/`; **`gov_app_filings`** reads the national gov-app filing
record where the feed provides it — it is skipped when the connection's `gov_app_feed` extra is
false (default on). Filings are upserted by kind and service number and linked to the inventory app
they file; a filing that turns `cancelled` gets its cancellation time. A province that cannot be read
does not stop the others: the task fails at the end naming it, and its retry re-runs the day.

`filings_complete` emits `fingertip://ingest/filings` once, when both tasks are done and none failed.
"""

from __future__ import annotations

from airflow.sdk import dag

from fingertip.assets import FILINGS
from fingertip.operators import IngestSourceOperator
from fingertip.operators.ingest import IngestionCompleteOperator
from fingertip.runtime import START_DATE, cron, default_args


@dag(
    dag_id="ingest_filings",
    schedule=cron("0 4 * * *"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["fingertip", "ingest"],
    doc_md=__doc__,
)
def ingest_filings():
    sources = [IngestSourceOperator(task_id="icp_filings", source="filings", exports="filings"),
               IngestSourceOperator(task_id="gov_app_filings", source="gov_app", exports=None)]
    sources >> IngestionCompleteOperator(task_id="filings_complete", outlets=[FILINGS])


ingest_filings()
