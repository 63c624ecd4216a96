"""Drift: a snapshot whose row count drops by more than 20 % is flagged and recorded."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from fingertip.quality.drift import check_drift
from fingertip.store import schema

D1, D2 = dt.date(2026, 11, 21), dt.date(2026, 11, 22)
NOW = dt.datetime(2026, 11, 22, 12)
PROV = {"source": "test", "fetched_at": NOW, "request_fingerprint": "0" * 64}


def _seed(engine, apple_today: int, huawei_today: int, activity_today: int):
    with engine.begin() as c:
        c.execute(sa.insert(schema.sponsors), [{"id": 1, "credit_code": "11441700007280420Y", "name": "x",
                                           "division_code": "441700", "level": "prefectural", "nature": "机关", **PROV}])
        listings = [{"id": i, "store": "apple" if i <= 10 else "huawei", "store_app_id": str(i),
                     "first_seen_at": NOW, **PROV} for i in range(1, 21)]
        c.execute(sa.insert(schema.store_listings), listings)
        snaps = [{"listing_id": i, "snapshot_date": D1, "present": True, **PROV} for i in range(1, 21)]
        snaps += [{"listing_id": i, "snapshot_date": D2, "present": True, **PROV} for i in range(1, 1 + apple_today)]
        snaps += [{"listing_id": i, "snapshot_date": D2, "present": True, **PROV}
                  for i in range(11, 11 + huawei_today)]
        c.execute(sa.insert(schema.listing_snapshots), snaps)
        accounts = [{"id": i, "account_key": f"k{i}", "platform": "wechat", "platform_account_id": f"p{i}",
                     "name": "n", "sponsor_id": 1, "division_code": "441700", **PROV} for i in range(1, 11)]
        c.execute(sa.insert(schema.accounts), accounts)
        act = dict(posts_7d=1, posts_14d=1, posts_30d=1, followers=1, unanswered_messages=0, interaction_channel=True)
        rows = [{"account_id": i, "activity_date": D1, **act, **PROV} for i in range(1, 11)]
        rows += [{"account_id": i, "activity_date": D2, **act, **PROV} for i in range(1, 1 + activity_today)]
        c.execute(sa.insert(schema.account_activity), rows)


def test_drop_flagged_per_store_and_recorded_idempotently(store_engine):
    _seed(store_engine, apple_today=7, huawei_today=9, activity_today=10)  # apple -30 %, huawei -10 %
    findings = check_drift(store_engine, D2, now=NOW)
    assert [(f["source"], f["scope"]) for f in findings] == [("listing_snapshots", "apple")]
    assert findings[0]["previous_count"] == 10 and findings[0]["current_count"] == 7
    assert findings[0]["drop_share"] == 0.3
    check_drift(store_engine, D2, now=NOW)  # re-run: one row, not two
    with store_engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(schema.drift_findings)).scalar_one() == 1


def test_activity_drop_and_stable_sources(store_engine):
    _seed(store_engine, apple_today=10, huawei_today=10, activity_today=5)
    findings = check_drift(store_engine, D2, now=NOW)
    assert [(f["source"], f["scope"], f["drop_share"]) for f in findings] == [("account_activity", "all", 0.5)]
    assert check_drift(store_engine, D1, now=NOW) == []  # nothing before the first day


def test_filings_drop_and_ingested_suites(store_engine):
    from fingertip.quality.ingested import validate_ingested

    _seed(store_engine, apple_today=10, huawei_today=10, activity_today=10)
    base = {"filing_kind": "icp_app", "sponsor_name": "x", "service_name": "y", "service_type": "app",
            "sponsor_credit_code": "11441700007280420Y", "source": "test", "request_fingerprint": "0" * 64}
    with store_engine.begin() as c:
        rows = [{**base, "service_licence": f"粤ICP备20240123{i:02d}号-1A", "fetched_at": dt.datetime(2026, 11, 21, 3)}
                for i in range(10)]
        rows += [{**base, "service_licence": f"粤ICP备20250123{i:02d}号-1X", "fetched_at": dt.datetime(2026, 11, 22, 3)}
                 for i in range(3)]  # suffix X for an app: fails the filing-number expectation
        c.execute(sa.insert(schema.filings), rows)
    findings = check_drift(store_engine, D2, now=NOW)
    assert [(f["source"], f["previous_count"], f["current_count"]) for f in findings] == [("filings", 10, 3)]
    summary = validate_ingested(store_engine, D2)
    assert summary["store_listings"]["rows"] == 20 and not summary["store_listings"]["failed"]
    assert summary["account_activity"]["rows"] == 10 and not summary["account_activity"]["failed"]
    assert summary["filings"]["rows"] == 3
    assert summary["filings"]["failed"] == {"expect_column_pair_values_to_be_valid_filing_number("
                                            "service_licence,service_type)": 3}
