"""Streaming reader for tabular files: inventory spreadsheets (台账) and vendor exports.

``read_table(source, name=…, sheet=…, known_headers=…)`` opens a CSV or XLSX file and returns a
:class:`Table`. Iterating the table yields :class:`TableRow` tuples
``(sheet, row_number, header, row)`` lazily, one sheet after the other; nothing is loaded whole.

What it copes with, because units and vendors really send it:

* **Format by content**, not by name: XLSX is a ZIP with ``xl/workbook.xml``; anything else that is
  text is CSV. Old ``.xls`` (OLE2), encrypted workbooks, ``.xlsb``, ODS, PDF, HTML or XML
  "Excel" exports, images and other binaries raise :class:`TableError` with a Chinese message and
  its English translation ("文件不是有效的 Excel/CSV 文件 / The file is not a valid Excel/CSV file").
* **CSV encodings**: UTF-8, UTF-8 with BOM, UTF-16 with BOM (Excel's "Unicode text"), otherwise
  GB18030 (a superset of GBK/GB2312). The delimiter is sniffed among ``,`` ``\\t`` and ``;``.
  Excel's text-preserving ``="0123"`` cells are unwrapped.
* **XLSX** through openpyxl in read-only mode with cached values (``data_only=True``). A formula
  cell that was never calculated (a file written by a program, not saved by Excel/WPS) has no
  cached value: it reads as empty and is reported as a problem. Vertically merged data cells are
  filled down (a sponsor merged over several apps applies to each). Hidden sheets are skipped unless
  asked for by name.
* **Header row detection**: leading blank rows and title rows ("XX省政务应用程序台账（2026年）")
  are skipped; the header is the first row (within :data:`HEADER_SCAN_ROWS`) in which at least
  ``min_header_matches`` cells are known header names (``known_headers``), or — without
  ``known_headers`` — the first row with at least two text cells. Header cells may contain line
  breaks, full-width characters and "（必填）"/"*" markers: :func:`normalise_header` folds them.
  **Two-row headers** (group titles merged above the column names, as provincial offices send
  them) are recognised: the row below the first header-like row is the real header when combining
  them gives more known names (``Sheet.header_rows`` lists both; a ``two_row_header`` note says so).
* **Noise inside the data**: blank rows, repeated header rows (sheets pasted together) and note
  rows ("填表说明：…", "填报人：…") are skipped and counted.
* **Row numbers** are the ones the user sees: 1-based spreadsheet rows, CSV record numbers.

Row dicts map each header (display text, made unique) to the cell's value: ``str`` for CSV, the
typed openpyxl value for XLSX (``str``, ``int``, ``float``, ``datetime``, ``bool``), ``None`` for an
empty cell. :func:`cell_text` renders a value as the text a user would see — integer-valued floats
without ``.0``; floats of 16+ digits (long ids Excel turned into numbers) keep Python's shortest
``repr`` because their trailing digits are lost and must not be guessed.

Non-fatal observations (formula without cached value, data under a blank header, sheets without a
header, …) are collected in :attr:`Table.problems`, grouped by kind, sheet and column.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import logging
import math
import os
import re
import unicodedata
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, Self

log = logging.getLogger(__name__)

#: Rows examined (per sheet) when looking for the header row.
HEADER_SCAN_ROWS = 50
#: Known header names a row must contain to be taken as the header row.
MIN_HEADER_MATCHES = 2
#: Row numbers listed per grouped problem (the count is always exact).
MAX_ROWS_PER_PROBLEM = 50
#: Distinct grouped problems kept per table.
MAX_PROBLEMS = 200

_SNIFF_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_DELIMITERS = (",", "\t", ";")

_READ_ERRORS = (zipfile.BadZipFile, KeyError, ValueError, TypeError, IndexError, OSError, EOFError,
                csv.Error, UnicodeDecodeError, SyntaxError, zlib.error)

_INVALID_ZH = "文件不是有效的 Excel/CSV 文件"
_INVALID_EN = "The file is not a valid Excel/CSV file"
_RESAVE_ZH = "请用 Excel 或 WPS 打开后另存为 .xlsx（或 CSV UTF-8）格式再提交。"
_RESAVE_EN = "Please open it in Excel or WPS, save it as .xlsx (or CSV UTF-8) and submit it again."


# --------------------------------------------------------------------------------------------
# Errors and problems
# --------------------------------------------------------------------------------------------


class TableError(ValueError):
    """The file cannot be read as a table at all. Carries a Chinese and an English message."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh}\n{message_en}")

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "zh": self.message_zh, "en": self.message_en}


def _invalid(code: str, what_zh: str, what_en: str) -> TableError:
    return TableError(
        code,
        f"{_INVALID_ZH}：{what_zh}。{_RESAVE_ZH}",
        f"{_INVALID_EN}: {what_en}. {_RESAVE_EN}",
    )


@dataclass
class Problem:
    """A non-fatal observation, grouped by ``code``, sheet and column; ``rows`` lists examples."""

    code: str
    zh: str
    en: str
    sheet: str | None = None
    column: str | None = None
    rows: list[int] = field(default_factory=list)
    count: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "zh": self.zh, "en": self.en}
        if self.sheet is not None:
            out["sheet"] = self.sheet
        if self.column is not None:
            out["column"] = self.column
        if self.rows:
            out["rows"] = list(self.rows)
        out["count"] = self.count
        return out


