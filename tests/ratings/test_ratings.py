"""Tests of rater calibration, competency scores and inter-rater reliability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import am_analytics
from am_analytics import sample
from am_analytics.errors import ConfigError, DataValidationError
from am_analytics.ratings import (
    CALIBRATION_METHODS,
    ICC_FORMS,
    ROLE_WEIGHTS,
    calibrate,
    competency_scores,
    icc,
    rater_bias,
    reliability,
)

#: Shrout & Fleiss (1979), "Intraclass correlations: uses in assessing rater
#: reliability", Psychological Bulletin 86(2), 420-428, Table 2: 6 targets x 4 judges.
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    dtype=float,
)
#: Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the example
#: with missing data: 4 observers (rows) x 12 units (columns); NaN = not coded.
KRIPPENDORFF = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
        [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan],
    ]
)


def ratings_frame(
    rows: list[tuple[str, str, str, float]],
    *,
    period: str = "2026Q3",
    competency: str = "teamwork",
) -> pd.DataFrame:
    """A ratings table from (manager_id, rater_id, rater_role, score) rows."""
    managers, raters, roles, scores = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "manager_id": pd.Categorical(managers, categories=sorted(set(managers))),
            "period": period,
            "rater_id": list(raters),
            "rater_role": list(roles),
            "competency": competency,
            "score": np.asarray(scores, dtype=float),
        }
    )


def krippendorff_ratings() -> pd.DataFrame:
    """Krippendorff's example as a ratings table: units are managers, observers raters."""
    rows = [
        (f"U{unit + 1:02d}", observer, "peer", KRIPPENDORFF[i, unit])
        for i, observer in enumerate("ABCD")
        for unit in range(KRIPPENDORFF.shape[1])
        if not np.isnan(KRIPPENDORFF[i, unit])
    ]
    return ratings_frame(rows)


def offset_ratings() -> pd.DataFrame:
    """Peers A and B score four managers at their true level, C one point higher."""
    truth = {"M1": 2.0, "M2": 3.0, "M3": 4.0, "M4": 3.0}
    offset = {"A": 0.0, "B": 0.0, "C": 1.0}
    return ratings_frame(
        [(m, r, "peer", level + offset[r]) for r in offset for m, level in truth.items()]
    )


@pytest.fixture(scope="module")
def sample_ratings() -> pd.DataFrame:
    """The validated ratings table of the committed sample."""
    return am_analytics.load_sample().ratings


@pytest.fixture(scope="module")
def sample_truth() -> pd.DataFrame:
    """The planted truth behind the sample."""
    return sample.truth()


# ---------------------------------------------------------------------------
# icc
# ---------------------------------------------------------------------------


def test_icc_matches_shrout_fleiss_table_2() -> None:
    """The six ICCs of Shrout & Fleiss's (1979) example match their published values.

    Published (p. 424): ICC(1,1)=.17, ICC(2,1)=.29, ICC(3,1)=.71, ICC(1,4)=.44,
    ICC(2,4)=.62, ICC(3,4)=.91.
    """
    result = icc(SHROUT_FLEISS).set_index("form")["icc"].round(2)
    expected = pd.Series([0.17, 0.29, 0.71, 0.44, 0.62, 0.91], index=list(ICC_FORMS))
    pdt.assert_series_equal(result, expected, check_names=False, check_index_type=False)


def test_icc_f_tests_match_hand_computation() -> None:
    """F and degrees of freedom follow the ANOVA of the example, computed by hand.

    Row sums 24, 12, 26, 16, 30, 19 (total 127), column sums 46, 15, 26, 40,
    sum of squares 841, so with C = 127**2 / 24 = 672.042: SS_total = 168.958,
    SS_targets = 2913 / 4 - C = 56.208 (MSR = 11.242 on 5 df), SS_judges =
    4617 / 6 - C = 97.458 (MSC = 32.486), SS_within = 112.75 (MSW = 6.264 on
    18 df), SS_error = 15.292 (MSE = 1.019 on 15 df). One-way F(5, 18) =
    11.242 / 6.264 = 1.795; two-way F(5, 15) = 11.242 / 1.019 = 11.027.
    """
    result = icc(SHROUT_FLEISS).set_index("form")
    assert result.loc["ICC1", "f"] == pytest.approx(56.2083 / 5 / (112.75 / 18), rel=1e-4)
    assert result.loc["ICC1", "f"] == pytest.approx(1.7947, abs=1e-4)
    assert result.loc["ICC3", "f"] == pytest.approx(11.0272, abs=1e-4)
    assert result["df1"].tolist() == [5] * 6
    assert result["df2"].tolist() == [18, 15, 15, 18, 15, 15]
    assert result.loc["ICC1", "p_value"] == pytest.approx(0.1648, abs=1e-4)


