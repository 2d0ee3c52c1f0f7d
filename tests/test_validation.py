"""Validation rules at the border: plausible amounts, known values, root causes of rejects."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from am_analytics import ConfigError, ValidationRules, from_frames
from am_analytics.cli import app
from am_analytics.schemas import COMPETENCIES
from conftest import AS_OF


def load_tables(tables: dict[str, pd.DataFrame], **options: object) -> object:
    return from_frames(as_of=AS_OF, **options, **tables)  # type: ignore[arg-type]


# --- plausible amounts -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "row", "value"),
    [("sales", 1, "1e308"), ("sales", 1, "-2e12"), ("opportunities", 0, "5e15")],
)
def test_absurd_amounts_are_rejected_naming_value_bound_and_option(
    tables: dict[str, pd.DataFrame], table: str, row: int, value: str
) -> None:
    """An amount beyond ±1e12 is rejected with the value, the bound and how to raise it."""
    tables[table].loc[row, "amount"] = value
    data = load_tables(tables)
    rejects = data.rejects[data.rejects.table == table]
    assert rejects[["row", "column", "check"]].values.tolist() == [
        [row + 1, "amount", "max_amount"]
    ]
    shown = f"{float(value):g}"
    assert rejects.value.iloc[0] == str(float(value))
    assert rejects.reason.iloc[0] == (
        f"amount {float(value)} is beyond the plausible bound ±1e+12; check the unit and the "
        "decimal point, or raise ValidationRules(max_amount=1e+12) if it is real"
    )
    assert shown  # the value as read is named
    assert len(getattr(data, table)) == len(tables[table]) - 1


def test_two_huge_orders_no_longer_overflow_a_sum(tables: dict[str, pd.DataFrame]) -> None:
    """Two 1e308 orders of one manager would sum to inf; both are rejected, the sum stays finite."""
    tables["sales"].loc[[0, 1], "amount"] = "1e308"
    data = load_tables(tables)
    assert data.rejects.row.tolist() == [1, 2]
    totals = data.sales.groupby("manager_id", observed=True).amount.sum()
    assert totals.map(lambda v: v < 1e12).all()


def test_max_amount_is_configurable_and_checked(tables: dict[str, pd.DataFrame]) -> None:
    """A bound of 2500 rejects a 3000 sale and every opportunity (8000 and up); a higher one
    accepts 5e12; a bound of 0 is a ConfigError."""
    low = load_tables(tables, rules=ValidationRules(max_amount=2500))
    assert low.rejects[["table", "row", "check"]].values.tolist() == [
        ["sales", 3, "max_amount"],
        ["opportunities", 1, "max_amount"],
        ["opportunities", 2, "max_amount"],
        ["opportunities", 3, "max_amount"],
    ]
    assert "±2500" in low.rejects.reason.iloc[0]
    tables["sales"].loc[0, "amount"] = "5e12"
    assert load_tables(tables, rules=ValidationRules(max_amount=1e13)).is_clean
    with pytest.raises(ConfigError, match="max_amount must be a finite number above 0"):
        ValidationRules(max_amount=0)


def test_infinite_amount_fails_once_as_not_finite(tables: dict[str, pd.DataFrame]) -> None:
    """inf is not also reported as beyond the bound: one cell, one problem."""
    tables["sales"].loc[0, "amount"] = "inf"
    assert load_tables(tables).rejects.check.tolist() == ["finite"]


# --- known values in free-text keys --------------------------------------------------------


def test_goal_on_an_unknown_metric_is_rejected_with_the_known_ones(
    tables: dict[str, pd.DataFrame],
) -> None:
    """metric 'revenue' is not registered: rejected, listing the registered metrics."""
    tables["goals"].loc[2, "metric"] = "revenue"
    data = load_tables(tables)
    reject = data.rejects.iloc[0]
    assert len(data.rejects) == 1
    assert (reject.table, reject.row, reject.column, reject.check, reject.value) == (
        "goals",
        3,
        "metric",
        "allowed_values",
        "revenue",
    )
    assert reject.reason.startswith("metric 'revenue' is not a known metric; known: sales_amount, ")
    assert "rating_teamwork" in reject.reason and "register_metric()" in reject.reason
    assert data.goals.goal_id.tolist() == ["G1", "G1"]


def test_a_misspelt_goal_metric_is_rejected_with_the_likely_name(
    tables: dict[str, pd.DataFrame],
) -> None:
    """metric 'sales_amout' is a typo: the reason suggests 'sales_amount' before the list."""
    tables["goals"].loc[2, "metric"] = "sales_amout"
    reason = load_tables(tables).rejects.iloc[0].reason
    assert reason.startswith(
        "metric 'sales_amout' is not a known metric; did you mean 'sales_amount'? known: "
    )


def test_goal_on_a_rating_metric_needs_a_known_competency(tables: dict[str, pd.DataFrame]) -> None:
    """rating_teamwork is a metric; rating_charm is not, until charm is a competency."""
    tables["goals"].loc[0, "metric"] = "rating_teamwork"
    tables["goals"].loc[2, "metric"] = "rating_charm"
    data = load_tables(tables)
    assert data.rejects[["row", "column"]].values.tolist() == [[3, "metric"]]
    rules = ValidationRules(competencies=(*COMPETENCIES, "charm"))
    assert load_tables(tables, rules=rules).is_clean


def test_registered_metrics_count_at_once(tables: dict[str, pd.DataFrame]) -> None:
    """A metric added with register_metric() is a known goal metric without other setup."""
    import numpy as np

    from am_analytics.metrics import _REGISTRY, Metric, register_metric

    tables["goals"].loc[2, "metric"] = "team_size"
    assert not load_tables(tables).is_clean
    metric = Metric("team_size", "higher", "managers", "Managers.", ("managers",), np.ones)
    register_metric(metric)
    try:
        assert load_tables(tables).is_clean
    finally:
        _REGISTRY.pop("team_size")


def test_rating_of_an_unknown_competency_is_rejected_with_the_known_ones(
    tables: dict[str, pd.DataFrame],
) -> None:
    """'charm' is rated by no scorecard or ladder: rejected, listing them and the option."""
    tables["ratings"].loc[1, "competency"] = "charm"
    data = load_tables(tables)
    assert data.rejects[["table", "row", "column", "check", "value"]].values.tolist() == [
        ["ratings", 2, "competency", "allowed_values", "charm"]
    ]
    assert data.rejects.reason.iloc[0] == (
        "competency 'charm' is not one of: communication, problem_solving, teamwork, "
        "product_knowledge, client_focus; if it is one of yours, add it to "
        "ValidationRules(competencies=...)"
    )
    assert load_tables(
        tables, rules=ValidationRules(competencies=("charm", "teamwork", "communication"))
    ).is_clean


def test_competencies_are_read_like_enumerations(tables: dict[str, pd.DataFrame]) -> None:
    """'Problem Solving' and 'problem-solving' are problem_solving."""
    tables["ratings"].loc[[0, 2], "competency"] = ["Problem Solving", "problem-solving"]
    data = load_tables(tables)
    assert data.is_clean
    assert data.ratings.competency.tolist() == [
        "problem_solving",
        "communication",
        "problem_solving",
    ]


def test_default_competencies_are_those_the_library_rates() -> None:
    """The default list covers the default scorecard, the default ladder and the sample."""
    from am_analytics.development._ladder import DEFAULT_COMPETENCIES
    from am_analytics.sample import COMPETENCIES as SAMPLE_COMPETENCIES
    from am_analytics.scoring import default_scorecard

    rated = {
        c.metric.removeprefix("rating_")
        for c in default_scorecard().criteria
        if c.metric.startswith("rating_")
    }
    assert rated | set(DEFAULT_COMPETENCIES) | set(SAMPLE_COMPETENCIES) <= set(COMPETENCIES)


# --- root causes -------------------------------------------------------------------------


def duplicate_manager(tables: dict[str, pd.DataFrame]) -> None:
    """Add a second M1 row with another name: a conflicting duplicate (rows 1 and 4)."""
    managers = tables["managers"]
    tables["managers"] = pd.concat(
        [managers, managers.iloc[[0]].assign(name="王芳芳")], ignore_index=True
    )


def test_orphans_name_the_root_cause_down_the_chain(tables: dict[str, pd.DataFrame]) -> None:
    """A duplicate M1 rejects its clients; their sales name the manager row, not the client."""
    duplicate_manager(tables)
    data = load_tables(tables)
    root = (
        "managers (frame) row 1: conflicting duplicate key manager_id='M1' (rows 1, 4); "
        "keep one of them"
    )
    rejects = data.rejects
    assert rejects.loc[rejects.table == "managers", "cause"].tolist() == ["", ""]
    dependent = rejects[rejects.table != "managers"]
    assert set(dependent.cause) == {root}
    # sale S4 of client C3 (manager M2) credits M1 only through client C1/C2's rows
    assert dependent[dependent.table == "sales"][["row", "column"]].values.tolist() == [
        [1, "client_id"],
        [1, "manager_id"],
        [2, "client_id"],
        [2, "manager_id"],
        [3, "client_id"],
        [3, "manager_id"],
    ]


def test_a_row_with_its_own_problem_is_its_own_root(tables: dict[str, pd.DataFrame]) -> None:
    """An unknown id that never existed, and a bad cell, have no cause; children of a bad
    client name that client's row."""
    tables["clients"].loc[1, "created_date"] = "yesterday"
    tables["sales"].loc[3, "client_id"] = "C404"
    data = load_tables(tables)
    places = zip(data.rejects.table, data.rejects.row, strict=True)
    causes = dict(zip(places, data.rejects.cause, strict=True))
    client_root = "clients (frame) row 2: " + data.rejects.reason.iloc[0]
    assert causes == {
        ("clients", 2): "",
        ("sales", 3): client_root,
        ("sales", 4): "",
        ("surveys", 2): client_root,
        ("opportunities", 2): client_root,
    }


