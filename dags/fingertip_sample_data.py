"""
### Sample data (development and demos)

Manual. Generates a deterministic, national-scale sample population — sponsoring units with valid
credit codes, apps on iOS and Android stores, mini-programs and quick apps with ICP/APP filings,
official accounts with 30 days of activity, work groups — with **planted known truths** (stale
accounts, zombie and shell apps, duplicates, forced features, missing filings, delisted apps,
invalid inventory rows) and a ground-truth manifest (`data/sample/ground_truth.jsonl`) to score
detection against.

Params:
- `entities` — apps + accounts + work groups (10k for CI, 200k ≈ a large province, 1M ≈ national);
- `seed` — same seed, same population;
- `as_of` — the date the data describe (default: the run's date);
- `mode` — `world` (default): the population goes into the *world* database that the stub source
  server serves (`FINGERTIP_WORLD_URL`, default `data/sample/world.db`) and only the inventory is
  published into the governance store, which then learns listings, filings and activity through the
  ingestion DAGs; `store`: everything straight into the governance store;
- `deliver_to_inbox` — also drop the generated inventory spreadsheets into the import inbox.

A previous sample is replaced; data of other origins in the store is kept.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from fingertip.assets import SAMPLE_POPULATION
from fingertip.runtime import START_DATE, default_args


@dag(
    dag_id="fingertip_sample_data",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retries=0),
    params={
        "entities": Param(10_000, type="integer", minimum=100, maximum=2_000_000),
        "seed": Param(20261123, type="integer"),
        "as_of": Param(None, type=["null", "string"], format="date", description="YYYY-MM-DD; default: run date"),
        "mode": Param("world", enum=["world", "store"]),
        "deliver_to_inbox": Param(True, type="boolean"),
    },
    tags=["fingertip", "dev"],
    doc_md=__doc__,
)
def fingertip_sample_data():
    @task(outlets=[SAMPLE_POPULATION], pool="governance_store")
    def generate(params=None, **context) -> dict:
        from fingertip.runtime import interval_day
        from fingertip_dev.sample.tasks import generate_sample

        as_of = pendulum.parse(params["as_of"]).date() if params.get("as_of") else interval_day(context)
        return generate_sample(entities=params["entities"], seed=params["seed"], as_of=as_of,
                               mode=params["mode"], deliver_to_inbox=params["deliver_to_inbox"])

    generate()


fingertip_sample_data()
