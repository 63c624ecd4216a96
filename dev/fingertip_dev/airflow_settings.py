"""Load Astro CLI's ``airflow_settings.yaml`` into a plain Airflow metadata database.

The Astro CLI reads ``airflow_settings.yaml`` when it starts its local containers; plain Airflow has
no reader for it (``airflow pools import`` takes JSON only). This module fills that gap so the same
file configures ``make airflow-home`` and an Astro project::

    python -m fingertip_dev settings load [PATH] [--dry-run] [--prune]
    python -m fingertip_dev.airflow_settings load [PATH] [--dry-run] [--prune]

The file format is Astro's::

    airflow:
      connections:
        - conn_id: my_conn            # required
          conn_type: http             # required unless conn_uri is given
          conn_host: 127.0.0.1
          conn_schema: http
          conn_login: user
          conn_password: ${MY_CONN_PASSWORD}
          conn_port: 8080
          conn_extra: {key: value}    # a mapping or a JSON object in a string
          conn_description: ...       # optional (extension)
          # conn_uri: http://user:pw@host:8080   instead of the conn_* fields above
      pools:
        - pool_name: my_pool          # required
          pool_slot: 5                # required integer, -1 means unlimited
          pool_description: ...
          pool_include_deferred: false
      variables:
        - variable_name: my_var       # required
          variable_value: ...         # required; non-strings are stored as JSON
          variable_description: ...   # optional (extension)

Rules:

* Validation is strict and happens before anything is written: unknown keys, missing required keys,
  wrong types, invalid ids and duplicate ids are reported together, each naming the file, the
  section, the entry and the key. Values are never echoed (they may be secrets).
* String values may reference the environment: ``${NAME}`` (an error when ``NAME`` is unset) or
  ``${NAME:-default}`` (the default when ``NAME`` is unset or empty); ``$${`` writes a literal
  ``${``. A lone ``$`` needs no escaping. Interpolated values are strings; ``conn_port``,
  ``pool_slot`` and ``pool_include_deferred`` accept the string forms of their types.
* Entries whose keys are all empty (the placeholders of Astro's template) are skipped.
* Connections, pools and variables are upserted in one metadata-database session (one transaction):
  an entry is created when missing, updated when any field differs (password and extra included;
  extras are compared as JSON) and otherwise left alone, so a second run reports only "unchanged".
  An entry fully defines its object: an omitted connection field is stored empty. Descriptions and
  ``pool_include_deferred`` are the exception: when omitted, the stored value is kept.
* Objects in the database that the file does not mention are left alone, unless ``prune`` is set:
  then connections, pools and variables absent from the file are deleted (``default_pool`` never),
  but only for the sections the file contains, so a file without a ``pools`` key never deletes pools.

Nothing here imports Airflow at module level: a file is validated without Airflow, which is imported
only to write.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import difflib
import json
import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger("fingertip_dev.airflow_settings")  # also when run as __main__

SECTIONS = ("connections", "pools", "variables")
DEFAULT_POOL = "default_pool"
SETTINGS_FILE_NAME = "airflow_settings.yaml"

# Limits and patterns of the Airflow 3 metadata model (airflow.models.connection/pool/variable).
_CONN_ID_RE = re.compile(r"^[\w#!()\-.:/\\]+$")
_CONN_ID_MAX_LEN = 250
_VARIABLE_KEY_MAX_LEN = 250
_POOL_NAME_MAX_LEN = 256
_SHORT_FIELD_MAX_LEN = 500  # conn_type, host, schema

_ID_KEYS = {"connections": "conn_id", "pools": "pool_name", "variables": "variable_name"}
_ALLOWED_KEYS = {
    "connections": (
        "conn_id",
        "conn_type",
        "conn_host",
        "conn_schema",
        "conn_login",
        "conn_password",
        "conn_port",
        "conn_extra",
        "conn_uri",
        "conn_description",
    ),
    "pools": ("pool_name", "pool_slot", "pool_description", "pool_include_deferred"),
    "variables": ("variable_name", "variable_value", "variable_description"),
}
# conn_uri replaces every field of the connection except its id and description
_URI_EXCLUSIVE_KEYS = tuple(
    k for k in _ALLOWED_KEYS["connections"] if k not in ("conn_id", "conn_uri", "conn_description")
)


class SettingsError(Exception):
    """The settings file is invalid, or it cannot be applied to the metadata database.

    ``problems`` holds one message per problem; ``str()`` gives all of them, one a line.
    """

    def __init__(self, path: str | os.PathLike[str], problems: Sequence[str] | str):
        self.path = str(path)
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            message = f"{self.path}: {self.problems[0]}"
        else:
            listed = "\n".join(f"  - {problem}" for problem in self.problems)
            message = f"{self.path}: {len(self.problems)} problems:\n{listed}"
        super().__init__(message)


# --------------------------------------------------------------------------------------------------
# Parsed settings
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ConnectionSpec:
    conn_id: str
    conn_type: str
    host: str | None = None
    schema: str | None = None
    login: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    port: int | None = None
    extra: dict[str, Any] | None = dataclasses.field(default=None, repr=False)
    description: str | None = None
    manage_description: bool = False


@dataclasses.dataclass(frozen=True)
class PoolSpec:
    name: str
    slots: int
    description: str | None = None
    manage_description: bool = False
    include_deferred: bool = False
    manage_include_deferred: bool = False


@dataclasses.dataclass(frozen=True)
class VariableSpec:
    key: str
    value: str = dataclasses.field(repr=False)
    description: str | None = None
    manage_description: bool = False


@dataclasses.dataclass(frozen=True)
class Settings:
    """A validated settings file; a section is ``None`` when the file does not contain it."""

    path: str
    connections: tuple[ConnectionSpec, ...] | None
    pools: tuple[PoolSpec, ...] | None
    variables: tuple[VariableSpec, ...] | None


# --------------------------------------------------------------------------------------------------
# YAML loading and environment interpolation
# --------------------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """``SafeLoader`` that rejects duplicate keys in a mapping instead of keeping the last one."""


def _construct_mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False):
    seen: dict[Any, Any] = {}
    for key_node, _value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:  # unhashable key: the base constructor reports it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_without_duplicates
)


def _yaml_error_message(exc: yaml.YAMLError) -> str:
    """A YAML error without the quoted source line (which may hold a secret)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or exc.__class__.__name__
    context = getattr(exc, "context", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"not valid YAML: {context + ': ' if context else ''}{problem}{where}"


class InterpolationError(ValueError):
    """A ``${...}`` reference that cannot be resolved; the message never holds a value."""


_TOKEN_RE = re.compile(r"\$\$\{|\$\{(?P<body>[^}]*)\}|\$\{")
_REFERENCE_RE = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?", re.DOTALL)


def interpolate(value: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace ``${NAME}`` and ``${NAME:-default}`` with environment values; ``$${`` gives ``${``."""
    env = os.environ if environ is None else environ

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$${":
            return "${"
        body = match.group("body")
        if body is None:
            raise InterpolationError(
                f"unterminated '${{' at position {match.start()}; write '$${{' for a literal '${{'"
            )
        reference = _REFERENCE_RE.fullmatch(body)
        if reference is None:
            raise InterpolationError(
                f"invalid '${{...}}' reference at position {match.start()}: use ${{NAME}} or "
                "${NAME:-default}, or write '$${' for a literal '${'"
            )
        name, default = reference.group("name"), reference.group("default")
        current = env.get(name)
        if current is None or (current == "" and default is not None):
            if default is None:
                raise InterpolationError(
                    f"environment variable {name} is not set (write ${{{name}:-default}} to give a default)"
                )
            return default
        return current

    return _TOKEN_RE.sub(replace, value)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    raise TypeError(f"values of type {type(value).__name__} cannot be stored as JSON")


# --------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------


class _Validator:
    """Turns the loaded YAML document into :class:`Settings`, collecting every problem."""

    def __init__(self, path: str):
        self.path = path
        self.problems: list[str] = []

    # -- helpers -----------------------------------------------------------------------------------

    def _problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def _interpolate(self, where: str, key: str, value: str) -> str | None:
        try:
            return interpolate(value)
        except InterpolationError as exc:
            self._problem(where, f"{key}: {exc}")
            return None

    def _interpolate_tree(self, where: str, key: str, value: Any) -> tuple[bool, Any]:
        """Interpolate every string leaf of a YAML/JSON tree; ``(ok, result)``."""
        if isinstance(value, str):
            result = self._interpolate(where, key, value)
            return result is not None, result
        if isinstance(value, dict):
            ok, out = True, {}
            for item_key, item in value.items():
                item_ok, out[item_key] = self._interpolate_tree(where, key, item)
                ok = ok and item_ok
            return ok, out
        if isinstance(value, list):
            ok, items = True, []
            for item in value:
                item_ok, result = self._interpolate_tree(where, key, item)
                ok = ok and item_ok
                items.append(result)
            return ok, items
        return True, value

    def _string(
        self, where: str, entry: dict, key: str, *, required: bool = False, max_len: int | None = None
    ) -> str | None:
        """An optional (or required) string field, interpolated; empty strings become ``None``."""
        value = entry.get(key)
        if value is None:
            if required:
                self._problem(where, f"{key} is required")
            return None
        if not isinstance(value, str):
            self._problem(where, f"{key} must be a string, got {_type_name(value)} (quote the value in YAML)")
            return None
        result = self._interpolate(where, key, value)
        if result is None:
            return None
        if result == "":
            if required:
                self._problem(where, f"{key} must not be empty")
            return None
        if max_len is not None and len(result) > max_len:
            self._problem(where, f"{key} is longer than {max_len} characters")
            return None
        return result

    def _integer(
        self, where: str, entry: dict, key: str, *, required: bool, minimum: int, maximum: int | None = None
    ) -> tuple[bool, int | None]:
        """An integer field (a YAML integer or, after interpolation, a string of digits)."""
        value = entry.get(key)
        if isinstance(value, str):
            interpolated = self._interpolate(where, key, value)
            if interpolated is None:
                return False, None
            value = interpolated.strip()
            if value == "":
                value = None
            elif re.fullmatch(r"[+-]?\d+", value):
                value = int(value)
            else:
                self._problem(where, f"{key} must be an integer, got the string {value!r}")
                return False, None
        if value is None:
            if required:
                self._problem(where, f"{key} is required (an integer)")
                return False, None
            return True, None
        if isinstance(value, bool) or not isinstance(value, int):
            shown = f" {value!r}" if isinstance(value, float) else ""
            self._problem(where, f"{key} must be an integer, got {_type_name(value)}{shown}")
            return False, None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            self._problem(where, f"{key} must be {bounds}, got {value}")
            return False, None
        return True, value

    def _boolean(self, where: str, entry: dict, key: str) -> tuple[bool, bool | None]:
        value = entry.get(key)
        if isinstance(value, str):
            interpolated = self._interpolate(where, key, value)
            if interpolated is None:
                return False, None
            lowered = interpolated.strip().lower()
            if lowered in ("true", "yes", "on", "1"):
                return True, True
            if lowered in ("false", "no", "off", "0"):
                return True, False
            if lowered == "":
                return True, None
            self._problem(where, f"{key} must be true or false, got the string {interpolated!r}")
            return False, None
        if value is None or isinstance(value, bool):
            return True, value
        self._problem(where, f"{key} must be true or false, got {_type_name(value)}")
        return False, None

    # -- document ----------------------------------------------------------------------------------

    def validate(self, document: Any) -> Settings:
        sections: dict[str, tuple | None] = {name: None for name in SECTIONS}
        if document is None:
            self._problem("", "the file is empty (expected a mapping with the key 'airflow')")
        elif not isinstance(document, dict):
            self._problem(
                "", f"the top level must be a mapping with the key 'airflow', got {_type_name(document)}"
            )
        else:
            self._unknown_keys("", document, ("airflow",), what="top-level key")
            if "airflow" not in document:
                self._problem("", "the top-level key 'airflow' is missing")
            airflow = document.get("airflow")
            if airflow is not None and not isinstance(airflow, dict):
                self._problem(
                    "airflow",
                    f"must be a mapping with the keys {', '.join(SECTIONS)}, got {_type_name(airflow)}",
                )
            elif isinstance(airflow, dict):
                self._unknown_keys("airflow", airflow, SECTIONS, what="section")
                for name in SECTIONS:
                    if name in airflow:
                        sections[name] = self._section(name, airflow[name])
        if self.problems:
            raise SettingsError(self.path, self.problems)
        return Settings(self.path, sections["connections"], sections["pools"], sections["variables"])

    def _unknown_keys(self, where: str, mapping: dict, allowed: Sequence[str], *, what: str = "key") -> bool:
        clean = True
        for key in mapping:
            if key in allowed:
                continue
            clean = False
            hint = ""
            if isinstance(key, str):
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
            self._problem(where, f"unknown {what} {key!r}{hint}; allowed: {', '.join(allowed)}")
        return clean

    def _section(self, name: str, entries: Any) -> tuple:
        if entries is None:
            return ()
        if not isinstance(entries, list):
            self._problem(name, f"must be a list of entries, got {_type_name(entries)}")
            return ()
        id_key = _ID_KEYS[name]
        parsed: list = []
        first_index: dict[str, int] = {}
        for index, entry in enumerate(entries):
            where = f"{name}[{index}]"
            if not isinstance(entry, dict):
                self._problem(where, f"must be a mapping with keys such as {id_key}, got {_type_name(entry)}")
                continue
            raw_id = entry.get(id_key)
            if isinstance(raw_id, str) and raw_id:
                where = f"{where} ({id_key} {raw_id!r})"
            # Unknown keys are reported, and the known ones are still checked.
            self._unknown_keys(where, entry, _ALLOWED_KEYS[name])
            if all(value is None or value in ("", {}, []) for value in entry.values()):
                log.warning(
                    "%s: skipping %s[%d]: every key is empty (template placeholder)", self.path, name, index
                )
                continue
            spec_id = _resolved_id(raw_id)
            if spec_id is not None:
                if spec_id in first_index:
                    self._problem(
                        where,
                        f"duplicate {id_key} {spec_id!r} (already defined by {name}[{first_index[spec_id]}])",
                    )
                else:
                    first_index[spec_id] = index
            spec = getattr(self, f"_{name[:-1]}")(where, entry)
            if spec is not None:
                parsed.append(spec)
        return tuple(parsed)

    # -- entries -----------------------------------------------------------------------------------

    def _connection(self, where: str, entry: dict) -> ConnectionSpec | None:
        before = len(self.problems)
        conn_id = self._string(where, entry, "conn_id", required=True)
        if conn_id is not None and (len(conn_id) > _CONN_ID_MAX_LEN or not _CONN_ID_RE.match(conn_id)):
            self._problem(
                where,
                f"conn_id {conn_id!r} is not a valid Airflow connection id (1 to {_CONN_ID_MAX_LEN} "
                "letters, digits or the characters _ - . : / \\ # ! ( ))",
            )
        description = self._string(where, entry, "conn_description", max_len=5000)
        fields: dict[str, Any]
        if entry.get("conn_uri") is not None:
            given = [key for key in _URI_EXCLUSIVE_KEYS if entry.get(key) is not None]
            if given:
                self._problem(where, f"conn_uri cannot be combined with {', '.join(given)}")
                return None
            uri = self._string(where, entry, "conn_uri", required=True)
            if uri is None or len(self.problems) > before:
                return None
            fields = self._fields_from_uri(where, conn_id, uri)
            if fields is None:
                return None
        else:
            fields = {
                "conn_type": self._string(
                    where, entry, "conn_type", required=True, max_len=_SHORT_FIELD_MAX_LEN
                ),
                "host": self._string(where, entry, "conn_host", max_len=_SHORT_FIELD_MAX_LEN),
                "schema": self._string(where, entry, "conn_schema", max_len=_SHORT_FIELD_MAX_LEN),
                "login": self._string(where, entry, "conn_login"),
                "password": self._string(where, entry, "conn_password"),
                # 0 means "no port", as in the Astro CLI.
                "port": self._integer(where, entry, "conn_port", required=False, minimum=0, maximum=65535)[1]
                or None,
                "extra": self._extra(where, entry.get("conn_extra")),
            }
        if len(self.problems) > before:
            return None
        return ConnectionSpec(
            conn_id=conn_id,
            description=description,
            manage_description="conn_description" in entry,
            **fields,
        )

    def _extra(self, where: str, value: Any) -> dict[str, Any] | None:
        if value is None:
            return None
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                self._problem(
                    where,
                    f"conn_extra is a string but not valid JSON ({exc.msg} at line {exc.lineno}, "
                    f"column {exc.colno}); give a mapping or a JSON object",
                )
                return None
        if not isinstance(value, dict):
            self._problem(where, f"conn_extra must be a mapping or a JSON object, got {_type_name(value)}")
            return None
        ok, value = self._interpolate_tree(where, "conn_extra", value)
        if not ok:
            return None
        try:  # normalise through JSON: string keys, dates as ISO strings
            value = json.loads(json.dumps(value, default=_json_default))
        except (TypeError, ValueError) as exc:
            self._problem(where, f"conn_extra cannot be stored as JSON: {exc}")
            return None
        return value or None

    def _fields_from_uri(self, where: str, conn_id: str | None, uri: str) -> dict[str, Any] | None:
        from airflow.models.connection import Connection  # only files that use conn_uri need Airflow here

        try:
            parsed = Connection(conn_id=conn_id, uri=uri)
            extra = parsed.extra_dejson if parsed.extra else None
        except Exception as exc:  # noqa: BLE001 - the URI parser raises several types
            # The message is not shown: it may quote the URI, which holds the password.
            self._problem(where, f"conn_uri is not a valid Airflow connection URI ({type(exc).__name__})")
            return None
        if not parsed.conn_type:
            self._problem(where, "conn_uri has no scheme (the connection type)")
            return None
        return {
            "conn_type": parsed.conn_type,
            "host": parsed.host or None,
            "schema": parsed.schema or None,
            "login": parsed.login or None,
            "password": parsed.password or None,
            "port": parsed.port,
            "extra": extra or None,
        }

    def _pool(self, where: str, entry: dict) -> PoolSpec | None:
        before = len(self.problems)
        name = self._string(where, entry, "pool_name", required=True, max_len=_POOL_NAME_MAX_LEN)
        _, slots = self._integer(where, entry, "pool_slot", required=True, minimum=-1)
        description = self._string(where, entry, "pool_description")
        _, include_deferred = self._boolean(where, entry, "pool_include_deferred")
        if len(self.problems) > before:
            return None
        return PoolSpec(
            name=name,
            slots=slots,
            description=description,
            manage_description="pool_description" in entry,
            include_deferred=bool(include_deferred),
            manage_include_deferred=include_deferred is not None,
        )

    def _variable(self, where: str, entry: dict) -> VariableSpec | None:
        before = len(self.problems)
        key = self._string(where, entry, "variable_name", required=True, max_len=_VARIABLE_KEY_MAX_LEN)
        description = self._string(where, entry, "variable_description")
        raw = entry.get("variable_value")
        value: str | None = None
        if raw is None:
            self._problem(where, 'variable_value is required (write "" for an empty string)')
        elif isinstance(raw, str):
            value = self._interpolate(where, "variable_value", raw)
        elif isinstance(raw, datetime.datetime | datetime.date):
            value = raw.isoformat()
        else:
            ok, tree = self._interpolate_tree(where, "variable_value", raw)
            if ok:
                try:
                    value = json.dumps(tree, default=_json_default)
                except (TypeError, ValueError) as exc:
                    self._problem(where, f"variable_value cannot be stored as JSON: {exc}")
        if len(self.problems) > before or value is None:
            return None
        return VariableSpec(
            key=key, value=value, description=description, manage_description="variable_description" in entry
        )


def _type_name(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)


def _resolved_id(raw_id: Any) -> str | None:
    """An entry's id after interpolation, for the duplicate check (``None`` when unusable)."""
    if not isinstance(raw_id, str):
        return None
    try:
        return interpolate(raw_id) or None
    except InterpolationError:
        return None  # reported by the entry's own validation


def parse_settings(path: str | os.PathLike[str]) -> Settings:
    """Read and validate a settings file; raises :class:`SettingsError` naming every problem."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(shown, "file not found") from None
    except IsADirectoryError:
        raise SettingsError(shown, "is a directory, not a settings file") from None
    except UnicodeDecodeError:
        raise SettingsError(shown, "is not UTF-8 text") from None
    except OSError as exc:
        raise SettingsError(shown, f"cannot be read: {exc.strerror or exc}") from None
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise SettingsError(shown, _yaml_error_message(exc)) from None
    return _Validator(shown).validate(document)


# --------------------------------------------------------------------------------------------------
# Applying to the metadata database
# --------------------------------------------------------------------------------------------------


def _empty_report() -> dict[str, dict[str, list[str]]]:
    return {section: {"created": [], "updated": [], "unchanged": [], "deleted": []} for section in SECTIONS}


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _stored_extra(stored: str | None) -> str | None:
    """The canonical form of a stored extra (``None`` when empty); unparsable text compares as is."""
    if not stored:
        return None
    try:
        parsed = json.loads(stored)
    except json.JSONDecodeError:
        return f"unparsable:{stored}"
    if not parsed:
        return None
    return _canonical_json(parsed)


def _warn_shadowing(kind: str, prefix: str, ident: str) -> None:
    env_name = f"{prefix}{ident.upper()}"
    if env_name in os.environ:
        log.warning(
            "%s %s is also defined by the environment variable %s, which takes precedence over the "
            "metadata database at run time",
            kind,
            ident,
            env_name,
        )


def _sync(kind: str, session, model, key_attr: str, specs, report: dict, *, ident, create, changes, apply,
          prune: bool, dry_run: bool, env_prefix: str | None = None, protected: frozenset[str] = frozenset()) -> None:
    """Create, update (only what differs) and optionally prune one kind of metadata object.

    ``create(spec)`` builds a new model object, ``changes(current, spec)`` names the fields that
    differ, ``apply(current, spec, changed)`` writes them. Only ids are logged, never values.
    """
    from sqlalchemy import select

    existing = {getattr(obj, key_attr): obj for obj in session.scalars(select(model))}
    verb = "would be " if dry_run else ""
    for spec in specs:
        key = ident(spec)
        if env_prefix:
            _warn_shadowing(kind, env_prefix, key)
        current = existing.get(key)
        if current is None:
            report["created"].append(key)
            log.info("%s %s %screated", kind, key, verb)
            if not dry_run:
                session.add(create(spec))
            continue
        changed = changes(current, spec)
        if not changed:
            report["unchanged"].append(key)
            continue
        report["updated"].append(key)
        log.info("%s %s %supdated (%s)", kind, key, verb, ", ".join(changed))
        if not dry_run:
            apply(current, spec, changed)
    if prune:
        wanted = {ident(spec) for spec in specs} | protected
        for key in sorted(set(existing) - wanted):
            report["deleted"].append(key)
            log.info("%s %s %sdeleted", kind, key, verb)
            if not dry_run:
                session.delete(existing[key])


def _description_changed(current, spec) -> bool:
    return spec.manage_description and (current.description or None) != spec.description


def _sync_connections(
    session, specs: tuple[ConnectionSpec, ...], report: dict, *, prune: bool, dry_run: bool
) -> None:
    from airflow.models.connection import Connection

    fields = ("conn_type", "host", "schema", "login", "port")

    def extra_json(spec: ConnectionSpec) -> str | None:
        return json.dumps(spec.extra) if spec.extra else None

    def create(spec: ConnectionSpec):
        return Connection(conn_id=spec.conn_id, conn_type=spec.conn_type, description=spec.description,
                          host=spec.host, schema=spec.schema, login=spec.login, password=spec.password,
                          port=spec.port, extra=extra_json(spec))

    def changes(current, spec: ConnectionSpec) -> list[str]:
        try:
            stored_password = current.password or None
            stored_extra = _stored_extra(current.extra)
        except ValueError as exc:
            raise SettingsError(
                "metadata database",
                f"connection {spec.conn_id!r}: the stored password or extra cannot be decrypted "
                f"({type(exc).__name__}); check [core] fernet_key",
            ) from None
        changed = [f for f in fields if (getattr(current, f) or None) != getattr(spec, f)]
        if stored_password != spec.password:
            changed.append("password")
        if stored_extra != (_canonical_json(spec.extra) if spec.extra else None):
            changed.append("extra")
        if _description_changed(current, spec):
            changed.append("description")
        return changed

    def apply(current, spec: ConnectionSpec, changed: list[str]) -> None:
        for f in fields:
            setattr(current, f, getattr(spec, f))
        if "password" in changed:
            if spec.password:
                current.password = spec.password
            else:  # the model's setter ignores empty values, so clear the column itself
                current._password = None
                current.is_encrypted = False
        if "extra" in changed:
            current.extra = extra_json(spec)
        if spec.manage_description:
            current.description = spec.description

    _sync("connection", session, Connection, "conn_id", specs, report, ident=lambda spec: spec.conn_id,
          create=create, changes=changes, apply=apply, prune=prune, dry_run=dry_run, env_prefix="AIRFLOW_CONN_")


def _sync_pools(session, specs: tuple[PoolSpec, ...], report: dict, *, prune: bool, dry_run: bool) -> None:
    from airflow.models.pool import Pool

    def changes(current, spec: PoolSpec) -> list[str]:
        changed = ["slots"] if current.slots != spec.slots else []
        if _description_changed(current, spec):
            changed.append("description")
        if spec.manage_include_deferred and bool(current.include_deferred) != spec.include_deferred:
            changed.append("include_deferred")
        return changed

    def apply(current, spec: PoolSpec, _changed: list[str]) -> None:
        current.slots = spec.slots
        if spec.manage_description:
            current.description = spec.description
        if spec.manage_include_deferred:
            current.include_deferred = spec.include_deferred

    _sync("pool", session, Pool, "pool", specs, report, ident=lambda spec: spec.name,
          create=lambda spec: Pool(pool=spec.name, slots=spec.slots, description=spec.description,
                                   include_deferred=spec.include_deferred),
          changes=changes, apply=apply, prune=prune, dry_run=dry_run, protected=frozenset({DEFAULT_POOL}))


def _sync_variables(
    session, specs: tuple[VariableSpec, ...], report: dict, *, prune: bool, dry_run: bool
) -> None:
    from airflow.models.variable import Variable

    def changes(current, spec: VariableSpec) -> list[str]:
        changed = ["value"] if current.val != spec.value else []
        if _description_changed(current, spec):
            changed.append("description")
        return changed

    def apply(current, spec: VariableSpec, _changed: list[str]) -> None:
        current.val = spec.value
        if spec.manage_description:
            current.description = spec.description

    _sync("variable", session, Variable, "key", specs, report, ident=lambda spec: spec.key,
          create=lambda spec: Variable(key=spec.key, val=spec.value, description=spec.description),
          changes=changes, apply=apply, prune=prune, dry_run=dry_run, env_prefix="AIRFLOW_VAR_")


def apply_settings(settings: Settings, *, prune: bool = False, dry_run: bool = False) -> dict:
    """Upsert validated settings in one metadata-database session; see :func:`load_settings`."""
    from airflow.utils.session import create_session
    from sqlalchemy.exc import SQLAlchemyError

    report = _empty_report()
    syncs = (
        ("connections", settings.connections, _sync_connections),
        ("pools", settings.pools, _sync_pools),
        ("variables", settings.variables, _sync_variables),
    )
    try:
        with create_session() as session:
            for section, specs, sync in syncs:
                # A section the file does not contain is neither loaded nor pruned.
                if specs is not None:
                    sync(session, specs, report[section], prune=prune, dry_run=dry_run)
            if dry_run:
                session.rollback()
    except SQLAlchemyError as exc:
        # Only the driver's first line: the full message can quote statement parameters.
        reason = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()[0]
        missing_tables = "no such table" in reason or "does not exist" in reason
        hint = " (has `airflow db migrate` run?)" if missing_tables else ""
        raise SettingsError(
            settings.path,
            f"cannot write to the Airflow metadata database: {reason}{hint}; nothing was written",
        ) from None
    for counts in report.values():
        for ids in counts.values():
            ids.sort()
    return report


def load_settings(path: str | os.PathLike[str], *, prune: bool = False, dry_run: bool = False) -> dict:
    """Validate ``path`` and upsert its connections, pools and variables into the metadata database.

    Everything is validated before anything is written, and everything is written in one session,
    so an invalid file or a database error leaves the database unchanged.

    :param path: an Astro ``airflow_settings.yaml`` file.
    :param prune: also delete connections, pools (except ``default_pool``) and variables that the
        file does not define, in the sections the file contains.
    :param dry_run: compute the report without writing anything.
    :return: ``{"connections"|"pools"|"variables": {"created"|"updated"|"unchanged"|"deleted": [ids]}}``
        with sorted ids; ``deleted`` stays empty unless ``prune`` is set.
    :raises SettingsError: the file is invalid (every problem is named) or cannot be applied.
    """
    settings = parse_settings(path)
    return apply_settings(settings, prune=prune, dry_run=dry_run)


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------


def _default_path() -> Path:
    from fingertip.config import home

    return home() / SETTINGS_FILE_NAME


def _shorten(ids: Iterable[str], limit: int = 5) -> str:
    ids = list(ids)
    shown = ", ".join(ids[:limit])
    return shown + (f", ... +{len(ids) - limit} more" if len(ids) > limit else "")


def format_report(report: dict, *, prune: bool = False) -> list[str]:
    """One human line per section, naming the created, updated and deleted ids."""
    lines = []
    for section in SECTIONS:
        counts = report[section]
        parts = []
        for outcome in ("created", "updated", "unchanged", "deleted"):
            if outcome == "deleted" and not prune:
                continue
            ids = counts[outcome]
            part = f"{len(ids)} {outcome}"
            if ids and outcome != "unchanged":
                part += f" ({_shorten(ids)})"
            parts.append(part)
        lines.append(f"{section}: {', '.join(parts)}")
    return lines


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Load Astro's airflow_settings.yaml into the Airflow metadata database."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    load = commands.add_parser(
        "load",
        help="create or update connections, pools and variables from an airflow_settings.yaml",
        description="Create or update connections, pools and variables from an airflow_settings.yaml "
        "(validated first; written in one transaction; idempotent).",
    )
    load.add_argument(
        "path",
        nargs="?",
        metavar="PATH",
        help=f"the settings file (default: {SETTINGS_FILE_NAME} in the project root)",
    )
    load.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    load.add_argument(
        "-v", "--verbose", action="store_true", help="log every created, updated and deleted entry"
    )
    load.add_argument(
        "--prune",
        action="store_true",
        help="also delete connections, pools (except default_pool) and variables absent from the file",
    )
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = "python -m fingertip_dev settings") -> int:
    """Command line: ``load [PATH] [--dry-run] [--prune]``; returns the exit status."""
    args = _parser(prog).parse_args(list(sys.argv[1:] if argv is None else argv))
    path = Path(args.path) if args.path else _default_path()
    # Per-entry lines repeat the summary below; warnings (skipped entries, shadowing) always show.
    log.setLevel(logging.INFO if args.verbose else logging.WARNING)
    try:
        report = load_settings(path, prune=args.prune, dry_run=args.dry_run)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    heading = "dry run, nothing written" if args.dry_run else "loaded into the Airflow metadata database"
    print(f"{path}: {heading}")
    for line in format_report(report, prune=args.prune):
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(prog="python -m fingertip_dev.airflow_settings"))
