"""Promotion of a batch's good rows into the inventory tables, with history.

Natural keys: sponsors by ``credit_code``, apps by ``app_key``, accounts by (platform,
platform_account_id), work groups by ``group_key``. A record that is new, or whose promoted fields
differ from the stored ones, gets one ``inventory_history`` row per batch: ``changes`` maps each field to
``[old, new]`` (old ``null`` when the record was created). Unchanged records write nothing, so promoting
the same batch again writes no history. Sponsors keep stored values a row leaves empty.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from fingertip import identifiers, reference
from fingertip.quality import features
from fingertip.quality.normalise import account_key
from fingertip.store import schema
from fingertip.store.ops import chunks

_LEVELS = {"province": "provincial", "prefecture": "prefectural", "county": "county"}


def _date(v):
    return dt.date.fromisoformat(v) if v else None


def _int(v):
    try:
        return int(v) if v not in (None, "") else None
    except ValueError:
        return None


def _text(v, limit: int) -> str | None:
    """A declared text kept verbatim (stripped); None when empty."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    s = str(v).strip()
    return s[:limit] if s else None


def _bool(v):
    return None if v is None else v == "true"


def _jsonable(v):
    return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v


def _upsert_with_history(conn, table: sa.Table, rows: dict[Any, dict[str, Any]], key_cols: tuple[str, ...],
                         compare: tuple[str, ...], batch_id: int, now: dt.datetime,
                         insert_only: dict[Any, dict[str, Any]] | None = None,
                         keep_stored_when_empty: bool = False) -> tuple[int, int]:
    """Insert new records, update changed ones; returns (records written, history rows)."""
    if not rows:
        return 0, 0
    existing: dict[Any, dict[str, Any]] = {}
    cols = [table.c[c] for c in ("id", *key_cols, *compare)]
    keys = list(rows)
    for chunk in chunks(keys, 400):
        if len(key_cols) == 1:
            cond = table.c[key_cols[0]].in_(list(chunk))
        else:
            cond = sa.tuple_(*(table.c[c] for c in key_cols)).in_(list(chunk))
        for r in conn.execute(sa.select(*cols).where(cond)).mappings():
            k = r[key_cols[0]] if len(key_cols) == 1 else tuple(r[c] for c in key_cols)
            existing[k] = dict(r)
    inserts, updates, history = [], [], []
    for k, new in rows.items():
        old = existing.get(k)
        record_key = k if isinstance(k, str) else "|".join(map(str, k))
        if old is None:
            filled = {**new, **{c: v for c, v in (insert_only or {}).get(k, {}).items() if new.get(c) is None}}
            inserts.append({**filled, "created_at": now, "updated_at": now})
            new = filled
            history.append({"table_name": table.name, "record_key": record_key[:200], "batch_id": batch_id,
                            "changed_at": now,
                            "changes": {c: [None, _jsonable(new.get(c))] for c in compare if new.get(c) is not None}})
            continue
        merged = dict(new)
        if keep_stored_when_empty:
            merged = {c: (v if v is not None else old.get(c)) for c, v in new.items()}
        changes = {c: [_jsonable(old.get(c)), _jsonable(merged.get(c))] for c in compare
                   if c in merged and merged.get(c) != old.get(c)}
        if changes:
            updates.append({**merged, "_id": old["id"], "updated_at": now})
            history.append({"table_name": table.name, "record_key": record_key[:200], "batch_id": batch_id,
                            "changed_at": now, "changes": changes})
    for chunk in chunks(inserts, 1000):
        conn.execute(sa.insert(table), list(chunk))
    if updates:
        fields = [c for c in updates[0] if c not in ("_id",) and c not in key_cols]
        stmt = sa.update(table).where(table.c.id == sa.bindparam("_id")).values(
            {c: sa.bindparam(f"v_{c}") for c in fields})
        for chunk in chunks(updates, 1000):
            conn.execute(stmt, [{"_id": u["_id"], **{f"v_{c}": u.get(c) for c in fields}} for u in chunk])
    # idempotent: a (batch, table, key) already recorded is not written again
    if history:
        h = schema.inventory_history
        recorded = set()
        for chunk in chunks([x["record_key"] for x in history], 400):
            recorded.update(conn.execute(sa.select(h.c.record_key).where(
                h.c.batch_id == batch_id, h.c.table_name == table.name, h.c.record_key.in_(list(chunk)))).scalars())
        fresh = [x for x in history if x["record_key"] not in recorded]
        for chunk in chunks(fresh, 1000):
            conn.execute(sa.insert(h), list(chunk))
        history = fresh
    return len(inserts) + len(updates), len(history)


