"""The official-document model shared by every renderer (DOCX, PDF, HTML, Markdown).

A document is a title, optional front matter (document number, classification, addressee,
subtitle), a list of blocks and an optional issuer/date signature. Blocks:

* :class:`Heading` — levels 1–4, numbered ``一、`` / ``（一）`` / ``1.`` / ``（1）`` (GB/T 9704 §7.3.3).
  ``number=None`` (default) numbers automatically, restarting lower levels after a higher one;
  ``number=""`` prints the text unnumbered; any other string is printed verbatim as the number.
* :class:`Paragraph` — body text (first-line indent of two characters unless ``indent=False``).
* :class:`Table` — header row repeated on every page, smaller type (10.5 pt from six columns up, else
  12 pt, or ``font_size_pt``), widths in millimetres (default: equal shares of the 156 mm text block).
* :class:`Image` — a PNG/JPEG at ``width_mm`` (at most the text width), with an optional caption.
* :class:`PageBreak`, :class:`Signature` (issuer and date right-aligned; dates in Arabic numerals).

If the blocks contain no :class:`Signature` and ``issuer`` is set, renderers close the document with
``Signature(issuer, date)`` after the attachment note (see :meth:`OfficialDocument.body_blocks`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fingertip.text import neutralise

# GB/T 9704-2012 geometry, in millimetres and points.
PAGE_WIDTH_MM = 210.0
PAGE_HEIGHT_MM = 297.0
MARGIN_TOP_MM = 37.0
MARGIN_LEFT_MM = 28.0
TEXT_WIDTH_MM = 156.0
TEXT_HEIGHT_MM = 225.0
MARGIN_RIGHT_MM = PAGE_WIDTH_MM - MARGIN_LEFT_MM - TEXT_WIDTH_MM  # 26
MARGIN_BOTTOM_MM = PAGE_HEIGHT_MM - MARGIN_TOP_MM - TEXT_HEIGHT_MM  # 35
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
TITLE_PT = 22.0  # 2号
BODY_PT = 16.0  # 3号
PAGE_NUMBER_PT = 14.0  # 4号
LINE_SPACING_PT = 28.9  # exact leading: 22 lines in the 225 mm text block
TITLE_LINE_SPACING_PT = 35.0
PAGE_NUMBER_GAP_MM = 7.0  # page number line 7 mm below the text block

log = logging.getLogger(__name__)

TARGET_TYPES = ("app", "account", "work_group", "sponsor")  # shutdown_cases.target_type

_CN_DIGITS = "零一二三四五六七八九"


def clean_text(value: Any) -> str:
    """``value`` as text without control (but tab and line breaks), bidi and XML-illegal characters
    (:func:`fingertip.text.neutralise`, the one definition): what every renderer writes."""
    return neutralise("" if value is None else str(value), multiline=True)


def mm_to_pt(mm: float) -> float:
    return mm * 72.0 / 25.4


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 25 → 二十五 (1–99; larger numbers fall back to digits)."""
    if n < 1 or n > 99:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[ones]
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def format_date(d: dt.date) -> str:
    """GB/T 9704 date: Arabic numerals, no leading zeros — 2026年11月23日."""
    return f"{d.year}年{d.month}月{d.day}日"


def text_width_chars(text: str) -> float:
    """Width of ``text`` in body characters: ASCII (Times New Roman digits) counts half a character."""
    return sum(0.5 if ord(ch) < 0x2E80 and ch != "\u2014" else 1.0 for ch in text)


def signature_indents(issuer: str | None, date_text: str) -> tuple[float, float]:
    """Right indents, in characters, of the issuer line and the date line (GB/T 9704 §7.3.5.3).

    The issuer sits two characters from the right margin and the date starts two characters to the
    right of the issuer's first character; when the date is the longer line it keeps two characters
    from the margin and the issuer moves so that the two-character offset holds.
    """
    wi = text_width_chars(issuer or "")
    wd = text_width_chars(date_text)
    if not issuer:
        return 0.0, 4.0
    date_right = wi - wd
    if date_right >= 2:
        return 2.0, date_right
    return max(wd + 4 - wi, 0.0), 2.0


