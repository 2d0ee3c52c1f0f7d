"""evaluate(): the evaluation as frames, on the sample and on the three required tables."""

from __future__ import annotations

import dataclasses
import multiprocessing
import re

import pandas as pd
import pytest

import am_analytics
from am_analytics import AmAnalyticsError, ConfigError, EvaluationConfig, evaluate
from am_analytics._processes import can_fork
from am_analytics.evaluation import Evaluation, _stages, default_period

SECTIONS = [
    "data_quality",
    "scores",
    "teams",
    "ratings",
    "goals",
    "segments",
    "satisfaction",
    "feedback",
    "training",
    "development",
    "summary",
]
#: Sections that need a table besides managers, clients and sales, and that table.
NEEDS = {
    "ratings": "ratings",
    "goals": "goals",
    "satisfaction": "surveys",
    "feedback": "feedback",
    "training": "training",
    "development": "ratings",
}
CONFIG = EvaluationConfig(sensitivity_draws=200, summary_size=5)


@pytest.fixture(scope="module")
def data() -> am_analytics.Dataset:
    return am_analytics.load_sample()


@pytest.fixture(scope="module")
def evaluation(data: am_analytics.Dataset) -> Evaluation:
    return evaluate(data, config=CONFIG)


@pytest.fixture(scope="module")
def core(data: am_analytics.Dataset) -> Evaluation:
    """The evaluation of a dataset with only managers, clients and sales."""
    three = am_analytics.from_frames(managers=data.managers, clients=data.clients, sales=data.sales)
    return evaluate(three, config=CONFIG)


def test_default_period_is_the_last_complete_quarter(evaluation: Evaluation) -> None:
    """as_of defaults to the last sale (2026-11-15), the period to the quarter before: 2026Q3."""
    assert evaluation.as_of == pd.Timestamp("2026-11-15")
    assert evaluation.period == pd.Period("2026Q3")
    assert evaluation.previous_period == pd.Period("2026Q2")
    assert default_period("2026-09-30") == pd.Period("2026Q3")
    assert default_period("2026-09-29") == pd.Period("2026Q2")


def test_every_section_is_present_on_the_sample(evaluation: Evaluation) -> None:
    """The sample has all nine tables, so every section has frames and a timing."""
    assert [s.name for s in evaluation.sections] == SECTIONS
    assert all(s.present and s.frames for s in evaluation.sections)
    assert list(evaluation.timings) == SECTIONS
    assert all(seconds >= 0 for seconds in evaluation.timings.values())


def test_scores_are_score_managers_of_the_period(
    data: am_analytics.Dataset, evaluation: Evaluation
) -> None:
    """The scores frame is exactly score_managers for the same period."""
    expected = am_analytics.score_managers(data, period="2026Q3")
    pd.testing.assert_frame_equal(evaluation.frames()["scores"], expected)


def test_change_is_the_difference_with_the_previous_period(
    data: am_analytics.Dataset, evaluation: Evaluation
) -> None:
    """score_change and rank_change equal the differences with 2026Q2 scored directly."""
    now = am_analytics.score_managers(data, period="2026Q3")
    before = am_analytics.score_managers(data, period="2026Q2")
    change = evaluation.frames()["score_change"]
    expected_score = (now["score"] - before["score"].reindex(now.index)).rename("score_change")
    pd.testing.assert_series_equal(change["score_change"], expected_score)
    expected_rank = before["rank"].reindex(now.index) - now["rank"]
    assert change["rank_change"].astype(float).tolist() == pytest.approx(
        expected_rank.astype(float).tolist(), nan_ok=True
    )


def test_rose_and_fell_follow_the_rank_change(evaluation: Evaluation) -> None:
    """Rose means a better (smaller) rank than before, fell a worse one; movers list both."""
    change = evaluation.frames()["score_change"]
    steps = change["rank_change"].astype(float)
    assert (steps[change["movement"] == "rose"] > 0).all()
    assert (steps[change["movement"] == "fell"] < 0).all()
    assert (steps[change["movement"] == "unchanged"] == 0).all()
    assert set(change["movement"]) >= {"rose", "fell"}
    movers = evaluation.frames()["movers"]
    rose = change[change["movement"] == "rose"]["rank_change"].astype(float)
    assert movers.index[0] == rose.idxmax()
    assert len(movers) == 10  # summary_size risers, then as many fallers


