"""Training summary and training impact: known answers, planted effects, small-group warnings."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from am_analytics import from_frames, load_sample
from am_analytics.dataset import Dataset
from am_analytics.development import (
    TrainingImpact,
    TrainingImpactWarning,
    training_impact,
    training_impact_by_category,
    training_summary,
)
from am_analytics.errors import ConfigError, DataValidationError, MissingTableError
from am_analytics.plots import training_impact_plot
from am_analytics.sample import TRAINING_EFFECTS, generate

# --- fixtures ---------------------------------------------------------------------------------

QUARTERS = pd.period_range("2024Q1", "2025Q4", freq="Q")
#: Quarter index of the first treated day of the treated managers T1..T8 (staggered).
COHORTS = (2, 2, 3, 3, 4, 4, 5, 5)
N_CONTROL = 8


def _handmade(
    *, effect: float, lead_dip: float = 0.0, noise: float = 0.01, additive: bool = False
) -> tuple[Dataset, pd.DataFrame]:
    """8 treated managers (2 per cohort) and 8 never treated, one order per quarter.

    log(sales) = manager level + quarter level + effect after treatment (+ a dip
    two quarters before treatment) + small noise; with ``additive`` the effect is
    added to sales in currency units instead. The order is on day 45 of each
    quarter and courses end on day 60 of the cohort quarter, so the effect shows
    from the quarter after completion (event time 1).
    """
    rng = np.random.default_rng(7)
    treated = [f"T{i}" for i in range(1, len(COHORTS) + 1)]
    ids = treated + [f"C{i}" for i in range(1, N_CONTROL + 1)]
    cohort = np.array(list(COHORTS) + [99] * N_CONTROL)
    n, p = len(ids), len(QUARTERS)
    event = np.arange(p)[None, :] - cohort[:, None]
    log_sales = (
        9.0
        + rng.normal(0, 0.5, n)[:, None]
        + np.linspace(0.0, 0.3, p)[None, :]
        + lead_dip * (event == -2)
        + rng.normal(0, noise, (n, p))
    )
    sales = np.exp(log_sales) + (effect * (event >= 1) if additive else 0.0)
    if not additive:
        sales = sales * np.exp(effect * (event >= 1))
    days = np.array([q.start_time + pd.Timedelta(days=44) for q in QUARTERS])
    frames = {
        "managers": pd.DataFrame(
            {
                "manager_id": ids,
                "name": ids,
                "hire_date": "2020-01-01",
                "status": "active",
            }
        ),
        "clients": pd.DataFrame({"client_id": [f"K{m}" for m in ids], "manager_id": ids}),
        "sales": pd.DataFrame(
            {
                "order_id": [f"O{i}" for i in range(n * p)],
                "client_id": np.repeat([f"K{m}" for m in ids], p),
                "manager_id": np.repeat(ids, p),
                "order_date": np.tile(days, n),
                "amount": sales.ravel(),
            }
        ),
    }
    dataset = from_frames(**frames, as_of="2025-12-31")
    start = [QUARTERS[c].start_time + pd.Timedelta(days=57) for c in COHORTS]
    training = pd.DataFrame(
        {
            "record_id": [f"R{i}" for i in range(len(treated))],
            "manager_id": treated,
            "course_id": "TR-SS-01",
            "category": "sales_skills",
            "start_date": start,
            "end_date": [s + pd.Timedelta(days=2) for s in start],
            "hours": 16.0,
            "completed": pd.array([True] * len(treated), dtype="boolean"),
            "assessment_score": 80.0,
        }
    )
    return dataset, training


@pytest.fixture(scope="module")
def sample() -> Dataset:
    """The committed sample organisation (40 managers)."""
    return load_sample()


@pytest.fixture(scope="module")
def sample_by_category(sample: Dataset) -> pd.DataFrame:
    """The effect of each training category on the sample's sales."""
    return training_impact_by_category(sample)


