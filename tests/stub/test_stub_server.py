"""Admin API, simulated delisting, the subprocess helper, the CLI and concurrency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

import fingertip
from fingertip_dev.stub import StubServer, WorldError, start_subprocess, stop_subprocess


def get(base, path, **params):
    return requests.get(base + path, params=params, timeout=10)


def post(base, path, body=None):
    return requests.post(base + path, json=body, timeout=10)


def test_health_and_counters(stub):
    health = get(stub.base_url, "/_admin/health").json()
    assert health["status"] == "ok" and health["world"].endswith("world.db")
    get(stub.base_url, "/lookup", id="1000000001", country="cn")
    get(stub.base_url, "/android/v1/listings", store="nope")
    get(stub.base_url, "/nowhere")
    counters = get(stub.base_url, "/_admin/counters").json()
    assert counters["total"] == 3  # admin calls are not counted
    assert counters["requests"] == {"apple_lookup": 1, "android_listings": 1, "not_found": 1}
    assert counters["status"] == {"200": 1, "400": 1, "404": 1}
    assert set(counters["faults"]) == {"error_5xx", "rate_429", "html_error", "truncated", "wrong_types",
                                       "timeout", "reset_mid_body"}
    assert counters == stub.counters()
    assert post(stub.base_url, "/_admin/reset").json() == {"status": "reset"}
    assert stub.counters()["total"] == 0


def test_admin_faults_and_reset_over_http(stub):
    assert post(stub.base_url, "/_admin/faults", {"rate_429": 1.0}).status_code == 200
    assert get(stub.base_url, "/lookup", id="1", country="cn").status_code == 429
    assert get(stub.base_url, "/_admin/faults").json()["rate_429"] == 1.0
    post(stub.base_url, "/_admin/reset", {"faults": True})
    assert stub.faults["rate_429"] == 0.0
    assert get(stub.base_url, "/lookup", id="1", country="cn").status_code == 200
    assert get(stub.base_url, "/_admin/reset").status_code == 405
    assert get(stub.base_url, "/_admin/whatever").status_code == 404
    assert requests.post(stub.base_url + "/_admin/faults", data="{oops", timeout=5).status_code == 400


def test_remove_and_restore_apple(stub):
    base = stub.base_url
    assert post(base, "/_admin/remove", {"store": "apple", "ids": ["1000000001"]}).json() == {
        "store": "apple", "removed": 1}
    body = get(base, "/lookup", id="1000000001,1000000002", country="cn").json()
    assert [r["trackId"] for r in body["results"]] == [1000000002]
    assert get(base, "/lookup", id="1000000001", country="cn").json()["resultCount"] == 0
    assert get(base, "/lookup", bundleId="cn.gov.yangjiang.zwfw.ios", country="cn").json()["resultCount"] == 0
    assert get(base, "/_admin/removed").json() == {"apple": ["1000000001"]}
    assert post(base, "/_admin/restore", {"store": "apple", "ids": ["1000000001"]}).json()["restored"] == 1
    assert get(base, "/lookup", id="1000000001", country="cn").json()["resultCount"] == 1


def test_remove_android_changes_pages_and_totals(stub):
    base = stub.base_url
    before = get(base, "/android/v1/listings", store="huawei", page_size=100).json()
    assert stub.remove("huawei", ["cn.gov.hw.pkg02", "cn.gov.hw.pkg10", "no.such"]) == 3
    pages, names, page = 0, [], 1
    while page:
        body = get(base, "/android/v1/listings", store="huawei", page=page, page_size=5).json()
        assert body["total"] == 21  # ids that match nothing change nothing
        names += [i["package_name"] for i in body["items"]]
        page, pages = body["next_page"], pages + 1
    assert pages == 5 and len(names) == 21
    assert "cn.gov.hw.pkg02" not in names and "cn.gov.hw.pkg10" not in names
    csv_text = get(base, "/android/v1/export.csv", store="huawei").content.decode("utf-8-sig")
    assert "pkg10" not in csv_text and "pkg11" in csv_text
    assert get(base, "/android/v1/listings", store="xiaomi").json()["total"] == 3  # other stores untouched
    assert stub.restore("huawei", None) == 3
    assert get(base, "/android/v1/listings", store="huawei", page_size=100).json() == before


def test_remove_filings_and_accounts(stub):
    base = stub.base_url
    stub.remove("icp_app", ["粤ICP备2024000003号-1A"])
    assert get(base, "/filings/v1/records", kind="icp_app").json()["total"] == 11
    assert get(base, "/filings/v1/records", kind="gov_app").json()["total"] == 3
    stub.remove("weibo", ["wb-yj"])
    body = get(base, "/accounts/v1/activity", date="2026-11-20").json()
    assert body["total"] == 5 and "wb-yj" not in {i["account_id"] for i in body["items"]}
    post(base, "/_admin/reset", {"removals": True})
    assert get(base, "/accounts/v1/activity", date="2026-11-20").json()["total"] == 6


def test_remove_validation(stub):
    assert post(stub.base_url, "/_admin/remove", {"store": "playstore", "ids": ["x"]}).status_code == 400
    assert post(stub.base_url, "/_admin/remove", {"ids": ["x"]}).status_code == 400
    assert post(stub.base_url, "/_admin/remove", {"store": "apple", "ids": "123"}).status_code == 400
    with pytest.raises(ValueError):
        stub.remove("playstore", ["x"])


def test_missing_or_foreign_world_fails_fast(tmp_path):
    with pytest.raises(WorldError, match="not found"):
        StubServer(tmp_path / "absent.db").start()
    other = tmp_path / "other.db"
    import sqlite3

    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(WorldError, match="not a store database"):
        StubServer(other).start()


def test_concurrent_clients(stub):
    base = stub.base_url
    calls = [("/lookup", {"id": "1000000001,1000000002", "country": "cn"}),
             ("/android/v1/listings", {"store": "huawei", "page": 2, "page_size": 5}),
             ("/filings/v1/records", {"kind": "icp_app", "page_size": 4, "page": 3}),
             ("/accounts/v1/activity", {"date": "2026-11-20"}),
             ("/android/v1/export.csv", {"store": "huawei"})]
    expected = {path: requests.get(base + path, params=p, timeout=10).content for path, p in calls}
    stub.reset_counters()

    def worker(n):
        with requests.Session() as session:  # keep-alive connections
            for i in range(20):
                path, params = calls[(n + i) % len(calls)]
                resp = session.get(base + path, params=params, timeout=10)
                assert resp.status_code == 200
                assert resp.content == expected[path]
        return n

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sorted(pool.map(worker, range(8))) == list(range(8))
    counters = stub.counters()
    assert counters["total"] == 160 and counters["status"] == {"200": 160}


def test_concurrent_clients_with_faults_and_retries(stub):
    stub.set_faults(error_5xx_rate=0.25, rate_429=0.25, truncated_rate=0.2, seed=5, retry_after_s=0)
    base, failures = stub.base_url, []

    def worker(n):
        for page in range(1, 5):
            for _ in range(3):
                resp = requests.get(base + "/android/v1/listings",
                                    params={"store": "huawei", "page": page, "page_size": 6, "client": n},
                                    timeout=10)
                if resp.status_code == 200:
                    try:
                        resp.json()
                        break
                    except ValueError:
                        pass
            else:
                failures.append((n, page))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert stub.counters()["faults_total"] > 0


def test_subprocess_start_and_stop(world_path, tmp_path):
    log = tmp_path / "stub.log"
    proc, base = start_subprocess(world_path, 0, faults={"rate_429": 1.0, "max_consecutive_faults": 1},
                                  log_path=log)
    try:
        assert base.startswith("http://127.0.0.1:")
        assert get(base, "/_admin/health").json()["faults"]["rate_429"] == 1.0
        assert get(base, "/lookup", id="1000000001", country="cn").status_code == 429
        assert get(base, "/lookup", id="1000000001", country="cn").json()["resultCount"] == 1
    finally:
        assert stop_subprocess(proc) == 0
    assert "serving" in log.read_text(encoding="utf-8")
    with pytest.raises(requests.ConnectionError):
        requests.get(base + "/_admin/health", timeout=2)


def test_subprocess_reports_startup_errors(tmp_path):
    with pytest.raises(RuntimeError, match="world database not found"):
        start_subprocess(tmp_path / "absent.db", 0, timeout=15)


def test_cli_rejects_bad_faults(world_path):
    plugins = str(Path(fingertip.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [plugins, os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-m", "fingertip_dev.stub", "--world", str(world_path), "--port", "0",
                           "--faults", json.dumps({"error_5xx_rate": 2})],
                          capture_output=True, text=True, timeout=60, check=False, env=env)
    assert proc.returncode == 2 and "error_5xx_rate" in proc.stderr
