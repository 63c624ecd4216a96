"""Fault injection: every kind produced and counted, determinism, the consecutive-fault cap."""

from __future__ import annotations

import json
import time

import pytest
import requests

from fingertip_dev.stub import FaultKnobs
from fingertip_dev.stub.faults import decide, fingerprint

LOOKUP = "/lookup"
APPLE = {"id": "1000000001,1000000002", "country": "cn"}


def get(stub, path=LOOKUP, params=None, timeout=10):
    return requests.get(stub.base_url + path, params=APPLE if params is None else params, timeout=timeout)


def only(stub, kind, **extra):
    """Faults of one kind on every first attempt."""
    knob = {"error_5xx": "error_5xx_rate", "rate_429": "rate_429", "html_error": "html_error_rate",
            "truncated": "truncated_rate", "wrong_types": "wrong_types_rate", "timeout": "timeout_rate"}[kind]
    stub.set_faults(**{knob: 1.0, "max_consecutive_faults": 1, **extra})


def assert_counted(stub, kind, n=1):
    counters = stub.counters()
    assert counters["faults"][kind] == n
    assert counters["faults_total"] == n


def test_error_5xx(stub):
    only(stub, "error_5xx")
    seen = set()
    for i in range(12):  # distinct fingerprints: both statuses and both body variants show up
        resp = get(stub, params={"id": str(1000000001 + i), "country": "cn"})
        assert resp.status_code in (500, 503)
        seen.add((resp.status_code, bool(resp.content)))
        if resp.content:
            assert "error" in resp.json()
    assert {s for s, _ in seen} == {500, 503} and {b for _, b in seen} == {True, False}
    assert_counted(stub, "error_5xx", 12)
    assert get(stub, params={"id": "1000000001", "country": "cn"}).status_code == 200  # second attempt


def test_rate_429_has_retry_after(stub):
    only(stub, "rate_429", retry_after_s=3)
    resp = get(stub)
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "3"
    assert_counted(stub, "rate_429")
    stub.set_faults(rate_429=1.0)  # default Retry-After
    stub.reset_counters()
    assert get(stub).headers["Retry-After"] == "1"


def test_html_error_pages(stub):
    only(stub, "html_error")
    statuses = set()
    for i in range(10):
        resp = get(stub, "/android/v1/listings", {"store": "huawei", "page": i + 1, "page_size": 2})
        assert resp.headers["Content-Type"].startswith("text/html")
        assert "<html" in resp.text and ("网关" in resp.text or "系统繁忙" in resp.text)
        with pytest.raises(ValueError):
            resp.json()
        statuses.add(resp.status_code)
    assert statuses == {200, 502}
    assert_counted(stub, "html_error", 10)


def test_truncated_json(stub):
    clean = get(stub).content
    stub.reset_counters()
    only(stub, "truncated")
    resp = get(stub)
    assert resp.status_code == 200
    assert len(resp.content) == len(clean) // 2
    with pytest.raises(ValueError):
        json.loads(resp.content.decode("utf-8", errors="replace"))
    assert_counted(stub, "truncated")


def test_wrong_types_apple(stub):
    only(stub, "wrong_types")
    body = json.loads(get(stub).text)
    assert body["resultCount"] == 2
    for app in body["results"]:
        assert isinstance(app["trackId"], str)
        assert app["averageUserRating"] is None
        assert isinstance(app["userRatingCount"], str)
    assert {app["userRatingCount"] for app in body["results"]} == {"1,234", "2,234"}
    assert_counted(stub, "wrong_types")


def test_wrong_types_android_and_csv(stub):
    only(stub, "wrong_types")
    items = get(stub, "/android/v1/listings", {"store": "huawei", "page_size": 30}).json()["items"]
    downloads = {i["package_name"]: i["downloads"] for i in items}
    assert downloads["cn.gov.hw.pkg01"] == "1万+" and downloads["cn.gov.hw.pkg20"] == "24万+"
    assert any(len(i) < 10 for i in items)  # some fields missing
    text = get(stub, "/android/v1/export.csv", {"store": "huawei"}).content.decode("utf-8-sig")
    assert "万+" in text
    filings = get(stub, "/filings/v1/records", {"kind": "icp_app"}).json()["items"]
    assert all(isinstance(f["limitAccess"], bool) for f in filings)
    accounts = get(stub, "/accounts/v1/activity", {"date": "2026-11-20"}).json()["items"]
    assert all(isinstance(a["posts_7d"], str) for a in accounts)
    assert_counted(stub, "wrong_types", 4)


def test_timeout_and_latency(stub):
    only(stub, "timeout", timeout_s=0.6)
    with pytest.raises(requests.Timeout):
        get(stub, timeout=0.2)
    assert_counted(stub, "timeout")
    started = time.monotonic()
    assert get(stub).status_code == 200  # second attempt of the same request: no fault
    assert time.monotonic() - started < 0.5
    stub.set_faults(latency_ms=150)
    started = time.monotonic()
    assert get(stub, params={"id": "1000000005", "country": "cn"}).status_code == 200
    assert time.monotonic() - started >= 0.15


