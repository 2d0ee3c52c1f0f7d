"""Projection of a goal's final value: completion ratios of previous periods, pipeline, means.

For accumulating metrics each of the last :data:`PREVIOUS_PERIODS` comparable
periods of the owner and of its peers that ended before the step gives one
draw: the actual to date × that period's final / to-date value at the same
elapsed share, plus open pipeline × probability for sales goals. For means:
the actual to date with a normal interval from the standard error of the
answers to come.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ..dataset import Dataset
from ._actuals import (
    FloatArray,
    IntArray,
    OwnerCumulative,
    _safe_ratio,
    is_additive,
)

#: Previous comparable periods whose completion ratios the projection draws on.
PREVIOUS_PERIODS: Final = 8
_DAY: Final = pd.Timedelta(days=1)


def _projection(
    steps: pd.DataFrame,
    dataset: Dataset,
    *,
    pipeline: bool,
    interval: float,
    cumulative: OwnerCumulative | None = None,
) -> pd.DataFrame:
    """Add ``projection``, its interval and ``probability_of_hitting`` (deterministic)."""
    cumulative = OwnerCumulative(dataset) if cumulative is None else cumulative
    out = steps.copy()
    n = len(out)
    projection = out["actual_to_date"].to_numpy(dtype=float).copy()
    low, high, probability = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    additive = is_additive(out["metric"])
    quantiles = np.array([(1 - interval) / 2, 0.5, (1 + interval) / 2])
    extra = _pipeline_value(out, dataset) if pipeline else np.zeros(n)
    for metric in pd.unique(out["metric"][additive]):  # a few metrics, all their goals at once
        rows = np.flatnonzero(out["metric"].to_numpy() == metric)
        draws = _CompletionDraws(out.iloc[rows], cumulative, str(metric), extra[rows])
        q = draws.quantiles(quantiles)
        low[rows], projection[rows], high[rows] = q[:, 0], q[:, 1], q[:, 2]
        probability[rows] = draws.hit_share()
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
        mid, spread = _mean_forecast(out.iloc[means], dataset, cumulative)
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


class _CompletionDraws:
    """The completion-ratio draws of an additive metric's steps, summarised per cell.

    A step's draws come from the previous periods (:func:`_previous_windows`)
    of each owner of its peer group, so steps of one group on one day of one
    period (a *cell*) share them: each cell keeps its ratios final / to-date
    (to-date > 0) and its remaining-part values, each sorted once. A step's
    draws are actual × ratio (actual > 0) or actual + remaining part (else),
    plus ``extra``; both are monotone, so its quantiles and hit count are read
    from the cell's sorted values with no (steps × draws) matrix.
    """

    def __init__(
        self, steps: pd.DataFrame, cumulative: OwnerCumulative, metric: str, extra: FloatArray
    ) -> None:
        self.actual = steps["actual_to_date"].to_numpy(dtype=float)
        self.extra = extra
        self.target = steps["target"].to_numpy(dtype=float)
        self.lower = steps["direction"].to_numpy() == "lower"
        owner = cumulative.owner_codes(steps["owner_id"], steps["owner_kind"])
        group, members, offsets = _peer_groups(cumulative)
        peers_of = np.where(owner >= 0, group[np.maximum(owner, 0)], -1)
        slots = steps[["period_start", "period_end", "date", "elapsed_days", "total_days"]]
        slot, slot_rows = _factorize_rows(slots, ["period_start", "period_end", "date"])
        cells = pd.DataFrame({"group": peers_of, "slot": slot})
        cell, cell_rows = _factorize_rows(cells, ["group", "slot"])
        first = cumulative.first_sale_day
        starts, cuts, ends, usable = _previous_windows(slots.iloc[slot_rows], first)
        of_cell, peer = _cell_peers(peers_of[cell_rows], members, offsets)
        of_cell, peer, k = _usable_pairs(of_cell, peer, usable[slot[cell_rows]])
        window = slot[cell_rows][of_cell], k
        done = cumulative.between(metric, peer, starts[window], cuts[window])
        whole = cumulative.between(metric, peer, starts[window], ends[window])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = whole / done
        self.ratios = _SortedSets(of_cell[done > 0], ratio[done > 0], len(cell_rows))
        self.rests = _SortedSets(of_cell, whole - done, len(cell_rows))
        self.cell = np.where(owner >= 0, cell, -1)
        self.positive = self.actual > 0

    def _finals(self, rows: np.ndarray, index: IntArray) -> FloatArray:
        """The final value of draw ``index`` (in sorted order) of each step in ``rows``."""
        cell, actual, extra = self.cell[rows], self.actual[rows], self.extra[rows]
        positive = self.positive[rows]
        by_ratio = actual * self.ratios.value(cell, index)
        by_rest = actual + self.rests.value(cell, index)
        return np.where(positive, by_ratio, by_rest) + extra

    def counts(self) -> IntArray:
        """Each step's number of draws."""
        known = (self.cell >= 0) & ~np.isnan(self.actual)
        cell = np.maximum(self.cell, 0)
        count = np.where(self.positive, self.ratios.size[cell], self.rests.size[cell])
        return np.where(known, count, 0)

    def quantiles(self, quantiles: FloatArray) -> FloatArray:
        """Predictive quantiles of each step's draws, ``(steps, quantiles)``.

        The quantile ``p`` of ``n`` draws is read at the 1-based position
        ``(n + 1) p`` (Hyndman & Fan's type 6, interpolated linearly, clamped
        to the smallest and largest draw): for a new value exchangeable with
        the draws this gives the nominal coverage, the reasoning of
        split-conformal intervals, where the usual ``(n - 1) p + 1`` is too
        narrow for the few dozen periods a goal has behind it. NaN for a step
        without draws.
        """
        count = self.counts()
        rows = np.arange(len(count))
        last = np.maximum(count - 1, 0)
        out = np.full((len(count), len(quantiles)), np.nan)
        for j, p in enumerate(quantiles):  # three quantiles
            position = np.clip((count + 1) * p - 1, 0, last)
            below = np.floor(position).astype(np.int64)
            above = np.minimum(below + 1, last)
            lo, hi = self._finals(rows, below), self._finals(rows, above)
            out[:, j] = np.where(count > 0, lo + (position - below) * (hi - lo), np.nan)
        return out

    def hit_share(self) -> FloatArray:
        """Share of each step's draws reaching the target (at or below it for lower-is-better).

        The draws grow with their sorted index, so the first one that
        reaches (for lower: passes) the target is found by bisection.
        """
        count = self.counts()
        rows = np.arange(len(count))
        low, high = np.zeros(len(count), dtype=np.int64), count.astype(np.int64)
        while (low < high).any():  # log2(draws) rounds, all steps at once
            middle = (low + high) // 2
            finals = self._finals(rows, np.minimum(middle, np.maximum(count - 1, 0)))
            passed = np.where(self.lower, finals > self.target, finals >= self.target)
            active = low < high
            high = np.where(active & passed, middle, high)
            low = np.where(active & ~passed, middle + 1, low)
        hits = np.where(self.lower, low, count - low).astype(float)
        hits[np.isnan(self.target)] = 0.0  # nothing reaches a missing target
        return np.divide(hits, count, out=np.full(len(count), np.nan), where=count > 0)


