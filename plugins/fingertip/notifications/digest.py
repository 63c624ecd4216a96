"""Digest per sponsoring unit: each unit gets one mail listing its own open findings.

:func:`queue_sponsor_digests` groups the ``open`` and ``acknowledged`` findings by
``findings.sponsor_id`` and queues, for every sponsor with a ``contact_email``, one ledger row
keyed ``digest:{period_key}:{credit_code}`` (kind ``digest``). The query for a unit is filtered
by that unit's id only, so a unit never sees another unit's findings. Re-running for the same
``period_key`` queues nothing new; :func:`send_sponsor_digests` queues and delivers.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from fingertip.notifications import ledger, templates
from fingertip.notifications.message import validate_addresses
from fingertip.store import ops, schema

log = logging.getLogger(__name__)

KIND = "digest"
OPEN_STATES = ("open", "acknowledged")
_SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}

#: target_type → (table, key column) for the display name of a finding's target
_TARGET_TABLES = {
    "app": (schema.apps, schema.apps.c.app_key),
    "account": (schema.accounts, schema.accounts.c.account_key),
    "work_group": (schema.work_groups, schema.work_groups.c.group_key),
    "sponsor": (schema.sponsors, schema.sponsors.c.credit_code),
}


def digest_key(period_key: str, credit_code: str) -> str:
    return f"digest:{period_key}:{credit_code}"


def _target_names(conn, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {}
    by_type: dict[str, list[str]] = defaultdict(list)
    for target_type, key in pairs:
        by_type[target_type].append(key)
    for target_type, keys in by_type.items():
        if target_type not in _TARGET_TABLES:
            continue
        table, key_col = _TARGET_TABLES[target_type]
        for part in ops.chunks(sorted(set(keys)), 500):
            for key, name in conn.execute(sa.select(key_col, table.c.name).where(key_col.in_(part))):
                names[(target_type, key)] = name
    return names


def _display_name(finding: Any, names: dict[tuple[str, str], str]) -> str:
    name = names.get((finding.target_type, finding.target_key))
    if name:
        return name
    evidence = finding.evidence if isinstance(finding.evidence, dict) else {}
    for field in ("name", "target_name", "app_name", "account_name"):
        if isinstance(evidence.get(field), str) and evidence[field]:
            return evidence[field]
    return finding.target_key


def build_digest(sponsor: Any, findings: Sequence[Any], names: dict[tuple[str, str], str], *, period_label: str,
                 limit_per_unit: int | None, generated_at: dt.datetime) -> tuple[str, str, str]:
    """``(subject, text, html)`` of one unit's digest."""
    ordered = sorted(findings, key=lambda f: (_SEVERITY_RANK.get(f.severity, 9), f.first_seen_at, f.id))
    listed = ordered[:limit_per_unit] if limit_per_unit else ordered
    by_severity = {"high": 0, "medium": 0, "low": 0}
    for f in ordered:
        by_severity[f.severity] = by_severity.get(f.severity, 0) + 1
    ctx = {
        "title": f"{period_label}问题整改清单",
        "period_label": period_label,
        "sponsor": {"name": sponsor.name, "credit_code": sponsor.credit_code},
        "findings": [{
            "title": f.title_zh, "severity": f.severity, "state": f.state, "target_type": f.target_type,
            "target_name": _display_name(f, names), "target_key": f.target_key, "basis": f.basis,
            "first_seen_at": f.first_seen_at, "remediation": f.remediation_zh or "",
        } for f in listed],
        "total": len(ordered),
        "listed": len(listed),
        "by_severity": by_severity,
        "generated_at": generated_at,
    }
    text, html = templates.render_pair("sponsor_digest", **ctx)
    subject = f"【问题整改清单】{period_label}｜{sponsor.name}（{len(ordered)} 个待整改问题）"
    subject = " ".join(subject.split())  # names from outside: no line breaks in a header
    return subject[:ledger.SUBJECT_MAX], text, html


