"""Data Docs show a unit's submitted values as text, never as live markup (stored XSS, issue 14 item 1)."""

from __future__ import annotations

from html.parser import HTMLParser

from tests.quality.helpers import app_csv
from tests.quality.test_validate import TODAY, _import
from tests.store_templates import store_engine_fixtures

from fingertip.quality.validate import validate_batch

XSS_DIVISION = '<img src=x onerror=alert("division")>'
XSS_DATE = '<script>alert("date")</script>'


_migrated_store, store_engine = store_engine_fixtures()


class _Page(HTMLParser):
    """Elements and text of a page as a browser's parser sees them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.attrs: list[tuple[str, str, str | None]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.attrs += [(tag, k, v) for k, v in attrs]
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def test_markup_in_division_and_date_cells_is_text_on_every_page(store_engine, tmp_path, _outputs):
    from fingertip.config import output_path
    from fingertip.quality.suites import build_data_docs, load_results

    # row 4: markup in 行政区划代码 (column 5) and 上线时间 (column 7); both fail their expectations
    batch_id = _import(store_engine, tmp_path, "f.csv", app_csv(30, {3: {5: XSS_DIVISION, 7: XSS_DATE}}))
    validate_batch(store_engine, batch_id, today=TODAY)
    assert load_results(list(output_path("quality").glob("*/gx_result_*.json")))
    build_data_docs()
    pages = list((_outputs / "quality" / "data_docs").rglob("*.html"))
    shown: set[str] = set()
    for page in pages:
        parsed = _Page()
        parsed.feed(page.read_text(encoding="utf-8"))
        assert not [a for a in parsed.attrs if a[1] == "onerror" or "alert(" in (a[2] or "")], page
        assert not any("alert(" in s for s in parsed.scripts), page
        text = "".join(parsed.text)
        shown |= {v for v in (XSS_DIVISION, XSS_DATE) if v in text}
    # the values are shown (as text) on the validation pages, not dropped
    assert shown == {XSS_DIVISION, XSS_DATE}
