"""Near-duplicates across units meet width and script variants of a name (issue 14, item 11).

Expected cores are written by hand: NFKC maps full-width Latin letters and digits (U+FF01–FF5E) to
ASCII (Unicode standard annex 15); the traditional characters below have the simplified forms of the
《通用规范汉字表》 (運→运, 輸→输, 務→务, 衛→卫, 機→机, 關→关). The place name of the division
(深圳市 / 深圳) and generic words are removed as before; stored names stay verbatim.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from fingertip.rules import detect
from fingertip.rules.policy import load_policy
from fingertip.rules.similarity import fold, name_core
from fingertip.store import schema

GENERIC = tuple(load_policy().settings["detection"]["generic_words"])
DIV = "440300"  # 深圳市


@pytest.mark.parametrize(("names", "core"), [
    (["深圳市交通运输局", "深圳市交通運輸局"], "交通运输局"),
    (["深圳政务服务", "深圳政務服務"], "政务服务"),
    (["深圳卫健委", "深圳衛健委"], "卫健委"),
    (["深圳e行12", "深圳ｅ行１２", "深圳Ｅ行12"], "e行12"),
    # a full-width generic word is removed like the half-width one
    (["深圳交通APP", "深圳交通ＡＰＰ"], "交通"),
    # full-width brackets fold too (and are not part of the core either way)
    (["深圳机关事务（后勤）", "深圳機關事務(後勤)"], "机关事务后勤"),
])
def test_variants_share_one_core(names, core):
    assert {name_core(n, DIV, GENERIC) for n in names} == {core}


def test_fold_leaves_simplified_half_width_text_alone():
    for text in ("深圳交通", "政务服务", "e行12", "i深圳", "国家税务总局"):
        assert fold(text) == text


CHECK = dt.date(2026, 11, 20)
PROV = {"source": "test", "fetched_at": dt.datetime(2026, 11, 20, 1), "request_fingerprint": "0" * 64}
# key: (name as the unit wrote it, near-duplicate expected)
ACCOUNTS = {
    "N1": ("深圳市交通运输局", {"N2"}),
    "N2": ("深圳市交通運輸局", {"N1"}),
    "N3": ("深圳e行12", {"N4"}),
    "N4": ("深圳ｅ行１２", {"N3"}),
    "N5": ("深圳气象", set()),
    "N6": ("深圳海事", set()),
}


def test_near_duplicate_found_across_units_and_names_kept_verbatim(store_engine):
    with store_engine.begin() as conn:
        for i, (key, (name, _)) in enumerate(ACCOUNTS.items(), start=1):
            sid = conn.execute(sa.insert(schema.sponsors).values(
                credit_code=f"11440300MB2C{i:05d}X", name=f"深圳市测试单位{i}", division_code=DIV,
                level="prefectural", nature="机关", **PROV).returning(schema.sponsors.c.id)).scalar_one()
            aid = conn.execute(sa.insert(schema.accounts).values(
                account_key=key, platform="wechat", platform_account_id=f"gh_{key}", name=name, sponsor_id=sid,
                division_code=DIV, has_interaction_channel=True, has_complaint_channel=True,
                **PROV).returning(schema.accounts.c.id)).scalar_one()
            conn.execute(sa.insert(schema.account_activity).values(
                account_id=aid, activity_date=CHECK, last_post_at=dt.datetime(2026, 11, 18, 2), posts_7d=2,
                posts_14d=3, posts_30d=6, followers=5000, unanswered_messages=0, interaction_channel=True, **PROV))
    result = detect(store_engine, check_date=CHECK, persist=True, collect=True, now=dt.datetime(2026, 11, 20, 4))
    found = {f.target_key: {d["key"] for d in f.evidence["facts"]["near_duplicates"]}
             for f in result.findings if f.rule_id == "account.near_duplicate"}
    assert found == {k: v for k, (_, v) in ACCOUNTS.items() if v}
    # evidence and store carry the names as written, never the folded key
    for f in result.findings:
        if f.rule_id == "account.near_duplicate":
            assert f.target_name == ACCOUNTS[f.target_key][0]
            assert [d["name"] for d in f.evidence["facts"]["near_duplicates"]] == [
                ACCOUNTS[k][0] for k in found[f.target_key]]
    with store_engine.connect() as conn:
        stored = dict(conn.execute(sa.select(schema.accounts.c.account_key, schema.accounts.c.name)).all())
    assert stored == {k: name for k, (name, _) in ACCOUNTS.items()}
