"""What segments mean for the book of business: migration, manager portfolios, service plans.

Three readings of client segments and tiers, each a pure function over small
per-client frames:

* :func:`migration` — how clients moved between two snapshots of segments,
  with clients who arrived (``"new"``) or left (``"gone"``) counted too;
* :func:`portfolio` — per account manager (the client's owner in ``clients``),
  clients and net revenue by segment and tier, the top tier's share of revenue
  and the high-value clients at risk;
* :func:`service_plan` — per client, the service level (``key_account`` or
  ``standard``), the next action in English and Chinese and its due date, from
  a :class:`ServicePolicy` read from TOML.

The functions read the columns the segment functions write (``segment`` from
the RFM segments, ``tier`` from the ABC tiers, ``value_tier`` from the value
clusters) but do not import them: any frame with those columns will do.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final, cast

import numpy as np
import pandas as pd

from .._checks import require_columns
from .._deprecation import keyword_only_since
from ..errors import ConfigError, DataValidationError
from ._rules import default_segment_rules

#: The named RFM segments of the default rules, best first (the names ``rfm_segments`` writes).
RFM_SEGMENTS: Final = default_segment_rules().names


#: Segments of clients who used to buy well and are slipping away: the ones a
#: call can still win back. Hibernating and Lost clients are past that point.
AT_RISK_SEGMENTS: Final = ("About to Sleep", "At Risk", "Can't Lose")


#: The row of clients absent from the first snapshot, and the column of those
#: absent from the second.
NEW: Final = "new"


GONE: Final = "gone"


@dataclass(frozen=True, slots=True, eq=False)
class Migration:
    """Clients moving between the segments of two snapshots.

    Attributes
    ----------
    counts
        Clients per transition: rows ``from`` (the first snapshot's segments,
        then ``"new"``), columns ``to`` (the second snapshot's segments, then
        ``"gone"``); int64. The diagonal holds the clients who stayed.
    rates
        ``counts`` divided by its row totals: the share of each segment's
        clients that went where (each row sums to 1; NaN for a segment that
        had no clients).
    """

    counts: pd.DataFrame
    rates: pd.DataFrame

    def long(self) -> pd.DataFrame:
        """One row per transition: ``from``, ``to``, ``clients``, ``rate``.

        Every cell of the matrix is a row, zeros included, in matrix order.

        Examples
        --------
        >>> before = pd.Series(["Loyal", "Lost"], index=["c1", "c2"])
        >>> after = pd.Series(["Loyal", "Loyal"], index=["c1", "c3"])
        >>> migration(before, after).long().query("clients > 0")
            from     to  clients  rate
        2   Lost   gone        1   1.0
        4  Loyal  Loyal        1   1.0
        7    new  Loyal        1   1.0
        """
        origins, targets = self.counts.index, self.counts.columns
        return pd.DataFrame(
            {
                "from": np.repeat(origins.to_numpy(), len(targets)),
                "to": np.tile(targets.to_numpy(), len(origins)),
                "clients": self.counts.to_numpy().ravel(),
                "rate": self.rates.to_numpy().ravel(),
            }
        ).astype({"from": "str", "to": "str"})


def migration(labels_before: pd.Series, labels_after: pd.Series) -> Migration:
    """Count and rate the moves of clients between the segments of two snapshots.

    Parameters
    ----------
    labels_before, labels_after
        A segment (or tier) per client, indexed by ``client_id``: categorical
        or text. A client with a missing label counts as absent from that
        snapshot.

    Returns
    -------
    Migration
        ``counts`` and ``rates`` matrices (see :class:`Migration`).

    Raises
    ------
    DataValidationError
        If an input is not a Series, repeats a client, or uses the reserved
        labels ``"new"`` or ``"gone"``.

    Notes
    -----
    Rows and columns list the same segments, so the diagonal is "stayed":
    categorical labels in the order of ``labels_before``'s categories (unused
    ones included, so matrices of different quarters line up), then any
    categories only ``labels_after`` has; text labels sorted. The row
    ``"new"`` holds clients only in ``labels_after``, the column ``"gone"``
    clients only in ``labels_before``. Every client labelled in either
    snapshot is counted exactly once.

    Examples
    --------
    >>> before = pd.Series(["Loyal", "Loyal", "Lost"], index=["c1", "c2", "c3"])
    >>> after = pd.Series(["Loyal", "Lost", "Loyal"], index=["c1", "c2", "c4"])
    >>> m = migration(before, after)
    >>> m.counts
    to     Lost  Loyal  gone
    from
    Lost      0      0     1
    Loyal     1      1     0
    new       0      1     0
    >>> m.rates.loc["Loyal"].tolist()
    [0.5, 0.5, 0.0]
    """
    before = _labels(labels_before, "labels_before")
    after = _labels(labels_after, "labels_after")
    states = _states(before, after)
    lookup = pd.Index(states, dtype="str")
    size = len(states) + 1  # the segments, then "new" (rows) or "gone" (columns)
    origin = _positions(before, lookup)
    arrived = _positions(after, lookup)
    # one hash join of the two client lists: where each later client was before
    earlier = before.index.get_indexer(after.index)
    stayed = earlier >= 0
    target = np.full(len(before), size - 1, dtype="int64")  # "gone" unless found later
    target[earlier[stayed]] = arrived[stayed]
    origin = np.concatenate([origin, np.full(int((~stayed).sum()), size - 1)])
    target = np.concatenate([target, arrived[~stayed]])  # the "new" clients
    cells = np.bincount(origin * size + target, minlength=size * size).reshape(size, size)
    counts = pd.DataFrame(
        cells.astype("int64"),
        index=pd.Index([*states, NEW], dtype="str", name="from"),
        columns=pd.Index([*states, GONE], dtype="str", name="to"),
    )
    totals = counts.sum(axis=1).astype("float64")
    rates = counts.div(totals.where(totals > 0), axis=0)
    return Migration(counts=counts, rates=rates)


def _labels(labels: pd.Series, name: str) -> pd.Series:
    """The labelled clients of one snapshot, checked."""
    if not isinstance(labels, pd.Series):
        raise DataValidationError(
            f"{name} must be a Series of labels indexed by client_id, got "
            f"{type(labels).__name__}; pass one column, e.g. frame['segment']"
        )
    if not labels.index.is_unique:
        repeated = labels.index[labels.index.duplicated()].unique()[:5].tolist()
        raise DataValidationError(
            f"{name} lists some clients more than once (e.g. {repeated}); give one label per client"
        )
    labelled = labels.dropna()
    values = labelled.cat.categories if _is_categorical(labelled) else labelled.unique()
    reserved = sorted({NEW, GONE} & {str(v) for v in values})
    if reserved:
        raise DataValidationError(
            f"{name} uses the label(s) {reserved}, which migration() keeps for clients "
            "that arrive or leave; rename those segments"
        )
    return labelled


def _states(before: pd.Series, after: pd.Series) -> list[str]:
    """The segments of the matrix: categories in order, else sorted labels."""
    states: list[str] = []
    for labels in (before, after):
        if _is_categorical(labels):
            states.extend(str(c) for c in labels.cat.categories if str(c) not in states)
    observed = {str(v) for v in before.unique()} | {str(v) for v in after.unique()}
    return states + sorted(observed - set(states))


def _positions(labels: pd.Series, lookup: pd.Index) -> np.ndarray:
    """Each label's position in ``lookup`` (-1 where it is missing or not in it)."""
    if _is_categorical(labels):
        # map the few categories, then take by code: no per-client hashing
        by_code = np.append(lookup.get_indexer(labels.cat.categories.astype("str")), -1)
        return by_code[labels.cat.codes.to_numpy()].astype("int64")
    text = labels.astype("str").where(labels.notna())
    return lookup.get_indexer(pd.Index(text)).astype("int64")


