"""IngestSourceOperator over real HTTP (loopback) against the stub source server.

The world is the hand-built one of ``tests/stub/conftest.py``; the governance store starts as a copy of
its inventory with every observed table empty (``tests/sources/test_ingest_over_stub.py``). The
operator opens the store through ``FINGERTIP_STORE_URL`` and the sources through ``AIRFLOW_CONN_*``,
as it does in a worker.
"""

from __future__ import annotations

import datetime as dt
import json
import types

import pendulum
import pytest
import sqlalchemy as sa
from tests.sources.test_ingest_over_stub import FAULTS, store, world  # noqa: F401  (fixtures)
from tests.stub.conftest import LAST_DAY

from fingertip.operators import IngestSourceOperator, Source
from fingertip.operators.ingest import PartitionsFailed
from fingertip.store import schema

SOURCE_CONNS = ("apple_itunes", "android_listing_feed", "filing_registry", "account_activity_feed")


@pytest.fixture
def env(store, world, tmp_path, monkeypatch):  # noqa: F811
    """The stub on a free port, the four source connections on it, the store and an exports folder."""
    from fingertip_dev.stub import StubServer

    monkeypatch.setenv("FINGERTIP_STORE_URL", store.url.render_as_string(hide_password=False))
    monkeypatch.setenv("FINGERTIP_EXPORTS_URL", (tmp_path / "exports").as_uri())
    with StubServer(world) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        for conn_id in SOURCE_CONNS:
            monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", _conn(host, port))
        yield types.SimpleNamespace(stub=server, store=store, exports=tmp_path / "exports", host=host, port=port,
                                    monkeypatch=monkeypatch)


def _conn(host, port, **extra) -> str:
    return json.dumps({"conn_type": "http", "host": host, "port": int(port), "schema": "http",
                       "extra": {"requests_per_minute": 0, "backoff_factor": 0.001, "max_attempts": 4,
                                 "read_timeout": 3, "batch_size": 2, "page_size": 5, **extra}})


def _context(day: dt.date = LAST_DAY, **extra) -> dict:
    """A scheduled run of ``day`` at 03:00 Beijing time (19:00 UTC the evening before)."""
    logical = pendulum.datetime(day.year, day.month, day.day, 3, tz="Asia/Shanghai").in_timezone("UTC")
    return {"logical_date": logical, "params": {}, **extra}


def _count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()


def _fail_requests_matching(stub, needle: str) -> None:
    """Make the stub answer 503 to every request whose path and query contain ``needle``."""
    from fingertip_dev.stub.faults import Fault

    injector = stub._injector
    original = injector.next_fault

    def next_fault(fp):
        knobs, fault = original(fp)
        return (knobs, Fault("error_5xx", 1, 0)) if needle in fp else (knobs, fault)

    injector.next_fault = next_fault


# --- construction ------------------------------------------------------------------------------

def test_one_source_vocabulary_pools_and_exports_defaults():
    assert [s.value for s in Source] == ["apple", "android", "filings", "gov_app", "activity"]
    apple = IngestSourceOperator(task_id="a", source="apple")
    android = IngestSourceOperator(task_id="b", source=Source.ANDROID)
    assert (apple.pool, apple.exports) == ("apple_itunes", None)
    assert (android.pool, android.exports) == ("source_feeds", "android")
    assert IngestSourceOperator(task_id="c", source="filings", exports=None).exports is None
    assert IngestSourceOperator(task_id="d", source="activity", pool="mine").pool == "mine"
    with pytest.raises(ValueError, match="unknown source"):
        IngestSourceOperator(task_id="e", source="itunes")
    with pytest.raises(ValueError, match="unknown exports kind"):
        IngestSourceOperator(task_id="f", source="android", exports="apple")
    with pytest.raises(TypeError):
        IngestSourceOperator("g", "apple")  # keyword-only


