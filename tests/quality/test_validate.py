"""Validation of staged batches on SQLite and PostgreSQL: quarantine, gate, promotion, report, Data Docs."""

from __future__ import annotations

import datetime as dt

import openpyxl
import sqlalchemy as sa
from tests.quality.helpers import ACCOUNT_HEADER, APP_HEADER, account_row, app_csv, app_row, csv_bytes, import_staged
from tests.store_templates import store_engine_fixtures

from fingertip.quality.validate import validate_batch
from fingertip.store import schema

HOSTILE_FORMULA = "=cmd|'/c calc'!A1"
HOSTILE_HTML = "<script>alert(1)</script>"
TODAY = dt.date(2026, 11, 23)


# one migrated store per backend for the module, empty per test (tests/store_templates.py)
_migrated_store, store_engine = store_engine_fixtures()
_import = import_staged


def _quarantine(engine, batch_id):
    with engine.connect() as c:
        return c.execute(sa.select(schema.quarantined_rows).where(schema.quarantined_rows.c.batch_id == batch_id)
                         .order_by(schema.quarantined_rows.c.row_number)).mappings().all()


def _batch(engine, batch_id):
    with engine.connect() as c:
        return c.execute(sa.select(schema.import_batches).where(schema.import_batches.c.id == batch_id)).mappings().one()


def test_quarantine_reasons_and_hostile_values_verbatim(store_engine, tmp_path):
    # 60 rows, 2 bad (3.3 %): the batch passes the 5 % gate
    data = app_csv(60, {4: {4: HOSTILE_FORMULA}, 9: {3: HOSTILE_HTML, 5: "999999"}})
    batch_id = _import(store_engine, tmp_path, "应用台账.csv", data)
    v = validate_batch(store_engine, batch_id, today=TODAY)
    assert v.status == "promoted", v.message
    assert (v.row_count, v.bad_rows, v.good_rows) == (60, 2, 58)
    rows = _quarantine(store_engine, batch_id)
    by_row = {}
    for r in rows:
        by_row.setdefault(r["row_number"], []).append(r)
    assert set(by_row) == {6, 11}  # header is row 1
    credit = [r for r in by_row[6] if "valid_uscc" in r["expectation"]]
    assert credit and credit[0]["raw_value"] == HOSTILE_FORMULA and credit[0]["column_name"] == "统一社会信用代码"
    assert "统一社会信用代码" in credit[0]["reason_zh"] and "credit code" in credit[0]["reason_en"]
    assert credit[0]["raw_row"]["统一社会信用代码"] == HOSTILE_FORMULA
    division = [r for r in by_row[11] if "division" in r["expectation"]]
    assert division[0]["raw_value"] == "999999" and "行政区划代码" in division[0]["reason_zh"]
    assert by_row[11][0]["raw_row"]["主办单位"] == HOSTILE_HTML  # stored verbatim, escaped only on output
    # report: a reason column per row, no formula cell anywhere
    assert v.report_path and v.report_path.endswith(".xlsx")
    wb = openpyxl.load_workbook(v.report_path.replace("file://", ""))
    ws = wb.worksheets[1]
    header = [c.value for c in ws[1]]
    assert header[0] == "行号" and header[-1] == "问题说明" and "统一社会信用代码" in header
    reasons = [ws.cell(row=r, column=len(header)).value for r in range(2, ws.max_row + 1)]
    assert reasons[0].startswith("第6行：") and reasons[1].startswith("第11行：")
    assert ws.freeze_panes == "B2"
    values = [c.value for row in ws.iter_rows() for c in row]
    assert HOSTILE_FORMULA in values and HOSTILE_HTML in values
    assert all(c.data_type != "f" for wsx in wb.worksheets for row in wsx.iter_rows() for c in row)
    with store_engine.connect() as c:
        doc = c.execute(sa.select(schema.documents.c.path).where(schema.documents.c.doc_kind == "quality_rejection_report")
                        ).scalar_one()
    assert doc == v.report_path


