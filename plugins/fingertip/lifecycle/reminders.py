"""Milestone reminders of announced cases, queued in the notification ledger exactly once.

Milestones: ``announcement_due`` (the publication date), ``stop_date``, ``disposal_deadline`` and
``verification`` (first delisting check). Each milestone has offsets in days before it (settings
``reminders``); each (milestone, offset, recipient) is one ledger row with the key
``reminder:<case_key>:<milestone>[-<n>d]:<recipient>`` and ``not_before`` = the send day at 09:00
Beijing time — enqueueing again is a no-op, so re-runs never send twice. Recipients: the sponsor's
contact e-mail (``sponsors.contact_email``) and the ops mailbox.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from fingertip.lifecycle import cases
from fingertip.lifecycle.settings import MILESTONES, Settings
from fingertip.store import schema

log = logging.getLogger(__name__)

MILESTONE_ZH = {"announcement_due": "发布关停公告", "stop_date": "停止服务", "disposal_deadline": "数据处置截止",
                "verification": "下架核验开始", "approval_overdue": "关停审批超时"}
ACTION_ZH = {
    "announcement_due": "请于当日在官方网站、原渠道及继任渠道发布关停公告（公告文本已随案件生成），发布网址和时间登记在案件中即可，无需截图。",
    "stop_date": "请按公告于停止服务日期停止服务：停止新用户注册和数据收集，向各应用商店/平台申请下架，办结在办业务。",
    "disposal_deadline": "请于截止日期前按数据处置清单完成归档移交、删除或匿名化（含备份、缓存、外包及云服务商持有数据），"
                         "逐项签字确认后报送网信部门。",
    "verification": "平台将每日核验各应用商店、平台是否已下架以及备案是否已注销，请确保相关注销手续已办结。",
    "approval_overdue": "该关停提议的审批请求已超时未获答复，已重新提交审批，请及时在 Airflow “待办操作”中处理。",
}
TARGET_ZH = {"app": "政务应用", "account": "政务公众账号", "work_group": "工作群组", "sponsor": "主办单位"}
SEND_HOUR_UTC = 1  # 09:00 Beijing time


@dataclass(frozen=True)
class Reminder:
    key: str
    case_key: str
    milestone: str
    offset_days: int
    milestone_date: dt.date
    send_on: dt.date
    recipient: str
    role: str

    @property
    def not_before(self) -> dt.datetime:
        return dt.datetime.combine(self.send_on, dt.time(SEND_HOUR_UTC))

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "milestone": self.milestone, "offset_days": self.offset_days,
                "milestone_date": self.milestone_date.isoformat(), "send_on": self.send_on.isoformat(),
                "recipient": self.recipient, "role": self.role}


def milestone_dates(settings: Settings, *, announced_on: dt.date, stop_on: dt.date,
                    disposal_due_on: dt.date) -> dict[str, dt.date]:
    return {"announcement_due": announced_on, "stop_date": stop_on, "disposal_deadline": disposal_due_on,
            "verification": settings.verification_start(stop_on)}


def recipients(conn: sa.Connection, case: dict[str, Any], settings: Settings) -> list[tuple[str, str]]:
    """``[(address, role)]``: the sponsor's contact e-mail and the ops mailbox (deduplicated)."""
    out: list[tuple[str, str]] = []
    if "sponsor_contact" in settings.recipient_roles:
        target = cases.target_row(conn, case["target_type"], case["target_key"])
        sponsor_id = None if target is None else (target["id"] if case["target_type"] == "sponsor"
                                                  else target["sponsor_id"])
        if sponsor_id is not None:
            email = conn.execute(sa.select(schema.sponsors.c.contact_email).where(schema.sponsors.c.id == sponsor_id)).scalar()
            if email and "@" in email:
                out.append((email.strip().lower(), "sponsor_contact"))
    if "ops_mailbox" in settings.recipient_roles:
        ops = settings.ops_recipient().strip().lower()
        if ops and ops not in (r for r, _ in out):
            out.append((ops, "ops_mailbox"))
    return out


