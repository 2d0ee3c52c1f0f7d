"""Attainment over time: known answers by hand, period-end identities, calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtri

import am_analytics as am
from am_analytics.errors import ConfigError, DataValidationError, MissingTableError
from am_analytics.goals._actuals import owner_actuals
from am_analytics.goals._attainment import (
    AttainmentOptions,
    StatusThresholds,
    attainment,
    register_goal_metrics,
)
from am_analytics.goals._status import goal_status, latest_status
from am_analytics.metrics import MetricContext, get_metric
from am_analytics.periods import Window

#: The linear expectation only, as the hand computations below assume.
LINEAR = AttainmentOptions(seasonal=False)
NO_PIPELINE = AttainmentOptions(pipeline=False)


def small_dataset() -> am.Dataset:
    """Two managers of one team; a goal running 2026-09-01..2026-10-31 (61 days).

    M1 sells 1000 on 09-05, 2000 on 09-30 and 500 on 10-01 (across the Q3/Q4
    boundary); M2 sells 400 on 09-10. M1 has two complaints in September.
    G1 (M1, sales) has target 6100, revised to 5000 on 09-20; G2 is the team's
    sales goal (9000); G3 is M1's complaint budget (4, lower is better).
    """
    managers = pd.DataFrame(
        {"manager_id": ["M1", "M2"], "name": ["王芳", "李雷"], "team": ["华东一组"] * 2}
    )
    clients = pd.DataFrame({"client_id": ["C1", "C2"], "manager_id": ["M1", "M2"]})
    sales = pd.DataFrame(
        {
            "order_id": ["S1", "S2", "S3", "S4"],
            "client_id": ["C1", "C1", "C1", "C2"],
            "manager_id": ["M1", "M1", "M1", "M2"],
            "order_date": ["2026-09-05", "2026-09-30", "2026-10-01", "2026-09-10"],
            "amount": [1000.0, 2000.0, 500.0, 400.0],
        }
    )
    feedback = pd.DataFrame(
        {
            "feedback_id": ["F1", "F2"],
            "client_id": ["C1", "C1"],
            "manager_id": ["M1", "M1"],
            "kind": ["complaint", "complaint"],
            "opened_at": ["2026-09-03", "2026-09-12"],
        }
    )
    goals = pd.DataFrame(
        {
            "goal_id": ["G1", "G1", "G2", "G3"],
            "owner_id": ["M1", "M1", "华东一组", "M1"],
            "owner_kind": ["manager", "manager", "team", "manager"],
            "metric": ["sales_amount", "sales_amount", "sales_amount", "complaint_count"],
            "target": [6100.0, 5000.0, 9000.0, 4.0],
            "period_start": ["2026-09-01"] * 4,
            "period_end": ["2026-10-31"] * 4,
            "set_on": ["2026-08-25", "2026-09-20", "2026-08-25", "2026-08-25"],
            "revision": [1, 2, 1, 1],
        }
    )
    return am.from_frames(
        managers=managers,
        clients=clients,
        sales=sales,
        feedback=feedback,
        goals=goals,
        as_of="2026-11-15",
    )


@pytest.fixture(scope="module")
def small() -> am.Dataset:
    return small_dataset()


@pytest.fixture(scope="module")
def sample() -> am.Dataset:
    return am.load_sample()


def _row(result: pd.DataFrame, goal: str, date: str) -> pd.Series:
    rows = result[(result["goal_id"] == goal) & (result["date"] == pd.Timestamp(date))]
    assert len(rows) == 1
    return rows.iloc[0]


def test_hand_computed_across_quarter_boundary(small: am.Dataset) -> None:
    """At 10-10: 40 of 61 days, actual 3500, target 5000 (revised), linear expected."""
    result = attainment(small, as_of="2026-10-10", options=LINEAR)
    row = _row(result, "G1", "2026-10-10")
    assert row["actual_to_date"] == pytest.approx(3500.0)
    assert row["target"] == 5000.0 and row["revision"] == 2
    assert row["expected_to_date"] == pytest.approx(5000 * 40 / 61)
    assert row["attainment"] == pytest.approx(3500 / 5000)
    assert row["pace"] == pytest.approx(3500 / (5000 * 40 / 61))  # 1.0675 -> ahead
    assert row["status"] == "ahead"
    assert row["run_rate_projection"] == pytest.approx(3500 / 40 * 61)
    assert row["expected_basis"] == "linear"
    # weekly steps end on Sundays, plus the as_of day
    dates = result.loc[result["goal_id"] == "G1", "date"].dt.strftime("%m-%d").tolist()
    assert dates == ["09-06", "09-13", "09-20", "09-27", "10-04", "10-10"]
    first = _row(result, "G1", "2026-09-06")
    assert first["pace"] == pytest.approx(1000 / (6100 * 6 / 61))
    team = _row(result, "G2", "2026-10-10")
    assert team["actual_to_date"] == pytest.approx(3900.0)  # M1 3500 + M2 400
    assert team["team"] == "华东一组"


def test_target_in_force_follows_revisions(small: am.Dataset) -> None:
    """Dates before the revision keep 6100; from its set_on day, 5000."""
    result = attainment(small, as_of="2026-10-10", options=LINEAR)
    g1 = result[result["goal_id"] == "G1"].set_index("date")
    assert g1.loc["2026-09-13", ["revision", "target"]].tolist() == [1, 6100.0]
    assert g1.loc["2026-09-20", ["revision", "target"]].tolist() == [2, 5000.0]
    assert g1.loc["2026-09-13", "attainment"] == pytest.approx(1000 / 6100)


def test_period_end_identities(small: am.Dataset) -> None:
    """At the period end attainment = actual / target and the interval collapses on it."""
    result = attainment(small, as_of="2026-11-15")
    ended = result[result["date"] == result["period_end"]]
    assert set(ended["goal_id"]) == {"G1", "G2", "G3"}
    g1 = ended.set_index("goal_id").loc["G1"]
    assert g1["attainment"] == pytest.approx(3500 / 5000)
    for column in ("projection", "projection_low", "projection_high", "run_rate_projection"):
        assert np.allclose(ended[column], ended["actual_to_date"])
    assert g1["probability_of_hitting"] == 0.0
    assert (ended["expected_to_date"] == ended["target"]).all()


def test_lower_is_better_inversion(small: am.Dataset) -> None:
    """Two complaints against a budget of 4: attainment 4 / 2; pace expected / actual."""
    result = attainment(small, as_of="2026-10-10", options=LINEAR)
    row = _row(result, "G3", "2026-10-10")
    assert row["direction"] == "lower"
    assert row["actual_to_date"] == 2.0
    assert row["attainment"] == pytest.approx(2.0)
    assert row["pace"] == pytest.approx((4 * 40 / 61) / 2)
    end = attainment(small, as_of="2026-11-15")
    last = end[end["goal_id"] == "G3"].iloc[-1]
    assert last["probability_of_hitting"] == 1.0  # 2 <= 4 for sure at the end


def test_status_thresholds_are_configurable_and_checked(small: am.Dataset) -> None:
    """A stricter 'ahead' turns the 1.07 pace into on_track; disordered cut-offs fail."""
    strict = StatusThresholds(ahead=1.2)
    options = AttainmentOptions(seasonal=False, thresholds=strict)
    result = attainment(small, as_of="2026-10-10", options=options)
    assert _row(result, "G1", "2026-10-10")["status"] == "on_track"
    with pytest.raises(ConfigError, match="ordered"):
        StatusThresholds(on_track=0.8, at_risk=0.9)


def test_latest_status_one_row_per_goal(small: am.Dataset) -> None:
    """latest_status keeps each goal's last step on or before as_of."""
    result = attainment(small, as_of="2026-11-15", options=LINEAR)
    now = latest_status(result, as_of="2026-10-20")
    assert now["goal_id"].tolist() == ["G1", "G2", "G3"]
    assert (now["date"] == pd.Timestamp("2026-10-18")).all()


