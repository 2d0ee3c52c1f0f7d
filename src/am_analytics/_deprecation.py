"""Old calling forms kept working for one release, with a FutureWarning that shows the new one.

The public functions follow one calling rule (the package docstring states it):
``period``, ``periods`` and ``as_of`` are keyword-only, functions over several
tables take the ``Dataset`` first, and a function over one frame takes any
other frame by keyword. Code written for the earlier forms still runs until
:data:`REMOVED_IN`; each call says how to write it now. The decorators here
are the only places that know the old forms.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import pandas as pd

P = ParamSpec("P")
R = TypeVar("R")

#: The release after which the old calling forms stop working.
REMOVED_IN: str = "0.3"


def keyword_only_since(*names: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let keyword-only parameters ``names`` still be passed by position, with a FutureWarning.

    The decorated function declares ``names`` keyword-only; a call that passes
    them by position, in that order after the positional parameters, is mapped
    to keywords and warns once per call.

    Examples
    --------
    >>> import warnings
    >>> @keyword_only_since("period")
    ... def total(frame, *, period):
    ...     return (frame, period)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     total("sales", "2026Q3")
    ('sales', '2026Q3')
    >>> print(caught[0].message)
    pass period by keyword: total(..., period='2026Q3'); positional calls stop working in 0.3
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(function)
        positional = [
            p.name
            for p in signature.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]

        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            extra = args[len(positional) :]
            if extra:
                if len(extra) > len(names):
                    raise TypeError(
                        f"{function.__name__}() takes {len(positional)} positional "
                        f"arguments but {len(args)} were given"
                    )
                moved = dict(zip(names, extra, strict=False))
                shown = ", ".join(f"{k}={_shown(k, v)}" for k, v in moved.items())
                warn_old_call(
                    f"pass {', '.join(moved)} by keyword: {function.__name__}(..., {shown})"
                )
                kwargs.update(moved)
                args = args[: len(positional)]  # type: ignore[assignment]
            return function(*args, **kwargs)

        return wrapper

    return decorate


def _shown(name: str, value: object) -> str:
    """A value as the advice writes it: short values as they are, frames by name."""
    text = repr(value)
    return text if isinstance(value, str | int | float) and len(text) <= 40 else name


def warn_old_call(advice: str, *, stacklevel: int = 3) -> None:
    """Warn that a call uses a form that stops working in :data:`REMOVED_IN`."""
    warnings.warn(
        f"{advice}; positional calls stop working in {REMOVED_IN}"
        if advice.startswith("pass ")
        else f"{advice}; the old form stops working in {REMOVED_IN}",
        FutureWarning,
        stacklevel=stacklevel,
    )


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


def frame_first_until_removed(
    new_call: str, old: Callable[..., R]
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run ``old`` with a FutureWarning showing ``new_call`` when a frame comes first.

    The decorated function takes the ``Dataset`` first; a call whose first
    argument is a DataFrame is the earlier form and goes to ``old``, which
    takes the arguments as they were given.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if args and isinstance(args[0], pd.DataFrame):
                warn_old_call(f"give the dataset first: {new_call}")
                return old(*args, **kwargs)
            return function(*args, **kwargs)

        return wrapper

    return decorate
