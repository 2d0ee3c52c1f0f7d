"""The service's HTTP plumbing: JSON answers, error bodies, body limit, request ids, access log.

The two middlewares are pure ASGI (no ``BaseHTTPMiddleware``): they add a few
microseconds per request, and they see every request, including those the
application refuses or fails on.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any, Final

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The logger of the access lines (one JSON object per request, never the body).
access_log = logging.getLogger("am_analytics.serve.access")
#: The logger of failures inside the service (tracebacks stay on the server).
error_log = logging.getLogger("am_analytics.serve.error")

#: The key of the request id in the ASGI scope.
REQUEST_ID: Final = "am_analytics.request_id"
_REQUEST_ID_HEADER: Final = b"x-request-id"
#: A request id a caller may choose: short, and safe to write to a log line.
_CALLER_ID: Final = re.compile(rb"[A-Za-z0-9._-]{1,64}")
#: Errors listed in one answer, at most (a batch can break a rule in every record).
MAX_ERRORS_SHOWN: Final = 50


class JSONAnswer(Response):
    """A JSON response rendered by orjson (NaN and infinity become null)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def problem(
    request_id: str | None, status: int, message: str, errors: Iterable[dict[str, Any]] = ()
) -> JSONAnswer:
    """An error answer: what went wrong, the broken rules (field, rule, message), the request id."""
    listed = list(errors)
    body: dict[str, Any] = {
        "status": status,
        "message": message,
        "errors": listed[:MAX_ERRORS_SHOWN],
        "request_id": request_id,
    }
    if len(listed) > MAX_ERRORS_SHOWN:
        body["errors_not_shown"] = len(listed) - MAX_ERRORS_SHOWN
    headers = {"www-authenticate": "Bearer"} if status == 401 else None
    return JSONAnswer(body, status_code=status, headers=headers)


def field_error(field: str, rule: str, message: str) -> dict[str, str]:
    """One broken rule of an error answer."""
    return {"field": field, "rule": rule, "message": message}


def validation_errors(errors: Iterable[Mapping[str, Any]], *, root: str) -> list[dict[str, str]]:
    """Pydantic errors as broken rules, the field written like ``body[3].sales_amount``."""
    listed = []
    for error in errors:
        where = root
        for part in error["loc"]:
            where += f"[{part}]" if isinstance(part, int) else f".{part}"
        listed.append(field_error(where, error["type"], error["msg"]))
    return listed


class BodyTooLarge(Exception):
    """The request body passed the size limit while it was being read."""


class BodySizeLimit:
    """Refuse bodies over ``limit`` bytes: by Content-Length first, then by counting.

    A body sent in chunks (no Content-Length) is counted as it streams in; the
    read that passes the limit raises :class:`BodyTooLarge`, answered with 413.
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            rule = "max_body_bytes" if declared.isdigit() else "content_length"
            await self._refuse(scope, send, rule)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, send, "max_body_bytes")

    async def _refuse(self, scope: Scope, send: Send, rule: str) -> None:
        """Answer 413 naming the limit."""
        message = (
            f"the request body is over {self.limit} bytes; send fewer records per request"
            if rule == "max_body_bytes"
            else "the Content-Length header is not a number of bytes"
        )
        status = 413 if rule == "max_body_bytes" else 400
        answer = problem(
            scope.get(REQUEST_ID), status, message, [field_error("body", rule, message)]
        )
        await answer(scope, _no_body, send)


async def _no_body() -> Message:
    """A receive channel for answers sent without reading the request."""
    return {"type": "http.disconnect"}


def _header(scope: Scope, name: bytes) -> str | None:
    """One request header's value, or None."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestLog:
    """Give each request an id, time it, log one JSON line, and answer 500 for any failure.

    The id is the caller's ``X-Request-ID`` when it is short and plain, else a
    new one; it is sent back in ``X-Request-ID``. An exception that escapes the
    application is logged here with its traceback and answered with a 500 that
    carries the request id only.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_at = time.perf_counter()
        chosen = _header(scope, _REQUEST_ID_HEADER)
        request_id = (
            chosen if chosen is not None and _CALLER_ID.fullmatch(chosen.encode()) else None
        ) or os.urandom(16).hex()  # 32 random hex digits, as uuid4().hex without the UUID object
        scope[REQUEST_ID] = request_id
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", ()),
                    (_REQUEST_ID_HEADER, request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            error_log.exception("request %s failed", request_id)
            if status == 0:
                status = 500
                answer = problem(
                    request_id,
                    500,
                    "the service failed on this request; quote the request id to its operators",
                )
                await answer(scope, _no_body, send_with_id)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                line = orjson.dumps(
                    {
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "latency_ms": round(1000 * (time.perf_counter() - started_at), 3),
                    }
                ).decode()
                # Logger.info would also walk the stack for the caller's file and line,
                # which an access line never shows; the record still goes through the
                # logger's filters and handlers, so operators configure it as usual
                access_log.handle(
                    access_log.makeRecord(
                        access_log.name, logging.INFO, __file__, 0, line, (), None
                    )
                )
