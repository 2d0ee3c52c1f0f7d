"""Tests of the synthetic data generator and its planted truths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import am_analytics
from am_analytics import sample
from am_analytics.errors import ConfigError
from am_analytics.schemas import TABLES, key_columns, references, table_model, table_schema

END = pd.Timestamp("2026-11-15")
LAST_COMPLETE = pd.Period("2026Q3", freq="Q")
CURRENT = pd.Period("2026Q4", freq="Q")
DATE_COLUMNS = {
    "managers": ["hire_date"],
    "clients": ["created_date"],
    "sales": ["order_date"],
    "surveys": ["survey_date"],
    "feedback": ["opened_at", "resolved_at"],
    "goals": ["period_start", "set_on"],
    "training": ["start_date", "end_date"],
    "opportunities": ["created_date"],
}
BIG = {"n_managers": 3000, "n_clients": 150_000}


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    """The default sample."""
    return sample.generate()


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    """The truth behind the default sample."""
    return sample.truth()


@pytest.fixture(scope="module")
def big() -> dict[str, pd.DataFrame]:
    """A larger sample (about 1.5 million sales rows) for statistical checks."""
    return sample.generate(**BIG)


@pytest.fixture(scope="module")
def big_truth() -> pd.DataFrame:
    """The truth behind the larger sample."""
    return sample.truth(**BIG)


def _as_loaded(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as the loader holds it: references categorical, ``completed`` nullable."""
    out = frame.copy()
    for column in references(table):
        out[column] = out[column].astype("category")
    if table == "training":
        out["completed"] = out["completed"].astype("boolean")
    return out


def _assert_valid(frames: dict[str, pd.DataFrame], end: pd.Timestamp) -> None:
    """Every table passes its schema, has unique sorted keys and resolvable references."""
    for table in TABLES:
        frame = frames[table]
        table_schema(table, as_of=end).validate(_as_loaded(table, frame), lazy=True)
        keys = key_columns(table)
        assert not frame.duplicated(keys).any(), table
        assert frame[keys].equals(frame.sort_values(keys)[keys].reset_index(drop=True)), table
    managers = set(frames["managers"]["manager_id"])
    clients = set(frames["clients"]["client_id"])
    for table in (
        "clients",
        "sales",
        "surveys",
        "feedback",
        "ratings",
        "training",
        "opportunities",
    ):
        assert set(frames[table]["manager_id"]) <= managers, table
        if "client_id" in frames[table] and table != "clients":
            assert set(frames[table]["client_id"]) <= clients, table
    goals = frames["goals"]
    teams = set(frames["managers"]["team"])
    by_manager = goals["owner_kind"] == "manager"
    assert set(goals.loc[by_manager, "owner_id"]) <= managers
    assert set(goals.loc[~by_manager, "owner_id"]) <= teams


def _assert_nothing_after(frames: dict[str, pd.DataFrame], end: pd.Timestamp) -> None:
    """No date after ``end`` except goals' period_end and open deals' expected_close."""
    for table, columns in DATE_COLUMNS.items():
        for column in columns:
            assert not (frames[table][column] > end).any(), (table, column)
    deals = frames["opportunities"]
    closed = deals["status"] != "open"
    assert (deals.loc[closed, "expected_close"] <= end).all()
    assert (deals.loc[~closed, "expected_close"] > end).all()
    assert (deals["expected_close"] <= end + pd.Timedelta(days=200)).all()
    goals = frames["goals"]
    assert (goals["period_end"] <= end + pd.offsets.QuarterEnd(0)).all()


def _assert_no_activity_outside_employment(
    frames: dict[str, pd.DataFrame], truth: pd.DataFrame, end: pd.Timestamp
) -> None:
    """Dated activity of a manager falls between the hire date and the day they left."""
    employment = truth.set_index("manager_id")
    hired = employment["hire_date"]
    until = employment["active_until"].fillna(pd.Timestamp.max)
    dated = {
        "sales": ("order_date", "order_date"),
        "surveys": ("survey_date", "survey_date"),
        "feedback": ("opened_at", "opened_at"),
        "training": ("start_date", "end_date"),
    }
    for table, (first, last) in dated.items():
        frame = frames[table]
        assert (frame[first] >= frame["manager_id"].map(hired)).all(), table
        assert (frame[last] < frame["manager_id"].map(until)).all(), table
    deals = frames["opportunities"]
    in_charge = deals["expected_close"].clip(upper=end)
    assert (in_charge < deals["manager_id"].map(until)).all()
    ratings = frames["ratings"]
    quarter_end = pd.PeriodIndex(ratings["period"], freq="Q").end_time.normalize()
    assert (quarter_end < ratings["manager_id"].map(until).to_numpy()).all()
    peers = ratings["rater_role"] == "peer"
    peer_until = ratings.loc[peers, "rater_id"].map(until).to_numpy()
    assert (quarter_end[peers.to_numpy()] < peer_until).all()
    goals = frames["goals"]
    personal = goals[goals["owner_kind"] == "manager"]
    assert (personal["set_on"] < personal["owner_id"].map(until)).all()
    assert (personal["period_start"] >= personal["owner_id"].map(hired)).all()


