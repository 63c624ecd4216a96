"""Facts about each app, account, work group, sponsor and orphan listing, computed from the store.

Work is done one province at a time (division codes ``PP0000``–``PP9999``), so memory is bounded
by the largest province, not the country; near-duplicates are searched within divisions (and
platforms), which a province always contains whole. Every query uses bound parameters and the
indexes of the store (division codes, foreign keys, the per-day unique keys of activity and
snapshots). See :mod:`fingertip.rules.catalogue` for the meaning of each fact.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fingertip import config, reference
from fingertip.rules import similarity
from fingertip.store import ops, schema


@dataclass
class FactContext:
    """What fact computation needs besides the store: the check date and the policy settings.

    ``tz`` is the policy time zone (``config.timezone()``, Asia/Shanghai): every day count is taken
    between local calendar dates, never between the UTC dates the store keeps."""

    check_date: dt.date
    settings: Mapping[str, Any]
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(config.timezone()))
    level_rank: dict[str, int] = field(init=False)
    forced: dict[str, str] = field(init=False)
    phrases: list[tuple[re.Pattern, str]] = field(init=False)

    def __post_init__(self) -> None:
        det = self.settings["detection"]
        self.level_rank = {lv: i for i, lv in enumerate(det["levels"])}
        self.forced = dict(det["forced_features"])
        self.phrases = [(re.compile(p["pattern"]), p["feature"]) for p in det["forced_phrases"]]
        self.internal_scopes = set(det["internal_scopes"])
        self.filing_required_from: dict[str, dt.date] = dict(det.get("filing_required_from") or {})
        self.sensitive = set(det["sensitive_features"])
        self.trivial = {t.strip() for t in det["trivial_descriptions"]}
        self.min_desc = det["min_description_chars"]
        self.generic = tuple(det["generic_words"])
        self.sim = dict(det["similarity"])
        self.growth_window = det["rating_growth_window_days"]
        self.growth_min_days = det["rating_growth_min_days"]


def province_prefixes(conn: Connection) -> list[str]:
    """Two-digit province prefixes that hold any inventory record, in order."""
    out: set[str] = set()
    for table in (schema.apps, schema.accounts, schema.work_groups, schema.sponsors):
        q = sa.select(sa.func.substr(table.c.division_code, 1, 2)).distinct()
        out.update(p for p in conn.execute(q).scalars() if p)
    return sorted(out)


def _range(column, prefix: str):
    nxt = f"{int(prefix) + 1:02d}"
    return sa.and_(column >= prefix + "0000", column < nxt + "0000")


def _province(code: str | None) -> str | None:
    return code[:2] + "0000" if code else None


def local_date(when: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The calendar date in ``tz`` of a store timestamp (naive UTC; an aware one is converted)."""
    aware = when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
    return aware.astimezone(tz).date()


def _days(check: dt.date, when: dt.datetime | dt.date | None, tz: ZoneInfo) -> int | None:
    """Whole days from ``when`` to the check date, both as calendar dates in the policy time zone."""
    if when is None:
        return None
    day = local_date(when, tz) if isinstance(when, dt.datetime) else when
    return (check - day).days


def _sponsor_common(row: Mapping, ctx: FactContext) -> dict[str, Any]:
    return {
        "division_code": row["division_code"],
        "province_code": _province(row["division_code"]),
        "sponsor_id": row["sponsor_id"],
        "sponsor_name": row["sponsor_name"],
        "sponsor_credit_code": row["sponsor_credit_code"],
        "sponsor_level": row["sponsor_level"],
        "sponsor_level_rank": ctx.level_rank.get(row["sponsor_level"]),
        "status": row["status"],
    }


def _sponsor_columns():
    return (schema.sponsors.c.name.label("sponsor_name"), schema.sponsors.c.credit_code.label("sponsor_credit_code"),
            schema.sponsors.c.level.label("sponsor_level"))


# -- accounts ----------------------------------------------------------------------------------

