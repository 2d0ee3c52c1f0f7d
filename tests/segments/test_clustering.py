"""Value clustering: tiers by value, stability, preprocessing, persistence, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import multivariate_normal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.metrics import silhouette_score
from sklearn.utils.validation import check_is_fitted

import am_analytics as am
from am_analytics.errors import AmAnalyticsError, ConfigError, DataValidationError
from am_analytics.segments import _cluster_fitting
from am_analytics.segments._cluster_fitting import _silhouettes
from am_analytics.segments._clustering import (
    UNTIERED_NAME,
    NotFittedError,
    ValueSegmenter,
    _signed_log1p,
)

FEATURES = ["recency_days", "frequency", "monetary"]

# ---------------------------------------------------------------------------
# populations
# ---------------------------------------------------------------------------


def population(n: int = 3000, *, seed: int = 0) -> pd.DataFrame:
    """A realistic client book: lognormal spend, geometric-ish orders, uniform recency.

    The last 2 % never ordered (refunds only: recency NaN, frequency 0, net < 0)
    and a few buyers are net non-positive after refunds.
    """
    rng = np.random.default_rng(seed)
    frequency = rng.geometric(0.35, n).astype(np.int64)
    monetary = rng.lognormal(mean=7.5, sigma=1.2, size=n) * frequency
    recency = rng.uniform(0, 720, n).round()
    refunders = n // 50
    frequency[-refunders:] = 0
    recency[-refunders:] = np.nan
    monetary[-refunders:] = -rng.uniform(10, 500, refunders)
    monetary[:10] = -rng.uniform(0, 100, 10)  # buyers who returned more than they kept
    index = pd.Index([f"C{i:05d}" for i in range(n)], name="client_id")
    return pd.DataFrame(
        {"recency_days": recency, "frequency": frequency, "monetary": monetary}, index=index
    )


#: Four groups far apart in log space: (recency days, orders, net value, clients).
GROUPS = [(5, 60, 2e6, 150), (40, 15, 1e5, 300), (150, 4, 5e3, 450), (600, 1, 100, 600)]


def separated(*, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Four well-separated groups, most valuable first; returns the frame and group (1..4)."""
    rng = np.random.default_rng(seed)
    parts, groups = [], []
    for g, (recency, orders, money, size) in enumerate(GROUPS, start=1):
        jitter = rng.lognormal(0.0, 0.1, size=(size, 3))
        parts.append(
            pd.DataFrame(
                {
                    "recency_days": (recency * jitter[:, 0]).round(),
                    "frequency": np.maximum(1, (orders * jitter[:, 1]).round()).astype(np.int64),
                    "monetary": money * jitter[:, 2],
                }
            )
        )
        groups.append(np.full(size, g))
    frame = pd.concat(parts, ignore_index=True)
    order = rng.permutation(len(frame))  # not sorted by group: the order must not matter
    frame = frame.iloc[order]
    frame.index = pd.Index([f"S{i:04d}" for i in range(len(frame))], name="client_id")
    return frame, np.concatenate(groups)[order]


@pytest.fixture(scope="module")
def book() -> pd.DataFrame:
    return population()


@pytest.fixture(scope="module")
def fitted_kmeans(book: pd.DataFrame) -> ValueSegmenter:
    return ValueSegmenter(k="auto").fit(book)


@pytest.fixture(scope="module")
def fitted_gmm(book: pd.DataFrame) -> ValueSegmenter:
    return ValueSegmenter(k=4, method="gmm").fit(book)


def standardised(segmenter: ValueSegmenter, frame: pd.DataFrame) -> np.ndarray:
    """The preprocessing written out independently: sign·log1p, then the fitted z-score."""
    x = frame[FEATURES].to_numpy(dtype=float)
    logged = np.sign(x) * np.log(1 + np.abs(x))
    return (logged - segmenter.feature_means_) / segmenter.feature_scales_


