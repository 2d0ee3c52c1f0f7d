"""Segment migration, manager portfolios and service plans: answers worked out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from am_analytics.errors import ConfigError, DataValidationError
from am_analytics.segments import (
    ServicePolicy,
    default_service_policy,
    load_service_policy,
    migration,
    portfolio,
    service_plan,
)
from am_analytics.segments._portfolio import AT_RISK_SEGMENTS, RFM_SEGMENTS
from am_analytics.segments._service import ServiceRule

AS_OF = pd.Timestamp("2026-11-15")
FOUR = ["Champions", "Loyal", "At Risk", "Lost"]


def labels(mapping: dict[str, str | None], categories: list[str] | None = None) -> pd.Series:
    """Labels indexed by client_id, categorical when categories are given."""
    values = pd.Series(list(mapping.values()), index=pd.Index(list(mapping), name="client_id"))
    if categories is not None:
        return values.astype(pd.CategoricalDtype(categories))
    return values.astype("str").where(values.notna())


# ---------------------------------------------------------------------------
# migration
# ---------------------------------------------------------------------------


def test_migration_counts_and_rates_by_hand() -> None:
    """c1 stays Loyal, c2 Loyal -> At Risk, c3 leaves, c4 At Risk -> Lost, c5 arrives."""
    before = labels({"c1": "Loyal", "c2": "Loyal", "c3": "Lost", "c4": "At Risk"}, FOUR)
    after = labels({"c1": "Loyal", "c2": "At Risk", "c4": "Lost", "c5": "Champions"}, FOUR)
    moves = migration(before, after)
    expected = pd.DataFrame(
        [
            [0, 0, 0, 0, 0],  # Champions: nobody was one
            [0, 1, 1, 0, 0],  # Loyal
            [0, 0, 0, 1, 0],  # At Risk
            [0, 0, 0, 0, 1],  # Lost: c3 is gone
            [1, 0, 0, 0, 0],  # new: c5
        ],
        index=pd.Index([*FOUR, "new"], dtype="str", name="from"),
        columns=pd.Index([*FOUR, "gone"], dtype="str", name="to"),
        dtype="int64",
    )
    pd.testing.assert_frame_equal(moves.counts, expected)
    assert moves.rates.loc["Loyal"].tolist() == [0.0, 0.5, 0.5, 0.0, 0.0]
    assert moves.rates.loc["At Risk", "Lost"] == 1.0
    assert moves.rates.loc["Lost", "gone"] == 1.0
    assert moves.rates.loc["new", "Champions"] == 1.0
    assert moves.rates.loc["Champions"].isna().all()  # no clients: no rates, not zeros


def test_migration_rows_of_rates_sum_to_one() -> None:
    """Every segment that had clients spreads exactly all of them."""
    before = labels({"a": "Loyal", "b": "Loyal", "c": "Lost", "d": "Loyal"})
    after = labels({"a": "Lost", "b": "Loyal", "e": "Loyal"})
    sums = migration(before, after).rates.sum(axis=1)
    np.testing.assert_allclose(sums.to_numpy(), 1.0)
    assert migration(before, after).rates.loc["Loyal", "gone"] == pytest.approx(1 / 3)


def test_migration_order_follows_categories_then_sorted_text() -> None:
    """Categories keep their order (unused included); text labels are sorted."""
    before = labels({"a": "Lost"}, ["Loyal", "Lost"])
    after = labels({"a": "Champions"}, ["Champions", "Lost"])
    moves = migration(before, after)
    assert moves.counts.index.tolist() == ["Loyal", "Lost", "Champions", "new"]
    assert moves.counts.columns.tolist() == ["Loyal", "Lost", "Champions", "gone"]
    text = migration(labels({"a": "b", "x": "a"}), labels({"a": "c"}))
    assert text.counts.index.tolist() == ["a", "b", "c", "new"]


def test_migration_missing_label_counts_as_absent() -> None:
    """A client without a label in one snapshot arrives or leaves; in neither, it is not counted."""
    before = labels({"a": "Loyal", "b": None, "c": None})
    after = labels({"a": None, "b": "Loyal", "c": None})
    moves = migration(before, after)
    assert moves.counts.loc["Loyal", "gone"] == 1
    assert moves.counts.loc["new", "Loyal"] == 1
    assert moves.counts.to_numpy().sum() == 2


def test_migration_long_matches_the_matrix() -> None:
    """The long form lists every cell with its count and rate."""
    before = labels({"a": "Loyal", "b": "Lost"})
    after = labels({"a": "Lost", "c": "Loyal"})
    moves = migration(before, after)
    table = moves.long()
    assert list(table.columns) == ["from", "to", "clients", "rate"]
    assert len(table) == moves.counts.size
    wide = table.pivot(index="from", columns="to", values="clients")
    pd.testing.assert_frame_equal(
        wide.loc[moves.counts.index, moves.counts.columns],
        moves.counts,
        check_names=False,
        check_index_type=False,
        check_column_type=False,
    )


@pytest.mark.parametrize(
    ("before", "message"),
    [
        (labels({"a": "new"}), "reserved|keeps for clients"),
        (pd.Series(["Loyal", "Lost"], index=["a", "a"]), "more than once"),
        (pd.DataFrame({"segment": ["Loyal"]}, index=["a"]), "Series of labels"),
    ],
)
def test_migration_bad_input(before: pd.Series, message: str) -> None:
    """Reserved labels, repeated clients and frames are refused with a reason."""
    with pytest.raises(DataValidationError, match=message):
        migration(before, labels({"a": "Loyal"}))


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.integers(0, 30), st.sampled_from(FOUR), max_size=25),
    st.dictionaries(st.integers(0, 30), st.sampled_from(FOUR), max_size=25),
    st.booleans(),
)
def test_migration_conserves_clients(
    first: dict[int, str], second: dict[int, str], categorical: bool
) -> None:
    """Every labelled client is counted once; margins are each snapshot's segment sizes."""
    categories = FOUR if categorical else None
    before = labels({f"c{k}": v for k, v in first.items()}, categories)
    after = labels({f"c{k}": v for k, v in second.items()}, categories)
    counts = migration(before, after).counts
    assert counts.to_numpy().sum() == len(set(first) | set(second))
    assert counts.loc["new", "gone"] == 0
    rows = counts.drop(index="new").sum(axis=1)
    columns = counts.drop(columns="gone").sum(axis=0)
    for segment in counts.index.drop("new"):
        assert rows[segment] == sum(v == segment for v in first.values())
        assert columns[segment] == sum(v == segment for v in second.values())
    rates = migration(before, after).rates
    filled = rates.dropna(how="all")
    np.testing.assert_allclose(filled.sum(axis=1).to_numpy(), 1.0)


