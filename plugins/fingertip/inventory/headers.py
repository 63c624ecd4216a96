"""The inventory header map: spreadsheet column names → canonical fields, and value vocabularies.

The map lives in ``fingertip/resources/inventory/headers.yaml`` (see the comments there for the matching rules).
:func:`load_header_map` reads and validates it — structure, field names, duplicate or ambiguous
synonyms, vocabulary references, and vocabulary codes against the store schema — and raises
:class:`HeaderMapError` naming the faulty entry, so a bad edit fails at load time, not mid-import.

Typical use::

    hm = load_header_map()
    entity = hm.infer_entity_type(header, sheet_name="应用")      # "app"
    mapping = hm.map_columns(header, entity)                      # header → canonical field
    hm.vocabulary("account_platform").lookup("微信公众号")          # "wechat"
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fingertip.sources.tables import header_variants, normalise_header

log = logging.getLogger(__name__)

ENTITY_TYPES = ("app", "account", "work_group")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*\Z")
#: Rank added to a synonym found only after dropping a trailing note: exact matches always win.
_FALLBACK_RANK = 10_000


class HeaderMapError(ValueError):
    """The header map YAML is malformed; the message names the file and the entry."""


def _schema_codes() -> dict[str, tuple[str, ...]]:
    from fingertip.store import schema

    return {
        "app_kind": schema.APP_KINDS,
        "mini_program_host": schema.MINI_PROGRAM_HOSTS,
        "account_platform": schema.ACCOUNT_PLATFORMS,
        "group_platform": schema.GROUP_PLATFORMS,
        "sponsor_level": schema.SPONSOR_LEVELS,
        "sponsor_nature": schema.SPONSOR_NATURES,
        "yes_no": ("true", "false"),
        "temporary": ("true", "false"),
    }


@dataclass(frozen=True)
class FieldSpec:
    """A canonical field: its synonyms (the first is the official column name) and value list."""

    name: str
    synonyms: tuple[str, ...]
    common: bool = False
    vocabulary: str | None = None
    ignore: bool = False
    description: str = ""

    @property
    def label(self) -> str:
        return self.synonyms[0]


@dataclass(frozen=True)
class Vocabulary:
    """Terms people type → schema codes."""

    name: str
    terms: Mapping[str, tuple[str, ...]]  # code → terms as written in the YAML
    _index: Mapping[str, str] = field(repr=False, default_factory=dict)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.terms)

    def lookup(self, value: Any) -> str | None:
        """The code for ``value`` ("微信公众号" → "wechat"), a code itself, or ``None`` if unknown."""
        if value is None:
            return None
        for key in header_variants(value):
            if key in self._index:
                return self._index[key]
        return None


@dataclass(frozen=True)
class ColumnMapping:
    """How one sheet's header maps onto an entity type's fields."""

    entity_type: str
    fields: dict[str, str]  # header → canonical field (one column per field)
    ignored: list[str]  # recognised columns that are not staged (running numbers)
    unknown: list[str]  # not recognised: kept in ``raw`` only
    duplicates: dict[str, str]  # header → field already taken by an earlier-ranked column

    @property
    def staged_fields(self) -> list[str]:
        return list(self.fields.values())


class HeaderMap:
    """Validated header map; build it with :func:`load_header_map` or :func:`parse_header_map`."""

    def __init__(self, *, version: int, source: str, labels: dict[str, str], keywords: dict[str, tuple[str, ...]],
                 fields: dict[str, dict[str, FieldSpec]], vocabularies: dict[str, Vocabulary],
                 templates: dict[str, tuple[str, ...]] | None = None) -> None:
        self.version = version
        self._templates = templates or {}
        self.source = source
        self._labels = labels
        self._keywords = keywords
        self._fields = fields
        self._vocabularies = vocabularies
        # normalised synonym → (field, rank) per entity type
        self._index: dict[str, dict[str, tuple[str, int]]] = {}
        for entity, specs in fields.items():
            index: dict[str, tuple[str, int]] = {}
            for spec in specs.values():
                for rank, synonym in enumerate(spec.synonyms):
                    index[normalise_header(synonym)] = (spec.name, rank)
            self._index[entity] = index
        # synonyms that belong to fields of exactly one entity type (common fields excluded)
        owners: dict[str, set[str]] = {}
        for entity, specs in fields.items():
            for spec in specs.values():
                if spec.common:
                    continue
                for synonym in spec.synonyms:
                    owners.setdefault(normalise_header(synonym), set()).add(entity)
        self._specific = {key: next(iter(ents)) for key, ents in owners.items() if len(ents) == 1}
        self._all_keys = set().union(*(set(i) for i in self._index.values()))

    # -- description -------------------------------------------------------------------------

    @property
    def entity_types(self) -> tuple[str, ...]:
        return tuple(self._fields)

    def label(self, entity_type: str) -> str:
        """Chinese name of the entity type (政务应用程序, 政务公众账号, 工作群组)."""
        return self._labels[entity_type]

    def fields(self, entity_type: str) -> dict[str, FieldSpec]:
        return dict(self._fields[entity_type])

    def template_fields(self, entity_type: str) -> list[FieldSpec]:
        """Columns of the standard template for ``entity_type`` (all staged fields if none listed)."""
        specs = self._fields[entity_type]
        names = self._templates.get(entity_type) or [n for n, f in specs.items() if not f.ignore]
        return [specs[n] for n in names]

    def vocabulary(self, name: str) -> Vocabulary:
        try:
            return self._vocabularies[name]
        except KeyError:
            raise KeyError(f"no vocabulary {name!r} in {self.source}") from None

    @property
    def vocabularies(self) -> dict[str, Vocabulary]:
        return dict(self._vocabularies)

    # -- matching ----------------------------------------------------------------------------

    def _match(self, header: str, entity_type: str) -> tuple[str, int] | None:
        index = self._index[entity_type]
        for i, key in enumerate(header_variants(header)):
            hit = index.get(key)
            if hit is not None:
                return hit[0], hit[1] + (_FALLBACK_RANK if i else 0)
        return None

    def field_for(self, header: str, entity_type: str) -> FieldSpec | None:
        """The field ``header`` names in ``entity_type`` sheets, or ``None``."""
        hit = self._match(header, entity_type)
        return self._fields[entity_type][hit[0]] if hit else None

    def is_known(self, header: str) -> bool:
        """Whether ``header`` names a field of any entity type (used to find header rows)."""
        return any(key in self._all_keys for key in header_variants(header))

    def entity_types_for(self, header: str) -> frozenset[str]:
        return frozenset(e for e in self._fields if self._match(header, e) is not None)

    def infer_entity_type(self, headers: Sequence[str], *, sheet_name: str | None = None,
                          title: str | None = None, file_name: str | None = None) -> str | None:
        """The entity type of a sheet, or ``None`` when it cannot be told.

        Evidence in order: headers that only one entity type uses ("应用名称", "公众号名称",
        "群成员数"); then keywords in the sheet name, the title row, the file name. A tie at any
        step falls through to the next.
        """
        scores = dict.fromkeys(self._fields, 0)
        for header in headers:
            for key in header_variants(header):
                entity = self._specific.get(key)
                if entity:
                    scores[entity] += 1
                    break
        winner = _unique_max(scores)
        if winner:
            return winner
        for text in (sheet_name, title, file_name):
            winner = self._keyword_winner(text)
            if winner:
                return winner
        return None

    def _keyword_winner(self, text: str | None) -> str | None:
        if not text:
            return None
        key = normalise_header(text)
        scores = {e: sum(1 for k in kws if normalise_header(k) in key) for e, kws in self._keywords.items()}
        return _unique_max(scores)

    def map_columns(self, headers: Iterable[str], entity_type: str) -> ColumnMapping:
        """Map a sheet's header onto ``entity_type``'s fields; earlier-listed synonyms win."""
        if entity_type not in self._fields:
            raise KeyError(f"unknown entity type {entity_type!r}")
        best: dict[str, tuple[int, int, str]] = {}
        matched: dict[str, str] = {}
        unknown: list[str] = []
        for position, header in enumerate(headers):
            hit = self._match(header, entity_type)
            if hit is None:
                unknown.append(header)
                continue
            name, rank = hit
            matched[header] = name
            if name not in best or (rank, position) < best[name][:2]:
                best[name] = (rank, position, header)
        winners = {header: name for name, (_r, _p, header) in best.items()}
        fields_: dict[str, str] = {}
        ignored: list[str] = []
        duplicates: dict[str, str] = {}
        for header, name in matched.items():
            if winners.get(header) != name:
                duplicates[header] = name
            elif self._fields[entity_type][name].ignore:
                ignored.append(header)
            else:
                fields_[header] = name
        return ColumnMapping(entity_type, fields_, ignored, unknown, duplicates)


def _unique_max(scores: Mapping[str, int]) -> str | None:
    if not scores:
        return None
    top = max(scores.values())
    if top <= 0:
        return None
    winners = [k for k, v in scores.items() if v == top]
    return winners[0] if len(winners) == 1 else None


# --------------------------------------------------------------------------------------------
# Parsing and validation
# --------------------------------------------------------------------------------------------


def _fail(source: str, where: str, message: str) -> HeaderMapError:
    return HeaderMapError(f"{source}: {where}: {message}")


def _strings(value: Any, source: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _fail(source, where, "expected a non-empty list of strings")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise _fail(source, f"{where}[{i}]", f"expected a string, got {type(item).__name__}")
        text = str(item).strip()
        if not normalise_header(text):
            raise _fail(source, f"{where}[{i}]", "empty after normalisation")
        out.append(text)
    return tuple(out)


def _check_keys(mapping: Mapping, allowed: set[str], source: str, where: str,
                required: set[str] | frozenset[str] = frozenset()) -> None:
    extra = set(map(str, mapping)) - allowed
    if extra:
        raise _fail(source, where, f"unknown key(s) {sorted(extra)} (allowed: {sorted(allowed)})")
    missing = required - set(mapping)
    if missing:
        raise _fail(source, where, f"missing key(s) {sorted(missing)}")


def _parse_fields(raw: Any, source: str, where: str, *, common: bool) -> dict[str, FieldSpec]:
    if not isinstance(raw, Mapping) or not raw:
        raise _fail(source, where, "expected a non-empty mapping of field name → synonyms")
    out: dict[str, FieldSpec] = {}
    for name, spec in raw.items():
        at = f"{where}.{name}"
        if not isinstance(name, str) or not _FIELD_NAME.match(name):
            raise _fail(source, at, "field names are lower-case identifiers (a-z, 0-9, _)")
        if isinstance(spec, list):
            spec = {"synonyms": spec}
        if not isinstance(spec, Mapping):
            raise _fail(source, at, "expected a list of synonyms or a mapping with 'synonyms'")
        _check_keys(spec, {"synonyms", "vocabulary", "ignore", "description"}, source, at, {"synonyms"})
        ignore = spec.get("ignore", False)
        if not isinstance(ignore, bool):
            raise _fail(source, f"{at}.ignore", "expected true or false")
        vocabulary = spec.get("vocabulary")
        if vocabulary is not None and not isinstance(vocabulary, str):
            raise _fail(source, f"{at}.vocabulary", "expected a vocabulary name")
        out[name] = FieldSpec(
            name=name, synonyms=_strings(spec["synonyms"], source, f"{at}.synonyms"), common=common,
            vocabulary=vocabulary, ignore=ignore, description=str(spec.get("description") or ""),
        )
    return out


def _parse_vocabularies(raw: Any, source: str) -> dict[str, Vocabulary]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _fail(source, "vocabularies", "expected a mapping of vocabulary name → {code: [terms]}")
    schema_codes = _schema_codes()
    out: dict[str, Vocabulary] = {}
    for name, codes in raw.items():
        at = f"vocabularies.{name}"
        if not isinstance(name, str) or not _FIELD_NAME.match(name):
            raise _fail(source, at, "vocabulary names are lower-case identifiers")
        if not isinstance(codes, Mapping) or not codes:
            raise _fail(source, at, "expected a non-empty mapping of code → list of terms")
        terms: dict[str, tuple[str, ...]] = {}
        index: dict[str, str] = {}
        for code, words in codes.items():
            if not isinstance(code, str):
                raise _fail(source, f"{at}.{code!r}", "codes must be strings (quote true/false/yes/no/numbers)")
            words = _strings(words, source, f"{at}.{code}")
            terms[code] = words
            for word in (code, *words):
                key = normalise_header(word)
                if index.get(key, code) != code:
                    raise _fail(source, f"{at}.{code}", f"term {word!r} already means {index[key]!r}")
                index[key] = code
        allowed = schema_codes.get(name)
        if allowed is not None:
            unknown = [c for c in terms if c not in allowed]
            if unknown:
                raise _fail(source, at, f"code(s) {unknown} are not in the store schema {list(allowed)}")
            missing = [c for c in allowed if c not in terms]
            if missing:
                raise _fail(source, at, f"schema code(s) {missing} have no terms")
        out[name] = Vocabulary(name=name, terms=terms, _index=index)
    return out


def parse_header_map(document: Any, *, source: str = "<header map>") -> HeaderMap:
    """Validate a parsed YAML document and build the :class:`HeaderMap`."""
    if not isinstance(document, Mapping):
        raise _fail(source, "top level", "expected a mapping")
    _check_keys(document, {"version", "common_fields", "entity_types", "vocabularies", "templates"}, source,
                "top level", {"version", "entity_types"})
    version = document["version"]
    if version != 1:
        raise _fail(source, "version", f"unsupported version {version!r} (expected 1)")
    vocabularies = _parse_vocabularies(document.get("vocabularies"), source)
    common = _parse_fields(document["common_fields"], source, "common_fields", common=True) \
        if document.get("common_fields") is not None else {}
    entities = document["entity_types"]
    if not isinstance(entities, Mapping):
        raise _fail(source, "entity_types", "expected a mapping")
    if set(entities) != set(ENTITY_TYPES):
        raise _fail(source, "entity_types", f"expected exactly {list(ENTITY_TYPES)}, got {list(entities)}")
    labels: dict[str, str] = {}
    keywords: dict[str, tuple[str, ...]] = {}
    fields: dict[str, dict[str, FieldSpec]] = {}
    for entity in ENTITY_TYPES:
        spec = entities[entity]
        at = f"entity_types.{entity}"
        if not isinstance(spec, Mapping):
            raise _fail(source, at, "expected a mapping")
        _check_keys(spec, {"label_zh", "keywords", "fields"}, source, at, {"label_zh", "keywords", "fields"})
        if not isinstance(spec["label_zh"], str) or not spec["label_zh"].strip():
            raise _fail(source, f"{at}.label_zh", "expected a non-empty string")
        labels[entity] = spec["label_zh"].strip()
        keywords[entity] = _strings(spec["keywords"], source, f"{at}.keywords")
        own = _parse_fields(spec["fields"], source, f"{at}.fields", common=False)
        clash = set(own) & set(common)
        if clash:
            raise _fail(source, f"{at}.fields", f"field(s) {sorted(clash)} are already common fields")
        if "name" not in own:
            raise _fail(source, f"{at}.fields", "a 'name' field is required")
        merged = {**common, **own}
        seen: dict[str, str] = {}
        for f in merged.values():
            if f.vocabulary is not None and f.vocabulary not in vocabularies:
                where = "common_fields" if f.common else f"{at}.fields"
                raise _fail(source, f"{where}.{f.name}.vocabulary", f"no vocabulary named {f.vocabulary!r}")
            for synonym in f.synonyms:
                key = normalise_header(synonym)
                if seen.get(key, f.name) != f.name:
                    raise _fail(source, f"{at}.fields.{f.name}",
                                f"synonym {synonym!r} also names field {seen[key]!r} (ambiguous)")
                seen[key] = f.name
        fields[entity] = merged
    templates = _parse_templates(document.get("templates"), fields, source)
    return HeaderMap(version=version, source=source, labels=labels, keywords=keywords, fields=fields,
                     vocabularies=vocabularies, templates=templates)


def _parse_templates(raw: Any, fields: dict[str, dict[str, FieldSpec]], source: str) -> dict[str, tuple[str, ...]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise _fail(source, "templates", "expected a mapping of entity type → list of fields")
    out: dict[str, tuple[str, ...]] = {}
    for entity, names in raw.items():
        at = f"templates.{entity}"
        if entity not in fields:
            raise _fail(source, at, f"unknown entity type (expected one of {list(ENTITY_TYPES)})")
        names = _strings(names, source, at)
        unknown = [n for n in names if n not in fields[entity]]
        if unknown:
            raise _fail(source, at, f"field(s) {unknown} are not fields of {entity}")
        if len(set(names)) != len(names):
            raise _fail(source, at, "a field is listed twice")
        if "name" not in names:
            raise _fail(source, at, "the template must have the 'name' column")
        out[entity] = names
    return out


def default_path() -> Path:
    from fingertip import config

    return config.resources_dir() / "inventory" / "headers.yaml"


_cache: dict[Path, tuple[float, HeaderMap]] = {}
_lock = threading.Lock()


def load_header_map(path: str | Path | None = None) -> HeaderMap:
    """Load and validate the header map (default ``fingertip/resources/inventory/headers.yaml``).

    Cached per file and modification time, so an edited file is picked up by the next call.
    """
    import yaml

    p = Path(path) if path is not None else default_path()
    try:
        mtime = p.stat().st_mtime
    except FileNotFoundError:
        raise HeaderMapError(f"{p}: header map not found") from None
    with _lock:
        hit = _cache.get(p)
        if hit and hit[0] == mtime:
            return hit[1]
    try:
        document = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise HeaderMapError(f"{p}: not valid YAML: {exc}") from exc
    header_map = parse_header_map(document, source=str(p))
    with _lock:
        _cache[p] = (mtime, header_map)
    log.debug("header map %s loaded: %s", p, {e: len(header_map.fields(e)) for e in header_map.entity_types})
    return header_map
