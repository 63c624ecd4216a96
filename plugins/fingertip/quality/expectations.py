"""Custom Great Expectations expectations for the governance inventory (GX 1.x, pandas engine).

Importing this module registers every class below with GX (GX's metaclasses register an
expectation or metric provider when its class is defined), so suites loaded by
:mod:`fingertip.quality.suites` can name them by their snake-case type, e.g.
``expect_column_values_to_be_valid_uscc``. Import it only inside tasks: it imports GX (≈ 3 s).

Every condition is vectorised: a column is reduced to its unique values, each unique value is
checked once (with a process-wide cache for the costly checks), and the answer mapped back.

=====================================================  ==============================================
expectation                                            checks
=====================================================  ==============================================
``ExpectColumnValuesToBeValidUscc``                    GB 32100 credit code (python-stdnum + GB 11714)
``ExpectColumnValuesToBeGovernmentUscc``               prefix 11 / 12 / 13 (organ, institution, mass org.)
``ExpectColumnValuesToBeKnownDivisionCode``            member of the pinned GB/T 2260 snapshot
``ExpectColumnValuesToBeIsoDates``                     a date the normaliser could read (YYYY-MM-DD)
``ExpectColumnValuesToBeDatesNotInFuture``             date ≤ ``today`` (default: the run's date)
``ExpectColumnValuesToBeFirstOccurrence``              no earlier row of the batch has the same value
``ExpectColumnValuesToBeInReferenceSet``               value in a named run-scoped set (e.g. sponsors)
``ExpectColumnValuesToNotBeExcelMangledNumbers``       not ``1.23E+17``-style text (digits lost by Excel)
``ExpectColumnValuesToHaveNoForbiddenCharacters``      no C0/C1 control or bidi control character
                                                       (:func:`fingertip.text.find_forbidden`)
``ExpectColumnPairValuesToBeValidFilingNumber``        A: filing number well-formed, real province,
                                                       suffix matching B: service type (A/X/K)
``ExpectColumnPairValuesToBeInDateOrder``              A ≤ B (e.g. opened_on ≤ closed_on)
``ExpectColumnPairValuesToMatchReference``             reference[A] is missing or equals B (stored
                                                       owner of a natural key = the row's sponsor)
=====================================================  ==============================================

Run-scoped reference data (stored sponsors, owners of stored natural keys) is registered with
:func:`register_reference` under a name that the expectation's ``reference`` kwarg names; the
expectation configuration stays small and serialisable (Data Docs show the name, not 200k values).

:func:`specific_reason` gives, for the expectations whose checker knows exactly what is wrong (a
credit code's expected check character, a licence number in the filing column, 川 where filings use
蜀, the position and code point of a control character), the Chinese and English reason with the fix
that replaces the suite's generic template in the quarantine.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, ClassVar

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation, ColumnPairMapExpectation
from great_expectations.expectations.metrics import ColumnMapMetricProvider
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnPairMapMetricProvider,
    column_pair_condition_partial,
)

# the function, not the package's submodule of the same name (which mypy would pick)
from great_expectations.expectations.metrics.map_metric_provider.column_condition_partial import (
    column_condition_partial,
)

from fingertip import identifiers, reference
from fingertip.text import find_forbidden

# --------------------------------------------------------------------------------------------
# Run-scoped reference sets
# --------------------------------------------------------------------------------------------

_REFERENCES: dict[str, Any] = {}


def register_reference(name: str, values: Any) -> None:
    """Make a set (membership) or mapping (key → expected value) available to expectations."""
    _REFERENCES[name] = values


def clear_references() -> None:
    _REFERENCES.clear()


def get_reference(name: str) -> Any:
    try:
        return _REFERENCES[name]
    except KeyError:
        raise KeyError(f"reference {name!r} is not registered (fingertip.quality.expectations.register_reference)")\
            from None


# --------------------------------------------------------------------------------------------
# Vectorised helpers
# --------------------------------------------------------------------------------------------


def map_unique(column: pd.Series, check: Callable[[Any], bool]) -> pd.Series:
    """``check`` applied once per distinct value, mapped back onto the column (a bool Series)."""
    uniques = column.unique()
    verdict = {value: bool(check(value)) for value in uniques}
    return column.map(verdict).astype(bool)


@lru_cache(maxsize=500_000)
def _uscc_ok(value: str) -> bool:
    return identifiers.credit_code_problem(value) is None


@lru_cache(maxsize=500_000)
def _filing_problem(value: str, service_type: str | None) -> str | None:
    return identifiers.filing_number_problem(value, expected_service_type=service_type)


@lru_cache(maxsize=1)
def _division_codes() -> frozenset[str]:
    return frozenset(d.code for d in reference.load_divisions())


# ASCII digits only (``\d`` also takes full-width and other Unicode digits); \Z, not $: no trailing newline
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_MANGLED = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$|^\d{16,}\.0+$", re.ASCII)


def _as_str(column: pd.Series) -> pd.Series:
    return column.astype(str)


def _today(value: str | None) -> str:
    return value or dt.date.today().isoformat()


# --------------------------------------------------------------------------------------------
# Column map metrics and expectations
# --------------------------------------------------------------------------------------------


class ColumnValuesValidUscc(ColumnMapMetricProvider):
    condition_metric_name = "column_values.ft_valid_uscc"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return map_unique(_as_str(column), _uscc_ok)


class ExpectColumnValuesToBeValidUscc(ColumnMapExpectation):
    """Values are valid unified social credit codes (GB 32100-2015; check characters 17 and 18)."""

    map_metric: ClassVar[str] = "column_values.ft_valid_uscc"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ColumnValuesGovernmentUscc(ColumnMapMetricProvider):
    condition_metric_name = "column_values.ft_government_uscc"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        s = _as_str(column)
        # only valid codes are judged here: an invalid one is ExpectColumnValuesToBeValidUscc's business
        return s.str.upper().str[:2].isin(tuple(identifiers.GOVERNMENT_PREFIXES)) | ~map_unique(s, _uscc_ok)


class ExpectColumnValuesToBeGovernmentUscc(ColumnMapExpectation):
    """Valid credit codes are those of organs (11), public institutions (12) or mass organisations (13)
    (invalid codes pass here; ``ExpectColumnValuesToBeValidUscc`` reports them)."""

    map_metric: ClassVar[str] = "column_values.ft_government_uscc"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ColumnValuesKnownDivision(ColumnMapMetricProvider):
    condition_metric_name = "column_values.ft_known_division"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return _as_str(column).isin(_division_codes())


class ExpectColumnValuesToBeKnownDivisionCode(ColumnMapExpectation):
    """Values are GB/T 2260 division codes of the pinned snapshot (``fingertip.reference.SNAPSHOT``)."""

    map_metric: ClassVar[str] = "column_values.ft_known_division"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ColumnValuesIsoDates(ColumnMapMetricProvider):
    condition_metric_name = "column_values.ft_iso_date"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        s = _as_str(column)
        ok = s.str.match(_ISO_DATE)
        return ok & pd.to_datetime(s.where(ok), errors="coerce", format="%Y-%m-%d").notna()


class ExpectColumnValuesToBeIsoDates(ColumnMapExpectation):
    """Values are dates the normaliser could read (written back as ``YYYY-MM-DD``)."""

    map_metric: ClassVar[str] = "column_values.ft_iso_date"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ColumnValuesNotInFuture(ColumnMapMetricProvider):
    condition_metric_name = "column_values.ft_not_in_future"
    condition_value_keys = ("today",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, today=None, **kwargs):
        s = _as_str(column)
        iso = s.str.match(_ISO_DATE)
        # unreadable dates are ExpectColumnValuesToBeIsoDates' business; ISO strings compare as dates
        return ~iso | (s <= _today(today))


class ExpectColumnValuesToBeDatesNotInFuture(ColumnMapExpectation):
    """Dates (``YYYY-MM-DD``) are not after ``today`` (ISO date; default: today's date)."""

    map_metric: ClassVar[str] = "column_values.ft_not_in_future"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "today")
    today: str | None = None


