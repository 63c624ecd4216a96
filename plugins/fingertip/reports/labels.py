"""Chinese labels of the codes that appear in reports.

The codes themselves are defined once elsewhere — sponsor levels, app kinds, platforms, case and
finding states in ``fingertip.store.schema``, severities in ``fingertip.rules.policy``, period kinds in
:mod:`.periods` — and ``tests/reports/test_model.py`` checks that every code has its label here.
"""

from __future__ import annotations

LEVELS = {"central": "中央", "provincial": "省级", "prefectural": "地市级", "county": "县级", "township": "乡镇级"}
ENTITY_TYPES = {"app": "应用", "account": "公众账号", "work_group": "工作群组", "sponsor": "主办单位",
                "listing": "商店上架记录"}
APP_KINDS = {"app": "移动应用", "mini_program": "小程序", "quick_app": "快应用"}
PLATFORMS = {
    "wechat": "微信", "weibo": "微博", "douyin": "抖音", "toutiao": "今日头条", "kuaishou": "快手",
    "bilibili": "哔哩哔哩", "wechat_channels": "微信视频号", "xiaohongshu": "小红书", "wecom": "企业微信",
    "dingtalk": "钉钉", "qq": "QQ", "zhengwuwei": "政务微信", "alipay": "支付宝", "baidu": "百度",
}
CASE_STATES = {
    "proposed": "拟关停", "approved": "已批准", "rejected": "已驳回", "announced": "已公告",
    "service_stopped": "已停止服务", "data_disposed": "数据已处置", "delisting_verified": "已核验下架",
    "closed": "已办结", "cancelled": "已撤销",
}
SEVERITIES = {"high": "高", "medium": "中", "low": "低"}
RISK_TIERS = {"high": "高风险", "medium": "中风险", "low": "低风险"}  # in rank order (rules.policy.RISK_TIERS)  # in rank order (rules.policy.SEVERITIES)
#: Severity → sort rank (high first); unknown severities sort last.
SEVERITY_RANK = {k: i for i, k in enumerate(SEVERITIES)}
FINDING_STATES = {"open": "待整改", "acknowledged": "已确认", "resolved": "已整改", "waived": "已豁免"}
REPORT_KINDS = {"monthly": "月度", "quarterly": "季度", "annual": "年度", "self_inspection": "自查自评",
                "adhoc": "专项核查"}


def platform_label(entity_type: str, platform: str | None) -> str:
    if entity_type == "app":
        kind, _, host = (platform or "").partition(":")
        label = APP_KINDS.get(kind, kind)
        return f"{label}（{PLATFORMS.get(host, host)}）" if host else label
    return PLATFORMS.get(platform or "", platform or "未知")


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"