def test_icc_intervals_contain_estimates_and_match_psych() -> None:
    """The 95% intervals contain the estimates and agree with R's psych::ICC.

    psych::ICC's documented example runs on the same Shrout & Fleiss data and
    prints the bounds (-0.133, 0.72), (0.019, 0.76), (0.342, 0.95),
    (-0.884, 0.91), (0.071, 0.93), (0.676, 0.99).
    """
    result = icc(SHROUT_FLEISS)
    assert (result["ci_low"] < result["icc"]).all()
    assert (result["icc"] < result["ci_high"]).all()
    np.testing.assert_allclose(
        result["ci_low"], [-0.133, 0.019, 0.342, -0.884, 0.071, 0.676], atol=5e-4
    )
    np.testing.assert_allclose(result["ci_high"], [0.72, 0.76, 0.95, 0.91, 0.93, 0.99], atol=5e-3)


def test_icc_drops_rows_with_missing_scores() -> None:
    """A target with a missing score is left out, as if it were not there."""
    with_gap = np.vstack([SHROUT_FLEISS, [5, np.nan, 4, 4]])
    pdt.assert_frame_equal(icc(pd.DataFrame(with_gap)), icc(SHROUT_FLEISS))


def test_icc_rejects_a_matrix_without_two_complete_rows() -> None:
    """Fewer than two complete targets is a DataValidationError, not a numpy error."""
    with pytest.raises(DataValidationError, match="at least 2 targets"):
        icc([[1.0, 2.0], [np.nan, 3.0]])


# ---------------------------------------------------------------------------
# reliability
# ---------------------------------------------------------------------------


def test_reliability_reproduces_krippendorffs_interval_alpha() -> None:
    """Krippendorff's (2011) example with missing data has interval alpha 0.849."""
    result = reliability(krippendorff_ratings())
    alpha = result.loc[result["statistic"] == "krippendorff_alpha"].iloc[0]
    assert round(alpha["value"], 3) == 0.849
    assert (alpha["n_targets"], alpha["n_raters"]) == (12, 4)
    assert np.isnan(alpha["f"])


def test_reliability_icc_uses_the_greedy_complete_block() -> None:
    """The ICCs are those of the 8 units every observer coded (units 2-9, all 4 observers).

    The greedy rule drops unit 12 (3 of 4 cells missing), unit 11 (2 of 4),
    then units 1 and 10 (1 of 4, more than any observer's share).
    """
    result = reliability(krippendorff_ratings())
    iccs = result.loc[result["statistic"].isin(ICC_FORMS)].reset_index(drop=True)
    expected = icc(KRIPPENDORFF[:, 1:9].T)
    np.testing.assert_allclose(iccs["value"], expected["icc"])
    np.testing.assert_allclose(iccs["ci_low"], expected["ci_low"])
    assert set(zip(iccs["n_targets"], iccs["n_raters"], strict=True)) == {(8, 4)}


def test_reliability_reports_a_too_small_block_without_raising() -> None:
    """With no two raters on the same three managers, the ICCs are NaN with a note."""
    ratings = ratings_frame(
        [
            ("M1", "A", "peer", 4),
            ("M1", "B", "peer", 3),
            ("M2", "A", "peer", 5),
            ("M2", "B", "peer", 4),
            ("M3", "C", "peer", 2),
        ]
    )
    result = reliability(ratings).set_index("statistic")
    assert result.loc[list(ICC_FORMS), "value"].isna().all()
    assert "need at least 3 managers" in result.loc["ICC1", "note"]
    assert np.isfinite(result.loc["krippendorff_alpha", "value"])


