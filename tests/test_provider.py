"""Provider info (``fingertip.provider``): schema, hooks, connection form fields, ``[fingertip]`` section.

The ProvidersManager checks run in a subprocess whose ``sys.path`` holds a minimal ``fingertip``
distribution (a ``.dist-info`` with only the ``apache_airflow_provider`` entry point) next to the
source package: Airflow discovers it through ``importlib.metadata`` exactly as it discovers an
installed wheel, without installing anything into the project venv. (The wheel itself is tested by
the ``wheel``-marked test.)
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import airflow
import jsonschema
import pytest

from fingertip import __version__, config
from fingertip.provider import CONNECTION_TYPES, get_provider_info

ROOT = Path(__file__).resolve().parent.parent
AIRFLOW_DIR = Path(airflow.__file__).parent
HTTP_TYPES = ("fingertip_apple", "fingertip_listing_feed", "fingertip_filing_registry", "fingertip_activity_feed")
COMMON_HTTP_FIELDS = {"requests_per_minute", "max_attempts", "backoff_factor", "backoff_max", "connect_timeout",
                      "read_timeout", "headers"}


@pytest.fixture(scope="module")
def info() -> dict:
    return get_provider_info()


def _conn(info: dict, conn_type: str) -> dict:
    (entry,) = [c for c in info["connection-types"] if c["connection-type"] == conn_type]
    return entry


def test_valid_against_airflow_runtime_schema(info):
    schema = json.loads((AIRFLOW_DIR / "provider_info.schema.json").read_text())
    jsonschema.Draft7Validator(schema).validate(info)
    # ProvidersManager's own validator, too
    from airflow.providers_manager import _create_provider_info_schema_validator

    _create_provider_info_schema_validator().validate(info)


def test_connection_types_and_config_valid_against_provider_yaml_schema(info):
    """The development schema is stricter: conn-fields, ui-field-behaviour and config options."""
    schema = json.loads((AIRFLOW_DIR / "provider.yaml.schema.json").read_text())
    conn_schema = schema["properties"]["connection-types"]
    jsonschema.Draft7Validator(conn_schema).validate(info["connection-types"])
    config_schema = {**schema["properties"]["config"], "definitions": schema.get("definitions", {})}
    jsonschema.Draft7Validator(config_schema).validate(info["config"])


def test_schema_check_can_fail(info):
    """The validation above really checks conn-fields (a field without label is rejected)."""
    schema = json.loads((AIRFLOW_DIR / "provider.yaml.schema.json").read_text())
    broken = json.loads(json.dumps(info["connection-types"]))
    del broken[0]["conn-fields"]["batch_size"]["label"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema["properties"]["connection-types"])


def test_identity_and_declared_classes(info):
    assert info["package-name"] == "fingertip"
    assert info["versions"] == [__version__]
    assert info["notifications"] == ["fingertip.notifiers.FingertipMailNotifier"]
    assert info["extra-links"] == ["fingertip.links.FingertipOutputLink"]
    assert "plugins" not in info  # registered once, through the airflow.plugins entry point
    modules = {m for h in info["hooks"] for m in h["python-modules"]}
    for module in modules:
        importlib.import_module(module)
    integrations = {i["integration-name"] for i in info["integrations"]}
    assert {h["integration-name"] for h in info["hooks"]} <= integrations


def test_exact_connection_types(info):
    declared = {c["connection-type"]: c["hook-class-name"] for c in info["connection-types"]}
    assert declared == {
        "fingertip_apple": "fingertip.hooks.apple.AppleLookupHook",
        "fingertip_listing_feed": "fingertip.hooks.android.AndroidFeedHook",
        "fingertip_filing_registry": "fingertip.hooks.filings.FilingRegistryHook",
        "fingertip_activity_feed": "fingertip.hooks.activity.AccountActivityHook",
        "fingertip_store": "fingertip.hooks.store.StoreHook",
    }


@pytest.mark.parametrize("conn_type", sorted(CONNECTION_TYPES))
def test_hook_class_matches_declaration(info, conn_type):
    from airflow.sdk import BaseHook

    entry = _conn(info, conn_type)
    module, _, name = entry["hook-class-name"].rpartition(".")
    hook = getattr(importlib.import_module(module), name)
    assert issubclass(hook, BaseHook)
    assert hook.conn_type == conn_type
    assert hook.default_conn_name == CONNECTION_TYPES[conn_type][2]
    assert hook.hook_name == entry["hook-name"]
    assert hasattr(hook, hook.conn_name_attr) or hook.conn_name_attr in hook.__init__.__code__.co_varnames
    module_listed = {m for h in info["hooks"] for m in h["python-modules"]}
    assert module in module_listed


def test_default_connection_ids():
    assert {t: v[2] for t, v in CONNECTION_TYPES.items()} == {
        "fingertip_apple": "apple_itunes", "fingertip_listing_feed": "android_listing_feed",
        "fingertip_filing_registry": "filing_registry", "fingertip_activity_feed": "account_activity_feed",
        "fingertip_store": "fingertip_store",
    }


@pytest.mark.parametrize("conn_type", HTTP_TYPES)
def test_http_fields_and_defaults_match_the_hook(info, conn_type):
    entry = _conn(info, conn_type)
    fields = entry["conn-fields"]
    assert COMMON_HTTP_FIELDS <= set(fields)
    module, _, name = entry["hook-class-name"].rpartition(".")
    hook = getattr(importlib.import_module(module), name)
    for key, default in hook.default_extras.items():
        assert key in fields, f"{conn_type}: extra {key!r} the hook reads has no form field"
        assert fields[key]["schema"]["default"] == default, f"{conn_type}.{key}: form default differs from hook"
    for spec in fields.values():
        assert re.search(r"[\u4e00-\u9fff]", spec["description"]), spec  # Chinese
        assert re.search(r"[A-Za-z]{4,}", spec["description"]), spec  # and English
    assert fields["headers"]["schema"]["type"][0] == "object"
    behaviour = entry["ui-field-behaviour"]
    assert "extra" in behaviour["hidden-fields"]  # raw JSON replaced by the typed fields
    assert "schema" not in behaviour["hidden-fields"]  # the scheme (http/https) is read from it


def test_apple_specific_fields(info):
    entry = _conn(info, "fingertip_apple")
    fields = entry["conn-fields"]
    assert fields["batch_size"]["schema"].items() >= {"minimum": 1, "maximum": 200, "default": 50}.items()
    assert fields["country"]["schema"]["default"] == "cn"
    assert fields["requests_per_minute"]["schema"]["default"] == 20
    assert entry["ui-field-behaviour"]["placeholders"]["host"] == "itunes.apple.com"
    assert "page_size" not in fields


def test_filing_registry_gov_app_feed(info):
    fields = _conn(info, "fingertip_filing_registry")["conn-fields"]
    assert fields["gov_app_feed"]["schema"]["type"][0] == "boolean"
    assert fields["gov_app_feed"]["schema"]["default"] is True
    assert fields["page_size"]["schema"]["default"] == 500
    assert _conn(info, "fingertip_activity_feed")["conn-fields"]["page_size"]["schema"]["default"] == 1000


def test_every_extra_read_in_code_is_a_form_field(info):
    """Scan hooks, lifecycle code and DAGs for ``.extra("key"`` calls: each key has a field somewhere."""
    declared = {k for t in HTTP_TYPES for k in _conn(info, t)["conn-fields"]}
    used: set[str] = set()
    for folder in (ROOT / "plugins" / "fingertip", ROOT / "dags"):
        for path in folder.rglob("*.py"):
            used |= set(re.findall(r"\.extra\(\s*[\"'](\w+)[\"']", path.read_text(encoding="utf-8")))
    assert used, "the scan found nothing: the pattern is broken"
    assert used <= declared, f"extras read but not declared: {sorted(used - declared)}"


def test_store_fields(info):
    entry = _conn(info, "fingertip_store")
    backend = entry["conn-fields"]["backend"]["schema"]
    assert backend["enum"] == ["postgresql", "sqlite"] and backend["default"] == "postgresql"
    assert "sqlite_path" in entry["conn-fields"]
    behaviour = entry["ui-field-behaviour"]
    assert behaviour["relabeling"]["schema"] == "Database"
    assert not {"host", "port", "schema", "login", "password"} & set(behaviour["hidden-fields"])


def test_config_section_built_from_options(info):
    section = info["config"][config.SECTION]
    assert list(section["options"]) == [o.name for o in config.OPTIONS]
    for option in config.OPTIONS:
        spec = section["options"][option.name]
        assert spec["default"] == option.default
        assert spec["example"] == option.example
        assert spec["type"] == "string" and spec["version_added"]
        assert option.env in spec["description"]
    assert section["options"]["store_conn_id"]["default"] == "fingertip_store"


# -- through Airflow's ProvidersManager (a fresh process with a discoverable distribution) ------------
_PROBE = r"""
import json, warnings
warnings.simplefilter("ignore")
from airflow.providers_manager import ProvidersManager
from airflow.api_fastapi.core_api.services.ui.connections import HookMetaService
# Warnings raised at this probe's own lines (Airflow's deprecations point at their caller, stacklevel=2;
# its DeprecatedImportWarning is a FutureWarning): the test asserts there are none. Those Airflow raises
# from inside its own modules are not ours.
_recording = warnings.catch_warnings(record=True)
_caught = _recording.__enter__()
warnings.simplefilter("always")
pm = ProvidersManager()
widgets = {k: {"field": v.field, "hook": v.hook_class_name, "package": v.package_name}
           for k, v in pm.connection_form_widgets.items() if "fingertip" in k}
behaviours = {k: v for k, v in pm.field_behaviours.items() if k.startswith("fingertip")}
from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime  # not the deprecated pm.hooks
runtime_hooks = ProvidersManagerTaskRuntime().hooks
hooks = {}
for t in ("fingertip_apple", "fingertip_listing_feed", "fingertip_filing_registry", "fingertip_activity_feed",
          "fingertip_store"):
    h = runtime_hooks.get(t)
    hooks[t] = None if h is None else {"class": h.hook_class_name, "name": h.hook_name,
                                       "attr": h.connection_id_attribute_name}
meta = {m.connection_type: m.model_dump(mode="json") for m in HookMetaService.hook_meta_data()
        if m.connection_type.startswith("fingertip")}
from airflow.configuration import conf
print("PROBE" + json.dumps({
    "providers": sorted(pm.providers), "widgets": widgets, "behaviours": behaviours, "hooks": hooks,
    "meta": meta, "store_conn_id": conf.get("fingertip", "store_conn_id"),
    "timezone": conf.get("fingertip", "timezone"), "own_warnings": [f"{w.category.__name__}: {w.message}" for w in _caught if w.filename == "<string>"],
}, default=str))
"""


@pytest.fixture(scope="module")
def discoverable_env(tmp_path_factory) -> dict[str, str]:
    """Environment whose Python path holds a ``fingertip`` distribution (entry point only)."""
    site = tmp_path_factory.mktemp("site")
    dist = site / f"fingertip-{__version__}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: fingertip\nVersion: {__version__}\n")
    (dist / "entry_points.txt").write_text(
        "[apache_airflow_provider]\nprovider_info = fingertip.provider:get_provider_info\n")
    home = tmp_path_factory.mktemp("airflow-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__FINGERTIP__", "FINGERTIP_"))}
    env.update({
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": os.pathsep.join([str(site), str(ROOT / "plugins")]),
    })
    return env


@pytest.fixture(scope="module")
def probe(discoverable_env) -> dict:
    proc = subprocess.run([sys.executable, "-c", _PROBE], env=discoverable_env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("PROBE"))
    return json.loads(line[len("PROBE"):])


def test_providers_manager_discovers_fingertip(probe):
    assert "fingertip" in probe["providers"]
    for conn_type, (hook_class, hook_name, _conn_id) in CONNECTION_TYPES.items():
        assert probe["hooks"][conn_type] is not None, f"{conn_type} not registered"
        assert probe["hooks"][conn_type]["class"] == hook_class
        assert probe["hooks"][conn_type]["name"] == hook_name


def test_probe_uses_no_deprecated_airflow_api(probe):
    """ProvidersManager().hooks is deprecated in Airflow 3.3 (DeprecatedImportWarning): the hook registry
    is read through the task-sdk's ProvidersManagerTaskRuntime, like everything else here, warning-free."""
    assert probe["own_warnings"] == []


def test_connection_form_widgets(probe):
    widgets = probe["widgets"]
    batch = widgets["extra__fingertip_apple__batch_size"]
    assert batch["package"] == "fingertip"
    assert batch["field"]["value"] == 50
    assert batch["field"]["schema"]["minimum"] == 1 and batch["field"]["schema"]["maximum"] == 200
    assert batch["field"]["schema"]["title"] == "Batch size"
    assert widgets["extra__fingertip_apple__requests_per_minute"]["field"]["value"] == 20
    assert widgets["extra__fingertip_listing_feed__requests_per_minute"]["field"]["value"] == 0
    assert widgets["extra__fingertip_filing_registry__gov_app_feed"]["field"]["value"] is True
    assert widgets["extra__fingertip_store__backend"]["field"]["schema"]["enum"] == ["postgresql", "sqlite"]
    for conn_type in HTTP_TYPES:
        for name in COMMON_HTTP_FIELDS:
            assert f"extra__{conn_type}__{name}" in widgets


def test_field_behaviours(probe):
    apple = probe["behaviours"]["fingertip_apple"]
    assert "extra" in apple["hidden_fields"]
    assert apple["placeholders"]["host"] == "itunes.apple.com"
    assert probe["behaviours"]["fingertip_store"]["relabeling"]["schema"] == "Database"


def test_ui_hook_meta(probe):
    """What ``GET /ui/connections/hook_meta`` returns to the connection form."""
    apple = probe["meta"]["fingertip_apple"]
    assert apple["hook_class_name"] == "fingertip.hooks.apple.AppleLookupHook"
    assert apple["standard_fields"]["host"]["placeholder"] == "itunes.apple.com"
    assert apple["extra_fields"]["country"]["value"] == "cn"
    assert apple["extra_fields"]["batch_size"]["schema"]["maximum"] == 200
    store = probe["meta"]["fingertip_store"]
    assert store["standard_fields"]["url_schema"]["title"] == "Database"
    assert set(store["extra_fields"]) >= {"backend", "sqlite_path"}


def test_config_section_registered(probe):
    assert probe["store_conn_id"] == "fingertip_store"
    assert probe["timezone"] == "Asia/Shanghai"


def test_airflow_config_list_shows_section(discoverable_env):
    airflow_bin = str(Path(sys.executable).parent / "airflow")
    proc = subprocess.run([airflow_bin, "config", "list", "--section", "fingertip", "--include-descriptions"],
                          env=discoverable_env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "[fingertip]" in proc.stdout
    for option in config.OPTIONS:
        assert f"{option.name} = " in proc.stdout
    assert "FINGERTIP_STORE_URL takes precedence" in proc.stdout


# -- the reference deployment's connections -------------------------------------------------------
def test_project_settings_use_the_new_connection_types(monkeypatch):
    from fingertip_dev.airflow_settings import parse_settings

    monkeypatch.delenv("FINGERTIP_APPLE_RPM", raising=False)
    settings = parse_settings(ROOT / "airflow_settings.yaml")
    types = {c.conn_id: c.conn_type for c in settings.connections}
    by_conn_id = {conn_id: conn_type for conn_type, (_h, _n, conn_id) in CONNECTION_TYPES.items()}
    for conn_id, conn_type in by_conn_id.items():
        if conn_id in types:
            assert types[conn_id] == conn_type, conn_id
    assert {"apple_itunes", "android_listing_feed", "filing_registry", "account_activity_feed"} <= set(types)
    apple = next(c for c in settings.connections if c.conn_id == "apple_itunes")
    assert float(apple.extra["requests_per_minute"]) == 0  # the stub: limit off
    assert apple.extra["country"] == "cn" and apple.extra["batch_size"] == 50
    monkeypatch.setenv("FINGERTIP_APPLE_RPM", "20")
    apple = next(c for c in parse_settings(ROOT / "airflow_settings.yaml").connections if c.conn_id == "apple_itunes")
    assert float(apple.extra["requests_per_minute"]) == 20


def test_hook_default_rate_for_apple_stays_20():
    from fingertip.hooks.apple import AppleLookupHook

    assert AppleLookupHook.default_extras["requests_per_minute"] == 20


@pytest.mark.parametrize("conn_type", sorted(CONNECTION_TYPES))
def test_underscore_connection_types_round_trip_through_uris(conn_type):
    """Why the connection types keep their ``_``: Airflow core's ``Connection.get_uri`` (called by Airflow
    itself — the secrets cache of ``get_connection_from_secrets`` on every task connection fetch through
    the execution API, ``airflow connections get``) logs "shall not contain '_' according to RFC3986"
    for any such type (Airflow's own ``package_index`` too), but writes the scheme with ``-`` and parses
    it back to ``_``: nothing is lost. Renaming the types would orphan stored connections,
    ``AIRFLOW_CONN_*`` values and settings files of existing deployments, so the warning stays."""
    from airflow.models.connection import Connection

    conn = Connection(conn_id="x", conn_type=conn_type, host="example.org", login="u", password="p/;@", port=8443)
    uri = conn.get_uri()  # airflow/models/connection.py (3.3.2) logs the RFC3986 message here
    assert uri.startswith(conn_type.replace("_", "-") + "://")
    back = Connection(conn_id="x", uri=uri)
    assert (back.conn_type, back.host, back.login, back.password, back.port) == (
        conn_type, "example.org", "u", "p/;@", 8443)
