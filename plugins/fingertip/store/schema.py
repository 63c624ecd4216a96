"""The governance store: SQLAlchemy 2 Core schema.

Conventions (documented for users in ``docs/store.md``):

* every timestamp is naive UTC (``DateTime`` without time zone, the same on SQLite and PostgreSQL);
* every record that came from outside keeps its provenance: ``source`` (connection or file),
  ``fetched_at`` and ``request_fingerprint`` (SHA-256 of the request or of the imported file row);
* natural keys carry unique constraints so re-runs upsert instead of duplicating;
* surrogate integer keys are assigned by the database, or explicitly by bulk loaders.

Changing this module needs an Alembic revision in ``migrations/versions`` (``make revision``);
``tests/store/test_migrations.py`` fails when the migrations and this schema drift apart.
"""

from __future__ import annotations

import sqlalchemy as sa

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

# SQLite only auto-increments an ``INTEGER PRIMARY KEY``; PostgreSQL gets a BIGINT identity.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Allowed values, shared with validation, rules and the sample generator.
SPONSOR_LEVELS = ("central", "provincial", "prefectural", "county", "township")
SPONSOR_NATURES = ("机关", "事业单位", "群团组织")
APP_KINDS = ("app", "mini_program", "quick_app")
STORES = ("apple", "huawei", "xiaomi", "oppo", "vivo", "honor", "yingyongbao")
MINI_PROGRAM_HOSTS = ("wechat", "alipay", "baidu", "douyin")
ACCOUNT_PLATFORMS = (
    "wechat",
    "weibo",
    "douyin",
    "toutiao",
    "kuaishou",
    "bilibili",
    "wechat_channels",
    "xiaohongshu",
)
GROUP_PLATFORMS = ("wechat", "wecom", "dingtalk", "qq", "zhengwuwei")
FILING_KINDS = ("icp_app", "gov_app")
ENTITY_STATUSES = ("active", "shutting_down", "closed")
CASE_TARGET_TYPES = ("app", "account", "work_group", "sponsor")
#: Findings may also name a store listing that matches no inventory record (key ``store:store_app_id``).
TARGET_TYPES = CASE_TARGET_TYPES + ("listing",)
FINDING_STATES = ("open", "acknowledged", "resolved", "waived")
CASE_STATES = (
    "proposed",
    "approved",
    "rejected",
    "announced",
    "service_stopped",
    "data_disposed",
    "delisting_verified",
    "closed",
    "cancelled",
)


def _in(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=name)


def _provenance() -> list[sa.Column]:
    return [
        sa.Column("source", sa.String(200), nullable=False, comment="connection id, file or generator"),
        sa.Column("fetched_at", sa.DateTime(), nullable=False, comment="when the record was obtained (UTC)"),
        sa.Column("request_fingerprint", sa.String(64), nullable=False, comment="SHA-256 of request or row"),
    ]


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=sa.func.current_timestamp()),
        sa.Column("updated_at", sa.DateTime(), nullable=False, server_default=sa.func.current_timestamp()),
    ]


divisions = sa.Table(
    "divisions",
    metadata,
    sa.Column("code", sa.String(6), primary_key=True, comment="GB/T 2260 code"),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("level", sa.String(12), nullable=False, comment="province / prefecture / county"),
    sa.Column("province_code", sa.String(6), nullable=False),
    sa.Column("prefecture_code", sa.String(6), nullable=True),
    sa.Column("snapshot", sa.String(20), nullable=False, comment="code-list snapshot the row came from"),
    _in("level", ("province", "prefecture", "county"), "level"),
    comment="Pinned GB/T 2260 administrative division snapshot (include/reference).",
)

sponsors = sa.Table(
    "sponsors",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("credit_code", sa.String(18), nullable=False, unique=True, comment="GB 32100 unified social credit code"),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("division_code", sa.String(6), nullable=False, index=True),
    sa.Column("level", sa.String(12), nullable=False),
    sa.Column("nature", sa.String(12), nullable=False, comment="机关 / 事业单位 / 群团组织"),
    sa.Column("parent_id", Id, sa.ForeignKey("sponsors.id"), nullable=True, index=True),
    sa.Column("contact_name", sa.String(50), nullable=True),
    sa.Column("contact_phone", sa.String(30), nullable=True),
    sa.Column("contact_email", sa.String(200), nullable=True),
    *_provenance(),
    *_stamps(),
    _in("level", SPONSOR_LEVELS, "level"),
    sa.Index("ix_sponsors_level", "level"),
    comment="Sponsoring units (主办单位).",
)

