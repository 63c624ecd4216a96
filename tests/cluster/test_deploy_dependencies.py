"""The lock carries what a PostgreSQL + Celery deployment needs (issue 13, item 3).

The full proof is ``make cluster`` (CeleryExecutor on Redis, PostgreSQL metadata DB); this checks the
pieces it stands on: the pins in requirements.txt and that Airflow finds them in the installed set.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOYMENT = ("apache-airflow-providers-celery", "apache-airflow-providers-postgres", "asyncpg", "celery",
              "kombu", "redis", "psycopg2-binary")


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


@pytest.mark.parametrize("name", DEPLOYMENT)
def test_lock_pins_deployment_package_and_it_is_installed(name):
    pins = _lock()
    assert name in pins, f"requirements.txt lacks {name}"
    assert importlib.metadata.version(name) == pins[name]


def test_airflow_sees_the_celery_executor_and_postgres_connection_type():
    from airflow.providers_manager import ProvidersManager

    providers = ProvidersManager().providers
    assert "apache-airflow-providers-celery" in providers
    assert "apache-airflow-providers-postgres" in providers
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    assert "postgres" in ProvidersManagerTaskRuntime().hooks  # ProvidersManager().hooks is deprecated in 3.3

    from airflow.providers.celery.executors.celery_executor import CeleryExecutor

    assert CeleryExecutor.__name__ == "CeleryExecutor"


def test_async_metadata_driver_and_redis_transport_import():
    import asyncpg  # noqa: F401 — the async driver Airflow uses for a postgresql metadata DB
    import kombu.transport.redis as transport  # the broker transport of redis:// URLs

    assert transport.Transport.driver_type == "redis"
