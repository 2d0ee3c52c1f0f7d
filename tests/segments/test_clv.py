"""CLV models: published CDNOW answers, 60-digit values, simulated recovery, round trips, errors."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.special import hyp2f1

import am_analytics as am
from am_analytics.errors import ConfigError, DataValidationError
from am_analytics.segments import (
    BetaGeoModel,
    ClvFitWarning,
    GammaGammaModel,
    expected_value,
    rfm_summary,
)
from am_analytics.segments._bgnbd import _purchases_by_quadrature, _purchases_if_alive
from am_analytics.segments._fitted_model import FittedClvModel
from am_analytics.segments._likelihood import MIN_CLIENTS

CDNOW = Path(__file__).parents[1] / "data" / "cdnow_customers_summary_with_transactions.csv"
#: Fader, Hardie & Lee (2005), "Counting your customers the easy way", CDNOW in weeks.
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
#: Fader & Hardie's Gamma-Gamma note on the CDNOW repeat buyers (lifetimes' docs: v 15.45).
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}


def cdnow() -> pd.DataFrame:
    """The CDNOW summary (weeks) under rfm_summary's column names."""
    raw = pd.read_csv(CDNOW, dtype={"ID": str})
    summary = raw.rename(
        columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
    ).set_index("ID")
    summary.index.name = "client_id"
    return summary.astype("float64")


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    return cdnow()


@pytest.fixture(scope="module")
def cdnow_bgnbd(cdnow_summary: pd.DataFrame) -> BetaGeoModel:
    return BetaGeoModel().fit(cdnow_summary)


@pytest.fixture(scope="module")
def cdnow_gamma_gamma(cdnow_summary: pd.DataFrame) -> GammaGammaModel:
    return GammaGammaModel().fit(cdnow_summary)


def history(frequency: list[float], recency: list[float], age: list[float]) -> pd.DataFrame:
    """A summary frame of a few clients."""
    return pd.DataFrame(
        {"frequency": frequency, "recency": recency, "T": age},
        index=pd.Index([f"c{i}" for i in range(len(frequency))], name="client_id"),
        dtype="float64",
    )


def simulate(
    n: int, *, bgnbd: dict[str, float], gamma_gamma: dict[str, float], seed: int
) -> pd.DataFrame:
    """Clients drawn from the BG/NBD and Gamma-Gamma processes, T of 180-730 days.

    Each client buys at a Gamma(r, α) rate λ and, after each repeat purchase,
    drops out with a Beta(a, b) probability: the repeat purchases observed are
    min(Poisson(λT) arrivals, a geometric lifetime), and the last one's time is
    the x-th of the arrivals' uniform order statistics, T × Beta(x, n - x + 1).
    A client's amounts are Gamma(p, ν) with ν ~ Gamma(q, γ), so the mean of x
    of them is Gamma(px, xν).
    """
    rng = np.random.default_rng(seed)
    age = rng.integers(180, 731, n).astype(float)
    rate = rng.gamma(bgnbd["r"], 1.0 / bgnbd["alpha"], n)
    dropout = rng.beta(bgnbd["a"], bgnbd["b"], n)
    arrivals = rng.poisson(rate * age)
    x = np.minimum(arrivals, rng.geometric(dropout))
    repeat = x > 0
    recency = np.zeros(n)
    recency[repeat] = age[repeat] * rng.beta(x[repeat], arrivals[repeat] - x[repeat] + 1)
    nu = rng.gamma(gamma_gamma["q"], 1.0 / gamma_gamma["v"], n)
    spend = np.zeros(n)
    spend[repeat] = rng.gamma(gamma_gamma["p"] * x[repeat], 1.0 / (x[repeat] * nu[repeat]))
    return pd.DataFrame(
        {"frequency": x.astype(float), "recency": recency, "T": age, "monetary_value": spend}
    )


# ---------------------------------------------------------------------------
# published answers
# ---------------------------------------------------------------------------


def test_bgnbd_reproduces_the_published_cdnow_parameters(cdnow_bgnbd: BetaGeoModel) -> None:
    """r, α, a, b = 0.243, 4.414, 0.793, 2.426 and LL = -9582.4 (Fader, Hardie & Lee 2005)."""
    for name, published in PUBLISHED_BGNBD.items():
        assert round(cdnow_bgnbd.params_[name], 3) == published, name
    assert round(cdnow_bgnbd.log_likelihood_, 1) == -9582.4
    assert cdnow_bgnbd.n_clients_ == 2357


