"""Client feedback: satisfaction, shrinkage, SLA handling, metrics and plots, by hand."""

from __future__ import annotations

import inspect

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from am_analytics import load_sample
from am_analytics.errors import ConfigError, DataValidationError
from am_analytics.feedback import (
    SlaPolicy,
    feedback_summary,
    overdue,
    register_feedback_metrics,
    satisfaction,
)
from am_analytics.metrics import manager_metrics
from am_analytics.metrics._feedback import _csat_stats, _shrink_weight, _shrinkage_prior
from am_analytics.plots import satisfaction_funnel, sla_breaches

matplotlib.use("Agg")


def surveys_frame(
    rows: dict[str, list[float]], *, managers: list[str] | None = None
) -> pd.DataFrame:
    """Surveys dated 2026-07-01, csat per manager as given (nps NaN)."""
    ids = [m for m, values in rows.items() for _ in values]
    csat = [v for values in rows.values() for v in values]
    categories = managers if managers is not None else list(rows)
    return pd.DataFrame(
        {
            "manager_id": pd.Categorical(ids, categories=categories),
            "survey_date": pd.Timestamp("2026-07-01"),
            "csat": np.array(csat, dtype=float),
            "nps": np.nan,
        }
    )


def test_csat_mean_and_t_interval():
    """CSAT [2, 3, 4, 3, 3]: mean 3, s^2 = 2/4 = 0.5, se = sqrt(0.5/5) = 0.316228,
    t(0.975, 4) = 2.776445, half width 0.877989: interval [2.122011, 3.877989].
    A single answer has a mean but no interval."""
    s = satisfaction(surveys_frame({"A": [2, 3, 4, 3, 3], "B": [5]}), period="2026Q3")
    assert s.loc["A", "csat_mean"] == pytest.approx(3.0)
    assert s.loc["A", "csat_low"] == pytest.approx(2.122011, abs=1e-6)
    assert s.loc["A", "csat_high"] == pytest.approx(3.877989, abs=1e-6)
    assert s.loc["B", "csat_mean"] == 5.0
    assert np.isnan(s.loc["B", ["csat_low", "csat_high"]].astype(float)).all()
    assert s["responses"].tolist() == [5, 1]


def test_nps_counts_and_adjusted_wald_interval():
    """NPS answers 10 9 8 7 6 0 10 3 9 10: 5 promoters, 2 passives, 3 detractors,
    NPS = 100 (5 - 3) / 10 = 20. Adjusted Wald: n = 13, p = 5.75/13 = 0.442308,
    d = 3.75/13 = 0.288462, p - d = 0.153846, Var = (0.730769 - 0.023669)/13
    = 0.054392, se = 0.233221, half = 1.959964 * se = 0.457105:
    100 * [-0.303259, 0.610951]."""
    answers = [10, 9, 8, 7, 6, 0, 10, 3, 9, 10]
    surveys = pd.DataFrame(
        {
            "manager_id": pd.Categorical(["A"] * 10, categories=["A", "Z"]),
            "survey_date": pd.to_datetime(["2026-08-01"] * 10),
            "csat": np.nan,
            "nps": np.array(answers, dtype=float),
        }
    )
    s = satisfaction(surveys, period="2026Q3")
    row = s.loc["A"]
    assert (row["promoters"], row["passives"], row["detractors"]) == (5, 2, 3)
    assert row["nps"] == pytest.approx(20.0)
    assert row["nps_low"] == pytest.approx(-30.3259, abs=1e-3)
    assert row["nps_high"] == pytest.approx(61.0951, abs=1e-3)
    # a manager without answers is still there, with NaN scores and zero counts
    assert s.loc["Z", "responses"] == 0 and np.isnan(s.loc["Z", "nps"])


def test_period_window_filters_surveys():
    """Only surveys dated inside the quarter count; as_of cuts the window after its day."""
    surveys = surveys_frame({"A": [1, 5, 5]})
    surveys["survey_date"] = pd.to_datetime(["2026-06-30", "2026-07-01", "2026-08-20"])
    assert satisfaction(surveys, period="2026Q3").loc["A", "responses"] == 2
    assert satisfaction(surveys, period="2026Q3", as_of="2026-08-19").loc["A", "responses"] == 1


