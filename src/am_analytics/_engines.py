"""Which engine holds a table (pandas in memory, or Dask on a cluster), and the Dask entry points.

The sales table may be a :class:`dask.dataframe.DataFrame` (see DESIGN.md, "the
scale"): the aggregations that accept one reduce it on the cluster the current
``distributed.Client`` uses, and only their per-manager, per-client or per-day
results come back. This module is the one place that imports dask, so that
``import am_analytics`` never does, and a missing extra is one clear error.

* :func:`is_dask_frame` answers without importing dask;
* :func:`import_dask` imports it or raises :class:`~am_analytics.errors.ConfigError`;
* :func:`client_partitioned` moves each client's sales into one partition (on
  the cluster), so that per-client reductions run per partition;
* :func:`daily_net_sales` sums the sales per credited manager and day on the cluster;
* :func:`gather_aggregates` is the only call that brings results to the driver;
* :func:`sales_date_range` gives the first and last sale date of either engine;
* :func:`check_known_categories` refuses id columns whose codes mean nothing;
* :func:`require_pandas_sales` stops a pandas-only function early.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any, Final

import numpy as np
import pandas as pd

from .errors import ConfigError

__all__ = [
    "check_known_categories",
    "client_partitioned",
    "daily_net_sales",
    "gather_aggregates",
    "import_dask",
    "is_dask_frame",
    "require_pandas_sales",
    "sales_date_range",
]

_EXTRA_HINT = "pip install 'am-analytics[dask]'"
#: Nanoseconds in a day: dates as int64 nanoseconds, floor-divided, give days since 1970.
NS_PER_DAY: Final = 86_400 * 10**9
_DAILY_META: Final = pd.DataFrame(
    {
        "manager": pd.Series([], dtype=np.int64),
        "day": pd.Series([], dtype=np.int64),
        "net_sales": pd.Series([], dtype=np.float64),
    }
)


def is_dask_frame(obj: object) -> bool:
    """Whether ``obj`` is a Dask DataFrame, told by its type's module (dask is not imported).

    Examples
    --------
    >>> import pandas as pd
    >>> is_dask_frame(pd.DataFrame()), is_dask_frame(None)
    (False, False)
    """
    return any(
        cls.__name__ == "DataFrame" and cls.__module__.split(".")[0] in ("dask", "dask_expr")
        for cls in type(obj).__mro__
    )


def import_dask() -> ModuleType:
    """The ``dask`` package with ``dask.dataframe`` loaded, or a ConfigError naming the extra.

    Examples
    --------
    >>> import_dask().__name__
    'dask'
    """
    try:
        import dask
        import dask.dataframe  # loads the submodule onto ``dask``
    except ImportError as error:
        raise ConfigError(
            f"the sales table is a Dask DataFrame, which needs the dask extra ({error}); "
            f"install it with: {_EXTRA_HINT}"
        ) from None
    return dask


def require_pandas_sales(sales: object, function: str) -> None:
    """Raise a ConfigError when ``function``, which needs the sales in memory, gets a Dask frame.

    Examples
    --------
    >>> import pandas as pd
    >>> require_pandas_sales(pd.DataFrame(), "plot_sales")  # a pandas frame passes
    """
    if is_dask_frame(sales):
        raise ConfigError(
            f"{function} reads every sales row and needs the pandas engine, but the sales "
            "table is a Dask DataFrame; load the data without engine='dask' for it, or use "
            "the per-manager and per-client results (manager_metrics, client_features, "
            "rfm_summary, owner_actuals), which run on the cluster"
        )


def sales_date_range(sales: Any) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The first and last ``order_date`` of a pandas or Dask sales table; None when it is empty.

    Dask sales are reduced on the cluster: only the two dates come back.

    Examples
    --------
    >>> sales = pd.DataFrame({"order_date": pd.to_datetime(["2026-03-02", "2026-01-05"])})
    >>> sales_date_range(sales)
    (Timestamp('2026-01-05 00:00:00'), Timestamp('2026-03-02 00:00:00'))
    >>> sales_date_range(sales.iloc[:0]) is None
    True
    """
    dates = sales["order_date"]
    if is_dask_frame(sales):
        first, last = gather_aggregates(dates.min(), dates.max())
    else:
        first, last = dates.min(), dates.max()
    if pd.isna(first):
        return None
    return pd.Timestamp(first), pd.Timestamp(last)


def client_partitioned(sales: Any, columns: Sequence[str]) -> Any:
    """``columns`` of the Dask ``sales``, shuffled on the cluster: each client in one partition.

    Per-client results (and per-manager counts of distinct clients) then come
    from each partition alone and add up across partitions.
    """
    import_dask()
    check_known_categories(sales, ("client_id", "manager_id"))
    wanted = list(dict.fromkeys(["client_id", *columns]))
    # the integer codes hash the same on every worker, whatever the id strings
    keyed = sales[wanted].assign(_client_code=sales["client_id"].cat.codes)
    shuffled = keyed.shuffle(on="_client_code", npartitions=sales.npartitions)
    return shuffled.drop(columns="_client_code")


def daily_net_sales(sales: Any) -> Any:
    """Net sales per credited manager and day of the Dask ``sales``, summed on the cluster (lazy).

    Columns: ``manager`` (the code of ``sales.manager_id``), ``day`` (days since
    1970) and ``net_sales``; one row per manager and day with a sale.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> from am_analytics import load_sample
    >>> sales = load_sample().sales
    >>> (daily,) = gather_aggregates(daily_net_sales(dd.from_pandas(sales, npartitions=3)))
    >>> bool(abs(daily["net_sales"].sum() - sales["amount"].sum()) < 1e-6)
    True
    """
    check_known_categories(sales, ("manager_id",))
    per_partition = sales[["manager_id", "order_date", "amount"]].map_partitions(
        _partition_daily, meta=_DAILY_META
    )
    return per_partition.groupby(["manager", "day"])["net_sales"].sum().reset_index()


def _partition_daily(sales: pd.DataFrame) -> pd.DataFrame:
    """One partition's net sales per manager code and day."""
    rows = pd.DataFrame(
        {
            "manager": sales["manager_id"].cat.codes.to_numpy().astype(np.int64),
            "day": sales["order_date"].to_numpy().view(np.int64) // NS_PER_DAY,
            "net_sales": sales["amount"].to_numpy(dtype=np.float64),
        }
    )
    return rows.groupby(["manager", "day"], sort=False)["net_sales"].sum().reset_index()


def gather_aggregates(*aggregates: Any) -> tuple[Any, ...]:
    """Compute ``aggregates`` on the current cluster and bring their (small) results back.

    Every Dask path of the package brings data to the driver through this
    function, and only with aggregated collections: never the sales rows.
    """
    dask = import_dask()
    return tuple(dask.compute(*aggregates))


def check_known_categories(sales: Any, columns: Sequence[str]) -> None:
    """The id columns are categoricals whose categories are known (so codes mean table rows).

    Raises a ConfigError naming the fix otherwise.
    """
    for column in columns:
        if column not in sales.columns:
            continue
        values = sales[column]
        known = getattr(getattr(values, "cat", None), "known", False)
        if not known:
            raise ConfigError(
                f"sales.{column} of the Dask sales table must be a categorical with known "
                "categories (the ids of the clients and managers tables), as "
                "load(path, engine='dask') makes it; found "
                f"{values.dtype}; call .cat.as_known() or load the data with am_analytics.load"
            )
