"""RFM scores, segment rules and ABC tiers: hand-worked answers, the tie rule, invariants."""

from __future__ import annotations

import itertools
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from am_analytics.errors import ConfigError, DataValidationError
from am_analytics.segments import (
    RFMScorer,
    Segment,
    SegmentCondition,
    SegmentRules,
    abc_tiers,
    default_segment_rules,
    load_segment_rules,
    rfm_scores,
    rfm_segments,
)
from am_analytics.segments._rfm import _edge_positions

SEGMENTS = (
    "Champions",
    "Loyal",
    "Potential Loyalist",
    "New",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose",
    "Hibernating",
    "Lost",
)


def features(
    recency: list[float], frequency: list[int], monetary: list[float], ids: list[str] | None = None
) -> pd.DataFrame:
    """A client_features-shaped frame with the three RFM columns."""
    ids = ids or [f"c{i:02d}" for i in range(len(recency))]
    return pd.DataFrame(
        {
            "recency_days": np.asarray(recency, dtype=float),
            "frequency": np.asarray(frequency, dtype=np.int64),
            "monetary": np.asarray(monetary, dtype=float),
        },
        index=pd.Index(ids, name="client_id"),
    )


# Ten clients with ties in every measure, worked out by hand below (bins=3).
TEN = features(
    recency=[0, 5, 5, 5, 30, 30, 60, 200, 400, np.nan],
    frequency=[0, 1, 1, 1, 1, 1, 1, 2, 3, 7],
    monetary=[-50, 0, 10, 10, 10, 20, 30, 30, 40, 100],
)


