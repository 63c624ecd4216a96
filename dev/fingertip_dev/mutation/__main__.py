"""``python -m fingertip_dev.mutation [--smoke] [--module NAME …] [--jobs N]``.

Writes ``out/mutation.json`` (``{"modules": [{"module", "mutants", "killed", "survived", "timeout",
"score", …}]}``) and ``out/mutation-survivors.txt``. The score is (killed + timeout) / (killed +
timeout + survived), where *survived* leaves out the survivors that only change message text and
the mutants listed as equivalent in :data:`.config.EQUIVALENT` (both counted and listed
separately). With ``--fail-under P`` the exit status is 1 when a module scores below P %.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import json
import os
import random
import resource
import signal
import sys
import time
from pathlib import Path
from typing import Any

from fingertip_dev.mutation import config, runner
from fingertip_dev.mutation.operators import Mutant, enumerate_mutants


def _root() -> Path:
    return Path(__file__).resolve().parents[3]


def _warm_up(targets: list[config.Target], before: bool) -> None:
    """Import pytest, the libraries and the test modules once in the parent (the children fork from it)."""
    import pytest

    args = ["--collect-only", "-q", "-p", "no:cacheprovider", "-n", "0"]
    for t in targets:
        args += _tests(t, before)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        pytest.main(args)


def _select(target: config.Target) -> tuple[list[Mutant], int]:
    source = runner.module_origin(target.module).read_text(encoding="utf-8")
    mutants = enumerate_mutants(target.module, source)
    total = len(mutants)
    if target.sample is not None and total > target.sample:
        mutants = sorted(random.Random(config.SEED).sample(mutants, target.sample), key=lambda m: (m.line, m.col))
    return mutants, total


def _cap(target: config.Target, cap: int | None) -> config.Target:
    """``--sample N``: at most N mutants of every module (the same fixed seed)."""
    if cap is None or (target.sample is not None and target.sample <= cap):
        return target
    return dataclasses.replace(target, sample=cap)


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _tests(target: config.Target, before: bool) -> list[str]:
    return [t for t in target.tests if Path(t.split("::")[0]).exists()
            and not (before and t.split("::")[0] in config.ADDED_TESTS)]


def run_target(target: config.Target, root: Path, jobs: int, before: bool = False) -> dict[str, Any]:
    mutants, total = _select(target)
    tests = _tests(target, before)
    if len(tests) < len(target.tests):
        print(f"{target.module}: test file(s) missing, not used: {sorted(set(target.tests) - set(tests))}",
              file=sys.stderr)
    if not tests:
        raise SystemExit(f"mutation: none of the tests of {target.module} exists: {target.tests}")
    args = [*target.options, *tests]
    base_wall, base_cpu = runner.baseline(target.module, args, root)
    timeout = max(3 * base_wall, base_wall + 20)
    print(f"{target.module}: {len(mutants)} mutants (of {total}), tests {base_wall:.1f} s "
          f"({base_cpu:.1f} s CPU), timeout {timeout:.0f} s", file=sys.stderr)
    cpu0, t0 = _cpu_children(), time.monotonic()
    outcomes = []
    for o in runner.run(target.module, mutants, args, root, jobs=jobs, timeout=timeout):
        outcomes.append(o)  # one line per mutant: an interrupted run can still be read
        print(f"    {o.status:8} {o.mutant.line}:{o.mutant.col} {o.mutant.description}"
              f"{' (message text)' if o.mutant.message_text else ''}", file=sys.stderr, flush=True)
    wall, cpu = time.monotonic() - t0, _cpu_children() - cpu0
    counts = {"killed": 0, "survived": 0, "timeout": 0}
    lines = runner.module_origin(target.module).read_text(encoding="utf-8").splitlines()
    message, equivalent, survivors = [], [], []
    for o in sorted(outcomes, key=lambda o: (o.mutant.line, o.mutant.col, o.mutant.variant)):
        if o.status != "survived":
            counts[o.status] += 1
            continue
        code = lines[o.mutant.line - 1].strip() if 0 < o.mutant.line <= len(lines) else ""
        eq_key = f"{o.mutant.module} | {code} | {o.mutant.description}"
        if eq_key in config.EQUIVALENT:
            equivalent.append({**_describe(o.mutant), "reason": config.EQUIVALENT[eq_key]})
        elif o.mutant.message_text:
            message.append(_describe(o.mutant))
        else:
            counts["survived"] += 1
            survivors.append(_describe(o.mutant))
    detected = counts["killed"] + counts["timeout"]
    judged = detected + counts["survived"]
    return {
        "module": target.module,
        "mutants": len(mutants),
        **counts,
        "score": round(100 * detected / judged, 1) if judged else None,
        "message_text_survivors": len(message),
        "equivalent": len(equivalent),
        "sampled": target.sample is not None and total > target.sample,
        "mutants_in_module": total,
        "sample_seed": config.SEED if target.sample is not None and total > target.sample else None,
        "tests": list(args),
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "_survivors": survivors,
        "_message": message,
        "_equivalent": equivalent,
    }


def _describe(m: Mutant) -> dict[str, Any]:
    return {"line": m.line, "col": m.col, "variant": m.variant, "change": m.description}


def _survivor_text(results: list[dict[str, Any]]) -> str:
    out = []
    for r in results:
        lines = runner.module_origin(r["module"]).read_text(encoding="utf-8").splitlines()
        out.append(f"== {r['module']}: score {r['score']} % ({r['killed']} killed, {r['timeout']} timeout, "
                   f"{r['survived']} survived of {r['mutants']}"
                   + (f", sampled from {r['mutants_in_module']} with seed {r['sample_seed']}" if r["sampled"] else "")
                   + ")")
        for title, key in (("survivors", "_survivors"), ("message-text-only survivors (not scored)", "_message"),
                           ("equivalent (not scored)", "_equivalent")):
            if not r[key]:
                continue
            out.append(f"-- {title}:")
            for s in r[key]:
                code = lines[s["line"] - 1].strip() if 0 < s["line"] <= len(lines) else ""
                reason = f"   [{s['reason']}]" if "reason" in s else ""
                out.append(f"  {s['line']}:{s['col']} {s['change']}{reason}\n      {code}")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fingertip_dev.mutation", description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="only the CI smoke module(s)")
    ap.add_argument("--module", action="append", default=[], help="only this module (repeatable)")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATION_JOBS", os.cpu_count() or 1)))
    ap.add_argument("--out", default="out", help="output directory (default out/)")
    ap.add_argument("--before", action="store_true",
                    help="leave out the test files added for issue 17 (the scores before them; writes mutation-before.json)")
    ap.add_argument("--sample", type=int, default=None,
                    help="at most N mutants per module (fixed seed), for a quicker run on a busy machine")
    ap.add_argument("--fail-under", type=float, default=None, help="exit 1 when a module scores below this")
    ns = ap.parse_args(argv)
    root = _root()
    os.chdir(root)
    targets = list(config.SMOKE if ns.smoke else config.TARGETS)
    wanted = set(ns.module) or None
    if wanted is not None:
        unknown = wanted - {t.module for t in targets}
        if unknown:
            ap.error(f"unknown module(s) {sorted(unknown)}; known: {[t.module for t in targets]}")
        targets = [t for t in targets if t.module in wanted]
    targets = [_cap(t, ns.sample) for t in targets]
    t0, cpu0 = time.monotonic(), _cpu_children()
    if ns.before:
        skipped = [t.module for t in targets if not _tests(t, True)]
        if skipped:
            print(f"--before: no test of these modules existed before issue 17, not run: {skipped}", file=sys.stderr)
        targets = [t for t in targets if _tests(t, True)]
    _warm_up(targets, ns.before)
    # after the warm-up (imported libraries install their own handlers): unwind, the runner kills its children
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    out_dir = Path(ns.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = "mutation-smoke" if ns.smoke else "mutation-before" if ns.before else "mutation"
    results: list[dict[str, Any]] = []
    report: dict[str, Any] = {}
    for t in targets:  # the files are rewritten after each module: a long run shows its progress
        results.append(run_target(t, root, max(1, ns.jobs), ns.before))
        report = {
            "modules": [{k: v for k, v in r.items() if not k.startswith("_")} for r in results],
            "complete": len(results) == len(targets),
            "wall_seconds": round(time.monotonic() - t0, 1),
            "cpu_seconds": round(_cpu_children() - cpu0, 1),
            "jobs": ns.jobs,
            "score_definition": "(killed + timeout) / (killed + timeout + survived); message-text-only "
                                "survivors and listed equivalent mutants excluded and counted separately",
        }
        (out_dir / f"{name}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
        (out_dir / f"{name}-survivors.txt").write_text(_survivor_text(results), encoding="utf-8")
    for r in results:
        print(f"{r['module']:34} {r['score']!s:>6} %  mutants {r['mutants']:4}  killed {r['killed']:4}  "
              f"timeout {r['timeout']:3}  survived {r['survived']:3}  message-only {r['message_text_survivors']:3}  "
              f"{r['wall_seconds']:.0f} s")
    print(f"total {report['wall_seconds']:.0f} s wall, {report['cpu_seconds']:.0f} s CPU; "
          f"written {out_dir / (name + '.json')} and {out_dir / (name + '-survivors.txt')}")
    if ns.fail_under is not None:
        low = [r["module"] for r in results if r["score"] is None or r["score"] < ns.fail_under]
        if low:
            print(f"below {ns.fail_under} %: {', '.join(low)}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
