"""Scorecards: configuration, scores worked out by hand, invariants, persistence, robustness."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import am_analytics as am
from am_analytics.errors import (
    ConfigError,
    DataValidationError,
    EmptyPeriodError,
    NonFiniteValueWarning,
)
from am_analytics.scoring import (
    Criterion,
    FittedScorecard,
    Grading,
    Scorecard,
    default_scorecard,
    load_scorecard,
    score_managers,
    sensitivity,
)

THREE = pd.DataFrame(
    {
        "sales_amount": [100.0, 300.0, 200.0],
        "complaint_count": [4.0, 0.0, 2.0],
    },
    index=pd.Index(["a", "b", "c"], name="manager_id"),
)
FORCED = Grading(distribution=(("A", 0.2), ("B", 0.7), ("C", 0.1)))


def card(**options: object) -> Scorecard:
    """Sales (weight 3) and complaints (weight 1, lower is better)."""
    criteria = [Criterion("sales_amount", weight=3), Criterion("complaint_count", weight=1)]
    return Scorecard(criteria, **options)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Scorecard([Criterion("sales_amout", weight=1)]), "unknown metric 'sales_amout'"),
        (lambda: Criterion("sales_amount", weight=-1), "weights must be >= 0"),
        (lambda: Scorecard([Criterion("sales_amount")]), "needs a weight for every criterion"),
        (lambda: Scorecard(["sales_amount", "sales_amount"], weighting="equal"), "repeated"),
        (lambda: card(normalization="percent"), "unknown normalization 'percent'"),
        (lambda: card(normalization="target"), "needs a positive target"),
        (lambda: card(normalization="goalposts"), "needs floor and cap"),
        (lambda: Criterion("sales_amount", floor=5, cap=1), "floor .* must be below cap"),
        (lambda: card(weighting="ahp"), "needs pairwise="),
        (lambda: card(weighting="ahp", pairwise=[[1, 3], [3, 1]]), "reciprocal"),
        (lambda: Grading(distribution=(("A", 0.5), ("B", 0.4))), "summing to 1"),
        (lambda: Grading(bands=(("A", 50), ("B", 70))), "falling minimums"),
    ],
)
def test_invalid_scorecards_are_config_errors(make: object, message: str) -> None:
    """Each rule of a scorecard is checked when it is made, with a message that says why."""
    with pytest.raises(ConfigError, match=message):
        make()  # type: ignore[operator]


def test_inconsistent_ahp_matrix_is_refused_unless_allowed() -> None:
    """A 3x3 matrix with cyclic judgements has CR well above 0.10."""
    cyclic = [[1, 5, "1/5"], ["1/5", 1, 5], [5, "1/5", 1]]
    names = ["sales_amount", "csat_mean", "active_clients"]
    text = {
        "scorecard": {"weighting": "ahp", "pairwise": cyclic},
        "criteria": [{"metric": m} for m in names],
    }
    with pytest.raises(ConfigError, match="consistency ratio"):
        Scorecard.from_dict(text)
    text["scorecard"]["max_consistency_ratio"] = None  # type: ignore[index]
    assert Scorecard.from_dict(text).weighting == "ahp"


def test_own_column_needs_a_direction() -> None:
    """A column outside the registry can be scored once its direction is given."""
    with pytest.raises(ConfigError, match="give its direction"):
        Criterion("visits")
    frame = pd.DataFrame({"visits": [1.0, 3.0]})
    fitted = Scorecard([Criterion("visits", weight=1, direction="higher")]).fit(frame)
    assert fitted.score(frame)["score"].tolist() == [0.0, 100.0]


def test_scorecard_from_toml_and_errors_name_the_file(tmp_path: Path) -> None:
    """TOML with fractions in the AHP matrix loads; a bad key names file and key."""
    good = tmp_path / "card.toml"
    good.write_text(
        '[scorecard]\nweighting = "ahp"\npairwise = [[1, 3], ["1/3", 1]]\n'
        "[grading]\nbands = { A = 80, B = 50, C = 0 }\n"
        '[[criteria]]\nmetric = "sales_amount"\n[[criteria]]\nmetric = "csat_mean"\n',
        encoding="utf-8",
    )
    loaded = load_scorecard(good)
    fitted = loaded.fit(pd.DataFrame({"sales_amount": [1.0, 2.0], "csat_mean": [3.0, 4.0]}))
    assert fitted.weights_.tolist() == pytest.approx([0.75, 0.25])
    assert loaded.grading.bands == (("A", 80.0), ("B", 50.0), ("C", 0.0))
    bad = tmp_path / "bad.toml"
    bad.write_text('[[criteria]]\nmetric = "sales_amount"\nwieght = 1\n', encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"bad\.toml: criterion 1 has unknown key\(s\) \['wieght'\]"
    ):
        load_scorecard(bad)
    with pytest.raises(ConfigError, match="cannot read the scorecard"):
        load_scorecard(tmp_path / "absent.toml")


def test_default_scorecard_weights_and_round_trip() -> None:
    """The shipped default: 70 % quantitative, 30 % ratings, and it survives to_dict/from_dict."""
    default = default_scorecard()
    weights = {c.metric: c.weight for c in default.criteria}  # type: ignore[union-attr]
    assert sum(weights.values()) == pytest.approx(1.0)
    assert sum(w for m, w in weights.items() if m.startswith("rating_")) == pytest.approx(0.3)
    assert Scorecard.from_dict(default.to_dict()) == default


# ---------------------------------------------------------------------------
# scores by hand
# ---------------------------------------------------------------------------


def test_minmax_weighted_sum_by_hand() -> None:
    """Sales 100/300/200 -> 0, 1, .5; complaints 4/0/2 (lower is better) -> 0, 1, .5.

    With weights 3:1 (normalised to .75/.25, and said so): a 0, b 100, c 50;
    contributions of c: 37.5 + 12.5.
    """
    fitted = card().fit(THREE)
    scored = fitted.score(THREE)
    assert scored["score"].tolist() == [0.0, 100.0, 50.0]
    assert scored.loc[
        "c", ["sales_amount_contribution", "complaint_count_contribution"]
    ].tolist() == [37.5, 12.5]
    assert scored["rank"].tolist() == [3, 1, 2]
    assert scored["percentile"].tolist() == pytest.approx([100 / 3, 100, 200 / 3])
    assert "normalised to sum 1" in fitted.notes_[0]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        # zscore: sales z = -1.2247, 1.2247, 0 -> Phi; complaints the same, reversed
        ({"normalization": "zscore"}, [100 * 0.110335, 100 * 0.889665, 50.0]),
        # rank: mid-rank percentiles 1/6, 5/6, 3/6 for both criteria
        ({"normalization": "rank"}, [100 / 6, 500 / 6, 50.0]),
        # geometric: floor .01 for zeros: .01**.75 * .01**.25 = .01
        ({"aggregation": "geometric"}, [1.0, 100.0, 50.0]),
        # topsis with the population's ideal (1, 1) and anti-ideal (0, 0)
        ({"aggregation": "topsis"}, [0.0, 100.0, 50.0]),
    ],
)
def test_other_methods_by_hand(options: dict[str, str], expected: list[float]) -> None:
    """Each normalisation and aggregation on the three managers, computed by hand."""
    scored = card(**options).fit(THREE).score(THREE)
    assert scored["score"].tolist() == pytest.approx(expected, abs=1e-4)


def test_target_and_goalposts_normalisation() -> None:
    """Target: 300 of a 250 target caps at 1; complaints target 1 -> 1/4, 1, 1/2.
    Goalposts 0..400 and 0..4: sales .25/.75/.5; complaints 0, 1, .5."""
    target = Scorecard(
        [
            Criterion("sales_amount", weight=1, target=250),
            Criterion("complaint_count", weight=1, target=1),
        ],
        normalization="target",
    )
    norm = target.fit(THREE).score(THREE)
    assert norm["sales_amount_norm"].tolist() == [0.4, 1.0, 0.8]
    assert norm["complaint_count_norm"].tolist() == [0.25, 1.0, 0.5]
    goalposts = Scorecard(
        [
            Criterion("sales_amount", weight=1, floor=0, cap=400),
            Criterion("complaint_count", weight=1, floor=0, cap=4),
        ],
        normalization="goalposts",
    )
    norm = goalposts.fit(THREE).score(THREE)
    assert norm["sales_amount_norm"].tolist() == [0.25, 0.75, 0.5]
    assert norm["complaint_count_norm"].tolist() == [0.0, 1.0, 0.5]


def test_missing_value_policies() -> None:
    """c has no complaint count: reweight scores it on sales alone (50), median
    fills the median 2 (-> .5 -> 50), reject leaves it unscored."""
    frame = THREE.copy()
    frame.loc["c", "complaint_count"] = np.nan
    reweighted = card().fit(frame).score(frame)
    assert reweighted.loc["c", "score"] == 50.0
    assert reweighted.loc["c", "missing"] == "complaint_count"
    assert reweighted.loc["a", "missing"] == ""
    assert card(missing="median").fit(frame).score(frame).loc["c", "score"] == 50.0
    rejected = card(missing="reject").fit(frame).score(frame)
    assert math.isnan(rejected.loc["c", "score"])
    assert pd.isna(rejected.loc["c", "grade"]) and pd.isna(rejected.loc["c", "rank"])
    assert rejected["rank"].dropna().tolist() == [2, 1]


@pytest.mark.parametrize("normalization", ["rank", "minmax", "zscore"])
def test_a_criterion_nobody_has_leaves_the_others_to_decide(normalization: str) -> None:
    """No manager has a complaint count (a first quarter, say): scores come from sales
    alone, in batch and one at a time."""
    frame = THREE.assign(complaint_count=np.nan)
    fitted = card(normalization=normalization).fit(frame)
    scored = fitted.score(frame)
    assert scored["score"].rank().tolist() == [1.0, 3.0, 2.0]
    assert (scored["missing"] == "complaint_count").all()
    one = fitted.score_one({"sales_amount": 300.0, "complaint_count": 1.0})
    assert one["score"] == pytest.approx(scored.loc["b", "score"])
    assert one["missing"] == ["complaint_count"]


def test_a_missing_value_of_a_constant_criterion_stays_missing_under_rank() -> None:
    """Everybody fitted on had 0 complaints: a manager without a value is missing there,
    not placed at the middle of the one-point rank grid."""
    frame = THREE.assign(complaint_count=0.0)
    fitted = card(normalization="rank").fit(frame)
    probe = pd.DataFrame({"sales_amount": [300.0], "complaint_count": [np.nan]})
    scored = fitted.score(probe)
    assert np.isnan(scored["complaint_count_norm"].iloc[0])
    assert scored["missing"].tolist() == ["complaint_count"]
    assert scored["score"].iloc[0] == pytest.approx(100 * 5 / 6)  # mid-rank 5/6 of three
    one = fitted.score_one({"sales_amount": 300.0, "complaint_count": None})
    assert one["score"] == pytest.approx(scored["score"].iloc[0])


def test_bands_and_forced_distribution_with_ties() -> None:
    """Bands grade by score; under 20/70/10 of ten managers the top two are A and
    the last one C, and a tie at the A boundary gives both the better grade."""
    frame = pd.DataFrame({"sales_amount": [10.0, 9, 8, 8, 6, 5, 4, 3, 2, 1]})
    bands = Scorecard([Criterion("sales_amount", weight=1)]).fit(frame).score(frame)
    assert bands["grade"].tolist()[:3] == ["A", "A", "B"]  # 100, 88.9, 77.8
    forced = Scorecard([Criterion("sales_amount", weight=1)], grading=FORCED).fit(frame)
    grades = forced.score(frame)["grade"].tolist()
    assert grades == ["A", "A", "B", "B", "B", "B", "B", "B", "B", "C"]
    tied = frame.assign(sales_amount=[10.0, 9, 9, 8, 6, 5, 4, 3, 2, 1])
    grades = Scorecard([Criterion("sales_amount", weight=1)], grading=FORCED).fit(tied).score(tied)
    assert grades["grade"].tolist()[:4] == ["A", "A", "A", "B"]


def test_data_driven_weights_are_learned_at_fit() -> None:
    """Entropy weights come from the population and are kept for later frames."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"sales_amount": rng.lognormal(10, 1, 50), "csat_mean": rng.uniform(3.9, 4.1, 50)}
    )
    fitted = Scorecard(["sales_amount", "csat_mean"], weighting="critic").fit(frame)
    assert fitted.weights_.sum() == pytest.approx(1.0)
    assert "critic weights learned from 50 complete rows" in fitted.notes_[0]
    again = FittedScorecard.from_json(fitted.to_json())
    pd.testing.assert_series_equal(again.weights_, fitted.weights_)


