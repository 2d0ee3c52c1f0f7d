"""The evaluation configuration file: default, overrides, unknown keys, bad values, sections."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from am_analytics import EvaluationConfig, evaluate, load_evaluation_config, load_sample
from am_analytics.config import read_packaged_toml
from am_analytics.errors import ConfigError
from am_analytics.evaluation import default_config_text
from am_analytics.evaluation._config import SECTIONS
from am_analytics.evaluation._evaluate import LEFT_OUT
from am_analytics.evaluation._stages import STAGES
from am_analytics.goals import StatusThresholds

DOCS = Path(__file__).parents[2] / "docs" / "configuration.md"


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "evaluation.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_file_round_trips(tmp_path: Path) -> None:
    """The shipped file loads to the default configuration."""
    assert load_evaluation_config(_file(tmp_path, default_config_text())) == EvaluationConfig()
    assert load_evaluation_config(_file(tmp_path, "")) == EvaluationConfig()


def test_partial_file_overrides_only_its_keys(tmp_path: Path) -> None:
    """A user file changes its keys; everything else stays the default."""
    text = '[report]\nlanguage = "en"\n[goals.thresholds]\nahead = 1.2\n[sla]\nhigh = 8\n'
    config = load_evaluation_config(_file(tmp_path, text))
    default = EvaluationConfig()
    assert config.language == "en" and config.summary_size == default.summary_size
    assert config.attainment.thresholds == StatusThresholds(ahead=1.2)
    assert config.attainment.freq == default.attainment.freq
    assert config.sla.high == 8.0 and config.sla.medium == default.sla.medium
    assert config.segment_rules == default.segment_rules
    settings = config.to_dict()
    assert settings["language"] == "en" and settings["sla"]["high"] == 8.0


def test_changed_scorecard_is_kept(tmp_path: Path) -> None:
    """A scorecard file pasted in replaces the default scorecard."""
    text = '[scorecard]\nweighting = "equal"\n[[criteria]]\nmetric = "sales_amount"\n'
    card = load_evaluation_config(_file(tmp_path, text)).scorecard
    assert card is not None
    assert card.weighting == "equal" and [c.metric for c in card.criteria] == ["sales_amount"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[reprot]\nlanguage = "en"\n',
            "unknown section [reprot]; did you mean 'report'? the sections are [adjustments], ",
        ),
        (
            "[report]\nsumary_size = 3\n",
            "unknown key 'sumary_size' in [report]; did you mean 'summary_size'? "
            "the keys of [report] are language, overrides, sections, summary_size",
        ),
        ('[report]\nlanguage = "fr"\n', "[report] language must be one of zh, en, not 'fr'"),
        (
            "[report]\nsummary_size = 0\n",
            "[report] summary_size must be a whole number of at least 1, not 0",
        ),
        (
            '[[criteria]]\nmetric = "sales_amount"\nweight = "heavy"\n',
            "[scorecard] criterion 'sales_amount': weight must be a finite number, not 'heavy'",
        ),
        (
            '[report]\nsections = ["scores", "goal"]\n',
            "[report] sections has unknown name(s) ['goal']; the sections are data_quality, ",
        ),
        (
            '[report]\nsections = ["teams"]\n',
            "[report] sections lists 'teams' without 'scores'",
        ),
        (
            '[goals]\nseasonal = "yes"\n',
            'goals.seasonal must be true or false (the default is true), not "yes"',
        ),
        ("[evaluation]\nsensitivity_draws = 0\n", "[evaluation] sensitivity_draws must be"),
    ],
)
def test_bad_file_names_key_value_and_fix(tmp_path: Path, text: str, message: str) -> None:
    """Each mistake is a ConfigError naming the file, the key and the value."""
    path = _file(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_evaluation_config(path)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_sections_match_the_stages() -> None:
    """The configuration knows exactly the evaluation's sections."""
    assert tuple(stage.name for stage in STAGES) == SECTIONS


def test_docs_describe_every_key() -> None:
    """Every section and key of the shipped file is named in docs/configuration.md."""
    docs = DOCS.read_text(encoding="utf-8")
    default = read_packaged_toml("am_analytics.evaluation", "default_config.toml")
    free = {"segments", "competencies", "distribution", "when"}  # user-chosen names inside
    missing = []
    for section, body in default.items():
        if f"[{section}]" not in docs and f"[[{section}]]" not in docs:
            missing.append(section)
        entries = body if isinstance(body, list) else [body]
        for entry in entries:
            for key in entry:
                if f"`{key}`" not in docs:
                    missing.append(f"{section}.{key}")
                if isinstance(entry[key], dict) and key not in free:
                    missing += [f"{key}.{k}" for k in entry[key] if f"`{k}`" not in docs]
    assert missing == []


def test_left_out_sections_are_absent(tmp_path: Path) -> None:
    """With sections = ["scores", "goals"], only those are computed; the rest are left out."""
    text = '[report]\nsections = ["scores", "goals"]\n[evaluation]\nsensitivity_draws = 50\n'
    evaluation = evaluate(load_sample(), config=load_evaluation_config(_file(tmp_path, text)))
    present = {s.name for s in evaluation.sections if s.absent_reason is None}
    assert present == {"scores", "goals"}
    reasons = {s.name: s.absent_reason for s in evaluation.sections}
    assert [name for name, reason in reasons.items() if reason == LEFT_OUT] == [
        name for name in SECTIONS if name not in present
    ]
    assert re.search("left out by the configuration", LEFT_OUT)