class _SortedSets:
    """Values grouped by cell and sorted within each, read by (cell, index)."""

    def __init__(self, cells: IntArray, values: FloatArray, n_cells: int) -> None:
        # One sort of the values, then one of (cell, rank of the value) keys: a third
        # of np.lexsort's time on the 4M values of a 10M-row organisation.
        by_value = np.argsort(values)
        rank = np.empty(len(values), dtype=np.int64)
        rank[by_value] = np.arange(len(values))
        order = np.argsort(cells * len(values) + rank)
        self.values = values[order]
        self.size = np.bincount(cells, minlength=n_cells)
        self.offset = np.cumsum(self.size) - self.size

    def value(self, cells: IntArray, index: IntArray) -> FloatArray:
        """The ``index``-th smallest value of each cell (NaN where the cell has none)."""
        cells = np.maximum(cells, 0)
        inside = index < self.size[cells]
        at = np.where(inside, self.offset[cells] + index, 0)
        return np.where(inside, self.values[at] if self.values.size else np.nan, np.nan)


def _factorize_rows(frame: pd.DataFrame, columns: list[str]) -> tuple[IntArray, IntArray]:
    """A code per row of ``frame`` for its distinct ``columns``, and each code's first row."""
    codes = frame.groupby(columns, sort=False).ngroup().to_numpy().astype(np.int64)
    _, first = np.unique(codes, return_index=True)
    return codes, first.astype(np.int64)