def account_facts(conn: Connection, ctx: FactContext, prefix: str) -> list[dict[str, Any]]:
    a, act = schema.accounts, schema.account_activity
    x = act.alias("x")
    latest = (sa.select(sa.func.max(x.c.activity_date))
              .where(x.c.account_id == a.c.id, x.c.activity_date <= ctx.check_date)
              .scalar_subquery())
    q = (
        sa.select(
            a.c.id, a.c.account_key, a.c.name, a.c.platform, a.c.division_code, a.c.sponsor_id, a.c.status,
            a.c.has_interaction_channel, a.c.has_complaint_channel, *_sponsor_columns(),
            act.c.activity_date, act.c.last_post_at, act.c.posts_7d, act.c.posts_14d, act.c.posts_30d,
            act.c.followers, act.c.unanswered_messages, act.c.oldest_unanswered_days,
            act.c.interaction_channel,
        )
        .select_from(a.join(schema.sponsors, schema.sponsors.c.id == a.c.sponsor_id)
                     .outerjoin(act, sa.and_(act.c.account_id == a.c.id, act.c.activity_date == latest)))
        .where(_range(a.c.division_code, prefix), a.c.status != "closed")
        .order_by(a.c.division_code, a.c.id)
    )
    out = []
    for row in conn.execute(q).mappings():
        has = row["activity_date"] is not None
        f = {
            "key": row["account_key"], "name": row["name"], "platform": row["platform"],
            **_sponsor_common(row, ctx),
            "has_activity_data": has,
            "activity_date": row["activity_date"],
            "last_post_at": row["last_post_at"],
            "days_since_last_post": _days(ctx.check_date, row["last_post_at"], ctx.tz),
            "never_posted": (row["last_post_at"] is None) if has else None,
            "posts_7d": row["posts_7d"], "posts_14d": row["posts_14d"], "posts_30d": row["posts_30d"],
            "followers": row["followers"],
            "unanswered_messages": row["unanswered_messages"],
            "oldest_unanswered_days": row["oldest_unanswered_days"],
            "interaction_channel_declared": row["has_interaction_channel"],
            "interaction_channel_observed": row["interaction_channel"] if has else None,
            "has_complaint_channel": row["has_complaint_channel"],
        }
        out.append(f)
    _account_duplicates(out, ctx)
    return out


def _account_duplicates(items: list[dict], ctx: FactContext) -> None:
    by_unit: dict[tuple, list[dict]] = defaultdict(list)
    blocks: dict[tuple, list[dict]] = defaultdict(list)
    for f in items:
        by_unit[(f["sponsor_id"], f["platform"])].append(f)
        blocks[(_block(f), f["platform"])].append(f)
    for group in by_unit.values():
        keys = [g["key"] for g in group]
        for g in group:
            g["same_platform_unit_accounts"] = len(group)
            g["same_platform_unit_keys"] = [k for k in keys if k != g["key"]]
    _near(blocks, ctx, group_of=lambda f: f["sponsor_id"])


def _block(f: Mapping[str, Any]) -> str:
    """Near-duplicates are looked for within a region: central units form their own region
    (a ministry and the Beijing bureau share a division code but not a jurisdiction)."""
    return "central:" + f["division_code"] if f.get("sponsor_level") == "central" else f["division_code"]


#: Near-duplicate matches kept in the evidence of one record (the best by score).
EVIDENCE_MATCHES = 5


def _package_related(a: str | None, b: str | None) -> bool | None:
    """One package extends the other (a clone: ``cn.gov.x.app`` and ``cn.gov.x.app.v2``)."""
    if not a or not b:
        return None
    return a.startswith(b) or b.startswith(a)


def _overlap(a, b) -> float | None:
    if not a or not b:
        return None
    sa_, sb = set(a), set(b)
    return round(len(sa_ & sb) / len(sa_ | sb), 3)


def _score(name_similarity: float, package_related: bool | None) -> float:
    """Apps: equal name cores are near-duplicates outright; a merely similar name counts when the
    package is a clone of the other's (weights 0.6 name, 0.4 package)."""
    if name_similarity >= 1.0:
        return 1.0
    return round(0.6 * name_similarity + 0.4 * (1.0 if package_related else 0.0), 3)


