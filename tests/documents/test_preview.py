"""``python -m fingertip_dev.document_preview`` writes the sample documents and PNGs of their first pages."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from fingertip_dev.document_preview import main


def test_preview_writes_documents_and_pngs(tmp_path, capsys):
    assert main(["--out", str(tmp_path)]) == 0
    names = {p.name for p in tmp_path.iterdir()}
    stem = "SC-2026-0001"
    assert {f"announcement_{stem}.docx", f"announcement_{stem}.pdf", f"announcement_{stem}.html",
            f"announcement_{stem}.md", f"disposal_{stem}.xlsx", f"disposal_{stem}.docx",
            f"disposal_{stem}.pdf",
            "announcement_page1.png", "checklist_page1.png"} <= names
    for png in ("announcement_page1.png", "checklist_page1.png"):
        img = Image.open(tmp_path / png).convert("L")
        assert img.size[1] > img.size[0] > 800  # portrait A4 at 1.5×
        dark = sum(1 for v in img.getdata() if v < 128)
        assert dark > 10000  # text is drawn
    out = capsys.readouterr().out
    assert str(Path(tmp_path / "announcement_page1.png")) in out


def test_bench_renders_every_file():
    from fingertip_dev.bench.documents import run

    result = run(2)
    assert result["cases"] == 2 and result["files"] == 12 and result["bytes"] > 100_000
