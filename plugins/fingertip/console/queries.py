"""Read side of the governance console: filtered, sorted, paginated lists and the overview figures.

Every query goes through the store's schema (:mod:`fingertip.store.schema`) on the engine the store
layer opens (:class:`fingertip.hooks.store.StoreHook`); nothing here writes. Filters, sort keys and
page sizes are whitelisted per list, so a query parameter can never name a column or inject SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fingertip.store import schema

MAX_PAGE_SIZE = 500
#: Rows an export may hold (XLSX/CSV of a whole filtered list).
MAX_EXPORT_ROWS = 100_000


class QueryError(ValueError):
    """A filter, sort key or page that the list does not accept (the message names it)."""


def _refuse_non_ascii(value: str, what: str) -> None:
    """Filters take half-width ASCII only: ``str.isdigit`` and ``int()`` also accept full-width (４４) and
    other Unicode digits, which no stored code holds — refused with their own message, never folded
    (the same rule as report periods and credit codes)."""
    if not value.isascii():
        raise QueryError(f"{what}含有全角或非 ASCII 字符，请使用半角数字: {value!r}")


def _province_range(col: sa.ColumnElement[Any], value: str) -> sa.ColumnElement[bool]:
    _refuse_non_ascii(value, "省份代码")
    code = value.strip()[:2]
    if len(code) != 2 or not code.isdigit():
        raise QueryError(f"省份代码应为两位数字或六位区划代码: {value!r}")
    return sa.and_(col >= f"{code}0000", col <= f"{code}9999")


def _division(col: sa.ColumnElement[Any], value: str) -> sa.ColumnElement[bool]:
    _refuse_non_ascii(value, "区划代码")
    code = value.strip()
    if not code.isdigit() or len(code) != 6:
        raise QueryError(f"区划代码应为六位数字: {value!r}")
    if code.endswith("0000"):
        return _province_range(col, code)
    if code.endswith("00"):
        return sa.and_(col >= code, col <= code[:4] + "99")
    return col == code


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise QueryError(f"日期格式应为 YYYY-MM-DD: {value!r}") from None


def _int(value: str) -> int:
    _refuse_non_ascii(value, "整数")
    try:
        return int(value)
    except ValueError:
        raise QueryError(f"应为整数: {value!r}") from None


Filter = Callable[[str], sa.ColumnElement[bool]]


@dataclass(frozen=True)
class ListSpec:
    """One list of the console: its columns, filters (name → clause builder) and sort keys."""

    name: str
    table: sa.Table
    columns: tuple[str, ...]
    filters: Mapping[str, Filter]
    sorts: tuple[str, ...]
    default_sort: str
    labels: Mapping[str, str] = field(default_factory=dict)
    key: str = "id"

    def select_from(self) -> Any:
        return self.table


F, C, B, Q, A, D = (schema.findings, schema.shutdown_cases, schema.import_batches, schema.quarantined_rows,
                    schema.audit_runs, schema.documents)


def _eq(col: sa.ColumnElement[Any]) -> Filter:
    return lambda v: col == v.strip()


def _eq_int(col: sa.ColumnElement[Any]) -> Filter:
    return lambda v: col == _int(v)


FINDINGS = ListSpec(
    name="findings",
    table=F,
    columns=("id", "rule_id", "target_type", "target_key", "severity", "state", "title_zh", "basis", "article",
             "check_date", "division_code", "sponsor_id", "first_seen_at", "last_seen_at", "acknowledged_by",
             "acknowledged_at", "resolved_at", "reopened_count"),
    filters={
        "province": lambda v: _province_range(F.c.division_code, v),
        "division": lambda v: _division(F.c.division_code, v),
        "sponsor": _eq_int(F.c.sponsor_id),
        "rule": _eq(F.c.rule_id),
        "article": _eq(F.c.article),
        "severity": _eq(F.c.severity),
        "state": _eq(F.c.state),
        "target_type": _eq(F.c.target_type),
        "target_key": _eq(F.c.target_key),
        "date_from": lambda v: F.c.check_date >= _date(v),
        "date_to": lambda v: F.c.check_date <= _date(v),
    },
    sorts=("last_seen_at", "first_seen_at", "check_date", "severity", "rule_id", "article", "state", "division_code",
           "target_key", "id"),
    default_sort="-last_seen_at",
    labels={"id": "编号", "rule_id": "规则", "target_type": "对象类型", "target_key": "对象", "severity": "严重程度",
            "state": "状态", "title_zh": "问题", "basis": "依据", "article": "条款", "check_date": "检查日期",
            "division_code": "区划", "sponsor_id": "主办单位编号", "first_seen_at": "首次发现(北京时间)",
            "last_seen_at": "最近发现(北京时间)", "acknowledged_by": "认领人", "acknowledged_at": "认领时间(北京时间)",
            "resolved_at": "解决时间(北京时间)", "reopened_count": "重新打开次数"},
)

CASES = ListSpec(
    name="cases",
    table=C,
    columns=("id", "case_key", "target_type", "target_key", "finding_id", "state", "opened_by", "reason",
             "successor_kind", "successor_key", "announced_on", "stop_on", "disposal_due_on", "blocked_reason",
             "created_at", "updated_at"),
    filters={"state": _eq(C.c.state), "target_type": _eq(C.c.target_type), "target_key": _eq(C.c.target_key),
             "case_key": _eq(C.c.case_key)},
    sorts=("updated_at", "created_at", "state", "case_key", "stop_on", "id"),
    default_sort="-updated_at",
    labels={"id": "编号", "case_key": "案件", "target_type": "对象类型", "target_key": "对象", "finding_id": "问题",
            "state": "状态", "opened_by": "发起人", "reason": "理由", "successor_kind": "承接类型",
            "successor_key": "承接对象", "announced_on": "公告日", "stop_on": "停止服务日",
            "disposal_due_on": "数据处置期限", "blocked_reason": "阻塞原因", "created_at": "创建(北京时间)",
            "updated_at": "更新(北京时间)"},
)

BATCHES = ListSpec(
    name="batches",
    table=B,
    columns=("id", "file_name", "submitting_unit", "entity_type", "received_at", "status", "row_count", "good_rows",
             "bad_rows", "message", "report_path"),
    filters={"status": _eq(B.c.status), "entity_type": _eq(B.c.entity_type),
             "submitting_unit": _eq(B.c.submitting_unit)},
    sorts=("received_at", "status", "bad_rows", "row_count", "id"),
    default_sort="-received_at",
    labels={"id": "批次", "file_name": "文件", "submitting_unit": "报送单位", "entity_type": "类型",
            "received_at": "接收(北京时间)", "status": "状态", "row_count": "行数", "good_rows": "合格行",
            "bad_rows": "隔离行", "message": "结论", "report_path": "退回报告"},
)

QUARANTINE = ListSpec(
    name="quarantine",
    table=Q,
    columns=("id", "batch_id", "row_number", "column_name", "expectation", "raw_value", "reason_zh", "reason_en"),
    filters={"batch": _eq_int(Q.c.batch_id), "column": _eq(Q.c.column_name), "expectation": _eq(Q.c.expectation)},
    sorts=("batch_id", "row_number", "column_name", "id"),
    default_sort="row_number",
    labels={"id": "编号", "batch_id": "批次", "row_number": "行号", "column_name": "列", "expectation": "检查项",
            "raw_value": "原值", "reason_zh": "原因", "reason_en": "reason"},
)

AUDITS = ListSpec(
    name="reports",
    table=A,
    columns=("id", "run_key", "kind", "period_start", "period_end", "status", "sample_rate", "started_at",
             "finished_at"),
    filters={"kind": _eq(A.c.kind), "status": _eq(A.c.status), "run_key": _eq(A.c.run_key)},
    sorts=("started_at", "finished_at", "period_end", "kind", "status", "id"),
    default_sort="-started_at",
    labels={"id": "编号", "run_key": "运行", "kind": "类型", "period_start": "起", "period_end": "止",
            "status": "状态", "sample_rate": "抽样率", "started_at": "开始(北京时间)", "finished_at": "结束(北京时间)"},
)

DOCUMENTS = ListSpec(
    name="documents",
    table=D,
    columns=("id", "doc_kind", "doc_format", "case_id", "audit_run_id", "path", "sha256", "size_bytes", "created_at"),
    filters={"case": _eq_int(D.c.case_id), "audit_run": _eq_int(D.c.audit_run_id), "kind": _eq(D.c.doc_kind),
             "format": _eq(D.c.doc_format)},
    sorts=("created_at", "doc_kind", "doc_format", "id"),
    default_sort="-created_at",
    labels={"id": "编号", "doc_kind": "文书", "doc_format": "格式", "case_id": "案件", "audit_run_id": "报告运行",
            "path": "位置", "sha256": "SHA-256", "size_bytes": "字节", "created_at": "生成(北京时间)"},
)


def _entity_spec(name: str, table: sa.Table, key: str, extra: tuple[str, ...], extra_filters: Mapping[str, Filter]
                 ) -> ListSpec:
    return ListSpec(
        name=name,
        table=table,
        columns=("id", key, "name", *extra, "sponsor_id", "division_code", "status"),
        filters={"province": lambda v: _province_range(table.c.division_code, v),
                 "division": lambda v: _division(table.c.division_code, v),
                 "sponsor": _eq_int(table.c.sponsor_id), "status": _eq(table.c.status), **extra_filters},
        sorts=(key, "name", "division_code", "status", "id"),
        default_sort=key,
        labels={"id": "编号", key: "台账编号", "name": "名称", "kind": "类型", "platform": "平台",
                "sponsor_id": "主办单位编号", "division_code": "区划", "status": "状态"},
        key=key,
    )


ENTITIES = {
    "app": _entity_spec("apps", schema.apps, "app_key", ("kind",), {"kind": _eq(schema.apps.c.kind)}),
    "account": _entity_spec("accounts", schema.accounts, "account_key", ("platform",),
                            {"platform": _eq(schema.accounts.c.platform)}),
    "work_group": _entity_spec("work_groups", schema.work_groups, "group_key", ("platform",),
                               {"platform": _eq(schema.work_groups.c.platform)}),
}

LISTS: dict[str, ListSpec] = {s.name: s for s in (FINDINGS, CASES, BATCHES, QUARANTINE, AUDITS, DOCUMENTS,
                                                  *ENTITIES.values())}


@dataclass(frozen=True)
class Page:
    total: int
    items: list[dict[str, Any]]
    page: int
    page_size: int
    sort: str


def where_clauses(spec: ListSpec, params: Mapping[str, str | None]) -> list[sa.ColumnElement[bool]]:
    clauses = []
    for name, value in params.items():
        if value is None or str(value).strip() == "":
            continue
        build = spec.filters.get(name)
        if build is None:
            raise QueryError(f"列表 {spec.name} 不支持筛选条件 {name!r}（可用：{', '.join(spec.filters)}）")
        clauses.append(build(str(value)))
    return clauses


def order_by(spec: ListSpec, sort: str | None) -> tuple[str, list[sa.ColumnElement[Any]]]:
    sort = (sort or spec.default_sort).strip()
    desc = sort.startswith("-")
    name = sort.lstrip("-")
    if name not in spec.sorts:
        raise QueryError(f"列表 {spec.name} 不能按 {name!r} 排序（可用：{', '.join(spec.sorts)}）")
    col = spec.table.c[name]
    tie = spec.table.c[spec.key]
    first = col.desc() if desc else col.asc()
    return sort, [first] if name == spec.key else [first, tie.desc() if desc else tie.asc()]


def list_page(conn: Connection, spec: ListSpec, params: Mapping[str, str | None], *, sort: str | None = None,
              page: int = 1, page_size: int = 50) -> Page:
    """One page of ``spec``'s rows matching ``params`` (filters), sorted, with the total count."""
    if page < 1:
        raise QueryError("页码从 1 开始")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise QueryError(f"每页条数应在 1 到 {MAX_PAGE_SIZE} 之间")
    where = where_clauses(spec, params)
    sort, order = order_by(spec, sort)
    total = conn.execute(sa.select(sa.func.count()).select_from(spec.table).where(*where)).scalar_one()
    cols = [spec.table.c[c] for c in spec.columns]
    rows = conn.execute(sa.select(*cols).where(*where).order_by(*order)
                        .limit(page_size).offset((page - 1) * page_size)).mappings()
    return Page(total=int(total), items=[dict(r) for r in rows], page=page, page_size=page_size, sort=sort)


