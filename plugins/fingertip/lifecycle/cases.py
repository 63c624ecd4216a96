"""Shutdown cases (关停注销案件): the state machine and its store access.

States::

    proposed ──► approved ──► announced ──► service_stopped ──► data_disposed ──► delisting_verified ──► closed
       │  │          │                             ▲                                     │                │
       │  └► rejected└► cancelled (target recovered before announcement)                 └─── relisted ───┘
       └► cancelled                                               (reopened: back to service_stopped)

Every transition is one conditional ``UPDATE … WHERE id = :id AND state = :from`` plus one
``case_events`` row in the same transaction: two runs racing on a case cannot both move it (the
loser's UPDATE matches no row and writes no event). A relisted target reopens *the same case* (its
history stays in one place) by a transition back to ``service_stopped``; verification then starts
again from the reopening day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fingertip.store import schema

STATES = schema.CASE_STATES
TRANSITIONS: dict[str, frozenset[str]] = {
    "proposed": frozenset({"approved", "rejected", "cancelled"}),
    "approved": frozenset({"announced", "cancelled"}),
    "rejected": frozenset(),
    "announced": frozenset({"service_stopped"}),
    "service_stopped": frozenset({"data_disposed"}),
    "data_disposed": frozenset({"delisting_verified"}),
    "delisting_verified": frozenset({"closed", "service_stopped"}),
    "closed": frozenset({"service_stopped"}),
    "cancelled": frozenset(),
}
#: A case in one of these states no longer occupies its target (a new case may be opened).
FINISHED = frozenset({"rejected", "cancelled"})
#: States in which the case is "live" for the target (one at most per target).
LIVE = frozenset(STATES) - FINISHED
SYSTEM_ACTOR = "fingertip-shutdown-dag"

T = schema.shutdown_cases
E = schema.case_events


class CaseError(ValueError):
    """A case operation that cannot be done (unknown case, bad target, forbidden transition)."""


class InvalidTransition(CaseError):
    pass


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def utcnow_precise() -> dt.datetime:
    """Naive UTC with microseconds: a version stamp for optimistic claims on ``updated_at``."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def allowed(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())


def target_digest(target_type: str, target_key: str) -> str:
    return hashlib.sha256(f"{target_type}\x1f{target_key}".encode()).hexdigest()


def make_case_key(target_type: str, target_key: str, sequence: int) -> str:
    """``SC-APP-<10 hex of the target>-<n>``: the n-th case of that target (stable, ≤ 64 chars)."""
    return f"SC-{target_type.upper().replace('_', '')[:4]}-{target_digest(target_type, target_key)[:10]}-{sequence}"


# --- targets ---------------------------------------------------------------------------------------

_TARGET_TABLES = {"app": (schema.apps, "app_key"), "account": (schema.accounts, "account_key"),
                  "work_group": (schema.work_groups, "group_key"), "sponsor": (schema.sponsors, "credit_code")}


def target_row(conn: Connection, target_type: str, target_key: str) -> sa.RowMapping | None:
    """The inventory row of a target (app, account, work group or sponsor), or None."""
    if target_type not in _TARGET_TABLES:
        raise CaseError(f"unknown target type {target_type!r}; expected one of {', '.join(_TARGET_TABLES)}")
    table, key = _TARGET_TABLES[target_type]
    return conn.execute(sa.select(table).where(table.c[key] == target_key)).mappings().first()


def set_target_status(conn: Connection, target_type: str, target_key: str, status: str) -> None:
    """Mark the inventory record ``shutting_down`` (announced) or ``closed`` (closed) — not for sponsors."""
    if target_type == "sponsor":
        return
    table, key = _TARGET_TABLES[target_type]
    values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
    if target_type in ("app", "account"):  # the closing day (Beijing time) keeps past periods' reports exact
        import zoneinfo

        from fingertip.runtime import TIMEZONE

        values["closed_on"] = dt.datetime.now(zoneinfo.ZoneInfo(TIMEZONE)).date() if status == "closed" else None
    conn.execute(sa.update(table).where(table.c[key] == target_key).values(**values))


# --- reads -----------------------------------------------------------------------------------------

def get_case(conn: Connection, case_key: str | int) -> dict[str, Any]:
    where = T.c.id == case_key if isinstance(case_key, int) else T.c.case_key == case_key
    row = conn.execute(sa.select(T).where(where)).mappings().first()
    if row is None:
        raise CaseError(f"no shutdown case {case_key!r}")
    return dict(row)


def list_cases(conn: Connection, states: Iterable[str] | None = None, *,
               case_keys: Iterable[str] | None = None) -> list[dict[str, Any]]:
    query = sa.select(T).order_by(T.c.id)
    if states is not None:
        query = query.where(T.c.state.in_(list(states)))
    if case_keys is not None:
        query = query.where(T.c.case_key.in_(list(case_keys)))
    return [dict(r) for r in conn.execute(query).mappings()]


def live_case_for(conn: Connection, target_type: str, target_key: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(T).where(T.c.target_type == target_type, T.c.target_key == target_key,
                                          T.c.state.in_(sorted(LIVE))).order_by(T.c.id.desc())).mappings().first()
    return dict(row) if row else None


