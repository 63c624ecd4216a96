"""Rolling discovery of unregistered apps in Apple's App Store (storefront ``cn``).

Two kinds of request, both on the ``apple_itunes`` connection and inside its rate limit and pool:

* **by developer** — every developer account (artistId) seen on the listing of an inventory app is
  looked up with ``/lookup?id=<artistId>&entity=software&limit=200``: one request returns the
  account and all its apps;
* **by search** — every sponsoring unit is searched by name (``/search?term=<name>&entity=software
  &attribute=softwareDeveloper``), and by its common short forms; a sponsor whose name is already
  a developer account checked by developer is not searched again by its full name.

Each run works through the keys (developer ids, sponsor credit codes) in a fixed order from where the
previous run stopped (``discovery_cursors``), wrapping round, until the day's budget is spent. The
budget is the smaller of the discovery target (``budget``, or ``discovery_requests_per_app`` per
inventory iOS app, at least ``discovery_min_requests``) and what the daily cap (``daily_requests``;
default: three hours at the connection's requests per minute) leaves after the day's lookups and
earlier discovery requests of the day, read from ``fetch_log``. ``developer_share`` of it goes to
developer lookups first; what they leave goes to searches, then back to developers.

Every app returned that is not in the inventory is matched to a sponsor
(:mod:`fingertip.discovery.matching`); an accepted match becomes a store listing without inventory app
(a dated snapshot like any lookup) plus a ``listing_discoveries`` row (how it was found, the query, the
score and the reasons) — the rule ``listing.not_in_inventory`` then flags it. Every request is logged
in ``fetch_log``. A failed request stops its mode's cursor before the failed key, so the next run
asks again.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from fingertip.discovery.matching import DEFAULT_MIN_SCORE, SponsorIndex, SponsorProfile, profiles_from_rows
from fingertip.store import ops, schema

log = logging.getLogger(__name__)

#: ``fetch_log.endpoint`` of the two discovery calls (the daily lookups log ``/lookup``).
DEVELOPER_ENDPOINT = "/lookup?entity=software"
SEARCH_ENDPOINT = "/search"
LOOKUP_ENDPOINT = "/lookup"
DISCOVERY_ENDPOINTS = (DEVELOPER_ENDPOINT, SEARCH_ENDPOINT)
ALWAYS_REPORTED = ("requests", "requests_ok", "requests_failed", "candidates", "in_inventory", "discovered",
                   "confirmed", "not_government_seller", "below_min_score", "no_sponsor")

DEFAULTS: dict[str, Any] = {
    "discovery_requests_per_app": 0.009,  # discovery requests per inventory iOS app per day
    "discovery_min_requests": 100,
    "discovery_developer_share": 0.5,
    "discovery_short_forms": 1,  # short forms searched per sponsor besides the full name
    "discovery_min_score": DEFAULT_MIN_SCORE,
    "daily_window_hours": 3,  # daily cap = requests_per_minute × 60 × this (when daily_requests is unset)
}


class NothingFetched(RuntimeError):
    """Every discovery request of the run failed: let Airflow retry the task."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --- budget --------------------------------------------------------------------------------------

@dataclass
class Budget:
    total: int
    developer: int
    explanation: dict[str, Any]


def _count_requests(conn: Connection, source: str, day: dt.date, endpoints: tuple[str, ...]) -> int:
    f = schema.fetch_log
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(f.c.attempts), 0))
                            .where(f.c.source == source, f.c.interval_date == day, f.c.endpoint.in_(endpoints)))
               .scalar_one())


def plan_budget(engine: Engine, *, source: str, day: dt.date, extras: dict[str, Any],
                budget: int | None = None, developer_share: float | None = None) -> Budget:
    """The discovery requests this run may make, and why (stated in the run summary)."""
    get = {**DEFAULTS, **{k: v for k, v in extras.items() if v is not None and v != ""}}
    a = schema.apps
    with engine.connect() as conn:
        ios_apps = int(conn.execute(sa.select(sa.func.count()).select_from(a)
                                    .where(a.c.apple_track_id.is_not(None), a.c.status != "closed")).scalar_one())
        lookups = _count_requests(conn, source, day, (LOOKUP_ENDPOINT,))
        earlier = _count_requests(conn, source, day, DISCOVERY_ENDPOINTS)
    if budget is not None:
        target, how = int(budget), "given"
    elif get.get("discovery_requests_per_day") not in (None, ""):
        target, how = int(get["discovery_requests_per_day"]), "connection extra discovery_requests_per_day"
    else:
        target = max(int(get["discovery_min_requests"]), math.ceil(float(get["discovery_requests_per_app"]) * ios_apps))
        how = (f"max(discovery_min_requests {get['discovery_min_requests']}, "
               f"{get['discovery_requests_per_app']} × {ios_apps} iOS apps)")
    rpm = float(get.get("requests_per_minute") or 0)
    if get.get("daily_requests") not in (None, ""):
        cap: int | None = int(get["daily_requests"])
    elif rpm > 0:
        cap = int(rpm * 60 * float(get["daily_window_hours"]))
    else:
        cap = None  # no rate limit (a local stub): no daily cap
    left = target - earlier
    if cap is not None:
        left = min(left, cap - lookups - earlier)
    total = max(0, left)
    share = float(developer_share if developer_share is not None else get["discovery_developer_share"])
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"developer_share must be within 0..1, got {share}")
    return Budget(total, round(total * share), {
        "target": target, "target_from": how, "daily_cap": cap, "lookup_requests_today": lookups,
        "discovery_requests_earlier_today": earlier, "developer_share": share, "ios_apps": ios_apps})


