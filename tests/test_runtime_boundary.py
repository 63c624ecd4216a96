"""The runtime package stands alone: no development tooling, no paths of the checkout.

``plugins/fingertip`` is what the wheel ships. It must never import ``fingertip_dev`` (the demo,
stub server, sample generator, mail catcher and benchmarks live in ``dev/`` and are not installed),
and it must never build paths into the checkout (``include/``, ``dags/``, a "project root", or
``__file__`` climbed out of the package): runtime resources are read from the package with
:mod:`importlib.resources` through :mod:`fingertip.config`, and locations come from configuration.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "plugins" / "fingertip"
DEV_PACKAGE = "fingertip_dev"
#: the one module allowed to resolve locations (and to show checkout-like paths as examples)
CONFIG_MODULE = PACKAGE / "config.py"
#: folders of the checkout that must never appear as path components built by runtime code
CHECKOUT_DIRS = ("include", "plugins", "dags", "dev", "tests", "scripts")
ROOT_NAME = re.compile(r"(?i)^_?(project|repo|repository|checkout)_?(root|dir|path)$")
#: Alembic's migration scripts run inside Alembic's context, not as importable modules
NOT_IMPORTABLE = ("fingertip.store.migrations",)


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _is_dev(module: str | None) -> bool:
    return bool(module) and (module == DEV_PACKAGE or module.startswith(DEV_PACKAGE + "."))


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def test_runtime_package_has_modules():
    assert len(_modules()) > 50  # the scan below is not vacuous


@pytest.mark.parametrize("path", _modules(), ids=_rel)
def test_never_imports_dev_tooling(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            problems += [f"line {node.lineno}: import {a.name}" for a in node.names if _is_dev(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_dev(node.module):
            problems.append(f"line {node.lineno}: from {node.module} import …")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__", "find_spec", "run_module") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and _is_dev(arg.value):
                    problems.append(f"line {node.lineno}: {name}({arg.value!r})")
    assert not problems, f"{_rel(path)} imports development tooling:\n" + "\n".join(problems)


def _path_constant(value: object) -> bool:
    if not isinstance(value, str):
        return False
    head = value.strip("/").split("/", 1)[0]
    return head in CHECKOUT_DIRS


def _file_climb(node: ast.AST) -> int:
    """How many directory levels ``node`` climbs from ``__file__`` (0: not derived from ``__file__``)."""
    if isinstance(node, ast.Attribute) and node.attr == "parent":
        inner = _file_climb(node.value)
        return inner + 1 if inner or _is_file(node.value) else 0
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "parents":
        base = node.value.value
        if (_is_file(base) or _file_climb(base)) and isinstance(node.slice, ast.Constant):
            return _file_climb(base) + int(node.slice.value) + 1
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "dirname" and node.args:
            arg = node.args[0]
            inner = _file_climb(arg)
            return inner + 1 if inner or _is_file(arg) else 0
        if isinstance(func, ast.Attribute) and func.attr in ("resolve", "absolute"):
            return _file_climb(func.value)
    return 0


def _is_file(node: ast.AST) -> bool:
    """``__file__``, ``Path(__file__)`` (optionally resolved) or ``os.path.abspath(__file__)``."""
    if isinstance(node, ast.Name) and node.id == "__file__":
        return True
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("Path", "PurePath") and node.args:
            return _is_file(node.args[0])
        if isinstance(func, ast.Attribute) and func.attr in ("resolve", "absolute"):
            return _is_file(func.value)
        if isinstance(func, ast.Attribute) and func.attr in ("abspath", "realpath") and node.args:
            return _is_file(node.args[0])
    return False


@pytest.mark.parametrize("path", _modules(), ids=_rel)
def test_never_builds_paths_into_the_checkout(path: Path):
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, filename=str(path))
    docstrings = _docstring_nodes(tree)
    # a module at fingertip/a/b.py leaves the package after len(("a", "b.py")) + 1 levels
    levels_inside = len(path.relative_to(PACKAGE).parts)
    is_config = path == CONFIG_MODULE
    problems = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", "?")
        if isinstance(node, ast.Name | ast.arg | ast.Attribute):
            ident = node.id if isinstance(node, ast.Name) else node.arg if isinstance(node, ast.arg) else node.attr
            if ROOT_NAME.match(ident):
                problems.append(f"line {line}: {ident} (a checkout root)")
        if isinstance(node, ast.Constant) and id(node) not in docstrings and not is_config:
            if isinstance(node.value, str) and re.match(r"^\.{0,2}/?(include|dags|dev|tests)/", node.value):
                problems.append(f"line {line}: path into the checkout {node.value!r}")
            if node.value == "FINGERTIP_HOME":
                problems.append(f"line {line}: reads FINGERTIP_HOME directly (use fingertip.config.home())")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            for side in (node.left, node.right):
                if isinstance(side, ast.Constant) and _path_constant(side.value) and not is_config:
                    problems.append(f"line {line}: path built with {side.value!r}")
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("Path", "PurePath", "join", "joinpath") and not is_config:
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and _path_constant(arg.value):
                        problems.append(f"line {line}: {name}(… {arg.value!r} …)")
        climb = _file_climb(node)
        if climb > levels_inside:
            problems.append(f"line {line}: __file__ climbed {climb} levels, out of the package")
    problems = sorted(set(problems))
    assert not problems, f"{_rel(path)} reaches into the checkout:\n" + "\n".join(problems)


def test_every_runtime_module_imports_without_dev_on_the_path(tmp_path: Path):
    """Import every module of the package in a fresh interpreter that has only ``plugins/`` on its
    path, runs outside the checkout and refuses ``fingertip_dev`` even if it could be found."""
    names = [n for n in (_module_name(p) for p in _modules()) if not n.startswith(NOT_IMPORTABLE)]
    script = f"""
import importlib, importlib.abc, json, sys, traceback

class BlockDev(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == {DEV_PACKAGE!r} or name.startswith({DEV_PACKAGE + "."!r}):
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked: development tooling)")
        return None

sys.meta_path.insert(0, BlockDev())
failures, outside = {{}}, []
for name in {names!r}:
    try:
        module = importlib.import_module(name)
    except BaseException:
        failures[name] = traceback.format_exc(limit=-4)
        continue
dev_paths = [p for p in sys.path if p.rstrip("/").endswith("/dev")]
for name, module in list(sys.modules.items()):
    if (name == "fingertip" or name.startswith("fingertip.")) and getattr(module, "__file__", None):
        if not module.__file__.startswith({str(PACKAGE)!r}):
            outside.append((name, module.__file__))
print(json.dumps({{"failures": failures, "dev_loaded": sorted(m for m in sys.modules if m.startswith({DEV_PACKAGE!r})),
                  "dev_paths": dev_paths, "outside": outside, "count": len({names!r})}}))
"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(ROOT / "plugins")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["dev_paths"] == [], f"dev/ is on sys.path: {result['dev_paths']}"
    assert result["failures"] == {}, "\n\n".join(f"{k}:\n{v}" for k, v in result["failures"].items())
    assert result["dev_loaded"] == [], result["dev_loaded"]
    assert result["outside"] == [], result["outside"]
    assert result["count"] == len(names) > 50
