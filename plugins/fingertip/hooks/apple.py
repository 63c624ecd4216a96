"""Apple iTunes hook: Lookup by track ids (``GET /lookup?id=…,…&country=cn``) and, for the discovery of
unregistered apps, Lookup by developer (``/lookup?id=<artistId>&entity=software&limit=200``) and Search
(``/search?term=…&country=cn&entity=software[&attribute=softwareDeveloper]``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fingertip.hooks.http import BadBody, SourceFetchError, SourceHttpHook
from fingertip.sources import coerce
from fingertip.sources.records import Batch, ListingObservation

#: Apple's maximum for ``limit`` on Lookup and Search.
APPLE_MAX_LIMIT = 200


@dataclass
class Discovered:
    """One discovery request: the developer rows (``wrapperType: artist``) and the apps it returned."""

    url: str
    params: dict[str, str]
    fingerprint: str | None = None
    attempts: int = 0
    error: str | None = None
    artists: list[dict[str, Any]] = field(default_factory=list)
    apps: list[ListingObservation] = field(default_factory=list)

    def as_batch(self) -> Batch:
        """The request as a :class:`Batch` for ``fetch_log``."""
        batch = Batch(fingerprint=self.fingerprint, requested=[self.params.get("id") or self.params.get("term", "")])
        batch.attempts, batch.error, batch.records = self.attempts, self.error, list(self.apps)
        if self.error:
            batch.failed = list(batch.requested)
        return batch


class AppleLookupHook(SourceHttpHook):
    """Looks up many apps per request, rate-limited (default 20 requests/minute).

    Connection type ``fingertip_apple`` (default id ``apple_itunes``). Extras: ``country`` (default ``cn``), ``batch_size``
    (ids per request, default 50; Apple accepts up to 200), ``requests_per_minute`` (default 20;
    0 disables the limiter, e.g. against the local stub). An id missing from a successful response
    is *absent* from the storefront; a request that never succeeded leaves its ids *failed* (not
    absent), so a bad response cannot fake a delisting.
    """

    default_conn_name = "apple_itunes"
    conn_type = "fingertip_apple"
    hook_name = "Apple iTunes Lookup"
    default_extras = {"country": "cn", "batch_size": 50, "requests_per_minute": 20}

    def __init__(self, http_conn_id: str | None = None, *, batch_size: int | None = None, **kwargs: Any):
        super().__init__(http_conn_id, **kwargs)
        self._batch_size = batch_size

    @property
    def batch_size(self) -> int:
        size = int(self._batch_size or self.extra("batch_size", 50))
        if not 1 <= size <= 200:
            raise ValueError(f"batch_size must be 1..200, got {size}")
        return size

    def lookup(self, track_ids: Iterable[int | str]) -> Iterator[Batch]:
        """Yield one :class:`Batch` per request over ``track_ids`` (deduplicated, order kept)."""
        ids = list(dict.fromkeys(str(coerce.to_int(i)) for i in track_ids))
        country = self.extra("country", "cn")
        for start in range(0, len(ids), self.batch_size):
            chunk = ids[start:start + self.batch_size]
            yield self._lookup_chunk(chunk, country)

    def _lookup_chunk(self, chunk: list[str], country: str) -> Batch:
        params = {"id": ",".join(chunk), "country": country}
        batch = Batch(fingerprint=None, requested=chunk)
        try:
            fetched = self.get_json("/lookup", params, validate=_validate_lookup)
        except SourceFetchError as exc:
            batch.fingerprint, batch.attempts, batch.error = exc.fingerprint, exc.attempts, exc.reason
            batch.failed = list(chunk)
            self.stats["failed_ids"] += len(chunk)
            return batch
        batch.fingerprint, batch.attempts = fetched.fingerprint, fetched.attempts
        wanted = set(chunk)
        seen = set()
        for result in fetched.payload["results"]:
            obs = parse_result(result)
            if obs.store_app_id in wanted:
                seen.add(obs.store_app_id)
                batch.records.append(obs)
                if obs.problems:
                    self.stats["fields_unreadable"] += len(obs.problems)
        batch.absent = [i for i in chunk if i not in seen]
        self.stats["found"] += len(seen)
        self.stats["absent"] += len(batch.absent)
        return batch


    # -- discovery -----------------------------------------------------------------------------------
    def developer_apps(self, artist_id: int | str, *, limit: int = APPLE_MAX_LIMIT) -> Discovered:
        """Every app of one developer account: ``/lookup?id=<artistId>&entity=software&limit=…``.

        Apple answers with the developer itself (``wrapperType: "artist"``) first, then its apps
        (``wrapperType: "software"``). A failed request is returned with ``error`` set, never raised.
        """
        artist = str(coerce.to_int(artist_id))
        params = {"id": artist, "entity": "software", "limit": str(_limit(limit)),
                  "country": self.extra("country", "cn")}
        return self._discover("/lookup", params)

    def search(self, term: str, *, developer_only: bool = False, limit: int = APPLE_MAX_LIMIT) -> Discovered:
        """Apps matching ``term``: ``/search?term=…&country=cn&entity=software`` (``developer_only``:
        ``attribute=softwareDeveloper``, the term is matched against the developer's name)."""
        term = " ".join(str(term).split())
        if not term:
            raise ValueError("search term is empty")
        params = {"term": term, "country": self.extra("country", "cn"), "entity": "software",
                  "limit": str(_limit(limit))}
        if developer_only:
            params["attribute"] = "softwareDeveloper"
        return self._discover("/search", params)

    def _discover(self, path: str, params: dict[str, str]) -> Discovered:
        found = Discovered(url=self.base_url + path, params=params)
        try:
            fetched = self.get_json(path, params, validate=_validate_discovery)
        except SourceFetchError as exc:
            found.fingerprint, found.attempts, found.error = exc.fingerprint, exc.attempts, exc.reason
            self.stats["discovery_failed"] += 1
            return found
        found.fingerprint, found.attempts = fetched.fingerprint, fetched.attempts
        for result in fetched.payload["results"]:
            if result.get("wrapperType") == "artist":
                found.artists.append(result)
            elif result.get("wrapperType", "software") == "software" and result.get("kind", "software") == "software":
                obs = parse_result(result)
                found.apps.append(obs)
                if obs.problems:
                    self.stats["fields_unreadable"] += len(obs.problems)
        self.stats["discovery_apps"] += len(found.apps)
        return found


def _limit(limit: int) -> int:
    if not 1 <= int(limit) <= APPLE_MAX_LIMIT:
        raise ValueError(f"limit must be 1..{APPLE_MAX_LIMIT}, got {limit}")
    return int(limit)


def _validate_discovery(payload: Any) -> None:
    """``resultCount`` and ``results``; software rows need a readable ``trackId``."""
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise BadBody("response without a 'results' list")
    if not isinstance(payload.get("resultCount"), int) or payload["resultCount"] != len(payload["results"]):
        raise BadBody(f"resultCount {payload.get('resultCount')!r} does not match {len(payload['results'])} results")
    _validate_lookup({"results": [r for r in payload["results"]
                                  if not (isinstance(r, dict) and r.get("wrapperType") == "artist")]})


def _validate_lookup(payload: Any) -> None:
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise BadBody("lookup response without a 'results' list")
    for result in payload["results"]:
        if not isinstance(result, dict):
            raise BadBody("lookup result is not an object")
        try:
            if coerce.to_int(result.get("trackId")) is None:
                raise BadBody("lookup result without trackId")
        except coerce.CoercionError:
            raise BadBody(f"lookup result with unreadable trackId {result.get('trackId')!r}") from None


def parse_result(result: dict[str, Any]) -> ListingObservation:
    """One Apple result → observation; unreadable optional fields become None and are noted."""
    obs = ListingObservation(store="apple", store_app_id=str(coerce.to_int(result["trackId"])))
    fields = (
        ("name", "trackName", coerce.name),
        ("developer", "sellerName", coerce.name),
        ("version", "version", coerce.text),
        ("version_released_at", "currentVersionReleaseDate", coerce.to_datetime),
        ("first_released_at", "releaseDate", coerce.to_datetime),
        ("rating", "averageUserRating", coerce.to_float),
        ("rating_count", "userRatingCount", coerce.to_int),
        ("description", "description", coerce.text),
        ("bundle_id", "bundleId", coerce.text),
    )
    for attr, key, conv in fields:
        try:
            setattr(obs, attr, conv(result.get(key)))
        except coerce.CoercionError:
            obs.problems.append(key)
    if obs.developer is None:
        try:
            obs.developer = coerce.name(result.get("artistName"))
        except coerce.CoercionError:
            pass
    try:
        artist = coerce.to_int(result.get("artistId"))
    except coerce.CoercionError:
        obs.problems.append("artistId")
    else:
        obs.developer_id = str(artist) if artist is not None else None
    return obs
