"""The streaming table reader: formats, encodings, header detection, noise rows, bad files.

Every input is generated here; no binary fixtures.
"""

from __future__ import annotations

import datetime as dt
import inspect
import io
import zipfile

import openpyxl
import pytest

from fingertip.sources.tables import (
    TableError,
    cell_text,
    display_header,
    header_variants,
    is_imprecise_number,
    normalise_header,
    read_table,
)

KNOWN = ["应用名称", "主办单位", "统一社会信用代码", "上线时间", "名称", "平台", "账号ID", "群名称", "群成员数"]


def xlsx(build) -> bytes:
    wb = openpyxl.Workbook()
    build(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rows_of(table) -> list[tuple]:
    return [(r.sheet, r.row_number, {k: cell_text(v) for k, v in r.row.items()}) for r in table]


# --------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------


def _ledger(wb):
    ws = wb.active
    ws.title = "应用"
    ws.append(["XX省政务应用程序台账（2026年）"])
    ws.merge_cells("A1:E1")
    ws.append([])
    ws.append(["序号", "应用名称\n（必填）", "＊主办单位", "统一社会信用代码", "上线时间"])
    ws.append([1, "阳江通", "阳江市人民政府办公室", "11441700007280420Y", dt.datetime(2024, 3, 1)])
    ws.append([])
    ws.append([2, "粤省事", "广东省政务服务数据管理局", 1.1441700007280421e17, 45352])
    ws.append(["序号", "应用名称", "主办单位", "统一社会信用代码", "上线时间"])  # pasted sheets
    ws.append([3, "粤商通", "广东省政务服务数据管理局", "11440000MB2C93205X", "2024/03/01"])
    ws.append(["填表人：张三", None, "联系电话：020-1234567"])


def test_xlsx_title_blank_and_repeated_header_rows_are_skipped_with_real_row_numbers():
    table = read_table(xlsx(_ledger), name="台账.xlsx", known_headers=KNOWN)
    assert table.format == "xlsx"
    sheets = list(table.sheets())
    assert len(sheets) == 1
    sheet = sheets[0]
    assert sheet.name == "应用" and sheet.header_row == 3 and sheet.title == "XX省政务应用程序台账（2026年）"
    assert sheet.header == ["序号", "应用名称（必填）", "＊主办单位", "统一社会信用代码", "上线时间"]
    got = [(r.row_number, cell_text(r.row["应用名称（必填）"])) for r in sheet]
    assert got == [(4, "阳江通"), (6, "粤省事"), (8, "粤商通")]
    assert sheet.skipped == {"blank": 1, "repeated_header": 1, "note": 1}
    codes = {p.code for p in table.problems}
    assert {"repeated_header_skipped", "note_row_skipped"} <= codes


def test_xlsx_values_render_as_the_user_sees_them():
    rows = rows_of(read_table(xlsx(_ledger), name="x.xlsx", known_headers=KNOWN))
    first, second, third = (r[2] for r in rows)
    assert first["序号"] == "1" and first["上线时间"] == "2024-03-01"
    assert first["统一社会信用代码"] == "11441700007280420Y"
    # an 18-digit code Excel stored as a float: the lost digits are not invented
    assert second["统一社会信用代码"] == "1.144170000728042e+17"
    assert second["上线时间"] == "45352"  # an Excel serial typed as a number stays a number (text)
    assert third["上线时间"] == "2024/03/01"


def test_rows_are_streamed_lazily():
    table = read_table(xlsx(_ledger), name="x.xlsx", known_headers=KNOWN)
    assert inspect.isgenerator(iter(table))
    first = next(iter(table))
    assert first.sheet == "应用" and first.row_number == 4 and first.header[1] == "应用名称（必填）"


def test_three_sheets_are_read_in_order_and_hidden_sheets_skipped():
    def build(wb):
        a = wb.active
        a.title = "应用"
        a.append(["应用名称", "主办单位"])
        a.append(["阳江通", "阳江市人民政府办公室"])
        b = wb.create_sheet("账号")
        b.append(["名称", "平台", "账号ID"])
        b.append(["阳江发布", "微信公众号", "gh_123"])
        c = wb.create_sheet("群组")
        c.append(["群名称", "平台", "群成员数"])
        c.append(["防汛工作群", "微信", 35])
        d = wb.create_sheet("字典")
        d.append(["平台", "名称"])
        d.append(["微信", "x"])
        d.sheet_state = "hidden"
        wb.create_sheet("Sheet3")  # empty: ignored silently

    table = read_table(xlsx(build), name="x.xlsx", known_headers=KNOWN)
    assert table.sheet_names == ["应用", "账号", "群组", "字典", "Sheet3"]
    got = [(r.sheet, r.row_number) for r in table]
    assert got == [("应用", 2), ("账号", 2), ("群组", 2)]
    assert [p.sheet for p in table.problems if p.code == "hidden_sheet_skipped"] == ["字典"]
    # a sheet asked for by name is read even when hidden; a missing one is an error
    assert [r.row["名称"] for r in read_table(xlsx(build), sheet="字典", known_headers=KNOWN)] == ["x"]
    assert [r.sheet for r in read_table(xlsx(build), sheet=2, known_headers=KNOWN)] == ["群组"]
    with pytest.raises(TableError) as err:
        list(read_table(xlsx(build), sheet="不存在", known_headers=KNOWN))
    assert err.value.code == "sheet_not_found" and "应用" in err.value.message_zh


def test_formula_without_cached_value_is_empty_and_reported():
    def build(wb):
        ws = wb.active
        ws.append(["应用名称", "主办单位", "用户数"])
        ws.append(["阳江通", "阳江市人民政府办公室", "=SUM(1,2)"])
        ws.append(["粤省事", '=""&"x"', 12])

    table = read_table(xlsx(build), name="f.xlsx", known_headers=KNOWN)
    rows = rows_of(table)
    assert rows[0][2]["用户数"] is None and rows[1][2]["主办单位"] is None
    problems = [p for p in table.problems if p.code == "formula_without_value"]
    assert {(p.column, tuple(p.rows)) for p in problems} == {("用户数", (2,)), ("主办单位", (3,))}
    assert "Excel/WPS" in problems[0].zh and "cached value" in problems[0].en


def test_vertically_merged_cells_are_filled_down():
    def build(wb):
        ws = wb.active
        ws.append(["应用名称", "主办单位"])
        ws.append(["阳江通", "阳江市人民政府办公室"])
        ws.append(["阳江通2", None])
        ws.append(["阳江通3", None])
        ws.append(["粤省事", "广东省政务服务数据管理局"])
        ws.merge_cells("B2:B4")

    table = read_table(xlsx(build), known_headers=KNOWN)
    assert [r.row["主办单位"] for r in table] == ["阳江市人民政府办公室"] * 3 + ["广东省政务服务数据管理局"]
    assert any(p.code == "merged_cells_filled" for p in table.problems)


def test_duplicate_and_blank_headers():
    def build(wb):
        ws = wb.active
        ws.append(["名称", "平台", None, "名称"])
        ws.append(["阳江发布", "微信", "stray", "重名"])

    table = read_table(xlsx(build), known_headers=KNOWN)
    (row,) = list(table)
    assert row.header == ["名称", "平台", "名称[2]"]
    assert row.row == {"名称": "阳江发布", "平台": "微信", "名称[2]": "重名"}
    codes = {(p.code, p.column) for p in table.problems}
    assert ("duplicate_header", "名称") in codes and ("data_without_header", "C") in codes


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

CSV_TEXT = "政务新媒体账号台账\n\n名称,平台,账号ID\n阳江发布,微信公众号,gh_abc\n“粤省事”,抖音,=\"0012\"\n"


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030"),
     ("utf-16", "utf-16")],
)
@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_encodings_and_delimiters(encoding, detected, delimiter):
    data = CSV_TEXT.replace(",", delimiter).encode(encoding)
    table = read_table(data, name="账号.csv", known_headers=KNOWN)
    assert (table.format, table.encoding, table.delimiter) == ("csv", detected, delimiter)
    assert rows_of(table) == [
        ("", 4, {"名称": "阳江发布", "平台": "微信公众号", "账号ID": "gh_abc"}),
        ("", 5, {"名称": "“粤省事”", "平台": "抖音", "账号ID": "0012"}),  # ="0012" unwrapped
    ]