def _near(blocks: Mapping[tuple, list[dict]], ctx: FactContext, group_of=None) -> None:
    sim = ctx.sim
    for (block, *_rest), members in blocks.items():
        division = block.split(":")[-1]
        for m in members:
            m["near_duplicates"] = []
            m["near_duplicate_count"] = 0
            m["near_duplicate_best"] = None
            if "package_name" in m:
                m["near_duplicate_score"] = None
        if len(members) < 2:
            continue
        cores = [similarity.name_core(m["name"], division, ctx.generic) for m in members]
        matches = similarity.near_duplicates(
            cores, shingle=sim["shingle"], min_similarity=sim["candidate_min"],
            groups=[group_of(m) for m in members] if group_of else None,
        )
        apps = "package_name" in members[0]
        for i, found in matches.items():
            m = members[i]
            scored = []
            for x in found:
                o = members[x.other]
                related = _package_related(m.get("package_name"), o.get("package_name")) if apps else None
                scored.append((_score(x.similarity, related) if apps else x.similarity, x, related))
            scored.sort(key=lambda t: (-t[0], -t[1].similarity, members[t[1].other]["key"]))
            dups = []
            for score, x, related in scored[:EVIDENCE_MATCHES]:  # evidence keeps the best few
                o = members[x.other]
                d = {"key": o["key"], "name": o["name"], "similarity": x.similarity, "core": cores[x.other],
                     "sponsor": o.get("sponsor_name")}
                if apps:
                    d.update(package_related=related, score=score,
                             feature_overlap=_overlap(m.get("declared_features"), o.get("declared_features")))
                dups.append(d)
            m["near_duplicates"] = dups
            m["near_duplicate_count"] = len(found)
            m["near_duplicate_best"] = max(x.similarity for x in found)
            if apps:
                m["near_duplicate_score"] = scored[0][0]


# -- apps --------------------------------------------------------------------------------------

def unlinked_filings(conn: Connection) -> dict[tuple[str, str], list[dict]]:
    """Filings not linked to an inventory app, by (service name, service type)."""
    f = schema.filings
    q = sa.select(f.c.service_licence, f.c.service_name, f.c.service_type, f.c.sponsor_name, f.c.sponsor_credit_code,
                  f.c.status, f.c.access_restricted, f.c.cancelled_at, f.c.filing_kind,
                  f.c.reviewed_at).where(f.c.app_id.is_(None))
    out: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in conn.execute(q).mappings():
        out[(row["service_name"], row["service_type"])].append(dict(row))
    return out


def app_facts(conn: Connection, ctx: FactContext, prefix: str,
              orphan_filings: Mapping[tuple[str, str], list[dict]]) -> list[dict[str, Any]]:
    in_prov = _range(schema.apps.c.division_code, prefix)
    apps, descriptions = _app_rows(conn, ctx, in_prov)
    if not apps:
        return []
    _add_listings(conn, apps, descriptions, in_prov)
    _add_rating_growth(conn, ctx, apps, in_prov)

    # filings linked to the apps; unlinked ones matched by name, kind and province
    f, a = schema.filings, schema.apps
    fq = (sa.select(f.c.app_id, f.c.service_licence, f.c.sponsor_name, f.c.sponsor_credit_code, f.c.status,
                    f.c.access_restricted, f.c.cancelled_at, f.c.filing_kind, f.c.reviewed_at)
          .select_from(f.join(a, a.c.id == f.c.app_id)).where(in_prov))
    linked: dict[int, list[dict]] = defaultdict(list)
    for row in conn.execute(fq).mappings():
        linked[row["app_id"]].append(dict(row))
    abbr = reference.province_abbreviation(prefix + "0000")
    for app_id, app in apps.items():
        rows = linked.get(app_id) or [
            r for r in orphan_filings.get((app["name"], app["kind"]), ())
            if abbr and r["service_licence"].startswith(abbr)
        ]
        _filing_facts(app, rows, ctx)
        rel = app["latest_version_released_at"]
        app["days_since_version"] = _days(ctx.check_date, rel, ctx.tz)
        app["all_listings_delisted"] = app["listing_count"] > 0 and app["listings_available"] == 0
        _description_facts(app, descriptions[app_id], ctx)
    items = list(apps.values())
    blocks: dict[tuple, list[dict]] = defaultdict(list)
    for app in items:
        blocks[(_block(app),)].append(app)
    _near(blocks, ctx)
    return items


