"""Issue 14 item 13: a ledger with a two-row header (group titles merged above the column names, as
provincial offices send them) is imported with every column, says which row was the header, and
passes validation. Built with openpyxl merged cells; SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import sqlalchemy as sa
from tests.quality.helpers import app_row

from fingertip.inventory.importer import import_file
from fingertip.quality.validate import validate_batch
from fingertip.sources.tables import read_table
from fingertip.store import schema

TODAY = dt.date(2026, 11, 23)
N = 30


def two_row_header_workbook(n: int = N) -> bytes:
    """Title row, then group row 2 over column-name row 3; data from row 4 (app_row layout)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "应用程序"
    ws.append(["某省政务应用程序台账（2026年）"])
    ws.merge_cells("A1:I1")
    ws.append(["序号", "应用名称", "应用类型", "主办单位", None, None, "备案信息", None, "投诉渠道"])
    ws.append([None, None, None, "名称", "统一社会信用代码", "行政区划代码", "备案号", "上线时间", None])
    for col in ("A", "B", "C", "I"):  # columns without a group: merged over both header rows
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("D2:F2")  # 主办单位 over 名称 / 统一社会信用代码 / 行政区划代码
    ws.merge_cells("G2:H2")  # 备案信息 over 备案号 / 上线时间
    for i in range(1, n + 1):
        ws.append(app_row(i))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_reader_takes_the_column_names_from_the_second_header_row():
    from fingertip.inventory.headers import load_header_map

    table = read_table(two_row_header_workbook(3), name="a.xlsx", known_headers=load_header_map().is_known)
    with table:
        (sheet,) = list(table.sheets())
        rows = list(sheet)
    assert sheet.header_rows == (2, 3) and sheet.header_row == 3
    assert sheet.header == ["序号", "应用名称", "应用类型", "主办单位名称", "主办单位统一社会信用代码", "行政区划代码",
                            "备案号", "上线时间", "投诉渠道"]
    assert [r.row_number for r in rows] == [4, 5, 6]  # the sub-header row is not data
    assert rows[0].row["主办单位名称"] == app_row(1)[3] and rows[0].row["备案号"] == app_row(1)[6]


def test_a_ledger_with_a_merged_two_row_header_is_imported_and_promoted(store_engine, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = inbox / "某省台账.xlsx"
    path.write_bytes(two_row_header_workbook())
    result = import_file(store_engine, path)
    assert result.status == "staged" and result.row_count == N, result.message
    (sheet,) = result.report["sheets"]
    assert sheet["header_row"] == 3 and sheet["header_rows"] == [2, 3]
    assert sorted(sheet["columns"].values()) == sorted(
        ["name", "kind", "sponsor_name", "sponsor_credit_code", "division_code", "filing_number",
         "launched_on", "has_complaint_channel"])
    notes = [p for p in result.report["problems"] if p["code"] == "two_row_header"]
    assert notes and "第 3 行" in notes[0]["zh"]
    v = validate_batch(store_engine, result.batch_id, today=TODAY, write_report=False)
    assert v.status == "promoted" and v.bad_rows == 0 and v.good_rows == N, v.message
    with store_engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(schema.apps)).scalar_one() == N


def test_a_plain_header_followed_by_data_is_still_one_row():
    from tests.quality.helpers import APP_HEADER

    from fingertip.inventory.headers import load_header_map

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(APP_HEADER)
    ws.append(app_row(1))
    buf = io.BytesIO()
    wb.save(buf)
    table = read_table(buf.getvalue(), name="b.xlsx", known_headers=load_header_map().is_known)
    with table:
        (sheet,) = list(table.sheets())
        rows = list(sheet)
    assert sheet.header_rows == (1,) and [r.row_number for r in rows] == [2]
