"""The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar, Final, Self

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1, log_expit

from ..errors import ConfigError
from ._fitted_model import FittedClvModel
from ._likelihood import (
    FloatArray,
    IntArray,
    _check_horizon,
    _check_max_iterations,
    _check_population,
    _collapse,
    _dot,
    _maximize,
    _read_summary,
)

#: The shape parameters of each model and what their distribution spreads.
_BGNBD_SHAPES: Final = MappingProxyType(
    {"r": "purchase rates", "a": "dropout probabilities", "b": "dropout probabilities"}
)


#: Half-width of the interval around a = 1 where the BG/NBD expectation, 0/0
#: there, is interpolated (at its ends the formula still holds about 10 digits).
_NEAR_SINGULAR: Final = 1e-6


#: The trapezoid rule of _purchases_by_quadrature: step in u, the coarse grid on
#: which the integrand's peak is found, and rows per block.
_QUADRATURE_STEP: Final = 0.05


_PEAK_GRID: Final = np.arange(-200.0, 60.5, 0.5)


_QUADRATURE_BLOCK: Final = 2048


class BetaGeoModel(FittedClvModel):
    """The BG/NBD model of repeat purchases and dropout (Fader, Hardie & Lee 2005a).

    Parameters
    ----------
    max_iterations
        Most L-BFGS-B iterations of :meth:`fit`.

    Attributes
    ----------
    r_, alpha_
        Shape and rate of the Gamma distribution of purchase rates across
        clients (``alpha_`` is in the summary's time unit: fitted on days, it
        is 7 times its value fitted on weeks; the other parameters do not
        change).
    a_, b_
        The Beta distribution of the dropout probability after a purchase.
    log_likelihood_
        The maximised log-likelihood (NaN from :meth:`from_params`).
    n_clients_
        Clients fitted on (0 from :meth:`from_params`).

    Notes
    -----
    The summary is an ``rfm_summary`` frame: ``frequency`` (x, repeat
    purchases), ``recency`` (t_x, time from the first to the last purchase)
    and ``T`` (time from the first purchase to the end of the observation),
    in one time unit (days by default). The log-likelihood of a client is
    equation (6) of the paper; it is maximised over the logs of the
    parameters from r = a = b = 1, α = r × total T / total x.

    Examples
    --------
    The parameters published for the CDNOW data (weeks), and the paper's
    example client (x = 2, t_x = 30.43, T = 38.86), who is expected to make
    1.226 repeat purchases in the next 39 weeks:

    >>> import pandas as pd
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> client = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86]})
    >>> round(float(model.expected_purchases(39, client).iloc[0]), 3)
    1.226
    """

    _KIND: ClassVar[str] = "BetaGeoModel"
    _PARAMS: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")

    r_: float
    alpha_: float
    a_: float
    b_: float

    def fit(self, summary: pd.DataFrame) -> Self:
        """Fit the four parameters to ``summary`` by maximum likelihood.

        Parameters
        ----------
        summary
            An ``rfm_summary`` frame (``frequency``, ``recency``, ``T``; other
            columns are ignored).

        Returns
        -------
        BetaGeoModel
            This model, fitted.

        Raises
        ------
        DataValidationError
            If a column is missing or a row breaks the summary's rules.
        ConfigError
            With fewer than :data:`MIN_CLIENTS` clients, or when no client
            made a repeat purchase (then nothing tells how often clients buy
            or drop out).

        Warns
        -----
        ClvFitWarning
            When the optimiser does not converge, a parameter runs to its
            bound, or r, a or b passes 10⁴ (the clients show no spread in
            purchase rate or dropout, and the fit runs off to that limit).

        Examples
        --------
        >>> import pandas as pd
        >>> summary = pd.DataFrame({
        ...     "frequency": [0, 0, 0, 0, 1, 1, 2, 3, 5, 8, 1, 4, 0, 2, 6],
        ...     "recency": [0, 0, 0, 0, 30, 5, 40, 60, 70, 85, 80, 20, 0, 10, 88],
        ...     "T": [90] * 15,
        ... })
        >>> model = BetaGeoModel().fit(summary)
        >>> {name: round(value, 2) for name, value in model.params_.items()}
        {'r': 0.57, 'alpha': 13.1, 'a': 2.59, 'b': 14.05}
        >>> model.n_clients_
        15
        """
        _check_max_iterations(self.max_iterations)
        columns = _read_summary(summary, ("frequency", "recency", "T"), caller="BetaGeoModel.fit")
        x, tx, age = columns["frequency"], columns["recency"], columns["T"]
        _check_population(len(x), what="clients", model="BG/NBD")
        if not (x > 0).any():
            raise ConfigError(
                f"the BG/NBD model needs repeat purchases to fit, but none of the {len(x)} "
                "clients made one (all frequency = 0): nothing tells how often clients buy or "
                "drop out. Fit on a longer history or a larger population, or pass a model "
                "fitted elsewhere (BetaGeoModel.from_params or from_json)"
            )
        histories = _Histories.of(x, tx, age)
        start = np.log([1.0, max(float(age.sum() / x.sum()), 1e-6), 1.0, 1.0])
        log_params, log_likelihood = _maximize(
            histories.negative_mean_loglik,
            start,
            clients=len(x),
            names=("r", "alpha", "a", "b"),
            shapes=_BGNBD_SHAPES,
            model="BG/NBD",
            max_iterations=self.max_iterations,
        )
        self.r_, self.alpha_, self.a_, self.b_ = (float(v) for v in np.exp(log_params))
        self.log_likelihood_ = log_likelihood
        self.n_clients_ = len(x)
        return self

    @classmethod
    def from_params(cls, *, r: float, alpha: float, a: float, b: float) -> BetaGeoModel:
        """A model with given parameters, e.g. published ones or fitted elsewhere.

        Examples
        --------
        >>> BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)
        """
        return cls._with_params({"r": r, "alpha": alpha, "a": a, "b": b})

    def expected_purchases(self, t: float, summary: pd.DataFrame) -> pd.Series:
        """Each client's expected number of purchases in the next ``t`` time units.

        Parameters
        ----------
        t
            Length of the coming period, in the summary's time unit.
        summary
            An ``rfm_summary`` frame (``frequency``, ``recency``, ``T``).

        Returns
        -------
        pandas.Series
            ``expected_purchases`` (float), indexed like ``summary``.

        Notes
        -----
        E[Y(t) | x, t_x, T], equation (10) of Fader, Hardie & Lee (2005a)::

            (a+b+x-1)/(a-1) × [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)]
            / [1 + δ(x>0) a/(b+x-1) ((α+T)/(α+t_x))^(r+x)],   z = t/(α+T+t).

        The Gauss hypergeometric term is evaluated after Euler's transformation,
        ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^(a-1) 2F1(a+b-1-r,
        a-1; c; z), whose series stays well-conditioned for clients with many
        purchases. At a = 1 the formula is 0/0; within 10⁻⁶ of it the values
        either side are interpolated. Where scipy's 2F1 fails (it returns inf
        for some large a + b + x with t much longer than α + T), the
        expectation is integrated numerically over the dropout probability.

        Examples
        --------
        >>> import pandas as pd
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> clients = pd.DataFrame({"frequency": [0.0, 2.0], "recency": [0.0, 30.43],
        ...                         "T": [38.86, 38.86]}, index=["new", "regular"])
        >>> model.expected_purchases(39, clients).round(3)
        new        0.195
        regular    1.226
        Name: expected_purchases, dtype: float64
        """
        self._check_fitted()
        horizon = _check_horizon(t, name="t")
        columns = _read_summary(
            summary, ("frequency", "recency", "T"), caller="BetaGeoModel.expected_purchases"
        )
        values = _bgnbd_expectation(
            self._params(), horizon, columns["frequency"], columns["recency"], columns["T"]
        )
        return pd.Series(values, index=summary.index.copy(), name="expected_purchases")

    def probability_alive(self, summary: pd.DataFrame) -> pd.Series:
        """Each client's probability of still being active at the end of the observation.

        Returns
        -------
        pandas.Series
            ``probability_alive`` (float in (0, 1]), indexed like ``summary``.

        Notes
        -----
        P(alive | x, t_x, T) = 1 / [1 + δ(x>0) a/(b+x-1) ((α+T)/(α+t_x))^(r+x)]
        (Fader, Hardie & Lee 2008). A client without repeat purchases is alive
        by the model's assumptions (dropout happens only after a repeat
        purchase), so gets 1.

        Examples
        --------
        >>> import pandas as pd
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> clients = pd.DataFrame({"frequency": [0.0, 2.0, 2.0], "recency": [0.0, 30.43, 5.0],
        ...                         "T": [38.86, 38.86, 38.86]})
        >>> model.probability_alive(clients).round(3).tolist()
        [1.0, 0.727, 0.124]
        """
        self._check_fitted()
        columns = _read_summary(
            summary, ("frequency", "recency", "T"), caller="BetaGeoModel.probability_alive"
        )
        values = _bgnbd_alive(
            self._params(), columns["frequency"], columns["recency"], columns["T"]
        )
        return pd.Series(values, index=summary.index.copy(), name="probability_alive")

    def _params(self) -> tuple[float, float, float, float]:
        return self.r_, self.alpha_, self.a_, self.b_


@dataclass(frozen=True, slots=True)
class _Histories:
    """The distinct (x, t_x, T) histories of a summary, for the BG/NBD likelihood.

    Clients with the same history are one row with a weight. The special
    functions depend on x alone and the logarithms on T or t_x alone, so each
    is evaluated once per distinct value and gathered: the likelihood's cost
    grows with the distinct histories, not with the clients.
    """

    x: FloatArray
    weights: FloatArray
    x_values: FloatArray
    x_index: IntArray
    x_weights: FloatArray
    age_values: FloatArray
    age_index: IntArray
    recency_values: FloatArray
    recency_index: IntArray

    @classmethod
    def of(cls, x: FloatArray, tx: FloatArray, age: FloatArray) -> _Histories:
        (x, tx, age), weights = _collapse([x, tx, age])
        x_values, x_index = np.unique(x, return_inverse=True)
        age_values, age_index = np.unique(age, return_inverse=True)
        recency_values, recency_index = np.unique(tx, return_inverse=True)
        return cls(
            x=x,
            weights=weights,
            x_values=x_values,
            x_index=x_index,
            x_weights=np.bincount(x_index, weights=weights, minlength=len(x_values)).astype(
                np.float64
            ),
            age_values=age_values,
            age_index=age_index,
            recency_values=recency_values,
            recency_index=recency_index,
        )

    def negative_mean_loglik(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Minus the mean BG/NBD log-likelihood and its gradient in the log-parameters.

        Per client, with δ = [x > 0] (equation 6 of the paper, in logs)::

            ln L = A(x) + ln(e^B1 + δ e^B2)
            A  = lnΓ(r+x) - lnΓ(r) + r ln α + lnΓ(a+b) + lnΓ(b+x) - lnΓ(b) - lnΓ(a+b+x)
            B1 = -(r+x) ln(α+T)
            B2 = ln a - ln(b+x-1) - (r+x) ln(α+t_x)
        """
        r, alpha, a, b = np.exp(theta)
        xs, x, w = self.x_values, self.x, self.weights
        # per distinct frequency; b + x - 1 is kept positive where δ = 0 ignores it
        b_x1 = b + np.maximum(xs, 1.0) - 1.0
        common = (
            gammaln(r + xs)
            - gammaln(r)
            + r * math.log(alpha)
            + gammaln(a + b)
            + gammaln(b + xs)
            - gammaln(b)
            - gammaln(a + b + xs)
        )
        log_odds = (math.log(a) - np.log(b_x1))[self.x_index]
        # per history
        log_age = np.log(alpha + self.age_values)[self.age_index]
        log_recency = np.log(alpha + self.recency_values)[self.recency_index]
        first = -(r + x) * log_age
        second = np.where(x > 0, log_odds - (r + x) * log_recency, -np.inf)
        mixture = np.logaddexp(first, second)
        # the share of the second (dropped out after t_x) term in the mixture
        share = np.exp(second - mixture)
        inverse_age = (1.0 / (alpha + self.age_values))[self.age_index]
        inverse_recency = (1.0 / (alpha + self.recency_values))[self.recency_index]
        psi_ab, psi_abx = digamma(a + b), digamma(a + b + xs)
        total, xw = float(w.sum()), self.x_weights
        loglik = _dot(xw, common) + _dot(w, mixture)
        gradient = np.array(
            [
                r * _dot(xw, digamma(r + xs) - digamma(r) + math.log(alpha))
                - r * _dot(w, log_age + share * (log_recency - log_age)),
                r * total
                - alpha
                * _dot(w, (r + x) * (inverse_age + share * (inverse_recency - inverse_age))),
                a * _dot(xw, psi_ab - psi_abx) + _dot(w, share),
                b * _dot(xw, psi_ab + digamma(b + xs) - digamma(b) - psi_abx)
                - b * _dot(w, share / b_x1[self.x_index]),
            ]
        )
        return -float(loglik) / total, -gradient / total


