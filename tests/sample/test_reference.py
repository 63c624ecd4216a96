"""The pinned GB/T 2260 snapshot and its loader."""

from __future__ import annotations

import csv

import sqlalchemy as sa

from fingertip import reference
from fingertip.store.schema import divisions


def test_snapshot_shape():
    divs = reference.load_divisions()
    assert len(divs) == 3210
    codes = [d.code for d in divs]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    levels = {lvl: sum(1 for d in divs if d.level == lvl) for lvl in reference.LEVELS}
    assert levels == {"province": 34, "prefecture": 333, "county": 2843}
    assert reference.load_divisions() is divs  # cached
    assert reference.SNAPSHOT == "2025-04"


def test_parents():
    dmap = reference.division_map()
    assert dmap["330106"].name == "西湖区" and dmap["330106"].prefecture_code == "330100"
    assert dmap["330106"].province_code == "330000"
    assert dmap["110105"].prefecture_code == "110000"  # municipality district: the province
    assert dmap["500229"].prefecture_code == "500000"
    assert dmap["419001"].prefecture_code is None  # province-administered county-level city
    assert dmap["659001"].prefecture_code is None
    assert dmap["441900"].level == "prefecture" and dmap["441900"].prefecture_code is None
    for d in reference.load_divisions():
        assert d.province_code in dmap
        assert d.prefecture_code is None or d.prefecture_code in dmap


def test_division_exists():
    assert reference.division_exists("441700")
    assert reference.division_exists(441700)
    assert reference.division_exists(" 330106 ")
    assert not reference.division_exists("330199")
    assert not reference.division_exists("999999")
    assert not reference.division_exists(None)


def test_province_abbreviations():
    abbrs = reference.PROVINCE_ABBREVIATIONS
    assert len(abbrs) == 31 and len(set(abbrs.values())) == 31
    assert abbrs["51"] == "蜀" and abbrs["52"] == "黔" and abbrs["53"] == "滇" and abbrs["62"] == "陇"
    for prefix in abbrs:
        assert reference.division_exists(prefix + "0000")
    assert reference.ABBREVIATION_PROVINCES["粤"] == "44"
    assert reference.province_abbreviation("330106") == "浙"


def test_csv_is_the_derivation_of_its_names(tmp_path):
    with open(reference.snapshot_path(), encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == reference.CSV_COLUMNS
    names = {r[0]: r[1] for r in rows[1:]}
    written = reference.write_snapshot_csv(names, tmp_path / "gb2260.csv")
    assert written.read_bytes() == reference.snapshot_path().read_bytes()


def test_full_name_and_children():
    assert reference.full_name("330106") == "浙江省杭州市西湖区"
    assert reference.full_name("110105") == "北京市朝阳区"
    assert reference.full_name("440000") == "广东省"
    kids = {d.code for d in reference.children("410000")}
    assert "410100" in kids and "419001" in kids and "410102" not in kids
    assert {d.code for d in reference.children("330100")} >= {"330106", "330102"}


def test_load_into_store_is_idempotent(store_engine):
    assert reference.load_divisions_into_store(store_engine) == 3210
    with store_engine.begin() as conn:
        conn.execute(divisions.update().where(divisions.c.code == "330106").values(name="changed", snapshot="old"))
    assert reference.load_divisions_into_store(store_engine) == 3210
    with store_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(divisions)).scalar_one() == 3210
        row = conn.execute(sa.select(divisions).where(divisions.c.code == "330106")).one()
    assert (row.name, row.level, row.prefecture_code, row.snapshot) == ("西湖区", "county", "330100", "2025-04")
