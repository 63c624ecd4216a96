"""The DOCX announcement opened with python-docx: GB/T 9704 page, grid, fonts, footer and content."""

from __future__ import annotations

import datetime as dt

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from fingertip.documents.docx_render import docx_bytes
from fingertip.documents.official import (
    Heading,
    Image,
    OfficialDocument,
    PageBreak,
    Paragraph,
    Table,
    format_date,
)


@pytest.fixture(scope="module")
def document(announcement_docx):
    return docx.Document(str(announcement_docx))


def _mm(length) -> float:
    return length / Mm(1)


def _east_asia(run) -> str | None:
    rpr = run._element.rPr
    return rpr.rFonts.get(qn("w:eastAsia")) if rpr is not None and rpr.rFonts is not None else None


def _paragraph(document, startswith: str):
    for p in document.paragraphs:
        if p.text.startswith(startswith):
            return p
    raise AssertionError(f"no paragraph starts with {startswith!r}")


def test_page_is_a4_with_gbt9704_margins(document):
    s = document.sections[0]
    assert _mm(s.page_width) == pytest.approx(210, abs=0.5)
    assert _mm(s.page_height) == pytest.approx(297, abs=0.5)
    assert _mm(s.top_margin) == pytest.approx(37, abs=0.5)
    assert _mm(s.left_margin) == pytest.approx(28, abs=0.5)
    assert _mm(s.right_margin) == pytest.approx(26, abs=0.5)
    assert _mm(s.bottom_margin) == pytest.approx(35, abs=0.5)
    # text block 156 × 225 mm
    assert _mm(s.page_width - s.left_margin - s.right_margin) == pytest.approx(156, abs=0.5)
    assert _mm(s.page_height - s.top_margin - s.bottom_margin) == pytest.approx(225, abs=0.5)


def test_document_grid_22_lines_28_characters(document):
    grid = document.sections[0]._sectPr.find(qn("w:docGrid"))
    assert grid is not None
    assert grid.get(qn("w:type")) == "linesAndChars"
    line_pitch = int(grid.get(qn("w:linePitch")))
    char_space = int(grid.get(qn("w:charSpace")))
    # 22 lines fill the 225 mm text block (line pitch in twips)
    assert 22 * line_pitch / 20 == pytest.approx(225 / 25.4 * 72, abs=22)
    assert line_pitch == 579
    # 28 characters of 16 pt (plus charSpace/4096 pt each) fill the 156 mm width
    pitch_pt = 16 + char_space / 4096
    assert 28 * pitch_pt == pytest.approx(156 / 25.4 * 72, abs=0.5)
    assert char_space == -848
    # the grid refers to a 16 pt default size
    assert document.styles["Normal"].font.size == Pt(16)


def test_title_22pt_centred_in_xiaobiaosong(document, announcement_ctx):
    title = _paragraph(document, "关于")
    assert title.text == f"关于{announcement_ctx.target_name}停止运营的公告"
    assert title.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    run = title.runs[0]
    assert run.font.size == Pt(22)
    assert _east_asia(run) == "方正小标宋简体"
    assert run.font.name == "Times New Roman"
    assert document.core_properties.title == title.text


def test_body_16pt_fangsong_indent_and_exact_spacing(document):
    body = _paragraph(document, "阳江市人民政府办公室（统一社会信用代码")
    run = body.runs[0]
    assert run.font.size == Pt(16)
    assert _east_asia(run) == "仿宋_GB2312"
    ind = body._p.pPr.ind
    assert ind.get(qn("w:firstLineChars")) == "200"
    assert body.paragraph_format.first_line_indent == Pt(32)
    assert body.paragraph_format.line_spacing_rule == docx.enum.text.WD_LINE_SPACING.EXACTLY
    assert body.paragraph_format.line_spacing.pt == pytest.approx(28.9, abs=0.05)
    assert body.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.JUSTIFY


def test_heading_fonts_by_level(document):
    h1 = _paragraph(document, "一、")
    assert h1.text == "一、停止服务时间"
    assert _east_asia(h1.runs[0]) == "黑体"
    assert h1.runs[0].font.size == Pt(16)
    doc = OfficialDocument("标题", [Heading("甲"), Heading("乙", 2), Heading("丙", 3), Heading("丁", 4),
                                   Heading("戊", 2), Heading("己")], issuer=None, date=dt.date(2026, 1, 5))
    d = docx.Document(__import__("io").BytesIO(docx_bytes(doc)))
    texts = {p.text: p for p in d.paragraphs}
    assert list(texts)[2:8] == ["一、甲", "（一）乙", "1.丙", "（1）丁", "（二）戊", "二、己"]
    assert _east_asia(texts["（一）乙"].runs[0]) == "楷体_GB2312"
    assert _east_asia(texts["1.丙"].runs[0]) == "仿宋_GB2312" and texts["1.丙"].runs[0].font.bold
    assert not texts["（1）丁"].runs[0].font.bold


