"""Criterion weights and aggregation kernels against published worked examples, plus invariants.

Known answers come from the original papers and books where their numbers are
reproduced verbatim, or from peer libraries' tests that transcribe them; each
test's docstring names its source.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from am_analytics.errors import ConfigError
from am_analytics.scoring._aggregate import geometric, topsis, topsis_rank, weighted_sum
from am_analytics.scoring._pca import _rotated_loadings, _varimax, pca_weights
from am_analytics.scoring._weights import (
    SAATY_RANDOM_INDEX,
    ahp_weights,
    critic_weights,
    entropy_weights,
)

WeightMethod = Callable[[pd.DataFrame], pd.Series]
Problem = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # norm, weights, ideal, anti

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ----------------------------------------------------------------------- AHP

DRINKS = ["coffee", "wine", "tea", "beer", "soda", "milk", "water"]
# (row, column): how much more of the row's drink is consumed in the US than the column's.
DRINK_JUDGEMENTS = {
    ("coffee", "wine"): 9, ("coffee", "tea"): 5, ("coffee", "beer"): 2, ("coffee", "soda"): 1,
    ("coffee", "milk"): 1, ("water", "coffee"): 2, ("water", "wine"): 9, ("water", "tea"): 9,
    ("water", "beer"): 3, ("water", "soda"): 2, ("water", "milk"): 3, ("tea", "wine"): 3,
    ("beer", "wine"): 9, ("beer", "tea"): 3, ("beer", "milk"): 1, ("soda", "wine"): 9,
    ("soda", "tea"): 4, ("soda", "beer"): 2, ("soda", "milk"): 2, ("milk", "wine"): 9,
    ("milk", "tea"): 3,
}  # fmt: skip


def _drinks_matrix() -> pd.DataFrame:
    matrix = pd.DataFrame(1.0, index=DRINKS, columns=DRINKS)
    for (row, column), value in DRINK_JUDGEMENTS.items():
        matrix.loc[row, column] = value
        matrix.loc[column, row] = 1 / value
    return matrix


def _consistent(weights: np.ndarray) -> np.ndarray:
    return weights[:, None] / weights[None, :]


def test_ahp_saaty_2008_drink_consumption() -> None:
    """Saaty (2008), "Decision making with the analytic hierarchy process", Int. J. Services
    Sciences 1(1), 83-98, the drink-consumption example: eigenvector weights coffee .177,
    wine .019, tea .042, beer .116, soda .190, milk .129, water .327, CR = .022 with
    Saaty's RI(7) = 1.32. The matrix is as transcribed in AHPy's tests
    (PhilipGriffith/AHPy, tests/test_ahp.py), which assert the same numbers."""
    weights, cr = ahp_weights(_drinks_matrix())
    expected = pd.Series(
        [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327], index=DRINKS, name="weight"
    )
    pd.testing.assert_series_equal(weights.round(3), expected)
    assert round(cr, 3) == 0.022
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)


def test_saaty_random_index_table() -> None:
    """Saaty (1980; 2008) random index for n = 1..15."""
    assert list(SAATY_RANDOM_INDEX.values()) == [
        0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59
    ]  # fmt: skip
    assert list(SAATY_RANDOM_INDEX) == list(range(1, 16))


def test_ahp_consistent_matrix_returns_its_weights() -> None:
    """Saaty (1980, ch. 2): for a_ij = w_i / w_j the principal eigenvector is w and
    lambda_max = n, so CR = 0."""
    w = np.array([0.4, 0.25, 0.2, 0.1, 0.05])
    labels = ["sales", "clients", "csat", "teamwork", "training"]
    weights, cr = ahp_weights(pd.DataFrame(_consistent(w), index=labels, columns=labels))
    np.testing.assert_allclose(weights.to_numpy(), w, rtol=0, atol=1e-12)
    assert list(weights.index) == labels
    assert cr == pytest.approx(0.0, abs=1e-10)


@PROPERTY
@given(hnp.arrays(np.float64, st.integers(1, 12), elements=st.floats(0.05, 20.0)))
def test_ahp_recovers_any_consistent_weights(raw: np.ndarray) -> None:
    """Property of the eigenvector method (Saaty 1980): consistent matrices give back w."""
    w = raw / raw.sum()
    weights, cr = ahp_weights(_consistent(w))
    assert isinstance(weights, np.ndarray)
    np.testing.assert_allclose(weights, w, rtol=1e-9, atol=1e-12)
    assert cr == pytest.approx(0.0, abs=1e-9)


def test_ahp_array_in_array_out_and_small_orders() -> None:
    """n <= 2 is always consistent (Saaty 1980): CR = 0; n = 1 has weight 1."""
    weights, cr = ahp_weights(np.array([[1.0, 3.0], [1 / 3, 1.0]]))
    np.testing.assert_allclose(weights, [0.75, 0.25])
    assert cr == 0.0
    assert ahp_weights([[1.0]])[0].tolist() == [1.0]


def test_ahp_aligns_columns_to_index() -> None:
    """Columns in another order than the index are matched by label."""
    matrix = _drinks_matrix()
    shuffled = matrix[list(reversed(DRINKS))]
    pd.testing.assert_series_equal(ahp_weights(shuffled)[0], ahp_weights(matrix)[0])


def test_ahp_not_reciprocal_names_the_cell() -> None:
    """a_ij * a_ji must be 1 within 1e-6."""
    matrix = _drinks_matrix()
    matrix.loc["tea", "coffee"] = 0.25  # coffee/tea is 5, so this should be 0.2
    with pytest.raises(ConfigError, match=r"not reciprocal: cell \[coffee, tea\] is 5"):
        ahp_weights(matrix)
    with pytest.raises(ConfigError, match=r"\[1, 0\] to 1/5"):
        ahp_weights(np.array([[1.0, 5.0], [0.25, 1.0]]))


def test_ahp_diagonal_and_values_checked() -> None:
    """The diagonal is 1; cells are positive and finite; the matrix is square."""
    with pytest.raises(ConfigError, match=r"1 on its diagonal; cell \[1, 1\] is 2"):
        ahp_weights(np.array([[1.0, 2.0], [0.5, 2.0]]))
    with pytest.raises(ConfigError, match=r"positive finite.*\[0, 1\] is -2"):
        ahp_weights(np.array([[1.0, -2.0], [-0.5, 1.0]]))
    with pytest.raises(ConfigError, match=r"positive finite.*\[0, 1\] is nan"):
        ahp_weights(np.array([[1.0, np.nan], [1.0, 1.0]]))
    with pytest.raises(ConfigError, match=r"must be square.*\(2, 3\)"):
        ahp_weights(np.ones((2, 3)))
    with pytest.raises(ConfigError, match="same criteria on its index and its columns"):
        ahp_weights(pd.DataFrame(np.ones((2, 2)), index=["a", "b"], columns=["a", "c"]))


def test_ahp_inconsistent_matrix_refused_unless_allowed() -> None:
    """A cyclic matrix (A 9x B, B 9x C, C 9x A) is maximally inconsistent; Saaty's
    threshold CR <= 0.10 refuses it, max_consistency_ratio=None accepts it."""
    cyclic = np.array([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    with pytest.raises(
        ConfigError, match=r"consistency ratio is \d+\.\d+.*max_consistency_ratio=None"
    ):
        ahp_weights(cyclic)
    weights, cr = ahp_weights(cyclic, max_consistency_ratio=None)
    assert cr > 0.10
    np.testing.assert_allclose(weights, [1 / 3] * 3)
    _, drinks_cr = ahp_weights(_drinks_matrix(), max_consistency_ratio=0.05)
    with pytest.raises(ConfigError, match=r"above the allowed 0\.02"):
        ahp_weights(_drinks_matrix(), max_consistency_ratio=0.02)
    assert drinks_cr < 0.05
    with pytest.raises(ConfigError, match="max_consistency_ratio must be a positive"):
        ahp_weights(cyclic, max_consistency_ratio=0.0)


def test_ahp_beyond_the_random_index_table() -> None:
    """Saaty's RI stops at n = 15: the check cannot run past it, so it must be turned off."""
    w = np.linspace(1.0, 2.0, 16)
    with pytest.raises(ConfigError, match="no published random index for 16"):
        ahp_weights(_consistent(w))
    weights, cr = ahp_weights(_consistent(w), max_consistency_ratio=None)
    np.testing.assert_allclose(weights, w / w.sum())
    assert math.isnan(cr)


