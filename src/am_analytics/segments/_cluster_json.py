"""The JSON form of a fitted :class:`ValueSegmenter`, as ``to_json`` writes it."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ._clustering import ValueSegmenter

_FORMAT: Final = "am_analytics.ValueSegmenter"


_VERSION: Final = 1


def write_segmenter(segmenter: ValueSegmenter) -> str:
    """Everything a fitted ``segmenter`` needs to predict, as plain JSON."""
    tiers = segmenter.tiers_
    payload = {
        "format": _FORMAT,
        "version": _VERSION,
        "params": {  # as given (numpy integers written as plain ints)
            "k": segmenter.k if isinstance(segmenter.k, str) else int(segmenter.k),
            "method": segmenter.method,
            "features": list(segmenter.features),
            "random_state": None if segmenter.random_state is None else int(segmenter.random_state),
        },
        "k": segmenter.k_,
        "algorithm": segmenter.algorithm_,
        "features": [str(f) for f in segmenter.feature_names_in_],
        "feature_means": _floats(segmenter.feature_means_),
        "feature_scales": _floats(segmenter.feature_scales_),
        "centers": _floats(segmenter.centers_),
        "covariances": None if segmenter.covariances_ is None else _floats(segmenter.covariances_),
        "weights": None if segmenter.weights_ is None else _floats(segmenter.weights_),
        "silhouette": {str(k): _float(v) for k, v in segmenter.silhouette_.items()},
        "tier_names": list(segmenter.tier_names_),
        "tiers": {
            "value_tier": tiers.index.tolist(),
            **{
                c: tiers[c].tolist() if c in ("name", "clients") else _floats(tiers[c])
                for c in tiers.columns
            },
        },
        "n_fitted": segmenter.n_fitted_,
    }
    return json.dumps(payload, ensure_ascii=False, allow_nan=False)


def read_segmenter(text: str) -> dict[str, Any]:
    """The payload of :func:`write_segmenter`'s output; ValueError when it is not one."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise ValueError("not a fitted ValueSegmenter")
    if data.get("version") != _VERSION:
        raise ValueError(f"format version {data.get('version')}, expected {_VERSION}")
    return data


def restore_segmenter(segmenter: ValueSegmenter, data: dict[str, Any]) -> None:
    """Set ``segmenter``'s learned attributes from a parsed :func:`write_segmenter` payload."""
    k, features = int(data["k"]), tuple(str(f) for f in data["features"])
    d = len(features)
    segmenter.k_ = k
    segmenter.algorithm_ = str(data["algorithm"])
    segmenter.feature_names_in_ = np.asarray(features, dtype=object)
    segmenter.n_features_in_ = d
    segmenter.feature_means_ = _array(data["feature_means"]).reshape(d)
    segmenter.feature_scales_ = _array(data["feature_scales"]).reshape(d)
    segmenter.centers_ = _array(data["centers"]).reshape(k, d)
    covariances, weights = data["covariances"], data["weights"]
    segmenter.covariances_ = None if covariances is None else _array(covariances).reshape(k, d, d)
    segmenter.weights_ = None if weights is None else _array(weights).reshape(k)
    segmenter.silhouette_ = silhouette_series(
        {int(key): _nan(value) for key, value in data["silhouette"].items()}
    )
    segmenter.tier_names_ = tuple(str(name) for name in data["tier_names"])
    columns = dict(data["tiers"])
    index = pd.Index(np.asarray(columns.pop("value_tier"), dtype=np.int64), name="value_tier")
    segmenter.tiers_ = pd.DataFrame(
        {
            c: (
                [str(name) for name in v]
                if c == "name"
                else np.asarray(v, dtype=np.int64)
                if c == "clients"
                else _array(v)
            )
            for c, v in columns.items()
        },
        index=index,
    )
    segmenter.n_fitted_ = int(data["n_fitted"])
    if len(segmenter.tier_names_) != k or (segmenter.algorithm_ == "gmm") != (weights is not None):
        raise ValueError("tier names or mixture parameters do not match k and the algorithm")


def silhouette_series(values: dict[int, float]) -> pd.Series:
    """The mean silhouette of each candidate k, indexed by k."""
    index = pd.Index(sorted(values), dtype=np.int64, name="k")
    return pd.Series([values[k] for k in index], index=index, name="silhouette", dtype=np.float64)


def _floats(values: np.ndarray | pd.Series) -> Any:
    """Nested lists of floats for JSON, NaN and infinities written as null."""
    return _nulls(np.asarray(values, dtype=np.float64).tolist())


def _nulls(values: Any) -> Any:
    if isinstance(values, list):
        return [_nulls(v) for v in values]
    return _float(values)


def _float(value: float) -> float | None:
    """JSON has no NaN or infinity: write them as null."""
    return float(value) if math.isfinite(value) else None


def _array(values: Any) -> np.ndarray:
    """The inverse of :func:`_floats`: nested lists with nulls back to float64."""
    return np.array(_unnull(values), dtype=np.float64)


def _unnull(values: Any) -> Any:
    if isinstance(values, list):
        return [_unnull(v) for v in values]
    return math.nan if values is None else float(values)


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)
