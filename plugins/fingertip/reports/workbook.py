"""The report workbook (一张表): one XLSX, a 总表 front sheet and a sheet per topic.

Every cell goes through :mod:`fingertip.documents.xlsx` (the suite's one formula-safe writer): text
from outside (names, keys) that starts with ``= + - @`` or a tab / carriage return is stored as a
*string* cell (``t="s"``) with Excel's quote prefix set, so Excel and LibreOffice show it as text and
never evaluate it; characters a cell cannot hold are replaced and over-long text is cut. Numbers
stay numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from fingertip.documents.xlsx import HEADER_FILL, sheet_title, write_only_cell
from fingertip.reports import labels
from fingertip.reports.model import AnyFigures, AuditFigures, ComparisonFigures, ReportFigures, ReportMeta, is_audit

Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]


def write_workbook(dest: Path, title: str, front: Sequence[tuple[str, Any]], sheets: Sequence[Sheet]) -> Path:
    """Write ``front`` (label, value pairs) as 总表 and each (name, headers, rows) as a sheet."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("总表")
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 60
    ws.append([write_only_cell(ws, title, bold=True)])
    ws.append([])
    for label, value in front:
        ws.append([write_only_cell(ws, label, bold=True), write_only_cell(ws, value)])
    ws.append([])
    ws.append([write_only_cell(ws, "分表", bold=True), write_only_cell(ws, "内容", bold=True)])
    for name, _headers, _rows in sheets:
        ws.append([write_only_cell(ws, name), write_only_cell(ws, "见同名工作表")])
    for name, headers, rows in sheets:
        sh = wb.create_sheet(sheet_title(name))
        for idx in range(len(headers)):
            sh.column_dimensions[_col(idx)].width = 16 if idx else 22
        sh.freeze_panes = "A2"
        sh.append([write_only_cell(sh, h, bold=True, fill=HEADER_FILL) for h in headers])
        for row in rows:
            sh.append([write_only_cell(sh, v) for v in row])
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dest)
    return dest


