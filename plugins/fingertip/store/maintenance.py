"""Store maintenance used by the ``fingertip_store_maintenance`` DAG."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from fingertip.store import migrate, ops, schema

log = logging.getLogger(__name__)


class StoreNotMigrated(RuntimeError):
    pass


def check_schema(url: str) -> str:
    """Fail with a clear message unless the store is at the head revision."""
    current, head = migrate.current_revision(url), migrate.head_revision()
    if current != head:
        raise StoreNotMigrated(
            f"governance store is at revision {current or '(empty)'} but the code needs {head}: "
            "run `fingertip store upgrade` (make store) before the DAGs"
        )
    return current


def overview(engine: Engine) -> dict[str, Any]:
    """Row counts per table and governed entities per province (for the daily overview file)."""
    with engine.connect() as conn:
        counts = ops.table_counts(conn)
        per_province: dict[str, dict[str, int]] = {}
        for table, kind in ((schema.apps, "apps"), (schema.accounts, "accounts"), (schema.work_groups, "work_groups")):
            prov = sa.func.substr(table.c.division_code, 1, 2)
            q = sa.select(prov, sa.func.count()).where(table.c.status == "active").group_by(prov)
            for code, n in conn.execute(q):
                per_province.setdefault(f"{code}0000", {})[kind] = n
        names = dict(conn.execute(sa.select(schema.divisions.c.code, schema.divisions.c.name)
                                  .where(schema.divisions.c.level == "province")).all())
    return {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "tables": counts,
        "provinces": {code: {"name": names.get(code), **v} for code, v in sorted(per_province.items())},
    }


def write_json(path, payload: dict[str, Any]) -> str:
    """Write JSON to an ObjectStoragePath (or pathlib.Path); returns its URL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return str(path)
