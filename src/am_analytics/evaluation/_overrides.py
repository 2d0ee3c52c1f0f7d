"""Calibration overrides: grades a review committee moved after discussing the computed ones."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..errors import ConfigError, DataValidationError
from ..io.files import read_text_table
from ..periods import PeriodLike, to_period

#: The columns of an overrides file, in their order.
OVERRIDE_COLUMNS = ["manager_id", "period", "grade", "reason", "decided_by", "decided_on"]

#: The columns the scores frame gains when overrides are applied.
OVERRIDDEN_COLUMNS = [
    "computed_grade",
    "final_grade",
    "override_reason",
    "decided_by",
    "decided_on",
]


class OverrideNote(UserWarning):
    """Overrides were set aside (another period); an evaluation keeps it as a note."""


def read_overrides(path: str | Path) -> pd.DataFrame:
    """Read a committee's grade overrides from a CSV, Excel or Parquet file.

    The file has the columns ``manager_id``, ``period`` (``2026Q3``),
    ``grade``, ``reason``, ``decided_by`` and ``decided_on`` (a date); text
    files may be UTF-8 or GBK, like the other inputs.

    Returns
    -------
    DataFrame
        Those columns (``period`` as text like ``2026Q3``, ``decided_on`` as a
        date) and ``row``, the 1-based data row in the file, which later
        errors name; ``attrs["source"]`` is the file.

    Raises
    ------
    DataValidationError
        If a column is missing (``missing`` names it), or a row has an
        unreadable period or date, or no reason or decided_by; the message
        names the file, row and column, and ``rejects`` holds every such row.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "overrides.csv"
    >>> _ = path.write_text(
    ...     "manager_id,period,grade,reason,decided_by,decided_on\\n"
    ...     "M0001,2026Q3,A,led the key-account rescue,committee,2026-10-12\\n",
    ...     encoding="utf-8",
    ... )
    >>> read_overrides(path)[["manager_id", "period", "grade", "decided_on"]]
      manager_id  period grade decided_on
    0      M0001  2026Q3     A 2026-10-12
    """
    path = Path(path)
    frame, _, _ = read_text_table(path)
    missing = [column for column in OVERRIDE_COLUMNS if column not in frame.columns]
    if missing:
        raise DataValidationError(
            f"{path}: the overrides file lacks the column(s) {', '.join(missing)}; "
            f"its columns must be {', '.join(OVERRIDE_COLUMNS)}",
            missing={"overrides": missing},
        )
    table = frame[OVERRIDE_COLUMNS].astype("string").apply(lambda column: column.str.strip())
    table.insert(0, "row", frame.index.to_numpy() + 1)
    periods = table["period"].str.upper().str.replace(r"^(\d{4})-?Q(\d)$", r"\1Q\2", regex=True)
    decided_on = pd.to_datetime(table["decided_on"], errors="coerce", format="ISO8601")
    problems = {
        "manager_id": (
            table["manager_id"].fillna("") == "",
            "no manager_id: give the manager's id",
        ),
        "period": (
            ~periods.str.fullmatch(r"\d{4}Q[1-4]").fillna(False),
            "not a quarter like 2026Q3",
        ),
        "grade": (table["grade"].fillna("") == "", "no grade: give the final grade"),
        "reason": (table["reason"].fillna("") == "", "no reason: say why the grade moved"),
        "decided_by": (table["decided_by"].fillna("") == "", "no decided_by: name who decided"),
        "decided_on": (decided_on.isna(), "not a date like 2026-10-12"),
    }
    _raise_rejects(table, problems, source=str(path))
    table["period"], table["decided_on"] = periods, decided_on
    table.attrs["source"] = str(path)
    return table.reset_index(drop=True)


def _raise_rejects(
    table: pd.DataFrame, problems: dict[str, tuple[pd.Series, str]], *, source: str
) -> None:
    """Raise DataValidationError naming the first bad cell, with every bad cell as rejects."""
    parts = [
        pd.DataFrame(
            {
                "table": "overrides",
                "source": source,
                "row": table.loc[bad.to_numpy(), "row"],
                "column": column,
                "check": "required" if column not in ("period", "decided_on") else "format",
                "value": table.loc[bad.to_numpy(), column],
                "reason": reason,
            }
        )
        for column, (bad, reason) in problems.items()
        if bad.any()
    ]
    if not parts:
        return
    rejects = pd.concat(parts).sort_values(["row", "column"], kind="stable")
    first = rejects.iloc[0]
    raise DataValidationError(
        f"{source}: row {first['row']}, column {first['column']}: {first['reason']} "
        f"({len(rejects)} problem(s) in all; fix the file and run again)",
        rejects=rejects.reset_index(drop=True),
    )


def apply_overrides(
    scores: pd.DataFrame,
    *,
    overrides: pd.DataFrame,
    period: PeriodLike,
    grades: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The scores with the committee's grades laid over the computed ones.

    ``grade`` becomes the final grade, so everything built on the scores (the
    team roll-ups, a manager's view) follows the committee; the scores frame
    given is not changed.

    Parameters
    ----------
    scores
        A frame of :func:`~am_analytics.score_managers` (index ``manager_id``).
    overrides
        A frame of :func:`read_overrides`. Rows of other periods are set
        aside with an :class:`OverrideNote` warning.
    period
        The period the scores are for.
    grades
        The scorecard's grades, best first; default: the categories of the
        ``grade`` column.

    Returns
    -------
    DataFrame
        ``scores`` with ``computed_grade``, ``final_grade``,
        ``override_reason``, ``decided_by`` and ``decided_on`` added (the
        last three empty where no override applies), ``grade`` the final one.

    Raises
    ------
    ConfigError
        For an override of a manager not scored in the period, to a grade the
        scorecard lacks, or a second one for the same manager and period; the
        message names the file, row, column and the fix.

    Examples
    --------
    >>> import pandas as pd
    >>> grade = pd.Categorical(["A", "B"], categories=["A", "B", "C"])
    >>> scores = pd.DataFrame(
    ...     {"score": [81.0, 64.0], "grade": grade},
    ...     index=pd.Index(["M1", "M2"], name="manager_id"),
    ... )
    >>> overrides = pd.DataFrame(
    ...     {"row": [1], "manager_id": ["M2"], "period": ["2026Q3"], "grade": ["A"],
    ...      "reason": ["rescued a key account"], "decided_by": ["committee"],
    ...      "decided_on": [pd.Timestamp("2026-10-12")]}
    ... )
    >>> apply_overrides(scores, overrides=overrides, period="2026Q3")[["computed_grade", "grade"]]
               computed_grade grade
    manager_id
    M1                      A     A
    M2                      B     A
    """
    quarter = str(to_period(period))
    source = overrides.attrs.get("source", "the overrides")
    here = overrides["period"].astype("string").eq(quarter).fillna(False).to_numpy()
    if not here.all():
        others = sorted(overrides.loc[~here, "period"].astype("string").unique())
        warnings.warn(
            f"{source}: {(~here).sum()} override(s) for {', '.join(others)} set aside "
            f"(the evaluation is of {quarter})",
            OverrideNote,
            stacklevel=2,
        )
    chosen = overrides[here]
    categories = scores["grade"].cat.categories if grades is None else pd.Index(grades)
    scored = scores.index[scores["score"].notna().to_numpy()]
    _check_overrides(chosen, scored, categories, source=source, period=quarter)
    decided = chosen.set_index("manager_id")
    out = scores.copy()
    out["computed_grade"] = scores["grade"]
    final = decided["grade"].reindex(out.index).fillna(out["grade"].astype("string"))
    out["final_grade"] = pd.Categorical(final, categories=categories)
    out["override_reason"] = decided["reason"].reindex(out.index)
    out["decided_by"] = decided["decided_by"].reindex(out.index)
    out["decided_on"] = decided["decided_on"].reindex(out.index)
    out["grade"] = out["final_grade"]
    return out


