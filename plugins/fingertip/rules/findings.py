"""The lifecycle of findings in the store.

States: ``open`` → ``acknowledged`` (someone took it) → ``resolved`` (automatically, when a run no
longer finds the condition) or ``waived`` (an approved, time-limited exemption; when it expires or
is revoked and the condition still holds, the finding reopens). A resolved finding that is found
again reopens (``reopened_count`` + 1). Ids are stable (hash of rule, target type and key), so a
re-run updates the same row and never duplicates it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fingertip.store import ops
from fingertip.store import schema as s

F = s.findings
ACTIVE = ("open", "acknowledged", "waived")


class FindingStateError(ValueError):
    """A transition that the lifecycle does not allow (message in Chinese and English)."""


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def active_waivers(conn: Connection, now: dt.datetime, ids: Iterable[str] | None = None) -> set[str]:
    w = s.waivers
    q = sa.select(w.c.finding_id).where(w.c.revoked_at.is_(None), w.c.expires_at > now)
    if ids is None:
        return set(conn.execute(q).scalars())
    out: set[str] = set()
    for chunk in ops.chunks(list(ids), 500):
        out.update(conn.execute(q.where(w.c.finding_id.in_(chunk))).scalars())
    return out


def reconcile(conn: Connection, produced: Sequence, *, rule_ids: Sequence[str], check_date: dt.date,
              now: dt.datetime | None = None, targets: Mapping[str, set[str]] | None = None) -> dict[str, int]:
    """Bring the findings table in line with one run's results.

    ``produced`` are :class:`~fingertip.rules.engine.FindingRecord`; ``rule_ids`` the rules that
    ran; ``targets`` (type → keys) limits resolution to the records that were checked (scoped or
    sampled runs); ``None`` means every record was checked.
    """
    now = now or _utcnow()
    existing: dict[str, Mapping[str, Any]] = {}
    cols = (F.c.id, F.c.state, F.c.first_seen_at, F.c.reopened_count, F.c.target_type, F.c.target_key)
    for chunk in ops.chunks(list(rule_ids), 200):
        for row in conn.execute(sa.select(*cols).where(F.c.rule_id.in_(chunk))).mappings():
            if targets is None or row["target_key"] in targets.get(row["target_type"], ()):
                existing[row["id"]] = row
    waived_ok = active_waivers(conn, now, [i for i, r in existing.items() if r["state"] == "waived"])
    counts: Counter = Counter()
    rows = []
    seen = set()
    for f in produced:
        if f.id in seen:
            continue
        seen.add(f.id)
        prev = existing.get(f.id)
        reopened = prev["reopened_count"] if prev else 0
        resolved_at = None
        if prev is None:
            state, first = "open", now
            counts["opened"] += 1
        else:
            first = prev["first_seen_at"]
            state = prev["state"]
            if state == "resolved":
                state, reopened = "open", reopened + 1
                counts["reopened"] += 1
            elif state == "waived" and f.id not in waived_ok:
                state, reopened = "open", reopened + 1
                counts["waiver_lapsed"] += 1
            else:
                counts["still_" + state] += 1
        rows.append({
            "id": f.id, "rule_id": f.rule_id, "target_type": f.target_type, "target_key": f.target_key,
            "severity": f.severity, "state": state, "title_zh": f.title_zh, "basis": f.basis, "article": f.article,
            "remediation_zh": f.remediation_zh, "evidence": f.evidence, "check_date": check_date,
            "division_code": f.division_code, "sponsor_id": f.sponsor_id, "first_seen_at": first,
            "last_seen_at": now, "resolved_at": resolved_at, "reopened_count": reopened, "updated_at": now,
        })
    update = [c for c in rows[0] if c not in ("id", "first_seen_at")] if rows else []
    for chunk in ops.chunks(rows, 1000):
        ops.upsert(conn, F, chunk, key=("id",), update=update)
    gone = [i for i, r in existing.items() if i not in seen and r["state"] in ACTIVE]
    for chunk in ops.chunks(gone, 500):
        conn.execute(sa.update(F).where(F.c.id.in_(chunk), F.c.state.in_(ACTIVE))
                     .values(state="resolved", resolved_at=now, updated_at=now))
    counts["resolved"] = len(gone)
    return dict(counts)


def _get(conn: Connection, finding_id: str) -> Mapping[str, Any]:
    row = conn.execute(sa.select(F).where(F.c.id == finding_id)).mappings().first()
    if row is None:
        raise FindingStateError(f"没有编号为 {finding_id} 的问题 / no finding {finding_id}")
    return row


def acknowledge(engine: sa.Engine, finding_id: str, *, by: str, now: dt.datetime | None = None) -> None:
    """open → acknowledged (who took it, when)."""
    now = now or _utcnow()
    with engine.begin() as conn:
        row = _get(conn, finding_id)
        if row["state"] != "open":
            raise FindingStateError(f"只有“open”状态的问题可以认领，当前为 {row['state']} / only an open finding can be "
                                    f"acknowledged (it is {row['state']})")
        conn.execute(sa.update(F).where(F.c.id == finding_id, F.c.state == "open").values(
            state="acknowledged", acknowledged_by=by, acknowledged_at=now, updated_at=now))


def waive(engine: sa.Engine, finding_id: str, *, reason: str, approver: str, expires_at: dt.datetime,
          now: dt.datetime | None = None) -> int:
    """Grant a time-limited exemption; the finding is ``waived`` until ``expires_at``."""
    now = now or _utcnow()
    if not reason or not reason.strip():
        raise FindingStateError("豁免必须说明理由 / a waiver needs a reason")
    if not approver or not approver.strip():
        raise FindingStateError("豁免必须有审批人 / a waiver needs an approver")
    if expires_at <= now:
        raise FindingStateError("豁免到期时间必须晚于现在 / a waiver must expire in the future")
    with engine.begin() as conn:
        row = _get(conn, finding_id)
        if row["state"] == "resolved":
            raise FindingStateError("已解决的问题无需豁免 / a resolved finding cannot be waived")
        wid = conn.execute(sa.insert(s.waivers).values(
            finding_id=finding_id, reason=reason.strip(), approver=approver.strip(), granted_at=now,
            expires_at=expires_at)).inserted_primary_key[0]
        conn.execute(sa.update(F).where(F.c.id == finding_id).values(state="waived", updated_at=now))
        return wid


def revoke_waivers(engine: sa.Engine, finding_id: str, *, now: dt.datetime | None = None) -> int:
    """Revoke the finding's waivers; it reopens at once (the next run resolves it if it cleared)."""
    now = now or _utcnow()
    with engine.begin() as conn:
        n = conn.execute(sa.update(s.waivers).where(s.waivers.c.finding_id == finding_id,
                                                    s.waivers.c.revoked_at.is_(None)).values(revoked_at=now)).rowcount
        conn.execute(sa.update(F).where(F.c.id == finding_id, F.c.state == "waived").values(
            state="open", reopened_count=F.c.reopened_count + 1, updated_at=now))
        return n


def lapse_waivers(engine_or_conn, *, now: dt.datetime | None = None) -> int:
    """Reopen waived findings whose waivers all expired (also done by every detection run)."""
    now = now or _utcnow()

    def run(conn: Connection) -> int:
        waived = list(conn.execute(sa.select(F.c.id).where(F.c.state == "waived")).scalars())
        ok = active_waivers(conn, now, waived)
        lapsed = [i for i in waived if i not in ok]
        for chunk in ops.chunks(lapsed, 500):
            conn.execute(sa.update(F).where(F.c.id.in_(chunk), F.c.state == "waived").values(
                state="open", reopened_count=F.c.reopened_count + 1, updated_at=now))
        return len(lapsed)

    if isinstance(engine_or_conn, Connection):
        return run(engine_or_conn)
    with engine_or_conn.begin() as conn:
        return run(conn)
