"""Shared pieces of the ratings functions: constants, input checks, integer codes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ConfigError, DataValidationError
from ..schemas import RATER_ROLES

IntArray = npt.NDArray[np.int64]


FloatArray = npt.NDArray[np.float64]


BoolArray = npt.NDArray[np.bool_]


#: Default weight of each rater role in :func:`competency_scores`; ``self`` is left out.
ROLE_WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {"supervisor": 0.5, "peer": 0.3, "client": 0.2, "self": 0.0}
)


#: The ways :func:`calibrate` can remove rater leniency.
CALIBRATION_METHODS: Final = ("none", "rater_center", "zscore")


_REQUIRED: Final = ("manager_id", "period", "rater_id", "rater_role", "competency", "score")


_SELF: Final = RATER_ROLES.index("self")


def _check_method(method: str) -> None:
    """Raise ConfigError unless ``method`` is a calibration method."""
    if method not in CALIBRATION_METHODS:
        raise ConfigError(
            f"unknown calibration method {method!r}; expected one of "
            f"{', '.join(repr(m) for m in CALIBRATION_METHODS)}. Pass one of them as method="
        )


def _finite_number(value: object) -> float | None:
    """``value`` as a float if it is a finite real number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass(frozen=True, slots=True)
class _Layout:
    """A ratings frame as integer codes: what the estimators work on."""

    score: FloatArray
    valid: BoolArray  # the score is a finite number
    manager: IntArray  # per row; codes index ``manager_values``
    period: IntArray  # per row; codes index ``periods`` (sorted)
    competency: IntArray  # per row; codes index ``competencies`` (sorted)
    rater: IntArray  # per row; codes index ``rater_ids`` (sorted)
    role: IntArray  # per row; index into RATER_ROLES
    item: IntArray  # per row; (manager, period, competency), numbered in that sort order
    key: IntArray  # per row; the rater (rater_id, rater_role)
    item_parts: tuple[IntArray, IntArray, IntArray]  # per item: manager, period, competency
    key_parts: tuple[IntArray, IntArray]  # per key: rater, role
    manager_dtype: Any  # CategoricalDtype of manager_id, or None
    manager_values: pd.Index
    periods: pd.Index
    competencies: pd.Index
    rater_ids: pd.Index

    @property
    def n_items(self) -> int:
        """Number of distinct (manager, period, competency) items."""
        return int(self.item_parts[0].size)

    @property
    def n_keys(self) -> int:
        """Number of distinct raters (rater_id, rater_role)."""
        return int(self.key_parts[0].size)

    @property
    def n_periods(self) -> int:
        """Number of distinct periods."""
        return len(self.periods)


def _layout(ratings: pd.DataFrame) -> _Layout:
    """Check a ratings frame and code it as integers."""
    _check_ratings(ratings)
    manager, manager_values, manager_dtype = _manager_codes(ratings["manager_id"])
    period, periods = _codes(ratings["period"], "period")
    competency, competencies = _codes(ratings["competency"], "competency")
    rater, rater_ids = _codes(ratings["rater_id"], "rater_id")
    role = _role_codes(ratings["rater_role"])
    sizes = (len(manager_values), len(periods), len(competencies))
    item, item_parts = _combine((manager, period, competency), sizes)
    key, key_parts = _combine((rater, role), (len(rater_ids), len(RATER_ROLES)))
    score = ratings["score"].to_numpy(dtype="float64", na_value=np.nan)
    return _Layout(
        score=score,
        valid=np.isfinite(score),
        manager=manager,
        period=period,
        competency=competency,
        rater=rater,
        role=role,
        item=item,
        key=key,
        item_parts=(item_parts[0], item_parts[1], item_parts[2]),
        key_parts=(key_parts[0], key_parts[1]),
        manager_dtype=manager_dtype,
        manager_values=manager_values,
        periods=periods,
        competencies=competencies,
        rater_ids=rater_ids,
    )