@pytest.fixture(scope="module")
def large() -> Dataset:
    """A generated organisation of 200 managers, for tighter intervals."""
    return from_frames(**generate(n_managers=200, n_clients=10_000, seed=0), as_of="2026-11-15")


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Close the figures a test made."""
    yield
    plt.close("all")


# --- training_summary -------------------------------------------------------------------------


def test_summary_counts_courses_started_in_the_window_up_to_as_of() -> None:
    """A course started after as_of or outside the quarter does not count."""
    training = pd.DataFrame(
        {
            "manager_id": ["m1", "m1", "m1", "m1"],
            "category": ["sales_skills"] * 4,
            "start_date": pd.to_datetime(["2026-06-30", "2026-07-01", "2026-08-10", "2026-08-20"]),
            "hours": [8.0, 16.0, 24.0, 32.0],
            "completed": pd.array([True, True, pd.NA, True], dtype="boolean"),
            "assessment_score": [50.0, 70.0, np.nan, 90.0],
        }
    )
    out = training_summary(training, period="2026Q3", as_of="2026-08-15")
    expected = pd.DataFrame(
        {
            "manager_id": ["m1"],
            "category": ["sales_skills"],
            "courses": [2],
            "completed": [1],
            "hours": [40.0],
            "completion_rate": [0.5],
            "mean_assessment_score": [70.0],
        }
    ).astype({"manager_id": "str", "category": "str"})
    pd.testing.assert_frame_equal(out, expected)


def test_summary_without_optional_columns_gives_nan() -> None:
    """Without hours, completed and scores, counts remain and the rest is NaN."""
    training = pd.DataFrame(
        {
            "manager_id": ["m1"],
            "category": ["compliance"],
            "start_date": pd.to_datetime(["2026-07-02"]),
        }
    )
    out = training_summary(training, period="2026Q3")
    assert out.loc[0, "courses"] == 1
    assert out[["hours", "completion_rate", "mean_assessment_score"]].isna().all(axis=None)


def test_summary_missing_column_raises() -> None:
    """A training table without start_date is a DataValidationError naming it."""
    with pytest.raises(DataValidationError, match="start_date") as info:
        training_summary(pd.DataFrame({"manager_id": ["m1"], "category": ["x"]}), period="2026Q3")
    assert info.value.missing == {"training": ["start_date"]}


@pytest.mark.parametrize(
    ("period", "first", "after"),
    [("2025Q2", "2025-04-01", "2025-07-01"), ("2025", "2025-01-01", "2026-01-01")],
)
def test_summary_on_sample_matches_the_table(
    sample: Dataset, period: str, first: str, after: str
) -> None:
    """Every column equals a plain pandas group-by of the records started in the period.

    Hours are summed over all started courses (completed or not) and the
    assessment is the mean of the scores given: the sample's 2025 holds two
    uncompleted courses without a score, which count in courses and hours only.
    """
    out = training_summary(sample.training, period=period)
    table = sample.training
    start = table["start_date"]
    rows = table.loc[(start >= first) & (start < after)]
    keys = [rows["manager_id"].astype(str).rename("manager_id"), rows["category"]]
    expected = (
        pd.DataFrame(
            {
                "courses": rows.groupby(keys).size(),
                "completed": rows["completed"].astype(bool).groupby(keys).sum(),
                "hours": rows["hours"].groupby(keys).sum(),
                "mean_assessment_score": rows["assessment_score"].groupby(keys).mean(),
            }
        )
        .sort_index()
        .reset_index()
    )
    assert out["courses"].sum() == len(rows) > 0
    pd.testing.assert_frame_equal(
        out[["manager_id", "category", "courses", "completed"]],
        expected[["manager_id", "category", "courses", "completed"]],
        check_dtype=False,
    )
    np.testing.assert_allclose(out["hours"], expected["hours"])
    np.testing.assert_allclose(
        out["mean_assessment_score"], expected["mean_assessment_score"], equal_nan=True
    )
    np.testing.assert_allclose(out["completion_rate"], expected["completed"] / expected["courses"])
    assert out["hours"].sum() == pytest.approx(rows["hours"].sum())


# --- training_impact: known answers on hand-made data -----------------------------------------


def test_recovers_a_known_multiplicative_effect() -> None:
    """A +20 % lift after training is recovered within 2 points with a tight interval."""
    dataset, training = _handmade(effect=np.log(1.2))
    impact = training_impact(dataset, training=training, category="sales_skills")
    assert impact.effect == pytest.approx(0.2, abs=0.02)
    assert impact.ci_low < 0.2 < impact.ci_high
    assert impact.ci_high - impact.ci_low < 0.05
    # 8 never treated, and the 2 managers of the last cohort (quarter 5) are
    # not-yet-treated controls for the first (window quarters 0..4)
    assert (impact.n_treated, impact.n_control) == (8, 10)
    assert impact.p_value < 1e-6
    study = impact.event_study.set_index("event_time")
    assert study.index.tolist() == [-2, -1, 0, 1, 2]
    assert study.loc[-1, "reference"] and study.loc[-1, "coef"] == 0.0
    assert study.loc[-2, "coef"] == pytest.approx(0.0, abs=0.02)
    # the completion quarter's order came before the course ended: no effect yet
    assert study.loc[0, "coef"] == pytest.approx(0.0, abs=0.02)
    assert study.loc[[1, 2], "coef"].to_numpy() == pytest.approx([0.2] * 2, abs=0.02)
    assert impact.pre_trend_p > 0.05


def test_recovers_an_additive_effect_on_the_level_scale() -> None:
    """With log=False the effect is in currency units: +3000 per quarter."""
    dataset, training = _handmade(effect=3000.0, additive=True)
    impact = training_impact(dataset, training=training, log=False)
    assert impact.scale == "absolute"
    assert impact.ci_low < 3000.0 < impact.ci_high
    assert impact.effect == pytest.approx(3000.0, rel=0.2)


def test_no_effect_planted_gives_an_interval_covering_zero() -> None:
    """Without an effect the interval covers 0."""
    dataset, training = _handmade(effect=0.0)
    impact = training_impact(dataset, training=training)
    assert impact.ci_low < 0.0 < impact.ci_high


def test_pre_trend_check_flags_a_dip_before_training() -> None:
    """Sales 30 % lower two quarters before training: the lead is found and rejected."""
    dataset, training = _handmade(effect=0.0, lead_dip=np.log(0.7))
    impact = training_impact(dataset, training=training)
    lead = impact.event_study.set_index("event_time").loc[-2, "coef"]
    assert lead == pytest.approx(-0.3, abs=0.03)
    assert impact.pre_trend_p < 0.001


def test_uncompleted_courses_do_not_treat() -> None:
    """A control manager who started but did not complete a course stays a control."""
    dataset, training = _handmade(effect=np.log(1.2))
    dropout = training.iloc[:1].assign(
        record_id="R99", manager_id="C1", completed=pd.array([False], dtype="boolean")
    )
    impact = training_impact(dataset, training=pd.concat([training, dropout], ignore_index=True))
    assert (impact.n_treated, impact.n_control) == (8, 10)
    assert impact.effect == pytest.approx(0.2, abs=0.02)


def test_already_treated_managers_are_never_controls() -> None:
    """Early cohorts with a growing effect would bias TWFE; the stacked design is unmoved.

    Every treated manager's sales keep rising 10 % a quarter after training. If
    the early cohort served as controls for the late one, the late cohort's
    effect would be pulled down; with clean controls the effect over event
    times 1..2 is the true average on the log scale, (1 + 2) / 2 * log(1.1).
    """
    dataset, training = _handmade(effect=0.0)
    sales = dataset.sales
    cohort = dict(zip([f"T{i}" for i in range(1, 9)], COHORTS, strict=True))
    quarter = sales["order_date"].dt.to_period("Q").map(lambda q: QUARTERS.get_loc(q))
    since = quarter.to_numpy() - sales["manager_id"].astype("str").map(cohort).fillna(99).to_numpy()
    grown = sales["amount"] * np.where(since >= 1, 1.1**since, 1.0)
    dynamic = from_frames(
        managers=dataset.managers,
        clients=dataset.clients,
        sales=sales.assign(amount=grown),
        as_of="2025-12-31",
    )
    impact = training_impact(dynamic, training=training)
    expected = np.expm1(1.5 * np.log(1.1))
    assert impact.effect == pytest.approx(expected, abs=0.02)


def test_too_few_managers_warn_and_give_nan() -> None:
    """With 4 treated managers (fewer than 5) the effect is NaN, with a warning and a note."""
    dataset, training = _handmade(effect=np.log(1.2))
    with pytest.warns(TrainingImpactWarning, match="too few managers"):
        impact = training_impact(dataset, training=training.iloc[:4])
    assert np.isnan(impact.effect) and np.isnan(impact.ci_low)
    assert impact.n_treated == 4 and "4 treated" in impact.note
    assert impact.event_study.empty


def test_inputs_are_not_modified() -> None:
    """The training frame and the dataset's sales are left as they were."""
    dataset, training = _handmade(effect=0.1)
    training_before, sales_before = training.copy(), dataset.sales.copy()
    training_impact(dataset, training=training)
    pd.testing.assert_frame_equal(training, training_before)
    pd.testing.assert_frame_equal(dataset.sales, sales_before)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"pre": 0}, "pre must be"),
        ({"post": 1.5}, "post must be"),
        ({"freq": "W"}, "freq must be"),
        ({"category": "juggling"}, "unknown training category"),
        ({"outcome": "no_such_metric"}, "no_such_metric"),
        ({"min_group": 1}, "min_group"),
    ],
)
def test_bad_options_raise_config_error(options: dict[str, object], match: str) -> None:
    """Bad options are ConfigErrors that say what is expected."""
    dataset, training = _handmade(effect=0.0)
    with pytest.raises(ConfigError, match=match):
        training_impact(dataset, training=training, **options)  # type: ignore[arg-type]


