"""Loads ``FingertipPlugin`` when this folder is Airflow's plugins folder (a source checkout).

``plugins/.airflowignore`` keeps Airflow from importing the ``fingertip`` package's modules as plugin
files; this one file registers the plugin instead. When the ``fingertip`` distribution is installed
(or its metadata is on the path), its ``airflow.plugins`` entry point registers the plugin and this
file defines nothing, so the plugin is never registered twice.
"""

from __future__ import annotations

from importlib.metadata import entry_points

_ENTRY_POINT = "fingertip.plugin:FingertipPlugin"

if not any(ep.value == _ENTRY_POINT for ep in entry_points(group="airflow.plugins")):
    from fingertip.plugin import FingertipPlugin  # noqa: F401
