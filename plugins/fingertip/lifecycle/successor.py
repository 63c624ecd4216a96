"""The successor channel (继任渠道) a shutdown announcement points users to.

A successor must exist in the inventory and be live:

* an **app**: status ``active`` and an available store listing — or, for a mini-program or quick app
  (which have no store listing), status ``active``;
* an **account**: status ``active`` and a post within ``account_max_silence_days`` (14) of the day;
* a **work group**: status ``active``.

Otherwise the case is blocked with a Chinese and English reason and no documents are written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fingertip.store import schema

KINDS = ("app", "account", "work_group")
_STORE_URLS = {
    "apple": "https://apps.apple.com/cn/app/id{id}",
    "huawei": "https://appgallery.huawei.com/app/detail?id={id}",
    "xiaomi": "https://app.mi.com/details?id={id}",
    "yingyongbao": "https://sj.qq.com/appdetail/{id}",
}
_PLATFORM_ZH = {"wechat": "微信公众号", "weibo": "微博", "douyin": "抖音", "toutiao": "今日头条", "kuaishou": "快手",
                "bilibili": "哔哩哔哩", "wechat_channels": "微信视频号", "xiaohongshu": "小红书",
                "wecom": "企业微信", "dingtalk": "钉钉", "qq": "QQ", "zhengwuwei": "政务微信", "alipay": "支付宝",
                "baidu": "百度"}
_PLATFORM_URLS = {"weibo": "https://weibo.com/{id}", "douyin": "https://www.douyin.com/user/{id}",
                  "bilibili": "https://space.bilibili.com/{id}", "toutiao": "https://www.toutiao.com/c/user/{id}/",
                  "kuaishou": "https://www.kuaishou.com/profile/{id}",
                  "xiaohongshu": "https://www.xiaohongshu.com/user/profile/{id}"}


@dataclass(frozen=True)
class SuccessorCheck:
    ok: bool
    kind: str | None
    key: str | None
    name: str | None = None
    url: str | None = None
    reason_zh: str | None = None
    reason_en: str | None = None

    @property
    def blocked_reason(self) -> str | None:
        return None if self.ok else f"{self.reason_zh} / {self.reason_en}"

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "kind": self.kind, "key": self.key, "name": self.name, "url": self.url,
                "reason_zh": self.reason_zh, "reason_en": self.reason_en}


def parse_ref(ref: str | None) -> tuple[str, str] | None:
    """``"app:APP-1"`` → ``("app", "APP-1")``; None/empty → None; anything else a ValueError."""
    if ref is None or not str(ref).strip():
        return None
    kind, sep, key = str(ref).strip().partition(":")
    if not sep or kind not in KINDS or not key.strip():
        raise ValueError(f"successor must be '<kind>:<key>' with kind one of {', '.join(KINDS)}, got {ref!r}")
    return kind, key.strip()


def platform_zh(platform: str | None) -> str:
    return _PLATFORM_ZH.get(platform or "", platform or "")


def _blocked(kind, key, zh, en, name=None) -> SuccessorCheck:
    return SuccessorCheck(False, kind, key, name=name, reason_zh=zh, reason_en=en)


def check(conn: Connection, kind: str | None, key: str | None, *, day: dt.date, max_silence_days: int = 14,
          required: bool = True) -> SuccessorCheck:
    """Whether the successor ``kind:key`` exists and is live on ``day``."""
    if not kind or not key:
        if not required:
            return SuccessorCheck(True, None, None)
        return _blocked(kind, key, "未指定继任渠道：公告须告知用户可继续办理业务的替代渠道",
                        "no successor channel named: the announcement must point users to a live channel")
    if kind == "app":
        app = conn.execute(sa.select(schema.apps).where(schema.apps.c.app_key == key)).mappings().first()
        if app is None:
            return _blocked(kind, key, f"继任应用 {key} 不在台账中", f"successor app {key} is not in the inventory")
        if app["status"] != "active":
            return _blocked(kind, key, f"继任应用“{app['name']}”状态为 {app['status']}，不在运行",
                            f"successor app {key} has status {app['status']}, not active", app["name"])
        if app["kind"] != "app":
            host = platform_zh(app["host_platform"]) or ""
            label = "小程序" if app["kind"] == "mini_program" else "快应用"
            return SuccessorCheck(True, kind, key, app["name"], f"{host}{label}“{app['name']}”")
        listing = conn.execute(sa.select(schema.store_listings.c.store, schema.store_listings.c.store_app_id)
                               .where(schema.store_listings.c.app_id == app["id"], schema.store_listings.c.available.is_(True))
                               .order_by(schema.store_listings.c.store)).first()
        if listing is None:
            return _blocked(kind, key, f"继任应用“{app['name']}”在各应用商店均未上架",
                            f"successor app {key} has no available store listing", app["name"])
        url = _STORE_URLS.get(listing.store, "{store}:{id}").format(id=listing.store_app_id, store=listing.store)
        return SuccessorCheck(True, kind, key, app["name"], url)
    if kind == "account":
        acc = conn.execute(sa.select(schema.accounts).where(schema.accounts.c.account_key == key)).mappings().first()
        if acc is None:
            return _blocked(kind, key, f"继任账号 {key} 不在台账中", f"successor account {key} is not in the inventory")
        if acc["status"] != "active":
            return _blocked(kind, key, f"继任账号“{acc['name']}”状态为 {acc['status']}，不在运行",
                            f"successor account {key} has status {acc['status']}, not active", acc["name"])
        act = schema.account_activity
        row = conn.execute(sa.select(act.c.activity_date, act.c.last_post_at, act.c.posts_14d)
                           .where(act.c.account_id == acc["id"], act.c.activity_date <= day)
                           .order_by(act.c.activity_date.desc()).limit(1)).first()
        since = day - dt.timedelta(days=max_silence_days)
        fresh = row is not None and ((row.last_post_at is not None and row.last_post_at.date() >= since)
                                     or (row.posts_14d or 0) > 0 and row.activity_date >= since)
        if not fresh:
            last = row.last_post_at.date().isoformat() if row is not None and row.last_post_at else "无记录"
            return _blocked(kind, key, f"继任账号“{acc['name']}”近{max_silence_days}日未更新（最近发布：{last}）",
                            f"successor account {key} has not posted within {max_silence_days} days (last: {last})",
                            acc["name"])
        url = _PLATFORM_URLS.get(acc["platform"], "").format(id=acc["platform_account_id"]) or \
            f"{platform_zh(acc['platform'])}“{acc['name']}”"
        return SuccessorCheck(True, kind, key, acc["name"], url)
    if kind == "work_group":
        grp = conn.execute(sa.select(schema.work_groups).where(schema.work_groups.c.group_key == key)).mappings().first()
        if grp is None:
            return _blocked(kind, key, f"继任群组 {key} 不在台账中", f"successor work group {key} is not in the inventory")
        if grp["status"] != "active":
            return _blocked(kind, key, f"继任群组“{grp['name']}”状态为 {grp['status']}，不在运行",
                            f"successor work group {key} has status {grp['status']}, not active", grp["name"])
        return SuccessorCheck(True, kind, key, grp["name"], f"{platform_zh(grp['platform'])}群“{grp['name']}”")
    return _blocked(kind, key, f"未知的继任渠道类型 {kind}", f"unknown successor kind {kind!r}")


def _candidates(conn: Connection, kind: str, sponsor_id: int, exclude: str | None, busy_keys: set[str],
                like_platform: str | None = None) -> list[str]:
    if kind == "app":
        listed = sa.select(schema.store_listings.c.app_id).where(schema.store_listings.c.available.is_(True))
        rows = conn.execute(sa.select(schema.apps.c.app_key).where(
            schema.apps.c.sponsor_id == sponsor_id, schema.apps.c.status == "active",
            sa.or_(schema.apps.c.kind != "app", schema.apps.c.id.in_(listed))).order_by(schema.apps.c.id).limit(10)).scalars()
    elif kind == "account":
        rows = conn.execute(sa.select(schema.accounts.c.account_key).where(
            schema.accounts.c.sponsor_id == sponsor_id, schema.accounts.c.status == "active")
            .order_by((schema.accounts.c.platform == (like_platform or "")).desc(), schema.accounts.c.id).limit(10)).scalars()
    else:
        rows = conn.execute(sa.select(schema.work_groups.c.group_key).where(
            schema.work_groups.c.sponsor_id == sponsor_id, schema.work_groups.c.status == "active")
            .order_by(schema.work_groups.c.id).limit(10)).scalars()
    return [k for k in rows if k != exclude and k not in busy_keys]


#: Successor kinds tried in order for each target type (same kind first, then the sponsor's accounts).
SUGGEST_ORDER = {"app": ("app", "account"), "account": ("account", "app"), "work_group": ("work_group", "account")}


def suggest(conn: Connection, target_type: str, target: dict[str, Any], *, day: dt.date,
            max_silence_days: int = 14) -> tuple[str, str] | None:
    """A live channel of the same sponsor to propose as successor (the approver may change it):
    the same kind first (another app for an app), else one of the sponsor's live accounts."""
    from fingertip.lifecycle.cases import LIVE, T

    sponsor_id = target.get("sponsor_id") if target_type != "sponsor" else None
    if sponsor_id is None or target_type not in SUGGEST_ORDER:
        return None
    own_key = {"app": "app_key", "account": "account_key", "work_group": "group_key"}[target_type]
    for kind in SUGGEST_ORDER[target_type]:
        busy = set(conn.execute(sa.select(T.c.target_key).where(T.c.target_type == kind,
                                                                 T.c.state.in_(sorted(LIVE)))).scalars())
        exclude = target.get(own_key) if kind == target_type else None
        for key in _candidates(conn, kind, sponsor_id, exclude, busy, target.get("platform")):
            if check(conn, kind, key, day=day, max_silence_days=max_silence_days).ok:
                return kind, key
    return None
