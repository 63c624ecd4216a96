"""Builders of inventory files for the quality tests (generated; nothing binary is committed), and the
staged import of such a file into a store (quality and rules tests)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import sqlalchemy as sa

from fingertip.identifiers import make_credit_code, make_filing_number
from fingertip.inventory.importer import import_file

APP_HEADER = ["序号", "应用名称", "应用类型", "主办单位", "统一社会信用代码", "行政区划代码", "备案号", "上线时间", "投诉渠道"]
ACCOUNT_HEADER = ["序号", "账号名称", "平台", "账号ID", "主办单位", "统一社会信用代码", "行政区划代码", "开通时间", "互动渠道"]
DIVISIONS = ("441700", "440100", "110000", "320100", "510100")


def credit(i: int) -> str:
    return make_credit_code("11", DIVISIONS[i % len(DIVISIONS)], f"{i:08d}")


def app_row(i: int) -> list:
    division = DIVISIONS[i % len(DIVISIONS)]
    kind = ("原生应用", "微信小程序")[i % 2]
    filing = make_filing_number(division, 2024, i, 1, ("app", "mini_program")[i % 2])
    return [i, f"政务服务应用{i}", kind, f"第{i}号主办单位", credit(i), division, filing, f"2023-0{1 + i % 9}-15",
            ("有", "无")[i % 2]]


def account_row(i: int) -> list:
    division = DIVISIONS[i % len(DIVISIONS)]
    return [i, f"政务发布{i}", ("微信公众号", "新浪微博", "抖音")[i % 3], f"gh_{i:010d}", f"第{i}号主办单位",
            credit(i), division, "2019-05-01", "有"]


def csv_bytes(header, rows, *, encoding="utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def app_csv(n: int, bad: dict[int, dict[int, object]] | None = None) -> bytes:
    """``n`` clean app rows; ``bad`` = {row index: {column index: value}} spoils some cells."""
    rows = [app_row(i) for i in range(1, n + 1)]
    for idx, cells in (bad or {}).items():
        for col, value in cells.items():
            rows[idx][col] = value
    return csv_bytes(APP_HEADER, rows)


def import_staged(engine: sa.Engine, tmp_path: Path, name: str, data: bytes) -> int:
    """Deliver ``data`` as ``<tmp_path>/inbox/<name>``, import it and return the staged batch's id
    (asserts the import staged it; validation is the caller's)."""
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    path = inbox / name
    path.write_bytes(data)
    result = import_file(engine, path)
    assert result.status == "staged", result.message
    return result.batch_id