class ProblemLog:
    """Problems grouped by (code, sheet, column); bounded so a bad file cannot flood a report."""

    def __init__(self, max_problems: int = MAX_PROBLEMS, max_rows: int = MAX_ROWS_PER_PROBLEM) -> None:
        self._items: dict[tuple, Problem] = {}
        self._max_problems = max_problems
        self._max_rows = max_rows
        self.dropped = 0

    def add(self, code: str, zh: str, en: str, *, sheet: str | None = None, column: str | None = None,
            row: int | None = None) -> None:
        key = (code, sheet, column)
        problem = self._items.get(key)
        if problem is None:
            if len(self._items) >= self._max_problems:
                self.dropped += 1
                return
            problem = self._items[key] = Problem(code, zh, en, sheet, column)
        problem.count += 1
        if row is not None and len(problem.rows) < self._max_rows:
            problem.rows.append(row)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def codes(self) -> set[str]:
        return {p.code for p in self._items.values()}

    def to_list(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self._items.values()]


# --------------------------------------------------------------------------------------------
# Header and cell text
# --------------------------------------------------------------------------------------------

_WS = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_REQUIRED = r"(?:必填项?|选填项?|可选填?|非必填|必须填写|必录项?|选录)"
_MARKER_TAIL = re.compile(rf"(?:[*★※]+|[(\[【]{_REQUIRED}[)\]】]|{_REQUIRED}|[:])$")
_MARKER_HEAD = re.compile(rf"^(?:[*★※]+|[(\[【]{_REQUIRED}[)\]】])")
_TRAILING_NOTE = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]$")


def _strip_markers(s: str) -> str:
    previous = None
    while s != previous:
        previous = s
        s = _MARKER_TAIL.sub("", _MARKER_HEAD.sub("", s))
    return s


def normalise_header(value: Any) -> str:
    """Matching key of a header cell: NFKC, no whitespace/line breaks, no required markers, casefold.

    ``"应用名称\\n（必填）"``, ``"＊应用名称"`` and ``" 应用 名称 "`` all become ``"应用名称"``;
    ``"App Store ID"`` becomes ``"appstoreid"``.
    """
    if value is None:
        return ""
    s = _WS.sub("", unicodedata.normalize("NFKC", str(value)))
    return _strip_markers(s).casefold()


def header_variants(value: Any) -> tuple[str, ...]:
    """:func:`normalise_header`, then the same without trailing parenthetical notes.

    ``"上线时间（格式：2024-01-01）"`` → ``("上线时间(格式:2024-01-01)", "上线时间")``. Matchers try the
    variants in order, so an exact synonym always wins over a stripped one.
    """
    key = normalise_header(value)
    if not key:
        return ()
    out = [key]
    current = key
    while (m := _TRAILING_NOTE.search(current)) and m.start() > 0:
        current = _strip_markers(current[: m.start()])
        if not current:
            break
        out.append(current)
    return tuple(dict.fromkeys(out))


def display_header(value: Any) -> str:
    """A header cell as a one-line label: line breaks removed (a space only between ASCII words)."""
    if value is None:
        return ""
    s = cell_text(value) or ""
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    parts = [p.strip() for p in s.split("\n") if p.strip()]
    if not parts:
        return ""
    out = parts[0]
    for part in parts[1:]:
        glue = " " if out[-1].isascii() and out[-1].isalnum() and part[0].isascii() and part[0].isalnum() else ""
        out += glue + part
    return re.sub(r"[ \t\u3000]{2,}", " ", out)


def is_imprecise_number(value: Any) -> bool:
    """A float of 16 or more digits: Excel keeps 15 significant digits, the rest is lost."""
    return isinstance(value, float) and math.isfinite(value) and abs(value) >= 1e15


def cell_text(value: Any) -> str | None:
    """The text a user would see for a cell value; ``None`` for empty cells.

    Integer-valued floats lose their ``.0`` (``12.0`` → ``"12"``) while they are exact (below
    2**53); larger floats — an 18-digit credit code Excel stored as a number — keep their shortest
    repr (``"1.1441700007280421e+17"``): their lost digits cannot be recovered and must not be faked.
    Dates render as ISO ``YYYY-MM-DD`` (with `` HH:MM:SS`` when there is a time of day).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    text = str(value)
    return text if text.strip() else None


# --------------------------------------------------------------------------------------------
# Public types
# --------------------------------------------------------------------------------------------


class TableRow(NamedTuple):
    sheet: str
    row_number: int
    header: list[str]
    row: dict[str, Any]


HeaderMatcher = Callable[[str], bool]


def _matcher(known: HeaderMatcher | Iterable[str] | None) -> HeaderMatcher | None:
    if known is None or callable(known):
        return known
    keys = {normalise_header(k) for k in known} - {""}

    def match(header: str) -> bool:
        return any(v in keys for v in header_variants(header))

    return match


@dataclass
class Sheet:
    """One sheet's header and its data rows (iterate it once, before asking for the next sheet)."""

    name: str
    index: int
    header: list[str]
    header_row: int
    title: str | None
    _rows: Iterator[TableRow] = field(repr=False)
    skipped: Counter = field(default_factory=Counter, repr=False)
    #: every row the header was read from: ``(header_row,)`` or, for a two-row header with merged
    #: group titles above the column names, ``(group row, header_row)``
    header_rows: tuple[int, ...] = ()

    def __iter__(self) -> Iterator[TableRow]:
        return self._rows

    def rows(self) -> Iterator[TableRow]:
        return self._rows


