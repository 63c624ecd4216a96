"""Identifier helpers shared by validation, reconciliation and the sample generator.

* Unified social credit codes (统一社会信用代码, GB 32100-2015): 18 characters; positions 3–8 are
  the division code, 9–17 the GB 11714 organisation code whose own check character is position 17,
  position 18 the GB 32100 check character (computed by :mod:`stdnum.cn.uscc`).
* ICP/APP filing numbers (MIIT): ``<省>ICP备<6–10 digits>号`` for the entity, ``-<n>`` per service,
  apps ``-<n>A``, mini-programs ``-<n>X``, quick apps ``-<n>K``. Licence numbers such as
  ``京ICP证030173号`` are a different thing and are rejected.

Problem functions return ``None`` when the value is fine, otherwise a short English reason; the
``*_issue`` functions return the same finding as an :class:`Issue` with a specific Chinese reason
that says how to fix it (what a unit sees in its rejection report).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from fingertip.reference import ABBREVIATION_PROVINCES, PROVINCE_ABBREVIATIONS

# --------------------------------------------------------------------------------------------
# Unified social credit codes
# --------------------------------------------------------------------------------------------

#: Characters allowed in a credit code (no I, O, S, V, Z).
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Registration authority + type prefixes of government sponsors: organs, public institutions,
#: mass organisations (all registered by the establishment office, 机构编制).
GOVERNMENT_PREFIXES = {"11": "机关", "12": "事业单位", "13": "群团组织"}

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True, slots=True)
class Issue:
    """What is wrong with an identifier: a stable code, the English reason, the Chinese reason with the fix."""

    code: str
    en: str
    zh: str


def _char_value(ch: str) -> int:
    """GB 11714 value of a character: digits 0–9, letters A=10 … Z=35."""
    if "0" <= ch <= "9":
        return ord(ch) - 48
    if "A" <= ch <= "Z":
        return ord(ch) - 55
    raise ValueError(f"invalid organisation-code character {ch!r}")


def org_code_check_char(body: str) -> str:
    """GB 11714 check character for the 8-character organisation-code body."""
    if len(body) != 8:
        raise ValueError(f"organisation-code body must have 8 characters, got {len(body)}")
    check = 11 - sum(_char_value(c) * w for c, w in zip(body.upper(), _ORG_WEIGHTS, strict=True)) % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def make_credit_code(registration_type: str, division_code: str, org_body: str) -> str:
    """Build a valid 18-character credit code.

    ``registration_type`` is the 2-character prefix (``11`` 机关, ``12`` 事业单位, ``13`` 群团组织,
    ``91`` 企业 …), ``division_code`` 6 digits, ``org_body`` the 8-character organisation-code body.
    """
    registration_type = registration_type.upper()
    org_body = org_body.upper()
    if len(registration_type) != 2 or any(c not in CREDIT_CODE_ALPHABET for c in registration_type):
        raise ValueError(f"bad registration type {registration_type!r}")
    if len(division_code) != 6 or not division_code.isdigit() or not division_code.isascii():
        raise ValueError(f"bad division code {division_code!r}")
    if len(org_body) != 8 or any(c not in CREDIT_CODE_ALPHABET for c in org_body):
        raise ValueError(f"bad organisation-code body {org_body!r}")
    first17 = registration_type + division_code + org_body + org_code_check_char(org_body)
    return first17 + uscc.calc_check_digit(first17)


def credit_code_problem(code: object) -> str | None:
    """None when ``code`` is a valid credit code (stdnum + GB 11714 check), else the reason."""
    issue = credit_code_issue(code)
    return issue.en if issue else None


def credit_code_issue(code: object) -> Issue | None:
    """None when ``code`` is a valid credit code, else the :class:`Issue` (Chinese reason with the fix).

    A credit code is ASCII: full-width digits and letters (１１４４…, ＡＢＣＤ) or any other Unicode digit
    are refused here (issue ``non_ascii``), never folded — python-stdnum's ``compact`` would silently
    turn full-width digits into ASCII ones, so a stored code would not equal the code it is looked up
    by. Folding is explicit and happens at intake only: the inventory importer NFKC-normalises every
    identifier cell (:func:`fingertip.sources.coerce.text`) before validation. Lower-case letters and
    spaces or hyphens between groups are still accepted (``compact``), as before.
    """
    if code is None or (isinstance(code, str) and not code.strip()):
        return Issue("missing", "missing credit code", "未填写统一社会信用代码，请填写 18 位代码。")
    if not isinstance(code, str):
        return Issue("type", f"credit code must be text, got {type(code).__name__}",
                     "统一社会信用代码应为文本，请将该列设为“文本”格式后重新录入。")
    if not code.isascii():
        chars = "".join(sorted({c for c in code if not c.isascii()}))
        return Issue("non_ascii", f"non-ASCII character(s) {chars!r} (full-width or other non-ASCII digits or "
                                  "letters); type the code in half-width ASCII",
                     f"统一社会信用代码含有全角或非 ASCII 字符“{chars}”，请切换到半角（英文）输入状态后重新填写。")
    number = uscc.compact(code)
    if len(number) != 18:
        return Issue("length", f"wrong length {len(number)} (expected 18 characters)",
                     f"统一社会信用代码有 {len(number)} 位，应为 18 位，请核对后重新填写。")
    if not number[:8].isdigit():
        return Issue("prefix", "positions 1-8 (registration type and division code) must be digits",
                     "统一社会信用代码第 1–8 位（登记管理部门、机构类别和行政区划代码）应为数字，请核对。")
    bad = sorted({c for c in number[8:] if c not in CREDIT_CODE_ALPHABET})
    if bad:
        chars = "".join(bad)
        return Issue("alphabet", f"invalid character(s) {chars!r} (I, O, S, V, Z are never used)",
                     f"统一社会信用代码含有不使用的字符“{chars}”（代码中不使用 I、O、S、V、Z），"
                     "请核对是否把数字 0、1、2、5 误写成了字母。")
    expected17 = org_code_check_char(number[8:16])
    if number[16] != expected17:
        return Issue("check17",
                     f"organisation-code check character (position 17) is {number[16]!r}, expected {expected17!r}",
                     f"统一社会信用代码第 17 位（组织机构代码校验码）是“{number[16]}”，按第 9–16 位计算应为"
                     f"“{expected17}”，请对照登记证书核对第 9–17 位。")
    try:
        uscc.validate(number)
    except ValidationError:
        expected18 = uscc.calc_check_digit(number[:17])
        return Issue("check18", f"check character (position 18) is {number[17]!r}, expected {expected18!r}",
                     f"统一社会信用代码第 18 位（校验码）是“{number[17]}”，按前 17 位计算应为“{expected18}”，"
                     "请对照登记证书核对整个代码。")
    return None


def is_valid_credit_code(code: object) -> bool:
    return credit_code_problem(code) is None


def is_government_credit_code(code: object) -> bool:
    """True for codes of organs (11), public institutions (12) and mass organisations (13)."""
    if not isinstance(code, str) or not code.isascii():
        return False
    return uscc.compact(code)[:2] in GOVERNMENT_PREFIXES


def credit_code_division(code: str) -> str:
    """The division code embedded in a credit code (positions 3–8)."""
    return uscc.compact(code)[2:8]


# --------------------------------------------------------------------------------------------
# ICP / APP filing numbers
# --------------------------------------------------------------------------------------------

#: Service type -> suffix letter of the service number.
SERVICE_SUFFIXES = {"app": "A", "mini_program": "X", "quick_app": "K"}
SUFFIX_SERVICE_TYPES = {v: k for k, v in SERVICE_SUFFIXES.items()}

_FILING_RE = re.compile(
    # ASCII digits only: after NFKC, ``\d`` would still take Bengali, Arabic-Indic … digits (粤ICP备১২৩৪৫৬৭৮号)
    r"^(?P<abbr>[\u4e00-\u9fff])ICP备(?P<digits>[0-9]{6,10})号(?:-(?P<service_no>[1-9][0-9]{0,3})(?P<suffix>[A-Z])?)?$"
)


@dataclass(frozen=True, slots=True)
class FilingNumber:
    abbr: str
    digits: str
    service_no: int | None
    suffix: str | None

    @property
    def province_prefix(self) -> str | None:
        """Two-digit province prefix for the abbreviation (None when unknown)."""
        return ABBREVIATION_PROVINCES.get(self.abbr)

    @property
    def main_licence(self) -> str:
        """The entity number, e.g. ``粤ICP备2024012345号``."""
        return f"{self.abbr}ICP备{self.digits}号"

    @property
    def service_type(self) -> str | None:
        return SUFFIX_SERVICE_TYPES.get(self.suffix) if self.suffix else None

    def __str__(self) -> str:
        text = self.main_licence
        if self.service_no is not None:
            text += f"-{self.service_no}{self.suffix or ''}"
        return text


def normalize_filing_number(text: str) -> str:
    """NFKC (full-width digits, letters and hyphens become ASCII), no whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def make_filing_number(province_code2: str, year: int, serial: int, service_no: int | None,
                       service_type: str | None) -> str:
    """Build ``<abbr>ICP备<year><serial:06d>号[-<service_no><suffix>]``, e.g. 粤ICP备2024012345号-3A.

    ``province_code2`` is the province prefix (``44``) or any code of that province; with
    ``service_no=None`` the entity number alone is returned.
    """
    prefix = str(province_code2)[:2]
    abbr = PROVINCE_ABBREVIATIONS.get(prefix)
    if abbr is None:
        raise ValueError(f"no ICP abbreviation for province {province_code2!r}")
    if not 1000 <= year <= 9999 or not 0 <= serial < 1_000_000:
        raise ValueError(f"year {year} / serial {serial} out of range")
    text = f"{abbr}ICP备{year:04d}{serial:06d}号"
    if service_no is None:
        return text
    if service_no < 1:
        raise ValueError("service number starts at 1")
    if service_type is None:
        return f"{text}-{service_no}"
    try:
        suffix = SERVICE_SUFFIXES[service_type]
    except KeyError:
        raise ValueError(f"unknown service type {service_type!r}; expected one of {sorted(SERVICE_SUFFIXES)}") from None
    return f"{text}-{service_no}{suffix}"


