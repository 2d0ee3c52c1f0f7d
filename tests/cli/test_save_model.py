"""--save-model: the saved models score one manager or client as the written tables do."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from am_analytics import load, read_model
from am_analytics.cli import EXIT_OK, EXIT_UNUSABLE, app
from am_analytics.cli._app import _Commands
from am_analytics.io._writing import write_csv
from am_analytics.model_file import input_hashes
from am_analytics.sample import sample_dir
from am_analytics.scoring import FittedScorecard, score_managers
from am_analytics.segments import ClientModel, client_features, rfm_summary

runner = CliRunner()
AS_OF = "2026-11-15"


def test_the_saved_manager_model_scores_each_manager_as_the_table(tmp_path: Path) -> None:
    """score_one of each scored manager's values gives the score and grade of scores.csv."""
    table, model = tmp_path / "scores.csv", tmp_path / "managers.model.json"
    result = runner.invoke(
        app,
        ["score", str(sample_dir()), "--period", "2026Q3", "--as-of", AS_OF,
         "--out", str(table), "--save-model", str(model)],
    )  # fmt: skip
    assert result.exit_code == EXIT_OK, result.output
    assert f"manager model written to {model}" in result.output
    saved = read_model(model, kind="manager_model")
    assert saved.fitted_on == {"period": "2026Q3", "as_of": AS_OF}
    assert saved.inputs == input_hashes(sample_dir())
    assert isinstance(saved.model, FittedScorecard)
    scores = pd.read_csv(table, encoding="utf-8-sig", index_col="manager_id")
    scored = scores[scores["score"].notna()]
    assert len(scored) == 38
    # the metric values as computed: the CSV's 15 significant digits can move a
    # value off a tie with itself, which a rank-based normalisation sees
    values = score_managers(load(sample_dir(), as_of=AS_OF), period="2026Q3", as_of=AS_OF)
    for manager_id, row in scored.iterrows():
        record = {m: values.loc[manager_id, f"{m}_value"] for m in saved.model.scorecard.metrics}
        one = saved.model.score_one(record)
        assert one["score"] == pytest.approx(row["score"], abs=1e-9), manager_id
        assert one["grade"] == row["grade"], manager_id


def test_the_saved_client_model_places_each_client_as_the_segments_file(
    tmp_path: Path,
) -> None:
    """transform of every client, written by the same writer, equals the rows of --out."""
    table, model = tmp_path / "clients.csv", tmp_path / "clients.model.json"
    result = runner.invoke(
        app,
        ["segments", str(sample_dir()), "--as-of", AS_OF, "--out", str(table),
         "--save-model", str(model)],
    )  # fmt: skip
    assert result.exit_code == EXIT_OK, result.output
    saved = read_model(model, kind="client_model")
    assert saved.fitted_on == {"as_of": AS_OF}
    assert isinstance(saved.model, ClientModel)
    data = load(sample_dir(), as_of=AS_OF)
    inputs = ClientModel.inputs(
        client_features(data.sales, as_of=AS_OF), rfm_summary(data.sales, as_of=AS_OF)
    )
    placed = saved.model.transform(inputs, as_of=AS_OF)
    write_csv(placed, tmp_path / "placed.csv")
    written = pd.read_csv(table, encoding="utf-8-sig", index_col="client_id", dtype=str)
    again = pd.read_csv(tmp_path / "placed.csv", encoding="utf-8-sig", index_col="client_id",
                        dtype=str)  # fmt: skip
    assert len(again) == 1852
    pd.testing.assert_frame_equal(again, written.loc[again.index, again.columns])


def test_a_save_model_path_that_is_a_table_of_the_input_is_refused(tmp_path: Path) -> None:
    """--save-model data/sales.csv would be read as the sales table: exit 2, nothing written."""
    data = Path(shutil.copytree(sample_dir(), tmp_path / "data"))
    before = (data / "sales.csv").read_bytes()
    result = runner.invoke(app, ["segments", str(data), "--save-model", str(data / "sales.csv")])
    assert result.exit_code == EXIT_UNUSABLE
    assert "would be read as the sales table" in result.output
    assert (data / "sales.csv").read_bytes() == before


def test_a_newer_model_format_is_refused_with_exit_2_and_the_message(tmp_path: Path) -> None:
    """A command reading a model file from a newer library exits 2 saying to upgrade."""
    model = tmp_path / "managers.model.json"
    runner.invoke(
        app,
        ["score", str(sample_dir()), "--period", "2026Q3", "--as-of", AS_OF,
         "--save-model", str(model)],
    )  # fmt: skip
    document = json.loads(model.read_text(encoding="utf-8"))
    document.update(format_version=2, library_version="9.0.0")
    model.write_text(json.dumps(document), encoding="utf-8")
    # the commands' error handling, around a command that loads a model file
    reader = typer.Typer(cls=_Commands)

    @reader.command()
    def check(path: Path) -> None:
        read_model(path, kind="manager_model")

    @reader.command()
    def other() -> None:  # a group of two, so the command is named as in the app
        """A second command."""

    result = runner.invoke(reader, ["check", str(model)])
    assert result.exit_code == EXIT_UNUSABLE
    assert "written by am_analytics 9.0.0 with model format 2" in result.output
    assert "reads up to 1: upgrade am_analytics" in result.output
