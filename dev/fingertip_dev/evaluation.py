"""Quality of detection against the sample generator's ground truth.

Each planted label names the rule(s) that must flag the entity (recall: every planted case found);
entities planted clean (no label) must have no finding at all (false positives on the clean
population). Findings on planted entities from rules other than their label are counted but not
penalised: a stale-for-90-days account also fails the 14-day indicator.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: Planted label → rules, any of which finding the entity counts as recalled.
LABEL_RULES: dict[str, tuple[str, ...]] = {
    "stale_14d": ("account.stale_14d",),
    "stale_60d": ("account.stale_60d",),
    "zombie_account": ("account.zombie",),
    "no_interaction_channel": ("account.no_interaction_channel",),
    "unanswered_90d": ("account.unanswered_90d",),
    "duplicate_account_platform": ("account.duplicate_platform",),
    "near_duplicate_account": ("account.near_duplicate",),
    "zombie_app": ("app.zombie",),
    "shell_app": ("app.shell",),
    "delisted_app": ("app.delisted_everywhere",),
    "near_duplicate_app": ("app.near_duplicate",),
    "forced_feature": ("app.forced_feature",),
    "forced_feature_in_description": ("app.forced_feature_in_description",),
    "missing_filing": ("app.missing_filing",),
    "filing_holder_mismatch": ("app.filing_holder_mismatch",),
    "filing_access_restricted": ("app.filing_access_restricted",),
    "filing_cancelled_still_listed": ("app.filing_cancelled_still_listed",),
    "listed_not_in_inventory": ("listing.not_in_inventory",),
    "no_complaint_channel": ("app.no_complaint_channel",),
    "below_county_sponsor": ("app.below_county_sponsor",),
    "temporary_group_open": ("work_group.temporary_open",),
}
_TYPES = {"app": "app", "account": "account", "work_group": "work_group", "listing": "listing"}


def read_ground_truth(path: str | Path) -> list[dict[str, Any]]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("entity_type") in _TYPES:
                out.append(rec)
    return out


def evaluate(ground_truth: Iterable[dict[str, Any]], findings: Iterable[tuple[str, str, str]],
             *, max_examples: int = 5) -> dict[str, Any]:
    """``findings``: (rule_id, target_type, target_key). Returns recall per label and clean FPs."""
    by_target: dict[tuple[str, str], set[str]] = defaultdict(set)
    for rule_id, ttype, key in findings:
        by_target[(ttype, key)].add(rule_id)
    planted: Counter = Counter()
    found: Counter = Counter()
    missed: dict[str, list[str]] = defaultdict(list)
    clean = clean_flagged = 0
    fp_rules: Counter = Counter()
    fp_examples: list[dict[str, Any]] = []
    for rec in ground_truth:
        ttype = _TYPES[rec["entity_type"]]
        rules = by_target.get((ttype, rec["key"]), set())
        labels = [lb for lb in rec.get("labels", []) if lb in LABEL_RULES]
        if not rec.get("labels"):
            clean += 1
            if rules:
                clean_flagged += 1
                fp_rules.update(rules)
                if len(fp_examples) < max_examples:
                    fp_examples.append({"type": ttype, "key": rec["key"], "rules": sorted(rules)})
            continue
        for label in labels:
            planted[label] += 1
            if rules & set(LABEL_RULES[label]):
                found[label] += 1
            elif len(missed[label]) < max_examples:
                missed[label].append(rec["key"])
    total_planted = sum(planted.values())
    total_found = sum(found.values())
    return {
        "planted": total_planted,
        "recalled": total_found,
        "recall": round(total_found / total_planted, 6) if total_planted else None,
        "recall_by_label": {lb: {"planted": planted[lb], "found": found[lb],
                                 "recall": round(found[lb] / planted[lb], 4) if planted[lb] else None}
                            for lb in sorted(planted)},
        "missed_examples": dict(missed),
        "clean_entities": clean,
        "clean_flagged": clean_flagged,
        "clean_false_positive_rate": round(clean_flagged / clean, 6) if clean else None,
        "false_positive_rules": dict(fp_rules),
        "false_positive_examples": fp_examples,
    }
