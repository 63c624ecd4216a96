"""Pinned reference data: the GB/T 2260 administrative division snapshot.

The snapshot lives in ``fingertip/resources/reference/gb2260.csv`` (columns ``code,name,level,province_code,
prefecture_code``; see ``fingertip/resources/reference/README.md`` for its source and licence). Validation
checks division codes by membership in this list; the sample generator draws its regions from it;
:func:`load_divisions_into_store` copies it into the store's ``divisions`` table.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fingertip import config

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql, sqlite

#: Label of the pinned code list; stored with every ``divisions`` row.
SNAPSHOT = "2025-04"

#: Two-digit province prefix -> the one-character abbreviation used in ICP/APP filing numbers.
PROVINCE_ABBREVIATIONS: dict[str, str] = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑",
    "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫",
    "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "蜀", "52": "黔",
    "53": "滇", "54": "藏", "61": "陕", "62": "陇", "63": "青", "64": "宁", "65": "新",
}

#: Abbreviation -> two-digit province prefix.
ABBREVIATION_PROVINCES: dict[str, str] = {abbr: prefix for prefix, abbr in PROVINCE_ABBREVIATIONS.items()}

#: Provinces whose districts hang directly off the province (no ``PPCC00`` prefecture row).
MUNICIPALITIES = frozenset({"11", "12", "31", "50"})

LEVELS = ("province", "prefecture", "county")
CSV_COLUMNS = ("code", "name", "level", "province_code", "prefecture_code")


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name: str
    level: str
    province_code: str
    prefecture_code: str | None

    @property
    def province_prefix(self) -> str:
        return self.code[:2]


def snapshot_path() -> Path:
    return config.resources_dir() / "reference" / "gb2260.csv"


def level_of(code: str) -> str:
    """Level implied by the shape of a 6-digit code."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def derive_division_rows(names: Mapping[str, str]) -> list[tuple[str, str, str, str, str | None]]:
    """CSV rows (sorted by code) from a ``code -> name`` mapping, with levels and parents.

    ``prefecture_code`` is ``PPCC00`` when that code exists; for municipalities' districts it is
    the province; otherwise (province-administered county-level units such as 419001) it is None.
    """
    rows = []
    for code in sorted(names):
        if len(code) != 6 or not code.isdigit():
            raise ValueError(f"not a 6-digit division code: {code!r}")
        level = level_of(code)
        province = code[:2] + "0000"
        prefecture: str | None = None
        if level == "county":
            candidate = code[:4] + "00"
            if candidate in names:
                prefecture = candidate
            elif code[:2] in MUNICIPALITIES:
                prefecture = province
        rows.append((code, names[code], level, province, prefecture))
    return rows


def write_snapshot_csv(names: Mapping[str, str], path: Path | None = None) -> Path:
    """Write the snapshot CSV (UTF-8, LF) derived from ``names``; returns the path."""
    path = path or snapshot_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for row in derive_division_rows(names):
            writer.writerow(["" if v is None else v for v in row])
    return path


