"""client_tables (one read of the sales) against client_features and rfm_summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from am_analytics import load_sample
from am_analytics.segments._clients import _owners
from am_analytics.segments._features import (
    _client_tables,
    client_features,
    client_tables,
    rfm_summary,
)

CLIENTS = [f"C{i}" for i in range(8)]  # C7 never has a sale in the drawn ledgers
START = pd.Timestamp("2024-01-01")


def ledger(rows: list[tuple[int, int, int, float]]) -> pd.DataFrame:
    """A sales frame from (client number, day offset, minute of the day, amount) tuples."""
    client, day, minute, amount = zip(*rows, strict=True) if rows else ((), (), (), ())
    dates = START + pd.to_timedelta(np.asarray(day, dtype=np.int64), unit="D")
    dates += pd.to_timedelta(np.asarray(minute, dtype=np.int64), unit="min")
    return pd.DataFrame(
        {
            "client_id": pd.Categorical([CLIENTS[c] for c in client], categories=CLIENTS),
            "order_date": pd.DatetimeIndex(dates).as_unit("ns"),
            "amount": np.asarray(amount, dtype=np.float64),
        }
    )


def test_one_pass_by_hand() -> None:
    """Refunds, a refund-only client, a same-day repeat, a later sale and a client without sales.

    C0: orders 100 (day 0) and 40 + 60 (day 10, one purchase day), refund 30:
    frequency 3 orders, net 170, rfm frequency 1, recency 10, monetary_value 100.
    C1: only a refund: a features row, no summary row. C2: one order after
    as_of: no row at all. C3: no sale: no row.
    """
    sales = ledger(
        [
            (0, 0, 60, 100.0),
            (0, 10, 60, 40.0),
            (0, 10, 1000, 60.0),
            (0, 12, 0, -30.0),
            (1, 5, 0, -80.0),
            (2, 40, 0, 50.0),
        ]
    )
    as_of = START + pd.Timedelta(days=20, hours=13)  # mid-day: the whole day counts
    features, summary, positions = _client_tables(sales, as_of=as_of)
    assert features.index.tolist() == ["C0", "C1"]
    assert positions is not None and positions.tolist() == [0, 1]
    assert features.loc["C0", ["frequency", "monetary"]].tolist() == [3, 170.0]
    assert summary.index.tolist() == ["C0"]
    assert summary.loc["C0"].tolist() == [1.0, 10.0, 20.0, 100.0]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 6),  # client (C7 never buys)
            st.integers(0, 900),  # day
            st.sampled_from([0, 1, 719, 1439]),  # minute: same-day orders, late in the day
            st.sampled_from([-250.0, -100.0, -0.5, 0.0, 0.5, 100.0, 100.0, 250.0, 1e6]),
        ),
        max_size=60,
    ),
    as_of_day=st.integers(0, 1000),
    as_of_hours=st.integers(0, 23),
)
def test_one_pass_equals_the_two_public_functions(
    rows: list[tuple[int, int, int, float]], as_of_day: int, as_of_hours: int
) -> None:
    """Same frames, bit for bit, as client_features and rfm_summary; positions match the ids."""
    sales = ledger(rows)
    as_of = START + pd.Timedelta(days=as_of_day, hours=as_of_hours)
    features, summary, positions = _client_tables(sales, as_of=as_of)
    pd.testing.assert_frame_equal(features, client_features(sales, as_of=as_of), check_exact=True)
    pd.testing.assert_frame_equal(summary, rfm_summary(sales, as_of=as_of), check_exact=True)
    assert positions is not None
    categories = sales["client_id"].cat.categories
    assert categories.take(positions).tolist() == features.index.tolist()


def test_one_pass_on_the_sample() -> None:
    """On the sample's 20,000 sales the public pair and client_tables agree exactly."""
    sales = load_sample().sales
    features, summary = client_tables(sales, as_of="2026-11-15")
    pd.testing.assert_frame_equal(
        features, client_features(sales, as_of="2026-11-15"), check_exact=True
    )
    pd.testing.assert_frame_equal(summary, rfm_summary(sales, as_of="2026-11-15"), check_exact=True)


@pytest.mark.parametrize("drop", [0, 7])
def test_owners_by_position_equal_owners_by_id(drop: int) -> None:
    """Owners taken by category position equal the clients table reindexed by client id."""
    dataset = load_sample()
    features, _, positions = _client_tables(dataset.sales, as_of="2026-11-15")
    assert positions is not None
    kept = np.ones(len(features), dtype=bool)
    kept[::7] = drop == 0  # also a subset, as when clients are set aside
    index, positions = features.index[kept], positions[kept]
    expected = dataset.clients.set_index("client_id")[["name", "manager_id"]].reindex(index)
    pd.testing.assert_frame_equal(_owners(dataset, index, positions), expected)
    pd.testing.assert_frame_equal(_owners(dataset, index, None), expected)