def test_tau_squared_on_constructed_case():
    """A = [1, 3], B = [3, 5], C none. Pooled sigma^2 = (2 + 2) / (1 + 1) = 2;
    weights n/sigma^2 = 1, 1; fixed-effect mean 3; Q = 1 + 1 = 2; c = 2 - 2/2 = 1;
    tau^2 = (2 - 1) / 1 = 1; prior strength sigma^2/tau^2 = 2 responses, so
    w = 2 / (2 + 2) = 0.5: A -> 2.5, B -> 3.5, C -> the prior mean 3."""
    s = satisfaction(
        surveys_frame({"A": [1, 3], "B": [3, 5]}, managers=["A", "B", "C"]), period="2026Q3"
    )
    prior = s.attrs["csat_prior"]
    assert prior == pytest.approx(
        {"mean": 3.0, "between_var": 1.0, "within_var": 2.0, "strength": 2.0}
    )
    assert s["csat_adjusted"].tolist() == pytest.approx([2.5, 3.5, 3.0])
    assert s["csat_weight"].tolist() == pytest.approx([0.5, 0.5, 0.0])


def test_tau_squared_zero_pools_completely():
    """A = [1, 5] (mean 3, SS 8), B = [2, 5] (mean 3.5, SS 4.5): sigma^2 = 12.5/2 = 6.25,
    w = 0.32 each, mean 3.25, Q = 0.32 * 2 * 0.0625 = 0.04 < k - 1 = 1, so
    tau^2 = 0 and both managers get 3.25: no evidence they differ."""
    s = satisfaction(surveys_frame({"A": [1, 5], "B": [2, 5]}), period="2026Q3")
    assert s.attrs["csat_prior"]["between_var"] == 0.0
    assert s.attrs["csat_prior"]["strength"] == np.inf
    assert s["csat_adjusted"].tolist() == pytest.approx([3.25, 3.25])


group_answers = st.lists(
    st.lists(st.integers(1, 5), min_size=0, max_size=8), min_size=2, max_size=6
)


@settings(max_examples=60, deadline=None)
@given(group_answers)
def test_shrinkage_properties(groups: list[list[int]]):
    """For any answers: groups without answers get the prior mean; the adjusted value
    lies between the raw mean and the prior mean; the weight grows with n; and as
    every group's answers are replicated m times the adjusted values go to the raw
    means (1 - w falls like 1/m once tau^2 > 0; with tau^2 = 0 all means are equal)."""
    codes = np.array([g for g, answers in enumerate(groups) for _ in answers], dtype=np.int64)
    values = np.array([v for answers in groups for v in answers], dtype=float)
    n, mean, ss = _csat_stats(codes, values, len(groups))
    prior = _shrinkage_prior(n, mean, ss)
    weight = _shrink_weight(n, prior)
    if np.isnan(prior.mean):  # nobody answered
        assert (n == 0).all()
        return
    adjusted = prior.mean + weight * (np.where(n > 0, mean, 0.0) - prior.mean)
    assert np.allclose(adjusted[n == 0], prior.mean)
    answered = n > 0
    low = np.minimum(mean, prior.mean)[answered] - 1e-12
    high = np.maximum(mean, prior.mean)[answered] + 1e-12
    assert ((adjusted[answered] >= low) & (adjusted[answered] <= high)).all()
    order = np.argsort(n, kind="stable")
    assert (np.diff(weight[order]) >= -1e-12).all()
    gaps = []
    for m in (1, 100, 10_000):
        # m copies of each answer: n -> m n, means unchanged, SS -> m SS
        big = _shrinkage_prior(m * n, mean, m * ss)
        w = _shrink_weight(m * n, big)
        gaps.append(np.nanmax(np.abs((1 - w[answered]) * (mean[answered] - big.mean))))
    assert gaps[-1] <= gaps[0] + 1e-12
    assert gaps[-1] < 0.01