def _bgnbd_alive(
    params: tuple[float, float, float, float], x: FloatArray, tx: FloatArray, age: FloatArray
) -> FloatArray:
    """P(alive | x, t_x, T), as a logistic of the log odds of having dropped out."""
    r, alpha, a, b = params
    log_odds_dead = (
        math.log(a)
        - np.log(b + np.maximum(x, 1.0) - 1.0)
        + (r + x) * (np.log(alpha + age) - np.log(alpha + tx))
    )
    return np.where(x > 0, expit(-log_odds_dead), 1.0)


def _bgnbd_expectation(
    params: tuple[float, float, float, float],
    t: float,
    x: FloatArray,
    tx: FloatArray,
    age: FloatArray,
) -> FloatArray:
    """E[Y(t) | x, t_x, T] (equation 10): P(alive) × the purchases expected if alive."""
    return _purchases_if_alive(params, t, x, age) * _bgnbd_alive(params, x, tx, age)


def _purchases_if_alive(
    params: tuple[float, float, float, float], t: float, x: FloatArray, age: FloatArray
) -> FloatArray:
    """The numerator of equation (10): purchases expected if alive; depends on x and T only.

    The function is smooth in a, but the formula is 0/0 at a = 1: within 10⁻⁶ of
    it the values at a = 1 ± 10⁻⁶ are interpolated.
    """
    r, alpha, a, b = params
    if abs(a - 1.0) >= _NEAR_SINGULAR:
        values = _purchases_if_alive_at(r, alpha, a, b, t, x, age)
    else:
        below, above = (
            _purchases_if_alive_at(r, alpha, 1.0 + side * _NEAR_SINGULAR, b, t, x, age)
            for side in (-1.0, 1.0)
        )
        values = below + (a - 1.0 + _NEAR_SINGULAR) / (2.0 * _NEAR_SINGULAR) * (above - below)
    # for t near 0, 1 - tail can come out a rounding error below 0
    return np.maximum(values, 0.0)


