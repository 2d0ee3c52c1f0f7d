"""The ``am-analytics`` command line: a thin layer over the library.

Exit codes: 0 success, 1 the data has rejected rows, 2 the input is unusable
(missing tables or columns, unreadable files, bad options).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from .errors import AmAnalyticsError, ConfigError

if TYPE_CHECKING:
    from .dataset import Dataset

app = typer.Typer(
    name="am-analytics",
    help=(
        "Account-manager analytics: import CRM data, validate it, score managers, "
        "segment clients, generate samples."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: The options the commands share.
AsOf = Annotated[
    str | None, typer.Option(help="Date the data describes (YYYY-MM-DD). Default: today.")
]
DataFolder = Annotated[Path, typer.Argument(help="Folder with the data files.")]

EXIT_OK = 0
EXIT_REJECTS = 1
EXIT_UNUSABLE = 2
_SHOWN_REJECTS = 20


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


@app.command()
def validate(
    directory: Annotated[
        Path, typer.Argument(help="Folder with managers, clients, sales, ... files, or a workbook.")
    ],
    as_of: AsOf = None,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Write every rejected row with its reason to this CSV file."),
    ] = None,
    keep_orphans: Annotated[
        bool,
        typer.Option(help="Keep rows that refer to unknown clients or managers."),
    ] = False,
) -> None:
    """Check a data folder: rows read, kept and rejected per table, and why.

    Reads every table file in DIRECTORY (CSV in UTF-8 or GBK, Excel, Parquet),
    maps Chinese and CRM headers to the canonical columns, and applies the
    table rules. Exits 0 when every row is valid, 1 when rows were rejected
    (see --rejects), 2 when the input cannot be used at all.
    """
    from .dataset import load

    console = _console()
    try:
        with Console(stderr=True).status(f"Reading and validating {directory} ..."):
            data = load(
                directory,
                as_of=as_of or pd.Timestamp.today().normalize(),
                on_orphans="keep" if keep_orphans else "reject",
            )
    except AmAnalyticsError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    _print_summary(console, data.summary())
    if rejects is not None:
        rejects.parent.mkdir(parents=True, exist_ok=True)
        # utf-8-sig so that Excel shows Chinese reasons correctly
        data.rejects.to_csv(rejects, index=False, encoding="utf-8-sig")
        console.print(f"all {len(data.rejects)} rejects written to {rejects}")
    if data.is_clean:
        console.print("[green]all rows valid[/]")
        raise typer.Exit(EXIT_OK)
    _print_rejects(console, data.rejects)
    raise typer.Exit(EXIT_REJECTS)


def _print_summary(console: Console, summary: pd.DataFrame) -> None:
    table = Table(title="Tables")
    for name in ("table", "source", "read", "kept", "rejected"):
        table.add_column(name, justify="right" if name in ("read", "kept", "rejected") else "left")
    for row in summary.itertuples():
        style = "red" if row.rows_rejected else ""
        table.add_row(
            str(row.table),
            str(row.source),
            f"{row.rows_read:,}",
            f"{row.rows_kept:,}",
            f"{row.rows_rejected:,}",
            style=style,
        )
    console.print(table)


def _print_rejects(console: Console, rejects: pd.DataFrame) -> None:
    rows = rejects.drop_duplicates(["table", "row"]).shape[0]
    console.print(f"[bold red]{rows:,} rows rejected[/] ({len(rejects):,} problems); first ones:")
    table = Table()
    for name in ("source", "row", "column", "reason"):
        table.add_column(name)
    for row in rejects.head(_SHOWN_REJECTS).itertuples():
        table.add_row(str(row.source), str(row.row), str(row.column), str(row.reason))
    console.print(table)


@app.command()
def score(
    directory: DataFolder,
    period: Annotated[str, typer.Option(help="Period to evaluate: 2026Q3, 2026-07 or 2026.")],
    scorecard: Annotated[
        Path | None,
        typer.Option(help="Scorecard TOML file. Default: the shipped default scorecard."),
    ] = None,
    as_of: AsOf = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Write the full scored table to this CSV file."),
    ] = None,
) -> None:
    """Score every manager of one period: rank, grade, and what lifted or held back each.

    Loads DIRECTORY, computes the metrics of PERIOD, fits the scorecard on that
    period's managers and scores them. Rows rejected while loading are left out
    (run `validate` to see them). Exits 0 on success, 2 when the input or the
    scorecard cannot be used.
    """
    from .dataset import load
    from .scoring import default_scorecard, load_scorecard, score_managers

    console = _console()
    try:
        card = load_scorecard(scorecard) if scorecard is not None else default_scorecard()
        with Console(stderr=True).status(f"Reading and validating {directory} ..."):
            data = load(directory, as_of=as_of or pd.Timestamp.today().normalize())
        with Console(stderr=True).status(f"Scoring {period} ..."):
            table = score_managers(data, period, card if scorecard is not None else None)
    except AmAnalyticsError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    _print_scores(console, table, period)
    if out is not None:
        _write_csv(console, table, out, "managers")


def _write_csv(console: Console, frame: pd.DataFrame, path: Path, what: str) -> None:
    """Write a result table; utf-8-sig so that Excel shows Chinese names correctly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, encoding="utf-8-sig")
    console.print(f"{len(frame):,} {what} written to {path}")