# ---------------------------------------------------------------------------
# portfolio
# ---------------------------------------------------------------------------


def book_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three managers: m1 owns c1 c2 c3 c7, m2 owns c4 c5 c6, m3 owns nobody; c3 never bought."""
    clients = pd.DataFrame(
        {
            "client_id": ["c1", "c2", "c3", "c4", "c5", "c6", "c7"],
            "manager_id": pd.Categorical(
                ["m1", "m1", "m1", "m2", "m2", "m2", "m1"], categories=["m1", "m2", "m3"]
            ),
            "name": ["甲", "乙", "丙", "丁", "戊", "己", "庚"],
        }
    )
    features = pd.DataFrame(
        {
            "monetary": [1000.0, 300.0, 150.0, -50.0, 100.0, 700.0],
            "segment": pd.Categorical(
                ["Champions", "Can't Lose", "At Risk", "Lost", "About to Sleep", "Loyal"],
                categories=list(RFM_SEGMENTS),
            ),
            "tier": pd.Categorical(
                ["A", "A", "B", "C", "B", "B"], categories=["A", "B", "C"], ordered=True
            ),
            # mean monetary: high (1000, 150) 575 > low (300, -50, 100, 700) 262.5
            "value_tier": ["high", "low", "high", "low", "low", "low"],
        },
        index=pd.Index(["c1", "c2", "c4", "c5", "c6", "c7"], name="client_id"),
    )
    return features, clients


def test_portfolio_by_hand() -> None:
    """Counts, revenue, the top tier's share and at-risk high-value clients per manager."""
    features, clients = book_inputs()
    book = portfolio(features, clients=clients)
    assert book.index.tolist() == ["m1", "m2", "m3"]
    assert book.index.name == "manager_id"
    assert book["clients"].tolist() == [4, 3, 0]
    assert book["clients_without_sales"].tolist() == [1, 0, 0]
    assert book["revenue"].tolist() == [2000.0, 200.0, 0.0]
    # m1: tier A is c1 + c2 = 1300 of 2000; m2 has no tier A; m3 has no revenue
    np.testing.assert_allclose(book["top_tier_revenue_share"], [0.65, 0.0, np.nan])
    # m1: c2 (Can't Lose, tier A); m2: c4 (At Risk, top value tier); c6 is at risk but not high
    assert book["at_risk_high_value"].tolist() == [1, 1, 0]
    assert book.loc["m1", "clients_Champions"] == 1
    assert book.loc["m2", "revenue_Lost"] == -50.0
    assert book.loc["m1", "revenue_tier_B"] == 700.0
    assert book.loc["m2", "clients_value_high"] == 1
    assert book.loc["m2", "revenue_value_low"] == 50.0
    assert book["clients"].dtype == "int64" and book["revenue"].dtype == "float64"