def _app_rows(conn: Connection, ctx: FactContext,
              in_prov: sa.ColumnElement[bool]) -> tuple[dict[int, dict], dict[int, list[str]]]:
    """Open apps in the province with their own facts (listing and filing facts zeroed), and each
    app's descriptions (the inventory's first), both by app id."""
    a = schema.apps
    q = (
        sa.select(a.c.id, a.c.app_key, a.c.name, a.c.kind, a.c.host_platform, a.c.package_name, a.c.division_code,
                  a.c.sponsor_id,
                  a.c.status, a.c.user_scale, a.c.launched_on, a.c.has_complaint_channel, a.c.declared_features,
                  a.c.approved_features, a.c.description, a.c.monthly_active_users, a.c.gov_filing_number,
                  a.c.security_level, *_sponsor_columns())
        .select_from(a.join(schema.sponsors, schema.sponsors.c.id == a.c.sponsor_id))
        .where(in_prov, a.c.status != "closed")
        .order_by(a.c.division_code, a.c.id)
    )
    apps: dict[int, dict] = {}
    descriptions: dict[int, list[str]] = {}
    for row in conn.execute(q).mappings():
        declared = list(row["declared_features"] or [])
        approved = _approved_features(row["approved_features"] or [])
        forced = [c for c in declared if c in ctx.forced]
        apps[row["id"]] = {
            "key": row["app_key"], "name": row["name"], "kind": row["kind"], "host_platform": row["host_platform"],
            "package_name": row["package_name"], **_sponsor_common(row, ctx),
            "user_scale": row["user_scale"], "launched_on": row["launched_on"],
            "monthly_active_users": row["monthly_active_users"], "gov_filing_number": row["gov_filing_number"],
            "security_level": row["security_level"],
            "approvals": list(approved.values()),
            "has_complaint_channel": row["has_complaint_channel"],
            "declared_features": declared,
            "forced_features_unapproved": [c for c in forced if c not in approved],
            # an approval whose scope is not stated is no proof of "仅供内部掌握" (missing data is not a pass)
            "forced_features_exposed": [
                c for c in forced if c in approved and approved[c].get("scope") not in ctx.internal_scopes
            ],
            "sensitive_feature_count": sum(1 for c in declared if c in ctx.sensitive),
            "listing_count": 0, "listings_available": 0, "stores_listed": [], "stores_delisted": [],
            "delisted_since": None, "days_since_version": None, "latest_version_released_at": None,
            "rating_count_total": None, "rating_count_max": None, "rating_count_growth": None,
            "downloads_total": None, "downloads_max": None,
            "filing_count": 0, "active_filing_count": 0, "filings": [], "filing_holder_mismatch": [],
            "filing_access_restricted": [], "filing_cancelled": [],
        }
        descriptions[row["id"]] = [row["description"] or ""]
    return apps, descriptions


def _approved_features(approvals: Any) -> dict[str, Mapping]:
    """Feature → approval entry (a mapping with 'feature', or a bare feature name)."""
    approved: dict[str, Mapping] = {}
    for item in approvals if isinstance(approvals, list) else []:
        if isinstance(item, Mapping) and item.get("feature"):
            approved[item["feature"]] = item
        elif isinstance(item, str):
            approved[item] = {"feature": item}
    return approved


