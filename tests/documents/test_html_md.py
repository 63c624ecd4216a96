"""HTML and Markdown renderings: content, layout hints, escaping of outside text."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

from fingertip.documents.announcement import build_announcement
from fingertip.documents.html_render import escape_markdown, render_html, render_markdown
from fingertip.documents.official import OfficialDocument, Paragraph, Table

from .conftest import HOSTILE


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.hrefs += [v for k, v in attrs if k == "href"]

    def handle_data(self, data):
        self.text.append(data)


def _parse(html: str) -> _Collect:
    c = _Collect()
    c.feed(html)
    return c


def test_html_announcement(announcement_doc, announcement_ctx):
    html = render_html(announcement_doc)
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in html
    parsed = _parse(html)
    text = "".join(parsed.text)
    assert announcement_doc.title in text
    for needle in (announcement_ctx.sponsor_credit_code, "2026年12月31日", "粤省事", "一、停止服务时间", "2026年11月23日"):
        assert needle in text
    assert announcement_ctx.successor_url in parsed.hrefs  # http(s) links become links
    assert "16pt/28.9pt" in html and "22pt" in html and "text-indent: 2em" in html


def test_html_escapes_hostile_text(hostile_announcement_ctx):
    html = render_html(build_announcement(hostile_announcement_ctx))
    parsed = _parse(html)
    assert "script" not in parsed.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE in "".join(parsed.text)
    evil = '[x](javascript:alert(1)) javascript:alert(1) "><img src=x onerror=1>'
    doc = OfficialDocument("t", [Paragraph(evil)], issuer=None, date=dt.date(2026, 1, 1))
    parsed = _parse(render_html(doc))
    assert "img" not in parsed.tags
    assert not any(h.startswith("javascript") for h in parsed.hrefs)


def test_markdown_announcement(announcement_doc, announcement_ctx):
    md = render_markdown(announcement_doc)
    assert md.startswith(announcement_ctx.doc_number.replace("〔", "〔"))
    assert "# 关于“阳江通”政务服务App停止运营的公告" in md
    assert "## 一、停止服务时间" in md
    assert f"<{announcement_ctx.successor_url}>" in md
    assert "2026年11月23日" in md


def test_markdown_escapes_hostile_text(hostile_announcement_ctx):
    md = render_markdown(build_announcement(hostile_announcement_ctx))
    assert "<script>" not in md
    assert "\\<script\\>alert\\(1\\)\\</script\\>=HYPERLINK\\(\"x\"\\)" in md
    doc = OfficialDocument("t", [Paragraph("[x](javascript:alert(1)) *b* _i_\n# h\n- item\n1. one"),
                                 Table(["a|b", "c"], [["x | y", "<b>"]])],
                           issuer=None, date=dt.date(2026, 1, 1))
    md = render_markdown(doc)
    assert "](javascript" not in md and "\\[x\\]\\(javascript:alert\\(1\\)\\)" in md
    assert "\\*b\\* \\_i\\_" in md
    assert "\n\\# h" in md and "\n\\- item" in md and "\n1\\. one" in md
    assert "| a\\|b |c |" in md and "| x \\| y |\\<b\\> |" in md


def test_escape_markdown_round_trip_characters():
    for ch in "\\`*_{}[]()<>#|!~&":
        assert escape_markdown(ch) == "\\" + ch
    assert escape_markdown("普通文字 2026-01-01") == "普通文字 2026-01-01"
