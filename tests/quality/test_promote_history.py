"""Promotion with history (``quality.promote._upsert_with_history``) on the sponsors table.

Expected rows and history are written out from the module's contract (docstring): a new record
gets one history row with ``[null, new]`` per non-empty field; a changed one ``[old, new]`` per
changed field; an unchanged one nothing; the same (batch, table, key) is never recorded twice.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from tests.store_templates import store_engine_fixtures

from fingertip.quality import promote
from fingertip.store import schema

_migrated_store, store_engine = store_engine_fixtures()


S, H = schema.sponsors, schema.inventory_history
CODE, CODE2 = "11441700007280420Y", "121200004013590816"
T0 = dt.datetime(2026, 11, 1, 2, 0, 0)
T1 = dt.datetime(2026, 11, 2, 2, 0, 0)
COMPARE = ("name", "division_code", "level", "contact_email")
PROV = {"source": "import:test.xlsx", "fetched_at": T0, "request_fingerprint": "0" * 64, "nature": "机关"}


def sponsor(code=CODE, **kw):
    return {"credit_code": code, "name": "阳江市人民政府办公室", "division_code": "441700", "level": "prefectural",
            "contact_email": "a@yj.gov.cn", **PROV, **kw}


def batches(engine, n=3):
    with engine.begin() as conn:
        for i in range(1, n + 1):
            conn.execute(sa.insert(schema.import_batches).values(id=i, file_name=f"b{i}.xlsx", checksum=str(i) * 64,
                                                                  received_at=T0))


def upsert(engine, rows, batch_id, now=T0, **kw):
    with engine.begin() as conn:
        return promote._upsert_with_history(conn, S, {r["credit_code"]: r for r in rows}, ("credit_code",),
                                            COMPARE, batch_id, now, **kw)


def stored(engine):
    with engine.connect() as conn:
        return {r.credit_code: r for r in conn.execute(sa.select(S).order_by(S.c.id))}


def history(engine):
    with engine.connect() as conn:
        return [(r.table_name, r.record_key, r.batch_id, r.changes, r.changed_at)
                for r in conn.execute(sa.select(H).order_by(H.c.id))]


def test_new_changed_unchanged_and_rerun(store_engine):
    batches(store_engine)
    assert upsert(store_engine, [], 1) == (0, 0)
    # new records: one history row each, [null, new] for every non-empty compared field
    assert upsert(store_engine, [sponsor(), sponsor(CODE2, name="阳江市某中心", contact_email=None)], 1) == (2, 2)
    assert history(store_engine) == [
        ("sponsors", CODE, 1, {"name": [None, "阳江市人民政府办公室"], "division_code": [None, "441700"],
                               "level": [None, "prefectural"], "contact_email": [None, "a@yj.gov.cn"]}, T0),
        ("sponsors", CODE2, 1, {"name": [None, "阳江市某中心"], "division_code": [None, "441700"],
                                "level": [None, "prefectural"]}, T0),
    ]
    rows = stored(store_engine)
    assert (rows[CODE].created_at, rows[CODE].updated_at) == (T0, T0)
    # the same batch again: nothing changes, nothing recorded
    assert upsert(store_engine, [sponsor(), sponsor(CODE2, name="阳江市某中心", contact_email=None)], 1, now=T1) == (0, 0)
    assert len(history(store_engine)) == 2
    assert stored(store_engine)[CODE].updated_at == T0
    # a changed field: [old, new] for that field only
    assert upsert(store_engine, [sponsor(name="阳江市政府办", level="county")], 2, now=T1) == (1, 1)
    assert history(store_engine)[-1] == ("sponsors", CODE, 2, {"name": ["阳江市人民政府办公室", "阳江市政府办"],
                                                               "level": ["prefectural", "county"]}, T1)
    row = stored(store_engine)[CODE]
    assert (row.name, row.level, row.created_at, row.updated_at) == ("阳江市政府办", "county", T0, T1)


def test_empty_values_erase_or_keep(store_engine):
    batches(store_engine)
    upsert(store_engine, [sponsor()], 1)
    # kept: the row leaves the e-mail empty
    assert upsert(store_engine, [sponsor(contact_email=None)], 2, keep_stored_when_empty=True) == (0, 0)
    assert stored(store_engine)[CODE].contact_email == "a@yj.gov.cn"
    # not kept: the empty value is a change
    assert upsert(store_engine, [sponsor(contact_email=None)], 2) == (1, 1)
    assert history(store_engine)[-1][3] == {"contact_email": ["a@yj.gov.cn", None]}
    assert stored(store_engine)[CODE].contact_email is None


def test_insert_only_values_fill_new_records_only(store_engine):
    batches(store_engine)
    fill = {CODE: {"contact_email": "fill@yj.gov.cn", "name": "never used"}}
    assert upsert(store_engine, [sponsor(contact_email=None)], 1, insert_only=fill) == (1, 1)
    row = stored(store_engine)[CODE]
    assert (row.contact_email, row.name) == ("fill@yj.gov.cn", "阳江市人民政府办公室")
    assert history(store_engine)[0][3]["contact_email"] == [None, "fill@yj.gov.cn"]
    # an existing record is not filled from insert_only
    assert upsert(store_engine, [sponsor(contact_email=None)], 2, insert_only=fill,
                  keep_stored_when_empty=True) == (0, 0)


def test_history_of_a_batch_is_recorded_once(store_engine):
    batches(store_engine)
    upsert(store_engine, [sponsor()], 1)
    # the same batch changes the record again: updated, but (batch, table, key) is already recorded
    assert upsert(store_engine, [sponsor(name="新名称")], 1, now=T1) == (1, 0)
    assert stored(store_engine)[CODE].name == "新名称"
    assert [h[2] for h in history(store_engine)] == [1]


def test_value_helpers():
    assert promote._date("2026-11-02") == dt.date(2026, 11, 2)
    assert promote._date("") is None and promote._date(None) is None
    assert promote._int("12") == 12 and promote._int("0") == 0
    assert promote._int("") is None and promote._int(None) is None and promote._int("x") is None
    assert promote._bool("true") is True and promote._bool("false") is False and promote._bool(None) is None
    assert promote._jsonable(dt.date(2026, 1, 2)) == "2026-01-02"
    assert promote._jsonable(dt.datetime(2026, 1, 2, 3, 4)) == "2026-01-02T03:04:00"
    assert promote._jsonable(5) == 5
