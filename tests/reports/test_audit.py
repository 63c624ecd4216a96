"""Ad-hoc audits: params validation before anything runs, deterministic sampling, the report."""

from __future__ import annotations

import datetime as dt
import json
from email import policy
from email.parser import BytesParser

import pytest
import sqlalchemy as sa
from tests.reports.conftest import HYPERLINK, SCRIPT, file_path, pdf_text, squash

from fingertip.reports.audit import AuditParamsError, AuditRequest, run_detection, sample_tier_rows, validate_request
from fingertip.reports.tasks import produce_audit, send_report, validate_audit
from fingertip.store import schema

AS_OF = dt.date(2026, 9, 30)


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory):
    """A generated sample population (SQLite) with detection persisted for 30 September 2026."""
    from fingertip.rules import detect
    from fingertip.store.engine import create_store_engine
    from fingertip_dev.sample.load import generate_into_store

    url = f"sqlite:///{tmp_path_factory.mktemp('audit') / 'store.db'}"
    generate_into_store(url, 2000, 11, AS_OF, None, inventory=False)
    engine = create_store_engine(url)
    detect(engine, check_date=AS_OF, persist=True)
    yield engine
    engine.dispose()


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_every_problem_reported_before_anything_runs(dataset_engine, outputs):
    params = {
        "recipients": ["ok@cac.example.gov.cn", "not-an-address", "a@b@c.cn"],
        "provinces": ["990000", "440300"],
        "divisions": ["449999"],
        "sponsor_credit_codes": ["91440300MA5FXXXX1Y", "11440000ABCD12345X"],
        "app_keys": ["A1", "NO-SUCH-APP"],
        "account_keys": ["C9"],
        "families": ["stale_account", "astrology"],
        "platforms": ["myspace"],
        "sample_rate": 1.5,
        "formats": ["docx", "exe"],
    }
    with pytest.raises(AuditParamsError) as err:
        validate_audit(dataset_engine, params)
    msg = str(err.value)
    assert "专项核查参数有误" in msg and "invalid audit parameters" in msg
    fields = [p[0] for p in err.value.problems]
    for expected in ("not-an-address", "a@b@c.cn", "990000", "440300", "449999", "91440300MA5FXXXX1Y",
                     "11440000ABCD12345X", "NO-SUCH-APP", "C9", "astrology", "myspace", "1.5", "exe"):
        assert expected in msg, expected
    assert fields.count("recipients") == 2 and fields.count("sponsor_credit_codes") == 2
    assert "ok@cac.example.gov.cn" not in msg and "'A1'" not in msg
    # nothing ran: no audit run, no document, no mail
    assert _count(dataset_engine, schema.audit_runs) == 0
    assert _count(dataset_engine, schema.notifications) == 0
    assert not outputs.exists()


def test_valid_request_normalised(dataset_engine):
    from fingertip.identifiers import make_credit_code

    code = make_credit_code("11", "440305", "BCDE2345")
    req = AuditRequest.from_dict(validate_audit(dataset_engine, {
        "recipients": ["审计组 <Audit@CAC.example.gov.cn>"], "provinces": ["440000"], "divisions": ["440305"],
        "sponsor_credit_codes": [code], "app_keys": ["A2"], "sample_rate": 0.5}))
    assert req.recipients == ["Audit@cac.example.gov.cn"]
    assert req.sample_rate == 0.5 and isinstance(req.sample_seed, int)  # a seed is drawn and kept
    assert "广东省" in req.scope_zh() and code in req.scope_zh()
    assert f"随机种子 {req.sample_seed}" in req.sampling_zh() and "50%" in req.sampling_zh()
    with pytest.raises(AuditParamsError, match="未指定收件人"):
        validate_request(dataset_engine, {"provinces": ["440000"]}, default_recipients=[])


def test_sampling_is_deterministic(sample_store):
    base = {"recipients": ["a@cac.example.gov.cn"], "sample_rate": 0.3}
    r1 = run_detection(sample_store, AuditRequest.from_dict(validate_audit(sample_store, {**base, "sample_seed": 42})))
    r2 = run_detection(sample_store, AuditRequest.from_dict(validate_audit(sample_store, {**base, "sample_seed": 42})))
    r3 = run_detection(sample_store, AuditRequest.from_dict(validate_audit(sample_store, {**base, "sample_seed": 43})))
    assert r1.sampled_keys and r1.sampled_keys == r2.sampled_keys
    assert sorted(f.id for f in r1.findings) == sorted(f.id for f in r2.findings)
    assert r3.sampled_keys != r1.sampled_keys
    full = run_detection(sample_store, AuditRequest.from_dict(validate_audit(sample_store, {"recipients": base["recipients"]})))
    total = sum(full.checked.values())
    sampled = sum(r1.checked.values())
    # weighted by risk tier (high 4, medium 2, low 1): at rate 0.3 a high-tier record is always drawn
    # (1.2 capped at 1), medium with 0.6, low and untiered (work groups, listings) with 0.3; sponsors all
    probability = {"high": 1.0, "medium": 0.6, "low": 0.3, "untiered": 0.3}
    expected = full.checked["sponsor"] + sum(n * probability[tier] for (_, tier), (n, _) in r1.sample_by_tier.items())
    assert abs(sampled - expected) < 0.05 * total
    high = [(n, k) for (_, tier), (n, k) in r1.sample_by_tier.items() if tier == "high"]
    assert high and all(n == k for n, k in high)  # every high-tier record in scope is checked
    rows = sample_tier_rows(r1)
    assert {(r["target_type"], r["tier"]): (r["weight"], r["probability"]) for r in rows
            if r["target_type"] == "app"} == {("app", "high"): (4.0, 1.0), ("app", "medium"): (2.0, 0.6),
                                              ("app", "low"): (1.0, 0.3)}
    assert sum(r["sampled"] for r in rows) == len(r1.sampled_keys)
    req = AuditRequest.from_dict(validate_audit(sample_store, {**base, "sample_seed": 42}))
    words = req.sampling_zh(r1.sample_weights)
    assert "高风险×4、中风险×2、低风险×1" in words and "随机种子 42" in words and "Fingertip默认值" in words
    assert {f.id for f in r1.findings} <= {f.id for f in full.findings}
    with sample_store.connect() as conn:  # persist=False: the store's findings untouched
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.audit_runs)).scalar_one() == 0


