"""Per-client purchase features from the sales ledger, in two vocabularies.

:func:`client_features` describes each client the way account managers talk
about them (days since the last order, orders, net revenue, refunds, trend);
:func:`rfm_summary` gives the ``frequency, recency, T, monetary_value`` of the
buy-till-you-die models (lifetimes, PyMC-Marketing), with exactly their
semantics, so the expected-value models and other tools can use it.

Two meanings of "recency"
-------------------------
============================  ==========================================  ==============
                              meaning                                     a client who ...
============================  ==========================================  ==============
``recency_days`` (features)   days from the last order to ``as_of``:      bought yesterday: 1
                              small is good
``recency`` (rfm_summary)     time from the first to the last purchase    bought once: 0
                              day (the age at the last repeat purchase):
                              large is good
============================  ==========================================  ==============

Both read the ledger the same way: an *order* is a sale with an amount of 0 or
more (a zero amount is a free order), a negative amount is a refund or credit
note, and only sales dated on or before ``as_of`` count (a later sale is the
future).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from .._engines import is_dask_frame
from ..errors import ConfigError, DataValidationError
from ..periods import DateLike, parse_as_of

__all__ = ["client_features", "client_tables", "rfm_summary"]

_NS_PER_DAY: Final = 86_400 * 10**9
_REQUIRED: Final = ("client_id", "order_date", "amount")
#: Above this many client-slot cells, distinct slots (months, days) are counted by
#: sorting instead of with a bitmap.
_BITMAP_CELLS: Final = 200_000_000
#: ... or above this many cells per row: the bitmap is zeroed and summed whole, and past
#: about 20 cells a row (measured at 1M and 10M rows) sorting the rows' keys is faster.
_BITMAP_CELLS_PER_ROW: Final = 16
_TIME_UNITS: Final = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}


def client_features(
    sales: pd.DataFrame, *, as_of: DateLike, window: str | pd.Timedelta | None = None
) -> pd.DataFrame:
    """One row per client: recency, frequency, money, tenure, activity, trend, refunds.

    Parameters
    ----------
    sales
        The canonical ``sales`` table (``client_id`` categorical, ``order_date``,
        ``amount``).
    as_of
        The day the features describe: sales after it are ignored, and
        recency and tenure are counted to it.
    window
        Only look back this far (``"365D"``, ``pd.Timedelta(days=365)``);
        default: the whole history. ``trend`` always looks at the 24 months
        before ``as_of`` within the window.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``client_id``, one row per client with at least one sale (an
        order or a refund) in the window, in the clients table's order.

    Notes
    -----
    Columns:

    * ``recency_days``: whole days from the last order to ``as_of`` (NaN when
      the client only has refunds);
    * ``frequency``: orders (sales with an amount of 0 or more);
    * ``monetary``: net amount, orders minus refunds;
    * ``avg_order_value``: mean order amount, refunds left out (NaN without orders);
    * ``first_order``, ``last_order``: dates of the first and last order;
    * ``tenure_days``: days from the first order to ``as_of``;
    * ``active_months``: distinct calendar months with an order;
    * ``trend``: net amount of the last 12 months over that of the 12 months
      before, minus 1; NaN when the earlier year's net was not positive (no
      history to compare with);
    * ``refund_share``: refunds over gross orders (NaN without orders);
    * ``net_nonpositive``: the net amount is 0 or less. Such clients are kept
      and flagged, never dropped.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> features = client_features(load_sample().sales, as_of="2026-11-15")
    >>> features.columns[:4].tolist()
    ['recency_days', 'frequency', 'monetary', 'avg_order_value']
    """
    if is_dask_frame(sales):  # a Dask sales table: reduced on its cluster
        from ._distributed import per_client_on_cluster

        return per_client_on_cluster(client_features, sales, as_of=as_of, window=window)
    ledger = _Ledger(sales, as_of=as_of, window=window)
    return ledger.frame(_feature_columns(ledger, _Orders(ledger)))


def rfm_summary(sales: pd.DataFrame, *, as_of: DateLike, time_unit: str = "D") -> pd.DataFrame:
    """``frequency, recency, T, monetary_value`` as lifetimes and PyMC-Marketing define them.

    Parameters
    ----------
    sales
        The canonical ``sales`` table.
    as_of
        The end of the observation period (lifetimes' ``observation_period_end``).
    time_unit
        ``"D"`` (days), ``"W"`` (weeks) or ``"M"`` (months of 365.25 / 12
        days): the unit of ``recency`` and ``T``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``client_id``: one row per client with an order on or before
        ``as_of``, in the clients table's order.

    Notes
    -----
    As in ``lifetimes.utils.summary_data_from_transaction_data`` (and
    PyMC-Marketing's ``rfm_summary``): the orders of one day are merged into
    one purchase; ``frequency`` is the number of purchase days after the
    first (repeat purchases); ``recency`` is the time from the first to the last
    purchase day; ``T`` is the time from the first purchase day to ``as_of``;
    ``monetary_value`` is the mean total of the repeat purchase days (0 for
    one-time buyers). Only orders (amounts of 0 or more) are purchases; refunds are
    left out here, so ``monetary_value`` is gross (``client_features`` gives
    the net). Clients with only refunds have no row.

    Examples
    --------
    >>> import pandas as pd
    >>> sales = pd.DataFrame({
    ...     "client_id": pd.Categorical(["a", "a", "a", "b"]),
    ...     "order_date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-11", "2026-01-05"]),
    ...     "amount": [10.0, 5.0, 30.0, 8.0],
    ... })
    >>> rfm_summary(sales, as_of="2026-01-31")
               frequency  recency     T  monetary_value
    client_id
    a                1.0     10.0  30.0            30.0
    b                0.0      0.0  26.0             0.0
    """
    if is_dask_frame(sales):  # a Dask sales table: reduced on its cluster
        from ._distributed import per_client_on_cluster

        return per_client_on_cluster(rfm_summary, sales, as_of=as_of, time_unit=time_unit)
    if time_unit not in _TIME_UNITS:
        raise ConfigError(
            f"time_unit must be one of {', '.join(_TIME_UNITS)} (days, weeks, months), "
            f"not {time_unit!r}"
        )
    ledger = _Ledger(sales, as_of=as_of, window=None)
    columns, rows = _summary_columns(ledger, _Orders(ledger), unit=_TIME_UNITS[time_unit])
    return ledger.frame(columns, rows=rows)


def client_tables(sales: pd.DataFrame, *, as_of: DateLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`client_features` and :func:`rfm_summary` (in days) from one read of the sales.

    The same two frames as the two calls, but the ledger is read once and what
    both compute (the orders, their count, gross amount, first and last day)
    is computed once.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> sales = load_sample().sales
    >>> features, summary = client_tables(sales, as_of="2026-11-15")
    >>> features.equals(client_features(sales, as_of="2026-11-15"))
    True
    >>> summary.equals(rfm_summary(sales, as_of="2026-11-15"))
    True
    """
    features, summary, _ = _client_tables(sales, as_of=as_of)
    return features, summary


