"""Ad-hoc audits (专项核查): parameters, their validation, the run and the audit figures.

1. :func:`validate_request` checks *everything* before anything runs — recipients
   (``validate_addresses`` of the mail layer), province and division codes (the store's
   ``divisions`` table, else the pinned GB/T 2260 snapshot), sponsor credit codes (check digits via
   ``fingertip.identifiers`` and presence in ``sponsors``), app and account keys (present in the
   store), rule families, platforms, sampling rate and seed, formats — and raises
   :class:`AuditParamsError` listing every problem in Chinese and English.
2. :func:`run_detection` runs the same rules as the detection DAG on that scope with
   ``detect(..., persist=False)`` (nothing in the store changes).
3. :func:`audit_figures` turns the result into the figures the report writers read.

Sampling is done by the rules engine: an entity is in the sample when a hash of the seed and its
key falls below its probability — the rate times its risk tier's weight (Art. 16; policy settings
``tier_uses.audit_sample_weight``, Fingertip defaults high 4, medium 2, low 1; at most 1) — so the
same seed always gives the same sample; a request with a rate and no seed gets a random seed,
recorded with the run and stated in the report, which also states the weights and, per tier, how
many records were in scope and drawn.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections import Counter, defaultdict
from typing import Any

import sqlalchemy as sa

from fingertip.reports import labels
from fingertip.reports.model import (
    AuditArticleRow,
    AuditFigures,
    AuditKeyFinding,
    AuditRuleRow,
    AuditSampleTierRow,
    ProvincePassRow,
    UnitPassRow,
)
from fingertip.reports.settings import FORMATS
from fingertip.store import schema

PLATFORMS = tuple(dict.fromkeys((*schema.STORES, *schema.MINI_PROGRAM_HOSTS, *schema.ACCOUNT_PLATFORMS, *schema.GROUP_PLATFORMS)))
LIST_FIELDS = ("provinces", "divisions", "sponsor_credit_codes", "app_keys", "account_keys", "platforms",
               "families", "recipients", "formats")
_CODE = re.compile(r"^[0-9]{6}\Z", re.ASCII)  # \Z: "$" would also take "440000\n"


def families() -> dict[str, str]:
    """Rule family id → Chinese label (the rules engine's catalogue)."""
    from fingertip.rules.catalogue import FAMILIES

    return dict(FAMILIES)


class AuditParamsError(ValueError):
    """Invalid audit parameters; ``problems`` lists (field, Chinese, English) for each of them."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems
        lines = [f"专项核查参数有误，共 {len(problems)} 处，未执行任何核查 / "
                 f"invalid audit parameters ({len(problems)} problem(s)); nothing was run:"]
        lines += [f"  - [{f}] {zh} / {en}" for f, zh, en in problems]
        super().__init__("\n".join(lines))


@dataclasses.dataclass
class AuditRequest:
    provinces: list[str] = dataclasses.field(default_factory=list)
    divisions: list[str] = dataclasses.field(default_factory=list)
    sponsor_credit_codes: list[str] = dataclasses.field(default_factory=list)
    app_keys: list[str] = dataclasses.field(default_factory=list)
    account_keys: list[str] = dataclasses.field(default_factory=list)
    platforms: list[str] = dataclasses.field(default_factory=list)
    families: list[str] = dataclasses.field(default_factory=list)
    sample_rate: float | None = None
    sample_seed: int | None = None
    recipients: list[str] = dataclasses.field(default_factory=list)
    formats: list[str] = dataclasses.field(default_factory=lambda: list(FORMATS))
    title: str | None = None
    check_date: str | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> AuditRequest:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def scope_zh(self) -> str:
        parts = []
        if self.provinces:
            parts.append("省份：" + "、".join(_division_name(c) for c in self.provinces))
        if self.divisions:
            parts.append("行政区划：" + "、".join(_division_name(c) for c in self.divisions))
        if self.sponsor_credit_codes:
            parts.append("主办单位（统一社会信用代码）：" + "、".join(self.sponsor_credit_codes))
        if self.app_keys:
            parts.append("应用：" + "、".join(self.app_keys))
        if self.account_keys:
            parts.append("公众账号：" + "、".join(self.account_keys))
        if self.platforms:
            parts.append("平台：" + "、".join(labels.PLATFORMS.get(p, p) for p in self.platforms))
        fam = families()
        parts.append("规则类别：" + ("、".join(fam.get(f, f) for f in self.families) if self.families else "全部"))
        return "；".join(parts) if parts else "全国全部在册对象"

    def sampling_zh(self, weights: dict[str, float] | None = None) -> str:
        """The sampling in words; ``weights``: the risk tiers' weights the draw used."""
        if self.sample_rate is None or self.sample_rate >= 1:
            return "全量核查（未抽样）"
        weighted = ""
        if weights:
            parts = "、".join(f"{labels.RISK_TIERS[t]}×{weights[t]:g}" for t in labels.RISK_TIERS if t in weights)
            weighted = (f"，按风险分级加权抽取（{parts}；每个对象的抽取概率 = 抽样比例 × 权重，最高100%；"
                        "权重为Fingertip默认值，依据《意见》第16条“开展重点监测”；工作群组等未分级对象按权重1）")
        return (f"抽样核查：抽样比例 {self.sample_rate * 100:g}%{weighted}，随机种子 {self.sample_seed}"
                "（同一种子抽样结果可复现）")


def _division_name(code: str) -> str:
    from fingertip.reference import full_name

    try:
        return f"{full_name(code)}（{code}）"
    except KeyError:  # not in the pinned snapshot (a code only the store knows)
        return code


def _as_list(value: Any, field: str, problems: list) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [p for p in re.split(r"[,，;；\s]+", value) if p]
    if not isinstance(value, (list, tuple)):
        problems.append((field, "应为列表", "must be a list"))
        return []
    return list(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))


