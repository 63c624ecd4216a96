"""Deterministic sample population of government apps, accounts and work groups.

``python -m fingertip.sample generate --entities N --seed S`` loads it into the store and writes
the ground truth and inventory spreadsheets; ``python -m fingertip.sample.bench`` measures it.
"""

from fingertip.sample.generator import (
    ACCOUNT_LABELS,
    ALL_LABELS,
    APP_LABELS,
    GROUP_LABELS,
    LABEL_DEFINITIONS,
    SOURCE_PREFIX,
    CollectingSink,
    CountingSink,
    GenerationResult,
    Generator,
    SampleConfig,
    generate,
)

__all__ = [
    "ACCOUNT_LABELS", "ALL_LABELS", "APP_LABELS", "GROUP_LABELS", "LABEL_DEFINITIONS", "SOURCE_PREFIX",
    "CollectingSink", "CountingSink", "GenerationResult", "Generator", "SampleConfig", "generate",
]
