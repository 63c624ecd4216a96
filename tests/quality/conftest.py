from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _outputs(tmp_path, monkeypatch):
    """Outputs (reports, Data Docs) of each test in its own folder."""
    out = tmp_path / "out"
    monkeypatch.setenv("FINGERTIP_OUTPUT_URL", out.as_uri())
    return out
