"""The ``am-analytics`` application: its command group, exit codes and error handling."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
import typer.core
from rich.markup import escape

from ..errors import AmAnalyticsError
from ._output import console, print_rejects

if TYPE_CHECKING:
    from rich.console import Console

    # typer ships click inside itself; these are the types its command classes take
    from typer._click.core import Command, Context
    from typer.core import TyperOption

    from ..dataset import Dataset

EXIT_OK = 0
EXIT_REJECTS = 1
EXIT_UNUSABLE = 2


def _without_value_type(option: TyperOption | None) -> None:
    """Show a flag without a ``<bool>`` type: it takes no value."""
    if option is not None:
        option.metavar = ""


class _Commands(typer.core.TyperGroup):
    """The commands, whose ``--help`` flags show no ``<bool>`` value to give.

    The group is also the one place that turns the library's errors into exit
    codes: an :class:`~am_analytics.errors.AmAnalyticsError` from any command
    is printed as an ``error:`` line on standard error and exits with
    :data:`EXIT_UNUSABLE`.
    """

    def get_help_option(self, ctx: Context) -> TyperOption | None:
        option = super().get_help_option(ctx)
        _without_value_type(option)
        return option

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _without_value_type(command.get_help_option(ctx))
        return command

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except AmAnalyticsError as exc:
            # on standard error, like click's own usage errors, so that a command's output
            # piped to a file or another program is only its output; escaped: messages name
            # TOML sections like [report], which are not markup
            console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}")
            raise typer.Exit(EXIT_UNUSABLE) from None


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
        from .. import __version__

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


def main() -> NoReturn:
    """Entry point of the ``am-analytics`` script."""
    try:
        app()
        code = EXIT_OK
    except KeyboardInterrupt:
        code = 130
    except SystemExit as done:
        code = _exit_code(done.code)
    # Every file is written and closed by now: the interpreter's own teardown of the
    # frames and modules loaded (0.3-0.5 s after an evaluation) would only delay the
    # prompt, so the process ends here, its output flushed.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _exit_code(code: object) -> int:
    """The process exit code of ``SystemExit(code)``: its message printed when it is text."""
    if code is None or isinstance(code, int):
        return code or EXIT_OK
    print(code, file=sys.stderr)
    return 1


def exit_for_rejects(screen: Console, data: Dataset) -> NoReturn:
    """Exit 0 when every row was kept; else print the rejects by cause and exit 1."""
    if data.is_clean:
        raise typer.Exit(EXIT_OK)
    print_rejects(screen, data)
    raise typer.Exit(EXIT_REJECTS)
