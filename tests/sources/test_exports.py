"""Vendor exports (CSV in UTF-8 BOM / GBK, XLSX) read with the feed parsers; bad rows rejected by number."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import requests
import sqlalchemy as sa
from tests.sources.test_ingest_over_stub import store, world  # noqa: F401  (fixtures)
from tests.stub.conftest import LAST_DAY

from fingertip.sources import exports
from fingertip.store import schema


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("FINGERTIP_EXPORTS_URL", (tmp_path / "exports").as_uri())
    for kind in exports.KINDS:
        (tmp_path / "exports" / kind).mkdir(parents=True)
    return tmp_path / "exports"


def _count(engine, table, *where):
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()


def test_android_export_from_the_stub_with_a_broken_row(store, world, folder):  # noqa: F811
    from fingertip_dev.stub import StubServer

    with StubServer(world) as stub:
        body = requests.get(f"{stub.base_url}/android/v1/export.csv", params={"store": "huawei"}, timeout=5).content
    assert body.startswith(b"\xef\xbb\xbf")  # vendors' exports carry a BOM
    broken = body + "huawei,,无包名应用,某单位,1.0,2026-11-01T00:00:00Z,10,4.0,3,true\n".encode()
    (folder / "android" / "huawei-export.csv").write_bytes(broken)
    [summary] = exports.ingest_pending(store, "android", day=LAST_DAY)
    assert summary["present"] == 22 and summary["absent"] == 1 and summary["rejected"] == 1
    assert summary["rejected_rows"][0]["reason"] == "item without package_name"
    assert summary["rejected_rows"][0]["row"] == 25
    assert (folder / "android" / "processed" / "huawei-export.csv").exists()
    assert exports.pending_exports("android") == []
    assert _count(store, schema.listing_snapshots) == 23


def test_filings_export_as_xlsx(store, folder):  # noqa: F811
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["unitName", "natureName", "mainLicence", "serviceLicence", "serviceName", "serviceType",
               "updateRecordTime", "limitAccess", "creditCode", "status"])
    ws.append(["阳江市人民政府办公室", "机关", "粤ICP备2025000001号", "粤ICP备2025000001号-1A", "阳江政务服务", "app",
               "2025-03-04 10:00:00", "否", "11441700007280420Y", "正常"])
    ws.append(["阳江市人民政府办公室", "机关", "粤ICP备2025000001号", "粤ICP备2025000001号-2X", "阳江小程序", "小程序",
               "不是时间", "是", "11441700007280420Y", "已注销"])
    ws.append(["某单位", "机关", None, None, "无备案号", "app", None, "否", None, "正常"])
    buf = io.BytesIO()
    wb.save(buf)
    (folder / "filings" / "miit-bulk.xlsx").write_bytes(buf.getvalue())
    [summary] = exports.ingest_pending(store, "filings", day=LAST_DAY)
    assert summary["new"] == 2 and summary["rejected"] == 1 and summary["fields_unreadable"] == 1
    with store.connect() as conn:
        rows = {r.service_licence: r for r in conn.execute(sa.select(schema.filings))}
    assert rows["粤ICP备2025000001号-1A"].app_id is not None  # linked to 阳江政务服务 by sponsor and name
    assert rows["粤ICP备2025000001号-2X"].status == "cancelled" and rows["粤ICP备2025000001号-2X"].access_restricted
    assert rows["粤ICP备2025000001号-2X"].reviewed_at is None  # unreadable, kept empty, not guessed


def test_activity_export_in_gbk(store, folder):  # noqa: F811
    header = "platform,account_id,name,last_post_at,posts_7d,posts_14d,posts_30d,followers,unanswered_messages," \
             "oldest_unanswered_days,interaction_channel\n"
    lines = ["wechat,wx-yj-1,阳江发布,2026-11-19 09:00:00,3,6,12,50000,0,,是\n",
             "wechat,wx-yj-2,阳江政务服务,2026-10-01 09:00:00,0,0,0,100,5,120,否\n",
             "wechat,wx-unknown,外单位号,2026-11-19 09:00:00,1,2,3,10,0,,是\n",
             "weibo,wb-yj,阳江微博,2026-11-19 09:00:00,9,6,3,10,0,,是\n"]
    (folder / "activity" / "platform.csv").write_bytes((header + "".join(lines)).encode("gbk"))
    [summary] = exports.ingest_pending(store, "activity", day=LAST_DAY)
    assert summary["activity_rows"] == 2 and summary["unknown_accounts"] == 1 and summary["rejected"] == 1
    assert "inconsistent post counts" in summary["rejected_rows"][0]["reason"]
    with store.connect() as conn:
        day = conn.execute(sa.select(sa.func.max(schema.account_activity.c.activity_date))).scalar_one()
    assert day == LAST_DAY


def test_unreadable_export_is_moved_to_rejected(store, folder):  # noqa: F811
    (folder / "filings" / "scan.xlsx").write_bytes(b"%PDF-1.4 not a spreadsheet")
    [summary] = exports.ingest_pending(store, "filings", day=dt.date(2026, 11, 20))
    assert summary["requests_failed"] == 1
    assert (folder / "filings" / "rejected" / "scan.xlsx").exists()
