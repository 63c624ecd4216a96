"""Validation of a staged import batch: GX suites, quarantine, quality gate, promotion with history.

``validate_batch(engine, batch_id, max_bad_share=0.05)``:

1. loads the batch's ``inventory_staging`` rows into one DataFrame per entity type and normalises them
   (:mod:`fingertip.quality.normalise`);
2. registers the run's reference data (credit codes of stored sponsors and of sponsors the batch names;
   owners of the batch's natural keys already in the store) and runs the entity's suite with GX
   (:mod:`fingertip.quality.suites`, files in ``fingertip/resources/expectations/``);
3. replaces the batch's ``quarantined_rows``: one row per (sheet, row, column, expectation) failure with the
   submitted value **verbatim** and the reason in Chinese and English (re-running replaces, never
   duplicates); warnings (``meta.severity: warning``) are counted and logged, the row is kept;
4. **quality gate**: the batch is *rejected* when any critical expectation fails (e.g. a required column is
   missing, credit codes mangled by Excel) or when the share of bad rows exceeds ``max_bad_share``
   (default 5 %). A rejected batch promotes nothing; ``import_batches.status='rejected'`` and ``message``
   gives the reason in Chinese and English;
5. otherwise the good rows are promoted (``status='promoted'``, ``good_rows``/``bad_rows``): sponsors by
   credit code, apps by ``app_key``, accounts by (platform, account id), work groups by ``group_key``;
   every created or changed record gets one ``inventory_history`` row (field → [old, new]); provenance
   ``source='import:<file>'`` and the staged row's fingerprint;
6. writes the rejection report (XLSX, :mod:`fingertip.quality.report`) when a row failed or the batch
   was rejected, and records it in ``documents``.

The returned :class:`Verdict` is plain JSON (XCom-safe).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from fingertip.store import schema
from fingertip.store.ops import chunks

if TYPE_CHECKING:
    from fingertip.quality.suites import ExpectationOutcome

log = logging.getLogger(__name__)

DEFAULT_MAX_BAD_SHARE = 0.05
ROW_LEVEL = "(整行)"
DATES_NOT_IN_FUTURE = "expect_column_values_to_be_dates_not_in_future"
NO_FORBIDDEN = "expect_column_values_to_have_no_forbidden_characters"

# a task failing with this exception is not retried (the data, not the machine, is at fault)
if TYPE_CHECKING:
    from airflow.sdk.exceptions import AirflowFailException as _FailBase
else:
    try:
        from airflow.sdk.exceptions import AirflowFailException as _FailBase
    except ImportError:  # pragma: no cover - outside Airflow
        try:
            from airflow.exceptions import AirflowFailException as _FailBase
        except ImportError:
            _FailBase = RuntimeError


class QualityGateRejected(_FailBase):
    """Raised by the DAG's gate for a rejected batch; the message is the verdict in Chinese and English."""


@dataclass
class Verdict:
    batch_id: int
    file_name: str
    status: str  # promoted / rejected
    row_count: int = 0
    good_rows: int = 0
    bad_rows: int = 0
    bad_share: float = 0.0
    max_bad_share: float = DEFAULT_MAX_BAD_SHARE
    critical_failures: list[dict[str, Any]] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)
    failures_by_expectation: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    promoted: dict[str, int] = field(default_factory=dict)
    history_rows: int = 0
    message_zh: str = ""
    message_en: str = ""
    report_path: str | None = None
    suites: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def rejected(self) -> bool:
        return self.status == "rejected"

    @property
    def message(self) -> str:
        return f"{self.message_zh}\n{self.message_en}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


@dataclass
class _Frame:
    entity_type: str
    df: Any  # normalised DataFrame, RangeIndex
    rows: list[dict[str, Any]]  # staged rows (sheet, row_number, raw, fingerprint)
    headers: list[dict[str, str]]  # per row: field → submitted header


