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
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fingertip.store import ops, schema

if TYPE_CHECKING:
    from fingertip.rules.engine import FindingRecord

F = schema.findings
ACTIVE = ("open", "acknowledged", "waived")


class FindingStateError(ValueError):
    """A transition that the lifecycle does not allow (message in Chinese and English)."""


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def active_waivers(conn: Connection, now: dt.datetime, ids: Iterable[str] | None = None) -> set[str]:
    w = schema.waivers
    q = sa.select(w.c.finding_id).where(w.c.revoked_at.is_(None), w.c.expires_at > now)
    if ids is None:
        return set(conn.execute(q).scalars())
    out: set[str] = set()
    for chunk in ops.chunks(list(ids), 500):
        out.update(conn.execute(q.where(w.c.finding_id.in_(chunk))).scalars())
    return out


class Reconciler:
    """Brings the findings table in line with one run's results, province by province.

    :meth:`add` upserts a batch of :class:`~fingertip.rules.engine.FindingRecord` (new → open,
    resolved → reopened, waived with a lapsed waiver → reopened, others keep their state) and
    remembers their ids only; :meth:`finish` resolves the active findings of the rules that ran
    which were not produced — limited to the records checked (``targets``: type → keys) for scoped or
    sampled runs; ``None`` means every record was checked. Memory: one id per finding.
    """

    def __init__(self, conn: Connection, *, rule_ids: Sequence[str], check_date: dt.date,
                 now: dt.datetime | None = None, targets: Mapping[str, set[str]] | None = None):
        self.conn, self.rule_ids, self.check_date = conn, list(rule_ids), check_date
        self.now = now or _utcnow()
        self.targets = targets
        self.seen: set[str] = set()
        self.counts: Counter[str] = Counter()

    def add(self, produced: Sequence[FindingRecord]) -> None:
        fresh = []
        for f in produced:
            if f.id not in self.seen:
                self.seen.add(f.id)
                fresh.append(f)
        for chunk in ops.chunks(fresh, 500):
            self._add_chunk(chunk)

    def _add_chunk(self, chunk: Sequence[FindingRecord]) -> None:
        conn, now = self.conn, self.now
        cols = (F.c.id, F.c.state, F.c.first_seen_at, F.c.reopened_count)
        existing = {r["id"]: r for r in conn.execute(
            sa.select(*cols).where(F.c.id.in_([f.id for f in chunk]))).mappings()}
        waived_ok = active_waivers(conn, now, [i for i, r in existing.items() if r["state"] == "waived"])
        rows = []
        for f in chunk:
            prev = existing.get(f.id)
            reopened = prev["reopened_count"] if prev else 0
            if prev is None:
                state, first = "open", now
                self.counts["opened"] += 1
            else:
                first, state = prev["first_seen_at"], prev["state"]
                if state == "resolved":
                    state, reopened = "open", reopened + 1
                    self.counts["reopened"] += 1
                elif state == "waived" and f.id not in waived_ok:
                    state, reopened = "open", reopened + 1
                    self.counts["waiver_lapsed"] += 1
                else:
                    self.counts["still_" + state] += 1
            rows.append({
                "id": f.id, "rule_id": f.rule_id, "target_type": f.target_type, "target_key": f.target_key,
                "severity": f.severity, "state": state, "title_zh": f.title_zh, "basis": f.basis,
                "article": f.article, "remediation_zh": f.remediation_zh, "evidence": f.evidence,
                "check_date": self.check_date, "division_code": f.division_code, "sponsor_id": f.sponsor_id,
                "first_seen_at": first, "last_seen_at": now, "resolved_at": None, "reopened_count": reopened,
                "updated_at": now,
            })
        update = [c for c in rows[0] if c not in ("id", "first_seen_at")]
        ops.upsert(conn, F, rows, key=("id",), update=update)

    def finish(self) -> dict[str, int]:
        conn, now = self.conn, self.now
        gone = []
        for chunk in ops.chunks(self.rule_ids, 200):
            q = sa.select(F.c.id, F.c.target_type, F.c.target_key).where(F.c.rule_id.in_(chunk),
                                                                         F.c.state.in_(ACTIVE))
            for fid, ttype, key in conn.execute(q):
                if fid in self.seen:
                    continue
                if self.targets is not None and key not in self.targets.get(ttype, ()):
                    continue
                gone.append(fid)
        for chunk in ops.chunks(gone, 500):
            conn.execute(sa.update(F).where(F.c.id.in_(chunk), F.c.state.in_(ACTIVE))
                         .values(state="resolved", resolved_at=now, updated_at=now))
        self.counts["resolved"] = len(gone)
        return dict(self.counts)


def reconcile(conn: Connection, produced: Sequence[FindingRecord], *, rule_ids: Sequence[str], check_date: dt.date,
              now: dt.datetime | None = None, targets: Mapping[str, set[str]] | None = None) -> dict[str, int]:
    """One-shot :class:`Reconciler` over a complete list of findings."""
    rec = Reconciler(conn, rule_ids=rule_ids, check_date=check_date, now=now, targets=targets)
    rec.add(produced)
    return rec.finish()


def _get(conn: Connection, finding_id: str) -> sa.RowMapping:
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
          now: dt.datetime | None = None, by: str | None = None) -> int:
    """Grant a time-limited exemption; the finding is ``waived`` until ``expires_at``.

    ``approver`` is who approved the exemption; ``by`` the user who recorded it."""
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
        wid = conn.execute(sa.insert(schema.waivers).values(
            finding_id=finding_id, reason=reason.strip(), approver=approver.strip(), granted_at=now,
            expires_at=expires_at, granted_by=by).returning(schema.waivers.c.id)).scalar_one()
        conn.execute(sa.update(F).where(F.c.id == finding_id).values(state="waived", updated_at=now))
        return wid


def revoke_waivers(engine: sa.Engine, finding_id: str, *, now: dt.datetime | None = None,
                   by: str | None = None) -> int:
    """Revoke the finding's waivers (``by``: the user); it reopens at once (the next run resolves it if it cleared)."""
    now = now or _utcnow()
    with engine.begin() as conn:
        n = conn.execute(sa.update(schema.waivers).where(schema.waivers.c.finding_id == finding_id,
                                                    schema.waivers.c.revoked_at.is_(None)).values(
            revoked_at=now, revoked_by=by)).rowcount
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
