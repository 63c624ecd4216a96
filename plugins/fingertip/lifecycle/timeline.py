"""Dry run of a case: its whole timeline, computed from the store and the settings, changing nothing.

Dates of the announcement, stop and disposal deadline, the verification window, every reminder with
its recipient and send date, the documents that would be written and the checks that would run.
For a case already announced its stored dates are used; otherwise the dates it would get if it were
announced on ``day``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa

from fingertip.lifecycle import cases, documents, reminders, successor, verification
from fingertip.lifecycle.settings import Settings


def case_timeline(conn: sa.Connection, case: dict[str, Any], *, day: dt.date, settings: Settings) -> dict[str, Any]:
    if case["announced_on"]:
        dates = {"announced_on": case["announced_on"], "stop_on": case["stop_on"],
                 "disposal_due_on": case["disposal_due_on"]}
        assumed = False
        light = bool((case.get("details") or {}).get("light_close"))
    else:
        light = documents.is_light(conn, case, settings)
        # the light path closes from the day of its internal record: no notice period, no checklist
        dates = {"announced_on": day, "stop_on": day, "disposal_due_on": day} if light else documents.case_dates(settings, day)
        assumed = True
    check = successor.check(conn, case["successor_kind"], case["successor_key"], day=day,
                            max_silence_days=settings.account_max_silence_days,
                            required=settings.successor_required and not light)
    recips = reminders.recipients(conn, case, settings)
    plan = [] if light else reminders.plan(case, settings, recips, **dates)
    ver_start = settings.verification_start(dates["stop_on"])
    chans = verification.channels(conn, case)
    facts = documents.case_facts(conn, case)
    return {
        "case_key": case["case_key"], "state": case["state"], "target": f"{case['target_type']}:{case['target_key']}",
        "target_name": facts["target_name"], "sponsor": facts["sponsor"]["name"],
        "dates_assumed_if_announced_on": day.isoformat() if assumed else None,
        "announcement": dates["announced_on"].isoformat(), "last_service_day": dates["stop_on"].isoformat(),
        "notice_days": (dates["stop_on"] - dates["announced_on"]).days,
        "disposal_deadline": dates["disposal_due_on"].isoformat(),
        "calendar_warning": settings.disposal_deadline_warning(dates["stop_on"]),
        "verification": {"from": ver_start.isoformat(), "consecutive_checks": settings.consecutive_checks,
                         "earliest_verified_on": (ver_start + dt.timedelta(days=settings.consecutive_checks - 1))
                         .isoformat(),
                         "checks": [{"channel": ch, "key": key} for ch, key, _ in chans]},
        "successor": check.as_dict(),
        "light_close": light,
        "documents": [] if not check.ok else documents.planned_documents(case["case_key"], light=light),
        "blocked": None if check.ok else check.blocked_reason,
        "reminders": [r.as_dict() for r in sorted(plan, key=lambda r: (r.send_on, r.recipient))],
        "filing_numbers": facts["filing_numbers"], "platforms": facts["platforms"],
    }


def dry_run(engine: sa.Engine, *, day: dt.date, settings: Settings, case_keys: list[str] | None = None,
            states: tuple[str, ...] = ("proposed", "approved", "announced", "service_stopped", "data_disposed")
            ) -> list[dict[str, Any]]:
    """Timelines of the given (or every live) case. Read-only: one connection, rolled back."""
    with engine.connect() as conn:
        selected = cases.list_cases(conn, None if case_keys else states, case_keys=case_keys)
        out = [case_timeline(conn, case, day=day, settings=settings) for case in selected]
        conn.rollback()
    return out


def render_text(timelines: list[dict[str, Any]]) -> str:
    """Human-readable timeline (the CLI and the DAG log print it)."""
    lines = []
    for t in timelines:
        lines.append(f"== {t['case_key']}  {t['target']}  {t['target_name']}  [{t['state']}]")
        if t["dates_assumed_if_announced_on"]:
            lines.append(f"   (dates as if announced on {t['dates_assumed_if_announced_on']})")
        lines.append(f"   announcement      {t['announcement']}  (notice {t['notice_days']} days)")
        lines.append(f"   last service day  {t['last_service_day']}")
        lines.append(f"   disposal deadline {t['disposal_deadline']}")
        v = t["verification"]
        lines.append(f"   verification from {v['from']}, {v['consecutive_checks']} consecutive absent checks "
                     f"(earliest {v['earliest_verified_on']})")
        for chk in v["checks"]:
            lines.append(f"     check {chk['channel']:<22} {chk['key']}")
        s = t["successor"]
        lines.append(f"   successor         {s['kind']}:{s['key']} {s['name'] or ''} {s['url'] or ''}".rstrip())
        if t["blocked"]:
            lines.append(f"   BLOCKED           {t['blocked']}")
        for d in t["documents"]:
            lines.append(f"   document          {d}")
        for r in t["reminders"]:
            lines.append(f"   reminder {r['send_on']} {r['milestone']:<18} -{r['offset_days']}d → {r['recipient']}")
    return "\n".join(lines)


def as_json(timelines: list[dict[str, Any]]) -> str:
    return json.dumps(timelines, ensure_ascii=False, indent=2, default=str)
