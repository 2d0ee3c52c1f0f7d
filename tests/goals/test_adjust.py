"""Tests of market-driven target adjustments and their application as revisions."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import am_analytics
from am_analytics.errors import ConfigError
from am_analytics.goals._adjust import AdjustmentPolicy, recommend_adjustments
from am_analytics.goals._revisions import apply_adjustments
from am_analytics.schemas import table_schema

START, END = pd.Timestamp("2026-07-01"), pd.Timestamp("2026-09-30")  # 92 days
MID = pd.Timestamp("2026-08-15")  # day 46: half the period
TEAM = ["M1", "M2", "M3", "M4"]


@cache
def team_data() -> am_analytics.Dataset:
    """Four managers of one team and a fifth elsewhere; each sold 500 by 2026-07-10."""
    managers = [*TEAM, "M5"]
    return am_analytics.from_frames(
        managers=pd.DataFrame(
            {
                "manager_id": managers,
                "name": managers,
                "team": ["East"] * 4 + ["West"],
                "region": "China",
            }
        ),
        clients=pd.DataFrame({"client_id": ["C1"], "manager_id": ["M1"]}),
        sales=pd.DataFrame(
            {
                "order_id": [f"S{i}" for i in range(6)],
                "client_id": "C1",
                "manager_id": [*managers, "M1"],
                "order_date": ["2026-07-10"] * 5 + ["2026-09-20"],  # the last is after MID
                "amount": [500.0] * 5 + [10_000.0],
            }
        ),
    )


def team_goals(targets: list[float], *, owners: list[str] = TEAM) -> pd.DataFrame:
    """Revision-1 sales goals of 2026Q3 for ``owners``."""
    return pd.DataFrame(
        {
            "goal_id": [f"G{i + 1}" for i in range(len(targets))],
            "owner_id": owners,
            "metric": "sales_amount",
            "target": np.asarray(targets, dtype=float),
            "period_start": START,
            "period_end": END,
            "owner_kind": "manager",
            "set_on": pd.Timestamp("2026-06-25"),
            "revision": pd.array([1] * len(targets), dtype="Int64"),
            "reason": pd.Series([None] * len(targets), dtype="str"),
        }
    )


def test_market_part_by_hand() -> None:
    """Peers at 50% of plan: -25% on the remaining half; own results are left out."""
    goals = team_goals([1000.0, 2000.0, 2000.0, 2000.0])
    out = recommend_adjustments(team_data(), goals=goals, as_of=MID)
    assert out["elapsed_share"].tolist() == pytest.approx([0.5] * 4)
    assert out["expected_to_date"].tolist() == pytest.approx([500.0, 1000.0, 1000.0, 1000.0])
    assert out["actual_to_date"].tolist() == [500.0] * 4  # the 2026-09-20 sale is after MID
    # M1's peers sold 1500 against 3000 expected: -50%; M2's: 1500 against 2500: -40%
    assert out["market_deviation"].tolist() == pytest.approx([-0.5, -0.4, -0.4, -0.4])
    assert out["own_deviation"].tolist() == pytest.approx([0.0, -0.5, -0.5, -0.5])
    assert out["individual_deviation"].iloc[0] == pytest.approx(1 / 0.5 - 1)
    assert out["n_peers"].tolist() == [3] * 4
    assert out["triggered"].all()
    # half the period left: M1 -25% capped at -15%, M2 -20% capped at -15%
    policy = AdjustmentPolicy(cap=0.30)
    loose = recommend_adjustments(team_data(), goals=goals, as_of=MID, policy=policy)
    assert loose["change_share"].tolist() == pytest.approx([-0.25, -0.2, -0.2, -0.2])
    assert loose["proposed_target"].tolist() == pytest.approx([750.0, 1600.0, 1600.0, 1600.0])
    assert out["proposed_target"].tolist() == pytest.approx([850.0, 1700.0, 1700.0, 1700.0])
    assert out["capped"].all() and not loose["capped"].any()
    assert "-50.0%" in out["reason"].iloc[0] and "M1 excluded" in out["reason"].iloc[0]
    assert "1,000 → 850" in out["reason"].iloc[0]
    # no sales a year earlier: no seasonal profile, the linear fallback is used and said
    assert (out["expected_basis"] == "linear").all() and (out["n_peers_linear"] == 3).all()
    assert "linear fallback (no previous-year history" in out["reason"].iloc[0]
    assert "3 of 3 peers fall back to linear" in out["reason"].iloc[0]
    forced = recommend_adjustments(
        team_data(), goals=goals, as_of=MID, policy=AdjustmentPolicy(expectation="linear")
    )
    pdt.assert_frame_equal(
        forced.drop(columns="reason"), out.drop(columns="reason"), check_dtype=False
    )
    assert forced["reason"].str.endswith("[expectations: linear in elapsed days, by policy]").all()


def test_individually_ahead_in_flat_market_gets_no_raise() -> None:
    """Ratchet guard: M1 at 5x plan while the peers are on plan gets no proposal."""
    goals = team_goals([200.0, 1000.0, 1000.0, 1000.0])
    out = recommend_adjustments(team_data(), goals=goals, as_of=MID).set_index("goal_id")
    assert out.loc["G1", "own_deviation"] == pytest.approx(4.0)
    assert out.loc["G1", "market_deviation"] == pytest.approx(0.0)
    assert not out.loc["G1", "triggered"]
    assert out.loc["G1", "proposed_target"] == 200.0
    assert "not a market move" in out.loc["G1", "reason"]


def test_early_in_period_and_too_few_peers_give_no_proposal() -> None:
    """Before min_elapsed, or with fewer than min_peers peers, nothing moves."""
    goals = team_goals([4000.0] * 4)
    early = recommend_adjustments(team_data(), goals=goals, as_of="2026-07-15")
    assert not early["triggered"].any() and (early["change"] == 0).all()
    assert "waits for 25%" in early["reason"].iloc[0]
    lonely = recommend_adjustments(
        team_data(), goals=goals, as_of=MID, policy=AdjustmentPolicy(min_peers=4)
    )
    assert lonely["market_deviation"].isna().all() and not lonely["triggered"].any()
    # by region, M5 (West) joins the market of the others and vice versa
    with_m5 = team_goals([4000.0] * 5, owners=[*TEAM, "M5"])
    region = recommend_adjustments(
        team_data(), goals=with_m5, as_of=MID, policy=AdjustmentPolicy(level="region")
    )
    assert region["n_peers"].tolist() == [4] * 5
    by_team = recommend_adjustments(team_data(), goals=with_m5, as_of=MID)
    assert by_team["n_peers"].tolist() == [3, 3, 3, 3, 0]


def test_goals_not_running_or_not_in_policy_are_left_out() -> None:
    """Finished goals, team goals and csat goals get no row; the revision in force is used."""
    goals = team_goals([1000.0] * 4)
    revised = goals.iloc[[0]].assign(
        target=600.0, revision=pd.array([2], dtype="Int64"), set_on=pd.Timestamp("2026-08-01")
    )
    later = goals.iloc[[1]].assign(
        target=1.0, revision=pd.array([2], dtype="Int64"), set_on=pd.Timestamp("2026-09-01")
    )
    csat = goals.iloc[[2]].assign(goal_id="C1", metric="csat_mean", target=4.5)
    team = goals.iloc[[3]].assign(goal_id="T1", owner_id="East", owner_kind="team")
    done = goals.iloc[[3]].assign(goal_id="D1", period_end=MID)
    frame = pd.concat([goals, revised, later, csat, team, done], ignore_index=True)
    out = recommend_adjustments(team_data(), goals=frame, as_of=MID)
    assert out["goal_id"].tolist() == ["G1", "G2", "G3", "G4"]
    assert out["revision"].tolist() == [2, 1, 1, 1]
    assert out["old_target"].tolist() == [600.0, 1000.0, 1000.0, 1000.0]


FACTOR = [1.0, 2.0, 3.0, 4.0]  # the managers' sizes: the market reading must not depend on them


def seasonal_data(this_year: list[tuple[str, float]]) -> am_analytics.Dataset:
    """The team of four with a 2025Q3 history and ``this_year``'s (day, amount) sales in 2026Q3.

    Each manager sells ``amount × FACTOR`` on each day. 2025Q3: 100 on 07-01, 100 on
    08-01, 200 on 09-01 and 400 on 09-25 — half the quarter's 800 is sold in its last
    five weeks, a quarter-end cluster like the sample's.
    """
    history = [
        ("2025-07-01", 100.0),
        ("2025-08-01", 100.0),
        ("2025-09-01", 200.0),
        ("2025-09-25", 400.0),
    ]
    days = [*history, *this_year]
    rows = [
        (manager, day, amount * factor)
        for manager, factor in zip(TEAM, FACTOR, strict=True)
        for day, amount in days
    ]
    return am_analytics.from_frames(
        managers=pd.DataFrame({"manager_id": TEAM, "name": TEAM, "team": "East"}),
        clients=pd.DataFrame({"client_id": ["C1"], "manager_id": ["M1"]}),
        sales=pd.DataFrame(
            {
                "order_id": [f"S{i}" for i in range(len(rows))],
                "client_id": "C1",
                "manager_id": [r[0] for r in rows],
                "order_date": [r[1] for r in rows],
                "amount": [r[2] for r in rows],
            }
        ),
    )


def test_seasonal_expectation_is_not_a_market_move() -> None:
    """On last year's seasonal path, nobody is behind; the linear reading sees -50%."""
    # 2026 repeats 2025 so far: 100 + 100 by 2026-08-15 (day 46 of 92)
    data = seasonal_data([("2026-07-01", 100.0), ("2026-08-01", 100.0)])
    goals = team_goals([800.0 * f for f in FACTOR])
    out = recommend_adjustments(data, goals=goals, as_of=MID)
    # 2025-08-15 is day 46 of 2025Q3 too: 200 of 800 sold, a seasonal share of 1/4
    assert (out["expected_basis"] == "owner_seasonal").all()
    assert out["expected_to_date"].tolist() == pytest.approx([200.0 * f for f in FACTOR])
    assert out["actual_to_date"].tolist() == pytest.approx([200.0 * f for f in FACTOR])
    assert out["market_deviation"].tolist() == pytest.approx([0.0] * 4)
    assert not out["triggered"].any() and (out["change"] == 0).all()
    assert "seasonal, from the owner's previous years" in out["reason"].iloc[0]
    # linear: 800 × 1/2 expected, 200 sold: -50% everywhere, every target cut by the cap
    linear = recommend_adjustments(
        data, goals=goals, as_of=MID, policy=AdjustmentPolicy(expectation="linear")
    )
    assert linear["market_deviation"].tolist() == pytest.approx([-0.5] * 4)
    assert linear["triggered"].all()
    assert linear["proposed_target"].tolist() == pytest.approx([680.0 * f for f in FACTOR])


