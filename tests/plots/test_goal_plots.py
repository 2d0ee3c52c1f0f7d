"""Goal figures: what is drawn is what the attainment frame holds."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from am_analytics.errors import DataValidationError
from am_analytics.plots import attainment_histogram, burn_up, team_heat_table


def steps() -> pd.DataFrame:
    """Three weekly steps of G1, revised (target 100 -> 80) at the third."""
    return pd.DataFrame(
        {
            "goal_id": ["G1", "G1", "G1", "G2"],
            "owner_id": ["M1", "M1", "M1", "M2"],
            "date": pd.to_datetime(["2026-07-07", "2026-07-14", "2026-07-21", "2026-07-07"]),
            "actual_to_date": [10.0, 25.0, 30.0, 5.0],
            "expected_to_date": [8.0, 16.0, 19.0, 8.0],
            "target": [100.0, 100.0, 80.0, 50.0],
            "projection": [90.0, 105.0, 95.0, 40.0],
            "projection_low": [70.0, 90.0, 85.0, 30.0],
            "projection_high": [110.0, 120.0, 105.0, 50.0],
            "revision": [1, 1, 2, 1],
            "period_end": pd.Timestamp("2026-09-30"),
        }
    )


@pytest.fixture(autouse=True)
def close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def test_burn_up_draws_the_goal_and_its_revision() -> None:
    """Actual, expected and target lines hold the goal's steps; the cone starts at the
    last actual; the revision is a vertical line at its date; other goals are left out."""
    _, ax = plt.subplots()
    assert burn_up(steps(), "G1", ax=ax) is ax
    actual, expected, target = ax.lines[0], ax.lines[1], ax.lines[2]
    assert actual.get_ydata().tolist() == [10.0, 25.0, 30.0]
    assert expected.get_ydata().tolist() == [8.0, 16.0, 19.0]
    assert list(target.get_ydata()) == [100.0, 100.0, 80.0]
    cone = ax.collections[0].get_paths()[0].vertices
    assert cone[:, 1].min() == 30.0 and cone[:, 1].max() == 105.0
    revisions = [
        line
        for line in ax.lines
        if line.get_linestyle() == ":" and line.get_xdata()[0] == line.get_xdata()[-1]
    ]
    assert len(revisions) == 1


def test_burn_up_of_an_unknown_goal_is_an_error() -> None:
    """Asking for a goal the frame does not hold names it."""
    with pytest.raises(DataValidationError, match="no steps of goal 'G9'"):
        burn_up(steps(), "G9")


def test_histogram_counts_and_states_the_share_at_target() -> None:
    """Bars hold every finite attainment; the title says 2 of 4 reached 100 %."""
    latest = pd.DataFrame({"attainment": [0.5, 0.9, 1.0, 1.3, np.nan]})
    ax = attainment_histogram(latest, bins=4)
    assert sum(p.get_height() for p in ax.patches) == 4
    assert "50% at 100% or more" in ax.get_title()


def test_team_heat_table_holds_the_medians() -> None:
    """Rows are teams, columns metrics; each cell the median attainment."""
    latest = pd.DataFrame(
        {
            "team": ["East", "East", "East", "North"],
            "metric": ["sales_amount", "sales_amount", "new_clients", "sales_amount"],
            "attainment": [0.8, 1.2, 1.5, 0.6],
        }
    )
    ax = team_heat_table(latest)
    table = ax.images[0].get_array()
    assert table.tolist() == [[1.5, 1.0], [None, 0.6]]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["East", "North"]
