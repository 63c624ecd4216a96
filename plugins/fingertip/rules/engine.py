"""Detection: evaluate the policy's rules on facts, score inspections, reconcile findings.

``detect(engine, …)`` walks the store province by province (:mod:`.facts`), evaluates every
enabled rule with the thresholds of the entity's province, and gives every app and account two
results: Fingertip's **governance assessment** (every rule with ``scoring``; the project's own
scheme) and, for accounts, the **国办秘函〔2019〕19号 inspection** (only rules with ``indicator``).
Each outcome is ``passed``, ``failed`` or ``no_data`` (settings ``data_missing``: the record is not
monitored; counted apart from the pass rate, never a pass; what fails on known data still fails).
With ``persist=True`` it reconciles the ``findings`` table (:mod:`.findings`) and writes the
``inspections`` of the check date. ``persist=False`` changes nothing (dry runs, ad-hoc audits).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import sqlalchemy as sa

from fingertip.rules import conditions, facts
from fingertip.rules.catalogue import FAMILIES
from fingertip.rules.model import DetectionSummary, FindingEvidence
from fingertip.rules.policy import Policy, Rule, load_policy
from fingertip.store import schema

log = logging.getLogger(__name__)

SCORED = ("app", "account")
#: Record keys listed per rule for "insufficient data" (the first ones; the count is always complete).
INSUFFICIENT_KEYS_KEPT = 200
OUTCOMES = ("passed", "failed", "no_data")


@dataclass(frozen=True)
class Scope:
    """What to check. Empty means everything; key lists restrict to those records only."""

    provinces: tuple[str, ...] = ()  # PP0000 codes
    divisions: tuple[str, ...] = ()  # any level: a prefecture includes its counties
    sponsor_credit_codes: tuple[str, ...] = ()
    app_keys: tuple[str, ...] = ()
    account_keys: tuple[str, ...] = ()
    group_keys: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()  # account/group platforms, stores and mini-program hosts

    @classmethod
    def of(cls, **kw: Iterable[str] | None) -> Scope:
        return cls(**{k: tuple(str(x).strip() for x in (v or ()) if str(x).strip()) for k, v in kw.items()})

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    @property
    def keyed(self) -> bool:
        return bool(self.app_keys or self.account_keys or self.group_keys)

    def division_prefixes(self) -> tuple[str, ...]:
        out = [p[:2] for p in self.provinces]
        for code in self.divisions:
            out.append(code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code)
        return tuple(out)

    def matches(self, target: str, f: Mapping[str, Any]) -> bool:
        if self.keyed:
            keys = {"app": self.app_keys, "account": self.account_keys, "work_group": self.group_keys}.get(target)
            if not keys or f["key"] not in keys:
                return False
        prefixes = self.division_prefixes()
        if prefixes and not any((f.get("division_code") or "").startswith(p) for p in prefixes):
            return False
        if self.sponsor_credit_codes:
            code = f.get("sponsor_credit_code") if target != "sponsor" else f["key"]
            if target == "listing":
                code = (f.get("matched_sponsor") or {}).get("credit_code")
            if code not in self.sponsor_credit_codes:
                return False
        if self.platforms:
            if target in ("account", "work_group") and f.get("platform") not in self.platforms:
                return False
            if target == "app" and not (set(f.get("stores_listed") or ()) | set(f.get("stores_delisted") or ())
                                        | {f.get("host_platform")}) & set(self.platforms):
                return False
            if target == "listing" and f.get("store") not in self.platforms:
                return False
        return True


def sampled(seed: int, target: str, key: str, rate: float) -> bool:
    """Deterministic spot-check sampling: the same seed always draws the same records (``rate`` is
    the record's own probability: the audit's rate times its risk tier's weight, at most 1)."""
    h = hashlib.sha256(f"{seed}:{target}:{key}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64 < rate


def finding_id(rule_id: str, target_type: str, target_key: str) -> str:
    return hashlib.sha256(f"{rule_id}\x1f{target_type}\x1f{target_key}".encode()).hexdigest()[:40]


@dataclass
class FindingRecord:
    id: str
    rule_id: str
    target_type: str
    target_key: str
    target_name: str | None
    severity: str
    title_zh: str
    basis: str
    article: str
    evidence: FindingEvidence
    division_code: str | None
    sponsor_id: int | None
    remediation_zh: str


@dataclass
class InspectionRecord:
    target_type: str
    target_key: str
    target_name: str | None
    division_code: str
    province_code: str
    sponsor_id: int | None
    score: int
    passed: bool
    vetoes: list[str]
    deductions: dict[str, int]
    risk_tier: str
    risk_factors: dict[str, Any]
    outcome: str = "failed"  # governance assessment: passed / failed / no_data
    indicator_outcome: str | None = None  # 19号 inspection (accounts only)
    indicator_score: int | None = None
    indicator_vetoes: list[str] | None = None
    indicator_deductions: dict[str, int] | None = None
    proposes_shutdown: list[str] = field(default_factory=list)  # propose_shutdown rules hit


@dataclass
class DetectionResult:
    check_date: dt.date
    persist: bool
    families: tuple[str, ...] | None
    scope: Scope
    sample_rate: float | None = None
    sample_seed: int | None = None
    findings: list[FindingRecord] = field(default_factory=list)
    inspections: list[InspectionRecord] = field(default_factory=list)
    checked: Counter = field(default_factory=Counter)
    passed: Counter = field(default_factory=Counter)
    by_rule: Counter = field(default_factory=Counter)
    by_article: Counter = field(default_factory=Counter)
    by_severity: Counter = field(default_factory=Counter)
    pass_by_province: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    no_data: Counter = field(default_factory=Counter)  # governance assessment, per target type
    indicator: Counter = field(default_factory=Counter)  # 19号 inspection outcomes (accounts)
    shutdown_beside_pass: Counter = field(default_factory=Counter)  # per target type
    # rule → records its data could not decide (the rule's ``insufficient_data``): no finding, no proposal
    insufficient_data: Counter = field(default_factory=Counter)
    insufficient_keys: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    sampled_keys: set[tuple[str, str]] = field(default_factory=set)
    # spot checks weighted by risk tier (Art. 16; settings tier_uses.audit_sample_weight)
    sample_weights: dict[str, float] | None = None
    # (target type, tier or "untiered") → [records in scope, records drawn]
    sample_by_tier: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    changes: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    policy_version: str = ""

    def summary(self) -> DetectionSummary:
        assessed = {t: self.checked[t] - self.no_data[t] for t in SCORED}
        checked = sum(assessed.values())
        passed = sum(self.passed[t] for t in SCORED)
        ind_checked = self.indicator["passed"] + self.indicator["failed"]
        return {
            "check_date": self.check_date.isoformat(),
            "persist": self.persist,
            "policy_version": self.policy_version,
            "families": list(self.families) if self.families else None,
            "scope": {k: list(v) for k, v in asdict(self.scope).items() if v},
            "sample_rate": self.sample_rate,
            "sample_seed": self.sample_seed,
            "sample_weights": self.sample_weights,
            "sample_by_tier": [{"target_type": t, "tier": tier, "in_scope": n, "sampled": k}
                               for (t, tier), (n, k) in sorted(self.sample_by_tier.items())],
            "checked": dict(self.checked),
            "findings": sum(self.by_rule.values()),
            "by_rule": dict(sorted(self.by_rule.items())),
            "by_article": dict(sorted(self.by_article.items())),
            "by_severity": dict(self.by_severity),
            "inspected": checked,
            "passed": passed,
            "pass_rate": round(passed / checked, 4) if checked else None,
            "no_data": sum(self.no_data[t] for t in SCORED),
            "no_data_by_type": {t: self.no_data[t] for t in SCORED},
            "pass_rate_by_type": {t: round(self.passed[t] / assessed[t], 4) if assessed[t] else None
                                  for t in SCORED},
            "indicator_inspection": {
                "scheme": "国办秘函〔2019〕19号",
                "checked": ind_checked,
                "passed": self.indicator["passed"],
                "failed": self.indicator["failed"],
                "no_data": self.indicator["no_data"],
                "pass_rate": round(self.indicator["passed"] / ind_checked, 4) if ind_checked else None,
            },
            "shutdown_beside_pass": dict(self.shutdown_beside_pass),
            "insufficient_data": dict(sorted(self.insufficient_data.items())),
            "insufficient_data_keys": {r: sorted(k) for r, k in sorted(self.insufficient_keys.items())},
            "pass_rate_by_province": {p: round(v[1] / v[0], 4) for p, v in sorted(self.pass_by_province.items())
                                      if v[0]},
            "changes": self.changes,
            "timings": {k: round(v, 2) for k, v in self.timings.items()},
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value


class _Evaluator:
    """Rules of one target type compiled per province, plus scoring and risk tiers."""

    def __init__(self, policy: Policy, target: str, families: set[str] | None):
        self.policy = policy
        self.target = target
        self.rules: list[Rule] = policy.rules_for(target, families)
        self._compiled: dict[str | None, list[tuple[Rule, Callable, dict, str]]] = {}
        det = policy.settings["scoring"]
        self.start, self.pass_mark = det["start"], det["pass_mark"]
        ind = policy.settings.get("indicator") or det
        self.ind_start, self.ind_pass_mark = ind["start"], ind["pass_mark"]
        self.indicator_rules = {r.id: r for r in self.rules if r.in_indicator_inspection}
        self.shutdown_rules = set(policy.rules_with_action("propose_shutdown"))
        missing = (policy.settings.get("data_missing") or {}).get(target)
        self.data_missing = conditions.compile_condition(missing, {}) if missing else None
        self.tiers = [(t["tier"], conditions.compile_condition(t["when"], {}))
                      for t in policy.settings.get("risk_tiers", {}).get(target, [])]
        self.tier_facts = sorted({n for t in policy.settings.get("risk_tiers", {}).get(target, [])
                                  for n in conditions.facts_named(t["when"])})

    def for_province(self, province: str | None):
        got = self._compiled.get(province)
        if got is None:
            got = []
            for rule in self.rules:
                if not self.policy.enabled_in(rule, province):
                    continue
                th = self.policy.thresholds(rule, province)
                got.append((rule, rule.predicate(th), th, self.policy.severity_in(rule, province)))
            self._compiled[province] = got
        return got

    def risk(self, f: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        factors = {n: f.get(n) for n in self.tier_facts}
        for tier, pred in self.tiers:
            if pred(f):
                return tier, factors
        return "low", factors


def _today() -> dt.date:
    import pendulum

    from fingertip.runtime import TIMEZONE

    today = pendulum.now(TIMEZONE)
    return dt.date(today.year, today.month, today.day)


def _check_arguments(families: Sequence[str] | None, sample_rate: float | None, sample_seed: int | None) -> None:
    if families is not None:
        unknown = sorted(set(families) - set(FAMILIES))
        if unknown:
            raise ValueError(f"unknown rule families {unknown}; known: {', '.join(FAMILIES)}")
    if sample_rate is not None:
        if not 0 < sample_rate <= 1:
            raise ValueError("sample_rate must be in (0, 1]")
        if sample_seed is None:
            raise ValueError("a sample needs a seed (sample_seed) so that it can be drawn again")


class _Detection:
    """One detection run: which records to check, evaluating them, and where the results go."""

    def __init__(self, policy: Policy, result: DetectionResult, fams: set[str] | None, *, collect: bool):
        self.policy, self.result = policy, result
        self.scope, self.check_date = result.scope, result.check_date
        self.sample_rate, self.sample_seed = result.sample_rate, result.sample_seed
        if self.sample_rate is not None:
            from fingertip.rules.policy import tier_uses

            result.sample_weights = {k: float(v) for k, v in tier_uses(policy)["audit_sample_weight"].items()}
        self.collect = collect
        self.evaluators = {t: _Evaluator(policy, t, fams) for t in ("app", "account", "work_group", "sponsor",
                                                                     "listing")}
        self.scope_empty = self.scope.empty
        self.full = self.scope_empty and self.sample_rate is None
        self.write_inspections = result.persist and fams is None
        self.evaluated_targets: dict[str, set[str]] = defaultdict(set)

    def selected(self, target: str, f: Mapping[str, Any]) -> bool:
        """In scope and (spot checks) in the sample; records what was checked."""
        if not self.scope_empty and not self.scope.matches(target, f):
            return False
        if self.sample_rate is not None and target != "sponsor":
            tier = self.evaluators[target].risk(f)[0] if target in SCORED else "untiered"
            weight = (self.result.sample_weights or {}).get(tier, 1.0)
            counts = self.result.sample_by_tier[(target, tier)]
            counts[0] += 1
            if not sampled(self.sample_seed or 0, target, f["key"], min(1.0, self.sample_rate * weight)):
                return False
            counts[1] += 1
            self.result.sampled_keys.add((target, f["key"]))
        self.result.checked[target] += 1
        if not self.full:
            self.evaluated_targets[target].add(f["key"])
        return True

    def evidence(self, rule: Rule, th: Mapping[str, Any], f: Mapping[str, Any],
                 province: str | None) -> FindingEvidence:
        override = self.policy.overrides.get(province or "")
        return {
            "target_name": f.get("name"),
            "facts": _jsonable({n: f.get(n) for n in rule.evidence_facts}),
            "thresholds": dict(th),
            "check_date": self.check_date.isoformat(),
            "data_as_of": _jsonable(f.get("activity_date") or f.get("latest_version_released_at")),
            "province_override": bool(override and rule.id in override.thresholds),
        }

    def visit(self, target: str, items: list[dict], inspections_out: list[dict] | None, sink: list) -> None:
        ev = self.evaluators[target]
        if not ev.rules and target not in SCORED:
            return
        for f in items:
            if self.selected(target, f):
                vetoes, deductions, hits = self.evaluate(ev, target, f, sink)
                if target in SCORED:
                    self.inspect(ev, target, f, vetoes, deductions, hits, inspections_out)

    def evaluate(self, ev: _Evaluator, target: str, f: Mapping[str, Any],
                 sink: list) -> tuple[list[str], dict[str, int], list[str]]:
        """The rules of the record's province: findings into ``sink``; its vetoes and deductions."""
        result = self.result
        province = f.get("province_code")
        vetoes: list[str] = []
        deductions: dict[str, int] = {}
        hits: list[str] = []
        for rule, pred, th, severity in ev.for_province(province):
            if not pred(f):
                undecided = rule.insufficient(th)
                if undecided is not None and undecided(f):
                    result.insufficient_data[rule.id] += 1
                    if len(result.insufficient_keys[rule.id]) < INSUFFICIENT_KEYS_KEPT:
                        result.insufficient_keys[rule.id].append(f"{target}:{f['key']}")
                continue
            hits.append(rule.id)
            sink.append(FindingRecord(
                id=finding_id(rule.id, target, f["key"]), rule_id=rule.id, target_type=target,
                target_key=f["key"], target_name=f.get("name"), severity=severity, title_zh=rule.title_for(th),
                basis=rule.basis, article=rule.article, evidence=self.evidence(rule, th, f, province),
                division_code=f.get("division_code"), sponsor_id=f.get("sponsor_id"),
                remediation_zh=rule.remediation_zh,
            ))
            result.by_rule[rule.id] += 1
            result.by_article[rule.article] += 1
            result.by_severity[severity] += 1
            if rule.veto:
                vetoes.append(rule.id)
            elif rule.deduction:
                deductions[rule.id] = rule.deduction
        return vetoes, deductions, hits

    def inspect(self, ev: _Evaluator, target: str, f: Mapping[str, Any], vetoes: list[str],
                deductions: dict[str, int], hits: list[str], inspections_out: list[dict] | None) -> None:
        """The governance assessment of an app or account and, for accounts, its 19号 inspection."""
        result = self.result
        province = f.get("province_code")
        missing = bool(ev.data_missing and ev.data_missing(f))
        score = max(0, ev.start - sum(deductions.values()))
        outcome = _outcome(bool(vetoes) or score < ev.pass_mark, missing)
        ok = outcome == "passed"
        ind_outcome = ind_score = ind_vetoes = ind_deductions = None
        if target == "account":
            ind_vetoes = [r for r in hits if r in ev.indicator_rules and ev.indicator_rules[r].indicator_veto]
            ind_deductions = {r: ev.indicator_rules[r].indicator_deduction for r in hits
                              if r in ev.indicator_rules and ev.indicator_rules[r].indicator_deduction}
            ind_score = max(0, ev.ind_start - sum(ind_deductions.values()))
            ind_outcome = _outcome(bool(ind_vetoes) or ind_score < ev.ind_pass_mark, missing)
            result.indicator[ind_outcome] += 1
        tier, factors = ev.risk(f)
        result.passed[target] += ok
        shutdown = [r for r in hits if r in ev.shutdown_rules]
        if missing and outcome == "no_data":
            result.no_data[target] += 1
        else:
            bucket = result.pass_by_province[province or "unknown"]
            bucket[0] += 1
            bucket[1] += ok
        if shutdown and (ok or ind_outcome == "passed"):
            result.shutdown_beside_pass[target] += 1
        rec = InspectionRecord(target, f["key"], f.get("name"), f["division_code"], province or "",
                               f.get("sponsor_id"), score, ok, vetoes, deductions, tier, _jsonable(factors),
                               outcome, ind_outcome, ind_score, ind_vetoes, ind_deductions, shutdown)
        if self.collect:
            result.inspections.append(rec)
        if inspections_out is not None:
            inspections_out.append({
                "check_date": self.check_date, "target_type": target, "target_key": f["key"],
                "division_code": f["division_code"], "province_code": province or "",
                "sponsor_id": f.get("sponsor_id"), "score": score, "passed": ok, "vetoes": vetoes,
                "deductions": deductions, "risk_tier": tier, "risk_factors": rec.risk_factors,
                "outcome": outcome, "indicator_outcome": ind_outcome, "indicator_score": ind_score,
                "indicator_vetoes": ind_vetoes, "indicator_deductions": ind_deductions,
            })

    def province(self, conn: sa.Connection, ctx: facts.FactContext, prefix: str, orphan_filings: dict,
                 found: list[FindingRecord]) -> None:
        """Every target type of one province (two-digit prefix); inspections written, findings in ``found``."""
        evs = self.evaluators
        batch: list[dict] | None = [] if self.write_inspections else None
        if _wants(evs["account"]):
            self.visit("account", facts.account_facts(conn, ctx, prefix), batch, found)
        if _wants(evs["app"]):
            self.visit("app", facts.app_facts(conn, ctx, prefix, orphan_filings), batch, found)
        if evs["work_group"].rules:
            self.visit("work_group", facts.group_facts(conn, ctx, prefix), None, found)
        if evs["sponsor"].rules:
            self.visit("sponsor", facts.sponsor_facts(conn, ctx, prefix), None, found)
        if self.write_inspections and self.full:
            conn.execute(sa.delete(schema.inspections).where(schema.inspections.c.check_date == self.check_date,
                                                             schema.inspections.c.province_code == prefix + "0000"))
        if batch:
            _write_inspections(conn, batch, replace=not self.full)


def _select_prefixes(conn: sa.Connection, scope: Scope) -> list[str]:
    """Two-digit province prefixes to walk: those in the store, limited to the scope."""
    prefixes = facts.province_prefixes(conn)
    wanted = set(scope.division_prefixes())
    if wanted:
        return [p for p in prefixes if any(w.startswith(p) or p.startswith(w[:2]) for w in wanted)]
    if scope.keyed or scope.sponsor_credit_codes:
        return _prefixes_of_keys(conn, scope) or []
    return prefixes


def detect(engine: sa.Engine, policy: Policy | None = None, *, check_date: dt.date | None = None,
           scope: Scope | None = None, families: Sequence[str] | None = None, sample_rate: float | None = None,
           sample_seed: int | None = None, persist: bool = True, collect: bool | None = None,
           now: dt.datetime | None = None) -> DetectionResult:
    """Run the rules; see the module docstring. ``collect`` keeps every finding and inspection in
    the result (default: when not persisting — a stored run streams them to the store province by
    province and keeps counts only, so memory does not grow with the findings)."""
    policy = policy or load_policy()
    scope = scope or Scope()
    check_date = check_date or _today()
    _check_arguments(families, sample_rate, sample_seed)
    fams = set(families) if families else None
    collect = (not persist) if collect is None else collect
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    result = DetectionResult(check_date, persist, tuple(sorted(fams)) if fams else None, scope, sample_rate,
                             sample_seed, policy_version=policy.version)
    run = _Detection(policy, result, fams, collect=collect)
    ctx = facts.FactContext(check_date, policy.settings)
    t0 = time.perf_counter()

    # One transaction per province (and one to finish): a long single transaction makes SQLite's
    # WAL grow with the store and every read slower — superlinear. A run that fails half-way leaves
    # the provinces it finished up to date; its retry redoes everything idempotently.
    with engine.connect() as conn:
        with conn.begin():
            prefixes = _select_prefixes(conn, scope)
            orphan_filings = facts.unlinked_filings(conn) if _wants(run.evaluators["app"]) else {}
        reconciler = None
        if persist:
            from fingertip.rules.findings import Reconciler

            reconciler = Reconciler(conn, rule_ids=[r.id for ev in run.evaluators.values() for r in ev.rules],
                                    check_date=check_date, now=now,
                                    targets=None if run.full else run.evaluated_targets)
        t_reconcile = 0.0

        def flush(found: list[FindingRecord]) -> None:
            nonlocal t_reconcile
            if reconciler is not None and found:
                t1 = time.perf_counter()
                reconciler.add(found)
                t_reconcile += time.perf_counter() - t1
            if collect:
                result.findings.extend(found)

        for prefix in prefixes:
            tp = time.perf_counter()
            with conn.begin():
                found: list[FindingRecord] = []
                run.province(conn, ctx, prefix, orphan_filings, found)
                flush(found)
            result.timings[f"province_{prefix}"] = time.perf_counter() - tp
        with conn.begin():
            if run.evaluators["listing"].rules:
                found = []
                run.visit("listing", facts.listing_facts(conn, ctx), None, found)
                flush(found)
            if run.write_inspections and run.full:  # provinces that no longer hold anything
                conn.execute(sa.delete(schema.inspections).where(
                    schema.inspections.c.check_date == check_date,
                    schema.inspections.c.province_code.not_in([p + "0000" for p in prefixes] or [""])))
            result.timings["evaluate"] = time.perf_counter() - t0 - t_reconcile
            if reconciler is not None:
                t1 = time.perf_counter()
                result.changes = reconciler.finish()
                result.timings["reconcile"] = t_reconcile + time.perf_counter() - t1
    result.timings = {k: v for k, v in result.timings.items() if not k.startswith("province_")} | {
        "provinces": sum(v for k, v in result.timings.items() if k.startswith("province_"))}
    log.info("detection %s: %s", check_date, {k: v for k, v in result.summary().items()
                                                 if k in ("checked", "findings", "pass_rate", "changes")})
    return result


def _outcome(failed: bool, missing: bool) -> str:
    """What fails on the data that is known fails; otherwise missing data is "no_data", never a pass."""
    if failed:
        return "failed"
    return "no_data" if missing else "passed"


def _wants(ev: _Evaluator) -> bool:
    return bool(ev.rules) or ev.target in SCORED


def _prefixes_of_keys(conn, scope: Scope) -> list[str]:
    found: set[str] = set()
    pairs = ((schema.apps, schema.apps.c.app_key, scope.app_keys), (schema.accounts, schema.accounts.c.account_key, scope.account_keys),
             (schema.work_groups, schema.work_groups.c.group_key, scope.group_keys),
             (schema.sponsors, schema.sponsors.c.credit_code, scope.sponsor_credit_codes))
    for table, col, keys in pairs:
        for chunk in _chunks(list(keys)):
            q = sa.select(sa.func.substr(table.c.division_code, 1, 2)).where(col.in_(chunk)).distinct()
            found.update(conn.execute(q).scalars())
    return sorted(found)


def _chunks(seq: list, n: int = 500):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def _write_inspections(conn, rows: list[dict], *, replace: bool) -> None:
    from fingertip.store import ops

    for chunk in _chunks(rows, 2000):
        if replace:
            ops.upsert(conn, schema.inspections, chunk, key=("check_date", "target_type", "target_key"))
        else:
            conn.execute(sa.insert(schema.inspections), chunk)
