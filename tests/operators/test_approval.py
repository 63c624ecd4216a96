"""``CaseApprovalOperator`` as a building block: exposed from ``fingertip.operators``, linked to the case's
folder, its decision recorded by the completion method (the behaviour tests stay in tests/lifecycle)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from tests.conftest import ROOT
from tests.lifecycle.conftest import DAY

from fingertip.lifecycle import approval, cases, opening
from fingertip.links import FingertipOutputLink, link_for


@pytest.fixture
def case_key(store_engine, population, monkeypatch, tmp_path):
    monkeypatch.setenv("FINGERTIP_STORE_URL", store_engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("FINGERTIP_OUTPUT_URL", (tmp_path / "out").as_uri())
    monkeypatch.delenv("FINGERTIP_CONSOLE_URL", raising=False)
    case, _ = opening.open_by_ops(store_engine, target_type="app", target_key="APP-Z", actor="赵六",
                                  reason="长期不更新", successor="app:APP-S")
    return case["case_key"]


def _event(choice):
    return {"chosen_options": [choice], "params_input": {"comment": "同意", "successor": ""},
            "responded_at": dt.datetime(2026, 11, 20, 3, 4, 5, tzinfo=dt.UTC),
            "responded_by_user": {"id": "u1", "name": "liwei"}, "timedout": False}


def test_the_operator_of_fingertip_operators_is_the_lifecycle_one():
    from fingertip.operators import CaseApprovalOperator

    assert CaseApprovalOperator is approval.CaseApprovalOperator
    assert [type(x) for x in CaseApprovalOperator.operator_extra_links] == [FingertipOutputLink]
    op = CaseApprovalOperator(task_id="approve_case", case_key="{{ params.case }}", subject="关停审批", body="…")
    assert set(op.template_fields) >= {"case_key", "subject", "body"}
    assert op.options == [approval.APPROVE, approval.REJECT]


def test_decision_result_links_to_the_case_folder(store_engine, settings, case_key, tmp_path,
                                                  monkeypatch):
    from fingertip.operators import CaseApprovalOperator

    approval.request_approvals(store_engine, settings=settings, run_id="r1", day=DAY)
    op = CaseApprovalOperator(task_id="approve_case", case_key=case_key, subject="关停审批", body="…")
    context = {"dag_run": SimpleNamespace(run_id="r1"), "ti": SimpleNamespace(map_index=0)}
    result = op.execute_complete(context, _event(approval.APPROVE))
    assert result["outcome"] == "approved" and result["actor"] == "liwei"
    assert result["output"]["ref"] == f"cases/{case_key}"
    assert link_for(result) == (tmp_path / "out" / "cases" / case_key).as_uri() + "/"
    assert link_for(result, console_url="https://console.example.gov.cn") == \
        f"https://console.example.gov.cn/cases/{case_key}"
    with store_engine.connect() as conn:
        assert cases.get_case(conn, case_key)["state"] == "approved"


def test_a_timeout_still_links_to_the_case(store_engine, settings, case_key):
    from fingertip.operators import CaseApprovalOperator

    approval.request_approvals(store_engine, settings=settings, run_id="r1", day=DAY)
    op = CaseApprovalOperator(task_id="approve_case", case_key=case_key, subject="关停审批", body="…")
    result = op.execute_complete({"dag_run": SimpleNamespace(run_id="r1")},
                                 {"error": "timed out", "error_type": "timeout"})
    assert result["outcome"] == "timed_out" and result["output"]["ref"] == f"cases/{case_key}"


def test_shutdown_dag_uses_it_for_the_approval_step():
    from airflow.dag_processing.dagbag import DagBag

    from fingertip.operators import CaseApprovalOperator

    bag = DagBag(dag_folder=str(ROOT / "dags" / "shutdown_cases.py"))
    assert bag.import_errors == {}
    task = bag.dags["shutdown_cases"].get_task("approve_case")
    assert task.operator_class is CaseApprovalOperator or issubclass(task.operator_class, CaseApprovalOperator)
