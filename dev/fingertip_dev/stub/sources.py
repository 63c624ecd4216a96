"""The four sources the stub plays, built from world rows (formats: ``docs/sources.md``).

Each endpoint function takes the world, the query parameters (``dict[str, list[str]]``) and an
optional ``random.Random`` that, when given, asks for the *wrong types* fault (values of the wrong
type, missing fields). It returns a :class:`Reply`; invalid requests raise :class:`BadRequest`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fingertip.store.schema import ACCOUNT_PLATFORMS, FILING_KINDS

from .world import ANDROID_STORES, World, normalise_id

APPLE_MAX_IDS = 200
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

JSON_TYPE = "application/json; charset=utf-8"
#: What itunes.apple.com really sends for /lookup (JSON body, JavaScript content type).
APPLE_TYPE = "text/javascript; charset=utf-8"
CSV_TYPE = "text/csv; charset=utf-8"

ANDROID_FIELDS = ("store", "package_name", "app_name", "developer", "version", "updated_at", "downloads",
                  "rating", "rating_count", "available")
FILING_FIELDS = ("unitName", "natureName", "mainLicence", "serviceLicence", "serviceName", "serviceType",
                 "updateRecordTime", "limitAccess", "creditCode", "status", "cancelTime")
ACCOUNT_FIELDS = ("platform", "account_id", "name", "last_post_at", "posts_7d", "posts_14d", "posts_30d",
                  "followers", "unanswered_messages", "oldest_unanswered_days", "interaction_channel",
                  "as_of")

#: Province abbreviation of an ICP number → GB/T 2260 province code (first two digits).
LICENCE_PROVINCES = {
    "京": "11", "津": "12", "冀": "13", "晋": "14", "蒙": "15", "辽": "21", "吉": "22", "黑": "23",
    "沪": "31", "苏": "32", "浙": "33", "皖": "34", "闽": "35", "赣": "36", "鲁": "37", "豫": "41",
    "鄂": "42", "湘": "43", "粤": "44", "桂": "45", "琼": "46", "渝": "50", "蜀": "51", "川": "51",
    "黔": "52", "贵": "52", "滇": "53", "云": "53", "藏": "54", "陕": "61", "陇": "62", "甘": "62",
    "青": "63", "宁": "64", "新": "65",
}

# (primaryGenreName, localised genre, Apple genre id)
_GENRES = (
    ("Utilities", "工具", "6002"), ("Lifestyle", "生活", "6012"), ("News", "新闻", "6009"),
    ("Productivity", "效率", "6007"), ("Business", "商务", "6000"), ("Education", "教育", "6017"),
    ("Medical", "医疗", "6020"), ("Travel", "旅游", "6003"), ("Navigation", "导航", "6010"),
)
_RELEASE_NOTES = (
    "修复已知问题，提升稳定性。",
    "优化用户体验，修复部分已知问题。",
    "新增办事指南查询功能；修复已知问题。",
    "适配最新系统版本，优化页面加载速度。",
    "优化登录流程，提升服务响应速度。",
)
_MIN_OS = ("11.0", "12.0", "13.0", "14.0", "15.0")


class BadRequest(ValueError):
    """A client error (HTTP 400); ``payload`` is the JSON body to send."""

    def __init__(self, message: str, payload: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.payload = payload or {"error": "bad_request", "message": message}


@dataclass
class Reply:
    """A successful answer: status, content type, body object or text, extra headers."""

    status: int
    content_type: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


# --- helpers -----------------------------------------------------------------------------------

def _one(params: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
    values = params.get(name)
    if not values:
        return default
    value = values[-1].strip()
    return value if value != "" else default


def _int_param(params: dict[str, list[str]], name: str, default: int, low: int, high: int | None) -> int:
    raw = _one(params, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer, got {raw!r}") from None
    if value < low or (high is not None and value > high):
        limit = f"between {low} and {high}" if high is not None else f">= {low}"
        raise BadRequest(f"{name} must be {limit}, got {value}")
    return value


def _paging(params: dict[str, list[str]]) -> tuple[int, int]:
    return (_int_param(params, "page", 1, 1, None),
            _int_param(params, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE))


def _province(params: dict[str, list[str]]) -> str | None:
    value = _one(params, "province")
    if value is not None and not (len(value) == 2 and value.isdigit()):
        raise BadRequest(f"province must be a 2-digit GB/T 2260 province code, got {value!r}")
    return value


def _choice(params: dict[str, list[str]], name: str, allowed: Iterable[str], required: bool) -> str | None:
    value = _one(params, name)
    allowed = tuple(allowed)
    if value is None:
        if required:
            raise BadRequest(f"{name} is required; one of: {', '.join(allowed)}")
        return None
    if value not in allowed:
        raise BadRequest(f"unknown {name} {value!r}; one of: {', '.join(allowed)}")
    return value


def _iso_z(value: Any) -> str | None:
    """A stored naive-UTC timestamp (or date) as ``YYYY-MM-DDTHH:MM:SSZ``."""
    if value is None or value == "":
        return None
    text = str(value)
    if len(text) == 10:
        return f"{text}T00:00:00Z"
    return text[:19].replace(" ", "T") + "Z"


def _miit_time(value: Any) -> str | None:
    """A stored timestamp as MIIT's ``YYYY-MM-DD HH:MM:SS``."""
    if value is None or value == "":
        return None
    text = str(value)
    if len(text) == 10:
        return f"{text} 00:00:00"
    return text[:19].replace("T", " ")


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "t", "yes")
    return bool(value)


