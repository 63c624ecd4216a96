"""The ONE generated hostile corpus every writer is tested with (issue 14).

:func:`hostile_text` draws names and descriptions mixing markup, template syntax, spreadsheet formula
prefixes, SQL quotes, C0/C1 control characters, bidi controls, astral-plane characters (emoji, CJK
Extension B), combining marks, very long strings and ordinary Chinese. The checks below take their
expectations from the input and from independent readers of the output (an HTML parser, python-docx,
openpyxl, pypdfium2, the e-mail parser), never from the writer under test.

Profiles: ``writers-ci`` (100 generated examples per writer, derandomized, used by ``make test``) and
``writers-bench`` (random; ``make bench`` runs it with 1,000 examples per writer through
``fingertip_dev.bench.corpus``, which sets ``FINGERTIP_CORPUS_PROFILE`` and ``FINGERTIP_CORPUS_EXAMPLES``).
Under every profile each writer also gets :data:`KNOWN_CLASSES`, one explicit example per class of bug the
corpus has found (issue 14), so a smaller CI sample cannot miss them: in the first 100 derandomized draws
of four sequences, XML-illegal characters and line breaks were absent from some (0–9 and 0–2), the other
classes present (C0 ≥ 23, C1 ≥ 27, bidi controls ≥ 7, astral ≥ 16, > 255 characters ≥ 14).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter
from collections.abc import Container
from html.parser import HTMLParser

from hypothesis import HealthCheck, example, settings
from hypothesis import strategies as st

settings.register_profile(
    "writers-ci", max_examples=100, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
settings.register_profile(
    "writers-bench", max_examples=2000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
#: The settings of every corpus test (``FINGERTIP_CORPUS_PROFILE`` picks the profile, default CI;
#: ``FINGERTIP_CORPUS_EXAMPLES`` overrides its number of examples per writer).
_CORPUS_SETTINGS = settings(settings.get_profile(os.environ.get("FINGERTIP_CORPUS_PROFILE", "writers-ci")),
                            **({"max_examples": int(os.environ["FINGERTIP_CORPUS_EXAMPLES"])}
                               if os.environ.get("FINGERTIP_CORPUS_EXAMPLES") else {}))

#: One input per class of bug the corpus found when the writers were hardened (commit 8834e6d): C0/DEL and
#: C1 controls, bidi controls and marks, XML-illegal characters (lone surrogate, U+FFFE/U+FFFF), astral
#: characters (the PDF ToUnicode map), line breaks (mail header injection), a formula start, markup and
#: template syntax, and a text longer than every length limit (mail subject 250, DOCX properties 255, a PDF
#: table row taller than a page).
KNOWN_CLASSES = (
    "政务\x00\x08\x1b\x7f服务\x85\x9f",
    "abc\u202egnp.exe\u2066甲\u2069\u200e\u200f\u061c",
    "\ud800名称\ufffe\uffff😀𠀀🇨🇳👨\u200d👩\u200d👧",
    '=HYPERLINK("http://evil.example","点我")\r\n第二行\n<script>alert(1)</script>{{ 7*7 }}',
    "广东省政务服务数据管理局" * 40 + "e\u0301\u202e",
)


def CORPUS(test):  # noqa: N802 - used as the decorator it replaced (a settings object of the same name)
    """The corpus settings and the :data:`KNOWN_CLASSES` examples, for a ``@given(text=hostile_text)`` test."""
    for text in reversed(KNOWN_CLASSES):
        test = example(text=text)(test)
    return _CORPUS_SETTINGS(test)


MARKUP = ["<script>alert(1)</script>", '<img src=x onerror="alert(2)">', "<svg onload=alert(3)>",
          "<iframe src=//evil.example>", "</td></tr></table>", "<!--", "]]>", "&amp;", "&#60;", "<x-evil>"]
TEMPLATE = ["{{ 7*7 }}", "{% if true %}x{% endif %}", "{{", "%}", "${7*7}", "{0}", "#{x}", "\\n"]
FORMULA = ["=", "+", "-", "@", "\t", "\r", "＝", "＋", '=HYPERLINK("http://evil.example","点我")',
           "=cmd|' /C calc'!A0", "@SUM(1+1)", "+1", "-2+3"]
SQL = ["'", '"', "'; DROP TABLE apps; --", "\" OR \"1\"=\"1", "`", "\\", "%", "_"]
C0 = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))] + ["\x7f"]
C1 = [chr(c) for c in range(0x80, 0xA0)]
BIDI = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))] + ["\u200e", "\u200f", "\u061c"]
ASTRAL = ["😀", "🇨🇳", "👨\u200d👩\u200d👧", "𠀀", "𪚥", "𝕏", "🀄"]
COMBINING = ["e\u0301", "\u0301", "a\u20dd", "政\u0332"]
CHINESE = ["政务服务", "粤省事", "（试运行）", "广东省人民政府办公厅", "“僵尸”应用", "一网通办", "，。；：？！"]
SPECIAL = ["\ufeff", "\u200b", "\u3000", "\ufffd", "\ud800", "\ufffe", "\n", "\r\n"]

FRAGMENTS = MARKUP + TEMPLATE + FORMULA + SQL + C0 + C1 + BIDI + ASTRAL + COMBINING + CHINESE + SPECIAL
_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


def _printable_or_chinese(text: str) -> str:
    """A name always has something printable (an all-invisible name is an intake error, not a writer's)."""
    return text if printable_chars(text) else text + "政务"


hostile_text = st.one_of(
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(_CJK, min_size=1, max_size=6),
                       st.characters(exclude_categories=("Cs",))), min_size=1, max_size=14).map("".join),
    st.builds(lambda head, frag, n: head + frag * n, st.sampled_from(FRAGMENTS),
              st.sampled_from(["政务服务", "<b>", "😀", "=", "e\u0301", "\u202e甲"]), st.integers(40, 400)),
).map(_printable_or_chinese)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_INVISIBLE_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
                           "\ud800-\udfff\ufffe\uffff]")