# --- keys ----------------------------------------------------------------------------------------

def load_index(conn: Connection) -> tuple[SponsorIndex, dict[str, list[SponsorProfile]], dict[str, str]]:
    """The sponsor index, developer id → sponsors of its inventory apps, developer id → its name."""
    sp, a, sl = schema.sponsors, schema.apps, schema.store_listings
    sponsors = [dict(r) for r in conn.execute(
        sa.select(sp.c.id, sp.c.name, sp.c.credit_code, sp.c.division_code).order_by(sp.c.id)).mappings()]
    devs = conn.execute(sa.select(a.c.sponsor_id, sl.c.developer_id, sl.c.developer)
                        .join(a, a.c.id == sl.c.app_id)
                        .where(sl.c.store == "apple", sl.c.developer_id.is_not(None)).distinct()).all()
    bundles = list(conn.execute(sa.select(a.c.sponsor_id, sa.func.coalesce(a.c.bundle_id, a.c.package_name))
                                .where(sa.func.coalesce(a.c.bundle_id, a.c.package_name).is_not(None))).tuples())
    index = SponsorIndex(profiles_from_rows(sponsors, [(s, d) for s, d, _ in devs], bundles))
    names = {str(d): n for _, d, n in devs if n}
    return index, {d: index.by_developer.get(d, []) for d in sorted(names)}, names


def inventory_track_ids(conn: Connection) -> set[str]:
    a, sl = schema.apps, schema.store_listings
    ids = {str(t) for t in conn.execute(sa.select(a.c.apple_track_id).where(a.c.apple_track_id.is_not(None))).scalars()}
    ids.update(conn.execute(sa.select(sl.c.store_app_id).where(sl.c.store == "apple", sl.c.app_id.is_not(None)))
               .scalars())
    return ids


def _rolling(keys: list[str], position: str | None) -> tuple[list[str], int]:
    """Keys after ``position`` then from the start (one full pass); the index where the wrap happens."""
    if not keys:
        return [], 0
    start = 0 if position is None else next((i for i, k in enumerate(keys) if k > position), len(keys))
    return keys[start:] + keys[:start], len(keys) - start


def _cursor(conn: Connection, source: str, mode: str) -> dict[str, Any]:
    c = schema.discovery_cursors
    row = conn.execute(sa.select(c).where(c.c.source == source, c.c.mode == mode)).mappings().first()
    return dict(row) if row else {"position": None, "cycle": 0}


def _save_cursor(engine: Engine, source: str, mode: str, position: str | None, cycle: int, day: dt.date) -> None:
    with engine.begin() as conn:
        ops.upsert(conn, schema.discovery_cursors, [{"source": source, "mode": mode, "position": position,
                                                     "cycle": cycle, "run_date": day, "updated_at": utcnow()}],
                   key=["source", "mode"])


# --- the run -------------------------------------------------------------------------------------

@dataclass
class ModeProgress:
    keys: int = 0
    checked: int = 0
    failed: int = 0
    start: str | None = None
    stop: str | None = None
    cycle: int = 0
    requests: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"keys": self.keys, "checked": self.checked, "failed": self.failed, "from_after": self.start,
                "stopped_at": self.stop, "cycle": self.cycle,
                "full_pass": self.keys > 0 and self.checked >= self.keys, "requests": self.requests}