def test_market_wide_downturn_still_triggers() -> None:
    """Every member sells 30% less than last year from September: the market moves."""
    data = seasonal_data([("2026-07-01", 100.0), ("2026-08-01", 100.0), ("2026-09-01", 140.0)])
    goals = team_goals([800.0 * f for f in FACTOR])
    as_of = pd.Timestamp("2026-09-10")  # day 72 of 92
    out = recommend_adjustments(data, goals=goals, as_of=as_of)
    # last year by 2025-09-10: 400 of 800 (share 1/2); this year 340 against 400: -15%
    assert out["expected_to_date"].tolist() == pytest.approx([400.0 * f for f in FACTOR])
    assert out["actual_to_date"].tolist() == pytest.approx([340.0 * f for f in FACTOR])
    assert out["market_deviation"].tolist() == pytest.approx([-0.15] * 4)
    assert out["individual_deviation"].tolist() == pytest.approx([0.0] * 4, abs=1e-12)
    assert out["triggered"].all() and not out["capped"].any()
    # the remaining 20/92 of the period moves with the market
    share = -0.15 * 20 / 92
    assert out["change_share"].tolist() == pytest.approx([share] * 4)
    assert out["proposed_target"].tolist() == pytest.approx([800 * f * (1 + share) for f in FACTOR])