# ---------------------------------------------------------------------------
# known answers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_tiers_are_the_planted_groups_in_value_order(method: str) -> None:
    """Four separated groups come out as tiers 1..4, richest first, with their sizes."""
    frame, group = separated()
    segmenter = ValueSegmenter(k=4, method=method).fit(frame)
    np.testing.assert_array_equal(segmenter.predict(frame), group)
    sizes = [size for *_, size in GROUPS]
    assert segmenter.tiers_["clients"].tolist() == [*sizes, 0]
    assert segmenter.tier_names_ == (
        "tier 1 (most valuable)",
        "tier 2",
        "tier 3",
        "tier 4 (least valuable)",
    )


def test_auto_finds_the_planted_number_of_groups() -> None:
    """k="auto" tries 3..8 and picks 4 on four separated groups."""
    frame, group = separated()
    segmenter = ValueSegmenter().fit(frame)
    assert segmenter.k_ == 4
    assert segmenter.silhouette_.index.tolist() == [3, 4, 5, 6, 7, 8]
    assert segmenter.silhouette_.idxmax() == 4
    np.testing.assert_array_equal(segmenter.labels_, group)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [({}, 3), ({5: 0.9, 7: 0.9}, 5), ({8: 0.7, 6: 0.7, 4: 0.6}, 6), ({4: 0.51}, 4)],
)
def test_silhouette_ties_go_to_the_smaller_k(
    monkeypatch: pytest.MonkeyPatch, scores: dict[int, float], expected: int
) -> None:
    """Equal silhouettes choose the smaller k (every k not listed scores 0.5)."""
    frame, _ = separated()
    calls: list[int] = []

    def fake_silhouettes(sample: np.ndarray, labelings: list[np.ndarray]) -> list[float]:
        ks = [len(np.unique(labels)) for labels in labelings]
        calls.extend(ks)
        return [scores.get(k, 0.5) for k in ks]

    monkeypatch.setattr(_cluster_fitting, "_silhouettes", fake_silhouettes)
    assert ValueSegmenter().fit(frame).k_ == expected
    assert calls == [3, 4, 5, 6, 7, 8]


def test_silhouette_is_sklearns_on_the_standardised_features(book: pd.DataFrame) -> None:
    """With fewer than 10,000 clients the sample is everyone: the score is sklearn's."""
    segmenter = ValueSegmenter(k=5).fit(book)
    placed = segmenter.labels_ > 0
    expected = silhouette_score(standardised(segmenter, book)[placed], segmenter.labels_[placed])
    assert segmenter.silhouette_.index.tolist() == [5]
    assert segmenter.silhouette_[5] == pytest.approx(expected, rel=1e-9)


def test_shared_distance_silhouettes_equal_sklearns() -> None:
    """Several labellings scored at once match silhouette_score, singletons and ties included."""
    rng = np.random.default_rng(5)
    sample = rng.normal(size=(1200, 3))  # more rows than one distance block
    sample[:40] = sample[40:80]  # duplicated clients
    labelings = [rng.integers(0, k, len(sample)) for k in (2, 3, 8)]
    labelings.append(np.r_[0, np.ones(len(sample) - 1, dtype=np.int64)])  # one singleton
    expected = [silhouette_score(sample, labels) for labels in labelings]
    # sklearn expands |a-b|² = |a|²+|b|²-2ab: agreement to rounding, not to the bit
    np.testing.assert_allclose(_silhouettes(sample, labelings), expected, rtol=1e-9, atol=1e-12)
    assert math.isnan(_silhouettes(sample, [np.zeros(len(sample))])[0])  # one cluster


def test_signed_log1p_keeps_the_sign_of_refunds() -> None:
    """sign(x)·log1p(|x|): -9 → -ln 10, 0 → 0, 9 → ln 10."""
    np.testing.assert_allclose(
        _signed_log1p(np.array([-9.0, 0.0, 9.0])), [-math.log(10), 0.0, math.log(10)]
    )