def _quarterly_log_sales(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Log of each manager's gross sales per complete quarter (managers x quarters)."""
    sales = frames["sales"]
    sales = sales[sales["amount"] > 0]
    quarter = sales["order_date"].dt.to_period("Q")
    complete = quarter <= LAST_COMPLETE
    totals = sales[complete].groupby([sales["manager_id"][complete], quarter[complete]])
    return np.log(totals["amount"].sum().unstack())


def _training_did(frames: dict[str, pd.DataFrame], truth: pd.DataFrame, category: str) -> float:
    """Mean before/after change of trained managers' log sales relative to untrained ones."""
    moved = (truth["hire_date"] >= "2024-01-01") | truth["active_until"].notna()
    # Successors of joiners and leavers see their book jump; leave them out.
    steady = truth.loc[~moved & ~truth["manager_id"].isin(truth.loc[moved, "successor_id"])]
    log_sales = _quarterly_log_sales(frames)
    log_sales = log_sales.loc[log_sales.index.isin(steady["manager_id"])]
    courses = frames["training"][frames["training"]["category"] == category]
    untrained = log_sales.index.difference(courses["manager_id"])
    relative = log_sales - log_sales.loc[untrained].mean()
    done = courses[courses["completed"] & courses["manager_id"].isin(relative.index)]
    quarter = done["end_date"].dt.to_period("Q")
    done = done[(quarter > relative.columns[0]) & (quarter < relative.columns[-1])]
    changes = []
    for manager, ended in zip(done["manager_id"], done["end_date"], strict=True):
        position = relative.columns.get_loc(ended.to_period("Q"))
        row = relative.loc[manager].to_numpy()
        changes.append(np.nanmean(row[position + 1 :]) - np.nanmean(row[:position]))
    return float(np.mean(changes))


# ---------------------------------------------------------------------------
# Determinism, shape and validity
# ---------------------------------------------------------------------------


def test_same_arguments_give_identical_frames() -> None:
    """Two runs with the same arguments and seed return identical frames."""
    first = sample.generate(n_managers=12, n_clients=300, seed=7)
    second = sample.generate(n_managers=12, n_clients=300, seed=7)
    for table in TABLES:
        pdt.assert_frame_equal(first[table], second[table])


def test_different_seeds_give_different_frames() -> None:
    """Another seed changes the data."""
    first = sample.generate(n_managers=12, n_clients=300, seed=1)
    second = sample.generate(n_managers=12, n_clients=300, seed=2)
    assert not first["sales"].equals(second["sales"])
    assert not first["managers"]["name"].equals(second["managers"]["name"])


def test_tables_have_exactly_the_canonical_columns(frames: dict[str, pd.DataFrame]) -> None:
    """Each of the nine tables has the schema's columns in the schema's order."""
    assert list(frames) == list(TABLES)
    for table in TABLES:
        assert list(frames[table].columns) == list(table_model(table).to_schema().columns)


def test_raw_frames_have_the_documented_dtypes(frames: dict[str, pd.DataFrame]) -> None:
    """Ids and texts are str, dates datetime64[ns], money float64, flags bool, revision int64."""
    assert frames["sales"]["order_id"].dtype == "str"
    assert frames["sales"]["client_id"].dtype == "str"
    assert frames["feedback"]["summary"].dtype == "str"
    assert frames["sales"]["order_date"].dtype == "datetime64[ns]"
    assert frames["feedback"]["opened_at"].dtype == "datetime64[ns]"
    assert frames["sales"]["amount"].dtype == "float64"
    assert frames["surveys"]["csat"].dtype == "float64"
    assert frames["training"]["completed"].dtype == "bool"
    assert frames["goals"]["revision"].dtype == "int64"
    assert (frames["sales"]["amount"] == frames["sales"]["amount"].round(2)).all()
    assert (frames["sales"]["order_date"] == frames["sales"]["order_date"].dt.normalize()).all()
    assert (frames["feedback"]["opened_at"].dt.second == 0).all()


def test_ids_are_zero_padded_so_they_sort(frames: dict[str, pd.DataFrame]) -> None:
    """Ids look like M0001, C000001 and SO00000001 and all of a kind have one width."""
    assert frames["managers"]["manager_id"].iloc[0] == "M0001"
    assert frames["clients"]["client_id"].iloc[0] == "C000001"
    assert frames["sales"]["order_id"].iloc[0] == "SO00000001"
    for table, column in (("managers", "manager_id"), ("sales", "order_id")):
        assert frames[table][column].str.len().nunique() == 1


def test_every_table_passes_its_schema_and_references_resolve(
    frames: dict[str, pd.DataFrame],
) -> None:
    """All rows pass the pandera rules, keys are unique and sorted, references exist."""
    _assert_valid(frames, END)


def test_nothing_is_dated_after_end(frames: dict[str, pd.DataFrame]) -> None:
    """Only goals' period_end and open deals' expected_close lie after ``end``."""
    _assert_nothing_after(frames, END)


def test_no_activity_before_hiring_or_after_leaving(
    frames: dict[str, pd.DataFrame], truth: pd.DataFrame
) -> None:
    """Orders, surveys, feedback, training, deals and ratings respect employment dates."""
    _assert_no_activity_outside_employment(frames, truth, END)


def test_orders_come_after_the_client_was_created(frames: dict[str, pd.DataFrame]) -> None:
    """No client orders before its created_date."""
    created = frames["clients"].set_index("client_id")["created_date"]
    sales = frames["sales"]
    assert (sales["order_date"] >= sales["client_id"].map(created)).all()


@settings(
    max_examples=8, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    n_managers=st.integers(5, 30),
    extra_clients=st.integers(0, 400),
    start=st.dates(pd.Timestamp("1995-01-01").date(), pd.Timestamp("2030-01-01").date()),
    days=st.integers(sample.MIN_SPAN_DAYS, 1500),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_valid_arguments_give_valid_tables(
    n_managers: int, extra_clients: int, start: object, days: int, seed: int
) -> None:
    """Small organisations over any span keep every invariant."""
    first = pd.Timestamp(start)
    end = first + pd.Timedelta(days=days)
    arguments = {
        "n_managers": n_managers,
        "n_clients": n_managers + extra_clients,
        "start": first,
        "end": end,
        "seed": seed,
    }
    frames = sample.generate(**arguments)
    _assert_valid(frames, end)
    _assert_nothing_after(frames, end)
    _assert_no_activity_outside_employment(frames, sample.truth(**arguments), end)


def test_larger_sample_keeps_every_invariant() -> None:
    """200 managers and 20,000 clients over another span are as valid as the default."""
    arguments = {
        "n_managers": 200,
        "n_clients": 20_000,
        "start": "2021-04-01",
        "end": "2023-08-20",
        "seed": 11,
    }
    frames = sample.generate(**arguments)
    end = pd.Timestamp("2023-08-20")
    _assert_valid(frames, end)
    _assert_nothing_after(frames, end)
    _assert_no_activity_outside_employment(frames, sample.truth(**arguments), end)
    assert len(frames["sales"]) > 150_000


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"n_managers": 4}, "n_managers must be an integer >= 5"),
        ({"n_managers": True}, "n_managers must be an integer"),
        ({"n_managers": 10, "n_clients": 9}, "n_clients must be an integer >= n_managers"),
        ({"start": "2026-01-01", "end": "2025-01-01"}, "must be before end"),
        ({"start": "2026-01-01", "end": "2026-03-01"}, "shorter than 180 days"),
        ({"start": "not a date"}, "start must be a date"),
        ({"end": "2026-13-45"}, "end must be a date"),
        ({"start": "1980-01-01"}, "start must be on or after 1990-01-01"),
        ({"seed": -1}, "seed must be an integer >= 0"),
    ],
)
def test_invalid_arguments_raise_config_error(arguments: dict[str, object], message: str) -> None:
    """Bad counts, dates or seeds raise ConfigError saying what is wrong."""
    with pytest.raises(ConfigError, match=message):
        sample.generate(**arguments)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Managers, clients and sales
