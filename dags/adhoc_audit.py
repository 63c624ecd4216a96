"""
### Ad-hoc audit (专项核查) — manual only

Trigger from the UI form (**Trigger DAG** → fill in the form), over the REST API or from the command
line (see `docs/reports.md`):

```bash
airflow dags trigger adhoc_audit --conf '{"provinces": ["440000"], "families": ["stale_account"],
  "sample_rate": 0.2, "sample_seed": 42, "recipients": ["audit@cac.example.gov.cn"]}'
```

1. `validate` checks **every** parameter before anything runs — recipients' addresses, province and
   division codes (GB/T 2260 snapshot in the store), sponsors' unified social credit codes (check
   digits and presence in the inventory), app and account keys, rule families, platforms, sampling
   rate/seed, formats — and fails with one message in Chinese and English listing all problems
   (no retries: fix the parameters and trigger again);
2. `audit` runs the same rules as the detection DAG on that scope (`detect(..., persist=False)`:
   the store's findings are not changed), optionally on a deterministic spot-check sample (same
   seed → same sample; without a seed one is drawn and stated in the report), and writes the audit
   report under `out/audits/<run id>/`: XLSX, DOCX, PDF, JSON, HTML (the report states scope,
   sampling rate and seed); the run is recorded in `audit_runs`, the files in `documents`;
3. `send` mails it to the recipients, exactly once per recipient (notification ledger).

`audit` is `ProduceReportOperator` (`fingertip.operators`, see `docs/operators.md`); its
**Fingertip output** link opens `out/audits/<run>/`.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from fingertip.operators import ProduceReportOperator
from fingertip.reports.audit import FORMATS, PLATFORMS, families
from fingertip.runtime import START_DATE, default_args

_FAMILIES = families()


@dag(
    dag_id="adhoc_audit",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    default_args=default_args(retries=1, retry_minutes=2),
    tags=["fingertip", "reports", "audit"],
    doc_md=__doc__,
    params={
        "title": Param(None, type=["null", "string"], maxLength=100, title="报告标题",
                       description="留空使用“政务移动互联网应用程序和公众账号专项核查报告”"),
        "provinces": Param([], type="array", items={"type": "string", "pattern": r"^[0-9]{2}0000$"},
                           title="省份代码", description="省级行政区划代码，如 440000；留空不限"),
        "divisions": Param([], type="array", items={"type": "string", "pattern": r"^[0-9]{6}$"},
                           title="行政区划代码", description="地市、区县代码（GB/T 2260），如 440300"),
        "sponsor_credit_codes": Param([], type="array", items={"type": "string"},
                                      title="主办单位统一社会信用代码", description="18 位统一社会信用代码"),
        "app_keys": Param([], type="array", items={"type": "string"}, title="应用编号", description="台账中的应用编号"),
        "account_keys": Param([], type="array", items={"type": "string"}, title="公众账号编号",
                              description="台账中的公众账号编号"),
        "platforms": Param([], type="array", items={"type": "string", "enum": list(PLATFORMS)}, title="平台",
                           description="应用商店、小程序宿主或账号平台；留空不限"),
        "families": Param([], type="array", items={"type": "string", "enum": list(_FAMILIES)}, title="规则类别",
                          description="；".join(f"{k} {v}" for k, v in _FAMILIES.items()) + "；留空运行全部规则"),
        "sample_rate": Param(None, type=["null", "number"], exclusiveMinimum=0, maximum=1, title="抽样比例",
                             description="0 到 1 之间，如 0.1 表示抽查 10%；留空全量核查"),
        "sample_seed": Param(None, type=["null", "integer"], title="随机种子",
                             description="同一种子抽到同一批对象；留空随机生成并在报告中注明"),
        "check_date": Param(None, type=["null", "string"], format="date", title="检查日期",
                            description="YYYY-MM-DD；留空为今天"),
        "recipients": Param([], type="array", items={"type": "string", "format": "email"}, title="收件人",
                            description="电子邮件地址；留空使用变量 fingertip_report_recipients"),
        "formats": Param(list(FORMATS), type="array", items={"type": "string", "enum": list(FORMATS)},
                         title="输出格式", description="docx / pdf / xlsx / json / html"),
    },
)
def adhoc_audit():
    @task(retries=0)
    def validate(params=None) -> dict:
        from fingertip.reports.tasks import validate_audit
        from fingertip.runtime import store_engine

        return validate_audit(store_engine(), dict(params or {}))

    @task(retries=4)
    def send(built: dict) -> dict:
        from fingertip.reports.tasks import send_report
        from fingertip.runtime import store_engine

        return send_report(store_engine(), built)

    audit = ProduceReportOperator(
        task_id="audit", pool="governance_store", audit=validate(), run_key="{{ dag.dag_id }}:{{ run_id }}",
    )
    send(audit.output)


adhoc_audit()
