"""Render ``docs/store.md`` from the schema's own comments (``fingertip store docs``).

``tests/store/test_docs.py`` fails when the committed file is out of date.
"""

from __future__ import annotations

import sqlalchemy as sa

from fingertip.store.schema import TABLES

HEADER = """# The governance store

Generated from `plugins/fingertip/store/schema.py` by `fingertip store docs`; do not edit.

- Embedded default: SQLite file `data/fingertip.db`. Production: PostgreSQL through the Airflow
  connection `fingertip_store` (type `postgres`) or `FINGERTIP_STORE_URL`.
- Schema changes are Alembic revisions (`plugins/fingertip/store/migrations/versions`);
  `make store` (or `fingertip store upgrade`) migrates; `downgrade base` removes everything.
- Timestamps are naive UTC. Records from outside carry provenance: `source`, `fetched_at`,
  `request_fingerprint` (SHA-256 of the request or of the imported row).
"""


def _type(col: sa.Column) -> str:
    t = col.type
    if isinstance(t, sa.String) and t.length:
        return f"{t.__class__.__name__.lower()}({t.length})"
    name = getattr(t, "impl", t).__class__.__name__ if hasattr(t, "impl") else t.__class__.__name__
    if hasattr(t, "variants") or name == "Variant":
        name = "BigInteger"
    return name.lower()


def render() -> str:
    out = [HEADER]
    for table in sorted(TABLES, key=lambda t: t.name):
        out.append(f"\n## `{table.name}`\n\n{table.comment or ''}\n")
        out.append("| column | type | null | key | notes |\n|---|---|---|---|---|")
        uniques = sorted((c for c in table.constraints if isinstance(c, sa.UniqueConstraint)),
                         key=lambda c: tuple(c.columns.keys()))
        for col in table.columns:
            key = []
            if col.primary_key:
                key.append("PK")
            key += [f"FK → {fk.column.table.name}" for fk in col.foreign_keys]
            if any(list(u.columns.keys()) == [col.name] for u in uniques) or col.unique:
                key.append("unique")
            out.append(f"| `{col.name}` | {_type(col)} | {'yes' if col.nullable else 'no'} | "
                       f"{', '.join(key)} | {col.comment or ''} |")
        multi = [u for u in uniques if len(u.columns) > 1]
        if multi:
            out.append("")
            out.extend(f"Unique: ({', '.join(u.columns.keys())})" for u in multi)
        checks = sorted((c for c in table.constraints if isinstance(c, sa.CheckConstraint)), key=lambda c: str(c.sqltext))
        if checks:
            out.append("")
            out.extend(f"Check: `{c.sqltext}`" for c in checks)
    return "\n".join(out) + "\n"
