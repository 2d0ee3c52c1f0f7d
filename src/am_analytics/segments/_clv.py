"""Expected purchases, spend and value per client: the BG/NBD and Gamma-Gamma models.

Two probability models of a client base, fitted by maximum likelihood on an
:func:`~am_analytics.segments._features.rfm_summary` frame:

* :class:`BetaGeoModel`, the BG/NBD model of Fader, Hardie & Lee (2005a): while
  active, a client buys at a Poisson rate λ; after each repeat purchase the
  client drops out for good with probability p; λ varies across clients as
  Gamma(r, α) and p as Beta(a, b). It gives each client's expected number of
  repeat purchases over a coming period and the probability of still being
  active.
* :class:`GammaGammaModel`, the Gamma-Gamma model of spend per purchase (Fader,
  Hardie & Lee 2005b; Fader & Hardie 2013): a client's purchase amounts are
  Gamma(p, ν) around a client mean, with ν varying across clients as Gamma(q, γ)
  (γ is ``v_`` here). It shrinks each client's observed mean spend towards the
  population mean, the less the fewer purchases it rests on.

:func:`expected_value` puts the two together: expected purchases × expected
spend per purchase over a horizon, optionally discounted.

Fitting. Both models are fitted by maximum likelihood with scipy's L-BFGS-B on
the logarithms of their parameters (so they stay positive without constraints),
with analytic gradients. Clients with identical inputs are collapsed into one
weighted row first, which makes the work grow with the number of distinct
histories rather than of clients. Data that cannot identify a model (too few
clients, no repeat purchase) raise :class:`~am_analytics.errors.ConfigError`;
a fit that does not converge or runs off to a limit warns
(:class:`ClvFitWarning`). PyMC-Marketing implements the same models, but it
brings PyMC and PyTensor, which compile at import, too slow for our CI.

References
----------
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005a). "Counting your customers"
the easy way: an alternative to the Pareto/NBD model. *Marketing Science*
24(2), 275-284.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005b). RFM and CLV: using
iso-value curves for customer base analysis. *Journal of Marketing Research*
42(4), 415-430.

Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary
value. Note, brucehardie.com/notes/025.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2008). Computing P(alive) using
the BG/NBD model. Note, brucehardie.com/notes/021.
"""

from __future__ import annotations

import math
from typing import Final, TypeVar

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ._bgnbd import BetaGeoModel, _bgnbd_alive, _bgnbd_expectation, _purchases_if_alive
from ._gamma_gamma import GammaGammaModel
from ._likelihood import (
    TIME_UNITS,
    FloatArray,
    TimeUnit,
    _check_discount_rate,
    _check_horizon,
    _distinct,
    _read_summary,
)

#: Days per year, for the annual discount rate.
_DAYS_PER_YEAR: Final = 365.0


#: Length of the steps that discounting sums over (about a month).
_DISCOUNT_STEP_DAYS: Final = 30.0