def _check_ratings(ratings: pd.DataFrame) -> None:
    """Raise DataValidationError unless ``ratings`` has the columns the module needs."""
    if not isinstance(ratings, pd.DataFrame):
        raise DataValidationError(
            f"ratings must be a pandas DataFrame, got {type(ratings).__name__}; pass the "
            "ratings table of a Dataset (data.ratings)"
        )
    missing = [column for column in _REQUIRED if column not in ratings.columns]
    if missing:
        raise DataValidationError(
            f"the ratings table lacks the required columns {missing} (it has "
            f"{list(map(str, ratings.columns))}); load it with am_analytics.load or rename "
            "the columns to the canonical names",
            missing={"ratings": missing},
        )
    score = ratings["score"]
    if not pd.api.types.is_numeric_dtype(score) or pd.api.types.is_bool_dtype(score):
        raise DataValidationError(
            f"ratings.score must be numeric, found dtype {score.dtype}; load the table with "
            "am_analytics.load or convert the column with pandas.to_numeric"
        )


def _missing_key_error(column: str, count: int) -> DataValidationError:
    return DataValidationError(
        f"ratings.{column} has {count} missing values; every rating needs a {column}. "
        "Load the table with am_analytics.load, which rejects such rows"
    )


def _codes(column: pd.Series, name: str) -> tuple[IntArray, pd.Index]:
    """Codes of a key column into its sorted distinct values."""
    codes, uniques = pd.factorize(column, sort=True)
    if codes.size and codes.min() < 0:
        raise _missing_key_error(name, int((codes < 0).sum()))
    return codes.astype(np.int64), pd.Index(uniques)


def _manager_codes(column: pd.Series) -> tuple[IntArray, pd.Index, Any]:
    """Codes of manager_id: its category codes when categorical (every category kept)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.int64)
        if codes.size and codes.min() < 0:
            raise _missing_key_error("manager_id", int((codes < 0).sum()))
        return codes, pd.Index(column.cat.categories), column.dtype
    codes, uniques = _codes(column, "manager_id")
    return codes, uniques, None


def _role_codes(column: pd.Series) -> IntArray:
    """Index of each rating's role in RATER_ROLES; DataValidationError for other roles."""
    codes, uniques = pd.factorize(column)
    lookup = np.asarray(
        [RATER_ROLES.index(u) if u in RATER_ROLES else -1 for u in uniques], dtype=np.int64
    )
    unknown = sorted(str(u) for u in uniques if u not in RATER_ROLES)
    if (codes < 0).any():
        unknown.append("<missing>")
    if unknown:
        raise DataValidationError(
            f"ratings.rater_role has unknown roles {unknown}; the roles are "
            f"{', '.join(RATER_ROLES)}. Map them when loading (am_analytics.load)"
        )
    return lookup[codes]


def _combine(
    codes: tuple[IntArray, ...], sizes: tuple[int, ...]
) -> tuple[IntArray, tuple[IntArray, ...]]:
    """Number the distinct combinations of several codes in lexicographic order.

    Returns the per-row combination code and, per combination, its part codes.
    """
    if math.prod(max(size, 1) for size in sizes) >= 2**62:
        raise DataValidationError(
            f"too many distinct key values to combine ({sizes}); split the ratings table"
        )
    flat = np.zeros(codes[0].size, dtype=np.int64)
    for part, size in zip(codes, sizes, strict=True):
        flat = flat * size + part
    combined, uniques = pd.factorize(flat, sort=True)
    parts = np.unravel_index(np.asarray(uniques, dtype=np.int64), tuple(max(s, 1) for s in sizes))
    return combined.astype(np.int64), tuple(p.astype(np.int64) for p in parts)


def _sum_by(codes: IntArray, size: int, weights: FloatArray | None = None) -> FloatArray:
    """Per-code sums of ``weights`` (counts without), always float, ``size`` long."""
    return np.bincount(codes, weights=weights, minlength=size).astype(np.float64)


def _per_key_mean(layout: _Layout, values: FloatArray, counted: BoolArray) -> FloatArray:
    """Mean of ``values`` over the counted rows of each key (NaN without any)."""
    n = _sum_by(layout.key[counted], layout.n_keys)
    total = _sum_by(layout.key[counted], layout.n_keys, values[counted])
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / n
