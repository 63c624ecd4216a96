"""The header map: the shipped YAML loads; matching, entity inference, vocabularies; validation."""

from __future__ import annotations

import copy

import pytest
import yaml

from fingertip.inventory import inbox_url
from fingertip.inventory.headers import HeaderMapError, default_path, load_header_map, parse_header_map
from fingertip.store import schema


@pytest.fixture(scope="module")
def hm():
    return load_header_map()


@pytest.fixture(scope="module")
def document():
    return yaml.safe_load(default_path().read_text(encoding="utf-8"))


def test_shipped_map_loads_and_covers_the_schema(hm):
    assert hm.entity_types == ("app", "account", "work_group")
    assert hm.label("app") == "政务应用程序"
    assert set(hm.vocabulary("app_kind").codes) == set(schema.APP_KINDS)
    assert set(hm.vocabulary("account_platform").codes) == set(schema.ACCOUNT_PLATFORMS)
    assert set(hm.vocabulary("group_platform").codes) == set(schema.GROUP_PLATFORMS)
    assert load_header_map() is hm  # cached while the file is unchanged


@pytest.mark.parametrize(
    ("entity", "header", "field"),
    [
        ("app", "应用名称", "name"), ("app", "APP名称", "name"), ("app", "系统名称", "name"),
        ("app", "形态", "kind"), ("app", "主管单位", "sponsor_name"), ("app", "开办单位", "sponsor_name"),
        ("app", "组织机构代码", "sponsor_credit_code"), ("app", "地区代码", "division_code"),
        ("app", "ICP备案号", "filing_number"), ("app", "APP备案号", "filing_number"),
        ("app", "启用时间", "launched_on"), ("app", "trackId", "apple_track_id"),
        ("app", "App Store ID", "apple_track_id"), ("app", "苹果ID", "apple_track_id"),
        ("app", "包名", "package_name"), ("app", "宿主平台", "host_platform"),
        ("app", "投诉入口", "has_complaint_channel"), ("app", "功能清单", "declared_features"),
        ("app", "注册用户数", "user_scale"), ("app", "联系电话", "contact_phone"), ("app", "联系人", "contact_name"),
        ("account", "公众号名称", "name"), ("account", "所属平台", "platform"),
        ("account", "微信号", "platform_account_id"), ("account", "UID", "platform_account_id"),
        ("account", "开通时间", "opened_on"), ("account", "互动渠道", "has_interaction_channel"),
        ("work_group", "群组名称", "name"), ("work_group", "临时群", "is_temporary"),
        ("work_group", "任务结束时间", "task_ends_on"), ("work_group", "成员数", "member_count"),
        ("work_group", "建群时间", "opened_on"), ("work_group", "解散时间", "closed_on"),
        ("work_group", "工作事项", "purpose"),
        # tolerant matching
        ("app", "应用\n名称（必填）", "name"), ("app", "＊ＡＰＰ名称", "name"), ("app", "app store id", "apple_track_id"),
        ("app", "上线日期（格式：2024-01-01）", "launched_on"), ("account", "账号ID*", "platform_account_id"),
    ],
)
def test_synonyms(hm, entity, header, field):
    spec = hm.field_for(header, entity)
    assert spec is not None and spec.name == field


def test_unknown_headers(hm):
    assert hm.field_for("随便一列", "app") is None
    assert hm.is_known("群成员数") and hm.is_known("应用名称（必填）") and not hm.is_known("阳江市政务应用程序台账")


@pytest.mark.parametrize(
    ("headers", "kwargs", "expected"),
    [
        (["序号", "应用名称", "主办单位"], {}, "app"),
        (["名称", "类型", "主办单位"], {}, "app"),
        (["名称", "平台", "账号ID"], {}, "account"),
        (["名称", "平台", "群成员数"], {}, "work_group"),
        (["名称", "平台", "主办单位"], {"sheet_name": "群组"}, "work_group"),
        (["名称", "平台", "主办单位"], {"sheet_name": "Sheet1", "title": "政务新媒体账号台账"}, "account"),
        (["名称", "主办单位"], {"file_name": "阳江市政务应用程序台账.xlsx"}, "app"),
        (["名称", "主办单位"], {"sheet_name": "Sheet1"}, None),
    ],
)
def test_entity_type_inference(hm, headers, kwargs, expected):
    assert hm.infer_entity_type(headers, **kwargs) == expected


def test_map_columns_prefers_the_first_listed_synonym(hm):
    m = hm.map_columns(["序号", "主管单位", "应用名称", "主办单位", "其他说明x", "名称"], "app")
    assert m.fields == {"应用名称": "name", "主办单位": "sponsor_name"}
    assert m.duplicates == {"主管单位": "sponsor_name", "名称": "name"}
    assert m.ignored == ["序号"] and m.unknown == ["其他说明x"]


