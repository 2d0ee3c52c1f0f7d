"""Model files: a fitted model with what it was fitted on, for services to load.

A model file is one UTF-8 JSON document::

    {
      "format": "am_analytics.model",
      "kind": "manager_model" | "client_model",
      "format_version": 1,
      "library_version": "0.1.0",
      "fitted_on": {"period": "2026Q3", "as_of": "2026-11-15"},
      "inputs": {"sales.csv": "<sha256 hex>", ...},
      "model": { ... FittedScorecard.to_json() or ClientModel.to_json() ... }
    }

``manager_model`` holds a :class:`~am_analytics.FittedScorecard` (score one
manager with ``score_one``), ``client_model`` a
:class:`~am_analytics.segments.ClientModel` (place clients with
``transform``). :func:`write_model` writes one atomically
(``am-analytics score --save-model`` and ``am-analytics segments
--save-model`` call it); :func:`read_model` reads it back into a
:class:`ModelFile`, refusing with a :class:`~am_analytics.errors.ConfigError`
anything it cannot use, and a file written with a newer ``format_version``
than this library reads.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, cast, get_args

from ._version import library_version
from .dataset import Dataset
from .errors import ConfigError
from .io._writing import check_output_file, replacing_file
from .io.files import find_sources, sha256_of
from .scoring import FittedScorecard

if TYPE_CHECKING:
    # imported where used: segments brings scikit-learn, and `import am_analytics` stays light
    from .segments import ClientModel

__all__ = ["MODEL_FORMAT_VERSION", "ModelFile", "input_hashes", "read_model", "write_model"]

#: The layout version of model files this library writes, and the newest it reads.
MODEL_FORMAT_VERSION: Final = 1

ModelKind: TypeAlias = Literal["manager_model", "client_model"]

#: The kinds of model a file may hold.
MODEL_KINDS: Final = get_args(ModelKind)

_FORMAT: Final = "am_analytics.model"


@dataclass(frozen=True)
class ModelFile:
    """A fitted model read from a model file, with what it was fitted on.

    Attributes
    ----------
    kind
        ``"manager_model"`` (:attr:`model` is a
        :class:`~am_analytics.FittedScorecard`) or ``"client_model"`` (a
        :class:`~am_analytics.segments.ClientModel`).
    model
        The fitted model, ready to score.
    library_version
        The am_analytics version that wrote the file.
    format_version
        The file's layout version (at most :data:`MODEL_FORMAT_VERSION`).
    fitted_on
        What the model was fitted on: ``{"period": "2026Q3", "as_of":
        "2026-11-15"}`` for a manager model, ``{"as_of": ...}`` for a client model.
    inputs
        Input file name -> SHA-256 (hex) of the files the model was fitted on.
    sha256
        SHA-256 (hex) of the model file's bytes as read.
    path
        Where it was read from.
    """

    kind: ModelKind
    model: FittedScorecard | ClientModel
    library_version: str
    format_version: int
    fitted_on: dict[str, str]
    inputs: dict[str, str]
    sha256: str
    path: Path | None


def write_model(
    model: FittedScorecard | ClientModel,
    path: str | Path,
    *,
    fitted_on: Mapping[str, str],
    inputs: Mapping[str, str],
) -> Path:
    """Write a fitted model and what it was fitted on to a model file, atomically.

    Parameters
    ----------
    model
        A :class:`~am_analytics.FittedScorecard` or a fitted
        :class:`~am_analytics.segments.ClientModel`.
    path
        The file to write (an existing file is replaced; on any error the old
        one stays as it was).
    fitted_on
        What the model was fitted on, e.g. ``{"period": "2026Q3", "as_of":
        "2026-11-15"}``.
    inputs
        Input file name -> SHA-256 hex (:func:`input_hashes`).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ConfigError
        ``model`` is neither kind, or ``fitted_on`` / ``inputs`` are not text to text.
    OutputPathError
        ``path`` cannot take a file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> from am_analytics.scoring import Criterion, Scorecard
    >>> fitted = Scorecard([Criterion("sales_amount", weight=1)]).fit(
    ...     pd.DataFrame({"sales_amount": [10.0, 20.0, 30.0]})
    ... )
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "managers.model.json"
    >>> _ = write_model(fitted, path, fitted_on={"period": "2026Q3"}, inputs={})
    >>> read_model(path, kind="manager_model").model.score_one({"sales_amount": 15})["score"]
    25.0
    """
    kind = _kind_of(model)
    document = {
        "format": _FORMAT,
        "kind": kind,
        "format_version": MODEL_FORMAT_VERSION,
        "library_version": library_version(),
        "fitted_on": _text_mapping(fitted_on, "fitted_on"),
        "inputs": _text_mapping(inputs, "inputs"),
        "model": json.loads(model.to_json()),
    }
    text = json.dumps(document, ensure_ascii=False, allow_nan=False) + "\n"
    target = Path(path)
    check_output_file(target)
    with replacing_file(target) as temporary:
        temporary.write_bytes(text.encode("utf-8"))
    return target


def read_model(path: str | Path, *, kind: str | None = None) -> ModelFile:
    """Read a model file written by :func:`write_model` (or ``--save-model``).

    Parameters
    ----------
    path
        The model file.
    kind
        ``"manager_model"`` or ``"client_model"`` to insist on one; ``None``
        takes either.

    Returns
    -------
    ModelFile
        The fitted model, ready to score, and what it was fitted on.

    Raises
    ------
    ConfigError
        The file is missing or unreadable, is not JSON, is not a model file
        (no or unknown ``kind``), holds another kind than ``kind``, was
        written with a newer ``format_version`` than this library reads, or
        its model is corrupt. The message names the file, what was found and
        what to do.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.json"
    >>> _ = path.write_text(
    ...     '{"format": "am_analytics.model", "format_version": 1, "kind": "report"}'
    ... )
    >>> read_model(path)
    Traceback (most recent call last):
    ...
    am_analytics.errors.ConfigError: ... holds kind 'report'; ...
    """
    if kind is not None and kind not in MODEL_KINDS:
        raise ConfigError(f"kind must be one of {list(MODEL_KINDS)} or None, not {kind!r}")
    source = Path(path)
    content = _read_bytes(source)
    data = _parse(source, content)
    found_kind = _check_header(source, data, kind)
    model = _model_body(source, found_kind, data.get("model"))
    return ModelFile(
        kind=found_kind,
        model=model,
        library_version=str(data.get("library_version", "unknown")),
        format_version=int(data["format_version"]),
        fitted_on=_stored_mapping(source, data, "fitted_on"),
        inputs=_stored_mapping(source, data, "inputs"),
        sha256=hashlib.sha256(content).hexdigest(),
        path=source,
    )


def input_hashes(dataset_or_folder: Dataset | str | Path) -> dict[str, str]:
    """The SHA-256 of each input file: of a loaded dataset's sources, or of a data folder.

    The same digests the evaluation manifest records (``Dataset.summary()``'s
    ``sha256``), keyed by the source's name: ``sales.csv``, or
    ``book.xlsx[sales]`` for a sheet of a workbook. Tables built from frames
    in memory have no file and no entry.

    Examples
    --------
    >>> from am_analytics import load_sample
    >>> from am_analytics.sample import sample_dir
    >>> hashes = input_hashes(load_sample())
    >>> sorted(hashes)[:3]
    ['clients.csv', 'feedback.csv', 'goals.csv']
    >>> input_hashes(sample_dir()) == hashes
    True
    """
    if isinstance(dataset_or_folder, Dataset):
        return {r.source: r.sha256 for r in dataset_or_folder.reports if r.sha256 is not None}
    sources = find_sources(dataset_or_folder)
    return {source.label: sha256_of(source.path) for source in sources.values()}


# --- reading -------------------------------------------------------------------------


def _read_bytes(source: Path) -> bytes:
    """The file's bytes; ConfigError when there is no file to read."""
    if not source.exists():
        raise ConfigError(
            f"model file {source} does not exist; give the path of a file written by "
            "--save-model or am_analytics.write_model"
        )
    if source.is_dir():
        raise ConfigError(f"model file {source} is a folder; give the model file inside it")
    try:
        return source.read_bytes()
    except OSError as error:
        raise ConfigError(
            f"model file {source} cannot be read ({error.strerror}); check its permissions"
        ) from None


