"""load(cache=...): an unchanged folder is read back from the cache, equal to a validation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import am_analytics.dataset
from am_analytics import ConfigError, Dataset, OutputPathError, ValidationRules, load
from am_analytics._dataset_cache import _read_table, _write_table, cache_key, source_digests
from am_analytics._metric_names import REGISTRY
from am_analytics.cli import EXIT_REJECTS, app
from am_analytics.io.files import find_sources
from conftest import AS_OF, tiny_tables


def write_folder(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def dirty_tables() -> dict[str, pd.DataFrame]:
    """The tiny organisation with a bad amount, an unknown client and a conflicting manager."""
    tables = tiny_tables()
    tables["sales"].loc[1, "amount"] = "lots"
    tables["sales"].loc[3, "client_id"] = "C404"
    managers = tables["managers"]
    tables["managers"] = pd.concat([managers, managers.iloc[[2]].assign(name="赵六")])
    return tables


def assert_same_dataset(cached: Dataset, fresh: Dataset) -> None:
    """Every table, its dtypes and categories, the rejects, reports, as_of and rules."""
    assert [name for name, _ in cached.tables()] == [name for name, _ in fresh.tables()]
    for (name, got), (_, want) in zip(cached.tables(), fresh.tables(), strict=True):
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=name)
        for column in want.columns:
            if isinstance(want[column].dtype, pd.CategoricalDtype):
                assert got[column].dtype == want[column].dtype
                pd.testing.assert_index_equal(
                    got[column].cat.categories, want[column].cat.categories, exact=True
                )
    pd.testing.assert_frame_equal(cached.rejects, fresh.rejects, check_exact=True)
    assert cached.reports == fresh.reports
    assert (cached.as_of, cached.rules, cached.mapping) == (fresh.as_of, fresh.rules, fresh.mapping)


def entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.iterdir() if not p.name.startswith("."))


@pytest.fixture
def no_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any validation fail: what loads now came from the cache."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("validated again")

    monkeypatch.setattr(am_analytics.dataset, "_build", refuse)


@pytest.mark.parametrize("on_orphans", ["reject", "keep"])
def test_a_cached_load_is_the_validated_dataset(
    tmp_path: Path, on_orphans: str, request: pytest.FixtureRequest
) -> None:
    """With rejects of every kind, the cached dataset equals the validated one, field by field,
    and the second load does not validate."""
    folder = write_folder(tmp_path / "data", dirty_tables())
    cache = tmp_path / "cache"
    fresh = load(folder, as_of=AS_OF, on_orphans=on_orphans)  # type: ignore[arg-type]
    assert not fresh.is_clean and {"managers", "sales"} <= set(fresh.rejects.table)
    first = load(folder, as_of=AS_OF, on_orphans=on_orphans, cache=cache)  # type: ignore[arg-type]
    assert_same_dataset(first, fresh)
    request.getfixturevalue("no_validation")
    again = load(folder, as_of=AS_OF, on_orphans=on_orphans, cache=cache)  # type: ignore[arg-type]
    assert_same_dataset(again, fresh)
    assert len(entries(cache)) == 1


def test_the_sample_round_trips_through_the_cache(tmp_path: Path) -> None:
    """All nine tables of the sample, with their categoricals over thousands of ids."""
    from am_analytics.sample import sample_dir

    fresh = load(sample_dir(), as_of=AS_OF)
    load(sample_dir(), as_of=AS_OF, cache=tmp_path)
    assert_same_dataset(load(sample_dir(), as_of=AS_OF, cache=tmp_path), fresh)


def test_a_changed_file_is_validated_again_and_replaces_its_entry(tmp_path: Path) -> None:
    """One cell changed in one file: a miss, the new content, and one entry for the folder."""
    tables = tiny_tables()
    folder = write_folder(tmp_path / "data", tables)
    cache = tmp_path / "cache"
    before = load(folder, as_of=AS_OF, cache=cache)
    (old_entry,) = entries(cache)
    tables["sales"].loc[0, "amount"] = "777"
    write_folder(folder, {"sales": tables["sales"]})
    after = load(folder, as_of=AS_OF, cache=cache)
    assert (before.sales.amount[0], after.sales.amount[0]) == (1200.5, 777)
    assert after.reports[2].sha256 != before.reports[2].sha256
    (new_entry,) = entries(cache)
    assert new_entry != old_entry
    assert_same_dataset(after, load(folder, as_of=AS_OF))


def test_entries_of_other_folders_stay(tmp_path: Path) -> None:
    """Two folders, one cache: an entry each; storing the second does not remove the first."""
    tables = tiny_tables()
    cache = tmp_path / "cache"
    first = write_folder(tmp_path / "north", tables)
    tables["sales"].loc[0, "amount"] = "999"
    second = write_folder(tmp_path / "south", tables)
    load(first, as_of=AS_OF, cache=cache)
    load(second, as_of=AS_OF, cache=cache)
    assert len(entries(cache)) == 2


@pytest.mark.parametrize(
    "change",
    [
        {"as_of": pd.Timestamp("2026-11-16")},
        {"on_orphans": "keep"},
        {"rules": ValidationRules(max_amount=1e9)},
    ],
    ids=["as_of", "on_orphans", "rules"],
)
def test_what_decides_the_outcome_is_in_the_key(change: dict[str, object]) -> None:
    """as_of, on_orphans and the rules each give another key for the same files."""
    from am_analytics.sample import sample_dir

    sources = find_sources(sample_dir())
    digests = source_digests(sources)
    base = {"as_of": AS_OF, "on_orphans": "reject", "rules": ValidationRules()}
    assert cache_key(sources, digests, **base) == cache_key(sources, digests, **base)  # type: ignore[arg-type]
    assert cache_key(sources, digests, **base) != cache_key(sources, digests, **base | change)  # type: ignore[arg-type]


def test_a_registered_metric_changes_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A goal rejected for an unknown metric is kept once the metric is registered."""
    tables = tiny_tables()
    tables["goals"].loc[0, "metric"] = "team_size"
    folder = write_folder(tmp_path / "data", tables)
    cache = tmp_path / "cache"
    assert "team_size" in set(load(folder, as_of=AS_OF, cache=cache).rejects["value"])
    monkeypatch.setitem(REGISTRY, "team_size", object())
    assert load(folder, as_of=AS_OF, cache=cache).is_clean


