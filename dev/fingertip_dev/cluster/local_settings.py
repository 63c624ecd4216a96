"""Airflow cluster policy of the ``make cluster`` deployment (its ``$AIRFLOW_HOME/config/airflow_local_settings.py``
imports :func:`task_policy`).

The DAGs wait minutes between a failed try and its retry (``fingertip.runtime.default_args``: 2 to 10
minutes), right for a real outage but too long for the fault tests, where a worker is killed or the store's
sessions are terminated on purpose and the retry is the thing under test. With
``FINGERTIP_CLUSTER_RETRY_SECONDS`` set, every task that retries waits that many seconds instead (the base
of an exponential backoff); the number of retries and everything else stay as the DAGs declare them.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any


def task_policy(task: Any) -> None:
    seconds = os.environ.get("FINGERTIP_CLUSTER_RETRY_SECONDS")
    if seconds and task.retries:
        task.retry_delay = dt.timedelta(seconds=float(seconds))