def _add_listings(conn: Connection, apps: dict[int, dict], descriptions: dict[int, list[str]],
                  in_prov: sa.ColumnElement[bool]) -> None:
    """Listings and their current state: counts, stores, delisting, versions, ratings, downloads."""
    a, listings = schema.apps, schema.store_listings
    lq = (sa.select(listings.c.id, listings.c.app_id, listings.c.store, listings.c.available,
                    listings.c.version_released_at, listings.c.rating_count, listings.c.downloads,
                    listings.c.description, listings.c.delisted_at)
          .select_from(listings.join(a, a.c.id == listings.c.app_id)).where(in_prov))
    for row in conn.execute(lq).mappings():
        app = apps.get(row["app_id"])
        if app is None:
            continue
        _add_listing(app, row)
        if row["description"]:
            descriptions[row["app_id"]].append(row["description"])


def _add_listing(app: dict, row: Mapping) -> None:
    app["listing_count"] += 1
    if row["available"]:
        app["listings_available"] += 1
        app["stores_listed"].append(row["store"])
    else:
        app["stores_delisted"].append(row["store"])
        if row["delisted_at"] and (app["delisted_since"] is None or row["delisted_at"] < app["delisted_since"]):
            app["delisted_since"] = row["delisted_at"]
    rel = row["version_released_at"]
    if rel is not None and (app["latest_version_released_at"] is None or rel > app["latest_version_released_at"]):
        app["latest_version_released_at"] = rel
    if row["rating_count"] is not None:
        app["rating_count_total"] = (app["rating_count_total"] or 0) + row["rating_count"]
        app["rating_count_max"] = max(app["rating_count_max"] or 0, row["rating_count"])
    if row["downloads"] is not None:
        app["downloads_total"] = (app["downloads_total"] or 0) + row["downloads"]
        app["downloads_max"] = max(app["downloads_max"] or 0, row["downloads"])


def _add_rating_growth(conn: Connection, ctx: FactContext, apps: dict[int, dict],
                       in_prov: sa.ColumnElement[bool]) -> None:
    """Rating-count growth over the snapshot window (only with enough history)."""
    a, listings, snap = schema.apps, schema.store_listings, schema.listing_snapshots
    start = ctx.check_date - dt.timedelta(days=ctx.growth_window)
    w = (sa.select(snap.c.listing_id, sa.func.min(snap.c.snapshot_date).label("d0"),
                   sa.func.max(snap.c.snapshot_date).label("d1"))
         .select_from(snap.join(listings, listings.c.id == snap.c.listing_id).join(a, a.c.id == listings.c.app_id))
         .where(in_prov, snap.c.present.is_(True), snap.c.snapshot_date >= start,
                snap.c.snapshot_date <= ctx.check_date)
         .group_by(snap.c.listing_id).subquery("w"))
    s0, s1 = snap.alias("s0"), snap.alias("s1")
    gq = (sa.select(listings.c.app_id, w.c.d0, w.c.d1, s0.c.rating_count.label("r0"), s1.c.rating_count.label("r1"))
          .select_from(w.join(s0, sa.and_(s0.c.listing_id == w.c.listing_id, s0.c.snapshot_date == w.c.d0))
                       .join(s1, sa.and_(s1.c.listing_id == w.c.listing_id, s1.c.snapshot_date == w.c.d1))
                       .join(listings, listings.c.id == w.c.listing_id)))
    for row in conn.execute(gq).mappings():
        app = apps.get(row["app_id"])
        if app is None or (row["d1"] - row["d0"]).days < ctx.growth_min_days:
            continue
        if row["r0"] is None or row["r1"] is None:
            continue
        app["rating_count_growth"] = (app["rating_count_growth"] or 0) + max(0, row["r1"] - row["r0"])


def _description_facts(app: dict, descriptions: Sequence[str], ctx: FactContext) -> None:
    """Length and triviality of the longest description; forced-feature phrases found in any."""
    texts = [t.strip() for t in descriptions if t and t.strip()]
    longest = max(texts, key=len) if texts else ""
    app["description_length"] = len(longest)
    app["description_trivial"] = (not longest or longest in ctx.trivial or longest == app["name"]
                                  or len(longest) < ctx.min_desc)
    found = []
    for pattern, feature in ctx.phrases:
        for text in texts:
            m = pattern.search(text)
            if m:
                found.append({"feature": feature, "feature_zh": ctx.forced[feature], "phrase": m.group(0)})
                break
    app["forced_phrases_found"] = found


