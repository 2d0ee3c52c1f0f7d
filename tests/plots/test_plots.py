"""Figures: the artists drawn match the data, axes are reused, Chinese labels are handled."""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from am_analytics import plots
from am_analytics.errors import ConfigError, DataValidationError
from am_analytics.plots import _common
from am_analytics.segments import migration

SEGMENTS = pd.CategoricalDtype(["Champions", "Loyal", "At Risk", "Lost"])


@pytest.fixture(autouse=True)
def _fresh_figures() -> Iterator[None]:
    """Each test starts with no figures and an unwarned font check, and closes what it made."""
    plt.close("all")
    _common._reset_font_warning()
    yield
    plt.close("all")


@pytest.fixture
def features() -> pd.DataFrame:
    """Six clients: one ordered today (recency 0) and one with net refunds are not mappable."""
    return pd.DataFrame(
        {
            "recency_days": [2.0, 10.0, 0.0, 200.0, 400.0, 30.0],
            "monetary": [5000.0, 8000.0, 700.0, 300.0, 100.0, -20.0],
            "segment": pd.Categorical(
                ["Champions", "Champions", "Loyal", "At Risk", "Lost", "Loyal"], dtype=SEGMENTS
            ),
        },
        index=pd.Index([f"c{i}" for i in range(6)], name="client_id"),
    )


# ---------------------------------------------------------------------------
# segment map
# ---------------------------------------------------------------------------


def test_segment_map_points_per_segment(features: pd.DataFrame) -> None:
    """One scatter per segment with its points; non-positive values are left out and counted."""
    _, ax = plt.subplots()
    returned = plots.segment_map(features, ax=ax)
    assert returned is ax
    sizes = {c.get_label(): len(c.get_offsets()) for c in ax.collections}
    assert sizes == {"Champions": 2, "Loyal": 0, "At Risk": 1, "Lost": 1}
    champions = ax.collections[0].get_offsets()
    np.testing.assert_array_equal(np.asarray(champions), [[2.0, 5000.0], [10.0, 8000.0]])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_title() == "Client segments"
    assert ax.get_xlabel() == "days since last order"
    assert any("2 clients" in t.get_text() for t in ax.texts)


def test_segment_map_colours_and_kwargs(features: pd.DataFrame) -> None:
    """Segments keep their own colours; keyword arguments reach the scatter."""
    ax = plots.segment_map(features, alpha=0.25, names={"Lost": "gone for good"})
    colours = [tuple(c.get_facecolor()[0][:3]) for c in ax.collections if len(c.get_offsets())]
    expected = [
        matplotlib.colors.to_rgb(plots.SEGMENT_COLOURS[s]) for s in ("Champions", "At Risk", "Lost")
    ]
    np.testing.assert_allclose(colours, expected)
    assert all(c.get_alpha() == 0.25 for c in ax.collections)
    assert ax.collections[-1].get_label() == "gone for good"


def test_segment_map_missing_column(features: pd.DataFrame) -> None:
    """A frame without segments cannot be mapped."""
    with pytest.raises(DataValidationError, match="segment"):
        plots.segment_map(features.drop(columns="segment"))


# ---------------------------------------------------------------------------
# segment bars
# ---------------------------------------------------------------------------


def test_segment_bars_equal_the_shares(features: pd.DataFrame) -> None:
    """Client shares and revenue shares, segment by segment, in the segments' order."""
    ax = plots.segment_bars(features)
    clients, revenue = ax.containers
    np.testing.assert_allclose([b.get_width() for b in clients], [2 / 6, 2 / 6, 1 / 6, 1 / 6])
    total = 5000 + 8000 + 700 + 300 + 100 - 20
    np.testing.assert_allclose(
        [b.get_width() for b in revenue], np.array([13000, 680, 300, 100]) / total
    )
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Champions", "Loyal", "At Risk", "Lost"]
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # first segment on top
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["clients", "revenue"]


# ---------------------------------------------------------------------------
# migration heatmap
# ---------------------------------------------------------------------------


def test_migration_heatmap_shows_the_rates() -> None:
    """The image holds the rates (empty rows masked), each non-zero cell is written."""
    before = pd.Series(["Loyal", "Loyal", "Lost"], index=["a", "b", "c"], dtype=SEGMENTS)
    after = pd.Series(["Loyal", "Lost", "Loyal"], index=["a", "b", "d"], dtype=SEGMENTS)
    moves = migration(before, after)
    fig, ax = plt.subplots()
    assert plots.migration_heatmap(moves, ax=ax) is ax
    shown = ax.images[0].get_array()
    np.testing.assert_array_equal(shown.filled(np.nan), moves.rates.to_numpy())
    assert shown.mask[0].all()  # Champions had no clients
    written = sorted(t.get_text() for t in ax.texts)
    assert written == sorted(["50%", "50%", "100%", "100%"])
    assert [t.get_text() for t in ax.get_xticklabels()] == [*SEGMENTS.categories, "gone"]
    assert [t.get_text() for t in ax.get_yticklabels()] == [*SEGMENTS.categories, "new"]
    assert len(fig.axes) == 2  # the colour bar, in the same figure