def test_missing_columns_and_bad_freq(small: am.Dataset) -> None:
    """A goals table without target, or an unknown freq, gets a clear error."""
    with pytest.raises(DataValidationError, match="target"):
        attainment(small, goals=small.goals.drop(columns="target"), as_of="2026-10-10")
    with pytest.raises(ConfigError, match="freq 'fortnightly' is not a pandas frequency"):
        AttainmentOptions(freq="fortnightly")


def test_old_keywords_still_work_and_warn(small: am.Dataset) -> None:
    """The former keywords give the same frame as options=, with a FutureWarning naming it."""
    expected = attainment(
        small, as_of="2026-10-10", options=AttainmentOptions(freq="D", seasonal=False)
    )
    with pytest.warns(FutureWarning) as caught:
        old = attainment(small, as_of="2026-10-10", freq="D", seasonal=False, n_draws=200)
    pd.testing.assert_frame_equal(old, expected)
    assert len(caught) == 1 and caught[0].filename == __file__
    assert str(caught[0].message) == (
        "give attainment() options=AttainmentOptions(freq='D', seasonal=False) instead of "
        "keywords (n_draws had no effect: drop it); the old form stops working in 0.3"
    )
    with pytest.warns(FutureWarning) as caught:
        now = latest_status(small.goals, small, as_of="2026-10-10", seasonal=False)
    pd.testing.assert_frame_equal(now, goal_status(small, as_of="2026-10-10", options=LINEAR))
    assert [str(w.message).split(";")[0] for w in caught] == [
        "give latest_status() options=AttainmentOptions(seasonal=False) instead of keywords",
        "for a goals table call goal_status(dataset, as_of=..., goals=goals)",
    ]
    assert {w.filename for w in caught} == {__file__}