def test_partial_expand_keeps_the_source_pool():
    from airflow.sdk import DAG

    with DAG("mapped_ingest", schedule=None) as dag:
        IngestSourceOperator.partial(task_id="apple", source="apple").expand(partitions=[["440000"], ["110000"]])
        IngestSourceOperator.partial(task_id="android", source="android", map_index_template="{{ ingest_label }}"
                                     ).expand(partitions=[["huawei"], ["xiaomi"]])
    assert dag.get_task("apple").pool == "apple_itunes"
    assert dag.get_task("android").pool == "source_feeds"


def test_template_fields_render():
    from airflow.sdk import DAG

    with DAG("templated_ingest", schedule=None, params={"provinces": ["440000", "32"], "threshold": 3}):
        op = IngestSourceOperator(task_id="t", source="activity", conn_id="{{ params.conn }}",
                                  partitions="{{ params.provinces | join(',') }}", day="{{ ds }}",
                                  absence_threshold="{{ params.threshold }}")
    assert set(op.template_fields) >= {"partitions", "day", "absence_threshold", "conn_id"}
    op.render_template_fields({"params": {"provinces": ["440000", "32"], "threshold": 3, "conn": "feed_b"},
                               "ds": "2026-11-19"})
    assert (op.partitions, op.day, op.absence_threshold, op.conn_id) == ("440000,32", "2026-11-19", "3", "feed_b")
    assert op._given_partitions() == ["440000", "32"] and op._validate(["440000", "32"]) == ["440000", "320000"]
    assert op._day({}) == dt.date(2026, 11, 19) and op._threshold() == 3
    op.partitions = '["440000"]'
    assert op._given_partitions() == ["440000"]


# --- runs over the stub ------------------------------------------------------------------------

def test_android_walks_every_store_then_exports_and_rerun_adds_nothing(env):
    env.stub.set_faults(**FAULTS)
    (env.exports / "android").mkdir(parents=True)
    (env.exports / "android" / "late.csv").write_text(
        "store,package_name,app_name,developer,version,updated_at,downloads,rating,rating_count,available\n"
        "xiaomi,cn.gov.mi.pkg9,小米应用9,开发者,1.0,2026-11-01T00:00:00Z,10,4.0,3,true\n", encoding="utf-8")
    op = IngestSourceOperator(task_id="android", source="android")
    context = _context()
    summary = op.execute(context)
    assert summary["source"] == "android" and summary["day"] == LAST_DAY.isoformat()
    assert summary["partitions"] == ["huawei", "xiaomi", "oppo", "vivo", "honor", "yingyongbao"]
    assert summary["units"] == 7 and summary["requests_failed"] == 0  # six stores and one export file
    assert summary["present"] == 22 + 3 + 1 and summary["http"]["retries"] >= 1
    assert context["ingest_label"].startswith("android/huawei")
    assert not (env.exports / "android" / "late.csv").exists()
    assert (env.exports / "android" / "processed" / "late.csv").exists()
    snapshots, listings = _count(env.store, schema.listing_snapshots), _count(env.store, schema.store_listings)
    assert snapshots == listings == 23 + 3 + 1

    again = op.execute(_context())  # the same day again: replaced, never duplicated
    assert again["present"] == 25 and again["units"] == 6
    assert _count(env.store, schema.listing_snapshots) == snapshots
    assert _count(env.store, schema.listing_events) == 0


