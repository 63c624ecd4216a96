"""``DetectFindingsOperator`` in a real run: templated params (dry run, date, families), the run's date, skip."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from tests.lifecycle.conftest import populate
from tests.operators.conftest import out_dir, run_dag, ti_states, xcom

from fingertip.operators._values import as_bool, as_date, as_list

DAG = '''
    from airflow.sdk import Param

    from fingertip.operators import DetectFindingsOperator

    with DAG("detect_probe", schedule=None, start_date=START, catchup=False, params={
            "dry_run": Param(True, type="boolean"), "check_date": Param("2026-11-20", type=["null", "string"]),
            "families": Param(["stale_account"], type="array")}):
        tmpl = dict(check_date="{{ params.check_date }}", dry_run="{{ params.dry_run }}", families="{{ params.families }}")
        dry = DetectFindingsOperator(task_id="dry", **tmpl)
        dry_skip = DetectFindingsOperator(task_id="dry_skip", skip_dry_run=True, **tmpl)
        stored = DetectFindingsOperator(task_id="stored", families=["stale_account"], trigger_rule="none_failed")
        [dry, dry_skip] >> stored
'''


def test_values_from_rendered_templates():
    assert as_bool("True") is True and as_bool("false") is False and as_bool(None) is False
    assert as_date("None") is None and str(as_date("2026-11-20")) == "2026-11-20"
    assert as_list("['stale_account', 'zombie_app']") == ["stale_account", "zombie_app"]
    assert as_list("[]") == [] and as_list("a, b") == ["a", "b"] and as_list(("x",)) == ["x"]
    with pytest.raises(ValueError):
        as_bool("perhaps")


@pytest.mark.airflow
@pytest.mark.slow
def test_dry_run_then_stored_run_on_the_runs_beijing_date(dag_env):
    engine = sa.create_engine(dag_env["FINGERTIP_STORE_URL"])
    populate(engine)
    # 18:00 UTC on 19 November is 20 November in Beijing: the stored run checks that day
    log = run_dag(dag_env, "detect_probe", DAG, logical_date="2026-11-19T18:00:00+00:00")
    assert ti_states(dag_env, "detect_probe") == {"dry": "success", "dry_skip": "skipped", "stored": "success"}, \
        log[-4000:]
    dry = xcom(dag_env, "detect_probe", "dry")
    assert dry["dry_run"] is True and dry["findings"] >= 1
    assert dry["output"]["ref"] == "findings/2026-11-20-dry-run"
    assert (out_dir(dag_env) / "findings" / "2026-11-20-dry-run" / "findings.jsonl").read_text(encoding="utf-8")
    stored = xcom(dag_env, "detect_probe", "stored")
    assert stored["dry_run"] is False and stored["check_date"] == "2026-11-20"
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT rule_id, target_key FROM findings")).all()
    engine.dispose()
    # only the stale_account family ran, and only the stored run wrote: the old account is flagged
    assert rows and {key for _, key in rows} == {"ACC-Z"} and all(r.startswith("account.") for r, _ in rows)
    assert stored["findings"] == len(rows)
