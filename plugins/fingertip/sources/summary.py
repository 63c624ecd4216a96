"""Combining the per-unit summaries of an ingestion run into one typed summary.

Each ingestion unit (a province or store of one source, or one export file) returns a dict of
counters (``fingertip.sources.ingest``, ``fingertip.sources.exports``); :func:`combine` adds them up
into an :class:`IngestSummary`, the return value (and XCom) of
:class:`fingertip.operators.ingest.IngestSourceOperator`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Required, TypedDict, cast

#: Counters every summary carries, zero when nothing of the kind happened.
ALWAYS_COUNTED = ("requests_ok", "requests_failed", "rejected", "failed_ids")


class IngestSummary(TypedDict, total=False):
    """What one ingestion run did, added up over its units.

    Counters a source does not produce are absent (e.g. ``delisted`` for filings). Unknown counters
    a unit reports are added up too.
    """

    # run identity (set by the operator)
    source: str  #: the source vocabulary value (``fingertip.operators.ingest.Source``)
    day: str  #: the run day (ISO date, Beijing time)
    partitions: list[str]  #: provinces or stores ingested, in order
    exports: str | None  #: exports folder kind read after the feed, or None
    failed_partitions: dict[str, str]  #: partition (or ``exports/<kind>``) → error, when some failed

    # always present
    units: Required[int]  #: units summarised (partition units and export files)
    requests_ok: Required[int]
    requests_failed: Required[int]
    rejected: Required[int]  #: items or rows rejected with a reason (logged)
    failed_ids: Required[int]  #: Apple ids left for the next run after a failed request
    http: Required[dict[str, int]]  #: the hooks' HTTP statistics (requests, retries, status_429 …)
    units_with_failures: Required[list[str]]  #: units with a failed request or a rejected item

    # listings (apple, android, android exports)
    ids: int
    present: int
    absent: int
    snapshots: int
    new_listings: int
    linked_to_inventory: int
    delisted: int
    relisted: int
    version_changed: int
    name_changed: int
    developer_changed: int
    backfilled: int
    absence_inference_skipped: int
    ids_deferred: int  #: Apple ids not due today under their risk tier's monitoring interval
    ids_due_by_tier: dict[str, int]  #: Apple ids looked up, by tier (``always``: due whatever the tier)
    # filings
    new: int
    updated: int
    newly_cancelled: int
    # account activity
    activity_rows: int
    unknown_accounts: int
    # any source
    fields_unreadable: int


def combine(summaries: Iterable[Mapping[str, Any]], *, source: str | None = None, day: str | None = None,
            partitions: Sequence[str] | None = None, exports: str | None = None,
            failed: Mapping[str, str] | None = None) -> IngestSummary:
    """Add up the counters of every unit; keep the units that had failures by name.

    ``source`` (with ``exports``), ``day``, ``partitions`` and ``failed`` (as ``failed_partitions``)
    are recorded when given.
    """
    summaries = list(summaries)
    total: Counter = Counter({key: 0 for key in ALWAYS_COUNTED})
    http: Counter = Counter()
    with_failures = []
    for summary in summaries:
        for key, value in summary.items():
            if key == "http":
                http.update(value)
            elif isinstance(value, int) and not isinstance(value, bool):
                total[key] += value
        if summary.get("requests_failed") or summary.get("rejected"):
            with_failures.append(summary["unit"])
    result: dict[str, Any] = {}
    if source is not None:
        result["source"] = str(source)
        result["exports"] = exports
    if day is not None:
        result["day"] = day
    if partitions is not None:
        result["partitions"] = list(partitions)
    if failed:
        result["failed_partitions"] = dict(failed)
    result.update({"units": len(summaries), **dict(sorted(total.items())), "http": dict(sorted(http.items())),
                   "units_with_failures": with_failures})
    return cast(IngestSummary, result)
