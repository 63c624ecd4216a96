"""The shutdown announcement (关停/停止运营公告) of an app, an official account or a work group.

:func:`build_announcement` turns an :class:`AnnouncementContext` into an :class:`OfficialDocument` with
the contents practice requires (``reference.md``): the sponsor and its unified social credit code,
reason and basis, the last service date (at least ``min_notice_days`` after publication: 30 by
default, another positive number only with its declared source, both printed in the announcement),
business in progress, the successor channel (name and link), what happens to personal data and by
when, records archived by law, the filings to be cancelled and the stores/platforms it leaves,
contacts, and the issuer/date signature. :func:`write_announcement` writes it as DOCX, PDF, HTML and
Markdown.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from fingertip.documents.official import (
    TARGET_TYPES,
    Heading,
    OfficialDocument,
    Paragraph,
    Signature,
    WrittenDocument,
    as_dir,
    format_date,
    safe_file_stem,
    written,
)
from fingertip.documents.render import render_formats

log = logging.getLogger(__name__)

#: Days between publication of the announcement and the last service date, when a deployment
#: configures nothing else — the one definition (``fingertip.lifecycle.settings`` reads it). The
#: Opinions (Art. 7) demand only an announcement in advance (提前发布公告), without a number of days:
#: 30 is a Fingertip default, not a policy floor. Another positive number of days may be configured
#: with its source (``min_notice_source`` in shutdown.yaml).
DEFAULT_NOTICE_DAYS = 30
DEFAULT_NOTICE_SOURCE_ZH = ("Fingertip默认值：《关于防治“指尖上的形式主义”的若干意见》第7条要求“提前发布公告”，未规定天数；"
                            "30日取自地方政府网站关停的公告做法")

PLATFORM_NAMES: dict[str, str] = {
    "apple": "苹果App Store", "app_store": "苹果App Store", "appstore": "苹果App Store",
    "huawei": "华为应用市场", "xiaomi": "小米应用商店", "oppo": "OPPO软件商店", "vivo": "vivo应用商店",
    "honor": "荣耀应用市场", "yingyongbao": "腾讯应用宝", "tencent": "腾讯应用宝", "myapp": "腾讯应用宝",
    "baidu": "百度手机助手", "360": "360手机助手", "meizu": "魅族应用商店", "samsung": "三星应用商店",
    "wechat": "微信", "wechat_official": "微信公众号", "wechat_mini": "微信小程序", "weixin": "微信",
    "weibo": "微博", "douyin": "抖音", "kuaishou": "快手", "toutiao": "今日头条", "bilibili": "哔哩哔哩",
    "xiaohongshu": "小红书", "alipay": "支付宝", "alipay_mini": "支付宝小程序", "baijiahao": "百家号",
    "qq": "QQ", "dingtalk": "钉钉", "wecom": "企业微信", "feishu": "飞书", "zhengwuweixin": "政务微信",
}

TARGET_LABELS = {"app": "政务移动互联网应用程序", "account": "政务新媒体账号", "work_group": "政务工作群",
                 "sponsor": "政务服务渠道"}

# Default texts (kept in step with fingertip/resources/policy/shutdown.yaml, which the workflow passes in).
DEFAULT_PENDING_BUSINESS_ZH = {
    "app": "停止服务前已受理的业务将按原流程办结，办理结果通过短信或继任渠道告知；停止服务后请通过继任渠道办理新业务。",
    "account": "本账号停止更新后，历史留言将在停止服务前答复完毕；此后请关注继任账号获取信息和办理咨询。",
    "work_group": "群内未结事项将在解散前转交责任人办结，相关通知改由继任渠道发布。",
    "sponsor": "停止服务前已受理的业务将按原流程办结。",
}
DEFAULT_ARCHIVE_NOTE_ZH = ("具有保存价值的业务记录将依照《中华人民共和国档案法》第三十七条向档案部门移交归档，"
                           "法律、行政法规规定保存期限未届满的数据仅作存储，不再处理。")


class AnnouncementError(ValueError):
    """The announcement cannot be issued as configured (message in Chinese and English)."""


def platform_name(code_or_name: str) -> str:
    """A store/platform code (``huawei``) in Chinese (华为应用市场); Chinese names pass through."""
    key = str(code_or_name).strip()
    return PLATFORM_NAMES.get(key.lower(), key)


@dataclass(kw_only=True)
class AnnouncementContext:
    case_key: str
    target_type: str  # app | account | work_group
    target_name: str
    sponsor_name: str
    sponsor_credit_code: str
    filing_numbers: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    reason_zh: str
    basis_zh: str
    publication_date: dt.date
    last_service_date: dt.date
    successor_name: str | None = None
    successor_url: str | None = None
    pending_business_zh: str | None = None  # None: the default text for the target type
    data_categories: list[str] = field(default_factory=list)
    personal_data_deadline: dt.date
    archive_note_zh: str | None = None  # None: DEFAULT_ARCHIVE_NOTE_ZH
    contact_phone: str | None = None
    contact_email: str | None = None
    doc_number: str | None = None
    min_notice_days: int = DEFAULT_NOTICE_DAYS
    #: where the notice period comes from (printed in the announcement); None: the Fingertip default
    notice_source_zh: str | None = None

    @property
    def pending_business(self) -> str:
        return self.pending_business_zh or DEFAULT_PENDING_BUSINESS_ZH.get(self.target_type,
                                                                           DEFAULT_PENDING_BUSINESS_ZH["app"])

    @property
    def archive_note(self) -> str:
        return self.archive_note_zh or DEFAULT_ARCHIVE_NOTE_ZH

    @property
    def notice_source(self) -> str:
        return (self.notice_source_zh or "").strip() or DEFAULT_NOTICE_SOURCE_ZH


def validate(ctx: AnnouncementContext) -> None:
    """Raise :class:`AnnouncementError` when the announcement may not be issued as configured."""
    problems: list[tuple[str, str]] = []
    if ctx.target_type not in TARGET_TYPES:
        problems.append((f"处置对象类型“{ctx.target_type}”无效（应为 app、account 或 work_group）",
                         f"target_type {ctx.target_type!r} must be one of {', '.join(TARGET_TYPES)}"))
    for name, label in (("case_key", "案件编号"), ("target_name", "处置对象名称"), ("sponsor_name", "主办单位"),
                        ("sponsor_credit_code", "统一社会信用代码"), ("reason_zh", "关停原因"), ("basis_zh", "关停依据")):
        if not str(getattr(ctx, name) or "").strip():
            problems.append((f"缺少{label}", f"{name} is empty"))
    if str(ctx.sponsor_credit_code or "").strip():
        from fingertip.identifiers import credit_code_problem

        problem = credit_code_problem(ctx.sponsor_credit_code)
        if problem:
            problems.append((f"统一社会信用代码“{ctx.sponsor_credit_code}”无效",
                             f"sponsor_credit_code {ctx.sponsor_credit_code!r} is invalid: {problem}"))
    if isinstance(ctx.min_notice_days, bool) or not isinstance(ctx.min_notice_days, int) or ctx.min_notice_days < 1:
        problems.append((f"提前公告天数配置为{ctx.min_notice_days!r}，应为正整数",
                         f"min_notice_days={ctx.min_notice_days!r} must be a positive integer"))
    elif ctx.min_notice_days != DEFAULT_NOTICE_DAYS and not (ctx.notice_source_zh or "").strip():
        problems.append((f"提前公告天数配置为{ctx.min_notice_days}天，未说明依据（默认{DEFAULT_NOTICE_DAYS}天为Fingertip默认值，"
                         "改用其他天数须注明来源，如地方规定）",
                         f"min_notice_days={ctx.min_notice_days} differs from the default of {DEFAULT_NOTICE_DAYS} "
                         "without a declared source (notice_source_zh)"))
    notice = (ctx.last_service_date - ctx.publication_date).days
    required = ctx.min_notice_days if isinstance(ctx.min_notice_days, int) else DEFAULT_NOTICE_DAYS
    if notice < required:
        problems.append((
            f"最后服务日（{format_date(ctx.last_service_date)}）距公告发布日（{format_date(ctx.publication_date)}）"
            f"仅{notice}天，应不少于{required}天",
            f"the last service date {ctx.last_service_date} is {notice} days after publication "
            f"{ctx.publication_date}; at least {required} days are required",
        ))
    if ctx.personal_data_deadline < ctx.last_service_date:
        problems.append((
            f"个人信息处置期限（{format_date(ctx.personal_data_deadline)}）早于最后服务日",
            f"personal_data_deadline {ctx.personal_data_deadline} is before the last service date "
            f"{ctx.last_service_date}",
        ))
    if problems:
        zh = "；".join(p[0] for p in problems)
        en = "; ".join(p[1] for p in problems)
        raise AnnouncementError(f"公告不能发布：{zh}。 / Announcement refused ({ctx.case_key}): {en}.")


def announcement_title(ctx: AnnouncementContext) -> str:
    if ctx.target_type == "app":
        return f"关于{ctx.target_name}停止运营的公告"
    return f"关于{ctx.target_name}关停注销的公告"


def quoted(name: str) -> str:
    """``name`` in Chinese quotation marks, unless it already carries quotes or book-title marks."""
    name = str(name)
    if any(ch in name for ch in "“”《》「」\""):
        return name
    return f"“{name}”"


def _join(items: list[str]) -> str:
    return "、".join(i for i in items if i)


def build_announcement(ctx: AnnouncementContext) -> OfficialDocument:
    """The announcement as an :class:`OfficialDocument` (validated first)."""
    validate(ctx)
    label = TARGET_LABELS.get(ctx.target_type, "政务服务渠道")
    platforms = [platform_name(p) for p in ctx.platforms]
    last = format_date(ctx.last_service_date)
    stop_verb = "停止运营" if ctx.target_type == "app" else "关停注销"
    listed = "上线" if ctx.target_type == "app" else "开通"
    where = f"（已在{_join(platforms)}{listed}）" if platforms else ""
    blocks: list[Any] = [
        Paragraph(
            f"{ctx.sponsor_name}（统一社会信用代码：{ctx.sponsor_credit_code}）主办的{label}{quoted(ctx.target_name)}"
            f"{where}，{ctx.reason_zh.rstrip('。')}。根据{ctx.basis_zh.rstrip('。')}，经研究，决定对"
            f"{quoted(ctx.target_name)}予以{stop_verb}。现将有关事项公告如下："
        ),
        Heading("停止服务时间"),
        Paragraph(
            f"自本公告发布之日起至{last}，{quoted(ctx.target_name)}照常提供服务；{last}24时起停止全部服务"
            + ("，并从" + _join(platforms) + "下架。" if platforms and ctx.target_type == "app" else "。")
            + f"本公告于停止服务前至少{ctx.min_notice_days}日发布（提前天数依据：{ctx.notice_source.rstrip('。')}）。"
        ),
        Heading("在办业务处理"),
        Paragraph(ctx.pending_business),
        Heading("替代服务渠道"),
    ]
    if ctx.successor_name:
        link = f"（{ctx.successor_url}）" if ctx.successor_url else ""
        blocks.append(Paragraph(f"停止服务后，相关服务由{quoted(ctx.successor_name)}{link}继续提供，请通过该渠道办理和咨询。"))
    else:
        blocks.append(Paragraph("停止服务后，相关服务不再通过线上渠道提供，请通过下列联系方式咨询。"))
    categories = _join(ctx.data_categories) or "在本渠道产生的个人信息"
    deadline = format_date(ctx.personal_data_deadline)
    blocks += [
        Heading("个人信息处理"),
        Paragraph(
            f"停止服务后即停止收集个人信息。依照《中华人民共和国个人信息保护法》第四十七条，{ctx.sponsor_name}"
            f"将于{deadline}前对{categories}等数据中的个人信息予以删除或者匿名化处理，"
            f"并督促受托处理的服务商返还、删除相关数据；法律、行政法规规定的保存期限未届满或者删除在技术上难以实现的，"
            f"仅作存储和采取必要的安全保护措施，不再进行其他处理。"
        ),
        Heading("档案留存"),
        Paragraph(ctx.archive_note),
    ]
    if ctx.filing_numbers or platforms:
        blocks.append(Heading("备案注销及下架"))
        parts = []
        if ctx.filing_numbers:
            parts.append(f"停止服务后，将依法申请注销备案（备案号：{_join(ctx.filing_numbers)}）")
        if platforms:
            parts.append(f"{'并' if parts else '停止服务后，将'}从{_join(platforms)}下架或注销")
        blocks.append(Paragraph("，".join(parts) + "。"))
    contacts = []
    if ctx.contact_phone:
        contacts.append(f"咨询电话：{ctx.contact_phone}")
    if ctx.contact_email:
        contacts.append(f"电子邮箱：{ctx.contact_email}")
    if not contacts:
        log.warning("announcement %s: the sponsor has no contact phone or e-mail", ctx.case_key)
    blocks += [
        Heading("联系方式"),
        Paragraph(f"如有疑问，请与{ctx.sponsor_name}联系。" + ("；".join(contacts) + "。" if contacts else "")),
        Paragraph("特此公告。"),
        Signature(ctx.sponsor_name, ctx.publication_date),
    ]
    return OfficialDocument(title=announcement_title(ctx), blocks=blocks, issuer=ctx.sponsor_name,
                            date=ctx.publication_date, doc_number=ctx.doc_number)


ANNOUNCEMENT_FORMATS = ("docx", "pdf", "html", "md")


def write_announcement(ctx: AnnouncementContext, out_dir: Any,
                       formats: tuple[str, ...] = ANNOUNCEMENT_FORMATS) -> list[WrittenDocument]:
    """Write the announcement as ``announcement_<case>.{docx,pdf,html,md}`` into ``out_dir``.

    ``out_dir``: an ``ObjectStoragePath``, a ``pathlib.Path`` or a path/URL string. Every file is
    rendered in memory first, so a rendering error leaves no partial file. Re-running overwrites.
    """
    folder = as_dir(out_dir)
    return [written(kind, fmt, folder / name, blob) for kind, fmt, name, blob in announcement_files(ctx, formats)]


def announcement_files(ctx: AnnouncementContext, formats: tuple[str, ...] = ANNOUNCEMENT_FORMATS,
                       ) -> list[tuple[str, str, str, bytes]]:
    """(kind, format, file name, bytes) of every file of the announcement, all rendered in memory."""
    data = render_formats(build_announcement(ctx), formats)
    stem = f"announcement_{safe_file_stem(ctx.case_key)}"
    return [("announcement", fmt, f"{stem}.{fmt}", blob) for fmt, blob in data.items()]
