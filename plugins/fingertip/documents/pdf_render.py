"""PDF rendering of an :class:`~fingertip.documents.official.OfficialDocument` (ReportLab platypus).

Same geometry as the DOCX (A4; text frame 156 × 225 mm at left 28 / top 37 mm, no frame padding),
with the TrueType substitutes of :mod:`fingertip.documents.fonts`: title 22 pt AR PL UMing, body 16 pt
AR PL UKai with a 32 pt first-line indent and 28.9 pt leading, 一、 headings in WenQuanYi Zen Hei,
（一） in UKai, bold (1. headings, table headers) in Zen Hei. Tables wrap cells CJK-style
(``wordWrap='CJK'``) and repeat their header row on every page. Page numbers ``— n —`` centred 7 mm
below the text block (``page_numbers="outer"`` puts them right/left on odd/even pages as in the DOCX).

Every text from outside is escaped for ReportLab's paragraph mini-markup, and characters the chosen
face lacks are set in the first face that has them (never a .notdef box when any installed face can
draw the character).
"""

from __future__ import annotations

import io
import logging
import unicodedata
from typing import Any, Literal
from xml.sax.saxutils import escape

from fingertip.documents import fonts
from fingertip.documents.official import (
    BODY_PT,
    LINE_SPACING_PT,
    MARGIN_BOTTOM_MM,
    MARGIN_LEFT_MM,
    MARGIN_TOP_MM,
    PAGE_NUMBER_GAP_MM,
    PAGE_NUMBER_PT,
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

PageNumbers = Literal["outer", "center"]
log = logging.getLogger(__name__)


_warned: set[str] = set()


def _warn_missing(ch: str) -> None:
    if ch not in _warned:
        _warned.add(ch)
        log.warning("no installed font has U+%04X %s: drawn as %s in PDFs", ord(ch), unicodedata.name(ch, ""),
                    fonts.SUBSTITUTE)


def _substitute_face(face_key: str) -> str:
    for face in (fonts.FACES[face_key], *fonts.fallback_faces()):
        if ord(fonts.SUBSTITUTE) in fonts.face_codepoints(face.key):
            return face.key
    return face_key  # no face has U+FFFD either: the face's own .notdef box, still visible


def markup(text: str, face_key: str) -> str:
    """``text`` escaped for ReportLab markup; characters missing from the face get a fallback face."""
    have = fonts.face_codepoints(face_key)
    out: list[str] = []
    run: list[str] = []
    run_face = face_key

    def flush():
        if not run:
            return
        chunk = escape("".join(run))
        out.append(chunk if run_face == face_key else f'<font name="{run_face}">{chunk}</font>')
        run.clear()

    for ch in clean_text(text):
        if ch == "\n":
            flush()
            out.append("<br/>")
            continue
        face = face_key
        if ord(ch) not in have and not ch.isspace():
            face = ""
            for alt in fonts.fallback_faces():
                if ord(ch) in fonts.face_codepoints(alt.key):
                    face = alt.key
                    break
            if not face:  # no installed face has it: a visible substitute, never a silent drop
                _warn_missing(ch)
                ch, face = fonts.SUBSTITUTE, _substitute_face(face_key)
        if face != run_face:
            flush()
            run_face = face
        run.append(ch)
    flush()
    return "".join(out)


_styles_cache: dict[str, Any] = {}

# Chinese line-breaking rules (标点禁则): ReportLab's CJK wrapper only knows Japanese closing marks, so a
# line could start with ，：；？！》）” etc. Characters in ALL_CANNOT_START hang in the right margin
# instead of starting a line. Extended once per process (it only adds characters).
CN_CANNOT_START = "，。、：；？！）》」』】〕〗’”…—％‰·．"


def _extend_line_breaking_rules() -> None:
    from reportlab.lib import textsplit
    from reportlab.platypus import paragraph

    for module in (textsplit, paragraph):  # single-run paragraphs use textsplit, mixed ones paragraph
        missing = "".join(ch for ch in CN_CANNOT_START if ch not in module.ALL_CANNOT_START)
        if missing:
            module.ALL_CANNOT_START = module.ALL_CANNOT_START + missing


def _styles() -> dict[str, Any]:
    if _styles_cache:
        return _styles_cache
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    names = fonts.register_pdf_fonts()
    _extend_line_breaking_rules()
    base = dict(fontSize=BODY_PT, leading=LINE_SPACING_PT, wordWrap="CJK", spaceBefore=0, spaceAfter=0)
    heading = {**base, "firstLineIndent": 2 * BODY_PT}
    s = {
        "title": ParagraphStyle("ft-title", fontName=names["title"], alignment=TA_CENTER,
                                **{**base, "fontSize": TITLE_PT, "leading": TITLE_LINE_SPACING_PT}),
        "subtitle": ParagraphStyle("ft-subtitle", fontName=names["subtitle"], alignment=TA_CENTER, **base),
        "body": ParagraphStyle("ft-body", fontName=names["body"], alignment=TA_JUSTIFY,
                               firstLineIndent=2 * BODY_PT, **base),
        "h1": ParagraphStyle("ft-h1", fontName=names["h1"], keepWithNext=1, **heading),
        "h2": ParagraphStyle("ft-h2", fontName=names["h2"], keepWithNext=1, **heading),
        "h3": ParagraphStyle("ft-h3", fontName=names["h3"], keepWithNext=1, **heading),
        "h4": ParagraphStyle("ft-h4", fontName=names["h4"], keepWithNext=1, **heading),
        "caption": ParagraphStyle("ft-caption", fontName=names["caption"], alignment=TA_CENTER,
                                  **{**base, "fontSize": 14, "leading": 22}),
    }
    s["_align"] = {"justify": TA_JUSTIFY, "center": TA_CENTER, "right": TA_RIGHT, "left": TA_LEFT}
    s["_names"] = names
    _styles_cache.update(s)
    return _styles_cache


def _para(text: str, style, face_key: str | None = None, **overrides):
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph as RLParagraph

    if overrides:
        style = ParagraphStyle(f"{style.name}-x", parent=style, **overrides)
    return RLParagraph(markup(text, face_key or style.fontName), style)


#: Highest a table row's cell text may be (points): three quarters of the text block, so that a row, the
#: repeated header and the paddings fit on one page.
TALL_ROW_PT = mm_to_pt(TEXT_HEIGHT_MM) * 0.75


def _split_tall_rows(data: list[list[Any]], inner_widths: list[float], max_height: float) -> list[list[Any]]:
    """Rows whose cell text is taller than ``max_height`` become several rows, each cell's paragraph split
    where it fits (ReportLab cannot break a row across pages: it raised ``LayoutError``, and its own
    ``splitInRow`` lost text). The continuation rows hold the rest of the long cells, other cells empty."""
    out = [data[0]]
    for row in data[1:]:
        pieces: list[list[Any]] = []
        for para, width in zip(row, inner_widths, strict=True):
            parts, rest = [], para
            while True:
                _w, height = rest.wrap(width, max_height)
                if height <= max_height:
                    parts.append(rest)
                    break
                split = rest.split(width, max_height)
                if len(split) < 2:  # cannot be split (one huge glyph run): keep it, as before
                    parts.append(rest)
                    break
                parts.append(split[0])
                rest = split[1]
            pieces.append(parts)
        for k in range(max(len(p) for p in pieces)):
            out.append([p[k] if k < len(p) else "" for p in pieces])
    return out


def _table_flowables(block: Table) -> list:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

    st = _styles()
    names = st["_names"]
    size = block.size_pt
    leading = round(size * 1.3, 1)
    head = ParagraphStyle("ft-th", fontName=names["table_header"], fontSize=size, leading=leading,
                          alignment=TA_CENTER, wordWrap="CJK")
    cell_l = ParagraphStyle("ft-td", fontName=names["table"], fontSize=size, leading=leading,
                            alignment=TA_LEFT, wordWrap="CJK")
    cell_r = ParagraphStyle("ft-td-r", parent=cell_l, alignment=TA_RIGHT)
    from reportlab.platypus import Paragraph as RLParagraph

    data = [[RLParagraph(markup(cell_text(h), head.fontName), head) for h in block.header]]
    for row in block.rows:
        data.append([RLParagraph(markup(cell_text(v), cell_l.fontName), cell_r if is_numeric(v) else cell_l)
                     for v in row])
    widths = [mm_to_pt(w) for w in block.widths_mm()]
    data = _split_tall_rows(data, [w - 3 - (size + 1) for w in widths], TALL_ROW_PT)
    table = RLTable(data, colWidths=widths, repeatRows=1, hAlign="CENTER")
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.93, 0.93, 0.93)),
        # the right padding holds one character: closing punctuation hangs there (标点悬挂), not on the rule
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), size + 1),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    from reportlab.platypus import CondPageBreak

    # Start on a new page when the caption, the header and two rows would not fit (keepWithNext
    # would instead move the whole table, however long, to the next page).
    out: list = [CondPageBreak(leading * 6 + (size * 2.5 if block.caption else 0))]
    if block.caption:
        out.append(_para(block.caption, st["caption"], fontSize=min(BODY_PT, size + 2),
                         leading=min(BODY_PT, size + 2) * 1.6, spaceBefore=6, spaceAfter=3))
    out.append(table)
    out.append(_spacer(leading))
    return out