def _is_categorical(values: pd.Series) -> bool:
    """Whether a column is categorical."""
    return isinstance(values.dtype, pd.CategoricalDtype)


@keyword_only_since("clients")
def portfolio(
    features: pd.DataFrame,
    *,
    clients: pd.DataFrame,
    at_risk_segments: Collection[str] = AT_RISK_SEGMENTS,
    top_tiers: Collection[str] = ("A",),
    top_value_tiers: Collection[str] | None = None,
) -> pd.DataFrame:
    """Each account manager's book: clients and revenue by segment and tier, and risk.

    Parameters
    ----------
    features
        One row per client that bought, indexed by ``client_id``, with
        ``monetary`` (net revenue) and any of ``segment``, ``tier`` (ABC) and
        ``value_tier``.
    clients
        The canonical ``clients`` table: ``client_id`` and its owner
        ``manager_id`` (categorical over every manager).
    at_risk_segments
        The segments of clients slipping away; default
        :data:`AT_RISK_SEGMENTS`: About to Sleep, At Risk, Can't Lose (clients
        who bought well and can still be won back; Hibernating and Lost are
        left out as past that point).
    top_tiers
        The ABC tiers that make the top tier (default ``("A",)``): their
        revenue share is ``top_tier_revenue_share``, and their clients are high
        value.
    top_value_tiers
        The value tiers whose clients are high value too; default: the value
        tier whose clients have the highest mean ``monetary`` in ``features``
        (so it does not depend on how the tiers are named or ordered).

    Returns
    -------
    pandas.DataFrame
        One row per manager, indexed by ``manager_id``: every category of
        ``clients.manager_id`` (in its order), managers without clients
        included with zeros.

    Raises
    ------
    DataValidationError
        If a column is missing, a client is repeated, or ``features`` has
        clients that ``clients`` lacks (they would have no owner).
    ConfigError
        If a segment or tier named in the options is not one the data uses.

    Notes
    -----
    Clients and revenue count by the client's owner in ``clients``, not the
    manager credited on each sale. Revenue is net (``monetary``), so a share
    can exceed 1 when some clients' net is negative. Columns:

    - ``clients`` (int64): clients owned;
    - ``clients_without_sales`` (int64): owned but not in ``features``;
    - ``revenue`` (float64): their net revenue;
    - ``top_tier_revenue_share`` (float64, with ``tier``): revenue of the top
      tier's clients / ``revenue``; NaN when ``revenue`` <= 0;
    - ``at_risk_high_value`` (int64, with ``segment`` and ``tier`` or
      ``value_tier``): clients in an at-risk segment that are in a top tier or
      a top value tier;
    - ``clients_<segment>``, ``revenue_<segment>`` (with ``segment``), e.g.
      ``clients_Champions``;
    - ``clients_tier_<tier>``, ``revenue_tier_<tier>`` (with ``tier``), e.g.
      ``revenue_tier_A``;
    - ``clients_value_<tier>``, ``revenue_value_<tier>`` (with ``value_tier``).

    Segments and tiers follow their categories' order (all categories, used
    or not), or sorted labels for text columns. A client without a label is
    in no per-label column.

    Examples
    --------
    >>> clients = pd.DataFrame(
    ...     {"client_id": ["c1", "c2", "c3"],
    ...      "manager_id": pd.Categorical(["m1", "m1", "m2"], categories=["m1", "m2", "m3"])}
    ... )
    >>> features = pd.DataFrame(
    ...     {"monetary": [900.0, 100.0], "segment": ["Can't Lose", "Loyal"],
    ...      "tier": pd.Categorical(["A", "C"], categories=["A", "B", "C"], ordered=True)},
    ...     index=pd.Index(["c1", "c2"], name="client_id"),
    ... )
    >>> book = portfolio(features, clients=clients)
    >>> book[["clients", "clients_without_sales", "revenue", "at_risk_high_value"]]
                clients  clients_without_sales  revenue  at_risk_high_value
    manager_id
    m1                2                      0   1000.0                   1
    m2                1                      1      0.0                   0
    m3                0                      0      0.0                   0
    >>> book["top_tier_revenue_share"].tolist()
    [0.9, nan, nan]
    """
    _require(features, ["monetary"], "features", index="client_id")
    _require(clients, ["client_id", "manager_id"], "clients")
    owners = _owners(clients)
    owned, without_sales = _owned_features(features, owners)
    revenue = owned["monetary"]
    by_owner = revenue.groupby(owners, observed=False)
    unsold = pd.Series(without_sales, index=owners.index).groupby(owners, observed=False).sum()
    out = pd.DataFrame(
        {
            "clients": by_owner.size().astype("int64"),
            "clients_without_sales": unsold.astype("int64"),
            "revenue": by_owner.sum().astype("float64"),
        }
    )
    blocks: list[pd.DataFrame] = []
    high_value = pd.Series(False, index=owned.index)
    if "segment" in owned:
        blocks.append(_by_label(owned["segment"], revenue, owners, prefix=""))
    if "tier" in owned:
        tiers = _names(top_tiers, owned["tier"], "top_tiers", "ABC tier")
        in_top = owned["tier"].isin(tiers)
        top = revenue.where(in_top, 0.0).groupby(owners, observed=False).sum()
        out["top_tier_revenue_share"] = top / out["revenue"].where(out["revenue"] > 0)
        high_value |= in_top
        blocks.append(_by_label(owned["tier"], revenue, owners, prefix="tier_"))
    if "value_tier" in owned:
        values = owned["value_tier"]
        chosen: Collection[Any] | None = top_value_tiers
        if chosen is None:
            means = revenue.groupby(values, observed=True).mean()
            chosen = [means.idxmax()] if len(means) else []
        high_value |= values.isin(_names(chosen, values, "top_value_tiers", "value tier"))
        blocks.append(_by_label(values, revenue, owners, prefix="value_"))
    if "segment" in owned and ("tier" in owned or "value_tier" in owned):
        risky = _names(at_risk_segments, owned["segment"], "at_risk_segments", "segment")
        flagged = owned["segment"].isin(risky) & high_value
        out["at_risk_high_value"] = flagged.groupby(owners, observed=False).sum().astype("int64")
    out = pd.concat([out, *blocks], axis=1)
    out.index = pd.Index(out.index.astype(owners.cat.categories.dtype), name="manager_id")
    return out