@st.composite
def feature_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Small frames with many ties, missing recency and non-positive revenue."""
    n = draw(st.integers(1, 40))
    recency = draw(
        st.lists(st.sampled_from([0.0, 1, 3, 7, 30, 90, 365, np.nan]), min_size=n, max_size=n)
    )
    frequency = draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    monetary = draw(
        st.lists(st.sampled_from([-20.0, 0, 5, 5.5, 40, 1e3, 2.5e5]), min_size=n, max_size=n)
    )
    return features(recency, frequency, monetary)


# ---------------------------------------------------------------------------
# the tie rule, by hand
# ---------------------------------------------------------------------------


def test_scores_of_ten_clients_worked_out_by_hand() -> None:
    """bins=3, so edges go as near the 1/3 and 2/3 quantiles as distinct values allow.

    Recency (9 clients with an order; better = fewer days): counts below the
    candidate edges 1, 2, 3, 5, 8 (at 400, 200, 60, 30, 5 days); costs
    |3c - 9| = 6, 3, 0, 6, 15 and |3c - 18| = 15, 12, 9, 3, 6; the best pair
    is (60 days, 30 days), total 3. So R = 3 under 30 days, 2 at 30..59, 1 from 60
    days on and for the client without orders.
    Frequency: values 0, 1, 2, 3, 7 with counts 1, 6, 1, 1, 1; counts below
    1, 7, 8, 9; costs |3c - 10| = 7, 11, 14, 17 and |3c - 20| = 17, 1, 4, 7;
    best (after 0, after 1), total 8: F = 1, 2, 3 for 0, 1, >= 2 orders.
    Monetary (net <= 0 counts as 0): values 0, 10, 20, 30, 40, 100 with
    counts 2, 3, 1, 2, 1, 1; below 2, 5, 6, 8, 9; costs 4, 5, 8, 14, 17 and
    14, 5, 2, 4, 7; best (after 0, after 20), total 6.
    """
    scorer = RFMScorer(bins=3).fit(TEN)
    expected_edges = pd.DataFrame(
        {"recency_days": [60.0, 30.0], "frequency": [0.0, 1.0], "monetary": [0.0, 20.0]},
        index=pd.RangeIndex(1, 3, name="edge"),
    )
    pd.testing.assert_frame_equal(scorer.edges_, expected_edges)
    scores = scorer.transform(TEN)
    assert scores["R"].tolist() == [3, 3, 3, 3, 2, 2, 1, 1, 1, 1]
    assert scores["F"].tolist() == [1, 2, 2, 2, 2, 2, 2, 3, 3, 3]
    assert scores["M"].tolist() == [1, 1, 2, 2, 2, 2, 3, 3, 3, 3]
    assert scores["rfm_cell"].tolist()[:3] == ["311", "321", "322"]
    assert list(scores.columns) == ["R", "F", "M", "rfm_cell"]
    assert (scores.dtypes[["R", "F", "M"]] == np.int64).all()
    pd.testing.assert_index_equal(scores.index, TEN.index)


def test_fewer_distinct_values_than_bins_skip_middle_scores() -> None:
    """Orders 1, 2, 3 held by 60 %, 30 %, 10 % with bins=5.

    Edges must separate the three values and sit on 1 or 2 orders (below 1
    and 2 clients: 6 and 9 of 10). Placements (1,1,1,2), (1,1,2,2),
    (1,2,2,2) cost |5c - 10j| summed: 20+10+0+5 = 35, 50, 65; so one order
    scores 1, two orders 1 + 3 edges = 4, three orders 5.
    """
    frame = features([1.0] * 10, [1] * 6 + [2] * 3 + [3], [1.0] * 10)
    assert rfm_scores(frame)["F"].tolist() == [1] * 6 + [4] * 3 + [5]


def test_heavy_ties_still_use_the_whole_scale() -> None:
    """With 60 % one-time buyers, F = 1 is exactly them and the rest spread over 2..5."""
    rng = np.random.default_rng(7)
    frequency = np.r_[np.ones(600, dtype=np.int64), rng.integers(2, 30, 400)]
    frame = features(rng.integers(0, 900, 1000).tolist(), frequency.tolist(), [1.0] * 1000)
    f = rfm_scores(frame)["F"]
    assert sorted(f.unique()) == [1, 2, 3, 4, 5]
    assert (f[frequency == 1] == 1).all() and (f[frequency > 1] > 1).all()
    # the quantile-cut rule collapses here: its 20 %, 40 % and 60 % quantiles are all 1
    naive = pd.qcut(frequency, 5, labels=False, duplicates="drop")
    assert len(np.unique(naive)) < 5


def test_one_reference_value_and_no_reference_value() -> None:
    """All clients alike score 1; a later larger value scores bins; no values: all score 1."""
    frame = features([np.nan, np.nan], [1, 1], [10.0, 10.0])
    scorer = RFMScorer().fit(frame)
    assert scorer.edges_["frequency"].tolist() == [1.0] * 4
    assert scorer.edges_["recency_days"].isna().all()
    later = scorer.transform(features([3.0, np.nan], [1, 2], [10.0, 11.0]))
    assert later["F"].tolist() == [1, 5] and later["M"].tolist() == [1, 5]
    assert later["R"].tolist() == [1, 1]


@settings(max_examples=150, deadline=None)
@given(counts=st.lists(st.integers(1, 6), min_size=2, max_size=8), bins=st.integers(2, 6))
def test_edges_are_the_documented_optimum(counts: list[int], bins: int) -> None:
    """The dynamic programme equals brute force over every allowed placement.

    Allowed: positions 1..k-1, strictly rising when k >= bins, else rising by
    0 or 1 from the first to the last position; least sum |bins c - j n|; ties
    to the lexicographically lowest placement.
    """
    k, n = len(counts), sum(counts)
    below = np.cumsum(counts)[:-1]
    candidates = []
    for placement in itertools.combinations_with_replacement(range(1, k), bins - 1):
        steps = np.diff([1, *placement, k - 1])
        allowed = (
            len(set(placement)) == bins - 1
            if k >= bins
            else placement[0] == 1 and placement[-1] == k - 1 and (steps <= 1).all()
        )
        if allowed:
            cost = sum(abs(bins * below[p - 1] - j * n) for j, p in enumerate(placement, 1))
            candidates.append((cost, placement))
    expected = min(candidates)[1]
    assert tuple(_edge_positions(np.array(counts, dtype=np.int64), bins)) == expected


# ---------------------------------------------------------------------------
# invariants
# ---------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(frame=feature_frames(), bins=st.integers(2, 9), seed=st.integers(0, 2**32 - 1))
def test_row_order_changes_nothing(frame: pd.DataFrame, bins: int, seed: int) -> None:
    """Shuffling the clients gives the same edges and each client the same scores."""
    shuffled = frame.sample(frac=1.0, random_state=np.random.RandomState(seed))
    first, second = RFMScorer(bins).fit(frame), RFMScorer(bins).fit(shuffled)
    pd.testing.assert_frame_equal(first.edges_, second.edges_)
    pd.testing.assert_frame_equal(
        rfm_scores(shuffled, bins=bins).loc[frame.index], rfm_scores(frame, bins=bins)
    )


@settings(max_examples=80, deadline=None)
@given(frame=feature_frames(), bins=st.integers(2, 9))
def test_scores_are_monotone_within_range_and_use_the_scale(frame: pd.DataFrame, bins: int) -> None:
    """Higher frequency or revenue and fewer days never score lower; equal values score alike;
    the lowest and highest values present score 1 and bins, and with at least ``bins``
    distinct values every score occurs."""
    scores = rfm_scores(frame, bins=bins)
    better = {
        "R": -frame["recency_days"].fillna(np.inf),
        "F": frame["frequency"].astype(float),
        "M": frame["monetary"].clip(lower=0),
    }
    for column, value in better.items():
        score = scores[column]
        assert score.between(1, bins).all()
        order = np.argsort(value.to_numpy(), kind="stable")
        assert (np.diff(score.to_numpy()[order]) >= 0).all(), column
        assert (score.groupby(value).nunique() == 1).all(), column
        assert score[value == value.min()].eq(1).all()
        present = value[np.isfinite(value)]
        if present.nunique() >= 2:
            assert score[value == present.max()].eq(bins).all()
        if present.nunique() >= bins:
            assert set(score[np.isfinite(value)]) == set(range(1, bins + 1)), column


@settings(max_examples=60, deadline=None)
@given(reference=feature_frames(), later=feature_frames(), bins=st.integers(2, 9))
def test_json_round_trip_scores_identically(
    reference: pd.DataFrame, later: pd.DataFrame, bins: int
) -> None:
    """A scorer loaded from its JSON has the same edges, bit for bit, and the same scores."""
    scorer = RFMScorer(bins).fit(reference)
    loaded = RFMScorer.from_json(scorer.to_json())
    pd.testing.assert_frame_equal(loaded.edges_, scorer.edges_, check_exact=True)
    assert loaded.bins == bins and loaded.n_fitted_ == len(reference)
    pd.testing.assert_frame_equal(loaded.transform(later), scorer.transform(later))


def test_a_fitted_scale_scores_other_periods_without_refitting() -> None:
    """A later frame is scored on the reference's edges, not on its own quantiles."""
    scorer = RFMScorer(bins=3).fit(TEN)
    later = features([10.0, 10.0, 10.0], [7, 7, 7], [100.0, 100.0, 100.0])
    assert scorer.transform(later)["rfm_cell"].tolist() == ["333"] * 3
    assert rfm_scores(later, bins=3)["rfm_cell"].tolist() == ["111"] * 3