def test_frame_errors_are_clear() -> None:
    """A missing or non-numeric column, and an empty population, are ConfigErrors."""
    with pytest.raises(ConfigError, match=r"no column for the criteria \['complaint_count'\]"):
        card().fit(THREE[["sales_amount"]])
    with pytest.raises(ConfigError, match="not numeric"):
        card().fit(THREE.assign(complaint_count=["x", "y", "z"]))
    with pytest.raises(ConfigError, match="empty frame"):
        card().fit(THREE.iloc[:0])


# ---------------------------------------------------------------------------
# one record, JSON, explanations
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("normalization", ["minmax", "zscore", "rank"])
@pytest.mark.parametrize("aggregation", ["weighted_sum", "geometric", "topsis"])
@pytest.mark.parametrize("missing", ["reweight", "median", "reject"])
def test_score_one_agrees_with_score(normalization: str, aggregation: str, missing: str) -> None:
    """The plain-Python path gives the frame path's scores, norms, contributions and grades."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "sales_amount": rng.lognormal(12, 1, 40),
            "complaint_count": rng.poisson(2, 40).astype(float),
            "csat_mean": rng.uniform(1, 5, 40),
        }
    )
    frame.iloc[::7, 2] = np.nan
    scorecard = Scorecard(
        ["sales_amount", "complaint_count", "csat_mean"],
        weighting="equal",
        normalization=normalization,
        aggregation=aggregation,
        missing=missing,
        grading=FORCED,
    )  # type: ignore[arg-type]
    fitted = scorecard.fit(frame)
    probe = pd.concat([frame, frame * 1.5 + 1])  # values outside the population too
    scored = fitted.score(probe)
    for (_, row), (_, expected) in zip(probe.iterrows(), scored.iterrows(), strict=True):
        record = {k: (None if math.isnan(v) else v) for k, v in row.items()}
        one = fitted.score_one(record)
        if math.isnan(expected["score"]):
            assert one["score"] is None and one["grade"] is None
            continue
        assert one["score"] == pytest.approx(expected["score"], rel=1e-12, abs=1e-12)
        assert one["grade"] == expected["grade"]
        contribution = expected["csat_mean_contribution"]
        if math.isnan(contribution):
            assert one["csat_mean_contribution"] is None
        else:
            assert one["csat_mean_contribution"] == pytest.approx(contribution, rel=1e-12)


def test_score_one_rejects_text() -> None:
    """A service passing text where a number belongs gets a DataValidationError."""
    with pytest.raises(DataValidationError, match="sales_amount='lots' is not a number"):
        card().fit(THREE).score_one({"sales_amount": "lots", "complaint_count": 1})


def test_json_is_plain_and_from_json_checks_format() -> None:
    """The JSON has no NaN/Infinity tokens (other languages can read it); junk is refused."""
    fitted = card(grading=FORCED, normalization="rank").fit(THREE.iloc[:1])
    text = fitted.to_json()
    json.loads(text, parse_constant=lambda token: pytest.fail(f"non-standard {token}"))
    assert FittedScorecard.from_json(text).score(THREE).equals(fitted.score(THREE))
    with pytest.raises(ConfigError, match="cannot read the fitted scorecard"):
        FittedScorecard.from_json('{"format": "something else"}')


def test_explain_says_what_lifted_and_held_back() -> None:
    """c is at the median; a trails on both criteria, most on sales (weight .75)."""
    fitted = card().fit(THREE)
    explanation = fitted.explain("a")
    assert explanation.table.index.tolist() == ["sales_amount", "complaint_count"]
    assert explanation.table["effect"].tolist() == pytest.approx([-37.5, -12.5])
    assert "a scores 0.0 (grade D, rank 3 of 3); the median manager scores 50.0." in str(
        explanation
    )
    assert "Held back by: sales_amount 100 (median 200, -37.5 points)" in explanation.text
    with pytest.raises(ConfigError, match="pass the metrics frame"):
        FittedScorecard.from_json(fitted.to_json()).explain("a")


# ---------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------

NORMALIZATIONS = ["minmax", "zscore", "rank"]
AGGREGATIONS = ["weighted_sum", "geometric", "topsis"]


@st.composite
def populations(draw: st.DrawFn) -> pd.DataFrame:
    """3-25 managers with three metrics, some values missing."""
    n = draw(st.integers(3, 25))
    values = draw(
        arrays(np.float64, (n, 3), elements=st.floats(-1e6, 1e6, allow_nan=False, width=64))
    )
    holes = draw(arrays(np.bool_, (n, 3), elements=st.booleans()))
    values[holes & (np.arange(n)[:, None] > 1)] = np.nan  # the first two rows stay complete
    return pd.DataFrame(values, columns=["sales_amount", "complaint_count", "csat_mean"])


def spec(normalization: str, aggregation: str, weights: tuple[float, float, float]) -> Scorecard:
    return Scorecard(
        [
            Criterion(m, weight=w)
            for m, w in zip(("sales_amount", "complaint_count", "csat_mean"), weights, strict=True)
        ],
        normalization=normalization,
        aggregation=aggregation,
    )  # type: ignore[arg-type]


weight_triples = st.tuples(*[st.floats(0.01, 10) for _ in range(3)])


@settings(max_examples=60, deadline=None)
@given(
    populations(), st.sampled_from(NORMALIZATIONS), st.sampled_from(AGGREGATIONS), weight_triples
)
def test_scores_bounded_contributions_add_up_json_exact(
    frame: pd.DataFrame, normalization: str, aggregation: str, weights: tuple[float, ...]
) -> None:
    """Scores lie in [0, 100], weights sum to 1, contributions sum to the score,
    and a JSON round trip gives identical scores."""
    fitted = spec(normalization, aggregation, weights).fit(frame)  # type: ignore[arg-type]
    scored = fitted.score(frame)
    score = scored["score"].dropna()
    assert ((score >= 0) & (score <= 100)).all()
    assert fitted.weights_.sum() == pytest.approx(1.0, abs=1e-12)
    contributions = scored.filter(like="_contribution").sum(axis=1, min_count=1)
    np.testing.assert_allclose(contributions[score.index], score, atol=1e-9)
    again = FittedScorecard.from_json(fitted.to_json()).score(frame)
    pd.testing.assert_frame_equal(again, scored)


@settings(max_examples=80, deadline=None)
@given(
    populations(),
    st.sampled_from(NORMALIZATIONS),
    st.sampled_from(AGGREGATIONS),
    weight_triples,
    st.integers(0, 24),
    st.integers(0, 2),
    st.floats(0.001, 1e6),
)
def test_improving_a_metric_never_lowers_the_score(
    frame: pd.DataFrame,
    normalization: str,
    aggregation: str,
    weights: tuple[float, ...],
    row: int,
    column: int,
    step: float,
) -> None:
    """Under a fitted scorecard, moving one value in its good direction never lowers that score."""
    row %= len(frame)
    assume(not math.isnan(frame.iat[row, column]))
    fitted = spec(normalization, aggregation, weights).fit(frame)  # type: ignore[arg-type]
    before = fitted.score(frame.iloc[[row]])["score"].iat[0]
    better = frame.iloc[[row]].copy()
    good = 1 if fitted.params_["direction"].iat[column] > 0 else -1
    better.iat[0, column] += good * step
    after = fitted.score(better)["score"].iat[0]
    assert after >= before - 1e-9


@settings(max_examples=40, deadline=None)
@given(
    populations(),
    st.sampled_from(NORMALIZATIONS),
    st.sampled_from(AGGREGATIONS),
    weight_triples,
    st.randoms(use_true_random=False),
)
def test_row_order_changes_nothing(
    frame: pd.DataFrame,
    normalization: str,
    aggregation: str,
    weights: tuple[float, ...],
    random: object,
) -> None:
    """Fitting and scoring shuffled rows gives each manager the same result."""
    card_ = spec(normalization, aggregation, weights)
    scored = card_.fit(frame).score(frame)
    shuffled = frame.sample(frac=1, random_state=random.randint(0, 2**31))  # type: ignore[attr-defined]
    again = card_.fit(shuffled).score(shuffled).loc[scored.index]
    pd.testing.assert_frame_equal(again, scored, check_exact=False, rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    populations(),
    st.sampled_from(NORMALIZATIONS),
    st.sampled_from(AGGREGATIONS),
    st.sampled_from([1e-4, 0.01, 7.0, 1e4]),
)
def test_changing_a_metric_unit_changes_no_score(
    frame: pd.DataFrame, normalization: str, aggregation: str, factor: float
) -> None:
    """Sales in yuan or in 万元: minmax, zscore and rank scores are the same."""
    card_ = spec(normalization, aggregation, (1.0, 1.0, 1.0))
    scored = card_.fit(frame).score(frame)["score"]
    rescaled = frame.assign(sales_amount=frame["sales_amount"] * factor)
    again = card_.fit(rescaled).score(rescaled)["score"]
    np.testing.assert_allclose(again, scored, rtol=1e-7, atol=1e-7)


# ---------------------------------------------------------------------------
# sensitivity and the notebook entry point
# ---------------------------------------------------------------------------


def test_sensitivity_without_noise_keeps_every_rank() -> None:
    """With no weight noise every draw reproduces the fitted ranking."""
    frame = pd.DataFrame({"sales_amount": [5.0, 1, 3, 4], "complaint_count": [0.0, 3, 1, 2]})
    fitted = card(grading=FORCED).fit(frame)
    result = sensitivity(fitted, frame, n=50, weight_noise=0.0)
    assert result.managers["median_rank"].tolist() == result.managers["rank"].tolist()
    assert (result.managers["p_same_grade"] == 1.0).all()
    assert result.mean_abs_rank_shift == 0.0


def test_sensitivity_finds_fragile_ranks() -> None:
    """Two managers whose order hinges on the weights swap in some draws; a
    manager best on everything keeps rank 1; the same seed gives the same result."""
    frame = pd.DataFrame(
        {"sales_amount": [10.0, 6.0, 4.0, 0.0], "complaint_count": [0.0, 2.5, 1.5, 4.0]}
    )
    fitted = Scorecard(["sales_amount", "complaint_count"], weighting="equal").fit(frame)
    result = sensitivity(fitted, frame, n=400, weight_noise=0.5, seed=3)
    ranks = result.managers
    assert ranks.loc[0, ["rank_p05", "rank_p95"]].tolist() == [1.0, 1.0]
    assert ranks.loc[1, "rank_p05"] == 2.0 and ranks.loc[1, "rank_p95"] == 3.0
    assert 0 < result.mean_abs_rank_shift < 1
    again = sensitivity(fitted, frame, n=400, weight_noise=0.5, seed=3)
    pd.testing.assert_frame_equal(again.managers, ranks)
    mixed = sensitivity(fitted, frame, n=100, normalizations=["rank"], aggregations=["topsis"])
    assert mixed.managers.loc[0, "median_rank"] == 1.0


def test_score_managers_on_the_sample() -> None:
    """Three lines from the sample to a ranked, graded, explained table; 271 grades."""
    table = score_managers(am.load_sample(), period="2026Q3")
    assert table["rank"].tolist() == sorted(table["rank"].tolist())
    assert table["rank"].iloc[0] == 1
    counts = table["grade"].value_counts()
    n = len(table)
    assert counts["A"] == round(0.2 * n) and counts["C"] == n - counts["A"] - counts["B"]
    assert table["lifted_by"].iloc[0] != "" and table["held_back_by"].iloc[-1] != ""
    assert {"name", "team", "score", "percentile", "missing"} <= set(table.columns)


def test_default_scores_follow_the_planted_skill() -> None:
    """The sample plants each manager's skill; the default score must rank by it
    (Spearman 0.63 in 2026Q3 when this was written; a broken metric or sign drops it)."""
    from am_analytics.sample import truth

    table = score_managers(am.load_sample(), period="2026Q3")
    skill = truth().set_index("manager_id")["skill"]
    assert table["score"].corr(skill.loc[table.index], method="spearman") > 0.5


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 5)),
           elements=st.one_of(st.floats(0, 1), st.just(np.nan))),
    st.sampled_from(AGGREGATIONS),
    st.data(),
)  # fmt: skip
def test_column_kernels_equal_the_matrix_kernels(
    norm: np.ndarray, method: str, data: st.DataObject
) -> None:
    """Scoring criterion by criterion gives the matrix kernels' results (to rounding)."""
    from am_analytics.scoring._aggregate import aggregate_columns, geometric, topsis, weighted_sum

    raw = data.draw(arrays(np.float64, norm.shape[1], elements=st.floats(0.01, 1)))
    weights = raw / raw.sum()
    ideal = data.draw(arrays(np.float64, norm.shape[1], elements=st.floats(0.5, 1)))
    anti = ideal - data.draw(arrays(np.float64, norm.shape[1], elements=st.floats(0, 0.5)))
    columns = [norm[:, j].copy() for j in range(norm.shape[1])]
    result = aggregate_columns(
        columns, weights, method=method, floor=0.01, ideal=ideal, anti_ideal=anti
    )
    if method == "weighted_sum":
        expected = weighted_sum(norm, weights)
    elif method == "geometric":
        expected = geometric(norm, weights, floor=0.01)
    else:
        expected = topsis(norm, weights, ideal=ideal, anti_ideal=anti)
    np.testing.assert_allclose(result, expected, rtol=1e-9, atol=1e-12)