def heading_label(level: int, n: int) -> str:
    if level == 1:
        return f"{chinese_numeral(n)}、"
    if level == 2:
        return f"（{chinese_numeral(n)}）"
    if level == 3:
        return f"{n}."
    return f"（{n}）"


@dataclass
class Heading:
    text: str
    level: int = 1
    number: str | None = None  # None: automatic; "": none; else printed verbatim

    def __post_init__(self):
        if self.level not in (1, 2, 3, 4):
            raise ValueError(f"heading level must be 1..4, got {self.level!r}")


@dataclass
class Paragraph:
    text: str
    indent: bool = True
    align: Literal["justify", "center", "right", "left"] = "justify"
    bold: bool = False

    def __post_init__(self):
        if self.align not in ("justify", "center", "right", "left"):
            raise ValueError(f"paragraph align must be justify, center, right or left, got {self.align!r}")


@dataclass
class Table:
    header: list[str]
    rows: list[list[Any]]
    col_widths_mm: list[float] | None = None
    caption: str | None = None
    font_size_pt: float | None = None

    def __post_init__(self):
        n = len(self.header)
        if n == 0:
            raise ValueError("a table needs at least one column")
        for i, row in enumerate(self.rows):
            if len(row) != n:
                raise ValueError(f"table row {i + 1} has {len(row)} cells, the header has {n}")
        if self.col_widths_mm is not None and len(self.col_widths_mm) != n:
            raise ValueError(f"col_widths_mm has {len(self.col_widths_mm)} values for {n} columns")

    @property
    def size_pt(self) -> float:
        if self.font_size_pt:
            return float(self.font_size_pt)
        return 10.5 if len(self.header) >= 6 else 12.0

    def widths_mm(self) -> list[float]:
        """Column widths scaled to fit the text block."""
        if not self.col_widths_mm:
            return [TEXT_WIDTH_MM / len(self.header)] * len(self.header)
        total = sum(self.col_widths_mm)
        scale = TEXT_WIDTH_MM / total if total > TEXT_WIDTH_MM else 1.0
        return [w * scale for w in self.col_widths_mm]


@dataclass
class Image:
    path: Any  # local path or ObjectStoragePath (anything with read_bytes) or bytes
    width_mm: float
    caption: str | None = None

    def data(self) -> bytes:
        if isinstance(self.path, (bytes, bytearray)):
            return bytes(self.path)
        if hasattr(self.path, "read_bytes"):
            return self.path.read_bytes()
        return Path(self.path).read_bytes()

    @property
    def effective_width_mm(self) -> float:
        return min(float(self.width_mm), TEXT_WIDTH_MM)


@dataclass
class PageBreak:
    pass


@dataclass
class Signature:
    issuer: str | None
    date: dt.date


Block = Heading | Paragraph | Table | Image | PageBreak | Signature


@dataclass
class OfficialDocument:
    title: str
    blocks: list
    issuer: str | None
    date: dt.date
    doc_number: str | None = None
    addressee: str | None = None
    attachments_note: list[str] = field(default_factory=list)
    subtitle: str | None = None
    classification: str | None = None

    def body_blocks(self) -> list:
        """The blocks, with a closing signature appended when none is given and an issuer is set."""
        blocks = list(self.blocks)
        if self.issuer and not any(isinstance(b, Signature) for b in blocks):
            blocks.append(Signature(self.issuer, self.date))
        return blocks

    def numbered(self) -> list[tuple[Any, str]]:
        """(block, heading number) for every body block; non-headings get ""."""
        counters = [0, 0, 0, 0]
        out = []
        for b in self.body_blocks():
            if isinstance(b, Heading):
                counters[b.level - 1] += 1
                for lower in range(b.level, 4):
                    counters[lower] = 0
                label = heading_label(b.level, counters[b.level - 1]) if b.number is None else b.number
                out.append((b, label))
            else:
                out.append((b, ""))
        return out

    def attachment_lines(self) -> list[str]:
        """附件说明 lines: ``附件：name`` for one attachment, ``附件：1. a`` / ``2. b`` for several."""
        items = [a for a in (self.attachments_note or []) if a]
        if not items:
            return []
        if len(items) == 1:
            return [f"附件：{items[0]}"]
        return [("附件：" if i == 1 else "") + f"{i}. {a}" for i, a in enumerate(items, start=1)]


