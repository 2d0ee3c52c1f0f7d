"""Actual values from running totals against the per-window definition, and the
projection from per-cell summaries against the dense per-day reference."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import am_analytics as am
from am_analytics.goals import _actuals
from am_analytics.goals._actuals import (
    RATIO_TOTALS,
    TIME_ADDITIVE,
    OwnerCumulative,
    _window_actuals,
    manager_window_values,
    owner_actuals,
)
from am_analytics.goals._attainment import AttainmentOptions, attainment
from am_analytics.goals._projection import _mean_square_csat, _previous_windows

NO_PIPELINE = AttainmentOptions(pipeline=False)


@pytest.fixture(scope="module")
def sample() -> am.Dataset:
    return am.load_sample()


@pytest.fixture(scope="module")
def small_org() -> am.Dataset:
    frames = am.generate(n_managers=12, n_clients=400, start="2025-01-01", seed=3)
    return am.from_frames(**frames, as_of="2026-11-15")


def _random_queries(dataset: am.Dataset, metric: str, n: int, seed: int) -> pd.DataFrame:
    """Managers, teams and an unknown owner over random windows (some ending before they start)."""
    teams = dataset.managers["team"].dropna().astype(str).unique().tolist()
    owners = [*dataset.managers["manager_id"].astype(str), *teams, "nobody"]
    kinds = ["manager"] * len(dataset.managers) + ["team"] * len(teams) + ["manager"]
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(owners), n)
    start = pd.Timestamp("2023-12-20") + pd.to_timedelta(rng.integers(0, 1100, n), unit="D")
    end = start + pd.to_timedelta(rng.integers(-3, 200, n), unit="D")
    return pd.DataFrame({"owner_id": np.array(owners)[pick], "owner_kind": np.array(kinds)[pick],
                         "metric": metric, "start": start, "end": end})  # fmt: skip


@pytest.mark.parametrize("layout", ["grid", "rows"])
@pytest.mark.parametrize("which", ["sample", "small_org"])
@pytest.mark.parametrize("metric", sorted(TIME_ADDITIVE | set(RATIO_TOTALS)))
def test_running_totals_equal_window_values(
    which: str,
    metric: str,
    layout: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Additive metrics and the means of RATIO_TOTALS, read from running totals only,
    equal their per-window computation (managers and answer-weighted teams), whether
    the totals are kept on the owners × days grid or per row."""
    dataset: am.Dataset = request.getfixturevalue(which)
    if layout == "rows":  # the grid only when it has no cells at all
        monkeypatch.setattr(_actuals, "_DENSE_CELLS_PER_ROW", 0)
        monkeypatch.setattr(_actuals, "_DENSE_CELLS_ALWAYS", -1)
    queries = _random_queries(dataset, metric, 300, seed=len(metric))
    expected = _window_actuals(queries, dataset, queries["start"], queries["end"])
    with monkeypatch.context() as patched:  # no per-window pass may be left
        patched.setattr(_actuals, "_window_actuals", None)
        got = owner_actuals(queries, dataset)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-8)
    assert np.isnan(got[(queries["owner_id"] == "nobody").to_numpy()]).all()
    assert np.isnan(got[(queries["end"] < queries["start"]).to_numpy()]).all()
    assert np.isfinite(got).mean() > 0.5  # the windows mostly hold rows


@pytest.mark.parametrize("which", ["sample", "small_org"])
def test_mean_square_csat_equals_csat_mean_of_squared_answers(
    which: str, request: pytest.FixtureRequest
) -> None:
    """The mean of squared CSAT answers from running totals equals ``csat_mean`` computed
    window by window on a copy whose answers are squared (NaN where nothing is answered)."""
    dataset: am.Dataset = request.getfixturevalue(which)
    queries = _random_queries(dataset, "csat_mean", 300, seed=11)
    surveys = dataset.table("surveys")
    squared = replace(dataset, surveys=surveys.assign(csat=surveys["csat"] ** 2))
    expected = _window_actuals(queries, squared, queries["start"], queries["end"])
    got = _mean_square_csat(queries, OwnerCumulative(dataset))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9)
    assert np.isfinite(got).mean() > 0.5


def test_ratio_totals_known_answers() -> None:
    """A hand-made team: CSAT 5, 3 and an unanswered survey for M1, 4 for M2; NPS 10, 6, 8."""
    managers = pd.DataFrame({"manager_id": ["M1", "M2"], "name": ["王芳", "李雷"],
                             "team": ["华东一组"] * 2})  # fmt: skip
    clients = pd.DataFrame({"client_id": ["C1", "C2"], "manager_id": ["M1", "M2"]})
    sales = pd.DataFrame({"order_id": ["O1", "O2", "O3", "O4"], "client_id": ["C1"] * 3 + ["C2"],
                          "manager_id": ["M1"] * 3 + ["M2"],
                          "order_date": pd.to_datetime(["2026-07-01", "2026-07-02", "2026-07-03",
                                                        "2026-07-02"]),
                          "amount": [100.0, 300.0, -50.0, 800.0]})  # fmt: skip
    surveys = pd.DataFrame({"response_id": ["R1", "R2", "R3", "R4"],
                            "client_id": ["C1"] * 3 + ["C2"], "manager_id": ["M1"] * 3 + ["M2"],
                            "survey_date": pd.to_datetime(["2026-07-01", "2026-07-02",
                                                           "2026-07-02", "2026-07-03"]),
                            "csat": [5.0, 3.0, np.nan, 4.0],
                            "nps": [10.0, 6.0, 8.0, np.nan]})  # fmt: skip
    data = am.from_frames(managers=managers, clients=clients, sales=sales, surveys=surveys)
    owners = pd.DataFrame({"owner_id": ["M1", "M2", "华东一组"],
                           "owner_kind": ["manager", "manager", "team"]})  # fmt: skip
    window = {"start": pd.Timestamp("2026-07-01"), "end": pd.Timestamp("2026-07-03")}
    values = {m: owner_actuals(owners.assign(metric=m, **window), data) for m in RATIO_TOTALS}
    np.testing.assert_allclose(values["csat_mean"], [4.0, 4.0, 4.0])
    np.testing.assert_allclose(values["nps"], [0.0, np.nan, 0.0])  # (+100 - 100) / 2, no answer
    np.testing.assert_allclose(values["avg_order_value"], [200.0, 800.0, 400.0])  # refund left out
    late = owners.assign(metric="csat_mean", start=pd.Timestamp("2026-07-02"),
                         end=pd.Timestamp("2026-07-02"))  # fmt: skip
    np.testing.assert_allclose(owner_actuals(late, data), [3.0, np.nan, 3.0])