def test_to_frame_has_one_row_of_scalars() -> None:
    """to_frame lists the scalar results, not the event study."""
    dataset, training = _handmade(effect=np.log(1.2))
    row = training_impact(dataset, training=training).to_frame()
    assert len(row) == 1
    assert {"effect", "ci_low", "ci_high", "n_treated", "n_control", "pre_trend_p"} <= set(row)
    assert "event_study" not in row


# --- training_impact: the planted effects of the generator ------------------------------------


def test_sample_recovers_each_planted_effect(sample_by_category: pd.DataFrame) -> None:
    """On the 40-manager sample each category's interval covers its planted lift."""
    table = sample_by_category.set_index("category")
    assert table.index.tolist() == list(TRAINING_EFFECTS)
    truth = pd.Series(dict(TRAINING_EFFECTS))
    assert ((table["ci_low"] < truth) & (truth < table["ci_high"])).all()
    assert (table["n_treated"] >= 5).all() and (table["n_control"] >= 5).all()


def test_sample_compliance_shows_no_effect(sample_by_category: pd.DataFrame) -> None:
    """Compliance training was planted with no effect: its interval covers zero."""
    compliance = sample_by_category.set_index("category").loc["compliance"]
    assert compliance["ci_low"] < 0.0 < compliance["ci_high"]


