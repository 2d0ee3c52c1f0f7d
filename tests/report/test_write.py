"""Evaluation.to_csv / to_json / write: files for downstream systems, atomic, with a manifest."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing
import zipfile
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

import am_analytics
from am_analytics import ConfigError, EvaluationConfig, evaluate
from am_analytics._processes import can_fork
from am_analytics.evaluation import Evaluation, Section
from am_analytics.report import _files

SAMPLE = Path(__file__).parents[2] / "data" / "sample"
CONFIG = EvaluationConfig(sensitivity_draws=100, summary_size=5)
FORMULA = "=cmd|' /C calc'!A0"
TOP_KEYS = ["schema_version", "library_version", "period", "previous_period", "as_of", "sections"]
SECTION_KEYS = ["present", "absent_reason", "notes", "frames"]
FRAME_KEYS = ["index", "columns", "records"]
MANIFEST_KEYS = [
    "library_version",
    "schema_version",
    "period",
    "previous_period",
    "as_of",
    "config",
    "inputs",
    "overrides",
    "seconds_per_stage",
    "seconds_per_format",
    "files",
]


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    return evaluate(am_analytics.load(SAMPLE), config=CONFIG)


@pytest.fixture(scope="module")
def written(evaluation: Evaluation, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample evaluation written once, in every format."""
    folder = tmp_path_factory.mktemp("written") / "report"
    evaluation.write(folder)
    return folder


def _with_manager_name(evaluation: Evaluation, manager_id: str, name: str) -> Evaluation:
    """The evaluation with one manager's name in the scores frame replaced."""
    scores = evaluation.section("scores")
    frame = scores.frames["scores"].copy()
    frame.loc[manager_id, "name"] = name
    frames = {**scores.frames, "scores": frame}
    sections = tuple(
        dataclasses.replace(s, frames=frames) if s.name == "scores" else s
        for s in evaluation.sections
    )
    return dataclasses.replace(evaluation, sections=sections)


def _assert_column_equal(written: pd.Series, original: pd.Series, where: str) -> None:
    """A column read back from CSV equals the frame's (floats to 15 significant digits)."""
    if pd.api.types.is_datetime64_any_dtype(original):
        back = pd.to_datetime(written.astype("string")).astype("datetime64[ns]")
        assert back.tolist() == original.astype("datetime64[ns]").tolist(), where
    elif pd.api.types.is_numeric_dtype(original) or pd.api.types.is_bool_dtype(original):
        expected = original.to_numpy(dtype=float, na_value=np.nan)
        np.testing.assert_allclose(
            written.to_numpy(dtype=float, na_value=np.nan), expected, rtol=1e-14, err_msg=where
        )
    else:
        expected = original.astype("string").fillna("").tolist()
        assert written.astype("string").fillna("").tolist() == expected, where


# --- CSV ---------------------------------------------------------------------------


def test_csv_files_read_back_equal_to_the_frames(evaluation: Evaluation, written: Path) -> None:
    """Every frame is a CSV named after it; its index columns first, every cell equal."""
    for name, frame in evaluation.frames().items():
        path = written / f"{name}.csv"
        assert path.read_bytes().startswith(b"\xef\xbb\xbf"), name  # BOM for Excel
        back = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
        flat = frame.reset_index() if _files.keeps_index(frame) else frame
        assert list(back.columns) == [str(c) for c in flat.columns], name
        assert len(back) == len(flat), name
        for position, column in enumerate(flat.columns):
            _assert_column_equal(back.iloc[:, position], flat.iloc[:, position], f"{name}.{column}")


def test_a_formula_name_is_neutralised_in_csv_and_kept_in_json(
    evaluation: Evaluation, tmp_path: Path
) -> None:
    """A manager named like a spreadsheet command gets an apostrophe in CSV, not in JSON."""
    tainted = _with_manager_name(evaluation, "M0020", FORMULA)
    tainted.write(tmp_path / "report")
    scores = pd.read_csv(tmp_path / "report" / "scores.csv", encoding="utf-8-sig", dtype=str)
    assert scores.set_index("manager_id").loc["M0020", "name"] == "'" + FORMULA
    document = json.loads((tmp_path / "report" / "evaluation.json").read_text(encoding="utf-8"))
    records = document["sections"]["scores"]["frames"]["scores"]["records"]
    assert {r["manager_id"]: r["name"] for r in records}["M0020"] == FORMULA


def test_to_csv_writes_only_the_frames(evaluation: Evaluation, tmp_path: Path) -> None:
    """to_csv: one file per frame, nothing else, the paths returned in frame order."""
    paths = evaluation.to_csv(tmp_path / "csv")
    assert [p.name for p in paths] == [f"{name}.csv" for name in evaluation.frames()]
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == sorted(p.name for p in paths)


