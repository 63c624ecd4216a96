"""Combining the per-unit summaries of an ingestion run."""

from __future__ import annotations

from collections import Counter
from typing import Any


def combine(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """Add up the counters of every unit; keep the units that had failures by name."""
    total: Counter = Counter()
    http: Counter = Counter()
    with_failures = []
    for summary in summaries:
        for key, value in summary.items():
            if key == "http":
                http.update(value)
            elif isinstance(value, int):
                total[key] += value
        if summary.get("requests_failed") or summary.get("rejected"):
            with_failures.append(summary["unit"])
    return {"units": len(summaries), **dict(sorted(total.items())), "http": dict(sorted(http.items())),
            "units_with_failures": with_failures}
