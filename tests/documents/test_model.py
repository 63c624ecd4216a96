"""The document model: numbering, dates, signature placement, tables, file names."""

from __future__ import annotations

import datetime as dt

import pytest

from fingertip.documents.official import (
    Heading,
    OfficialDocument,
    Paragraph,
    Signature,
    Table,
    chinese_numeral,
    format_date,
    safe_file_stem,
    signature_indents,
)


def test_dates_in_arabic_numerals_without_padding():
    assert format_date(dt.date(2026, 11, 23)) == "2026年11月23日"
    assert format_date(dt.date(2027, 1, 5)) == "2027年1月5日"


def test_chinese_numerals():
    numbers = [chinese_numeral(n) for n in (1, 9, 10, 11, 20, 21, 99)]
    assert numbers == ["一", "九", "十", "十一", "二十", "二十一", "九十九"]


def test_heading_numbering_auto_verbatim_and_none():
    blocks = [Heading("a"), Heading("b", 2), Heading("c", 2), Heading("d"), Heading("e", 2),
              Heading("f", 3, number="（甲）"), Heading("g", 4, number="")]
    doc = OfficialDocument("t", blocks, issuer=None, date=dt.date(2026, 1, 1))
    assert [label for _, label in doc.numbered()] == ["一、", "（一）", "（二）", "二、", "（一）", "（甲）", ""]
    with pytest.raises(ValueError):
        Heading("x", 5)


def test_signature_appended_once():
    doc = OfficialDocument("t", [Paragraph("p")], issuer="某单位", date=dt.date(2026, 1, 1))
    assert isinstance(doc.body_blocks()[-1], Signature)
    explicit = OfficialDocument("t", [Signature("某单位", dt.date(2026, 1, 1)), Paragraph("p")], issuer="某单位",
                                date=dt.date(2026, 1, 1))
    assert sum(isinstance(b, Signature) for b in explicit.body_blocks()) == 1
    assert OfficialDocument("t", [], issuer=None, date=dt.date(2026, 1, 1)).body_blocks() == []


def test_signature_indents_gbt9704():
    # date starts two characters right of the issuer's first character; issuer 2 chars from the margin
    issuer_right, date_right = signature_indents("阳江市人民政府办公室", "2026年11月23日")
    assert issuer_right == 2 and date_right == 3  # 10 chars vs 7 (digits are half width)
    # a short issuer: the date keeps 2 chars from the margin, the issuer moves left
    issuer_right, date_right = signature_indents("某局", "2026年11月23日")
    assert date_right == 2 and issuer_right == 9  # issuer starts 2 chars left of the date: 28-2-7-2 = 17 → 9


def test_table_checks_and_widths():
    with pytest.raises(ValueError, match="row 1 has 1 cells"):
        Table(["a", "b"], [[1]])
    t = Table(["a", "b"], [[1, 2]], col_widths_mm=[100, 100])
    assert sum(t.widths_mm()) == pytest.approx(156)
    assert Table(list("abcdefgh"), []).size_pt == 10.5 and Table(["a"], []).size_pt == 12


def test_safe_file_stem():
    assert safe_file_stem("SC-2026-0001") == "SC-2026-0001"
    a, b = safe_file_stem("案件/1"), safe_file_stem("案件/2")
    assert a != b and a.isascii() and "/" not in a


def test_package_exports_lazily():
    import subprocess
    import sys

    code = ("import sys, fingertip.documents as d; assert 'docx' not in sys.modules and 'reportlab' not in "
            "sys.modules and 'openpyxl' not in sys.modules; assert d.write_announcement.__name__ == "
            "'write_announcement'; assert d.render_html.__module__.endswith('html_render')")
    import os
    from pathlib import Path

    plugins = str(Path(__file__).resolve().parents[2] / "plugins")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [plugins, os.environ.get("PYTHONPATH")]))}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
