"""``am-analytics import``: Zoho CRM or 纷享销客 data into a canonical dataset folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.table import Table

from ..errors import ConfigError
from ._app import exit_for_rejects
from ._options import AsOf
from ._output import REPLACED, console, print_summary, status, today

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from ..dataset import Dataset

#: The report files `import` writes beside the tables.
_REPORT_FILES = ("rejects.csv", "mapping_report.csv")


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
    from ..io import mapping_report, mapping_summary
    from ..io._writing import check_output_folder, write_tables

    screen = console()
    exports = [Path(name) for name in source if name != "api"]
    replaced = check_output_folder(out, inputs=exports, names=_REPORT_FILES)
    with status(_import_status(crm, source)):
        data = _import_dataset(
            crm, source, mapping=mapping, credentials=credentials, as_of=as_of or today()
        )
        report = mapping_report(data)
        reports = {"rejects": data.rejects, "mapping_report": report}
        paths = write_tables(dict(data.tables()), out, format=format, reports=reports)
    print_summary(screen, data.summary())
    _print_mapping(screen, mapping_summary(report))
    screen.print(
        f"{len(paths) - len(reports)} tables, {' and '.join(_REPORT_FILES)} "
        f"written to {out}{REPLACED if replaced else ''}"
    )
    exit_for_rejects(screen, data)


def _import_status(crm: str, source: list[str]) -> str:
    """What the spinner says while the sources are read or fetched."""
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
    from ..io import fxiaoke, zoho

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


def _print_mapping(screen: Console, summary: pd.DataFrame) -> None:
    """Per source: how many columns were mapped, used, derived and ignored (those that occur)."""
    statuses = [s for s in summary.columns if summary[s].any()]
    view = Table(title="Source columns")
    view.add_column("source")
    for name in statuses:
        view.add_column(name, justify="right")
    for source, row in summary.iterrows():
        view.add_row(str(source), *(str(int(row[s])) for s in statuses))
    screen.print(view)
