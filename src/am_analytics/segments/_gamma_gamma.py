"""The Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar, Final, Self

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from ._fitted_model import FittedClvModel
from ._likelihood import (
    ClvFitWarning,
    FloatArray,
    _check_max_iterations,
    _check_population,
    _collapse,
    _dot,
    _maximize,
    _read_summary,
)

_GAMMA_GAMMA_SHAPES: Final = MappingProxyType(
    {"p": "a client's purchase amounts", "q": "the clients' mean spend"}
)


class GammaGammaModel(FittedClvModel):
    """The Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005b).

    Parameters
    ----------
    max_iterations
        Most L-BFGS-B iterations of :meth:`fit`.

    Attributes
    ----------
    p_
        Shape of a purchase amount's Gamma distribution around its client's mean.
    q_, v_
        Shape and scale (γ, in money) of the Gamma distribution, across
        clients, of that distribution's rate.
    log_likelihood_
        The maximised log-likelihood (NaN from :meth:`from_params`).
    n_clients_
        Clients fitted on: those with ``frequency > 0`` and ``monetary_value > 0``
        (0 from :meth:`from_params`).

    Notes
    -----
    Fitted on each repeat buyer's number of repeat purchases x and mean
    repeat spend m (``frequency`` and ``monetary_value`` of ``rfm_summary``);
    the log-likelihood of a client is ln Γ(px+q) - ln Γ(px) - ln Γ(q) + q ln γ
    + (px-1) ln m + px ln x - (px+q) ln(γ + x m) (the density of the mean of
    x purchases, Fader & Hardie 2013), maximised over the logs of the
    parameters from p = 1, q = 2, γ = the mean of m. The model assumes that
    spend per purchase does not depend on how often a client buys; check that
    the two are weakly correlated before relying on it.

    Examples
    --------
    The parameters published for the CDNOW data:

    >>> model = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    >>> round(model.population_mean_spend_, 2)
    35.22
    """

    _KIND: ClassVar[str] = "GammaGammaModel"
    _PARAMS: ClassVar[tuple[str, ...]] = ("p", "q", "v")

    p_: float
    q_: float
    v_: float

    @property
    def population_mean_spend_(self) -> float:
        """The mean spend per purchase across clients, p γ / (q - 1); NaN when q <= 1."""
        self._check_fitted()
        return self.p_ * self.v_ / (self.q_ - 1.0) if self.q_ > 1.0 else math.nan

    def fit(self, summary: pd.DataFrame) -> Self:
        """Fit p, q and γ to the repeat buyers of ``summary`` by maximum likelihood.

        Parameters
        ----------
        summary
            An ``rfm_summary`` frame (``frequency``, ``monetary_value``). Only
            clients with ``frequency > 0`` and ``monetary_value > 0`` are used:
            one-time buyers have no repeat spend, and the model has no room for
            a mean at or below zero (net refunds).

        Returns
        -------
        GammaGammaModel
            This model, fitted.

        Raises
        ------
        DataValidationError
            If a column is missing or a row breaks the summary's rules.
        ConfigError
            With fewer than :data:`MIN_CLIENTS` such clients.

        Warns
        -----
        ClvFitWarning
            When the optimiser does not converge, a parameter runs to its
            bound, p or q passes 10⁴ (e.g. every client spends the same), or
            q <= 1 (no finite population mean spend).

        Examples
        --------
        >>> import pandas as pd
        >>> summary = pd.DataFrame({
        ...     "frequency": [1, 2, 3, 1, 4, 2, 1, 6, 2, 3, 0, 1],
        ...     "monetary_value": [20.0, 35.5, 18.0, 60.0, 25.0, 41.0,
        ...                        12.5, 30.0, 22.0, 80.0, 0.0, 27.0],
        ... })
        >>> model = GammaGammaModel().fit(summary)
        >>> model.n_clients_
        11
        """
        _check_max_iterations(self.max_iterations)
        columns = _read_summary(
            summary, ("frequency", "monetary_value"), caller="GammaGammaModel.fit"
        )
        x, spend = columns["frequency"], columns["monetary_value"]
        usable = (x > 0) & (spend > 0)
        _check_population(
            int(usable.sum()),
            what="clients with repeat purchases and a positive monetary_value",
            model="Gamma-Gamma",
        )
        spends = _Spends.of(x[usable], spend[usable])
        start = np.log([1.0, 2.0, float(spend[usable].mean())])
        log_params, log_likelihood = _maximize(
            spends.negative_mean_loglik,
            start,
            clients=int(usable.sum()),
            names=("p", "q", "v"),
            shapes=_GAMMA_GAMMA_SHAPES,
            model="Gamma-Gamma",
            max_iterations=self.max_iterations,
        )
        self.p_, self.q_, self.v_ = (float(v) for v in np.exp(log_params))
        self.log_likelihood_ = log_likelihood
        self.n_clients_ = int(usable.sum())
        if self.q_ <= 1.0:
            warnings.warn(
                f"the Gamma-Gamma fit gives q = {self.q_:.4g} <= 1: spend per purchase has no "
                "finite mean across clients, so clients without repeat purchases get no "
                "expected spend (NaN). Look for extreme amounts in monetary_value",
                ClvFitWarning,
                stacklevel=2,
            )
        return self

    @classmethod
    def from_params(cls, *, p: float, q: float, v: float) -> GammaGammaModel:
        """A model with given parameters, e.g. published ones or fitted elsewhere.

        Examples
        --------
        >>> GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
        GammaGammaModel(p=6.25, q=3.74, v=15.44)
        """
        return cls._with_params({"p": p, "q": q, "v": v})

    def expected_spend(self, summary: pd.DataFrame) -> pd.Series:
        """Each client's expected mean spend per future purchase.

        Returns
        -------
        pandas.Series
            ``expected_spend_per_purchase`` (float), indexed like ``summary``.

        Notes
        -----
        E[M | p, q, γ, m, x] = (γ + x m) p / (p x + q - 1) (Fader, Hardie & Lee
        2005b): a weighted mean of the population mean p γ / (q - 1), with
        weight (q - 1) / (p x + q - 1), and the client's own mean m. A client
        without repeat purchases (x = 0) gets the population mean. A
        non-positive ``monetary_value`` (net refunds) counts as 0, so it pulls
        the estimate below the population mean by the weight of its
        purchases. Where p x + q - 1 <= 0 (only possible when q <= 1) the
        result is NaN.

        Examples
        --------
        >>> import pandas as pd
        >>> model = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
        >>> clients = pd.DataFrame({"frequency": [0.0, 1.0, 10.0],
        ...                         "monetary_value": [0.0, 100.0, 100.0]})
        >>> model.expected_spend(clients).round(2).tolist()
        [35.22, 80.26, 97.28]
        """
        self._check_fitted()
        columns = _read_summary(
            summary, ("frequency", "monetary_value"), caller="GammaGammaModel.expected_spend"
        )
        x, spend = columns["frequency"], np.maximum(columns["monetary_value"], 0.0)
        p, q, v = self.p_, self.q_, self.v_
        denominator = p * x + q - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(denominator > 0, (v + x * spend) * p / denominator, np.nan)
        return pd.Series(values, index=summary.index.copy(), name="expected_spend_per_purchase")


@dataclass(frozen=True, slots=True)
class _Spends:
    """Repeat buyers' (x, m) for the Gamma-Gamma likelihood, with the sums that do not
    depend on the parameters worked out once."""

    x: FloatArray
    spend: FloatArray
    weights: FloatArray
    x_values: FloatArray
    x_weights: FloatArray
    #: Σ w x (ln m + ln x) and Σ w ln m: the parameter-free parts of (px-1) ln m + px ln x
    sum_x_logs: float
    sum_log_spend: float

    @classmethod
    def of(cls, x: FloatArray, spend: FloatArray) -> _Spends:
        (x, spend), weights = _collapse([x, spend])
        x_values, x_index = np.unique(x, return_inverse=True)
        return cls(
            x=x,
            spend=spend,
            weights=weights,
            x_values=x_values,
            x_weights=np.bincount(x_index, weights=weights, minlength=len(x_values)).astype(
                np.float64
            ),
            sum_x_logs=_dot(weights, x * (np.log(spend) + np.log(x))),
            sum_log_spend=_dot(weights, np.log(spend)),
        )

    def negative_mean_loglik(self, theta: FloatArray) -> tuple[float, FloatArray]:
        """Minus the mean Gamma-Gamma log-likelihood and its gradient in the log-parameters.

        Per client: lnΓ(px+q) - lnΓ(px) - lnΓ(q) + q ln γ + (px-1) ln m + px ln x
        - (px+q) ln(γ + x m).
        """
        p, q, v = np.exp(theta)
        xs, x, w = self.x_values, self.x, self.weights
        total = float(w.sum())
        log_total = np.log(v + x * self.spend)
        sum_x_log_total, sum_log_total = _dot(w, x * log_total), _dot(w, log_total)
        xw, psi_pxq = self.x_weights, digamma(p * xs + q)
        loglik = (
            _dot(xw, gammaln(p * xs + q) - gammaln(p * xs))
            + total * (q * math.log(v) - gammaln(q))
            + p * self.sum_x_logs
            - self.sum_log_spend
            - p * sum_x_log_total
            - q * sum_log_total
        )
        gradient = np.array(
            [
                p * _dot(xw, xs * (psi_pxq - digamma(p * xs)))
                + p * (self.sum_x_logs - sum_x_log_total),
                q * (_dot(xw, psi_pxq) + total * (math.log(v) - digamma(q)) - sum_log_total),
                q * total - v * _dot(w, (p * x + q) / (v + x * self.spend)),
            ]
        )
        return -float(loglik) / total, -gradient / total
