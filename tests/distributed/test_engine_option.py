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


def test_score_on_a_local_cluster_of_its_own_equals_pandas(tmp_path, monkeypatch):
    """score --engine dask alone starts a local cluster for the command: the pandas scores.

    First in the module: no test cluster is running yet, so the command's own is used.
    """
    distributed = pytest.importorskip("distributed")
    started = []

    def recorded(*args, **kwargs):
        started.append(kwargs)
        return local_cluster(*args, **kwargs)

    local_cluster = distributed.LocalCluster
    monkeypatch.setattr(distributed, "LocalCluster", recorded)
    by_month, single = _folders(tmp_path)
    common = ["--period", "2026Q3", "--as-of", "2026-11-15"]
    for folder, options in ((by_month, ["--engine", "dask"]), (single, [])):
        out = ["--out", str(tmp_path / f"{folder.name}.csv")]
        done = runner.invoke(app, ["score", str(folder), *common, *out, *options])
        assert done.exit_code == 0, done.output
    assert len(started) == 1 and started[0]["processes"]  # worker processes, sized by default
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "by_month.csv"), pd.read_csv(tmp_path / "single.csv"), rtol=1e-9
    )


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


def test_evaluate_on_dask_writes_the_pandas_report(tmp_path, dask_client):
    """evaluate --engine dask writes every CSV of the pandas report, with the same numbers."""
    by_month, single = _folders(tmp_path)
    common = ["--as-of", "2026-11-15", "--format", "csv"]
    cluster = ["--engine", "dask", "--scheduler", dask_client.scheduler.address]
    for folder, options in ((by_month, cluster), (single, [])):
        out = ["--out", str(tmp_path / f"reports-{folder.name}")]
        done = runner.invoke(app, ["evaluate", str(folder), *common, *out, *options])
        assert done.exit_code == 0, done.output
    on_dask = sorted((tmp_path / "reports-by_month").rglob("*.csv"))
    in_memory = sorted((tmp_path / "reports-single").rglob("*.csv"))
    assert [p.name for p in on_dask] == [p.name for p in in_memory]
    assert any(p.name.startswith("scores") for p in on_dask)
    for got, expected in zip(on_dask, in_memory, strict=True):
        # the data-quality table describes the files read (a sales/ folder, or sales.parquet)
        files = ["source", "sha256", "notes"] if got.name.startswith("data_quality") else []
        pd.testing.assert_frame_equal(
            pd.read_csv(got).drop(columns=files),
            pd.read_csv(expected).drop(columns=files),
            rtol=1e-9,
            obj=got.name,
        )
