"""Expectation suites as versioned YAML files (``fingertip/resources/expectations/*.yaml``) and the GX runner.

A suite file::

    name: inventory_app
    version: 1
    include: [inventory_sponsor]          # other suite files whose expectations come first
    expectations:
      - type: expect_column_values_to_be_valid_uscc     # GX snake-case type (built-in or custom)
        kwargs: {column: sponsor_credit_code}
        meta: {critical: false, severity: error, reason_zh: "…{value}…", reason_en: "…{value!r}…"}

:func:`load_suite_spec` reads and checks a file (every expectation needs ``meta.critical``,
``reason_zh`` and ``reason_en``; the type must be registered) without importing GX;
:func:`build_suite` turns it into a ``gx.ExpectationSuite``; :func:`run_suite` validates a pandas
DataFrame in an ephemeral GX context and returns the plain-Python failures (no numpy scalars).
GX is imported inside the functions only.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from fingertip.config import resources_dir

log = logging.getLogger(__name__)

INVENTORY_SUITES = {"app": "inventory_app", "account": "inventory_account", "work_group": "inventory_work_group"}
INGEST_SUITES = ("store_listings", "filings", "account_activity")
SEVERITIES = ("error", "warning")


class SuiteError(ValueError):
    """A suite file is malformed; the message names the file and the entry."""


def suites_dir() -> Path:
    return resources_dir() / "expectations"


@dataclass(frozen=True)
class ExpectationSpec:
    type: str
    kwargs: dict[str, Any]
    meta: dict[str, Any]
    suite: str

    @property
    def critical(self) -> bool:
        return bool(self.meta.get("critical"))

    @property
    def severity(self) -> str:
        return self.meta.get("severity", "error")

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column") or self.kwargs.get("column_A")

    @property
    def key(self) -> str:
        """Stable identifier: type and the columns it checks, e.g. ``expect_…_valid_uscc(sponsor_credit_code)``."""
        cols = ",".join(str(self.kwargs[k]) for k in ("column", "column_A", "column_B") if k in self.kwargs)
        return f"{self.type}({cols})"


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    version: int
    description: str
    expectations: tuple[ExpectationSpec, ...] = field(default_factory=tuple)
    files: tuple[str, ...] = ()

    @property
    def versioned_name(self) -> str:
        return f"{self.name}.v{self.version}"


def _read(name: str, seen: tuple[str, ...] = ()) -> SuiteSpec:
    path = suites_dir() / f"{name}.yaml"
    if name in seen:
        raise SuiteError(f"{path}: include cycle {' → '.join(seen + (name,))}")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SuiteError(f"suite {name!r}: no file {path}") from None
    if not isinstance(doc, dict) or doc.get("name") != name:
        raise SuiteError(f"{path}: top level must be a mapping with name: {name}")
    version = doc.get("version")
    if not isinstance(version, int) or version < 1:
        raise SuiteError(f"{path}: version must be a positive integer")
    specs: list[ExpectationSpec] = []
    files = [path.name]
    for inc in doc.get("include") or []:
        included = _read(inc, seen + (name,))
        specs.extend(included.expectations)
        files.extend(included.files)
    for i, item in enumerate(doc.get("expectations") or []):
        where = f"{path}: expectations[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise SuiteError(f"{where}: needs a type")
        kwargs = item.get("kwargs") or {}
        meta = item.get("meta") or {}
        if not isinstance(meta.get("critical"), bool):
            raise SuiteError(f"{where} ({item['type']}): meta.critical must be true or false")
        for key in ("reason_zh", "reason_en"):
            if not isinstance(meta.get(key), str) or not meta[key].strip():
                raise SuiteError(f"{where} ({item['type']}): meta.{key} is required")
        if meta.get("severity", "error") not in SEVERITIES:
            raise SuiteError(f"{where}: meta.severity must be one of {SEVERITIES}")
        specs.append(ExpectationSpec(item["type"], dict(kwargs), {**meta, "suite": name, "suite_version": version},
                                     name))
    return SuiteSpec(name, version, str(doc.get("description", "")), tuple(specs), tuple(files))


@lru_cache(maxsize=32)
def load_suite_spec(name: str) -> SuiteSpec:
    """The suite ``name`` with its includes, checked (cached per process)."""
    return _read(name)


def all_suite_names() -> list[str]:
    return sorted(p.stem for p in suites_dir().glob("*.yaml"))


# --------------------------------------------------------------------------------------------
# GX
# --------------------------------------------------------------------------------------------

_lock = threading.RLock()
_context = None


def gx_context():
    """The process's ephemeral GX context (progress bars and analytics off), created on first use."""
    global _context
    with _lock:
        if _context is None:
            import os

            os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # no usage statistics from a government system
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            import fingertip.quality.expectations  # noqa: F401  (registers the custom expectations)

            ctx = gx.get_context(mode="ephemeral")
            ctx.enable_analytics(False)
            ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            _context = ctx
        return _context