# --- JSON ----------------------------------------------------------------------------


def test_json_follows_the_shipped_schema(evaluation: Evaluation, tmp_path: Path) -> None:
    """to_json's document validates against evaluation.schema.json (draft 2020-12)."""
    path = evaluation.to_json(tmp_path / "evaluation.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    schema = Evaluation.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)


def test_json_field_names_are_the_contract(evaluation: Evaluation, tmp_path: Path) -> None:
    """Top-level, section and frame keys are pinned; sections keep the evaluation's order."""
    document = json.loads(evaluation.to_json(tmp_path / "e.json").read_text(encoding="utf-8"))
    assert list(document) == TOP_KEYS
    assert document["schema_version"] == "1.0"
    assert (document["period"], document["previous_period"]) == ("2026Q3", "2026Q2")
    assert document["as_of"] == "2026-11-15"
    assert document["library_version"] == am_analytics.__version__
    assert list(document["sections"]) == [s.name for s in evaluation.sections]
    for section in document["sections"].values():
        assert list(section) == SECTION_KEYS
        for frame in section["frames"].values():
            assert list(frame) == FRAME_KEYS


def test_json_cells_dates_iso_nan_null_categories_text(evaluation: Evaluation) -> None:
    """Dates as ISO text, NaN and NA as null, categoricals as their text, the index first."""
    document = _files.evaluation_document(evaluation)
    scores = document["sections"]["scores"]["frames"]["scores"]
    assert scores["index"] == ["manager_id"] and scores["columns"][0] == "manager_id"
    by_id = {r["manager_id"]: r for r in scores["records"]}
    assert by_id["M0020"]["grade"] == "A"
    assert by_id["M0020"]["score"] == evaluation.frames()["scores"].loc["M0020", "score"]
    goals = document["sections"]["goals"]["frames"]["goal_status"]["records"]
    assert goals[0]["period_start"] == "2026-07-01"
    assert any(r["yoy_velocity"] is None for r in goals)  # NaN in the frame
    data_quality = document["sections"]["data_quality"]["frames"]["data_quality"]
    assert data_quality["index"] == []  # row numbers are no data


def test_json_cells_of_a_small_frame() -> None:
    """Known answers: infinities and NA are null, times of day kept, numbers exact."""
    frame = pd.DataFrame(
        {
            "at": pd.to_datetime(["2026-07-01 09:30", None]),
            "x": [0.1 + 0.2, np.inf],
            "n": pd.array([3, None], dtype="Int64"),
            "ok": [True, False],
        }
    )
    assert _files.frame_document(frame)["records"] == [
        {"at": "2026-07-01T09:30:00", "x": 0.30000000000000004, "n": 3, "ok": True},
        {"at": None, "x": None, "n": None, "ok": False},
    ]


def test_an_absent_section_keeps_its_reason(evaluation: Evaluation) -> None:
    """A section without its table is in the document, not present, with the reason."""
    absent = Section("goals", absent_reason="needs the goals table, which the dataset lacks")
    sections = tuple(absent if s.name == "goals" else s for s in evaluation.sections)
    document = _files.evaluation_document(dataclasses.replace(evaluation, sections=sections))
    assert document["sections"]["goals"] == {
        "present": False,
        "absent_reason": "needs the goals table, which the dataset lacks",
        "notes": [],
        "frames": {},
    }
    jsonschema.validate(document, Evaluation.json_schema())


# --- the folder and its manifest -----------------------------------------------------


def test_manifest_records_inputs_config_and_timings(evaluation: Evaluation, written: Path) -> None:
    """Hashes equal sha256 of data/sample's files; config, stages and files as written."""
    manifest = json.loads((written / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest) == MANIFEST_KEYS
    inputs = {row["table"]: row for row in manifest["inputs"]}
    assert sorted(inputs) == sorted(p.stem for p in SAMPLE.glob("*.csv"))
    for table, row in inputs.items():
        assert row["sha256"] == hashlib.sha256((SAMPLE / f"{table}.csv").read_bytes()).hexdigest()
        assert row["rows_read"] == row["rows_kept"] + row["rows_rejected"]
    assert inputs["managers"]["rows_read"] == 40
    assert manifest["config"] == json.loads(json.dumps(CONFIG.to_dict()))
    assert manifest["config"]["sensitivity_draws"] == 100
    assert list(manifest["seconds_per_stage"]) == [s.name for s in evaluation.sections]
    assert list(manifest["seconds_per_format"]) == ["html", "xlsx", "csv", "json"]
    assert manifest["overrides"] == []
    assert (manifest["period"], manifest["as_of"]) == ("2026Q3", "2026-11-15")
    on_disk = sorted(p.name for p in written.iterdir())
    assert sorted(manifest["files"]) == on_disk  # the manifest among them


@pytest.mark.parametrize("interruption", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failure_mid_write_leaves_the_previous_folder(
    evaluation: Evaluation,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    interruption: BaseException,
) -> None:
    """An error (or Ctrl-C) on the 3rd file: the old report intact, no temporary beside it."""
    target = tmp_path / "report"
    evaluation.write(target, formats=("json",))
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    write_frame = _files._write_frame
    calls: list[Path] = []

    def failing(frame: pd.DataFrame, path: Path) -> None:
        calls.append(path)
        if len(calls) == 3:
            raise interruption
        write_frame(frame, path)

    monkeypatch.setattr(_files, "_write_frame", failing)
    with pytest.raises(type(interruption)):
        evaluation.write(target)
    assert len(calls) == 3
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


@pytest.mark.skipif(not can_fork(), reason="formats are written by forked processes on Linux")
def test_formats_written_side_by_side_are_the_files_written_in_turn(
    evaluation: Evaluation, written: Path, tmp_path: Path
) -> None:
    """n_jobs=2 writes the workbook in another process: every file is the same, byte for byte.

    The workbook's creation time (``docProps/core.xml``) is the one part allowed to differ.
    """
    side = tmp_path / "report"
    evaluation.write(side, n_jobs=2)
    names = sorted(p.name for p in written.iterdir())
    assert sorted(p.name for p in side.iterdir()) == names
    for name in names:
        if name == "evaluation.xlsx":
            assert _zip_parts(side / name) == _zip_parts(written / name)
        elif name != "manifest.json":
            assert (side / name).read_bytes() == (written / name).read_bytes(), name
    seconds = json.loads((side / "manifest.json").read_text(encoding="utf-8"))["seconds_per_format"]
    assert list(seconds) == ["html", "xlsx", "csv", "json"]
    assert all(value > 0 for value in seconds.values())


def _zip_parts(path: Path) -> dict[str, bytes]:
    """The parts of a zip file by name, without the workbook's creation time."""
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}


@pytest.mark.skipif(not can_fork(), reason="formats are written by forked processes on Linux")
def test_a_failure_in_the_forked_writer_leaves_the_previous_folder(
    evaluation: Evaluation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workbook failing in its process fails the write here; the old report stays whole."""
    target = tmp_path / "report"
    evaluation.write(target, formats=("json",))
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    write_format = _files._write_format

    def failing(evaluation: Evaluation, name: str, folder: Path, **options: object) -> None:
        if name == "xlsx":
            raise OSError(f"disk full writing {folder / 'evaluation.xlsx'}")
        write_format(evaluation, name, folder, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(_files, "_write_format", failing)
    with pytest.raises(OSError, match="disk full"):
        evaluation.write(target, n_jobs=2)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]
    assert multiprocessing.active_children() == []


def test_a_rerun_replaces_the_folder(evaluation: Evaluation, tmp_path: Path) -> None:
    """A second write replaces the first whole: files it does not write are gone."""
    target = tmp_path / "report"
    evaluation.write(target)
    assert (target / "scores.csv").exists()
    paths = evaluation.write(target, formats=["json"])
    assert [p.name for p in paths] == ["evaluation.json", "manifest.json"]
    assert sorted(p.name for p in target.iterdir()) == ["evaluation.json", "manifest.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


@pytest.mark.parametrize("formats", [("csv", "pdf"), ("docx",), ()])
def test_an_unknown_format_is_a_config_error(
    evaluation: Evaluation, tmp_path: Path, formats: tuple[str, ...]
) -> None:
    """An unknown (or no) format: the message names the known ones. Nothing is written."""
    with pytest.raises(ConfigError, match=r"formats known are html, xlsx, csv, json"):
        evaluation.write(tmp_path / "report", formats=formats)
    assert not (tmp_path / "report").exists()


def test_config_to_dict_is_plain_data() -> None:
    """to_dict gives JSON data: the scorecard by its own to_dict, the rest field by field."""
    scorecard = am_analytics.scoring.default_scorecard()
    settings = EvaluationConfig(scorecard=scorecard, language="en").to_dict()
    assert json.loads(json.dumps(settings)) == settings
    assert settings["scorecard"] == scorecard.to_dict()
    assert settings["language"] == "en" and settings["history_periods"] == 8
    assert settings["attainment"]["thresholds"] == dataclasses.asdict(
        EvaluationConfig().attainment.thresholds
    )
