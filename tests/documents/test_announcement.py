"""The announcement: contents, titles per target type, validation, written files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

import pytest

from fingertip.documents.announcement import (
    AnnouncementError,
    build_announcement,
    platform_name,
    write_announcement,
)
from fingertip.documents.official import Heading, Paragraph, Signature


def _text(doc) -> str:
    return "\n".join(getattr(b, "text", "") for b in doc.blocks)


def test_contents_in_order(announcement_doc, announcement_ctx):
    headings = [b.text for b in announcement_doc.blocks if isinstance(b, Heading)]
    assert headings == ["停止服务时间", "在办业务处理", "替代服务渠道", "个人信息处理", "档案留存", "备案注销及下架", "联系方式"]
    text = _text(announcement_doc)
    c = announcement_ctx
    assert f"{c.sponsor_name}（统一社会信用代码：{c.sponsor_credit_code}）" in text
    assert c.reason_zh in text and c.basis_zh in text
    assert "2026年12月31日24时起停止全部服务" in text
    assert "停止服务前已受理的业务将按原流程办结" in text  # default pending-business text for apps
    assert "“粤省事”（https://www.gdzwfw.gov.cn/）" in text
    assert "2027年1月22日前" in text and "用户注册信息、实名认证信息、业务办理记录" in text
    assert "档案法" in text and c.filing_numbers[0] in text
    assert "苹果App Store、华为应用市场、小米应用商店、腾讯应用宝" in text
    assert c.contact_phone in text and c.contact_email in text
    sig = announcement_doc.blocks[-1]
    assert isinstance(sig, Signature) and sig.issuer == c.sponsor_name and sig.date == c.publication_date
    assert announcement_doc.doc_number == c.doc_number


@pytest.mark.parametrize("target_type,title", [
    ("app", "关于“阳江通”政务服务App停止运营的公告"),
    ("account", "关于“阳江通”政务服务App关停注销的公告"),
    ("work_group", "关于“阳江通”政务服务App关停注销的公告"),
])
def test_title_per_target_type(announcement_ctx, target_type, title):
    ctx = dataclasses.replace(announcement_ctx, target_type=target_type, pending_business_zh=None)
    doc = build_announcement(ctx)
    assert doc.title == title
    if target_type == "account":
        assert "历史留言" in _text(doc)


def test_platform_codes_in_chinese():
    assert platform_name("huawei") == "华为应用市场"
    assert platform_name("APPLE") == "苹果App Store"
    assert platform_name("yingyongbao") == "腾讯应用宝"
    assert platform_name("douyin") == "抖音"
    assert platform_name("某新平台") == "某新平台"


def test_notice_shorter_than_30_days_is_refused(announcement_ctx):
    short = announcement_ctx.publication_date + dt.timedelta(days=29)
    ctx = dataclasses.replace(announcement_ctx, last_service_date=short)
    with pytest.raises(AnnouncementError) as err:
        build_announcement(ctx)
    msg = str(err.value)
    assert "应不少于30天" in msg and "at least 30 days" in msg
    ok = dataclasses.replace(ctx, last_service_date=ctx.publication_date + dt.timedelta(days=30))
    build_announcement(ok)


def test_other_notice_period_needs_its_source(announcement_ctx):
    """30 days is a default, not a floor: another number is refused without its source, accepted with it."""
    with pytest.raises(AnnouncementError, match="without a declared source"):
        build_announcement(dataclasses.replace(announcement_ctx, min_notice_days=20))
    with pytest.raises(AnnouncementError, match="positive integer"):
        build_announcement(dataclasses.replace(announcement_ctx, min_notice_days=0, notice_source_zh="某地规定"))
    ctx = dataclasses.replace(announcement_ctx, min_notice_days=20, notice_source_zh="《某省政务新媒体管理办法》第十二条",
                              last_service_date=announcement_ctx.publication_date + dt.timedelta(days=20))
    text = _text(build_announcement(ctx))
    assert "至少20日发布（提前天数依据：《某省政务新媒体管理办法》第十二条）" in text
    with pytest.raises(AnnouncementError, match="at least 20 days"):
        build_announcement(dataclasses.replace(ctx, last_service_date=ctx.publication_date + dt.timedelta(days=19)))


def test_default_notice_period_states_it_is_a_default(announcement_doc):
    text = _text(announcement_doc)
    assert "至少30日发布（提前天数依据：Fingertip默认值：" in text and "未规定天数" in text


def test_longer_configured_notice_is_enforced(announcement_ctx):
    ctx = dataclasses.replace(announcement_ctx, min_notice_days=45)  # sample gives 38 days
    with pytest.raises(AnnouncementError, match="at least 45 days"):
        build_announcement(ctx)


def test_other_validation(announcement_ctx):
    with pytest.raises(AnnouncementError, match="sponsor_credit_code"):
        build_announcement(dataclasses.replace(announcement_ctx, sponsor_credit_code="11441700007280420X"))
    with pytest.raises(AnnouncementError, match="personal_data_deadline"):
        build_announcement(dataclasses.replace(announcement_ctx, personal_data_deadline=dt.date(2026, 12, 1)))
    with pytest.raises(AnnouncementError, match="target_type"):
        build_announcement(dataclasses.replace(announcement_ctx, target_type="website"))


def test_missing_contacts_and_odd_successor_url_do_not_block(announcement_ctx):
    ctx = dataclasses.replace(announcement_ctx, contact_phone="", contact_email=None,
                              successor_url="javascript:alert(1)", target_type="sponsor")
    doc = build_announcement(ctx)
    text = _text(doc)
    assert "如有疑问，请与阳江市人民政府办公室联系。" in text
    assert "（javascript:alert(1)）" in text  # printed as text; no renderer turns it into a link
    assert doc.title.endswith("关停注销的公告")


def test_write_announcement(tmp_path, announcement_ctx):
    written = write_announcement(announcement_ctx, tmp_path)
    assert [w.doc_format for w in written] == ["docx", "pdf", "html", "md"]
    for w in written:
        path = Path(w.path)
        assert path.parent == tmp_path and path.name == f"announcement_SC-2026-0001.{w.doc_format}"
        data = path.read_bytes()
        assert w.size_bytes == len(data) and w.sha256 == hashlib.sha256(data).hexdigest()
        assert w.kind == "announcement"
    assert Path(written[1].path).read_bytes().startswith(b"%PDF")


def test_write_to_object_storage_path_and_ascii_names(tmp_path, hostile_announcement_ctx):
    from airflow.sdk import ObjectStoragePath

    folder = ObjectStoragePath(tmp_path.as_uri()) / "docs"
    written = write_announcement(hostile_announcement_ctx, folder, formats=("html", "md"))
    for w in written:
        assert w.path.startswith("file://")
        name = w.path.rsplit("/", 1)[-1]
        assert name.isascii() and "/" not in name and ".." not in name.replace(".html", "").replace(".md", "")
        assert (folder / name).exists()
    assert len(list((tmp_path / "docs").iterdir())) == 2


def test_failed_validation_writes_nothing(tmp_path, announcement_ctx):
    with pytest.raises(AnnouncementError):
        write_announcement(dataclasses.replace(announcement_ctx, min_notice_days=10), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_paragraph_blocks_are_plain_text(announcement_doc):
    assert all(isinstance(b, (Heading, Paragraph, Signature)) for b in announcement_doc.blocks)