# ------------------------------------------------------------------ entropy


def test_entropy_xu_2004() -> None:
    """Xu, X. (2004), "A note on the subjective and objective integrated approach to
    determine attribute weights", EJOR 156(2), 530-532: entropy weights
    0.4630, 0.3992, 0.1378, 0.0000. Matrix and weights as transcribed in pyrepo-mcda's
    tests (energyinpython/pyrepo-mcda, tests/test_weighting_methods.py, Test_Entropy)."""
    frame = pd.DataFrame(
        [[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]],
        columns=["c1", "c2", "c3", "c4"],
    )
    weights = entropy_weights(frame)
    np.testing.assert_allclose(weights.round(4), [0.4630, 0.3992, 0.1378, 0.0000])
    assert list(weights.index) == ["c1", "c2", "c3", "c4"]


def test_entropy_jmcdm_test_vector() -> None:
    """JMcDM's entropy test (jbytecode/JMcDM, test/mcdm/testentropy.jl): a 6 x 8 matrix
    with expected weights to 1e-4."""
    columns = [
        [2.0, 4, 3, 5, 4, 3],
        [1, 1, 2, 1, 2, 2],
        [4, 5, 6, 5, 5, 6],
        [7, 6, 6, 7, 6, 6],
        [6, 7, 5, 6, 7, 6],
        [6, 7, 6, 7, 7, 6],
        [7, 6, 8, 7, 6, 6],
        [3000, 3500, 4000, 3000, 3000, 3500],
    ]
    frame = pd.DataFrame(np.array(columns, dtype=float).T)
    expected = [
        0.29967360960, 0.44136733892, 0.07009088720, 0.02123823711,
        0.04902292895, 0.02308037885, 0.04776330969, 0.04776330969,
    ]  # fmt: skip
    np.testing.assert_allclose(entropy_weights(frame), expected, atol=1e-4)