def test_clients_without_orders_are_scored_lowest_and_kept() -> None:
    """No order: recency NaN, frequency 0, net <= 0; scored 111, never dropped."""
    frame = features([np.nan, 4.0, 9.0, 20.0], [0, 3, 2, 1], [-80.0, 500.0, 300.0, 100.0])
    scores = rfm_scores(frame, bins=2)
    assert scores.loc["c00", "rfm_cell"] == "111"
    assert len(scores) == len(frame)
    assert rfm_segments(rfm_scores(frame)).loc["c00", "segment"] == "Lost"


def test_non_positive_revenue_scores_lowest_on_any_scale() -> None:
    """Fitted on positive revenue only, a refund-only client still scores M = 1."""
    scorer = RFMScorer().fit(features([1.0] * 6, [1] * 6, [1.0, 2, 3, 4, 5, 6]))
    later = features([1.0, 1.0], [1, 1], [0.0, -1e6])
    assert scorer.transform(later)["M"].tolist() == [1, 1]


def test_inputs_are_not_changed() -> None:
    """Fitting and scoring leave the features frame as it was."""
    before = TEN.copy()
    rfm_segments(rfm_scores(TEN))
    abc_tiers(TEN)
    pd.testing.assert_frame_equal(TEN, before)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: RFMScorer(bins=1), ConfigError, "bins must be an integer from 2 to 9"),
        (lambda: RFMScorer(bins=10), ConfigError, "one digit"),
        (lambda: RFMScorer().transform(TEN), ConfigError, "not fitted"),
        (lambda: RFMScorer().fit(TEN.iloc[:0]), ConfigError, "empty"),
        (lambda: RFMScorer.from_json('{"format": "x"}'), ConfigError, "not a fitted RFMScorer"),
        (lambda: RFMScorer.from_json("not json"), ConfigError, "RFMScorer.to_json"),
        (lambda: rfm_scores(TEN.drop(columns="frequency")), DataValidationError, "frequency"),
        (
            lambda: rfm_scores(TEN.assign(monetary=TEN["monetary"].astype(str))),
            DataValidationError,
            "monetary must be numeric",
        ),
    ],
)
def test_bad_options_and_frames_are_explained(make: object, error: type, message: str) -> None:
    """Wrong bins, unfitted use and frames without the features raise our errors."""
    with pytest.raises(error, match=message):
        make()  # type: ignore[operator]


