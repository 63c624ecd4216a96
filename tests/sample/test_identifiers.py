"""Credit codes (GB 32100 + GB 11714) and ICP/APP filing numbers."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc

from fingertip.identifiers import (
    CREDIT_CODE_ALPHABET,
    credit_code_division,
    credit_code_problem,
    filing_number_problem,
    is_government_credit_code,
    is_valid_credit_code,
    make_credit_code,
    make_filing_number,
    org_code_check_char,
    parse_filing_number,
)
from fingertip.reference import PROVINCE_ABBREVIATIONS

REAL = "11441700007280420Y"  # 阳江市人民政府办公室


def test_real_code_is_valid():
    assert credit_code_problem(REAL) is None
    assert is_valid_credit_code(REAL)
    assert is_government_credit_code(REAL)
    assert credit_code_division(REAL) == "441700"
    assert org_code_check_char("00728042") == "0"


def test_changed_final_check_char_is_invalid():
    for ch in CREDIT_CODE_ALPHABET:
        if ch != "Y":
            problem = credit_code_problem(REAL[:17] + ch)
            assert problem and "position 18" in problem


def test_changed_organisation_check_char_is_invalid_even_with_fixed_final_char():
    body17 = REAL[:16] + "1"
    code = body17 + uscc.calc_check_digit(body17)
    assert uscc.is_valid(code)  # stdnum alone accepts it
    problem = credit_code_problem(code)
    assert problem and "position 17" in problem


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        (None, "missing"),
        ("", "missing"),
        ("1144170000728042", "length"),
        ("1144170000728042OY", "invalid character"),
        ("A1441700007280420Y", "digits"),
        (11441700007280420, "text"),
    ],
)
def test_credit_code_problems(code, fragment):
    assert fragment in credit_code_problem(code)


def test_make_credit_code_round_trip():
    for reg in ("11", "12", "13", "91"):
        for body in ("00728042", "MB0327977"[:8], "0000000X"[:7] + "1", "12345678"):
            code = make_credit_code(reg, "330106", body)
            assert len(code) == 18 and code.startswith(reg + "330106" + body)
            assert credit_code_problem(code) is None, code
            assert uscc.is_valid(code)
    assert make_credit_code("11", "441700", "00728042") == REAL
    assert is_government_credit_code(make_credit_code("13", "110000", "00000001"))
    assert not is_government_credit_code(make_credit_code("91", "110000", "00000001"))
    with pytest.raises(ValueError):
        make_credit_code("11", "44170", "00728042")
    with pytest.raises(ValueError):
        make_credit_code("11", "441700", "0072804I")


def test_org_check_char_x_and_zero():
    seen = {org_code_check_char(f"{n:08d}") for n in range(200)}
    assert "X" in seen and "0" in seen


@pytest.mark.parametrize(
    ("number", "service_type"),
    [
        ("津ICP备2024024051号-1A", "app"),
        ("苏ICP备2026044365号-1X", "mini_program"),
        ("粤ICP备2024012345号-12K", "quick_app"),
        ("蜀ICP备2024000001号-2A", "app"),
        ("黔ICP备2024000001号-1X", "mini_program"),
        ("滇ICP备20240001号-3A", "app"),
        ("陇ICP备2024000001号-1A", "app"),
        ("京ICP备05012345号-1A", "app"),
    ],
)
def test_valid_filing_numbers(number, service_type):
    assert filing_number_problem(number) is None
    assert filing_number_problem(number, service_type) is None
    parsed = parse_filing_number(number)
    assert parsed is not None and str(parsed) == number
    assert parsed.service_type == service_type


def test_entity_number_alone_is_well_formed_but_not_a_service_number():
    assert filing_number_problem("粤ICP备2024012345号") is None
    assert "entity number" in filing_number_problem("粤ICP备2024012345号", "app")


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("京ICP证030173号", "licence"),
        ("京公网安备11010502030143号", "public-security"),
        ("ICP备2024024051号-1A", "malformed"),
        ("津ICP2024024051号-1A", "malformed"),
        ("津ICP备2024-024051号-1A", "malformed"),
        ("津ICP备12345号-1A", "malformed"),
        ("甲ICP备2024024051号-1A", "unknown province abbreviation"),
        ("津ICP备2024024051号-1B", "unknown service suffix"),
        ("", "missing"),
        (None, "missing"),
    ],
)
def test_invalid_filing_numbers(number, fragment):
    assert fragment in filing_number_problem(number)


def test_suffix_must_match_type_and_province_may_be_checked():
    assert "does not match service type app" in filing_number_problem("津ICP备2024024051号-1X", "app")
    assert "does not match service type mini_program" in filing_number_problem("津ICP备2024024051号-1A", "mini_program")
    assert filing_number_problem("津ICP备2024024051号-1A", expected_province="120101") is None
    assert "province" in filing_number_problem("津ICP备2024024051号-1A", expected_province="44")


def test_full_width_input_is_normalised():
    assert filing_number_problem("津ICP备２０２４０２４０５１号－１A", "app") is None
    assert filing_number_problem(" 津ICP备2024024051号-1A ", "app") is None


def test_make_filing_number():
    assert make_filing_number("44", 2024, 12345, 3, "app") == "粤ICP备2024012345号-3A"
    assert make_filing_number("510000", 2025, 7, 1, "mini_program") == "蜀ICP备2025000007号-1X"
    assert make_filing_number("33", 2024, 1, None, None) == "浙ICP备2024000001号"
    for prefix in PROVINCE_ABBREVIATIONS:
        for kind in ("app", "mini_program", "quick_app"):
            number = make_filing_number(prefix, 2024, 999_999, 9, kind)
            assert filing_number_problem(number, kind, expected_province=prefix) is None
    with pytest.raises(ValueError):
        make_filing_number("71", 2024, 1, 1, "app")  # no ICP abbreviation for Taiwan
    with pytest.raises(ValueError):
        make_filing_number("44", 2024, 1, 1, "website")
