"""The two filing duties apart (issue 16 item 4): the MIIT ICP/APP filing (《意见》第14条) and the national
gov-app filing (国办函〔2026〕12号, a record in the feed or the number the ledger declares), and filed
before going live — only for apps launched once that was required. Expectations worked out by hand."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from fingertip.rules import detect
from fingertip.store import schema

CHECK = dt.date(2026, 11, 20)
PROV = {"source": "test", "fetched_at": dt.datetime(2026, 11, 20, 1), "request_fingerprint": "0" * 64}
CODE = "11440300MB2C00001X"
D = dt.date

# name: (launched, ICP filing reviewed on, gov-app record dated, ledger gov number)
APPS = {
    "F1": (D(2024, 3, 1), D(2024, 2, 20), None, "政务备-0001"),   # filed before launch, both duties met
    "F2": (D(2024, 3, 1), D(2024, 5, 1), None, "政务备-0002"),    # ICP filed two months after going live
    "F3": (D(2020, 1, 1), D(2023, 10, 1), D(2026, 2, 1), None),  # launched before the regimes: no "after" check
    "F4": (D(2024, 3, 1), None, None, "政务备-0004"),             # no ICP/APP filing
    "F5": (D(2024, 3, 1), D(2024, 2, 1), None, None),             # no gov-app filing of any kind
    "F6": (D(2026, 3, 1), D(2026, 2, 1), D(2026, 4, 1), None),    # gov-app record dated after launch
}
EXPECTED = {
    "app.missing_filing": {"F4"},
    "app.missing_gov_app_filing": {"F5"},
    "app.filed_after_launch": {"F2", "F6"},
}


def test_icp_and_gov_app_filings_are_two_duties_and_filed_before_launch(store_engine):
    with store_engine.begin() as conn:
        sid = conn.execute(sa.insert(schema.sponsors).values(
            credit_code=CODE, name="深圳市测试局", division_code="440300", level="prefectural", nature="机关",
            **PROV).returning(schema.sponsors.c.id)).scalar_one()
        for i, (key, (launched, icp, gov, number)) in enumerate(APPS.items(), start=1):
            app_id = conn.execute(sa.insert(schema.apps).values(
                app_key=key, name=f"测试应用{key}", kind="app", sponsor_id=sid, division_code="440300",
                launched_on=launched, gov_filing_number=number, has_complaint_channel=True,
                **PROV).returning(schema.apps.c.id)).scalar_one()
            for kind, day, licence in (("icp_app", icp, f"粤ICP备2024{i:06d}号-1A"), ("gov_app", gov, f"GOV{i:06d}")):
                if day is not None:
                    conn.execute(sa.insert(schema.filings).values(
                        filing_kind=kind, service_licence=licence, sponsor_name="深圳市测试局",
                        sponsor_credit_code=CODE, service_name=f"测试应用{key}", service_type="app",
                        reviewed_at=dt.datetime.combine(day, dt.time(10)), app_id=app_id, **PROV))
    result = detect(store_engine, check_date=CHECK, families=["filings"], persist=False)
    got: dict[str, set[str]] = {}
    for f in result.findings:
        got.setdefault(f.rule_id, set()).add(f.target_key)
    assert {r: got.get(r, set()) for r in EXPECTED} == EXPECTED
    late = next(f for f in result.findings if f.rule_id == "app.filed_after_launch" and f.target_key == "F2")
    assert late.evidence["facts"]["icp_first_filed_on"] == "2024-05-01"
    assert late.evidence["facts"]["launched_on"] == "2024-03-01"


def test_low_use_of_mini_programs_is_assessed_from_declared_monthly_active_users(store_engine):
    """A mini-program has no store listing; its declared monthly active users still decide (item 6)."""
    mau = {"M1": 40, "M2": 5000, "M3": None}
    with store_engine.begin() as conn:
        sid = conn.execute(sa.insert(schema.sponsors).values(
            credit_code=CODE, name="深圳市测试局", division_code="440300", level="prefectural", nature="机关",
            **PROV).returning(schema.sponsors.c.id)).scalar_one()
        for key, n in mau.items():
            conn.execute(sa.insert(schema.apps).values(
                app_key=key, name=f"测试小程序{key}", kind="mini_program", host_platform="wechat", sponsor_id=sid,
                division_code="440300", monthly_active_users=n, **PROV))
    result = detect(store_engine, check_date=CHECK, families=["zombie_app"], persist=False)
    assert {f.target_key for f in result.findings if f.rule_id == "app.low_use_declared"} == {"M1"}
