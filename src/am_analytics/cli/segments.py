"""``am-analytics segments``: segment, tiers, value and next action of every client."""

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
    SHOWN,
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


def segments(
    directory: DataFolder,
    as_of: AnalysisAsOf = None,
    engine: EngineOption = "pandas",
    scheduler: SchedulerOption = None,
    cache: CacheOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Write one row per client (segment, tiers, value, next action) to this CSV "
            "file (an existing file is replaced; a table file of DIRECTORY is refused)."
        ),
    ] = None,
    portfolios: Annotated[
        Path | None,
        typer.Option(
            help="Write one row per manager (clients and revenue by segment) to this CSV "
            "file (replaced if it exists)."
        ),
    ] = None,
    save_model: Annotated[
        Path | None,
        typer.Option(
            "--save-model",
            help="Write the client model (segments, tiers, value and service models fitted "
            "on these clients) to this model file (JSON, with --as-of and the SHA-256 of the "
            "input files), for a scoring service.",
        ),
    ] = None,
) -> None:
    """Segment the clients: RFM segment, ABC tier, value tier, expected value, next action.

    Prints the size and revenue of each segment as of --as-of (default: the
    last sale date), how many clients have no sale to segment, and names the
    clients set aside because their amounts overflow. --save-model writes the
    fitted client model, which places one client as the table does. Exits 0 on success, 2
    when the input cannot be used.
    """
    from ..dataset import load
    from ..segments import portfolio, segment_clients, segment_summary

    screen = console()
    check_output_files([out, portfolios, save_model], inputs=[directory])
    with cluster_for(engine, scheduler) as chosen:
        with status(f"Reading and validating {directory} ..."):
            data = load(directory, as_of=as_of or today(), engine=chosen, cache=cache)
        when = analysis_date(screen, data, as_of)
        with status("Segmenting clients ..."), warnings_shown(screen):
            table = segment_clients(data, as_of=when)
            book = portfolio(table, clients=data.clients)
        _print_segments(screen, segment_summary(table), when)
        _print_unsegmented(screen, table, n_clients=len(data.clients), as_of=when)
        for path, frame, what in ((out, table, "clients"), (portfolios, book, "managers")):
            if path is not None:
                write_csv(screen, frame, path, what)
        if save_model is not None:
            _save_client_model(screen, data, save_model, as_of=when)


def _save_client_model(screen: Console, data: Dataset, path: Path, *, as_of: pd.Timestamp) -> None:
    """Write the client model the table was made with, and what it was fitted on."""
    from ..model_file import input_hashes, write_model
    from ..segments import fit_client_model

    # the same fit as the table's: its warnings were shown with the table
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fit_client_model(data, as_of=as_of)
    replaced = path.exists()
    write_model(model, path, fitted_on={"as_of": f"{as_of:%Y-%m-%d}"}, inputs=input_hashes(data))
    screen.print(f"client model written to {path}{REPLACED if replaced else ''}")


def _print_unsegmented(
    screen: Console, table: pd.DataFrame, *, n_clients: int, as_of: pd.Timestamp
) -> None:
    """Count the clients without sales and name those set aside."""
    set_aside: dict[str, str] = table.attrs.get("left_out", {})
    without_sales = n_clients - len(table) - len(set_aside)
    if without_sales:
        screen.print(
            f"{without_sales:,} clients without a sale up to {as_of:%Y-%m-%d} are not segmented "
            "(per manager: clients_without_sales in --portfolios)"
        )
    for client, reason in list(set_aside.items())[:SHOWN]:
        screen.print(f"client {client} is set aside: {reason}")
    if len(set_aside) > SHOWN:
        screen.print(f"... and {len(set_aside) - SHOWN:,} more clients set aside")


def _print_segments(screen: Console, summary: pd.DataFrame, as_of: pd.Timestamp) -> None:
    """The table of :func:`~am_analytics.segments.segment_summary`."""
    view = Table(title=f"Clients by segment, as of {as_of:%Y-%m-%d}")
    for name in ("segment", "clients", "revenue", "share"):
        view.add_column(name, justify="left" if name == "segment" else "right")
    for segment, row in summary.iterrows():
        view.add_row(
            str(segment),
            f"{int(row['clients']):,}",
            f"{row['revenue']:,.0f}",
            f"{row['share']:.1%}",
        )
    screen.print(view)