def test_reject_causes_group_every_rejected_row_by_its_root(
    tables: dict[str, pd.DataFrame],
) -> None:
    """One line per problem to fix, most rows first; the counts add up to the rejected rows."""
    duplicate_manager(tables)
    tables["sales"].loc[3, "amount"] = "abc"
    data = load_tables(tables)
    causes = data.reject_causes()
    assert causes[["table", "row", "rows_rejected", "by_table"]].values.tolist() == [
        [
            "managers",
            1,
            16,
            "managers 1, clients 2, sales 3, surveys 2, feedback 1, ratings 2, goals 2, "
            "training 1, opportunities 2",
        ],
        ["managers", 4, 1, "managers 1"],
        ["sales", 4, 1, "sales 1"],
    ]
    assert causes.cause[2].startswith("sales (frame) row 4: cannot read 'abc'")
    summary = data.summary()
    assert causes.rows_rejected.sum() == summary.rows_rejected.sum()


def test_reject_causes_of_a_clean_dataset_is_empty(tables: dict[str, pd.DataFrame]) -> None:
    """No rejects, no causes, the same columns."""
    causes = load_tables(tables).reject_causes()
    assert causes.empty
    assert causes.columns.tolist() == ["cause", "table", "row", "rows_rejected", "by_table"]


def test_validate_command_shows_rejects_grouped_by_cause(
    tmp_path, tables: dict[str, pd.DataFrame]
) -> None:
    """The command prints one line per root cause with the rows it took along, and exits 1."""
    duplicate_manager(tables)
    for name, frame in tables.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    out = tmp_path / "out" / "rejects.csv"
    result = CliRunner().invoke(
        app,
        ["validate", str(tmp_path), "--as-of", "2026-11-15", "--rejects", str(out)],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 1, result.output
    assert "17 rows rejected (25 problems) from 2 root causes" in result.output
    assert (
        "managers.csv row 1: conflicting duplicate key manager_id='M1' (rows 1, 4); keep one "
        "of them │            16 │ managers 1, clients 2, sales 3" in result.output
    )
    assert "managers.csv row 4: conflicting" in result.output
    written = pd.read_csv(out, keep_default_na=False)
    assert written.columns.tolist()[-1] == "cause"
    assert (written.cause != "").sum() == 23
