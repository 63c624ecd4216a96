"""Deterministic, streaming generator of a national sample population with planted truths.

The population is generated division by division (central units first, then each province, its
prefectures and counties in code order) and sponsor by sponsor; rows go straight to a *sink*
(:class:`fingertip.store.bulk.BulkLoader` or anything with ``add_encoded`` / ``extend_encoded``),
so memory does not grow with the number of entities. Everything derives from
``random.Random(seed)`` and ``as_of``: the same ``(entities, seed, as_of)`` gives byte-identical
ground truth and identical table contents.

Outputs besides the rows (under ``out_dir``):

* ``ground_truth.jsonl`` — one line per entity (``entity_type``, ``key``, ``labels``; an empty list
  means planted-clean), then one line per planted invalid inventory row;
* ``ground_truth_summary.json`` — counts per label, the inventory files, label definitions;
* ``inventory/`` — inventory spreadsheets (台账) as units submit them (see :mod:`.inventory`).

Label definitions are in :data:`LABEL_DEFINITIONS`. Pairs (duplicates, near-duplicates) carry the
label on both members and name each other in ``details.pair``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fingertip import reference
from fingertip.identifiers import make_credit_code, make_filing_number
from fingertip.store import schema
from fingertip_dev.sample import names
from fingertip_dev.sample.inventory import InventoryWriter

SOURCE_PREFIX = "sample-generator:"

APP_LABELS = (
    "zombie_app", "shell_app", "delisted_app", "near_duplicate_app", "forced_feature",
    "forced_feature_in_description", "missing_filing", "filing_holder_mismatch", "filing_access_restricted",
    "filing_cancelled_still_listed", "listed_not_in_inventory", "no_complaint_channel", "below_county_sponsor",
)
ACCOUNT_LABELS = (
    "stale_14d", "stale_60d", "zombie_account", "no_interaction_channel", "unanswered_90d",
    "duplicate_account_platform", "near_duplicate_account",
)
GROUP_LABELS = ("temporary_group_open",)
INVENTORY_LABEL = "invalid_inventory_row"
ALL_LABELS = APP_LABELS + ACCOUNT_LABELS + GROUP_LABELS + (INVENTORY_LABEL,)

LABEL_DEFINITIONS = {
    "stale_14d": "account: last post 15-59 days before as_of (no post in the 14 days before the check)",
    "stale_60d": "account: last post 60-364 days before as_of",
    "zombie_account": "account: last post >= 365 days before as_of with < 50 followers, or never posted and 0 followers",
    "no_interaction_channel": "account: has_interaction_channel false and interaction_channel false every day",
    "unanswered_90d": "account: oldest_unanswered_days 91-400 on as_of, more than 90 days (unanswered_messages > 0)",
    "duplicate_account_platform": "account: the unit has another account on the same platform (both labelled)",
    "near_duplicate_account": "account: same platform and division as another unit's account, equal name_core (both labelled)",
    "zombie_app": "app: every listing's version released >= 400 days before as_of, <= 30 ratings, <= 2000 downloads, "
                  "the same rating count in a snapshot 60 days before as_of",
    "shell_app": "app: listed with recent version but <= 300 downloads, <= 2 ratings, trivial description, <= 200 users",
    "delisted_app": "app: every listing available=false, consecutive_absences >= 2, delisted_at set, snapshot present=false",
    "near_duplicate_app": "app: same division as another app, equal name_core, package differs by a suffix (both labelled)",
    "forced_feature": "app: declared_features has a forced-use feature (FORCED_FEATURES) without approved_features",
    "forced_feature_in_description": "app: app and store descriptions mention a forced-use practice (FORCED_PHRASES)",
    "missing_filing": "app: no filing row",
    "filing_holder_mismatch": "app: the filing is held by a company (nature 企业), not the sponsor (name and credit code differ)",
    "filing_access_restricted": "app: the filing has access_restricted=true",
    "filing_cancelled_still_listed": "app: filing status cancelled (cancelled_at set) while its listings are available",
    "listed_not_in_inventory": "listing: store listing with app_id NULL (key store:store_app_id)",
    "no_complaint_channel": "app: has_complaint_channel false",
    "below_county_sponsor": "app: sponsor level township",
    "temporary_group_open": "work group: is_temporary, task_ends_on before as_of, status active, closed_on null",
    "invalid_inventory_row": "inventory row planted invalid (file, row, column, kind in the line)",
}

#: Entity mix (apps, accounts, groups) and app kinds.
APP_SHARE, ACCOUNT_SHARE = 0.255, 0.55
APP_KIND_WEIGHTS = (("app", 0.40), ("mini_program", 0.50), ("quick_app", 0.10))
#: Sponsor level shares and entity weights.
LEVEL_SHARES = (("central", 0.003), ("provincial", 0.08), ("prefectural", 0.24), ("county", 0.617), ("township", 0.06))
LEVEL_WEIGHT = {"central": 2.0, "provincial": 1.6, "prefectural": 1.3, "county": 1.0, "township": 0.6}
ENTITIES_PER_SPONSOR = 8
CLUSTER = 3  # at small N, sponsors concentrate in fewer divisions (>= 3 per active division)

ACCOUNT_PLATFORM_WEIGHTS = (("wechat", 30), ("weibo", 20), ("douyin", 18), ("toutiao", 10), ("kuaishou", 6),
                            ("bilibili", 4), ("wechat_channels", 8), ("xiaohongshu", 4))
GROUP_PLATFORM_WEIGHTS = (("wechat", 45), ("wecom", 15), ("dingtalk", 25), ("qq", 5), ("zhengwuwei", 10))
HOST_WEIGHTS = (("wechat", 70), ("alipay", 20), ("baidu", 5), ("douyin", 5))
ANDROID_STORES = tuple(s for s in schema.STORES if s != "apple")  # one list: fingertip.store.schema.STORES

#: Labels that need a native app with store listings.
_NATIVE_LABELS = frozenset({"zombie_app", "shell_app", "delisted_app", "filing_cancelled_still_listed",
                            "forced_feature_in_description", "listed_not_in_inventory"})
_FILING_START = dt.date(2023, 9, 1)  # MIIT APP filing began in September 2023
#: First day each kind of service could exist (mini-programs 2017, quick apps 2018, platforms).
_KIND_START = {"app": dt.date(2010, 1, 1), "mini_program": dt.date(2017, 1, 9), "quick_app": dt.date(2018, 3, 20)}
_PLATFORM_START = {
    "wechat": dt.date(2012, 8, 23), "weibo": dt.date(2010, 1, 1), "douyin": dt.date(2016, 9, 20),
    "toutiao": dt.date(2013, 1, 1), "kuaishou": dt.date(2013, 7, 1), "bilibili": dt.date(2010, 1, 1),
    "wechat_channels": dt.date(2020, 1, 22), "xiaohongshu": dt.date(2013, 6, 1),
}
_WINDOW = 30
_HISTORY = 59  # days of posting history behind the 30-day activity window

COLUMNS = {
    "sponsors": ("id", "credit_code", "name", "division_code", "level", "nature", "parent_id", "contact_name",
                 "contact_phone", "contact_email", "source", "fetched_at", "request_fingerprint", "created_at",
                 "updated_at"),
    "apps": ("id", "app_key", "name", "kind", "sponsor_id", "division_code", "host_platform", "package_name",
             "bundle_id", "apple_track_id", "mini_program_id", "description", "declared_features",
             "approved_features", "has_complaint_channel", "user_scale", "monthly_active_users", "gov_filing_number",
             "security_level", "launched_on", "status", "closed_on", "import_batch_id",
             "source", "fetched_at", "request_fingerprint", "created_at", "updated_at"),
    "store_listings": ("id", "store", "store_app_id", "app_id", "name", "developer", "developer_id", "version",
                       "version_released_at", "first_released_at", "rating", "rating_count", "downloads",
                       "description", "available", "consecutive_absences", "first_seen_at", "last_seen_at",
                       "delisted_at", "source", "fetched_at", "request_fingerprint", "created_at", "updated_at"),
    "listing_snapshots": ("id", "listing_id", "snapshot_date", "present", "name", "developer", "version",
                          "version_released_at", "rating", "rating_count", "downloads", "source", "fetched_at",
                          "request_fingerprint"),
    "filings": ("id", "filing_kind", "service_licence", "main_licence", "sponsor_name", "sponsor_nature",
                "sponsor_credit_code", "service_name", "service_type", "reviewed_at", "access_restricted", "status",
                "cancelled_at", "app_id", "source", "fetched_at", "request_fingerprint", "created_at", "updated_at"),
    "accounts": ("id", "account_key", "platform", "platform_account_id", "name", "sponsor_id", "division_code",
                 "has_interaction_channel", "has_complaint_channel", "verified_entity", "opened_on", "status", "closed_on",
                 "import_batch_id",
                 "source", "fetched_at", "request_fingerprint", "created_at", "updated_at"),
    "account_activity": ("id", "account_id", "activity_date", "last_post_at", "posts_7d", "posts_14d",
                         "posts_30d", "followers", "unanswered_messages", "oldest_unanswered_days",
                         "interaction_channel", "source", "fetched_at", "request_fingerprint"),
    "work_groups": ("id", "group_key", "platform", "name", "sponsor_id", "division_code", "purpose",
                    "is_temporary", "task_ends_on", "member_count", "opened_on", "closed_on", "owner_name", "status",
                    "import_batch_id", "source", "fetched_at", "request_fingerprint", "created_at", "updated_at"),
}
GENERATED_TABLES = tuple(COLUMNS)


def _check_columns() -> None:
    for name, cols in COLUMNS.items():
        actual = tuple(c.name for c in schema.metadata.tables[name].columns)
        if actual != cols:
            raise RuntimeError(f"sample generator is out of date with the schema of {name}: {actual}")


class Sink(Protocol):
    def add_encoded(self, table_name: str, row: tuple) -> None: ...

    def extend_encoded(self, table_name: str, rows: list) -> None: ...


class CountingSink:
    """A sink that only counts rows (dry runs, generation benchmarks)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add_encoded(self, table_name: str, row: tuple) -> None:
        self.counts[table_name] += 1

    def extend_encoded(self, table_name: str, rows: list) -> None:
        self.counts[table_name] += len(rows)


