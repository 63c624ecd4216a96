"""DOCX rendering of an :class:`~fingertip.documents.official.OfficialDocument` per GB/T 9704-2012.

Page: A4, margins top 37 / left 28 / right 26 / bottom 35 mm (text block 156 × 225 mm), document grid
22 lines × 28 characters (``w:docGrid w:type="linesAndChars" w:linePitch="579" w:charSpace="-848"``:
the line pitch is 225 mm / 22 in twips, the character pitch 156 mm / 28 = 15.79 pt, i.e. 0.207 pt less
than the 16 pt body size, in 1/4096 pt). Title 22 pt 方正小标宋简体 centred; body 16 pt 仿宋_GB2312,
two-character first-line indent (``w:firstLineChars="200"``), exact 28.9 pt line spacing; headings
一、 黑体, （一） 楷体_GB2312, 1. 仿宋 bold, （1） 仿宋; Latin text and digits in Times New Roman.
Page numbers ``— 1 —`` (PAGE field) in 14 pt 宋体, outer alignment by default as GB/T 9704 §7.5
prescribes (odd pages right, even pages left, one character from the edge); ``page_numbers="center"``
centres them. Title, tables, images and footers opt out of the grid (``w:snapToGrid w:val="0"``) so
22 pt and table type are not stretched to the 16 pt character pitch.

Speed: python-docx's default template carries ~800 KB of styles and a thumbnail, and its paragraph
API costs ~1 ms a paragraph. The renderer therefore builds, once per process, a small template
(the default package stripped to the parts an official document needs, with the page set-up and
footers) and writes the body as one OOXML fragment; python-docx still opens, completes (images,
core properties) and saves the package. A page of announcement renders in a few milliseconds.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

from fingertip.documents import fonts
from fingertip.documents.official import (
    BODY_PT,
    CHARS_PER_LINE,
    LINE_SPACING_PT,
    MARGIN_BOTTOM_MM,
    MARGIN_LEFT_MM,
    MARGIN_RIGHT_MM,
    MARGIN_TOP_MM,
    PAGE_HEIGHT_MM,
    PAGE_NUMBER_GAP_MM,
    PAGE_NUMBER_PT,
    PAGE_WIDTH_MM,
    TEXT_HEIGHT_MM,
    TEXT_WIDTH_MM,
    TITLE_LINE_SPACING_PT,
    TITLE_PT,
    Heading,
    Image,
    OfficialDocument,
    PageBreak,
    Paragraph,
    Signature,
    Table,
    cell_text,
    clean_text,
    format_date,
    is_numeric,
    mm_to_pt,
    signature_indents,
    write_output,
)
from fingertip.text import shorten

# Document grid values (see the module docstring).
LINE_PITCH_TWIPS = int(mm_to_pt(TEXT_HEIGHT_MM) / 22 * 20)  # 579
CHAR_SPACE = round((mm_to_pt(TEXT_WIDTH_MM) / CHARS_PER_LINE - BODY_PT) * 4096)  # -848

PageNumbers = Literal["outer", "center"]

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_JC = {"justify": "both", "center": "center", "right": "right", "left": "left"}
_HEADING_FONTS = {1: (fonts.DOCX_HEI_FONT, False), 2: (fonts.DOCX_KAI_FONT, False),
                  3: (fonts.DOCX_BODY_FONT, True), 4: (fonts.DOCX_BODY_FONT, False)}
# Styles kept from python-docx's default template (everything else is dropped).
_KEEP_STYLES = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList", "TableGrid"}


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(tag)


def _twips(pt: float) -> int:
    return round(pt * 20)


# ---------------------------------------------------------------------------------------------
# OOXML fragments
# ---------------------------------------------------------------------------------------------


def _rpr(east_asia: str, size_pt: float, bold: bool = False, latin: str = fonts.LATIN_FONT) -> str:
    return (f'<w:rPr><w:rFonts w:ascii={quoteattr(latin)} w:hAnsi={quoteattr(latin)} '
            f'w:eastAsia={quoteattr(east_asia)} w:cs={quoteattr(latin)}/>{"<w:b/>" if bold else ""}'
            f'<w:sz w:val="{round(size_pt * 2)}"/></w:rPr>')


def _run(text: str, east_asia: str, size_pt: float, bold: bool = False) -> str:
    """A run; newlines become ``w:br`` and tabs ``w:tab``; text is cleaned and XML-escaped."""
    if not text:
        return ""
    parts = []
    for i, line in enumerate(clean_text(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")):
        if i:
            parts.append("<w:br/>")
        for j, chunk in enumerate(line.split("\t")):
            if j:
                parts.append("<w:tab/>")
            if chunk:
                parts.append(f'<w:t xml:space="preserve">{escape(chunk)}</w:t>')
    return f"<w:r>{_rpr(east_asia, size_pt, bold)}{''.join(parts)}</w:r>"


def _p(text: str = "", *, east_asia: str = fonts.DOCX_BODY_FONT, size_pt: float = BODY_PT, bold: bool = False,
       align: str = "justify", first_chars: float = 0, left_chars: float = 0, right_chars: float = 0,
       line_pt: float | None = LINE_SPACING_PT, before_pt: float = 0, after_pt: float = 0, grid: bool = True,
       outline: int | None = None, keep_next: bool = False, red_rule: bool = False,
       indent_pt: float = BODY_PT, runs: str | None = None) -> str:
    """A paragraph. Indents are in characters of ``indent_pt`` (``w:*Chars`` plus twips for other readers)."""
    ppr = []
    if keep_next:
        ppr.append("<w:keepNext/>")
    if red_rule:
        ppr.append('<w:pBdr><w:bottom w:val="single" w:sz="12" w:space="4" w:color="FF0000"/></w:pBdr>')
    if not grid:
        ppr.append('<w:snapToGrid w:val="0"/>')
    spacing = f'w:before="{_twips(before_pt)}" w:after="{_twips(after_pt)}"'
    if line_pt:
        spacing += f' w:line="{_twips(line_pt)}" w:lineRule="exact"'
    ppr.append(f"<w:spacing {spacing}/>")
    ind = []
    if left_chars:
        ind.append(f'w:left="{_twips(left_chars * indent_pt)}" w:leftChars="{round(left_chars * 100)}"')
    if right_chars:
        ind.append(f'w:right="{_twips(right_chars * indent_pt)}" w:rightChars="{round(right_chars * 100)}"')
    if first_chars:
        ind.append(f'w:firstLine="{_twips(first_chars * indent_pt)}" '
                   f'w:firstLineChars="{round(first_chars * 100)}"')
    if ind:
        ppr.append(f"<w:ind {' '.join(ind)}/>")
    ppr.append(f'<w:jc w:val="{_JC[align]}"/>')
    if outline is not None:
        ppr.append(f'<w:outlineLvl w:val="{outline}"/>')
    body = runs if runs is not None else _run(text, east_asia, size_pt, bold)
    return f"<w:p><w:pPr>{''.join(ppr)}</w:pPr>{body}</w:p>"


def _table_xml(block: Table) -> list[str]:
    from docx.shared import Mm

    size = block.size_pt
    line = round(size * 1.35, 1)
    out = []
    if block.caption:
        out.append(_p(block.caption, east_asia=fonts.DOCX_HEI_FONT, size_pt=min(BODY_PT, size + 2),
                      align="center", line_pt=max(line, size * 1.6), before_pt=6, after_pt=3, grid=False,
                      keep_next=True))
    widths = [int(Mm(w).twips) for w in block.widths_mm()]
    line_twips = _twips(line)
    border = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                     for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    t = [f'<w:tbl><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
         f'<w:tblBorders>{border}</w:tblBorders><w:tblLayout w:type="fixed"/>'
         '<w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar>'
         '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" '
         'w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>']
    t += [f'<w:gridCol w:w="{w}"/>' for w in widths]
    t.append("</w:tblGrid>")
    for r_index, values in enumerate([block.header, *block.rows]):
        header = r_index == 0
        t.append("<w:tr><w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if header else "") + "</w:trPr>")
        for w, value in zip(widths, values, strict=False):
            align = "center" if header else ("right" if is_numeric(value) else "left")
            shade = '<w:shd w:val="clear" w:color="auto" w:fill="EDEDED"/>' if header else ""
            font = fonts.DOCX_HEI_FONT if header else fonts.DOCX_BODY_FONT
            t.append(f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/>{shade}'
                     '<w:vAlign w:val="center"/></w:tcPr>'
                     f'<w:p><w:pPr><w:snapToGrid w:val="0"/><w:spacing w:before="0" w:after="0" '
                     f'w:line="{line_twips}" w:lineRule="exact"/><w:jc w:val="{align}"/></w:pPr>'
                     f'{_run(cell_text(value), font, size)}</w:p></w:tc>')
        t.append("</w:tr>")
    t.append("</w:tbl>")
    out.append("".join(t))
    out.append(_p(line_pt=line, grid=False))  # a short line after the table
    return out


def _signature_xml(block: Signature) -> list[str]:
    date_text = format_date(block.date)
    issuer_right, date_right = signature_indents(block.issuer, date_text)
    out = [_p()]  # one blank line after the body (or the attachment note)
    if block.issuer:
        out.append(_p(block.issuer, align="right", right_chars=issuer_right))
    out.append(_p(date_text, align="right", right_chars=date_right))
    return out


def _attachments_xml(doc: OfficialDocument) -> list[str]:
    lines = doc.attachment_lines()
    if not lines:
        return []
    return [_p()] + [_p(line, first_chars=2) if i == 0 else _p(line, left_chars=5)
                     for i, line in enumerate(lines)]


# ---------------------------------------------------------------------------------------------
# The template (built once per process and per page-number placement)
# ---------------------------------------------------------------------------------------------


def _footer_xml(side: str) -> str:
    song = fonts.DOCX_SONG_FONT

    def r(inner: str) -> str:
        return f"<w:r>{_rpr(song, PAGE_NUMBER_PT, latin=song)}{inner}</w:r>"

    runs = "".join(r(x) for x in (
        '<w:t xml:space="preserve">— </w:t>', '<w:fldChar w:fldCharType="begin"/>',
        '<w:instrText xml:space="preserve"> PAGE </w:instrText>', '<w:fldChar w:fldCharType="separate"/>',
        "<w:t>1</w:t>", '<w:fldChar w:fldCharType="end"/>', '<w:t xml:space="preserve"> —</w:t>'))
    # one character in from the side the number sits on
    return _p(align=side, grid=False, line_pt=None, indent_pt=PAGE_NUMBER_PT, runs=runs,
              left_chars=1 if side == "left" else 0, right_chars=1 if side == "right" else 0)


def _fill_footer(footer, side: str) -> None:
    from docx.oxml import parse_xml

    footer.is_linked_to_previous = False
    ftr = footer._element
    for p in list(ftr):
        ftr.remove(p)
    ftr.append(parse_xml(f'<w:root xmlns:w="{W_NS}">{_footer_xml(side)}</w:root>')[0])


def _strip_template(document) -> None:
    """Drop the default template's bulky, irrelevant parts: stylesWithEffects, web settings, custom XML,
    numbering, the thumbnail, and every style but the few the body relies on."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    part = document.part
    for r_id, rel in list(part.rels.items()):
        if rel.reltype.rsplit("/", 1)[-1] in ("stylesWithEffects", "webSettings", "customXml", "numbering"):
            part.rels.pop(r_id)
    pkg_rels = part.package.rels
    for r_id, rel in list(pkg_rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            pkg_rels.pop(r_id)
    styles = document.styles.element
    for child in list(styles):
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "latentStyles" or (tag == "style" and child.get(_qn("w:styleId")) not in _KEEP_STYLES):
            styles.remove(child)


def _setup_defaults(document) -> None:
    from docx.oxml import parse_xml
    from docx.shared import Pt

    normal = document.styles["Normal"]
    normal.font.name = fonts.LATIN_FONT
    normal.font.size = Pt(BODY_PT)
    rpr = normal.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(_qn("w:eastAsia"), fonts.DOCX_BODY_FONT)
    lang = rpr.find(_qn("w:lang"))
    if lang is None:
        lang = parse_xml(f'<w:lang xmlns:w="{W_NS}"/>')
        rpr.append(lang)
    lang.set(_qn("w:val"), "en-US")
    lang.set(_qn("w:eastAsia"), "zh-CN")
    # Chinese typesetting: compress punctuation on the grid (as Word does for Chinese documents).
    settings = document.settings.element
    if settings.find(_qn("w:characterSpacingControl")) is not None:
        settings.find(_qn("w:characterSpacingControl")).set(_qn("w:val"), "compressPunctuation")


def _setup_section(document, page_numbers: PageNumbers) -> None:
    from docx.oxml import parse_xml
    from docx.shared import Mm

    section = document.sections[0]
    section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
    section.top_margin, section.bottom_margin = Mm(MARGIN_TOP_MM), Mm(MARGIN_BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(MARGIN_LEFT_MM), Mm(MARGIN_RIGHT_MM)
    section.header_distance = Mm(15)
    # The page-number line starts 7 mm below the text block: its bottom sits about a 14 pt line lower.
    section.footer_distance = Mm(MARGIN_BOTTOM_MM - PAGE_NUMBER_GAP_MM - PAGE_NUMBER_PT * 25.4 / 72 * 1.1)
    sect_pr = section._sectPr
    grid = sect_pr.find(_qn("w:docGrid"))
    if grid is None:
        grid = parse_xml(f'<w:docGrid xmlns:w="{W_NS}"/>')
        sect_pr.append(grid)
    grid.set(_qn("w:type"), "linesAndChars")
    grid.set(_qn("w:linePitch"), str(LINE_PITCH_TWIPS))
    grid.set(_qn("w:charSpace"), str(CHAR_SPACE))
    if page_numbers == "outer":
        document.settings.odd_and_even_pages_header_footer = True
        _fill_footer(section.footer, "right")
        _fill_footer(section.even_page_footer, "left")
    else:
        _fill_footer(section.footer, "center")


@functools.cache
def template_bytes(page_numbers: PageNumbers = "outer") -> bytes:
    """The stripped, page-set-up template (cached per process)."""
    import docx

    if page_numbers not in ("outer", "center"):
        raise ValueError(f"page_numbers must be 'outer' or 'center', got {page_numbers!r}")
    document = docx.Document()
    _strip_template(document)
    _setup_defaults(document)
    _setup_section(document, page_numbers)
    body = document.element.body
    for child in list(body):
        if child.tag != _qn("w:sectPr"):
            body.remove(child)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def _front_matter(doc: OfficialDocument) -> list[str]:
    out = []
    if doc.classification:
        out.append(_p(doc.classification, east_asia=fonts.DOCX_HEI_FONT, align="left"))
    if doc.doc_number:
        out.append(_p(doc.doc_number, align="center", red_rule=True))
        out.append(_p())
    out.append(_p(doc.title, east_asia=fonts.DOCX_TITLE_FONT, size_pt=TITLE_PT, align="center",
                  line_pt=TITLE_LINE_SPACING_PT, grid=False, outline=0))
    if doc.subtitle:
        out.append(_p(doc.subtitle, east_asia=fonts.DOCX_KAI_FONT, align="center"))
    out.append(_p())  # blank line under the title
    if doc.addressee:
        text = doc.addressee if doc.addressee.endswith(("：", ":")) else doc.addressee + "："
        out.append(_p(text, align="left"))
    return out


@functools.cache
def _template_document_xml(page_numbers: PageNumbers) -> tuple[str, str]:
    """The template's document.xml split around the body content: (head up to <w:body>, <w:sectPr …>…)."""
    import zipfile

    xml = zipfile.ZipFile(io.BytesIO(template_bytes(page_numbers))).read("word/document.xml").decode("utf-8")
    start = xml.index("<w:body>") + len("<w:body>")
    end = xml.index("<w:sectPr")
    return xml[:start], xml[end:]


def build_docx(doc: OfficialDocument, *, page_numbers: PageNumbers = "outer"):
    """The python-docx ``Document`` for ``doc`` (not saved).

    The body is written as one OOXML string and parsed together with the template's document.xml
    (moving thousands of parsed nodes between lxml trees costs more than rendering them).
    """
    import docx
    from docx.oxml import parse_xml
    from docx.text.paragraph import Paragraph as DocxParagraph

    document = docx.Document(io.BytesIO(template_bytes(page_numbers)))
    elements: list[str] = _front_matter(doc)  # one top-level body element per item
    images: list[tuple[int, Image]] = []

    attachments_done = False
    for block, label in doc.numbered():
        if isinstance(block, Signature) and not attachments_done:
            elements += _attachments_xml(doc)
            attachments_done = True
        if isinstance(block, Heading):
            east, bold = _HEADING_FONTS[block.level]
            elements.append(_p(label + block.text, east_asia=east, bold=bold, first_chars=2, keep_next=True,
                               outline=block.level))
        elif isinstance(block, Paragraph):
            indent = block.indent and block.align == "justify"
            elements.append(_p(block.text, bold=block.bold, align=block.align,
                               first_chars=2 if indent else 0))
        elif isinstance(block, Table):
            elements += _table_xml(block)
        elif isinstance(block, Image):
            images.append((len(elements), block))
            elements.append(_p(align="center", grid=False, line_pt=None, runs=""))
            if block.caption:
                elements.append(_p(block.caption, size_pt=14, align="center", grid=False))
        elif isinstance(block, PageBreak):
            elements.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
        elif isinstance(block, Signature):
            elements += _signature_xml(block)
        else:
            raise TypeError(f"unknown block {type(block).__name__}")
    if not attachments_done:
        elements += _attachments_xml(doc)

    head, tail = _template_document_xml(page_numbers)
    part = document.part
    part._element = parse_xml((head + "".join(elements) + tail).encode("utf-8"))
    document = part.document  # a fresh wrapper around the new element
    if images:
        from docx.shared import Mm

        body = part._element.body
        for index, block in images:
            paragraph = DocxParagraph(body[index], document._body)
            paragraph.add_run().add_picture(io.BytesIO(block.data()), width=Mm(block.effective_width_mm))

    cp = document.core_properties
    cp.title = _core_property(doc.title)
    cp.author = _core_property(doc.issuer)
    cp.last_modified_by = "Fingertip"
    cp.language = "zh-CN"
    cp.subject = _core_property(doc.subtitle)
    cp.keywords = _core_property(doc.doc_number)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    cp.created = cp.modified = now
    cp.revision = 1
    return document


#: python-docx refuses core properties (title, author …) longer than 255 characters.
CORE_PROPERTY_MAX = 255


def _core_property(value: Any) -> str:
    """One line, cleaned, at most 255 characters (shortened with an ellipsis, fingertip.text.shorten)."""
    return shorten(" ".join(clean_text(value).split()), CORE_PROPERTY_MAX)


def docx_bytes(doc: OfficialDocument, *, page_numbers: PageNumbers = "outer") -> bytes:
    buf = io.BytesIO()
    build_docx(doc, page_numbers=page_numbers).save(buf)
    return buf.getvalue()


def render_docx(doc: OfficialDocument, dest: Any, *, page_numbers: PageNumbers = "outer") -> None:
    """Render ``doc`` into a buffer, then write it to ``dest`` (local path or ``ObjectStoragePath``)."""
    write_output(dest, docx_bytes(doc, page_numbers=page_numbers))