def _overflow_dataset() -> am.Dataset:
    """M1's two orders of 1e308 sum past the largest float; M4 sold only before 2026Q3."""
    return am.from_frames(
        as_of="2026-11-15",
        rules=am.ValidationRules(max_amount=1e308),
        managers=pd.DataFrame(
            {"manager_id": ["M1", "M2", "M3", "M4"], "name": ["王芳", "李雷", "张伟", "赵敏"]}
        ),
        clients=pd.DataFrame(
            {"client_id": ["C1", "C2", "C3", "C4"], "manager_id": ["M1", "M2", "M3", "M4"]}
        ),
        sales=pd.DataFrame(
            {
                "order_id": ["S1", "S2", "S3", "S4", "S5"],
                "client_id": ["C1", "C1", "C2", "C3", "C4"],
                "manager_id": ["M1", "M1", "M2", "M3", "M4"],
                "order_date": [
                    "2026-07-01",
                    "2026-07-02",
                    "2026-08-01",
                    "2026-09-01",
                    "2026-05-01",
                ],
                "amount": [1e308, 1e308, 100.0, 300.0, 50.0],
            }
        ),
    )


OVERFLOW_CARD = Scorecard(
    [Criterion("sales_amount", weight=1), Criterion("order_count", weight=1)],
    normalization="minmax",
    grading=Grading(bands=(("A", 80.0), ("B", 40.0), ("C", 0.0))),
)


