"""
### Weekly digest to each sponsoring unit (主办单位问题清单)

Every Monday at 08:30 (Beijing time) each sponsoring unit that has open or acknowledged findings
and a contact e-mail in the inventory receives **one e-mail listing its own findings** — rule,
target, severity, basis (policy article) and remediation — and nothing of any other unit's.

Delivery goes through the mail layer (`smtp_default`) and its ledger: one ledger row per unit and
week (`digest:<ISO week>:<credit code>`), so retries and re-runs of the same week never send twice.
A temporary SMTP failure fails the task after every other unit was served; the retry sends only what
is left. Manual runs may pass `{"period_key": "2026-W48"}` to (re)send a given week's digests.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from fingertip.runtime import START_DATE, cron, default_args


@dag(
    dag_id="sponsor_digests",
    schedule=cron("30 8 * * 1"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(retries=3, retry_minutes=15),
    tags=["fingertip", "notifications"],
    doc_md=__doc__,
    params={
        "period_key": Param(None, type=["null", "string"], pattern=r"^\d{4}-W\d{2}$", title="周次",
                            description="ISO week, e.g. 2026-W48 (empty: the run's week)"),
    },
)
def sponsor_digests():
    @task(pool="governance_store")
    def send(**context) -> dict:
        from fingertip.notifications.digest import send_sponsor_digests
        from fingertip.runtime import interval_day, store_engine

        key = context["params"].get("period_key")
        if not key:
            year, week, _ = interval_day(context).isocalendar()
            key = f"{year}-W{week:02d}"
        year, week = key.split("-W")
        monday = pendulum.date(int(year), 1, 4).start_of("week").add(weeks=int(week) - 1)
        label = f"{year}年第{int(week)}周（{monday.format('M月D日')}—{monday.add(days=6).format('M月D日')}）"
        report = send_sponsor_digests(store_engine(), period_label=label, period_key=key)
        return {"period_key": key, "sent": report.sent, "already_sent": report.already_sent,
                "failed_permanent": report.failed_permanent}

    send()


sponsor_digests()
