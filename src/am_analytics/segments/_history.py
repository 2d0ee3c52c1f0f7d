"""Segments over time: every client labelled at each period end with the same yardstick."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..errors import ConfigError
from ..periods import PeriodLike, to_period
from ._features import client_features
from ._rfm import RFMScorer
from ._rules import SegmentRules, rfm_segments


def segment_history(
    sales: pd.DataFrame,
    *,
    periods: Sequence[PeriodLike],
    scorer: RFMScorer | None = None,
    rules: SegmentRules | None = None,
    bins: int = 5,
) -> pd.DataFrame:
    """Each client's RFM segment at the end of each period.

    Parameters
    ----------
    sales
        The canonical ``sales`` table.
    periods
        The periods, e.g. ``["2026Q2", "2026Q3"]``; each is labelled as of its
        last day.
    scorer
        A fitted :class:`RFMScorer`. Default: one fitted on the clients at the
        end of the first period, so every later period is measured against
        the same edges and a move between segments is a change in the client,
        not in the population around it.
    rules
        The segment rules (default :func:`default_segment_rules`).
    bins
        The score bins when ``scorer`` is not given.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``client_id`` (every client with a sale by the last period's
        end), one categorical column per period named like the period; a
        client without any sale yet at a period end has no label (NaN) there,
        which :func:`migration` counts as "new" when it appears.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> history = segment_history(load_sample().sales, periods=["2026Q2", "2026Q3"])
    >>> history.columns.tolist()
    ['2026Q2', '2026Q3']
    """
    labels = [to_period(p) for p in periods]
    if not labels:
        raise ConfigError("periods is empty; give at least one period, e.g. ['2026Q3']")
    columns = {}
    for period in labels:
        end = (period + 1).start_time - pd.Timedelta(days=1)
        features = client_features(sales, as_of=end)
        if scorer is None:
            scorer = RFMScorer(bins=bins).fit(features)
        segments = rfm_segments(scorer.transform(features), rules=rules)["segment"]
        columns[str(period)] = segments
    history = pd.DataFrame(columns)
    history.index.name = "client_id"
    return history