def test_rank_intervals_hold_the_rank(evaluation: Evaluation) -> None:
    """Each scored manager's rank lies in its 5-95 % interval."""
    frames = evaluation.frames()
    intervals = frames["rank_intervals"]
    rank = frames["scores"]["rank"].reindex(intervals.index).astype(float)
    assert (intervals["rank_p05"] <= rank).all() and (rank <= intervals["rank_p95"]).all()


def test_data_quality_is_the_dataset_summary(
    data: am_analytics.Dataset, evaluation: Evaluation
) -> None:
    """The data-quality frames are data.summary() and data.rejects."""
    frames = evaluation.frames()
    pd.testing.assert_frame_equal(frames["data_quality"], data.summary())
    pd.testing.assert_frame_equal(frames["rejects"], data.rejects)


def test_frames_names_every_frame(evaluation: Evaluation) -> None:
    """frames() holds every section's frames, each name once."""
    names = [name for s in evaluation.sections for name in s.frames]
    assert list(evaluation.frames()) == names
    assert len(set(names)) == len(names)
    assert {
        "scores",
        "teams",
        "goal_status",
        "portfolios",
        "readiness",
        "overdue_complaints",
    } <= set(names)


def test_teams_roll_up_the_scores(evaluation: Evaluation) -> None:
    """Managers per team and their mean score come from the scores frame."""
    frames = evaluation.frames()
    scores, teams = frames["scores"], frames["teams"]
    assert teams["managers"].sum() == len(scores)
    mean = scores.groupby("team")["score"].mean()
    assert teams["mean_score"].to_dict() == pytest.approx(mean.to_dict())


def test_manager_view_holds_that_managers_rows(evaluation: Evaluation) -> None:
    """manager(id) returns the manager's rows of every per-manager frame, and only those."""
    view = evaluation.manager("M0020")
    assert {"scores", "score_change", "clients", "goal_status", "readiness"} <= set(view)
    assert "data_quality" not in view and "teams" not in view
    assert view["scores"].index.tolist() == ["M0020"]
    clients = evaluation.frames()["clients"]
    assert len(view["clients"]) == int((clients["manager_id"] == "M0020").sum()) > 0
    assert set(view["goal_status"]["owner_id"]) == {"M0020"}
    assert set(view["skill_gaps"]["manager_id"]) == {"M0020"}


def test_manager_view_of_an_unknown_id_is_a_clear_error(evaluation: Evaluation) -> None:
    """An id not evaluated raises AmAnalyticsError naming it and suggesting close ids."""
    with pytest.raises(AmAnalyticsError, match=r"'M002' was not evaluated in 2026Q3.*did you mean"):
        evaluation.manager("M002")


def test_only_the_three_required_tables_leaves_sections_absent_with_a_reason(
    core: Evaluation,
) -> None:
    """Without the optional tables their sections are absent, each naming its table."""
    for section in core.sections:
        if section.name in NEEDS:
            assert not section.present and section.frames == {}
            assert f"the {NEEDS[section.name]} table" in (section.absent_reason or "")
        else:
            assert section.present, section.name
    assert set(core.frames()) >= {"scores", "score_change", "teams", "clients", "portfolios"}
    notes = " ".join(core.section("scores").notes)
    assert "csat_adjusted" in notes  # the criteria left out are said, not raised


def test_repr_html_escapes_names_and_scopes_its_css(data: am_analytics.Dataset) -> None:
    """A manager named <script> is shown as text; every CSS rule sits under the view's id."""
    managers = data.managers.copy()
    managers.loc[managers["manager_id"] == "M0020", "name"] = "<script>alert(1)</script>"
    renamed = dataclasses.replace(data, managers=managers)
    page = evaluate(renamed, config=CONFIG)._repr_html_()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    view_id = re.search(r'<div id="([^"]+)"', page)
    assert view_id is not None
    style = re.search(r"<style>(.*)</style>", page, flags=re.S)
    assert style is not None
    selectors = re.findall(r"([^{}]+)\{", style.group(1))
    for selector in selectors:
        for part in selector.split(","):
            assert part.strip().startswith(f"#{view_id.group(1)}"), part