def test_gate_by_share(store_engine, tmp_path):
    data = app_csv(20, {1: {5: "000001"}, 2: {5: "000002"}})  # 10 % bad
    batch_id = _import(store_engine, tmp_path, "a.csv", data)
    v = validate_batch(store_engine, batch_id, today=TODAY)
    assert v.status == "rejected" and not v.critical_failures
    b = _batch(store_engine, batch_id)
    assert b["status"] == "rejected" and "5.0%" in b["message"] and "退回" in b["message"]
    assert "rejected" in b["message"]
    with store_engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(schema.apps)).scalar_one() == 0
        assert c.execute(sa.select(sa.func.count()).select_from(schema.sponsors)).scalar_one() == 0
    assert len(_quarantine(store_engine, batch_id)) == 2  # reasons kept for the report
    # a looser gate for the same batch promotes it (the share is configurable per call)
    v2 = validate_batch(store_engine, batch_id, today=TODAY, max_bad_share=0.2)
    assert v2.status == "promoted" and v2.promoted["apps"] == 18


def test_gate_by_critical_expectation(store_engine, tmp_path):
    # one credit code mangled by Excel into a float: 1 row of 50, but the column is unfit → whole batch rejected
    data = app_csv(50, {3: {4: "1.14417000072804E+17"}})
    batch_id = _import(store_engine, tmp_path, "b.csv", data)
    v = validate_batch(store_engine, batch_id, today=TODAY)
    assert v.status == "rejected" and v.critical_failures
    assert "科学计数法" in v.message_zh and "Excel" in v.message_en


def test_missing_required_column_is_critical(store_engine, tmp_path):
    header = [h for h in APP_HEADER if h != "行政区划代码"]
    rows = [[c for h, c in zip(APP_HEADER, app_row(i), strict=True) if h != "行政区划代码"] for i in range(1, 11)]
    batch_id = _import(store_engine, tmp_path, "c.csv", csv_bytes(header, rows))
    v = validate_batch(store_engine, batch_id, today=TODAY)
    assert v.status == "rejected"
    assert any("行政区划代码" in c["reason_zh"] for c in v.critical_failures)


def test_promotion_history_and_idempotency(store_engine, tmp_path):
    batch_id = _import(store_engine, tmp_path, "d.csv", app_csv(10))
    v = validate_batch(store_engine, batch_id, today=TODAY)
    assert v.status == "promoted" and v.promoted == {"sponsors": 10, "apps": 10}
    with store_engine.connect() as c:
        apps = c.execute(sa.select(schema.apps)).mappings().all()
        hist = c.execute(sa.select(sa.func.count()).select_from(schema.inventory_history)).scalar_one()
    assert len(apps) == 10 and hist == 20
    assert all(a["source"] == "import:d.csv" and len(a["request_fingerprint"]) == 64 for a in apps)
    assert {a["kind"] for a in apps} == {"app", "mini_program"}
    # validating again: no duplicate quarantine or history, same inventory
    q_before = len(_quarantine(store_engine, batch_id))
    v2 = validate_batch(store_engine, batch_id, today=TODAY)
    assert v2.status == "promoted" and v2.history_rows == 0
    with store_engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(schema.inventory_history)).scalar_one() == 20
        assert c.execute(sa.select(sa.func.count()).select_from(schema.apps)).scalar_one() == 10
    assert len(_quarantine(store_engine, batch_id)) == q_before
    # a later batch changes one app's launch date and one sponsor's name: history keeps old → new
    data = app_csv(10, {0: {7: "2022-02-02", 3: "第1号主办单位（更名）"}})
    batch2 = _import(store_engine, tmp_path, "e.csv", data + b"\r\n")
    v3 = validate_batch(store_engine, batch2, today=TODAY)
    assert v3.status == "promoted"
    with store_engine.connect() as c:
        h = {(r.table_name, r.record_key): r.changes for r in c.execute(
            sa.select(schema.inventory_history).where(schema.inventory_history.c.batch_id == batch2))}
        assert c.execute(sa.select(sa.func.count()).select_from(schema.apps)).scalar_one() == 10
    assert len(h) == 2
    app_change = next(ch for (t, _), ch in h.items() if t == "apps")
    assert app_change["launched_on"] == ["2023-02-15", "2022-02-02"]
    sponsor_change = next(ch for (t, _), ch in h.items() if t == "sponsors")
    assert sponsor_change["name"] == ["第1号主办单位", "第1号主办单位（更名）"]  # verbatim (issue 14 item 16)