apps = sa.Table(
    "apps",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("app_key", sa.String(40), nullable=False, unique=True, comment="stable inventory key"),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, comment="app / mini_program / quick_app"),
    sa.Column("sponsor_id", Id, sa.ForeignKey("sponsors.id"), nullable=False, index=True),
    sa.Column("division_code", sa.String(6), nullable=False, index=True),
    sa.Column("host_platform", sa.String(16), nullable=True, comment="for mini-programs: wechat, alipay …"),
    sa.Column("package_name", sa.String(200), nullable=True, index=True, comment="Android package"),
    sa.Column("bundle_id", sa.String(200), nullable=True, comment="iOS bundle id"),
    sa.Column("apple_track_id", sa.BigInteger(), nullable=True, unique=True),
    sa.Column("mini_program_id", sa.String(64), nullable=True),
    sa.Column("description", sa.Text(), nullable=True),
    sa.Column("declared_features", sa.JSON(), nullable=True, comment="list of feature codes"),
    sa.Column("approved_features", sa.JSON(), nullable=True, comment="feature approvals (Art. 6)"),
    sa.Column("has_complaint_channel", sa.Boolean(), nullable=True),
    sa.Column("user_scale", sa.BigInteger(), nullable=True, comment="registered users declared"),
    sa.Column("monthly_active_users", sa.BigInteger(), nullable=True, comment="monthly active users declared"),
    sa.Column("gov_filing_number", sa.String(60), nullable=True,
              comment="national gov-app filing number declared (国办函〔2026〕12号), verbatim"),
    sa.Column("security_level", sa.SmallInteger(), nullable=True, comment="declared 等保 level 1-5"),
    sa.Column("launched_on", sa.Date(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),
    sa.Column("closed_on", sa.Date(), nullable=True, comment="day the status became closed (reports as of a period end)"),
    sa.Column("import_batch_id", Id, sa.ForeignKey("import_batches.id"), nullable=True),
    *_provenance(),
    *_stamps(),
    _in("kind", APP_KINDS, "kind"),
    _in("status", ENTITY_STATUSES, "status"),
    sa.Index("ix_apps_sponsor_id_division_code", "sponsor_id", "division_code"),
    sa.Index("ix_apps_name_app_key", "name", "app_key"),
    comment="Government apps, mini-programs and quick apps in the inventory (台账).",
)

