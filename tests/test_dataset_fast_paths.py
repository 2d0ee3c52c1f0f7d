"""load's fast paths keep every rule: the same tables and rejects as the careful paths.

The fast paths: text read only where its ends may hold white space
(``io._cells._edges``), Parquet text columns with small dictionaries read as
categoricals and looked up by their categories (``io.files._small_dictionaries``,
``_keys._category_positions``; categories that read as themselves keep their codes),
sorted keys proved unique without a sort (``_keys._strictly_increasing``), columns read
two at a time, reference lookups in two halves (``_keys._SPLIT_LOOKUP_ROWS``), and the
schema run without the checks that reading proved
(``_schema_failures._without_proven_checks``).
Each test loads the same files both ways, on tables full of bad cells.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from am_analytics import Dataset, _column_reading, _keys, _schema_failures, load
from am_analytics.io import _cells, files
from am_analytics.schemas import column_kinds, table_schema
from conftest import AS_OF

MANAGER_IDS = ["M1", "M2", "M3", " M1", "M1 ", "", None, "M9", "'M2", "M2\u3000"]
CLIENT_IDS = ["C1", "C2", "C3", " C2", "", None, "C9"]
ORDER_IDS = ["S1", "S2", "S3", "S4", "S5", " S1", ""]
TEXT = ["软件", " 软件", "软件\u3000", "", "A", "'=1+1", "咨询、培训"]
STATUSES = ["active", " Active", "在职", "离职 ", "on-leave", "", None, "retired"]
AMOUNTS = [1200.5, -200.0, 0.0, np.nan, np.inf, -np.inf, 5e12]
DATES = ["2026-07-01", "2026-08-15", "1985-01-01", "2029-01-01", None]


@contextmanager
def careful_paths() -> Iterator[None]:
    """Every fast path replaced by the careful one it stands for."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_cells, "_edges", lambda text: None)
        patch.setattr(files, "_small_dictionaries", lambda file, table: [])
        patch.setattr(_keys, "_strictly_increasing", lambda array: False)
        patch.setattr(_schema_failures, "_without_proven_checks", lambda schema: schema)
        patch.setattr(_column_reading, "_PARALLEL_ROWS", 10**12)
        patch.setattr(_keys, "_SPLIT_LOOKUP_ROWS", 10**12)
        yield


@contextmanager
def fast_paths_forced() -> Iterator[None]:
    """The fast paths taken even on tiny tables: every text column read as a dictionary
    (text columns too, which then go through the categorical reader of text)."""

    def every_text_column(file: pq.ParquetFile, table: str) -> list[str]:
        kinds = column_kinds(table)
        return [
            name
            for name in file.schema_arrow.names
            if kinds.get(name) in ("ref", "id", "text", "enum")
        ]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(files, "_small_dictionaries", every_text_column)
        patch.setattr(_keys, "_SORT_ROWS", 0)
        patch.setattr(_column_reading, "_PARALLEL_ROWS", 0)
        patch.setattr(_keys, "_SPLIT_LOOKUP_ROWS", 0)
        yield


def tables_with_bad_cells(draw: Any) -> dict[str, pd.DataFrame]:
    """Managers, clients and sales with padded, blank, duplicate and unknown ids, odd
    amounts, implausible dates, formula-like text and statuses written every way."""
    n_managers = draw(st.integers(1, 6))
    n_clients = draw(st.integers(1, 8))
    n_sales = draw(st.integers(1, 14))

    def pick(values: list[Any], n: int) -> list[Any]:
        return draw(st.lists(st.sampled_from(values), min_size=n, max_size=n))

    managers = pd.DataFrame(
        {
            "manager_id": pick(MANAGER_IDS, n_managers),
            "name": pick(["王芳", "李雷", " 张伟"], n_managers),
            "team": pick(TEXT, n_managers),
            "status": pick(STATUSES, n_managers),
        }
    )
    clients = pd.DataFrame(
        {
            "client_id": pick(CLIENT_IDS, n_clients),
            "manager_id": pick(MANAGER_IDS, n_clients),
            "industry": pick(TEXT, n_clients),
        }
    )
    ordered = draw(st.booleans())  # sorted order ids take the no-sort key test
    order_ids = pick(ORDER_IDS, n_sales)
    sales = pd.DataFrame(
        {
            "order_id": sorted(order_ids) if ordered else order_ids,
            "client_id": pick(CLIENT_IDS, n_sales),
            "manager_id": pick(MANAGER_IDS, n_sales),
            "order_date": pd.to_datetime(pd.Series(pick(DATES, n_sales), dtype="str")),
            "amount": pick(AMOUNTS, n_sales),
            "product": pick(TEXT, n_sales),
        }
    )
    return {"managers": managers, "clients": clients, "sales": sales}