def _load(conn, batch_id: int, header_map) -> list[_Frame]:
    import pandas as pd

    from fingertip.quality.normalise import normalise

    t = schema.inventory_staging
    # the submitted (raw) cells are read later, for failing rows only: half the memory for large batches
    result = conn.execute(
        sa.select(t.c.sheet, t.c.row_number, t.c.entity_type, t.c.data, t.c.request_fingerprint)
        .where(t.c.batch_id == batch_id).order_by(t.c.entity_type, t.c.sheet, t.c.row_number))
    by_type: dict[str, list] = defaultdict(list)
    for row in result:
        by_type[row.entity_type].append(row)
    frames = []
    for entity, rows in by_type.items():
        df = pd.DataFrame.from_records([r.data or {} for r in rows])
        df = df.astype(object).where(df.notna(), None) if len(df.columns) else df
        sheet_headers: dict[str, dict[str, str]] = {}
        for sheet in {r.sheet for r in rows}:
            raw = conn.execute(sa.select(t.c.raw).where(t.c.batch_id == batch_id, t.c.sheet == sheet,
                                                        t.c.entity_type == entity).limit(1)).scalar_one()
            fields = header_map.map_columns(list((raw or {}).keys()), entity).fields
            sheet_headers[sheet] = {f: h for h, f in fields.items()}
        headers = [sheet_headers[r.sheet] for r in rows]
        staged = [{"sheet": r.sheet, "row_number": r.row_number, "raw": None,
                   "fingerprint": r.request_fingerprint} for r in rows]
        frames.append(_Frame(entity, normalise(df.reset_index(drop=True), entity, header_map), staged, headers))
    return frames


def _register_references(conn, frame: _Frame) -> None:
    from fingertip.quality.expectations import register_reference

    df = frame.df
    codes = set()
    if "sponsor_credit_code" in df.columns:
        named = df["sponsor_credit_code"].notna()
        if "sponsor_name" in df.columns:
            named &= df["sponsor_name"].notna()
        codes = set(df.loc[named, "sponsor_credit_code"])
        wanted = set(df["sponsor_credit_code"].dropna()) - codes
        for chunk in chunks(sorted(wanted), 500):
            codes.update(conn.execute(sa.select(schema.sponsors.c.credit_code)
                                      .where(schema.sponsors.c.credit_code.in_(list(chunk)))).scalars())
    register_reference("sponsors", codes)
    keys = sorted({k for k in df["_natural_key"] if k})
    owners: dict[str, str] = {}
    sp = schema.sponsors
    for chunk in chunks(keys, 500):
        chunk = list(chunk)
        if frame.entity_type == "app":
            q = sa.select(schema.apps.c.app_key, sp.c.credit_code).join(sp, sp.c.id == schema.apps.c.sponsor_id) \
                .where(schema.apps.c.app_key.in_(chunk))
        elif frame.entity_type == "work_group":
            q = sa.select(schema.work_groups.c.group_key, sp.c.credit_code) \
                .join(sp, sp.c.id == schema.work_groups.c.sponsor_id).where(schema.work_groups.c.group_key.in_(chunk))
        else:
            a = schema.accounts
            pairs = [tuple(k.split("|", 1)) for k in chunk]
            q = sa.select(a.c.platform + "|" + a.c.platform_account_id, sp.c.credit_code) \
                .join(sp, sp.c.id == a.c.sponsor_id) \
                .where(sa.tuple_(a.c.platform, a.c.platform_account_id).in_(pairs))
        owners.update({k: c for k, c in conn.execute(q)})
    register_reference(f"{frame.entity_type}_owners", owners)
    if frame.entity_type == "app":  # (store, store id) = (apple, track id) is unique in the stored inventory
        tracks = sorted({int(v) for v in df.get("apple_track_id", []) if v and str(v).isdigit() and len(str(v)) < 13})
        track_owners: dict[str, str] = {}
        for chunk in chunks(tracks, 500):
            track_owners.update({str(t): k for t, k in conn.execute(
                sa.select(schema.apps.c.apple_track_id, schema.apps.c.app_key).where(schema.apps.c.apple_track_id.in_(list(chunk))))})
        register_reference("apple_track_owners", track_owners)


# --------------------------------------------------------------------------------------------
# Reasons
# --------------------------------------------------------------------------------------------


