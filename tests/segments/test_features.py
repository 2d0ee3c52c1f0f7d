"""Client features and the lifetimes-compatible RFM summary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from am_analytics.errors import ConfigError, DataValidationError
from am_analytics.segments import _features
from am_analytics.segments._features import client_features, rfm_summary

AS_OF = pd.Timestamp("2026-06-30")
DATA = Path(__file__).parents[1] / "data"


def ledger() -> pd.DataFrame:
    """Clients A-F around as_of = 2026-06-30 (D has no sale, E only a later one)."""
    rows = [
        ("A", "2024-03-10", 100),
        ("A", "2025-07-01 09:00", 200),
        ("A", "2025-07-01 17:30", 50),  # same day: one purchase day for rfm_summary
        ("A", "2026-05-01", -30),  # refund
        ("A", "2026-06-30 23:00", 300),  # on as_of, late in the day
        ("A", "2026-07-05", 999),  # after as_of: the future
        ("B", "2024-09-15", 400),
        ("B", "2025-09-15", 100),
        ("C", "2026-01-10", -80),  # a refund only
        ("E", "2026-08-01", 70),
        ("F", "2026-02-01", 100),
        ("F", "2026-02-10", -100),  # refunded in full: net 0
    ]
    frame = pd.DataFrame(rows, columns=["client_id", "order_date", "amount"])
    return frame.assign(
        client_id=pd.Categorical(frame["client_id"], categories=list("ABCDEF")),
        order_date=pd.to_datetime(frame["order_date"], format="ISO8601"),
        amount=frame["amount"].astype(float),
    )


def days(start: str, end: str = "2026-06-30") -> float:
    return float((pd.Timestamp(end) - pd.Timestamp(start)).days)


def test_client_features_by_hand() -> None:
    """Every column for A, B, C and F; D (no sale) and E (only later sales) have no row.

    A: orders 100, 200, 50, 300 (the 999 is after as_of), refund 30: net 620,
    mean order 650 / 4, months 2024-03, 2025-07, 2026-06; no sale in the year
    before last, so no trend. B: 400 then 100 a year later: trend 100/400 - 1.
    C: only a refund: kept, flagged, no order dates. F: net 0: flagged.
    """
    features = client_features(ledger(), as_of=AS_OF)
    assert features.index.tolist() == ["A", "B", "C", "F"]
    a, b, c, f = (features.loc[k] for k in "ABCF")
    assert a["recency_days"] == 0 and a["frequency"] == 4 and a["monetary"] == 620
    assert a["avg_order_value"] == 162.5 and a["active_months"] == 3
    assert a["first_order"] == pd.Timestamp("2024-03-10")
    assert a["last_order"] == pd.Timestamp("2026-06-30")
    assert a["tenure_days"] == days("2024-03-10") and np.isnan(a["trend"])
    assert a["refund_share"] == pytest.approx(30 / 650) and not a["net_nonpositive"]
    assert b["recency_days"] == days("2025-09-15") and b["trend"] == pytest.approx(-0.75)
    assert b["active_months"] == 2 and b["tenure_days"] == days("2024-09-15")
    assert c["frequency"] == 0 and c["monetary"] == -80 and c["net_nonpositive"]
    assert np.isnan(c["recency_days"]) and pd.isna(c["first_order"])
    assert f["monetary"] == 0 and f["net_nonpositive"] and f["refund_share"] == 1.0
    assert features.dtypes["frequency"] == np.int64
    assert features.dtypes["first_order"] == "datetime64[ns]"


def test_window_limits_the_history() -> None:
    """With a 365-day window A keeps 200, 50, -30 and 300 (the 2024 order is out)."""
    features = client_features(ledger(), as_of=AS_OF, window="365D")
    assert features.loc["A", ["frequency", "monetary"]].tolist() == [3, 520]
    assert features.loc["A", "first_order"] == pd.Timestamp("2025-07-01")
    assert "B" in features.index and features.loc["B", "frequency"] == 1


def test_rfm_summary_by_hand() -> None:
    """A: purchase days 2024-03-10, 2025-07-01 (200 + 50), 2026-06-30 -> 2 repeats
    worth 250 and 300; the refund is not a purchase. F: one purchase day. C: none."""
    summary = rfm_summary(ledger(), as_of=AS_OF)
    assert summary.index.tolist() == ["A", "B", "F"]
    assert summary.loc["A"].tolist() == [2.0, days("2024-03-10"), days("2024-03-10"), 275.0]
    assert summary.loc["B"].tolist() == [1.0, 365.0, days("2024-09-15"), 100.0]
    assert summary.loc["F"].tolist() == [0.0, 0.0, days("2026-02-01"), 0.0]
    weeks = rfm_summary(ledger(), as_of=AS_OF, time_unit="W")
    assert weeks.loc["B", "recency"] == pytest.approx(365 / 7)


def test_rfm_summary_matches_the_published_cdnow_summary() -> None:
    """The CDNOW sample (2,357 customers) summarised at the end of its 39-week
    calibration period (1997-09-30) gives the x, t_x, T and zbar columns that
    Fader, Hardie & Lee publish with their BG/NBD and Gamma-Gamma papers (as
    shipped by lifetimes, ``cdnow_customers_summary_with_transactions.csv``),
    to their two decimals. Zero-amount purchases count as purchases, as there."""
    raw = pd.read_csv(
        DATA / "cdnow_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "client_id", "date", "items", "amount"],
        dtype={"client_id": str, "date": str},
    )
    sales = pd.DataFrame(
        {
            "client_id": pd.Categorical(raw["client_id"]),
            "order_date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["amount"],
        }
    )
    summary = rfm_summary(sales, as_of="1997-09-30", time_unit="W")
    published = pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv")
    published.index = published["ID"].map("{:04d}".format)
    assert len(summary) == len(published) == 2357
    summary = summary.loc[published.index]
    np.testing.assert_array_equal(summary["frequency"], published["x"])
    np.testing.assert_allclose(summary["recency"], published["t_x"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(summary["T"], published["T"], atol=0.005 + 1e-9)
    np.testing.assert_allclose(summary["monetary_value"], published["zbar"], atol=0.005 + 1e-9)


def test_bad_input_is_reported() -> None:
    """Missing columns, plain string ids, bad dates and units get clear errors."""
    with pytest.raises(DataValidationError, match=r"lacks \['amount'\]"):
        client_features(ledger().drop(columns="amount"), as_of=AS_OF)
    with pytest.raises(DataValidationError, match="must be categorical"):
        client_features(ledger().astype({"client_id": str}), as_of=AS_OF)
    with pytest.raises(ConfigError, match="as_of must be a date like 2026-11-15, not "):
        client_features(ledger(), as_of="yesterday-ish")
    with pytest.raises(ConfigError, match="time_unit"):
        rfm_summary(ledger(), as_of=AS_OF, time_unit="Y")


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_row_order_changes_nothing(random: object) -> None:
    """Shuffled ledgers give identical features and summaries."""
    seed = random.randint(0, 2**31)  # type: ignore[attr-defined]
    shuffled = ledger().sample(frac=1, random_state=seed)
    pd.testing.assert_frame_equal(
        client_features(shuffled, as_of=AS_OF), client_features(ledger(), as_of=AS_OF)
    )
    pd.testing.assert_frame_equal(
        rfm_summary(shuffled, as_of=AS_OF), rfm_summary(ledger(), as_of=AS_OF)
    )


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(list("ABCDEF")), st.integers(0, 900), st.floats(0, 1e4, allow_subnormal=False)
)
def test_a_later_order_never_increases_recency(client: str, back: int, amount: float) -> None:
    """Adding an order on or before as_of never makes a client's recency_days larger."""
    before = client_features(ledger(), as_of=AS_OF)
    extra = pd.DataFrame(
        {
            "client_id": pd.Categorical([client], categories=list("ABCDEF")),
            "order_date": [AS_OF - pd.Timedelta(days=back)],
            "amount": [amount],
        }
    )
    after = client_features(pd.concat([ledger(), extra], ignore_index=True), as_of=AS_OF)
    never = np.inf  # no order before (or no row at all): recency is "infinitely long ago"
    assert after.loc[client, "recency_days"] <= before["recency_days"].fillna(never).get(
        client, never
    )
    assert after.loc[client, "frequency"] == before["frequency"].get(client, 0) + 1