def test_gamma_gamma_reproduces_the_published_cdnow_parameters(
    cdnow_gamma_gamma: GammaGammaModel,
) -> None:
    """p = 6.25, q = 3.74 and γ = 15.44 (Fader & Hardie) or 15.45 (lifetimes) on 946 buyers."""
    fitted = cdnow_gamma_gamma.params_
    assert round(fitted["p"], 2) == PUBLISHED_GAMMA_GAMMA["p"]
    assert round(fitted["q"], 2) == PUBLISHED_GAMMA_GAMMA["q"]
    # the two sources round the same optimum (about 15.4477) differently
    assert round(fitted["v"], 2) in (15.44, 15.45)
    assert cdnow_gamma_gamma.n_clients_ == 946


@pytest.mark.parametrize("source", ["published", "fitted"])
def test_the_papers_example_client_expects_1_226_purchases(
    source: str, cdnow_bgnbd: BetaGeoModel
) -> None:
    """x = 2, t_x = 30.43, T = 38.86 weeks: E[Y(39) | ...] = 1.226 (the paper, section 5)."""
    model = BetaGeoModel.from_params(**PUBLISHED_BGNBD) if source == "published" else cdnow_bgnbd
    client = history([2], [30.43], [38.86])
    assert round(float(model.expected_purchases(39, client).iloc[0]), 3) == 1.226


def test_probability_alive_worked_out_by_hand() -> None:
    """P(alive) = 1 / (1 + a/(b+x-1) ((α+T)/(α+t_x))^(r+x)), with the published parameters.

    x = 2, t_x = 30.43: 0.793/3.426 × (43.274/34.844)^2.243 = 0.23147 × 1.62580 =
    0.37633, so 1/1.37633 = 0.7266; t_x = 5: 0.23147 × (43.274/9.414)^2.243 =
    0.23147 × 30.612 = 7.0858, so 0.1237; no repeat purchase: 1.
    """
    model = BetaGeoModel.from_params(**PUBLISHED_BGNBD)
    alive = model.probability_alive(history([2, 2, 0], [30.43, 5.0, 0.0], [38.86] * 3))
    np.testing.assert_allclose(alive.to_numpy(), [0.7266, 0.1237, 1.0], atol=1e-4)
    assert alive.name == "probability_alive"


# Equation (10) evaluated with mpmath at 300 digits (checked at 500) from its 2F1 form:
# parameters (r, α, a, b), t, x, t_x, T, and E[Y(t) | x, t_x, T]. Many purchases, long
# horizons, a within 1e-7 of 1 (the formula's 0/0; at a = 1 the limit), a + b = 1 for
# x = 0 (2F1's pole in c), and three points where scipy 1.17's 2F1 returns inf (large
# a + b + x with z near 1; 2F1(-1/2, -1/2; 99; 10/11)), which the module integrates.
SIXTY_DIGITS = [
    ((0.243, 4.414, 0.793, 2.426), 39, 2, 30.43, 38.86, 1.2260281747671445),
    ((0.243, 4.414, 0.793, 2.426), 39, 29, 38.43, 38.86, 19.677377187279377),
    ((0.243, 4.414, 0.793, 2.426), 1000, 0, 0, 38.86, 2.1783959555342151),
    ((0.5, 30.0, 0.8, 2.5), 365, 150, 900, 1000, 0.0018847520936687426),
    ((0.5, 30.0, 1.7, 6.5), 3650, 300, 990, 1000, 257.98121690002607),
    ((0.1, 200.0, 0.05, 0.05), 365, 1, 10, 1000, 0.042341329372699121),
    ((0.5, 30.0, 2.0, 2.0), 100000.0, 400, 999, 1000, 395.95204203346158),
    ((5.0, 1.0, 0.9999999, 1.3), 365, 5, 100, 400, 3.1012637351769885e-5),
    ((0.5, 30.0, 1.0000001, 2.5), 365, 0, 0, 400, 0.36472788714669518),
    ((0.3, 30.0, 0.5, 0.500000001), 365, 0, 0, 400, 0.20636150096820319),
    ((2.3, 30.0, 0.8, 2.5), 365, 3, 200, 400, 0.58752543467602043),
    ((1.0, 1.0, 0.5, 0.5), 39, 0, 0, 0, 6.1664414373283397),
    ((0.5, 1.0, 0.5, 0.5), 10, 99, 0, 0, 457.87674265071757),
    ((0.2, 0.18, 10.8, 345.6), 1177.5, 9, 0.5, 0.654, 30.992015131298646),
    ((1.0, 0.03125, 1.0, 172.0), 30, 0, 0, 0, 270.57124333157826),
]


