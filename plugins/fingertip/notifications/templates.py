"""Jinja2 templates of the mails (``fingertip/resources/templates/email/``).

Rules:

* every mail has an HTML and a plain-text version: ``<name>.html.j2`` and ``<name>.txt.j2``
  (:func:`render_pair` renders both; a test checks every HTML template has its text twin);
* HTML templates extend ``base.html.j2`` (Chinese layout, inline CSS only — mail clients drop
  ``<style>`` blocks and external stylesheets), text templates extend ``base.txt.j2``;
* HTML is autoescaped (``.html``/``.html.j2``): whatever came from outside (app names, unit names,
  evidence) is printed as text, never as markup; ``|safe`` is not used on outside data;
* undefined variables are errors (``StrictUndefined``), so a missing figure never becomes an empty
  cell silently;
* filters: ``date`` (``|date('%Y-%m-%d %H:%M')``; datetimes are naive UTC as stored and printed in
  Beijing time), ``number`` (thousands separators), ``severity_zh``, ``state_zh``, ``target_type_zh``.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Labels used by the templates (kept here so the mail layer has no dependency on the reports).
SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低"}
STATE_ZH = {"open": "待整改", "acknowledged": "已确认", "resolved": "已整改", "waived": "已豁免"}
TARGET_TYPE_ZH = {"app": "应用", "account": "公众账号", "work_group": "工作群组", "sponsor": "主办单位",
                  "listing": "商店上架记录"}


def template_dir() -> Path:
    from fingertip import config

    return config.resources_dir() / "templates" / "email"


def _fmt_date(value: Any, fmt: str = "%Y-%m-%d") -> str:
    """Dates as they are; datetimes (naive = UTC, as stored) in the governance time zone."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        from zoneinfo import ZoneInfo

        from fingertip.runtime import TIMEZONE

        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(ZoneInfo(TIMEZONE)).strftime(fmt)
    if isinstance(value, dt.date):
        return value.strftime(fmt)
    return str(value)


def _fmt_number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
    return str(value)


def _finalize(value: Any) -> Any:
    """Every printed value without control and bidi characters (:func:`fingertip.text.neutralise`, line
    breaks kept); markup a template built keeps its type, other text is autoescaped afterwards in HTML."""
    from markupsafe import Markup

    from fingertip.text import neutralise

    if isinstance(value, Markup):
        return Markup(neutralise(str(value), multiline=True))
    if isinstance(value, str):
        return neutralise(value, multiline=True)
    return value


@lru_cache(maxsize=4)
def environment(search_path: str | None = None):
    """The shared Jinja2 environment (cached per template folder)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search_path or str(template_dir())),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "xml", "html.j2"),
                                            default_for_string=True, default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    env.filters.update(date=_fmt_date, number=_fmt_number,
                       severity_zh=lambda v: SEVERITY_ZH.get(v, v),
                       state_zh=lambda v: STATE_ZH.get(v, v),
                       target_type_zh=lambda v: TARGET_TYPE_ZH.get(v, v))
    env.globals.update(product_name="指尖治理平台", product_name_en="Fingertip")
    return env


def render(name: str, **ctx: Any) -> str:
    """Render one template (``report_summary.html.j2``…) with ``ctx``."""
    return environment().get_template(name).render(**ctx)


def render_pair(base: str, **ctx: Any) -> tuple[str, str]:
    """``(text, html)`` of ``<base>.txt.j2`` and ``<base>.html.j2`` rendered with the same context."""
    return render(f"{base}.txt.j2", **ctx), render(f"{base}.html.j2", **ctx)


def template_names() -> list[str]:
    return sorted(environment().list_templates())