def build_suite(spec: SuiteSpec):
    """A ``gx.ExpectationSuite`` named ``<name>.v<version>`` from ``spec``."""
    import great_expectations as gx
    from great_expectations.expectations.registry import get_expectation_impl

    gx_context()  # GX needs an active context to build suites; also registers the custom expectations
    expectations = []
    for i, e in enumerate(spec.expectations):
        try:
            cls = get_expectation_impl(e.type)
        except Exception as exc:  # ExpectationNotFoundError
            raise SuiteError(f"suite {spec.name}: unknown expectation type {e.type!r}") from exc
        expectations.append(cls(**e.kwargs, meta={**e.meta, "index": i}))
    # given to the constructor, not added one by one: once a suite of this name is in the context's
    # store (every run after the first in a process), ``add_expectation`` writes the whole stored suite
    # again for each expectation — seconds per run for the inventory suites
    return gx.ExpectationSuite(name=spec.versioned_name, meta={"files": list(spec.files)}, expectations=expectations)


def check_suites() -> dict[str, int]:
    """Load and build every suite file (fails loudly on a mistake); name → expectation count."""
    return {name: len(build_suite(load_suite_spec(name)).expectations) for name in all_suite_names()}


@dataclass
class ExpectationOutcome:
    spec: ExpectationSpec
    success: bool
    element_count: int
    unexpected_count: int
    unexpected_index: list[int]  # positions in the DataFrame (plain ints)
    exception: str | None = None


def _plain_ints(values) -> list[int]:
    out = []
    for v in values or []:
        if isinstance(v, dict):  # unexpected_index_column_names form
            v = next(iter(v.values()))
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if not math.isnan(f):
            out.append(int(f))
    return out