def test_one_feature_tiers_are_value_bands(book: pd.DataFrame) -> None:
    """Clustering monetary alone cuts it into bands: every tier-t client outspends tier t+1."""
    segmenter = ValueSegmenter(k=4, features=("monetary",)).fit(book)
    tiers = segmenter.labels_
    assert (tiers > 0).all()  # monetary is never missing here, even for refund-only clients
    money = book["monetary"].to_numpy()
    for tier in range(1, 4):
        assert money[tiers == tier].min() > money[tiers == tier + 1].max()


# ---------------------------------------------------------------------------
# what the tiers mean
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["fitted_kmeans", "fitted_gmm"])
def test_tier_1_has_the_highest_mean_net_value(
    fixture: str, book: pd.DataFrame, request: pytest.FixtureRequest
) -> None:
    """Mean monetary per tier, recomputed with pandas, falls strictly from tier 1 to k."""
    segmenter: ValueSegmenter = request.getfixturevalue(fixture)
    means = book["monetary"].groupby(segmenter.labels_).mean()
    tiered = means.drop(0).sort_index()
    assert tiered.index.tolist() == list(range(1, segmenter.k_ + 1))
    assert (np.diff(tiered.to_numpy()) < 0).all()
    np.testing.assert_allclose(segmenter.tiers_.loc[tiered.index, "monetary_mean"], tiered)
    counts = pd.Series(segmenter.labels_).value_counts()
    assert segmenter.tiers_["clients"].to_dict() == {
        t: counts.get(t, 0) for t in [*tiered.index, 0]
    }
    assert segmenter.tiers_["share"].sum() == pytest.approx(1.0)
    assert segmenter.tiers_["monetary_share"].sum() == pytest.approx(1.0)


def test_clients_without_orders_get_tier_0_and_change_nothing(book: pd.DataFrame) -> None:
    """Refund-only clients (recency NaN) are kept as tier 0; the model ignores them."""
    with_them = ValueSegmenter(k=5).fit(book)
    buyers = book[book["recency_days"].notna()]
    without = ValueSegmenter(k=5).fit(buyers)
    never = book["recency_days"].isna().to_numpy()
    assert (with_them.labels_[never] == 0).all()
    assert (with_them.labels_[~never] > 0).all()
    assert with_them.tiers_.loc[0, "clients"] == never.sum()
    assert with_them.tiers_.loc[0, "name"] == UNTIERED_NAME
    np.testing.assert_array_equal(with_them.centers_, without.centers_)
    np.testing.assert_array_equal(with_them.labels_[~never], without.labels_)
    # net non-positive buyers still have orders, hence a tier
    assert (with_them.labels_[:10] > 0).all()


