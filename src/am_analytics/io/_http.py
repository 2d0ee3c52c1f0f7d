"""HTTP for the CRM clients: retries with exponential backoff that honour ``Retry-After``.

Both vendors rate-limit (HTTP 429) and have brief outages (5xx); a sync of a
large organisation makes thousands of calls, so a transient failure must cost
a wait, not the sync. Everything else (4xx) is the caller's to interpret.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from ..errors import ConfigError, CrmError

__all__ = ["RetryPolicy", "send"]

#: Statuses worth another try: rate limits and server-side failures.
RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to wait before trying a call again.

    The n-th retry waits ``backoff * 2**(n-1)`` seconds, at most ``max_wait``,
    unless the answer says ``Retry-After``, which is obeyed (also capped at
    ``max_wait``).

    Attributes
    ----------
    attempts
        Calls in all, the first included.
    backoff
        Seconds before the first retry.
    max_wait
        The longest single wait, in seconds.
    timeout
        Seconds to wait for an answer to one call.
    sleep
        The function that waits (tests pass one that records instead).
    """

    attempts: int = 6
    backoff: float = 1.0
    max_wait: float = 120.0
    timeout: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ConfigError(f"RetryPolicy.attempts must be at least 1, got {self.attempts}")
        if self.backoff < 0 or self.max_wait < 0 or self.timeout <= 0:
            raise ConfigError(
                "RetryPolicy.backoff and max_wait must be >= 0 and timeout > 0, got "
                f"{self.backoff}, {self.max_wait}, {self.timeout}"
            )

    def wait(self, retry: int, response: httpx.Response | None) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        told = retry_after(response) if response is not None else None
        wait = told if told is not None else self.backoff * 2 ** (retry - 1)
        return min(wait, self.max_wait)


def retry_after(response: httpx.Response) -> float | None:
    """The wait a ``Retry-After`` header asks for, in seconds (delta or HTTP date)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    policy: RetryPolicy,
    crm: str,
    **kwargs: Any,
) -> httpx.Response:
    """One call, tried again on 429, 5xx and network failures as ``policy`` says.

    Returns the first answer that is not retried (which may be a 4xx, for the
    caller to read), or the last one when the attempts run out on a retryable
    status.

    Raises
    ------
    CrmError
        The CRM could not be reached within the attempts.
    """
    for attempt in range(1, policy.attempts + 1):
        try:
            response = client.request(method, url, timeout=policy.timeout, **kwargs)
        except httpx.TransportError as exc:
            if attempt == policy.attempts:
                raise CrmError(
                    f"cannot reach {crm} at {_without_query(url)} after {attempt} attempts "
                    f"({type(exc).__name__}: {exc}); check the network and the API domain",
                    crm=crm,
                ) from None
            policy.sleep(policy.wait(attempt, None))
            continue
        if response.status_code not in RETRY_STATUSES or attempt == policy.attempts:
            return response
        policy.sleep(policy.wait(attempt, response))
    raise AssertionError("unreachable")  # pragma: no cover


def _without_query(url: str) -> str:
    """A URL without its query string, which may hold credentials."""
    return url.split("?", 1)[0]
