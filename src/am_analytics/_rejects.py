"""The rejects of a table as they are collected, and the root cause of each rejected row."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from .io.files import RawTable
from .schemas import TABLES, key_columns

REJECT_COLUMNS: Final = ["table", "source", "row", "column", "check", "value", "reason", "cause"]


def empty_rejects() -> pd.DataFrame:
    """A rejects frame with no rows.

    Examples
    --------
    >>> empty_rejects().columns.tolist()
    ['table', 'source', 'row', 'column', 'check', 'value', 'reason', 'cause']
    """
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in REJECT_COLUMNS})
    return frame.astype({"row": "int64"})


class _Issues:
    """Collects the rejects of one table as column-wise pieces, concatenated once."""

    def __init__(self, table: str, raw: RawTable) -> None:
        self.table = table
        self.source = raw.source
        self.values = raw.frame  # where the ``value`` of a reject is read from
        self.row_names = raw.row_names
        self.pieces: list[pd.DataFrame] = []
        if len(raw.malformed):
            self.pieces.append(
                pd.DataFrame(
                    {
                        "row": raw.malformed["row"].to_numpy(dtype="int64"),
                        # rows set aside before validation (voided CRM records) say which check
                        "column": _malformed_field(raw.malformed, "column", None),
                        "check": _malformed_field(raw.malformed, "check", "malformed_row"),
                        "value": raw.malformed["value"].astype("str").to_numpy(),
                        "reason": raw.malformed["reason"].astype("str").to_numpy(),
                        "cause": None,
                    }
                )
            )

    def add(
        self, index: pd.Index, column: str | None, check: str, reasons: Any, causes: Any = None
    ) -> None:
        """Reject the rows at ``index`` (frame labels) with one reason each, or one for all.

        ``causes`` names, per row, the reject of another table that this one follows from.
        """
        if len(index) == 0:
            return
        if column is not None and column in self.values.columns:
            value = _as_display(self.values[column].reindex(index))
        else:
            value = np.full(len(index), None, dtype=object)
        self.pieces.append(
            pd.DataFrame(
                {
                    "row": np.asarray(index, dtype="int64"),
                    "column": column,
                    "check": check,
                    "value": value,
                    "reason": reasons if np.ndim(reasons) else np.full(len(index), reasons),
                    "cause": causes,
                }
            )
        )

    def name_rows(self, positions: pd.Series) -> pd.Series:
        """How messages name rows at these 0-based positions: ``5``, or ``Deals.csv row 5``."""
        if self.row_names is None:
            return (positions + 1).astype("str")
        return pd.Series(self.row_names[positions.to_numpy()], index=positions.index, dtype="str")

    def place(self, positions: pd.Series) -> pd.Series:
        """Where rows at these 0-based positions are: ``sales.csv row 5``."""
        if self.row_names is None:
            return f"{self.source} row " + (positions + 1).astype("str")
        return self.name_rows(positions)

    def read_values_from(self, frame: pd.DataFrame) -> None:
        """Read the values of later rejects from ``frame`` (the columns as read)."""
        self.values = frame

    def rows(self) -> pd.Index:
        """Frame labels of every rejected row (malformed rows are not in the frame)."""
        if not self.pieces:
            return pd.Index([], dtype="int64")
        return pd.Index(np.unique(np.concatenate([p["row"].to_numpy() for p in self.pieces])))

    def rejected_cells(self) -> set[tuple[int, str]]:
        """(row label, column) pairs already rejected, so later steps do not repeat them."""
        return {
            (int(r), str(c))
            for p in self.pieces
            for r, c in zip(p["row"], p["column"], strict=True)
            if c is not None
        }

    def frame(self) -> pd.DataFrame:
        """The rejects in the public layout, row numbers 1-based, sorted by row."""
        if not self.pieces:
            return empty_rejects()
        out = pd.concat(self.pieces, ignore_index=True)
        out["row"] = out["row"] + 1
        out["cause"] = out["cause"].fillna("")
        out.insert(0, "table", self.table)
        out.insert(1, "source", self.source)
        out = out.sort_values(["row", "column", "check"], kind="stable", na_position="first")
        return (
            out[REJECT_COLUMNS]
            .reset_index(drop=True)
            .astype(
                {
                    "table": "str",
                    "source": "str",
                    "column": "str",
                    "check": "str",
                    "value": "str",
                    "reason": "str",
                    "cause": "str",
                }
            )
        )


def _malformed_field(malformed: pd.DataFrame, name: str, default: str | None) -> Any:
    """A column of the rows set aside before validation, or ``default`` for all of them."""
    return malformed[name].to_numpy(dtype=object) if name in malformed.columns else default


def _as_display(values: pd.Series) -> np.ndarray:
    """Cell values as text for the rejects' ``value`` column."""
    if values.dtype.kind == "M":
        text = values.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "", regex=False)
    else:
        text = values.astype("str")
    return np.asarray(text.astype(object).where(values.notna(), None))


