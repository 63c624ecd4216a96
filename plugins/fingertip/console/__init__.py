"""The governance console inside Airflow's UI (FastAPI app, pages, JSON API); see :mod:`fingertip.console.app`."""
