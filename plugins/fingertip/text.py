"""One definition of the characters that must not pass intake unnoticed or reach any output.

Intake (``find_forbidden``) reports them so a row can be quarantined with a specific reason;
writers (``neutralise``) remove them defensively so no single record can fail a document or
reorder what an officer reads. ``shorten`` is the one way to cut a text to a length limit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

#: Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069).
BIDI_CONTROLS: frozenset[str] = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
#: Implicit directional marks: harmless in themselves, but invisible; removed at output only.
BIDI_MARKS: frozenset[str] = frozenset({"\u200e", "\u200f", "\u061c"})
#: Whitespace controls a multi-line text (description, body) may keep.
LINE_CONTROLS: frozenset[str] = frozenset({"\n", "\r", "\t"})
ELLIPSIS = "…"


def is_control(ch: str) -> bool:
    """C0 (U+0000–U+001F), DEL and C1 (U+0080–U+009F) control characters."""
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F


def is_xml_illegal(ch: str) -> bool:
    """Characters XML 1.0 cannot carry (DOCX, XLSX): surrogates and the noncharacters U+FFFE/U+FFFF."""
    code = ord(ch)
    return 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF)


@dataclass(frozen=True)
class ForbiddenChar:
    position: int  # 0-based index in the text
    char: str
    kind: str  # "control" or "bidi"

    @property
    def codepoint(self) -> str:
        return f"U+{ord(self.char):04X}"

    def describe(self) -> str:
        """A specific Chinese reason with the fix, e.g. for a quarantine entry."""
        what = "控制字符" if self.kind == "control" else "双向文本控制字符"
        name = unicodedata.name(self.char, "")
        label = f"{self.codepoint}{f' {name}' if name else ''}"
        return f"第 {self.position + 1} 个字符是不可见的{what}（{label}），请删除该字符后重新提交"


def find_forbidden(text: str, *, multiline: bool = False) -> list[ForbiddenChar]:
    """Control and bidi override characters in ``text`` (tab/CR/LF allowed only if ``multiline``)."""
    found: list[ForbiddenChar] = []
    for i, ch in enumerate(text):
        if ch in BIDI_CONTROLS:
            found.append(ForbiddenChar(i, ch, "bidi"))
        elif (is_control(ch) and not (multiline and ch in LINE_CONTROLS)) or is_xml_illegal(ch):
            found.append(ForbiddenChar(i, ch, "control"))
    return found


def is_invisible(ch: str, *, multiline: bool = False) -> bool:
    """Whether :func:`neutralise` removes ``ch``: controls (but tab/CR/LF if ``multiline``), bidi
    controls and marks, XML-illegal characters."""
    return (
        ch in BIDI_CONTROLS
        or ch in BIDI_MARKS
        or is_xml_illegal(ch)
        or (is_control(ch) and not (multiline and ch in LINE_CONTROLS))
    )


#: What :func:`is_invisible` accepts, as one character class (tests/test_text.py compares the two over
#: every code point): ``neutralise`` removes them in C instead of testing each character in Python,
#: which mattered for long texts (a 35,000-character cell: seconds per workbook).
_INVISIBLE_CLASS = ("\u202a-\u202e\u2066-\u2069"  # BIDI_CONTROLS
                    "\u200e\u200f\u061c"  # BIDI_MARKS
                    "\ud800-\udfff\ufffe\uffff"  # is_xml_illegal
                    "\x7f-\x9f")  # is_control: DEL and C1 (C0 below)
_INVISIBLE_RE = {False: re.compile(f"[\x00-\x1f{_INVISIBLE_CLASS}]"),
                 True: re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_INVISIBLE_CLASS}]")}  # keeps \t \n \r


def neutralise(text: str, *, multiline: bool = False) -> str:
    """``text`` without control, bidi and XML-illegal characters (line breaks kept if ``multiline``).

    Only invisible characters are removed; every printable character stays.
    """
    if text.isascii() and text.isprintable():
        return text
    return _INVISIBLE_RE[multiline].sub("", text)


def escape_invisible(json_text: str) -> str:
    """Serialised JSON with every invisible character still raw in it (C1 controls, DEL, bidi controls
    and marks, lone surrogates; ``json.dumps`` escapes only C0) written as a ``\\uXXXX`` escape: the data stay
    exactly as they were, but no reader of the file sees reordered or hidden text."""
    if json_text.isascii() and json_text.isprintable():
        return json_text
    out: list[str] = []
    for ch in json_text:
        if ch not in "\n\t\r" and is_invisible(ch, multiline=False):  # all in the BMP
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when it was cut."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if len(text) <= limit:
        return text
    return text[: limit - 1] + ELLIPSIS
