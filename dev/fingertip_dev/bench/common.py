"""What the store benchmarks share: a fresh store per run, the sample generated into it in a child
process, and the last stdout line (one JSON object with ``--json``, else a one-line summary)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa


def fresh_pg_schema(url: str) -> tuple[str, str]:
    """A new schema in the database of ``url``; returns the URL scoped to it (``search_path``) and its name."""
    schema = f"ft_bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()
    scoped = sa.make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), schema


def drop_pg_schema(url: str, schema: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()


@dataclass(frozen=True)
class FreshStore:
    url: str  #: the store to use (not migrated yet)
    backend: str  #: "sqlite" or "postgresql"
    tmp: Path  #: a scratch folder, removed afterwards


@contextmanager
def fresh_store(store_url: str, prefix: str) -> Iterator[FreshStore]:
    """A fresh store on the backend of ``store_url``: for SQLite a file in a temporary folder (any
    sqlite URL), for PostgreSQL a new schema in its database, dropped afterwards with the folder."""
    backend = sa.make_url(store_url).get_backend_name()
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    schema = None
    try:
        if backend == "sqlite":
            url = f"sqlite:///{tmp / 'bench.db'}"
        elif backend == "postgresql":
            url, schema = fresh_pg_schema(store_url)
        else:
            raise SystemExit(f"unsupported backend {backend!r}")
        yield FreshStore(url, backend, tmp)
    finally:
        if schema is not None:
            drop_pg_schema(store_url, schema)
        shutil.rmtree(tmp, ignore_errors=True)


def generate_in_child(url: str, entities: int, seed: int, as_of: dt.date, folder: Path) -> None:
    """The sample population (no inventory files) into ``url``, in a child process: the parent's peak
    RSS and imports stay those of what it measures."""
    code = ("import datetime as dt; from pathlib import Path; "
            "from fingertip_dev.sample.load import generate_into_store; "
            f"generate_into_store({url!r}, {entities}, {seed}, dt.date.fromisoformat({as_of.isoformat()!r}), "
            f"Path({str(folder)!r}), inventory=False)")
    gen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if gen.returncode != 0:
        raise SystemExit(f"sample generation failed: {gen.stderr[-2000:]}")


def emit(result: dict, as_json: bool, text: Callable[[dict], str]) -> None:
    """Print the result: one JSON object (what scripts/bench.py reads), or ``text(result)``."""
    print(json.dumps(result, ensure_ascii=False) if as_json else text(result))


#: pytest's closing line outcomes ("error" is folded into "errors").
PYTEST_OUTCOMES = ("passed", "failed", "errors", "error", "skipped", "xfailed", "xpassed")


@dataclass(frozen=True, slots=True)
class PytestRun:
    seconds: float       # wall clock of the pytest process
    cpu_seconds: float   # its CPU and its children's
    exit_code: int
    summary: str         # pytest's closing line
    counts: dict[str, int]  # passed / failed / errors / skipped / … from that line


def run_pytest(args: list[str], root: Path, env_extra: dict[str, str] | None = None) -> PytestRun:
    """``python -m pytest -q <args>`` in ``root`` with the project on ``PYTHONPATH``, timed and counted."""
    env = dict(os.environ, **(env_extra or {}))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), str(root / "plugins"), str(root / "dev"),
                                                       os.environ.get("PYTHONPATH")]))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", *args], cwd=root, env=env, capture_output=True,
                          text=True, check=False)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    tail = (proc.stdout or "").strip().splitlines()[-1:] or [""]
    counts = {name: int(n) for n, name in re.findall(r"(\d+) (" + "|".join(PYTEST_OUTCOMES) + r")\b", tail[0])}
    if "error" in counts:
        counts["errors"] = counts.pop("error") + counts.get("errors", 0)
    return PytestRun(round(seconds, 1),
                     round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
                     proc.returncode, tail[0], counts)
