"""BulkLoader: FK-ordered buffered loading, value round trips and removal by source, on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from fingertip.store import schema
from fingertip.store.bulk import (
    BulkLoader,
    count_by_source,
    delete_by_source,
    fmt_date,
    fmt_datetime,
    fmt_json,
)

T0 = dt.datetime(2025, 4, 30, 23, 59, 58, 123456)
T1 = dt.datetime(2024, 2, 29, 0, 0, 0)
FP = "a" * 64


def _sponsor(i: int, source: str = "test-bulk", **extra) -> dict:
    row = dict(id=i, credit_code=f"CODE{i:014d}", name=f"单位{i}\t制表\n换行\\反斜杠", division_code="330106",
               level="county", nature="机关", source=source, fetched_at=T0, request_fingerprint=FP)
    row.update(extra)
    return row


def _app(i: int, sponsor_id: int, source: str = "test-bulk", **extra) -> dict:
    row = dict(id=i, app_key=f"app-{i}", name=f"应用{i}", kind="app", sponsor_id=sponsor_id, division_code="330106",
               apple_track_id=1_000_000_000 + i, declared_features=["check_in", "投诉"],
               approved_features={"feature": "check_in", "note": "应急值守", "n": 1.5, "ok": True, "none": None},
               has_complaint_channel=False, user_scale=12_345_678_901, launched_on=dt.date(2020, 2, 29),
               source=source, fetched_at=T1, request_fingerprint=FP)
    row.update(extra)
    return row


def _rows(engine, table):
    with engine.connect() as conn:
        return conn.execute(sa.select(table).order_by(table.c.id)).mappings().all()


@pytest.mark.parametrize("background", [False, True], ids=["sync", "background"])
def test_native_values_round_trip(store_engine, background):
    # children added before parents, tiny chunks: flushes still write parents first
    with BulkLoader(store_engine, chunk_rows=2, background=background) as loader:
        loader.add("apps", _app(1, sponsor_id=1))
        loader.add("sponsors", _sponsor(1))
        loader.add("sponsors", _sponsor(2, parent_id=1))
        loader.add("apps", _app(2, sponsor_id=2, declared_features=None, approved_features=None,
                                has_complaint_channel=True, launched_on=None))
    assert loader.counts == {"sponsors": 2, "apps": 2}
    sponsors = _rows(store_engine, schema.sponsors)
    assert [r["parent_id"] for r in sponsors] == [None, 1]
    assert sponsors[0]["name"] == "单位1\t制表\n换行\\反斜杠"
    assert sponsors[0]["fetched_at"] == T0
    assert isinstance(sponsors[0]["created_at"], dt.datetime)  # server default filled in by the loader
    apps = _rows(store_engine, schema.apps)
    a1, a2 = apps
    assert a1["declared_features"] == ["check_in", "投诉"]
    assert a1["approved_features"] == {"feature": "check_in", "note": "应急值守", "n": 1.5, "ok": True, "none": None}
    assert a1["has_complaint_channel"] is False and a2["has_complaint_channel"] is True
    assert a1["launched_on"] == dt.date(2020, 2, 29) and a2["launched_on"] is None
    assert a1["fetched_at"] == T1 and a1["user_scale"] == 12_345_678_901
    assert a1["status"] == "active"  # server default
    assert a2["declared_features"] is None and a2["approved_features"] is None


def test_encoded_values_and_tuple_rows(store_engine):
    cols = BulkLoader.columns("sponsors")
    values = dict(_sponsor(7), fetched_at=fmt_datetime(T0), parent_id=None, contact_name=None,
                  contact_phone=None, contact_email=None, created_at=fmt_datetime(T1), updated_at=fmt_datetime(T1))
    with BulkLoader(store_engine) as loader:
        loader.add_encoded("sponsors", tuple(values[c] for c in cols))
        app_cols = BulkLoader.columns("apps")
        app = dict(_app(9, 7), declared_features=fmt_json(["a"]), approved_features=None,
                   launched_on=fmt_date(dt.date(2021, 1, 2)), fetched_at=fmt_datetime(T0),
                   has_complaint_channel=1, host_platform=None, package_name=None, bundle_id=None,
                   mini_program_id=None, description=None, monthly_active_users=None, gov_filing_number=None,
                   security_level=None, status="active", closed_on=None, import_batch_id=None,
                   created_at=fmt_datetime(T0), updated_at=fmt_datetime(T0))
        loader.extend_encoded("apps", [tuple(app[c] for c in app_cols)])
    (sponsor,) = _rows(store_engine, schema.sponsors)
    assert sponsor["fetched_at"] == T0 and sponsor["created_at"] == T1
    (row,) = _rows(store_engine, schema.apps)
    assert row["declared_features"] == ["a"] and row["launched_on"] == dt.date(2021, 1, 2)
    assert row["has_complaint_channel"] is True and row["fetched_at"] == T0
    # string comparison on SQLite and timestamp comparison on PostgreSQL agree
    with store_engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(schema.apps).where(schema.apps.c.fetched_at >= T0)).scalar_one()
    assert n == 1


@pytest.mark.parametrize("background", [False, True], ids=["sync", "background"])
def test_ids_assigned_and_sequences_reset(store_engine, background):
    with BulkLoader(store_engine, background=background) as loader:
        loader.add("sponsors", _sponsor(41))
        row = _sponsor(0)
        del row["id"]
        row["credit_code"] = "NO-ID"
        loader.add("sponsors", row)  # gets max(id) + 1
    assert [r["id"] for r in _rows(store_engine, schema.sponsors)] == [41, 42]
    with store_engine.begin() as conn:  # an ordinary insert continues after the loaded ids
        new_id = conn.execute(
            schema.sponsors.insert().values(**{k: v for k, v in _sponsor(0, credit_code="ORM").items() if k != "id"})
            .returning(schema.sponsors.c.id)
        ).scalar_one()
    assert new_id == 43


def test_fk_violation_surfaces(store_engine):
    loader = BulkLoader(store_engine, background=True)
    loader.add("apps", _app(1, sponsor_id=999))
    with pytest.raises(RuntimeError, match="bulk load failed"):
        loader.close()
    assert _rows(store_engine, schema.apps) == []


def test_unknown_table_and_columns(store_engine):
    with BulkLoader(store_engine) as loader:
        with pytest.raises(ValueError):
            loader.add("nope", {})
        with pytest.raises(ValueError):
            loader.add("sponsors", {"bogus": 1})
        with pytest.raises(ValueError):
            loader.add("sponsors", (1, 2))


def test_delete_by_source(store_engine):
    with BulkLoader(store_engine) as loader:
        loader.add("sponsors", _sponsor(1, source="sample-generator:seed=1"))
        loader.add("sponsors", _sponsor(2, source="sample-generator:seed=1", parent_id=1))
        loader.add("sponsors", _sponsor(3, source="manual", parent_id=1))  # detached, kept
        loader.add("apps", _app(1, 1, source="sample-generator:seed=1"))
        loader.add("store_listings", dict(id=1, store="apple", store_app_id="1", app_id=1, first_seen_at=T0,
                                          source="apple-lookup", fetched_at=T0, request_fingerprint=FP))
        loader.add("listing_snapshots", dict(id=1, listing_id=1, snapshot_date=T0.date(), present=True,
                                             source="apple-lookup", fetched_at=T0, request_fingerprint=FP))
    assert count_by_source(store_engine, "sample-generator:") == 2
    deleted = delete_by_source(store_engine, "sample-generator:")
    assert deleted == {"apps": 1, "sponsors": 2}
    assert [(r["id"], r["parent_id"]) for r in _rows(store_engine, schema.sponsors)] == [(3, None)]
    assert [r["app_id"] for r in _rows(store_engine, schema.store_listings)] == [None]
    assert len(_rows(store_engine, schema.listing_snapshots)) == 1
    assert count_by_source(store_engine, "sample-generator:") == 0
    # the temporary index is gone again
    assert "ix_tmp_bulk_sponsors_parent_id" not in {ix["name"] for ix in sa.inspect(store_engine).get_indexes("sponsors")}


def test_delete_by_source_refuses_non_nullable_references(store_engine):
    with BulkLoader(store_engine) as loader:
        loader.add("sponsors", _sponsor(1, source="sample-generator:x"))
        loader.add("apps", _app(1, 1, source="manual-import"))
    with pytest.raises(RuntimeError, match="apps.sponsor_id"):
        delete_by_source(store_engine, "sample-generator:")
    assert len(_rows(store_engine, schema.sponsors)) == 1


def test_source_prefix_is_literal(store_engine):
    with BulkLoader(store_engine) as loader:
        loader.add("sponsors", _sponsor(1, source="sample_generatorX"))
    assert count_by_source(store_engine, "sample_gen%") == 0
    assert delete_by_source(store_engine, "sample_gen%") == {}
