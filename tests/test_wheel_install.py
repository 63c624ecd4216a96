"""The wheel installs into a clean Airflow and works there, with nothing from the checkout.

One module-scoped virtual environment (under pytest's tmp dir, never the project's ``.venv``):

* the wheel is built from a copy of ``pyproject.toml``, ``README.md`` and ``plugins/fingertip``
  (``python -m build --wheel``; nothing is written into the checkout), or taken from
  ``FINGERTIP_WHEEL`` when set (e.g. the output of ``make dist``);
* a clean venv with ``apache-airflow==<pin>`` and the wheel, constrained by ``requirements.txt``:
  installed with ``uv`` (from the lock; seconds), or with exactly the README's ``python3.11 -m venv`` +
  ``pip install -c requirements.txt …`` when ``FINGERTIP_WHEEL_PIP=1`` (about 1.5 minutes here); on a
  fresh machine either downloads from PyPI;
* every command runs with a scrubbed environment: no ``PYTHONPATH`` (so neither ``plugins/`` nor
  ``dev/``), no ``FINGERTIP_*`` or ``AIRFLOW_*`` from the caller, a fresh ``AIRFLOW_HOME`` with a
  SQLite metadata database (``airflow db migrate``), an empty plugins folder, and a working
  directory outside the checkout.

Then: the provider, its five connection types and its ``[fingertip]`` config section are
registered; the plugin is loaded; the ``fingertip`` console script works; ``fingertip store
upgrade`` creates the embedded store under the new ``AIRFLOW_HOME``; the DAGs of ``dags/`` parse
against the wheel alone; ``fingertip_dev`` is not importable and the wheel holds no development
modules.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: FINGERTIP_WHEEL_PIP=1: install with pip exactly as the README says (slower) instead of uv
FINGERTIP_WHEEL_PIP = os.environ.get("FINGERTIP_WHEEL_PIP") == "1"

pytestmark = [pytest.mark.wheel, pytest.mark.slow, pytest.mark.timeout(2400)]

CONNECTION_TYPES = {
    "fingertip_apple",
    "fingertip_listing_feed",
    "fingertip_filing_registry",
    "fingertip_activity_feed",
    "fingertip_store",
}
OPERATORS = [
    "IngestSourceOperator",
    "ValidateInventoryOperator",
    "DetectFindingsOperator",
    "CaseApprovalOperator",
    "ProduceReportOperator",
]
#: DAGs that must be present (all of dags/ must parse, these must be among them).
REFERENCE_DAGS = {"ingest_app_store", "detect_findings"}
#: Names of development-only modules/packages that must never be in the wheel.
DEV_NAMES = {"tests", "test", "conftest", "fingertip_dev", "stub", "sample", "samples", "demo", "bench"}


def _pinned(name: str) -> str:
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        m = re.match(rf"^{re.escape(name)}==(\S+)", line.strip(), flags=re.IGNORECASE)
        if m:
            return m.group(1)
    raise AssertionError(f"{name} is not pinned in requirements.txt")


def _python311() -> str:
    found = shutil.which("python3.11")
    if found:
        return found
    if sys.version_info[:2] == (3, 11):
        return getattr(sys, "_base_executable", sys.executable)
    pytest.fail("python3.11 is needed to create the clean virtual environment")


class WheelTiming(UserWarning):
    """How long the clean install took: a warning only so that it reaches the terminal of a parallel
    (pytest-xdist) run, whose workers' output is not shown."""


