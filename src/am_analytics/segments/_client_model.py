"""One fitted object that places a client the way the batch does, without the population.

:class:`ClientModel` holds everything :func:`segment_clients` learns from the
client base (the RFM scale, the ABC cut points, the value clusters, the BG/NBD
and Gamma-Gamma models) together with the rules and the service policy, so a
service can load it from JSON and place one client in the segment, tiers,
expected value and next action the quarterly batch gives it.
:func:`segment_clients` itself fits a :class:`ClientModel` and transforms its
clients, so the batch and a single client agree by construction.
"""

from __future__ import annotations

import json
import math
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, Final

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..errors import ConfigError, DataValidationError, NonFiniteValueWarning
from ..periods import DateLike, parse_as_of
from ._abc import abc_tiers
from ._bgnbd import BetaGeoModel
from ._clustering import ValueSegmenter
from ._clv import expected_value
from ._features import _client_tables, client_features, rfm_summary  # noqa: F401 (examples)
from ._gamma_gamma import GammaGammaModel
from ._likelihood import _check_horizon
from ._rfm import RFMScorer
from ._rules import SegmentRules, default_segment_rules, rfm_segments
from ._service import ServicePolicy, default_service_policy, service_plan

__all__ = ["ClientModel", "fit_client_model"]

#: The cumulative revenue shares that close ABC tiers A and B (as :func:`abc_tiers`).
ABC_SHARES: Final = (0.8, 0.95)

#: The client_features columns the models read.
FEATURE_COLUMNS: Final = ("recency_days", "frequency", "monetary")

#: rfm_summary's columns, renamed where they clash with client_features'
#: (its ``frequency`` counts repeat purchase days, not orders).
SUMMARY_COLUMNS: Final = {
    "frequency": "repeat_purchases",
    "recency": "recency",
    "T": "T",
    "monetary_value": "monetary_value",
}

_FORMAT: Final = "am_analytics.ClientModel"
_VERSION: Final = 1

#: Clients named in a warning before "and N more".
_SHOWN_CLIENTS: Final = 5


