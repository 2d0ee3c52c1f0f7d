"""SMART checks of goals: specific, measurable, achievable, relevant, time-bound.

Every row of the goals table (every revision of every goal) is checked on its
own, because each revision is a target someone set on a given day and should
have been SMART on that day.

Achievability compares the growth a target asks for with the owner's own
history and with the targets the owner's peers were given:

* the *baseline* is the owner's mean of the metric over the last ``history``
  complete periods of the goal's length (the previous quarters for a quarterly
  goal) that ended on or before the day the target was set — nothing later
  is used, so a check of an old target sees what its author could see;
* ``required_growth = target / baseline - 1``;
* peers are the other owners of the same kind (managers, or teams) with a goal
  on the same metric and period; the target's *growth percentile* is its
  mid-rank among the growths of their first revisions, measured in the
  metric's good direction (a deeper cut of complaints is more ambitious).
  Above the upper percentile (90th) the target is a *stretch*, below the
  lower one (10th) it is *sandbagging*; either fails the letter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, TypeAlias, cast

import numpy as np
import pandas as pd

from .._checks import require_columns
from .._deprecation import dataset_first
from .._engines import sales_date_range
from ..errors import ConfigError
from ..metrics import Metric, MetricContext, get_metric
from ..periods import Window
from ._actuals import ADDITIVE_UNITS
from ._smart_reasons import _missing_tables, _reasons

if TYPE_CHECKING:
    from ..dataset import Dataset
    from ..scoring import Scorecard

__all__ = ["check_smart"]

FloatArray: TypeAlias = np.ndarray[Any, np.dtype[np.float64]]

#: The goal columns the check needs; owner_kind, set_on and revision are optional.
GOAL_COLUMNS: Final = ("goal_id", "owner_id", "metric", "target", "period_start", "period_end")
OWNER_KINDS: Final = ("manager", "team")
#: Default (lower, upper) growth percentiles outside which a target is flagged.
DEFAULT_PERCENTILES: Final = (0.10, 0.90)
#: The date column that says when each table's data begins (history windows
#: starting before it would count "no data" as zero).
TABLE_DATES: Final = {
    "sales": "order_date",
    "surveys": "survey_date",
    "feedback": "opened_at",
    "opportunities": "created_date",
    "training": "start_date",
}
_DAY: Final = pd.Timedelta(days=1)
_LETTERS: Final = ("specific", "measurable", "achievable", "relevant", "time_bound")


@dataset_first()
def check_smart(
    dataset: Dataset,
    *,
    goals: pd.DataFrame | None = None,
    history: int = 4,
    strategy: Sequence[str] | None = None,
    scorecard: Scorecard | None = None,
    percentiles: tuple[float, float] = DEFAULT_PERCENTILES,
) -> pd.DataFrame:
    """Check every goal revision against the five SMART letters, with reasons.

    Parameters
    ----------
    dataset
        The :class:`~am_analytics.Dataset` whose goals are checked, whose
        managers own them and whose tables measure them.
    goals
        A goals table to check instead of ``dataset.goals`` (e.g. targets
        being drafted): ``goal_id, owner_id, metric, target, period_start,
        period_end`` and optionally ``owner_kind`` (default ``"manager"``),
        ``set_on`` and ``revision`` (default 1).
    history
        How many previous periods of the goal's length make the owner's
        baseline.
    strategy
        Metric names that are relevant besides the scorecard's (the strategy
        of the year: ``["nps", "csat_mean"]``).
    scorecard
        The scorecard whose metrics are relevant; default
        :func:`~am_analytics.scoring.default_scorecard`.
    percentiles
        ``(lower, upper)``: a target whose growth percentile among its peers
        is below ``lower`` is sandbagging, above ``upper`` a stretch.

    Returns
    -------
    pandas.DataFrame
        One row per row of ``goals`` (per goal and revision), in its order.

    Raises
    ------
    DataValidationError
        If ``goals`` lacks a required column.
    MissingTableError
        If ``goals`` is not given and the dataset has no goals table.
    ConfigError
        If ``history``, ``strategy`` or ``percentiles`` is invalid.

    Notes
    -----
    Columns: ``goal_id, revision, owner_id, owner_kind, metric, target,
    period_start, period_end, set_on`` (as given), then

    * ``specific`` — the owner is a known manager (``owner_kind`` manager) or
      a team of the managers table (``owner_kind`` team), the metric is
      registered and the target is a number;
    * ``measurable`` — the metric's tables are all in the dataset;
    * ``achievable`` — the target is neither a stretch nor sandbagging (a
      target without history to judge it passes, with a note);
    * ``relevant`` — the metric is one of the scorecard's or in ``strategy``
      (strictly: ``csat_mean`` is not ``csat_adjusted``);
    * ``time_bound`` — the period has a start and an end, in order, and the
      target was not set after the period ended (without ``set_on`` it
      passes, with a note);
    * ``smart`` — all five pass;
    * ``baseline`` — the owner's mean of the metric over the history windows
      with data (a team's is the sum of its members' for amounts and counts,
      the mean of them for shares and scores); ``n_history`` how many there
      were;
    * ``required_growth`` — ``target / baseline - 1``; NaN without history or
      when the baseline is not positive;
    * ``growth_percentile`` — mid-rank (0..1) of the target's ambition among
      the first revisions of the peers' goals (same metric, period and owner
      kind, the goal's own first revision included); a group needs six goals
      before the default bounds can flag one;
    * ``achievable_flag`` — ``"stretch"``, ``"sandbagging"`` or ``""``;
    * ``reason`` — every failing letter with its numbers, then notes, joined
      by ``"; "``; empty when there is nothing to say.

    History windows end on or before ``set_on`` (or ``period_start`` when it
    is missing) and the dataset's ``as_of``; a goal of whole months looks
    back by whole months (previous calendar quarters), any other goal by its
    length in days. A window is skipped when it starts before the month in
    which the metric's data begin (so "no data yet" is not read as zero) or,
    for a manager, before the hire date. Team membership is
    the managers table's current ``team``.

    Until release 0.3 the former call ``check_smart(goals, dataset, ...)``
    still works, with a :class:`FutureWarning` that shows the new one.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> data = load_sample()
    >>> smart = check_smart(data, strategy=["csat_mean"])
    >>> smart[["specific", "measurable", "relevant", "time_bound"]].all().all()
    np.True_
    >>> smart["achievable_flag"].value_counts().to_dict()
    {'': 621, 'sandbagging': 61, 'stretch': 58}
    """
    lower, upper = _check_options(history, strategy, percentiles)
    rows = _goal_rows(dataset.table("goals") if goals is None else goals)
    owner = _owner_codes(rows, dataset)
    metrics = _metrics(rows["metric"])
    measurable = _measurable(rows["metric"], metrics, dataset)
    specific = (
        (owner >= 0) & rows["metric"].isin(metrics).to_numpy() & rows["target"].notna().to_numpy()
    )
    time_bound = _time_bound(rows)
    relevant = rows["metric"].isin(_relevant_metrics(scorecard, strategy)).to_numpy()

    dated = (rows["period_start"].notna() & rows["period_end"].notna()).to_numpy()
    baseline, n_history, length = _baseline(
        rows, dataset, owner, specific & measurable & dated, history
    )
    direction = rows["metric"].map({n: m.direction for n, m in metrics.items()})
    growth = pd.Series(
        np.divide(
            rows["target"].to_numpy(dtype=np.float64),
            baseline,
            out=np.full(len(rows), np.nan),
            where=baseline > 0,
        )
        - 1,
        index=rows.index,
    )
    ambition = growth.where(direction == "higher", -growth)
    percentile, peers = _growth_percentiles(rows, ambition)
    flag = np.where(percentile > upper, "stretch", np.where(percentile < lower, "sandbagging", ""))

    out = rows.copy()
    out["specific"] = specific
    out["measurable"] = measurable
    out["achievable"] = flag == ""
    out["relevant"] = relevant
    out["time_bound"] = time_bound.to_numpy()
    out["smart"] = out[list(_LETTERS)].all(axis=1)
    out["baseline"] = baseline
    out["n_history"] = n_history
    out["required_growth"] = growth.to_numpy()
    out["growth_percentile"] = percentile
    out["achievable_flag"] = flag
    out["reason"] = _reasons(
        out, dataset, metrics, owner >= 0, length, peers, (lower, upper), strategy
    )
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------
# Options and input
# ---------------------------------------------------------------------------


def _check_options(
    history: int, strategy: Sequence[str] | None, percentiles: tuple[float, float]
) -> tuple[float, float]:
    """Raise :class:`ConfigError` for bad options; return the percentile bounds."""
    if isinstance(history, bool) or not isinstance(history, int | np.integer) or history < 1:
        raise ConfigError(
            f"history must be a whole number of periods, 1 or more, not {history!r}; "
            "give e.g. history=4 for the last four quarters"
        )
    if strategy is not None:
        if isinstance(strategy, str) or not all(isinstance(s, str) for s in strategy):
            raise ConfigError(
                f"strategy must be a list of metric names, not {strategy!r}; "
                'give e.g. strategy=["csat_mean"]'
            )
        for name in strategy:
            get_metric(name)  # an unknown name is a typo: say so now
    try:
        lower, upper = (float(p) for p in percentiles)
    except (TypeError, ValueError):
        lower = upper = math.nan
    if not 0 <= lower < upper <= 1:
        raise ConfigError(
            f"percentiles must be (lower, upper) with 0 <= lower < upper <= 1, not "
            f"{percentiles!r}; the default is {DEFAULT_PERCENTILES}"
        )
    return lower, upper


def _goal_rows(goals: pd.DataFrame) -> pd.DataFrame:
    """The columns the check reads, with the schema's defaults filled in."""
    require_columns(goals, GOAL_COLUMNS, "goals", needed_by="check_smart")
    rows = goals[["goal_id"]].copy()
    # the schema's defaults for the optional columns
    revision = goals["revision"] if "revision" in goals.columns else pd.Series(1, goals.index)
    rows["revision"] = revision.fillna(1)
    rows["owner_id"] = goals["owner_id"]
    kind = goals["owner_kind"] if "owner_kind" in goals.columns else None
    rows["owner_kind"] = "manager" if kind is None else kind.astype(object).fillna("manager")
    rows["metric"] = goals["metric"]
    rows["target"] = pd.to_numeric(goals["target"], errors="coerce").astype(np.float64)
    for column in ("period_start", "period_end", "set_on"):
        values = goals[column] if column in goals.columns else pd.Series(pd.NaT, goals.index)
        if not pd.api.types.is_datetime64_dtype(values):
            values = pd.to_datetime(values, errors="coerce", format="mixed")
        rows[column] = values.astype("datetime64[ns]")
    return rows


