"""Deterministic fault injection for the stub source server.

A fault is decided per request from its *fingerprint* (method, path and sorted query) and its
*attempt number* ``k`` (how many times the same fingerprint was requested before). When
``k >= max_consecutive_faults`` no fault is injected; otherwise a SHA-256 of
``(seed, fingerprint, k)`` gives a uniform number in [0, 1) that picks a fault kind by the
cumulative rates in :data:`FAULT_KINDS` order. A client whose retry budget exceeds
``max_consecutive_faults`` therefore always gets every answer, and the same seed always yields the
same fault sequence.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

#: Fault kinds, in the order their rates are accumulated, with the knob that sets each rate.
FAULT_KINDS: dict[str, str] = {
    "error_5xx": "error_5xx_rate",
    "rate_429": "rate_429",
    "html_error": "html_error_rate",
    "truncated": "truncated_rate",
    "wrong_types": "wrong_types_rate",
    "timeout": "timeout_rate",
    "reset_mid_body": "reset_mid_body_rate",
}


@dataclass(frozen=True)
class FaultKnobs:
    """Fault-injection settings; every fault is off by default."""

    latency_ms: float = 0.0
    error_5xx_rate: float = 0.0
    rate_429: float = 0.0
    retry_after_s: int = 1
    html_error_rate: float = 0.0
    truncated_rate: float = 0.0
    wrong_types_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_s: float = 5.0
    reset_mid_body_rate: float = 0.0
    seed: int = 0
    max_consecutive_faults: int = 2

    @classmethod
    def from_mapping(cls, knobs: Mapping[str, Any] | None) -> FaultKnobs:
        """Validated knobs from a mapping (unknown names and out-of-range values raise ValueError)."""
        knobs = dict(knobs or {})
        names = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(knobs) - set(names))
        if unknown:
            raise ValueError(f"unknown fault knob(s): {', '.join(unknown)}; known: {', '.join(names)}")
        values: dict[str, Any] = {}
        for name, value in knobs.items():
            kind = int if names[name].type in ("int", int) else float
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise ValueError(f"fault knob {name}: expected a number, got {value!r}")
            try:
                number = float(value)
                if kind is int:
                    if number != int(number):
                        raise ValueError
                    number = int(number)
            except (TypeError, ValueError):
                raise ValueError(f"fault knob {name}: expected {kind.__name__}, got {value!r}") from None
            values[name] = number
        result = cls(**values)
        result._validate()
        return result

    def _validate(self) -> None:
        for knob in FAULT_KINDS.values():
            rate = getattr(self, knob)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault knob {knob} must be within [0, 1], got {rate}")
        if self.total_rate() > 1.0 + 1e-9:
            raise ValueError(f"fault rates add up to {self.total_rate():.3f} > 1")
        for knob in ("latency_ms", "timeout_s", "retry_after_s", "max_consecutive_faults"):
            if getattr(self, knob) < 0:
                raise ValueError(f"fault knob {knob} must not be negative")

    def total_rate(self) -> float:
        return sum(getattr(self, knob) for knob in FAULT_KINDS.values())

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Fault:
    """One injected fault: its kind, a variant byte and a seed for its random details."""

    kind: str
    variant: int
    rng_seed: int


def fingerprint(method: str, path: str, query: str) -> str:
    """``METHOD path?sorted-query``: the identity of a request for fault decisions."""
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return f"{method.upper()} {path}?{urlencode(pairs)}"


def decide(knobs: FaultKnobs, fp: str, attempt: int) -> Fault | None:
    """The fault for attempt ``attempt`` (0-based) of fingerprint ``fp``, or None."""
    if attempt >= knobs.max_consecutive_faults or knobs.total_rate() <= 0.0:
        return None
    digest = hashlib.sha256(f"{knobs.seed}\x1f{fp}\x1f{attempt}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    cumulative = 0.0
    for kind, knob in FAULT_KINDS.items():
        cumulative += getattr(knobs, knob)
        if u < cumulative:
            return Fault(kind, digest[8], int.from_bytes(digest[9:17], "big"))
    return None


class FaultInjector:
    """Thread-safe holder of the knobs and of the attempt history per fingerprint."""

    def __init__(self, knobs: FaultKnobs | Mapping[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._knobs = knobs if isinstance(knobs, FaultKnobs) else FaultKnobs.from_mapping(knobs)
        self._attempts: dict[str, int] = {}

    @property
    def knobs(self) -> FaultKnobs:
        return self._knobs

    def set_knobs(self, knobs: FaultKnobs | Mapping[str, Any] | None) -> FaultKnobs:
        """Replace every knob (absent ones return to their defaults)."""
        new = knobs if isinstance(knobs, FaultKnobs) else FaultKnobs.from_mapping(knobs)
        with self._lock:
            self._knobs = new
        return new

    def next_fault(self, fp: str) -> tuple[FaultKnobs, Fault | None]:
        """Record one more attempt of ``fp`` and return the knobs in force and the fault decided."""
        with self._lock:
            attempt = self._attempts.get(fp, 0)
            self._attempts[fp] = attempt + 1
            knobs = self._knobs
        return knobs, decide(knobs, fp, attempt)

    def reset_attempts(self) -> None:
        with self._lock:
            self._attempts.clear()