def _report(request: pytest.FixtureRequest, line: str) -> None:
    """Print a line to the terminal even under pytest's output capture (or, in an xdist worker, in
    the warnings summary)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        warnings.warn(WheelTiming(line.strip()), stacklevel=2)
        return
    capman = request.config.pluginmanager.get_plugin("capturemanager")
    if capman is None:
        print(line, flush=True)
        return
    with capman.global_and_fixture_disabled():
        print(line, flush=True)


class CleanEnv:
    """The clean virtual environment with its own Airflow home; runs commands in it."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.venv = base / "venv"
        self.bin = self.venv / "bin"
        self.home = base / "airflow-home"
        self.dags = base / "dags"
        self.plugins = base / "plugins"  # empty: the plugin must come from the wheel's entry point
        self.cwd = base / "work"
        for d in (self.home, self.dags, self.plugins, self.cwd):
            d.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AIRFLOW", "FINGERTIP", "PYTHON", "VIRTUAL_ENV", "CONDA"))}
        path = [p for p in env.get("PATH", "").split(os.pathsep)
                if p and not Path(p).resolve().is_relative_to(ROOT)]
        env.update(
            PATH=os.pathsep.join([str(self.bin), *path]),
            VIRTUAL_ENV=str(self.venv),
            AIRFLOW_HOME=str(self.home),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{self.home / 'airflow.db'}",
            AIRFLOW__CORE__DAGS_FOLDER=str(self.dags),
            AIRFLOW__CORE__PLUGINS_FOLDER=str(self.plugins),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__LAZY_LOAD_PLUGINS="False",
        )
        self.env = env

    def run(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]) if (self.bin / args[0]).exists() else args[0], *args[1:]]
        proc = subprocess.run(cmd, cwd=self.cwd, env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            pytest.fail(f"{' '.join(args)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}"
                        f"\n--- stderr\n{proc.stderr[-6000:]}")
        return proc

    def python(self, code: str, *, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("python", "-c", code, timeout=timeout, check=check)

    def json(self, *args: str, timeout: float = 300):
        """Run an ``airflow … -o json`` command and parse its JSON (Airflow may log lines before it)."""
        return _json_in(self.run(*args, timeout=timeout).stdout, " ".join(args))


def _json_in(out: str, what: str):
    """The JSON document in a command's output (Airflow may log lines before it)."""
    lines = out.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("[", "{")):
            try:
                return json.JSONDecoder().raw_decode("".join(lines[i:]).lstrip())[0]
            except ValueError:
                continue
    pytest.fail(f"no JSON in the output of {what}:\n{out[-3000:]}")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("FINGERTIP_WHEEL")
    if given:
        path = Path(given).resolve()
        assert path.is_file(), f"FINGERTIP_WHEEL={given} is not a file"
        return path
    base = tmp_path_factory.mktemp("wheel-build")
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "plugins" / "fingertip", src / "plugins" / "fingertip",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    out = base / "dist"
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(src)],
                          cwd=base, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"wheel build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    wheels = sorted(out.glob("fingertip-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def clean(wheel: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> CleanEnv:
    env = CleanEnv(tmp_path_factory.mktemp("wheel-venv"))
    started = time.monotonic()
    airflow_pin = _pinned("apache-airflow")
    if FINGERTIP_WHEEL_PIP:
        # exactly the README's commands: python3.11 -m venv, pip install -c requirements.txt …
        subprocess.run([_python311(), "-m", "venv", str(env.venv)], check=True, cwd=env.cwd, env=env.env,
                       timeout=300)
        # --no-compile: byte-compiling all of Airflow costs more than half of the install
        proc = env.run("python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
                       "-c", str(ROOT / "requirements.txt"), f"apache-airflow=={airflow_pin}", str(wheel),
                       timeout=1800)
    else:
        # the same install with uv (in the lock): the same resolution under the same constraints, a
        # clean venv without pip's state, in seconds instead of a minute and a half
        uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
        subprocess.run([uv, "venv", "--quiet", "--python", _python311(), str(env.venv)], check=True,
                       cwd=env.cwd, env=env.env, timeout=300)
        proc = subprocess.run([uv, "pip", "install", "--quiet", "--python", str(env.bin / "python"),
                               "-c", str(ROOT / "requirements.txt"), f"apache-airflow=={airflow_pin}", str(wheel)],
                              cwd=env.cwd, env=env.env, timeout=1800, text=True, capture_output=True)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    install_s = time.monotonic() - started
    _report(request, f"\n[wheel] venv + install ({'pip' if FINGERTIP_WHEEL_PIP else 'uv'}) of apache-airflow=={airflow_pin} and {wheel.name} "
                     f"took {install_s:.1f} s")
    assert proc.returncode == 0
    started = time.monotonic()
    env.run("airflow", "db", "migrate", timeout=600)
    _report(request, f"[wheel] airflow db migrate took {time.monotonic() - started:.1f} s")
    return env


@pytest.fixture(scope="module", autouse=True)
def _ci_witness(clean: CleanEnv):
    """Tell ``.ci/run`` the wheel was installed and tested (it sets ``FINGERTIP_WHEEL_WITNESS`` and
    fails when the file is missing: the module was deselected or skipped)."""
    yield
    witness = os.environ.get("FINGERTIP_WHEEL_WITNESS")
    if witness:
        Path(witness).write_text("tests/test_wheel_install.py ran\n", encoding="utf-8")


#: One Python process in the clean venv answers what the tests below ask of the installed package (each
#: part in its own try, so one failing part fails only its test): an import of Airflow costs about 2 s
#: of CPU per process, the Airflow CLI commands and the console script still run as their own processes.
_PROBE = """
import json, os, sys, traceback
out = {}
def part(name, fn):
    try:
        out[name] = fn()
    except BaseException:
        out[name] = {"error": traceback.format_exc()[-3000:]}
def installed():
    import fingertip
    return {"file": fingertip.__file__, "sys_path": sys.path}
def public_api():
    import fingertip.links, fingertip.notifiers as n, fingertip.operators as ops, fingertip.plugin
    return {"operators": {k: getattr(ops, k).__module__ for k in OPERATORS}, "notifier": n.FingertipMailNotifier.__module__}
def hooks():
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime
    loaded = ProvidersManagerTaskRuntime().hooks  # ProvidersManager().hooks is deprecated in 3.3
    return {t: loaded[t] is not None for t in CONNECTION_TYPES}
def timezone():
    from airflow.configuration import conf
    from fingertip import config
    default = conf.get("fingertip", "timezone")  # what `airflow config get-value fingertip timezone` prints
    os.environ["AIRFLOW__FINGERTIP__TIMEZONE"] = "Asia/Urumqi"  # the environment wins over the section
    try:
        return {"default": default, "from_env": config.timezone()}
    finally:
        del os.environ["AIRFLOW__FINGERTIP__TIMEZONE"]
def dags():
    from airflow.dag_processing.dagbag import DagBag
    bag = DagBag(dag_folder=DAGS)
    ops = sorted({type(t).__module__ + "." + type(t).__name__ for d in bag.dags.values() for t in d.tasks})
    return {"errors": {k: v[-1500:] for k, v in bag.import_errors.items()}, "dag_ids": sorted(bag.dag_ids),
            "operators": ops}
part("dags", dags)  # first: the DAG files parse in a fresh interpreter, as in the DAG processor
out["dev_modules_after_dags"] = [m for m in sys.modules if m.startswith("fingertip_dev")]
for name, fn in (("installed", installed), ("public_api", public_api), ("hooks", hooks), ("timezone", timezone)):
    part(name, fn)
out["dev_modules"] = [m for m in sys.modules if m.startswith("fingertip_dev")]
try:
    import fingertip_dev  # noqa: F401
    out["fingertip_dev"] = "importable"
except ModuleNotFoundError as exc:
    out["fingertip_dev"] = "ModuleNotFoundError: " + str(exc)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def probe(clean: CleanEnv, dags_copied: list[str]) -> dict:
    """What one Python process in the clean venv found (see ``_PROBE``): the DAGs parsed first, then the
    package's imports, hooks and configuration."""
    code = (f"OPERATORS = {OPERATORS!r}\nCONNECTION_TYPES = {sorted(CONNECTION_TYPES)!r}\n"
            f"DAGS = {str(clean.dags)!r}\n" + _PROBE)
    out = clean.python(code, timeout=600).stdout.strip().splitlines()[-1]
    return json.loads(out)


def _part(probe: dict, name: str):
    value = probe[name]
    assert not (isinstance(value, dict) and set(value) == {"error"}), f"{name}:\n{value.get('error')}"
    return value


# -- the wheel file ------------------------------------------------------------------------------
def test_wheel_holds_only_the_runtime_package(wheel: Path):
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        entry_points = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
    top = {n.split("/", 1)[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"fingertip"}, top
    offending = []
    for name in names:
        if not name.endswith((".py", ".pyc", ".pyi")):
            continue
        parts = name[: -len(Path(name).suffix)].split("/")
        if any(p in DEV_NAMES or p.startswith(("test_", "bench_")) for p in parts):
            offending.append(name)
    assert not offending, f"development modules in the wheel: {offending}"
    # runtime resources and migrations ship inside the package
    for needed in ("fingertip/resources/policy/", "fingertip/store/migrations/env.py",
                   "fingertip/store/migrations/script.py.mako", "fingertip/provider.py", "fingertip/plugin.py",
                   "fingertip/notifiers.py", "fingertip/links.py", "fingertip/operators/"):
        assert any(n.startswith(needed) for n in names), f"{needed} missing from the wheel"
    assert "fingertip.provider:get_provider_info" in entry_points
    assert "fingertip.plugin:FingertipPlugin" in entry_points
    assert re.search(r"^fingertip\s*=\s*fingertip\.cli:main", entry_points, flags=re.MULTILINE), entry_points


# -- installed: isolation from the checkout --------------------------------------------------------
def test_installed_package_comes_from_the_venv_and_dev_tools_are_absent(clean: CleanEnv, probe: dict):
    installed = _part(probe, "installed")
    location = Path(installed["file"])
    assert location.is_relative_to(clean.venv), f"fingertip imported from {location}, not the clean venv"
    assert str(ROOT) not in json.dumps(installed["sys_path"]), f"the checkout is on sys.path of the clean venv:\n{installed}"
    assert probe["fingertip_dev"].startswith("ModuleNotFoundError"), probe["fingertip_dev"]


def test_public_api_imports_from_the_wheel(probe: dict):
    api = _part(probe, "public_api")
    modules = api["operators"]
    assert set(modules) == set(OPERATORS) and all(m.startswith("fingertip.") for m in modules.values()), modules
    assert api["notifier"].startswith("fingertip.")


# -- Airflow sees the provider, its connection types, its config section and the plugin ------------
def test_airflow_providers_list_shows_fingertip(clean: CleanEnv):
    providers = clean.json("airflow", "providers", "list", "-o", "json")
    names = {p["package_name"] for p in providers}
    assert "fingertip" in names, names


def test_connection_types_registered(clean: CleanEnv, probe: dict):
    hooks = clean.json("airflow", "providers", "hooks", "-o", "json")
    ours = {h["connection_type"]: h for h in hooks if h.get("package_name") == "fingertip"}
    assert CONNECTION_TYPES <= set(ours), f"registered: {sorted(ours)}"
    for conn_type, hook in ours.items():
        assert hook["class"] and hook["class"].startswith("fingertip."), (conn_type, hook)
        assert hook["hook_name"], (conn_type, hook)
    # the connection form gets the fingertip fields (conn-fields / widgets) and they load
    loaded = _part(probe, "hooks")
    assert set(loaded) == CONNECTION_TYPES and all(loaded.values()), loaded


def test_airflow_plugins_lists_fingertip(clean: CleanEnv):
    out = clean.run("airflow", "plugins", "-o", "json").stdout
    assert "No plugins loaded" not in out, out
    plugins = _json_in(out, "airflow plugins -o json")  # the same output, not a second run
    names = {p["name"] for p in plugins}
    assert "fingertip" in names, names


def test_fingertip_config_section(clean: CleanEnv, probe: dict):
    timezone = _part(probe, "timezone")
    assert timezone["default"] == "Asia/Shanghai"  # conf.get, what `airflow config get-value` prints
    listed = clean.run("airflow", "config", "list", "--section", "fingertip").stdout
    assert "[fingertip]" in listed, listed
    from fingertip.config import OPTIONS  # the checkout's list; the wheel must declare the same options

    missing = [o.name for o in OPTIONS if not re.search(rf"^#?\s*{o.name}\s*=", listed, flags=re.MULTILINE)]
    assert not missing, f"options missing from `airflow config list --section fingertip`: {missing}\n{listed}"
    # the environment wins over the section, as documented
    assert timezone["from_env"] == "Asia/Urumqi", timezone


# -- the console script, outside the checkout -------------------------------------------------------
def test_fingertip_cli_help_and_rules_check(clean: CleanEnv):
    help_text = clean.run("fingertip", "--help").stdout
    for group in ("store", "rules", "lifecycle", "reports"):
        assert group in help_text
    assert clean.run("fingertip", "version").stdout.strip()
    proc = clean.run("fingertip", "rules", "check")
    summary = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert summary["rules"] > 0 and summary["enabled"] > 0, summary
    assert Path(summary["directory"]).is_relative_to(clean.venv), summary["directory"]


@pytest.fixture(scope="module")
def upgraded_store(clean: CleanEnv) -> subprocess.CompletedProcess[str]:
    """``fingertip store upgrade`` run once: its output is checked below, and the reference task runs on
    the store it created (a second upgrade there would only start one more process)."""
    return clean.run("fingertip", "store", "upgrade")


def test_store_upgrade_creates_the_embedded_store_under_airflow_home(clean: CleanEnv, upgraded_store):
    proc = upgraded_store
    db = clean.home / "fingertip" / "data" / "fingertip.db"
    assert db.is_file(), f"no store at {db}:\n{proc.stdout}\n{proc.stderr}"
    assert str(db) in proc.stdout, proc.stdout
    assert str(ROOT) not in proc.stdout + proc.stderr, "store upgrade refers to the checkout"
    # `fingertip store current` and `fingertip config`, in one process (the console script itself ran above)
    code = ("import sys\nfrom fingertip.cli import main\nrc = main(['store', 'current'])\n"
            "print('-- fingertip config --', flush=True)\nsys.exit(rc or main(['config']))\n")
    current, config = clean.python(code).stdout.split("-- fingertip config --\n")
    revision = current.strip().splitlines()[-1]
    assert revision and revision != "(empty)"
    assert "-> store" in config and str(db) in config, config
    assert str(ROOT) not in config, f"the resolved configuration points into the checkout:\n{config}"


# -- DAGs parse against the wheel -------------------------------------------------------------------
@pytest.fixture(scope="module")
def dags_copied(clean: CleanEnv) -> list[str]:
    files = sorted(p.name for p in (ROOT / "dags").glob("*.py"))
    for name in files:
        shutil.copy2(ROOT / "dags" / name, clean.dags / name)
    return files


def test_dags_parse_with_the_wheel_only(probe: dict, dags_copied: list[str]):
    result = _part(probe, "dags")
    assert result["errors"] == {}, json.dumps(result["errors"], indent=1)
    assert REFERENCE_DAGS <= set(result["dag_ids"]), result["dag_ids"]
    dev = probe["dev_modules_after_dags"]
    assert dev == [], f"parsing the DAGs imported development modules: {dev}"
    assert probe["dev_modules"] == [], f"the public API imported development modules: {probe['dev_modules']}"
    assert any(o.startswith("fingertip.operators") for o in result["operators"]), result["operators"]


def test_airflow_dags_list_import_errors_is_empty(clean: CleanEnv, dags_copied: list[str]):
    errors = clean.json("airflow", "dags", "list-import-errors", "--local", "-o", "json", timeout=600)
    assert errors == [], json.dumps(errors, indent=1)


def test_a_reference_task_runs_from_the_wheel(clean: CleanEnv, dags_copied: list[str], upgraded_store):
    """``detect_findings.detect`` runs against the embedded store: policy files from the package,
    outputs under ``$AIRFLOW_HOME/fingertip/out`` (the default layout), nothing in the checkout."""
    proc = clean.run("airflow", "tasks", "test", "detect_findings", "detect", "2026-11-20", timeout=600)
    assert "new_state=success" in proc.stdout + proc.stderr, (proc.stdout[-3000:], proc.stderr[-3000:])
    summary = clean.home / "fingertip" / "out" / "findings" / "2026-11-20" / "summary.json"
    assert summary.is_file(), f"no detection summary at {summary}"
    assert json.loads(summary.read_text(encoding="utf-8"))["check_date"] == "2026-11-20"