def _owner_codes(rows: pd.DataFrame, dataset: Dataset) -> np.ndarray:
    """Each goal's owner as a column of the history matrix (-1 if unknown).

    Managers are ``0 .. n_managers - 1`` (their row in the managers table) and
    teams follow, in the order of :func:`_teams`.
    """
    managers = pd.Index(dataset.managers["manager_id"].astype(str))
    teams = _teams(dataset)
    owner_id = pd.Index(rows["owner_id"].astype(str))
    manager_row = managers.get_indexer(owner_id)
    team_row = teams.get_indexer(owner_id)
    kind = rows["owner_kind"].to_numpy()
    return np.where(
        kind == "manager",
        manager_row,
        np.where((kind == "team") & (team_row >= 0), len(managers) + team_row, -1),
    )


def _teams(dataset: Dataset) -> pd.Index:
    """The teams of the managers table, in order of appearance."""
    if "team" not in dataset.managers.columns:
        return pd.Index([], dtype=object)
    return pd.Index(pd.unique(dataset.managers["team"].dropna().astype(str)))


def _metrics(names: pd.Series) -> dict[str, Metric]:
    """The registered metrics among ``names``."""
    found: dict[str, Metric] = {}
    for name in pd.unique(names.dropna()):
        try:
            found[str(name)] = get_metric(str(name))
        except ConfigError:
            continue  # an unknown metric fails "specific"; the reason names it
    return found


