"""The ``outcome`` of a validate_inventory run: a batch without a verdict is never a pass.

Airflow hands a downstream task the XComs of a mapped task that exist, in map-index order: a mapped
``validate`` instance that failed (or was skipped, or its upstream failed) leaves none, so the
sequence the ``outcome`` task gets is *shorter* than the list of pending batches — it is not padded
with ``None`` (``airflow.sdk.execution_time.lazy_sequence.LazyXComSequence`` reads the stored rows by
offset and counts them). The rows below are written that way.
"""

from __future__ import annotations

import pytest

from fingertip.quality.validate import QualityGateRejected, run_outcome

B1, B2, B3 = ({"batch_id": i, "file_name": f"unit{i}.xlsx", "row_count": 10} for i in (1, 2, 3))


def ok(batch):
    return {"batch_id": batch["batch_id"], "file_name": batch["file_name"], "status": "promoted",
            "message_zh": "", "good_rows": 10, "bad_rows": 0}


def bad(batch):
    return {"batch_id": batch["batch_id"], "file_name": batch["file_name"], "status": "rejected",
            "message_zh": "未通过质量闸门", "good_rows": 0, "bad_rows": 10}


# (batches, verdicts, promoted when the run passes | None when it must fail, what the message names)
CASES = [
    ("all validated and promoted", [B1, B2], [ok(B1), ok(B2)], [1, 2], ()),
    ("nothing pending", [], [], [], ()),
    ("one rejected", [B1, B2], [ok(B1), bad(B2)], None, ("1 batch(es) rejected", "unit2.xlsx (batch 2)")),
    ("one validate task failed: its verdict is absent", [B1, B2, B3], [ok(B1), ok(B3)], None,
     ("0 batch(es) rejected, 1 not validated, 2 promoted", "unit2.xlsx (batch 2): no verdict")),
    ("every validate task failed", [B1, B2], [], None, ("2 not validated, 0 promoted", "batch 1", "batch 2")),
    ("a None in the sequence", [B1], [ok(B1), None], None, ("1 not validated", "returned no verdict")),
    ("rejected and absent", [B1, B2, B3], [bad(B1), ok(B2)], None,
     ("1 batch(es) rejected, 1 not validated, 1 promoted", "unit3.xlsx (batch 3): no verdict")),
    ("a verdict of another status", [B1], [{**ok(B1), "status": "staged"}], None,
     ("1 not validated", "unexpected status 'staged'")),
]


@pytest.mark.parametrize("batches,verdicts,promoted,named", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_run_outcome(batches, verdicts, promoted, named):
    if promoted is not None:
        assert run_outcome(batches, verdicts) == {"promoted": promoted}
        return
    with pytest.raises(QualityGateRejected) as err:
        run_outcome(batches, verdicts)
    for text in named:
        assert text in str(err.value), (text, str(err.value))


def test_the_dag_gives_outcome_the_pending_batches():
    """The ``outcome`` task reads the batches it expects from ``pending``, not only the verdicts."""
    from airflow.dag_processing.dagbag import DagBag
    from tests.conftest import ROOT

    dag = DagBag(dag_folder=str(ROOT / "dags" / "validate_inventory.py")).dags["validate_inventory"]
    outcome = dag.get_task("outcome")
    assert {"pending", "validate"} <= outcome.upstream_task_ids
    assert outcome.trigger_rule == "all_done" and outcome.retries == 0
