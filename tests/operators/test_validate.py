"""``ValidateInventoryOperator`` in a real run: promoted, rejected by the gate (no retry), re-validated looser."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from tests.operators.conftest import out_dir, run_dag, ti_states, xcom
from tests.quality.helpers import app_csv

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAG = '''
    from airflow.sdk import Param

    from fingertip.operators import ValidateInventoryOperator

    with DAG("validate_probe", schedule=None, start_date=START, catchup=False,
             params={{"share": Param(0.25, type="number")}}):
        good = ValidateInventoryOperator(task_id="good", batch={good})
        bad = ValidateInventoryOperator(task_id="bad", batch={{"batch_id": {bad}, "file_name": "bad.csv"}},
                                        max_bad_share="0.05", fail_on_reject=True, retries=2)
        looser = ValidateInventoryOperator(task_id="looser", batch="{bad}", max_bad_share="{{{{ params.share }}}}",
                                           trigger_rule="all_done")
        good >> bad >> looser
'''


def test_gate_fails_without_retry_and_a_looser_share_promotes(dag_env, tmp_path):
    from fingertip.inventory.importer import import_file
    from fingertip.store.engine import create_store_engine

    engine = create_store_engine(dag_env["FINGERTIP_STORE_URL"])
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "good.csv").write_bytes(app_csv(30))
    (inbox / "bad.csv").write_bytes(app_csv(10, {1: {5: "000001"}, 2: {5: "000002"}}))  # 20 % bad
    ids = {p.name: import_file(engine, p).batch_id for p in sorted(inbox.iterdir())}

    log = run_dag(dag_env, "validate_probe", DAG.format(good=ids["good.csv"], bad=ids["bad.csv"]))
    assert ti_states(dag_env, "validate_probe") == {"good": "success", "bad": "failed", "looser": "success"}, \
        log[-4000:]
    assert "QualityGateRejected" in log and "未通过质量闸门" in log
    with sa.create_engine(dag_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).connect() as c:
        tries = c.execute(sa.text("SELECT try_number FROM task_instance WHERE dag_id = 'validate_probe' "
                                  "AND task_id = 'bad'")).scalar_one()
    assert tries == 1  # the data is at fault, not the machine: retries=2 was not used
    good = xcom(dag_env, "validate_probe", "good")
    assert good["status"] == "promoted" and good["good_rows"] == 30
    assert good["output"]["ref"] == f"quality/{ids['good.csv']}"
    looser = xcom(dag_env, "validate_probe", "looser")
    assert looser["status"] == "promoted" and looser["max_bad_share"] == 0.25 and looser["bad_rows"] == 2
    with engine.connect() as c:
        status = dict(c.execute(sa.text("SELECT id, status FROM import_batches")).all())
    engine.dispose()
    assert status == {ids["good.csv"]: "promoted", ids["bad.csv"]: "promoted"}
    assert list((out_dir(dag_env) / "quality" / str(ids["bad.csv"])).glob("*.xlsx"))  # the rejection report