def _check_addresses(recipients: list[str]) -> list[tuple[str, str]]:
    """(address, reason) for each invalid address, by the mail layer's ``validate_addresses``."""
    from fingertip.notifications.message import validate_addresses

    bad = []
    for addr in recipients:
        try:
            validate_addresses([addr])
        except ValueError as exc:
            bad.append((addr, str(exc)))
    return bad


def _known(conn, column, values: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(values), 500):
        chunk = values[i:i + 500]
        found.update(conn.execute(sa.select(column).where(column.in_(chunk))).scalars())
    return found


Problems = list[tuple[str, str, str]]


def _check_date(req: AuditRequest, problems: Problems) -> None:
    if not req.check_date:
        return
    import datetime as dt

    try:
        dt.date.fromisoformat(str(req.check_date))
    except ValueError:
        problems.append(("check_date", f"检查日期 {req.check_date!r} 格式错误（应为 YYYY-MM-DD）",
                         f"bad check_date {req.check_date!r} (expected YYYY-MM-DD)"))


def _check_recipients(req: AuditRequest, given: list[str], default_recipients: list[str] | None,
                      problems: Problems) -> None:
    req.recipients = given or list(default_recipients or [])
    if not req.recipients:
        problems.append(("recipients", "未指定收件人", "no recipients given"))
        return
    bad = _check_addresses(req.recipients)
    for addr, reason in bad:
        problems.append(("recipients", f"收件人地址无效：{addr}", f"invalid address {addr!r}: {reason}"))
    if not bad:
        from fingertip.notifications.message import validate_addresses

        req.recipients = validate_addresses(req.recipients)


def _check_vocabularies(req: AuditRequest, formats: list[str], problems: Problems) -> None:
    """Formats, rule families and platforms against their one definition."""
    req.formats = formats or list(FORMATS)
    for f in req.formats:
        if f not in FORMATS:
            problems.append(("formats", f"未知输出格式：{f}", f"unknown format {f!r} (allowed: {', '.join(FORMATS)})"))
    fam = families()
    for f in req.families:
        if f not in fam:
            problems.append(("families", f"未知规则类别：{f}", f"unknown rule family {f!r} (known: {', '.join(fam)})"))
    for p in req.platforms:
        if p not in PLATFORMS:
            problems.append(("platforms", f"未知平台：{p}", f"unknown platform {p!r}"))


