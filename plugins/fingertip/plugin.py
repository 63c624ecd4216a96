"""``FingertipPlugin``: what Fingertip adds to Airflow itself.

Registered through the entry point ``airflow.plugins`` of the installed distribution, or — in a source
checkout whose ``plugins/`` is Airflow's plugins folder — by ``plugins/fingertip_plugin.py`` (the
package folder itself is listed in ``plugins/.airflowignore``).

* ``operator_extra_links``: :class:`~fingertip.links.FingertipOutputLink` — the "Fingertip output"
  button of the detection, validation, case-approval and report operators (they declare it
  themselves; listing it here makes it known to ``airflow plugins`` and the plugins API). No
  ``global_operator_extra_links``: a link on every task of every DAG would be noise, and the output
  location is only known for Fingertip's own operators.
* ``macros`` (templates: ``{{ macros.fingertip.<name>(...) }}``):

  - ``fingertip_check_date()`` — the run's date in Beijing time (``YYYY-MM-DD``), as the tasks
    date their work (:func:`fingertip.runtime.interval_day`); also ``fingertip_check_date(a_datetime)``;
  - ``fingertip_output_url("findings", ds)`` — a folder URL under ``[fingertip] output_url``.

* ``fastapi_apps``: the governance console (:mod:`fingertip.console.app`) at ``/fingertip`` — JSON API,
  server-rendered pages, downloads; every route behind Airflow's auth manager.
* ``external_views``: the console's pages in Airflow's navigation (category 指尖治理). External views
  rather than ``react_apps``: the pages are rendered on the server from the same queries as the API,
  so they need no JavaScript build (no npm toolchain in the project), work without a bundle served
  to the UI, and are tested in a real browser as they are. Each view has a ``url_route``, so Airflow
  shows the page inside its own layout (an iframe of the same origin, sharing the login session).

Import-light on purpose: Airflow imports this module in every process that loads plugins, so it
imports only the task SDK pieces the links need; the console (FastAPI, its queries and templates)
is imported and built only when Airflow reads ``fastapi_apps`` (the api-server).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow.plugins_manager import AirflowPlugin
from jinja2 import pass_context

from fingertip.links import FingertipOutputLink


def _context_dict(ctx: Any) -> dict[str, Any]:
    get = ctx.get if hasattr(ctx, "get") else (lambda _k, _d=None: _d)
    return {k: get(k) for k in ("logical_date", "data_interval_end", "dag_run")}


@pass_context
def fingertip_check_date(ctx: Any, when: Any = None) -> str:
    """The run's date in Beijing time, ``YYYY-MM-DD`` (a given datetime's, when ``when`` is given)."""
    from fingertip.runtime import interval_day

    if when is not None and not (isinstance(when, str) and not when.strip()):
        if isinstance(when, str):
            when = dt.datetime.fromisoformat(when)
        if isinstance(when, dt.datetime):
            return interval_day({"logical_date": when}).isoformat()
        if isinstance(when, dt.date):
            return when.isoformat()
        ctx = when  # a context mapping or a DagRun-like object
        if not hasattr(ctx, "get"):
            return interval_day({"dag_run": ctx}).isoformat()
    return interval_day(_context_dict(ctx)).isoformat()


def fingertip_output_url(*parts: Any) -> str:
    """URL of ``<outputs>/<parts…>/`` (``file://`` or ``s3://…`` per ``[fingertip] output_url``)."""
    from fingertip.links import output_location

    return output_location(*(str(p) for p in parts))["url"]


CONSOLE_PREFIX = "/fingertip"

#: The console's pages in Airflow's navigation: (name, path under the console, url_route).
CONSOLE_PAGES = (
    ("总览", "/", "fingertip"),
    ("问题", "/findings", "fingertip-findings"),
    ("清单", "/entities", "fingertip-entities"),
    ("案件", "/cases", "fingertip-cases"),
    ("数据质量", "/quality", "fingertip-quality"),
    ("报告与审计", "/reports", "fingertip-reports"),
)


class _ConsoleApps:
    """``fastapi_apps`` built on first access, so that only the api-server imports FastAPI and the console."""

    def __init__(self) -> None:
        self._apps: list[dict[str, Any]] | None = None

    def __get__(self, _obj: Any, _owner: Any = None) -> list[dict[str, Any]]:
        if self._apps is None:
            from fingertip.console.app import create_app

            self._apps = [{"app": create_app(), "url_prefix": CONSOLE_PREFIX, "name": "Fingertip governance console"}]
        return self._apps


class FingertipPlugin(AirflowPlugin):
    """Fingertip's governance console, operator links and template macros."""

    name = "fingertip"
    macros = [fingertip_check_date, fingertip_output_url]
    operator_extra_links = [FingertipOutputLink()]
    global_operator_extra_links: list[Any] = []
    fastapi_apps = _ConsoleApps()
    external_views = [
        {"name": name, "href": CONSOLE_PREFIX + path, "url_route": route, "category": "指尖治理",
         "destination": "nav"}
        for name, path, route in CONSOLE_PAGES
    ]
