"""Report charts: PNG bar charts with Chinese labels (matplotlib, Agg backend).

The CJK font is found through fontconfig (``fc-match "Noto Sans CJK SC"``, then any font for
``:lang=zh``) and registered with matplotlib by file, so Chinese renders as glyphs, never boxes.
"""

from __future__ import annotations

import functools
import logging
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fingertip.reports.model import AnyFigures, ChartInfo, is_audit

log = logging.getLogger(__name__)

PREFERRED_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei")


class FontNotFound(RuntimeError):
    """No CJK font is installed (install fonts-noto-cjk)."""


@dataclass(frozen=True, slots=True)
class Chart:
    name: str      # file stem and cid, e.g. "inventory_by_province"
    title_zh: str
    path: str      # local PNG path

    def to_dict(self) -> ChartInfo:
        return {"name": self.name, "title_zh": self.title_zh, "path": self.path}


def _fc(*args: str) -> str:
    try:
        return subprocess.run(["fc-match", *args], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


@functools.lru_cache(maxsize=1)
def cjk_font() -> tuple[str, str]:
    """(family name, file path) of an installed CJK font, via fontconfig."""
    for family in PREFERRED_FONTS:
        out = _fc("--format=%{family[0]}\t%{file}", f"{family}:lang=zh").strip()
        if out and "\t" in out:
            fam, path = out.split("\t", 1)
            if "CJK" in fam or "Han" in fam or "Hei" in fam or family.split()[0] in fam:
                return fam, path
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "family", "file"], capture_output=True, text=True,
                             timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    for line in out.splitlines():
        path, _, fam = line.partition(":")
        if path.strip():
            return fam.split(",")[0].strip(), path.strip()
    raise FontNotFound("no CJK font found by fontconfig (fc-list :lang=zh); install fonts-noto-cjk")


@functools.lru_cache(maxsize=1)
def _setup_matplotlib() -> str:
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import font_manager, rcParams

    family, path = cjk_font()
    font_manager.fontManager.addfont(path)
    name = font_manager.FontProperties(fname=path).get_name()
    rcParams["font.family"] = "sans-serif"
    rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
    rcParams["axes.unicode_minus"] = False
    log.debug("charts use CJK font %s (%s)", name, path)
    return name


def bar_chart(dest: Path, title_zh: str, labels: list[str], values: list[float], *, xlabel: str = "",
              percent: bool = False, horizontal: bool = True, color: str = "#b22222") -> Path:
    """One bar chart as PNG (``percent``: values are 0–1 rates shown as %)."""
    _setup_matplotlib()
    import matplotlib.pyplot as plt

    n = max(len(labels), 1)
    fig_h = max(3.0, 0.32 * n + 1.4) if horizontal else 4.2
    fig, ax = plt.subplots(figsize=(7.5, fig_h), dpi=120)
    try:
        shown = [v * 100 for v in values] if percent else values
        if horizontal:
            ax.barh(range(len(labels)), shown, color=color)
            ax.set_yticks(range(len(labels)), labels)
            ax.invert_yaxis()
            ax.set_xlabel(xlabel)
            for y, v in enumerate(shown):
                ax.text(v, y, f" {v:.1f}%" if percent else f" {v:,.0f}", va="center", fontsize=8)
            if percent:
                ax.set_xlim(0, 110)
        else:
            ax.bar(range(len(labels)), shown, color=color)
            ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
            ax.set_ylabel(xlabel)
        ax.set_title(title_zh, fontsize=13)
        ax.spines[["top", "right"]].set_visible(False)
        if not labels:
            ax.text(0.5, 0.5, "本期无数据", ha="center", va="center", transform=ax.transAxes, fontsize=14)
        fig.tight_layout()
        dest.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(dest, format="png")
    finally:
        plt.close(fig)
    return dest


def report_charts(figures: AnyFigures, folder: Path, *, max_bars: int = 40) -> list[Chart]:
    """The charts of a report (or audit) from its figures, written as PNG into ``folder``."""
    charts: list[Chart] = []

    def add(name: str, title: str, pairs: list[tuple[str, float]], **kw: Any) -> None:
        pairs = pairs[:max_bars]
        path = bar_chart(folder / f"{name}.png", title, [p[0] for p in pairs], [p[1] for p in pairs], **kw)
        charts.append(Chart(name, title, str(path)))

    if is_audit(figures):
        _findings_chart(add, "按政策条款统计的核查发现问题",
                        [(r["article_label"], r["count"]) for r in figures["findings"]["by_article"]])
        _pass_rate_chart(add, figures)
        return charts
    inv = figures["inventory"]
    add("inventory_by_province", "各地区在册应用、账号和群组数量",
        sorted(((r["province_name"], float(r["total"])) for r in inv["by_province"]), key=lambda x: -x[1]),
        xlabel="数量")
    add("inventory_by_platform", "按平台和类型统计的在册数量",
        [(f"{r['entity_type_zh']}·{r['platform_zh']}", float(r["count"])) for r in inv["by_platform"]],
        xlabel="数量", color="#1f4e79")
    _findings_chart(add, "按政策条款统计的未整改问题",
                    [(r["article_label"], r["open"]) for r in figures["findings"]["by_article"]])
    _pass_rate_chart(add, figures)
    add("cases_by_state", "关停注销案件状态分布",
        [(r["state_zh"], float(r["count"])) for r in figures["cases"]["by_state"]], xlabel="案件数", color="#7030a0")
    return charts


_Add = Callable[..., None]


def _findings_chart(add: _Add, title: str, pairs: list[tuple[str, int]]) -> None:
    add("findings_by_article", title, [(label, float(n)) for label, n in pairs], xlabel="问题数", color="#c55a11")


def _pass_rate_chart(add: _Add, figures: AnyFigures) -> None:
    insp = figures["inspections"]
    add("pass_rate_by_province", f"各地区检查合格率（检查日 {insp['check_date'] or '无'}）",
        sorted(((r["province_name"], r["pass_rate"] or 0.0) for r in insp["by_province"]), key=lambda x: x[1]),
        xlabel="合格率", percent=True, color="#548235")
