"""Deterministic sample population of government apps, accounts and work groups.

``python -m fingertip_dev.sample generate --entities N --seed S`` loads it into the store and writes
the ground truth and inventory spreadsheets; ``python -m fingertip_dev.bench.sample`` measures it.
"""

from fingertip_dev.sample.generator import (
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
