"""load(engine="dask"): the same kept rows and rejects as the pandas engine, from many files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import am_analytics
from am_analytics.errors import ConfigError, DataValidationError
from am_analytics.io._dask_sales import _hashes_in_several_files

dd = pytest.importorskip("dask.dataframe")

AS_OF = "2026-11-15"
# (label of the file, its rows) in file order; the pandas file is their concatenation.
Parts = list[tuple[str, pd.DataFrame]]


def _sales_as_text(sales: pd.DataFrame) -> pd.DataFrame:
    """Every sales column as text, as an export writes it (so bad cells can be planted)."""
    text = sales.astype(object).where(sales.notna(), None)
    text["order_date"] = sales["order_date"].dt.strftime("%Y-%m-%d")
    text["amount"] = sales["amount"].map("{:.2f}".format)
    return text.astype("str").where(sales.notna(), None)


def _planted_parts() -> tuple[dict[str, pd.DataFrame], Parts]:
    """Generated tables with sales split by month and problems planted across the months.

    Planted: an unknown client (month 1), an unknown manager (month 2), text in an
    amount (month 3), an impossible date (month 4); order ids repeated within one
    month (exact and conflicting) and across months (exact, conflicting, and an
    id twice in month 5 and again in month 6, all equal).
    """
    frames = am_analytics.generate(n_managers=5, n_clients=60, seed=3)
    sales = _sales_as_text(frames["sales"])
    month = frames["sales"]["order_date"].dt.to_period("M").astype("str")
    months = sorted(month.unique())[:8]
    parts = {m: sales[month == m].reset_index(drop=True) for m in months}
    m = months
    parts[m[0]].loc[1, "client_id"] = "C-UNKNOWN"
    parts[m[1]].loc[2, "manager_id"] = "M-UNKNOWN"
    parts[m[2]].loc[0, "amount"] = "twelve"
    parts[m[3]].loc[1, "order_date"] = "2026-13-45"
    # within one month: an exact copy and a conflicting copy
    parts[m[4]] = pd.concat([parts[m[4]], parts[m[4]].iloc[[0]]], ignore_index=True)
    clash = parts[m[4]].iloc[[1]].assign(amount="1.00")
    parts[m[4]] = pd.concat([parts[m[4]], clash], ignore_index=True)
    # across months: exact copy, conflicting copy, and an exact triple over two months
    parts[m[6]] = pd.concat([parts[m[6]], parts[m[0]].iloc[[3]]], ignore_index=True)
    parts[m[7]] = pd.concat(
        [parts[m[7]], parts[m[1]].iloc[[4]].assign(amount="-5.00")], ignore_index=True
    )
    triple = parts[m[5]].iloc[[0]]
    parts[m[5]] = pd.concat([parts[m[5]], triple], ignore_index=True)
    parts[m[6]] = pd.concat([triple, parts[m[6]]], ignore_index=True)
    return frames, [(f"sales/month={k}/part-0", parts[k]) for k in months]


def _write(folder: Path, frames: dict[str, pd.DataFrame], parts: Parts, fmt: str) -> Path:
    """The dataset as the Dask engine reads it: small tables as files, sales as a folder."""
    folder.mkdir()
    for table in ("managers", "clients"):
        frames[table].to_parquet(folder / f"{table}.parquet", index=False)
    for label, part in parts:
        path = folder / f"{label}.{fmt}"
        path.parent.mkdir(parents=True)
        if fmt == "parquet":
            part.to_parquet(path, index=False)
        else:
            part.to_csv(path, index=False)
    return folder


def _write_single(folder: Path, frames: dict[str, pd.DataFrame], parts: Parts) -> Path:
    """The same data for the pandas engine: one sales file, the parts one after the other."""
    folder.mkdir()
    for table in ("managers", "clients"):
        frames[table].to_parquet(folder / f"{table}.parquet", index=False)
    pd.concat([p for _, p in parts], ignore_index=True).to_parquet(
        folder / "sales.parquet", index=False
    )
    return folder


def _file_rows(parts: Parts, fmt: str) -> pd.DataFrame:
    """For each row of the single sales file (1-based): its file and row in the partitioned copy."""
    return pd.concat(
        [
            pd.DataFrame({"source": f"{label}.{fmt}", "file_row": np.arange(1, len(p) + 1)})
            for label, p in parts
        ],
        ignore_index=True,
    ).set_index(pd.RangeIndex(1, sum(len(p) for _, p in parts) + 1))


@pytest.fixture(scope="module", params=["parquet", "csv"])
def loaded(request, tmp_path_factory, dask_client):
    """(dask dataset, pandas dataset, row map, parts) for the planted data in one format."""
    fmt = request.param
    frames, parts = _planted_parts()
    root = tmp_path_factory.mktemp(fmt)
    by_dask = am_analytics.load(
        _write(root / "parts", frames, parts, fmt), as_of=AS_OF, engine="dask"
    )
    by_pandas = am_analytics.load(_write_single(root / "single", frames, parts), as_of=AS_OF)
    return by_dask, by_pandas, _file_rows(parts, fmt), parts


def _named_rows(reason: str, source: str) -> set[tuple[str, int]]:
    """The rows a duplicate reason names, as (file, row); unnamed files are ``source``."""
    listed = re.search(r"\(rows? (.*)\)|\((.*)\)|duplicate of (?:row )?(.*)$", reason)
    assert listed is not None, reason
    text = next(g for g in listed.groups() if g is not None)
    rows = set()
    for item in text.split(", "):
        named = re.fullmatch(r"(?:(\S+) row )?(\d+)", item)
        assert named is not None, item
        rows.add((named.group(1) or source, int(named.group(2))))
    return rows


def _in_files(rejects: pd.DataFrame, file_rows: pd.DataFrame) -> pd.DataFrame:
    """The pandas engine's sales rejects with source and row of the partitioned copy."""
    at = file_rows.loc[rejects["row"].to_numpy()]
    return rejects.assign(source=at["source"].to_numpy(), row=at["file_row"].to_numpy())