class _SafeDict(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def _reason(template: str, column: str, value: Any) -> str:
    try:
        return template.format_map(_SafeDict(column=column, value=value if value is not None else ""))
    except (ValueError, IndexError, KeyError):
        return template


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def validate_batch(engine: Engine, batch_id: int, *, max_bad_share: float = DEFAULT_MAX_BAD_SHARE,
                   today: dt.date | None = None, run_name: str | None = None, write_report: bool = True,
                   now: dt.datetime | None = None) -> Verdict:
    """Validate, gate and (when it passes) promote one staged batch. Idempotent."""
    import time

    from fingertip.inventory.headers import load_header_map
    from fingertip.quality.expectations import clear_references
    from fingertip.quality.suites import INVENTORY_SUITES, load_suite_spec, run_suite

    if not 0 <= max_bad_share <= 1:
        raise ValueError(f"max_bad_share must be between 0 and 1, got {max_bad_share}")
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    today_iso = (today or dt.date.today()).isoformat()
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    hm = load_header_map()
    with engine.connect() as conn:
        batch = conn.execute(sa.select(schema.import_batches).where(schema.import_batches.c.id == batch_id)).mappings().first()
        if batch is None:
            raise LookupError(f"import batch {batch_id} does not exist")
        frames = _load(conn, batch_id, hm)
        timings["load"] = time.perf_counter() - t0
        verdict = Verdict(batch_id=batch_id, file_name=batch["file_name"], status="promoted",
                          max_bad_share=max_bad_share)
        if not frames:
            return _reject_unreadable(engine, batch, verdict)
        failures: list[dict[str, Any]] = []
        bad_keys: set[tuple[str, int]] = set()
        t1 = time.perf_counter()
        for frame in frames:
            suite_name = INVENTORY_SUITES[frame.entity_type]
            spec = load_suite_spec(suite_name)
            verdict.suites[frame.entity_type] = spec.versioned_name
            _register_references(conn, frame)
            df = frame.df
            outcomes, gx_result = run_suite(
                df, suite_name, run_name=run_name or f"batch-{batch_id}",
                overrides={DATES_NOT_IN_FUTURE: {"today": today_iso}},
                extra_meta={"batch_id": batch_id, "file_name": batch["file_name"], "today": today_iso})
            clear_references()
            if write_report:
                from fingertip.config import output_path
                from fingertip.quality.suites import save_result

                save_result(gx_result, output_path("quality", str(batch_id), f"gx_result_{frame.entity_type}.json"))
            verdict.row_count += len(df)
            for o in outcomes:
                if not o.success:
                    _record_outcome(verdict, frame, o, hm.fields(frame.entity_type), batch_id, failures, bad_keys)
        _fill_raw(conn, batch_id, failures)
        timings["validate"] = time.perf_counter() - t1
    failures = _dedupe(failures)
    verdict.bad_rows = len(bad_keys)
    verdict.good_rows = verdict.row_count - verdict.bad_rows
    verdict.bad_share = round(verdict.bad_rows / verdict.row_count, 6) if verdict.row_count else 0.0
    verdict.quarantined = len(failures)
    for k, n in verdict.warnings.items():
        log.warning("batch %s: warning %s on %d rows (rows kept)", batch_id, k, n)
    if verdict.critical_failures or verdict.bad_share > max_bad_share:
        verdict.status = "rejected"
    _messages(verdict)
    t2 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.delete(schema.quarantined_rows).where(schema.quarantined_rows.c.batch_id == batch_id))
        for chunk in chunks(failures, 1000):
            conn.execute(sa.insert(schema.quarantined_rows),
                         [{k: v for k, v in f.items() if not k.startswith("_")} for f in chunk])
        if not verdict.rejected:
            from fingertip.quality.promote import promote

            good = [(fr, [i for i in range(len(fr.df)) if (fr.entity_type, i) not in bad_keys]) for fr in frames]
            verdict.promoted, verdict.history_rows = promote(conn, batch, good, now)
        conn.execute(sa.update(schema.import_batches).where(schema.import_batches.c.id == batch_id).values(
            status=verdict.status, row_count=verdict.row_count, good_rows=verdict.good_rows,
            bad_rows=verdict.bad_rows, message=verdict.message, updated_at=now))
    timings["store"] = time.perf_counter() - t2
    if write_report and (failures or verdict.rejected):
        from fingertip.quality.report import write_rejection_report

        t3 = time.perf_counter()
        verdict.report_path = write_rejection_report(engine, verdict, frames, failures)
        timings["report"] = time.perf_counter() - t3
    verdict.seconds = {k: round(v, 3) for k, v in timings.items()}
    log.info("batch %s (%s): %s — %d rows, %d bad (%.2f%%), %d critical failures", batch_id, verdict.file_name,
             verdict.status, verdict.row_count, verdict.bad_rows, 100 * verdict.bad_share,
             len(verdict.critical_failures))
    return verdict