def test_predict_next_quarter_uses_the_fitted_centres(fitted_kmeans: ValueSegmenter) -> None:
    """New clients go to the nearest fitted centre in the fitted standardised space."""
    later = population(2000, seed=7)
    tiers = fitted_kmeans.predict(later)
    points = standardised(fitted_kmeans, later)
    placed = np.isfinite(points).all(axis=1)
    distances = ((points[placed, None, :] - fitted_kmeans.centers_[None]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(tiers[placed], distances.argmin(axis=1) + 1)
    assert (tiers[~placed] == 0).all()


def test_gmm_predicts_the_most_probable_component(fitted_gmm: ValueSegmenter) -> None:
    """Each client goes to the component of highest weight × Gaussian density (scipy's)."""
    later = population(1500, seed=8)
    points = standardised(fitted_gmm, later)
    placed = np.isfinite(points).all(axis=1)
    assert fitted_gmm.covariances_ is not None and fitted_gmm.weights_ is not None
    log_posterior = np.column_stack(
        [
            np.log(w) + multivariate_normal(mean, cov).logpdf(points[placed])
            for mean, cov, w in zip(
                fitted_gmm.centers_, fitted_gmm.covariances_, fitted_gmm.weights_, strict=True
            )
        ]
    )
    np.testing.assert_array_equal(
        fitted_gmm.predict(later)[placed], log_posterior.argmax(axis=1) + 1
    )


def test_fit_predict_labels_and_predict_agree(book: pd.DataFrame) -> None:
    """fit_predict, labels_ and predict on the fitted frame are the same tiers."""
    segmenter = ValueSegmenter(k=5)
    tiers = segmenter.fit_predict(book)
    assert tiers.dtype == np.int64
    np.testing.assert_array_equal(tiers, segmenter.labels_)
    np.testing.assert_array_equal(tiers, segmenter.predict(book))


def test_labels_frame_for_reports(fitted_kmeans: ValueSegmenter, book: pd.DataFrame) -> None:
    """labels() keeps the index and adds value_tier and its ordered name."""
    out = fitted_kmeans.labels(book)
    assert out.index.equals(book.index)
    assert out.columns.tolist() == ["value_tier", "value_tier_name"]
    assert out["value_tier"].dtype == np.int64
    names = out["value_tier_name"]
    assert names.cat.ordered
    assert names.cat.categories.tolist() == [*fitted_kmeans.tier_names_, UNTIERED_NAME]
    lookup = dict(zip(fitted_kmeans.tiers_.index, fitted_kmeans.tiers_["name"], strict=True))
    assert names.astype(str).tolist() == [lookup[t] for t in out["value_tier"]]
    assert names.iloc[-1] == UNTIERED_NAME  # the last clients never ordered


def test_centres_in_original_units(fitted_kmeans: ValueSegmenter) -> None:
    """<feature>_center undoes the standardisation and the signed log."""
    k = fitted_kmeans.k_
    logged = fitted_kmeans.centers_ * fitted_kmeans.feature_scales_ + fitted_kmeans.feature_means_
    for j, feature in enumerate(FEATURES):
        centre = fitted_kmeans.tiers_[f"{feature}_center"]
        np.testing.assert_allclose(_signed_log1p(centre.iloc[:k].to_numpy()), logged[:, j])
        assert math.isnan(centre.loc[0])


def test_constant_feature_keeps_scale_one() -> None:
    """A feature equal for everyone is left unscaled instead of dividing by zero."""
    frame, group = separated()
    frame = frame.assign(frequency=3)
    segmenter = ValueSegmenter(k=4).fit(frame)
    assert segmenter.feature_scales_[1] == 1.0
    np.testing.assert_array_equal(segmenter.labels_, group)


def test_input_frame_is_not_modified(book: pd.DataFrame) -> None:
    before = book.copy()
    ValueSegmenter(k=3).fit(book).labels(book)
    pd.testing.assert_frame_equal(book, before)


# ---------------------------------------------------------------------------
# stability
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "method"), [("auto", "kmeans"), (5, "kmeans"), (4, "gmm")])
def test_row_order_does_not_matter(book: pd.DataFrame, k: int | str, method: str) -> None:
    """A shuffled client book gives bit-identical centres, tiers and summaries."""
    first = ValueSegmenter(k=k, method=method).fit(book)
    shuffled = book.sample(frac=1.0, random_state=3)
    second = ValueSegmenter(k=k, method=method).fit(shuffled)
    np.testing.assert_array_equal(first.centers_, second.centers_)
    pd.testing.assert_frame_equal(first.tiers_, second.tiers_)
    pd.testing.assert_series_equal(first.silhouette_, second.silhouette_)
    pd.testing.assert_frame_equal(first.labels(book), second.labels(shuffled).loc[book.index])


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_seed_does_not_matter_on_separated_data(method: str) -> None:
    """Cluster numbers are arbitrary per seed; tiers, named by value, are not."""
    frame, group = separated(seed=1)
    for seed in range(5):
        segmenter = ValueSegmenter(k=4, method=method, random_state=seed).fit(frame)
        np.testing.assert_array_equal(segmenter.labels_, group)


