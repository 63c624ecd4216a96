"""One hostile target name through every format: printed literally, never markup or a formula."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx
import openpyxl
import pypdfium2 as pdfium

from fingertip.documents.announcement import render_formats
from fingertip.documents.disposal import checklist_xlsx
from fingertip.documents.official import OfficialDocument, Paragraph, Table
from fingertip_dev.document_samples import sample_disposal_context

from .conftest import HOSTILE


def test_hostile_name_in_every_format(hostile_announcement_ctx):
    from fingertip.documents.announcement import build_announcement

    out = render_formats(build_announcement(hostile_announcement_ctx), ("docx", "pdf", "html", "md"))
    d = docx.Document(io.BytesIO(out["docx"]))
    assert d.paragraphs[[p.text for p in d.paragraphs].index(f"关于{HOSTILE}停止运营的公告")]
    pdf = pdfium.PdfDocument(out["pdf"])
    assert HOSTILE in pdf[0].get_textpage().get_text_range().replace("\r", "").replace("\n", "")
    html = out["html"].decode()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;=HYPERLINK(&#34;x&#34;)" in html
    md = out["md"].decode()
    assert "<script>" not in md and "\\<script\\>" in md
    wb = openpyxl.load_workbook(io.BytesIO(checklist_xlsx(sample_disposal_context(target_name=HOSTILE))))
    values = [c.value for row in wb.active.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(v.startswith(HOSTILE) for v in values)


def test_formula_prefix_target_name_is_text_in_xlsx():
    name = '=HYPERLINK("http://evil.example","点击")'
    data = checklist_xlsx(sample_disposal_context(target_name=name))
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    title = ws["A1"]
    assert title.value == f"{name}数据处置清单" and title.data_type == "s"
    assert "<f>" not in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()


def test_control_characters_do_not_break_any_format():
    text = "甲\x00乙\x0b丙\x1f丁\t戊"
    doc = OfficialDocument(text, [Paragraph(text), Table([text, "b"], [[text, 1]])], issuer=text,
                           date=dt.date(2026, 1, 1))
    out = render_formats(doc, ("docx", "pdf", "html", "md"))
    assert "甲乙丙丁" in docx.Document(io.BytesIO(out["docx"])).paragraphs[0].text
    assert "甲乙丙丁" in pdfium.PdfDocument(out["pdf"])[0].get_textpage().get_text_range()
    data = checklist_xlsx(sample_disposal_context(responsible_person=text))
    assert openpyxl.load_workbook(io.BytesIO(data)).active is not None