def test_sample_seasonality_is_not_read_as_a_market() -> None:
    """On 2026-08-20 far fewer sample goals trigger against the seasonal expectation."""
    data = am_analytics.load_sample()
    seasonal = recommend_adjustments(data, as_of="2026-08-20")
    linear = recommend_adjustments(
        data, as_of="2026-08-20", policy=AdjustmentPolicy(expectation="linear")
    )
    assert seasonal["goal_id"].tolist() == linear["goal_id"].tolist()
    assert len(seasonal) == 38
    # measured when written: 28 of 38 with the linear expectation, 15 with the seasonal
    n_linear, n_seasonal = int(linear["triggered"].sum()), int(seasonal["triggered"].sum())
    assert n_linear >= 25 and n_seasonal <= 0.6 * n_linear
    # the linear reading puts nearly every team behind (34 of 38 readings below 0, median
    # -13%) and proposes cuts (27 of 28); the seasonal one is centred (median +1%) and
    # two-sided (5 cuts, 10 raises): what is left is the teams' own ups and downs
    assert (linear["market_deviation"] < 0).mean() > 0.85
    assert linear["market_deviation"].median() < -0.10
    assert abs(seasonal["market_deviation"].median()) < 0.05
    moved = seasonal.loc[seasonal["triggered"], "change"]
    assert (moved > 0).any() and (moved < 0).any()
    assert seasonal["expected_basis"].isin(["owner_seasonal", "team_seasonal"]).all()


