"""The four sources over real HTTP: shapes, formats, filters and paging."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import requests

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
MIIT_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


def get(stub, path, **params):
    return requests.get(stub.base_url + path, params=params, timeout=10)


def walk(stub, path, page_size, **params):
    """Every page of a paged endpoint; returns (pages, items)."""
    pages, items, page = [], [], 1
    while page is not None:
        body = get(stub, path, page=page, page_size=page_size, **params).json()
        pages.append(body)
        items += body["items"]
        page = body["next_page"]
    return pages, items


def read_csv(resp):
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/csv")
    assert resp.content.startswith(b"\xef\xbb\xbf"), "vendor exports carry a UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))


# --- Apple ---------------------------------------------------------------------------------------

def test_apple_lookup_single_id_has_apples_shape_and_types(stub):
    resp = get(stub, "/lookup", id="1000000001", country="cn")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/javascript")  # like itunes.apple.com
    body = json.loads(resp.text)
    assert body["resultCount"] == 1
    app = body["results"][0]
    assert app["wrapperType"] == "software" and app["kind"] == "software"
    assert app["trackId"] == 1000000001 and isinstance(app["trackId"], int)
    assert app["trackName"] == "苹果应用1"
    assert app["bundleId"] == "cn.gov.yangjiang.zwfw.ios"
    assert app["sellerName"] == app["artistName"] == "开发者1"
    assert isinstance(app["artistId"], int)
    assert app["version"] == "2.1.0"
    assert app["currentVersionReleaseDate"] == "2026-10-01T09:30:05Z"
    assert app["releaseDate"] == "2019-01-01T00:00:00Z"
    assert ISO_Z.match(app["releaseDate"])
    assert app["description"] == "阳江政务服务：掌上办事。"
    assert app["releaseNotes"]
    assert isinstance(app["averageUserRating"], float) and app["averageUserRating"] == pytest.approx(3.6)
    assert app["userRatingCount"] == 1234 and isinstance(app["userRatingCount"], int)
    assert isinstance(app["averageUserRatingForCurrentVersion"], float)
    assert isinstance(app["userRatingCountForCurrentVersion"], int)
    assert isinstance(app["genres"], list) and app["genres"] and app["primaryGenreName"]
    assert isinstance(app["fileSizeBytes"], str) and app["fileSizeBytes"].isdigit()
    assert app["minimumOsVersion"]
    assert app["trackViewUrl"] == "https://apps.apple.com/cn/app/id1000000001"
    assert app["price"] == 0.0 and app["currency"] == "CNY" and app["formattedPrice"] == "免费"
    assert "ZH" in app["languageCodesISO2A"]
    assert app["contentAdvisoryRating"] == "4+"


def test_apple_multi_id_lookup_omits_missing_and_unavailable(stub):
    ids = "1000000002,999999999,1000000003,1000000001,1000000002"
    body = get(stub, "/lookup", id=ids, country="cn").json()
    assert body["resultCount"] == 2
    assert [r["trackId"] for r in body["results"]] == [1000000002, 1000000001]  # request order, deduplicated


def test_apple_absent_id_gives_result_count_zero(stub):
    for track in ("999999999", "1000000003"):  # unknown; unavailable in the store
        assert get(stub, "/lookup", id=track, country="cn").json() == {"resultCount": 0, "results": []}


def test_apple_fallbacks_for_listing_without_inventory_data(stub):
    results = get(stub, "/lookup", id="1000000004,1000000005", country="cn").json()["results"]
    by_id = {r["trackId"]: r for r in results}
    assert by_id[1000000004]["bundleId"] == "app.id1000000004"  # no inventory app: synthetic bundle id
    assert by_id[1000000005]["trackName"] == "阳江打卡"  # listing without name: the app's name
    assert by_id[1000000005]["sellerName"] == "阳江市人民政府办公室"  # … and the sponsor as seller
    assert by_id[1000000005]["bundleId"] == "cn.gov.yangjiang.daka"  # no bundle id: package name


def test_apple_lookup_by_bundle_id(stub):
    bundles = "cn.gov.nanjing.smk,app.id1000000004,no.such.app"
    body = get(stub, "/lookup", bundleId=bundles, country="cn").json()
    assert sorted(r["trackId"] for r in body["results"]) == [1000000002, 1000000004]


def test_apple_other_storefronts_are_empty(stub):
    assert get(stub, "/lookup", id="1000000001", country="us").json()["resultCount"] == 0
    assert get(stub, "/lookup", id="1000000001").json()["resultCount"] == 0  # Apple's default: US
    assert get(stub, "/lookup", id="1000000001", country="CN").json()["resultCount"] == 1


def test_apple_rejects_more_than_200_ids_and_bad_ids(stub):
    ids = ",".join(str(1000000000 + i) for i in range(201))
    resp = get(stub, "/lookup", id=ids, country="cn")
    assert resp.status_code == 400 and "errorMessage" in resp.json()
    ok = get(stub, "/lookup", id=",".join(str(1000000000 + i) for i in range(200)), country="cn")
    assert ok.status_code == 200 and ok.json()["resultCount"] == 4
    assert get(stub, "/lookup", id="12ab", country="cn").status_code == 400
    assert get(stub, "/lookup", country="cn").status_code == 400


# --- Android -------------------------------------------------------------------------------------

def test_android_pages_cover_every_item_exactly_once(stub):
    pages, items = walk(stub, "/android/v1/listings", 7, store="huawei")
    assert len(pages) == 4 and [p["page"] for p in pages] == [1, 2, 3, 4]
    assert all(p["total"] == 23 and p["page_size"] == 7 and p["store"] == "huawei" for p in pages)
    assert [p["next_page"] for p in pages] == [2, 3, 4, None]
    names = [i["package_name"] for i in items]
    assert names == sorted(names) and len(set(names)) == 23 == len(names)
    beyond = get(stub, "/android/v1/listings", store="huawei", page=9, page_size=7).json()
    assert beyond["items"] == [] and beyond["next_page"] is None and beyond["total"] == 23


def test_android_out_of_order_pages_match_sequential_ones(stub):
    _, items = walk(stub, "/android/v1/listings", 5, store="huawei")
    third = get(stub, "/android/v1/listings", store="huawei", page=3, page_size=5).json()["items"]
    assert third == items[10:15]


def test_android_item_fields_and_types(stub):
    body = get(stub, "/android/v1/listings", store="huawei", package="cn.gov.hw.pkg07").json()
    assert body["total"] == 1
    item = body["items"][0]
    assert set(item) == {"store", "package_name", "app_name", "developer", "version", "updated_at",
                         "downloads", "rating", "rating_count", "available"}
    assert item == {"store": "huawei", "package_name": "cn.gov.hw.pkg07", "app_name": "华为应用07",
                    "developer": "阳江市人民政府办公室", "version": "1.0.7", "updated_at": "2026-09-08T12:00:00Z",
                    "downloads": 86415, "rating": 4.0, "rating_count": 700, "available": False}
    no_rating = get(stub, "/android/v1/listings", store="huawei", package="cn.gov.hw.pkg03").json()
    no_rating = no_rating["items"][0]
    assert no_rating["rating"] is None


def test_android_validation(stub):
    assert get(stub, "/android/v1/listings").status_code == 400
    assert get(stub, "/android/v1/listings", store="apple").status_code == 400
    assert get(stub, "/android/v1/listings", store="huawei", page_size=1001).status_code == 400
    assert get(stub, "/android/v1/listings", store="huawei", page=0).status_code == 400
    assert get(stub, "/android/v1/listings", store="huawei", page_size="x").status_code == 400
    assert get(stub, "/android/v1/listings", store="huawei", page_size=1000).status_code == 200


def test_android_csv_export(stub):
    rows = read_csv(get(stub, "/android/v1/export.csv", store="huawei"))
    assert len(rows) == 23
    assert list(rows[0]) == ["store", "package_name", "app_name", "developer", "version", "updated_at",
                             "downloads", "rating", "rating_count", "available"]
    seven = next(r for r in rows if r["package_name"] == "cn.gov.hw.pkg07")
    assert seven["available"] == "false" and seven["downloads"] == "86415"
    assert next(r for r in rows if r["package_name"] == "cn.gov.hw.pkg03")["rating"] == ""


# --- filings -------------------------------------------------------------------------------------

def test_filings_pages_and_miit_fields(stub):
    pages, items = walk(stub, "/filings/v1/records", 5, kind="icp_app")
    assert [p["total"] for p in pages] == [12, 12, 12]
    licences = [i["serviceLicence"] for i in items]
    assert len(set(licences)) == 12 and licences == sorted(licences)
    item = next(i for i in items if i["serviceName"] == "备案应用05")
    assert item == {"unitName": "北京市政务服务管理局", "natureName": "机关", "mainLicence": "京ICP备2024000005号",
                    "serviceLicence": "京ICP备2024000005号-1A", "serviceName": "备案应用05", "serviceType": "app",
                    "updateRecordTime": "2025-06-03 10:20:30", "limitAccess": "是",
                    "creditCode": "11110000000013127D", "status": "active", "cancelTime": None}
    assert all(MIIT_TIME.match(i["updateRecordTime"]) for i in items)
    cancelled = next(i for i in items if i["serviceName"] == "备案应用09")
    assert cancelled["status"] == "cancelled" and cancelled["cancelTime"] == "2026-03-01 08:00:00"
    assert {i["serviceType"] for i in items} == {"app", "mini_program"}
    gov = get(stub, "/filings/v1/records", kind="gov_app").json()
    assert gov["total"] == 3 and gov["kind"] == "gov_app"


def test_filings_filters(stub):
    def total(**params):
        return get(stub, "/filings/v1/records", kind="icp_app", **params).json()["total"]

    assert total(credit_code="11441700007280420Y") == 3  # the fourth 粤 filing has no credit code
    assert total(credit_code="11441700007280420y") == 3
    assert total(sponsor_name="北京市政务服务管理局") == 4
    assert total(licence="粤ICP备2024000003号-1A") == 1
    assert total(licence="粤ICP备2024000003号") == 1  # main licence
    assert total(province="44") == 4  # no credit code: province from 粤 in the licence
    assert total(province="11") == 4
    assert total(province="32", sponsor_name="南京市大数据管理局") == 4
    assert total(province="65") == 0
    assert get(stub, "/filings/v1/records").status_code == 400
    assert get(stub, "/filings/v1/records", kind="icp_app", province="4").status_code == 400


def test_filings_csv_export(stub):
    rows = read_csv(get(stub, "/filings/v1/export.csv", kind="icp_app", province="44"))
    assert len(rows) == 4
    assert list(rows[0])[:4] == ["unitName", "natureName", "mainLicence", "serviceLicence"]
    assert {r["limitAccess"] for r in rows} <= {"是", "否"}


# --- accounts ------------------------------------------------------------------------------------

def test_account_activity_pages_and_fields(stub):
    pages, items = walk(stub, "/accounts/v1/activity", 4, date="2026-11-20")
    assert [p["total"] for p in pages] == [6, 6] and pages[0]["date"] == "2026-11-20"
    keys = [(i["platform"], i["account_id"]) for i in items]
    assert keys == sorted(keys) and len(set(keys)) == 6
    yj = next(i for i in items if i["account_id"] == "wb-yj")
    assert yj == {"platform": "weibo", "account_id": "wb-yj", "name": "阳江微博",
                  "last_post_at": "2026-11-16T09:04:00Z", "posts_7d": 4, "posts_14d": 8, "posts_30d": 16,
                  "followers": 20000, "unanswered_messages": 4, "oldest_unanswered_days": 4,
                  "interaction_channel": True, "as_of": "2026-11-20"}
    assert next(i for i in items if i["account_id"] == "wb-bj")["last_post_at"] is None


def test_account_activity_as_of_latest_earlier_date(stub):
    items = get(stub, "/accounts/v1/activity", date="2026-11-20", page_size=100).json()["items"]
    assert next(i for i in items if i["account_id"] == "wx-gap")["as_of"] == "2026-11-19"
    later = get(stub, "/accounts/v1/activity", date="2027-01-01").json()["items"]
    assert {i["as_of"] for i in later} == {"2026-11-20", "2026-11-19"}
    early = get(stub, "/accounts/v1/activity", date="2026-11-10").json()
    assert early["total"] == 5  # wx-late has no activity yet
    assert "wx-late" not in {i["account_id"] for i in early["items"]}
    assert {i["as_of"] for i in early["items"]} == {"2026-11-10"}
    default = get(stub, "/accounts/v1/activity").json()
    assert default["date"] == "2026-11-20" and default["total"] == 6  # default: latest date of the world
    assert get(stub, "/accounts/v1/activity", date="20261120").status_code == 400


def test_account_activity_filters_and_csv(stub):
    def total(**params):
        return get(stub, "/accounts/v1/activity", date="2026-11-20", **params).json()["total"]

    assert total(platform="weibo") == 2
    assert total(province="44") == 3
    assert total(platform="wechat", province="44") == 2
    assert get(stub, "/accounts/v1/activity", platform="myspace").status_code == 400
    rows = read_csv(get(stub, "/accounts/v1/activity.csv", date="2026-11-20", platform="wechat"))
    assert len(rows) == 4
    assert list(rows[0]) == ["platform", "account_id", "name", "last_post_at", "posts_7d", "posts_14d",
                             "posts_30d", "followers", "unanswered_messages", "oldest_unanswered_days",
                             "interaction_channel", "as_of"]


def test_unknown_path_is_404_json(stub):
    resp = get(stub, "/nope")
    assert resp.status_code == 404 and resp.json()["error"] == "not_found"
