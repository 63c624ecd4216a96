"""Each custom GX expectation on valid and invalid values; every suite file loads."""

from __future__ import annotations

import pandas as pd
import pytest

from fingertip.quality.suites import INVENTORY_SUITES, SuiteError, check_suites, load_suite_spec, run_expectations

GOOD = "11441700007280420Y"


class _Expectations:
    """``fingertip.quality.expectations``, imported on first use: it imports Great Expectations (≈ 3 s of
    CPU), which every pytest-xdist worker would otherwise pay while collecting this file, not only the
    worker that runs it."""

    def __getattr__(self, name: str):
        if name.startswith("_"):  # pytest's collection probes every module attribute (__test__, fixture marks)
            raise AttributeError(name)
        from fingertip.quality import expectations as module

        return getattr(module, name)


expectations = _Expectations()


def _bad(df, expectation) -> list[int]:
    (result,) = run_expectations(df, [expectation])
    assert result["exception"] is None, result["exception"]
    return result["unexpected_index"]


def test_valid_uscc():
    df = pd.DataFrame({"c": [GOOD, GOOD[:-1] + "X", "1.14417E+17", "91441700MA4UABCDE0", None]})
    assert _bad(df, expectations.ExpectColumnValuesToBeValidUscc(column="c")) == [1, 2, 3]


def test_government_uscc():
    df = pd.DataFrame({"c": [GOOD, "12100000400000624D", "91350100M000100Y43"]})
    assert _bad(df, expectations.ExpectColumnValuesToBeGovernmentUscc(column="c")) == [2]


def test_known_division_code():
    df = pd.DataFrame({"d": ["441700", "110000", "441799", "abc"]})
    assert _bad(df, expectations.ExpectColumnValuesToBeKnownDivisionCode(column="d")) == [2, 3]


def test_filing_number_with_service_type():
    df = pd.DataFrame({
        "n": ["粤ICP备2024012345号-1A", "苏ICP备2026044365号-1X", "粤ICP备2024012345号-1X", "京ICP证030173号",
              "ICP备2024012345号-1A", "蜀ICP备2024012345号-3K", None, "粤ICP备2024012345号-1A"],
        "t": ["app", "mini_program", "app", "app", "app", "quick_app", "app", None],
    })
    assert _bad(df, expectations.ExpectColumnPairValuesToBeValidFilingNumber(column_A="n", column_B="t")) == [2, 3, 4]


def test_dates_not_in_future_and_iso():
    df = pd.DataFrame({"d": ["2020-01-01", "2999-12-31", "2020/13/45", None]})
    assert _bad(df, expectations.ExpectColumnValuesToBeDatesNotInFuture(column="d", today="2026-11-23")) == [1]
    assert _bad(df, expectations.ExpectColumnValuesToBeIsoDates(column="d")) == [2]


def test_dates_in_other_digits_are_not_iso_dates():
    """``\\d`` would take full-width (２０２０) and other scripts' digits: such a cell is not an ISO date, and
    the not-in-future and date-order checks leave it to that expectation instead of comparing strings."""
    df = pd.DataFrame({"d": ["２０２０-０１-０１", "٢٠٢٠-٠١-٠١", "2020-01-01", "২০৯৯-১২-৩১"],
                       "e": ["2000-01-01", "2000-01-01", "2021-01-01", "2000-01-01"]})
    assert _bad(df, expectations.ExpectColumnValuesToBeIsoDates(column="d")) == [0, 1, 3]
    assert _bad(df, expectations.ExpectColumnValuesToBeDatesNotInFuture(column="d", today="2026-11-23")) == []
    assert _bad(df, expectations.ExpectColumnPairValuesToBeInDateOrder(column_A="d", column_B="e")) == []


def test_date_order():
    df = pd.DataFrame({"a": ["2020-01-01", "2021-01-01", None, "2020-01-01"],
                       "b": ["2020-02-01", "2020-12-31", "2020-01-01", "2020-01-01"]})
    assert _bad(df, expectations.ExpectColumnPairValuesToBeInDateOrder(column_A="a", column_B="b")) == [1]


def test_first_occurrence_flags_only_later_copies():
    df = pd.DataFrame({"k": ["a", "b", "a", "c", "a"]})
    assert _bad(df, expectations.ExpectColumnValuesToBeFirstOccurrence(column="k")) == [2, 4]


def test_reference_set_and_reference_mapping():
    expectations.register_reference("t_sponsors", {GOOD})
    expectations.register_reference("t_owners", {"wechat|gh_1": GOOD})
    try:
        df = pd.DataFrame({"c": [GOOD, "12100000400000624D"], "k": ["wechat|gh_1", "wechat|gh_1"]})
        assert _bad(df, expectations.ExpectColumnValuesToBeInReferenceSet(column="c", reference="t_sponsors")) == [1]
        assert _bad(df, expectations.ExpectColumnPairValuesToMatchReference(column_A="k", column_B="c",
                                                                 reference="t_owners")) == [1]
    finally:
        expectations.clear_references()


def test_excel_mangled_numbers():
    df = pd.DataFrame({"c": [GOOD, "1.14417000072804E+17", "114417000072804000.0", "123"]})
    assert _bad(df, expectations.ExpectColumnValuesToNotBeExcelMangledNumbers(column="c")) == [1, 2]


def test_built_in_in_set_is_usable_beside_custom():
    import great_expectations as gx

    df = pd.DataFrame({"p": ["wechat", "myspace"]})
    assert _bad(df, gx.expectations.ExpectColumnValuesToBeInSet(column="p", value_set=["wechat"])) == [1]


def test_every_suite_loads_and_builds():
    counts = check_suites()
    assert set(INVENTORY_SUITES.values()) | {"inventory_sponsor", "store_listings", "filings",
                                            "account_activity"} <= set(counts)
    for name in INVENTORY_SUITES.values():
        spec = load_suite_spec(name)
        assert any(e.suite == "inventory_sponsor" for e in spec.expectations)  # included
        assert any(e.critical for e in spec.expectations)
        for e in spec.expectations:
            assert e.meta["reason_zh"] and e.meta["reason_en"] and isinstance(e.meta["critical"], bool)
    gov = [e for e in load_suite_spec("inventory_sponsor").expectations
           if e.type == "expect_column_values_to_be_government_uscc"]
    assert gov and not gov[0].critical and gov[0].severity == "warning"


def test_malformed_suite_is_refused(tmp_path, monkeypatch):
    from fingertip.quality import suites

    (tmp_path / "expectations").mkdir()
    (tmp_path / "expectations" / "broken.yaml").write_text(
        "name: broken\nversion: 1\nexpectations:\n  - type: expect_column_values_to_not_be_null\n"
        "    kwargs: {column: x}\n    meta: {reason_zh: 缺, reason_en: missing}\n", encoding="utf-8")
    monkeypatch.setattr(suites, "resources_dir", lambda: tmp_path)
    suites.load_suite_spec.cache_clear()
    try:
        with pytest.raises(SuiteError, match="critical"):
            suites.load_suite_spec("broken")
    finally:
        suites.load_suite_spec.cache_clear()
