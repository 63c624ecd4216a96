"""Every workbook writer goes through ``fingertip.documents.xlsx``: arbitrary text (control characters,
bidi overrides, formulas, lone surrogates, huge strings) never becomes a formula and never crashes.

Property tests (hypothesis): each writer is fed hostile text, the file is reloaded with openpyxl and
its sheet XML is scanned — no formula cell, no cell over Excel's limit, dangerous text quote-prefixed.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from types import SimpleNamespace

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fingertip.documents import xlsx
from fingertip.text import is_invisible

SPECIALS = ["=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠", "\x00", "\x01", "\x0b", "\x1f", "\x7f",
            "\x85", "\x9f", "\u202e", "\u202d", "\u2066", "\u200f", "\ufeff", "\ufffe", "\uffff", "\ud800", "\udfff",
            "𠀀", "\"", "'", "<", "&", "]]>", "A1", "!", "|", "ä", "政"]
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "=1+1",
            "\t=1", "\r=1", "#DIV/0!", "#N/A", "=\u202eA1"]

hostile_text = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from(SPECIALS), max_size=40).map("".join),
    st.builds(lambda f, t: f + t, st.sampled_from(FORMULAS + SPECIALS), st.text(max_size=30)),
    st.builds(lambda ch, n: ch * n, st.sampled_from(["x", "政", "𠀀", "="]), st.integers(30_000, 40_000)),
)

PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.function_scoped_fixture])


def _invisible(text: str) -> bool:
    """Whether ``text`` holds a character a cell must not carry (control but tab/LF, bidi, XML-illegal)."""
    return any(is_invisible(ch, multiline=True) and ch != "\r" for ch in set(text))  # each distinct character once


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def assert_inert(data: bytes) -> openpyxl.Workbook:
    """No formula anywhere, every text within the cell limit, dangerous text quote-prefixed."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = zf.read(name).decode("utf-8")
                assert "<f>" not in xml and "<f " not in xml, name
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert _utf16_len(cell.value) <= xlsx.MAX_CELL_CHARS
                    assert not _invisible(cell.value)
                    if xlsx.is_dangerous(cell.value):
                        assert cell.quotePrefix, (ws.title, cell.coordinate, cell.value)
    return wb


# --- the cell writer itself ------------------------------------------------------------------------

@given(hostile_text)
@settings(max_examples=200, deadline=None)
def test_clean_text_is_a_valid_cell(text):
    out = xlsx.clean_text(text)
    assert not _invisible(out)
    assert "\r" not in out
    assert _utf16_len(out) <= xlsx.MAX_CELL_CHARS
    if _utf16_len(text) <= xlsx.MAX_CELL_CHARS and not _invisible(text) and "\r" not in text:
        assert out == text  # clean text passes unchanged
    if _utf16_len(out) < _utf16_len(text) - 1 and not _invisible(text):
        assert out.endswith(xlsx.ELLIPSIS)


