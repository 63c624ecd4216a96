"""Workflow settings of the shutdown workflow (``fingertip/resources/policy/shutdown.yaml``).

Every key is checked: an unknown key, a wrong type, or a notice period other than the default without
its declared source is a :class:`SettingsError` naming the file and the key. Which rules propose a shutdown is configured in
the rules policy files (``actions: [propose_shutdown]``), not here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fingertip.documents.announcement import DEFAULT_NOTICE_DAYS, DEFAULT_NOTICE_SOURCE_ZH
from fingertip.workdays import WorkingCalendar

MILESTONES = ("announcement_due", "stop_date", "disposal_deadline", "verification")
TARGET_TYPES = ("app", "account", "work_group", "sponsor")
RECIPIENT_ROLES = ("sponsor_contact", "ops_mailbox")


class SettingsError(ValueError):
    """The workflow settings file is unusable; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    #: days between publication of the announcement and the last service date (default 30, a
    #: Fingertip default: the Opinions, Art. 7, say only 提前发布公告) and where they come from
    min_notice_days: int = DEFAULT_NOTICE_DAYS
    min_notice_source: str = DEFAULT_NOTICE_SOURCE_ZH
    disposal_working_days: int = 15
    holidays: frozenset[dt.date] = frozenset()
    working_days: frozenset[dt.date] = frozenset()
    official_calendar: bool = True
    successor_required: bool = True
    account_max_silence_days: int = 14
    consecutive_checks: int = 2
    require_filings_cancelled: bool = True
    verification_start_after_days: int = 1
    approval_timeout_hours: float = 72.0
    escalate_after_timeouts: int = 2
    escalation_recipients: tuple[str, ...] = ()
    #: bounded approval queue: at most this many approval requests open at once (project default 20);
    #: further proposed cases wait, visible as ``details.approval.status == "queued"``
    max_open_approvals: int = 20
    #: cases opened from findings per run, scheduled runs included (the run's ``max_new_cases`` param
    #: overrides it; project default 50)
    max_new_cases_per_run: int = 50
    reminders: dict[str, tuple[int, ...]] = field(default_factory=lambda: {
        "announcement_due": (0,), "stop_date": (7, 1), "disposal_deadline": (7, 1), "verification": (0,)})
    recipient_roles: tuple[str, ...] = RECIPIENT_ROLES
    ops_mailbox: str = "ops@cac.example.gov.cn"
    ops_mailbox_variable: str | None = "fingertip_ops_mailbox"
    pending_business_zh: dict[str, str] = field(default_factory=dict)
    archive_note_zh: str = ""
    data_categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    monitor_days_after_close: int = 365
    #: light closing path: an internal temporary work group is closed with a short internal closing
    #: record — no public announcement, no notice period, no disposal checklist (default on)
    light_close_temporary_groups: bool = True
    source: str = "<defaults>"

    # --- dates --------------------------------------------------------------------------------
    def stop_date(self, announced_on: dt.date) -> dt.date:
        """Last service date: publication + the configured notice period."""
        return announced_on + dt.timedelta(days=self.min_notice_days)

    @property
    def calendar(self) -> WorkingCalendar:
        """The official working-day calendar with this file's ``holidays`` and ``working_days`` on top."""
        return WorkingCalendar(self.holidays, self.working_days, self.official_calendar)

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """``start`` plus ``days`` working days (official calendar; a warning is logged beyond its data)."""
        return self.calendar.add_working_days(start, days)

    def disposal_deadline(self, stop_on: dt.date) -> dt.date:
        return self.add_working_days(stop_on, self.disposal_working_days)

    def disposal_deadline_warning(self, stop_on: dt.date) -> str | None:
        """Chinese note for the case timeline when the deadline was counted without official data."""
        return self.calendar.add(stop_on, self.disposal_working_days).warning_zh

    def verification_start(self, stop_on: dt.date) -> dt.date:
        return stop_on + dt.timedelta(days=self.verification_start_after_days)

    def ops_recipient(self) -> str:
        """The ops mailbox: the Airflow Variable when set (and Airflow is reachable), else the file's."""
        if self.ops_mailbox_variable:
            try:
                from airflow.sdk import Variable

                value = Variable.get(self.ops_mailbox_variable, default=None)
                if value:
                    return str(value).strip()
            # no Airflow, no task context or no metadata DB (import, runtime or DB errors)
            except Exception:  # noqa: BLE001 — any of them: fall back to the settings file
                pass
        return self.ops_mailbox


def default_path() -> Path:
    from fingertip import config

    return config.policy_dir() / "shutdown.yaml"


_TOP_KEYS = {"min_notice_days", "min_notice_source", "disposal_working_days", "holidays", "working_days", "official_calendar",
             "successor", "verification", "approval",
             "reminders", "recipients", "pending_business_zh", "archive_note_zh", "data_categories",
             "monitor_days_after_close", "light_close"}
