"""The internal closing record (内部解散记录) of a temporary work group: the light closing path.

Closing an internal temporary work group whose task is over needs no public announcement, no 30-day
notice and no ten-step data-disposal checklist (Fingertip must not itself be fingertip formalism,
Art. 9 of the Opinions): a short internal record says which group is closed, why, on which day, who
owns it and what happens to its chat records and files. :func:`closing_record_files` renders it
(DOCX and Markdown) in memory; the shutdown workflow records it like the other case documents.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fingertip.documents.official import Heading, OfficialDocument, Paragraph, format_date, safe_file_stem

RECORD_FORMATS = ("docx", "md")
#: What happens to the records of a closed group (the archive rule; no checklist is asked for).
RECORDS_NOTE_ZH = ("群内具有保存价值的通知、文件和工作记录由群主在解散前导出，依照《中华人民共和国档案法》第三十七条随本单位"
                   "文书档案归档；其余聊天记录和成员名单随群组解散由平台删除，不另行截图、录屏或填报处置清单。")
LIGHT_PATH_ZH = ("本记录为内部工作记录，按Fingertip轻量关闭流程办理：临时工作群组任务结束后内部解散，不发布公开公告，不设30日公告期，"
                 "不填报数据处置清单；群组是否已解散由Fingertip根据台账核验，无需另行报送截图等留痕材料"
                 "（《关于防治“指尖上的形式主义”的若干意见》第9条：不得随意要求上传不必要的截图或视频）。")


class ClosingRecordError(ValueError):
    """The closing record cannot be written as given (message in Chinese and English)."""


@dataclass(kw_only=True)
class ClosingRecordContext:
    case_key: str
    group_name: str
    platform_zh: str
    sponsor_name: str
    sponsor_credit_code: str
    owner_name: str | None = None
    purpose: str | None = None
    task_ends_on: dt.date | None = None
    member_count: int | None = None
    reason_zh: str
    basis_zh: str
    closing_date: dt.date
    records_note_zh: str | None = None  # None: RECORDS_NOTE_ZH

    def validate(self) -> None:
        missing = [label for name, label in (("case_key", "案件编号"), ("group_name", "群组名称"),
                                             ("sponsor_name", "主办单位"), ("reason_zh", "解散原因"))
                   if not str(getattr(self, name) or "").strip()]
        if missing:
            raise ClosingRecordError(f"解散记录不能生成：缺少{'、'.join(missing)}。 / Closing record refused "
                                     f"({self.case_key}): missing {', '.join(missing)}.")


def build_closing_record(ctx: ClosingRecordContext) -> OfficialDocument:
    """The record as an :class:`OfficialDocument` (validated first)."""
    ctx.validate()
    facts = [f"群组名称：{ctx.group_name}（{ctx.platform_zh}）",
             f"主办单位：{ctx.sponsor_name}（统一社会信用代码：{ctx.sponsor_credit_code}）",
             f"群主：{ctx.owner_name or '未登记'}",
             f"用途：{ctx.purpose or '未登记'}",
             f"任务结束日期：{format_date(ctx.task_ends_on) if ctx.task_ends_on else '未登记'}",
             f"成员人数：{ctx.member_count if ctx.member_count is not None else '未登记'}"]
    blocks: list[Any] = [
        Heading("群组基本情况"), *[Paragraph(text, indent=False, align="left") for text in facts],
        Heading("解散原因及依据"),
        Paragraph(f"{ctx.reason_zh.rstrip('。')}。依据：{ctx.basis_zh.rstrip('。')}。"),
        Heading("解散时间"),
        Paragraph(f"{format_date(ctx.closing_date)}起解散，群主在群内告知成员后解散群组，相关通知改由本单位正式渠道发布。"),
        Heading("记录处理"),
        Paragraph(ctx.records_note_zh or RECORDS_NOTE_ZH),
        Paragraph(LIGHT_PATH_ZH),
    ]
    return OfficialDocument(title=f"{ctx.group_name}解散记录", blocks=blocks, issuer=ctx.sponsor_name,
                            date=ctx.closing_date, subtitle="（内部工作记录）")


def closing_record_files(ctx: ClosingRecordContext, formats: tuple[str, ...] = RECORD_FORMATS,
                         ) -> list[tuple[str, str, str, bytes]]:
    """(kind, format, file name, bytes) of every file of the record, all rendered in memory."""
    from fingertip.documents.render import render_formats

    data = render_formats(build_closing_record(ctx), formats)
    stem = f"closing_record_{safe_file_stem(ctx.case_key)}"
    return [("closing_record", fmt, f"{stem}.{fmt}", blob) for fmt, blob in data.items()]
