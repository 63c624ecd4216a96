"""``FingertipOutputLink``: the URL comes from the task's real XCom, written by Airflow when the task ends."""

from __future__ import annotations

import pytest
from tests.operators.conftest import out_dir, run_dag, ti_states, xcom

from fingertip.links import FingertipOutputLink, link_for, output_location

LINK_KEY = "_link_FingertipOutputLink"

DAG = '''
    from fingertip.operators import DetectFindingsOperator

    with DAG("{dag_id}", schedule=None, start_date=START, catchup=False):
        DetectFindingsOperator(task_id="detect", check_date="2026-11-20", families=["stale_account"])
        DetectFindingsOperator(task_id="broken", check_date="2026-11-20", families=["no_such_family"], retries=0)
'''


def test_link_for_prefers_the_console_and_is_empty_without_output():
    value = {"findings": 3, "output": {"ref": "cases/SC-2026-0001", "url": "file:///o/cases/SC-2026-0001/"}}
    assert link_for(value) == "file:///o/cases/SC-2026-0001/"
    assert link_for(value, console_url="https://console.example.gov.cn/ft/") == \
        "https://console.example.gov.cn/ft/cases/SC-2026-0001"
    assert link_for({"findings": 3}) == "" and link_for(None) == "" and link_for("x") == ""
    assert link_for({"output": {"ref": "reports/2026Q3 广东", "url": "u"}}, console_url="https://c") == \
        "https://c/reports/2026Q3%20%E5%B9%BF%E4%B8%9C"


def test_output_location_follows_the_configured_outputs(tmp_path, monkeypatch):
    monkeypatch.setenv("FINGERTIP_OUTPUT_URL", (tmp_path / "out").as_uri())
    assert output_location("reports", "2026Q3", "440000") == {
        "ref": "reports/2026Q3/440000", "url": (tmp_path / "out" / "reports" / "2026Q3" / "440000").as_uri() + "/"}
    with pytest.raises(ValueError):
        output_location("", "/")


@pytest.mark.airflow
@pytest.mark.slow
def test_detection_task_links_to_its_findings_folder_from_the_real_xcom(dag_env):
    log = run_dag(dag_env, "links_probe", DAG.format(dag_id="links_probe"))
    assert ti_states(dag_env, "links_probe") == {"detect": "success", "broken": "failed"}, log[-4000:]
    assert xcom(dag_env, "links_probe", "detect")["output"]["ref"] == "findings/2026-11-20"
    folder = out_dir(dag_env) / "findings" / "2026-11-20"
    assert xcom(dag_env, "links_probe", "detect", LINK_KEY) == folder.as_uri() + "/"
    assert (folder / "summary.json").is_file()
    assert xcom(dag_env, "links_probe", "broken", LINK_KEY) in (None, "")  # failed: produced nothing, no link

    # with a console configured, the same output links to the console's page
    env = {**dag_env, "FINGERTIP_CONSOLE_URL": "https://console.example.gov.cn/fingertip"}
    log = run_dag(env, "links_console", DAG.format(dag_id="links_console"))
    assert xcom(env, "links_console", "detect", LINK_KEY) == \
        "https://console.example.gov.cn/fingertip/findings/2026-11-20", log[-4000:]


def test_link_is_declared_on_every_fingertip_operator():
    from fingertip.operators import (
        CaseApprovalOperator,
        DetectFindingsOperator,
        ProduceReportOperator,
        ValidateInventoryOperator,
    )

    for op in (DetectFindingsOperator, ValidateInventoryOperator, CaseApprovalOperator, ProduceReportOperator):
        assert [type(link) for link in op.operator_extra_links] == [FingertipOutputLink], op
    assert FingertipOutputLink().name == "Fingertip output"
