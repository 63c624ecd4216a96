"""``yamlsource.load`` parses a given text once: later loads are fresh copies with the same lines."""

from __future__ import annotations

import pytest

from fingertip.rules import yamlsource


def test_a_second_load_is_an_equal_fresh_copy_with_its_lines(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - id: R1\n    tags: [a, b]\n  - id: R2\n", encoding="utf-8")
    first = yamlsource.load(path)
    first["rules"][0]["id"] = "changed by a caller"
    second = yamlsource.load(path)
    assert second == {"rules": [{"id": "R1", "tags": ["a", "b"]}, {"id": "R2"}]}
    assert second is not first and second["rules"] is not first["rules"]
    assert yamlsource.line_of(second, "rules") == 1
    assert yamlsource.line_of(second["rules"], 1) == 4
    assert yamlsource.line_of(second["rules"][0], "tags") == 3


def test_a_changed_file_is_parsed_again_and_errors_keep_their_line(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    assert yamlsource.load(path) == {"a": 1}
    path.write_text("a: 2\n", encoding="utf-8")
    assert yamlsource.load(path) == {"a": 2}
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    for _ in range(2):  # a mistake is never cached: reported the same each time
        with pytest.raises(yamlsource.PolicySourceError) as err:
            yamlsource.load(path)
        assert err.value.line == 2 and "duplicate key" in str(err.value)


def test_the_same_text_elsewhere_loads_the_same_and_a_mistake_names_its_own_file(tmp_path):
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    for p in (one, two):
        p.write_text("k:\n  - x\n", encoding="utf-8")
    assert yamlsource.load(one) == yamlsource.load(two) == {"k": ["x"]}
    for p in (one, two):
        p.write_text("k: [\n", encoding="utf-8")
        with pytest.raises(yamlsource.PolicySourceError) as err:
            yamlsource.load(p)
        assert err.value.path == str(p)
