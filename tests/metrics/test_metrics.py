"""The metric registry and manager_metrics, against answers worked out by hand."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import am_analytics as am
from am_analytics.errors import (
    ConfigError,
    MissingTableError,
    MissingTableWarning,
    NonFiniteValueWarning,
)
from am_analytics.metrics import get_metric, list_metrics, manager_metrics

SALES_METRICS = [
    "sales_amount",
    "order_count",
    "active_clients",
    "new_clients",
    "client_retention",
    "avg_order_value",
    "sales_growth_yoy",
]


def small_tables() -> dict[str, pd.DataFrame]:
    """Five managers around 2024Q1, a quarter holding a leap day.

    M1 sells, has refunds and complaints; M2 is active with nothing; M3 has
    left but sold in the quarter; M4 has left and did not; M5 was hired after.
    """
    managers = pd.DataFrame(
        {
            "manager_id": ["M1", "M2", "M3", "M4", "M5"],
            "name": ["王芳", "李雷", "张伟", "赵敏", "钱进"],
            "status": ["active", "active", "left", "left", "active"],
            "hire_date": ["2020-01-01", "2021-01-01", "2019-01-01", "2018-01-01", "2024-05-01"],
        }
    )
    clients = pd.DataFrame(
        {"client_id": ["C1", "C2", "C3", "C4", "C5"], "manager_id": ["M1"] * 4 + ["M3"]}
    )
    rows = [
        ("S1", "C1", "M1", "2023-02-10", 100),  # a year earlier: C1's first order
        ("S2", "C1", "M1", "2023-11-05", 50),  # previous quarter
        ("S3", "C2", "M1", "2023-12-31", 80),  # previous quarter, its last day
        ("S10", "C5", "M1", "2023-10-01", 30),  # previous quarter
        ("S4", "C1", "M1", "2024-01-01", 200),  # the quarter's first day
        ("S5", "C3", "M1", "2024-02-29", 300),  # leap day, C3's first order
        ("S6", "C3", "M1", "2024-02-29", -50),  # refund the same day
        ("S9", "C5", "M1", "2024-03-15", -30),  # a refund only: C5 is not active
        ("S7", "C4", "M3", "2024-03-31 18:00", 120),  # last day, evening: C4 new, for M3
        ("S8", "C2", "M3", "2024-04-01", 999),  # next quarter
    ]
    sales = pd.DataFrame(
        rows, columns=["order_id", "client_id", "manager_id", "order_date", "amount"]
    )
    surveys = pd.DataFrame(
        {
            "response_id": ["R1", "R2", "R3", "R4", "R5"],
            "client_id": ["C1", "C3", "C1", "C4", "C1"],
            "manager_id": ["M1", "M1", "M1", "M3", "M1"],
            "survey_date": ["2024-01-15", "2024-02-29", "2024-03-31", "2024-03-01", "2024-04-01"],
            "csat": [5, 3, None, 2, 1],
            "nps": [10, 6, 8, None, 0],
        }
    )
    feedback = pd.DataFrame(
        {
            "feedback_id": ["F1", "F2", "F3", "F4", "F5"],
            "client_id": ["C1", "C3", "C1", "C1", "C4"],
            "manager_id": ["M1", "M1", "M1", "M1", "M3"],
            "kind": ["complaint", "complaint", "complaint", "suggestion", "praise"],
            "opened_at": [
                "2024-01-10 08:00",
                "2024-02-29 10:00",
                "2024-03-31 20:00",
                "2024-01-05 09:00",
                "2024-02-01 09:00",
            ],
            "resolved_at": [
                "2024-01-11 08:00",  # 24 h
                "2024-03-02 10:00",  # 48 h, across the leap day
                "2024-04-02 09:00",  # after the quarter: not yet resolved at its end
                None,
                None,
            ],
            "severity": ["high", "medium", "low", "low", "low"],
        }
    )
    return {
        "managers": managers,
        "clients": clients,
        "sales": sales,
        "surveys": surveys,
        "feedback": feedback,
    }


@pytest.fixture(scope="module")
def small() -> am.Dataset:
    return am.from_frames(**small_tables())


def test_sales_metrics_by_hand(small: am.Dataset) -> None:
    """Every sales metric of 2024Q1, worked out by hand from the rows above.

    M1: net 200 + 300 - 50 - 30 = 420 over 2 orders (refunds are not orders),
    active clients C1 and C3, new C3; of last quarter's C1, C2, C5 only C1
    ordered again (C5 only had a refund): retention 1/3; average order 500 / 2;
    last year's Q1 had 100: growth 3.2. M3 left but sold C4's first order on the
    quarter's last evening. M2 had nothing: zeros and NaN. M4 (left, no sales)
    and M5 (hired later) are not evaluated.
    """
    result = manager_metrics(small, period="2024Q1", metrics=SALES_METRICS)
    expected = pd.DataFrame(
        {
            "sales_amount": [420.0, 0.0, 120.0],
            "order_count": [2, 0, 1],
            "active_clients": [2, 0, 1],
            "new_clients": [1, 0, 1],
            "client_retention": [1 / 3, np.nan, np.nan],
            "avg_order_value": [250.0, np.nan, 120.0],
            "sales_growth_yoy": [3.2, np.nan, np.nan],
        },
        index=pd.Index(["M1", "M2", "M3"], name="manager_id"),
    )
    pd.testing.assert_frame_equal(result, expected)


def test_survey_and_feedback_metrics_by_hand(small: am.Dataset) -> None:
    """CSAT ignores unanswered surveys; NPS = %promoters - %detractors; complaints only.

    M1's quarter: CSAT 5 and 3 -> 4; NPS answers 10, 6, 8 -> (1 - 1) / 3 = 0;
    3 surveys (the one on 1 April is outside). Complaints F1, F2, F3 -> 3, per
    100 of 2 active clients = 150; F3 was resolved after the quarter, so the
    median is of 24 h and 48 h = 36 h. M3: CSAT 2, no NPS answer, no complaint
    among 1 active client -> 0 per 100. M2: no data, no clients.
    """
    names = [
        "csat_mean",
        "nps",
        "survey_count",
        "complaint_count",
        "complaints_per_100_clients",
        "median_resolution_hours",
    ]
    result = manager_metrics(small, period="2024Q1", metrics=names)
    expected = pd.DataFrame(
        {
            "csat_mean": [4.0, np.nan, 2.0],
            "nps": [0.0, np.nan, np.nan],
            "survey_count": [3, 0, 1],
            "complaint_count": [3, 0, 0],
            "complaints_per_100_clients": [150.0, np.nan, 0.0],
            "median_resolution_hours": [36.0, np.nan, np.nan],
        },
        index=pd.Index(["M1", "M2", "M3"], name="manager_id"),
    )
    pd.testing.assert_frame_equal(result, expected)


def test_as_of_cuts_the_period_and_the_comparison_year(small: am.Dataset) -> None:
    """With as_of on the leap day only sales up to that day count, and last year's
    window is cut at 28 February + 1 day: 200 + 300 - 50 = 450 against 100."""
    result = manager_metrics(small, period="2024Q1", metrics=SALES_METRICS, as_of="2024-02-29")
    assert result.loc["M1", "sales_amount"] == 450.0
    assert result.loc["M1", "sales_growth_yoy"] == pytest.approx(3.5)
    assert "M3" not in result.index  # left, and no sale up to the leap day


def test_month_period_holds_the_leap_day(small: am.Dataset) -> None:
    """February 2024 has 29 days: the order and refund of the 29th count in it."""
    result = manager_metrics(small, period="2024-02", metrics=["sales_amount", "order_count"])
    assert result.loc["M1"].tolist() == [250.0, 1]


def test_missing_table_is_skipped_with_a_warning_or_raises_when_named() -> None:
    """Without surveys, the survey metrics are skipped (warning) unless asked for by name."""
    tables = small_tables()
    del tables["surveys"]
    data = am.from_frames(**tables)
    with pytest.warns(MissingTableWarning, match=r"csat_mean \(needs surveys\)"):
        result = manager_metrics(data, period="2024Q1")
    assert "csat_mean" not in result.columns
    assert {"sales_amount", "complaint_count"} <= set(result.columns)
    with pytest.raises(MissingTableError, match="needs the surveys table") as caught:
        manager_metrics(data, period="2024Q1", metrics=["nps"])
    assert caught.value.tables == ["surveys"]


def test_unknown_metric_and_bad_period_are_config_errors(small: am.Dataset) -> None:
    """A misspelt metric or period names what is known."""
    with pytest.raises(ConfigError, match="unknown metric 'sales_amout'"):
        manager_metrics(small, period="2024Q1", metrics=["sales_amout"])
    with pytest.raises(ConfigError, match="cannot read the period"):
        manager_metrics(small, period="Q1 of 2024", metrics=["sales_amount"])
    with pytest.raises(ConfigError, match="before the period"):
        manager_metrics(small, period="2024Q2", metrics=["sales_amount"], as_of="2024-03-01")


def test_orphan_sales_are_ignored() -> None:
    """Sales kept for an unknown manager (on_orphans='keep') belong to no manager row."""
    tables = small_tables()
    tables["sales"].loc[len(tables["sales"])] = ["S99", "C1", "MX", "2024-01-05", 1000]
    data = am.from_frames(on_orphans="keep", **tables)
    result = manager_metrics(data, period="2024Q1", metrics=["sales_amount"])
    assert result["sales_amount"].tolist() == [420.0, 0.0, 120.0]


def test_registry_lists_every_metric_with_direction_and_tables() -> None:
    """list_metrics holds the issue's metrics with their direction and tables."""
    listed = list_metrics().set_index("name")
    required = [
        *SALES_METRICS,
        "csat_mean",
        "nps",
        "survey_count",
        "complaint_count",
        "complaints_per_100_clients",
        "median_resolution_hours",
        "rating_<competency>",
    ]
    assert set(required) <= set(listed.index)
    assert set(listed["direction"]) == {"higher", "lower"}
    lower = set(listed.index[listed["direction"] == "lower"])
    assert lower == {
        "complaint_count",
        "complaints_per_100_clients",
        "median_resolution_hours",
        "sla_breach_rate",
        "overdue_count",
    }
    assert listed["description"].str.len().min() > 20
    assert get_metric("rating_communication").tables == ("ratings",)