def test_clean_text_examples():
    assert xlsx.clean_text("a\r\nb\rc") == "a\nb\nc"
    assert xlsx.clean_text("a\x00b\x85c\u202ed") == "abcd"  # controls and bidi removed (fingertip.text)
    assert xlsx.clean_text("\t=1") == "\t=1"
    long = xlsx.clean_text("政" * 40_000)
    assert len(long) == xlsx.MAX_CELL_CHARS and long.endswith("…")
    astral = xlsx.clean_text("𠀀" * 20_000)
    assert _utf16_len(astral) <= xlsx.MAX_CELL_CHARS and astral.endswith("…")
    assert xlsx.cell_value(float("nan")) == "nan"
    aware = dt.datetime(2026, 1, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert xlsx.cell_value(aware) == dt.datetime(2026, 1, 1, 0, 0)
    assert xlsx.sheet_title("'a[b]:c\x01") == "a_b__c"  # the control character removed (fingertip.text)
    assert xlsx.sheet_title("\x00") == "Sheet" and xlsx.sheet_title(" ' ") == "Sheet"


@given(st.lists(hostile_text, min_size=1, max_size=6))
@PROPERTY
def test_put_and_write_only_cells(values):
    wb = openpyxl.Workbook()
    ws = wb.active
    for i, v in enumerate(values, start=1):
        xlsx.put(ws, i, 1, v, style=xlsx.styles()["body"])
    buf = io.BytesIO()
    wb.save(buf)
    back = assert_inert(buf.getvalue()).active
    for i, v in enumerate(values, start=1):
        assert back.cell(row=i, column=1).value == (xlsx.clean_text(v) or None)

    wo = openpyxl.Workbook(write_only=True)
    sheet = wo.create_sheet("x")
    sheet.append([xlsx.write_only_cell(sheet, v) for v in values])
    buf = io.BytesIO()
    wo.save(buf)
    assert_inert(buf.getvalue())


# --- each workbook writer --------------------------------------------------------------------------

@given(hostile_text, hostile_text, hostile_text)
@PROPERTY
def test_report_workbook(tmp_path_factory, title, name, key):
    from fingertip.reports.workbook import write_workbook

    dest = tmp_path_factory.mktemp("wb") / "report.xlsx"
    sheets = [(name or "x", ["名称", key], [[name, 1, key], [key, 2.5, None]]), ("问题清单", ["a"], [[title]])]
    write_workbook(dest, title, [("报告", title), (key, name)], sheets)
    wb = assert_inert(dest.read_bytes())
    assert wb["总表"]["A1"].value == (xlsx.clean_text(title) or None)


@given(hostile_text, hostile_text, hostile_text)
@PROPERTY
def test_disposal_checklist(target_name, person, contractor):
    from fingertip.documents.disposal import checklist_xlsx
    from fingertip_dev.document_samples import sample_disposal_context

    ctx = sample_disposal_context(target_name="应用" + target_name, responsible_person=person,
                                  contractors=[contractor], case_key="C-" + contractor[:50])
    assert_inert(checklist_xlsx(ctx))


@given(hostile_text, hostile_text, hostile_text, hostile_text)
@PROPERTY
def test_rejection_report(sheet, header, value, reason):
    from fingertip.quality.report import build_report

    verdict = SimpleNamespace(batch_id=7, file_name=value, rejected=True, row_count=2, bad_rows=1, good_rows=1,
                              message_zh=reason, message_en=header)
    frames = [SimpleNamespace(entity_type="app", rows=[{"sheet": sheet, "row_number": 3,
                                                         "raw": {header: value, "名称": reason, "n": 5}}])]
    failures = [{"_entity": "app", "_sheet": sheet, "row_number": 3, "reason_zh": reason}]
    wb = assert_inert(build_report(verdict, frames, failures))
    assert len(wb.worksheets) == 2


@given(hostile_text, hostile_text, st.lists(hostile_text, min_size=1, max_size=3))
@PROPERTY
def test_inventory_template(label, entity_label, choices):
    from fingertip.inventory.template import build_template

    spec = SimpleNamespace(label=label, name="kind", vocabulary="kinds")
    date_spec = SimpleNamespace(label="开通日期", name="opened_on", vocabulary=None)
    vocab = SimpleNamespace(terms={f"c{i}": (c[:20] or "空",) for i, c in enumerate(choices)})
    header_map = SimpleNamespace(template_fields=lambda entity: [spec, date_spec], label=lambda entity: entity_label,
                                 vocabulary=lambda name: vocab)
    assert_inert(build_template(header_map, year=2026, entity_types=("app",)))


@pytest.mark.parametrize("evil", FORMULAS)
def test_formula_prefix_is_text_with_quote_prefix(evil):
    wb = openpyxl.Workbook()
    cell = xlsx.put(wb.active, 1, 1, evil)
    assert cell.data_type == "s"
    assert cell.quotePrefix == xlsx.is_dangerous(xlsx.clean_text(evil))
