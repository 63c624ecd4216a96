"""Issue 14 items 2/3 and 16 at the source side: names from feeds are kept verbatim (no NFKC fold of
（）), and a name with a control or bidi character is flagged (the field is left unread and noted)
while the record — its presence in the store, its other fields — is kept; a filing whose unit or
service name holds one is rejected with the specific reason, the rest of the page kept."""

from __future__ import annotations

import pytest

from fingertip.hooks.activity import parse_activity
from fingertip.hooks.android import parse_listing
from fingertip.hooks.apple import parse_result
from fingertip.hooks.filings import parse_filing
from fingertip.sources import coerce


def test_apple_names_verbatim_and_a_bidi_name_is_flagged_not_dropped():
    obs = parse_result({"trackId": 1000000001, "trackName": "粤省事（政务版）", "sellerName": "广东省政务服务数据管理局",
                        "version": "２.0"})
    assert obs.name == "粤省事（政务版）" and obs.problems == []
    bad = parse_result({"trackId": 1000000002, "trackName": "粤省事\u202e版", "sellerName": "某局", "version": "2.1",
                        "userRatingCount": 10})
    assert bad.store_app_id == "1000000002" and bad.name is None and bad.problems == ["trackName"]
    assert bad.version == "2.1" and bad.rating_count == 10 and bad.developer == "某局"


def test_android_names_verbatim_and_a_control_character_is_flagged():
    _, obs = parse_listing({"store": "huawei", "package_name": "cn.gov.x", "app_name": "政务（移动）",
                            "developer": "某\x07局", "available": True})
    assert obs.name == "政务（移动）" and obs.developer is None and obs.problems == ["developer"]


def test_a_filing_with_a_control_character_in_a_name_is_rejected_with_the_reason():
    item = {"serviceLicence": "粤ICP备2024012345号-1A", "unitName": "某市\x1b政务局", "serviceName": "政务通",
            "serviceType": "app"}
    with pytest.raises(ValueError, match="U\\+001B"):
        parse_filing(item)
    _, record = parse_filing({**item, "unitName": "某市政务服务数据管理局（办）"})
    assert record.sponsor_name == "某市政务服务数据管理局（办）"


def test_activity_account_name_flagged():
    _, record = parse_activity({"platform": "wechat", "account_id": "gh_1", "name": "发布\u2067", "posts_7d": 1,
                                "posts_14d": 2, "posts_30d": 3, "followers": 10, "unanswered_messages": 0}, None)
    assert record.name is None and "name" in record.problems and record.posts_30d == 3


def test_name_key_folds_only_for_matching():
    assert coerce.name("  政务（移动） ") == "政务（移动）"
    assert coerce.name_key("政务（移动）") == coerce.name_key("政务(移动)") == "政务(移动)"