@pytest.mark.parametrize(("params", "t", "x", "tx", "age", "expected"), SIXTY_DIGITS)
def test_expected_purchases_match_60_digit_values(
    params: tuple[float, float, float, float],
    t: float,
    x: float,
    tx: float,
    age: float,
    expected: float,
) -> None:
    """Equation (10) to 1e-8, also where the paper's 2F1 form overflows (x = 150, 300, 400)."""
    r, alpha, a, b = params
    model = BetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)
    got = float(model.expected_purchases(t, history([x], [tx], [age])).iloc[0])
    assert got == pytest.approx(expected, rel=1e-8)


@settings(max_examples=150, deadline=None)
@given(
    r=st.floats(min_value=0.01, max_value=30.0),
    alpha=st.floats(min_value=0.01, max_value=1000.0),
    a=st.floats(min_value=0.02, max_value=30.0),
    b=st.floats(min_value=0.02, max_value=300.0),
    x=st.integers(min_value=0, max_value=300),
    age=st.floats(min_value=0.0, max_value=1000.0),
    t=st.floats(min_value=0.01, max_value=3000.0),
)
def test_the_quadrature_fallback_agrees_with_the_hypergeometric_formula(
    r: float, alpha: float, a: float, b: float, x: int, age: float, t: float
) -> None:
    """Where scipy's 2F1 works, integrating over the dropout probability gives the same."""
    assume(abs(a - 1.0) > 1e-3)
    xs, ages = np.array([float(x)]), np.array([age])
    formula = _purchases_if_alive((r, alpha, a, b), t, xs, ages)
    assume(np.isfinite(formula).all())
    integrated = _purchases_by_quadrature(r, alpha, a, b, t, xs, ages)
    # scipy's 2F1 is good to about 1e-8 relative where it converges (checked against mpmath)
    np.testing.assert_allclose(integrated, formula, rtol=1e-7)


def test_a_new_client_expects_what_the_unconditional_formula_gives() -> None:
    """x = t_x = T = 0 is a client just acquired: equation (10) reduces to equation (9).

    E[X(t)] = (a+b-1)/(a-1) [1 - (α/(α+t))^r 2F1(r, b; a+b-1; t/(α+t))], evaluated
    here directly with scipy (no Euler transformation), as an independent check.
    """
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    model = BetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)
    times = [1.0, 13.0, 39.0, 78.0]
    got = [float(model.expected_purchases(t, history([0], [0], [0])).iloc[0]) for t in times]
    want = [
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
        for t in times
    ]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_expected_spend_worked_out_by_hand() -> None:
    """(γ + x m) p / (p x + q - 1) with p, q, γ = 6.25, 3.74, 15.44.

    x = 0: 15.44 × 6.25 / 2.74 = 35.22 (the population mean); x = 1, m = 100:
    115.44 × 6.25 / 8.99 = 80.26; x = 10, m = 100: 1015.44 × 6.25 / 65.24 = 97.28;
    x = 2 with net refunds (m = -50, counted as 0): 15.44 × 6.25 / 15.24 = 6.33.
    """
    model = GammaGammaModel.from_params(**PUBLISHED_GAMMA_GAMMA)
    clients = pd.DataFrame(
        {"frequency": [0.0, 1.0, 10.0, 2.0], "monetary_value": [0.0, 100.0, 100.0, -50.0]}
    )
    spend = model.expected_spend(clients)
    np.testing.assert_allclose(spend.to_numpy(), [35.22, 80.26, 97.28, 6.33], atol=5e-3)
    assert spend.name == "expected_spend_per_purchase"
    assert model.population_mean_spend_ == pytest.approx(15.44 * 6.25 / 2.74)


# ---------------------------------------------------------------------------
# fitting
# ---------------------------------------------------------------------------

TRUE_BGNBD = {"r": 0.8, "alpha": 40.0, "a": 0.6, "b": 2.0}
TRUE_GAMMA_GAMMA = {"p": 4.0, "q": 3.0, "v": 50.0}


