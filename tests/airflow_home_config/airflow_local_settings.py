"""Cluster policy of the tests' throw-away Airflow home (``airflow_env`` copies this file to ``$AIRFLOW_HOME/config/``).

``airflow dags test`` honours a task's ``retry_delay``: after a failed try it polls once a second until the
retry is due, so a DAG's production delay (minutes) was idle wall time in the tests. Airflow applies
``task_policy`` to every task it bags when parsing a DAG file (``DagBag.bag_dag``), in ``dags test`` as in the
DAG processor, so this shortens the delay for every run of the test deployment without touching the DAGs'
own retry policy: the number of retries stays the DAG's, and a retry still happens — one second after the
failed try, without exponential backoff. Production and ``make demo`` homes have no such file.
"""

from __future__ import annotations

from datetime import timedelta

TEST_RETRY_DELAY = timedelta(seconds=1)


def task_policy(task) -> None:
    task.retry_delay = TEST_RETRY_DELAY
    task.retry_exponential_backoff = 0
    task.max_retry_delay = None