def test_predict_is_row_by_row(fitted_kmeans: ValueSegmenter) -> None:
    """Predicting a shuffled frame gives the same tier to each client."""
    later = population(1000, seed=9)
    order = np.random.default_rng(0).permutation(len(later))
    np.testing.assert_array_equal(
        fitted_kmeans.predict(later.iloc[order]), fitted_kmeans.predict(later)[order]
    )


def test_minibatch_path_above_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the size threshold MiniBatchKMeans runs, finds the groups, ignores row order."""
    monkeypatch.setattr(_cluster_fitting, "MINIBATCH_THRESHOLD", 1000)
    monkeypatch.setattr(_cluster_fitting, "MINIBATCH_BATCH_SIZE", 256)
    monkeypatch.setattr(_cluster_fitting, "MINIBATCH_INIT_ROWS", 500)
    frame, group = separated()
    segmenter = ValueSegmenter(k=4).fit(frame)
    assert segmenter.algorithm_ == "minibatch-kmeans"
    np.testing.assert_array_equal(segmenter.labels_, group)
    again = ValueSegmenter(k=4).fit(frame.iloc[::-1])
    np.testing.assert_array_equal(segmenter.centers_, again.centers_)


def test_gmm_fits_on_a_sample_above_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A mixture fitted on a systematic sample still places every client."""
    monkeypatch.setattr(_cluster_fitting, "GMM_FIT_ROWS", 400)
    frame, group = separated()
    segmenter = ValueSegmenter(k=4, method="gmm").fit(frame)
    assert segmenter.algorithm_ == "gmm"
    np.testing.assert_array_equal(segmenter.labels_, group)


# ---------------------------------------------------------------------------
# persistence
# ---------------------------------------------------------------------------


def _strict_json(text: str) -> object:
    def refuse(token: str) -> object:
        raise AssertionError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


client_rows = st.lists(
    st.tuples(
        st.one_of(st.floats(0, 5000), st.just(math.nan)),
        st.integers(0, 500),
        st.one_of(st.floats(-1e7, 1e9), st.sampled_from([0.0, math.nan, math.inf])),
    ),
    min_size=1,
    max_size=40,
)


@pytest.mark.parametrize("fixture", ["fitted_kmeans", "fitted_gmm"])
def test_json_round_trip_is_plain_and_exact(
    fixture: str, request: pytest.FixtureRequest, book: pd.DataFrame
) -> None:
    """to_json writes standard JSON; from_json rebuilds the same model and text."""
    segmenter: ValueSegmenter = request.getfixturevalue(fixture)
    text = segmenter.to_json()
    _strict_json(text)  # tier 0's centre is NaN: it must be written as null
    loaded = ValueSegmenter.from_json(text)
    assert loaded.to_json() == text
    assert loaded.get_params() == segmenter.get_params()
    np.testing.assert_array_equal(loaded.centers_, segmenter.centers_)
    pd.testing.assert_frame_equal(loaded.tiers_, segmenter.tiers_)
    pd.testing.assert_series_equal(loaded.silhouette_, segmenter.silhouette_)
    np.testing.assert_array_equal(loaded.predict(book), segmenter.labels_)


@pytest.fixture(scope="module")
def reloaded(
    fitted_kmeans: ValueSegmenter, fitted_gmm: ValueSegmenter
) -> list[tuple[ValueSegmenter, ValueSegmenter]]:
    """Each fitted segmenter beside its copy read back from JSON."""
    return [(s, ValueSegmenter.from_json(s.to_json())) for s in (fitted_kmeans, fitted_gmm)]