def events(conn: Connection, case_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sa.select(E).where(E.c.case_id == case_id).order_by(E.c.id)).mappings()]


# --- writes ----------------------------------------------------------------------------------------

def open_case(conn: Connection, *, target_type: str, target_key: str, opened_by: str, reason: str | None,
              finding_id: str | None = None, successor: tuple[str, str] | None = None,
              details: Mapping[str, Any] | None = None, evidence: Mapping[str, Any] | None = None
              ) -> tuple[dict[str, Any], bool]:
    """Open a case for a target, or return its live case: ``(case, created)``.

    Never two live cases for one target: the case key is derived from the target and the number of
    its earlier cases, so two runs opening concurrently compute the same key and the unique
    constraint keeps one (insert-or-ignore).
    """
    if target_type not in schema.CASE_TARGET_TYPES:
        raise CaseError(f"unknown target type {target_type!r}; expected one of {', '.join(schema.CASE_TARGET_TYPES)}")
    if target_row(conn, target_type, target_key) is None:
        raise CaseError(f"{target_type} {target_key!r} is not in the inventory (目标不在台账中)")
    existing = live_case_for(conn, target_type, target_key)
    if existing is not None:
        return existing, False
    earlier = conn.execute(sa.select(sa.func.count()).select_from(T).where(
        T.c.target_type == target_type, T.c.target_key == target_key)).scalar_one()
    key = make_case_key(target_type, target_key, earlier + 1)
    now = utcnow()
    values = dict(case_key=key, target_type=target_type, target_key=target_key, finding_id=finding_id,
                  state="proposed", opened_by=opened_by, reason=reason,
                  successor_kind=successor[0] if successor else None,
                  successor_key=successor[1] if successor else None,
                  details=dict(details or {}), created_at=now, updated_at=now)
    from fingertip.store.ops import _insert_for

    stmt = (_insert_for(conn, T).values(**values).on_conflict_do_nothing(index_elements=["case_key"])
            .returning(T.c.id))
    inserted = conn.execute(stmt).first()
    case = get_case(conn, key)
    if inserted is not None:
        conn.execute(sa.insert(E).values(case_id=case["id"], from_state=None, to_state="proposed", actor=opened_by,
                                         reason=reason, evidence=dict(evidence or {}), occurred_at=now))
        return case, True
    return case, False


def transition(conn: Connection, case: Mapping[str, Any] | int, from_state: str, to_state: str, *, actor: str,
               reason: str | None = None, evidence: Mapping[str, Any] | None = None,
               values: Mapping[str, Any] | None = None) -> bool:
    """Move a case ``from_state`` → ``to_state`` if it is still in ``from_state``.

    Returns False (and writes nothing) when another run moved it first. Raises
    :class:`InvalidTransition` for a transition the state machine forbids.
    """
    if not allowed(from_state, to_state):
        raise InvalidTransition(f"transition {from_state} → {to_state} is not allowed "
                                f"(from {from_state}: {', '.join(sorted(TRANSITIONS.get(from_state, ()))) or 'none'})")
    case_id = case if isinstance(case, int) else case["id"]
    now = utcnow()
    result = conn.execute(sa.update(T).where(T.c.id == case_id, T.c.state == from_state)
                          .values(state=to_state, updated_at=now, **dict(values or {})))
    if result.rowcount != 1:
        return False
    conn.execute(sa.insert(E).values(case_id=case_id, from_state=from_state, to_state=to_state, actor=actor[:100],
                                     reason=reason, evidence=dict(evidence or {}), occurred_at=now))
    return True


def advance(engine: sa.Engine, case_key: str, to_state: str, *, actor: str, reason: str | None = None,
            evidence: Mapping[str, Any] | None = None) -> bool:
    """Move a case to ``to_state`` from whatever state it is in now (ops staff, CLI)."""
    with engine.begin() as conn:
        case = get_case(conn, case_key)
        return transition(conn, case, case["state"], to_state, actor=actor, reason=reason, evidence=evidence)


def update_details(conn: Connection, case_id: int, changes: Mapping[str, Any], **columns: Any) -> dict[str, Any]:
    """Merge ``changes`` into the case's details JSON (read-modify-write in the caller's transaction)."""
    details = conn.execute(sa.select(T.c.details).where(T.c.id == case_id)).scalar_one() or {}
    details = {**details, **changes}
    conn.execute(sa.update(T).where(T.c.id == case_id).values(details=details, updated_at=utcnow(), **columns))
    return details


def note(conn: Connection, case: Mapping[str, Any], *, actor: str, reason: str,
         evidence: Mapping[str, Any] | None = None) -> None:
    """An event that is not a transition (from = to = current state): approval timeouts, blocks."""
    conn.execute(sa.insert(E).values(case_id=case["id"], from_state=case["state"], to_state=case["state"],
                                     actor=actor[:100], reason=reason, evidence=dict(evidence or {}),
                                     occurred_at=utcnow()))
