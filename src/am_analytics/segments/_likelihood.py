"""Shared pieces of the expected-value models: maximum likelihood, summary checks, JSON."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ConfigError, DataValidationError

FloatArray = npt.NDArray[np.float64]


IntArray = npt.NDArray[np.intp]


TimeUnit = Literal["D", "W", "M"]


#: Fewest clients a fit accepts (for the Gamma-Gamma model: repeat buyers with
#: a positive mean spend). Four parameters from fewer is noise, not an estimate.
MIN_CLIENTS: Final = 10


#: Days in one unit of the summary's ``recency`` and ``T``, by ``time_unit``: the
#: units of ``rfm_summary`` (a month is 365.25 / 12 days).
TIME_UNITS: Final = MappingProxyType({"D": 1.0, "W": 7.0, "M": 365.25 / 12})


#: Bound on the log of every parameter: exp(±30) is far outside any sensible
#: value, so reaching it means the data do not pin the parameter down.
_LOG_BOUND: Final = 30.0


#: Largest gradient of the mean log-likelihood (per log-parameter) taken as an
#: optimum (the CDNOW fits end below 1e-8).
_GRADIENT_TOLERANCE: Final = 1e-5


#: A Gamma or Beta shape parameter beyond this makes its distribution a point
#: mass (coefficient of variation under 1 %): the fit is running off to a limit.
_SHAPE_LIMIT: Final = 1e4


_TABLE: Final = "rfm_summary"


class ClvFitWarning(UserWarning):
    """A CLV model's fit did not converge, or its parameters ran off to a limit.

    The parameters are kept (they are the best the optimiser found), but read
    them with care: usually the data are too few or too uniform to identify
    the model (a shape parameter growing without bound means the clients show
    no spread in what it governs).
    """


def _maximize(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    start: FloatArray,
    *,
    clients: int,
    names: tuple[str, ...],
    shapes: Mapping[str, str],
    model: str,
    max_iterations: int,
) -> tuple[FloatArray, float]:
    """Maximise a mean log-likelihood over log-parameters: the optimum and the total.

    ``objective`` returns minus the mean log-likelihood over ``clients`` and
    its gradient (a mean keeps the tolerances independent of the population's
    size); the total is the mean times ``clients``. ``shapes`` names the shape
    parameters and what their distribution spreads across clients, for the
    warning when one runs off to infinity.
    """
    # imported here: scipy.optimize adds about 0.1 s to importing the package, and only
    # fitting needs it
    from scipy import optimize

    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(start)
    with np.errstate(over="ignore", under="ignore"):
        result = optimize.minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            # the objective is a mean, of order 1-10: these tolerances hold its optimum
            # to far better than the 3-4 significant digits anyone reads off
            options={"maxiter": max_iterations, "ftol": 1e-13, "gtol": 1e-9},
        )
    theta = np.asarray(result.x, dtype=np.float64)
    value, gradient = objective(theta)
    if not math.isfinite(value):
        raise ConfigError(
            f"the {model} fit failed: the log-likelihood is not finite at "
            f"{dict(zip(names, np.exp(theta).tolist(), strict=True))}; check the summary "
            "for extreme values"
        )
    params = dict(zip(names, np.exp(theta).tolist(), strict=True))
    found = ", ".join(f"{name}={value:.4g}" for name, value in params.items())
    at_bound = np.abs(theta) >= _LOG_BOUND - 1e-6
    # L-BFGS-B also stops "successfully" when f barely moves along a ridge: judge by the
    # gradient (per log-parameter, of a mean log-likelihood), not by its flag
    converged = float(np.max(np.abs(np.where(at_bound, 0.0, gradient)))) < _GRADIENT_TOLERANCE
    problem = _runaway(names, params, at_bound, shapes)
    advice = "fit on more clients or a longer history"
    if not problem and not converged:
        problem = f"did not converge after {result.nit} iterations ({result.message.strip(': ')})"
        advice = f"raise max_iterations, or {advice}"
    if not problem:
        return theta, -value * clients
    warnings.warn(
        f"the {model} fit {problem}; the best parameters found are {found}. Predictions "
        f"may still serve, but the parameters mean little: {advice}",
        ClvFitWarning,
        stacklevel=3,
    )
    return theta, -value * clients


def _runaway(
    names: tuple[str, ...],
    params: Mapping[str, float],
    at_bound: npt.NDArray[np.bool_],
    shapes: Mapping[str, str],
) -> str:
    """What ran off to a limit, naming every such parameter; empty when none did.

    On data with no spread the likelihood grows without bound along a ridge, and
    where the optimiser stops on it is set by rounding (a CPU's own exp and log
    kernels move it), so any of the ridge's parameters may end past the shape
    limit, at the bound, or both: all of them are named, whichever way they went.
    """
    flat = [name for name in shapes if params[name] > _SHAPE_LIMIT]
    bounded = [name for name, hit in zip(names, at_bound, strict=True) if hit and name not in flat]
    parts = []
    if flat:
        spreads = " or ".join(dict.fromkeys(shapes[name] for name in flat))
        parts.append(
            f"drives {', '.join(flat)} past {_SHAPE_LIMIT:g}: the data show next to no "
            f"spread in {spreads} across clients, and the model runs off to that limit"
        )
    if bounded:
        parts.append(f"ran {', '.join(bounded)} to the bound exp(±{_LOG_BOUND:g})")
    return "; it also ".join(parts)


def _dot(weights: FloatArray, values: FloatArray) -> float:
    """Σ weights × values, without BLAS.

    A BLAS dot product of long vectors starts threads, which on a busy machine
    made the likelihood five times slower; a plain product and sum does not.
    """
    return float(np.multiply(weights, values).sum())


def _collapse(columns: list[FloatArray]) -> tuple[list[FloatArray], FloatArray]:
    """The distinct rows of ``columns`` and how many times each occurs.

    Many clients share a history (most of all one-time buyers of the same age),
    so the likelihood is summed over distinct rows with weights.
    """
    distinct, counts, _ = _distinct(columns)
    return distinct, counts


def _distinct(columns: list[FloatArray]) -> tuple[list[FloatArray], FloatArray, IntArray]:
    """The distinct rows of ``columns`` (sorted), their counts, and each row's distinct row."""
    n = len(columns[0])
    if n == 0:
        return [c.copy() for c in columns], np.zeros(0), np.zeros(0, dtype=np.intp)
    order = np.lexsort(columns[::-1])
    ordered = [c[order] for c in columns]
    starts = np.zeros(n, dtype=bool)
    starts[0] = True
    for column in ordered:
        starts[1:] |= column[1:] != column[:-1]
    first = np.flatnonzero(starts)
    counts = np.diff(np.append(first, n)).astype(np.float64)
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = np.cumsum(starts) - 1
    return [c[first] for c in ordered], counts, inverse


