"""The calling orders of release 0.1, still accepted for one release with a FutureWarning.

The goal functions over several tables take the :class:`~am_analytics.Dataset`
first and the goals by keyword (``attainment(data, as_of=..., goals=edited)``),
and a function over one frame takes any other frame by keyword
(``apply_adjustments(goals, proposals=...)``). Code written in the former
order keeps working until :data:`~am_analytics._deprecation.REMOVED_IN`, and
each such call says how to write it now.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import pandas as pd

from .._deprecation import warn_old_call

P = ParamSpec("P")
R = TypeVar("R")

#: Folds a function's former keywords into its current ones (warning), given the kwargs and name.
KeywordAdapter = Callable[[dict[str, Any], str], dict[str, Any]]


def dataset_first(
    *, old_keywords: KeywordAdapter | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Accept ``function(goals, dataset, ...)`` as ``function(dataset, goals=goals, ...)``, warning.

    ``old_keywords``, when given, also maps keywords the function no longer
    takes onto the ones it does (it warns itself), in the same call so that
    every warning points at the caller's line.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        name = function.__name__

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> R:
            if old_keywords is not None:
                kwargs = old_keywords(kwargs, name)
            if args and isinstance(args[0], pd.DataFrame):
                goals, rest = args[0], args[1:]
                if not rest and "dataset" in kwargs:
                    rest = (kwargs.pop("dataset"),)
                warn_old_call(
                    "put the dataset first and pass the goals by keyword: "
                    f"{name}(dataset, goals=goals, ...)"
                )
                return function(*rest, goals=goals, **kwargs)  # type: ignore[arg-type]
            return function(*args, **kwargs)

        return wrapper

    return decorate


def frame_keyword_since(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Accept the frame ``name`` as the second positional argument, warning.

    Unlike :func:`~am_analytics._deprecation.keyword_only_since`, the advice
    names the argument instead of printing the frame's repr.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        first = next(iter(inspect.signature(function).parameters))
        advice = f"pass {name} by keyword: {function.__name__}({first}, {name}={name}, ...)"

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> R:
            if len(args) == 2:
                warn_old_call(advice)
                return function(args[0], **{**kwargs, name: args[1]})
            return function(*args, **kwargs)

        return wrapper

    return decorate
