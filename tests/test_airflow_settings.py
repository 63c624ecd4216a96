"""Tests of fingertip_dev.airflow_settings against a real, migrated Airflow metadata database.

Airflow reads AIRFLOW_HOME and the database URL once, when it is first imported, so everything that
touches Airflow runs in subprocesses with their own environment: one ``airflow db migrate`` per
run builds a template home (SQLite database and ``airflow.cfg`` with its Fernet key; shared with other
modules, tests/airflow_templates.py), each test
works on a fresh copy of it, and the database is checked with ``sqlite3`` plus the Fernet key,
independently of the loader's own code. The copy is always made at the same path, so that every test
has the same Airflow configuration and the loader's processes are forks of one server that has imported
Airflow's models once (``tests/helpers.py``, ``run_python``): a fresh process each, without paying the
import each time. Validation and interpolation, which do not import Airflow, are also tested
in-process.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import sqlite3
import subprocess
import textwrap
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from tests.airflow_templates import copy_migrated_airflow_home
from tests.helpers import run_python

from fingertip_dev.airflow_settings import InterpolationError, SettingsError, interpolate, parse_settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PLUGINS_DIR = PROJECT_ROOT / "plugins"
SUBPROCESS_TIMEOUT = 180
#: What the loader imports from Airflow to write (imported once by the fork server, see run_python).
AIRFLOW_MODULES = ("airflow.models.connection", "airflow.models.pool", "airflow.models.variable",
                   "airflow.utils.session")

# The loader's function API, called in a fresh process; the report is the last line of stdout.
API_SCRIPT = """
import json, sys
from fingertip_dev.airflow_settings import load_settings
report = load_settings(sys.argv[1], prune=sys.argv[2] == "1", dry_run=sys.argv[3] == "1")
print(json.dumps(report, sort_keys=True))
"""


def _clean_env(home: Path, db_url: str) -> dict[str, str]:
    """The calling environment without any Airflow setting, pointed at ``home``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=db_url,
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
        PYTHONPATH=os.pathsep.join(filter(None, [str(PLUGINS_DIR), os.environ.get("PYTHONPATH")])),
    )
    return env