def test_fits_recover_the_parameters_of_a_simulated_population() -> None:
    """20,000 simulated clients (days): every parameter within 15 %, the means within 5 %.

    Over twelve seeds the largest errors were 3 % (r, α), 5 % (a, p, q) and 9 %
    (b, γ); the population means (purchase rate r/α, dropout a/(a+b), spend
    pγ/(q-1)) are pinned down more tightly than their parts.
    """
    summary = simulate(20_000, bgnbd=TRUE_BGNBD, gamma_gamma=TRUE_GAMMA_GAMMA, seed=7)
    bgnbd = BetaGeoModel().fit(summary)
    gamma_gamma = GammaGammaModel().fit(summary)
    for name, value in TRUE_BGNBD.items():
        assert bgnbd.params_[name] == pytest.approx(value, rel=0.15), name
    for name, value in TRUE_GAMMA_GAMMA.items():
        assert gamma_gamma.params_[name] == pytest.approx(value, rel=0.15), name
    assert bgnbd.r_ / bgnbd.alpha_ == pytest.approx(0.8 / 40.0, rel=0.05)
    assert bgnbd.a_ / (bgnbd.a_ + bgnbd.b_) == pytest.approx(0.6 / 2.6, rel=0.05)
    assert gamma_gamma.population_mean_spend_ == pytest.approx(4.0 * 50.0 / 2.0, rel=0.05)


def test_the_fit_is_the_maximum_of_the_likelihood(cdnow_summary: pd.DataFrame) -> None:
    """Moving any parameter of the CDNOW fit by 1 % lowers the log-likelihood."""
    fitted = BetaGeoModel().fit(cdnow_summary)
    for name in ("r", "alpha", "a", "b"):
        for factor in (0.99, 1.01):
            params = fitted.params_ | {name: fitted.params_[name] * factor}
            moved = _bgnbd_log_likelihood(params, cdnow_summary)
            assert moved < fitted.log_likelihood_, (name, factor)
    assert _bgnbd_log_likelihood(fitted.params_, cdnow_summary) == pytest.approx(
        fitted.log_likelihood_, rel=1e-12
    )


def _bgnbd_log_likelihood(params: dict[str, float], summary: pd.DataFrame) -> float:
    """Equation (6) of the paper, written out plainly, summed over clients."""
    from scipy.special import betaln, gammaln

    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    x, tx, age = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = np.exp(betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + age))
    dead = np.where(
        x > 0,
        np.exp(
            betaln(a + 1, b + np.maximum(x, 1) - 1) - betaln(a, b) - (r + x) * np.log(alpha + tx)
        ),
        0.0,
    )
    return float(np.sum(common + np.log(alive + dead)))


def test_identical_clients_count_as_weights(cdnow_summary: pd.DataFrame) -> None:
    """Fitting the CDNOW clients twice over gives the same parameters and twice the LL."""
    once = BetaGeoModel().fit(cdnow_summary)
    twice = BetaGeoModel().fit(pd.concat([cdnow_summary, cdnow_summary]))
    for name in ("r", "alpha", "a", "b"):
        assert twice.params_[name] == pytest.approx(once.params_[name], rel=1e-5)
    assert twice.log_likelihood_ == pytest.approx(2 * once.log_likelihood_, rel=1e-9)
    assert twice.n_clients_ == 2 * once.n_clients_


def test_a_summary_in_days_fits_alpha_seven_times_the_weeks_one(
    cdnow_summary: pd.DataFrame, cdnow_bgnbd: BetaGeoModel
) -> None:
    """Only α carries the time unit; r, a, b and every prediction are unit-free."""
    days = cdnow_summary.assign(recency=cdnow_summary["recency"] * 7, T=cdnow_summary["T"] * 7)
    in_days = BetaGeoModel().fit(days)
    assert in_days.alpha_ == pytest.approx(7 * cdnow_bgnbd.alpha_, rel=1e-5)
    for name in ("r", "a", "b"):
        assert in_days.params_[name] == pytest.approx(cdnow_bgnbd.params_[name], rel=1e-5)
    gamma_gamma = GammaGammaModel.from_params(**PUBLISHED_GAMMA_GAMMA)
    weekly = expected_value(
        cdnow_summary,
        horizon_days=273,
        time_unit="W",
        discount_rate=0.1,
        bgnbd=cdnow_bgnbd,
        gamma_gamma=gamma_gamma,
    )
    daily = expected_value(
        days, horizon_days=273, discount_rate=0.1, bgnbd=in_days, gamma_gamma=gamma_gamma
    )
    pd.testing.assert_frame_equal(daily, weekly, rtol=1e-5)


