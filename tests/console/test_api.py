"""The console on one real api-server: the JSON API (authentication, permissions, filters, actions, exports)
and, last, the pages in a real browser (Debian's headless Chromium through Selenium).

The browser part is one test in one browser session: log in through Airflow's own login page as admin,
open every page (screenshots to ``out/ui/``), filter findings, acknowledge one and see the user
recorded, download a document; then log in as viewer and get a 403 on an action. Both parts share
the session's server (one module: ``make test`` hands a whole file to one worker).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from tests.conftest import ROOT
from tests.console.conftest import PASSWORDS
from tests.console.seed import FINDINGS, FORMULA_TITLE, HOSTILE_APP, fid

#: One api-server start (≈ 20–60 s on two busy cores) plus a browser: `make test` starts this file early.
pytestmark = pytest.mark.slow

ROUTES = ["/fingertip/api/summary", "/fingertip/api/findings", "/fingertip/api/cases", "/fingertip/api/batches",
          "/fingertip/api/reports", "/fingertip/api/entities", "/fingertip/", "/fingertip/findings",
          "/fingertip/files/cases/CASE-1/announcement.pdf", "/fingertip/api/export/findings.csv",
          "/fingertip/static/console.css"]


@pytest.mark.parametrize("path", ROUTES)
def test_anonymous_gets_no_data(anonymous, path):
    r = anonymous.get(path)
    assert r.status_code in (401, 403)
    assert "APP-1" not in r.text and "广州" not in r.text


def test_forged_token_is_refused(anonymous):
    r = anonymous.get("/fingertip/api/findings", headers={"Authorization": "Bearer not.a.jwt"})
    assert r.status_code in (401, 403)


def test_plugin_is_registered(admin):
    plugins = admin.get("/api/v2/plugins").json()["plugins"]
    mine = [p for p in plugins if "fingertip" in p["name"]]
    assert mine and any(a["url_prefix"] == "/fingertip" for a in mine[0]["fastapi_apps"])
    assert {v["href"] for v in mine[0]["external_views"]} >= {"/fingertip/", "/fingertip/findings"}


def test_findings_filters_and_paging(admin):
    r = admin.get("/fingertip/api/findings")
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == len(FINDINGS)
    expected_gd_open = sum(1 for f in FINDINGS if f[5].startswith("44") and f[4] == "open")
    body = admin.get("/fingertip/api/findings", params={"province": "44", "state": "open"}).json()
    assert body["total"] == expected_gd_open == len(body["items"])
    assert all(i["division_code"].startswith("44") and i["state"] == "open" for i in body["items"])
    body = admin.get("/fingertip/api/findings", params={"page_size": 2, "page": 2, "sort": "id"}).json()
    assert body["total"] == len(FINDINGS) and len(body["items"]) == 2
    all_ids = sorted(i["id"] for i in admin.get("/fingertip/api/findings", params={"sort": "id"}).json()["items"])
    assert [i["id"] for i in body["items"]] == all_ids[2:4]
    assert admin.get("/fingertip/api/findings", params={"sort": "title_zh; drop table"}).status_code == 422
    assert admin.get("/fingertip/api/findings", params={"province": "x'"}).status_code == 422


def test_summary(admin):
    data = admin.get("/fingertip/api/summary").json()
    assert data["inventory"]["by_kind"] == {"app": 2, "account": 1, "work_group": 0}
    open_by_rule = {r["rule_id"]: r["count"] for r in data["findings"]["open_by_rule"]}
    assert open_by_rule == {"app.no_complaint_channel": 2, "app.zombie": 1, "account.no_interaction": 1}
    assert {p["name"] for p in data["pass_rate"]} == {"北京市", "广东省"}
    assert data["cases_by_state"] == {"proposed": 1}


def test_viewer_reads_but_cannot_act(viewer, console):
    assert viewer.get("/fingertip/api/findings").status_code == 200
    r = viewer.post(f"/fingertip/api/findings/{console['ids']['finding_open']}/acknowledge")
    assert r.status_code == 403


def test_acknowledge_records_the_user(admin, console):
    fid = console["ids"]["finding_open"]
    r = admin.post(f"/fingertip/api/findings/{fid}/acknowledge")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "acknowledged" and r.json()["acknowledged_by"] == "admin"
    assert admin.post(f"/fingertip/api/findings/{fid}/acknowledge").status_code == 409


def test_waive_and_revoke(admin, console):
    fid = console["ids"]["finding_formula"]
    r = admin.post(f"/fingertip/api/findings/{fid}/waive",
                   json={"reason": "整改中", "approver": "王五", "expires_on": "2099-01-31"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "waived" and r.json()["waivers"][0]["approver"] == "王五"
    assert admin.post(f"/fingertip/api/findings/{fid}/waive", json={"reason": "", "approver": "x",
                                                                     "expires_on": "2099-01-31"}).status_code == 422
    r = admin.post(f"/fingertip/api/findings/{fid}/revoke")
    assert r.status_code == 200 and r.json()["state"] == "open"
    (waiver,) = r.json()["waivers"]
    assert waiver["granted_by"] == "admin" and waiver["revoked_by"] == "admin"  # the logged-in user
    assert waiver["approver"] == "王五"


def test_cookie_session_needs_csrf_token(anonymous, console):
    """A state-changing call carried by the session cookie alone (what a cross-site form sends) is refused."""
    from tests.console.conftest import token

    jwt = token(console["base"], "admin")
    fid = console["ids"]["finding_waived"]
    r = anonymous.post(f"/fingertip/api/findings/{fid}/revoke", cookies={"_token": jwt})
    assert r.status_code == 403 and "CSRF" in r.text
    page = anonymous.get(f"/fingertip/findings/{fid}", cookies={"_token": jwt})
    assert page.status_code == 200
    csrf = page.text.split('name="fingertip-csrf" content="')[1].split('"')[0]
    r = anonymous.post(f"/fingertip/api/findings/{fid}/revoke", cookies={"_token": jwt},
                       headers={"X-Fingertip-CSRF": csrf})
    assert r.status_code == 200, r.text


def test_entity_case_batch_report_endpoints(admin):
    e = admin.get("/fingertip/api/entities/app/APP-1").json()
    assert e["record"]["name"] == HOSTILE_APP and len(e["snapshots"]) == 5 and e["listings"][0]["store"] == "huawei"
    c = admin.get("/fingertip/api/cases/CASE-1").json()
    assert c["case"]["state"] == "proposed" and c["documents"][0]["doc_kind"] == "announcement"
    assert admin.get("/fingertip/api/batches/1").json()["bad_rows"] == 2
    assert admin.get("/fingertip/quality/1").status_code == 200
    assert admin.get("/fingertip/quality/１").status_code == 404  # full-width digit: not batch 1
    assert admin.get("/fingertip/api/quarantine", params={"batch": 1}).json()["total"] == 2
    assert admin.get("/fingertip/api/reports").json()["items"][0]["run_key"] == "periodic_report/2026-11"
    assert admin.get("/fingertip/api/entities", params={"type": "account"}).json()["total"] == 1
    assert admin.get("/fingertip/api/entities/app/NOPE").status_code == 404
    assert admin.get("/fingertip/openapi.json").json()["paths"]["/api/findings"]


def test_downloads_only_from_outputs(admin):
    r = admin.get("/fingertip/api/documents/1/download")
    assert r.status_code == 200 and r.content.startswith(b"%PDF") and "attachment" in r.headers["content-disposition"]
    assert admin.get("/fingertip/api/documents/2/download").status_code == 403  # stored path outside the outputs
    for evil in ("../secret.txt", "cases/../../secret.txt", "%2e%2e/secret.txt", "..%2fsecret.txt",
                 "cases/CASE-1/..%2f..%2f..%2fsecret.txt", "/etc/passwd", "%2Fetc%2Fpasswd", "cases\\..\\..\\secret.txt"):
        r = admin.get("/fingertip/files/" + evil)
        assert r.status_code in (403, 404), evil
        assert b"top secret" not in r.content
    docs = admin.get("/fingertip/files/quality/data_docs/index.html")
    assert docs.status_code == 200 and "sandbox" in docs.headers["content-security-policy"]


def test_exports_are_formula_safe(admin):
    r = admin.get("/fingertip/api/export/findings.csv", params={"province": "11"})
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "编号" and len(rows) - 1 == sum(1 for f in FINDINGS if f[5].startswith("11"))
    cells = [c for row in rows for c in row]
    assert "'" + FORMULA_TITLE in cells and FORMULA_TITLE not in cells
    assert not any("\u202e" in c for c in cells)
    r = admin.get("/fingertip/api/export/batches.xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    values = [c for row in ws.iter_rows(values_only=True) for c in row]
    assert any(isinstance(v, str) and v.startswith("=cmd") for v in values)
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert admin.get("/fingertip/api/export/nothing.csv").status_code == 404


def test_pages_render_hostile_values_as_text(admin):
    for path in ("/fingertip/", "/fingertip/findings", "/fingertip/entities/app/APP-1", "/fingertip/cases",
                 "/fingertip/cases/CASE-1", "/fingertip/quality", "/fingertip/quality/1", "/fingertip/reports",
                 "/fingertip/reports/2026-11", "/fingertip/entities", "/fingertip/runs/1"):
        r = admin.get(path)
        assert r.status_code == 200, (path, r.text[:500])
        assert "<script>alert" not in r.text and "\u202e" not in r.text, path
        assert "<b>x</b>" not in r.text, path
    page = admin.get("/fingertip/entities/app/APP-1").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;{{ 7*7 }}" in page
    assert "北京时间" in page
    case = admin.get("/fingertip/cases/CASE-1").text
    assert "/dags/shutdown_cases/runs/manual__2026-12-01/required_actions" in case



def test_overview_says_which_score_it_shows(admin):
    """The overview's per-province rate is Fingertip's own evaluation (inspections), not the 19号 indicator."""
    page = admin.get("/fingertip/").text
    assert "治理评估合格率（Fingertip评分" in page and "默认阈值" in page
    assert "数据缺失（不计入合格率）" in page
    assert "检查合格率" not in page

# --- the pages in a real browser ---------------------------------------------------------------------
CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SHOTS = ROOT / "out" / "ui"

HAVE_BROWSER = CHROMIUM.exists() and DRIVER.exists()
needs_browser = pytest.mark.skipif(not HAVE_BROWSER and not os.environ.get("CI"),
                                   reason="Debian's chromium and chromium-driver are not installed (make browser)")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    assert HAVE_BROWSER, "CI needs /usr/bin/chromium and /usr/bin/chromedriver: `make install` runs `make browser`"
    downloads = tmp_path_factory.mktemp("downloads")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000",
                "--lang=zh-CN", "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    # Beijing time in the browser too: Airflow 3.3's UI shows times in the browser's zone by default.
    service = Service(str(DRIVER), env={**os.environ, "TZ": "Asia/Shanghai"})
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    driver.downloads = downloads  # type: ignore[attr-defined]
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    from selenium.common.exceptions import WebDriverException

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = predicate()
        except WebDriverException:  # the page reloaded under the element (stale reference): look again
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def login(driver, base: str, user: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(base + "/auth/login")
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "input[name=username]"), what="the login form")
    driver.find_element(By.CSS_SELECTOR, "input[name=username]").send_keys(user)
    driver.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(PASSWORDS[user])
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(lambda: driver.get_cookie("_token"), what=f"the session cookie of {user}")


def shot(driver, name: str) -> None:
    from selenium.common.exceptions import WebDriverException

    for attempt in range(3):  # chromedriver's "unhandled inspector error" on a busy machine: try again
        try:
            driver.save_screenshot(str(SHOTS / f"{name}.png"))
            return
        except WebDriverException:
            if attempt == 2:
                raise
            time.sleep(1)


@needs_browser
def test_console_in_the_browser(browser, console):
    from selenium.webdriver.common.by import By

    base = console["base"]
    login(browser, base, "admin")

    # Airflow's navigation lists the console; its page shows the console inside Airflow's layout.
    browser.get(base + "/plugin/fingertip")
    frame = wait_for(lambda: browser.find_elements(By.TAG_NAME, "iframe"), what="the console inside Airflow")[0]
    browser.switch_to.frame(frame)  # the console's own page has loaded in it (a heading), then the screenshot
    try:
        wait_for(lambda: any(h.text for h in browser.find_elements(By.TAG_NAME, "h1")), what="the console's page")
    finally:
        browser.switch_to.default_content()
    shot(browser, "00-airflow-nav")

    pages = {"01-overview": "/fingertip/", "02-findings": "/fingertip/findings",
             "03-entity": "/fingertip/entities/app/APP-1", "04-cases": "/fingertip/cases",
             "05-case": "/fingertip/cases/CASE-1", "06-quality": "/fingertip/quality", "07-batch": "/fingertip/quality/1",
             "08-reports": "/fingertip/reports", "09-entities": "/fingertip/entities",
             "13-run": "/fingertip/runs/1"}
    for name, path in pages.items():
        browser.get(base + path)
        assert browser.find_element(By.TAG_NAME, "h1").text, path
        assert "错误" not in browser.find_element(By.TAG_NAME, "main").text, path
        assert not browser.execute_script("return window.__xss === true"), path
        shot(browser, name)

    # Filter findings with the form: Guangdong, open.
    browser.get(base + "/fingertip/findings")
    browser.find_element(By.NAME, "province").send_keys("44")
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.NAME, "state")).select_by_value("open")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait_for(lambda: "province=44" in browser.current_url, what="the filtered list")
    total = int(browser.find_element(By.CSS_SELECTOR, ".total").text)
    rows = browser.find_elements(By.CSS_SELECTOR, "table.list tbody tr")
    # at most the seeded open ones: the API tests on the same server may have acknowledged one
    assert total == len(rows) >= 1
    assert total <= sum(1 for f in FINDINGS if f[5].startswith("44") and f[4] == "open")
    shot(browser, "10-findings-filtered")

    # Acknowledge finding 5 (open, untouched by the API tests) and see the user recorded.
    browser.get(base + f"/fingertip/findings/{fid(5)}")
    browser.find_element(By.ID, "btn-ack").click()
    wait_for(lambda: "admin" in browser.find_element(By.ID, "finding-ack").text, what="the acknowledgement")
    assert "已认领" in browser.find_element(By.ID, "finding-state").text
    shot(browser, "11-finding-acknowledged")

    # Download the case's announcement.
    browser.get(base + "/fingertip/cases/CASE-1")
    browser.find_element(By.CSS_SELECTOR, "a.download").click()
    target = browser.downloads / "announcement.pdf"
    wait_for(lambda: target.exists() and target.stat().st_size > 0, what="the downloaded document")
    assert target.read_bytes().startswith(b"%PDF")

    # A viewer reads the page but the action answers 403.
    login(browser, base, "viewer")
    browser.get(base + f"/fingertip/findings/{fid(1)}")
    assert "只读" in browser.find_element(By.CSS_SELECTOR, "section.actions").text
    browser.find_element(By.ID, "btn-ack").click()
    wait_for(lambda: "403" in browser.find_element(By.ID, "action-result").text, what="the 403 answer")
    shot(browser, "12-viewer-403")
    shutil.rmtree(browser.downloads, ignore_errors=True)
