"""Everything the segments module knows about each client, from a dataset in one call."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..periods import DateLike
from ._abc import abc_tiers
from ._client_model import (
    ABC_SHARES,
    FEATURE_COLUMNS,
    SUMMARY_COLUMNS,
    ClientModel,
    _as_of,
    client_frames,
)
from ._rfm import RFMScorer
from ._rules import SegmentRules
from ._service import ServicePolicy


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

        The segments, tiers, values and plan come from a :class:`ClientModel`
        fitted on these clients (:func:`fit_client_model` returns it), so a
        saved model places any one of them exactly as this table does.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> clients = segment_clients(load_sample(), value_tiers=4)
    >>> clients.loc["C000001", ["segment", "tier", "service_level"]].tolist()
    ['Champions', 'B', 'key_account']
    """
    when = _as_of(dataset, as_of, caller="segment_clients")
    features, summary, left_out, positions = client_frames(dataset, as_of=when)
    # the batch is the fitted model applied to its own clients: one client placed
    # by a saved model gets exactly the row it has here
    # the ABC ranking and the value tiers of these clients are computed once: the fit
    # needs them and so does the table
    abc = abc_tiers(features, shares=ABC_SHARES)
    model = ClientModel(
        rules=rules,
        policy=policy,
        value_tiers=value_tiers,
        horizon_days=horizon_days,
        scorer=scorer,
    )._fit(features, summary, abc)
    placed = model._transform(
        _batch_inputs(features, summary),
        as_of=when,
        value_tiers=model.segmenter_.labels_.copy(),  # the fit's tiers of these same rows
    )
    share = abc["cumulative_share"]
    owners = _owners(dataset, features.index, positions)
    table = pd.concat([owners, features, placed], axis=1)
    table.insert(list(table.columns).index("tier") + 1, "cumulative_share", share)
    table.attrs["left_out"] = left_out
    return table


def _owners(dataset: Dataset, index: pd.Index, positions: np.ndarray | None) -> pd.DataFrame:
    """``name`` and ``manager_id`` of the clients of ``index`` from the clients table.

    ``positions`` are the clients' positions in ``sales.client_id``'s
    categories: the clients table is aligned to the categories (the same ids
    in the same order after validation, which pandas sees at once) and taken
    by position, instead of looking a million ids up one by one.
    """
    owners = dataset.clients.set_index("client_id")[["name", "manager_id"]]
    if positions is None:
        return owners.reindex(index)
    by_category = owners.reindex(dataset.sales["client_id"].cat.categories)
    return by_category.take(positions).set_axis(index, axis=0)


def _batch_inputs(features: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """:meth:`ClientModel.inputs` of the batch, put in place by position when the ids line up.

    The summary has a row for each client with an order (``frequency > 0``), in
    the features' order: when its ids are exactly those, its columns are
    scattered into place instead of joined on a million ids (the same frame).
    """
    lined_up = (
        set(FEATURE_COLUMNS) <= set(features.columns)
        and set(SUMMARY_COLUMNS) <= set(summary.columns)
        and all(summary[column].dtype == np.float64 for column in SUMMARY_COLUMNS)
        and features.index.is_unique
    )
    with_orders = features["frequency"].to_numpy() > 0 if lined_up else None
    if with_orders is None or not summary.index.equals(features.index[with_orders]):
        return ClientModel.inputs(features, summary)
    scattered = {}
    for column, name in SUMMARY_COLUMNS.items():
        values = np.full(len(features), np.nan)
        values[with_orders] = summary[column].to_numpy()
        scattered[name] = values
    return pd.concat(
        [features[list(FEATURE_COLUMNS)], pd.DataFrame(scattered, index=features.index)], axis=1
    )