# ---------------------------------------------------------------------------


def test_managers_form_regional_teams_with_chinese_names(frames: dict[str, pd.DataFrame]) -> None:
    """Five teams of eight for 40 managers, each team in one region, names in Chinese."""
    managers = frames["managers"]
    assert sorted(managers["team"].unique()) == sorted(
        ["华东一组", "华东二组", "华北组", "华南组", "西南组"]
    )
    assert (managers.groupby("team").size() == 8).all()
    assert (managers.groupby("team")["region"].nunique() == 1).all()
    assert managers["name"].str.fullmatch(r"[\u4e00-\u9fff]{2,3}").all()
    assert set(managers["level"]) <= set(sample.LEVELS)
    assert set(managers["status"]) == {"active", "left", "on_leave"}


def test_levels_rise_with_tenure(frames: dict[str, pd.DataFrame]) -> None:
    """Senior levels have, on average, been hired earlier."""
    managers = frames["managers"]
    rank = managers["level"].map({level: i for i, level in enumerate(sample.LEVELS)})
    tenure = (END - managers["hire_date"]).dt.days
    assert rank.corr(tenure, method="spearman") > 0.4


def test_leavers_clients_belong_to_their_successor(
    frames: dict[str, pd.DataFrame], truth: pd.DataFrame
) -> None:
    """No client is owned by a manager who left; their orders went to the successor."""
    left = truth.loc[truth["status"] == "left"]
    assert len(left) >= 1
    assert not frames["clients"]["manager_id"].isin(left["manager_id"]).any()
    sales = frames["sales"]
    assert (
        sales["manager_id"]
        != sales["client_id"].map(frames["clients"].set_index("client_id")["manager_id"])
    ).any()


