"""Normalised records the hooks return and the ingestion writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(slots=True)
class ListingObservation:
    """One store's view of one app on one day."""

    store: str
    store_app_id: str
    name: str | None = None
    developer: str | None = None
    developer_id: str | None = None  # the store's developer account id (Apple artistId)
    version: str | None = None
    version_released_at: dt.datetime | None = None
    first_released_at: dt.datetime | None = None
    rating: float | None = None
    rating_count: int | None = None
    downloads: int | None = None
    description: str | None = None
    bundle_id: str | None = None
    available: bool = True
    problems: list[str] = field(default_factory=list)  # fields that could not be read (kept as None)


@dataclass(slots=True)
class FilingRecord:
    filing_kind: str
    service_licence: str
    main_licence: str | None
    sponsor_name: str
    sponsor_nature: str | None
    sponsor_credit_code: str | None
    service_name: str
    service_type: str
    reviewed_at: dt.datetime | None
    access_restricted: bool
    status: str
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ActivityRecord:
    platform: str
    platform_account_id: str
    activity_date: dt.date
    last_post_at: dt.datetime | None
    posts_7d: int
    posts_14d: int
    posts_30d: int
    followers: int
    unanswered_messages: int
    oldest_unanswered_days: int | None
    interaction_channel: bool
    name: str | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class Batch:
    """What one request (or one page) yielded: the good records and what went wrong."""

    fingerprint: str | None
    requested: list[str] = field(default_factory=list)
    records: list = field(default_factory=list)
    absent: list[str] = field(default_factory=list)   # asked for, answered, not there
    failed: list[str] = field(default_factory=list)   # asked for, no usable answer
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (record key, reason)
    error: str | None = None
    attempts: int = 0