@dataclass
class _Run:
    engine: Engine
    hook: Any
    day: dt.date
    source: str
    min_score: float
    index: SponsorIndex
    known: set[str]
    counts: Counter = field(default_factory=Counter)
    examples: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, found: Any, *, method: str, query: str, endpoint: str,
               hint: list[SponsorProfile]) -> bool:
        """Log the request, match and record its apps. False when the request failed."""
        from fingertip.sources.ingest import log_batch

        fetched_at = utcnow()
        log_batch(self.engine, source=self.source, endpoint=endpoint, interval_date=self.day,
                  batch=found.as_batch(), fetched_at=fetched_at)
        self.counts["requests"] += max(1, found.attempts)
        if found.error:
            self.counts["requests_failed"] += 1
            log.error("discovery %s %r failed after %d attempt(s): %s", method, query, found.attempts, found.error)
            return False
        self.counts["requests_ok"] += 1
        accepted = []
        for obs in found.apps:
            if obs.store_app_id in self.known:
                self.counts["in_inventory"] += 1
                continue
            self.counts["candidates"] += 1
            match = self.index.match(obs, hint)
            if match.sponsor is not None and not match.government_seller:
                self.counts["not_government_seller"] += 1
                continue
            if not match.accepted(self.min_score):
                self.counts["below_min_score" if match.sponsor else "no_sponsor"] += 1
                continue
            accepted.append((obs, match))
        if accepted:
            self._record(accepted, method=method, query=query, fingerprint=found.fingerprint or "",
                         fetched_at=fetched_at)
        return True

    def _record(self, accepted: list, *, method: str, query: str, fingerprint: str, fetched_at: dt.datetime) -> None:
        from fingertip.sources.listings import record_listings

        observations = list({obs.store_app_id: obs for obs, _ in accepted}.values())
        self.counts.update({f"listing_{k}": v for k, v in record_listings(
            self.engine, store="apple", snapshot_date=self.day, observations=observations, absent_ids=[],
            source=self.source, fetched_at=fetched_at, fingerprint=fingerprint).items()})
        sl, d = schema.store_listings, schema.listing_discoveries
        with self.engine.begin() as conn:
            ids = dict(conn.execute(sa.select(sl.c.store_app_id, sl.c.id).where(
                sl.c.store == "apple", sl.c.store_app_id.in_([o.store_app_id for o in observations]))).tuples().all())
            linked = set(conn.execute(sa.select(sl.c.store_app_id).where(
                sl.c.store == "apple", sl.c.store_app_id.in_(list(ids)), sl.c.app_id.is_not(None))).scalars())
            existing = set(conn.execute(sa.select(d.c.listing_id).where(d.c.listing_id.in_(list(ids.values()))))
                           .scalars())
            rows = []
            for obs, match in accepted:
                if obs.store_app_id in linked:
                    continue  # linked to an inventory app meanwhile
                rows.append({"listing_id": ids[obs.store_app_id], "method": method, "query": query[:300],
                             "sponsor_id": match.sponsor.id, "score": match.score, "reasons": match.reasons,
                             "discovered_on": self.day, "confirmed_on": self.day, "source": self.source,
                             "fetched_at": fetched_at, "request_fingerprint": fingerprint})
                if ids[obs.store_app_id] not in existing:
                    self.counts["discovered"] += 1
                    if len(self.examples) < 10:
                        self.examples.append({"track_id": obs.store_app_id, "name": obs.name, "seller": obs.developer,
                                              "sponsor": match.sponsor.name, "score": match.score,
                                              "reasons": match.reasons, "method": method})
                else:
                    self.counts["confirmed"] += 1
            ops.upsert(conn, d, rows, key=["listing_id"],
                       update=("confirmed_on", "score", "reasons", "sponsor_id", "fetched_at", "request_fingerprint"))
        self.known.update(o.store_app_id for o in observations if o.store_app_id in linked)


def search_terms(index: SponsorIndex, developer_names: set[str], short_forms: int) -> dict[str, list[str]]:
    """Sponsor credit code → search terms (its name unless a developer account of that name is
    checked by developer, then up to ``short_forms`` short forms)."""
    from fingertip.discovery.matching import normalise

    covered = {normalise(n) for n in developer_names}
    out: dict[str, list[str]] = {}
    for p in sorted(index.by_id.values(), key=lambda p: p.credit_code):
        terms = [] if normalise(p.name) in covered else [p.name]
        terms += [f for f in p.forms if f not in covered][:max(0, short_forms)]
        if terms:
            out[p.credit_code] = terms
    return out


