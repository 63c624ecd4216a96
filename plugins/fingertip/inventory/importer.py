"""Inbox processing: one import batch per submitted inventory file, its rows staged as text.

``import_file(engine, path)``:

1. reads the file and computes its SHA-256 — the batch's identity;
2. if a batch with that checksum exists and its file was already filed away, the file is a
   **duplicate**: nothing is written to the store, the file goes to ``rejected/`` with a report
   naming the original batch;
3. otherwise it creates an ``import_batches`` row and stages every data row of every sheet into
   ``inventory_staging`` in the same transaction — cells as NFKC-normalised text under canonical
   field names (``data``; names and free text — :data:`VERBATIM_FIELDS` — verbatim, only stripped), the submitted header → cell text as well (``raw``), and the SHA-256 of
   the raw row (``request_fingerprint``). No validation happens here beyond structure: the
   validation stage reads the staged text, so e.g. a credit code Excel turned into
   ``1.144170000728042e+17`` is kept as that text for the validator to reject;
4. a file that cannot be read (not CSV/XLSX, empty, no recognisable header, no data rows) becomes
   a batch with status ``rejected`` and the reason in Chinese and English;
5. the file is moved to ``processed/`` (or ``rejected/``) beside the inbox, with
   ``<name>.report.json`` next to it; the report is also returned.

Crash safety: staging is one transaction, so a crash leaves either no batch or a complete one.
The report is written, then the file moved, then ``import_batches.report_path`` set. A batch
whose ``report_path`` is still empty was interrupted before its file was filed away: importing
the same file again resumes — it writes the report and moves the file, and stages nothing new.

Paths may be ``pathlib.Path`` objects, local path strings, URLs or ``airflow.sdk.ObjectStoragePath``
objects (the inbox is configurable through ``FINGERTIP_INBOX_URL``, see :mod:`fingertip.inventory`).
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import logging
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from fingertip.inventory import inbox_path
from fingertip.inventory.headers import HeaderMap, load_header_map
from fingertip.sources.coerce import text as normalise_text
from fingertip.sources.tables import ProblemLog, TableError, cell_text, is_imprecise_number, read_table
from fingertip.store import schema

log = logging.getLogger(__name__)

REPORT_SUFFIX = ".report.json"
REPORT_VERSION = 1
STAGE_CHUNK = 1000
PROCESSED_DIR = "processed"
REJECTED_DIR = "rejected"

#: Names never picked up from the inbox: hidden files, Office lock files, partial uploads.
_IGNORED_PREFIXES = (".", "~$", "~")
_IGNORED_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp", ".lock",
                     ".filepart", REPORT_SUFFIX)
_IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini"})


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What happened to one file. ``status``: ``staged``, ``rejected`` or ``duplicate`` (or, when
    an interrupted import was resumed, the stored batch's status with ``resumed=True``)."""

    status: str
    file_name: str
    checksum: str
    batch_id: int | None
    row_count: int
    rows_by_entity_type: dict[str, int]
    message_zh: str
    message_en: str
    report: dict[str, Any]
    moved_to: str | None = None
    report_path: str | None = None
    resumed: bool = False
    duplicate_of: int | None = None

    @property
    def message(self) -> str:
        return f"{self.message_zh}\n{self.message_en}"


# --------------------------------------------------------------------------------------------
# Paths (pathlib or ObjectStoragePath)
# --------------------------------------------------------------------------------------------


def _as_path(value: Any):
    if isinstance(value, str):
        if "://" in value:
            from airflow.sdk import ObjectStoragePath

            return ObjectStoragePath(value)
        return Path(value)
    if isinstance(value, os.PathLike) and not hasattr(value, "read_bytes"):
        return Path(value)
    return value