def test_reliability_has_seven_rows_per_competency_and_period(
    sample_ratings: pd.DataFrame,
) -> None:
    """Each (competency, period) gets its own six ICCs and alpha, sorted, with known values.

    Three groups in one frame: Shrout & Fleiss's example as teamwork 2026Q3,
    the same scores plus 10 as closing 2026Q3 (a shift changes no ICC nor
    alpha), and Krippendorff's example as teamwork 2026Q2 (alpha 0.849). The
    ICCs come from the ANOVA worked out in ``test_icc_f_tests_match_hand_computation``
    (MSR = 56.2083 / 5, MSC = 97.4583 / 3, MSW = 112.75 / 18, MSE = 15.2917 / 15,
    n = 6, k = 4). On complete data interval alpha is 1 - MSW / (SS_total / (nk - 1))
    = 1 - 6.2639 / (168.9583 / 23) = 0.1473.
    """
    example = [
        (f"M{target + 1}", rater, "peer", SHROUT_FLEISS[target, j])
        for target in range(6)
        for j, rater in enumerate("ABCD")
    ]
    shifted = [(m, r, role, score + 10) for m, r, role, score in example]
    krippendorff = krippendorff_ratings().assign(period="2026Q2")
    ratings = pd.concat(
        [ratings_frame(example), krippendorff, ratings_frame(shifted, competency="closing")],
        ignore_index=True,
    )
    result = reliability(ratings)

    keys = [("closing", "2026Q3"), ("teamwork", "2026Q2"), ("teamwork", "2026Q3")]
    assert list(zip(result["competency"], result["period"], strict=True)) == [
        key for key in keys for _ in range(7)
    ]
    assert result["statistic"].tolist() == [*ICC_FORMS, "krippendorff_alpha"] * 3

    n, k = 6, 4
    msr, msc, msw, mse = 56.2083 / 5, 97.4583 / 3, 112.75 / 18, 15.2917 / 15
    by_hand = [
        (msr - msw) / (msr + (k - 1) * msw),
        (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n),
        (msr - mse) / (msr + (k - 1) * mse),
        (msr - msw) / msr,
        (msr - mse) / (msr + (msc - mse) / n),
        (msr - mse) / msr,
        1 - msw / (168.9583 / (n * k - 1)),
    ]
    for competency in ("closing", "teamwork"):
        rows = result.loc[(result["competency"] == competency) & (result["period"] == "2026Q3")]
        np.testing.assert_allclose(rows["value"], by_hand, atol=1e-4)
        assert rows["value"].round(2).tolist()[:6] == [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
        assert set(zip(rows["n_targets"], rows["n_raters"], strict=True)) == {(n, k)}
    alpha = result.loc[(result["period"] == "2026Q2"), "value"].iloc[-1]
    assert round(alpha, 3) == 0.849

    on_sample = reliability(sample_ratings)
    groups = sample_ratings.groupby(["competency", "period"]).ngroups
    assert len(on_sample) == 7 * groups
    assert on_sample.groupby(["competency", "period"])["statistic"].nunique().eq(7).all()


def test_reliability_rejects_min_targets_below_two() -> None:
    """min_targets=1 is a ConfigError naming what is expected."""
    with pytest.raises(ConfigError, match="at least 2"):
        reliability(offset_ratings(), min_targets=1)


# ---------------------------------------------------------------------------
# calibrate
# ---------------------------------------------------------------------------


def test_rater_center_removes_a_constant_offset_exactly() -> None:
    """A rater one point more lenient than the two others gets leniency 1, they get 0.

    The typical rater (A or B) is the zero point, so every calibrated score is
    the true level and each manager gets the same score from all three raters.
    """
    ratings = offset_ratings()
    result = calibrate(ratings, method="rater_center")
    leniency = result.groupby("rater_id")["leniency"].first()
    np.testing.assert_allclose(leniency[["A", "B", "C"]], [0.0, 0.0, 1.0], atol=1e-12)
    true_level = ratings.loc[ratings["rater_id"] == "A", "score"].tolist() * 3
    np.testing.assert_allclose(result["calibrated_score"], true_level, atol=1e-12)


def test_self_ratings_stay_out_of_the_consensus() -> None:
    """A lenient self-rating changes nobody else's calibration and is measured against them.

    A and B rate two managers one point apart (calibrated to their midpoint);
    each manager's self-rating is 2 above A, i.e. 2.5 above that midpoint.
    """
    peers = [("M1", "A", "peer", 3), ("M1", "B", "peer", 2),
             ("M2", "A", "peer", 4), ("M2", "B", "peer", 3)]  # fmt: skip
    selves = [("M1", "M1", "self", 5), ("M2", "M2", "self", 6)]
    with_self = calibrate(ratings_frame(peers + selves))
    without = calibrate(ratings_frame(peers))
    np.testing.assert_allclose(with_self["calibrated_score"][:4], without["calibrated_score"])
    assert with_self["leniency"][4:].tolist() == pytest.approx([2.5, 2.5])


def test_calibrate_none_keeps_the_scores() -> None:
    """method="none" copies score into calibrated_score with zero leniency."""
    result = calibrate(offset_ratings(), method="none")
    np.testing.assert_array_equal(result["calibrated_score"], result["score"])
    assert (result["leniency"] == 0).all()


def test_zscore_puts_every_rater_on_the_overall_mean() -> None:
    """After z-score calibration each rater has the overall mean and sd of the frame."""
    ratings = offset_ratings()
    ratings.loc[ratings["rater_id"] == "B", "score"] *= 1.5  # B also spreads wider
    result = calibrate(ratings, method="zscore")
    rater_means = result.groupby("rater_id")["calibrated_score"].mean()
    np.testing.assert_allclose(rater_means, ratings["score"].mean())
    rater_sds = result.groupby("rater_id")["calibrated_score"].std()
    np.testing.assert_allclose(rater_sds, ratings["score"].std())


@pytest.mark.parametrize("method", CALIBRATION_METHODS)
def test_calibrate_does_not_modify_its_input(method: str) -> None:
    """The ratings frame passed in is left exactly as it was."""
    ratings = offset_ratings()
    before = ratings.copy(deep=True)
    calibrate(ratings, method=method)
    pdt.assert_frame_equal(ratings, before)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_calibration_does_not_depend_on_row_order(data: st.DataObject) -> None:
    """Shuffling the rows of a ratings table shuffles the result and changes nothing else."""
    ratings = data.draw(complete_designs())
    order = data.draw(st.permutations(range(len(ratings))))
    for method in CALIBRATION_METHODS:
        shuffled = calibrate(ratings.iloc[list(order)], method=method)
        pdt.assert_frame_equal(shuffled.loc[ratings.index], calibrate(ratings, method=method))


@settings(max_examples=40, deadline=None)
@given(data=st.data(), shift=st.integers(-4, 4).map(lambda k: k / 2))
def test_shifting_one_rater_shifts_only_their_leniency(data: st.DataObject, shift: float) -> None:
    """Adding c to one rater's scores raises their leniency by c relative to every other rater.

    Every other rater's leniency moves by one common amount (the zero point, the
    group's typical rater, may change), and so do all calibrated scores: the
    ranking of managers is untouched.
    """
    ratings = data.draw(complete_designs())
    rater = data.draw(st.sampled_from(sorted(ratings["rater_id"].unique())))
    shifted = ratings.copy()
    shifted.loc[shifted["rater_id"] == rater, "score"] += shift
    before, after = calibrate(ratings), calibrate(shifted)
    relative = after["leniency"] - before["leniency"]
    mine = (ratings["rater_id"] == rater).to_numpy()
    assert np.ptp(relative[~mine]) == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(relative[mine] - relative[~mine].mean(), shift, atol=1e-9)
    moved = after["calibrated_score"] - before["calibrated_score"]
    assert np.ptp(moved) == pytest.approx(0.0, abs=1e-9)


@st.composite
def complete_designs(draw: st.DrawFn) -> pd.DataFrame:
    """Peers rating every manager with integer scores 1..5 (a connected design)."""
    n_managers = draw(st.integers(2, 5))
    n_raters = draw(st.integers(2, 4))
    scores = draw(
        st.lists(st.integers(1, 5), min_size=n_managers * n_raters, max_size=n_managers * n_raters)
    )
    cells = [(f"M{m}", f"R{r}") for r in range(n_raters) for m in range(n_managers)]
    return ratings_frame(
        [(m, r, "peer", float(s)) for (m, r), s in zip(cells, scores, strict=True)]
    )


# ---------------------------------------------------------------------------
# The planted truth of the sample
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "truth_column", "key", "minimum"),
    [
        ("supervisor", "supervisor_leniency", "supervisor_id", 0.85),
        ("peer", "peer_leniency", "manager_id", 0.6),
        ("self", "self_leniency", "manager_id", 0.75),
    ],
)
def test_estimated_leniency_follows_the_planted_leniency(
    sample_ratings: pd.DataFrame,
    sample_truth: pd.DataFrame,
    role: str,
    truth_column: str,
    key: str,
    minimum: float,
) -> None:
    """Each role's estimated rater leniency correlates strongly with the planted one.

    Supervisors are the five ``S-<team>`` raters (leniency per supervisor_id);
    peers and self raters are the managers themselves.
    """
    estimated = rater_bias(sample_ratings)
    estimated = estimated[estimated["rater_role"] == role].set_index("rater_id")["leniency"]
    planted = sample_truth.groupby(key)[truth_column].first()
    planted.index = planted.index.astype(str)
    joined = pd.concat([estimated, planted], axis=1, join="inner")
    assert len(joined) == len(estimated)
    assert joined.corr().iloc[0, 1] > minimum