def test_old_goals_first_order_still_works_and_warns(small: am.Dataset) -> None:
    """attainment(goals, dataset) gives the dataset-first frame, warning with the new call."""
    edited = small.goals[small.goals["goal_id"] != "G3"]
    expected = attainment(small, goals=edited, as_of="2026-10-10", options=LINEAR)
    with pytest.warns(FutureWarning) as caught:
        old = attainment(edited, small, as_of="2026-10-10", options=LINEAR)
    pd.testing.assert_frame_equal(old, expected)
    assert set(old["goal_id"]) == {"G1", "G2"}
    assert len(caught) == 1 and caught[0].filename == __file__
    assert str(caught[0].message) == (
        "put the dataset first and pass the goals by keyword: "
        "attainment(dataset, goals=goals, ...); "
        "the old form stops working in 0.3"
    )
    with pytest.warns(FutureWarning, match=r"attainment\(dataset, goals=goals"):
        by_keyword = attainment(edited, dataset=small, as_of="2026-10-10", options=LINEAR)
    pd.testing.assert_frame_equal(by_keyword, expected)


def test_goal_status_is_attainment_then_latest_status(small: am.Dataset) -> None:
    """goal_status(dataset) equals latest_status of the attainment result; goals= overrides."""
    steps = attainment(small, as_of="2026-10-20", options=LINEAR)
    expected = latest_status(steps, as_of="2026-10-20")
    now = goal_status(small, as_of="2026-10-20", options=LINEAR)
    assert now["goal_id"].tolist() == ["G1", "G2", "G3"]
    assert (now["date"] == pd.Timestamp("2026-10-20")).all()
    pd.testing.assert_frame_equal(now, expected)
    only_g1 = goal_status(small, as_of="2026-10-20", goals=small.goals.iloc[:2], options=LINEAR)
    pd.testing.assert_frame_equal(only_g1, expected.iloc[:1])


def test_latest_status_takes_an_attainment_result_only(small: am.Dataset) -> None:
    """A goals table alone is a ConfigError naming goal_status; a dataset beside a result warns."""
    with pytest.raises(ConfigError, match=r"call goal_status\(dataset, as_of=\.\.\.\)"):
        latest_status(small.goals, as_of="2026-10-20")
    steps = attainment(small, as_of="2026-11-15", options=LINEAR)
    with pytest.warns(FutureWarning, match="drop the dataset and options, they had no effect"):
        old = latest_status(steps, small, as_of="2026-10-20")
    pd.testing.assert_frame_equal(old, latest_status(steps, as_of="2026-10-20"))


