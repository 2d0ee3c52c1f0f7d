"""``--engine`` and ``--scheduler``: where the sales are read and reduced.

``--engine pandas`` (the default) reads everything into this process.
``--engine dask`` reads the sales lazily (:func:`am_analytics.load` with
``engine="dask"``) and reduces them on a Dask cluster: the one at
``--scheduler tcp://HOST:8786`` when given, else a ``LocalCluster`` started for
the command and sized to this machine (one worker process per core, the memory
shared among them).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Final, Literal

from ..errors import ConfigError

__all__ = ["cluster_for"]

Engine = Literal["pandas", "dask"]
ENGINES: Final = ("pandas", "dask")
# How long to wait for a scheduler given with --scheduler before giving up.
_CONNECT_TIMEOUT: Final = "10s"


@contextlib.contextmanager
def cluster_for(engine: str, scheduler: str | None) -> Iterator[Engine]:
    """While the command runs: a Dask client for ``--engine dask``, nothing for pandas.

    Yields the engine, checked, for :func:`am_analytics.load`.
    """
    if engine not in ENGINES:
        raise ConfigError(f"--engine must be pandas or dask, got {engine!r}")
    if engine == "pandas":
        if scheduler is not None:
            raise ConfigError("--scheduler needs --engine dask; add --engine dask or leave it out")
        yield "pandas"
        return
    from .._engines import import_dask

    import_dask()
    with _client(scheduler):
        yield "dask"


@contextlib.contextmanager
def _client(scheduler: str | None) -> Iterator[Any]:
    """A client on the scheduler at ``scheduler``, or on a local cluster sized to the machine."""
    import distributed

    # distributed's constructors are not typed
    Client: Any = distributed.Client
    LocalCluster: Any = distributed.LocalCluster
    if scheduler is None:
        # LocalCluster's defaults size it to the machine: workers x threads = cores,
        # the memory limit shared among the workers
        with (
            LocalCluster(dashboard_address=None, processes=True) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(scheduler, timeout=_CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(
            f"cannot reach the Dask scheduler at {scheduler} ({exc}); check the address "
            "(tcp://HOST:8786) and that the scheduler is running, or leave out --scheduler "
            "to start a local cluster"
        ) from None
    with client:
        yield client
