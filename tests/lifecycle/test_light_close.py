"""The light closing path of an internal temporary work group (issue 16 item 8): no public announcement,
no 30-day notice, no ten-step checklist — a short internal closing record, through the lifecycle."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import sqlalchemy as sa
from tests.lifecycle.conftest import DAY

from fingertip.lifecycle import approval, cases, opening, reminders, tasks
from fingertip.lifecycle.settings import SettingsError, parse
from fingertip.store import schema

pytest.importorskip("fingertip.documents.closing_record")


def _approved_group(engine) -> str:
    case, _ = opening.open_by_ops(engine, target_type="work_group", target_key="WG-1", actor="赵六",
                                  reason="临时任务已结束")  # no successor: an internal group needs none
    approval.apply_decision(engine, case["case_key"], approved=True, actor="王五", comment="同意解散")
    return case["case_key"]


def test_temporary_group_is_closed_with_an_internal_record(store_engine, population, settings, outputs):
    assert settings.light_close_temporary_groups  # on by default (shutdown.yaml)
    key = _approved_group(store_engine)
    result = tasks.announce_approved(store_engine, day=DAY, settings=settings)
    assert result["announced"] == [key] and result["blocked"] == {} and result["documents"] == 2
    files = sorted(p.name for p in (outputs / "cases" / key).iterdir())
    assert [f.rsplit(".", 1)[1] for f in files] == ["docx", "md"] and all(f.startswith("closing_record_") for f in files)
    text = next((outputs / "cases" / key).glob("*.md")).read_text(encoding="utf-8")
    assert "防汛临时工作群解散记录" in text and "内部工作记录" in text and "不发布公开公告" in text
    assert "不填报数据处置清单" in text and "群主" in text and "2025年10月1日" in text
    with store_engine.connect() as conn:
        case = cases.get_case(conn, key)
        kinds = set(conn.execute(sa.select(schema.documents.c.doc_kind)
                                 .where(schema.documents.c.case_id == case["id"])).scalars())
    assert kinds == {"closing_record"}  # no announcement, no disposal checklist
    assert case["state"] == "announced" and case["details"]["light_close"] is True
    assert case["announced_on"] == case["stop_on"] == case["disposal_due_on"] == DAY  # no notice period
    assert reminders.enqueue_reminders(store_engine, settings=settings, case_keys=[key])["reminders"] == 0

    moved = tasks.advance_dates(store_engine, day=DAY + dt.timedelta(days=1))
    assert moved == {"service_stopped": [key], "data_disposed": [key]}  # no signed checklist needed
    with store_engine.connect() as conn:
        events = [(e["to_state"], e["reason"]) for e in conn.execute(
            sa.select(schema.case_events).where(schema.case_events.c.case_id == case["id"])
            .order_by(schema.case_events.c.id)).mappings()]
    assert [s for s, _ in events][-3:] == ["announced", "service_stopped", "data_disposed"]
    assert "内部解散记录已生成" in events[-3][1] and "轻量关闭" in events[-1][1]


def test_light_path_switched_off_takes_the_full_path(store_engine, population, settings, outputs):
    full = dataclasses.replace(settings, light_close_temporary_groups=False)
    key = _approved_group(store_engine)
    result = tasks.announce_approved(store_engine, day=DAY, settings=full)
    assert result["announced"] == [] and "未指定继任渠道" in result["blocked"][key]  # the full path needs a successor


def test_a_permanent_group_takes_the_full_path(store_engine, population, settings, outputs):
    with store_engine.begin() as conn:
        conn.execute(sa.update(schema.work_groups).where(schema.work_groups.c.group_key == "WG-1")
                     .values(is_temporary=False))
    key = _approved_group(store_engine)
    assert key in tasks.announce_approved(store_engine, day=DAY, settings=settings)["blocked"]


def test_light_close_setting_is_checked():
    assert parse({"light_close": {"temporary_work_groups": False}}, "x.yaml").light_close_temporary_groups is False
    with pytest.raises(SettingsError, match="light_close.temporary_work_groups: expected true or false"):
        parse({"light_close": {"temporary_work_groups": "yes"}}, "x.yaml")
    with pytest.raises(SettingsError, match="light_close: unknown key"):
        parse({"light_close": {"groups": True}}, "x.yaml")


def test_dry_run_shows_the_light_path(store_engine, population, settings):
    from fingertip.lifecycle import timeline

    key = _approved_group(store_engine)
    with store_engine.connect() as conn:
        plan = timeline.case_timeline(conn, cases.get_case(conn, key), day=DAY, settings=settings)
    assert plan["light_close"] is True and plan["notice_days"] == 0 and plan["reminders"] == []
    assert plan["blocked"] is None and [d.rsplit("/", 1)[1].split("_SC")[0] for d in plan["documents"]] == [
        "closing_record", "closing_record"]
    with store_engine.connect() as conn:
        full = timeline.case_timeline(conn, cases.get_case(conn, key), day=DAY,
                                      settings=dataclasses.replace(settings, light_close_temporary_groups=False))
    assert full["light_close"] is False and full["notice_days"] == 30 and full["blocked"]
