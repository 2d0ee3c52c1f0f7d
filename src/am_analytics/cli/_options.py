"""The options and arguments the commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["AnalysisAsOf", "AsOf", "CacheOption", "DataFolder", "EngineOption", "SchedulerOption"]

#: ``as_of`` of the loading: the day the data describes, by default today.
AsOf = Annotated[
    str | None, typer.Option(help="Date the data describes (YYYY-MM-DD). Default: today.")
]
#: ``as_of`` of the analyses: a dataset describes the day of its last sale, not today.
AnalysisAsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Date the data describes (YYYY-MM-DD): recency, due dates and the running "
        "period are measured to it. Default: the last sale date.",
    ),
]
DataFolder = Annotated[Path, typer.Argument(help="Folder with the data files.")]
#: ``load(cache=...)``: validated tables kept between runs.
CacheOption = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        help="Folder keeping the validated tables: a later run on the same files (by "
        "SHA-256) with the same rules and loading date reads them back from Parquet "
        "instead of validating again. Default: no cache.",
    ),
]
#: Where the sales are read and reduced (see :mod:`._engine`).
EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="pandas: read everything into this process. dask: read the sales lazily "
        "(a sales/ folder of Parquet or CSV files, one per month) and reduce them on a Dask "
        "cluster: --scheduler's, else a local cluster sized to this machine.",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Address of a running Dask scheduler (tcp://HOST:8786) for --engine dask. "
        "Default: start a local cluster.",
    ),
]
