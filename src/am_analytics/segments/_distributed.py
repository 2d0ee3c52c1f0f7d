""":func:`client_features` and :func:`rfm_summary` of a Dask sales table, on its cluster.

The pandas functions hand a Dask sales table to :func:`per_client_on_cluster`
with themselves as the function to run.

Both are per-client: a client's row depends on that client's sales alone. So
the sales are shuffled on the cluster until each client's rows sit in one
partition, and the pandas function itself runs on every partition: the
definitions are the pandas ones, by construction. Only the per-client rows
come back to the driver, where they are put in the clients table's order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._engines import client_partitioned, gather_aggregates
from ..periods import DateLike, parse_as_of

__all__ = ["per_client_on_cluster"]

_LEDGER_COLUMNS = ("client_id", "order_date", "amount")


def per_client_on_cluster(
    function: Callable[..., pd.DataFrame], sales: Any, *, as_of: DateLike, **options: Any
) -> pd.DataFrame:
    """``function(sales, as_of=as_of, **options)`` of the Dask ``sales``, client by client.

    ``function`` is a per-client pandas function (:func:`client_features`,
    :func:`rfm_summary`): it runs on each client-complete partition, and its
    rows are gathered in the clients table's order.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> from am_analytics import load_sample
    >>> from am_analytics.segments import client_features
    >>> sales = load_sample().sales
    >>> features = per_client_on_cluster(client_features, dd.from_pandas(sales, npartitions=3),
    ...                                  as_of="2026-11-15")
    >>> # equal up to the order the amounts are added in
    >>> pd.testing.assert_frame_equal(features, client_features(sales, as_of="2026-11-15"),
    ...                               rtol=1e-9)
    """
    # the empty pandas frame checks the columns and options and gives the result's layout
    meta = function(sales._meta, as_of=as_of, **options)
    # a sale after as_of never counts: leave it out before the shuffle moves it
    day_after = parse_as_of(as_of).normalize() + pd.Timedelta(days=1)
    ledger = client_partitioned(sales, _LEDGER_COLUMNS)
    ledger = ledger[ledger["order_date"] < day_after]
    per_client = ledger.map_partitions(function, as_of=as_of, meta=meta, **options)
    (result,) = gather_aggregates(per_client)
    categories = sales._meta["client_id"].cat.categories
    order = np.argsort(categories.get_indexer(result.index), kind="stable")
    return result.iloc[order]