def _check_overrides(
    chosen: pd.DataFrame, scored: pd.Index, grades: pd.Index, *, source: str, period: str
) -> None:
    """Raise ConfigError for the first override of an unscored manager, unknown grade, repeat."""
    checks = [
        (
            ~chosen["manager_id"].isin(scored),
            "manager_id",
            f"was not scored in {period}; give the id of a manager in the scores",
        ),
        (
            ~chosen["grade"].isin(grades),
            "grade",
            f"is not a grade of the scorecard; the grades are {', '.join(map(str, grades))}",
        ),
        (
            chosen["manager_id"].duplicated(keep="first"),
            "manager_id",
            f"has a second override for {period}; keep one row per manager and period",
        ),
    ]
    for bad, column, fix in checks:
        if bad.any():
            first = chosen[bad.to_numpy()].iloc[0]
            raise ConfigError(
                f"{source}: row {first['row']}, column {column}: {first[column]!r} {fix}"
            )


def grade_distribution(scores: pd.DataFrame) -> pd.DataFrame:
    """Managers per grade before (``computed``) and after (``final``) the overrides.

    Without overrides (no ``computed_grade`` column) both count ``grade``.

    Examples
    --------
    >>> import pandas as pd
    >>> grade = pd.CategoricalDtype(["A", "B"])
    >>> scores = pd.DataFrame({"computed_grade": pd.Series(["A", "B"], dtype=grade),
    ...                        "final_grade": pd.Series(["A", "A"], dtype=grade)})
    >>> grade_distribution(scores)
      grade  computed  final
    0     A         1      2
    1     B         1      0
    """
    overridden = "computed_grade" in scores.columns
    computed = scores["computed_grade" if overridden else "grade"].value_counts(sort=False)
    final = scores["final_grade" if overridden else "grade"].value_counts(sort=False)
    frame = pd.DataFrame({"computed": computed, "final": final.reindex(computed.index)})
    return frame.rename_axis("grade").reset_index().astype({"grade": "string"})


def applied_overrides(scores: pd.DataFrame) -> pd.DataFrame:
    """The overrides applied, one row per manager: from, to, reason, decided_by, decided_on."""
    moved = scores[scores["override_reason"].notna()]
    return pd.DataFrame(
        {
            "from": moved["computed_grade"].astype("string"),
            "to": moved["final_grade"].astype("string"),
            "reason": moved["override_reason"],
            "decided_by": moved["decided_by"],
            "decided_on": moved["decided_on"],
        },
        index=moved.index,
    )
