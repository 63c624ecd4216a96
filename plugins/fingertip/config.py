"""Fingertip configuration: one resolver for every setting.

Each option is looked up, first hit wins, in:

1. its environment variable (``FINGERTIP_…``, the names below);
2. the ``[fingertip]`` section of Airflow's configuration (``airflow.cfg`` or
   ``AIRFLOW__FINGERTIP__<OPTION>``), when Airflow is importable; the provider registers the section
   with its descriptions and defaults, so ``airflow config list --section fingertip`` shows it;
3. the built-in default.

Nothing here imports Airflow at module level, so DAG files and command-line tools import it cheaply.
Runtime resources (policy, expectation suites, templates, reference data, report schema) ship inside
the package and are read with :mod:`importlib.resources`; a deployment points ``policy_dir`` /
``overrides_dir`` at its own folders instead of forking the package.

The store URL has its own resolution (environment → ``[fingertip] store_url`` → the Airflow
connection ``store_conn_id`` → the embedded SQLite file): see :func:`fingertip.store.engine.resolve_store_url`.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath

SECTION = "fingertip"


@dataclass(frozen=True)
class Option:
    """One configuration option: its environment variable, default and description."""

    name: str
    env: str
    default: str | None
    description: str
    example: str | None = None


#: Every option of the ``[fingertip]`` section; the provider info is built from this list.
OPTIONS: tuple[Option, ...] = (
    Option("home", "FINGERTIP_HOME", None,
           "Base folder of the embedded layout (data/, out/). Default: $AIRFLOW_HOME/fingertip.",
           "/opt/airflow/fingertip"),
    Option("store_url", "FINGERTIP_STORE_URL", None,
           "SQLAlchemy URL of the governance store; overrides the store connection.",
           "postgresql+psycopg://user:pass@db:5432/fingertip"),
    Option("store_conn_id", "FINGERTIP_STORE_CONN_ID", "fingertip_store",
           "Airflow connection of the governance store (type fingertip_store, postgres or sqlite).", None),
    Option("data_dir", "FINGERTIP_DATA_DIR", None,
           "Local data folder of the embedded store (SQLite file). Default: <home>/data.", None),
    Option("output_url", "FINGERTIP_OUTPUT_URL", None,
           "Where outputs land: any ObjectStoragePath URL (file://, s3://, gs://). Default: <home>/out.",
           "s3://aws_default@fingertip/out"),
    Option("inbox_url", "FINGERTIP_INBOX_URL", None,
           "Where units' inventory spreadsheets are dropped (ObjectStoragePath URL). Default: <data_dir>/inbox.",
           "s3://aws_default@fingertip/inbox"),
    Option("exports_url", "FINGERTIP_EXPORTS_URL", None,
           "Vendor/platform CSV/XLSX exports of the feeds (ObjectStoragePath URL). Default: <data_dir>/exports.",
           "s3://aws_default@fingertip/exports"),
    Option("shared_file_locations", "FINGERTIP_SHARED_FILE_LOCATIONS", None,
           "On a distributed executor (Celery, Kubernetes, …) tasks of one run land on different machines, so "
           "file:// locations (output_url, inbox_url, exports_url) must be storage every worker sees at the "
           "same path (e.g. an NFS mount). 'true' declares every file:// location shared; or give a "
           "comma-separated list of shared folders (file:///mnt/shared or /mnt/shared). An undeclared file:// "
           "location is refused at the start of every task. Object storage URLs (s3://, gs://, …) need nothing.",
           "/mnt/fingertip-shared"),
    Option("timezone", "FINGERTIP_TZ", "Asia/Shanghai",
           "Time zone runs, deadlines and file names are dated in (Beijing time).", None),
    Option("policy_dir", "FINGERTIP_POLICY_DIR", None,
           "Folder with the deployment's own policy files (articles, settings, rules, overrides, "
           "shutdown). Default: the policy shipped in the package.", "/opt/airflow/include/policy"),
    Option("overrides_dir", "FINGERTIP_OVERRIDES_DIR", None,
           "Folder of provincial overrides (<PP0000>.yaml) used instead of <policy_dir>/overrides.",
           "/opt/airflow/include/policy/overrides"),
    Option("report_settings", "FINGERTIP_REPORT_SETTINGS", None,
           "YAML file of report settings. Default: the file shipped in the package.", None),
    Option("console_url", "FINGERTIP_CONSOLE_URL", None,
           "Base URL of the governance console, used by operator links (empty: links to outputs).", None),
    Option("mail_lease_minutes", "FINGERTIP_MAIL_LEASE_MINUTES", "15",
           "Minutes a mail claimed for sending may stay unconfirmed before a later delivery (a task retry) "
           "resends it with the same Message-ID: the process that claimed it is then taken for dead. Keep it "
           "well above the longest SMTP session.", None),
)
_BY_NAME = {o.name: o for o in OPTIONS}


class ConfigurationError(RuntimeError):
    """A setting is missing or cannot be read; the message says which and where it was looked up."""


def airflow_installed() -> bool:
    """Whether Airflow is installed at all (plain library use works without it)."""
    import importlib.util

    return importlib.util.find_spec("airflow") is not None


def import_airflow_configuration():
    """Airflow's ``conf``, or None when Airflow is not installed.

    An installed Airflow that fails to import (a missing database driver, a broken ``airflow.cfg``)
    is a :class:`ConfigurationError`, never "Airflow absent": settings it holds must not be skipped.
    """
    if not airflow_installed():
        return None
    try:
        from airflow.configuration import conf
    except Exception as exc:  # noqa: BLE001 - reported with its cause
        raise ConfigurationError(
            f"Airflow is installed but cannot be imported ({type(exc).__name__}: {exc}); the [fingertip] "
            "section and the store connection cannot be read") from exc
    return conf


def _airflow_value(name: str) -> str | None:
    conf = import_airflow_configuration()
    if conf is None:  # Airflow not installed: plain library use, the environment is enough
        return None
    value = conf.get(SECTION, name, fallback=None)
    return value if value not in (None, "") else None


def get(name: str) -> str | None:
    """The value of option ``name``: environment → ``[fingertip]`` section → default."""
    option = _BY_NAME[name]
    value = os.environ.get(option.env)
    if value:
        return value
    value = _airflow_value(name)
    if value is not None:
        return value
    return option.default


# -- locations ------------------------------------------------------------------------------------
def home() -> Path:
    """Base of the embedded layout: ``home`` option, else ``$AIRFLOW_HOME/fingertip``."""
    value = get("home")
    if value:
        return Path(value).expanduser().resolve()
    airflow_home = os.environ.get("AIRFLOW_HOME") or str(Path("~/airflow").expanduser())
    return Path(airflow_home).resolve() / "fingertip"


def data_dir() -> Path:
    """Local data folder (the embedded SQLite store, generated sample data)."""
    value = get("data_dir")
    return Path(value).expanduser().resolve() if value else home() / "data"


def default_store_url() -> str:
    """The embedded default store: a SQLite file in the data folder."""
    return f"sqlite:///{data_dir() / 'fingertip.db'}"


def output_url() -> str:
    """Where outputs land (documents, reports, Data Docs, summaries)."""
    return get("output_url") or (home() / "out").as_uri()


def inbox_url() -> str:
    return get("inbox_url") or (data_dir() / "inbox").as_uri()


def exports_url() -> str:
    return get("exports_url") or (data_dir() / "exports").as_uri()


def mail_lease() -> dt.timedelta:
    """The notification ledger's lease (``mail_lease_minutes``): a positive duration."""
    raw = get("mail_lease_minutes") or "15"
    try:
        minutes = float(raw)
    except ValueError:
        raise ConfigurationError(f"[fingertip] mail_lease_minutes / FINGERTIP_MAIL_LEASE_MINUTES: {raw!r} "
                                 "is not a number of minutes") from None
    if not minutes > 0:
        raise ConfigurationError(f"[fingertip] mail_lease_minutes / FINGERTIP_MAIL_LEASE_MINUTES must be > 0, "
                                 f"got {raw!r}")
    return dt.timedelta(minutes=minutes)


