"""The console in a real browser (Debian's headless Chromium through Selenium) against the real api-server.

One browser session for the whole module: log in through Airflow's own login page as admin, open
every page (screenshots to ``out/ui/``), filter findings, acknowledge one and see the user recorded,
download a document; then log in as viewer and get a 403 on an action.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from tests.conftest import ROOT
from tests.console.conftest import PASSWORDS
from tests.console.seed import FINDINGS, fid

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SHOTS = ROOT / "out" / "ui"

HAVE_BROWSER = CHROMIUM.exists() and DRIVER.exists()
pytestmark = pytest.mark.skipif(not HAVE_BROWSER and not os.environ.get("CI"),
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
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
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
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def test_console_in_the_browser(browser, console):
    from selenium.webdriver.common.by import By

    base = console["base"]
    login(browser, base, "admin")

    # Airflow's navigation lists the console; its page shows the console inside Airflow's layout.
    browser.get(base + "/plugin/fingertip")
    wait_for(lambda: browser.find_elements(By.TAG_NAME, "iframe"), what="the console inside Airflow")
    time.sleep(2)
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
