"""The ``am-analytics`` command line: a thin layer over the library.

Exit codes: 0 success, 1 the data has rejected rows, 2 the input is unusable
(missing tables or columns, unreadable files, bad options).
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import pandas as pd
import typer
import typer.core
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .errors import AmAnalyticsError, ConfigError, OutputPathError

if TYPE_CHECKING:
    # typer ships click inside itself; these are the types its command classes take
    from typer._click.core import Command, Context
    from typer.core import TyperOption

    from .dataset import Dataset


def _without_value_type(option: TyperOption | None) -> None:
    """Show a flag without a ``<bool>`` type: it takes no value."""
    if option is not None:
        option.metavar = ""


class _Commands(typer.core.TyperGroup):
    """The commands, whose ``--help`` flags show no ``<bool>`` value to give."""

    def get_help_option(self, ctx: Context) -> TyperOption | None:
        option = super().get_help_option(ctx)
        _without_value_type(option)
        return option

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _without_value_type(command.get_help_option(ctx))
        return command


app = typer.Typer(
    name="am-analytics",
    cls=_Commands,
    help=(
        "Account-manager analytics: import CRM data, validate it, score managers, "
        "segment clients, generate samples."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"am-analytics {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            metavar="",
            is_eager=True,
            callback=_print_version,
            help="Show the version and exit.",
        ),
    ] = False,
) -> None:
    """Account-manager analytics: import CRM data, validate it, score managers,
    segment clients, generate samples."""


#: The options the commands share.
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

EXIT_OK = 0
EXIT_REJECTS = 1
EXIT_UNUSABLE = 2
#: Said after "written to PATH" when an existing output was replaced.
_REPLACED = " (replaced the previous one)"
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
        _check_output_files([rejects], inputs=[directory])
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
        _write_csv(console, data.rejects, rejects, "rejects", index=False)
    if data.is_clean:
        console.print("[green]all rows valid[/]")
        raise typer.Exit(EXIT_OK)
    _print_rejects(console, data)
    raise typer.Exit(EXIT_REJECTS)


def _print_summary(console: Console, summary: pd.DataFrame) -> None:
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
    console.print(table)
    # notes say what was read other than as written (e.g. "9999-12-31" as no end date)
    for row in summary[summary["notes"].astype(bool)].itertuples():
        console.print(f"note: {row.table}: {escape(str(row.notes))}")


def _count(n: int, noun: str) -> str:
    """``1 row``, ``1,528 rows``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _print_rejects(console: Console, data: Dataset) -> None:
    """The rejected rows grouped by root cause, so one fix shows as one line."""
    causes = data.reject_causes()
    rows = int(causes["rows_rejected"].sum())
    console.print(
        f"[bold red]{_count(rows, 'row')} rejected[/] ({_count(len(data.rejects), 'problem')}) "
        f"from {_count(len(causes), 'root cause')}; fixing a cause also keeps the rows that "
        "refer to it:"
    )
    table = Table()
    table.add_column("cause")
    table.add_column("rows rejected", justify="right")
    table.add_column("by table")
    for row in causes.head(_SHOWN_REJECTS).itertuples():
        # escape: sources such as book.xlsx[sales] are not markup
        table.add_row(escape(str(row.cause)), f"{row.rows_rejected:,}", str(row.by_table))
    console.print(table)
    if len(causes) > _SHOWN_REJECTS:
        console.print(f"... and {len(causes) - _SHOWN_REJECTS:,} more causes (see --rejects)")