def test_single_answers_and_no_answers():
    """With one answer per manager the within variance falls back to the variance of
    all answers, tau^2 = 0 and everyone gets the grand mean; with no answers at all
    the adjusted value is NaN."""
    s = satisfaction(surveys_frame({"A": [5], "B": [1]}), period="2026Q3")
    assert s["csat_adjusted"].tolist() == pytest.approx([3.0, 3.0])
    empty = satisfaction(surveys_frame({"A": []}), period="2026Q3")
    assert np.isnan(empty.loc["A", "csat_adjusted"]) and empty.loc["A", "responses"] == 0


def test_satisfaction_rejects_bad_input():
    """Missing columns raise DataValidationError; a bad period raises ConfigError."""
    with pytest.raises(DataValidationError, match="survey_date"):
        satisfaction(pd.DataFrame({"manager_id": ["A"]}), period="2026Q3")
    with pytest.raises(DataValidationError, match="neither a csat nor an nps"):
        satisfaction(
            pd.DataFrame({"manager_id": ["A"], "survey_date": [pd.Timestamp("2026-07-01")]}),
            period="2026Q3",
        )
    with pytest.raises(ConfigError, match="period"):
        satisfaction(surveys_frame({"A": [3]}), period="Q3 of 2026")


def feedback_frame() -> pd.DataFrame:
    """High-severity complaints (24 h SLA) around the boundary, for M1 and M2.

    F1 resolved after exactly 24 h (on time), F2 after 24 h 1 min (breach),
    F3 open and due at exactly the end of as_of 2026-07-10 (not overdue, pending),
    F4 open since 07-01 (overdue, breach), F5 praise (never actionable),
    F6 a low suggestion opened in Q2 and still open (backlog, overdue, not of Q3).
    """
    return pd.DataFrame(
        {
            "feedback_id": ["F1", "F2", "F3", "F4", "F5", "F6"],
            "client_id": ["C1", "C2", "C3", "C4", "C5", "C6"],
            "manager_id": pd.Categorical(
                ["M1", "M1", "M1", "M2", "M2", "M2"], categories=["M1", "M2", "M3"]
            ),
            "kind": ["complaint", "complaint", "complaint", "complaint", "praise", "suggestion"],
            "opened_at": pd.to_datetime(
                [
                    "2026-07-01 09:00",
                    "2026-07-02 09:00",
                    "2026-07-10 00:00",
                    "2026-07-01 00:00",
                    "2026-07-03 00:00",
                    "2026-06-20 00:00",
                ]
            ),
            "resolved_at": pd.to_datetime(
                ["2026-07-02 09:00", "2026-07-03 09:01", None, None, None, None]
            ),
            "severity": ["high", "high", "high", "high", None, "low"],
        }
    )


def test_sla_breach_exactly_at_the_boundary():
    """M1: F1 on time at exactly 24 h, F2 late by a minute, F3 due exactly at the end of
    as_of so still pending: 1 breach of 2 judged. M2: F4 open 9 days past a 24 h SLA:
    1 of 1. Median resolution of M1 = (24 + 24.0167) / 2 h."""
    s = feedback_summary(feedback_frame(), period="2026Q3", as_of="2026-07-10")
    assert s.loc["M1", ["sla_breaches", "sla_judged"]].tolist() == [1, 2]
    assert s.loc["M1", "sla_breach_rate"] == 0.5
    assert s.loc["M2", "sla_breach_rate"] == 1.0
    assert np.isnan(s.loc["M3", "sla_breach_rate"])
    assert s.loc["M1", "median_resolution_hours"] == pytest.approx((24 + 24 + 1 / 60) / 2)
    # p90 of two values by linear interpolation: 24 + 0.9 * (1/60)
    assert s.loc["M1", "p90_resolution_hours"] == pytest.approx(24 + 0.9 / 60)
    assert s["complaints"].tolist() == [3, 1, 0]
    assert s["praise"].tolist() == [0, 1, 0]
    assert s["suggestions"].tolist() == [0, 0, 0]  # F6 is of Q2
    assert s["open_backlog"].tolist() == [1, 2, 0]  # F3; F4 and F6 (praise never)
    # one day later F3 is past due and breaches
    later = feedback_summary(feedback_frame(), period="2026Q3", as_of="2026-07-11")
    assert later.loc["M1", ["sla_breaches", "sla_judged"]].tolist() == [2, 3]


