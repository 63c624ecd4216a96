"""Command line: periodic reports and ad-hoc audits without Airflow's scheduler.

::

    fingertip reports periodic --period 2026Q3 [--kind quarterly] [--province 440000]
        [--recipients a@x.cn,b@y.cn] [--formats docx,pdf,xlsx,json,html] [--no-send] [--smtp-conn-id ID]
    fingertip reports periodic --date 2026-10-01      # what the schedule would produce that day
    fingertip reports audit --conf '{"provinces": ["440000"], "sample_rate": 0.1, "sample_seed": 7,
        "recipients": ["audit@cac.example.gov.cn"]}' [--run-key KEY] [--no-send]

Uses the store of ``fingertip.runtime.store_engine()`` (``FINGERTIP_STORE_URL``, the
``fingertip_store`` connection or the embedded SQLite file) and the ``smtp_default`` connection;
prints one JSON object per report (key, files, delivery). Exit code 2 on invalid parameters
(the message lists every problem in Chinese and English).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import uuid

from fingertip.reports.periods import REPORT_KINDS


def _engine():
    from fingertip.runtime import store_engine

    return store_engine()


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fingertip reports", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("periodic", help="produce (and send) periodic / self-inspection reports")
    p.add_argument("--period", help="2026-10, 2026Q3 or 2026")
    p.add_argument("--kind", choices=REPORT_KINDS)
    p.add_argument("--province", help="PP0000 code (self_inspection)")
    p.add_argument("--date", help="run date (YYYY-MM-DD) when no period is given: the reports due that day")
    p.add_argument("--recipients", help="comma-separated; default: Variable fingertip_report_recipients")
    p.add_argument("--formats", help="comma-separated subset of docx,pdf,xlsx,json,html")
    p.add_argument("--no-send", action="store_true", help="write the files only")
    p.add_argument("--smtp-conn-id", default="smtp_default")
    a = sub.add_parser("audit", help="run an ad-hoc audit")
    a.add_argument("--conf", required=True, help="JSON object with the adhoc_audit params")
    a.add_argument("--run-key", help="audit_runs key (default: cli:<uuid>)")
    a.add_argument("--no-send", action="store_true")
    a.add_argument("--smtp-conn-id", default="smtp_default")
    args = parser.parse_args(argv)

    from fingertip.reports.audit import AuditParamsError
    from fingertip.reports.tasks import (
        ReportParamsError,
        plan_reports,
        produce_audit,
        produce_report,
        send_report,
        validate_audit,
    )

    engine = _engine()
    try:
        if args.command == "periodic":
            params = {"period": args.period, "kind": args.kind, "province": args.province,
                      "recipients": _split(args.recipients), "formats": _split(args.formats) or None}
            run_date = dt.date.fromisoformat(args.date) if args.date else dt.date.today()
            built_all = [produce_report(engine, spec) for spec in plan_reports(run_date, params)]
        else:
            request = validate_audit(engine, json.loads(args.conf))
            built_all = [produce_audit(engine, request, run_key=args.run_key or f"cli:{uuid.uuid4().hex[:12]}")]
    except (ReportParamsError, AuditParamsError, json.JSONDecodeError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for built in built_all:
        sent = None if args.no_send else send_report(engine, built, smtp_conn_id=args.smtp_conn_id)
        print(json.dumps({"key": built["key"], "audit_run_id": built["audit_run_id"],
                          "files": [f["url"] for f in built["files"]],
                          "sent": None if sent is None else {"recipients": sent["recipients"],
                                                             "delivery": {k: v for k, v in (sent.get("delivery") or {}).items()
                                                                          if k != "details"}}},
                         ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