def test_an_overflowing_sum_is_named_and_warned_not_dropped_silently() -> None:
    """Sales summing to inf: the criterion is left out for that manager, named in
    not_finite and note, and warned about (metrics and scoring both say so)."""
    with pytest.warns(NonFiniteValueWarning) as caught:
        table = score_managers(_overflow_dataset(), period="2026Q3", scorecard=OVERFLOW_CARD)
    messages = [str(w.message) for w in caught]
    assert any("sales_amount for M1" in m for m in messages)
    assert any("M1 (sales_amount)" in m for m in messages)
    assert table.loc["M1", "not_finite"] == "sales_amount"
    assert table.loc["M1", "missing"] == "sales_amount"
    assert table.loc["M1", "note"] == (
        "sales_amount not finite (an overflowing sum?): left out of the score"
    )
    # M1 scored on order_count alone (2 orders, the most); M2 and M3 on both criteria
    assert table["score"].round(6).fillna(-1).to_dict() == {
        "M1": 100.0,
        "M3": 50.0,
        "M2": 0.0,
        "M4": -1,  # no sales in the period: unscored
    }
    assert (table.loc[["M2", "M3"], "not_finite"] == "").all()


def test_a_manager_without_sales_in_an_active_period_is_flagged_not_graded() -> None:
    """M4 sold in 2026Q2 only: in 2026Q3 a row with active=False, no score, no grade,
    and the fit (bounds, grades) ignores it."""
    with pytest.warns(NonFiniteValueWarning):
        table = score_managers(_overflow_dataset(), period="2026Q3", scorecard=OVERFLOW_CARD)
    idle = table.loc["M4"]
    assert not idle["active"] and table.loc[["M1", "M2", "M3"], "active"].all()
    assert pd.isna(idle["score"]) and pd.isna(idle["grade"]) and pd.isna(idle["rank"])
    assert idle["note"] == "no sales in 2026Q3: not scored"
    assert idle["sales_amount_value"] == 0.0 and idle["order_count_value"] == 0.0
    assert table.index[-1] == "M4"