def _check_sampling(req: AuditRequest, rate: Any, seed: Any, problems: Problems) -> None:
    if rate is not None and rate != "":
        try:
            req.sample_rate = float(rate)
            if not 0 < req.sample_rate <= 1:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(("sample_rate", f"抽样比例 {rate!r} 应为大于 0、不超过 1 的小数",
                             f"sample_rate {rate!r} must be a number in (0, 1]"))
            req.sample_rate = None
    if seed is not None and seed != "":
        try:
            if isinstance(seed, bool) or (isinstance(seed, float) and not seed.is_integer()):
                raise ValueError
            req.sample_seed = int(seed)
        except (TypeError, ValueError):
            problems.append(("sample_seed", f"随机种子 {seed!r} 应为整数", f"sample_seed {seed!r} must be an integer"))
    if req.sample_rate is not None and req.sample_rate < 1 and req.sample_seed is None and not any(
            p[0] == "sample_seed" for p in problems):
        req.sample_seed = secrets.randbelow(2**31)


def _check_divisions(conn: sa.Connection, req: AuditRequest, problems: Problems) -> None:
    """Province and division codes: in the store's ``divisions``, else in the pinned snapshot."""
    from fingertip.reference import division_map

    snapshot = division_map()
    stored_divs = _known(conn, schema.divisions.c.code, req.provinces + req.divisions)
    for code in req.provinces:
        div = snapshot.get(code)
        if not _CODE.match(code) or not (code in stored_divs or div):
            problems.append(("provinces", f"未知省级行政区划代码：{code}", f"unknown province code {code!r}"))
        elif not code.endswith("0000"):
            problems.append(("provinces", f"{code} 不是省级代码（请放入“行政区划”）",
                             f"{code!r} is not a province code (use divisions)"))
    for code in req.divisions:
        if not _CODE.match(code) or not (code in stored_divs or code in snapshot):
            problems.append(("divisions", f"未知行政区划代码：{code}", f"unknown division code {code!r}"))


def _check_keys(conn: sa.Connection, req: AuditRequest, problems: Problems) -> None:
    """Credit codes (check digits, then presence in ``sponsors``), app and account keys (in the store)."""
    from fingertip.identifiers import credit_code_problem

    valid_codes = []
    for code in req.sponsor_credit_codes:
        why = credit_code_problem(code)
        if why:
            problems.append(("sponsor_credit_codes", f"统一社会信用代码无效：{code}（{why}）",
                             f"invalid credit code {code!r}: {why}"))
        else:
            valid_codes.append(code)
    stored = _known(conn, schema.sponsors.c.credit_code, valid_codes)
    for code in valid_codes:
        if code not in stored:
            problems.append(("sponsor_credit_codes", f"台账中没有该主办单位：{code}",
                             f"no sponsoring unit with credit code {code!r} in the store"))
    for field, column, zh in (("app_keys", schema.apps.c.app_key, "应用"),
                              ("account_keys", schema.accounts.c.account_key, "公众账号")):
        values = getattr(req, field)
        have = _known(conn, column, values)
        for v in values:
            if v not in have:
                problems.append((field, f"台账中没有该{zh}：{v}", f"unknown {field[:-5]} key {v!r}"))


def validate_request(engine: sa.Engine, params: dict, *, default_recipients: list[str] | None = None) -> AuditRequest:
    """Validate audit params; returns the normalised request or raises :class:`AuditParamsError`."""
    problems: Problems = []
    known = {f.name for f in dataclasses.fields(AuditRequest)}
    for key in sorted(set(params) - known):
        problems.append((key, f"未知参数 {key}", f"unknown parameter {key!r}"))
    lists = {f: _as_list(params.get(f), f, problems) for f in LIST_FIELDS}
    req = AuditRequest(provinces=lists["provinces"], divisions=lists["divisions"],
                       sponsor_credit_codes=lists["sponsor_credit_codes"], app_keys=lists["app_keys"],
                       account_keys=lists["account_keys"], platforms=lists["platforms"], families=lists["families"])
    req.title = (params.get("title") or None)
    req.check_date = params.get("check_date") or None
    _check_date(req, problems)
    _check_recipients(req, lists["recipients"], default_recipients, problems)
    _check_vocabularies(req, lists["formats"], problems)
    _check_sampling(req, params.get("sample_rate"), params.get("sample_seed"), problems)
    with engine.connect() as conn:
        _check_divisions(conn, req, problems)
        _check_keys(conn, req, problems)
    if problems:
        raise AuditParamsError(problems)
    return req