def plan(case: dict[str, Any], settings: Settings, recipient_list: list[tuple[str, str]], *,
         announced_on: dt.date, stop_on: dt.date, disposal_due_on: dt.date) -> list[Reminder]:
    """Every reminder of a case (none before the publication date)."""
    dates = milestone_dates(settings, announced_on=announced_on, stop_on=stop_on, disposal_due_on=disposal_due_on)
    out = []
    for milestone in MILESTONES:
        for offset in settings.reminders.get(milestone, ()):
            send_on = dates[milestone] - dt.timedelta(days=offset)
            if send_on < announced_on:
                continue
            mid = milestone if offset == 0 else f"{milestone}-{offset}d"
            for address, role in recipient_list:
                out.append(Reminder(key=f"reminder:{case['case_key']}:{mid}:{address}", case_key=case["case_key"],
                                    milestone=milestone, offset_days=offset, milestone_date=dates[milestone],
                                    send_on=send_on, recipient=address, role=role))
    return out


def message(case: dict[str, Any], facts: dict[str, Any], milestone: str, milestone_date: dt.date | None,
            offset_days: int, role: str) -> tuple[str, dict[str, Any]]:
    """Subject and ledger payload (text + HTML) of one reminder.

    Rendered with the mail layer's ``reminder`` templates through its one shared environment
    (:mod:`fingertip.notifications.templates`: HTML autoescaped, control and bidi characters removed,
    strict undefined, the common ``base`` layout) — names from the inventory are printed as text.
    """
    from fingertip.notifications import templates

    when = "今日" if offset_days == 0 else f"{offset_days}日后"
    subject = (f"【关停提醒】{facts['target_name']}：{MILESTONE_ZH[milestone]}"
               f"（{when}，{milestone_date.isoformat() if milestone_date else '待定'}）")
    details = case.get("details") or {}
    successor = details.get("successor_name")
    if successor and details.get("successor_url"):
        successor = f"{successor}（{details['successor_url']}）"

    def day(value: Any) -> str:
        return value.isoformat() if isinstance(value, dt.date) else (str(value) if value else "待定")

    items = [
        {"label": "案件编号", "value": case["case_key"]},
        {"label": "关停对象", "value": f"{TARGET_ZH.get(case['target_type'], case['target_type'])}“{facts['target_name']}”"},
        {"label": "主办单位", "value": facts["sponsor"]["name"]},
        {"label": "节点", "value": f"{MILESTONE_ZH[milestone]}：{day(milestone_date)}"},
        *([{"label": "继任渠道", "value": successor}] if successor else []),
        {"label": "公告发布日期", "value": day(case.get("announced_on"))},
        {"label": "停止服务日期", "value": day(case.get("stop_on"))},
        {"label": "数据处置截止日期", "value": day(case.get("disposal_due_on"))},
    ]
    text, html = templates.render_pair(
        "reminder", title=subject, lead=f"案件 {case['case_key']} 的“{MILESTONE_ZH[milestone]}”节点{when}到期。",
        recipient_name="运维值班同志" if role == "ops_mailbox" else facts["sponsor"]["name"],
        items=items, actions=[ACTION_ZH[milestone]], due_date=milestone_date,
        days_left=offset_days if milestone_date else None)
    return subject[:500], {"text": text, "html": html}


def enqueue(engine_or_conn: Any, *, key: str, recipient: str, subject: str, kind: str, payload: dict[str, Any],
            case_id: int | None, not_before: dt.datetime | None) -> None:
    """``ledger.enqueue`` of the mail layer; until it exists, the same idempotent ledger row directly."""
    try:
        from fingertip.notifications import ledger
    except ImportError:
        pass
    else:
        ledger.enqueue(engine_or_conn, key=key, recipient=recipient, subject=subject, kind=kind, payload=payload,
                       case_id=case_id, not_before=not_before)
        return
    from fingertip.store.ops import upsert

    row = {"notification_key": key, "channel": "email", "recipient": recipient, "subject": subject, "kind": kind,
           "case_id": case_id, "status": "queued", "attempts": 0, "payload": payload, "not_before": not_before,
           "queued_at": cases.utcnow()}
    if isinstance(engine_or_conn, sa.Engine):
        with engine_or_conn.begin() as conn:
            upsert(conn, schema.notifications, [row], key=["notification_key"], update=())
    else:
        upsert(engine_or_conn, schema.notifications, [row], key=["notification_key"], update=())


