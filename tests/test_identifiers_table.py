"""Identifiers against values from outside the code under test.

Credit codes: real unified social credit codes published online, collected in python-stdnum's test
file ``tests/test_cn_uscc.doctest`` ("found online and should all be valid numbers"), chosen with
letters in the organisation part (GB 11714 body) and varied check characters at positions 17 and
18 (including ``X`` and ``0`` at position 17, which GB 11714 gives for remainders 10 and 11). The
GB 11714 expectations in ``ORG_CHECKS`` are computed by hand from the standard's weights
(3 7 9 10 5 8 4 2, letters A=10 … Z=35, C = 11 − Σ mod 11, 10 → X, 11 → 0).
"""

from __future__ import annotations

import pytest

from fingertip.identifiers import (
    CREDIT_CODE_ALPHABET,
    FilingNumber,
    credit_code_division,
    credit_code_problem,
    filing_number_problem,
    is_government_credit_code,
    is_valid_filing_number,
    make_credit_code,
    make_filing_number,
    normalize_filing_number,
    org_code_check_char,
    parse_filing_number,
)

REAL_CODES = [
    "91310115MA1K3BTP2B",
    "91340600MA2PBM9HXD",  # position 17 'X'
    "91340603MA2UJXXCXF",  # position 17 'X'
    "91340621MA2PBNXR7P",
    "91340600MA2PBP2120",
    "91420684MA4927PJ7B",
    "91620105MA71T4YW8Q",
    "92340603MA2PBN17X5",
    "92340621MA2PBKRXXG",
    "91340621MA2PBPM015",
    "91620105L015101280",  # a letter outside the MA prefix
    "92340603MA2UK1TD00",  # position 17 '0'
    "92340604MA2PENA300",  # position 17 '0'
    "121200004013590816",  # a public institution (事业单位)
    "91110000600037341L",
    "9144030071526726XG",
]

@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    assert credit_code_problem(code) is None
    assert credit_code_problem(code.lower()) is None
    assert credit_code_problem(f" {code[:8]} {code[8:]} ") is None  # uscc.compact drops spaces
    assert credit_code_division(code) == code[2:8]
    assert is_government_credit_code(code) is (code[:2] in {"11", "12", "13"})


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_rebuilt_from_their_parts(code):
    assert make_credit_code(code[:2], code[2:8], code[8:16]) == code
    assert org_code_check_char(code[8:16]) == code[16]


@pytest.mark.parametrize("code", REAL_CODES)
def test_any_other_organisation_check_character_is_rejected(code):
    for ch in CREDIT_CODE_ALPHABET:
        if ch == code[16]:
            continue
        problem = credit_code_problem(code[:16] + ch + code[17])
        assert problem == f"organisation-code check character (position 17) is {ch!r}, expected {code[16]!r}"


@pytest.mark.parametrize("code", REAL_CODES[:4])
def test_any_other_final_check_character_is_rejected(code):
    for ch in CREDIT_CODE_ALPHABET:
        if ch != code[17]:
            assert credit_code_problem(code[:17] + ch) == \
                f"check character (position 18) is {ch!r}, expected {code[17]!r}"


def test_org_check_characters_by_hand():
    # Σ weights × values worked out by hand for two bodies (see the module docstring for the rule).
    # MA2PBM9H: 22·3 + 10·7 + 2·9 + 25·10 + 11·5 + 22·8 + 9·4 + 17·2 = 705; 705 mod 11 = 1; 11 − 1 = 10 → X
    assert org_code_check_char("MA2PBM9H") == "X"
    # 00728042: 0 + 0 + 7·9 + 2·10 + 8·5 + 0 + 4·4 + 2·2 = 143 = 13·11; 11 − 0 = 11 → 0
    assert org_code_check_char("00728042") == "0"
    # 60003734: 6·3 + 0 + 0 + 0 + 3·5 + 7·8 + 3·4 + 4·2 = 109; 109 mod 11 = 10; 11 − 10 = 1
    assert org_code_check_char("60003734") == "1"
    assert org_code_check_char("ma2pbm9h") == "X"  # lower case is read as upper case
    # every letter's value matters: Y = 34, W = 32 at weight 3 differ by 6
    assert org_code_check_char("Y0000000") != org_code_check_char("W0000000")
    # Y·3 = 102 → 102 mod 11 = 3 → 8;  A·3 = 30 → 8 → 3
    assert org_code_check_char("Y0000000") == "8"
    assert org_code_check_char("A0000000") == "3"
    assert org_code_check_char("90000000") == "6"  # 27 mod 11 = 5 → 6