def invisible_in(text: str) -> list[str]:
    """Control (but tab/LF/CR), bidi and XML-illegal characters in ``text`` (this test's own list)."""
    return _INVISIBLE_RE.findall(text)


def visible(text: str) -> str:
    """``text`` without the invisible characters (this test's own list)."""
    return _INVISIBLE_RE.sub("", text)


def printable_chars(text: str) -> Counter:
    """The characters a reader must find again: printable, not whitespace, after removing the invisible ones."""
    return Counter(ch for ch in _INVISIBLE_RE.sub("", text) if ch.isprintable() and not ch.isspace())


def assert_kept(source: str, output: str, *, copies: int = 1, substitute: Container[str] | None = None) -> None:
    """Every printable character of ``source`` appears (``copies`` times) in ``output``.

    ``substitute``: characters the output may draw as U+FFFD instead (a PDF without a face for them)."""
    have = Counter(output)
    missing = {ch: n * copies - have[ch] for ch, n in printable_chars(source).items() if have[ch] < n * copies}
    if substitute is not None:
        lost = {ch for ch in missing if ch not in substitute}
        assert not lost, f"characters silently lost: {sorted(lost)!r}"
        assert have["\ufffd"] >= sum(missing.values()), "missing glyphs not shown as U+FFFD"
        return
    assert not missing, f"characters lost: {missing!r}"


class ParsedHtml(HTMLParser):
    """What a browser's parser makes of a page: tags, attributes, script bodies, text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(k, v or "") for k, v in attrs]
        self._in = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        (self.scripts if self._in else self.text).append(data)


HOSTILE_TAGS = {"img", "svg", "iframe", "x-evil"}


def assert_inert_html(html: str, source: str, *, copies: int = 1) -> ParsedHtml:
    """No markup from ``source`` became elements, nothing invisible printed, every printable character shown."""
    page = ParsedHtml(html)
    assert not HOSTILE_TAGS & set(page.tags), page.tags
    assert not [a for a in page.attrs if a[0].startswith("on")], page.attrs
    assert not any("alert(" in s for s in page.scripts)
    text = "".join(page.text)
    assert not invisible_in(text), [f"U+{ord(c):04X}" for c in invisible_in(text)]
    assert_kept(source, text, copies=copies)
    return page


# raw "<" + tag start not escaped by a backslash; the template's own signature block and autolinks allowed
_MD_RAW_TAG = re.compile(r'(?<!\\)<(?!https?://|div align="right">|/div>)[A-Za-z!/?]')


def assert_inert_markdown(md: str, source: str) -> None:
    assert not _MD_RAW_TAG.search(md), _MD_RAW_TAG.search(md)
    assert not invisible_in(md.replace("\r", ""))
    assert_kept(source, md)


def is_combining(ch: str) -> bool:
    return unicodedata.combining(ch) > 0
