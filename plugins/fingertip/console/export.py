"""Every console list as XLSX (through the one formula-safe writer) or CSV (formula-neutralised)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from typing import Any

from fingertip.documents import xlsx
from fingertip.text import neutralise

from .timefmt import beijing


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return beijing(value)
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def csv_cell(value: Any) -> str:
    """Text of a CSV cell: no control/bidi characters, and a formula prefix quoted as in the XLSX writer."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    text = neutralise(str(value), multiline=True)
    return "'" + text if xlsx.is_dangerous(text) else text


def to_csv(columns: Sequence[str], labels: Mapping[str, str], rows: Sequence[Mapping[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([csv_cell(labels.get(c, c)) for c in columns])
    for row in rows:
        writer.writerow([csv_cell(row.get(c)) for c in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 CSV correctly


def to_xlsx(title: str, columns: Sequence[str], labels: Mapping[str, str], rows: Sequence[Mapping[str, Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(xlsx.sheet_title(title))
    ws.append([xlsx.write_only_cell(ws, labels.get(c, c), bold=True, fill=xlsx.HEADER_FILL) for c in columns])
    for row in rows:
        ws.append([xlsx.write_only_cell(ws, _plain(row.get(c))) for c in columns])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