def list_all(conn: Connection, spec: ListSpec, params: Mapping[str, str | None], *, sort: str | None = None,
             limit: int = MAX_EXPORT_ROWS) -> list[dict[str, Any]]:
    """Every row matching (for exports), at most ``limit``."""
    where = where_clauses(spec, params)
    _, order = order_by(spec, sort)
    cols = [spec.table.c[c] for c in spec.columns]
    return [dict(r) for r in conn.execute(sa.select(*cols).where(*where).order_by(*order).limit(limit)).mappings()]


# -- single records --------------------------------------------------------------------------------
def finding(conn: Connection, finding_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(F).where(F.c.id == finding_id)).mappings().first()
    if row is None:
        return None
    out = dict(row)
    w = schema.waivers
    out["waivers"] = [dict(r) for r in conn.execute(
        sa.select(w).where(w.c.finding_id == finding_id).order_by(w.c.granted_at.desc())).mappings()]
    out["cases"] = [dict(r) for r in conn.execute(
        sa.select(C.c.id, C.c.case_key, C.c.state, C.c.updated_at).where(C.c.finding_id == finding_id)).mappings()]
    return out


def finding_history(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the store records of a finding's lifecycle, oldest first (first seen, acknowledged, waivers…)."""
    events: list[dict[str, Any]] = [{"at": item["first_seen_at"], "what": "首次发现", "who": "检测运行"}]
    if item.get("acknowledged_at"):
        events.append({"at": item["acknowledged_at"], "what": "认领", "who": item.get("acknowledged_by")})
    for w in item.get("waivers", []):
        until = w["expires_at"]
        recorded = f"（{w['granted_by']} 登记）" if w.get("granted_by") else ""
        events.append({"at": w["granted_at"], "what": f"豁免至 {until:%Y-%m-%d}：{w['reason']}{recorded}",
                       "who": w["approver"]})
        if w.get("revoked_at"):
            events.append({"at": w["revoked_at"], "what": "撤销豁免", "who": w.get("revoked_by")})
    if item.get("resolved_at"):
        events.append({"at": item["resolved_at"], "what": "已解决（检测不再发现）", "who": "检测运行"})
    if item.get("reopened_count"):
        events.append({"at": item["last_seen_at"], "what": f"重新打开 {item['reopened_count']} 次", "who": None})
    events.append({"at": item["last_seen_at"], "what": f"最近一次检测发现（{item.get('check_date') or '—'}）",
                   "who": "检测运行"})
    return sorted(events, key=lambda e: e["at"])


_ENTITY_TABLES = {"app": (schema.apps, "app_key"), "account": (schema.accounts, "account_key"),
                  "work_group": (schema.work_groups, "group_key")}


def entity(conn: Connection, kind: str, key: str) -> dict[str, Any] | None:
    """An app, account or work group with sponsor, listings, snapshots, filings, activity, findings, cases."""
    if kind not in _ENTITY_TABLES:
        raise QueryError(f"对象类型应为 {', '.join(_ENTITY_TABLES)}: {kind!r}")
    table, key_col = _ENTITY_TABLES[kind]
    row = conn.execute(sa.select(table).where(table.c[key_col] == key)).mappings().first()
    if row is None:
        return None
    out: dict[str, Any] = {"kind": kind, "key": key, "record": dict(row)}
    s = schema.sponsors
    sp = conn.execute(sa.select(s.c.id, s.c.name, s.c.credit_code, s.c.level, s.c.nature, s.c.division_code,
                                s.c.contact_name).where(s.c.id == row["sponsor_id"])).mappings().first()
    out["sponsor"] = dict(sp) if sp else None
    out["listings"], out["snapshots"], out["filings"], out["activity"] = [], [], [], []
    if kind == "app":
        sl, ss = schema.store_listings, schema.listing_snapshots
        out["listings"] = [dict(r) for r in conn.execute(sa.select(
            sl.c.id, sl.c.store, sl.c.store_app_id, sl.c.name, sl.c.developer, sl.c.version, sl.c.rating,
            sl.c.downloads, sl.c.available, sl.c.last_seen_at, sl.c.delisted_at).where(sl.c.app_id == row["id"])
            .order_by(sl.c.store)).mappings()]
        ids = [x["id"] for x in out["listings"]]
        if ids:
            out["snapshots"] = [dict(r) for r in conn.execute(sa.select(
                ss.c.listing_id, ss.c.snapshot_date, ss.c.present, ss.c.version, ss.c.rating, ss.c.rating_count,
                ss.c.downloads).where(ss.c.listing_id.in_(ids)).order_by(ss.c.snapshot_date.desc()).limit(400))
                .mappings()]
        fl = schema.filings
        out["filings"] = [dict(r) for r in conn.execute(sa.select(
            fl.c.filing_kind, fl.c.service_licence, fl.c.service_name, fl.c.status, fl.c.reviewed_at,
            fl.c.cancelled_at).where(fl.c.app_id == row["id"])).mappings()]
    elif kind == "account":
        aa = schema.account_activity
        out["activity"] = [dict(r) for r in conn.execute(sa.select(
            aa.c.activity_date, aa.c.last_post_at, aa.c.posts_7d, aa.c.posts_30d, aa.c.followers,
            aa.c.unanswered_messages).where(aa.c.account_id == row["id"]).order_by(aa.c.activity_date.desc())
            .limit(60)).mappings()]
    out["findings"] = [dict(r) for r in conn.execute(sa.select(
        F.c.id, F.c.rule_id, F.c.title_zh, F.c.severity, F.c.state, F.c.check_date, F.c.last_seen_at)
        .where(F.c.target_type == kind, F.c.target_key == key).order_by(F.c.last_seen_at.desc())).mappings()]
    out["cases"] = [dict(r) for r in conn.execute(sa.select(C.c.id, C.c.case_key, C.c.state, C.c.updated_at)
                                                  .where(C.c.target_type == kind, C.c.target_key == key)).mappings()]
    ins = schema.inspections
    out["inspections"] = [dict(r) for r in conn.execute(sa.select(
        ins.c.check_date, ins.c.score, ins.c.passed, ins.c.risk_tier).where(
        ins.c.target_type == kind, ins.c.target_key == key).order_by(ins.c.check_date.desc()).limit(60)).mappings()]
    return out


def case(conn: Connection, case_key: str) -> dict[str, Any] | None:
    """A shutdown case with its timeline, documents, reminders and verification checks."""
    row = conn.execute(sa.select(C).where(C.c.case_key == case_key)).mappings().first()
    if row is None:
        return None
    cid = row["id"]
    e, n, k = schema.case_events, schema.notifications, schema.case_checks
    return {
        "case": dict(row),
        "events": [dict(r) for r in conn.execute(sa.select(e).where(e.c.case_id == cid).order_by(e.c.occurred_at,
                                                                                                  e.c.id)).mappings()],
        "documents": [dict(r) for r in conn.execute(sa.select(D).where(D.c.case_id == cid).order_by(D.c.doc_kind,
                                                                                                     D.c.doc_format))
                      .mappings()],
        "reminders": [dict(r) for r in conn.execute(sa.select(
            n.c.id, n.c.kind, n.c.recipient, n.c.subject, n.c.status, n.c.not_before, n.c.queued_at, n.c.sent_at)
            .where(n.c.case_id == cid).order_by(n.c.queued_at)).mappings()],
        "checks": [dict(r) for r in conn.execute(sa.select(k).where(k.c.case_id == cid).order_by(k.c.check_date,
                                                                                               k.c.channel)).mappings()],
    }


def batch(conn: Connection, batch_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(B).where(B.c.id == batch_id)).mappings().first()
    return dict(row) if row else None


def audit(conn: Connection, run_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(A).where(A.c.id == run_id)).mappings().first()
    if row is None:
        return None
    return {"run": dict(row), "documents": [dict(r) for r in conn.execute(
        sa.select(D).where(D.c.audit_run_id == run_id).order_by(D.c.doc_kind, D.c.doc_format)).mappings()]}


def document(conn: Connection, doc_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(D).where(D.c.id == doc_id)).mappings().first()
    return dict(row) if row else None


# -- overview --------------------------------------------------------------------------------------
def province_names(conn: Connection) -> dict[str, str]:
    dv = schema.divisions
    return {r.province_code[:2]: r.name for r in conn.execute(
        sa.select(dv.c.province_code, dv.c.name).where(dv.c.level == "province"))}


def summary(conn: Connection) -> dict[str, Any]:
    """The overview: inventory, inspection pass rates with their trend, open findings, cases by state.

    Every figure comes from an index-only pass (migration 0010 adds the covering indexes): each entity
    table once, grouped by sponsor and division; the inspections grouped by province and check date;
    the findings grouped by state, article and rule.
    """
    s, ins = schema.sponsors, schema.inspections
    names = province_names(conn)
    level_of = dict(conn.execute(sa.select(s.c.id, s.c.level)).tuples().all())
    by_kind: dict[str, int] = {}
    by_level: dict[str, int] = {}
    by_province: dict[str, int] = {}
    for kind, (table, _key) in _ENTITY_TABLES.items():
        total = 0
        for sponsor_id, code, count in conn.execute(
                sa.select(table.c.sponsor_id, table.c.division_code, sa.func.count())
                .group_by(table.c.sponsor_id, table.c.division_code)).tuples():
            n = int(count)
            total += n
            by_province[code[:2]] = by_province.get(code[:2], 0) + n
            level = level_of.get(sponsor_id, "—")
            by_level[level] = by_level.get(level, 0) + n
        by_kind[kind] = total
    order = {level: i for i, level in enumerate(schema.SPONSOR_LEVELS)}
    by_level = dict(sorted(by_level.items(), key=lambda x: (order.get(x[0], len(order)), x[0])))
    inventory: dict[str, Any] = {
        "by_kind": by_kind, "by_level": by_level,
        "by_province": [{"code": c, "name": names.get(c, c), "count": n} for c, n in sorted(by_province.items())]}

    # 合格率 = passed / (passed + failed); records without data ("no_data") are counted apart, never a pass
    trend: dict[str, dict[Any, dict[str, Any]]] = {}
    for code, day, outcome, count in conn.execute(
            sa.select(ins.c.province_code, ins.c.check_date, ins.c.outcome, sa.func.count())
            .group_by(ins.c.province_code, ins.c.check_date, ins.c.outcome)).tuples():
        point = trend.setdefault(code[:2], {}).setdefault(day, {"date": day, "total": 0, "passed": 0, "failed": 0,
                                                                 "no_data": 0})
        point["total"] += int(count)
        point[outcome if outcome in ("passed", "failed") else "no_data"] += int(count)
    points_by_province: dict[str, list[dict[str, Any]]] = {}
    for code, days in trend.items():
        points = [days[d] for d in sorted(days)]
        for p in points:
            judged = p["passed"] + p["failed"]
            p["rate"] = round(p["passed"] / judged, 4) if judged else None
        points_by_province[code] = points
    trend_points = points_by_province
    pass_rate = [{"code": code, "name": names.get(code, code), "latest": points[-1], "trend": points}
                 for code, points in sorted(trend_points.items())]

    open_states = ("open", "acknowledged")
    by_state: dict[str, int] = {}
    by_article: dict[str, int] = {}
    by_rule: dict[str, int] = {}
    for state, article, rule, count in conn.execute(
            sa.select(F.c.state, F.c.article, F.c.rule_id, sa.func.count())
            .group_by(F.c.state, F.c.article, F.c.rule_id)).tuples():
        n = int(count)
        by_state[state] = by_state.get(state, 0) + n
        if state in open_states:
            by_article[article or "—"] = by_article.get(article or "—", 0) + n
            by_rule[rule] = by_rule.get(rule, 0) + n
    cases = {st: int(n) for st, n in conn.execute(sa.select(C.c.state, sa.func.count()).group_by(C.c.state))}
    ranked = sorted
    return {"inventory": inventory, "pass_rate": pass_rate,
            "findings": {
                "open_by_article": [{"article": a, "count": n} for a, n in ranked(by_article.items(),
                                                                                  key=lambda x: (-x[1], x[0]))],
                "open_by_rule": [{"rule_id": r, "count": n} for r, n in ranked(by_rule.items(),
                                                                               key=lambda x: (-x[1], x[0]))],
                "by_state": by_state},
            "cases_by_state": cases}


def summary_cases(conn: Connection, per_state: int = 20) -> list[dict[str, Any]]:
    """The case board: each state with its count and its most recently updated cases."""
    board = []
    for state in schema.CASE_STATES:
        n = conn.execute(sa.select(sa.func.count()).select_from(C).where(C.c.state == state)).scalar_one()
        rows = [dict(r) for r in conn.execute(sa.select(C.c.case_key, C.c.target_type, C.c.target_key, C.c.updated_at)
                                              .where(C.c.state == state).order_by(C.c.updated_at.desc())
                                              .limit(per_state)).mappings()] if n else []
        board.append({"state": state, "count": int(n), "cases": rows})
    return board
