"""
### Ingest official-account activity

Daily at 05:00 Beijing time. For every province with inventory accounts, reads the activity feed
(`account_activity_feed` connection): last post time, posts in the last 7/14/30 days, followers,
unanswered messages and the age of the oldest, whether an interaction channel exists. One row per
account and day in `account_activity` (re-running a day replaces it). Activity of accounts that are
not in the inventory is counted and logged. Platform CSV/XLSX exports dropped in
`data/exports/activity/` are read too. Emits `fingertip://ingest/account_activity`.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from fingertip.assets import ACCOUNT_ACTIVITY
from fingertip.runtime import START_DATE, default_args


@dag(
    dag_id="ingest_accounts",
    schedule="0 5 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["fingertip", "ingest"],
    doc_md=__doc__,
)
def ingest_accounts():
    @task
    def provinces() -> list[str]:
        from fingertip.runtime import store_engine
        from fingertip.sources.ingest import provinces_of
        from fingertip.store.schema import accounts

        return provinces_of(store_engine(), accounts)

    @task(pool="source_feeds", map_index_template="{{ map_label }}")
    def activity(province: str, **context) -> dict:
        from fingertip.hooks.activity import AccountActivityHook
        from fingertip.runtime import interval_day, label_map_index, store_engine
        from fingertip.sources.ingest import ingest_activity

        label_map_index(province)
        return ingest_activity(store_engine(), AccountActivityHook(), province=province, day=interval_day(context))

    @task(pool="governance_store")
    def platform_exports(**context) -> list[dict]:
        from fingertip.runtime import interval_day, store_engine
        from fingertip.sources.exports import ingest_pending

        return ingest_pending(store_engine(), "activity", day=interval_day(context))

    @task(outlets=[ACCOUNT_ACTIVITY])
    def summarise(results: list[dict], exports: list[dict]) -> dict:
        from fingertip.sources.summary import combine

        return combine(list(results) + list(exports))

    feed = activity.expand(province=provinces())
    exports = platform_exports()
    feed >> exports
    summarise(feed, exports)


ingest_accounts()