REMINDER_STATES = ("announced", "service_stopped", "data_disposed")
#: Milestones no longer worth a reminder once the case has reached the state.
_DONE_AFTER = {"service_stopped": {"announcement_due", "stop_date"},
               "data_disposed": {"announcement_due", "stop_date", "disposal_deadline"}}


def enqueue_reminders(engine: sa.Engine, *, settings: Settings, case_keys: list[str] | None = None) -> dict[str, Any]:
    """Queue every reminder of every announced case (idempotent: the same keys, the same rows)."""
    from fingertip.lifecycle.documents import case_facts

    queued = 0
    with engine.connect() as conn:
        live = cases.list_cases(conn, REMINDER_STATES, case_keys=case_keys)
    for case in live:
        if not (case["announced_on"] and case["stop_on"] and case["disposal_due_on"]):
            continue
        if (case.get("details") or {}).get("light_close"):
            continue  # the light path: an internal record, no announcement or checklist to remind of
        with engine.begin() as conn:
            facts = case_facts(conn, case)
            todo = plan(case, settings, recipients(conn, case, settings), announced_on=case["announced_on"],
                        stop_on=case["stop_on"], disposal_due_on=case["disposal_due_on"])
            for r in todo:
                if r.milestone in _DONE_AFTER.get(case["state"], ()):
                    continue
                subject, payload = message(case, facts, r.milestone, r.milestone_date, r.offset_days, r.role)
                enqueue(conn, key=r.key, recipient=r.recipient, subject=subject, kind="reminder",
                        payload=payload, case_id=case["id"], not_before=r.not_before)
                queued += 1
    return {"cases": len(live), "reminders": queued}


def enqueue_escalation(engine: sa.Engine, case: dict[str, Any], *, settings: Settings, timeouts: int) -> int:
    """After repeated approval timeouts: one escalation e-mail per timeout count and recipient."""
    from fingertip.lifecycle.documents import case_facts

    addresses = [settings.ops_recipient(), *settings.escalation_recipients]
    n = 0
    with engine.begin() as conn:
        facts = case_facts(conn, case)
        for address in dict.fromkeys(a.strip().lower() for a in addresses if a and "@" in a):
            subject, payload = message(case, facts, "approval_overdue", None, 0, "ops_mailbox")
            enqueue(conn, key=f"escalation:{case['case_key']}:{timeouts}:{address}", recipient=address,
                    subject=subject, kind="reminder", payload=payload, case_id=case["id"], not_before=None)
            n += 1
    return n


def deliver(engine: sa.Engine, *, smtp_conn_id: str = "smtp_default") -> dict[str, Any]:
    """Send due reminders through the mail layer; without it they stay queued in the ledger."""
    try:
        from fingertip.notifications import ledger
    except ImportError:
        log.warning("fingertip.notifications is not importable: reminders stay queued in the ledger")
        return {"delivered": False, "reason": "mail layer not installed"}
    import dataclasses

    from fingertip.notifications.smtp import MailTemporaryError

    report: ledger.DeliveryReport | None
    try:
        report = ledger.deliver(engine, kind="reminder", smtp_conn_id=smtp_conn_id)
    except MailTemporaryError as exc:  # server down, greylisting …: the rows stay queued
        report = exc.report
        log.warning("reminders not delivered now, they stay queued and are retried next run: %s", exc)
        if report is None:
            return {"delivered": False, "reason": str(exc)[:500]}
    out = dataclasses.asdict(report) if dataclasses.is_dataclass(report) else dict(getattr(report, "__dict__", {}))
    out.pop("details", None)  # one entry per row: too big for XCom on a busy day
    return {"delivered": True, **out}