def test_one_failing_partition_keeps_the_others_and_fails_the_task_at_the_end(env):
    _fail_requests_matching(env.stub, "store=xiaomi")
    (env.exports / "android").mkdir(parents=True)
    (env.exports / "android" / "waiting.csv").write_text(
        "store,package_name,app_name\nhuawei,cn.gov.hw.pkg01,华为应用01\n", encoding="utf-8")
    op = IngestSourceOperator(task_id="android", source="android", partitions=["xiaomi", "huawei", "oppo"])
    with pytest.raises(PartitionsFailed) as caught:
        op.execute(_context())
    message = str(caught.value)
    assert "xiaomi" in message and "huawei" not in message.split("Errors:")[0]
    assert list(caught.value.failed) == ["xiaomi"]
    # the partitions after the failed one were written
    assert _count(env.store, schema.listing_snapshots, schema.listing_snapshots.c.listing_id.in_(
        sa.select(schema.store_listings.c.id).where(schema.store_listings.c.store == "huawei"))) == 23
    assert caught.value.summary["requests_failed"] >= 1 and caught.value.summary["present"] == 22
    assert (env.exports / "android" / "waiting.csv").exists()  # exports wait for a complete feed
    with env.store.connect() as conn:
        failed = conn.execute(sa.select(schema.fetch_log.c.endpoint).where(schema.fetch_log.c.status == "failed")).scalars()
        assert all("xiaomi" in e for e in failed)

    # the source recovers: the retry of the task writes the day once
    del env.stub._injector.next_fault
    before = _count(env.store, schema.listing_snapshots)
    summary = op.execute(_context())
    assert summary["requests_failed"] == 0 and summary["units"] == 4  # three stores and the export
    assert _count(env.store, schema.listing_snapshots) == before + 3  # only xiaomi's three were new


def test_provinces_derived_from_the_inventory_for_activity_and_filings(env):
    activity = IngestSourceOperator(task_id="activity", source="activity").execute(_context())
    assert activity["partitions"] == ["110000", "320000", "440000"]
    assert activity["activity_rows"] == 6  # one per account (wx-gap's is dated the day before)
    assert _count(env.store, schema.account_activity) == 6
    IngestSourceOperator(task_id="activity", source="activity").execute(_context())
    assert _count(env.store, schema.account_activity) == 6

    filings = IngestSourceOperator(task_id="filings", source="filings").execute(_context())
    assert filings["units"] == 3 and filings["new"] >= 1 and filings["requests_failed"] == 0
    gov = IngestSourceOperator(task_id="gov", source="gov_app", partitions=["44"]).execute(_context())
    assert gov["new"] == 3 and gov["partitions"] == ["440000"]


def test_gov_app_skipped_when_the_connection_does_not_provide_it(env):
    from airflow.sdk.exceptions import AirflowSkipException

    env.monkeypatch.setenv("AIRFLOW_CONN_FILING_REGISTRY", _conn(env.host, env.port, gov_app_feed=False))
    with pytest.raises(AirflowSkipException, match="gov_app_feed"):
        IngestSourceOperator(task_id="gov", source="gov_app").execute(_context())
    assert _count(env.store, schema.filings) == 0


def test_apple_packs_whole_batches_across_provinces_and_keeps_the_rate_limiter(env):
    op = IngestSourceOperator(task_id="apple", source="apple", batches_per_unit=1)
    hook = op.get_hook()
    op.get_hook = lambda: hook
    summary = op.execute(_context())
    # four inventory Apple ids (provinces 11, 32, 44 ×2) in batches of two: two requests, not three
    assert summary["ids"] == 4 and summary["units"] == 2 and summary["requests_ok"] == 2
    assert env.stub.counters()["requests"]["apple_lookup"] == 2
    assert summary["absent"] == 1  # 北京通 is unavailable
    assert hook.limiter is not None and op.pool == "apple_itunes"


def test_apple_rate_limit_of_the_connection_is_honoured(env):
    env.monkeypatch.setenv("AIRFLOW_CONN_APPLE_ITUNES", _conn(env.host, env.port, requests_per_minute=600))
    op = IngestSourceOperator(task_id="apple", source="apple")
    hook = op.get_hook()
    op.get_hook = lambda: hook
    hook._load()  # reads the connection (execute would do it on the first request)
    assert hook.limiter is not None and hook.limiter.interval == pytest.approx(0.1)  # 600 per minute from the connection's extras
    # A clock that stands still: every request after the first must wait its turn, whatever the
    # machine's load (a real clock lets a slow machine space the requests out by itself).
    sleeps: list[float] = []
    hook.limiter._clock, hook.limiter._sleep = (lambda: 0.0), sleeps.append
    op.execute(_context())
    asked = env.stub.counters()["requests"]["apple_lookup"]
    assert asked >= 2
    assert sleeps == pytest.approx([0.1 * k for k in range(1, asked)])


