"""The scoring service over real HTTP: answers equal the library's, every refusal is clean."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from service_process import RunningService, running_service

import am_analytics as am
from am_analytics.metrics import manager_metrics
from am_analytics.scoring import FittedScorecard, fit_scorecard
from am_analytics.segments import ClientModel, client_features, fit_client_model, rfm_summary

TOKEN = "test-token-0123456789abcdef"
PERIOD = "2026Q3"
AS_OF = "2026-11-15"
#: Clients compared with the library.
N_CLIENTS = 1000


@pytest.fixture(scope="module")
def sample() -> am.Dataset:
    """The committed sample dataset."""
    return am.load_sample()


@pytest.fixture(scope="module")
def fitted(sample: am.Dataset) -> FittedScorecard:
    """The scorecard fitted on the sample's 2026Q3 managers."""
    return fit_scorecard(sample, period=PERIOD)


@pytest.fixture(scope="module")
def metrics(sample: am.Dataset, fitted: FittedScorecard) -> pd.DataFrame:
    """Every sample manager's 2026Q3 criteria."""
    return manager_metrics(sample, period=PERIOD, metrics=list(fitted.scorecard.metrics))


@pytest.fixture(scope="module")
def client_model(sample: am.Dataset) -> ClientModel:
    """The client model fitted on the sample."""
    return fit_client_model(sample, as_of=AS_OF, value_tiers=4)


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory,
    fitted: FittedScorecard,
    client_model: ClientModel,
) -> Iterator[RunningService]:
    """The service with both models and a token, on a free loopback port."""
    folder = tmp_path_factory.mktemp("service")
    am.write_model(fitted, folder / "managers.json", fitted_on={"period": PERIOD}, inputs={})
    am.write_model(client_model, folder / "clients.json", fitted_on={"as_of": AS_OF}, inputs={})
    (folder / "token").write_text(TOKEN + "\n")
    arguments = [
        "--manager-model", str(folder / "managers.json"),
        "--client-model", str(folder / "clients.json"),
        "--token-file", str(folder / "token"),
    ]  # fmt: skip
    with running_service(arguments, token=TOKEN, log=folder / "service.log") as running:
        yield running


@pytest.fixture(scope="module")
def http(service: RunningService) -> Iterator[httpx.Client]:
    """A client sending the token."""
    with service.client() as client:
        yield client


def records_of(metrics: pd.DataFrame) -> list[dict[str, Any]]:
    """The managers' criteria as JSON records with their id (NaN as null)."""
    rows = metrics.astype(np.float64).astype(object).where(metrics.notna(), None)
    return [{**row, "id": str(manager)} for manager, row in rows.iterrows()]


def same(left: Any, right: Any) -> bool:
    """Equal, counting None and NaN as the same missing value."""
    if isinstance(right, float) and math.isnan(right):
        right = None
    if isinstance(left, float) and isinstance(right, float):
        return left == pytest.approx(right, rel=1e-12, abs=1e-12)
    return bool(left == right)


def test_one_manager_answers_equal_score_one_for_every_sample_manager(
    http: httpx.Client, fitted: FittedScorecard, metrics: pd.DataFrame
) -> None:
    """Every sample manager sent alone gets exactly FittedScorecard.score_one's values,
    its percentile among the fitted managers, and no rank."""
    for record in records_of(metrics):
        answer = http.post("/v1/managers/score", json=record)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        expected = fitted.score_one(record)
        placed = expected.pop("population_percentile")
        assert {k: body[k] for k in expected} == expected
        assert body["percentile"] == placed
        assert body["id"] == record["id"]
        assert "rank" not in body