def write(tables: dict[str, pd.DataFrame], folder: Path, fmt: str) -> Path:
    """The tables as CSV or Parquet files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if fmt == "csv":
            frame.to_csv(folder / f"{name}.csv", index=False)
        else:
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def assert_same_dataset(fast: Dataset, careful: Dataset) -> None:
    """Equal tables, equal rejects, equal row counts."""
    for name, frame in careful.tables():
        pd.testing.assert_frame_equal(getattr(fast, name), frame)
    pd.testing.assert_frame_equal(fast.rejects, careful.rejects)
    pd.testing.assert_frame_equal(fast.summary(), careful.summary())


@settings(max_examples=30, deadline=None)
@given(st.data(), st.sampled_from(["csv", "parquet"]))
def test_fast_and_careful_paths_keep_and_reject_the_same_rows(
    data: st.DataObject, fmt: str
) -> None:
    """Bad cells of every kind: the fast paths reject exactly what the careful ones do."""
    tables = tables_with_bad_cells(data.draw)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write(tables, Path(tmp), fmt)
        with fast_paths_forced():
            fast = load(folder, as_of=AS_OF)
        with careful_paths():
            careful = load(folder, as_of=AS_OF)
    assert_same_dataset(fast, careful)
    summary = fast.summary()
    assert (summary.rows_read == summary.rows_kept + summary.rows_rejected).all()


@settings(max_examples=15, deadline=None)
@given(st.data())
def test_the_full_pandera_schema_accepts_what_the_fast_paths_keep(data: st.DataObject) -> None:
    """The schema of record, with the checks the fast paths skip and the key checks,
    passes every table that load keeps."""
    tables = tables_with_bad_cells(data.draw)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write(tables, Path(tmp), "parquet")
        with fast_paths_forced():
            kept = load(folder, as_of=AS_OF)
    for name, frame in kept.tables():
        table_schema(name, as_of=AS_OF).validate(frame, lazy=True)


def test_a_blank_id_is_rejected_as_required_on_both_paths(tmp_path: Path) -> None:
    """The check the fast path skips (str_length >= 1) could only fail on an empty id,
    which reading makes missing: both paths reject it once, as required."""
    tables = {}
    tables["sales"] = pd.DataFrame(
        {
            "order_id": ["S1", "  ", "S3"],
            "client_id": ["C1", "C1", "C1"],
            "manager_id": ["M1", "M1", "M1"],
            "order_date": pd.to_datetime(["2026-07-01"] * 3),
            "amount": [1.0, 2.0, 3.0],
        }
    )
    tables["managers"] = pd.DataFrame({"manager_id": ["M1"], "name": ["王芳"]})
    tables["clients"] = pd.DataFrame({"client_id": ["C1"], "manager_id": ["M1"]})
    folder = write(tables, tmp_path, "parquet")
    fast = load(folder, as_of=AS_OF)
    with careful_paths():
        careful = load(folder, as_of=AS_OF)
    assert_same_dataset(fast, careful)
    rejected = fast.rejects[["table", "row", "column", "check"]].to_numpy().tolist()
    assert rejected == [["sales", 2, "order_id", "required"]]


def test_small_dictionaries_are_read_as_categoricals_and_large_ones_as_text(
    tmp_path: Path,
) -> None:
    """Of 200,000 sales, the 40 managers' ids and the two products come as categoricals;
    the 150,000 clients' ids (whose dictionary would be as large as the data) as text.
    Once validated, the products are text again."""
    rows = 200_000
    rng = np.random.default_rng(1)
    sales = pd.DataFrame(
        {
            "order_id": [f"S{i:07d}" for i in range(rows)],
            "client_id": [f"C{i:07d}" for i in rng.integers(0, 150_000, rows)],
            "manager_id": [f"M{i:03d}" for i in rng.integers(0, 40, rows)],
            "product": rng.choice(["软件", "咨询"], rows),
        }
    )
    sales.to_parquet(tmp_path / "sales.parquet", index=False)
    chosen = files._small_dictionaries(pq.ParquetFile(tmp_path / "sales.parquet"), "sales")
    assert chosen == ["manager_id", "product"]
    raw = files.read_source(files.Source(tmp_path / "sales.parquet", "sales"))
    assert isinstance(raw.frame["manager_id"].dtype, pd.CategoricalDtype)
    assert isinstance(raw.frame["product"].dtype, pd.CategoricalDtype)
    assert raw.frame["client_id"].dtype == "str"
    read = _column_reading._read_column(
        "sales",
        "product",
        "text",
        raw.frame["product"],
        schema=None,
        rules=None,  # type: ignore[arg-type]
    )
    assert read.values.dtype == "str"
    assert read.values.equals(sales["product"].astype("str"))