@settings(max_examples=50, deadline=None)
@given(rows=client_rows)
def test_loaded_model_predicts_identically(
    reloaded: list[tuple[ValueSegmenter, ValueSegmenter]], rows: list[tuple[float, int, float]]
) -> None:
    """Any clients, odd values included, get the same tier from the loaded model."""
    frame = pd.DataFrame(rows, columns=FEATURES)
    for segmenter, loaded in reloaded:
        np.testing.assert_array_equal(loaded.predict(frame), segmenter.predict(frame))


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"format": "am_analytics.FittedScorecard"}',
        '{"format": "am_analytics.ValueSegmenter", "version": 99}',
        '{"format": "am_analytics.ValueSegmenter", "version": 1, "params": {}}',
    ],
)
def test_from_json_rejects_other_text(text: str) -> None:
    with pytest.raises(ConfigError, match="cannot read the ValueSegmenter JSON"):
        ValueSegmenter.from_json(text)


def test_numpy_integer_options_are_written_as_plain_json(book: pd.DataFrame) -> None:
    """k and random_state given as numpy integers survive the round trip as ints."""
    segmenter = ValueSegmenter(k=np.int64(3), random_state=np.int32(2)).fit(book)
    loaded = ValueSegmenter.from_json(segmenter.to_json())
    assert loaded.get_params()["k"] == 3 and loaded.get_params()["random_state"] == 2
    np.testing.assert_array_equal(loaded.predict(book), segmenter.labels_)


def test_from_json_rejects_inconsistent_shapes(fitted_kmeans: ValueSegmenter) -> None:
    """A payload whose centres do not fit k × features is refused, not half-loaded."""
    data = json.loads(fitted_kmeans.to_json())
    data["centers"] = data["centers"][:-1]
    with pytest.raises(ConfigError, match="cannot read"):
        ValueSegmenter.from_json(json.dumps(data))


# ---------------------------------------------------------------------------
# scikit-learn conventions
# ---------------------------------------------------------------------------


def test_params_are_stored_untouched_and_clone() -> None:
    """get_params / set_params / clone behave as for any scikit-learn estimator."""
    features = ["monetary", "frequency"]
    segmenter = ValueSegmenter(k=6, method="gmm", features=features, random_state=4)
    params = segmenter.get_params()
    assert params == {"k": 6, "method": "gmm", "features": features, "random_state": 4}
    assert params["features"] is features
    twin = clone(segmenter)
    assert twin is not segmenter and twin.get_params() == params
    assert segmenter.set_params(k="auto") is segmenter and segmenter.k == "auto"
    assert "method='gmm'" in repr(segmenter)
    # bad values are accepted by __init__ and refused by fit (scikit-learn's rule)
    ValueSegmenter(k=-3, method="nope")


def test_clone_of_a_fitted_segmenter_is_unfitted(fitted_kmeans: ValueSegmenter) -> None:
    check_is_fitted(fitted_kmeans)
    twin = clone(fitted_kmeans)
    assert not hasattr(twin, "centers_")
    with pytest.raises(SklearnNotFittedError):
        check_is_fitted(twin)


def test_predict_before_fit_says_what_to_do(book: pd.DataFrame) -> None:
    """The error is both am_analytics' ConfigError and scikit-learn's NotFittedError."""
    for call in (ValueSegmenter().predict, ValueSegmenter().labels):
        with pytest.raises(NotFittedError, match=r"call fit\(client_features\) first") as info:
            call(book)
        assert isinstance(info.value, ConfigError)
        assert isinstance(info.value, SklearnNotFittedError)
    with pytest.raises(AmAnalyticsError):
        ValueSegmenter().to_json()


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"k": 1}, "k must be"),
        ({"k": 2.5}, "k must be"),
        ({"k": "many"}, "k must be"),
        ({"k": True}, "k must be"),
        ({"method": "dbscan"}, "method must be one of 'kmeans', 'gmm'; found 'dbscan'"),
        ({"features": ()}, "features must be a non-empty sequence"),
        ({"features": "monetary"}, "features must be a non-empty sequence"),
        ({"features": ("monetary", "monetary")}, r"features are repeated: \['monetary'\]"),
        ({"random_state": -1}, "random_state must be"),
        ({"random_state": "seed"}, "random_state must be"),
    ],
)
def test_bad_options_are_config_errors(
    params: dict[str, object], message: str, book: pd.DataFrame
) -> None:
    with pytest.raises(ConfigError, match=message):
        ValueSegmenter(**params).fit(book)  # type: ignore[arg-type]


