"""The sample generator: determinism, valid identifiers, planted truths, clean-by-construction, inventory files."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from fingertip import reference
from fingertip.identifiers import credit_code_problem, filing_number_problem, is_government_credit_code
from fingertip.store.engine import create_store_engine
from fingertip.store.schema import metadata
from fingertip_dev.sample import ALL_LABELS, SOURCE_PREFIX, CountingSink, Generator, SampleConfig
from fingertip_dev.sample import __main__ as cli
from fingertip_dev.sample.generator import GENERATED_TABLES
from fingertip_dev.sample.inventory import INVALID_KINDS
from fingertip_dev.sample.load import SampleAlreadyLoaded, generate_into_store
from fingertip_dev.sample.names import FORCED_FEATURES, FORCED_PHRASES, name_core

N = 2000
SEED = 11
AS_OF = dt.date(2025, 4, 30)
AS_OF_END = dt.datetime.combine(AS_OF, dt.time(23, 59, 59))


@dataclass
class Sample:
    url: str
    out: Path
    summary: dict
    tables: dict[str, list[dict]]
    gt: list[dict]
    gt_summary: dict


def _read_tables(url: str) -> dict[str, list[dict]]:
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: [dict(r) for r in conn.execute(
                    sa.select(metadata.tables[name]).order_by(metadata.tables[name].c.id)).mappings()]
                for name in GENERATED_TABLES
            }
    finally:
        engine.dispose()


def _generate(url: str, out: Path, seed: int = SEED) -> Sample:
    summary = generate_into_store(url, N, seed, AS_OF, out)
    gt = [json.loads(line) for line in (out / "ground_truth.jsonl").read_text(encoding="utf-8").splitlines()]
    gt_summary = json.loads((out / "ground_truth_summary.json").read_text(encoding="utf-8"))
    return Sample(url, out, summary, _read_tables(url), gt, gt_summary)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Sample:
    base = tmp_path_factory.mktemp("sample")
    return _generate(f"sqlite:///{base / 'store.db'}", base / "out")


@pytest.fixture(scope="module")
def idx(sample):
    """Lookups over the generated rows."""
    t = sample.tables
    sponsors = {r["id"]: r for r in t["sponsors"]}
    apps = {r["app_key"]: r for r in t["apps"]}
    app_by_id = {r["id"]: r for r in t["apps"]}
    listings = defaultdict(list)
    for r in t["store_listings"]:
        listings[r["app_id"]].append(r)
    snapshots = defaultdict(list)
    for r in t["listing_snapshots"]:
        snapshots[r["listing_id"]].append(r)
    filings = defaultdict(list)
    for r in t["filings"]:
        filings[r["app_id"]].append(r)
    accounts = {r["account_key"]: r for r in t["accounts"]}
    activity = defaultdict(list)
    for r in t["account_activity"]:
        activity[r["account_id"]].append(r)
    groups = {r["group_key"]: r for r in t["work_groups"]}
    gt = {(g["entity_type"], g["key"]): g for g in sample.gt}
    return dict(sponsors=sponsors, apps=apps, app_by_id=app_by_id, listings=listings, snapshots=snapshots,
                filings=filings, accounts=accounts, activity=activity, groups=groups, gt=gt)


def _labelled(sample, entity_type):
    return [g for g in sample.gt if g["entity_type"] == entity_type]


# --------------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------------

def test_same_seed_same_manifest_and_tables(sample, tmp_path):
    again = _generate(f"sqlite:///{tmp_path / 'again.db'}", tmp_path / "out")
    first = (sample.out / "ground_truth.jsonl").read_bytes()
    assert (again.out / "ground_truth.jsonl").read_bytes() == first
    assert again.gt_summary == sample.gt_summary
    assert again.tables == sample.tables
    for meta in sample.gt_summary["inventory_files"]:  # XLSX too: fixed zip timestamps
        name = meta["file"]
        assert (again.out / "inventory" / name).read_bytes() == (sample.out / "inventory" / name).read_bytes()


def test_different_seed_differs(sample, tmp_path):
    out = tmp_path / "other"
    result = Generator(SampleConfig(entities=N, seed=SEED + 1, as_of=AS_OF, out_dir=out)).run(CountingSink())
    assert result.manifest_sha256 != sample.gt_summary["manifest_sha256"]


def test_independent_of_hash_seed(sample, tmp_path):
    """Generation never depends on set/dict hashing of strings (PYTHONHASHSEED)."""
    code = (
        "import datetime as dt, pathlib, sys\n"
        "from fingertip_dev.sample import Generator, SampleConfig, CountingSink\n"
        f"r = Generator(SampleConfig(entities={N}, seed={SEED}, as_of=dt.date.fromisoformat('{AS_OF}'), "
        "out_dir=pathlib.Path(sys.argv[1]))).run(CountingSink())\n"
        "print(r.manifest_sha256)\n"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    plugins = str(Path(__file__).resolve().parents[2] / "plugins")
    env["PYTHONPATH"] = plugins + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "h")], env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    assert out == sample.gt_summary["manifest_sha256"]
    assert out == hashlib.sha256((sample.out / "ground_truth.jsonl").read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------
# Shape and identifiers
# --------------------------------------------------------------------------------------------

def test_population_shape(sample):
    rows = sample.summary["rows"]
    entities = rows["apps"] + rows["accounts"] + rows["work_groups"]
    orphans = sum(1 for g in sample.gt if g["entity_type"] == "listing")
    assert entities + orphans == N
    assert 0.20 <= rows["apps"] / N <= 0.30
    assert 0.48 <= rows["accounts"] / N <= 0.60
    assert 0.15 <= rows["work_groups"] / N <= 0.27
    assert 200 <= rows["sponsors"] <= 300
    kinds = Counter(a["kind"] for a in sample.tables["apps"])
    assert min(kinds["mini_program"], kinds["app"]) > 2 * kinds["quick_app"] > 0
    levels = Counter(s["level"] for s in sample.tables["sponsors"])
    assert levels["county"] > levels["prefectural"] > levels["provincial"] > 0 and levels["township"] > 0
    assert sample.summary["total_rows"] == sum(len(v) for v in sample.tables.values())
    assert all(r["source"].startswith(SOURCE_PREFIX) for rows_ in sample.tables.values() for r in rows_)


def test_credit_codes_valid(sample):
    for s in sample.tables["sponsors"]:
        assert credit_code_problem(s["credit_code"]) is None, s
        assert is_government_credit_code(s["credit_code"])
        assert s["credit_code"][2:8] == s["division_code"]
        assert {"11": "机关", "12": "事业单位", "13": "群团组织"}[s["credit_code"][:2]] == s["nature"]
    for f in sample.tables["filings"]:
        assert credit_code_problem(f["sponsor_credit_code"]) is None, f
    assert len({s["credit_code"] for s in sample.tables["sponsors"]}) == len(sample.tables["sponsors"])


def test_filing_numbers_valid_and_consistent(sample, idx):
    for f in sample.tables["filings"]:
        app = idx["app_by_id"][f["app_id"]]
        assert f["service_type"] == app["kind"] and f["service_name"] == app["name"]
        assert filing_number_problem(f["service_licence"], app["kind"], expected_province=app["division_code"]) is None
        assert f["service_licence"].startswith(f["main_licence"] + "-")
        assert f["filing_kind"] == "icp_app"
    assert len({f["service_licence"] for f in sample.tables["filings"]}) == len(sample.tables["filings"])


def test_division_codes_in_snapshot(sample):
    for table in ("sponsors", "apps", "accounts", "work_groups"):
        for r in sample.tables[table]:
            assert reference.division_exists(r["division_code"]), r
    for g in sample.gt:
        if "division_code" in g:
            assert reference.division_exists(g["division_code"])


def test_store_ids(sample):
    apps = sample.tables["apps"]
    tracks = [a["apple_track_id"] for a in apps if a["apple_track_id"] is not None]
    assert len(set(tracks)) == len(tracks) and all(1_000_000_000 <= t < 2_000_000_000 for t in tracks)
    for a in apps:
        if a["package_name"]:
            assert a["package_name"].isascii() and a["package_name"].startswith("cn.gov."), a["package_name"]
        if a["kind"] == "mini_program":
            assert a["host_platform"] and a["mini_program_id"] and a["package_name"] is None
        if a["kind"] == "app":
            assert a["bundle_id"] and a["apple_track_id"]
    keys = [(r["store"], r["store_app_id"]) for r in sample.tables["store_listings"]]
    assert len(set(keys)) == len(keys)


def test_activity_window_and_rolling_counts(sample, idx):
    days = [AS_OF - dt.timedelta(days=29 - i) for i in range(30)]
    assert len(sample.tables["account_activity"]) == 30 * len(sample.tables["accounts"])
    for account in sample.tables["accounts"]:
        rows = idx["activity"][account["id"]]
        assert [r["activity_date"] for r in rows] == days
        previous = None
        for r in rows:
            day, last = r["activity_date"], r["last_post_at"]
            assert 0 <= r["posts_7d"] <= r["posts_14d"] <= r["posts_30d"]
            for window, count in ((7, r["posts_7d"]), (14, r["posts_14d"]), (30, r["posts_30d"])):
                start = day - dt.timedelta(days=window - 1)
                if count:
                    assert last is not None and start <= last.date() <= day
                else:
                    assert last is None or last.date() < start
            if previous is not None:
                assert last is not None and last >= previous
            previous = last
            assert r["interaction_channel"] == account["has_interaction_channel"]
            assert (r["unanswered_messages"] == 0) == (r["oldest_unanswered_days"] is None)


# --------------------------------------------------------------------------------------------
# Planted truths
# --------------------------------------------------------------------------------------------

def test_every_label_planted_and_spread(sample):
    counts = Counter(label for g in sample.gt for label in g["labels"])
    assert set(counts) <= set(ALL_LABELS)
    for label in ALL_LABELS:
        assert counts[label] >= 1, label
        assert sample.gt_summary["labels"][label] == counts[label]
    provinces = {g["division_code"][:2] for g in sample.gt if g["labels"] and "division_code" in g}
    assert len(provinces) >= 8
    entities = [g for g in sample.gt if g["entity_type"] != "inventory_row"]
    share = sum(1 for g in entities if g["labels"]) / len(entities)
    assert 0.08 <= share <= 0.16, share


def test_ground_truth_covers_every_entity(sample, idx):
    gt = idx["gt"]
    assert {k for t, k in gt if t == "app"} == set(idx["apps"])
    assert {k for t, k in gt if t == "account"} == set(idx["accounts"])
    assert {k for t, k in gt if t == "work_group"} == set(idx["groups"])
    orphans = {f"{r['store']}:{r['store_app_id']}" for r in sample.tables["store_listings"] if r["app_id"] is None}
    assert {k for t, k in gt if t == "listing"} == orphans


def _last_post_days(rows):
    last = rows[-1]["last_post_at"]
    return None if last is None else (AS_OF - last.date()).days


def test_accounts_clean_and_planted(sample, idx):
    by_unit_platform = Counter((a["sponsor_id"], a["platform"]) for a in sample.tables["accounts"])
    cores = defaultdict(set)
    for a in sample.tables["accounts"]:
        cores[(a["division_code"], a["platform"], name_core(a["name"], a["division_code"]))].add(a["sponsor_id"])
    for g in _labelled(sample, "account"):
        a = idx["accounts"][g["key"]]
        rows = idx["activity"][a["id"]]
        today = rows[-1]
        days = _last_post_days(rows)
        labels = set(g["labels"])
        dup = by_unit_platform[(a["sponsor_id"], a["platform"])] > 1
        near = len(cores[(a["division_code"], a["platform"], name_core(a["name"], a["division_code"]))]) > 1
        assert dup == ("duplicate_account_platform" in labels), g
        assert near == ("near_duplicate_account" in labels), g
        if "stale_14d" in labels:
            assert 15 <= days <= 59 and today["posts_14d"] == 0
        elif "stale_60d" in labels:
            assert 60 <= days <= 364 and today["posts_30d"] == 0
        elif "zombie_account" in labels:
            assert (days is None and today["followers"] == 0) or (days >= 365 and today["followers"] < 50)
        else:  # posting regularly
            assert days is not None and days <= 13 and today["posts_14d"] > 0 and today["followers"] > 0
        if "no_interaction_channel" in labels:
            assert a["has_interaction_channel"] is False and not any(r["interaction_channel"] for r in rows)
        else:
            assert a["has_interaction_channel"] is True and a["has_complaint_channel"] is True
        oldest = today["oldest_unanswered_days"]
        if "unanswered_90d" in labels:  # the rule fires on more than 90 days (超过90天): 90 itself is clean
            assert oldest > 90 and today["unanswered_messages"] > 0
        else:
            assert oldest is None or oldest <= 90


def test_apps_clean_and_planted(sample, idx):
    sponsors = idx["sponsors"]
    cores = defaultdict(list)
    for a in sample.tables["apps"]:
        cores[(a["division_code"], name_core(a["name"], a["division_code"]))].append(a["app_key"])
    for g in _labelled(sample, "app"):
        a = idx["apps"][g["key"]]
        labels = set(g["labels"])
        sponsor = sponsors[a["sponsor_id"]]
        filings = idx["filings"][a["id"]]
        listings = idx["listings"][a["id"]]
        forced = [f for f in a["declared_features"] if f in FORCED_FEATURES]
        approved = {x["feature"] for x in (a["approved_features"] or [])}
        near = len(cores[(a["division_code"], name_core(a["name"], a["division_code"]))]) > 1
        assert near == ("near_duplicate_app" in labels), g
        assert (sponsor["level"] == "township") == ("below_county_sponsor" in labels)
        assert (a["has_complaint_channel"] is False) == ("no_complaint_channel" in labels)
        assert bool(set(forced) - approved) == ("forced_feature" in labels)
        phrase = any(p in (a["description"] or "") for p in FORCED_PHRASES)
        assert phrase == ("forced_feature_in_description" in labels)
        if "missing_filing" in labels:
            assert filings == []
        else:
            (f,) = filings
            mismatch = f["sponsor_credit_code"] != sponsor["credit_code"] or f["sponsor_name"] != sponsor["name"]
            assert mismatch == ("filing_holder_mismatch" in labels)
            assert f["access_restricted"] == ("filing_access_restricted" in labels)
            assert (f["status"] == "cancelled") == ("filing_cancelled_still_listed" in labels)
            if f["status"] == "cancelled":
                assert f["cancelled_at"] is not None and listings and all(x["available"] for x in listings)
        if a["kind"] != "app":
            assert listings == []
            continue
        stores = {x["store"] for x in listings}
        assert "apple" in stores and 2 <= len(stores) <= 4
        for x in listings:
            snaps = sorted(idx["snapshots"][x["id"]], key=lambda s: s["snapshot_date"])
            snap = snaps[-1]
            assert snap["snapshot_date"] == AS_OF and snap["present"] == x["available"]
            if "zombie_app" in labels and x["available"]:
                # rating history for the growth rule: the same count 60 days before
                (before, _) = snaps
                assert before["snapshot_date"] == AS_OF - dt.timedelta(days=60)
                assert before["present"] and before["rating_count"] == snap["rating_count"]
            else:
                assert len(snaps) == 1
            assert x["description"] == a["description"]
        age = max((AS_OF_END - x["version_released_at"]).days for x in listings)
        if "delisted_app" in labels:
            assert all(not x["available"] and x["consecutive_absences"] >= 2 and x["delisted_at"] for x in listings)
        else:
            assert all(x["available"] and x["consecutive_absences"] == 0 and x["delisted_at"] is None
                       for x in listings)
        if "zombie_app" in labels:
            assert age >= 365 and all(x["rating_count"] <= 30 for x in listings)
            assert all((x["downloads"] or 0) <= 2000 for x in listings)
        else:
            assert age < 365
        if "shell_app" in labels:
            assert a["user_scale"] <= 200 and all(x["rating_count"] <= 2 and (x["downloads"] or 0) <= 300
                                                  for x in listings)
        elif "zombie_app" not in labels:
            assert all(x["rating_count"] >= 100 for x in listings)
            assert all(x["downloads"] >= 10_000 for x in listings if x["store"] != "apple")
        if not labels:
            assert len(a["description"]) > 30


def test_orphan_listings(sample):
    orphans = [r for r in sample.tables["store_listings"] if r["app_id"] is None]
    assert orphans and all(r["available"] for r in orphans)


def test_work_groups(sample, idx):
    for g in _labelled(sample, "work_group"):
        w = idx["groups"][g["key"]]
        open_after_task = (w["is_temporary"] and w["task_ends_on"] < AS_OF and w["status"] == "active")
        assert open_after_task == ("temporary_group_open" in g["labels"]), g
        if w["status"] == "closed":
            assert w["closed_on"] <= AS_OF and w["is_temporary"]
        if w["is_temporary"]:
            assert w["task_ends_on"] is not None
    assert any(w["is_temporary"] and w["task_ends_on"] >= AS_OF for w in sample.tables["work_groups"])


# --------------------------------------------------------------------------------------------
# Inventory spreadsheets
# --------------------------------------------------------------------------------------------

def _parse_date(value):
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value)
    if "年" in text:
        y, rest = text.split("年")
        m, rest = rest.split("月")
        return dt.date(int(y), int(m), int(rest.rstrip("日")))
    return dt.date(*map(int, text.replace("/", "-").split("-")))


def _read_inventory(path: Path, meta: dict) -> tuple[list, list[list]]:
    if meta["format"] == "xlsx":
        from openpyxl import load_workbook

        ws = load_workbook(path, read_only=True).active
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        return rows[meta["header_row"] - 1], rows[meta["header_row"]:]
    data = path.read_bytes()
    if meta["encoding"] == "utf-8-sig":
        assert data.startswith(b"\xef\xbb\xbf")
    elif meta["encoding"] == "utf-8":
        assert not data.startswith(b"\xef\xbb\xbf")
    else:
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(data.decode(meta["encoding"]), newline="")))
    return rows[0], rows[1:]


def test_inventory_files(sample):
    metas = sample.gt_summary["inventory_files"]
    assert {m["encoding"] for m in metas} == {"xlsx", "utf-8", "utf-8-sig", "gbk"}
    assert {m["entity_type"] for m in metas} == {"app", "account", "work_group"}
    invalid = defaultdict(dict)
    for g in sample.gt:
        if g["entity_type"] == "inventory_row":
            invalid[g["file"]][g["row"]] = g
    total = 0
    for meta in metas:
        header, rows = _read_inventory(sample.out / "inventory" / meta["file"], meta)
        total += len(rows)
        assert header[0] == "序号" and "统一社会信用代码" in header and "行政区划代码" in header
        assert len(rows) == meta["data_rows"] > 0
        col = {h: i for i, h in enumerate(header)}
        date_col = {"app": "上线时间", "account": "开通时间", "work_group": "建群时间"}[meta["entity_type"]]
        bad = invalid[meta["file"]]
        assert len(bad) == meta["invalid_rows"]
        kinds = {g["kind"] for g in bad.values()}
        expected = set(INVALID_KINDS) if meta["entity_type"] == "app" else set(INVALID_KINDS) - {
            "malformed_filing_number", "filing_suffix_mismatch"}
        assert kinds == expected, meta["file"]
        for n, row in enumerate(rows, start=1):
            sheet_row = n + meta["header_row"]
            assert int(row[0]) == n
            code, division, sponsor = row[col["统一社会信用代码"]], row[col["行政区划代码"]], row[col["主办单位"]]
            filing = row[col["备案号"]] if "备案号" in col else None
            kind = row[col["应用类型"]] if "应用类型" in col else None
            service_type = {"原生应用": "app", "小程序": "mini_program", "快应用": "quick_app"}.get(kind)
            day = _parse_date(row[col[date_col]])
            g = bad.get(sheet_row)
            if g is None:
                assert credit_code_problem(code) is None and reference.division_exists(division) and sponsor
                assert day <= AS_OF
                if filing:
                    assert filing_number_problem(filing, service_type) is None
                continue
            column_value = row[col[g["column"]]] if g["column"] else None
            if g["kind"] == "bad_credit_code_check":
                assert credit_code_problem(column_value) is not None
            elif g["kind"] == "unknown_division_code":
                assert not reference.division_exists(column_value) and len(column_value) == 6
            elif g["kind"] == "malformed_filing_number":
                assert filing_number_problem(column_value) is not None
            elif g["kind"] == "filing_suffix_mismatch":
                assert filing_number_problem(column_value) is None
                assert filing_number_problem(column_value, service_type) is not None
            elif g["kind"] == "future_date":
                assert _parse_date(column_value) > AS_OF
            elif g["kind"] == "missing_sponsor":
                assert column_value in ("", None)
            elif g["kind"] == "duplicate_row":
                original = rows[g["duplicate_of_row"] - meta["header_row"] - 1]
                assert original[1:] == row[1:] and g["duplicate_of_row"] < sheet_row
    assert 200 <= total <= 5000


# --------------------------------------------------------------------------------------------
# Command line, reloading, PostgreSQL
# --------------------------------------------------------------------------------------------

def test_cli_refuses_then_replaces(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    args = ["generate", "--entities", "300", "--seed", "5", "--as-of", "2025-04-30", "--store-url", url,
            "--out", str(tmp_path / "out")]
    assert cli.main(args) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first["rows"]["account_activity"] == 30 * first["rows"]["accounts"] and first["rows_per_s"] > 0
    assert cli.main(args) == 2
    assert "--replace" in capsys.readouterr().err
    assert cli.main(args + ["--replace"]) == 0
    second = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert second["rows"] == first["rows"] and second["replaced_rows"] == first["total_rows"]
    tables = _read_tables(url)
    assert {k: len(v) for k, v in tables.items()} == first["rows"]
    assert tables["sponsors"][0]["id"] == 1  # ids restart after a replace
    with pytest.raises(SampleAlreadyLoaded):
        generate_into_store(url, 300, 5, AS_OF, None)


@pytest.mark.pg
def test_postgresql_load_reads_back_like_sqlite(sample, pg_url, tmp_path):
    on_pg = _generate(pg_url, tmp_path / "out")
    assert (on_pg.out / "ground_truth.jsonl").read_bytes() == (sample.out / "ground_truth.jsonl").read_bytes()
    assert on_pg.tables == sample.tables
    engine = create_store_engine(pg_url)
    try:
        with engine.begin() as conn:  # sequences moved past the loaded ids
            nxt = conn.execute(sa.text("SELECT nextval(pg_get_serial_sequence('sponsors', 'id'))")).scalar_one()
    finally:
        engine.dispose()
    assert nxt == len(sample.tables["sponsors"]) + 1


@pytest.mark.parametrize("label,rule_id,fact", [
    ("unanswered_90d", "account.unanswered_90d", "oldest_unanswered_days"),
    ("stale_14d", "account.stale_14d", "days_since_last_post"),
])
def test_planted_activity_is_on_the_firing_side_of_the_shipped_rule(label, rule_id, fact):
    """3,000 planted profiles per label (fixed seed): the value on ``as_of`` makes the shipped rule fire at
    its own threshold. The boundary comes from the policy, not the generator: the unanswered label once
    drew 90 days, which "超过90天" does not cover (6 of 23,873 planted entities missed at 200,000)."""
    from fingertip.rules import load_policy

    rule = load_policy().rules[rule_id]
    predicate = rule.predicate(rule.thresholds)
    gen = Generator(SampleConfig(entities=1, seed=SEED, as_of=AS_OF))
    values = []
    for _ in range(3000):
        profile, truth = gen._planted_profile(label)
        last_post, _p7, p14, _p30, unanswered, oldest = profile[-1]
        if fact == "oldest_unanswered_days":
            facts = {"unanswered_messages": unanswered, "oldest_unanswered_days": oldest}
            values.append(oldest)
        else:
            days = truth["days_since_last_post"]
            facts = {"days_since_last_post": days, "never_posted": False, "posts_14d": p14}
            values.append(days)
        assert predicate(facts), (label, facts)
    threshold = rule.thresholds["days"]
    assert min(values) == threshold + 1  # the planted range starts right at the boundary, on the firing side
