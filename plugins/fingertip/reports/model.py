"""The typed contract of the report data that crosses modules.

:mod:`.figures` (periodic, self-inspection) and :mod:`.audit` (ad-hoc audits) produce the figures;
the workbook (XLSX), document (DOCX/PDF), JSON, e-mail (HTML) and chart writers read them, and the
JSON file carries them from the ``produce`` task to the ``send`` task. They are ``TypedDict`` s — plain
JSON-serialisable dicts at run time (the machine submission is validated against
``resources/reports/report.schema.json``) and checked field by field by mypy, so a renamed or missing
figure fails ``make lint``, not a national report.

Also here: the report metadata (:class:`ReportMeta`), what the report tasks return to XCom
(:class:`ReportSpec`, :class:`BuiltReport`, :class:`SentReport`) and the submission header
(:class:`SubmissionReport`).

(No ``from __future__ import annotations`` here: ``NotRequired`` keys must be known at run time.)
"""

from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

if TYPE_CHECKING:
    from typing_extensions import TypeIs

# --- shared -------------------------------------------------------------------------------------


class PeriodDict(TypedDict):
    """A reporting period (``Period.to_dict``)."""

    kind: str  # monthly / quarterly / annual
    label: str  # 2026-10 / 2026Q3 / 2026
    label_zh: str
    start: str  # ISO date
    end: str  # ISO date, inclusive


class ProvincePassRow(TypedDict):
    province_code: str | None
    province_name: str
    checked: int
    passed: int
    failed: int
    pass_rate: float | None  # 0–1, None when nothing was checked


class UnitPassRow(TypedDict):
    sponsor_id: int | None
    sponsor_name: str
    credit_code: str | None
    division_code: str | None
    province_name: str
    checked: int
    passed: int
    failed: int
    pass_rate: float | None


class InspectionFigures(TypedDict):
    """Inspections of one check date (audits: the run's own inspections, ``check_date`` None)."""

    check_date: str | None
    checked: int  # passed + failed; records with no data are counted apart
    passed: int
    pass_rate: float | None
    by_province: list[ProvincePassRow]
    by_unit: list[UnitPassRow]
    scheme_zh: NotRequired[str]  # what the score is (Fingertip's governance assessment)
    no_data: NotRequired[int]  # records whose data is missing: not in checked, never a pass


class KeyFinding(TypedDict):
    """An open finding with its target's name, for the lists of the reports."""

    finding_id: str | None
    rule_id: str
    title_zh: str
    severity: str
    severity_zh: str
    state: str
    state_zh: str
    article: str
    article_label: str
    target_type: str
    target_type_zh: str
    target_key: str
    target_name: str
    division_code: str | None
    province_name: str
    first_seen_at: str | None


# --- periodic and self-inspection reports -------------------------------------------------------


class EntityCounts(TypedDict):
    app: int
    account: int
    work_group: int


class InventoryTotals(EntityCounts):
    all: int


class LevelRow(EntityCounts):
    level: str
    level_zh: str
    total: int


class ProvinceRow(EntityCounts):
    province_code: str
    province_name: str
    total: int


class PlatformRow(TypedDict):
    entity_type: str
    entity_type_zh: str
    platform: str
    platform_zh: str
    count: int


class InventoryFigures(TypedDict):
    totals: InventoryTotals
    by_level: list[LevelRow]
    by_province: list[ProvinceRow]
    by_platform: list[PlatformRow]


class ChangeFigures(TypedDict):
    """New and closed per entity type, plus ``all`` (keys: app, account, work_group, all)."""

    new: dict[str, int]
    closed: dict[str, int]


class RuleRow(TypedDict):
    rule_id: str
    title_zh: str
    article: str
    article_label: str
    severity: str
    severity_zh: str
    open: int
    new: int
    resolved: int


class ArticleRow(TypedDict):
    article: str
    article_label: str
    open: int
    new: int
    resolved: int


class FindingFigures(TypedDict):
    open_total: int
    new_in_period: int
    resolved_in_period: int
    by_rule: list[RuleRow]
    by_article: list[ArticleRow]
    open_by_severity: dict[str, int]


class TargetTypePassRow(TypedDict):
    target_type: str
    target_type_zh: str
    checked: int
    passed: int
    pass_rate: float | None


