"""Running the service under uvicorn: one process, or a supervisor and its workers."""

from __future__ import annotations

import logging
import os
import signal
from typing import Any, Final

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.supervisors import Multiprocess

from ._options import OPTIONS_VARIABLE, ServeOptions

#: The application factory a worker process imports.
APP_FACTORY: Final = "am_analytics.serve._app:app_from_environment"

log = logging.getLogger("am_analytics.serve")


class _ReloadingSupervisor(Multiprocess):
    """uvicorn's worker supervisor, but SIGHUP reloads the models in each worker in place.

    uvicorn's own SIGHUP replaces the workers one by one; each would read the
    files at start and, were they invalid, fail to start. Handing the signal on
    instead lets every worker keep its models when the new files are unusable.
    """

    def handle_hup(self) -> None:
        for process in self.processes:
            if process.pid is not None:
                os.kill(process.pid, signal.SIGHUP)


def logging_config() -> dict[str, Any]:
    """uvicorn's logging settings plus the service's loggers (access lines on stdout)."""
    config: dict[str, Any] = {
        **LOGGING_CONFIG,
        "formatters": {**LOGGING_CONFIG["formatters"], "line": {"format": "%(message)s"}},
        "handlers": {
            **LOGGING_CONFIG["handlers"],
            "service_access": {
                "class": "logging.StreamHandler",
                "formatter": "line",
                "stream": "ext://sys.stdout",
            },
        },
        "loggers": {
            **LOGGING_CONFIG["loggers"],
            "am_analytics.serve": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "am_analytics.serve.access": {
                "handlers": ["service_access"],
                "level": "INFO",
                "propagate": False,
            },
        },
    }
    return config


def run(options: ServeOptions, *, access_log: bool = True) -> None:
    """Serve until SIGINT or SIGTERM; blocks.

    The models are read in each worker process (``options`` travel in the
    environment variable :data:`OPTIONS_VARIABLE`). With several workers, a
    supervisor restarts any worker that dies and hands SIGHUP on to them all.
    """
    os.environ[OPTIONS_VARIABLE] = options.to_json()
    logging_settings = logging_config()
    if not access_log:
        logging_settings["loggers"]["am_analytics.serve.access"]["level"] = "WARNING"
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        host=options.host,
        port=options.port,
        workers=options.workers,
        access_log=False,  # the service writes its own JSON line per request
        log_config=logging_settings,
        server_header=False,
        proxy_headers=False,
    )
    if options.workers == 1:
        uvicorn.Server(config).run()
        return
    socket = config.bind_socket()
    try:
        _ReloadingSupervisor(config, sockets=[socket]).run()
    finally:
        socket.close()