def _require(
    frame: pd.DataFrame, columns: list[str], name: str, *, index: str | None = None
) -> None:
    """The columns are there and, with ``index``, the frame has one row per index value."""
    require_columns(frame, columns, name)
    if index is not None and not frame.index.is_unique:
        repeated = frame.index[frame.index.duplicated()].unique()[:5].tolist()
        raise DataValidationError(f"{name} must have one row per {index}; repeated: {repeated}")


def _owners(clients: pd.DataFrame) -> pd.Series:
    """Each client's owner, indexed by client_id, categorical over every manager."""
    owners = clients.set_index("client_id")["manager_id"]
    if not owners.index.is_unique:
        repeated = owners.index[owners.index.duplicated()].unique()[:5].tolist()
        raise DataValidationError(f"clients repeats client_id(s) {repeated}; keep one row each")
    if not _is_categorical(owners):
        owners = owners.astype("category")
    return owners


_LABEL_COLUMNS: Final = ("segment", "tier", "value_tier")


def _owned_features(features: pd.DataFrame, owners: pd.Series) -> tuple[pd.DataFrame, np.ndarray]:
    """``monetary`` and the label columns of every owned client, and who has no sales.

    Clients without sales get NaN. Label columns come out categorical (text
    labels sorted), so they are moved by code, and their labels keep their type.
    """
    # one hash join of the client ids: the row of each owned client in features
    rows = features.index.get_indexer(owners.index)
    has_sales = rows >= 0
    matched = np.zeros(len(features), dtype=bool)
    matched[rows[has_sales]] = True
    if not matched.all():
        orphans = features.index[~matched]
        raise DataValidationError(
            f"features has {len(orphans)} client(s) that are not in clients, so they have no "
            f"owner (e.g. {orphans[:5].tolist()}); compute the features from the same dataset, "
            "or keep only rows whose client_id is in clients"
        )
    taken = np.where(has_sales, rows, 0)
    monetary = features["monetary"].to_numpy(dtype="float64")
    columns: dict[str, Any] = {"monetary": np.where(has_sales, monetary[taken], np.nan)}
    for name in _LABEL_COLUMNS:
        if name in features:
            labels = features[name]
            labels = labels if _is_categorical(labels) else labels.astype("category")
            codes = np.where(has_sales, labels.cat.codes.to_numpy()[taken], -1)
            columns[name] = pd.Categorical.from_codes(
                np.asarray(codes, dtype=np.int64), dtype=cast(pd.CategoricalDtype, labels.dtype)
            )
    return pd.DataFrame(columns, index=owners.index), ~has_sales


