"""Command line: ``python -m fingertip <group> …`` (the Makefile's commands use it).

Groups:
  store upgrade [REV] | downgrade REV | current | revision MESSAGE | docs
  settings load [PATH] [--dry-run] [--prune]
  sample generate --entities N --seed S …   (see ``python -m fingertip sample generate --help``)
  stub --world DATA/sample/world.db [--port 8765] [--faults JSON]   (the stub source server)
  mailcatcher [--dir DIR] [--host 127.0.0.1] [--port 8025]   (local SMTP server saving .eml files)
  demo [--entities N] [--seed S]
"""

from __future__ import annotations

import argparse
import logging
import sys


def _store(argv: list[str]) -> int:
    from fingertip.store import migrate
    from fingertip.store.engine import describe, resolve_store_url

    parser = argparse.ArgumentParser(prog="python -m fingertip store")
    sub = parser.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("upgrade", help="migrate the store to a revision (default head)")
    up.add_argument("revision", nargs="?", default="head")
    down = sub.add_parser("downgrade", help="migrate the store down to a revision ('base' drops all)")
    down.add_argument("revision")
    sub.add_parser("current", help="print the store's revision")
    rev = sub.add_parser("revision", help="autogenerate a migration from schema.py")
    rev.add_argument("message")
    docs = sub.add_parser("docs", help="write docs/store.md from the schema")
    docs.add_argument("--output", default=None)
    args = parser.parse_args(argv)

    if args.cmd == "docs":
        from fingertip import config
        from fingertip.store.docs import render

        target = args.output or str(config.project_root() / "docs" / "store.md")
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(render())
        print(f"written: {target}")
        return 0

    url = resolve_store_url()
    if args.cmd == "upgrade":
        migrate.upgrade(url, args.revision)
        print(f"store: {describe(url)} at revision {migrate.current_revision(url)}")
    elif args.cmd == "downgrade":
        migrate.downgrade(url, args.revision)
        print(f"store: {describe(url)} at revision {migrate.current_revision(url)}")
    elif args.cmd == "current":
        print(migrate.current_revision(url) or "(empty)")
    else:
        migrate.revision(args.message, url)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    group, rest = argv[0], argv[1:]
    if group == "store":
        return _store(rest)
    if group == "settings":
        from fingertip import airflow_settings

        return airflow_settings.main(rest)
    if group == "sample":
        from fingertip.sample import __main__ as sample_cli

        return sample_cli.main(rest)
    if group == "stub":
        from fingertip.stub import __main__ as stub_cli

        return stub_cli.main(rest)
    if group == "mailcatcher":
        from fingertip.notifications import catcher

        return catcher.main(rest)
    if group == "demo":
        from fingertip import demo

        return demo.main(rest)
    print(f"unknown command group {group!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
