"""Issue 14, intake side: hostile names quarantined with a specific reason, multi-sheet quarantine
identity, names verbatim on promotion, specific reasons from the identifier checkers.

SQLite and PostgreSQL (``STORE_BACKENDS``). Expected check characters come from python-stdnum and the
GB 11714 weights written out here, not from ``fingertip.identifiers``.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import sqlalchemy as sa
from stdnum.cn import uscc
from tests.quality.helpers import APP_HEADER, app_csv, app_row, import_staged
from tests.store_templates import store_engine_fixtures

from fingertip.quality.validate import validate_batch
from fingertip.store import schema

TODAY = dt.date(2026, 11, 23)
# APP_HEADER columns
NAME, SPONSOR, CREDIT, DIVISION, FILING = 1, 3, 4, 5, 6


_migrated_store, store_engine = store_engine_fixtures()
_import = import_staged


def _quarantine(engine, batch_id):
    q = schema.quarantined_rows
    with engine.connect() as c:
        return c.execute(sa.select(q).where(q.c.batch_id == batch_id).order_by(q.c.sheet, q.c.row_number)
                         ).mappings().all()


def _failing(rows, row_number, word):
    return [r for r in rows if r["row_number"] == row_number and word in r["expectation"]]


# -- items 2/3: control and bidi characters in names -------------------------------------------------

def test_control_and_bidi_characters_in_names_are_quarantined_with_position_code_point_and_fix(store_engine, tmp_path):
    data = app_csv(60, {
        2: {NAME: "政务\x07服务"},               # C0 (BEL) in the app name, 3rd character
        5: {SPONSOR: "某市\u202e局办公室"},        # RIGHT-TO-LEFT OVERRIDE in the sponsor name
        8: {NAME: "掌上\u2066办事\u2069"},         # bidi isolates
    })
    batch_id = _import(store_engine, tmp_path, "hostile.csv", data)
    v = validate_batch(store_engine, batch_id, today=TODAY)
    assert v.status == "promoted", v.message  # 3 of 60 rows: the good rows are kept
    assert (v.bad_rows, v.good_rows) == (3, 57)
    rows = _quarantine(store_engine, batch_id)
    bel = _failing(rows, 4, "forbidden")
    assert len(bel) == 1 and bel[0]["raw_value"] == "政务\x07服务"  # verbatim, escaped only on output
    assert "第 3 个字符" in bel[0]["reason_zh"] and "U+0007" in bel[0]["reason_zh"] and "删除" in bel[0]["reason_zh"]
    assert "应用名称" in bel[0]["reason_zh"] and "U+0007" in bel[0]["reason_en"]
    rlo = _failing(rows, 7, "forbidden")
    assert len(rlo) == 1 and "U+202E" in rlo[0]["reason_zh"] and "双向文本控制字符" in rlo[0]["reason_zh"]
    assert "主办单位" in rlo[0]["reason_zh"] and "第 3 个字符" in rlo[0]["reason_zh"]
    iso = _failing(rows, 10, "forbidden")
    assert len(iso) == 1 and "U+2066" in iso[0]["reason_zh"] and "共 2 处" in iso[0]["reason_zh"]
    with store_engine.connect() as c:
        names = list(c.execute(sa.select(schema.apps.c.name)).scalars()) + \
            list(c.execute(sa.select(schema.sponsors.c.name)).scalars())
    assert len(names) == 57 + 57
    assert not any(ch in n for n in names for ch in "\x07\u202e\u2066\u2069")


# -- item 14: the quarantine identity includes the sheet ------------------------------------------

def _two_sheet_workbook(bad_row_index: int) -> bytes:
    wb = openpyxl.Workbook()
    for n, title in enumerate(("应用（省级）", "应用（市级）")):
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = title
        ws.append(APP_HEADER)
        for i in range(1, 41):
            row = app_row(100 * n + i)
            if i - 1 == bad_row_index:
                row[DIVISION] = "999999"  # no such division
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_two_sheets_with_a_bad_value_on_the_same_row_number_are_both_quarantined(store_engine, tmp_path):
    batch_id = _import(store_engine, tmp_path, "两个工作表.xlsx", _two_sheet_workbook(bad_row_index=4))
    v = validate_batch(store_engine, batch_id, today=TODAY)
    assert v.status == "promoted", v.message
    assert (v.row_count, v.bad_rows) == (80, 2)
    rows = [r for r in _quarantine(store_engine, batch_id) if "division" in r["expectation"]]
    assert [(r["sheet"], r["row_number"], r["raw_value"]) for r in rows] == [
        ("应用（市级）", 6, "999999"), ("应用（省级）", 6, "999999")]
    # reported: the rejection report has one sheet per submitted sheet, each with its row 6
    wb = openpyxl.load_workbook(v.report_path.replace("file://", ""))
    reported = {ws.title: [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
                for ws in wb.worksheets[1:]}
    assert sorted(reported) == ["应用（市级）", "应用（省级）"] and all(v == [6] for v in reported.values())
    # validating again replaces, never duplicates
    validate_batch(store_engine, batch_id, today=TODAY, write_report=False)
    assert len([r for r in _quarantine(store_engine, batch_id) if "division" in r["expectation"]]) == 2


# -- item 16: names verbatim on promotion, keys folded --------------------------------------------

def test_names_are_promoted_verbatim_and_only_keys_are_folded(store_engine, tmp_path):
    data = app_csv(10, {0: {NAME: "政务服务（移动版）", SPONSOR: "某市政务服务数据管理局（办）"}})
    batch_id = _import(store_engine, tmp_path, "a.csv", data)
    v = validate_batch(store_engine, batch_id, today=TODAY)
    assert v.status == "promoted", v.message
    with store_engine.connect() as c:
        apps = dict(c.execute(sa.select(schema.apps.c.name, schema.apps.c.app_key)).all())
        sponsors = set(c.execute(sa.select(schema.sponsors.c.name)).scalars())
    assert "政务服务（移动版）" in apps and "某市政务服务数据管理局（办）" in sponsors
    # the same app written with half-width brackets is the same record (the key folds the name)
    data2 = app_csv(10, {0: {NAME: "政务服务(移动版)", SPONSOR: "某市政务服务数据管理局（办）"}})
    batch2 = _import(store_engine, tmp_path, "b.csv", data2 + b"\r\n")
    v2 = validate_batch(store_engine, batch2, today=TODAY)
    assert v2.status == "promoted"
    with store_engine.connect() as c:
        after = dict(c.execute(sa.select(schema.apps.c.name, schema.apps.c.app_key)).all())
    assert len(after) == 10 and after["政务服务(移动版)"] == apps["政务服务（移动版）"]


# -- item 17: specific reasons with the fix ---------------------------------------------------------

def _org_check(body: str) -> str:
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    value = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, weights, strict=True))
    check = 11 - value % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def test_quarantine_reasons_name_the_specific_problem_and_the_fix(store_engine, tmp_path):
    good = app_row(5)[CREDIT]
    wrong18 = good[:17] + ("0" if good[17] != "0" else "1")
    body = app_row(6)[CREDIT][8:16]
    wrong17 = app_row(6)[CREDIT][:16] + ("0" if _org_check(body) != "0" else "1") + "Y"
    rows = {
        1: {FILING: "川ICP备2024012345号-1X"},      # 川 where filings use 蜀
        2: {FILING: "京ICP证030173号"},             # a licence number
        3: {FILING: "粤ICP备2024000003号-1X"},      # mini-program suffix on a native app (row 4: kind app? see below)
        4: {CREDIT: wrong18},
        5: {CREDIT: wrong17},
    }
    data = app_csv(200, rows)
    batch_id = _import(store_engine, tmp_path, "reasons.csv", data)
    v = validate_batch(store_engine, batch_id, today=TODAY)
    assert v.status == "promoted", v.message
    q = _quarantine(store_engine, batch_id)
    by_row = {r["row_number"]: r for r in q if "filing" in r["expectation"] or "valid_uscc" in r["expectation"]}
    assert "“川”" in by_row[3]["reason_zh"] and "“蜀”" in by_row[3]["reason_zh"] and "'蜀'" in by_row[3]["reason_en"]
    assert "许可证" in by_row[4]["reason_zh"] and "ICP备" in by_row[4]["reason_zh"] and "licence" in by_row[4]["reason_en"]
    kind_of_row4 = app_row(4)[2]  # "原生应用" for even i: a native app must end in A
    assert kind_of_row4 == "原生应用"
    assert "原生应用" in by_row[5]["reason_zh"] and "A 结尾" in by_row[5]["reason_zh"]
    assert f"应为“{uscc.calc_check_digit(wrong18[:17])}”" in by_row[6]["reason_zh"] and "第 18 位" in by_row[6]["reason_zh"]
    assert f"应为“{_org_check(body)}”" in by_row[7]["reason_zh"] and "第 17 位" in by_row[7]["reason_zh"]