def test_large_organisation_detects_sales_skills(large: Dataset) -> None:
    """With 200 managers the +15 % of sales skills is inside a tight interval that excludes 0."""
    impact = training_impact(large, category="sales_skills")
    assert impact.ci_low < TRAINING_EFFECTS["sales_skills"] < impact.ci_high
    assert impact.ci_low > 0.0 and impact.p_value < 0.01
    assert impact.n_treated >= 40


def test_large_organisation_compliance_covers_zero(large: Dataset) -> None:
    """With 200 managers compliance training still shows no effect."""
    impact = training_impact(large, category="compliance")
    assert impact.ci_low < 0.0 < impact.ci_high
    assert impact.ci_high - impact.ci_low < 0.2


# --- the figure -------------------------------------------------------------------------------


def test_plot_draws_each_event_time_with_its_interval() -> None:
    """One point per estimated event time, the reference hollow, zero and start lines."""
    dataset, training = _handmade(effect=np.log(1.2))
    impact = training_impact(dataset, training=training)
    _, ax = plt.subplots()
    assert training_impact_plot(impact, ax=ax) is ax
    estimated = impact.event_study.loc[~impact.event_study["reference"]]
    points = ax.lines[0]
    assert points.get_xdata().tolist() == estimated["event_time"].tolist()
    assert np.asarray(points.get_ydata()) == pytest.approx(estimated["coef"].to_numpy())
    horizontal = [line for line in ax.lines if list(line.get_ydata()) == [0.0, 0.0]]
    vertical = [line for line in ax.lines if list(line.get_xdata()) == [-0.5, -0.5]]
    assert horizontal and vertical
    assert "sales_skills" not in ax.get_title() and "any course" in ax.get_title()


def test_plot_of_a_result_without_estimate_shows_the_note() -> None:
    """Too few managers: no points, the note is written on the axes."""
    dataset, training = _handmade(effect=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrainingImpactWarning)
        impact: TrainingImpact = training_impact(dataset, training=training.iloc[:2])
    ax = training_impact_plot(impact)
    assert any("too few managers" in text.get_text() for text in ax.texts)


def test_training_first_calls_still_work_with_a_warning(sample: Dataset) -> None:
    """``training_impact(training, dataset)`` (and by category) warn and give the same results."""
    with pytest.warns(FutureWarning, match=r"dataset first: training_impact\(dataset, training="):
        old = training_impact(sample.training, sample, category="sales_skills")
    new = training_impact(sample, category="sales_skills")
    pd.testing.assert_frame_equal(old.to_frame(), new.to_frame())
    pd.testing.assert_frame_equal(old.event_study, new.event_study)
    with pytest.warns(FutureWarning, match=r"training_impact_by_category\(dataset, training="):
        by_category = training_impact_by_category(sample.training, sample)
    pd.testing.assert_frame_equal(by_category, training_impact_by_category(sample))


def test_training_defaults_to_the_datasets_and_is_required() -> None:
    """Without ``training=`` the dataset's table is used; a dataset without one says so."""
    dataset, training = _handmade(effect=np.log(1.2))
    with pytest.raises(MissingTableError, match="no training table"):
        training_impact(dataclasses.replace(dataset, training=None))
    given = training_impact(dataset, training=training).to_frame()
    default = training_impact(dataclasses.replace(dataset, training=training)).to_frame()
    pd.testing.assert_frame_equal(default, given)
