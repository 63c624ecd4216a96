"""Policy files: rules as data, checked against a schema when loaded.

Layout (``FINGERTIP_POLICY_DIR``, default ``fingertip/resources/policy``):

* ``articles.yaml`` — the bases rules cite: document, article, the Chinese wording, kind (national
  rule, national inspection indicator, local practice with locality and source, Fingertip default
  with its source), label; wording marked ``text: <name>`` is checked verbatim against
  ``texts/<name>.txt``;
* ``settings.yaml`` — detection vocabularies, similarity, scoring, risk tiers;
* ``rules/*.yaml`` — ``rules:`` lists (id, title_zh, target, family, severity, basis, thresholds,
  when, scoring, actions, evidence, remediation_zh, enabled);
* ``overrides/<province code>.yaml`` — a province changes ``thresholds``, ``enabled`` or
  ``severity`` of existing rules without copying them.

Every problem is reported as ``file:line: message`` (:class:`PolicySourceError`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from fingertip.rules import conditions
from fingertip.rules.catalogue import FACTS, FAMILIES, TARGETS
from fingertip.rules.yamlsource import PolicySourceError, line_of, load

SEVERITIES = ("high", "medium", "low")
#: Risk tiers (Art. 16) of apps and accounts, highest first; ``low`` when no tier condition holds
#: (``settings.yaml`` risk_tiers; the store's ``inspections.risk_tier``).
RISK_TIERS = ("high", "medium", "low")
ACTIONS = ("propose_shutdown", "notify_sponsor")
RULE_KEYS = {"id", "title_zh", "target", "family", "severity", "basis", "thresholds", "threshold_basis", "when",
             "scoring", "indicator", "actions", "evidence", "remediation_zh", "enabled", "insufficient_data"}
REQUIRED_RULE_KEYS = ("id", "title_zh", "target", "family", "severity", "basis", "when", "remediation_zh")
OVERRIDE_KEYS = {"thresholds", "enabled", "severity", "source"}
#: Kinds of basis (articles.yaml ``kind``) and their Chinese names.
BASIS_KINDS: dict[str, str] = {
    "national_rule": "国家规定",
    "national_indicator": "国家检查指标",
    "local_practice": "地方做法",
    "default": "Fingertip默认值",
}
ARTICLE_KEYS = {"kind", "document", "article", "wording", "label", "text", "locality", "source", "note"}
_ID_RE = re.compile(r"^[a-z_]+\.[a-z0-9_]+\Z")
_THRESHOLD_NAME = re.compile(r"^[a-z_][a-z0-9_]*\Z")
_PROVINCE_CODE = re.compile(r"^[0-9]{2}0000\Z", re.ASCII)


def default_dir() -> Path:
    from fingertip import config

    return config.policy_dir()


@dataclass(frozen=True)
class Article:
    key: str
    document: str
    article: str
    label: str
    kind: str = "national_rule"
    wording: str = ""
    text: str | None = None  # held text the wording is quoted from (texts/<text>.txt)
    locality: str | None = None
    source: str | None = None
    note: str | None = None

    @property
    def kind_zh(self) -> str:
        return BASIS_KINDS[self.kind]

    @property
    def is_default(self) -> bool:
        return self.kind == "default"


@dataclass
class Rule:
    id: str
    title_zh: str
    target: str
    family: str
    severity: str
    basis_keys: tuple[str, ...]
    basis: str
    article: str
    thresholds: dict[str, float]
    when: Mapping[str, Any]
    veto: bool
    deduction: int
    actions: tuple[str, ...]
    evidence: tuple[str, ...]
    remediation_zh: str
    enabled: bool
    source: str
    threshold_basis: dict[str, str] = field(default_factory=dict)
    default_thresholds: tuple[str, ...] = ()  # thresholds whose basis is a Fingertip default
    basis_kinds: tuple[str, ...] = ()  # kind of each basis key, in order
    indicator_veto: bool = False  # 国办秘函〔2019〕19号 inspection: a single-veto item
    indicator_deduction: int = 0  # 国办秘函〔2019〕19号 inspection: points deducted
    indicator_source: str | None = None  # basis key of the deduction (national indicator or local practice)
    # when the rule does not fire and this holds, the data cannot decide it: "insufficient data"
    insufficient_data: Mapping[str, Any] | None = None
    _compiled: dict = field(default_factory=dict, repr=False)

    @property
    def in_indicator_inspection(self) -> bool:
        return self.indicator_veto or self.indicator_deduction > 0

    def title_for(self, thresholds: Mapping[str, Any]) -> str:
        try:
            return self.title_zh.format(**{k: _fmt(v) for k, v in thresholds.items()})
        except (KeyError, IndexError, ValueError):
            return self.title_zh

    def predicate(self, thresholds: Mapping[str, Any]):
        key = tuple(sorted(thresholds.items()))
        fn = self._compiled.get(key)
        if fn is None:
            fn = self._compiled[key] = conditions.compile_condition(self.when, thresholds)
        return fn

    def insufficient(self, thresholds: Mapping[str, Any]):
        """The compiled ``insufficient_data`` condition, or None when the rule has none."""
        if self.insufficient_data is None:
            return None
        key = ("insufficient", *sorted(thresholds.items()))
        fn = self._compiled.get(key)
        if fn is None:
            fn = self._compiled[key] = conditions.compile_condition(self.insufficient_data, thresholds)
        return fn

    @cached_property
    def evidence_facts(self) -> tuple[str, ...]:
        named = sorted(conditions.facts_named(self.when))
        return tuple(dict.fromkeys([*named, *self.evidence]))


def _fmt(v: Any) -> Any:
    return int(v) if isinstance(v, float) and v.is_integer() else v


@dataclass
class Override:
    province: str
    source: str
    thresholds: dict[str, dict[str, float]]
    enabled: dict[str, bool]
    severity: dict[str, str]
    sources: dict[str, str] = field(default_factory=dict)  # rule id -> where the province's value comes from


@dataclass
class Policy:
    directory: Path
    articles: dict[str, Article]
    settings: dict[str, Any]
    rules: dict[str, Rule]
    overrides: dict[str, Override]
    version: str

    # -- queries -------------------------------------------------------------------------------

    def rules_for(self, target: str, families: set[str] | None = None) -> list[Rule]:
        return [r for r in self.rules.values()
                if r.target == target and r.enabled and (families is None or r.family in families)]

    def rules_with_action(self, action: str) -> list[str]:
        return [r.id for r in self.rules.values() if action in r.actions and r.enabled]

    @property
    def article_labels(self) -> dict[str, str]:
        return {k: a.label for k, a in self.articles.items()}

    def thresholds(self, rule: Rule, province: str | None) -> dict[str, float]:
        ov = self.overrides.get(province or "")
        if ov and rule.id in ov.thresholds:
            return {**rule.thresholds, **ov.thresholds[rule.id]}
        return rule.thresholds

    def enabled_in(self, rule: Rule, province: str | None) -> bool:
        ov = self.overrides.get(province or "")
        if ov and rule.id in ov.enabled:
            return ov.enabled[rule.id]
        return rule.enabled

    def severity_in(self, rule: Rule, province: str | None) -> str:
        ov = self.overrides.get(province or "")
        return ov.severity.get(rule.id, rule.severity) if ov else rule.severity

    def describe(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "version": self.version,
            "rules": len(self.rules),
            "enabled": sum(r.enabled for r in self.rules.values()),
            "by_target": {t: sum(1 for r in self.rules.values() if r.target == t) for t in TARGETS},
            "overrides": sorted(self.overrides),
        }


# -- loading -----------------------------------------------------------------------------------

def _overrides_dir(policy: Path, *, explicit: bool) -> Path:
    """``<policy>/overrides``, or the configured ``overrides_dir`` when the policy folder is the configured one."""
    from fingertip import config

    return policy / "overrides" if explicit else config.overrides_dir()


def load_policy(directory: str | Path | None = None) -> Policy:
    """Load and check the policy directory; raises :class:`PolicySourceError` on any problem."""
    d = Path(directory) if directory else default_dir()
    if not d.is_dir():
        raise PolicySourceError(d, None, "policy directory not found (set FINGERTIP_POLICY_DIR)")
    articles = _load_articles(d / "articles.yaml")
    settings_path = d / "settings.yaml"
    settings = load(settings_path)
    _check_settings(settings, settings_path, articles)
    rules: dict[str, Rule] = {}
    rule_files = sorted((d / "rules").glob("*.yaml"))
    if not rule_files:
        raise PolicySourceError(d / "rules", None, "no rule files (*.yaml)")
    for path in rule_files:
        for rule in _load_rules(path, articles):
            if rule.id in rules:
                raise PolicySourceError(path, None, f"rule {rule.id!r} is also defined in {rules[rule.id].source}")
            rules[rule.id] = rule
    overrides: dict[str, Override] = {}
    ov_dir = _overrides_dir(d, explicit=directory is not None)
    for path in sorted(ov_dir.glob("*.yaml")) if ov_dir.is_dir() else []:
        ov = _load_override(path, rules)
        if ov.province in overrides:
            raise PolicySourceError(path, None, f"province {ov.province} is also overridden in "
                                                f"{overrides[ov.province].source}")
        overrides[ov.province] = ov
    return Policy(d, articles, settings, rules, overrides, str(settings.get("version", "")))


def _mapping(value: Any, path: Path, line: int | None, what: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise PolicySourceError(path, line, f"{what} must be a mapping, got {type(value).__name__}")
    return value


def _load_articles(path: Path) -> dict[str, Article]:
    doc = _mapping(load(path), path, 1, "the file")
    body = _mapping(doc.get("articles"), path, line_of(doc, "articles"), "'articles'")
    out = {}
    texts: dict[str, str] = {}
    for key, spec in body.items():
        spec = _mapping(spec, path, line_of(body, key), f"article {key!r}")
        unknown = set(spec) - ARTICLE_KEYS
        if unknown:
            raise PolicySourceError(path, line_of(spec, sorted(unknown)[0]), f"article {key!r}: unknown key "
                                                                            f"{sorted(unknown)[0]!r}")
        kind = spec.get("kind")
        if kind is None:
            raise PolicySourceError(path, line_of(body, key), f"article {key!r}: basis kind undeclared ('kind' is "
                                                              f"one of {', '.join(BASIS_KINDS)})")
        if kind not in BASIS_KINDS:
            raise PolicySourceError(path, line_of(spec, "kind"), f"article {key!r}: unknown basis kind {kind!r} "
                                                                 f"(one of {', '.join(BASIS_KINDS)})")
        required = ["document", "article", "label"]
        required += ["source"] if kind == "default" else ["wording"]
        required += ["locality", "source"] if kind == "local_practice" else []
        for k in required:
            if not isinstance(spec.get(k), str) or not spec[k].strip():
                raise PolicySourceError(path, line_of(spec, k) if k in spec else line_of(body, key),
                                        f"article {key!r}: '{k}' must be a non-empty text (kind {kind})")
        if kind == "default" and "默认" not in spec["label"]:
            raise PolicySourceError(path, line_of(spec, "label"), f"article {key!r}: the label of a Fingertip "
                                                                  "default must say so (默认)")
        text = spec.get("text")
        if text is not None:
            if text not in texts:
                held = path.parent / "texts" / f"{text}.txt"
                if not held.is_file():
                    raise PolicySourceError(path, line_of(spec, "text"), f"article {key!r}: held text {held} not found")
                texts[text] = _squash(held.read_text(encoding="utf-8"))
            if _squash(spec.get("wording") or "") not in texts[text]:
                raise PolicySourceError(path, line_of(spec, "wording"), f"article {key!r}: the wording is not found "
                                                                        f"verbatim in texts/{text}.txt")
        out[key] = Article(key, spec["document"], spec["article"], spec["label"], kind=kind,
                           wording=(spec.get("wording") or "").strip(), text=text, locality=spec.get("locality"),
                           source=spec.get("source"), note=spec.get("note"))
    return out


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _check_settings(doc: Any, path: Path, articles: Mapping[str, Article] | None = None) -> None:
    doc = _mapping(doc, path, 1, "the file")
    det = _mapping(doc.get("detection"), path, line_of(doc, "detection"), "'detection'")
    for key in ("levels", "generic_words", "trivial_descriptions", "sensitive_features", "internal_scopes"):
        if not isinstance(det.get(key), list):
            raise PolicySourceError(path, line_of(det, key), f"detection.{key} must be a list")
    _check_forced_phrases(det, path)
    regimes = _mapping(det.get("filing_required_from"), path, line_of(det, "filing_required_from"),
                       "detection.filing_required_from")
    for kind in ("icp_app", "gov_app"):
        if not isinstance(regimes.get(kind), dt.date):
            raise PolicySourceError(path, line_of(regimes, kind) if kind in regimes else line_of(det, "filing_required_from"),
                                    f"detection.filing_required_from.{kind} must be a date (YYYY-MM-DD)")
    _check_similarity(det, path)
    for key in ("min_description_chars", "rating_growth_window_days", "rating_growth_min_days"):
        if not isinstance(det.get(key), int) or det[key] < 0:
            raise PolicySourceError(path, line_of(det, key), f"detection.{key} must be a non-negative integer")
    for section in ("scoring", "indicator"):
        scoring = _mapping(doc.get(section), path, line_of(doc, section), f"'{section}'")
        for key in ("start", "pass_mark"):
            if not isinstance(scoring.get(key), int) or not 0 <= scoring[key] <= 1000:
                raise PolicySourceError(path, line_of(scoring, key), f"{section}.{key} must be an integer")
    missing = _mapping(doc.get("data_missing") or {}, path, line_of(doc, "data_missing"), "'data_missing'")
    for target, cond in missing.items():
        if target not in ("app", "account"):
            raise PolicySourceError(path, line_of(missing, target), f"data_missing is for app and account, not "
                                                                    f"{target!r}")
        conditions.check(cond, facts=FACTS[target], thresholds={}, path=str(path), used=set())
    _check_risk_tiers(doc, path)
    _check_tier_uses(doc, path, articles)


def _check_forced_phrases(det: Mapping, path: Path) -> None:
    """detection.forced_features is a mapping; each forced phrase is a valid pattern naming one of them."""
    _mapping(det.get("forced_features"), path, line_of(det, "forced_features"), "detection.forced_features")
    for i, item in enumerate(det.get("forced_phrases") or []):
        item = _mapping(item, path, line_of(det["forced_phrases"], i), "a forced phrase")
        if set(item) != {"pattern", "feature", "examples", "counter_examples"}:
            raise PolicySourceError(path, line_of(item), "a forced phrase needs exactly 'pattern', 'feature', "
                                                         "'examples' and 'counter_examples'")
        try:
            pattern = re.compile(item["pattern"])
        except re.error as exc:
            raise PolicySourceError(path, line_of(item, "pattern"), f"bad regular expression: {exc}") from None
        if item["feature"] not in det["forced_features"]:
            raise PolicySourceError(path, line_of(item, "feature"), f"unknown forced feature {item['feature']!r}")
        for key, want in (("examples", True), ("counter_examples", False)):
            texts = item[key]
            if not isinstance(texts, list) or not texts or not all(isinstance(x, str) for x in texts):
                raise PolicySourceError(path, line_of(item, key), f"forced phrase {key} must be a non-empty list of "
                                                                  "texts")
            for j, text in enumerate(texts):
                if bool(pattern.search(text)) != want:
                    raise PolicySourceError(path, line_of(texts, j), f"forced phrase pattern {item['pattern']!r} "
                                            + ("does not catch its example" if want else "catches its counter-example")
                                            + f" {text!r}")


def _check_similarity(det: Mapping, path: Path) -> None:
    sim = _mapping(det.get("similarity"), path, line_of(det, "similarity"), "detection.similarity")
    for key in ("shingle",):
        if not isinstance(sim.get(key), int) or sim[key] < 1:
            raise PolicySourceError(path, line_of(sim, key), f"similarity.{key} must be a positive integer")
    cm = sim.get("candidate_min")
    if not isinstance(cm, (int, float)) or not 0 < cm <= 1:
        raise PolicySourceError(path, line_of(sim, "candidate_min"), "similarity.candidate_min must be in (0, 1]")


def _check_risk_tiers(doc: Mapping, path: Path) -> None:
    tiers = _mapping(doc.get("risk_tiers"), path, line_of(doc, "risk_tiers"), "'risk_tiers'")
    for target, entries in tiers.items():
        if target not in ("app", "account"):
            raise PolicySourceError(path, line_of(tiers, target), f"risk tiers are for app and account, not {target!r}")
        for i, entry in enumerate(entries):
            entry = _mapping(entry, path, line_of(entries, i), "a risk tier")
            if set(entry) != {"tier", "when"} or entry["tier"] not in ("high", "medium"):
                raise PolicySourceError(path, line_of(entry), "a risk tier needs 'tier' (high or medium) and 'when'")
            conditions.check(entry["when"], facts=FACTS[target], thresholds={}, path=str(path), used=set())


def _check_tier_uses(doc: Mapping, path: Path, articles: Mapping[str, Article] | None) -> None:
    """``tier_uses``: what the risk tiers drive (Art. 16), each number a Fingertip default with its basis."""
    uses = _mapping(doc.get("tier_uses"), path, line_of(doc, "tier_uses"), "'tier_uses'")
    keys = {"basis", "default", "monitoring_interval_days", "audit_sample_weight"}
    if set(uses) != keys:
        raise PolicySourceError(path, line_of(doc, "tier_uses"), f"tier_uses needs exactly {sorted(keys)}")
    if articles is not None:
        for key, kinds in (("basis", ("national_rule", "national_indicator", "local_practice")), ("default", ("default",))):
            art = articles.get(uses[key])
            if art is None:
                raise PolicySourceError(path, line_of(uses, key), f"tier_uses.{key}: unknown article {uses[key]!r} "
                                                                  "(see articles.yaml)")
            if art.kind not in kinds:
                raise PolicySourceError(path, line_of(uses, key), f"tier_uses.{key}: {uses[key]!r} is a {art.kind}; "
                                                                  f"expected {' or '.join(kinds)}")
    window = doc["detection"]["rating_growth_window_days"]
    for key, kind, low, high in (("monitoring_interval_days", int, 1, window), ("audit_sample_weight", (int, float), 1, 100)):
        values = _mapping(uses[key], path, line_of(uses, key), f"tier_uses.{key}")
        if set(values) != set(RISK_TIERS):
            raise PolicySourceError(path, line_of(uses, key), f"tier_uses.{key} needs every tier {list(RISK_TIERS)}")
        for tier in RISK_TIERS:
            v = values[tier]
            if isinstance(v, bool) or not isinstance(v, kind) or not low <= v <= high:
                raise PolicySourceError(path, line_of(values, tier), f"tier_uses.{key}.{tier} must be a number from "
                                                                     f"{low} to {high}, got {v!r}")
        ordered = [values[t] for t in RISK_TIERS]
        ascending = key == "monitoring_interval_days"  # a higher tier is polled at least as often …
        if ordered != sorted(ordered, reverse=not ascending):  # … and weighs at least as much in a sample
            raise PolicySourceError(path, line_of(uses, key), f"tier_uses.{key}: a higher tier must "
                                    + ("be checked at least as often" if ascending else "weigh at least as much")
                                    + f" as a lower one, got {dict(values)}")


def tier_uses(policy: Policy) -> dict[str, Any]:
    """``tier_uses`` of the policy settings (checked on load)."""
    return dict(policy.settings["tier_uses"])


def _load_rules(path: Path, articles: Mapping[str, Article]) -> list[Rule]:
    doc = _mapping(load(path), path, 1, "the file")
    unknown = set(doc) - {"rules"}
    if unknown:
        raise PolicySourceError(path, line_of(doc, sorted(unknown)[0]), f"unknown top-level key {sorted(unknown)[0]!r}")
    items = doc.get("rules")
    if not isinstance(items, list):
        raise PolicySourceError(path, line_of(doc, "rules"), "'rules' must be a list")
    return [_rule(item, path, line_of(items, i), articles) for i, item in enumerate(items)]


def _rule(item: Any, path: Path, line: int | None, articles: Mapping[str, Article]) -> Rule:
    item = _mapping(item, path, line, "a rule")
    rid = item.get("id", "?")
    where = f"rule {rid!r}"
    _check_rule_fields(item, path, where)
    target = item["target"]
    basis = item["basis"]
    if not isinstance(basis, list) or not basis:
        raise PolicySourceError(path, line_of(item, "basis"), f"{where}: 'basis' must be a non-empty list of articles")
    for i, key in enumerate(basis):
        if key not in articles:
            raise PolicySourceError(path, line_of(basis, i), f"{where}: unknown article {key!r} "
                                                             f"(see articles.yaml)")
    thresholds = _thresholds(item.get("thresholds") or {}, path, item, where)
    used: set[str] = set()
    conditions.check(item["when"], facts=FACTS[target], thresholds=thresholds, path=str(path), used=used)
    if "insufficient_data" in item:
        conditions.check(item["insufficient_data"], facts=FACTS[target], thresholds=thresholds, path=str(path),
                         used=used)
    unused = set(thresholds) - used
    if unused:
        raise PolicySourceError(path, line_of(item, "thresholds"), f"{where}: threshold(s) {sorted(unused)} "
                                                                   "are defined but never used in 'when'")
    threshold_basis = _threshold_basis(item, thresholds, basis, articles, path, where)
    veto, deduction = _rule_scoring(item, path, where) if "scoring" in item else (False, 0)
    ind_veto, ind_deduction, ind_source = (_rule_indicator(item, basis, articles, path, where)
                                           if "indicator" in item else (False, 0, None))
    actions = item.get("actions") or []
    for i, a in enumerate(actions):
        if a not in ACTIONS:
            raise PolicySourceError(path, line_of(actions, i), f"{where}: unknown action {a!r} (known: {ACTIONS})")
    evidence = item.get("evidence") or []
    for i, f in enumerate(evidence):
        if f not in FACTS[target]:
            raise PolicySourceError(path, line_of(evidence, i), f"{where}: evidence names unknown fact {f!r}")
    enabled = item.get("enabled", True)
    if not isinstance(enabled, bool):
        raise PolicySourceError(path, line_of(item, "enabled"), f"{where}: 'enabled' must be true or false")
    labels = [articles[k].label for k in basis]
    return Rule(
        id=rid, title_zh=item["title_zh"].strip(), target=target, family=item["family"], severity=item["severity"],
        basis_keys=tuple(basis), basis="；".join(labels), article=basis[0], thresholds=thresholds,
        when=item["when"], veto=veto, deduction=deduction, actions=tuple(actions), evidence=tuple(evidence),
        remediation_zh=item["remediation_zh"].strip(), enabled=enabled, source=f"{path}:{line_of(item)}",
        threshold_basis=threshold_basis,
        default_thresholds=tuple(n for n, k in threshold_basis.items() if articles[k].is_default),
        basis_kinds=tuple(articles[k].kind for k in basis),
        indicator_veto=ind_veto, indicator_deduction=ind_deduction, indicator_source=ind_source,
        insufficient_data=item.get("insufficient_data"),
    )


def _threshold_basis(item: Mapping, thresholds: Mapping[str, float], basis: list, articles: Mapping[str, Article],
                     path: Path, where: str) -> dict[str, str]:
    """Every threshold names the basis it comes from (one of the rule's bases): policy text or default."""
    raw = item.get("threshold_basis") or {}
    raw = _mapping(raw, path, line_of(item, "threshold_basis"), f"{where}: 'threshold_basis'")
    for name in raw:
        if name not in thresholds:
            raise PolicySourceError(path, line_of(raw, name), f"{where}: threshold_basis names {name!r}, which is "
                                                              "not a threshold of the rule")
    for name in thresholds:
        if name not in raw:
            raise PolicySourceError(path, line_of(item, "thresholds"), f"{where}: threshold {name!r} has no basis "
                                    "(threshold_basis: a policy text or a Fingertip default of articles.yaml)")
        if raw[name] not in basis:
            raise PolicySourceError(path, line_of(raw, name), f"{where}: threshold {name!r}: basis {raw[name]!r} "
                                                              "is not one of the rule's bases")
    return {str(k): str(v) for k, v in raw.items()}


def _rule_indicator(item: Mapping, basis: list, articles: Mapping[str, Article], path: Path,
                    where: str) -> tuple[bool, int, str | None]:
    """(veto, deduction, source) of the rule in the 国办秘函〔2019〕19号 inspection of accounts."""
    sc = _mapping(item["indicator"], path, line_of(item, "indicator"), f"{where}: 'indicator'")
    if item["target"] != "account":
        raise PolicySourceError(path, line_of(item, "indicator"), f"{where}: the indicator inspection is of "
                                                                  "accounts only")
    bad = set(sc) - {"veto", "deduction", "source"}
    if bad or not ({"veto", "deduction"} & set(sc)):
        raise PolicySourceError(path, line_of(item, "indicator"), f"{where}: indicator takes 'veto' or "
                                                                  "'deduction' with its 'source'")
    veto = sc.get("veto", False)
    if not isinstance(veto, bool):
        raise PolicySourceError(path, line_of(sc, "veto"), f"{where}: indicator.veto must be true or false")
    if veto and not any(articles[k].kind == "national_indicator" for k in basis):
        raise PolicySourceError(path, line_of(sc, "veto"), f"{where}: a single-veto indicator must cite a "
                                                           "national inspection indicator (kind national_indicator)")
    deduction = sc.get("deduction", 0)
    source = sc.get("source")
    if deduction:
        if isinstance(deduction, bool) or not isinstance(deduction, int) or not 0 < deduction <= 100:
            raise PolicySourceError(path, line_of(sc, "deduction"), f"{where}: indicator.deduction must be an "
                                                                    "integer from 1 to 100")
        if not isinstance(source, str) or source not in articles or articles[source].kind not in ("national_indicator", "local_practice"):
            raise PolicySourceError(path, line_of(sc, "source") if "source" in sc else line_of(sc, "deduction"),
                                    f"{where}: an indicator deduction needs its 'source': a basis of kind "
                                    "national_indicator or local_practice")
    return veto, int(deduction or 0), source


def _check_rule_fields(item: Mapping, path: Path, where: str) -> None:
    """Known and required keys, the id's shape, the texts, target, family and severity."""
    rid = item.get("id", "?")
    for key in item:
        if key not in RULE_KEYS:
            raise PolicySourceError(path, line_of(item, key), f"{where}: unknown key {key!r} "
                                                              f"(allowed: {', '.join(sorted(RULE_KEYS))})")
    for key in REQUIRED_RULE_KEYS:
        if key not in item:
            raise PolicySourceError(path, line_of(item), f"{where}: missing {key!r}")
    if not isinstance(rid, str) or not _ID_RE.match(rid):
        raise PolicySourceError(path, line_of(item, "id"), f"rule id {rid!r} must look like 'target.name'")
    for key in ("title_zh", "remediation_zh"):
        if not isinstance(item[key], str) or not item[key].strip():
            raise PolicySourceError(path, line_of(item, key), f"{where}: {key!r} must be a non-empty text")
    target = item["target"]
    if target not in TARGETS:
        raise PolicySourceError(path, line_of(item, "target"), f"{where}: target {target!r} is not one of {TARGETS}")
    if item["family"] not in FAMILIES:
        raise PolicySourceError(path, line_of(item, "family"), f"{where}: unknown family {item['family']!r} "
                                                               f"(known: {', '.join(FAMILIES)})")
    if item["severity"] not in SEVERITIES:
        raise PolicySourceError(path, line_of(item, "severity"), f"{where}: severity must be one of {SEVERITIES}")


def _rule_scoring(item: Mapping, path: Path, where: str) -> tuple[bool, int]:
    """(veto, deduction) from a rule's 'scoring' (app and account rules only)."""
    sc = _mapping(item["scoring"], path, line_of(item, "scoring"), f"{where}: 'scoring'")
    if item["target"] not in ("app", "account"):
        raise PolicySourceError(path, line_of(item, "scoring"), f"{where}: only app and account rules are scored")
    bad = set(sc) - {"veto", "deduction"}
    if bad or not sc:
        raise PolicySourceError(path, line_of(item, "scoring"), f"{where}: scoring takes 'veto' or 'deduction'")
    veto = sc.get("veto", False)
    deduction = sc.get("deduction", 0)
    if not isinstance(veto, bool):
        raise PolicySourceError(path, line_of(sc, "veto"), f"{where}: scoring.veto must be true or false")
    if isinstance(deduction, bool) or not isinstance(deduction, int) or not 0 <= deduction <= 100:
        raise PolicySourceError(path, line_of(sc, "deduction"), f"{where}: scoring.deduction must be an "
                                                                "integer from 0 to 100")
    return veto, deduction


def _thresholds(raw: Any, path: Path, item: Mapping, where: str) -> dict[str, float]:
    raw = _mapping(raw, path, line_of(item, "thresholds"), f"{where}: 'thresholds'")
    out = {}
    for name, value in raw.items():
        if not isinstance(name, str) or not _THRESHOLD_NAME.match(name):
            raise PolicySourceError(path, line_of(raw, name), f"{where}: bad threshold name {name!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise PolicySourceError(path, line_of(raw, name), f"{where}: threshold {name!r} must be a non-negative "
                                                              f"number, got {value!r}")
        out[name] = value
    return out


def _load_override(path: Path, rules: Mapping[str, Rule]) -> Override:
    doc = _mapping(load(path), path, 1, "the file")
    unknown = set(doc) - {"province", "rules"}
    if unknown:
        raise PolicySourceError(path, line_of(doc, sorted(unknown)[0]), f"unknown key {sorted(unknown)[0]!r} "
                                                                       "(an override has 'province' and 'rules')")
    province = str(doc.get("province", ""))
    if not _PROVINCE_CODE.match(province):
        raise PolicySourceError(path, line_of(doc, "province"), f"province must be a PP0000 division code, got "
                                                                f"{province!r}")
    if path.stem != province:
        raise PolicySourceError(path, line_of(doc, "province"), f"file name must be the province code ({province}.yaml)")
    body = _mapping(doc.get("rules") or {}, path, line_of(doc, "rules"), "'rules'")
    thresholds: dict[str, dict[str, float]] = {}
    enabled: dict[str, bool] = {}
    severity: dict[str, str] = {}
    sources: dict[str, str] = {}
    for rid, spec in body.items():
        if rid not in rules:
            raise PolicySourceError(path, line_of(body, rid), f"override of unknown rule {rid!r}")
        spec = _mapping(spec, path, line_of(body, rid), f"override of {rid!r}")
        for key in spec:
            if key not in OVERRIDE_KEYS:
                raise PolicySourceError(path, line_of(spec, key), f"override of {rid!r}: {key!r} cannot be "
                                                                  f"overridden (only {sorted(OVERRIDE_KEYS)})")
        rule = rules[rid]
        if "thresholds" in spec:
            thresholds[rid] = _override_thresholds(spec, rule, path, rid)
        if isinstance(spec.get("source"), str):
            sources[rid] = spec["source"].strip()
        if "enabled" in spec:
            if not isinstance(spec["enabled"], bool):
                raise PolicySourceError(path, line_of(spec, "enabled"), "'enabled' must be true or false")
            enabled[rid] = spec["enabled"]
        if "severity" in spec:
            if spec["severity"] not in SEVERITIES:
                raise PolicySourceError(path, line_of(spec, "severity"), f"severity must be one of {SEVERITIES}")
            severity[rid] = spec["severity"]
    return Override(province, str(path), thresholds, enabled, severity, sources)


def _override_thresholds(spec: Mapping, rule: Rule, path: Path, rid: str) -> dict[str, float]:
    """A province's thresholds of one rule: known names, and the province's source for them."""
    th = _thresholds(spec["thresholds"], path, spec, f"override of {rid!r}")
    for name in th:
        if name not in rule.thresholds:
            raise PolicySourceError(path, line_of(spec["thresholds"], name),
                                    f"override of {rid!r}: the rule has no threshold {name!r} "
                                    f"(it has {sorted(rule.thresholds) or 'none'})")
    if not isinstance(spec.get("source"), str) or not spec["source"].strip():
        raise PolicySourceError(path, line_of(spec, "thresholds"), f"override of {rid!r}: a provincial threshold "
                                "needs its 'source' (the provincial document, or that it is an example or default)")
    return th
