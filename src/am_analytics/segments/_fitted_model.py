"""The base of the fitted CLV models: parameters, repr, JSON form and the fitted check."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import ClassVar, Final, Self

import numpy as np

from ..errors import ConfigError

_JSON_VERSION: Final = 1


class FittedClvModel:
    """What the fitted CLV models share: their positive parameters and how they persist.

    A subclass names itself in ``_KIND`` and its parameters in ``_PARAMS``; the
    fitted value of parameter ``name`` is the attribute ``name_``.
    """

    _KIND: ClassVar[str]
    _PARAMS: ClassVar[tuple[str, ...]]

    log_likelihood_: float
    n_clients_: int

    def __init__(self, *, max_iterations: int = 1000) -> None:
        self.max_iterations = max_iterations

    def __repr__(self) -> str:
        if not self._is_fitted():
            return f"{self._KIND}(unfitted)"
        values = ", ".join(f"{name}={getattr(self, name + '_'):.4g}" for name in self._PARAMS)
        return f"{self._KIND}({values})"

    @property
    def params_(self) -> dict[str, float]:
        """The fitted parameters by name, in the order of the model's attributes."""
        self._check_fitted()
        return {name: getattr(self, name + "_") for name in self._PARAMS}

    def to_json(self) -> str:
        """The fitted model as JSON (floats written exactly).

        Examples
        --------
        >>> from am_analytics.segments import BetaGeoModel, GammaGammaModel
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> BetaGeoModel.from_json(model.to_json()).params_ == model.params_
        True
        >>> model = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
        >>> GammaGammaModel.from_json(model.to_json()).params_ == model.params_
        True
        """
        self._check_fitted()
        return _dump(self._KIND, self.params_, self.log_likelihood_, self.n_clients_)

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Rebuild a model from :meth:`to_json`'s output."""
        params, log_likelihood, n_clients = _load(cls._KIND, text, cls._PARAMS)
        model = cls._with_params(params)
        model.log_likelihood_, model.n_clients_ = log_likelihood, n_clients
        return model

    @classmethod
    def _with_params(cls, params: Mapping[str, object]) -> Self:
        """A model holding ``params`` (checked finite and positive), with no fit behind it."""
        values = _positive_params(params, model=cls._KIND)
        model = cls()
        for name, value in zip(cls._PARAMS, values, strict=True):
            setattr(model, name + "_", value)
        model.log_likelihood_, model.n_clients_ = math.nan, 0
        return model

    def _is_fitted(self) -> bool:
        return hasattr(self, self._PARAMS[0] + "_")

    def _check_fitted(self) -> None:
        if not self._is_fitted():
            raise ConfigError(
                f"this {self._KIND} is not fitted; call fit(summary), or build one with "
                f"{self._KIND}.from_params(...) or {self._KIND}.from_json(...)"
            )


def _positive_params(values: Mapping[str, object], *, model: str) -> list[float]:
    """The parameters as floats, each checked to be finite and positive."""
    out = []
    for name, value in values.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float | np.integer | np.floating)
            or not math.isfinite(value)
            or value <= 0
        ):
            raise ConfigError(f"{model}: {name} must be a finite number > 0, not {value!r}")
        out.append(float(value))
    return out


def _dump(kind: str, params: Mapping[str, float], log_likelihood: float, n_clients: int) -> str:
    payload = {
        "format": f"am_analytics.{kind}",
        "version": _JSON_VERSION,
        "params": dict(params),
        # JSON has no NaN: a model built from given parameters has no likelihood
        "log_likelihood": log_likelihood if math.isfinite(log_likelihood) else None,
        "n_clients": n_clients,
    }
    return json.dumps(payload, allow_nan=False)


def _load(kind: str, text: str, names: tuple[str, ...]) -> tuple[dict[str, float], float, int]:
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != f"am_analytics.{kind}":
            raise ValueError(f"not a {kind}")
        if data.get("version") != _JSON_VERSION:
            raise ValueError(f"format version {data.get('version')}, expected {_JSON_VERSION}")
        params = {name: float(data["params"][name]) for name in names}
        log_likelihood = data["log_likelihood"]
        return (
            params,
            math.nan if log_likelihood is None else float(log_likelihood),
            int(data["n_clients"]),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigError(
            f"cannot read the {kind} JSON: {error}; give the text written by {kind}.to_json()"
        ) from None
