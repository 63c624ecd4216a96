"""The generated hostile corpus through every writer (issue 14): no exception, no live markup, no formula,
no control or bidi character, no silent loss of a printable character.

Fixture data (a report's figures from a small known store, the sample announcement and checklist
contexts) are built once; each example renders only the writer call. See ``strategies.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import zipfile
from email import policy
from email.parser import BytesParser
from types import SimpleNamespace

import pytest
from hypothesis import given
from tests.writers.strategies import (
    CORPUS,
    FORMULA_START,
    assert_inert_html,
    assert_inert_markdown,
    assert_kept,
    hostile_text,
    invisible_in,
    printable_chars,
    visible,
)

DAY = dt.date(2026, 11, 23)
# ~70 s CPU for the file under the CI profile: marked slow so that `make test` hands it out early
pytestmark = pytest.mark.slow


# --- readers of the outputs (independent of the writers) ---------------------------------------------

def docx_text(data: bytes) -> str:
    import docx

    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    parts += [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def docx_core(data: bytes) -> list[str]:
    import docx

    cp = docx.Document(io.BytesIO(data)).core_properties
    return [cp.title or "", cp.author or "", cp.subject or "", cp.keywords or ""]


def pdf_text(data: bytes) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()
    # pdfium reports a hyphen that ends a line as U+FFFE (its marker of a possible soft hyphen)
    return text.replace("\ufffe", "-")


def xlsx_strings(data: bytes) -> list[str]:
    """Every text cell; asserts no formula cell and a quote prefix on every formula-like text."""
    import openpyxl

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml, "a formula cell"
    wb = openpyxl.load_workbook(io.BytesIO(data))
    out = []
    for ws in wb.worksheets:
        out.append(ws.title)
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    assert c.data_type == "s", (ws.title, c.coordinate)
                    if c.value.startswith(FORMULA_START):
                        assert c.quotePrefix, (ws.title, c.coordinate, c.value[:40])
                    out.append(c.value)
    return out


def _no_invisible(text: str) -> None:
    bad = invisible_in(text.replace("\r", ""))
    assert not bad, [f"U+{ord(c):04X}" for c in bad]


class _NoFaceHas:
    """Characters no installed PDF face can draw (their cmaps, read from the font files with fontTools)."""

    def __init__(self):
        from fingertip.documents import fonts

        faces = [*fonts.FACES, *(f.key for f in fonts.optional_faces())]
        self._have = frozenset().union(*(fonts.face_codepoints(k) for k in faces))

    def __contains__(self, ch: object) -> bool:
        return isinstance(ch, str) and ord(ch) not in self._have


# --- official documents (announcement, checklist, report documents): DOCX, PDF, HTML, Markdown -------

def _official(text: str, *, full: bool = True):
    """A document with ``text`` in every kind of place (6 times); ``full=False``: in each face's places only
    (title, heading, body, table: 4 times), to keep the PDF examples fast."""
    from fingertip.documents.official import Heading, OfficialDocument, Paragraph, Table

    front = dict(subtitle=text, doc_number=text, addressee=text) if full else {}
    return OfficialDocument(
        title=f"关于{text}停止运营的公告", issuer=text if full else "某单位", date=DAY, **front,
        blocks=[Heading(text), Paragraph(text), Table(["名称", "说明"], [[text, 1], ["x", text if full else "y"]])])


@CORPUS
@given(text=hostile_text)
def test_official_document_docx(text):
    from fingertip.documents.docx_render import docx_bytes

    data = docx_bytes(_official(text))
    body = docx_text(data)
    _no_invisible(body)
    assert_kept(text, body, copies=6)
    for prop in docx_core(data):
        assert len(prop) <= 255 and not invisible_in(prop)


@CORPUS
@given(text=hostile_text)
def test_official_document_pdf(text):
    from fingertip.documents.pdf_render import pdf_bytes

    body = pdf_text(pdf_bytes(_official(text, full=False)))
    _no_invisible(body)
    assert_kept(text, body, copies=4, substitute=_NoFaceHas())


@CORPUS
@given(text=hostile_text)
def test_official_document_html_and_markdown(text):
    from fingertip.documents.html_render import render_html, render_markdown

    doc = _official(text)
    assert_inert_html(render_html(doc), text, copies=6)
    assert_inert_markdown(render_markdown(doc), text)


@pytest.fixture(scope="module")
def announcement_base():
    from fingertip_dev.document_samples import sample_announcement_context

    return sample_announcement_context()


@CORPUS
@given(text=hostile_text)
def test_announcement_every_format(announcement_base, text):
    from fingertip.documents.announcement import build_announcement
    from fingertip.documents.render import render_formats

    ctx = dataclasses.replace(announcement_base, target_name=text, successor_name=text, sponsor_name=text)
    out = render_formats(build_announcement(ctx), ("docx", "html", "md"))
    body = docx_text(out["docx"])
    _no_invisible(body)
    assert_kept(text, body)
    assert_inert_html(out["html"].decode(), text)
    assert_inert_markdown(out["md"].decode(), text)


# --- spreadsheets: checklist, report workbook, rejection report --------------------------------------

@pytest.fixture(scope="module")
def disposal_base():
    from fingertip_dev.document_samples import sample_disposal_context

    return sample_disposal_context()


@CORPUS
@given(text=hostile_text)
def test_disposal_checklist_xlsx(disposal_base, text):
    from fingertip.documents.disposal import checklist_xlsx

    cells = xlsx_strings(checklist_xlsx(dataclasses.replace(disposal_base, target_name=text, responsible_person=text)))
    joined = "\n".join(cells)
    _no_invisible(joined)
    assert_kept(text, joined, copies=2)


@CORPUS
@given(text=hostile_text)
def test_rejection_report_xlsx(text):
    from fingertip.quality.report import build_report

    verdict = SimpleNamespace(batch_id=7, file_name=text, rejected=True, row_count=3, bad_rows=1, good_rows=2,
                              message_zh=text, message_en="rejected")
    frames = [SimpleNamespace(entity_type="app", rows=[
        {"sheet": text, "row_number": 2, "raw": {"应用名称": text, "主办单位": text}}])]
    failures = [{"_entity": "app", "_sheet": text, "row_number": 2, "reason_zh": f"名称“{text}”无效"}]
    cells = xlsx_strings(build_report(verdict, frames, failures))
    joined = "\n".join(cells)
    _no_invisible(joined)
    assert_kept(text, joined, copies=4)


# --- the report: workbook, JSON, e-mail (HTML and text), report Markdown -----------------------------

NAME_KEYS = ("target_name", "sponsor_name", "name", "unit_name")


def _with_names(value, text: str):
    if isinstance(value, dict):
        return {k: (text if k in NAME_KEYS and isinstance(v, str) else _with_names(v, text)) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_names(v, text) for v in value]
    return value


@pytest.fixture(scope="module")
def report_base(tmp_path_factory):
    """Figures and metadata of a quarterly report over the known dataset of tests/reports (SQLite)."""
    from tests.reports.conftest import load_dataset
    from tests.store_templates import empty_store_engine, migrated_store_template

    from fingertip.reports.figures import compute_figures
    from fingertip.reports.periods import parse_period
    from fingertip.reports.settings import load_settings
    from fingertip.reports.tasks import plan_reports, report_meta

    templates = migrated_store_template("sqlite", tmp_path_factory)
    engines = empty_store_engine(next(templates), tmp_path_factory.mktemp("store"))
    engine = next(engines)
    load_dataset(engine)
    settings = load_settings()
    spec = plan_reports(DAY, {"period": "2026Q3", "kind": "quarterly"})[0]
    figures = compute_figures(engine, parse_period("2026Q3"), province=None, document_rows=settings["document_rows"],
                              key_findings_limit=settings["key_findings_limit"])
    assert figures["key_findings"], "the dataset has key findings to put names into"
    yield SimpleNamespace(spec=spec, figures=figures, meta=report_meta(spec, figures, settings))
    for gen in (engines, templates):
        gen.close()


@CORPUS
@given(text=hostile_text)
def test_report_workbook_json_mail_markdown(report_base, tmp_path_factory, text):
    from fingertip.notifications.message import build_mime
    from fingertip.reports import document, jsonout, workbook
    from fingertip.reports.email import build_email

    figures = _with_names(report_base.figures, text)
    meta = report_base.meta
    n_names = sum(1 for f in figures["key_findings"])
    folder = tmp_path_factory.mktemp("report")
    # XLSX
    cells = xlsx_strings(workbook.write_report_workbook(folder / "r.xlsx", meta, figures).read_bytes())
    joined = "\n".join(cells)
    _no_invisible(joined)
    assert_kept(text, joined, copies=n_names)
    # JSON: the data verbatim, nothing invisible raw in the file
    report_json = {"key": "k", "kind": "quarterly", "title": meta["title"], "issuer": meta["issuer"],
                   "generated_at": meta["generated_at"], "period": meta["period"], "due_date": meta.get("due_date"),
                   "scope": {"province": None, "province_name": figures["province_name"]}, "sampling": None,
                   "audit_run_id": 1}
    raw = jsonout.write_submission(folder / "r.json", report_json, figures).read_text(encoding="utf-8")
    assert not invisible_in(raw.replace("\n", ""))
    assert json.loads(raw)["figures"]["key_findings"][0]["target_name"] == text
    # Markdown of the report document
    blocks = document.report_blocks(meta, figures, [], rows=50)
    from fingertip.documents.html_render import render_markdown

    assert_inert_markdown(render_markdown(document.to_official_document(meta, blocks)), text)
    # the mail: HTML and text bodies, headers
    email, html = build_email(meta, figures, document.key_figures(figures), [], [], ["a@x.cn"])
    assert_inert_html(html, text)
    msg = BytesParser(policy=policy.default).parsebytes(build_mime(email, "fingertip@x.cn").as_bytes())
    plain = msg.get_body(("plain",)).get_content()
    _no_invisible(plain)
    assert_kept(text, plain)
    assert_inert_html(msg.get_body(("html",)).get_content(), text)


# --- e-mail headers and bodies ------------------------------------------------------------------------

@CORPUS
@given(text=hostile_text)
def test_mail_subject_and_bodies(text):
    from markupsafe import escape

    from fingertip.notifications.message import SUBJECT_MAX, Email, build_mime

    email = Email(subject=f"【提醒】{text}", to=["a@x.cn"], text=f"名称：{text}", html=f"<p>{escape(text)}</p>")
    data = build_mime(email, "fingertip@x.cn").as_bytes()
    assert max(len(line) for line in data.split(b"\r\n")) <= 998  # RFC 5322 line limit
    msg = BytesParser(policy=policy.default).parsebytes(data)
    subject = str(msg["Subject"])
    assert len(msg.get_all("Subject")) == 1 and msg["Bcc"] is None
    _no_invisible(subject)
    assert "\n" not in subject and len(subject) <= SUBJECT_MAX
    if len(visible(text)) + len("【提醒】") <= SUBJECT_MAX:
        assert_kept(text, subject)
    else:  # shortened with an ellipsis
        assert subject.endswith("…") and len(subject) == SUBJECT_MAX
    plain = msg.get_body(("plain",)).get_content()
    _no_invisible(plain)
    assert_kept(text, plain)
    assert_inert_html(msg.get_body(("html",)).get_content(), text)


# --- Data Docs values, CLI output ---------------------------------------------------------------------

@CORPUS
@given(text=hostile_text)
def test_data_docs_values(text):
    from fingertip.quality.suites import escape_submitted

    escaped = escape_submitted({"partial_unexpected_list": [text], "partial_unexpected_counts": [
        {"value": text, "count": 1}], "observed_value": text, "element_count": 3})
    assert escaped["element_count"] == 3
    cells = [*escaped["partial_unexpected_list"], escaped["partial_unexpected_counts"][0]["value"],
             escaped["observed_value"]]
    assert_inert_html("".join(f"<td>{c}</td>" for c in cells), text, copies=3)


@CORPUS
@given(text=hostile_text)
def test_cli_output(text):
    from fingertip.cli import NeutralisingStream

    buf = io.StringIO()
    print(f"{text}\t{text}", file=NeutralisingStream(buf))
    out = buf.getvalue()
    _no_invisible(out)
    assert_kept(text, out, copies=2)
    assert printable_chars(out) == printable_chars(text + text)
