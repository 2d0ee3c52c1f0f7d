"""Every file am_analytics writes: formula-safe cells, atomic replacement, checked paths."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import am_analytics
from am_analytics.cli import EXIT_OK, EXIT_UNUSABLE, app
from am_analytics.errors import OutputPathError
from am_analytics.io import _writing
from am_analytics.io._writing import (
    check_output_file,
    replacing_file,
    spreadsheet_safe,
    write_csv,
    write_tables,
)
from am_analytics.sample import sample_dir
from conftest import AS_OF, tiny_tables

runner = CliRunner()

#: Text a spreadsheet would run, one of each start character.
HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "'=already"]


def cells(path: Path) -> list[list[str]]:
    """The cells of a CSV file as written (BOM removed), without any interpretation."""
    text = path.read_bytes().decode("utf-8-sig")  # read_text would turn \r into \n
    return list(csv.reader(io.StringIO(text, newline="")))


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under a folder with its bytes, by relative name."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def copy_sample(folder: Path) -> Path:
    """A private copy of the committed sample, to be changed by a test."""
    shutil.copytree(sample_dir(), folder)
    return folder


# ---------------------------------------------------------------------------
# Formula injection
# ---------------------------------------------------------------------------


def test_result_csv_neutralises_text_cells_and_keeps_numbers_as_numbers(tmp_path: Path) -> None:
    """Text, categories, index labels and headers get a `'`; -120.5 stays a bare number."""
    frame = pd.DataFrame(
        {
            "name": HOSTILE,
            "segment": pd.Categorical(["=seg", "ok", "ok", "ok", "ok", "ok", "ok"]),
            "amount": [-120.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "=header": ["a"] * 7,
        },
        index=pd.Index(["@M1", "M2", "M3", "M4", "M5", "M6", "M7"], name="manager_id"),
    )
    path = write_csv(frame, tmp_path / "out.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = cells(path)
    assert rows[0] == ["manager_id", "name", "segment", "amount", "'=header"]
    assert [row[1] for row in rows[1:]] == ["'" + text for text in HOSTILE]
    assert rows[1][0] == "'@M1" and rows[1][2] == "'=seg"
    assert rows[1][3] == "-120.5"
    assert "\n'@M1,'=cmd|' /C calc'!A0,'=seg,-120.5,a" in path.read_text(encoding="utf-8-sig")


def test_spreadsheet_safe_leaves_the_input_frame_alone() -> None:
    """The caller's frame is not changed."""
    frame = pd.DataFrame({"name": ["=x"]})
    spreadsheet_safe(frame, index=False)
    assert frame["name"].tolist() == ["=x"]


def test_save_then_load_gives_hostile_text_back_unchanged(tmp_path: Path) -> None:
    """`save` neutralises every risky cell in the files, and `load` reads the original text."""
    tables = tiny_tables()
    tables["managers"].loc[:, "name"] = HOSTILE[:3]
    tables["clients"].loc[:, "name"] = HOSTILE[3:7]
    tables["sales"].loc[:, "product"] = ["=A", "-B", "+C", "@D", "'-E"]
    data = am_analytics.from_frames(as_of=AS_OF, **tables)
    assert data.is_clean
    am_analytics.save(data, tmp_path / "data")
    managers = cells(tmp_path / "data" / "managers.csv")
    assert [row[1] for row in managers[1:]] == ["'" + text for text in HOSTILE[:3]]
    sales = cells(tmp_path / "data" / "sales.csv")
    assert sales[2][4] == "-200.0"  # a refund is written as a number
    again = am_analytics.load(tmp_path / "data", as_of=AS_OF)
    assert again.is_clean
    for name, frame in data.tables():
        pdt.assert_frame_equal(again.table(name), frame, check_categorical=False)


