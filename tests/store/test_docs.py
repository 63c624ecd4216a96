"""docs/store.md documents every table and is regenerated from the schema."""

from __future__ import annotations

from pathlib import Path

from fingertip.store.docs import render
from fingertip.store.schema import TABLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "store.md"


def test_store_docs_are_up_to_date():
    assert DOC.read_text(encoding="utf-8") == render(), "run: fingertip store docs"


def test_every_table_is_documented_with_a_comment():
    text = DOC.read_text(encoding="utf-8")
    for table in TABLES:
        assert f"## `{table.name}`" in text
        assert table.comment, f"table {table.name} has no comment"
