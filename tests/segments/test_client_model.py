"""ClientModel: one saved model places any client exactly as segment_clients does."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import am_analytics as am
from am_analytics.errors import ConfigError, DataValidationError
from am_analytics.segments import (
    ClientModel,
    abc_tiers,
    client_features,
    fit_client_model,
    rfm_summary,
    segment_clients,
)
from am_analytics.segments._client_model import _abc_thresholds

AS_OF = pd.Timestamp("2026-11-15")


@pytest.fixture(scope="module")
def data() -> am.Dataset:
    return am.load_sample()


@pytest.fixture(scope="module")
def batch(data: am.Dataset) -> pd.DataFrame:
    return segment_clients(data, as_of=AS_OF)


@pytest.fixture(scope="module")
def model(data: am.Dataset) -> ClientModel:
    return fit_client_model(data, as_of=AS_OF)


@pytest.fixture(scope="module")
def inputs(data: am.Dataset) -> pd.DataFrame:
    return ClientModel.inputs(
        client_features(data.sales, as_of=AS_OF), rfm_summary(data.sales, as_of=AS_OF)
    )


def _placed_columns(batch: pd.DataFrame) -> pd.DataFrame:
    """The batch columns a ClientModel gives: R onward, without cumulative_share."""
    return batch.loc[:, "R":].drop(columns="cumulative_share")


def test_a_loaded_model_places_each_client_alone_as_the_batch_does(
    model: ClientModel, inputs: pd.DataFrame, batch: pd.DataFrame
) -> None:
    """For 1,000 sample clients, one-row transform of the reloaded model equals the batch row."""
    loaded = ClientModel.from_json(model.to_json())
    ids = inputs.index[np.random.default_rng(7).choice(len(inputs), 1000, replace=False)]
    rows = pd.concat([loaded.transform(inputs.loc[[i]], as_of=AS_OF) for i in ids])
    pd.testing.assert_frame_equal(rows, _placed_columns(batch).loc[ids])


def test_permuting_the_rows_changes_no_answer(
    model: ClientModel, inputs: pd.DataFrame, batch: pd.DataFrame
) -> None:
    """Shuffled input rows get the same answers, in their own order."""
    shuffled = inputs.sample(frac=1.0, random_state=3)
    placed = model.transform(shuffled, as_of=AS_OF)
    assert placed.index.equals(shuffled.index)
    pd.testing.assert_frame_equal(placed, _placed_columns(batch).loc[shuffled.index])


def test_the_json_round_trip_is_exact(model: ClientModel) -> None:
    """to_json of from_json is the same text, and the learned parts are equal."""
    text = model.to_json()
    loaded = ClientModel.from_json(text)
    assert loaded.to_json() == text
    pd.testing.assert_frame_equal(loaded.abc_thresholds_, model.abc_thresholds_)
    pd.testing.assert_frame_equal(loaded.scorer_.edges_, model.scorer_.edges_)
    np.testing.assert_array_equal(loaded.segmenter_.centers_, model.segmenter_.centers_)
    assert loaded.bgnbd_.params_ == model.bgnbd_.params_
    assert loaded.gamma_gamma_.params_ == model.gamma_gamma_.params_
    assert loaded.rules_.cell_map().equals(model.rules_.cell_map())
    assert loaded.policy_ == model.policy_


def test_abc_cut_points_of_a_hand_made_base() -> None:
    """Tiers A A B B C C C: A closes at c (10), B at e (3); ties go by client id."""
    features = pd.DataFrame(
        {"monetary": [50.0, 30, 10, 5, 3, 2, -4]},
        index=pd.Index(list("abcdefg"), name="client_id"),
    )
    cuts = _abc_thresholds(features)
    assert cuts["monetary"].tolist() == [10.0, 3.0]
    assert cuts["client_id"].tolist() == ["c", "e"]
    placed = ClientModel()
    placed.abc_thresholds_ = cuts
    newcomers = pd.DataFrame(
        {"monetary": [10.0, 10.0, 40.0, 3.0, 0.0, np.nan]},
        index=pd.Index(["b9", "d0", "x", "e", "y", "z"], name="client_id"),
    )
    # b9 ranks before c at 10 (A), d0 after it (B); e itself is C, net 0 and NaN are C
    assert placed._tiers(newcomers).tolist() == ["A", "B", "A", "C", "C", "C"]


@given(
    amounts=st.lists(
        st.one_of(
            st.sampled_from([0.0, -5.0, 7.0, 100.0, np.nan]),
            st.floats(min_value=-50, max_value=1e4, allow_nan=False),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_the_cut_points_give_every_fitted_client_its_abc_tier(amounts: list[float]) -> None:
    """For any amounts (ties, refunds, missing), tiers from the cut points equal abc_tiers'."""
    ids = pd.Index([f"C{i:03d}" for i in range(len(amounts))][::-1], name="client_id")
    features = pd.DataFrame({"monetary": amounts}, index=ids)
    placed = ClientModel()
    placed.abc_thresholds_ = _abc_thresholds(features)
    expected = abc_tiers(features)["tier"]
    assert placed._tiers(features).tolist() == expected.tolist()