def test_portfolio_column_layout() -> None:
    """Key figures first, then every segment (unused too), tier and value tier block."""
    features, clients = book_inputs()
    columns = portfolio(features, clients=clients).columns.tolist()
    assert columns[:5] == [
        "clients",
        "clients_without_sales",
        "revenue",
        "top_tier_revenue_share",
        "at_risk_high_value",
    ]
    assert [f"clients_{s}" for s in RFM_SEGMENTS] == [
        c
        for c in columns
        if c.startswith("clients_") and c.removeprefix("clients_") in RFM_SEGMENTS
    ]
    assert {"clients_tier_A", "revenue_tier_C", "clients_value_low", "revenue_value_high"} <= set(
        columns
    )


def test_portfolio_every_client_counted_once() -> None:
    """Owned clients = without sales + those in each segment; revenue = sum of segment revenue."""
    features, clients = book_inputs()
    book = portfolio(features, clients=clients)
    segments = book[[f"clients_{s}" for s in RFM_SEGMENTS]].sum(axis=1)
    pd.testing.assert_series_equal(
        segments + book["clients_without_sales"], book["clients"], check_names=False
    )
    revenue = book[[f"revenue_{s}" for s in RFM_SEGMENTS]].sum(axis=1)
    np.testing.assert_allclose(revenue, book["revenue"])
    np.testing.assert_allclose(
        book[["revenue_tier_A", "revenue_tier_B", "revenue_tier_C"]].sum(axis=1), book["revenue"]
    )


def test_portfolio_options_change_the_risk_count() -> None:
    """The at-risk set and the high-value definitions are parameters."""
    features, clients = book_inputs()
    wider = portfolio(features, clients=clients, top_value_tiers=["high", "low"])
    assert wider["at_risk_high_value"].tolist() == [1, 2, 0]  # c6 now counts
    narrower = portfolio(features, clients=clients, at_risk_segments=["Can't Lose"])
    assert narrower["at_risk_high_value"].tolist() == [1, 0, 0]
    assert set(AT_RISK_SEGMENTS) == {"About to Sleep", "At Risk", "Can't Lose"}


def test_portfolio_with_monetary_only() -> None:
    """Without segment or tier columns only the base columns come out; text managers sorted."""
    features, clients = book_inputs()
    plain = clients.assign(manager_id=clients["manager_id"].astype("str"))
    book = portfolio(features[["monetary"]], clients=plain)
    assert book.columns.tolist() == ["clients", "clients_without_sales", "revenue"]
    assert book.index.tolist() == ["m1", "m2"]


def test_portfolio_does_not_change_its_inputs() -> None:
    """Inputs are read, never written."""
    features, clients = book_inputs()
    copies = features.copy(), clients.copy()
    portfolio(features, clients=clients)
    pd.testing.assert_frame_equal(features, copies[0])
    pd.testing.assert_frame_equal(clients, copies[1])


