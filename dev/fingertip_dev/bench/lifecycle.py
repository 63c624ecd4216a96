"""Benchmark: advancing 1,000 approved shutdown cases in one run, documents included.

``python -m fingertip_dev.bench.lifecycle --cases 1000 --json`` generates a sample population straight into
a scratch SQLite store (``fingertip_dev.sample.load.generate_into_store``), opens ``cases`` cases on apps,
accounts and work groups that have a live successor of the same sponsor, approves them, and then
measures one :func:`fingertip.lifecycle.tasks.advance_all` (without the HTTP verification, which has
nothing to do on the announcement day): every case announced with its announcement
(DOCX/PDF/HTML/Markdown) and disposal checklist (XLSX/DOCX) written and recorded, reminders queued.

Targets: ≤ 120 s and peak RSS ≤ 1 GB. The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"seconds": 120.0, "peak_rss_mb": 1024.0}


def _rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    peak = resource.getrusage(who).ru_maxrss
    return round(peak / 1024 if sys.platform != "darwin" else peak / 1024 / 1024, 1)


def prepare(store_url: str, *, cases: int, entities: int, seed: int, day: dt.date) -> dict:
    """Generate the population and open + approve ``cases`` cases with live successors."""
    import sqlalchemy as sa

    from fingertip.lifecycle import cases as case_store
    from fingertip.lifecycle import successor as succ
    from fingertip.lifecycle.approval import apply_decision
    from fingertip.lifecycle.settings import load_settings
    from fingertip.store import schema
    from fingertip.store.engine import create_store_engine
    from fingertip_dev.sample.load import generate_into_store

    generated = generate_into_store(store_url, entities, seed, day, None, inventory=False)
    settings = load_settings()
    engine = create_store_engine(store_url)
    opened: list[str] = []
    tables = (("app", schema.apps, "app_key"), ("account", schema.accounts, "account_key"), ("work_group", schema.work_groups,
                                                                                   "group_key"))
    with engine.connect() as conn:
        candidates = []
        for kind, table, key in tables:
            rows = conn.execute(sa.select(table).where(table.c.status == "active").order_by(table.c.id)).mappings()
            candidates += [(kind, dict(r), r[key]) for r in rows]
    # interleave types so the benchmark covers all three
    candidates.sort(key=lambda x: (hash((x[0], x[2])) % 997, x[2]))
    taken: set[tuple[str, str]] = set()
    for kind, row, key in candidates:
        if len(opened) >= cases:
            break
        if (kind, key) in taken:
            continue
        with engine.begin() as conn:
            ref = succ.suggest(conn, kind, row, day=day, max_silence_days=settings.account_max_silence_days)
            if ref is None or ref in taken:
                continue
            case, created = case_store.open_case(conn, target_type=kind, target_key=key, opened_by="bench",
                                        reason="基准测试：长期不更新、使用率低", successor=ref,
                                        details={"title_zh": "基准测试关停", "basis": "《意见》第七条", "article": "opinions-7"})
        if created:
            taken.update({(kind, key), ref})
            opened.append(case["case_key"])
    for key in opened:
        apply_decision(engine, key, approved=True, actor="bench-approver", comment="基准测试批准")
    engine.dispose()
    return {"generated_rows": generated["total_rows"], "cases": len(opened)}


def run(cases: int = 1000, entities: int = 20_000, seed: int = 20261123, workdir: str | None = None) -> dict:
    from fingertip.lifecycle.settings import load_settings
    from fingertip.lifecycle.tasks import advance_all
    from fingertip.store.engine import create_store_engine

    base = Path(workdir or tempfile.mkdtemp(prefix="fingertip-lifecycle-bench-"))
    os.environ["FINGERTIP_OUTPUT_URL"] = (base / "out").as_uri()
    store_url = f"sqlite:///{base / 'store.db'}"
    day = dt.date(2026, 11, 20)
    t0 = time.perf_counter()
    prep = prepare(store_url, cases=cases, entities=entities, seed=seed, day=day)
    prep_seconds = time.perf_counter() - t0
    engine = create_store_engine(store_url)
    start = time.perf_counter()
    result = advance_all(engine, day=day, settings=load_settings(), verify=False)
    seconds = time.perf_counter() - start
    engine.dispose()
    files = sum(1 for p in (base / "out" / "cases").rglob("*") if p.is_file()) if (base / "out").exists() else 0
    out = {
        "bench": "lifecycle_advance", "cases": prep["cases"], "announced": len(result["announce"]["announced"]),
        "blocked": len(result["announce"]["blocked"]), "documents_written": result["announce"]["documents"],
        "files_on_disk": files, "reminders_queued": result["reminders"]["reminders"],
        "seconds": round(seconds, 2), "per_case_ms": round(1000 * seconds / max(prep["cases"], 1), 1),
        "prepare_seconds": round(prep_seconds, 2), "generated_rows": prep["generated_rows"],
        "peak_rss_mb": _rss_mb(), "children_peak_rss_mb": _rss_mb(resource.RUSAGE_CHILDREN),
        "render_workers": min(8, os.cpu_count() or 1), "targets": TARGETS,
    }
    out["ok"] = (out["seconds"] <= TARGETS["seconds"] and out["peak_rss_mb"] <= TARGETS["peak_rss_mb"]
                 and out["children_peak_rss_mb"] <= TARGETS["peak_rss_mb"])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--entities", type=int, default=20_000, help="size of the generated population")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--workdir", help="keep the store and documents here (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result = run(args.cases, args.entities, args.seed, args.workdir)
    if not args.json:
        print(f"{result['cases']} cases advanced in {result['seconds']} s "
              f"({result['documents_written']} documents), peak RSS {result['peak_rss_mb']} MB", file=sys.stderr)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