def _filing_facts(app: dict, rows: Sequence[Mapping], ctx: FactContext) -> None:
    """MIIT ICP/APP filings (``filing_*``) and the national gov-app filing (``gov_filing_*``) kept apart."""
    gov = [r for r in rows if r.get("filing_kind") == "gov_app"]
    rows = [r for r in rows if r.get("filing_kind") != "gov_app"]
    app["gov_filing_count"] = len(gov)
    app["gov_filings"] = [r["service_licence"] for r in gov]
    app["gov_filed"] = bool(gov) or bool(app.get("gov_filing_number"))
    launched = app.get("launched_on")
    for kind, items in (("icp", rows), ("gov", gov)):
        reviewed = [local_date(r["reviewed_at"], ctx.tz) for r in items if r.get("reviewed_at") is not None]
        first = min(reviewed) if reviewed else None
        app[f"{kind}_first_filed_on"] = first
        regime = ctx.filing_required_from.get("icp_app" if kind == "icp" else "gov_app")
        # only apps launched once filing before launch was required; unknown dates decide nothing
        after = None
        if launched is not None and first is not None and regime is not None and launched >= regime:
            after = first > launched
        app[f"{kind}_filed_after_launch"] = after
    app["filing_count"] = len(rows)
    for r in rows:
        lic = r["service_licence"]
        app["filings"].append(lic)
        if r["status"] != "cancelled":
            app["active_filing_count"] += 1
        else:
            app["filing_cancelled"].append({"licence": lic, "cancelled_at": r["cancelled_at"]})
        if r["access_restricted"]:
            app["filing_access_restricted"].append(lic)
        code = r["sponsor_credit_code"]
        mismatch = (code != app["sponsor_credit_code"]) if code else (r["sponsor_name"] != app["sponsor_name"])
        if mismatch:
            app["filing_holder_mismatch"].append(
                {"licence": lic, "holder": r["sponsor_name"], "holder_credit_code": code})


# -- work groups, sponsors, orphan listings ----------------------------------------------------

def group_facts(conn: Connection, ctx: FactContext, prefix: str) -> list[dict[str, Any]]:
    g = schema.work_groups
    q = (sa.select(g.c.group_key, g.c.name, g.c.platform, g.c.division_code, g.c.sponsor_id, g.c.status,
                   g.c.is_temporary, g.c.task_ends_on, g.c.closed_on, g.c.member_count, *_sponsor_columns())
         .select_from(g.join(schema.sponsors, schema.sponsors.c.id == g.c.sponsor_id))
         .where(_range(g.c.division_code, prefix), g.c.status != "closed")
         .order_by(g.c.division_code, g.c.id))
    out = []
    for row in conn.execute(q).mappings():
        out.append({
            "key": row["group_key"], "name": row["name"], "platform": row["platform"], **_sponsor_common(row, ctx),
            "is_temporary": row["is_temporary"], "task_ends_on": row["task_ends_on"],
            "days_past_task_end": _days(ctx.check_date, row["task_ends_on"], ctx.tz),
            "closed": row["closed_on"] is not None or row["status"] == "closed",
            "member_count": row["member_count"],
        })
    return out