@pytest.mark.parametrize("body", ["MA2PBM9", "MA2PBM9HX", ""])
def test_org_body_length(body):
    with pytest.raises(ValueError, match=f"must have 8 characters, got {len(body)}"):
        org_code_check_char(body)


def test_org_body_bad_character():
    with pytest.raises(ValueError, match="invalid organisation-code character"):
        org_code_check_char("MA2PB-9H")


@pytest.mark.parametrize("value,problem", [
    (None, "missing credit code"),
    ("", "missing credit code"),
    ("   ", "missing credit code"),
    (12345, "credit code must be text, got int"),
    ("91310115MA1K3BTP2", "wrong length 17 (expected 18 characters)"),
    ("91310115MA1K3BTP2BB", "wrong length 19 (expected 18 characters)"),
    ("9A310115MA1K3BTP2B", "positions 1-8 (registration type and division code) must be digits"),
    ("9131011AMA1K3BTP2B", "positions 1-8 (registration type and division code) must be digits"),
    ("٩1310115MA1K3BTP2B", "non-ASCII character(s) '٩' (full-width or other non-ASCII digits or letters); "
                           "type the code in half-width ASCII"),
    ("91310115MI1K3BTP2B", "invalid character(s) 'I' (I, O, S, V, Z are never used)"),
    ("91310115MA1K3BTPZO", "invalid character(s) 'OZ' (I, O, S, V, Z are never used)"),
])
def test_credit_code_problems(value, problem):
    assert credit_code_problem(value) == problem


@pytest.mark.parametrize("code,gov", [
    ("11441700007280420Y", True), ("121200004013590816", True), ("13", True), ("91310115MA1K3BTP2B", False),
    ("51", False), (None, False), (11, False), ("1 1441700007280420Y", True),
])
def test_government_prefixes(code, gov):
    assert is_government_credit_code(code) is gov


@pytest.mark.parametrize("args,problem", [
    (("1", "441700", "00728042"), "bad registration type"),
    (("1I", "441700", "00728042"), "bad registration type"),
    (("111", "441700", "00728042"), "bad registration type"),
    (("11", "44170", "00728042"), "bad division code"),
    (("11", "44170A", "00728042"), "bad division code"),
    (("11", "441700", "0072804"), "bad organisation-code body"),
    (("11", "441700", "0072804O"), "bad organisation-code body"),
])
def test_make_credit_code_rejects(args, problem):
    with pytest.raises(ValueError, match=problem):
        make_credit_code(*args)


def test_make_credit_code_upper_cases():
    assert make_credit_code("91", "310115", "ma1k3btp") == "91310115MA1K3BTP2B"


# ---------------------------------------------------------------------------------------------
# Filing numbers
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,abbr,digits,service_no,suffix,service_type", [
    ("粤ICP备2024012345号", "粤", "2024012345", None, None, None),
    ("京ICP备05070218号", "京", "05070218", None, None, None),       # old 8-digit entity number
    ("京ICP备123456号", "京", "123456", None, None, None),           # 6 digits: the shortest
    ("沪ICP备1234567890号-1", "沪", "1234567890", 1, None, None),     # 10 digits: the longest
    ("粤ICP备2024012345号-3A", "粤", "2024012345", 3, "A", "app"),
    ("浙ICP备2023000001号-12X", "浙", "2023000001", 12, "X", "mini_program"),
    ("苏ICP备2022999999号-9999K", "苏", "2022999999", 9999, "K", "quick_app"),
    ("粤ＩＣＰ备２０２４０１２３４５号－３Ａ", "粤", "2024012345", 3, "A", "app"),  # full width
    (" 粤ICP备 2024012345号-3A\t", "粤", "2024012345", 3, "A", "app"),
])
def test_parse_filing_numbers(text, abbr, digits, service_no, suffix, service_type):
    parsed = parse_filing_number(text)
    assert parsed == FilingNumber(abbr, digits, service_no, suffix)
    assert parsed.service_type == service_type
    assert parsed.main_licence == f"{abbr}ICP备{digits}号"
    assert str(parsed) == normalize_filing_number(text)


