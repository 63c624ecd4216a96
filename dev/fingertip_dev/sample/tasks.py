"""The sample-data DAG's work: generate, publish the inventory, deliver spreadsheets to the inbox."""

from __future__ import annotations

import datetime as dt
import logging
import os

from fingertip import config

log = logging.getLogger(__name__)


def world_url() -> str:
    """The world database the stub source server serves (``FINGERTIP_WORLD_URL``)."""
    return os.environ.get("FINGERTIP_WORLD_URL") or f"sqlite:///{config.data_dir() / 'sample' / 'world.db'}"


def generate_sample(*, entities: int, seed: int, as_of: dt.date, mode: str = "world",
                    deliver_to_inbox: bool = True) -> dict:
    from fingertip.store.engine import resolve_store_url
    from fingertip_dev.sample.load import generate_into_store
    from fingertip_dev.sample.publish import publish_inventory

    out_dir = config.data_dir() / "sample"
    store_url = resolve_store_url()
    if mode == "store":
        summary = generate_into_store(store_url, entities, seed, as_of, out_dir, replace=True)
    elif mode == "world":
        summary = generate_into_store(world_url(), entities, seed, as_of, out_dir, replace=True)
        summary["published"] = publish_inventory(world_url(), store_url)
        summary["world"] = world_url()
    else:
        raise ValueError(f"unknown mode {mode!r}: 'world' or 'store'")
    if deliver_to_inbox:
        summary["delivered_to_inbox"] = _deliver(out_dir / "inventory")
    return summary


def _deliver(folder) -> list[str]:
    """Copy the generated spreadsheets into the import inbox, as units would submit them."""
    from airflow.sdk import ObjectStoragePath

    from fingertip.inventory import inbox_url

    inbox = ObjectStoragePath(inbox_url())
    inbox.mkdir(parents=True, exist_ok=True)
    delivered = []
    for path in sorted(folder.iterdir()) if folder.exists() else []:
        if path.is_file():
            (inbox / path.name).write_bytes(path.read_bytes())
            delivered.append(path.name)
    log.info("delivered %d inventory file(s) to %s", len(delivered), inbox)
    return delivered
