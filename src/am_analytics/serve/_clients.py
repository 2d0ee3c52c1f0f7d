"""Placing clients over HTTP: RFM, segment, tiers, expected value and next action.

Answers come from the fitted client model's ``transform`` on a frame of the
request's records, so they equal the library's batch on the same rows.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
from pydantic import TypeAdapter

from ..segments import ClientModel
from ._managers import batch_adapter, nan_to_none, record_type

if TYPE_CHECKING:
    from ..model_file import ModelFile

#: The answer's columns, in order, as the client model's ``transform`` names them.
ANSWER_COLUMNS: Final = (
    "R",
    "F",
    "M",
    "rfm_cell",
    "segment",
    "tier",
    "value_tier",
    "value_tier_name",
    "expected_purchases",
    "expected_spend_per_purchase",
    "expected_value",
    "probability_alive",
    "service_level",
    "next_action",
    "next_action_zh",
    "due_date",
    "priority",
)


class ClientSegmenting:
    """A fitted client model ready to answer: validators built once."""

    def __init__(self, loaded: ModelFile, *, max_batch: int) -> None:
        self.file = loaded
        model = loaded.model
        if not isinstance(model, ClientModel):  # read_model(kind=...) already checks
            raise TypeError(f"expected a client model, got {type(model).__name__}")
        self.model = model
        self.inputs: tuple[str, ...] = tuple(self.model.input_columns)
        record = record_type("ClientRecord", self.inputs, title="ClientRecord")
        self.one: TypeAdapter[Any] = TypeAdapter(record)
        self.batch = batch_adapter(record, max_batch=max_batch)

    def place(self, records: list[dict[str, Any]], *, as_of: dt.date) -> list[dict[str, Any]]:
        """The answers for validated records, from one ``transform`` of them all."""
        ids = [r.get("id") for r in records]
        frame = pd.DataFrame(records, columns=list(self.inputs), dtype=np.float64)
        # the ABC tier breaks ties of net revenue by client_id, so the id takes part
        frame.index = pd.Index(["" if i is None else str(i) for i in ids], name="client_id")
        placed = self.model.transform(frame, as_of=pd.Timestamp(as_of))
        columns: dict[str, list[Any]] = {"id": ids}
        for name in ANSWER_COLUMNS:
            if name in placed.columns:
                columns[name] = _plain(placed[name])
        keys = list(columns)
        return [dict(zip(keys, row, strict=True)) for row in zip(*columns.values(), strict=True)]

    def describe(self) -> dict[str, Any]:
        """The model as ``GET /v1/models`` shows it."""
        return {
            "kind": "client_model",
            "input_columns": list(self.inputs),
            "n_fitted": getattr(self.model, "n_fitted_", None),
            "library_version": self.file.library_version,
            "format_version": self.file.format_version,
            "fitted_on": self.file.fitted_on,
            "sha256": self.file.sha256,
        }

    def response_schema(self) -> dict[str, Any]:
        """The JSON schema of one answer, for the OpenAPI document."""
        properties: dict[str, Any] = {"id": {"type": ["string", "integer", "null"]}}
        properties.update({name: {} for name in ANSWER_COLUMNS})
        properties["due_date"] = {"type": ["string", "null"], "format": "date"}
        return {"type": "object", "title": "ClientPlacement", "properties": properties}


def _plain(column: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values: NaN and NaT as None, dates as ISO days."""
    if isinstance(column.dtype, pd.CategoricalDtype) or column.dtype == object:
        values = column.astype(object)
        return values.where(values.notna(), None).tolist()
    if pd.api.types.is_datetime64_any_dtype(column):
        text = column.dt.strftime("%Y-%m-%d")
        return text.astype(object).where(column.notna(), None).tolist()
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_integer_dtype(column):
        values = column.astype(object)
        return values.where(column.notna(), None).tolist()
    if pd.api.types.is_numeric_dtype(column):
        return nan_to_none(column.to_numpy(dtype=np.float64, na_value=np.nan))
    values = column.astype(object)
    return values.where(values.notna(), None).tolist()
