"""Identifier helpers shared by validation, reconciliation and the sample generator.

* Unified social credit codes (统一社会信用代码, GB 32100-2015): 18 characters; positions 3–8 are
  the division code, 9–17 the GB 11714 organisation code whose own check character is position 17,
  position 18 the GB 32100 check character (computed by :mod:`stdnum.cn.uscc`).
* ICP/APP filing numbers (MIIT): ``<省>ICP备<6–10 digits>号`` for the entity, ``-<n>`` per service,
  apps ``-<n>A``, mini-programs ``-<n>X``, quick apps ``-<n>K``. Licence numbers such as
  ``京ICP证030173号`` are a different thing and are rejected.

Problem functions return ``None`` when the value is fine, otherwise a short English reason.
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
    if len(division_code) != 6 or not division_code.isdigit():
        raise ValueError(f"bad division code {division_code!r}")
    if len(org_body) != 8 or any(c not in CREDIT_CODE_ALPHABET for c in org_body):
        raise ValueError(f"bad organisation-code body {org_body!r}")
    first17 = registration_type + division_code + org_body + org_code_check_char(org_body)
    return first17 + uscc.calc_check_digit(first17)


def credit_code_problem(code: object) -> str | None:
    """None when ``code`` is a valid credit code (stdnum + GB 11714 check), else the reason."""
    if code is None or (isinstance(code, str) and not code.strip()):
        return "missing credit code"
    if not isinstance(code, str):
        return f"credit code must be text, got {type(code).__name__}"
    number = uscc.compact(code)
    if len(number) != 18:
        return f"wrong length {len(number)} (expected 18 characters)"
    if not number[:8].isdigit() or not number[:8].isascii():
        return "positions 1-8 (registration type and division code) must be digits"
    bad = sorted({c for c in number[8:] if c not in CREDIT_CODE_ALPHABET})
    if bad:
        return f"invalid character(s) {''.join(bad)!r} (I, O, S, V, Z are never used)"
    expected17 = org_code_check_char(number[8:16])
    if number[16] != expected17:
        return f"organisation-code check character (position 17) is {number[16]!r}, expected {expected17!r}"
    try:
        uscc.validate(number)
    except ValidationError:
        return f"check character (position 18) is {number[17]!r}, expected {uscc.calc_check_digit(number[:17])!r}"
    return None


def is_valid_credit_code(code: object) -> bool:
    return credit_code_problem(code) is None


def is_government_credit_code(code: object) -> bool:
    """True for codes of organs (11), public institutions (12) and mass organisations (13)."""
    if not isinstance(code, str):
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
    r"^(?P<abbr>[\u4e00-\u9fff])ICP备(?P<digits>\d{6,10})号(?:-(?P<service_no>[1-9]\d{0,3})(?P<suffix>[A-Z])?)?$"
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


def filing_number_problem(text: object, expected_service_type: str | None = None,
                          expected_province: str | None = None) -> str | None:
    """None when ``text`` is a well-formed filing number, else the reason.

    ``expected_service_type`` (app / mini_program / quick_app) requires the matching suffix;
    ``expected_province`` (a 2-digit prefix or any division code) requires that province's
    abbreviation.
    """
    if text is None or (isinstance(text, str) and not text.strip()):
        return "missing filing number"
    if not isinstance(text, str):
        return f"filing number must be text, got {type(text).__name__}"
    norm = normalize_filing_number(text)
    if "ICP证" in norm:
        return "ICP licence number (ICP证), not an ICP/APP filing number"
    if "公网安备" in norm:
        return "public-security filing number (公网安备), not an ICP/APP filing number"
    parsed = parse_filing_number(norm)
    if parsed is None:
        return "malformed filing number (expected e.g. 粤ICP备2024012345号-1A)"
    if parsed.province_prefix is None:
        return f"unknown province abbreviation {parsed.abbr!r}"
    if parsed.suffix is not None and parsed.suffix not in SUFFIX_SERVICE_TYPES:
        return f"unknown service suffix {parsed.suffix!r} (A app, X mini-program, K quick app)"
    if expected_province is not None:
        want = PROVINCE_ABBREVIATIONS.get(str(expected_province)[:2])
        if want is not None and parsed.abbr != want:
            return f"province abbreviation {parsed.abbr!r} does not match the sponsor's province ({want!r})"
    if expected_service_type is not None:
        want_suffix = SERVICE_SUFFIXES.get(expected_service_type)
        if want_suffix is None:
            raise ValueError(f"unknown service type {expected_service_type!r}")
        if parsed.service_no is None:
            return f"entity number without service number (expected -<n>{want_suffix} for {expected_service_type})"
        if parsed.suffix != want_suffix:
            got = parsed.suffix or "none"
            return f"suffix {got} does not match service type {expected_service_type} (expected {want_suffix})"
    return None


def is_valid_filing_number(text: object, expected_service_type: str | None = None) -> bool:
    return filing_number_problem(text, expected_service_type) is None
