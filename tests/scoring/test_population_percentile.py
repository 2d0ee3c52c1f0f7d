"""The percentile among the population a scorecard was fitted on (``population_percentile``)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import am_analytics as am
from am_analytics.errors import ConfigError
from am_analytics.scoring import (
    Criterion,
    FittedScorecard,
    Scorecard,
    fit_scorecard,
    score_managers,
)

PERIOD = "2026Q3"
#: Sales against a target of 100: the score is the sales amount itself (0..100).
TARGET_CARD = Scorecard([Criterion("sales_amount", weight=1, target=100.0)], normalization="target")
#: Four managers scoring 10, 20, 20 and 40.
POPULATION = pd.DataFrame({"sales_amount": [10.0, 20.0, 20.0, 40.0]}, index=list("abcd"))


def test_population_scores_are_the_fitted_rows_scores_sorted() -> None:
    """Fitting keeps the scored rows' scores, ascending, as float64; unscored rows are left out."""
    shuffled = pd.DataFrame({"sales_amount": [40.0, np.nan, 20.0, 10.0, 20.0]})
    fitted = TARGET_CARD.fit(shuffled)
    assert fitted.population_scores_ is not None
    assert fitted.population_scores_.dtype == np.float64
    assert fitted.population_scores_.tolist() == [10.0, 20.0, 20.0, 40.0]
    assert fitted.n_fitted_ == 5


@pytest.mark.parametrize(("sales", "expected"), [(20.0, 75.0), (5.0, 0.0), (40.0, 100.0)])
def test_hand_worked_population_percentiles(sales: float, expected: float) -> None:
    """Among 10, 20, 20, 40: three score at most 20 (75 %), none at most 5, all at most 40."""
    fitted = TARGET_CARD.fit(POPULATION)
    assert fitted.score_one({"sales_amount": sales})["population_percentile"] == expected
    frame = pd.DataFrame({"sales_amount": [sales]})
    assert fitted.score(frame)["population_percentile"].tolist() == [expected]


def test_between_and_above_the_population() -> None:
    """30 beats three of four (75 %), 90 all (100 %), 10 one (25 %), whatever else is scored."""
    fitted = TARGET_CARD.fit(POPULATION)
    probe = pd.DataFrame({"sales_amount": [30.0, 90.0, 10.0, np.nan]})
    scored = fitted.score(probe)
    assert scored["population_percentile"].tolist()[:3] == [75.0, 100.0, 25.0]
    assert math.isnan(scored["population_percentile"].iloc[3])
    # percentile is among the four probes (one unscored); population_percentile is not
    assert scored["percentile"].tolist()[:3] == pytest.approx([200 / 3, 100.0, 100 / 3])
    alone = fitted.score(probe.iloc[[0]])["population_percentile"].tolist()
    assert alone == [75.0]
    assert fitted.score_one({"sales_amount": None})["population_percentile"] is None


def test_score_one_equals_score_for_every_sample_manager() -> None:
    """Each sample manager's score_one population percentile is score_managers' percentile."""
    data = am.load_sample()
    fitted = fit_scorecard(data, period=PERIOD)
    table = score_managers(data, period=PERIOD)
    assert table["active"].sum() > 20
    for manager, row in table.iterrows():
        record = {m: row[f"{m}_value"] for m in fitted.scorecard.metrics}
        got = fitted.score_one(record)["population_percentile"]
        if row["active"]:
            assert got == row["percentile"], manager
        else:  # not scored, so not placed either
            assert math.isnan(row["percentile"]) and got is None, manager


def test_score_managers_scores_its_own_population() -> None:
    """score_managers scores the managers it fitted on: its percentile is the population's."""
    data = am.load_sample()
    table = score_managers(data, period=PERIOD)
    assert "population_percentile" not in table.columns  # it would repeat percentile
    fitted = fit_scorecard(data, period=PERIOD)
    active = table[table["active"]]
    metrics = active[[f"{m}_value" for m in fitted.scorecard.metrics]]
    again = fitted.score(metrics.rename(columns=lambda c: c.removesuffix("_value")))
    assert again["population_percentile"].tolist() == active["percentile"].tolist()
    assert active["percentile"].max() == 100.0


