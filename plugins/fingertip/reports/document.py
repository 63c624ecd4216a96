"""The report as an official document (公文): DOCX and PDF through ``fingertip.documents``.

:func:`report_blocks` turns figures into a neutral list of blocks (heading, paragraph, table,
image, page break); :func:`to_official_document` maps them onto the documents helper's
``OfficialDocument`` (GB/T 9704 layout), rendered by ``render_docx`` / ``render_pdf``. Text from the
store (app and unit names) goes into the documents as plain text runs, never as markup.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fingertip.reports import labels
from fingertip.reports.model import (
    AuditFigures,
    AuditInfo,
    ChartInfo,
    KeyFinding,
    ReportFigures,
    ReportMeta,
)
from fingertip.reports.outputs import Written, written_document

pct = labels.pct


@dataclasses.dataclass(frozen=True)
class Block:
    kind: str                       # heading / paragraph / table / image / page_break
    text: str = ""
    level: int = 1
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    path: str = ""


def _s(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> Block:
    return Block("table", headers=tuple(headers),
                 rows=tuple(tuple("—" if v is None else v for v in r) for r in rows))


def _indicator_figures(insp: Any) -> list[tuple[str, str]]:
    """The 国办秘函〔2019〕19号 inspection of accounts, reported apart from the governance assessment."""
    ind = insp.get("indicator")
    if not ind:
        return []
    return [("19号检查合格率（政务公众账号）", f"{pct(ind['pass_rate'])}（合格 {ind['passed']:,} / 检查 {ind['checked']:,}，"
                                       f"未监测 {ind['no_data']:,} 个不计入）")]


def _score_blocks(insp: Any, rows: int) -> list[Block]:
    """The two scores named for what they are; records with missing data and shutdown proposals beside a pass."""
    out: list[Block] = []
    ind = insp.get("indicator")
    if ind:
        out += [Block("paragraph", text=(
            f"{ind['scheme_zh']}：检查 {ind['checked']:,} 个账号，合格 {ind['passed']:,} 个，合格率 {pct(ind['pass_rate'])}；"
            f"另有 {ind['no_data']:,} 个账号数据缺失（未监测），单独列出，不计入合格率。"))]
    if "scheme_zh" in insp:
        out.append(Block("paragraph", text=(
            f"{insp['scheme_zh']}：对全部规则按严重程度评分（评分规则和及格线为Fingertip默认值），评估 {insp['checked']:,} 个，"
            f"合格 {insp['passed']:,} 个；数据缺失 {insp.get('no_data', 0):,} 个，不计入合格率。")))
    missing = insp.get("not_monitored") or []
    if missing:
        out += [Block("paragraph", text=f"数据缺失（未监测）的对象（前 {rows} 个，共 {len(missing):,} 个）："),
                table(["类型", "名称", "地区", "说明"],
                      [[m["target_type_zh"], m["target_name"], m["province_name"], m["scores_zh"]]
                       for m in missing[:rows]])]
    beside = insp.get("shutdown_beside_pass") or []
    if beside:
        out += [Block("paragraph", text="评分合格但存在关停注销建议的对象及原因："),
                table(["类型", "名称", "关停建议", "说明"],
                      [[b["target_type_zh"], b["target_name"], b["title_zh"], b["explanation_zh"]]
                       for b in beside[:rows]])]
    return out


def _interval_zh(days: int | None) -> str:
    if days is None:
        return "未配置"
    return "每日" if days == 1 else f"每{days}日"


def tier_blocks(figures: ReportFigures) -> list[Block]:
    """分级监测情况: a summary table and a section per risk tier (Art. 16)."""
    tiers = figures.get("risk_tiers")
    if not tiers:
        return []
    out = [Block("heading", text="分级监测情况", level=1),
           Block("paragraph", text=(
               f"按用户规模、功能应用和影响范围将应用和公众账号分为高、中、低风险三级，分级确定监测频次和抽查权重"
               f"（{tiers['basis_zh']}）。以下为检查日（{tiers['check_date'] or '本期无检查记录'}）各级情况。")),
           table(["风险等级", "应用", "公众账号", "治理评估合格率", "19号检查合格率", "未整改问题", "监测频次", "抽查权重"],
                 [[r["tier_zh"], r["apps"], r["accounts"], pct(r["pass_rate"]), pct(r["indicator_pass_rate"]),
                   r["open_findings"], _interval_zh(r["monitoring_interval_days"]),
                   "—" if r["audit_sample_weight"] is None else f"{r['audit_sample_weight']:g}"]
                  for r in tiers["tiers"]])]
    for r in tiers["tiers"]:
        out += [Block("heading", text=f"{r['tier_zh']}对象", level=2),
                Block("paragraph", text=(
                    f"{r['tier_zh']}应用 {r['apps']:,} 个、公众账号 {r['accounts']:,} 个。治理评估（Fingertip评分）评估 "
                    f"{r['checked']:,} 个，合格 {r['passed']:,} 个，合格率 {pct(r['pass_rate'])}，数据缺失 {r['no_data']:,} 个"
                    f"不计入；19号检查（公众账号）检查 {r['indicator_checked']:,} 个，合格 {r['indicator_passed']:,} 个，"
                    f"合格率 {pct(r['indicator_pass_rate'])}，数据缺失 {r['indicator_no_data']:,} 个不计入。"
                    f"未整改问题 {r['open_findings']:,} 个，其中高严重程度 {r['open_high']:,} 个。"
                    f"应用商店数据监测频次为{_interval_zh(r['monitoring_interval_days'])}，专项核查抽样权重为"
                    f"{'—' if r['audit_sample_weight'] is None else format(r['audit_sample_weight'], 'g')}。"))]
    return out


def key_figures(figures: ReportFigures) -> list[tuple[str, str]]:
    """Headline figures (label, formatted value) shared by the email, workbook and documents."""
    inv, fnd, insp, cases, cmp_ = (figures["inventory"], figures["findings"], figures["inspections"],
                                   figures["cases"], figures["comparison"])
    chg = figures["changes"]
    t = inv["totals"]
    return [
        ("在册总数", f"{t['all']:,}（应用 {t['app']:,}，公众账号 {t['account']:,}，工作群组 {t['work_group']:,}）"),
        ("本期新增 / 关停", f"{chg['new']['all']:,} / {chg['closed']['all']:,}"),
        ("未整改问题", f"{fnd['open_total']:,}"),
        ("本期新发现问题", f"{fnd['new_in_period']:,}（上期 {_s(cmp_['new_findings']['previous'])}）"),
        ("本期已整改问题", f"{fnd['resolved_in_period']:,}（上期 {_s(cmp_['resolved_findings']['previous'])}）"),
        *_indicator_figures(insp),
        ("治理评估合格率（Fingertip评分）", f"{pct(insp['pass_rate'])}（合格 {insp['passed']:,} / 评估 {insp['checked']:,}，"
                   f"检查日 {insp['check_date'] or '本期无检查'}；上期 {pct(cmp_['pass_rate']['previous'])}）"),
        ("未监测（数据缺失）", f"{insp.get('no_data', 0):,}（不计入合格率）"),
        ("由合格转为不合格", f"{cmp_['regressed']:,}"),
        ("重新打开的问题", f"{cmp_['reopened']:,}"),
        ("关停注销案件", f"{cases['total']:,}（本期立案 {cases['opened_in_period']:,}，办结 "
                     f"{cases['closed_in_period']:,}）"),
    ]


def report_blocks(meta: ReportMeta, figures: ReportFigures, charts: Sequence[ChartInfo], *,
                  rows: int = 20) -> list[Block]:
    """The body of a periodic or self-inspection report."""
    inv, chg, fnd = figures["inventory"], figures["changes"], figures["findings"]
    insp, cases, cmp_ = figures["inspections"], figures["cases"], figures["comparison"]
    chart = {c["name"]: c for c in charts}
    t = inv["totals"]
    out: list[Block] = [
        Block("paragraph", text=(
            f"根据《关于防治“指尖上的形式主义”的若干意见》和政务移动互联网应用程序、政务公众账号管理有关要求，"
            f"现将{meta['scope_zh']}{meta['period_label_zh']}（{meta['period_start']}至{meta['period_end']}）"
            f"政务应用程序、公众账号和工作群组治理情况报告如下。")),
        Block("heading", text="总体情况", level=1),
        Block("paragraph", text=(
            f"截至报告生成时，在册政务应用程序 {t['app']:,} 个、政务公众账号 {t['account']:,} 个、工作群组 "
            f"{t['work_group']:,} 个，合计 {t['all']:,} 个。本期新增 {chg['new']['all']:,} 个，关停 "
            f"{chg['closed']['all']:,} 个。")),
        table(["主办单位层级", "应用", "公众账号", "工作群组", "合计"],
              [[r["level_zh"], r["app"], r["account"], r["work_group"], r["total"]] for r in inv["by_level"]]),
        table(["地区", "应用", "公众账号", "工作群组", "合计"],
              [[r["province_name"], r["app"], r["account"], r["work_group"], r["total"]]
               for r in sorted(inv["by_province"], key=lambda r: -r["total"])[:rows]]),
    ]
    for name in ("inventory_by_province", "inventory_by_platform"):
        if name in chart:
            out.append(Block("image", text=chart[name]["title_zh"], path=chart[name]["path"]))
    out += [
        Block("heading", text="新增与关停情况", level=1),
        table(["对象类型", "本期新增", "本期关停"],
              [[labels.ENTITY_TYPES.get(k, "合计"), chg["new"][k], chg["closed"][k]] for k in chg["new"]]),
        Block("heading", text="问题发现情况", level=1),
        Block("paragraph", text=(
            f"目前未整改问题 {fnd['open_total']:,} 个，其中高风险 {fnd['open_by_severity'].get('high', 0):,} 个；"
            f"本期新发现 {fnd['new_in_period']:,} 个，已整改 {fnd['resolved_in_period']:,} 个。按政策条款统计如下。")),
        table(["政策条款", "未整改", "本期新增", "本期整改"],
              [[r["article_label"], r["open"], r["new"], r["resolved"]] for r in fnd["by_article"]]),
        table(["规则", "严重程度", "未整改", "本期新增", "本期整改"],
              [[r["title_zh"], r["severity_zh"], r["open"], r["new"], r["resolved"]] for r in fnd["by_rule"][:rows]]),
    ]
    if "findings_by_article" in chart:
        out.append(Block("image", text=chart["findings_by_article"]["title_zh"], path=chart["findings_by_article"]["path"]))
    out += [
        Block("heading", text="检查合格情况", level=1),
        *_score_blocks(insp, rows),
        Block("paragraph", text=(
            f"本期最近一次检查（{insp['check_date'] or '本期无检查记录'}）治理评估共评估 {insp['checked']:,} 个应用和账号，"
            f"合格 {insp['passed']:,} 个，合格率 {pct(insp['pass_rate'])}（合格率 = 合格数 / 评估数，数据缺失的不计入）。")),
        table(["地区", "检查数", "合格数", "合格率"],
              [[r["province_name"], r["checked"], r["passed"], pct(r["pass_rate"])] for r in insp["by_province"]]),
        Block("paragraph", text=f"合格率最低的主办单位（前 {rows} 个，完整名单见附件一张表）："),
        table(["主办单位", "地区", "检查数", "合格数", "合格率"],
              [[r["sponsor_name"], r["province_name"], r["checked"], r["passed"], pct(r["pass_rate"])]
               for r in insp["by_unit"][:rows]]),
    ]
    if "pass_rate_by_province" in chart:
        out.append(Block("image", text=chart["pass_rate_by_province"]["title_zh"],
                         path=chart["pass_rate_by_province"]["path"]))
    out += tier_blocks(figures)
    out += [
        Block("heading", text="关停注销案件办理情况", level=1),
        Block("paragraph", text=(f"关停注销案件共 {cases['total']:,} 件，本期新立案 {cases['opened_in_period']:,} 件，"
                                 f"办结 {cases['closed_in_period']:,} 件。")),
        table(["状态", "案件数"], [[r["state_zh"], r["count"]] for r in cases["by_state"]]),
    ]
    if "cases_by_state" in chart:
        out.append(Block("image", text=chart["cases_by_state"]["title_zh"], path=chart["cases_by_state"]["path"]))
    out += [
        Block("heading", text="环比变化", level=1),
        Block("paragraph", text=f"与上期（{cmp_['previous_period']['label_zh']}）相比："),
        table(["指标", "本期", "上期", "变化"],
              [["新发现问题", cmp_["new_findings"]["current"], cmp_["new_findings"]["previous"],
                cmp_["new_findings"]["change"]],
               ["已整改问题", cmp_["resolved_findings"]["current"], cmp_["resolved_findings"]["previous"],
                cmp_["resolved_findings"]["change"]],
               ["合格率", pct(cmp_["pass_rate"]["current"]), pct(cmp_["pass_rate"]["previous"]),
                pct(cmp_["pass_rate"]["change"]) if cmp_["pass_rate"]["change"] is not None else "—"],
               ["由合格转为不合格", cmp_["regressed"], "—", "—"],
               ["重新打开的问题", cmp_["reopened"], "—", "—"]]),
    ]
    if cmp_["regressed_items"]:
        out.append(table(["对象类型", "名称", "地区", "上期得分", "本期得分"],
                         [[r["target_type_zh"], r["target_name"], r["province_name"], r["previous_score"], r["score"]]
                          for r in cmp_["regressed_items"][:rows]]))
    out += key_findings_blocks("重点问题清单", figures["key_findings"], rows, total=fnd["open_total"])
    return out


def key_findings_blocks(heading: str, items: Sequence[KeyFinding], rows: int, *,
                        total: int | None = None) -> list[Block]:
    blocks = [Block("heading", text=heading, level=1)]
    if not items:
        return blocks + [Block("paragraph", text="无未整改问题。")]
    total = len(items) if total is None else total
    listed = "完整清单见附件一张表" if total == len(items) else f"附件一张表列出前 {len(items):,} 个"
    blocks.append(Block("paragraph", text=f"按严重程度列出前 {min(rows, len(items))} 个（共 {total:,} 个，{listed}）："))
    blocks.append(table(["对象", "名称", "地区", "问题", "严重程度", "政策条款"],
                        [[r["target_type_zh"], r["target_name"], r["province_name"], r["title_zh"], r["severity_zh"],
                          r["article_label"]] for r in items[:rows]]))
    return blocks


def audit_key_figures(figures: AuditFigures, audit: AuditInfo | None) -> list[tuple[str, str]]:
    fnd, insp = figures["findings"], figures["inspections"]
    checked = figures["checked"]
    sev = fnd["by_severity"]
    out = [
        ("核查对象", "，".join(f"{labels.ENTITY_TYPES.get(k, k)} {v:,}" for k, v in checked.items()) or "0"),
        ("发现问题", f"{fnd['total']:,}（高 {sev.get('high', 0):,}，中 {sev.get('medium', 0):,}，低 {sev.get('low', 0):,}）"),
        ("治理评估合格率（Fingertip评分）", f"{pct(insp['pass_rate'])}（合格 {insp['passed']:,} / 评估 {insp['checked']:,}）"),
        ("未监测（数据缺失）", f"{insp.get('no_data', 0):,}（不计入合格率）"),
    ]
    if audit is not None:
        out.append(("抽样", audit["sampling_zh"]))
    return out


def sample_blocks(figures: AuditFigures) -> list[Block]:
    """The spot check by risk tier: weight, probability, records in scope and drawn."""
    rows = figures["sampling"].get("by_tier") or []
    if not rows:
        return []
    return [Block("paragraph", text="分级抽样情况（抽取概率 = 抽样比例 × 风险等级权重，最高100%）："),
            table(["对象类型", "风险等级", "权重", "抽取概率", "范围内对象", "抽取数"],
                  [[r["target_type_zh"], r["tier_zh"], f"{r['weight']:g}", pct(r["probability"]), r["in_scope"],
                    r["sampled"]] for r in rows])]


def audit_blocks(meta: ReportMeta, figures: AuditFigures, charts: Sequence[ChartInfo], audit: AuditInfo, *,
                 rows: int = 20) -> list[Block]:
    """The body of an ad-hoc audit report."""
    fnd, insp = figures["findings"], figures["inspections"]
    chart = {c["name"]: c for c in charts}
    checked = "，".join(f"{labels.ENTITY_TYPES.get(k, k)} {v:,} 个" for k, v in figures["checked"].items()) or "无"
    out = [
        Block("paragraph", text=f"按照工作安排，于{meta['doc_date']}对下列范围开展政务移动互联网应用程序和公众账号专项核查。"),
        Block("heading", text="核查范围和方法", level=1),
        Block("paragraph", text=f"核查范围：{audit['scope_zh']}。"),
        Block("paragraph", text=f"核查方法：{audit['sampling_zh']}。核查规则与日常监测一致，核查不改变台账和问题记录。"),
        Block("paragraph", text=f"核查对象：{checked}。"),
        *sample_blocks(figures),
        Block("heading", text="核查结果", level=1),
        Block("paragraph", text=(
            f"共发现问题 {fnd['total']:,} 个，其中高风险 {fnd['by_severity'].get('high', 0):,} 个；"
            f"检查 {insp['checked']:,} 个应用和账号，合格 {insp['passed']:,} 个，合格率 {pct(insp['pass_rate'])}。")),
        table(["政策条款", "问题数"], [[r["article_label"], r["count"]] for r in fnd["by_article"]]),
        table(["规则", "严重程度", "问题数"], [[r["title_zh"], r["severity_zh"], r["count"]] for r in fnd["by_rule"][:rows]]),
    ]
    if "findings_by_article" in chart:
        out.append(Block("image", text=chart["findings_by_article"]["title_zh"], path=chart["findings_by_article"]["path"]))
    out += [
        Block("heading", text="合格情况", level=1),
        table(["地区", "检查数", "合格数", "合格率"],
              [[r["province_name"], r["checked"], r["passed"], pct(r["pass_rate"])] for r in insp["by_province"]]),
        table(["主办单位", "地区", "检查数", "合格数", "合格率"],
              [[r["sponsor_name"], r["province_name"], r["checked"], r["passed"], pct(r["pass_rate"])]
               for r in insp["by_unit"][:rows]]),
    ]
    if "pass_rate_by_province" in chart:
        out.append(Block("image", text=chart["pass_rate_by_province"]["title_zh"],
                         path=chart["pass_rate_by_province"]["path"]))
    out += key_findings_blocks("问题清单", figures["key_findings"], rows, total=fnd["total"])
    out += [Block("heading", text="整改要求", level=1),
            Block("paragraph", text="请相关主办单位对照问题清单逐项整改，整改情况纳入下一期定期报告。")]
    return out


# --- mapping onto fingertip.documents --------------------------------------------------------------

def to_official_document(meta: ReportMeta, blocks: Sequence[Block]):
    """An ``OfficialDocument`` of the documents helper for ``blocks``."""
    import datetime as dt

    from fingertip.documents import official as od

    body: list[od.Block] = []
    for b in blocks:
        if b.kind == "heading":
            body.append(od.Heading(b.text, level=b.level))
        elif b.kind == "paragraph":
            body.append(od.Paragraph(b.text))
        elif b.kind == "table":
            body.append(od.Table(list(b.headers), [list(r) for r in b.rows]))
        elif b.kind == "image":
            body.append(od.Image(b.path, width_mm=150.0, caption=b.text))
        elif b.kind == "page_break":
            body.append(od.PageBreak())
    date = dt.date.fromisoformat(meta["doc_date"]) if meta["doc_date"] else dt.date.today()
    return od.OfficialDocument(
        title=meta["title"], blocks=body, issuer=meta["issuer"], date=date,
        doc_number=meta.get("doc_number"), addressee=meta.get("addressee"),
        attachments_note=list(meta["attachments_note"]), subtitle=meta["subtitle"])


def write_documents(meta: ReportMeta, blocks: Sequence[Block], folder: Path, stem: str,
                    formats: Sequence[str]) -> list[Written]:
    """Render DOCX / PDF (and Markdown when ``html`` is asked) of the report document."""
    written = []
    doc = to_official_document(meta, blocks)
    if "docx" in formats:
        from fingertip.documents.docx_render import render_docx

        render_docx(doc, folder / f"{stem}.docx")
        written.append(written_document("report", "docx", folder / f"{stem}.docx"))
    if "pdf" in formats:
        from fingertip.documents.pdf_render import render_pdf

        render_pdf(doc, folder / f"{stem}.pdf")
        written.append(written_document("report", "pdf", folder / f"{stem}.pdf"))
    if "html" in formats:
        from fingertip.documents.html_render import render_markdown

        dest = folder / f"{stem}.md"
        dest.write_text(render_markdown(doc), encoding="utf-8")
        written.append(written_document("report", "md", dest))
    return written
