"""Matching a listing to a sponsor: weights, reasons, government sellers, short forms."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from fingertip.discovery.matching import (
    SponsorIndex,
    bundle_prefix,
    is_government_seller,
    profiles_from_rows,
    short_forms,
)

SPONSORS = [
    {"id": 1, "name": "阳江市人民政府办公室", "credit_code": "11441700007280420Y", "division_code": "441700"},
    {"id": 2, "name": "南京市大数据管理局", "credit_code": "12320100MB1234567K", "division_code": "320100"},
]


def _index():
    return SponsorIndex(profiles_from_rows(SPONSORS, [(1, "1500000001")], [(1, "cn.gov.yangjiang.zwfw")]))


def _app(**kw):
    return SimpleNamespace(**{"developer": None, "developer_id": None, "bundle_id": None, "description": None, **kw})


@pytest.mark.parametrize("name,gov", [
    ("阳江市人民政府办公室", True), ("南京市大数据管理局", True), ("北京数智科技有限公司", False),
    ("Tencent Technology (Shenzhen) Company Limited", False), ("张三", False), ("", False), (None, False),
    ("上海某某信息技术股份有限公司", False), ("共青团深圳市委员会", True),
])
def test_government_sellers(name, gov):
    assert is_government_seller(name) is gov


def test_short_forms_shortest_first():
    assert short_forms("阳江市人民政府办公室") == ["阳江市政府办", "阳江市政府办公室"]
    assert short_forms("南京市大数据管理局") == []
    assert short_forms("深圳市前海管理委员会") == ["深圳市前海管委会"]


def test_bundle_prefix():
    assert bundle_prefix("cn.gov.yangjiang.zwfw.ios") == "cn.gov.yangjiang.zwfw"
    assert bundle_prefix("com.apple.x") is None and bundle_prefix(None) is None


def test_seller_name_alone_is_a_match_and_reasons_are_kept():
    m = _index().match(_app(developer="阳江市人民政府办公室"))
    assert m.sponsor is not None and m.sponsor.id == 1
    assert (m.score, m.reasons) == (0.7, ["seller_name"]) and m.accepted()


def test_signals_add_up_and_are_capped():
    m = _index().match(_app(developer="阳江市人民政府办公室", developer_id="1500000001",
                            bundle_id="cn.gov.yangjiang.zwfw.m",
                            description="主办单位：阳江市人民政府办公室（统一社会信用代码 11441700007280420Y）"))
    assert m.reasons == ["seller_name", "credit_code", "developer_account", "bundle_prefix"] and m.score == 1.0


def test_short_form_and_credit_code():
    idx = _index()
    assert idx.match(_app(developer="阳江市政府办")).reasons == ["seller_short_form"]
    m = idx.match(_app(developer="南京大数据", description="信用代码12320100MB1234567K"))
    assert m.sponsor.id == 2 and m.reasons == ["credit_code"] and m.accepted()


def test_weak_signals_alone_are_not_enough():
    # the sponsor's developer account alone (0.4) or a bundle prefix alone (0.3) stay below 0.6
    idx = _index()
    assert not idx.match(_app(developer="阳江市某局", developer_id="1500000001")).accepted()
    assert not idx.match(_app(developer="某某中心", bundle_id="cn.gov.yangjiang.zwfw.x")).accepted()


def test_a_company_is_never_matched():
    m = _index().match(_app(developer="阳江市人民政府办公室有限公司", developer_id="1500000001",
                            description="11441700007280420Y"))
    assert m.score >= 0.6 and not m.government_seller and not m.accepted()


def test_credit_codes_in_text_are_read_with_ascii_digits_only():
    """A seller text's credit code: full-width digits fold (NFKC) to the code; a code written with another
    script's digits (Bengali ৪, kept by NFKC) is not a credit code, so it cannot match a sponsor's."""
    from fingertip.discovery.matching import credit_codes

    assert credit_codes("统一社会信用代码：１１４４１７００００７２８０４２０Ｙ") == {"11441700007280420Y"}
    assert credit_codes("代码 11৪৪১৭০০007280420Y") == set()
    assert credit_codes(None, "", "12320100MB1234567K 与 11441700007280420Y") == {
        "12320100MB1234567K", "11441700007280420Y"}
