"""Opening cases from findings (idempotent), by ops staff, cancelling on recovery; successor blocking;
reminders queued once; the dry run changes nothing."""

from __future__ import annotations

import sqlalchemy as sa
from tests.lifecycle.conftest import DAY, OPS, RULE, SPONSOR_EMAIL, add_finding

from fingertip.lifecycle import approval, cases, opening, reminders, successor, tasks, timeline
from fingertip.store import schema
from fingertip.store.ops import table_counts


def _cases(engine):
    with engine.connect() as conn:
        return cases.list_cases(conn)


def test_findings_open_one_case_per_target_idempotently(store_engine, population, settings):
    fid = add_finding(store_engine)
    add_finding(store_engine, rule_id="not_proposing")
    first = opening.open_from_findings(store_engine, rule_ids=[RULE], settings=settings, day=DAY)
    again = opening.open_from_findings(store_engine, rule_ids=[RULE], settings=settings, day=DAY)
    assert len(first["opened"]) == 1 and again["opened"] == [] and again["existing"] == 1
    [case] = _cases(store_engine)
    assert (case["target_type"], case["target_key"], case["finding_id"], case["state"]) == ("app", "APP-Z", fid,
                                                                                         "proposed")
    assert "僵尸应用" in case["reason"] and "《意见》第七条" in case["reason"]
    # the same sponsor's live app is suggested as successor, not the delisted one
    assert (case["successor_kind"], case["successor_key"]) == ("app", "APP-S")
    assert case["details"]["finding_evidence"]["days_since_version"] == 686


def test_rejected_case_is_not_proposed_again_until_the_finding_comes_back(store_engine, population, settings):
    add_finding(store_engine)
    opening.open_from_findings(store_engine, rule_ids=[RULE], settings=settings, day=DAY)
    key = _cases(store_engine)[0]["case_key"]
    assert approval.apply_decision(store_engine, key, approved=False, actor="李四", comment="仍有用户")
    again = opening.open_from_findings(store_engine, rule_ids=[RULE], settings=settings, day=DAY)
    assert again["opened"] == [] and len(again["skipped"]) == 1
    add_finding(store_engine, reopened_count=1)  # resolved and flagged again
    third = opening.open_from_findings(store_engine, rule_ids=[RULE], settings=settings, day=DAY)
    assert len(third["opened"]) == 1 and third["opened"][0].endswith("-2")


def test_recovery_before_announcement_cancels(store_engine, population, settings):
    add_finding(store_engine)
    add_finding(store_engine, "account", "ACC-Z")
    opening.open_from_findings(store_engine, rule_ids=[RULE], settings=settings, day=DAY)
    app_case, acc_case = sorted(_cases(store_engine), key=lambda x: x["target_type"], reverse=True)
    assert approval.apply_decision(store_engine, acc_case["case_key"], approved=True, actor="王五", comment="同意")
    add_finding(store_engine, state="resolved")
    add_finding(store_engine, "account", "ACC-Z", state="resolved")
    cancelled = opening.cancel_recovered(store_engine)
    assert sorted(cancelled) == sorted([app_case["case_key"], acc_case["case_key"]])
    with store_engine.connect() as conn:
        for key in cancelled:
            case = cases.get_case(conn, key)
            assert case["state"] == "cancelled"
            assert "目标已恢复" in cases.events(conn, case["id"])[-1]["reason"]


def test_ops_staff_open_a_case_with_a_successor(store_engine, population, settings):
    case, created = opening.open_by_ops(store_engine, target_type="account", target_key="ACC-Z", actor="赵六",
                                        reason="长期不更新，合并至阳江发布", successor="account:ACC-S", day=DAY,
                                        settings=settings)
    assert created and case["opened_by"] == "赵六" and case["successor_key"] == "ACC-S"
    again, created = opening.open_by_ops(store_engine, target_type="account", target_key="ACC-Z", actor="赵六",
                                         reason="再次", day=DAY, settings=settings)
    assert not created and again["case_key"] == case["case_key"]


def test_successor_checks(store_engine, population, settings):
    with store_engine.connect() as conn:
        assert successor.check(conn, "app", "APP-S", day=DAY).ok
        blocked = successor.check(conn, "app", "APP-D", day=DAY)
        assert not blocked.ok and "均未上架" in blocked.reason_zh and "no available store listing" in blocked.reason_en
        assert not successor.check(conn, "app", "NOPE", day=DAY).ok
        assert successor.check(conn, "account", "ACC-S", day=DAY).ok
        silent = successor.check(conn, "account", "ACC-Z", day=DAY)
        assert not silent.ok and "近14日未更新" in silent.reason_zh
        assert not successor.check(conn, None, None, day=DAY).ok