def _parse(source: Path, content: bytes) -> dict[str, Any]:
    """The file's JSON object; ConfigError when it is not one."""
    try:
        data = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(
            f"model file {source} is not UTF-8 text (is it a model file?); write it again "
            "with --save-model"
        ) from None
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"model file {source} is not JSON ({error.msg} at line {error.lineno}, column "
            f"{error.colno}); it may be cut short or edited: write it again with --save-model"
        ) from None
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        found = (
            f"a JSON {type(data).__name__}"
            if not isinstance(data, dict)
            else f"format {data.get('format')!r}"
        )
        raise ConfigError(
            f"model file {source} is not an am_analytics model file (found {found}, expected "
            f"format {_FORMAT!r}); give a file written by --save-model or write_model"
        )
    return data


def _check_header(source: Path, data: dict[str, Any], asked: str | None) -> ModelKind:
    """The file's kind, after checking its format version and the kind asked for."""
    version = data.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ConfigError(
            f"model file {source} has format_version {version!r}, not a whole number >= 1; "
            "write it again with --save-model"
        )
    if version > MODEL_FORMAT_VERSION:
        raise ConfigError(
            f"model file {source} was written by am_analytics "
            f"{data.get('library_version', 'unknown')} with model format {version}; this "
            f"version ({library_version()}) reads up to {MODEL_FORMAT_VERSION}: upgrade "
            "am_analytics"
        )
    found = data.get("kind")
    if found not in MODEL_KINDS:
        what = "no kind" if found is None else f"kind {found!r}"
        raise ConfigError(
            f"model file {source} holds {what}; a model file holds one of "
            f"{list(MODEL_KINDS)}: write it again with --save-model"
        )
    if asked is not None and found != asked:
        raise ConfigError(
            f"model file {source} holds a {found}, but a {asked} is needed here; give the "
            f"file saved by {_COMMAND_OF_KIND[asked]}"
        )
    return cast(ModelKind, found)


