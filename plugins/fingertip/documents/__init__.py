"""Official documents: the GB/T 9704 document model and its DOCX/PDF/HTML/Markdown renderers, the
shutdown announcement (公告) and the data-disposal checklist (数据处置清单). See docs/documents.md.

Heavy libraries (python-docx, ReportLab, openpyxl, Jinja2, pypdfium2) are imported inside the
functions that need them, and the names below other than the model load their module on first use,
so importing this package is cheap (DAG files may import it).
"""

from __future__ import annotations

import importlib
from typing import Any

from fingertip.documents.official import (  # noqa: F401
    Heading,
    Image,
    OfficialDocument,
    PageBreak,
    Paragraph,
    Signature,
    Table,
    WrittenDocument,
    format_date,
)

_LAZY = {
    "AnnouncementContext": "announcement", "AnnouncementError": "announcement",
    "build_announcement": "announcement", "write_announcement": "announcement",
    "DataCategory": "disposal", "DisposalContext": "disposal", "DisposalError": "disposal",
    "default_categories": "disposal", "write_checklist": "disposal",
    "record_document": "registry", "render_formats": "render",
    "render_docx": "docx_render", "render_pdf": "pdf_render",
    "render_html": "html_render", "render_markdown": "html_render",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fingertip.documents' has no attribute {name!r}")
    return getattr(importlib.import_module(f"fingertip.documents.{module}"), name)