class CollectingSink(CountingSink):
    """A sink that keeps every row in memory (tests with small N)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list] = {name: [] for name in GENERATED_TABLES}

    def add_encoded(self, table_name: str, row: tuple) -> None:
        super().add_encoded(table_name, row)
        self.rows[table_name].append(row)

    def extend_encoded(self, table_name: str, rows: list) -> None:
        super().extend_encoded(table_name, rows)
        self.rows[table_name].extend(rows)


def source_tag(seed: int, entities: int, as_of: dt.date) -> str:
    return f"{SOURCE_PREFIX}seed={seed};entities={entities};as_of={as_of.isoformat()}"


@dataclass
class SampleConfig:
    entities: int
    seed: int
    as_of: dt.date
    out_dir: Path | None = None
    app_plant_rate: float = 0.12  # per slot; pair labels mark a second entity too (~12% overall)
    account_plant_rate: float = 0.09
    group_plant_rate: float = 0.12
    inventory: bool = True
    id_offsets: dict[str, int] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return source_tag(self.seed, self.entities, self.as_of)


@dataclass
class GenerationResult:
    entities: int
    sponsors: int
    label_counts: dict[str, int]
    entity_counts: dict[str, int]
    manifest_path: Path | None
    manifest_sha256: str | None
    summary_path: Path | None
    inventory_files: list[dict]
    seconds: float


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

def _weighted(pairs):
    values = [v for v, _ in pairs]
    cum, total = [], 0.0
    for _, w in pairs:
        total += w
        cum.append(total)
    return values, cum


def _fp(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _ts(day: dt.date, minute_of_day: int = 0) -> str:
    return f"{day.isoformat()} {minute_of_day // 60:02d}:{minute_of_day % 60:02d}:00.000000"


class _Sponsor:
    __slots__ = (
        "acct_name",
        "acct_templates",
        "app_templates",
        "contact",
        "credit_code",
        "division_code",
        "email_domain",
        "id",
        "key",
        "level",
        "main_licence",
        "n_apps",
        "name",
        "nature",
        "phone",
        "place",
        "platforms",
        "prov",
        "service_no",
        "tag",
        "town",
        "town_kind",
    )

    def __init__(self):
        self.platforms: list[str] = []
        self.acct_name: str | None = None
        self.n_apps = 0
        self.main_licence: tuple[int, int] | None = None
        self.service_no = 0
        self.town = None
        self.town_kind = None


class _Division:
    """Per-division state: name registries and recent entities for local duplicate planting."""

    __slots__ = ("accounts", "acct_cores", "app_cores", "apps", "code", "gt", "office_id", "packages", "towns")

    def __init__(self, code: str):
        self.code = code
        self.app_cores: dict[str, int] = {}
        self.acct_cores: dict[str, int] = {}
        self.packages: set[str] = set()
        self.apps: list[tuple[dict, dict]] = []
        self.accounts: list[tuple[dict, str, str, int]] = []
        self.gt: list[dict] = []
        self.towns: set[str] = set()
        self.office_id: int | None = None


class _LabelQueue:
    """Round-robin over labels; a label that does not fit the current context waits its turn."""

    def __init__(self, labels, rng):
        items = list(labels)
        rng.shuffle(items)
        self._q = deque(items)

    def take(self, feasible) -> str | None:
        for i, label in enumerate(self._q):
            if feasible(label):
                del self._q[i]
                self._q.append(label)
                return label
        return None


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------

class Generator:
    """Generate the population for ``config`` into a sink; see the module docstring."""

    def __init__(self, config: SampleConfig):
        if config.entities < 1:
            raise ValueError("entities must be at least 1")
        _check_columns()
        self.cfg = config
        self.rng = random.Random(config.seed)
        self.as_of = config.as_of
        self.src = config.source
        self.now_s = _ts(self.as_of, 6 * 60)  # fetched_at / created_at of generated records
        self._ids = {t: int(config.id_offsets.get(t, 0)) for t in GENERATED_TABLES}
        self._serial = Counter()
        self._prov_filing_counter: Counter[str] = Counter()
        self.labels: Counter[str] = Counter()
        self.entity_counts: Counter[str] = Counter()
        self._divmap = reference.division_map()
        self._window_days = [self.as_of - dt.timedelta(days=_WINDOW - 1 - i) for i in range(_WINDOW)]
        self._window_s = [d.isoformat() for d in self._window_days]
        self._window_fetch = [f"{s} 23:50:00.000000" for s in self._window_s]
        self._acct_platforms = _weighted(ACCOUNT_PLATFORM_WEIGHTS)
        self._group_platforms = _weighted(GROUP_PLATFORM_WEIGHTS)
        self._hosts = _weighted(HOST_WEIGHTS)
        self._app_kinds = _weighted(APP_KIND_WEIGHTS)
        self._app_queue = _LabelQueue(APP_LABELS, self.rng)
        self._acct_queue = _LabelQueue(ACCOUNT_LABELS, self.rng)
        self._group_queue = _LabelQueue(GROUP_LABELS, self.rng)
        self._clean_profiles = [self._activity_profile(self.rng, "clean") for _ in range(512)]
        self._gt_fh = None
        self._inventory = InventoryWriter(config.seed, config.as_of) if config.inventory and config.out_dir else None
        self._sink: Sink | None = None

    # -- ids and keys -------------------------------------------------------------------------

    def _next_id(self, table: str) -> int:
        self._ids[table] += 1
        return self._ids[table]

    def _next_serial(self, name: str) -> int:
        self._serial[name] += 1
        return self._serial[name]

    def _choice(self, weighted):
        values, cum = weighted
        x = self.rng.random() * cum[-1]
        for v, c in zip(values, cum, strict=True):
            if x < c:
                return v
        return values[-1]

    def _days_ago(self, days: int) -> dt.date:
        return self.as_of - dt.timedelta(days=days)

    def _dt_ago(self, days: int, minute: int | None = None) -> str:
        if minute is None:
            minute = self.rng.randrange(0, 14 * 60)  # 08:00–22:00 Beijing, as naive UTC
        return _ts(self._days_ago(days), minute)

    # -- allocation plan ----------------------------------------------------------------------

    def _plan(self) -> tuple[int, list[tuple[str, str, int, int]]]:
        """(central units, [(division code, level key, units, townships)]) in processing order."""
        rng = self.rng
        n_sponsors = max(1, min(self.cfg.entities, round(self.cfg.entities / ENTITIES_PER_SPONSOR)))
        raw = [(lvl, n_sponsors * share) for lvl, share in LEVEL_SHARES]
        counts = {lvl: int(x) for lvl, x in raw}
        rest = n_sponsors - sum(counts.values())
        for lvl, _share in sorted(raw, key=lambda p: (p[1] - int(p[1])), reverse=True)[:rest]:
            counts[lvl] += 1
        if counts["county"] == 0 and counts["township"]:  # townships need a county
            counts["county"], counts["township"] = counts["county"] + counts["township"], 0

        mainland = [d for d in reference.load_divisions() if d.code[:2] in reference.PROVINCE_ABBREVIATIONS]
        provinces = [d for d in mainland if d.level == "province"]
        prefectures = [d for d in mainland if d.level == "prefecture"]
        counties = [d for d in mainland if d.level == "county"]

        def capacity(level_key):
            depts = sum(1 for d in names.DEPARTMENTS if level_key in d.levels)
            return depts * (1 + len(names.SUBUNITS))

        def spread(divs, total, cap_of):
            if total <= 0:
                return {}
            active = sorted(rng.sample(divs, min(len(divs), max(1, math.ceil(total / CLUSTER)))),
                            key=lambda d: d.code)
            base, rem = divmod(total, len(active))
            extra = {d.code for d in rng.sample(active, rem)}
            return {d.code: min(cap_of(d), base + (d.code in extra)) for d in active}

        central = min(counts["central"], len(names.CENTRAL_UNITS) * (1 + len(names.SUBUNITS)))
        units = {}
        units.update(spread(provinces, counts["provincial"],
                            lambda d: capacity("muni" if d.code[:2] in reference.MUNICIPALITIES else "prov")))
        units.update(spread(prefectures, counts["prefectural"], lambda _d: capacity("pref")))
        county_units = spread(counties, counts["county"], lambda _d: capacity("county"))
        units.update(county_units)
        towns: dict[str, int] = {}
        if county_units and counts["township"]:
            active = sorted(county_units)
            base, rem = divmod(counts["township"], len(active))
            extra = set(rng.sample(active, rem))
            towns = {c: min(len(names.TOWN_STEMS), base + (c in extra)) for c in active}
        plan = []
        for div in mainland:
            n_units = units.get(div.code, 0)
            if n_units:
                level_key = {"province": "muni" if div.code[:2] in reference.MUNICIPALITIES else "prov",
                             "prefecture": "pref", "county": "county"}[div.level]
                plan.append((div.code, level_key, n_units, towns.get(div.code, 0)))
        return central, plan

    # -- run ----------------------------------------------------------------------------------

    def run(self, sink: Sink) -> GenerationResult:
        start = time.perf_counter()
        self._sink = sink
        out = self.cfg.out_dir
        manifest = summary = None
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            manifest = out / "ground_truth.jsonl"
            self._gt_fh = open(f"{manifest}.part", "w", encoding="utf-8", newline="\n")
        try:
            central, plan = self._plan()
            self._rem_sponsors = central + sum(u + t for _c, _l, u, t in plan)
            self._rem_entities = self.cfg.entities
            n_sponsors = self._rem_sponsors
            if central:
                self._central_units(central)
            for code, level_key, n_units, n_towns in plan:
                self._division(code, level_key, n_units, n_towns)
            inventory_files: list[dict] = []
            if self._inventory is not None:
                inventory_files, invalid_rows = self._inventory.write(out / "inventory")
                for rec in invalid_rows:
                    self._write_gt(rec)
                    self.labels[INVENTORY_LABEL] += 1
                    self.entity_counts["inventory_row"] += 1
        except BaseException:  # also on interrupt: no half-written ground-truth file; re-raised
            if self._gt_fh is not None:
                self._gt_fh.close()
                os.unlink(self._gt_fh.name)
            raise
        digest = None
        if self._gt_fh is not None:
            self._gt_fh.close()
            os.replace(f"{manifest}.part", manifest)
            digest = hashlib.sha256(manifest.read_bytes()).hexdigest()
        result = GenerationResult(
            entities=self.cfg.entities,
            sponsors=n_sponsors + self._serial["extra_township"],
            label_counts={k: self.labels[k] for k in ALL_LABELS},
            entity_counts=dict(sorted(self.entity_counts.items())),
            manifest_path=manifest,
            manifest_sha256=digest,
            summary_path=None,
            inventory_files=inventory_files,
            seconds=time.perf_counter() - start,
        )
        if out is not None:
            summary = out / "ground_truth_summary.json"
            summary.write_text(json.dumps(self._summary(result), ensure_ascii=False, indent=2) + "\n",
                               encoding="utf-8")
            result.summary_path = summary
        return result

    def _summary(self, result: GenerationResult) -> dict:
        return {
            "generator": "fingertip_dev.sample",
            "entities": self.cfg.entities,
            "seed": self.cfg.seed,
            "as_of": self.as_of.isoformat(),
            "source": self.src,
            "division_snapshot": reference.SNAPSHOT,
            "sponsors": result.sponsors,
            "entity_counts": result.entity_counts,
            "planted_entities": self._serial["planted_entities"],
            "clean_entities": self._serial["clean_entities"],
            "labels": result.label_counts,
            "manifest_sha256": result.manifest_sha256,
            "inventory_files": result.inventory_files,
            "label_definitions": LABEL_DEFINITIONS,
            "conventions": {
                "forced_features": list(names.FORCED_FEATURES),
                "forced_phrases": list(names.FORCED_PHRASES),
                "name_core": "fingertip_dev.sample.names.name_core(name, division_code)",
                "activity_window_days": _WINDOW,
                "central_units_division_code": "110000 (seat in Beijing)",
                "township_units_division_code": "the county's code (GB/T 2260 has no township level)",
            },
        }

    def _write_gt(self, record: dict) -> None:
        if self._gt_fh is not None:
            self._gt_fh.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")

    def _flush_division(self, ds: _Division) -> None:
        for rec in ds.gt:
            for label in rec["labels"]:
                self.labels[label] += 1
            if rec["labels"]:
                self._serial["planted_entities"] += 1
            else:
                self._serial["clean_entities"] += 1
            self._write_gt(rec)
        ds.gt.clear()

    # -- divisions and sponsors ---------------------------------------------------------------

    def _central_units(self, count: int) -> None:
        ds = _Division("110000")
        specs = [(i, None) for i in range(len(names.CENTRAL_UNITS))]
        specs += [(i, j) for j in range(len(names.SUBUNITS)) for i in range(len(names.CENTRAL_UNITS))]
        for idx, sub in specs[:count]:
            name, reg, key, accts, apps = names.CENTRAL_UNITS[idx]
            if sub is None:
                sp = self._new_sponsor(ds, "central", reg, "110000")
                sp.name, sp.key, sp.tag = name, key, name
                sp.acct_templates, sp.app_templates = accts, apps
            else:
                suffixes, sreg, skey, word = names.SUBUNITS[sub]
                sp = self._new_sponsor(ds, "central", sreg, "110000")
                sp.name, sp.key, sp.tag = name + suffixes["prov"], key + skey, name + word
                sp.acct_templates = sp.app_templates = (name + word,)
            sp.place = ""
            self._emit_sponsor(sp, None)
            self._entities(sp, ds)
        self._flush_division(ds)

    def _division(self, code: str, level_key: str, n_units: int, n_towns: int) -> None:
        rng = self.rng
        ds = _Division(code)
        div = self._divmap[code]
        level = {"prov": "provincial", "muni": "provincial", "pref": "prefectural", "county": "county"}[level_key]
        depts = [d for d in names.DEPARTMENTS if level_key in d.levels]
        head, tail = depts[:6], depts[6:]
        rng.shuffle(tail)
        depts = head + tail
        specs = [(d, None) for d in depts] + [(d, s) for s in range(len(names.SUBUNITS)) for d in depts]
        dept_ids: dict[str, int] = {}
        is_district = level_key == "county" and div.name.endswith("区") and div.prefecture_code is not None
        official = names.official_name(code)
        city = self._divmap[div.prefecture_code].name if div.prefecture_code else ""
        for dept, sub in specs[:n_units]:
            sp = self._new_sponsor(ds, level, dept.reg if sub is None else names.SUBUNITS[sub][1], code)
            template = dept.names.get("district") if is_district and "district" in dept.names else dept.names[level_key]
            base_name = template.format(d=official, c=city, dn=div.name)
            sp.place = names.place_for(code)
            if sub is None:
                sp.name, sp.key, sp.tag = base_name, dept.key, dept.tag
                sp.acct_templates, sp.app_templates = dept.acct, dept.app
                parent = None
            else:
                suffixes, _reg, skey, word = names.SUBUNITS[sub]
                sp.name, sp.key, sp.tag = base_name + suffixes[level_key], dept.key + skey, dept.tag + word
                sp.acct_templates = sp.app_templates = ("{p}" + dept.tag + word,)
                parent = dept_ids.get(dept.key)
            self._emit_sponsor(sp, parent)
            if sub is None:
                dept_ids[dept.key] = sp.id
                if dept.key == "zwb":
                    ds.office_id = sp.id
            self._entities(sp, ds)
        for _ in range(n_towns):
            sp = self._township(ds, code)
            self._entities(sp, ds)
        self._flush_division(ds)

    def _new_sponsor(self, ds: _Division, level: str, reg: str, code: str) -> _Sponsor:
        sp = _Sponsor()
        sp.id = self._next_id("sponsors")
        sp.level = level
        sp.division_code = code
        sp.nature = _nature(reg)
        sp.credit_code = self._credit_code(reg, code)
        sp.prov = code[:2]
        sp.email_domain = f"{names.PROVINCE_DOMAIN[sp.prov]}.gov.cn"
        return sp

    def _credit_code(self, reg: str, code: str) -> str:
        n = self._next_serial("org")
        if self.rng.random() < 0.15 and n < 1_000_000:  # newer organisation codes: 'MB' + 6 digits
            return make_credit_code(reg, code, f"MB{(n * 7_919 + 424_242) % 1_000_000:06d}")
        return make_credit_code(reg, code, f"{(n * 7_919 + 1_728_042) % 100_000_000:08d}")

    def _township(self, ds: _Division, county_code: str) -> _Sponsor:
        rng = self.rng
        div = self._divmap[county_code]
        stems = [s for s in names.TOWN_STEMS if s not in ds.towns]
        stem = rng.choice(stems) if stems else f"第{len(ds.towns) + 1}"
        ds.towns.add(stem)
        is_district = div.name.endswith("区")
        x = rng.random()
        kind = ("街道" if x < 0.85 else "镇") if is_district else ("镇" if x < 0.7 else "乡" if x < 0.9 else "街道")
        sp = self._new_sponsor(ds, "township", "11", county_code)
        office = "办事处" if kind == "街道" else "人民政府"
        sp.name = f"{names.official_name(county_code)}{stem}{kind}{office}"
        sp.town, sp.town_kind = stem, kind
        sp.place = stem
        sp.key = "t" + str(names.TOWN_STEMS.index(stem) if stem in names.TOWN_STEMS else len(ds.towns))
        sp.tag = stem + kind
        sp.acct_templates = (stem + kind + "发布", "魅力" + stem, names.place_for(county_code) + stem)
        sp.app_templates = (stem + kind + "便民服务", "掌上" + stem + kind, stem + "民生通")
        self._emit_sponsor(sp, ds.office_id)
        return sp

    def _emit_sponsor(self, sp: _Sponsor, parent_id: int | None) -> None:
        rng = self.rng
        contact = rng.choice(names.SURNAMES) + "".join(rng.choice(names.GIVEN_CHARS) for _ in range(rng.choice((1, 2))))
        phone = f"1{rng.choice('3456789')}{rng.randrange(10 ** 9):09d}"
        email = f"{sp.key}{sp.division_code}@{sp.email_domain}"
        self._sink.add_encoded("sponsors", (
            sp.id, sp.credit_code, sp.name, sp.division_code, sp.level, sp.nature, parent_id, contact, phone, email,
            self.src, self.now_s, _fp(f"{self.src}|sponsors|{sp.credit_code}"), self.now_s, self.now_s,
        ))
        sp.contact, sp.phone = contact, phone

    # -- entities per sponsor -----------------------------------------------------------------

    def _entities(self, sp: _Sponsor, ds: _Division) -> None:
        rng = self.rng
        k_left = self._rem_sponsors
        r_left = self._rem_entities
        if k_left <= 1:
            n = r_left
        else:
            mean = max(1.0, r_left / k_left * LEVEL_WEIGHT[sp.level])
            n = 1 + int(rng.gammavariate(4.0, (mean - 1) / 4.0) + 0.5) if mean > 1 else 1
            n = max(1, min(n, r_left - (k_left - 1), int(mean * 3) + 1))
        self._rem_sponsors = k_left - 1
        self._rem_entities = r_left - n
        app_share = 0.0 if sp.level == "township" else APP_SHARE
        acct_share = ACCOUNT_SHARE if sp.level != "township" else 0.6
        n_platforms = len(names.ACCOUNT_PLATFORM_NAMES)
        for _ in range(n):
            x = rng.random()
            if x < app_share + acct_share and x >= app_share and len(sp.platforms) >= n_platforms:
                # every platform taken: the slot goes to an app or a group in the usual proportion
                x = rng.random() * (1 - acct_share)
                x = x if x < app_share else 1.0
            if x < app_share:
                self._app(sp, ds)
            elif x < app_share + acct_share:
                self._account(sp, ds)
            else:
                self._group(sp, ds)

    # -- apps ---------------------------------------------------------------------------------

    def _app(self, sp: _Sponsor, ds: _Division) -> None:
        rng = self.rng
        label = self._app_label(sp, ds)
        if label == "below_county_sponsor" and sp.level != "township":
            self._serial["extra_township"] += 1
            sp = self._township(ds, sp.division_code)
        original = None
        if label == "near_duplicate_app":
            original_rec, original = ds.apps[rng.randrange(len(ds.apps))]
            kind = original["kind"]
        elif label in _NATIVE_LABELS:
            kind = "app"
        else:
            kind = self._choice(self._app_kinds)
        if label == "listed_not_in_inventory":
            self._orphan_listing(sp, ds)
            return

        app_id = self._next_id("apps")
        serial = self._next_serial("app")
        app_key = f"app-{sp.division_code}-{serial:07d}"
        if original is not None:
            name = _near_variant(original["name"], rng)
            package = self._unique_package(ds, original["package"] + rng.choice((".v2", "2", ".new", "app"))) \
                if original["package"] else None
        else:
            name = self._pick_app_name(sp, ds)
            package = self._unique_package(ds, self._package_base(sp)) if kind != "mini_program" else None
        sp.n_apps += 1
        info = {"name": name, "kind": kind, "package": package, "key": app_key}
        host, mini_id, bundle, track, package = self._app_ids(kind, package)

        level = sp.level
        scale = {"central": (5, 7.5), "provincial": (4.5, 7), "prefectural": (3.8, 6), "county": (3, 5),
                 "township": (2, 3.5)}[level]
        user_scale = int(10 ** rng.uniform(*scale))
        # a zombie must have been around long enough not to have updated for over a year
        launched = self._days_ago(rng.randrange(1600, 3650) if label == "zombie_app" else rng.randrange(120, 3650))
        if launched < _KIND_START[kind]:
            launched = _KIND_START[kind] + dt.timedelta(days=rng.randrange(0, 400))
            launched = min(launched, self._days_ago(30))
        details: dict[str, Any] = {}
        features, approved, complaint = self._app_features(sp, label, details)
        description, user_scale = self._app_description(sp, label, name, features, complaint, user_scale, details)
        fp = _fp(f"{self.src}|apps|{app_key}")
        self._sink.add_encoded("apps", (
            app_id, app_key, name, kind, sp.id, sp.division_code, host, package, bundle, track, mini_id,
            description, json.dumps(features), json.dumps(approved, ensure_ascii=False) if approved else None,
            # every generated app declares a gov-app filing number (国办函〔2026〕12号); synthetic format
            complaint, user_scale, None, f"政务备{sp.prov[:2]}{app_id:08d}", None, launched.isoformat(), "active", None,
            None, self.src, self.now_s, fp, self.now_s, self.now_s,
        ))
        rec = {"entity_type": "app", "key": app_key, "labels": [label] if label else [], "kind": kind,
               "division_code": sp.division_code, "sponsor": sp.credit_code}
        if original is not None:
            rec["details"] = {"pair": original["key"]}
            original_rec.setdefault("details", {})["pair"] = app_key
            if "near_duplicate_app" not in original_rec["labels"]:
                original_rec["labels"].append("near_duplicate_app")
        elif details:
            rec["details"] = details
        ds.gt.append(rec)
        ds.apps.append((rec, info))
        self.entity_counts["app"] += 1

        if kind == "app":
            self._listings(app_id, name, sp, package, track, description, launched, label)
        filing_no = None
        if label != "missing_filing":
            filing_no = self._filing(app_id, sp, name, kind, launched, label)
        if self._inventory is not None:
            self._inventory.offer_app(sp.prov, (
                name, kind, host, sp.name, sp.credit_code, sp.division_code, filing_no, launched, complaint,
                user_scale, sp.contact, sp.phone, app_key,
            ))

    def _app_label(self, sp: _Sponsor, ds: _Division) -> str | None:
        """The planted defect of the next app, if one is due and feasible for this sponsor."""
        if self.rng.random() >= self.cfg.app_plant_rate:
            return None

        def feasible(lb):
            if lb == "near_duplicate_app":
                return bool(ds.apps)
            if lb == "below_county_sponsor":
                return sp.level in ("county", "township")
            return True
        return self._app_queue.take(feasible)

    def _app_ids(self, kind: str, package: str | None):
        """(host, mini-program id, bundle, Apple track id, package) for an app of ``kind``."""
        host = mini_id = bundle = track = None
        if kind == "mini_program":
            host = self._choice(self._hosts)
            mini_id = self._mini_program_id(host)
        elif kind == "quick_app":
            package = package + ".quickapp" if package else None
        else:
            bundle = package
            track = self._apple_track_id()
        return host, mini_id, bundle, track, package

    def _app_features(self, sp: _Sponsor, label: str | None, details: dict[str, Any]):
        """(declared features, approvals, complaint channel); notes a planted forced feature in ``details``."""
        rng = self.rng
        features = rng.sample(list(names.SERVICE_FEATURES), rng.randrange(3, 7))
        approved = None
        complaint = True
        if label == "forced_feature":
            feature = rng.choice(names.FORCED_FEATURES)
            features.append(feature)
            details["feature"] = feature
        elif label is None and rng.random() < 0.03:  # a lawful, approved exception (Art. 6)
            features.append("check_in")
            approved = [{"feature": "check_in", "scope": "internal", "purpose": "应急值守人员到岗签到",
                         "approved_by": f"{self._divmap[sp.prov + '0000'].name}委网信办",
                         "approved_on": self._days_ago(rng.randrange(30, 700)).isoformat()}]
        if label == "no_complaint_channel":
            complaint = False
        else:
            features.append("complaint")
        return features, approved, complaint

    def _app_description(self, sp: _Sponsor, label: str | None, name: str, features: list[str], complaint: bool,
                         user_scale: int, details: dict[str, Any]) -> tuple[str, int]:
        """(description, user scale): shell and zombie apps get their own; a planted forced phrase is
        appended and noted in ``details``."""
        rng = self.rng
        description = None
        if label == "shell_app":
            description = rng.choice(("暂无简介", name, "政务服务。", f"{name}客户端"))
            user_scale = rng.randrange(0, 200)
        elif label == "zombie_app":
            user_scale = rng.randrange(50, 3000)
        if description is None:
            chosen = "、".join(names.SERVICE_FEATURES[f] for f in features if f in names.SERVICE_FEATURES)
            description = (f"{name}是{sp.name}主办的政务服务移动应用，为群众和企业提供{chosen}等服务，"
                           f"并设有“指尖上的形式主义”问题投诉专区。" if complaint else
                           f"{name}是{sp.name}主办的政务服务移动应用，为群众和企业提供{chosen}等服务。")
        if label == "forced_feature_in_description":
            phrase = rng.choice(names.FORCED_PHRASES)
            description += f"新增{phrase}功能，请各单位督促干部职工按时完成。"
            details["phrase"] = phrase
        return description, user_scale

    def _pick_app_name(self, sp: _Sponsor, ds: _Division) -> str:
        abbr = names.PROVINCE_COMMON_SHORT[sp.prov]
        templates = sp.app_templates
        start = sp.n_apps
        for i in range(len(templates)):
            t = templates[(start + i) % len(templates)]
            if "{a}" in t and sp.level != "provincial":
                continue
            name = t.format(p=sp.place, a=abbr)
            core = names.name_core(name, sp.division_code)
            if core not in ds.app_cores:
                ds.app_cores[core] = sp.id
                return name
        for word in names.APP_FALLBACK_WORDS:
            name = f"{_unit_short(sp)}{word}"
            core = names.name_core(name, sp.division_code)
            if core not in ds.app_cores:
                ds.app_cores[core] = sp.id
                return name
        n = 2
        while True:
            name = f"{sp.name}服务{n}号"
            core = names.name_core(name, sp.division_code)
            if core not in ds.app_cores:
                ds.app_cores[core] = sp.id
                return name
            n += 1

    def _package_base(self, sp: _Sponsor) -> str:
        if sp.level == "central":
            return f"cn.gov.{sp.key}"
        pinyin = names.PROVINCE_PINYIN[sp.prov]
        if sp.level == "provincial":
            return f"cn.gov.{pinyin}.{sp.key}"
        return f"cn.gov.{pinyin}.c{sp.division_code}.{sp.key}"

    def _unique_package(self, ds: _Division, base: str) -> str:
        name, n = base, 1
        while name in ds.packages:
            n += 1
            name = f"{base}{n}"
        ds.packages.add(name)
        return name

    def _apple_track_id(self) -> int:
        n = self._next_serial("apple")
        return 1_000_000_000 + (n * 7_919_113 + 123_456_789) % 900_000_000

    def _mini_program_id(self, host: str) -> str:
        n = self._next_serial("mini")
        x = (n * 0x9E3779B97F4A7C15 + 0x1234567) % (1 << 64)
        if host == "alipay":
            return f"2021{(n * 7_919_113 + 987_654) % 10 ** 12:012d}"
        prefix = {"wechat": "wx", "douyin": "tt", "baidu": "bd"}[host]
        return f"{prefix}{x:016x}"

    def _version(self) -> str:
        rng = self.rng
        return f"{rng.randrange(1, 8)}.{rng.randrange(0, 20)}.{rng.randrange(0, 30)}"

    def _listings(self, app_id, name, sp, package, track, description, launched, label, orphan=False):
        rng = self.rng
        stores = ["apple"] + rng.sample(ANDROID_STORES, rng.randrange(1, 4))
        if orphan:
            stores = [rng.choice(stores)]
        version = self._version()
        first_seen_days = rng.randrange(30, 700)
        if label == "zombie_app":
            released_days = rng.randrange(400, 1500)
        elif label == "shell_app":
            released_days = rng.randrange(30, 250)
        else:
            released_days = rng.randrange(3, 200)
        released_days = min(released_days, max(1, (self.as_of - launched).days))
        version_released = self._dt_ago(released_days)
        first_released = _ts(launched, rng.randrange(1 * 60, 10 * 60))
        delisted = label == "delisted_app"
        for store in stores:
            listing_id = self._next_id("store_listings")
            store_app_id = str(track) if store == "apple" else package
            if label == "zombie_app":
                rating_count = rng.randrange(0, 31)
                downloads = None if store == "apple" else rng.randrange(100, 2001)
            elif label == "shell_app":
                rating_count = rng.randrange(0, 3)
                downloads = None if store == "apple" else rng.randrange(0, 301)
            else:
                scale = {"central": 6.5, "provincial": 6, "prefectural": 5.2, "county": 4.5, "township": 3.5}[sp.level]
                rating_count = int(10 ** rng.uniform(2, scale - 1))
                downloads = None if store == "apple" else int(10 ** rng.uniform(4.3, scale + 1))
            rating = round(rng.uniform(2.5, 4.9), 1) if rating_count else None
            first_seen = self._dt_ago(first_seen_days, 6 * 60)
            if delisted:
                absences = rng.randrange(2, 13)
                delisted_at = self._dt_ago(absences, 6 * 60)
                last_seen = self._dt_ago(absences + 1, 6 * 60)
                available = False
            else:
                absences, delisted_at, last_seen, available = 0, None, self.now_s, True
            key = f"{store}:{store_app_id}"
            self._sink.add_encoded("store_listings", (
                listing_id, store, store_app_id, None if orphan else app_id, name, sp.name,
                None,  # developer_id: learnt from the store by the lookups
                version, version_released, first_released, rating, rating_count, downloads, description, available, absences, first_seen,
                last_seen, delisted_at, self.src, self.now_s, _fp(f"{self.src}|store_listings|{key}"),
                self.now_s, self.now_s,
            ))
            snap_id = self._next_id("listing_snapshots")
            if available:
                snap = (snap_id, listing_id, self.as_of.isoformat(), True, name, sp.name, version, version_released,
                        rating, rating_count, downloads)
            else:
                snap = (snap_id, listing_id, self.as_of.isoformat(), False, None, None, None, None, None, None, None)
            self._sink.add_encoded("listing_snapshots", snap + (
                self.src, self.now_s, _fp(f"{self.src}|listing_snapshots|{key}|{self.as_of}")))
            if label == "zombie_app" and available:
                # a zombie's flat rating count needs history to be judged (app.zombie: growth over the
                # snapshot window, at least rating_growth_min_days of it); 60 days back, same count
                before = self.as_of - dt.timedelta(days=60)
                self._sink.add_encoded("listing_snapshots", (
                    self._next_id("listing_snapshots"), listing_id, before.isoformat(), True, name, sp.name, version,
                    version_released, rating, rating_count, downloads,
                    self.src, self.now_s, _fp(f"{self.src}|listing_snapshots|{key}|{before}")))
            if orphan:
                return key
        return None

    def _orphan_listing(self, sp: _Sponsor, ds: _Division) -> None:
        """A government app found in a store but absent from the inventory."""
        name = self._pick_app_name(sp, ds)
        package = self._unique_package(ds, self._package_base(sp) + ".m")
        track = self._apple_track_id()
        description = f"{name}为{sp.name}推出的移动服务应用，提供信息查询和业务办理。"
        launched = self._days_ago(self.rng.randrange(120, 2000))
        key = self._listings(None, name, sp, package, track, description, launched, None, orphan=True)
        ds.gt.append({"entity_type": "listing", "key": key, "labels": ["listed_not_in_inventory"],
                      "division_code": sp.division_code, "sponsor": sp.credit_code})
        self.entity_counts["listing"] += 1

    def _filing(self, app_id, sp: _Sponsor, name: str, kind: str, launched: dt.date, label) -> str:
        rng = self.rng
        lo = max(launched, min(_FILING_START, self._days_ago(60)))
        hi = self._days_ago(7)
        span = max(0, (hi - lo).days)
        reviewed_day = lo + dt.timedelta(days=rng.randrange(span + 1))
        holder_name, holder_nature, holder_code = sp.name, sp.nature, sp.credit_code
        if label == "filing_holder_mismatch":
            city_code = self._divmap[sp.division_code].prefecture_code or sp.division_code
            city = names.place_short(self._divmap[city_code].name)
            holder_name = city + rng.choice(names.CONTRACTOR_WORDS) + rng.choice(names.CONTRACTOR_SUFFIXES)
            holder_nature = "企业"
            holder_code = self._credit_code("91", city_code)
            year, serial = reviewed_day.year, self._filing_serial(sp.prov)
            service_no = 1
        else:
            if sp.main_licence is None:
                sp.main_licence = (reviewed_day.year, self._filing_serial(sp.prov))
            else:
                first = dt.date(sp.main_licence[0], 1, 1)
                if reviewed_day < first:
                    reviewed_day = min(hi, first + dt.timedelta(days=rng.randrange(0, 200)))
            year, serial = sp.main_licence
            sp.service_no += 1
            service_no = sp.service_no
        if launched >= _FILING_START:  # filed before going live once that was required (no extra draw)
            reviewed_day = launched
        licence = make_filing_number(sp.prov, year, serial, service_no, kind)
        main = licence.split("-")[0]
        restricted = label == "filing_access_restricted"
        status, cancelled_at = "active", None
        if label == "filing_cancelled_still_listed":
            status, cancelled_at = "cancelled", self._dt_ago(rng.randrange(30, 300))
        self._sink.add_encoded("filings", (
            self._next_id("filings"), "icp_app", licence, main, holder_name, holder_nature, holder_code, name,
            # reviewed in Beijing office hours (09:00–18:00), stored as naive UTC like every store timestamp
            kind, _ts(reviewed_day, rng.randrange(1 * 60, 10 * 60)), restricted, status, cancelled_at, app_id,
            self.src, self.now_s, _fp(f"{self.src}|filings|{licence}"), self.now_s, self.now_s,
        ))
        return licence

    def _filing_serial(self, prov: str) -> int:
        self._prov_filing_counter[prov] += 1
        return (self._prov_filing_counter[prov] * 7_919 + 4_051) % 1_000_000

    # -- accounts -----------------------------------------------------------------------------

    def _account(self, sp: _Sponsor, ds: _Division) -> None:
        rng = self.rng
        label = None
        if rng.random() < self.cfg.account_plant_rate:
            def feasible(lb):
                if lb == "duplicate_account_platform":
                    return bool(sp.platforms)
                if lb == "near_duplicate_account":
                    return any(sid != sp.id and plat not in sp.platforms for _r, plat, _n, sid in ds.accounts)
                return True
            label = self._acct_queue.take(feasible)
        pair_rec = None
        if label == "duplicate_account_platform":
            platform = rng.choice(sp.platforms)
            pair_rec = next(r for r, plat, _n, sid in ds.accounts if sid == sp.id and plat == platform)
            name = sp.name if sp.acct_name != sp.name else sp.name + "服务号"
        elif label == "near_duplicate_account":
            options = [(r, plat, nm) for r, plat, nm, sid in ds.accounts if sid != sp.id and plat not in sp.platforms]
            pair_rec, platform, other_name = options[rng.randrange(len(options))]
            name = _near_variant(other_name, rng)
            sp.platforms.append(platform)
        else:
            free = [p for p in names.ACCOUNT_PLATFORM_NAMES if p not in sp.platforms]
            platform = self._choice(self._acct_platforms)
            if platform not in free:
                platform = free[rng.randrange(len(free))]
            sp.platforms.append(platform)
            name = self._account_name(sp, ds)

        account_id = self._next_id("accounts")
        serial = self._next_serial("account")
        key = f"acct-{sp.division_code}-{serial:07d}"
        pid = _platform_account_id(platform, serial)
        interaction = label != "no_interaction_channel"
        opened = self._days_ago(rng.randrange(90, 4500))
        if opened < _PLATFORM_START[platform]:
            opened = _PLATFORM_START[platform] + dt.timedelta(days=rng.randrange(0, 500))
        opened = min(opened, self._days_ago(90))
        self._sink.add_encoded("accounts", (
            account_id, key, platform, pid, name, sp.id, sp.division_code, interaction, True, sp.name, opened.isoformat(),
            "active", None, None, self.src, self.now_s, _fp(f"{self.src}|accounts|{platform}:{pid}"), self.now_s,
            self.now_s,
        ))
        rec = {"entity_type": "account", "key": key, "labels": [label] if label else [], "platform": platform,
               "division_code": sp.division_code, "sponsor": sp.credit_code}
        if pair_rec is not None:
            rec["details"] = {"pair": pair_rec["key"]}
            pair_rec.setdefault("details", {})["pair"] = key
            if label not in pair_rec["labels"]:
                pair_rec["labels"].append(label)
        ds.gt.append(rec)
        ds.accounts.append((rec, platform, name, sp.id))
        self.entity_counts["account"] += 1
        self._activity(account_id, key, sp.level, label, rec)
        if self._inventory is not None:
            self._inventory.offer_account(sp.prov, (
                name, platform, pid, sp.name, sp.credit_code, sp.division_code, opened, interaction, sp.contact,
                sp.phone, key,
            ))

    def _account_name(self, sp: _Sponsor, ds: _Division) -> str:
        if sp.acct_name is not None:
            return sp.acct_name
        candidates = [t.format(p=sp.place) for t in sp.acct_templates] + [sp.name]
        for name in candidates:
            core = names.name_core(name, sp.division_code)
            if ds.acct_cores.get(core, sp.id) == sp.id:
                ds.acct_cores[core] = sp.id
                sp.acct_name = name
                return name
        n = 2
        while True:
            name = f"{sp.name}{n}"
            core = names.name_core(name, sp.division_code)
            if core not in ds.acct_cores:
                ds.acct_cores[core] = sp.id
                sp.acct_name = name
                return name
            n += 1

    def _activity(self, account_id: int, key: str, level: str, label, rec: dict) -> None:
        rng = self.rng
        if label in ("stale_14d", "stale_60d", "zombie_account", "unanswered_90d"):
            profile, extra = self._planted_profile(label)
            if extra:
                rec["details"] = {**rec.get("details", {}), **extra}
        else:
            profile = self._clean_profiles[rng.randrange(len(self._clean_profiles))]
        if label == "zombie_account":
            followers = 0 if rec["details"].get("never_posted") else rng.randrange(0, 50)
            growth = 0
        else:
            lo, hi = {"central": (5.5, 7.3), "provincial": (4.5, 6.7), "prefectural": (3.8, 6), "county": (3, 5.3),
                      "township": (2, 4.3)}[level]
            followers = int(10 ** rng.uniform(lo, hi))
            growth = rng.randrange(0, max(2, followers // 500))
        first_id = self._ids["account_activity"] + 1
        self._ids["account_activity"] += _WINDOW
        interaction = label != "no_interaction_channel"
        src = self.src
        fp = _fp(f"{src}|account_activity|{key}|{self._window_s[0]}..{self._window_s[-1]}")
        ds_, fs = self._window_s, self._window_fetch
        rows = [
            (first_id + i, account_id, ds_[i], lp, p7, p14, p30, followers + growth * i, un, old, interaction,
             src, fs[i], fp)
            for i, (lp, p7, p14, p30, un, old) in enumerate(profile)
        ]
        self._sink.extend_encoded("account_activity", rows)

    def _planted_profile(self, label: str):
        rng = self.rng
        if label == "stale_14d":
            k = rng.randrange(15, 60)
            return self._activity_profile(rng, "stale", last_post_days=k), {"days_since_last_post": k}
        if label == "stale_60d":
            k = rng.randrange(60, 365)
            return self._activity_profile(rng, "stale", last_post_days=k), {"days_since_last_post": k}
        if label == "zombie_account":
            if rng.random() < 0.5:
                return self._activity_profile(rng, "never"), {"never_posted": True}
            k = rng.randrange(365, 1500)
            return self._activity_profile(rng, "stale", last_post_days=k), {"days_since_last_post": k}
        # account.unanswered_90d fires on more than 90 days (超过90天: from day 91); + 1 keeps the random stream
        oldest = rng.randrange(90, 400) + 1
        return self._activity_profile(rng, "unanswered", oldest=oldest), {"oldest_unanswered_days": oldest}

    def _activity_profile(self, rng: random.Random, mode: str, last_post_days: int | None = None,
                          oldest: int | None = None) -> list[tuple]:
        """30 rows of (last_post_at, posts_7d, posts_14d, posts_30d, unanswered, oldest_unanswered_days).

        Posting history covers the 59 days ending on as_of (index 58); rolling counts are
        inclusive windows ending on each activity date, last_post_at the latest post up to it.
        """
        counts = [0] * _HISTORY
        minutes = [0] * _HISTORY
        prior: str | None = None  # last post before the history
        if mode == "never":
            pass
        else:
            rate = rng.uniform(0.7, 3.0)
            last = _HISTORY - 1 - (last_post_days if last_post_days is not None else 0)
            if mode in ("clean", "unanswered"):
                last = _HISTORY - 1 - rng.randrange(0, 3)
            for j in range(min(last + 1, _HISTORY)):
                counts[j] = int(rate + rng.random())
                # 08:01–23:00 Beijing as naive UTC; the same range width as before (900) keeps the
                # random stream, and with it the rest of the sample, unchanged
                minutes[j] = rng.randrange(1, 15 * 60 + 1)
            if 0 <= last < _HISTORY:
                counts[last] = max(1, counts[last])
                minutes[last] = minutes[last] or rng.randrange(1, 15 * 60 + 1)
            if last < 0:
                prior = self._dt_ago(last_post_days, rng.randrange(1, 15 * 60 + 1))
            else:
                prior = self._dt_ago(_HISTORY + rng.randrange(0, 3), rng.randrange(1, 15 * 60 + 1))
        first_day = self.as_of - dt.timedelta(days=_HISTORY - 1)
        prefix = [0]
        for c in counts:
            prefix.append(prefix[-1] + c)
        last_str = prior
        for j in range(_WINDOW - 1):  # posts before the window start feed last_post_at
            if counts[j]:
                last_str = _ts(first_day + dt.timedelta(days=j), minutes[j])
        out = []
        unanswered_on = mode == "clean" and rng.random() < 0.3
        for i in range(_WINDOW):
            j = i + _WINDOW - 1
            if counts[j]:
                last_str = _ts(first_day + dt.timedelta(days=j), minutes[j])
            p7 = prefix[j + 1] - prefix[j - 6]
            p14 = prefix[j + 1] - prefix[j - 13]
            p30 = prefix[j + 1] - prefix[j - 29]
            if mode == "unanswered":
                un, old = 1 + (oldest % 7), oldest - (_WINDOW - 1 - i)
            elif unanswered_on and rng.random() < 0.5:
                un, old = rng.randrange(1, 4), rng.randrange(0, 4)
            else:
                un, old = 0, None
            out.append((last_str, p7, p14, p30, un, old))
        return out

    # -- work groups --------------------------------------------------------------------------

    def _group(self, sp: _Sponsor, ds: _Division) -> None:
        rng = self.rng
        label = None
        if rng.random() < self.cfg.group_plant_rate:
            label = self._group_queue.take(lambda _lb: True)
        group_id = self._next_id("work_groups")
        serial = self._next_serial("group")
        key = f"grp-{sp.division_code}-{serial:07d}"
        platform = self._choice(self._group_platforms)
        temporary = label == "temporary_group_open" or rng.random() < 0.35
        if sp.level == "township":
            template, purpose, temp_flag = rng.choice(names.TOWN_GROUPS)
            if label == "temporary_group_open" or temporary:
                template, purpose, temp_flag = rng.choice([g for g in names.TOWN_GROUPS if g[2]])
            elif temp_flag:
                template, purpose, temp_flag = rng.choice([g for g in names.TOWN_GROUPS if not g[2]])
            name = template.format(t=sp.town + sp.town_kind, c=rng.choice(names.COMMUNITY_STEMS))
        elif temporary:
            government = sp.key == "zwb" and sp.level in ("prefectural", "county")
            template, purpose, _government = rng.choice([g for g in names.GROUP_TEMPORARY if government or not g[2]])
            name = template.format(p=sp.place if government else _unit_short(sp))
        else:
            template = rng.choice(names.GROUP_PERMANENT)
            name = template.format(o=_unit_short(sp), p=sp.place, tag=sp.tag)
            purpose = "日常工作通知和业务沟通"
        opened = self._days_ago(rng.randrange(40, 2500))
        ends = closed = None
        status = "active"
        if temporary:
            if label == "temporary_group_open":
                ends = self._days_ago(rng.randrange(10, 400))
            elif rng.random() < 0.5:  # task still running
                ends = self.as_of + dt.timedelta(days=rng.randrange(0, 180))
            else:  # task over and group closed
                ends = self._days_ago(rng.randrange(10, 400))
                closed = min(self.as_of, ends + dt.timedelta(days=rng.randrange(0, 15)))
                status = "closed"
            if ends < opened:
                opened = ends - dt.timedelta(days=rng.randrange(7, 90))
        members = rng.randrange(5, 500)
        self._sink.add_encoded("work_groups", (
            group_id, key, platform, name, sp.id, sp.division_code, purpose, temporary,
            ends.isoformat() if ends else None, members, opened.isoformat(), closed.isoformat() if closed else None,
            None, status, None, self.src, self.now_s, _fp(f"{self.src}|work_groups|{key}"), self.now_s, self.now_s,
        ))
        rec = {"entity_type": "work_group", "key": key, "labels": [label] if label else [],
               "division_code": sp.division_code, "sponsor": sp.credit_code}
        ds.gt.append(rec)
        self.entity_counts["work_group"] += 1
        if self._inventory is not None:
            self._inventory.offer_group(sp.prov, (
                name, platform, sp.name, sp.credit_code, sp.division_code, opened, temporary, ends, closed, members,
                key,
            ))


# --------------------------------------------------------------------------------------------

def _nature(reg: str) -> str:
    return {"11": "机关", "12": "事业单位", "13": "群团组织"}[reg]


def _unit_short(sp: _Sponsor) -> str:
    """Short unit name: 杭州公安, 城南街道, 公安部."""
    if sp.level in ("central", "township"):
        return sp.tag
    return f"{sp.place}{sp.tag}"


_VARIANTS = (
    lambda n, r: n + r.choice(("发布", "在线", "官方", "服务号", "平台")),
    lambda n, r: r.choice(("掌上", "新版")) + n,
    lambda n, r: n + "APP",
)


def _near_variant(name: str, rng: random.Random) -> str:
    """A near-identical name: same core (see names.name_core), different text."""
    for word in ("发布", "在线", "官方", "服务号", "平台"):
        if name.endswith(word) and len(name) > len(word) + 1:
            return name[: -len(word)] + rng.choice([w for w in ("发布", "在线", "官方", "服务号") if w != word])
    return _VARIANTS[rng.randrange(len(_VARIANTS))](name, rng)


def _platform_account_id(platform: str, serial: int) -> str:
    """Unique per platform: affine permutations of the global account serial."""
    if platform == "wechat":
        return f"gh_{(serial * 0x5DEECE66D + 0xB16B00B5) % (1 << 48):012x}"
    if platform == "weibo":
        return str(1_000_000_000 + (serial * 7_919_113 + 55_555) % 9_000_000_000)
    if platform == "douyin":
        return f"{(serial * 104_729 + 77_777) % 10 ** 11:011d}"
    if platform == "toutiao":
        return str(50_000_000_000 + (serial * 1_299_709 + 3) % 10 ** 10)
    if platform == "kuaishou":
        return f"3x{(serial * 0x9E3779B1 + 0xABCDEF) % (1 << 40):010x}"
    if platform == "bilibili":
        return str(100_000_000 + (serial * 15_485_863 + 9) % 3_000_000_000)
    if platform == "wechat_channels":
        return f"sph{(serial * 0x2545F491 + 0x77) % (1 << 44):011x}"
    if platform == "xiaohongshu":
        return f"{(serial * 0x9E3779B97F4A7C15F39CC061 + 0x5F3759DF) % (1 << 96):024x}"
    raise ValueError(platform)


def generate(config: SampleConfig, sink: Sink) -> GenerationResult:
    """Generate the population of ``config`` into ``sink``."""
    return Generator(config).run(sink)
