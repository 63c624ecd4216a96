"""``[core] hostname_callable`` of the ``make cluster`` workers: each reports its own name
(``FINGERTIP_CLUSTER_HOSTNAME``), so task instances show which worker ran them on one machine."""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    return os.environ.get("FINGERTIP_CLUSTER_HOSTNAME") or socket.getfqdn()
