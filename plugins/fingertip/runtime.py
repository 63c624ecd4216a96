"""Small helpers for task code: the day a run stands for, and the store engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum

from fingertip import config

#: Governance calendars are Beijing time; runs are dated in it.
TIMEZONE = config.timezone()

#: Start date of the DAGs: none. With a start date, Airflow's ``CronTriggerTimetable`` with catchup off
#: runs the latest *past* time at once when a DAG is unpaused (a surprise run of yesterday's 03:00);
#: without one, the first run is the next scheduled time (:func:`cron`). Catchup is off
#: everywhere, so nothing is backfilled either. Manual and asset-scheduled DAGs need no start date.
START_DATE = None


def cron(expression: str) -> Any:
    """A time schedule in Beijing time (``[fingertip] timezone``) whose first run after unpausing is
    the next scheduled time, never a past one (see :data:`START_DATE`)."""
    from airflow.sdk import CronTriggerTimetable

    # run_immediately=False still runs a past time within max(10 % of the period, 5 min) of now
    # (Airflow 3.3's _calc_first_run); a zero timedelta means "only if exactly on the tick".
    return CronTriggerTimetable(expression, timezone=TIMEZONE, run_immediately=dt.timedelta(0))


def default_args(*, retries: int = 2, retry_minutes: int = 10, exponential: bool = True) -> dict[str, Any]:
    """Default task arguments shared by the DAGs: owner and a retry policy."""
    args: dict[str, Any] = {"owner": "fingertip", "retries": retries,
                            "retry_delay": pendulum.duration(minutes=retry_minutes),
                            "pre_execute": check_locations}
    if exponential and retries:
        args["retry_exponential_backoff"] = True
    return args


def check_locations(context: Any = None) -> None:
    """Every task's ``pre_execute`` (through :func:`default_args`): on a distributed executor, refuse
    ``file://`` hand-off locations that are not declared shared — the run fails at its first task, with
    the reason, instead of one worker writing files another never sees. No retry: it is configuration."""
    try:
        config.check_shared_locations()
    except config.ConfigurationError as exc:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(str(exc)) from None


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
