"""segment_summary: each segment's clients, revenue and share of revenue."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from am_analytics.segments import segment_summary

SEGMENTS = ["Champions", "Loyal", "At Risk", "Lost"]


def _clients(segments: list[str], monetary: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"segment": pd.Categorical(segments, categories=SEGMENTS), "monetary": monetary},
        index=pd.Index([f"C{i}" for i in range(len(segments))], name="client_id"),
    )


def test_counts_sums_and_shares_every_segment() -> None:
    """Known answer: every category in order, empty ones with 0 clients and 0 revenue."""
    clients = _clients(["Lost", "Champions", "Champions", "Lost"], [-50.0, 700.0, 300.0, 50.0])
    expected = pd.DataFrame(
        {
            "clients": np.array([2, 0, 0, 2], dtype="int64"),
            "revenue": [1000.0, 0.0, 0.0, 0.0],
            "share": [1.0, 0.0, 0.0, 0.0],
        },
        index=pd.CategoricalIndex(SEGMENTS, categories=SEGMENTS, name="segment"),
    )
    pd.testing.assert_frame_equal(segment_summary(clients), expected)


def test_share_is_undefined_when_there_is_no_revenue() -> None:
    """A share of zero revenue is NaN, not 0 % (and no division warning)."""
    summary = segment_summary(_clients(["Loyal", "Lost"], [0.0, 0.0]))
    assert summary["clients"].tolist() == [0, 1, 0, 1]
    assert summary["share"].isna().all()


def test_the_input_is_not_changed() -> None:
    """A pure function: the segment table comes back as it went in."""
    clients = _clients(["Loyal"], [5.0])
    before = clients.copy()
    segment_summary(clients)
    pd.testing.assert_frame_equal(clients, before)


@given(
    st.lists(
        st.tuples(st.sampled_from(SEGMENTS), st.floats(0, 1e9, allow_nan=False)),
        min_size=1,
        max_size=40,
    )
)
def test_every_client_and_unit_of_revenue_is_counted_once(rows: list[tuple[str, float]]) -> None:
    """Clients add up to the rows, revenue to the total, shares to 1 when there is revenue."""
    clients = _clients([s for s, _ in rows], [m for _, m in rows])
    summary = segment_summary(clients)
    assert summary["clients"].sum() == len(rows)
    assert summary["revenue"].sum() == pytest.approx(clients["monetary"].sum())
    if clients["monetary"].sum() > 0:
        assert summary["share"].sum() == pytest.approx(1.0)
