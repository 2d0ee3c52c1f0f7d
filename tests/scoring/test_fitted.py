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