def test_sample_metrics_are_complete_and_consistent() -> None:
    """On the sample: every evaluated manager has a row, counts are whole, the
    rating columns exist, and net sales equal a plain pandas sum."""
    data = am.load_sample()
    result = manager_metrics(data, period="2026Q3")
    sales = data.sales
    in_quarter = sales[(sales.order_date >= "2026-07-01") & (sales.order_date < "2026-10-01")]
    plain = in_quarter.groupby("manager_id", observed=True)["amount"].sum()
    np.testing.assert_allclose(result["sales_amount"].loc[plain.index], plain.to_numpy())
    assert {"rating_communication", "rating_teamwork"} <= set(result.columns)
    assert result["order_count"].dtype == np.int64
    assert (result["active_clients"] <= result["order_count"]).all()


@settings(max_examples=15, deadline=None)
@given(st.randoms(use_true_random=False))
def test_row_order_does_not_matter(random: object) -> None:
    """Shuffling every table's rows leaves the metrics unchanged."""
    tables = small_tables()
    seed = random.randint(0, 2**31)  # type: ignore[attr-defined]
    shuffled = {
        name: frame.sample(frac=1, random_state=seed).reset_index(drop=True)
        for name, frame in tables.items()
        if name != "managers"
    }
    names = [*SALES_METRICS, "csat_mean", "nps", "median_resolution_hours"]
    expected = manager_metrics(am.from_frames(**tables), period="2024Q1", metrics=names)
    result = manager_metrics(
        am.from_frames(managers=tables["managers"], **shuffled), period="2024Q1", metrics=names
    )
    pd.testing.assert_frame_equal(result, expected)