def _spacer(height_pt: float):
    from reportlab.platypus import Spacer

    return Spacer(1, height_pt)


def _image_flowables(block: Image) -> list:
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image as RLImage

    data = block.data()
    iw, ih = ImageReader(io.BytesIO(data)).getSize()
    width = mm_to_pt(block.effective_width_mm)
    height = width * ih / iw if iw else width
    max_h = mm_to_pt(TEXT_HEIGHT_MM) * 0.9
    if height > max_h:
        width, height = width * max_h / height, max_h
    out: list = [RLImage(io.BytesIO(data), width=width, height=height, hAlign="CENTER")]
    if block.caption:
        out.append(_para(block.caption, _styles()["caption"], fontName=_styles()["_names"]["body"]))
    return out


def _flowables(doc: OfficialDocument) -> list:
    from reportlab.platypus import PageBreak as RLPageBreak

    st = _styles()
    flow: list = _head_flowables(doc)
    attachments_done = False
    for block, label in doc.numbered():
        if isinstance(block, Signature) and not attachments_done:
            flow += _attachments(doc)
            attachments_done = True
        if isinstance(block, Heading):
            flow.append(_para(label + block.text, st[f"h{block.level}"]))
        elif isinstance(block, Paragraph):
            flow.append(_paragraph_flowable(block))
        elif isinstance(block, Table):
            flow += _table_flowables(block)
        elif isinstance(block, Image):
            flow += _image_flowables(block)
        elif isinstance(block, PageBreak):
            flow.append(RLPageBreak())
        elif isinstance(block, Signature):
            flow += _signature_flowables(block)
        else:
            raise TypeError(f"unknown block {type(block).__name__}")
    if not attachments_done:
        flow += _attachments(doc)
    return flow