def test_an_entry_that_cannot_be_read_is_a_miss(tmp_path: Path) -> None:
    """A table file removed from an entry, or a manifest cut short: validated and stored again."""
    folder = write_folder(tmp_path / "data", dirty_tables())
    cache = tmp_path / "cache"
    fresh = load(folder, as_of=AS_OF, cache=cache)
    (entry,) = entries(cache)
    (entry / "sales.parquet").unlink()
    assert_same_dataset(load(folder, as_of=AS_OF, cache=cache), fresh)
    manifest = entry / "manifest.json"
    manifest.write_text(manifest.read_text()[:40])
    assert_same_dataset(load(folder, as_of=AS_OF, cache=cache), fresh)
    assert json.loads(manifest.read_text())["key"] == entry.name


def test_a_cache_that_cannot_be_written_warns_and_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk while storing: a warning, the dataset all the same, nothing half-written."""
    folder = write_folder(tmp_path / "data", tiny_tables())
    cache = tmp_path / "cache"

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", disk_full)
    with pytest.warns(UserWarning, match="could not be cached .* No space left"):
        data = load(folder, as_of=AS_OF, cache=cache)
    assert_same_dataset(data, load(folder, as_of=AS_OF))
    assert list(cache.iterdir()) == []


def test_a_cache_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "data", tiny_tables())
    (tmp_path / "cache").write_text("mine")
    with pytest.raises(OutputPathError, match=r"cache .* is a file"):
        load(folder, as_of=AS_OF, cache=tmp_path / "cache")
    assert (tmp_path / "cache").read_text() == "mine"


def test_the_dask_engine_takes_no_cache(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cache= works with the pandas engine"):
        load(tmp_path, engine="dask", cache=tmp_path / "cache")


def test_a_copied_folder_hits_the_same_entry(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The key is the files' bytes and names, not where they are."""
    folder = write_folder(tmp_path / "data", tiny_tables())
    cache = tmp_path / "cache"
    fresh = load(folder, as_of=AS_OF, cache=cache)
    shutil.copytree(folder, tmp_path / "copy")
    request.getfixturevalue("no_validation")
    assert_same_dataset(load(tmp_path / "copy", as_of=AS_OF, cache=cache), fresh)


# --- the stored tables ----------------------------------------------------------------


@st.composite
def typed_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Frames with the dtypes of validated tables: categoricals with NaN and unused
    categories, str with missing values, nullable integers and booleans, datetimes."""
    n = draw(st.integers(0, 30))
    categories = draw(st.lists(st.text(max_size=4), unique=True, max_size=12))
    codes = draw(st.lists(st.integers(-1, len(categories) - 1), min_size=n, max_size=n))
    text = draw(st.lists(st.none() | st.text(max_size=5), min_size=n, max_size=n))
    numbers = draw(st.lists(st.none() | st.integers(-(10**12), 10**12), min_size=n, max_size=n))
    flags = draw(st.lists(st.none() | st.booleans(), min_size=n, max_size=n))
    days = draw(st.lists(st.none() | st.integers(0, 20_000), min_size=n, max_size=n))
    ordered = draw(st.booleans())
    index = pd.Index(categories, dtype="str", name=draw(st.sampled_from([None, "client_id"])))
    return pd.DataFrame(
        {
            "client_id": pd.Categorical.from_codes(
                np.asarray(codes, dtype=np.int8),
                dtype=pd.CategoricalDtype(index, ordered=ordered),
            ),
            "name": pd.array(text, dtype="str"),
            "revision": pd.array(numbers, dtype="Int64"),
            "completed": pd.array(flags, dtype="boolean"),
            "when": pd.to_datetime(
                [
                    None if d is None else pd.Timestamp("1990-01-01") + pd.Timedelta(days=d)
                    for d in days
                ]
            ).astype("datetime64[ns]"),
        }
    )


@settings(max_examples=60, deadline=None)
@given(frame=typed_frames())
def test_stored_tables_read_back_equal(frame: pd.DataFrame) -> None:
    """Codes, categories (their order, name, unused ones), missing values and dtypes survive."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        described = _write_table(Path(folder), "sales", frame)
        back = _read_table(Path(folder), "sales", json.loads(json.dumps(described)))
    pd.testing.assert_frame_equal(back, frame, check_exact=True)
    pd.testing.assert_index_equal(
        back.client_id.cat.categories, frame.client_id.cat.categories, exact=True
    )


# --- the command line -----------------------------------------------------------------


def test_validate_with_cache_reports_the_same_twice(tmp_path: Path) -> None:
    """`validate --cache`: the second run reads the cache and prints the same counts."""
    folder = write_folder(tmp_path / "data", dirty_tables())
    cache = tmp_path / "cache"
    arguments = ["validate", str(folder), "--as-of", "2026-11-15", "--cache", str(cache)]
    first = CliRunner().invoke(app, arguments)
    assert first.exit_code == EXIT_REJECTS, first.output
    assert len(entries(cache)) == 1
    second = CliRunner().invoke(app, arguments)
    assert second.exit_code == EXIT_REJECTS, second.output
    assert second.output == first.output
