"""Official-account activity feed hook (per account: posts, followers, unanswered messages)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from fingertip.hooks.paged import PagedFeedHook
from fingertip.sources import coerce
from fingertip.sources.records import ActivityRecord, Batch
from fingertip.store.schema import ACCOUNT_PLATFORMS


def parse_activity(item: Mapping[str, Any], day: dt.date) -> tuple[str, ActivityRecord]:
    """One feed item or export row → :class:`ActivityRecord`; counts must be readable integers."""
    platform = coerce.text(item.get("platform"))
    account_id = coerce.text(item.get("account_id"))
    if platform not in ACCOUNT_PLATFORMS:
        raise ValueError(f"unknown platform {item.get('platform')!r}")
    if not account_id:
        raise ValueError("item without account_id")
    try:
        counts = {k: coerce.to_int(item.get(k)) for k in
                  ("posts_7d", "posts_14d", "posts_30d", "followers", "unanswered_messages")}
        oldest = coerce.to_int(item.get("oldest_unanswered_days"))
        channel = coerce.to_bool(item.get("interaction_channel"))
        as_of = coerce.to_date(item.get("as_of")) or day
    except coerce.CoercionError as exc:
        raise ValueError(str(exc)) from None
    missing = [k for k, v in counts.items() if v is None]
    if missing:
        raise ValueError(f"item without {', '.join(missing)}")
    known: dict[str, int] = {k: v for k, v in counts.items() if v is not None}
    if not known["posts_7d"] <= known["posts_14d"] <= known["posts_30d"]:
        raise ValueError("inconsistent post counts (7d ≤ 14d ≤ 30d violated)")
    record = ActivityRecord(platform=platform, platform_account_id=account_id, activity_date=as_of,
                            last_post_at=None, oldest_unanswered_days=oldest,
                            interaction_channel=bool(channel), name=None,
                            posts_7d=known["posts_7d"], posts_14d=known["posts_14d"],
                            posts_30d=known["posts_30d"], followers=known["followers"],
                            unanswered_messages=known["unanswered_messages"])
    try:
        record.name = coerce.name(item.get("name"))
    except coerce.CoercionError:
        record.problems.append("name")
    try:
        record.last_post_at = coerce.to_datetime(item.get("last_post_at"))
    except coerce.CoercionError:
        record.problems.append("last_post_at")
    return f"{platform}:{account_id}", record


class AccountActivityHook(PagedFeedHook):
    """``GET /accounts/v1/activity?date=YYYY-MM-DD&province=…&platform=…`` (format: docs/sources.md).

    Connection type ``fingertip_activity_feed`` (default id ``account_activity_feed``). Extras: ``page_size`` (default 1000), ``requests_per_minute``.
    """

    default_conn_name = "account_activity_feed"
    conn_type = "fingertip_activity_feed"
    hook_name = "Account activity feed"
    default_extras = {"page_size": 1000, "requests_per_minute": 0}

    def activity(self, day: dt.date, *, province: str | None = None, platform: str | None = None) -> Iterator[Batch]:
        params = {"date": day.isoformat(), "province": province, "platform": platform}
        params = {k: v for k, v in params.items() if v}
        yield from self.iter_pages("/accounts/v1/activity", params, parse=lambda item: parse_activity(item, day))