class ColumnValuesFirstOccurrence(ColumnMapMetricProvider):
    condition_metric_name = "column_values.ft_first_occurrence"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return ~column.duplicated(keep="first")


class ExpectColumnValuesToBeFirstOccurrence(ColumnMapExpectation):
    """No earlier row of the batch has the same value: the second and later copies fail, the
    first is kept (unlike ``expect_column_values_to_be_unique``, which fails every copy)."""

    map_metric: ClassVar[str] = "column_values.ft_first_occurrence"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ColumnValuesInReference(ColumnMapMetricProvider):
    condition_metric_name = "column_values.ft_in_reference"
    condition_value_keys = ("reference",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, reference=None, **kwargs):
        known = get_reference(reference)
        return _as_str(column).isin(known if isinstance(known, (set, frozenset)) else set(known))


class ExpectColumnValuesToBeInReferenceSet(ColumnMapExpectation):
    """Values are members of the run-scoped reference set named ``reference`` (e.g. the credit codes
    of the stored sponsors plus those the batch itself introduces: "every referenced sponsor exists")."""

    map_metric: ClassVar[str] = "column_values.ft_in_reference"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "reference")
    reference: str


class ColumnValuesNotExcelMangled(ColumnMapMetricProvider):
    condition_metric_name = "column_values.ft_not_excel_mangled"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return ~_as_str(column).str.match(_MANGLED)


