"""Tests of team roll-ups of goals and attainment, and of the attainment distribution."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import am_analytics
from am_analytics.errors import ConfigError, DataValidationError
from am_analytics.goals._rollup import attainment_distribution, rollup_attainment, team_rollup
from am_analytics.sample._goals import TEAM_TARGET_STRETCH

Q3_START, Q3_END = pd.Timestamp("2026-07-01"), pd.Timestamp("2026-09-30")


def goals_frame(rows: list[tuple[str, str, str, str, float]], **extra: object) -> pd.DataFrame:
    """Goals of 2026Q3 from (goal_id, owner_id, owner_kind, metric, target) rows."""
    ids, owners, kinds, metrics, targets = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "goal_id": list(ids),
            "owner_id": list(owners),
            "metric": list(metrics),
            "target": np.asarray(targets, dtype=float),
            "period_start": Q3_START,
            "period_end": Q3_END,
            "owner_kind": list(kinds),
            **extra,
        }
    )


#: Three managers in two teams, as a dataset (team_rollup reads its managers table).
TEAMS = am_analytics.from_frames(
    managers=pd.DataFrame(
        {
            "manager_id": ["M1", "M2", "M3"],
            "name": ["a", "b", "c"],
            "team": ["East", "East", "West"],
        }
    ),
    clients=pd.DataFrame({"client_id": ["C1"], "manager_id": ["M1"]}),
    sales=pd.DataFrame(
        {
            "order_id": ["S1"],
            "client_id": ["C1"],
            "manager_id": ["M1"],
            "order_date": ["2026-07-10"],
            "amount": [1.0],
        }
    ),
)


def test_team_target_equal_to_members_sum_is_not_flagged() -> None:
    """A team target within 1% of the members' sum is not a mismatch; 2% off is."""
    goals = goals_frame(
        [
            ("G1", "M1", "manager", "sales_amount", 100.0),
            ("G2", "M2", "manager", "sales_amount", 200.0),
            ("G3", "East", "team", "sales_amount", 302.0),
            ("G4", "M3", "manager", "sales_amount", 50.0),
            ("G5", "West", "team", "sales_amount", 51.0),
        ]
    )
    out = team_rollup(TEAMS, goals=goals)
    assert out["goal_id"].tolist() == ["G3", "G5"]
    assert out["members_target"].tolist() == [300.0, 50.0]
    assert out["n_member_goals"].tolist() == [2, 1]
    assert out["mismatch"].tolist() == [False, True]
    assert out["mismatch_ratio"].tolist() == pytest.approx([302 / 300, 51 / 50])
    assert out["difference"].tolist() == [2.0, 1.0]
    assert not team_rollup(TEAMS, goals=goals, tolerance=0.05)["mismatch"].any()


def test_means_are_averaged_and_other_metrics_and_periods_ignored() -> None:
    """csat_mean targets are averaged; goals of another metric or period do not count."""
    goals = goals_frame(
        [
            ("G1", "M1", "manager", "csat_mean", 4.0),
            ("G2", "M2", "manager", "csat_mean", 4.4),
            ("G3", "East", "team", "csat_mean", 4.2),
            ("G4", "M1", "manager", "sales_amount", 999.0),
        ]
    )
    other_period = goals_frame([("G9", "M2", "manager", "csat_mean", 1.0)]).assign(
        period_start=pd.Timestamp("2026-10-01"), period_end=pd.Timestamp("2026-12-31")
    )
    out = team_rollup(TEAMS, goals=pd.concat([goals, other_period], ignore_index=True))
    assert out["aggregation"].tolist() == ["mean"]
    assert out["members_target"].tolist() == pytest.approx([4.2])
    assert out["mismatch"].tolist() == [False]


def test_latest_revision_of_member_counts_and_as_of_restores_the_old_view() -> None:
    """A member's cut target makes the team mismatch; as_of before the cut does not."""
    goals = goals_frame(
        [
            ("G1", "M1", "manager", "sales_amount", 100.0),
            ("G1", "M1", "manager", "sales_amount", 80.0),
            ("G2", "M2", "manager", "sales_amount", 100.0),
            ("G3", "East", "team", "sales_amount", 200.0),
        ],
        revision=[1, 2, 1, 1],
        set_on=pd.to_datetime(["2026-06-25", "2026-08-10", "2026-06-25", "2026-06-25"]),
    )
    now = team_rollup(TEAMS, goals=goals).iloc[0]
    assert now["members_target"] == 180.0 and now["mismatch"]
    before = team_rollup(TEAMS, goals=goals, as_of="2026-08-01").iloc[0]
    assert before["members_target"] == 200.0 and not before["mismatch"]