def test_province_prefix():
    assert parse_filing_number("粤ICP备2024012345号").province_prefix == "44"
    assert parse_filing_number("京ICP备2024012345号").province_prefix == "11"
    assert parse_filing_number("火ICP备2024012345号").province_prefix is None


@pytest.mark.parametrize("text", [
    "粤ICP备12345号",            # 5 digits
    "粤ICP备12345678901号",      # 11 digits
    "粤ICP备2024012345号-0",     # service numbers start at 1
    "粤ICP备2024012345号-01A",
    "粤ICP备2024012345号-10000A",  # at most 4 digits
    "粤ICP备2024012345号-3a",
    "粤ICP备2024012345号-",
    "粤ICP备2024012345",
    "ICP备2024012345号",
    "AICP备2024012345号",
    "粤ICP备2024012345号-3AB",
    "x粤ICP备2024012345号",
])
def test_malformed_filing_numbers(text):
    assert parse_filing_number(text) is None
    assert filing_number_problem(text) == "malformed filing number (expected e.g. 粤ICP备2024012345号-1A)"


@pytest.mark.parametrize("value,kwargs,problem", [
    (None, {}, "missing filing number"),
    ("  ", {}, "missing filing number"),
    (2024, {}, "filing number must be text, got int"),
    ("京ICP证030173号", {}, "ICP licence number (ICP证), not an ICP/APP filing number"),
    ("京公网安备11000002000001号", {}, "public-security filing number (公网安备), not an ICP/APP filing number"),
    ("火ICP备2024012345号", {}, "unknown province abbreviation '火'"),
    ("粤ICP备2024012345号-3B", {}, "unknown service suffix 'B' (A app, X mini-program, K quick app)"),
    ("粤ICP备2024012345号-3A", {"expected_province": "11"},
     "province abbreviation '粤' does not match the sponsor's province ('京')"),
    ("粤ICP备2024012345号-3A", {"expected_province": "110105"},
     "province abbreviation '粤' does not match the sponsor's province ('京')"),
    ("粤ICP备2024012345号-3A", {"expected_province": "440305"}, None),
    ("粤ICP备2024012345号-3A", {"expected_province": "99"}, None),  # unknown province: not judged
    ("粤ICP备2024012345号", {"expected_service_type": "app"},
     "entity number without service number (expected -<n>A for app)"),
    ("粤ICP备2024012345号-3", {"expected_service_type": "mini_program"},
     "suffix none does not match service type mini_program (expected X)"),
    ("粤ICP备2024012345号-3A", {"expected_service_type": "quick_app"},
     "suffix A does not match service type quick_app (expected K)"),
    ("粤ICP备2024012345号-3K", {"expected_service_type": "quick_app"}, None),
    ("粤ICP备2024012345号-3X", {"expected_service_type": "mini_program"}, None),
    ("粤ICP备2024012345号-3", {}, None),
])
def test_filing_number_problems(value, kwargs, problem):
    assert filing_number_problem(value, **kwargs) == problem


def test_unknown_expected_service_type_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown service type 'web'"):
        filing_number_problem("粤ICP备2024012345号-3A", expected_service_type="web")


def test_is_valid_filing_number():
    assert is_valid_filing_number("粤ICP备2024012345号-3A", "app")
    assert not is_valid_filing_number("粤ICP备2024012345号-3A", "mini_program")
    assert is_valid_filing_number("粤ICP备2024012345号")


@pytest.mark.parametrize("args,expected", [
    (("44", 2024, 12345, None, None), "粤ICP备2024012345号"),
    (("440305", 2024, 12345, 3, "app"), "粤ICP备2024012345号-3A"),
    (("11", 1000, 0, 1, "mini_program"), "京ICP备1000000000号-1X"),       # lowest year and serial
    (("11", 9999, 999_999, 9999, "quick_app"), "京ICP备9999999999号-9999K"),  # highest
    (("31", 2024, 7, 2, None), "沪ICP备2024000007号-2"),
    ((44, 2024, 1, None, "app"), "粤ICP备2024000001号"),  # no service number: the type is ignored
])
def test_make_filing_number(args, expected):
    assert make_filing_number(*args) == expected
    assert filing_number_problem(expected) is None