class ClientModel:
    """Segment, tiers, expected value and next action of any client, fitted once.

    Scikit-learn shape: the constructor stores the options untouched,
    :meth:`fit` learns from a client base and returns ``self``,
    :meth:`transform` places clients (one or millions) without the base, and
    :meth:`to_json` / :meth:`from_json` round-trip exactly.

    Parameters
    ----------
    rules
        The :class:`SegmentRules`; default :func:`default_segment_rules`.
    policy
        The :class:`ServicePolicy`; default :func:`default_service_policy`.
    value_tiers
        ``k`` of the :class:`ValueSegmenter` (``"auto"`` chooses by silhouette).
    horizon_days
        The horizon of the expected purchases and value, in days.
    scorer
        A fitted :class:`RFMScorer` to keep (e.g. last quarter's); default:
        one fitted on the clients given to :meth:`fit`.

    Attributes
    ----------
    scorer_, rules_, policy_
        The RFM scale, the segment rules and the service policy in use.
    abc_thresholds_
        One row per ABC boundary (``boundary`` 1 closes tier A, 2 closes B):
        ``shares`` (the cumulative revenue share), and ``monetary`` and
        ``client_id`` of the highest-ranked fitted client past it (NaN and
        ``None`` when no client is). See Notes.
    horizon_days_
        The horizon checked, as a float.
    segmenter_
        The fitted :class:`ValueSegmenter`.
    bgnbd_, gamma_gamma_
        The fitted :class:`BetaGeoModel` and :class:`GammaGammaModel`.
    n_fitted_
        Clients of the base.

    Notes
    -----
    **ABC tiers of one client.** :func:`abc_tiers` ranks the clients with
    positive net revenue by it (highest first, equal amounts by ``client_id``)
    and cuts the ranking where the cumulative share reaches 80 % and 95 %.
    Cut points of the share are cut points of the ranking, so the model keeps,
    for each boundary, the (``monetary``, ``client_id``) of the first fitted
    client past it: a client is past the boundary when its net revenue is
    lower, or equal with a ``client_id`` not smaller. Every fitted client so
    gets the tier the batch gives; a new client gets the tier it would have
    had in the base, without moving the others. Net revenue <= 0 (or missing)
    is the last tier. ``cumulative_share`` depends on the whole base and is
    not an output of :meth:`transform` (:func:`segment_clients` adds it from
    :func:`abc_tiers`).

    **Clients without orders** (refunds only): no rfm_summary row, so the
    summary columns are NaN and so are the expected-value columns; they score
    R = 1, value tier 0, as in the batch.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> data = load_sample()
    >>> model = fit_client_model(data, as_of="2026-11-15", value_tiers=4)
    >>> inputs = ClientModel.inputs(
    ...     client_features(data.sales, as_of="2026-11-15"),
    ...     rfm_summary(data.sales, as_of="2026-11-15"),
    ... )
    >>> one = ClientModel.from_json(model.to_json()).transform(
    ...     inputs.loc[["C000001"]], as_of="2026-11-15"
    ... )
    >>> one.loc["C000001", ["segment", "tier", "service_level"]].tolist()
    ['Champions', 'B', 'key_account']
    """

    #: The input columns of :meth:`transform`: client_features' ``recency_days,
    #: frequency, monetary`` and rfm_summary's ``frequency`` (as
    #: ``repeat_purchases``), ``recency``, ``T`` and ``monetary_value``.
    input_columns: ClassVar[tuple[str, ...]] = (*FEATURE_COLUMNS, *SUMMARY_COLUMNS.values())

    scorer_: RFMScorer
    rules_: SegmentRules
    policy_: ServicePolicy
    abc_thresholds_: pd.DataFrame
    segmenter_: ValueSegmenter
    bgnbd_: BetaGeoModel
    gamma_gamma_: GammaGammaModel
    horizon_days_: float
    n_fitted_: int

    def __init__(
        self,
        rules: SegmentRules | None = None,
        policy: ServicePolicy | None = None,
        value_tiers: int | str = "auto",
        horizon_days: float = 365.0,
        *,
        scorer: RFMScorer | None = None,
    ) -> None:
        # scikit-learn convention: store untouched, validate in fit
        self.rules = rules
        self.policy = policy
        self.value_tiers = value_tiers
        self.horizon_days = horizon_days
        self.scorer = scorer

    def __repr__(self) -> str:
        options = f"value_tiers={self.value_tiers!r}, horizon_days={self.horizon_days!r}"
        if not self._is_fitted():
            return f"ClientModel({options}, unfitted)"
        return (
            f"ClientModel({options}, fitted on {self.n_fitted_:,} clients: "
            f"{self.rules_.bins} RFM bins, {len(self.rules_.names)} segments, "
            f"{self.segmenter_.k_} value tiers, {self.bgnbd_!r}, {self.gamma_gamma_!r})"
        )

    # -- fitting ---------------------------------------------------------------

    def fit(self, features: pd.DataFrame, summary: pd.DataFrame) -> ClientModel:
        """Learn every model from a client base; returns ``self``.

        Parameters
        ----------
        features
            :func:`client_features` of the base, indexed by ``client_id``.
        summary
            :func:`rfm_summary` of the same sales and ``as_of`` (clients with
            refunds only have no row there).

        Raises
        ------
        ConfigError
            An option is invalid, or the base cannot identify a model (too
            few clients, no repeat purchases).
        DataValidationError
            A frame lacks a column or breaks its rules.

        Examples
        --------
        >>> from am_analytics import load_sample
        >>> sales = load_sample().sales
        >>> model = ClientModel(value_tiers=4).fit(
        ...     client_features(sales, as_of="2026-11-15"), rfm_summary(sales, as_of="2026-11-15")
        ... )
        >>> model.segmenter_.k_, model.n_fitted_
        (4, 1852)
        """
        return self._fit(features, summary, abc_tiers(features, shares=ABC_SHARES))

    def _fit(self, features: pd.DataFrame, summary: pd.DataFrame, abc: pd.DataFrame) -> ClientModel:
        """:meth:`fit`, given the :func:`abc_tiers` of ``features`` (a caller may need them too)."""
        horizon = _check_horizon(self.horizon_days, name="horizon_days")
        rules = default_segment_rules() if self.rules is None else self.rules
        policy = default_service_policy() if self.policy is None else self.policy
        _check_kind(rules, SegmentRules, "rules", "load_segment_rules")
        _check_kind(policy, ServicePolicy, "policy", "load_service_policy")
        scorer = RFMScorer().fit(features) if self.scorer is None else self.scorer
        _check_kind(scorer, RFMScorer, "scorer", "RFMScorer().fit(features)")
        self.scorer_, self.rules_, self.policy_ = scorer, rules, policy
        self.abc_thresholds_ = _abc_thresholds(features, abc["tier"])
        # the purchase models share nothing with the value tiers: fitted in a thread beside
        # the clustering (numpy, scipy and scikit-learn release the GIL in their loops),
        # the same numbers in about 60% of the time on 2 cores
        with ThreadPoolExecutor(max_workers=1) as pool:
            purchases = pool.submit(_purchase_models, summary)
            self.segmenter_ = ValueSegmenter(k=self.value_tiers).fit(features)
            self.bgnbd_, self.gamma_gamma_ = purchases.result()
        self.horizon_days_ = horizon
        self.n_fitted_ = len(features)
        return self

    @staticmethod
    def inputs(features: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
        """The input frame of :meth:`transform` from client_features and rfm_summary frames.

        One row per row of ``features`` (same index), with
        :attr:`input_columns`; rfm_summary's ``frequency`` is renamed
        ``repeat_purchases``, and clients without a summary row get NaN there.

        Examples
        --------
        >>> import pandas as pd
        >>> ids = pd.Index(["a", "b"], name="client_id")
        >>> features = pd.DataFrame({"recency_days": [3.0, None], "frequency": [4, 0],
        ...                          "monetary": [90.0, -5.0]}, index=ids)
        >>> summary = pd.DataFrame({"frequency": [2.0], "recency": [40.0], "T": [43.0],
        ...                         "monetary_value": [30.0]}, index=ids[:1])
        >>> ClientModel.inputs(features, summary).loc["b"].isna().tolist()
        [True, False, False, True, True, True, True]
        """
        _require_columns(features, FEATURE_COLUMNS, "client_features")
        _require_columns(summary, tuple(SUMMARY_COLUMNS), "rfm_summary")
        renamed = summary[list(SUMMARY_COLUMNS)].rename(columns=SUMMARY_COLUMNS)
        return features[list(FEATURE_COLUMNS)].join(renamed)

    # -- placing clients ---------------------------------------------------------

    def transform(self, clients: pd.DataFrame, *, as_of: DateLike) -> pd.DataFrame:
        """Place clients: RFM, segment, ABC and value tier, expected value, next action.

        Parameters
        ----------
        clients
            One row per client, indexed by ``client_id``, with
            :attr:`input_columns` (build it with :meth:`inputs`).
        as_of
            The day the service plan starts (due dates are counted from it).

        Returns
        -------
        pandas.DataFrame
            Same index and order as ``clients``; the columns of
            :func:`segment_clients` from ``R`` on, without ``cumulative_share``:
            ``R, F, M, rfm_cell, segment, tier, value_tier, value_tier_name,
            expected_purchases, expected_spend_per_purchase, expected_value,
            probability_alive, service_level, next_action, next_action_zh,
            due_date, priority``. A row does not depend on the other rows.

        Raises
        ------
        ConfigError
            Before :meth:`fit`, or for an ``as_of`` that is not a date.
        DataValidationError
            A column is missing, or a summary row breaks the rfm_summary rules.
        """
        return self._transform(clients, as_of=as_of)

    def _transform(
        self, clients: pd.DataFrame, *, as_of: DateLike, value_tiers: np.ndarray | None = None
    ) -> pd.DataFrame:
        """:meth:`transform`, given the segmenter's tiers of ``clients`` when already known."""
        self._check_fitted()
        when = parse_as_of(as_of)
        _require_columns(clients, self.input_columns, "clients")
        features = clients[list(FEATURE_COLUMNS)]
        segments = rfm_segments(self.scorer_.transform(features), rules=self.rules_)
        segments["tier"] = self._tiers(clients)
        values = (
            self.segmenter_.labels(features)
            if value_tiers is None
            else self.segmenter_._labels_frame(value_tiers, features.index)
        )
        worth = self._worth(clients)
        table = pd.concat([segments, values, worth], axis=1)
        plan = service_plan(table, as_of=when, policy=self.policy_)
        table = pd.concat([table, plan], axis=1)
        table.attrs = {}
        return table

    def _tiers(self, clients: pd.DataFrame) -> pd.Categorical[Any]:
        """The ABC tier of each client against the fitted cut points."""
        money = clients["monetary"].to_numpy(dtype=np.float64, na_value=np.nan)
        n_bounds = len(self.abc_thresholds_)
        tier = np.zeros(len(clients), dtype=np.int64)
        # a loop over the (few) boundaries; each is vectorised over the clients
        for cut_money, cut_id in zip(
            self.abc_thresholds_["monetary"], self.abc_thresholds_["client_id"], strict=True
        ):
            if not isinstance(cut_id, str):
                continue  # no fitted client is past this boundary
            tier += money < cut_money
            # ids are compared only where the amount ties (a few clients, not a million)
            tied = np.flatnonzero(money == cut_money)
            tier[tied] += _text_ids(clients.index[tied]) >= cut_id
        tier[~(money > 0)] = n_bounds  # net <= 0 or missing: the last tier
        labels = [chr(ord("A") + i) for i in range(n_bounds + 1)]
        return pd.Categorical.from_codes(tier, dtype=pd.CategoricalDtype(labels, ordered=True))

    def _worth(self, clients: pd.DataFrame) -> pd.DataFrame:
        """Expected purchases, spend, value and P(alive); NaN for clients without a summary."""
        summary = clients[list(SUMMARY_COLUMNS.values())].rename(
            columns={v: k for k, v in SUMMARY_COLUMNS.items()}
        )
        known = summary.notna().all(axis=1).to_numpy()
        columns = (
            "expected_purchases",
            "expected_spend_per_purchase",
            "expected_value",
            "probability_alive",
        )
        if not known.any():
            return pd.DataFrame(np.nan, index=clients.index, columns=list(columns))
        worth = expected_value(
            summary[known],
            horizon_days=self.horizon_days_,
            bgnbd=self.bgnbd_,
            gamma_gamma=self.gamma_gamma_,
        )
        return worth.reindex(clients.index)

    # -- persistence -------------------------------------------------------------

    def to_json(self) -> str:
        """The fitted model as JSON (floats written exactly, no NaN tokens).

        Examples
        --------
        >>> from am_analytics import load_sample
        >>> model = fit_client_model(load_sample(), as_of="2026-11-15", value_tiers=4)
        >>> ClientModel.from_json(model.to_json()).to_json() == model.to_json()
        True
        """
        self._check_fitted()
        thresholds = self.abc_thresholds_
        payload = {
            "format": _FORMAT,
            "version": _VERSION,
            "value_tiers": self.value_tiers,
            "horizon_days": self.horizon_days_,
            "rules": self.rules_.to_dict(),
            "policy": self.policy_.to_dict(),
            "scorer": json.loads(self.scorer_.to_json()),
            "abc": {
                "shares": thresholds["shares"].tolist(),
                "monetary": [v if math.isfinite(v) else None for v in thresholds["monetary"]],
                "client_id": thresholds["client_id"].tolist(),
            },
            "segmenter": json.loads(self.segmenter_.to_json()),
            "bgnbd": json.loads(self.bgnbd_.to_json()),
            "gamma_gamma": json.loads(self.gamma_gamma_.to_json()),
            "n_fitted": self.n_fitted_,
        }
        return json.dumps(payload, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> ClientModel:
        """Rebuild a fitted model from :meth:`to_json`'s output.

        Raises
        ------
        ConfigError
            The text is not a client model of a known version, or a part of it
            is broken (the message says which).
        """
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != _FORMAT:
                raise ValueError("not a fitted ClientModel")
            if data.get("version") != _VERSION:
                raise ValueError(f"format version {data.get('version')}, expected {_VERSION}")
            model = cls(value_tiers=data["value_tiers"], horizon_days=data["horizon_days"])
            model.rules_ = SegmentRules.from_dict(data["rules"])
            model.policy_ = ServicePolicy.from_dict(data["policy"])
            model.scorer_ = RFMScorer.from_json(json.dumps(data["scorer"]))
            model.abc_thresholds_ = _thresholds_frame(
                data["abc"]["shares"], data["abc"]["monetary"], data["abc"]["client_id"]
            )
            model.segmenter_ = ValueSegmenter.from_json(json.dumps(data["segmenter"]))
            model.bgnbd_ = BetaGeoModel.from_json(json.dumps(data["bgnbd"]))
            model.gamma_gamma_ = GammaGammaModel.from_json(json.dumps(data["gamma_gamma"]))
            model.horizon_days_ = _check_horizon(data["horizon_days"], name="horizon_days")
            model.n_fitted_ = int(data["n_fitted"])
            model.rules, model.policy, model.scorer = model.rules_, model.policy_, model.scorer_
        except (ValueError, KeyError, TypeError, ConfigError) as error:
            raise ConfigError(
                f"cannot read the ClientModel JSON: {error}; give the text written by "
                "ClientModel.to_json()"
            ) from None
        return model

    # -- internals ---------------------------------------------------------------

    def _is_fitted(self) -> bool:
        """Whether :meth:`fit` (or :meth:`from_json`) has run."""
        return hasattr(self, "gamma_gamma_")

    def _check_fitted(self) -> None:
        """ConfigError before :meth:`fit`."""
        if not self._is_fitted():
            raise ConfigError(
                "this ClientModel is not fitted yet: call fit(features, summary) or "
                "fit_client_model(dataset, as_of=...), or load one with ClientModel.from_json"
            )


def fit_client_model(
    dataset: Dataset,
    *,
    as_of: DateLike | None = None,
    rules: SegmentRules | None = None,
    policy: ServicePolicy | None = None,
    value_tiers: int | str = "auto",
    horizon_days: float = 365.0,
) -> ClientModel:
    """The :class:`ClientModel` :func:`segment_clients` fits on a dataset's clients.

    Parameters
    ----------
    dataset
        A validated :class:`~am_analytics.Dataset`.
    as_of
        The day described (default: the dataset's ``as_of``).
    rules, policy, value_tiers, horizon_days
        As in :func:`segment_clients`.

    Returns
    -------
    ClientModel
        Fitted on the clients with a sale up to ``as_of`` (clients whose
        amounts overflow are set aside with a warning, as in
        :func:`segment_clients`).

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> fit_client_model(load_sample(), value_tiers=4).n_fitted_
    1852
    """
    when = _as_of(dataset, as_of, caller="fit_client_model")
    features, summary, _, _ = client_frames(dataset, as_of=when)
    model = ClientModel(
        rules=rules, policy=policy, value_tiers=value_tiers, horizon_days=horizon_days
    )
    return model.fit(features, summary)


def _purchase_models(summary: pd.DataFrame) -> tuple[BetaGeoModel, GammaGammaModel]:
    """The BG/NBD and Gamma-Gamma models of an rfm_summary frame."""
    return BetaGeoModel().fit(summary), GammaGammaModel().fit(summary)


def _as_of(dataset: Dataset, as_of: DateLike | None, *, caller: str) -> DateLike:
    """``as_of``, else the dataset's; ConfigError when neither is there."""
    when = as_of if as_of is not None else dataset.as_of
    if when is None:
        raise ConfigError(f"{caller} needs as_of: the dataset has none; pass as_of=...")
    return when


def client_frames(
    dataset: Dataset, *, as_of: DateLike
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str], np.ndarray | None]:
    """client_features and rfm_summary of the dataset, the clients set aside (and why).

    Also each kept feature row's position in ``sales.client_id``'s categories
    (None for a Dask sales table), to look clients up without comparing ids.
    """
    # one read of the sales for both frames (the two public calls would read it twice)
    features, summary, positions = _client_tables(dataset.sales, as_of=as_of)
    left_out = _not_finite(features, summary)
    if left_out:
        kept = ~features.index.isin(list(left_out))
        features = features.loc[kept]
        summary = summary.drop(index=list(left_out), errors="ignore")
        positions = None if positions is None else positions[kept]
    return features, summary, left_out, positions


def _not_finite(features: pd.DataFrame, summary: pd.DataFrame) -> dict[str, str]:
    """The clients with an infinite feature, and which; warns when there are any."""
    infinite_columns = [
        (frame, column, infinite)
        for frame in (features, summary)
        for column in frame.select_dtypes("number").columns
        if (infinite := np.isinf(frame[column].to_numpy(dtype=np.float64))).any()
    ]
    if not infinite_columns:  # the usual case: no text column of a million names to build
        return {}
    named = pd.Series("", index=features.index, dtype=object)
    for frame, column, infinite_rows in infinite_columns:
        infinite = frame.index[infinite_rows]
        before = named.loc[infinite]
        named.loc[infinite] = np.where(before == "", column, before + ", " + column)
    named = named[named != ""]
    reasons = named + " not finite (a sum of amounts past the largest float): not segmented"
    shown = "; ".join(
        f"{client} ({columns})" for client, columns in named.head(_SHOWN_CLIENTS).items()
    )
    more = f" and {len(named) - _SHOWN_CLIENTS} more" if len(named) > _SHOWN_CLIENTS else ""
    warnings.warn(
        f"{len(named)} client(s) set aside, the others segmented: infinite values in "
        f"{shown}{more}; check their sales for implausible amounts",
        NonFiniteValueWarning,
        stacklevel=4,  # past client_frames and segment_clients / fit_client_model
    )
    return {str(k): str(v) for k, v in reasons.items()}


def _abc_thresholds(features: pd.DataFrame, abc_tier: pd.Series | None = None) -> pd.DataFrame:
    """Per ABC boundary, the (monetary, client_id) of the first client past it.

    ``abc_tier`` is the ``tier`` column of :func:`abc_tiers` of ``features``
    when the caller already has it.
    """
    if abc_tier is None:
        abc_tier = abc_tiers(features, shares=ABC_SHARES)["tier"]
    tiers = abc_tier.cat.codes.to_numpy()
    money = features["monetary"].to_numpy(dtype=np.float64, na_value=np.nan)
    cut_money: list[float | None] = []
    cut_ids: list[str | None] = []
    for boundary in range(1, len(ABC_SHARES) + 1):
        # abc_tiers ranks positive revenue highest first, equal amounts by client id,
        # and tiers rise along that ranking: the first past the boundary is the
        # highest amount among those past it, the smallest id among equals
        past = (money > 0) & (tiers >= boundary)
        if not past.any():
            cut_money.append(None)
            cut_ids.append(None)
            continue
        highest = money[past].max()
        cut_money.append(float(highest))
        cut_ids.append(str(min(_text_ids(features.index[past & (money == highest)]))))
    return _thresholds_frame(list(ABC_SHARES), cut_money, cut_ids)


def _text_ids(index: pd.Index) -> np.ndarray:
    """Client ids as an object array of ``str``, for comparisons in text order."""
    return np.asarray(index.astype(str), dtype=object)


def _thresholds_frame(
    shares: list[Any], monetary: list[Any], client_ids: list[Any]
) -> pd.DataFrame:
    """The ABC cut points as a frame, checked to line up."""
    if not len(shares) == len(monetary) == len(client_ids) or not shares:
        raise ValueError("the ABC shares, amounts and client ids must have one entry per boundary")
    if any((m is None) != (c is None) for m, c in zip(monetary, client_ids, strict=True)):
        raise ValueError("an ABC cut point needs both its amount and its client id")
    index = pd.RangeIndex(1, len(shares) + 1, name="boundary")
    ids = [None if c is None else str(c) for c in client_ids]
    return pd.DataFrame(
        {
            "shares": np.asarray(shares, dtype=np.float64),
            "monetary": np.array(
                [math.nan if m is None else float(m) for m in monetary], dtype=np.float64
            ),
            # object, not text: a boundary no client passes keeps None, not NaN
            "client_id": pd.Series(ids, index=index, dtype=object),
        },
        index=index,
    )


def _check_kind(value: object, kind: type, name: str, how: str) -> None:
    """ConfigError unless ``value`` is a ``kind``."""
    if not isinstance(value, kind):
        raise ConfigError(
            f"{name} must be a {kind.__name__} (see {how}), not {type(value).__name__}"
        )


def _require_columns(frame: object, columns: tuple[str, ...], name: str) -> None:
    """DataValidationError unless ``frame`` is a DataFrame holding ``columns``."""
    if not isinstance(frame, pd.DataFrame):
        raise DataValidationError(
            f"{name} must be a DataFrame indexed by client_id, not {type(frame).__name__}"
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"{name} lacks the column(s) {missing}; ClientModel.input_columns are "
            f"{list(ClientModel.input_columns)}: build them with ClientModel.inputs("
            "client_features(...), rfm_summary(...))",
            missing={name: missing},
        )
