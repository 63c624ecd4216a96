"""``python -m fingertip_dev <group> …`` — the development tools the Makefile runs.

Groups:
  settings load [PATH] [--dry-run] [--prune]   load Astro's airflow_settings.yaml into Airflow
  sample generate --entities N --seed S …      generate the sample population
  stub --world DATA/sample/world.db [--port 8765] [--faults JSON]   the stub source server
  mailcatcher [--dir DIR] [--host 127.0.0.1] [--port 8025]          local SMTP server saving .eml files
  demo [--entities N] [--seed S]               the end-to-end demo (make demo)
  cluster [--entities N] [--redis-db N] [--keep]  the demo pipeline on CeleryExecutor over REST (make cluster)
  preview [--out URL]                          render the sample official documents and PNG previews
"""

from __future__ import annotations

import importlib
import logging
import sys

GROUPS = {
    "settings": "fingertip_dev.airflow_settings",
    "sample": "fingertip_dev.sample.__main__",
    "stub": "fingertip_dev.stub.__main__",
    "mailcatcher": "fingertip_dev.mailcatcher",
    "demo": "fingertip_dev.demo",
    "preview": "fingertip_dev.document_preview",
    "cluster": "fingertip_dev.cluster",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    module = GROUPS.get(argv[0])
    if module is None:
        print(f"unknown group {argv[0]!r}\n{__doc__}", file=sys.stderr)
        return 2
    result: int = importlib.import_module(module).main(argv[1:])
    return result


if __name__ == "__main__":
    sys.exit(main())
