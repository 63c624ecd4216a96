"""Report figures, computed from the governance store in the database.

Every figure is an aggregate query (SQLAlchemy Core, bound parameters, ``GROUP BY`` in the
database), so a report over 200k entities reads a few thousand rows at most. The result is a plain,
JSON-serialisable dict typed as :class:`~fingertip.reports.model.ReportFigures` (the contract the
workbook, document, JSON, e-mail and chart writers read).

Definitions (also in ``docs/reports.md``):

Every figure is computed **as of the period's end** (``as_of``, the last day of the period), so a
report re-produced later — a quarter re-run a month on, an annual report compiled in January — shows
what was true then:

* **inventory** — apps, accounts and work groups open at the end of the period: launched / opened
  (``launched_on``, ``opened_on``; unknown counts as before) on or before it and not closed
  (``closed_on``) by then; a record ``closed`` without a closing day counts as closed. By sponsor
  level, province (first two digits of the division code) and platform / kind;
* **new** — apps launched (``launched_on``), accounts and work groups opened (``opened_on``) in the
  period; **closed** — apps, accounts and work groups whose ``closed_on`` falls in the period;
* **findings** — open at the end (first seen before it — or last evaluated on a data date within the
  period, for a run over past data —, not resolved by then, no waiver in force then), new (``first_seen_at`` in the period)
  and resolved (``resolved_at`` in the period), by rule, policy article and severity. Not exact for a
  finding resolved and reopened after the period (the store keeps the last resolution only);
* **inspections** — the latest check date within the period. Two scores, never mixed: Fingertip's
  **governance assessment** of apps and accounts (the project's own scoring; ``inspections``) and
  the **国办秘函〔2019〕19号 inspection** of accounts (``inspections.indicator``). 合格率 = passed /
  checked, where checked = passed + failed: records whose data is missing (outcome ``no_data``) are
  counted apart (``no_data``), listed (``not_monitored``) and never a pass. Records passing a score
  while a shutdown-proposing finding is open are listed with the reason (``shutdown_beside_pass``);
* **risk tiers** — at the same check date, per risk tier (Art. 16; the tier each app and account
  had in its inspection): apps and accounts, both scores (no data apart), open findings on them (and
  how many are high severity), and what the tier drives: the monitoring interval and the audit
  sampling weight (policy settings ``tier_uses``, Fingertip defaults);
* **cases** — shutdown cases opened by the end, by their state at the end (the last case event before
  it), opened (``created_at``) and closed (a ``closed`` event) in the period;
* **comparison** — new findings, resolved findings and pass rate against the previous period;
  **regressed** = entities that passed at the previous period's latest check and fail at this
  period's; **reopened** = findings reopened at least once and seen again in the period.

Period boundaries are Beijing-time days (``FINGERTIP_TZ``) turned into naive UTC for timestamps.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import sqlalchemy as sa

from fingertip.reports import labels
from fingertip.reports.model import (
    ArticleRow,
    CaseFigures,
    CaseStateRow,
    ChangeFigures,
    ComparisonFigures,
    Delta,
    FindingFigures,
    IndicatorInspectionFigures,
    InventoryFigures,
    InventoryTotals,
    KeyFinding,
    LevelRow,
    NotMonitoredItem,
    PeriodInspectionFigures,
    PlatformRow,
    ProvincePassRow,
    ProvinceRow,
    RegressedItem,
    ReportFigures,
    RiskTierFigures,
    RuleRow,
    ShutdownBesidePassItem,
    TargetTypePassRow,
    TierRow,
    UnitPassRow,
)
from fingertip.reports.periods import Period
from fingertip.store import schema

ENTITY_TABLES = (("app", schema.apps), ("account", schema.accounts), ("work_group", schema.work_groups))
OPEN_STATES = ("open", "acknowledged")


def _tz() -> zoneinfo.ZoneInfo:
    from fingertip.runtime import TIMEZONE

    return zoneinfo.ZoneInfo(TIMEZONE)


def utc_bounds(start: dt.date, end_exclusive: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Local-day bounds of a period as naive UTC datetimes (how the store keeps timestamps)."""
    tz = _tz()

    def conv(d: dt.date) -> dt.datetime:
        return dt.datetime(d.year, d.month, d.day, tzinfo=tz).astimezone(dt.UTC).replace(tzinfo=None)

    return conv(start), conv(end_exclusive)


def province_of(code: str | None) -> str | None:
    return None if not code else f"{code[:2]}0000"


def province_name(code: str | None) -> str:
    if not code:
        return "未知"
    from fingertip.reference import division_map

    div = division_map().get(f"{code[:2]}0000")
    return div.name if div else f"{code[:2]}（未知地区）"


