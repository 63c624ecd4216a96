"""``make bench`` entry for mutation testing: the figures of the last ``make mutation``.

The full run takes up to 20 minutes, too long to repeat inside ``make bench``: this reads
``out/mutation.json`` written by ``make mutation``. Without it (a fresh checkout) it runs the CI
smoke module instead (about a minute of CPU) and reports that, with ``"source": "smoke"``.
Prints one JSON object: the lowest score, the run's wall and CPU seconds, and each module's score
as ``score_<module>`` (a module of :data:`.config.TARGETS` missing from the file scores 0: an
unfinished run is never green).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fingertip_dev.mutation import config
from fingertip_dev.mutation.__main__ import main as mutation_main


def figures(report: dict, source: str) -> dict:
    out: dict = {"source": source, "wall_seconds": report["wall_seconds"], "cpu_seconds": report["cpu_seconds"]}
    scores = []
    for m in report["modules"]:
        out[f"score_{m['module']}"] = m["score"]
        scores.append(m["score"] if m["score"] is not None else 0.0)
    if source != "smoke":  # a module the run did not reach is not a pass
        missing = [t.module for t in config.TARGETS if f"score_{t.module}" not in out]
        for module in missing:
            out[f"score_{module}"] = 0.0
            scores.append(0.0)
        out["missing_modules"] = missing
    out["min_score"] = min(scores) if scores else None
    out["modules_below_85"] = sum(1 for s in scores if s < 85)
    return out


def main() -> int:
    root = Path(__file__).resolve().parents[3]
    full = root / "out" / "mutation.json"
    if full.exists():
        print(json.dumps(figures(json.loads(full.read_text(encoding="utf-8")), "make mutation")))
        return 0
    rc = mutation_main(["--smoke", "--out", str(root / "out")])
    smoke = json.loads((root / "out" / "mutation-smoke.json").read_text(encoding="utf-8"))
    print(json.dumps(figures(smoke, "smoke")))
    return rc


if __name__ == "__main__":
    sys.exit(main())