def _record_outcome(verdict: Verdict, frame: _Frame, o: ExpectationOutcome, fields: Mapping, batch_id: int,
                    failures: list[dict[str, Any]], bad_keys: set[tuple[str, int]]) -> None:
    """Count a failed expectation: a warning, or a failure (critical or without row positions: a
    critical failure with its reason) quarantining each unexpected row."""
    e = o.spec
    if o.exception and e.type != "expect_column_to_exist":
        log.warning("batch %s: %s raised %s", batch_id, e.key, o.exception)
    if e.severity == "warning":
        verdict.warnings[e.key] = verdict.warnings.get(e.key, 0) + o.unexpected_count
        return
    verdict.failures_by_expectation[f"{frame.entity_type}:{e.key}"] = o.unexpected_count or 1
    default_label = (ROW_LEVEL if not e.column or e.column.startswith("_")
                     else fields[e.column].label if e.column in fields else e.column)
    if e.critical or not o.unexpected_index:
        first = o.unexpected_index[0] if o.unexpected_index else None
        label = (frame.headers[first].get(e.column) if first is not None and e.column else None) \
            or default_label
        value = _first_value(frame.df, e, o)
        verdict.critical_failures.append({
            "entity_type": frame.entity_type, "expectation": e.key, "rows": o.unexpected_count,
            "reason_zh": _reason(e.meta["reason_zh"], label, value),
            "reason_en": _reason(e.meta["reason_en"], label, value),
        })
    for idx in o.unexpected_index:
        staged = frame.rows[idx]
        header = frame.headers[idx].get(e.column) if e.column else None
        column_label = header or default_label
        failures.append({
            "batch_id": batch_id, "sheet": (staged["sheet"] or "")[:100], "row_number": staged["row_number"],
            "column_name": column_label[:100], "expectation": f"{e.suite}:{e.key}"[:200],
            "_sheet": staged["sheet"], "_entity": frame.entity_type, "_critical": e.critical,
            "_frame": frame, "_idx": idx, "_header": header, "_spec": e,
        })
        bad_keys.add((frame.entity_type, idx))


def _fill_raw(conn, batch_id: int, failures: list[dict[str, Any]]) -> None:
    """Read the submitted cells of the failing rows; complete each failure's value, row and reasons."""
    from fingertip.quality.expectations import specific_reason

    t = schema.inventory_staging
    wanted = {(f["_entity"], f["_sheet"], f["row_number"]) for f in failures}
    raws: dict[tuple, dict] = {}
    numbers = sorted({w[2] for w in wanted})
    for chunk in chunks(numbers, 500):
        for r in conn.execute(sa.select(t.c.entity_type, t.c.sheet, t.c.row_number, t.c.raw).where(
                t.c.batch_id == batch_id, t.c.row_number.in_(list(chunk)))):
            key = (r.entity_type, r.sheet, r.row_number)
            if key in wanted:
                raws[key] = r.raw or {}
    for f in failures:
        frame, idx, header, e = f.pop("_frame"), f.pop("_idx"), f.pop("_header"), f.pop("_spec")
        raw = raws.get((f["_entity"], f["_sheet"], f["row_number"]), {})
        frame.rows[idx]["raw"] = raw
        value = raw.get(header) if header else None
        if header is None and e.column and not e.column.startswith("_") and e.column in frame.df.columns:
            value = frame.df.at[idx, e.column]
        label = header or f["column_name"]
        reason_zh, reason_en = _reason(e.meta["reason_zh"], label, value), _reason(e.meta["reason_en"], label, value)
        if e.column in frame.df.columns:  # what the checker knows exactly, with the fix
            specific = specific_reason(e.type, label, frame.df.at[idx, e.column] if e.type != NO_FORBIDDEN else value,
                                       frame.df.iloc[idx])
            if specific:
                reason_zh, reason_en = specific
        f.update(raw_value=value, raw_row=raw, reason_zh=reason_zh, reason_en=reason_en)


def _first_value(df, spec, outcome) -> Any:
    if outcome.unexpected_index and spec.column in df.columns:
        return df.at[outcome.unexpected_index[0], spec.column]
    return None


