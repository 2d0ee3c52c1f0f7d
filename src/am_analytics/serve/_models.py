"""The models the service answers with: read from their files once, swapped whole on reload."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .._version import library_version
from ..errors import AmAnalyticsError
from ..model_file import read_model
from ._clients import ClientSegmenting
from ._managers import ManagerScoring
from ._options import ServeOptions


@dataclass(frozen=True)
class ServedModels:
    """Everything a request reads: never changed, replaced whole on reload."""

    manager: ManagerScoring
    client: ClientSegmenting | None
    loaded_at: float = field(default_factory=time.time)

    def describe(self) -> dict[str, Any]:
        """What ``GET /v1/models`` answers."""
        return {
            "library_version": library_version(),
            "loaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.loaded_at)),
            "manager_model": self.manager.describe(),
            "client_model": None if self.client is None else self.client.describe(),
        }


def load_models(options: ServeOptions) -> ServedModels:
    """Read and prepare every model the options name; raises ConfigError on any fault."""
    manager_file = read_model(options.manager_model, kind="manager_model")
    manager = ManagerScoring(manager_file, max_batch=options.max_batch)
    client = None
    if options.client_model is not None:
        client_file = read_model(options.client_model, kind="client_model")
        client = ClientSegmenting(client_file, max_batch=options.max_batch)
    return ServedModels(manager=manager, client=client)


class ModelHolder:
    """The current :class:`ServedModels`, and the one way to replace them."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        self.current = load_models(options)

    def reload(self) -> tuple[bool, str]:
        """Read the files again; keep the old models if any file is unusable.

        Returns whether the models were replaced and, when not, why (without
        file paths: the reason may reach a client).
        """
        try:
            fresh = load_models(self.options)
        except AmAnalyticsError as error:
            return False, self._without_paths(str(error))
        except Exception as error:  # an unreadable file must never take the service down
            return False, f"the model files could not be read ({type(error).__name__})"
        self.current = fresh  # one reference assignment: a request sees old or new, never a mix
        return True, "reloaded"

    def _without_paths(self, message: str) -> str:
        """``message`` with the model and token file paths replaced by what they are."""
        named = {
            self.options.manager_model: "the manager model file",
            self.options.client_model: "the client model file",
        }
        for path, name in named.items():
            if path is not None:
                for spelling in sorted({str(path.resolve()), str(path)}, key=len, reverse=True):
                    message = message.replace(spelling, name)
        return message
