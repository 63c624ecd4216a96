"""HTML and Markdown renderings of an official document, for a website or an official account.

Both come from Jinja2 templates in ``fingertip/resources/templates/documents/``:

* ``official.html.j2`` — a standalone page (inline CSS imitating the GB/T 9704 layout, images embedded
  as data URIs) rendered with autoescaping; ``http(s)`` URLs in paragraphs become links, nothing else
  does (a ``javascript:`` "URL" stays text).
* ``official.md.j2`` — rendered with a ``finalize`` hook that escapes every value for Markdown
  (backslash before ``\\ ` * _ { } [ ] ( ) < > # | ! ~ &`` and before line-leading ``+ - = .``/list
  numbers), so ``[x](javascript:…)``, emphasis, headings, HTML and table pipes in outside text print
  literally. Only the template's own syntax is marked ``raw``.
"""

from __future__ import annotations

import base64
import functools
import mimetypes
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fingertip.documents.official import (
    Heading,
    Image,
    OfficialDocument,
    PageBreak,
    Paragraph,
    Signature,
    Table,
    cell_text,
    format_date,
    is_numeric,
    signature_indents,
)
from fingertip.text import neutralise

_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'*+,;=%]+")


def templates_dir() -> Path:
    from fingertip.config import resources_dir

    return resources_dir() / "templates" / "documents"


class Raw(str):
    """Template text that must not be Markdown-escaped."""


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#|!~&])")
_MD_LINE_START = re.compile(r"^(\s*)([+\-=]|\d+[.)])")


def escape_markdown(value: Any, *, line_start: bool = True) -> str:
    """Escape outside text so Markdown prints it literally (newlines become hard line breaks).

    ``line_start=False``: the text continues a line (no line-start escaping of its first line).
    """
    text = "" if value is None else str(value)
    lines = []
    for i, line in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
        starts = line_start or i > 0
        line = _MD_SPECIAL.sub(r"\\\1", line.lstrip() if starts else line)
        m = _MD_LINE_START.match(line) if starts else None
        if m:
            token = m.group(2)
            escaped = token[:-1] + "\\" + token[-1] if token[-1] in ".)" else "\\" + token
            line = line[:m.start(2)] + escaped + line[m.end(2):]
        lines.append(line)
    return "\\\n".join(lines)


def markdown_inline(value: Any) -> Raw:
    """Escaped Markdown for a paragraph; ``http(s)`` URLs become ``<…>`` autolinks (nothing else links)."""
    text = "" if value is None else str(value)
    out, pos = [], 0
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;:!?'")
        out.append(escape_markdown(text[pos:m.start()], line_start=pos == 0) if pos < m.start() else "")
        out.append(f"<{url}>")
        pos = m.start() + len(url)
    out.append(escape_markdown(text[pos:], line_start=pos == 0) if pos < len(text) or not out else "")
    return Raw("".join(out))


def _md_finalize(value: Any) -> str:
    if isinstance(value, Raw):
        return neutralise(str(value), multiline=True)
    return escape_markdown(neutralise("" if value is None else str(value), multiline=True))


def _html_finalize(value: Any) -> Any:
    """Every value a page prints without control and bidi characters (:mod:`fingertip.text`); markup the
    template built (``Markup``) keeps its type, everything else is autoescaped afterwards."""
    from markupsafe import Markup

    if isinstance(value, Markup):
        return Markup(neutralise(str(value), multiline=True))
    if isinstance(value, str):
        return neutralise(value, multiline=True)
    return value


def _linkify(value: Any):
    from markupsafe import Markup, escape

    text = "" if value is None else str(value)
    out = []
    pos = 0
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;:!?'")
        out.append(escape(text[pos:m.start()]))
        out.append(Markup('<a href="{0}" rel="noopener noreferrer">{0}</a>').format(url))
        pos = m.start() + len(url)
    out.append(escape(text[pos:]))
    return Markup("").join(out).replace("\n", Markup("<br>"))