def _purchases_if_alive_at(
    r: float, alpha: float, a: float, b: float, t: float, x: FloatArray, age: FloatArray
) -> FloatArray:
    """(a+b+x-1)/(a-1) × [1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)], for a != 1.

    Where scipy's 2F1 returns a number it is accurate: against 300-digit mpmath
    over r, a in [0.01, 50], b in [0.01, 2000] and x to 1000, within 1e-8
    (1e-6 when t is tiny against α + T and the result near 0). But it returns
    inf or NaN at some points: large a+b+x with z near 1 (gamma
    functions of its transformation overflow), exact coincidences such as
    2F1(-1/2, -1/2; 99; 10/11), and c = 0 (x = 0, a + b = 1). There the value
    is integrated numerically instead (:func:`_purchases_by_quadrature`).
    """
    z = t / (alpha + age + t)
    c = a + b + x - 1.0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        tail = np.exp((a - 1.0) * np.log1p(-z)) * hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
        values = np.asarray(c / (a - 1.0) * (1.0 - tail), dtype=np.float64)
    failed = ~np.isfinite(values)
    if failed.any():
        values[failed] = _purchases_by_quadrature(r, alpha, a, b, t, x[failed], age[failed])
    return values


def _purchases_by_quadrature(
    r: float, alpha: float, a: float, b: float, t: float, x: FloatArray, age: FloatArray
) -> FloatArray:
    """The purchases expected if alive, by numerical integration over the dropout probability.

    Given alive, a client's λ is Gamma(r+x, α+T) and p is Beta(a, b+x), and one
    with (λ, p) buys (1 - e^(-λpt)) / p times in t; averaging over λ leaves

        E_p[(1 - (1 + pτ)^-(r+x)) / p],  τ = t / (α+T),

    which is the same function as the 2F1 formula. In the logit v of p the
    integrand is smooth and falls off exponentially on both sides, so after
    v = v0 ± e^u (v0 its peak on a coarse grid) the trapezoid rule in u converges
    geometrically: a step of 0.05 gives about 1e-11 against 300-digit mpmath.
    """
    out = np.zeros(len(x))
    if t == 0.0:
        return out
    # rows are done in blocks to bound the memory of the (rows × nodes) arrays
    for start in range(0, len(x), _QUADRATURE_BLOCK):
        block = slice(start, start + _QUADRATURE_BLOCK)
        out[block] = _integrate_block(r, alpha, a, b, t, x[block], age[block])
    return out