def test_blocked_successor_blocks_the_announcement_without_documents(store_engine, population, settings, outputs):
    case, _ = opening.open_by_ops(store_engine, target_type="app", target_key="APP-Z", actor="赵六", reason="僵尸应用",
                                  successor="app:APP-D")
    approval.apply_decision(store_engine, case["case_key"], approved=True, actor="王五", comment="同意")
    result = tasks.announce_approved(store_engine, day=DAY, settings=settings)
    assert result["announced"] == [] and case["case_key"] in result["blocked"]
    with store_engine.connect() as conn:
        case = cases.get_case(conn, case["case_key"])
        docs = conn.execute(sa.select(sa.func.count()).select_from(schema.documents)).scalar_one()
    assert case["state"] == "approved" and docs == 0 and not outputs.exists()
    assert "继任应用“阳江旧版”在各应用商店均未上架" in case["blocked_reason"]
    assert "successor app APP-D has no available store listing" in case["blocked_reason"]
    # blocked twice → one note, not two
    tasks.announce_approved(store_engine, day=DAY, settings=settings)
    with store_engine.connect() as conn:
        assert sum("公告受阻" in (e["reason"] or "") for e in cases.events(conn, case["id"])) == 1


def _announced_case(engine, settings):
    """A case in state announced with its dates, without rendering documents (reminder tests)."""
    case, _ = opening.open_by_ops(engine, target_type="app", target_key="APP-Z", actor="赵六", reason="僵尸应用",
                                  successor="app:APP-S")
    approval.apply_decision(engine, case["case_key"], approved=True, actor="王五", comment="同意")
    from fingertip.lifecycle.documents import case_dates

    with engine.begin() as conn:
        cases.transition(conn, cases.get_case(conn, case["case_key"]), "approved", "announced", actor="t",
                     values=case_dates(settings, DAY))
        return cases.get_case(conn, case["case_key"])


def test_reminders_are_queued_once_per_milestone_and_recipient(store_engine, population, settings):
    case = _announced_case(store_engine, settings)
    first = reminders.enqueue_reminders(store_engine, settings=settings)
    with store_engine.connect() as conn:
        rows1 = conn.execute(sa.select(schema.notifications.c.notification_key, schema.notifications.c.recipient,
                                       schema.notifications.c.not_before, schema.notifications.c.subject)
                             .order_by(schema.notifications.c.notification_key)).all()
    reminders.enqueue_reminders(store_engine, settings=settings)
    with store_engine.connect() as conn:
        rows2 = conn.execute(sa.select(schema.notifications.c.notification_key, schema.notifications.c.recipient,
                                       schema.notifications.c.not_before, schema.notifications.c.subject)
                             .order_by(schema.notifications.c.notification_key)).all()
    assert rows1 == rows2
    # announcement_due (0) + stop (7, 1) + disposal (7, 1) + verification (0) = 6 per recipient, 2 recipients
    assert first["reminders"] == 12 and len(rows1) == 12
    assert {r.recipient for r in rows1} == {SPONSOR_EMAIL, OPS}
    keys = {r.notification_key for r in rows1}
    assert f"reminder:{case['case_key']}:stop_date-7d:{SPONSOR_EMAIL}" in keys
    assert f"reminder:{case['case_key']}:verification:{OPS}" in keys
    stop7 = next(r for r in rows1 if r.notification_key.endswith(f"stop_date-7d:{SPONSOR_EMAIL}"))
    assert stop7.not_before.date().isoformat() == "2026-12-13" and "停止服务" in stop7.subject
    with store_engine.connect() as conn:
        payload = conn.execute(sa.select(schema.notifications.c.payload).where(
            schema.notifications.c.notification_key == stop7.notification_key)).scalar_one()
    assert "阳江掌上通" in payload["text"] and "<html" in payload["html"]


def test_reminder_html_escapes_hostile_names(store_engine, population, settings):
    with store_engine.begin() as conn:
        conn.execute(sa.update(schema.apps).where(schema.apps.c.app_key == "APP-Z").values(name="<script>alert(1)</script>"))
    _announced_case(store_engine, settings)
    reminders.enqueue_reminders(store_engine, settings=settings)
    with store_engine.connect() as conn:
        payload = conn.execute(sa.select(schema.notifications.c.payload).limit(1)).scalar_one()
    assert "<script>" not in payload["html"] and "&lt;script&gt;" in payload["html"]