def queue_sponsor_digests(engine: Engine, *, period_label: str, period_key: str, now: dt.datetime | None = None,
                          limit_per_unit: int | None = None) -> int:
    """Queue one digest per sponsor with open/acknowledged findings and a contact e-mail.

    Returns the number of digests newly queued (0 on a re-run for the same ``period_key``).
    Units without a (valid) ``contact_email`` are skipped with a warning.
    """
    if not period_key or ":" in period_key:
        raise ValueError(f"period_key must be a non-empty string without ':', got {period_key!r}")
    if limit_per_unit is not None and limit_per_unit < 1:
        raise ValueError("limit_per_unit must be at least 1")
    now = ledger._naive_utc(now) or ledger.utcnow()
    f, sp = schema.findings, schema.sponsors
    created = present = 0
    skipped: list[str] = []
    with engine.begin() as conn:
        sponsors = conn.execute(
            sa.select(sp.c.id, sp.c.credit_code, sp.c.name, sp.c.contact_email)
            .where(sp.c.id.in_(sa.select(f.c.sponsor_id).where(f.c.state.in_(OPEN_STATES),
                                                                f.c.sponsor_id.is_not(None))))
            .order_by(sp.c.credit_code)).all()
        for sponsor in sponsors:
            try:
                recipients = validate_addresses([sponsor.contact_email or ""]) if sponsor.contact_email else []
            except ValueError as exc:
                log.warning("mail: sponsor %s has an invalid contact_email: %s", sponsor.credit_code, exc)
                recipients = []
            if not recipients:
                skipped.append(sponsor.credit_code)
                continue
            key = digest_key(period_key, sponsor.credit_code)
            if conn.execute(sa.select(schema.notifications.c.id)
                            .where(schema.notifications.c.notification_key == ledger.fit_key(key))).first():
                present += 1
                continue
            # Only this unit's own findings: the filter is the unit's id, nothing else.
            rows = conn.execute(
                sa.select(f.c.id, f.c.rule_id, f.c.target_type, f.c.target_key, f.c.severity, f.c.state,
                          f.c.title_zh, f.c.basis, f.c.remediation_zh, f.c.evidence, f.c.first_seen_at)
                .where(f.c.sponsor_id == sponsor.id, f.c.state.in_(OPEN_STATES))).all()
            names = _target_names(conn, {(r.target_type, r.target_key) for r in rows})
            subject, text, html = build_digest(sponsor, rows, names, period_label=period_label,
                                               limit_per_unit=limit_per_unit, generated_at=now)
            _id, new = ledger._enqueue(conn, key=key, recipient=recipients[0], subject=subject, kind=KIND,
                                       payload={"text": text, "html": html, "attachments": [], "inline_images": [],
                                                "to": recipients[:1], "cc": [], "reply_to": None,
                                                "headers": {"X-Fingertip-Sponsor": sponsor.credit_code}},
                                       case_id=None, audit_run_id=None, not_before=None, channel="email", now=now)
            created += new
            present += not new
    if skipped:
        log.warning("mail: %d sponsor(s) with open findings have no usable contact_email: %s", len(skipped),
                    ", ".join(skipped[:20]) + (" …" if len(skipped) > 20 else ""))
    log.info("mail: sponsor digests %s: %d queued, %d already queued, %d without contact", period_key, created,
             present, len(skipped))
    return created


def send_sponsor_digests(engine: Engine, *, period_label: str, period_key: str, now: dt.datetime | None = None,
                         limit_per_unit: int | None = None, **deliver_kwargs: Any) -> ledger.DeliveryReport:
    """Queue the digests of ``period_key`` and deliver them (raises as :func:`ledger.deliver`)."""
    queue_sponsor_digests(engine, period_label=period_label, period_key=period_key, now=now,
                          limit_per_unit=limit_per_unit)
    return ledger.deliver(engine, kind=KIND, key_prefix=f"digest:{period_key}:", now=now, **deliver_kwargs)