def test_team_without_member_goals_is_flagged() -> None:
    """A team target with nothing to add up is a mismatch with NaN ratio."""
    goals = goals_frame([("G3", "West", "team", "sales_amount", 10.0)])
    out = team_rollup(TEAMS, goals=goals).iloc[0]
    assert out["n_members"] == 1 and out["n_member_goals"] == 0
    assert np.isnan(out["mismatch_ratio"]) and out["mismatch"]


def test_planted_team_stretch_is_found_in_the_sample() -> None:
    """The sample's team target set 1.10x its members' sum (2026Q3, first team) is flagged."""
    data = am_analytics.load_sample()
    out = team_rollup(data, as_of="2026-07-01")
    q3 = out[out["period_start"] == Q3_START]
    flagged = q3[q3["mismatch"]]
    assert len(flagged) == 1
    assert flagged["team"].iloc[0] == data.managers["team"].iloc[0]
    assert flagged["mismatch_ratio"].iloc[0] == pytest.approx(TEAM_TARGET_STRETCH, abs=1e-3)
    # the other teams' targets equal their members' sum exactly
    assert q3.loc[~q3["mismatch"], "mismatch_ratio"].tolist() == pytest.approx([1.0] * 4)
    latest = team_rollup(data)
    planted = latest[latest["goal_id"] == flagged["goal_id"].iloc[0]]
    assert bool(planted["mismatch"].iloc[0])


def test_bad_tolerance_and_missing_columns_are_reported() -> None:
    """Negative tolerance is a ConfigError; a goals table without target a DataValidationError."""
    goals = goals_frame([("G3", "West", "team", "sales_amount", 10.0)])
    with pytest.raises(ConfigError, match="tolerance"):
        team_rollup(TEAMS, goals=goals, tolerance=-0.1)
    with pytest.raises(DataValidationError, match="target") as caught:
        team_rollup(TEAMS, goals=goals.drop(columns="target"))
    assert caught.value.missing == {"goals table": ["target"]}


def test_old_goals_and_managers_call_still_works_with_a_warning() -> None:
    """team_rollup(goals, managers) warns with the new call and gives the same frame."""
    goals = goals_frame(
        [
            ("G1", "M1", "manager", "sales_amount", 100.0),
            ("G2", "M2", "manager", "sales_amount", 200.0),
            ("G3", "East", "team", "sales_amount", 330.0),
        ]
    )
    expected = team_rollup(TEAMS, goals=goals, as_of="2026-08-01")
    with pytest.warns(FutureWarning, match=r"team_rollup\(dataset, goals=goals, \.\.\.\)"):
        old = team_rollup(goals, TEAMS.managers, as_of="2026-08-01")
    pd.testing.assert_frame_equal(old, expected)
    assert old["mismatch_ratio"].tolist() == pytest.approx([1.1])


def attainment_rows(rows: list[tuple[str, str, str, str, str, float, float]]) -> pd.DataFrame:
    """An attainment frame from (goal_id, kind, team, metric, date, target, actual) rows."""
    ids, kinds, teams, metrics, dates, targets, actuals = zip(*rows, strict=True)
    target = np.asarray(targets, dtype=float)
    actual = np.asarray(actuals, dtype=float)
    return pd.DataFrame(
        {
            "goal_id": list(ids),
            "owner_kind": list(kinds),
            "team": list(teams),
            "metric": list(metrics),
            "direction": "higher",
            "period_start": Q3_START,
            "period_end": Q3_END,
            "date": pd.to_datetime(list(dates)),
            "target": target,
            "actual_to_date": actual,
            "expected_to_date": target / 2,
            "attainment": actual / target,
        }
    )


def test_rollup_attainment_sums_members_per_step() -> None:
    """Members' actuals and targets are summed per team and date; the team goal is joined."""
    results = attainment_rows(
        [
            ("G1", "manager", "East", "sales_amount", "2026-08-01", 100, 30),
            ("G2", "manager", "East", "sales_amount", "2026-08-01", 300, 90),
            ("G1", "manager", "East", "sales_amount", "2026-09-30", 100, 110),
            ("G2", "manager", "East", "sales_amount", "2026-09-30", 300, 250),
            ("G3", "team", "East", "sales_amount", "2026-09-30", 440, 360),
            ("G4", "manager", "East", "csat_mean", "2026-09-30", 4.5, 4.0),
        ]
    )
    out = rollup_attainment(results)
    assert out["date"].tolist() == list(pd.to_datetime(["2026-08-01", "2026-09-30"]))
    assert out["n_goals"].tolist() == [2, 2]
    assert out["target"].tolist() == [400.0, 400.0]
    assert out["actual_to_date"].tolist() == [120.0, 360.0]
    assert out["attainment"].tolist() == pytest.approx([0.3, 0.9])
    assert out["pace"].tolist() == pytest.approx([0.6, 1.8])
    assert out["team_goal_id"].isna().tolist() == [True, False]
    assert out["team_attainment"].iloc[1] == pytest.approx(360 / 440)