def test_reminder_escapes_a_hostile_sponsor_name_through_the_shared_environment(store_engine, population, settings):
    """The sponsor's name (greeting and 主办单位 row) is printed as text in the HTML part, through the mail
    layer's one template environment: its layout, its autoescaping, its removal of bidi controls."""
    hostile = '<img src=x onerror=alert(1)>\u202e阳江市"政府"&办'
    with store_engine.begin() as conn:
        conn.execute(sa.update(schema.sponsors).values(name=hostile))
    case = _announced_case(store_engine, settings)
    reminders.enqueue_reminders(store_engine, settings=settings)
    with store_engine.connect() as conn:
        row = conn.execute(sa.select(schema.notifications.c.payload).where(
            schema.notifications.c.notification_key == f"reminder:{case['case_key']}:stop_date-7d:{SPONSOR_EMAIL}")
        ).scalar_one()
    html, text = row["html"], row["text"]
    assert "<img" not in html and "\u202e" not in html and "\u202e" not in text
    escaped = "&lt;img src=x onerror=alert(1)&gt;阳江市&#34;政府&#34;&amp;办"
    assert html.count(escaped) == 2  # the greeting and the 主办单位 row
    assert '<img src=x onerror=alert(1)>阳江市"政府"&办' in text  # plain text: as is, without the bidi control
    # the shared layout (base.html.j2 and the environment's globals), not a template of its own
    assert "指尖治理平台 · 防治“指尖上的形式主义”" in html and "本邮件由指尖治理平台自动发送" in text
    from fingertip.notifications import templates

    expected_text, expected_html = templates.render_pair(
        "reminder", **_reminder_context(case, hostile))
    assert (text, html) == (expected_text, expected_html)


def _reminder_context(case, sponsor):
    return {"title": f"【关停提醒】阳江掌上通：停止服务（7日后，{case['stop_on'].isoformat()}）",
            "lead": f"案件 {case['case_key']} 的“停止服务”节点7日后到期。", "recipient_name": sponsor,
            "items": [{"label": "案件编号", "value": case["case_key"]}, {"label": "关停对象", "value": "政务应用“阳江掌上通”"},
                      {"label": "主办单位", "value": sponsor},
                      {"label": "节点", "value": f"停止服务：{case['stop_on'].isoformat()}"},
                      {"label": "公告发布日期", "value": case["announced_on"].isoformat()},
                      {"label": "停止服务日期", "value": case["stop_on"].isoformat()},
                      {"label": "数据处置截止日期", "value": case["disposal_due_on"].isoformat()}],
            "actions": [reminders.ACTION_ZH["stop_date"]], "due_date": case["stop_on"], "days_left": 7}


def test_dry_run_changes_nothing(store_engine, population, settings, outputs):
    add_finding(store_engine)
    opening.open_from_findings(store_engine, rule_ids=[RULE], settings=settings, day=DAY)
    with store_engine.connect() as conn:
        before = table_counts(conn)
        case_before = cases.list_cases(conn)
    plans = timeline.dry_run(store_engine, day=DAY, settings=settings)
    text = timeline.render_text(plans)
    with store_engine.connect() as conn:
        assert table_counts(conn) == before and cases.list_cases(conn) == case_before
    assert not outputs.exists()
    [plan] = plans
    assert plan["announcement"] == "2026-11-20" and plan["last_service_day"] == "2026-12-20"
    assert plan["disposal_deadline"] == "2027-01-08"  # 15 working days after Sun 2026-12-20
    assert {ch["channel"] for ch in plan["verification"]["checks"]} == {"store:apple", "store:huawei",
                                                                         "filing:icp_app"}
    assert len(plan["reminders"]) == 12 and len(plan["documents"]) == 6
    assert "reminder 2026-12-13 stop_date" in text and "store:huawei" in text


def test_open_cases_conf_limits_rules_and_count(store_engine, population, settings):
    import pytest

    add_finding(store_engine)
    add_finding(store_engine, "account", "ACC-Z")
    add_finding(store_engine, "account", "ACC-S", rule_id="other_rule")
    with pytest.raises(cases.CaseError, match="do not propose shutdowns"):
        tasks.open_cases(store_engine, day=DAY, settings=settings, rule_ids=[RULE], conf={"only_rules": ["nope"]})
    out = tasks.open_cases(store_engine, day=DAY, settings=settings, rule_ids=[RULE, "other_rule"],
                           conf={"only_rules": [RULE], "max_new_cases": 1})
    assert len(out["from_findings"]["opened"]) == 1 and out["from_findings"]["limited"]
    out = tasks.open_cases(store_engine, day=DAY, settings=settings, rule_ids=[RULE, "other_rule"],
                           conf={"only_rules": [RULE], "max_new_cases": 1})
    assert len(out["from_findings"]["opened"]) == 1  # the second target of the rule, the next run
    assert {x["target_key"] for x in _cases(store_engine)} == {"APP-Z", "ACC-Z"}