def test_a_fit_stopped_early_warns_and_keeps_its_best_parameters(
    cdnow_summary: pd.DataFrame,
) -> None:
    """Two iterations are not enough: ClvFitWarning, and the model still predicts."""
    with pytest.warns(ClvFitWarning, match="did not converge after 2 iterations"):
        model = BetaGeoModel(max_iterations=2).fit(cdnow_summary)
    assert np.isfinite(model.probability_alive(cdnow_summary)).all()
    with pytest.warns(ClvFitWarning, match="did not converge"):
        GammaGammaModel(max_iterations=1).fit(cdnow_summary)


def _named_in_warning(record: pytest.WarningsRecorder, names: list[str]) -> set[str]:
    """The parameters a ClvFitWarning's "drives ... past" / "ran ... to" clauses name."""
    messages = " ".join(str(w.message) for w in record if w.category is ClvFitWarning)
    clauses = re.findall(r"(?:drives|ran) ([a-z, ]+?) (?:past|to the bound)", messages)
    return {name for clause in clauses for name in clause.split(", ") if name in names}


def _ran_away(params: dict[str, float]) -> set[str]:
    """The parameters past the shape limit or at the bound of the optimiser."""
    return {name for name, value in params.items() if value > 1e4 or abs(np.log(value)) >= 30}


# Where the optimiser stops on a likelihood that grows without bound is set by
# rounding: relative changes of 1e-15 in the amounts (or another CPU's exp/log)
# move it, so the test asserts what holds wherever it stops.
@pytest.mark.parametrize("jitter", [0.0, 1e-15, 1e-13, 1e-11, 1e-9])
def test_spend_without_spread_warns_naming_every_parameter_that_ran_away(jitter: float) -> None:
    """Every client spending the same leaves the spend law a point mass: p or q runs off,
    and the warning names each parameter that did, whichever the optimiser moved."""
    amounts = 50.0 * (1.0 + jitter * np.arange(20))
    same_spend = pd.DataFrame({"frequency": [1.0, 2.0, 3.0, 4.0] * 5, "monetary_value": amounts})
    with pytest.warns(ClvFitWarning, match="no spread") as record:
        model = GammaGammaModel().fit(same_spend)
    ran_away = _ran_away(model.params_)
    assert ran_away & {"p", "q"}
    assert _named_in_warning(record, ["p", "q", "v"]) == ran_away


@pytest.mark.parametrize("jitter", [0.0, 1e-13, 1e-9])
def test_histories_without_spread_warn_naming_every_parameter_that_ran_away(
    jitter: float,
) -> None:
    """Thirty clients whose histories fit one common dropout probability: a or b runs
    off, and the warning names each parameter that did and what shows no spread."""
    alike = history(
        [0, 1, 2, 0, 3, 1, 0, 5, 0, 2] * 3,
        [0, 20, 35, 0, 50, 8, 0, 61, 0, 15] * 3,
        [60, 60, 60, 40, 70, 30, 25, 65, 80, 90] * 3,
    )
    alike["T"] = alike["T"] * (1.0 + jitter * np.arange(len(alike)))
    with pytest.warns(ClvFitWarning, match="dropout probabilities") as record:
        model = BetaGeoModel().fit(alike)
    ran_away = _ran_away(model.params_)
    assert ran_away & {"a", "b"}
    assert _named_in_warning(record, ["r", "alpha", "a", "b"]) == ran_away


# ---------------------------------------------------------------------------
# expected_value
# ---------------------------------------------------------------------------


def test_expected_value_is_purchases_times_spend(
    cdnow_summary: pd.DataFrame, cdnow_bgnbd: BetaGeoModel, cdnow_gamma_gamma: GammaGammaModel
) -> None:
    """Columns, index, dtypes; each column is its model's prediction; value = product."""
    before = cdnow_summary.copy()
    out = expected_value(
        cdnow_summary,
        horizon_days=52 * 7,
        time_unit="W",
        bgnbd=cdnow_bgnbd,
        gamma_gamma=cdnow_gamma_gamma,
    )
    pd.testing.assert_frame_equal(cdnow_summary, before)
    assert list(out.columns) == [
        "expected_purchases",
        "expected_spend_per_purchase",
        "expected_value",
        "probability_alive",
    ]
    assert (out.dtypes == "float64").all()
    pd.testing.assert_index_equal(out.index, cdnow_summary.index)
    pd.testing.assert_series_equal(
        out["expected_purchases"], cdnow_bgnbd.expected_purchases(52, cdnow_summary)
    )
    pd.testing.assert_series_equal(
        out["expected_spend_per_purchase"], cdnow_gamma_gamma.expected_spend(cdnow_summary)
    )
    pd.testing.assert_series_equal(
        out["probability_alive"], cdnow_bgnbd.probability_alive(cdnow_summary)
    )
    np.testing.assert_array_equal(
        out["expected_value"], out["expected_purchases"] * out["expected_spend_per_purchase"]
    )


