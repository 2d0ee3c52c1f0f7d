"""The batch's shortcuts (positions, ranks, scores reused) against the general paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from am_analytics import load_sample
from am_analytics.segments import ClientModel, ValueSegmenter
from am_analytics.segments._abc import _id_rank
from am_analytics.segments._client_model import _abc_thresholds, _not_finite, client_frames
from am_analytics.segments._clients import _batch_inputs


def book(n: int, seed: int) -> pd.DataFrame:
    """Client features in a shuffled id order, some rows without recency."""
    rng = np.random.default_rng(seed)
    ids = pd.Index([f"C{i:04d}" for i in rng.permutation(n)], name="client_id")
    recency = rng.integers(1, 900, n).astype(np.float64)
    recency[rng.random(n) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": rng.integers(0, 40, n),
            "monetary": np.round(rng.lognormal(7, 2, n), 0) * rng.choice([-1, 1, 1, 1], n),
        },
        index=ids,
    )


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
@pytest.mark.parametrize("seed", [0, 1])
def test_fitted_labels_equal_predict(method: str, seed: int) -> None:
    """labels_ (from the fit's scores) is exactly predict of the fitted frame."""
    frame = book(3000, seed)
    segmenter = ValueSegmenter(k=4, method=method, random_state=seed).fit(frame)
    np.testing.assert_array_equal(segmenter.labels_, segmenter.predict(frame))
    assert (segmenter.labels_[frame["recency_days"].isna().to_numpy()] == 0).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=3), max_size=12), st.booleans())
def test_id_rank_equals_the_sort_rank(ids: list[str], sort_first: bool) -> None:
    """_id_rank is each id's rank in argsort order, sorted input or not."""
    index = pd.Index(sorted(ids) if sort_first else ids, dtype="str")
    expected = np.empty(len(index), dtype=np.int64)
    expected[np.asarray(index.argsort(), dtype=np.int64)] = np.arange(len(index))
    np.testing.assert_array_equal(_id_rank(index), expected)


def test_batch_inputs_equal_the_join() -> None:
    """Scattered by position or joined by id, the input frame is the same."""
    ids = pd.Index(["a", "b", "c"], name="client_id")
    features = pd.DataFrame(
        {"recency_days": [3.0, np.nan, 9.0], "frequency": [4, 0, 1], "monetary": [90.0, -5, 7]},
        index=ids,
    )
    summary = pd.DataFrame(
        {"frequency": [2.0, 0.0], "recency": [40.0, 0.0], "T": [43.0, 9.0]}
        | {"monetary_value": [30.0, 0.0]},
        index=ids[[0, 2]],
    )
    expected = ClientModel.inputs(features, summary)
    assert expected["T"].isna().tolist() == [False, True, False]  # "b": refunds only
    pd.testing.assert_frame_equal(_batch_inputs(features, summary), expected, check_exact=True)
    backwards = summary.iloc[::-1]  # ids out of line: joined
    pd.testing.assert_frame_equal(
        _batch_inputs(features, backwards), ClientModel.inputs(features, backwards)
    )
    data = load_sample()
    features, summary, _, _ = client_frames(data, as_of="2026-11-15")
    pd.testing.assert_frame_equal(
        _batch_inputs(features, summary), ClientModel.inputs(features, summary), check_exact=True
    )


def test_tiers_of_tied_amounts_by_hand() -> None:
    """At a cut amount shared by several clients, the id decides, as in abc_tiers."""
    ids = pd.Index(["a", "b", "c", "d", "e", "g", "z"], name="client_id")
    # shares before each client: a 0, b .5, c .7, d .8 (B), e .9, g .95 (C): the ties
    # c = d and e = g at the cuts are broken by id
    features = pd.DataFrame({"monetary": [50.0, 20, 10, 10, 5, 5, 0]}, index=ids)
    cuts = _abc_thresholds(features)
    assert cuts["monetary"].tolist() == [10.0, 5.0]
    assert cuts["client_id"].tolist() == ["d", "g"]
    model = ClientModel()
    model.abc_thresholds_ = cuts
    new = pd.DataFrame(
        {"monetary": [10.0, 10, 10, 5, 5, 4, 0]}, index=["c", "d", "e9", "f", "g", "zz", "y"]
    )
    assert model._tiers(new).tolist() == ["A", "B", "B", "B", "C", "C", "C"]


def test_not_finite_by_hand() -> None:
    """No infinite value: nothing set aside; one: named with its columns."""
    ids = pd.Index(["a", "b"], name="client_id")
    features = pd.DataFrame({"monetary": [1.0, 2.0], "frequency": [1, 2]}, index=ids)
    summary = pd.DataFrame({"monetary_value": [1.0, 2.0]}, index=ids)
    assert _not_finite(features, summary) == {}
    features.loc["b", "monetary"] = np.inf
    summary.loc["b", "monetary_value"] = np.inf
    with pytest.warns(Warning, match="1 client"):
        left_out = _not_finite(features, summary)
    assert list(left_out) == ["b"]
    assert left_out["b"].startswith("monetary, monetary_value not finite")
