"""Inventory spreadsheets (台账) as units submit them, with planted invalid rows.

Rows are drawn from the generated population by reservoir sampling (bounded memory, a fixed cap
per file whatever the population size), grouped by region into files of different formats:
XLSX (a title row above the header), CSV in UTF-8, UTF-8 with BOM and GBK, with Chinese headers
and the date styles units actually use. Each file then gets a few planted invalid rows; every one
is returned as a ground-truth record (file, 1-based row in the file counting title and header
rows, column, kind, the bad value, the entity it came from).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fingertip import reference
from fingertip.identifiers import CREDIT_CODE_ALPHABET
from fingertip_dev.sample import names

APP_HEADERS = ("序号", "应用名称", "应用类型", "宿主平台", "主办单位", "统一社会信用代码", "行政区划代码", "备案号",
               "上线时间", "用户规模", "投诉渠道", "联系人", "联系电话")
ACCOUNT_HEADERS = ("序号", "账号名称", "平台", "账号ID", "主办单位", "统一社会信用代码", "行政区划代码", "开通时间",
                   "互动渠道", "联系人", "联系电话")
GROUP_HEADERS = ("序号", "群名称", "平台", "主办单位", "统一社会信用代码", "行政区划代码", "建群时间", "是否临时群",
                 "任务结束日期", "解散时间", "成员数")

#: Planted defect kinds and the column each one spoils (None: the whole row).
INVALID_KINDS = {
    "bad_credit_code_check": "统一社会信用代码",
    "unknown_division_code": "行政区划代码",
    "malformed_filing_number": "备案号",
    "filing_suffix_mismatch": "备案号",
    "future_date": None,  # the file's date column
    "duplicate_row": None,
    "missing_sponsor": "主办单位",
}
_DATE_COLUMN = {"app": "上线时间", "account": "开通时间", "work_group": "建群时间"}
INVALID_SHARE = 0.04

_NORTH = ("11", "12", "13", "14", "15", "21", "22", "23")
_EAST = ("31", "32", "33", "34", "35", "36", "37")
_CENTRAL_SOUTH = ("41", "42", "43", "44", "45", "46")
_WEST = ("50", "51", "52", "53", "54", "61", "62", "63", "64", "65")


@dataclass(frozen=True)
class InventoryFile:
    file: str
    entity_type: str  # app / account / work_group
    fmt: str  # xlsx / csv
    encoding: str | None  # csv only: utf-8, utf-8-sig, gbk
    date_style: str  # xlsx (date cells), iso, slash, chinese
    provinces: tuple[str, ...]
    cap: int

    @property
    def header_row(self) -> int:
        return 2 if self.fmt == "xlsx" else 1


FILES = (
    InventoryFile("政务应用程序台账（华北东北）.xlsx", "app", "xlsx", None, "xlsx", _NORTH, 500),
    InventoryFile("政务应用程序台账（华东）.csv", "app", "csv", "utf-8-sig", "iso", _EAST, 500),
    InventoryFile("政务应用程序台账（中南）.csv", "app", "csv", "gbk", "slash", _CENTRAL_SOUTH, 500),
    InventoryFile("政务应用程序台账（西南西北）.csv", "app", "csv", "utf-8", "chinese", _WEST, 500),
    InventoryFile("政务公众账号台账（北方）.xlsx", "account", "xlsx", None, "xlsx", _NORTH + _WEST, 600),
    InventoryFile("政务公众账号台账（南方）.csv", "account", "csv", "gbk", "iso", _EAST + _CENTRAL_SOUTH, 600),
    InventoryFile("工作群组台账.xlsx", "work_group", "xlsx", None, "xlsx", _NORTH + _EAST + _CENTRAL_SOUTH + _WEST, 400),
)
_KINDS_FOR = {
    "app": tuple(INVALID_KINDS),
    "account": ("bad_credit_code_check", "unknown_division_code", "future_date", "duplicate_row", "missing_sponsor"),
    "work_group": ("bad_credit_code_check", "unknown_division_code", "future_date", "duplicate_row",
                   "missing_sponsor"),
}


def _fmt_date(value: dt.date | None, style: str):
    if value is None:
        return None if style == "xlsx" else ""
    if style == "xlsx":
        return value
    if style == "slash":
        return f"{value.year}/{value.month}/{value.day}"
    if style == "chinese":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


class InventoryWriter:
    """Collects reservoir samples during generation and writes the files at the end."""

    def __init__(self, seed: int, as_of: dt.date, files: tuple[InventoryFile, ...] = FILES):
        self.rng = random.Random(f"{seed}:inventory")
        self.as_of = as_of
        self.files = files
        self._route: dict[tuple[str, str], int] = {}
        for i, spec in enumerate(files):
            for prov in spec.provinces:
                self._route.setdefault((spec.entity_type, prov), i)
        self._reservoirs: list[list] = [[] for _ in files]
        self._seen = [0] * len(files)

    def _offer(self, entity_type: str, prov: str, record: tuple) -> None:
        idx = self._route.get((entity_type, prov))
        if idx is None:
            return
        self._seen[idx] += 1
        seen = self._seen[idx]
        res = self._reservoirs[idx]
        cap = self.files[idx].cap
        if len(res) < cap:
            res.append((seen, record))
        else:
            j = self.rng.randrange(seen)
            if j < cap:
                res[j] = (seen, record)

    def offer_app(self, prov: str, record: tuple) -> None:
        self._offer("app", prov, record)

    def offer_account(self, prov: str, record: tuple) -> None:
        self._offer("account", prov, record)

    def offer_group(self, prov: str, record: tuple) -> None:
        self._offer("work_group", prov, record)

    # -- writing ------------------------------------------------------------------------------

    def write(self, out_dir: Path) -> tuple[list[dict], list[dict]]:
        """Write every file; returns (file descriptions, invalid-row ground-truth records)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        metas, invalid = [], []
        for spec, res in zip(self.files, self._reservoirs, strict=True):
            records = [rec for _seen, rec in sorted(res, key=lambda p: p[0])]
            rows, keys = self._rows(spec, records)
            rows, keys, bad = self._plant(spec, rows, keys)
            headers = {"app": APP_HEADERS, "account": ACCOUNT_HEADERS, "work_group": GROUP_HEADERS}[spec.entity_type]
            final = [[seq] + row for seq, row in enumerate(rows, start=1)]
            path = out_dir / spec.file
            if spec.fmt == "xlsx":
                self._write_xlsx(path, spec, headers, final)
            else:
                self._write_csv(path, spec, headers, final)
            for rec in bad:
                rec["row"] = rec.pop("_index") + spec.header_row + 1
                rec["data_row"] = rec["row"] - spec.header_row
                rec["key"] = f"{spec.file}#{rec['row']}"
                if "_dup_of" in rec:
                    rec["duplicate_of_row"] = rec.pop("_dup_of") + spec.header_row + 1
            bad.sort(key=lambda r: r["row"])
            invalid.extend(
                {"entity_type": "inventory_row", "key": r["key"], "labels": ["invalid_inventory_row"],
                 **{k: v for k, v in r.items() if k not in ("key",)}}
                for r in bad
            )
            metas.append({
                "file": spec.file, "entity_type": spec.entity_type, "format": spec.fmt,
                "encoding": spec.encoding or "xlsx", "header_row": spec.header_row, "data_rows": len(final),
                "invalid_rows": len(bad), "date_format": spec.date_style, "provinces": list(spec.provinces),
            })
        return metas, invalid

    def _rows(self, spec: InventoryFile, records: list[tuple]) -> tuple[list[list], list[str]]:
        style = spec.date_style
        rows, keys = [], []
        for rec in records:
            if spec.entity_type == "app":
                (name, kind, host, sponsor, credit, division, filing, launched, complaint, users, contact,
                 phone, key) = rec
                row = [name, names.APP_KIND_NAMES[kind], names.HOST_NAMES.get(host, ""), sponsor, credit, division, filing or "",
                       _fmt_date(launched, style), users, "有" if complaint else "无", contact, phone]
            elif spec.entity_type == "account":
                name, platform, pid, sponsor, credit, division, opened, interaction, contact, phone, key = rec
                row = [name, names.ACCOUNT_PLATFORM_NAMES[platform], pid, sponsor, credit, division,
                       _fmt_date(opened, style), "有" if interaction else "无", contact, phone]
            else:
                name, platform, sponsor, credit, division, opened, temporary, ends, closed, members, key = rec
                row = [name, names.GROUP_PLATFORM_NAMES[platform], sponsor, credit, division, _fmt_date(opened, style),
                       "是" if temporary else "否", _fmt_date(ends, style), _fmt_date(closed, style), members]
            rows.append(row)
            keys.append(key)
        return rows, keys

    def _plant(self, spec: InventoryFile, rows: list[list], keys: list[str]):
        """Spoil a few rows in place and insert duplicates; returns rows, keys, defects."""
        rng = self.rng
        if not rows:
            return rows, keys, []
        headers = {"app": APP_HEADERS, "account": ACCOUNT_HEADERS, "work_group": GROUP_HEADERS}[spec.entity_type]
        col = {h: i - 1 for i, h in enumerate(headers)}  # row lists have no 序号
        kinds = _KINDS_FOR[spec.entity_type]
        n_bad = max(len(kinds), round(len(rows) * INVALID_SHARE))
        order = list(range(len(rows)))
        rng.shuffle(order)
        used: set[int] = set()
        defects: list[dict] = []
        duplicates: list[tuple[int, int]] = []  # (source index, insert before original index)
        filing_col = col.get("备案号")
        for n in range(n_bad):
            kind = kinds[n % len(kinds)]
            needs_filing = kind in ("malformed_filing_number", "filing_suffix_mismatch")
            victim = next((i for i in order if i not in used and (not needs_filing or rows[i][filing_col])), None)
            if victim is None:
                continue
            used.add(victim)
            row = rows[victim]
            column = INVALID_KINDS[kind] or (_DATE_COLUMN[spec.entity_type] if kind == "future_date" else None)
            rec = {"file": spec.file, "column": column, "kind": kind, "entity_key": keys[victim]}
            if kind == "duplicate_row":
                insert_at = rng.randrange(victim + 1, len(rows) + 1)
                duplicates.append((victim, insert_at))
                continue
            c = col[column]
            row[c] = value = self._spoiled(kind, row[c], spec)
            rec["value"] = value.isoformat() if isinstance(value, dt.date) else value
            rec["_victim"] = victim
            defects.append(rec)
        # assemble with duplicates inserted; translate original indexes to final positions
        inserts: dict[int, list[int]] = {}
        for src, at in duplicates:
            inserts.setdefault(at, []).append(src)
        final_rows, final_keys, position = [], [], {}
        dup_records = []
        for i in range(len(rows) + 1):
            for src in inserts.get(i, []):
                dup_records.append((len(final_rows), src))
                final_rows.append(list(rows[src]))
                final_keys.append(keys[src])
            if i < len(rows):
                position[i] = len(final_rows)
                final_rows.append(rows[i])
                final_keys.append(keys[i])
        for rec in defects:
            rec["_index"] = position[rec.pop("_victim")]
        for pos, src in dup_records:
            defects.append({"file": spec.file, "column": None, "kind": "duplicate_row", "entity_key": keys[src],
                            "value": None, "_index": pos, "_dup_of": position[src]})
        return final_rows, final_keys, defects

    def _spoiled(self, kind: str, value: Any, spec: InventoryFile) -> Any:
        """``value`` with the defect ``kind`` planted (unchanged for kinds that spoil no cell value)."""
        rng = self.rng
        if kind == "bad_credit_code_check":
            return value[:17] + rng.choice([ch for ch in CREDIT_CODE_ALPHABET if ch != value[17]])
        if kind == "unknown_division_code":
            return _unknown_division(value, rng)
        if kind == "malformed_filing_number":
            return _malformed_filing(value, rng)
        if kind == "filing_suffix_mismatch":
            wrong = {"A": "X", "X": "A", "K": "A"}[value[-1]]
            return value[:-1] + wrong
        if kind == "future_date":
            future = self.as_of + dt.timedelta(days=rng.randrange(30, 400))
            return _fmt_date(future, spec.date_style)
        if kind == "missing_sponsor":
            return ""
        return value
    def _write_csv(self, path: Path, spec: InventoryFile, headers, rows) -> None:
        with open(path, "w", encoding=spec.encoding, newline="") as fh:
            writer = csv.writer(fh, lineterminator="\r\n")
            writer.writerow(headers)
            writer.writerows(rows)

    def _write_xlsx(self, path: Path, spec: InventoryFile, headers, rows) -> None:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font

        wb = Workbook()
        ws = wb.active
        ws.title = {"app": "应用台账", "account": "账号台账", "work_group": "群组台账"}[spec.entity_type]
        title = spec.file.rsplit(".", 1)[0]
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        ws.cell(row=1, column=1).font = Font(bold=True, size=14)
        ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
        ws.append(list(headers))
        for cell in ws[2]:
            cell.font = Font(bold=True)
        date_cols = {i for i, h in enumerate(headers) if h.endswith(("时间", "日期"))}
        for row in rows:
            ws.append(row)
        for r in ws.iter_rows(min_row=3):
            for i in date_cols:
                if isinstance(r[i].value, dt.date):
                    r[i].number_format = "yyyy-mm-dd"
        for i, h in enumerate(headers, start=1):
            ws.column_dimensions[ws.cell(row=2, column=i).column_letter].width = max(8, len(h) * 2 + 4)
        ws.freeze_panes = "A3"
        stamp = dt.datetime.combine(self.as_of, dt.time(8, 0))
        wb.properties.creator = "fingertip_dev.sample"
        wb.properties.created = stamp
        buffer = io.BytesIO()
        wb.save(buffer)
        path.write_bytes(_reproducible_zip(buffer.getvalue(), stamp))


