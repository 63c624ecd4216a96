"""Beijing time for everything the console shows (the store keeps naive UTC)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fingertip import config


def zone() -> ZoneInfo:
    return ZoneInfo(config.timezone())


def beijing(value: dt.datetime | None) -> str:
    """``YYYY-MM-DD HH:MM`` in the configured zone (Asia/Shanghai) of a naive-UTC or aware datetime."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone()).strftime("%Y-%m-%d %H:%M")
