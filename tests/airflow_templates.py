"""A migrated Airflow home built once per test run and copied by the modules that need one.

``airflow db migrate`` in a fresh home costs ≈ 4 s of CPU (Airflow's import and its migrations) and gives
every home the same result: ``airflow.db`` with the schema at Airflow's head revision, the default pool
and the log templates, and the default ``airflow.cfg`` (paths under the home, a new Fernet key).
``copy_migrated_airflow_home(tmp_path_factory, home)`` runs it once for the whole run — all pytest-xdist
workers share it, under the run's temporary root, built under a file lock — and copies both files into
``home``: the database as it is, ``airflow.cfg`` with the template's path replaced by ``home`` (every
copy has the template's Fernet key; each would have had its own random one).

The migration runs with a scrubbed environment (no ``AIRFLOW*`` variable of the caller, no examples),
so the result does not depend on which module asked first.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _run_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's temporary root: shared by the xdist workers (each has its own basetemp below it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def migrated_airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's migrated Airflow home (SQLite): copy it with :func:`copy_migrated_airflow_home`."""
    from importlib.metadata import version

    folder = _run_root(tmp_path_factory) / f"airflow-home-template-{version('apache-airflow-core')}"
    folder.mkdir(exist_ok=True)
    home, ready = folder / "home", folder / "ready"
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir()
            env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
            env.update(AIRFLOW_HOME=str(home), AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
                       AIRFLOW__CORE__LOAD_EXAMPLES="False")
            proc = subprocess.run([str(Path(sys.executable).parent / "airflow"), "db", "migrate"], env=env, cwd=home,
                                  capture_output=True, text=True, timeout=600, check=False)
            assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
            assert (home / "airflow.db").is_file() and (home / "airflow.cfg").is_file(), sorted(os.listdir(home))
            ready.write_text("ok\n")  # last: a failed build is redone by the next caller
    return home


def copy_migrated_airflow_home(tmp_path_factory: pytest.TempPathFactory, home: Path) -> None:
    """Make ``home`` what ``airflow db migrate`` there would leave: ``airflow.db`` and ``airflow.cfg``."""
    template = migrated_airflow_home(tmp_path_factory)
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template / "airflow.db", home / "airflow.db")
    cfg = (template / "airflow.cfg").read_text(encoding="utf-8")
    (home / "airflow.cfg").write_text(cfg.replace(str(template), str(home)), encoding="utf-8")