def _h(*parts: Any) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()[:8], "big")


def _paged_body(extra: dict[str, Any], page: int, page_size: int, total: int, items: list) -> dict[str, Any]:
    return {**extra, "page": page, "page_size": page_size, "total": total,
            "next_page": page + 1 if page * page_size < total else None, "items": items}


def _csv_body(fields: Iterable[str], items: Iterable[dict[str, Any]]) -> str:
    """CSV text with a UTF-8 BOM, CRLF line ends, booleans as true/false, null as empty."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    fields = tuple(fields)
    writer.writerow(fields)
    for item in items:
        writer.writerow(["" if item.get(f) is None else
                         ("true" if item[f] is True else "false" if item[f] is False else item[f])
                         for f in fields])
    return out.getvalue()


def _wan(n: int) -> str:
    """Chinese store-style download buckets: ``8000``, ``10万+``, ``1亿+``."""
    if n >= 100_000_000:
        return f"{n // 100_000_000}亿+"
    if n >= 10_000:
        return f"{n // 10_000}万+"
    return str(n)


def _drop_one(item: dict[str, Any], rng: random.Random, names: tuple[str, ...]) -> None:
    if rng.random() < 0.5:
        item.pop(rng.choice(names), None)


# --- 1. Apple iTunes Lookup --------------------------------------------------------------------

_APPLE_SELECT = """
SELECT sl.store_app_id, sl.name, sl.developer, sl.version, sl.version_released_at, sl.first_released_at,
       sl.rating, sl.rating_count, sl.description, a.name AS app_name, a.bundle_id, a.package_name,
       a.description AS app_description, sp.name AS sponsor_name
FROM store_listings sl
LEFT JOIN apps a ON a.id = sl.app_id
LEFT JOIN sponsors sp ON sp.id = a.sponsor_id
WHERE sl.store = 'apple' AND sl.available
"""
_FALLBACK_BUNDLE_PREFIX = "app.id"


def _apple_error(message: str) -> BadRequest:
    return BadRequest(message, {"errorMessage": message, "queryParameters": {
        "id": "Comma-separated numeric Apple ids (trackId), at most 200",
        "bundleId": "Comma-separated bundle identifiers",
        "country": "ISO-2A country code (storefront), e.g. cn",
    }})


def _split_list(params: dict[str, list[str]], name: str) -> list[str]:
    values: list[str] = []
    for raw in params.get(name, []):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    return list(dict.fromkeys(values))


def _seller(row: Any) -> str:
    return row["developer"] or row["sponsor_name"] or row["name"] or row["app_name"] or f"App {row['store_app_id']}"


def artist_id(seller: str) -> int:
    """The developer account id (artistId) of a seller: stable for the seller's name."""
    return 1_000_000_000 + _h("artist", seller) % 700_000_000


