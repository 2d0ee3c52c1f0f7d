"""The sales aggregations on a Dask cluster equal the pandas path and bring back aggregates only."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

import am_analytics
from am_analytics import Dataset
from am_analytics._engines import import_dask, is_dask_frame, require_pandas_sales
from am_analytics.errors import ConfigError
from am_analytics.evaluation import evaluate
from am_analytics.goals import attainment
from am_analytics.goals._actuals import owner_actuals
from am_analytics.metrics import manager_metrics
from am_analytics.metrics._registry import Metric
from am_analytics.segments import client_features, rfm_summary

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

AS_OF = "2026-11-15"
#: A quarter after a year boundary (its previous quarter is last year's), the
#: quarter in progress (cut at as_of), and the last month of a year.
PERIODS = ("2026Q1", "2026Q4", "2025-12")


def _planted_tables() -> dict[str, pd.DataFrame]:
    """Generated tables (2025-04 to 2026-11) with clients without sales and orphan sales.

    The first 60 clients lose their sales; two sales name an unknown manager and
    an unknown client (kept as orphans); one order id is repeated with another
    amount (rejected by validation, as the pandas engine rejects it).
    """
    tables = am_analytics.generate(n_managers=40, n_clients=2000, start="2025-04-01", seed=3)
    sales = tables["sales"]
    quiet = set(tables["clients"]["client_id"].iloc[:60])
    sales = sales[~sales["client_id"].isin(quiet)].reset_index(drop=True)
    orphans = sales.iloc[[10, 20]].copy()
    orphans["order_id"] = ["SO-ORPHAN-1", "SO-ORPHAN-2"]
    orphans["manager_id"] = ["M-GONE", orphans["manager_id"].iloc[1]]
    orphans["client_id"] = [orphans["client_id"].iloc[0], "C-GONE"]
    repeated = sales.iloc[[30]].assign(amount=1.0)
    tables["sales"] = pd.concat([sales, orphans, repeated], ignore_index=True)
    return tables


@pytest.fixture(scope="module")
def data() -> Dataset:
    """The planted organisation, validated by the pandas engine, orphans kept."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the orphan and duplicate warnings are not under test
        return am_analytics.from_frames(**_planted_tables(), as_of=AS_OF, on_orphans="keep")


def _by_month(sales: pd.DataFrame) -> Any:
    """The sales as a Dask frame with one partition per calendar month."""
    month = sales["order_date"].dt.to_period("M")
    parts = [sales[month == m] for m in sorted(month.unique())]
    return dd.concat([dd.from_pandas(part, npartitions=1) for part in parts])


def _shuffled(sales: pd.DataFrame) -> Any:
    """The sales as a Dask frame of 7 partitions of randomly chosen rows."""
    rows = np.random.default_rng(7).permutation(len(sales))
    return dd.from_pandas(sales.iloc[rows].reset_index(drop=True), npartitions=7, sort=False)


@pytest.fixture(scope="module", params=[_by_month, _shuffled], ids=["by_month", "random"])
def on_cluster(request: pytest.FixtureRequest, data: Dataset, dask_client: Any) -> Dataset:
    """The same dataset with its sales as a Dask frame, partitioned by month or at random.

    The partitions are persisted on the workers first, as if the workers had read
    them: each computation then ships its tasks, not the sales, to the cluster.
    """
    split: Callable[[pd.DataFrame], Any] = request.param
    sales = dask_client.persist(split(data.sales))
    distributed.wait(sales)
    return dataclasses.replace(data, sales=sales)


@pytest.fixture(scope="module")
def randomly_split(data: Dataset, dask_client: Any) -> Dataset:
    """The dataset with its sales in 7 random partitions on the workers."""
    sales = dask_client.persist(_shuffled(data.sales))
    distributed.wait(sales)
    return dataclasses.replace(data, sales=sales)


@pytest.fixture
def gathered(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every result brought to the driver, recorded; any other way to the rows fails the test."""
    results: list[Any] = []
    compute = dask.compute

    def recording_compute(*collections: Any, **kwargs: Any) -> tuple[Any, ...]:
        out = compute(*collections, **kwargs)
        results.extend(out)
        return out

    def refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a Dask collection was computed outside gather_aggregates")

    monkeypatch.setattr(dask, "compute", recording_compute)
    frame_base = type(dd.from_pandas(pd.DataFrame({"a": [1]}), npartitions=1)).__mro__[1]
    monkeypatch.setattr(frame_base, "compute", refuse)
    monkeypatch.setattr(frame_base, "persist", refuse)
    yield results


def _assert_only_aggregates(results: list[Any], data: Dataset) -> None:
    """No gathered result is sales rows: none has a sales-only column or more rows than keys."""
    sales = data.sales
    assert results, "nothing was computed on the cluster"
    # the most keys an aggregate here can have: (manager, day) or (manager, client) pairs
    days = sales["order_date"].dt.normalize()
    bound = max(
        len(pd.MultiIndex.from_arrays([sales["manager_id"], days]).unique()),
        len(pd.MultiIndex.from_arrays([sales["manager_id"], sales["client_id"]]).unique()),
    )
    for result in results:
        if isinstance(result, pd.DataFrame | pd.Series):
            columns = set(result.columns) if isinstance(result, pd.DataFrame) else {result.name}
            assert not columns & {"order_id", "product", "channel", "order_date", "amount"}
            assert len(result) <= bound < len(sales)


@pytest.mark.parametrize("period", PERIODS)
def test_manager_metrics_equal_pandas(on_cluster: Dataset, data: Dataset, period: str) -> None:
    """Every registered metric (sales, feedback, goals, ratings) equals the pandas path's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the same skipped-metric warnings on both paths
        expected = manager_metrics(data, period=period)
        got = manager_metrics(on_cluster, period=period)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-9)
    assert {"sales_amount", "new_clients", "client_retention", "goal_attainment"} <= set(got)


