"""Matching a store listing that is not in the inventory to a sponsoring unit (主办单位).

A candidate is scored against each sponsor it could belong to; every signal that holds adds its
weight, the total is capped at 1.0, and the reasons are kept as evidence:

=========================  ======  ================================================================
signal                     weight  holds when
=========================  ======  ================================================================
``seller_name``            0.7     the seller (developer) name equals the sponsor's name
``seller_short_form``      0.6     the seller name equals a common short form of the sponsor's name
``credit_code``            0.6     the sponsor's unified social credit code appears in the listing
``developer_account``      0.4     the listing's developer account publishes the sponsor's
                                   inventory apps
``bundle_prefix``          0.3     the bundle id shares its prefix with the sponsor's inventory apps
=========================  ======  ================================================================

A seller that is not a government body (a company, a studio, a person: no government word in its
name, see :func:`is_government_seller`, and neither the sponsor's name nor its credit code; a name
with an enterprise marker never counts as one) is never matched, whatever its score — a contractor's own apps are
not the sponsor's; an app the sponsor publishes under a company account cannot be told apart from
the company's commercial apps, and is a known limit of discovery.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

WEIGHTS: dict[str, float] = {"seller_name": 0.7, "seller_short_form": 0.6, "credit_code": 0.6,
                             "developer_account": 0.4, "bundle_prefix": 0.3}
#: Default minimum score of a match (a project default, not a policy figure).
DEFAULT_MIN_SCORE = 0.6

_ENTERPRISE = ("有限公司", "有限责任公司", "股份", "公司", "集团", "工作室", "合伙", "个体", "CO.", "LTD", "INC",
               "LLC", "CORP", "LIMITED", "GMBH", "STUDIO")
_GOVERNMENT = ("人民政府", "政府", "办公室", "办公厅", "委员会", "管委会", "人民法院", "人民检察院", "政务", "机关",
               "党委", "局", "厅", "委", "办", "署", "中心", "街道", "乡", "镇", "院", "馆", "站", "所",
               "协会", "联合会", "共青团", "妇女联合会", "红十字会")
_SHORT = (("管理委员会", "管委会"), ("人民政府", "政府"), ("委员会", "委"), ("办公室", "办"), ("办公厅", "办"))
_IDENTIFYING = {"seller_name", "seller_short_form", "credit_code"}
_CREDIT = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Z])")


def normalise(name: str | None) -> str:
    """Width-folded, upper-cased, without blanks and brackets' width differences."""
    text = unicodedata.normalize("NFKC", name or "").upper()
    return "".join(text.split())


def is_enterprise(name: str | None) -> bool:
    """A seller name with an enterprise marker (公司, 有限, Ltd …): never a government body."""
    text = normalise(name)
    return any(word in text for word in _ENTERPRISE)


def is_government_seller(name: str | None) -> bool:
    """A seller name that reads as a government body: no enterprise marker, a government word."""
    text = normalise(name)
    if not text or is_enterprise(text):
        return False
    return any(word in text for word in _GOVERNMENT)


def short_forms(name: str) -> list[str]:
    """Common short forms of a sponsor's name (人民政府→政府, 办公室→办, 委员会→委 …), shortest first
    (a search for the shortest also finds the longer ones)."""
    forms: list[str] = []
    current = normalise(name)
    for long, short in _SHORT:
        if long in current:
            current = current.replace(long, short)
            if current != normalise(name) and current not in forms:
                forms.append(current)
    return sorted(forms, key=len)


def bundle_prefix(bundle_id: str | None) -> str | None:
    """The bundle id without its last segment (``cn.gov.gd.zwfw.ios`` → ``cn.gov.gd.zwfw``), when at
    least three segments remain (shorter prefixes such as ``com.apple`` say nothing)."""
    parts = [p for p in (bundle_id or "").lower().split(".") if p]
    return ".".join(parts[:-1]) if len(parts) >= 4 else None


def credit_codes(*texts: str | None) -> set[str]:
    return {m.group(0) for t in texts if t for m in _CREDIT.finditer(normalise(t))}


@dataclass
class SponsorProfile:
    """What a sponsor is known by: name, short forms, credit code, developer accounts, bundle prefixes."""

    id: int
    name: str
    credit_code: str
    division_code: str | None = None
    developer_ids: set[str] = field(default_factory=set)
    bundle_prefixes: set[str] = field(default_factory=set)

    @property
    def forms(self) -> list[str]:
        return short_forms(self.name)


@dataclass
class Match:
    sponsor: SponsorProfile | None
    score: float
    reasons: list[str]
    government_seller: bool

    def accepted(self, min_score: float = DEFAULT_MIN_SCORE) -> bool:
        return self.sponsor is not None and self.government_seller and self.score >= min_score

    def evidence(self) -> dict[str, Any]:
        return {"score": self.score, "reasons": self.reasons,
                "sponsor": {"credit_code": self.sponsor.credit_code, "name": self.sponsor.name} if self.sponsor else None}


