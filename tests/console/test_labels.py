"""Every kind of document the runtime registers has a Chinese label on the console's pages."""

from __future__ import annotations

import re
from pathlib import Path

import fingertip
from fingertip.console.app import DOC_KIND_ZH

# The three ways the runtime names a registered document's kind.
_KIND = re.compile(r'return \[\("([a-z_]+)", fmt|written_document\("([a-z_]+)"|doc_kind="([a-z_]+)"')


def _registered_kinds() -> set[str]:
    root = Path(fingertip.__file__).parent
    found: set[str] = set()
    for path in root.rglob("*.py"):
        for m in _KIND.finditer(path.read_text(encoding="utf-8")):
            found.add(next(g for g in m.groups() if g))
    return found


def test_every_registered_document_kind_has_a_label():
    kinds = _registered_kinds()
    # the writers this test must see (a regex that finds nothing would prove nothing)
    assert {"announcement", "disposal_checklist", "closing_record", "report"} <= kinds
    assert kinds - DOC_KIND_ZH.keys() == set()
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in DOC_KIND_ZH.values())
