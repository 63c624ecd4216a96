"""Rules engine: policy files as data, facts from the store, findings with a lifecycle.

Public API::

    from fingertip.rules import load_policy, Scope, detect, FAMILIES
"""

from __future__ import annotations

from fingertip.rules.catalogue import FACTS, FAMILIES, TARGETS
from fingertip.rules.policy import Policy, Rule, load_policy
from fingertip.rules.yamlsource import PolicySourceError

__all__ = ["FACTS", "FAMILIES", "TARGETS", "Policy", "PolicySourceError", "Rule", "Scope", "detect", "load_policy"]


def __getattr__(name):  # the engine imports SQLAlchemy and the store; load it on first use
    if name in ("Scope", "detect", "DetectionResult", "FindingRecord", "InspectionRecord"):
        from fingertip.rules import engine

        return getattr(engine, name)
    raise AttributeError(name)
