"""docs/sources.md stays true: its JSON examples are what the stub answers for the test world."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import requests

from fingertip_dev.stub.faults import FaultKnobs
from fingertip_dev.stub.sources import ROUTES

DOC = Path(__file__).resolve().parents[2] / "docs" / "sources.md"
EXAMPLE = re.compile(r"Example: `GET ([^`]+)`[^\n]*(?:\n[^\n`]+)*\n\n```json\n(.*?)```", re.S)


def test_json_examples_match_the_stub(stub):
    text = DOC.read_text(encoding="utf-8")
    examples = EXAMPLE.findall(text)
    assert len(examples) == 6
    for url, block in examples:
        assert requests.get(stub.base_url + url, timeout=10).json() == json.loads(block), url


def test_every_endpoint_and_knob_is_documented():
    text = DOC.read_text(encoding="utf-8")
    for path in ROUTES:
        assert f"GET {path}" in text, path
    for knob in dataclasses.fields(FaultKnobs):
        assert f"| `{knob.name}` |" in text, knob.name