def discover(engine: Engine, hook: Any, *, day: dt.date, budget: int | None = None,
             developer_share: float | None = None, min_score: float | None = None,
             short_forms: int | None = None) -> dict[str, Any]:
    """One day's rolling Apple discovery; returns the summary (what it covered, found and spent)."""
    source = hook.http_conn_id
    extras = {k: hook.extra(k) for k in (*DEFAULTS, "discovery_requests_per_day", "daily_requests",
                                         "requests_per_minute")}
    plan = plan_budget(engine, source=source, day=day, extras=extras, budget=budget, developer_share=developer_share)
    get = {**DEFAULTS, **{k: v for k, v in extras.items() if v is not None and v != ""}}
    with engine.connect() as conn:
        index, developers, dev_names = load_index(conn)
        known = inventory_track_ids(conn)
        cursors = {m: _cursor(conn, source, m) for m in schema.DISCOVERY_MODES}
    terms = search_terms(index, set(dev_names.values()),
                         int(short_forms if short_forms is not None else get["discovery_short_forms"]))
    run = _Run(engine, hook, day, source, float(min_score if min_score is not None else get["discovery_min_score"]),
               index, known)
    progress = {m: ModeProgress(cycle=int(cursors[m]["cycle"] or 0), start=cursors[m]["position"],
                                stop=cursors[m]["position"]) for m in schema.DISCOVERY_MODES}
    dev_keys = list(developers)
    search_keys = list(terms)
    progress["developer"].keys, progress["search"].keys = len(dev_keys), len(search_keys)
    queues = {"developer": _rolling(dev_keys, cursors["developer"]["position"]),
              "search": _rolling(search_keys, cursors["search"]["position"])}
    done = {m: 0 for m in queues}
    left = plan.total

    def cost(mode: str, key: str) -> int:
        return 1 if mode == "developer" else len(terms[key])

    def step(mode: str, allowance: int) -> int:
        """Work through ``mode``'s queue within ``allowance`` requests; returns the requests used."""
        keys, wrap_at = queues[mode]
        prog, used = progress[mode], 0
        while done[mode] < len(keys):
            key = keys[done[mode]]
            if used + cost(mode, key) > allowance:
                break
            ok = True
            # a retried request costs its attempts (each one is a call against Apple's rate limit)
            if mode == "developer":
                found = hook.developer_apps(key)
                used += max(1, found.attempts)
                ok = run.handle(found, method="developer", query=key, endpoint=DEVELOPER_ENDPOINT,
                                hint=developers[key])
            else:
                hint = [index.by_code[key]]
                for term in terms[key]:
                    found = hook.search(term, developer_only=True)
                    used += max(1, found.attempts)
                    ok = run.handle(found, method="search", query=term, endpoint=SEARCH_ENDPOINT, hint=hint) and ok
            if not ok:
                prog.failed += 1
            elif prog.failed == 0:  # the cursor never passes a failed key
                prog.stop = key
            prog.checked += 1
            done[mode] += 1
            if prog.failed == 0 and done[mode] == wrap_at:
                prog.cycle += 1
        prog.requests += used
        return used

    left -= step("developer", min(left, plan.developer))
    left -= step("search", max(0, left))
    left -= step("developer", max(0, left))
    for mode in queues:
        prog = progress[mode]
        if prog.checked and (prog.stop != prog.start or prog.cycle != int(cursors[mode]["cycle"] or 0)):
            _save_cursor(engine, source, mode, prog.stop, prog.cycle, day)
    if run.counts["requests"] and not run.counts["requests_ok"]:
        raise NothingFetched(f"discovery on {source}: none of {run.counts['requests_failed']} request(s) succeeded")
    for key in ALWAYS_REPORTED:
        run.counts.setdefault(key, 0)
    summary = {
        "source": source, "day": day.isoformat(),
        "budget": {"requests": plan.total, "developer_requests": plan.developer, **plan.explanation},
        "requests_used": plan.total - left,
        "developer": progress["developer"].as_dict(), "search": progress["search"].as_dict(),
        **{k: int(v) for k, v in sorted(run.counts.items())},
        "examples": run.examples,
    }
    summary["covered"] = _covered_text(summary)
    log.info("discovery: %s", summary["covered"])
    return summary


def _covered_text(s: dict[str, Any]) -> str:
    d, q = s["developer"], s["search"]
    return (f"{s['requests_used']} of {s['budget']['requests']} discovery requests used "
            f"(after {s['budget']['lookup_requests_today']} lookup requests today); developer accounts "
            f"{d['checked']} of {d['keys']} checked (pass {d['cycle']}), sponsors searched {q['checked']} of "
            f"{q['keys']} (pass {q['cycle']}); {s['discovered']} new unregistered listing(s), "
            f"{s['confirmed']} confirmed again, {s['not_government_seller']} non-government "
            f"seller(s) ignored")