def run_suite(df, suite_name: str, *, run_name: str | None = None, skip_missing_columns: bool = True,
              extra_meta: dict[str, Any] | None = None,
              overrides: dict[str, dict[str, Any]] | None = None) -> tuple[list[ExpectationOutcome], Any]:
    """Validate ``df`` (default RangeIndex) with the suite; returns (outcomes, GX validation result).

    Expectations on a column the frame lacks are not run when ``skip_missing_columns`` (the
    suite's critical ``expect_column_to_exist`` reports the missing column once instead). The
    result is stored in the context's validation store, so :func:`build_data_docs` shows it.
    """
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.exceptions import DataContextError

    spec = load_suite_spec(suite_name)
    ctx = gx_context()
    columns = set(df.columns)
    runnable = [e for e in spec.expectations
                if e.type == "expect_column_to_exist" or not skip_missing_columns
                or all(df_col in columns for df_col in (e.kwargs.get(k) for k in ("column", "column_A", "column_B"))
                       if df_col is not None)]
    if overrides:
        runnable = [ExpectationSpec(e.type, {**e.kwargs, **overrides.get(e.type, {})}, e.meta, e.suite)
                    for e in runnable]
    run_spec = SuiteSpec(spec.name, spec.version, spec.description, tuple(runnable), spec.files)
    with _lock:
        suite = build_suite(run_spec)
        suite.meta.update(extra_meta or {})
        try:
            ds = ctx.data_sources.get("fingertip")
        except KeyError:  # not added yet in this context
            ds = ctx.data_sources.add_pandas("fingertip")
        asset_name = suite_name
        try:
            asset = ds.get_asset(asset_name)
        except LookupError:
            asset = ds.add_dataframe_asset(asset_name)
        try:
            bd = asset.get_batch_definition("whole")
        except KeyError:
            bd = asset.add_batch_definition_whole_dataframe("whole")
        try:
            ctx.suites.delete(suite.name)
        except DataContextError:  # no earlier run of this suite version
            pass
        suite = ctx.suites.add(suite)
        vd_name = f"{suite_name}:{run_name or 'adhoc'}"
        try:
            ctx.validation_definitions.delete(vd_name)
        # absent (DataContextError) or stale, pointing at the suite replaced above (GX then fails
        # reading it): either way it is added afresh below
        except Exception:  # noqa: BLE001 — best-effort removal, see above
            pass
        vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=vd_name, data=bd, suite=suite))
        result = vd.run(batch_parameters={"dataframe": df},
                        result_format={"result_format": "COMPLETE", "partial_unexpected_count": 20,
                                       "include_unexpected_rows": False, "return_unexpected_index_query": False},
                        run_id=RunIdentifier(run_name=run_name or "adhoc"))
    outcomes = []
    for res in result.results:
        spec_e = runnable[int(res.expectation_config.meta["index"])]
        r = res.result or {}
        exc = None
        if res.exception_info and res.exception_info.get("raised_exception"):
            exc = str(res.exception_info.get("exception_message"))
        outcomes.append(ExpectationOutcome(
            spec=spec_e, success=bool(res.success), element_count=int(r.get("element_count") or 0),
            unexpected_count=int(r.get("unexpected_count") or 0),
            unexpected_index=_plain_ints(r.get("unexpected_index_list")), exception=exc,
        ))
    return outcomes, result


_ESCAPED_FLAG = "fingertip_values_escaped"


