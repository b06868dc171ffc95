"""Config loading: valid configs build the same Pipeline as Python; bad ones name the key."""

from __future__ import annotations

import pytest

from corpus import ConfigError, Pipeline
from corpus import stages as registry
from tests.conftest import ROOT

BASE = """
input:  {paths: ["data/*.txt"], format: text}
stages:
  - exact_dedup: {}
output: {path: build/x}
"""


def write(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_sample_config_is_valid():
    pipeline = Pipeline.from_yaml(ROOT / "configs" / "sample.yaml")
    assert [s.name for s in pipeline.stages] == [
        "fix_encoding",
        "strip_boilerplate",
        "normalize_handles",
        "detect_language",
        "exact_dedup",
        "near_dedup",
        "repeated_lines",  # on by default since it leaves sites of fewer than min_docs pages alone
    ]
    assert pipeline.config["output"]["split"] == "train"  # defaults filled in


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BASE.replace("format: text", "format: docx"), "input.format: expected one of"),
        (BASE.replace("output: {path: build/x}", "output: {}"), "output: missing required key 'path'"),
        (BASE + "colour: red\n", "unknown key 'colour'"),
        (
            BASE.replace("exact_dedup: {}", "exact_dedupe: {}"),
            "unknown stage 'exact_dedupe' (did you mean 'exact_dedup'?); available:",
        ),
        (
            BASE.replace("exact_dedup: {}", "exact_dedup: {lowercsae: true}"),
            "stages[0].exact_dedup: unknown option",
        ),
        (BASE.replace('["data/*.txt"]', "data.txt"), "input.paths: expected array"),
        ("input: [", "not valid YAML"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_bad_config_names_key_and_expectation(tmp_path, text, message):
    with pytest.raises(ConfigError) as err:
        Pipeline.from_yaml(write(tmp_path, text))
    assert message in str(err.value)
    assert "c.yaml" in str(err.value)


def test_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        Pipeline.from_yaml(tmp_path / "absent.yaml")


def test_registry_build_and_unknown_option():
    stage = registry.build("exact_dedup", lowercase=False)
    assert stage.get_config() == {"lowercase": False}
    with pytest.raises(ConfigError, match="unknown option 'nope'; expected one of: lowercase"):
        registry.build("exact_dedup", nope=1)
    assert set(registry.available()) >= {
        "fix_encoding",
        "strip_boilerplate",
        "normalize_handles",
        "detect_language",
        "exact_dedup",
    }


def test_register_custom_stage():
    from corpus import Document
    from tests.stages_for_tests import registered_stages

    with registered_stages(drop_short="tests.stages_for_tests:DropShort"):  # registry.register, undone
        stage = registry.build("drop_short", min_words=2)
        assert stage(Document(id="a", text="one")) is None
        assert stage(Document(id="b", text="one two")).text == "one two"
    assert "drop_short" not in registry.available()
    with pytest.raises(ConfigError, match="unknown stage 'drop_short'"):
        registry.unregister("drop_short")


HOSTILE = ROOT / "tests" / "data" / "hostile"


@pytest.mark.parametrize(
    ("name", "line"), [("config-alias-bomb.yaml", 3), ("config-alias-bomb-hidden.yaml", 8)]
)
def test_yaml_aliases_are_refused_with_file_and_line(name, line):
    """A "billion laughs" is refused at its first alias, before anything walks the expansion."""
    with pytest.raises(ConfigError) as err:
        Pipeline.from_yaml(HOSTILE / name)
    assert f"{name}:{line}: not valid YAML: YAML aliases (*a) are not allowed" in str(err.value)


def test_anchors_without_aliases_still_load(tmp_path):
    text = BASE.replace("output: {path: build/x}", "output: &out {path: build/x}")
    assert Pipeline.from_yaml(write(tmp_path, text)).config["output"]["path"] == "build/x"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # a second output: block once replaced the first without a word
        (BASE + "output: {path: build/y}\n", "c.yaml:6: not valid YAML: 'output' is given twice"),
        (
            BASE.replace("exact_dedup: {}", "exact_dedup: {lowercase: true, lowercase: false}"),
            "c.yaml:4: not valid YAML: 'lowercase' is given twice in one mapping (first on line 4)",
        ),
    ],
)
def test_a_key_given_twice_is_refused_with_file_and_line(tmp_path, text, message):
    with pytest.raises(ConfigError) as err:
        Pipeline.from_yaml(write(tmp_path, text))
    assert message in str(err.value)


def test_the_same_key_in_two_mappings_is_fine(tmp_path):
    text = BASE.replace("exact_dedup: {}", "near_dedup: {keep: first}\n  - near_dedup: {keep: longest}")
    stages = Pipeline.from_yaml(write(tmp_path, text)).config["stages"]
    assert [s["near_dedup"]["keep"] for s in stages] == ["first", "longest"]


def test_config_not_utf8_names_file_line_and_byte_offset():
    with pytest.raises(ConfigError) as err:
        Pipeline.from_yaml(HOSTILE / "config-latin1.yaml")
    assert "config-latin1.yaml:2: not valid UTF-8 at byte offset 76 (byte 0xe9)" in str(err.value)


def test_deeply_nested_yaml_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"c\.yaml: not valid YAML: nested too deeply"):
        Pipeline.from_yaml(write(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n"))
