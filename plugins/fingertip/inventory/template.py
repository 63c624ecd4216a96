"""The standard inventory template (台账模板) units fill in, generated from the header map.

One sheet per entity type (应用 / 账号 / 群组) with a title row, the official column names (each
field's first synonym in ``fingertip/resources/inventory/headers.yaml``), drop-downs for value lists, and every
column formatted as **text** — so Excel cannot turn an 18-character credit code or a division code
into a number and lose its digits. The importer reads a filled template back without any mapping.

Command line: ``fingertip template 台账模板.xlsx [--year 2026]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
from collections.abc import Sequence
from pathlib import Path

from fingertip.inventory.headers import ENTITY_TYPES, HeaderMap, load_header_map

SHEET_NAMES = {"app": "应用", "account": "账号", "work_group": "群组"}
#: Rows below the header prepared with drop-downs.
TEMPLATE_ROWS = 1000
_EXAMPLE_DATE = "2026-01-01"


def _choices(header_map: HeaderMap, vocabulary: str) -> list[str]:
    vocab = header_map.vocabulary(vocabulary)
    return [terms[0] for terms in vocab.terms.values()]


def build_template(header_map: HeaderMap | None = None, *, year: int | None = None,
                   entity_types: Sequence[str] = ENTITY_TYPES) -> bytes:
    """The template workbook as XLSX bytes."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from fingertip.documents import xlsx

    hm = header_map or load_header_map()
    year = year or dt.date.today().year
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for entity in entity_types:
        ws = wb.create_sheet(SHEET_NAMES[entity])
        specs = hm.template_fields(entity)
        last = get_column_letter(len(specs))
        title = xlsx.put(ws, 1, 1, f"{hm.label(entity)}台账（{year}年）")
        ws.merge_cells(f"A1:{last}1")
        title.font = Font(bold=True, size=14)
        title.alignment = Alignment(horizontal="center")
        for col, spec in enumerate(specs, start=1):
            letter = get_column_letter(col)
            cell = xlsx.put(ws, 2, col, spec.label)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            ws.column_dimensions[letter].width = max(10, min(30, 2.2 * len(spec.label) + 2))
            ws.column_dimensions[letter].number_format = "@"  # text: long codes keep every digit
            if spec.vocabulary:
                choices = _choices(hm, spec.vocabulary)
                xlsx.list_validation(ws, choices, f"{letter}3:{letter}{TEMPLATE_ROWS + 2}",
                                     prompt="可从下拉列表选择：" + "、".join(choices), strict=False)
            elif spec.name.endswith("_on"):
                cell.comment = Comment(f"日期格式：{_EXAMPLE_DATE}", "Fingertip")
        ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the standard inventory template (台账模板).")
    parser.add_argument("output", type=Path, help="XLSX file to write")
    parser.add_argument("--year", type=int, default=None, help="year shown in the titles (default: this year)")
    args = parser.parse_args(argv)
    args.output.write_bytes(build_template(year=args.year))
    print(f"template written to {args.output}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