def test_a_dataset_without_goals_names_the_missing_table() -> None:
    """attainment and goal_status without goals= on a dataset with no goals table say so."""
    bare = am.from_frames(
        managers=pd.DataFrame({"manager_id": ["M1"], "name": ["王芳"]}),
        clients=pd.DataFrame({"client_id": ["C1"], "manager_id": ["M1"]}),
        sales=pd.DataFrame(
            {
                "order_id": ["S1"],
                "client_id": ["C1"],
                "manager_id": ["M1"],
                "order_date": ["2026-09-05"],
                "amount": [1.0],
            }
        ),
    )
    with pytest.raises(MissingTableError, match="this dataset has no goals table"):
        attainment(bare, as_of="2026-10-10")
    with pytest.raises(MissingTableError, match="this dataset has no goals table"):
        goal_status(bare, as_of="2026-10-10")


def test_options_and_old_keywords_do_not_mix(small: am.Dataset) -> None:
    """options= with an old keyword is a ConfigError; an unknown keyword a TypeError."""
    with pytest.raises(ConfigError, match=r"options= and the old keywords \['seasonal'\]"):
        attainment(small, as_of="2026-10-10", options=LINEAR, seasonal=False)
    with pytest.raises(TypeError, match="unexpected keyword argument 'frequency'"):
        attainment(small, as_of="2026-10-10", frequency="D")
    with pytest.raises(ConfigError, match="options must be an AttainmentOptions, not dict"):
        attainment(small, as_of="2026-10-10", options={"freq": "D"})  # type: ignore[arg-type]


def test_attainment_options_are_checked() -> None:
    """Each out-of-range option is a ConfigError that names it; the dataclass is frozen."""
    with pytest.raises(ConfigError, match=r"interval must be between 0 and 1 .* not 80"):
        AttainmentOptions(interval=80)
    with pytest.raises(ConfigError, match=r"interval must be between 0 and 1 .* not 1\.0"):
        AttainmentOptions(interval=1.0)
    with pytest.raises(ConfigError, match="thresholds must be a StatusThresholds, not dict"):
        AttainmentOptions(thresholds={"ahead": 1.1})  # type: ignore[arg-type]
    options = AttainmentOptions()
    with pytest.raises(AttributeError):
        options.freq = "D"  # type: ignore[misc]
    assert am.goals.AttainmentOptions is AttainmentOptions


