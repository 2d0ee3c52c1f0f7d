"""Segment history: every period labelled with the edges of the first one."""

from __future__ import annotations

import pandas as pd
import pytest

import am_analytics as am
from am_analytics.errors import ConfigError
from am_analytics.segments import (
    RFMScorer,
    client_features,
    migration,
    rfm_segments,
    segment_history,
)


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    return am.load_sample().sales


def test_later_periods_use_the_first_periods_edges(sales: pd.DataFrame) -> None:
    """2026Q3 is labelled with the scorer fitted at the end of 2026Q2; refitting at
    Q3 would move some clients between segments without any change in them."""
    history = segment_history(sales, periods=["2026Q2", "2026Q3"])
    june, september = (
        client_features(sales, as_of="2026-06-30"),
        client_features(sales, as_of="2026-09-30"),
    )
    scorer = RFMScorer().fit(june)
    expected = rfm_segments(scorer.transform(september))["segment"]
    pd.testing.assert_series_equal(
        history["2026Q3"].loc[expected.index], expected, check_names=False
    )
    refitted = rfm_segments(RFMScorer().fit_transform(september))["segment"]
    assert (refitted != expected).any()


def test_clients_without_sales_yet_are_new_in_the_migration(sales: pd.DataFrame) -> None:
    """A client whose first sale falls in 2026Q3 has no 2026Q2 label and migrates from "new"."""
    history = segment_history(sales, periods=["2026Q2", "2026Q3"])
    first = client_features(sales, as_of="2026-09-30")["first_order"]
    newcomers = first.index[first > "2026-06-30"]
    assert len(newcomers) > 0
    assert history.loc[newcomers, "2026Q2"].isna().all()
    moves = migration(history["2026Q2"], history["2026Q3"])
    assert moves.counts.loc["new"].sum() == len(newcomers)
    assert moves.counts.to_numpy().sum() == len(history)


def test_no_periods_is_a_config_error(sales: pd.DataFrame) -> None:
    """An empty list of periods is refused with a message."""
    with pytest.raises(ConfigError, match="periods is empty"):
        segment_history(sales, periods=[])
