"""Delisting verification (下架核验) of stopped cases, over HTTP with the project's source hooks.

After the stop date, each channel where the target was listed is checked once a day:

* ``store:apple`` — Apple iTunes Lookup (``/lookup?id=<trackId>&country=cn``): present when the
  trackId is in ``results``;
* ``store:<android store>`` — the Android listing feed filtered by package
  (``/android/v1/listings?store=…&package=…``): present when listed and ``available``;
* ``filing:<kind>`` — the filing registry (``/filings/v1/records?kind=…&licence=…``): present
  while a record with status ``active`` is returned (absent or ``cancelled`` = cancelled);
* ``platform:<platform>`` — the account activity feed of the account's province and platform:
  present while the account is in the feed;
* ``inventory:work_group`` — work groups have no public API: present until the inventory records
  the group closed (``closed_on``).

Every check is a ``case_checks`` row (request, SHA-256 of the response body, time), one per channel
and day (re-running a day asks nothing again). A request that fails after retries records nothing
— a failure is never taken for an absence. A case is verified when every listing/platform channel
has ``consecutive_checks`` (2) absent checks in a row since the stop date (or since it was
reopened) and every filing's latest check shows it cancelled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from typing import Any

import requests
import sqlalchemy as sa

from fingertip.lifecycle import cases
from fingertip.lifecycle.settings import Settings
from fingertip.store import schema
from fingertip.store.ops import upsert

log = logging.getLogger(__name__)
K = schema.case_checks
VERIFY_STATES = ("service_stopped", "data_disposed")


class _Capture:
    """A requests session that remembers the SHA-256 of the last response body."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "fingertip/0.1 (verification)"})
        self.last_sha: str | None = None
        self.session.hooks["response"].append(self._hook)

    def _hook(self, resp: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self.last_sha = hashlib.sha256(resp.content).hexdigest()
        return resp


class Checker:
    """Asks the sources whether a channel still lists a target. One instance per task run."""

    def __init__(self) -> None:
        from fingertip.hooks.activity import AccountActivityHook
        from fingertip.hooks.android import AndroidFeedHook
        from fingertip.hooks.apple import AppleLookupHook
        from fingertip.hooks.filings import FilingRegistryHook

        self._cap = {name: _Capture() for name in ("apple", "android", "filings", "activity")}
        self.apple = AppleLookupHook(session=self._cap["apple"].session)
        self.android = AndroidFeedHook(session=self._cap["android"].session)
        self.filings = FilingRegistryHook(session=self._cap["filings"].session)
        self.activity = AccountActivityHook(session=self._cap["activity"].session)

    def _get(self, hook: Any, cap: str, path: str, params: dict[str, Any]) -> tuple[Any, str, str | None]:
        from urllib.parse import urlencode

        fetched = hook.get_json(path, params)
        request = f"GET {fetched.url}?{urlencode(params)}"[:1000]
        return fetched.payload, request, self._cap[cap].last_sha

    def apple_present(self, track_id: str) -> tuple[bool, str, str | None]:
        payload, request, sha = self._get(self.apple, "apple", "/lookup",
                                          {"id": str(track_id), "country": self.apple.extra("country", "cn")})
        results = payload.get("results") if isinstance(payload, dict) else None
        if not isinstance(results, list):
            raise ValueError(f"lookup response without results: {request}")
        present = any(str(r.get("trackId")) == str(track_id) for r in results if isinstance(r, dict))
        return present, request, sha

    def android_present(self, store: str, package: str) -> tuple[bool, str, str | None]:
        from fingertip.hooks.android import parse_listing

        payload, request, sha = self._get(self.android, "android", "/android/v1/listings",
                                          {"store": store, "package": package, "page": 1, "page_size": 50})
        present = False
        for item in payload.get("items") or []:
            try:
                _, obs = parse_listing(item, store)
            except ValueError:
                continue
            if obs.store_app_id == package and obs.available:
                present = True
        return present, request, sha

    def filing_present(self, kind: str, licence: str) -> tuple[bool, str, str | None]:
        from fingertip.hooks.filings import parse_filing

        payload, request, sha = self._get(self.filings, "filings", "/filings/v1/records",
                                          {"kind": kind, "licence": licence, "page": 1, "page_size": 50})
        present = False
        for item in payload.get("items") or []:
            try:
                _, rec = parse_filing(item, kind)
            except ValueError:
                continue
            if rec.service_licence == licence and rec.status == "active":
                present = True
        return present, request, sha

    def account_present(self, platform: str, account_id: str, province: str, day: dt.date) -> tuple[bool, str, str | None]:
        """Walks the account feed of one province and platform (the feed has no per-account filter)."""
        page, digest, first_request = 1, hashlib.sha256(), None
        present = False
        while True:
            params = {"date": day.isoformat(), "province": province, "platform": platform, "page": page,
                      "page_size": 1000}
            payload, request, sha = self._get(self.activity, "activity", "/accounts/v1/activity", params)
            first_request = first_request or request
            digest.update((sha or "").encode())
            if any(str(i.get("account_id")) == account_id for i in payload.get("items") or [] if isinstance(i, dict)):
                present = True
            if not payload.get("next_page"):
                break
            page += 1
        return present, first_request, digest.hexdigest() if page > 1 else sha


def channels(conn: sa.Connection, case: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """``[(channel, channel_key, how)]`` to check for a case's target."""
    target = cases.target_row(conn, case["target_type"], case["target_key"])
    if target is None:
        return []
    out = []
    if case["target_type"] == "app":
        for row in conn.execute(sa.select(schema.store_listings.c.store, schema.store_listings.c.store_app_id)
                                .where(schema.store_listings.c.app_id == target["id"]).order_by(schema.store_listings.c.store)):
            out.append((f"store:{row.store}", row.store_app_id, {"store": row.store}))
        for row in conn.execute(sa.select(schema.filings.c.filing_kind, schema.filings.c.service_licence)
                                .where(schema.filings.c.app_id == target["id"]).order_by(schema.filings.c.service_licence)):
            out.append((f"filing:{row.filing_kind}", row.service_licence, {"kind": row.filing_kind}))
    elif case["target_type"] == "account":
        out.append((f"platform:{target['platform']}", target["platform_account_id"],
                    {"platform": target["platform"], "province": target["division_code"][:2]}))
    elif case["target_type"] == "work_group":
        out.append(("inventory:work_group", target["group_key"], {"closed_on": target["closed_on"]}))
    return out


def _since(case: dict[str, Any], settings: Settings) -> dt.date | None:
    if case["stop_on"] is None:
        return None
    start = settings.verification_start(case["stop_on"])
    reopened = (case.get("details") or {}).get("reopened_on")
    if reopened:
        start = max(start, dt.date.fromisoformat(reopened) + dt.timedelta(days=1))
    return start


def check_case(engine: sa.Engine, case: dict[str, Any], *, day: dt.date, checker: Checker) -> dict[str, Any]:
    """Run today's checks of one case (those not yet done today). Failed requests record nothing."""
    with engine.connect() as conn:
        todo = channels(conn, case)
        done = {(r.channel, r.channel_key) for r in conn.execute(
            sa.select(K.c.channel, K.c.channel_key).where(K.c.case_id == case["id"], K.c.check_date == day))}
    rows, failed = [], []
    for channel, key, how in todo:
        if (channel, key) in done:
            continue
        try:
            if channel == "store:apple":
                present, request, sha = checker.apple_present(key)
            elif channel.startswith("store:"):
                present, request, sha = checker.android_present(how["store"], key)
            elif channel.startswith("filing:"):
                present, request, sha = checker.filing_present(how["kind"], key)
            elif channel.startswith("platform:"):
                present, request, sha = checker.account_present(how["platform"], key, how["province"], day)
            else:  # inventory:work_group
                present = how["closed_on"] is None or how["closed_on"] > day
                request = f"inventory work_groups.group_key={key}"
                sha = hashlib.sha256(f"closed_on={how['closed_on']}".encode()).hexdigest()
        # SourceFetchError, bad body, connection, parser: recorded as a failed check, never as an absence
        except Exception as exc:  # noqa: BLE001 — a failed check, see above
            log.warning("case %s: check %s %s failed: %s", case["case_key"], channel, key, exc)
            failed.append({"channel": channel, "key": key, "error": str(exc)[:300]})
            continue
        rows.append({"case_id": case["id"], "check_date": day, "channel": channel, "channel_key": key,
                     "present": bool(present), "request": request, "response_fingerprint": sha,
                     "checked_at": cases.utcnow()})
    if rows:
        with engine.begin() as conn:
            upsert(conn, K, rows, key=["case_id", "check_date", "channel", "channel_key"], update=())
    return {"case": case["case_key"], "checked": len(rows), "already": len(done), "failed": failed}


def evaluate(conn: sa.Connection, case: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Whether the case is verified: per channel, the absent streak and the latest check."""
    since = _since(case, settings)
    todo = channels(conn, case)
    checks = defaultdict(list)
    if since is not None:
        for r in conn.execute(sa.select(K.c.channel, K.c.channel_key, K.c.check_date, K.c.present)
                              .where(K.c.case_id == case["id"], K.c.check_date >= since)
                              .order_by(K.c.check_date.desc())):
            checks[(r.channel, r.channel_key)].append(r)
    per_channel, verified = [], bool(todo) and since is not None
    for channel, key, _ in todo:
        history = checks.get((channel, key), [])
        streak = 0
        for r in history:
            if r.present:
                break
            streak += 1
        if channel.startswith("filing:"):
            ok = (not settings.require_filings_cancelled) or (bool(history) and not history[0].present)
        else:
            ok = streak >= settings.consecutive_checks
        verified = verified and ok
        per_channel.append({"channel": channel, "key": key, "absent_streak": streak, "checks": len(history),
                            "latest_present": history[0].present if history else None, "ok": ok})
    return {"verified": verified, "since": since.isoformat() if since else None, "channels": per_channel}


def verify_cases(engine: sa.Engine, *, day: dt.date, settings: Settings, case_keys: list[str] | None = None,
                 checker: Checker | None = None, actor: str = cases.SYSTEM_ACTOR) -> dict[str, Any]:
    """Check every stopped case due for verification; advance the ones that are verified."""
    with engine.connect() as conn:
        due = [x for x in cases.list_cases(conn, VERIFY_STATES, case_keys=case_keys)
               if (since := _since(x, settings)) is not None and day >= since]
    summary: dict[str, Any] = {"due": len(due), "checks": 0, "failed": [], "verified": [], "closed": [],
                               "waiting_for_disposal": []}
    for case in due:
        if checker is None:  # only when some case is due: the checker opens HTTP sessions
            checker = Checker()
        result = check_case(engine, case, day=day, checker=checker)
        summary["checks"] += result["checked"]
        summary["failed"] += result["failed"]
        with engine.begin() as conn:
            case = cases.get_case(conn, case["id"])
            state = evaluate(conn, case, settings)
            cases.update_details(conn, case["id"], {"verification": {**state, "evaluated_on": day.isoformat()}})
            if not state["verified"]:
                continue
            if case["state"] == "service_stopped":
                summary["waiting_for_disposal"].append(case["case_key"])
                continue
            case = cases.get_case(conn, case["id"])
            if cases.transition(conn, case, "data_disposed", "delisting_verified", actor=actor,
                                reason=f"已连续{settings.consecutive_checks}次核验确认在各应用商店/平台下架，备案已注销",
                                evidence=state):
                summary["verified"].append(case["case_key"])
                case = cases.get_case(conn, case["id"])
                if cases.transition(conn, case, "delisting_verified", "closed", actor=actor,
                                    reason="公告、停止服务、数据处置和下架核验均已完成，案件办结", evidence={"closed_on": day.isoformat()}):
                    cases.set_target_status(conn, case["target_type"], case["target_key"], "closed")
                    summary["closed"].append(case["case_key"])
    return summary


# --- relisting after closure -------------------------------------------------------------------------

def find_relisted(conn: sa.Connection, case: dict[str, Any], *, after: dt.date) -> dict[str, Any] | None:
    """Evidence that a verified/closed target is back: a ``relisted`` event, a present snapshot or check,
    or (accounts) a post after ``after``."""
    target = cases.target_row(conn, case["target_type"], case["target_key"])
    if target is None:
        return None
    if case["target_type"] == "app":
        listing_ids = sa.select(schema.store_listings.c.id).where(schema.store_listings.c.app_id == target["id"])
        ev = conn.execute(sa.select(schema.listing_events.c.event_date, schema.store_listings.c.store,
                                    schema.store_listings.c.store_app_id)
                          .join(schema.store_listings, schema.store_listings.c.id == schema.listing_events.c.listing_id)
                          .where(schema.listing_events.c.listing_id.in_(listing_ids),
                                 schema.listing_events.c.event_type == "relisted", schema.listing_events.c.event_date > after)
                          .order_by(schema.listing_events.c.event_date)).first()
        if ev is not None:
            return {"source": "listing_events", "event": "relisted", "date": ev.event_date.isoformat(),
                    "store": ev.store, "store_app_id": ev.store_app_id}
        snap = conn.execute(sa.select(schema.listing_snapshots.c.snapshot_date, schema.store_listings.c.store,
                                      schema.store_listings.c.store_app_id)
                            .join(schema.store_listings, schema.store_listings.c.id == schema.listing_snapshots.c.listing_id)
                            .where(schema.listing_snapshots.c.listing_id.in_(listing_ids),
                                   schema.listing_snapshots.c.present.is_(True),
                                   schema.listing_snapshots.c.snapshot_date > after)
                            .order_by(schema.listing_snapshots.c.snapshot_date)).first()
        if snap is not None:
            return {"source": "listing_snapshots", "date": snap.snapshot_date.isoformat(), "store": snap.store,
                    "store_app_id": snap.store_app_id}
    elif case["target_type"] == "account":
        act = schema.account_activity
        row = conn.execute(sa.select(act.c.activity_date, act.c.last_post_at)
                           .where(act.c.account_id == target["id"], act.c.activity_date > after,
                                  act.c.last_post_at > dt.datetime.combine(after, dt.time.max))
                           .order_by(act.c.activity_date)).first()
        if row is not None:
            return {"source": "account_activity", "date": row.activity_date.isoformat(),
                    "last_post_at": row.last_post_at.isoformat()}
    chk = conn.execute(sa.select(K.c.check_date, K.c.channel, K.c.channel_key)
                       .where(K.c.case_id == case["id"], K.c.present.is_(True), K.c.check_date > after,
                              ~K.c.channel.startswith("filing:"))
                       .order_by(K.c.check_date)).first()
    if chk is not None:
        return {"source": "case_checks", "date": chk.check_date.isoformat(), "channel": chk.channel,
                "channel_key": chk.channel_key}
    return None


def _verified_on(conn: sa.Connection, case: dict[str, Any]) -> dt.date | None:
    at = conn.execute(sa.select(sa.func.max(schema.case_events.c.occurred_at)).where(
        schema.case_events.c.case_id == case["id"], schema.case_events.c.to_state == "delisting_verified")).scalar()
    return at.date() if at is not None else None


def reopen_relisted(engine: sa.Engine, *, day: dt.date, settings: Settings, actor: str = cases.SYSTEM_ACTOR
                    ) -> list[str]:
    """Reopen verified/closed cases whose target came back (transition back to ``service_stopped``)."""
    reopened = []
    with engine.connect() as conn:
        candidates = cases.list_cases(conn, ("delisting_verified", "closed"))
    for case in candidates:
        with engine.begin() as conn:
            verified_on = _verified_on(conn, case)
            if verified_on is None or (day - verified_on).days > settings.monitor_days_after_close:
                continue
            reopened_on = (case.get("details") or {}).get("reopened_on")
            after = max(verified_on, dt.date.fromisoformat(reopened_on)) if reopened_on else verified_on
            evidence = find_relisted(conn, case, after=after)
            if evidence is None:
                continue
            count = int((case.get("details") or {}).get("reopen_count", 0)) + 1
            details = {**(case.get("details") or {}), "reopened_on": day.isoformat(), "reopen_count": count,
                       "verification": None}
            if cases.transition(conn, case, case["state"], "service_stopped", actor=actor,
                                reason=f"已下架的目标重新上架（{evidence['source']}，{evidence['date']}），案件重新打开，"
                                   f"重新核验下架 / target relisted after closure: case reopened",
                                evidence=evidence, values={"details": details}):
                cases.set_target_status(conn, case["target_type"], case["target_key"], "shutting_down")
                reopened.append(case["case_key"])
    return reopened
