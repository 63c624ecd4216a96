"""The typed contract of ``fingertip.reports.model`` holds at run time: what figures.py, audit.py and the
report tasks produce has exactly the declared keys, with values of the declared types."""

from __future__ import annotations

import types
import typing
from typing import Any, Union, get_args, get_origin, get_type_hints

from tests.reports.conftest import ARTICLES

from fingertip.reports import model
from fingertip.reports.figures import compute_figures
from fingertip.reports.periods import parse_period


def conforms(value: Any, tp: Any, path: str = "$") -> None:
    """Assert that ``value`` is of the (TypedDict / list / dict / union / scalar) type ``tp``."""
    if tp is Any:
        return
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        errors = []
        for option in get_args(tp):
            try:
                conforms(value, option, path)
                return
            except AssertionError as exc:
                errors.append(str(exc))
        raise AssertionError(f"{path}: {value!r} matches none of {tp}: {errors}")
    if typing.is_typeddict(tp):
        assert isinstance(value, dict), f"{path}: expected a {tp.__name__} dict, got {type(value).__name__}"
        hints = get_type_hints(tp)
        missing = tp.__required_keys__ - value.keys()
        extra = value.keys() - hints.keys()
        assert not missing and not extra, f"{path} ({tp.__name__}): missing {missing}, undeclared {extra}"
        for key, item in value.items():
            conforms(item, hints[key], f"{path}.{key}")
        return
    if origin is list:
        assert isinstance(value, list), f"{path}: expected a list, got {type(value).__name__}"
        (item_type,) = get_args(tp)
        for i, item in enumerate(value):
            conforms(item, item_type, f"{path}[{i}]")
        return
    if origin is dict:
        assert isinstance(value, dict), f"{path}: expected a dict, got {type(value).__name__}"
        key_type, value_type = get_args(tp)
        for key, item in value.items():
            conforms(key, key_type, f"{path}<key>")
            conforms(item, value_type, f"{path}.{key}")
        return
    if tp is type(None):
        assert value is None, f"{path}: expected None, got {value!r}"
        return
    if tp is float:
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{path}: expected a number, {value!r}"
        return
    assert isinstance(value, tp) and not (tp is int and isinstance(value, bool)), \
        f"{path}: expected {tp.__name__}, got {value!r}"


def test_periodic_figures_follow_the_contract(dataset_engine):
    figures = compute_figures(dataset_engine, parse_period("2026Q3"), articles=ARTICLES)
    conforms(figures, model.ReportFigures)
    assert not model.is_audit(figures)
    province = compute_figures(dataset_engine, parse_period("2026Q3"), province="440000", articles=ARTICLES)
    conforms(province, model.ReportFigures)


def test_audit_figures_follow_the_contract(dataset_engine):
    from fingertip.reports.audit import AuditRequest, audit_figures, run_detection

    result = run_detection(dataset_engine, AuditRequest(check_date="2026-09-30"))
    figures = audit_figures(dataset_engine, result, articles=ARTICLES)
    conforms(figures, model.AuditFigures)
    assert model.is_audit(figures)


def test_detection_evidence_and_summary_follow_the_contract(dataset_engine):
    """The rules engine's side: finding evidence, near-duplicate matches and the run summary."""
    from fingertip.reports.audit import AuditRequest, run_detection
    from fingertip.rules import model as rules_model

    result = run_detection(dataset_engine, AuditRequest(check_date="2026-09-30"))
    assert result.findings
    for finding in result.findings:
        conforms(finding.evidence, rules_model.FindingEvidence)
        for match in finding.evidence["facts"].get("near_duplicates") or ():
            conforms(match, rules_model.NearDuplicateMatch)
    conforms(result.summary(), rules_model.DetectionSummary)


def test_task_results_follow_the_contract(dataset_engine, outputs):
    import datetime as dt

    from fingertip.reports.jsonout import read_submission, validate_submission
    from fingertip.reports.tasks import plan_reports, produce_report

    (spec,) = plan_reports(dt.date(2026, 10, 1), {"period": "2026Q3", "kind": "quarterly", "formats": ["json"]})
    conforms(spec, model.ReportSpec)
    built = produce_report(dataset_engine, spec)
    conforms(built, model.BuiltReport)
    doc = read_submission(built["json_url"])
    conforms(doc, model.Submission)
    validate_submission(doc)


def test_every_code_has_its_label():
    """Each vocabulary is defined once; the report labels cover it exactly (same order where it ranks)."""
    import json

    from fingertip.reports import labels, periods
    from fingertip.reports.jsonout import schema_path
    from fingertip.rules.policy import SEVERITIES
    from fingertip.store import schema

    assert tuple(labels.LEVELS) == schema.SPONSOR_LEVELS
    assert tuple(labels.APP_KINDS) == schema.APP_KINDS
    assert set(labels.CASE_STATES) == set(schema.CASE_STATES)
    assert set(labels.FINDING_STATES) == set(schema.FINDING_STATES)
    assert tuple(labels.SEVERITIES) == SEVERITIES
    assert set(schema.TARGET_TYPES) <= set(labels.ENTITY_TYPES)
    platforms = {*schema.ACCOUNT_PLATFORMS, *schema.GROUP_PLATFORMS, *schema.MINI_PROGRAM_HOSTS}
    assert platforms <= set(labels.PLATFORMS)
    assert set(labels.REPORT_KINDS) == {*periods.REPORT_KINDS, "adhoc"}
    submission = json.loads(schema_path().read_text(encoding="utf-8"))
    assert set(submission["properties"]["report"]["properties"]["kind"]["enum"]) == set(labels.REPORT_KINDS)
    period_kinds = submission["properties"]["report"]["properties"]["period"]["properties"]["kind"]["enum"]
    assert tuple(period_kinds) == periods.KINDS
