"""``am-analytics score``: rank and grade every manager of one period."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ._engine import cluster_for
from ._options import AnalysisAsOf, CacheOption, DataFolder, EngineOption, SchedulerOption
from ._output import (
    REPLACED,
    analysis_date,
    check_output_files,
    console,
    status,
    today,
    warnings_shown,
    write_csv,
)

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from ..dataset import Dataset


def score(
    directory: DataFolder,
    period: Annotated[str, typer.Option(help="Period to evaluate: 2026Q3, 2026-07 or 2026.")],
    scorecard: Annotated[
        Path | None,
        typer.Option(help="Scorecard TOML file. Default: the shipped default scorecard."),
    ] = None,
    as_of: AnalysisAsOf = None,
    engine: EngineOption = "pandas",
    scheduler: SchedulerOption = None,
    cache: CacheOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Write the full scored table to this CSV file (an existing file is replaced; "
            "a table file of DIRECTORY is refused)."
        ),
    ] = None,
    save_model: Annotated[
        Path | None,
        typer.Option(
            "--save-model",
            help="Write the scorecard fitted on PERIOD to this model file (JSON, with the "
            "period, --as-of and the SHA-256 of the input files), for a scoring service.",
        ),
    ] = None,
) -> None:
    """Score every manager of one period: rank, grade, and what lifted or held back each.

    Loads DIRECTORY, computes the metrics of PERIOD, fits the scorecard on that
    period's active managers and scores them, measured to --as-of (default:
    the last sale date). Managers without a sale in the period are listed
    unscored; those who have left are named. Rows rejected while loading are
    left out (run `validate` to see them). --save-model writes the fitted
    scorecard, which scores one manager as the table does. Exits 0 on success, 2 when the
    input or the scorecard cannot be used or the period has no sales.
    """
    from ..dataset import load
    from ..scoring import default_scorecard, load_scorecard, score_managers

    screen = console()
    check_output_files([out, save_model], inputs=[directory, scorecard])
    card = load_scorecard(scorecard) if scorecard is not None else default_scorecard()
    with cluster_for(engine, scheduler) as chosen:
        with status(f"Reading and validating {directory} ..."):
            data = load(directory, as_of=as_of or today(), engine=chosen, cache=cache)
        when = analysis_date(screen, data, as_of)
        with status(f"Scoring {period} ..."), warnings_shown(screen):
            table = score_managers(
                data, period=period, scorecard=card if scorecard is not None else None, as_of=when
            )
        _print_scores(screen, table, period)
        _print_left_out_managers(screen, table, data, period)
        if out is not None:
            write_csv(screen, table, out, "managers")
        if save_model is not None:
            _save_manager_model(
                screen, data, save_model, period=period, scorecard=scorecard, as_of=when
            )


def _save_manager_model(
    screen: Console,
    data: Dataset,
    path: Path,
    *,
    period: str,
    scorecard: Path | None,
    as_of: pd.Timestamp,
) -> None:
    """Write the scorecard the table was scored with, and what it was fitted on."""
    from ..io.files import sha256_of
    from ..model_file import input_hashes, write_model
    from ..periods import to_period
    from ..scoring import fit_scorecard, load_scorecard

    card = load_scorecard(scorecard) if scorecard is not None else None
    # the same fit as the table's: its warnings were shown with the table
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = fit_scorecard(data, period=period, scorecard=card, as_of=as_of)
    inputs = input_hashes(data)
    if scorecard is not None:
        inputs[scorecard.name] = sha256_of(scorecard)
    replaced = path.exists()
    fitted_on = {"period": str(to_period(period)), "as_of": f"{as_of:%Y-%m-%d}"}
    write_model(fitted, path, fitted_on=fitted_on, inputs=inputs)
    screen.print(f"manager model written to {path}{REPLACED if replaced else ''}")


def _print_left_out_managers(
    screen: Console, table: pd.DataFrame, data: Dataset, period: str
) -> None:
    """Name the managers who are not rows of the score table, by reason."""
    import pandas as pd

    from ..scoring._managers import LEFT, NOT_YET_HIRED

    names = data.managers.set_index("manager_id")["name"]
    left_out = pd.Series(table.attrs.get("left_out", {}), dtype=object)
    for reason, one, many in (
        (LEFT, "manager who has left is", "managers who have left are"),
        (NOT_YET_HIRED, f"manager hired after {period} is", f"managers hired after {period} are"),
    ):
        ids = left_out.index[left_out == reason]
        if len(ids):
            named = ", ".join(f"{i} {names.loc[i]}" for i in ids)
            screen.print(f"{len(ids)} {one if len(ids) == 1 else many} not scored: {named}")


def _print_scores(screen: Console, table: pd.DataFrame, period: str) -> None:
    """The score table: rank, manager, score and grade, and what lifted or held back each."""
    import pandas as pd

    view = Table(title=f"Managers, {period}")
    for name in ("rank", "manager", "name", "team", "score", "grade", "lifted by", "held back by"):
        view.add_column(name, justify="right" if name in ("rank", "score") else "left")
    for manager_id, row in table.iterrows():
        scored = not pd.isna(row["score"])
        view.add_row(
            str(row["rank"]) if scored else "-",
            str(manager_id),
            str(row["name"]),
            "" if pd.isna(row["team"]) else str(row["team"]),
            f"{row['score']:.1f}" if scored else f"unscored: {row['note'] or row['missing']}",
            "" if pd.isna(row["grade"]) else str(row["grade"]),
            str(row["lifted_by"]),
            str(row["held_back_by"]),
        )
    screen.print(view)
