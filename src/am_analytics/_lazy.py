"""Names of a package imported on first use, as SPEC 1 of the Scientific Python project has it.

A package lists where each such name is defined; its module ``__getattr__``
imports that module the first time the name is asked for and keeps the value,
so later lookups cost nothing. Type checkers and documentation tools read the
same names from imports under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_names(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``, each name of ``homes`` from its module.

    Examples
    --------
    >>> __getattr__, __dir__ = lazy_names("json", {"JSONDecoder": ".decoder"})
    >>> __getattr__("JSONDecoder").__name__
    'JSONDecoder'
    """

    def __getattr__(name: str) -> Any:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(homes[name], package), name)
        setattr(sys.modules[package], name, value)  # found directly from now on
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *homes})

    return __getattr__, __dir__
