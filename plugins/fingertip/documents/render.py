"""Render an official document in several formats at once, in memory."""

from __future__ import annotations

from fingertip.documents.official import OfficialDocument

FORMATS = ("docx", "pdf", "html", "md")


def render_formats(doc: OfficialDocument, formats: tuple[str, ...]) -> dict[str, bytes]:
    """Render ``doc`` in every format asked for (all in memory, before anything is written)."""
    out: dict[str, bytes] = {}
    for fmt in formats:
        if fmt == "docx":
            from fingertip.documents.docx_render import docx_bytes

            out[fmt] = docx_bytes(doc)
        elif fmt == "pdf":
            from fingertip.documents.pdf_render import pdf_bytes

            out[fmt] = pdf_bytes(doc)
        elif fmt == "html":
            from fingertip.documents.html_render import render_html

            out[fmt] = render_html(doc).encode("utf-8")
        elif fmt == "md":
            from fingertip.documents.html_render import render_markdown

            out[fmt] = render_markdown(doc).encode("utf-8")
        else:
            raise ValueError(f"unknown document format {fmt!r} (docx, pdf, html, md)")
    return out