def _client_tables(
    sales: pd.DataFrame, *, as_of: DateLike
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray | None]:
    """:func:`client_tables`, and each feature row's position in ``sales.client_id``'s categories.

    The positions (None for a Dask table) let a caller look clients up by
    position instead of by id text.
    """
    if is_dask_frame(sales):  # reduced on the cluster by the two public functions
        return client_features(sales, as_of=as_of), rfm_summary(sales, as_of=as_of), None
    ledger = _Ledger(sales, as_of=as_of, window=None)
    orders = _Orders(ledger)
    has_sale = np.bincount(ledger.client, minlength=ledger.n_clients) > 0
    features = ledger.frame(_feature_columns(ledger, orders), rows=has_sale)
    columns, rows = _summary_columns(ledger, orders, unit=_TIME_UNITS["D"])
    return features, ledger.frame(columns, rows=rows), np.flatnonzero(has_sale)


class _Orders:
    """The ledger's orders (amounts of 0 or more) and what both vocabularies read of them.

    The orders are read where they lie in the ledger. Refunds are a few percent of
    the rows, so they are left out by their positions (``refunds``) rather than the
    orders copied out: at 10M rows each row-length copy is 80 MB of new memory.
    """

    def __init__(self, ledger: _Ledger) -> None:
        n, client = ledger.n_clients, ledger.client
        self.refunds = np.flatnonzero(~(ledger.amount >= 0))  # a missing amount is no order
        self.count = np.bincount(client, minlength=n)
        self.count -= np.bincount(client[self.refunds], minlength=n)
        # A refund weighs +0.0 in the sum, which leaves each client's sum of its orders
        # bit for bit what it is over the orders alone.
        amount = ledger.amount.copy()
        amount[self.refunds] = 0.0
        self.gross = np.bincount(client, amount, minlength=n)
        self.first, self.last = _day_extremes(client, ledger.day, n, skip=self.refunds)