def _dense_draws(steps: pd.DataFrame, dataset: am.Dataset, metric: str) -> np.ndarray:
    """The projection's draws the slow, obvious way: per-day values, owners × steps × periods."""
    managers = dataset.managers
    ids = managers["manager_id"].astype(str).to_numpy()
    team = managers["team"].astype(str).to_numpy()
    names = pd.unique(team)
    owners = [("manager", i) for i in ids] + [("team", t) for t in names]
    matrix = np.vstack([np.eye(len(ids)), (team[None, :] == names[:, None]).astype(float)])
    group = np.r_[team, np.full(len(names), "\x00team", dtype=object)]
    first = pd.Timestamp(dataset.sales["order_date"].min()).normalize()
    days = pd.date_range(first, pd.Timestamp(steps["date"].max()), freq="D")
    daily = np.column_stack(  # one metric computation per day of history
        [manager_window_values(dataset, metric, day, day)[metric] for day in days]
    )
    cumulative = np.c_[np.zeros(len(owners)), np.cumsum(matrix @ daily, axis=1)]
    starts, cuts, ends, usable = _previous_windows(steps, first)
    origin, one = first.to_datetime64(), np.timedelta64(1, "D")
    at = {
        name: np.clip((v - origin) // one + (name != "s"), 0, len(days))
        for name, v in (("s", starts), ("c", cuts), ("e", ends))
    }
    done = cumulative[:, at["c"]] - cumulative[:, at["s"]]
    whole = cumulative[:, at["e"]] - cumulative[:, at["s"]]
    owner = pd.Index(owners).get_indexer(
        list(zip(steps["owner_kind"], steps["owner_id"], strict=True))
    )
    pool = group[:, None] == group[owner][None, :]
    actual = steps["actual_to_date"].to_numpy(dtype=float)[None, :, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        draws = np.where(actual > 0, actual * whole / done, actual + (whole - done))
    keep = pool[:, :, None] & usable[None, :, :] & ((actual <= 0) | (done > 0))
    return np.where(keep, draws, np.nan).transpose(1, 0, 2).reshape(len(steps), -1)


def _reference_projection(steps: pd.DataFrame, dataset: am.Dataset) -> pd.DataFrame:
    """Median, 80% interval (type 6 via np.nanquantile's 'weibull') and hit share per step."""
    out = []
    for metric, rows in steps.groupby("metric", sort=False):
        draws = _dense_draws(rows, dataset, str(metric))
        with warnings.catch_warnings():  # steps without draws: "All-NaN slice", NaN wanted
            warnings.simplefilter("ignore", RuntimeWarning)
            q = np.nanquantile(draws, [0.1, 0.5, 0.9], axis=1, method="weibull").T
        target = rows["target"].to_numpy()[:, None]
        count = (~np.isnan(draws)).sum(axis=1)
        hits = np.where(rows["direction"].to_numpy()[:, None] == "lower",
                        draws <= target, draws >= target).sum(axis=1)  # fmt: skip
        share = np.divide(hits, count, out=np.full(len(rows), np.nan), where=count > 0)
        out.append(pd.DataFrame({"projection_low": q[:, 0], "projection": q[:, 1],
                                 "projection_high": q[:, 2], "probability_of_hitting": share},
                                index=rows.index))  # fmt: skip
    return pd.concat(out).loc[steps.index]


@pytest.mark.parametrize("which", ["sample", "small_org"])
def test_projection_equals_dense_reference(which: str, request: pytest.FixtureRequest) -> None:
    """Quantiles and hit shares from per-cell summaries equal the dense draws' to 1e-9."""
    dataset: am.Dataset = request.getfixturevalue(which)
    result = attainment(dataset, as_of="2026-11-15", options=NO_PIPELINE)
    open_steps = result[
        result["metric"].isin(TIME_ADDITIVE) & (result["date"] < result["period_end"])
    ].copy()
    open_steps["elapsed_days"] = (open_steps["date"] - open_steps["period_start"]).dt.days + 1
    open_steps["total_days"] = (open_steps["period_end"] - open_steps["period_start"]).dt.days + 1
    expected = _reference_projection(open_steps, dataset)
    assert len(open_steps) > 200 and expected["projection"].notna().mean() > 0.8
    for column in expected.columns:
        np.testing.assert_allclose(
            open_steps[column].to_numpy(dtype=float), expected[column].to_numpy(), rtol=1e-9,
            atol=1e-9, err_msg=column,
        )  # fmt: skip