def _head_flowables(doc: OfficialDocument) -> list:
    """Classification, document number with the red rule, title, subtitle and addressee."""
    st = _styles()
    names = st["_names"]
    flow: list = []
    blank = LINE_SPACING_PT
    if doc.classification:
        flow.append(_para(doc.classification, st["body"], fontName=names["h1"], firstLineIndent=0,
                          alignment=st["_align"]["left"]))
    if doc.doc_number:
        from reportlab.lib import colors
        from reportlab.platypus.flowables import HRFlowable

        flow.append(_para(doc.doc_number, st["body"], firstLineIndent=0, alignment=st["_align"]["center"]))
        flow.append(HRFlowable(width="100%", thickness=1, color=colors.red, spaceBefore=4, spaceAfter=0))
        flow.append(_spacer(blank))
    flow.append(_para(doc.title, st["title"]))
    if doc.subtitle:
        flow.append(_para(doc.subtitle, st["subtitle"]))
    flow.append(_spacer(blank))
    if doc.addressee:
        text = doc.addressee if doc.addressee.endswith(("：", ":")) else doc.addressee + "："
        flow.append(_para(text, st["body"], firstLineIndent=0, alignment=st["_align"]["left"]))
    return flow


def _paragraph_flowable(block: Paragraph):
    st = _styles()
    kw: dict[str, Any] = {"alignment": st["_align"][block.align]}
    if not (block.indent and block.align == "justify"):
        kw["firstLineIndent"] = 0
    if block.bold:
        kw["fontName"] = st["_names"]["bold"]
    return _para(block.text, st["body"], **kw)


