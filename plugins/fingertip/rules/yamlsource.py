"""YAML loading that remembers where every value came from (file and line).

Policy files are edited by hand by operators; a mistake must be reported as ``file:line: what``.
:func:`load` returns plain ``dict``/``list`` subclasses that carry the line of each mapping key and
list item, and :class:`PolicySourceError` formats the location.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import yaml


class PolicySourceError(ValueError):
    """A policy file is malformed: the message names the file and line."""

    def __init__(self, path: str | Path, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        self.problem = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


class LineDict(dict):
    """A mapping that knows its own line and the line of each key."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    line: int = 0
    item_lines: list

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line = node.start_mark.line + 1
    out.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise PolicySourceError(loader.name, key_node.start_mark.line + 1, f"duplicate key {key!r}")
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


#: Parsed texts, as pickles: the same text is parsed once (the pure-Python loader costs about 7 ms per
#: policy file, unpickling a fresh copy about 0.1 ms) and every caller still gets its own objects. The
#: result does not depend on the path (only a mistake names it, and mistakes are not cached); a changed
#: file is another text. The oldest entries go beyond _CACHE_SIZE.
_CACHE: dict[str, bytes] = {}
_CACHE_SIZE = 256


def load(path: str | Path) -> Any:
    """Parse one YAML file; syntax errors become :class:`PolicySourceError` with the line."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    cached = _CACHE.get(text)
    if cached is not None:
        return pickle.loads(cached)
    data = _parse(path, text)
    try:
        pickled = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):  # not cached; every call parses it
        return data
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE), None), None)  # type: ignore[arg-type]
    _CACHE[text] = pickled
    return data


def _parse(path: Path, text: str) -> Any:
    loader = _Loader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except PolicySourceError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise PolicySourceError(path, mark.line + 1 if mark else None, f"YAML syntax: {exc.problem}") from None
    finally:
        loader.dispose()


def line_of(container: Any, key: Any = None) -> int | None:
    """Best line number for ``container[key]`` (or the container itself)."""
    if isinstance(container, LineDict):
        return container.line_of(key) if key is not None else container.line
    if isinstance(container, LineList):
        return container.line_of(key) if isinstance(key, int) else container.line
    return None
