"""
### Periodic governance report (定期报告) and provincial self-inspection (自查自评)

**Schedule**: one cron (default `0 6 1 * *`, Beijing time — `schedule` in
`fingertip/resources/reports/settings.yaml`). On each run the `plan` task works out which reports are due from
the settings' cadences: the **monthly** report on the previous month every month, the
**quarterly** report on the previous quarter on 1 January / April / July / October, and the
**annual** report on the previous year in January (due 31 January). Each due report is a mapped
`produce` task, then a mapped `send` task.

Each report: figures from the governance store (inventory by sponsor level, province and platform;
new and closed items; findings by rule and policy article; inspection pass rate 合格率 by province
and unit at the latest check date in the period; shutdown cases by state; change against the
previous period — new, resolved, regressed, reopened), PNG charts with Chinese labels, and the
files under `out/reports/<period>/` (`out/reports/<period>/<province>/` for self-inspections):
XLSX 一张表, DOCX official document and its PDF, JSON for machine submission
(`fingertip/resources/reports/report.schema.json`), HTML mail and Markdown. The run is recorded in
`audit_runs` (run key `report:<kind>:<period>[:<province>]`), every file in `documents`; the mail
goes to the recipients **exactly once** per report and recipient (notification ledger), so retries
and re-runs never send twice. Emits the asset `fingertip://reports/periodic`.

**Manual runs** (Trigger DAG w/ config): `period` (`2026-10`, `2026Q3`, `2026`), `kind`
(`monthly`, `quarterly`, `annual`, `self_inspection` — the latter needs `province`, e.g. `440000`,
and produces that province's self-inspection report), `recipients` (default: Variable
`fingertip_report_recipients`), `formats`. Example:
`airflow dags trigger periodic_report --conf '{"period": "2026Q3", "kind": "quarterly"}'`.

`produce` is `ProduceReportOperator` (`fingertip.operators`, see `docs/operators.md`); its
**Fingertip output** link opens `out/reports/<period>/`. A failed run mails the ops recipients once
(`FingertipMailNotifier`; Variable `fingertip_ops_recipients`, else `fingertip_report_recipients`).
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from fingertip.assets import REPORTS
from fingertip.notifiers import FingertipMailNotifier
from fingertip.operators import ProduceReportOperator
from fingertip.reports.settings import FORMATS, load_settings
from fingertip.runtime import START_DATE, cron, default_args


@dag(
    dag_id="periodic_report",
    schedule=cron(load_settings()["schedule"]),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retries=2, retry_minutes=5),
    # the run failed (a report could not be produced or mailed): tell the ops mailbox, once per run
    on_failure_callback=FingertipMailNotifier(
        recipients="{{ var.value.get('fingertip_ops_recipients', '') }}",
        subject="【指尖治理】定期报告生成失败：{{ fingertip.run_id }}（{{ fingertip.check_date }}）",
    ),
    tags=["fingertip", "reports"],
    doc_md=__doc__,
    params={
        "period": Param(None, type=["null", "string"], pattern=r"^([0-9]{4}|[0-9]{4}-(0[1-9]|1[0-2])|[0-9]{4}Q[1-4])$",
                        title="报告期", description="例如 2026-10（月度）、2026Q3（季度）、2026（年度）；留空按计划自动确定"),
        "kind": Param(None, type=["null", "string"],
                      enum=[None, "monthly", "quarterly", "annual", "self_inspection"],
                      title="报告类型", description="monthly 月度 / quarterly 季度 / annual 年度 / self_inspection 省级自查自评"),
        "province": Param(None, type=["null", "string"], pattern=r"^[0-9]{2}0000$", title="省份代码",
                          description="自查自评报告的省级行政区划代码，如 440000"),
        "recipients": Param([], type="array", items={"type": "string", "format": "email"}, title="收件人",
                            description="留空则使用变量 fingertip_report_recipients"),
        "formats": Param(list(FORMATS), type="array", items={"type": "string", "enum": list(FORMATS)},
                         title="输出格式", description="docx / pdf / xlsx / json / html"),
    },
)
def periodic_report():
    @task
    def plan(params=None, **context) -> list[dict]:
        from fingertip.reports.tasks import plan_reports
        from fingertip.runtime import interval_day

        specs = plan_reports(interval_day(context), dict(params or {}))
        if not specs:
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException("no report is due on this date")
        return specs

    @task(map_index_template="{{ map_label }}", retries=4)
    def send(built: dict) -> dict:
        from fingertip.reports.tasks import send_report
        from fingertip.runtime import label_map_index, store_engine

        label_map_index(built["key"])
        return send_report(store_engine(), built)

    @task(outlets=[REPORTS])
    def publish(sent: list[dict]) -> list[str]:
        return [s["key"] for s in sent if s]

    produced = ProduceReportOperator.partial(
        task_id="produce", pool="governance_store", map_index_template="{{ map_label }}",
    ).expand(report=plan())
    publish(send.expand(built=produced.output))


periodic_report()