def _by_label(
    labels: pd.Series, revenue: pd.Series, owners: pd.Series, *, prefix: str
) -> pd.DataFrame:
    """Clients and revenue per manager and (categorical) label: ``clients_<prefix><label>``."""
    grouped = revenue.groupby([owners, labels], observed=False)
    counts = grouped.size().unstack(fill_value=0).astype("int64")
    sums = grouped.sum().unstack(fill_value=0).astype("float64")
    names = [f"{prefix}{label}" for label in counts.columns]
    counts.columns = pd.Index([f"clients_{n}" for n in names])
    sums.columns = pd.Index([f"revenue_{n}" for n in names])
    return pd.concat([counts, sums], axis=1)


def _names(names: Collection[Any], labels: pd.Series, option: str, what: str) -> list[Any]:
    """The labels named in an option, each checked against those the data can hold."""
    chosen = [names] if isinstance(names, str) else list(names)
    known = set(labels.cat.categories) if _is_categorical(labels) else set(labels.dropna())
    # the standard names are always accepted, so the defaults work on any subset of clients
    known |= {"segment": set(RFM_SEGMENTS), "ABC tier": {"A", "B", "C"}}.get(what, set())
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise ConfigError(
            f"{option} names {unknown}, which is not a {what} of the data; "
            f"choose from {sorted(map(str, known))}"
        )
    return chosen