def score(candidate: Any, sponsor: SponsorProfile) -> tuple[float, list[str]]:
    """Score one candidate (``developer``, ``developer_id``, ``bundle_id``, ``description``) against one sponsor."""
    seller = normalise(getattr(candidate, "developer", None))
    reasons: list[str] = []
    if seller and seller == normalise(sponsor.name):
        reasons.append("seller_name")
    elif seller and seller in sponsor.forms:
        reasons.append("seller_short_form")
    if sponsor.credit_code in credit_codes(getattr(candidate, "developer", None),
                                          getattr(candidate, "description", None)):
        reasons.append("credit_code")
    dev_id = getattr(candidate, "developer_id", None)
    if dev_id and dev_id in sponsor.developer_ids:
        reasons.append("developer_account")
    prefix = bundle_prefix(getattr(candidate, "bundle_id", None))
    if prefix and prefix in sponsor.bundle_prefixes:
        reasons.append("bundle_prefix")
    return round(min(1.0, sum(WEIGHTS[r] for r in reasons)), 3), reasons


class SponsorIndex:
    """Every sponsor, looked up by name, short form, credit code and developer account."""

    def __init__(self, profiles: Iterable[SponsorProfile]) -> None:
        self.by_id: dict[int, SponsorProfile] = {p.id: p for p in profiles}
        self.by_name: dict[str, SponsorProfile] = {}
        self.by_form: dict[str, list[SponsorProfile]] = {}
        self.by_code: dict[str, SponsorProfile] = {}
        self.by_developer: dict[str, list[SponsorProfile]] = {}
        for p in self.by_id.values():
            self.by_name.setdefault(normalise(p.name), p)
            self.by_code[p.credit_code] = p
            for form in p.forms:
                self.by_form.setdefault(form, []).append(p)
            for dev in p.developer_ids:
                self.by_developer.setdefault(dev, []).append(p)

    def candidates_for(self, candidate: Any, hint: Iterable[SponsorProfile] = ()) -> list[SponsorProfile]:
        """Sponsors worth scoring: the hint (searched sponsor, developer's sponsors) and any whose
        name, short form, credit code or developer account the candidate carries."""
        out: dict[int, SponsorProfile] = {p.id: p for p in hint}
        seller = normalise(getattr(candidate, "developer", None))
        if seller in self.by_name:
            out.setdefault(self.by_name[seller].id, self.by_name[seller])
        forms = self.by_form.get(seller, [])
        if len(forms) == 1:  # an ambiguous short form names no one
            out.setdefault(forms[0].id, forms[0])
        for code in credit_codes(getattr(candidate, "developer", None), getattr(candidate, "description", None)):
            if code in self.by_code:
                out.setdefault(self.by_code[code].id, self.by_code[code])
        for p in self.by_developer.get(getattr(candidate, "developer_id", None) or "", []):
            out.setdefault(p.id, p)
        return list(out.values())

    def match(self, candidate: Any, hint: Iterable[SponsorProfile] = ()) -> Match:
        seller = getattr(candidate, "developer", None)
        government = is_government_seller(seller)
        best: Match = Match(None, 0.0, [], government)
        for sponsor in self.candidates_for(candidate, hint):
            total, reasons = score(candidate, sponsor)
            # a seller that carries the sponsor's name or credit code is that government body (unless a company)
            gov = government or (not is_enterprise(seller) and bool(set(reasons) & _IDENTIFYING))
            if total > best.score or (total == best.score and best.sponsor is not None
                                      and sponsor.credit_code < best.sponsor.credit_code):
                best = Match(sponsor, total, reasons, gov)
        return best


def profiles_from_rows(sponsors: Iterable[Mapping[str, Any]], developer_rows: Iterable[tuple[int, str]],
                       bundle_rows: Iterable[tuple[int, str | None]]) -> list[SponsorProfile]:
    """Build profiles from ``sponsors`` rows, (sponsor id, developer id) and (sponsor id, bundle/package)."""
    profiles = {int(s["id"]): SponsorProfile(int(s["id"]), s["name"], s["credit_code"], s.get("division_code"))
                for s in sponsors}
    for sponsor_id, developer_id in developer_rows:
        if sponsor_id in profiles and developer_id:
            profiles[sponsor_id].developer_ids.add(str(developer_id))
    for sponsor_id, bundle in bundle_rows:
        if sponsor_id not in profiles or not bundle:
            continue
        # the app's own id (a sibling app "<bundle>.x" shares it) and its prefix ("<prefix>.y")
        for prefix in (bundle.lower() if len(bundle.split(".")) >= 3 else None, bundle_prefix(bundle)):
            if prefix:
                profiles[sponsor_id].bundle_prefixes.add(prefix)
    return list(profiles.values())
