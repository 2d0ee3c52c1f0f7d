"""A fitted scorecard's JSON format (version 1) and scoring large frames like small ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from am_analytics.scoring import Criterion, FittedScorecard, Grading, Scorecard

#: Written by ``FittedScorecard.to_json()`` before scoring looked values up in
#: ascending order: rank normalisation, seven managers, two criteria.
RANK_MODEL_V1 = (
    '{"format": "am_analytics.FittedScorecard", "version": 1, "scorecard": {"scorecard": '
    '{"normalization": "rank", "weighting": "fixed", "aggregation": "weighted_sum", "missing": '
    '"reweight", "max_consistency_ratio": 0.1, "geometric_floor": 0.01}, "grading": '
    '{"distribution": {"A": 0.2, "B": 0.7, "C": 0.1}}, "criteria": [{"metric": "sales_amount", '
    '"weight": 0.6, "label": "销售额"}, {"metric": "csat_mean", "weight": 0.4}]}, "weights": '
    '[0.6, 0.4], "params": {"direction": [1.0, 1.0], "lower": [45.5, 2.5], "upper": [300.0, '
    '5.0], "center": [null, null], "scale": [null, null], "median": [100.0, 4.0], '
    '"median_norm": [0.45833333333333337, 0.5], "ideal": [1.0, 1.0], "anti": [0.0, 0.0]}, '
    '"grids": {"sales_amount": [[45.5, 80.0, 120.0, 210.0, 300.0], [0.08333333333333333, '
    '0.3333333333333333, 0.5833333333333334, 0.75, 0.9166666666666666]], "csat_mean": [[2.5, '
    "3.0, 4.0, 4.5, 5.0], [0.08333333333333333, 0.25, 0.5, 0.75, 0.9166666666666666]]}, "
    '"thresholds": [91.66666666666667, 30.0], "median_score": 64.99999999999999, '
    '"consistency_ratio": null, "notes": [], "n_fitted": 7, "population_scores": '
    "[8.333333333333332, 30.0, 40.0, 64.99999999999999, 65.00000000000001, 91.66666666666666, "
    "91.66666666666667]}"
)
NEW_MANAGERS = pd.DataFrame(
    {"sales_amount": [100.0, 500.0, 10.0, 80.0], "csat_mean": [3.5, np.nan, 4.5, 4.0]},
    index=list("wxyz"),
)


def test_a_model_written_before_loads_and_scores_as_it_did() -> None:
    """The version-1 JSON scores four new managers exactly as the code that wrote it did."""
    fitted = FittedScorecard.from_json(RANK_MODEL_V1)
    scored = fitted.score(NEW_MANAGERS)
    assert scored["score"].tolist() == [42.50000000000001, 100.0, 30.000000000000004, 40.0]
    assert scored["rank"].tolist() == [2, 1, 4, 3]
    assert scored["percentile"].tolist() == [75.0, 100.0, 25.0, 50.0]
    assert scored["population_percentile"].tolist() == pytest.approx(
        [300 / 7, 100.0, 200 / 7, 300 / 7], rel=1e-15
    )
    assert scored["grade"].tolist() == ["B", "A", "B", "B"]
    assert scored["missing"].tolist() == ["", "csat_mean", "", ""]
    norms = [0.45833333333333337, 1.0, 0.0, 0.3333333333333333]
    assert scored["sales_amount_norm"].tolist() == norms
    assert fitted.score_one({"sales_amount": 100.0, "csat_mean": 3.5})["score"] == 42.50000000000001


def test_a_model_written_before_is_written_back_unchanged() -> None:
    """Reading the version-1 JSON and writing it again gives the very same text."""
    assert FittedScorecard.from_json(RANK_MODEL_V1).to_json() == RANK_MODEL_V1


def test_a_model_written_now_is_read_by_the_same_format() -> None:
    """Fitting the same population again writes the version-1 JSON of before, byte for byte."""
    population = pd.DataFrame(
        {
            "sales_amount": [120.0, 80.0, 80.0, 300.0, np.nan, 45.5, 210.0],
            "csat_mean": [4.5, 3.0, 4.0, np.nan, 5.0, 2.5, 4.0],
        },
        index=[f"M{i}" for i in range(1, 8)],
    )
    card = Scorecard(
        [Criterion("sales_amount", weight=0.6, label="销售额"), Criterion("csat_mean", weight=0.4)],
        normalization="rank",
        grading=Grading(distribution=(("A", 0.2), ("B", 0.7), ("C", 0.1))),
    )
    assert card.fit(population).to_json() == RANK_MODEL_V1


@pytest.mark.parametrize("normalization", ["rank", "minmax"])
def test_a_large_frame_scores_each_row_as_a_small_one_does(normalization: str) -> None:
    """Past 4,096 rows (values looked up in ascending order) every norm, score and population
    percentile equals that of the same rows scored a hundred at a time."""
    rng = np.random.default_rng(5)
    n_rows = 6_000
    frame = pd.DataFrame(
        {
            "sales_amount": np.round(rng.lognormal(10, 1, n_rows), 1),
            "csat_mean": np.where(rng.random(n_rows) < 0.1, np.nan, rng.uniform(1, 5, n_rows)),
            "complaint_count": rng.poisson(2, n_rows).astype(float),
        }
    )
    card = Scorecard(
        [Criterion("sales_amount", weight=0.5), Criterion("csat_mean", weight=0.3),
         Criterion("complaint_count", weight=0.2)],
        normalization=normalization,  # type: ignore[arg-type]
    )  # fmt: skip
    fitted = card.fit(frame.iloc[: n_rows // 2])
    whole = fitted.score(frame)
    pieces = pd.concat([fitted.score(frame.iloc[i : i + 100]) for i in range(0, n_rows, 100)])
    columns = [c for c in whole.columns if c.endswith(("_norm", "_contribution"))]
    columns += ["score", "population_percentile", "grade", "missing"]
    pd.testing.assert_frame_equal(whole[columns], pieces[columns], check_exact=True)


def test_value_columns_share_no_changes_with_the_scored_frame() -> None:
    """The value columns equal the frame's criteria (a float column read as it is, a count
    converted, a capped one clipped), and a later change to either frame leaves the other."""
    frame = pd.DataFrame(
        {"sales_amount": [10.0, np.nan, 30.0], "active_clients": [1, 2, 3],
         "csat_mean": [4.9, 2.0, 3.5]}
    )  # fmt: skip
    card = Scorecard(
        [Criterion("sales_amount", weight=1), Criterion("active_clients", weight=1),
         Criterion("csat_mean", weight=1, cap=4.5)]
    )  # fmt: skip
    scored = card.fit(frame).score(frame)
    np.testing.assert_array_equal(scored["sales_amount_value"], [10.0, np.nan, 30.0])
    np.testing.assert_array_equal(scored["active_clients_value"], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(scored["csat_mean_value"], [4.5, 2.0, 3.5])
    scored.loc[0, "sales_amount_value"] = -1.0
    assert frame.loc[0, "sales_amount"] == 10.0
    frame.loc[2, "sales_amount"] = -2.0
    assert scored.loc[2, "sales_amount_value"] == 30.0


@pytest.mark.parametrize("n_rows", [1, 1000, 70_000])
def test_contributions_equal_the_plain_formula(n_rows: int) -> None:
    """Shares of weight × norm scaled to the score, block by block of rows, equal the
    whole-column formula exactly (rows at zero everywhere share by weight alone)."""
    from am_analytics.scoring._fitted import _contributions

    rng = np.random.default_rng(n_rows)
    norms = [rng.choice(np.r_[rng.random(10), 0.0, np.nan], n_rows) for _ in range(4)]
    norms[0][: n_rows // 3] = 0.0
    for norm in norms[1:]:
        norm[: n_rows // 3] = np.where(np.isnan(norm[: n_rows // 3]), np.nan, 0.0)
    weights = np.array([0.4, 0.3, 0.2, 0.1])
    points = rng.random(n_rows) * 100
    terms = [w * norm for w, norm in zip(weights, norms, strict=True)]
    total = np.nansum(np.vstack(terms), axis=0)
    flat = ~(total > 0)
    for w, norm, term in zip(weights, norms, terms, strict=True):
        term[flat] = np.where(np.isnan(norm[flat]), np.nan, w)
    total[flat] = np.nansum(np.vstack([term[flat] for term in terms]), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = [term * (points / total) for term in terms]
    for got, want in zip(_contributions(norms, weights, points), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def test_grades_of_many_scores_follow_the_thresholds() -> None:
    """Past one block of rows: the first grade whose threshold a score reaches (within
    the tolerance), missing for a missing score."""
    frame = pd.DataFrame({"sales_amount": np.arange(100.0)})
    grading = Grading(bands=(("A", 80.0), ("B", 50.0), ("C", 0.0)))
    fitted = Scorecard([Criterion("sales_amount", weight=1)], grading=grading).fit(frame)
    scores = np.random.default_rng(3).choice(np.r_[np.arange(0.0, 100.0, 0.5), np.nan], 70_000)
    expected = np.where(scores >= 80, "A", np.where(scores >= 50, "B", "C")).astype(object)
    expected[np.isnan(scores)] = np.nan
    got = np.asarray(fitted.grades(scores), dtype=object)
    assert pd.isna(got).tolist() == pd.isna(expected).tolist()
    assert (got[~np.isnan(scores)] == expected[~np.isnan(scores)]).all()
