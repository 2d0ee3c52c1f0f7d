"""SMART checks of goals: each letter failing by hand, history without peeking, peers."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from am_analytics import Dataset, from_frames, load_sample
from am_analytics.errors import ConfigError, DataValidationError, MissingTableError
from am_analytics.goals._smart import _growth_percentiles, check_smart
from am_analytics.metrics import _REGISTRY, Metric, manager_metrics, register_metric

PEERS = [f"P{i:02d}" for i in range(11)]

# Net sales per manager and quarter of 2025, one order in the middle of each
# quarter. M3 joined on 1 May 2025, so only Q3 and Q4 are their history.
QUARTER_SALES = {
    "M1": [100, 200, 300, 400],
    "M2": [50, 50, 50, 50],
    "M3": [0, 0, 60, 100],
    **{p: [100, 100, 100, 100] for p in PEERS},
}
MID_QUARTER = ["2025-01-15", "2025-04-15", "2025-07-15", "2025-10-15"]


def office() -> Dataset:
    """Team 甲 (M1, M2), team 乙 (M3), team 丙 (eleven peers), sales in 2025 and one in 2026.

    The sale of 5000 on 10 January 2026 is in a quarter no goal's history may
    see: it is not complete when the 2026Q1 targets are set.
    """
    ids = list(QUARTER_SALES)
    orders = [
        (m, day, amount)
        for m, amounts in QUARTER_SALES.items()
        for day, amount in zip(MID_QUARTER, amounts, strict=True)
        if amount
    ] + [("M1", "2026-01-10", 5000)]
    return from_frames(
        managers=pd.DataFrame(
            {
                "manager_id": ids,
                "name": ids,
                "team": ["甲", "甲", "乙"] + ["丙"] * len(PEERS),
                "hire_date": ["2020-01-01", "2020-01-01", "2025-05-01"]
                + ["2020-01-01"] * len(PEERS),
            }
        ),
        clients=pd.DataFrame({"client_id": [f"C-{m}" for m in ids], "manager_id": ids}),
        sales=pd.DataFrame(
            {
                "order_id": [f"S{i}" for i in range(len(orders))],
                "client_id": [f"C-{m}" for m, _, _ in orders],
                "manager_id": [m for m, _, _ in orders],
                "order_date": [day for _, day, _ in orders],
                "amount": [float(a) for _, _, a in orders],
            }
        ),
        as_of="2026-03-01",
    )


@pytest.fixture(scope="module")
def data() -> Dataset:
    return office()


def goals(**columns: object) -> pd.DataFrame:
    """2026Q1 sales goals of M1 (target 300, set on 1 January), columns overridden."""
    base: dict[str, object] = {
        "goal_id": "G1",
        "owner_id": "M1",
        "owner_kind": "manager",
        "metric": "sales_amount",
        "target": 300.0,
        "period_start": pd.Timestamp("2026-01-01"),
        "period_end": pd.Timestamp("2026-03-31"),
        "set_on": pd.Timestamp("2026-01-01"),
        "revision": 1,
    }
    base.update(columns)
    many = {k: list(v) for k, v in base.items() if isinstance(v, list | pd.Index)}
    n = max((len(v) for v in many.values()), default=1)
    frame = pd.DataFrame({k: many.get(k, [v] * n) for k, v in base.items()})
    if "goal_id" not in columns:
        frame["goal_id"] = [f"G{i + 1}" for i in range(n)]
    return frame


def letters(row: pd.Series) -> dict[str, bool]:
    names = ["specific", "measurable", "achievable", "relevant", "time_bound", "smart"]
    return {name: bool(row[name]) for name in names}


# ---------------------------------------------------------------------------
# History and required growth
# ---------------------------------------------------------------------------


def test_history_is_the_complete_quarters_before_the_target_was_set(data):
    """Set on 1 Jan 2026: 2025Q1..Q4 = 100, 200, 300, 400, mean 250, 300/250 - 1 = +20 %.
    Set on 20 Dec 2025: 2025Q4 is not over, 2024Q4 has no data: Q1..Q3 mean 200,
    +50 %. The revision set on 15 Feb 2026 sees 2025Q4 but not the running 2026Q1
    (with its sale of 5000): mean 250, 275/250 - 1 = +10 %."""
    frame = goals(
        goal_id="G1",
        target=[300.0, 300.0, 275.0],
        set_on=pd.to_datetime(["2026-01-01", "2025-12-20", "2026-02-15"]),
        revision=[1, 1, 2],
    )
    frame.loc[1, "goal_id"] = "G0"
    out = check_smart(data, goals=frame)
    assert out["baseline"].tolist() == [250.0, 200.0, 250.0]
    assert out["n_history"].tolist() == [4, 3, 4]
    assert out["required_growth"].to_numpy() == pytest.approx([0.2, 0.5, 0.1])
    assert out["revision"].tolist() == [1, 1, 2]
    assert out["smart"].all()
    assert (out["reason"] == "").all()


def test_history_length_is_an_option(data):
    """history=2 from 1 Jan 2026: 2025Q3, Q4 = 300, 400, mean 350."""
    out = check_smart(data, goals=goals(), history=2)
    assert out.loc[0, "baseline"] == 350.0 and out.loc[0, "n_history"] == 2


def test_team_history_sums_the_members_and_a_manager_starts_at_hire(data):
    """Team 甲 = M1 + M2: mean 250 + 50 = 300, 330 asks +10 %. M3 was hired on
    1 May 2025, so 2025Q1 and Q2 are not theirs: (60 + 100) / 2 = 80, 120 asks +50 %."""
    frame = goals(owner_id=["甲", "M3"], owner_kind=["team", "manager"], target=[330.0, 120.0])
    out = check_smart(data, goals=frame)
    assert out["baseline"].tolist() == [300.0, 80.0]
    assert out["n_history"].tolist() == [4, 2]
    assert out["required_growth"].to_numpy() == pytest.approx([0.1, 0.5])


def test_no_history_passes_with_a_note(data):
    """A 2025Q1 goal set on 20 Dec 2024 has no data before it: achievable, with a note."""
    out = check_smart(
        data,
        goals=goals(
            period_start=pd.Timestamp("2025-01-01"),
            period_end=pd.Timestamp("2025-03-31"),
            set_on=pd.Timestamp("2024-12-20"),
        ),
    )
    row = out.loc[0]
    assert row["achievable"] and row["smart"] and row["n_history"] == 0
    assert np.isnan(row["required_growth"]) and np.isnan(row["growth_percentile"])
    assert row["reason"] == "note: no history before the target was set to judge achievability"


def test_monthly_goal_looks_back_by_months(data):
    """A December 2025 goal set on 1 Dec: November (nothing), October (M1 sold 400 on 15 Oct) and
    September (nothing) - mean 400 / 3; a target of 200 asks for +50 %."""
    out = check_smart(
        data,
        goals=goals(
            period_start=pd.Timestamp("2025-12-01"),
            period_end=pd.Timestamp("2025-12-31"),
            set_on=pd.Timestamp("2025-12-01"),
            target=200.0,
        ),
        history=3,
    )
    assert out.loc[0, "baseline"] == pytest.approx(400 / 3)
    assert out.loc[0, "required_growth"] == pytest.approx(0.5)


# ---------------------------------------------------------------------------
# Each letter failing
# ---------------------------------------------------------------------------


def test_specific_fails_for_unknown_owners_and_metrics(data):
    """An unknown manager, an unknown team, an unknown owner kind, a misspelt metric."""
    frame = goals(
        owner_id=["M9", "丁", "M1", "M1"],
        owner_kind=["manager", "team", "boss", "manager"],
        metric=["sales_amount", "sales_amount", "sales_amount", "sales_amout"],
    )
    out = check_smart(data, goals=frame)
    assert not out["specific"].any() and not out["smart"].any()
    assert out["reason"][0] == "specific: 'M9' is not a known manager"
    assert out["reason"][1] == "specific: '丁' is not a known team"
    assert out["reason"][2] == "specific: owner_kind 'boss' is neither 'manager' nor 'team'"
    assert out["reason"][3] == (
        "specific: 'sales_amout' is not a registered metric (see list_metrics()); "
        "measurable: no metric 'sales_amout' can compute it; "
        "relevant: 'sales_amout' is neither a scorecard metric nor in a strategy list (strategy=)"
    )
    assert out["measurable"].tolist() == [True, True, True, False]


def test_measurable_fails_without_the_metrics_table(data):
    """CSAT needs surveys, which this dataset lacks; relevant through the strategy list."""
    out = check_smart(data, goals=goals(metric="csat_mean", target=4.5), strategy=["csat_mean"])
    row = out.loc[0]
    assert letters(row) == {
        "specific": True,
        "measurable": False,
        "achievable": True,
        "relevant": True,
        "time_bound": True,
        "smart": False,
    }
    assert row["reason"] == (
        "measurable: 'csat_mean' needs the surveys table(s), which the dataset lacks"
    )


def test_relevant_is_strict_and_the_strategy_extends_it(data):
    """order_count is not in the default scorecard; naming it in strategy makes it relevant."""
    frame = goals(metric="order_count", target=2.0)
    out = check_smart(data, goals=frame)
    assert not out.loc[0, "relevant"] and out.loc[0, "specific"] and out.loc[0, "measurable"]
    assert out.loc[0, "reason"] == (
        "relevant: 'order_count' is neither a scorecard metric nor in a strategy list (strategy=)"
    )
    assert check_smart(data, goals=frame, strategy=["order_count"]).loc[0, "relevant"]
    # csat_adjusted is in the scorecard, csat_mean is not: no near-miss credit
    assert not check_smart(data, goals=goals(metric="csat_mean")).loc[0, "relevant"]


def test_time_bound_fails_when_set_after_the_end_or_the_period_is_broken(data):
    """Set after the period ended; an end before the start; no end."""
    frame = goals(
        set_on=pd.to_datetime(["2026-04-05", "2025-12-01", "2025-12-01"]),
        period_end=pd.to_datetime(["2026-03-31", "2025-12-31", None]),
    )
    out = check_smart(data, goals=frame)
    assert not out["time_bound"].any() and out["specific"].all()
    assert out["reason"][0].startswith(
        "time-bound: set on 2026-04-05, after the period ended on 2026-03-31"
    )
    assert (
        out["reason"][1] == "time-bound: the period ends (2025-12-31) before it starts (2026-01-01)"
    )
    assert out["reason"][2].startswith("time-bound: the period has no end")


def test_missing_set_on_passes_with_a_note_and_history_stops_at_the_start(data):
    """Without set_on the target counts as set on 1 Jan 2026: baseline 250, +20 %."""
    out = check_smart(data, goals=goals().drop(columns=["set_on", "revision", "owner_kind"]))
    row = out.loc[0]
    assert row["time_bound"] and row["smart"] and row["revision"] == 1
    assert row["baseline"] == 250.0
    assert row["reason"] == "note: no set_on date, so taken as set when the period starts"


def test_stretch_and_sandbagging_on_eleven_peers(data):
    """Eleven peers with a mean of 100 get targets 100, 105, ..., 150: growth 0 .. +50 %.
    Mid-rank percentiles (i + 0.5) / 11: 150 is at 0.955 (stretch), 100 at 0.045
    (sandbagging), 145 at 0.864 and 105 at 0.136 pass."""
    targets = [100.0 + 5 * i for i in range(11)]
    out = check_smart(data, goals=goals(owner_id=PEERS, target=targets))
    expected = (np.arange(11) + 0.5) / 11
    assert out["growth_percentile"].to_numpy() == pytest.approx(expected)
    assert out["achievable_flag"].tolist() == ["sandbagging"] + [""] * 9 + ["stretch"]
    assert out["achievable"].tolist() == [False] + [True] * 9 + [False]
    assert out["reason"][10] == (
        "achievable: stretch - the target 150 asks for +50.0% on the owner's mean of 100 "
        "over the last 4 quarters, at the 95th percentile of 11 peer goals (above the 90th)"
    )
    assert out["reason"][0] == (
        "achievable: sandbagging - the target 100 asks for +0.0% on the owner's mean of 100 "
        "over the last 4 quarters, at the 5th percentile of 11 peer goals (below the 10th)"
    )
    # tighter bounds flag nobody
    calm = check_smart(data, goals=goals(owner_id=PEERS, target=targets), percentiles=(0.01, 0.99))
    assert calm["achievable"].all()


def test_small_peer_groups_never_flag(data):
    """Five peers: mid-ranks 0.1 .. 0.9, inside the default bounds."""
    out = check_smart(data, goals=goals(owner_id=PEERS[:5], target=[100.0, 120, 140, 160, 900]))
    assert out["growth_percentile"].to_numpy() == pytest.approx([0.1, 0.3, 0.5, 0.7, 0.9])
    assert out["achievable"].all()


@pytest.fixture
def lower_is_better() -> Iterator[str]:
    """A lower-is-better copy of net sales, registered for one test."""
    name = "test_cost"
    register_metric(
        Metric(
            name,
            "lower",
            "currency",
            "Net sales read as a cost.",
            ("sales",),
            lambda ctx: ctx.per_manager(ctx.sales["manager"], ctx.sales["amount"]),
        )
    )
    yield name
    _REGISTRY.pop(name)


def test_lower_is_better_ranks_the_deepest_cut_as_the_stretch(data, lower_is_better):
    """Targets 100, 95, ..., 50 on a cost with mean 100: the -50 % cut is the stretch,
    the flat target the sandbagging."""
    targets = [100.0 - 5 * i for i in range(11)]
    out = check_smart(
        data,
        goals=goals(owner_id=PEERS, metric=lower_is_better, target=targets),
        strategy=[lower_is_better],
    )
    assert out["required_growth"].to_numpy() == pytest.approx(-0.05 * np.arange(11))
    assert out["achievable_flag"].tolist() == ["sandbagging"] + [""] * 9 + ["stretch"]
    assert "asks for -50.0%" in out["reason"][10]


def test_a_revision_is_ranked_among_the_first_revisions():
    """Peers' first revisions grow 0.0 .. 1.0; G0 (first at 0.0) is revised to 2.0.
    It is ranked as if it had been G0's target: above the other ten, (10 + 0.5) / 11;
    the first revisions keep their mid-ranks (i + 0.5) / 11, the revision is not
    among their peers."""
    rows = goals(owner_id=[*PEERS, "P00"], revision=[1] * 11 + [2])
    rows["goal_id"] = [f"G{i}" for i in range(11)] + ["G0"]
    ambition = pd.Series([i / 10 for i in range(11)] + [2.0])
    percentile, peers = _growth_percentiles(rows, ambition)
    assert percentile[-1] == pytest.approx(10.5 / 11) and peers[-1] == 11
    assert percentile[:11] == pytest.approx((np.arange(11) + 0.5) / 11)


@given(
    values=st.lists(st.sampled_from([-0.5, 0.0, 0.1, 0.1, 0.3, np.nan]), min_size=1, max_size=30),
    groups=st.data(),
)
def test_percentile_is_the_mid_rank_within_its_group(values, groups):
    """Against a direct count: (peers below + half the ties, itself included) / peers."""
    n = len(values)
    metric = groups.draw(st.lists(st.sampled_from(["a", "b"]), min_size=n, max_size=n))
    rows = goals(owner_id=["M1"] * n, metric=metric)
    ambition = pd.Series(values, dtype=float)
    percentile, _ = _growth_percentiles(rows, ambition)
    for i in range(n):
        same = (rows["metric"] == metric[i]).to_numpy() & ambition.notna().to_numpy()
        if np.isnan(values[i]):
            assert np.isnan(percentile[i])
            continue
        peers = ambition.to_numpy()[same]
        expected = ((peers < values[i]).sum() + 0.5 * (peers == values[i]).sum()) / same.sum()
        assert percentile[i] == pytest.approx(expected)


# ---------------------------------------------------------------------------
# Options and input errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"history": 0}, "history must be a whole number"),
        ({"history": 2.5}, "history must be a whole number"),
        ({"strategy": "csat_mean"}, "strategy must be a list of metric names"),
        ({"strategy": ["csat_meen"]}, "unknown metric 'csat_meen'"),
        ({"percentiles": (0.9, 0.1)}, "percentiles must be"),
        ({"percentiles": (0.1,)}, "percentiles must be"),
    ],
)
def test_bad_options_raise_config_errors(data, options, match):
    with pytest.raises(ConfigError, match=match):
        check_smart(data, goals=goals(), **options)


def test_missing_goal_columns_raise(data):
    with pytest.raises(DataValidationError, match=r"goals lacks the column\(s\) \['target'\]"):
        check_smart(data, goals=goals().drop(columns="target"))


def test_old_goals_first_order_still_works_and_warns(data):
    """check_smart(goals, dataset) warns with the new call and gives the same frame."""
    frame = goals(owner_id=["M1", "M2"], target=[300.0, 60.0])
    expected = check_smart(data, goals=frame, history=2)
    with pytest.warns(FutureWarning) as caught:
        old = check_smart(frame, data, history=2)
    pd.testing.assert_frame_equal(old, expected)
    assert old["baseline"].tolist() == [350.0, 50.0]
    assert len(caught) == 1 and caught[0].filename == __file__
    assert str(caught[0].message) == (
        "put the dataset first and pass the goals by keyword: "
        "check_smart(dataset, goals=goals, ...); the old form stops working in 0.3"
    )


def test_a_dataset_without_goals_names_the_missing_table(data):
    """Without goals= the dataset's goals are checked; none at all is a MissingTableError."""
    with pytest.raises(MissingTableError, match="this dataset has no goals table"):
        check_smart(data)


