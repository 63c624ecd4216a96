"""Helpers of the building-block tests: small DAG files run for real with ``airflow dags test``.

``dag.test()`` in this process cannot run a DAG defined in a test module (Airflow 3.3 only runs DAGs it
serialised from a bundle), so each test writes its DAG into a temporary DAGs folder and runs the Airflow
CLI on the session's migrated throw-away home (``airflow_env``), then reads the run's task states and
XComs from that home's metadata database.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.conftest import airflow_cmd
from tests.lifecycle.conftest import population, settings  # noqa: F401 (fixtures of the approval tests)
from tests.notifications.conftest import smtp_conn, smtp_port, smtp_server, sqlite_store  # noqa: F401 (mail fixtures)

HEADER = textwrap.dedent('''
    import pendulum
    from airflow.sdk import DAG, task

    START = pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai")
''')


@pytest.fixture
def dag_env(airflow_env, tmp_path):
    """Environment for one test's DAG runs: its own DAGs folder, governance store and outputs folder."""
    from fingertip.store import migrate

    dags = tmp_path / "dags"
    dags.mkdir()
    url = f"sqlite:///{tmp_path / 'store.db'}"
    migrate.upgrade(url)
    env = {**airflow_env, "AIRFLOW__CORE__DAGS_FOLDER": str(dags), "FINGERTIP_STORE_URL": url,
           "FINGERTIP_OUTPUT_URL": (tmp_path / "out").as_uri()}
    env.pop("FINGERTIP_CONSOLE_URL", None)
    return env


def out_dir(env) -> Path:
    return Path(env["FINGERTIP_OUTPUT_URL"].removeprefix("file://"))


def run_dag(env, dag_id: str, body: str, logical_date: str = "2026-11-20", conf: dict | None = None,
            timeout: int = 600) -> str:
    """Write ``HEADER + body`` as ``<dag_id>.py`` into the env's DAGs folder and ``airflow dags test`` it."""
    dags = Path(env["AIRFLOW__CORE__DAGS_FOLDER"])
    (dags / f"{dag_id}.py").write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    args = ["dags", "test", dag_id, logical_date]
    if conf:
        args += ["--conf", json.dumps(conf)]
    proc = airflow_cmd(env, *args, timeout=timeout)
    return proc.stdout + proc.stderr


def _meta(env) -> sa.Engine:
    return sa.create_engine(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])


def ti_states(env, dag_id: str) -> dict[str, str]:
    """State of each task instance of the DAG's latest run (``task[i]`` for mapped ones)."""
    engine = _meta(env)
    try:
        with engine.connect() as c:
            run_id = c.execute(sa.text("SELECT run_id FROM dag_run WHERE dag_id = :d ORDER BY id DESC LIMIT 1"),
                               {"d": dag_id}).scalar_one()
            rows = c.execute(sa.text("SELECT task_id, map_index, state FROM task_instance "
                                     "WHERE dag_id = :d AND run_id = :r"), {"d": dag_id, "r": run_id}).all()
    finally:
        engine.dispose()
    return {(t if m < 0 else f"{t}[{m}]"): s for t, m, s in rows}


def xcom(env, dag_id: str, task_id: str, key: str = "return_value", map_index: int = -1):
    """An XCom of the DAG's latest run as the metadata database holds it (None when absent)."""
    engine = _meta(env)
    try:
        with engine.connect() as c:
            value = c.execute(sa.text(
                "SELECT x.value FROM xcom x JOIN dag_run r ON r.id = x.dag_run_id WHERE x.dag_id = :d "
                "AND x.task_id = :t AND x.key = :k AND x.map_index = :m ORDER BY r.id DESC LIMIT 1"),
                {"d": dag_id, "t": task_id, "k": key, "m": map_index}).scalar_one_or_none()
    finally:
        engine.dispose()
    while isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError:
            break
    return value
