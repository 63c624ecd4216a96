"""The console's read side on SQLite and PostgreSQL: filters, sorts, paging and the overview figures."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from tests.console.seed import FINDINGS, fid, seed
from tests.store_templates import STORE_BACKENDS, migrated_store_template

from fingertip.console import queries
from fingertip.store.engine import create_store_engine


@pytest.fixture(scope="module", params=STORE_BACKENDS)
def conn(request, tmp_path_factory):
    for kind, base, _empty in migrated_store_template(request.param, tmp_path_factory):
        url = f"sqlite:///{base}" if kind == "sqlite" else base.url.render_as_string(hide_password=False)
        outputs = tmp_path_factory.mktemp("out")
        seed(url, outputs)
        engine = create_store_engine(url)
        with engine.connect() as connection:
            yield connection
        engine.dispose()


def test_filters_match_the_seeded_rows(conn):
    for params, expected in (
        ({}, len(FINDINGS)),
        ({"province": "44"}, sum(1 for f in FINDINGS if f[5].startswith("44"))),
        ({"division": "110000"}, sum(1 for f in FINDINGS if f[5].startswith("11"))),
        ({"division": "440103", "state": "open"}, sum(1 for f in FINDINGS if f[5] == "440103" and f[4] == "open")),
        ({"rule": "app.zombie"}, sum(1 for f in FINDINGS if f[1] == "app.zombie")),
        ({"article": "opinions-9", "severity": "low"}, sum(1 for f in FINDINGS if f[2] == "opinions-9" and f[3] == "low")),
        ({"target_type": "account"}, sum(1 for f in FINDINGS if f[6].startswith("ACC"))),
    ):
        page = queries.list_page(conn, queries.FINDINGS, params)
        assert page.total == expected == len(page.items), params


def test_sort_and_pages_cover_every_row_once(conn):
    seen = []
    for n in (1, 2, 3):
        page = queries.list_page(conn, queries.FINDINGS, {}, sort="-severity", page=n, page_size=2)
        seen += [i["id"] for i in page.items]
    assert sorted(seen) == sorted(fid(f[0]) for f in FINDINGS)
    first = queries.list_page(conn, queries.FINDINGS, {}, sort="last_seen_at").items[0]
    assert first["id"] == fid(max(f[0] for f in FINDINGS))  # seen longest ago: last_seen_at = NOW - n hours


def test_rejects_what_is_not_whitelisted(conn):
    for params, sort in (({"nope": "1"}, None), ({}, "evidence"), ({"province": "4'; --"}, None),
                         ({"date_from": "yesterday"}, None)):
        with pytest.raises(queries.QueryError):
            queries.list_page(conn, queries.FINDINGS, params, sort=sort)


def test_summary_figures(conn):
    data = queries.summary(conn)
    assert data["inventory"]["by_kind"] == {"app": 2, "account": 1, "work_group": 0}
    assert data["inventory"]["by_level"] == {"provincial": 1, "prefectural": 2}
    assert {p["code"]: p["count"] for p in data["inventory"]["by_province"]} == {"11": 1, "44": 2}
    states: dict[str, int] = {}
    for f in FINDINGS:
        states[f[4]] = states.get(f[4], 0) + 1
    assert data["findings"]["by_state"] == states
    # seed: app i (Beijing i = 1, Guangdong i = 2) passes on DAY - d when (i + d) is even, d = 0, 1, 2
    expected = {"11": [int((1 + d) % 2 == 0) for d in (2, 1, 0)], "12": None, "44": [int((2 + d) % 2 == 0) for d in (2, 1, 0)]}
    for p in data["pass_rate"]:
        assert [t["passed"] for t in p["trend"]] == expected[p["code"]], p
        assert [t["passed"] + t["failed"] for t in p["trend"]] == [1, 1, 1]
        assert p["latest"]["rate"] == p["trend"][-1]["passed"]  # a record without data is not in the rate
    gd = next(p for p in data["pass_rate"] if p["code"] == "44")
    assert gd["latest"]["no_data"] == 1 and gd["latest"]["total"] == 2
    assert {p["name"] for p in data["pass_rate"]} == {"北京市", "广东省"}
    assert data["cases_by_state"] == {"proposed": 1}


def test_entity_and_case_records(conn):
    e = queries.entity(conn, "app", "APP-1")
    assert e is not None and e["sponsor"]["name"] == "北京市某局" and len(e["snapshots"]) == 5
    assert {f["id"] for f in e["findings"]} == {fid(f[0]) for f in FINDINGS if f[6] == "APP-1"}
    c = queries.case(conn, "CASE-1")
    assert c is not None and [ev["to_state"] for ev in c["events"]] == ["proposed"]
    assert queries.entity(conn, "app", "missing") is None
    with pytest.raises(queries.QueryError):
        queries.entity(conn, "table; drop", "x")
    assert conn.execute(sa.text("SELECT 1")).scalar() == 1


# Full-width (４４) and other Unicode digits pass ``str.isdigit`` and ``int()``: the console's filters
# refuse them like periods and credit codes do (half-width ASCII only), and accept their ASCII form.
# Each row: filter, refused value, its NFKC form (accepted).
NON_ASCII_FILTERS = [
    ("province", "４４", "44"),
    ("province", "4４", "44"),
    ("province", "４４００００", "440000"),
    ("province", "٤٤", None),  # Arabic-Indic digits: NFKC does not fold them, still refused
    ("division", "４４０１０３", "440103"),
    ("division", "44010３", "440103"),
    ("division", "１１００００", "110000"),
    ("division", "४४०१०३", None),  # Devanagari digits
    ("sponsor", "１２", "12"),
    ("sponsor", "1２", "12"),
]


@pytest.mark.parametrize("name,value,ascii_value", NON_ASCII_FILTERS, ids=[f"{r[0]}={r[1]}" for r in NON_ASCII_FILTERS])
def test_filters_refuse_non_ascii_digits(name, value, ascii_value):
    import unicodedata

    build = queries.FINDINGS.filters[name]
    with pytest.raises(queries.QueryError, match="半角"):
        build(value)
    folded = unicodedata.normalize("NFKC", value)
    if ascii_value is None:
        assert not folded.isascii()
    else:
        assert folded == ascii_value
        build(ascii_value)  # the half-width form is accepted