def apple_result(row: Any) -> dict[str, Any]:
    """One ``results`` entry in Apple's software shape."""
    track_id = int(row["store_app_id"])
    name = row["name"] or row["app_name"] or f"App {track_id}"
    seller = row["developer"] or row["sponsor_name"] or name
    bundle = row["bundle_id"] or row["package_name"] or f"{_FALLBACK_BUNDLE_PREFIX}{track_id}"
    genre, genre_zh, genre_id = _GENRES[_h("genre", track_id) % len(_GENRES)]
    version = row["version"] or "1.0.0"
    rating = float(row["rating"]) if row["rating"] is not None else 0.0
    count = int(row["rating_count"] or 0)
    artist = artist_id(seller)
    released = _iso_z(row["first_released_at"]) or _iso_z(row["version_released_at"])
    artwork = f"https://is1-ssl.mzstatic.com/image/thumb/Purple/stub/{track_id}/AppIcon.png"
    return {
        "wrapperType": "software",
        "kind": "software",
        "trackId": track_id,
        "trackName": name,
        "trackCensoredName": name,
        "bundleId": bundle,
        "sellerName": seller,
        "artistName": seller,
        "artistId": artist,
        "artistViewUrl": f"https://apps.apple.com/cn/developer/id{artist}",
        "version": version,
        "currentVersionReleaseDate": _iso_z(row["version_released_at"]) or released,
        "releaseDate": released,
        "releaseNotes": _RELEASE_NOTES[_h("notes", track_id, version) % len(_RELEASE_NOTES)],
        "description": row["description"] or row["app_description"] or name,
        "averageUserRating": rating,
        "userRatingCount": count,
        "averageUserRatingForCurrentVersion": rating,
        "userRatingCountForCurrentVersion": count,
        "genres": [genre_zh, "生活"] if genre_zh != "生活" else [genre_zh],
        "genreIds": [genre_id, "6012"] if genre_id != "6012" else [genre_id],
        "primaryGenreName": genre,
        "primaryGenreId": int(genre_id),
        "fileSizeBytes": str(20_000_000 + _h("size", track_id, version) % 280_000_000),
        "minimumOsVersion": _MIN_OS[_h("os", track_id) % len(_MIN_OS)],
        "trackViewUrl": f"https://apps.apple.com/cn/app/id{track_id}",
        "artworkUrl60": artwork.replace(".png", "/60x60bb.jpg"),
        "artworkUrl100": artwork.replace(".png", "/100x100bb.jpg"),
        "artworkUrl512": artwork.replace(".png", "/512x512bb.jpg"),
        "screenshotUrls": [],
        "ipadScreenshotUrls": [],
        "appletvScreenshotUrls": [],
        "supportedDevices": ["iPhone", "iPad"],
        "features": [],
        "advisories": [],
        "isGameCenterEnabled": False,
        "price": 0.0,
        "currency": "CNY",
        "formattedPrice": "免费",
        "languageCodesISO2A": ["ZH"] if _h("lang", track_id) % 3 else ["EN", "ZH"],
        "contentAdvisoryRating": "4+",
        "trackContentRating": "4+",
    }


def _apple_wrong_types(item: dict[str, Any], rng: random.Random) -> None:
    item["trackId"] = str(item["trackId"])
    item["artistId"] = str(item["artistId"])
    item["userRatingCount"] = f"{item['userRatingCount']:,}"
    item["averageUserRating"] = None
    item["fileSizeBytes"] = int(item["fileSizeBytes"])
    _drop_one(item, rng, ("version", "currentVersionReleaseDate", "bundleId", "sellerName"))


APPLE_DEFAULT_LIMIT = 50


def _apple_limit(params: dict[str, list[str]]) -> int:
    raw = _one(params, "limit", str(APPLE_DEFAULT_LIMIT)) or str(APPLE_DEFAULT_LIMIT)
    if not raw.isdigit() or not 1 <= int(raw) <= APPLE_MAX_IDS:
        raise _apple_error(f"Invalid value(s) for key(s): [limit] ({raw})")
    return int(raw)


def _artist_row(seller: str, genre_id: str = "6002") -> dict[str, Any]:
    """A ``wrapperType: "artist"`` row as Apple sends first for a developer lookup."""
    artist = artist_id(seller)
    return {"wrapperType": "artist", "artistType": "Software Artist", "artistName": seller,
            "artistLinkUrl": f"https://apps.apple.com/cn/developer/id{artist}?uo=4", "artistId": artist,
            "primaryGenreName": next((g[0] for g in _GENRES if g[2] == genre_id), "Utilities"),
            "primaryGenreId": int(genre_id)}


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_SEP = "\x00"