def test_refunds_that_cancel_leave_exactly_zero() -> None:
    """Orders refunded in full net to exactly 0 whatever the order of addition, so
    the client is flagged and has no trend base (float sums alone leave ~1e-12)."""
    amounts = [3984.63, 12052.16, 0.1, 0.2, -0.3, -12052.16, -3984.63]
    frame = pd.DataFrame(
        {
            "client_id": pd.Categorical(["G"] * len(amounts)),
            "order_date": pd.to_datetime(["2025-03-01"] * len(amounts)),
            "amount": amounts,
        }
    )
    assert sum(amounts) != 0  # the residue this guards against
    features = client_features(frame, as_of="2026-06-30")
    assert features.loc["G", "monetary"] == 0.0 and features.loc["G", "net_nonpositive"]
    assert np.isnan(features.loc["G", "trend"])


def test_the_residue_set_to_zero_is_measured_against_the_turnover() -> None:
    """A net under 1e-9 of the sum of absolute amounts is 0: here 1.5e-9 against a
    turnover of about 2 (it would not be against the orders' sum of 1 alone)."""
    frame = pd.DataFrame(
        {
            "client_id": pd.Categorical(["G", "G", "H"]),
            "order_date": pd.to_datetime(["2025-03-01", "2025-03-02", "2025-03-01"]),
            "amount": [1.0, -(1.0 - 1.5e-9), 1.5e-9],
        }
    )
    features = client_features(frame, as_of="2026-06-30")
    assert features.loc["G", "monetary"] == 0.0 and features.loc["H", "monetary"] == 1.5e-9