def test_calibration_brings_competency_scores_closer_to_the_truth(
    sample_ratings: pd.DataFrame, sample_truth: pd.DataFrame
) -> None:
    """rater_center scores correlate clearly better with the true competencies than raw ones.

    On the sample the correlation rises from about 0.73 to 0.75; z-scoring
    (which ignores whom a rater rated) does not help.
    """
    truth = sample_truth.melt(
        id_vars="manager_id", value_vars=list(sample.COMPETENCIES),
        var_name="competency", value_name="true",
    )  # fmt: skip
    truth["manager_id"] = truth["manager_id"].astype(str)

    def correlation(method: str) -> float:
        scores = competency_scores(sample_ratings, method=method)
        scores["manager_id"] = scores["manager_id"].astype(str)
        joined = scores.merge(truth, on=["manager_id", "competency"])
        return float(joined["score"].corr(joined["true"]))

    raw, calibrated = correlation("none"), correlation("rater_center")
    assert calibrated > raw + 0.01
    assert correlation("zscore") < calibrated


# ---------------------------------------------------------------------------
# competency_scores
# ---------------------------------------------------------------------------


def team_ratings() -> pd.DataFrame:
    """M1 rated by a supervisor (4), two peers (2, 3) and themself (5); no client."""
    return ratings_frame(
        [
            ("M1", "S-1", "supervisor", 4),
            ("M1", "M2", "peer", 2),
            ("M1", "M3", "peer", 3),
            ("M1", "M1", "self", 5),
        ]
    )