def test_discounting_counts_later_purchases_for_less(
    cdnow_summary: pd.DataFrame, cdnow_bgnbd: BetaGeoModel, cdnow_gamma_gamma: GammaGammaModel
) -> None:
    """A one-step horizon is discounted by (1+d)^-(h/365); a year's lies in ((1+d)^-1, 1)."""
    models = {"bgnbd": cdnow_bgnbd, "gamma_gamma": cdnow_gamma_gamma, "time_unit": "W"}
    plain = expected_value(cdnow_summary, horizon_days=28, **models)  # type: ignore[arg-type]
    short = expected_value(cdnow_summary, horizon_days=28, discount_rate=0.2, **models)  # type: ignore[arg-type]
    np.testing.assert_allclose(
        short["expected_value"], plain["expected_value"] * 1.2 ** (-28 / 365), rtol=1e-12
    )
    pd.testing.assert_series_equal(short["expected_purchases"], plain["expected_purchases"])
    year = expected_value(cdnow_summary, **models)  # type: ignore[arg-type]
    discounted = expected_value(cdnow_summary, discount_rate=0.2, **models)  # type: ignore[arg-type]
    ratio = discounted["expected_value"] / year["expected_value"]
    assert ((ratio > 1 / 1.2) & (ratio < 1)).all()
    # the thirteen monthly steps add up to the whole year's purchases
    barely = expected_value(cdnow_summary, discount_rate=1e-12, **models)  # type: ignore[arg-type]
    np.testing.assert_allclose(barely["expected_value"], year["expected_value"], rtol=1e-9)


def test_models_not_given_are_fitted_on_the_summary(
    cdnow_summary: pd.DataFrame, cdnow_bgnbd: BetaGeoModel, cdnow_gamma_gamma: GammaGammaModel
) -> None:
    """Without models, expected_value equals passing models fitted on the same summary."""
    fitted_inside = expected_value(cdnow_summary, horizon_days=91, time_unit="W")
    given_models = expected_value(
        cdnow_summary,
        horizon_days=91,
        time_unit="W",
        bgnbd=cdnow_bgnbd,
        gamma_gamma=cdnow_gamma_gamma,
    )
    pd.testing.assert_frame_equal(fitted_inside, given_models)


def test_json_round_trip_gives_identical_predictions(
    cdnow_summary: pd.DataFrame, cdnow_bgnbd: BetaGeoModel, cdnow_gamma_gamma: GammaGammaModel
) -> None:
    """to_json / from_json keep every bit of the parameters, the likelihood and the count."""
    bgnbd = BetaGeoModel.from_json(cdnow_bgnbd.to_json())
    gamma_gamma = GammaGammaModel.from_json(cdnow_gamma_gamma.to_json())
    assert bgnbd.params_ == cdnow_bgnbd.params_
    assert gamma_gamma.params_ == cdnow_gamma_gamma.params_
    assert bgnbd.log_likelihood_ == cdnow_bgnbd.log_likelihood_
    assert (bgnbd.n_clients_, gamma_gamma.n_clients_) == (2357, 946)
    options = {"horizon_days": 200, "time_unit": "W", "discount_rate": 0.05}
    pd.testing.assert_frame_equal(
        expected_value(cdnow_summary, bgnbd=bgnbd, gamma_gamma=gamma_gamma, **options),  # type: ignore[arg-type]
        expected_value(
            cdnow_summary,
            bgnbd=cdnow_bgnbd,
            gamma_gamma=cdnow_gamma_gamma,
            **options,  # type: ignore[arg-type]
        ),
        check_exact=True,
    )
    published = BetaGeoModel.from_params(**PUBLISHED_BGNBD)
    assert math.isnan(BetaGeoModel.from_json(published.to_json()).log_likelihood_)


def test_the_sample_forecasts_its_next_year() -> None:
    """Fitted on the sample's sales to 2025-11-15, the next year's purchase days come out
    within 20 % in total, and the clients' forecasts follow their actual counts."""
    sales = am.load_sample().sales
    calibration = rfm_summary(sales, as_of="2025-11-15")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        forecast = expected_value(calibration, horizon_days=365)
    later = sales[(sales["order_date"] > "2025-11-15") & (sales["amount"] >= 0)]
    actual = (
        later.assign(day=later["order_date"].dt.normalize())
        .groupby("client_id", observed=True)["day"]
        .nunique()
        .reindex(calibration.index, fill_value=0)
    )
    ratio = forecast["expected_purchases"].sum() / actual.sum()
    assert 0.8 < ratio < 1.2
    assert np.corrcoef(forecast["expected_purchases"], actual)[0, 1] > 0.7
    assert forecast["probability_alive"].between(0, 1).all()
    assert np.isfinite(forecast.to_numpy()).all()