class Table:
    """A readable table: :meth:`sheets` (header and rows per sheet) or plain iteration over rows."""

    def __init__(self, *, name: str, fmt: str, opener: Callable[[], BinaryIO], path: Path | None,
                 sheet: str | int | None, known: HeaderMatcher | None, min_matches: int,
                 scan_rows: int, encoding: str | None = None, delimiter: str | None = None,
                 problems: ProblemLog | None = None) -> None:
        self.name = name
        self.format = fmt
        self.encoding = encoding
        self.delimiter = delimiter
        self.problems = problems if problems is not None else ProblemLog()
        self._opener = opener
        self._path = path
        self._sheet = sheet
        self._known = known
        self._min_matches = min_matches
        self._scan_rows = scan_rows
        self._workbook: Any = None  # openpyxl read-only Workbook, opened on first read
        self._sheet_names: list[str] | None = None
        if fmt == "xlsx":
            self._open_workbook()

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        if self._workbook is not None:
            try:
                self._workbook.close()
            finally:
                self._workbook = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self) -> Iterator[TableRow]:
        for sheet in self.sheets():
            yield from sheet

    @property
    def sheet_names(self) -> list[str]:
        """Worksheet names of an XLSX file (``[""]`` for CSV)."""
        return list(self._sheet_names) if self._sheet_names is not None else [""]

    # -- sheets ------------------------------------------------------------------------------

    def sheets(self) -> Iterator[Sheet]:
        """Each sheet with a recognisable header; raises :class:`TableError` if none has one."""
        found = 0
        nonempty = 0
        try:
            for index, name, raw_rows, merges, formula_cells in self._raw_sheets():
                sheet = self._make_sheet(index, name, self._guard(raw_rows), merges, formula_cells)
                if sheet is _EMPTY:
                    continue
                nonempty += 1
                if sheet is _NO_HEADER:
                    continue
                found += 1
                yield sheet
        except TableError:
            raise
        except _READ_ERRORS as exc:
            raise self._corrupt(exc) from exc
        finally:
            self.close()
        if found == 0:
            if nonempty == 0:
                raise TableError("empty", "文件中没有任何数据。", "The file contains no data.")
            what_zh = "每个工作表" if self.format == "xlsx" else "文件"
            what_en = "any worksheet" if self.format == "xlsx" else "the file"
            raise TableError(
                "no_header",
                f"未能识别表头：在{what_zh}的前 {self._scan_rows} 行中没有找到包含至少 {self._min_matches} 个"
                f"可识别列名的行。请使用标准模板，并保留其表头行。",
                f"No header row found: none of the first {self._scan_rows} rows of {what_en} contains at "
                f"least {self._min_matches} recognised column names. Please use the standard template and "
                f"keep its header row.",
            )

    def _corrupt(self, exc: BaseException) -> TableError:
        log.warning("table %s: reading failed: %s", self.name, exc, exc_info=exc)
        return TableError(
            "corrupt",
            f"{_INVALID_ZH}：文件已损坏或格式异常，无法读取（{exc.__class__.__name__}）。{_RESAVE_ZH}",
            f"{_INVALID_EN}: it is damaged or malformed and cannot be read ({exc.__class__.__name__}). "
            f"{_RESAVE_EN}",
        )

    def _guard(self, rows: Iterator[tuple[int, tuple]]) -> Iterator[tuple[int, tuple]]:
        """Turn parser errors met while streaming rows into :class:`TableError`."""
        try:
            yield from rows
        except TableError:
            raise
        except _READ_ERRORS as exc:
            raise self._corrupt(exc) from exc

    def _raw_sheets(self):
        """(index, name, iterator of (row_number, values), merges, formula cells) per sheet."""
        if self.format == "csv":
            if self._sheet not in (None, "", 0):
                raise TableError(
                    "sheet_not_found",
                    f"CSV 文件没有名为“{self._sheet}”的工作表。",
                    f"A CSV file has no worksheet named {self._sheet!r}.",
                )
            yield 0, "", self._csv_rows(), [], {}
            return
        yield from self._xlsx_sheets()

    # -- CSV ---------------------------------------------------------------------------------

    def _csv_rows(self) -> Iterator[tuple[int, tuple]]:
        with self._opener() as raw:
            text = io.TextIOWrapper(raw, encoding=self.encoding, newline="")
            try:
                reader = csv.reader(text, delimiter=self.delimiter or ",")
                for number, record in enumerate(reader, start=1):
                    yield number, tuple(_csv_cell(c) for c in record)
            finally:
                text.detach()

    # -- XLSX --------------------------------------------------------------------------------

    def _open_workbook(self) -> None:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        source = self._path if self._path is not None else self._opener()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError,
                SyntaxError, zlib.error) as exc:
            log.warning("table %s: openpyxl cannot open it: %s", self.name, exc)
            raise _invalid("corrupt", f"工作簿已损坏或格式异常（{exc.__class__.__name__}）",
                           f"the workbook is damaged or malformed ({exc.__class__.__name__})") from exc
        self._sheet_names = list(self._workbook.sheetnames)

    def _select_sheets(self) -> list:
        wb = self._workbook
        sheets = wb.worksheets
        if self._sheet is None:
            chosen = []
            for ws in sheets:
                if getattr(ws, "sheet_state", "visible") != "visible":
                    self.problems.add(
                        "hidden_sheet_skipped", "隐藏的工作表未导入。", "Hidden worksheet not imported.",
                        sheet=ws.title,
                    )
                    continue
                chosen.append(ws)
            return chosen
        if isinstance(self._sheet, int):
            if 0 <= self._sheet < len(sheets):
                return [sheets[self._sheet]]
        else:
            wanted = normalise_header(self._sheet)
            for ws in sheets:
                if ws.title == self._sheet or normalise_header(ws.title) == wanted:
                    return [ws]
        names = "、".join(ws.title for ws in sheets)
        raise TableError(
            "sheet_not_found",
            f"工作簿中没有工作表“{self._sheet}”（现有：{names}）。",
            f"The workbook has no worksheet {self._sheet!r} (it has: {', '.join(ws.title for ws in sheets)}).",
        )

    def _xlsx_sheets(self):
        if self._workbook is None:
            self._open_workbook()
        for ws in self._select_sheets():
            index = self._workbook.worksheets.index(ws)
            merges, formula_cells = _scan_sheet_xml(self._workbook, ws)
            if hasattr(ws, "reset_dimensions"):
                ws.reset_dimensions()  # never trust the stored <dimension>: read every row and column
            rows = ((n, tuple(values)) for n, values in enumerate(ws.iter_rows(values_only=True), start=1))
            yield index, ws.title, rows, merges, formula_cells

    # -- header and rows ---------------------------------------------------------------------

    def _is_header(self, values: tuple) -> bool:
        texts = [display_header(v) for v in values if isinstance(v, str)]
        texts = [t for t in texts if t]
        if self._known is None:
            return len(texts) >= 2 and len(texts) == sum(1 for v in values if not _blank(v))
        return sum(1 for t in texts if self._known(t)) >= self._min_matches

    def _known_count(self, values: Iterable[Any]) -> int:
        assert self._known is not None
        return sum(1 for v in values if isinstance(v, str) and (t := display_header(v)) and self._known(t))

    def _two_row_header(self, upper_row: int, upper: tuple, below: tuple[int, tuple],
                        merges: list[tuple[int, int, int, int]]) -> tuple | None:
        """The combined header when ``upper`` is a row of group titles over the real column names.

        Provincial ledgers often put group titles (主办单位, 备案信息 …) merged across several
        columns above the column names, with the columns that have no group merged over both rows
        (the name then sits in the upper row only). For each column the combined header is the
        lower cell (or the group title followed by it, e.g. 主办单位 + 名称 → 主办单位名称, when
        that is a known name), else the upper cell. It is the header when it has more known column
        names than the upper row alone; otherwise ``None`` (the row below is data).
        """
        number, lower = below
        if number != upper_row + 1 or not any(not _blank(v) for v in lower):
            return None
        groups: dict[int, Any] = {}
        for min_row, min_col, _max_row, max_col in merges:
            if min_row == upper_row and max_col > min_col:  # a horizontal merge in the upper row
                title = upper[min_col - 1] if min_col - 1 < len(upper) else None
                for pos in range(min_col - 1, max_col):
                    groups[pos] = title
        combined: list[Any] = []
        for pos in range(max(len(upper), len(lower))):
            top = upper[pos] if pos < len(upper) else None
            low = lower[pos] if pos < len(lower) else None
            if _blank(low):  # a column merged over both rows keeps its name in the upper cell
                combined.append(top)
                continue
            group = groups.get(pos, top if not _blank(top) else None)
            joined = f"{display_header(group)}{display_header(low)}" if isinstance(group, str) else None
            if joined and isinstance(low, str) and self._known_count([joined]):
                combined.append(joined)
            else:
                combined.append(low)
        values = tuple(combined)
        if self._known_count(values) > self._known_count(upper):
            return values
        return None

    def _make_sheet(self, index: int, name: str, raw_rows: Iterator[tuple[int, tuple]],
                    merges: list[tuple[int, int, int, int]], formula_cells: dict[int, list[int]]):
        seen_content = False
        header_at: tuple[int, tuple] | None = None
        title: str | None = None
        for number, values in raw_rows:
            if self._is_header(values):
                header_at = (number, values)
                break
            if any(not _blank(v) for v in values):
                seen_content = True
                if title is None:
                    title = next((display_header(v) for v in values if not _blank(v)), None)
            if number >= self._scan_rows:
                break
        # nothing at all in the first rows nor below: an empty sheet (data starting very low is
        # reported as a sheet without header)
        if header_at is None and not seen_content and not any(
                any(not _blank(v) for v in values) for _, values in raw_rows):
            return _EMPTY
        if header_at is None:
            label = name or self.name
            self.problems.add(
                "no_header", f"未找到表头（前 {self._scan_rows} 行中没有可识别的列名），该表未导入。",
                f"No header row in the first {self._scan_rows} rows; sheet not imported.", sheet=label,
            )
            log.info("table %s: sheet %r has no recognisable header", self.name, name)
            return _NO_HEADER
        header_row, header_values = header_at
        header_rows: tuple[int, ...] = (header_row,)
        if self._known is not None:
            below = next(raw_rows, None)
            combined = self._two_row_header(header_row, header_values, below, merges) if below else None
            if combined is not None:
                assert below is not None  # combined implies a row below
                header_rows = (header_row, below[0])
                header_row, header_values = below[0], combined
                self.problems.add(
                    "two_row_header",
                    f"表头为两行（第 {header_rows[0]}–{header_rows[1]} 行，上一行为合并的分组标题），"
                    f"已按第 {header_rows[1]} 行的列名导入，数据从第 {header_rows[1] + 1} 行开始。",
                    f"Two-row header (rows {header_rows[0]}-{header_rows[1]}, group titles merged above): "
                    f"columns taken from row {header_rows[1]}, data starts at row {header_rows[1] + 1}.",
                    sheet=name or self.name,
                )
            elif below is not None:
                raw_rows = itertools.chain([below], raw_rows)
        columns: list[tuple[int, str]] = []
        seen: Counter = Counter()
        for pos, value in enumerate(header_values):
            label = display_header(value)
            if not label:
                continue
            seen[label] += 1
            if seen[label] > 1:
                unique = f"{label}[{seen[label]}]"
                self.problems.add(
                    "duplicate_header", f"列名“{label}”重复出现，后出现的列记为“{unique}”。",
                    f"Column name {label!r} appears more than once; the later column is kept as {unique!r}.",
                    sheet=name, column=label,
                )
                label = unique
            columns.append((pos, label))
        header = [label for _, label in columns]
        header_keys = {pos: normalise_header(v) for pos, v in enumerate(header_values) if not _blank(v)}
        sheet = Sheet(name=name, index=index, header=header, header_row=header_row, title=title,
                      _rows=iter(()), header_rows=header_rows)
        sheet._rows = self._data_rows(sheet, raw_rows, columns, header_keys, merges, formula_cells)
        log.debug("table %s: sheet %r header at row %d: %s", self.name, name, header_row, header)
        return sheet

    def _data_rows(self, sheet: Sheet, raw_rows: Iterator[tuple[int, tuple]], columns: list[tuple[int, str]],
                   header_keys: dict[int, str], merges: list[tuple[int, int, int, int]],
                   formula_cells: dict[int, list[int]]) -> Iterator[TableRow]:
        width = max((pos for pos, _ in columns), default=-1) + 1
        header = sheet.header
        label_at = dict(columns)
        # vertical merges that start below the header: fill the top value down the first column
        pending = sorted((m for m in merges if m[0] > sheet.header_row and m[2] > m[0]), key=lambda m: m[0])
        active: list[tuple[int, int, Any]] = []  # (last row, column position, value)
        filled = 0
        for number, values in raw_rows:
            if pending or active:
                values, filled_here = _fill_merged(number, values, pending, active)
                filled += filled_here
            nonblank = [pos for pos, v in enumerate(values) if not _blank(v)]
            if not nonblank:
                sheet.skipped["blank"] += 1
                continue
            if _is_repeated_header(values, nonblank, header_keys):
                sheet.skipped["repeated_header"] += 1
                self.problems.add("repeated_header_skipped", "数据中重复出现的表头行已跳过。",
                                  "Repeated header row inside the data skipped.", sheet=sheet.name, row=number)
                continue
            if _is_note_row(values, nonblank):
                sheet.skipped["note"] += 1
                self.problems.add("note_row_skipped", "说明/落款行已跳过。", "Note or signature row skipped.",
                                  sheet=sheet.name, row=number)
                continue
            extra = [pos for pos in nonblank if pos >= width or pos not in label_at]
            for pos in extra:
                self.problems.add(
                    "data_without_header", "有数据的列没有列名，该列已忽略。",
                    "A column holds data but has no header; it was ignored.",
                    sheet=sheet.name, column=_column_letter(pos), row=number,
                )
            for pos in formula_cells.get(number, ()):
                if pos in label_at:
                    self.problems.add(
                        "formula_without_value",
                        "公式单元格没有计算结果（文件未经 Excel/WPS 保存），按空值处理；请在 Excel/WPS 中打开并保存后重新提交。",
                        "Formula cell has no cached value (the file was not saved by Excel/WPS); read as empty. "
                        "Open and save it in Excel/WPS, then submit it again.",
                        sheet=sheet.name, column=label_at[pos], row=number,
                    )
            row = {label: (values[pos] if pos < len(values) else None) for pos, label in columns}
            yield TableRow(sheet.name, number, header, row)
        if filled:
            self.problems.add("merged_cells_filled", f"合并单元格已按首格的值向下填充（{filled} 个单元格）。",
                              f"Merged cells filled down with their top value ({filled} cells).", sheet=sheet.name)


