"""Order statistics: ascending order by packed keys, rank lookups, ranks and percentiles."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

from am_analytics.scoring._ordering import (
    ascending_order,
    interpolate_ranks,
    population_percentiles,
    rank_and_percentile,
)

SEEDS = st.integers(0, 2**32 - 1)


def _values(rng: np.random.Generator, n_rows: int) -> np.ndarray:
    """Ties, near-ties (one unit in the last place apart), zeros of both signs, huge and tiny."""
    pool = np.r_[rng.normal(0, 100, 50), 0.0, -0.0, 1e308, -1e308, 1e-300, 5e-324]
    values = rng.choice(pool, n_rows)
    nudged = rng.random(n_rows) < 0.2
    values[nudged] = np.nextafter(values[nudged], np.inf)
    return values


def _reference_rank_and_percentile(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rank and percentile by a full descending sort (the definition)."""
    scored = np.flatnonzero(~np.isnan(points))
    greater = np.array([(points[scored] > p).sum() for p in points[scored]], dtype=np.int64)
    rank, percentile = np.full(len(points), np.nan), np.full(len(points), np.nan)
    rank[scored] = greater + 1
    percentile[scored] = 100 * (len(scored) - greater) / max(len(scored), 1)
    return rank, percentile


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 3000), SEEDS)
def test_ascending_order_sorts_all_but_values_agreeing_in_their_leading_bits(
    n_rows: int, seed: int
) -> None:
    """The order is a permutation; out of order only values within 2**-40 relative (or
    both subnormal)."""
    values = _values(np.random.default_rng(seed), n_rows)
    order = ascending_order(values)
    assert sorted(order.tolist()) == list(range(n_rows))
    ordered = values[order]
    backwards = np.flatnonzero(ordered[1:] < ordered[:-1])
    assert np.isclose(ordered[backwards], ordered[backwards + 1], rtol=2**-40, atol=1e-300).all()


def test_ascending_order_keeps_row_order_among_equal_values() -> None:
    """Equal values (0.0 and -0.0 too) come in row order: the order is a stable sort."""
    values = np.array([2.0, -0.0, 1.0, 0.0, 2.0, -3.0, 1.0])
    assert ascending_order(values).tolist() == np.argsort(values, kind="stable").tolist()


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 300), st.integers(4097, 9000), SEEDS)
def test_rank_lookup_equals_numpy_interp(n_grid: int, n_rows: int, seed: int) -> None:
    """Past 4,096 values the lookup in ascending order gives np.interp's floats exactly."""
    rng = np.random.default_rng(seed)
    grid = np.unique(rng.normal(0, 50, n_grid))
    percentiles = np.sort(rng.random(len(grid)))
    x = np.r_[rng.choice(grid, n_rows // 2), rng.normal(0, 80, n_rows - n_rows // 2)]
    x[rng.random(n_rows) < 0.05] = np.nan
    expected = np.interp(x, grid, percentiles, 0.0, 1.0)
    if len(grid) == 1:
        expected[np.isnan(x)] = np.nan
    np.testing.assert_array_equal(interpolate_ranks(x, grid, percentiles), expected)


@settings(max_examples=40, deadline=None)
@given(st.integers(33, 400), st.integers(4097, 9000), st.integers(-(2**60), 2**60), SEEDS)
def test_rank_lookup_of_counts_equals_numpy_interp(
    n_grid: int, n_rows: int, low: int, seed: int
) -> None:
    """A grid of whole numbers (counts) read from a table gives np.interp's floats exactly,
    for whole values, fractions, values outside the grid and NaN alike."""
    rng = np.random.default_rng(seed)
    grid = np.unique(float(low) + rng.integers(0, 2 * n_grid, n_grid)).astype(np.float64)
    percentiles = np.sort(rng.random(len(grid)))
    pool = np.r_[grid, grid + 0.5, grid[0] - 1, grid[-1] + 1, np.nan, -np.inf, np.inf]
    x = rng.choice(pool, n_rows)
    expected = np.interp(x, grid, percentiles, 0.0, 1.0)
    np.testing.assert_array_equal(interpolate_ranks(x, grid, percentiles), expected)


def test_rank_lookup_on_an_empty_grid_places_nobody() -> None:
    """No population value: every norm is missing."""
    empty = np.array([])
    assert np.isnan(interpolate_ranks(np.arange(5000.0), empty, empty)).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 400), SEEDS)
def test_rank_and_percentile_follow_their_definition(n_rows: int, seed: int) -> None:
    """Rank = 1 + scores strictly above; percentile = % scoring at most as much; NaN unscored."""
    points = _values(np.random.default_rng(seed), n_rows)
    points[np.random.default_rng(seed + 1).random(n_rows) < 0.1] = np.nan
    rank, percentile = rank_and_percentile(points)
    expected_rank, expected_percentile = _reference_rank_and_percentile(points)
    np.testing.assert_array_equal(rank, expected_rank)
    np.testing.assert_array_equal(percentile, expected_percentile)