def test_portfolio_bad_input() -> None:
    """Missing columns, unowned clients and unknown names are explained."""
    features, clients = book_inputs()
    with pytest.raises(DataValidationError, match="lacks the column") as error:
        portfolio(features.drop(columns="monetary"), clients=clients)
    assert error.value.missing == {"features": ["monetary"]}
    stray = pd.concat(
        [features, pd.DataFrame({"monetary": [5.0]}, index=pd.Index(["zz"], name="client_id"))]
    )
    with pytest.raises(DataValidationError, match=r"not in clients.*'zz'"):
        portfolio(stray, clients=clients)
    with pytest.raises(DataValidationError, match="repeats client_id"):
        portfolio(features, clients=pd.concat([clients, clients.iloc[:1]]))
    with pytest.raises(ConfigError, match="at_risk_segments names \\['At risk'\\]"):
        portfolio(features, clients=clients, at_risk_segments=["At risk"])
    with pytest.raises(ConfigError, match="top_tiers"):
        portfolio(features, clients=clients, top_tiers=["S"])


# ---------------------------------------------------------------------------
# service plan
# ---------------------------------------------------------------------------


def plan_input() -> pd.DataFrame:
    """Four clients: an urgent one, a tier-A Lost one, an ordinary Lost one, a new one."""
    return pd.DataFrame(
        {
            "segment": pd.Categorical(
                ["Can't Lose", "Lost", "Lost", "New"], categories=list(RFM_SEGMENTS)
            ),
            "tier": pd.Categorical(["B", "A", "C", "C"], categories=["A", "B", "C"], ordered=True),
            "last_order": pd.to_datetime(["2026-01-10", "2024-03-01", "2024-05-01", "2026-11-01"]),
        },
        index=pd.Index(["c1", "c2", "c3", "c4"], name="client_id"),
    )


def test_service_plan_due_dates_and_levels() -> None:
    """Due = as_of + the segment's days; tier A clients are key accounts whatever their segment."""
    plan = service_plan(plan_input(), as_of=AS_OF)
    assert plan.columns.tolist() == [
        "service_level",
        "next_action",
        "next_action_zh",
        "due_date",
        "priority",
    ]
    assert plan["due_date"].tolist() == [
        pd.Timestamp("2026-11-22"),  # Can't Lose: 7 days
        pd.Timestamp("2027-02-13"),  # Lost: 90 days
        pd.Timestamp("2027-02-13"),
        pd.Timestamp("2026-11-29"),  # New: 14 days
    ]
    assert plan["due_date"].dtype == "datetime64[ns]"
    assert plan["service_level"].astype("str").tolist() == [
        "key_account",
        "key_account",  # tier A overrides Lost's standard level
        "standard",
        "standard",
    ]
    assert plan.loc["c1", "next_action"] == "call within 7 days; visit in person to win them back"
    assert plan.loc["c1", "next_action_zh"] == "7天内电话回访，必要时上门挽回"
    assert plan.index.equals(plan_input().index)


def test_service_plan_priorities() -> None:
    """Earlier actions first; on the same day key accounts first; 1 is the most urgent."""
    plan = service_plan(plan_input(), as_of=AS_OF)
    assert plan.loc["c1", "priority"] == 1
    assert plan.loc["c4", "priority"] < plan.loc["c2", "priority"] < plan.loc["c3", "priority"]
    assert plan["priority"].dtype == "int64"
    # the default policy's ranks: 7 key, 14 key, 14 std, 21 key, 21 std, 30 key, 30 std, ...
    assert plan.loc["c4", "priority"] == 3
    assert plan.loc["c3", "priority"] == 11


def test_service_plan_priority_does_not_depend_on_the_other_clients() -> None:
    """A client planned alone gets the priority it gets among others."""
    together = service_plan(plan_input(), as_of=AS_OF)
    alone = service_plan(plan_input().iloc[[2]], as_of=AS_OF)
    assert alone.loc["c3", "priority"] == together.loc["c3", "priority"]


def test_service_plan_without_tier_uses_segment_levels() -> None:
    """No tier column: the segment alone decides the level."""
    plan = service_plan(plan_input()[["segment"]], as_of="2026-11-15")
    assert plan.loc["c2", "service_level"] == "standard"


