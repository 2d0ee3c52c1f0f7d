"""segment_clients: the whole client view of a dataset, consistent with its parts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import am_analytics as am
from am_analytics.errors import ConfigError
from am_analytics.segments import (
    client_features,
    portfolio,
    rfm_scores,
    rfm_segments,
    segment_clients,
)


@pytest.fixture(scope="module")
def data() -> am.Dataset:
    return am.load_sample()


@pytest.fixture(scope="module")
def clients(data: am.Dataset) -> pd.DataFrame:
    return segment_clients(data, value_tiers=4)


def test_one_row_per_client_with_sales_and_its_owner(
    data: am.Dataset, clients: pd.DataFrame
) -> None:
    """Every client with a sale appears once, with the owner from the clients table."""
    features = client_features(data.sales, as_of=data.as_of)
    assert clients.index.equals(features.index)
    owners = data.clients.set_index("client_id")["manager_id"]
    assert (clients["manager_id"].astype(str) == owners.loc[clients.index].astype(str)).all()


def test_parts_agree_with_the_functions_they_come_from(
    data: am.Dataset, clients: pd.DataFrame
) -> None:
    """Segments equal rfm_segments of rfm_scores; tier A are key accounts; values are sane."""
    features = client_features(data.sales, as_of=data.as_of)
    expected = rfm_segments(rfm_scores(features))["segment"]
    pd.testing.assert_series_equal(clients["segment"], expected)
    assert (clients.loc[clients["tier"] == "A", "service_level"] == "key_account").all()
    alive = clients["probability_alive"].dropna()
    assert ((alive >= 0) & (alive <= 1)).all()
    assert (clients["expected_value"].dropna() >= 0).all()
    assert (clients["due_date"] >= data.as_of).all()
    assert set(clients["value_tier"]) <= {0, 1, 2, 3, 4}


def test_portfolio_of_the_client_view_adds_up(data: am.Dataset, clients: pd.DataFrame) -> None:
    """Each manager's revenue is the net revenue of the clients they own; nobody is lost."""
    book = portfolio(clients, clients=data.clients)
    assert book["revenue"].sum() == pytest.approx(clients["monetary"].sum())
    assert book["clients"].sum() == len(data.clients)
    owned = clients.groupby("manager_id", observed=False)["monetary"].sum()
    np.testing.assert_allclose(book["revenue"].to_numpy(), owned.loc[book.index].to_numpy())


def test_as_of_is_required(data: am.Dataset) -> None:
    """A dataset without as_of needs one passed in."""
    undated = am.from_frames(
        managers=data.managers.astype({"status": str}), clients=data.clients, sales=data.sales
    )
    with pytest.raises(ConfigError, match="needs as_of"):
        segment_clients(undated)


def test_a_client_whose_amounts_overflow_is_set_aside_not_the_whole_dataset() -> None:
    """Two orders of 1e308 used to abort segment_clients for every client; now that
    client is set aside with the reason and the others are segmented."""
    from am_analytics.errors import NonFiniteValueWarning

    data = am.load_sample()
    tables = {
        name: data.table(name).astype({c: "str" for c in data.table(name) if c.endswith("_id")})
        for name in ("managers", "clients", "sales")
    }
    extra = pd.DataFrame(
        {
            "order_id": ["X1", "X2"],
            "client_id": ["C000001", "C000001"],
            "manager_id": ["M0002", "M0002"],
            "order_date": pd.to_datetime(["2026-08-01", "2026-08-02"]),
            "amount": [1e308, 1e308],
        }
    )
    tables["sales"] = pd.concat([tables["sales"], extra], ignore_index=True)
    overflowing = am.from_frames(
        as_of="2026-11-15", rules=am.ValidationRules(max_amount=1e308), **tables
    )
    with pytest.warns(NonFiniteValueWarning, match=r"1 client\(s\) set aside.*C000001 \(monetary"):
        table = segment_clients(overflowing, value_tiers=4)
    assert "C000001" not in table.index and len(table) == 1852 - 1
    assert table.attrs["left_out"] == {
        "C000001": "monetary, avg_order_value, trend, monetary_value not finite "
        "(a sum of amounts past the largest float): not segmented"
    }
    assert np.isfinite(table["monetary"]).all() and table["segment"].notna().all()


def test_no_client_is_set_aside_on_the_sample(clients: pd.DataFrame) -> None:
    """Finite data: nothing left out."""
    assert clients.attrs["left_out"] == {}