def parse_filing_number(text: object) -> FilingNumber | None:
    """The parts of an ICP/APP filing number, or None when the shape is wrong."""
    if not isinstance(text, str):
        return None
    match = _FILING_RE.match(normalize_filing_number(text))
    if not match:
        return None
    service_no = match["service_no"]
    return FilingNumber(
        abbr=match["abbr"],
        digits=match["digits"],
        service_no=int(service_no) if service_no else None,
        suffix=match["suffix"],
    )


#: Province names units write instead of the abbreviation MIIT filings use (川 for 蜀 …).
COMMON_ABBREVIATION_MISTAKES: dict[str, str] = {
    "川": "51", "贵": "52", "云": "53", "甘": "62", "秦": "61", "申": "31", "内": "15",
}
_SUFFIX_WORDS_ZH = {"A": "原生应用（A）", "X": "小程序（X）", "K": "快应用（K）"}
_SERVICE_TYPES_ZH = {"app": "原生应用", "mini_program": "小程序", "quick_app": "快应用"}
_FILING_EXAMPLE = "粤ICP备2024012345号-1A"


def filing_number_problem(text: object, expected_service_type: str | None = None,
                          expected_province: str | None = None) -> str | None:
    """None when ``text`` is a well-formed filing number, else the reason.

    ``expected_service_type`` (app / mini_program / quick_app) requires the matching suffix;
    ``expected_province`` (a 2-digit prefix or any division code) requires that province's
    abbreviation.
    """
    issue = filing_number_issue(text, expected_service_type, expected_province)
    return issue.en if issue else None


