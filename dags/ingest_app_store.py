"""
### Ingest app-store listings

Daily at 03:00 Beijing time. Looks every inventory app up in Apple's
iTunes Lookup API (`apple_itunes` connection: several ids per request — ids are packed province
by province into units of whole batches, so a run makes ⌈ids / batch_size⌉ requests —, client-side rate limit,
`apple_itunes` pool with one slot, backoff on 403/429 honouring `Retry-After`), and walks the
Android listing feed of each store (`android_listing_feed` connection).

Every answer becomes a dated snapshot in `listing_snapshots` (one per listing and day — re-running
a day replaces it, never duplicates). An app missing from a successful answer is recorded as
*absent*; after `absence_threshold` consecutive absences (default 2) a `delisted` event is raised, and
a `relisted` event when it returns. Version, name and developer changes become events. Failed
requests are logged in `fetch_log` and their ids are asked again on the next run; a bad response
never overwrites stored data. Android CSV/XLSX exports dropped in `data/exports/android/` are
read after the feed. Emits the asset `fingertip://ingest/app_store_listings`.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from fingertip.assets import APP_STORE_LISTINGS
from fingertip.runtime import START_DATE, default_args

ANDROID_STORES = ["huawei", "xiaomi", "oppo", "vivo", "honor", "yingyongbao"]


@dag(
    dag_id="ingest_app_store",
    schedule="0 3 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    params={"absence_threshold": Param(2, type="integer", minimum=1, maximum=30,
                                       description="consecutive absences before a delisting event")},
    tags=["fingertip", "ingest"],
    doc_md=__doc__,
)
def ingest_app_store():
    @task
    def apple_units() -> list[dict]:
        from fingertip.hooks.apple import AppleLookupHook
        from fingertip.runtime import store_engine
        from fingertip.sources.ingest import apple_lookup_units

        return apple_lookup_units(store_engine(), batch_size=AppleLookupHook().batch_size)

    @task(pool="apple_itunes", map_index_template="{{ map_label }}")
    def apple_lookup(unit: dict, params=None, **context) -> dict:
        from fingertip.hooks.apple import AppleLookupHook
        from fingertip.runtime import interval_day, label_map_index, store_engine
        from fingertip.sources.ingest import ingest_apple

        label_map_index(unit["label"])
        return ingest_apple(store_engine(), AppleLookupHook(), ids=unit["ids"], unit=unit["label"],
                            day=interval_day(context), absence_threshold=params["absence_threshold"])

    @task(pool="source_feeds", map_index_template="{{ map_label }}")
    def android_feed(store: str, params=None, **context) -> dict:
        from fingertip.hooks.android import AndroidFeedHook
        from fingertip.runtime import interval_day, label_map_index, store_engine
        from fingertip.sources.ingest import ingest_android

        label_map_index(store)
        return ingest_android(store_engine(), AndroidFeedHook(), store=store, day=interval_day(context),
                              absence_threshold=params["absence_threshold"])

    @task(pool="governance_store")
    def android_exports(**context) -> list[dict]:
        from fingertip.runtime import interval_day, store_engine
        from fingertip.sources.exports import ingest_pending

        return ingest_pending(store_engine(), "android", day=interval_day(context))

    @task(outlets=[APP_STORE_LISTINGS])
    def summarise(apple: list[dict], android: list[dict], exports: list[dict]) -> dict:
        from fingertip.sources.summary import combine

        return combine(list(apple) + list(android) + list(exports))

    android = android_feed.expand(store=ANDROID_STORES)
    exports = android_exports()
    android >> exports  # exports after the feed: the feed's complete walk decides absences
    summarise(apple_lookup.expand(unit=apple_units()), android, exports)


ingest_app_store()
