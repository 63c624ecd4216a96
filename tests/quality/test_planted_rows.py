"""The sample generator's planted invalid inventory rows are all caught; no clean row is flagged."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import sqlalchemy as sa

from fingertip.inventory.importer import import_file
from fingertip.quality.validate import validate_batch
from fingertip.store import schema


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    proc = subprocess.run([sys.executable, "-m", "fingertip_dev.sample", "generate", "--entities", "2000", "--seed", "11",
                           "--store-url", f"sqlite:///{out / 'world.db'}", "--out", str(out / "gen")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    truth = [json.loads(line) for line in (out / "gen" / "ground_truth.jsonl").read_text(encoding="utf-8").splitlines()]
    planted = {(t["file"], t["row"]): t["kind"] for t in truth if "invalid_inventory_row" in t.get("labels", [])}
    return out / "gen" / "inventory", planted


def test_every_planted_row_caught_and_no_clean_row_flagged(store_engine, tmp_path, sample):
    folder, planted = sample
    assert planted and len({k for k in planted.values()}) == 7
    inbox = tmp_path / "inbox"
    shutil.copytree(folder, inbox)
    flagged: dict[tuple[str, int], set[str]] = {}
    verdicts = []
    for path in sorted(inbox.iterdir()):
        result = import_file(store_engine, path)
        assert result.status == "staged", result.message
        v = validate_batch(store_engine, result.batch_id)
        verdicts.append(v)
        with store_engine.connect() as c:
            for row in c.execute(sa.select(schema.quarantined_rows.c.row_number, schema.quarantined_rows.c.expectation)
                                 .where(schema.quarantined_rows.c.batch_id == result.batch_id)):
                flagged.setdefault((path.name, row.row_number), set()).add(row.expectation)
    missed = {k: v for k, v in planted.items() if k not in flagged}
    extra = {k: v for k, v in flagged.items() if k not in planted}
    assert not missed, f"planted rows not caught: {missed}"
    assert not extra, f"clean rows flagged: {extra}"
    assert sum(v.bad_rows for v in verdicts) == len(planted)
    assert all(not v.critical_failures for v in verdicts)
