"""Career ladder: TOML rules, skill gaps, promotion readiness, 9-box, training plans, figures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from am_analytics import Dataset, load_sample, plots
from am_analytics.development import (
    CareerLadder,
    CareerLevel,
    catalog_from_training,
    default_career_ladder,
    load_career_ladder,
    load_training_catalog,
    promotion_readiness,
    recommend_training,
    skill_gaps,
)
from am_analytics.errors import ConfigError, DataValidationError, MissingTableError
from am_analytics.plots import _common, nine_box, skill_gap_heatmap

AS_OF = "2026-10-01"  # 2026Q3 has ended, 2026Q4 has not


@pytest.fixture(autouse=True)
def _fresh_figures() -> Iterator[None]:
    """Each test starts with no figures and an unwarned font check, and closes what it made."""
    plt.close("all")
    _common._reset_font_warning()
    yield
    plt.close("all")


@pytest.fixture
def ladder() -> CareerLadder:
    """junior → senior (3 years, percentile >= 60 in each of 2 periods, teamwork 3.5, comm. 3.0)."""
    return CareerLadder(
        (
            CareerLevel("junior", competencies={"teamwork": 2.0}),
            CareerLevel(
                "senior",
                min_tenure_years=3,
                min_score_percentile=60,
                periods=2,
                competencies={"teamwork": 3.5, "communication": 3.0},
            ),
        )
    )


def _ratings(rows: dict[str, dict[str, tuple[float, float]]]) -> pd.DataFrame:
    """One supervisor rates everyone in 2026Q2 and 2026Q3 (so calibration changes nothing)."""
    records = [
        (manager, period, competency, score)
        for manager, scores in rows.items()
        for competency, pair in scores.items()
        for period, score in zip(("2026Q2", "2026Q3"), pair, strict=True)
    ]
    frame = pd.DataFrame(records, columns=["manager_id", "period", "competency", "score"])
    return frame.assign(
        manager_id=pd.Categorical(frame["manager_id"]), rater_id="S-1", rater_role="supervisor"
    )[["manager_id", "period", "rater_id", "rater_role", "competency", "score"]]


def _data(ratings: pd.DataFrame, managers: pd.DataFrame) -> Dataset:
    """A dataset of just these ratings and managers (the ladder reads no other table)."""
    return Dataset(managers=managers, clients=pd.DataFrame(), sales=pd.DataFrame(), ratings=ratings)


def _history(rows: dict[str, tuple[float, ...]]) -> pd.DataFrame:
    """Percentiles per manager for 2026Q1..2026Q4 (the last not yet ended on AS_OF)."""
    periods = ("2026Q1", "2026Q2", "2026Q3", "2026Q4")
    return pd.DataFrame(
        [
            (manager, period, value)
            for manager, values in rows.items()
            for period, value in zip(periods, values, strict=True)
        ],
        columns=["manager_id", "period", "percentile"],
    )


# --- ladder configuration -----------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ladder.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_ladder_uses_the_sample_levels_and_competencies() -> None:
    """The default ladder covers every level of the sample and every rated competency."""
    sample = load_sample()
    ladder = default_career_ladder()
    assert set(sample.managers["level"].unique()) == set(ladder.names)
    assert set(ladder.required_competencies) == set(sample.ratings["competency"].unique())
    assert ladder.names[0] == "客户经理" and ladder.next_level("客户总监") is None


def test_toml_with_an_unknown_competency_raises(tmp_path: Path) -> None:
    """A level naming a competency outside the declared list is a ConfigError naming it."""
    path = _write(
        tmp_path,
        """
        [ladder]
        competencies = ["teamwork"]
        [[levels]]
        name = "junior"
        [levels.competencies]
        teamwrok = 3.0
        """,
    )
    with pytest.raises(ConfigError, match=r"unknown competencies \{'junior': \['teamwrok'\]\}"):
        load_career_ladder(path)


def test_toml_unknown_competency_checked_against_the_default_list(tmp_path: Path) -> None:
    """Without a declared list, the sample's five competencies are the known ones."""
    path = _write(tmp_path, '[[levels]]\nname = "a"\n[levels.competencies]\nempathy = 3.0\n')
    with pytest.raises(ConfigError, match="empathy"):
        load_career_ladder(path)