class _Marker:
    pass


_EMPTY = _Marker()
_NO_HEADER = _Marker()


# --------------------------------------------------------------------------------------------
# Row helpers
# --------------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    return False


_EXCEL_TEXT = re.compile(r'^="(.*)"$', re.DOTALL)


def _csv_cell(cell: str) -> str | None:
    if not cell or not cell.strip():
        return None
    m = _EXCEL_TEXT.match(cell)
    if m:
        inner = m.group(1).replace('""', '"')
        return inner or None
    return cell


def _may_be(value: str, key: str) -> bool:
    """Cheap pre-check that ``normalise_header(value)`` could equal ``key``: its last character
    (or, for ASCII, its upper-case or full-width form) occurs in the value."""
    c = key[-1]
    if c in value:
        return True
    if c.isascii() and c.isprintable() and c != " ":
        upper = c.upper()
        return upper in value or chr(ord(c) + 0xFEE0) in value or chr(ord(upper) + 0xFEE0) in value
    return False


def _is_repeated_header(values: tuple, nonblank: list[int], header_keys: dict[int, str]) -> bool:
    same = 0
    for pos in nonblank:
        value, key = values[pos], header_keys.get(pos)
        if key and isinstance(value, str) and _may_be(value, key) and normalise_header(value) == key:
            same += 1
    return same >= 2 and same * 2 >= len(nonblank)


