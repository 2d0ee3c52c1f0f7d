"""``am-analytics sample``: a synthetic organisation written to a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from ._output import REPLACED, console, status


def sample(
    out: Annotated[
        Path,
        typer.Option(
            help="Folder to write the tables to: a new one, or one holding only table "
            "files, which is replaced."
        ),
    ],
    managers: Annotated[int, typer.Option(help="Number of account managers.")] = 40,
    clients: Annotated[int, typer.Option(help="Number of clients.")] = 2000,
    start: Annotated[str, typer.Option(help="First day of the data.")] = "2024-01-01",
    end: Annotated[str, typer.Option(help="Last day of the data (its as_of).")] = "2026-11-15",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 0,
    format: Annotated[
        Literal["csv", "parquet"], typer.Option("--format", help="File format.")
    ] = "csv",
) -> None:
    """Generate a synthetic organisation (all nine tables) into a folder.

    The data has realistic structure (manager skill, Pareto client values,
    seasonality, refunds, surveys, complaints, ratings with rater leniency,
    goals, training with a planted effect); see am_analytics.sample.
    """
    from ..io._writing import check_output_folder
    from ..sample import generate, write_sample

    screen = console()
    replaced = check_output_folder(out)
    with status(f"Generating {clients:,} clients ..."):
        frames = generate(n_managers=managers, n_clients=clients, start=start, end=end, seed=seed)
    with status(f"Writing {out} ..."):
        write_sample(frames, out, format=format)
    for table, frame in frames.items():
        screen.print(f"{table:>14}: {len(frame):>10,} rows")
    screen.print(f"written to {out}{REPLACED if replaced else ''}")