class AirflowHome:
    """A migrated Airflow home of its own: run the loader against it and read its state."""

    def __init__(self, home: Path, db_path: Path | None = None):
        self.home = home
        self.db_path = db_path or home / "airflow.db"
        self.env = _clean_env(home, f"sqlite:///{self.db_path}")
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(home / "airflow.cfg")
        key = parser.get("core", "fernet_key", fallback="")
        self.fernet = Fernet(key.encode()) if key else None

    def write(self, name: str, text: str) -> Path:
        path = self.home / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """``python <args>`` in a fresh process (a fork of a server with Airflow's models imported)."""
        return run_python({**self.env, **(env or {})}, *args, cwd=str(self.home), timeout=SUBPROCESS_TIMEOUT,
                          preload=AIRFLOW_MODULES)

    def cli(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return self.run("-m", "fingertip_dev.airflow_settings", *args, env=env)

    def load(self, path: Path, *, prune=False, dry_run=False, env: dict[str, str] | None = None) -> dict:
        """``load_settings`` in a fresh process; returns its report."""
        done = self.run("-c", API_SCRIPT, str(path), "1" if prune else "0", "1" if dry_run else "0", env=env)
        assert done.returncode == 0, done.stderr + done.stdout
        return json.loads(done.stdout.strip().splitlines()[-1])

    def _decrypt(self, value: str | None, encrypted) -> str | None:
        if value is None or not encrypted:
            return value
        assert self.fernet is not None, "an encrypted value without a Fernet key"
        return self.fernet.decrypt(value.encode()).decode()

    def raw(self, sql: str) -> list[tuple]:
        with sqlite3.connect(self.db_path) as db:
            return db.execute(sql).fetchall()

    def state(self) -> dict:
        """Connections, pools and variables as stored, with secrets decrypted."""
        connections = {}
        for row in self.raw(
            "SELECT conn_id, conn_type, description, host, schema, login, password, port, extra, "
            "is_encrypted, is_extra_encrypted FROM connection"
        ):
            conn_id, conn_type, description, host, schema, login, password, port, extra, enc, extra_enc = row
            extra = self._decrypt(extra, extra_enc)
            connections[conn_id] = {
                "conn_type": conn_type,
                "description": description,
                "host": host,
                "schema": schema,
                "login": login,
                "password": self._decrypt(password, enc),
                "port": port,
                "extra": json.loads(extra) if extra else None,
            }
        pools = {
            name: {"slots": slots, "description": description, "include_deferred": bool(deferred)}
            for name, slots, description, deferred in self.raw(
                "SELECT pool, slots, description, include_deferred FROM slot_pool"
            )
        }
        variables = {
            key: {"value": self._decrypt(val, enc), "description": description}
            for key, val, description, enc in self.raw(
                "SELECT key, val, description, is_encrypted FROM variable"
            )
        }
        return {"connections": connections, "pools": pools, "variables": variables}


@pytest.fixture(scope="session")
def migrated_home(tmp_path_factory) -> Path:
    """A migrated template home that tests copy: ``airflow db migrate``'s result, made once per run
    (tests/airflow_templates.py)."""
    home = tmp_path_factory.mktemp("airflow_template")
    (home / "dags").mkdir()
    copy_migrated_airflow_home(tmp_path_factory, home)
    assert (home / "airflow.cfg").exists()
    return home


@pytest.fixture(scope="session")
def _home_path(tmp_path_factory) -> Path:
    """The one path of every test's copy (see the module docstring)."""
    return tmp_path_factory.mktemp("airflow_home") / "home"


@pytest.fixture
def airflow_home(migrated_home, _home_path) -> AirflowHome:
    """A fresh copy of the migrated template home (the previous test's copy is removed first)."""
    shutil.rmtree(_home_path, ignore_errors=True)
    shutil.copytree(migrated_home, _home_path)
    return AirflowHome(_home_path)


def _summary(done: subprocess.CompletedProcess) -> dict[str, str]:
    """The CLI's summary lines by section."""
    lines = {}
    for line in done.stdout.splitlines():
        section, sep, rest = line.strip().partition(": ")
        if sep and section in ("connections", "pools", "variables"):
            lines[section] = rest
    return lines


def _unchanged(connections=(), pools=(), variables=()) -> dict:
    return {
        section: {"created": [], "updated": [], "unchanged": sorted(ids), "deleted": []}
        for section, ids in (("connections", connections), ("pools", pools), ("variables", variables))
    }


FULL_SETTINGS = """\
    # Astro CLI format
    airflow:
      connections:
        - conn_id: ft_http
          conn_type: http
          conn_host: 127.0.0.1
          conn_schema: http
          conn_login: api-user
          conn_password: "s3cret-Pa$$word"
          conn_port: 8080
          conn_extra:
            timeout: 30
            verify: false
          conn_description: Test HTTP API
        - conn_id: ft_smtp
          conn_type: smtp
          conn_host: localhost
          conn_port: 1025
          conn_extra: '{"disable_ssl": true, "disable_tls": true, "from_email": "noreply@example.org"}'
        - conn_id: ft_uri
          conn_uri: postgres://reader:p%40ssw0rd-long@db.example:5432/gov?sslmode=require
        - conn_id:
          conn_type:
      pools:
        - pool_name: ft_api
          pool_slot: 4
          pool_description: External API calls
        - pool_name: ft_unlimited
          pool_slot: -1
          pool_include_deferred: true
      variables:
        - variable_name: ft_plain
          variable_value: hello world
        - variable_name: ft_json
          variable_value:
            regions: [north, south]
            threshold: 0.25
            since: 2026-01-01
          variable_description: Structured value
        - variable_name: ft_number
          variable_value: 42
"""


def test_load_creates_everything_and_a_second_load_changes_nothing(airflow_home):
    path = airflow_home.write("airflow_settings.yaml", FULL_SETTINGS)
    before = airflow_home.state()
    assert set(before["pools"]) == {"default_pool"} and not before["connections"] and not before["variables"]

    done = airflow_home.cli("load", str(path))
    assert done.returncode == 0, done.stderr
    assert _summary(done) == {
        "connections": "3 created (ft_http, ft_smtp, ft_uri), 0 updated, 0 unchanged",
        "pools": "2 created (ft_api, ft_unlimited), 0 updated, 0 unchanged",
        "variables": "3 created (ft_json, ft_number, ft_plain), 0 updated, 0 unchanged",
    }
    for secret in ("s3cret-Pa$$word", "p@ssw0rd-long", "p%40ssw0rd-long"):
        assert secret not in done.stdout + done.stderr

    state = airflow_home.state()
    assert state["connections"]["ft_http"] == {
        "conn_type": "http",
        "description": "Test HTTP API",
        "host": "127.0.0.1",
        "schema": "http",
        "login": "api-user",
        "password": "s3cret-Pa$$word",  # a lone "$" is not interpolation
        "port": 8080,
        "extra": {"timeout": 30, "verify": False},
    }
    assert state["connections"]["ft_smtp"]["extra"] == {
        "disable_ssl": True,
        "disable_tls": True,
        "from_email": "noreply@example.org",
    }
    assert state["connections"]["ft_smtp"]["password"] is None
    assert state["connections"]["ft_uri"] == {
        "conn_type": "postgres",
        "description": None,
        "host": "db.example",
        "schema": "gov",
        "login": "reader",
        "password": "p@ssw0rd-long",
        "port": 5432,
        "extra": {"sslmode": "require"},
    }
    # Secrets go through the model, so they are stored encrypted with the home's Fernet key.
    stored = dict(airflow_home.raw("SELECT conn_id, password FROM connection"))
    assert airflow_home.fernet is not None and stored["ft_http"] != "s3cret-Pa$$word"

    assert state["pools"]["ft_api"] == {
        "slots": 4,
        "description": "External API calls",
        "include_deferred": False,
    }
    assert state["pools"]["ft_unlimited"] == {"slots": -1, "description": None, "include_deferred": True}
    assert state["pools"]["default_pool"] == before["pools"]["default_pool"]
    assert state["variables"]["ft_plain"] == {"value": "hello world", "description": None}
    assert json.loads(state["variables"]["ft_json"]["value"]) == {
        "regions": ["north", "south"],
        "threshold": 0.25,
        "since": "2026-01-01",
    }
    assert state["variables"]["ft_json"]["description"] == "Structured value"
    assert state["variables"]["ft_number"]["value"] == "42"

    # Idempotent: the same file again changes nothing and says so.
    assert airflow_home.load(path) == _unchanged(
        connections=["ft_http", "ft_smtp", "ft_uri"],
        pools=["ft_api", "ft_unlimited"],
        variables=["ft_json", "ft_number", "ft_plain"],
    )
    assert airflow_home.state() == state


def test_changed_values_update_and_unchanged_ones_stay(airflow_home):
    first = airflow_home.write(
        "first.yaml",
        """\
        airflow:
          connections:
            - conn_id: ft_api
              conn_type: http
              conn_host: api.example.org
              conn_login: bot
              conn_password: old-password
              conn_extra: {timeout: 30, retries: 2}
              conn_description: kept when omitted later
            - conn_id: ft_other
              conn_type: http
              conn_host: other.example.org
              conn_password: other-password
            - conn_id: ft_same
              conn_type: http
              conn_host: same.example.org
          pools:
            - pool_name: ft_pool
              pool_slot: 3
              pool_description: API pool
            - pool_name: ft_same_pool
              pool_slot: 1
          variables:
            - variable_name: ft_var
              variable_value: one
            - variable_name: ft_same_var
              variable_value: same
        """,
    )
    second = airflow_home.write(
        "second.yaml",
        """\
        airflow:
          connections:
            - conn_id: ft_api
              conn_type: http
              conn_host: api.example.org
              conn_login: bot
              conn_password: new-password
              conn_extra: {timeout: 30, retries: 2}
            - conn_id: ft_other
              conn_type: http
              conn_host: other.example.org
              conn_extra: {retries: 5}
            - conn_id: ft_same
              conn_type: http
              conn_host: same.example.org
          pools:
            - pool_name: ft_pool
              pool_slot: 8
            - pool_name: ft_same_pool
              pool_slot: 1
          variables:
            - variable_name: ft_var
              variable_value: two
            - variable_name: ft_same_var
              variable_value: same
        """,
    )
    airflow_home.load(first)
    report = airflow_home.load(second)
    assert report == {
        "connections": {
            "created": [],
            "updated": ["ft_api", "ft_other"],
            "unchanged": ["ft_same"],
            "deleted": [],
        },
        "pools": {"created": [], "updated": ["ft_pool"], "unchanged": ["ft_same_pool"], "deleted": []},
        "variables": {"created": [], "updated": ["ft_var"], "unchanged": ["ft_same_var"], "deleted": []},
    }
    state = airflow_home.state()
    api = state["connections"]["ft_api"]
    assert api["password"] == "new-password"
    assert api["extra"] == {"timeout": 30, "retries": 2}
    assert api["description"] == "kept when omitted later"
    other = state["connections"]["ft_other"]
    assert other["password"] is None, "a password removed from the file is cleared"
    assert other["extra"] == {"retries": 5}
    assert state["pools"]["ft_pool"] == {"slots": 8, "description": "API pool", "include_deferred": False}
    assert state["variables"]["ft_var"]["value"] == "two"

    # Only the extra changes: that alone is an update.
    third = airflow_home.write("third.yaml", second.read_text().replace("{retries: 5}", "{retries: 6}"))
    report = airflow_home.load(third)
    assert report["connections"]["updated"] == ["ft_other"]
    assert report["pools"]["updated"] == [] and report["variables"]["updated"] == []
    assert airflow_home.state()["connections"]["ft_other"]["extra"] == {"retries": 6}


def test_environment_interpolation(airflow_home):
    path = airflow_home.write(
        "env.yaml",
        """\
        airflow:
          connections:
            - conn_id: ${FT_CONN_ID:-ft_env}
              conn_type: http
              conn_host: ${FT_HOST}
              conn_password: ${FT_PASSWORD}
              conn_port: ${FT_PORT:-8443}
              conn_extra:
                token: ${FT_TOKEN}
                literal: "$${NOT_INTERPOLATED}"
          pools:
            - pool_name: ft_env_pool
              pool_slot: ${FT_SLOTS:-3}
          variables:
            - variable_name: ft_env_var
              variable_value: ${FT_EMPTY:-fallback}
        """,
    )
    env = {
        "FT_HOST": "api.example.org",
        "FT_PASSWORD": "from-the-env-1",
        "FT_TOKEN": "tok-abcdef",
        "FT_EMPTY": "",
    }
    done = airflow_home.cli("load", str(path), env=env)
    assert done.returncode == 0, done.stderr
    assert "from-the-env-1" not in done.stdout + done.stderr
    state = airflow_home.state()
    conn = state["connections"]["ft_env"]
    assert conn["host"] == "api.example.org"
    assert conn["password"] == "from-the-env-1"
    assert conn["port"] == 8443
    assert conn["extra"] == {"token": "tok-abcdef", "literal": "${NOT_INTERPOLATED}"}
    assert state["pools"]["ft_env_pool"]["slots"] == 3
    assert state["variables"]["ft_env_var"]["value"] == "fallback"

    # A rotated secret in the environment updates the connection, and only the connection.
    report = airflow_home.load(path, env={**env, "FT_PASSWORD": "rotated-secret-2", "FT_SLOTS": "3"})
    assert report["connections"]["updated"] == ["ft_env"]
    assert report["pools"]["unchanged"] == ["ft_env_pool"]
    assert airflow_home.state()["connections"]["ft_env"]["password"] == "rotated-secret-2"

    # A variable that is neither set nor defaulted is an error that names it, and nothing is written.
    before = airflow_home.state()
    done = airflow_home.cli("load", str(path), env={k: v for k, v in env.items() if k != "FT_PASSWORD"})
    assert done.returncode == 1
    assert "connections[0]" in done.stderr and "conn_password" in done.stderr
    assert "environment variable FT_PASSWORD is not set" in done.stderr
    assert airflow_home.state() == before


def test_extra_as_mapping_or_json_string_is_the_same(airflow_home):
    as_mapping = airflow_home.write(
        "mapping.yaml",
        """\
        airflow:
          connections:
            - conn_id: ft_mail
              conn_type: smtp
              conn_extra:
                disable_ssl: true
                timeout: 30
                headers: {X-Env: test}
        """,
    )
    as_json = airflow_home.write(
        "json.yaml",
        """\
        airflow:
          connections:
            - conn_id: ft_mail
              conn_type: smtp
              conn_extra: '{"headers": {"X-Env": "test"}, "timeout": 30, "disable_ssl": true}'
        """,
    )
    assert airflow_home.load(as_mapping)["connections"]["created"] == ["ft_mail"]
    extra = {"disable_ssl": True, "timeout": 30, "headers": {"X-Env": "test"}}
    assert airflow_home.state()["connections"]["ft_mail"]["extra"] == extra
    # Same content, other form and key order: unchanged.
    assert airflow_home.load(as_json) == _unchanged(connections=["ft_mail"])
    # JSON true is not the string "true" (SMTP extras depend on it): that is a change.
    as_string = airflow_home.write("string.yaml", as_json.read_text().replace("true", '"true"'))
    assert airflow_home.load(as_string)["connections"]["updated"] == ["ft_mail"]
    assert airflow_home.state()["connections"]["ft_mail"]["extra"]["disable_ssl"] == "true"


GOOD_CONNECTION = """\
airflow:
  connections:
    - conn_id: ft_good
      conn_type: http
      conn_password: must-not-be-written
"""

INVALID_FILES = {
    "unknown_key": (
        GOOD_CONNECTION + "    - conn_id: ft_typo\n      conn_type: http\n      conn_hots: example.org\n",
        ["connections[1] (conn_id 'ft_typo')", "unknown key 'conn_hots'", "did you mean 'conn_host'"],
    ),
    "bad_pool_slot": (
        GOOD_CONNECTION + "  pools:\n    - pool_name: ft_pool\n      pool_slot: lots\n",
        ["pools[0] (pool_name 'ft_pool')", "pool_slot must be an integer"],
    ),
    "fractional_pool_slot": (
        GOOD_CONNECTION + "  pools:\n    - pool_name: ft_pool\n      pool_slot: 2.5\n",
        ["pools[0] (pool_name 'ft_pool')", "pool_slot must be an integer"],
    ),
    "missing_conn_id": (
        GOOD_CONNECTION + "    - conn_type: http\n      conn_host: example.org\n",
        ["connections[1]", "conn_id is required"],
    ),
    "missing_conn_type": (
        GOOD_CONNECTION + "    - conn_id: ft_typeless\n      conn_host: example.org\n",
        ["connections[1] (conn_id 'ft_typeless')", "conn_type is required"],
    ),
    "duplicate_conn_id": (
        GOOD_CONNECTION + "    - conn_id: ft_good\n      conn_type: postgres\n",
        ["connections[1] (conn_id 'ft_good')", "duplicate conn_id 'ft_good'", "connections[0]"],
    ),
    "unknown_section": (
        GOOD_CONNECTION + "  pool:\n    - pool_name: ft_pool\n      pool_slot: 1\n",
        ["unknown section 'pool'", "did you mean 'pools'"],
    ),
    "not_yaml": (
        GOOD_CONNECTION + "  variables: [unclosed\n    - secret-value-here: 1\n",
        ["not valid YAML", "line "],
    ),
    "not_a_mapping": ("- just\n- a list\n", ["top level must be a mapping"]),
}


@pytest.mark.parametrize("case", sorted(INVALID_FILES))
def test_invalid_file_is_rejected_and_nothing_is_written(airflow_home, case):
    text, expected = INVALID_FILES[case]
    path = airflow_home.home / f"{case}.yaml"
    path.write_text(text, encoding="utf-8")
    before = airflow_home.state()
    done = airflow_home.cli("load", str(path))
    assert done.returncode == 1, done.stdout
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"error: {path}")
    for fragment in expected:
        assert fragment in done.stderr
    assert "must-not-be-written" not in done.stderr and "secret-value-here" not in done.stderr
    assert airflow_home.state() == before