def test_client_features_equal_pandas(on_cluster: Dataset, data: Dataset) -> None:
    """client_features equals pandas, whole history and a one-year window, in the clients' order."""
    for window in (None, "365D"):
        expected = client_features(data.sales, as_of=AS_OF, window=window)
        got = client_features(on_cluster.sales, as_of=AS_OF, window=window)
        pd.testing.assert_frame_equal(got, expected, rtol=1e-9)
    quiet = data.clients["client_id"].iloc[:60].astype(str)
    assert not got.index.isin(quiet).any()
    assert (got["refund_share"] > 0).any()  # refunds were read


def test_rfm_summary_equal_pandas(on_cluster: Dataset, data: Dataset) -> None:
    """rfm_summary equals pandas in days and in weeks, for an as-of inside the history too."""
    for as_of, unit in ((AS_OF, "D"), ("2025-06-30", "W")):
        expected = rfm_summary(data.sales, as_of=as_of, time_unit=unit)
        got = rfm_summary(on_cluster.sales, as_of=as_of, time_unit=unit)
        pd.testing.assert_frame_equal(got, expected, rtol=1e-9)


def test_goal_actuals_equal_pandas(on_cluster: Dataset, data: Dataset) -> None:
    """attainment (actuals to date, seasonal expectations, projections) equals the pandas path."""
    expected = attainment(data, as_of=AS_OF)
    got = attainment(on_cluster, as_of=AS_OF)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-9)
    assert got["metric"].isin(["sales_amount"]).any()


def test_owner_actuals_of_window_metrics_equal_pandas(on_cluster: Dataset, data: Dataset) -> None:
    """Running totals (new clients, order means) and per-window metrics, for managers, a team
    and an unknown owner (attainment covers sales_amount)."""
    team = str(data.managers["team"].iloc[0])
    queries = pd.DataFrame(
        [
            {"owner_id": owner, "owner_kind": kind, "metric": metric,
             "start": pd.Timestamp(start), "end": pd.Timestamp(end)}
            for metric in ("new_clients", "avg_order_value", "active_clients", "client_retention")
            for owner, kind in (("M0001", "manager"), (team, "team"), ("M-NOBODY", "manager"))
            for start, end in (("2025-12-15", "2026-01-20"), ("2026-10-01", "2026-12-31"))
        ]
    )  # fmt: skip
    expected = owner_actuals(queries, data)
    got = owner_actuals(queries, on_cluster)
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    assert np.isnan(got[queries["owner_id"].eq("M-NOBODY").to_numpy()]).all()


def test_only_aggregates_reach_the_driver(
    randomly_split: Dataset, data: Dataset, gathered: list[Any]
) -> None:
    """The four entries compute on the cluster and gather per-manager/client/day frames only.

    Every Dask path brings data back through ``gather_aggregates`` (``dask.compute``),
    so recording what ``dask.compute`` returns shows everything that reached the
    driver; ``compute``/``persist`` on a collection are made to fail, so no other
    path can hide. Each result must lack the row-level columns and have no more rows
    than the distinct (manager, day) or (manager, client) keys: fewer than the sales.
    """
    manager_metrics(randomly_split, period="2026Q1")
    client_features(randomly_split.sales, as_of=AS_OF)
    rfm_summary(randomly_split.sales, as_of=AS_OF)
    attainment(randomly_split, as_of=AS_OF)
    _assert_only_aggregates(gathered, data)


