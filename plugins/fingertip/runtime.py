"""Small helpers for task code: the day a run stands for, and the store engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum

from fingertip import config

#: Governance calendars are Beijing time; runs are dated in it.
TIMEZONE = config.timezone()

#: Start date of every scheduled DAG (catchup is off everywhere).
START_DATE = pendulum.datetime(2026, 1, 1, tz=TIMEZONE)


def default_args(*, retries: int = 2, retry_minutes: int = 10, exponential: bool = True) -> dict[str, Any]:
    """Default task arguments shared by the DAGs: owner and a retry policy."""
    args: dict[str, Any] = {"owner": "fingertip", "retries": retries,
                            "retry_delay": pendulum.duration(minutes=retry_minutes)}
    if exponential and retries:
        args["retry_exponential_backoff"] = True
    return args


def interval_day(context: dict[str, Any]) -> dt.date:
    """The date a run observes: its logical date (or, for a manual run without one, when it ran),
    in the governance time zone. Re-running the run re-uses the same date: idempotent snapshots."""
    when = context.get("logical_date") or context.get("data_interval_end")
    if when is None and context.get("dag_run") is not None:
        when = context["dag_run"].run_after
    when = pendulum.instance(when) if when is not None else pendulum.now("UTC")
    return when.in_timezone(TIMEZONE).date()


def label_map_index(label: str) -> None:
    """Name a mapped task instance in the UI (used with ``map_index_template="{{ map_label }}"``)."""
    from airflow.sdk import get_current_context

    # the Context TypedDict lists Airflow's own keys; map_index_template renders extra ones set here
    get_current_context()["map_label"] = label  # type: ignore[typeddict-unknown-key]


def store_engine():
    from fingertip.hooks.store import StoreHook

    return StoreHook().get_engine()
