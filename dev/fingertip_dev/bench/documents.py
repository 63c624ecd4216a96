"""Benchmark: rendering the shutdown documents of many cases.

``python -m fingertip_dev.bench.documents --cases 1000 [--out DIR] [--json]`` renders, for every case, the
announcement (DOCX, PDF, HTML, Markdown) and the disposal checklist (XLSX, DOCX) of the sample case
with a distinct case key and target name, and writes them to a scratch folder (or ``--out``).
Reports ``seconds`` (all cases, fonts registered once), ``per_case_ms``, ``files``, ``bytes`` and
``peak_rss_mb``. The shutdown workflow's benchmark (1,000 cases ≤ 2 minutes with everything else)
relies on this staying well under 100 ms a case. The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path


def run(cases: int, out_dir: Path | None = None) -> dict:
    from fingertip.documents.announcement import write_announcement
    from fingertip.documents.disposal import write_checklist
    from fingertip.documents.fonts import register_pdf_fonts
    from fingertip_dev.document_samples import sample_announcement_context, sample_disposal_context

    register_pdf_fonts()
    with tempfile.TemporaryDirectory(prefix="fingertip-doc-bench-") as scratch:
        folder = out_dir or Path(scratch)
        started = time.perf_counter()
        files = size = 0
        for i in range(cases):
            key, name = f"BENCH-{i:06d}", f"“政务服务{i}号”App"
            docs = write_announcement(sample_announcement_context(case_key=key, target_name=name), folder)
            docs += write_checklist(sample_disposal_context(case_key=key, target_name=name), folder)
            files += len(docs)
            size += sum(d.size_bytes for d in docs)
        seconds = time.perf_counter() - started
    return {
        "cases": cases, "seconds": round(seconds, 2), "per_case_ms": round(1000 * seconds / max(cases, 1), 1),
        "files": files, "bytes": size,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fingertip_dev.bench.documents", description=__doc__)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--out", type=Path, help="keep the files in this folder")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args(argv)
    result = run(args.cases, args.out)
    if not args.json:
        print(f"{result['cases']} cases: {result['seconds']} s ({result['per_case_ms']} ms/case), "
              f"{result['files']} files, peak RSS {result['peak_rss_mb']} MB", file=sys.stderr)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