def _signature_flowables(block: Signature) -> list:
    """A blank line, then issuer and date right-aligned with the GB/T 9704 indents."""
    st = _styles()
    date_text = format_date(block.date)
    issuer_right, date_right = signature_indents(block.issuer, date_text)
    out: list = [_spacer(LINE_SPACING_PT)]
    right = st["_align"]["right"]
    if block.issuer:
        out.append(_para(block.issuer, st["body"], firstLineIndent=0, alignment=right,
                         rightIndent=issuer_right * BODY_PT))
    out.append(_para(date_text, st["body"], firstLineIndent=0, alignment=right,
                     rightIndent=date_right * BODY_PT))
    return out


def _attachments(doc: OfficialDocument) -> list:
    lines = doc.attachment_lines()
    if not lines:
        return []
    st = _styles()
    out: list = [_spacer(LINE_SPACING_PT)]
    for i, line in enumerate(lines):
        if i == 0:
            out.append(_para(line, st["body"]))
        else:
            out.append(_para(line, st["body"], firstLineIndent=0, leftIndent=5 * BODY_PT))
    return out


def pdf_bytes(doc: OfficialDocument, *, page_numbers: PageNumbers = "center") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

    names = _styles()["_names"]
    buf = io.BytesIO()
    page_w, page_h = A4
    frame = Frame(MARGIN_LEFT_MM * mm, MARGIN_BOTTOM_MM * mm, TEXT_WIDTH_MM * mm, TEXT_HEIGHT_MM * mm,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="text")
    # Baseline of the page number: its line starts 7 mm below the text block.
    y = (MARGIN_BOTTOM_MM - PAGE_NUMBER_GAP_MM) * mm - PAGE_NUMBER_PT * 0.88

    def on_page(canvas, template):
        n = canvas.getPageNumber()
        label = f"— {n} —"
        canvas.saveState()
        canvas.setFont(names["page"], PAGE_NUMBER_PT)
        if page_numbers == "outer" and n % 2 == 1:
            canvas.drawRightString((MARGIN_LEFT_MM + TEXT_WIDTH_MM) * mm - PAGE_NUMBER_PT, y, label)
        elif page_numbers == "outer":
            canvas.drawString(MARGIN_LEFT_MM * mm + PAGE_NUMBER_PT, y, label)
        else:
            canvas.drawCentredString((MARGIN_LEFT_MM + TEXT_WIDTH_MM / 2) * mm, y, label)
        canvas.restoreState()

    template = BaseDocTemplate(
        buf, pagesize=A4, leftMargin=MARGIN_LEFT_MM * mm,
        rightMargin=page_w - (MARGIN_LEFT_MM + TEXT_WIDTH_MM) * mm,
        topMargin=MARGIN_TOP_MM * mm, bottomMargin=MARGIN_BOTTOM_MM * mm, title=clean_text(doc.title),
        author=clean_text(doc.issuer), subject=clean_text(doc.subtitle), creator="Fingertip",
        keywords=clean_text(doc.doc_number),
        lang="zh-CN", displayDocTitle=1,
    )
    template.addPageTemplates([PageTemplate(id="official", frames=[frame], onPage=on_page)])
    template.build(_flowables(doc))
    return buf.getvalue()


def render_pdf(doc: OfficialDocument, dest: Any, *, page_numbers: PageNumbers = "center") -> None:
    """Render ``doc`` into a buffer, then write it to ``dest`` (local path or ``ObjectStoragePath``)."""
    write_output(dest, pdf_bytes(doc, page_numbers=page_numbers))
