"""Stub source server: plays Apple iTunes Lookup, an Android listing feed, the ICP/APP filing
registry and an account-activity feed from a generated world, with deterministic fault injection.

Formats are documented for users in ``docs/sources.md``. Entry points: ``python -m fingertip_dev.stub``,
:class:`StubServer` (in-process) and :func:`start_subprocess` (child process).
"""

from __future__ import annotations

from .faults import FAULT_KINDS, FaultKnobs
from .process import health, start_subprocess, stop_subprocess
from .server import StubServer
from .world import REMOVABLE, WorldError

__all__ = ["FAULT_KINDS", "REMOVABLE", "FaultKnobs", "StubServer", "WorldError", "health", "start_subprocess",
           "stop_subprocess"]
