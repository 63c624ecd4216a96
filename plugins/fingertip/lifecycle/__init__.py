"""Shutdown workflow (关停注销): cases, human approval, announcements, reminders, delisting verification.

Modules: ``cases`` (state machine, store access), ``settings`` (``fingertip/resources/policy/shutdown.yaml``),
``opening`` (cases from findings / by ops staff, cancel on recovery), ``successor``, ``documents``
(announcement and disposal checklist), ``reminders``, ``verification`` (delisting checks, reopening),
``timeline`` (dry run), ``approval`` (Airflow HITL), ``tasks`` (the DAG's task bodies), ``bench``.
Nothing here imports Airflow at package import time.
"""
