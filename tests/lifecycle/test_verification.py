"""Delisting verification over real HTTP against the stub source server, and reopening on relisting.

The stub serves the world of ``conftest.populate``; ``stub.remove(ns, ids)`` makes an app, filing or
account vanish from its answers (the stub's "removals"), as a store delisting or a cancelled filing.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from tests.lifecycle.conftest import DAY, LICENCES

from fingertip.lifecycle import approval, cases, opening, tasks, verification
from fingertip.store import schema

STOP = DAY  # stop date of the cases below


def _stopped_case(engine, target_type="app", target_key="APP-Z", successor="app:APP-S"):
    """A case whose last service day was DAY, in state service_stopped (documents not needed here)."""
    case, _ = opening.open_by_ops(engine, target_type=target_type, target_key=target_key, actor="赵六",
                                  reason="僵尸", successor=successor)
    approval.apply_decision(engine, case["case_key"], approved=True, actor="王五", comment="同意")
    with engine.begin() as conn:
        case = cases.get_case(conn, case["case_key"])
        cases.transition(conn, case, "approved", "announced", actor="t",
                     values={"announced_on": STOP - dt.timedelta(days=30), "stop_on": STOP,
                             "disposal_due_on": STOP + dt.timedelta(days=21)})
    tasks.advance_dates(engine, day=STOP + dt.timedelta(days=1))
    with engine.connect() as conn:
        case = cases.get_case(conn, case["case_key"])
    assert case["state"] == "service_stopped"
    return case["case_key"]


def _checks(engine, key):
    with engine.connect() as conn:
        case_id = cases.get_case(conn, key)["id"]
        return conn.execute(sa.select(schema.case_checks).where(schema.case_checks.c.case_id == case_id)
                            .order_by(schema.case_checks.c.check_date, schema.case_checks.c.channel,
                                      schema.case_checks.c.channel_key)).mappings().all()


def test_present_then_absent_twice_is_verified_and_closed(store_engine, population, settings, stub):
    key = _stopped_case(store_engine)
    tasks.confirm_disposal(store_engine, key, actor="张三", evidence="处置清单已签字")
    d1, d2, d3 = (STOP + dt.timedelta(days=i) for i in (1, 2, 3))
    tasks.advance_dates(store_engine, day=d1)
    # day 1: still listed everywhere
    r1 = verification.verify_cases(store_engine, day=d1, settings=settings)
    assert r1["checks"] == 4 and r1["verified"] == []  # apple, huawei, two filings
    checks = _checks(store_engine, key)
    assert all(x["present"] for x in checks)
    assert all(len(x["response_fingerprint"]) == 64 and x["request"].startswith("GET http://127.0.0.1")
               for x in checks)
    assert {x["channel"] for x in checks} == {"store:apple", "store:huawei", "filing:icp_app"}
    # re-running the same day asks nothing again
    assert verification.verify_cases(store_engine, day=d1, settings=settings)["checks"] == 0
    assert len(_checks(store_engine, key)) == 4
    # the sponsor delists and cancels the filings
    stub.remove("apple", ["1000000101"])
    stub.remove("huawei", ["cn.gov.yj.zst"])
    stub.remove("icp_app", list(LICENCES))
    r2 = verification.verify_cases(store_engine, day=d2, settings=settings)
    assert r2["verified"] == []  # one absent check is not enough
    r3 = verification.verify_cases(store_engine, day=d3, settings=settings)
    assert r3["verified"] == [key] and r3["closed"] == [key]
    with store_engine.connect() as conn:
        case = cases.get_case(conn, key)
        states = [e["to_state"] for e in cases.events(conn, case["id"])]
        status = conn.execute(sa.select(schema.apps.c.status).where(schema.apps.c.app_key == "APP-Z")).scalar_one()
    assert case["state"] == "closed" and states[-2:] == ["delisting_verified", "closed"] and status == "closed"
    absent = [x for x in _checks(store_engine, key) if not x["present"]]
    assert len(absent) == 8 and len({x["response_fingerprint"] for x in absent if x["channel"] == "store:apple"}) == 1


def test_filing_still_active_is_not_verified(store_engine, population, settings, stub):
    key = _stopped_case(store_engine)
    tasks.confirm_disposal(store_engine, key, actor="张三")
    tasks.advance_dates(store_engine, day=STOP + dt.timedelta(days=1))
    stub.remove("apple", ["1000000101"])
    stub.remove("huawei", ["cn.gov.yj.zst"])
    stub.remove("icp_app", [LICENCES[0]])  # the second filing stays active
    for i in (1, 2, 3):
        result = verification.verify_cases(store_engine, day=STOP + dt.timedelta(days=i), settings=settings)
        assert result["verified"] == []
    with store_engine.connect() as conn:
        case = cases.get_case(conn, key)
    assert case["state"] == "data_disposed"
    ver = {ch["key"]: ch for ch in case["details"]["verification"]["channels"]}
    assert ver[LICENCES[1]]["ok"] is False and ver[LICENCES[0]]["ok"] is True
    assert ver["1000000101"]["absent_streak"] == 3


def test_verified_but_disposal_unconfirmed_waits(store_engine, population, settings, stub):
    key = _stopped_case(store_engine)
    stub.remove("apple", ["1000000101"])
    stub.remove("huawei", ["cn.gov.yj.zst"])
    stub.remove("icp_app", list(LICENCES))
    for i in (1, 2):
        result = verification.verify_cases(store_engine, day=STOP + dt.timedelta(days=i), settings=settings)
    assert result["waiting_for_disposal"] == [key] and result["verified"] == []


def test_failed_requests_are_not_absences(store_engine, population, settings, stub):
    key = _stopped_case(store_engine)
    stub.set_faults(error_5xx_rate=1.0, max_consecutive_faults=100)
    result = verification.verify_cases(store_engine, day=STOP + dt.timedelta(days=1), settings=settings)
    assert result["checks"] == 0 and len(result["failed"]) == 4 and _checks(store_engine, key) == []


def test_account_verification_over_the_activity_feed(store_engine, population, settings, stub):
    key = _stopped_case(store_engine, "account", "ACC-Z", "account:ACC-S")
    tasks.confirm_disposal(store_engine, key, actor="张三")
    tasks.advance_dates(store_engine, day=STOP + dt.timedelta(days=1))
    r1 = verification.verify_cases(store_engine, day=STOP + dt.timedelta(days=1), settings=settings)
    [check] = _checks(store_engine, key)
    assert check["channel"] == "platform:wechat" and check["channel_key"] == "wx-yj-old" and check["present"]
    stub.remove("wechat", ["wx-yj-old"])
    verification.verify_cases(store_engine, day=STOP + dt.timedelta(days=2), settings=settings)
    r3 = verification.verify_cases(store_engine, day=STOP + dt.timedelta(days=3), settings=settings)
    assert r1["verified"] == [] and r3["closed"] == [key]


def test_relisting_reopens_a_closed_case(store_engine, population, settings, stub):
    key = _stopped_case(store_engine)
    tasks.confirm_disposal(store_engine, key, actor="张三")
    tasks.advance_dates(store_engine, day=STOP + dt.timedelta(days=1))
    stub.remove("apple", ["1000000101"])
    stub.remove("huawei", ["cn.gov.yj.zst"])
    stub.remove("icp_app", list(LICENCES))
    for i in (1, 2):
        verification.verify_cases(store_engine, day=STOP + dt.timedelta(days=i), settings=settings)
    with store_engine.connect() as conn:
        case = cases.get_case(conn, key)
        closed_on = cases.events(conn, case["id"])[-1]["occurred_at"].date()
    assert case["state"] == "closed"
    assert verification.reopen_relisted(store_engine, day=closed_on + dt.timedelta(days=1), settings=settings) == []
    # ingestion sees the app back in the Apple store after closure
    with store_engine.begin() as conn:
        listing_id = conn.execute(sa.select(schema.store_listings.c.id).where(
            schema.store_listings.c.store_app_id == "1000000101")).scalar_one()
        conn.execute(sa.insert(schema.listing_events).values(
            listing_id=listing_id, event_date=closed_on + dt.timedelta(days=5), event_type="relisted",
            source="apple_itunes", fetched_at=dt.datetime.now(), request_fingerprint="f" * 64))
    day = closed_on + dt.timedelta(days=6)
    assert verification.reopen_relisted(store_engine, day=day, settings=settings) == [key]
    with store_engine.connect() as conn:
        case = cases.get_case(conn, key)
        ev = cases.events(conn, case["id"])[-1]
        status = conn.execute(sa.select(schema.apps.c.status).where(schema.apps.c.app_key == "APP-Z")).scalar_one()
    assert (ev["from_state"], ev["to_state"]) == ("closed", "service_stopped") and "重新上架" in ev["reason"]
    assert ev["evidence"]["source"] == "listing_events" and status == "shutting_down"
    assert case["details"]["reopen_count"] == 1
    # reopening is idempotent and the re-verification starts after the reopening day
    assert verification.reopen_relisted(store_engine, day=day, settings=settings) == []
    tasks.advance_dates(store_engine, day=day)  # disposal was confirmed: back to data_disposed
    stub.restore("apple", ["1000000101"])
    r = verification.verify_cases(store_engine, day=day + dt.timedelta(days=1), settings=settings)
    assert r["verified"] == []
    with store_engine.connect() as conn:
        assert cases.get_case(conn, key)["state"] == "data_disposed"