_NOTE = re.compile(
    r"^(?:注\s*\d*|说明|填表说明|填报说明|备注说明|填报人|填表人|审核人|制表人|负责人|单位负责人|分管领导|"
    r"填报日期|填表日期|制表日期|填报单位|联系人|联系电话)\s*[:：]"
)


def _is_note_row(values: tuple, nonblank: list[int]) -> bool:
    if len(nonblank) > 3:
        return False
    first = values[nonblank[0]]
    return isinstance(first, str) and bool(_NOTE.match(unicodedata.normalize("NFKC", first.strip())))


def _fill_merged(number: int, values: tuple, pending: list, active: list) -> tuple[tuple, int]:
    active[:] = [a for a in active if a[0] >= number]
    while pending and pending[0][0] <= number:
        min_row, min_col, max_row, _max_col = pending.pop(0)
        if min_row == number:
            pos = min_col - 1
            value = values[pos] if pos < len(values) else None
            if not _blank(value):
                active.append((max_row, pos, value))
    filled = 0
    if active:
        targets = [(pos, value) for last, pos, value in active if last >= number]
        if targets:
            cells = list(values)
            for pos, value in targets:
                if pos >= len(cells):
                    cells.extend([None] * (pos + 1 - len(cells)))
                if _blank(cells[pos]):
                    cells[pos] = value
                    filled += 1
            values = tuple(cells)
    return values, filled


