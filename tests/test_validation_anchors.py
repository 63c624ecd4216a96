"""Validation patterns anchor with ``\\Z``: ``$`` also matches just before a trailing newline, so
``re.match(r"^[0-9]{6}$", "440000\\n")`` accepts a code no store holds (and a header name "X-Key\\n"
ends the mail's header block early).

Each row: a pattern the runtime package validates external input with, and a value it accepts; the
value with a trailing newline (or CR LF) must be refused. Behaviour tests below show the effect where
it reaches a user (mail headers, Content-ID, policy files).
"""

from __future__ import annotations

import shutil
import textwrap

import pytest
from tests.rules.policy_texts import RULE

from fingertip.notifications import message
from fingertip.rules import PolicySourceError, load_policy, policy

#: the module each row's prefix names (imported by the test, not at collection: ``expectations``
#: imports Great Expectations, ≈ 3 s of CPU in every pytest-xdist worker that collects this file)
_MODULES = {
    "audit": "fingertip.reports.audit",
    "expectations": "fingertip.quality.expectations",
    "ingest": "fingertip.operators.ingest",
    "message": "fingertip.notifications.message",
    "policy": "fingertip.rules.policy",
    "headers": "fingertip.inventory.headers",
}
ROWS = [
    ("audit._CODE", "440000"),
    ("expectations._ISO_DATE", "2026-11-01"),
    ("ingest._PROVINCE", "44"),
    ("ingest._PROVINCE", "440000"),
    ("message._HEADER_NAME", "X-Fingertip-Key"),
    ("message._CID", "chart-1.png"),
    ("message._DOMAIN_LABEL", "example"),
    ("message._SAFE_FILENAME", "report 2026.pdf"),
    ("policy._ID_RE", "app.zombie"),
    ("policy._THRESHOLD_NAME", "days"),
    ("policy._PROVINCE_CODE", "310000"),
    ("headers._FIELD_NAME", "credit_code"),
]


def _pattern(name: str):
    import importlib

    module, attribute = name.split(".", 1)
    return getattr(importlib.import_module(_MODULES[module]), attribute, None)


@pytest.mark.parametrize("name,value", ROWS, ids=[f"{n}:{v}" for n, v in ROWS])
@pytest.mark.parametrize("tail", ["\n", "\r\n"])
def test_pattern_refuses_trailing_newline(name, value, tail):
    pattern = _pattern(name)
    assert pattern is not None, f"{name} is not a module-level pattern"
    assert pattern.match(value), "the row's value is valid"
    assert not pattern.match(value + tail)


def test_extra_header_name_with_newline_is_refused():
    """Before: "X-Key\\n" passed and the blank line it wrote ended the header block (header injection)."""
    email = message.Email(subject="s", to=["a@example.com"], text="t", headers={"X-Key\n": "v"})
    with pytest.raises(ValueError, match="cannot be set as an extra header"):
        message.build_mime(email, "b@example.com")
    ok = message.Email(subject="s", to=["a@example.com"], text="t", headers={"X-Key": "v"})
    assert message.build_mime(ok, "b@example.com")["X-Key"] == "v"


def test_inline_image_content_id_with_newline_is_refused():
    with pytest.raises(ValueError, match="Content-ID"):
        message.InlineImage(cid="chart\n", content=b"\x89PNG")
    assert message.InlineImage(cid="chart", content=b"\x89PNG").cid == "chart"




@pytest.fixture
def policy_dir(tmp_path):
    d = tmp_path / "policy"
    shutil.copytree(policy.default_dir(), d)
    return d


@pytest.mark.parametrize("old,new,message_part", [
    ("id: account.test_rule", 'id: "account.test_rule\\n"', "must look like 'target.name'"),
    ("thresholds: {days: 3}", 'thresholds: {"days\\n": 3}', "bad threshold name 'days\\n'"),
])
def test_policy_names_with_newline_are_refused(policy_dir, old, new, message_part):
    (policy_dir / "rules" / "zz.yaml").write_text(textwrap.dedent(RULE), encoding="utf-8")
    assert load_policy(policy_dir).rules["account.test_rule"]  # the rule as written loads
    (policy_dir / "rules" / "zz.yaml").write_text(RULE.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PolicySourceError) as err:
        load_policy(policy_dir)
    assert message_part in err.value.problem


def test_override_province_with_newline_is_refused(policy_dir):
    path = policy_dir / "overrides" / "310000.yaml"
    text = path.read_text(encoding="utf-8")
    assert 'province: "310000"\n' in text
    path.write_text(text.replace('province: "310000"\n', 'province: "310000\\n"\n', 1), encoding="utf-8")
    with pytest.raises(PolicySourceError) as err:
        load_policy(policy_dir)
    assert "province must be a PP0000 division code" in err.value.problem