def test_a_batch_answers_equal_score_on_the_frame(
    http: httpx.Client, fitted: FittedScorecard, metrics: pd.DataFrame
) -> None:
    """A batch of every manager gets FittedScorecard.score's scores, population percentiles
    and grades, and no rank."""
    records = records_of(metrics)
    answer = http.post("/v1/managers/score", json=records)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    expected = fitted.score(metrics.astype(np.float64).reset_index(drop=True))
    assert [b["id"] for b in body] == [r["id"] for r in records]
    for got, (_, row) in zip(body, expected.iterrows(), strict=True):
        for key in ("score", *[f"{m}_norm" for m in fitted.scorecard.metrics]):
            assert same(got[key], row[key]), key
        assert same(got["percentile"], row["population_percentile"])
        assert "rank" not in got
        assert got["grade"] == (None if pd.isna(row["grade"]) else row["grade"])
        assert got["missing"] == ([] if not row["missing"] else row["missing"].split(", "))


def test_one_and_batch_agree_on_everything(http: httpx.Client, metrics: pd.DataFrame) -> None:
    """The single path (pure Python) and the batch path (pandas) give the same keys and values,
    percentile included."""
    records = records_of(metrics)
    batch = http.post("/v1/managers/score", json=records).json()
    for record, in_batch in zip(records, batch, strict=True):
        alone = http.post("/v1/managers/score", json=record).json()
        assert alone.keys() == in_batch.keys()
        for key, value in alone.items():
            assert same(value, in_batch[key]), key


def test_a_percentile_does_not_depend_on_the_rest_of_the_batch(
    http: httpx.Client, metrics: pd.DataFrame
) -> None:
    """The weakest scored third of the managers, sent alone, keep their population percentiles."""
    records = records_of(metrics)
    whole = http.post("/v1/managers/score", json=records).json()
    scored = sorted((b for b in whole if b["score"] is not None), key=lambda b: b["score"])
    weakest = {b["id"] for b in scored[: len(scored) // 3]}
    part = http.post("/v1/managers/score", json=[r for r in records if r["id"] in weakest]).json()
    expected = {b["id"]: b["percentile"] for b in whole}
    assert {b["id"]: b["percentile"] for b in part} == {i: expected[i] for i in weakest}
    assert max(b["percentile"] for b in part) < 50.0  # not 100 among themselves
    # the batch is the fitted population itself: its best manager is at 100
    assert max(whole, key=lambda b: b["score"] or -1)["percentile"] == 100.0


def test_explanation_matches_the_library(
    http: httpx.Client, fitted: FittedScorecard, metrics: pd.DataFrame
) -> None:
    """Effects per criterion equal FittedScorecard.explain's table for a manager of the sample."""
    manager = str(metrics.index[0])
    record = records_of(metrics.loc[[manager]])[0]
    body = http.post("/v1/managers/score", json=record).json()
    table = fitted.explain(manager, metrics.astype(np.float64)).table
    for metric, effect in table["effect"].items():
        assert same(body[f"{metric}_effect"], effect)


def test_the_client_endpoint_equals_the_library_on_1000_clients(
    http: httpx.Client, sample: am.Dataset, client_model: ClientModel
) -> None:
    """A batch of 1,000 sample clients is placed exactly as ClientModel.transform places them."""
    inputs = ClientModel.inputs(
        client_features(sample.sales, as_of=AS_OF), rfm_summary(sample.sales, as_of=AS_OF)
    ).iloc[:N_CLIENTS]
    expected = client_model.transform(inputs, as_of=AS_OF)
    rows = inputs.astype(np.float64).astype(object).where(inputs.notna(), None)
    records = [{**row, "id": str(client)} for client, row in rows.iterrows()]
    answer = http.post("/v1/clients/segment", params={"as_of": AS_OF}, json=records)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body) == N_CLIENTS
    assert [b["id"] for b in body] == list(inputs.index)
    for column in ("R", "F", "M", "rfm_cell", "segment", "tier", "value_tier", "next_action",
                   "expected_value", "probability_alive", "service_level", "priority"):  # fmt: skip
        got = [b[column] for b in body]
        want = expected[column].astype(object).where(expected[column].notna(), None).tolist()
        assert all(same(g, w) for g, w in zip(got, want, strict=True)), column
    due = expected["due_date"].dt.strftime("%Y-%m-%d").tolist()
    assert [b["due_date"] for b in body] == due
    alone = http.post("/v1/clients/segment", params={"as_of": AS_OF}, json=records[7]).json()
    assert alone == body[7]


def test_models_describes_criteria_weights_and_files(
    http: httpx.Client, fitted: FittedScorecard
) -> None:
    """GET /v1/models gives the criteria, weights, normalisation, version and file hashes."""
    body = http.get("/v1/models").json()
    manager = body["manager_model"]
    assert [c["metric"] for c in manager["criteria"]] == list(fitted.scorecard.metrics)
    assert sum(c["weight"] for c in manager["criteria"]) == pytest.approx(1.0)
    assert manager["normalization"] == fitted.scorecard.normalization
    assert manager["fitted_on"] == {"period": PERIOD}
    assert fitted.population_scores_ is not None
    assert manager["n_population_scores"] == len(fitted.population_scores_) > 20
    assert len(manager["sha256"]) == 64
    assert body["client_model"]["fitted_on"] == {"as_of": AS_OF}
    assert body["library_version"] == am.__version__


def test_probes_and_docs_answer_without_the_token(service: RunningService) -> None:
    """/healthz, /readyz, /docs and the OpenAPI document are open; the schema names the criteria."""
    with service.client(authorized=False) as open_client:
        assert open_client.get("/healthz").json() == {"status": "ok"}
        assert open_client.get("/readyz").status_code == 200
        assert open_client.get("/docs").status_code == 200
        document = open_client.get("/openapi.json").json()
    operation = document["paths"]["/v1/managers/score"]["post"]
    assert "sales_amount" in json.dumps(operation)
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]["oneOf"][0]
    assert "rank" not in answer["properties"]
    assert "managers the model was fitted on" in answer["properties"]["percentile"]["description"]
    assert "never among the records of the request" in operation["description"]