def timezone() -> str:
    return get("timezone") or "Asia/Shanghai"


# -- hand-off locations on a distributed executor --------------------------------------------------
#: Executors that run every task of a run on this one machine (a file:// location is always shared).
LOCAL_EXECUTORS = frozenset({"LocalExecutor", "SequentialExecutor", "DebugExecutor"})
#: The locations tasks hand files over through (one task writes, another reads).
HANDOFF_LOCATIONS = ("output_url", "inbox_url", "exports_url")


def distributed_executor() -> str | None:
    """The first configured executor (``[core] executor``, a comma-separated list in Airflow 3) that
    can run a task on another machine, or None when all run locally (or Airflow is absent)."""
    conf = import_airflow_configuration()
    if conf is None:
        return None
    value = conf.get("core", "executor", fallback="") or ""
    for item in value.split(","):
        path = item.strip().split(":")[-1].strip()  # "alias:module.Class" or "Class"
        name = path.rsplit(".", 1)[-1]
        if name and name not in LOCAL_EXECUTORS:
            return name
    return None


def _shared_prefixes() -> tuple[bool, list[str]]:
    value = (get("shared_file_locations") or "").strip()
    if value.lower() in ("", "false", "no", "0", "none"):
        return False, []
    if value.lower() in ("true", "yes", "1", "all"):
        return True, []
    prefixes = []
    for item in value.split(","):
        item = item.strip().removeprefix("file://")
        if item:
            prefixes.append(str(Path(item).expanduser().resolve()))
    return False, prefixes


