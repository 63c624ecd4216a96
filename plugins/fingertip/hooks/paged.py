"""Paged JSON feeds: ``GET path?page=n&page_size=k`` → ``{"page", "total", "next_page", "items"}``."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from fingertip.hooks.http import BadBody, SourceFetchError, SourceHttpHook
from fingertip.sources.records import Batch


def _validate_page(payload: Any) -> None:
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        raise BadBody("page without an 'items' list")
    if not all(isinstance(i, dict) for i in payload["items"]):
        raise BadBody("page with a non-object item")


class PagedFeedHook(SourceHttpHook):
    """Walks every page of a feed; a page that fails after retries is reported, the walk goes on.

    Subclasses give ``parse_item(item) -> (key, record)``; it raises ``ValueError`` for an item that
    cannot be used (the item is rejected with the reason, the rest of the page is kept).
    """

    default_extras = {"page_size": 500, "requests_per_minute": 0}

    def parse_item(self, item: Mapping[str, Any]) -> tuple[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def iter_pages(self, path: str, params: Mapping[str, Any] | None = None,
                   parse: Callable[[Mapping[str, Any]], tuple[str, Any]] | None = None) -> Iterator[Batch]:
        parse = parse or self.parse_item
        page_size = int(self.extra("page_size", 500))
        page, last_page = 1, None
        while last_page is None or page <= last_page:
            query = {**(params or {}), "page": page, "page_size": page_size}
            batch = Batch(fingerprint=None, requested=[f"page {page}"])
            try:
                fetched = self.get_json(path, query, validate=_validate_page)
            except SourceFetchError as exc:
                batch.fingerprint, batch.attempts, batch.error = exc.fingerprint, exc.attempts, exc.reason
                batch.failed = [f"page {page}"]
                self.stats["failed_pages"] += 1
                yield batch
                if last_page is None:  # not even the first page: the size of the feed is unknown
                    return
                page += 1
                continue
            payload = fetched.payload
            batch.fingerprint, batch.attempts = fetched.fingerprint, fetched.attempts
            for item in payload["items"]:
                try:
                    key, record = parse(item)
                except (ValueError, KeyError, TypeError) as exc:
                    batch.rejected.append((str(item.get("id") or item)[:120], str(exc)))
                    self.stats["rejected_items"] += 1
                    continue
                batch.records.append(record)
            self.stats["items"] += len(batch.records)
            self.stats["pages"] += 1
            yield batch
            if last_page is None:
                try:
                    total = int(payload.get("total"))
                    last_page = max(1, math.ceil(total / page_size))
                except (TypeError, ValueError):
                    last_page = None
            if payload.get("next_page") in (None, 0, "") and (last_page is None or page >= last_page):
                return
            page += 1
