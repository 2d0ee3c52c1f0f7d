"""Projection of a goal's final value: completion ratios of previous periods, pipeline, means.

For accumulating metrics each of the last :data:`PREVIOUS_PERIODS` comparable
periods of the owner and of its peers that ended before the step gives one
draw: the actual to date × that period's final / to-date value at the same
elapsed share, plus open pipeline × probability for sales goals. For means:
the actual to date with a normal interval from the standard error of the
answers to come.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ..dataset import Dataset
from ._actuals import TEAM_WEIGHTS, FloatArray, is_additive, manager_window_values, owner_actuals

#: Previous comparable periods whose completion ratios the projection draws on.
PREVIOUS_PERIODS: Final = 8
_DAY: Final = pd.Timedelta(days=1)


def _projection(
    steps: pd.DataFrame,
    dataset: Dataset,
    *,
    pipeline: bool,
    interval: float,
) -> pd.DataFrame:
    """Add ``projection``, its interval and ``probability_of_hitting`` (deterministic)."""
    out = steps.copy()
    n = len(out)
    projection = out["actual_to_date"].to_numpy(dtype=float).copy()
    low, high, probability = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    additive = out["metric"].map(is_additive).to_numpy(dtype=bool)
    quantiles = np.array([(1 - interval) / 2, 0.5, (1 + interval) / 2])
    extra = _pipeline_value(out, dataset) if pipeline else np.zeros(n)
    for metric in pd.unique(out["metric"][additive]):  # a few metrics, all their goals at once
        rows = np.flatnonzero(out["metric"].to_numpy() == metric)
        finals = _completion_draws(out.iloc[rows], dataset, str(metric)) + extra[rows, None]
        q = _row_quantiles(finals, quantiles)
        low[rows], projection[rows], high[rows] = q[:, 0], q[:, 1], q[:, 2]
        probability[rows] = _hit_share(finals, out.iloc[rows])
    ended = (out["elapsed_days"] >= out["total_days"]).to_numpy() & additive
    actual = out["actual_to_date"].to_numpy(dtype=float)
    # the period is over: nothing is left to forecast, whatever the history says
    low[ended], projection[ended], high[ended] = actual[ended], actual[ended], actual[ended]
    lower_end = out["direction"].to_numpy()[ended] == "lower"
    target_end = out["target"].to_numpy(dtype=float)[ended]
    probability[ended] = np.where(
        lower_end, actual[ended] <= target_end, actual[ended] >= target_end
    ).astype(float)
    probability[ended & np.isnan(actual)] = np.nan
    means = np.flatnonzero(~additive)
    if means.size:
        mid, spread = _mean_forecast(out.iloc[means], dataset)
        z = float(-_norm_ppf((1 - interval) / 2))
        projection[means], low[means], high[means] = mid, mid - z * spread, mid + z * spread
        target = out["target"].to_numpy()[means]
        lower = out["direction"].to_numpy()[means] == "lower"
        with np.errstate(divide="ignore", invalid="ignore"):
            above = 1 - ndtr((target - mid) / spread)
        above = np.where(spread == 0, (mid >= target).astype(float), above)
        probability[means] = np.where(lower, 1 - above + (mid == target) * (spread == 0), above)
    out["projection"], out["projection_low"], out["projection_high"] = projection, low, high
    out["probability_of_hitting"] = probability
    return out


def _norm_ppf(p: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(p))


def _hit_share(finals: FloatArray, steps: pd.DataFrame) -> FloatArray:
    """Share of the (non-NaN) draws reaching the target (at or below it for lower-is-better)."""
    target = steps["target"].to_numpy()[:, None]
    lower = steps["direction"].to_numpy() == "lower"
    valid = ~np.isnan(finals)
    count = valid.sum(axis=1)
    hits = np.where(lower[:, None], finals <= target, finals >= target) & valid
    return np.divide(hits.sum(axis=1), count, out=np.full(len(finals), np.nan), where=count > 0)


def _row_quantiles(draws: FloatArray, quantiles: FloatArray) -> FloatArray:
    """Predictive quantiles of each row's non-NaN draws, ``(rows, quantiles)``.

    The quantile ``p`` of ``n`` draws is read at the 1-based position
    ``(n + 1) p`` (Hyndman & Fan's type 6, interpolated linearly, clamped to
    the smallest and largest draw): for a new value exchangeable with the draws
    this gives the nominal coverage, the reasoning of split-conformal
    intervals, where the usual ``(n - 1) p + 1`` is too narrow for the few
    dozen periods a goal has behind it. NaN for a row without draws. Sorting
    once beats ``np.nanquantile`` row by row.
    """
    ordered = np.sort(draws, axis=1)  # NaN sort last
    count = (~np.isnan(draws)).sum(axis=1)
    last = np.maximum(count - 1, 0)[:, None]
    position = np.clip((count + 1)[:, None] * quantiles[None, :] - 1, 0, last)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, np.maximum(count - 1, 0)[:, None])
    rows = np.arange(len(draws))[:, None]
    lo, hi = ordered[rows, below], ordered[rows, above]
    values = lo + (position - below) * (hi - lo)
    return np.where(count[:, None] > 0, values, np.nan)


def _completion_draws(steps: pd.DataFrame, dataset: Dataset, metric: str) -> FloatArray:
    """Simulated final values of an additive metric, ``(steps, draws)``; NaN pads.

    One draw per previous comparable period (:data:`PREVIOUS_PERIODS` of the
    same calendar kind that ended before the step and lie inside the data) of
    the owner and of each of its peers (the other managers of its team; the
    other teams): the actual to date times that period's final / to-date value
    at the same elapsed share (periods with a to-date value <= 0 give none),
    or, when the actual to date is not positive, the actual plus that period's
    remaining-part value.
    """
    owners, matrix, group = _owner_rows(dataset)
    first = pd.Timestamp(dataset.sales["order_date"].min()).normalize()
    days = pd.date_range(first, max(pd.Timestamp(steps["date"].max()), first), freq="D")
    daily = _daily_values(dataset, metric, days, matrix)
    cumulative = np.concatenate([np.zeros((len(daily), 1)), np.cumsum(daily, axis=1)], axis=1)
    starts, cuts, ends, usable = _previous_windows(steps, first)
    origin, one = first.to_datetime64(), np.timedelta64(1, "D")
    # column j of ``cumulative`` sums the days before days[j]
    start_i = np.clip((starts - origin) // one, 0, len(days))
    cut_i = np.clip((cuts - origin) // one + 1, 0, len(days))
    end_i = np.clip((ends - origin) // one + 1, 0, len(days))
    # (owners, steps, periods): every owner's to-date and final value in each window
    done = cumulative[:, cut_i] - cumulative[:, start_i]
    whole = cumulative[:, end_i] - cumulative[:, start_i]
    keys = pd.MultiIndex.from_arrays(
        [steps["owner_kind"].astype(str).to_numpy(), steps["owner_id"].astype(str).to_numpy()]
    )
    owner = owners.get_indexer(keys)
    known = owner >= 0
    # the owner and its peers: pooling them (measured on the sample) calibrates
    # the interval better than the owner's few periods alone
    pool = (group[:, None] == group[np.where(known, owner, 0)][None, :]) & known[None, :]
    actual = steps["actual_to_date"].to_numpy(dtype=float)[None, :, None]
    positive = actual > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_draw = actual * whole / done
    # nothing to date: a ratio cannot scale it, so add the remaining part instead
    draws = np.where(positive, ratio_draw, actual + (whole - done))
    keep = pool[:, :, None] & usable[None, :, :] & (~positive | (done > 0))
    draws = np.where(keep, draws, np.nan)
    return draws.transpose(1, 0, 2).reshape(len(steps), -1)


def _owner_rows(dataset: Dataset) -> tuple[pd.MultiIndex, FloatArray, np.ndarray]:
    """Every manager and team as a forecast owner.

    Returns the ``(owner_kind, owner_id)`` index, the ``(owners, manager rows)``
    matrix summing managers into owners (additive metrics), and each owner's
    peer group: the team for a manager (a team-less manager is alone), one
    shared group for all teams.
    """
    managers = dataset.managers
    ids = managers["manager_id"].astype(str).to_numpy()
    teams = (
        managers["team"] if "team" in managers.columns else pd.Series(pd.NA, index=managers.index)
    )
    team = teams.astype(str).where(teams.notna()).to_numpy()
    names = pd.unique(team[pd.notna(team)])
    membership = (team[None, :] == names[:, None]).astype(float)
    index = pd.MultiIndex.from_arrays(
        [
            np.r_[np.full(len(ids), "manager", dtype=object), np.full(len(names), "team")],
            np.r_[ids.astype(object), names.astype(object)],
        ]
    )
    matrix = np.vstack([np.eye(len(ids)), membership])
    alone = np.array([f"\x00alone {i}" for i in ids], dtype=object)
    group = np.r_[
        np.where(pd.notna(team), team, alone), np.full(len(names), "\x00team", dtype=object)
    ]
    return index, matrix, group


def _daily_values(
    dataset: Dataset, metric: str, days: pd.DatetimeIndex, matrix: FloatArray
) -> FloatArray:
    """An additive metric per owner (rows of ``matrix``) and day, ``(owners, days)``."""
    per_manager = np.zeros((matrix.shape[1], len(days)))
    for j, day in enumerate(days):  # one metric pass per day of history, all managers at once
        per_manager[:, j] = manager_window_values(dataset, metric, day, day)[metric]
    return matrix @ np.nan_to_num(per_manager)


def _previous_windows(
    steps: pd.DataFrame, data_start: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each step's previous comparable periods: start, cut, end days and usability.

    A calendar quarter's comparable periods are the previous quarters (months
    and years likewise); any other period is shifted back by its own length.
    The cut is the day at the step's elapsed share of that period. A period is
    usable when it lies inside the data and ended before the step's day (no
    peeking at what was not known then). Arrays are ``(steps, PREVIOUS_PERIODS)``.
    """
    k = np.arange(1, PREVIOUS_PERIODS + 1)
    periods = steps[["period_start", "period_end"]].drop_duplicates(ignore_index=True)
    starts = np.empty((len(periods), k.size), dtype="datetime64[ns]")
    ends = np.empty_like(starts)
    for i, (start, end) in enumerate(periods.itertuples(index=False)):  # distinct periods
        period = _calendar_period(pd.Timestamp(start), pd.Timestamp(end))
        if period is None:
            length = ((pd.Timestamp(end) - pd.Timestamp(start)) + _DAY).to_timedelta64()
            starts[i] = pd.Timestamp(start).to_datetime64() - k * length
            ends[i] = pd.Timestamp(end).to_datetime64() - k * length
        else:
            previous = [period - int(j) for j in k]
            starts[i] = [p.start_time.normalize().to_datetime64() for p in previous]
            ends[i] = [p.end_time.normalize().to_datetime64() for p in previous]
    which = (
        steps[["period_start", "period_end"]]
        .merge(periods.reset_index(names="_period"), on=["period_start", "period_end"], how="left")[
            "_period"
        ]
        .to_numpy()
    )
    start, end = starts[which], ends[which]
    length = (end - start) // np.timedelta64(1, "D") + 1
    share = (steps["elapsed_days"] / steps["total_days"]).to_numpy(dtype=float)[:, None]
    mapped = np.clip(np.ceil(share * length - 1e-9).astype(np.int64), 1, length)
    cut = start + (mapped - 1) * np.timedelta64(1, "D")
    date = steps["date"].to_numpy()[:, None]
    usable = (start >= data_start.to_datetime64()) & (end < date)
    return start, cut, end, usable