def test_manual_run_without_logical_date_uses_run_after(env):
    run_after = pendulum.datetime(2026, 11, 19, 20, 30, tz="UTC")  # 04:30 on the 20th in Beijing
    context = {"logical_date": None, "data_interval_end": None, "dag_run": types.SimpleNamespace(run_after=run_after)}
    summary = IngestSourceOperator(task_id="activity", source="activity", partitions=["440000"]).execute(context)
    assert summary["day"] == "2026-11-20"
    with env.store.connect() as conn:
        dates = set(conn.execute(sa.select(schema.account_activity.c.activity_date)).scalars())
    assert dates == {LAST_DAY}


def test_empty_inventory_skips_with_a_reason_and_empty_partitions_fail(env):
    from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

    with env.store.begin() as conn:
        conn.execute(sa.delete(schema.apps))
        conn.execute(sa.delete(schema.accounts))
    with pytest.raises(AirflowSkipException, match="no active inventory app with an Apple track id"):
        IngestSourceOperator(task_id="apple", source="apple").execute(_context())
    with pytest.raises(AirflowSkipException, match="no active inventory accounts.*no export waiting"):
        IngestSourceOperator(task_id="activity", source="activity").execute(_context())
    with pytest.raises(AirflowFailException, match="empty list and exports is None"):
        IngestSourceOperator(task_id="activity", source="activity", partitions=[], exports=None).execute(_context())
    with pytest.raises(AirflowSkipException, match="no partitions given and no export waiting in exports/activity"):
        IngestSourceOperator(task_id="activity", source="activity", partitions=[]).execute(_context())
    with pytest.raises(AirflowFailException, match="unknown store"):
        IngestSourceOperator(task_id="android", source="android", partitions=["appstore"]).execute(_context())
    assert env.stub.counters()["requests"] == {}  # nothing was asked


def test_empty_inventory_with_an_export_waiting_reads_it(env):
    with env.store.begin() as conn:
        conn.execute(sa.delete(schema.apps))
    (env.exports / "filings").mkdir(parents=True)
    (env.exports / "filings" / "bulk.csv").write_text(
        "serviceLicence,unitName,serviceName,serviceType,natureName,creditCode\n"
        "粤ICP备2099000001号-1A,阳江市人民政府办公室,阳江通,app,机关,11441700007280420Y\n", encoding="utf-8")
    summary = IngestSourceOperator(task_id="filings", source="filings").execute(_context())
    assert summary["partitions"] == [] and summary["units"] == 1 and summary["new"] == 1


def test_exports_only_after_a_fanned_out_feed(env):
    (env.exports / "android").mkdir(parents=True)
    (env.exports / "android" / "late.csv").write_text(
        "store,package_name,app_name\nhonor,cn.gov.honor.pkg1,荣耀应用1\n", encoding="utf-8")
    feed = IngestSourceOperator(task_id="android", source="android", exports=None, partitions=["huawei"])
    assert feed.execute(_context())["units"] == 1 and (env.exports / "android" / "late.csv").exists()
    summary = IngestSourceOperator(task_id="android_exports", source="android", partitions=[]).execute(_context())
    assert summary["units"] == 1 and summary["present"] == 1 and env.stub.counters()["requests"]["android_listings"] == 5


# --- a real Airflow run ----------------------------------------------------------------------------

