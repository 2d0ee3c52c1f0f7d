"""The ``am-analytics`` command line: a thin layer over the library.

Each command lives in its own module and only formats what the library
returns. Exit codes: 0 success, 1 the data has rejected rows, 2 the input is
unusable (missing tables or columns, unreadable files, bad options).

The command modules import pandas and the library inside the command
functions, and only light types (``Path``, ``str``, ``int``) in the options
that registration reads: ``am-analytics --help`` loads none of the data stack.
"""

from . import evaluate, import_, sample, score, segments, serve, validate
from ._app import EXIT_OK, EXIT_REJECTS, EXIT_UNUSABLE, app, main
from .config import app as config_app

__all__ = ["EXIT_OK", "EXIT_REJECTS", "EXIT_UNUSABLE", "app", "main"]

# the commands, in the order `am-analytics --help` lists them
app.command()(validate.validate)
app.command()(score.score)
app.command()(segments.segments)
app.command()(evaluate.evaluate)
app.command()(sample.sample)
app.command("import")(import_.import_)
app.command()(serve.serve)
app.add_typer(config_app, name="config")
