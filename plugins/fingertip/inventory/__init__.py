"""Inventory (台账) intake: the header map, the inbox and staging of submitted spreadsheets.

* :mod:`fingertip.inventory.headers` — column names → canonical fields, value vocabularies;
* :mod:`fingertip.inventory.importer` — inbox scanning, one import batch per file, staging rows.

The inbox is any ``ObjectStoragePath`` location:

=========================  ===========================================  ==========================
variable                   meaning                                      default
=========================  ===========================================  ==========================
``FINGERTIP_INBOX_URL``    where units' spreadsheets arrive             ``file://<data_dir>/inbox``
=========================  ===========================================  ==========================

Processed and rejected files are moved to the ``processed/`` and ``rejected/`` folders beside the
inbox, each with a ``<name>.report.json``.
"""

from __future__ import annotations


def inbox_url() -> str:
    """Where submitted inventory files arrive: ``FINGERTIP_INBOX_URL`` or ``<data_dir>/inbox``."""
    from fingertip import config

    return config.inbox_url()


def inbox_path():
    """The inbox as an ``ObjectStoragePath`` (``file://`` by default)."""
    from airflow.sdk import ObjectStoragePath  # heavy import, only when a task needs it

    return ObjectStoragePath(inbox_url())
