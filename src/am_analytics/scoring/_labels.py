"""Per-row lists of criteria (missing, not finite) as string columns, built from codes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

__all__ = ["criteria_labels"]

#: Criteria a row's combination can be packed into as the bits of one int64.
_PACKED_CRITERIA: Final = 62


def criteria_labels(
    masks: Sequence[npt.NDArray[np.bool_]], names: Sequence[str]
) -> pd.api.extensions.ExtensionArray:
    """The comma-separated names of each row's flagged criteria (``""`` when none).

    ``masks`` holds one boolean array per criterion, in the order of ``names``.
    The result is a pandas ``str`` array, as pandas would make from Python strings.

    Examples
    --------
    >>> import numpy as np
    >>> masks = [np.array([True, False, True]), np.array([True, False, False])]
    >>> list(criteria_labels(masks, ["csat_mean", "nps"]))
    ['csat_mean, nps', '', 'csat_mean']
    """
    n_rows = len(masks[0]) if len(masks) else 0
    if len(masks) > _PACKED_CRITERIA:
        return pd.array(_labels_row_by_criterion(masks, names), dtype="str")
    if not any(mask.any() for mask in masks):  # the usual case of not_finite: nothing to name
        return pd.array(pa.repeat(pa.scalar("", pa.large_string()), n_rows), dtype="str")
    # each row's combination as the bits of one integer: a handful of distinct
    # combinations, each spelled once, then taken for every row
    combination = np.zeros(n_rows, dtype=np.uint16 if len(masks) <= 16 else np.uint64)
    for bit, mask in enumerate(masks):
        np.bitwise_or(combination, 1 << bit, out=combination, where=mask, dtype=combination.dtype)
    codes, combinations = _factorized(combination, small=len(masks) <= 16)
    spelled = [
        ", ".join(name for bit, name in enumerate(names) if (int(c) >> bit) & 1)
        for c in combinations
    ]
    labels = pa.array(spelled, type=pa.large_string()).take(pa.array(codes))
    return pd.array(labels, dtype="str")


def _factorized(
    combination: npt.NDArray[Any], *, small: bool
) -> tuple[npt.NDArray[np.intp], npt.NDArray[Any]]:
    """Codes and distinct values of ``combination``; a count table when it fits 16 bits."""
    if not small:
        codes, distinct = pd.factorize(combination)
        return codes, distinct
    distinct = np.flatnonzero(np.bincount(combination, minlength=1 << 16))
    position = np.zeros(1 << 16, dtype=np.intp)
    position[distinct] = np.arange(len(distinct))
    return position[combination], distinct


def _labels_row_by_criterion(
    masks: Sequence[npt.NDArray[np.bool_]], names: Sequence[str]
) -> npt.NDArray[Any]:
    """The same labels, joined criterion by criterion (for very many criteria)."""
    labels = np.full(len(masks[0]), "", dtype=object)
    for rows, name in zip(masks, names, strict=True):
        labels[rows] = np.where(labels[rows] == "", name, labels[rows] + ", " + name)
    return labels
