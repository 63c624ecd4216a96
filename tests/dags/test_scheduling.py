"""Scheduling semantics a deployment can live with (issue 13, item 4), checked on the parsed and
serialized DAGs — what the scheduler itself works from:

* no DAG catches up, and unpausing a time-scheduled DAG never starts a run for a past time;
* the time schedules are Beijing time;
* each ingestion DAG emits its asset once per run, from one task after all its sources;
* detection starts on a coherent day: all three ingestion assets, or a promoted inventory — never
  after a single source.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pendulum
import pytest

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
BEIJING = "Asia/Shanghai"
# when each time-scheduled DAG is meant to run, Beijing time (from the DAGs' documentation)
EXPECTED_LOCAL_TIMES = {
    "ingest_app_store": (3, 0),
    "ingest_filings": (4, 0),
    "ingest_accounts": (5, 0),
    "shutdown_cases": (6, 0),
    "fingertip_store_maintenance": (0, 0),
}
INGESTION = {
    "ingest_app_store": "fingertip://ingest/app_store_listings",
    "ingest_filings": "fingertip://ingest/filings",
    "ingest_accounts": "fingertip://ingest/account_activity",
}
VALIDATED = "fingertip://quality/inventory_validated"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}, bag.import_errors
    return bag


@pytest.fixture(scope="module")
def serialized(dagbag):
    from airflow.serialization.serialized_objects import DagSerialization

    return {dag_id: DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))
            for dag_id, dag in dagbag.dags.items()}


def _time_scheduled(sdag) -> bool:
    from airflow.timetables.simple import AssetTriggeredTimetable, NullTimetable

    timetable = sdag.timetable  # AssetOrTimeSchedule is an AssetTriggeredTimetable with a time part
    if isinstance(timetable, NullTimetable):
        return False
    return not isinstance(timetable, AssetTriggeredTimetable) or hasattr(timetable, "timetable")


def test_catchup_is_off_everywhere(dagbag):
    assert dagbag.dags
    assert [d for d, dag in dagbag.dags.items() if dag.catchup] == []


def test_unpausing_starts_no_run_for_a_past_time(serialized):
    """What the scheduler computes for a DAG without automated runs yet (just unpaused): the first run
    must lie in the future. A run_after in the past would start at once (yesterday's 03:00 ingestion,
    last month's report)."""
    checked = []
    for dag_id, sdag in serialized.items():
        if not _time_scheduled(sdag):
            continue
        before = pendulum.now("UTC")
        info = sdag.next_dagrun_info(last_automated_run_info=None)
        assert info is not None, f"{dag_id}: no next run at all"
        assert info.run_after > before, f"{dag_id}: unpausing now would start a run for {info.run_after} at once"
        checked.append(dag_id)
    assert set(EXPECTED_LOCAL_TIMES) | {"periodic_report", "import_inventory", "sponsor_digests"} <= set(checked)


def test_time_schedules_are_beijing_time(serialized):
    for dag_id, (hour, minute) in EXPECTED_LOCAL_TIMES.items():
        info = serialized[dag_id].next_dagrun_info(last_automated_run_info=None)
        local = pendulum.instance(info.run_after).in_timezone(BEIJING)
        assert (local.hour, local.minute) == (hour, minute), f"{dag_id}: next run {local} (Beijing)"


def test_after_a_run_the_next_one_is_the_following_day_not_a_flood(serialized):
    """A scheduler that was down for three days runs the latest missed day once (catchup off)."""
    from airflow.timetables.base import DagRunInfo

    sdag = serialized["ingest_app_store"]
    last = pendulum.now(BEIJING).start_of("day").add(days=-3, hours=3).in_timezone("UTC")
    info = sdag.next_dagrun_info(last_automated_run_info=DagRunInfo.interval(last, last))
    now = pendulum.now("UTC")
    assert info.run_after > now - dt.timedelta(days=1), info
    assert info.run_after <= now + dt.timedelta(days=1)


@pytest.mark.parametrize("dag_id", sorted(INGESTION))
def test_each_ingestion_dag_emits_its_asset_from_one_task_after_all_sources(dagbag, dag_id):
    dag = dagbag.dags[dag_id]
    emitters = [t for t in dag.tasks if any(getattr(o, "uri", None) == INGESTION[dag_id] for o in t.outlets)]
    assert len(emitters) == 1, f"{dag_id}: {[t.task_id for t in emitters]} emit {INGESTION[dag_id]}"
    last = emitters[0]
    sources = [t for t in dag.tasks if t is not last]
    assert sources and set(last.upstream_task_ids) == {t.task_id for t in sources}
    assert last.trigger_rule == "none_failed_min_one_success"


def _detection_fires(sdag, updated: set[str]) -> bool:
    from airflow.assets.evaluation import AssetEvaluator

    condition = sdag.timetable.asset_condition
    statuses = {key: key.uri in updated for key, _ in condition.iter_assets()}
    assert {key.uri for key in statuses} == set(INGESTION.values()) | {VALIDATED}
    return AssetEvaluator(session=None).run(condition, statuses)  # type: ignore[arg-type]


@pytest.mark.parametrize("updated, fires", [
    (set(), False),
    ({INGESTION["ingest_app_store"]}, False),
    ({INGESTION["ingest_app_store"], INGESTION["ingest_filings"]}, False),
    ({INGESTION["ingest_filings"], INGESTION["ingest_accounts"]}, False),
    (set(INGESTION.values()), True),
    ({VALIDATED}, True),
])
def test_detection_waits_for_a_complete_day(serialized, updated, fires):
    assert _detection_fires(serialized["detect_findings"], updated) is fires
