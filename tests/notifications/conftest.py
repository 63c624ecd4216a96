"""Fixtures of the mail tests: a real SMTP server and the Airflow connection ``smtp_test`` to it."""

from __future__ import annotations

import pytest
from tests.notifications.helpers import RecordingServer, conn_json, free_port
from tests.store_templates import empty_store_engine


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp_server(smtp_port):
    server = RecordingServer("127.0.0.1", smtp_port).start()
    yield server
    server.stop()


@pytest.fixture
def smtp_conn(monkeypatch, smtp_port) -> str:
    """``smtp_test`` → the port of ``smtp_server`` (whether or not the server is running)."""
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_TEST", conn_json(smtp_port))
    from tests.notifications.helpers import CONN_ID

    return CONN_ID



@pytest.fixture
def sqlite_store(sqlite_store_template, tmp_path):
    """A migrated, empty SQLite store, for tests whose subject does not depend on the backend (a copy of
    the session's migrated template, ``tests/store_templates.py``)."""
    yield from empty_store_engine(sqlite_store_template, tmp_path)