@functools.lru_cache(maxsize=1)
def load_divisions() -> tuple[Division, ...]:
    """Every division of the pinned snapshot, ordered by code (cached)."""
    out = []
    with open(snapshot_path(), encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            level = rec["level"]
            if level not in LEVELS:
                raise ValueError(f"{snapshot_path()}: bad level {level!r} for {rec['code']}")
            out.append(
                Division(
                    code=rec["code"],
                    name=rec["name"],
                    level=level,
                    province_code=rec["province_code"],
                    prefecture_code=rec["prefecture_code"] or None,
                )
            )
    return tuple(sorted(out, key=lambda d: d.code))


@functools.lru_cache(maxsize=1)
def division_map() -> dict[str, Division]:
    """``code -> Division`` for the pinned snapshot (cached; do not mutate)."""
    return {d.code: d for d in load_divisions()}


def get_division(code: str) -> Division | None:
    return division_map().get(code)


def division_exists(code: object) -> bool:
    """True when ``code`` (string or int) is a code of the pinned snapshot."""
    if code is None:
        return False
    text = str(code).strip()
    return text in division_map()


def children(code: str) -> tuple[Division, ...]:
    """Direct children: prefectures of a province (plus directly administered counties), counties
    of a prefecture."""
    div = division_map()[code]
    if div.level == "province":
        return tuple(
            d for d in load_divisions()
            if d.province_code == code and d.code != code
            and (d.level == "prefecture" or d.prefecture_code in (None, code))
        )
    if div.level == "prefecture":
        return tuple(d for d in load_divisions() if d.prefecture_code == code and d.level == "county")
    return ()


def full_name(code: str) -> str:
    """Province + prefecture + county name, e.g. 浙江省杭州市西湖区 (municipalities not repeated)."""
    dmap = division_map()
    div = dmap[code]
    parts = [dmap[div.province_code].name] if div.level != "province" else []
    if div.level == "county" and div.prefecture_code and div.prefecture_code != div.province_code:
        parts.append(dmap[div.prefecture_code].name)
    parts.append(div.name)
    return "".join(parts)


_AUTONOMY_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗")
_PLACE_SUFFIXES = _AUTONOMY_SUFFIXES + ("地区", "林区", "特区", "新区", "矿区", "省", "市", "县", "区", "州", "盟", "旗")
_ETHNIC_RE = re.compile(
    "(?:蒙古|藏|回|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|拉祜|水|东乡|纳西|景颇|"
    "柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|乌孜别克|俄罗斯|鄂温克|德昂|保安|裕固|京|"
    "塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|基诺|各)族?$"
)


def place_short(name: str) -> str:
    """Everyday short form of a division name: 杭州市→杭州, 恩施土家族苗族自治州→恩施, 赵县→赵县."""
    for suffix in _PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            base = name[: -len(suffix)]
            if suffix in _AUTONOMY_SUFFIXES or base.endswith("族"):
                while True:
                    stripped = _ETHNIC_RE.sub("", base)
                    if stripped == base or len(stripped) < 2:
                        break
                    base = stripped
                if base.endswith("族") and len(base) >= 3:
                    base = base[:-1]
            return base
    return name


def province_abbreviation(code: str) -> str | None:
    """ICP abbreviation of the province a division code belongs to (None outside the 31)."""
    return PROVINCE_ABBREVIATIONS.get(str(code)[:2])


def load_divisions_into_store(engine, divisions: Iterable[Division] | None = None) -> int:
    """Upsert the snapshot into the ``divisions`` table (idempotent); returns rows written."""
    import sqlalchemy as sa

    from fingertip.store.schema import divisions as table

    rows = [
        {
            "code": d.code,
            "name": d.name,
            "level": d.level,
            "province_code": d.province_code,
            "prefecture_code": d.prefecture_code,
            "snapshot": SNAPSHOT,
        }
        for d in (divisions if divisions is not None else load_divisions())
    ]
    if not rows:
        return 0
    dialect = engine.dialect.name
    insert: Callable[[sa.Table], postgresql.Insert | sqlite.Insert] | None = None
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        insert = postgresql.insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        insert = sqlite.insert
    with engine.begin() as conn:
        if insert is not None:
            stmt = insert(table)
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c.code],
                set_={c: stmt.excluded[c] for c in ("name", "level", "province_code", "prefecture_code", "snapshot")},
            )
            for start in range(0, len(rows), 1000):
                conn.execute(stmt, rows[start:start + 1000])
        else:  # portable fallback: update what exists, insert the rest
            existing = set(conn.execute(sa.select(table.c.code)).scalars())
            updates = [dict(r, b_code=r["code"]) for r in rows if r["code"] in existing]
            inserts = [r for r in rows if r["code"] not in existing]
            if updates:
                conn.execute(
                    table.update().where(table.c.code == sa.bindparam("b_code")),
                    [{k: v for k, v in r.items() if k != "code"} for r in updates],
                )
            if inserts:
                conn.execute(table.insert(), inserts)
    return len(rows)
