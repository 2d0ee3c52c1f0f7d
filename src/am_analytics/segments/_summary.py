"""The size and revenue of each client segment, as reports and the command line show them."""

from __future__ import annotations

import pandas as pd

__all__ = ["segment_summary"]


def segment_summary(clients: pd.DataFrame) -> pd.DataFrame:
    """Clients, revenue and share of revenue of each segment.

    Parameters
    ----------
    clients
        One row per client with ``segment`` and ``monetary`` (net revenue), as
        :func:`segment_clients` returns.

    Returns
    -------
    pandas.DataFrame
        One row per segment, indexed by ``segment`` in the order of its
        categories (every category, empty ones with 0 clients), with columns
        ``clients`` (int), ``revenue`` (the sum of ``monetary``) and ``share``
        (of the total revenue; NaN when the total is 0).

    Examples
    --------
    >>> clients = pd.DataFrame({
    ...     "segment": pd.Categorical(
    ...         ["Champions", "Lost", "Champions"], categories=["Champions", "At Risk", "Lost"]
    ...     ),
    ...     "monetary": [600.0, 200.0, 200.0],
    ... })
    >>> segment_summary(clients)
               clients  revenue  share
    segment
    Champions        2    800.0    0.8
    At Risk          0      0.0    0.0
    Lost             1    200.0    0.2
    """
    sizes = clients.groupby("segment", observed=False).agg(
        clients=("monetary", "size"), revenue=("monetary", "sum")
    )
    total = sizes["revenue"].sum()
    # a share of nothing is undefined, not 0 %
    share = sizes["revenue"] / total if total else pd.Series(float("nan"), index=sizes.index)
    return sizes.assign(clients=sizes["clients"].astype("int64"), share=share)