def _calendar_period(start: pd.Timestamp, end: pd.Timestamp) -> pd.Period | None:
    """The calendar quarter, month or year ``[start, end]`` is, else None."""
    for freq in ("Q", "M", "Y"):
        period = pd.Period(start, freq=freq)
        if period.start_time.normalize() == start and period.end_time.normalize() == end:
            return period
    return None


def _pipeline_value(steps: pd.DataFrame, dataset: Dataset) -> FloatArray:
    """Open pipeline × probability per step of a sales goal expected to close in the rest."""
    out = np.zeros(len(steps))
    opportunities = dataset.opportunities
    if opportunities is None or dataset.as_of is None:
        return out
    live = (steps["metric"].to_numpy() == "sales_amount") & (
        steps["date"].to_numpy() >= dataset.as_of.to_datetime64()
    )
    if not live.any():
        return out
    opps = opportunities[opportunities["status"].astype(str).to_numpy() == "open"]
    probability = opps["probability"] if "probability" in opps.columns else None
    if probability is None or "expected_close" not in opps.columns:
        return out
    managers = dataset.managers
    team_of = pd.Series(managers["team"].to_numpy(), index=managers["manager_id"].astype(str))
    manager = opps["manager_id"].astype(str)
    book = pd.DataFrame(
        {
            "manager": manager.to_numpy(),
            "team": manager.map(team_of).to_numpy(),
            "value": (opps["amount"] * probability.fillna(0)).to_numpy(dtype=float),
            "close": opps["expected_close"].to_numpy(),
            "created": opps.get("created_date", pd.Series(pd.NaT, index=opps.index)).to_numpy(),
        }
    )
    rows = steps.loc[live, ["owner_id", "owner_kind", "date", "period_end"]].reset_index(
        names="_row"
    )
    rows["_key"] = rows["owner_id"]
    book_by = {
        "manager": book.rename(columns={"manager": "_key"}),
        "team": book.rename(columns={"team": "_key"}),
    }
    for kind, frame in book_by.items():  # managers' and teams' rows: two merges
        pairs = rows[rows["owner_kind"] == kind].merge(frame, on="_key")
        created = pairs["created"].isna() | (pairs["created"] <= pairs["date"])
        closes = (pairs["close"] > pairs["date"]) & (pairs["close"] <= pairs["period_end"])
        summed = pairs[created & closes].groupby("_row")["value"].sum()
        out[summed.index.to_numpy()] += summed.to_numpy()
    return out