def cell_text(value: Any) -> str:
    """How a table value prints: None → "", dates in Arabic numerals, floats without noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    return str(value)


def is_numeric(value: Any) -> bool:
    from decimal import Decimal

    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


# ---------------------------------------------------------------------------------------------
# Written files
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrittenDocument:
    kind: str  # announcement, disposal_checklist, report …
    doc_format: str  # docx, pdf, xlsx, html, md, json
    path: str  # URL (ObjectStoragePath) or local path, as a string
    sha256: str
    size_bytes: int


def safe_file_stem(key: str) -> str:
    """An ASCII file-name stem for a case key; a short hash keeps altered keys distinct."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", key).strip("_-") or "document"
    if stem != key:
        stem = f"{stem[:80]}_{hashlib.sha1(key.encode('utf-8')).hexdigest()[:8]}"
    return stem[:120]


def _local(dest: Any) -> Path | None:
    """The local path of ``dest`` (str, Path or a ``file://`` ObjectStoragePath), else None."""
    if isinstance(dest, Path):
        return dest
    if isinstance(dest, str):
        if "://" not in dest:
            return Path(dest)
        return Path(dest[len("file://"):]) if dest.startswith("file://") else None
    if getattr(dest, "protocol", None) in ("file", "local", ("file", "local")):
        return Path(dest.path)
    return None


def write_output(dest: Any, data: bytes) -> str:
    """Write bytes to a local path (str/Path) or an ``ObjectStoragePath``; returns its string form.

    A local file is written atomically: a temporary file in the same folder, renamed into place, so a
    reader (or a crash) never sees half a file. Object stores write an object whole anyway.
    """
    if isinstance(dest, str) and "://" in dest:
        from airflow.sdk import ObjectStoragePath

        dest = ObjectStoragePath(dest)
    elif isinstance(dest, str):
        dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    local = _local(dest)
    if local is None:
        dest.write_bytes(data)
        return str(dest)
    import os
    import uuid

    tmp = local.with_name(f".{local.name[:80]}.{uuid.uuid4().hex}.tmp")  # same folder: rename is atomic
    try:
        tmp.write_bytes(data)
        os.replace(tmp, local)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return str(dest)


def remove_output(path: Any) -> None:
    """Remove a file :func:`write_output` wrote (a path or URL string; missing is fine)."""
    try:
        if isinstance(path, str) and "://" in path and not path.startswith("file://"):
            from airflow.sdk import ObjectStoragePath

            ObjectStoragePath(path).unlink(missing_ok=True)
        else:
            local = _local(path)
            if local is not None:
                local.unlink(missing_ok=True)
    except OSError:
        log.warning("could not remove %s", path)


def written(kind: str, doc_format: str, dest: Any, data: bytes) -> WrittenDocument:
    path = write_output(dest, data)
    return WrittenDocument(kind, doc_format, path, hashlib.sha256(data).hexdigest(), len(data))


def as_dir(out_dir: Any):
    """A local path string or URL string as a path-like folder (Path / ObjectStoragePath)."""
    if isinstance(out_dir, str):
        if "://" in out_dir:
            from airflow.sdk import ObjectStoragePath

            return ObjectStoragePath(out_dir)
        return Path(out_dir)
    return out_dir
