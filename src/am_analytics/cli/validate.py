"""``am-analytics validate``: rows read, kept and rejected per table, and why."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._app import exit_for_rejects
from ._options import AsOf, CacheOption
from ._output import check_output_files, console, print_summary, status, today, write_csv


def validate(
    directory: Annotated[
        Path, typer.Argument(help="Folder with managers, clients, sales, ... files, or a workbook.")
    ],
    as_of: AsOf = None,
    rejects: Annotated[
        Path | None,
        typer.Option(
            help="Write every rejected row with its reason to this CSV file "
            "(an existing file is replaced)."
        ),
    ] = None,
    keep_orphans: Annotated[
        bool,
        typer.Option(
            "--keep-orphans",
            metavar="",
            help="Keep rows that refer to unknown clients or managers.",
        ),
    ] = False,
    cache: CacheOption = None,
) -> None:
    """Check a data folder: rows read, kept and rejected per table, and why.

    Reads every table file in DIRECTORY (CSV in UTF-8 or GBK, Excel, Parquet),
    maps Chinese and CRM headers to the canonical columns, and applies the
    table rules. Exits 0 when every row is valid, 1 when rows were rejected
    (see --rejects), 2 when the input cannot be used at all.
    """
    from ..dataset import load

    screen = console()
    check_output_files([rejects], inputs=[directory])
    with status(f"Reading and validating {directory} ..."):
        data = load(
            directory,
            as_of=as_of or today(),
            on_orphans="keep" if keep_orphans else "reject",
            cache=cache,
        )
    print_summary(screen, data.summary())
    if rejects is not None:
        write_csv(screen, data.rejects, rejects, "rejects", index=False)
    if data.is_clean:
        screen.print("[green]all rows valid[/]")
    exit_for_rejects(screen, data)