def test_goal_attainment_metric(small: am.Dataset) -> None:
    """In 2026Q3 M1's goal overlaps 30 days: sales 3000 to 09-30 over the revised 5000."""
    register_goal_metrics()
    metric = get_metric("goal_attainment")
    ctx = MetricContext(
        small, pd.Period("2026Q3"), Window(pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01"))
    )
    values = metric.compute(ctx)
    assert isinstance(values, np.ndarray)
    assert values[0] == pytest.approx(3000 / 5000)
    assert np.isnan(values[1])  # M2 has no sales goal of their own


def test_owner_actuals_team_csat_is_answer_weighted(sample: am.Dataset) -> None:
    """A team's csat_mean equals the mean over all its managers' answers."""
    start, end = pd.Timestamp("2026-07-01"), pd.Timestamp("2026-09-30")
    team = sample.managers["team"].iloc[0]
    members = set(sample.managers.loc[sample.managers["team"] == team, "manager_id"])
    surveys = sample.surveys
    inside = surveys[
        surveys["manager_id"].astype(str).isin(members)
        & (surveys["survey_date"] >= start)
        & (surveys["survey_date"] < end + pd.Timedelta(days=1))
    ]
    query = pd.DataFrame(
        {"owner_id": [team], "owner_kind": ["team"], "metric": ["csat_mean"],
         "start": [start], "end": [end]}
    )  # fmt: skip
    assert owner_actuals(query, sample)[0] == pytest.approx(inside["csat"].mean())


@pytest.fixture(scope="module")
def sample_sales(sample: am.Dataset) -> pd.DataFrame:
    goals = sample.goals[sample.goals["metric"] == "sales_amount"]
    return attainment(sample, goals=goals, as_of=sample.as_of)


def test_expected_non_decreasing_and_reaching_target(sample_sales: pd.DataFrame) -> None:
    """For unrevised complete goals the expected path never falls and ends on the target."""
    revised = sample_sales.groupby("goal_id")["revision"].transform("max") > 1
    done = sample_sales[~revised & (sample_sales["period_end"] <= "2026-11-15")]
    steps = done.groupby("goal_id")["expected_to_date"].diff().dropna()
    assert (steps >= -1e-9).all()
    last = done.groupby("goal_id").tail(1)
    assert np.allclose(last["expected_to_date"], last["target"])
    assert set(done["expected_basis"]) >= {"owner_seasonal", "linear"}


def test_forecast_calibration_on_sample(sample_sales: pd.DataFrame) -> None:
    """At mid-quarter the 80% interval holds the final value of past quarters' sales goals.

    Measured with the completion-ratio model and predictive (type 6)
    quantiles: 0.82 among the 428 goals with an interval (finals above it
    0.08, below 0.08); the 41 goals of the data's first quarter have no
    previous period and so no interval (0.75 counting them as misses). The
    bootstrap it replaced reached 0.61, 0.32 of the finals above. At 1/3 and
    2/3 of the quarter: 0.82 and 0.83 among the goals with an interval.
    """
    done = sample_sales[sample_sales["period_end"] <= "2026-11-15"]
    final = done[done["date"] == done["period_end"]].set_index("goal_id")["actual_to_date"]
    half = (done["period_end"] - done["period_start"]).dt.days / 2
    distance = ((done["date"] - done["period_start"]).dt.days - half).abs()
    mid = done.assign(distance=distance).sort_values("distance", kind="stable")
    mid = mid.drop_duplicates("goal_id").set_index("goal_id")
    truth = final.reindex(mid.index)
    covered = (mid["projection_low"] <= truth) & (truth <= mid["projection_high"])
    assert len(covered) > 400
    defined = mid["projection_low"].notna()
    assert defined.sum() > 400 and (~defined).sum() < 50
    assert 0.75 <= covered[defined].mean() <= 0.9
    above = (truth > mid["projection_high"]).mean()
    below = (truth < mid["projection_low"]).mean()
    assert abs(above - below) < 0.1  # no longer biased low


def test_completion_ratio_known_answer() -> None:
    """One manager, Q1..Q3 2026; at mid-Q3 the draws are actual × each past quarter's ratio.

    Q1 sells 100 on 01-01 and 300 on 03-20 (ratio 400/100 = 4 at the
    46th-day cut 02-15 of 90 days); Q2 sells 200 on 04-10 and 200 on 06-20
    (ratio 2 at the cut 05-16 of 91 days). Q3 to 08-15 (46 of 92 days): 50.
    Draws 200 and 100: median 150; the 80% interval reads the quantiles at
    (n + 1) p = 0.3 and 2.7 of 2 draws, clamped to the draws: 100..200;
    P(>= 160) = 1/2.
    """
    managers = pd.DataFrame({"manager_id": ["M1"], "name": ["王芳"], "team": ["A"]})
    clients = pd.DataFrame({"client_id": ["C1"], "manager_id": ["M1"]})
    sales = pd.DataFrame(
        {
            "order_id": ["S1", "S2", "S3", "S4", "S5"],
            "client_id": ["C1"] * 5,
            "manager_id": ["M1"] * 5,
            "order_date": ["2026-01-01", "2026-03-20", "2026-04-10", "2026-06-20", "2026-08-01"],
            "amount": [100.0, 300.0, 200.0, 200.0, 50.0],
        }
    )
    goals = pd.DataFrame(
        {"goal_id": ["G"], "owner_id": ["M1"], "metric": ["sales_amount"], "target": [160.0],
         "period_start": ["2026-07-01"], "period_end": ["2026-09-30"], "set_on": ["2026-06-25"]}
    )  # fmt: skip
    data = am.from_frames(
        managers=managers, clients=clients, sales=sales, goals=goals, as_of="2026-11-15"
    )
    result = attainment(data, as_of="2026-08-15", options=NO_PIPELINE)
    row = _row(result, "G", "2026-08-15")
    assert row["actual_to_date"] == 50.0
    assert row["projection"] == pytest.approx(150.0)
    assert row["projection_low"] == pytest.approx(100.0)
    assert row["projection_high"] == pytest.approx(200.0)
    assert row["probability_of_hitting"] == pytest.approx(0.5)
    # at Q2's own mid-point only Q1 has ended: a single draw, 4 × the actual to date
    dtype = data.goals["period_start"].dtype
    q2 = data.goals.assign(
        period_start=pd.Series([pd.Timestamp("2026-04-01")]).astype(dtype),
        period_end=pd.Series([pd.Timestamp("2026-06-30")]).astype(dtype),
    )
    early = _row(
        attainment(data, goals=q2, as_of="2026-05-16", options=NO_PIPELINE), "G", "2026-05-16"
    )
    assert early["projection"] == pytest.approx(4 * 200.0)


def test_goal_dates_in_any_unit_are_read() -> None:
    """Goals whose dates are microseconds (as pandas builds them from some inputs) give
    the same steps as nanosecond ones."""
    data = am.load_sample()
    goals = data.goals[data.goals["period_start"] == "2026-07-01"].head(3)
    micro = goals.astype({"period_start": "datetime64[us]", "period_end": "datetime64[us]"})
    expected = attainment(data, goals=goals, as_of="2026-08-20")
    pd.testing.assert_frame_equal(attainment(data, goals=micro, as_of="2026-08-20"), expected)


def test_csat_interval_counts_answers_not_responses() -> None:
    """Hand-worked CSAT interval: answers 5, 3, (blank), 4 by 10 July of a 91-day goal.

    n = 3 answers (the blank response does not count), mean 4, sample sd 1;
    answers still to come = 3 × 81 / 10 = 24.3; spread = 1 × √24.3 / (3 + 24.3);
    the 80% interval's half-width is z(0.9) × spread = 0.231407. Counting the
    4 responses instead would give 0.18894.
    """
    one = ["M1"]
    surveys = pd.DataFrame({"response_id": ["R1", "R2", "R3", "R4"], "client_id": ["C1"] * 4,
                            "manager_id": one * 4, "csat": [5.0, 3.0, np.nan, 4.0],
                            "survey_date": pd.date_range("2026-07-01", periods=4)})  # fmt: skip
    goals = pd.DataFrame({"goal_id": ["G1"], "owner_id": one, "metric": ["csat_mean"],
                          "target": [4.5], "period_start": [pd.Timestamp("2026-07-01")],
                          "period_end": [pd.Timestamp("2026-09-29")]})  # fmt: skip
    data = am.from_frames(
        managers=pd.DataFrame({"manager_id": one, "name": ["王芳"]}),
        clients=pd.DataFrame({"client_id": ["C1"], "manager_id": one}),
        sales=pd.DataFrame({"order_id": ["O1"], "client_id": ["C1"], "manager_id": one,
                            "order_date": [pd.Timestamp("2026-07-01")], "amount": [100.0]}),
        surveys=surveys, goals=goals, as_of="2026-07-10",
    )  # fmt: skip
    last = attainment(data, as_of="2026-07-10").iloc[-1]
    assert last["date"] == pd.Timestamp("2026-07-10") and last["projection"] == 4.0
    half_width = ndtri(0.9) * np.sqrt(24.3) / 27.3
    assert last["projection_high"] - 4.0 == pytest.approx(half_width, rel=1e-9)
    assert 4.0 - last["projection_low"] == pytest.approx(half_width, rel=1e-9)