@st.composite
def populations_and_probes(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    """2-30 managers with two metrics (some missing), and 1-30 managers to place among them."""
    finite = st.floats(-1e6, 1e6, allow_nan=False, width=64)
    frames = []
    for n in (draw(st.integers(2, 30)), draw(st.integers(1, 30))):
        values = draw(arrays(np.float64, (n, 2), elements=finite))
        holes = draw(arrays(np.bool_, (n, 2), elements=st.booleans()))
        values[holes & (np.arange(n)[:, None] > 0)] = np.nan  # the first row stays complete
        frames.append(pd.DataFrame(values, columns=["sales_amount", "csat_mean"]))
    return frames[0], frames[1]


@settings(max_examples=80, deadline=None)
@given(populations_and_probes(), st.sampled_from(["minmax", "zscore", "rank"]))
def test_population_percentile_is_monotone_in_the_score(
    frames: tuple[pd.DataFrame, pd.DataFrame], normalization: str
) -> None:
    """A higher score never gets a lower population percentile; score_one gives the same value."""
    population, probe = frames
    card = Scorecard(["sales_amount", "csat_mean"], weighting="equal", normalization=normalization)  # type: ignore[arg-type]
    fitted = card.fit(population)
    scored = fitted.score(probe).dropna(subset=["score"]).sort_values("score")
    placed = scored["population_percentile"].to_numpy()
    assert ((placed >= 0) & (placed <= 100)).all()
    assert (np.diff(placed) >= 0).all()
    for label, expected in scored["population_percentile"].items():
        record = {k: (None if math.isnan(v) else v) for k, v in probe.loc[label].items()}
        assert fitted.score_one(record)["population_percentile"] == expected


def test_json_round_trip_keeps_the_population_scores_exactly() -> None:
    """to_json/from_json give back the very same sorted scores and percentiles."""
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"sales_amount": rng.lognormal(12, 1, 50), "csat_mean": rng.random(50)})
    fitted = Scorecard(["sales_amount", "csat_mean"], weighting="equal").fit(frame)
    again = FittedScorecard.from_json(fitted.to_json())
    assert fitted.population_scores_ is not None and again.population_scores_ is not None
    assert again.population_scores_.tobytes() == fitted.population_scores_.tobytes()
    pd.testing.assert_frame_equal(again.score(frame), fitted.score(frame))


def test_json_written_before_population_scores_still_loads() -> None:
    """Without the field the scorecard scores as before, with missing population percentiles."""
    fitted = TARGET_CARD.fit(POPULATION)
    payload = json.loads(fitted.to_json())
    del payload["population_scores"]
    old = FittedScorecard.from_json(json.dumps(payload))
    assert old.population_scores_ is None
    one = old.score_one({"sales_amount": 20.0})
    assert one["score"] == 20.0 and one["population_percentile"] is None
    scored, expected = old.score(POPULATION), fitted.score(POPULATION)
    assert scored["population_percentile"].isna().all()
    columns = [c for c in expected.columns if c != "population_percentile"]
    pd.testing.assert_frame_equal(scored[columns], expected[columns])
    assert "population_scores" not in json.loads(old.to_json())


def test_unsorted_population_scores_in_json_are_refused() -> None:
    """Hand-edited population scores out of order are a ConfigError naming the field."""
    payload = json.loads(TARGET_CARD.fit(POPULATION).to_json())
    payload["population_scores"] = [40.0, 10.0]
    with pytest.raises(ConfigError, match="population_scores must be finite numbers in ascending"):
        FittedScorecard.from_json(json.dumps(payload))


def test_a_population_nobody_scores_in_places_nobody() -> None:
    """Under missing="reject", a population without a complete row has no scores to place among."""
    frame = pd.DataFrame({"sales_amount": [1.0, np.nan], "csat_mean": [np.nan, 4.0]})
    card = Scorecard(["sales_amount", "csat_mean"], weighting="equal", missing="reject")
    fitted = card.fit(frame)
    assert fitted.population_scores_ is not None and len(fitted.population_scores_) == 0
    record = {"sales_amount": 1.0, "csat_mean": 4.0}
    assert fitted.score_one(record)["population_percentile"] is None
    assert fitted.score(pd.DataFrame([record]))["population_percentile"].isna().all()
    assert FittedScorecard.from_json(fitted.to_json()).population_scores_ is not None
