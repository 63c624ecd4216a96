"""``python -m fingertip_dev cluster`` (``make cluster``): the demo pipeline on a real multi-process
Airflow — CeleryExecutor on Redis, PostgreSQL metadata DB and store — driven through the REST API only.

What it does, in order (every process it starts is stopped by PID at the end, also on failure or a
signal; its databases are dropped and its Redis DB flushed):

1. creates two PostgreSQL databases of its own (``fingertip_cluster_meta_<token>`` and
   ``fingertip_cluster_store_<token>``) and picks an empty Redis DB number (``--redis-db``, default the
   first empty one of 8‥15);
2. builds the wheel (``python -m build``) and installs it into a dedicated virtual environment under
   ``out/cluster/venv`` whose third-party packages are the shared environment's (a ``.pth`` layer), so
   ``fingertip`` is imported from the wheel, never from the checkout;
3. ``airflow db migrate``; loads ``airflow_settings.yaml`` (connections pointing at this run's stub and
   mail catcher ports, pools, variables); the store connection ``fingertip_store`` is the PostgreSQL
   store database, migrated by ``fingertip store upgrade`` *through that connection* (no store URL);
4. starts the scheduler, dag-processor, triggerer, api-server (free port) and two Celery workers
   (``worker1``, ``worker2``: separate working directories, hostnames and log-server ports);
5. over REST: unpauses every DAG (and checks that unpausing started no time-scheduled run), triggers
   the sample, the ingestion (app-store listings yesterday and today, filings, activity), waits for
   detection started by its assets, triggers the inventory import (validation and detection follow by
   assets), answers the shutdown approvals over REST (one approved, the rest rejected), triggers the
   quarterly report, an audit and store maintenance;
6. writes ``out/cluster/summary.json`` — ``dag_runs: [{dag_id, run_id, state, run_type, workers:
   {hostname: task_count}}]``, the ``detection`` block of the demo summary (``quality``: recall against
   the sample's ground truth) — and prints a summary. Exit status 1 if any run failed.

Development tooling: never imported by the runtime package.
"""

from __future__ import annotations

from fingertip_dev.cluster.run import main

__all__ = ["main"]
