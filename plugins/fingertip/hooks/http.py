"""Base hook for the source APIs: one HTTP connection, a client-side rate limit, and retries.

Retries follow a ``urllib3`` :class:`~urllib3.util.Retry` policy (exponential backoff with jitter,
``Retry-After`` honoured on 403/429/503), applied by this hook around each ``requests`` call so
that every attempt — first or retried — passes the rate limiter. A response body that is not the
JSON the caller expects (an HTML error page behind a 200, truncated JSON) counts as a failed attempt
too. When the budget is spent, :class:`SourceFetchError` names the request and the last problem;
callers record it and go on with the next batch, so one bad page never stops a run.

Connection: each source has its own type (``fingertip_apple``, ``fingertip_listing_feed``,
``fingertip_filing_registry``, ``fingertip_activity_feed``; form fields declared in
:mod:`fingertip.provider`); a plain ``http`` connection works too. Fields: ``schema`` (http/https),
``host`` (may carry the scheme: ``https://api.example``), ``port``, optional ``login``/``password``
(HTTP basic auth); the scheme is also taken from the extra ``scheme`` or an ``https`` connection type
(URI ``https://host``), see :func:`connection_base_url`; it is never downgraded. Extras (all optional; empty
values mean the default): ``requests_per_minute`` (0 = off), ``max_attempts``,
``backoff_factor``, ``backoff_max``, ``connect_timeout``, ``read_timeout``, ``headers`` (mapping),
plus the source-specific ones documented on each hook.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from airflow.sdk import BaseHook
from urllib3.exceptions import MaxRetryError, ProtocolError
from urllib3.util import Retry

RETRY_STATUSES = frozenset({403, 429, 500, 502, 503, 504})
#: A connection reset or cut while the body is read (after the status line and headers arrived):
#: requests wraps it as ChunkedEncodingError/ContentDecodingError; the lower-level forms are listed
#: too in case a body is read outside requests' wrapper. Each is a failed attempt, retried.
BROKEN_BODY_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError,
    http.client.IncompleteRead, ProtocolError, ConnectionResetError,
)


class SourceRetry(Retry):
    """Also honour ``Retry-After`` on 403 (Apple answers throttling with 403 or 429)."""

    RETRY_AFTER_STATUS_CODES = frozenset({403, 413, 429, 503})


class BadBody(ProtocolError):
    """The response body is not the JSON document the API promises."""


class SourceFetchError(RuntimeError):
    def __init__(self, fingerprint: str, url: str, attempts: int, reason: str) -> None:
        super().__init__(f"{url} failed after {attempts} attempt(s): {reason}")
        self.fingerprint = fingerprint
        self.url = url
        self.attempts = attempts
        self.reason = reason


class RateLimiter:
    """At most ``per_minute`` acquisitions per minute, evenly spaced; thread-safe. 0 disables it."""

    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 60.0 / per_minute if per_minute and per_minute > 0 else 0.0
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            wait = max(0.0, self._next - now)
            self._next = max(now, self._next) + self.interval
        if wait:
            self.waited += wait
            self._sleep(wait)


@dataclass
class Fetched:
    payload: Any
    fingerprint: str
    url: str
    attempts: int
    status: int


def request_fingerprint(method: str, url: str, params: Mapping[str, Any] | None) -> str:
    query = urlencode(sorted((k, str(v)) for k, v in (params or {}).items()))
    return hashlib.sha256(f"{method.upper()} {url}?{query}".encode()).hexdigest()


class SourceHttpHook(BaseHook):
    """Rate-limited, retrying JSON-over-HTTP client for one connection."""

    conn_name_attr = "http_conn_id"
    default_conn_name = "http_default"
    conn_type = "http"
    hook_name = "Fingertip source API"
    #: Defaults a subclass gives its connection's extras (the connection overrides them).
    default_extras: dict[str, Any] = {}

    def __init__(self, http_conn_id: str | None = None, *, requests_per_minute: float | None = None,
                 max_attempts: int | None = None, backoff_factor: float | None = None,
                 session: requests.Session | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.http_conn_id = http_conn_id or self.default_conn_name
        self._overrides = {"requests_per_minute": requests_per_minute, "max_attempts": max_attempts,
                           "backoff_factor": backoff_factor}
        self._session = session
        self._base_url: str | None = None
        self._extras: dict[str, Any] | None = None
        self.limiter: RateLimiter | None = None
        self.stats: Counter[str] = Counter()

    # -- connection ------------------------------------------------------------------------------
    def _load(self) -> None:
        if self._base_url is not None:
            return
        conn = self.get_connection(self.http_conn_id)
        if (conn.conn_type or "") not in self.accepted_conn_types():
            self.log.warning("connection %r has type %r; %s expects %r (or plain http)", self.http_conn_id,
                             conn.conn_type, type(self).__name__, self.conn_type)
        # A form field left empty is stored as null (or ""): the hook's default applies.
        given = {k: v for k, v in (conn.extra_dejson or {}).items() if v is not None and v != ""}
        extras = {**self.default_extras, **given}
        if isinstance(extras.get("headers"), str):
            extras["headers"] = json.loads(extras["headers"])
        for key, value in self._overrides.items():
            if value is not None:
                extras[key] = value
        self._base_url = connection_base_url(conn, extras)
        self._extras = extras
        self._auth = (conn.login, conn.password or "") if conn.login else None
        self.limiter = RateLimiter(float(extras.get("requests_per_minute", 0) or 0))

    @classmethod
    def accepted_conn_types(cls) -> frozenset[str]:
        """The hook's own connection type, plus plain ``http``/``https`` (and ``generic``, what the
        Airflow CLI stores when the provider is not installed)."""
        return frozenset({cls.conn_type, "http", "https", "generic"})

    def extra(self, key: str, default: Any = None) -> Any:
        self._load()
        assert self._extras is not None  # set by _load
        return self._extras.get(key, default)

    @property
    def base_url(self) -> str:
        self._load()
        assert self._base_url is not None  # set by _load
        return self._base_url

    def get_conn(self) -> requests.Session:
        self._load()
        if self._session is None:
            self._session = requests.Session()
            self._session.headers.update({"Accept": "application/json", "User-Agent": "fingertip/0.1"})
            self._session.headers.update(self.extra("headers", {}) or {})
            if self._auth:
                self._session.auth = self._auth
        return self._session

    def _policy(self) -> SourceRetry:
        attempts = int(self.extra("max_attempts", 6))
        return SourceRetry(
            total=attempts - 1, connect=attempts - 1, read=attempts - 1, status=attempts - 1,
            other=attempts - 1, status_forcelist=RETRY_STATUSES, allowed_methods=None,
            backoff_factor=float(self.extra("backoff_factor", 0.5)),
            backoff_max=float(self.extra("backoff_max", 60)), backoff_jitter=0.1,
            respect_retry_after_header=True, raise_on_status=False,
        )

    # -- requests --------------------------------------------------------------------------------
    def get_json(self, path: str, params: Mapping[str, Any] | None = None,
                 validate: Callable[[Any], None] | None = None) -> Fetched:
        """GET ``path`` and return its parsed JSON, retrying per the policy.

        ``validate`` may raise :class:`BadBody` to reject a well-formed but wrong document (missing
        keys, wrong types at the top level); that attempt is retried like a 5xx.
        """
        session = self.get_conn()
        url = self.base_url + path
        fingerprint = request_fingerprint("GET", url, params)
        timeout = (float(self.extra("connect_timeout", 5)), float(self.extra("read_timeout", 30)))
        retry = self._policy()
        limiter = self.limiter
        assert limiter is not None  # set by get_conn() -> _load()
        attempts = 0
        while True:
            attempts += 1
            limiter.acquire()
            self.stats["requests"] += 1
            try:
                resp = session.get(url, params=params, timeout=timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                self.stats["timeouts" if isinstance(exc, requests.Timeout) else "connection_errors"] += 1
                retry = self._next(retry, url, fingerprint, attempts, error=_as_urllib3(exc))
                continue
            except BROKEN_BODY_ERRORS as exc:  # the connection broke while the body was being read
                self.stats["broken_bodies"] += 1
                retry = self._next(retry, url, fingerprint, attempts,
                                   error=ProtocolError(f"connection broken mid-body: {exc!r}"[:300]))
                continue
            if resp.status_code in RETRY_STATUSES:
                self.stats[f"status_{resp.status_code}"] += 1
                retry = self._next(retry, url, fingerprint, attempts, response=resp)
                continue
            if resp.status_code >= 400:  # 400/404: retrying cannot help
                self.stats[f"status_{resp.status_code}"] += 1
                raise SourceFetchError(fingerprint, url, attempts, f"HTTP {resp.status_code}: {resp.text[:200]!r}")
            try:
                payload = self._parse(resp)
                if validate:
                    validate(payload)
            except BadBody as exc:
                self.stats["bad_bodies"] += 1
                retry = self._next(retry, url, fingerprint, attempts, error=exc)
                continue
            return Fetched(payload, fingerprint, url, attempts, resp.status_code)

    @staticmethod
    def _parse(resp: requests.Response) -> Any:
        ctype = resp.headers.get("Content-Type", "")
        text = resp.text
        if "html" in ctype or text.lstrip()[:1] == "<":
            raise BadBody(f"HTML instead of JSON (HTTP {resp.status_code}, {len(text)} bytes)")
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadBody(f"invalid JSON ({exc.msg} at byte {exc.pos} of {len(text)})") from None

    def _next(self, retry: SourceRetry, url: str, fingerprint: str, attempts: int, *,
              error: Exception | None = None, response: requests.Response | None = None) -> SourceRetry:
        reason = str(error) if error else f"HTTP {response.status_code if response is not None else '?'}"
        try:
            retry = retry.increment("GET", url, response=response.raw if response is not None else None,
                                    error=error)
        except MaxRetryError:
            self.log.warning("giving up on %s after %d attempts: %s", url, attempts, reason)
            raise SourceFetchError(fingerprint, url, attempts, reason) from None
        self.stats["retries"] += 1
        self.log.info("retrying %s (attempt %d failed: %s)", url, attempts, reason)
        if response is not None:
            retry.sleep(response.raw)
        else:
            retry.sleep()
        return retry


SCHEMES = ("http", "https")


def connection_base_url(conn: Any, extras: Mapping[str, Any] | None = None) -> str:
    """``scheme://host[:port][/path]`` of a connection, honouring the scheme in every form it is given.

    The scheme comes from, in this order: the host (``https://api.example``), the ``schema`` field,
    the extra ``scheme``, the connection type (a URI ``https://host`` is stored with type ``https``);
    otherwise ``http``. A scheme other than http/https is a misconfiguration and raises ``ValueError``.
    """
    extras = extras if extras is not None else (conn.extra_dejson or {})
    host = (conn.host or "127.0.0.1").strip()
    candidates: list[tuple[str, str]] = []
    path = ""
    if "://" in host:
        scheme, _, host = host.partition("://")
        candidates.append(("host", scheme))
        host, slash, rest = host.partition("/")
        path = (slash + rest).rstrip("/")
    conn_type = (conn.conn_type or "").lower()
    schema = (conn.schema or "").strip()
    if schema and schema.lower().rstrip(":/") not in SCHEMES and conn_type in SCHEMES and not path:
        # a URI ``https://host/base`` stores its path in ``schema``: it is a base path here
        path, schema = "/" + schema.strip("/"), ""
    if schema:
        candidates.append(("schema", schema))
    if extras.get("scheme"):
        candidates.append(("extra scheme", str(extras["scheme"])))
    if conn_type in SCHEMES:
        candidates.append(("connection type", conn_type))
    scheme = "http"
    for where, value in candidates:
        value = value.strip().lower().rstrip(":/")
        if value not in SCHEMES:
            raise ValueError(f"connection {getattr(conn, 'conn_id', '?')!r}: {where} gives scheme {value!r}; "
                             f"expected one of {', '.join(SCHEMES)}")
        scheme = value
        break
    if conn.port and not _has_port(host):
        host = f"{host}:{conn.port}"
    return f"{scheme}://{host}{path}"


def _has_port(host: str) -> bool:
    if host.startswith("["):  # IPv6 literal
        return "]:" in host
    return ":" in host


def _as_urllib3(exc: Exception) -> Exception:
    """Map requests' exceptions to what urllib3's Retry classifies as connect/read errors."""
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError

    if isinstance(exc, requests.ConnectTimeout):
        return ConnectTimeoutError(str(exc))
    if isinstance(exc, requests.Timeout):
        return ReadTimeoutError(None, None, str(exc))  # type: ignore[arg-type]  # no pool: only classified by Retry
    if isinstance(exc, requests.ConnectionError):
        return NewConnectionError(None, str(exc))  # type: ignore[arg-type]  # no connection object here
    return exc