def test_entropy_missing_values_ignored_per_column() -> None:
    """Hand computation. a = [1, 3, NaN]: m = 2, p = (1/4, 3/4),
    e = -(1/ln 2)(0.25 ln 0.25 + 0.75 ln 0.75) = 0.811278, d = 0.188722.
    b = [1, 1, 2]: m = 3, p = (1/4, 1/4, 1/2),
    e = -(1/ln 3)(2 * 0.25 ln 0.25 + 0.5 ln 0.5) = 0.946395, d = 0.053605.
    w = (0.188722, 0.053605) / 0.242327 = (0.778789, 0.221211)."""
    weights = entropy_weights(pd.DataFrame({"a": [1, 3, np.nan], "b": [1, 1, 2.0]}))
    np.testing.assert_allclose(weights, [0.778789, 0.221211], atol=1e-6)


def test_entropy_uninformative_columns_weigh_nothing() -> None:
    """Constant, all-zero and single-value columns have d_j = 0; all uninformative -> equal."""
    frame = pd.DataFrame(
        {
            "varies": [0.1, 0.9, 0.5],
            "same": [0.3] * 3,
            "zero": [0.0] * 3,
            "one": [np.nan, 1, np.nan],
        }
    )
    assert entropy_weights(frame).tolist() == [1.0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(entropy_weights(frame.drop(columns="varies")), [1 / 3] * 3)


def test_entropy_refuses_bad_frames() -> None:
    """Negative values, fewer than 2 rows, text, infinity and duplicate names are refused."""
    with pytest.raises(ConfigError, match=r"non-negative.*\['b'\]"):
        entropy_weights(pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, -1.0]}))
    with pytest.raises(ConfigError, match="at least 2 rows; the frame has 1"):
        entropy_weights(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(ConfigError, match=r"numeric criteria.*\['name'\]"):
        entropy_weights(pd.DataFrame({"a": [1.0, 2.0], "name": ["x", "y"]}))
    with pytest.raises(ConfigError, match=r"infinity"):
        entropy_weights(pd.DataFrame({"a": [1.0, np.inf]}))
    with pytest.raises(ConfigError, match=r"distinct column names"):
        entropy_weights(pd.DataFrame([[1.0, 2.0], [2.0, 1.0]], columns=["a", "a"]))


# ------------------------------------------------------------------- CRITIC


def test_critic_jmcdm_test_vector() -> None:
    """JMcDM's CRITIC test (jbytecode/JMcDM, test/mcdm/testcritic.jl): weights
    0.16883925, 0.418444976, 0.249124763, 0.163591012 (tol 1e-4). The third criterion
    is a cost there; our input is oriented so higher is better, so it is negated
    (min-max of -x is the cost normalisation (max - x) / (max - min))."""
    matrix = np.array(
        [
            [12.9918, 0.7264, -1.1009, 1.598139592],
            [4.1201, 5.8824, 3.4483, 1.021563567],
            [4.1039, 0.0000, -0.5076, 0.984469444],
        ]
    )
    matrix[:, 2] *= -1
    expected = [0.16883925, 0.418444976, 0.249124763, 0.163591012]
    np.testing.assert_allclose(critic_weights(pd.DataFrame(matrix)), expected, atol=1e-4)


def test_critic_tus_aytac_adali_2019() -> None:
    """Tus, A. & Aytac Adali, E. (2019), "The new combination with CRITIC and WASPAS methods
    for the time and attendance software selection problem", Opsearch 56(2), 528-538:
    weights 0.157, 0.249, 0.168, 0.121, 0.154, 0.151, as asserted by pyrepo-mcda's tests
    (energyinpython/pyrepo-mcda, tests/test_weighting_methods.py, Test_CRITIC), which
    min-max normalise every column as a benefit criterion and use numpy's population
    standard deviation."""
    frame = pd.DataFrame(
        [
            [5000, 3, 3, 4, 3, 2],
            [680, 5, 3, 2, 2, 1],
            [2000, 3, 2, 3, 4, 3],
            [600, 4, 3, 1, 2, 2],
            [800, 2, 4, 3, 3, 4],
        ]
    )
    expected = [0.157, 0.249, 0.168, 0.121, 0.154, 0.151]
    np.testing.assert_allclose(critic_weights(frame), expected, atol=5e-4)


def test_critic_constant_column_weighs_nothing_and_changes_nothing() -> None:
    """Diakoulaki et al. (1995): sigma = 0 gives C = 0. Its undefined correlations add
    nothing, so the other weights are those of the frame without it."""
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 5.0], "b": [3.0, 1.0, 2.0, 2.0]})
    with_constant = frame.assign(flat=7.0)
    weights = critic_weights(with_constant)
    assert weights["flat"] == 0.0
    pd.testing.assert_series_equal(weights[["a", "b"]], critic_weights(frame))
    np.testing.assert_allclose(critic_weights(pd.DataFrame({"x": [1.0] * 3})), [1.0])