def test_complaints_per_100_clients_and_policy():
    """3 complaints over 12 active clients = 25 per 100; unknown managers are NaN.
    A longer SLA for high severity (48 h) turns F2 into an on-time resolution."""
    active = pd.Series({"M1": 12, "M2": 0})
    s = feedback_summary(
        feedback_frame(), period="2026Q3", as_of="2026-07-10", active_clients=active
    )
    assert s.loc["M1", "complaints_per_100_clients"] == pytest.approx(25.0)
    assert np.isnan(s.loc["M2", "complaints_per_100_clients"])
    assert np.isnan(s.loc["M3", "complaints_per_100_clients"])
    relaxed = feedback_summary(
        feedback_frame(), period="2026Q3", as_of="2026-07-10", sla={"high": 48}
    )
    assert relaxed.loc["M1", "sla_breaches"] == 0


def test_overdue_ordering_and_hours():
    """At the end of 2026-07-10 (07-11 00:00): F6 (low, due 06-27) is 14 days = 336 h
    overdue, F4 (high, due 07-02) 9 days = 216 h; F3 is due exactly then: not listed.
    Oldest first: F6, F4."""
    late = overdue(feedback_frame(), as_of="2026-07-10")
    assert late["feedback_id"].tolist() == ["F6", "F4"]
    assert late["hours_overdue"].tolist() == pytest.approx([336.0, 216.0])
    assert late["due_at"].tolist() == [pd.Timestamp("2026-06-27"), pd.Timestamp("2026-07-02")]
    assert list(late.columns) == [
        "feedback_id",
        "client_id",
        "manager_id",
        "kind",
        "severity",
        "opened_at",
        "due_at",
        "hours_overdue",
    ]
    assert overdue(feedback_frame(), as_of="2026-07-11")["feedback_id"].tolist() == [
        "F6",
        "F4",
        "F3",
    ]


def test_sla_policy_checks():
    """Hours must be positive numbers; unknown severities in a mapping are refused."""
    with pytest.raises(ConfigError, match="positive"):
        SlaPolicy(high=0)
    with pytest.raises(ConfigError, match="number"):
        SlaPolicy(low="a week")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="unknown SLA severities"):
        SlaPolicy.from_mapping({"urgent": 4})
    with pytest.raises(ConfigError, match="as_of"):
        overdue(feedback_frame(), as_of="not a day")
    with pytest.raises(DataValidationError, match="kind"):
        overdue(feedback_frame().drop(columns="kind"), as_of="2026-07-10")


def test_inputs_are_not_mutated():
    """The functions return new frames and leave their inputs as they were."""
    feedback = feedback_frame()
    before = feedback.copy()
    feedback_summary(feedback, period="2026Q3", as_of="2026-07-10")
    overdue(feedback, as_of="2026-07-10")
    pd.testing.assert_frame_equal(feedback, before)


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def test_metrics_registered_and_consistent(sample):
    """The three metrics come out of manager_metrics and agree with the frame functions
    judged at the end of the quarter (as_of 2026-09-30)."""
    register_feedback_metrics()
    register_feedback_metrics()  # idempotent
    names = ["csat_adjusted", "sla_breach_rate", "overdue_count"]
    m = manager_metrics(sample, period="2026Q3", metrics=names)
    assert list(m.columns) == names
    summary = feedback_summary(sample.feedback, period="2026Q3", as_of="2026-09-30")
    sat = satisfaction(sample.surveys, period="2026Q3")
    late = overdue(sample.feedback, as_of="2026-09-30")
    counts = late.groupby("manager_id", observed=False).size()
    np.testing.assert_allclose(m["sla_breach_rate"], summary.loc[m.index, "sla_breach_rate"])
    np.testing.assert_allclose(m["csat_adjusted"], sat.loc[m.index, "csat_adjusted"])
    np.testing.assert_allclose(m["overdue_count"], counts.reindex(m.index, fill_value=0))
    assert m["sla_breach_rate"].dropna().between(0, 1).all()
    assert m["csat_adjusted"].notna().all()