def test_a_client_without_orders_gets_no_expected_value(model: ClientModel) -> None:
    """Refunds only: summary columns NaN give NaN values, R = 1 and value tier 0."""
    client = pd.DataFrame(
        {
            "recency_days": [np.nan],
            "frequency": [0],
            "monetary": [-120.0],
            "repeat_purchases": [np.nan],
            "recency": [np.nan],
            "T": [np.nan],
            "monetary_value": [np.nan],
        },
        index=pd.Index(["NEW1"], name="client_id"),
    )
    placed = model.transform(client, as_of=AS_OF).iloc[0]
    assert placed["R"] == 1 and placed["value_tier"] == 0 and placed["tier"] == "C"
    assert np.isnan(placed["expected_value"]) and np.isnan(placed["probability_alive"])
    assert placed["due_date"] > AS_OF


def test_transform_needs_a_fitted_model_and_every_input_column(
    model: ClientModel, inputs: pd.DataFrame
) -> None:
    """Unfitted: ConfigError; a missing input column is named in the error."""
    with pytest.raises(ConfigError, match="not fitted yet"):
        ClientModel().transform(inputs.head(1), as_of=AS_OF)
    with pytest.raises(DataValidationError, match=r"lacks the column\(s\) \['T'\]") as error:
        model.transform(inputs.head(1).drop(columns="T"), as_of=AS_OF)
    assert error.value.missing == {"clients": ["T"]}


def test_broken_json_is_refused_saying_what(model: ClientModel) -> None:
    """A wrong format, a newer version and a broken part each raise ConfigError."""
    data = json.loads(model.to_json())
    with pytest.raises(ConfigError, match="not a fitted ClientModel"):
        ClientModel.from_json(json.dumps({**data, "format": "other"}))
    with pytest.raises(ConfigError, match="format version 2, expected 1"):
        ClientModel.from_json(json.dumps({**data, "version": 2}))
    with pytest.raises(ConfigError, match="RFM scorer"):
        ClientModel.from_json(json.dumps({**data, "scorer": {"format": "x"}}))


def test_repr_says_what_was_fitted(model: ClientModel) -> None:
    """The repr names the options and, once fitted, the base and the models."""
    assert repr(ClientModel(value_tiers=4)) == (
        "ClientModel(value_tiers=4, horizon_days=365.0, unfitted)"
    )
    assert "fitted on 1,852 clients" in repr(model) and "BetaGeoModel(" in repr(model)


def test_a_bad_horizon_is_refused_at_fit(data: am.Dataset) -> None:
    """horizon_days must be a finite number of days >= 0."""
    with pytest.raises(ConfigError, match="horizon_days must be a finite number >= 0"):
        fit_client_model(data, as_of=AS_OF, horizon_days=-1)