def _col(idx: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(idx + 1)


def _pct(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 2)


def report_sheets(figures: ReportFigures) -> list[Sheet]:
    """The topic sheets of a periodic report from its figures."""
    inv, chg, fnd = figures["inventory"], figures["changes"], figures["findings"]
    insp, cases, cmp_ = figures["inspections"], figures["cases"], figures["comparison"]
    et = [labels.ENTITY_TYPES[e] for e in ("app", "account", "work_group")]
    return [
        ("在册-按层级", ["主办单位层级", *et, "合计"],
         [[r["level_zh"], r["app"], r["account"], r["work_group"], r["total"]] for r in inv["by_level"]]),
        ("在册-按地区", ["地区代码", "地区", *et, "合计"],
         [[r["province_code"], r["province_name"], r["app"], r["account"], r["work_group"], r["total"]]
          for r in inv["by_province"]]),
        ("在册-按平台", ["对象类型", "平台/类型", "数量"],
         [[r["entity_type_zh"], r["platform_zh"], r["count"]] for r in inv["by_platform"]]),
        ("新增与关停", ["对象类型", "本期新增", "本期关停"],
         [[labels.ENTITY_TYPES.get(k, "合计"), chg["new"][k], chg["closed"][k]] for k in chg["new"]]),
        ("问题-按规则", ["规则编号", "规则名称", "严重程度", "政策条款", "未整改", "本期新增", "本期整改"],
         [[r["rule_id"], r["title_zh"], r["severity_zh"], r["article_label"], r["open"], r["new"], r["resolved"]]
          for r in fnd["by_rule"]]),
        ("问题-按条款", ["条款键", "政策条款", "未整改", "本期新增", "本期整改"],
         [[r["article"], r["article_label"], r["open"], r["new"], r["resolved"]] for r in fnd["by_article"]]),
        ("合格率-按地区", ["地区代码", "地区", "检查数", "合格数", "不合格数", "合格率(%)"],
         [[r["province_code"], r["province_name"], r["checked"], r["passed"], r["failed"], _pct(r["pass_rate"])]
          for r in insp["by_province"]]),
        ("合格率-按单位", ["统一社会信用代码", "主办单位", "地区", "检查数", "合格数", "不合格数", "合格率(%)"],
         [[r["credit_code"], r["sponsor_name"], r["province_name"], r["checked"], r["passed"], r["failed"],
           _pct(r["pass_rate"])] for r in insp["by_unit"]]),
        *_tier_sheets(figures),
        ("关停案件", ["状态", "状态代码", "案件数"],
         [[r["state_zh"], r["state"], r["count"]] for r in cases["by_state"]]
         + [["本期新立案", "opened", cases["opened_in_period"]], ["本期办结", "closed", cases["closed_in_period"]]]),
        ("环比变化", ["指标", "本期", "上期", "变化"], _comparison_rows(cmp_)),
        ("重点问题清单", ["问题编号", "对象类型", "对象名称", "对象标识", "地区", "规则", "严重程度", "政策条款",
                     "状态", "首次发现(UTC)"],
         [[r["finding_id"], r["target_type_zh"], r["target_name"], r["target_key"], r["province_name"],
           r["title_zh"], r["severity_zh"], r["article_label"], r["state_zh"], r["first_seen_at"]]
          for r in figures["key_findings"]]),
    ]


def _tier_sheets(figures: ReportFigures) -> list[Sheet]:
    tiers = figures.get("risk_tiers")
    if not tiers:
        return []
    return [("风险分级", ["风险等级", "等级代码", "应用", "公众账号", "治理评估-评估数", "治理评估-合格数", "治理评估-数据缺失",
                      "治理评估合格率(%)", "19号检查-检查数", "19号检查-合格数", "19号检查-数据缺失", "19号检查合格率(%)",
                      "未整改问题", "其中高严重程度", "监测间隔(天)", "抽查权重", "检查日", "依据"],
             [[r["tier_zh"], r["tier"], r["apps"], r["accounts"], r["checked"], r["passed"], r["no_data"],
               _pct(r["pass_rate"]), r["indicator_checked"], r["indicator_passed"], r["indicator_no_data"],
               _pct(r["indicator_pass_rate"]), r["open_findings"], r["open_high"], r["monitoring_interval_days"],
               r["audit_sample_weight"], tiers["check_date"], tiers["basis_zh"]] for r in tiers["tiers"]])]


def _comparison_rows(cmp_: ComparisonFigures) -> list[list[Any]]:
    new, resolved, rate = cmp_["new_findings"], cmp_["resolved_findings"], cmp_["pass_rate"]
    rows: list[list[Any]] = [
        ["新发现问题", new["current"], new["previous"], new["change"]],
        ["已整改问题", resolved["current"], resolved["previous"], resolved["change"]],
        ["合格率(%)", _pct(rate["current"]), _pct(rate["previous"]), _pct(rate["change"])],
        ["由合格转为不合格", cmp_["regressed"], None, None],
        ["重新打开的问题", cmp_["reopened"], None, None],
    ]
    rows += [[f"退步：{r['target_type_zh']} {r['target_name']}", r["score"], r["previous_score"],
              r["score"] - r["previous_score"]] for r in cmp_["regressed_items"]]
    return rows


def audit_sheets(figures: AuditFigures) -> list[Sheet]:
    """The topic sheets of an ad-hoc audit from its figures."""
    fnd, insp = figures["findings"], figures["inspections"]
    return [
        ("核查对象", ["对象类型", "核查数量"],
         [[labels.ENTITY_TYPES.get(k, k), v] for k, v in figures["checked"].items()]),
        ("分级抽样", ["对象类型", "风险等级", "权重", "抽取概率(%)", "范围内对象", "抽取数"],
         [[r["target_type_zh"], r["tier_zh"], r["weight"], _pct(r["probability"]), r["in_scope"], r["sampled"]]
          for r in figures["sampling"].get("by_tier") or []]),
        ("问题-按规则", ["规则编号", "规则名称", "严重程度", "政策条款", "问题数"],
         [[r["rule_id"], r["title_zh"], r["severity_zh"], r["article_label"], r["count"]] for r in fnd["by_rule"]]),
        ("问题-按条款", ["条款键", "政策条款", "问题数"],
         [[r["article"], r["article_label"], r["count"]] for r in fnd["by_article"]]),
        ("合格率-按地区", ["地区代码", "地区", "检查数", "合格数", "不合格数", "合格率(%)"],
         [[r["province_code"], r["province_name"], r["checked"], r["passed"], r["failed"], _pct(r["pass_rate"])]
          for r in insp["by_province"]]),
        ("合格率-按单位", ["统一社会信用代码", "主办单位", "地区", "检查数", "合格数", "不合格数", "合格率(%)"],
         [[r["credit_code"], r["sponsor_name"], r["province_name"], r["checked"], r["passed"], r["failed"],
           _pct(r["pass_rate"])] for r in insp["by_unit"]]),
        ("问题清单", ["问题编号", "对象类型", "对象名称", "对象标识", "地区", "规则", "严重程度", "政策条款", "依据",
                  "整改要求"],
         [[r["finding_id"], r["target_type_zh"], r["target_name"], r["target_key"], r["province_name"], r["title_zh"],
           r["severity_zh"], r["article_label"], r["basis"], r["remediation_zh"]]
          for r in figures["key_findings"]]),
    ]


def write_report_workbook(dest: Path, meta: ReportMeta, figures: AnyFigures,
                          extra_front: Sequence[tuple[str, Any]] = (), sheets: Sequence[Sheet] | None = None) -> Path:
    """The 一张表 of a report or an audit: 总表 (what, when, scope, key figures) and the topic sheets."""
    from fingertip.reports.document import audit_key_figures, key_figures

    head: list[tuple[str, Any]] = [("报告", meta["title"])]
    if is_audit(figures):
        head.append(("核查日期", meta["doc_date"]))
        figures_front = audit_key_figures(figures, None)
        default_sheets = audit_sheets(figures)
    else:
        head.append(("报告期", f"{meta['period_label_zh']}（{meta['period_start']} 至 {meta['period_end']}）"))
        figures_front = key_figures(figures)
        default_sheets = report_sheets(figures)
    front = [*head, ("范围", meta["scope_zh"]), ("生成时间", meta["generated_at"]), *extra_front, *figures_front]
    return write_workbook(dest, meta["title"], front, default_sheets if sheets is None else sheets)
