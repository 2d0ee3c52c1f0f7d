"""Everything the segments module knows about each client, from a dataset in one call."""

from __future__ import annotations

import warnings
from typing import Final

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..errors import ConfigError, NonFiniteValueWarning
from ..periods import DateLike
from ._abc import abc_tiers
from ._clustering import ValueSegmenter
from ._clv import expected_value
from ._features import client_features, rfm_summary
from ._rfm import RFMScorer
from ._rules import SegmentRules, rfm_segments
from ._service import ServicePolicy, service_plan


def segment_clients(
    dataset: Dataset,
    *,
    as_of: DateLike | None = None,
    rules: SegmentRules | None = None,
    policy: ServicePolicy | None = None,
    scorer: RFMScorer | None = None,
    value_tiers: int | str = "auto",
    horizon_days: float = 365.0,
) -> pd.DataFrame:
    """Each client's features, segment, tiers, expected value and next action.

    Parameters
    ----------
    dataset
        A validated :class:`~am_analytics.Dataset`.
    as_of
        The day described (default: the dataset's ``as_of``).
    rules, policy
        Segment rules and service policy (default: the shipped ones).
    scorer
        A fitted :class:`RFMScorer` to score against (e.g. last quarter's);
        default: fitted on these clients.
    value_tiers
        ``k`` of the :class:`ValueSegmenter` (``"auto"`` chooses by silhouette).
    horizon_days
        The horizon of :func:`expected_value`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``client_id``, one row per client with a sale up to
        ``as_of``: ``name`` and ``manager_id`` (the owner), the columns of
        :func:`client_features`, ``R, F, M, rfm_cell, segment``, ``tier`` and
        ``cumulative_share`` (ABC), ``value_tier`` and ``value_tier_name``,
        ``expected_purchases, expected_spend_per_purchase, expected_value,
        probability_alive`` (NaN for clients with refunds only), and the
        service plan: ``service_level, next_action, next_action_zh,
        due_date, priority``.

        A client whose features come out infinite (a sum of amounts past the
        largest float, which no segment or model can place) is set aside, not
        allowed to stop the others: it is not a row, ``table.attrs["left_out"]``
        gives ``{client_id: reason}``, and a
        :class:`~am_analytics.errors.NonFiniteValueWarning` names it. Clients
        without any sale up to ``as_of`` are not rows either (they are the
        clients table's ids missing from the index).

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> clients = segment_clients(load_sample(), value_tiers=4)
    >>> clients.loc["C000001", ["segment", "tier", "service_level"]].tolist()
    ['Champions', 'B', 'key_account']
    """
    when = as_of if as_of is not None else dataset.as_of
    if when is None:
        raise ConfigError("segment_clients needs as_of: the dataset has none; pass as_of=...")
    features = client_features(dataset.sales, as_of=when)
    summary = rfm_summary(dataset.sales, as_of=when)
    left_out = _not_finite(features, summary)
    features = features.drop(index=list(left_out))
    summary = summary.drop(index=list(left_out), errors="ignore")
    scorer = scorer if scorer is not None else RFMScorer().fit(features)
    segments = rfm_segments(scorer.transform(features), rules=rules)
    tiers = abc_tiers(features)
    values = ValueSegmenter(k=value_tiers).fit(features).labels(features)
    worth = expected_value(summary, horizon_days=horizon_days)
    owners = dataset.clients.set_index("client_id")[["name", "manager_id"]]
    table = pd.concat(
        [owners.reindex(features.index), features, segments, tiers, values], axis=1
    ).join(worth)
    plan = service_plan(table, as_of=when, policy=policy)
    table = pd.concat([table, plan], axis=1)
    table.attrs["left_out"] = left_out
    return table


#: Clients named in a warning before "and N more".
_SHOWN_CLIENTS: Final = 5


def _not_finite(features: pd.DataFrame, summary: pd.DataFrame) -> dict[str, str]:
    """The clients with an infinite feature, and which; warns when there are any."""
    named = pd.Series("", index=features.index, dtype=object)
    for frame in (features, summary):
        for column in frame.select_dtypes("number").columns:
            infinite = frame.index[np.isinf(frame[column].to_numpy(dtype=np.float64))]
            if len(infinite):
                before = named.loc[infinite]
                named.loc[infinite] = np.where(before == "", column, before + ", " + column)
    named = named[named != ""]
    if named.empty:
        return {}
    reasons = named + " not finite (a sum of amounts past the largest float): not segmented"
    shown = "; ".join(
        f"{client} ({columns})" for client, columns in named.head(_SHOWN_CLIENTS).items()
    )
    more = f" and {len(named) - _SHOWN_CLIENTS} more" if len(named) > _SHOWN_CLIENTS else ""
    warnings.warn(
        f"{len(named)} client(s) set aside, the others segmented: infinite values in "
        f"{shown}{more}; check their sales for implausible amounts",
        NonFiniteValueWarning,
        stacklevel=3,
    )
    return {str(k): str(v) for k, v in reasons.items()}
