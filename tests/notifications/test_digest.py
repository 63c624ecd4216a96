"""Sponsor digests: each unit sees only its own findings; hostile names are escaped."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from tests.notifications.helpers import FAST

from fingertip.notifications import digest, ledger
from fingertip.store import schema

NOW = dt.datetime(2026, 11, 23, 1, 0)
PROV = {"source": "test", "fetched_at": NOW, "request_fingerprint": "0" * 64}
HOSTILE = '<script>alert("x")</script>=HYPERLINK("http://evil.example","点我")'


def add_sponsor(conn, code, name, email):
    return conn.execute(sa.insert(schema.sponsors).values(credit_code=code, name=name, division_code="440000",
                                                     level="provincial", nature="机关", contact_email=email,
                                                     created_at=NOW, updated_at=NOW, **PROV)).inserted_primary_key[0]


def add_app(conn, key, name, sponsor_id):
    conn.execute(sa.insert(schema.apps).values(app_key=key, name=name, kind="app", sponsor_id=sponsor_id,
                                          division_code="440000", status="active", created_at=NOW,
                                          updated_at=NOW, **PROV))


def add_finding(conn, fid, sponsor_id, target_key, *, rule="zombie-app", severity="high", state="open",
                title="长期未更新的“僵尸”应用"):
    conn.execute(sa.insert(schema.findings).values(
        id=fid, rule_id=rule, target_type="app", target_key=target_key, severity=severity, state=state,
        title_zh=title, basis="《意见》第7条", article="opinions-7", remediation_zh="限期整改或关停注销",
        evidence={"days_since_update": 400}, division_code="440000", sponsor_id=sponsor_id,
        first_seen_at=NOW - dt.timedelta(days=30), last_seen_at=NOW, reopened_count=0, created_at=NOW,
        updated_at=NOW))


def world(engine):
    with engine.begin() as conn:
        a = add_sponsor(conn, "11440000MB0000001A", "广东省数据局", "data@gd.example.gov.cn")
        b = add_sponsor(conn, "11440000MB0000002B", "广东省教育厅", "edu@gd.example.gov.cn")
        c = add_sponsor(conn, "11440000MB0000003C", "无邮箱单位", None)
        add_app(conn, "APP-A1", HOSTILE, a)
        add_app(conn, "APP-A2", "粤省事", a)
        add_app(conn, "APP-B1", "粤教翔云", b)
        add_app(conn, "APP-C1", "某应用", c)
        add_finding(conn, "f-a1", a, "APP-A1")
        add_finding(conn, "f-a2", a, "APP-A2", rule="forced-checkin", severity="medium", state="acknowledged",
                    title="设置打卡签到等强制使用功能")
        add_finding(conn, "f-a3", a, "APP-A2", rule="old", state="resolved", title="已整改的问题")
        add_finding(conn, "f-b1", b, "APP-B1", severity="low", title="教育厅的问题")
        add_finding(conn, "f-c1", c, "APP-C1")
    return a, b


def payloads(engine):
    with engine.connect() as conn:
        return {r.notification_key: r for r in conn.execute(sa.select(schema.notifications))}


def test_digest_isolation_and_escaping(store_engine, smtp_server, smtp_conn):
    world(store_engine)
    queued = digest.queue_sponsor_digests(store_engine, period_label="2026年11月", period_key="2026-11", now=NOW)
    assert queued == 2  # the unit without contact_email is skipped
    rows = payloads(store_engine)
    key_a, key_b = "digest:2026-11:11440000MB0000001A", "digest:2026-11:11440000MB0000002B"
    assert set(rows) == {key_a, key_b}
    a, b = rows[key_a], rows[key_b]
    assert (a.recipient, a.kind, b.recipient) == ("data@gd.example.gov.cn", "digest", "edu@gd.example.gov.cn")
    html_a, text_a = a.payload["html"], a.payload["text"]
    # own findings only, resolved ones left out
    assert "长期未更新的“僵尸”应用" in html_a and "设置打卡签到等强制使用功能" in html_a
    assert "教育厅的问题" not in html_a and "粤教翔云" not in html_a and "已整改的问题" not in html_a
    assert "教育厅的问题" in b.payload["html"] and "僵尸" not in b.payload["html"]
    assert "粤省事" not in b.payload["html"]
    # hostile app name: escaped in HTML, verbatim (harmless) in text
    assert "<script>" not in html_a
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html_a
    assert HOSTILE in text_a
    assert "2 个问题尚未整改" in text_a and "高风险 1 个" in text_a
    assert "（已确认）" in html_a
    # re-run queues nothing new
    assert digest.queue_sponsor_digests(store_engine, period_label="2026年11月", period_key="2026-11", now=NOW) == 0

    report = ledger.deliver(store_engine, kind="digest", **FAST)
    assert report.sent == 2
    by_rcpt = {m.rcpt_tos[0]: m.msg for m in smtp_server.messages}
    assert set(by_rcpt) == {"data@gd.example.gov.cn", "edu@gd.example.gov.cn"}
    got = by_rcpt["data@gd.example.gov.cn"]
    assert "广东省数据局" in str(got["Subject"]) and "2 个待整改问题" in str(got["Subject"])
    assert "<script>" not in got.get_body(("html",)).get_content()
    assert "教育厅" not in got.get_body(("plain",)).get_content()
    assert got["X-Fingertip-Sponsor"] == "11440000MB0000001A"


def test_limit_per_unit_and_send(store_engine, smtp_server, smtp_conn):
    a, _b = world(store_engine)
    with store_engine.begin() as conn:
        for i in range(5):
            add_finding(conn, f"f-extra-{i}", a, "APP-A2", rule=f"r{i}", severity="low", title=f"低风险问题{i}")
    report = digest.send_sponsor_digests(store_engine, period_label="2026年第四季度", period_key="2026Q4",
                                         limit_per_unit=3, now=NOW, **FAST)
    assert report.sent == 2
    text = next(m.msg for m in smtp_server.messages if m.rcpt_tos == ["data@gd.example.gov.cn"]) \
        .get_body(("plain",)).get_content()
    assert "共有 7 个问题" in text and "另有 4 个问题未在本邮件中列出" in text
    assert text.index("长期未更新") < text.index("设置打卡签到")  # high before medium
    again = digest.send_sponsor_digests(store_engine, period_label="2026年第四季度", period_key="2026Q4",
                                        limit_per_unit=3, now=NOW, **FAST)
    assert again.sent == 0 and len(smtp_server.messages) == 2
