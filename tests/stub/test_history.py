"""The sample world as it recorded an earlier day (``fingertip_dev.stub.history``), served by the stub's
Apple Lookup: only the listings the world has a snapshot of on that day, with that day's values.

Expected values are read from the generated world's ``listing_snapshots`` rows, not from the module."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3

import pytest

from fingertip_dev.sample.load import generate_into_store
from fingertip_dev.stub.history import history_dates, world_as_recorded
from fingertip_dev.stub.sources import apple_lookup
from fingertip_dev.stub.world import World

AS_OF = dt.date(2026, 12, 6)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("history")
    generate_into_store(f"sqlite:///{folder / 'world.db'}", 300, 7, AS_OF, folder / "sample", replace=True)
    return folder / "world.db"


def _rows(path, sql, args=()):
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, args).fetchall()


def test_history_dates_are_the_earlier_snapshot_days(world):
    earlier = sorted({r[0] for r in _rows(world, "SELECT snapshot_date FROM listing_snapshots WHERE snapshot_date < ?",
                                          (AS_OF.isoformat(),))})
    assert earlier, "the generator records no earlier day"
    assert [d.isoformat() for d in history_dates(world, AS_OF)] == earlier
    assert history_dates(world, dt.date.fromisoformat(earlier[0])) == []


def test_the_recorded_day_lists_exactly_its_snapshots_with_their_values(world, tmp_path):
    (day,) = history_dates(world, AS_OF)
    # the generator keeps a zombie's count flat; give the day's snapshots their own values to tell them apart
    shutil.copy(world, tmp_path / "world.db")
    world = tmp_path / "world.db"
    with sqlite3.connect(world) as conn:
        conn.execute("UPDATE listing_snapshots SET rating_count = rating_count + 1000, version = '0.9' "
                     "WHERE snapshot_date = ?", (day.isoformat(),))
    snaps = {(r["store"], r["store_app_id"]): r for r in _rows(
        world, "SELECT sl.store, sl.store_app_id, s.rating_count, s.version FROM listing_snapshots s "
               "JOIN store_listings sl ON sl.id = s.listing_id WHERE s.snapshot_date = ? AND s.present",
        (day.isoformat(),))}
    total = _rows(world, "SELECT count(*) AS n FROM store_listings")[0]["n"]
    recorded = world_as_recorded(world, day, tmp_path / "then.db")
    assert (recorded["listings"], recorded["not_listed_then"]) == (len(snaps), total - len(snaps))
    listed = {(r["store"], r["store_app_id"]): r for r in _rows(tmp_path / "then.db", "SELECT * FROM store_listings")}
    assert set(listed) == set(snaps)
    for key, snap in snaps.items():
        assert (listed[key]["rating_count"], listed[key]["version"], listed[key]["available"]) == (
            snap["rating_count"], snap["version"], 1)
    # the source world is untouched
    assert _rows(world, "SELECT count(*) AS n FROM store_listings")[0]["n"] == total

    # what the stub answers for that day: the Apple listings of the day, with the day's rating count
    apple = {k[1]: s for k, s in snaps.items() if k[0] == "apple"}
    other = _rows(world, "SELECT store_app_id FROM store_listings WHERE store = 'apple' AND available "
                         f"AND store_app_id NOT IN ({', '.join('?' * len(apple))}) LIMIT 1", tuple(apple))
    assert apple and other
    served = World(tmp_path / "then.db")
    try:
        reply = apple_lookup(served, {"id": [",".join([*apple, other[0]["store_app_id"]])], "country": ["cn"]})
    finally:
        served.close()
    got = {str(r["trackId"]): r["userRatingCount"] for r in reply.body["results"]}
    assert got == {k: s["rating_count"] for k, s in apple.items()}


def test_recorded_worlds_writes_each_earlier_day_beside_the_world(world, tmp_path):
    from fingertip_dev.stub.history import recorded_worlds

    shutil.copy(world, tmp_path / "world.db")
    days = [(day, recorded) for day, recorded in recorded_worlds(tmp_path / "world.db", AS_OF)]
    assert [d for d, _ in days] == history_dates(world, AS_OF)
    for day, recorded in days:
        assert recorded["date"] == day.isoformat()
        assert recorded["world"] == str(tmp_path / f"world_{day.isoformat()}.db")
        assert _rows(recorded["world"], "SELECT count(*) AS n FROM store_listings")[0]["n"] == recorded["listings"]
    assert list(recorded_worlds(tmp_path / "world.db", days[0][0])) == []