@pytest.mark.parametrize(
    ("vocabulary", "value", "code"),
    [
        ("app_kind", "原生应用", "app"), ("app_kind", "APP", "app"), ("app_kind", "小程序", "mini_program"),
        ("app_kind", "快应用", "quick_app"), ("app_kind", "APP（安卓+iOS）", "app"), ("app_kind", "mini_program", "mini_program"),
        ("account_platform", "微信公众号", "wechat"), ("account_platform", "微博", "weibo"),
        ("account_platform", "抖音", "douyin"), ("account_platform", "今日头条", "toutiao"),
        ("account_platform", "快手", "kuaishou"), ("account_platform", "B站", "bilibili"),
        ("account_platform", "b 站", "bilibili"), ("account_platform", "视频号", "wechat_channels"),
        ("account_platform", "小红书", "xiaohongshu"),
        ("group_platform", "微信", "wechat"), ("group_platform", "企业微信", "wecom"),
        ("group_platform", "钉钉", "dingtalk"), ("group_platform", "ＱＱ", "qq"),
        ("group_platform", "政务微信", "zhengwuwei"), ("sponsor_level", "县（市、区）级", "county"),
        ("yes_no", "是", "true"), ("yes_no", "无", "false"), ("temporary", "长期", "false"),
        ("account_platform", "脸书", None), ("app_kind", None, None),
    ],
)
def test_vocabularies(hm, vocabulary, value, code):
    assert hm.vocabulary(vocabulary).lookup(value) == code


def _broken(document, mutate):
    doc = copy.deepcopy(document)
    mutate(doc)
    with pytest.raises(HeaderMapError) as err:
        parse_header_map(doc, source="headers.yaml")
    return str(err.value)


def test_validation_of_the_yaml(document):
    assert parse_header_map(copy.deepcopy(document)).version == 1
    msg = _broken(document, lambda d: d["entity_types"]["app"]["fields"]["kind"]["synonyms"].append("应用名称"))
    assert "entity_types.app.fields.kind" in msg and "应用名称" in msg and "ambiguous" in msg
    msg = _broken(document, lambda d: d["entity_types"]["app"]["fields"]["kind"].update(vocabulary="nope"))
    assert "no vocabulary named 'nope'" in msg
    msg = _broken(document, lambda d: d["vocabularies"]["account_platform"].update(myspace=["MySpace"]))
    assert "not in the store schema" in msg
    msg = _broken(document, lambda d: d["vocabularies"]["account_platform"].pop("xiaohongshu"))
    assert "have no terms" in msg and "xiaohongshu" in msg
    msg = _broken(document, lambda d: d["vocabularies"]["yes_no"]["true"].append(True))
    assert "vocabularies.yes_no.true" in msg and "bool" in msg
    msg = _broken(document, lambda d: d["vocabularies"]["app_kind"]["app"].append("小程序"))
    assert "'小程序' already means" in msg
    msg = _broken(document, lambda d: d["entity_types"]["app"]["fields"].update({"Bad-Name": ["x"]}))
    assert "lower-case identifiers" in msg
    msg = _broken(document, lambda d: d["entity_types"].pop("work_group"))
    assert "expected exactly" in msg
    msg = _broken(document, lambda d: d["entity_types"]["app"]["fields"]["name"].update(synonym=["x"]))
    assert "unknown key" in msg
    msg = _broken(document, lambda d: d["entity_types"]["account"]["fields"].pop("name"))
    assert "'name' field is required" in msg
    msg = _broken(document, lambda d: d.update(version=2))
    assert "unsupported version" in msg
    msg = _broken(document, lambda d: d["templates"]["app"].append("platform"))
    assert "templates.app" in msg and "'platform'" in msg
    msg = _broken(document, lambda d: d["templates"]["account"].remove("name"))
    assert "'name' column" in msg


def test_load_errors(tmp_path):
    with pytest.raises(HeaderMapError, match="not found"):
        load_header_map(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [1\n", encoding="utf-8")
    with pytest.raises(HeaderMapError, match="not valid YAML"):
        load_header_map(bad)


def test_inbox_url(monkeypatch, tmp_path):
    monkeypatch.delenv("FINGERTIP_INBOX_URL", raising=False)
    monkeypatch.setenv("FINGERTIP_DATA_DIR", str(tmp_path))
    assert inbox_url() == (tmp_path / "inbox").as_uri()
    monkeypatch.setenv("FINGERTIP_INBOX_URL", "s3://bucket/inbox")
    assert inbox_url() == "s3://bucket/inbox"