def _print_scores(console: Console, table: pd.DataFrame, period: str) -> None:
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
            f"{row['score']:.1f}" if scored else f"unscored: {row['missing']}",
            "" if pd.isna(row["grade"]) else str(row["grade"]),
            str(row["lifted_by"]),
            str(row["held_back_by"]),
        )
    console.print(view)


@app.command()
def segments(
    directory: DataFolder,
    as_of: AsOf = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Write one row per client (segment, tiers, value, next action) here."),
    ] = None,
    portfolios: Annotated[
        Path | None,
        typer.Option(help="Write one row per manager (clients and revenue by segment) here."),
    ] = None,
) -> None:
    """Segment the clients: RFM segment, ABC tier, value tier, expected value, next action.

    Prints the size and revenue of each segment. Exits 0 on success, 2 when
    the input cannot be used.
    """
    from .dataset import load
    from .segments import portfolio, segment_clients

    console = _console()
    try:
        with Console(stderr=True).status(f"Reading and validating {directory} ..."):
            data = load(directory, as_of=as_of or pd.Timestamp.today().normalize())
        with Console(stderr=True).status("Segmenting clients ..."):
            table = segment_clients(data)
            book = portfolio(table, data.clients)
    except AmAnalyticsError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    _print_segments(console, table, data.as_of)
    for path, frame, what in ((out, table, "clients"), (portfolios, book, "managers")):
        if path is not None:
            _write_csv(console, frame, path, what)


def _print_segments(console: Console, table: pd.DataFrame, as_of: pd.Timestamp | None) -> None:
    sizes = table.groupby("segment", observed=False).agg(
        clients=("monetary", "size"), revenue=("monetary", "sum")
    )
    total = sizes["revenue"].sum()
    view = Table(title=f"Clients by segment, as of {as_of:%Y-%m-%d}")
    for name in ("segment", "clients", "revenue", "share"):
        view.add_column(name, justify="left" if name == "segment" else "right")
    for segment, row in sizes.iterrows():
        share = row["revenue"] / total if total else float("nan")
        view.add_row(
            str(segment), f"{int(row['clients']):,}", f"{row['revenue']:,.0f}", f"{share:.1%}"
        )
    console.print(view)


