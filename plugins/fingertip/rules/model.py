"""Typed contracts of the rules engine's data that crosses modules.

* :class:`FindingEvidence` — why a finding was raised (``findings.evidence``, a JSON column): the facts
  the rule read, the thresholds in force for the entity's province, the check date, the date of the
  data and whether a provincial override applied. Near-duplicate rules carry their best matches
  (:class:`NearDuplicateMatch`) in ``facts["near_duplicates"]``.
* :class:`DetectionSummary` — ``DetectionResult.summary()``, written to ``summary.json`` and returned
  by the detection task (:class:`DetectionRunSummary`, the XCom of ``detect_findings``).
* :class:`FindingItem` — one line of ``findings.jsonl``.

``TypedDict`` s: plain dicts at run time (stored as JSON), checked by mypy where they are built and read.
(No ``from __future__ import annotations`` here: ``NotRequired`` keys must be known at run time.)
"""

from typing import Any, NotRequired, TypedDict


class NearDuplicateMatch(TypedDict):
    """One near-duplicate of the flagged record (the best few are kept, by score)."""

    key: str
    name: str
    similarity: float
    core: str
    sponsor: str | None
    package_related: NotRequired[bool | None]  # apps only
    score: NotRequired[float]  # apps only
    feature_overlap: NotRequired[float | None]  # apps only


class FindingEvidence(TypedDict):
    """``findings.evidence``: what the rule saw when it fired."""

    target_name: str | None
    facts: dict[str, Any]  # fact name → JSON value (``near_duplicates``: list of NearDuplicateMatch)
    thresholds: dict[str, Any]  # threshold name → value in force for the entity's province
    check_date: str  # ISO date of the run
    data_as_of: str | None  # date of the data the facts came from (activity, latest version), ISO
    province_override: bool  # the province overrides this rule's thresholds


class IndicatorInspectionSummary(TypedDict):
    """The 国办秘函〔2019〕19号 inspection of accounts: 合格率 = passed / checked (no_data apart)."""

    scheme: str
    checked: int
    passed: int
    failed: int
    no_data: int
    pass_rate: float | None


class SampleTierRow(TypedDict):
    """Spot checks: records of one target type and risk tier in scope and drawn (``untiered``: no tier)."""

    target_type: str
    tier: str
    in_scope: int
    sampled: int


class DetectionSummary(TypedDict):
    """``DetectionResult.summary()``."""

    check_date: str
    persist: bool
    policy_version: str
    families: list[str] | None
    scope: dict[str, list[str]]
    sample_rate: float | None
    sample_seed: int | None
    sample_weights: dict[str, float] | None  # risk tier → weight of its records in a spot check
    sample_by_tier: list[SampleTierRow]
    checked: dict[str, int]
    findings: int
    by_rule: dict[str, int]
    by_article: dict[str, int]
    by_severity: dict[str, int]
    inspected: int  # governance assessment: passed + failed (no_data apart)
    passed: int
    pass_rate: float | None
    no_data: int  # governance assessment: records whose data is missing (counted apart, never a pass)
    no_data_by_type: dict[str, int]
    pass_rate_by_type: dict[str, float | None]
    indicator_inspection: IndicatorInspectionSummary  # 国办秘函〔2019〕19号 inspection of accounts
    shutdown_beside_pass: dict[str, int]  # records passing a score while a propose_shutdown rule fired
    insufficient_data: dict[str, int]  # rule → records its data could not decide (no finding, no proposal)
    insufficient_data_keys: dict[str, list[str]]  # rule → "target:key" of the first of them (200 at most)
    pass_rate_by_province: dict[str, float]
    changes: dict[str, int]
    timings: dict[str, float]


class RunOutputs(TypedDict):
    summary: str
    findings: str


class DetectionRunSummary(DetectionSummary):
    """What the detection task returns to XCom (``run_detection``)."""

    dry_run: bool
    outputs: NotRequired[RunOutputs]


class FindingItem(TypedDict):
    """One finding of ``findings.jsonl``."""

    id: str
    rule_id: str
    title_zh: str
    severity: str
    target_type: str
    target_key: str
    target_name: str | None
    division_code: str | None
    basis: str
    article: str
    evidence: FindingEvidence
    remediation_zh: str
    state: NotRequired[str]  # stored runs: the finding's state