def test_config_rejects_bad_values() -> None:
    """Counts below 1 and unknown languages are ConfigErrors naming the field."""
    with pytest.raises(ConfigError, match="summary_size must be a whole number"):
        EvaluationConfig(summary_size=0)
    with pytest.raises(ConfigError, match="language must be one of zh, en"):
        EvaluationConfig(language="fr")  # type: ignore[arg-type]


def test_as_of_before_the_period_is_a_config_error(data: am_analytics.Dataset) -> None:
    """Evaluating a quarter that starts after as_of says so."""
    with pytest.raises(ConfigError, match="before the period 2026Q4 starts"):
        evaluate(data, period="2026Q4", as_of="2026-09-30")


@pytest.mark.skipif(not can_fork(), reason="sections are forked on Linux only")
def test_sections_computed_side_by_side_equal_those_computed_in_turn(
    data: am_analytics.Dataset, evaluation: Evaluation
) -> None:
    """n_jobs=2 forks the independent sections: same frames, notes and reasons, same order."""
    started: list[str] = []
    side = evaluate(data, config=CONFIG, n_jobs=2, progress=started.append)
    assert sorted(started) == sorted(SECTIONS)
    assert [section.name for section in side.sections] == SECTIONS
    for alone, forked in zip(evaluation.sections, side.sections, strict=True):
        assert (forked.notes, forked.absent_reason) == (alone.notes, alone.absent_reason)
        assert list(forked.frames) == list(alone.frames)
        for name, frame in alone.frames.items():
            pd.testing.assert_frame_equal(forked.frames[name], frame, obj=name)
    assert set(side.timings) == set(SECTIONS)


@pytest.mark.skipif(not can_fork(), reason="sections are forked on Linux only")
def test_an_error_in_a_forked_section_is_raised_and_no_process_is_left(
    data: am_analytics.Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A section failing in its process fails the evaluation here; the other children stop."""

    def broken(run: object) -> None:
        raise ConfigError("the segment rules cannot place a client: fix segment_rules")

    stages = tuple(
        stage._replace(build=broken) if stage.name == "segments" else stage
        for stage in _stages.STAGES
    )
    monkeypatch.setattr(_stages, "STAGES", stages)
    with pytest.raises(ConfigError, match="cannot place a client"):
        evaluate(data, config=CONFIG, n_jobs=2)
    assert multiprocessing.active_children() == []


def test_migration_is_from_segment_clients_at_the_previous_period_end(
    data: am_analytics.Dataset, evaluation: Evaluation
) -> None:
    """The previous segments are those segment_clients gives on 2026-06-30, client by client."""
    from am_analytics.segments import migration, segment_clients

    frames = evaluation.frames()
    before = segment_clients(data, as_of="2026-06-30")
    moves = migration(before["segment"], frames["clients"]["segment"])
    pd.testing.assert_frame_equal(frames["segment_migration"], moves.counts)
    slipped = frames["slipping_clients"]
    assert len(slipped) > 0
    pd.testing.assert_series_equal(
        slipped["previous_segment"], before.loc[slipped.index, "segment"], check_names=False
    )


def test_sales_kept_as_orphans_are_evaluated_outside_the_books() -> None:
    """Sales of an unknown client and an unknown manager, kept: every section is computed.

    The unknown client is segmented (it has sales) but belongs to no manager's
    book: the portfolios count the clients table's clients only.
    """
    tables = am_analytics.generate(n_managers=20, n_clients=500, seed=3)
    sales = tables["sales"]
    orphans = sales.iloc[[5, 6]].assign(
        order_id=["X1", "X2"],
        client_id=["C-GONE", sales["client_id"].iloc[6]],
        manager_id=[sales["manager_id"].iloc[5], "M-GONE"],
    )
    tables["sales"] = pd.concat([sales, orphans], ignore_index=True)
    data = am_analytics.from_frames(**tables, as_of="2026-11-15", on_orphans="keep")
    frames = evaluate(data).frames()
    assert "C-GONE" in frames["clients"].index
    books = frames["portfolios"]
    assert books["clients"].sum() == len(tables["clients"])