def sponsor_facts(conn: Connection, ctx: FactContext, prefix: str) -> list[dict[str, Any]]:
    sp = schema.sponsors
    counts: dict[int, dict[str, Any]] = defaultdict(lambda: {"apps_by_kind": {}, "account_count": 0,
                                                             "group_count": 0})
    aq = (sa.select(schema.apps.c.sponsor_id, schema.apps.c.kind, sa.func.count())
          .where(_range(schema.apps.c.division_code, prefix), schema.apps.c.status == "active")
          .group_by(schema.apps.c.sponsor_id, schema.apps.c.kind))
    for sid, kind, n in conn.execute(aq):
        counts[sid]["apps_by_kind"][kind] = n
    for table, name in ((schema.accounts, "account_count"), (schema.work_groups, "group_count")):
        q = (sa.select(table.c.sponsor_id, sa.func.count()).where(_range(table.c.division_code, prefix),
                                                                  table.c.status == "active")
             .group_by(table.c.sponsor_id))
        for sid, n in conn.execute(q):
            counts[sid][name] = n
    if not counts:
        return []
    out = []
    q = sa.select(sp.c.id, sp.c.credit_code, sp.c.name, sp.c.division_code, sp.c.level).where(
        _range(sp.c.division_code, prefix))
    for row in conn.execute(q).mappings():
        c = counts.get(row["id"])
        if c is None:
            continue
        out.append({
            "key": row["credit_code"], "name": row["name"], "division_code": row["division_code"],
            "province_code": _province(row["division_code"]), "sponsor_id": row["id"],
            "sponsor_level": row["level"], "sponsor_level_rank": ctx.level_rank.get(row["level"]),
            "app_count": sum(c["apps_by_kind"].values()), "apps_by_kind": c["apps_by_kind"],
            "account_count": c["account_count"], "group_count": c["group_count"],
        })
    return out


def listing_facts(conn: Connection, ctx: FactContext) -> list[dict[str, Any]]:
    """Store listings matching no inventory app, with the sponsor whose name is the developer."""
    sl = schema.store_listings
    rows = [dict(r) for r in conn.execute(
        sa.select(sl.c.id, sl.c.store, sl.c.store_app_id, sl.c.name, sl.c.developer, sl.c.available,
                  sl.c.last_seen_at)
        .where(sl.c.app_id.is_(None)).order_by(sl.c.store, sl.c.store_app_id)).mappings()]
    names = sorted({r["developer"] for r in rows if r["developer"]})
    sponsors: dict[str, Mapping] = {}
    for chunk in ops.chunks(names, 500):
        q = sa.select(schema.sponsors.c.id, schema.sponsors.c.name, schema.sponsors.c.credit_code, schema.sponsors.c.division_code).where(
            schema.sponsors.c.name.in_(list(chunk)))
        for found in conn.execute(q).mappings():
            sponsors[found["name"]] = found
    discovered = _discoveries(conn)
    out = []
    for r in rows:
        disc = discovered.get(r["id"])
        sp: Mapping | None = disc["sponsor"] if disc else sponsors.get(r["developer"] or "")
        out.append({
            "key": f"{r['store']}:{r['store_app_id']}", "name": r["name"], "store": r["store"],
            "store_app_id": r["store_app_id"], "developer": r["developer"], "available": r["available"],
            "in_inventory": False, "discovery": disc["evidence"] if disc else None,
            "matched_sponsor": {"credit_code": sp["credit_code"], "name": sp["name"]} if sp else None,
            "division_code": sp["division_code"] if sp else None,
            "province_code": _province(sp["division_code"]) if sp else None,
            "sponsor_id": sp["id"] if sp else None,
        })
    return out


def _discoveries(conn: Connection) -> dict[int, dict[str, Any]]:
    """Listing id → how discovery found it (method, query, score, reasons, dates) and its sponsor."""
    d, sp = schema.listing_discoveries, schema.sponsors
    q = (sa.select(d.c.listing_id, d.c.method, d.c.query, d.c.score, d.c.reasons, d.c.discovered_on, d.c.confirmed_on,
                   sp.c.id, sp.c.name, sp.c.credit_code, sp.c.division_code)
         .join(sp, sp.c.id == d.c.sponsor_id))
    out: dict[int, dict[str, Any]] = {}
    for r in conn.execute(q).mappings():
        out[r["listing_id"]] = {
            "sponsor": {"id": r["id"], "name": r["name"], "credit_code": r["credit_code"],
                        "division_code": r["division_code"]},
            "evidence": {"method": r["method"], "query": r["query"], "score": r["score"], "reasons": r["reasons"],
                         "discovered_on": r["discovered_on"].isoformat(),
                         "confirmed_on": r["confirmed_on"].isoformat()}}
    return out


def count_by(items: Sequence[Mapping], key: str) -> Counter:
    return Counter(i.get(key) for i in items)
