"""The data-disposal checklist (数据处置清单) of a stopped app, account or work group.

The checklist follows the ten steps of ``reference.md``; steps 2, 3, 5, 6 and 7 are expanded to one row
per data category (archival appraisal, legal holds, deletion/anonymisation, contractor copies, media
sanitisation). :func:`write_checklist` writes it as XLSX (sheet 处置清单: a header block with the case,
frozen column header, drop-downs for 处置方式 and 核验结果, A4 landscape fitted to the page width, every
outside value safe against formula injection) and as an official-style DOCX with the same table.

Deadline: by default the stop date plus 15 working days, counted on the official working-day calendar
(:mod:`fingertip.workdays`: public holidays and 调休 make-up working days; Monday–Friday with a logged
warning for a year the calendar has no data for) minus any date in ``holidays``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from fingertip.documents.official import (
    TARGET_TYPES,
    OfficialDocument,
    Paragraph,
    Table,
    WrittenDocument,
    as_dir,
    format_date,
    safe_file_stem,
    written,
)

DEFAULT_WORKING_DAYS = 15
UNASSIGNED = "（待指定）"

METHOD_LABELS = {
    "archive": "归档移交",
    "delete": "删除",
    "anonymise": "匿名化",
    "return_then_delete": "返还后删除",
    "retain_legal_hold": "依法留存（仅存储）",
}
METHODS = tuple(METHOD_LABELS)
VERIFICATION_OPTIONS = ("通过", "未通过", "不适用", "待核验")

PIPL_47 = "《个人信息保护法》第四十七条"
ARCHIVES_37 = "《档案法》第三十七条"
DSL_40 = "《数据安全法》第四十条"
GBT_35273 = "GB/T 35273—2020 §6.4（停止运营）"
GBT_37988 = "GB/T 37988—2019（数据销毁处置）"
CYBER_21 = "《网络安全法》第二十一条（日志留存不少于六个月）"


class DisposalError(ValueError):
    """The checklist cannot be produced as configured (message in Chinese and English)."""


@dataclass
class DataCategory:
    name: str
    personal: bool
    sensitive: bool
    holders: list[str]
    legal_basis: str
    method: str  # archive | delete | anonymise | return_then_delete | retain_legal_hold
    retention_until: dt.date | None = None

    def __post_init__(self):
        if self.method not in METHOD_LABELS:
            raise DisposalError(f"数据类别“{self.name}”的处置方式“{self.method}”无效 / unknown disposal method "
                                f"{self.method!r} for {self.name!r} (one of {', '.join(METHODS)})")

    @property
    def method_label(self) -> str:
        return METHOD_LABELS[self.method]


def _cat(name, personal, sensitive, holders, basis, method, retention_until=None) -> DataCategory:
    return DataCategory(name, personal, sensitive, list(holders), basis, method, retention_until)


def _catalog(target_type: str) -> list[DataCategory]:
    if target_type in ("app", "sponsor"):  # a sponsor case covers the data of all its channels
        return [
            _cat("用户注册信息（个人信息）", True, False, ["生产库", "备份"], f"{PIPL_47}；{GBT_35273}", "delete"),
            _cat("实名认证信息（敏感个人信息）", True, True, ["生产库", "备份", "云服务商"],
                 f"{PIPL_47}；《个人信息保护法》第二十八条；{GBT_35273}", "delete"),
            _cat("业务办理记录（政务数据/档案价值）", True, False, ["生产库", "备份"],
                 f"{ARCHIVES_37}；{PIPL_47}第二款", "archive"),
            _cat("系统与操作日志", True, False, ["生产库", "日志平台", "备份"], f"{CYBER_21}；{PIPL_47}第二款",
                 "retain_legal_hold"),
            _cat("数据库及文件备份", True, True, ["备份", "云服务商"], f"{PIPL_47}；{GBT_37988}", "delete"),
            _cat("缓存/CDN数据", True, False, ["缓存CDN", "云服务商"], f"{PIPL_47}；{GBT_37988}", "delete"),
            _cat("第三方SDK收集的数据", True, False, ["SDK"], f"{PIPL_47}；《个人信息保护法》第二十三条；{DSL_40}",
                 "return_then_delete"),
            _cat("外包/云服务商持有的副本", True, True, ["外包服务商", "云服务商"], f"{DSL_40}；《个人信息保护法》第二十一条",
                 "return_then_delete"),
        ]
    if target_type == "account":
        return [
            _cat("粉丝/留言数据", True, False, ["平台账号后台"], f"{PIPL_47}；{GBT_35273}", "delete"),
            _cat("发布内容（存档）", False, False, ["平台账号后台", "本地素材库"], f"{ARCHIVES_37}；《政府网站与政务新媒体检查指标》",
                 "archive"),
            _cat("后台操作日志", True, False, ["平台账号后台"], f"{CYBER_21}", "retain_legal_hold"),
            _cat("运营服务商持有的素材与数据", True, False, ["外包服务商"], f"{DSL_40}；《个人信息保护法》第二十一条",
                 "return_then_delete"),
        ]
    if target_type == "work_group":
        return [
            _cat("群聊记录", True, False, ["即时通信平台", "成员终端"], f"{PIPL_47}；{ARCHIVES_37}", "archive"),
            _cat("成员名单", True, False, ["即时通信平台"], f"{PIPL_47}；{GBT_35273}", "delete"),
            _cat("群文件与通知记录", False, False, ["即时通信平台", "云服务商"], f"{ARCHIVES_37}", "archive"),
        ]
    raise DisposalError(f"处置对象类型“{target_type}”无效 / target_type {target_type!r} must be one of "
                        f"{', '.join(TARGET_TYPES)}")


def _guess(name: str, target_type: str) -> DataCategory:
    """A category from a free-text name (policy files list names): conservative defaults by keyword."""
    personal = any(k in name for k in ("个人", "用户", "成员", "粉丝", "留言", "实名", "身份", "聊天", "日志"))
    sensitive = any(k in name for k in ("敏感", "实名", "身份证", "生物", "人脸", "金融", "健康", "行踪"))
    if any(k in name for k in ("SDK", "外包", "服务商", "第三方")):
        return _cat(name, True, sensitive, ["SDK", "外包服务商", "云服务商"], f"{DSL_40}；{PIPL_47}",
                    "return_then_delete")
    if any(k in name for k in ("日志",)):
        return _cat(name, personal, sensitive, ["生产库", "日志平台"], CYBER_21, "retain_legal_hold")
    if any(k in name for k in ("业务", "政务", "内容", "素材", "公告", "通知", "档案", "记录")) and "个人信息" not in name:
        return _cat(name, personal, sensitive, ["生产库", "备份"], f"{ARCHIVES_37}", "archive")
    if any(k in name for k in ("备份", "缓存", "CDN")):
        return _cat(name, True, sensitive, ["备份", "缓存CDN", "云服务商"], f"{PIPL_47}；{GBT_37988}", "delete")
    holders = {"app": ["生产库", "备份"], "account": ["平台账号后台"],
               "work_group": ["即时通信平台"]}.get(target_type, ["生产库"])
    return _cat(name, personal or "信息" in name, sensitive, holders, f"{PIPL_47}；{GBT_35273}",
                "delete" if (personal or "信息" in name) else "archive")


def default_categories(target_type: str, names: Iterable[str] | None = None) -> list[DataCategory]:
    """Sensible categories for a target type, each with its legal basis and method.

    ``names`` (e.g. the policy file's ``data_categories``) selects categories by name: a known name
    gives the catalogue entry, any other name a category guessed conservatively from its keywords.
    """
    catalog = _catalog(target_type)
    if names is None:
        return catalog
    by_name = {c.name: c for c in catalog}
    return [replace(by_name[n]) if n in by_name else _guess(n, target_type) for n in names if str(n).strip()]


def add_working_days(start: dt.date, days: int, holidays: Iterable[dt.date] = ()) -> dt.date:
    """``start`` plus ``days`` working days on the official calendar, not in ``holidays``."""
    from fingertip.workdays import calendar

    return calendar(holidays).add_working_days(start, days)


def default_deadline(stop_date: dt.date, working_days: int = DEFAULT_WORKING_DAYS,
                     holidays: Iterable[dt.date] = ()) -> dt.date:
    return add_working_days(stop_date, working_days, holidays)


@dataclass(kw_only=True)
class DisposalContext:
    case_key: str
    target_type: str
    target_name: str
    sponsor_name: str
    sponsor_credit_code: str
    stop_date: dt.date
    deadline: dt.date | None = None  # None: stop_date + 15 working days
    responsible_person: str
    responsible_phone: str
    data_categories: list[DataCategory] | None = None  # None: default_categories(target_type)
    filing_numbers: list[str] = field(default_factory=list)
    contractors: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)  # stores / platforms to delist from (optional)

    def __post_init__(self):
        if self.deadline is None:
            self.deadline = default_deadline(self.stop_date)
        if self.data_categories is None:
            self.data_categories = default_categories(self.target_type)
        if not str(self.responsible_person or "").strip():
            self.responsible_person = UNASSIGNED  # the sponsor has no contact on record: fill in by hand

    @property
    def due(self) -> dt.date:
        """The disposal deadline (set by ``__post_init__`` when not given)."""
        return self.deadline if self.deadline is not None else default_deadline(self.stop_date)

    @property
    def categories(self) -> list[DataCategory]:
        """The data categories (the defaults of the target type when not given)."""
        return self.data_categories if self.data_categories is not None else default_categories(self.target_type)

    def validate(self) -> None:
        problems: list[tuple[str, str]] = []
        if self.target_type not in TARGET_TYPES:
            problems.append((f"处置对象类型“{self.target_type}”无效", f"target_type {self.target_type!r} is invalid"))
        for name, label in (("case_key", "案件编号"), ("target_name", "处置对象名称"), ("sponsor_name", "主办单位")):
            if not str(getattr(self, name) or "").strip():
                problems.append((f"缺少{label}", f"{name} is empty"))
        if self.due < self.stop_date:
            problems.append((f"处置期限（{format_date(self.due)}）早于停止服务日期（{format_date(self.stop_date)}）",
                             f"deadline {self.deadline} is before the stop date {self.stop_date}"))
        if not self.data_categories:
            problems.append(("未列出任何数据类别", "no data categories"))
        if problems:
            raise DisposalError("数据处置清单不能生成：" + "；".join(p[0] for p in problems) + "。 / Checklist refused ("
                                + str(self.case_key) + "): " + "; ".join(p[1] for p in problems) + ".")


TARGET_LABELS = {"app": "政务移动互联网应用程序", "account": "政务新媒体账号", "work_group": "政务工作群",
                 "sponsor": "主办单位全部政务服务渠道"}

COLUMNS = ("序号", "步骤", "数据类别", "是否个人信息", "是否敏感", "存放位置", "法律依据", "处置方式", "责任人",
           "完成期限", "佐证材料", "核验结果", "签字确认", "日期")
COLUMN_WIDTHS = (7, 30, 24, 8, 8, 18, 32, 14, 10, 12, 24, 10, 12, 12)

STEPS: tuple[tuple[int, str, str, bool], ...] = (
    (1, "数据清点：登记所持全部数据（个人信息/敏感个人信息、政务数据、日志、备份、缓存/CDN、SDK、外包和云服务商副本）",
     "数据资产清单（系统导出）", False),
    (2, "档案价值鉴定：具有保存价值的记录先行向档案部门移交", "档案鉴定意见、移交清单及接收回执", True),
    (3, "法定留存核查：保存期限未届满的数据仅存储、不处理，并采取安全保护措施", "留存清单、访问控制记录", True),
    (4, "停止收集并告知用户：逐一通知或发布公告", "关停公告及发布记录（网址、发布时间）、通知记录", False),
    (5, "删除或匿名化：先生产库，再备份，后缓存", "删除/匿名化操作日志、系统核验记录", True),
    (6, "外包与云服务商：返还数据后删除并出具删除证明", "返还清单、删除证明（加盖公章）", True),
    (7, "介质清除或销毁：登记存储介质的清除、销毁情况", "介质清除/销毁记录、监销人签字", True),
    (8, "注销备案与下架：政务应用备案、ICP/APP备案、应用商店/平台下架、证书和密钥吊销", "注销回执、Fingertip下架核验记录、证书吊销记录",
     False),
    (9, "形成佐证材料包：人员、时间、方式、核验结果和签字", "佐证材料包目录", False),
    (10, "报告完成情况（Fingertip建议做法）：向主管网信部门报送处置完成情况", "报送文件及回执", False),
)
#: Evidence is the systems' own records (exports, operation logs, receipts, Fingertip's checks), never
#: screenshots or videos made for the file (Art. 9 of the Opinions: 不得随意要求……上传不必要的截图或视频);
#: tests keep every step's evidence free of these words.
SCREENSHOT_WORDS = ("截图", "截屏", "录屏", "视频", "照片", "拍照")
EVIDENCE_NOTE_ZH = ("佐证材料以系统自身记录为准（系统导出清单、操作日志、回执和Fingertip核验记录），不要求截图、录屏或照片"
                    "（《关于防治“指尖上的形式主义”的若干意见》第9条：不得随意要求上传不必要的截图或视频）。")
STEP_BASIS = {
    1: f"{PIPL_47}；{DSL_40}", 2: ARCHIVES_37, 3: f"{PIPL_47}第二款", 4: GBT_35273, 5: PIPL_47, 6: DSL_40,
    7: GBT_37988, 8: "《政务移动互联网应用程序规范化管理办法》（国办函〔2026〕12号）；《互联网信息服务管理办法》", 9: "《数据安全法》第二十七条",
    10: "Fingertip建议做法（《关于防治“指尖上的形式主义”的若干意见》未规定此项报告义务）",
}


def _step_deadline(ctx: DisposalContext, step: int) -> dt.date:
    if step in (1, 3, 4):
        return ctx.stop_date
    if step == 2:
        return min(add_working_days(ctx.stop_date, 5), ctx.due)
    return ctx.due


def _merge_basis(*texts: str) -> str:
    seen: list[str] = []
    for text in texts:
        for part in (text or "").split("；"):
            part = part.strip()
            if part and part not in seen:
                seen.append(part)
    return "；".join(seen)


def checklist_rows(ctx: DisposalContext) -> list[dict[str, Any]]:
    """One dict per checklist row, keyed by :data:`COLUMNS` (steps 1–10 in order)."""
    rows: list[dict[str, Any]] = []
    platforms = "、".join(ctx.platforms)
    filings = "、".join(ctx.filing_numbers)
    contractors = "、".join(ctx.contractors)
    for step, title, evidence, per_category in STEPS:
        label = f"{step}. {title}"
        base = {"步骤": label, "法律依据": STEP_BASIS[step], "责任人": ctx.responsible_person,
                "完成期限": _step_deadline(ctx, step), "佐证材料": evidence, "核验结果": None, "签字确认": None, "日期": None}
        if not per_category:
            extra = ""
            if step == 8:
                bits = [f"备案号：{filings}" if filings else "", f"平台：{platforms}" if platforms else ""]
                extra = "；".join(b for b in bits if b)
            if step == 1 and contractors:
                extra = f"外包/云服务商：{contractors}"
            rows.append({**base, "序号": str(step), "数据类别": "全部" if step in (1, 9) else "—",
                         "是否个人信息": None, "是否敏感": None, "存放位置": extra or None, "处置方式": None})
            continue
        for i, cat in enumerate(ctx.categories, start=1):
            deadline = base["完成期限"]
            if step == 3 and cat.retention_until:
                deadline = cat.retention_until
            holders = "、".join(cat.holders)
            if step == 6 and contractors and any(h for h in cat.holders if "服务商" in h or h == "SDK"):
                holders = f"{holders}（{contractors}）"
            rows.append({**base, "序号": f"{step}.{i}", "数据类别": cat.name,
                         "是否个人信息": "是" if cat.personal else "否",
                         "是否敏感": "是" if cat.sensitive else "否", "存放位置": holders,
                         "法律依据": _merge_basis(STEP_BASIS[step], cat.legal_basis), "处置方式": cat.method_label,
                         "完成期限": deadline})
    return rows


def header_fields(ctx: DisposalContext) -> list[tuple[str, Any]]:
    return [
        ("案件编号", ctx.case_key),
        ("处置对象", f"{TARGET_LABELS.get(ctx.target_type, ctx.target_type)}：{ctx.target_name}"),
        ("主办单位", ctx.sponsor_name),
        ("统一社会信用代码", ctx.sponsor_credit_code),
        ("停止服务日期", ctx.stop_date),
        ("处置完成期限", ctx.deadline),
        ("责任人及电话", f"{ctx.responsible_person}（{ctx.responsible_phone}）" if ctx.responsible_phone
         else ctx.responsible_person),
        ("待注销备案号", "、".join(ctx.filing_numbers) or "无"),
    ]


def checklist_title(ctx: DisposalContext) -> str:
    return f"{ctx.target_name}数据处置清单"


def checklist_xlsx(ctx: DisposalContext) -> bytes:
    """The checklist workbook (one sheet, 处置清单)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    from fingertip.documents import xlsx

    ctx.validate()
    st = xlsx.styles()
    wb = Workbook()
    ws = wb.active
    ws.title = "处置清单"
    n = len(COLUMNS)
    xlsx.put(ws, 1, 1, checklist_title(ctx), style=st["title"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n)
    ws.row_dimensions[1].height = 30
    fields = header_fields(ctx)
    row = 2
    for i in range(0, len(fields), 2):  # two label/value pairs per row
        for j, (label, value) in enumerate(fields[i:i + 2]):
            col = 1 + j * 7
            xlsx.put(ws, row, col, label, style=st["label"])
            ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=col + 1)
            xlsx.put(ws, row, col + 2, value, style=st["value"])
            ws.merge_cells(start_row=row, start_column=col + 2, end_row=row, end_column=col + 6)
        row += 1
    header_row = row + 1
    for c, name in enumerate(COLUMNS, start=1):
        xlsx.put(ws, header_row, c, name, style=st["header"])
        ws.column_dimensions[get_column_letter(c)].width = COLUMN_WIDTHS[c - 1]
    ws.row_dimensions[header_row].height = 30
    rows = checklist_rows(ctx)
    centered = {"序号", "是否个人信息", "是否敏感", "处置方式", "责任人", "完成期限", "核验结果", "签字确认", "日期"}
    for r, data in enumerate(rows, start=header_row + 1):
        for c, name in enumerate(COLUMNS, start=1):
            xlsx.put(ws, r, c, data.get(name), style=st["body_center" if name in centered else "body"])
    last = header_row + len(rows)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=3)
    method_col = get_column_letter(COLUMNS.index("处置方式") + 1)
    check_col = get_column_letter(COLUMNS.index("核验结果") + 1)
    date_col = get_column_letter(COLUMNS.index("日期") + 1)
    xlsx.list_validation(ws, list(METHOD_LABELS.values()), f"{method_col}{header_row + 1}:{method_col}{last}",
                         prompt="选择处置方式")
    xlsx.list_validation(ws, list(VERIFICATION_OPTIONS), f"{check_col}{header_row + 1}:{check_col}{last}",
                         prompt="选择核验结果")
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(type="date", operator="greaterThan", formula1="DATE(2000,1,1)", allow_blank=True)
    dv.error = "请输入日期（如 2026-12-31）"
    ws.add_data_validation(dv)
    dv.add(f"{date_col}{header_row + 1}:{date_col}{last}")
    for r in range(header_row + 1, last + 1):
        ws.cell(row=r, column=COLUMNS.index("日期") + 1).number_format = "yyyy-mm-dd"
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(n)}{last}"
    xlsx.print_setup(ws, landscape=True, title_rows=f"{header_row}:{header_row}")
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    wb.properties.title = xlsx.clean_text(checklist_title(ctx))
    wb.properties.creator = "Fingertip"
    wb.properties.language = "zh-CN"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def checklist_document(ctx: DisposalContext) -> OfficialDocument:
    """The checklist as an official-style document (DOCX/PDF): case facts, the ten steps, the table."""
    from fingertip.documents.official import Heading

    ctx.validate()
    intro = [Paragraph(f"{label}：{format_date(value) if isinstance(value, dt.date) else value}",
                       indent=False, align="left") for label, value in header_fields(ctx)]
    steps = [Paragraph(f"{step}. {title}") for step, title, _, _ in STEPS]
    cols = ("序号", "步骤", "数据类别", "个人信息/敏感", "存放位置", "法律依据", "处置方式", "完成期限", "佐证材料",
            "核验/签字")
    rows = []
    for r in checklist_rows(ctx):
        personal = "" if r["是否个人信息"] is None else f"{r['是否个人信息']}/{r['是否敏感']}"
        short_step = r["步骤"].split("：", 1)[0]  # the full wording is listed above the table
        rows.append([r["序号"], short_step, r["数据类别"], personal, r["存放位置"], r["法律依据"], r["处置方式"],
                     r["完成期限"], r["佐证材料"], ""])
    table = Table(list(cols), rows, col_widths_mm=[9, 18, 18, 12, 15, 27, 12, 19, 16, 10], font_size_pt=8,
                  caption="数据处置清单")
    blocks: list[Any] = [
        *intro,
        Heading("处置步骤"), *steps,
        Heading("逐项处置及核验"), table,
        Paragraph("说明：步骤2、3、5、6、7按数据类别逐项填写；处置方式为归档移交、删除、匿名化、返还后删除或依法留存"
                  "（仅存储）；核验结果由核验人填写并签字，佐证材料随清单归档。" + EVIDENCE_NOTE_ZH),
    ]
    return OfficialDocument(title=checklist_title(ctx), blocks=blocks, issuer=ctx.sponsor_name,
                            date=ctx.stop_date)