@pytest.mark.parametrize("args,problem", [
    (("99", 2024, 1, None, None), "no ICP abbreviation for province '99'"),
    (("44", 999, 1, None, None), "year 999 / serial 1 out of range"),
    (("44", 10000, 1, None, None), "year 10000 / serial 1 out of range"),
    (("44", 2024, -1, None, None), "year 2024 / serial -1 out of range"),
    (("44", 2024, 1_000_000, None, None), "year 2024 / serial 1000000 out of range"),
    (("44", 2024, 1, 0, None), "service number starts at 1"),
    (("44", 2024, 1, 1, "web"), "unknown service type 'web'"),
])
def test_make_filing_number_rejects(args, problem):
    with pytest.raises(ValueError) as exc:
        make_filing_number(*args)
    assert str(exc.value).startswith(problem)


def test_filing_number_is_a_frozen_slotted_value():
    import dataclasses

    parsed = parse_filing_number("粤ICP备2024012345号-3A")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.abbr = "京"  # type: ignore[misc]
    assert not hasattr(parsed, "__dict__")
    assert hash(parsed) == hash(parse_filing_number("粤ICP备2024012345号-3A"))


# The stable issue codes (data other code and reports key on), one row per reason.
@pytest.mark.parametrize("value,code", [
    (None, "missing"), (12, "type"), ("91310115MA1K3BTP2", "length"), ("9A310115MA1K3BTP2B", "prefix"),
    ("91310115OA1K3BTP2B", "alphabet"),  # a bad character at position 9, the first of the organisation part
    ("91310115MA1K3BTP3B", "check17"), ("91310115MA1K3BTP2C", "check18"), ("91310115MA1K3BTP2B", None),
])
def test_credit_code_issue_codes(value, code):
    from fingertip.identifiers import credit_code_issue

    issue = credit_code_issue(value)
    assert (issue.code if issue else None) == code
    if issue:
        assert issue.en == credit_code_problem(value) and issue.zh


def test_bad_character_at_position_9():
    assert credit_code_problem("91310115OA1K3BTP2B") == "invalid character(s) 'O' (I, O, S, V, Z are never used)"


@pytest.mark.parametrize("value,kwargs,code", [
    (None, {}, "missing"), (2024, {}, "type"), ("京ICP证030173号", {}, "licence"),
    ("京公网安备11000002000001号", {}, "public_security"), ("粤ICP备12345号", {}, "malformed"),
    ("火ICP备2024012345号", {}, "province_abbreviation"), ("贵ICP备2024012345号", {}, "province_abbreviation"),
    ("粤ICP备2024012345号-3B", {}, "suffix"), ("粤ICP备2024012345号-3A", {"expected_province": "11"}, "province_mismatch"),
    ("粤ICP备2024012345号", {"expected_service_type": "app"}, "no_service_number"),
    ("粤ICP备2024012345号-3X", {"expected_service_type": "app"}, "suffix_mismatch"),
    ("粤ICP备2024012345号-3A", {"expected_service_type": "app"}, None),
])
def test_filing_number_issue_codes(value, kwargs, code):
    from fingertip.identifiers import filing_number_issue

    issue = filing_number_issue(value, **kwargs)
    assert (issue.code if issue else None) == code
    if issue:
        assert issue.en == filing_number_problem(value, **kwargs) and issue.zh


@pytest.mark.parametrize("wrong,right", [("川", "蜀"), ("贵", "黔"), ("云", "滇"), ("甘", "陇"), ("秦", "陕"),
                                         ("申", "沪"), ("内", "蒙")])
def test_common_abbreviation_mistakes_name_the_filing_abbreviation(wrong, right):
    # the abbreviations MIIT filings use (independent list: 蜀 Sichuan, 黔 Guizhou, 滇 Yunnan, 陇 Gansu,
    # 陕 Shaanxi, 沪 Shanghai, 蒙 Inner Mongolia)
    assert filing_number_problem(f"{wrong}ICP备2024012345号") == \
        f"unknown province abbreviation {wrong!r} (filings use {right!r})"