def test_input_is_not_mutated_and_empty_goals_give_an_empty_frame(data):
    frame = goals()
    before = frame.copy()
    check_smart(data, goals=frame)
    pd.testing.assert_frame_equal(frame, before)
    empty = check_smart(data, goals=frame.iloc[:0])
    assert empty.empty and {"smart", "reason", "growth_percentile"} <= set(empty.columns)


# ---------------------------------------------------------------------------
# The sample
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> Dataset:
    return load_sample()


@pytest.fixture(scope="module")
def sample_smart(sample) -> pd.DataFrame:
    assert sample.goals is not None
    return check_smart(sample)


def test_sample_goals_are_specific_measurable_and_time_bound(sample, sample_smart):
    """Every row is checked; only csat_mean goals fail relevant (the scorecard uses
    csat_adjusted); both flags occur among the managers' sales goals."""
    assert sample.goals is not None
    assert len(sample_smart) == len(sample.goals)
    assert sample_smart[["specific", "measurable", "time_bound"]].all().all()
    irrelevant = set(sample_smart.loc[~sample_smart["relevant"], "metric"])
    assert irrelevant == {"csat_mean"}
    flags = sample_smart.loc[sample_smart["metric"] == "sales_amount", "achievable_flag"]
    assert {"stretch", "sandbagging"} <= set(flags)


