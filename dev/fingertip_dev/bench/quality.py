"""Benchmark: validating a large staged inventory batch with every inventory suite.

``python -m fingertip_dev.bench.quality --rows 200000 --json`` stages one batch of ``rows`` rows (apps 60 %,
accounts 25 %, work groups 15 %, about 2 % of them spoiled) in a scratch SQLite store, then measures:

* ``seconds`` — ``validate_batch`` end to end (load, normalise, GX, quarantine, promotion, report);
* ``gx_seconds`` — the GX validation alone (all suites); ``pandas_seconds`` — the same checks as plain
  vectorised pandas on the same normalised frames, in the same run (cold caches for both);
  ``gx_to_pandas_ratio`` = gx_seconds / pandas_seconds;
* ``peak_rss_mb`` — peak resident memory of the process.

Targets: ≤ 30 s, ≤ 1.5 GB, ratio ≤ 3. The last stdout line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"seconds": 30.0, "peak_rss_mb": 1536.0, "gx_to_pandas_ratio": 3.0}


def _rows(n: int):
    from fingertip.identifiers import make_credit_code, make_filing_number

    divisions = ("441700", "440100", "110000", "320100", "510100", "330100", "420100", "610100")
    sponsors = [make_credit_code("11", divisions[i % len(divisions)], f"{i:08d}") for i in range(1, 2001)]
    n_app, n_acc = int(n * 0.6), int(n * 0.25)
    for i in range(n):
        sp = i % len(sponsors)
        division = divisions[sp % len(divisions)]
        common = {"sponsor_name": f"第{sp}号主办单位", "sponsor_credit_code": sponsors[sp], "division_code": division}
        if i % 50 == 7:
            common["sponsor_credit_code"] = sponsors[sp][:17] + ("0" if sponsors[sp][17] != "0" else "1")
        if i % 50 == 19:
            common["division_code"] = "449999"
        if i < n_app:
            kind = ("app", "mini_program")[i % 2]
            yield "app", {**common, "name": f"政务应用{i}", "kind": ("原生应用", "微信小程序")[i % 2],
                          "filing_number": make_filing_number(division, 2024, i % 999_999, 1, kind),
                          "launched_on": f"2023/{1 + i % 12}/{1 + i % 28}", "has_complaint_channel": "有"}
        elif i < n_app + n_acc:
            yield "account", {**common, "name": f"政务发布{i}", "platform": ("微信公众号", "微博", "抖音")[i % 3],
                              "platform_account_id": f"id{i:09d}", "opened_on": "45123", "has_interaction_channel": "有"}
        else:
            yield "work_group", {**common, "name": f"工作群{i}", "platform": ("钉钉", "企业微信")[i % 2],
                                 "is_temporary": "否", "opened_on": "2024-01-05", "closed_on": None,
                                 "member_count": str(10 + i % 90)}


def stage(engine, n: int) -> int:
    import sqlalchemy as sa

    from fingertip.store import schema

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        batch_id = conn.execute(sa.insert(schema.import_batches).values(
            file_name=f"bench_{n}.xlsx", checksum=hashlib.sha256(str(n).encode() + str(now).encode()).hexdigest(),
            received_at=now, status="staged", row_count=n).returning(schema.import_batches.c.id)).scalar_one()
        buf = []
        for i, (entity, data) in enumerate(_rows(n)):
            buf.append({"batch_id": batch_id, "sheet": entity, "row_number": i + 2, "entity_type": entity,
                        "data": data, "raw": dict(data), "request_fingerprint": hashlib.sha256(str(i).encode()).hexdigest()})
            if len(buf) >= 5000:
                conn.execute(sa.insert(schema.inventory_staging), buf)
                buf = []
        if buf:
            conn.execute(sa.insert(schema.inventory_staging), buf)
    return batch_id


def pandas_checks(frames, today: str) -> dict[str, int]:
    """The suites' checks written as plain vectorised pandas over the same normalised frames."""
    import pandas as pd

    from fingertip.quality import expectations

    out = {}
    for fr in frames:
        df = fr.df
        bad = pd.Series(False, index=df.index)
        code = df["sponsor_credit_code"]
        present = code.notna()
        bad |= ~present
        sc = code[present].astype(str)
        bad |= pd.Series(sc.str.match(expectations._MANGLED), index=sc.index).reindex(df.index, fill_value=False)
        bad |= (~expectations.map_unique(sc, expectations._uscc_ok)).reindex(df.index, fill_value=False)
        bad |= df["sponsor_name"].isna() | ~df["sponsor_name"].fillna("xx").str.len().between(2, 200)
        bad |= df["division_code"].isna() | ~df["division_code"].isin(expectations._division_codes())
        bad |= df["name"].isna() | (df["name"].fillna("").str.len() > 200)
        kd = {"app": "kind", "account": "platform", "work_group": "platform"}[fr.entity_type]
        bad |= df[kd].isna()
        for col in ("opened_on", "launched_on", "closed_on", "task_ends_on"):
            if col in df.columns:
                v = df[col].dropna().astype(str)
                iso = v.str.match(expectations._ISO_DATE)
                ok = iso & pd.to_datetime(v.where(iso), errors="coerce", format="%Y-%m-%d").notna()
                bad |= (~ok | (v > today)).reindex(df.index, fill_value=False)
        if fr.entity_type == "app":
            keys = list(zip(df["filing_number"].tolist(), df["kind"].tolist(), strict=True))
            verdict = {k: k[0] is None or expectations._filing_problem(k[0], k[1] if k[1] in ("app", "mini_program", "quick_app")
                                                           else None) is None for k in set(keys)}
            bad |= pd.Series([not verdict[k] for k in keys], index=df.index)
        bad |= df["_natural_key"].notna() & df["_natural_key"].duplicated(keep="first")
        # the remaining checks of the suites (in-set, regex, lengths, references, warnings, date order)
        warn = pd.Series(~sc.str[:2].isin(("11", "12", "13")) & expectations.map_unique(sc, expectations._uscc_ok))
        sponsors = set(df.loc[present & df["sponsor_name"].notna(), "sponsor_credit_code"])
        bad |= present & ~code.isin(sponsors)
        owners: dict = {}
        bad |= df["_natural_key"].map(owners.get).notna() & (df["_natural_key"].map(owners.get) != code)
        in_sets = {"kind": ("app", "mini_program", "quick_app"), "host_platform": ("wechat", "alipay", "baidu", "douyin"),
                   "has_complaint_channel": ("true", "false"), "has_interaction_channel": ("true", "false"),
                   "is_temporary": ("true", "false"), "sponsor_level": ("central", "provincial", "prefectural",
                                                                          "county", "township"),
                   "sponsor_nature": ("机关", "事业单位", "群团组织")}
        for col, allowed in in_sets.items():
            if col in df.columns:
                bad |= df[col].notna() & ~df[col].isin(allowed)
        if "platform" in df.columns:
            bad |= df["platform"].isna() | ~df["platform"].isin(
                ("wechat", "weibo", "douyin", "toutiao", "kuaishou", "bilibili", "wechat_channels", "xiaohongshu",
                 "wecom", "dingtalk", "qq", "zhengwuwei"))
        for col, rx in (("apple_track_id", r"^[1-9][0-9]{0,11}$"), ("user_scale", r"^[0-9]{1,12}$"),
                        ("member_count", r"^[0-9]{1,7}$")):
            if col in df.columns:
                v = df[col].dropna().astype(str)
                bad |= (~v.str.match(rx)).reindex(df.index, fill_value=False)
        if "apple_track_id" in df.columns:
            bad |= df["apple_track_id"].notna() & df["apple_track_id"].duplicated(keep="first")
        if "platform_account_id" in df.columns:
            bad |= df["platform_account_id"].isna() | (df["platform_account_id"].fillna("").str.len() > 100)
        if fr.entity_type == "work_group":
            for a, b in (("opened_on", "closed_on"), ("opened_on", "task_ends_on")):
                both = df[a].notna() & df[b].notna()
                bad |= both & (df[a].fillna("") > df[b].fillna(""))
        out[fr.entity_type + "_warnings"] = int(warn.sum())
        out[fr.entity_type] = int(bad.sum())
    return out