def test_a_period_without_sales_is_an_error_naming_the_data_range() -> None:
    """Before any sale every manager used to score 50 and grade A; now an EmptyPeriodError."""
    with pytest.raises(
        EmptyPeriodError,
        match=r"no sales in 2019Q1 \(2019-01-01 to 2019-03-31\).*"
        r"the sales run from 2024-01-01 to 2026-11-15: choose a period with sales",
    ) as error:
        score_managers(am.load_sample(), period="2019Q1")
    assert error.value.period == "2019Q1"
    assert error.value.first_date == pd.Timestamp("2024-01-01")
    assert error.value.last_date == pd.Timestamp("2026-11-15")


def test_managers_who_have_left_are_named_in_the_result() -> None:
    """The sample's two leavers are not rows, and the table says so in attrs."""
    table = score_managers(am.load_sample(), period="2026Q3")
    assert table.attrs["left_out"] == {"M0018": "has left", "M0035": "has left"}
    assert not {"M0018", "M0035"} & set(table.index)
    assert table["active"].all() and (table["note"] == "").all()


def test_score_one_names_an_infinite_value() -> None:
    """A service gets the infinite criterion named, as score() does."""
    frame = pd.DataFrame({"sales_amount": [10.0, 20.0, 30.0], "complaint_count": [1.0, 2, 3]})
    fitted = Scorecard(["sales_amount", "complaint_count"], weighting="equal").fit(frame)
    one = fitted.score_one({"sales_amount": math.inf, "complaint_count": 1.0})
    assert one["not_finite"] == ["sales_amount"] and one["missing"] == ["sales_amount"]
    assert one["score"] == 100.0
    assert fitted.score_one({"sales_amount": 20.0, "complaint_count": 1.0})["not_finite"] == []


def test_score_managers_positional_period_and_scorecard_still_work_with_a_warning() -> None:
    """The old ``score_managers(data, period, card)`` warns with the keyword call, same table."""
    data = am.load_sample()
    card = default_scorecard()
    new = score_managers(data, period="2026Q3", scorecard=card)
    advice = (
        r"pass period, scorecard by keyword: score_managers\(\.\.\., period='2026Q3', scorecard="
    )
    with pytest.warns(FutureWarning, match=advice):
        old = score_managers(data, "2026Q3", card)
    pd.testing.assert_frame_equal(old, new)
    assert old.attrs == new.attrs
