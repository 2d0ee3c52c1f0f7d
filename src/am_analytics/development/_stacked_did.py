"""The stacked difference in differences: one sub-panel per cohort, then the regressions.

See :mod:`._impact` for the design; this module stacks a panel and fits the pooled
and the event-study regressions with clustered standard errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._training import FloatArray

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

if TYPE_CHECKING:
    from ._panel import _Panel

#: Two-sided confidence level of the intervals.
_CONFIDENCE: Final = 0.95


#: The columns of :attr:`TrainingImpact.event_study`.
_EVENT_COLUMNS: Final = ("event_time", "coef", "ci_low", "ci_high", "n_treated", "reference")


def _stack(
    panel: _Panel, cohort: FloatArray, covariates: FloatArray, *, pre: int, post: int
) -> pd.DataFrame:
    """One sub-panel per cohort, its treated managers and clean controls, stacked.

    Treated managers need a period before (event time <= -1) and after (>= 1)
    treatment in their window; controls need two periods; cohorts without both
    groups are dropped.
    """
    frame = panel.frame.assign(cohort=cohort)
    for k in range(covariates.shape[1]):
        frame[f"other_{k}"] = covariates[:, k]
    t = frame["t"].to_numpy()
    cohorts = np.unique(cohort[np.isfinite(cohort)])
    if cohorts.size == 0:
        return frame.iloc[:0].assign(stack=0, treated=False, event=0.0)
    rows, stacks = [], []
    for g in cohorts:  # one sub-panel per treatment period: a dozen at most per year
        window = (t >= g - pre) & (t <= g + post)
        members = np.flatnonzero(window & ((cohort == g) | (cohort > g + post)))
        rows.append(members)
        stacks.append(np.full(members.size, int(g), dtype=np.int64))
    row, stack = np.concatenate(rows), np.concatenate(stacks)
    treated = cohort[row] == stack
    event = np.where(treated, t[row] - stack, np.nan)
    codes, managers = pd.factorize(frame["manager"])
    kept = _observed_around(stack, codes[row], len(managers), treated, event)
    kept = kept[_both_groups(stack[kept], treated[kept])]
    stacked = frame.take(row[kept]).reset_index(drop=True)
    stacked["stack"] = stack[kept]
    stacked["treated"] = treated[kept]
    stacked["event"] = event[kept]
    return stacked


def _observed_around(
    stack: IntArray, manager: IntArray, n_managers: int, treated: BoolArray, event: FloatArray
) -> IntArray:
    """Rows whose (stack, manager) has data before and after treatment, or 2 control periods."""
    unit = np.unique(stack * n_managers + manager, return_inverse=True)[1]
    n_units = int(unit.max()) + 1 if unit.size else 0
    first = np.full(n_units, np.inf)
    last = np.full(n_units, -np.inf)
    np.minimum.at(first, unit[treated], event[treated])
    np.maximum.at(last, unit[treated], event[treated])
    periods = np.bincount(unit, minlength=n_units)
    keep = np.where(treated, (first[unit] <= -1) & (last[unit] >= 1), periods[unit] >= 2)
    return np.flatnonzero(keep)


def _both_groups(stack: IntArray, treated: BoolArray) -> BoolArray:
    """Whether each row's stack has treated and control rows."""
    code = np.unique(stack, return_inverse=True)[1]
    n_treated = np.bincount(code, weights=treated)
    n_rows = np.bincount(code)
    return ((n_treated > 0) & (n_treated < n_rows))[code]


def _fit(
    stacked: pd.DataFrame, *, pre: int, post: int, log: bool
) -> tuple[dict[str, float], pd.DataFrame, float]:
    """The pooled effect, the event-study table and the pre-trend p-value."""
    event = stacked["event"].to_numpy()
    scale = np.expm1 if log else (lambda x: x)
    covariates = [c for c in stacked.columns if c.startswith("other_")]

    pooled_terms = {
        "completion": event == 0,
        "post": event >= 1,
    }
    within = _within(stacked, covariates)
    result = _ols(within, pooled_terms)
    coef = float(result.params["post"])
    low, high = (float(v) for v in result.conf_int(alpha=1 - _CONFIDENCE).loc["post"])
    pooled = {
        "effect": float(scale(coef)),
        "ci_low": float(scale(low)),
        "ci_high": float(scale(high)),
        "p_value": float(result.pvalues["post"]),
        "std_err": float(result.bse["post"]),
    }

    times = [e for e in range(-pre, post + 1) if e != -1]
    event_terms = {f"e{e}": event == e for e in times}
    study = _ols(within, event_terms)
    leads = [f"e{e}" for e in times if e <= -2]
    pre_trend_p = np.nan
    if leads:
        restriction = np.zeros((len(leads), len(study.params)))
        for i, name in enumerate(leads):  # at most pre - 1 rows
            restriction[i, study.params.index.get_loc(name)] = 1.0
        pre_trend_p = float(study.f_test(restriction).pvalue)
    intervals = study.conf_int(alpha=1 - _CONFIDENCE)
    names = [f"e{e}" for e in times]
    observed = stacked.loc[stacked["treated"]].groupby("event")["manager"].nunique()
    table = pd.DataFrame(
        {
            "event_time": times,
            "coef": scale(study.params[names].to_numpy()),
            "ci_low": scale(intervals.loc[names, 0].to_numpy()),
            "ci_high": scale(intervals.loc[names, 1].to_numpy()),
            "reference": False,
        }
    )
    reference = pd.DataFrame(
        {"event_time": [-1], "coef": [0.0], "ci_low": [0.0], "ci_high": [0.0], "reference": [True]}
    )
    table = pd.concat([table, reference], ignore_index=True).sort_values("event_time")
    table["n_treated"] = table["event_time"].map(observed).fillna(0).astype("int64")
    return pooled, table[list(_EVENT_COLUMNS)].reset_index(drop=True), pre_trend_p