@app.command()
def sample(
    out: Annotated[Path, typer.Option(help="Folder to write the tables to.")],
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
    from .sample import generate, write_sample

    console = _console()
    try:
        with Console(stderr=True).status(f"Generating {clients:,} clients ..."):
            frames = generate(
                n_managers=managers, n_clients=clients, start=start, end=end, seed=seed
            )
            write_sample(frames, out, format=format)
    except AmAnalyticsError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    for table, frame in frames.items():
        console.print(f"{table:>14}: {len(frame):>10,} rows")
    console.print(f"written to {out}")


@app.command("import")
def import_(
    crm: Annotated[Literal["zoho", "fxiaoke"], typer.Argument(help="The CRM: zoho or fxiaoke.")],
    source: Annotated[
        list[str],
        typer.Argument(
            help="Export files or folders, or the word `api` to fetch with the CRM's API.",
            show_default=False,
        ),
    ],
    out: Annotated[Path, typer.Option(help="Folder to write the canonical tables to.")],
    mapping: Annotated[
        Path | None,
        typer.Option(help="Mapping TOML laid over the default one (custom fields, labels)."),
    ] = None,
    credentials: Annotated[
        Path | None,
        typer.Option(
            help="TOML file whose zoho or fxiaoke table holds the credentials for `api`. "
            "Default: the ZOHO_* / FXIAOKE_* environment variables."
        ),
    ] = None,
    as_of: AsOf = None,
    format: Annotated[
        Literal["csv", "parquet"], typer.Option("--format", help="File format of the tables.")
    ] = "csv",
) -> None:
    """Turn Zoho CRM or 纷享销客 exports (or API data) into a canonical dataset folder.

    Writes one file per table to OUT (read it with `validate`, `score`,
    `segments` or am_analytics.load), plus rejects.csv (every source row
    that was not kept, with why) and mapping_report.csv (what each source
    column became, or that it was ignored). Credentials are read from the
    environment or --credentials, never from the command line, and are never
    written. Exits 0 when every row was kept, 1 when rows were rejected, 2
    when the input cannot be used.
    """
    from .dataset import save

    console = _console()
    today = as_of or pd.Timestamp.today().normalize()
    try:
        with Console(stderr=True).status(_import_status(crm, source)):
            data = _import_dataset(
                crm, source, mapping=mapping, credentials=credentials, as_of=today
            )
            paths = save(data, out, format=format)
    except AmAnalyticsError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    from .io import mapping_report

    data.rejects.to_csv(out / "rejects.csv", index=False, encoding="utf-8-sig")
    report = mapping_report(data)
    report.to_csv(out / "mapping_report.csv", index=False, encoding="utf-8-sig")
    _print_summary(console, data.summary())
    _print_mapping(console, report)
    console.print(f"{len(paths)} tables, rejects.csv and mapping_report.csv written to {out}")
    if data.is_clean:
        raise typer.Exit(EXIT_OK)
    _print_rejects(console, data.rejects)
    raise typer.Exit(EXIT_REJECTS)


def _import_status(crm: str, source: list[str]) -> str:
    name = {"zoho": "Zoho CRM", "fxiaoke": "纷享销客"}[crm]
    if source == ["api"]:
        return f"Fetching from the {name} API ..."
    return f"Reading {name} exports ..."


def _import_dataset(
    crm: str,
    source: list[str],
    *,
    mapping: Path | None,
    credentials: Path | None,
    as_of: str | pd.Timestamp,
) -> Dataset:
    """Read exports, or fetch with the API client built from a file or the environment."""
    from .io import fxiaoke, zoho

    if source != ["api"]:
        if "api" in source:
            raise ConfigError("`api` cannot be mixed with export files; give one or the other")
        reader = zoho.read_export if crm == "zoho" else fxiaoke.read_export
        return reader(source, mapping=mapping, as_of=as_of)
    client_class = zoho.ZohoCRM if crm == "zoho" else fxiaoke.Fxiaoke
    if credentials is not None:
        client = client_class.from_config(credentials, mapping=mapping)
    else:
        client = client_class.from_env(mapping=mapping)
    return client.fetch(as_of=as_of)


def _print_mapping(console: Console, report: pd.DataFrame) -> None:
    """Per source: how many columns were mapped, used, derived and ignored."""
    counts = report.groupby(["source", "status"], sort=False).size().unstack(fill_value=0)
    view = Table(title="Source columns")
    view.add_column("source")
    statuses = [s for s in ("mapped", "used", "derived", "ignored") if s in counts.columns]
    for status in statuses:
        view.add_column(status, justify="right")
    for source, row in counts.iterrows():
        view.add_row(str(source), *(str(int(row[s])) for s in statuses))
    console.print(view)


def main() -> None:
    """Entry point of the ``am-analytics`` script."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