def test_rating_metrics_by_hand() -> None:
    """Supervisor S rates one point above peer P on both managers they share.

    Calibration puts the typical rater at zero, so S is +0.5 and P -0.5 and
    both agree after it: communication M1 3.5, M2 2.5 (supervisor 0.5 and peer
    0.3 then weigh equal values). The self rating of 5 weighs nothing, the
    next quarter's rating is outside, and M3 has no rating: NaN.
    """
    tables = small_tables()
    tables["ratings"] = pd.DataFrame(
        [
            ("M1", "2024Q1", "S", "supervisor", "communication", 4),
            ("M2", "2024Q1", "S", "supervisor", "communication", 3),
            ("M1", "2024Q1", "P", "peer", "communication", 3),
            ("M2", "2024Q1", "P", "peer", "communication", 2),
            ("M1", "2024Q1", "M1", "self", "communication", 5),
            ("M1", "2024Q2", "S", "supervisor", "communication", 1),
        ],
        columns=["manager_id", "period", "rater_id", "rater_role", "competency", "score"],
    )
    result = manager_metrics(
        am.from_frames(**tables), period="2024Q1", metrics=["rating_communication"]
    )
    expected = pd.Series([3.5, 2.5, np.nan], index=result.index, name="rating_communication")
    pd.testing.assert_series_equal(result["rating_communication"], expected)
    with pytest.raises(ConfigError, match="no ratings for the competency of 'rating_teamwork'"):
        manager_metrics(am.from_frames(**tables), period="2024Q1", metrics=["rating_teamwork"])