# ---------------------------------------------------------------------------
# invariants
# ---------------------------------------------------------------------------

positive = st.floats(min_value=0.05, max_value=20.0)


@settings(max_examples=60, deadline=None)
@given(
    r=positive,
    alpha=st.floats(min_value=0.5, max_value=500.0),
    a=positive,
    b=positive,
    x=st.integers(min_value=0, max_value=200),
    recency_share=st.floats(min_value=0.0, max_value=1.0),
    age=st.floats(min_value=0.0, max_value=2000.0),
    t=st.floats(min_value=0.0, max_value=3000.0),
)
def test_predictions_are_probabilities_and_grow_with_the_horizon(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: int,
    recency_share: float,
    age: float,
    t: float,
) -> None:
    """0 < P(alive) <= 1 (1 without repeats); 0 <= E[Y(t)] <= E[Y(t + 30)]; E[Y(0)] = 0."""
    model = BetaGeoModel.from_params(r=r, alpha=alpha, a=a, b=b)
    recency = recency_share * age if x > 0 else 0.0
    client = history([x], [recency], [age])
    alive = float(model.probability_alive(client).iloc[0])
    assert 0.0 <= alive <= 1.0
    if x == 0:
        assert alive == 1.0
    now = float(model.expected_purchases(t, client).iloc[0])
    later = float(model.expected_purchases(t + 30.0, client).iloc[0])
    assert math.isfinite(now)
    assert 0.0 <= now <= later * (1 + 1e-9) + 1e-12
    assert float(model.expected_purchases(0.0, client).iloc[0]) == 0.0


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


def test_missing_columns_raise_data_validation_error() -> None:
    """The error names the missing columns, also as an attribute."""
    with pytest.raises(DataValidationError, match=r"missing \['T'\]") as caught:
        BetaGeoModel().fit(pd.DataFrame({"frequency": [1.0], "recency": [2.0]}))
    assert caught.value.missing == {"rfm_summary": ["T"]}
    with pytest.raises(DataValidationError, match="monetary_value"):
        expected_value(history([1], [2], [3]), bgnbd=BetaGeoModel.from_params(**PUBLISHED_BGNBD))


def test_rows_breaking_the_summary_rules_are_listed() -> None:
    """Each broken rule is one reject row (1-based row, column, check, value)."""
    summary = history([1, -1, 2.5, 0, 3, 1], [5, 0, 4, 3, 12, np.nan], [10, 10, 10, 10, 10, 10])
    with pytest.raises(DataValidationError, match="5 row") as caught:
        BetaGeoModel().fit(summary)
    rejects = caught.value.rejects
    assert rejects is not None
    assert rejects[["row", "column", "check"]].to_records(index=False).tolist() == [
        (2, "frequency", "whole_non_negative"),
        (3, "frequency", "whole_non_negative"),
        (4, "recency", "zero_without_repeats"),
        (5, "recency", "at_most_T"),
        (6, "recency", "finite"),
    ]
    with pytest.raises(DataValidationError, match="must be numeric"):
        BetaGeoModel().fit(history([1], [2], [3]).assign(T=["ten"]))