def _measurable(names: pd.Series, metrics: dict[str, Metric], dataset: Dataset) -> np.ndarray:
    """Whether each goal's metric is registered and its tables are present."""
    ok = {n: not _missing_tables(m, dataset) for n, m in metrics.items()}
    return names.map(ok).fillna(False).to_numpy(dtype=bool)


def _time_bound(rows: pd.DataFrame) -> pd.Series:
    """A period with a start and an end, in order, not over when the target was set."""
    start, end, set_on = rows["period_start"], rows["period_end"], rows["set_on"]
    not_over = set_on.isna() | (set_on.dt.normalize() <= end)
    return start.notna() & end.notna() & (start <= end) & not_over


def _relevant_metrics(scorecard: Scorecard | None, strategy: Sequence[str] | None) -> list[str]:
    """The scorecard's metrics plus the strategy list."""
    if scorecard is None:
        from ..scoring import default_scorecard  # scoring imports metrics; keep import light

        scorecard = default_scorecard()
    return [*scorecard.metrics, *(strategy or ())]


# ---------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------


def _baseline(
    rows: pd.DataFrame, dataset: Dataset, owner: np.ndarray, judged: np.ndarray, history: int
) -> tuple[FloatArray, np.ndarray, pd.Series]:
    """The owner's mean over the history windows, how many there were, and the goal length.

    The length is a number of months (positive) or of days (negative), used
    to name the periods in the reasons.
    """
    n = len(rows)
    windows, length = _history_windows(rows, dataset, history)
    windows = windows[judged[windows["row"].to_numpy()]]
    windows = windows[_has_data(windows, rows, dataset, owner)]
    values = _window_values(windows, rows, dataset, owner)
    counted = ~np.isnan(values)
    row = windows["row"].to_numpy()[counted]
    total = np.bincount(row, weights=values[counted], minlength=n)
    n_history = np.bincount(row, minlength=n)
    baseline = np.divide(total, n_history, out=np.full(n, np.nan), where=n_history > 0)
    return baseline, n_history.astype(np.int64), length