def test_a_free_order_is_an_order(small: am.Dataset) -> None:
    """A sale of amount 0 (a free sample) is an order and makes its client active."""
    tables = small_tables()
    tables["sales"].loc[len(tables["sales"])] = ["S20", "C5", "M2", "2024-02-01", 0]
    result = manager_metrics(
        am.from_frames(**tables),
        period="2024Q1",
        metrics=["sales_amount", "order_count", "active_clients"],
    )
    assert result.loc["M2"].tolist() == [0.0, 1, 1]


def test_an_overflowing_sum_warns_with_the_metric_and_the_manager() -> None:
    """Two orders of 1e308 make M1's net sales inf: kept as inf, and said so."""
    data = am.from_frames(
        as_of="2026-11-15",
        rules=am.ValidationRules(max_amount=1e308),
        managers=pd.DataFrame({"manager_id": ["M1", "M2"], "name": ["王芳", "李雷"]}),
        clients=pd.DataFrame({"client_id": ["C1", "C2"], "manager_id": ["M1", "M2"]}),
        sales=pd.DataFrame(
            {
                "order_id": ["S1", "S2", "S3"],
                "client_id": ["C1", "C1", "C2"],
                "manager_id": ["M1", "M1", "M2"],
                "order_date": ["2026-07-01", "2026-07-02", "2026-08-01"],
                "amount": [1e308, 1e308, 100.0],
            }
        ),
    )
    with pytest.warns(
        NonFiniteValueWarning,
        match=r"metrics are infinite \(sales_amount for M1; avg_order_value for M1\)",
    ):
        m = manager_metrics(data, period="2026Q3", metrics=["sales_amount", "avg_order_value"])
    assert m.loc["M1", "sales_amount"] == np.inf and m.loc["M2", "sales_amount"] == 100.0


def test_the_metrics_package_loads_no_domain() -> None:
    """Importing the registry registers every built-in metric without importing a domain."""
    import subprocess
    import sys

    code = (
        "import sys, importlib; importlib.import_module('am_analytics.metrics'); "
        "import am_analytics.metrics as m; "
        "domains = ('feedback', 'goals', 'scoring', 'segments', 'development'); "
        "print(sorted(d for d in domains if 'am_analytics.' + d in sys.modules)); "
        "print(list(m.list_metrics()['name'])[-4:])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded, last = out.stdout.splitlines()
    assert last == "['csat_adjusted', 'sla_breach_rate', 'overdue_count', 'goal_attainment']"
    # the package root imports scoring for its public API; metrics itself needs none
    assert "feedback" not in loaded and "goals" not in loaded


def test_manager_metrics_positional_period_still_works_with_a_warning() -> None:
    """``manager_metrics(data, "2026Q3")`` warns with the keyword call and gives the same table."""
    data = am.load_sample()
    new = manager_metrics(data, period="2026Q3", metrics=["sales_amount", "new_clients"])
    advice = r"pass period by keyword: manager_metrics\(\.\.\., period='2026Q3'\)"
    with pytest.warns(FutureWarning, match=advice):
        old = manager_metrics(data, "2026Q3", metrics=["sales_amount", "new_clients"])
    pd.testing.assert_frame_equal(old, new)


def test_the_builtin_metric_names_are_those_the_registry_gets() -> None:
    """BUILTIN_METRICS (read by validation before any import of metrics) lists the registry's.

    In a fresh process, so that metrics registered by other tests do not count.
    """
    code = (
        "from am_analytics._metric_names import BUILTIN_METRICS, REGISTRY, RATING_TEMPLATE; "
        "import am_analytics.metrics; "
        "print([n for n in REGISTRY if n != RATING_TEMPLATE] == list(BUILTIN_METRICS))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"


def test_a_goals_table_loads_before_anything_imports_the_metrics() -> None:
    """Loading the sample first thing in a process knows every built-in goal metric."""
    code = (
        "import sys, am_analytics; data = am_analytics.load_sample(); "
        "print(len(data.rejects), 'am_analytics.metrics' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split()[0] == "0"