_COMMAND_OF_KIND: Final = {
    "manager_model": "am-analytics score --save-model",
    "client_model": "am-analytics segments --save-model",
}


def _model_body(source: Path, kind: ModelKind, body: object) -> FittedScorecard | ClientModel:
    """The fitted model of the file; ConfigError when the body is corrupt."""
    try:
        if not isinstance(body, dict):
            raise ConfigError(f"the model is {type(body).__name__}, not a JSON object")
        text = json.dumps(body)
        if kind == "manager_model":
            return FittedScorecard.from_json(text)
        from .segments import ClientModel

        return ClientModel.from_json(text)
    except (ConfigError, ValueError, TypeError) as error:
        raise ConfigError(
            f"model file {source} is a {kind} whose model is corrupt ({error}); write it "
            f"again with {_COMMAND_OF_KIND[kind]}"
        ) from None


def _stored_mapping(source: Path, data: Mapping[str, Any], key: str) -> dict[str, str]:
    """``fitted_on`` or ``inputs`` of the file, checked to map text to text."""
    value = data.get(key, {})
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(
            f"model file {source}: {key} must map text to text, found {value!r}; write the "
            "file again with --save-model"
        )
    return dict(value)


# --- writing -------------------------------------------------------------------------


def _kind_of(model: object) -> ModelKind:
    """The kind of a model to write; ConfigError for anything else."""
    from .segments import ClientModel

    if isinstance(model, FittedScorecard):
        return "manager_model"
    if isinstance(model, ClientModel):
        return "client_model"
    raise ConfigError(
        f"write_model writes a FittedScorecard or a fitted ClientModel, not "
        f"{type(model).__name__}; fit one with fit_scorecard or fit_client_model"
    )


def _text_mapping(value: Mapping[str, str], name: str) -> dict[str, str]:
    """A mapping of text to text as a dict; ConfigError otherwise."""
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(
            f"{name} must map text to text, e.g. {{'as_of': '2026-11-15'}}; found {value!r}"
        )
    return dict(value)