def test_validate_rejects_file_is_neutralised(tmp_path: Path) -> None:
    """The --rejects file holds `'=1+1` for a rejected amount `=1+1`."""
    tables = tiny_tables()
    tables["sales"].loc[1, "amount"] = "=1+1"
    folder = tmp_path / "data"
    folder.mkdir()
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    out = tmp_path / "rejects.csv"
    result = runner.invoke(
        app, ["validate", str(folder), "--as-of", "2026-11-15", "--rejects", str(out)]
    )
    assert result.exit_code == 1, result.output
    rows = cells(out)
    value = rows[0].index("value")
    assert [row[value] for row in rows[1:]] == ["'=1+1"]
    assert f"1 rejects written to {out}" in result.output


def test_import_writes_neutralised_tables_and_reports(tmp_path: Path) -> None:
    """`write_tables` with reports (what `import` calls) neutralises tables and report files."""
    reports = {"rejects": pd.DataFrame({"value": ["=HYPERLINK(1)"], "row": [3]})}
    paths = write_tables({"extra": pd.DataFrame({"x": ["@x"]})}, tmp_path / "out", reports=reports)
    assert [p.name for p in paths] == ["extra.csv", "rejects.csv"]
    assert cells(tmp_path / "out" / "rejects.csv") == [["value", "row"], ["'=HYPERLINK(1)", "3"]]
    assert (tmp_path / "out" / "rejects.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert cells(tmp_path / "out" / "extra.csv") == [["x"], ["'@x"]]


def test_score_and_segments_out_files_are_neutralised_and_without_float_noise(
    tmp_path: Path,
) -> None:
    """A manager named `=cmd...` is written `'=cmd...`; no number has more than 15 digits."""
    folder = copy_sample(tmp_path / "data")
    managers = pd.read_csv(folder / "managers.csv", dtype="str")
    managers.loc[0, "name"] = HOSTILE[0]
    managers.to_csv(folder / "managers.csv", index=False)
    results = tmp_path / "results"
    for args in (
        ["score", str(folder), "--period", "2026Q3", "--out", str(results / "scores.csv")],
        ["segments", str(folder), "--portfolios", str(results / "managers.csv")],
    ):
        result = runner.invoke(app, [*args, "--as-of", "2026-11-15"])
        assert result.exit_code == EXIT_OK, result.output
    for name in ("scores.csv", "managers.csv"):
        text = (results / name).read_text(encoding="utf-8-sig")
        numbers = re.findall(r"\d+\.\d+", text)
        digits = [len(re.sub(r"\D", "", n).lstrip("0")) for n in numbers]  # significant
        assert digits and max(digits) <= 15, name
    scores = cells(results / "scores.csv")
    name = scores[0].index("name")
    assert "'" + HOSTILE[0] in [row[name] for row in scores[1:]]


def test_result_floats_are_rounded_to_15_digits(tmp_path: Path) -> None:
    """124234.89000000001 is written 124234.89, and a sum of cents stays exact."""
    frame = pd.DataFrame({"sales": [124234.89000000001, 0.1 + 0.2, 987654321098.76]})
    write_csv(frame, tmp_path / "out.csv", index=False)
    assert cells(tmp_path / "out.csv")[1:] == [["124234.89"], ["0.3"], ["987654321098.76"]]


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_subnormal=False),
        min_size=5,
        max_size=5,
    )
)
def test_saved_dataset_floats_read_back_identical(amounts: list[float]) -> None:
    """Dataset tables keep every bit of their floats (unlike result files)."""
    import tempfile

    tables = tiny_tables()
    tables["sales"]["amount"] = amounts
    data = am_analytics.from_frames(as_of=AS_OF, **tables)
    with tempfile.TemporaryDirectory() as folder:
        am_analytics.save(data, folder)
        again = am_analytics.load(folder, as_of=AS_OF)
    assert again.sales["amount"].tolist() == data.sales["amount"].tolist()


# ---------------------------------------------------------------------------
# Atomic replacement
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_an_interrupted_file_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, error: type[BaseException]
) -> None:
    """An error or Ctrl-C while writing: the old file as it was, nothing else in the folder."""
    target = tmp_path / "scores.csv"
    target.write_text("old")
    with pytest.raises(error), replacing_file(target) as temporary:
        temporary.write_text("half")
        raise error
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["scores.csv"]


