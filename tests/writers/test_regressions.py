"""Regression tests of the output defects of issue 14 (items 2–5), one per defect, each seen failing
before its fix. The generated corpus (test_corpus.py) covers the whole class."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from tests.writers.test_corpus import docx_core, docx_text, pdf_text, xlsx_strings

from fingertip.documents.official import OfficialDocument, Paragraph, Table

BIDI = "甲\u202e乙\u2066丙\u2069"
C1 = "丁\x85戊\x9f己\x01"


def _doc(text: str, **kw) -> OfficialDocument:
    return OfficialDocument(kw.pop("title", f"关于{text}的公告"), [Paragraph(text), Table(["名称", "b"], [[text, 1]])],
                            issuer="某单位", date=dt.date(2026, 1, 1), **kw)


def test_bidi_and_c1_controls_leave_no_trace_in_any_document_format():
    from fingertip.documents.render import render_formats

    out = render_formats(_doc(BIDI + C1), ("docx", "pdf", "html", "md"))
    for fmt, text in (("docx", docx_text(out["docx"])), ("pdf", pdf_text(out["pdf"])),
                      ("html", out["html"].decode()), ("md", out["md"].decode())):
        assert "甲乙丙丁戊己" in text, fmt
        assert not set(text) & {"\u202e", "\u2066", "\u2069", "\x85", "\x9f", "\x01"}, fmt


def test_bidi_and_c1_controls_leave_no_trace_in_a_checklist():
    from fingertip.documents.disposal import checklist_xlsx
    from fingertip_dev.document_samples import sample_disposal_context

    cells = "\n".join(xlsx_strings(checklist_xlsx(sample_disposal_context(target_name=BIDI + C1))))
    assert "甲乙丙丁戊己" in cells and not set(cells) & {"\u202e", "\u2066", "\u2069", "\x85", "\x9f", "\x01"}


def test_docx_core_properties_of_a_very_long_title_are_shortened():
    from fingertip.documents.docx_render import docx_bytes

    name = "政务服务" * 100
    data = docx_bytes(_doc("x", title=name, subtitle="\u202e" + name))
    title, _author, subject, _kw = docx_core(data)
    assert len(title) == 255 and title.endswith("…") and name.startswith(title[:-1])
    assert len(subject) == 255 and "\u202e" not in subject
    assert name in docx_text(data)  # the document itself keeps the whole title


def test_pdf_table_row_taller_than_a_page_is_split():
    from fingertip.documents.pdf_render import pdf_bytes

    long = "这是一个很长的名称" * 700  # about six pages of one table cell
    text = pdf_text(pdf_bytes(OfficialDocument("表", [Table(["名称", "数量"], [[long, 1], ["下一行", 2]])],
                                               issuer="某单位", date=dt.date(2026, 1, 1))))
    # every character kept (page numbers and the repeated header interrupt the text between pages)
    assert all(text.count(ch) >= 700 * "这是一个很长的名称".count(ch) for ch in "这是一个很长的名称")
    assert "下一行" in text


def test_pdf_keeps_emoji_and_shows_a_substitute_for_what_no_font_has():
    from fingertip.documents.pdf_render import pdf_bytes

    text = pdf_text(pdf_bytes(_doc("阳江通😀", title="关于😀应用停止运营的公告")))
    assert "关于😀应用停止运营的公告" in text and "阳江通😀" in text  # DejaVu Sans draws it, text extracts
    text = pdf_text(pdf_bytes(_doc("甲\U0002A6A5乙", title="无")))  # no installed face has U+2A6A5
    assert "甲\ufffd乙" in text


def test_mail_subject_with_a_line_break_or_bidi_control_in_a_name_is_sent():
    from email import policy
    from email.parser import BytesParser

    from fingertip.notifications.message import Email, build_mime

    email = Email(subject="【提醒】甲\u202e乙\n丙", to=["a@x.cn"], text="名称：甲\u202e乙\x85", html="<p>甲\u2066乙</p>")
    msg = BytesParser(policy=policy.default).parsebytes(build_mime(email, "f@x.cn").as_bytes())
    assert msg["Subject"] == "【提醒】甲乙 丙"
    assert msg.get_body(("plain",)).get_content().strip() == "名称：甲乙"
    assert "\u2066" not in msg.get_body(("html",)).get_content()


def test_json_keeps_data_but_writes_invisible_characters_escaped():
    from fingertip.text import escape_invisible

    data = {"name": "甲\u202e乙\x85丙\x01"}
    raw = escape_invisible(json.dumps(data, ensure_ascii=False))
    assert raw == '{"name": "甲\\u202e乙\\u0085丙\\u0001"}' and json.loads(raw) == data


def test_cli_output_is_neutralised(monkeypatch, capsys, tmp_path):
    from fingertip import cli

    monkeypatch.setenv("FINGERTIP_OUTPUT_URL", f"file://{tmp_path}/out\u202e\x1b[31mred")
    assert cli.main(["config"]) == 0
    out = capsys.readouterr().out
    assert "out" in out and "red" in out and "\u202e" not in out and "\x1b" not in out


@pytest.mark.parametrize("name", ["甲\x00乙", "甲\x85乙", "甲\u202e乙"])
def test_report_workbook_with_a_control_character_in_a_name(tmp_path, name):
    from fingertip.reports.workbook import write_workbook

    path = write_workbook(tmp_path / "r.xlsx", f"报告{name}", [("名称", name)], [(name, ["名称"], [[name]])])
    cells = xlsx_strings(path.read_bytes())
    assert "甲乙" in cells and not any(set(c) & {"\x00", "\x85", "\u202e"} for c in cells)