# ---------------------------------------------------------------------------
# segment rules
# ---------------------------------------------------------------------------


def test_default_rules_give_every_cell_exactly_one_segment() -> None:
    """Enumerate all 125 cells against the shipped TOML itself: each matches exactly one
    condition (so order cannot matter), every segment is reached, and the rules agree."""
    text = resources.files("am_analytics.segments").joinpath("default_segment_rules.toml")
    raw = tomllib.loads(text.read_text("utf-8"))
    assert raw["bins"] == 5
    assert tuple(entry["name"] for entry in raw["segments"]) == SEGMENTS

    def matches(condition: dict[str, object], cell: tuple[int, int, int]) -> bool:
        for axis, score in zip("RFM", cell, strict=True):
            span = condition.get(axis, [1, 5])
            low, high = (span, span) if isinstance(span, int) else span
            if not low <= score <= high:
                return False
        return True

    owner: dict[str, str] = {}
    for cell in itertools.product(range(1, 6), repeat=3):
        hits = [
            entry["name"]
            for entry in raw["segments"]
            for condition in entry["when"]
            if matches(condition, cell)
        ]
        assert len(hits) == 1, (cell, hits)
        owner["".join(map(str, cell))] = hits[0]
    assert set(owner.values()) == set(SEGMENTS)
    cells = default_segment_rules().cell_map()
    assert len(cells) == 125
    assert cells["segment"].astype(str).to_dict() == owner
    assert list(cells["segment"].cat.categories) == list(SEGMENTS)


def test_default_rules_place_the_classic_cells() -> None:
    """A few cells whose segment the map makes obvious."""
    cells = default_segment_rules().cell_map()["segment"]
    expected = {
        "555": "Champions",
        "553": "Loyal",
        "355": "Loyal",
        "531": "Potential Loyalist",
        "515": "New",
        "411": "Promising",
        "323": "Need Attention",
        "211": "About to Sleep",
        "131": "At Risk",
        "155": "Can't Lose",
        "125": "Hibernating",
        "111": "Lost",
    }
    assert {cell: cells[cell] for cell in expected} == expected
    descriptions = default_segment_rules().descriptions
    assert list(descriptions) == list(SEGMENTS)
    assert all(text and "\n" not in text for text in descriptions.values())


RULES_WITH_A_GAP = """
bins = 5
[[segments]]
name = "Recent"
description = "Bought lately."
when = [{ R = [3, 5] }]
[[segments]]
name = "Old and frequent"
description = "Long ago, often."
when = [{ R = [1, 2], F = [2, 5] }]
"""