# --- running ------------------------------------------------------------------------------------

def make_scope(req: AuditRequest):
    from fingertip.rules import Scope

    return Scope(provinces=tuple(req.provinces), divisions=tuple(req.divisions),
                 sponsor_credit_codes=tuple(req.sponsor_credit_codes), app_keys=tuple(req.app_keys),
                 account_keys=tuple(req.account_keys), platforms=tuple(req.platforms))


def run_detection(engine: sa.Engine, req: AuditRequest):
    """The rules on the request's scope, changing nothing in the store."""
    import datetime as dt

    from fingertip.rules import detect

    if req.check_date:
        check_date = dt.date.fromisoformat(req.check_date)
    else:  # today in the governance time zone
        import zoneinfo

        from fingertip.runtime import TIMEZONE

        check_date = dt.datetime.now(zoneinfo.ZoneInfo(TIMEZONE)).date()
    rate = req.sample_rate if req.sample_rate is not None and req.sample_rate < 1 else None
    return detect(engine, check_date=check_date, scope=make_scope(req), families=req.families or None,
                  sample_rate=rate, sample_seed=req.sample_seed if rate is not None else None, persist=False)


def _attr(obj, name, default=None):
    return obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)


def _audit_key_finding(f: Any, articles: dict[str, str]) -> AuditKeyFinding:
    """A finding of the run (a ``FindingRecord`` or a dict) as a row of the audit's list."""
    from fingertip.reports.figures import province_name

    severity, article, target_type = _attr(f, "severity"), _attr(f, "article"), _attr(f, "target_type")
    return {"finding_id": _attr(f, "id"), "rule_id": _attr(f, "rule_id"), "title_zh": _attr(f, "title_zh"),
            "severity": severity, "severity_zh": labels.SEVERITIES.get(severity, severity),
            "article": article, "article_label": articles.get(article, article),
            "basis": _attr(f, "basis"), "remediation_zh": _attr(f, "remediation_zh"),
            "target_type": target_type, "target_type_zh": labels.ENTITY_TYPES.get(target_type, target_type),
            "target_key": _attr(f, "target_key"), "target_name": _attr(f, "target_name") or _attr(f, "target_key"),
            "division_code": _attr(f, "division_code"), "province_name": province_name(_attr(f, "division_code")),
            "state": "open", "state_zh": labels.FINDING_STATES["open"], "first_seen_at": None}


def sample_tier_rows(result) -> list[AuditSampleTierRow]:
    """Per target type and risk tier: the weight, the probability of a record, records in scope and drawn."""
    rate = getattr(result, "sample_rate", None)
    weights = getattr(result, "sample_weights", None) or {}
    order = {t: i for i, t in enumerate((*labels.RISK_TIERS, "untiered"))}
    rows: list[AuditSampleTierRow] = []
    if rate is None:
        return rows
    by_tier = getattr(result, "sample_by_tier", None) or {}
    for (target, tier), (n, k) in sorted(by_tier.items(), key=lambda x: (x[0][0], order.get(x[0][1], 9))):
        weight = float(weights.get(tier, 1.0))
        rows.append({"target_type": target, "target_type_zh": labels.ENTITY_TYPES.get(target, target), "tier": tier,
                     "tier_zh": labels.RISK_TIERS.get(tier, "未分级"), "weight": weight,
                     "probability": round(min(1.0, rate * weight), 4), "in_scope": n, "sampled": k})
    return rows