def test_service_plan_bad_input() -> None:
    """Unsegmented clients, segments the policy does not serve and bad dates are explained."""
    frame = plan_input()
    frame.loc["c2", "segment"] = np.nan
    with pytest.raises(DataValidationError, match=r"1 client\(s\) have no segment.*'c2'"):
        service_plan(frame, as_of=AS_OF)
    only_lost = ServicePolicy((ServiceRule("Lost", "standard", "email", "邮件", 30),))
    with pytest.raises(
        DataValidationError, match="no rule for segment\\(s\\) \\[\"Can't Lose\", 'New'\\]"
    ):
        service_plan(plan_input(), as_of=AS_OF, policy=only_lost)
    with pytest.raises(DataValidationError, match="lacks the column"):
        service_plan(plan_input().drop(columns="segment"), as_of=AS_OF)
    with pytest.raises(ConfigError, match="as_of must be a date like 2026-11-15, not "):
        service_plan(plan_input(), as_of="someday")


def test_default_policy_serves_every_segment_and_round_trips() -> None:
    """The packaged TOML covers all eleven segments and survives to_dict/from_dict."""
    policy = default_service_policy()
    assert policy.segments == RFM_SEGMENTS
    assert policy.key_account_tiers == ("A",)
    assert ServicePolicy.from_dict(policy.to_dict()) == policy
    assert policy.rule("Can't Lose").level == "key_account"


def write(tmp_path: Path, text: str) -> Path:
    """A policy file with the given text."""
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_RULE = """
[segments."Can't Lose"]
level = "key_account"
days = 3
action = "call within {days} days"
action_zh = "{days}天内电话回访"
"""


def test_load_service_policy(tmp_path: Path) -> None:
    """A file of one's own: days fill the texts, and the plan follows it."""
    policy = load_service_policy(write(tmp_path, 'key_account_tiers = ["A", "B"]\n' + GOOD_RULE))
    assert policy.key_account_tiers == ("A", "B")
    frame = plan_input().iloc[[0]]
    plan = service_plan(frame, as_of=AS_OF, policy=policy)
    assert plan.loc["c1", "next_action_zh"] == "3天内电话回访"
    assert plan.loc["c1", "due_date"] == pd.Timestamp("2026-11-18")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD_RULE.replace("Can't Lose", "Cant Lose"), "unknown segment 'Cant Lose'"),
        (GOOD_RULE.replace("days = 3", "days = -1"), "days must be a whole number >= 0"),
        (GOOD_RULE.replace("days = 3", "days = 2.5"), "days must be a whole number >= 0"),
        (GOOD_RULE.replace("days = 3", "days = true"), "days must be a whole number >= 0"),
        (GOOD_RULE.replace('"key_account"', '"vip"'), "level must be one of"),
        (GOOD_RULE.replace('action = "call within {days} days"\n', ""), "missing \\['action'\\]"),
        (GOOD_RULE + "colour = 'red'\n", "unknown \\['colour'\\]"),
        (GOOD_RULE.replace('action_zh = "{days}天内电话回访"', 'action_zh = " "'), "non-empty"),
        ("owner = 'x'\n" + GOOD_RULE, "unknown key\\(s\\) \\['owner'\\]"),
        ('key_account_tiers = "A"\n' + GOOD_RULE, "list of tier names"),
        ("key_account_tiers = ['A']\n", "needs \\[segments"),
        ("[segments\nlevel = 1", "not valid TOML"),
    ],
)
def test_bad_policy_files_are_config_errors(tmp_path: Path, text: str, message: str) -> None:
    """Each rule of a policy file is checked, and the message names the file."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as error:
        load_service_policy(path)
    assert str(path) in str(error.value)


def test_missing_policy_file(tmp_path: Path) -> None:
    """A file that is not there is a ConfigError, not an OSError."""
    with pytest.raises(ConfigError, match="cannot read the service policy"):
        load_service_policy(tmp_path / "nope.toml")


def test_repeated_rule_is_refused() -> None:
    """A segment may have one rule only."""
    rule = ServiceRule("Lost", "standard", "email", "邮件", 30)
    with pytest.raises(ConfigError, match="more than one rule"):
        ServicePolicy((rule, rule))


def test_portfolio_positional_clients_still_work_with_a_warning() -> None:
    """``portfolio(features, clients)`` warns with the keyword call and gives the same book."""
    features, clients = book_inputs()
    with pytest.warns(FutureWarning, match=r"pass clients by keyword: portfolio\(\.\.\., clients="):
        old = portfolio(features, clients)
    pd.testing.assert_frame_equal(old, portfolio(features, clients=clients))
