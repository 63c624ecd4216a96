"""
### Ingest app-store listings

Daily at 03:00 Beijing time, two tasks of `IngestSourceOperator` (docs/operators.md) that run side by
side:

* **`apple_lookup`** looks the inventory apps up in Apple's iTunes Lookup API — each as often as its
  risk tier asks (Art. 16; policy settings `tier_uses.monitoring_interval_days`, Fingertip defaults:
  high daily, medium weekly, low monthly; apps without a tier, absent at their last check or in a
  shutdown case daily) — (`apple_itunes`
  connection: several ids per request — ids are packed province by province into units of whole
  batches, so a run makes ⌈ids / batch_size⌉ requests —, client-side rate limit, `apple_itunes` pool
  with one slot, backoff on 403/429 honouring `Retry-After`);
* **`android_feed`** walks the Android listing feed of every store (`android_listing_feed`
  connection, `source_feeds` pool), then reads the Android CSV/XLSX exports dropped in
  `data/exports/android/` — after the feed, because the feed's complete walk decides absences.

Every answer becomes a dated snapshot in `listing_snapshots` (one per listing and day — re-running
a day replaces it, never duplicates). An app missing from a successful answer is recorded as
*absent*; after `absence_threshold` consecutive absences (default 2) a `delisted` event is raised, and
a `relisted` event when it returns. Version, name and developer changes become events. Failed
requests are logged in `fetch_log` and their ids are asked again on the next run; a bad response
never overwrites stored data. A province or store that cannot be read does not stop the others: the
task fails at the end naming it, and its retry re-runs the day. With no inventory app carrying an
Apple id, `apple_lookup` is skipped with the reason.

* **`apple_discovery`** (`DiscoverListingsOperator`, after `apple_lookup`, whatever it ended) finds
  Apple listings of government apps missing from the inventory: Lookup by the developer accounts of
  inventory apps and Search by sponsor name, rolling through them within the day's share of Apple's
  budget (what the lookups leave) and resuming where the last run stopped (docs/sources.md §1b).

`listings_complete` emits the asset `fingertip://ingest/app_store_listings` once, when the lookup,
the discovery and the Android feed are done and none failed (one event per complete run: detection
never sees half of the stores).
"""

from __future__ import annotations

from airflow.sdk import Param, dag

from fingertip.assets import APP_STORE_LISTINGS
from fingertip.operators import DiscoverListingsOperator, IngestSourceOperator
from fingertip.operators.ingest import IngestionCompleteOperator
from fingertip.runtime import START_DATE, cron, default_args


@dag(
    dag_id="ingest_app_store",
    schedule=cron("0 3 * * *"),
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
    lookup = IngestSourceOperator(task_id="apple_lookup", source="apple",
                                  absence_threshold="{{ params.absence_threshold }}")
    discovery = DiscoverListingsOperator(task_id="apple_discovery", trigger_rule="all_done")
    android = IngestSourceOperator(task_id="android_feed", source="android", exports="android",
                                   absence_threshold="{{ params.absence_threshold }}")
    lookup >> discovery
    [lookup, discovery, android] >> IngestionCompleteOperator(task_id="listings_complete",
                                                              outlets=[APP_STORE_LISTINGS])


ingest_app_store()
