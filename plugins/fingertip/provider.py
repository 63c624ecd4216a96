"""Provider information of the ``fingertip`` distribution (entry point ``apache_airflow_provider``).

Airflow's ProvidersManager reads :func:`get_provider_info` from every installed distribution that
declares the entry point, validates it against ``airflow/provider_info.schema.json`` and takes from it:

* ``connection-types`` — the five Fingertip connection types, each with typed form fields
  (``conn-fields``, stored in the connection's extra JSON) and the behaviour of the standard fields
  (``ui-field-behaviour``); the connection form shows them without importing the hooks;
* ``config`` — the ``[fingertip]`` section, built from :data:`fingertip.config.OPTIONS`, so
  ``airflow config list --section fingertip`` lists every option with its description and default;
* hooks, notifications, extra links and the plugin.

This module must stay cheap and import-safe: it is imported by every Airflow command once the
distribution is installed, so it imports neither Airflow nor the hooks.
"""

from __future__ import annotations

import copy
from typing import Any

from fingertip import __version__
from fingertip.config import OPTIONS, SECTION

PACKAGE_NAME = "fingertip"
INTEGRATION = "Fingertip governance sources"
STORE_INTEGRATION = "Fingertip governance store"

#: connection type → (hook class, hook display name = the class's ``hook_name``, default connection id)
CONNECTION_TYPES: dict[str, tuple[str, str, str]] = {
    "fingertip_apple": ("fingertip.hooks.apple.AppleLookupHook", "Apple iTunes Lookup", "apple_itunes"),
    "fingertip_listing_feed": ("fingertip.hooks.android.AndroidFeedHook", "Android listing feed",
                               "android_listing_feed"),
    "fingertip_filing_registry": ("fingertip.hooks.filings.FilingRegistryHook",
                                  "ICP/APP filing registry", "filing_registry"),
    "fingertip_activity_feed": ("fingertip.hooks.activity.AccountActivityHook",
                                "Account activity feed", "account_activity_feed"),
    "fingertip_store": ("fingertip.hooks.store.StoreHook", "Fingertip governance store", "fingertip_store"),
}


def _field(label: str, description: str, type_: str, default: Any = None, **schema: Any) -> dict[str, Any]:
    """One conn-field: typed (nullable, so an empty field keeps the hook's default), with a default."""
    spec: dict[str, Any] = {"type": [type_, "null"], **schema}
    if default is not None:
        spec["default"] = default
    return {"label": label, "description": description, "schema": spec}


def _http_fields(*, requests_per_minute: float) -> dict[str, dict[str, Any]]:
    """Extras every HTTP source reads (:class:`fingertip.hooks.http.SourceHttpHook`)."""
    return {
        "requests_per_minute": _field(
            "Requests per minute", f"每分钟最多请求数（客户端限速，0 = 不限速）。Client-side rate limit in requests "
            f"per minute; 0 disables it. Default {requests_per_minute:g}.",
            "number", requests_per_minute, minimum=0),
        "max_attempts": _field(
            "Max attempts", "每个请求最多尝试次数（含首次）。Attempts per request, the first one included "
            "(403/429/5xx, timeouts and malformed JSON are retried). Default 6.",
            "integer", 6, minimum=1, maximum=20),
        "backoff_factor": _field(
            "Backoff factor (s)", "指数退避系数（秒）：第 n 次重试前等待 factor × 2^(n-1) 秒。Exponential backoff "
            "factor in seconds: wait factor × 2^(n-1) before retry n. Default 0.5.",
            "number", 0.5, minimum=0),
        "backoff_max": _field(
            "Max backoff (s)", "两次尝试之间最长等待（秒）；Retry-After 头优先。Longest wait between attempts in "
            "seconds; a Retry-After header is honoured. Default 60.",
            "number", 60, minimum=0),
        "connect_timeout": _field(
            "Connect timeout (s)", "建立连接超时（秒）。TCP connect timeout in seconds. Default 5.",
            "number", 5, minimum=0),
        "read_timeout": _field(
            "Read timeout (s)", "读取响应超时（秒）。Read timeout in seconds. Default 30.",
            "number", 30, minimum=0),
        "headers": _field(
            "Extra HTTP headers", "附加的 HTTP 请求头（JSON 对象，如 API 密钥头）。Additional request headers as a "
            "JSON object, e.g. an API key header.", "object"),
    }


def _page_size(default: int) -> dict[str, dict[str, Any]]:
    return {"page_size": _field(
        "Page size", f"每页条数（分页接口的 page_size 参数）。Items per page (the feed's page_size parameter). "
        f"Default {default}.", "integer", default, minimum=1, maximum=10000)}


def _http_behaviour(host_placeholder: str) -> dict[str, Any]:
    """Standard fields of an HTTP source: scheme in ``schema``, optional basic auth; extras typed above."""
    return {
        "hidden-fields": ["extra"],
        "relabeling": {"schema": "Scheme (http/https)", "login": "Username (HTTP basic auth, optional)",
                       "password": "Password (HTTP basic auth, optional)"},
        "placeholders": {"host": host_placeholder, "schema": "https", "port": "443"},
    }


