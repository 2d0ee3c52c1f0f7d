"""Model files: written atomically, read back exactly, refused with a clear reason."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

import am_analytics as am
from am_analytics import ModelFile, read_model, write_model
from am_analytics.errors import ConfigError
from am_analytics.model_file import MODEL_FORMAT_VERSION, input_hashes
from am_analytics.sample import sample_dir
from am_analytics.scoring import FittedScorecard, fit_scorecard
from am_analytics.segments import ClientModel, fit_client_model

FITTED_ON = {"period": "2026Q3", "as_of": "2026-11-15"}


@pytest.fixture(scope="module")
def data() -> am.Dataset:
    return am.load_sample()


@pytest.fixture(scope="module")
def manager_model(data: am.Dataset) -> FittedScorecard:
    return fit_scorecard(data, period="2026Q3", as_of="2026-11-15")


@pytest.fixture(scope="module")
def client_model(data: am.Dataset) -> ClientModel:
    return fit_client_model(data, as_of="2026-11-15", value_tiers=4)


@pytest.fixture
def manager_file(tmp_path: Path, manager_model: FittedScorecard, data: am.Dataset) -> Path:
    return write_model(
        manager_model, tmp_path / "managers.json", fitted_on=FITTED_ON, inputs=input_hashes(data)
    )


def test_a_manager_model_reads_back_exactly_with_its_provenance(
    manager_file: Path, manager_model: FittedScorecard, data: am.Dataset
) -> None:
    """Kind, versions, fitted_on, inputs, the file's sha256 and the model all come back."""
    read = read_model(manager_file, kind="manager_model")
    assert isinstance(read, ModelFile) and read.kind == "manager_model"
    assert read.format_version == MODEL_FORMAT_VERSION == 1
    assert read.library_version == am.__version__
    assert read.fitted_on == FITTED_ON and read.inputs == input_hashes(data)
    assert read.sha256 == hashlib.sha256(manager_file.read_bytes()).hexdigest()
    assert read.path == manager_file
    assert isinstance(read.model, FittedScorecard)
    assert read.model.to_json() == manager_model.to_json()


def test_a_client_model_reads_back_exactly(tmp_path: Path, client_model: ClientModel) -> None:
    """A ClientModel round-trips through its file, floats exact."""
    path = write_model(
        client_model, tmp_path / "clients.json", fitted_on={"as_of": "2026-11-15"}, inputs={}
    )
    read = read_model(path)
    assert read.kind == "client_model" and read.fitted_on == {"as_of": "2026-11-15"}
    assert isinstance(read.model, ClientModel)
    assert read.model.to_json() == client_model.to_json()


def test_input_hashes_are_the_sha256_of_each_file_of_the_folder(data: am.Dataset) -> None:
    """From the folder or the loaded dataset: each file's sha256, keyed by its name."""
    folder = Path(sample_dir())
    expected = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.glob("*.csv")}
    assert input_hashes(folder) == expected
    assert input_hashes(data) == expected


def _rewrite(path: Path, **changes: object) -> Path:
    """The model file with top-level keys replaced (a value of None removes the key)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            document.pop(key)
        else:
            document[key] = value
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_a_newer_format_version_is_refused_naming_versions_and_the_fix(
    manager_file: Path,
) -> None:
    """format_version 2 from a newer library: which version wrote it, and upgrade."""
    _rewrite(manager_file, format_version=2, library_version="9.0.0")
    with pytest.raises(ConfigError) as error:
        read_model(manager_file)
    assert str(error.value) == (
        f"model file {manager_file} was written by am_analytics 9.0.0 with model format 2; "
        f"this version ({am.__version__}) reads up to 1: upgrade am_analytics"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": None}, "holds no kind; a model file holds one of"),
        ({"kind": "report"}, "holds kind 'report'"),
        ({"format": "something.else"}, "is not an am_analytics model file"),
        ({"format_version": "1"}, "has format_version '1', not a whole number"),
        ({"model": {"format": "am_analytics.FittedScorecard"}}, "whose model is corrupt"),
        ({"model": [1, 2]}, "whose model is corrupt"),
        ({"inputs": {"sales.csv": 3}}, "inputs must map text to text"),
    ],
)
def test_a_broken_file_is_refused_naming_it(
    manager_file: Path, change: dict[str, object], message: str
) -> None:
    """Each broken part raises ConfigError naming the file and what was found."""
    _rewrite(manager_file, **change)
    with pytest.raises(ConfigError, match=message) as error:
        read_model(manager_file)
    assert str(manager_file) in str(error.value)


def test_another_kind_than_asked_is_refused(manager_file: Path) -> None:
    """A manager model where a client model is needed says which command saves one."""
    with pytest.raises(ConfigError, match="holds a manager_model, but a client_model") as error:
        read_model(manager_file, kind="client_model")
    assert "am-analytics segments --save-model" in str(error.value)


def test_a_missing_file_or_text_that_is_not_json_is_refused(tmp_path: Path) -> None:
    """No file, and a file cut short, each get their own message."""
    with pytest.raises(ConfigError, match="does not exist"):
        read_model(tmp_path / "absent.json")
    cut = tmp_path / "cut.json"
    cut.write_text('{"format": "am_analytics.model", "kind"', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"is not JSON \(.* at line 1"):
        read_model(cut)


def test_a_failed_write_leaves_the_previous_file(manager_file: Path, tmp_path: Path) -> None:
    """Writing an unfitted model raises and the existing file is unchanged, no temporary left."""
    before = manager_file.read_bytes()
    with pytest.raises(ConfigError, match="not fitted"):
        write_model(ClientModel(), manager_file, fitted_on={}, inputs={})
    assert manager_file.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [manager_file.name]


def test_only_models_and_text_mappings_are_written(
    tmp_path: Path, manager_model: FittedScorecard
) -> None:
    """Another object, or fitted_on with a non-text value, is refused before writing."""
    with pytest.raises(ConfigError, match="not DataFrame"):
        write_model(pd.DataFrame(), tmp_path / "m.json", fitted_on={}, inputs={})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="fitted_on must map text to text"):
        write_model(manager_model, tmp_path / "m.json", fitted_on={"as_of": 1}, inputs={})  # type: ignore[dict-item]
    assert not list(tmp_path.iterdir())
