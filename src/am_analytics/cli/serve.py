"""``am-analytics serve``: answer scoring requests over HTTP with fitted models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError
from ._output import console


def serve(
    manager_model: Annotated[
        Path,
        typer.Option(
            help="The fitted manager model (written by `am-analytics score --save-model`)."
        ),
    ],
    client_model: Annotated[
        Path | None,
        typer.Option(
            help="The fitted client model (written by `am-analytics segments --save-model`). "
            "Without it, /v1/clients/segment answers 404."
        ),
    ] = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on. Other than loopback needs --token-file.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(help="Worker processes (about one per CPU core).", min=1)
    ] = 1,
    token_file: Annotated[
        Path | None,
        typer.Option(
            help="File holding the bearer token every /v1 request must send "
            "(Authorization: Bearer TOKEN)."
        ),
    ] = None,
    access_log: Annotated[
        bool,
        typer.Option(help="Write one JSON line per request (request id, path, status, ms)."),
    ] = True,
) -> None:
    """Serve the fitted models over HTTP until stopped (Ctrl+C or SIGTERM).

    Reads the model files once; SIGHUP (or POST /v1/models/reload with the
    token) reads them again, keeping the old models if the new files are
    unusable. Exits 2 when a model or token file is unusable, or when HOST is
    not a loopback address and no --token-file is given.
    """
    try:
        from ..serve import ServeOptions, create_app, run
    except ImportError as error:
        raise ConfigError(
            f"the service needs FastAPI and uvicorn ({error.name} is not installed): "
            'pip install "am-analytics[serve]"'
        ) from None

    options = ServeOptions(
        manager_model=manager_model,
        client_model=client_model,
        host=host,
        port=port,
        workers=workers,
        token_file=token_file,
    )
    if not options.is_loopback and token_file is None:
        raise ConfigError(
            f"--host {host} accepts connections from other machines: give --token-file "
            "with a bearer token, or listen on 127.0.0.1"
        )
    create_app(options)  # reads every file now, so a bad one stops the start with exit 2
    console().print(
        f"Serving {manager_model.name}"
        + (f" and {client_model.name}" if client_model is not None else "")
        + f" on http://{host}:{port} ({workers} worker{'s' if workers > 1 else ''}); "
        f"API documentation at http://{host}:{port}/docs"
    )
    run(options, access_log=access_log)
