"""``FingertipMailNotifier``: task and DAG callbacks that mail through Fingertip's exactly-once ledger.

Use it wherever Airflow takes a notifier — ``on_failure_callback``, ``on_success_callback``,
``on_retry_callback`` of a task or a DAG::

    from fingertip.notifiers import FingertipMailNotifier

    @dag(..., on_failure_callback=FingertipMailNotifier(recipients=["ops@cac.example.gov.cn"]))

    ProduceReportOperator(..., on_success_callback=FingertipMailNotifier(
        recipients="{{ var.value.fingertip_report_recipients }}",
        subject="【指尖治理】{{ params.period }} 报告已生成", body="见 {{ ti.xcom_pull()['output']['url'] }}"))

Unlike the SMTP provider's ``SmtpNotifier`` (modelled on it, and on the HTTP provider's
``HttpNotifier``), the mail goes through :func:`fingertip.notifications.send_once`: one row per
recipient in the ``notifications`` table, keyed by a **stable dedup key**, so a callback that runs
again for the same event (a retried callback, a re-processed DAG callback) sends nothing twice. The
default key names the event: ``airflow:<dag>:<run>:<task>:<map index>:<try>:<state>`` for a task,
``airflow:<dag>:<run>:dag:<state>`` for a DAG; give ``key`` (templated) to choose your own, e.g.
one mail per day whatever fails: ``key="ops-alert:{{ ds }}"``.

``subject``, ``body`` (plain text, always sent), ``html`` (optional), ``recipients`` and ``key`` are
templated with the callback's context plus ``fingertip`` — ``dag_id``, ``run_id``, ``task_id``,
``map_index``, ``try_number``, ``state``, ``state_zh`` (失败 / 成功 / 重试 …), ``check_date`` (the run's
date in Beijing time), ``exception`` and ``log_url`` — so the Chinese defaults work for task and
DAG callbacks alike. Recipients default to the Variable ``fingertip_report_recipients`` (then the
report settings' default recipients).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseNotifier

DEFAULT_SUBJECT = ("【指尖治理】{{ fingertip.dag_id }}"
                   "{% if fingertip.task_id %}.{{ fingertip.task_id }}{% endif %} {{ fingertip.state_zh }}"
                   "（{{ fingertip.check_date }}）")
DEFAULT_BODY = """\
DAG：{{ fingertip.dag_id }}
运行：{{ fingertip.run_id }}
{% if fingertip.task_id %}任务：{{ fingertip.task_id }}{% if fingertip.map_index is not none and fingertip.map_index >= 0 %}[{{ fingertip.map_index }}]{% endif %}（第 {{ fingertip.try_number }} 次尝试）
{% endif %}{% if fingertip.failed_task %}失败任务：{{ fingertip.failed_task }}
{% endif %}状态：{{ fingertip.state_zh }}（{{ fingertip.state }}）
日期（北京时间）：{{ fingertip.check_date }}
{% if fingertip.exception %}错误：{{ fingertip.exception }}
{% endif %}{% if fingertip.log_url %}日志：{{ fingertip.log_url }}
{% endif %}
本邮件由指尖治理（Fingertip）自动发送。
"""

STATE_ZH = {"failed": "失败", "success": "成功", "up_for_retry": "等待重试", "skipped": "已跳过",
            "upstream_failed": "上游失败", "running": "运行中", "queued": "排队中", "deferred": "等待中",
            "awaiting_input": "等待审批", "removed": "已移除"}


def _state(value: Any) -> str:
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def event_facts(context: Any) -> dict[str, Any]:
    """What the callback is about, from an Airflow callback context (task or DAG)."""
    from fingertip.runtime import interval_day

    get = context.get if hasattr(context, "get") else (lambda _k, _d=None: _d)
    dag = get("dag")
    dag_run = get("dag_run")
    ti = get("ti") or get("task_instance")
    task = get("task")
    dag_id = getattr(dag, "dag_id", None) or getattr(dag_run, "dag_id", None) or getattr(ti, "dag_id", None) or ""
    run_id = get("run_id") or getattr(dag_run, "run_id", None) or getattr(ti, "run_id", None) or ""
    # DAG callbacks carry "reason" (and, for a failure, the failing task's context); task callbacks do not
    is_task = ti is not None and task is not None and get("reason") is None
    task_id = (getattr(ti, "task_id", None) or getattr(task, "task_id", None)) if is_task else None
    failed_task = getattr(ti, "task_id", None) if (ti is not None and not is_task) else None
    if is_task:
        state = _state(getattr(ti, "state", None))
    else:
        reason = str(get("reason") or "")
        state = "success" if reason == "success" else ("failed" if "fail" in reason or "timed_out" in reason
                                                        else _state(getattr(dag_run, "state", None)))
    if not state and get("exception") is not None:
        state = "failed"
    state = state or "done"
    exc = get("exception") or (get("reason") if not is_task else None)
    try:
        day = interval_day(dict(context)).isoformat()
    except Exception:  # noqa: BLE001 - a context without dates: today
        day = interval_day({}).isoformat()
    map_index = getattr(ti, "map_index", None) if is_task else None
    return {"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "map_index": map_index,
            "try_number": getattr(ti, "try_number", None) if is_task else None, "state": state,
            "state_zh": STATE_ZH.get(state, state), "check_date": day,
            "exception": (str(exc)[:2000] if exc else None), "log_url": getattr(ti, "log_url", None) if is_task else None,
            "failed_task": failed_task, "is_task": is_task}


def default_key(facts: dict[str, Any], *, prefix: str = "airflow") -> str:
    """The stable dedup key of an event: the same event always gives the same key."""
    if facts["is_task"]:
        map_index = facts["map_index"] if facts["map_index"] is not None else -1
        return (f"{prefix}:{facts['dag_id']}:{facts['run_id']}:{facts['task_id']}:{map_index}:"
                f"{facts['try_number']}:{facts['state']}")
    return f"{prefix}:{facts['dag_id']}:{facts['run_id']}:dag:{facts['state']}"


class FingertipMailNotifier(BaseNotifier):
    """Send a templated mail (Chinese is fine) exactly once per event through the notification ledger.

    :param recipients: addresses (list, or comma/semicolon-separated text; templated). Empty: the
        Variable ``fingertip_report_recipients``, then the report settings' default recipients.
    :param subject: one-line subject (templated; default: DAG/task and state in Chinese).
    :param body: plain-text body (templated; default: run, task, state, date, error, log link).
    :param html: optional HTML body (templated).
    :param key: dedup key (templated). Default: the event (see the module docs). The ledger stores one
        row per recipient ``<key>:<recipient>``; a key already sent sends nothing.
    :param kind: ledger ``kind`` of the rows (default ``alert``).
    :param smtp_conn_id: SMTP connection (default ``smtp_default``).
    :param cc: copy recipients (templated).
    """

    template_fields: Sequence[str] = ("recipients", "subject", "body", "html", "key", "cc")

    def __init__(self, *, recipients: Any = None, subject: str = DEFAULT_SUBJECT, body: str = DEFAULT_BODY,
                 html: str | None = None, key: str | None = None, kind: str = "alert",
                 smtp_conn_id: str = "smtp_default", cc: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recipients = recipients
        self.subject = subject
        self.body = body
        self.html = html
        self.key = key
        self.kind = kind
        self.smtp_conn_id = smtp_conn_id
        self.cc = cc
        self.last_report: Any = None

    @staticmethod
    def _sdk_dag(dag: Any) -> Any:
        # DAG callbacks of ``dag.test()`` hand over a SerializedDAG, which has no template environment
        return dag if hasattr(dag, "get_template_env") else None

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        if jinja_env is None:
            jinja_env = self.get_template_env(dag=self._sdk_dag(context.get("dag")))
        self._do_render_template_fields(self, self.template_fields, context, jinja_env, set())

    def _render(self, template: Any, context: Any, dag: Any = None) -> Any:
        from airflow.sdk.definitions._internal.templater import Templater

        return Templater._render(self, template, context, self._sdk_dag(dag or context.get("dag")))

    def _update_context(self, context: Any) -> Any:
        context = super()._update_context(context)
        if "var" not in context:
            # a DAG callback without a task context (e.g. a success callback in the DAG processor)
            # gets only dag, run_id and reason: keep ``var`` and ``params`` usable in templates
            try:
                from airflow.sdk.execution_time.context import VariableAccessor

                context["var"] = {"json": VariableAccessor(deserialize_json=True),
                                  "value": VariableAccessor(deserialize_json=False)}
            except ImportError:  # pragma: no cover - older task SDK
                pass
        if "params" not in context:
            context["params"] = dict(getattr(context.get("dag"), "params", None) or {})
        context["fingertip"] = event_facts(context)
        return context

    def _addresses(self, value: Any) -> list[str]:
        from fingertip.operators._values import is_empty
        from fingertip.reports.settings import parse_recipients

        if is_empty(value):
            return []
        return parse_recipients(value)

    def notify(self, context: Any) -> None:
        from fingertip.notifications import Email, send_once
        from fingertip.reports.settings import default_recipients
        from fingertip.runtime import store_engine

        facts = context.get("fingertip") or event_facts(context)
        recipients = self._addresses(self.recipients) or default_recipients()
        if not recipients:
            self.log.warning("FingertipMailNotifier: no recipients (argument, Variable or settings); nothing sent")
            return
        subject = " ".join(str(self.subject).split())  # one line, whatever the template did
        key = " ".join(str(self.key).split()) if self.key else default_key(facts)
        email = Email(subject=subject, to=recipients, text=str(self.body), html=self.html or None,
                      cc=self._addresses(self.cc))
        self.last_report = send_once(store_engine(), key=key, email=email, kind=self.kind,
                                     smtp_conn_id=self.smtp_conn_id)
        self.log.info("FingertipMailNotifier %s: %s", key, self.last_report.summary())

    async def async_notify(self, context: Any) -> None:
        await asyncio.to_thread(self.notify, context)