def _reproducible_zip(data: bytes, stamp: dt.datetime) -> bytes:
    """The workbook with fixed member timestamps and modification date (same seed, same bytes)."""
    modified = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = modified.sub(rb"\g<1>" + stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", content)
            member = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            dst.writestr(member, content)
    return out.getvalue()


def _unknown_division(code: str, rng: random.Random) -> str:
    """A code of the same shape and province that the snapshot does not contain."""
    for _ in range(500):
        if code.endswith("0000"):
            candidate = f"{code[:2]}{rng.randrange(1, 100):02d}{rng.randrange(1, 100):02d}"
        else:
            candidate = f"{code[:4]}{rng.randrange(1, 100):02d}"
        if not reference.division_exists(candidate):
            return candidate
    return code[:2] + "9999"


def _malformed_filing(value: str, rng: random.Random) -> str:
    abbr, rest = value[0], value[1:]
    digits = rest.split("备", 1)[1].split("号", 1)[0]
    variants = (
        f"{abbr}ICP备{digits[:4]}-{digits[4:]}号",  # stray hyphen in the number
        f"{abbr}ICP{digits}号",  # 备 missing
        f"ICP备{digits}号-1A",  # province missing
        f"{abbr}ICP证{digits[-6:]}号",  # licence number instead of filing number
        f"{abbr}ICP备{digits}",  # 号 missing
    )
    return variants[rng.randrange(len(variants))]