def test_new_clients_split_over_partitions_known_answer(dask_client: Any) -> None:
    """A client's first day split over two partitions: every manager of that day counts it.

    C1's first order is on 2 July: M1 at 10:00 (partition A), M2 at 09:00
    (partition B); M3's order on 3 July (A) is not on the first day, and a
    refund on 1 July (B) is not an order. C2 ordered in June (B), so it is not
    new in the third quarter though M3 sells to it in July (A).
    """
    managers = pd.DataFrame({"manager_id": ["M1", "M2", "M3"], "name": ["a", "b", "c"]})
    clients = pd.DataFrame({"client_id": ["C1", "C2"], "manager_id": ["M1", "M3"]})
    rows = [
        ("S1", "C1", "M1", "2026-07-02 10:00", 100.0),
        ("S2", "C1", "M3", "2026-07-03", 50.0),
        ("S3", "C2", "M3", "2026-07-04", 20.0),
        ("S4", "C1", "M2", "2026-07-02 09:00", 80.0),
        ("S5", "C1", "M3", "2026-07-01", -10.0),
        ("S6", "C2", "M3", "2026-06-20", 30.0),
    ]
    columns = ["order_id", "client_id", "manager_id", "order_date", "amount"]
    sales = pd.DataFrame(rows, columns=columns).assign(
        order_date=lambda f: pd.to_datetime(f["order_date"], format="ISO8601")
    )
    data = am_analytics.from_frames(managers=managers, clients=clients, sales=sales)
    split = dd.concat(
        [dd.from_pandas(part, npartitions=1) for part in (data.sales.iloc[:3], data.sales.iloc[3:])]
    )
    on_cluster = dataclasses.replace(data, sales=split)
    names = ["new_clients", "active_clients", "client_retention"]
    got = manager_metrics(on_cluster, period="2026Q3", metrics=names)
    assert got["new_clients"].tolist() == [1.0, 1.0, 0.0]
    assert got["active_clients"].tolist() == [1.0, 1.0, 2.0]
    pd.testing.assert_frame_equal(got, manager_metrics(data, period="2026Q3", metrics=names))


@pytest.fixture(scope="module")
def validated() -> Dataset:
    """The planted organisation as the evaluation reads it: orphan sales rejected."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the orphan and duplicate warnings are not under test
        return am_analytics.from_frames(**_planted_tables(), as_of=AS_OF)


def test_evaluation_equals_pandas(validated: Dataset, dask_client: Any) -> None:
    """evaluate() with Dask sales (by month) gives the pandas evaluation, frame by frame.

    With no period or as_of given, the last sale date and the quarter come from
    the cluster too.
    """
    sales = dask_client.persist(_by_month(validated.sales))
    on_cluster = dataclasses.replace(validated, sales=sales)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the same warnings on both paths, not under test
        expected = evaluate(validated)
        got = evaluate(on_cluster, n_jobs=-1)  # one job with Dask sales: no forked children
    assert (got.period, got.as_of) == (expected.period, expected.as_of)
    expected_frames, got_frames = expected.frames(), got.frames()
    assert list(got_frames) == list(expected_frames)
    for name, frame in expected_frames.items():
        pd.testing.assert_frame_equal(got_frames[name], frame, rtol=1e-9, obj=name)
    assert {"scores", "training_impact", "score_history", "goal_status"} <= set(got_frames)


def test_evaluation_gathers_only_aggregates(
    validated: Dataset, dask_client: Any, gathered: list[Any]
) -> None:
    """The whole evaluation brings per-manager/client/day frames and dates to the driver only."""
    sales = dask_client.persist(_shuffled(validated.sales))
    distributed.wait(sales)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evaluate(dataclasses.replace(validated, sales=sales), period="2026Q3")
    _assert_only_aggregates(gathered, validated)


def test_a_metric_reading_sales_rows_says_it_needs_pandas(
    on_cluster: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A metric that reads the rows themselves gets a ConfigError naming it, not a traceback."""
    from am_analytics._metric_names import REGISTRY

    def largest_order(ctx: Any) -> Any:
        return ctx.sales["amount"].max()

    metric = Metric("largest_order", "higher", "currency", "The largest order.", ("sales",),
                    largest_order)  # fmt: skip
    monkeypatch.setitem(REGISTRY, "largest_order", metric)
    with pytest.raises(ConfigError, match=r"'largest_order' reads the sales rows.*pandas engine"):
        manager_metrics(on_cluster, period="2026Q1", metrics=["largest_order"])


def test_engine_helpers(on_cluster: Dataset, data: Dataset) -> None:
    """is_dask_frame tells the engines apart; pandas-only code stops with a ConfigError."""
    assert is_dask_frame(on_cluster.sales) and not is_dask_frame(data.sales)
    assert not is_dask_frame(on_cluster.sales["amount"])  # a Series is not a frame
    require_pandas_sales(data.sales, "plot_sales")
    with pytest.raises(ConfigError, match="plot_sales reads every sales row"):
        require_pandas_sales(on_cluster.sales, "plot_sales")


def test_missing_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without dask installed, the error says which extra to install."""
    monkeypatch.setitem(__import__("sys").modules, "dask", None)
    with pytest.raises(ConfigError, match=r"pip install 'am-analytics\[dask\]'"):
        import_dask()


def test_unknown_categories_are_refused(data: Dataset, dask_client: Any) -> None:
    """Ids whose categories are unknown (codes that mean nothing) are refused, with the fix."""
    sales = dd.from_pandas(data.sales, npartitions=2)
    sales = sales.assign(client_id=sales["client_id"].cat.as_unknown())
    with pytest.raises(ConfigError, match=r"known categories.*as_known"):
        client_features(sales, as_of=AS_OF)