def _column_letter(pos: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(pos + 1)


# --------------------------------------------------------------------------------------------
# XLSX sheet pre-scan: merged ranges and formula cells without a cached value
# --------------------------------------------------------------------------------------------

_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
_FORMULA_RE = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _scan_sheet_xml(workbook, ws) -> tuple[list[tuple[int, int, int, int]], dict[int, list[int]]]:
    """Merged ranges (min_row, min_col, max_row, max_col) and {row: [column positions]} of formula
    cells without a cached value. Reads the sheet's XML once as bytes; parses it only if it has
    formulas. Uses openpyxl's read-only internals; without them, returns nothing."""
    archive = getattr(workbook, "_archive", None)
    member = getattr(ws, "_worksheet_path", None)
    if archive is None or member is None:
        return [], {}
    from openpyxl.utils.cell import range_boundaries

    refs: set[bytes] = set()
    has_formula = False
    tail = b""
    with archive.open(member) as fh:
        while chunk := fh.read(_CHUNK):
            buf = tail + chunk
            if not has_formula and _FORMULA_RE.search(buf):
                has_formula = True
            refs.update(m.group(1) for m in _MERGE_RE.finditer(buf))
            tail = buf[-512:]
    merges = []
    for ref in refs:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref.decode("ascii"))
        except (ValueError, TypeError):
            continue
        merges.append((min_row, min_col, max_row, max_col))
    formula_cells: dict[int, list[int]] = {}
    if has_formula:
        formula_cells = _formula_cells_without_value(archive, member)
    return merges, formula_cells


def _formula_cells_without_value(archive, member) -> dict[int, list[int]]:
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import coordinate_to_tuple

    out: dict[int, list[int]] = {}
    row_number = 0
    col = 0
    with archive.open(member) as fh:
        for event, el in iterparse(fh, events=("start", "end")):
            tag = el.tag.rsplit("}", 1)[-1]
            if event == "start":
                if tag == "row":
                    r = el.get("r")
                    row_number = int(r) if r else row_number + 1
                    col = 0
                continue
            if tag == "c":
                ref = el.get("r")
                if ref:
                    row_number, col = coordinate_to_tuple(ref)
                else:
                    col += 1
                # Excel writes an empty string result as t="str" with an empty <v>; programs that
                # write formulas without calculating them leave <v> out or empty on a numeric cell.
                text_type = el.get("t") in ("str", "s", "inlineStr")
                has_f = has_value = False
                for child in el:
                    local = child.tag.rsplit("}", 1)[-1]
                    if local == "f":
                        has_f = True
                    elif local == "is" or (local == "v" and (child.text or text_type)):
                        has_value = True
                if has_f and not has_value:
                    out.setdefault(row_number, []).append(col - 1)
                el.clear()
            elif tag == "row":
                el.clear()
    return out


