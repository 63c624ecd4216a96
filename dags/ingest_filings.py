"""
### Ingest ICP/APP filings

Daily at 04:00 Beijing time. For every province with inventory apps, reads the ICP/APP filing
registry (`filing_registry` connection; MIIT fields: sponsor name and nature, entity and service
numbers, service name and type, review time, access restricted) and, where the feed provides it, the
national gov-app filing record (`gov_app_feed` extra, default on). Filings are upserted by kind and
service number and linked to the inventory app they file; a filing that turns `cancelled` gets its
cancellation time. Bulk CSV/XLSX exports of the registry dropped in `data/exports/filings/` are
read too. Emits `fingertip://ingest/filings`.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from fingertip.assets import FILINGS
from fingertip.runtime import START_DATE, default_args


@dag(
    dag_id="ingest_filings",
    schedule="0 4 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["fingertip", "ingest"],
    doc_md=__doc__,
)
def ingest_filings():
    @task
    def provinces() -> list[str]:
        from fingertip.runtime import store_engine
        from fingertip.sources.ingest import provinces_of
        from fingertip.store.schema import apps

        return provinces_of(store_engine(), apps)

    @task(pool="source_feeds", map_index_template="{{ map_label }}")
    def icp_filings(province: str, **context) -> dict:
        from fingertip.hooks.filings import FilingRegistryHook
        from fingertip.runtime import interval_day, label_map_index, store_engine
        from fingertip.sources.ingest import ingest_filings as run

        label_map_index(province)
        return run(store_engine(), FilingRegistryHook(), province=province, day=interval_day(context))

    @task(pool="source_feeds", map_index_template="{{ map_label }}")
    def gov_app_filings(province: str, **context) -> dict:
        from airflow.exceptions import AirflowSkipException

        from fingertip.hooks.filings import FilingRegistryHook
        from fingertip.runtime import interval_day, label_map_index, store_engine
        from fingertip.sources.ingest import ingest_filings as run

        label_map_index(province)
        hook = FilingRegistryHook()
        if not hook.extra("gov_app_feed", True):
            raise AirflowSkipException("the filing_registry connection does not provide the gov-app record")
        return run(store_engine(), hook, province=province, day=interval_day(context), kind="gov_app")

    @task(pool="governance_store")
    def bulk_exports(**context) -> list[dict]:
        from fingertip.runtime import interval_day, store_engine
        from fingertip.sources.exports import ingest_pending

        return ingest_pending(store_engine(), "filings", day=interval_day(context))

    @task(outlets=[FILINGS], trigger_rule="none_failed")
    def summarise(icp: list[dict], gov: list[dict], exports: list[dict]) -> dict:
        from fingertip.sources.summary import combine

        return combine(list(icp or []) + list(gov or []) + list(exports or []))

    provs = provinces()
    icp = icp_filings.expand(province=provs)
    exports = bulk_exports()
    icp >> exports
    summarise(icp, gov_app_filings.expand(province=provs), exports)


ingest_filings()