@pytest.mark.parametrize("error", [OSError, KeyboardInterrupt])
def test_an_interrupted_save_leaves_the_old_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: type[BaseException]
) -> None:
    """A failure at the third table: the previous folder unchanged, no temporary beside it."""
    data = am_analytics.from_frames(as_of=AS_OF, **tiny_tables())
    folder = tmp_path / "data"
    am_analytics.save(data, folder, format="parquet")
    before = tree(folder)
    written: list[str] = []
    real = _writing._write_table

    def failing(frame: pd.DataFrame, path: Path, *, format: str) -> None:
        if len(written) == 2:
            raise error("disk full")
        written.append(path.name)
        real(frame, path, format=format)

    monkeypatch.setattr(_writing, "_write_table", failing)
    expected = OutputPathError if error is OSError else KeyboardInterrupt
    with pytest.raises(expected):
        am_analytics.save(data, folder)
    assert tree(folder) == before
    assert [p.name for p in tmp_path.iterdir()] == ["data"]


def test_save_replaces_a_previous_dataset_folder_whole(tmp_path: Path) -> None:
    """Saving CSV over a Parquet folder leaves only the CSV files (no two files per table)."""
    data = am_analytics.from_frames(as_of=AS_OF, **tiny_tables())
    folder = tmp_path / "data"
    am_analytics.save(data, folder, format="parquet")
    paths = am_analytics.save(data, folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in paths)
    assert all(p.suffix == ".csv" for p in paths)
    assert [p.name for p in tmp_path.iterdir()] == ["data"]


def test_save_refuses_a_folder_holding_other_files(tmp_path: Path) -> None:
    """A folder with non-table files is not replaced: the error names them, nothing changes."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    (folder / "sales.csv").write_text("order_id\n")
    data = am_analytics.from_frames(as_of=AS_OF, **tiny_tables())
    with pytest.raises(OutputPathError, match=r"holds files that are not tables \(notes.txt\)"):
        am_analytics.save(data, folder)
    assert tree(folder) == {"notes.txt": b"keep me", "sales.csv": b"order_id\n"}


def test_save_to_a_file_is_refused(tmp_path: Path) -> None:
    """A file where the folder should be: OutputPathError, the file untouched."""
    target = tmp_path / "data.csv"
    target.write_text("x")
    data = am_analytics.from_frames(as_of=AS_OF, **tiny_tables())
    with pytest.raises(OutputPathError, match="is a file, and the tables need a folder") as info:
        am_analytics.save(data, target)
    assert info.value.path == str(target) and target.read_text() == "x"


def test_load_ignores_leftover_temporaries(tmp_path: Path) -> None:
    """What a hard kill can leave (`.sales.csv.<random>.partial`) is not read as a table."""
    data = am_analytics.from_frames(as_of=AS_OF, **tiny_tables())
    folder = tmp_path / "data"
    am_analytics.save(data, folder)
    (folder / ".sales.csv.0a1b2c3d.partial").write_text("order_id,client_id\nS9,C1\n")
    (folder / ".data.0a1b2c3d.partial").mkdir()
    (folder / ".data.0a1b2c3d.partial" / "sales.csv").write_text("order_id\n")
    again = am_analytics.load(folder, as_of=AS_OF)
    pdt.assert_frame_equal(again.sales, data.sales)
    assert list(again.summary()["source"]) == [f"{t}.csv" for t, _ in data.tables()]


# ---------------------------------------------------------------------------
# Output paths checked before the work
# ---------------------------------------------------------------------------


def test_output_file_checks() -> None:
    """Folders, inputs and paths under a file are refused; a fresh path is fine."""
    here = Path(sample_dir())
    assert check_output_file(here.parent / "no-such-dir" / "out.csv") is False
    with pytest.raises(OutputPathError, match="is a folder"):
        check_output_file(here)
    with pytest.raises(OutputPathError, match="is an input of this command"):
        check_output_file(here / "sales.csv", inputs=[here / "sales.csv"])
    with pytest.raises(OutputPathError, match="would be read as the clients table"):
        check_output_file(here / "客户.csv", inputs=[here])
    with pytest.raises(OutputPathError, match=r"sales\.csv is a file, not a folder"):
        check_output_file(here / "sales.csv" / "out.csv")


def test_readme_example_inside_the_data_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README example run inside the data folder: exit 2, the input tables kept."""
    folder = copy_sample(tmp_path / "data")
    before = tree(folder)
    monkeypatch.chdir(folder)
    args = ["segments", ".", "--out", "clients.csv", "--portfolios", "managers.csv"]
    result = runner.invoke(app, [*args, "--as-of", "2026-11-15"])
    assert result.exit_code == EXIT_UNUSABLE
    assert "clients.csv would be read as the clients table of the input folder" in result.output
    assert "Clients by segment" not in result.output  # refused before the work
    assert tree(folder) == before


