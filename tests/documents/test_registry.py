"""Recording written documents in the store, idempotently on the path (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlalchemy as sa

from fingertip.documents.official import WrittenDocument
from fingertip.documents.registry import record_document, record_documents
from fingertip.store import schema


def test_record_document_upserts_on_path(store_engine):
    w = WrittenDocument("announcement", "pdf", "file:///tmp/out/announcement_SC-1.pdf", "a" * 64, 100)
    with store_engine.begin() as conn:
        first = record_document(conn, w)
    with store_engine.begin() as conn:
        again = record_document(conn, WrittenDocument("announcement", "pdf", w.path, "b" * 64, 200))
        sheet = WrittenDocument("disposal_checklist", "xlsx", "file:///tmp/out/d.xlsx", "c" * 64, 5)
        other = record_documents(conn, [sheet])
    assert first == again and other[0] != first
    with store_engine.connect() as conn:
        rows = conn.execute(sa.select(schema.documents).order_by(schema.documents.c.id)).mappings().all()
    assert len(rows) == 2
    assert (rows[0]["sha256"], rows[0]["size_bytes"], rows[0]["doc_kind"]) == ("b" * 64, 200, "announcement")
    assert rows[1]["doc_format"] == "xlsx" and rows[1]["case_id"] is None
