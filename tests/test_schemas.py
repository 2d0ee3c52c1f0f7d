"""The canonical tables' schemas: written with pandera's object API, used through the models."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from pandera.typing import DataFrame

from am_analytics.errors import ConfigError
from am_analytics.schemas import (
    TABLES,
    GoalsSchema,
    SalesSchema,
    SurveysSchema,
    column_kinds,
    required_columns,
    table_model,
    table_schema,
)


def _sales(amount: list[float]) -> pd.DataFrame:
    """A small valid sales frame with the given amounts."""
    n = len(amount)
    ids = [f"o{i}" for i in range(n)]
    return pd.DataFrame(
        {
            "order_id": pd.Series(ids, dtype="str"),
            "client_id": pd.Categorical(["c1"] * n),
            "manager_id": pd.Categorical(["m1"] * n),
            "order_date": pd.to_datetime(["2026-07-01"] * n),
            "amount": amount,
        }
    )


def test_loading_imports_no_dask() -> None:
    """Loading the sample imports no dask.

    Meaningful where dask is installed (pandera imports ``dask.dataframe`` when it
    builds a schema from a DataFrameModel's annotations); trivially true where it is not.
    """
    code = (
        "import sys, am_analytics; from am_analytics.sample import sample_dir; "
        "am_analytics.load(sample_dir()); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("table", TABLES)
def test_each_model_gives_its_table_schema(table: str) -> None:
    """A model's schema has its table's columns, its name and its docstring, key and all."""
    model = table_model(table)
    schema = model.to_schema()
    assert list(schema.columns) == list(column_kinds(table))
    assert schema.name == model.__name__
    assert schema.description == model.__doc__
    assert schema.unique == table_schema(table).unique


def test_required_means_the_column_must_be_present() -> None:
    """Known answers: goals need their key, target and period; owner_kind has a default."""
    assert required_columns("goals") == [
        "goal_id",
        "owner_id",
        "metric",
        "target",
        "period_start",
        "period_end",
    ]
    owner_kind = GoalsSchema.to_schema().columns["owner_kind"]
    assert (owner_kind.required, owner_kind.nullable) == (False, False)


def test_a_model_validates_like_its_schema() -> None:
    """SalesSchema.validate rejects exactly the infinite amount, as the finite check says."""
    SalesSchema.validate(_sales([1.0, -2.5]))
    with pytest.raises(pa.errors.SchemaErrors) as caught:
        SalesSchema.validate(_sales([1.0, np.inf, 3.0]), lazy=True)
    cases = caught.value.failure_cases
    assert cases["index"].tolist() == [1]
    assert cases["check"].tolist() == ["amount must be a finite number"]


def test_models_work_as_type_annotations() -> None:
    """``DataFrame[SurveysSchema]`` annotations are checked, row rules included."""

    @pa.check_types
    def scored(frame: DataFrame[SurveysSchema]) -> DataFrame[SurveysSchema]:
        return frame

    surveys = pd.DataFrame(
        {
            "response_id": pd.Series(["r1", "r2"], dtype="str"),
            "client_id": pd.Categorical(["c1", "c1"]),
            "manager_id": pd.Categorical(["m1", "m1"]),
            "survey_date": pd.to_datetime(["2026-07-01", "2026-07-02"]),
            "csat": [4.0, np.nan],
            "nps": [np.nan, 9.0],
        }
    )
    pd.testing.assert_frame_equal(scored(surveys), surveys)
    with pytest.raises(pa.errors.SchemaError, match="a response needs a csat or an nps score"):
        scored(surveys.assign(nps=[np.nan, np.nan]))


def test_an_unknown_table_is_a_config_error() -> None:
    """A table name that is not canonical names the canonical ones."""
    with pytest.raises(ConfigError, match="unknown table 'orders'; the canonical tables are"):
        table_model("orders")
