"""Command line of the rules engine (the store is ``FINGERTIP_STORE_URL`` or the embedded default).

    fingertip rules check                      # load and check the policy files
    fingertip rules docs                       # regenerate docs/rules.md and docs/policy.md
    fingertip rules dry-run [--date D] [--family F …] [--province P …] [--limit N]
    fingertip rules run [--date D]             # detect and store findings
    fingertip rules show [--rule R] [--state S] [--limit N]
    fingertip rules ack FINDING_ID --by NAME
    fingertip rules waive FINDING_ID --reason TEXT --approver NAME --until YYYY-MM-DD
    fingertip rules revoke FINDING_ID
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys


def _engine():
    from fingertip.store.engine import create_store_engine

    return create_store_engine()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fingertip rules", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("check", help="load and check the policy files")
    docs = sub.add_parser("docs", help="regenerate docs/rules.md from the policy files")
    docs.add_argument("--output", default="docs/rules.md", help="target file (default docs/rules.md)")
    docs.add_argument("--policy-output", default="docs/policy.md", help="policy coverage (default docs/policy.md)")
    for name in ("dry-run", "run"):
        p = sub.add_parser(name, help="list what would be flagged and why" if name == "dry-run" else "detect")
        p.add_argument("--date", type=dt.date.fromisoformat, default=None, help="check date (default today)")
        p.add_argument("--family", action="append", default=None, help="rule family (repeatable)")
        p.add_argument("--province", action="append", default=[], help="PP0000 code (repeatable)")
        p.add_argument("--limit", type=int, default=20, help="findings to explain (dry run)")
    show = sub.add_parser("show", help="list stored findings")
    show.add_argument("--rule")
    show.add_argument("--state")
    show.add_argument("--limit", type=int, default=50)
    ack = sub.add_parser("ack", help="acknowledge a finding")
    ack.add_argument("finding_id")
    ack.add_argument("--by", required=True)
    waive = sub.add_parser("waive", help="waive a finding until a date")
    waive.add_argument("finding_id")
    waive.add_argument("--reason", required=True)
    waive.add_argument("--approver", required=True)
    waive.add_argument("--until", required=True, type=dt.date.fromisoformat)
    waive.add_argument("--by", default=getpass.getuser(), help="who records the waiver (default: the OS user)")
    revoke = sub.add_parser("revoke", help="revoke a finding's waivers (it reopens)")
    revoke.add_argument("finding_id")
    revoke.add_argument("--by", default=getpass.getuser(), help="who revokes (default: the OS user)")
    args = parser.parse_args(argv)

    from fingertip.rules import PolicySourceError, load_policy

    try:
        policy = load_policy()
    except PolicySourceError as exc:
        print(f"policy error: {exc}", file=sys.stderr)
        return 2
    if args.cmd == "check":
        print(json.dumps(policy.describe(), ensure_ascii=False, indent=2))
        return 0
    if args.cmd == "docs":
        from fingertip.rules.docs import write, write_policy

        print(f"written: {write(args.output)}")
        print(f"written: {write_policy(args.policy_output)}")
        return 0
    from fingertip.rules import findings as lifecycle

    if args.cmd in ("dry-run", "run"):
        from fingertip.rules.engine import Scope, detect
        from fingertip.rules.tasks import explain, format_tables

        result = detect(_engine(), policy, check_date=args.date, families=args.family,
                        scope=Scope.of(provinces=args.province), persist=args.cmd == "run")
        print(format_tables(result, policy))
        if args.cmd == "dry-run":
            print(explain(result, policy, limit=args.limit))
        return 0
    if args.cmd == "show":
        import sqlalchemy as sa

        from fingertip.store import schema

        q = sa.select(schema.findings.c.id, schema.findings.c.state, schema.findings.c.rule_id, schema.findings.c.target_type,
                      schema.findings.c.target_key, schema.findings.c.title_zh, schema.findings.c.last_seen_at)
        if args.rule:
            q = q.where(schema.findings.c.rule_id == args.rule)
        if args.state:
            q = q.where(schema.findings.c.state == args.state)
        with _engine().connect() as conn:
            for row in conn.execute(q.order_by(schema.findings.c.rule_id, schema.findings.c.target_key).limit(args.limit)):
                print("\t".join(str(v) for v in row))
        return 0
    try:
        if args.cmd == "ack":
            lifecycle.acknowledge(_engine(), args.finding_id, by=args.by)
        elif args.cmd == "waive":
            lifecycle.waive(_engine(), args.finding_id, reason=args.reason, approver=args.approver,
                            expires_at=dt.datetime.combine(args.until, dt.time()), by=args.by)
        elif args.cmd == "revoke":
            lifecycle.revoke_waivers(_engine(), args.finding_id, by=args.by)
    except lifecycle.FindingStateError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