class NotMonitoredItem(TypedDict):
    """A record whose data is missing at the check date (outcome ``no_data``): listed, never a pass."""

    target_type: str
    target_type_zh: str
    target_key: str
    target_name: str
    province_name: str
    scores_zh: str  # which score(s) it is missing from


class ShutdownBesidePassItem(TypedDict):
    """A record passing a score while a shutdown-proposing finding is open, with the reason."""

    target_type: str
    target_type_zh: str
    target_key: str
    target_name: str
    rule_id: str
    title_zh: str
    score: int
    explanation_zh: str


class IndicatorInspectionFigures(TypedDict):
    """The 国办秘函〔2019〕19号 inspection of official accounts (only its items); no_data counted apart."""

    scheme_zh: str
    check_date: str | None
    checked: int  # passed + failed
    passed: int
    failed: int
    no_data: int
    pass_rate: float | None
    by_province: list[ProvincePassRow]


class PeriodInspectionFigures(InspectionFigures):
    """Fingertip's governance assessment (the project's own scoring) and, apart, the 19号 inspection."""

    by_target_type: list[TargetTypePassRow]
    indicator: NotRequired[IndicatorInspectionFigures]
    not_monitored: NotRequired[list[NotMonitoredItem]]
    shutdown_beside_pass: NotRequired[list[ShutdownBesidePassItem]]


class CaseStateRow(TypedDict):
    state: str
    state_zh: str
    count: int


class CaseFigures(TypedDict):
    total: int
    by_state: list[CaseStateRow]
    opened_in_period: int
    closed_in_period: int


class Delta(TypedDict):
    current: float | None
    previous: float | None
    change: float | None


class RegressedItem(TypedDict):
    target_type: str
    target_type_zh: str
    target_key: str
    target_name: str
    province_name: str
    previous_score: int
    score: int


class ComparisonFigures(TypedDict):
    previous_period: PeriodDict
    previous_check_date: str | None
    new_findings: Delta
    resolved_findings: Delta
    pass_rate: Delta
    regressed: int
    reopened: int
    regressed_items: list[RegressedItem]


class TierRow(TypedDict):
    """Apps and accounts of one risk tier (Art. 16) at the check date: both scores, open findings, and
    what the tier drives (monitoring interval, audit sampling weight)."""

    tier: str  # high / medium / low
    tier_zh: str
    monitoring_interval_days: int | None
    audit_sample_weight: float | None
    apps: int
    accounts: int
    checked: int  # governance assessment: passed + failed
    passed: int
    failed: int
    no_data: int
    pass_rate: float | None
    indicator_checked: int  # 19号 inspection of the tier's accounts: passed + failed
    indicator_passed: int
    indicator_no_data: int
    indicator_pass_rate: float | None
    open_findings: int  # open at the period's end, on the tier's apps and accounts
    open_high: int


class RiskTierFigures(TypedDict):
    """The report by risk tier (Art. 16 重点监测), at the period's latest check date."""

    check_date: str | None
    basis_zh: str
    tiers: list[TierRow]


class ReportFigures(TypedDict):
    """All figures of one periodic or self-inspection report (:func:`.figures.compute_figures`)."""

    period: PeriodDict
    as_of: str  #: the period's last day: every figure is what was true at its end
    previous_period: PeriodDict
    province: str | None
    province_name: str | None
    inventory: InventoryFigures
    changes: ChangeFigures
    findings: FindingFigures
    inspections: PeriodInspectionFigures
    cases: CaseFigures
    comparison: ComparisonFigures
    key_findings: list[KeyFinding]
    risk_tiers: NotRequired[RiskTierFigures]  # absent in reports produced before the tiers were reported


# --- ad-hoc audits ------------------------------------------------------------------------------


class AuditRuleRow(TypedDict):
    rule_id: str
    title_zh: str
    article: str
    article_label: str
    severity: str
    severity_zh: str
    count: int


class AuditArticleRow(TypedDict):
    article: str
    article_label: str
    count: int


class AuditFindingFigures(TypedDict):
    total: int
    by_rule: list[AuditRuleRow]
    by_article: list[AuditArticleRow]
    by_severity: dict[str, int]