@pytest.mark.parametrize(
    ("upper", "message"),
    [
        ("min_tenure_years = 1", "needs 1.0 years of tenure, less than 2.0"),
        ("min_tenure_years = 3\nmin_score_percentile = 10", "percentile 10.0, less than 50.0"),
        (
            "min_tenure_years = 3\nmin_score_percentile = 60\n"
            "[levels.competencies]\nteamwork = 2.9",
            "'teamwork' needs 2.9 at 'senior' but 3.0 at 'junior'",
        ),
        ("min_tenure_years = 3\nmin_score_percentile = 60", "'teamwork' needs nothing at 'senior'"),
    ],
)
def test_toml_with_out_of_order_levels_raises(tmp_path: Path, upper: str, message: str) -> None:
    """A minimum that decreases up the ladder (or disappears) is a ConfigError."""
    text = (
        '[[levels]]\nname = "junior"\nmin_tenure_years = 2\nmin_score_percentile = 50\n'
        "[levels.competencies]\nteamwork = 3.0\n"
        f'[[levels]]\nname = "senior"\n{upper}\n'
    )
    with pytest.raises(ConfigError, match="out-of-order levels") as caught:
        load_career_ladder(_write(tmp_path, text))
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("level", "message"),
    [
        ('name = "a"\nmin_score_percentile = 120', "must lie in 0..100"),
        ('name = "a"\nmin_tenure_years = "two"', "must be a number"),
        ('name = "a"\nperiods = 0', "periods must be >= 1"),
        ('name = "a"\nperiods = 1.5', "periods must be a whole number"),
        ('name = "a"\n[levels.competencies]\nteamwork = 7', "must lie in 1..5"),
        ('name = "a"\ncolour = "red"', "unknown key"),
        ("min_tenure_years = 1", "has no `name`"),
    ],
)
def test_toml_with_bad_numbers_raises(tmp_path: Path, level: str, message: str) -> None:
    """Bad values are ConfigErrors naming the file and the level."""
    with pytest.raises(ConfigError, match=message) as caught:
        load_career_ladder(_write(tmp_path, f"[[levels]]\n{level}\n"))
    assert "level 1" in str(caught.value)


def test_duplicate_level_names_raise() -> None:
    """Each level may appear once."""
    with pytest.raises(ConfigError, match=r"names the level\(s\) \['a'\] more than once"):
        CareerLadder((CareerLevel("a"), CareerLevel("a")))