class ExpectColumnValuesToNotBeExcelMangledNumbers(ColumnMapExpectation):
    """Values are not long numbers Excel stored as floating point (``1.14417E+17``): the digits after
    the 15th are lost for good, the whole column must be re-entered as text."""

    map_metric: ClassVar[str] = "column_values.ft_not_excel_mangled"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


class ColumnValuesNoForbiddenCharacters(ColumnMapMetricProvider):
    condition_metric_name = "column_values.ft_no_forbidden_characters"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return map_unique(_as_str(column), lambda v: not find_forbidden(v))


class ExpectColumnValuesToHaveNoForbiddenCharacters(ColumnMapExpectation):
    """Single-line text (names) holds no C0/C1 control and no bidi control character
    (U+202A–U+202E, U+2066–U+2069): one such name would fail an XLSX report or reorder what an
    officer reads. The one definition is :func:`fingertip.text.find_forbidden`."""

    map_metric: ClassVar[str] = "column_values.ft_no_forbidden_characters"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)


# --------------------------------------------------------------------------------------------
# Column pair metrics and expectations
# --------------------------------------------------------------------------------------------

_PAIR_DOMAIN_KEYS = ("batch_id", "column_A", "column_B", "row_condition", "condition_parser", "ignore_row_if")


class ColumnPairValidFilingNumber(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.ft_valid_filing_number"
    condition_domain_keys = _PAIR_DOMAIN_KEYS
    condition_value_keys = ()

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, **kwargs):
        types = set(identifiers.SERVICE_SUFFIXES)
        keys = [(None if pd.isna(n) else str(n), t if isinstance(t, str) and t in types else None)
                for n, t in zip(column_A.tolist(), column_B.tolist(), strict=True)]
        verdict = {k: k[0] is None or _filing_problem(*k) is None for k in set(keys)}
        return pd.Series([verdict[k] for k in keys], index=column_A.index, dtype=bool)


class ExpectColumnPairValuesToBeValidFilingNumber(ColumnPairMapExpectation):
    """``column_A`` holds ICP/APP filing numbers: well-formed (``<省>ICP备<digits>号-<n><suffix>``),
    a real province abbreviation, and — when ``column_B`` names the service type (app /
    mini_program / quick_app) — the suffix that type requires (A, X, K). A missing number passes
    (required-ness is a separate expectation)."""

    map_metric: ClassVar[str] = "column_pair_values.ft_valid_filing_number"
    # GX leaves ColumnPairMapExpectation.domain_keys unannotated (typed as its five keys); ours adds ignore_row_if
    domain_keys: ClassVar[tuple[str, ...]] = _PAIR_DOMAIN_KEYS  # type: ignore[assignment]
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)
    ignore_row_if: str = "both_values_are_missing"


class ColumnPairDateOrder(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.ft_date_order"
    condition_domain_keys = _PAIR_DOMAIN_KEYS
    condition_value_keys = ()

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, **kwargs):
        a, b = _as_str(column_A), _as_str(column_B)
        both = a.str.match(_ISO_DATE) & b.str.match(_ISO_DATE)
        return ~both | (a <= b)


class ExpectColumnPairValuesToBeInDateOrder(ColumnPairMapExpectation):
    """The date in ``column_A`` is on or before the date in ``column_B`` (rows missing either pass)."""

    map_metric: ClassVar[str] = "column_pair_values.ft_date_order"
    # GX leaves ColumnPairMapExpectation.domain_keys unannotated (typed as its five keys); ours adds ignore_row_if
    domain_keys: ClassVar[tuple[str, ...]] = _PAIR_DOMAIN_KEYS  # type: ignore[assignment]
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)
    ignore_row_if: str = "either_value_is_missing"