def test_new_and_churned_clients_exist(frames: dict[str, pd.DataFrame]) -> None:
    """About a quarter of clients are created during the span; some stop ordering early."""
    clients = frames["clients"]
    new_share = (clients["created_date"] >= "2024-01-01").mean()
    assert abs(new_share - sample.NEW_CLIENT_SHARE) < 0.05
    sales = frames["sales"]
    orders = sales[sales["amount"] > 0].groupby("client_id")["order_date"].agg(["max", "size"])
    regular = orders[orders["size"] >= 5]
    assert ((END - regular["max"]).dt.days > 270).mean() > 0.05


def test_top_fifth_of_clients_hold_most_of_the_revenue(frames: dict[str, pd.DataFrame]) -> None:
    """The top 20% of clients by net revenue make 65-90% of it (a Pareto tail)."""
    net = frames["sales"].groupby("client_id")["amount"].sum()
    net = net.reindex(frames["clients"]["client_id"], fill_value=0.0).sort_values(ascending=False)
    share = net.iloc[: len(net) // 5].sum() / net.sum()
    assert 0.65 < share < 0.90


def test_about_ten_orders_per_client(frames: dict[str, pd.DataFrame]) -> None:
    """The default sample has about 20,000 sales rows, heavily skewed across clients."""
    sales = frames["sales"]
    assert 16_000 < len(sales) < 24_000
    per_client = sales.groupby("client_id").size()
    assert per_client.max() > 10 * per_client.median()


def test_quarter_ends_have_higher_daily_revenue(big: dict[str, pd.DataFrame]) -> None:
    """The last three weeks of a quarter sell more per day than the rest."""
    daily = big["sales"].groupby("order_date")["amount"].sum()
    daily = daily.reindex(pd.date_range("2024-01-01", END), fill_value=0.0)
    days_left = (daily.index.to_period("Q").end_time.normalize() - daily.index).days
    quarter_end = days_left < sample.QUARTER_END_DAYS
    assert daily[quarter_end].mean() > 1.4 * daily[~quarter_end].mean()


@pytest.mark.parametrize("new_year", ["2024-02-10", "2025-01-29", "2026-02-17"])
def test_chinese_new_year_dip(big: dict[str, pd.DataFrame], new_year: str) -> None:
    """The two weeks after Chinese New Year sell less per day than the weeks around them."""
    daily = big["sales"].groupby("order_date")["amount"].sum()
    daily = daily.reindex(pd.date_range("2023-12-01", END), fill_value=0.0)
    offset = (daily.index - pd.Timestamp(new_year)).days
    days_left = (daily.index.to_period("Q").end_time.normalize() - daily.index).days
    after = (offset >= 0) & (offset < 14)
    around = ((offset >= -35) & (offset < -7) | (offset >= 14) & (offset < 42)) & (
        days_left >= sample.QUARTER_END_DAYS
    )
    assert daily[after].mean() < 0.6 * daily[around].mean()


def test_refunds_follow_an_earlier_purchase(frames: dict[str, pd.DataFrame]) -> None:
    """2-3% refunds: negative rows after a same-client, same-manager order at least as big."""
    sales = frames["sales"]
    refunds = sales[sales["amount"] < 0]
    assert 0.015 < len(refunds) / len(sales) < 0.035
    purchases = sales[sales["amount"] > 0]
    pairs = refunds.merge(purchases, on=["client_id", "manager_id"], suffixes=("", "_order"))
    pairs = pairs[
        (pairs["order_date_order"] < pairs["order_date"])
        & (pairs["amount_order"] >= -pairs["amount"])
        & (pairs["order_id_order"] < pairs["order_id"])
    ]
    assert set(pairs["order_id"]) == set(refunds["order_id"])


def test_products_and_channels_come_from_the_catalogue(frames: dict[str, pd.DataFrame]) -> None:
    """Every sale names one of the products and channels, and all of them occur."""
    assert set(frames["sales"]["product"]) == set(sample.PRODUCTS)
    assert set(frames["sales"]["channel"]) == set(sample.CHANNELS)


# ---------------------------------------------------------------------------
# Surveys and feedback
# ---------------------------------------------------------------------------


def test_surveys_track_service_quality(
    frames: dict[str, pd.DataFrame], truth: pd.DataFrame
) -> None:
    """Managers with better true service quality get higher mean CSAT and NPS."""
    service = truth.set_index("manager_id")["service_quality"]
    means = frames["surveys"].groupby("manager_id")[["csat", "nps"]].mean()
    assert means["csat"].corr(service.reindex(means.index)) > 0.6
    assert means["nps"].corr(service.reindex(means.index)) > 0.6


def test_some_responses_have_only_one_score(frames: dict[str, pd.DataFrame]) -> None:
    """Some responses lack an NPS, some a CSAT, none both."""
    surveys = frames["surveys"]
    assert surveys["csat"].isna().any() and surveys["nps"].isna().any()
    assert (surveys["csat"].notna() | surveys["nps"].notna()).all()


def test_complaints_per_client_fall_with_service_quality(
    frames: dict[str, pd.DataFrame], truth: pd.DataFrame
) -> None:
    """Managers with better service draw fewer complaints per client they own."""
    feedback = frames["feedback"]
    complaints = feedback[feedback["kind"] == "complaint"].groupby("manager_id").size()
    owned = frames["clients"].groupby("manager_id").size()
    rate = complaints.reindex(owned.index, fill_value=0) / owned
    service = truth.set_index("manager_id")["service_quality"].reindex(rate.index)
    assert rate.corr(service, method="spearman") < -0.4


def test_feedback_breaches_slas_and_recent_items_stay_open(
    frames: dict[str, pd.DataFrame],
) -> None:
    """Some complaints take longer than their SLA; some recent feedback is unresolved."""
    feedback = frames["feedback"]
    complaints = feedback[(feedback["kind"] == "complaint") & feedback["resolved_at"].notna()]
    hours = (complaints["resolved_at"] - complaints["opened_at"]).dt.total_seconds() / 3600
    limit = complaints["severity"].map(sample.SLA_HOURS)
    assert 0.03 < (hours > limit).mean() < 0.5
    open_items = feedback[feedback["resolved_at"].isna()]
    assert len(open_items) > 0
    assert (open_items["opened_at"] > END - pd.Timedelta(days=60)).mean() > 0.8
    assert set(feedback["kind"]) == {"complaint", "suggestion", "praise"}
    assert feedback.loc[feedback["kind"] == "praise", "severity"].isna().all()


# ---------------------------------------------------------------------------
# Ratings
# ---------------------------------------------------------------------------


def test_self_ratings_are_above_supervisor_ratings(frames: dict[str, pd.DataFrame]) -> None:
    """Self raters are lenient: their mean score exceeds the supervisors' clearly."""
    mean = frames["ratings"].groupby("rater_role")["score"].mean()
    assert mean["self"] > mean["supervisor"] + 0.2
    assert set(mean.index) == {"supervisor", "peer", "self", "client"}


def test_ratings_cover_each_complete_quarter_with_every_role(
    frames: dict[str, pd.DataFrame],
) -> None:
    """Quarters 2024Q1..2026Q3; each rated manager-quarter has supervisor, self and 2-4 peers."""
    ratings = frames["ratings"]
    assert sorted(ratings["period"].unique())[0] == "2024Q1"
    assert sorted(ratings["period"].unique())[-1] == str(LAST_COMPLETE)
    raters = ratings.drop_duplicates(["manager_id", "period", "rater_id"])
    roles = (
        raters.groupby(["manager_id", "period"])["rater_role"].value_counts().unstack(fill_value=0)
    )
    assert (roles["supervisor"] == 1).all() and (roles["self"] == 1).all()
    assert roles["peer"].between(1, 4).all() and roles["peer"].median() >= 2
    assert set(ratings["competency"]) == set(sample.COMPETENCIES)
    supervisors = raters[raters["rater_role"] == "supervisor"]["rater_id"]
    assert supervisors.str.fullmatch(r"S-\d+").all()


def test_ratings_follow_true_competencies(
    frames: dict[str, pd.DataFrame], truth: pd.DataFrame
) -> None:
    """Supervisor scores per manager and competency correlate with the true competency."""
    ratings = frames["ratings"]
    supervisor = ratings[ratings["rater_role"] == "supervisor"]
    mean = supervisor.groupby(["manager_id", "competency"])["score"].mean().unstack()
    true = truth.set_index("manager_id")[list(mean.columns)].reindex(mean.index)
    assert np.corrcoef(mean.to_numpy().ravel(), true.to_numpy().ravel())[0, 1] > 0.5


def test_truth_documents_leniency_and_competencies(
    frames: dict[str, pd.DataFrame], truth: pd.DataFrame
) -> None:
    """The truth frame has one row per manager with latent values and leniencies."""
    managers = frames["managers"]
    for column in ("manager_id", "team", "status", "hire_date"):
        pdt.assert_series_equal(truth[column], managers[column])
    for column in ("skill", "service_quality", *sample.COMPETENCIES, "training_multiplier"):
        assert truth[column].notna().all()
    assert truth["self_leniency"].mean() > truth["supervisor_leniency"].mean() + 0.2
    competencies = truth[list(sample.COMPETENCIES)].to_numpy()
    assert ((competencies >= 1) & (competencies <= 5)).all()


# ---------------------------------------------------------------------------
# Goals
# ---------------------------------------------------------------------------


def test_every_active_manager_has_a_current_quarter_sales_goal(
    frames: dict[str, pd.DataFrame],
) -> None:
    """Managers still employed (active or on leave) have a sales goal for 2026Q4."""
    goals = frames["goals"]
    current = goals[
        (goals["metric"] == "sales_amount")
        & (goals["owner_kind"] == "manager")
        & (goals["period_start"] == CURRENT.start_time)
        & (goals["revision"] == 1)
    ]
    employed = frames["managers"].loc[frames["managers"]["status"] != "left", "manager_id"]
    assert set(employed) <= set(current["owner_id"])
    assert (current["period_end"] == pd.Timestamp("2026-12-31")).all()
    assert (current["set_on"] < CURRENT.start_time).all()


def test_team_targets_sum_member_targets_except_the_planted_stretch(
    frames: dict[str, pd.DataFrame],
) -> None:
    """Team targets are the members' revision-1 sum, but the first team's in 2026Q3 (x1.10)."""
    goals = frames["goals"]
    sales_goals = goals[(goals["metric"] == "sales_amount") & (goals["revision"] == 1)]
    members = sales_goals[sales_goals["owner_kind"] == "manager"]
    team_of = frames["managers"].set_index("manager_id")["team"]
    summed = members.groupby([members["owner_id"].map(team_of), "period_start"])["target"].sum()
    teams = sales_goals[sales_goals["owner_kind"] == "team"].set_index(["owner_id", "period_start"])
    ratio = teams["target"] / summed.reindex(teams.index)
    mismatched = ratio[(ratio - 1).abs() > 1e-9]
    first_team = team_of.iloc[0]
    assert list(mismatched.index) == [(first_team, LAST_COMPLETE.start_time)]
    assert abs(mismatched.iloc[0] - sample.TEAM_TARGET_STRETCH) < 0.01
    assert teams.loc[(first_team, LAST_COMPLETE.start_time), "reason"] == (
        sample.TEAM_STRETCH_REASON
    )


def test_goal_revisions_add_a_row_mid_quarter(frames: dict[str, pd.DataFrame]) -> None:
    """Revision 2 rows keep their revision-1 row, change the target and give a reason."""
    goals = frames["goals"]
    second = goals[goals["revision"] == 2]
    assert len(second) >= 1
    first = goals[goals["revision"] == 1].set_index("goal_id").loc[second["goal_id"]]
    assert (first["target"].to_numpy() != second["target"].to_numpy()).all()
    assert second["reason"].isin(list(sample.REVISION_REASONS)).all()
    assert (second["set_on"] > second["period_start"]).all()
    assert (second["set_on"] < second["period_end"]).all()


def test_attainment_varies_around_target(frames: dict[str, pd.DataFrame]) -> None:
    """In complete quarters the median manager attains about 100%, some more, some less."""
    goals = frames["goals"]
    goals = goals[
        (goals["metric"] == "sales_amount")
        & (goals["owner_kind"] == "manager")
        & (goals["revision"] == 1)
        & (goals["period_end"] <= LAST_COMPLETE.end_time)
    ]
    sales = frames["sales"]
    actual = sales.groupby(["manager_id", sales["order_date"].dt.to_period("Q")])["amount"].sum()
    keys = pd.MultiIndex.from_arrays([goals["owner_id"], goals["period_start"].dt.to_period("Q")])
    attainment = actual.reindex(keys).fillna(0.0).to_numpy() / goals["target"].to_numpy()
    assert 0.85 < np.median(attainment) < 1.3
    assert (attainment < 0.9).mean() > 0.15 and (attainment > 1.1).mean() > 0.15


def test_other_metrics_have_goals(frames: dict[str, pd.DataFrame]) -> None:
    """Some managers have new_clients and csat_mean goals with plausible targets."""
    goals = frames["goals"]
    assert set(goals["metric"]) == {"sales_amount", "new_clients", "csat_mean"}
    assert goals.loc[goals["metric"] == "csat_mean", "target"].between(1, 5).all()
    new_clients = goals.loc[goals["metric"] == "new_clients", "target"]
    assert (new_clients == new_clients.round()).all() and (new_clients >= 1).all()


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------


def test_training_records_are_plausible(frames: dict[str, pd.DataFrame]) -> None:
    """Courses last 1-5 days, most are completed, scores only for completed ones."""
    training = frames["training"]
    days = (training["end_date"] - training["start_date"]).dt.days
    assert days.between(1, 5).all()
    assert 0.75 < training["completed"].mean() < 1.0
    assert training.loc[~training["completed"], "assessment_score"].isna().all()
    assert training.loc[training["completed"], "assessment_score"].between(0, 100).all()
    assert set(training["course_id"]) <= {course[0] for course in sample.COURSES}
    assert set(training["category"]) == set(sample.TRAINING_EFFECTS)


def test_truth_multiplier_compounds_completed_courses(
    frames: dict[str, pd.DataFrame], truth: pd.DataFrame
) -> None:
    """training_multiplier is the product of 1 + effect over each manager's completed courses."""
    training = frames["training"]
    done = training[training["completed"] & (training["end_date"] < END)]
    lift = np.log1p(done["category"].map(sample.TRAINING_EFFECTS)).groupby(done["manager_id"]).sum()
    expected = np.exp(lift.reindex(truth["manager_id"], fill_value=0.0)).to_numpy()
    np.testing.assert_allclose(truth["training_multiplier"].to_numpy(), expected)


def test_training_effect_is_recovered_by_difference_in_differences(
    big: dict[str, pd.DataFrame], big_truth: pd.DataFrame
) -> None:
    """sales_skills lifts sales by about log(1.15); compliance leaves them unchanged."""
    planted = np.log1p(sample.TRAINING_EFFECTS["sales_skills"])
    assert abs(_training_did(big, big_truth, "sales_skills") - planted) < 0.05
    assert abs(_training_did(big, big_truth, "compliance")) < 0.05


def test_some_managers_get_no_training_of_a_category(frames: dict[str, pd.DataFrame]) -> None:
    """For each category a substantial share of managers is untrained (the controls)."""
    training = frames["training"]
    for category in sample.TRAINING_EFFECTS:
        trained = training.loc[training["category"] == category, "manager_id"].nunique()
        assert 0.2 < 1 - trained / 40 < 0.9, category


# ---------------------------------------------------------------------------
# Opportunities
# ---------------------------------------------------------------------------


def test_opportunities_have_consistent_status_stage_and_probability(
    frames: dict[str, pd.DataFrame],
) -> None:
    """Open deals sit at an open stage; won ones have probability 1 and lost ones 0."""
    deals = frames["opportunities"]
    assert set(deals["status"]) == {"open", "won", "lost"}
    open_deals = deals[deals["status"] == "open"]
    assert open_deals["stage"].isin(sample.OPEN_STAGES).all()
    assert (open_deals["probability"] == open_deals["stage"].map(sample.STAGE_PROBABILITIES)).all()
    assert open_deals["probability"].between(0, 1, inclusive="neither").all()
    won = deals[deals["status"] == "won"]
    assert (won["stage"] == "赢单").all() and (won["probability"] == 1.0).all()
    lost = deals[deals["status"] == "lost"]
    assert (lost["stage"] == "输单").all() and (lost["probability"] == 0.0).all()
    assert (deals["expected_close"] >= deals["created_date"]).all()


# ---------------------------------------------------------------------------
# Writing files
# ---------------------------------------------------------------------------


def test_write_sample_csv_reads_back_identical(tmp_path: Path) -> None:
    """CSV files are UTF-8 with ISO dates, and floats and datetimes read back exactly."""
    frames = sample.generate(n_managers=6, n_clients=120, seed=3)
    paths = sample.write_sample(frames, tmp_path / "out")
    assert [path.name for path in paths] == [f"{table}.csv" for table in TABLES]
    text = (tmp_path / "out" / "feedback.csv").read_text(encoding="utf-8")
    assert frames["feedback"]["opened_at"].iloc[0].strftime("%Y-%m-%d %H:%M:%S") in text
    first_sale = (tmp_path / "out" / "sales.csv").read_text(encoding="utf-8").splitlines()[1]
    assert frames["sales"]["order_date"].iloc[0].strftime("%Y-%m-%d,") in first_sale
    assert "00:00:00" not in first_sale
    for table in ("sales", "feedback", "surveys", "training", "goals"):
        frame = frames[table]
        dates = [c for c in frame.columns if frame[c].dtype == "datetime64[ns]"]
        text_columns = [c for c in frame.columns if frame[c].dtype == "str"]
        back = pd.read_csv(
            tmp_path / "out" / f"{table}.csv",
            dtype=dict.fromkeys(text_columns, "str"),
            parse_dates=dates,
        )
        for column in dates:
            back[column] = back[column].astype("datetime64[ns]")
        pdt.assert_frame_equal(back, frame)


def test_write_sample_parquet_reads_back_identical(tmp_path: Path) -> None:
    """Parquet files read back as the same frames."""
    frames = sample.generate(n_managers=6, n_clients=120, seed=3)
    sample.write_sample(frames, tmp_path, format="parquet")
    for table in TABLES:
        pdt.assert_frame_equal(pd.read_parquet(tmp_path / f"{table}.parquet"), frames[table])


def test_write_sample_rejects_unknown_formats(tmp_path: Path) -> None:
    """An unknown format raises ConfigError before anything is written."""
    with pytest.raises(ConfigError, match="unknown table file format 'xlsx'"):
        sample.write_sample({}, tmp_path / "never", format="xlsx")
    assert not (tmp_path / "never").exists()


def test_committed_sample_is_generate_seed_0(tmp_path: Path) -> None:
    """data/sample is byte for byte what write_sample(generate(seed=0)) writes."""
    committed = Path(__file__).parents[2] / "data" / "sample"
    sample.write_sample(sample.generate(seed=0), tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert sorted(p.name for p in committed.iterdir()) == written
    for name in written:
        assert (committed / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_load_sample_equals_the_validated_generator_output() -> None:
    """load_sample() is clean and equals from_frames(generate(seed=0)) table by table."""
    loaded = am_analytics.load_sample()
    assert loaded.is_clean
    expected = am_analytics.from_frames(as_of=sample.SAMPLE_AS_OF, **sample.generate(seed=0))
    for name, frame in expected.tables():
        pd.testing.assert_frame_equal(loaded.table(name), frame)


def test_load_sample_names_its_options() -> None:
    """as_of, on_orphans and rules are named keywords; as_of used to clash with the default."""
    import inspect

    parameters = inspect.signature(am_analytics.load_sample).parameters
    assert list(parameters) == ["as_of", "on_orphans", "rules"]
    assert all(p.kind is p.KEYWORD_ONLY for p in parameters.values())
    earlier = am_analytics.load_sample(as_of="2026-10-01")
    assert earlier.as_of == pd.Timestamp("2026-10-01")
    assert len(earlier.managers) == 40