def test_csv_row_numbers_count_records_and_multiline_cells(tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text('群名称,平台,群成员数\n"防汛\n工作群",微信,30\n\n群名称,平台,群成员数\n秋收群,钉钉,12\n',
                    encoding="utf-8")
    table = read_table(path, known_headers=KNOWN)
    assert [(r.row_number, r.row["群名称"]) for r in table] == [(2, "防汛\n工作群"), (5, "秋收群")]


def test_large_csv_from_disk_streams(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("应用名称,主办单位\n")
        for i in range(100_000):
            fh.write(f"应用{i},单位{i}\n")
    table = read_table(path, known_headers=KNOWN)
    first = next(iter(table))
    assert first.row == {"应用名称": "应用0", "主办单位": "单位0"}
    assert sum(1 for _ in read_table(path, known_headers=KNOWN)) == 100_000


def test_without_known_headers_the_first_text_row_is_the_header():
    data = "Huawei AppGallery export 2026-11-01\npackage,name,version\ncn.gov.yj,阳江通,1.2\n".encode()
    table = read_table(data, name="huawei.csv")
    assert [(r.row_number, r.row) for r in table] == [(3, {"package": "cn.gov.yj", "name": "阳江通", "version": "1.2"})]


def test_csv_with_an_excel_name_is_read_but_noted():
    table = read_table("应用名称,主办单位\n阳江通,阳江市人民政府办公室\n".encode("gbk"), name="台账.xlsx", known_headers=KNOWN)
    assert table.format == "csv" and len(list(table)) == 1
    assert any(p.code == "extension_mismatch" for p in table.problems)


# --------------------------------------------------------------------------------------------
# Files that are not tables
# --------------------------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "empty.xlsx", "empty"),
        (b"\xef\xbb\xbf \r\n\r\n", "empty.csv", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "台账.xlsx", "pdf"),
        ("<html><head><meta charset='utf-8'></head><body><table><tr><td>应用名称</td></tr></table></body></html>"
         .encode(), "台账.xlsx", "html"),
        (b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>', "a.xls", "xml"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "Workbook".encode("utf-16-le") + b"\x07" * 300,
         "old.xls", "xls"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 100, "pw.xlsx",
         "encrypted"),
        (b"\x00\x01\x02garbage\x00\xff" * 50, "noise.xlsx", "binary"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "scan.xlsx", "image"),
        (_zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<w/>"}), "doc.xlsx", "docx"),
        (_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "a.ods.xlsx", "ods"),
        (b"PK\x03\x04" + b"\x00" * 100, "truncated.xlsx", "corrupt"),
    ],
    ids=["empty", "bom-only", "pdf", "html", "xml2003", "xls", "encrypted", "binary", "image", "docx", "ods",
         "truncated-zip"],
)
def test_files_that_are_not_tables_are_refused_clearly(data, name, code):
    with pytest.raises(TableError) as err:
        list(read_table(data, name=name, known_headers=KNOWN))
    assert err.value.code == code
    if code != "empty":
        assert "文件不是有效的 Excel/CSV" in err.value.message_zh
        assert "not a valid Excel/CSV" in err.value.message_en
    assert err.value.message_zh in str(err.value) and err.value.message_en in str(err.value)


def test_workbook_with_empty_sheets_only_is_empty():
    with pytest.raises(TableError) as err:
        list(read_table(xlsx(lambda wb: wb.create_sheet("Sheet2")), known_headers=KNOWN))
    assert err.value.code == "empty"


def test_no_recognisable_header():
    data = xlsx(lambda wb: [wb.active.append(r) for r in (["统计表"], ["甲", "乙", "丙"], [1, 2, 3])])
    with pytest.raises(TableError) as err:
        list(read_table(data, known_headers=KNOWN))
    assert err.value.code == "no_header" and "表头" in err.value.message_zh and "header" in err.value.message_en


def test_undecodable_text():
    with pytest.raises(TableError) as err:
        read_table(b"\xd3\xa6\xd3\xc3,\x80\xff\xfe\n", name="x.csv")
    assert err.value.code == "encoding"


# --------------------------------------------------------------------------------------------
# Header and cell text helpers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "key"),
    [("应用名称", "应用名称"), ("应用名称\n（必填）", "应用名称"), ("＊ 应用 名称 ", "应用名称"),
     ("应用名称*", "应用名称"), ("【必填】应用名称", "应用名称"), ("应用名称：", "应用名称"),
     ("App Store ID", "appstoreid"), ("ＡＰＰ名称", "app名称"), ("应用名称必填", "应用名称")],
)
def test_normalise_header(header, key):
    assert normalise_header(header) == key


def test_header_variants_drop_trailing_notes_last():
    assert header_variants("上线时间（格式：2024-01-01）") == ("上线时间(格式:2024-01-01)", "上线时间")
    assert header_variants("统一社会信用代码\n(18位)*") == ("统一社会信用代码(18位)", "统一社会信用代码")
    assert header_variants("  ") == ()
    assert display_header("应用\n名称") == "应用名称" and display_header("App\nStore ID") == "App Store ID"


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, None), ("", None), ("  ", None), (12.0, "12"), (0.5, "0.5"), (7, "7"), (True, "TRUE"),
     (1.1441700007280421e17, "1.1441700007280421e+17"), (123456789012345.0, "123456789012345"),
     (dt.datetime(2024, 3, 1), "2024-03-01"), (dt.datetime(2024, 3, 1, 8, 30, 5, 7), "2024-03-01 08:30:05"),
     (dt.date(2024, 3, 1), "2024-03-01"), ("91440300MA5XXXXX", "91440300MA5XXXXX"), (float("nan"), None)],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_imprecise_numbers():
    assert is_imprecise_number(1.1441700007280421e17) and is_imprecise_number(1e15)
    assert not is_imprecise_number(123456789012345.0) and not is_imprecise_number(114417000072804208)
