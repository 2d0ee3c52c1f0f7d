"""The stacked difference in differences: one sub-panel per cohort, then the regressions.

See :mod:`._impact` for the design; this module stacks a panel and fits the pooled
and the event-study regressions with clustered standard errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from ._training import FloatArray

if TYPE_CHECKING:
    from ._impact import _Panel

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
    parts = []
    for g in cohorts:  # one sub-panel per treatment period: a dozen at most per year
        window = (t >= g - pre) & (t <= g + post)
        treated = cohort == g
        part = frame.loc[window & (treated | (cohort > g + post))]
        parts.append(part.assign(stack=int(g), treated=part["cohort"].to_numpy() == g))
    if not parts:
        return frame.iloc[:0].assign(stack=0, treated=False, event=0.0)
    stacked = pd.concat(parts, ignore_index=True)
    stacked["event"] = np.where(stacked["treated"], stacked["t"] - stacked["stack"], np.nan)
    unit = stacked.groupby(["stack", "manager"], sort=False)
    keep = np.where(
        stacked["treated"],
        (unit["event"].transform("min") <= -1) & (unit["event"].transform("max") >= 1),
        unit["t"].transform("size") >= 2,
    )
    stacked = stacked.loc[keep]
    groups = stacked.groupby("stack")["treated"]
    complete = groups.transform("any") & ~groups.transform("all")
    return stacked.loc[complete.to_numpy(dtype=bool)].reset_index(drop=True)


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
    result = _ols(stacked, pooled_terms, covariates)
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
    study = _ols(stacked, event_terms, covariates)
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


def _ols(stacked: pd.DataFrame, terms: dict[str, Any], covariates: list[str]) -> Any:
    """OLS of y on ``terms`` with stack × manager and stack × period fixed effects.

    The stack × manager effects are absorbed by demeaning within each
    (stack, manager); the stack × period effects are dummies (one per stack
    dropped). Standard errors are clustered by manager.
    """
    from statsmodels.regression.linear_model import OLS

    design = pd.DataFrame({name: np.asarray(v, dtype=np.float64) for name, v in terms.items()})
    for name in covariates:
        design[name] = stacked[name].to_numpy(dtype=np.float64)
    cell = stacked["stack"].astype("str") + ":" + stacked["t"].astype("str")
    dummies = pd.get_dummies(cell, prefix="time", dtype=np.float64)
    first_of_stack = stacked.groupby("stack")["t"].transform("min") == stacked["t"]
    dropped = set("time_" + cell[first_of_stack])
    dummies = dummies[[c for c in dummies.columns if c not in dropped]]
    design = pd.concat([design, dummies.set_axis(design.index)], axis=1)
    design["y"] = stacked["y"].to_numpy(dtype=np.float64)
    unit = stacked["stack"].astype("str") + ":" + stacked["manager"]
    within = design - design.groupby(unit.to_numpy()).transform("mean")
    exog = within.drop(columns="y")
    # a covariate constant within every unit is absorbed by its fixed effect
    exog = exog.loc[:, (exog.abs() > 1e-12).any()]
    clusters = pd.factorize(stacked["manager"])[0]
    return OLS(within["y"], exog).fit(cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True)