def test_sample_satisfaction_shrinks_toward_the_mean(sample):
    """On the sample quarter the adjusted spread is narrower than the raw one, and the
    managers with fewer answers are pulled further."""
    s = satisfaction(sample.surveys, period="2026Q3")
    answered = s[s["csat_responses"] > 0]
    assert answered["csat_adjusted"].std() < answered["csat_mean"].std()
    prior = s.attrs["csat_prior"]["mean"]
    pull = (answered["csat_mean"] - answered["csat_adjusted"]).abs() / (
        answered["csat_mean"] - prior
    ).abs().replace(0, np.nan)
    assert np.allclose(pull.dropna(), 1 - answered.loc[pull.notna(), "csat_weight"])


def test_satisfaction_funnel_artists():
    """One scatter of the answered groups, a mean line at the prior, and 95% / 99.8%
    limits prior +- z sigma/sqrt(n): at n = 4 with sigma = 1, +- 1.96/2 and 3.09/2."""
    import matplotlib.pyplot as plt

    s = satisfaction(
        surveys_frame({"A": [1, 3], "B": [3, 5]}, managers=["A", "B", "C"]), period="2026Q3"
    )
    ax = satisfaction_funnel(s)
    assert len(ax.collections) == 1 and len(ax.collections[0].get_offsets()) == 2
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == [
        "mean",
        "95%",
        "_nolegend_",
        "99.8%",
        "_nolegend_",
    ]
    assert lines[0].get_ydata()[0] == pytest.approx(3.0)
    x, upper = lines[2].get_data()
    sigma = np.sqrt(2.0)
    np.testing.assert_allclose(upper, 3.0 + 1.959964 * sigma / np.sqrt(x), rtol=1e-6)
    _, outer = lines[4].get_data()
    np.testing.assert_allclose(outer, 3.0 + 3.090232 * sigma / np.sqrt(x), rtol=1e-6)
    plt.close(ax.figure)
    with pytest.raises(DataValidationError, match="center"):
        satisfaction_funnel(pd.DataFrame({"csat_responses": [1], "csat_adjusted": [3.0]}))


def test_sla_breaches_bars_sorted():
    """Bars run from the worst manager down; managers with nothing judged are left out."""
    import matplotlib.pyplot as plt

    s = feedback_summary(feedback_frame(), period="2026Q3", as_of="2026-07-10")
    ax = sla_breaches(s, names={"M1": "Wang Fang"})
    assert [t.get_text() for t in ax.get_yticklabels()] == ["M2", "Wang Fang"]
    assert [bar.get_width() for bar in ax.containers[0]] == [1.0, 0.5]
    plt.close(ax.figure)
    ax = sla_breaches(s, value="sla_breaches")
    assert [bar.get_width() for bar in ax.containers[0]] == [1.0, 1.0, 0.0]
    plt.close(ax.figure)
    with pytest.raises(ConfigError, match="value"):
        sla_breaches(s, value="complaints")


def test_feedback_summary_takes_no_dataset() -> None:
    """The summary needs the feedback table only: active clients come in as a Series."""
    assert "dataset" not in inspect.signature(feedback_summary).parameters


def test_feedback_summary_dataset_keyword_still_works_with_a_warning() -> None:
    """The old ``dataset=`` counts the active clients itself, warns and gives the same frame."""
    data = load_sample()
    active = manager_metrics(data, period="2026Q3", metrics=["active_clients"])["active_clients"]
    given = feedback_summary(
        data.feedback, period="2026Q3", as_of="2026-09-30", active_clients=active
    )
    with pytest.warns(
        FutureWarning,
        match=r"give active_clients instead of dataset: .*old form stops working in 0\.3",
    ):
        counted = feedback_summary(data.feedback, period="2026Q3", as_of="2026-09-30", dataset=data)
    pd.testing.assert_frame_equal(counted, given)
    assert counted["complaints_per_100_clients"].notna().sum() > 30