def _cell_peers(
    cell_group: IntArray, members: IntArray, offsets: IntArray
) -> tuple[IntArray, IntArray]:
    """Every (cell, peer) pair: the members of each cell's group (none for group -1)."""
    known = cell_group >= 0
    group = np.maximum(cell_group, 0)
    size = np.where(known, offsets[group + 1] - offsets[group], 0)
    of_cell = np.repeat(np.arange(len(cell_group)), size)
    within = np.arange(len(of_cell)) - np.repeat(np.cumsum(size) - size, size)
    return of_cell, members[offsets[group][of_cell] + within]


def _usable_pairs(
    of_cell: IntArray, peer: IntArray, usable: np.ndarray
) -> tuple[IntArray, IntArray, IntArray]:
    """(cell, peer, previous period) triples whose window is usable."""
    rows, k = np.nonzero(usable[of_cell])
    return of_cell[rows], peer[rows], k.astype(np.int64)


def _peer_groups(cumulative: OwnerCumulative) -> tuple[IntArray, IntArray, IntArray]:
    """Each owner code's peer group, and the groups' members (CSR: members, offsets).

    A manager's peers are its team (a team-less manager is alone); all teams
    form one group. Pooling peers (measured on the sample) calibrates the
    interval better than the owner's few periods alone.
    """
    n_managers, n_teams = len(cumulative.managers), len(cumulative.teams)
    team = cumulative.team_of - n_managers
    alone = n_teams + np.arange(n_managers)
    group = np.r_[np.where(team >= 0, team, alone), np.full(n_teams, n_teams + n_managers)]
    members = np.argsort(group, kind="stable").astype(np.int64)
    size = np.bincount(group, minlength=n_teams + n_managers + 1)
    return group.astype(np.int64), members, np.r_[0, np.cumsum(size)].astype(np.int64)


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


def _mean_forecast(
    steps: pd.DataFrame, dataset: Dataset, cumulative: OwnerCumulative
) -> tuple[FloatArray, FloatArray]:
    """Projection and spread of a mean metric's final value (NaN spread when unknown)."""
    mid = steps["actual_to_date"].to_numpy(dtype=float)
    spread = np.full(len(steps), np.nan)
    remaining = (steps["total_days"] - steps["elapsed_days"]).to_numpy(dtype=float)
    csat = (steps["metric"] == "csat_mean").to_numpy()
    if csat.any() and dataset.surveys is not None:
        sd, count = _answer_spread(steps[csat], cumulative)
        elapsed = steps["elapsed_days"].to_numpy(dtype=float)[csat]
        to_come = count * remaining[csat] / elapsed
        with np.errstate(divide="ignore", invalid="ignore"):
            spread[csat] = sd * np.sqrt(to_come) / (count + to_come)
    spread = np.where(remaining == 0, 0.0, spread)
    return mid, spread


def _answer_spread(
    steps: pd.DataFrame, cumulative: OwnerCumulative
) -> tuple[FloatArray, FloatArray]:
    """Standard deviation and number of the CSAT answers about each owner to date.

    The number is that of the answers, not of the responses: a response that
    left the CSAT question blank adds nothing to the mean or its spread.
    """
    queries = steps.assign(start=steps["period_start"], end=steps["date"])
    squares, count = _csat_totals(queries, cumulative)
    mean_square = _safe_ratio(squares, count)
    mean = steps["actual_to_date"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        variance = np.maximum(mean_square - mean**2, 0) * count / (count - 1)
    return np.where(count >= 2, np.sqrt(variance), np.nan), count


def _mean_square_csat(queries: pd.DataFrame, cumulative: OwnerCumulative) -> FloatArray:
    """Mean of the squared CSAT answers per query (the csat_mean rules on squared answers)."""
    return _safe_ratio(*_csat_totals(queries, cumulative))


def _csat_totals(
    queries: pd.DataFrame, cumulative: OwnerCumulative
) -> tuple[FloatArray, FloatArray]:
    """Sum of the squared CSAT answers and number of answers in each query's window."""
    owners = cumulative.owner_codes(queries["owner_id"], queries["owner_kind"])
    window = (owners, _day_array(queries["start"]), _day_array(queries["end"]))
    return (
        cumulative.between("csat_sum_squares", *window),
        cumulative.between("csat_answers", *window),
    )


def _day_array(dates: pd.Series) -> np.ndarray:
    """``dates`` as whole days (datetime64)."""
    return pd.to_datetime(dates).dt.normalize().to_numpy()