@pytest.mark.parametrize("method", [entropy_weights, critic_weights, pca_weights])
def test_missing_values_drop_cells_not_rows(method: WeightMethod) -> None:
    """A NaN drops that cell only (pairwise for correlations); an all-missing column weighs
    0; the result is a proper weight vector, computed without warnings."""
    frame = pd.DataFrame(
        {
            "a": [1.0, 2.0, np.nan, 5.0, 4.0, 3.0],
            "b": [3.0, 1.0, 2.0, 2.0, 0.0, 1.0],
            "c": [1.0, np.nan, 0.0, 2.0, 3.0, 2.5],
            "gone": [np.nan] * 6,
        }
    )
    weights = method(frame)
    assert weights["gone"] == 0.0
    assert np.isfinite(weights).all() and weights.sum() == pytest.approx(1.0, abs=1e-12)


# ---------------------------------------------------------------------- PCA

# Technology Achievement Index, 23 countries (UNDP Human Development Report 2001), the
# data set of the OECD/JRC Handbook's factor-analysis example; telephones and electricity
# are log10. Transcribed from the Handbook's data as posted on forum.posit.co
# ("varimax rotation", topic 109877).
TAI_COLUMNS = [
    "patents", "royalties", "internet", "exports", "telephones", "electricity", "schooling",
    "university",
]  # fmt: skip
TAI = [
    [187, 125.6, 200.2, 50.7, 3.08, 4.15, 10.0, 27.4],
    [289, 130.0, 179.1, 66.2, 3.00, 4.07, 12.0, 13.9],
    [271, 156.6, 125.8, 59.7, 3.10, 4.14, 11.4, 15.3],
    [994, 64.6, 49.0, 80.8, 3.00, 3.86, 9.5, 10.0],
    [779, 9.8, 4.8, 66.7, 2.97, 3.65, 10.8, 23.2],
    [189, 151.2, 136.0, 50.9, 3.02, 3.77, 9.4, 9.5],
    [82, 134.0, 57.4, 61.9, 3.02, 3.73, 9.4, 14.9],
    [31, 38.6, 108.0, 48.7, 2.94, 4.18, 11.6, 14.2],
    [75, 18.2, 125.9, 16.2, 2.94, 3.94, 10.9, 25.3],
    [8, 25.5, 72.3, 74.9, 2.95, 3.83, 7.1, 24.2],
    [235, 36.8, 41.2, 64.2, 2.94, 3.75, 10.2, 14.4],
    [103, 20.2, 193.6, 19.0, 3.12, 4.39, 11.9, 11.2],
    [106, 110.3, 48.6, 53.6, 2.97, 3.68, 9.4, 12.3],
    [72, 73.9, 58.9, 47.6, 2.91, 3.86, 9.3, 13.6],
    [103, 13.0, 146.7, 15.4, 2.86, 3.91, 11.7, 13.1],
    [165, 14.8, 84.2, 50.3, 2.99, 3.79, 8.4, 13.6],
    [205, 33.6, 36.4, 58.9, 2.97, 3.80, 7.9, 12.6],
    [74, 43.6, 43.2, 45.0, 2.96, 3.74, 9.6, 11.0],
    [42, 8.6, 21.0, 53.4, 2.86, 3.62, 7.3, 15.6],
    [13, 9.8, 30.4, 51.0, 3.00, 3.65, 7.2, 13.0],
    [28, 4.2, 25.0, 51.7, 2.75, 3.68, 9.5, 8.2],
    [26, 6.2, 21.6, 63.5, 2.73, 3.46, 9.1, 7.7],
    [105, 4.0, 20.3, 49.5, 2.84, 3.71, 7.1, 10.6],
]