def test_footer_page_numbers_outer_with_page_field(document):
    section = document.sections[0]
    assert document.settings.odd_and_even_pages_header_footer
    odd = section.footer.paragraphs[0]
    even = section.even_page_footer.paragraphs[0]
    align = docx.enum.text.WD_ALIGN_PARAGRAPH
    for p, side in ((odd, align.RIGHT), (even, align.LEFT)):
        xml = p._p.xml
        assert "PAGE" in "".join(t.text for t in p._p.iter(qn("w:instrText")))
        assert 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
        assert p.text.startswith("— ") and p.text.endswith(" —")
        assert p.alignment == side
        assert all(r.font.size == Pt(14) for r in p.runs)
        assert _east_asia(p.runs[0]) == "宋体"


def test_centred_page_numbers_option(announcement_doc):
    d = docx.Document(__import__("io").BytesIO(docx_bytes(announcement_doc, page_numbers="center")))
    assert not d.settings.odd_and_even_pages_header_footer
    assert d.sections[0].footer.paragraphs[0].alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER


def test_content(document, announcement_ctx):
    text = "\n".join(p.text for p in document.paragraphs)
    c = announcement_ctx
    for needle in (c.sponsor_name, c.sponsor_credit_code, "2026年12月31日", "2027年1月22日", c.successor_name,
                   c.successor_url, *c.filing_numbers, c.contact_phone, c.contact_email, "华为应用市场",
                   "苹果App Store", "腾讯应用宝", c.reason_zh, "档案法", "个人信息保护法", "特此公告"):
        assert needle in text, needle
    # document number line under the header, red rule under it
    number = _paragraph(document, c.doc_number)
    assert 'w:color="FF0000"' in number._p.xml
    # signature: issuer then date in Arabic numerals, right-aligned at the end
    last = [p for p in document.paragraphs if p.text.strip()][-2:]
    assert [p.text for p in last] == [c.sponsor_name, format_date(c.publication_date)]
    assert format_date(c.publication_date) == "2026年11月23日"
    assert all(p.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT for p in last)
    cp = document.core_properties
    assert cp.author == c.sponsor_name and cp.language == "zh-CN"


def test_tables_images_and_page_breaks(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 2))
    ax.bar(["a", "b"], [1, 2])
    png = tmp_path / "chart.png"
    fig.savefig(png)
    plt.close(fig)
    rows = [[i, f"单位{i}", 1.5 * i, None, "x" * 40, dt.date(2026, 1, i % 28 + 1), True, -i]
            for i in range(1, 21)]
    doc = OfficialDocument("报告", [Table([f"列{i}" for i in range(8)], rows, caption="表1 样例"), PageBreak(),
                                    Image(png, 120, caption="图1"), Paragraph("完")], issuer="某单位",
                           date=dt.date(2026, 3, 1))
    d = docx.Document(__import__("io").BytesIO(docx_bytes(doc)))
    (table,) = d.tables
    assert len(table.rows) == 21 and len(table.columns) == 8
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeated on every page
    assert table.rows[1].cells[1].text == "单位1"
    assert table.rows[1].cells[6].text == "是"
    size = table.rows[1].cells[1].paragraphs[0].runs[0].font.size
    assert size == Pt(10.5)  # smaller type from six columns up
    assert len(d.inline_shapes) == 1
    assert d.inline_shapes[0].width == Mm(120)
    assert any('w:type="page"' in p._p.xml for p in d.paragraphs)


def test_hostile_text_is_literal(hostile_announcement_ctx):
    from fingertip.documents.announcement import build_announcement

    from .conftest import HOSTILE

    data = docx_bytes(build_announcement(hostile_announcement_ctx))
    d = docx.Document(__import__("io").BytesIO(data))
    assert any(HOSTILE in p.text for p in d.paragraphs)
    import zipfile

    xml = zipfile.ZipFile(__import__("io").BytesIO(data)).read("word/document.xml").decode()
    assert "<script>" not in xml and "&lt;script&gt;" in xml