@pytest.mark.parametrize(
    ("command", "out", "message"),
    [
        (["score", "--period", "2026Q3", "--out"], "{tmp}", "is a folder"),
        (["segments", "--out"], "{tmp}/file.txt/clients.csv", "file.txt is a file, not a folder"),
        (["segments", "--portfolios"], "{data}/sales.csv", "would be read as the sales table"),
        (["validate", "--rejects"], "{tmp}", "is a folder"),
    ],
)
def test_unusable_out_files_exit_2_before_any_work(
    tmp_path: Path, command: list[str], out: str, message: str
) -> None:
    """A folder, a path under a file, or an input table as --out: exit 2 and the reason."""
    (tmp_path / "file.txt").write_text("x")
    data = str(sample_dir())
    target = out.format(tmp=tmp_path, data=data)
    result = runner.invoke(app, [command[0], data, *command[1:], target])
    assert result.exit_code == EXIT_UNUSABLE, result.output
    assert "error:" in result.output and message in result.output
    assert "Traceback" not in result.output and "Tables" not in result.output


def test_the_same_file_for_two_outputs_is_refused(tmp_path: Path) -> None:
    """--out and --portfolios naming one file: exit 2."""
    out = str(tmp_path / "x.csv")
    result = runner.invoke(app, ["segments", str(sample_dir()), "--out", out, "--portfolios", out])
    assert result.exit_code == EXIT_UNUSABLE
    assert "the same file is given for two outputs" in result.output


def test_an_existing_out_file_is_replaced_and_the_output_says_so(tmp_path: Path) -> None:
    """The second run replaces scores.csv and says "replaced"; the first does not."""
    out = tmp_path / "scores.csv"
    args = ["score", str(sample_dir()), "--period", "2026Q3", "--as-of", "2026-11-15"]
    first = runner.invoke(app, [*args, "--out", str(out)])
    assert first.exit_code == EXIT_OK and "replaced" not in first.output
    out.write_text("old")
    second = runner.invoke(app, [*args, "--out", str(out)])
    assert second.exit_code == EXIT_OK
    assert f"written to {out} (replaced the previous one)" in second.output
    assert out.read_text(encoding="utf-8-sig").startswith("manager_id,")


def test_sample_out_checks(tmp_path: Path) -> None:
    """sample --out: a file or a folder of other files refused at once; a dataset replaced."""
    (tmp_path / "file.csv").write_text("x")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    small = ["--managers", "5", "--clients", "60"]
    for target, message in (("file.csv", "is a file"), ("mine", "not tables (notes.txt)")):
        result = runner.invoke(app, ["sample", "--out", str(tmp_path / target), *small])
        assert result.exit_code == EXIT_UNUSABLE and message in result.output
        assert "Generating" not in result.output and "rows" not in result.output
    org = tmp_path / "org"
    assert runner.invoke(app, ["sample", "--out", str(org), *small]).exit_code == EXIT_OK
    again = runner.invoke(app, ["sample", "--out", str(org), *small, "--seed", "1"])
    assert again.exit_code == EXIT_OK and "(replaced the previous one)" in again.output
    assert (tmp_path / "file.csv").read_text() == "x"