def test_max_consecutive_faults_is_honoured(stub):
    stub.set_faults(error_5xx_rate=1.0, max_consecutive_faults=3)
    codes = [get(stub).status_code for _ in range(5)]
    assert [c >= 500 for c in codes] == [True, True, True, False, False]
    assert stub.counters()["faults"]["error_5xx"] == 3
    stub.reset_counters()  # forgets the attempt history as well
    assert get(stub).status_code >= 500
    stub.set_faults(error_5xx_rate=1.0, max_consecutive_faults=0)
    assert get(stub, params={"id": "1000000002", "country": "cn"}).status_code == 200


def test_retrying_client_gets_everything_despite_faults(stub):
    stub.set_faults(error_5xx_rate=0.3, rate_429=0.2, html_error_rate=0.1, truncated_rate=0.1,
                    wrong_types_rate=0.1, timeout_rate=0.0, seed=7)  # max_consecutive_faults default 2
    for page in range(1, 6):
        for _attempt in range(3):
            resp = get(stub, "/android/v1/listings", {"store": "huawei", "page": page, "page_size": 5})
            try:
                body = resp.json() if resp.status_code == 200 else None
            except ValueError:
                body = None
            if body and isinstance(body["items"][0]["downloads"], int):
                break
        else:
            pytest.fail(f"page {page} still faulty after 3 attempts")
    assert stub.counters()["faults_total"] > 0


def _fault_sequence(stub, requests_):
    out = []
    for path, params in requests_:
        resp = get(stub, path, params)
        out.append((resp.status_code, resp.headers.get("Content-Type"), resp.content))
    return out


REQUESTS = [(LOOKUP, {"id": str(1000000001 + i % 5), "country": "cn"}) for i in range(15)] + [
    ("/android/v1/listings", {"store": "huawei", "page": p, "page_size": 5}) for p in (1, 2, 3, 1, 2, 3)
] + [("/filings/v1/records", {"kind": "icp_app"})] * 3


def test_same_seed_same_fault_sequence(world_path):
    from fingertip_dev.stub import StubServer

    knobs = dict(error_5xx_rate=0.2, rate_429=0.15, html_error_rate=0.15, truncated_rate=0.15,
                 wrong_types_rate=0.15, seed=42, max_consecutive_faults=2)
    with StubServer(world_path, faults=knobs) as a, StubServer(world_path, faults=knobs) as b:
        first, second = _fault_sequence(a, REQUESTS), _fault_sequence(b, REQUESTS)
        assert first == second
        assert a.counters()["faults"] == b.counters()["faults"]
        assert a.counters()["faults_total"] > 3
        a.reset_counters()
        assert _fault_sequence(a, REQUESTS) == first  # reset: the same sequence again
    with StubServer(world_path, faults={**knobs, "seed": 43}) as c:
        assert _fault_sequence(c, REQUESTS) != first


def test_decision_function_is_pure_and_ordered():
    knobs = FaultKnobs(error_5xx_rate=0.5, rate_429=0.5, seed=1)
    fp = fingerprint("GET", "/lookup", "id=2,1&country=cn")
    assert fp == fingerprint("get", "/lookup", "country=cn&id=2,1")  # query order does not matter
    assert decide(knobs, fp, 0) == decide(knobs, fp, 0)
    assert decide(knobs, fp, 0).kind in ("error_5xx", "rate_429")
    assert decide(knobs, fp, 2) is None
    kinds = {decide(FaultKnobs(error_5xx_rate=0.5, rate_429=0.5, seed=s), fp, 0).kind for s in range(40)}
    assert kinds == {"error_5xx", "rate_429"}
    assert decide(FaultKnobs(), fp, 0) is None


def test_knob_validation(stub):
    with pytest.raises(ValueError, match="unknown"):
        stub.set_faults(error_rate=0.1)
    with pytest.raises(ValueError, match="add up"):
        stub.set_faults(error_5xx_rate=0.7, rate_429=0.7)
    with pytest.raises(ValueError):
        stub.set_faults(truncated_rate=-0.1)
    resp = requests.post(stub.base_url + "/_admin/faults", json={"nope": 1}, timeout=5)
    assert resp.status_code == 400 and "unknown" in resp.json()["message"]
    resp = requests.post(stub.base_url + "/_admin/faults", json={"error_5xx_rate": "0.25", "seed": 3},
                         timeout=5)
    assert resp.status_code == 200 and resp.json()["error_5xx_rate"] == 0.25
    assert stub.faults["seed"] == 3 and stub.faults["rate_429"] == 0.0