def test_missing_columns_are_named(book: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError, match="lack column\\(s\\) recency_days") as info:
        ValueSegmenter().fit(book.drop(columns="recency_days"))
    assert info.value.missing == {"client_features": ["recency_days"]}
    # monetary orders the tiers, so fit needs it even when it is not clustered
    with pytest.raises(DataValidationError, match="monetary"):
        ValueSegmenter(k=3, features=("frequency",)).fit(book[["frequency"]])
    fitted = ValueSegmenter(k=3, features=("frequency", "recency_days")).fit(book)
    with pytest.raises(DataValidationError, match="frequency"):
        fitted.predict(book.drop(columns="frequency"))


def test_non_numeric_and_non_frame_input_are_refused(book: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError, match="'frequency' must be numeric"):
        ValueSegmenter().fit(book.assign(frequency=book["frequency"].astype(str)))
    with pytest.raises(DataValidationError, match="needs a DataFrame"):
        ValueSegmenter().fit(book.to_numpy())


def test_too_few_clients_to_cluster() -> None:
    """k needs k distinct clients; "auto" needs 4; nobody complete is an error too."""
    tiny = pd.DataFrame(
        {
            "recency_days": [1.0, 1, 50, 300],
            "frequency": [9, 9, 3, 1],
            "monetary": [9e4] * 2 + [900, 9],
        }
    )
    with pytest.raises(DataValidationError, match=r"k=4 needs at least 4 clients .* found 3"):
        ValueSegmenter(k=4).fit(tiny)
    with pytest.raises(DataValidationError, match='k="auto" needs at least 4'):
        ValueSegmenter().fit(tiny)
    assert ValueSegmenter(k=3).fit_predict(tiny).tolist() == [1, 1, 2, 3]
    with pytest.raises(DataValidationError, match="no client has complete values"):
        ValueSegmenter(k=3).fit(tiny.assign(recency_days=np.nan))


# ---------------------------------------------------------------------------
# the sample organisation
# ---------------------------------------------------------------------------


def sample_features() -> pd.DataFrame:
    """Recency, frequency and monetary of the sample's clients as of 2026-11-15."""
    sales = am.load_sample().sales
    as_of = pd.Timestamp("2026-11-15")
    try:
        from am_analytics.segments._features import client_features
    except ImportError:  # built in parallel: the same three columns by hand
        orders = sales[sales["amount"] > 0]
        last = orders.groupby("client_id", observed=True)["order_date"].max()
        frame = pd.DataFrame(
            {"monetary": sales.groupby("client_id", observed=True)["amount"].sum()}
        )
        frame.index = frame.index.astype(str)
        frame["recency_days"] = (as_of - last).dt.days.reindex(frame.index.astype(str))
        frame["frequency"] = (
            orders.groupby("client_id", observed=True).size().reindex(frame.index, fill_value=0)
        )
        return frame[FEATURES]
    return client_features(sales, as_of=as_of)


def test_sample_organisation_tiers() -> None:
    """Every sample client gets a tier; tier 1 clients are worth most on every count."""
    features = sample_features()
    segmenter = ValueSegmenter().fit(features)
    tiers = segmenter.labels(features)
    assert len(tiers) == len(features)
    assert 3 <= segmenter.k_ <= 8
    summary = segmenter.tiers_.drop(index=0)
    assert summary["clients"].sum() + segmenter.tiers_.loc[0, "clients"] == len(features)
    assert summary["monetary_mean"].is_monotonic_decreasing
    top, bottom = 1, segmenter.k_
    money = features["monetary"].groupby(tiers["value_tier"].to_numpy()).median()
    assert money[top] > money[bottom]
    assert segmenter.silhouette_.max() == segmenter.silhouette_[segmenter.k_]