# --- causes -----------------------------------------------------------------------------


def _causes(ids: pd.Series, roots: pd.Series) -> np.ndarray:
    """For each id, the root cause of its rejected row (None for ids that never had one)."""
    return np.array(roots.reindex(ids.astype("str").to_numpy()).to_numpy(dtype=object))


def _rejected_roots(
    table: str, frame: pd.DataFrame, rejects: pd.DataFrame, issues: _Issues
) -> pd.Series:
    """Each rejected key of ``table`` and the root cause of its row (first row of a key wins)."""
    key = key_columns(table)
    if len(key) != 1 or rejects.empty:
        return pd.Series([], dtype=object)
    # malformed rows have no key; get_indexer looks up the few rejected rows, where
    # isin would hash every label of a large frame
    in_frame = frame.index.get_indexer(pd.Index(rejects["row"].to_numpy() - 1)) >= 0
    if not in_frame.any():
        return pd.Series([], dtype=object)
    found = rejects[in_frame]
    positions = found["row"] - 1
    roots = row_roots(found, issues.place(positions))
    keys = frame[key[0]].reindex(positions.to_numpy()).to_numpy(dtype=object)
    named = pd.Series(roots.to_numpy(dtype=object), index=pd.Index(keys, dtype=object))
    named = named[named.index.notna()]
    return named[~named.index.duplicated(keep="first")]


def row_roots(rejects: pd.DataFrame, places: pd.Series) -> pd.Series:
    """For each reject, the root cause of its row, as ``"<place>: <reason>"``.

    A row's root is its own first problem; a row with none of its own (every
    problem follows from another rejected row) takes the cause of its first one.
    ``places`` names each reject's row (``managers.csv row 3``).
    """
    own = (rejects["cause"] == "").to_numpy()
    described = np.where(own, (places + ": " + rejects["reason"]).to_numpy(), rejects["cause"])
    lines = pd.DataFrame(
        {
            "table": rejects["table"].to_numpy(),
            "source": rejects["source"].to_numpy(),
            "row": rejects["row"].to_numpy(),
            "own": own,
            "root": described,
        },
        index=rejects.index,
    )
    # own problems first, so the first root of a row is its own when it has one
    lines = lines.sort_values("own", ascending=False, kind="stable")
    first = lines.groupby(["table", "source", "row"], sort=False)["root"].transform("first")
    return first.reindex(rejects.index)


def reject_causes(rejects: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows grouped by root cause: one row per problem to fix.

    Columns: ``cause`` (where and what), ``table`` and ``row`` of the row to fix,
    ``rows_rejected`` (that row and every row rejected because of it) and
    ``by_table`` (the same count per table, in words); most rows first.
    """
    if rejects.empty:
        columns = {"cause": "str", "table": "str", "row": "int64", "rows_rejected": "int64"}
        return pd.DataFrame(
            {c: pd.Series(dtype=d) for c, d in {**columns, "by_table": "str"}.items()}
        )
    places = rejects["source"] + " row " + rejects["row"].astype("str")
    rows = rejects.assign(root=row_roots(rejects, places)).drop_duplicates(
        ["table", "source", "row"]
    )
    rows = rows.assign(order=rows["table"].map({t: i for i, t in enumerate(TABLES)}))
    rows = rows.sort_values(["order", "source", "row"], kind="stable")
    groups = rows.groupby("root", sort=False)
    counts = rows.groupby(["root", "order", "table"], sort=True).size()
    words = counts.index.get_level_values("table") + " " + counts.astype("str").to_numpy()
    by_table = (
        pd.Series(words, index=counts.index.get_level_values("root"))
        .groupby(level=0)
        .agg(", ".join)
    )
    out = pd.DataFrame(
        {
            "cause": groups["root"].first(),
            "table": groups["table"].first(),
            "row": groups["row"].first(),
            "rows_rejected": groups.size(),
        }
    )
    out["by_table"] = by_table.reindex(out.index)
    out = out.sort_values("rows_rejected", ascending=False, kind="stable")
    return out.reset_index(drop=True).astype({"cause": "str", "table": "str", "by_table": "str"})
