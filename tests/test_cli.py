"""The am-analytics command line: output, files written and exit codes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from am_analytics.cli import EXIT_OK, EXIT_REJECTS, EXIT_UNUSABLE, app
from am_analytics.sample import sample_dir
from conftest import tiny_tables

runner = CliRunner()


def write_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_validate_clean_sample_exits_0() -> None:
    """The committed sample is valid: exit 0 and a table of counts."""
    result = runner.invoke(app, ["validate", str(sample_dir()), "--as-of", "2026-11-15"])
    assert result.exit_code == EXIT_OK, result.output
    assert "20,203" in result.output and "all rows valid" in result.output


def test_validate_with_rejects_exits_1_and_writes_them(tmp_path: Path) -> None:
    """Bad rows: exit 1, the reason on screen, every reject in the --rejects file."""
    tables = tiny_tables()
    tables["sales"].loc[1, "amount"] = "lots"
    tables["sales"].loc[3, "client_id"] = "C404"
    folder = write_tables(tmp_path / "data", tables)
    out = tmp_path / "out" / "rejects.csv"
    result = runner.invoke(
        app, ["validate", str(folder), "--as-of", "2026-11-15", "--rejects", str(out)]
    )
    assert result.exit_code == EXIT_REJECTS, result.output
    assert "2 rows rejected" in result.output
    assert "cannot read 'lots' as a number" in result.output
    written = pd.read_csv(out, encoding="utf-8-sig")
    assert written[["source", "row", "column"]].values.tolist() == [
        ["sales.csv", 2, "amount"],
        ["sales.csv", 4, "client_id"],
    ]


def test_keep_orphans_option(tmp_path: Path) -> None:
    """--keep-orphans keeps rows with unknown ids, so the data is clean."""
    tables = tiny_tables()
    tables["sales"].loc[3, "client_id"] = "C404"
    folder = write_tables(tmp_path, tables)
    result = runner.invoke(
        app, ["validate", str(folder), "--as-of", "2026-11-15", "--keep-orphans"]
    )
    assert result.exit_code == EXIT_OK, result.output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.pop("sales"), "required tables missing: sales"),
        (lambda t: t["clients"].pop("manager_id"), "'manager_id' not found"),
    ],
)
def test_unusable_input_exits_2(tmp_path: Path, change: object, message: str) -> None:
    """A missing table or required column: exit 2 with the reason."""
    tables = tiny_tables()
    change(tables)  # type: ignore[operator]
    result = runner.invoke(app, ["validate", str(write_tables(tmp_path, tables))])
    assert result.exit_code == EXIT_UNUSABLE
    assert message in result.output


def test_validate_bad_as_of_exits_2(tmp_path: Path) -> None:
    """An unreadable --as-of is a usage problem, not a crash."""
    folder = write_tables(tmp_path, tiny_tables())
    result = runner.invoke(app, ["validate", str(folder), "--as-of", "someday"])
    assert result.exit_code == EXIT_UNUSABLE
    assert "as_of" in result.output


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_sample_writes_a_loadable_folder(tmp_path: Path, fmt: str) -> None:
    """`sample` writes all nine tables, which validate cleanly."""
    out = tmp_path / "org"
    args = ["sample", "--out", str(out), "--managers", "10", "--clients", "200", "--seed", "3"]
    result = runner.invoke(app, [*args, "--format", fmt])
    assert result.exit_code == EXIT_OK, result.output
    assert len(list(out.glob(f"*.{fmt}"))) == 9
    check = runner.invoke(app, ["validate", str(out), "--as-of", "2026-11-15"])
    assert check.exit_code == EXIT_OK, check.output


def test_sample_bad_arguments_exit_2(tmp_path: Path) -> None:
    """Fewer clients than managers is refused with the reason."""
    result = runner.invoke(
        app, ["sample", "--out", str(tmp_path), "--managers", "50", "--clients", "10"]
    )
    assert result.exit_code == EXIT_UNUSABLE
    assert "clients" in result.output


def test_help_explains_the_commands() -> None:
    """--help lists both commands and validate's exit codes."""
    top = runner.invoke(app, ["--help"])
    assert "validate" in top.output and "sample" in top.output
    validate = runner.invoke(app, ["validate", "--help"])
    assert "Exits 0 when every row is valid" in validate.output


def test_score_prints_ranked_managers_and_writes_the_table(tmp_path: Path) -> None:
    """`score` ranks the sample's managers, grades them 271 and writes the full table."""
    out = tmp_path / "scores.csv"
    result = runner.invoke(
        app,
        [
            "score",
            str(sample_dir()),
            "--period",
            "2026Q3",
            "--as-of",
            "2026-11-15",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == EXIT_OK, result.output
    written = pd.read_csv(out, encoding="utf-8-sig", index_col="manager_id")
    assert written["rank"].tolist() == sorted(written["rank"].tolist())
    assert set(written["grade"]) == {"A", "B", "C"}
    assert written.index[0] in result.output and "Managers, 2026Q3" in result.output


def test_score_with_a_bad_scorecard_exits_2(tmp_path: Path) -> None:
    """A scorecard naming an unknown metric is reported, with exit code 2."""
    card = tmp_path / "card.toml"
    card.write_text('[[criteria]]\nmetric = "revenue"\nweight = 1\n', encoding="utf-8")
    result = runner.invoke(
        app, ["score", str(sample_dir()), "--period", "2026Q3", "--scorecard", str(card)]
    )
    assert result.exit_code == EXIT_UNUSABLE
    assert "unknown metric 'revenue'" in result.output


def test_segments_prints_the_segments_and_writes_both_tables(tmp_path: Path) -> None:
    """`segments` shows every segment's clients and writes clients and portfolios."""
    clients, managers = tmp_path / "clients.csv", tmp_path / "managers.csv"
    result = runner.invoke(
        app,
        [
            "segments",
            str(sample_dir()),
            "--as-of",
            "2026-11-15",
            "--out",
            str(clients),
            "--portfolios",
            str(managers),
        ],
    )
    assert result.exit_code == EXIT_OK, result.output
    assert "Champions" in result.output and "Can't Lose" in result.output
    table = pd.read_csv(clients, encoding="utf-8-sig", index_col="client_id")
    book = pd.read_csv(managers, encoding="utf-8-sig", index_col="manager_id")
    assert len(table) == 1852 and book["clients"].sum() == 2000  # 148 clients never bought
    assert {"segment", "tier", "expected_value", "next_action_zh"} <= set(table.columns)