def _split_name(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return name, ""
    return stem, "." + ext


def _unique_target(folder, name: str, checksum: str):
    stem, ext = _split_name(name)
    candidates = [name, f"{stem}.{checksum[:8]}{ext}"]
    candidates += [f"{stem}.{checksum[:8]}.{n}{ext}" for n in range(2, 1000)]
    for candidate in candidates:
        target = folder / candidate
        if target.exists():
            continue
        report_file = folder / (candidate + REPORT_SUFFIX)
        # a report without its file is left by a run interrupted between the two: reuse its name
        if not report_file.exists() or _report_checksum(report_file) == checksum:
            return target
    raise FileExistsError(f"no free name for {name!r} in {folder}")  # pragma: no cover


def _report_checksum(report_file) -> str | None:
    try:
        return json.loads(report_file.read_text(encoding="utf-8")).get("checksum_sha256")
    except (OSError, ValueError, AttributeError):
        return None


def _move(src, dst):
    try:
        moved = src.rename(dst)
    except OSError as exc:
        if isinstance(src, Path) and exc.errno == errno.EXDEV:
            moved = Path(shutil.move(str(src), str(dst)))
        else:
            raise
    return moved if moved is not None else dst


def _file_away(path, folder, report: dict[str, Any], checksum: str) -> tuple[str, str]:
    """Write the report, then move the file beside it; returns (moved_to, report_path)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = _unique_target(folder, path.name, checksum)
    report_file = folder / (target.name + REPORT_SUFFIX)
    report["moved_to"] = str(target)
    report["report_path"] = str(report_file)
    report_file.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    moved = _move(path, target)
    log.info("inventory file %s moved to %s (report %s)", path.name, moved, report_file)
    return str(target), str(report_file)


def _ignored(name: str) -> bool:
    lower = name.lower()
    return lower.startswith(_IGNORED_PREFIXES) or lower.endswith(_IGNORED_SUFFIXES) or lower in _IGNORED_NAMES


def scan_inbox(inbox_dir: Any = None) -> list:
    """Files waiting in the inbox (default: the configured one), sorted by name.

    Skips folders, hidden files, Office lock files (``~$x.xlsx``) and partial uploads (``.part``,
    ``.tmp``, ``.crdownload`` …). Every other file is returned — a wrong file is then rejected with
    a report instead of lying in the inbox unnoticed.
    """
    inbox = _as_path(inbox_dir) if inbox_dir is not None else inbox_path()
    if not inbox.exists():
        log.info("inbox %s does not exist: nothing to import", inbox)
        return []
    files = [p for p in inbox.iterdir() if not _ignored(p.name) and p.is_file()]
    return sorted(files, key=lambda p: p.name)


# --------------------------------------------------------------------------------------------
# Analysis: read the table, map the columns, stage the rows
# --------------------------------------------------------------------------------------------


#: Fields kept as the unit wrote them (only surrounding whitespace stripped): names and free text end
#: up in official documents, so full-width punctuation such as （） must not be folded. Matching keys
#: are derived from them by folding (:func:`fingertip.quality.normalise.natural_keys`).
VERBATIM_FIELDS = frozenset({"name", "sponsor_name", "contact_name", "description", "purpose", "remarks",
                             "developer_name", "verified_entity", "division_name"})


def _verbatim(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


def _fingerprint(raw: dict[str, str | None]) -> str:
    payload = json.dumps(raw, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class _Analysis:
    """Reads one file and turns its rows into staging records, collecting the report details."""

    def __init__(self, file_name: str, header_map: HeaderMap, entity_type: str | None) -> None:
        self.file_name = file_name
        self.header_map = header_map
        self.forced_entity_type = entity_type
        self.format: str | None = None
        self.encoding: str | None = None
        self.delimiter: str | None = None
        self.sheets: list[dict[str, Any]] = []
        self.problems = ProblemLog()
        self.table_problems: ProblemLog | None = None
        self.rows_by_entity_type: Counter = Counter()
        self.row_count = 0

    def run(self, data: bytes, sink: Callable[[dict[str, Any]], None]) -> None:
        table = read_table(data, name=self.file_name, known_headers=self.header_map.is_known)
        self.format, self.encoding, self.delimiter = table.format, table.encoding, table.delimiter
        self.table_problems = table.problems
        with table:
            for sheet in table.sheets():
                self._sheet(sheet, sink)
        if self.row_count == 0:
            if any(sh.get("entity_type") is None for sh in self.sheets):
                raise TableError(
                    "entity_type_unknown",
                    "无法判断表格登记的是政务应用程序、政务公众账号还是工作群组。请使用标准台账模板的列名"
                    "（如“应用名称”“账号名称”“群名称”），或将工作表命名为“应用”“账号”“群组”。",
                    "Cannot tell whether the sheets list apps, official accounts or work groups. Use the "
                    "template's column names (e.g. 应用名称, 账号名称, 群名称) or name the sheets 应用/账号/群组.",
                )
            raise TableError("no_rows", "文件只有表头，没有数据行。", "The file has a header but no data rows.")

    def _sheet(self, sheet, sink) -> None:
        hm = self.header_map
        label = sheet.name
        entity = self.forced_entity_type or hm.infer_entity_type(
            sheet.header, sheet_name=sheet.name, title=sheet.title, file_name=self.file_name)
        summary: dict[str, Any] = {
            "sheet": sheet.name, "entity_type": entity, "header_row": sheet.header_row,
            "header_rows": list(sheet.header_rows or (sheet.header_row,)), "title": sheet.title,
            "rows_staged": 0,
        }
        self.sheets.append(summary)
        if entity is None:
            not_staged = sum(1 for _ in sheet)
            summary.update(status="skipped", rows_not_staged=not_staged)
            self.problems.add(
                "entity_type_unknown",
                f"无法判断该工作表登记的是应用、账号还是群组，{not_staged} 行未导入。",
                f"Cannot tell whether this sheet lists apps, accounts or work groups; {not_staged} rows not imported.",
                sheet=label,
            )
            log.warning("inventory %s: sheet %r skipped, entity type unknown (header %s)",
                        self.file_name, sheet.name, sheet.header)
            return
        mapping = hm.map_columns(sheet.header, entity)
        summary.update(
            entity_label=hm.label(entity), columns=dict(mapping.fields), ignored_columns=list(mapping.ignored),
            unknown_columns=list(mapping.unknown), duplicate_columns=dict(mapping.duplicates),
        )
        for header, field_name in mapping.duplicates.items():
            winner = next(h for h, f in mapping.fields.items() if f == field_name) \
                if field_name in mapping.fields.values() else None
            self.problems.add(
                "duplicate_column",
                f"列“{header}”与列“{winner}”都对应“{hm.fields(entity)[field_name].label}”，已采用后者，该列仅保留原文。",
                f"Column {header!r} and column {winner!r} both mean {field_name!r}; the latter is used, this one is "
                f"kept in the raw row only.",
                sheet=label, column=header,
            )
        ignored = set(mapping.ignored)
        staged = 0
        blank = 0
        for row in sheet:
            raw = {header: cell_text(value) for header, value in row.row.items()}
            if all(v is None or not v.strip() or h in ignored for h, v in raw.items()):
                blank += 1  # e.g. a template row with only its running number filled in
                continue
            for header, value in row.row.items():
                if is_imprecise_number(value):
                    self.problems.add(
                        "imprecise_number",
                        "长数字被 Excel 存成了数值，15 位之后的数字已丢失、无法恢复（如 18 位统一社会信用代码）；"
                        "请将该列设为“文本”格式后重新录入。",
                        "A long number was stored by Excel as a numeric value; digits after the 15th are lost and "
                        "cannot be recovered (e.g. 18-character credit codes). Format the column as Text and "
                        "re-enter the values.",
                        sheet=label, column=header, row=row.row_number,
                    )
            data = {name: (_verbatim(raw[header]) if name in VERBATIM_FIELDS else normalise_text(raw[header]))
                    for header, name in mapping.fields.items()}
            sink({
                "sheet": sheet.name, "row_number": row.row_number, "entity_type": entity,
                "data": data, "raw": raw, "request_fingerprint": _fingerprint(raw),
            })
            staged += 1
        skipped = dict(sheet.skipped)
        if blank:
            skipped["blank"] = skipped.get("blank", 0) + blank
        summary.update(status="staged", rows_staged=staged, skipped_rows=skipped)
        self.rows_by_entity_type[entity] += staged
        self.row_count += staged
        log.info("inventory %s: sheet %r → %s, %d rows, %d unknown columns", self.file_name, sheet.name,
                 entity, staged, len(mapping.unknown))

    def problem_list(self) -> tuple[list[dict[str, Any]], int]:
        logs = [p for p in (self.table_problems, self.problems) if p is not None]
        return [d for p in logs for d in p.to_list()], sum(p.dropped for p in logs)


class _Stager:
    def __init__(self, conn, batch_id: int) -> None:
        self.conn = conn
        self.batch_id = batch_id
        self.buffer: list[dict[str, Any]] = []

    def add(self, record: dict[str, Any]) -> None:
        record["batch_id"] = self.batch_id
        self.buffer.append(record)
        if len(self.buffer) >= STAGE_CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.conn.execute(sa.insert(schema.inventory_staging), self.buffer)
            self.buffer = []


# --------------------------------------------------------------------------------------------
# Messages and reports
# --------------------------------------------------------------------------------------------

_EN_LABELS = {"app": "apps", "account": "accounts", "work_group": "work groups"}


def _staged_messages(header_map: HeaderMap, rows: Counter) -> tuple[str, str]:
    total = sum(rows.values())
    parts_zh = "、".join(f"{header_map.label(e)} {n} 行" for e, n in rows.items() if n)
    parts_en = ", ".join(f"{_EN_LABELS.get(e, e)} {n}" for e, n in rows.items() if n)
    return (f"已暂存 {total} 行（{parts_zh}），等待校验。",
            f"{total} rows staged ({parts_en}), awaiting validation.")


def _split_message(message: str | None) -> tuple[str, str]:
    if not message:
        return "", ""
    zh, _, en = message.partition("\n")
    return zh, en


def _build_report(*, status: str, file_name: str, checksum: str, batch_id: int | None, submitting_unit: str | None,
                  received_at: dt.datetime, message: tuple[str, str], analysis: _Analysis | None,
                  rows_by_entity_type: dict[str, int], row_count: int, error: TableError | None = None,
                  resumed: bool = False, duplicate_of: int | None = None) -> dict[str, Any]:
    problems, dropped = analysis.problem_list() if analysis else ([], 0)
    unknown = [{"sheet": sh["sheet"], "column": c} for sh in (analysis.sheets if analysis else [])
               for c in sh.get("unknown_columns", [])]
    return {
        "report_version": REPORT_VERSION,
        "file_name": file_name,
        "checksum_sha256": checksum,
        "batch_id": batch_id,
        "status": status,
        "message": {"zh": message[0], "en": message[1]},
        "error": error.to_dict() if error else None,
        "duplicate_of": duplicate_of,
        "resumed": resumed,
        "submitting_unit": submitting_unit,
        "received_at": received_at.isoformat(timespec="seconds"),
        "processed_at": _now().isoformat(timespec="seconds"),
        "format": analysis.format if analysis else None,
        "encoding": analysis.encoding if analysis else None,
        "delimiter": analysis.delimiter if analysis else None,
        "row_count": row_count,
        "rows_by_entity_type": dict(rows_by_entity_type),
        "sheets": analysis.sheets if analysis else [],
        "unknown_columns": unknown,
        "problems": problems,
        "problems_not_listed": dropped,
        "moved_to": None,
        "report_path": None,
    }


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _naive_utc(value: dt.datetime | None) -> dt.datetime:
    if value is None:
        return _now()
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


def _batch_by_checksum(engine: Engine, checksum: str):
    with engine.connect() as conn:
        return conn.execute(
            sa.select(schema.import_batches).where(schema.import_batches.c.checksum == checksum)
        ).mappings().first()


def _insert_batch(conn, **values) -> int:
    return conn.execute(sa.insert(schema.import_batches).values(**values)).inserted_primary_key[0]


def _filed_earlier(engine: Engine, file_name: str, folders) -> ImportResult | None:
    """The import of ``file_name`` an interrupted earlier attempt filed away, completed; or None.

    Reports are written before their file is moved, so every filed file has its report beside it.
    A batch whose ``report_path`` is still unset is the one the interrupted attempt left (preferred);
    otherwise the newest batch of that name whose report and file are both filed.
    """
    found: list[tuple[bool, int, Any, dict[str, Any]]] = []
    for folder in folders:
        if not folder.exists():
            continue
        for report_file in folder.iterdir():
            if not report_file.name.endswith(REPORT_SUFFIX):
                continue
            try:
                report = json.loads(report_file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if not isinstance(report, dict) or report.get("file_name") != file_name:
                continue
            target = folder / report_file.name[: -len(REPORT_SUFFIX)]
            batch = _batch_by_checksum(engine, str(report.get("checksum_sha256")))
            if batch is None or not target.exists():
                continue
            found.append((batch["report_path"] is None, batch["id"], report_file, {**report, "_batch": batch}))
    if not found:
        return None
    unfinished, batch_id, report_file, report = max(found, key=lambda f: (f[0], f[1]))
    batch = report.pop("_batch")
    if unfinished:
        _set_report_path(engine, batch_id, str(report_file))
    log.warning("inventory %s: already filed away as batch %s by an earlier attempt (%s); resuming",
                file_name, batch_id, report_file)
    zh, en = _split_message(batch["message"])
    by_entity = {str(k): int(v) for k, v in (report.get("rows_by_entity_type") or {}).items()}
    return ImportResult(status=batch["status"], file_name=file_name, checksum=batch["checksum"], batch_id=batch_id,
                        row_count=batch["row_count"], rows_by_entity_type=by_entity, message_zh=zh,
                        message_en=en, report=report, moved_to=report.get("moved_to"),
                        report_path=str(report_file), resumed=True)


def _set_report_path(engine: Engine, batch_id: int, report_path: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(schema.import_batches).where(schema.import_batches.c.id == batch_id)
            .values(report_path=report_path[:1000], updated_at=sa.func.current_timestamp())
        )


def import_file(
    engine: Engine,
    path: Any,
    *,
    submitting_unit: str | None = None,
    received_at: dt.datetime | None = None,
    processed_dir: Any = None,
    rejected_dir: Any = None,
    header_map: HeaderMap | None = None,
    entity_type: str | None = None,
    move: bool = True,
) -> ImportResult:
    """Import one inventory file (see the module docstring); returns what happened.

    ``processed_dir``/``rejected_dir`` default to ``processed/`` and ``rejected/`` beside the folder
    holding ``path``. ``entity_type`` forces the entity type of every sheet (otherwise inferred).
    ``move=False`` leaves the file where it is and writes no report file (the report is returned).
    """
    path = _as_path(path)
    file_name = path.name
    inbox = path.parent
    processed = _as_path(processed_dir) if processed_dir is not None else inbox.parent / PROCESSED_DIR
    rejected = _as_path(rejected_dir) if rejected_dir is not None else inbox.parent / REJECTED_DIR
    if move and not path.exists():
        # A retried task whose earlier attempt died after filing the file away (a lost worker):
        # finish what that attempt recorded instead of failing on the missing inbox file.
        filed = _filed_earlier(engine, file_name, (processed, rejected))
        if filed is not None:
            return filed
        raise FileNotFoundError(
            f"inventory file {path} is not in the inbox, and no earlier import of {file_name!r} was filed "
            f"away in {processed} or {rejected}")
    data = path.read_bytes()
    checksum = hashlib.sha256(data).hexdigest()
    received = _naive_utc(received_at)
    header_map = header_map or load_header_map()
    context: dict[str, Any] = {
        "engine": engine, "path": path, "data": data, "file_name": file_name, "checksum": checksum,
        "received": received, "submitting_unit": submitting_unit, "header_map": header_map,
        "entity_type": entity_type, "processed": processed, "rejected": rejected, "move": move,
    }

    existing = _batch_by_checksum(engine, checksum)
    if existing is not None:
        if existing["report_path"] is None:
            return _resume(existing, **context)
        return _duplicate(existing, **context)

    analysis = _Analysis(file_name, header_map, entity_type)
    error: TableError | None = None
    batch_id: int | None = None
    try:
        with engine.begin() as conn:
            batch_id = _insert_batch(
                conn, file_name=file_name[:500], checksum=checksum, submitting_unit=submitting_unit,
                received_at=received, status="staged", row_count=0,
            )
            stager = _Stager(conn, batch_id)
            analysis.run(data, stager.add)
            stager.flush()
            zh, en = _staged_messages(header_map, analysis.rows_by_entity_type)
            types = [e for e, n in analysis.rows_by_entity_type.items() if n]
            conn.execute(
                sa.update(schema.import_batches).where(schema.import_batches.c.id == batch_id).values(
                    row_count=analysis.row_count, entity_type=types[0] if len(types) == 1 else None,
                    message=f"{zh}\n{en}", updated_at=sa.func.current_timestamp(),
                )
            )
    except TableError as exc:  # the staging transaction rolled back: record a rejected batch
        error = exc
    except IntegrityError as exc:
        return _concurrent(context, exc)

    if error is not None:
        log.warning("inventory %s rejected: %s", file_name, error.message_en)
        try:
            with engine.begin() as conn:
                batch_id = _insert_batch(
                    conn, file_name=file_name[:500], checksum=checksum, submitting_unit=submitting_unit,
                    received_at=received, status="rejected", row_count=0, message=str(error),
                )
        except IntegrityError as exc:
            return _concurrent(context, exc)
        status, zh, en = "rejected", error.message_zh, error.message_en
        for sheet in analysis.sheets:  # whatever was staged before the error was rolled back
            if sheet.get("rows_staged"):
                sheet["rows_staged"] = 0
                sheet["status"] = "rolled_back"
        rows_by_entity: dict[str, int] = {}
        row_count = 0
    else:
        assert batch_id is not None  # the staging transaction committed its batch row
        status = "staged"
        rows_by_entity = {e: n for e, n in analysis.rows_by_entity_type.items() if n}
        row_count = analysis.row_count
        log.info("inventory %s staged as batch %s: %d rows %s", file_name, batch_id, row_count, rows_by_entity)
    report = _build_report(
        status=status, file_name=file_name, checksum=checksum, batch_id=batch_id, submitting_unit=submitting_unit,
        received_at=received, message=(zh, en), analysis=analysis, rows_by_entity_type=rows_by_entity,
        row_count=row_count, error=error,
    )
    result = ImportResult(status=status, file_name=file_name, checksum=checksum, batch_id=batch_id,
                          row_count=row_count, rows_by_entity_type=rows_by_entity, message_zh=zh, message_en=en,
                          report=report)
    if move:
        result.moved_to, result.report_path = _file_away(path, rejected if error else processed, report, checksum)
        _set_report_path(engine, batch_id, result.report_path)
    return result


def _concurrent(context: dict[str, Any], exc: IntegrityError) -> ImportResult:
    """Another run recorded the same checksum meanwhile: leave the file to that run."""
    again = _batch_by_checksum(context["engine"], context["checksum"])
    if again is None:  # not a checksum race
        raise exc
    log.warning("inventory %s: imported concurrently as batch %s; leaving the file to that run",
                context["file_name"], again["id"])
    return _duplicate(again, **{**context, "move": False})


def _staged_counts(engine: Engine, batch_id: int) -> tuple[Counter, Counter]:
    t = schema.inventory_staging
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.sheet, t.c.entity_type, sa.func.count()).where(t.c.batch_id == batch_id)
            .group_by(t.c.sheet, t.c.entity_type)
        ).all()
    by_sheet: Counter = Counter()
    by_entity: Counter = Counter()
    for sheet, entity, n in rows:
        by_sheet[sheet] += n
        by_entity[entity] += n
    return by_sheet, by_entity


def _resume(existing, *, engine, path, data, file_name, checksum, received, submitting_unit, header_map,
            entity_type, processed, rejected, move) -> ImportResult:
    """An earlier run recorded the batch but stopped before filing the file away: finish that."""
    batch_id = existing["id"]
    status = existing["status"]
    log.warning("inventory %s: batch %s (%s) was recorded but the file was not moved; resuming",
                file_name, batch_id, status)
    analysis = _Analysis(file_name, header_map, entity_type)
    error = None
    try:
        analysis.run(data, lambda _record: None)  # re-read only for the report details
    except TableError as exc:
        error = exc
    by_sheet, by_entity = _staged_counts(engine, batch_id)
    for sheet in analysis.sheets:  # the store is authoritative for what was staged
        sheet["rows_staged"] = by_sheet.get(sheet["sheet"], 0)
    zh, en = _split_message(existing["message"])
    report = _build_report(
        status=status, file_name=file_name, checksum=checksum, batch_id=batch_id,
        submitting_unit=existing["submitting_unit"], received_at=existing["received_at"], message=(zh, en),
        analysis=analysis, rows_by_entity_type=dict(by_entity), row_count=existing["row_count"],
        error=error if status == "rejected" else None, resumed=True,
    )
    result = ImportResult(status=status, file_name=file_name, checksum=checksum, batch_id=batch_id,
                          row_count=existing["row_count"], rows_by_entity_type=dict(by_entity), message_zh=zh,
                          message_en=en, report=report, resumed=True)
    if move:
        folder = rejected if status == "rejected" else processed
        result.moved_to, result.report_path = _file_away(path, folder, report, checksum)
        _set_report_path(engine, batch_id, result.report_path)
    return result


def _duplicate(existing, *, engine, path, data, file_name, checksum, received, submitting_unit, header_map,
               entity_type, processed, rejected, move) -> ImportResult:
    """The same content was imported before: write nothing to the store, file it as rejected."""
    original = existing["id"]
    when = existing["received_at"]
    when_text = when.strftime("%Y-%m-%d %H:%M") if isinstance(when, dt.datetime) else str(when)
    zh = (f"与已导入的批次 {original}（文件“{existing['file_name']}”，{when_text} 接收，状态 {existing['status']}）"
          f"内容完全相同，未重复导入。")
    en = (f"Identical to batch {original} (file {existing['file_name']!r}, received {when_text}, status "
          f"{existing['status']}); not imported again.")
    log.info("inventory %s is a duplicate of batch %s", file_name, original)
    report = _build_report(
        status="duplicate", file_name=file_name, checksum=checksum, batch_id=None, submitting_unit=submitting_unit,
        received_at=received, message=(zh, en), analysis=None, rows_by_entity_type={}, row_count=0,
        duplicate_of=original,
    )
    result = ImportResult(status="duplicate", file_name=file_name, checksum=checksum, batch_id=None, row_count=0,
                          rows_by_entity_type={}, message_zh=zh, message_en=en, report=report,
                          duplicate_of=original)
    if move:
        result.moved_to, result.report_path = _file_away(path, rejected, report, checksum)
    return result


def process_inbox(engine: Engine, inbox_dir: Any = None, **kwargs: Any) -> list[ImportResult]:
    """Import every file waiting in the inbox (see :func:`scan_inbox`), in name order.

    A file that fails unexpectedly (not a :class:`TableError`, which rejects it) does not stop the
    others; the failures are raised together at the end, leaving those files in the inbox.
    """
    results: list[ImportResult] = []
    failures: list[tuple[str, BaseException]] = []
    for path in scan_inbox(inbox_dir):
        try:
            results.append(import_file(engine, path, **kwargs))
        except Exception as exc:  # one failing file must not stop the others; all failures are raised below
            log.exception("inventory %s: import failed", path.name)
            failures.append((path.name, exc))
    if failures:
        names = ", ".join(f"{n} ({e.__class__.__name__}: {e})" for n, e in failures)
        raise RuntimeError(f"{len(failures)} inbox file(s) failed to import and stay in the inbox: {names}") \
            from failures[0][1]
    return results


def summarise(results: Iterable[ImportResult]) -> dict[str, Any]:
    """Counts for task logs and XCom: files by status, rows staged, batch ids."""
    results = list(results)
    by_status = Counter(r.status if not r.resumed else f"{r.status} (resumed)" for r in results)
    return {
        "files": len(results),
        "by_status": dict(by_status),
        "rows_staged": sum(r.row_count for r in results if r.status == "staged"),
        "batch_ids": [r.batch_id for r in results if r.batch_id is not None],
    }


__all__ = ["ImportResult", "import_file", "process_inbox", "scan_inbox", "summarise"]