def _read_summary(
    summary: pd.DataFrame, names: tuple[str, ...], *, caller: str
) -> dict[str, FloatArray]:
    """The summary's columns as float arrays, after checking the rules they must follow."""
    if not isinstance(summary, pd.DataFrame):
        raise DataValidationError(
            f"{caller} needs an rfm_summary DataFrame, got {type(summary).__name__}; "
            "build one with rfm_summary(sales, as_of=...)"
        )
    missing = [name for name in names if name not in summary.columns]
    if missing:
        raise DataValidationError(
            f"{caller} needs the rfm_summary columns {list(names)}; missing {missing}. "
            "Build the frame with rfm_summary(sales, as_of=...), or rename your columns",
            missing={_TABLE: missing},
        )
    columns: dict[str, FloatArray] = {}
    for name in names:
        try:
            columns[name] = summary[name].to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            raise DataValidationError(
                f"{caller}: column {name!r} of the rfm_summary must be numeric, found dtype "
                f"{summary[name].dtype}; convert it with pandas.to_numeric"
            ) from None
    _check_rules(summary.index, columns, caller=caller)
    return columns


def _check_rules(index: pd.Index, columns: Mapping[str, FloatArray], *, caller: str) -> None:
    """Raise a DataValidationError listing every row that breaks a summary rule."""
    failures: list[tuple[str, str, npt.NDArray[np.bool_], str]] = []
    for name, values in columns.items():
        failures.append((name, "finite", ~np.isfinite(values), "must be a finite number"))
    if "frequency" in columns:
        x = columns["frequency"]
        failures.append(
            (
                "frequency",
                "whole_non_negative",
                np.isfinite(x) & ((x < 0) | (x != np.round(x))),
                "must be a whole number >= 0 (the count of repeat purchases)",
            )
        )
    if "recency" in columns:
        tx = columns["recency"]
        failures.append(("recency", "non_negative", tx < 0, "must be >= 0"))
        if "T" in columns:
            failures.append(
                (
                    "recency",
                    "at_most_T",
                    tx > columns["T"],
                    "must be <= T (the last purchase cannot come after the end of observation)",
                )
            )
        if "frequency" in columns:
            failures.append(
                (
                    "recency",
                    "zero_without_repeats",
                    (columns["frequency"] == 0) & (tx != 0) & np.isfinite(tx),
                    "must be 0 for a client without repeat purchases (frequency 0)",
                )
            )
    rejects = [
        pd.DataFrame(
            {
                "table": _TABLE,
                "source": "",
                "row": np.flatnonzero(mask) + 1,
                "column": column,
                "check": check,
                "value": columns[column][mask],
                "reason": f"{column} {reason}",
            }
        )
        for column, check, mask, reason in failures
        if mask.any()
    ]
    if not rejects:
        return
    frame = pd.concat(rejects, ignore_index=True).sort_values(["row", "column"], kind="stable")
    first = frame.iloc[0]
    label = index[int(first["row"]) - 1]
    raise DataValidationError(
        f"{caller}: {frame['row'].nunique()} row(s) of the rfm_summary break its rules, e.g. "
        f"row {first['row']} (client {label!r}): {first['reason']}, found {first['value']!r}. "
        "See the error's rejects; rebuild the summary with rfm_summary(sales, as_of=...)",
        rejects=frame.reset_index(drop=True),
    )


def _check_population(count: int, *, what: str, model: str) -> None:
    if count < MIN_CLIENTS:
        raise ConfigError(
            f"the {model} model needs at least {MIN_CLIENTS} {what} to fit, found {count}; "
            "fit on a larger population, or pass a model fitted elsewhere "
            "(from_params or from_json)"
        )


def _check_max_iterations(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"max_iterations must be a whole number >= 1, not {value!r}")


def _check_horizon(value: object, *, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ConfigError(f"{name} must be a finite number >= 0, not {value!r}")
    return float(value)


def _check_discount_rate(value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ConfigError(
            f"discount_rate must be a finite annual rate >= 0 (0.1 for 10 %), not {value!r}"
        )
    return float(value)