def _coalesce(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


class _AppleCatalogue:
    """The world's available Apple listings, read once per served world (it is read-only while served;
    removals are checked per request), so that a developer lookup or a search costs what Apple's does,
    not a scan of every listing: at 200,000 entities the discovery's thousands of requests each scanned
    the whole table (quadratic; the stub, not the pipeline, was the benchmark's bottleneck).

    The seller of a listing is ``COALESCE(sl.developer, sp.name, sl.name, a.name)``. Same answers as the
    SQL it replaces: the seller equal to the artist's for the developer lookup; for the search,
    ``LIKE '%term%'`` as SQLite evaluates it (case-insensitive for ASCII letters only) on the seller or,
    without ``attribute``, on ``COALESCE(sl.name, a.name)``; rows in ``store_app_id`` order."""

    def __init__(self, world: World) -> None:
        self.rows = world.fetch_all(f"{_APPLE_SELECT} ORDER BY sl.store_app_id", [])
        self.by_seller: dict[str, list[int]] = {}
        names: list[str] = []
        for i, row in enumerate(self.rows):
            seller = _coalesce(row["developer"], row["sponsor_name"], row["name"], row["app_name"])
            if seller is not None:
                self.by_seller.setdefault(seller, []).append(i)
            names.append(_coalesce(row["name"], row["app_name"]) or "")
        self.sellers = list(self.by_seller)
        #: artistId → seller (a seller with only unavailable listings has no apps to return either)
        self.artists = {str(artist_id(s)): s for s in self.sellers if s}
        self._seller_text, self._seller_starts = self._joined(self.sellers)
        self._name_text, self._name_starts = self._joined(names)
        self._names = names

    @staticmethod
    def _joined(values: list[str]) -> tuple[str, list[int]]:
        starts, at = [], 0
        for v in values:
            starts.append(at)
            at += len(v) + 1
        return _SEP.join(v.translate(_ASCII_LOWER) for v in values), starts

    @staticmethod
    def _containing(text: str, starts: list[int], values: list[str], term: str) -> set[int]:
        """Indexes of the values that contain ``term`` (ASCII case folded)."""
        import bisect

        folded = term.translate(_ASCII_LOWER)
        if _SEP in folded:  # cannot occur in a query string; exact, if slow
            return {i for i, v in enumerate(values) if folded in v.translate(_ASCII_LOWER)}
        found: set[int] = set()
        at = text.find(folded)
        while at >= 0:
            i = bisect.bisect_right(starts, at) - 1
            found.add(i)
            end = starts[i + 1] if i + 1 < len(starts) else len(text)
            at = text.find(folded, end)  # the next value: one hit per value is enough
        return found

    def of_seller(self, seller: str) -> list[int]:
        return self.by_seller.get(seller, [])

    def search(self, term: str, developer_only: bool) -> list[int]:
        hits: set[int] = set()
        for s in self._containing(self._seller_text, self._seller_starts, self.sellers, term):
            hits.update(self.by_seller[self.sellers[s]])
        if not developer_only:
            hits |= self._containing(self._name_text, self._name_starts, self._names, term)
        return sorted(hits)


def _apple_catalogue(world: World) -> _AppleCatalogue:
    cached = getattr(world, "_fingertip_apple_catalogue", None)
    if cached is None:
        cached = world._fingertip_apple_catalogue = _AppleCatalogue(world)  # type: ignore[attr-defined]
    return cached


def _apple_software(world: World, catalogue: _AppleCatalogue, positions: list[int], limit: int) -> list[Any]:
    rows = (catalogue.rows[i] for i in positions)
    found = []
    for r in rows:
        if r["store_app_id"].isdigit() and not world.is_removed("apple", r["store_app_id"]):
            found.append(r)
            if len(found) == limit:
                break
    return found


def apple_developer_lookup(world: World, ids: list[str], params: dict[str, list[str]],
                           rng: random.Random | None) -> Reply:
    """``/lookup?id=<artistId>&entity=software&limit=N``: each developer, then its apps."""
    limit = _apple_limit(params)
    results: list[dict[str, Any]] = []
    if (_one(params, "country") or "us").lower() == "cn":
        catalogue = _apple_catalogue(world)
        for artist in ids:
            seller = catalogue.artists.get(artist)
            if seller is None:
                continue
            apps = _apple_software(world, catalogue, catalogue.of_seller(seller), limit)
            if not apps:
                continue  # a developer with nothing in this storefront is not returned
            results.append(_artist_row(seller))
            results.extend(apple_result(r) for r in apps)
    if rng is not None:
        for item in results:
            if item["wrapperType"] == "software":
                _apple_wrong_types(item, rng)
    return Reply(200, APPLE_TYPE, {"resultCount": len(results), "results": results})


def apple_search(world: World, params: dict[str, list[str]], rng: random.Random | None = None) -> Reply:
    """``/search?term=…&country=cn&entity=software[&attribute=softwareDeveloper][&limit=N]``.

    The term matches the seller's name (``attribute=softwareDeveloper``) or, without an attribute,
    the app's name or its seller's; results in Apple's software shape, no artist rows."""
    term = " ".join((_one(params, "term") or "").split())
    if not term:
        raise BadRequest("Invalid value(s) for key(s): [term]", {"errorMessage": "Invalid value(s) for key(s): [term]"})
    attribute = _one(params, "attribute")
    if attribute not in (None, "softwareDeveloper"):
        raise _apple_error(f"Invalid value(s) for key(s): [attribute] ({attribute})")
    limit = _apple_limit(params)
    results: list[dict[str, Any]] = []
    if (_one(params, "country") or "us").lower() == "cn" and (_one(params, "entity") or "software") == "software":
        catalogue = _apple_catalogue(world)
        positions = catalogue.search(term, developer_only=attribute is not None)
        results = [apple_result(r) for r in _apple_software(world, catalogue, positions, limit)]
    if rng is not None:
        for item in results:
            _apple_wrong_types(item, rng)
    return Reply(200, APPLE_TYPE, {"resultCount": len(results), "results": results})


def apple_lookup(world: World, params: dict[str, list[str]], rng: random.Random | None = None) -> Reply:
    """``/lookup?id=…&country=cn`` (and ``bundleId=``), Apple's response shape; with
    ``entity=software`` the ids are developer (artist) ids: :func:`apple_developer_lookup`."""
    ids = _split_list(params, "id")
    bundles = _split_list(params, "bundleId")
    if not ids and not bundles:
        raise _apple_error("Invalid value(s) for key(s): [id]")
    bad = [i for i in ids if not i.isdigit()]
    if bad:
        raise _apple_error(f"Invalid value(s) for key(s): [id] ({', '.join(bad[:5])})")
    if len(ids) + len(bundles) > APPLE_MAX_IDS:
        raise _apple_error(f"Too many ids: {len(ids) + len(bundles)} (at most {APPLE_MAX_IDS} per request)")
    if _one(params, "entity") == "software" and ids and not bundles:
        return apple_developer_lookup(world, ids, params, rng)
    country = (_one(params, "country") or "us").lower()
    results: list[dict[str, Any]] = []
    if country == "cn":
        ids = list(dict.fromkeys(normalise_id("apple", i) for i in ids))
        rows: list[Any] = []
        if ids:
            marks = ", ".join("?" * len(ids))
            rows += world.fetch_all(f"{_APPLE_SELECT} AND sl.store_app_id IN ({marks})", ids)
        if bundles:
            marks = ", ".join("?" * len(bundles))
            cut = len(_FALLBACK_BUNDLE_PREFIX)
            fallback = [b[cut:] for b in bundles
                        if b.startswith(_FALLBACK_BUNDLE_PREFIX) and b[cut:].isdigit()]
            sql = (f"{_APPLE_SELECT} AND (a.bundle_id IN ({marks})"
                   f" OR (a.bundle_id IS NULL AND a.package_name IN ({marks}))")
            args: list[Any] = [*bundles, *bundles]
            if fallback:
                sql += f" OR (a.id IS NULL AND sl.store_app_id IN ({', '.join('?' * len(fallback))}))"
                args += fallback
            rows += world.fetch_all(sql + ")", args)
        by_id: dict[str, Any] = {}
        for row in rows:
            if not world.is_removed("apple", row["store_app_id"]) and row["store_app_id"].isdigit():
                by_id.setdefault(row["store_app_id"], row)
        # requested ids first, in request order, then bundle-id matches
        ordered = [by_id.pop(i) for i in ids if i in by_id] + list(by_id.values())
        results = [apple_result(r) for r in ordered]
    if rng is not None:
        for item in results:
            _apple_wrong_types(item, rng)
    return Reply(200, APPLE_TYPE, {"resultCount": len(results), "results": results})


# --- 2. Android listing feed -------------------------------------------------------------------

_ANDROID_SELECT = ("sl.store AS store, sl.store_app_id AS store_app_id, "
                   "COALESCE(sl.name, a.name) AS app_name, COALESCE(sl.developer, sp.name) AS developer, "
                   "sl.version AS version, "
                   "sl.version_released_at AS updated_at, sl.downloads AS downloads, sl.rating AS rating, "
                   "sl.rating_count AS rating_count, sl.available AS available")
_ANDROID_FROM = ("store_listings sl LEFT JOIN apps a ON a.id = sl.app_id "
                 "LEFT JOIN sponsors sp ON sp.id = a.sponsor_id WHERE sl.store = ?")


def _android_query(world: World, params: dict[str, list[str]]) -> tuple[str, str, list[Any]]:
    store = _choice(params, "store", ANDROID_STORES, required=True)
    where, args = _ANDROID_FROM, [store]
    package = _one(params, "package")
    if package is not None:
        where += " AND sl.store_app_id = ?"
        args.append(package)
    where += world.removed_clause("sl.store", "sl.store_app_id", store)
    return store, where, args


def android_item(row: Any) -> dict[str, Any]:
    return {
        "store": row["store"],
        "package_name": row["store_app_id"],
        "app_name": row["app_name"],
        "developer": row["developer"],
        "version": row["version"],
        "updated_at": _iso_z(row["updated_at"]),
        "downloads": int(row["downloads"] or 0),
        "rating": float(row["rating"]) if row["rating"] is not None else None,
        "rating_count": int(row["rating_count"] or 0),
        "available": _bool(row["available"]),
    }


def _android_wrong_types(item: dict[str, Any], rng: random.Random) -> None:
    item["downloads"] = _wan(item["downloads"])
    item["rating_count"] = f"{item['rating_count']:,}"
    item["rating"] = "" if item["rating"] is None else str(item["rating"])
    item["available"] = "是" if item["available"] else "否"
    _drop_one(item, rng, ("version", "updated_at", "developer"))


def android_listings(world: World, params: dict[str, list[str]], rng: random.Random | None = None) -> Reply:
    """``/android/v1/listings``: one page of a store's listings, ordered by package."""
    store, where, args = _android_query(world, params)
    page, size = _paging(params)
    total, rows = world.paged("android", _ANDROID_SELECT, where, args, ["sl.store_app_id"], ["store_app_id"],
                              page, size)
    items = _mutate([android_item(r) for r in rows], _android_wrong_types, rng)
    return Reply(200, JSON_TYPE, _paged_body({"store": store}, page, size, total, items))


def android_export(world: World, params: dict[str, list[str]], rng: random.Random | None = None) -> Reply:
    """``/android/v1/export.csv``: every listing of a store as CSV."""
    store, where, args = _android_query(world, params)
    rows = world.iterate(f"SELECT {_ANDROID_SELECT} FROM {where} ORDER BY sl.store_app_id", args)
    items = _mutate((android_item(r) for r in rows), _android_wrong_types, rng)
    return Reply(200, CSV_TYPE, _csv_body(ANDROID_FIELDS, items),
                 {"Content-Disposition": f'attachment; filename="{store}-listings.csv"'})


def _mutate(items: Iterable[dict[str, Any]], mutator: Callable[[dict[str, Any], random.Random], None],
            rng: random.Random | None) -> Any:
    if rng is None:
        return items if isinstance(items, list) else list(items)
    out = []
    for item in items:
        mutator(item, rng)
        out.append(item)
    return out


# --- 3. Filing registry ------------------------------------------------------------------------

_PROVINCE_CASE = "CASE substr(f.service_licence, 1, 1) " + " ".join(
    f"WHEN '{abbr}' THEN '{code}'" for abbr, code in LICENCE_PROVINCES.items()) + " END"
#: A filing's province: positions 3–4 of the sponsor's credit code (its registering office),
#: else the province abbreviation that opens the licence number.
FILING_PROVINCE_SQL = f"COALESCE(substr(NULLIF(f.sponsor_credit_code, ''), 3, 2), {_PROVINCE_CASE})"
_FILING_SELECT = ("f.sponsor_name, f.sponsor_nature, f.main_licence, f.service_licence, f.service_name, "
                  "f.service_type, f.reviewed_at, f.access_restricted, f.sponsor_credit_code, f.status, "
                  "f.cancelled_at")


def _filing_query(world: World, params: dict[str, list[str]]) -> tuple[str, str, list[Any]]:
    kind = _choice(params, "kind", FILING_KINDS, required=True)
    where, args = "filings f WHERE f.filing_kind = ?", [kind]
    if (code := _one(params, "credit_code")) is not None:
        where += " AND f.sponsor_credit_code = ?"
        args.append(code.upper())
    if (sponsor := _one(params, "sponsor_name")) is not None:
        where += " AND f.sponsor_name = ?"
        args.append(sponsor)
    if (licence := _one(params, "licence")) is not None:
        where += " AND (f.service_licence = ? OR f.main_licence = ?)"
        args += [licence, licence]
    if (province := _province(params)) is not None:
        where += f" AND {FILING_PROVINCE_SQL} = ?"
        args.append(province)
    where += world.removed_clause("f.filing_kind", "f.service_licence", kind)
    return kind, where, args


def filing_item(row: Any) -> dict[str, Any]:
    return {
        "unitName": row["sponsor_name"],
        "natureName": row["sponsor_nature"],
        "mainLicence": row["main_licence"],
        "serviceLicence": row["service_licence"],
        "serviceName": row["service_name"],
        "serviceType": row["service_type"],
        "updateRecordTime": _miit_time(row["reviewed_at"]),
        "limitAccess": "是" if _bool(row["access_restricted"]) else "否",
        "creditCode": row["sponsor_credit_code"],
        "status": row["status"],
        "cancelTime": _miit_time(row["cancelled_at"]),
    }


def _filing_wrong_types(item: dict[str, Any], rng: random.Random) -> None:
    item["limitAccess"] = item["limitAccess"] == "是"
    if item["updateRecordTime"]:
        stamp = dt.datetime.strptime(item["updateRecordTime"], "%Y-%m-%d %H:%M:%S")
        item["updateRecordTime"] = int(stamp.replace(tzinfo=dt.UTC).timestamp() * 1000)
    _drop_one(item, rng, ("creditCode", "natureName", "mainLicence", "serviceType"))


def filing_records(world: World, params: dict[str, list[str]], rng: random.Random | None = None) -> Reply:
    """``/filings/v1/records``: one page of filings of a kind, ordered by service licence."""
    kind, where, args = _filing_query(world, params)
    page, size = _paging(params)
    total, rows = world.paged("filings", _FILING_SELECT, where, args, ["f.service_licence"],
                              ["service_licence"], page, size)
    items = _mutate([filing_item(r) for r in rows], _filing_wrong_types, rng)
    return Reply(200, JSON_TYPE, _paged_body({"kind": kind}, page, size, total, items))


def filing_export(world: World, params: dict[str, list[str]], rng: random.Random | None = None) -> Reply:
    """``/filings/v1/export.csv``: every matching filing as CSV."""
    kind, where, args = _filing_query(world, params)
    rows = world.iterate(f"SELECT {_FILING_SELECT} FROM {where} ORDER BY f.service_licence", args)
    items = _mutate((filing_item(r) for r in rows), _filing_wrong_types, rng)
    return Reply(200, CSV_TYPE, _csv_body(FILING_FIELDS, items),
                 {"Content-Disposition": f'attachment; filename="filings-{kind}.csv"'})


# --- 4. Account activity -----------------------------------------------------------------------

_ACCOUNT_SELECT = ("a.platform AS platform, a.platform_account_id AS platform_account_id, a.name AS name, "
                   "act.activity_date AS activity_date, act.last_post_at AS last_post_at, "
                   "act.posts_7d AS posts_7d, act.posts_14d AS posts_14d, act.posts_30d AS posts_30d, "
                   "act.followers AS followers, act.unanswered_messages AS unanswered_messages, "
                   "act.oldest_unanswered_days AS oldest_unanswered_days, "
                   "act.interaction_channel AS interaction_channel")
_ACCOUNT_FROM = ("accounts a JOIN account_activity act ON act.id = ("
                 "SELECT x.id FROM account_activity x WHERE x.account_id = a.id AND x.activity_date <= ? "
                 "ORDER BY x.activity_date DESC LIMIT 1) WHERE 1 = 1")


def latest_activity_date(world: World) -> str | None:
    value = world.scalar("SELECT max(activity_date) FROM account_activity")
    return None if value is None else str(value)[:10]


def _account_query(world: World, params: dict[str, list[str]]) -> tuple[str, str, list[Any]]:
    raw = _one(params, "date")
    if raw is None:
        day = latest_activity_date(world) or dt.date.today().isoformat()
    else:
        try:
            if len(raw) != 10 or raw[4] != "-" or raw[7] != "-":
                raise ValueError(raw)
            day = dt.date.fromisoformat(raw).isoformat()
        except ValueError:
            raise BadRequest(f"date must be YYYY-MM-DD, got {raw!r}") from None
    where, args = _ACCOUNT_FROM, [day]
    if (platform := _choice(params, "platform", ACCOUNT_PLATFORMS, required=False)) is not None:
        where += " AND a.platform = ?"
        args.append(platform)
    if (province := _province(params)) is not None:
        where += " AND substr(a.division_code, 1, 2) = ?"
        args.append(province)
    where += world.removed_clause("a.platform", "a.platform_account_id", platform)
    return day, where, args


def account_item(row: Any) -> dict[str, Any]:
    days = row["oldest_unanswered_days"]
    return {
        "platform": row["platform"],
        "account_id": row["platform_account_id"],
        "name": row["name"],
        "last_post_at": _iso_z(row["last_post_at"]),
        "posts_7d": int(row["posts_7d"]),
        "posts_14d": int(row["posts_14d"]),
        "posts_30d": int(row["posts_30d"]),
        "followers": int(row["followers"]),
        "unanswered_messages": int(row["unanswered_messages"]),
        "oldest_unanswered_days": None if days is None else int(days),
        "interaction_channel": _bool(row["interaction_channel"]),
        "as_of": str(row["activity_date"])[:10],
    }


def _account_wrong_types(item: dict[str, Any], rng: random.Random) -> None:
    followers = item["followers"]
    item["followers"] = f"{followers / 10_000:.1f}万" if followers >= 10_000 else str(followers)
    for name in ("posts_7d", "posts_14d", "posts_30d"):
        item[name] = str(item[name])
    item["interaction_channel"] = 1 if item["interaction_channel"] else 0
    if item["last_post_at"]:
        stamp = dt.datetime.strptime(item["last_post_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        item["last_post_at"] = int(stamp.timestamp())
    _drop_one(item, rng, ("oldest_unanswered_days", "unanswered_messages", "name"))


def account_activity(world: World, params: dict[str, list[str]], rng: random.Random | None = None) -> Reply:
    """``/accounts/v1/activity``: one page of account activity as of a date."""
    day, where, args = _account_query(world, params)
    page, size = _paging(params)
    total, rows = world.paged("accounts", _ACCOUNT_SELECT, where, args,
                              ["a.platform", "a.platform_account_id"], ["platform", "platform_account_id"],
                              page, size)
    items = _mutate([account_item(r) for r in rows], _account_wrong_types, rng)
    return Reply(200, JSON_TYPE, _paged_body({"date": day}, page, size, total, items))


def account_export(world: World, params: dict[str, list[str]], rng: random.Random | None = None) -> Reply:
    """``/accounts/v1/activity.csv``: every account's activity as of a date, as CSV."""
    day, where, args = _account_query(world, params)
    rows = world.iterate(f"SELECT {_ACCOUNT_SELECT} FROM {where} ORDER BY a.platform, a.platform_account_id",
                         args)
    items = _mutate((account_item(r) for r in rows), _account_wrong_types, rng)
    return Reply(200, CSV_TYPE, _csv_body(ACCOUNT_FIELDS, items),
                 {"Content-Disposition": f'attachment; filename="account-activity-{day}.csv"'})


#: path → (endpoint name for counters, handler)
ROUTES: dict[str, tuple[str, Callable[..., Reply]]] = {
    "/lookup": ("apple_lookup", apple_lookup),
    "/search": ("apple_search", apple_search),
    "/android/v1/listings": ("android_listings", android_listings),
    "/android/v1/export.csv": ("android_export", android_export),
    "/filings/v1/records": ("filing_records", filing_records),
    "/filings/v1/export.csv": ("filing_export", filing_export),
    "/accounts/v1/activity": ("account_activity", account_activity),
    "/accounts/v1/activity.csv": ("account_export", account_export),
}