@settings(max_examples=40, deadline=None)
@given(
    targets=st.lists(st.floats(100.0, 50_000.0), min_size=4, max_size=4),
    day=st.integers(0, 90),
    trigger=st.floats(0.0, 0.9),
    cap=st.floats(0.01, 0.5),
    min_elapsed=st.floats(0.0, 0.9),
)
def test_never_beyond_cap_never_without_trigger(
    targets: list[float], day: int, trigger: float, cap: float, min_elapsed: float
) -> None:
    """Changes stay within ±cap, and happen only when |market| > trigger after min_elapsed."""
    policy = AdjustmentPolicy(trigger=trigger, cap=cap, min_elapsed=min_elapsed)
    as_of = START + pd.Timedelta(days=day)
    out = recommend_adjustments(team_data(), goals=team_goals(targets), as_of=as_of, policy=policy)
    assert len(out) == 4
    share = out["change_share"].to_numpy()
    assert np.all(np.abs(share) <= cap + 1e-12)
    assert np.allclose(out["proposed_target"], out["old_target"] * (1 + share))
    market = out["market_deviation"].to_numpy()
    fired = (np.abs(market) > trigger) & (out["elapsed_share"].to_numpy() >= min_elapsed)
    assert out["triggered"].tolist() == fired.tolist()
    assert np.all(share[~fired] == 0)
    # the change follows the market's sign and never exceeds the remaining share of it
    remaining = 1 - out["elapsed_share"].to_numpy()
    assert np.all(share * market >= 0)
    assert np.all(np.abs(share) <= np.abs(remaining * market) + 1e-12)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"trigger": -0.1}, "trigger"),
        ({"cap": 0.0}, "cap"),
        ({"cap": 1.2}, "cap"),
        ({"min_elapsed": 1.0}, "min_elapsed"),
        ({"level": "country"}, "level"),
        ({"expectation": "weekly"}, "expectation"),
        ({"min_peers": 0}, "min_peers"),
        ({"metrics": ("csat_mean",)}, "csat_mean"),
        ({"metrics": "sales_amount"}, "tuple"),
    ],
)
def test_policy_is_checked(options: dict[str, object], match: str) -> None:
    """Out-of-range policies raise ConfigError naming the field."""
    with pytest.raises(ConfigError, match=match):
        AdjustmentPolicy(**options)  # type: ignore[arg-type]


def test_apply_keeps_every_revision_and_passes_the_schema() -> None:
    """Approved proposals add revision rows; the original rows are unchanged."""
    goals = team_goals([1000.0, 2000.0, 2000.0, 2000.0])
    proposals = recommend_adjustments(team_data(), goals=goals, as_of=MID)
    approved = ["G3", "G1"]
    out = apply_adjustments(goals, proposals=proposals, approved=approved, as_of="2026-08-16")
    assert len(out) == len(goals) + len(approved)
    pdt.assert_frame_equal(out.iloc[: len(goals)][goals.columns], goals)
    assert out.iloc[: len(goals)]["previous_target"].isna().all()
    new = out.iloc[len(goals) :]
    assert new["goal_id"].tolist() == approved
    assert new["revision"].tolist() == [2, 2]
    assert new["target"].tolist() == pytest.approx([1700.0, 850.0])
    assert new["previous_target"].tolist() == [2000.0, 1000.0]
    assert (new["set_on"] == pd.Timestamp("2026-08-16")).all()
    assert new["reason"].str.startswith("market adjustment").all()
    assert out.dtypes.drop("previous_target").equals(goals.dtypes)
    table_schema("goals").validate(out.drop(columns="previous_target"))
    # the adjusted targets are now in force, and a second round builds on them
    again = recommend_adjustments(team_data(), goals=out, as_of="2026-08-20")
    assert again.set_index("goal_id").loc["G1", "revision"] == 2
    assert again.set_index("goal_id").loc["G1", "old_target"] == pytest.approx(850.0)


