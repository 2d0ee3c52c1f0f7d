"""``am-analytics config``: write out and check an evaluation configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from ..errors import ConfigError
from ._app import EXIT_UNUSABLE
from ._output import console

app = typer.Typer(
    help="Write out and check an evaluation configuration (TOML).", no_args_is_help=True
)


@app.command()
def init(
    file: Annotated[Path, typer.Argument(help="The TOML file to write.")],
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
) -> None:
    """Write the default evaluation configuration, a comment on every key, to FILE.

    Keep the keys you change and delete the rest: a configuration file is
    laid over the default.
    """
    from ..evaluation import default_config_text
    from ..io._writing import replacing_file

    if file.exists() and not force:
        _fail(ConfigError(f"{file} exists; give --force to replace it, or choose another name"))
    with replacing_file(file) as temporary:
        temporary.write_text(default_config_text(), encoding="utf-8")
    console().print(f"written to {file}")


@app.command()
def check(file: Annotated[Path, typer.Argument(help="The TOML file to check.")]) -> None:
    """Check an evaluation configuration and print the settings it resolves to (as JSON)."""
    import json

    from ..evaluation import load_evaluation_config

    try:
        settings = load_evaluation_config(file).to_dict()
    except ConfigError as error:
        _fail(error)
    typer.echo(json.dumps(settings, ensure_ascii=False, indent=2))


def _fail(error: ConfigError) -> NoReturn:
    """Print ``error`` as it is (its ``[section]`` is no markup) and exit unusable."""
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(EXIT_UNUSABLE)
