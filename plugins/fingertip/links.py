"""Operator extra links from Fingertip tasks to what they produced.

Every Fingertip operator returns (XCom ``return_value``) a dict with an ``output`` entry::

    {"output": {"ref": "findings/2026-11-20", "url": "file:///…/out/findings/2026-11-20/"}, …}

``ref`` is the path under the outputs location (``findings/<date>``, ``cases/<case>``,
``reports/<period>[/<province>]``, ``audits/<run>``, ``quality/<batch>``), ``url`` the folder's
URL (``file://`` or ``s3://…``, whatever ``[fingertip] output_url`` says). :class:`FingertipOutputLink`
turns it into the task's "Fingertip output" button: the console page ``<console_url>/<ref>`` when
``[fingertip] console_url`` (``FINGERTIP_CONSOLE_URL``) is set, the folder's URL otherwise, and no
link (empty) when the task produced nothing (it failed, or returned no ``output``).

Airflow 3 resolves operator links on the worker when the task finishes and stores the URL in the XCom
``_link_FingertipOutputLink``; the UI reads that XCom. This module imports only the task SDK.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

log = logging.getLogger(__name__)

#: Key of the output location in a Fingertip task's return value.
OUTPUT_KEY = "output"


def output_location(*parts: str) -> dict[str, str]:
    """The ``output`` entry of a task result for the folder ``<outputs>/<parts…>/``."""
    from fingertip.config import output_path

    clean = [str(p).strip("/") for p in parts if str(p).strip("/")]
    if not clean:
        raise ValueError("an output location needs at least one path part")
    return {"ref": "/".join(clean), "url": str(output_path(*clean)).rstrip("/") + "/"}


def with_output(result: Mapping[str, Any] | None, *parts: str) -> dict[str, Any]:
    """``result`` (a task's return value) with its ``output`` entry for ``<outputs>/<parts…>/``."""
    return {**dict(result or {}), OUTPUT_KEY: output_location(*parts)}


def link_for(value: Any, *, console_url: str | None = None) -> str:
    """The URL a task result links to: console page when ``console_url`` is given, else the folder."""
    if not isinstance(value, Mapping):
        return ""
    output = value.get(OUTPUT_KEY)
    if not isinstance(output, Mapping):
        return ""
    ref, url = str(output.get("ref") or "").strip("/"), str(output.get("url") or "")
    if console_url and ref:
        return f"{console_url.rstrip('/')}/{quote(ref, safe='/')}"
    return url


class FingertipOutputLink(BaseOperatorLink):
    """"Fingertip output": where the task's findings, case files or report landed (or the console page)."""

    name = "Fingertip output"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        from airflow.sdk.execution_time.xcom import XCom

        from fingertip import config

        # On the worker Airflow asks for the link of every finished task instance; one that did not
        # succeed returned nothing (and asking for its XCom would log a "not found" error).
        state = getattr(ti_key, "state", None)
        if state is not None and str(getattr(state, "value", state)) != "success":
            return ""
        try:
            value = XCom.get_value(ti_key=ti_key, key="return_value")
        except Exception:  # noqa: BLE001 - no XCom (task failed or was skipped): no link
            log.debug("no return value for %s: no output link", ti_key, exc_info=True)
            return ""
        return link_for(value, console_url=config.get("console_url"))
