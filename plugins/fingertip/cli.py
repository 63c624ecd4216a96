"""The ``fingertip`` command (console script; also ``python -m fingertip``).

Every group works on the governance store resolved by :func:`fingertip.store.engine.resolve_store_url`
(``FINGERTIP_STORE_URL`` → ``[fingertip] store_url`` → the ``fingertip_store`` Airflow connection →
the embedded SQLite file) and fails with a clear message when a configured store cannot be read.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

USAGE = """\
usage: fingertip <group> [arguments …]   (fingertip <group> --help for each group)

Fingertip — lifecycle governance of government apps, official accounts and work groups.

groups:
  store      migrate the governance store and inspect it
             upgrade [REV] | downgrade REV | current | revision MESSAGE | docs [--output PATH]
  rules      check the policy files, dry-run or run detection, list, acknowledge, waive findings
  lifecycle  shutdown cases: open, list, show, timeline, documents, verification
  reports    produce periodic reports and ad-hoc audits from the command line
  template   write the inventory (台账) template workbook units fill in
  config     print the resolved [fingertip] configuration and where each value came from
  version    print the installed version
"""


def _store(argv: list[str]) -> int:
    from fingertip.store import migrate
    from fingertip.store.engine import describe, resolve_store_url

    parser = argparse.ArgumentParser(prog="fingertip store", description="Migrate and inspect the store.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("upgrade", help="migrate the store to a revision (default head)")
    up.add_argument("revision", nargs="?", default="head")
    down = sub.add_parser("downgrade", help="migrate the store down to a revision ('base' drops all)")
    down.add_argument("revision")
    sub.add_parser("current", help="print the store's revision")
    rev = sub.add_parser("revision", help="autogenerate a migration from schema.py")
    rev.add_argument("message")
    docs = sub.add_parser("docs", help="write the store's documentation (Markdown) from the schema")
    docs.add_argument("--output", default="docs/store.md", help="target file (default docs/store.md)")
    args = parser.parse_args(argv)

    if args.cmd == "docs":
        from fingertip.store.docs import render

        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(render())
        print(f"written: {args.output}")
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


def _config(argv: list[str]) -> int:
    from fingertip import config
    from fingertip.store.engine import describe, resolve_store_url

    argparse.ArgumentParser(prog="fingertip config", description="Print the resolved configuration.").parse_args(argv)
    for option in config.OPTIONS:
        value = config.get(option.name)
        shown = describe(value) if option.name == "store_url" and value else value
        print(f"{option.name:16} {shown if shown is not None else '(default)'}")
    print(f"{'-> store':16} {describe(resolve_store_url())}")
    print(f"{'-> output_url':16} {config.output_url()}")
    print(f"{'-> policy_dir':16} {config.policy_dir()}")
    return 0


def _version(argv: list[str]) -> int:
    from fingertip import __version__

    print(__version__)
    return 0


def _lazy(module: str) -> Callable[[list[str]], int]:
    def run(argv: list[str]) -> int:
        import importlib

        main: Callable[[list[str]], int] = importlib.import_module(module).main
        return main(argv)

    return run


GROUPS: dict[str, Callable[[list[str]], int]] = {
    "store": _store,
    "rules": _lazy("fingertip.rules.__main__"),
    "lifecycle": _lazy("fingertip.lifecycle.__main__"),
    "reports": _lazy("fingertip.reports.__main__"),
    "template": _lazy("fingertip.inventory.template"),
    "config": _config,
    "version": _version,
}


class NeutralisingStream:
    """A text stream that writes through ``stream`` without control (but tab and line breaks) and bidi
    characters (:func:`fingertip.text.neutralise`): a name holding U+202E or an escape sequence cannot
    reorder or restyle what an operator's terminal shows, whichever command printed it."""

    def __init__(self, stream: Any):
        self._stream = stream

    def write(self, text: str) -> int:
        from fingertip.text import neutralise

        self._stream.write(neutralise(text, multiline=True))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    """Run the command; everything it prints goes through :class:`NeutralisingStream`."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = NeutralisingStream(out), NeutralisingStream(err)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    group, rest = argv[0], argv[1:]
    run = GROUPS.get(group)
    if run is None:
        print(f"fingertip: unknown group {group!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    from fingertip.config import ConfigurationError

    try:
        return run(rest)
    except ConfigurationError as exc:
        print(f"fingertip {group}: configuration error: {exc}", file=sys.stderr)
        return 2