def _feature_columns(ledger: _Ledger, orders: _Orders) -> dict[str, Any]:
    """The columns of :func:`client_features`, per client code."""
    n = ledger.n_clients
    frequency, gross, first, last = orders.count, orders.gross, orders.first, orders.last
    net = _net(ledger.client, ledger.amount, n, gross=gross)
    has_orders = frequency > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "recency_days": np.where(has_orders, ledger.as_of_day - last, np.nan),
            "frequency": frequency.astype(np.int64),
            "monetary": net,
            "avg_order_value": np.where(has_orders, gross / frequency, np.nan),
            "first_order": _dates(first, has_orders),
            "last_order": _dates(last, has_orders),
            "tenure_days": np.where(has_orders, ledger.as_of_day - first, np.nan),
            "active_months": _distinct_per_client(
                ledger.client, ledger.months(), n, skip=orders.refunds
            ),
            "trend": _trend(ledger),
            "refund_share": np.where(has_orders, (gross - net) / gross, np.nan),
            "net_nonpositive": net <= 0,
        }


def _summary_columns(
    ledger: _Ledger, orders: _Orders, *, unit: float
) -> tuple[dict[str, Any], np.ndarray]:
    """The columns of :func:`rfm_summary` per client code, and the codes with a purchase."""
    n, client, day = ledger.n_clients, ledger.client, ledger.day
    first, last = orders.first, orders.last
    purchase_days = _distinct_per_client(client, day, n, skip=orders.refunds)
    on_first_day = day == first[client]
    on_first_day[orders.refunds] = False
    first_day_total = np.bincount(client[on_first_day], ledger.amount[on_first_day], minlength=n)
    repeat_total = orders.gross - first_day_total
    frequency = np.maximum(purchase_days - 1, 0).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        columns = {
            "frequency": frequency,
            "recency": (last - first) / unit,
            "T": (ledger.as_of_day - first) / unit,
            "monetary_value": np.where(frequency > 0, repeat_total / frequency, 0.0),
        }
    return columns, purchase_days > 0


# ---------------------------------------------------------------------------
# Reading the ledger
# ---------------------------------------------------------------------------


class _Ledger:
    """The sales columns the features need, as integer codes and day numbers, up to as_of."""

    def __init__(
        self, sales: pd.DataFrame, *, as_of: DateLike, window: str | pd.Timedelta | None
    ) -> None:
        _check_sales(sales)
        self.categories = sales["client_id"].cat.categories
        self.n_clients = len(self.categories)
        as_of_day = _day_number(as_of)
        self.as_of_day = as_of_day
        times = sales["order_date"].to_numpy(dtype="datetime64[ns]")
        day = times.view(np.int64) // _NS_PER_DAY
        keep = day <= as_of_day
        if window is not None:
            keep &= day > as_of_day - _window_days(window)
        codes = sales["client_id"].cat.codes.to_numpy()
        keep &= codes >= 0
        amount = sales["amount"].to_numpy(dtype=np.float64)
        if keep.all():  # the usual case (no future sale, no missing client): no gathers
            self.client, self.day, self.amount = codes.astype(np.intp), day, amount
        else:
            rows = np.flatnonzero(keep)
            self.client, self.day, self.amount = (
                codes[rows].astype(np.intp),
                day[rows],
                amount[rows],
            )
        #: the earliest day read: day numbers minus it are small non-negative slots
        self.first_day = int(self.day.min()) if len(self.day) else as_of_day

    def months(self) -> np.ndarray:
        """Calendar month numbers (months since 1970-01) of the rows."""
        day = self.day
        if not len(day):
            return day
        # a month table over the days spanned: a gather instead of a calendar conversion
        span = np.arange(self.first_day, int(day.max()) + 1).astype("datetime64[D]")
        return span.astype("datetime64[M]").view(np.int64)[day - self.first_day]

    def frame(self, columns: dict[str, Any], rows: np.ndarray | None = None) -> pd.DataFrame:
        """The per-client columns as a frame of the clients with sales (or ``rows``)."""
        if rows is None:
            rows = np.bincount(self.client, minlength=self.n_clients) > 0
        chosen = np.flatnonzero(rows)
        index = pd.Index(self.categories.take(chosen), name="client_id", dtype="str")
        return pd.DataFrame({name: values[chosen] for name, values in columns.items()}, index=index)


def _check_sales(sales: pd.DataFrame) -> None:
    """The columns the features read are there, with the canonical dtypes."""
    if not isinstance(sales, pd.DataFrame):
        raise DataValidationError(f"expected the sales table as a DataFrame, got {type(sales)}")
    missing = [c for c in _REQUIRED if c not in sales.columns]
    if missing:
        raise DataValidationError(
            f"the sales table lacks {missing}; pass the validated table (dataset.sales)",
            missing={"sales": missing},
        )
    if not isinstance(sales["client_id"].dtype, pd.CategoricalDtype):
        raise DataValidationError(
            "sales.client_id must be categorical, as in a validated dataset; load the data with "
            "am_analytics.load or from_frames first"
        )


