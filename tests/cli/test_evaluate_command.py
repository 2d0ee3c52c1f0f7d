"""am-analytics evaluate: the period it chooses, the summary, the report folder, exit codes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from am_analytics import EvaluationConfig, evaluate, load_sample
from am_analytics.cli import EXIT_OK, EXIT_REJECTS, EXIT_UNUSABLE, app
from am_analytics.sample import sample_dir

runner = CliRunner()


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("evaluate") / "reports"


@pytest.fixture(scope="module")
def sample_run(reports: Path) -> Result:
    """The command on the sample with every default but --out, run once for the module."""
    return runner.invoke(app, ["evaluate", str(sample_dir()), "--out", str(reports)])


def test_sample_exits_0_and_says_what_it_chose(sample_run: Result) -> None:
    """The sample is clean; as_of is the last sale date, the period the quarter before it."""
    assert sample_run.exit_code == EXIT_OK, sample_run.output
    assert "as of 2026-11-15, the last sale date" in sample_run.output
    assert "period 2026Q3, the last quarter complete on 2026-11-15" in sample_run.output
    assert "no rows rejected" in sample_run.output
    assert "\n\n" not in sample_run.output  # off a terminal the progress bar draws nothing


def test_summary_counts_match_the_library(sample_run: Result) -> None:
    """Managers scored, grade counts, top and bottom three are those of evaluate()."""
    scores = evaluate(load_sample(), config=EvaluationConfig(sensitivity_draws=100)).frames()[
        "scores"
    ]
    ranked = scores[scores["score"].notna()].sort_values("rank")
    grades = ranked["grade"].value_counts(sort=False)
    expected = ", ".join(f"{grade} {n}" for grade, n in grades.items() if n)
    assert f"2026Q3: {len(ranked)} managers scored; grades {expected}" in sample_run.output
    top = re.search(r"^top 3: (.*)$", sample_run.output, re.MULTILINE)
    bottom = re.search(r"^bottom 3: (.*)$", sample_run.output, re.MULTILINE)
    assert top is not None and bottom is not None
    assert [part.split()[0] for part in top.group(1).split(", ")] == list(ranked.index[:3])
    assert [part.split()[0] for part in bottom.group(1).split(", ")] == list(ranked.index[-3:])
    assert top.group(1).startswith("M0020 闫浩然 85.5")


def test_report_is_written_under_the_period(sample_run: Result, reports: Path) -> None:
    """OUT/2026Q3 holds the HTML and Excel report, a CSV per frame, the JSON and the manifest."""
    folder = reports / "2026Q3"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["period"], manifest["as_of"]) == ("2026Q3", "2026-11-15")
    assert sorted(p.name for p in folder.iterdir()) == sorted(manifest["files"])
    assert {
        "report.html",
        "evaluation.xlsx",
        "scores.csv",
        "evaluation.json",
        "manifest.json",
    } <= set(manifest["files"])
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and 'id="manager-M0020"' in page
    assert f"report written to {folder} ({len(manifest['files'])} files)" in sample_run.output


def test_manager_writes_that_managers_view(sample_run: Result, tmp_path: Path) -> None:
    """--manager M0020 writes its card, and its rows of every per-manager frame as CSV and JSON."""
    out = tmp_path / "reports"
    options = ["--out", str(out), "--manager", "M0020", "--format", "html,csv,json"]
    result = runner.invoke(app, ["evaluate", str(sample_dir()), *options])
    assert result.exit_code == EXIT_OK, result.output
    folder = out / "2026Q3-M0020"
    scores = pd.read_csv(folder / "scores.csv", encoding="utf-8-sig")
    assert scores[["manager_id", "grade", "rank"]].values.tolist() == [["M0020", "A", 1]]
    document = json.loads((folder / "manager.json").read_text(encoding="utf-8"))
    assert (document["manager_id"], document["period"]) == ("M0020", "2026Q3")
    assert sorted(f"{name}.csv" for name in document["frames"]) == sorted(
        p.name for p in folder.glob("*.csv")
    )
    card = (folder / "card.html").read_text(encoding="utf-8")
    assert re.findall(r'id="manager-(M\d+)"', card) == ["M0020"]
    assert not (out / "2026Q3" / "manifest.json").exists()  # only the manager's view


def test_unknown_manager_exits_2(tmp_path: Path) -> None:
    """--manager NOPE: the library's message, exit 2, nothing written."""
    out = tmp_path / "reports"
    result = runner.invoke(
        app, ["evaluate", str(sample_dir()), "--out", str(out), "--manager", "NOPE"]
    )
    assert result.exit_code == EXIT_UNUSABLE, result.output
    assert "error: manager 'NOPE' was not evaluated in 2026Q3" in result.output
    assert not out.exists()


def test_unknown_format_exits_2_before_any_work(tmp_path: Path) -> None:
    """--format pdf: exit 2 naming the known formats, before loading; no folder created."""
    out = tmp_path / "reports"
    result = runner.invoke(
        app, ["evaluate", str(sample_dir()), "--out", str(out), "--format", "csv,pdf"]
    )
    assert result.exit_code == EXIT_UNUSABLE, result.output
    assert "unknown --format 'pdf'; the formats known are html, xlsx, csv, json" in result.output
    assert "as of" not in result.output  # the data was not even read
    assert not out.exists()