def test_accounts_duplicates_and_conflict_with_store(store_engine, tmp_path):
    rows = [account_row(i) for i in range(1, 41)]
    rows.append(list(rows[5]))  # exact duplicate → only the copy is flagged
    batch_id = _import(store_engine, tmp_path, "账号.csv", csv_bytes(ACCOUNT_HEADER, rows))
    v = validate_batch(store_engine, batch_id, today=TODAY)
    assert v.status == "promoted" and v.bad_rows == 1
    (dup,) = _quarantine(store_engine, batch_id)
    assert dup["row_number"] == 42 and "first_occurrence" in dup["expectation"]
    # another unit claims account 7 under its own credit code → conflict with the stored inventory
    other = account_row(7)
    other[5] = account_row(8)[5]
    other[4] = "另一单位"
    rows2 = [account_row(i) for i in range(100, 130)] + [other]
    batch2 = _import(store_engine, tmp_path, "账号2.csv", csv_bytes(ACCOUNT_HEADER, rows2))
    v2 = validate_batch(store_engine, batch2, today=TODAY)
    assert v2.bad_rows == 1
    (conflict,) = _quarantine(store_engine, batch2)
    assert "match_reference" in conflict["expectation"] and "另一主办单位" in conflict["reason_zh"]


def test_data_docs_index(store_engine, tmp_path, _outputs):
    from fingertip.config import output_path
    from fingertip.quality.suites import build_data_docs, load_results

    batch_id = _import(store_engine, tmp_path, "f.csv", app_csv(5))
    validate_batch(store_engine, batch_id, today=TODAY)
    results = list(output_path("quality").glob("*/gx_result_*.json"))
    assert results
    assert load_results(results) == len(results)
    index = build_data_docs()
    # the data_docs task's result: the URL under the outputs location, not this machine's path
    assert index == str(output_path("quality", "data_docs", "index.html")) and index.startswith("file://")
    html = (_outputs / "quality" / "data_docs" / "index.html").read_text(encoding="utf-8")
    assert "inventory_app" in html


def test_apple_track_id_unique_against_store_and_batch(store_engine, tmp_path):
    header = APP_HEADER + ["App Store ID", "安卓包名"]
    rows = [app_row(i) + [str(1000 + i), f"cn.gov.app{i}"] for i in range(1, 31)]
    batch_id = _import(store_engine, tmp_path, "g.csv", csv_bytes(header, rows))
    assert validate_batch(store_engine, batch_id, today=TODAY).bad_rows == 0
    # a different app (another name) claiming track id 1001, and a package repeated within the file
    rows2 = [app_row(i) + [str(5000 + i), f"cn.gov.other{i}"] for i in range(100, 130)]
    rows2[0][-2] = "1001"
    rows2[1][-1] = rows2[2][-1]
    batch2 = _import(store_engine, tmp_path, "h.csv", csv_bytes(header, rows2))
    v = validate_batch(store_engine, batch2, today=TODAY, max_bad_share=0.1)
    assert v.status == "promoted" and v.bad_rows == 2
    kinds = {r["row_number"]: r["expectation"] for r in _quarantine(store_engine, batch2)}
    assert "match_reference(apple_track_id,_natural_key)" in kinds[2]
    assert "first_occurrence(package_name)" in kinds[4]