def test_dry_run_writes_nothing(airflow_home):
    path = airflow_home.write(
        "settings.yaml",
        """\
        airflow:
          connections:
            - conn_id: ft_dry
              conn_type: http
              conn_password: dry-run-secret
          pools:
            - pool_name: ft_dry_pool
              pool_slot: 2
          variables:
            - variable_name: ft_dry_var
              variable_value: x
        """,
    )
    before = airflow_home.state()
    done = airflow_home.cli("load", str(path), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "dry run, nothing written" in done.stdout
    assert _summary(done)["connections"] == "1 created (ft_dry), 0 updated, 0 unchanged"
    assert airflow_home.state() == before

    airflow_home.load(path)
    loaded = airflow_home.state()
    changed = airflow_home.write("changed.yaml", path.read_text().replace("pool_slot: 2", "pool_slot: 9"))
    report = airflow_home.load(changed, dry_run=True, prune=True)
    assert report["pools"] == {"created": [], "updated": ["ft_dry_pool"], "unchanged": [], "deleted": []}
    assert airflow_home.state() == loaded


def test_prune_deletes_what_the_file_does_not_define(airflow_home):
    everything = airflow_home.write(
        "everything.yaml",
        """\
        airflow:
          connections:
            - {conn_id: ft_keep, conn_type: http}
            - {conn_id: ft_drop, conn_type: http}
          pools:
            - {pool_name: ft_keep_pool, pool_slot: 1}
            - {pool_name: ft_drop_pool, pool_slot: 1}
          variables:
            - {variable_name: ft_keep_var, variable_value: a}
            - {variable_name: ft_drop_var, variable_value: b}
        """,
    )
    subset = airflow_home.write(
        "subset.yaml",
        """\
        airflow:
          connections:
            - {conn_id: ft_keep, conn_type: http}
          pools:
            - {pool_name: ft_keep_pool, pool_slot: 1}
          variables:
            - {variable_name: ft_keep_var, variable_value: a}
        """,
    )
    airflow_home.load(everything)

    # Without --prune, entries absent from the file are left alone.
    assert airflow_home.load(subset) == _unchanged(["ft_keep"], ["ft_keep_pool"], ["ft_keep_var"])
    assert "ft_drop" in airflow_home.state()["connections"]

    done = airflow_home.cli("load", str(subset), "--prune")
    assert done.returncode == 0, done.stderr
    assert _summary(done) == {
        "connections": "0 created, 0 updated, 1 unchanged, 1 deleted (ft_drop)",
        "pools": "0 created, 0 updated, 1 unchanged, 1 deleted (ft_drop_pool)",
        "variables": "0 created, 0 updated, 1 unchanged, 1 deleted (ft_drop_var)",
    }
    state = airflow_home.state()
    assert set(state["connections"]) == {"ft_keep"}
    assert set(state["pools"]) == {"default_pool", "ft_keep_pool"}, "default_pool is never pruned"
    assert set(state["variables"]) == {"ft_keep_var"}

    # A section the file does not contain is not pruned.
    only_pools = airflow_home.write("only_pools.yaml", "airflow:\n  pools: []\n")
    report = airflow_home.load(only_pools, prune=True)
    assert report["pools"]["deleted"] == ["ft_keep_pool"]
    assert report["connections"]["deleted"] == [] and report["variables"]["deleted"] == []
    state = airflow_home.state()
    assert set(state["pools"]) == {"default_pool"}
    assert set(state["connections"]) == {"ft_keep"} and set(state["variables"]) == {"ft_keep_var"}


def test_database_without_airflow_tables_is_a_clear_error(airflow_home):
    empty_db = airflow_home.home / "empty.db"
    sqlite3.connect(empty_db).close()
    path = airflow_home.write("settings.yaml", GOOD_CONNECTION)
    done = airflow_home.run(
        "-m",
        "fingertip_dev.airflow_settings",
        "load",
        str(path),
        env={"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{empty_db}"},
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "cannot write to the Airflow metadata database" in done.stderr
    assert "airflow db migrate" in done.stderr


def test_project_settings_file_loads(airflow_home):
    project_file = PROJECT_ROOT / "airflow_settings.yaml"
    if not project_file.exists():
        pytest.skip(f"{project_file} does not exist yet")
    done = airflow_home.cli("load", str(project_file))
    assert done.returncode == 0, done.stderr
    assert set(_summary(done)) == {"connections", "pools", "variables"}
    again = airflow_home.load(project_file)
    for section, outcome in again.items():
        assert not (outcome["created"] or outcome["updated"] or outcome["deleted"]), section


# -- in-process: validation and interpolation (no Airflow import) ----------------------------------


@pytest.mark.parametrize(
    ("text", "environ", "expected"),
    [
        ("${A}", {"A": "value"}, "value"),
        ("x-${A}-${B:-two}", {"A": "one"}, "x-one-two"),
        ("${EMPTY:-default}", {"EMPTY": ""}, "default"),
        ("${EMPTY}", {"EMPTY": ""}, ""),
        ("${A:-}", {}, ""),
        ("$${A}", {"A": "value"}, "${A}"),
        ("pa$$word$", {}, "pa$$word$"),
        ("${A:-with:-colons}", {}, "with:-colons"),
    ],
)
def test_interpolate(text, environ, expected):
    assert interpolate(text, environ) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${MISSING}", "environment variable MISSING is not set"),
        ("${not a name}", "invalid '${...}' reference"),
        ("abc${UNTERMINATED", "unterminated '${'"),
    ],
)
def test_interpolate_errors(text, message):
    with pytest.raises(InterpolationError, match=message.replace("$", r"\$").replace("{", r"\{")):
        interpolate(text, {})