# --------------------------------------------------------------------------------------------
# Opening: format and encoding detection
# --------------------------------------------------------------------------------------------


def _bytes_opener(data: bytes) -> Callable[[], BinaryIO]:
    return lambda: io.BytesIO(data)


def _source(path_or_bytes: Any, name: str | None) -> tuple[Callable[[], BinaryIO], Path | None, str, int | None]:
    """(opener of a binary stream, local path or None, display name, size or None)."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        data = bytes(path_or_bytes)
        return _bytes_opener(data), None, name or "<bytes>", len(data)
    if isinstance(path_or_bytes, str) and "://" in path_or_bytes:
        from airflow.sdk import ObjectStoragePath

        path_or_bytes = ObjectStoragePath(path_or_bytes)
    if isinstance(path_or_bytes, (str, os.PathLike)) and not hasattr(path_or_bytes, "protocol"):
        path = Path(path_or_bytes)
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
        return (lambda: open(path, "rb")), path, name or path.name, path.stat().st_size
    if hasattr(path_or_bytes, "read_bytes"):  # ObjectStoragePath and friends: read once
        data = path_or_bytes.read_bytes()
        return _bytes_opener(data), None, str(name or getattr(path_or_bytes, "name", "<file>")), len(data)
    if hasattr(path_or_bytes, "read"):
        data = path_or_bytes.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        return _bytes_opener(data), None, str(name or getattr(path_or_bytes, "name", "<stream>")), len(data)
    raise TypeError(f"cannot read a table from {type(path_or_bytes).__name__}")


_SPREADSHEET_EXT = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".et")
_TEXT_EXT = (".csv", ".txt", ".tsv")


def _detect_format(head: bytes, name: str, problems: ProblemLog) -> str:
    stripped = head
    for bom, _enc in _BOMS:
        if stripped.startswith(bom):
            stripped = stripped[len(bom):]
            break
    if not stripped.strip(b" \t\r\n\x00"):
        raise TableError("empty", "文件为空，没有任何内容。", "The file is empty.")
    lower_name = name.lower()
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if lower_name.endswith(_TEXT_EXT):
            problems.add("extension_mismatch", "文件扩展名为 CSV，但内容是 Excel 工作簿，已按 Excel 读取。",
                         "The file is named .csv but holds an Excel workbook; read as Excel.")
        return "xlsx"
    _reject_binary(head)
    _reject_markup(head)
    if lower_name.endswith(_SPREADSHEET_EXT):
        problems.add("extension_mismatch", "文件扩展名为 Excel，但内容是文本（CSV），已按 CSV 读取。",
                     "The file is named as an Excel workbook but holds text (CSV); read as CSV.")
    return "csv"


def _reject_binary(head: bytes) -> None:
    """Raise for the files people submit instead of a table: old Excel/WPS, PDF, images, archives."""
    if head.startswith(_OLE2):
        raise _ole2_error(head)
    if head.startswith(b"%PDF"):
        raise _invalid("pdf", "内容是 PDF 文档", "it is a PDF document")
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        raise _invalid("image", "内容是图片", "it is an image")
    if head.startswith(b"{\\rtf"):
        raise _invalid("rtf", "内容是 RTF 文档", "it is an RTF document")
    if head.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        raise _invalid("archive", "内容是压缩包", "it is a compressed archive")


def _reject_markup(head: bytes) -> None:
    """Raise for binary data, web pages and XML under a table's name (text that is not CSV)."""
    encoding = next((enc for bom, enc in _BOMS if head.startswith(bom)), None)
    if encoding == "utf-16":
        sample = head.decode("utf-16", errors="ignore")
    else:
        if b"\x00" in head:
            raise _invalid("binary", "内容是二进制数据，不是表格", "it holds binary data, not a table")
        sample = head.decode("utf-8", errors="ignore")
    probe = sample.lstrip("\ufeff \t\r\n").lower()[:4096]
    if probe.startswith("mime-version") or (
        probe.startswith("<") and any(t in probe for t in ("<html", "<!doctype", "<table", "<body", "<head"))
    ):
        raise _invalid("html", "内容是网页（HTML），常见于系统导出的“伪 Excel”文件",
                       "it is a web page (HTML), as some systems export under an Excel name")
    if probe.startswith("<?xml") or (probe.startswith("<") and "xmlns" in probe):
        raise _invalid("xml", "内容是 XML（可能是 Excel 2003 XML 表格）",
                       "it is XML (possibly an Excel 2003 XML spreadsheet)")