def test_rank_and_percentile_by_hand() -> None:
    """Ties share the best rank; the percentile counts the ties as at most."""
    rank, percentile = rank_and_percentile(np.array([50.0, np.nan, 80.0, 50.0, 10.0]))
    np.testing.assert_array_equal(rank, [2.0, np.nan, 1.0, 2.0, 4.0])
    np.testing.assert_array_equal(percentile, [75.0, np.nan, 100.0, 75.0, 25.0])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 5000), st.integers(1, 300), SEEDS)
def test_population_percentiles_count_the_population_at_most(
    n_rows: int, n_population: int, seed: int
) -> None:
    """% of the sorted population at most each point plus the tolerance; NaN stays NaN."""
    rng = np.random.default_rng(seed)
    population = np.sort(rng.choice(np.arange(0.0, 100.0, 0.5), n_population))
    points = rng.choice(np.r_[population, np.nan, -1.0, 101.0, 49.9999999999], n_rows)
    got = population_percentiles(points, population, tolerance=1e-9)
    expected = np.array(
        [np.nan if np.isnan(p) else 100 * (population <= p + 1e-9).sum() / n_population
         for p in points]
    )  # fmt: skip
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("population", [None, np.array([])])
def test_population_percentiles_without_a_population_are_missing(
    population: np.ndarray | None,
) -> None:
    """No population kept (JSON from before) or an empty one: NaN for every point."""
    got = population_percentiles(np.array([1.0, 2.0]), population, tolerance=1e-9)
    assert np.isnan(got).all()


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 32), st.integers(4097, 9000), st.integers(-(2**40), 2**40), SEEDS)
def test_rank_lookup_of_a_few_counts_equals_numpy_interp(
    n_grid: int, n_rows: int, low: int, seed: int
) -> None:
    """A short grid of whole numbers (a count with few values) is read from its table too,
    and gives np.interp's floats exactly, NaN and values between or outside included."""
    rng = np.random.default_rng(seed)
    grid = np.unique(float(low) + rng.integers(0, 3 * n_grid, n_grid)).astype(np.float64)
    percentiles = np.sort(rng.random(len(grid)))
    pool = np.r_[grid, grid + 0.25, grid[0] - 3, grid[-1] + 2, np.nan]
    x = rng.choice(pool, n_rows)
    expected = np.interp(x, grid, percentiles, 0.0, 1.0)
    np.testing.assert_array_equal(interpolate_ranks(x, grid, percentiles), expected)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 20_000), st.sampled_from([0.0, 0.05]), st.booleans(), SEEDS)
def test_rank_and_percentile_equal_scipy_max_ranks(
    n_rows: int, nan_share: float, distinct: bool, seed: int
) -> None:
    """Against scipy's ranks with ties at their highest position: rank = n + 1 - that,
    percentile = 100 × that / n, on all-distinct scores and on tied ones, with or without NaN."""
    rng = np.random.default_rng(seed)
    points = rng.random(n_rows) * 100 if distinct else rng.integers(0, 50, n_rows) / 2
    points[rng.random(n_rows) < nan_share] = np.nan
    scored = ~np.isnan(points)
    at_most = rankdata(points[scored], method="max").astype(np.int64)
    expected_rank = np.full(n_rows, np.nan)
    expected_percentile = np.full(n_rows, np.nan)
    expected_rank[scored] = scored.sum() + 1 - at_most
    expected_percentile[scored] = 100 * at_most / max(scored.sum(), 1)
    rank, percentile = rank_and_percentile(points)
    np.testing.assert_array_equal(rank, expected_rank)
    np.testing.assert_array_equal(percentile, expected_percentile)


@pytest.mark.parametrize("n_rows", [65_535, 65_536, 200_001])
def test_ascending_order_of_many_rows_is_numpys_stable_argsort(n_rows: int) -> None:
    """Past one block of packed keys: for well-separated values with ties (and NaN last),
    the order is numpy's stable argsort exactly."""
    rng = np.random.default_rng(n_rows)
    values = rng.integers(-50, 50, n_rows).astype(np.float64) * 1.5
    values[rng.random(n_rows) < 0.01] = np.nan
    np.testing.assert_array_equal(ascending_order(values), np.argsort(values, kind="stable"))


def test_rank_lookup_of_counts_in_several_blocks_equals_numpy_interp() -> None:
    """Past one block of rows the table of a count gives np.interp's floats exactly."""
    rng = np.random.default_rng(11)
    grid = np.unique(rng.integers(0, 400, 300)).astype(np.float64)
    percentiles = np.sort(rng.random(len(grid)))
    x = rng.choice(np.r_[grid, grid + 0.5, -1.0, 500.0, np.nan], 150_001)
    expected = np.interp(x, grid, percentiles, 0.0, 1.0)
    np.testing.assert_array_equal(interpolate_ranks(x, grid, percentiles), expected)