def test_pca_handbook_tai_eigenvalues_and_loadings() -> None:
    """Nardo et al., Handbook on Constructing Composite Indicators (OECD Statistics Working
    Paper STD/DOC(2005)3, Tables 16-17; the 2008 OECD/JRC Handbook section 6.1, Tables
    6.3-6.4, presents the same example). Published: variance explained by the 8 components
    41.9, 21.8, 12.3, 11.1, 6.0, 3.7, 2.2, 0.9 %; four factors kept; after varimax, patents
    loads 0.07, 0.97, 0.06, 0.06, i.e. 0.97 on its own factor, whose scaled squared loading
    is 0.67. The published percentages are rounded loosely (cumulative 87.2 for four, ours
    87.25), hence 0.15 points of tolerance; the patents row is checked to its 2 decimals
    (0.07 as published, 0.06 here)."""
    eigenvalues, loadings = _rotated_loadings(np.array(TAI), n_components=4)
    explained = 100 * eigenvalues / eigenvalues.sum()
    np.testing.assert_allclose(explained, [41.9, 21.8, 12.3, 11.1, 6.0, 3.7, 2.2, 0.9], atol=0.15)
    patents = np.abs(loadings[0])
    home = int(np.argmax(patents))
    assert patents[home] == pytest.approx(0.97, abs=0.005)
    np.testing.assert_allclose(np.delete(patents, home), [0.065] * 3, atol=0.015)
    scaled = loadings[0, home] ** 2 / (loadings[:, home] ** 2).sum()
    assert scaled == pytest.approx(0.67, abs=0.005)


def test_pca_handbook_procedure_by_hand() -> None:
    """Hand computation of the Handbook's steps (no published end-to-end weights were
    found to check against). Two independent blocks built from orthonormal centred
    vectors u1, u2, u3: A1 = u1, A2 = 0.5 u1 + sqrt(0.75) u2 (correlation 0.5), B1 = u3,
    B2 = 3 u3 + 7 (correlation 1). Eigenvalues 2, 1.5, 0.5, 0: Kaiser keeps two.
    Loadings: B on factor 1 (1, 1), A on factor 2 (sqrt(0.75) each); already simple, so
    varimax keeps them. Squared loadings scaled to unit sum: 1/2 each in both factors.
    Explained variance 2 and 1.5, shares 2/3.5 and 1.5/3.5. Weights: A 0.5 * 1.5/3.5 =
    0.2142857 each, B 0.5 * 2/3.5 = 0.2857143 each (sum 1)."""
    rng = np.random.default_rng(7)
    raw = rng.normal(size=(8, 3))
    basis, _ = np.linalg.qr(raw - raw.mean(axis=0))
    u1, u2, u3 = basis.T
    frame = pd.DataFrame(
        {"A1": u1, "A2": 0.5 * u1 + math.sqrt(0.75) * u2, "B1": u3, "B2": 3 * u3 + 7}
    )
    eigenvalues, _ = _rotated_loadings(frame.to_numpy(), n_components=None)
    np.testing.assert_allclose(eigenvalues, [2.0, 1.5, 0.5, 0.0], atol=1e-12)
    weights = pca_weights(frame)
    np.testing.assert_allclose(weights, [1.5 / 7, 1.5 / 7, 2 / 7, 2 / 7], atol=1e-10)


def test_varimax_recovers_a_rotated_simple_structure() -> None:
    """Kaiser (1958): a perfect simple structure maximises the varimax criterion, so a
    rotated copy of it is rotated back (up to the order and sign of the factors)."""
    simple = np.array([[0.9, 0.0], [0.8, 0.0], [0.0, 0.7], [0.0, 0.6], [0.0, 0.5]])
    angle = 0.6
    turn = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    recovered = np.abs(_varimax(simple @ turn))
    if recovered[0, 0] < recovered[0, 1]:
        recovered = recovered[:, ::-1]
    np.testing.assert_allclose(recovered, simple, atol=1e-8)


