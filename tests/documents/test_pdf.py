"""The PDF announcement: A4, embedded TrueType CJK fonts, extractable text, glyphs really drawn."""

from __future__ import annotations

import ctypes
import datetime as dt
import io
import os

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from fingertip.documents import fonts
from fingertip.documents.official import OfficialDocument, Paragraph, Table
from fingertip.documents.pdf_render import markup, pdf_bytes

A4_PT = (595.28, 841.89)


def _fonts_used(page) -> dict[str, bool]:
    """Base font name → embedded?, for every text object on the page."""
    get_name = getattr(pdfium_c, "FPDFFont_GetBaseFontName", None) or pdfium_c.FPDFFont_GetFontName
    out = {}
    for obj in page.get_objects():
        if obj.type != pdfium_c.FPDF_PAGEOBJ_TEXT:
            continue
        font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
        buf = ctypes.create_string_buffer(256)
        get_name(font, buf, 256)
        out[buf.value.decode()] = bool(pdfium_c.FPDFFont_GetIsEmbedded(font))
    return out


def _text(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def test_a4_pages_metadata_and_text(announcement_pdf, announcement_ctx, announcement_doc):
    doc = pdfium.PdfDocument(announcement_pdf)
    assert len(doc) >= 2
    for i in range(len(doc)):
        w, h = doc[i].get_size()
        assert (w, h) == pytest.approx(A4_PT, abs=0.5)
    meta = doc.get_metadata_dict()
    assert meta["Title"] == announcement_doc.title
    assert meta["Author"] == announcement_ctx.sponsor_name
    text = _text(announcement_pdf).replace("\r", "")
    flat = text.replace("\n", "")
    assert announcement_doc.title in text  # the Chinese title, on one line
    for needle in (announcement_ctx.sponsor_credit_code, "2026年12月31日", "2027年1月22日", "粤省事",
                   announcement_ctx.filing_numbers[0], announcement_ctx.contact_email, "特此公告", "2026年11月23日"):
        assert needle in flat, needle
    assert "— 1 —" in text and "— 2 —" in text


def test_truetype_cjk_fonts_are_embedded(announcement_pdf):
    doc = pdfium.PdfDocument(announcement_pdf)
    used = _fonts_used(doc[0])
    names = " ".join(used)
    assert "UMing" in names  # title, page number
    assert "UKai" in names  # body
    assert "ZenHei" in names  # 一、 headings
    assert all(used.values()), used


def test_every_character_has_a_glyph(announcement_doc):
    """No .notdef boxes: the face of each run has every character (or the renderer switched face)."""
    text = announcement_doc.title
    assert not fonts.missing_glyphs(text, fonts.SONG.key)
    for block, label in announcement_doc.numbered():
        body = label + (getattr(block, "text", "") or "")
        face = fonts.HEI if getattr(block, "level", None) == 1 else fonts.KAI  # 一、 headings in Zen Hei
        assert not fonts.missing_glyphs(body, face.key), body
    # a character missing from UKai is set in a face that has it
    rare = next(chr(cp) for cp in sorted(fonts.face_codepoints(fonts.HEI.key))
                if cp > 0x4E00 and cp not in fonts.face_codepoints(fonts.KAI.key))
    assert f'<font name="{fonts.HEI.key}">{rare}</font>' in markup(f"甲{rare}乙", fonts.KAI.key)


def _ink_crop(img, threshold: int = 160):
    """The image cropped to its ink (dark pixels) bounding box, as black/white."""
    from PIL import ImageOps

    bw = img.convert("L").point(lambda v: 0 if v < threshold else 255)
    box = ImageOps.invert(bw).getbbox()
    assert box, "no ink"
    return bw.crop(box)


def _difference(a, b) -> float:
    """Share of differing pixels after scaling ``a`` to ``b``'s size."""
    from PIL import ImageChops

    a = a.resize(b.size)
    diff = ImageChops.difference(a, b).point(lambda v: 255 if v > 128 else 0)
    return sum(1 for v in diff.getdata() if v) / (b.width * b.height)


def test_chinese_title_is_drawn_not_boxes(announcement_pdf, announcement_doc, tmp_path):
    """Page 1 rendered to PNG: the title strip matches the title drawn with the CJK face, and not the
    same title drawn with a face that has no CJK glyphs (.notdef boxes)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    scale = 2
    title = announcement_doc.title
    pdf = pdfium.PdfDocument(announcement_pdf)
    page = pdf[0]
    image = page.render(scale=scale).to_pil()
    image.save(tmp_path / "page1.png")
    tp = page.get_textpage()
    found = tp.search(title).get_next()
    assert found, "title not found on page 1"
    start, count = found
    left, bottom, _, top = tp.get_charbox(start)
    _, _, right, _ = tp.get_charbox(start + count - 1)
    height = page.get_height()
    pad = 6
    strip = image.crop((int((left - pad) * scale), int((height - top - pad) * scale),
                        int((right + pad) * scale), int((height - bottom + pad) * scale)))
    rendered = _ink_crop(strip)

    dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    if not os.path.exists(dejavu):
        pytest.skip("DejaVu Sans (the no-CJK control face) is not installed")
    if "CtlDejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("CtlDejaVu", dejavu))
    assert not fonts.missing_glyphs(title, fonts.SONG.key)
    assert fonts.missing_glyphs(title, fonts.SONG.key) != set(title)

    def drawn_with(font: str):
        buf = io.BytesIO()
        c = canvas.Canvas(buf, pagesize=A4)
        c.setFont(font, 22)
        c.drawString(40, 700, title)
        c.save()
        img = pdfium.PdfDocument(buf.getvalue())[0].render(scale=scale).to_pil()
        band = (0, int((842 - 700 - 40) * scale), img.width, int((842 - 700 + 15) * scale))
        return _ink_crop(img.crop(band))

    fonts.register_pdf_fonts()
    with_cjk, with_boxes = drawn_with(fonts.SONG.key), drawn_with("CtlDejaVu")
    assert _difference(rendered, with_cjk) < 0.08
    assert _difference(rendered, with_boxes) > 0.15
    assert _difference(with_cjk, with_boxes) > 0.15


def test_hostile_markup_prints_literally(hostile_announcement_ctx):
    from fingertip.documents.announcement import build_announcement

    from .conftest import HOSTILE

    doc = build_announcement(hostile_announcement_ctx)
    pdf = pdf_bytes(doc)
    text = _text(pdf).replace("\r", "").replace("\n", "")
    assert HOSTILE in text
    evil = OfficialDocument("<b>恶意</b>&", [Paragraph("<b>恶意</b>& <font name='x'>"),
                                            Table(["<i>", "&amp;"], [["<b>恶意</b>&", "<br/>"]])],
                            issuer="<para>", date=dt.date(2026, 1, 1))
    text = _text(pdf_bytes(evil)).replace("\r", "").replace("\n", "")
    for needle in ("<b>恶意</b>&", "<font name='x'>", "<i>", "&amp;", "<br/>", "<para>"):
        assert needle in text, needle


def test_long_table_repeats_header_across_pages():
    rows = [[i, f"第{i}行单位名称较长需要换行显示", i * 1.5, "备注" * 6, "甲", "乙", "丙", "丁"] for i in range(1, 61)]
    doc = OfficialDocument("表格测试", [Table(["序号", "单位", "数值", "备注", "五", "六", "七", "八"], rows,
                                          caption="表1 长表")], issuer=None, date=dt.date(2026, 1, 1))
    pdf = pdf_bytes(doc)
    d = pdfium.PdfDocument(pdf)
    assert len(d) >= 2
    for i in range(len(d)):
        assert "序号" in d[i].get_textpage().get_text_range()  # header row on every page
    assert "第60行" in _text(pdf).replace("\n", "").replace("\r", "")


def test_missing_font_is_a_clear_error(monkeypatch):
    fonts.face_file.cache_clear()
    try:
        monkeypatch.setattr(fonts, "_fc_match", lambda family: None)
        gone = fonts.FontFace("FtKai", "AR PL UKai CN", "/nonexistent/ukai.ttc", "fonts-arphic-ukai")
        monkeypatch.setitem(fonts.FACES, "FtKai", gone)
        with pytest.raises(fonts.FontMissingError, match="fonts-arphic-ukai"):
            fonts.face_file("FtKai")
    finally:
        fonts.face_file.cache_clear()
