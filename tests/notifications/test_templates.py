"""Templates: autoescaping, strict undefined, a text twin for every HTML mail."""

from __future__ import annotations

import datetime as dt

import jinja2
import pytest

from fingertip.notifications import templates

MINE = ["report_summary", "audit_summary", "reminder", "sponsor_digest"]
HOSTILE = '<img src=x onerror=alert(1)>=HYPERLINK("http://evil")'


def contexts():
    base = {"title": "标题", "generated_at": dt.datetime(2026, 11, 23, 1, 0)}
    return {
        "report_summary": {**base, "period_label": "2026年第三季度", "summary": HOSTILE,
                           "key_figures": [{"label": "应用总数", "value": 12345}], "charts": [{"cid": "c1", "caption": "图1"}],
                           "attachments": ["一张表.xlsx"]},
        "audit_summary": {**base, "summary": "专项核查", "scope": ["广东省"], "rule_families": ["僵尸应用"],
                          "sampling": {"rate": 0.1, "seed": 42}, "key_figures": [{"label": "核查对象", "value": 100}],
                          "findings": [{"title": "问题", "severity": "high", "target_type": "app",
                                        "target_name": HOSTILE, "basis": "《意见》第7条"}],
                          "total_findings": 1, "attachments": ["报告.docx"]},
        "reminder": {**base, "recipient_name": "广东省数据局", "lead": "关停公告即将到期", "due_date": dt.date(2026, 12, 1),
                     "days_left": 3, "items": [{"label": "关停对象", "value": HOSTILE}], "actions": ["发布公告"]},
        "sponsor_digest": {**base, "period_label": "2026年11月", "sponsor": {"name": "单位", "credit_code": "X"},
                           "findings": [{"title": "问题", "severity": "high", "state": "open", "target_type": "app",
                                         "target_name": HOSTILE, "target_key": "APP-1", "basis": "依据",
                                         "first_seen_at": dt.datetime(2026, 11, 1), "remediation": "整改"}],
                           "total": 1, "listed": 1, "by_severity": {"high": 1, "medium": 0, "low": 0}},
    }


@pytest.mark.parametrize("name", MINE)
def test_html_escapes_and_text_twin(name):
    text, html = templates.render_pair(name, **contexts()[name])
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert HOSTILE in text  # text is not HTML: printed as is
    assert html.lstrip().startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in html
    assert "自动发送" in html and "自动发送" in text
    assert "2026-11-23 09:00" in html  # generated_at (UTC) shown in Beijing time
    assert "<style" not in html  # inline CSS only


def test_strict_undefined():
    ctx = contexts()["report_summary"]
    del ctx["key_figures"]
    with pytest.raises(jinja2.UndefinedError):
        templates.render("report_summary.html.j2", **ctx)


def test_my_html_templates_have_text_twins():
    names = set(templates.template_names())
    for name in MINE + ["base"]:
        assert f"{name}.html.j2" in names and f"{name}.txt.j2" in names


def test_filters():
    env = templates.environment()
    assert env.from_string("{{ 1234567 | number }}").render() == "1,234,567"
    assert env.from_string("{{ 'high' | severity_zh }}").render() == "高"
    assert env.from_string("{{ d | date }}").render(d=dt.date(2026, 1, 31)) == "2026-01-31"
    assert env.from_string("{{ s }}").render(s="<b>") == "&lt;b&gt;"  # strings autoescape too