RULES_WITH_A_SHADOWED_SEGMENT = """
bins = 5
[[segments]]
name = "Everyone"
description = "All clients."
when = [{}]
[[segments]]
name = "Champions"
description = "Never reached: Everyone comes first."
when = [{ R = 5, F = 5, M = 5 }]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_gap_in_custom_rules_names_the_uncovered_cells(tmp_path: Path) -> None:
    """R 1-2 with F 1 is covered by no segment: 10 of 125 cells, listed from 111."""
    with pytest.raises(ConfigError) as caught:
        load_segment_rules(write(tmp_path, RULES_WITH_A_GAP))
    message = str(caught.value)
    assert "rules.toml" in message
    assert "10 of 125 score cells match no segment" in message
    assert "111, 112, 113, 114, 115" in message


def test_an_unreachable_custom_segment_is_named(tmp_path: Path) -> None:
    """A segment entirely behind an earlier catch-all can never be assigned."""
    with pytest.raises(ConfigError, match=r"segments \['Champions'\] can never be assigned"):
        load_segment_rules(write(tmp_path, RULES_WITH_A_SHADOWED_SEGMENT))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("R = [3, 5]", "R = [3, 6]"), "asks for R up to 6"),
        (("R = [3, 5]", "R = [5, 3]"), "1 <= low <= high"),
        (("R = [3, 5]", "X = 1"), "table of R, F and M ranges"),
        (('name = "Recent"', 'name = "Old and frequent"'), "repeated"),
        (('description = "Bought lately."', 'description = ""'), "one line of text"),
        (("bins = 5", "bins = 12"), "bins must be an integer"),
        (("bins = 5", "colour = 5"), "unknown key"),
        (("when = [{ R = [3, 5] }]", "when = []"), "at least one SegmentCondition"),
        (("[[segments]]", "[[segments"), "not valid TOML"),
    ],
)
def test_malformed_rules_are_config_errors(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    """Each rule of the file is checked, with a message saying what is wrong."""
    complete = RULES_WITH_A_GAP.replace("F = [2, 5]", "F = [1, 5]")
    load_segment_rules(write(tmp_path, complete))  # valid before the change
    with pytest.raises(ConfigError, match=message):
        load_segment_rules(write(tmp_path, complete.replace(*change, 1)))


def test_rules_round_trip_through_plain_data() -> None:
    """to_dict gives the TOML shape; from_dict rebuilds equal rules."""
    rules = default_segment_rules()
    assert SegmentRules.from_dict(rules.to_dict()) == rules


def test_rules_for_three_bins_segment_three_bin_scores() -> None:
    """Rules declare their scale; scores on another scale are refused."""
    rules = SegmentRules(
        (
            Segment("Active", "Bought in the better two thirds.", (SegmentCondition(r=(2, 3)),)),
            Segment("Lapsed", "Bought longest ago.", (SegmentCondition(r=1),)),
        ),
        bins=3,
    )
    scores = rfm_scores(TEN, bins=3)
    segments = rfm_segments(scores, rules=rules)
    assert segments["segment"].tolist() == ["Active"] * 6 + ["Lapsed"] * 4
    with pytest.raises(ConfigError, match="made with bins=3 but the segment rules are written"):
        rfm_segments(scores)
    with pytest.raises(ConfigError, match="made with bins=5"):
        rfm_segments(rfm_scores(TEN), rules=rules)
    # a frame that lost its attrs is still checked against the rules' range
    with pytest.raises(ConfigError, match="a score of 5 is above the 3 bins"):
        rfm_segments(pd.DataFrame({"R": [5], "F": [1], "M": [1]}), rules=rules)


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(st.tuples(*[st.integers(1, 5)] * 3), min_size=0, max_size=50),
)
def test_every_client_gets_exactly_one_segment(cells: list[tuple[int, int, int]]) -> None:
    """Any scores 1..5 get one segment each, the one the cell map gives; index kept."""
    scores = pd.DataFrame(cells, columns=["R", "F", "M"], dtype=np.int64)
    scores.index = pd.Index([f"c{i}" for i in range(len(cells))], name="client_id")
    out = rfm_segments(scores)
    assert out["segment"].notna().all()
    pd.testing.assert_index_equal(out.index, scores.index)
    pd.testing.assert_frame_equal(out[["R", "F", "M"]], scores)
    cell_map = default_segment_rules().cell_map()["segment"]
    keys = [f"{r}{f}{m}" for r, f, m in cells]
    assert out["segment"].astype(str).tolist() == cell_map[keys].astype(str).tolist()
    assert list(out["segment"].cat.categories) == list(SEGMENTS)


def test_bad_score_frames_are_refused() -> None:
    """Missing columns and fractional or missing scores are data errors."""
    with pytest.raises(DataValidationError, match=r"lacks the columns \['M'\]"):
        rfm_segments(pd.DataFrame({"R": [1], "F": [1]}))
    with pytest.raises(DataValidationError, match="whole scores"):
        rfm_segments(pd.DataFrame({"R": [1.5], "F": [1], "M": [1]}))
    with pytest.raises(DataValidationError, match="whole scores"):
        rfm_segments(pd.DataFrame({"R": [np.nan], "F": [1], "M": [1]}))


# ---------------------------------------------------------------------------
# ABC tiers
# ---------------------------------------------------------------------------


def test_abc_tiers_by_hand() -> None:
    """Revenues 50, 30, 10, 5, 3, 2: cumulative 0.5, 0.8, 0.9, 0.95, 0.98, 1.0.

    The client reaching 80 % (30) is A; the next starts at 80 % and is B; the
    client reaching 95 % (5) is B; after it, C. A refund-only client is C.
    """
    frame = pd.DataFrame(
        {"monetary": [3.0, 50, -7, 10, 2, 30, 5]},
        index=pd.Index(["e", "a", "z", "c", "f", "b", "d"], name="client_id"),
    )
    tiers = abc_tiers(frame)
    pd.testing.assert_index_equal(tiers.index, frame.index)
    by_client = tiers.sort_index()
    assert by_client["tier"].astype(str).tolist() == ["A", "A", "B", "B", "C", "C", "C"]
    np.testing.assert_array_equal(
        by_client["cumulative_share"].to_numpy(), [0.5, 0.8, 0.9, 0.95, 0.98, 1.0, np.nan]
    )
    assert tiers["tier"].cat.ordered and list(tiers["tier"].cat.categories) == ["A", "B", "C"]


def test_abc_ties_go_by_client_id_whatever_the_row_order() -> None:
    """x makes 70 %; a, b, c make 10 % each. a (first id) reaches 80 % and is A; b is B."""
    frame = pd.DataFrame(
        {"monetary": [10.0, 70, 10, 10]}, index=pd.Index(["c", "x", "b", "a"], name="client_id")
    )
    expected = {"x": "A", "a": "A", "b": "B", "c": "B"}
    for seed in range(5):
        shuffled = frame.sample(frac=1.0, random_state=seed)
        assert abc_tiers(shuffled)["tier"].astype(str).to_dict() == expected


def test_abc_boundary_survives_float_rounding() -> None:
    """0.7 + 0.1 is 0.7999999999999999 in floats; the client after it still starts at 80 %."""
    frame = pd.DataFrame({"monetary": [0.7, 0.1, 0.1, 0.1]}, index=["a", "b", "c", "d"])
    assert abc_tiers(frame)["tier"].astype(str).tolist() == ["A", "A", "B", "B"]


def test_abc_more_tiers_and_no_revenue() -> None:
    """Three shares give four tiers; nobody with revenue means everyone is the last tier."""
    frame = pd.DataFrame({"monetary": [60.0, 25, 10, 5]}, index=list("abcd"))
    tiers = abc_tiers(frame, shares=(0.5, 0.8, 0.9))
    assert tiers["tier"].astype(str).tolist() == ["A", "B", "C", "D"]
    none = abc_tiers(pd.DataFrame({"monetary": [0.0, -5.0]}, index=["a", "b"]))
    assert none["tier"].astype(str).tolist() == ["C", "C"]
    assert none["cumulative_share"].isna().all()


@pytest.mark.parametrize("shares", [(0.95, 0.8), (0.8, 0.8), (0.0, 0.5), (0.8, 1.0), (), "ab"])
def test_abc_shares_are_checked(shares: object) -> None:
    """Shares must rise strictly inside (0, 1)."""
    with pytest.raises(ConfigError, match="increasing cumulative revenue shares"):
        abc_tiers(TEN, shares=shares)  # type: ignore[arg-type]


def test_abc_needs_monetary() -> None:
    """Without the monetary column there is nothing to grade."""
    with pytest.raises(DataValidationError, match="monetary"):
        abc_tiers(TEN.drop(columns="monetary"))
