"""A real ``airflow dags test`` run of validate_inventory: one good batch promoted, one rejected by the gate."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from tests.conftest import ROOT, airflow_cmd
from tests.helpers import load_airflow_settings
from tests.quality.helpers import app_csv

from fingertip.store import schema

pytestmark = [pytest.mark.airflow, pytest.mark.slow]


def test_validate_inventory_dag_run(airflow_env, tmp_path):
    from fingertip.inventory.importer import import_file
    from fingertip.store import migrate
    from fingertip.store.engine import create_store_engine

    env = dict(airflow_env)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env["FINGERTIP_STORE_URL"] = url
    out = tmp_path / "out"
    env["FINGERTIP_OUTPUT_URL"] = out.as_uri()
    env["AIRFLOW_VAR_FINGERTIP_QUALITY_MAX_BAD_SHARE"] = "0.05"
    load_airflow_settings(env, ROOT / "airflow_settings.yaml")
    migrate.upgrade(url)
    engine = create_store_engine(url)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.csv").write_bytes(app_csv(30))
    (inbox / "bad.csv").write_bytes(app_csv(10, {1: {5: "000001"}, 2: {5: "000002"}}))  # 20 % bad
    ids = {p.name: import_file(engine, p).batch_id for p in sorted(inbox.iterdir())}

    proc = airflow_cmd(env, "dags", "test", "validate_inventory", "2026-11-23", timeout=900)
    log = proc.stdout + proc.stderr
    assert "QualityGateRejected" in log and "未通过质量闸门" in log, log[-4000:]
    with engine.connect() as c:
        status = dict(c.execute(sa.select(schema.import_batches.c.id, schema.import_batches.c.status)).all())
        assert c.execute(sa.select(sa.func.count()).select_from(schema.apps)).scalar_one() == 30
    engine.dispose()
    assert status[ids["good.csv"]] == "promoted" and status[ids["bad.csv"]] == "rejected"
    assert (out / "quality" / "data_docs" / "index.html").exists()
    assert list((out / "quality" / str(ids["bad.csv"])).glob("*.xlsx"))
    # issue 14 item 15: a rejected batch ends the run failed (red), though the good batch was promoted
    # and Data Docs were built above
    assert _run_state(env, "2026-11-23", nth=0) == "failed", log[-4000:]

    # ops re-validate the rejected batch with a looser gate for this run (manual trigger with conf)
    proc = airflow_cmd(env, "dags", "test", "validate_inventory", "2026-11-24", "--conf",
                       json.dumps({"batch_ids": [ids["bad.csv"]], "max_bad_share": 0.25}), timeout=900)
    log = proc.stdout + proc.stderr
    assert "QualityGateRejected" not in log, log[-4000:]
    engine = create_store_engine(url)
    with engine.connect() as c:
        status = dict(c.execute(sa.select(schema.import_batches.c.id, schema.import_batches.c.status)).all())
        apps = c.execute(sa.select(sa.func.count()).select_from(schema.apps)).scalar_one()
        good_rows = c.execute(sa.select(schema.import_batches.c.good_rows)
                              .where(schema.import_batches.c.id == ids["bad.csv"])).scalar_one()
    engine.dispose()
    # its 8 good rows are apps the good file already registered: updated in place, not duplicated
    assert status[ids["bad.csv"]] == "promoted" and good_rows == 8 and apps == 30, log[-6000:]
    assert _run_state(env, "2026-11-24", nth=1) == "success", log[-4000:]


def _run_state(env, day: str, *, nth: int) -> str:
    """State of the validate_inventory run of ``day`` in the Airflow metadata database.

    The DAG is asset-scheduled, so its runs may carry no logical date: a run is found by its date
    where it has one, else as the ``nth`` run in the order they were made."""
    proc = airflow_cmd(env, "dags", "list-runs", "validate_inventory", "-o", "json")
    text = proc.stdout
    runs = json.loads(text[text.index("["):text.rindex("]") + 1])
    dated = [r["state"] for r in runs if day in str(r.get("logical_date")) or day in str(r.get("run_id"))]
    if dated:
        assert len(dated) == 1, (day, runs)
        return dated[0]
    ordered = sorted(runs, key=lambda r: str(r.get("run_after") or r.get("start_date")))
    assert len(ordered) > nth, (day, runs)
    return ordered[nth]["state"]


def test_a_batch_whose_validation_failed_ends_the_run_failed(airflow_env, tmp_path):
    """One batch's validate task crashes (its staged rows cannot be read): Airflow passes ``outcome`` only
    the other batch's verdict, and the run must still end failed — a missing verdict is never a pass."""
    from fingertip.inventory.importer import import_file
    from fingertip.store import migrate
    from fingertip.store.engine import create_store_engine

    env = dict(airflow_env)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env["FINGERTIP_STORE_URL"] = url
    env["FINGERTIP_OUTPUT_URL"] = (tmp_path / "out").as_uri()
    load_airflow_settings(env, ROOT / "airflow_settings.yaml")
    migrate.upgrade(url)
    engine = create_store_engine(url)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a_good.csv").write_bytes(app_csv(30))
    (inbox / "b_broken.csv").write_bytes(app_csv(5))
    ids = {p.name: import_file(engine, p).batch_id for p in sorted(inbox.iterdir())}
    with engine.begin() as c:  # the staged rows of one batch become unreadable JSON: its validate task fails
        c.execute(sa.text("UPDATE inventory_staging SET data = '{broken' WHERE batch_id = :b"),
                  {"b": ids["b_broken.csv"]})

    proc = airflow_cmd(env, "dags", "test", "validate_inventory", "2026-11-25", timeout=900)
    log = proc.stdout + proc.stderr
    with engine.connect() as c:
        status = dict(c.execute(sa.select(schema.import_batches.c.id, schema.import_batches.c.status)).all())
    engine.dispose()
    assert status[ids["a_good.csv"]] == "promoted" and status[ids["b_broken.csv"]] == "staged", log[-4000:]
    assert _run_state(env, "2026-11-25", nth=0) == "failed", log[-4000:]
    assert "b_broken.csv (batch" in log and "no verdict" in log, log[-6000:]
    # the crashed validate task was retried (the DAG's retries=1) before the run gave up on it; the test
    # deployment's cluster policy (tests/airflow_home_config) only shortens the wait for that retry
    assert _failed_tries(env, "validate") == [2], log[-6000:]


def _failed_tries(env, task_id: str) -> list[int]:
    """``try_number`` of each failed ``task_id`` instance of the latest validate_inventory run."""
    meta = sa.create_engine(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    try:
        with meta.connect() as c:
            run_id = c.execute(sa.text("SELECT run_id FROM dag_run WHERE dag_id = 'validate_inventory' "
                                       "ORDER BY id DESC LIMIT 1")).scalar_one()
            return sorted(c.execute(sa.text(
                "SELECT try_number FROM task_instance WHERE dag_id = 'validate_inventory' AND run_id = :r "
                "AND task_id = :t AND state = 'failed'"), {"r": run_id, "t": task_id}).scalars())
    finally:
        meta.dispose()
