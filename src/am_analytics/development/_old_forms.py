"""The frame-first calling forms of the development functions, kept working for one release."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import pandas as pd

from .._deprecation import warn_old_call

P = ParamSpec("P")
R = TypeVar("R")


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