def _within(stacked: pd.DataFrame, covariates: list[str]) -> _Within:
    """The covariates, stack × period dummies and outcome, demeaned within (stack, manager).

    Shared by the pooled and the event-study regressions of one stacked panel:
    demeaning is column by column, so doing it once gives the same columns.
    """
    stack, t = stacked["stack"].to_numpy(), stacked["t"].to_numpy()
    names, dummies = _period_dummies(stack, t)
    columns = [stacked[name].to_numpy(dtype=np.float64) for name in covariates]
    values = np.column_stack([*columns, dummies, stacked["y"].to_numpy(dtype=np.float64)])
    design = pd.DataFrame(values, columns=[*covariates, *names, "y"])
    # grouped by text keys as before: pandas' group means on integer keys round differently
    unit = (stacked["stack"].astype("str") + ":" + stacked["manager"]).to_numpy()
    clusters = pd.factorize(stacked["manager"])[0]
    return _Within(design - design.groupby(unit).transform("mean"), unit, clusters)


def _period_dummies(stack: IntArray, t: IntArray) -> tuple[list[str], FloatArray]:
    """One dummy per stack × period but each stack's first, named ``time_<stack>:<t>``.

    The columns are in the order of their names as text, as ``pandas.get_dummies``
    puts them (the regression's numbers depend on the column order).
    """
    pairs, cell = np.unique(np.column_stack([stack, t]), axis=0, return_inverse=True)
    cell = cell.reshape(-1)
    labels = np.asarray([f"time_{s}:{p}" for s, p in pairs.tolist()])  # a few dozen cells
    first = np.full(int(pairs[:, 0].max()) + 1 if pairs.size else 0, np.iinfo(np.int64).max)
    np.minimum.at(first, pairs[:, 0], pairs[:, 1])
    kept = np.flatnonzero(pairs[:, 1] != first[pairs[:, 0]])
    kept = kept[np.argsort(labels[kept])]
    column = np.full(len(pairs), -1)
    column[kept] = np.arange(kept.size)
    dummies = np.zeros((cell.size, kept.size))
    has = column[cell] >= 0
    dummies[np.flatnonzero(has), column[cell][has]] = 1.0
    return labels[kept].tolist(), dummies


@dataclass(frozen=True, slots=True, eq=False)
class _Within:
    """A stacked panel's demeaned shared columns, its units and its manager clusters."""

    frame: pd.DataFrame  # covariates, time dummies, then y; demeaned within unit
    unit: npt.NDArray[np.object_]  # per row: "stack:manager"
    clusters: npt.NDArray[np.intp]  # per row: the manager's code


def _ols(within: _Within, terms: dict[str, Any]) -> Any:
    """OLS of y on ``terms`` with stack × manager and stack × period fixed effects.

    The stack × manager effects are absorbed by demeaning within each
    (stack, manager); the stack × period effects are dummies (one per stack
    dropped). Standard errors are clustered by manager.
    """
    from statsmodels.regression.linear_model import OLS

    design = pd.DataFrame(
        {name: np.asarray(v, dtype=np.float64) for name, v in terms.items()},
        index=within.frame.index,
    )
    design = design - design.groupby(within.unit).transform("mean")
    exog = pd.concat([design, within.frame.drop(columns="y")], axis=1)
    # a covariate constant within every unit is absorbed by its fixed effect
    exog = exog.loc[:, (exog.abs() > 1e-12).any()]
    # demeaned columns cannot span a constant: skip statsmodels' search for one (two SVDs)
    model = OLS(within.frame["y"], exog, hasconst=False)
    return model.fit(cov_type="cluster", cov_kwds={"groups": within.clusters}, use_t=True)
