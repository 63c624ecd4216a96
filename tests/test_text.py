"""The shared vocabulary of characters that must not pass intake or reach an output."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fingertip.text import find_forbidden, is_invisible, neutralise, shorten


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("政务服务", []),
        ("政务\x00服务", ["control"]),
        ("政务\x85服务", ["control"]),  # C1 NEXT LINE
        ("政务\x7f", ["control"]),
        ("abc\u202egnp.exe", ["bidi"]),
        ("\u2066x\u2069", ["bidi", "bidi"]),
        ("a\u202ab", ["bidi"]),
        ("a\u2065b", []),  # unassigned, just below the isolates: not a bidi control
        ("a\u202fb", []),  # NARROW NO-BREAK SPACE, just above the overrides
        ("a\tb", ["control"]),
    ],
)
def test_find_forbidden_single_line(text: str, kinds: list[str]) -> None:
    assert [f.kind for f in find_forbidden(text)] == kinds


def test_multiline_keeps_line_controls_only() -> None:
    assert find_forbidden("一\n二\r\n三\t", multiline=True) == []
    assert [f.codepoint for f in find_forbidden("一\n二\x0b", multiline=True)] == ["U+000B"]
    assert neutralise("一\n二\x0b三", multiline=True) == "一\n二三"
    assert neutralise("一\n二") == "一二"


def test_describe_names_position_and_codepoint() -> None:
    (hit,) = find_forbidden("应用\u202e名")
    assert hit.position == 2
    assert "第 3 个字符" in hit.describe() and "U+202E" in hit.describe()


def test_neutralise_removes_marks_and_xml_illegal() -> None:
    assert neutralise("a\u200fb\ufffec\u061cd") == "abcd"


@pytest.mark.parametrize("multiline", [False, True])
def test_neutralise_removes_exactly_what_is_invisible_says(multiline: bool) -> None:
    """Every code point (neutralise uses a character class, is_invisible is the definition)."""
    every = "".join(map(chr, range(0x110000)))
    kept = "".join(ch for ch in every if not is_invisible(ch, multiline=multiline))
    assert neutralise(every, multiline=multiline) == kept
    assert neutralise("a\tb\nc\rd", multiline=multiline) == ("a\tb\nc\rd" if multiline else "abcd")


@given(st.text())
def test_neutralise_leaves_nothing_forbidden_and_keeps_printables(text: str) -> None:
    out = neutralise(text)
    assert find_forbidden(out) == []
    kept = [ch for ch in text if ch.isprintable() and ch not in "\u200e\u200f\u061c" and not find_forbidden(ch)]
    assert [ch for ch in out if ch.isprintable()] == kept


@pytest.mark.parametrize(("text", "limit", "expected"), [("一二三", 3, "一二三"), ("一二三四", 3, "一二…"), ("ab", 1, "…")])
def test_shorten(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)) <= limit


def test_shorten_rejects_zero() -> None:
    with pytest.raises(ValueError):
        shorten("x", 0)