CHECKLIST_FORMATS = ("xlsx", "docx")


def write_checklist(ctx: DisposalContext, out_dir: Any,
                    formats: tuple[str, ...] = CHECKLIST_FORMATS) -> list[WrittenDocument]:
    """Write ``disposal_<case>.xlsx`` and ``.docx`` (``formats`` may add ``pdf``, ``html``, ``md``)."""
    folder = as_dir(out_dir)
    return [written(kind, fmt, folder / name, blob) for kind, fmt, name, blob in checklist_files(ctx, formats)]


def checklist_files(ctx: DisposalContext, formats: tuple[str, ...] = CHECKLIST_FORMATS,
                    ) -> list[tuple[str, str, str, bytes]]:
    """(kind, format, file name, bytes) of every file of the checklist, all rendered in memory."""
    from fingertip.documents.render import render_formats

    data: dict[str, bytes] = {}
    if "xlsx" in formats:
        data["xlsx"] = checklist_xlsx(ctx)
    others = tuple(f for f in formats if f != "xlsx")
    if others:
        data.update(render_formats(checklist_document(ctx), others))
    stem = f"disposal_{safe_file_stem(ctx.case_key)}"
    return [("disposal_checklist", fmt, f"{stem}.{fmt}", data[fmt]) for fmt in formats]
