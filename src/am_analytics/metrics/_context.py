"""The period context the metrics are computed from: the tables as arrays per manager row."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..periods import Window
from ._registry import FloatArray, IntArray


class MetricContext:
    """Everything one period's metrics share, computed once and on demand.

    Arrays are indexed by the row of the managers table (the codes of every
    ``manager_id`` categorical); ids kept as orphans (``on_orphans="keep"``)
    fall outside it and are ignored.

    Attributes
    ----------
    dataset, period
        What is measured.
    window
        ``[start, end)`` of the period, cut after ``as_of``.
    """

    def __init__(self, dataset: Dataset, period: pd.Period, window: Window) -> None:
        self.dataset = dataset
        self.period = period
        self.window = window
        self.n_managers = len(dataset.managers)

    # -- helpers ------------------------------------------------------------

    def per_manager(self, codes: np.ndarray, weights: np.ndarray | None = None) -> FloatArray:
        """Count (or sum ``weights``) per manager row from manager codes."""
        valid = (codes >= 0) & (codes < self.n_managers)
        if not valid.all():
            codes = codes[valid]
            weights = None if weights is None else weights[valid]
        return np.bincount(codes, weights=weights, minlength=self.n_managers).astype(np.float64)

    def ratio(self, numerator: FloatArray, denominator: FloatArray) -> FloatArray:
        """``numerator / denominator``, NaN where the denominator is not positive."""
        out = np.full(self.n_managers, np.nan)
        defined = denominator > 0
        np.divide(numerator, denominator, out=out, where=defined)
        return out

    @staticmethod
    def in_window(times: np.ndarray, window: Window) -> np.ndarray:
        """Boolean mask of ``datetime64[ns]`` values (as int64) inside ``window``."""
        return (times >= window.start.value) & (times < window.end.value)

    # -- sales ----------------------------------------------------------------

    @cached_property
    def _sales(self) -> dict[str, np.ndarray]:
        sales = self.dataset.sales
        return {
            "manager": sales["manager_id"].cat.codes.to_numpy(),
            "client": sales["client_id"].cat.codes.to_numpy(),
            "time": sales["order_date"].to_numpy().view(np.int64),
            "amount": sales["amount"].to_numpy(dtype=np.float64),
        }

    @cached_property
    def _n_clients(self) -> int:
        return len(self.dataset.sales["client_id"].cat.categories)

    def sales_in(self, window: Window) -> dict[str, np.ndarray]:
        """The sales columns (``manager, client, time, amount``) inside ``window``."""
        rows = np.flatnonzero(self.in_window(self._sales["time"], window))
        return {name: values[rows] for name, values in self._sales.items()}

    @cached_property
    def sales(self) -> dict[str, np.ndarray]:
        """The period's sales columns."""
        return self.sales_in(self.window)

    def sales_rows(self) -> FloatArray:
        """Sales rows (orders and refunds) credited to each manager in the period."""
        return self.per_manager(self.sales["manager"])

    def sales_total(self, window: Window) -> FloatArray:
        """Net sales per manager in ``window``."""
        sales = self.sales_in(window)
        return self.per_manager(sales["manager"], sales["amount"])

    def client_pairs(self, sales: dict[str, np.ndarray]) -> IntArray:
        """Distinct manager-client pairs with an order, as ``manager * n_clients + client``,
        ascending."""
        orders = sales["amount"] >= 0
        pairs = (
            sales["manager"][orders].astype(np.int64) * self._n_clients + sales["client"][orders]
        )
        return distinct(pairs)

    @cached_property
    def active_pairs(self) -> IntArray:
        """The period's distinct manager-client pairs with an order."""
        return self.client_pairs(self.sales)

    def pair_managers(self, pairs: IntArray) -> np.ndarray:
        """The manager code of each pair from :meth:`client_pairs`."""
        return pairs // self._n_clients

    @cached_property
    def previous_window(self) -> Window:
        """The whole period before this one."""
        previous = self.period - 1
        return Window(previous.start_time.normalize(), self.window.start)

    # -- other tables ---------------------------------------------------------

    def rows_in(self, table: str, time_column: str) -> pd.DataFrame:
        """Rows of ``table`` whose ``time_column`` falls in the period's window."""
        frame = self.dataset.table(table)
        times = frame[time_column].to_numpy().view(np.int64)
        return frame.iloc[np.flatnonzero(self.in_window(times, self.window))]

    def manager_codes(self, frame: pd.DataFrame) -> np.ndarray:
        """The manager row of each row of ``frame``."""
        return frame["manager_id"].cat.codes.to_numpy()


def distinct(values: IntArray) -> IntArray:
    """The distinct values, ascending.

    A sort, which numpy does with SIMD, finds them several times faster than
    hashing (``pd.unique``) at a million pairs.

    Examples
    --------
    >>> import numpy as np
    >>> distinct(np.array([7, 3, 7, 1, 3])).tolist()
    [1, 3, 7]
    """
    ordered = np.sort(values)
    first = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return ordered[first]


def common(some: IntArray, others: IntArray) -> IntArray:
    """The values in both ``some`` and ``others`` (each without repeats), ascending.

    Examples
    --------
    >>> import numpy as np
    >>> common(np.array([5, 1, 9]), np.array([9, 2, 5])).tolist()
    [5, 9]
    """
    both = np.sort(np.concatenate([some, others]))
    return both[1:][both[1:] == both[:-1]]