def test_pca_weights_options_and_edges() -> None:
    """n_components is checked; a constant column weighs 0; one component needs no rotation."""
    frame = pd.DataFrame(np.array(TAI), columns=TAI_COLUMNS)
    four = pca_weights(frame, n_components=4)
    assert four.sum() == pytest.approx(1.0) and (four > 0).all()
    assert not np.allclose(four, pca_weights(frame))  # Kaiser keeps two here, not four
    with pytest.raises(ConfigError, match="n_components must be a whole number from 1 to 8"):
        pca_weights(frame, n_components=9)
    flat = pca_weights(frame.assign(flat=1.0))
    assert flat["flat"] == 0.0
    pd.testing.assert_series_equal(flat.drop("flat"), pca_weights(frame))
    np.testing.assert_allclose(pca_weights(pd.DataFrame({"x": [1.0, 1.0]})), [1.0])


# -------------------------------------------------------------------- TOPSIS


def test_topsis_hwang_yoon_1981_fighter_aircraft() -> None:
    """Hwang & Yoon (1981), Multiple Attribute Decision Making, Springer, TOPSIS numerical
    example (fighter aircraft): attributes max speed, ferry range, max payload, cost
    (a cost attribute), reliability, manoeuvrability (qualitative ones on the book's
    interval scale), weights (0.2, 0.1, 0.1, 0.1, 0.2, 0.3); relative closeness
    C* = 0.643, 0.268, 0.613, 0.312. The book carries rounded intermediate values, so
    the third is 0.6135 in full precision: checked to 1e-3."""
    aircraft = [
        [2.0, 1500, 20000, 5.5, 5, 9],
        [2.5, 2700, 18000, 6.5, 3, 5],
        [1.8, 2000, 21000, 4.5, 7, 7],
        [2.2, 1800, 20000, 5.0, 5, 5],
    ]
    closeness = topsis_rank(aircraft, [0.2, 0.1, 0.1, 0.1, 0.2, 0.3], [1, 1, 1, -1, 1, 1])
    np.testing.assert_allclose(closeness, [0.643, 0.268, 0.613, 0.312], atol=1e-3)


def test_topsis_tzeng_huang_2011() -> None:
    """Tzeng & Huang (2011), Multiple Attribute Decision Making: Methods and Applications,
    CRC Press: closeness 0.5037, 0.6581, 0.7482, 0.3340, as asserted by scikit-criteria's
    tests (quatrope/scikit-criteria, tests/agg/test_similarity.py,
    test_TOPSIS_tzeng2011multiple)."""
    closeness = topsis_rank([[5, 8, 4], [7, 6, 8], [8, 8, 6], [7, 4, 6]], [0.3, 0.4, 0.3], [1] * 3)
    np.testing.assert_allclose(closeness, [0.5037, 0.6581, 0.7482, 0.3340], atol=1e-4)


def test_topsis_jmcdm_test_vector() -> None:
    """JMcDM's TOPSIS test (jbytecode/JMcDM, test/mcdm/testtopsis.jl): unnormalised
    weights (4, 2, 6, 8), closeness 0.3876870, 0.6503238, 0.0834767 (tol 1e-5)."""
    closeness = topsis_rank([[9, 7, 6, 7], [8, 7, 9, 6], [7, 8, 6, 6]], [4, 2, 6, 8], [1] * 4)
    np.testing.assert_allclose(closeness, [0.3876870, 0.6503238, 0.0834767], atol=1e-5)


def test_topsis_kernel_matches_classic_topsis() -> None:
    """With the column max/min of the vector-normalised matrix as ideal/anti-ideal, the
    scorecard kernel computes Hwang & Yoon's closeness (Tzeng & Huang data above)."""
    matrix = np.array([[5, 8, 4], [7, 6, 8], [8, 8, 6], [7, 4, 6]], dtype=float)
    weights = np.array([0.3, 0.4, 0.3])
    unit = matrix / np.sqrt((matrix**2).sum(axis=0))
    kernel = topsis(unit, weights, ideal=unit.max(axis=0), anti_ideal=unit.min(axis=0))
    np.testing.assert_allclose(kernel, topsis_rank(matrix, weights, [1, 1, 1]), atol=1e-12)