def test_audit_report_and_mail(sample_store, outputs, smtp_server):
    from fingertip.rules import detect

    # give two flagged apps of one province hostile names
    flagged = [f for f in detect(sample_store, check_date=AS_OF, persist=False).findings if f.target_type == "app"]
    by_prov: dict[str, list[str]] = {}
    for f in flagged:
        keys_ = by_prov.setdefault(f.division_code[:2] + "0000", [])
        if f.target_key not in keys_:
            keys_.append(f.target_key)
    province, keys = max(by_prov.items(), key=lambda kv: len(kv[1]))
    keys = keys[:2]
    assert len(keys) == 2
    with sample_store.begin() as conn:
        for key, name in zip(keys, (SCRIPT, HYPERLINK), strict=True):
            conn.execute(schema.apps.update().where(schema.apps.c.app_key == key).values(name=name))
    before = _count(sample_store, schema.findings)
    request = validate_audit(sample_store, {"provinces": [province], "check_date": AS_OF.isoformat(),
                                            "recipients": ["audit@cac.example.gov.cn"]})
    built = produce_audit(sample_store, request, run_key="adhoc_audit:test-1")
    assert _count(sample_store, schema.findings) == before
    files = {f["doc_format"]: file_path(f["url"]) for f in built["files"]}
    assert set(files) == {"xlsx", "docx", "pdf", "json", "md", "html"}
    assert files["pdf"].parent == outputs / "audits" / "adhoc_audit_test-1"
    doc = json.loads(files["json"].read_text(encoding="utf-8"))
    assert doc["report"]["kind"] == "adhoc" and doc["report"]["scope"]["provinces"] == [province]
    assert doc["report"]["sampling"] == {"rate": None, "seed": None}
    names = {k["target_name"] for k in doc["figures"]["key_findings"]}
    assert {SCRIPT, HYPERLINK} <= names
    assert all(k["division_code"].startswith(province[:2]) for k in doc["figures"]["key_findings"] if k["division_code"])
    ptext = squash(pdf_text(files["pdf"]))
    assert "全量核查" in ptext and squash(SCRIPT) in ptext
    import openpyxl

    wb = openpyxl.load_workbook(files["xlsx"])
    cells = [c for row in wb["问题清单"].iter_rows() for c in row if c.value == HYPERLINK]
    assert cells and all(c.data_type == "s" for c in cells)
    with sample_store.connect() as conn:
        run = conn.execute(sa.select(schema.audit_runs).where(schema.audit_runs.c.run_key == "adhoc_audit:test-1")).one()
    assert run.kind == "adhoc" and run.status == "succeeded" and run.summary["findings"] == len(doc["figures"]["key_findings"])

    send_report(sample_store, built, smtp_conn_id="smtp_test")
    send_report(sample_store, built, smtp_conn_id="smtp_test")
    assert len(smtp_server.messages) == 1
    msg = BytesParser(policy=policy.default).parsebytes(smtp_server.messages[0]["data"])
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert SCRIPT not in html and "&lt;script&gt;" in html and "全量核查" in html


def test_sampled_audit_states_rate_and_seed(sample_store, outputs):
    request = validate_audit(sample_store, {"sample_rate": 0.25, "sample_seed": 2026, "families": ["stale_account"],
                                            "check_date": AS_OF.isoformat(), "formats": ["docx", "json"],
                                            "recipients": ["audit@cac.example.gov.cn"]})
    built = produce_audit(sample_store, request, run_key="adhoc_audit:test-2")
    files = {f["doc_format"]: file_path(f["url"]) for f in built["files"]}
    assert set(files) == {"docx", "json"}
    import docx

    text = "\n".join(p.text for p in docx.Document(str(files["docx"])).paragraphs)
    assert "抽样比例 25%" in text and "随机种子 2026" in text
    assert "按风险分级加权抽取（高风险×4、中风险×2、低风险×1" in text and "分级抽样情况" in text
    doc = json.loads(files["json"].read_text(encoding="utf-8"))
    assert doc["report"]["sampling"] == {"rate": 0.25, "seed": 2026,
                                         "weights": {"high": 4.0, "medium": 2.0, "low": 1.0}}
    by_tier = doc["figures"]["sampling"]["by_tier"]
    assert {(r["tier"], r["probability"]) for r in by_tier} <= {("high", 1.0), ("medium", 0.5), ("low", 0.25),
                                                                ("untiered", 0.25)}
    assert sum(r["sampled"] for r in by_tier) == doc["figures"]["sampling"]["sampled"]
    assert {r["rule_id"] for r in doc["figures"]["findings"]["by_rule"]} <= {
        rid for rid, rule in __import__("fingertip.rules", fromlist=["load_policy"]).load_policy().rules.items()
        if rule.family == "stale_account"}
    with sample_store.connect() as conn:
        run = conn.execute(sa.select(schema.audit_runs).where(schema.audit_runs.c.run_key == "adhoc_audit:test-2")).one()
    assert (run.sample_rate, run.sample_seed) == (0.25, 2026)
    assert run.summary["sampling"]["weights"] == {"high": 4.0, "medium": 2.0, "low": 1.0}
