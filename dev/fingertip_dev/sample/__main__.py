"""Command line: ``python -m fingertip_dev.sample generate --entities N --seed S [options]``.

Loads the sample into the store (after migrating it), writes ``ground_truth.jsonl``,
``ground_truth_summary.json`` and ``inventory/`` under ``--out`` (default ``<data>/sample``), and
prints a one-line JSON summary. Exit status 2 when the store already holds a sample and
``--replace`` was not given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path

from fingertip import config


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev.sample", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="generate the sample population into the store")
    gen.add_argument("--entities", type=_positive, required=True, help="apps + accounts + work groups")
    gen.add_argument("--seed", type=int, required=True)
    gen.add_argument("--as-of", type=_date, default=None, help="check date the data describe (default: today, UTC)")
    gen.add_argument("--store-url", default=None, help="SQLAlchemy URL (default: the configured store)")
    gen.add_argument("--out", type=Path, default=None, help="ground truth and inventory folder (default: <data>/sample)")
    gen.add_argument("--replace", action="store_true", help="delete a previously generated sample first")
    gen.add_argument("--chunk-rows", type=_positive, default=100_000, help="rows buffered per bulk flush")
    gen.add_argument("--no-inventory", action="store_true", help="skip the inventory spreadsheets")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    from fingertip.store.engine import resolve_store_url
    from fingertip_dev.sample.load import SampleAlreadyLoaded, generate_into_store

    as_of = args.as_of or dt.datetime.now(dt.UTC).date()
    out = args.out or (config.data_dir() / "sample")
    try:
        summary = generate_into_store(
            args.store_url or resolve_store_url(), args.entities, args.seed, as_of, out,
            replace=args.replace, chunk_rows=args.chunk_rows, inventory=not args.no_inventory,
        )
    except SampleAlreadyLoaded as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary["out"] = str(out)
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