def audit_figures(engine: sa.Engine, result, *, articles: dict[str, str] | None = None) -> AuditFigures:
    """Figures of an audit from a detection result (findings and inspections in memory)."""
    from fingertip.reports.figures import article_labels, province_name

    articles = article_labels() if articles is None else articles
    findings = list(result.findings)
    inspections = list(result.inspections)
    by_rule: dict[str, AuditRuleRow] = {}
    by_article: dict[str, AuditArticleRow] = {}
    severity: Counter[str] = Counter()
    for f in findings:
        rid, art, sev = _attr(f, "rule_id"), _attr(f, "article"), _attr(f, "severity")
        r = by_rule.setdefault(rid, {"rule_id": rid, "title_zh": _attr(f, "title_zh"), "article": art,
                                     "article_label": articles.get(art, art), "severity": sev,
                                     "severity_zh": labels.SEVERITIES.get(sev, sev), "count": 0})
        r["count"] += 1
        a = by_article.setdefault(art, {"article": art, "article_label": articles.get(art, art), "count": 0})
        a["count"] += 1
        severity[sev] += 1
    prov: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    unit: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    no_data = 0
    for i in inspections:
        if _attr(i, "outcome") == "no_data":
            no_data += 1  # data missing: counted apart, never a pass
            continue
        ok = 1 if _attr(i, "passed") else 0
        p = prov[_attr(i, "province_code")]
        p[0] += 1
        p[1] += ok
        u = unit[_attr(i, "sponsor_id")]
        u[0] += 1
        u[1] += ok
    names: dict[int, tuple[str, str | None, str | None]] = {}
    ids = [k for k in unit if k is not None]
    with engine.connect() as conn:
        for i in range(0, len(ids), 500):
            q = sa.select(schema.sponsors.c.id, schema.sponsors.c.name, schema.sponsors.c.credit_code, schema.sponsors.c.division_code) \
                .where(schema.sponsors.c.id.in_(ids[i:i + 500]))
            names.update({r[0]: (r[1], r[2], r[3]) for r in conn.execute(q)})

    def rate(ok: int, n: int) -> float | None:
        return round(ok / n, 4) if n else None

    by_province: list[ProvincePassRow] = [{"province_code": p, "province_name": province_name(p), "checked": n, "passed": ok,
                    "failed": n - ok, "pass_rate": rate(ok, n)} for p, (n, ok) in sorted(prov.items(), key=lambda x: x[0] or "")]
    by_unit: list[UnitPassRow] = []
    for sid, (n, ok) in unit.items():
        name, code, div = names.get(sid, ("（未登记主办单位）", None, None))
        by_unit.append({"sponsor_id": sid, "sponsor_name": name, "credit_code": code, "division_code": div,
                        "province_name": province_name(div), "checked": n, "passed": ok, "failed": n - ok,
                        "pass_rate": rate(ok, n)})
    by_unit.sort(key=lambda x: (x["pass_rate"] if x["pass_rate"] is not None else 2, -x["checked"], x["sponsor_name"]))
    checked_total = sum(x["checked"] for x in by_province)
    passed_total = sum(x["passed"] for x in by_province)
    rank, last = labels.SEVERITY_RANK, len(labels.SEVERITY_RANK)
    key = sorted(findings, key=lambda f: (rank.get(_attr(f, "severity"), last), _attr(f, "rule_id"),
                                          str(_attr(f, "target_key"))))
    return {
        "checked": dict(getattr(result, "checked", {}) or {}),
        "sampling": {"rate": getattr(result, "sample_rate", None), "seed": getattr(result, "sample_seed", None),
                     "sampled": len(getattr(result, "sampled_keys", None) or ()),
                     "weights": getattr(result, "sample_weights", None),
                     "by_tier": sample_tier_rows(result)},
        "findings": {"total": len(findings), "by_rule": sorted(by_rule.values(), key=lambda x: (-x["count"], x["rule_id"])),
                     "by_article": sorted(by_article.values(), key=lambda x: (-x["count"], x["article"])),
                     "by_severity": {k: severity.get(k, 0) for k in labels.SEVERITIES}},
        "inspections": {"checked": checked_total, "passed": passed_total, "pass_rate": rate(passed_total, checked_total),
                        "by_province": by_province, "by_unit": by_unit, "check_date": None,
                        "scheme_zh": "Fingertip治理评估（项目自定评分，非国家检查指标）", "no_data": no_data},
        "key_findings": [_audit_key_finding(f, articles) for f in key],
    }
