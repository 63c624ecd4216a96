"""DAG integrity over dags/: they import, are documented, and do no heavy work at parse time."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.helpers import run_python

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
EXPECTED = {
    "fingertip_sample_data",
    "fingertip_store_maintenance",
    "ingest_app_store",
    "ingest_filings",
    "ingest_accounts",
    "import_inventory",
    "validate_inventory",
    "detect_findings",
    "sponsor_digests",
    "shutdown_cases",
    "periodic_report",
    "adhoc_audit",
}
HEAVY = ["great_expectations", "pandas", "openpyxl", "docx", "matplotlib", "fingertip_dev.sample", "psycopg",
         "reportlab", "pypdfium2"]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}, dagbag.import_errors


def test_expected_dags_present(dagbag):
    assert EXPECTED <= set(dagbag.dag_ids)


def test_dags_are_documented_tagged_and_owned(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.doc_md and len(dag.doc_md.strip()) > 80, f"{dag_id}: doc_md missing"
        assert "fingertip" in dag.tags, f"{dag_id}: tag 'fingertip' missing"
        assert not dag.catchup, f"{dag_id}: catchup must be off"
        for t in dag.tasks:
            assert t.owner == "fingertip", f"{dag_id}.{t.task_id}: owner"


@pytest.mark.parametrize("dag_file", sorted(p.name for p in DAGS_DIR.glob("*.py")))
def test_dag_file_imports_nothing_heavy(dag_file):
    """Parsing a DAG file must not import GX, pandas, document libraries or the generator."""
    code = (
        "import sys, json, runpy; import airflow.sdk; before = set(sys.modules);"
        f"runpy.run_path({str(DAGS_DIR / dag_file)!r});"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules and m not in before)))"
    )
    # a fresh process that has imported airflow.sdk and nothing heavy: a fork of a server that imported
    # exactly that (tests/helpers.py), instead of paying the import once per DAG file
    proc = run_python(dict(os.environ), "-c", code, preload=("airflow.sdk",))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
