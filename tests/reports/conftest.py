"""A small, fully known governance store for the report tests, and a real SMTP server.

Two provinces (Guangdong 440000, Beijing 110000), three sponsoring units, four apps (three with
hostile names), three accounts, two work groups, six findings, inspections on three check dates
and three shutdown cases. The expected figures are written out in ``test_figures.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
import sqlalchemy as sa

SCRIPT = "<script>alert(1)</script>"
HYPERLINK = '=HYPERLINK("http://evil.example","点我")'
ATSUM = "@SUM(1+1)*cmd"
HOSTILE = (SCRIPT, HYPERLINK, ATSUM)

ARTICLES = {"opinions-7": "《意见》第七条", "opinions-12": "《意见》第十二条", "opinions-14": "《意见》第十四条"}
T = dt.datetime
PROV = dict(source="test", fetched_at=T(2026, 1, 1), request_fingerprint="0" * 64)


def _sponsor(code_div: str, body: str) -> str:
    from fingertip.identifiers import make_credit_code

    return make_credit_code("11", code_div, body)


def load_dataset(engine: sa.Engine) -> dict:
    """Insert the known dataset; returns ids and keys."""
    from fingertip.reference import load_divisions_into_store
    from fingertip.store import schema

    load_divisions_into_store(engine)
    sponsors = [
        dict(id=1, credit_code=_sponsor("440000", "ABCD1234"), name="广东省政务服务数据管理局", division_code="440000",
             level="provincial", nature="机关", **PROV),
        dict(id=2, credit_code=_sponsor("440305", "BCDE2345"), name="深圳市南山区政务服务中心", division_code="440305",
             level="county", nature="事业单位", **PROV),
        dict(id=3, credit_code=_sponsor("110101", "CDEF3456"), name="北京市东城区融媒体中心", division_code="110101",
             level="county", nature="事业单位", **PROV),
    ]
    apps = [
        dict(app_key="A1", name="粤省事", kind="app", sponsor_id=1, division_code="440000", status="active",
             launched_on=dt.date(2026, 8, 10)),
        dict(app_key="A2", name=SCRIPT, kind="mini_program", host_platform="wechat", sponsor_id=2,
             division_code="440305", status="active", launched_on=dt.date(2025, 1, 1)),
        dict(app_key="A3", name=HYPERLINK, kind="app", sponsor_id=3, division_code="110101", status="active",
             launched_on=dt.date(2026, 7, 5)),
        dict(app_key="A4", name="东城通", kind="quick_app", sponsor_id=3, division_code="110101", status="closed",
             launched_on=dt.date(2024, 3, 1), updated_at=T(2026, 8, 20, 3)),
    ]
    accounts = [
        dict(account_key="C1", platform="wechat", platform_account_id="gh_c1", name="广东政务", sponsor_id=1,
             division_code="440000", status="active", opened_on=dt.date(2026, 9, 1)),
        dict(account_key="C2", platform="weibo", platform_account_id="wb_c2", name=ATSUM, sponsor_id=2,
             division_code="440305", status="active", opened_on=dt.date(2024, 5, 1)),
        dict(account_key="C3", platform="wechat", platform_account_id="gh_c3", name="东城发布", sponsor_id=3,
             division_code="110101", status="active", opened_on=dt.date(2024, 6, 1)),
    ]
    groups = [
        dict(group_key="G1", platform="wecom", name="南山防汛工作群", sponsor_id=2, division_code="440305",
             is_temporary=True, status="active", opened_on=dt.date(2026, 6, 1)),
        dict(group_key="G2", platform="dingtalk", name="东城迎检群", sponsor_id=3, division_code="110101",
             is_temporary=True, status="closed", opened_on=dt.date(2025, 1, 1), closed_on=dt.date(2026, 9, 15)),
    ]

    def finding(fid, rule, tt, key, sev, state, art, div, sponsor, first, *, resolved=None, last=None, reopened=0):
        return dict(id=fid, rule_id=rule, target_type=tt, target_key=key, severity=sev, state=state,
                    title_zh={"stale_14": "账号14天未更新", "zombie": "“僵尸”应用", "no_filing": "应用未备案"}[rule],
                    basis=ARTICLES[art], article=art, remediation_zh="限期整改", evidence={"k": 1},
                    division_code=div, sponsor_id=sponsor, first_seen_at=first, last_seen_at=last or first,
                    resolved_at=resolved, reopened_count=reopened)

    findings = [
        finding("F1", "stale_14", "account", "C2", "medium", "open", "opinions-7", "440305", 2, T(2026, 8, 1)),
        finding("F2", "zombie", "app", "A2", "high", "open", "opinions-12", "440305", 2, T(2026, 5, 10)),
        finding("F3", "stale_14", "account", "C3", "medium", "resolved", "opinions-7", "110101", 3, T(2026, 4, 10),
                resolved=T(2026, 9, 10)),
        finding("F4", "no_filing", "app", "A3", "high", "acknowledged", "opinions-14", "110101", 3, T(2026, 7, 20),
                last=T(2026, 9, 29), reopened=1),
        finding("F5", "zombie", "app", "A1", "high", "resolved", "opinions-12", "440000", 1, T(2026, 4, 1),
                resolved=T(2026, 5, 1)),
        # 2026-06-30 20:00 UTC is 2026-07-01 04:00 in Beijing: a Q3 finding
        finding("F6", "no_filing", "app", "A1", "high", "open", "opinions-14", "440000", 1, T(2026, 6, 30, 20)),
    ]

    tiers = {"A2": "high", "C1": "high", "A3": "medium"}  # the others low (test_figures: the tier section)

    def insp(day, tt, key, div, sponsor, passed, score):
        return dict(check_date=day, target_type=tt, target_key=key, division_code=div,
                    province_code=div[:2] + "0000", sponsor_id=sponsor, score=score, passed=passed,
                    vetoes=[] if passed else ["x"], deductions={}, risk_tier=tiers.get(key, "low"),
                    outcome="passed" if passed else "failed")

    d_q3, d_aug, d_q2 = dt.date(2026, 9, 30), dt.date(2026, 8, 31), dt.date(2026, 6, 30)
    inspections = [
        insp(d_q3, "app", "A1", "440000", 1, True, 95), insp(d_q3, "app", "A2", "440305", 2, False, 40),
        insp(d_q3, "app", "A3", "110101", 3, False, 55), insp(d_q3, "account", "C1", "440000", 1, True, 100),
        insp(d_q3, "account", "C2", "440305", 2, True, 80), insp(d_q3, "account", "C3", "110101", 3, True, 90),
        insp(d_aug, "app", "A1", "440000", 1, False, 10),  # superseded by the 30 September check
        insp(d_q2, "app", "A2", "440305", 2, True, 70), insp(d_q2, "app", "A3", "110101", 3, True, 75),
        insp(d_q2, "account", "C2", "440305", 2, False, 50), insp(d_q2, "app", "A1", "440000", 1, True, 99),
    ]
    cases = [
        dict(id=1, case_key="K1", target_type="app", target_key="A4", state="closed", opened_by="ops",
             created_at=T(2026, 7, 2), updated_at=T(2026, 8, 20)),
        dict(id=2, case_key="K2", target_type="account", target_key="C3", state="proposed", opened_by="ops",
             created_at=T(2026, 9, 5), updated_at=T(2026, 9, 5)),
        dict(id=3, case_key="K3", target_type="app", target_key="A2", state="announced", opened_by="ops",
             created_at=T(2026, 3, 1), updated_at=T(2026, 3, 20)),
    ]
    events = [
        dict(case_id=1, from_state=None, to_state="proposed", actor="ops", occurred_at=T(2026, 7, 2)),
        dict(case_id=1, from_state="delisting_verified", to_state="closed", actor="ops", occurred_at=T(2026, 8, 20)),
        dict(case_id=3, from_state="approved", to_state="announced", actor="ops", occurred_at=T(2026, 3, 20)),
    ]
    with engine.begin() as conn:
        conn.execute(schema.sponsors.insert(), sponsors)
        conn.execute(schema.apps.insert(), [{"host_platform": None, "updated_at": T(2026, 1, 1), **PROV, **a} for a in apps])
        conn.execute(schema.accounts.insert(), [{**PROV, **a} for a in accounts])
        conn.execute(schema.work_groups.insert(), [{"closed_on": None, **PROV, **g} for g in groups])
        conn.execute(schema.findings.insert(), findings)
        conn.execute(schema.inspections.insert(), inspections)
        conn.execute(schema.shutdown_cases.insert(), cases)
        conn.execute(schema.case_events.insert(), events)
    return {"sponsors": {s_["id"]: s_["credit_code"] for s_ in sponsors}}


@pytest.fixture
def dataset_engine(store_engine):
    load_dataset(store_engine)
    return store_engine


@pytest.fixture
def outputs(tmp_path, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setenv("FINGERTIP_OUTPUT_URL", out.as_uri())
    return out


class _Collector:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "data": bytes(envelope.original_content or envelope.content)})
        return "250 OK"


@pytest.fixture
def smtp_server(monkeypatch):
    """A real aiosmtpd server on a free port, wired to the connection ``smtp_test``."""
    from aiosmtpd.controller import Controller

    from fingertip_dev.mailcatcher import free_port

    handler = _Collector()
    port = free_port("127.0.0.1")
    controller = Controller(handler, hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    conn = {"conn_type": "smtp", "host": "127.0.0.1", "port": port,
            "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "fingertip@cac.example.gov.cn"}}
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_TEST", json.dumps(conn))
    handler.port = port
    handler.conn_json = json.dumps(conn)
    try:
        yield handler
    finally:
        controller.stop()


def pdf_text(path) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    parts = []
    try:
        for page in doc:
            tp = page.get_textpage()
            parts.append(tp.get_text_range())
            tp.close()
            page.close()
    finally:
        doc.close()
    return "".join(parts)


def file_path(url: str):
    """The local file of a ``file://`` URL a report task handed over (it must be a URL, not a path)."""
    from pathlib import Path
    from urllib.parse import unquote, urlparse

    assert url.startswith("file://"), f"not a file:// URL: {url!r}"
    return Path(unquote(urlparse(url).path))


def squash(text: str) -> str:
    return "".join(text.split())


assert os.environ.get("FINGERTIP_HOME")  # set by tests/conftest.py
