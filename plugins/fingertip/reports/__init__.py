"""Periodic reports (monthly, quarterly, annual, provincial self-inspection) and ad-hoc audits.

Modules: :mod:`~fingertip.reports.periods` (periods), :mod:`~fingertip.reports.figures` (figures
from the store, aggregated in the database), :mod:`~fingertip.reports.charts` (PNG charts),
:mod:`~fingertip.reports.workbook` (一张表 XLSX), :mod:`~fingertip.reports.document` (DOCX/PDF via
``fingertip.documents``), :mod:`~fingertip.reports.jsonout` (machine submission JSON),
:mod:`~fingertip.reports.email` (the mail), :mod:`~fingertip.reports.audit` (ad-hoc audits),
:mod:`~fingertip.reports.tasks` (what the DAGs and the CLI call). See ``docs/reports.md``.
"""