def test_rows_of_apps_already_in_the_inventory_update_them_in_place(store_engine, tmp_path):
    """A spreadsheet rarely carries the inventory's own key: the stored app is found by its sponsor,
    kind and name (or Apple id / package) and updated, never inserted a second time."""
    from tests.quality.helpers import credit

    prov = {"source": "sample-generator:x", "fetched_at": dt.datetime(2026, 11, 1),
            "request_fingerprint": "0" * 64}
    with store_engine.begin() as c:
        sid = c.execute(sa.insert(schema.sponsors).values(
            credit_code=credit(1), name="第1号主办单位", division_code="440100", level="county", nature="机关",
            **prov)).inserted_primary_key[0]
        c.execute(sa.insert(schema.apps).values(app_key="app-440100-0000001", name="政务服务应用1", kind="mini_program",
                                           sponsor_id=sid, division_code="440100", has_complaint_channel=True,
                                           **prov))
    batch_id = _import(store_engine, tmp_path, "known.csv", app_csv(3))
    v = validate_batch(store_engine, batch_id, today=TODAY)
    assert v.status == "promoted"
    with store_engine.connect() as c:
        apps = {a["name"]: a for a in c.execute(sa.select(schema.apps)).mappings()}
    assert len(apps) == 3  # 1 updated in place + 2 new
    known = apps["政务服务应用1"]
    assert known["app_key"] == "app-440100-0000001" and known["has_complaint_channel"] is False
    assert known["source"] == "import:known.csv"


def test_a_file_without_some_columns_never_erases_what_the_inventory_knows(store_engine, tmp_path):
    from tests.quality.helpers import credit

    prov = {"source": "sample-generator:x", "fetched_at": dt.datetime(2026, 11, 1),
            "request_fingerprint": "0" * 64}
    with store_engine.begin() as c:
        sid = c.execute(sa.insert(schema.sponsors).values(
            credit_code=credit(1), name="第1号主办单位", division_code="440100", level="township", nature="事业单位",
            **prov)).inserted_primary_key[0]
        c.execute(sa.insert(schema.apps).values(app_key="app-known", name="政务服务应用1", kind="mini_program",
                                           sponsor_id=sid, division_code="440100", description="掌上办事",
                                           mini_program_id="wx0123456789abcdef", user_scale=5000, **prov))
    batch_id = _import(store_engine, tmp_path, "partial.csv", app_csv(1))  # no description/id/users columns
    assert validate_batch(store_engine, batch_id, today=TODAY).status == "promoted"
    with store_engine.connect() as c:
        app = c.execute(sa.select(schema.apps)).mappings().one()
        sponsor = c.execute(sa.select(schema.sponsors)).mappings().one()
    assert (app["description"], app["mini_program_id"], app["user_scale"]) == ("掌上办事", "wx0123456789abcdef", 5000)
    assert (sponsor["level"], sponsor["nature"]) == ("township", "事业单位")  # not replaced by derived defaults


def test_same_named_groups_of_a_unit_are_never_confused(store_engine):
    """Two temporary groups of one unit may share a name; a spreadsheet row is matched by its opening
    date too, and a row matching several stored groups adopts none (it would overwrite another)."""
    from tests.quality.helpers import credit

    from fingertip.quality.promote import _adopt_stored_keys

    prov = {"source": "sample-generator:x", "fetched_at": dt.datetime(2026, 11, 1), "request_fingerprint": "0" * 64}
    with store_engine.begin() as c:
        sid = c.execute(sa.insert(schema.sponsors).values(
            credit_code=credit(1), name="第1号主办单位", division_code="230110", level="county", nature="机关",
            **prov)).inserted_primary_key[0]
        for key, opened, ends in (("grp-a", dt.date(2020, 7, 11), dt.date(2026, 8, 21)),
                                  ("grp-b", dt.date(2024, 12, 11), dt.date(2026, 1, 21))):
            c.execute(sa.insert(schema.work_groups).values(
                group_key=key, platform="wechat", name="香坊卫健迎检工作临时群", sponsor_id=sid, division_code="230110",
                is_temporary=True, opened_on=opened, task_ends_on=ends, **prov))
    row = {"group_key": "derived-1", "sponsor_id": sid, "platform": "wechat", "name": "香坊卫健迎检工作临时群",
           "opened_on": dt.date(2024, 12, 11)}
    identities = [("sponsor_id", "platform", "name", "opened_on"), ("sponsor_id", "platform", "name")]
    with store_engine.connect() as c:
        adopted = _adopt_stored_keys(c, schema.work_groups, {"derived-1": row}, "group_key", identities)
        assert list(adopted) == ["grp-b"]
        unknown = {**row, "opened_on": dt.date(2025, 1, 1)}
        assert list(_adopt_stored_keys(c, schema.work_groups, {"derived-1": unknown}, "group_key", identities)) == [
            "derived-1"]
