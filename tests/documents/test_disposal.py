"""The data-disposal checklist: XLSX opened with openpyxl, DOCX with python-docx, defaults, deadlines."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx
import openpyxl
import pytest

from fingertip.documents.disposal import (
    COLUMNS,
    METHOD_LABELS,
    STEPS,
    VERIFICATION_OPTIONS,
    DataCategory,
    DisposalError,
    add_working_days,
    checklist_xlsx,
    default_categories,
    default_deadline,
    write_checklist,
)
from fingertip_dev.document_samples import sample_disposal_context

from .conftest import HOSTILE


@pytest.fixture(scope="module")
def sheet():
    wb = openpyxl.load_workbook(io.BytesIO(checklist_xlsx(sample_disposal_context())))
    assert wb.sheetnames == ["处置清单"]
    return wb["处置清单"]


def _header_row(ws) -> int:
    for row in ws.iter_rows(min_row=1, max_row=20):
        if row[0].value == "序号":
            return row[0].row
    raise AssertionError("no header row")


def _rows(ws):
    h = _header_row(ws)
    return [dict(zip(COLUMNS, r, strict=False)) for r in ws.iter_rows(min_row=h + 1, values_only=True) if r[0] is not None]


def test_columns_and_header_block(sheet):
    h = _header_row(sheet)
    assert tuple(c.value for c in sheet[h]) == COLUMNS
    assert COLUMNS == ("序号", "步骤", "数据类别", "是否个人信息", "是否敏感", "存放位置", "法律依据", "处置方式", "责任人",
                       "完成期限", "佐证材料", "核验结果", "签字确认", "日期")
    block = [c.value for row in sheet.iter_rows(min_row=1, max_row=h - 1) for c in row if c.value is not None]
    assert "“阳江通”政务服务App数据处置清单" in block
    for needle in ("SC-2026-0001", "阳江市人民政府办公室", "11441700007280420Y", "李明（0662-3212345）",
                   "粤ICP备2024012345号-3A"):
        assert needle in block or any(needle in str(v) for v in block), needle
    assert dt.datetime(2027, 1, 21) in block  # deadline: 2026-12-31 + 15 working days
    assert sheet.freeze_panes == f"C{h + 1}"


def test_ten_steps_in_order_expanded_per_category(sheet):
    rows = _rows(sheet)
    steps = [int(r["序号"].split(".")[0]) for r in rows]
    assert steps == sorted(steps) and set(steps) == set(range(1, 11))
    categories = default_categories("app")
    for step, _, _, per_category in STEPS:
        mine = [r for r in rows if r["序号"].split(".")[0] == str(step)]
        if per_category:
            assert [r["数据类别"] for r in mine] == [c.name for c in categories]
            assert all(r["处置方式"] in METHOD_LABELS.values() for r in mine)
            assert all(r["法律依据"] for r in mine)
        else:
            assert len(mine) == 1
    sensitive = next(r for r in rows if r["序号"] == "5.2")
    assert sensitive["数据类别"] == "实名认证信息（敏感个人信息）"
    assert (sensitive["是否个人信息"], sensitive["是否敏感"]) == ("是", "是")
    assert "个人信息保护法》第四十七条" in sensitive["法律依据"]
    assert next(r for r in rows if r["序号"] == "2.3")["处置方式"] == "归档移交"
    assert "档案法》第三十七条" in next(r for r in rows if r["序号"] == "2.1")["法律依据"]
    assert "数据安全法》第四十条" in next(r for r in rows if r["序号"] == "6.1")["法律依据"]
    assert "GB/T 37988" in next(r for r in rows if r["序号"] == "7.1")["法律依据"]
    assert all(r["责任人"] == "李明" for r in rows)
    assert next(r for r in rows if r["序号"] == "5.1")["完成期限"] == dt.datetime(2027, 1, 21)
    assert "粤ICP备2024012345号-3A" in next(r for r in rows if r["序号"] == "8")["存放位置"]


def test_validations_print_setup_and_styles(sheet):
    h = _header_row(sheet)
    last = sheet.max_row
    lists = {dv.formula1: str(dv.sqref) for dv in sheet.data_validations.dataValidation if dv.type == "list"}
    method_col = openpyxl.utils.get_column_letter(COLUMNS.index("处置方式") + 1)
    check_col = openpyxl.utils.get_column_letter(COLUMNS.index("核验结果") + 1)
    assert lists['"' + ",".join(METHOD_LABELS.values()) + '"'] == f"{method_col}{h + 1}:{method_col}{last}"
    assert lists['"' + ",".join(VERIFICATION_OPTIONS) + '"'] == f"{check_col}{h + 1}:{check_col}{last}"
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4) == 9
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows.replace("$", "") == f"{h}:{h}"  # header row repeats on printed pages
    assert sheet.column_dimensions["B"].width >= 25
    assert sheet.cell(row=h + 1, column=2).alignment.wrap_text


def test_formula_injection_is_stored_as_text():
    evil = '=HYPERLINK("http://evil.example","x")'
    ctx = sample_disposal_context(target_name=HOSTILE, responsible_person=evil,
                                  contractors=["+cmd|' /C calc'!A0"], case_key="@SUM(1+1)")
    data = checklist_xlsx(ctx)
    ws = openpyxl.load_workbook(io.BytesIO(data))["处置清单"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    starts = [c for c in cells if c.value.startswith(("=", "+", "-", "@"))]
    assert {c.value for c in starts} >= {evil, "@SUM(1+1)"}
    assert all(c.data_type == "s" for c in starts)
    assert any(HOSTILE in c.value for c in cells)
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula anywhere
    # the quote prefix is set on the dangerous cells
    assert all(c.quotePrefix for c in starts)


def test_checklist_docx(tmp_path, disposal_ctx):
    written = write_checklist(disposal_ctx, tmp_path)
    assert [(w.kind, w.doc_format) for w in written] == [("disposal_checklist", "xlsx"),
                                                         ("disposal_checklist", "docx")]
    d = docx.Document(written[1].path)
    assert d.paragraphs[0].text == "“阳江通”政务服务App数据处置清单"
    (table,) = d.tables
    assert table.rows[0].cells[0].text == "序号"
    ids = [r.cells[0].text for r in table.rows[1:]]
    assert ids[0] == "1" and ids[-1] == "10" and "5.8" in ids
    text = "\n".join(p.text for p in d.paragraphs)
    assert "11441700007280420Y" in text and "2027年1月21日" in text


def test_working_days_follow_the_official_calendar():
    # 国办发明电〔2025〕7号: 1 Jan (Thu) to 3 Jan 2026 off, Sunday 4 Jan 2026 a make-up working day
    friday = dt.date(2026, 1, 2)
    assert add_working_days(friday, 1) == dt.date(2026, 1, 4)  # the make-up Sunday
    assert add_working_days(friday, 5) == dt.date(2026, 1, 8)
    assert add_working_days(friday, 1, holidays=[dt.date(2026, 1, 4)]) == dt.date(2026, 1, 5)
    # 2027 is beyond the calendar's data: Monday-Friday (a warning is logged)
    assert default_deadline(dt.date(2026, 12, 31)) == dt.date(2027, 1, 21)
    assert sample_disposal_context(deadline=dt.date(2027, 2, 1)).deadline == dt.date(2027, 2, 1)


def test_default_categories_per_target_type():
    app = default_categories("app")
    names = [c.name for c in app]
    assert "实名认证信息（敏感个人信息）" in names and "第三方SDK收集的数据" in names
    assert any(c.method == "archive" for c in app) and any(c.method == "return_then_delete" for c in app)
    assert all(c.legal_basis for c in app)
    assert "发布内容（存档）" in [c.name for c in default_categories("account")]
    assert "群聊记录" in [c.name for c in default_categories("work_group")]
    with pytest.raises(DisposalError):
        default_categories("website")
    # names from the policy file
    policy = default_categories("app", ["个人信息（含敏感个人信息）", "第三方SDK及外包服务商持有的数据", "系统日志", "群聊记录"])
    assert [c.method for c in policy][:3] == ["delete", "return_then_delete", "retain_legal_hold"]
    assert policy[0].personal and policy[0].sensitive


def test_bad_inputs_are_clear_errors():
    with pytest.raises(DisposalError, match="unknown disposal method"):
        DataCategory("x", True, False, [], "", "shred")
    with pytest.raises(DisposalError, match="before the stop date"):
        checklist_xlsx(sample_disposal_context(deadline=dt.date(2026, 12, 1)))


def test_missing_responsible_person_is_marked_not_fatal():
    from fingertip.documents.disposal import UNASSIGNED

    ctx = sample_disposal_context(responsible_person="", responsible_phone="", target_type="sponsor")
    ws = openpyxl.load_workbook(io.BytesIO(checklist_xlsx(ctx))).active
    values = [c.value for row in ws.iter_rows() for c in row]
    assert UNASSIGNED in values
    assert [c.name for c in ctx.data_categories] == [c.name for c in default_categories("app")]


def test_the_checklist_asks_for_no_screenshots():
    """Art. 9: evidence is the systems' own records, never screenshots or videos made for the file."""
    from fingertip.documents.disposal import EVIDENCE_NOTE_ZH, SCREENSHOT_WORDS, STEPS

    for step, title, evidence, _ in STEPS:
        for word in SCREENSHOT_WORDS:
            assert word not in evidence and word not in title, (step, word)
    assert "不要求截图" in EVIDENCE_NOTE_ZH and "第9条" in EVIDENCE_NOTE_ZH