# ---------------------------------------------------------------------------
# portfolio bars
# ---------------------------------------------------------------------------


def test_portfolio_bars_stack_revenue() -> None:
    """Bars equal the revenue columns; negatives stack downward from zero."""
    book = pd.DataFrame(
        {
            "revenue": [650.0, 40.0],
            "revenue_Champions": [500.0, 0.0],
            "revenue_Lost": [-50.0, -10.0],
            "revenue_Loyal": [200.0, 50.0],
            "revenue_tier_A": [650.0, 0.0],
        },
        index=pd.Index(["m1", "m2"], name="manager_id"),
    )
    ax = plots.portfolio_bars(book)
    heights = [[b.get_height() for b in c] for c in ax.containers]
    assert heights == [[500.0, 0.0], [-50.0, -10.0], [200.0, 50.0]]
    bottoms = [[b.get_y() for b in c] for c in ax.containers]
    assert bottoms == [[0.0, 0.0], [0.0, 0.0], [500.0, 0.0]]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Champions", "Lost", "Loyal"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["m1", "m2"]
    by_tier = plots.portfolio_bars(book, by="tier", title="By tier")
    assert by_tier.get_title() == "By tier"
    assert [b.get_height() for b in by_tier.containers[0]] == [650.0, 0.0]


def test_portfolio_bars_bad_options() -> None:
    """An unknown grouping, or a portfolio without those columns, is explained."""
    book = pd.DataFrame({"revenue_Loyal": [1.0]}, index=["m1"])
    with pytest.raises(ConfigError, match="by must be one of"):
        plots.portfolio_bars(book, by="region")
    with pytest.raises(DataValidationError, match="no revenue_tier_<name> columns"):
        plots.portfolio_bars(book, by="tier")


# ---------------------------------------------------------------------------
# figures and global state
# ---------------------------------------------------------------------------


def test_given_axes_make_no_new_figure(features: pd.DataFrame) -> None:
    """With ax= nothing is drawn elsewhere; without it, one new figure per call."""
    fig, axes = plt.subplots(1, 2)
    plots.segment_map(features, ax=axes[0])
    plots.segment_bars(features, ax=axes[1])
    assert plt.get_fignums() == [fig.number]
    plots.segment_bars(features)
    assert len(plt.get_fignums()) == 2


def test_rc_params_are_left_as_found(
    monkeypatch: pytest.MonkeyPatch, features: pd.DataFrame
) -> None:
    """Chinese labels with a font found: the texts use it, the global settings do not change."""
    monkeypatch.setattr(_common, "CJK_FONTS", ("DejaVu Serif",))  # stands in for a CJK font
    before = dict(matplotlib.rcParams)
    ax = plots.segment_bars(features, names=plots.SEGMENT_NAMES_ZH, title="客户分群")
    assert dict(matplotlib.rcParams) == before
    assert ax.title.get_fontfamily()[0] == "DejaVu Serif"
    assert all(t.get_fontfamily()[0] == "DejaVu Serif" for t in ax.get_yticklabels())
    assert ax.get_yticklabels()[0].get_text() == "冠军客户"


def test_missing_cjk_font_warns_once(
    monkeypatch: pytest.MonkeyPatch, features: pd.DataFrame
) -> None:
    """No CJK font: the first Chinese figure warns, the next ones do not, until reset."""
    monkeypatch.setattr(_common, "CJK_FONTS", ("No Such Font Family",))
    with pytest.warns(plots.MissingFontWarning, match="no CJK font is installed"):
        plots.segment_map(features, title="客户分群")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plots.segment_bars(features, names=plots.SEGMENT_NAMES_ZH)
    _common._reset_font_warning()
    with pytest.warns(plots.MissingFontWarning):
        plots.segment_bars(features, labels=("客户数", "收入"))


def test_english_labels_never_warn(monkeypatch: pytest.MonkeyPatch, features: pd.DataFrame) -> None:
    """Without CJK characters the font is not looked for and nothing warns."""
    monkeypatch.setattr(_common, "CJK_FONTS", ("No Such Font Family",))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = plots.segment_map(features)
    assert ax.title.get_fontfamily() == matplotlib.rcParams["font.family"]


def test_plots_import_matplotlib_lazily() -> None:
    """Importing the plots module loads neither matplotlib nor pyplot."""
    code = "import sys, am_analytics.plots; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