def test_period_without_sales_exits_2_with_the_data_range(tmp_path: Path) -> None:
    """--period 2019Q1 is before the sample's sales: exit 2 saying when the sales run."""
    out = tmp_path / "reports"
    result = runner.invoke(
        app, ["evaluate", str(sample_dir()), "--out", str(out), "--period", "2019Q1"]
    )
    assert result.exit_code == EXIT_UNUSABLE, result.output
    assert "no sales in 2019Q1" in result.output
    assert "the sales run from 2024-01-01 to 2026-11-15" in result.output
    assert not out.exists()


def test_output_inside_the_data_is_refused(tmp_path: Path) -> None:
    """The data folder is OUT/PERIOD itself: refused with exit 2, the data left as it was."""
    data = tmp_path / "reports" / "2026Q3"
    shutil.copytree(sample_dir(), data)
    result = runner.invoke(app, ["evaluate", str(data), "--out", str(tmp_path / "reports")])
    assert result.exit_code == EXIT_UNUSABLE, result.output
    assert "holds the input" in result.output
    assert sorted(p.name for p in data.iterdir()) == sorted(p.name for p in sample_dir().iterdir())


def test_rejected_row_exits_1_and_writes_the_report(tmp_path: Path) -> None:
    """A sale whose amount is not a number is rejected: the report is written, exit 1."""
    data = tmp_path / "data"
    shutil.copytree(sample_dir(), data)
    with (data / "sales.csv").open("a", encoding="utf-8") as sales:
        sales.write("SO99999999,C000041,M0028,2026-08-01,lots,企业云服务,渠道伙伴\n")
    out = tmp_path / "reports"
    result = runner.invoke(app, ["evaluate", str(data), "--out", str(out), "--as-of", "2026-11-15"])
    assert result.exit_code == EXIT_REJECTS, result.output
    assert "1 row rejected" in result.output
    assert "as of 2026-11-15\n" in result.output
    manifest = json.loads((out / "2026Q3" / "manifest.json").read_text(encoding="utf-8"))
    sales = next(entry for entry in manifest["inputs"] if entry["table"] == "sales")
    assert sales["rows_rejected"] == 1
    assert sales["rows_read"] == sales["rows_kept"] + 1


def test_overrides_move_a_grade_and_show_before_and_after(tmp_path: Path) -> None:
    """--overrides: the summary shows the grades before and after, the manifest the override."""
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(
        "manager_id,period,grade,reason,decided_by,decided_on\n"
        "M0020,2026Q3,B,moved after the review,committee,2026-10-12\n",
        encoding="utf-8",
    )
    out = tmp_path / "reports"
    args = ["evaluate", str(sample_dir()), "--out", str(out), "--overrides", str(overrides)]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_OK, result.output
    assert "grades before -> after the overrides: A " in result.output
    manifest = json.loads((out / "2026Q3" / "manifest.json").read_text("utf-8"))
    assert [(o["manager_id"], o["from"], o["to"]) for o in manifest["overrides"]] == [
        ("M0020", "A", "B")
    ]


def test_override_without_reason_exits_2(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(
        "manager_id,period,grade,reason,decided_by,decided_on\nM0020,2026Q3,B,,c,2026-10-12\n",
        encoding="utf-8",
    )
    args = [
        "evaluate",
        str(sample_dir()),
        "--out",
        str(tmp_path / "r"),
        "--overrides",
        str(overrides),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_UNUSABLE
    assert "row 1, column reason: no reason" in result.output
    assert not (tmp_path / "r").exists()


def test_lang_en_writes_the_english_report(tmp_path: Path) -> None:
    """--lang en: the HTML is English; --lang fr exits 2 before loading."""
    out = tmp_path / "reports"
    args = ["evaluate", str(sample_dir()), "--out", str(out), "--format", "html"]
    result = runner.invoke(app, [*args, "--lang", "en"])
    assert result.exit_code == EXIT_OK, result.output
    page = (out / "2026Q3" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "Account manager quarterly evaluation" in page
    refused = runner.invoke(app, [*args, "--lang", "fr", "--out", str(tmp_path / "fr")])
    assert refused.exit_code == EXIT_UNUSABLE, refused.output
    assert "report language must be one of zh, en, not 'fr'" in refused.output
    assert "as of" not in refused.output and not (tmp_path / "fr").exists()


def test_config_file_sets_the_report(tmp_path: Path) -> None:
    """--config: the language and sections of the file are used; a bad key exits 2."""
    config = tmp_path / "evaluation.toml"
    config.write_text(
        '[report]\nlanguage = "en"\nsections = ["data_quality", "scores"]\n', encoding="utf-8"
    )
    out = tmp_path / "reports"
    args = ["evaluate", str(sample_dir()), "--out", str(out), "--format", "html,json"]
    result = runner.invoke(app, [*args, "--config", str(config)])
    assert result.exit_code == EXIT_OK, result.output
    page = (out / "2026Q3" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page
    assert "left out by the configuration (report.sections)" in page
    config.write_text('[report]\nlangauge = "en"\n', encoding="utf-8")
    bad = runner.invoke(app, [*args, "--config", str(config)])
    assert bad.exit_code == EXIT_UNUSABLE, bad.output
    assert "unknown key 'langauge' in [report]" in bad.output
