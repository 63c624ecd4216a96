"""Sample contexts for the preview, the tests and the documentation (a fictitious app)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from fingertip.documents.announcement import AnnouncementContext
from fingertip.documents.disposal import DisposalContext

SAMPLE_SPONSOR = "阳江市人民政府办公室"
SAMPLE_CREDIT_CODE = "11441700007280420Y"  # a real, valid code (reference.md)


def sample_announcement_context(**overrides) -> AnnouncementContext:
    ctx = AnnouncementContext(
        case_key="SC-2026-0001",
        target_type="app",
        target_name="“阳江通”政务服务App",
        sponsor_name=SAMPLE_SPONSOR,
        sponsor_credit_code=SAMPLE_CREDIT_CODE,
        filing_numbers=["粤ICP备2024012345号-3A"],
        platforms=["apple", "huawei", "xiaomi", "yingyongbao"],
        reason_zh="该应用用户量长期偏低，服务事项已全部整合至“粤省事”平台，功能重复",
        basis_zh="《关于防治“指尖上的形式主义”的若干意见》和《广东省政务移动互联网应用程序规范化管理办法》有关规定",
        publication_date=dt.date(2026, 11, 23),
        last_service_date=dt.date(2026, 12, 31),
        successor_name="粤省事",
        successor_url="https://www.gdzwfw.gov.cn/",
        data_categories=["用户注册信息", "实名认证信息", "业务办理记录"],
        personal_data_deadline=dt.date(2027, 1, 22),
        contact_phone="0662-3212345",
        contact_email="zwb@yangjiang.gov.cn",
        doc_number="阳府办〔2026〕45号",
    )
    return dataclasses.replace(ctx, **overrides)


def sample_disposal_context(**overrides) -> DisposalContext:
    values = dict(
        case_key="SC-2026-0001",
        target_type="app",
        target_name="“阳江通”政务服务App",
        sponsor_name=SAMPLE_SPONSOR,
        sponsor_credit_code=SAMPLE_CREDIT_CODE,
        stop_date=dt.date(2026, 12, 31),
        responsible_person="李明",
        responsible_phone="0662-3212345",
        filing_numbers=["粤ICP备2024012345号-3A"],
        contractors=["阳江数智科技有限公司", "某云计算服务商"],
        platforms=["苹果App Store", "华为应用市场", "小米应用商店", "腾讯应用宝"],
    )
    values.update(overrides)
    return DisposalContext(**values)
