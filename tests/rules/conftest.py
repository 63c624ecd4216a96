"""A generated sample in a store (SQLite and PostgreSQL) for the rules tests."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from tests.conftest import drop_pg_schema, make_pg_schema_url, require_pg

AS_OF = dt.date(2026, 11, 20)
SEED = 20261123


def _generate(url: str, n: int, out) -> None:
    from fingertip_dev.sample.load import generate_into_store

    generate_into_store(url, n, SEED, AS_OF, out, inventory=False)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def sample_store(request, tmp_path_factory):
    """(url, ground truth path) of a 3,000-entity sample; tests must not modify it."""
    out = tmp_path_factory.mktemp("sample")
    if request.param == "sqlite":
        url = f"sqlite:///{out / 'store.db'}"
        _generate(url, 3000, out)
        yield url, out / "ground_truth.jsonl"
        return
    require_pg()
    url, schema = make_pg_schema_url()
    _generate(url, 3000, out)
    yield url, out / "ground_truth.jsonl"
    drop_pg_schema(schema)
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def small_store(request, tmp_path):
    """A fresh 600-entity sample per test (tests may change it): (url, ground truth path)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        _generate(url, 600, tmp_path)
        yield url, tmp_path / "ground_truth.jsonl"
        return
    require_pg()
    url, schema = make_pg_schema_url()
    _generate(url, 600, tmp_path)
    yield url, tmp_path / "ground_truth.jsonl"
    drop_pg_schema(schema)
