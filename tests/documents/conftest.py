"""Shared fixtures: the sample announcement and checklist rendered once per test module."""

from __future__ import annotations

import pytest

HOSTILE = '<script>alert(1)</script>=HYPERLINK("x")'


@pytest.fixture(scope="session")
def announcement_ctx():
    from fingertip_dev.document_samples import sample_announcement_context

    return sample_announcement_context()


@pytest.fixture(scope="session")
def announcement_doc(announcement_ctx):
    from fingertip.documents.announcement import build_announcement

    return build_announcement(announcement_ctx)


@pytest.fixture(scope="session")
def announcement_docx(announcement_doc, tmp_path_factory):
    from fingertip.documents.docx_render import render_docx

    path = tmp_path_factory.mktemp("docx") / "announcement.docx"
    render_docx(announcement_doc, path)
    return path


@pytest.fixture(scope="session")
def announcement_pdf(announcement_doc):
    from fingertip.documents.pdf_render import pdf_bytes

    return pdf_bytes(announcement_doc)


@pytest.fixture(scope="session")
def disposal_ctx():
    from fingertip_dev.document_samples import sample_disposal_context

    return sample_disposal_context()


@pytest.fixture(scope="session")
def hostile_announcement_ctx():
    from fingertip_dev.document_samples import sample_announcement_context

    return sample_announcement_context(target_name=HOSTILE, successor_name=HOSTILE, case_key="SC/../恶意 1")