def test_data_that_cannot_identify_a_model_raise_config_error() -> None:
    """No repeat purchase, too few clients, or too few repeat buyers with spend."""
    one_timers = history([0] * 20, [0] * 20, [30] * 20)
    with pytest.raises(ConfigError, match="none of the 20 clients made one"):
        BetaGeoModel().fit(one_timers)
    few = history([1, 2, 0], [5, 9, 0], [10, 10, 10])
    with pytest.raises(ConfigError, match=f"at least {MIN_CLIENTS} clients"):
        BetaGeoModel().fit(few)
    spends = pd.DataFrame({"frequency": [1.0] * 9 + [0.0] * 20, "monetary_value": 10.0})
    with pytest.raises(ConfigError, match="found 9"):
        GammaGammaModel().fit(spends.assign(monetary_value=[10.0] * 9 + [0.0] * 20))
    with pytest.raises(ConfigError, match="pass a model fitted elsewhere"):
        expected_value(one_timers.assign(monetary_value=0.0))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"horizon_days": -1}, "horizon_days must be a finite number >= 0"),
        ({"horizon_days": math.inf}, "horizon_days must be a finite number >= 0"),
        ({"time_unit": "Y"}, "time_unit must be one of"),
        ({"discount_rate": -0.1}, "discount_rate must be a finite annual rate"),
        ({"bgnbd": BetaGeoModel()}, "not fitted"),
        ({"gamma_gamma": BetaGeoModel.from_params(**PUBLISHED_BGNBD)}, "must be a GammaGammaModel"),
    ],
)
def test_bad_options_raise_config_error(options: dict[str, object], message: str) -> None:
    """Every option is checked, with a message saying what was expected."""
    summary = history([1], [5], [10]).assign(monetary_value=20.0)
    models: dict[str, object] = {
        "bgnbd": BetaGeoModel.from_params(**PUBLISHED_BGNBD),
        "gamma_gamma": GammaGammaModel.from_params(**PUBLISHED_GAMMA_GAMMA),
    }
    with pytest.raises(ConfigError, match=message):
        expected_value(summary, **(models | options))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("model", "text", "shown"),
    [
        (
            BetaGeoModel.from_params(**PUBLISHED_BGNBD),
            '{"format": "am_analytics.BetaGeoModel", "version": 1, "params": {"r": 0.243, '
            '"alpha": 4.414, "a": 0.793, "b": 2.426}, "log_likelihood": null, "n_clients": 0}',
            "BetaGeoModel(r=0.243, alpha=4.414, a=0.793, b=2.426)",
        ),
        (
            GammaGammaModel.from_params(**PUBLISHED_GAMMA_GAMMA),
            '{"format": "am_analytics.GammaGammaModel", "version": 1, "params": {"p": 6.25, '
            '"q": 3.74, "v": 15.44}, "log_likelihood": null, "n_clients": 0}',
            "GammaGammaModel(p=6.25, q=3.74, v=15.44)",
        ),
    ],
    ids=["bgnbd", "gamma_gamma"],
)
def test_both_models_share_one_base_with_fixed_json_and_repr(
    model: FittedClvModel, text: str, shown: str
) -> None:
    """The two CLV models share FittedClvModel; their JSON text and repr are pinned exactly,
    and the JSON read back writes the same bytes again."""
    assert isinstance(model, FittedClvModel)
    assert model.to_json() == text
    assert repr(model) == shown
    again = type(model).from_json(text)
    assert type(again) is type(model)
    assert again.to_json() == text
    assert repr(again) == shown


@pytest.mark.parametrize("kind", [BetaGeoModel, GammaGammaModel])
def test_an_unfitted_model_says_so_in_its_repr_and_errors(kind: type[FittedClvModel]) -> None:
    """Before fit the repr says unfitted, and params_ / to_json name the ways to get a model."""
    model = kind(max_iterations=7)
    assert repr(model) == f"{kind.__name__}(unfitted)"
    assert model.max_iterations == 7
    message = (
        f"this {kind.__name__} is not fitted; call fit(summary), or build one with "
        f"{kind.__name__}.from_params(...) or {kind.__name__}.from_json(...)"
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        _ = model.params_
    with pytest.raises(ConfigError, match=re.escape(message)):
        model.to_json()


def test_bad_parameters_and_json_raise_config_error() -> None:
    """from_params wants positive finite numbers; from_json wants the text to_json wrote."""
    with pytest.raises(ConfigError, match="alpha must be a finite number > 0"):
        BetaGeoModel.from_params(r=1, alpha=0, a=1, b=1)
    with pytest.raises(ConfigError, match="q must be a finite number > 0"):
        GammaGammaModel.from_params(p=1, q=math.nan, v=1)
    gamma_json = GammaGammaModel.from_params(**PUBLISHED_GAMMA_GAMMA).to_json()
    with pytest.raises(ConfigError, match="not a BetaGeoModel"):
        BetaGeoModel.from_json(gamma_json)
    with pytest.raises(ConfigError, match="cannot read the GammaGammaModel JSON"):
        GammaGammaModel.from_json("{")
    with pytest.raises(ConfigError, match="max_iterations must be a whole number"):
        BetaGeoModel(max_iterations=0).fit(history([1] * 10, [5] * 10, [10] * 10))
    with pytest.raises(ConfigError, match="not fitted"):
        GammaGammaModel().expected_spend(pd.DataFrame({"frequency": [1.0], "monetary_value": 1.0}))
