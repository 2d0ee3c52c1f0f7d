"""Old calling forms kept working for one release, with a FutureWarning that shows the new one.

The public functions follow one calling rule (the package docstring states it):
``period``, ``periods`` and ``as_of`` are keyword-only, and functions over
several tables take the ``Dataset`` first. Code written for the earlier forms
still runs until the next release; each call says how to write it now.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import ParamSpec, TypeVar

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
                shown = ", ".join(f"{k}={v!r}" for k, v in moved.items())
                warn_old_call(
                    f"pass {', '.join(moved)} by keyword: {function.__name__}(..., {shown})"
                )
                kwargs.update(moved)
                args = args[: len(positional)]  # type: ignore[assignment]
            return function(*args, **kwargs)

        return wrapper

    return decorate


def warn_old_call(advice: str, *, stacklevel: int = 3) -> None:
    """Warn that a call uses a form that stops working in :data:`REMOVED_IN`."""
    warnings.warn(
        f"{advice}; positional calls stop working in {REMOVED_IN}"
        if advice.startswith("pass ")
        else f"{advice}; the old form stops working in {REMOVED_IN}",
        FutureWarning,
        stacklevel=stacklevel,
    )
