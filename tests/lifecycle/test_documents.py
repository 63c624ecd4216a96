"""Announcing a case: the documents are filled from the store, written and recorded (layout checks
belong to the documents package's own tests)."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.lifecycle.conftest import DAY, LICENCES

from fingertip.lifecycle import approval, cases, documents, opening, tasks
from fingertip.store import schema

pytest.importorskip("fingertip.documents.disposal")


def _approved(engine, successor="app:APP-S"):
    case, _ = opening.open_by_ops(engine, target_type="app", target_key="APP-Z", actor="赵六",
                                  reason="僵尸应用：686天未更新", successor=successor)
    approval.apply_decision(engine, case["case_key"], approved=True, actor="王五", comment="同意关停")
    return case["case_key"]


def test_contexts_come_from_the_store(store_engine, population, settings):
    from fingertip.lifecycle.successor import check

    key = _approved(store_engine)
    with store_engine.connect() as conn:
        case = cases.get_case(conn, key)
        ann, chk = documents.build_contexts(conn, case, settings, announced_on=DAY,
                                            successor=check(conn, "app", "APP-S", day=DAY))
    assert (ann.sponsor_name, ann.sponsor_credit_code) == ("阳江市人民政府办公室", "11441700007280420Y")
    assert ann.filing_numbers == sorted(LICENCES)
    assert ann.platforms == ["苹果App Store", "华为应用市场"]
    assert ann.publication_date == DAY and (ann.last_service_date - DAY).days == 30
    assert ann.successor_name == "阳江政务服务" and ann.successor_url == "https://apps.apple.com/cn/app/id1000000102"
    assert ann.contact_phone == "0662-3333333" and ann.contact_email.startswith("zhangsan@")
    assert "个人信息（含敏感个人信息）" in ann.data_categories
    assert chk.responsible_person == "张三" and chk.deadline == ann.personal_data_deadline
    assert [x.name for x in chk.data_categories] == ann.data_categories


def test_announce_writes_and_records_documents(store_engine, population, settings, outputs):
    key = _approved(store_engine)
    result = tasks.announce_approved(store_engine, day=DAY, settings=settings)
    assert result["announced"] == [key] and result["documents"] == 6
    with store_engine.connect() as conn:
        case = cases.get_case(conn, key)
        rows = conn.execute(sa.select(schema.documents).where(schema.documents.c.case_id == case["id"])).mappings().all()
        app_status = conn.execute(sa.select(schema.apps.c.status).where(schema.apps.c.app_key == "APP-Z")).scalar_one()
        ev = cases.events(conn, case["id"])[-1]
    assert case["state"] == "announced" and case["announced_on"] == DAY
    assert (case["stop_on"] - DAY).days == 30 and case["disposal_due_on"] > case["stop_on"]
    assert app_status == "shutting_down" and ev["to_state"] == "announced" and len(ev["evidence"]["documents"]) == 6
    assert sorted((r["doc_kind"], r["doc_format"]) for r in rows) == sorted(
        [("announcement", f) for f in ("docx", "pdf", "html", "md")] +
        [("disposal_checklist", f) for f in ("xlsx", "docx")])
    planned = {Path(p).name for p in documents.planned_documents(key)}
    for r in rows:
        path = Path(r["path"].removeprefix("file://"))
        assert path.parent == outputs / "cases" / key and path.name in planned
        assert hashlib.sha256(path.read_bytes()).hexdigest() == r["sha256"] and path.stat().st_size == r["size_bytes"]
    md = next(Path(r["path"].removeprefix("file://")) for r in rows if r["doc_format"] == "md").read_text("utf-8")
    for text in ("阳江掌上通", "11441700007280420Y", LICENCES[0], "阳江政务服务", "apps.apple.com/cn/app/id1000000102"):
        assert text in md
    import docx
    import openpyxl

    docx_path = next(Path(r["path"].removeprefix("file://")) for r in rows
                     if r["doc_format"] == "docx" and r["doc_kind"] == "announcement")
    body = "\n".join(p.text for p in docx.Document(str(docx_path)).paragraphs)
    assert "阳江市人民政府办公室" in body and "2026年12月20日" in body
    xlsx_path = next(Path(r["path"].removeprefix("file://")) for r in rows if r["doc_format"] == "xlsx")
    cells = [str(v) for ws in openpyxl.load_workbook(xlsx_path).worksheets for row in ws.iter_rows(values_only=True)
             for v in row if v is not None]
    assert any("张三" in v for v in cells) and any("个人信息" in v for v in cells)
    # announcing again does nothing: the case is no longer approved
    again = tasks.announce_approved(store_engine, day=DAY, settings=settings)
    assert again["announced"] == [] and again["approved"] == 0


def test_many_cases_render_in_a_process_pool(store_engine, population, settings, outputs):
    keys = [_approved(store_engine)]
    case, _ = opening.open_by_ops(store_engine, target_type="account", target_key="ACC-Z", actor="赵六",
                                  reason="长期不更新", successor="account:ACC-S")
    approval.apply_decision(store_engine, case["case_key"], approved=True, actor="王五", comment="同意")
    keys.append(case["case_key"])
    blocked, _ = opening.open_by_ops(store_engine, target_type="work_group", target_key="WG-1", actor="赵六",
                                     reason="任务结束")  # no successor named or suggested
    approval.apply_decision(store_engine, blocked["case_key"], approved=True, actor="王五", comment="同意")
    # the full path for every target (the light path of temporary groups: tests/lifecycle/test_light_close.py)
    settings = dataclasses.replace(settings, light_close_temporary_groups=False)
    result = tasks.announce_approved(store_engine, day=DAY, settings=settings, workers=2)
    assert sorted(result["announced"]) == sorted(keys) and result["documents"] == 12
    assert list(result["blocked"]) == [blocked["case_key"]] and "未指定继任渠道" in result["blocked"][blocked["case_key"]]
    with store_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.documents)).scalar_one() == 12
    assert len(list((outputs / "cases" / keys[1]).iterdir())) == 6


def test_a_case_that_cannot_be_rendered_is_blocked_and_the_others_announced(store_engine, population, settings,
                                                                           outputs, monkeypatch):
    """Issue 14 item 6: the first case's checklist cannot be rendered (after its announcement was): it is
    blocked with the reason, leaves no file and no row, and the later case is still announced."""
    from fingertip.documents import disposal

    first = _approved(store_engine)
    case, _ = opening.open_by_ops(store_engine, target_type="account", target_key="ACC-Z", actor="赵六",
                                  reason="长期不更新", successor="account:ACC-S")
    approval.apply_decision(store_engine, case["case_key"], approved=True, actor="王五", comment="同意")
    second = case["case_key"]
    real = disposal.checklist_xlsx

    def broken(ctx):
        if ctx.case_key == first:
            raise ValueError("清单模板损坏")
        return real(ctx)

    monkeypatch.setattr(disposal, "checklist_xlsx", broken)
    result = tasks.announce_approved(store_engine, day=DAY, settings=settings)
    assert result["announced"] == [second] and result["documents"] == 6
    assert list(result["failed"]) == [first] and "清单模板损坏" in result["failed"][first]
    with store_engine.connect() as conn:
        blocked = cases.get_case(conn, first)
        rows = conn.execute(sa.select(schema.documents.c.path, schema.documents.c.case_id)).all()
        ev = cases.events(conn, blocked["id"])[-1]
    assert blocked["state"] == "approved" and "清单模板损坏" in blocked["blocked_reason"]
    assert "清单模板损坏" in ev["reason"] and not (blocked.get("details") or {}).get("announcing_since")
    assert {r.case_id for r in rows} == {cases_id(store_engine, second)} and len(rows) == 6
    folder = outputs / "cases" / first
    assert not folder.exists() or not list(folder.iterdir())  # no file of the failed case, no temporary file
    assert sorted(p.name for p in (outputs / "cases" / second).iterdir()) == sorted(
        Path(p).name for p in documents.planned_documents(second))

    monkeypatch.setattr(disposal, "checklist_xlsx", real)  # repaired: the next run announces it
    again = tasks.announce_approved(store_engine, day=DAY, settings=settings)
    assert again["announced"] == [first] and again["failed"] == {}
    with store_engine.connect() as conn:
        assert cases.get_case(conn, first)["blocked_reason"] is None


def cases_id(engine, case_key: str) -> int:
    with engine.connect() as conn:
        return cases.get_case(conn, case_key)["id"]