def article_labels() -> dict[str, str]:
    """Policy article key → Chinese label, from the rules engine's policy (empty when unavailable)."""
    try:
        from fingertip.rules import load_policy

        return {k: str(getattr(a, "label", a)) for k, a in load_policy().articles.items()}
    except Exception:  # noqa: BLE001 — a report must not fail on the policy files: fall back to the article keys
        return {}


def _rate(passed: int, checked: int) -> float | None:
    return round(passed / checked, 4) if checked else None


def _div_filter(column, province: str | None):
    """``column LIKE 'PP%'`` for a province scope (bound parameter), or TRUE."""
    if not province:
        return sa.true()
    return column.like(sa.bindparam(None, province[:2] + "%", type_=sa.String), escape=None)


class FigureBuilder:
    """Computes the figures of one report (period, optional province) on one connection."""

    def __init__(self, conn: sa.Connection, period: Period, *, province: str | None = None,
                 document_rows: int = 20, key_findings_limit: int = 5000,
                 articles: dict[str, str] | None = None):
        self.conn = conn
        self.period = period
        self.previous = period.previous()
        self.province = province
        self.start, self.end_excl = period.start, period.end_exclusive
        self.ts_start, self.ts_end = utc_bounds(self.start, self.end_excl)
        self.prev_ts_start, self.prev_ts_end = utc_bounds(self.previous.start, self.previous.end_exclusive)
        self.document_rows = document_rows
        self.key_findings_limit = key_findings_limit
        self.articles = article_labels() if articles is None else articles

    # --- inventory -------------------------------------------------------------------------------

    @staticmethod
    def _closed_before(table: sa.Table, day: dt.date, ts: dt.datetime):
        """Closed before ``day`` (``closed_on``; a ``closed`` record without one: its last update before
        ``ts``, the backfill rule of migration 0008). Never NULL, so it can be negated."""
        return sa.or_(sa.and_(table.c.closed_on.is_not(None), table.c.closed_on < day),
                      sa.and_(table.c.closed_on.is_(None), table.c.status == "closed", table.c.updated_at < ts))

    def live_at_end(self, etype: str, table: sa.Table):
        """Opened on or before the period's last day and not closed by then."""
        opened = table.c.launched_on if etype == "app" else table.c.opened_on
        return sa.and_(sa.or_(opened.is_(None), opened < self.end_excl),
                       sa.not_(self._closed_before(table, self.end_excl, self.ts_end)))

    def inventory(self) -> InventoryFigures:
        by_level: dict[str, dict[str, int]] = {}
        by_province: dict[str, dict[str, int]] = {}
        by_platform: list[PlatformRow] = []
        totals: dict[str, int] = {}
        for etype, table in ENTITY_TABLES:
            live = sa.and_(self.live_at_end(etype, table), _div_filter(table.c.division_code, self.province))
            q = (sa.select(schema.sponsors.c.level, sa.func.count())
                 .select_from(table.join(schema.sponsors, schema.sponsors.c.id == table.c.sponsor_id))
                 .where(live).group_by(schema.sponsors.c.level))
            for level, n in self.conn.execute(q):
                by_level.setdefault(level, {})[etype] = int(n)
            prov = sa.func.substr(table.c.division_code, 1, 2).label("p")
            q = sa.select(prov, sa.func.count()).where(live).group_by(prov)
            for p, n in self.conn.execute(q):
                by_province.setdefault(f"{p}0000", {})[etype] = int(n)
            if etype == "app":
                q = (sa.select(table.c.kind, table.c.host_platform, sa.func.count()).where(live)
                     .group_by(table.c.kind, table.c.host_platform))
                rows = [(f"{k}:{h}" if h else k, n) for k, h, n in self.conn.execute(q)]
            else:
                q = sa.select(table.c.platform, sa.func.count()).where(live).group_by(table.c.platform)
                rows = [(p, n) for p, n in self.conn.execute(q)]
            for platform, n in sorted(rows, key=lambda r: (-r[1], r[0])):
                by_platform.append({"entity_type": etype, "entity_type_zh": labels.ENTITY_TYPES[etype],
                                    "platform": platform, "platform_zh": labels.platform_label(etype, platform),
                                    "count": int(n)})
            totals[etype] = sum(r["count"] for r in by_platform if r["entity_type"] == etype)
        level_order = list(schema.SPONSOR_LEVELS)

        def level_row(lv: str) -> LevelRow:
            counts = by_level[lv]
            return {"level": lv, "level_zh": labels.LEVELS.get(lv, lv), "app": counts.get("app", 0),
                    "account": counts.get("account", 0), "work_group": counts.get("work_group", 0),
                    "total": sum(counts.values())}

        def province_row(p: str) -> ProvinceRow:
            counts = by_province[p]
            return {"province_code": p, "province_name": province_name(p), "app": counts.get("app", 0),
                    "account": counts.get("account", 0), "work_group": counts.get("work_group", 0),
                    "total": sum(counts.values())}

        all_totals: InventoryTotals = {"app": totals.get("app", 0), "account": totals.get("account", 0),
                                       "work_group": totals.get("work_group", 0), "all": sum(totals.values())}
        return {
            "totals": all_totals,
            "by_level": [level_row(lv)
                         for lv in sorted(by_level, key=lambda x: level_order.index(x) if x in level_order else 99)],
            "by_province": [province_row(p) for p in sorted(by_province)],
            "by_platform": by_platform,
        }

    # --- new and closed ---------------------------------------------------------------------------

    def changes(self) -> ChangeFigures:
        new: dict[str, int] = {}
        closed: dict[str, int] = {}
        date_col = {"app": schema.apps.c.launched_on, "account": schema.accounts.c.opened_on,
                    "work_group": schema.work_groups.c.opened_on}
        for etype, table in ENTITY_TABLES:
            scope = _div_filter(table.c.division_code, self.province)
            col = date_col[etype]
            new[etype] = int(self.conn.execute(sa.select(sa.func.count()).where(
                scope, col >= self.start, col < self.end_excl)).scalar_one())
            cond = sa.and_(self._closed_before(table, self.end_excl, self.ts_end),
                           sa.not_(self._closed_before(table, self.start, self.ts_start)))
            closed[etype] = int(self.conn.execute(sa.select(sa.func.count()).where(scope, cond)).scalar_one())
        new["all"], closed["all"] = sum(new.values()), sum(closed.values())
        return {"new": new, "closed": closed}

    # --- findings ---------------------------------------------------------------------------------

    def open_at_end(self):
        """A finding open at the period's end: first seen before it, not resolved by then, and no waiver
        in force then (granted before the end, neither expired nor revoked by it)."""
        f, w = schema.findings, schema.waivers
        waived = (sa.select(w.c.id).where(w.c.finding_id == f.c.id, w.c.granted_at < self.ts_end,
                                          w.c.expires_at >= self.ts_end,
                                          sa.or_(w.c.revoked_at.is_(None), w.c.revoked_at >= self.ts_end))
                  .exists())
        # seen by the end: first seen before it, or (a run over past data) evaluated on a data date within it
        seen = sa.or_(f.c.first_seen_at < self.ts_end,
                      sa.and_(f.c.check_date.is_not(None), f.c.check_date < self.end_excl))
        return sa.and_(seen, sa.not_(waived), sa.or_(f.c.resolved_at.is_(None), f.c.resolved_at >= self.ts_end))

    def findings(self) -> FindingFigures:
        f = schema.findings
        by_rule: list[RuleRow] = []
        q_rows = self.conn.execute(
            sa.select(f.c.rule_id, f.c.article, f.c.severity, sa.func.max(f.c.title_zh),
                      sa.func.sum(sa.case((self.open_at_end(), 1), else_=0)),
                      sa.func.sum(sa.case((sa.and_(f.c.first_seen_at >= self.ts_start,
                                                   f.c.first_seen_at < self.ts_end), 1), else_=0)),
                      sa.func.sum(sa.case((sa.and_(f.c.resolved_at >= self.ts_start,
                                                   f.c.resolved_at < self.ts_end), 1), else_=0)))
            .where(_div_filter(f.c.division_code, self.province))
            .group_by(f.c.rule_id, f.c.article, f.c.severity)).all()
        by_article: dict[str, ArticleRow] = {}
        by_severity = {k: 0 for k in labels.SEVERITIES}
        for rule_id, article, severity, title, o, n, r in q_rows:
            o, n, r = int(o or 0), int(n or 0), int(r or 0)
            by_rule.append({"rule_id": rule_id, "title_zh": title, "article": article,
                            "article_label": self.articles.get(article, article), "severity": severity,
                            "severity_zh": labels.SEVERITIES.get(severity, severity),
                            "open": o, "new": n, "resolved": r})
            a = by_article.setdefault(article, {"article": article, "article_label": self.articles.get(article, article),
                                                "open": 0, "new": 0, "resolved": 0})
            a["open"] += o
            a["new"] += n
            a["resolved"] += r
            by_severity[severity] = by_severity.get(severity, 0) + o
        by_rule.sort(key=lambda x: (-x["open"], -x["new"], x["rule_id"]))
        return {
            "open_total": sum(x["open"] for x in by_rule),
            "new_in_period": sum(x["new"] for x in by_rule),
            "resolved_in_period": sum(x["resolved"] for x in by_rule),
            "by_rule": by_rule,
            "by_article": sorted(by_article.values(), key=lambda x: (-x["open"], -x["new"], x["article"])),
            "open_by_severity": by_severity,
        }

    # --- inspections ------------------------------------------------------------------------------

    def latest_check_date(self, start: dt.date, end_excl: dt.date) -> dt.date | None:
        i = schema.inspections
        q = sa.select(sa.func.max(i.c.check_date)).where(
            i.c.check_date >= start, i.c.check_date < end_excl, _div_filter(i.c.province_code, self.province))
        value = self.conn.execute(q).scalar_one()
        if isinstance(value, str):  # SQLite may hand back text for an aggregate over a date
            value = dt.date.fromisoformat(value)
        return value

    def _pass_rows(self, check_date: dt.date, group_col, outcome=None) -> list[tuple[Any, int, int | None]]:
        """(group, checked, passed) of one score; records with no data are not checked."""
        i = schema.inspections
        outcome = i.c.outcome if outcome is None else outcome
        passed = sa.func.sum(sa.case((outcome == "passed", 1), else_=0))
        q = (sa.select(group_col, sa.func.count(), passed)
             .where(i.c.check_date == check_date, _div_filter(i.c.province_code, self.province),
                    outcome.in_(("passed", "failed")))
             .group_by(group_col))
        return [(g, c, ok) for g, c, ok in self.conn.execute(q)]

    def _no_data(self, check_date: dt.date, outcome) -> int:
        i = schema.inspections
        return int(self.conn.execute(sa.select(sa.func.count()).where(
            i.c.check_date == check_date, _div_filter(i.c.province_code, self.province),
            outcome == "no_data")).scalar_one())

    def indicator_inspection(self, check_date: dt.date | None) -> IndicatorInspectionFigures:
        """The 国办秘函〔2019〕19号 inspection of accounts at the check date (its 合格率 apart)."""
        scheme = "国办秘函〔2019〕19号 政务公众账号检查（仅含该文件的检查指标）"
        if check_date is None:
            return {"scheme_zh": scheme, "check_date": None, "checked": 0, "passed": 0, "failed": 0, "no_data": 0,
                    "pass_rate": None, "by_province": []}
        i = schema.inspections
        rows = self._pass_rows(check_date, i.c.province_code, i.c.indicator_outcome)
        by_province: list[ProvincePassRow] = sorted(
            ({"province_code": p, "province_name": province_name(p), "checked": int(c), "passed": int(ok or 0),
              "failed": int(c) - int(ok or 0), "pass_rate": _rate(int(ok or 0), int(c))} for p, c, ok in rows),
            key=lambda x: x["province_code"] or "")
        checked = sum(x["checked"] for x in by_province)
        ok = sum(x["passed"] for x in by_province)
        return {"scheme_zh": scheme, "check_date": check_date.isoformat(), "checked": checked, "passed": ok,
                "failed": checked - ok, "no_data": self._no_data(check_date, i.c.indicator_outcome),
                "pass_rate": _rate(ok, checked), "by_province": by_province}

    def _named(self, cols, where, order, limit):
        i = schema.inspections
        name = sa.func.coalesce(schema.apps.c.name, schema.accounts.c.name)
        q = (sa.select(*cols, name)
             .select_from(i.outerjoin(schema.apps, sa.and_(i.c.target_type == "app", schema.apps.c.app_key == i.c.target_key))
                          .outerjoin(schema.accounts, sa.and_(i.c.target_type == "account",
                                                              schema.accounts.c.account_key == i.c.target_key)))
             .where(*where).order_by(*order).limit(limit))
        return list(self.conn.execute(q))

    def not_monitored(self, check_date: dt.date) -> list[NotMonitoredItem]:
        """Records with no data in either score at the check date (listed; never a pass)."""
        i = schema.inspections
        rows = self._named((i.c.target_type, i.c.target_key, i.c.province_code, i.c.outcome, i.c.indicator_outcome),
                           (i.c.check_date == check_date, _div_filter(i.c.province_code, self.province),
                            sa.or_(i.c.outcome == "no_data", i.c.indicator_outcome == "no_data")),
                           (i.c.province_code, i.c.target_type, i.c.target_key), self.key_findings_limit)
        out: list[NotMonitoredItem] = []
        for tt, key, prov, outcome, ind, name in rows:
            scores = [s for s, o in (("治理评估", outcome), ("19号检查", ind)) if o == "no_data"]
            out.append({"target_type": tt, "target_type_zh": labels.ENTITY_TYPES.get(tt, tt), "target_key": key,
                        "target_name": name or key, "province_name": province_name(prov),
                        "scores_zh": "、".join(scores) + "：数据缺失（未监测），不计入合格率"})
        return out

    def shutdown_beside_pass(self, check_date: dt.date) -> list[ShutdownBesidePassItem]:
        """Records passing a score while a shutdown-proposing finding is open: the report says why."""
        from fingertip.rules import load_policy

        rules = load_policy().rules_with_action("propose_shutdown")
        if not rules:
            return []
        i, f = schema.inspections, schema.findings
        name = sa.func.coalesce(schema.apps.c.name, schema.accounts.c.name)
        q = (sa.select(i.c.target_type, i.c.target_key, name, f.c.rule_id, f.c.title_zh, i.c.score, i.c.outcome,
                       i.c.indicator_outcome)
             .select_from(i.join(f, sa.and_(f.c.target_type == i.c.target_type, f.c.target_key == i.c.target_key))
                          .outerjoin(schema.apps, sa.and_(i.c.target_type == "app", schema.apps.c.app_key == i.c.target_key))
                          .outerjoin(schema.accounts, sa.and_(i.c.target_type == "account",
                                                              schema.accounts.c.account_key == i.c.target_key)))
             .where(i.c.check_date == check_date, _div_filter(i.c.province_code, self.province),
                    f.c.rule_id.in_(rules), f.c.state.in_(OPEN_STATES),
                    sa.or_(i.c.outcome == "passed", i.c.indicator_outcome == "passed"))
             .order_by(i.c.target_type, i.c.target_key, f.c.rule_id).limit(self.key_findings_limit))
        out: list[ShutdownBesidePassItem] = []
        for tt, key, n, rule, title, score, outcome, ind in self.conn.execute(q):
            parts = []
            if outcome == "passed":
                parts.append(f"治理评估得分{int(score)}分（合格）只计扣分，“{title}”按Fingertip规则单独提出关停建议，"
                             "二者不相抵消")
            if ind == "passed":
                parts.append("19号检查只含该文件的单项否决指标，不评价使用量和长期不更新，故检查合格")
            out.append({"target_type": tt, "target_type_zh": labels.ENTITY_TYPES.get(tt, tt), "target_key": key,
                        "target_name": n or key, "rule_id": rule, "title_zh": title, "score": int(score),
                        "explanation_zh": "；".join(parts) + "。评分合格不影响关停注销建议，请按程序核处。"})
        return out

    def inspections(self, check_date: dt.date | None) -> PeriodInspectionFigures:
        scheme = "Fingertip治理评估（项目自定评分，非国家检查指标）"
        if check_date is None:
            return {"check_date": None, "checked": 0, "passed": 0, "pass_rate": None, "by_province": [],
                    "by_unit": [], "by_target_type": [], "scheme_zh": scheme, "no_data": 0,
                    "indicator": self.indicator_inspection(None), "not_monitored": [], "shutdown_beside_pass": []}
        i = schema.inspections
        by_province: list[ProvincePassRow] = [{"province_code": p, "province_name": province_name(p), "checked": int(c),
                        "passed": int(ok or 0), "failed": int(c) - int(ok or 0), "pass_rate": _rate(int(ok or 0), int(c))}
                       for p, c, ok in self._pass_rows(check_date, i.c.province_code)]
        by_province.sort(key=lambda x: x["province_code"] or "")
        by_type: list[TargetTypePassRow] = [{"target_type": t, "target_type_zh": labels.ENTITY_TYPES.get(t, t), "checked": int(c),
                    "passed": int(ok or 0), "pass_rate": _rate(int(ok or 0), int(c))}
                   for t, c, ok in self._pass_rows(check_date, i.c.target_type)]
        passed = sa.func.sum(sa.case((i.c.passed.is_(True), 1), else_=0))
        q = (sa.select(i.c.sponsor_id, schema.sponsors.c.name, schema.sponsors.c.credit_code, schema.sponsors.c.division_code,
                       sa.func.count(), passed)
             .select_from(i.outerjoin(schema.sponsors, schema.sponsors.c.id == i.c.sponsor_id))
             .where(i.c.check_date == check_date, _div_filter(i.c.province_code, self.province),
                    i.c.outcome.in_(("passed", "failed")))
             .group_by(i.c.sponsor_id, schema.sponsors.c.name, schema.sponsors.c.credit_code, schema.sponsors.c.division_code))
        by_unit: list[UnitPassRow] = [{"sponsor_id": sid, "sponsor_name": name or "（未登记主办单位）", "credit_code": code,
                    "division_code": div, "province_name": province_name(div), "checked": int(c),
                    "passed": int(ok or 0), "failed": int(c) - int(ok or 0), "pass_rate": _rate(int(ok or 0), int(c))}
                   for sid, name, code, div, c, ok in self.conn.execute(q)]
        by_unit.sort(key=lambda x: (x["pass_rate"] if x["pass_rate"] is not None else 2, -x["checked"],
                                    x["sponsor_name"]))
        checked = sum(x["checked"] for x in by_province)
        ok = sum(x["passed"] for x in by_province)
        return {"check_date": check_date.isoformat(), "checked": checked, "passed": ok,
                "pass_rate": _rate(ok, checked), "by_province": by_province, "by_unit": by_unit,
                "by_target_type": by_type, "scheme_zh": scheme, "no_data": self._no_data(check_date, i.c.outcome),
                "indicator": self.indicator_inspection(check_date), "not_monitored": self.not_monitored(check_date),
                "shutdown_beside_pass": self.shutdown_beside_pass(check_date)}

    # --- risk tiers (Art. 16) ---------------------------------------------------------------------

    def risk_tiers(self, check_date: dt.date | None) -> RiskTierFigures:
        """Per risk tier at the check date: apps and accounts, both scores, open findings, and the
        tier's monitoring interval and audit sampling weight (policy settings ``tier_uses``)."""
        from fingertip.rules.policy import RISK_TIERS, load_policy, tier_uses

        policy = load_policy()
        uses = tier_uses(policy)
        basis = policy.articles[uses["basis"]].label
        default = policy.articles[uses["default"]].label
        rows: dict[str, TierRow] = {t: {
            "tier": t, "tier_zh": labels.RISK_TIERS[t],
            "monitoring_interval_days": uses["monitoring_interval_days"].get(t),
            "audit_sample_weight": float(uses["audit_sample_weight"][t]) if t in uses["audit_sample_weight"] else None,
            "apps": 0, "accounts": 0, "checked": 0, "passed": 0, "failed": 0, "no_data": 0, "pass_rate": None,
            "indicator_checked": 0, "indicator_passed": 0, "indicator_no_data": 0, "indicator_pass_rate": None,
            "open_findings": 0, "open_high": 0} for t in RISK_TIERS}
        out: RiskTierFigures = {"check_date": check_date.isoformat() if check_date else None,
                                "basis_zh": f"依据{basis}；分级条件、监测频次和抽查权重为{default}", "tiers": []}
        if check_date is None:
            out["tiers"] = list(rows.values())
            return out
        i, f = schema.inspections, schema.findings
        scope = (i.c.check_date == check_date, _div_filter(i.c.province_code, self.province))
        q = (sa.select(i.c.risk_tier, i.c.target_type, i.c.outcome, i.c.indicator_outcome, sa.func.count())
             .where(*scope).group_by(i.c.risk_tier, i.c.target_type, i.c.outcome, i.c.indicator_outcome))
        for tier, ttype, outcome, ind, n in self.conn.execute(q):
            r = rows[tier]
            n = int(n)
            r["apps" if ttype == "app" else "accounts"] += n
            if outcome == "no_data":
                r["no_data"] += n
            else:
                r["checked"] += n
                r["passed" if outcome == "passed" else "failed"] += n
            if ind == "no_data":
                r["indicator_no_data"] += n
            elif ind in ("passed", "failed"):
                r["indicator_checked"] += n
                r["indicator_passed"] += n if ind == "passed" else 0
        q = (sa.select(i.c.risk_tier, f.c.severity, sa.func.count())
             .select_from(f.join(i, sa.and_(i.c.target_type == f.c.target_type, i.c.target_key == f.c.target_key)))
             .where(*scope, self.open_at_end()).group_by(i.c.risk_tier, f.c.severity))
        for tier, severity, n in self.conn.execute(q):
            rows[tier]["open_findings"] += int(n)
            if severity == "high":
                rows[tier]["open_high"] += int(n)
        for r in rows.values():
            r["pass_rate"] = _rate(r["passed"], r["checked"])
            r["indicator_pass_rate"] = _rate(r["indicator_passed"], r["indicator_checked"])
        out["tiers"] = list(rows.values())
        return out

    # --- shutdown cases ---------------------------------------------------------------------------

    def _case_scope(self):
        """Shutdown cases joined to their target's division (for the province scope)."""
        c = schema.shutdown_cases
        if not self.province:
            return c, sa.true()
        div = sa.func.coalesce(schema.apps.c.division_code, schema.accounts.c.division_code, schema.work_groups.c.division_code,
                               schema.sponsors.c.division_code)
        joined = (c.outerjoin(schema.apps, sa.and_(c.c.target_type == "app", schema.apps.c.app_key == c.c.target_key))
                  .outerjoin(schema.accounts, sa.and_(c.c.target_type == "account",
                                                 schema.accounts.c.account_key == c.c.target_key))
                  .outerjoin(schema.work_groups, sa.and_(c.c.target_type == "work_group",
                                                    schema.work_groups.c.group_key == c.c.target_key))
                  .outerjoin(schema.sponsors, sa.and_(c.c.target_type == "sponsor",
                                                 schema.sponsors.c.credit_code == c.c.target_key)))
        return joined, _div_filter(div, self.province)

    def cases(self) -> CaseFigures:
        c, e = schema.shutdown_cases, schema.case_events
        joined, scope = self._case_scope()
        # each case's state at the period's end: the target of its last event before the end
        ranked = (sa.select(e.c.case_id, e.c.to_state,
                            sa.func.row_number().over(partition_by=e.c.case_id,
                                                      order_by=(e.c.occurred_at.desc(), e.c.id.desc())).label("n"))
                  .where(e.c.occurred_at < self.ts_end).subquery())
        last = sa.select(ranked.c.case_id, ranked.c.to_state).where(ranked.c.n == 1).subquery()
        state = sa.func.coalesce(last.c.to_state, "proposed")
        rows: dict[str, int] = dict(self.conn.execute(
            sa.select(state, sa.func.count()).select_from(joined.outerjoin(last, last.c.case_id == c.c.id))
            .where(scope, c.c.created_at < self.ts_end).group_by(state)).all())
        by_state: list[CaseStateRow] = [{"state": st, "state_zh": labels.CASE_STATES[st], "count": int(rows.get(st, 0))}
                    for st in schema.CASE_STATES]
        opened = self.conn.execute(sa.select(sa.func.count()).select_from(joined).where(
            scope, c.c.created_at >= self.ts_start, c.c.created_at < self.ts_end)).scalar_one()
        closed = self.conn.execute(
            sa.select(sa.func.count(sa.distinct(e.c.case_id)))
            .select_from(joined.join(e, e.c.case_id == c.c.id))
            .where(scope, e.c.to_state == "closed", e.c.occurred_at >= self.ts_start,
                   e.c.occurred_at < self.ts_end)).scalar_one()
        return {"total": sum(x["count"] for x in by_state), "by_state": by_state,
                "opened_in_period": int(opened), "closed_in_period": int(closed)}

    # --- period over period ---------------------------------------------------------------------

    def comparison(self, current_inspections: PeriodInspectionFigures, check_date: dt.date | None) -> ComparisonFigures:
        f = schema.findings
        scope = _div_filter(f.c.division_code, self.province)

        def count(*conds) -> int:
            return int(self.conn.execute(sa.select(sa.func.count()).where(scope, *conds)).scalar_one())

        new_now = count(f.c.first_seen_at >= self.ts_start, f.c.first_seen_at < self.ts_end)
        new_prev = count(f.c.first_seen_at >= self.prev_ts_start, f.c.first_seen_at < self.prev_ts_end)
        res_now = count(f.c.resolved_at >= self.ts_start, f.c.resolved_at < self.ts_end)
        res_prev = count(f.c.resolved_at >= self.prev_ts_start, f.c.resolved_at < self.prev_ts_end)
        reopened = count(f.c.reopened_count > 0, self.open_at_end(), f.c.last_seen_at >= self.ts_start,
                         f.c.last_seen_at < self.ts_end)
        prev_date = self.latest_check_date(self.previous.start, self.previous.end_exclusive)
        prev_rate = None
        regressed_items: list[RegressedItem] = []
        regressed = 0
        if prev_date is not None:
            i = schema.inspections
            passed = sa.func.sum(sa.case((i.c.outcome == "passed", 1), else_=0))
            c, ok = self.conn.execute(sa.select(sa.func.count(), passed).where(
                i.c.check_date == prev_date, _div_filter(i.c.province_code, self.province),
                i.c.outcome.in_(("passed", "failed")))).one()
            prev_rate = _rate(int(ok or 0), int(c))
            if check_date is not None:
                cur, prev = i.alias("cur"), i.alias("prev")
                cond = sa.and_(cur.c.check_date == check_date, cur.c.outcome == "failed",
                               _div_filter(cur.c.province_code, self.province))
                join = cur.join(prev, sa.and_(prev.c.target_type == cur.c.target_type,
                                              prev.c.target_key == cur.c.target_key,
                                              prev.c.check_date == prev_date, prev.c.passed.is_(True)))
                regressed = int(self.conn.execute(sa.select(sa.func.count()).select_from(join).where(cond))
                                .scalar_one())
                name = sa.func.coalesce(schema.apps.c.name, schema.accounts.c.name)
                q = (sa.select(cur.c.target_type, cur.c.target_key, name, cur.c.province_code, prev.c.score,
                               cur.c.score)
                     .select_from(join.outerjoin(schema.apps, sa.and_(cur.c.target_type == "app",
                                                                  schema.apps.c.app_key == cur.c.target_key))
                                  .outerjoin(schema.accounts, sa.and_(cur.c.target_type == "account",
                                                                 schema.accounts.c.account_key == cur.c.target_key)))
                     .where(cond).order_by(cur.c.score, cur.c.target_type, cur.c.target_key)
                     .limit(self.key_findings_limit))
                regressed_items = [{"target_type": t, "target_type_zh": labels.ENTITY_TYPES.get(t, t),
                                    "target_key": k, "target_name": n or k, "province_name": province_name(p),
                                    "previous_score": int(ps), "score": int(cs)}
                                   for t, k, n, p, ps, cs in self.conn.execute(q)]

        def delta(now: float | None, before: float | None) -> Delta:
            return {"current": now, "previous": before,
                    "change": None if now is None or before is None else round(now - before, 4)}

        return {
            "previous_period": self.previous.to_dict(),
            "previous_check_date": prev_date.isoformat() if prev_date else None,
            "new_findings": delta(new_now, new_prev),
            "resolved_findings": delta(res_now, res_prev),
            "pass_rate": delta(current_inspections["pass_rate"], prev_rate),
            "regressed": regressed,
            "reopened": reopened,
            "regressed_items": regressed_items,
        }

    # --- key findings (named entities) ---------------------------------------------------------

    def key_findings(self) -> list[KeyFinding]:
        f = schema.findings
        name = sa.func.coalesce(schema.apps.c.name, schema.accounts.c.name, schema.work_groups.c.name, schema.sponsors.c.name)
        joined = (f.outerjoin(schema.apps, sa.and_(f.c.target_type == "app", schema.apps.c.app_key == f.c.target_key))
                  .outerjoin(schema.accounts, sa.and_(f.c.target_type == "account",
                                                 schema.accounts.c.account_key == f.c.target_key))
                  .outerjoin(schema.work_groups, sa.and_(f.c.target_type == "work_group",
                                                    schema.work_groups.c.group_key == f.c.target_key))
                  .outerjoin(schema.sponsors, sa.and_(f.c.target_type == "sponsor",
                                                 schema.sponsors.c.credit_code == f.c.target_key)))
        sev = sa.case(*((f.c.severity == k, rank) for k, rank in labels.SEVERITY_RANK.items()),
                      else_=len(labels.SEVERITY_RANK))
        state = sa.case((sa.and_(f.c.acknowledged_at.is_not(None), f.c.acknowledged_at < self.ts_end),
                         "acknowledged"), else_="open")  # the state at the period's end
        q = (sa.select(f.c.id, f.c.rule_id, f.c.title_zh, f.c.severity, state, f.c.article, f.c.target_type,
                       f.c.target_key, name, f.c.division_code, f.c.first_seen_at)
             .select_from(joined)
             .where(self.open_at_end(), _div_filter(f.c.division_code, self.province))
             .order_by(sev, f.c.first_seen_at, f.c.id).limit(self.key_findings_limit))
        return [{"finding_id": fid, "rule_id": rule, "title_zh": title, "severity": sv,
                 "severity_zh": labels.SEVERITIES.get(sv, sv), "state": st,
                 "state_zh": labels.FINDING_STATES.get(st, st), "article": art,
                 "article_label": self.articles.get(art, art), "target_type": tt,
                 "target_type_zh": labels.ENTITY_TYPES.get(tt, tt), "target_key": tk, "target_name": n or tk,
                 "division_code": div, "province_name": province_name(div),
                 "first_seen_at": fs.isoformat(sep=" ", timespec="seconds") if fs else None}
                for fid, rule, title, sv, st, art, tt, tk, n, div, fs in self.conn.execute(q)]

    def build(self) -> ReportFigures:
        check_date = self.latest_check_date(self.start, self.end_excl)
        insp = self.inspections(check_date)
        return {
            "period": self.period.to_dict(),
            "as_of": self.period.end.isoformat(),
            "previous_period": self.previous.to_dict(),
            "province": self.province,
            "province_name": province_name(self.province) if self.province else None,
            "inventory": self.inventory(),
            "changes": self.changes(),
            "findings": self.findings(),
            "inspections": insp,
            "cases": self.cases(),
            "comparison": self.comparison(insp, check_date),
            "key_findings": self.key_findings(),
            "risk_tiers": self.risk_tiers(check_date),
        }


def compute_figures(engine: sa.Engine, period: Period, *, province: str | None = None,
                    document_rows: int = 20, key_findings_limit: int = 5000,
                    articles: dict[str, str] | None = None) -> ReportFigures:
    """All figures of one report; ``province`` (6-digit code) limits them to one province.

    ASCII digits only: full-width (４４００００) and other Unicode digits pass ``str.isdigit`` but are
    refused, like report periods and credit codes (:mod:`fingertip.reports.periods`).
    """
    if province is not None and (len(province) != 6 or not province.isascii() or not province.isdigit()):
        raise ValueError(f"province must be a 6-digit division code, got {province!r}")
    with engine.connect() as conn:
        return FigureBuilder(conn, period, province=province, document_rows=document_rows,
                             key_findings_limit=key_findings_limit, articles=articles).build()
