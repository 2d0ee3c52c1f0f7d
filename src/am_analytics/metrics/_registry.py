"""The metric registry: what a metric is, and the names scorecards and goals look metrics up by."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from .._metric_names import RATING_PREFIX, RATING_TEMPLATE
from .._metric_names import REGISTRY as _REGISTRY
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..dataset import Dataset
    from ._context import MetricContext

Direction: TypeAlias = Literal["higher", "lower"]
FloatArray: TypeAlias = np.ndarray[Any, np.dtype[np.float64]]
IntArray: TypeAlias = np.ndarray[Any, np.dtype[np.int64]]


@dataclass(frozen=True, slots=True)
class Metric:
    """A per-manager, per-period measure.

    Parameters
    ----------
    name
        Column name in :func:`manager_metrics`; snake_case.
    direction
        ``"higher"`` if more is better, ``"lower"`` if less is better.
    unit
        What one unit is (``"currency"``, ``"clients"``, ``"share"``, ...).
    description
        One sentence a sales director understands, including edge cases.
    tables
        The dataset tables the metric reads.
    compute
        ``compute(context) -> values``: one value per row of the managers table
        (a float array), from a :class:`MetricContext`. A metric that yields a
        family of columns (``rating_<competency>``) returns a DataFrame with one
        column per member instead.
    """

    name: str
    direction: Direction
    unit: str
    description: str
    tables: tuple[str, ...]
    compute: Callable[[MetricContext], FloatArray | pd.DataFrame]

    def __post_init__(self) -> None:
        if self.direction not in ("higher", "lower"):
            raise ConfigError(
                f"metric {self.name!r}: direction must be 'higher' or 'lower', "
                f"not {self.direction!r}"
            )


def register_metric(metric: Metric, *, replace: bool = False) -> Metric:
    """Add ``metric`` to the registry, so scorecards and goals can name it.

    Raises
    ------
    ConfigError
        If a metric of that name exists and ``replace`` is false.

    Examples
    --------
    >>> import numpy as np
    >>> m = Metric("team_size", "higher", "managers", "Managers in the team.",
    ...            ("managers",), lambda ctx: np.ones(len(ctx.dataset.managers)))
    >>> register_metric(m).name
    'team_size'
    >>> _ = _REGISTRY.pop("team_size")
    """
    if metric.name in _REGISTRY and not replace:
        raise ConfigError(
            f"a metric named {metric.name!r} is already registered; "
            "choose another name or pass replace=True"
        )
    _REGISTRY[metric.name] = metric
    return metric


def get_metric(name: str, *, dataset: Dataset | None = None) -> Metric:
    """The registered metric called ``name`` (``rating_<competency>`` included).

    Raises
    ------
    ConfigError
        If no metric has that name.

    Examples
    --------
    >>> get_metric("complaint_count").direction
    'lower'
    >>> get_metric("rating_teamwork").unit
    'score'
    """
    if name in _REGISTRY:
        return _REGISTRY[name]
    if name.startswith(RATING_PREFIX) and len(name) > len(RATING_PREFIX):
        return _REGISTRY[RATING_TEMPLATE]
    raise ConfigError(
        f"unknown metric {name!r}; known metrics: {', '.join(_REGISTRY)} "
        "(list_metrics() describes them)"
    )


def list_metrics() -> pd.DataFrame:
    """The registered metrics: ``name, direction, unit, tables, description``.

    Examples
    --------
    >>> m = list_metrics().set_index("name")
    >>> m.loc["sales_amount", ["direction", "unit", "tables"]].tolist()
    ['higher', 'currency', 'sales']
    """
    return pd.DataFrame(
        {
            "name": [m.name for m in _REGISTRY.values()],
            "direction": [m.direction for m in _REGISTRY.values()],
            "unit": [m.unit for m in _REGISTRY.values()],
            "tables": [", ".join(m.tables) for m in _REGISTRY.values()],
            "description": [m.description for m in _REGISTRY.values()],
        }
    )