def refusal(answer: httpx.Response, status: int, field: str, rule: str) -> None:
    """Assert an error answer: the status, JSON naming the field and rule, no internals."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert {"field": field, "rule": rule} in [
        {"field": e["field"], "rule": e["rule"]} for e in body["errors"]
    ], body
    assert len(body["request_id"]) > 0
    assert answer.headers["x-request-id"] == body["request_id"]
    for leak in ("Traceback", "/tmp", ".py", "am_analytics"):
        assert leak not in answer.text


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"sales_amount": "12"}, "body.sales_amount", "float_type"),
        ({"sales_amount": True}, "body.sales_amount", "float_type"),
        ({"unknown_metric": 1.0}, "body.unknown_metric", "extra_forbidden"),
        ({"sales_amount": ...}, "body.sales_amount", "missing"),
    ],
)
def test_bad_records_are_422_naming_field_and_rule(
    http: httpx.Client, metrics: pd.DataFrame, change: dict[str, Any], field: str, rule: str
) -> None:
    """Text, booleans, unknown and missing criteria are each refused with their field."""
    record = {**records_of(metrics)[0], **change}
    record = {k: v for k, v in record.items() if v is not ...}
    refusal(http.post("/v1/managers/score", json=record), 422, field, rule)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinite_values_are_422(
    http: httpx.Client, metrics: pd.DataFrame, number: str
) -> None:
    """NaN and infinities (as JSON extensions or overflowing literals) are refused."""
    record = {**records_of(metrics)[0], "sales_amount": 0.0}
    body = json.dumps(record).replace('"sales_amount": 0.0', f'"sales_amount": {number}')
    answer = http.post(
        "/v1/managers/score", content=body, headers={"content-type": "application/json"}
    )
    refusal(answer, 422, "body.sales_amount", "finite_number")


def test_a_batch_over_the_limit_is_422(http: httpx.Client, metrics: pd.DataFrame) -> None:
    """10,001 records are one too many."""
    record = records_of(metrics)[0]
    refusal(http.post("/v1/managers/score", json=[record] * 10_001), 422, "body", "too_long")


def test_a_bad_record_in_a_batch_is_named_by_position(
    http: httpx.Client, metrics: pd.DataFrame
) -> None:
    """The field of an error in a batch says which record."""
    records = records_of(metrics)
    records[3] = {**records[3], "csat_adjusted": "good"}
    refusal(
        http.post("/v1/managers/score", json=records), 422, "body[3].csat_adjusted", "float_type"
    )


def test_wrong_content_type_and_broken_json_are_422(http: httpx.Client) -> None:
    """A body not declared as JSON, or not JSON at all, is refused."""
    refusal(
        http.post("/v1/managers/score", content=b"a=1", headers={"content-type": "text/plain"}),
        422,
        "header.content-type",
        "content_type",
    )
    refusal(
        http.post(
            "/v1/managers/score", content=b"{oops", headers={"content-type": "application/json"}
        ),
        422,
        "body",
        "json_invalid",
    )


def test_a_body_over_the_size_limit_is_413_declared_or_streamed(http: httpx.Client) -> None:
    """Over 8 MiB is refused by Content-Length, and by counting when sent in chunks."""
    big = b"[" + b" " * (8 * 1024 * 1024 + 10) + b"]"
    headers = {"content-type": "application/json"}
    refusal(
        http.post("/v1/managers/score", content=big, headers=headers), 413, "body", "max_body_bytes"
    )

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 1 << 20):
            yield big[start : start + (1 << 20)]

    streamed = http.post("/v1/managers/score", content=chunks(), headers=headers)
    refusal(streamed, 413, "body", "max_body_bytes")


#: Every endpoint behind the token.
ENDPOINTS = (
    ("GET", "/v1/models"),
    ("POST", "/v1/managers/score"),
    ("POST", "/v1/clients/segment"),
    ("POST", "/v1/models/reload"),
)


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token-0123456789", f"Basic {TOKEN}", "Bearer"]
)
def test_requests_without_the_right_token_are_401(
    service: RunningService, authorization: str | None
) -> None:
    """No token, a wrong one, or another scheme: 401 on every /v1 endpoint."""
    headers = {} if authorization is None else {"authorization": authorization}
    with service.client(authorized=False) as client:
        for method, path in ENDPOINTS:
            answer = client.request(method, path, json={}, headers=headers)
            refusal(answer, 401, "header.authorization", "bearer_token")
            assert answer.headers["www-authenticate"] == "Bearer"


def test_each_request_writes_one_access_line_without_the_body(
    http: httpx.Client, service: RunningService
) -> None:
    """The access log has the request id, method, path, status and latency, never the body."""
    answer = http.post(
        "/v1/managers/score",
        json={"secret_marker_value": 1},
        headers={"x-request-id": "trace-42"},
    )
    assert answer.headers["x-request-id"] == "trace-42"
    lines = [
        json.loads(line) for line in service.log.read_text().splitlines() if line.startswith("{")
    ]
    mine = [line for line in lines if line["request_id"] == "trace-42"]
    assert len(mine) == 1
    assert mine[0]["status"] == 422 and mine[0]["path"] == "/v1/managers/score"
    assert set(mine[0]) == {"request_id", "method", "path", "status", "latency_ms"}
    assert "secret_marker_value" not in service.log.read_text()


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=20,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_garbage_bodies_only_ever_get_4xx_and_the_service_keeps_answering(
    http: httpx.Client, body: bytes
) -> None:
    """Whatever bytes arrive, the answer is a 4xx JSON error and the next request succeeds."""
    for path in ("/v1/managers/score", "/v1/clients/segment"):
        answer = http.post(path, content=body, headers={"content-type": "application/json"})
        assert 400 <= answer.status_code < 500, answer.text
        assert "request_id" in answer.json()
    assert http.get("/healthz").status_code == 200
