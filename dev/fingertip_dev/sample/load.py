"""Generate the sample population straight into a store (used by the CLI, the bench and demos)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

import sqlalchemy as sa

from fingertip.reference import load_divisions_into_store
from fingertip.store import migrate, schema
from fingertip.store.bulk import BulkLoader, count_by_source, delete_by_source
from fingertip.store.engine import create_store_engine, describe
from fingertip_dev.sample.generator import (
    GENERATED_TABLES,
    SOURCE_PREFIX,
    GenerationResult,
    Generator,
    SampleConfig,
)

log = logging.getLogger(__name__)


class SampleAlreadyLoaded(RuntimeError):
    """The store already holds a generated sample (use replace=True / --replace)."""


def _max_ids(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(schema.metadata.tables[name].c.id), 0)))
                      .scalar_one())
            for name in GENERATED_TABLES
        }


def generate_into_store(store_url: str, entities: int, seed: int, as_of: dt.date, out_dir: Path | None,
                        *, replace: bool = False, chunk_rows: int = 100_000, inventory: bool = True,
                        migrate_store: bool = True) -> dict:
    """Migrate the store, load the division snapshot, generate and bulk-load the sample.

    A store holds at most one generated sample (rows whose ``source`` starts with
    ``sample-generator:``): with one present this raises :class:`SampleAlreadyLoaded` unless
    ``replace`` is true, in which case the previous sample is deleted first (children before
    parents). Ids continue after the rows already in the store. Returns a summary dict.
    """
    if migrate_store:
        migrate.upgrade(store_url)
    engine = create_store_engine(store_url)
    try:
        present = count_by_source(engine, SOURCE_PREFIX)
        replaced: dict[str, int] = {}
        if present:
            if not replace:
                raise SampleAlreadyLoaded(
                    f"the store {describe(store_url)} already holds a generated sample ({present} sponsors with "
                    f"source '{SOURCE_PREFIX}…'); pass --replace to delete it and load a new one"
                )
            log.info("deleting the previous sample from %s", describe(store_url))
            replaced = delete_by_source(engine, SOURCE_PREFIX)
        divisions = load_divisions_into_store(engine)
        config = SampleConfig(entities=entities, seed=seed, as_of=as_of, out_dir=out_dir, inventory=inventory,
                              id_offsets=_max_ids(engine))
        start = time.perf_counter()
        loader = BulkLoader(engine, chunk_rows=chunk_rows, background=True)
        try:
            result: GenerationResult = Generator(config).run(loader)
            loader.close()
        except BaseException:  # also on interrupt: release the loader's connection; re-raised
            loader.abort()
            raise
        seconds = time.perf_counter() - start
    finally:
        engine.dispose()
    rows = {name: loader.counts.get(name, 0) for name in GENERATED_TABLES}
    total = sum(rows.values())
    return {
        "entities": entities,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "store": describe(store_url),
        "backend": sa.make_url(store_url).get_backend_name(),
        "rows": rows,
        "total_rows": total,
        "divisions": divisions,
        "replaced_rows": sum(replaced.values()),
        "seconds": round(seconds, 3),
        "rows_per_s": round(total / seconds) if seconds > 0 else None,
        "labels_planted": sum(v for k, v in result.label_counts.items()),
        "manifest": str(result.manifest_path) if result.manifest_path else None,
        "manifest_sha256": result.manifest_sha256,
    }
