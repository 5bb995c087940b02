"""evaluation.yaml: the schema, its error messages with YAML paths, and safe YAML reading."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import REPO, write_yaml
from toolkit.errors import ConfigError
from toolkit.evaluations.loader import charter_hash, format_location, load_evaluation

EXAMPLE = REPO / "evaluations" / "example-hypertension" / "evaluation.yaml"


def _with(tmp_path, mutate):
    data = yaml.safe_load(EXAMPLE.read_text())
    mutate(data)
    write_yaml(tmp_path / "ev" / "evaluation.yaml", yaml.safe_dump(data, sort_keys=False))
    return tmp_path / "ev"


def _messages(exc: ConfigError) -> list[str]:
    return [str(p) for p in exc.problems]


def test_example_loads():
    ev = load_evaluation(EXAMPLE.parent)
    assert ev.name == "example-hypertension"
    assert ev.config.charter.goals[0].id == "bp-recording-core20"
    assert ev.config.imd_vintage == 2025


def test_wrong_type_names_the_yaml_path(tmp_path):
    folder = _with(tmp_path, lambda d: d["charter"]["goals"][1].__setitem__("target", "ten"))
    with pytest.raises(ConfigError) as info:
        load_evaluation(folder)
    assert 'charter.goals[1].target: expected a number, got "ten"' in _messages(info.value)


def test_every_problem_is_listed_at_once(tmp_path):
    def mutate(d):
        d["charter"]["goals"][0]["direction"] = "up"
        d["charter"]["period"]["start"] = "last spring"
        del d["charter"]["problem"]
        d["charter"]["colour"] = "blue"

    with pytest.raises(ConfigError) as info:
        load_evaluation(_with(tmp_path, mutate))
    text = "\n".join(_messages(info.value))
    assert "charter.goals[0].direction: expected one of 'increase' or 'decrease', got \"up\"" in text
    assert 'charter.period.start: expected a date written YYYY-MM-DD, got "last spring"' in text
    assert "charter.problem: required field is missing" in text
    assert "charter.colour: unknown key" in text
    assert len(info.value.problems) == 4


def test_unknown_key_suggests_the_right_one(tmp_path):
    folder = _with(tmp_path, lambda d: d["charter"].__setitem__("goalz", []))
    with pytest.raises(ConfigError) as info:
        load_evaluation(folder)
    assert any("charter.goalz: unknown key. Fix: did you mean 'goals'?" == m for m in _messages(info.value))


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="No evaluation.yaml"):
        load_evaluation(tmp_path)


def test_yaml_syntax_error_gives_line(tmp_path):
    write_yaml(tmp_path / "evaluation.yaml", "charter:\n  title: [unclosed\n  scheme: x\n")
    with pytest.raises(ConfigError) as info:
        load_evaluation(tmp_path)
    assert "line" in str(info.value) and "not valid YAML" in str(info.value)


def test_duplicate_keys_are_errors(tmp_path):
    write_yaml(tmp_path / "evaluation.yaml", "schema_version: 1\nschema_version: 1\n")
    with pytest.raises(ConfigError, match="duplicate key 'schema_version'"):
        load_evaluation(tmp_path)


def test_zero_padded_codes_stay_text(tmp_path):
    def mutate(d):
        d["stages"][0]["parameters"] = {"code": "PLACEHOLDER"}

    folder = _with(tmp_path, mutate)
    path = folder / "evaluation.yaml"
    path.write_text(path.read_text().replace("PLACEHOLDER", "001"))
    ev = load_evaluation(folder)
    assert ev.config.stages[0].parameters["code"] == "001"


def test_imd_vintage_must_be_known(tmp_path):
    folder = _with(tmp_path, lambda d: d.__setitem__("imd_vintage", 2015))
    with pytest.raises(ConfigError) as info:
        load_evaluation(folder)
    assert any(m.startswith("imd_vintage: expected one of 2019 or 2025") for m in _messages(info.value))


def test_charter_hash_ignores_formatting_but_not_content():
    a = {"title": "x", "goals": [{"id": "a", "target": 1}]}
    b = {"goals": [{"target": 1, "id": "a"}], "title": "x"}
    assert charter_hash(a) == charter_hash(b)
    assert charter_hash(a) != charter_hash({**a, "title": "y"})


def test_format_location():
    assert format_location(("charter", "goals", 1, "target")) == "charter.goals[1].target"


def test_multiplicity_defaults_to_holm_and_accepts_bh(tmp_path):
    assert load_evaluation(EXAMPLE.parent).config.charter.multiplicity == "holm"
    folder = _with(tmp_path, lambda d: d["charter"].__setitem__("multiplicity", "BH"))
    assert load_evaluation(folder).config.charter.multiplicity == "bh"


@pytest.mark.parametrize("written, meant", [("hlom", "holm"), ("fdr", "bh"), ("benjamini-hochberg", "bh")])
def test_unknown_multiplicity_is_refused_with_did_you_mean(tmp_path, written, meant):
    folder = _with(tmp_path, lambda d: d["charter"].__setitem__("multiplicity", written))
    with pytest.raises(ConfigError) as info:
        load_evaluation(folder)
    (message,) = [m for m in _messages(info.value) if m.startswith("charter.multiplicity")]
    assert "'holm'" in message and "'bh'" in message and f"did you mean '{meant}'?" in message, message