store_listings = sa.Table(
    "store_listings",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("store", sa.String(16), nullable=False),
    sa.Column("store_app_id", sa.String(200), nullable=False, comment="Apple trackId or Android package"),
    sa.Column("app_id", Id, sa.ForeignKey("apps.id"), nullable=True, index=True, comment="null: not in inventory"),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("developer", sa.String(200), nullable=True),
    sa.Column("developer_id", sa.String(40), nullable=True, index=True,
              comment="the store's developer account id (Apple artistId)"),
    sa.Column("version", sa.String(50), nullable=True),
    sa.Column("version_released_at", sa.DateTime(), nullable=True),
    sa.Column("first_released_at", sa.DateTime(), nullable=True),
    sa.Column("rating", sa.Float(), nullable=True),
    sa.Column("rating_count", sa.BigInteger(), nullable=True),
    sa.Column("downloads", sa.BigInteger(), nullable=True),
    sa.Column("description", sa.Text(), nullable=True),
    sa.Column("available", sa.Boolean(), nullable=False, server_default=sa.text("true")),
    sa.Column("consecutive_absences", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("first_seen_at", sa.DateTime(), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(), nullable=True, comment="last time the store returned it"),
    sa.Column("delisted_at", sa.DateTime(), nullable=True),
    *_provenance(),
    *_stamps(),
    sa.UniqueConstraint("store", "store_app_id"),
    _in("store", STORES, "store"),
    comment="Current state of each store listing.",
)

listing_snapshots = sa.Table(
    "listing_snapshots",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("listing_id", Id, sa.ForeignKey("store_listings.id", ondelete="CASCADE"), nullable=False),
    sa.Column("snapshot_date", sa.Date(), nullable=False, comment="data interval date"),
    sa.Column("present", sa.Boolean(), nullable=False, comment="false: absent from the store response"),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("developer", sa.String(200), nullable=True),
    sa.Column("version", sa.String(50), nullable=True),
    sa.Column("version_released_at", sa.DateTime(), nullable=True),
    sa.Column("rating", sa.Float(), nullable=True),
    sa.Column("rating_count", sa.BigInteger(), nullable=True),
    sa.Column("downloads", sa.BigInteger(), nullable=True),
    *_provenance(),
    sa.UniqueConstraint("listing_id", "snapshot_date"),
    comment="Dated observation of a listing, one per listing and day.",
)

listing_events = sa.Table(
    "listing_events",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("listing_id", Id, sa.ForeignKey("store_listings.id", ondelete="CASCADE"), nullable=False),
    sa.Column("event_date", sa.Date(), nullable=False),
    sa.Column("event_type", sa.String(24), nullable=False),
    sa.Column("old_value", sa.String(500), nullable=True),
    sa.Column("new_value", sa.String(500), nullable=True),
    *_provenance(),
    sa.UniqueConstraint("listing_id", "event_date", "event_type"),
    _in(
        "event_type",
        ("delisted", "relisted", "version_changed", "name_changed", "developer_changed"),
        "event_type",
    ),
    comment="Delisting, relisting and change events derived from snapshots.",
)

DISCOVERY_MODES = ("developer", "search")

discovery_cursors = sa.Table(
    "discovery_cursors",
    metadata,
    sa.Column("source", sa.String(100), primary_key=True, comment="connection id"),
    sa.Column("mode", sa.String(16), primary_key=True, comment="developer / search"),
    sa.Column("position", sa.String(200), nullable=True, comment="last key done in the rolling order; null: start"),
    sa.Column("cycle", sa.Integer(), nullable=False, server_default="0", comment="completed passes over all keys"),
    sa.Column("run_date", sa.Date(), nullable=True, comment="day of the last run that moved it"),
    sa.Column("updated_at", sa.DateTime(), nullable=False),
    _in("mode", DISCOVERY_MODES, "mode"),
    comment="Where the rolling discovery of unregistered store listings stopped (resumed by the next run).",
)

listing_discoveries = sa.Table(
    "listing_discoveries",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("listing_id", Id, sa.ForeignKey("store_listings.id", ondelete="CASCADE"), nullable=False, unique=True),
    sa.Column("method", sa.String(16), nullable=False, comment="developer / search"),
    sa.Column("query", sa.String(300), nullable=False, comment="developer id or search term that found it"),
    sa.Column("sponsor_id", Id, sa.ForeignKey("sponsors.id"), nullable=True, index=True),
    sa.Column("score", sa.Float(), nullable=False, comment="match score 0..1"),
    sa.Column("reasons", sa.JSON(), nullable=False, comment="what matched: seller name, credit code, bundle prefix …"),
    sa.Column("discovered_on", sa.Date(), nullable=False),
    sa.Column("confirmed_on", sa.Date(), nullable=False, comment="last day discovery saw it again"),
    *_provenance(),
    _in("method", DISCOVERY_MODES, "method"),
    comment="How a store listing missing from the inventory was discovered and matched to a sponsor.",
)

filings = sa.Table(
    "filings",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("filing_kind", sa.String(10), nullable=False, comment="icp_app (MIIT) / gov_app (national record)"),
    sa.Column("service_licence", sa.String(60), nullable=False, comment="e.g. 粤ICP备2024012345号-2A"),
    sa.Column("main_licence", sa.String(60), nullable=True, comment="entity number, e.g. 粤ICP备2024012345号"),
    sa.Column("sponsor_name", sa.String(200), nullable=False),
    sa.Column("sponsor_nature", sa.String(20), nullable=True),
    sa.Column("sponsor_credit_code", sa.String(18), nullable=True, index=True),
    sa.Column("service_name", sa.String(200), nullable=False),
    sa.Column("service_type", sa.String(16), nullable=False, comment="app / mini_program / quick_app"),
    sa.Column("reviewed_at", sa.DateTime(), nullable=True),
    sa.Column("access_restricted", sa.Boolean(), nullable=False, server_default=sa.text("false")),
    sa.Column("status", sa.String(12), nullable=False, server_default="active"),
    sa.Column("cancelled_at", sa.DateTime(), nullable=True),
    sa.Column("app_id", Id, sa.ForeignKey("apps.id"), nullable=True, index=True),
    *_provenance(),
    *_stamps(),
    sa.UniqueConstraint("filing_kind", "service_licence"),
    _in("filing_kind", FILING_KINDS, "filing_kind"),
    _in("service_type", APP_KINDS, "service_type"),
    _in("status", ("active", "cancelled"), "status"),
    comment="ICP/APP filings (MIIT) and national gov-app filing records.",
)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_key", sa.String(40), nullable=False, unique=True),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("platform_account_id", sa.String(100), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("sponsor_id", Id, sa.ForeignKey("sponsors.id"), nullable=False, index=True),
    sa.Column("division_code", sa.String(6), nullable=False, index=True),
    sa.Column("has_interaction_channel", sa.Boolean(), nullable=True),
    sa.Column("has_complaint_channel", sa.Boolean(), nullable=True),
    sa.Column("verified_entity", sa.String(200), nullable=True, comment="verified entity (认证主体) declared"),
    sa.Column("opened_on", sa.Date(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),
    sa.Column("closed_on", sa.Date(), nullable=True, comment="day the status became closed (reports as of a period end)"),
    sa.Column("import_batch_id", Id, sa.ForeignKey("import_batches.id"), nullable=True),
    *_provenance(),
    *_stamps(),
    sa.UniqueConstraint("platform", "platform_account_id"),
    _in("platform", ACCOUNT_PLATFORMS, "platform"),
    _in("status", ENTITY_STATUSES, "status"),
    sa.Index("ix_accounts_sponsor_id_division_code", "sponsor_id", "division_code"),
    sa.Index("ix_accounts_name_account_key", "name", "account_key"),
    comment="Government official accounts (政务公众账号).",
)

account_activity = sa.Table(
    "account_activity",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("activity_date", sa.Date(), nullable=False),
    sa.Column("last_post_at", sa.DateTime(), nullable=True),
    sa.Column("posts_7d", sa.Integer(), nullable=False),
    sa.Column("posts_14d", sa.Integer(), nullable=False),
    sa.Column("posts_30d", sa.Integer(), nullable=False),
    sa.Column("followers", sa.BigInteger(), nullable=False),
    sa.Column("unanswered_messages", sa.Integer(), nullable=False),
    sa.Column("oldest_unanswered_days", sa.Integer(), nullable=True),
    sa.Column("interaction_channel", sa.Boolean(), nullable=False),
    *_provenance(),
    sa.UniqueConstraint("account_id", "activity_date"),
    comment="Dated activity of each account, one row per account and day.",
)

work_groups = sa.Table(
    "work_groups",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("group_key", sa.String(40), nullable=False, unique=True),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("sponsor_id", Id, sa.ForeignKey("sponsors.id"), nullable=False, index=True),
    sa.Column("division_code", sa.String(6), nullable=False, index=True),
    sa.Column("purpose", sa.String(500), nullable=True),
    sa.Column("is_temporary", sa.Boolean(), nullable=False),
    sa.Column("task_ends_on", sa.Date(), nullable=True),
    sa.Column("member_count", sa.Integer(), nullable=True),
    sa.Column("opened_on", sa.Date(), nullable=True),
    sa.Column("closed_on", sa.Date(), nullable=True),
    sa.Column("owner_name", sa.String(100), nullable=True, comment="group owner (群主) declared"),
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),
    sa.Column("import_batch_id", Id, sa.ForeignKey("import_batches.id"), nullable=True),
    *_provenance(),
    *_stamps(),
    _in("platform", GROUP_PLATFORMS, "platform"),
    _in("status", ENTITY_STATUSES, "status"),
    sa.Index("ix_work_groups_sponsor_id_division_code", "sponsor_id", "division_code"),
    sa.Index("ix_work_groups_name_group_key", "name", "group_key"),
    comment="Work groups (工作群组).",
)