def test_rows_read_equal_kept_plus_rejected(loaded):
    """Every table balances, and the sales counts equal the pandas engine's."""
    by_dask, by_pandas, _, parts = loaded
    summary = by_dask.summary().set_index("table")
    assert (summary.rows_read == summary.rows_kept + summary.rows_rejected).all()
    expected = by_pandas.summary().set_index("table")
    counts = ["rows_read", "rows_kept", "rows_rejected"]
    pd.testing.assert_frame_equal(summary[counts], expected[counts])
    assert summary.loc["sales", "rows_read"] == sum(len(p) for _, p in parts)


def test_sales_stay_lazy_one_partition_per_file(loaded):
    """The kept sales are a Dask DataFrame with a partition per file and known categories."""
    by_dask, _, _, parts = loaded
    assert isinstance(by_dask.sales, dd.DataFrame)
    assert by_dask.sales.npartitions == len(parts)
    assert by_dask.sales["client_id"].cat.known


def test_lazy_sales_equal_the_persisted_ones(tmp_path, dask_client):
    """persist=False leaves the sales a lazy graph over the files; its rows, rejects and
    summary equal the persisted default's (the files are validated again on compute)."""
    frames, parts = _planted_parts()
    folder = _write(tmp_path / "parts", frames, parts, "parquet")
    kept = am_analytics.load(folder, as_of=AS_OF, engine="dask")
    lazy = am_analytics.load(folder, as_of=AS_OF, engine="dask", persist=False)
    # the default's graph starts from the partitions kept on the workers; the lazy
    # one still holds a validation task per file
    validations = [_validation_tasks(d.sales) for d in (kept, lazy)]
    assert validations == [0, len(parts)]
    pd.testing.assert_frame_equal(lazy.sales.compute(), kept.sales.compute())
    pd.testing.assert_frame_equal(lazy.rejects, kept.rejects)
    pd.testing.assert_frame_equal(lazy.summary(), kept.summary())


def _validation_tasks(sales) -> int:
    """How many tasks of ``sales``' graph read and validate a file."""
    names = (key[0] if isinstance(key, tuple) else key for key in dict(sales.dask))
    return sum(str(name).startswith("_validated_partition") for name in names)


def test_kept_sales_equal_pandas(loaded):
    """The computed kept sales equal the pandas engine's, row for row, to 1e-9."""
    by_dask, by_pandas, _, _ = loaded
    kept = by_dask.sales.compute().reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, by_pandas.sales, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(by_dask.clients, by_pandas.clients)