def test_role_weights_are_renormalised_over_the_roles_present() -> None:
    """Without a client the default weights become 0.5 / 0.8 and 0.3 / 0.8.

    (0.5 * 4 + 0.3 * mean(2, 3)) / (0.5 + 0.3) = 2.75 / 0.8 = 3.4375.
    """
    result = competency_scores(team_ratings(), method="none").iloc[0]
    assert result["score"] == pytest.approx(3.4375)
    assert (result["n_ratings"], result["n_raters"], result["roles"]) == (3, 3, "peer+supervisor")


def test_self_ratings_are_left_out_by_default() -> None:
    """The self-rating neither moves the score nor alone makes one."""
    ratings = team_ratings()
    boosted = ratings.assign(score=np.where(ratings["rater_role"] == "self", 1.0, ratings["score"]))
    first = competency_scores(ratings, method="none")["score"]
    second = competency_scores(boosted, method="none")["score"]
    pdt.assert_series_equal(first, second)
    only_self = competency_scores(ratings_frame([("M9", "M9", "self", 5)])).iloc[0]
    assert np.isnan(only_self["score"])
    assert (only_self["n_ratings"], only_self["roles"]) == (0, "")


def test_custom_role_weights_count_self_ratings() -> None:
    """Equal weights on supervisor, peer and self give the mean of the role means."""
    weights = {"supervisor": 1.0, "peer": 1.0, "self": 1.0}
    result = competency_scores(team_ratings(), method="none", role_weights=weights).iloc[0]
    assert result["score"] == pytest.approx((4 + 2.5 + 5) / 3)
    assert result["roles"] == "peer+self+supervisor"


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ({"supervisor": -0.1, "peer": 1.0}, "at least 0"),
        ({"supervisor": 1.0, "manager": 1.0}, "unknown rater roles"),
        ({"supervisor": 0.0, "peer": 0.0}, "all 0"),
        ({"peer": float("nan")}, "finite number"),
    ],
)
def test_invalid_role_weights_are_config_errors(weights: dict[str, float], message: str) -> None:
    """Negative, unknown, all-zero or NaN role weights raise ConfigError saying what is wrong."""
    with pytest.raises(ConfigError, match=message):
        competency_scores(team_ratings(), role_weights=weights)