@app.command()
def score(
    directory: DataFolder,
    period: Annotated[str, typer.Option(help="Period to evaluate: 2026Q3, 2026-07 or 2026.")],
    scorecard: Annotated[
        Path | None,
        typer.Option(help="Scorecard TOML file. Default: the shipped default scorecard."),
    ] = None,
    as_of: AnalysisAsOf = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Write the full scored table to this CSV file (an existing file is replaced; "
            "a table file of DIRECTORY is refused)."
        ),
    ] = None,
) -> None:
    """Score every manager of one period: rank, grade, and what lifted or held back each.

    Loads DIRECTORY, computes the metrics of PERIOD, fits the scorecard on that
    period's active managers and scores them, measured to --as-of (default:
    the last sale date). Managers without a sale in the period are listed
    unscored; those who have left are named. Rows rejected while loading are
    left out (run `validate` to see them). Exits 0 on success, 2 when the
    input or the scorecard cannot be used or the period has no sales.
    """
    from .dataset import load
    from .scoring import default_scorecard, load_scorecard, score_managers

    console = _console()
    try:
        _check_output_files([out], inputs=[directory, scorecard])
        card = load_scorecard(scorecard) if scorecard is not None else default_scorecard()
        with Console(stderr=True).status(f"Reading and validating {directory} ..."):
            data = load(directory, as_of=as_of or pd.Timestamp.today().normalize())
        when = _analysis_date(console, data, as_of)
        with Console(stderr=True).status(f"Scoring {period} ..."), _warnings_shown(console):
            table = score_managers(
                data, period, card if scorecard is not None else None, as_of=when
            )
    except AmAnalyticsError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    _print_scores(console, table, period)
    _print_left_out_managers(console, table, data, period)
    if out is not None:
        _write_csv(console, table, out, "managers")


def _write_csv(
    console: Console, frame: pd.DataFrame, path: Path, what: str, *, index: bool = True
) -> None:
    """Write a result table for spreadsheets, atomically, and say whether a file was replaced."""
    from .io._writing import write_csv

    replaced = path.exists()
    try:
        write_csv(frame, path, index=index)
    except AmAnalyticsError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    console.print(f"{len(frame):,} {what} written to {path}{_REPLACED if replaced else ''}")


def _check_output_files(paths: list[Path | None], *, inputs: list[Path | None]) -> None:
    """Refuse unusable output files before the work starts (folders, inputs, one file twice)."""
    from .io._writing import check_output_file

    given = [path for path in paths if path is not None]
    for path in given:
        check_output_file(path, inputs=[path for path in inputs if path is not None])
    if len({path.resolve() for path in given}) < len(given):
        raise OutputPathError(
            f"the same file is given for two outputs ({', '.join(map(str, given))}); "
            "give each output its own file",
            path=str(given[0]),
        )


def _analysis_date(console: Console, data: Dataset, as_of: str | None) -> pd.Timestamp:
    """The day the analyses describe: --as-of, else the last sale date (printed)."""
    if as_of is not None:
        when = pd.Timestamp(as_of).normalize()
        console.print(f"as of {when:%Y-%m-%d}")
        return when
    dates = data.sales["order_date"]
    when = dates.max().normalize() if len(dates) else pd.Timestamp.today().normalize()
    console.print(f"as of {when:%Y-%m-%d}, the last sale date (change it with --as-of)")
    return when