def test_topsis_rank_refuses_bad_input() -> None:
    """Directions are 1 or -1; one weight and one direction per column."""
    with pytest.raises(ConfigError, match="directions must be 1"):
        topsis_rank([[1, 2], [2, 1]], [0.5, 0.5], [1, 0])
    with pytest.raises(ConfigError, match="one weight and one direction per column"):
        topsis_rank([[1, 2], [2, 1]], [1.0], [1])


# -------------------------------------------------------- aggregation kernels


def test_missing_criteria_reweighted_per_row() -> None:
    """A row's missing criteria drop out and the other weights are renormalised:
    0.5 * 0.5 + 0.3 * 1 + 0.2 * 1 = 0.75 in full; 0.5 * 0.5 / 0.5 = 0.5 with only the
    first present; NaN with none."""
    norm = np.array([[0.5, 1.0, 1.0], [0.5, np.nan, np.nan], [np.nan] * 3])
    weights = np.array([0.5, 0.3, 0.2])
    np.testing.assert_allclose(weighted_sum(norm, weights), [0.75, 0.5, np.nan])
    np.testing.assert_allclose(geometric(norm, weights), [0.5**0.5, 0.5, np.nan])
    closeness = topsis(norm, weights, ideal=np.ones(3), anti_ideal=np.zeros(3))
    np.testing.assert_allclose(closeness[1:], [0.5, np.nan])


def test_geometric_floor_keeps_zeros_from_zeroing_the_score() -> None:
    """prod max(x, floor)^w: 0.01^0.5 * 1^0.5 = 0.1 with the default floor."""
    norm = np.array([[0.0, 1.0]])
    np.testing.assert_allclose(geometric(norm, np.array([0.5, 0.5])), [0.1])
    np.testing.assert_allclose(geometric(norm, np.array([0.5, 0.5]), floor=0.04), [0.2])


def test_topsis_degenerate_and_clipped_points() -> None:
    """ideal == anti_ideal on every weighted criterion: d+ + d- = 0, closeness 1.0.
    A value beyond the ideal counts as the ideal."""
    norm = np.array([[0.2, 0.9], [0.7, 0.1]])
    same = np.array([0.5, 0.5])
    np.testing.assert_allclose(
        topsis(norm, np.array([0.5, 0.5]), ideal=same, anti_ideal=same), [1, 1]
    )
    beyond = topsis(
        np.array([[1.0], [0.8]]), np.array([1.0]), ideal=np.array([0.8]), anti_ideal=np.array([0.2])
    )
    np.testing.assert_allclose(beyond, [1.0, 1.0])


# ---------------------------------------------------------------- properties

positive_matrices = st.integers(3, 10).flatmap(
    lambda rows: st.integers(1, 5).flatmap(
        lambda cols: hnp.arrays(np.float64, (rows, cols), elements=st.floats(0.01, 100.0))
    )
)