import_batches = sa.Table(
    "import_batches",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("file_name", sa.String(500), nullable=False),
    sa.Column("checksum", sa.String(64), nullable=False, unique=True, comment="SHA-256 of the file"),
    sa.Column("submitting_unit", sa.String(200), nullable=True),
    sa.Column("entity_type", sa.String(16), nullable=True, comment="app / account / work_group / sponsor"),
    sa.Column("received_at", sa.DateTime(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="staged"),
    sa.Column("row_count", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("good_rows", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("bad_rows", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("message", sa.Text(), nullable=True, comment="gate verdict or rejection reason"),
    sa.Column("report_path", sa.String(1000), nullable=True),
    *_stamps(),
    _in("status", ("staged", "validated", "promoted", "rejected"), "status"),
    comment="One row per inventory spreadsheet received (台账导入批次).",
)

quarantined_rows = sa.Table(
    "quarantined_rows",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("batch_id", Id, sa.ForeignKey("import_batches.id", ondelete="CASCADE"), nullable=False),
    sa.Column("sheet", sa.String(100), nullable=False, server_default="",
              comment="worksheet of the row ('' for CSV): rows are numbered per sheet"),
    sa.Column("row_number", sa.Integer(), nullable=False, comment="1-based row in the submitted file"),
    sa.Column("column_name", sa.String(100), nullable=True),
    sa.Column("expectation", sa.String(200), nullable=False),
    sa.Column("raw_value", sa.Text(), nullable=True, comment="stored verbatim, escaped on output"),
    sa.Column("reason_zh", sa.Text(), nullable=False),
    sa.Column("reason_en", sa.Text(), nullable=False),
    sa.Column("raw_row", sa.JSON(), nullable=True),
    sa.Column("created_at", sa.DateTime(), nullable=False, server_default=sa.func.current_timestamp()),
    sa.UniqueConstraint("batch_id", "sheet", "row_number", "column_name", "expectation"),
    comment="Rows that failed validation, with the reason per row and column.",
)

inventory_staging = sa.Table(
    "inventory_staging",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("batch_id", Id, sa.ForeignKey("import_batches.id", ondelete="CASCADE"), nullable=False),
    sa.Column("sheet", sa.String(100), nullable=False, server_default=""),
    sa.Column("row_number", sa.Integer(), nullable=False, comment="1-based row in the file or sheet"),
    sa.Column("entity_type", sa.String(16), nullable=False, comment="app / account / work_group"),
    sa.Column("data", sa.JSON(), nullable=False, comment="canonical field name → cell text"),
    sa.Column("raw", sa.JSON(), nullable=False, comment="original header → cell text, as submitted"),
    sa.Column("request_fingerprint", sa.String(64), nullable=False, comment="SHA-256 of the raw row"),
    sa.UniqueConstraint("batch_id", "sheet", "row_number"),
    _in("entity_type", ("app", "account", "work_group"), "entity_type"),
    comment="Parsed rows of an import batch awaiting validation (cells kept as text).",
)

inventory_history = sa.Table(
    "inventory_history",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("table_name", sa.String(40), nullable=False, comment="sponsors / apps / accounts / work_groups"),
    sa.Column("record_key", sa.String(200), nullable=False, comment="natural key of the changed record"),
    sa.Column("changes", sa.JSON(), nullable=False, comment="field → [old, new]; old null when created"),
    sa.Column("batch_id", Id, sa.ForeignKey("import_batches.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("changed_at", sa.DateTime(), nullable=False),
    sa.UniqueConstraint("batch_id", "table_name", "record_key"),
    comment="What each promoted import batch changed in the inventory (old → new per field).",
)

drift_findings = sa.Table(
    "drift_findings",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("check_date", sa.Date(), nullable=False, comment="day whose snapshot was checked"),
    sa.Column("source", sa.String(40), nullable=False, comment="listing_snapshots / account_activity / filings"),
    sa.Column("scope", sa.String(40), nullable=False, comment="store, or 'all'"),
    sa.Column("previous_date", sa.Date(), nullable=True),
    sa.Column("previous_count", sa.Integer(), nullable=False),
    sa.Column("current_count", sa.Integer(), nullable=False),
    sa.Column("drop_share", sa.Float(), nullable=False, comment="1 - current / previous"),
    sa.Column("detected_at", sa.DateTime(), nullable=False),
    sa.UniqueConstraint("check_date", "source", "scope"),
    comment="Ingested snapshots whose row count dropped sharply against the previous one.",
)

fetch_log = sa.Table(
    "fetch_log",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("source", sa.String(100), nullable=False, comment="connection id"),
    sa.Column("endpoint", sa.String(200), nullable=False),
    sa.Column("interval_date", sa.Date(), nullable=False, comment="data interval the request served"),
    sa.Column("request_fingerprint", sa.String(64), nullable=False),
    sa.Column("status", sa.String(8), nullable=False, comment="ok / failed"),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("item_count", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("failed_keys", sa.JSON(none_as_null=True), nullable=True,
              comment="ids the request was for, when it failed (SQL NULL otherwise)"),
    sa.Column("error", sa.Text(), nullable=True),
    sa.Column("fetched_at", sa.DateTime(), nullable=False),
    sa.UniqueConstraint("source", "interval_date", "request_fingerprint"),
    _in("status", ("ok", "failed"), "status"),
    comment="Every source request of every run: outcome, attempts and the ids a failure left behind.",
)

findings = sa.Table(
    "findings",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True, comment="stable: hash of rule id and target"),
    sa.Column("rule_id", sa.String(80), nullable=False, index=True),
    sa.Column("target_type", sa.String(16), nullable=False),
    sa.Column("target_key", sa.String(200), nullable=False),
    sa.Column("severity", sa.String(12), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, server_default="open"),
    sa.Column("title_zh", sa.String(300), nullable=False),
    sa.Column("basis", sa.String(300), nullable=False, comment="document and article"),
    sa.Column("article", sa.String(40), nullable=False, server_default="", index=True,
              comment="policy article key, e.g. opinions-7 (reports group by it)"),
    sa.Column("remediation_zh", sa.Text(), nullable=True),
    sa.Column("evidence", sa.JSON(), nullable=False),
    sa.Column("check_date", sa.Date(), nullable=True, comment="data date of the last evaluation that saw it"),
    sa.Column("division_code", sa.String(6), nullable=True, index=True),
    sa.Column("sponsor_id", Id, sa.ForeignKey("sponsors.id"), nullable=True, index=True),
    sa.Column("first_seen_at", sa.DateTime(), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(), nullable=False),
    sa.Column("acknowledged_by", sa.String(100), nullable=True),
    sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
    sa.Column("resolved_at", sa.DateTime(), nullable=True),
    sa.Column("reopened_count", sa.Integer(), nullable=False, server_default="0"),
    *_stamps(),
    sa.UniqueConstraint("rule_id", "target_type", "target_key"),
    _in("target_type", TARGET_TYPES, "target_type"),
    _in("state", FINDING_STATES, "state"),
    # the console: overview grouping and list sorts (migration 0010)
    sa.Index("ix_findings_state_article_rule_id", "state", "article", "rule_id"),
    sa.Index("ix_findings_last_seen_at_id", "last_seen_at", "id"),
    sa.Index("ix_findings_check_date_id", "check_date", "id"),
    sa.Index("ix_findings_severity_id", "severity", "id"),
    sa.Index("ix_findings_article_check_date", "article", "check_date"),
    sa.Index("ix_findings_rule_id_check_date", "rule_id", "check_date"),
    comment="What the rules flagged, with evidence and policy basis.",
)

waivers = sa.Table(
    "waivers",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("finding_id", sa.String(64), sa.ForeignKey("findings.id", ondelete="CASCADE"), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("approver", sa.String(100), nullable=False),
    sa.Column("granted_at", sa.DateTime(), nullable=False),
    sa.Column("expires_at", sa.DateTime(), nullable=False),
    sa.Column("revoked_at", sa.DateTime(), nullable=True),
    sa.Column("granted_by", sa.String(200), nullable=True, comment="user who recorded the waiver (null: not recorded)"),
    sa.Column("revoked_by", sa.String(200), nullable=True,
              comment="user who revoked it (null: not revoked or not recorded)"),
    sa.Index("ix_waivers_finding_id_expires_at", "finding_id", "expires_at"),
    comment="Time-limited exemptions of findings.",
)

shutdown_cases = sa.Table(
    "shutdown_cases",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("case_key", sa.String(64), nullable=False, unique=True),
    sa.Column("target_type", sa.String(16), nullable=False),
    sa.Column("target_key", sa.String(200), nullable=False),
    sa.Column("finding_id", sa.String(64), sa.ForeignKey("findings.id"), nullable=True),
    sa.Column("state", sa.String(20), nullable=False, server_default="proposed"),
    sa.Column("opened_by", sa.String(100), nullable=False),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("successor_kind", sa.String(16), nullable=True),
    sa.Column("successor_key", sa.String(200), nullable=True),
    sa.Column("announced_on", sa.Date(), nullable=True),
    sa.Column("stop_on", sa.Date(), nullable=True),
    sa.Column("disposal_due_on", sa.Date(), nullable=True),
    sa.Column("blocked_reason", sa.Text(), nullable=True),
    sa.Column("details", sa.JSON(), nullable=True),
    *_stamps(),
    _in("target_type", CASE_TARGET_TYPES, "target_type"),
    _in("state", CASE_STATES, "state"),
    sa.Index("ix_shutdown_cases_state_updated_at", "state", "updated_at"),
    comment="Shutdown (关停注销) cases.",
)

case_events = sa.Table(
    "case_events",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("case_id", Id, sa.ForeignKey("shutdown_cases.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("from_state", sa.String(20), nullable=True),
    sa.Column("to_state", sa.String(20), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("evidence", sa.JSON(), nullable=True),
    sa.Column("occurred_at", sa.DateTime(), nullable=False),
    comment="Every transition of a shutdown case: who, when, why.",
)

documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("doc_kind", sa.String(40), nullable=False, comment="announcement, disposal_checklist, report …"),
    sa.Column("doc_format", sa.String(10), nullable=False, comment="docx, pdf, xlsx, html, md, json"),
    sa.Column("case_id", Id, sa.ForeignKey("shutdown_cases.id"), nullable=True, index=True),
    sa.Column("audit_run_id", Id, sa.ForeignKey("audit_runs.id"), nullable=True, index=True),
    sa.Column("path", sa.String(1000), nullable=False, comment="ObjectStoragePath URL"),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size_bytes", sa.BigInteger(), nullable=False),
    sa.Column("created_at", sa.DateTime(), nullable=False, server_default=sa.func.current_timestamp()),
    sa.UniqueConstraint("path"),
    comment="Generated documents and where they are.",
)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("notification_key", sa.String(200), nullable=False, unique=True, comment="e.g. report id + recipient"),
    sa.Column("channel", sa.String(16), nullable=False, server_default="email"),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("subject", sa.String(500), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False, comment="report, audit, reminder, digest"),
    sa.Column("case_id", Id, sa.ForeignKey("shutdown_cases.id"), nullable=True),
    sa.Column("audit_run_id", Id, sa.ForeignKey("audit_runs.id"), nullable=True),
    sa.Column("status", sa.String(12), nullable=False, server_default="queued"),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("message_id", sa.String(300), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("payload", sa.JSON(), nullable=True,
              comment="what to send: text, html, attachments (paths), inline images; kept until sent"),
    sa.Column("not_before", sa.DateTime(), nullable=True, comment="do not send before (reminders)"),
    sa.Column("queued_at", sa.DateTime(), nullable=False),
    sa.Column("sent_at", sa.DateTime(), nullable=True),
    _in("status", ("queued", "sending", "sent", "failed"), "status"),
    comment="Ledger of every notification: exactly-once delivery per key.",
)

case_checks = sa.Table(
    "case_checks",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("case_id", Id, sa.ForeignKey("shutdown_cases.id", ondelete="CASCADE"), nullable=False),
    sa.Column("check_date", sa.Date(), nullable=False),
    sa.Column("channel", sa.String(60), nullable=False, comment="store:<store> / platform:<platform> / filing"),
    sa.Column("channel_key", sa.String(200), nullable=False, comment="store app id, account id or licence"),
    sa.Column("present", sa.Boolean(), nullable=False, comment="still listed / still filed"),
    sa.Column("request", sa.String(1000), nullable=True, comment="what was asked (URL or query)"),
    sa.Column("response_fingerprint", sa.String(64), nullable=True, comment="SHA-256 of the response"),
    sa.Column("checked_at", sa.DateTime(), nullable=False),
    sa.UniqueConstraint("case_id", "check_date", "channel", "channel_key"),
    comment="Delisting verification checks of shutdown cases, with their evidence.",
)

inspections = sa.Table(
    "inspections",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("check_date", sa.Date(), nullable=False),
    sa.Column("target_type", sa.String(16), nullable=False, comment="app / account"),
    sa.Column("target_key", sa.String(200), nullable=False),
    sa.Column("division_code", sa.String(6), nullable=False, index=True),
    sa.Column("province_code", sa.String(6), nullable=False),
    sa.Column("sponsor_id", Id, sa.ForeignKey("sponsors.id"), nullable=True, index=True),
    sa.Column("score", sa.Integer(), nullable=False, comment="governance assessment: start minus deductions"),
    sa.Column("passed", sa.Boolean(), nullable=False, comment="governance assessment outcome is passed"),
    sa.Column("vetoes", sa.JSON(), nullable=False, comment="governance assessment: veto rule ids hit"),
    sa.Column("deductions", sa.JSON(), nullable=False, comment="governance assessment: rule id -> points"),
    sa.Column("outcome", sa.String(8), nullable=False,
              comment="governance assessment: passed / failed / no_data (data missing: counted apart, never a pass)"),
    sa.Column("indicator_outcome", sa.String(8), nullable=True,
              comment="国办秘函〔2019〕19号 inspection (accounts): passed / failed / no_data; null: not applicable"),
    sa.Column("indicator_score", sa.Integer(), nullable=True, comment="19号 inspection: start minus deductions"),
    sa.Column("indicator_vetoes", sa.JSON(), nullable=True, comment="19号 inspection: single-veto rule ids hit"),
    sa.Column("indicator_deductions", sa.JSON(), nullable=True, comment="19号 inspection: rule id -> points"),
    sa.Column("risk_tier", sa.String(8), nullable=False, comment="high / medium / low (Art. 16)"),
    sa.Column("risk_factors", sa.JSON(), nullable=True),
    sa.UniqueConstraint("check_date", "target_type", "target_key"),
    _in("target_type", ("app", "account"), "target_type"),
    _in("risk_tier", ("high", "medium", "low"), "risk_tier"),
    _in("outcome", ("passed", "failed", "no_data"), "outcome"),
    sa.Index("ix_inspections_province_code_check_date_outcome", "province_code", "check_date", "outcome"),
    comment="Per check date: Fingertip's governance assessment of each app and account, and the "
            "国办秘函〔2019〕19号 inspection of each account.",
)

audit_runs = sa.Table(
    "audit_runs",
    metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("run_key", sa.String(250), nullable=False, unique=True, comment="dag id + run id"),
    sa.Column("kind", sa.String(20), nullable=False, comment="periodic, self_inspection, adhoc, detection"),
    sa.Column("period_start", sa.Date(), nullable=True),
    sa.Column("period_end", sa.Date(), nullable=True),
    sa.Column("params", sa.JSON(), nullable=True),
    sa.Column("sample_rate", sa.Float(), nullable=True),
    sa.Column("sample_seed", sa.BigInteger(), nullable=True),
    sa.Column("status", sa.String(12), nullable=False, server_default="running"),
    sa.Column("summary", sa.JSON(), nullable=True),
    sa.Column("started_at", sa.DateTime(), nullable=False),
    sa.Column("finished_at", sa.DateTime(), nullable=True),
    _in("status", ("running", "succeeded", "failed"), "status"),
    comment="Periodic reports, self-inspections, ad-hoc audits and detection runs.",
)

#: Tables in dependency order (parents first), for loaders and cleaners.
TABLES: tuple[sa.Table, ...] = tuple(metadata.sorted_tables)