class AuditSampleTierRow(TypedDict):
    """Spot checks of one target type and risk tier (Art. 16): weight, probability, in scope, drawn."""

    target_type: str
    target_type_zh: str
    tier: str  # high / medium / low, or "untiered" (work groups, listings)
    tier_zh: str
    weight: float
    probability: float  # min(1, rate x weight)
    in_scope: int
    sampled: int


class SamplingFigures(TypedDict):
    rate: float | None
    seed: int | None
    sampled: int
    weights: NotRequired[dict[str, float] | None]  # risk tier → sampling weight (tier_uses.audit_sample_weight)
    by_tier: NotRequired[list[AuditSampleTierRow]]


class AuditKeyFinding(KeyFinding):
    basis: str | None
    remediation_zh: str | None


class AuditFigures(TypedDict):
    """Figures of an ad-hoc audit (:func:`.audit.audit_figures`)."""

    checked: dict[str, int]
    sampling: SamplingFigures
    findings: AuditFindingFigures
    inspections: InspectionFigures
    key_findings: list[AuditKeyFinding]


AnyFigures = ReportFigures | AuditFigures


def is_audit(figures: AnyFigures) -> "TypeIs[AuditFigures]":
    """Audit figures carry ``checked`` (what the audit looked at); periodic ones do not."""
    return "checked" in figures


# --- what the writers share besides the figures ---------------------------------------------------


class AuditInfo(TypedDict):
    """How an audit was scoped and sampled, in words for the documents and the mail."""

    scope_zh: str
    sampling_zh: str
    sample_rate: float | None
    sample_seed: int | None
    families: list[str]


class ReportMeta(TypedDict):
    """Title, issuer, dates and wording of one report or audit document."""

    key: str
    kind: str
    kind_zh: str
    title: str
    subtitle: str
    issuer: str
    addressee: str | None
    doc_date: str
    period: PeriodDict | None
    period_label_zh: str
    period_start: str
    period_end: str
    scope_zh: str
    generated_at: str
    subject: str
    lead: str
    attachments_note: list[str]
    province: NotRequired[str | None]
    due_date: NotRequired[str | None]
    doc_number: NotRequired[str | None]
    greeting: NotRequired[str | None]


class ChartInfo(TypedDict):
    """A chart written in the producing task's work folder (``Chart.to_dict``; ``path`` is local and
    never leaves that task: see :class:`ChartRef`)."""

    name: str
    title_zh: str
    path: str


class ChartRef(TypedDict):
    """A published chart: its ``url`` under the outputs location (what ``produce`` hands to ``send``)."""

    name: str
    title_zh: str
    url: str


class FileInfo(TypedDict):
    """A published report file: ``name`` (the attachment's file name) and its ``url`` under the outputs
    location (``file://…``, ``s3://…``), never a local path."""

    doc_format: str
    name: str
    url: str
    sha256: str
    size_bytes: int


class SubmissionReport(TypedDict):
    """The ``report`` header of the machine submission JSON (see the schema)."""

    key: str
    kind: str
    title: str
    issuer: str
    generated_at: str
    period: PeriodDict | None
    due_date: str | None
    scope: dict[str, Any]
    sampling: dict[str, Any] | None
    audit_run_id: int | None


class Submission(TypedDict):
    schema_version: str
    report: SubmissionReport
    figures: ReportFigures | AuditFigures


# --- task results (XCom) --------------------------------------------------------------------------


class ReportSpec(TypedDict):
    """One report to produce (``plan`` → ``produce``)."""

    kind: str
    period: str
    province: str | None
    recipients: list[str]
    formats: list[str]
    key: str


class BuiltReport(TypedDict):
    """A produced report or audit (``produce`` → ``send``); the figures stay in ``json_url``.

    Tasks hand data over only through the store and the outputs location: every file here is an
    ``ObjectStoragePath`` URL (``file://…`` on one machine or shared storage, ``s3://…``), which the
    ``send`` task reads wherever it runs; no local path of the producing task crosses over.
    """

    key: str
    kind: str
    audit_run_id: int
    mail_kind: str
    json_url: str
    meta: ReportMeta
    charts: list[ChartRef]
    files: list[FileInfo]
    recipients: list[str]
    audit: AuditInfo | None


class SentReport(TypedDict):
    """What ``send`` returns: the recipients and the mail ledger's delivery report."""

    key: str
    recipients: list[str]
    delivery: NotRequired[dict[str, Any] | None]