DAG_FILE = """
import pendulum
from airflow.sdk import DAG, Param

from fingertip.assets import APP_STORE_LISTINGS
from fingertip.operators import IngestSourceOperator

with DAG("{dag_id}", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
         params={{"absence_threshold": Param(3, type="integer", minimum=1)}}):
    feed = IngestSourceOperator.partial(
        task_id="android", source="android", exports=None, map_index_template="{{{{ ingest_label }}}}",
        absence_threshold="{{{{ params.absence_threshold }}}}", outlets=[APP_STORE_LISTINGS],
    ).expand(partitions=[["huawei"], ["xiaomi", "oppo"]])
    exports = IngestSourceOperator(task_id="android_exports", source="android", partitions=[])
    apple = IngestSourceOperator(task_id="apple", source="apple", partitions="{{{{ ['440000'] | tojson }}}}")
    feed >> exports
"""

RUN = """
import sys, pendulum
from airflow.dag_processing.dagbag import DagBag

dag = DagBag(dag_folder=sys.argv[1]).get_dag(sys.argv[2])
run = dag.test(logical_date=None, run_after=pendulum.datetime(2026, 11, 19, 20, 30, tz="UTC"))
print("RUN", run.state, run.logical_date)
"""


@pytest.mark.airflow
@pytest.mark.slow
def test_airflow_run_fans_out_renders_templates_and_emits_the_asset_without_a_logical_date(
        env, airflow_env, tmp_path):
    """A manual run with ``logical_date: null`` (day from run_after, 04:30 on the 20th in Beijing)."""
    import os
    import uuid

    from tests.helpers import run_python

    from fingertip.assets import APP_STORE_LISTINGS

    dag_id = f"ingest_op_{uuid.uuid4().hex[:8]}"
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / f"{dag_id}.py").write_text(DAG_FILE.format(dag_id=dag_id), encoding="utf-8")
    (env.exports / "android").mkdir(parents=True)
    (env.exports / "android" / "late.csv").write_text(
        "store,package_name,app_name\nhonor,cn.gov.honor.pkg1,荣耀应用1\n", encoding="utf-8")
    run_env = {**airflow_env, **{k: v for k, v in os.environ.items() if k.startswith(("AIRFLOW_CONN_", "FINGERTIP_"))},
               "AIRFLOW__CORE__DAGS_FOLDER": str(dags)}
    # a fresh Python process: a fork of this Airflow configuration's warmed-up server (tests/helpers.py)
    proc = run_python(run_env, "-c", RUN, str(dags), dag_id, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "RUN success None" in out, out[-5000:]

    meta = sa.create_engine(airflow_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    with meta.connect() as conn:
        rows = conn.execute(sa.text("SELECT task_id, map_index, state, rendered_map_index FROM task_instance "
                                    "WHERE dag_id = :d"), {"d": dag_id}).all()
        events = conn.execute(sa.text("SELECT a.uri FROM asset_event e JOIN asset a ON a.id = e.asset_id "
                                      "WHERE e.source_dag_id = :d"), {"d": dag_id}).scalars().all()
    meta.dispose()
    states = {(t, m): (st, label) for t, m, st, label in rows}
    assert states[("android", 0)] == ("success", "android/huawei")
    assert states[("android", 1)] == ("success", "android/xiaomi…oppo (2)")
    assert states[("android_exports", -1)][0] == states[("apple", -1)][0] == "success"
    assert events == [APP_STORE_LISTINGS.uri] * 2  # one per mapped feed task
    with env.store.connect() as conn:
        days = set(conn.execute(sa.select(schema.listing_snapshots.c.snapshot_date)).scalars())
        apple_ids = set(conn.execute(sa.select(schema.store_listings.c.store_app_id)
                                     .where(schema.store_listings.c.store == "apple")).scalars())
    assert days == {LAST_DAY} and apple_ids == {"1000000001", "1000000005"}
    assert _count(env.store, schema.store_listings, schema.store_listings.c.store == "honor") == 1  # the export
