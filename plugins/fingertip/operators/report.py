"""``ProduceReportOperator``: a periodic / self-inspection report or an ad-hoc audit (wraps
:mod:`fingertip.reports.tasks`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from airflow.sdk import BaseOperator

from fingertip.links import FingertipOutputLink

if TYPE_CHECKING:
    from fingertip.reports.model import BuiltReport, ReportSpec


class ProduceReportOperator(BaseOperator):
    """Produce one report's files (XLSX, DOCX, PDF, JSON, HTML, charts) and record the run.

    Periodic report — one of:

    :param report: a report spec as :func:`fingertip.reports.tasks.plan_reports` returns
        (``kind``, ``period``, ``province``, ``recipients``, ``formats``, ``key``; templated; the
        reference DAG maps this operator over the planned specs);
    :param kind: ``monthly`` / ``quarterly`` / ``annual`` / ``self_inspection`` and
    :param period: ``2026-10`` / ``2026Q3`` / ``2026`` (empty: the period before the run's date),
        :param province: ``PP0000`` for a self-inspection, ``formats`` — checked by ``plan_reports``.

    Ad-hoc audit:

    :param audit: the audit parameters (``provinces``, ``families``, ``sample_rate``,
        ``sample_seed``, …, as the ``adhoc_audit`` form; templated). They are validated first;
        bad parameters fail the task without retry, listing every problem in Chinese and English.
    :param run_key: the audit's run key (templated; default ``<dag id>:<run id>``).

    Both:

    :param recipients: mail recipients (templated; default: the spec's, else the Variable
        ``fingertip_report_recipients``). Used only with ``send=True``.
    :param send: also mail the report, exactly once per report and recipient (notification ledger),
        in this task. Default ``False``: a downstream task calls
        :func:`fingertip.reports.tasks.send_report` with this task's result.
    :param smtp_conn_id: SMTP connection for ``send`` (default ``smtp_default``).

    Returns what ``send_report`` needs (``key``, ``meta``, ``files``, ``json_url``, ``charts`` — files by URL,
    ``recipients``, ``audit_run_id``) plus ``output`` — ``reports/<period>[/<province>]`` or
    ``audits/<run>``, the folder the "Fingertip output" link opens — and ``sent`` when it mailed.
    """

    template_fields: Sequence[str] = ("report", "kind", "period", "province", "formats", "audit", "run_key",
                                      "recipients")
    operator_extra_links = (FingertipOutputLink(),)
    ui_color = "#dbe9f6"

    def __init__(self, *, report: Any = None, kind: str | None = None, period: str | None = None,
                 province: str | None = None, formats: Any = None, audit: Any = None, run_key: str | None = None,
                 recipients: Any = None, send: bool = False, smtp_conn_id: str = "smtp_default",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if audit is not None and any(v is not None for v in (report, kind, period, province)):
            raise ValueError("ProduceReportOperator: give either a periodic report (report or kind/period) or an "
                             "audit, not both")
        self.report = report
        self.kind = kind
        self.period = period
        self.province = province
        self.formats = formats
        self.audit = audit
        self.run_key = run_key
        self.recipients = recipients
        self.send = send
        self.smtp_conn_id = smtp_conn_id

    # -- periodic ------------------------------------------------------------------------------
    def _spec(self, context: Any) -> ReportSpec:
        from airflow.sdk.exceptions import AirflowFailException

        from fingertip.operators._values import as_list, as_mapping, is_empty
        from fingertip.reports.tasks import ReportParamsError, plan_reports
        from fingertip.runtime import interval_day

        given = as_mapping(self.report, name="report")
        if given is not None:
            return cast("ReportSpec", given)
        params = {"kind": None if is_empty(self.kind) else self.kind,
                  "period": None if is_empty(self.period) else self.period,
                  "province": None if is_empty(self.province) else self.province,
                  "formats": as_list(self.formats, name="formats") or None,
                  "recipients": as_list(self.recipients, name="recipients")}
        if not params["kind"] and not params["period"]:
            raise AirflowFailException("ProduceReportOperator needs report, kind or period (or audit)")
        try:
            [spec] = plan_reports(interval_day(context), params)
        except ReportParamsError as exc:
            raise AirflowFailException(str(exc)) from exc
        return spec

    def _produce_report(self, engine: Any, context: Any) -> tuple[BuiltReport, list[str]]:
        from fingertip.reports.tasks import produce_report

        spec = self._spec(context)
        context["map_label"] = spec["key"]
        built = produce_report(engine, spec)
        province = spec.get("province")
        return built, ["reports", spec["period"], *([province] if province else [])]

    # -- audit ---------------------------------------------------------------------------------
    def _produce_audit(self, engine: Any, context: Any) -> tuple[BuiltReport, list[str]]:
        from airflow.sdk.exceptions import AirflowFailException

        from fingertip.operators._values import as_mapping, is_empty
        from fingertip.reports.audit import AuditParamsError
        from fingertip.reports.tasks import _safe, produce_audit, validate_audit

        params = dict(as_mapping(self.audit, name="audit") or {})
        if not is_empty(self.recipients) and not params.get("recipients"):
            from fingertip.operators._values import as_list

            params["recipients"] = as_list(self.recipients, name="recipients")
        try:
            request = validate_audit(engine, params)
        except AuditParamsError as exc:  # the parameters, not the machine: no retry
            raise AirflowFailException(str(exc)) from exc
        run_key = None if is_empty(self.run_key) else str(self.run_key)
        run_key = run_key or f"{context['dag'].dag_id}:{context['run_id']}"
        context["map_label"] = run_key
        built = produce_audit(engine, request, run_key=run_key)
        return built, ["audits", _safe(run_key)]

    def execute(self, context: Any) -> dict[str, Any]:
        from fingertip.links import with_output
        from fingertip.runtime import store_engine

        engine = store_engine()
        if self.audit is not None:
            built, where = self._produce_audit(engine, context)
        else:
            built, where = self._produce_report(engine, context)
        result = with_output(cast("dict[str, Any]", built), *where)
        if self.send:
            from fingertip.operators._values import as_list
            from fingertip.reports.tasks import send_report

            recipients = as_list(self.recipients, name="recipients") or None
            result["sent"] = send_report(engine, built, recipients=recipients, smtp_conn_id=self.smtp_conn_id)
        return result