class ColumnPairMatchesReference(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.ft_matches_reference"
    condition_domain_keys = _PAIR_DOMAIN_KEYS
    condition_value_keys = ("reference",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, reference=None, **kwargs):
        mapping: Mapping = get_reference(reference)
        expected = column_A.map(lambda k: mapping.get(k))
        return expected.isna() | (expected == column_B)


class ExpectColumnPairValuesToMatchReference(ColumnPairMapExpectation):
    """Where the run-scoped mapping ``reference`` knows the value of ``column_A`` (e.g. a natural key
    already stored), it maps it to the value in ``column_B`` (e.g. the same sponsor's credit code):
    a key stored under another sponsor is a conflict with the stored inventory."""

    map_metric: ClassVar[str] = "column_pair_values.ft_matches_reference"
    # GX leaves ColumnPairMapExpectation.domain_keys unannotated (typed as its five keys); ours adds ignore_row_if
    domain_keys: ClassVar[tuple[str, ...]] = _PAIR_DOMAIN_KEYS  # type: ignore[assignment]
    success_keys: ClassVar[tuple[str, ...]] = ("mostly", "reference")
    ignore_row_if: str = "either_value_is_missing"
    reference: str


#: Types of the custom expectations (snake case, as suites name them).
CUSTOM_EXPECTATIONS = {
    cls.__name__: cls
    for cls in (
        ExpectColumnValuesToBeValidUscc, ExpectColumnValuesToBeGovernmentUscc, ExpectColumnValuesToBeKnownDivisionCode,
        ExpectColumnValuesToBeIsoDates, ExpectColumnValuesToBeDatesNotInFuture, ExpectColumnValuesToBeFirstOccurrence,
        ExpectColumnValuesToBeInReferenceSet, ExpectColumnValuesToNotBeExcelMangledNumbers,
        ExpectColumnValuesToHaveNoForbiddenCharacters, ExpectColumnPairValuesToBeValidFilingNumber, ExpectColumnPairValuesToBeInDateOrder,
        ExpectColumnPairValuesToMatchReference,
    )
}


# --------------------------------------------------------------------------------------------
# Specific reasons (what the checker knows, passed through to the unit)
# --------------------------------------------------------------------------------------------


def _forbidden_reason(label: str, value: Any, row: Mapping[str, Any]) -> tuple[str, str] | None:
    found = find_forbidden(str(value)) if value is not None else []
    if not found:
        return None
    more_zh = f"（共 {len(found)} 处）" if len(found) > 1 else ""
    more_en = f" ({len(found)} in all)" if len(found) > 1 else ""
    first = found[0]
    return (f"“{label}”中{first.describe()}{more_zh}。",
            f"{label}: invisible {'bidi ' if first.kind == 'bidi' else ''}control character {first.codepoint} at "
            f"position {first.position + 1}{more_en}; delete it and submit again.")


def _uscc_reason(label: str, value: Any, row: Mapping[str, Any]) -> tuple[str, str] | None:
    issue = identifiers.credit_code_issue(value if value is None else str(value))
    return (f"“{label}”：{issue.zh}", f"{label} is not a valid credit code: {issue.en}") if issue else None


def _filing_reason(label: str, value: Any, row: Mapping[str, Any]) -> tuple[str, str] | None:
    if value is None:
        return None
    kind = row.get("kind")
    issue = identifiers.filing_number_issue(str(value), kind if kind in identifiers.SERVICE_SUFFIXES else None)
    return (f"“{label}”：{issue.zh}", f"{label} is not a valid filing number: {issue.en}") if issue else None


_SPECIFIC: dict[str, Callable[[str, Any, Mapping[str, Any]], tuple[str, str] | None]] = {
    "expect_column_values_to_have_no_forbidden_characters": _forbidden_reason,
    "expect_column_values_to_be_valid_uscc": _uscc_reason,
    "expect_column_pair_values_to_be_valid_filing_number": _filing_reason,
}


def specific_reason(expectation_type: str, label: str, value: Any,
                    row: Mapping[str, Any]) -> tuple[str, str] | None:
    """(Chinese, English) reason with the fix for a failing ``value`` of ``expectation_type``, or None
    when that expectation has no more specific reason than its suite template. ``row`` is the
    normalised row (e.g. its ``kind`` decides the filing suffix expected)."""
    fn = _SPECIFIC.get(expectation_type)
    return fn(label, value, row) if fn else None
