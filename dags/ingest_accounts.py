"""
### Ingest official-account activity

Daily at 05:00 Beijing time, one `IngestSourceOperator` task (docs/operators.md), `source_feeds`
pool. For every province with inventory accounts, reads the activity feed
(`account_activity_feed` connection): last post time, posts in the last 7/14/30 days, followers,
unanswered messages and the age of the oldest, whether an interaction channel exists. One row per
account and day in `account_activity` (re-running a day replaces it). Activity of accounts that are
not in the inventory is counted and logged. Platform CSV/XLSX exports dropped in
`data/exports/activity/` are read after the feed. A province that cannot be read does not stop the
others: the task fails at the end naming it, and its retry re-runs the day. `activity_complete` emits
`fingertip://ingest/account_activity` once the task succeeded.
"""

from __future__ import annotations

from airflow.sdk import dag

from fingertip.assets import ACCOUNT_ACTIVITY
from fingertip.operators import IngestSourceOperator
from fingertip.operators.ingest import IngestionCompleteOperator
from fingertip.runtime import START_DATE, cron, default_args


@dag(
    dag_id="ingest_accounts",
    schedule=cron("0 5 * * *"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["fingertip", "ingest"],
    doc_md=__doc__,
)
def ingest_accounts():
    (IngestSourceOperator(task_id="activity", source="activity", exports="activity")
     >> IngestionCompleteOperator(task_id="activity_complete", outlets=[ACCOUNT_ACTIVITY]))


ingest_accounts()