def _connection_types() -> list[dict[str, Any]]:
    apple_fields = {
        **_http_fields(requests_per_minute=20),
        "batch_size": _field(
            "Batch size", "每次查询的应用 ID 数（1–200，Apple 接受最多 200）。App ids per lookup request "
            "(1..200; Apple accepts up to 200). Default 50.", "integer", 50, minimum=1, maximum=200),
        "country": _field(
            "Storefront country", "App Store 区域代码（两位小写字母）。Two-letter App Store storefront code. "
            "Default cn.", "string", "cn", pattern="^[a-z]{2}$"),
        "daily_requests": _field(
            "Daily request cap", "每日 Apple 请求上限（日常查询与发现共用；空 = 每分钟限速 × 60 × 3 小时）。Apple calls per "
            "day for lookups and discovery together; empty: requests per minute × 60 × 3 hours.", "integer",
            minimum=0),
        "discovery_requests_per_day": _field(
            "Discovery requests per day", "每日用于发现未登记应用的请求数（空 = 每个 iOS 应用 0.009 次，至少 100 次）。"
            "Discovery requests per day; empty: 0.009 per inventory iOS app, at least 100.", "integer", minimum=0),
        "discovery_developer_share": _field(
            "Discovery share for developer lookups", "发现预算中先用于按开发者查询的比例（0–1）。Share of the discovery "
            "budget spent on developer lookups first (0..1). Default 0.5.", "number", 0.5, minimum=0, maximum=1),
    }
    listing_fields = {**_http_fields(requests_per_minute=0), **_page_size(500)}
    filing_fields = {
        **_http_fields(requests_per_minute=0), **_page_size(500),
        "gov_app_feed": _field(
            "Government-app filing feed", "是否同时拉取全国政务应用备案库（kind=gov_app）。Also ingest the national "
            "government-app filing records (kind gov_app). Default true.", "boolean", True),
    }
    activity_fields = {**_http_fields(requests_per_minute=0), **_page_size(1000)}
    store_fields = {
        "backend": _field(
            "Backend", "存储后端：postgresql（生产，使用主机/端口/数据库/用户名/密码）或 sqlite（单机文件）。"
            "postgresql (production: host, port, database, login, password) or sqlite (a single file).",
            "string", "postgresql", enum=["postgresql", "sqlite"]),
        "sqlite_path": _field(
            "SQLite file path", "backend 为 sqlite 时的数据库文件绝对路径。Absolute path of the SQLite file when "
            "the backend is sqlite.", "string"),
        "sslmode": _field(
            "SSL mode (PostgreSQL)", "PostgreSQL 的 sslmode（可选）。libpq sslmode for PostgreSQL (optional).",
            "string", enum=["disable", "allow", "prefer", "require", "verify-ca", "verify-full", None]),
    }
    specs = {
        "fingertip_apple": (apple_fields, _http_behaviour("itunes.apple.com")),
        "fingertip_listing_feed": (listing_fields,
                                   _http_behaviour("feeds.vendor.example.cn")),
        "fingertip_filing_registry": (filing_fields,
                                      _http_behaviour("filings.vendor.example.cn")),
        "fingertip_activity_feed": (activity_fields,
                                    _http_behaviour("accounts.vendor.example.cn")),
        "fingertip_store": (store_fields, {
            "hidden-fields": ["extra"],
            "relabeling": {"schema": "Database", "host": "Host (PostgreSQL)", "login": "User"},
            "placeholders": {"host": "db.internal", "port": "5432", "schema": "fingertip", "login": "fingertip"},
        }),
    }
    result = []
    for conn_type, (hook_class, hook_name, _default_id) in CONNECTION_TYPES.items():
        fields, behaviour = specs[conn_type]
        result.append({
            "connection-type": conn_type,
            "hook-class-name": hook_class,
            "hook-name": hook_name,
            "conn-fields": copy.deepcopy(fields),
            "ui-field-behaviour": copy.deepcopy(behaviour),
        })
    return result


def _config_section() -> dict[str, Any]:
    options = {
        option.name: {
            "description": f"{option.description} Environment variable {option.env} takes precedence.",
            "version_added": "0.1.0",
            "type": "string",
            "example": option.example,
            "default": option.default,
        }
        for option in OPTIONS
    }
    return {SECTION: {
        "description": "Fingertip (指尖上的形式主义治理): where the governance store, inputs and outputs live, "
                       "and which policy files apply. Each option can also be set by its FINGERTIP_* "
                       "environment variable, which wins over this section.",
        "options": options,
    }}


def get_provider_info() -> dict[str, Any]:
    """The provider dictionary (valid against ``airflow/provider_info.schema.json``)."""
    return {
        "package-name": PACKAGE_NAME,
        "name": "Fingertip",
        "description": "Lifecycle governance of government apps, official accounts and work groups "
                       "(整治“指尖上的形式主义”): source hooks, governance store, notifier, links and UI plugin.",
        "versions": [__version__],
        "integrations": [
            {"integration-name": INTEGRATION, "tags": ["service"],
             "external-doc-url": "https://performance-partners.apple.com/search-api"},
            {"integration-name": STORE_INTEGRATION, "tags": ["software"]},
        ],
        "hooks": [
            {"integration-name": INTEGRATION,
             "python-modules": ["fingertip.hooks.http", "fingertip.hooks.paged", "fingertip.hooks.apple",
                                "fingertip.hooks.android", "fingertip.hooks.filings", "fingertip.hooks.activity"]},
            {"integration-name": STORE_INTEGRATION, "python-modules": ["fingertip.hooks.store"]},
        ],
        "connection-types": _connection_types(),
        "notifications": ["fingertip.notifiers.FingertipMailNotifier"],
        "extra-links": ["fingertip.links.FingertipOutputLink"],
        # The plugin registers through the ``airflow.plugins`` entry point only: declaring it here as
        # well makes Airflow register it twice when providers are loaded eagerly.
        "config": _config_section(),
    }
