"""
### Governance store maintenance

Daily. Checks that the governance store is migrated to the code's revision, refreshes the pinned
GB/T 2260 division snapshot in the `divisions` table (idempotent upsert), and writes an overview
of the store — row counts per table and active apps, accounts and work groups per province — to
`<outputs>/overview/store_overview_<date>.json` (the run's Beijing date).

The store is chosen by `FINGERTIP_STORE_URL`, else the `fingertip_store` connection, else the
embedded SQLite file `data/fingertip.db`. If the check fails, run `make store`.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from fingertip.assets import STORE_OVERVIEW
from fingertip.runtime import START_DATE, cron, default_args


@dag(
    dag_id="fingertip_store_maintenance",
    schedule=cron("@daily"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retry_minutes=5, exponential=False),
    tags=["fingertip", "store"],
    doc_md=__doc__,
)
def fingertip_store_maintenance():
    @task
    def check_store_schema() -> str:
        from fingertip.hooks.store import StoreHook
        from fingertip.store.maintenance import check_schema

        return check_schema(StoreHook().get_uri())

    @task
    def refresh_divisions() -> int:
        from fingertip.hooks.store import StoreHook
        from fingertip.reference import load_divisions_into_store

        return load_divisions_into_store(StoreHook().get_engine())

    @task(outlets=[STORE_OVERVIEW])
    def write_overview(**context) -> str:
        from fingertip import config
        from fingertip.hooks.store import StoreHook
        from fingertip.runtime import interval_day
        from fingertip.store.maintenance import overview, write_json

        # the run's Beijing date, also for a run triggered with logical_date null (no "None" in names)
        day = interval_day(context).isoformat()
        return write_json(config.output_path("overview", f"store_overview_{day}.json"),
                          overview(StoreHook().get_engine()))

    check_store_schema() >> refresh_divisions() >> write_overview()


fingertip_store_maintenance()
