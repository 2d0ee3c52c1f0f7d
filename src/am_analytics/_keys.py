"""Steps 2 and 3 of validation: references to other tables' keys resolved, own keys enforced."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import pyarrow as pa_arrow
import pyarrow.compute as pc

from ._rejects import _causes, _Issues
from .schemas import key_columns, references

OnOrphans = Literal["reject", "keep"]

# Reference lookups of at least this many rows run in two halves, one per core. Each
# lookup builds its own hash table of the keys, so smaller ones, and more slices, cost
# more than they save.
_SPLIT_LOOKUP_ROWS: Final = 2_000_000
# Key columns of at least this many strings are tested by Arrow (sorted), others by pandas.
_SORT_ROWS: Final = 100_000
# Sorted keys are compared in slices of this many rows (with one row of overlap).
_COMPARE_SLICE: Final = 1_000_000


# --- step 2: references -----------------------------------------------------------------


def _resolve_references(
    table: str,
    frame: pd.DataFrame,
    kept: dict[str, pd.DataFrame],
    roots: dict[str, pd.Series],
    positions: dict[str, np.ndarray],
    issues: _Issues,
    *,
    on_orphans: OnOrphans,
) -> pd.DataFrame:
    """Reference columns as categoricals over the referenced keys; unknown ids handled.

    ``positions`` holds each reference column's positions among the referenced
    keys (:func:`_positions`). The schema's checks of these columns (present,
    categorical) are enforced here, where they cost nothing. An unknown id whose
    row was rejected in its table is rejected with that row's root cause.
    """
    updates: dict[str, Any] = {}
    for column, target in references(table).items():
        keys = kept[target][key_columns(target)[0]]
        values = frame[column]
        codes = positions[column]
        empty = values.isna()
        issues.add(
            values.index[empty.to_numpy()], column, "required", f"{column} is empty; it is required"
        )
        unknown = ~empty.to_numpy() & (codes < 0)
        categories = pd.Index(keys)
        if unknown.any():
            missing_ids = values[unknown].astype("str")
            if on_orphans == "keep":
                extra = pd.Index(pd.unique(missing_ids), dtype="str")
                categories = categories.append(extra)
                codes[unknown] = len(keys) + extra.get_indexer(pd.Index(missing_ids))
            else:
                issues.add(
                    missing_ids.index,
                    column,
                    "reference",
                    _orphan_reasons(column, target, missing_ids),
                    _causes(missing_ids, roots[target]),
                )
        # the codes come from the lookup, so pandas need not check them again; as a
        # Series they are taken into the frame as they are (an array would be copied)
        updates[column] = pd.Series(
            pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories), validate=False),
            index=frame.index,
            copy=False,
        )
    if table == "goals":
        _check_goal_owners(
            frame, kept["managers"], roots["managers"], issues, on_orphans=on_orphans
        )
    return frame.assign(**updates) if updates else frame


def _submit_lookups(
    pool: ThreadPoolExecutor, values: pd.Series, keys: pd.Series
) -> list[Future[np.ndarray]]:
    """Look up each value's position among ``keys`` on the pool, in halves when large.

    A categorical is looked up by its categories, and its codes then index the answer.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [pool.submit(_category_positions, values, _arrow_strings(keys))]
    arrow_values, arrow_keys = _arrow_strings(values), _arrow_strings(keys)
    rows = len(arrow_values)
    size = max(-(-rows // 2) if rows >= _SPLIT_LOOKUP_ROWS else rows, 1)
    return [
        pool.submit(_positions, arrow_values.slice(i, size), arrow_keys)
        for i in range(0, max(rows, 1), size)
    ]


def _positions(values: pa_arrow.ChunkedArray, keys: pa_arrow.ChunkedArray) -> np.ndarray:
    """For each value, its position among ``keys`` (-1 where absent or missing)."""
    positions = pc.index_in(values, value_set=keys)
    return np.asarray(positions.fill_null(-1), dtype=np.int32)


def _category_positions(values: pd.Series, keys: pa_arrow.ChunkedArray) -> np.ndarray:
    """:func:`_positions` of a categorical: its categories looked up, its codes taken."""
    codes = values.cat.codes.to_numpy()
    if len(values.cat.categories) == 0:  # every cell missing
        return np.full(len(codes), -1, dtype=np.int32)
    categories = _positions(_arrow_strings(pd.Series(values.cat.categories)), keys)
    return np.where(codes >= 0, categories.take(codes, mode="clip"), -1).astype(np.int32)


def _arrow_strings(values: pd.Series) -> pa_arrow.ChunkedArray:
    """A string column as Arrow data, sharing the buffers of Arrow-backed columns."""
    if not (isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"):
        values = values.astype("str")
    return values.array.__arrow_array__()


def _orphan_reasons(column: str, target: str, ids: pd.Series) -> np.ndarray:
    """Why each unknown id is unknown."""
    singular = {"managers": "manager", "clients": "client"}.get(target, target)
    return (
        f"{column} "
        + ids.map(repr).astype("str")
        + f" is not a known {singular} (not in {target}, or its row there was rejected)"
    ).to_numpy()


def _check_goal_owners(
    frame: pd.DataFrame,
    managers: pd.DataFrame,
    manager_roots: pd.Series,
    issues: _Issues,
    *,
    on_orphans: OnOrphans,
) -> None:
    """A goal's owner is a known manager, or a known team for team goals."""
    if on_orphans == "keep":
        return
    is_team = frame["owner_kind"] == "team"
    known = np.where(
        is_team,
        frame["owner_id"].isin(set(managers["team"].dropna())),
        frame["owner_id"].isin(set(managers["manager_id"])),
    )
    unknown = frame["owner_id"].notna().to_numpy() & ~known
    ids = frame.loc[unknown, "owner_id"]
    what = pd.Series(
        np.where(is_team[unknown], "team (not a team in managers)", "manager (not in managers)"),
        index=ids.index,
    ).astype("str")
    reasons = ("owner_id " + ids.map(repr).astype("str") + " is not a known " + what).to_numpy()
    # team owners have no row of their own in managers, so no cause to name
    causes = _causes(ids, manager_roots)
    causes[is_team[unknown].to_numpy()] = None
    issues.add(ids.index, "owner_id", "reference", reasons, causes)


# --- step 3: keys -----------------------------------------------------------------------


def _has_repeated_keys(table: str, frame: pd.DataFrame) -> bool:
    """Whether any key value occurs twice (the common answer, no, must be cheap)."""
    key = key_columns(table)
    if len(key) == 1:
        return _may_have_duplicates(frame[key[0]])
    return bool(frame.duplicated(subset=key).any())


def _enforce_key(table: str, frame: pd.DataFrame, issues: _Issues) -> None:
    """Exact duplicates keep the first row; rows sharing a key but differing are all rejected."""
    key = key_columns(table)
    shared = frame.duplicated(subset=key, keep=False) & frame[key].notna().all(axis=1)
    if not shared.any():
        return
    rows = frame[shared]
    by_key = [rows[k] for k in key]
    variants = rows.drop_duplicates()
    conflicting = variants[variants.duplicated(subset=key, keep=False)].set_index(key).index
    is_conflict = rows.set_index(key).index.isin(conflicting)

    exact = rows.index[rows.duplicated(keep="first").to_numpy() & ~is_conflict]
    first = pd.Series(rows.index, index=rows.index).groupby(by_key, observed=True).transform("min")
    one, many = ("", "") if issues.row_names is not None else ("row ", "rows ")
    reasons = f"exact duplicate of {one}" + issues.name_rows(first[exact])
    issues.add(exact, key[0], "duplicate", reasons.to_numpy())

    clash = rows[is_conflict]
    if len(clash):
        numbers = issues.name_rows(pd.Series(clash.index, index=clash.index))
        listed = numbers.groupby([clash[k] for k in key], observed=True).transform(", ".join)
        named = (
            clash[key]
            .astype("str")
            .apply(lambda r: ", ".join(f"{k}={v!r}" for k, v in r.items()), axis=1)
        )
        reasons = "conflicting duplicate key " + named + f" ({many}" + listed + ")"
        reasons += "; keep one of them"
        issues.add(clash.index, key[0], "duplicate", reasons.to_numpy())


def _may_have_duplicates(values: pd.Series) -> bool:
    """A quick test for repeated keys (sorting is faster than hashing on large string columns).

    Equal keys are neighbours once sorted; the sorted keys are compared a slice at a
    time, so the sorted copy never exists whole.
    """
    if len(values) < _SORT_ROWS or not isinstance(values.dtype, pd.StringDtype):
        return bool(values.duplicated().any())
    array = _arrow_strings(values)
    if _strictly_increasing(array):
        return False
    order = pc.sort_indices(array)
    for start in range(0, len(order), _COMPARE_SLICE):
        # one row of overlap, so pairs across slice edges are compared too
        ordered = pc.take(array, order.slice(start, _COMPARE_SLICE + 1)).combine_chunks()
        if pc.any(pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))).as_py():
            return True
    return False


def _strictly_increasing(array: pa_arrow.ChunkedArray) -> bool:
    """Whether each value is above the one before: then no two are equal, without a sort.

    Exports usually list records by id, so one pass over neighbours settles the
    usual case in a few percent of the sort's time. Missing values void the
    test (a comparison with one is missing, which would hide a repeat around it).
    """
    if array.null_count or len(array) < 2:
        return len(array) < 2
    above = pc.greater(array.slice(1), array.slice(0, len(array) - 1))
    return bool(pc.all(above).as_py())