def _day_number(value: DateLike) -> int:
    """The day of ``as_of`` as whole days since 1970-01-01."""
    return int(parse_as_of(value).normalize().value // _NS_PER_DAY)


def _window_days(window: str | pd.Timedelta) -> int:
    try:
        days = pd.Timedelta(window).days
    except (TypeError, ValueError):
        raise ConfigError(f"cannot read the window {window!r}; use e.g. '365D'") from None
    if days <= 0:
        raise ConfigError(f"the window must be at least one day, not {window!r}")
    return int(days)


def _dates(days: np.ndarray, defined: np.ndarray) -> np.ndarray:
    """Day numbers as datetime64[ns], NaT where undefined."""
    dates = days.astype("datetime64[D]").astype("datetime64[ns]")
    dates[~defined] = np.datetime64("NaT")
    return dates


# ---------------------------------------------------------------------------
# Per-client reductions
# ---------------------------------------------------------------------------


def _day_extremes(
    client: np.ndarray, day: np.ndarray, n: int, *, skip: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """First and last day per client over the rows not in ``skip`` (positions); 0 where
    the client has none (mask them)."""
    highest, lowest = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    first, last = np.full(n, highest), np.full(n, lowest)
    days = day
    if len(skip):  # in a copy, the skipped rows' days made neutral: the highest, then the lowest
        days = day.copy()
        days[skip] = highest
    np.minimum.at(first, client, days)
    if len(skip):
        days[skip] = lowest
    np.maximum.at(last, client, days)
    none = first > last
    first[none] = last[none] = 0
    return first, last


def _distinct_per_client(
    client: np.ndarray, values: np.ndarray, n: int, *, skip: np.ndarray
) -> np.ndarray:
    """Distinct integer ``values`` (days, months) per client, over the rows not in
    ``skip`` (positions).

    A client × value bitmap when it is small enough, absolutely and beside the
    rows (one scatter, one row sum); otherwise the sorted distinct (client, value) keys.
    The keys are built and sorted in place: past a few million rows each new
    row-length array is fresh memory from the kernel.
    """
    if not len(values):
        return np.zeros(n, dtype=np.int64)
    low = int(values.min())
    width = int(values.max()) - low + 1
    keys = np.multiply(client, width, dtype=np.int64)
    keys += values
    keys -= low
    beyond = n * width  # the key of a skipped row: past every client's keys
    keys[skip] = beyond
    if beyond <= min(_BITMAP_CELLS, _BITMAP_CELLS_PER_ROW * len(values)):
        seen = np.zeros(beyond + 1, dtype=bool)
        seen[keys] = True
        return seen[:beyond].reshape(n, width).sum(axis=1, dtype=np.int64)
    keys.sort()
    new = np.empty(len(keys), dtype=bool)
    new[0] = True
    np.not_equal(keys[1:], keys[:-1], out=new[1:])
    distinct = keys[new]
    if distinct[-1] == beyond:
        distinct = distinct[:-1]
    distinct //= width
    return np.bincount(distinct, minlength=n).astype(np.int64)


def _net(
    client: np.ndarray, amount: np.ndarray, n: int, *, gross: np.ndarray | None = None
) -> np.ndarray:
    """Net amount per client, exactly 0 where orders and refunds cancel.

    Floating-point sums of amounts that cancel leave a residue of about 1e-12
    whose sign depends on the order of addition; a residue under 1e-9 of the
    client's turnover (the sum of absolute amounts) is set to 0, so that "net
    is not positive" and "no base to compare with" do not depend on it. A
    turnover past the largest float sets nothing to 0: an overflowing net
    stays infinite, for the caller to see.

    ``gross``, each client's sum of its orders when the caller has it, gives the
    turnover as ``2 * gross - net`` without a pass over the rows' absolute amounts.
    """
    net = np.bincount(client, amount, minlength=n)
    if gross is None:
        turnover = np.bincount(client, np.abs(amount), minlength=n)
    else:
        with np.errstate(over="ignore", invalid="ignore"):  # inf - inf: past the largest float
            turnover = 2 * gross - net
    net[(np.abs(net) <= 1e-9 * turnover) & np.isfinite(turnover)] = 0.0
    return net


def _trend(ledger: _Ledger) -> np.ndarray:
    """Net of the last 12 months over the 12 before, minus 1 (NaN without a positive base)."""
    as_of = pd.Timestamp(ledger.as_of_day * _NS_PER_DAY)
    year_ago = _day_number(as_of - pd.DateOffset(years=1))
    two_years_ago = _day_number(as_of - pd.DateOffset(years=2))
    day, client, amount, n = ledger.day, ledger.client, ledger.amount, ledger.n_clients
    recent = day > year_ago
    before = (day > two_years_ago) & ~recent
    last_year = _net(client[recent], amount[recent], n)
    base = _net(client[before], amount[before], n)
    with np.errstate(all="ignore"):
        return np.where(base > 0, last_year / base - 1, np.nan)