def test_rollup_attainment_inverts_lower_is_better() -> None:
    """For complaint_count, attainment is target / actual."""
    results = attainment_rows(
        [
            ("G1", "manager", "East", "complaint_count", "2026-09-30", 4, 2),
            ("G2", "manager", "East", "complaint_count", "2026-09-30", 4, 6),
        ]
    ).assign(direction="lower")
    assert rollup_attainment(results)["attainment"].tolist() == pytest.approx([1.0])


def distribution_results() -> pd.DataFrame:
    """Six Q3 sales goals with two steps each, a Q2 goal, a team goal and a csat goal."""
    final = [0.5, 0.9, 1.0, 1.3, 0.7, 1.1]
    teams = ["A", "A", "A", "B", "B", "B"]
    early = attainment_rows(
        [
            (f"G{i}", "manager", t, "sales_amount", "2026-08-01", 100.0, 999.0)
            for i, t in enumerate(teams)
        ]
    )
    late = attainment_rows(
        [
            (f"G{i}", "manager", t, "sales_amount", "2026-09-30", 100.0, 100 * a)
            for i, (t, a) in enumerate(zip(teams, final, strict=True))
        ]
    )
    extra = attainment_rows(
        [
            ("T1", "team", "A", "sales_amount", "2026-09-30", 100.0, 10.0),
            ("C1", "manager", "A", "csat_mean", "2026-09-30", 4.0, 1.0),
        ]
    )
    other = attainment_rows(
        [("Q2", "manager", "A", "sales_amount", "2026-06-30", 100.0, 10.0)]
    ).assign(period_start=pd.Timestamp("2026-04-01"), period_end=pd.Timestamp("2026-06-30"))
    return pd.concat([late, early, extra, other], ignore_index=True)


def test_distribution_by_hand() -> None:
    """Latest step per goal; share at target and quantiles as computed by hand."""
    out = attainment_distribution(distribution_results(), period="2026Q3")
    overall = out.iloc[0]
    assert overall["level"] == "all" and pd.isna(overall["team"])
    assert overall["n_goals"] == 6 and overall["n_in_progress"] == 0
    assert overall["n_at_target"] == 3 and overall["share_at_target"] == 0.5
    # sorted: 0.5 0.7 0.9 1.0 1.1 1.3; median between 0.9 and 1.0; p10 at 0.5 + 0.5 * 0.2
    assert overall["median"] == pytest.approx(0.95)
    assert overall["p10"] == pytest.approx(0.6)
    assert overall["p25"] == pytest.approx(0.75)
    assert overall["p75"] == pytest.approx(1.075)
    assert overall["p90"] == pytest.approx(1.2)
    assert overall["mean"] == pytest.approx(5.5 / 6)
    a, b = out.iloc[1], out.iloc[2]
    assert (a["team"], a["n_at_target"], a["median"]) == ("A", 1, pytest.approx(0.9))
    assert (b["team"], b["n_at_target"], b["median"]) == ("B", 2, pytest.approx(1.1))
    assert b["share_at_target"] == pytest.approx(2 / 3)


def test_distribution_counts_running_goals_and_other_metric() -> None:
    """A period measured mid-way counts its goals as in progress; the metric is selectable."""
    results = distribution_results()
    running = results[results["date"] < Q3_END]
    out = attainment_distribution(running, period=pd.Period("2026Q3"), by=None)
    assert out.columns[0] == "level" and len(out) == 1
    assert out["n_in_progress"].iloc[0] == 6 and out["share_at_target"].iloc[0] == 1.0
    csat = attainment_distribution(results, period="2026Q3", metric="csat_mean")
    assert csat["n_goals"].tolist() == [1, 1]
    empty = attainment_distribution(results, period="2025Q1")
    assert empty["n_goals"].tolist() == [0]


def test_distribution_rejects_unknown_group_and_period() -> None:
    """by must be a column; the period must be readable."""
    results = distribution_results()
    with pytest.raises(ConfigError, match="region"):
        attainment_distribution(results, period="2026Q3", by="region")
    with pytest.raises(ConfigError, match="period"):
        attainment_distribution(results, period="Q3 of 2026")


def test_positional_period_still_works_with_a_warning() -> None:
    """attainment_distribution(results, "2026Q3") warns with period= and gives the same frame."""
    results = distribution_results()
    with pytest.warns(FutureWarning, match=r"attainment_distribution\(\.\.\., period='2026Q3'\)"):
        old = attainment_distribution(results, "2026Q3")
    pd.testing.assert_frame_equal(old, attainment_distribution(results, period="2026Q3"))
