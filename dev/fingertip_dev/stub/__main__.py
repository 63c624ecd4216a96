"""``python -m fingertip_dev.stub --world WORLD.db [--host H] [--port P] [--faults JSON] [--ready-file F]``.

Serves the four sources of a generated world until SIGTERM/SIGINT (formats: ``docs/sources.md``).
With ``--ready-file`` the base URL is written to that file (atomically) once the port is bound;
``--port 0`` picks a free port.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from .server import StubServer
from .world import WorldError


def _faults(text: str | None) -> dict:
    if not text:
        return {}
    if text.startswith("@"):
        text = Path(text[1:]).read_text(encoding="utf-8")
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("--faults must be a JSON object")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev.stub", description="Serve the four sources of a generated world (docs/sources.md).")
    parser.add_argument("--world", required=True, help="SQLite world database (store schema)")
    parser.add_argument("--host", default=os.environ.get("FINGERTIP_STUB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("FINGERTIP_STUB_PORT", "8765")))
    parser.add_argument("--faults", default=None,
                        help='fault knobs as JSON (or @file.json), e.g. \'{"error_5xx_rate": 0.1}\'')
    parser.add_argument("--ready-file", default=None, help="write the base URL here once listening")
    parser.add_argument("--log-level", default="INFO", help="DEBUG logs every request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    try:
        stub = StubServer(args.world, host=args.host, port=args.port, faults=_faults(args.faults))
        stub.start()
    except (WorldError, ValueError, OSError) as exc:
        print(f"fingertip_dev.stub: {exc}", file=sys.stderr)
        return 2

    stopping = threading.Event()

    def _stop(_signum, _frame) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if args.ready_file:
        ready = Path(args.ready_file)
        tmp = ready.with_name(ready.name + ".tmp")
        tmp.write_text(stub.base_url + "\n", encoding="utf-8")
        os.replace(tmp, ready)
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        stub.stop()
        logging.getLogger("fingertip_dev.stub").info("stub: stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