@st.composite
def correlated_matrices(draw: st.DrawFn) -> np.ndarray:
    """Continuous correlated data. PCA weights are only defined up to ties: when kept
    eigenvalues are equal (say three columns with identical pairwise correlations) the
    varimax optimum is not unique, and which one is found depends on rounding. Hypothesis'
    favourite small integers produce such ties, so PCA's properties use data without."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rows, cols = draw(st.integers(4, 30)), draw(st.integers(1, 6))
    mixing = rng.normal(size=(cols, cols)) * (rng.uniform(size=(cols, cols)) < 0.5)
    return rng.normal(size=(rows, cols)) @ (np.eye(cols) + mixing) + 10.0


def _frame(values: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(values, columns=[f"c{j}" for j in range(values.shape[1])])


@pytest.mark.parametrize(
    ("method", "matrices"),
    [
        (entropy_weights, positive_matrices),
        (critic_weights, positive_matrices),
        (critic_weights, correlated_matrices()),
        (pca_weights, correlated_matrices()),
    ],
)
@PROPERTY
@given(data=st.data())
def test_data_weights_are_a_distribution_invariant_to_row_order(
    method: WeightMethod, matrices: st.SearchStrategy[np.ndarray], data: st.DataObject
) -> None:
    """Weights are non-negative, sum to 1, are indexed by the columns, and do not depend
    on the order of the rows."""
    frame = _frame(data.draw(matrices))
    weights = method(frame)
    assert list(weights.index) == list(frame.columns)
    assert (weights >= 0).all()
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    order = data.draw(st.permutations(range(len(frame))))
    np.testing.assert_allclose(method(frame.iloc[order]), weights, atol=1e-7)


@pytest.mark.parametrize(
    ("method", "matrices"),
    [(critic_weights, positive_matrices), (pca_weights, correlated_matrices())],
)
@PROPERTY
@given(factor=st.floats(0.001, 1000.0), shift=st.floats(-50.0, 50.0), data=st.data())
def test_critic_and_pca_ignore_a_columns_scale(
    method: WeightMethod,
    matrices: st.SearchStrategy[np.ndarray],
    factor: float,
    shift: float,
    data: st.DataObject,
) -> None:
    """CRITIC min-max normalises and PCA standardises, so multiplying a column by a positive
    number (and shifting it) leaves the weights unchanged."""
    frame = _frame(data.draw(matrices))
    column = data.draw(st.sampled_from(list(frame.columns)))
    rescaled = frame.assign(**{column: frame[column] * factor + shift})
    np.testing.assert_allclose(method(rescaled), method(frame), atol=1e-6)


unit_values = st.one_of(st.floats(0.0, 1.0), st.just(0.0), st.just(1.0))


@st.composite
def scoring_problems(draw: st.DrawFn) -> Problem:
    """A normalised matrix with some NaN, a weight vector, and ideal/anti-ideal points."""
    rows, cols = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    norm = draw(hnp.arrays(np.float64, (rows, cols), elements=unit_values))
    missing = draw(hnp.arrays(np.bool_, (rows, cols)))
    norm = np.where(missing & (draw(st.booleans())), np.nan, norm)
    raw = draw(hnp.arrays(np.float64, cols, elements=st.floats(0.0, 1.0)))
    weights = (raw + 1e-3) / (raw + 1e-3).sum()
    if draw(st.booleans()):
        ideal, anti = np.ones(cols), np.zeros(cols)
    else:
        ideal = draw(hnp.arrays(np.float64, cols, elements=st.floats(0.55, 0.95)))
        anti = draw(hnp.arrays(np.float64, cols, elements=st.floats(0.05, 0.45)))
    return norm, weights, ideal, anti


def _all_kernels(
    norm: np.ndarray, weights: np.ndarray, ideal: np.ndarray, anti: np.ndarray
) -> dict[str, np.ndarray]:
    return {
        "weighted_sum": weighted_sum(norm, weights),
        "geometric": geometric(norm, weights),
        "topsis": topsis(norm, weights, ideal=ideal, anti_ideal=anti),
    }


@PROPERTY
@given(scoring_problems())
def test_aggregations_stay_in_unit_interval(problem: Problem) -> None:
    """Every score is in [0, 1] (or NaN exactly when a row has nothing present)."""
    norm, weights, ideal, anti = problem
    empty = np.isnan(norm).all(axis=1)
    for scores in _all_kernels(norm, weights, ideal, anti).values():
        assert scores.shape == (norm.shape[0],)
        assert (np.isnan(scores) == empty).all()
        assert ((scores[~empty] >= 0) & (scores[~empty] <= 1)).all()


@PROPERTY
@given(scoring_problems(), st.data())
def test_aggregations_are_monotone(problem: Problem, data: st.DataObject) -> None:
    """Raising one present cell never lowers that row's score nor changes the others."""
    norm, weights, ideal, anti = problem
    present = np.argwhere(~np.isnan(norm))
    if len(present) == 0:
        return
    i, j = present[data.draw(st.integers(0, len(present) - 1))]
    raised = norm.copy()
    raised[i, j] = data.draw(st.floats(norm[i, j], 1.0))
    before = _all_kernels(norm, weights, ideal, anti)
    after = _all_kernels(raised, weights, ideal, anti)
    for name in before:
        assert after[name][i] >= before[name][i] - 1e-12, name
        others = np.arange(norm.shape[0]) != i
        np.testing.assert_array_equal(after[name][others], before[name][others])


@PROPERTY
@given(scoring_problems(), st.integers(1, 4), st.data())
def test_weight_draws_equal_a_loop_over_draws(
    problem: Problem, n_draws: int, data: st.DataObject
) -> None:
    """A (n_draws, n_criteria) stack gives (n_draws, n_rows), row d equal to draw d alone."""
    norm, _, ideal, anti = problem
    raw = data.draw(hnp.arrays(np.float64, (n_draws, norm.shape[1]), elements=st.floats(0.01, 1)))
    draws = raw / raw.sum(axis=1, keepdims=True)
    stacked = _all_kernels(norm, draws, ideal, anti)
    for d in range(n_draws):
        single = _all_kernels(norm, draws[d], ideal, anti)
        for name, scores in stacked.items():
            assert scores.shape == (n_draws, norm.shape[0])
            np.testing.assert_allclose(scores[d], single[name], rtol=1e-12, atol=1e-14)
