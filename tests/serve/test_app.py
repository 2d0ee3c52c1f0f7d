"""The application in process: the plain-ASGI scoring path answers as the route does."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path
from typing import Any, cast

import pandas as pd
import pytest
from fastapi import FastAPI
from starlette.types import Message

import am_analytics as am
from am_analytics.scoring import Criterion, Scorecard
from am_analytics.serve import ServeOptions, create_app
from am_analytics.serve._app import ManagerScoreRoute, app_from_environment
from am_analytics.serve._options import OPTIONS_VARIABLE

TOKEN = "app-test-token-0123456789"
#: Requests both paths must answer alike: (headers, body).
REQUESTS: list[tuple[dict[str, str], bytes]] = [
    ({}, b'{"sales_amount": 20.0, "nps": 3.0, "id": "m1"}'),
    ({}, b'[{"sales_amount": 10.0, "nps": null}, {"sales_amount": 30.0, "nps": 1.0}]'),
    ({}, b'{"sales_amount": "20", "nps": 3.0}'),
    ({}, b'{"sales_amount": 20.0}'),
    ({}, b"[]"),
    ({}, b"{not json"),
    ({"content-type": "text/plain"}, b'{"sales_amount": 20.0, "nps": 3.0}'),
    ({"authorization": "Bearer wrong-token-000000000"}, b'{"sales_amount": 1.0, "nps": 1.0}'),
    ({"authorization": ""}, b'{"sales_amount": 1.0, "nps": 1.0}'),
]


@pytest.fixture
def options(tmp_path: Path) -> ServeOptions:
    """A two-criterion manager model and a token, as service settings."""
    fitted = Scorecard([Criterion("sales_amount", weight=2), Criterion("nps", weight=1)]).fit(
        pd.DataFrame({"sales_amount": [10.0, 20.0, 30.0, 40.0], "nps": [1.0, 2.0, 3.0, 5.0]})
    )
    path = am.write_model(fitted, tmp_path / "managers.json", fitted_on={}, inputs={})
    (tmp_path / "token").write_text(TOKEN)
    return ServeOptions(path, token_file=tmp_path / "token")


def without_score_route(app: FastAPI) -> FastAPI:
    """``app`` with its plain-ASGI scoring path removed, so the FastAPI route answers."""
    assert any(cast(object, m.cls) is ManagerScoreRoute for m in app.user_middleware)
    app.user_middleware = [
        m for m in app.user_middleware if cast(object, m.cls) is not ManagerScoreRoute
    ]
    return app


def call(
    app: FastAPI, method: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, dict[str, str], Any]:
    """Send one request to ``app`` on the scoring path, in process; status, headers, JSON."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/v1/managers/score",
        "raw_path": b"/v1/managers/score",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    # the body arrives in two chunks, as a streamed request's would
    chunks: list[Message] = [
        {"type": "http.request", "body": body[:5], "more_body": True},
        {"type": "http.request", "body": body[5:], "more_body": False},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    answer_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    content = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], answer_headers, json.loads(content)


def answers(app: FastAPI) -> list[tuple[int, str, Any]]:
    """Status, content type and JSON body of each of REQUESTS."""
    out = []
    for number, (extra, body) in enumerate(REQUESTS):
        headers = {
            "authorization": f"Bearer {TOKEN}",
            "content-type": "application/json",
            "x-request-id": f"same-{number}",
            "content-length": str(len(body)),
            **extra,
        }
        status, answer_headers, content = call(app, "POST", headers, body)
        out.append((status, answer_headers["content-type"], content))
    return out


def test_the_plain_path_answers_exactly_as_the_route(options: ServeOptions) -> None:
    """Scores, 401s and 422s are the same, byte for byte in JSON, with or without it."""
    fast = answers(create_app(options))
    routed = answers(without_score_route(create_app(options)))
    assert [status for status, _, _ in fast] == [200, 200, 422, 422, 422, 422, 422, 401, 401]
    assert fast == routed
    assert fast[0][2]["id"] == "m1" and fast[0][2]["grade"] is not None


def test_other_methods_on_the_scoring_path_reach_the_framework(options: ServeOptions) -> None:
    """A GET on the scoring path is the framework's 405, as a JSON refusal."""
    status, _, content = call(create_app(options), "GET", {})
    assert status == 405
    assert content["status"] == 405


def test_one_access_record_with_a_new_32_digit_request_id(
    options: ServeOptions, caplog: pytest.LogCaptureFixture
) -> None:
    """Without X-Request-ID the id is 32 hex digits, sent back and logged once, body-free."""
    body = b'{"sales_amount": 20.0, "nps": 3.0, "id": "secret-id-7"}'
    headers = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
    with caplog.at_level(logging.INFO, logger="am_analytics.serve.access"):
        _, answer_headers, _ = call(create_app(options), "POST", headers, body)
    request_id = answer_headers["x-request-id"]
    assert re.fullmatch("[0-9a-f]{32}", request_id)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name.endswith("access")]
    assert len(lines) == 1
    assert lines[0]["request_id"] == request_id and lines[0]["status"] == 200
    assert "secret-id-7" not in caplog.text


def test_a_worker_turns_off_the_thread_and_process_lookups(
    options: ServeOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker factory clears logging's per-record thread and process switches."""
    for flag in ("logThreads", "logProcesses", "logMultiprocessing"):
        monkeypatch.setattr(logging, flag, True)  # restored after the test
    monkeypatch.setenv(OPTIONS_VARIABLE, options.to_json())
    app = app_from_environment()
    assert (logging.logThreads, logging.logProcesses, logging.logMultiprocessing) == (
        False,
        False,
        False,
    )
    assert any(route.path == "/v1/managers/score" for route in app.routes)  # type: ignore[attr-defined]