def test_old_calls_still_work_and_warn() -> None:
    """recommend_adjustments(goals, dataset) and apply_adjustments(goals, proposals) warn
    with the new call and give the same frames."""
    goals = team_goals([1000.0, 2000.0, 2000.0, 2000.0])
    proposals = recommend_adjustments(team_data(), goals=goals, as_of=MID)
    with pytest.warns(FutureWarning) as caught:
        old = recommend_adjustments(goals, team_data(), as_of=MID)
    pdt.assert_frame_equal(old, proposals)
    assert len(caught) == 1 and caught[0].filename == __file__
    assert str(caught[0].message) == (
        "put the dataset first and pass the goals by keyword: "
        "recommend_adjustments(dataset, goals=goals, ...); the old form stops working in 0.3"
    )
    expected = apply_adjustments(goals, proposals=proposals, approved=["G1"], as_of=MID)
    with pytest.warns(FutureWarning) as caught:
        applied = apply_adjustments(goals, proposals, approved=["G1"], as_of=MID)
    pdt.assert_frame_equal(applied, expected)
    assert applied["target"].iloc[-1] == pytest.approx(850.0)
    assert len(caught) == 1 and caught[0].filename == __file__
    assert str(caught[0].message) == (
        "pass proposals by keyword: apply_adjustments(goals, proposals=proposals, ...); "
        "positional calls stop working in 0.3"
    )


def test_apply_on_the_sample_keeps_history() -> None:
    """On the sample, applying every triggered proposal only appends rows."""
    data = am_analytics.load_sample()
    proposals = recommend_adjustments(data, as_of="2026-08-20")
    approved = proposals.loc[proposals["triggered"], "goal_id"].tolist()
    assert approved
    out = apply_adjustments(data.goals, proposals=proposals, approved=approved, as_of="2026-08-20")
    assert len(out) == len(data.goals) + len(approved)
    pdt.assert_frame_equal(out.iloc[: len(data.goals)][data.goals.columns], data.goals)
    table_schema("goals").validate(out.drop(columns="previous_target"))
    assert not out.duplicated(["goal_id", "revision"]).any()


def test_apply_refuses_untriggered_stale_or_backdated() -> None:
    """Only triggered, current proposals can be applied, and not before their revision."""
    goals = team_goals([200.0, 1000.0, 1000.0, 1000.0])
    proposals = recommend_adjustments(team_data(), goals=goals, as_of=MID)
    with pytest.raises(ConfigError, match="G1"):
        apply_adjustments(goals, proposals=proposals, approved=["G1"], as_of=MID)
    drop = team_goals([4000.0] * 4)
    proposals = recommend_adjustments(team_data(), goals=drop, as_of=MID)
    once = apply_adjustments(drop, proposals=proposals, approved="G2", as_of=MID)
    with pytest.raises(ConfigError, match="latest"):
        apply_adjustments(once, proposals=proposals, approved=["G2"], as_of=MID)
    with pytest.raises(ConfigError, match="predate"):
        apply_adjustments(drop, proposals=proposals, approved=["G2"], as_of="2026-06-01")


def test_applied_adjustments_leave_past_attainment_unchanged() -> None:
    """Attainment on any day before the new revisions' set_on is the same with or
    without them; from that day on the new targets are in force."""
    from am_analytics.goals import AttainmentOptions, attainment

    data = am_analytics.load_sample()
    proposals = recommend_adjustments(data, as_of="2026-08-20")
    approved = proposals.loc[proposals["triggered"], "goal_id"].tolist()
    revised = apply_adjustments(
        data.goals, proposals=proposals, approved=approved, as_of="2026-08-20"
    )
    running = data.goals["goal_id"].isin(approved)
    options = AttainmentOptions(pipeline=False)
    before = attainment(data, goals=data.goals[running], as_of="2026-09-30", options=options)
    after = attainment(
        data, goals=revised[revised["goal_id"].isin(approved)], as_of="2026-09-30", options=options
    )
    past = before["date"] < "2026-08-20"
    columns = ["goal_id", "date", "target", "actual_to_date", "attainment"]
    pdt.assert_frame_equal(
        after.loc[after["date"] < "2026-08-20", columns].reset_index(drop=True),
        before.loc[past, columns].reset_index(drop=True),
    )
    later = after[after["date"] >= "2026-08-20"].drop_duplicates("goal_id")
    new_targets = proposals.set_index("goal_id").loc[later["goal_id"], "proposed_target"]
    np.testing.assert_allclose(later["target"].to_numpy(), new_targets.to_numpy())