def _location_urls() -> dict[str, str]:
    return {"output_url": output_url(), "inbox_url": inbox_url(), "exports_url": exports_url()}


def unshared_locations(executor: str | None = None) -> dict[str, str]:
    """Hand-off locations that are ``file://`` and not declared shared, when the executor is distributed
    (``executor``: the executor's class name; default: the configured one). Empty when all is well."""
    executor = executor if executor is not None else distributed_executor()
    if not executor or executor in LOCAL_EXECUTORS:
        return {}
    everything, prefixes = _shared_prefixes()
    if everything:
        return {}
    bad = {}
    for name, url in _location_urls().items():
        if "://" in url and not url.startswith("file://"):
            continue  # object storage (s3://, gs://, …) is shared by nature
        path = Path(url.removeprefix("file://")).expanduser().resolve()
        if not any(path == Path(p) or Path(p) in path.parents for p in prefixes):
            bad[name] = url
    return bad


def check_shared_locations(executor: str | None = None) -> None:
    """Refuse local hand-off locations on a distributed executor (a :class:`ConfigurationError` that
    names each location, the executor and how to fix it)."""
    executor = executor if executor is not None else distributed_executor()
    bad = unshared_locations(executor)
    if bad:
        listed = "; ".join(f"{name} = {url}" for name, url in bad.items())
        raise ConfigurationError(
            f"the {executor} runs tasks on several machines, but these hand-off locations are local folders "
            f"not declared shared: {listed}. A file one task writes there is invisible to a task on another "
            "worker (an import that finds nothing, a green run that did nothing). Point them at object "
            "storage ([fingertip] output_url / inbox_url / exports_url = s3://…), or mount shared storage at "
            "the same path on every worker and declare it: [fingertip] shared_file_locations = true or a list "
            "of folders (FINGERTIP_SHARED_FILE_LOCATIONS).")


def output_path(*parts: str) -> ObjectStoragePath:
    """An ``ObjectStoragePath`` under the outputs location (``file://`` by default).

    Tasks hand files to each other only through this location or the store, so the same DAGs run
    unchanged on several workers once the URL points at shared storage (``s3://…``).
    """
    from airflow.sdk import ObjectStoragePath  # heavy import, only when a task writes outputs

    path = ObjectStoragePath(output_url())
    for part in parts:
        path = path / part
    return path


# -- resources shipped in the package -------------------------------------------------------------
def resources_dir() -> Path:
    """The package's runtime resources (policy, expectations, templates, reference, reports).

    Installed wheels are unpacked on disk, so this is a real folder that Jinja's loaders, YAML
    readers and GX can open by path.
    """
    root = importlib.resources.files("fingertip") / "resources"
    path = Path(str(root))
    if not path.is_dir():
        raise ConfigurationError(f"fingertip's resources are missing at {path} (a broken installation)")
    return path


def resource(*parts: str) -> Path:
    """A file or folder under :func:`resources_dir`."""
    return resources_dir().joinpath(*parts)


def policy_dir() -> Path:
    """The policy folder: ``policy_dir`` option, else the policy shipped in the package."""
    value = get("policy_dir")
    if value:
        path = Path(value).expanduser()
        if not path.is_dir():
            raise ConfigurationError(f"[fingertip] policy_dir / FINGERTIP_POLICY_DIR {path} is not a folder")
        return path
    return resource("policy")


def overrides_dir() -> Path:
    """Provincial overrides: ``overrides_dir`` option, else ``<policy_dir>/overrides``."""
    value = get("overrides_dir")
    if value:
        path = Path(value).expanduser()
        if not path.is_dir():
            raise ConfigurationError(
                f"[fingertip] overrides_dir / FINGERTIP_OVERRIDES_DIR {path} is not a folder")
        return path
    return policy_dir() / "overrides"
