"""Calibration overrides: reading the committee's file, moving grades, the errors, the manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import am_analytics
from am_analytics import (
    ConfigError,
    DataValidationError,
    EvaluationConfig,
    apply_overrides,
    evaluate,
    load_evaluation_config,
    read_overrides,
)
from am_analytics.evaluation import Evaluation

SAMPLE = Path(__file__).parents[2] / "data" / "sample"
CONFIG = EvaluationConfig(sensitivity_draws=50, summary_size=3)
HEADER = "manager_id,period,grade,reason,decided_by,decided_on\n"
MOVE = "M0001,2026Q3,{grade},led the key-account rescue,committee,2026-10-12\n"


@pytest.fixture(scope="module")
def dataset() -> am_analytics.Dataset:
    return am_analytics.load(SAMPLE)


@pytest.fixture(scope="module")
def plain(dataset: am_analytics.Dataset) -> Evaluation:
    return evaluate(dataset, config=CONFIG)


def _other_grade(plain: Evaluation) -> tuple[str, str]:
    """M0001's computed grade, and another grade of the scorecard."""
    grade = plain.frames()["scores"]["grade"]
    computed = str(grade["M0001"])
    return computed, next(g for g in grade.cat.categories if g != computed)


def _file(tmp_path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    path = tmp_path / "overrides.csv"
    path.write_text(HEADER + text, encoding=encoding)
    return path


def test_override_moves_the_grade_and_the_distribution(
    dataset: am_analytics.Dataset, plain: Evaluation, tmp_path: Path
) -> None:
    computed, final = _other_grade(plain)
    overrides = read_overrides(_file(tmp_path, MOVE.format(grade=final)))
    result = evaluate(dataset, config=CONFIG, overrides=overrides)
    scores = result.frames()["scores"]
    row = scores.loc["M0001"]
    assert (row["computed_grade"], row["final_grade"], row["grade"]) == (computed, final, final)
    assert row["override_reason"] == "led the key-account rescue"
    assert row["decided_on"] == pd.Timestamp("2026-10-12")
    assert scores["override_reason"].notna().sum() == 1
    before = plain.frames()["scores"]["grade"].value_counts()
    distribution = result.frames()["grade_distribution"].set_index("grade")
    assert distribution["computed"].to_dict() == before.to_dict()
    expected = before.copy()
    expected[computed] -= 1
    expected[final] += 1
    assert distribution["final"].to_dict() == expected.to_dict()
    # the plain scores are untouched and the teams follow the final grade
    assert "computed_grade" not in plain.frames()["scores"].columns
    team = result.frames()["teams"]
    assert team[f"grade_{final}"].sum() == expected[final]


def test_manifest_lists_the_applied_overrides(
    dataset: am_analytics.Dataset, plain: Evaluation, tmp_path: Path
) -> None:
    computed, final = _other_grade(plain)
    overrides = read_overrides(_file(tmp_path, MOVE.format(grade=final)))
    result = evaluate(dataset, config=CONFIG, overrides=overrides)
    result.write(tmp_path / "report", formats=("json",))
    manifest = json.loads((tmp_path / "report" / "manifest.json").read_text("utf-8"))
    assert manifest["overrides"] == [
        {
            "manager_id": "M0001",
            "from": computed,
            "to": final,
            "reason": "led the key-account rescue",
            "decided_by": "committee",
            "decided_on": "2026-10-12",
        }
    ]


def test_gbk_file_is_read(tmp_path: Path) -> None:
    path = _file(tmp_path, "M0001,2026Q3,A,重点客户挽回,评审委员会,2026-10-12\n", encoding="gbk")
    table = read_overrides(path)
    assert table.loc[0, ["reason", "decided_by"]].tolist() == ["重点客户挽回", "评审委员会"]


def test_missing_reason_is_an_error_naming_file_row_column(tmp_path: Path) -> None:
    path = _file(tmp_path, "M0001,2026Q3,A,,committee,2026-10-12\nM0002,2026Q3,B,x,,bad\n")
    with pytest.raises(DataValidationError) as caught:
        read_overrides(path)
    message = str(caught.value)
    assert f"{path}: row 1, column reason: no reason: say why the grade moved" in message
    assert "3 problem(s)" in message
    rejects = caught.value.rejects
    assert rejects is not None
    assert rejects[["row", "column"]].values.tolist() == [
        [1, "reason"],
        [2, "decided_by"],
        [2, "decided_on"],
    ]


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "overrides.csv"
    path.write_text("manager_id,period,grade\nM0001,2026Q3,A\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"lacks the column\(s\) reason, decided_by"):
        read_overrides(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "M9999,2026Q3,A,why,committee,2026-10-12\n",
            "row 1, column manager_id: 'M9999' was not scored in 2026Q3",
        ),
        (
            "M0001,2026Q3,Z,why,committee,2026-10-12\n",
            "row 1, column grade: 'Z' is not a grade of the scorecard; the grades are",
        ),
        (
            "M0001,2026Q3,A,why,committee,2026-10-12\nM0001,2026Q3,B,why,c,2026-10-13\n",
            "row 2, column manager_id: 'M0001' has a second override for 2026Q3",
        ),
    ],
)
def test_bad_override_is_a_config_error(
    plain: Evaluation, tmp_path: Path, text: str, message: str
) -> None:
    overrides = read_overrides(_file(tmp_path, text))
    scores = plain.frames()["scores"]
    with pytest.raises(ConfigError) as caught:
        apply_overrides(scores, overrides=overrides, period="2026Q3")
    assert str(caught.value).startswith(f"{tmp_path / 'overrides.csv'}: {message}")


def test_other_period_is_set_aside_with_a_note(
    dataset: am_analytics.Dataset, plain: Evaluation, tmp_path: Path
) -> None:
    overrides = read_overrides(_file(tmp_path, "M0001,2026Q2,A,why,committee,2026-07-12\n"))
    result = evaluate(dataset, config=CONFIG, overrides=overrides)
    assert result.frames()["overrides"].empty
    assert any("1 override(s) for 2026Q2 set aside" in n for n in result.section("scores").notes)
    pd.testing.assert_series_equal(
        result.frames()["scores"]["grade"], plain.frames()["scores"]["grade"], check_dtype=False
    )


def test_config_file_path_is_relative_to_the_config(
    dataset: am_analytics.Dataset, plain: Evaluation, tmp_path: Path
) -> None:
    _, final = _other_grade(plain)
    _file(tmp_path, MOVE.format(grade=final))
    config_path = tmp_path / "evaluation.toml"
    config_path.write_text(
        '[report]\noverrides = "overrides.csv"\n[evaluation]\nsensitivity_draws = 50\n',
        encoding="utf-8",
    )
    config = load_evaluation_config(config_path)
    assert config.overrides == tmp_path / "overrides.csv"
    result = evaluate(dataset, config=config)
    assert result.frames()["scores"].loc["M0001", "grade"] == final
    assert load_evaluation_config(tmp_path / "evaluation.toml").to_dict()["overrides"] == str(
        tmp_path / "overrides.csv"
    )