def _adopt_stored_keys(conn, table: sa.Table, rows: dict[Any, dict[str, Any]], key_col: str,
                       identities: list[tuple[str, ...]]) -> dict[Any, dict[str, Any]]:
    """Re-key rows that describe a record already in the inventory under another key.

    A spreadsheet rarely carries the inventory's own key (应用编码): without it the derived key of a
    row differs from the stored one, so the stored record is found by what identifies it — its Apple
    track id, its Android package, or its sponsor, kind/platform and name — and updated in place
    instead of being inserted a second time. Identities are tried from the most specific; one that
    matches several stored records is skipped, never guessed (it would overwrite another record).
    """
    by_identity: dict[tuple, set[str]] = {}
    sponsor_ids = sorted({r["sponsor_id"] for r in rows.values() if r.get("sponsor_id") is not None})
    for identity in identities:
        values = sorted({r.get(identity[0]) for r in rows.values() if r.get(identity[0]) is not None}, key=str)
        if not values:
            continue
        for chunk in chunks(values, 500):
            q = sa.select(table.c[key_col], *(table.c[c] for c in identity)).where(table.c[identity[0]].in_(list(chunk)))
            if identity[0] != "sponsor_id" and "sponsor_id" in identity:
                q = q.where(table.c.sponsor_id.in_(sponsor_ids))
            for stored_key, *ident in conn.execute(q):
                by_identity.setdefault((identity, tuple(ident)), set()).add(stored_key)
    out: dict[Any, dict[str, Any]] = {}
    for key, row in rows.items():
        stored = None
        for identity in identities:
            ident = tuple(row.get(c) for c in identity)
            if all(v is not None for v in ident):
                found = by_identity.get((identity, ident), set())
                if len(found) == 1:  # ambiguous identities (two same-named groups of a unit) adopt nothing
                    stored = next(iter(found))
                    break
        if stored and stored != key:
            row = {**row, key_col: stored}
            key = stored
        out.setdefault(key, row)
    return out


