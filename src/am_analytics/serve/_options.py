"""The service's settings: one frozen value, passed to worker processes as JSON."""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from ..errors import ConfigError

#: The environment variable that hands the settings to worker processes.
OPTIONS_VARIABLE: Final = "AM_ANALYTICS_SERVE_OPTIONS"
#: Records in one batch request, at most.
MAX_BATCH: Final = 10_000
#: Bytes of one request body, at most: a full batch of ten criteria takes about 2.5 MB.
MAX_BODY_BYTES: Final = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """How ``am-analytics serve`` runs.

    Parameters
    ----------
    manager_model
        The fitted manager model file (required).
    client_model
        The fitted client model file; without it ``/v1/clients/segment`` answers 404.
    host, port, workers
        Where to listen and how many worker processes to run.
    token_file
        A file holding the bearer token clients must send; required when
        ``host`` is not a loopback address.
    max_batch
        Records in one batch request, at most.
    max_body_bytes
        Bytes of one request body, at most (checked before and while reading it).

    Examples
    --------
    >>> from pathlib import Path
    >>> options = ServeOptions(Path("managers.json"))
    >>> ServeOptions.from_json(options.to_json()) == options
    True
    >>> ServeOptions(Path("m.json"), workers=0)
    Traceback (most recent call last):
    ...
    am_analytics.errors.ConfigError: workers=0: give at least 1 worker process
    """

    manager_model: Path
    client_model: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    token_file: Path | None = None
    max_batch: int = MAX_BATCH
    max_body_bytes: int = MAX_BODY_BYTES

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ConfigError(f"workers={self.workers}: give at least 1 worker process")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port={self.port}: give a TCP port between 0 and 65535")
        if self.max_batch < 1 or self.max_body_bytes < 1:
            raise ConfigError("max_batch and max_body_bytes must be positive")

    @property
    def is_loopback(self) -> bool:
        """Whether ``host`` only accepts connections from this machine."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:  # a host name: it may resolve to any interface
            return False

    def to_json(self) -> str:
        """The settings as JSON (paths as strings)."""
        return json.dumps(
            {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}
        )

    @classmethod
    def from_json(cls, text: str) -> ServeOptions:
        """Settings written by :meth:`to_json`."""
        data = json.loads(text)
        for key in ("manager_model", "client_model", "token_file"):
            data[key] = None if data[key] is None else Path(data[key])
        return cls(**data)

    @classmethod
    def from_environment(cls) -> ServeOptions:
        """The settings the command line handed to this worker process."""
        text = os.environ.get(OPTIONS_VARIABLE)
        if text is None:
            raise ConfigError(
                f"{OPTIONS_VARIABLE} is not set: start the service with `am-analytics serve`"
            )
        return cls.from_json(text)


def read_token(path: Path | None) -> str | None:
    """The bearer token held in ``path`` (surrounding whitespace removed), or None."""
    if path is None:
        return None
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            f"cannot read the token file {path}: {error}; give a readable UTF-8 text file"
        ) from None
    if len(token) < 16:
        raise ConfigError(
            f"the token in {path} has {len(token)} characters; use at least 16 random ones "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return token
