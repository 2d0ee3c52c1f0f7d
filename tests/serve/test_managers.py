"""Manager answers without HTTP: percentiles among the fitted population, old model files."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest

import am_analytics as am
from am_analytics.scoring import Criterion, Scorecard
from am_analytics.serve._managers import ManagerScoring

#: Sales against a target of 100: four managers scoring 10, 20, 20 and 40.
FITTED = Scorecard([Criterion("sales_amount", weight=1, target=100.0)], normalization="target").fit(
    pd.DataFrame({"sales_amount": [10.0, 20.0, 20.0, 40.0]})
)


def scoring_of(path: Path) -> ManagerScoring:
    """The service's manager answers for the model file at ``path``."""
    return ManagerScoring(am.read_model(path, kind="manager_model"), max_batch=100)


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    """The four-manager model written as a model file."""
    path = tmp_path / "managers.json"
    am.write_model(FITTED, path, fitted_on={"period": "2026Q3"}, inputs={})
    return path


def test_percentiles_are_among_the_fitted_managers_alone_or_in_a_batch(model_file: Path) -> None:
    """Among 10, 20, 20, 40: 20 → 75, 5 → 0, 40 → 100, whether sent alone or together."""
    scoring = scoring_of(model_file)
    records = [{"id": i, "sales_amount": v} for i, v in enumerate([20.0, 5.0, 40.0, None])]
    alone = [scoring.score_record(r)["percentile"] for r in records]
    together = [answer["percentile"] for answer in scoring.score_records(records)]
    assert alone == together == [75.0, 0.0, 100.0, None]
    assert "rank" not in scoring.score_record(records[0])
    assert scoring.describe()["n_population_scores"] == 4


def test_an_older_model_file_answers_null_percentiles_and_says_why(
    model_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file written before population scores were kept loads; percentiles are null; a warning."""
    document = json.loads(model_file.read_text())
    del document["model"]["population_scores"]
    model_file.write_text(json.dumps(document))
    with caplog.at_level(logging.WARNING, logger="am_analytics.serve"):
        scoring = scoring_of(model_file)
    assert "every percentile will be null; fit and save it again" in caplog.text
    one = scoring.score_record({"id": "a", "sales_amount": 20.0})
    assert one["score"] == 20.0 and one["percentile"] is None
    assert [a["percentile"] for a in scoring.score_records([{"sales_amount": 20.0}])] == [None]
    assert scoring.describe()["n_population_scores"] is None
