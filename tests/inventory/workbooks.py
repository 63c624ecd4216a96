"""Generated inventory files for the tests (no binary fixtures are committed)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl

APP_HEADER = ["序号", "应用名称\n（必填）", "应用类型", "主办单位*", "统一社会信用代码", "行政区划代码",
              "备案号", "上线时间（YYYY-MM-DD）", "App Store ID", "安卓包名", "投诉渠道", "建设说明"]
APP_ROWS = [
    [1, "阳江通", "原生应用", "阳江市人民政府办公室", "11441700007280420Y", "441700", "粤ICP备2024012345号-1A",
     dt.datetime(2024, 3, 1), 1000000001, "cn.gov.yangjiang", "是", "便民服务"],
    [2, "阳江社保", "微信小程序", "阳江市人力资源和社会保障局", 1.1441700007280421e17, 441700,
     "粤ICP备2024012345号-2X", "2024/05/01", None, None, "否", None],
]
ACCOUNT_HEADER = ["名称", "账号平台", "原始ID", "主办单位", "开通时间", "互动渠道"]
ACCOUNT_ROWS = [
    ["阳江发布", "微信公众号", "gh_0123456789ab", "中共阳江市委宣传部", "2015-06-01", "有"],
    ["阳江发布", "抖音", "yangjiangfabu", "中共阳江市委宣传部", "2019-01-01", "有"],
    ["阳江政务", "新浪微博", "1234567890", "阳江市人民政府办公室", "2012-03-01", "无"],
]
GROUP_HEADER = ["群名称", "平台", "是否临时", "任务结束时间", "群成员数", "建群时间", "用途"]
GROUP_ROWS = [
    ["2026防汛值班群", "政务微信", "是", "2026-10-31", 48, "2026-05-01", "防汛值班调度"],
]


def workbook_bytes(build) -> bytes:
    wb = openpyxl.Workbook()
    build(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def three_entity_workbook() -> bytes:
    """Sheets 应用/账号/群组 with a merged title row, a blank line and a repeated header row."""

    def build(wb):
        ws = wb.active
        ws.title = "应用"
        ws.append(["阳江市政务应用程序台账（2026年）"])
        ws.merge_cells("A1:L1")
        ws.append([])
        ws.append(APP_HEADER)
        ws.append(APP_ROWS[0])
        ws.append([])
        ws.append([h.split("\n")[0] for h in APP_HEADER])  # repeated header
        ws.append(APP_ROWS[1])
        ws.append([3])  # template row: only the running number
        acc = wb.create_sheet("账号")
        acc.append(ACCOUNT_HEADER)
        for row in ACCOUNT_ROWS:
            acc.append(row)
        grp = wb.create_sheet("群组")
        grp.append(GROUP_HEADER)
        for row in GROUP_ROWS:
            grp.append(row)

    return workbook_bytes(build)


def csv_bytes(header, rows, *, encoding="utf-8", delimiter=",") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)