def test_sample_history_does_not_peek(sample_smart):
    """The data start on 1 Jan 2024 and targets are set days before their quarter:
    2024Q1 and Q2 targets have no complete quarter before them, 2024Q3 one."""
    first = sample_smart[sample_smart["revision"] == 1]
    by_quarter = first.groupby(first["period_start"].dt.to_period("Q"))["n_history"].max()
    assert by_quarter[pd.Period("2024Q1")] == 0
    assert by_quarter[pd.Period("2024Q2")] == 0
    assert by_quarter[pd.Period("2024Q3")] == 1
    assert first["n_history"].max() == 4


def test_sample_baseline_matches_manager_metrics(sample, sample_smart):
    """A 2026Q3 sales goal set in late June: the mean of manager_metrics over
    2025Q2..2026Q1 (2026Q2 is still running), for a manager and for a team (sum)."""
    quarters = ["2025Q2", "2025Q3", "2025Q4", "2026Q1"]
    sales = pd.concat(
        [
            manager_metrics(sample, period=q, metrics=["sales_amount"])["sales_amount"]
            for q in quarters
        ],
        axis=1,
    ).fillna(0.0)
    goals_q3 = sample_smart[
        (sample_smart["period_start"] == "2026-07-01")
        & (sample_smart["metric"] == "sales_amount")
        & (sample_smart["revision"] == 1)
    ]
    assert (goals_q3["set_on"] < "2026-07-01").all()
    manager = goals_q3[goals_q3["owner_kind"] == "manager"].iloc[0]
    assert manager["baseline"] == pytest.approx(sales.loc[manager["owner_id"]].mean())
    team = goals_q3[goals_q3["owner_kind"] == "team"].iloc[0]
    managers = sample.managers.set_index("manager_id")
    members = managers.index[managers["team"] == team["owner_id"]]
    team_sales = sales.reindex(members, fill_value=0.0).sum()
    assert team["baseline"] == pytest.approx(team_sales.mean())