def _history_windows(
    rows: pd.DataFrame, dataset: Dataset, history: int
) -> tuple[pd.DataFrame, pd.Series]:
    """``history`` windows per goal row: ``row, start, end`` (end exclusive).

    A goal of whole months steps back by its number of months, so a quarter's
    windows are the previous calendar quarters; any other goal steps back by
    its number of days. The first window is the latest one ending on or
    before the cut-off (``set_on``, else ``period_start``, and ``as_of``).
    """
    start = rows["period_start"].dt.normalize()
    end = rows["period_end"].dt.normalize() + _DAY
    cutoff = rows["set_on"].dt.normalize().fillna(start)
    if dataset.as_of is not None:
        cutoff = cutoff.clip(upper=pd.Timestamp(dataset.as_of).normalize() + _DAY)
    start_month, end_month = _month_index(start), _month_index(end)
    months = (end_month - start_month).to_numpy(dtype=np.float64)
    whole = ((start.dt.day == 1) & (end.dt.day == 1) & (months > 0)).to_numpy()
    days = (end - start).dt.days.to_numpy(dtype=np.float64)
    # a period that is empty, reversed or undated has no length to step back by
    months = np.where(whole, months, np.nan)
    days = np.where(days > 0, days, np.nan)
    # windows until the cut-off: k periods back, k >= (end - cutoff) / length
    behind = np.where(
        whole,
        (end_month - _month_index(cutoff)).to_numpy(dtype=np.float64) / months,
        (end - cutoff).dt.days.to_numpy(dtype=np.float64) / days,
    )
    usable = np.isfinite(behind)
    first = np.maximum(1, np.ceil(np.where(usable, behind, 1)))
    row = np.repeat(np.flatnonzero(usable), history)
    steps = first[row] + np.tile(np.arange(history), int(usable.sum()))
    monthly = whole[row]
    back_months = np.where(monthly, steps * months[row], 0).astype(np.int64)
    back_days = pd.to_timedelta(np.where(monthly, 0, steps * days[row]), unit="D")
    window_start = _shift(start.to_numpy()[row], start_month.to_numpy()[row], back_months)
    window_end = _shift(end.to_numpy()[row], end_month.to_numpy()[row], back_months)
    windows = pd.DataFrame(
        {
            "row": row,
            "start": np.where(monthly, window_start, window_start - back_days),
            "end": np.where(monthly, window_end, window_end - back_days),
        }
    )
    length = pd.Series(np.where(whole, months, -days), index=rows.index)
    return windows, length