@contextlib.contextmanager
def _warnings_shown(console: Console) -> Iterator[None]:
    """Print the library's warnings as lines of the output, not as Python tracebacks."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        console.print(f"[yellow]warning:[/] {warning.message}")


def _print_left_out_managers(
    console: Console, table: pd.DataFrame, data: Dataset, period: str
) -> None:
    """Name the managers who are not rows of the score table, by reason."""
    from .scoring._managers import LEFT, NOT_YET_HIRED

    names = data.managers.set_index("manager_id")["name"]
    left_out = pd.Series(table.attrs.get("left_out", {}), dtype=object)
    for reason, one, many in (
        (LEFT, "manager who has left is", "managers who have left are"),
        (NOT_YET_HIRED, f"manager hired after {period} is", f"managers hired after {period} are"),
    ):
        ids = left_out.index[left_out == reason]
        if len(ids):
            named = ", ".join(f"{i} {names.loc[i]}" for i in ids)
            console.print(f"{len(ids)} {one if len(ids) == 1 else many} not scored: {named}")


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
            f"{row['score']:.1f}" if scored else f"unscored: {row['note'] or row['missing']}",
            "" if pd.isna(row["grade"]) else str(row["grade"]),
            str(row["lifted_by"]),
            str(row["held_back_by"]),
        )
    console.print(view)


@app.command()
def segments(
    directory: DataFolder,
    as_of: AnalysisAsOf = None,
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
) -> None:
    """Segment the clients: RFM segment, ABC tier, value tier, expected value, next action.

    Prints the size and revenue of each segment as of --as-of (default: the
    last sale date), how many clients have no sale to segment, and names the
    clients set aside because their amounts overflow. Exits 0 on success, 2
    when the input cannot be used.
    """
    from .dataset import load
    from .segments import portfolio, segment_clients

    console = _console()
    try:
        _check_output_files([out, portfolios], inputs=[directory])
        with Console(stderr=True).status(f"Reading and validating {directory} ..."):
            data = load(directory, as_of=as_of or pd.Timestamp.today().normalize())
        when = _analysis_date(console, data, as_of)
        with Console(stderr=True).status("Segmenting clients ..."), _warnings_shown(console):
            table = segment_clients(data, as_of=when)
            book = portfolio(table, data.clients)
    except AmAnalyticsError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    _print_segments(console, table, when)
    _print_unsegmented(console, table, n_clients=len(data.clients), as_of=when)
    for path, frame, what in ((out, table, "clients"), (portfolios, book, "managers")):
        if path is not None:
            _write_csv(console, frame, path, what)


def _print_unsegmented(
    console: Console, table: pd.DataFrame, *, n_clients: int, as_of: pd.Timestamp
) -> None:
    """Count the clients without sales and name those set aside."""
    set_aside: dict[str, str] = table.attrs.get("left_out", {})
    without_sales = n_clients - len(table) - len(set_aside)
    if without_sales:
        console.print(
            f"{without_sales:,} clients without a sale up to {as_of:%Y-%m-%d} are not segmented "
            "(per manager: clients_without_sales in --portfolios)"
        )
    for client, reason in list(set_aside.items())[:_SHOWN_REJECTS]:
        console.print(f"client {client} is set aside: {reason}")
    if len(set_aside) > _SHOWN_REJECTS:
        console.print(f"... and {len(set_aside) - _SHOWN_REJECTS:,} more clients set aside")


def _print_segments(console: Console, table: pd.DataFrame, as_of: pd.Timestamp) -> None:
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
    from .io._writing import check_output_folder
    from .sample import generate, write_sample

    console = _console()
    try:
        replaced = check_output_folder(out)
        with Console(stderr=True).status(f"Generating {clients:,} clients ..."):
            frames = generate(
                n_managers=managers, n_clients=clients, start=start, end=end, seed=seed
            )
        with Console(stderr=True).status(f"Writing {out} ..."):
            write_sample(frames, out, format=format)
    except AmAnalyticsError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    for table, frame in frames.items():
        console.print(f"{table:>14}: {len(frame):>10,} rows")
    console.print(f"written to {out}{_REPLACED if replaced else ''}")


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
    out: Annotated[
        Path,
        typer.Option(
            help="Folder to write the canonical tables to: a new one, or one holding only "
            "table files, rejects.csv and mapping_report.csv, which is replaced."
        ),
    ],
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
    from .io import mapping_report
    from .io._writing import check_output_folder, write_tables

    console = _console()
    today = as_of or pd.Timestamp.today().normalize()
    exports = [Path(name) for name in source if name != "api"]
    try:
        replaced = check_output_folder(out, inputs=exports, names=_IMPORT_REPORT_FILES)
        with Console(stderr=True).status(_import_status(crm, source)):
            data = _import_dataset(
                crm, source, mapping=mapping, credentials=credentials, as_of=today
            )
            report = mapping_report(data)
            reports = {"rejects": data.rejects, "mapping_report": report}
            paths = write_tables(dict(data.tables()), out, format=format, reports=reports)
    except AmAnalyticsError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_UNUSABLE) from None
    _print_summary(console, data.summary())
    _print_mapping(console, report)
    console.print(
        f"{len(paths) - len(reports)} tables, {' and '.join(_IMPORT_REPORT_FILES)} "
        f"written to {out}{_REPLACED if replaced else ''}"
    )
    if data.is_clean:
        raise typer.Exit(EXIT_OK)
    _print_rejects(console, data)
    raise typer.Exit(EXIT_REJECTS)


#: The report files `import` writes beside the tables.
_IMPORT_REPORT_FILES = ("rejects.csv", "mapping_report.csv")


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
