"""``IngestSourceOperator``: ingest one source for one day, partition by partition, then its exports.

One task walks every partition of a source in turn — provinces for Apple, the filing registry, the
gov-app record and account activity; stores for the Android feed — each partition written in its own
transactions by :mod:`fingertip.sources.ingest`, then reads the CSV/XLSX exports waiting in
``<exports>/<kind>/`` (:mod:`fingertip.sources.exports`). A partition that fails is recorded and the
others go on; at the end the task fails naming the failed partitions, so Airflow's retry runs it
again (every write is an upsert keyed by the day: re-running a day never duplicates).

Parsing a DAG that uses this operator imports only Airflow's SDK: the hooks, SQLAlchemy and the
table readers are imported when the task runs.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException

from fingertip.operators._values import as_date, as_list, is_empty

if TYPE_CHECKING:
    from airflow.sdk import Context

    from fingertip.sources.summary import IngestSummary

log = logging.getLogger(__name__)


class Source(enum.StrEnum):
    """The sources an :class:`IngestSourceOperator` can ingest (the one vocabulary)."""

    APPLE = "apple"  #: Apple iTunes Lookup, by province of the inventory apps' track ids
    ANDROID = "android"  #: the Android listing feed, by store
    FILINGS = "filings"  #: ICP/APP filings of the filing registry, by province
    GOV_APP = "gov_app"  #: the national gov-app filing record of the filing registry, by province
    ACTIVITY = "activity"  #: official-account activity, by province


#: Export folder kinds (``fingertip.sources.exports.KINDS``); ``"auto"`` = the source's own kind.
ExportKind = Literal["android", "filings", "activity"]
EXPORT_KINDS: tuple[str, ...] = ("android", "filings", "activity")
AUTO = "auto"


@dataclass(frozen=True)
class _SourceSpec:
    hook: str  #: dotted path of the hook class
    pool: str  #: default pool of the task
    partition: Literal["province", "store"]
    exports: str | None  #: the source's own exports kind (``exports="auto"``)
    inventory: str | None  #: store table whose provinces are the default partitions


SOURCES: dict[Source, _SourceSpec] = {
    Source.APPLE: _SourceSpec("fingertip.hooks.apple.AppleLookupHook", "apple_itunes", "province", None, "apps"),
    Source.ANDROID: _SourceSpec("fingertip.hooks.android.AndroidFeedHook", "source_feeds", "store", "android", None),
    Source.FILINGS: _SourceSpec("fingertip.hooks.filings.FilingRegistryHook", "source_feeds", "province", "filings",
                                "apps"),
    Source.GOV_APP: _SourceSpec("fingertip.hooks.filings.FilingRegistryHook", "source_feeds", "province", None,
                                "apps"),
    Source.ACTIVITY: _SourceSpec("fingertip.hooks.activity.AccountActivityHook", "source_feeds", "province",
                                 "activity", "accounts"),
}

_PROVINCE = re.compile(r"^([0-9]{2})([0-9]{4})?\Z", re.ASCII)  # \Z: "$" would also take "44\n"


class PartitionsFailed(AirflowException):
    """Some partitions (or the exports) could not be ingested; the others were written."""

    def __init__(self, message: str, failed: dict[str, str] | None = None,
                 summary: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.failed = failed or {}  #: partition (or ``exports/<kind>``) → error
        self.summary = summary or {}  #: what the partitions that worked wrote


@dataclass
class _Unit:
    """One piece of work: a partition (or, for Apple, whole batches of ids over some provinces)."""

    label: str
    partitions: list[str]
    run: Callable[[], dict[str, Any]]
    ids: list[int] = field(default_factory=list)


def _import(path: str) -> Any:
    import importlib

    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


class IngestSourceOperator(BaseOperator):
    """Ingest one source for the run's day: every partition in turn, then the waiting exports.

    :param source: what to ingest, one of :class:`Source` (``apple``, ``android``, ``filings``,
        ``gov_app``, ``activity``).
    :param conn_id: the source's HTTP connection (default: the hook's, e.g. ``apple_itunes``,
        ``android_listing_feed``, ``filing_registry``, ``account_activity_feed``). Templated.
    :param partitions: provinces (``"440000"`` or ``"44"``) or, for ``android``, stores. Default:
        derived from the store — the provinces with active inventory apps (accounts for
        ``activity``), or every Android store of ``fingertip.store.schema.STORES``. Templated: a
        rendered string may be a JSON list or comma-separated. An explicit empty list reads only the
        exports (fails the task when ``exports`` is None).
    :param exports: export folder kind to read after the feed (``android``, ``filings``,
        ``activity``), ``None`` for none, or ``"auto"`` (default) for the source's own kind
        (none for ``apple`` and ``gov_app``). Exports are read after the feed — for Android the
        feed's complete walk decides absences — and wait for the next run if a partition failed.
    :param day: the day observed (``YYYY-MM-DD`` or a date). Default: the run's logical date in
        Beijing time (a manual run without one: when it ran). Templated.
    :param absence_threshold: consecutive absences before a listing is ``delisted`` (``apple`` and
        ``android``; default 2). Templated.
    :param store_conn_id: the governance store connection (default ``fingertip_store``).
    :param batches_per_unit: Apple only — ids are packed province by province into units of this many
        whole requests, so only the last request of the run is a partial batch.
    :param tiered: Apple only — look up only the apps due under their risk tier's monitoring interval
        (Art. 16; policy settings ``tier_uses.monitoring_interval_days``, Fingertip defaults: high
        daily, medium weekly, low monthly; apps without a tier, absent at their last observation or
        with a live shutdown case every day — :func:`fingertip.sources.ingest.apple_ids_due`). The
        summary counts ``ids_deferred`` (not due today) and ``ids_due_by_tier``. False: every app
        every day. The other sources deliver whole provinces or stores per request: nothing to defer.

    The pool defaults to ``apple_itunes`` for Apple (one slot; the hook keeps its client-side rate
    limit, 20 requests/minute by default) and ``source_feeds`` otherwise. ``gov_app`` is skipped
    when the connection's ``gov_app_feed`` extra is false. Returns an
    :class:`~fingertip.sources.summary.IngestSummary` (XCom ``return_value``).

    Nothing to ingest — no partitions derived because the store has no inventory for the source and
    no export waiting — skips the task with the reason (never a green run that did nothing).
    """

    template_fields: Sequence[str] = ("conn_id", "partitions", "day", "absence_threshold")
    ui_color = "#e8f4ea"
    #: context key set to a short label of the partitions (``map_index_template="{{ ingest_label }}"``)
    LABEL_KEY: ClassVar[str] = "ingest_label"

    def __init__(
        self,
        *,
        source: Source | str,
        conn_id: str | None = None,
        partitions: Sequence[str] | str | None = None,
        exports: ExportKind | Literal["auto"] | None = "auto",
        day: dt.date | str | None = None,
        absence_threshold: int | str = 2,
        store_conn_id: str | None = None,
        batches_per_unit: int = 20,
        tiered: bool = True,
        **kwargs: Any,
    ) -> None:
        try:
            self.source = Source(source)
        except ValueError:
            raise ValueError(f"unknown source {source!r}; expected one of {[s.value for s in Source]}") from None
        spec = SOURCES[self.source]
        kwargs.setdefault("pool", spec.pool)
        super().__init__(**kwargs)
        kind: str | None = spec.exports if exports == AUTO else exports
        if kind is not None and kind not in EXPORT_KINDS:
            raise ValueError(f"unknown exports kind {kind!r}; expected one of {EXPORT_KINDS}, 'auto' or None")
        if batches_per_unit < 1:
            raise ValueError("batches_per_unit must be at least 1")
        self.conn_id = conn_id
        self.partitions = partitions
        self.exports = kind
        self.day = day
        self.absence_threshold = absence_threshold
        self.store_conn_id = store_conn_id
        self.batches_per_unit = batches_per_unit
        self.tiered = tiered
        self._schedule: Counter = Counter()

    @classmethod
    def partial(cls, **kwargs: Any):
        """As ``BaseOperator.partial``; the pool defaults from ``source`` here too (the scheduler
        reads a mapped task's pool from its partial arguments). Give ``source`` in ``partial()``."""
        from airflow.sdk.bases.operator import partial as base_partial
        from airflow.sdk.definitions._internal.contextmanager import DagContext

        if "pool" not in kwargs and "source" in kwargs:
            dag = kwargs.get("dag") or DagContext.get_current()
            defaults = {**(getattr(dag, "default_args", None) or {}), **(kwargs.get("default_args") or {})}
            if "pool" not in defaults:
                kwargs["pool"] = SOURCES[Source(kwargs["source"])].pool
        return base_partial(cls, **kwargs)

    # -- arguments after rendering ---------------------------------------------------------------
    def _day(self, context: Context) -> dt.date:
        from fingertip.runtime import interval_day

        try:
            day = as_date(self.day, name="day")
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from None
        return day if day is not None else interval_day(dict(context))

    def _threshold(self) -> int:
        try:
            threshold = int(str(self.absence_threshold).strip())
        except ValueError:
            raise AirflowFailException(f"absence_threshold must be an integer, got {self.absence_threshold!r}") from None
        if threshold < 1:
            raise AirflowFailException(f"absence_threshold must be at least 1, got {threshold}")
        return threshold

    def _given_partitions(self) -> list[str] | None:
        """The partitions as given (None: derive them); strings from templates are parsed."""
        value = self.partitions
        if is_empty(value):
            return None
        if isinstance(value, str) and not value.strip().startswith("["):
            value = ",".join(value.split())  # partitions never contain blanks: "44 45" is two
        try:
            return [str(p).strip() for p in as_list(value, name="partitions")]
        except ValueError as exc:
            raise AirflowFailException(str(exc)) from None

    def _validate(self, partitions: list[str]) -> list[str]:
        spec = SOURCES[self.source]
        if spec.partition == "store":
            from fingertip.hooks.android import ANDROID_STORES

            bad = [p for p in partitions if p not in ANDROID_STORES]
            if bad:
                raise AirflowFailException(f"{self.source}: unknown store(s) {bad}; expected some of {list(ANDROID_STORES)}")
            return list(dict.fromkeys(partitions))
        normalised, bad = [], []
        for p in partitions:
            match = _PROVINCE.match(p)
            if not match or (match.group(2) not in (None, "0000")):
                bad.append(p)
            else:
                normalised.append(f"{match.group(1)}0000")
        if bad:
            raise AirflowFailException(f"{self.source}: partitions must be province codes like 440000 or 44, got {bad}")
        return list(dict.fromkeys(normalised))

    def _derived_partitions(self, engine) -> list[str]:
        spec = SOURCES[self.source]
        if spec.partition == "store":
            from fingertip.hooks.android import ANDROID_STORES

            return list(ANDROID_STORES)
        from fingertip.sources.ingest import provinces_of
        from fingertip.store import schema

        return provinces_of(engine, schema.metadata.tables[spec.inventory or "apps"])

    # -- execution -------------------------------------------------------------------------------
    def get_hook(self):
        """The source's hook on ``conn_id`` (or the hook's default connection)."""
        return _import(SOURCES[self.source].hook)(self.conn_id or None)

    def get_engine(self):
        from fingertip.hooks.store import StoreHook

        return (StoreHook(self.store_conn_id) if self.store_conn_id else StoreHook()).get_engine()

    def execute(self, context: Context) -> IngestSummary:
        from fingertip.sources.summary import combine

        day = self._day(context)
        threshold = self._threshold()
        given = self._given_partitions()
        if given is not None and not given and not self.exports:
            raise AirflowFailException(
                f"{self.source}: partitions is an empty list and exports is None — nothing to ingest. Give "
                "provinces/stores, leave partitions unset to derive them from the store, or name exports.")
        partitions = self._validate(given) if given is not None else None
        context[self.LABEL_KEY] = _label(self.source, partitions)  # type: ignore[literal-required]
        hook = self.get_hook()
        if self.source is Source.GOV_APP and not hook.extra("gov_app_feed", True):
            raise AirflowSkipException(
                f"the {hook.http_conn_id} connection does not provide the gov-app record (extra gov_app_feed is false)")
        engine = self.get_engine()
        if partitions is None:
            partitions = self._derived_partitions(engine)
        context[self.LABEL_KEY] = _label(self.source, partitions)  # type: ignore[literal-required]
        units = self._units(engine, hook, partitions, day, threshold)
        self.log.info("%s for %s: %d partition(s) in %d unit(s)%s", self.source, day, len(partitions), len(units),
                      f", then exports/{self.exports}" if self.exports else "")

        summaries: list[dict[str, Any]] = []
        failed: dict[str, str] = {}
        for unit in units:
            hook.stats.clear()  # per-unit HTTP statistics; the hook (and its rate limiter) is shared
            try:
                summaries.append(unit.run())
            except Exception as exc:  # noqa: BLE001 - one bad partition must not block the others
                self.log.exception("%s failed; going on with the other partitions", unit.label)
                error = f"{unit.label}: {type(exc).__name__}: {exc}"
                for partition in unit.partitions:
                    failed[partition] = error
                summaries.append({"unit": unit.label, "requests_failed": 1, "error": error})

        exports_read = 0
        if self.exports and failed:
            self.log.warning("exports/%s left waiting for the next run: %d partition(s) failed", self.exports,
                             len(failed))
        elif self.exports:
            from fingertip.sources.exports import ingest_pending

            try:
                results = ingest_pending(engine, self.exports, day=day)
            except Exception as exc:  # noqa: BLE001 - recorded; the task fails at the end
                self.log.exception("exports/%s could not be read", self.exports)
                error = f"exports/{self.exports}: {type(exc).__name__}: {exc}"
                failed[f"exports/{self.exports}"] = error
                summaries.append({"unit": f"exports/{self.exports}", "requests_failed": 1, "error": error})
            else:
                exports_read = len(results)
                summaries.extend(results)

        summary = combine(summaries, source=self.source.value, day=day.isoformat(), partitions=partitions,
                          exports=self.exports, failed=failed)
        if self.source is Source.APPLE and self.tiered:
            summary["ids_deferred"] = sum(v for k, v in self._schedule.items() if k.startswith("deferred_"))
            summary["ids_due_by_tier"] = {k.removeprefix("due_"): v for k, v in sorted(self._schedule.items())
                                          if k.startswith("due_")}
        self.log.info("summary: %s", json.dumps(summary, ensure_ascii=False, default=str))
        if failed:
            names = list(failed)
            detail = "; ".join(dict.fromkeys(failed[n] for n in names))
            raise PartitionsFailed(
                f"{self.source} for {day}: failed {', '.join(names)} ({len(names)} of {len(partitions)} "
                f"partition(s){' and exports' if f'exports/{self.exports}' in failed else ''}); the others were "
                f"written and re-running the day is safe. Errors: {detail}",
                failed, dict(summary))
        if not units and not exports_read:  # nothing configured, no inventory, no export waiting
            raise AirflowSkipException(self._nothing_reason(given is not None, partitions))
        return summary

    def _nothing_reason(self, explicit: bool, partitions: list[str]) -> str:
        exports = f" and no export waiting in exports/{self.exports}" if self.exports else ""
        if explicit and not partitions:
            return f"nothing to ingest: no partitions given{exports}"
        deferred = sum(v for k, v in self._schedule.items() if k.startswith("deferred_"))
        if self.source is Source.APPLE and deferred:
            return (f"nothing due today: all {deferred} inventory app(s) with an Apple track id were looked up within "
                    "their risk tier's monitoring interval (tier_uses.monitoring_interval_days)")
        if self.source is Source.APPLE:
            where = f"in {', '.join(partitions)}" if explicit else "in the store"
            return (f"nothing to ingest: no active inventory app with an Apple track id {where}{exports} "
                    "(import an inventory first)")
        table = SOURCES[self.source].inventory
        return (f"nothing to ingest: the store has no active inventory {table} in any province{exports} "
                "(import an inventory first)")

    def _units(self, engine, hook, partitions: list[str], day: dt.date, threshold: int) -> list[_Unit]:
        from fingertip.sources import ingest

        if self.source is Source.APPLE:
            return self._apple_units(engine, hook, partitions, day, threshold)
        units = []
        for p in partitions:
            if self.source is Source.ANDROID:
                run = _bind(ingest.ingest_android, engine, hook, store=p, day=day, absence_threshold=threshold)
                label = f"android/{p}"
            elif self.source is Source.ACTIVITY:
                run = _bind(ingest.ingest_activity, engine, hook, province=p, day=day)
                label = f"activity/{p}"
            else:
                kind = "icp_app" if self.source is Source.FILINGS else "gov_app"
                run = _bind(ingest.ingest_filings, engine, hook, province=p, day=day, kind=kind)
                label = f"filings/{kind}/{p}"
            units.append(_Unit(label, [p], run))
        return units

    def _apple_units(self, engine, hook, provinces: list[str], day: dt.date, threshold: int) -> list[_Unit]:
        """Apple ids packed province by province into units of whole batches (one partial batch per
        run, not one per province: the API is rate-limited). A unit failing fails its provinces."""
        from fingertip.sources.ingest import apple_ids_due, apple_ids_for_province, ingest_apple, monitoring_intervals

        intervals = monitoring_intervals() if self.tiered else None
        self._schedule.clear()

        def ids_of(province: str) -> list[int]:
            if intervals is None:
                return apple_ids_for_province(engine, province)
            due, counts = apple_ids_due(engine, province, day=day, intervals=intervals)
            self._schedule.update(counts)
            return due

        size = hook.batch_size * self.batches_per_unit
        units: list[_Unit] = []
        ids: list[int] = []
        covered: list[str] = []

        def close() -> None:
            label = f"apple/{covered[0]}" if len(covered) == 1 else f"apple/{covered[0]}-{covered[-1]}"
            unit = _Unit(label, covered.copy(), None, ids.copy())  # type: ignore[arg-type]
            unit.run = _bind(ingest_apple, engine, hook, ids=unit.ids, unit=label, day=day,
                             absence_threshold=threshold)
            units.append(unit)
            ids.clear()
            covered.clear()

        for province in provinces:
            for track_id in ids_of(province):
                if not covered or covered[-1] != province:
                    covered.append(province)
                ids.append(track_id)
                if len(ids) == size:
                    close()
        if ids:
            close()
        if intervals is not None:
            self.log.info("apple: risk-tier monitoring %s (days per tier): %s", intervals, dict(self._schedule))
        return units


def _bind(func: Callable[..., dict], *args: Any, **kwargs: Any) -> Callable[[], dict]:
    return lambda: func(*args, **kwargs)


def _label(source: Source, partitions: list[str] | None) -> str:
    if partitions is None:
        return str(source)
    if not partitions:
        return f"{source}/exports"
    if len(partitions) == 1:
        return f"{source}/{partitions[0]}"
    return f"{source}/{partitions[0]}…{partitions[-1]} ({len(partitions)})"


class IngestionCompleteOperator(BaseOperator):
    """Emits a DAG's ingestion asset ONCE, after every source task of the run (its ``outlets``).

    Give the source tasks no outlets and put this downstream of all of them: consumers scheduled on the
    asset (detection) then see one event per complete ingestion run, never one per source on a partial
    picture. Runs when no source failed and at least one succeeded (``none_failed_min_one_success``):
    a run whose sources were all skipped — nothing to ingest — emits nothing and says so.
    Returns ``{"day", "sources": [upstream task ids]}``.
    """

    ui_color = "#d4ecd9"

    def __init__(self, *, outlets: Sequence[Any], **kwargs: Any) -> None:
        if not outlets:
            raise ValueError("IngestionCompleteOperator needs the asset(s) to emit (outlets)")
        kwargs.setdefault("trigger_rule", "none_failed_min_one_success")
        super().__init__(outlets=list(outlets), **kwargs)

    def execute(self, context: Context) -> dict[str, Any]:
        from fingertip.runtime import interval_day

        result = {"day": interval_day(dict(context)).isoformat(), "sources": sorted(self.upstream_task_ids)}
        self.log.info("ingestion complete: %s; emitting %s", result,
                      ", ".join(getattr(a, "uri", str(a)) for a in self.outlets))
        return result
