"""Report settings: ``fingertip/resources/reports/settings.yaml`` (cadences, recipients, formats, topics)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import yaml

from fingertip import config

FORMATS = ("docx", "pdf", "xlsx", "json", "html")
DEFAULTS: dict[str, Any] = {
    "schedule": "0 6 1 * *",
    "cadences": {"monthly": {"enabled": True}, "quarterly": {"enabled": True, "months": [1, 4, 7, 10]},
                 "annual": {"enabled": True, "months": [1]}},
    "recipients_variable": "fingertip_report_recipients",
    "default_recipients": [],
    "formats": list(FORMATS),
    "issuer": "网信办数字政府治理专班",
    "doc_number_prefix": "指尖治理报〔{year}〕",
    "topics": ["inventory", "changes", "findings", "inspections", "cases", "comparison", "key_findings"],
    "document_rows": 20,
    "key_findings_limit": 5000,
}


def settings_path() -> Path:
    return Path(config.get("report_settings") or config.resource("reports", "settings.yaml"))


@functools.lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    p = Path(path)
    data = yaml.safe_load(p.read_text(encoding="utf-8")) if p.exists() else {}
    if not isinstance(data, dict):
        raise ValueError(f"{p}: expected a mapping at the top level")
    unknown = sorted(set(data) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"{p}: unknown setting(s) {', '.join(unknown)}")
    bad = sorted(set(data.get("formats") or []) - set(FORMATS))
    if bad:
        raise ValueError(f"{p}: unknown format(s) {', '.join(bad)} (allowed: {', '.join(FORMATS)})")
    return {**DEFAULTS, **data}


def load_settings() -> dict[str, Any]:
    return _load(str(settings_path()))


def parse_recipients(value: Any) -> list[str]:
    """A recipients value from a Variable or param: JSON list, comma/semicolon-separated text or list."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            value = json.loads(text)
        else:
            value = [p for p in text.replace(";", ",").split(",")]
    return [str(v).strip() for v in value if str(v).strip()]


def default_recipients() -> list[str]:
    """Recipients from the Airflow Variable ``fingertip_report_recipients``, else the settings file."""
    settings = load_settings()
    try:
        from airflow.sdk import Variable

        value = Variable.get(settings["recipients_variable"], default=None)
    except Exception:  # noqa: BLE001 — outside a task / no metadata DB (any error of Airflow's): use the file
        value = None
    return parse_recipients(value) or list(settings["default_recipients"])