def _integrate_block(
    r: float, alpha: float, a: float, b: float, t: float, x: FloatArray, age: FloatArray
) -> FloatArray:
    """One block of :func:`_purchases_by_quadrature` (t > 0)."""
    beta, bought = (b + x)[:, None], (r + x)[:, None]
    log_tau = np.log(t / (alpha + age))[:, None]
    log_norm = betaln(a, beta)
    coarse = _log_integrand(_PEAK_GRID[None, :], a, beta, bought, log_tau)
    peak = _PEAK_GRID[np.argmax(coarse, axis=1)][:, None]
    # far enough that both tails (rates a and b+x in v) are below 1e-26 of the peak
    reach = math.log(60.0 / min(a, 1.0) + 60.0 / min(b, 1.0) + 100.0)
    offset = np.exp(np.arange(-30.0, reach + _QUADRATURE_STEP, _QUADRATURE_STEP))[None, :]
    values = sum(
        np.exp(_log_integrand(peak + side * offset, a, beta, bought, log_tau) - log_norm)
        for side in (-1.0, 1.0)
    )
    return (values * offset).sum(axis=1) * _QUADRATURE_STEP


def _log_integrand(
    v: FloatArray, a: float, beta: FloatArray, bought: FloatArray, log_tau: FloatArray
) -> FloatArray:
    """log of p^(a-1) (1-p)^beta (1 - (1 + pτ)^-bought), p = expit(v): the integrand in v."""
    log_p = log_expit(v)
    log_p_tau = log_p + log_tau
    # for tiny pτ, 1 - (1 + pτ)^-s = s pτ (1 - (s+1) pτ / 2 + ...): no underflow to log(0);
    # both forms are computed everywhere and each kept where it is the accurate one
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        direct = np.log(-np.expm1(-bought * np.log1p(np.exp(log_p_tau))))
        series = np.log(bought) + log_p_tau + np.log1p(-(bought + 1.0) / 2.0 * np.exp(log_p_tau))
    return (a - 1.0) * log_p + beta * log_expit(-v) + np.where(log_p_tau < -20.0, series, direct)
