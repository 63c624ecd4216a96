"""Inbox import on SQLite and PostgreSQL: staging, rejection, duplicates, crash-resume, reports."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile

import openpyxl
import pytest
import sqlalchemy as sa

from fingertip.inventory import importer
from fingertip.inventory.importer import import_file, process_inbox, scan_inbox, summarise
from fingertip.store import ops, schema

from .workbooks import (
    ACCOUNT_HEADER,
    ACCOUNT_ROWS,
    GROUP_HEADER,
    GROUP_ROWS,
    csv_bytes,
    three_entity_workbook,
    workbook_bytes,
)

RECEIVED = dt.datetime(2026, 11, 2, 9, 30)


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def drop(inbox, name: str, data: bytes):
    path = inbox / name
    path.write_bytes(data)
    return path


def batches(engine):
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(schema.import_batches).order_by(schema.import_batches.c.id)).mappings()]


def staged(engine, batch_id=None):
    t = schema.inventory_staging
    query = sa.select(t).order_by(t.c.sheet, t.c.row_number)
    if batch_id is not None:
        query = query.where(t.c.batch_id == batch_id)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def counts(engine):
    with engine.connect() as conn:
        return ops.table_counts(conn)


def test_workbook_with_three_entity_types_is_staged(store_engine, inbox):
    path = drop(inbox, "阳江市台账.xlsx", three_entity_workbook())
    checksum = hashlib.sha256(path.read_bytes()).hexdigest()
    result = import_file(store_engine, path, submitting_unit="阳江市委网信办", received_at=RECEIVED)

    assert result.status == "staged" and not result.resumed
    assert result.row_count == 6
    assert result.rows_by_entity_type == {"app": 2, "account": 3, "work_group": 1}
    (batch,) = batches(store_engine)
    assert batch["id"] == result.batch_id and batch["checksum"] == checksum
    assert batch["status"] == "staged" and batch["row_count"] == 6 and batch["entity_type"] is None
    assert batch["submitting_unit"] == "阳江市委网信办" and batch["received_at"] == RECEIVED
    assert batch["file_name"] == "阳江市台账.xlsx"
    assert "已暂存 6 行" in batch["message"] and "6 rows staged" in batch["message"]

    rows = staged(store_engine, result.batch_id)
    assert sorted((r["sheet"], r["row_number"], r["entity_type"]) for r in rows) == sorted([
        ("应用", 4, "app"), ("应用", 7, "app"),
        ("账号", 2, "account"), ("账号", 3, "account"), ("账号", 4, "account"),
        ("群组", 2, "work_group"),
    ])
    by_key = {(r["sheet"], r["row_number"]): r for r in rows}

    app = by_key[("应用", 4)]
    assert app["data"] == {
        "name": "阳江通", "kind": "原生应用", "sponsor_name": "阳江市人民政府办公室",
        "sponsor_credit_code": "11441700007280420Y", "division_code": "441700",
        "filing_number": "粤ICP备2024012345号-1A", "launched_on": "2024-03-01", "apple_track_id": "1000000001",
        "package_name": "cn.gov.yangjiang", "has_complaint_channel": "是",
    }
    # raw keeps the submitted headers (and unknown columns); running numbers are not data
    assert app["raw"]["应用名称（必填）"] == "阳江通" and app["raw"]["建设说明"] == "便民服务"
    assert app["raw"]["序号"] == "1" and "seq" not in app["data"]
    payload = json.dumps(app["raw"], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert app["request_fingerprint"] == hashlib.sha256(payload.encode()).hexdigest()

    mini = by_key[("应用", 7)]
    assert mini["data"]["sponsor_credit_code"] == "1.144170000728042e+17"  # lost digits: the validator rejects
    assert mini["data"]["division_code"] == "441700" and mini["data"]["apple_track_id"] is None
    assert by_key[("账号", 2)]["data"] == {
        "name": "阳江发布", "platform": "微信公众号", "platform_account_id": "gh_0123456789ab",
        "sponsor_name": "中共阳江市委宣传部", "opened_on": "2015-06-01", "has_interaction_channel": "有",
    }
    assert by_key[("群组", 2)]["data"]["is_temporary"] == "是"
    assert by_key[("群组", 2)]["data"]["member_count"] == "48"

    # the file left the inbox for processed/, with its report beside it
    assert not path.exists()
    moved = inbox.parent / "processed" / "阳江市台账.xlsx"
    report_file = inbox.parent / "processed" / "阳江市台账.xlsx.report.json"
    assert moved.read_bytes() and result.moved_to == str(moved) and result.report_path == str(report_file)
    assert batches(store_engine)[0]["report_path"] == str(report_file)
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report == json.loads(json.dumps(result.report, ensure_ascii=False, default=str))
    assert report["status"] == "staged" and report["batch_id"] == result.batch_id
    assert report["checksum_sha256"] == checksum and report["format"] == "xlsx"
    assert report["received_at"] == "2026-11-02T09:30:00" and report["submitting_unit"] == "阳江市委网信办"
    assert report["rows_by_entity_type"] == {"app": 2, "account": 3, "work_group": 1}
    sheets = {sh["sheet"]: sh for sh in report["sheets"]}
    assert {n: (sh["entity_type"], sh["rows_staged"]) for n, sh in sheets.items()} == {
        "应用": ("app", 2), "账号": ("account", 3), "群组": ("work_group", 1)}
    assert sheets["应用"]["header_row"] == 3 and sheets["应用"]["title"] == "阳江市政务应用程序台账（2026年）"
    assert sheets["应用"]["skipped_rows"] == {"blank": 2, "repeated_header": 1}
    assert sheets["应用"]["columns"]["应用名称（必填）"] == "name"
    assert report["unknown_columns"] == [{"sheet": "应用", "column": "建设说明"}]
    problems = {(p["code"], p.get("column")): p for p in report["problems"]}
    assert problems[("imprecise_number", "统一社会信用代码")]["rows"] == [7]
    assert ("repeated_header_skipped", None) in problems
    assert report["message"]["zh"].startswith("已暂存 6 行") and report["message"]["en"].startswith("6 rows staged")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_accounts_in_every_encoding(store_engine, inbox, encoding):
    data = csv_bytes(ACCOUNT_HEADER, ACCOUNT_ROWS, encoding=encoding)
    result = import_file(store_engine, drop(inbox, "新媒体.csv", data))
    assert result.status == "staged" and result.rows_by_entity_type == {"account": 3}
    assert result.report["encoding"] in ("utf-8", "utf-8-sig", "gb18030")
    rows = staged(store_engine)
    assert [r["sheet"] for r in rows] == ["", "", ""] and [r["row_number"] for r in rows] == [2, 3, 4]
    assert rows[2]["data"]["platform"] == "新浪微博" and rows[2]["data"]["name"] == "阳江政务"
    assert batches(store_engine)[0]["entity_type"] == "account"


def test_synonyms_markers_and_formulas(store_engine, inbox):
    def build(wb):
        ws = wb.active
        ws.title = "Sheet1"
        ws.append(["序号", "APP名称\n(必填)", "形态", "主管单位", "运营单位", "信用代码*", "区划代码",
                   "ICP备案号", "启用时间", "苹果ID", "包名", "投诉入口", "功能清单", "注册用户数（万）"])
        ws.append([1, "ＹＪ通", "APP", "阳江市政数局", "某科技公司", "11441700007280420Y", "441700",
                   "粤ICP备2024012345号-1A", 45352, "1000000001", "cn.gov.yj", "有", "办事；查询", "=1+1"])

    result = import_file(store_engine, drop(inbox, "apps.xlsx", workbook_bytes(build)), entity_type=None)
    assert result.status == "staged"
    (row,) = staged(store_engine)
    assert row["entity_type"] == "app"
    data = row["data"]
    assert data["name"] == "ＹＪ通"  # names verbatim (issue 14 item 16); keys fold them
    assert data["sponsor_credit_code"] == "11441700007280420Y"  # other cells NFKC text
    assert data["kind"] == "APP" and data["sponsor_name"] == "阳江市政数局"
    assert data["sponsor_credit_code"] == "11441700007280420Y" and data["launched_on"] == "45352"
    assert data["user_scale"] is None  # formula never calculated
    assert row["raw"]["运营单位"] == "某科技公司"  # the second sponsor column is kept raw only
    codes = {(p["code"], p.get("column")) for p in result.report["problems"]}
    assert ("duplicate_column", "运营单位") in codes
    assert ("formula_without_value", "注册用户数（万）") in codes


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("empty.xlsx", b"", "empty"),
        ("台账.xlsx", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "pdf"),
        ("台账.xls", "<html><body><table><tr><td>应用名称</td></tr></table></body></html>".encode(), "html"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00\x13garbage" * 64, "xls"),
        ("header-only.csv", "应用名称,主办单位\n".encode(), "no_rows"),
        ("no-header.csv", "甲,乙\n1,2\n".encode(), "no_header"),
        ("what.csv", "名称,主办单位\n某某,某单位\n".encode(), "entity_type_unknown"),
    ],
)
def test_unreadable_files_are_rejected(store_engine, inbox, name, data, code):
    path = drop(inbox, name, data)
    result = import_file(store_engine, path, received_at=RECEIVED)
    assert result.status == "rejected" and result.row_count == 0
    (batch,) = batches(store_engine)
    assert batch["status"] == "rejected" and batch["row_count"] == 0 and batch["id"] == result.batch_id
    assert result.message_zh in batch["message"] and result.message_en in batch["message"]
    assert staged(store_engine) == []
    assert not path.exists()
    report = json.loads((inbox.parent / "rejected" / f"{name}.report.json").read_text(encoding="utf-8"))
    assert report["status"] == "rejected" and report["error"]["code"] == code
    assert report["message"] == {"zh": result.message_zh, "en": result.message_en}
    assert (inbox.parent / "rejected" / name).read_bytes() == data
    if code in ("pdf", "html", "xls"):
        assert "文件不是有效的 Excel/CSV" in result.message_zh and "not a valid Excel/CSV" in result.message_en


def test_a_workbook_damaged_midway_is_rejected_and_nothing_stays_staged(store_engine, inbox):
    good = three_entity_workbook()
    src = zipfile.ZipFile(io.BytesIO(good))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":  # the 账号 sheet: cut in the middle
                content = content[: len(content) // 2]
            out.writestr(item, content)
    result = import_file(store_engine, drop(inbox, "damaged.xlsx", buf.getvalue()))
    assert result.status == "rejected" and result.report["error"]["code"] == "corrupt"
    assert staged(store_engine) == []  # the first sheet's rows were rolled back with the batch
    assert [b["status"] for b in batches(store_engine)] == ["rejected"]
    assert all(sh["rows_staged"] == 0 for sh in result.report["sheets"])


def test_the_same_file_twice_is_a_duplicate(store_engine, inbox):
    data = three_entity_workbook()
    first = import_file(store_engine, drop(inbox, "台账.xlsx", data))
    before = counts(store_engine)
    second_path = drop(inbox, "台账.xlsx", data)  # sent again, same name
    second = import_file(store_engine, second_path)
    assert second.status == "duplicate" and second.duplicate_of == first.batch_id and second.batch_id is None
    assert counts(store_engine) == before  # nothing new in the store
    assert not second_path.exists()
    report = json.loads((inbox.parent / "rejected" / "台账.xlsx.report.json").read_text(encoding="utf-8"))
    assert report["status"] == "duplicate" and report["duplicate_of"] == first.batch_id
    assert f"批次 {first.batch_id}" in report["message"]["zh"] and "not imported again" in report["message"]["en"]
    # a third copy under another name: still a duplicate, filed under a free name
    third = import_file(store_engine, drop(inbox, "台账-重发.xlsx", data))
    fourth = import_file(store_engine, drop(inbox, "台账.xlsx", data))
    assert third.status == fourth.status == "duplicate" and counts(store_engine) == before
    assert fourth.moved_to.endswith(f"台账.{first.checksum[:8]}.xlsx")


def test_crash_between_staging_and_moving_is_resumed(store_engine, inbox, monkeypatch):
    data = csv_bytes(GROUP_HEADER, GROUP_ROWS)
    path = drop(inbox, "groups.csv", data)

    def crash(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(importer, "_move", crash)
    with pytest.raises(OSError):
        import_file(store_engine, path, received_at=RECEIVED)
    monkeypatch.undo()
    (batch,) = batches(store_engine)
    assert batch["status"] == "staged" and batch["report_path"] is None and path.exists()
    before = counts(store_engine)

    result = import_file(store_engine, path)
    assert result.resumed and result.status == "staged" and result.batch_id == batch["id"]
    assert result.row_count == 1 and result.rows_by_entity_type == {"work_group": 1}
    assert counts(store_engine) == before  # no new rows, no new batch
    assert not path.exists()
    moved = inbox.parent / "processed" / "groups.csv"  # the orphan report's name is reused
    assert moved.read_bytes() == data
    report = json.loads((inbox.parent / "processed" / "groups.csv.report.json").read_text(encoding="utf-8"))
    assert report["resumed"] is True and report["batch_id"] == batch["id"]
    assert report["received_at"] == "2026-11-02T09:30:00"
    assert report["sheets"][0]["rows_staged"] == 1
    assert batches(store_engine)[0]["report_path"] == result.report_path

    # once filed away, the same content again is an ordinary duplicate
    again = import_file(store_engine, drop(inbox, "groups.csv", data))
    assert again.status == "duplicate" and again.duplicate_of == batch["id"]


def test_worker_lost_after_the_file_was_filed_away_is_resumed(store_engine, inbox, monkeypatch):
    """A retried task finds its file already moved (the worker died between the move and recording
    the report path, or after both): it completes that batch instead of failing, and adds nothing."""
    data = csv_bytes(GROUP_HEADER, GROUP_ROWS)
    # an earlier, complete import of a different file with the same name (e.g. last month's ledger)
    older = import_file(store_engine, drop(inbox, "groups.csv", csv_bytes(GROUP_HEADER, GROUP_ROWS, encoding="gbk")))
    assert older.status == "staged"
    path = drop(inbox, "groups.csv", data)

    def lost(engine, batch_id, report_path):
        raise SystemExit("worker killed")

    monkeypatch.setattr(importer, "_set_report_path", lost)
    with pytest.raises(SystemExit):
        import_file(store_engine, path, received_at=RECEIVED)
    monkeypatch.undo()
    assert not path.exists()
    newest = batches(store_engine)[-1]
    assert newest["report_path"] is None and newest["id"] != older.batch_id
    before = counts(store_engine)

    retried = import_file(store_engine, path)
    assert retried.resumed and retried.batch_id == newest["id"] and retried.status == "staged"
    assert retried.rows_by_entity_type == {"work_group": 1} and retried.row_count == 1
    assert counts(store_engine) == before
    (row,) = [b for b in batches(store_engine) if b["id"] == newest["id"]]
    assert row["report_path"] == retried.report_path and retried.report_path.endswith(".report.json")
    assert pathlib_read(retried.moved_to) == data

    # the worker died after both steps: the retry reports the same batch again
    again = import_file(store_engine, path)
    assert again.resumed and again.batch_id == newest["id"] and counts(store_engine) == before

    with pytest.raises(FileNotFoundError, match="no earlier import"):
        import_file(store_engine, inbox / "never-delivered.csv")


def pathlib_read(path: str | None) -> bytes:
    from pathlib import Path

    assert path is not None
    return Path(path).read_bytes()


def test_import_without_moving_then_resume(store_engine, inbox):
    path = drop(inbox, "groups.csv", csv_bytes(GROUP_HEADER, GROUP_ROWS, encoding="gbk"))
    first = import_file(store_engine, path, move=False)
    assert first.status == "staged" and first.moved_to is None and path.exists()
    second = import_file(store_engine, path)
    assert second.resumed and second.batch_id == first.batch_id and not path.exists()
    assert len(staged(store_engine)) == 1


def test_rows_with_only_a_running_number_are_not_data(store_engine, inbox):
    def build(wb):
        ws = wb.active
        ws.append(["序号", "群名称", "平台"])
        ws.append([1, "值班群", "钉钉"])
        for i in range(2, 50):
            ws.append([i])

    result = import_file(store_engine, drop(inbox, "g.xlsx", workbook_bytes(build)))
    assert result.row_count == 1 and result.report["sheets"][0]["skipped_rows"] == {"blank": 48}


def test_scan_inbox_ignores_temporary_and_hidden_files(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    for name in ("b.xlsx", "a.csv", "~$b.xlsx", ".hidden.csv", "c.xlsx.part", "d.tmp", "Thumbs.db", "e.crdownload"):
        (inbox / name).write_bytes(b"x")
    assert [p.name for p in scan_inbox(inbox)] == ["a.csv", "b.xlsx"]
    assert [p.name for p in scan_inbox(str(inbox))] == ["a.csv", "b.xlsx"]
    assert scan_inbox(tmp_path / "missing") == []


def test_process_inbox_with_object_storage_paths(store_engine, tmp_path, monkeypatch):
    inbox = tmp_path / "drop" / "inbox"
    inbox.mkdir(parents=True)
    monkeypatch.setenv("FINGERTIP_INBOX_URL", inbox.as_uri())
    drop(inbox, "1-apps.xlsx", three_entity_workbook())
    drop(inbox, "2-bad.xlsx", b"%PDF-1.5 not a workbook")
    drop(inbox, "3-accounts.csv", csv_bytes(ACCOUNT_HEADER, ACCOUNT_ROWS, encoding="gbk"))
    drop(inbox, "~$1-apps.xlsx", b"lock")

    results = process_inbox(store_engine, received_at=RECEIVED)
    assert [(r.file_name, r.status) for r in results] == [
        ("1-apps.xlsx", "staged"), ("2-bad.xlsx", "rejected"), ("3-accounts.csv", "staged")]
    assert results[0].moved_to.startswith("file://")
    assert sorted(p.name for p in (tmp_path / "drop" / "processed").iterdir()) == [
        "1-apps.xlsx", "1-apps.xlsx.report.json", "3-accounts.csv", "3-accounts.csv.report.json"]
    assert sorted(p.name for p in (tmp_path / "drop" / "rejected").iterdir()) == [
        "2-bad.xlsx", "2-bad.xlsx.report.json"]
    assert [p.name for p in inbox.iterdir()] == ["~$1-apps.xlsx"]
    assert summarise(results) == {"files": 3, "by_status": {"staged": 2, "rejected": 1}, "rows_staged": 9,
                                  "batch_ids": [r.batch_id for r in results]}
    assert process_inbox(store_engine) == []  # nothing left to do


def test_large_workbook_stages_in_chunks(store_engine, inbox):
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("应用")
    ws.append(["应用名称", "主办单位", "统一社会信用代码"])
    for i in range(2500):
        ws.append([f"应用{i}", f"单位{i % 50}", f"1144170000728042{i % 10}Y"])
    path = inbox / "big.xlsx"
    wb.save(path)
    result = import_file(store_engine, path)
    assert result.row_count == 2500
    with store_engine.connect() as conn:
        n, last = conn.execute(sa.select(sa.func.count(), sa.func.max(schema.inventory_staging.c.row_number))).one()
    assert (n, last) == (2500, 2501)


def test_concurrent_import_of_the_same_content_leaves_the_file_to_the_other_run(store_engine, inbox, monkeypatch):
    data = csv_bytes(GROUP_HEADER, GROUP_ROWS)
    other = import_file(store_engine, drop(inbox, "a.csv", data), move=False)  # the other worker, mid-way
    real = importer._batch_by_checksum
    calls = []

    def racing(engine, checksum):  # the lookup ran before the other worker's batch was committed
        calls.append(checksum)
        return None if len(calls) == 1 else real(engine, checksum)

    monkeypatch.setattr(importer, "_batch_by_checksum", racing)
    path = drop(inbox, "b.csv", data)
    before = counts(store_engine)
    result = import_file(store_engine, path)
    assert result.status == "duplicate" and result.duplicate_of == other.batch_id and result.moved_to is None
    assert path.exists() and counts(store_engine) == before