def _dedupe(failures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for f in failures:
        key = (f["sheet"], f["row_number"], f["column_name"], f["expectation"])  # rows are numbered per sheet
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _messages(v: Verdict) -> None:
    share = f"{100 * v.bad_share:.1f}%"
    limit = f"{100 * v.max_bad_share:.1f}%"
    if v.rejected:
        zh = [f"批次 {v.batch_id}（{v.file_name}）未通过质量闸门，整批退回，未入库。"]
        en = [f"Batch {v.batch_id} ({v.file_name}) failed the quality gate and was rejected; nothing was promoted."]
        for c in v.critical_failures[:10]:
            zh.append(f"严重问题：{c['reason_zh']}（{c['rows']} 行）")
            en.append(f"Critical: {c['reason_en']} ({c['rows']} rows)")
        if v.bad_share > v.max_bad_share:
            zh.append(f"问题行占比 {share}（{v.bad_rows}/{v.row_count} 行），超过允许的 {limit}。")
            en.append(f"{share} of rows failed ({v.bad_rows} of {v.row_count}), more than the {limit} allowed.")
        zh.append("请按退回报告逐行修改后重新报送。")
        en.append("Correct the rows listed in the rejection report and resubmit the file.")
    else:
        zh = [f"批次 {v.batch_id}（{v.file_name}）通过质量闸门：{v.good_rows} 行入库，{v.bad_rows} 行问题数据已隔离"
              f"（占 {share}，上限 {limit}）。"]
        en = [f"Batch {v.batch_id} ({v.file_name}) passed the quality gate: {v.good_rows} rows promoted, "
              f"{v.bad_rows} quarantined ({share}, limit {limit})."]
    v.message_zh, v.message_en = "".join(zh) if len(zh) == 1 else "\n".join(zh), "\n".join(en)


def _reject_unreadable(engine: Engine, batch, verdict: Verdict) -> Verdict:
    """A batch with no staged rows (the importer could not read the file): rejected as it is."""
    verdict.status = "rejected"
    verdict.critical_failures.append({"entity_type": None, "expectation": "staged_rows", "rows": 0,
                                      "reason_zh": "批次没有可校验的数据行。", "reason_en": "The batch has no staged rows."})
    if batch["status"] == "rejected" and batch["message"]:
        verdict.message_zh, verdict.message_en = batch["message"], ""
    else:
        _messages(verdict)
        with engine.begin() as conn:
            conn.execute(sa.update(schema.import_batches).where(schema.import_batches.c.id == batch["id"]).values(
                status="rejected", message=verdict.message))
    return verdict


def pending_batches(engine: Engine, batch_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Batches to validate, oldest first (id, file name, rows): those still ``staged``, or — for a manual
    re-validation — exactly ``batch_ids`` whatever their status (unknown ids are ignored)."""
    b = schema.import_batches
    q = sa.select(b.c.id, b.c.file_name, b.c.row_count).order_by(b.c.id)
    q = q.where(b.c.id.in_([int(i) for i in batch_ids])) if batch_ids else q.where(b.c.status == "staged")
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    return [{"batch_id": r.id, "file_name": r.file_name, "row_count": r.row_count} for r in rows]


def run_outcome(batches: Sequence[Mapping[str, Any] | None], verdicts: Sequence[Mapping[str, Any] | None]) -> dict[str, Any]:
    """The ``outcome`` of a validation run: ``{"promoted": [ids]}`` when every batch was validated and
    none rejected, else :class:`QualityGateRejected` (the run ends failed) listing what went wrong.

    ``batches`` are the run's pending batches (``pending`` task), ``verdicts`` what the mapped
    ``validate`` tasks returned. A batch without a verdict — its task failed, was skipped or upstream
    failed — is never a pass: Airflow hands the downstream task only the XComs that exist (a failed
    mapped instance leaves none, so the sequence is shorter, not padded with ``None``), so the verdicts
    are matched to the batches by ``batch_id``, not counted.
    """
    given = [v for v in verdicts if v]
    by_id = {v["batch_id"]: v for v in given}
    expected = [b["batch_id"] for b in batches if b]
    missing = [bid for bid in expected if bid not in by_id] + [None] * (len(verdicts) - len(given))
    rejected = [v for v in given if v["status"] == "rejected"]
    promoted = [v["batch_id"] for v in given if v["status"] == "promoted"]
    unknown = [v for v in given if v["status"] not in ("rejected", "promoted")]
    names = {b["batch_id"]: b.get("file_name") for b in batches if b}
    if rejected or missing or unknown:
        lines = [f"{v['file_name']} (batch {v['batch_id']}): {v['message_zh']}" for v in rejected]
        lines += [f"{v.get('file_name')} (batch {v['batch_id']}): unexpected status {v['status']!r}" for v in unknown]
        lines += [f"{names.get(bid)} (batch {bid}): no verdict — could not be validated (see the validate task log)"
                  if bid is not None else "a validate task returned no verdict" for bid in missing]
        raise QualityGateRejected(
            f"{len(rejected)} batch(es) rejected, {len(missing) + len(unknown)} not validated, {len(promoted)} promoted:\n"
            + "\n".join(lines))
    return {"promoted": promoted}