def run(rows: int, store_url: str | None = None) -> dict:
    from fingertip.inventory.headers import load_header_map
    from fingertip.quality import expectations, suites, validate
    from fingertip.store import migrate
    from fingertip.store.engine import create_store_engine

    tmp = tempfile.mkdtemp(prefix="fingertip-quality-bench-")
    os.environ.setdefault("FINGERTIP_OUTPUT_URL", Path(tmp, "out").as_uri())
    url = store_url or f"sqlite:///{tmp}/bench.db"
    migrate.upgrade(url)
    engine = create_store_engine(url)
    t = time.perf_counter()
    batch_id = stage(engine, rows)
    stage_s = time.perf_counter() - t
    suites.gx_context()  # GX import and context outside the timings

    # plain pandas over the same normalised frames, cold caches
    hm = load_header_map()
    with engine.connect() as conn:
        frames = validate._load(conn, batch_id, hm)
    today = dt.date.today().isoformat()
    expectations._uscc_ok.cache_clear()
    expectations._filing_problem.cache_clear()
    t = time.perf_counter()
    pandas_bad = pandas_checks(frames, today)
    pandas_s = time.perf_counter() - t
    del frames

    expectations._uscc_ok.cache_clear()
    expectations._filing_problem.cache_clear()
    gx_time = {"s": 0.0}
    original = suites.run_suite

    def timed(*a, **k):
        t0 = time.perf_counter()
        try:
            return original(*a, **k)
        finally:
            gx_time["s"] += time.perf_counter() - t0

    V_run = sys.modules["fingertip.quality.suites"]
    V_run.run_suite = timed
    try:
        t = time.perf_counter()
        verdict = validate.validate_batch(engine, batch_id, max_bad_share=0.1)
        total_s = time.perf_counter() - t
    finally:
        V_run.run_suite = original
    engine.dispose()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "rows": rows, "seconds": round(total_s, 2), "gx_seconds": round(gx_time["s"], 2),
        "pandas_seconds": round(pandas_s, 2),
        "gx_to_pandas_ratio": round(gx_time["s"] / pandas_s, 2) if pandas_s else None,
        "peak_rss_mb": round(rss_mb, 1), "stage_seconds": round(stage_s, 2),
        "steps": verdict.seconds, "status": verdict.status, "bad_rows": verdict.bad_rows,
        "pandas_bad_rows": sum(v for k, v in pandas_bad.items() if not k.endswith("_warnings")), "good_rows": verdict.good_rows,
        "targets": TARGETS,
    }
    result["within_targets"] = all(result[k] is not None and result[k] <= v for k, v in TARGETS.items())
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m fingertip_dev.bench.quality", description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--store-url", default=None, help="scratch store (default: a temporary SQLite file)")
    p.add_argument("--json", action="store_true", help="print only the JSON result")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result = run(args.rows, args.store_url)
    if not args.json:
        for k, v in result.items():
            print(f"{k:>20}: {v}", file=sys.stderr)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