@functools.cache
def _env(kind: str):
    import jinja2

    loader = jinja2.FileSystemLoader(str(templates_dir()))
    if kind == "html":
        env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                                 trim_blocks=False, lstrip_blocks=False, finalize=_html_finalize)
        env.filters["linkify"] = _linkify
    else:
        env = jinja2.Environment(loader=loader, autoescape=False, finalize=_md_finalize,
                                 undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
        env.filters["raw"] = lambda v: Raw(v)
    return env


def _one_line(value: Any) -> str:
    text = value if isinstance(value, str) else cell_text(value)
    return " ".join(text.splitlines())


def _items(doc: OfficialDocument, fmt: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    attachments_done = False

    def attachments():
        lines = doc.attachment_lines()
        if lines:
            items.append({"kind": "attachments", "lines": lines})

    for block, label in doc.numbered():
        if isinstance(block, Signature) and not attachments_done:
            attachments()
            attachments_done = True
        if isinstance(block, Heading):
            items.append({"kind": "heading", "level": block.level, "label": label,
                          "text": _one_line(block.text)})
        elif isinstance(block, Paragraph):
            items.append(_paragraph_item(block, fmt))
        elif isinstance(block, Table):
            items.append(_table_item(block, fmt))
        elif isinstance(block, Image):
            items.append(_image_item(block, fmt))
        elif isinstance(block, PageBreak):
            items.append({"kind": "pagebreak"})
        elif isinstance(block, Signature):
            date_text = format_date(block.date)
            issuer_right, date_right = signature_indents(block.issuer, date_text)
            items.append({"kind": "signature", "issuer": block.issuer, "date": date_text,
                          "issuer_right": issuer_right, "date_right": date_right})
    if not attachments_done:
        attachments()
    return items


def _paragraph_item(block: Paragraph, fmt: str) -> dict[str, Any]:
    classes: list[str] = [block.align]
    if block.indent and block.align == "justify":
        classes.append("indent")
    if block.bold:
        classes.append("bold")
    text = markdown_inline(block.text) if fmt == "md" else block.text
    return {"kind": "paragraph", "text": text, "classes": " ".join(classes)}


def _table_item(block: Table, fmt: str) -> dict[str, Any]:
    rows = [[{"text": cell_text(v), "num": is_numeric(v)} for v in row] for row in block.rows]
    item: dict[str, Any] = {"kind": "table", "caption": block.caption, "size": block.size_pt,
                            "header": [_one_line(h) for h in block.header]}
    if fmt == "md":
        item["rows"] = [[_one_line(c["text"]) for c in row] for row in rows]
        item["align"] = ["---:" if block.rows and is_numeric(block.rows[0][i]) else "---"
                         for i in range(len(block.header))]
    else:
        item["rows"] = rows
    return item


def _image_item(block: Image, fmt: str) -> dict[str, Any]:
    """HTML embeds the image as a data URL; Markdown links it by file name."""
    name = Path(str(getattr(block.path, "name", "") or "image.png")).name if not isinstance(
        block.path, (bytes, bytearray)) else "image.png"
    if fmt == "html":
        mime = mimetypes.guess_type(name)[0] or "image/png"
        src = f"data:{mime};base64,{base64.b64encode(block.data()).decode('ascii')}"
    else:
        src = quote(name)
    return {"kind": "image", "src": src, "width_mm": block.effective_width_mm, "caption": block.caption}


def _addressee(doc: OfficialDocument) -> str:
    a = doc.addressee or ""
    return a if not a or a.endswith(("：", ":")) else a + "："


def render_html(doc: OfficialDocument) -> str:
    """A standalone HTML page of ``doc`` (autoescaped)."""
    return _env("html").get_template("official.html.j2").render(doc=doc, items=_items(doc, "html"),
                                                                 addressee=_addressee(doc))


def render_markdown(doc: OfficialDocument) -> str:
    """``doc`` as Markdown (GitHub-flavoured tables), every outside value escaped."""
    text = _env("md").get_template("official.md.j2").render(doc=doc, items=_items(doc, "md"),
                                                             addressee=_addressee(doc))
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
