"""Report figures on the known dataset of conftest.py: every number written out."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.reports.conftest import ARTICLES

from fingertip.reports.figures import compute_figures
from fingertip.reports.periods import PeriodError, annual_due_date, due_reports, parse_period, previous_period


def test_periods():
    q = parse_period("2026Q3")
    assert (q.kind, q.start, q.end, q.label_zh) == ("quarterly", dt.date(2026, 7, 1), dt.date(2026, 9, 30),
                                                   "2026年第三季度")
    assert q.previous().label == "2026Q2"
    assert parse_period("2026Q1").previous().label == "2025Q4"
    m = parse_period("2026-02")
    assert (m.start, m.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert parse_period("2026-01").previous().label == "2025-12"
    assert parse_period("2026").end == dt.date(2026, 12, 31)
    assert previous_period("quarterly", dt.date(2026, 10, 1)).label == "2026Q3"
    assert previous_period("monthly", dt.date(2026, 10, 1)).label == "2026-09"
    assert previous_period("annual", dt.date(2027, 1, 1)).label == "2026"
    assert annual_due_date(2026) == dt.date(2027, 1, 31)
    cad = {"monthly": {"enabled": True}, "quarterly": {"enabled": True, "months": [1, 4, 7, 10]},
           "annual": {"enabled": True, "months": [1]}}
    assert [p.label for p in due_reports(dt.date(2027, 1, 1), cad)] == ["2026-12", "2026Q4", "2026"]
    assert [p.label for p in due_reports(dt.date(2026, 11, 1), cad)] == ["2026-10"]
    with pytest.raises(PeriodError, match="格式错误"):
        parse_period("2026Q5")
    with pytest.raises(PeriodError, match="不符"):
        parse_period("2026-10", "quarterly")


def test_national_quarter(dataset_engine):
    f = compute_figures(dataset_engine, parse_period("2026Q3"), articles=ARTICLES)
    inv = f["inventory"]
    assert inv["totals"] == {"app": 3, "account": 3, "work_group": 1, "all": 7}
    assert [(r["level"], r["app"], r["account"], r["work_group"], r["total"]) for r in inv["by_level"]] == [
        ("provincial", 1, 1, 0, 2), ("county", 2, 2, 1, 5)]
    assert [(r["province_code"], r["province_name"], r["app"], r["account"], r["work_group"], r["total"])
            for r in inv["by_province"]] == [("110000", "北京市", 1, 1, 0, 2), ("440000", "广东省", 2, 2, 1, 5)]
    assert {(r["entity_type"], r["platform"]): r["count"] for r in inv["by_platform"]} == {
        ("app", "app"): 2, ("app", "mini_program:wechat"): 1, ("account", "wechat"): 2, ("account", "weibo"): 1,
        ("work_group", "wecom"): 1}

    assert f["changes"] == {"new": {"app": 2, "account": 1, "work_group": 0, "all": 3},
                            "closed": {"app": 1, "account": 0, "work_group": 1, "all": 2}}

    fnd = f["findings"]
    assert (fnd["open_total"], fnd["new_in_period"], fnd["resolved_in_period"]) == (4, 3, 1)
    assert {r["rule_id"]: (r["open"], r["new"], r["resolved"]) for r in fnd["by_rule"]} == {
        "stale_14": (1, 1, 1), "zombie": (1, 0, 0), "no_filing": (2, 2, 0)}
    assert [(r["article_label"], r["open"], r["new"], r["resolved"]) for r in fnd["by_article"]] == [
        ("《意见》第十四条", 2, 2, 0), ("《意见》第七条", 1, 1, 1), ("《意见》第十二条", 1, 0, 0)]
    assert fnd["open_by_severity"] == {"high": 3, "medium": 1, "low": 0}

    insp = f["inspections"]
    assert (insp["check_date"], insp["checked"], insp["passed"], insp["pass_rate"]) == ("2026-09-30", 6, 4, 0.6667)
    assert [(r["province_name"], r["checked"], r["passed"], r["pass_rate"]) for r in insp["by_province"]] == [
        ("北京市", 2, 1, 0.5), ("广东省", 4, 3, 0.75)]
    assert {r["sponsor_id"]: (r["checked"], r["passed"], r["pass_rate"]) for r in insp["by_unit"]} == {
        1: (2, 2, 1.0), 2: (2, 1, 0.5), 3: (2, 1, 0.5)}
    assert insp["by_unit"][-1]["sponsor_name"] == "广东省政务服务数据管理局"  # lowest rate first

    cases = f["cases"]
    assert {r["state"]: r["count"] for r in cases["by_state"] if r["count"]} == {
        "closed": 1, "proposed": 1, "announced": 1}
    assert (cases["total"], cases["opened_in_period"], cases["closed_in_period"]) == (3, 2, 1)

    cmp_ = f["comparison"]
    assert cmp_["previous_period"]["label"] == "2026Q2"
    assert cmp_["new_findings"] == {"current": 3, "previous": 3, "change": 0}
    assert cmp_["resolved_findings"] == {"current": 1, "previous": 1, "change": 0}
    assert cmp_["pass_rate"] == {"current": 0.6667, "previous": 0.75, "change": -0.0833}
    assert cmp_["regressed"] == 2
    assert sorted(r["target_key"] for r in cmp_["regressed_items"]) == ["A2", "A3"]
    assert cmp_["reopened"] == 1

    keys = [(r["finding_id"], r["target_name"]) for r in f["key_findings"]]
    assert [k for k, _ in keys][-1] == "F1"  # medium after the three high ones
    assert sorted(k for k, _ in keys) == ["F1", "F2", "F4", "F6"]
    assert dict(keys)["F2"] == "<script>alert(1)</script>"


@pytest.mark.parametrize("province", ["４４００００", "44000０", "٤٤٠٠٠٠", "४४००००"])
def test_province_refuses_non_ascii_digits(dataset_engine, province):
    """Full-width and other Unicode digits pass ``str.isdigit``: refused, like periods and credit codes
    (the ASCII form, 440000, is the scope of test_province_self_inspection below)."""
    with pytest.raises(ValueError, match="6-digit division code"):
        compute_figures(dataset_engine, parse_period("2026Q3"), province=province, articles=ARTICLES)


def test_province_self_inspection(dataset_engine):
    f = compute_figures(dataset_engine, parse_period("2026Q3"), province="440000", articles=ARTICLES)
    assert f["province_name"] == "广东省"
    assert f["inventory"]["totals"] == {"app": 2, "account": 2, "work_group": 1, "all": 5}
    assert f["findings"]["open_total"] == 3
    assert {r["rule_id"]: r["open"] for r in f["findings"]["by_rule"]} == {"stale_14": 1, "zombie": 1, "no_filing": 1}
    assert (f["inspections"]["checked"], f["inspections"]["passed"]) == (4, 3)
    assert [r["province_code"] for r in f["inspections"]["by_province"]] == ["440000"]
    assert f["comparison"]["regressed"] == 1
    assert {r["state"]: r["count"] for r in f["cases"]["by_state"] if r["count"]} == {"announced": 1}
    assert f["changes"]["new"] == {"app": 1, "account": 1, "work_group": 0, "all": 2}


def test_monthly_and_empty_period(dataset_engine):
    f = compute_figures(dataset_engine, parse_period("2026-09"), articles=ARTICLES)
    assert f["inspections"]["check_date"] == "2026-09-30"
    assert f["comparison"]["previous_check_date"] == "2026-08-31"
    # A1 failed on 31 August and passes on 30 September: nothing regressed
    assert f["comparison"]["regressed"] == 0
    assert f["findings"]["new_in_period"] == 0 and f["findings"]["resolved_in_period"] == 1
    empty = compute_figures(dataset_engine, parse_period("2025-02"), articles=ARTICLES)
    assert empty["inspections"]["checked"] == 0 and empty["inspections"]["pass_rate"] is None
    assert empty["comparison"]["pass_rate"]["change"] is None


def test_report_by_risk_tier(dataset_engine, tmp_path):
    """Art. 16: the report has figures and a section per tier (tiers of conftest: A2, C1 high; A3 medium)."""
    from fingertip.reports.document import report_blocks
    from fingertip.reports.workbook import report_sheets

    f = compute_figures(dataset_engine, parse_period("2026Q3"), articles=ARTICLES)
    tiers = f["risk_tiers"]
    assert tiers["check_date"] == "2026-09-30"
    assert "《意见》第16条" in tiers["basis_zh"] and "Fingertip默认值" in tiers["basis_zh"]
    got = {r["tier"]: (r["apps"], r["accounts"], r["checked"], r["passed"], r["pass_rate"], r["open_findings"],
                       r["open_high"], r["monitoring_interval_days"], r["audit_sample_weight"]) for r in tiers["tiers"]}
    # 30 September: high = A2 (failed, F2 open high) + C1 (passed); medium = A3 (failed, F4 acknowledged high);
    # low = A1, C2, C3 (all passed; F1 on C2 open medium, F6 on A1 open high; F3 and F5 resolved)
    assert got == {"high": (1, 1, 2, 1, 0.5, 1, 1, 1, 4.0), "medium": (1, 0, 1, 0, 0.0, 1, 1, 7, 2.0),
                   "low": (1, 2, 3, 3, 1.0, 2, 1, 30, 1.0)}
    assert [r["tier"] for r in tiers["tiers"]] == ["high", "medium", "low"]
    province = compute_figures(dataset_engine, parse_period("2026Q3"), province="440000", articles=ARTICLES)
    assert {r["tier"]: r["apps"] + r["accounts"] for r in province["risk_tiers"]["tiers"]} == {
        "high": 2, "medium": 0, "low": 2}  # A3 is in Beijing
    meta = {"scope_zh": "全国", "period_label_zh": "2026年第三季度", "period_start": "2026-07-01",
            "period_end": "2026-09-30"}
    blocks = report_blocks(meta, f, [])  # type: ignore[arg-type]
    headings = [b.text for b in blocks if b.kind == "heading"]
    assert "分级监测情况" in headings
    assert [h for h in headings if h.endswith("风险对象")] == ["高风险对象", "中风险对象", "低风险对象"]
    high = next(b.text for i, b in enumerate(blocks) if i and blocks[i - 1].text == "高风险对象")
    assert "合格率 50.0%" in high and "监测频次为每日" in high and "抽样权重为4" in high
    sheet = next(s for s in report_sheets(f) if s[0] == "风险分级")
    assert [r[:4] for r in sheet[2]] == [["高风险", "high", 1, 1], ["中风险", "medium", 1, 0], ["低风险", "low", 1, 2]]
    empty = compute_figures(dataset_engine, parse_period("2025Q1"), articles=ARTICLES)
    assert empty["risk_tiers"]["check_date"] is None and all(r["checked"] == 0 for r in empty["risk_tiers"]["tiers"])
