"""Rejection report for the submitting unit: ``out/quality/<batch id>/退回报告_<batch id>.xlsx``.

One sheet per submitted sheet with failing rows: the submitted columns as they were, then
``行号`` and ``问题说明`` ("第N行：…；…" in Chinese); a first sheet ``说明`` with the gate verdict.
Every value from outside is written as a string cell through :func:`fingertip.documents.xlsx.put` —
text starting with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) is never a formula, so opening
the report cannot run anything; characters a cell cannot hold are replaced, over-long text is cut.
Header row frozen, column widths set. The file is recorded in ``documents`` (kind
``quality_rejection_report``).
"""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from fingertip.documents import xlsx
from fingertip.store import schema


def safe_cell(ws, row: int, column: int, value: Any):
    """Write ``value`` as an inert text cell (as submitted: numbers and dates as their text)."""
    return xlsx.put(ws, row, column, None if value is None else str(value))


def _width(values) -> float:
    longest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(v)) for v in values if v is not None), default=6)
    return min(60, max(8, longest + 2))


def build_report(verdict, frames, failures: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    info = wb.active
    info.title = "说明"
    lines = [("批次", verdict.batch_id), ("文件", verdict.file_name),
             ("结论", "退回" if verdict.rejected else "部分入库"), ("数据行", verdict.row_count),
             ("问题行", verdict.bad_rows), ("入库行", 0 if verdict.rejected else verdict.good_rows),
             ("说明", verdict.message_zh), ("Summary", verdict.message_en)]
    for r, (k, v) in enumerate(lines, start=1):
        safe_cell(info, r, 1, k).font = Font(bold=True)
        safe_cell(info, r, 2, v).alignment = Alignment(wrap_text=True, vertical="top")
    info.column_dimensions["A"].width = 12
    info.column_dimensions["B"].width = 100

    by_sheet: dict[tuple[str, str], dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for f in failures:
        by_sheet[(f["_entity"], f["_sheet"])][f["row_number"]].append(f["reason_zh"])
    raw_rows = {(fr.entity_type, r["sheet"], r["row_number"]): r["raw"] for fr in frames for r in fr.rows
                if r["raw"] is not None}
    used_titles = {"说明"}
    for (entity, sheet), rows in sorted(by_sheet.items()):
        title = xlsx.sheet_title(sheet or entity, default=entity)[:28]
        while title in used_titles:
            title = title[:25] + "_" + str(len(used_titles))
        used_titles.add(title)
        ws = wb.create_sheet(title)
        headers: list[str] = []
        for number in rows:
            for h in raw_rows.get((entity, sheet, number), {}):
                if h not in headers:
                    headers.append(h)
        all_headers = ["行号", *headers, "问题说明"]
        for c, h in enumerate(all_headers, start=1):
            safe_cell(ws, 1, c, h).font = Font(bold=True)
        columns: list[list[Any]] = [[h] for h in all_headers]
        for r, number in enumerate(sorted(rows), start=2):
            raw = raw_rows.get((entity, sheet, number), {})
            reasons = list(dict.fromkeys(rows[number]))
            text = f"第{number}行：" + "；".join(reasons)
            values = [number, *[raw.get(h) for h in headers], text]
            for c, v in enumerate(values, start=1):
                if c == 1:
                    ws.cell(row=r, column=1, value=number)
                else:
                    safe_cell(ws, r, c, v)
                if r < 500:
                    columns[c - 1].append(v)
            ws.cell(row=r, column=len(all_headers)).alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "B2"
        from openpyxl.utils import get_column_letter

        for c, vals in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(c)].width = 80 if c == len(all_headers) else _width(vals)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_rejection_report(engine, verdict, frames, failures: list[dict[str, Any]]) -> str:
    """Write the report under the outputs folder, record it in ``documents``; returns its URL."""
    from fingertip.config import output_path

    data = build_report(verdict, frames, failures)
    folder = output_path("quality", str(verdict.batch_id))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"退回报告_批次{verdict.batch_id}.xlsx"
    path.write_bytes(data)
    url = str(path)
    d = schema.documents
    with engine.begin() as conn:
        conn.execute(sa.delete(d).where(d.c.path == url))
        conn.execute(sa.insert(d).values(doc_kind="quality_rejection_report", doc_format="xlsx", path=url,
                                         sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data)))
    return url
