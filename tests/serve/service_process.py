"""Starting ``am-analytics serve`` in a subprocess on a free loopback port, for the tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

#: Seconds a service may take to answer /readyz after start.
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class RunningService:
    """A service started for a test: its address, token and process."""

    url: str
    token: str | None
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, *, authorized: bool = True) -> httpx.Client:
        """An HTTP client for the service, sending the token unless told not to."""
        headers = {"authorization": f"Bearer {self.token}"} if authorized and self.token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0)


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_service(
    arguments: list[str], *, token: str | None, log: Path
) -> Iterator[RunningService]:
    """Run ``am-analytics serve ARGUMENTS`` until the block ends; wait for /readyz first."""
    port = free_port()
    command = [sys.executable, "-m", "am_analytics.cli", "serve", *arguments, "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    service = RunningService(f"http://127.0.0.1:{port}", token, process, log)
    try:
        _wait_ready(service)
        yield service
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_ready(service: RunningService) -> None:
    """Poll /readyz until it answers 200; fail with the service's output otherwise."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            break
        try:
            if httpx.get(f"{service.url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(
        f"the service did not become ready:\n{service.log.read_text(errors='replace')}"
    )
