"""Real Airflow runs (``airflow dags test``) of the sample-data and ingestion DAGs against the stub.

One module-scoped world: the sample DAG generates it (mode ``world``) and publishes the inventory;
the stub source server serves it; the ingestion DAGs fetch two days of listings, the filings, the
activity and the inventory spreadsheets the sample delivered to the inbox.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.conftest import ROOT, airflow_cmd
from tests.helpers import load_airflow_settings

from fingertip.store import schema

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAY0, DAY1 = "2026-06-29", "2026-06-30"


def _dags_test(env, dag_id, logical_date, conf=None):
    args = ["dags", "test", dag_id, logical_date]
    if conf:
        args += ["--conf", json.dumps(conf)]
    proc = airflow_cmd(env, *args, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "state=success" in out, out[-4000:]
    return out


@pytest.fixture(scope="module")
def pipeline(airflow_env, tmp_path_factory):
    from fingertip_dev.stub.process import start_subprocess, stop_subprocess

    env = dict(airflow_env)
    data = Path(env["FINGERTIP_DATA_DIR"])
    env["FINGERTIP_STORE_URL"] = f"sqlite:///{data / 'fingertip.db'}"
    proc = airflow_cmd(env, "version")  # make sure the CLI works in this environment
    assert proc.returncode == 0, proc.stderr
    load_airflow_settings(env, ROOT / "airflow_settings.yaml")
    _dags_test(env, "fingertip_sample_data", DAY1,
               {"entities": 800, "seed": 99, "as_of": DAY1, "mode": "world", "deliver_to_inbox": True})
    stub, base_url = start_subprocess(data / "sample" / "world.db", 0,
                                      log_path=tmp_path_factory.mktemp("stub") / "stub.log")
    port = int(base_url.rsplit(":", 1)[1])
    for conn_id in ("apple_itunes", "android_listing_feed", "filing_registry", "account_activity_feed"):
        env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps({
            "conn_type": "http", "host": "127.0.0.1", "port": port, "schema": "http",
            "extra": {"requests_per_minute": 0, "backoff_factor": 0.01}})
    try:
        yield env, data
    finally:
        stop_subprocess(stub)


def _engine(data: Path):
    from fingertip.store.engine import create_store_engine

    return create_store_engine(f"sqlite:///{data / 'fingertip.db'}")


def _count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()


def test_sample_dag_published_the_inventory_only(pipeline):
    _env, data = pipeline
    engine = _engine(data)
    assert _count(engine, schema.apps) > 100 and _count(engine, schema.accounts) > 300
    assert _count(engine, schema.store_listings) == 0 and _count(engine, schema.filings) == 0  # learnt by ingestion
    assert (data / "sample" / "ground_truth.jsonl").exists()
    assert any((data / "inbox").iterdir())


def test_app_store_ingestion_two_days_raises_delistings_and_is_idempotent(pipeline):
    env, data = pipeline
    _dags_test(env, "ingest_app_store", DAY0)
    _dags_test(env, "ingest_app_store", DAY1)
    engine = _engine(data)
    snaps = _count(engine, schema.listing_snapshots)
    # listings the daily lookups and feeds track (discovered ones are seen when discovery passes them)
    discovered = sa.select(schema.listing_discoveries.c.listing_id)
    tracked = _count(engine, schema.store_listings, schema.store_listings.c.id.not_in(discovered))
    tracked_snaps = _count(engine, schema.listing_snapshots, schema.listing_snapshots.c.listing_id.not_in(discovered))
    assert tracked_snaps == 2 * tracked > 0
    absent_both = _count(engine, schema.listing_snapshots, schema.listing_snapshots.c.present.is_(False),
                         schema.listing_snapshots.c.snapshot_date == sa.func.date(DAY1))
    delisted = _count(engine, schema.listing_events, schema.listing_events.c.event_type == "delisted")
    assert delisted > 0 and delisted <= absent_both
    _dags_test(env, "ingest_app_store", DAY1)  # the same day again: nothing new
    assert _count(engine, schema.listing_snapshots) == snaps
    assert _count(engine, schema.listing_events, schema.listing_events.c.event_type == "delisted") == delisted


def test_filings_activity_and_inventory_import(pipeline):
    env, data = pipeline
    _dags_test(env, "ingest_filings", DAY1)
    _dags_test(env, "ingest_accounts", DAY1)
    _dags_test(env, "import_inventory", DAY1)
    engine = _engine(data)
    assert _count(engine, schema.filings, schema.filings.c.app_id.is_not(None)) > 50
    assert _count(engine, schema.account_activity) == _count(engine, schema.accounts)
    assert _count(engine, schema.import_batches) >= 3 and _count(engine, schema.inventory_staging) > 100
    assert not any(p.is_file() for p in (data / "inbox").iterdir())
    assert any((data / "processed").iterdir())
