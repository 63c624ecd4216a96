"""Record generated documents in the store's ``documents`` table (idempotent on the path)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fingertip.documents.official import WrittenDocument


def record_document(conn: Connection, written: WrittenDocument, *, case_id: int | None = None,
                    audit_run_id: int | None = None) -> int:
    """Insert or update (on ``path``) the row of a written document; returns its id.

    A re-render of the same path replaces kind, format, sha256, size, links and ``created_at``.
    """
    from fingertip.store import schema
    from fingertip.store.ops import upsert

    d = schema.documents
    row = {
        "doc_kind": written.kind, "doc_format": written.doc_format,
        "case_id": case_id, "audit_run_id": audit_run_id,
        "path": written.path, "sha256": written.sha256, "size_bytes": written.size_bytes,
        "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
    }
    upsert(conn, d, [row], key=["path"])
    return conn.execute(sa.select(d.c.id).where(d.c.path == written.path)).scalar_one()


def record_documents(conn: Connection, documents: Iterable[WrittenDocument], *, case_id: int | None = None,
                     audit_run_id: int | None = None) -> list[int]:
    return [record_document(conn, w, case_id=case_id, audit_run_id=audit_run_id) for w in documents]
