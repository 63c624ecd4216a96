"""Android store listing feed hook (vendor feed; no Chinese Android store offers a free API)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from fingertip.hooks.paged import PagedFeedHook
from fingertip.sources import coerce
from fingertip.sources.records import Batch, ListingObservation
from fingertip.store.schema import STORES

ANDROID_STORES = tuple(s for s in STORES if s != "apple")


def parse_listing(item: Mapping[str, Any], store: str | None = None) -> tuple[str, ListingObservation]:
    """One feed item or export row → observation. Needs store and package name; the rest may be bad."""
    item_store = coerce.text(item.get("store")) or store
    package = coerce.text(item.get("package_name"))
    if not package:
        raise ValueError("item without package_name")
    if item_store not in ANDROID_STORES:
        raise ValueError(f"unknown store {item_store!r}")
    obs = ListingObservation(store=item_store, store_app_id=package)
    for attr, key, conv in (
        ("name", "app_name", coerce.name), ("developer", "developer", coerce.name),
        ("version", "version", coerce.text), ("version_released_at", "updated_at", coerce.to_datetime),
        ("downloads", "downloads", coerce.to_int), ("rating", "rating", coerce.to_float),
        ("rating_count", "rating_count", coerce.to_int), ("description", "description", coerce.text),
    ):
        try:
            setattr(obs, attr, conv(item.get(key)))
        except coerce.CoercionError:
            obs.problems.append(key)
    try:
        available = coerce.to_bool(item.get("available"))
    except coerce.CoercionError:
        raise ValueError(f"unreadable 'available' {item.get('available')!r}") from None
    obs.available = True if available is None else available
    return f"{item_store}:{package}", obs


class AndroidFeedHook(PagedFeedHook):
    """``GET /android/v1/listings?store=…&page=…&page_size=…`` (format: docs/sources.md).

    Connection type ``fingertip_listing_feed`` (default id ``android_listing_feed``). Extras: ``page_size`` (default 500), ``requests_per_minute``.
    """

    default_conn_name = "android_listing_feed"
    conn_type = "fingertip_listing_feed"
    hook_name = "Android listing feed"

    def listings(self, store: str) -> Iterator[Batch]:
        if store not in ANDROID_STORES:
            raise ValueError(f"unknown Android store {store!r}; expected one of {ANDROID_STORES}")
        yield from self.iter_pages("/android/v1/listings", {"store": store},
                                   parse=lambda item: parse_listing(item, store))
