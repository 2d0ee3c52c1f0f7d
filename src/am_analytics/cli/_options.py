"""The options and arguments the commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["AnalysisAsOf", "AsOf", "DataFolder"]

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