def promote(conn, batch, good: list, now: dt.datetime) -> tuple[dict[str, int], int]:
    """Promote the good rows (``[(frame, [row positions])]``); returns (records per table, history rows)."""
    batch_id = batch["id"]
    source = f"import:{batch['file_name']}"[:200]
    prov = {"source": source, "fetched_at": now}
    counts: dict[str, int] = {}
    history = 0
    # sponsors first
    sponsors: dict[str, dict[str, Any]] = {}
    sponsor_defaults: dict[str, dict[str, Any]] = {}  # derived values: for new sponsors only
    records = {id(frame): frame.df.to_dict("records") for frame, _ in good}
    for frame, idxs in good:
        recs = records[id(frame)]
        for i in idxs:
            rec = recs[i]
            code = rec["sponsor_credit_code"]
            if code in sponsors:
                continue
            division = rec["division_code"]
            level, nature = rec.get("sponsor_level") or None, rec.get("sponsor_nature") or None
            defaults = {}
            if level is None:
                defaults["level"] = _LEVELS.get(reference.level_of(division), "county") if division else "county"
            if nature is None:
                defaults["nature"] = identifiers.GOVERNMENT_PREFIXES.get(code[:2], "机关")
            sponsor_defaults[code] = defaults
            sponsors[code] = {
                "credit_code": code, "name": rec["sponsor_name"], "division_code": division,
                "level": level, "nature": nature, "contact_name": rec.get("contact_name"),
                "contact_phone": rec.get("contact_phone"), "contact_email": rec.get("contact_email"),
                "request_fingerprint": frame.rows[i]["fingerprint"], **prov,
            }
    n, h = _upsert_with_history(conn, schema.sponsors, sponsors, ("credit_code",),
                                ("name", "division_code", "level", "nature", "contact_name", "contact_phone",
                                 "contact_email"), batch_id, now, insert_only=sponsor_defaults,
                                keep_stored_when_empty=True)
    counts["sponsors"], history = n, history + h
    sponsor_ids: dict[str, int] = {}
    for chunk in chunks(list(sponsors), 500):
        sponsor_ids.update({c: i for c, i in conn.execute(
            sa.select(schema.sponsors.c.credit_code, schema.sponsors.c.id).where(schema.sponsors.c.credit_code.in_(list(chunk))))})

    for frame, idxs in good:
        recs = records[id(frame)]
        col = lambda i, c, recs=recs: recs[i].get(c)  # noqa: E731
        rows: dict[Any, dict[str, Any]] = {}
        insert_only: dict[Any, dict[str, Any]] = {}
        for i in idxs:
            base = {"name": col(i, "name"), "sponsor_id": sponsor_ids[col(i, "sponsor_credit_code")],
                    "division_code": col(i, "division_code"), "import_batch_id": batch_id,
                    "request_fingerprint": frame.rows[i]["fingerprint"], **prov}
            key = col(i, "_natural_key")
            if frame.entity_type == "app":
                rows[key] = {**base, "app_key": key, "kind": col(i, "kind"), "host_platform": col(i, "host_platform"),
                             "package_name": col(i, "package_name"), "bundle_id": col(i, "bundle_id"),
                             "apple_track_id": _int(col(i, "apple_track_id")),
                             "mini_program_id": col(i, "mini_program_id"), "description": col(i, "description"),
                             "has_complaint_channel": _bool(col(i, "has_complaint_channel")),
                             "user_scale": _int(col(i, "user_scale")), "launched_on": _date(col(i, "launched_on")),
                             # declared facts the forced-use and filing rules read (Art. 6, 14; 国办函〔2026〕12号)
                             "declared_features": features.declared_features(col(i, "declared_features")),
                             "approved_features": features.approvals(col(i, "approved_features")),
                             "monthly_active_users": _int(col(i, "monthly_active_users")),
                             "gov_filing_number": _text(col(i, "gov_filing_number"), 60),
                             "security_level": features.security_level(col(i, "security_level"))}
            elif frame.entity_type == "account":
                platform, pid = key.split("|", 1)
                k = (platform, pid)
                rows[k] = {**base, "platform": platform, "platform_account_id": pid,
                           "has_interaction_channel": _bool(col(i, "has_interaction_channel")),
                           "has_complaint_channel": _bool(col(i, "has_complaint_channel")),
                           "verified_entity": _text(col(i, "verified_entity"), 200),
                           "opened_on": _date(col(i, "opened_on"))}
                insert_only[k] = {"account_key": account_key(key)}
            else:
                rows[key] = {**base, "group_key": key, "platform": col(i, "platform"), "purpose": col(i, "purpose"),
                             "is_temporary": bool(_bool(col(i, "is_temporary"))),
                             "task_ends_on": _date(col(i, "task_ends_on")),
                             "member_count": _int(col(i, "member_count")), "opened_on": _date(col(i, "opened_on")),
                             "closed_on": _date(col(i, "closed_on")), "owner_name": _text(col(i, "owner_name"), 100)}
        if frame.entity_type == "app":
            rows = _adopt_stored_keys(conn, schema.apps, rows, "app_key",
                                      [("apple_track_id",), ("package_name",), ("sponsor_id", "kind", "name", "launched_on"),
                                       ("sponsor_id", "kind", "name")])
        elif frame.entity_type == "work_group":
            rows = _adopt_stored_keys(conn, schema.work_groups, rows, "group_key",
                                      [("sponsor_id", "platform", "name", "opened_on"), ("sponsor_id", "platform", "name")])
        table, key_cols = {"app": (schema.apps, ("app_key",)), "account": (schema.accounts, ("platform", "platform_account_id")),
                           "work_group": (schema.work_groups, ("group_key",))}[frame.entity_type]
        compare = tuple(c for c in next(iter(rows.values()), {}) if c not in key_cols and c not in (
            "source", "fetched_at", "request_fingerprint", "import_batch_id"))
        # an empty cell (or a column the file does not have) never erases what the inventory knows
        n, h = _upsert_with_history(conn, table, rows, key_cols, compare, batch_id, now, insert_only=insert_only,
                                    keep_stored_when_empty=True)
        counts[table.name] = counts.get(table.name, 0) + n
        history += h
    return counts, history