def test_unreadable_ladder_file_raises(tmp_path: Path) -> None:
    """A missing file and broken TOML are ConfigErrors, not OSError / TOMLDecodeError."""
    with pytest.raises(ConfigError, match="cannot read"):
        load_career_ladder(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_career_ladder(_write(tmp_path, "[[levels]\n"))


# --- skill gaps ---------------------------------------------------------------------------


def test_skill_gaps_by_hand(ladder: CareerLadder) -> None:
    """Gaps to the current and next level, worked out by hand, for four kinds of manager."""
    ratings = _ratings(
        {
            "J": {"teamwork": (1.0, 3.0), "communication": (2.0, 2.0)},
            "S": {"teamwork": (3.0, 3.0), "communication": (3.5, 3.5)},
            "X": {"teamwork": (4.0, 4.0), "communication": (4.0, 4.0)},
        }
    )
    managers = pd.DataFrame(
        {"manager_id": ["J", "S", "X", "U"], "level": ["junior", "senior", "intern", "junior"]}
    )
    gaps = skill_gaps(_data(ratings, managers), ladder=ladder, period="2026Q3")
    got = gaps.set_index(["manager_id", "competency"])
    # J, 2026Q3 only: teamwork 3.0 (>= 2.0 now, 0.5 short of senior); communication 2.0
    # (nothing required of a junior, 1.0 short of senior).
    assert got.loc[("J", "teamwork"), ["current", "gap_current", "gap"]].tolist() == [3.0, 0.0, 0.5]
    assert got.loc[("J", "communication"), ["gap_current", "gap"]].tolist() == [0.0, 1.0]
    assert np.isnan(got.loc[("J", "communication"), "required_current"])
    # S is at the top: 0.5 short of its own level's teamwork, no next level.
    assert got.loc[("S", "teamwork"), "gap_current"] == 0.5
    assert got.loc[("S", "teamwork"), ["next_level", "gap"]].isna().all()
    # X's level is not in the ladder: flagged, no requirements.
    assert not got.loc[("X", "teamwork"), "in_ladder"]
    assert got.loc[("X", "teamwork"), ["required_current", "gap_current", "gap"]].isna().all()
    # U was never rated: current and gaps unknown.
    assert got.loc[("U", "teamwork"), "n_periods"] == 0
    assert got.loc[("U", "teamwork"), ["current", "gap_current", "gap"]].isna().all()
    assert gaps["manager_id"].tolist() == ["J", "J", "S", "S", "X", "X", "U", "U"]


def test_skill_gaps_average_the_rating_periods_within_the_period(ladder: CareerLadder) -> None:
    """period='2026' averages 2026Q2 and 2026Q3: teamwork (1 + 3) / 2 = 2."""
    ratings = _ratings({"J": {"teamwork": (1.0, 3.0), "communication": (2.0, 2.0)}})
    managers = pd.DataFrame({"manager_id": ["J"], "level": ["junior"]})
    gaps = skill_gaps(_data(ratings, managers), ladder=ladder, period="2026").set_index(
        "competency"
    )
    assert gaps.loc["teamwork", ["current", "n_periods", "gap"]].tolist() == [2.0, 2, 1.5]


def test_skill_gaps_reject_a_ladder_naming_unrated_competencies(ladder: CareerLadder) -> None:
    """A competency no rating covers cannot be checked: ConfigError, not all-NaN rows."""
    ratings = _ratings({"J": {"teamwork": (3.0, 3.0)}})
    managers = pd.DataFrame({"manager_id": ["J"], "level": ["junior"]})
    with pytest.raises(ConfigError, match="communication"):
        skill_gaps(_data(ratings, managers), ladder=ladder, period="2026Q3")
    with pytest.raises(DataValidationError, match="level"):
        skill_gaps(_data(ratings, managers[["manager_id"]]), ladder=ladder, period="2026Q3")


# --- promotion readiness ------------------------------------------------------------------


def test_promotion_readiness_statuses_and_unmet_criteria(ladder: CareerLadder) -> None:
    """Ready now / within a period (tenure, competency trend, sliding window) / not ready."""
    good = {"teamwork": (3.6, 3.8), "communication": (3.2, 3.2)}
    ratings = _ratings(
        {
            "A": good,
            "B": good,
            "C": {"teamwork": (3.6, 3.6), "communication": (2.5, 2.5)},
            "F": {"teamwork": (3.2, 3.4), "communication": (3.2, 3.2)},
            "G": good,
            "D": good,
            "E": good,
        }
    )
    history = _history(
        {
            "A": (70, 70, 80, 5),  # 2026Q4 (5) has not ended: ignored
            "B": (70, 70, 80, 80),
            "C": (20, 30, 40, 40),  # trend +10: 40 + 10 = 50 < 60 next period too
            "F": (70, 70, 80, 80),
            "G": (25, 50, 75, 75),  # window slides to {75, 75 + 25}: min 75 >= 60
            "D": (90, 90, 90, 90),
            "E": (90, 90, 90, 90),
        }
    )
    managers = pd.DataFrame(
        {
            "manager_id": ["A", "B", "C", "F", "G", "D", "E"],
            "level": ["junior", "junior", "junior", "junior", "junior", "senior", "intern"],
            "hire_date": pd.to_datetime(
                [
                    "2020-01-01",
                    "2023-11-01",
                    "2020-01-01",
                    "2020-01-01",
                    "2020-01-01",
                    "2015-01-01",
                    "2015-01-01",
                ]
            ),
        }
    )
    out = promotion_readiness(
        _data(ratings, managers), score_history=history, ladder=ladder, as_of=AS_OF
    )
    got = out.set_index("manager_id")
    assert got["status"].astype("str").to_dict() == {
        "A": "ready now",
        "B": "ready within a period",
        "C": "not ready",
        "F": "ready within a period",
        "G": "ready within a period",
        "D": "top of ladder",
        "E": "level not in ladder",
    }
    assert got.loc["A", "unmet"] == "" and got.loc["A", "n_unmet"] == 0
    assert got.loc["B", "unmet"] == "tenure 2.9 years < 3 required"  # 1065 days / 365.25
    assert got.loc["F", "unmet"] == "teamwork 3.400 < 3.5 required"
    assert got.loc["G", "unmet"] == (
        "score percentile 50.0 (lowest of the last 2 periods) < 60 required"
    )
    assert got.loc["C", "unmet"] == (
        "score percentile 30.0 (lowest of the last 2 periods) < 60 required; "
        "communication 2.500 < 3 required"
    )
    assert got.loc["C", "n_unmet"] == 2
    assert got.loc["A", "latest_percentile"] == 80.0
    assert got.loc["G", "percentile_trend"] == pytest.approx(25.0)
    assert got.loc["F", "competency_trend"] == pytest.approx(0.1)  # (0.2 + 0) / 2


def test_promotion_readiness_counts_unscored_periods_as_unmet(ladder: CareerLadder) -> None:
    """Scored in only one of the last two periods: unmet now, named; met once Q2 drops out."""
    ratings = _ratings({"A": {"teamwork": (3.6, 3.8), "communication": (3.2, 3.2)}})
    history = _history({"A": (70, 70, 80, 80), "B": (50, 50, 50, 50)})
    history = history[(history["manager_id"] == "B") | (history["period"] != "2026Q2")]
    managers = pd.DataFrame(
        {"manager_id": ["A"], "level": ["junior"], "hire_date": pd.to_datetime(["2020-01-01"])}
    )
    out = promotion_readiness(
        _data(ratings, managers), score_history=history, ladder=ladder, as_of=AS_OF
    )
    assert out.loc[0, "status"] == "ready within a period"  # window becomes {Q3, Q4}
    assert out.loc[0, "unmet"] == (
        "scored in only 1 of the last 2 periods (percentile 60 required in each)"
    )


def test_nine_box_by_thirds_of_performance_and_growth() -> None:
    """Performance from the mean percentile, potential from growth ranks among the managers."""
    ladder = CareerLadder((CareerLevel("junior"), CareerLevel("senior")))
    ratings = _ratings(
        {
            "M1": {"teamwork": (3.0, 3.3)},
            "M2": {"teamwork": (3.0, 3.0)},
            "M3": {"teamwork": (3.3, 3.0)},
        }
    )
    history = _history({"M1": (80, 80, 90, 0), "M2": (50, 50, 50, 0), "M3": (20, 20, 10, 0)})
    managers = pd.DataFrame(
        {
            "manager_id": ["M1", "M2", "M3"],
            "level": "junior",
            "hire_date": pd.to_datetime(["2020-01-01"] * 3),
        }
    )
    out = promotion_readiness(
        _data(ratings, managers),
        score_history=history,
        ladder=ladder,
        as_of=AS_OF,
        trend_periods=2,
    )
    assert out["nine_box"].tolist() == [
        "high performance / high potential: star",
        "moderate performance / moderate potential: core player",
        "low performance / low potential: underperformer",
    ]
    np.testing.assert_allclose(out["potential_index"], [250 / 3, 50, 50 / 3])
    assert (out["status"] == "ready now").all()  # the senior level asks nothing


def test_promotion_readiness_rejects_bad_options(ladder: CareerLadder) -> None:
    """Bad as_of / trend_periods, and an as_of before any period ended, are ConfigErrors."""
    ratings = _ratings({"A": {"teamwork": (3.6, 3.8), "communication": (3.2, 3.2)}})
    history = _history({"A": (70, 70, 80, 80)})
    managers = pd.DataFrame(
        {"manager_id": ["A"], "level": ["junior"], "hire_date": pd.to_datetime(["2020-01-01"])}
    )
    with pytest.raises(ConfigError, match="as_of"):
        promotion_readiness(
            _data(ratings, managers), score_history=history, ladder=ladder, as_of="soon"
        )
    with pytest.raises(ConfigError, match="trend_periods"):
        promotion_readiness(
            _data(ratings, managers),
            score_history=history,
            ladder=ladder,
            as_of=AS_OF,
            trend_periods=1,
        )
    with pytest.raises(ConfigError, match="ended before"):
        promotion_readiness(
            _data(ratings, managers), score_history=history, ladder=ladder, as_of="2026-02-01"
        )


def test_promotion_readiness_on_the_sample() -> None:
    """Every sample manager gets one row; 'ready now' means nothing unmet and vice versa."""
    from am_analytics.development import score_history

    sample = load_sample()
    history = score_history(sample, periods=["2026Q2", "2026Q3"])
    out = promotion_readiness(
        sample,
        score_history=history,
        ladder=default_career_ladder(),
        as_of=sample.as_of,
    )
    assert out["manager_id"].tolist() == sample.managers["manager_id"].tolist()
    below_top = out["next_level"].notna()
    assert ((out["status"] == "ready now") == (below_top & (out["n_unmet"] == 0))).all()
    assert (out.loc[out["level"] == "客户总监", "status"] == "top of ladder").all()


def test_score_history_scores_with_the_scorecard_and_as_of_given() -> None:
    """Each period of the history is score_managers with the same scorecard and as_of."""
    from am_analytics.development import score_history
    from am_analytics.scoring import Criterion, Scorecard, score_managers

    sample = load_sample()
    card = Scorecard([Criterion("sales_amount", weight=2), Criterion("new_clients", weight=1)])
    history = score_history(
        sample, periods=["2026Q3", "2026Q4"], scorecard=card, as_of="2026-11-15"
    )
    for period in ["2026Q3", "2026Q4"]:
        alone = score_managers(sample, period=period, scorecard=card, as_of="2026-11-15")
        rows = history[history["period"] == period].set_index("manager_id")
        scored = alone["score"].dropna()
        pd.testing.assert_series_equal(
            rows["score"].loc[scored.index], scored, check_names=False, check_index_type=False
        )
    default = score_history(sample, periods=["2026Q3"])
    assert not np.allclose(default["score"], history.loc[history["period"] == "2026Q3", "score"])


# --- training recommendations -------------------------------------------------------------


def test_recommend_training_closes_the_largest_gaps_first() -> None:
    """Largest gap first; ties broken by how many gaps the course closes, then course id."""
    gaps = pd.DataFrame(
        {
            "manager_id": ["M1"] * 4 + ["M2"],
            "competency": [
                "client_focus",
                "teamwork",
                "problem_solving",
                "communication",
                "teamwork",
            ],
            "gap": [0.5, 0.2, 0.1, 0.0, np.nan],
        }
    )
    catalog = pd.DataFrame(
        {
            "course_id": ["CS-1", "MA-1", "MA-1", "LD-1", "SS-1", "SS-1"],
            "category": [
                "customer_service",
                "market_analysis",
                "market_analysis",
                "leadership",
                "sales_skills",
                "sales_skills",
            ],
            "competency": [
                "client_focus",
                "client_focus",
                "problem_solving",
                "teamwork",
                "communication",
                "problem_solving",
            ],
        }
    )
    plan = recommend_training(gaps, catalog=catalog)
    expected = pd.DataFrame(
        {
            "manager_id": ["M1"] * 4,
            "rank": [1, 2, 3, 4],
            "course_id": ["MA-1", "CS-1", "LD-1", "SS-1"],
            "category": ["market_analysis", "customer_service", "leadership", "sales_skills"],
            "competency": ["client_focus", "client_focus", "teamwork", "problem_solving"],
            "gap": [0.5, 0.5, 0.2, 0.1],
        }
    )
    pd.testing.assert_frame_equal(plan, expected)
    done = pd.DataFrame({"manager_id": ["M1"], "course_id": ["MA-1"], "completed": [True]})
    again = recommend_training(gaps, catalog=catalog, completed=done)
    assert again["course_id"].tolist() == ["CS-1", "LD-1", "SS-1"]
    assert again["rank"].tolist() == [1, 2, 3]


def test_catalog_from_the_sample_training_table() -> None:
    """Each sample course maps to its category's competencies; compliance develops none."""
    catalog = catalog_from_training(load_sample().training)
    by_course = catalog.groupby("course_id")["competency"].agg(list).to_dict()
    assert by_course["TR-SS-01"] == ["communication", "problem_solving"]
    assert by_course["TR-PK-02"] == ["product_knowledge"]
    assert by_course["TR-MA-01"] == ["client_focus", "problem_solving"]
    assert not catalog["course_id"].str.startswith("TR-CP").any()


def test_training_catalog_toml(tmp_path: Path) -> None:
    """Courses from TOML; a course without course_id is a ConfigError."""
    path = tmp_path / "catalog.toml"
    path.write_text('[[courses]]\ncourse_id = "X"\ncategory = "leadership"\n', encoding="utf-8")
    assert load_training_catalog(path)["competency"].tolist() == ["teamwork"]
    path.write_text('[[courses]]\ncategory = "leadership"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="course 1 needs course_id"):
        load_training_catalog(path)


# --- figures ------------------------------------------------------------------------------


def test_skill_gap_heatmap_draws_the_gaps() -> None:
    """One image holding the gap matrix (NaN masked), one text per positive gap."""
    gaps = pd.DataFrame(
        {
            "manager_id": ["M1", "M1", "M2", "M2"],
            "name": ["Ann", "Ann", "Bo", "Bo"],
            "competency": ["teamwork", "client_focus"] * 2,
            "gap": [0.5, 0.0, np.nan, 1.0],
        }
    )
    _, ax = plt.subplots()
    assert skill_gap_heatmap(gaps, ax=ax, colorbar=False) is ax
    image = ax.images[0].get_array()
    assert image.mask.tolist() == [[False, False], [True, False]]
    assert image.filled(-1).tolist() == [[0.5, 0.0], [-1, 1.0]]
    assert [t.get_text() for t in ax.texts] == ["0.50", "1.00"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Ann", "Bo"]


def test_skill_gap_heatmap_with_chinese_names_warns_without_a_cjk_font() -> None:
    """Chinese names need a CJK font; this machine has none, so the warning is expected."""
    gaps = pd.DataFrame(
        {"manager_id": ["M1"], "name": ["林洋"], "competency": ["teamwork"], "gap": [0.3]}
    )
    if _common._installed_cjk_font() is not None:  # pragma: no cover - depends on the machine
        skill_gap_heatmap(gaps)
        return
    with pytest.warns(plots.MissingFontWarning, match="no CJK font"):
        ax = skill_gap_heatmap(gaps)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["林洋"]


def test_nine_box_places_managers_in_their_boxes() -> None:
    """Nine rectangles; each manager's name drawn inside the box of their two bands."""
    readiness = pd.DataFrame(
        {
            "manager_id": ["M1", "M2", "M3", "M4"],
            "name": ["林洋", "徐宇", "郭浩", "曹丽华"],
            "performance": ["high", "high", "low", None],
            "potential": ["high", "high", "moderate", "low"],
        }
    )
    _, ax = plt.subplots()
    if _common._installed_cjk_font() is None:
        with pytest.warns(plots.MissingFontWarning):
            assert nine_box(readiness, ax=ax) is ax
    else:  # pragma: no cover - depends on the machine
        nine_box(readiness, ax=ax)
    assert len(ax.patches) == 9
    placed = {t.get_text(): t.get_position() for t in ax.texts}
    assert placed["林洋\n徐宇"] == (2.5, 2.8)
    assert placed["郭浩"] == (0.5, 1.8)
    assert not any("曹丽华" in text for text in placed)  # no performance band: not placed
    assert placed["star"] == (2.5, 2.95) and placed["underperformer"] == (0.5, 0.95)
    assert (ax.get_xlim(), ax.get_ylim()) == ((0.0, 3.0), (0.0, 3.0))


# --- the earlier, frame-first calling forms -------------------------------------------------


def test_frame_first_ladder_calls_still_work_with_a_warning(ladder: CareerLadder) -> None:
    """skill_gaps / promotion_readiness on frames warn with the dataset-first call, same frames."""
    ratings = _ratings({"A": {"teamwork": (3.6, 3.8), "communication": (3.2, 3.2)}})
    history = _history({"A": (70, 70, 80, 80)})
    managers = pd.DataFrame(
        {"manager_id": ["A"], "level": ["junior"], "hire_date": pd.to_datetime(["2020-01-01"])}
    )
    data = _data(ratings, managers)
    with pytest.warns(FutureWarning, match=r"dataset first: skill_gaps\(dataset, ladder="):
        old_gaps = skill_gaps(ratings, managers, ladder=ladder, period="2026Q3")
    new_gaps = skill_gaps(data, ladder=ladder, period="2026Q3")
    pd.testing.assert_frame_equal(old_gaps, new_gaps)
    advice = r"dataset first: promotion_readiness\(dataset, score_history="
    with pytest.warns(FutureWarning, match=advice):
        old = promotion_readiness(history, ratings, managers, ladder=ladder, as_of=AS_OF)
    new = promotion_readiness(data, score_history=history, ladder=ladder, as_of=AS_OF)
    pd.testing.assert_frame_equal(old, new)
    assert new.loc[0, "status"] == "ready now"


def test_positional_score_history_and_catalog_still_work_with_a_warning() -> None:
    """score_history(data, periods) and recommend_training(gaps, catalog) warn, same frames."""
    from am_analytics.development import score_history

    sample = load_sample()
    with pytest.warns(FutureWarning, match=r"pass periods by keyword: score_history\(\.\.\., "):
        old = score_history(sample, ["2026Q3"])
    pd.testing.assert_frame_equal(old, score_history(sample, periods=["2026Q3"]))
    gaps = skill_gaps(sample, ladder=default_career_ladder(), period="2026Q3")
    catalog = catalog_from_training(sample.training)
    with pytest.warns(FutureWarning, match=r"pass catalog by keyword: recommend_training"):
        plan = recommend_training(gaps, catalog)
    pd.testing.assert_frame_equal(plan, recommend_training(gaps, catalog=catalog))


def test_ladder_functions_need_the_ratings_table(ladder: CareerLadder) -> None:
    """A dataset without ratings cannot be assessed: MissingTableError naming the table."""
    managers = pd.DataFrame({"manager_id": ["A"], "level": ["junior"]})
    data = Dataset(managers=managers, clients=pd.DataFrame(), sales=pd.DataFrame())
    with pytest.raises(MissingTableError, match="no ratings table"):
        skill_gaps(data, ladder=ladder, period="2026Q3")
    with pytest.raises(MissingTableError, match="no ratings table"):
        promotion_readiness(
            data, score_history=_history({"A": (1, 2, 3, 4)}), ladder=ladder, as_of=AS_OF
        )