# Full-width and other non-ASCII characters (typed by hand; the second column is what NFKC gives,
# checked below against the Unicode database). The validator refuses them (issue ``non_ascii``); the
# explicit folding happens at intake, where the importer NFKC-normalises identifier cells
# (``fingertip.sources.coerce.text``): after it, full-width input is the ASCII code and validates, an
# error stays an error, and digits NFKC does not fold (Arabic-Indic) are still refused.
# (value, NFKC form, issue code of the value, issue code after the intake fold)
NON_ASCII = [
    ("９１３１０１１５MA1K3BTP2B", "91310115MA1K3BTP2B", "non_ascii", None),  # full-width digits 1-8
    ("91310115MA1K3BTP２B", "91310115MA1K3BTP2B", "non_ascii", None),      # one at position 17
    ("９１３１０１１５ＭＡ１Ｋ３ＢＴＰ２Ｂ", "91310115MA1K3BTP2B", "non_ascii", None),  # all full-width
    ("９１３１０１１５ｍａ１ｋ３ｂｔｐ２ｂ", "91310115ma1k3btp2b", "non_ascii", None),  # full-width lower case
    ("91310115\u3000MA1K3BTP2B", "91310115 MA1K3BTP2B", "non_ascii", None),  # ideographic space
    ("９１３１０１１５MA1K3BTP2C", "91310115MA1K3BTP2C", "non_ascii", "check18"),  # folding hides no error
    ("٩١٣١٠١١٥MA1K3BTP2B", "٩١٣١٠١١٥MA1K3BTP2B", "non_ascii", "non_ascii"),  # Arabic-Indic: not folded
    ("91310115MA1K3BTP2B", "91310115MA1K3BTP2B", None, None),
    ("91310115ma1k3btp2b", "91310115ma1k3btp2b", None, None),  # ASCII lower case: compact upper-cases
]


@pytest.mark.parametrize("value,nfkc,direct,folded", NON_ASCII, ids=[r[0] for r in NON_ASCII])
def test_non_ascii_credit_codes_refused_and_folded_only_at_intake(value, nfkc, direct, folded):
    import unicodedata

    from fingertip.identifiers import credit_code_issue
    from fingertip.sources.coerce import text as intake_fold

    assert unicodedata.normalize("NFKC", value) == nfkc  # the table's own second column
    issue = credit_code_issue(value)
    assert (issue.code if issue else None) == direct
    assert credit_code_problem(value) == (issue.en if issue else None)
    if direct == "non_ascii":
        assert issue.en.startswith("non-ASCII character(s)") and "全角" in issue.zh
        assert not is_government_credit_code(value)  # never read through a fold either
    after = credit_code_issue(intake_fold(value))
    assert (after.code if after else None) == folded
    if folded is None:
        assert intake_fold(value).upper().replace(" ", "") == "91310115MA1K3BTP2B"


def test_make_credit_code_refuses_a_full_width_division():
    with pytest.raises(ValueError, match="bad division code"):
        make_credit_code("11", "４４０３００", "00728042")


def _decimal_digits() -> list[str]:
    """Every Unicode decimal digit (category Nd), from the Unicode database of this Python."""
    import sys
    import unicodedata

    return [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Nd"]


def test_filing_numbers_take_ascii_digits_only_after_folding():
    """NFKC folds full-width (２) and mathematical (𝟐) digits to ASCII; the other scripts' decimal digits
    (Bengali ২, Arabic-Indic ٢, Devanagari २ …) it keeps, and a filing number written with them is
    malformed — not a valid number with foreign digits stored as its serial."""
    import unicodedata

    folded, refused = 0, 0
    for digit in _decimal_digits():
        value = unicodedata.digit(digit)
        text = f"粤ICP备202401234{digit}号-{digit}A" if value else f"粤ICP备202401234{digit}号"
        parsed = parse_filing_number(text)
        if unicodedata.normalize("NFKC", digit) == str(value):
            folded += 1
            assert parsed is not None and parsed.digits == f"202401234{value}", text
            assert parsed.service_no == (value or None)
        else:
            refused += 1
            assert parsed is None and not is_valid_filing_number(text), text
            assert filing_number_problem(text) is not None
    assert folded >= 60 and refused >= 500  # full-width and mathematical digits; every other script's