def test_competency_scores_keep_the_manager_categories(sample_ratings: pd.DataFrame) -> None:
    """manager_id keeps every category of the input, and rows are sorted by the key."""
    result = competency_scores(sample_ratings)
    assert result["manager_id"].dtype == sample_ratings["manager_id"].dtype
    key = ["manager_id", "period", "competency"]
    pdt.assert_frame_equal(result, result.sort_values(key).reset_index(drop=True))
    assert not result.duplicated(key).any()


def test_default_role_weights_leave_self_out() -> None:
    """ROLE_WEIGHTS gives supervisor 0.5, peer 0.3, client 0.2 and self 0."""
    assert dict(ROLE_WEIGHTS) == {"supervisor": 0.5, "peer": 0.3, "client": 0.2, "self": 0.0}


# ---------------------------------------------------------------------------
# rater_bias
# ---------------------------------------------------------------------------


def test_rater_bias_flags_the_planted_lenient_rater() -> None:
    """Of five noisy peers, only the one scoring 1.5 points high is an outlier, and first.

    (At threshold 1.96 a typical rater crosses by chance 5% of the time; in
    this fixed frame none of the four does.)
    """
    rng = np.random.default_rng(0)
    true_level = rng.uniform(2, 4, size=12)
    offset = {"R1": 0.0, "R2": 0.0, "R3": 1.5, "R4": 0.0, "R5": 0.0}
    rows = [
        (f"M{m:02d}", rater, "peer", true_level[m] + lenient + rng.normal(0, 0.3))
        for rater, lenient in offset.items()
        for m in range(12)
    ]
    result = rater_bias(ratings_frame(rows))
    assert result["rater_id"].iloc[0] == "R3"
    assert result.loc[result["outlier"], "rater_id"].tolist() == ["R3"]
    assert result["leniency"].iloc[0] == pytest.approx(1.5, abs=0.2)
    assert result["leniency"].iloc[1:].abs().max() < 0.2


def test_rater_bias_rejects_a_non_positive_threshold() -> None:
    """threshold=0 is a ConfigError."""
    with pytest.raises(ConfigError, match="positive number"):
        rater_bias(offset_ratings(), threshold=0)


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("function", [calibrate, competency_scores])
def test_unknown_method_is_a_config_error(function: object) -> None:
    """An unknown calibration method names the valid ones."""
    with pytest.raises(ConfigError, match=r"unknown calibration method 'median'.*rater_center"):
        function(offset_ratings(), method="median")  # type: ignore[operator]


@pytest.mark.parametrize("function", [calibrate, competency_scores, reliability, rater_bias])
def test_missing_column_is_a_data_validation_error(function: object) -> None:
    """A ratings frame without score is rejected with the missing column named."""
    with pytest.raises(DataValidationError, match="score") as caught:
        function(offset_ratings().drop(columns="score"))  # type: ignore[operator]
    assert caught.value.missing == {"ratings": ["score"]}


def test_unknown_rater_role_is_a_data_validation_error() -> None:
    """A role outside supervisor / peer / self / client is rejected, not silently weighted."""
    ratings = offset_ratings().assign(rater_role="manager")
    with pytest.raises(DataValidationError, match="unknown roles \\['manager'\\]"):
        competency_scores(ratings)