def _mean_forecast(steps: pd.DataFrame, dataset: Dataset) -> tuple[FloatArray, FloatArray]:
    """Projection and spread of a mean metric's final value (NaN spread when unknown)."""
    mid = steps["actual_to_date"].to_numpy(dtype=float)
    spread = np.full(len(steps), np.nan)
    remaining = (steps["total_days"] - steps["elapsed_days"]).to_numpy(dtype=float)
    csat = (steps["metric"] == "csat_mean").to_numpy()
    if csat.any() and dataset.surveys is not None:
        sd, count = _answer_spread(steps[csat], dataset)
        elapsed = steps["elapsed_days"].to_numpy(dtype=float)[csat]
        to_come = count * remaining[csat] / elapsed
        with np.errstate(divide="ignore", invalid="ignore"):
            spread[csat] = sd * np.sqrt(to_come) / (count + to_come)
    spread = np.where(remaining == 0, 0.0, spread)
    return mid, spread


def _answer_spread(steps: pd.DataFrame, dataset: Dataset) -> tuple[FloatArray, FloatArray]:
    """Standard deviation and number of the CSAT answers about each owner to date."""
    queries = steps.assign(start=steps["period_start"], end=steps["date"])
    count = owner_actuals(queries.assign(metric=TEAM_WEIGHTS["csat_mean"]), dataset)
    mean = steps["actual_to_date"].to_numpy(dtype=float)
    mean_square = _mean_square_csat(queries, dataset)
    with np.errstate(invalid="ignore"):
        variance = np.maximum(mean_square - mean**2, 0) * count / (count - 1)
    return np.where(count >= 2, np.sqrt(variance), np.nan), count


def _mean_square_csat(queries: pd.DataFrame, dataset: Dataset) -> FloatArray:
    """Mean of the squared CSAT answers per query (the csat_mean rules on squared answers)."""
    surveys = dataset.table("surveys")
    squared = replace(dataset, surveys=surveys.assign(csat=surveys["csat"] ** 2))
    return owner_actuals(queries.assign(metric="csat_mean"), squared)
