"""Project configuration: paths and locations, read from the environment with defaults.

Nothing here imports Airflow at module level, so DAG files and command-line tools can import it
cheaply. Every setting has an environment variable; the defaults give the embedded, single-machine
layout used by ``make demo``:

==========================  ==============================================  =====================
variable                    meaning                                         default
==========================  ==============================================  =====================
``FINGERTIP_HOME``          project root                                    the checkout
``FINGERTIP_DATA_DIR``      project-local data (SQLite store, sample data)  ``<root>/data``
``FINGERTIP_OUTPUT_URL``    outputs location (any ``ObjectStoragePath``)    ``file://<root>/out``
``FINGERTIP_STORE_URL``     governance store SQLAlchemy URL (overrides the  SQLite file in the
                            ``fingertip_store`` Airflow connection)         data folder
==========================  ==============================================  =====================
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The project root: ``FINGERTIP_HOME`` or the checkout that holds ``plugins/fingertip``."""
    env = os.environ.get("FINGERTIP_HOME")
    return Path(env).resolve() if env else _PACKAGE_DIR.parent.parent


def include_dir() -> Path:
    """Versioned, non-code project files: reference data, policy YAML, templates, suites."""
    return project_root() / "include"


def data_dir() -> Path:
    """Project-local, git-ignored data folder (the embedded store, generated sample data)."""
    env = os.environ.get("FINGERTIP_DATA_DIR")
    return Path(env).resolve() if env else project_root() / "data"


def default_store_url() -> str:
    """The embedded default store: a SQLite file in the data folder."""
    return f"sqlite:///{data_dir() / 'fingertip.db'}"


def output_url() -> str:
    """Where outputs land (documents, reports, Data Docs, the mail catcher, summaries)."""
    return os.environ.get("FINGERTIP_OUTPUT_URL") or (project_root() / "out").as_uri()


def output_path(*parts: str):
    """An ``ObjectStoragePath`` under the outputs location (``file://`` by default).

    Tasks hand files to each other only through this location or the store, so the same DAGs run
    unchanged on several workers once the URL points at shared storage (``s3://…``).
    """
    from airflow.sdk import ObjectStoragePath  # heavy import, only when a task writes outputs

    path = ObjectStoragePath(output_url())
    for part in parts:
        path = path / part
    return path