def test_parse_reports_every_problem_without_values(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            airflow:
              connections:
                - conn_id: ft_a
                  conn_type: http
                  conn_password: 123456
                  conn_port: 70000
                - conn_id: "bad id with spaces"
                  conn_type: http
                - conn_id: ft_b
                  conn_uri: http://user:secret-in-uri@host
                  conn_host: host
              pools:
                - pool_name: ft_p
                  pool_slot: true
                - pool_name: ft_q
                  pool_slot: -2
                  pool_include_deferred: maybe
              variables:
                - variable_name: ft_v
                - variable_name: ft_w
                  variable_value: 1
                  extra_key: 2
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(SettingsError) as caught:
        parse_settings(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    expected = [
        "connections[0] (conn_id 'ft_a'): conn_password must be a string, got an integer",
        "connections[0] (conn_id 'ft_a'): conn_port must be between 0 and 65535, got 70000",
        "connections[1] (conn_id 'bad id with spaces'): conn_id 'bad id with spaces' is not a valid",
        "connections[2] (conn_id 'ft_b'): conn_uri cannot be combined with conn_host",
        "pools[0] (pool_name 'ft_p'): pool_slot must be an integer, got a boolean",
        "pools[1] (pool_name 'ft_q'): pool_slot must be at least -1, got -2",
        "pools[1] (pool_name 'ft_q'): pool_include_deferred must be true or false",
        "variables[0] (variable_name 'ft_v'): variable_value is required",
        "variables[1] (variable_name 'ft_w'): unknown key 'extra_key'",
    ]
    for fragment in expected:
        assert fragment in message
    assert len(caught.value.problems) == len(expected)
    assert "123456" not in message and "secret-in-uri" not in message


def test_parse_skips_template_placeholders_and_keeps_absent_sections_apart(tmp_path):
    path = tmp_path / "settings.yaml"
    path.write_text(
        "airflow:\n  connections:\n    - conn_id:\n      conn_type:\n      conn_extra:\n  variables:\n",
        encoding="utf-8",
    )
    settings = parse_settings(path)
    assert settings.connections == () and settings.variables == ()
    assert settings.pools is None, "an absent section is neither loaded nor pruned"