def expected_value(
    summary: pd.DataFrame,
    *,
    horizon_days: float = 365.0,
    time_unit: TimeUnit = "D",
    discount_rate: float = 0.0,
    bgnbd: BetaGeoModel | None = None,
    gamma_gamma: GammaGammaModel | None = None,
) -> pd.DataFrame:
    """Each client's expected purchases, spend and value over the coming ``horizon_days``.

    Parameters
    ----------
    summary
        An ``rfm_summary`` frame: ``frequency``, ``recency``, ``T`` and
        ``monetary_value``, one row per client.
    horizon_days
        Length of the coming period, in days.
    time_unit
        The unit of the summary's ``recency`` and ``T``, as given to
        ``rfm_summary``: ``"D"`` (days, the default), ``"W"`` (weeks) or
        ``"M"`` (months of 365.25 / 12 days). The horizon is converted to it;
        the models work in it, so models passed in must have been fitted on
        a summary in the same unit.
    discount_rate
        Annual discount rate (0.1 for 10 %); 0, the default, leaves the
        value undiscounted. See Notes.
    bgnbd, gamma_gamma
        Fitted models to use. A model not given is fitted on ``summary``
        (:meth:`BetaGeoModel.fit`, :meth:`GammaGammaModel.fit`), which raises
        :class:`~am_analytics.errors.ConfigError` when the summary cannot
        identify it (too few clients, no repeat purchases); pass models
        fitted on a larger population then, e.g. to value a handful of
        clients.

    Returns
    -------
    pandas.DataFrame
        One row per client, indexed like ``summary``.

    Raises
    ------
    ConfigError
        For a horizon, time unit or discount rate out of range, an unfitted
        model, or a summary that cannot be fitted.
    DataValidationError
        If a column is missing or a row breaks the summary's rules
        (``frequency`` a whole number >= 0, 0 <= ``recency`` <= ``T``,
        ``recency`` = 0 without repeat purchases, all finite).

    Notes
    -----
    Output columns (all float):

    ``expected_purchases``
        Expected purchases over the horizon, E[Y(t) | x, t_x, T] of the
        BG/NBD model (:meth:`BetaGeoModel.expected_purchases`); undiscounted.
    ``expected_spend_per_purchase``
        Expected mean amount of those purchases, from the Gamma-Gamma model
        (:meth:`GammaGammaModel.expected_spend`); the population mean for
        clients without repeat purchases.
    ``expected_value``
        ``expected_purchases × expected_spend_per_purchase`` when
        ``discount_rate`` is 0. Otherwise the horizon is cut into equal steps
        of about 30 days and each step's expected purchases are valued at
        ``(1 + discount_rate) ** -(step end in days / 365)``, so purchases
        later in the horizon count for less.
    ``probability_alive``
        Probability that the client is still active now
        (:meth:`BetaGeoModel.probability_alive`).

    The two models are independent: frequency does not inform spend per
    purchase. Margins are not applied: multiply ``expected_value`` by a
    margin for profit.

    Examples
    --------
    With the models published for the CDNOW data (in weeks), the paper's
    example client over the next 39 weeks:

    >>> import pandas as pd
    >>> bgnbd = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> gamma_gamma = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    >>> client = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86],
    ...                        "monetary_value": [22.35]}, index=["C1"])
    >>> value = expected_value(client, horizon_days=39 * 7, time_unit="W",
    ...                        bgnbd=bgnbd, gamma_gamma=gamma_gamma)
    >>> value.loc["C1"].round(3)
    expected_purchases              1.226
    expected_spend_per_purchase    24.664
    expected_value                 30.238
    probability_alive               0.727
    Name: C1, dtype: float64
    """
    horizon = _check_horizon(horizon_days, name="horizon_days")
    if time_unit not in TIME_UNITS:
        raise ConfigError(
            f"time_unit must be one of {sorted(TIME_UNITS)} (the unit of recency and T in "
            f"the summary), not {time_unit!r}"
        )
    rate = _check_discount_rate(discount_rate)
    columns = _read_summary(
        summary, ("frequency", "recency", "T", "monetary_value"), caller="expected_value"
    )
    bgnbd = _fitted_or_fit(bgnbd, BetaGeoModel, summary, name="bgnbd")
    gamma_gamma = _fitted_or_fit(gamma_gamma, GammaGammaModel, summary, name="gamma_gamma")
    x, tx, age = columns["frequency"], columns["recency"], columns["T"]
    params = bgnbd._params()
    unit_days = TIME_UNITS[time_unit]
    purchases = _bgnbd_expectation(params, horizon / unit_days, x, tx, age)
    spend = gamma_gamma.expected_spend(summary).to_numpy()
    if rate == 0.0:
        value = purchases * spend
    else:
        value = _discounted_purchases(params, horizon, unit_days, rate, x, tx, age) * spend
    out = {
        "expected_purchases": purchases,
        "expected_spend_per_purchase": spend,
        "expected_value": value,
        "probability_alive": _bgnbd_alive(params, x, tx, age),
    }
    return pd.DataFrame(out, index=summary.index.copy(), copy=False)


def _discounted_purchases(
    params: tuple[float, float, float, float],
    horizon_days: float,
    unit_days: float,
    rate: float,
    x: FloatArray,
    tx: FloatArray,
    age: FloatArray,
) -> FloatArray:
    """Expected purchases over the horizon, each step's discounted to today."""
    steps = max(1, math.ceil(horizon_days / _DISCOUNT_STEP_DAYS - 1e-9))
    alive = _bgnbd_alive(params, x, tx, age)
    # the hypergeometric part depends on (x, T) alone, which far fewer clients differ in
    (x_distinct, age_distinct), _, inverse = _distinct([x, age])
    total = np.zeros_like(x)
    previous = np.zeros_like(x_distinct)
    # a loop over the (few) time steps; each step is vectorised over all clients
    for step in range(1, steps + 1):
        end_days = horizon_days * step / steps
        cumulative = _purchases_if_alive(params, end_days / unit_days, x_distinct, age_distinct)
        factor = (1.0 + rate) ** (-end_days / _DAYS_PER_YEAR)
        total += (cumulative - previous)[inverse] * factor
        previous = cumulative
    return total * alive


_Model = TypeVar("_Model", BetaGeoModel, GammaGammaModel)


def _fitted_or_fit(
    model: object, kind: type[_Model], summary: pd.DataFrame, *, name: str
) -> _Model:
    """The model given, checked to be a fitted ``kind``; else ``kind`` fitted on ``summary``."""
    if model is None:
        return kind().fit(summary)
    if not isinstance(model, kind):
        raise ConfigError(f"{name} must be a {kind.__name__}, not {type(model).__name__}")
    model._check_fitted()
    return model