def test_a_refund_on_the_first_purchase_day_is_not_a_purchase() -> None:
    """``monetary_value`` is the mean of the repeat purchase days' orders: a refund on the
    first day takes nothing off the first day's total, so none is added to the repeats."""
    frame = pd.DataFrame(
        {
            "client_id": pd.Categorical(["X", "X", "X"]),
            "order_date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-02-01"]),
            "amount": [100.0, -40.0, 50.0],
        }
    )
    summary = rfm_summary(frame, as_of="2026-06-30")
    assert summary.loc["X", ["frequency", "monetary_value"]].tolist() == [1.0, 50.0]


def test_a_sale_without_an_amount_is_not_an_order() -> None:
    """Only amounts of 0 or more are orders: a missing amount (a frame not validated)
    counts as no order and no purchase day, as a refund does."""
    frame = ledger()
    blank = frame.assign(amount=frame["amount"].where(frame.index != 6))  # B's first sale
    features = client_features(blank, as_of=AS_OF)
    assert features.loc["B", "frequency"] == 1
    assert features.loc["B", "first_order"] == pd.Timestamp("2025-09-15")
    summary = rfm_summary(blank, as_of=AS_OF)
    assert summary.loc["B", ["frequency", "recency", "T"]].tolist() == [0, 0, days("2025-09-15")]


def test_rfm_summary_matches_the_lifetimes_quickstart() -> None:
    """lifetimes' Quickstart summarises its example transactions at 2014-12-31 as
    (frequency, recency, T) = (0, 0, 298), (0, 0, 224), (6, 142, 292), (0, 0, 147),
    (2, 9, 183) for customers 0-4; their transactions are in tests/data."""
    raw = pd.read_csv(DATA / "lifetimes_example_transactions_0_4.csv")
    sales = pd.DataFrame(
        {
            "client_id": pd.Categorical(raw["id"].astype(str)),
            "order_date": pd.to_datetime(raw["date"]),
            "amount": 1.0,  # the example has no amounts; any order will do
        }
    )
    summary = rfm_summary(sales, as_of="2014-12-31")
    documented = [[0, 0, 298], [0, 0, 224], [6, 142, 292], [0, 0, 147], [2, 9, 183]]
    assert summary.index.tolist() == ["0", "1", "2", "3", "4"]
    assert summary[["frequency", "recency", "T"]].to_numpy().tolist() == documented


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 40), st.booleans()), max_size=60),
    n_extra=st.integers(0, 3),
)
@pytest.mark.parametrize("path", ["bitmap", "sort"])
def test_distinct_slots_per_client_by_bitmap_or_sort(
    rows: list[tuple[int, int, bool]], n_extra: int, path: str
) -> None:
    """Both ways of counting distinct slots per client give pandas' nunique over the rows
    not skipped, clients without rows counting 0."""
    client = np.array([c for c, _, _ in rows], dtype=np.intp)
    slot = np.array([s for _, s, _ in rows], dtype=np.int64)
    skipped = np.array([skip for _, _, skip in rows], dtype=bool)
    n = 7 + n_extra
    with pytest.MonkeyPatch.context() as patch:
        if path == "sort":
            patch.setattr(_features, "_BITMAP_CELLS", 0)
        else:
            patch.setattr(_features, "_BITMAP_CELLS_PER_ROW", 10**9)
        counted = _features._distinct_per_client(client, slot, n, skip=np.flatnonzero(skipped))
    kept = pd.Series(slot[~skipped]).groupby(client[~skipped]).nunique()
    expected = kept.reindex(range(n), fill_value=0).to_numpy()
    np.testing.assert_array_equal(counted, expected)
