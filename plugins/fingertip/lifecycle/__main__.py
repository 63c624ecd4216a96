"""Command line of the shutdown workflow for ops staff.

    fingertip lifecycle open --target app:APP-001 --reason "…" --actor 张三 [--successor app:APP-002]
    fingertip lifecycle dry-run [CASE_KEY …] [--day YYYY-MM-DD] [--json]
    fingertip lifecycle show CASE_KEY
    fingertip lifecycle list [--state proposed …]
    fingertip lifecycle decide CASE_KEY --approve|--reject --actor 李四 --comment "…"
    fingertip lifecycle confirm-disposal CASE_KEY --actor 张三 [--evidence "…"]
    fingertip lifecycle advance [--day YYYY-MM-DD] [--no-verify] [--deliver]
    fingertip lifecycle advance CASE_KEY --to STATE --actor 王五 --reason "…"

The store is ``FINGERTIP_STORE_URL`` (or the ``fingertip_store`` connection, or the embedded SQLite
file). Approval normally happens in Airflow (Required Actions); ``decide`` is for recording a
decision taken outside Airflow (e.g. at a meeting), with the decider as actor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys


def _engine():
    from fingertip.store.engine import create_store_engine

    return create_store_engine()


def _day(text: str | None) -> dt.date:
    if text:
        return dt.date.fromisoformat(text)
    import pendulum

    from fingertip.runtime import TIMEZONE

    return pendulum.now(TIMEZONE).date()


def _print(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fingertip lifecycle", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("open", help="open a case by hand")
    p.add_argument("--target", required=True, help="app:<app_key> | account:<account_key> | work_group:<group_key>")
    p.add_argument("--reason", required=True)
    p.add_argument("--actor", required=True)
    p.add_argument("--successor", help="kind:key of the successor channel (default: suggested)")
    p.add_argument("--day")
    p = sub.add_parser("dry-run", help="print the timeline of cases; changes nothing")
    p.add_argument("cases", nargs="*")
    p.add_argument("--day")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("show", help="a case, its events and checks")
    p.add_argument("case")
    p = sub.add_parser("list", help="cases by state")
    p.add_argument("--state", action="append")
    p = sub.add_parser("decide", help="record an approval decision taken outside Airflow")
    p.add_argument("case")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--approve", action="store_true")
    g.add_argument("--reject", action="store_true")
    p.add_argument("--actor", required=True)
    p.add_argument("--comment", required=True)
    p.add_argument("--successor")
    p = sub.add_parser("confirm-disposal", help="the signed disposal checklist came back")
    p.add_argument("case")
    p.add_argument("--actor", required=True)
    p.add_argument("--evidence")
    p = sub.add_parser("advance", help="advance every case (no case) or move one case (CASE --to STATE)")
    p.add_argument("case", nargs="?")
    p.add_argument("--to")
    p.add_argument("--actor")
    p.add_argument("--reason")
    p.add_argument("--day")
    p.add_argument("--no-verify", action="store_true")
    p.add_argument("--deliver", action="store_true")
    args = parser.parse_args(argv)

    from fingertip.lifecycle import cases
    from fingertip.lifecycle.settings import SettingsError, load_settings

    try:
        settings = load_settings()
        engine = _engine()
        if args.cmd == "open":
            from fingertip.lifecycle.opening import open_by_ops

            kind, _, key = args.target.partition(":")
            case, created = open_by_ops(engine, target_type=kind, target_key=key, actor=args.actor, reason=args.reason,
                                        successor=args.successor, day=_day(args.day), settings=settings)
            print(f"{'opened' if created else 'already open'}: {case['case_key']} ({case['state']})")
        elif args.cmd == "dry-run":
            from fingertip.lifecycle import timeline

            plans = timeline.dry_run(engine, day=_day(args.day), settings=settings, case_keys=args.cases or None)
            print(timeline.as_json(plans) if args.json else (timeline.render_text(plans) or "no live cases"))
        elif args.cmd == "show":
            import sqlalchemy as sa

            from fingertip.store import schema

            with engine.connect() as conn:
                case = cases.get_case(conn, args.case)
                checks = [dict(r) for r in conn.execute(sa.select(schema.case_checks).where(
                    schema.case_checks.c.case_id == case["id"]).order_by(schema.case_checks.c.check_date)).mappings()]
                _print({"case": case, "events": cases.events(conn, case["id"]), "checks": checks})
        elif args.cmd == "list":
            with engine.connect() as conn:
                for case in cases.list_cases(conn, args.state):
                    print(f"{case['case_key']}\t{case['state']}\t{case['target_type']}:{case['target_key']}\t"
                          f"{case['stop_on'] or ''}\t{case['blocked_reason'] or ''}")
        elif args.cmd == "decide":
            from fingertip.lifecycle.approval import apply_decision

            ok = apply_decision(engine, args.case, approved=args.approve, actor=args.actor, comment=args.comment,
                                successor=args.successor, evidence={"source": "cli"})
            print("recorded" if ok else "not recorded: the case is no longer proposed")
            return 0 if ok else 1
        elif args.cmd == "confirm-disposal":
            from fingertip.lifecycle.tasks import confirm_disposal

            confirm_disposal(engine, args.case, actor=args.actor, evidence=args.evidence)
            print("disposal confirmed")
        elif args.cmd == "advance":
            if args.case:
                if not (args.to and args.actor and args.reason):
                    parser.error("moving one case needs --to, --actor and --reason")
                ok = cases.advance(engine, args.case, args.to, actor=args.actor, reason=args.reason,
                                   evidence={"source": "cli"})
                print("moved" if ok else "not moved: changed concurrently")
                return 0 if ok else 1
            from fingertip.lifecycle.tasks import advance_all

            _print(advance_all(engine, day=_day(args.day), settings=settings, verify=not args.no_verify,
                               deliver=args.deliver))
    except (cases.CaseError, SettingsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