def test_import_into_its_own_export_folder_is_refused(tmp_path: Path) -> None:
    """`import zoho exports/ --out exports/`: exit 2, the exports untouched."""
    exports = tmp_path / "exports"
    shutil.copytree(Path(__file__).parents[1] / "data" / "zoho", exports)
    before = tree(exports)
    result = runner.invoke(app, ["import", "zoho", str(exports), "--out", str(exports)])
    assert result.exit_code == EXIT_UNUSABLE
    assert "holds the input" in result.output
    assert tree(exports) == before


# ---------------------------------------------------------------------------
# Writers killed mid-write
# ---------------------------------------------------------------------------


def _wait_for_partial(folder: Path, process: subprocess.Popen[bytes]) -> None:
    """Wait until a writer has started filling a `.partial` temporary in ``folder``."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and process.poll() is None:
        partial = [p for p in folder.glob(".*.partial")]
        written = [f for p in partial for f in ([p] if p.is_file() else p.iterdir())]
        if any(f.stat().st_size > 0 for f in written):
            time.sleep(0.3)  # well inside the write
            return
        time.sleep(0.05)
    pytest.fail(f"the writer did not start writing: {process.poll()=}")


def _run(code: str) -> subprocess.Popen[bytes]:
    """Start ``code`` in a fresh Python process."""
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _interrupt(process: subprocess.Popen[bytes], sig: int) -> tuple[int, str]:
    """Send ``sig``; the exit code and what the process said on stderr."""
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=15)
    return process.returncode, stderr.decode(errors="replace")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_sample_killed_mid_write_leaves_the_previous_folder(tmp_path: Path, sig: int) -> None:
    """`am-analytics sample --clients 200000` interrupted while writing: the old folder intact."""
    org = tmp_path / "org"
    assert runner.invoke(app, ["sample", "--out", str(org), "--clients", "300"]).exit_code == 0
    before = tree(org)
    process = _run(
        "import sys; from am_analytics.cli import main; "
        f"sys.argv = ['am-analytics', 'sample', '--out', {str(org)!r}, '--clients', '200000']; "
        "main()"
    )
    _wait_for_partial(tmp_path, process)
    code, stderr = _interrupt(process, sig)
    assert code == (130 if sig == signal.SIGINT else -signal.SIGKILL), stderr
    assert tree(org) == before
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != "org")
    if sig == signal.SIGINT:
        assert left == []
    else:  # a hard kill cannot clean up; the temporary is hidden and named as such
        assert len(left) == 1 and re.fullmatch(r"\.org\.[0-9a-f]{8}\.partial", left[0])
    assert am_analytics.load(org).summary()["rows_rejected"].sum() == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_out_file_killed_mid_write_leaves_the_previous_file(tmp_path: Path, sig: int) -> None:
    """A result file being replaced, interrupted: the old file intact, `load` unaffected."""
    data = am_analytics.from_frames(as_of=AS_OF, **tiny_tables())
    folder = tmp_path / "data"
    am_analytics.save(data, folder)
    target = folder / "scores.csv"
    target.write_text("old scores\n")
    process = _run(
        "import numpy as np, pandas as pd; from am_analytics.io._writing import write_csv; "
        "n = 3_000_000; frame = pd.DataFrame({'id': np.arange(n).astype(str), 'x': np.ones(n)}); "
        f"write_csv(frame, {str(target)!r})"
    )
    _wait_for_partial(folder, process)
    code, stderr = _interrupt(process, sig)
    assert code == -sig, stderr  # Python ends on an uncaught Ctrl-C by the signal itself
    assert "KeyboardInterrupt" in stderr or sig == signal.SIGKILL
    assert target.read_text() == "old scores\n"
    leftovers = [p.name for p in folder.glob(".*")]
    assert leftovers == [] if sig == signal.SIGINT else len(leftovers) == 1
    again = am_analytics.load(folder, as_of=AS_OF)
    pdt.assert_frame_equal(again.sales, data.sales)
    assert os.listdir(folder).count("scores.csv") == 1
