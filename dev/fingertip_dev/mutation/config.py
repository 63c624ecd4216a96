"""What ``make mutation`` mutates and which tests judge each module.

Every target names the module, the pytest arguments that select its tests (the fast, focused test
files; PostgreSQL-parametrised store tests run on SQLite only here — the same code path, and the
full suite covers PostgreSQL), and ``sample``: the number of mutants drawn with ``SEED`` when the
module has more (``None``: every mutant).

Sample sizes are set from the measured cost per mutant so that the whole run needs at most about
1,900 CPU seconds (20 minutes on two cores, with margin). Measured on the shared 2-core machine
(2026-12-06, under load; a quiet machine needs less): 0.4–0.5 s CPU per mutant for the table-tested
modules (periods, evaluation, conditions, identifiers: all their mutants), 1.4–1.7 s for ledger, policy
and promote, about 4 s for validate (its survivors run the whole gate table) and 3 s for cases, whose
tests run on a store; the run's total was about 1,200 CPU s with the samples before these (ledger and
policy 100, identifiers 150, promote and validate 60, cases 80). A module's score is over its sample,
and ``out/mutation.json`` says which were sampled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Fixed seed of the mutant sample of large modules (the same mutants every run).
SEED = 20261206


@dataclass(frozen=True, slots=True)
class Target:
    module: str
    tests: tuple[str, ...]
    sample: int | None = None
    #: pytest options added for this target (e.g. ``-m "not pg"``)
    options: tuple[str, ...] = field(default=())


NOT_PG = ("-m", "not pg and not slow")

TARGETS: tuple[Target, ...] = (
    Target("fingertip.reports.periods", ("tests/reports/test_periods_table.py",)),
    Target("fingertip_dev.evaluation", ("tests/rules/test_evaluation_table.py",
                                        "tests/rules/test_engine.py::test_recall_is_complete_and_clean_population_is_not_flagged")),
    Target("fingertip.rules.conditions", ("tests/rules/test_conditions_table.py", "tests/rules/test_conditions.py")),
    Target("fingertip.identifiers", ("tests/test_identifiers_table.py", "tests/sample/test_identifiers.py")),
    Target("fingertip.notifications.ledger", ("tests/notifications/test_ledger_rows.py",
                                              "tests/notifications/test_ledger_states.py",
                                              "tests/notifications/test_ledger.py"), sample=150, options=NOT_PG),
    Target("fingertip.rules.policy", ("tests/rules/test_policy_checker_table.py", "tests/rules/test_policy.py"),
           sample=150),
    Target("fingertip.quality.promote", ("tests/quality/test_gate_table.py",), sample=90),
    # run_outcome (the verdict of a whole run) is judged by its own table, first: it is fast
    Target("fingertip.quality.validate", ("tests/quality/test_outcome.py::test_run_outcome",
                                          "tests/quality/test_gate_table.py"), sample=70),
    Target("fingertip.lifecycle.cases", ("tests/lifecycle/test_case_rows.py", "tests/lifecycle/test_cases.py"),
           sample=80, options=NOT_PG),
)

#: Test files added for issue 17 (``--before`` leaves them out: the scores before they existed).
ADDED_TESTS = frozenset({
    "tests/test_identifiers_table.py", "tests/rules/test_conditions_table.py",
    "tests/rules/test_policy_checker_table.py", "tests/rules/test_evaluation_table.py",
    "tests/reports/test_periods_table.py", "tests/notifications/test_ledger_states.py",
    "tests/quality/test_gate_table.py",
    "tests/notifications/test_ledger_rows.py", "tests/lifecycle/test_case_rows.py",
})

#: The CI smoke: one small module, all its mutants, judged by its fast table test only.
SMOKE: tuple[Target, ...] = (Target("fingertip.reports.periods", ("tests/reports/test_periods_table.py",)),)

#: Mutants judged equivalent (no test can tell them apart from the original), keyed
#: ``"<module> | <the source line, stripped> | <change>"`` (robust to lines moving) → reason.
#: Excluded from the score and listed with the reason in the survivors file.
_P = "fingertip.reports.periods"
_QUARTER_ZH = "return f\"{self.start.year}年第{'一二三四'[(self.start.month - 1) // 3]}季度\""
_DEFAULTS = 'defaults = {"monthly": list(range(1, 13)), "quarterly": [1, 4, 7, 10], "annual": [1]}'
_Q = "fingertip.quality.promote"
_LEVELS = '_LEVELS = {"province": "provincial", "prefecture": "prefectural", "county": "county"}'
EQUIVALENT: dict[str, str] = {
    f"{_P} | {_QUARTER_ZH} | - → +": "quarter starts are months 1/4/7/10: (m+1)//3 == (m-1)//3 for them",
    f"{_P} | {_QUARTER_ZH} | 1 → 0": "quarter starts are months 1/4/7/10: m//3 == (m-1)//3 for them",
    f"{_P} | return period_containing(self.kind, self.start - dt.timedelta(days=1)) | 1 → 2":
        "start minus 2 days is still inside the previous period (periods are >= 28 days)",
    f"{_P} | return period_containing(kind, period_containing(kind, run_date).start - dt.timedelta(days=1)) | 1 → 2":
        "start minus 2 days is still inside the previous period (periods are >= 28 days)",
    f'{_P} | period = period_containing("monthly", dt.date(int(m[1]), int(m[2]), 1)) | 1 → 2':
        "any day of the month gives the same monthly period",
    f'{_P} | period = period_containing("quarterly", dt.date(int(m[1]), 3 * int(m[2]) - 2, 1)) | 1 → 2':
        "any day of the quarter's first month gives the same quarter",
    f'{_P} | period = period_containing("annual", dt.date(int(m[1]), 1, 1)) | 1 → 0':
        "m[0] is the whole match, which for the year pattern is m[1]; date(y, 0, 1) would raise instead — "
        "but only the index mutant reaches here: the month/day 1 → 0 mutants raise and are killed",
    f'{_P} | period = period_containing("annual", dt.date(int(m[1]), 1, 1)) | 1 → 2':
        "any day of the year gives the same annual period",
    f"{_P} | {_DEFAULTS} | 1 → 0": "month 0 never occurs: range(0, 13) and range(1, 13) match the same months",
    f"{_P} | {_DEFAULTS} | 13 → 14": "month 13 never occurs: range(1, 14) and range(1, 13) match the same months",
    "fingertip.identifiers | CREDIT_CODE_ALPHABET = \"0123456789ABCDEFGHJKLMNPQRTUWXY\" | "
    "'0123456789ABCDEFGHJKLMNPQRTUWX' → 'XX…XX'": "'XX' + alphabet + 'XX' adds only X, which the alphabet already has",
    f"{_Q} | {_LEVELS} | 'county' → 'XX…XX'":
        "the key 'county' (the value 'county' is checked by a county sponsor): an unknown level falls back "
        "to the default 'county', the same value",
    f'{_Q} | return int(v) if v not in (None, "") else None | \'\' → \'XX…XX\'':
        "int('') raises ValueError, which the next line turns into None as well",
    f"{_Q} | for chunk in chunks(updates, 1000): | 1000 → 1001": "chunk size of an executemany: the same rows",
    f"{_Q} | for chunk in chunks(list(sponsors), 500): | 500 → 501": "chunk size of an IN query: the same rows",
    "fingertip.quality.validate | for chunk in chunks(numbers, 500): | 500 → 501": "chunk size of an IN query: the same rows",
    f'{_Q} | sponsor_ids = sorted({{r["sponsor_id"] for r in rows.values() if r.get("sponsor_id") is not None}}) | '
    "comprehension filter negated":
        "read only for an identity with sponsor_id after its first column; every identity promote passes "
        "starts with sponsor_id or has none",
    "fingertip.quality.validate | frames.append(_Frame(entity, normalise(df.reset_index(drop=True), entity, "
    "header_map), staged, headers)) | True → False":
        "from_records already gives a RangeIndex: drop=False only adds an 'index' column no code reads",
    "fingertip.lifecycle.cases | return f\"SC-{target_type.upper().replace('_', '')[:4]}-{target_digest(target_type, "
    "target_key)[:10]}-{sequence}\" | '_' → 'XX…XX'":
        "the only target type with '_' is work_group, whose first four letters are WORK with or without it",
    "fingertip.lifecycle.cases | raise CaseError(f\"unknown target type {target_type!r}; expected one of "
    "{', '.join(schema.CASE_TARGET_TYPES)}\") | raise removed":
        "target_row() then raises the same CaseError with the same text (its table keys are CASE_TARGET_TYPES, "
        "in the same order)",
    "fingertip.identifiers | return ord(ch) - 55 | - → +":
        "ord(ch) + 55 = (ord(ch) - 55) + 110 and 110 = 10 x 11: the same weighted sum modulo 11",
}
