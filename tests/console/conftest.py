"""One real ``airflow api-server`` (simple auth manager: admin and viewer) over a seeded store, per session."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.airflow_templates import copy_migrated_airflow_home
from tests.conftest import ROOT
from tests.console.seed import seed

PASSWORDS = {"admin": "admin-pw", "viewer": "viewer-pw"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def console(tmp_path_factory) -> dict:
    from fingertip.store import migrate

    home = tmp_path_factory.mktemp("console-airflow")
    work = tmp_path_factory.mktemp("console-work")
    outputs = work / "out"
    outputs.mkdir()
    store_url = f"sqlite:///{work / 'store.db'}"
    migrate.upgrade(store_url)
    ids = seed(store_url, outputs)
    (home / "passwords.json").write_text(json.dumps(PASSWORDS))
    port = free_port()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,viewer:viewer",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__LAZY_LOAD_PLUGINS": "False",
        "AIRFLOW__API_AUTH__JWT_SECRET": "console-test-secret-0123456789abcdef",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API__EXPOSE_CONFIG": "False",
        "FINGERTIP_STORE_URL": store_url,
        "FINGERTIP_OUTPUT_URL": outputs.as_uri(),
        "PYTHONPATH": f"{ROOT / 'plugins'}:{ROOT / 'dev'}:{os.environ.get('PYTHONPATH', '')}",
    }
    airflow = str(Path(sys.executable).parent / "airflow")
    copy_migrated_airflow_home(tmp_path_factory, home)  # = airflow db migrate there (tests/airflow_templates.py)
    log = (home / "api-server.log").open("w")
    server = subprocess.Popen([airflow, "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                              env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(base + "/api/v2/monitor/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            log.close()
            server.kill()
            pytest.fail("api-server did not start:\n" + (home / "api-server.log").read_text()[-4000:])
        time.sleep(0.5)
    yield {"base": base, "env": env, "outputs": outputs, "store_url": store_url, "ids": ids, "home": home}
    # a throw-away server (its home is deleted next): killed with its session, not shut down gracefully,
    # which took ≈ 3.5 s at the end of the session
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(20)
    log.close()
    shutil.rmtree(home, ignore_errors=True)


def token(base: str, user: str) -> str:
    r = httpx.post(base + "/auth/token", json={"username": user, "password": PASSWORDS[user]}, timeout=10)
    assert r.status_code in (200, 201), r.text
    return r.json()["access_token"]


@pytest.fixture(scope="session")
def admin(console) -> httpx.Client:
    with httpx.Client(base_url=console["base"], headers={"Authorization": "Bearer " + token(console["base"], "admin")},
                      timeout=30) as c:
        yield c


@pytest.fixture(scope="session")
def viewer(console) -> httpx.Client:
    with httpx.Client(base_url=console["base"], headers={"Authorization": "Bearer " + token(console["base"], "viewer")},
                      timeout=30) as c:
        yield c


@pytest.fixture(scope="session")
def anonymous(console) -> httpx.Client:
    with httpx.Client(base_url=console["base"], timeout=30) as c:
        yield c