def escape_submitted(value: Any) -> Any:
    """``value`` with every text in it HTML-escaped (and its control/bidi characters removed), recursively
    through lists, tuples and dicts (keys too); other values as they are."""
    from markupsafe import escape

    from fingertip.text import neutralise

    if isinstance(value, str):
        return str(escape(neutralise(value)))
    if isinstance(value, dict):
        return {escape_submitted(k): escape_submitted(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [escape_submitted(v) for v in value]
    return value


def escape_stored_results(ctx) -> int:
    """Escape, in the context's validation store, every value the validation saw (unexpected values and
    their counts, observed values, exception messages) before Data Docs render them.

    GX's Data Docs put these values into the pages as they are (a unit's cell holding ``<script>`` would
    run in an officer's browser), so the values are escaped here rather than trusting the renderer; a
    renderer that escapes too shows ``&lt;`` literally, which is safe. Each stored result is escaped once
    (a flag in its ``meta``); returns how many were escaped now.
    """
    store = ctx.validation_results_store
    n = 0
    for key in store.list_keys():
        res = store.get(key)
        if res is None or (res.meta or {}).get(_ESCAPED_FLAG):
            continue
        for r in res.results:
            r.result = escape_submitted(r.result or {})
            info = r.exception_info or {}
            if isinstance(info, dict) and info:
                r.exception_info = escape_submitted(info)
        res.meta = {**(res.meta or {}), _ESCAPED_FLAG: True}
        store.set(key, res)
        n += 1
    return n


def build_data_docs(target=None) -> str:
    """Build GX Data Docs of this process's validation runs into ``out/quality/data_docs/`` (or
    ``target``); returns the URL of ``index.html`` under the outputs location (the ``data_docs`` task's
    result: a URL, never a local path, like every value handed between tasks). A non-local outputs URL
    (``s3://…``) is built in a temporary folder and copied there."""
    import shutil
    import tempfile
    from pathlib import Path

    from fingertip.config import output_path

    target = target if target is not None else output_path("quality", "data_docs")
    if isinstance(target, str) and "://" in target:
        from airflow.sdk import ObjectStoragePath

        target = ObjectStoragePath(target)
    local = None
    if isinstance(target, (str, Path)) and "://" not in str(target):
        local = Path(target)
    elif getattr(target, "protocol", None) in ("file", "local", ("file", "local")) or str(target).startswith("file://"):
        local = Path(target.path)
    build_dir = local or Path(tempfile.mkdtemp(prefix="fingertip-data-docs-"))
    build_dir.mkdir(parents=True, exist_ok=True)
    ctx = gx_context()
    with _lock:
        site = "fingertip_" + hashlib_name(str(build_dir))
        if site not in (ctx.get_site_names() or []):
            ctx.add_data_docs_site(site, {
                "class_name": "SiteBuilder", "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(build_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            })
        escape_stored_results(ctx)
        ctx.build_data_docs(site_names=[site])
    index = build_dir / "index.html"
    if local is None:
        for f in build_dir.rglob("*"):
            if f.is_file():
                dst = target / str(f.relative_to(build_dir))
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.write_bytes(f.read_bytes())
        shutil.rmtree(build_dir, ignore_errors=True)
    if isinstance(target, (str, Path)) and "://" not in str(target):
        return index.absolute().as_uri()  # a plain folder given by the caller
    return str(target / "index.html")


def save_result(result, path) -> str:
    """Write a GX validation result as JSON (``path``: local path or ObjectStoragePath)."""
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.to_json_dict(), ensure_ascii=False, default=str), encoding="utf-8")
    return str(path)


def load_results(paths) -> int:
    """Put saved validation results (see :func:`save_result`) into this process's GX context, so
    :func:`build_data_docs` shows them (the Data Docs task runs in another process than validation)."""
    import json

    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.exceptions import DataContextError

    ctx = gx_context()
    n = 0
    for p in paths:
        doc = json.loads(p.read_text(encoding="utf-8"))
        res = ExpectationSuiteValidationResultSchema().load(doc)
        run = res.meta.get("run_id") or {}
        run_id = RunIdentifier(run_name=run.get("run_name") if isinstance(run, dict) else None,
                               run_time=run.get("run_time") if isinstance(run, dict) else None)
        key = ValidationResultIdentifier(ExpectationSuiteIdentifier(name=res.suite_name), run_id,
                                         batch_identifier=str(res.meta.get("batch_id") or p.parent.name))
        ctx.validation_results_store.set(key, res)
        base = res.suite_name.rsplit(".v", 1)[0]
        try:
            with _lock:
                try:
                    ctx.suites.get(res.suite_name)
                except DataContextError:  # not in this process's context yet
                    ctx.suites.add(build_suite(load_suite_spec(base)))
        except Exception:  # noqa: BLE001 — an old suite no longer on disk or buildable: results render without it
            pass
        n += 1
    return n


def hashlib_name(text: str) -> str:
    import hashlib

    return hashlib.sha1(text.encode()).hexdigest()[:10]


def run_expectations(df, expectations: list) -> list[dict[str, Any]]:
    """Validate ``df`` with GX expectation objects (not a suite file); plain results per expectation:
    type, success, unexpected row positions. Handy in tests and notebooks."""
    import uuid

    import great_expectations as gx

    ctx = gx_context()
    with _lock:
        try:
            ds = ctx.data_sources.get("fingertip")
        except KeyError:  # not added yet in this context
            ds = ctx.data_sources.add_pandas("fingertip")
        name = f"adhoc-{uuid.uuid4().hex[:8]}"
        bd = ds.add_dataframe_asset(name).add_batch_definition_whole_dataframe("whole")
        suite = gx.ExpectationSuite(name=name)
        for e in expectations:
            suite.add_expectation(e)
        result = bd.get_batch(batch_parameters={"dataframe": df}).validate(
            suite, result_format={"result_format": "COMPLETE"})
    return [{"type": r.expectation_config.type, "success": bool(r.success),
             "unexpected_index": _plain_ints((r.result or {}).get("unexpected_index_list")),
             "exception": (r.exception_info or {}).get("exception_message")
             if (r.exception_info or {}).get("raised_exception") else None}
            for r in result.results]
