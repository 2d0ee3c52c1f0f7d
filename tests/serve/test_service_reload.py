"""Reloading the models of a running two-worker service: good files replace, bad ones are kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from service_process import RunningService, running_service
from typer.testing import CliRunner

import am_analytics as am
from am_analytics.cli import EXIT_UNUSABLE, app
from am_analytics.scoring import FittedScorecard, fit_scorecard

TOKEN = "reload-token-0123456789abcdef"
RECORD = {
    "sales_amount": 1_000_000.0, "active_clients": 10, "new_clients": 2, "client_retention": 0.8,
    "csat_adjusted": 4.2, "complaints_per_100_clients": 1.0, "rating_communication": 4.0,
    "rating_problem_solving": 3.5, "rating_teamwork": 3.0,
}  # fmt: skip
#: Seconds to wait for every worker to show a reload.
RELOAD_TIMEOUT = 15.0


@pytest.fixture(scope="module")
def quarters() -> dict[str, FittedScorecard]:
    """Scorecards fitted on two quarters of the sample: different scales, same criteria."""
    sample = am.load_sample()
    return {period: fit_scorecard(sample, period=period) for period in ("2026Q2", "2026Q3")}


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the running service reads its manager model."""
    return tmp_path_factory.mktemp("reload") / "managers.json"


@pytest.fixture(scope="module")
def service(model_path: Path, quarters: dict[str, FittedScorecard]) -> Iterator[RunningService]:
    """A two-worker service on the 2026Q3 model."""
    write(model_path, quarters["2026Q3"], "2026Q3")
    token_file = model_path.with_name("token")
    token_file.write_text(TOKEN)
    arguments = ["--manager-model", str(model_path), "--token-file", str(token_file),
                 "--workers", "2"]  # fmt: skip
    with running_service(arguments, token=TOKEN, log=model_path.with_name("log")) as running:
        yield running


def write(path: Path, fitted: FittedScorecard, period: str) -> None:
    """Write a model file for ``period``."""
    am.write_model(fitted, path, fitted_on={"period": period}, inputs={})


def periods_seen(service: RunningService) -> set[str]:
    """The periods the workers report, over fresh connections (so both workers answer)."""
    seen = set()
    for _ in range(12):
        with service.client() as client:
            seen.add(client.get("/v1/models").json()["manager_model"]["fitted_on"]["period"])
    return seen


def wait_for_period(service: RunningService, period: str) -> None:
    """Wait until every worker answers with the model of ``period``."""
    deadline = time.monotonic() + RELOAD_TIMEOUT
    while time.monotonic() < deadline:
        if periods_seen(service) == {period}:
            return
        time.sleep(0.2)
    raise AssertionError(f"the workers still report {periods_seen(service)}")


def test_reload_endpoint_keeps_the_old_model_when_the_file_is_bad(
    service: RunningService, model_path: Path, quarters: dict[str, FittedScorecard]
) -> None:
    """A corrupt file: 409 saying why (without the path); every worker keeps scoring the same."""
    with service.client() as client:
        before = client.post("/v1/managers/score", json=RECORD).json()
        model_path.write_text('{"format": "am_analytics.model", "kind": "manager_model"')
        answer = client.post("/v1/models/reload")
        assert answer.status_code == 409
        assert "kept" in answer.json()["message"]
        assert str(model_path.parent) not in answer.text
        assert client.post("/v1/managers/score", json=RECORD).json() == before
    assert periods_seen(service) == {"2026Q3"}
    write(model_path, quarters["2026Q3"], "2026Q3")


def test_reload_endpoint_replaces_the_model_in_every_worker(
    service: RunningService, model_path: Path, quarters: dict[str, FittedScorecard]
) -> None:
    """A good new file: 200, and all workers score with the new model."""
    write(model_path, quarters["2026Q2"], "2026Q2")
    with service.client() as client:
        answer = client.post("/v1/models/reload")
        assert answer.status_code == 200, answer.text
        assert answer.json()["models"]["manager_model"]["fitted_on"] == {"period": "2026Q2"}
    wait_for_period(service, "2026Q2")
    with service.client() as client:
        scored = client.post("/v1/managers/score", json=RECORD).json()
    assert scored["score"] == quarters["2026Q2"].score_one(RECORD)["score"]
    assert scored["score"] != quarters["2026Q3"].score_one(RECORD)["score"]


def test_sighup_reloads_good_files_and_keeps_the_models_on_bad_ones(
    service: RunningService, model_path: Path, quarters: dict[str, FittedScorecard]
) -> None:
    """SIGHUP to the service process: a bad file changes nothing, a good one is taken by all."""
    write(model_path, quarters["2026Q2"], "2026Q2")
    with service.client() as client:
        client.post("/v1/models/reload")
    wait_for_period(service, "2026Q2")
    model_path.write_bytes(b"\xff not json")
    os.kill(service.process.pid, signal.SIGHUP)
    time.sleep(1.0)
    assert periods_seen(service) == {"2026Q2"}
    assert service.process.poll() is None
    write(model_path, quarters["2026Q3"], "2026Q3")
    os.kill(service.process.pid, signal.SIGHUP)
    wait_for_period(service, "2026Q3")


def test_reload_needs_the_token(service: RunningService) -> None:
    """Without the token the reload endpoint is 401 and nothing is read."""
    with service.client(authorized=False) as client:
        assert client.post("/v1/models/reload").status_code == 401


runner = CliRunner()


def test_a_public_host_without_a_token_refuses_to_start(
    model_path: Path, quarters: dict[str, FittedScorecard]
) -> None:
    """Listening beyond loopback without --token-file exits 2 before reading anything."""
    write(model_path.with_name("public.json"), quarters["2026Q3"], "2026Q3")
    result = runner.invoke(
        app,
        [
            "serve",
            "--manager-model",
            str(model_path.with_name("public.json")),
            "--host",
            "0.0.0.0",
        ],
    )
    assert result.exit_code == EXIT_UNUSABLE
    assert "--token-file" in result.output


def test_an_unusable_model_file_refuses_to_start(tmp_path: Path) -> None:
    """A missing or corrupt model file exits 2 with the library's message."""
    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    for path in (tmp_path / "absent.json", broken):
        result = runner.invoke(app, ["serve", "--manager-model", str(path)])
        assert result.exit_code == EXIT_UNUSABLE, result.output
        assert "error:" in result.output


def test_a_short_token_refuses_to_start(
    tmp_path: Path, model_path: Path, quarters: dict[str, FittedScorecard]
) -> None:
    """A token of fewer than 16 characters is refused (exit 2)."""
    write(tmp_path / "m.json", quarters["2026Q3"], "2026Q3")
    (tmp_path / "token").write_text("short")
    result = runner.invoke(
        app,
        [
            "serve",
            "--manager-model",
            str(tmp_path / "m.json"),
            "--token-file",
            str(tmp_path / "token"),
        ],
    )
    assert result.exit_code == EXIT_UNUSABLE
    assert "16" in result.output


def test_importing_the_library_does_not_import_the_web_stack() -> None:
    """``import am_analytics`` leaves FastAPI, uvicorn and starlette unimported."""
    code = (
        "import sys, am_analytics; "
        "print(sorted({'fastapi', 'uvicorn', 'starlette'} & set(sys.modules)))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