_SECTIONS = {
    "successor": {"required", "account_max_silence_days"},
    "verification": {"consecutive_checks", "require_filings_cancelled", "start_after_days"},
    "approval": {"response_timeout_hours", "escalate_after_timeouts", "escalation_recipients", "max_open_requests",
                 "max_new_cases_per_run"},
    "recipients": {"roles", "ops_mailbox", "ops_mailbox_variable"},
    "light_close": {"temporary_work_groups"},
}


def _int(where: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SettingsError(f"{where}: expected an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        raise SettingsError(f"{where}: {value} is out of range ({low}..{high if high is not None else '∞'})")
    return value


def _bool(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(f"{where}: expected true or false, got {value!r}")
    return value


def parse(data: Any, source: str = "<data>") -> Settings:
    """Check a settings mapping and build :class:`Settings`."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SettingsError(f"{source}: expected a mapping at the top level")
    _check_keys(data, source)
    kw: dict[str, Any] = {"source": source}
    kw.update(_dates(data, source))
    kw.update(_successor(data.get("successor") or {}, source))
    kw.update(_verification(data.get("verification") or {}, source))
    kw.update(_approval(data.get("approval") or {}, source))
    if "reminders" in data:
        kw["reminders"] = _reminders(data["reminders"] or {}, source)
    kw.update(_recipients(data.get("recipients") or {}, source))
    kw.update(_texts(data, source))
    light = data.get("light_close") or {}
    if "temporary_work_groups" in light:
        kw["light_close_temporary_groups"] = _bool(f"{source}: light_close.temporary_work_groups",
                                                   light["temporary_work_groups"])
    if "monitor_days_after_close" in data:
        kw["monitor_days_after_close"] = _int(f"{source}: monitor_days_after_close",
                                              data["monitor_days_after_close"], 0, 3650)
    return Settings(**kw)


def _check_keys(data: dict, source: str) -> None:
    """Unknown top-level or section keys, and sections that are not mappings."""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise SettingsError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}; "
                            f"allowed: {', '.join(sorted(_TOP_KEYS))}")
    for section, keys in _SECTIONS.items():
        value = data.get(section) or {}
        if not isinstance(value, dict):
            raise SettingsError(f"{source}: {section}: expected a mapping")
        bad = set(value) - keys
        if bad:
            raise SettingsError(f"{source}: {section}: unknown key(s) {', '.join(sorted(bad))}; "
                                f"allowed: {', '.join(sorted(keys))}")


def _dates(data: dict, source: str) -> dict[str, Any]:
    """min_notice_days and its min_notice_source, disposal_working_days, holidays, working_days,
    official_calendar."""
    kw: dict[str, Any] = {}
    source_text = data.get("min_notice_source")
    if source_text is not None and (not isinstance(source_text, str) or not source_text.strip()):
        raise SettingsError(f"{source}: min_notice_source: expected the source of the notice period as text, "
                            f"got {source_text!r}")
    if "min_notice_days" in data:
        days = _int(f"{source}: min_notice_days", data["min_notice_days"], 1, 3650)
        if days != DEFAULT_NOTICE_DAYS and source_text is None:
            raise SettingsError(
                f"{source}: min_notice_days: {days} differs from Fingertip's default of {DEFAULT_NOTICE_DAYS} days "
                "and no min_notice_source declares where it comes from (e.g. a local rule). The Opinions (Art. 7) "
                f"say only 提前发布公告 (公告提前{days}日发布须注明依据，如地方规定)")
        kw["min_notice_days"] = days
    if source_text is not None:
        kw["min_notice_source"] = source_text.strip()
    if "disposal_working_days" in data:
        kw["disposal_working_days"] = _int(f"{source}: disposal_working_days", data["disposal_working_days"], 1, 365)
    for key in ("holidays", "working_days"):
        if data.get(key):
            try:
                kw[key] = frozenset(dt.date.fromisoformat(str(d)) for d in data[key])
            except (TypeError, ValueError) as exc:
                raise SettingsError(f"{source}: {key}: expected YYYY-MM-DD dates ({exc})") from None
    clash = kw.get("holidays", frozenset()) & kw.get("working_days", frozenset())
    if clash:
        raise SettingsError(f"{source}: holidays and working_days both list "
                            f"{', '.join(d.isoformat() for d in sorted(clash))}")
    if "official_calendar" in data:
        kw["official_calendar"] = _bool(f"{source}: official_calendar", data["official_calendar"])
    return kw


def _successor(succ: dict, source: str) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    if "required" in succ:
        kw["successor_required"] = _bool(f"{source}: successor.required", succ["required"])
    if "account_max_silence_days" in succ:
        kw["account_max_silence_days"] = _int(f"{source}: successor.account_max_silence_days",
                                              succ["account_max_silence_days"], 1, 365)
    return kw


def _verification(ver: dict, source: str) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    if "consecutive_checks" in ver:
        kw["consecutive_checks"] = _int(f"{source}: verification.consecutive_checks", ver["consecutive_checks"], 1, 30)
    if "require_filings_cancelled" in ver:
        kw["require_filings_cancelled"] = _bool(f"{source}: verification.require_filings_cancelled",
                                                ver["require_filings_cancelled"])
    if "start_after_days" in ver:
        kw["verification_start_after_days"] = _int(f"{source}: verification.start_after_days",
                                                   ver["start_after_days"], 0, 90)
    return kw


def _approval(appr: dict, source: str) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    if "response_timeout_hours" in appr:
        hours = appr["response_timeout_hours"]
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 < hours <= 24 * 90:
            raise SettingsError(f"{source}: approval.response_timeout_hours: expected 0 < hours ≤ 2160, got {hours!r}")
        kw["approval_timeout_hours"] = float(hours)
    if "escalate_after_timeouts" in appr:
        kw["escalate_after_timeouts"] = _int(f"{source}: approval.escalate_after_timeouts",
                                             appr["escalate_after_timeouts"], 1, 100)
    if "max_open_requests" in appr:
        kw["max_open_approvals"] = _int(f"{source}: approval.max_open_requests", appr["max_open_requests"], 1, 10_000)
    if "max_new_cases_per_run" in appr:
        kw["max_new_cases_per_run"] = _int(f"{source}: approval.max_new_cases_per_run",
                                           appr["max_new_cases_per_run"], 1, 100_000)
    if appr.get("escalation_recipients"):
        kw["escalation_recipients"] = tuple(str(r) for r in appr["escalation_recipients"])
    return kw


def _reminders(rem: Any, source: str) -> dict[str, tuple[int, ...]]:
    """Milestone → days before it, latest first."""
    if not isinstance(rem, dict):
        raise SettingsError(f"{source}: reminders: expected a mapping of milestone → days before")
    bad = set(rem) - set(MILESTONES)
    if bad:
        raise SettingsError(f"{source}: reminders: unknown milestone(s) {', '.join(sorted(bad))}; "
                            f"allowed: {', '.join(MILESTONES)}")
    reminders = {}
    for milestone, offsets in rem.items():
        if not isinstance(offsets, list):
            raise SettingsError(f"{source}: reminders.{milestone}: expected a list of days")
        reminders[milestone] = tuple(sorted({_int(f"{source}: reminders.{milestone}", o, 0, 365)
                                             for o in offsets}, reverse=True))
    return reminders


def _recipients(rec: dict, source: str) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    if "roles" in rec:
        roles = rec["roles"] or []
        bad = set(roles) - set(RECIPIENT_ROLES)
        if bad:
            raise SettingsError(f"{source}: recipients.roles: unknown role(s) {', '.join(sorted(bad))}; "
                                f"allowed: {', '.join(RECIPIENT_ROLES)}")
        kw["recipient_roles"] = tuple(roles)
    if "ops_mailbox" in rec:
        box = str(rec["ops_mailbox"] or "").strip()
        if "@" not in box:
            raise SettingsError(f"{source}: recipients.ops_mailbox: not an e-mail address: {box!r}")
        kw["ops_mailbox"] = box
    if "ops_mailbox_variable" in rec:
        kw["ops_mailbox_variable"] = rec["ops_mailbox_variable"] or None
    return kw


def _texts(data: dict, source: str) -> dict[str, Any]:
    """Document texts by target type: pending_business_zh, archive_note_zh, data_categories."""
    kw: dict[str, Any] = {}
    if "pending_business_zh" in data:
        pb = data["pending_business_zh"] or {}
        if not isinstance(pb, dict) or set(pb) - set(TARGET_TYPES):
            raise SettingsError(f"{source}: pending_business_zh: expected a mapping by target type "
                                f"({', '.join(TARGET_TYPES)})")
        kw["pending_business_zh"] = {k: str(v) for k, v in pb.items()}
    if "archive_note_zh" in data:
        kw["archive_note_zh"] = str(data["archive_note_zh"] or "")
    if "data_categories" in data:
        dc = data["data_categories"] or {}
        if not isinstance(dc, dict) or set(dc) - set(TARGET_TYPES):
            raise SettingsError(f"{source}: data_categories: expected a mapping by target type "
                                f"({', '.join(TARGET_TYPES)})")
        for k, v in dc.items():
            if not isinstance(v, list) or not v:
                raise SettingsError(f"{source}: data_categories.{k}: expected a non-empty list")
        kw["data_categories"] = {k: tuple(str(x) for x in v) for k, v in dc.items()}
    return kw


def load_settings(path: str | Path | None = None) -> Settings:
    """Read and check the settings file (default ``fingertip/resources/policy/shutdown.yaml``)."""
    import yaml

    path = Path(path) if path else default_path()
    if not path.exists():
        raise SettingsError(f"{path}: workflow settings file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path}: not valid YAML: {exc}") from None
    return parse(data, str(path))
