"""Render the sample announcement and disposal checklist and PNG previews of their first pages.

``python -m fingertip_dev.document_preview [--out URL_OR_PATH]`` writes into ``out/documents-preview/``
(under ``FINGERTIP_OUTPUT_URL``): the announcement (DOCX, PDF, HTML, Markdown), the checklist (XLSX,
DOCX, PDF), and ``announcement_page1.png`` / ``checklist_page1.png`` rendered with pypdfium2.
"""

from __future__ import annotations

import argparse
import io
import time
from typing import Any


def pdf_page_png(pdf: bytes, page: int = 0, scale: float = 1.5) -> bytes:
    """PNG of one PDF page, rendered with pypdfium2."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        image = doc[page].render(scale=scale).to_pil()
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        return buf.getvalue()
    finally:
        doc.close()


def write_preview(out_dir: Any = None) -> list[str]:
    from fingertip.documents.announcement import write_announcement
    from fingertip.documents.disposal import write_checklist
    from fingertip.documents.official import as_dir, write_output
    from fingertip_dev.document_samples import sample_announcement_context, sample_disposal_context

    if out_dir is None:
        from fingertip.config import output_path

        out_dir = output_path("documents-preview")
    folder = as_dir(out_dir)
    docs = write_announcement(sample_announcement_context(), folder)
    docs += write_checklist(sample_disposal_context(), folder, formats=("xlsx", "docx", "pdf"))
    paths = [d.path for d in docs]
    for d in docs:
        if d.doc_format == "pdf":
            name = "announcement_page1.png" if d.kind == "announcement" else "checklist_page1.png"
            pdf = (folder / d.path.rsplit("/", 1)[-1]).read_bytes()
            paths.append(write_output(folder / name, pdf_page_png(pdf)))
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev.document_preview", description=__doc__)
    parser.add_argument("--out", help="output folder (path or URL); default <outputs>/documents-preview")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    for p in write_preview(args.out):
        print(p)
    print(f"rendered in {time.perf_counter() - started:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
