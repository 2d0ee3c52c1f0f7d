"""The commands' --engine dask and --scheduler options, on the test cluster."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import am_analytics
from am_analytics.cli import app

runner = CliRunner()


def _folders(root: Path) -> tuple[Path, Path]:
    """The same small dataset twice: sales as one file per month, and as one file."""
    frames = am_analytics.generate(n_managers=5, n_clients=40, seed=5)
    by_month, single = root / "by_month", root / "single"
    for folder in (by_month, single):
        folder.mkdir()
        for table in ("managers", "clients"):
            frames[table].to_parquet(folder / f"{table}.parquet", index=False)
    sales = frames["sales"]
    frames["sales"].to_parquet(single / "sales.parquet", index=False)
    for month, part in sales.groupby(sales["order_date"].dt.to_period("M").astype("str")):
        path = by_month / "sales" / f"month={month}" / "part-0.parquet"
        path.parent.mkdir(parents=True)
        part.to_parquet(path, index=False)
    return by_month, single


def test_segments_on_a_running_scheduler_equal_pandas(tmp_path, dask_client):
    """segments --engine dask --scheduler ADDRESS writes the same client table as pandas."""
    by_month, single = _folders(tmp_path)
    address = dask_client.scheduler.address
    common = ["--as-of", "2026-11-15"]
    on_cluster = ["--engine", "dask", "--scheduler", address]
    on_dask = runner.invoke(
        app, ["segments", str(by_month), *common, *on_cluster, "--out", str(tmp_path / "dask.csv")]
    )
    assert on_dask.exit_code == 0, on_dask.output
    in_memory = runner.invoke(
        app, ["segments", str(single), *common, "--out", str(tmp_path / "pandas.csv")]
    )
    assert in_memory.exit_code == 0, in_memory.output
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "dask.csv"), pd.read_csv(tmp_path / "pandas.csv"), rtol=1e-9
    )


def test_scheduler_without_dask_engine_exits_2(tmp_path):
    """--scheduler alone is refused with the option to add."""
    done = runner.invoke(app, ["segments", str(tmp_path), "--scheduler", "tcp://127.0.0.1:8786"])
    assert done.exit_code == 2
    assert "--scheduler needs --engine dask" in done.output


def test_unknown_engine_exits_2(tmp_path):
    """An engine other than pandas or dask is refused."""
    done = runner.invoke(app, ["segments", str(tmp_path), "--engine", "spark"])
    assert done.exit_code == 2
    assert "--engine must be pandas or dask" in done.output


@pytest.mark.parametrize(
    ("command", "named"),
    [
        (["score", "--period", "2026Q3"], "scores"),
        (["evaluate"], "scores (score_managers"),
    ],
)
def test_sections_not_distributed_yet_stop_before_loading(tmp_path, command, named):
    """score and evaluate with --engine dask name what is not distributed yet, exit 2."""
    done = runner.invoke(app, [command[0], str(tmp_path), *command[1:], "--engine", "dask"])
    assert done.exit_code == 2
    assert "not distributed yet" in done.output
    assert named in done.output


def test_evaluate_on_dask_with_the_distributed_sections(tmp_path, dask_client):
    """evaluate --engine dask runs when the configuration leaves out what is not distributed."""
    by_month, _ = _folders(tmp_path)
    config = tmp_path / "evaluation.toml"
    assert runner.invoke(app, ["config", "init", str(config)]).exit_code == 0
    text = config.read_text(encoding="utf-8")
    start = text.index("sections = [")
    end = text.index("]", start) + 1
    chosen = 'sections = ["data_quality", "segments"]'
    config.write_text(text[:start] + chosen + text[end:], encoding="utf-8")
    inputs = [str(by_month), "--config", str(config), "--as-of", "2026-11-15"]
    report = ["--format", "json", "--out", str(tmp_path / "reports")]
    cluster = ["--engine", "dask", "--scheduler", dask_client.scheduler.address]
    done = runner.invoke(app, ["evaluate", *inputs, *report, *cluster])
    assert done.exit_code == 0, done.output
    assert "scores: not evaluated" in done.output
    assert any((tmp_path / "reports").rglob("*.json"))
