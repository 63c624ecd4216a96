"""Publish a generated world's inventory into the governance store.

The demo keeps two databases apart, as in production: the *world* (everything the generator made:
inventory, store listings, filings, account activity — what the outside sources know, served by the
stub source server) and the *governance store*, which starts with the accepted inventory only
(divisions, sponsors, apps, accounts, work groups) and learns the rest by ingesting over HTTP.

Ids are shifted past the rows already in the store and foreign keys follow, so a store that holds
other data keeps it; a previously published sample is replaced (``replace=True``).
"""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa

from fingertip.reference import load_divisions_into_store
from fingertip.store import migrate, schema
from fingertip.store.bulk import BulkLoader, count_by_source, delete_by_source
from fingertip.store.engine import create_store_engine, describe
from fingertip_dev.sample.generator import SOURCE_PREFIX

log = logging.getLogger(__name__)

#: Inventory tables copied from the world, parents first, with their references to shift.
INVENTORY = (
    (schema.sponsors, {"parent_id": "sponsors"}),
    (schema.apps, {"sponsor_id": "sponsors"}),
    (schema.accounts, {"sponsor_id": "sponsors"}),
    (schema.work_groups, {"sponsor_id": "sponsors"}),
)


class StoreNotEmpty(RuntimeError):
    pass


def publish_inventory(world_url: str, store_url: str, *, replace: bool = True) -> dict:
    """Copy the world's inventory into the store; returns rows copied per table."""
    migrate.upgrade(store_url)
    world = create_store_engine(world_url)
    store = create_store_engine(store_url)
    started = time.perf_counter()
    try:
        if count_by_source(store, SOURCE_PREFIX):
            if not replace:
                raise StoreNotEmpty(f"{describe(store_url)} already holds a published sample; use replace")
            delete_by_source(store, SOURCE_PREFIX)
        load_divisions_into_store(store)
        offsets = {}
        with store.connect() as conn:
            for table, _refs in INVENTORY:
                offsets[table.name] = conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
        copied: dict[str, int] = {}
        loader = BulkLoader(store, background=True)
        try:
            with world.connect() as conn:
                for table, refs in INVENTORY:
                    result = conn.execution_options(yield_per=20_000).execute(sa.select(table).order_by(table.c.id))
                    n = 0
                    for row in result.mappings():
                        values = dict(row)
                        values["id"] += offsets[table.name]
                        for column, parent in refs.items():
                            if values[column] is not None:
                                values[column] += offsets[parent]
                        if "import_batch_id" in values:
                            values["import_batch_id"] = None
                        loader.add(table.name, values)
                        n += 1
                    copied[table.name] = n
            loader.close()
        except BaseException:  # also on interrupt: release the loader's connection; re-raised
            loader.abort()
            raise
    finally:
        world.dispose()
        store.dispose()
    seconds = round(time.perf_counter() - started, 2)
    log.info("published the world's inventory into %s in %ss: %s", describe(store_url), seconds, copied)
    return {"copied": copied, "seconds": seconds}