def filing_number_issue(text: object, expected_service_type: str | None = None,
                        expected_province: str | None = None) -> Issue | None:
    """:func:`filing_number_problem` as an :class:`Issue` with a specific Chinese reason and the fix."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return Issue("missing", "missing filing number", f"未填写备案号，请填写 ICP/APP 备案号（如“{_FILING_EXAMPLE}”）。")
    if not isinstance(text, str):
        return Issue("type", f"filing number must be text, got {type(text).__name__}", "备案号应为文本。")
    norm = normalize_filing_number(text)
    if "ICP证" in norm:
        return Issue("licence", "ICP licence number (ICP证), not an ICP/APP filing number",
                     f"“{norm}”是增值电信业务经营许可证号（ICP证），不是 ICP/APP 备案号；请填写工业和信息化部"
                     f"备案系统中的备案号（“ICP备”，如“{_FILING_EXAMPLE}”）。")
    if "公网安备" in norm:
        return Issue("public_security", "public-security filing number (公网安备), not an ICP/APP filing number",
                     f"“{norm}”是公安机关互联网站安全备案号（公网安备），不是 ICP/APP 备案号；请填写“ICP备”开头的"
                     f"备案号（如“{_FILING_EXAMPLE}”）。")
    parsed = parse_filing_number(norm)
    if parsed is None:
        return Issue("malformed", f"malformed filing number (expected e.g. {_FILING_EXAMPLE})",
                     f"备案号“{norm}”格式不正确，应为“省份简称 + ICP备 + 6–10 位数字 + 号”，应用另加“-序号”和类型"
                     f"字母（如“{_FILING_EXAMPLE}”）。")
    if parsed.province_prefix is None:
        prefix = COMMON_ABBREVIATION_MISTAKES.get(parsed.abbr)
        if prefix is not None:
            right = PROVINCE_ABBREVIATIONS[prefix]
            return Issue("province_abbreviation",
                         f"unknown province abbreviation {parsed.abbr!r} (filings use {right!r})",
                         f"备案号中的省份简称“{parsed.abbr}”不是备案系统使用的简称，备案号使用“{right}”"
                         f"（应为“{right}ICP备{parsed.digits}号…”）；请按备案系统中的备案号原样填写。")
        return Issue("province_abbreviation", f"unknown province abbreviation {parsed.abbr!r}",
                     f"备案号中的省份简称“{parsed.abbr}”不存在（备案号使用 京 津 冀 晋 蒙 辽 吉 黑 沪 苏 浙 皖 闽 赣 鲁 "
                     "豫 鄂 湘 粤 桂 琼 渝 蜀 黔 滇 藏 陕 陇 青 宁 新）；请按备案系统中的备案号原样填写。")
    if parsed.suffix is not None and parsed.suffix not in SUFFIX_SERVICE_TYPES:
        return Issue("suffix", f"unknown service suffix {parsed.suffix!r} (A app, X mini-program, K quick app)",
                     f"备案号末尾的类型字母“{parsed.suffix}”不存在（原生应用为 A、小程序为 X、快应用为 K）。")
    if expected_province is not None:
        want = PROVINCE_ABBREVIATIONS.get(str(expected_province)[:2])
        if want is not None and parsed.abbr != want:
            return Issue("province_mismatch",
                         f"province abbreviation {parsed.abbr!r} does not match the sponsor's province ({want!r})",
                         f"备案号的省份简称“{parsed.abbr}”与主办单位所在省份（“{want}”）不符，请核对备案号。")
    if expected_service_type is not None:
        want_suffix = SERVICE_SUFFIXES.get(expected_service_type)
        if want_suffix is None:
            raise ValueError(f"unknown service type {expected_service_type!r}")
        kind_zh = _SERVICE_TYPES_ZH[expected_service_type]
        if parsed.service_no is None:
            return Issue("no_service_number",
                         f"entity number without service number (expected -<n>{want_suffix} for {expected_service_type})",
                         f"“{norm}”是主体备案号，缺少服务序号；{kind_zh}的备案号应以“-序号{want_suffix}”结尾"
                         f"（如“{parsed.main_licence}-1{want_suffix}”）。")
        if parsed.suffix != want_suffix:
            got = parsed.suffix or "none"
            got_zh = _SUFFIX_WORDS_ZH.get(parsed.suffix or "", "无类型字母")
            return Issue("suffix_mismatch",
                         f"suffix {got} does not match service type {expected_service_type} (expected {want_suffix})",
                         f"备案号末尾为{got_zh}，与应用类型“{kind_zh}”不符（应以 {want_suffix} 结尾）；请核对备案号或应用类型。")
    return None


def is_valid_filing_number(text: object, expected_service_type: str | None = None) -> bool:
    return filing_number_problem(text, expected_service_type) is None
