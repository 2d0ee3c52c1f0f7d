"""What the commands share to show their results: the console, tables, and written files."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..errors import OutputPathError

if TYPE_CHECKING:
    import pandas as pd

    from ..dataset import Dataset

#: Said after "written to PATH" when an existing output was replaced.
REPLACED = " (replaced the previous one)"
#: How many causes or clients a command lists before it says "... and N more".
SHOWN = 20


def console(*, stderr: bool = False) -> Console:
    """The console the commands print to: standard output (standard error for errors),
    no guessing of highlights."""
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def status(message: str) -> contextlib.AbstractContextManager[object]:
    """A spinner on standard error while a long step runs."""
    return Console(stderr=True).status(message)


@contextlib.contextmanager
def stage_progress(description: str, *, total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar of ``total`` stages on standard error; yields ``advance(stage_name)``.

    Each call names the stage starting and completes the one before it.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    screen = Console(stderr=True)
    # off a terminal (a log, a pipe) a bar is noise: nothing is drawn
    progress = Progress(*columns, console=screen, transient=True, disable=not screen.is_terminal)
    with progress:
        task = progress.add_task(description, total=total)
        started = False

        def advance(stage: str) -> None:
            nonlocal started
            progress.update(
                task, advance=1 if started else 0, description=f"{description}: {stage}"
            )
            started = True

        yield advance
        progress.update(task, completed=total)


def today() -> pd.Timestamp:
    """The default ``as_of`` of loading: the only place the wall clock is read."""
    import pandas as pd

    return pd.Timestamp.today().normalize()


def count(n: int, noun: str) -> str:
    """``1 row``, ``1,528 rows``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def print_summary(screen: Console, summary: pd.DataFrame) -> None:
    """Rows read, kept and rejected per table and source, and the notes of reading."""
    table = Table(title="Tables")
    for name in ("table", "source", "read", "kept", "rejected"):
        table.add_column(name, justify="right" if name in ("read", "kept", "rejected") else "left")
    for row in summary.itertuples():
        style = "red" if row.rows_rejected else ""
        table.add_row(
            str(row.table),
            escape(str(row.source)),
            f"{row.rows_read:,}",
            f"{row.rows_kept:,}",
            f"{row.rows_rejected:,}",
            style=style,
        )
    screen.print(table)
    # notes say what was read other than as written (e.g. "9999-12-31" as no end date)
    for row in summary[summary["notes"].astype(bool)].itertuples():
        screen.print(f"note: {row.table}: {escape(str(row.notes))}")


def print_rejects(screen: Console, data: Dataset) -> None:
    """The rejected rows grouped by root cause, so one fix shows as one line."""
    causes = data.reject_causes()
    rows = int(causes["rows_rejected"].sum())
    screen.print(
        f"[bold red]{count(rows, 'row')} rejected[/] ({count(len(data.rejects), 'problem')}) "
        f"from {count(len(causes), 'root cause')}; fixing a cause also keeps the rows that "
        "refer to it:"
    )
    table = Table()
    table.add_column("cause")
    table.add_column("rows rejected", justify="right")
    table.add_column("by table")
    for row in causes.head(SHOWN).itertuples():
        # escape: sources such as book.xlsx[sales] are not markup
        table.add_row(escape(str(row.cause)), f"{row.rows_rejected:,}", str(row.by_table))
    screen.print(table)
    if len(causes) > SHOWN:
        screen.print(f"... and {len(causes) - SHOWN:,} more causes (see --rejects)")


def write_csv(
    screen: Console, frame: pd.DataFrame, path: Path, what: str, *, index: bool = True
) -> None:
    """Write a result table for spreadsheets, atomically, and say whether a file was replaced."""
    from ..io._writing import write_csv as write_atomically

    replaced = path.exists()
    write_atomically(frame, path, index=index)
    screen.print(f"{len(frame):,} {what} written to {path}{REPLACED if replaced else ''}")


def check_output_files(paths: list[Path | None], *, inputs: list[Path | None]) -> None:
    """Refuse unusable output files before the work starts (folders, inputs, one file twice)."""
    from ..io._writing import check_output_file

    given = [path for path in paths if path is not None]
    for path in given:
        check_output_file(path, inputs=[path for path in inputs if path is not None])
    if len({path.resolve() for path in given}) < len(given):
        raise OutputPathError(
            f"the same file is given for two outputs ({', '.join(map(str, given))}); "
            "give each output its own file",
            path=str(given[0]),
        )


def analysis_date(screen: Console, data: Dataset, as_of: str | None) -> pd.Timestamp:
    """The day the analyses describe: --as-of, else the last sale date (printed)."""
    if as_of is not None:
        from ..periods import parse_as_of

        when = parse_as_of(as_of, name="--as-of").normalize()
        screen.print(f"as of {when:%Y-%m-%d}")
        return when
    from .._engines import sales_date_range

    dates = sales_date_range(data.sales)  # with Dask sales, only the two dates come back
    when = dates[1].normalize() if dates is not None else today()
    screen.print(f"as of {when:%Y-%m-%d}, the last sale date (change it with --as-of)")
    return when


@contextlib.contextmanager
def warnings_shown(screen: Console) -> Iterator[None]:
    """Print the library's warnings as lines of the output, not as Python tracebacks."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        screen.print(f"[yellow]warning:[/] {warning.message}")