def _ole2_error(head: bytes) -> TableError:
    def utf16(name: str) -> bytes:  # OLE2 directory entries are UTF-16 names
        return name.encode("utf-16-le")

    if utf16("EncryptionInfo") in head or utf16("EncryptedPackage") in head:
        return _invalid("encrypted", "工作簿设置了打开密码（已加密），无法读取；请取消密码",
                        "the workbook is password-protected (encrypted); remove the password")
    if utf16("WordDocument") in head:
        return _invalid("doc", "内容是 Word 文档", "it is a Word document")
    return _invalid("xls", "旧版 Excel 97-2003（.xls）格式或加密的工作簿不受支持",
                    "old Excel 97-2003 (.xls) workbooks and encrypted workbooks are not supported")


def _check_zip(opener: Callable[[], BinaryIO], path: Path | None) -> None:
    try:
        with (zipfile.ZipFile(path) if path is not None else zipfile.ZipFile(opener())) as zf:
            names = set(zf.namelist())
            mimetype = zf.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _invalid("corrupt", "压缩包结构损坏（文件可能不完整）",
                       "its ZIP structure is damaged (the file may be truncated)") from exc
    if "xl/workbook.xml" in names:
        return
    if "xl/workbook.bin" in names:
        raise _invalid("xlsb", "Excel 二进制工作簿（.xlsb）不受支持", "Excel binary workbooks (.xlsb) are not supported")
    if b"opendocument.spreadsheet" in mimetype:
        raise _invalid("ods", "OpenDocument 表格（.ods）不受支持", "OpenDocument spreadsheets (.ods) are not supported")
    if "word/document.xml" in names:
        raise _invalid("docx", "内容是 Word 文档", "it is a Word document")
    if "ppt/presentation.xml" in names:
        raise _invalid("pptx", "内容是 PowerPoint 演示文稿", "it is a PowerPoint presentation")
    raise _invalid("zip", "内容是压缩包而不是 Excel 工作簿", "it is a ZIP archive, not an Excel workbook")


def _detect_encoding(opener: Callable[[], BinaryIO], head: bytes) -> str:
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return enc
    for enc in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(enc)("strict")
        try:
            with opener() as fh:
                while chunk := fh.read(_CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return enc
    raise TableError(
        "encoding",
        "无法识别文件编码（既不是 UTF-8，也不是 GBK/GB18030）。请在 Excel/WPS 中另存为 “CSV UTF-8” 或 .xlsx 后重新提交。",
        "Unknown text encoding (neither UTF-8 nor GBK/GB18030). Save the file as 'CSV UTF-8' or .xlsx "
        "and submit it again.",
    )


def _sniff_delimiter(opener: Callable[[], BinaryIO], encoding: str) -> str:
    with opener() as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        try:
            sample = text.read(_SNIFF_BYTES)
            complete = not text.read(1)
        finally:
            text.detach()
    lines = sample.splitlines(keepends=True)
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut in the middle
    sample = "".join(lines[:200])
    best, best_score = ",", (0, 0, 0)
    for delimiter in _DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter)
                      if any(c.strip() for c in r)]
        except csv.Error:
            continue
        multi = [c for c in counts if c > 1]
        if not multi:
            continue
        mode, freq = Counter(multi).most_common(1)[0]
        score = (len(multi), freq, mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_table(
    path_or_bytes: Any,
    *,
    name: str | None = None,
    sheet: str | int | None = None,
    known_headers: HeaderMatcher | Iterable[str] | None = None,
    min_header_matches: int = MIN_HEADER_MATCHES,
    header_scan_rows: int = HEADER_SCAN_ROWS,
) -> Table:
    """Open a CSV or XLSX file for streaming.

    ``path_or_bytes``: bytes, a local path (``str``/``PathLike``), a URL or ``ObjectStoragePath``
    (read once into memory), or a binary file object. ``name`` is the file name shown in messages
    (defaults to the path's name). ``sheet``: ``None`` for every visible worksheet, or a sheet name
    or 0-based index. ``known_headers``: header names (or a predicate on the header text) used to
    find the header row; a row is the header when ``min_header_matches`` of its cells are known.

    Raises :class:`TableError` for empty files, files that are not CSV/XLSX and undecodable text;
    iterating raises it when no sheet has a recognisable header or the workbook is damaged.
    """
    problems = ProblemLog()
    opener, path, display, size = _source(path_or_bytes, name)
    if size == 0:
        raise TableError("empty", "文件为空，没有任何内容。", "The file is empty.")
    with opener() as fh:
        head = fh.read(_SNIFF_BYTES)
    fmt = _detect_format(head, display, problems)
    known = _matcher(known_headers)
    common: dict[str, Any] = {
        "name": display, "opener": opener, "path": path, "sheet": sheet, "known": known,
        "min_matches": max(1, min_header_matches), "scan_rows": max(1, header_scan_rows), "problems": problems,
    }
    if fmt == "xlsx":
        _check_zip(opener, path)
        table = Table(fmt="xlsx", **common)
    else:
        encoding = _detect_encoding(opener, head)
        delimiter = _sniff_delimiter(opener, encoding)
        table = Table(fmt="csv", encoding=encoding, delimiter=delimiter, **common)
    log.debug("table %s: format %s encoding %s delimiter %r", display, fmt, table.encoding, table.delimiter)
    return table