def _month_index(dates: pd.Series) -> pd.Series:
    """Months since year 0 (``year * 12 + month - 1``)."""
    return dates.dt.year * 12 + dates.dt.month - 1


def _shift(dates: np.ndarray, month: np.ndarray, back: np.ndarray) -> np.ndarray:
    """The first day of the month ``back`` months before ``month``, where ``back > 0``."""
    target = np.where(back > 0, month - back, 0)
    firsts = pd.to_datetime(
        pd.DataFrame({"year": target // 12, "month": target % 12 + 1, "day": 1})
    ).to_numpy()
    return np.where(back > 0, firsts, dates)


def _has_data(
    windows: pd.DataFrame, rows: pd.DataFrame, dataset: Dataset, owner: np.ndarray
) -> np.ndarray:
    """Windows after the metric's data begins and, for a manager, after the hire date."""
    row = windows["row"].to_numpy()
    begins = pd.to_datetime(
        rows["metric"].map(
            {
                name: _data_start(get_metric(name), dataset)
                for name in pd.unique(rows["metric"].to_numpy()[row])
            }
        )
    )
    start = windows["start"]
    ok = (
        start.to_numpy() >= begins.to_numpy(dtype="datetime64[ns]")[row]
    ) | begins.isna().to_numpy()[row]
    managers = dataset.managers
    if "hire_date" in managers.columns:
        hire = managers["hire_date"].to_numpy(dtype="datetime64[ns]")
        code = owner[row]
        is_manager = (code >= 0) & (code < len(managers))
        hired = hire[np.where(is_manager, code, 0)]
        late = is_manager & ~np.isnat(hired) & (hired > start.to_numpy())
        ok &= ~late
    return ok


def _data_start(metric: Metric, dataset: Dataset) -> pd.Timestamp | None:
    """The first day of the month in which every dated table of ``metric`` has data."""
    dated = [t for t in metric.tables if t in TABLE_DATES and getattr(dataset, t) is not None]
    firsts = [_first_date(dataset, table) for table in dated or ["sales"]]
    known = [pd.Timestamp(f) for f in firsts if pd.notna(f)]
    # data that start on 15 January cover the first quarter well enough; on 10 February, not
    return max(known).normalize().replace(day=1) if known else None


def _first_date(dataset: Dataset, table: str) -> pd.Timestamp:
    """The earliest date of ``table`` (NaT when empty); Dask sales give theirs from the cluster."""
    if table == "sales":
        dates = sales_date_range(dataset.sales)
        return dates[0] if dates is not None else cast(pd.Timestamp, pd.NaT)
    return pd.Timestamp(dataset.table(table)[TABLE_DATES[table]].min())


def _window_values(
    windows: pd.DataFrame, rows: pd.DataFrame, dataset: Dataset, owner: np.ndarray
) -> FloatArray:
    """The owner's metric in each window, computing each (metric, window) once."""
    metric = rows["metric"].to_numpy()[windows["row"].to_numpy()]
    keys = pd.DataFrame({"metric": metric, "start": windows["start"], "end": windows["end"]})
    codes, unique = pd.factorize(pd.MultiIndex.from_frame(keys))
    n_managers = len(dataset.managers)
    team = _teams(dataset)
    team_code = (
        team.get_indexer(pd.Index(dataset.managers["team"].astype(str)))
        if "team" in dataset.managers.columns
        else np.full(n_managers, -1)
    )
    matrix = np.full((len(unique), n_managers + len(team)), np.nan)
    for i, (name, start, end) in enumerate(unique):  # few: metrics x distinct windows
        values = _compute(get_metric(name), name, dataset, pd.Timestamp(start), pd.Timestamp(end))
        matrix[i, :n_managers] = values
        matrix[i, n_managers:] = _team_values(get_metric(name), values, team_code, len(team))
    return matrix[codes, owner[windows["row"].to_numpy()]] if len(codes) else np.empty(0)


def _compute(
    metric: Metric, name: str, dataset: Dataset, start: pd.Timestamp, end: pd.Timestamp
) -> FloatArray:
    """One value per manager row for ``[start, end)``."""
    whole_months = start.day == 1 and end.day == 1
    months = (end.year - start.year) * 12 + end.month - start.month
    freq = f"{months}M" if whole_months else f"{(end - start).days}D"
    values = metric.compute(MetricContext(dataset, pd.Period(start, freq=freq), Window(start, end)))
    if isinstance(values, pd.DataFrame):  # a family (rating_<competency>): its one member
        if name not in values.columns:
            return np.full(len(dataset.managers), np.nan)
        return values[name].to_numpy(dtype=np.float64)
    return np.asarray(values, dtype=np.float64)


def _team_values(
    metric: Metric, values: FloatArray, team_code: np.ndarray, n_teams: int
) -> FloatArray:
    """Members' sum (amounts, counts: :data:`ADDITIVE_UNITS`) or mean (shares, scores) per team."""
    valid = (team_code >= 0) & ~np.isnan(values)
    total = np.bincount(team_code[valid], weights=values[valid], minlength=n_teams)
    if metric.unit in ADDITIVE_UNITS:
        return total.astype(np.float64)
    count = np.bincount(team_code[valid], minlength=n_teams)
    return np.divide(total, count, out=np.full(n_teams, np.nan), where=count > 0)


# ---------------------------------------------------------------------------
# Peers
# ---------------------------------------------------------------------------


def _growth_percentiles(rows: pd.DataFrame, ambition: pd.Series) -> tuple[FloatArray, np.ndarray]:
    """Mid-rank of each row's ambition among its peer group's first revisions.

    A later revision is ranked as if it had been its goal's first target: among
    the other goals' first revisions and itself, so every row of a group is
    ranked among the same number of goals.

    Returns the percentiles (NaN without ambition) and the number of goals
    each was ranked among.
    """
    n = len(rows)
    group = pd.factorize(
        pd.MultiIndex.from_frame(rows[["metric", "period_start", "period_end", "owner_kind"]])
    )[0].astype(np.int64)
    revision = rows["revision"].to_numpy()
    first_revision = rows.groupby("goal_id", sort=False)["revision"].transform("min").to_numpy()
    known = ambition.notna().to_numpy()
    reference = known & (revision == first_revision)
    # one integer key per (group, value), ordered like the pairs
    value_rank = np.unique(ambition.to_numpy()[known], return_inverse=True)[1]
    levels = int(value_rank.max()) + 2 if value_rank.size else 1
    key = np.full(n, -1, dtype=np.int64)
    key[known] = group[known] * levels + value_rank
    sorted_reference = np.sort(key[reference])
    below = np.searchsorted(sorted_reference, key, side="left")
    ties = np.searchsorted(sorted_reference, key, side="right") - below
    group_first = np.searchsorted(sorted_reference, group * levels, side="left")
    group_end = np.searchsorted(sorted_reference, (group + 1) * levels, side="left")
    # the goal's own first revision, taken out of the reference, then the row put in
    own = (
        pd.Series(np.where(reference, key, -1)).groupby(rows["goal_id"].to_numpy()).transform("max")
    )
    own_key = own.to_numpy()
    counted = (own_key >= 0) & (own_key // levels == group)
    below = below - group_first - (counted & (own_key < key))
    ties = ties - (counted & (own_key == key)) + 1
    peers = group_end - group_first - counted + 1
    percentile = np.divide(below + 0.5 * ties, peers, out=np.full(n, np.nan), where=known)
    return percentile, np.where(known, peers, 0)
