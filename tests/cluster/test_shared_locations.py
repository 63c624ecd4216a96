"""Hand-off locations are shared or refused (issue 13, item 2).

On a distributed executor a ``file://`` output, inbox or exports location that is not declared
shared is refused before any task does work — checked here on the resolver and on a real
``airflow dags test`` run configured with the CeleryExecutor.
"""

from __future__ import annotations

import json

import pytest

from fingertip import config

CELERY = "airflow.providers.celery.executors.celery_executor.CeleryExecutor"


@pytest.fixture
def locations(tmp_path, monkeypatch):
    monkeypatch.setenv("FINGERTIP_OUTPUT_URL", (tmp_path / "shared" / "out").as_uri())
    monkeypatch.setenv("FINGERTIP_INBOX_URL", (tmp_path / "shared" / "inbox").as_uri())
    monkeypatch.setenv("FINGERTIP_EXPORTS_URL", (tmp_path / "local" / "exports").as_uri())
    monkeypatch.delenv("FINGERTIP_SHARED_FILE_LOCATIONS", raising=False)
    return tmp_path


@pytest.mark.parametrize("executor, distributed", [
    ("LocalExecutor", None),
    ("SequentialExecutor", None),
    (CELERY, "CeleryExecutor"),
    ("LocalExecutor," + CELERY, "CeleryExecutor"),
    ("KubernetesExecutor", "KubernetesExecutor"),
    ("my_alias:my.module.CustomExecutor", "CustomExecutor"),
])
def test_distributed_executor_read_from_airflow_configuration(monkeypatch, executor, distributed):
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", executor)
    assert config.distributed_executor() == distributed


def test_local_executor_accepts_local_folders(locations, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")
    config.check_shared_locations()


def test_celery_refuses_every_undeclared_local_location_naming_it(locations, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", CELERY)
    with pytest.raises(config.ConfigurationError) as err:
        config.check_shared_locations()
    message = str(err.value)
    for name in ("output_url", "inbox_url", "exports_url"):
        assert name in message
    assert "CeleryExecutor" in message and "shared_file_locations" in message


def test_declared_shared_folders_are_accepted_and_only_the_rest_is_refused(locations, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", CELERY)
    monkeypatch.setenv("FINGERTIP_SHARED_FILE_LOCATIONS", (locations / "shared").as_uri())
    assert set(config.unshared_locations()) == {"exports_url"}
    # a sibling folder whose name merely starts with the prefix is not inside it
    monkeypatch.setenv("FINGERTIP_SHARED_FILE_LOCATIONS", str(locations / "sha"))
    assert set(config.unshared_locations()) == {"output_url", "inbox_url", "exports_url"}
    monkeypatch.setenv("FINGERTIP_SHARED_FILE_LOCATIONS", f"{locations / 'shared'}, {locations / 'local'}")
    assert config.unshared_locations() == {}
    monkeypatch.setenv("FINGERTIP_SHARED_FILE_LOCATIONS", "true")
    config.check_shared_locations()


def test_object_storage_needs_no_declaration(locations, monkeypatch):
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", CELERY)
    for var in ("FINGERTIP_OUTPUT_URL", "FINGERTIP_INBOX_URL", "FINGERTIP_EXPORTS_URL"):
        monkeypatch.setenv(var, "s3://aws_default@bucket/fingertip/" + var.lower())
    assert config.unshared_locations() == {}


def test_the_option_is_in_the_providers_config_section():
    from fingertip.provider import get_provider_info

    options = get_provider_info()["config"]["fingertip"]["options"]
    assert "shared_file_locations" in options
    assert "NFS" in options["shared_file_locations"]["description"]


def test_every_dag_task_checks_the_locations_before_it_runs():
    from airflow.dag_processing.dagbag import DagBag
    from tests.dags.test_dag_integrity import DAGS_DIR

    from fingertip.runtime import check_locations

    bag = DagBag(dag_folder=str(DAGS_DIR))

    def hook(task):  # a mapped task keeps its operator arguments in partial_kwargs
        if hasattr(task, "partial_kwargs"):
            return task.partial_kwargs.get("pre_execute")
        return task._pre_execute_hook

    missing = [f"{d}.{t.task_id}" for d, dag in bag.dags.items() for t in dag.tasks if hook(t) is not check_locations]
    assert missing == []


@pytest.mark.airflow
@pytest.mark.slow
def test_a_real_run_on_celery_with_local_locations_fails_at_its_first_task(airflow_env, tmp_path):
    """``airflow dags test`` with the CeleryExecutor configured: the first task refuses, nothing runs."""
    from tests.conftest import airflow_cmd

    env = {**airflow_env, "AIRFLOW__CORE__EXECUTOR": CELERY}
    env.pop("FINGERTIP_SHARED_FILE_LOCATIONS", None)
    proc = airflow_cmd(env, "dags", "test", "fingertip_store_maintenance", "2026-12-01", timeout=600)
    out = proc.stdout + proc.stderr
    assert "not declared shared" in out, out[-3000:]
    assert "output_url" in out
    listed = airflow_cmd(env, "tasks", "states-for-dag-run", "fingertip_store_maintenance",
                         "manual__2026-12-01T00:00:00+00:00", "-o", "json")
    if listed.returncode == 0 and listed.stdout.strip().startswith("["):
        states = {row["task_id"]: row["state"] for row in json.loads(listed.stdout)}
        assert states.get("check_store_schema") == "failed"
        assert states.get("write_overview") != "success"
