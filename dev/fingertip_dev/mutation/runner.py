"""Fork-per-mutant runner: the parent imports pytest and the libraries once, each child re-imports
the project modules with one of them mutated and runs the module's selected tests."""

from __future__ import annotations

import ast
import contextlib
import gc
import importlib.abc
import importlib.machinery
import importlib.util
import io
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from fingertip_dev.mutation.operators import Mutant, apply


@dataclass(slots=True)
class Outcome:
    mutant: Mutant
    status: str       # killed / survived / timeout
    seconds: float


class _MutantFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the compiled mutant for one module name; every other import goes the usual way."""

    def __init__(self, name: str, origin: str, code: types.CodeType) -> None:
        self.name, self.origin, self.code = name, origin, code

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        spec = importlib.machinery.ModuleSpec(fullname, self, origin=self.origin)
        spec.has_location = True
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__file__ = self.origin
        exec(self.code, module.__dict__)


def module_origin(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SystemExit(f"mutation: module {name} not found on PYTHONPATH")
    return Path(spec.origin)


def _imports_of(name: str, file: str) -> set[str]:
    """Project module names a module's source imports (absolute and relative, any depth)."""
    try:
        tree = ast.parse(Path(file).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return set()
    package = name if file.endswith("__init__.py") else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def dependents(target: str, root: Path) -> set[str]:
    """The loaded project modules that import ``target`` directly or transitively (and ``target``).

    Only these are re-imported in a child; the rest of the project stays loaded from the parent.
    Test modules and conftest files are always re-imported (pytest collects them afresh).
    """
    dirs = tuple(str(root / d) + os.sep for d in ("plugins", "dev", "tests", "dags"))
    project = {name: getattr(mod, "__file__", None) or "" for name, mod in list(sys.modules.items())
               if (getattr(mod, "__file__", None) or "").startswith(dirs)}
    imports = {name: _imports_of(name, file) for name, file in project.items()}
    out = {target}
    changed = True
    while changed:
        changed = False
        for name, imported in imports.items():
            if name not in out and imported & out:
                out.add(name)
                changed = True
    out.update(n for n, f in project.items() if f.startswith(str(root / "tests") + os.sep) or n == "conftest"
               or n.endswith(".conftest"))
    return out


def _purge(names: set[str]) -> None:
    for name in names:
        sys.modules.pop(name, None)
        # ``from package import module`` reads the package's attribute before sys.modules: a parent
        # package that stays loaded would hand out the old, unmutated submodule.
        parent, _, child = name.rpartition(".")
        package = sys.modules.get(parent) if parent else None
        if package is not None and parent not in names and hasattr(package, child):
            delattr(package, child)


#: pytest options of every child: stop at the first failure; plugins the judged tests do not use are
#: not registered (xdist, hypothesis, anyio; pytest-timeout: the runner has its own timeout) and pytest's
#: end-of-session ``gc.collect`` of the unraisable-exception check is skipped (a forked child's heap is
#: the parent's whole Airflow import); assertion rewriting only improves failure messages, which no
#: child shows, so asserts run plain.
CHILD_OPTIONS = ("-x", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:xdist",
                 "-p", "no:xdist.looponfail", "-p", "no:hypothesispytest", "-p", "no:anyio", "-p", "no:timeout",
                 "-p", "no:unraisableexception", "--assert=plain", "--no-header", "-W", "ignore")


def _library_modules(names: Sequence[str]) -> list[str]:
    """Those of ``names`` that are installed libraries or the standard library (not project or test code)."""
    prefixes = tuple({str(Path(p).resolve()) + os.sep for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
                     | {p + os.sep for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
    out = []
    for n in names:
        mod = sys.modules.get(n)
        file = getattr(mod, "__file__", None) if mod is not None else None
        if file and file.startswith(prefixes):
            out.append(n)
    return out


def preload(names: Sequence[str]) -> int:
    """Import in the parent the library modules a baseline child imported lazily (e.g. Airflow's
    configuration on the first ``fingertip.config`` read): every mutant child then inherits them instead
    of importing them again. Returns how many were imported; a module that fails to import is skipped."""
    count = 0
    for n in names:
        if n in sys.modules:
            continue
        try:
            importlib.import_module(n)
            count += 1
        except Exception:  # noqa: BLE001 - a lazily imported module the child could import is optional here
            continue
    return count


def _child(name: str, origin: Path, code: types.CodeType | None, pytest_args: Sequence[str],
           purge: set[str], imports_out: str | None = None) -> int:
    """In the forked child: import hook, then pytest. Returns pytest's exit code.

    With ``imports_out`` the child writes there the library modules it imported (one name a line)."""
    os.setpgid(0, 0)
    devnull = os.open(os.devnull, os.O_WRONLY)
    if not os.environ.get("MUTATION_VERBOSE"):
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
    _purge(purge)
    if code is not None:
        sys.meta_path.insert(0, _MutantFinder(name, str(origin), code))
    import pytest
    loaded = set(sys.modules)
    rc = int(pytest.main([*CHILD_OPTIONS, *pytest_args]))
    if imports_out is not None:
        Path(imports_out).write_text("\n".join(_library_modules([n for n in list(sys.modules) if n not in loaded])),
                                     encoding="utf-8")
    return rc


#: pid of a running child → its own temporary directory (its TMPDIR), removed by :func:`_reap`
_TMPDIRS: dict[int, str] = {}


def _fork(name: str, origin: Path, code: types.CodeType | None, pytest_args: Sequence[str],
          purge: set[str], imports_out: str | None = None) -> int:
    # the parent's objects (pytest, Airflow, the libraries) go to the permanent generation: a child's
    # garbage collections then skip them instead of walking (and copying on write) the whole heap
    gc.freeze()
    # a child ends with os._exit (no atexit handlers: the conftest's temporary Airflow home and work
    # folder would stay behind, two per mutant): everything it puts in the temporary directory goes
    # into one of its own, which the parent removes once the child is gone (also after a timeout kill)
    tmp = tempfile.mkdtemp(prefix="fingertip-mutant-")
    pid = os.fork()
    if pid == 0:  # child
        rc = 3
        try:
            os.environ["TMPDIR"] = tempfile.tempdir = tmp
            rc = _child(name, origin, code, pytest_args, purge, imports_out)
        except BaseException:  # noqa: BLE001 - the child reports by exit code only
            rc = 3
        finally:
            os._exit(rc)
    _TMPDIRS[pid] = tmp
    return pid


def _reap(pid: int) -> None:
    """After a child has been waited for: remove its temporary directory."""
    tmp = _TMPDIRS.pop(pid, None)
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def baseline(name: str, pytest_args: Sequence[str], root: Path) -> tuple[float, float]:
    """Run the unmutated tests once in a child: (wall seconds, child CPU seconds); fails loudly if red.

    The library modules the child imported are then imported in the parent (:func:`preload`)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fingertip-mutation-") as tmp:
        imports_out = os.path.join(tmp, "imports.txt")
        pid = _fork(name, module_origin(name), None, pytest_args, dependents(name, root), imports_out)
        _, status = os.waitpid(pid, 0)
        _kill_group(pid)
        _reap(pid)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        rc = os.waitstatus_to_exitcode(status)
        if rc != 0:
            raise SystemExit(f"mutation: the unmutated tests of {name} fail (pytest exit {rc}): "
                             f"pytest {' '.join(pytest_args)}")
        imported = Path(imports_out).read_text(encoding="utf-8").split() if os.path.exists(imports_out) else []
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        preload(imported)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run(name: str, mutants: Sequence[Mutant], pytest_args: Sequence[str], root: Path, *, jobs: int,
        timeout: float, progress: bool = True) -> Iterator[Outcome]:
    """Run every mutant (``jobs`` children at a time); yields outcomes as they finish."""
    origin = module_origin(name)
    source = origin.read_text(encoding="utf-8")
    pending = list(mutants)
    purge = dependents(name, root)
    running: dict[int, tuple[Mutant, float]] = {}
    try:
        yield from _loop(name, mutants, pending, running, source, origin, pytest_args, purge, jobs, timeout, progress)
    finally:  # interrupted: no child outlives the run
        for cpid in running:
            _kill_group(cpid)
        for cpid in list(running):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(cpid, 0)
            _reap(cpid)


def _loop(name, mutants, pending, running, source, origin, pytest_args, purge, jobs, timeout,
          progress) -> Iterator[Outcome]:
    done = 0
    while pending or running:
        while pending and len(running) < jobs:
            mutant = pending.pop(0)
            code = compile(apply(source, mutant), str(origin), "exec")
            pid = _fork(name, origin, code, pytest_args, purge)
            running[pid] = (mutant, time.monotonic())
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            now = time.monotonic()
            for cpid, (mutant, started) in list(running.items()):
                if now - started > timeout:
                    _kill_group(cpid)
                    os.waitpid(cpid, 0)
                    _reap(cpid)
                    del running[cpid]
                    done += 1
                    yield Outcome(mutant, "timeout", now - started)
            time.sleep(0.05)
            continue
        if pid not in running:
            continue
        mutant, started = running.pop(pid)
        _kill_group(pid)  # anything the tests left running
        _reap(pid)
        rc = os.waitstatus_to_exitcode(status)
        done += 1
        if progress:
            print(f"\r  {name}: {done}/{len(mutants)}", end="", file=sys.stderr, flush=True)
        yield Outcome(mutant, "survived" if rc == 0 else "killed", time.monotonic() - started)
    if progress:
        print(file=sys.stderr)