def test_rejects_equal_pandas(loaded):
    """The same rejects: table, file, row, column, check, value, cause; same rows named."""
    by_dask, by_pandas, file_rows, _ = loaded
    got = by_dask.rejects
    sales = by_pandas.rejects["table"] == "sales"
    expected = pd.concat(
        [by_pandas.rejects[~sales], _in_files(by_pandas.rejects[sales], file_rows)],
        ignore_index=True,
    )
    same = ["table", "source", "row", "column", "check", "value", "cause"]
    pd.testing.assert_frame_equal(got[same], expected[same])
    duplicate = (got["check"] == "duplicate").to_numpy()
    pd.testing.assert_series_equal(got["reason"][~duplicate], expected["reason"][~duplicate])
    # duplicate reasons name rows: by file in the Dask engine, in the single file in pandas'
    for (_, mine), (_, theirs) in zip(
        got[duplicate].iterrows(), expected[duplicate].iterrows(), strict=True
    ):
        named = {
            (str(file_rows.loc[r, "source"]), int(file_rows.loc[r, "file_row"]))
            for _, r in _named_rows(theirs["reason"], "")
        }
        assert _named_rows(mine["reason"], mine["source"]) == named
        assert mine["reason"].split(" ")[0] == theirs["reason"].split(" ")[0]


def test_conflict_across_files_rejects_every_copy(loaded):
    """The order id copied with another amount into a later month: both copies rejected."""
    by_dask, _, _, parts = loaded
    copied = parts[7][1].iloc[-1]
    assert copied["amount"] == "-5.00"
    rejected = by_dask.rejects[by_dask.rejects["value"] == copied["order_id"]]
    assert sorted(zip(rejected["source"], rejected["row"], strict=True)) == [
        (f"{parts[1][0]}.{rejected['source'].iloc[0].rsplit('.', 1)[1]}", 5),
        (f"{parts[7][0]}.{rejected['source'].iloc[0].rsplit('.', 1)[1]}", len(parts[7][1])),
    ]
    assert rejected["reason"].str.startswith("conflicting duplicate key").all()
    assert copied["order_id"] not in set(by_dask.sales["order_id"].compute())


def test_exact_copy_across_files_keeps_the_first(loaded):
    """An id twice in one month and once in the next, all equal: the first row is kept."""
    by_dask, _, _, parts = loaded
    first = parts[5][1].iloc[0]
    kept = by_dask.sales["order_id"].compute()
    assert (kept == first["order_id"]).sum() == 1
    rejected = by_dask.rejects[by_dask.rejects["value"] == first["order_id"]]
    suffix = rejected["source"].iloc[0].rsplit(".", 1)[1]
    assert sorted(zip(rejected["source"], rejected["row"], strict=True)) == [
        (f"{parts[5][0]}.{suffix}", len(parts[5][1])),
        (f"{parts[6][0]}.{suffix}", 1),
    ]
    assert set(rejected["reason"]) == {f"exact duplicate of {parts[5][0]}.{suffix} row 1"}


def test_hashes_in_several_files_known_answer():
    """Hashes found in two or more files' (distinct) arrays, and no others."""
    found = _hashes_in_several_files(
        np.array([1, 2, 3], dtype=np.uint64),
        np.array([3, 4], dtype=np.uint64),
        np.array([4, 5, 9], dtype=np.uint64),
    )
    assert found.tolist() == [3, 4]


def test_keep_orphans_is_refused(tmp_path, dask_client):
    """on_orphans='keep' with the Dask engine is a ConfigError that names the way out."""
    frames, parts = _planted_parts()
    folder = _write(tmp_path / "data", frames, parts[:2], "parquet")
    with pytest.raises(ConfigError, match="on_orphans='reject', or engine='pandas'"):
        am_analytics.load(folder, engine="dask", on_orphans="keep")


def test_a_file_missing_a_required_column_is_named(tmp_path, dask_client):
    """A later sales file without the amount column: the error names that file."""
    frames, parts = _planted_parts()
    parts = [parts[0], (parts[1][0], parts[1][1].drop(columns="amount"))]
    folder = _write(tmp_path / "data", frames, parts, "parquet")
    with pytest.raises(
        DataValidationError, match=r"month=.*part-0\.parquet: required columns amount"
    ):
        am_analytics.load(folder, engine="dask")


def test_unknown_engine_is_refused(tmp_path):
    """An engine other than pandas or dask is a ConfigError."""
    with pytest.raises(ConfigError, match="engine must be 'pandas' or 'dask'"):
        am_analytics.load(tmp_path, engine="spark")  # type: ignore[arg-type]
